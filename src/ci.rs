//! The formats CI systems read (`msb migrate --output-format`): SARIF
//! 2.1.0 for GitHub code scanning, GitLab Code Quality, JUnit XML and
//! GitHub workflow annotations. Each is one document on stdout for the
//! whole run, so a CI step can redirect it to the file its uploader takes.
//!
//! Every format says the same thing: a Dockerfile msb would migrate is a
//! finding at its FROM line; a skipped one is a note with the reason (the
//! team sees why it was left); a failed one is an error. Identifiers and
//! fingerprints depend only on the path and the rule, so a file that stays
//! as it is keeps its alert from one run to the next.

use serde_json::{Value, json};

use crate::bulk::{fnv1a, human_bytes, reason_kind};

/// `--output-format`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    /// SARIF 2.1.0, for GitHub code scanning (upload-sarif).
    Sarif,
    /// GitLab Code Quality JSON (artifacts:reports:codequality).
    Gitlab,
    /// JUnit XML: one test case per Dockerfile.
    Junit,
    /// GitHub workflow commands (`::warning file=…::…`): annotations.
    Github,
}

/// What became of one Dockerfile, as the CI formats report it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// msb would migrate it (or did, when written).
    WouldMigrate,
    /// Left alone, with a reason.
    Skipped,
    /// Already multi-stage.
    Unchanged,
    /// Could not be read or parsed.
    Failed,
}

/// One Dockerfile of the run.
#[derive(Debug, Clone)]
pub struct Finding {
    /// The path as msb shows it (from the current folder).
    pub path: String,
    pub outcome: Outcome,
    /// Why it was skipped or failed.
    pub reason: Option<String>,
    /// 1-based: the FROM line of a file to migrate, the reason's line of
    /// a skip (1 when the reason has none).
    pub line: usize,
    pub runtime_base: Option<String>,
    pub saving_bytes: Option<u64>,
    /// `--unsafe` would migrate a skipped file.
    pub unsafe_available: bool,
    /// The file's text and msb's version of it (a migration's fix).
    pub original: String,
    pub migrated: String,
    pub diff: String,
}

/// The rule of a file msb would migrate.
pub const RULE_SINGLE_STAGE: &str = "msb/single-stage";
/// The rule of a file msb could not read or parse.
pub const RULE_FAILED: &str = "msb/failed";

impl Finding {
    /// The stable rule id: `msb/single-stage`, `msb/skip/<kind>` (the
    /// kind of the reason, its particulars left out, so every file
    /// skipped for the same cause shares a rule), `msb/failed`; None for
    /// a file that is already multi-stage.
    pub fn rule_id(&self) -> Option<String> {
        match self.outcome {
            Outcome::WouldMigrate => Some(RULE_SINGLE_STAGE.to_string()),
            Outcome::Skipped => Some(format!(
                "msb/skip/{}",
                skip_kind(self.reason.as_deref().unwrap_or(""))
            )),
            Outcome::Failed => Some(RULE_FAILED.to_string()),
            Outcome::Unchanged => None,
        }
    }

    /// The one-line message every format shows.
    pub fn message(&self) -> String {
        match self.outcome {
            Outcome::WouldMigrate => {
                let base = self.runtime_base.as_deref().unwrap_or("?");
                let saving = self
                    .saving_bytes
                    .filter(|b| *b > 0)
                    .map(|b| format!("; estimated saving ~{}", human_bytes(b)))
                    .unwrap_or_default();
                format!(
                    "single-stage Dockerfile: msb would split it into a builder stage and a slim, non-root final stage FROM {base}{saving} (msb migrate --write {})",
                    self.path
                )
            }
            Outcome::Skipped => {
                let more = if self.unsafe_available {
                    " (--unsafe migrates it anyway)"
                } else {
                    ""
                };
                format!(
                    "msb leaves this Dockerfile as it is: {}{more}",
                    self.reason.as_deref().unwrap_or("")
                )
            }
            Outcome::Failed => format!(
                "msb could not read this Dockerfile: {}",
                self.reason.as_deref().unwrap_or("")
            ),
            Outcome::Unchanged => "already multi-stage".to_string(),
        }
    }

    /// A fingerprint of path and rule, the same on every run and machine.
    fn fingerprint(&self, rule: &str) -> String {
        let key = format!("{}\0{rule}", self.path);
        format!("{:016x}", fnv1a(key.as_bytes()))
    }
}

/// The kind of a skip reason as a rule-id part: its words before the
/// first `:` (or its first five), particulars blanked, lower case, `-`
/// between words: "RUN runs `make`: cannot tell…" → `run-runs`.
pub fn skip_kind(reason: &str) -> String {
    let kind = reason_kind(reason);
    let head = match kind.split_once(':') {
        Some((head, _)) if !head.trim().is_empty() => head.to_string(),
        _ => kind
            .split_whitespace()
            .take(5)
            .collect::<Vec<_>>()
            .join(" "),
    };
    let mut slug = String::new();
    for c in head.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-');
    if slug.is_empty() {
        "other".to_string()
    } else {
        slug.chars().take(48).collect::<String>()
    }
}

/// The whole document for `format`.
pub fn render(format: OutputFormat, findings: &[Finding]) -> String {
    match format {
        OutputFormat::Sarif => {
            serde_json::to_string_pretty(&sarif(findings)).unwrap_or_default() + "\n"
        }
        OutputFormat::Gitlab => {
            serde_json::to_string_pretty(&gitlab(findings)).unwrap_or_default() + "\n"
        }
        OutputFormat::Junit => junit(findings),
        OutputFormat::Github => github(findings),
    }
}

/// SARIF 2.1.0: one run of the `msb` driver, its rules, one result per
/// file that is not already multi-stage.
pub fn sarif(findings: &[Finding]) -> Value {
    let mut rules: Vec<String> = findings.iter().filter_map(Finding::rule_id).collect();
    rules.sort();
    rules.dedup();
    let rule_index = |id: &str| rules.iter().position(|r| r == id).unwrap_or(0);
    let results: Vec<Value> = findings
        .iter()
        .filter_map(|f| {
            let rule = f.rule_id()?;
            Some(sarif_result(f, &rule, rule_index(&rule)))
        })
        .collect();
    let rules: Vec<Value> = rules.iter().map(|id| sarif_rule(id, findings)).collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "msb",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    })
}

/// A rule's description: what its results mean, for the code-scanning page.
fn sarif_rule(id: &str, findings: &[Finding]) -> Value {
    let (level, short, full) = if id == RULE_SINGLE_STAGE {
        (
            "warning",
            "Single-stage Dockerfile that msb can split".to_string(),
            "The image keeps the compilers, caches and build tools of its build, and may run as root. `msb migrate --write PATH` splits it into a builder stage and a slim, non-root final stage.".to_string(),
        )
    } else if id == RULE_FAILED {
        (
            "error",
            "Dockerfile msb could not read".to_string(),
            "msb could not read or parse the file.".to_string(),
        )
    } else {
        // The skip rule's text is the reason of its first file, particulars blanked.
        let example = findings
            .iter()
            .find(|f| f.rule_id().as_deref() == Some(id))
            .and_then(|f| f.reason.as_deref())
            .map(reason_kind)
            .unwrap_or_default();
        (
            "note",
            format!("msb leaves the Dockerfile as it is: {example}"),
            format!("msb does not migrate such a Dockerfile safely: {example}"),
        )
    };
    json!({
        "id": id,
        "name": rule_name(id),
        "shortDescription": {"text": short},
        "fullDescription": {"text": full},
        "defaultConfiguration": {"level": level},
    })
}

/// `msb/skip/run-runs` → `SkipRunRuns`: SARIF's rule names are one word.
fn rule_name(id: &str) -> String {
    id.trim_start_matches("msb/")
        .split(['/', '-'])
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

fn sarif_result(f: &Finding, rule: &str, index: usize) -> Value {
    let level = match f.outcome {
        Outcome::WouldMigrate => "warning",
        Outcome::Failed => "error",
        Outcome::Skipped | Outcome::Unchanged => "note",
    };
    let uri = uri_path(&f.path);
    let mut result = json!({
        "ruleId": rule,
        "ruleIndex": index,
        "level": level,
        "message": {"text": f.message()},
        "locations": [{"physicalLocation": {
            "artifactLocation": {"uri": uri},
            "region": {"startLine": f.line.max(1)},
        }}],
        "partialFingerprints": {"msbPathRule/v1": f.fingerprint(rule)},
    });
    if f.outcome == Outcome::WouldMigrate {
        result["fixes"] = json!([sarif_fix(f, &uri)]);
    }
    result
}

/// The migration as a SARIF fix: the whole new file replacing the whole
/// old text (offsets in characters), the diff in its description.
fn sarif_fix(f: &Finding, uri: &str) -> Value {
    let base = f.runtime_base.as_deref().unwrap_or("?");
    json!({
        "description": {
            "text": format!("Split into a builder stage and a final stage FROM {base}"),
            "markdown": format!(
                "Split into a builder stage and a final stage FROM `{base}`:\n\n```diff\n{}```\n",
                f.diff
            ),
        },
        "artifactChanges": [{
            "artifactLocation": {"uri": uri},
            "replacements": [{
                "deletedRegion": {"charOffset": 0, "charLength": f.original.chars().count()},
                "insertedContent": {"text": f.migrated},
            }],
        }],
    })
}

/// A relative path as a URI reference: `/` between segments, anything
/// but unreserved characters percent-encoded (a space, `#`, `%`).
pub fn uri_path(path: &str) -> String {
    let mut out = String::new();
    for b in path.replace('\\', "/").bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// GitLab Code Quality: one issue per file that is not already
/// multi-stage (a file to migrate is `minor`, a skip `info`).
pub fn gitlab(findings: &[Finding]) -> Value {
    let issues: Vec<Value> = findings
        .iter()
        .filter_map(|f| {
            let rule = f.rule_id()?;
            let severity = match f.outcome {
                Outcome::WouldMigrate => "minor",
                Outcome::Failed => "major",
                Outcome::Skipped | Outcome::Unchanged => "info",
            };
            Some(json!({
                "description": f.message(),
                "check_name": rule,
                "fingerprint": f.fingerprint(&rule),
                "severity": severity,
                "location": {"path": f.path, "lines": {"begin": f.line.max(1)}},
            }))
        })
        .collect();
    Value::Array(issues)
}

/// JUnit XML: one test case per Dockerfile; a file to migrate is a
/// failure (with the diff), a skip is skipped, a file msb cannot read an
/// error, one already multi-stage passes.
pub fn junit(findings: &[Finding]) -> String {
    let count = |o: Outcome| findings.iter().filter(|f| f.outcome == o).count();
    let totals = format!(
        "tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\"",
        findings.len(),
        count(Outcome::WouldMigrate),
        count(Outcome::Failed),
        count(Outcome::Skipped)
    );
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!("<testsuites name=\"msb\" {totals}>\n"));
    out.push_str(&format!(
        "  <testsuite name=\"msb migrate --check\" {totals}>\n"
    ));
    for f in findings {
        out.push_str(&format!(
            "    <testcase classname=\"msb\" name=\"{}\" file=\"{}\" line=\"{}\"",
            xml_escape(&f.path),
            xml_escape(&f.path),
            f.line.max(1)
        ));
        let message = xml_escape(&f.message());
        match f.outcome {
            Outcome::Unchanged => out.push_str("/>\n"),
            Outcome::WouldMigrate => out.push_str(&format!(
                ">\n      <failure type=\"{RULE_SINGLE_STAGE}\" message=\"{message}\">{}</failure>\n    </testcase>\n",
                xml_text(&f.diff)
            )),
            Outcome::Skipped => out.push_str(&format!(
                ">\n      <skipped message=\"{message}\"/>\n    </testcase>\n"
            )),
            Outcome::Failed => out.push_str(&format!(
                ">\n      <error type=\"{RULE_FAILED}\" message=\"{message}\"/>\n    </testcase>\n"
            )),
        }
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

/// Text safe in an XML 1.0 attribute: the five entities, line breaks and
/// tabs as character references (an attribute's own would be read as
/// blanks), and the control characters XML cannot hold at all replaced.
pub fn xml_escape(text: &str) -> String {
    escape_xml(text, true)
}

/// Text safe as XML 1.0 element content: line breaks and tabs kept.
pub fn xml_text(text: &str) -> String {
    escape_xml(text, false)
}

fn escape_xml(text: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' if !attribute => out.push('\n'),
            '\t' if !attribute => out.push('\t'),
            '\n' => out.push_str("&#10;"),
            '\t' => out.push_str("&#9;"),
            '\r' => out.push_str("&#13;"),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// GitHub workflow commands: a `::warning` per file to migrate, a
/// `::notice` per skip, an `::error` per file msb cannot read; the runner
/// shows them as annotations on the files.
pub fn github(findings: &[Finding]) -> String {
    let mut out = String::new();
    for f in findings {
        let (command, title) = match f.outcome {
            Outcome::WouldMigrate => ("warning", "msb: would migrate to a multi-stage build"),
            Outcome::Skipped => ("notice", "msb: skipped"),
            Outcome::Failed => ("error", "msb: failed"),
            Outcome::Unchanged => continue,
        };
        out.push_str(&format!(
            "::{command} file={},line={},title={}::{}\n",
            github_property(&f.path),
            f.line.max(1),
            github_property(title),
            github_data(&f.message())
        ));
    }
    out
}

/// A workflow command's message, escaped as the runner unescapes it.
pub fn github_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A workflow command's property value: the message's escapes, and `:`
/// and `,`, which end a property.
pub fn github_property(text: &str) -> String {
    github_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(outcome: Outcome, reason: Option<&str>) -> Finding {
        Finding {
            path: "api/Dockerfile".to_string(),
            outcome,
            reason: reason.map(String::from),
            line: 3,
            runtime_base: Some("python:3.12-slim".to_string()),
            saving_bytes: Some(850_000_000),
            unsafe_available: false,
            original: "FROM python:3.12\n".to_string(),
            migrated: "FROM python:3.12 AS builder\nFROM python:3.12-slim\n".to_string(),
            diff: "-a\n+b\n".to_string(),
        }
    }

    #[test]
    fn skip_kinds_group_the_same_cause() {
        assert_eq!(
            skip_kind("RUN runs `make install`: cannot tell whether the runtime needs it"),
            "run-runs"
        );
        assert_eq!(
            skip_kind("unknown toolchain: haskell:9.6 with no sign of a language"),
            "unknown-toolchain"
        );
        assert_eq!(
            skip_kind("runtime-only image nginx:1.27 with no build"),
            "runtime-only-image-with-no"
        );
        assert_eq!(skip_kind(""), "other");
    }

    #[test]
    fn fingerprints_depend_on_path_and_rule_only() {
        let a = finding(Outcome::WouldMigrate, None);
        let mut b = a.clone();
        b.saving_bytes = Some(1);
        b.line = 9;
        assert_eq!(
            a.fingerprint(RULE_SINGLE_STAGE),
            b.fingerprint(RULE_SINGLE_STAGE)
        );
        b.path = "web/Dockerfile".to_string();
        assert_ne!(
            a.fingerprint(RULE_SINGLE_STAGE),
            b.fingerprint(RULE_SINGLE_STAGE)
        );
        // The same on every machine: FNV-1a of the key.
        assert_eq!(
            a.fingerprint(RULE_SINGLE_STAGE),
            format!("{:016x}", fnv1a(b"api/Dockerfile\0msb/single-stage"))
        );
    }

    #[test]
    fn github_escapes_as_the_runner_reads() {
        assert_eq!(github_data("50% a\r\nb"), "50%25 a%0D%0Ab");
        assert_eq!(github_property("a:b,c%"), "a%3Ab%2Cc%25");
        let out = github(&[
            finding(Outcome::WouldMigrate, None),
            finding(Outcome::Unchanged, None),
        ]);
        assert_eq!(out.lines().count(), 1);
        assert!(out.starts_with(
            "::warning file=api/Dockerfile,line=3,title=msb%3A would migrate to a multi-stage build::single-stage"
        ));
        assert!(out.contains("FROM python:3.12-slim; estimated saving ~850.0 MB"));
    }

    #[test]
    fn xml_text_is_escaped_and_uris_encoded() {
        assert_eq!(
            xml_escape("a<b>&\"'\n\u{1}"),
            "a&lt;b&gt;&amp;&quot;&apos;&#10;\u{FFFD}"
        );
        assert_eq!(xml_text("a\n\tb\r&"), "a\n\tb&#13;&amp;");
        assert_eq!(uri_path("my app/Docker#file"), "my%20app/Docker%23file");
    }

    #[test]
    fn the_sarif_fix_replaces_the_whole_text() {
        let f = finding(Outcome::WouldMigrate, None);
        let s = sarif(&[
            f.clone(),
            finding(Outcome::Skipped, Some("RUN runs `x`: y")),
        ]);
        let results = s["runs"][0]["results"].as_array().unwrap();
        assert_eq!(results.len(), 2);
        let replacement = &results[0]["fixes"][0]["artifactChanges"][0]["replacements"][0];
        assert_eq!(replacement["deletedRegion"]["charLength"], 17);
        assert_eq!(replacement["insertedContent"]["text"], f.migrated);
        assert_eq!(results[1]["ruleId"], "msb/skip/run-runs");
        assert_eq!(results[1]["level"], "note");
        let rules = s["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
        assert_eq!(
            rules[results[1]["ruleIndex"].as_u64().unwrap() as usize]["id"],
            "msb/skip/run-runs"
        );
    }
}
