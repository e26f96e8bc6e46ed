//! Finding Dockerfiles: given files are taken as they are; folders are
//! walked in parallel with the `ignore` crate (`.gitignore` respected
//! unless `--no-ignore`) for the names Docker and Podman build by default
//! or by convention, filtered by `--include`/`--exclude` globs (read as
//! ripgrep and .gitignore read them, see [`crate::globs`]). Symlinked
//! folders are not followed, and a symlinked Dockerfile is taken only when
//! it points inside the folder being searched.

use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;

use ignore::{WalkBuilder, WalkState};

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
    // By path, then root (both sorts keep the order of equal items).
    files.sort_by(|a, b| a.root.cmp(&b.root));
    sort_by_path(&mut files, |f| &f.path);
    // The paths are normalised: equal paths are equal bytes, compared
    // without splitting them into components.
    files.dedup_by(|a, b| a.path.as_os_str() == b.path.as_os_str());
    (files, errors)
}

/// Sort `items` by their paths (`Path`'s order, component by component),
/// keeping the order of equal ones. Comparing components parses both
/// paths on every comparison, which made sorting a fleet's paths cost
/// about as much as walking it; for paths of plain names (no `.` or `..`)
/// the bytes with `/` as the least byte compare the same way, and they
/// are compared instead.
pub fn sort_by_path<T>(items: &mut [T], path: impl Fn(&T) -> &Path) {
    let plain = |p: &Path| {
        p.components()
            .all(|c| matches!(c, Component::Normal(_) | Component::RootDir))
    };
    if items.iter().all(|i| plain(path(i))) {
        items.sort_by_cached_key(|i| {
            let bytes = path(i).as_os_str().as_encoded_bytes();
            bytes
                .iter()
                .map(|&b| if b == b'/' { 0 } else { b })
                .collect::<Vec<u8>>()
        });
    } else {
        items.sort_by(|a, b| path(a).cmp(path(b)));
    }
}

fn walk_dir(dir: &Path, search: &Search) -> Result<Vec<Found>, MsbError> {
    let canonical_root = dir.canonicalize().map_err(|e| MsbError::Io {
        path: dir.to_path_buf(),
        reason: describe_io(&e),
    })?;
    // Each set of excludes with the path from its folder to this root.
    let excludes: Vec<(PathBuf, &Globs)> = search
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
            (prefix, &e.globs)
        })
        .collect();
    let found = Mutex::new(Vec::new());
    // Hidden folders (.devcontainer, .git) are not searched; .gitignore is
    // respected even outside a git checkout.
    WalkBuilder::new(dir)
        .require_git(false)
        .standard_filters(!search.no_ignore)
        .hidden(true)
        .follow_links(false)
        .threads(search.jobs)
        .build_parallel()
        .run(|| {
            let found = &found;
            let canonical_root = &canonical_root;
            let excludes = &excludes;
            Box::new(move |entry| {
                let Ok(entry) = entry else {
                    return WalkState::Continue;
                };
                let Some(file_type) = entry.file_type() else {
                    return WalkState::Continue;
                };
                // Only excludes and includes need the path from the root:
                // a component-wise strip_prefix per entry was a tenth of
                // the walk.
                let rel = || entry.path().strip_prefix(dir).unwrap_or(entry.path());
                // An excluded folder is not entered at all.
                if entry.depth() > 0
                    && excludes.iter().any(|(prefix, g)| {
                        g.matches_here_or_above(&globs::joined(prefix, rel()), file_type.is_dir())
                    })
                {
                    return WalkState::Skip;
                }
                let name = entry.file_name().to_string_lossy();
                if !is_dockerfile_name(&name) {
                    return WalkState::Continue;
                }
                if !search.include.is_empty() && !search.include.matches_here_or_above(rel(), false)
                {
                    return WalkState::Continue;
                }
                let inside = if file_type.is_symlink() {
                    // A link out of the searched folder is not ours to touch.
                    entry
                        .path()
                        .canonicalize()
                        .is_ok_and(|t| t.starts_with(canonical_root) && t.is_file())
                } else {
                    file_type.is_file()
                };
                if inside {
                    found.lock().expect("walker lock").push(Found {
                        path: crate::diff::normalise(entry.path()),
                        root: dir.to_path_buf(),
                    });
                }
                WalkState::Continue
            })
        });
    Ok(found.into_inner().expect("walker lock"))
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
    fn sorted_by_path_as_paths_sort() {
        let cases: &[&[&str]] = &[
            &[
                "a/b",
                "a-b",
                "a/b/c",
                "a",
                "/x",
                "a.b/c",
                "a/Dockerfile",
                "A/x",
                "b",
                "ab",
            ],
            &["../x/Dockerfile", "-y/Dockerfile", "./z", "a/./b", "a/b"],
        ];
        for case in cases {
            let mut expected: Vec<&Path> = case.iter().map(Path::new).collect();
            expected.sort();
            let mut sorted: Vec<&Path> = case.iter().map(Path::new).collect();
            sort_by_path(&mut sorted, |p| p);
            assert_eq!(sorted, expected, "{case:?}");
        }
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
