//! One serialisable record per file, for `--format json`.

use serde::Serialize;

use crate::analyse::{Artefact, Step};
use crate::migrate::{Migration, Status};
use crate::plan::Decision;

#[derive(Debug, Serialize)]
pub struct FileReport {
    pub path: String,
    /// `migrated`, `skipped` or `failed`.
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
    pub decisions: Vec<Decision>,
    /// What `--unsafe` would do differently (not applied).
    pub unsafe_alternatives: Vec<String>,
    pub artefacts: Vec<Artefact>,
    pub steps: Vec<Step>,
    pub warnings: Vec<String>,
    pub diff: String,
}

impl FileReport {
    pub fn from_migration(path: &str, m: &Migration, diff: &str) -> FileReport {
        let a = &m.analysis;
        let base = m.plan.as_ref().and_then(|p| p.runtime_base.as_ref());
        FileReport {
            path: path.to_string(),
            status: match m.status {
                Status::Migrated => "migrated",
                Status::Skipped => "skipped",
            }
            .to_string(),
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
        }
    }

    pub fn failed(path: &str, line: Option<usize>, reason: &str) -> FileReport {
        FileReport {
            path: path.to_string(),
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
            decisions: Vec::new(),
            unsafe_alternatives: Vec::new(),
            artefacts: Vec::new(),
            steps: Vec::new(),
            warnings: Vec::new(),
            diff: String::new(),
        }
    }
}
