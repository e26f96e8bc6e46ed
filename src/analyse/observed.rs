//! Evidence from the engine (`--observe`): the paths each RUN of the
//! original Dockerfile actually created or changed, read from the layers
//! of its classic build (`src/observe.rs`). A RUN whose programs msb does
//! not know (a vendor script, `curl | sh`) is otherwise skipped: with an
//! observation, its paths become its writes and the usual rules decide
//! (inside a copied folder: covered; elsewhere: copied from the builder,
//! or the skip names the path). An empty `Observed` changes nothing.

use std::collections::BTreeMap;

/// What a layer holds at one path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PathKind {
    File,
    Dir,
    Link,
}

/// One path a RUN's layer holds: a folder new in that layer stands for
/// everything inside it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ObservedPath {
    /// Absolute (`/usr/local/bin/tool`).
    pub path: String,
    pub kind: PathKind,
    /// The path was already in an earlier layer (a file the RUN changed).
    pub changed: bool,
}

/// What the engine says about one RUN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Observation {
    /// The RUN's layer, without whiteouts and caches.
    Wrote(Vec<ObservedPath>),
    /// No layer could be tied to the RUN, for this reason.
    Unmapped(String),
}

/// The observations of one Dockerfile, by instruction index.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Observed {
    pub runs: BTreeMap<usize, Observation>,
    /// Why nothing could be observed (the original did not build), said
    /// with each skip the observation would have decided.
    pub failure: Option<String>,
}

impl Observed {
    pub fn is_empty(&self) -> bool {
        self.runs.is_empty() && self.failure.is_none()
    }

    /// Whether the RUN of instruction `index` was seen writing `path`.
    pub fn wrote(&self, index: usize, path: &str) -> bool {
        matches!(self.runs.get(&index), Some(Observation::Wrote(paths)) if paths.iter().any(|p| p.path == path))
    }

    /// What is said after a skip the observation did not lift, for the
    /// RUN at `line` (instruction `index`); None without `--observe`.
    pub fn why_not(&self, index: usize, line: usize) -> Option<String> {
        if let Some(failure) = &self.failure {
            return Some(format!("observed on the engine: {failure}"));
        }
        if self.runs.is_empty() {
            return None;
        }
        Some(match self.runs.get(&index) {
            Some(Observation::Unmapped(why)) => {
                format!(
                    "observed on the engine: cannot map a layer to the RUN at line {line} ({why})"
                )
            }
            _ => format!("observed on the engine: cannot map a layer to the RUN at line {line}"),
        })
    }
}

/// The evidence line of an observed RUN: the first paths, then how many
/// more.
pub fn describe(line: usize, paths: &[ObservedPath]) -> String {
    const SHOWN: usize = 6;
    if paths.is_empty() {
        return format!("observed on the engine: RUN at line {line} wrote nothing msb keeps");
    }
    let mut names: Vec<String> = paths
        .iter()
        .take(SHOWN)
        .map(|p| match (p.kind, p.changed) {
            (PathKind::Dir, _) => format!("{}/", p.path),
            (PathKind::Link, _) => format!("{} (a link)", p.path),
            (PathKind::File, true) => format!("{} (changed)", p.path),
            (PathKind::File, false) => p.path.clone(),
        })
        .collect();
    if paths.len() > SHOWN {
        names.push(format!("and {} more", paths.len() - SHOWN));
    }
    format!(
        "observed on the engine: RUN at line {line} wrote {}",
        names.join(", ")
    )
}
