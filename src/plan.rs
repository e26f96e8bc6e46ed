//! The plan of the output: the builder stage (the user's instructions,
//! kept or changed, plus a few new ones) and the runtime stage, built by
//! the passes in `src/passes/`, each recording the decisions it made.

use crate::analyse::Analysis;
use crate::knowledge::{Family, Knowledge};
use crate::parse::Dockerfile;
use crate::source::LineEnding;

/// Whether a decision is applied by default (ruff's fix applicability).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Applicability {
    Safe,
    Unsafe,
}

/// One thing msb decided, and why.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Decision {
    pub pass: &'static str,
    pub summary: String,
    pub applicability: Applicability,
}

/// One line (or continued instruction) of the output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// An original instruction, with its leading comments, byte for byte.
    Keep(usize),
    /// A copy of an original instruction's text, without its comments.
    Carry(usize),
    /// An original instruction with new text; its comments are kept.
    Changed { index: usize, text: String },
    /// A new instruction. Lines of a continued instruction are joined with
    /// `\n` here and get the file's line ending when rendered.
    New(String),
}

/// The runtime stage, in the order its parts are written.
#[derive(Debug, Clone, Default)]
pub struct RuntimeStage {
    pub from: Vec<Item>,
    pub args: Vec<Item>,
    pub packages: Vec<Item>,
    pub user_setup: Vec<Item>,
    pub artefacts: Vec<Item>,
    /// After the copies: a WORKDIR before them would make the app folder
    /// as root, and `COPY --chown` into a folder that exists leaves the
    /// folder itself root's (the app could not create files in it).
    pub workdir: Vec<Item>,
    pub contract: Vec<Item>,
    /// After the file's own ENVs, so an absolute `ENV PATH=...` cannot hide
    /// the dependency folder.
    pub env: Vec<Item>,
    pub user: Vec<Item>,
    pub command: Vec<Item>,
}

impl RuntimeStage {
    pub fn items(&self) -> impl Iterator<Item = &Item> {
        self.from
            .iter()
            .chain(&self.args)
            .chain(&self.packages)
            .chain(&self.user_setup)
            .chain(&self.artefacts)
            .chain(&self.workdir)
            .chain(&self.contract)
            .chain(&self.env)
            .chain(&self.user)
            .chain(&self.command)
    }
}

/// The runtime base a pass chose.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RuntimeBase {
    /// `image:tag` as written in the new FROM (may hold `${ARG}`s).
    pub image: String,
    pub family: Family,
    pub why: String,
    /// The user the image already has (`65532:65532` on distroless).
    pub nonroot_user: Option<String>,
    pub size_mb: Option<u32>,
    pub tools: Vec<String>,
}

impl RuntimeBase {
    pub fn has_tool(&self, tool: &str) -> bool {
        self.tools.iter().any(|t| t == tool)
    }
}

/// What the split is estimated to save, part by part (negative: added).
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Estimate {
    pub parts: Vec<EstimatePart>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct EstimatePart {
    pub what: String,
    pub mb: i64,
}

/// How new keywords are spelled: the file's own majority casing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Casing {
    Upper,
    Lower,
}

impl Casing {
    pub fn of(file: &Dockerfile) -> Casing {
        let lower = file
            .instructions
            .iter()
            .filter(|i| i.spelling.chars().all(|c| c.is_ascii_lowercase()))
            .count();
        if lower * 2 > file.instructions.len() {
            Casing::Lower
        } else {
            Casing::Upper
        }
    }

    pub fn word(self, upper: &str) -> String {
        match self {
            Casing::Upper => upper.to_ascii_uppercase(),
            Casing::Lower => upper.to_ascii_lowercase(),
        }
    }
}

/// What every pass reads.
pub struct PassInput<'a> {
    pub file: &'a Dockerfile,
    pub analysis: &'a Analysis,
    pub knowledge: &'a Knowledge,
    pub casing: Casing,
    pub line_ending: LineEnding,
    pub allow_unsafe: bool,
    pub runtime_preference: Option<crate::config::RuntimePreference>,
}

impl PassInput<'_> {
    /// A new instruction: `keyword` in the file's casing, then `rest`.
    pub fn instruction(&self, keyword: &str, rest: &str) -> Item {
        Item::New(format!("{} {rest}", self.casing.word(keyword)))
    }
}

/// The whole output.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub builder_name: String,
    pub builder: Vec<Item>,
    /// Original instructions moved to the runtime stage, in order.
    pub moved: Vec<usize>,
    pub runtime: RuntimeStage,
    pub runtime_base: Option<RuntimeBase>,
    /// What the split saves, estimated (`passes::estimate_saving`).
    pub estimate: Option<Estimate>,
    /// Why no runtime base could be chosen, when none was.
    pub no_base_reason: Option<String>,
    /// The user the runtime stage runs as (`10001:10001`, `appuser`).
    pub runtime_user: Option<String>,
    /// Folders the final stage's package install makes first (the
    /// original made them before its install): not copied afterwards.
    pub made_by_install: Vec<String>,
    pub decisions: Vec<Decision>,
    /// What `--unsafe` would do differently, when it is not given.
    pub unsafe_alternatives: Vec<String>,
}

impl Plan {
    pub fn decide(
        &mut self,
        pass: &'static str,
        applicability: Applicability,
        summary: impl Into<String>,
    ) {
        self.decisions.push(Decision {
            pass,
            summary: summary.into(),
            applicability,
        });
    }

    /// Insert `items` in the builder right before original instruction
    /// `index`.
    pub fn insert_in_builder_before(&mut self, index: usize, items: Vec<Item>) {
        let pos = self
            .builder
            .iter()
            .position(
                |i| matches!(i, Item::Keep(n) | Item::Changed { index: n, .. } if *n == index),
            )
            .unwrap_or(self.builder.len());
        self.builder.splice(pos..pos, items);
    }
}

/// Run every pass, in order.
pub fn build(input: &PassInput) -> Plan {
    let mut plan = Plan::default();
    for pass in crate::passes::ALL {
        pass(input, &mut plan);
    }
    plan
}
