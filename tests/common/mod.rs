//! Shared helpers for the integration tests: fixtures and the oracles.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fixture folder or file (`python/flask-gunicorn`).
pub fn fixture(rel: &str) -> PathBuf {
    root().join("fixtures").join(rel)
}

/// Run git in `dir` with a fixed identity; its output, trimmed. A failing
/// git command fails the test.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// Copy a folder tree (a fixture and its build context) into `to`.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dest = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &dest);
        } else {
            std::fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

/// Fixture folders of a group (`python`, `go`, `skip`, `error`), sorted.
pub fn fixtures(group: &str) -> Vec<PathBuf> {
    let dir = root().join("fixtures").join(group);
    let mut out: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("Dockerfile").is_file())
        .collect();
    out.sort();
    out
}

/// The fixture groups msb must migrate: every folder of `fixtures/` but
/// `skip` and `error`, sorted.
pub fn migrated_groups() -> Vec<String> {
    let mut groups: Vec<String> = std::fs::read_dir(root().join("fixtures"))
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|g| g != "skip" && g != "error")
        .collect();
    groups.sort();
    groups
}

/// What the oracles say of one file.
#[derive(Debug, Deserialize)]
pub struct Verdict {
    pub path: String,
    pub parse_error: Option<String>,
    pub instructions: Vec<OracleInstruction>,
    pub hadolint_errors: usize,
    pub hadolint_codes: Vec<String>,
}

/// `[CMD, start_line, end_line, flags, json, values]` as BuildKit reads it.
#[derive(Debug, Deserialize, Clone, PartialEq, Eq)]
pub struct OracleInstruction(
    pub String,
    pub usize,
    pub usize,
    pub Vec<String>,
    pub bool,
    pub Vec<String>,
);

impl OracleInstruction {
    pub fn cmd(&self) -> &str {
        &self.0
    }
}

/// The instructions of the last stage.
pub fn final_stage(v: &Verdict) -> Vec<OracleInstruction> {
    let start = v
        .instructions
        .iter()
        .rposition(|i| i.cmd() == "FROM")
        .unwrap_or(0);
    v.instructions[start..].to_vec()
}

/// Run the oracles on `files`. None (with a visible message) when they
/// are not installed outside CI; a panic when they are missing in CI.
pub fn oracle(files: &[&Path]) -> Option<Vec<Verdict>> {
    run_oracle(&[], files)
}

/// BuildKit's parser alone (no hadolint), for many files.
pub fn parse_oracle(files: &[&Path]) -> Option<Vec<Verdict>> {
    run_oracle(&["--parse-only"], files)
}

fn run_oracle(options: &[&str], files: &[&Path]) -> Option<Vec<Verdict>> {
    let script = root().join("tests").join("oracle.py");
    let output = Command::new("python3")
        .arg(&script)
        .args(options)
        .args(files)
        .output();
    let in_ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false");
    let output = match output {
        Ok(o) if o.status.code() == Some(3) || !o.status.success() => {
            let why = String::from_utf8_lossy(&o.stderr).to_string();
            if in_ci {
                panic!("the oracles are required in CI and failed: {why}");
            }
            eprintln!("SKIPPED oracle checks (outside CI): {why}");
            return None;
        }
        Ok(o) => o,
        Err(e) => {
            if in_ci {
                panic!("python3 is required in CI for the oracle checks: {e}");
            }
            eprintln!("SKIPPED oracle checks (outside CI): python3: {e}");
            return None;
        }
    };
    let text = String::from_utf8(output.stdout).expect("oracle output is UTF-8");
    Some(
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("oracle line {l}: {e}")))
            .collect(),
    )
}

/// CI sets CI=true: there a missing tool the tests need is a failure.
pub fn in_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false")
}

/// Whether the engine runs and has the stand-in base images `standins`:
/// None (and a visible message naming `what`) outside CI when it cannot;
/// a panic in CI, where the end-to-end tests must run.
pub fn engine_ready(standins: &[&str], what: &str) -> Option<()> {
    let why = match Command::new("docker").args(["version"]).output() {
        Err(e) => Some(format!("docker: {e}")),
        Ok(out) if !out.status.success() => Some(format!(
            "docker engine not running: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Ok(_) => {
            let missing: Vec<&str> = standins
                .iter()
                .copied()
                .filter(|tag| {
                    !Command::new("docker")
                        .args(["image", "inspect", "--format", "{{.Id}}", tag])
                        .output()
                        .is_ok_and(|o| o.status.success())
                })
                .collect();
            (!missing.is_empty()).then(|| {
                format!(
                    "stand-in base images missing ({}): run scripts/standin-images",
                    missing.join(", ")
                )
            })
        }
    };
    match why {
        None => Some(()),
        Some(why) if in_ci() => panic!("the {what} must run in CI: {why}"),
        Some(why) => {
            eprintln!("SKIPPED {what} (outside CI): {why}");
            None
        }
    }
}

/// Whether python3 can import `module` (a PyPI package .ci/run installs).
/// Outside CI a missing one skips the check visibly (false); in CI it
/// fails the test, as the oracles do.
pub fn python_module(module: &str, what: &str) -> bool {
    let out = Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .output();
    let why = match out {
        Ok(o) if o.status.success() => return true,
        Ok(o) => String::from_utf8_lossy(&o.stderr).trim().to_string(),
        Err(e) => format!("python3: {e}"),
    };
    if in_ci() {
        panic!("{what} needs the Python module {module} in CI: {why}");
    }
    eprintln!("SKIPPED {what} (outside CI): no Python module {module}: {why}");
    false
}

/// Whether `program --version` runs; the same CI convention as
/// [`python_module`].
pub fn program(program: &str, what: &str) -> bool {
    match Command::new(program).arg("--version").output() {
        Ok(o) if o.status.success() => true,
        other => {
            let why = match other {
                Ok(o) => String::from_utf8_lossy(&o.stderr).trim().to_string(),
                Err(e) => e.to_string(),
            };
            if in_ci() {
                panic!("{what} needs {program} in CI: {why}");
            }
            eprintln!("SKIPPED {what} (outside CI): {program} does not run: {why}");
            false
        }
    }
}
