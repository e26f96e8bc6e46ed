//! `.dockerignore`, read as Docker reads it: patterns relative to the
//! context (a leading `/` or `./` changes nothing), `**` for any folders,
//! the last pattern that matches deciding, and `!` making an exception.

use crate::knowledge::glob_match;
use crate::source::BuildContext;

/// `.dockerignore`, read as Docker reads it: the last pattern that matches
/// decides, and `!` makes an exception.
pub struct DockerIgnore {
    /// `(exception, pattern)`, without leading `/` or `./` and trailing `/`.
    patterns: Vec<(bool, String)>,
}

impl DockerIgnore {
    pub fn read(context: &BuildContext) -> DockerIgnore {
        let text = context.read_small(".dockerignore").unwrap_or_default();
        let patterns = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(|l| {
                let (exception, p) = match l.strip_prefix('!') {
                    Some(rest) => (true, rest.trim()),
                    None => (false, l),
                };
                let p = p.trim_start_matches("./").trim_start_matches('/');
                (exception, p.trim_end_matches('/').to_string())
            })
            .filter(|(_, p)| !p.is_empty())
            .collect();
        DockerIgnore { patterns }
    }

    /// Whether the entry `rel` (a name in the context folder COPY reads)
    /// is left out. An exception for something inside an entry left out
    /// would bring back part of it, which msb cannot name: an error.
    pub fn excludes(&self, rel: &str) -> Result<bool, String> {
        let mut excluded = false;
        for (exception, pattern) in &self.patterns {
            if matches(pattern, rel) {
                excluded = !exception;
            }
        }
        if excluded
            && let Some((_, p)) = self
                .patterns
                .iter()
                .find(|(e, p)| *e && reaches_inside(p, rel))
        {
            return Err(format!(
                ".dockerignore leaves out {rel} but brings back !{p}: msb cannot tell which of its files COPY puts there"
            ));
        }
        Ok(excluded)
    }

    /// Whether `rel` is surely left out: an entry an exception may bring
    /// part of back is not (its folder is there, with what came back).
    pub fn leaves_out(&self, rel: &str) -> bool {
        self.excludes(rel).unwrap_or(false)
    }
}

/// A .dockerignore pattern against a path: the pattern names the path
/// or a folder above it (which leaves out what is in it); a leading `**/`
/// matches at any depth.
fn matches(pattern: &str, rel: &str) -> bool {
    if pattern == "**" {
        return true;
    }
    let parts: Vec<&str> = rel.split('/').collect();
    (1..=parts.len()).any(|n| {
        glob_match(pattern, &parts[..n].join("/"))
            || pattern
                .strip_prefix("**/")
                .is_some_and(|rest| (0..n).any(|s| glob_match(rest, &parts[s..n].join("/"))))
    })
}

/// Whether an exception pattern may name something inside the entry
/// `rel`: one with a folder part that matches it, or one at any depth.
fn reaches_inside(pattern: &str, rel: &str) -> bool {
    if pattern.starts_with("**") {
        return true;
    }
    match pattern.split_once('/') {
        Some((first, _)) => glob_match(first, rel),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ignore(text: &str) -> DockerIgnore {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".dockerignore"), text).unwrap();
        DockerIgnore::read(&BuildContext::new(dir.path()))
    }

    #[test]
    fn the_last_matching_pattern_decides() {
        let i = ignore("*.md\n!README.md\nnode_modules/\n# a comment\n");
        assert!(i.excludes("CHANGES.md").unwrap());
        assert!(!i.excludes("README.md").unwrap());
        assert!(i.excludes("node_modules").unwrap());
        assert!(!i.excludes("server.js").unwrap());
    }

    #[test]
    fn an_exception_inside_a_left_out_folder_cannot_be_named() {
        let i = ignore("*\n!src/index.js\n!package.json\n");
        assert!(!i.excludes("package.json").unwrap());
        assert!(i.excludes("src").unwrap_err().contains("!src/index.js"));
        assert!(i.excludes("docs").unwrap());
    }

    #[test]
    fn double_star_and_leading_slash_patterns() {
        let i = ignore("**/*.log\n/tmp\n./dist\n");
        assert!(i.excludes("debug.log").unwrap());
        assert!(i.excludes("tmp").unwrap());
        assert!(i.excludes("dist").unwrap());
        assert!(!i.excludes("src").unwrap());
    }

    #[test]
    fn an_entry_an_exception_may_bring_back_is_not_surely_left_out() {
        let i = ignore("*\n!src/index.js\n");
        assert!(!i.leaves_out("src"));
        assert!(i.leaves_out("docs"));
    }
}
