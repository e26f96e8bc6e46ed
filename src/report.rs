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
        let s = &self.summary;
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
        if let Some(c) = &self.verification {
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
        for f in &self.files {
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
                note.push_str(&format!(
                    "; verified: {} → {}",
                    human_bytes(size.original_bytes),
                    human_bytes(size.migrated_bytes)
                ));
            }
            out.push_str(&format!(
                "| `{}` | {} | {} | {} | {} | {} |\n",
                f.path,
                f.status,
                f.language.as_deref().unwrap_or(""),
                f.runtime_base
                    .as_deref()
                    .map(|b| format!("`{b}`"))
                    .unwrap_or_default(),
                f.estimated_saving_bytes
                    .filter(|b| *b > 0)
                    .map(human_bytes)
                    .unwrap_or_default(),
                markdown_cell(&note)
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
}

/// Text safe inside a markdown table cell.
fn markdown_cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}
