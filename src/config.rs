//! `msb.toml`: a repository's own defaults for msb (or `--config FILE`
//! for every repository of a run). Flags given on the command line win.
//!
//! ```toml
//! runtime = "distroless"   # slim | alpine | distroless: preferred final base
//! exclude = ["legacy/**"]  # globs of Dockerfiles to leave out
//! unsafe = false           # also apply unsafe decisions
//! unprivileged_ports = true  # the runtime lets non-root bind ports < 1024
//!
//! [user]                   # the user msb creates in the final stage
//! name = "svc"
//! uid = 20000
//! ```
//!
//! An unknown key is an error naming the file, the line and the key, so a
//! typo never silently changes nothing.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::MsbError;
use crate::globs::{BadGlob, Globs};

pub const FILE_NAME: &str = "msb.toml";

/// Which kind of final base a team prefers, among those msb can stand
/// behind: the preference never overrides a libc or a shell the app needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RuntimePreference {
    /// Debian slim (or the language's slim image).
    Slim,
    /// Alpine, where the binary does not link glibc.
    Alpine,
    /// Distroless, where nothing needs a shell (the default for Go).
    Distroless,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub runtime: Option<RuntimePreference>,
    pub user: Option<UserConfig>,
    #[serde(default)]
    pub exclude: Vec<String>,
    #[serde(rename = "unsafe")]
    pub allow_unsafe: Option<bool>,
    /// The fleet's container runtime lets a non-root user bind ports below
    /// 1024: Docker 20.10+, containerd 2.0 and CRI-O do by default;
    /// Kubernetes does with the `net.ipv4.ip_unprivileged_port_start=0`
    /// sysctl. Then `EXPOSE 80` as non-root is safe for that fleet.
    pub unprivileged_ports: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserConfig {
    pub name: Option<String>,
    pub uid: Option<u32>,
}

impl Config {
    pub fn read(path: &Path) -> Result<Config, MsbError> {
        let io = |e: std::io::Error| MsbError::Io {
            path: path.to_path_buf(),
            reason: crate::source::describe_io(&e),
        };
        // A repository's own file: read with the same cap as the build
        // context's files, so a hostile one cannot exhaust memory.
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(
            &mut std::io::Read::take(
                std::fs::File::open(path).map_err(io)?,
                crate::source::MAX_CONTEXT_FILE_BYTES + 1,
            ),
            &mut bytes,
        )
        .map_err(io)?;
        if bytes.len() as u64 > crate::source::MAX_CONTEXT_FILE_BYTES {
            return Err(MsbError::Config {
                path: path.to_path_buf(),
                line: 1,
                reason: "larger than 1 MiB: not a configuration file msb reads".into(),
            });
        }
        let text = String::from_utf8(bytes).map_err(|_| MsbError::Config {
            path: path.to_path_buf(),
            line: 1,
            reason: "not valid UTF-8".into(),
        })?;
        let config: Config = toml::from_str(&text).map_err(|e| {
            let line = e.span().map_or(1, |s| {
                text[..s.start.min(text.len())].matches('\n').count() + 1
            });
            MsbError::Config {
                path: path.to_path_buf(),
                line,
                reason: e.message().trim().to_string(),
            }
        })?;
        // A bad glob is said here, with its line, not once per folder.
        config.exclude_globs().map_err(|e| MsbError::Config {
            path: path.to_path_buf(),
            line: text
                .lines()
                .position(|l| l.contains(&e.pattern))
                .map_or(1, |i| i + 1),
            reason: format!("exclude {e}"),
        })?;
        Ok(config)
    }

    /// `exclude`, compiled.
    pub fn exclude_globs(&self) -> Result<Globs, BadGlob> {
        Globs::new(&self.exclude)
    }
}

/// The `msb.toml` that governs `root`: in it, or in a folder above it up
/// to the repository's top (the folder with `.git`).
pub fn find_for(root: &Path) -> Option<PathBuf> {
    // `Dockerfile`'s parent is the empty path: the current folder.
    let start = match root.parent() {
        _ if root.is_dir() => root,
        Some(p) if p.as_os_str().is_empty() => Path::new("."),
        p => p?,
    };
    let start = start.canonicalize().ok()?;
    for dir in start.ancestors() {
        let candidate = dir.join(FILE_NAME);
        if candidate.is_file() {
            return Some(candidate);
        }
        if dir.join(".git").exists() {
            return None;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        std::fs::write(
            &path,
            "runtime = \"alpine\"\nexclude = [\"legacy/**\"]\nunsafe = true\n[user]\nname = \"svc\"\nuid = 20000\n",
        )
        .unwrap();
        let c = Config::read(&path).unwrap();
        assert_eq!(c.runtime, Some(RuntimePreference::Alpine));
        assert_eq!(c.exclude, vec!["legacy/**".to_string()]);
        assert_eq!(c.allow_unsafe, Some(true));
        let user = c.user.unwrap();
        assert_eq!(user.name.as_deref(), Some("svc"));
        assert_eq!(user.uid, Some(20000));
    }

    #[test]
    fn unknown_key_names_file_line_and_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        std::fs::write(
            &path,
            "runtime = \"slim\"\n\n[user]\nuid = 1\nshell = \"bash\"\n",
        )
        .unwrap();
        let e = Config::read(&path).unwrap_err();
        let text = e.to_string();
        assert!(text.contains("msb.toml:5:"), "{text}");
        assert!(text.contains("unknown field `shell`"), "{text}");
    }

    #[test]
    fn a_bad_exclude_glob_names_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        std::fs::write(
            &path,
            "runtime = \"slim\"\nexclude = [\"legacy/**\",\n  \"svc[\"]\n",
        )
        .unwrap();
        let text = Config::read(&path).unwrap_err().to_string();
        assert!(
            text.contains("msb.toml:3: exclude `svc[`: not a valid glob"),
            "{text}"
        );
    }

    #[test]
    fn found_up_to_the_repository_top() {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join("repo");
        std::fs::create_dir_all(repo.join(".git")).unwrap();
        std::fs::create_dir_all(repo.join("svc/api")).unwrap();
        std::fs::write(repo.join(FILE_NAME), "").unwrap();
        assert_eq!(
            find_for(&repo.join("svc/api")),
            Some(repo.canonicalize().unwrap().join(FILE_NAME))
        );
        // Above the repository top, nothing is looked at.
        std::fs::write(dir.path().join(FILE_NAME), "").unwrap();
        std::fs::remove_file(repo.join(FILE_NAME)).unwrap();
        assert_eq!(find_for(&repo.join("svc/api")), None);
    }
}
