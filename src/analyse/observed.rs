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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyse::{StepRole, analyse, analyse_observed};
    use crate::knowledge::Knowledge;
    use crate::source::BuildContext;

    const FILE: &str = "FROM python:3.11\nWORKDIR /app\nCOPY . .\nRUN sh ./vendor/install.sh\nCMD [\"python\", \"app.py\"]\n";

    fn path(path: &str, kind: PathKind, changed: bool) -> ObservedPath {
        ObservedPath {
            path: path.to_string(),
            kind,
            changed,
        }
    }

    fn observed(index: usize, paths: Vec<ObservedPath>) -> Observed {
        Observed {
            runs: BTreeMap::from([(index, Observation::Wrote(paths))]),
            failure: None,
        }
    }

    fn analysed(text: &str, o: &Observed) -> (crate::analyse::Analysis, Vec<String>) {
        let file = crate::parse::parse(text).unwrap();
        let k = Knowledge::builtin().unwrap();
        let a = analyse_observed(&file, &BuildContext::empty(), &k, o);
        let reasons = a
            .unsafe_blockers
            .iter()
            .chain(&a.skip)
            .map(|b| format!("{}: {}", b.line, b.reason))
            .collect();
        (a, reasons)
    }

    #[test]
    fn observed_writes_lift_the_skip_and_are_copied_or_covered() {
        let o = observed(
            3,
            vec![
                path("/app/settings", PathKind::Dir, false),
                path("/usr/local/bin/tool", PathKind::File, false),
            ],
        );
        let (a, reasons) = analysed(FILE, &o);
        assert_eq!(reasons, Vec::<String>::new());
        let copied: Vec<&str> = a.artefacts.iter().map(|x| x.from.as_str()).collect();
        assert_eq!(copied, ["/app", "/usr/local/bin/tool"]);
        let step = a.step(3).unwrap();
        assert_eq!(step.role, StepRole::Housekeeping);
        assert_eq!(
            step.evidence,
            "observed on the engine: RUN at line 4 wrote /app/settings/, /usr/local/bin/tool"
        );
    }

    #[test]
    fn what_msb_cannot_carry_keeps_the_skip_with_the_path() {
        let o = observed(3, vec![path("/etc/ssl/openssl.cnf", PathKind::File, true)]);
        let (_, reasons) = analysed(FILE, &o);
        assert_eq!(
            reasons,
            [
                "4: observed on the engine: RUN at line 4 changes /etc/ssl/openssl.cnf, which an earlier layer made, outside what the runtime stage gets"
            ]
        );
        // A link inside a copied folder comes along with it.
        let o = observed(3, vec![path("/app/current", PathKind::Link, false)]);
        assert_eq!(analysed(FILE, &o).1, Vec::<String>::new());
        // Packages installed beside the script: their files are in the layer too.
        let text = FILE.replace(
            "RUN sh",
            "RUN apt-get update && apt-get install -y libxml2 && sh",
        );
        let o = observed(
            3,
            vec![path("/usr/lib/libxml2.so.2", PathKind::File, false)],
        );
        let (_, reasons) = analysed(&text, &o);
        assert_eq!(reasons.len(), 1, "{reasons:?}");
        // So are a dependency install's, which msb moves into a virtualenv.
        let pip = FILE.replace("RUN sh", "RUN pip install flask && sh");
        let o = observed(
            3,
            vec![path(
                "/usr/local/lib/python3.11/site-packages/flask",
                PathKind::Dir,
                false,
            )],
        );
        let (_, pip_reasons) = analysed(&pip, &o);
        assert!(
            pip_reasons[0].starts_with(
                "4: RUN installs dependencies: pip install flask beside what msb cannot read"
            ),
            "{pip_reasons:?}"
        );
        assert!(
            reasons[0]
                == "4: RUN installs libxml2 beside what msb cannot read: observed on the engine: RUN at line 4 wrote /usr/lib/libxml2.so.2, and the files of each cannot be told apart",
            "{reasons:?}"
        );
    }

    #[test]
    fn without_an_observation_the_skip_says_why() {
        let plain = "4: RUN runs `sh`: cannot tell whether the runtime needs what it makes";
        let file = crate::parse::parse(FILE).unwrap();
        let k = Knowledge::builtin().unwrap();
        let a = analyse(&file, &BuildContext::empty(), &k);
        assert_eq!(a.unsafe_blockers[0].reason, plain[3..]);
        let o = Observed {
            runs: BTreeMap::from([(3, Observation::Unmapped("no entry".to_string()))]),
            failure: None,
        };
        assert_eq!(
            analysed(FILE, &o).1,
            [format!(
                "{plain}; observed on the engine: cannot map a layer to the RUN at line 4 (no entry)"
            )]
        );
        let o = Observed {
            runs: BTreeMap::new(),
            failure: Some("the original does not build".to_string()),
        };
        assert_eq!(
            analysed(FILE, &o).1,
            [format!(
                "{plain}; observed on the engine: the original does not build"
            )]
        );
    }
}
