//! Finding Dockerfiles: given files are taken as they are; folders are
//! walked with the `ignore` crate (`.gitignore` respected) for the names
//! Docker and Podman build by default or by convention.

use std::path::{Path, PathBuf};

use crate::error::MsbError;
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

/// The Dockerfiles under `paths`, sorted, or an error per bad path.
pub fn find(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<MsbError>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        match std::fs::metadata(path) {
            Err(e) => errors.push(MsbError::Io {
                path: path.clone(),
                reason: describe_io(&e),
            }),
            Ok(m) if m.is_dir() => {
                let found = walk_dir(path);
                if found.is_empty() {
                    errors.push(MsbError::Io {
                        path: path.clone(),
                        reason: "no Dockerfile found in this folder".into(),
                    });
                }
                files.extend(found);
            }
            Ok(_) => files.push(crate::diff::normalise(path)),
        }
    }
    files.sort();
    files.dedup();
    (files, errors)
}

fn walk_dir(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    // .gitignore is respected even outside a git checkout; hidden folders
    // (.devcontainer, .git) are not searched.
    for entry in ignore::WalkBuilder::new(dir)
        .require_git(false)
        .build()
        .flatten()
    {
        let is_file = entry
            .file_type()
            .is_some_and(|t| t.is_file() || t.is_symlink());
        if is_file && is_dockerfile_name(&entry.file_name().to_string_lossy()) {
            found.push(crate::diff::normalise(entry.path()));
        }
    }
    found
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
}
