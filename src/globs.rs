//! `--include`, `--exclude` and `msb.toml`'s `exclude`: globs read as
//! ripgrep's `-g` and `.gitignore` read them, with the `globset` crate
//! that ripgrep itself uses, so a pattern means in msb what it means
//! there: `*`, `?` and `[abc]` stay within one path component, `**`
//! crosses any number of them, `{a,b}` is either. A pattern with no `/`
//! (other than a trailing one) matches a name at any depth (`web`,
//! `Dockerfile.*`); one with a `/` is taken from the folder it is relative
//! to (`services/*/Dockerfile`, `/legacy`); a trailing `/` matches folders
//! only. A pattern that matches a folder matches everything in it.

use std::path::{Component, Path};

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

/// A pattern that is not a glob, with globset's reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadGlob {
    pub pattern: String,
    pub reason: String,
}

impl std::fmt::Display for BadGlob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "`{}`: not a valid glob: {}", self.pattern, self.reason)
    }
}

/// A set of patterns, compiled once for the whole walk.
#[derive(Clone, Default)]
pub struct Globs {
    patterns: Vec<String>,
    /// Patterns that match files and folders.
    any: GlobSet,
    /// Patterns with a trailing `/`: folders only.
    folders: GlobSet,
}

impl std::fmt::Debug for Globs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Globs").field(&self.patterns).finish()
    }
}

impl Globs {
    pub fn new(patterns: &[String]) -> Result<Globs, BadGlob> {
        let mut any = GlobSetBuilder::new();
        let mut folders = GlobSetBuilder::new();
        for pattern in patterns {
            let (glob, folders_only) = translate(pattern)?;
            let bad = |reason: String| BadGlob {
                pattern: pattern.clone(),
                reason,
            };
            // `*` must not cross `/`, as in .gitignore; `\` escapes.
            let compiled = GlobBuilder::new(&glob)
                .literal_separator(true)
                .backslash_escape(true)
                .build()
                .map_err(|e| bad(e.kind().to_string()))?;
            if folders_only {
                folders.add(compiled);
            } else {
                any.add(compiled);
            }
        }
        let build = |b: GlobSetBuilder| {
            b.build().map_err(|e| BadGlob {
                pattern: patterns.join(" "),
                reason: e.kind().to_string(),
            })
        };
        Ok(Globs {
            patterns: patterns.to_vec(),
            any: build(any)?,
            folders: build(folders)?,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Whether `rel` itself (a path from the patterns' folder, `/`
    /// separated) matches.
    pub fn matches(&self, rel: &Path, is_dir: bool) -> bool {
        self.any.is_match(rel) || (is_dir && self.folders.is_match(rel))
    }

    /// Whether `rel` or a folder above it (up to the patterns' folder)
    /// matches: `--include services` takes every Dockerfile in services/.
    pub fn matches_here_or_above(&self, rel: &Path, is_dir: bool) -> bool {
        if self.matches(rel, is_dir) {
            return true;
        }
        rel.ancestors()
            .skip(1)
            .filter(|a| !a.as_os_str().is_empty())
            .any(|a| self.matches(a, true))
    }
}

/// The globset glob for a pattern, and whether it matches folders only.
fn translate(pattern: &str) -> Result<(String, bool), BadGlob> {
    let mut p = pattern.trim();
    let folders_only = p.ends_with('/');
    p = p.trim_end_matches('/');
    p = p.strip_prefix("./").unwrap_or(p);
    if p.is_empty() || p == "/" {
        return Err(BadGlob {
            pattern: pattern.to_string(),
            reason: "an empty pattern matches nothing".to_string(),
        });
    }
    // ripgrep's `-g '!x'` and .gitignore's `!x` negate; here the flag
    // says which way a pattern goes, and a literal `!` would silently
    // match nothing. `\!x` is a name starting with `!`.
    if p.starts_with('!') {
        return Err(BadGlob {
            pattern: pattern.to_string(),
            reason: "a leading `!` negates in ripgrep and .gitignore; here use --include or --exclude (`\\!` for a name starting with `!`)".to_string(),
        });
    }
    // As in .gitignore: a `/` anywhere but at the end anchors the pattern
    // to its folder; without one it matches a name at any depth.
    let anchored = p.contains('/');
    let p = p.trim_start_matches('/');
    let glob = if anchored || p.starts_with("**") {
        p.to_string()
    } else {
        format!("**/{p}")
    };
    Ok((glob, folders_only))
}

/// `prefix` joined with `rel`, both relative and made of normal
/// components only (the form the patterns are matched against).
pub fn joined(prefix: &Path, rel: &Path) -> std::path::PathBuf {
    prefix
        .components()
        .chain(rel.components())
        .filter(|c| matches!(c, Component::Normal(_)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn globs(patterns: &[&str]) -> Globs {
        let owned: Vec<String> = patterns.iter().map(|p| p.to_string()).collect();
        Globs::new(&owned).unwrap()
    }

    fn file(g: &Globs, rel: &str) -> bool {
        g.matches_here_or_above(Path::new(rel), false)
    }

    #[test]
    fn a_name_matches_at_any_depth_and_a_slash_anchors() {
        let g = globs(&["web"]);
        assert!(file(&g, "web/Dockerfile"));
        assert!(file(&g, "shop/web/Dockerfile"));
        assert!(!file(&g, "webapp/Dockerfile"));
        let g = globs(&["shop/web"]);
        assert!(file(&g, "shop/web/Dockerfile"));
        assert!(!file(&g, "x/shop/web/Dockerfile"));
        let g = globs(&["/legacy"]);
        assert!(file(&g, "legacy/Dockerfile"));
        assert!(!file(&g, "svc/legacy/Dockerfile"));
    }

    #[test]
    fn star_stays_in_one_component_and_double_star_crosses() {
        let g = globs(&["services/*/Dockerfile"]);
        assert!(file(&g, "services/api/Dockerfile"));
        assert!(!file(&g, "services/api/v2/Dockerfile"));
        let g = globs(&["services/**/Dockerfile"]);
        assert!(file(&g, "services/Dockerfile"));
        assert!(file(&g, "services/api/v2/Dockerfile"));
        let g = globs(&["**/api/*"]);
        assert!(file(&g, "shop/api/Dockerfile"));
        assert!(file(&g, "api/Dockerfile"));
        let g = globs(&["legacy/**"]);
        assert!(file(&g, "legacy/old/Dockerfile"));
        assert!(!file(&g, "svc/legacy/Dockerfile"));
    }

    #[test]
    fn alternatives_classes_and_question_marks() {
        let g = globs(&["{api,worker}/Dockerfile"]);
        assert!(file(&g, "api/Dockerfile"));
        assert!(file(&g, "worker/Dockerfile"));
        assert!(!file(&g, "web/Dockerfile"));
        let g = globs(&["svc[12]"]);
        assert!(file(&g, "svc1/Dockerfile"));
        assert!(file(&g, "a/svc2/Dockerfile"));
        assert!(!file(&g, "svc3/Dockerfile"));
        let g = globs(&["svc[!1]"]);
        assert!(!file(&g, "svc1/Dockerfile"));
        assert!(file(&g, "svc3/Dockerfile"));
        let g = globs(&["Dockerfile.???"]);
        assert!(file(&g, "x/Dockerfile.dev"));
        assert!(!file(&g, "x/Dockerfile.prod"));
        // `?` does not match `/`.
        let g = globs(&["a?b"]);
        assert!(!file(&g, "a/b/Dockerfile"));
    }

    #[test]
    fn a_trailing_slash_matches_folders_only() {
        let g = globs(&["Dockerfile.d/"]);
        assert!(file(&g, "Dockerfile.d/Dockerfile"));
        assert!(!g.matches(Path::new("Dockerfile.d"), false));
    }

    #[test]
    fn a_bad_pattern_is_named() {
        let e = Globs::new(&["ok".to_string(), "svc[".to_string()]).unwrap_err();
        assert_eq!(e.pattern, "svc[");
        assert!(
            e.to_string().starts_with("`svc[`: not a valid glob: "),
            "{e}"
        );
        let e = Globs::new(&["{a,b".to_string()]).unwrap_err();
        assert_eq!(e.pattern, "{a,b");
        assert!(Globs::new(&["/".to_string()]).is_err());
        let e = Globs::new(&["!legacy".to_string()]).unwrap_err();
        assert!(e.reason.contains("negates"), "{e}");
        let g = globs(&["\\!legacy"]);
        assert!(file(&g, "!legacy/Dockerfile"));
    }

    #[test]
    fn joined_drops_dots() {
        assert_eq!(
            joined(Path::new("./shop"), Path::new("api/Dockerfile")),
            Path::new("shop/api/Dockerfile")
        );
        assert_eq!(
            joined(Path::new(""), Path::new("Dockerfile")),
            Path::new("Dockerfile")
        );
    }
}
