//! Finding Dockerfiles: given files are taken as they are; folders are
//! walked in parallel with the `ignore` crate (`.gitignore` respected
//! unless `--no-ignore`) for the names Docker and Podman build by default
//! or by convention, filtered by `--include`/`--exclude` globs (read as
//! ripgrep and .gitignore read them, see [`crate::globs`]). Symlinked
//! folders are not followed, and a symlinked Dockerfile is taken only when
//! it points inside the folder being searched.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use ignore::{DirEntry, WalkBuilder, WalkState};

use crate::error::MsbError;
use crate::globs::{self, Globs};
use crate::source::describe_io;

/// `Dockerfile`, `Dockerfile.*`, `*.Dockerfile`, `*.dockerfile`,
/// `Containerfile` (not `*.dockerignore`).
pub fn is_dockerfile_name(name: &str) -> bool {
    // `Dockerfile.md` is documentation, not a Dockerfile.
    const NOT_DOCKERFILES: &[&str] = &[
        ".dockerignore",
        ".md",
        ".txt",
        ".rst",
        ".json",
        ".yml",
        ".yaml",
        ".toml",
        ".sh",
        ".ps1",
        ".py",
        ".bak",
        ".orig",
        ".rej",
        ".swp",
        ".patch",
        ".diff",
        ".lock",
        ".tmp",
    ];
    if NOT_DOCKERFILES.iter().any(|ext| name.ends_with(ext)) {
        return false;
    }
    name == "Dockerfile"
        || name == "Containerfile"
        || name.starts_with("Dockerfile.")
        || name.ends_with(".Dockerfile")
        || name.ends_with(".dockerfile")
}

/// The reason given for a folder with no Dockerfile in it.
pub const NO_DOCKERFILE: &str = "no Dockerfile found in this folder";

/// What to search and how.
#[derive(Debug, Clone, Default)]
pub struct Search {
    /// Files and folders, as given.
    pub roots: Vec<PathBuf>,
    /// A Dockerfile is taken only when its path from the root searched, or
    /// a folder above it, matches one of these (none: every Dockerfile).
    pub include: Globs,
    /// Files and folders to leave out, with the folder each set is
    /// relative to.
    pub exclude: Vec<Excludes>,
    /// Search what `.gitignore` and friends hide, too.
    pub no_ignore: bool,
    /// Walker threads (0: as many as the machine has).
    pub jobs: usize,
}

/// Patterns of files and folders to leave out.
#[derive(Debug, Clone, Default)]
pub struct Excludes {
    pub globs: Globs,
    /// The folder the patterns are written from (an `msb.toml`'s own,
    /// canonical), as .gitignore patterns are from the file's folder;
    /// `None`: the root searched (the command line, `--config`).
    pub base: Option<PathBuf>,
}

/// A Dockerfile found, with the root it was found under.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Found {
    pub path: PathBuf,
    pub root: PathBuf,
}

/// The Dockerfiles of a search, sorted by path, or an error per bad root.
pub fn find(search: &Search) -> (Vec<Found>, Vec<MsbError>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for root in &search.roots {
        match std::fs::metadata(root) {
            Err(e) => errors.push(MsbError::Io {
                path: root.clone(),
                reason: describe_io(&e),
            }),
            Ok(m) if m.is_dir() => match walk_dir(root, search) {
                Ok(found) if found.is_empty() => errors.push(MsbError::Io {
                    path: root.clone(),
                    reason: NO_DOCKERFILE.into(),
                }),
                Ok(found) => files.extend(found),
                Err(e) => errors.push(e),
            },
            Ok(_) => files.push(Found {
                path: crate::diff::normalise(root),
                root: root.clone(),
            }),
        }
    }
    files.sort();
    // The paths are normalised: equal paths are equal bytes, compared
    // without splitting them into components.
    files.dedup_by(|a, b| a.path.as_os_str() == b.path.as_os_str());
    (files, errors)
}

/// What a walk of one folder takes and leaves out, entry by entry.
struct Picker {
    dir: PathBuf,
    canonical_root: PathBuf,
    /// Each set of excludes with the path from its folder to this root.
    excludes: Vec<(PathBuf, Globs)>,
    include: Globs,
}

impl Picker {
    fn new(dir: &Path, search: &Search) -> Result<Picker, MsbError> {
        let canonical_root = dir.canonicalize().map_err(|e| MsbError::Io {
            path: dir.to_path_buf(),
            reason: describe_io(&e),
        })?;
        let excludes = search
            .exclude
            .iter()
            .filter(|e| !e.globs.is_empty())
            .map(|e| {
                let prefix = e
                    .base
                    .as_ref()
                    .and_then(|b| canonical_root.strip_prefix(b).ok())
                    .map(Path::to_path_buf)
                    .unwrap_or_default();
                (prefix, e.globs.clone())
            })
            .collect();
        Ok(Picker {
            dir: dir.to_path_buf(),
            canonical_root,
            excludes,
            include: search.include.clone(),
        })
    }

    /// The walker's settings: hidden folders (.devcontainer, .git) are not
    /// searched; .gitignore is respected even outside a git checkout.
    fn walker(&self, search: &Search) -> WalkBuilder {
        let mut builder = WalkBuilder::new(&self.dir);
        builder
            .require_git(false)
            .standard_filters(!search.no_ignore)
            .hidden(true)
            .follow_links(false);
        builder
    }

    /// Only excludes and includes need the path from the root: a
    /// component-wise strip_prefix per entry was a tenth of the walk.
    fn rel<'e>(&self, entry: &'e DirEntry) -> &'e Path {
        entry.path().strip_prefix(&self.dir).unwrap_or(entry.path())
    }

    /// An excluded folder is not entered at all.
    fn excluded(&self, entry: &DirEntry) -> bool {
        let Some(file_type) = entry.file_type() else {
            return false;
        };
        entry.depth() > 0
            && self.excludes.iter().any(|(prefix, g)| {
                g.matches_here_or_above(&globs::joined(prefix, self.rel(entry)), file_type.is_dir())
            })
    }

    /// The entry as a Dockerfile to take, if it is one.
    fn take(&self, entry: &DirEntry) -> Option<Found> {
        let file_type = entry.file_type()?;
        if !is_dockerfile_name(&entry.file_name().to_string_lossy()) {
            return None;
        }
        if !self.include.is_empty() && !self.include.matches_here_or_above(self.rel(entry), false) {
            return None;
        }
        let inside = if file_type.is_symlink() {
            // A link out of the searched folder is not ours to touch.
            entry
                .path()
                .canonicalize()
                .is_ok_and(|t| t.starts_with(&self.canonical_root) && t.is_file())
        } else {
            file_type.is_file()
        };
        inside.then(|| Found {
            path: crate::diff::normalise(entry.path()),
            root: self.dir.clone(),
        })
    }
}

fn walk_dir(dir: &Path, search: &Search) -> Result<Vec<Found>, MsbError> {
    let picker = Picker::new(dir, search)?;
    let found = Mutex::new(Vec::new());
    picker
        .walker(search)
        .threads(search.jobs)
        .build_parallel()
        .run(|| {
            let (found, picker) = (&found, &picker);
            Box::new(move |entry| {
                let Ok(entry) = entry else {
                    return WalkState::Continue;
                };
                if picker.excluded(&entry) {
                    return WalkState::Skip;
                }
                if let Some(f) = picker.take(&entry) {
                    found.lock().expect("walker lock").push(f);
                }
                WalkState::Continue
            })
        });
    Ok(found.into_inner().expect("walker lock"))
}

/// The Dockerfiles under one root (a folder, or a file taken as it is)
/// handed to `found` one at a time, in path order, while the walk goes
/// on: one walker whose every folder's entries are sorted by name visits
/// them in the order of their sorted paths, so the caller can start on
/// the first before the last is found. The error for a bad root, or for
/// a folder with no Dockerfile, as [`find`] gives it.
pub fn each_sorted(
    root: &Path,
    search: &Search,
    found: &mut dyn FnMut(Found),
) -> Result<(), MsbError> {
    let metadata = std::fs::metadata(root).map_err(|e| MsbError::Io {
        path: root.to_path_buf(),
        reason: describe_io(&e),
    })?;
    if !metadata.is_dir() {
        found(Found {
            path: crate::diff::normalise(root),
            root: root.to_path_buf(),
        });
        return Ok(());
    }
    let picker = Arc::new(Picker::new(root, search)?);
    let filter = Arc::clone(&picker);
    let walk = picker
        .walker(search)
        .sort_by_file_name(|a, b| a.cmp(b))
        .filter_entry(move |entry| !filter.excluded(entry))
        .build();
    let mut any = false;
    for entry in walk.flatten() {
        if let Some(f) = picker.take(&entry) {
            any = true;
            found(f);
        }
    }
    if !any {
        return Err(MsbError::Io {
            path: root.to_path_buf(),
            reason: NO_DOCKERFILE.into(),
        });
    }
    Ok(())
}

/// Repository folders from a `--repos-file`: one path per line, `#`
/// comments and blank lines ignored, relative paths taken from the file's
/// own folder.
pub fn read_repos_file(path: &Path) -> Result<Vec<PathBuf>, MsbError> {
    let text = std::fs::read_to_string(path).map_err(|e| MsbError::Io {
        path: path.to_path_buf(),
        reason: describe_io(&e),
    })?;
    let base = path.parent().unwrap_or(Path::new(""));
    Ok(text
        .lines()
        .map(|l| l.split_once(" #").map_or(l, |(p, _)| p).trim())
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let p = Path::new(l);
            if p.is_absolute() {
                p.to_path_buf()
            } else {
                crate::diff::normalise(&base.join(p))
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for yes in [
            "Dockerfile",
            "Dockerfile.prod",
            "api.Dockerfile",
            "x.dockerfile",
            "Containerfile",
        ] {
            assert!(is_dockerfile_name(yes), "{yes}");
        }
        for no in [
            "Dockerfile.dockerignore",
            "dockerfile.md",
            "Dockerfile.md",
            "README",
            "Dockerfiles",
        ] {
            assert!(!is_dockerfile_name(no), "{no}");
        }
    }

    #[test]
    fn the_sorted_walk_finds_what_find_finds_in_the_same_order() {
        let dir = tempfile::tempdir().unwrap();
        for rel in [
            "b/Dockerfile",
            "a-b/Dockerfile",
            "a/b/Dockerfile",
            "a/Dockerfile",
            "a/Dockerfile.prod",
            "A/x.dockerfile",
            "a/node_modules/Dockerfile",
            "c/d/e/Containerfile",
        ] {
            let path = dir.path().join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "FROM x\n").unwrap();
        }
        let search = Search {
            roots: vec![dir.path().to_path_buf()],
            exclude: vec![Excludes {
                globs: Globs::new(&["node_modules".to_string()]).unwrap(),
                base: None,
            }],
            jobs: 2,
            ..Search::default()
        };
        let (found, errors) = find(&search);
        assert!(errors.is_empty());
        let mut streamed = Vec::new();
        each_sorted(dir.path(), &search, &mut |f| streamed.push(f)).unwrap();
        assert_eq!(streamed, found);
        assert_eq!(found.len(), 7);
        let empty = dir.path().join("empty");
        std::fs::create_dir(&empty).unwrap();
        let err = each_sorted(&empty, &search, &mut |_| panic!("nothing to find")).unwrap_err();
        assert!(err.to_string().contains(NO_DOCKERFILE), "{err}");
    }

    #[test]
    fn repos_file_lines() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("repos.txt");
        std::fs::write(&file, "# fleet\nsvc-a\n\n  svc-b  # payments\n/abs/svc-c\n").unwrap();
        let repos = read_repos_file(&file).unwrap();
        assert_eq!(
            repos,
            vec![
                crate::diff::normalise(&dir.path().join("svc-a")),
                crate::diff::normalise(&dir.path().join("svc-b")),
                PathBuf::from("/abs/svc-c"),
            ]
        );
    }
}
