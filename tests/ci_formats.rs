//! `msb migrate --check --output-format sarif|gitlab|junit|github` on a
//! tree of Dockerfiles (two that msb migrates, one it skips, one already
//! multi-stage, copied from the fixtures with their build contexts): each
//! document is produced, validated or parsed, and has one result per file
//! that would migrate. SARIF is validated against the official schema
//! (tests/schemas) with the PyPI package jsonschema.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_msb");

/// The files of the tree and what msb makes of each.
const MIGRATED: [&str; 2] = ["api/Dockerfile", "worker/Dockerfile"];
const SKIPPED: &str = "site/Dockerfile";
const UNCHANGED: &str = "done/Dockerfile";

struct Tree {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

fn tree() -> Tree {
    let dir = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(dir.path()).unwrap();
    let fixtures = common::root().join("fixtures");
    common::copy_dir(
        &fixtures.join("python/seed-requirements-main-py"),
        &root.join("api"),
    );
    common::copy_dir(
        &fixtures.join("go/seed-alpine-cgo-disabled"),
        &root.join("worker"),
    );
    common::copy_dir(&fixtures.join("skip/nginx-static-dist"), &root.join("site"));
    std::fs::create_dir_all(root.join("done")).unwrap();
    std::fs::write(
        root.join(UNCHANGED),
        "FROM golang:1.22 AS builder\nRUN go build -o /app .\nFROM gcr.io/distroless/static-debian12:nonroot\nCOPY --from=builder /app /app\nCMD [\"/app\"]\n",
    )
    .unwrap();
    Tree { _dir: dir, root }
}

/// `msb migrate --check --output-format FORMAT .` in the tree: stdout, after
/// checking the exit code is 1 (files would migrate), as with --check alone.
fn run(tree: &Tree, format: &str) -> String {
    let out = Command::new(BIN)
        .args(["migrate", "--check", "--output-format", format, "."])
        .current_dir(&tree.root)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{format}: stderr:\n{stderr}");
    // The messages stay on stderr.
    assert!(stderr.contains("would migrate"), "{stderr}");
    String::from_utf8(out.stdout).unwrap()
}

/// The FROM line of a file (1-based), as the results must point at it.
fn from_line(tree: &Tree, rel: &str) -> u64 {
    let text = std::fs::read_to_string(tree.root.join(rel)).unwrap();
    let n = text
        .lines()
        .position(|l| l.trim_start().to_ascii_uppercase().starts_with("FROM "))
        .unwrap();
    n as u64 + 1
}

/// The schema errors of a document, by jsonschema's draft-4 validator
/// (the schema's own draft): empty when it validates; None (and a visible
/// skip) when jsonschema is missing outside CI.
fn sarif_errors(document: &str) -> Option<String> {
    if !common::python_module("jsonschema", "SARIF schema validation") {
        return None;
    }
    let schema = common::root().join("tests/schemas/sarif-schema-2.1.0.json");
    let script = "import json, sys, jsonschema\n\
        schema = json.load(open(sys.argv[1]))\n\
        doc = json.load(sys.stdin)\n\
        for e in jsonschema.Draft4Validator(schema).iter_errors(doc):\n    print(list(e.absolute_path), e.message)\n";
    let mut child = Command::new("python3")
        .args(["-c", script])
        .arg(&schema)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(document.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the validator did not run: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8(out.stdout).unwrap())
}

#[test]
fn sarif_validates_and_has_one_warning_per_file_to_migrate() {
    let t = tree();
    let text = run(&t, "sarif");
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["version"], "2.1.0");
    let run0 = &doc["runs"][0];
    assert_eq!(run0["tool"]["driver"]["name"], "msb");
    let results = run0["results"].as_array().unwrap();
    let warnings: Vec<&Value> = results.iter().filter(|r| r["level"] == "warning").collect();
    assert_eq!(warnings.len(), MIGRATED.len(), "{text}");
    for (w, rel) in warnings.iter().zip(MIGRATED) {
        assert_eq!(w["ruleId"], "msb/single-stage");
        let loc = &w["locations"][0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"]["uri"], rel);
        assert_eq!(loc["region"]["startLine"], from_line(&t, rel));
        let message = w["message"]["text"].as_str().unwrap();
        assert!(message.contains("final stage FROM "), "{message}");
        assert!(message.contains("estimated saving ~"), "{message}");
        // The fix turns the old text into what `migrate --stdout` prints.
        let original = std::fs::read_to_string(t.root.join(rel)).unwrap();
        let replacement = &w["fixes"][0]["artifactChanges"][0]["replacements"][0];
        assert_eq!(replacement["deletedRegion"]["charOffset"], 0);
        assert_eq!(
            replacement["deletedRegion"]["charLength"],
            original.chars().count() as u64
        );
        let stdout = Command::new(BIN)
            .args(["migrate", "--stdout", rel])
            .current_dir(&t.root)
            .output()
            .unwrap()
            .stdout;
        assert_eq!(
            replacement["insertedContent"]["text"].as_str().unwrap(),
            String::from_utf8(stdout).unwrap()
        );
    }
    // The skip is a note with its reason; the multi-stage file has no result.
    let notes: Vec<&Value> = results.iter().filter(|r| r["level"] == "note").collect();
    assert_eq!(notes.len(), 1, "{text}");
    assert_eq!(
        notes[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        SKIPPED
    );
    assert!(
        notes[0]["ruleId"]
            .as_str()
            .unwrap()
            .starts_with("msb/skip/")
    );
    assert!(!text.contains(UNCHANGED));
    // Every ruleId is a rule of the driver, at its ruleIndex.
    let rules = run0["tool"]["driver"]["rules"].as_array().unwrap();
    for r in results {
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], r["ruleId"]);
    }
    // A second run gives the same fingerprints (no duplicated alerts).
    let again: Value = serde_json::from_str(&run(&t, "sarif")).unwrap();
    let prints = |d: &Value| -> Vec<Value> {
        d["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["partialFingerprints"].clone())
            .collect()
    };
    assert_eq!(prints(&doc), prints(&again));
    let mut distinct = prints(&doc);
    distinct.dedup();
    assert_eq!(distinct.len(), results.len());
    if let Some(errors) = sarif_errors(&text) {
        assert_eq!(errors, "", "the SARIF output does not validate:\n{text}");
    }
}

#[test]
fn a_sarif_document_that_breaks_the_schema_is_caught() {
    // The validation itself can fail: a level SARIF does not have.
    let t = tree();
    let mut doc: Value = serde_json::from_str(&run(&t, "sarif")).unwrap();
    doc["runs"][0]["results"][0]["level"] = Value::from("severe");
    if let Some(errors) = sarif_errors(&serde_json::to_string(&doc).unwrap()) {
        assert!(errors.contains("severe"), "{errors}");
    }
}

#[test]
fn gitlab_code_quality_has_one_issue_per_file_to_migrate() {
    let t = tree();
    let text = run(&t, "gitlab");
    let issues: Vec<Value> = serde_json::from_str(&text).unwrap();
    let minor: Vec<&Value> = issues.iter().filter(|i| i["severity"] == "minor").collect();
    assert_eq!(minor.len(), MIGRATED.len(), "{text}");
    for (issue, rel) in minor.iter().zip(MIGRATED) {
        assert_eq!(issue["check_name"], "msb/single-stage");
        assert_eq!(issue["location"]["path"], rel);
        assert_eq!(issue["location"]["lines"]["begin"], from_line(&t, rel));
        assert!(issue["description"].as_str().unwrap().contains("FROM "));
        assert!(!issue["fingerprint"].as_str().unwrap().is_empty());
    }
    let info: Vec<&Value> = issues.iter().filter(|i| i["severity"] == "info").collect();
    assert_eq!(info.len(), 1);
    assert_eq!(info[0]["location"]["path"], SKIPPED);
    assert_eq!(issues.len(), 3, "the multi-stage file has no issue");
    let mut prints: Vec<&str> = issues
        .iter()
        .map(|i| i["fingerprint"].as_str().unwrap())
        .collect();
    prints.sort();
    prints.dedup();
    assert_eq!(prints.len(), issues.len(), "fingerprints are unique");
}

#[test]
fn junit_has_one_test_case_per_dockerfile() {
    let t = tree();
    let text = run(&t, "junit");
    let xml = roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{e}:\n{text}"));
    let cases: Vec<roxmltree::Node> = xml
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    let names: Vec<&str> = cases.iter().map(|c| c.attribute("name").unwrap()).collect();
    assert_eq!(
        names,
        ["api/Dockerfile", UNCHANGED, SKIPPED, "worker/Dockerfile"]
    );
    for case in &cases {
        let name = case.attribute("name").unwrap();
        let failure = child(case, "failure");
        let skipped = child(case, "skipped");

        if MIGRATED.contains(&name) {
            let failure = failure.unwrap_or_else(|| panic!("{name}: no failure"));
            assert!(failure.attribute("message").unwrap().contains("FROM "));
            // The diff is the failure's text.
            assert!(failure.text().unwrap().contains("+FROM "), "{name}");
        } else if name == SKIPPED {
            assert!(failure.is_none());
            assert!(!skipped.unwrap().attribute("message").unwrap().is_empty());
        } else {
            assert!(failure.is_none() && skipped.is_none(), "{name} passes");
        }
    }
    let suite = xml
        .descendants()
        .find(|n| n.has_tag_name("testsuite"))
        .unwrap();
    assert_eq!(suite.attribute("tests"), Some("4"));
    assert_eq!(suite.attribute("failures"), Some("2"));
    assert_eq!(suite.attribute("skipped"), Some("1"));
}

/// The first child element of `node` named `tag`.
fn child<'a, 'input>(
    node: &roxmltree::Node<'a, 'input>,
    tag: &str,
) -> Option<roxmltree::Node<'a, 'input>> {
    node.children().find(|n| n.has_tag_name(tag))
}

/// `::command k=v,k=v::message` → (command, properties, message), undoing
/// GitHub's escapes as the runner does.
fn parse_command(line: &str) -> (String, Vec<(String, String)>, String) {
    let unescape = |s: &str| {
        s.replace("%0D", "\r")
            .replace("%0A", "\n")
            .replace("%3A", ":")
            .replace("%2C", ",")
            .replace("%25", "%")
    };
    let rest = line.strip_prefix("::").expect("a workflow command");
    let (head, message) = rest.split_once("::").expect("::message");
    let (command, props) = head.split_once(' ').unwrap_or((head, ""));
    let props = props
        .split(',')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').expect("key=value");
            (k.to_string(), unescape(v))
        })
        .collect();
    (command.to_string(), props, unescape(message))
}

#[test]
fn github_annotations_point_at_the_from_line() {
    let t = tree();
    let text = run(&t, "github");
    let commands: Vec<_> = text.lines().map(parse_command).collect();
    let warnings: Vec<_> = commands.iter().filter(|c| c.0 == "warning").collect();
    assert_eq!(warnings.len(), MIGRATED.len(), "{text}");
    for ((_, props, message), rel) in warnings.iter().zip(MIGRATED) {
        let prop = |k: &str| props.iter().find(|p| p.0 == k).map(|p| p.1.clone());
        assert_eq!(prop("file").as_deref(), Some(rel));
        assert_eq!(prop("line"), Some(from_line(&t, rel).to_string()));
        assert_eq!(
            prop("title").as_deref(),
            Some("msb: would migrate to a multi-stage build")
        );
        assert!(message.contains("final stage FROM "), "{message}");
    }
    let notices: Vec<_> = commands.iter().filter(|c| c.0 == "notice").collect();
    assert_eq!(notices.len(), 1);
    assert_eq!(commands.len(), 3, "{text}");
}

#[test]
fn output_format_takes_no_other_product() {
    let t = tree();
    for other in [
        &["--format", "json"][..],
        &["--write"],
        &["--stdout"],
        &["--diff"],
    ] {
        let out = Command::new(BIN)
            .args(["migrate", "--output-format", "sarif"])
            .args(other)
            .arg(Path::new("api/Dockerfile"))
            .current_dir(&t.root)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{other:?}");
    }
    // Without --check the document is the same and the exit code 0.
    let out = Command::new(BIN)
        .args(["migrate", "--output-format", "gitlab", "."])
        .current_dir(&t.root)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let issues: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(issues.len(), 3);
}
