//! One serialisable record per file, for `--format json` and the bulk
//! report (`--report FILE`: JSON, or a markdown table fit for a
//! pull-request description).

use serde::Serialize;

use crate::analyse::{Artefact, Step};
use crate::bulk::{Summary, human_bytes};
use crate::migrate::Migration;
use crate::plan::{Applicability, Decision};

#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    pub path: String,
    /// The git repository the file belongs to, if any.
    pub repo: Option<String>,
    /// `migrated`, `unchanged`, `skipped` or `failed`.
    pub status: String,
    pub reason: Option<String>,
    pub line: Option<usize>,
    /// `--unsafe` would migrate a skipped file.
    pub unsafe_available: bool,
    pub language: Option<String>,
    pub language_evidence: Vec<String>,
    pub builder_image: Option<String>,
    pub runtime_base: Option<String>,
    pub runtime_base_why: Option<String>,
    pub estimated_saving_bytes: Option<u64>,
    /// `safe`, or `unsafe` when an unsafe decision was applied.
    pub applicability: Option<String>,
    pub decisions: Vec<Decision>,
    /// What `--unsafe` would do differently (not applied).
    pub unsafe_alternatives: Vec<String>,
    pub artefacts: Vec<Artefact>,
    pub steps: Vec<Step>,
    pub warnings: Vec<String>,
    pub diff: String,
    /// `msb verify --against`: the Dockerfile compared with the original.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub against: Option<String>,
    /// `msb verify` or `migrate --verify`: what building and running both
    /// images showed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verification: Option<crate::verify::Verification>,
}

impl FileReport {
    pub fn from_migration(path: &str, m: &Migration, diff: &str) -> FileReport {
        let a = &m.analysis;
        let base = m.plan.as_ref().and_then(|p| p.runtime_base.as_ref());
        FileReport {
            path: path.to_string(),
            repo: None,
            status: m.status.as_str().to_string(),
            reason: m.reason.as_ref().map(|r| r.reason.clone()),
            line: m.reason.as_ref().map(|r| r.line),
            unsafe_available: m.unsafe_available,
            language: a.language.as_ref().map(|l| l.id.clone()),
            language_evidence: a
                .language
                .as_ref()
                .map(|l| l.evidence.clone())
                .unwrap_or_default(),
            builder_image: a.builder.as_ref().map(|b| b.written.clone()),
            runtime_base: base.map(|b| b.image.clone()),
            runtime_base_why: base.map(|b| b.why.clone()),
            estimated_saving_bytes: m.estimated_saving_mb().map(|mb| u64::from(mb) * 1_000_000),
            applicability: m.plan.as_ref().map(|p| {
                let any_unsafe = p
                    .decisions
                    .iter()
                    .any(|d| d.applicability == Applicability::Unsafe);
                if any_unsafe { "unsafe" } else { "safe" }.to_string()
            }),
            decisions: m
                .plan
                .as_ref()
                .map(|p| p.decisions.clone())
                .unwrap_or_default(),
            unsafe_alternatives: m
                .plan
                .as_ref()
                .map(|p| p.unsafe_alternatives.clone())
                .unwrap_or_default(),
            artefacts: a.artefacts.clone(),
            steps: a.steps.clone(),
            warnings: a.warnings.clone(),
            diff: diff.to_string(),
            against: None,
            verification: None,
        }
    }

    pub fn failed(path: &str, line: Option<usize>, reason: &str) -> FileReport {
        FileReport {
            path: path.to_string(),
            repo: None,
            status: "failed".to_string(),
            reason: Some(reason.to_string()),
            line,
            unsafe_available: false,
            language: None,
            language_evidence: Vec::new(),
            builder_image: None,
            runtime_base: None,
            runtime_base_why: None,
            estimated_saving_bytes: None,
            applicability: None,
            decisions: Vec::new(),
            unsafe_alternatives: Vec::new(),
            artefacts: Vec::new(),
            steps: Vec::new(),
            warnings: Vec::new(),
            diff: String::new(),
            against: None,
            verification: None,
        }
    }
}

/// `--report FILE`: every Dockerfile of the run and the summary.
#[derive(Debug, Serialize)]
pub struct BulkReport {
    pub files: Vec<FileReport>,
    pub summary: Summary,
    /// `msb verify` or `migrate --verify`: the verdicts counted, the
    /// inconclusive ones apart (their file's status is `failed`: not
    /// verified, so `--only-failed` runs them again).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verification: Option<crate::verify::VerdictCounts>,
}

/// The paths of the files a report says failed (`--only-failed`).
pub fn failed_paths(report: &str) -> Result<Vec<String>, String> {
    let value: serde_json::Value =
        serde_json::from_str(report).map_err(|e| format!("not a msb JSON report: {e}"))?;
    let files = value
        .get("files")
        .and_then(|f| f.as_array())
        .ok_or("not a msb JSON report: no \"files\" list")?;
    Ok(files
        .iter()
        .filter(|f| f.get("status").and_then(|s| s.as_str()) == Some("failed"))
        .filter_map(|f| f.get("path").and_then(|p| p.as_str()).map(String::from))
        .collect())
}

impl BulkReport {
    /// A markdown summary and table, for a pull-request description.
    pub fn markdown(&self) -> String {
        let rows: Vec<Row> = self.files.iter().map(Row::of_record).collect();
        markdown(&self.summary, self.verification.as_ref(), &rows)
    }
}

/// `msb report merge`: the JSON reports of the shards of one run
/// (`--shard I/N --report FILE`) as the report of one run. The records
/// are kept as they were written, whatever fields a newer msb adds.
#[derive(Debug, Serialize)]
pub struct MergedReport {
    pub files: Vec<serde_json::Value>,
    pub summary: Summary,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verification: Option<crate::verify::VerdictCounts>,
}

/// Merge reports, each given with its name (for the errors): the records
/// in the order one run gives them (by path), the summary counted again
/// from them as a run counts it, the verdict counts added up. A file in
/// two reports is an error: shards of one run never share one, so the
/// same report given twice, or shards of different runs, would count
/// twice.
pub fn merge(reports: &[(String, String)]) -> Result<MergedReport, String> {
    let mut files: Vec<(String, usize, serde_json::Value)> = Vec::new();
    let mut verification: Option<crate::verify::VerdictCounts> = None;
    for (i, (name, text)) in reports.iter().enumerate() {
        let value: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| format!("{name}: not a msb JSON report: {e}"))?;
        let list = value
            .get("files")
            .and_then(|f| f.as_array())
            .ok_or_else(|| format!("{name}: not a msb JSON report: no \"files\" list"))?;
        for f in list {
            let path = f
                .get("path")
                .and_then(|p| p.as_str())
                .ok_or_else(|| format!("{name}: a record without a \"path\""))?;
            files.push((path.to_string(), i, f.clone()));
        }
        if let Some(v) = value.get("verification") {
            let counts: crate::verify::VerdictCounts = serde_json::from_value(v.clone())
                .map_err(|e| format!("{name}: \"verification\": {e}"))?;
            verification.get_or_insert_default().add(&counts);
        }
    }
    // As a run orders its files: by path, folder by folder.
    files.sort_by(|a, b| std::path::Path::new(&a.0).cmp(std::path::Path::new(&b.0)));
    if let Some(pair) = files.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(format!(
            "{} is in {} and in {}: the shards of one run never share a file",
            pair[0].0, reports[pair[0].1].0, reports[pair[1].1].0
        ));
    }
    let mut summary = Summary::default();
    for (_, _, f) in &files {
        let text = |key: &str| f.get(key).and_then(|v| v.as_str());
        summary.add(
            text("status").unwrap_or("failed"),
            text("reason"),
            f.get("estimated_saving_bytes").and_then(|v| v.as_u64()),
        );
    }
    summary.finish();
    Ok(MergedReport {
        files: files.into_iter().map(|(_, _, f)| f).collect(),
        summary,
        verification,
    })
}

impl MergedReport {
    /// The same markdown as one run's `--report-format markdown`.
    pub fn markdown(&self) -> String {
        let rows: Vec<Row> = self.files.iter().map(Row::of_value).collect();
        markdown(&self.summary, self.verification.as_ref(), &rows)
    }
}

/// What the markdown table shows of one file, from a record of this run
/// or one read back from a report.
struct Row {
    path: String,
    status: String,
    language: String,
    base: Option<String>,
    saving: Option<u64>,
    note: String,
}

impl Row {
    fn of_record(f: &FileReport) -> Row {
        let mut note = match f.status.as_str() {
            "migrated" => f.applicability.clone().unwrap_or_default(),
            _ => f.reason.clone().unwrap_or_default(),
        };
        if let Some(size) = f
            .verification
            .as_ref()
            .filter(|v| v.passed())
            .and_then(|v| v.size.as_ref())
        {
            note.push_str(&verified_note(size.original_bytes, size.migrated_bytes));
        }
        Row {
            path: f.path.clone(),
            status: f.status.clone(),
            language: f.language.clone().unwrap_or_default(),
            base: f.runtime_base.clone(),
            saving: f.estimated_saving_bytes,
            note,
        }
    }

    fn of_value(f: &serde_json::Value) -> Row {
        let text = |key: &str| f.get(key).and_then(|v| v.as_str()).map(String::from);
        let status = text("status").unwrap_or_default();
        let mut note = match status.as_str() {
            "migrated" => text("applicability").unwrap_or_default(),
            _ => text("reason").unwrap_or_default(),
        };
        let v = &f["verification"];
        if v["verdict"] == "verified"
            && let (Some(original), Some(migrated)) = (
                v["size"]["original_bytes"].as_u64(),
                v["size"]["migrated_bytes"].as_u64(),
            )
        {
            note.push_str(&verified_note(original, migrated));
        }
        Row {
            path: text("path").unwrap_or_default(),
            status,
            language: text("language").unwrap_or_default(),
            base: text("runtime_base"),
            saving: f.get("estimated_saving_bytes").and_then(|v| v.as_u64()),
            note,
        }
    }
}

fn verified_note(original: u64, migrated: u64) -> String {
    format!(
        "; verified: {} → {}",
        human_bytes(original),
        human_bytes(migrated)
    )
}

/// The markdown of a report: the summary, the verdicts, one row per file
/// and the skip reasons.
fn markdown(
    s: &Summary,
    verification: Option<&crate::verify::VerdictCounts>,
    rows: &[Row],
) -> String {
    let mut out = String::new();
    out.push_str("## Multi-stage migration (msb)\n\n");
    out.push_str(&format!(
        "{} Dockerfiles: **{} migrated**, {} unchanged, {} skipped, {} failed. Estimated image size saving: ~{}.\n\n",
        s.files,
        s.migrated,
        s.unchanged,
        s.skipped,
        s.failed,
        human_bytes(s.estimated_saving_bytes)
    ));
    if let Some(c) = verification {
        out.push_str(&format!(
            "Verified on a real engine: **{} verified**, {} inconclusive, {} failed, {} could not build the original; measured saving of the verified ones: {}.\n\n",
            c.verified,
            c.inconclusive,
            c.failed,
            c.original_does_not_build,
            human_bytes(c.measured_saving_bytes)
        ));
    }
    out.push_str("| Dockerfile | status | language | final stage | est. saving | note |\n");
    out.push_str("|---|---|---|---|---|---|\n");
    for r in rows {
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} | {} |\n",
            r.path,
            r.status,
            r.language,
            r.base
                .as_deref()
                .map(|b| format!("`{b}`"))
                .unwrap_or_default(),
            r.saving
                .filter(|b| *b > 0)
                .map(human_bytes)
                .unwrap_or_default(),
            markdown_cell(&r.note)
        ));
    }
    if !s.skip_reasons.is_empty() {
        out.push_str("\n**Skipped, by reason**\n\n");
        for r in &s.skip_reasons {
            out.push_str(&format!("- {} × {}\n", r.count, markdown_cell(&r.reason)));
        }
    }
    out
}

/// `--pr-body FILE`: the description of the pull request a fleet tool
/// opens with this run's changes, for the repository's reviewers: what
/// was migrated to what, the estimated saving, and what was left and why
/// (so nobody wonders why a Dockerfile was not touched).
pub fn pr_body(files: &[FileReport], s: &Summary) -> String {
    let mut out = String::from("## Multi-stage Dockerfiles\n\n");
    let migrated: Vec<&FileReport> = files.iter().filter(|f| f.status == "migrated").collect();
    if migrated.is_empty() {
        out.push_str("msb found no Dockerfile to migrate.\n");
    } else {
        out.push_str(&format!(
            "msb split {} Dockerfile{} into a `builder` stage (the build as it was written) and a slim final stage that runs as a non-root user and receives only what the app needs. Estimated image size saving: **~{}** in total.\n\n",
            migrated.len(),
            if migrated.len() == 1 { "" } else { "s" },
            human_bytes(s.estimated_saving_bytes)
        ));
        out.push_str("| Dockerfile | final stage FROM | estimated saving |\n|---|---|---:|\n");
        for f in &migrated {
            out.push_str(&format!(
                "| `{}` | {} | {} |\n",
                f.path,
                f.runtime_base
                    .as_deref()
                    .map(|b| format!("`{b}`"))
                    .unwrap_or_default(),
                f.estimated_saving_bytes
                    .filter(|b| *b > 0)
                    .map(|b| format!("~{}", human_bytes(b)))
                    .unwrap_or_default()
            ));
        }
        if migrated.len() > 1 {
            out.push_str(&format!(
                "| **total** | | **~{}** |\n",
                human_bytes(s.estimated_saving_bytes)
            ));
        }
        out.push_str("\n### What changed\n\n");
        for f in &migrated {
            out.push_str(&format!("`{}`:\n", f.path));
            for d in &f.decisions {
                out.push_str(&format!("- {}\n", markdown_cell(&d.summary)));
            }
            for alt in &f.unsafe_alternatives {
                out.push_str(&format!(
                    "- not done (needs `--unsafe`): {}\n",
                    markdown_cell(alt)
                ));
            }
            out.push('\n');
        }
    }
    let left: Vec<&FileReport> = files
        .iter()
        .filter(|f| f.status == "skipped" || f.status == "failed")
        .collect();
    if !left.is_empty() {
        out.push_str("### Left as they were\n\n");
        for f in &left {
            let line = f
                .line
                .filter(|l| *l > 0)
                .map(|l| format!(":{l}"))
                .unwrap_or_default();
            out.push_str(&format!(
                "- `{}{line}`: {}: {}\n",
                f.path,
                f.status,
                markdown_cell(f.reason.as_deref().unwrap_or(""))
            ));
        }
        out.push('\n');
    }
    if s.unchanged > 0 {
        out.push_str(&format!(
            "{} Dockerfile{} already multi-stage, left alone.\n\n",
            s.unchanged,
            if s.unchanged == 1 { " is" } else { "s are" }
        ));
    }
    if !migrated.is_empty() {
        out.push_str("The savings are estimates from the images' known sizes; `msb verify PATH` builds and runs both images on a machine with Docker and measures them.\n");
    }
    out
}

/// Text safe inside a markdown table cell.
fn markdown_cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}
