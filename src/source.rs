//! Reading a Dockerfile and giving analysis read-only access to its build
//! context. Nothing here runs anything; context files are read with a size
//! cap so a hostile repository cannot exhaust memory.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::MsbError;

/// The line ending a file uses; new lines msb writes use the same one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum LineEnding {
    Lf,
    CrLf,
}

impl LineEnding {
    pub fn as_str(self) -> &'static str {
        match self {
            LineEnding::Lf => "\n",
            LineEnding::CrLf => "\r\n",
        }
    }

    /// The file's ending is the one its first line uses; a one-line file
    /// without a newline counts as LF.
    fn detect(text: &str) -> LineEnding {
        match text.find('\n') {
            Some(i) if i > 0 && text.as_bytes()[i - 1] == b'\r' => LineEnding::CrLf,
            _ => LineEnding::Lf,
        }
    }
}

/// A Dockerfile's text with the byte-level facts that must survive a rewrite.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: PathBuf,
    /// The text without a leading UTF-8 BOM.
    pub text: String,
    pub bom: bool,
    pub line_ending: LineEnding,
}

const BOM: &str = "\u{feff}";

/// Dockerfiles larger than this are refused: no real one comes close, and
/// it bounds the work a hostile input can ask for.
pub const MAX_DOCKERFILE_BYTES: u64 = 16 * 1024 * 1024;

impl SourceFile {
    pub fn read(path: &Path) -> Result<SourceFile, MsbError> {
        let io_err = |reason: String| MsbError::Io {
            path: path.to_path_buf(),
            reason,
        };
        // One open, one fstat, one read: a fleet run reads thousands.
        let file = fs::File::open(path).map_err(|e| io_err(describe_io(&e)))?;
        let meta = file.metadata().map_err(|e| io_err(describe_io(&e)))?;
        if meta.is_dir() {
            return Err(io_err("is a directory".into()));
        }
        if meta.len() > MAX_DOCKERFILE_BYTES {
            return Err(io_err(format!(
                "file is {} bytes; msb reads Dockerfiles up to {} bytes",
                meta.len(),
                MAX_DOCKERFILE_BYTES
            )));
        }
        let bytes = read_all(file, meta.len(), u64::MAX).map_err(|e| io_err(describe_io(&e)))?;
        SourceFile::from_bytes(path, bytes)
    }

    pub fn from_bytes(path: &Path, bytes: Vec<u8>) -> Result<SourceFile, MsbError> {
        let text = String::from_utf8(bytes).map_err(|e| {
            let offset = e.utf8_error().valid_up_to();
            let line = 1 + e.as_bytes()[..offset]
                .iter()
                .filter(|b| **b == b'\n')
                .count();
            MsbError::NotUtf8 {
                path: path.to_path_buf(),
                line,
                offset,
            }
        })?;
        if let Some(pos) = text.find('\0') {
            return Err(MsbError::Parse {
                path: path.to_path_buf(),
                line: 1 + text[..pos].matches('\n').count(),
                reason: "contains a NUL byte: this is not a text Dockerfile".into(),
            });
        }
        let (bom, text) = match text.strip_prefix(BOM) {
            Some(rest) => (true, rest.to_string()),
            None => (false, text),
        };
        let line_ending = LineEnding::detect(&text);
        Ok(SourceFile {
            path: path.to_path_buf(),
            text,
            bom,
            line_ending,
        })
    }

    /// Whether the file ends with a newline (kept as it was on rewrite).
    pub fn final_newline(&self) -> bool {
        self.text.ends_with('\n')
    }

    /// The bytes to write for a new text of this file (BOM restored).
    pub fn bytes_for(&self, text: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(text.len() + 3);
        if self.bom {
            out.extend_from_slice(BOM.as_bytes());
        }
        out.extend_from_slice(text.as_bytes());
        out
    }
}

/// At most `limit` bytes of `file`, read into a buffer sized from the
/// length `fstat` gave: one read call (and one at the end) for a file
/// that did not change, where a growing buffer takes one per doubling.
fn read_all(file: fs::File, len: u64, limit: u64) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(len.min(limit) as usize);
    file.take(limit).read_to_end(&mut buf)?;
    Ok(buf)
}

pub fn describe_io(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// Context files larger than this are not read: manifests are small, and
/// a huge one must not exhaust memory.
pub const MAX_CONTEXT_FILE_BYTES: u64 = 1024 * 1024;

/// Read-only view of the build context (the folder `docker build` is given).
#[derive(Debug)]
pub struct BuildContext {
    pub dir: PathBuf,
    /// The context folder's own entries, read once: the analysis asks
    /// about dozens of manifest names per file, and one listing answers
    /// them all (a fleet run is bound by these system calls).
    top: std::sync::OnceLock<std::collections::BTreeMap<String, EntryKind>>,
    /// Folder listings already read (the analysers list the same folders
    /// several times).
    listings: std::sync::Mutex<std::collections::HashMap<String, Vec<String>>>,
    /// Small files already read (manifests are read by several steps).
    texts: std::sync::Mutex<std::collections::HashMap<String, Option<String>>>,
    /// What paths below the top are, already looked up.
    kinds: std::sync::Mutex<std::collections::HashMap<String, Option<EntryKind>>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EntryKind {
    File,
    Dir,
    Other,
}

impl Clone for BuildContext {
    /// The same folder; what was read is read again when asked.
    fn clone(&self) -> Self {
        BuildContext::new(self.dir.clone())
    }
}

impl BuildContext {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        BuildContext {
            dir: dir.into(),
            top: std::sync::OnceLock::new(),
            listings: std::sync::Mutex::new(std::collections::HashMap::new()),
            texts: std::sync::Mutex::new(std::collections::HashMap::new()),
            kinds: std::sync::Mutex::new(std::collections::HashMap::new()),
        }
    }

    /// A context with no files, for analysing text alone.
    pub fn empty() -> Self {
        BuildContext::new(PathBuf::new())
    }

    /// What a name at the top of the context is, from one listing; None
    /// for a path inside a folder, which is looked up on disk.
    fn top_kind(&self, rel: &str) -> Option<Option<EntryKind>> {
        let rel = without_dot_slash(rel).trim_start_matches('/');
        // Byte tests: asked dozens of times per Dockerfile, and a string
        // searcher per call cost more than the names are long.
        if rel.is_empty()
            || rel == "."
            || rel.bytes().any(|b| b == b'/')
            || self.dir.as_os_str().is_empty()
        {
            return None;
        }
        Some(self.top().get(rel).copied())
    }

    /// The context folder's own entries, listed on first use.
    fn top(&self) -> &std::collections::BTreeMap<String, EntryKind> {
        self.top.get_or_init(|| {
            let mut out = std::collections::BTreeMap::new();
            let Ok(entries) = fs::read_dir(&self.dir) else {
                return out;
            };
            for e in entries.flatten() {
                let Ok(name) = e.file_name().into_string() else {
                    continue;
                };
                let kind = match e.file_type() {
                    // A link is what it points to.
                    Ok(t) if t.is_symlink() => match fs::metadata(e.path()) {
                        Ok(m) if m.is_file() => EntryKind::File,
                        Ok(m) if m.is_dir() => EntryKind::Dir,
                        _ => EntryKind::Other,
                    },
                    Ok(t) if t.is_file() => EntryKind::File,
                    Ok(t) if t.is_dir() => EntryKind::Dir,
                    _ => EntryKind::Other,
                };
                out.insert(name, kind);
            }
            out
        })
    }

    fn resolve(&self, rel: &str) -> Option<PathBuf> {
        if self.dir.as_os_str().is_empty() {
            return None;
        }
        let rel = without_dot_slash(rel).trim_start_matches('/');
        // Never look outside the context, whatever a Dockerfile says.
        if rel.split('/').any(|c| c == "..") {
            return None;
        }
        Some(if rel.is_empty() || rel == "." {
            self.dir.clone()
        } else {
            self.dir.join(rel)
        })
    }

    /// The text of a small file in the context, or None if it is missing,
    /// too large, or not UTF-8.
    pub fn read_small(&self, rel: &str) -> Option<String> {
        let key = without_dot_slash(rel);
        remembered(&self.texts, key, || self.read_small_uncached(rel))
    }

    fn read_small_uncached(&self, rel: &str) -> Option<String> {
        if self.top_kind(rel) == Some(None) || self.missing_above(rel) {
            return None;
        }
        let path = self.resolve(rel)?;
        let file = fs::File::open(&path).ok()?;
        let meta = file.metadata().ok()?;
        if !meta.is_file() || meta.len() > MAX_CONTEXT_FILE_BYTES {
            return None;
        }
        let buf = read_all(file, meta.len(), MAX_CONTEXT_FILE_BYTES + 1).ok()?;
        if buf.len() as u64 > MAX_CONTEXT_FILE_BYTES {
            return None;
        }
        String::from_utf8(buf).ok()
    }

    pub fn is_file(&self, rel: &str) -> bool {
        match self.top_kind(rel) {
            Some(kind) => kind == Some(EntryKind::File),
            None => self.nested_kind(rel) == Some(EntryKind::File),
        }
    }

    pub fn is_dir(&self, rel: &str) -> bool {
        match self.top_kind(rel) {
            Some(kind) => kind == Some(EntryKind::Dir),
            None => self.nested_kind(rel) == Some(EntryKind::Dir),
        }
    }

    /// What a path below the top of the context is (None: nothing there),
    /// from one `stat`, remembered: analysers probe the same paths
    /// (`src/main/resources/application.yml`) many times per file.
    fn nested_kind(&self, rel: &str) -> Option<EntryKind> {
        if self.missing_above(rel) {
            return None;
        }
        let key = without_dot_slash(rel).trim_start_matches('/');
        remembered(&self.kinds, key, || {
            let meta = fs::metadata(self.resolve(rel)?).ok()?;
            Some(if meta.is_file() {
                EntryKind::File
            } else if meta.is_dir() {
                EntryKind::Dir
            } else {
                EntryKind::Other
            })
        })
    }

    /// Whether `rel` is below a first folder the context does not have
    /// (`src/main/x` with no `src/`), known from the top listing alone.
    fn missing_above(&self, rel: &str) -> bool {
        let rel = without_dot_slash(rel).trim_start_matches('/');
        match rel.split_once('/') {
            Some((first, _)) if !first.is_empty() && first != "." && first != ".." => {
                self.top_kind(first) != Some(Some(EntryKind::Dir))
            }
            _ => false,
        }
    }

    /// Names of the entries of a folder in the context, sorted.
    pub fn list(&self, rel: &str) -> Vec<String> {
        let key = without_dot_slash(rel).trim_end_matches('/');
        remembered(&self.listings, key, || self.read_listing(rel))
    }

    fn read_listing(&self, rel: &str) -> Vec<String> {
        // The folder itself: the listing top_kind reads (sorted, as the
        // map's keys are), not a second one.
        let own = without_dot_slash(rel).trim_end_matches('/');
        if own.is_empty() || own == "." {
            return self.top().keys().cloned().collect();
        }
        if self.top_kind(rel) == Some(None) || self.missing_above(rel) {
            return Vec::new();
        }
        let Some(path) = self.resolve(rel) else {
            return Vec::new();
        };
        let Ok(entries) = fs::read_dir(path) else {
            return Vec::new();
        };
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().into_string().ok())
            .collect();
        names.sort();
        names
    }
}

/// The value `key` had, or `read`'s, remembered for the next time.
fn remembered<T: Clone>(
    memory: &std::sync::Mutex<std::collections::HashMap<String, T>>,
    key: &str,
    read: impl FnOnce() -> T,
) -> T {
    if let Some(known) = memory.lock().ok().and_then(|m| m.get(key).cloned()) {
        return known;
    }
    let value = read();
    if let Ok(mut m) = memory.lock() {
        m.insert(key.to_string(), value.clone());
    }
    value
}

/// `rel` without its leading `./` (any number of them), as
/// `trim_start_matches("./")` gives, without a string searcher: the
/// context is asked about names hundreds of times per Dockerfile.
pub fn without_dot_slash(mut rel: &str) -> &str {
    while let Some(rest) = rel.strip_prefix("./") {
        rel = rest;
    }
    rel
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_crlf_and_bom() {
        let f = SourceFile::from_bytes(Path::new("D"), b"\xef\xbb\xbfFROM a\r\nRUN b".to_vec())
            .unwrap();
        assert!(f.bom);
        assert_eq!(f.line_ending, LineEnding::CrLf);
        assert!(!f.final_newline());
        assert_eq!(f.bytes_for(&f.text), b"\xef\xbb\xbfFROM a\r\nRUN b");
    }

    #[test]
    fn rejects_non_utf8_with_line() {
        let err = SourceFile::from_bytes(Path::new("D"), b"FROM a\nRUN \xff\n".to_vec())
            .unwrap_err()
            .to_string();
        assert_eq!(err, "D:2: not valid UTF-8 (byte offset 11)");
    }

    #[test]
    fn rejects_nul() {
        let err = SourceFile::from_bytes(Path::new("D"), b"FROM a\n\0".to_vec())
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("D:2: contains a NUL byte"), "{err}");
    }
}
