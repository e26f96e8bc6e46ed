//! One file through the whole pipeline: parse → analyse → plan → render,
//! with the decision to migrate, skip or fail.

use std::path::{Path, PathBuf};

use crate::analyse::{self, Analysis, Blocker};
use crate::error::MsbError;
use crate::knowledge::Knowledge;
use crate::parse::{self, Dockerfile};
use crate::plan::{self, Casing, PassInput, Plan};
use crate::render;
use crate::source::{BuildContext, SourceFile};

#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Apply decisions that need `--unsafe`.
    pub allow_unsafe: bool,
    /// The kind of final base the team prefers (`msb.toml`'s `runtime`).
    pub runtime_preference: Option<crate::config::RuntimePreference>,
    /// The fleet's container runtime lets a non-root user bind ports below
    /// 1024 (`msb.toml`'s `unprivileged_ports`).
    pub unprivileged_ports: bool,
    /// What the engine saw each RUN of this file write (`--observe`):
    /// evidence for the RUNs msb cannot read. Empty: none.
    pub observed: crate::analyse::observed::Observed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The output differs from the input.
    Migrated,
    /// msb leaves the file alone, for `reason`.
    Skipped,
    /// Already multi-stage: nothing left to do (msb's own output on a
    /// re-run).
    Unchanged,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Migrated => "migrated",
            Status::Skipped => "skipped",
            Status::Unchanged => "unchanged",
        }
    }
}

/// The result for one file.
#[derive(Debug, Clone)]
pub struct Migration {
    pub status: Status,
    pub reason: Option<Blocker>,
    /// `--unsafe` would migrate a skipped file, or go further with a
    /// migrated one (`plan.unsafe_alternatives`).
    pub unsafe_available: bool,
    pub file: Dockerfile,
    pub analysis: Analysis,
    pub plan: Option<Plan>,
    /// What the split was estimated to save, part by part; kept when the
    /// file is skipped because it saves nothing.
    pub estimate: Option<crate::plan::Estimate>,
    /// The new text (without BOM); the input when skipped.
    pub output: String,
}

impl Migration {
    /// Approximate size saved: the parts of the plan's estimate added up
    /// (base images, build packages, dev dependencies, caches, less what
    /// the split adds).
    pub fn estimated_saving_mb(&self) -> Option<u32> {
        self.plan.as_ref()?;
        let total = self.estimate.as_ref()?.total_mb();
        u32::try_from(total.max(0)).ok()
    }
}

/// Parse a source file, naming the file in the error.
pub fn parse_source(source: &SourceFile) -> Result<Dockerfile, MsbError> {
    parse::parse(&source.text).map_err(|e| e.at(&source.path))
}

pub fn migrate(
    source: &SourceFile,
    context: &BuildContext,
    k: &Knowledge,
    opts: &Options,
) -> Result<Migration, MsbError> {
    let file = parse_source(source)?;
    let mut analysis = analyse::analyse_observed(&file, context, k, &opts.observed);
    let skipped =
        |reason: Blocker, unsafe_available: bool, file: Dockerfile, analysis: Analysis| Migration {
            status: Status::Skipped,
            reason: Some(reason),
            unsafe_available,
            file,
            analysis,
            plan: None,
            estimate: None,
            output: source.text.clone(),
        };
    if let Some(reason) = analysis.skip.clone() {
        let already_done = analysis.stage_count > 1;
        let mut m = skipped(reason, false, file, analysis);
        if already_done {
            m.status = Status::Unchanged;
        }
        return Ok(m);
    }
    // Port 80 as non-root is safe where the runtime allows it, and the
    // team said theirs does.
    let port_allowed = match analysis.privileged_port_blocker.clone() {
        Some(port) if opts.unprivileged_ports => {
            analysis.unsafe_blockers.retain(|b| *b != port);
            Some(port)
        }
        _ => None,
    };
    if !opts.allow_unsafe
        && let Some(first) = analysis.unsafe_blockers.first().cloned()
    {
        return Ok(skipped(first, true, file, analysis));
    }
    // A slimmer final stage that only --unsafe takes; without it, the plan
    // says so.
    let alternative = analysis.unsafe_alternative.take();
    if let Some(alt) = &alternative
        && opts.allow_unsafe
    {
        analysis.artefacts = alt.artefacts.clone();
        analysis.builder_additions = alt.builder_additions.clone();
        analysis.runtime_env = alt.runtime_env.clone();
        analysis.command_rewrites = alt.command_rewrites.clone();
    }
    let input = PassInput {
        file: &file,
        analysis: &analysis,
        knowledge: k,
        casing: Casing::of(&file),
        line_ending: source.line_ending,
        allow_unsafe: opts.allow_unsafe,
        runtime_preference: opts.runtime_preference,
    };
    let mut plan = plan::build(&input);
    if let Some(port) = port_allowed {
        plan.decide(
            "runtime_contract",
            crate::plan::Applicability::Safe,
            format!(
                "keeps the port as the non-root user: msb.toml says the fleet's runtime allows unprivileged ports (line {}: {})",
                port.line,
                port.reason.split(':').next().unwrap_or_default()
            ),
        );
    }
    if !opts.allow_unsafe
        && let Some(alt) = &alternative
    {
        plan.unsafe_alternatives.push(alt.why.clone());
    }
    if opts.allow_unsafe {
        if let Some(alt) = &alternative {
            plan.decide(
                "unsafe",
                crate::plan::Applicability::Unsafe,
                alt.why.clone(),
            );
        }
        for b in &analysis.unsafe_blockers {
            plan.decide(
                "unsafe",
                crate::plan::Applicability::Unsafe,
                format!("migrated although {}", b.reason),
            );
        }
    }
    if plan.runtime_base.is_none() {
        let line = file.instructions[0].line;
        return Ok(skipped(
            Blocker {
                line,
                reason: plan
                    .no_base_reason
                    .clone()
                    .unwrap_or_else(|| "no runtime base is known for this builder".into()),
            },
            false,
            file,
            analysis,
        ));
    }
    let output = render::render(&file, &plan, source.line_ending, source.final_newline());
    // A migration msb cannot read back is a bug: refuse it, never write it.
    let reread = match parse::parse(&output) {
        Ok(f) => f,
        Err(e) => {
            return Err(MsbError::Parse {
                path: source.path.clone(),
                line: e.line,
                reason: format!(
                    "internal error: the migrated file does not parse ({}); the file is left alone",
                    e.reason
                ),
            });
        }
    };
    if let Some(reason) = refusal(&file, &analysis, &plan, &reread, k) {
        let mut m = skipped(reason, false, file, analysis);
        // A split that saves nothing keeps its estimate: explain shows it.
        m.estimate = plan.estimate.clone();
        return Ok(m);
    }
    Ok(Migration {
        status: Status::Migrated,
        reason: None,
        unsafe_available: !plan.unsafe_alternatives.is_empty(),
        file,
        analysis,
        estimate: plan.estimate.clone(),
        plan: Some(plan),
        output,
    })
}

/// Why a rendered plan must not be emitted, if it must not: the checks
/// every ecosystem's output goes through, on the text read back.
fn refusal(
    file: &Dockerfile,
    analysis: &Analysis,
    plan: &Plan,
    reread: &Dockerfile,
    k: &Knowledge,
) -> Option<Blocker> {
    // A build whose last line ends in a continuation (`\` and nothing
    // after it) would take the new final stage in as part of its command.
    if reread.stage_starts().len() != 2 {
        return Some(Blocker {
            line: file.instructions.last().map_or(1, |i| i.line),
            reason: "the build's last instruction ends in a line continuation with nothing after it: a stage added after it would be read as part of it".into(),
        });
    }
    // A split that removes nothing is not a migration: it only adds layers
    // (and a venv's own pip) to the same base.
    if let Some(estimate) = plan.estimate.as_ref().filter(|e| e.total_mb() <= 0) {
        return Some(Blocker {
            line: file.instructions[0].line,
            reason: no_gain_reason(analysis, plan, estimate),
        });
    }
    // Every file the final stage starts must be in it; a plan that misses
    // one is not emitted.
    let missing = crate::closure::check(reread, k)?;
    let line = file
        .instructions
        .iter()
        .rev()
        .find(|i| i.keyword == missing.keyword)
        .map_or(1, |i| i.line);
    let image = plan.runtime_base.as_ref().map_or("", |b| b.image.as_str());
    Some(Blocker {
        line,
        reason: missing.reason(image),
    })
}

/// "nothing to slim: python:3.14-slim already, and the build installs no
/// build tools", with what the split would add.
fn no_gain_reason(a: &Analysis, plan: &Plan, estimate: &crate::plan::Estimate) -> String {
    let builder = a.builder.as_ref().map_or("", |b| b.resolved.as_str());
    let base = plan.runtime_base.as_ref().map_or(String::new(), |b| {
        crate::analyse::image::substitute(&b.image, &a.global_args)
    });
    let mut why = if builder == base {
        format!("nothing to slim: {builder} already")
    } else {
        format!("nothing to slim: {builder} → {base} is no smaller")
    };
    let removes: Vec<&str> = estimate
        .parts
        .iter()
        .filter(|p| p.mb > 0)
        .map(|p| p.what.as_str())
        .collect();
    if removes.is_empty() {
        why.push_str(
            ", and the build installs no build tools, dev dependencies or caches to leave behind",
        );
    } else {
        why.push_str(&format!(
            ", and what the split removes ({}) is small",
            removes.join("; ")
        ));
    }
    for added in estimate.parts.iter().filter(|p| p.mb < 0) {
        why.push_str(&format!(
            "; it would add {} (~{} MB)",
            added.what, -added.mb
        ));
    }
    why
}

/// The build context of a Dockerfile: `--context`, or its folder.
/// The build context's folder: `explicit`, or the Dockerfile's folder.
pub fn context_dir(path: &Path, explicit: Option<&Path>) -> PathBuf {
    match explicit {
        Some(dir) => dir.to_path_buf(),
        None => path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf(),
    }
}

pub fn context_for(path: &Path, explicit: Option<&Path>) -> BuildContext {
    BuildContext::new(context_dir(path, explicit))
}
