//! Atomic rewrite of a file in place: a temp file in the same folder,
//! fsync, rename. Keeps mode bits and, where allowed, the owner; writes
//! through a symlink to its target so the link stays a link; refuses a
//! read-only file and a file that changed since msb read it.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::MsbError;
use crate::source::describe_io;

/// Replace `path`'s content with `new`, if it still holds `expected`.
pub fn write_atomic(path: &Path, expected: &[u8], new: &[u8]) -> Result<(), MsbError> {
    let io = |reason: String| MsbError::Io {
        path: path.to_path_buf(),
        reason,
    };
    // A symlink is written through: the target changes, the link stays.
    let target: PathBuf = fs::canonicalize(path).map_err(|e| io(describe_io(&e)))?;
    let meta = fs::metadata(&target).map_err(|e| io(describe_io(&e)))?;
    if meta.permissions().readonly() {
        return Err(io("file is read-only; not written".into()));
    }
    let current = fs::read(&target).map_err(|e| io(describe_io(&e)))?;
    if current != expected {
        return Err(io(
            "file changed on disk since msb read it; not written".into()
        ));
    }
    let dir = target.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".msb-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| {
            io(format!(
                "cannot create a temporary file next to it: {}",
                describe_io(&e)
            ))
        })?;
    tmp.write_all(new)
        .map_err(|e| io(format!("writing the temporary file: {}", describe_io(&e))))?;
    fs::set_permissions(tmp.path(), meta.permissions())
        .map_err(|e| io(format!("keeping permissions: {}", describe_io(&e))))?;
    keep_owner(tmp.as_file(), &meta);
    tmp.as_file()
        .sync_all()
        .map_err(|e| io(format!("fsync: {}", describe_io(&e))))?;
    tmp.persist(&target)
        .map_err(|e| io(format!("renaming into place: {}", describe_io(&e.error))))?;
    // Make the rename itself durable.
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Write a file msb owns (a report): through a temporary file and a
/// rename, so a reader never sees half of it.
pub fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".msb-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(unix)]
fn keep_owner(file: &fs::File, meta: &fs::Metadata) {
    use std::os::unix::fs::MetadataExt;
    // Only root may give a file away; for anyone else the new file is
    // already theirs, like the old one (or the call fails harmlessly).
    let _ = std::os::unix::fs::fchown(file, Some(meta.uid()), Some(meta.gid()));
}

#[cfg(not(unix))]
fn keep_owner(_file: &fs::File, _meta: &fs::Metadata) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_refuses_changed_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("Dockerfile");
        fs::write(&p, "old").unwrap();
        write_atomic(&p, b"old", b"new").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"new");
        let err = write_atomic(&p, b"old", b"newer").unwrap_err().to_string();
        assert!(err.contains("changed on disk"), "{err}");
        assert_eq!(fs::read(&p).unwrap(), b"new");
    }

    #[cfg(unix)]
    #[test]
    fn keeps_mode_and_symlink() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real");
        fs::write(&real, "a").unwrap();
        fs::set_permissions(&real, fs::Permissions::from_mode(0o640)).unwrap();
        let link = dir.path().join("Dockerfile");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        write_atomic(&link, b"a", b"b").unwrap();
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read(&real).unwrap(), b"b");
        assert_eq!(
            fs::metadata(&real).unwrap().permissions().mode() & 0o777,
            0o640
        );
    }
}
