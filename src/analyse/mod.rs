//! What a Dockerfile does, instruction by instruction, with the evidence
//! for each conclusion: the language and toolchain, the role of every
//! instruction, the artefacts the runtime needs and what the runtime base
//! must provide. `msb explain` prints this; the passes read it.

pub mod dockerignore;
pub mod dotnet;
pub mod effects;
pub mod entry;
pub mod go;
pub mod image;
pub mod interpreted;
pub mod java;
pub mod links;
pub mod loose;
pub mod make;
pub mod node;
pub mod observed;
pub mod packages;
pub mod php;
pub mod ports;
pub mod python;
pub mod ruby;
pub mod rust;
pub mod same_base;
pub mod shell;
pub mod track;

use std::collections::BTreeMap;

use crate::knowledge::{Family, Knowledge, LanguagePack, glob_match};
use crate::parse::{Dockerfile, Instruction, Keyword};
use crate::source::BuildContext;
use image::BaseImage;
use packages::{PackageOp, RuntimePackage};
use shell::Command;

/// What an instruction is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum StepRole {
    /// FROM, ARG.
    Setup,
    /// System packages needed to build (compilers, `-dev` headers).
    BuildDeps,
    /// System packages the app needs at run time.
    RuntimeDeps,
    /// Copies a dependency manifest (requirements.txt, go.mod).
    DepManifest,
    /// Installs the app's dependencies.
    DepInstall,
    /// Copies the app's sources.
    SourceCopy,
    /// Compiles or generates build outputs.
    Build,
    /// Creates users or groups.
    UserSetup,
    /// Arranges files (mkdir, chmod, ln...).
    Housekeeping,
    /// ENV, WORKDIR, EXPOSE, USER, LABEL, HEALTHCHECK...
    RuntimeConfig,
    /// ENTRYPOINT, CMD.
    Entrypoint,
    /// Runs a program msb does not know.
    Unknown,
}

/// One instruction's role and the evidence for it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Step {
    pub index: usize,
    pub line: usize,
    pub role: StepRole,
    pub evidence: String,
}

/// A path to copy from the builder into the runtime stage.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Artefact {
    pub from: String,
    pub to: String,
    pub why: String,
    /// Owned by the runtime user (the app may write there).
    pub writable: bool,
    /// A single file from the build context (not a folder): files side by
    /// side are copied by one COPY.
    #[serde(skip)]
    pub file: bool,
}

/// A file that configures the package manager (`/etc/apt/sources.list.d/
/// x.list`, a keyring), written by the RUN at `index`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PackageSource {
    pub index: usize,
    pub line: usize,
    pub path: String,
}

/// Something that stops a safe migration, with the line it is about.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Blocker {
    pub line: usize,
    pub reason: String,
}

/// A RUN's simple commands, with the folder each runs in.
#[derive(Debug, Clone)]
pub struct RunCommand {
    pub index: usize,
    pub cwd: String,
    pub command: Command,
}

/// A COPY/ADD from the build context (or a URL, or another image).
#[derive(Debug, Clone)]
pub struct ContextCopy {
    pub index: usize,
    pub sources: Vec<String>,
    /// Absolute paths in the image this copy creates or fills.
    pub roots: Vec<String>,
    /// Each source with the path it lands at.
    pub pairs: Vec<(String, String)>,
    pub manifest_only: bool,
    pub chown: Option<String>,
    /// `COPY --from=IMAGE`: files from another image (a tool binary such
    /// as uv or composer), not from the build context.
    pub from_image: Option<String>,
}

/// The language found and why.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Detected {
    pub id: String,
    pub name: String,
    pub evidence: Vec<String>,
}

/// What the program started by ENTRYPOINT/CMD needs.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct RuntimeNeeds {
    /// Why the runtime base needs a shell (empty: it does not).
    pub shell: Vec<String>,
    /// Programs the runtime commands call, with why.
    pub tools: Vec<(String, String)>,
    /// Absolute paths that must exist, owned by the runtime user (VOLUMEs).
    pub writable_dirs: Vec<String>,
    /// Why the app must run as root (a daemon like cron).
    pub root: Vec<String>,
}

/// Which of the language pack's `runtime_base` templates the runtime
/// stage starts from, with extra placeholders the language fills (the
/// Java version a Maven tag names, the .NET variant).
#[derive(Debug, Clone, serde::Serialize)]
pub struct RuntimeChoice {
    pub key: String,
    pub vars: BTreeMap<String, String>,
    /// Added to the template's own why.
    pub why: String,
}

/// New instructions for the builder stage, right before an original
/// instruction (or at its end), that put what the runtime copies in one
/// place (a virtualenv) or leave only what it needs (`npm prune`).
#[derive(Debug, Clone, serde::Serialize)]
pub struct BuilderAddition {
    /// Original instruction index to insert before; `None`: after the
    /// last build step.
    pub before: Option<usize>,
    /// `(KEYWORD, rest)` pairs, written in the file's casing.
    pub lines: Vec<(String, String)>,
    pub why: String,
}

/// A RUN the runtime stage needs of its own (a global `serve` the
/// command starts), with why.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RuntimeRun {
    pub text: String,
    pub why: String,
}

/// An ENTRYPOINT/CMD whose program is a development runner (`cargo run`,
/// `poetry run`, `go run`), rewritten to what it runs.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CommandRewrite {
    pub index: usize,
    /// The instruction's new arguments (after the keyword).
    pub args: String,
    pub why: String,
    /// Needs `--unsafe` (the builder gains a build step for it).
    pub needs_unsafe: bool,
}

/// Another final stage that only `--unsafe` applies (Next.js's standalone
/// server instead of `next start`): it replaces these parts of the
/// analysis, and `why` says what changes.
#[derive(Debug, Clone, serde::Serialize)]
pub struct UnsafeAlternative {
    pub artefacts: Vec<Artefact>,
    pub builder_additions: Vec<BuilderAddition>,
    pub runtime_env: Vec<String>,
    pub command_rewrites: Vec<CommandRewrite>,
    pub why: String,
}

/// Everything msb knows about one Dockerfile.
#[derive(Debug, Clone)]
pub struct Analysis {
    pub stage_count: usize,
    pub builder: Option<BaseImage>,
    pub builder_stage_name: Option<String>,
    pub language: Option<Detected>,
    pub steps: Vec<Step>,
    /// Why msb leaves the file alone.
    pub skip: Option<Blocker>,
    /// What only `--unsafe` may go past.
    pub unsafe_blockers: Vec<Blocker>,
    pub warnings: Vec<String>,
    /// ARGs declared before the first FROM, with their defaults.
    pub global_args: BTreeMap<String, String>,
    /// ARGs of the stage: name → instruction index.
    pub stage_args: BTreeMap<String, usize>,
    /// The working directory before each instruction (absolute).
    pub workdir_before: Vec<String>,
    /// The final WORKDIR, if the file sets one.
    pub final_workdir: Option<String>,
    /// The last USER instruction, if any.
    pub final_user: Option<usize>,
    /// ENV values at the end of the stage.
    pub env: BTreeMap<String, String>,
    pub run_commands: Vec<RunCommand>,
    pub copies: Vec<ContextCopy>,
    pub user_setup: Vec<usize>,
    pub installed_packages: Vec<String>,
    pub removed_packages: Vec<String>,
    /// The last instruction that changes the builder's files.
    pub last_build_index: usize,
    pub artefacts: Vec<Artefact>,
    pub runtime_packages: Vec<RuntimePackage>,
    /// Package sources RUN lines add (an apt repository and its key):
    /// the final stage needs them only to install packages from them.
    pub package_sources: Vec<PackageSource>,
    /// Whether the SHELL that RUN lines run in expands braces (bash).
    pub shell_braces: bool,
    pub runtime: RuntimeNeeds,
    /// A port below 1024 already blocks the migration (said once).
    pub privileged_port: bool,
    /// The blocker that port gave, which `msb.toml` may lift.
    pub privileged_port_blocker: Option<Blocker>,
    /// The runtime template the language chose (None: by distro family).
    pub runtime_choice: Option<RuntimeChoice>,
    pub builder_additions: Vec<BuilderAddition>,
    /// ENV arguments for the runtime stage (a dependency folder on PATH).
    pub runtime_env: Vec<String>,
    pub runtime_runs: Vec<RuntimeRun>,
    pub command_rewrites: Vec<CommandRewrite>,
    /// A slimmer final stage that only `--unsafe` applies.
    pub unsafe_alternative: Option<UnsafeAlternative>,
    /// How many dev dependencies the builder removes before the final stage
    /// copies the dependencies (a prune msb adds).
    pub pruned_dev_dependencies: usize,
    /// The final stage copies only build outputs: the installed
    /// dependencies (node_modules) stay in the builder.
    pub dependencies_left_behind: bool,
    pub python: Option<python::PythonFacts>,
    pub go: Option<go::GoFacts>,
    pub ruby: Option<ruby::RubyFacts>,
    pub rust: Option<rust::RustFacts>,
    pub node: Option<node::NodeFacts>,
    /// The final stage starts from the builder's own plain distribution
    /// image, the language being its packages (`same_base.rs`).
    pub same_base: Option<same_base::SameBase>,
    /// `commands.toml`'s system folders, which are never copied whole.
    system_dirs: Vec<String>,
    /// `commands.toml`'s folders an app may be copied straight into.
    loose: crate::knowledge::LooseRules,
    /// What the engine saw each RUN write (`--observe`; empty without).
    observed: observed::Observed,
    /// Links and changed files of observed RUNs, `(line, path)`: fine
    /// only inside what the final stage copies, checked once it is known.
    observed_checks: Vec<(usize, observed::ObservedPath)>,
}

impl Analysis {
    fn blank() -> Analysis {
        Analysis {
            stage_count: 0,
            builder: None,
            builder_stage_name: None,
            language: None,
            steps: Vec::new(),
            skip: None,
            unsafe_blockers: Vec::new(),
            warnings: Vec::new(),
            global_args: BTreeMap::new(),
            stage_args: BTreeMap::new(),
            workdir_before: Vec::new(),
            final_workdir: None,
            final_user: None,
            env: BTreeMap::new(),
            run_commands: Vec::new(),
            copies: Vec::new(),
            user_setup: Vec::new(),
            installed_packages: Vec::new(),
            removed_packages: Vec::new(),
            last_build_index: 0,
            artefacts: Vec::new(),
            runtime_packages: Vec::new(),
            package_sources: Vec::new(),
            shell_braces: false,
            runtime: RuntimeNeeds::default(),
            privileged_port: false,
            privileged_port_blocker: None,
            runtime_choice: None,
            builder_additions: Vec::new(),
            runtime_env: Vec::new(),
            runtime_runs: Vec::new(),
            command_rewrites: Vec::new(),
            unsafe_alternative: None,
            pruned_dev_dependencies: 0,
            dependencies_left_behind: false,
            python: None,
            go: None,
            ruby: None,
            rust: None,
            node: None,
            same_base: None,
            system_dirs: Vec::new(),
            loose: crate::knowledge::LooseRules::default(),
            observed: observed::Observed::default(),
            observed_checks: Vec::new(),
        }
    }

    pub fn workdir_at(&self, index: usize) -> &str {
        self.workdir_before
            .get(index)
            .map(String::as_str)
            .unwrap_or("/")
    }

    /// The step of instruction `index` (every instruction has one, in
    /// order, so this is a lookup, not a search: files of thousands of
    /// instructions stay linear).
    pub fn step(&self, index: usize) -> Option<&Step> {
        match self.steps.get(index) {
            Some(step) if step.index == index => Some(step),
            _ => self.steps.iter().find(|s| s.index == index),
        }
    }

    /// Whether instruction `index` has this role.
    pub fn has_role(&self, index: usize, role: StepRole) -> bool {
        self.step(index).is_some_and(|s| s.role == role)
    }

    fn set_role(&mut self, index: usize, role: StepRole, evidence: impl Into<String>) {
        let position = match self.steps.get(index) {
            Some(step) if step.index == index => Some(index),
            _ => self.steps.iter().position(|s| s.index == index),
        };
        if let Some(step) = position.map(|p| &mut self.steps[p]) {
            step.role = role;
            step.evidence = evidence.into();
        }
    }

    pub fn add_artefact(
        &mut self,
        line: usize,
        from: &str,
        to: &str,
        why: impl Into<String>,
        writable: bool,
    ) {
        // A variable msb cannot resolve, or a system folder, would copy the
        // wrong thing (`COPY --from=builder /$X` is the whole builder).
        let why = why.into();
        // COPY does not expand braces: `man{1..8}` would name nothing.
        if shell::has_braces(from) || shell::has_braces(to) {
            self.block(
                line,
                format!("{from} holds braces the shell would expand ({why})"),
            );
            return;
        }
        if from.contains('$') || to.contains('$') {
            self.block(
                line,
                format!("{from} depends on a variable msb cannot resolve ({why})"),
            );
            return;
        }
        if self.is_system_dir(from) || self.is_system_dir(to) {
            self.block(
                line,
                format!("would copy the system folder {from} to the final stage ({why})"),
            );
            return;
        }
        if self.artefacts.iter().any(|a| a.to == to) {
            return;
        }
        // A path inside one already copied comes with it.
        if self
            .artefacts
            .iter()
            .any(|a| a.from == a.to && from == to && is_under(from, &a.from))
        {
            return;
        }
        // Paths inside this one, copied before, come with it now (one COPY,
        // not the same files twice), unless they were writable and it is not.
        self.artefacts.retain(|a| {
            !(a.from == a.to && from == to && is_under(&a.from, from) && (writable || !a.writable))
        });
        self.artefacts.push(Artefact {
            from: from.to_string(),
            to: to.to_string(),
            why,
            writable,
            file: false,
        });
    }

    /// A folder where copying it whole would carry the system along.
    pub fn is_system_dir(&self, path: &str) -> bool {
        self.system_dirs.iter().any(|d| d == path)
    }

    /// A folder an app may be copied straight into (`/`, `/tmp`): the
    /// final stage copies the exact paths in it (`loose.rs`).
    pub fn is_loose_dir(&self, path: &str) -> bool {
        loose::is_loose_dir(&self.loose, path)
    }

    /// A file ENTRYPOINT/CMD starts that no step msb knows makes: when a
    /// step msb does not know is pending (only `--unsafe` gets past it),
    /// that step may make it, and it is copied as it is. Whether it was.
    pub fn carry_made_by_unknown_step(&mut self, line: usize, path: &str, keyword: &str) -> bool {
        if self.unsafe_blockers.is_empty() {
            return false;
        }
        self.add_artefact(
            line,
            path,
            path,
            format!("line {line}: {keyword} runs it; a step msb does not know makes it"),
            false,
        );
        true
    }

    /// Marks the artefact copied to `to` as a single file.
    pub fn mark_file(&mut self, to: &str) {
        if let Some(artefact) = self.artefacts.iter_mut().find(|x| x.to == to) {
            artefact.file = true;
        }
    }

    pub fn is_copied(&self, path: &str) -> bool {
        self.artefacts.iter().any(|a| is_under(path, &a.to))
    }

    fn block(&mut self, line: usize, reason: impl Into<String>) {
        if self.skip.is_none() {
            self.skip = Some(Blocker {
                line,
                reason: reason.into(),
            });
        }
    }

    /// A port below 1024 that a non-root user may not bind: unsafe, unless
    /// `msb.toml` says the fleet's runtime allows unprivileged ports.
    pub fn block_privileged_port(&mut self, line: usize, reason: impl Into<String>) {
        let blocker = Blocker {
            line,
            reason: reason.into(),
        };
        self.privileged_port = true;
        self.privileged_port_blocker = Some(blocker.clone());
        self.unsafe_blockers.push(blocker);
    }

    fn block_unless_unsafe(&mut self, line: usize, reason: impl Into<String>) {
        self.unsafe_blockers.push(Blocker {
            line,
            reason: reason.into(),
        });
    }
}

/// The line of the file's (only) FROM, for reasons about the base image.
pub fn from_line(file: &Dockerfile) -> usize {
    file.instructions
        .iter()
        .find(|i| i.keyword == Keyword::From)
        .map_or(1, |i| i.line)
}

/// Whether the builder is the language's own image (node.toml's,
/// ruby.toml's, python.toml's detection images), or a plain distribution
/// image with the language from its packages (`same_base.rs`). Only such
/// an image tells which runtime has the same interpreter; one installed
/// by nvm or a script on another base does not, so the file is blocked and
/// this is false. `image_kind` names the image in the reason (`Node.js`),
/// `interpreter` what the slim image must have the same of (`Node`).
pub fn require_language_image(
    file: &Dockerfile,
    pack: &LanguagePack,
    k: &Knowledge,
    a: &mut Analysis,
    image_kind: &str,
    interpreter: &str,
) -> bool {
    let Some(b) = &a.builder else {
        return false;
    };
    if pack.detect.images.contains(&b.base_name)
        || b.vendor_runtime.as_deref() == Some(pack.id.as_str())
    {
        return true;
    }
    let written = b.written.clone();
    match same_base::check(file, pack, k, a) {
        same_base::Outcome::Applies => return true,
        same_base::Outcome::Blocked => return false,
        same_base::Outcome::NotPlain => {}
    }
    a.block(
        from_line(file),
        format!(
            "{written} is not a {image_kind} image: msb cannot tell which slim image has the same {interpreter}"
        ),
    );
    false
}

/// Whether `path` is `dir` or inside it.
pub fn is_under(path: &str, dir: &str) -> bool {
    let dir = dir.trim_end_matches('/');
    dir.is_empty()
        || path
            .strip_prefix(dir)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// `path` below `dir`, without the `/` between (`/app/x/y` under `/app` is
/// `x/y`); empty when `path` is `dir`; None when it is not under it.
pub fn relative_to<'a>(path: &'a str, dir: &str) -> Option<&'a str> {
    let dir = dir.trim_end_matches('/');
    if path == dir {
        return Some("");
    }
    path.strip_prefix(dir)?.strip_prefix('/')
}

/// Resolve `path` against `cwd`, folding `.` and `..`.
pub fn absolute(cwd: &str, path: &str) -> String {
    // `cwd` then `path` part by part, as if joined with a `/` (an
    // absolute `path` alone), without building the joined string.
    let base = if path.starts_with('/') { "" } else { cwd };
    let mut parts: Vec<&str> = Vec::new();
    for part in slash_parts(base).chain(slash_parts(path)) {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    let mut out = String::with_capacity(cwd.len() + path.len() + 1);
    for p in &parts {
        out.push('/');
        out.push_str(p);
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

/// The parts of `path` between slashes, as `path.split('/')` gives them,
/// by a byte scan: a string searcher per call cost more than the paths
/// are long (`absolute` runs dozens of times per Dockerfile).
fn slash_parts(path: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(path);
    std::iter::from_fn(move || {
        let r = rest?;
        match r.bytes().position(|b| b == b'/') {
            Some(i) => {
                rest = Some(&r[i + 1..]);
                Some(&r[..i])
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
}

/// The last part of a path (`/usr/bin/python3` → `python3`, `app` →
/// `app`): what `rsplit('/').next()` gives, by a byte scan instead of a
/// string searcher (called for every word of every command).
pub fn basename(path: &str) -> &str {
    match path.bytes().rposition(|b| b == b'/') {
        Some(i) => &path[i + 1..],
        None => path,
    }
}

/// The folder of an absolute path (`/usr/local/bin/app` → `/usr/local/bin`,
/// `/app` → `/`); empty for a bare name.
pub fn parent(path: &str) -> String {
    match path.rsplit_once('/') {
        Some(("", _)) => "/".to_string(),
        Some((p, _)) => p.to_string(),
        None => String::new(),
    }
}

/// Analyse a parsed Dockerfile with its build context.
pub fn analyse(file: &Dockerfile, context: &BuildContext, k: &Knowledge) -> Analysis {
    analyse_observed(file, context, k, &observed::Observed::default())
}

/// `analyse`, with what the engine saw each RUN write (`--observe`) as
/// evidence for the RUNs msb cannot read.
pub fn analyse_observed(
    file: &Dockerfile,
    context: &BuildContext,
    k: &Knowledge,
    observed: &observed::Observed,
) -> Analysis {
    let mut a = Analysis::blank();
    a.observed = observed.clone();
    a.system_dirs = k.commands.system_dirs.clone();
    a.loose = k.commands.loose.clone();
    let starts = file.stage_starts();
    a.stage_count = starts.len();
    if file.escape == '`' {
        a.block(
            file.directives
                .iter()
                .find(|d| d.name == "escape")
                .map_or(1, |d| d.line),
            "uses the backtick escape (# escape=`) of Windows images, which msb does not migrate",
        );
        return a;
    }
    if starts.len() > 1 {
        a.block(
            file.instructions[starts[1]].line,
            format!("already multi-stage ({} stages)", starts.len()),
        );
        return a;
    }
    let from_index = starts[0];
    for i in &file.instructions[..from_index] {
        let (name, value) = arg_pair(&i.args);
        a.global_args.insert(name, value);
    }
    let from = &file.instructions[from_index];
    let words = from.words();
    let Some(image_word) = words.first() else {
        a.block(from.line, "FROM names no image");
        return a;
    };
    if words.len() >= 3 && words[1].eq_ignore_ascii_case("as") {
        a.builder_stage_name = Some(words[2].to_string());
    }
    let builder = image::read(image_word, &a.global_args, k);
    if builder.family == Family::Windows {
        a.block(
            from.line,
            format!(
                "{} is a Windows image, which msb does not migrate",
                builder.written
            ),
        );
        return a;
    }
    if builder.runtime_only {
        let why = match builder.family {
            Family::Scratch => {
                "scratch holds only what is copied in: there is no build to split".to_string()
            }
            Family::Distroless => format!(
                "{} is already a minimal runtime image: there is no build to split",
                builder.written
            ),
            _ => format!(
                "{} only serves or runs prebuilt files: there is no build to split",
                builder.written
            ),
        };
        a.block(from.line, format!("runtime-only image: {why}"));
        a.builder = Some(builder);
        return a;
    }
    a.builder = Some(builder);

    walk_stage(file, from_index, context, k, &mut a);

    let Some(pack) = detect_language(file, context, k, &mut a) else {
        let image = a
            .builder
            .as_ref()
            .map(|b| b.written.clone())
            .unwrap_or_default();
        let known: Vec<&str> = k.languages.iter().map(|l| l.id.as_str()).collect();
        a.block(
            from.line,
            format!(
                "unknown toolchain: {image} with no sign of a language msb migrates ({})",
                known.join(", ")
            ),
        );
        return a;
    };
    classify_steps(file, pack, k, &mut a);
    match pack.id.as_str() {
        "python" => python::analyse(file, context, pack, k, &mut a),
        "go" => go::analyse(file, context, pack, k, &mut a),
        "ruby" => ruby::analyse(file, context, pack, k, &mut a),
        "php" => php::analyse(file, context, pack, k, &mut a),
        "java" => java::analyse(file, context, pack, k, &mut a),
        "dotnet" => dotnet::analyse(file, context, pack, k, &mut a),
        "rust" => rust::analyse(file, context, pack, k, &mut a),
        "node" => node::analyse(file, context, pack, k, &mut a),
        _ => {}
    }
    ports::check(file, &k.commands.ports, &mut a);
    housekeeping_paths(file, pack, k, &mut a);
    installer_sources(file, k, &mut a);
    check_observed(&mut a);
    runtime_needs(file, context, k, &mut a);
    check_non_root(file, &mut a);
    same_base::finish(file, context, k, &mut a);
    runtime_packages(k, &mut a);
    same_base::require_gain(file, &mut a);
    a
}

/// Files that RUN lines make or change outside the copied folders
/// (`mkdir -p /var/log/app`, `cp x /etc/app/`, `echo > /etc/x`) are copied
/// from the builder, which keeps their owner and mode. A symlink made
/// there cannot be copied faithfully, so it needs --unsafe. Files made in
/// the language's code folders (`src/`, `target/`) are the build's own.
fn housekeeping_paths(file: &Dockerfile, pack: &LanguagePack, k: &Knowledge, a: &mut Analysis) {
    let commands = a.run_commands.clone();
    // The language's build inputs (`chmod +x mvnw`) stay in the builder.
    let manifests: Vec<String> = a
        .language
        .as_ref()
        .and_then(|l| k.language(&l.id))
        .map(|p| p.steps.dep_manifests.clone())
        .unwrap_or_default();
    for rc in &commands {
        let c = &rc.command;
        let program = c.program();
        let line = file.instructions[rc.index].line;
        let mut paths: Vec<String> = c.writes.iter().map(|w| absolute(&rc.cwd, w)).collect();
        // `install -d DIR...` makes folders, like mkdir.
        let makes_dirs = program == "install"
            && c.args()
                .iter()
                .any(|w| w == "--directory" || (w.starts_with('-') && w[1..].starts_with('d')));
        if k.commands.path_changers.iter().any(|p| p == program) {
            let operands: Vec<&String> = if program == "install" {
                // `install -m 0755 SRC DEST`: without the option values.
                track::install_operands(c.args())
            } else {
                c.args().iter().filter(|x| !x.starts_with('-')).collect()
            };
            if (matches!(program, "cp" | "mv") || program == "install" && !makes_dirs)
                && let Some((dest, sources)) = operands.split_last()
                && !sources.is_empty()
            {
                // Into a folder, each source lands under its own name
                // (`cp target/release/app /usr/local/bin/`).
                let dest_abs = absolute(&rc.cwd, dest);
                let into_folder = sources.len() > 1
                    || dest.ends_with('/')
                    || dest.as_str() == "."
                    || dest_abs == rc.cwd
                    || a.is_system_dir(&dest_abs)
                    || k.images.runtime_path.contains(&dest_abs);
                if into_folder {
                    for source in sources {
                        let name = basename(source.trim_end_matches('/'));
                        paths.push(absolute(&dest_abs, name));
                    }
                } else {
                    paths.push(dest_abs);
                }
            }
            let targets: Vec<&String> = match program {
                // Done above.
                "cp" | "mv" => Vec::new(),
                "install" if !makes_dirs => Vec::new(),
                // The destination is the last operand.
                "ln" => operands.last().into_iter().copied().collect(),
                // The owner or mode comes first.
                "chown" | "chmod" | "chgrp" => operands.iter().skip(1).copied().collect(),
                _ => operands.clone(),
            };
            if program == "ln" {
                if links::replay(k, a, line, &rc.cwd, &operands) {
                    continue;
                }
                if let Some(t) = targets.first() {
                    let path = absolute(&rc.cwd, t);
                    if !a.is_copied(&path) {
                        a.block_unless_unsafe(
                            line,
                            format!(
                                "RUN makes a link at {path}, outside what the runtime stage gets"
                            ),
                        );
                    }
                }
                continue;
            }
            paths.extend(targets.iter().map(|t| absolute(&rc.cwd, t)));
        }
        for path in paths.iter().flat_map(|p| c.expanded(p)) {
            // A variable of the base image (`$PHP_INI_DIR`) msb does not
            // know: the final stage's own base has that file where it was.
            if path.contains('$') || path.starts_with("/dev/") || path.starts_with("/tmp") {
                continue;
            }
            if a.is_system_dir(&path) || a.is_copied(&path) || in_code_dir(&path, &rc.cwd, pack, a)
            {
                continue;
            }
            // `/bin/sh` made `man{1..8}` literally, surely not what was
            // meant (bash braces were expanded above).
            if shell::has_braces(&path) {
                a.block_unless_unsafe(
                    line,
                    format!(
                        "`{program}` names {path}, but /bin/sh (dash, ash) does not expand braces: it makes that name literally (`bash -c` would make several paths)"
                    ),
                );
                continue;
            }
            // The shell expands `*` against the builder's files; COPY would
            // match it against the same names only by chance.
            if path.contains(['*', '?', '[']) {
                a.block_unless_unsafe(
                    line,
                    format!(
                        "`{program}` changes {path}, a pattern the shell expands: msb cannot tell which files the final stage needs"
                    ),
                );
                continue;
            }
            if k.commands
                .package_sources
                .iter()
                .any(|d| is_under(&path, d))
            {
                if !a.package_sources.iter().any(|s| s.path == path) {
                    a.package_sources.push(PackageSource {
                        index: rc.index,
                        line,
                        path,
                    });
                }
                continue;
            }
            let name = basename(&path);
            if manifests.iter().any(|g| glob_match(g, name)) {
                continue;
            }
            // A folder made for the app (logs, uploads) is the app's to write.
            let made_for_the_app = program == "mkdir" || makes_dirs;
            // A folder that receives the build context holds sources
            // (`mkdir /go/src/app` then `ADD . /go/src/app`; a `make` or
            // `tar -x` where `COPY . .` put them): the language's analysis
            // decides what of them the runtime gets.
            let made_before_sources = made_for_the_app
                && a.copies.iter().any(|c| {
                    c.from_image.is_none()
                        && c.index > rc.index
                        && c.roots.iter().any(|r| is_under(r, &path))
                });
            if made_before_sources || holds_the_context(a, &path) {
                continue;
            }
            let why = if a.observed.wrote(rc.index, &path) {
                format!("line {line}: the engine saw the RUN write it (--observe)")
            } else {
                format!("line {line}: {program} makes or changes it")
            };
            a.add_artefact(line, &path, &path, why, made_for_the_app);
        }
    }
}

/// The package sources that known installers add (NodeSource's
/// `setup_18.x`): like an `echo "deb …" > /etc/apt/sources.list.d/x.list`,
/// the final stage gets them only ahead of installing a package the
/// original installed after them.
fn installer_sources(file: &Dockerfile, k: &Knowledge, a: &mut Analysis) {
    let mut found = Vec::new();
    let mut rest = a.run_commands.as_slice();
    while let Some(first) = rest.first() {
        let count = rest.iter().take_while(|r| r.index == first.index).count();
        let plain: Vec<&Command> = rest[..count].iter().map(|rc| &rc.command).collect();
        for run in effects::installers(&plain, &k.commands) {
            for path in &run.installer.package_sources {
                found.push((first.index, path.clone()));
            }
        }
        rest = &rest[count..];
    }
    for (index, path) in found {
        if a.package_sources.iter().any(|s| is_under(&path, &s.path)) {
            continue;
        }
        // A file the folder holds comes with it; the folder is needed
        // from the earliest of them on.
        let mut earliest = index;
        a.package_sources.retain(|s| {
            let inside = is_under(&s.path, &path);
            if inside {
                earliest = earliest.min(s.index);
            }
            !inside
        });
        a.package_sources.push(PackageSource {
            index: earliest,
            line: file.instructions[index].line,
            path,
        });
    }
}

/// Whether `path` lies in one of the language's code folders (`src/`,
/// `target/`, `internal/`) of the folder a RUN works in, the app's
/// WORKDIR or a folder the sources were copied to.
/// Whether a COPY of the whole build context (or of a folder of it) fills
/// exactly this folder.
fn holds_the_context(a: &Analysis, folder: &str) -> bool {
    a.copies.iter().any(|c| {
        c.from_image.is_none()
            && c.pairs.iter().any(|(src, root)| {
                root == folder && (src == "." || src == "./" || src.ends_with('/'))
            })
    })
}

fn in_code_dir(path: &str, cwd: &str, pack: &LanguagePack, a: &Analysis) -> bool {
    let bases = std::iter::once(cwd)
        .chain(a.final_workdir.as_deref())
        .chain(
            a.copies
                .iter()
                .flat_map(|c| c.roots.iter().map(String::as_str)),
        );
    for base in bases {
        let base = base.trim_end_matches('/');
        if let Some(rel) = path.strip_prefix(&format!("{base}/")) {
            let first = rel.split('/').next().unwrap_or("");
            if pack.code_dirs.iter().any(|d| d == first) {
                return true;
            }
        }
    }
    false
}

/// `NAME=value` or `NAME` of an ARG.
fn arg_pair(args: &str) -> (String, String) {
    let first = args.split_whitespace().next().unwrap_or("");
    match first.split_once('=') {
        Some((n, v)) => (n.to_string(), v.trim_matches('"').to_string()),
        None => (first.to_string(), String::new()),
    }
}

/// ENV pairs in both forms (`ENV A=1 B=2`, legacy `ENV A 1 2`).
pub fn env_pairs(args: &str) -> Vec<(String, String)> {
    plain_env_pairs(args).unwrap_or_else(|| tokenized_env_pairs(args))
}

/// `env_pairs` through the shell's tokenizer: quoting and escapes as the
/// engine reads them.
fn tokenized_env_pairs(args: &str) -> Vec<(String, String)> {
    match shell::commands(args).first() {
        Some(first) if !first.env.is_empty() => first.env.clone(),
        Some(_) => legacy_env_pair(args),
        None => Vec::new(),
    }
}

/// The legacy form `ENV NAME value…`: the first word is the name, the rest
/// the value.
fn legacy_env_pair(args: &str) -> Vec<(String, String)> {
    let trimmed = args.trim();
    match trimmed.split_once(char::is_whitespace) {
        Some((name, value)) => vec![(name.to_string(), value.trim().to_string())],
        None => vec![(trimmed.to_string(), String::new())],
    }
}

/// `env_pairs` without the shell's tokenizer, for the common ENV with no
/// quoting, escapes, braces or operators (`A=1 PATH=/x:$PATH`, `A 1`):
/// the same pairs, read off the blanks. None when the tokenizer must read it.
fn plain_env_pairs(args: &str) -> Option<Vec<(String, String)>> {
    const SHELL: &[char] = &[
        '"', '\'', '\\', '`', '{', '}', '(', ')', ';', '&', '|', '<', '>', '\n', '#', '*', '?',
        '[', '~',
    ];
    if args.contains(SHELL) {
        return None;
    }
    let mut words = args.split_whitespace();
    let first = words.next()?;
    let Some((name, value)) = first.split_once('=') else {
        return Some(legacy_env_pair(args));
    };
    if !is_env_name(name) {
        return None;
    }
    let mut pairs = vec![(name.to_string(), value.to_string())];
    for word in words {
        match word.split_once('=') {
            Some((n, v)) if is_env_name(n) => pairs.push((n.to_string(), v.to_string())),
            // A word after the assignments would be a command to the shell.
            _ => break,
        }
    }
    Some(pairs)
}

fn is_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// One pass over the stage: working directories, users, ARG/ENV, the
/// commands of each RUN, the copies from the context and the packages.
fn walk_stage(
    file: &Dockerfile,
    from: usize,
    context: &BuildContext,
    k: &Knowledge,
    a: &mut Analysis,
) {
    // The image's own WORKDIR (gradle's /home/gradle) is where the file
    // starts, and where the container runs unless the file moves it.
    let mut workdir = "/".to_string();
    if let Some(dir) = a.builder.as_ref().and_then(|b| b.workdir.clone()) {
        workdir = dir;
        a.final_workdir = Some(workdir.clone());
    }
    // A stage sees a global ARG only once it declares it again, and the
    // variables its base image sets (`$GOPATH` of golang).
    let mut stage_vars: BTreeMap<String, String> = a
        .builder
        .as_ref()
        .map(|b| b.env.clone())
        .unwrap_or_default();
    for (index, ins) in file.instructions.iter().enumerate() {
        a.workdir_before.push(workdir.clone());
        if index <= from {
            let role = if ins.keyword == Keyword::From {
                "the build's base image"
            } else {
                "a build argument for FROM"
            };
            a.steps.push(Step {
                index,
                line: ins.line,
                role: StepRole::Setup,
                evidence: role.to_string(),
            });
            continue;
        }
        let (role, evidence) = match ins.keyword {
            Keyword::Workdir => {
                let dir = image::expand_known(ins.args.trim().trim_matches('"'), &stage_vars);
                if dir.contains('$') {
                    a.block(
                        ins.line,
                        format!("WORKDIR {dir} depends on a variable msb cannot resolve"),
                    );
                }
                workdir = absolute(&workdir, &dir);
                a.final_workdir = Some(workdir.clone());
                (
                    StepRole::RuntimeConfig,
                    format!("working directory {workdir}"),
                )
            }
            Keyword::Arg => {
                let (name, value) = arg_pair(&ins.args);
                a.stage_args.insert(name.clone(), index);
                let has_default = ins.args.contains('=');
                match a.global_args.get(&name) {
                    Some(global) if !has_default => {
                        stage_vars.insert(name.clone(), global.clone());
                    }
                    _ if has_default => {
                        stage_vars.insert(name.clone(), value);
                    }
                    _ => {}
                }
                (StepRole::Setup, format!("build argument {name}"))
            }
            Keyword::Env => {
                let pairs = env_pairs(&ins.args);
                for (n, v) in &pairs {
                    let v = image::expand_known(v, &stage_vars);
                    stage_vars.insert(n.clone(), v.clone());
                    a.env.insert(n.clone(), v);
                }
                let names: Vec<&str> = pairs.iter().map(|(n, _)| n.as_str()).collect();
                (
                    StepRole::RuntimeConfig,
                    format!("environment {}", names.join(", ")),
                )
            }
            Keyword::User => {
                a.final_user = Some(index);
                (
                    StepRole::RuntimeConfig,
                    format!("runs as {}", ins.args.trim()),
                )
            }
            Keyword::Cmd | Keyword::Entrypoint => (
                StepRole::Entrypoint,
                format!(
                    "what the container runs ({})",
                    if ins.exec.is_some() {
                        "exec form"
                    } else {
                        "shell form"
                    }
                ),
            ),
            Keyword::Run => {
                walk_run(ins, index, &workdir, &stage_vars, k, context, a);
                (StepRole::Unknown, String::new())
            }
            Keyword::Copy | Keyword::Add => {
                walk_copy(ins, index, &workdir, &stage_vars, context, a);
                (StepRole::SourceCopy, String::new())
            }
            Keyword::Shell => {
                a.shell_braces = ins
                    .exec
                    .as_ref()
                    .and_then(|w| w.first())
                    .is_some_and(|p| shell::expands_braces(p));
                (
                    StepRole::RuntimeConfig,
                    "SHELL is image configuration".to_string(),
                )
            }
            Keyword::Onbuild => (
                StepRole::RuntimeConfig,
                "runs in images built FROM this one".into(),
            ),
            other => (
                StepRole::RuntimeConfig,
                format!("{} is image configuration", other.as_str()),
            ),
        };
        a.steps.push(Step {
            index,
            line: ins.line,
            role,
            evidence,
        });
        if matches!(ins.keyword, Keyword::Run | Keyword::Copy | Keyword::Add) {
            a.last_build_index = index;
        }
    }
}

fn walk_run(
    ins: &Instruction,
    index: usize,
    workdir: &str,
    vars: &BTreeMap<String, String>,
    k: &Knowledge,
    context: &BuildContext,
    a: &mut Analysis,
) {
    let mut cwd = workdir.to_string();
    // ARG and ENV values are in the RUN's environment.
    let script = image::expand_known(&shell::run_script(ins, &k.commands.shells), vars);
    let mut top = shell::commands(&script);
    for c in &mut top {
        c.braces = a.shell_braces;
    }
    let commands = shell::inline_scripts(top, &k.commands.shells);
    let run = RunWalk {
        index,
        vars,
        k,
        context,
    };
    run.commands(commands, &mut cwd, a, 0);
}

/// One RUN's commands, as `walk_run` reads them.
struct RunWalk<'r> {
    index: usize,
    vars: &'r BTreeMap<String, String>,
    k: &'r Knowledge,
    context: &'r BuildContext,
}

impl RunWalk<'_> {
    /// Record each command; `make` is replaced by the commands of the
    /// recipes it runs, when msb can read its Makefile.
    fn commands(&self, commands: Vec<Command>, cwd: &mut String, a: &mut Analysis, depth: usize) {
        for command in commands {
            if command.program() == "cd" {
                let target = command.args().first().map(String::as_str).unwrap_or("/");
                *cwd = absolute(cwd, target);
            }
            if depth < 4
                && let Some(recipes) = self.make_recipes(&command, cwd, a)
            {
                for (dir, line) in recipes {
                    let text = image::expand_known(&line, self.vars);
                    let shells = &self.k.commands.shells;
                    let inner = shell::inline_scripts(shell::commands(&text), shells)
                        .into_iter()
                        .map(|mut c| {
                            // make's environment reaches its recipes.
                            let mut env = command.env.clone();
                            env.append(&mut c.env);
                            c.env = env;
                            c
                        })
                        .collect();
                    // Each recipe line is a shell of its own, in make's folder.
                    let mut line_cwd = dir;
                    self.commands(inner, &mut line_cwd, a, depth + 1);
                }
                continue;
            }
            self.record(command, cwd, a);
        }
    }

    /// The recipe lines (with make's folder) of a `make` whose Makefile
    /// the build context holds and msb can read.
    fn make_recipes(
        &self,
        command: &Command,
        cwd: &str,
        a: &Analysis,
    ) -> Option<Vec<(String, String)>> {
        let rules = &self.k.commands.make;
        if !rules.programs.iter().any(|p| p == command.program()) {
            return None;
        }
        let inv = make::invocation(command.args(), &rules.value_options, &rules.flags)?;
        let dir = absolute(cwd, inv.dir.as_deref().unwrap_or("."));
        let names: Vec<String> = match &inv.file {
            Some(f) => vec![f.clone()],
            None => make::DEFAULT_NAMES.iter().map(|n| n.to_string()).collect(),
        };
        let text = names.iter().find_map(|name| {
            let path = entry::context_path(a, &absolute(&dir, name), self.context)?;
            self.context.read_small(&path)
        })?;
        let mut env = make::builtin_variables(&dir);
        env.extend(self.vars.iter().map(|(n, v)| (n.clone(), v.clone())));
        env.extend(command.env.iter().cloned());
        let makefile = make::parse(&text, &env)?;
        let lines = makefile.recipe_lines(&inv.targets, &inv.overrides)?;
        Some(lines.into_iter().map(|l| (dir.clone(), l)).collect())
    }

    fn record(&self, mut command: Command, cwd: &str, a: &mut Analysis) {
        let (index, k) = (self.index, self.k);
        if k.commands.user_setup.iter().any(|p| p == command.program())
            && !a.user_setup.contains(&index)
        {
            a.user_setup.push(index);
        }
        match packages::read(&command) {
            Some(PackageOp::Install { packages, .. }) => a.installed_packages.extend(packages),
            Some(PackageOp::Remove { packages }) => a.removed_packages.extend(packages),
            _ => {}
        }
        // What `sed -i`, `curl -o`, `tar -C` write is routed like a `>`.
        if let Some(effects::Effects::Writes(paths)) =
            effects::of(&command, cwd, &k.commands, |p| a.is_system_dir(p))
        {
            command.writes.extend(paths);
        }
        a.run_commands.push(RunCommand {
            index,
            cwd: cwd.to_string(),
            command,
        });
    }
}

/// A tar archive from the build context, which ADD unpacks. The engine
/// tells one by its content; msb, reading no file, by the name's ending
/// (Dockerfile semantics, not knowledge of an ecosystem).
pub fn is_local_archive(src: &str) -> bool {
    const ARCHIVES: [&str; 7] = [
        ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz",
    ];
    !src.contains("://") && ARCHIVES.iter().any(|e| src.ends_with(e))
}

fn walk_copy(
    ins: &Instruction,
    index: usize,
    workdir: &str,
    vars: &BTreeMap<String, String>,
    context: &BuildContext,
    a: &mut Analysis,
) {
    // COPY's shell form is split on blanks, without shell quoting.
    let raw: Vec<String> = match &ins.exec {
        Some(w) => w.clone(),
        None => ins.args.split_whitespace().map(String::from).collect(),
    };
    let mut words: Vec<String> = raw
        .iter()
        .map(|w| match w.strip_prefix("<<") {
            // A heredoc source is named after its body's delimiter.
            Some(name) => format!(
                "<<{}",
                name.trim_start_matches('-').trim_matches(['"', '\'', '-'])
            ),
            None => image::expand_known(w, vars),
        })
        .collect();
    let Some(dest_word) = words.pop() else {
        return;
    };
    let dest = absolute(workdir, &dest_word);
    let dest_is_dir = dest_word.ends_with('/') || dest_word == "." || words.len() > 1;
    let mut pairs = Vec::new();
    for src in &words {
        // ADD unpacks a local tar archive into the destination folder.
        let unpacked = ins.keyword == Keyword::Add && is_local_archive(src);
        let whole = src == "."
            || src == "./"
            || src.ends_with('/')
            || src.contains('*')
            || unpacked
            || context.is_dir(src);
        if whole || !dest_is_dir {
            pairs.push((src.clone(), dest.clone()));
        } else {
            let base = basename(src.trim_end_matches('/'));
            pairs.push((src.clone(), absolute(&dest, base)));
        }
    }
    let mut roots: Vec<String> = pairs.iter().map(|(_, r)| r.clone()).collect();
    roots.dedup();
    let chown = ins.flag("chown").and_then(|f| f.value.clone());
    let from_image = ins.flag("from").and_then(|f| f.value.clone());
    a.copies.push(ContextCopy {
        index,
        sources: words,
        roots,
        pairs,
        manifest_only: false,
        chown,
        from_image,
    });
}

/// Pick the language with the strongest evidence: the builder image, then
/// the commands, then the context files.
fn detect_language<'k>(
    file: &Dockerfile,
    context: &BuildContext,
    k: &'k Knowledge,
    a: &mut Analysis,
) -> Option<&'k LanguagePack> {
    let builder = a.builder.as_ref()?;
    let mut best: Option<(u32, &LanguagePack, Vec<String>)> = None;
    for pack in &k.languages {
        let mut score = 0;
        let mut evidence = Vec::new();
        if pack.detect.images.contains(&builder.base_name)
            || pack.detect.images.contains(&builder.name)
        {
            score += 100;
            evidence.push(format!(
                "base image {} is a {} image",
                builder.written, pack.name
            ));
        }
        let mut seen_commands = Vec::new();
        for rc in &a.run_commands {
            let program = shell::normalise_program(rc.command.program());
            if pack.detect.commands.iter().any(|c| c == program)
                && !seen_commands.contains(&program.to_string())
            {
                seen_commands.push(program.to_string());
                evidence.push(format!(
                    "line {} runs {}",
                    file.instructions[rc.index].line, program
                ));
                score += 10;
            }
        }
        if builder.plain {
            let (points, why) = plain_image_signals(file, pack, builder.family, a);
            score += points;
            evidence.extend(why);
        }
        for f in &pack.detect.files {
            // A glob (`*.csproj`) names the first match.
            let found = if f.contains('*') {
                context
                    .list(".")
                    .into_iter()
                    .find(|name| glob_match(f, name) && context.is_file(name))
            } else {
                context.is_file(f).then(|| f.clone())
            };
            if let Some(name) = found {
                evidence.push(format!("the build context has {name}"));
                score += 1;
            }
        }
        if score >= 10 && best.as_ref().is_none_or(|(s, _, _)| score > *s) {
            best = Some((score, pack, evidence));
        }
    }
    let (_, pack, evidence) = best?;
    a.language = Some(Detected {
        id: pack.id.clone(),
        name: pack.name.clone(),
        evidence,
    });
    Some(pack)
}

/// On a plain distribution image the language may only show in its
/// packages (`apt-get install python3-grpc-tools`) and in the program the
/// container starts (`CMD ["/usr/bin/python3", "server.py"]`): each is
/// half a RUN's weight, so both are needed, and a build command of
/// another language still outweighs a package it installs.
fn plain_image_signals(
    file: &Dockerfile,
    pack: &LanguagePack,
    family: Family,
    a: &Analysis,
) -> (u32, Vec<String>) {
    let mut score = 0;
    let mut evidence = Vec::new();
    if let Some(rules) = &pack.same_base {
        let globs = rules.toolchain.of(family);
        let found = a.run_commands.iter().find_map(|rc| {
            let Some(PackageOp::Install { packages, .. }) = packages::read(&rc.command) else {
                return None;
            };
            let names: Vec<String> = packages
                .into_iter()
                .filter(|p| globs.iter().any(|g| glob_match(g, p)))
                .collect();
            (!names.is_empty()).then(|| (file.instructions[rc.index].line, names))
        });
        if let Some((line, names)) = found {
            score += 5;
            evidence.push(format!("line {line} installs {}", names.join(", ")));
        }
    }
    let started = file
        .instructions
        .iter()
        .rev()
        .find(|i| matches!(i.keyword, Keyword::Entrypoint | Keyword::Cmd))
        .and_then(|i| match &i.exec {
            Some(words) => words.first().cloned(),
            None => i.args.split_whitespace().next().map(String::from),
        });
    if let Some(program) = started {
        let name = basename(&program);
        if pack.detect.commands.iter().any(|c| c == name) {
            score += 5;
            evidence.push(format!("the container starts {name}"));
        }
    }
    (score, evidence)
}

/// The command a runner runs: the words after `program subcommand` and the
/// runner's own options (`uv run --frozen --with x gunicorn` → `gunicorn`).
pub fn strip_runner(words: &[String], runner: &crate::knowledge::Runner) -> Option<Vec<String>> {
    if words.get(1).map(String::as_str) != Some(runner.subcommand.as_str()) {
        return None;
    }
    let i = shell::after_options(words, 2, |w| runner.value_options.iter().any(|o| o == w));
    Some(words.get(i..).unwrap_or(&[]).to_vec())
}

/// Give each RUN and COPY its role from the commands it runs.
/// `c.starts_with` the words of `pattern` (`"pip install"`), split as
/// they are compared: a fleet run matches every command against every
/// pattern of the pack.
/// Whether `c` starts with the words of `pattern` (`pip install`), its
/// program compared without folder or version: no allocation.
pub(crate) fn starts_with_words(c: &Command, pattern: &str) -> bool {
    let mut words = pattern.split_whitespace();
    let Some(first) = words.next() else {
        return false;
    };
    if shell::normalise_program(c.program()) != shell::normalise_program(first) {
        return false;
    }
    let mut have = c.words.iter().skip(1);
    words.all(|p| have.next().is_some_and(|w| w == p))
}

fn classify_steps(file: &Dockerfile, pack: &LanguagePack, k: &Knowledge, a: &mut Analysis) {
    // Go: code generators the build installs (`go install ...swag@latest`
    // and then `swag init`) are build steps.
    let generators = if pack.id == "go" {
        go::installed_tools(&a.run_commands)
    } else {
        Vec::new()
    };
    let rules = StepRules {
        pack,
        k,
        generators: &generators,
    };
    for (index, ins) in file.instructions.iter().enumerate() {
        match ins.keyword {
            Keyword::Run => {
                // run_commands are in instruction order: this RUN's are one run.
                let first = a.run_commands.partition_point(|r| r.index < index);
                let count = a.run_commands[first..]
                    .iter()
                    .take_while(|r| r.index == index)
                    .count();
                let reading = rules.read_run(&a.run_commands[first..first + count], a);
                settle_run(index, ins, reading, a);
            }
            Keyword::Copy | Keyword::Add => classify_copy(index, ins, pack, a),
            _ => {}
        }
    }
}

/// What tells a RUN's commands apart: the language's steps, the code
/// generators the build installed, the commands msb knows.
struct StepRules<'r> {
    pack: &'r LanguagePack,
    k: &'r Knowledge,
    generators: &'r [String],
}

/// What a RUN's commands show: the strongest role, its evidence, and what
/// msb cannot read in it.
struct RunReading {
    role: StepRole,
    /// How strong `role` is: the highest role of any command wins.
    rank: u32,
    evidence: Vec<String>,
    /// Programs msb does not know.
    unknown: Vec<String>,
    /// Why what a known program writes cannot be known (`make install`,
    /// an installer script).
    opaque: Vec<String>,
}

impl RunReading {
    fn raise(&mut self, role: StepRole, rank: u32) {
        if rank > self.rank {
            self.rank = rank;
            self.role = role;
        }
    }
}

impl StepRules<'_> {
    /// Read one RUN's commands: installer scripts first, then each command.
    fn read_run(&self, cmds: &[RunCommand], a: &Analysis) -> RunReading {
        let mut reading = RunReading {
            role: StepRole::Housekeeping,
            rank: 0,
            evidence: Vec::new(),
            unknown: Vec::new(),
            opaque: Vec::new(),
        };
        let plain: Vec<&Command> = cmds.iter().map(|rc| &rc.command).collect();
        let installers = effects::installers(&plain, &self.k.commands);
        let mut fetched = Vec::new();
        for run in &installers {
            fetched.extend(run.commands.iter().copied());
            if !run.installer.package_sources.is_empty() {
                // Read like the `echo deb … > sources.list.d/x.list` it is.
                reading.evidence.push(format!(
                    "adds {} ({})",
                    run.installer.installs,
                    run.installer.package_sources.join(", ")
                ));
            } else if run.installer.build_only {
                reading.evidence.push(format!(
                    "installs {} with its installer (a build tool)",
                    run.installer.installs
                ));
            } else {
                reading.opaque.push(format!(
                    "runs {}'s installer ({}), which installs {}",
                    run.installer.name, run.url, run.installer.installs
                ));
            }
        }
        for (position, rc) in cmds.iter().enumerate() {
            if !fetched.contains(&position) {
                self.read_command(rc, a, &mut reading);
            }
        }
        reading
    }

    /// One command's role and evidence (what a runner such as `poetry run`
    /// runs is read as the command).
    fn read_command(&self, rc: &RunCommand, a: &Analysis, reading: &mut RunReading) {
        let (pack, k) = (self.pack, self.k);
        let matches = |c: &Command, list: &[String]| list.iter().any(|p| starts_with_words(c, p));
        // `poetry run python manage.py ...` is what it runs.
        let inner = pack.runners.iter().find_map(|r| {
            (shell::normalise_program(rc.command.program()) == r.program)
                .then(|| strip_runner(&rc.command.words, r))
                .flatten()
                .filter(|w| !w.is_empty())
                .map(|words| Command {
                    words,
                    ..rc.command.clone()
                })
        });
        let c = inner.as_ref().unwrap_or(&rc.command);
        let program = c.program();
        if let Some(op) = packages::read(c) {
            if let PackageOp::Install { packages, .. } = op {
                let family = a
                    .builder
                    .as_ref()
                    .map(|b| b.family)
                    .unwrap_or(Family::Other);
                let build_only = k.family_packages(family).is_some_and(|t| {
                    packages
                        .iter()
                        .any(|p| t.build_only.contains(p) || p.ends_with("-dev"))
                });
                if build_only {
                    reading.raise(StepRole::BuildDeps, 3);
                } else {
                    reading.raise(StepRole::RuntimeDeps, 2);
                }
                reading
                    .evidence
                    .push(format!("installs {}", packages.join(", ")));
            }
        } else if matches(c, &pack.steps.build)
            || language_build(pack, c)
            || self.generators.iter().any(|g| g == program)
        {
            reading.raise(StepRole::Build, 6);
            reading
                .evidence
                .push(format!("builds: {}", c.words.join(" ")));
        } else if matches(c, &pack.steps.dep_install) || language_dep(pack, c) {
            reading.raise(StepRole::DepInstall, 5);
            reading
                .evidence
                .push(format!("installs dependencies: {}", c.words.join(" ")));
        } else if matches(c, &pack.steps.configure) {
            reading
                .evidence
                .push(format!("configures the build: {}", c.words.join(" ")));
        } else if k.commands.user_setup.iter().any(|p| p == program) {
            reading.raise(StepRole::UserSetup, 1);
            reading
                .evidence
                .push(format!("creates a user or group ({program})"));
        } else if k.commands.housekeeping.iter().any(|p| p == program)
            || k.commands.wrappers.iter().any(|p| p == program)
            || program.is_empty()
        {
            // Housekeeping: no evidence line of its own.
        } else {
            match effects::of(c, &rc.cwd, &k.commands, |p| a.is_system_dir(p)) {
                Some(effects::Effects::Writes(paths)) if !paths.is_empty() => {
                    reading
                        .evidence
                        .push(format!("{program} writes {}", paths.join(", ")));
                }
                Some(effects::Effects::Writes(_)) => {}
                Some(effects::Effects::Opaque(why)) => reading.opaque.push(why),
                None => reading.unknown.push(program.to_string()),
            }
        }
    }
}

/// A RUN's role, or its skip: what msb cannot read blocks the file (only
/// `--unsafe` goes on), unless `--observe` saw what it wrote.
fn settle_run(index: usize, ins: &Instruction, reading: RunReading, a: &mut Analysis) {
    let RunReading {
        role,
        mut evidence,
        mut unknown,
        opaque,
        ..
    } = reading;
    let observation = match a.observed.runs.get(&index) {
        Some(observed::Observation::Wrote(paths)) if !opaque.is_empty() || !unknown.is_empty() => {
            Some(paths.clone())
        }
        _ => None,
    };
    let not_observed = a.observed.why_not(index, ins.line);
    let unless_observed = |reason: String| match &not_observed {
        Some(why) => format!("{reason}; {why}"),
        None => reason,
    };
    // Packages, dependencies or a build in the same RUN write
    // into the same layer, where msb may change them (a venv).
    let beside = matches!(
        role,
        StepRole::BuildDeps | StepRole::RuntimeDeps | StepRole::DepInstall | StepRole::Build
    )
    .then(|| evidence.join("; "));
    if let Some(paths) = observation {
        apply_observation(index, ins.line, &paths, &unknown, beside, a);
    } else if let Some(why) = opaque.first() {
        a.block_unless_unsafe(
            ins.line,
            unless_observed(format!(
                "RUN {why}: cannot tell which of its files the runtime needs"
            )),
        );
        a.set_role(index, StepRole::Unknown, why.clone());
    } else if !unknown.is_empty() {
        unknown.dedup();
        let list = unknown
            .iter()
            .map(|p| format!("`{p}`"))
            .collect::<Vec<_>>()
            .join(", ");
        a.block_unless_unsafe(
            ins.line,
            unless_observed(format!(
                "RUN runs {list}: cannot tell whether the runtime needs what it makes"
            )),
        );
        a.set_role(
            index,
            StepRole::Unknown,
            format!("runs {list}, which msb does not know"),
        );
    } else {
        if evidence.is_empty() {
            evidence.push("arranges files".to_string());
        }
        a.set_role(index, role, evidence.join("; "));
    }
}

/// A COPY or ADD: a dependency manifest on its own, sources, or a download.
fn classify_copy(index: usize, ins: &Instruction, pack: &LanguagePack, a: &mut Analysis) {
    let Some(copy_pos) = a.copies.iter().position(|c| c.index == index) else {
        return;
    };
    let copy = &a.copies[copy_pos];
    let manifest = !copy.sources.is_empty()
        && copy.sources.iter().all(|s| {
            let name = s.trim_start_matches("./");
            pack.steps.dep_manifests.iter().any(|g| glob_match(g, name))
        });
    let from_flag = ins.flag("from").and_then(|f| f.value.clone());
    let evidence = match (&from_flag, manifest) {
        (Some(image), _) => {
            format!("copies {} from image {image}", copy.sources.join(" "))
        }
        (None, true) => {
            format!("copies the dependency manifest {}", copy.sources.join(" "))
        }
        (None, false) => format!(
            "copies {} to {}",
            copy.sources.join(" "),
            copy.roots.join(" ")
        ),
    };
    let role = if manifest {
        StepRole::DepManifest
    } else {
        StepRole::SourceCopy
    };
    a.copies[copy_pos].manifest_only = manifest;
    a.set_role(index, role, evidence);
    if ins.keyword == Keyword::Add && a.copies[copy_pos].sources.iter().any(|s| s.contains("://")) {
        a.set_role(
            index,
            StepRole::SourceCopy,
            format!("downloads {}", a.copies[copy_pos].sources.join(" ")),
        );
    }
}

/// A RUN msb cannot read, observed on the engine: the paths its layer
/// holds become the writes of the command msb did not know (the
/// housekeeping rules then copy or cover each), links and changed files
/// wait for `check_observed`. A RUN that also installs packages or
/// dependencies, or builds, keeps its skip: their files cannot be told
/// from what the rest made, and msb may move them (a virtualenv).
fn apply_observation(
    index: usize,
    line: usize,
    paths: &[observed::ObservedPath],
    unknown: &[String],
    beside: Option<String>,
    a: &mut Analysis,
) {
    let first = a.run_commands.partition_point(|r| r.index < index);
    let count = a.run_commands[first..]
        .iter()
        .take_while(|r| r.index == index)
        .count();
    let evidence = observed::describe(line, paths);
    if count == 0 {
        return;
    }
    if let Some(what) = beside {
        a.block_unless_unsafe(
            line,
            format!(
                "RUN {what} beside what msb cannot read: {evidence}, and the files of each cannot be told apart"
            ),
        );
        a.set_role(index, StepRole::Unknown, evidence);
        return;
    }
    let target = first
        + a.run_commands[first..first + count]
            .iter()
            .position(|rc| unknown.iter().any(|u| u == rc.command.program()))
            .unwrap_or(count - 1);
    for p in paths {
        if p.kind == observed::PathKind::Link || p.changed {
            a.observed_checks.push((line, p.clone()));
        } else {
            a.run_commands[target].command.writes.push(p.path.clone());
        }
    }
    a.set_role(index, StepRole::Housekeeping, evidence);
}

/// The links and changed files observed RUNs made: inside what the final
/// stage copies they come along; elsewhere msb cannot carry them (a link
/// is not copied as a link, a changed file of the base would replace the
/// final base's own), so the skip names the path.
fn check_observed(a: &mut Analysis) {
    for (line, p) in std::mem::take(&mut a.observed_checks) {
        if a.is_copied(&p.path) {
            continue;
        }
        let what = if p.kind == observed::PathKind::Link {
            format!("makes a link at {}", p.path)
        } else {
            format!("changes {}, which an earlier layer made", p.path)
        };
        a.block_unless_unsafe(
            line,
            format!(
                "observed on the engine: RUN at line {line} {what}, outside what the runtime stage gets"
            ),
        );
    }
}

fn language_build(pack: &LanguagePack, c: &Command) -> bool {
    if pack.id == "java" {
        return java::is_build_step(pack, c);
    }
    pack.id == "go"
        && c.program() == "go"
        && matches!(
            c.args().first().map(String::as_str),
            Some("build" | "install")
        )
        || (pack.id == "ruby" && ruby::is_build(pack, c))
}

fn language_dep(pack: &LanguagePack, c: &Command) -> bool {
    match pack.id.as_str() {
        "python" => python::is_venv_creation(c),
        "java" => java::is_dep_step(pack, c),
        "php" => php::is_composer_setup(c),
        _ => false,
    }
}

/// What ENTRYPOINT, CMD, HEALTHCHECK and VOLUME ask of the runtime base:
/// a shell, the tools their commands and scripts call, folders to write.
fn runtime_needs(file: &Dockerfile, context: &BuildContext, k: &Knowledge, a: &mut Analysis) {
    let mut needs = RuntimeNeeds::default();
    let last = |kw: Keyword| file.instructions.iter().rposition(|i| i.keyword == kw);
    let entrypoint = last(Keyword::Entrypoint);
    let cmd = last(Keyword::Cmd);
    // Shell scripts that run in the container, with where they come from.
    let mut scripts: Vec<(String, String)> = Vec::new();
    for index in [entrypoint, cmd].into_iter().flatten() {
        let ins = &file.instructions[index];
        let what = format!("line {}: {}", ins.line, ins.keyword.as_str());
        match &ins.exec {
            None if !ins.args.trim().is_empty() => {
                needs
                    .shell
                    .push(format!("{what} is in shell form (runs /bin/sh -c)"));
                scripts.push((what, ins.args.clone()));
            }
            None => {}
            Some(words) => {
                let Some(program) = words.first() else {
                    continue;
                };
                let name = basename(program);
                if k.commands.shells.iter().any(|sh| sh == name) {
                    needs.shell.push(format!("{what} runs {name}"));
                    if name == "bash" {
                        needs
                            .tools
                            .push(("bash".into(), format!("{what} runs bash")));
                    }
                    if let Some(pos) = words.iter().position(|w| w == "-c")
                        && let Some(script) = words.get(pos + 1)
                    {
                        scripts.push((what.clone(), script.clone()));
                    }
                } else if let Some(path) = script_in_context(a, program, index, context)
                    && let Some(text) = context.read_small(&path)
                    && let Some(interpreter) = shebang(&text)
                {
                    needs
                        .shell
                        .push(format!("{what} runs {program}, a {interpreter} script"));
                    if interpreter == "bash" {
                        needs
                            .tools
                            .push(("bash".into(), format!("{path} starts with #!/bin/bash")));
                    }
                    if k.commands.shells.contains(&interpreter) {
                        scripts.push((path.clone(), text));
                    }
                } else {
                    scripts.push((what, words.join(" ")));
                }
            }
        }
    }
    if let Some(index) = last(Keyword::Healthcheck) {
        let ins = &file.instructions[index];
        let args = ins.args.trim();
        let what = format!("line {}: HEALTHCHECK", ins.line);
        if let Some(body) = args
            .get(..3)
            .filter(|w| w.eq_ignore_ascii_case("CMD"))
            .map(|_| args[3..].trim())
        {
            match crate::parse::parse_exec(body) {
                Some(words) => scripts.push((what, words.join(" "))),
                None => {
                    needs.shell.push(format!("{what} CMD is in shell form"));
                    scripts.push((what, body.to_string()));
                }
            }
        }
    }
    // SHELL ["/bin/bash", "-c"]: shell-form commands run with that shell,
    // which a slim base may lack.
    let shell_form = needs.shell.iter().any(|w| w.contains("shell form"));
    if shell_form
        && let Some(index) = last(Keyword::Shell)
        && let Some(program) = file.instructions[index]
            .exec
            .as_ref()
            .and_then(|w| w.first())
    {
        let name = basename(program).to_string();
        if k.commands.runtime_tools.contains_key(&name)
            && !needs.tools.iter().any(|(t, _)| *t == name)
        {
            let line = file.instructions[index].line;
            needs.tools.push((
                name.clone(),
                format!("line {line}: SHELL runs the shell-form commands with {name}"),
            ));
        }
    }
    for (what, script) in &scripts {
        for c in shell::commands(script) {
            // `exec su-exec node "$@"`: the program after the wrappers.
            let program = c
                .words
                .iter()
                .map(|w| basename(w))
                .find(|w| !k.commands.wrappers.iter().any(|x| x == w))
                .unwrap_or("")
                .to_string();
            if k.commands.runtime_tools.contains_key(&program)
                && !needs.tools.iter().any(|(t, _)| *t == program)
            {
                needs
                    .tools
                    .push((program.clone(), format!("{what} runs {program}")));
            }
            if k.commands.root_daemons.contains(&program) {
                needs
                    .root
                    .push(format!("{what} starts {program}, which needs root"));
            }
        }
    }
    for ins in file
        .instructions
        .iter()
        .filter(|i| i.keyword == Keyword::Volume)
    {
        let paths: Vec<String> = match &ins.exec {
            Some(w) => w.clone(),
            None => ins.args.split_whitespace().map(String::from).collect(),
        };
        for p in paths {
            if p.starts_with('/') && !needs.writable_dirs.contains(&p) {
                needs.writable_dirs.push(p);
            }
        }
    }
    a.runtime = needs;
}

/// The app must run as a non-root user msb creates: refuse what cannot
/// work then (a daemon that needs root, an app under /root).
fn check_non_root(file: &Dockerfile, a: &mut Analysis) {
    let keeps_own_user = a
        .final_user
        .is_some_and(|i| !is_root_user(&file.instructions[i].args));
    if keeps_own_user {
        return;
    }
    let line = file
        .instructions
        .iter()
        .rposition(|i| matches!(i.keyword, Keyword::Cmd | Keyword::Entrypoint))
        .map_or(1, |i| file.instructions[i].line);
    if let Some(why) = a.runtime.root.first().cloned() {
        a.block(line, format!("{why}: msb would run it as a non-root user"));
    }
    let under_root = a
        .final_workdir
        .iter()
        .chain(a.artefacts.iter().map(|x| &x.to))
        .find(|p| is_under(p, "/root"))
        .cloned();
    if let Some(path) = under_root {
        a.block(
            line,
            format!(
                "the app uses {path}, under /root (mode 0700), which a non-root user cannot enter"
            ),
        );
    }
}

/// `root`, `0`, `root:root`, `0:0`.
pub fn is_root_user(user: &str) -> bool {
    let name = user.trim().split(':').next().unwrap_or("");
    name == "root" || name == "0"
}

/// The context file behind an absolute or relative program path, if a
/// COPY put it there.
pub(crate) fn script_in_context(
    a: &Analysis,
    program: &str,
    index: usize,
    context: &BuildContext,
) -> Option<String> {
    let path = if program.contains('/') {
        absolute(a.workdir_at(index), program)
    } else {
        // Found through PATH: a copy into a PATH folder.
        let found = a
            .copies
            .iter()
            .flat_map(|c| c.roots.iter())
            .find(|r| basename(r) == program)?;
        found.clone()
    };
    for copy in &a.copies {
        for root in &copy.roots {
            if *root == path {
                let base = basename(&path);
                let source = copy
                    .sources
                    .iter()
                    .find(|s| basename(s.trim_end_matches('/')) == base)
                    .or(copy.sources.first())?;
                if context.is_file(source) {
                    return Some(source.clone());
                }
            } else if is_under(&path, root) && path != *root {
                let rel = relative_to(&path, root).unwrap_or_default();
                for s in &copy.sources {
                    let candidate = if s == "." || s == "./" {
                        rel.to_string()
                    } else {
                        format!("{}/{}", s.trim_end_matches('/'), rel)
                    };
                    if context.is_file(&candidate) {
                        return Some(candidate);
                    }
                }
            }
        }
    }
    None
}

fn shebang(text: &str) -> Option<String> {
    let first = text.lines().next()?.strip_prefix("#!")?.trim();
    let mut words = first.split_whitespace();
    let interpreter = words.next()?;
    let name = interpreter.rsplit('/').next()?;
    let name = if name == "env" { words.next()? } else { name };
    Some(name.to_string())
}

/// The line of the RUN that installs `package` (0 when none does).
fn install_line(a: &Analysis, package: &str) -> usize {
    a.run_commands
        .iter()
        .find(|rc| {
            matches!(packages::read(&rc.command),
                Some(PackageOp::Install { packages, .. }) if packages.iter().any(|p| p == package))
        })
        .and_then(|rc| a.steps.iter().find(|s| s.index == rc.index))
        .map_or(0, |s| s.line)
}

/// Sort the builder's packages into what the runtime installs.
fn runtime_packages(k: &Knowledge, a: &mut Analysis) {
    let Some(builder) = a.builder.as_ref() else {
        return;
    };
    let sorted = packages::for_runtime(
        builder.family,
        builder.package_release.as_deref(),
        &a.installed_packages,
        &a.removed_packages,
        k,
    );
    // Debian, but which release is not known (an old tag, or a patch
    // whose images were built on two releases).
    let release_unknown = builder.family == Family::Debian && builder.package_release.is_none();
    for dev in &sorted.unknown_dev {
        let reason = if release_unknown {
            format!(
                "msb does not know which Debian release {} is built on, so it cannot tell which runtime library of {dev} it has",
                builder.written
            )
        } else {
            format!("no runtime library is known for {dev}: the app may fail to load it")
        };
        let line = install_line(a, dev);
        a.unsafe_blockers.push(Blocker { line, reason });
    }
    for p in sorted.install {
        if !a.runtime_packages.iter().any(|q| q.name == p.name) {
            a.runtime_packages.push(p);
        }
    }
    archived_release(k, a);
}

/// A Debian release the mirrors no longer serve: the final stage's
/// `apt-get install` fails there. When the original never installed a
/// package (its image had them all), the migration would not build.
fn archived_release(k: &Knowledge, a: &mut Analysis) {
    let Some(builder) = a.builder.as_ref() else {
        return;
    };
    let Some(release) = builder.package_release.as_deref() else {
        return;
    };
    // Rust's analysis checks this itself (rust/image.rs), for its base.
    let rust = a.language.as_ref().is_some_and(|l| l.id == "rust");
    if a.skip.is_some()
        || rust
        || builder.family != Family::Debian
        || a.runtime_packages.is_empty()
        || !k
            .images
            .archived_debian_releases
            .iter()
            .any(|r| r == release)
    {
        return;
    }
    let uses_apt = a.run_commands.iter().any(|rc| {
        matches!(
            packages::read(&rc.command),
            Some(PackageOp::Install {
                family: Family::Debian,
                ..
            })
        )
    });
    if uses_apt {
        let warning = format!(
            "{} is Debian {release}, which the Debian mirrors no longer serve: apt-get in either stage needs archive.debian.org in its sources",
            builder.written
        );
        a.warnings.push(warning);
        return;
    }
    let names: Vec<&str> = a.runtime_packages.iter().map(|p| p.name.as_str()).collect();
    let line = a.steps.first().map_or(1, |s| s.line);
    let reason = format!(
        "{} is Debian {release}, which the Debian mirrors no longer serve: the final stage could not apt-get install {}",
        builder.written,
        names.join(", ")
    );
    a.block(line, reason);
}

/// The analysis of `text` with an empty build context, for the tests of
/// the analysis modules.
#[cfg(test)]
pub(crate) fn analysed_text(text: &str) -> Analysis {
    let k = Knowledge::builtin().unwrap();
    let file = crate::parse::parse(text).unwrap();
    analyse(&file, &BuildContext::new("/nonexistent"), &k)
}

#[cfg(test)]
mod tests {
    use super::*;

    use super::analysed_text as analysed;

    fn artefact_paths(a: &Analysis) -> Vec<&str> {
        a.artefacts.iter().map(|x| x.to.as_str()).collect()
    }

    #[test]
    fn braces_in_run_paths_expand_only_under_bash() {
        let file = |run: &str| {
            format!(
                "FROM python:3.12
WORKDIR /app
COPY . .
RUN pip install flask
RUN {run}
CMD [\"python\", \"app.py\"]
"
            )
        };
        let a = analysed(&file("bash -c 'mkdir -p /var/{log,cache}/app'"));
        let paths = artefact_paths(&a);
        assert!(paths.contains(&"/var/log/app"), "{paths:?}");
        assert!(paths.contains(&"/var/cache/app"), "{paths:?}");
        assert!(a.unsafe_blockers.is_empty(), "{:?}", a.unsafe_blockers);

        let a = analysed(&file("mkdir -p /var/{log,cache}/app"));
        assert!(artefact_paths(&a).iter().all(|p| !p.contains('{')));
        assert!(
            a.unsafe_blockers
                .iter()
                .any(|b| b.reason.contains("does not expand braces")),
            "{:?}",
            a.unsafe_blockers
        );

        // Inside the copied app folder, the literal name comes with it.
        let a = analysed(&file("mkdir -p /app/{logs,tmp}"));
        assert!(a.unsafe_blockers.is_empty(), "{:?}", a.unsafe_blockers);

        let a = analysed(&file("chmod 0644 /etc/app/*.conf"));
        assert!(artefact_paths(&a).iter().all(|p| !p.contains('*')));
        assert!(
            a.unsafe_blockers
                .iter()
                .any(|b| b.reason.contains("/etc/app/*.conf")),
            "{:?}",
            a.unsafe_blockers
        );
    }

    #[test]
    fn relative_paths() {
        assert_eq!(relative_to("/app/x/y", "/app"), Some("x/y"));
        assert_eq!(relative_to("/app/x", "/app/"), Some("x"));
        assert_eq!(relative_to("/app", "/app"), Some(""));
        assert_eq!(relative_to("/app", "/"), Some("app"));
        assert_eq!(relative_to("", "/"), Some(""));
        assert_eq!(relative_to("/appx", "/app"), None);
        assert_eq!(relative_to("/other", "/app"), None);
    }

    #[test]
    fn paths() {
        assert_eq!(absolute("/app", "./x/../y"), "/app/y");
        assert_eq!(absolute("/app", "/usr/bin/"), "/usr/bin");
        assert_eq!(absolute("/", "."), "/");
        assert!(is_under("/app/x", "/app"));
        assert!(!is_under("/appx", "/app"));
    }

    #[test]
    fn plain_env_pairs_read_as_the_tokenizer_reads() {
        for args in [
            "A=1 B=2",
            "PATH=/opt/venv/bin:$PATH",
            "FLASK_APP app.py",
            "JAVA_OPTS -Xmx512m -Xms256m",
            "A=1 b c",
            "NODE_ENV=production PORT=8080 HOST=0.0.0.0",
            "EMPTY=",
            "LONE",
            "  A=1   B=2  ",
        ] {
            let tokenized = tokenized_env_pairs(args);
            assert_eq!(plain_env_pairs(args), Some(tokenized), "{args}");
        }
        assert_eq!(plain_env_pairs("A=\"x y\""), None);
        assert_eq!(plain_env_pairs("A=${B:-c}"), None);
    }

    #[test]
    fn env_forms() {
        assert_eq!(
            env_pairs("A=1 B=\"two words\""),
            vec![("A".into(), "1".into()), ("B".into(), "two words".into())]
        );
        assert_eq!(
            env_pairs("FLASK_APP app.py"),
            vec![("FLASK_APP".into(), "app.py".into())]
        );
    }

    #[test]
    fn shebangs() {
        assert_eq!(shebang("#!/usr/bin/env bash\n").as_deref(), Some("bash"));
        assert_eq!(shebang("#!/bin/sh -e\n").as_deref(), Some("sh"));
        assert_eq!(shebang("echo\n"), None);
    }
}
