//! Unified diffs with `a/PATH` and `b/PATH` headers relative to the
//! working directory, so `git apply` and `patch -p1` take them.

use std::path::{Component, Path, PathBuf};

use similar::TextDiff;

/// The path as messages and diffs name it: relative to `cwd` when inside
/// it (no leading `./`), else as given.
pub fn display_path(path: &Path, cwd: &Path) -> String {
    let rel = if path.is_absolute() {
        path.strip_prefix(cwd).unwrap_or(path)
    } else {
        path
    };
    // A path already in normal form (the walker's are) is shown as it is:
    // this runs once per file found, before any file is migrated.
    if let Some(text) = rel.to_str()
        && is_normal(text)
    {
        return text.to_string();
    }
    normalise(rel).to_string_lossy().to_string()
}

/// Whether `normalise` gives `path` back unchanged: not empty, no `.`
/// component, no doubled or trailing `/`.
fn is_normal(path: &str) -> bool {
    !path.is_empty()
        && path != "."
        && !path.starts_with("./")
        && !path.ends_with('/')
        && !path.ends_with("/.")
        && !path.contains("//")
        && !path.contains("/./")
}

/// Drop `.` components, so `./app/Dockerfile` and `app/Dockerfile` are
/// one file (symlinks are not resolved: a link stays a name of its own).
pub fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        if c != Component::CurDir {
            out.push(c.as_os_str());
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

/// A unified diff of `old` → `new`, empty when they are equal.
pub fn unified(old: &str, new: &str, name: &str) -> String {
    if old == new {
        return String::new();
    }
    TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(
            &format!("a/{}", name.trim_start_matches('/')),
            &format!("b/{}", name.trim_start_matches('/')),
        )
        .to_string()
}

/// ANSI colours for a terminal: additions green, removals red, hunks cyan.
pub fn colourise(diff: &str) -> String {
    let mut out = String::with_capacity(diff.len() + 64);
    for line in diff.split_inclusive('\n') {
        let colour = if line.starts_with("+++") || line.starts_with("---") {
            "\x1b[1m"
        } else if line.starts_with('+') {
            "\x1b[32m"
        } else if line.starts_with('-') {
            "\x1b[31m"
        } else if line.starts_with("@@") {
            "\x1b[36m"
        } else {
            ""
        };
        if colour.is_empty() {
            out.push_str(line);
        } else {
            let body = line.trim_end_matches(['\n', '\r']);
            out.push_str(colour);
            out.push_str(body);
            out.push_str("\x1b[0m");
            out.push_str(&line[body.len()..]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_paths_are_normalised() {
        let cwd = Path::new("/srv/repo");
        for (path, shown) in [
            ("/srv/repo/app/Dockerfile", "app/Dockerfile"),
            ("/elsewhere/Dockerfile", "/elsewhere/Dockerfile"),
            ("./app/Dockerfile", "app/Dockerfile"),
            ("app/./Dockerfile", "app/Dockerfile"),
            ("app//Dockerfile", "app/Dockerfile"),
            ("app/", "app"),
            ("app/.", "app"),
            (".", "."),
            ("Dockerfile", "Dockerfile"),
        ] {
            assert_eq!(display_path(Path::new(path), cwd), shown, "{path}");
            assert_eq!(
                display_path(Path::new(path), cwd),
                normalise(Path::new(path).strip_prefix(cwd).unwrap_or(Path::new(path)))
                    .to_string_lossy(),
                "{path}"
            );
        }
    }

    #[test]
    fn headers_are_relative() {
        let d = unified(
            "a\n",
            "b\n",
            &display_path(Path::new("./x/Dockerfile"), Path::new("/w")),
        );
        assert!(
            d.starts_with("--- a/x/Dockerfile\n+++ b/x/Dockerfile\n"),
            "{d}"
        );
        assert_eq!(display_path(Path::new("/w/y/D"), Path::new("/w")), "y/D");
        assert_eq!(
            display_path(Path::new("/elsewhere/D"), Path::new("/w")),
            "/elsewhere/D"
        );
        assert_eq!(unified("same", "same", "x"), "");
    }

    #[test]
    fn missing_final_newline_is_marked() {
        let d = unified("a", "b", "D");
        assert!(d.contains("\\ No newline at end of file"), "{d}");
    }
}
