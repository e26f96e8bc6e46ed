//! The command line: `msb migrate` and `msb explain`. Everything the user
//! sees is printed here: the product on stdout, messages on stderr as
//! `msb: PATH:LINE: message`.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::bulk::{Repos, Shard, ShardKeys, Summary, run_ordered};
use crate::ci::{self, OutputFormat};
use crate::config::{self, Config};
use crate::diff;
use crate::engine::{Builder, Engine};
use crate::error::MsbError;
use crate::explain;
use crate::git;
use crate::globs::Globs;
use crate::knowledge::Knowledge;
use crate::migrate::{self, Migration, Options, Status};
use crate::report::{BulkReport, FileReport};
use crate::source::SourceFile;
use crate::verify::{self, Verification};
use crate::walk;
use crate::write;

#[derive(Parser, Debug)]
#[command(
    name = "msb",
    version,
    about = "Turn single-stage Dockerfiles into slim, non-root multi-stage builds"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Migrate Dockerfiles (default: show a unified diff).
    Migrate(MigrateArgs),
    /// Show what msb infers about a Dockerfile, instruction by instruction.
    Explain(ExplainArgs),
    /// Build the original and the migrated Dockerfile with the local engine
    /// and compare the images: config, non-root user, a smoke run, sizes.
    Verify(VerifyArgs),
    /// Work with the reports of `--report FILE`.
    #[command(subcommand)]
    Report(ReportCommand),
    /// Print the shell completion script for SHELL on stdout.
    Completions(CompletionsArgs),
    /// Print msb's man page (roff) on stdout, or write every page to a folder.
    Man(ManArgs),
}

#[derive(Args, Debug)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: crate::generate::Shell,
}

#[derive(Args, Debug)]
pub struct ManArgs {
    /// Write msb.1 and one page per subcommand (msb-migrate.1...) into DIR.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
pub enum ReportCommand {
    /// Combine the JSON reports of the shards of one run (`--shard I/N
    /// --report FILE`) into one report on stdout, with the totals counted
    /// again from the records.
    Merge(MergeArgs),
}

#[derive(Args, Debug)]
pub struct MergeArgs {
    /// The JSON reports.
    #[arg(required = true, value_name = "REPORT")]
    pub reports: Vec<PathBuf>,
    /// json: the --report format; markdown: the table of --report-format markdown.
    #[arg(long, value_enum, default_value_t = ReportFormat::Json)]
    pub format: ReportFormat,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum EngineKind {
    Docker,
    Podman,
}

impl EngineKind {
    fn program(self) -> &'static str {
        match self {
            EngineKind::Docker => "docker",
            EngineKind::Podman => "podman",
        }
    }
}

/// How `msb verify` and `msb migrate --verify` build and run the images.
#[derive(Args, Debug, Clone)]
#[command(next_help_heading = "Verification")]
pub struct VerifyFlags {
    /// The container engine's CLI (podman where its CLI is docker's).
    #[arg(long, value_enum, default_value_t = EngineKind::Docker)]
    pub engine: EngineKind,
    /// Start both containers with these arguments after the image name
    /// (they replace CMD), e.g. --smoke "--port 9000" (default: the
    /// image's own command).
    #[arg(long, value_name = "ARGS", allow_hyphen_values = true)]
    pub smoke: Option<String>,
    /// No smoke run (the app needs a database or another service).
    #[arg(long, conflicts_with = "smoke")]
    pub no_smoke: bool,
    /// How long both containers run before they are compared.
    #[arg(long, value_name = "SECONDS", default_value_t = 5)]
    pub smoke_seconds: u64,
    /// Keep the images msb built (they are removed by default).
    #[arg(long)]
    pub keep_images: bool,
    /// A build argument for both builds; repeatable.
    #[arg(long = "build-arg", value_name = "KEY=VALUE")]
    pub build_args: Vec<String>,
    /// An environment variable for both containers of the smoke run
    /// (an app that needs its platform's settings, PORT on Cloud Run);
    /// repeatable.
    #[arg(long = "env", value_name = "KEY=VALUE", value_parser = env_pair)]
    pub env: Vec<String>,
    /// A file of KEY=VALUE lines for both containers of the smoke run, as
    /// `docker run --env-file` reads it; repeatable.
    #[arg(long = "env-file", value_name = "FILE")]
    pub env_files: Vec<PathBuf>,
    /// How to build: BuildKit when `docker buildx version` works (auto),
    /// else the classic builder.
    #[arg(
        long = "build-with",
        value_enum,
        value_name = "BUILDER",
        default_value_t = BuilderChoice::Auto
    )]
    pub build_with: BuilderChoice,
    /// Build with this buildx builder instance (`docker buildx build
    /// --builder NAME --load`): a remote or Kubernetes BuildKit, say. The
    /// images are loaded into the local engine, which runs them. Checked
    /// with `docker buildx inspect NAME` before any build.
    #[arg(long = "builder", value_name = "NAME")]
    pub buildx_builder: Option<String>,
}

/// `--build-with`.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum BuilderChoice {
    Auto,
    Buildkit,
    Classic,
}

/// `--env KEY=VALUE`: a KEY alone would make the engine copy msb's own
/// environment's value, which differs from one machine to the next.
fn env_pair(text: &str) -> std::result::Result<String, String> {
    match text.split_once('=') {
        Some((key, _)) if !key.is_empty() && !key.contains(char::is_whitespace) => {
            Ok(text.to_string())
        }
        Some(_) => Err("the variable name before = is empty or has spaces".to_string()),
        None => Err(format!(
            "expected KEY=VALUE, e.g. --env {text}=VALUE (a name alone is not taken from msb's environment)"
        )),
    }
}

impl VerifyFlags {
    fn options(&self) -> std::result::Result<verify::Options, String> {
        let smoke = match (&self.smoke, self.no_smoke) {
            (_, true) => verify::Smoke::Off,
            (Some(args), false) => verify::Smoke::Arguments(verify::split_words(args)?),
            (None, false) => verify::Smoke::ImageCommand,
        };
        Ok(verify::Options {
            smoke,
            smoke_seconds: self.smoke_seconds,
            keep_images: self.keep_images,
            build_args: self.build_args.clone(),
            env: self.env.clone(),
            env_files: self.env_files.clone(),
        })
    }
}

#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// Dockerfiles or folders to search for them (default: the current folder).
    pub paths: Vec<PathBuf>,
    /// Compare the original (one PATH) with this Dockerfile instead of
    /// msb's migration: a hand-written one, an earlier msb output.
    #[arg(long, value_name = "DOCKERFILE")]
    pub against: Option<PathBuf>,
    #[command(flatten)]
    pub flags: VerifyFlags,
    /// Output format of stdout.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Write a JSON report of every Dockerfile verified to FILE.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Verify the migration `--unsafe` makes.
    #[arg(long = "unsafe")]
    pub allow_unsafe: bool,
    /// The build context, when it is not the Dockerfile's folder.
    #[arg(long, value_name = "DIR")]
    pub context: Option<PathBuf>,
    #[arg(long, value_name = "DIR")]
    pub transforms: Option<PathBuf>,
    /// Verify N Dockerfiles at a time. 1 (the default) suits the local
    /// engine, where each build already uses the whole machine; more is
    /// meant for a remote builder (--builder). Output and report are in
    /// path order whatever N is.
    #[arg(long, short = 'j', value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: u16,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportFormat {
    Json,
    Markdown,
}

#[derive(Args, Debug)]
pub struct MigrateArgs {
    /// Dockerfiles or folders to search for them (default: the current
    /// folder, unless --repos-file or --only-failed names the files).
    pub paths: Vec<PathBuf>,
    /// Print a unified diff on stdout (the default).
    #[arg(long)]
    pub diff: bool,
    /// Rewrite the files in place, atomically.
    #[arg(long, conflicts_with_all = ["stdout", "check"])]
    pub write: bool,
    /// Exit 1 if any file would change (may be combined with --diff).
    #[arg(long)]
    pub check: bool,
    /// Print the migrated Dockerfile of one file (the original if skipped).
    #[arg(long, conflicts_with_all = ["diff", "check", "format"])]
    pub stdout: bool,
    /// Output format of stdout.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// One document for a CI system on stdout instead of diffs: SARIF
    /// 2.1.0 (GitHub code scanning), GitLab Code Quality, JUnit XML or
    /// GitHub workflow annotations. Exit codes as with --check.
    #[arg(
        long,
        value_enum,
        value_name = "FORMAT",
        conflicts_with_all = ["stdout", "write", "format", "diff"]
    )]
    pub output_format: Option<OutputFormat>,
    /// Also apply unsafe decisions.
    #[arg(long = "unsafe")]
    pub allow_unsafe: bool,
    /// The build context, when it is not the Dockerfile's folder.
    #[arg(long, value_name = "DIR")]
    pub context: Option<PathBuf>,
    /// A folder of knowledge packs (*.toml) that add to or replace the built-in ones.
    #[arg(long, value_name = "DIR")]
    pub transforms: Option<PathBuf>,
    /// Only Dockerfiles whose path (from the folder searched), or a folder
    /// above it, matches this glob, as ripgrep's -g reads it (`**`,
    /// `{a,b}`, `[abc]`, `?`; no `/`: any depth); repeatable.
    #[arg(long, value_name = "GLOB")]
    pub include: Vec<String>,
    /// Leave out files and folders matching this glob (as in .gitignore);
    /// repeatable.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Also search what .gitignore and similar files hide.
    #[arg(long)]
    pub no_ignore: bool,
    /// Repository folders to search, one per line (# comments), besides PATHs.
    #[arg(long, value_name = "FILE")]
    pub repos_file: Option<PathBuf>,
    /// Threads (default: one per CPU).
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// Only the I-th of N parts of the Dockerfiles found (1-based, e.g.
    /// 2/4), split by a hash of each file's path: N jobs cover them once.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<Shard>,
    /// Write a report of every Dockerfile found to FILE.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Format of --report.
    #[arg(long, value_enum, default_value_t = ReportFormat::Json, requires = "report")]
    pub report_format: ReportFormat,
    /// Write a markdown pull-request body to FILE: the files migrated,
    /// their final bases, the estimated saving, what was left and why.
    /// (Keep it outside the repository, or the fleet tool commits it.)
    #[arg(long, value_name = "FILE")]
    pub pr_body: Option<PathBuf>,
    /// Run again only the files a previous JSON report says failed.
    #[arg(long, value_name = "REPORT")]
    pub only_failed: Option<PathBuf>,
    /// Settings for every repository, instead of each one's msb.toml.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// With --write: commit the migrated Dockerfiles of each repository on
    /// a new branch, leaving the checked-out branch and working tree alone.
    #[arg(long, requires = "write")]
    pub git_commit: bool,
    /// The branch --git-commit creates.
    #[arg(
        long,
        value_name = "NAME",
        default_value = "msb/multi-stage",
        requires = "git_commit"
    )]
    pub branch: String,
    /// With --git-commit: show what would be committed, commit nothing.
    #[arg(long, requires = "git_commit")]
    pub dry_run: bool,
    /// Print every decision of each migrated file, whatever the number of files.
    #[arg(long, short = 'v')]
    pub verbose: bool,
    /// Build and compare each migration with the local engine (see
    /// `msb verify`); with --write, only verified files are written.
    #[arg(long)]
    pub verify: bool,
    /// For a file msb would skip for a RUN it cannot read (a vendor
    /// script, `curl | sh`): build the original with the local Docker
    /// engine's classic builder and take the paths each RUN's layer holds
    /// as what it makes. Uses --build-arg; pulls what the build pulls.
    #[arg(long)]
    pub observe: bool,
    #[command(flatten)]
    pub verify_flags: VerifyFlags,
}

#[derive(Args, Debug)]
pub struct ExplainArgs {
    /// The Dockerfile.
    pub path: PathBuf,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    #[arg(long, value_name = "DIR")]
    pub context: Option<PathBuf>,
    #[arg(long, value_name = "DIR")]
    pub transforms: Option<PathBuf>,
    #[arg(long = "unsafe")]
    pub allow_unsafe: bool,
    /// Build the original with the local Docker engine's classic builder
    /// when a RUN is one msb cannot read, and take what its layer holds as
    /// what it makes (see `msb migrate --observe`).
    #[arg(long)]
    pub observe: bool,
    /// A build argument for the --observe build; repeatable.
    #[arg(long = "build-arg", value_name = "KEY=VALUE", requires = "observe")]
    pub build_args: Vec<String>,
}

/// Exit codes: 0 fine, 1 `--check` found changes, 2 any error.
pub const EXIT_CHANGES: i32 = 1;
pub const EXIT_ERROR: i32 = 2;

fn knowledge(dir: Option<&Path>) -> Result<Knowledge> {
    Ok(match dir {
        Some(d) => Knowledge::with_overrides(d)
            .with_context(|| format!("loading knowledge packs from {}", d.display()))?,
        None => Knowledge::builtin().context("loading the built-in knowledge packs")?,
    })
}

/// A file's status lines on stderr in one write (stderr is unbuffered:
/// `eprintln!` per line costs two system calls a line on a fleet run).
fn eprint_lines(lines: &[String]) {
    if lines.is_empty() {
        return;
    }
    let mut text = String::with_capacity(lines.iter().map(|l| l.len() + 1).sum());
    for line in lines {
        text.push_str(line);
        text.push('\n');
    }
    eprint!("{text}");
}

/// Status lines for stderr, written a few kilobytes at a time when stderr
/// is not a terminal: a fleet run has a line per file, and a write per
/// line was a system call per file (7,800 on the bench's tree). On a
/// terminal, or with `--verify` (a verdict is shown when it is done),
/// each file's lines go at once. Whatever is held is written before
/// anything goes to stdout, at the end of the run, and on drop.
struct StderrLines {
    held: Option<String>,
}

impl StderrLines {
    /// The most held back before a write.
    const HOLD: usize = 16 * 1024;

    fn new(buffered: bool) -> StderrLines {
        StderrLines {
            held: buffered.then(String::new),
        }
    }

    fn add(&mut self, lines: &[String]) {
        let Some(held) = &mut self.held else {
            eprint_lines(lines);
            return;
        };
        for line in lines {
            held.push_str(line);
            held.push('\n');
        }
        if held.len() >= Self::HOLD {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if let Some(held) = &mut self.held
            && !held.is_empty()
        {
            // As eprint!: an error writing to stderr has nowhere to go.
            let _ = std::io::stderr().write_all(held.as_bytes());
            held.clear();
        }
    }
}

impl Drop for StderrLines {
    fn drop(&mut self) {
        self.flush();
    }
}

/// `msb: PATH:LINE: reason` for an error.
fn report_error(e: &MsbError) {
    eprintln!("msb: {e}");
}

fn error_line(e: &MsbError) -> Option<usize> {
    match e {
        MsbError::Parse { line, .. } | MsbError::NotUtf8 { line, .. } => Some(*line),
        _ => None,
    }
}

fn colour_stdout() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

pub fn run(cli: Cli) -> Result<i32> {
    match cli.command {
        Command::Migrate(args) => run_migrate(args),
        Command::Explain(args) => run_explain(args),
        Command::Verify(args) => run_verify(args),
        Command::Report(ReportCommand::Merge(args)) => run_merge(args),
        Command::Completions(args) => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(&crate::generate::completions(args.shell))?;
            stdout.flush()?;
            Ok(0)
        }
        Command::Man(args) => run_man(args),
    }
}

/// `msb man`: the top page on stdout, or every page into `--out-dir`.
fn run_man(args: ManArgs) -> Result<i32> {
    match &args.out_dir {
        Some(dir) => {
            let names = crate::generate::write_man_pages(dir)
                .with_context(|| format!("writing the man pages into {}", dir.display()))?;
            eprintln!("msb: wrote {} in {}", names.join(", "), dir.display());
        }
        None => {
            let pages = crate::generate::man_pages().context("rendering the man page")?;
            let mut stdout = std::io::stdout().lock();
            if let Some((_, roff)) = pages.first() {
                stdout.write_all(roff)?;
            }
            stdout.flush()?;
        }
    }
    Ok(0)
}

/// `msb report merge`: the merged report on stdout.
fn run_merge(args: MergeArgs) -> Result<i32> {
    let mut reports = Vec::new();
    for path in &args.reports {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        reports.push((path.display().to_string(), text));
    }
    let merged = crate::report::merge(&reports).map_err(|e| anyhow::anyhow!("{e}"))?;
    let text = match args.format {
        ReportFormat::Json => serde_json::to_string_pretty(&merged)? + "\n",
        ReportFormat::Markdown => merged.markdown(),
    };
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()?;
    Ok(0)
}

fn run_explain(args: ExplainArgs) -> Result<i32> {
    let k = knowledge(args.transforms.as_deref())?;
    let source = match SourceFile::read(&args.path) {
        Ok(s) => s,
        Err(e) => {
            report_error(&e);
            return Ok(EXIT_ERROR);
        }
    };
    let context = migrate::context_for(&args.path, args.context.as_deref());
    // The msb.toml that governs the file, as `migrate` reads it, so that
    // explain shows the plan migrate would apply.
    let config = match config::find_for(&args.path).map(|p| Config::read(&p)) {
        Some(Ok(c)) => c,
        Some(Err(e)) => {
            report_error(&e);
            return Ok(EXIT_ERROR);
        }
        None => Config::default(),
    };
    let mut k = k;
    if let Some(user) = &config.user {
        k.images.user.name = user.name.clone().unwrap_or(k.images.user.name);
        k.images.user.uid = user.uid.unwrap_or(k.images.user.uid);
    }
    let opts = options_from(&config, args.allow_unsafe);
    let observer = if args.observe {
        Some(observe_engine(EngineKind::Docker)?)
    } else {
        None
    };
    let observing = observer.as_ref().map(|engine| Observing {
        engine,
        dockerfile: &args.path,
        context: migrate::context_dir(&args.path, args.context.as_deref()),
        build_args: &args.build_args,
    });
    let m = match migrate_observing(&source, &context, &k, &opts, observing.as_ref()) {
        Ok(m) => m,
        Err(e) => {
            report_error(&e);
            return Ok(EXIT_ERROR);
        }
    };
    let cwd = std::env::current_dir().context("reading the current directory")?;
    let shown = diff::display_path(&args.path, &cwd);
    let mut stdout = std::io::stdout().lock();
    match args.format {
        Format::Text => stdout.write_all(explain::explain(&shown, &m).as_bytes())?,
        Format::Json => {
            let d = diff::unified(&source.text, &m.output, &shown);
            serde_json::to_writer_pretty(&mut stdout, &FileReport::from_migration(&shown, &m, &d))?;
            writeln!(stdout)?;
        }
    }
    Ok(0)
}

/// `--observe`: the engine that builds the originals, and how.
struct Observing<'a> {
    engine: &'a Engine,
    dockerfile: &'a Path,
    context: PathBuf,
    build_args: &'a [String],
}

/// The Docker engine `--observe` builds with: its classic builder makes
/// one layer per instruction, which podman's does not promise.
fn observe_engine(kind: EngineKind) -> Result<Engine> {
    if kind == EngineKind::Podman {
        bail!("--observe reads the layers of Docker's classic builder: it needs --engine docker");
    }
    let mut engine = Engine::new(kind.program());
    engine
        .check()
        .context("--observe needs a running Docker engine")?;
    engine.set_builder(Builder::Classic);
    Ok(engine)
}

/// `migrate::migrate`, then, with `--observe` and a RUN msb cannot read,
/// again with what the engine saw each RUN write.
fn migrate_observing(
    source: &SourceFile,
    context: &crate::source::BuildContext,
    k: &Knowledge,
    opts: &Options,
    observing: Option<&Observing>,
) -> Result<Migration, MsbError> {
    let m = migrate::migrate(source, context, k, opts)?;
    let Some(o) = observing else {
        return Ok(m);
    };
    if !crate::observe::wanted(&m) {
        return Ok(m);
    }
    eprintln!(
        "msb: {}: observing its RUNs on the engine (a classic build of the original)...",
        o.dockerfile.display()
    );
    let observed = crate::observe::observe(
        o.engine,
        &m.file,
        o.dockerfile,
        &o.context,
        o.build_args,
        &k.commands.observed_noise,
    );
    let opts = Options {
        observed,
        ..opts.clone()
    };
    migrate::migrate(source, context, k, &opts)
}

/// The migration options a repository's `msb.toml` gives, with the
/// command line's `--unsafe` on top.
fn options_from(config: &Config, unsafe_flag: bool) -> Options {
    Options {
        allow_unsafe: unsafe_flag || config.allow_unsafe.unwrap_or(false),
        runtime_preference: config.runtime,
        unprivileged_ports: config.unprivileged_ports.unwrap_or(false),
        observed: Default::default(),
    }
}

/// `msb verify`: `--jobs` files at a time (one by default: each build
/// already uses the whole local machine; more for a remote builder), the
/// verdicts on stdout in path order whatever `--jobs` is, progress on
/// stderr.
fn run_verify(args: VerifyArgs) -> Result<i32> {
    let k = knowledge(args.transforms.as_deref())?;
    let (engine, vopts) =
        start_verification(&args.flags, args.context.as_deref(), args.report.as_deref())?;
    let cwd = std::env::current_dir().context("reading the current directory")?;
    let mut failed = false;
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    if args.against.is_some() && (paths.len() != 1 || !paths[0].is_file()) {
        bail!("--against compares one original Dockerfile: give exactly one file as PATH");
    }
    let (files, errors) = walk::find(&walk::Search {
        roots: paths,
        jobs: 1,
        ..walk::Search::default()
    });
    for e in &errors {
        report_error(e);
        failed = true;
    }
    let against = match &args.against {
        Some(path) => match SourceFile::read(path) {
            Ok(s) => Some(s),
            Err(e) => {
                report_error(&e);
                return Ok(EXIT_ERROR);
            }
        },
        None => None,
    };
    let setup = VerifySetup {
        args: &args,
        knowledge: &k,
        engine: &engine,
        options: &vopts,
        against: against.as_ref(),
        cwd: &cwd,
    };
    let mut summary = Summary::default();
    let mut records = Vec::new();
    let mut stdout = std::io::stdout().lock();
    let mut print_error: Option<std::io::Error> = None;
    let work = |found: &walk::Found| verify_one(&setup, &found.path);
    // Verifications are slow: each result is shown when it is done.
    run_ordered(&files, usize::from(args.jobs), 1, work, |_, outcome| {
        for line in &outcome.messages {
            eprintln!("{line}");
        }
        failed |= outcome.failed;
        let record = outcome.record;
        let printed = match (&record.verification, args.format) {
            (Some(v), Format::Text) => stdout
                .write_all(verify::render_text(&record.path, v).as_bytes())
                .and_then(|()| stdout.flush()),
            (_, Format::Json) => serde_json::to_writer(&mut stdout, &record)
                .map_err(std::io::Error::from)
                .and_then(|()| writeln!(stdout)),
            (None, Format::Text) => Ok(()),
        };
        if let Err(e) = printed {
            print_error.get_or_insert(e);
        }
        summary.add(
            &record.status,
            record.reason.as_deref(),
            record.estimated_saving_bytes,
        );
        records.push(record);
    });
    if let Some(e) = print_error {
        return Err(e.into());
    }
    summary.finish();
    let verifications: Vec<&Verification> = records
        .iter()
        .filter_map(|r| r.verification.as_ref())
        .collect();
    let counts = verify::VerdictCounts::of(&verifications);
    if records.len() > 1 {
        for line in summary.lines() {
            eprintln!("msb: {line}");
        }
        eprintln!("msb: {}", verify::summary_line(&verifications));
    }
    if let Some(path) = &args.report {
        let report = BulkReport {
            files: records,
            summary,
            verification: Some(counts),
        };
        let text = serde_json::to_string_pretty(&report)? + "\n";
        write::write_new(path, text.as_bytes())
            .with_context(|| format!("writing the report {}", path.display()))?;
    }
    Ok(if failed { EXIT_ERROR } else { 0 })
}

/// What every verification of one `msb verify` run shares.
struct VerifySetup<'a> {
    args: &'a VerifyArgs,
    knowledge: &'a Knowledge,
    engine: &'a Engine,
    options: &'a verify::Options,
    /// `--against FILE`, read.
    against: Option<&'a SourceFile>,
    cwd: &'a Path,
}

/// One Dockerfile verified: its record (with the verification, when
/// there was one to make) and the lines for stderr, printed in path order
/// with the record rather than as they come.
struct VerifyOutcome {
    record: FileReport,
    messages: Vec<String>,
    failed: bool,
}

/// Migrates `path` (or takes `--against`) and verifies the pair.
fn verify_one(setup: &VerifySetup, path: &Path) -> VerifyOutcome {
    let args = setup.args;
    let shown = diff::display_path(path, setup.cwd);
    let progress = |step: &str| eprintln!("msb: {shown}: {step}...");
    let context = migrate::context_dir(path, args.context.as_deref());
    let mut messages = Vec::new();
    let mut failed = false;
    let source = match SourceFile::read(path) {
        Ok(s) => s,
        Err(e) => {
            return VerifyOutcome {
                record: FileReport::failed(&shown, error_line(&e), &e.reason()),
                messages: vec![format!("msb: {e}")],
                failed: true,
            };
        }
    };
    let mopts = Options {
        allow_unsafe: args.allow_unsafe,
        ..Options::default()
    };
    let (mut record, verification) = match setup.against {
        Some(other) => {
            let pair = verify::Pair {
                original: &source.path,
                original_text: &source.text,
                migrated: &other.path,
                migrated_text: &other.text,
                context: &context,
                command_rewritten: false,
                id: verify::unique_id(),
            };
            let v = verify::verify(setup.engine, &pair, setup.options, &progress);
            let mut record = FileReport::failed(&shown, None, "");
            record.status = "migrated".to_string();
            record.reason = None;
            record.against = Some(diff::display_path(&other.path, setup.cwd));
            (record, Some(v))
        }
        None => {
            let ctx = migrate::context_for(path, args.context.as_deref());
            match migrate::migrate(&source, &ctx, setup.knowledge, &mopts) {
                Err(e) => {
                    messages.push(format!("msb: {e}"));
                    failed = true;
                    (
                        FileReport::failed(&shown, error_line(&e), &e.reason()),
                        None,
                    )
                }
                Ok(m) if m.status != Status::Migrated => {
                    for line in status_lines(&shown, &Ok((source.clone(), m.clone())), false, false)
                    {
                        messages.push(format!("{line}: nothing to verify"));
                    }
                    (FileReport::from_migration(&shown, &m, ""), None)
                }
                Ok(m) => {
                    let v = verify::verify_migration(
                        setup.engine,
                        &source,
                        &m,
                        &mopts,
                        &context,
                        setup.options,
                        &progress,
                    );
                    let d = diff::unified(&source.text, &m.output, &shown);
                    (FileReport::from_migration(&shown, &m, &d), Some(v))
                }
            }
        }
    };
    if let Some(v) = verification {
        if !v.passed() {
            failed = true;
            record.status = "failed".to_string();
            record.reason = Some(format!("verification {}", v.summary()));
        }
        record.verification = Some(v);
    }
    VerifyOutcome {
        record,
        messages,
        failed,
    }
}

/// The engine and options of `verify` or `migrate --verify`, once every
/// argument that would only fail after the builds has been checked.
fn start_verification(
    flags: &VerifyFlags,
    context: Option<&Path>,
    report: Option<&Path>,
) -> Result<(Engine, verify::Options)> {
    let opts = flags
        .options()
        .map_err(|e| anyhow::anyhow!("--smoke: {e}"))?;
    check_context(context)?;
    check_report_folder(report)?;
    check_env_files(&flags.env_files)?;
    if let Some(name) = &flags.buildx_builder {
        check_builder_flags(flags.engine, flags.build_with, name)?;
    }
    let mut engine = Engine::new(flags.engine.program());
    engine
        .check()
        .context("verifying needs a running container engine")?;
    let builder = choose_builder(&engine, flags.build_with)?;
    engine.set_builder(builder);
    if let Some(name) = &flags.buildx_builder {
        check_buildx_builder(&engine, name)?;
        engine.set_buildx_builder(name);
    }
    Ok((engine, opts))
}

/// A missing or malformed `--env-file` would make every smoke run fail to
/// start, after every build: said once, before any.
fn check_env_files(files: &[PathBuf]) -> Result<()> {
    for file in files {
        let text = std::fs::read_to_string(file)
            .map_err(|e| anyhow::anyhow!("--env-file {}: {e}", file.display()))?;
        verify::env_file_names(&text)
            .map_err(|e| anyhow::anyhow!("--env-file {}: {e}", file.display()))?;
    }
    Ok(())
}

/// BuildKit when the buildx plugin answers (or `--build-with` says which);
/// podman has its own builder and takes no `--build-with`.
fn choose_builder(engine: &Engine, choice: BuilderChoice) -> Result<Builder> {
    if engine.builder() == Builder::Podman {
        if choice != BuilderChoice::Auto {
            bail!("--build-with: podman builds with its own builder; --build-with is for docker");
        }
        return Ok(Builder::Podman);
    }
    let buildx = engine.buildx_version();
    Ok(match (choice, buildx) {
        (BuilderChoice::Classic, _) => Builder::Classic,
        (BuilderChoice::Auto, Ok(_)) | (BuilderChoice::Buildkit, Ok(_)) => Builder::BuildKit,
        (BuilderChoice::Auto, Err(_)) => Builder::Classic,
        (BuilderChoice::Buildkit, Err(e)) => {
            bail!("--build-with buildkit: the docker buildx plugin does not answer ({e})")
        }
    })
}

/// `--builder NAME` with flags it cannot go with: said before the engine
/// is asked anything.
fn check_builder_flags(engine: EngineKind, choice: BuilderChoice, name: &str) -> Result<()> {
    if engine == EngineKind::Podman {
        bail!(
            "--builder {name}: podman builds with its own builder; --builder names a docker buildx builder"
        );
    }
    if choice == BuilderChoice::Classic {
        bail!("--builder {name}: a buildx builder builds with BuildKit, not --build-with classic");
    }
    if name.is_empty() || name.starts_with('-') {
        bail!("--builder {name:?}: not a builder name (`docker buildx ls` lists them)");
    }
    Ok(())
}

/// `--builder NAME` names a buildx builder instance: buildx must answer
/// and know NAME, or every build would fail the same way, one after the
/// other. Said once, before any build. The CLI's `DOCKER_HOST`, context
/// and config decide where NAME is looked up, as for the builds.
fn check_buildx_builder(engine: &Engine, name: &str) -> Result<()> {
    if let Err(e) = engine.buildx_version() {
        bail!("--builder {name}: the docker buildx plugin does not answer ({e})");
    }
    if let Err(e) = engine.buildx_inspect(name) {
        bail!(
            "--builder {name}: no buildx builder of that name here ({e}); `docker buildx ls` lists them, `docker buildx create --name {name} ...` makes one"
        );
    }
    Ok(())
}

/// A `--context` that is not a folder would make every build fail, and
/// each would read as "the original does not build": say it once instead.
fn check_context(context: Option<&Path>) -> Result<()> {
    match context {
        Some(dir) if !dir.is_dir() => bail!("--context {}: not a folder", dir.display()),
        _ => Ok(()),
    }
}

/// The report is written after every build and smoke run, which can take
/// an hour for a folder: a report that cannot be written is said first.
fn check_report_folder(report: Option<&Path>) -> Result<()> {
    let Some(path) = report else {
        return Ok(());
    };
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !dir.is_dir() {
        bail!(
            "--report {}: the folder {} does not exist",
            path.display(),
            dir.display()
        );
    }
    Ok(())
}

/// What applies to the Dockerfiles under one root: options and the
/// knowledge (its own copy only when msb.toml changes the user).
struct Setting {
    options: Options,
    knowledge: usize,
}

/// One Dockerfile to migrate.
struct Job {
    path: PathBuf,
    shown: String,
    setting: usize,
    /// What `--shard` splits by (empty without it).
    shard_key: String,
}

/// What became of one Dockerfile.
struct Outcome {
    result: Result<(SourceFile, Migration), MsbError>,
    diff: String,
    /// `--verify`: what building and running both images showed.
    verification: Option<Verification>,
}

/// The fleet tools' dry run: multi-gitter sets `DRY_RUN=true` for
/// `--dry-run` (and leaves it out otherwise), git-xargs sets
/// `XARGS_DRY_RUN` to `true` or `false` on every run. The variable that
/// asks for one, with its value, when one does.
fn fleet_dry_run() -> Option<String> {
    ["DRY_RUN", "XARGS_DRY_RUN"].into_iter().find_map(|name| {
        let value = std::env::var(name).ok()?;
        let yes = matches!(
            value.trim().to_ascii_lowercase().as_str(),
            "true" | "1" | "yes"
        );
        yes.then(|| format!("{name}={value}"))
    })
}

/// The message for a folder searched by default with nothing in it: a
/// fleet tool runs msb in every repository, most of which may have no
/// Dockerfile, and that is nothing to do, not an error.
fn nothing_to_do(e: &MsbError) -> bool {
    matches!(e, MsbError::Io { reason, .. } if reason == walk::NO_DOCKERFILE)
}

/// A fleet tool's dry run: `--write` shows the diff and writes nothing;
/// `--git-commit` shows what it would commit.
fn obey_fleet_dry_run(mut args: MigrateArgs) -> MigrateArgs {
    if args.write
        && let Some(why) = fleet_dry_run()
    {
        eprintln!("msb: {why}: a dry run: the diff is shown, no file is written");
        if args.git_commit {
            args.dry_run = true;
        } else {
            args.write = false;
        }
    }
    args
}

fn run_migrate(args: MigrateArgs) -> Result<i32> {
    let args = obey_fleet_dry_run(args);
    let base = knowledge(args.transforms.as_deref())?;
    let cwd = std::env::current_dir().context("reading the current directory")?;

    // A bad glob is a usage error, said before any folder is walked.
    let include = Globs::new(&args.include).map_err(|e| anyhow::anyhow!("--include {e}"))?;
    let exclude = Globs::new(&args.exclude).map_err(|e| anyhow::anyhow!("--exclude {e}"))?;
    let roots = match migrate_roots(&args)? {
        Ok(roots) => roots,
        Err(code) => return Ok(code),
    };
    let explicit_config = match &args.config {
        Some(path) => match Config::read(path) {
            Ok(c) => Some(c),
            Err(e) => {
                report_error(&e);
                return Ok(EXIT_ERROR);
            }
        },
        None => None,
    };
    // Each verification's builds already use the whole machine: one file
    // at a time unless asked otherwise.
    let jobs = args.jobs.filter(|j| *j > 0).unwrap_or_else(|| {
        if args.verify || args.observe {
            1
        } else {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        }
    });
    let verify_opts = if args.verify {
        Some(start_verification(
            &args.verify_flags,
            args.context.as_deref(),
            args.report.as_deref(),
        )?)
    } else {
        None
    };
    let observer = if args.observe {
        Some(observe_engine(args.verify_flags.engine)?)
    } else {
        None
    };

    let mut found = FoundJobs {
        knowledges: vec![base],
        settings: Vec::new(),
        jobs: Vec::new(),
        failed: false,
    };
    let filters = JobFilters {
        include: &include,
        exclude: &exclude,
        explicit_config: explicit_config.as_ref(),
        jobs,
    };
    for root in &roots {
        found.add_root(&args, root, &filters, &cwd);
    }
    let FoundJobs {
        knowledges,
        settings,
        jobs: mut jobs_list,
        failed,
    } = found;
    walk::sort_by_path(&mut jobs_list, |job| &job.path);
    // Normalised paths: equal paths are equal bytes.
    jobs_list.dedup_by(|a, b| a.path.as_os_str() == b.path.as_os_str());
    // After the dedup: a file under two roots is in one shard only.
    if let Some(shard) = args.shard {
        jobs_list.retain(|job| shard.picks(&job.shard_key));
    }
    if args.stdout && jobs_list.len() != 1 {
        bail!(
            "--stdout takes exactly one Dockerfile, {} found",
            jobs_list.len()
        );
    }

    let write_in_place = args.write && !args.git_commit;
    // `--check` alone or `--write` prints no diff: do not compute one.
    let needs_diff = args.report.is_some()
        || args.output_format.is_some()
        || args.format == Format::Json
        || (!args.write && !args.stdout && (!args.check || args.diff));
    let work = FileWork {
        args: &args,
        knowledges: &knowledges,
        settings: &settings,
        verify_opts: verify_opts.as_ref(),
        observer: observer.as_ref(),
        write_in_place,
        needs_diff,
    };

    let progress = progress_bar(jobs_list.len(), args.format);
    let mut tally = Tally {
        args: &args,
        cwd: &cwd,
        colour: colour_stdout() && args.format == Format::Text,
        verbose: args.verbose || jobs_list.len() == 1,
        stdout: std::io::stdout().lock(),
        stderr_lines: StderrLines::new(verify_opts.is_none() && !std::io::stderr().is_terminal()),
        failed,
        changed: 0,
        summary: Summary::default(),
        records: Vec::new(),
        repos: Repos::default(),
        to_commit: BTreeMap::new(),
        outside_git: Vec::new(),
        print_error: None,
        verifications: Vec::new(),
        findings: Vec::new(),
    };
    // A verification takes minutes: its verdict is shown when it is done.
    let batch = if verify_opts.is_some() {
        1
    } else {
        crate::bulk::BATCH_ITEMS
    };
    run_ordered(
        &jobs_list,
        jobs,
        batch,
        |job| work.run(job),
        |i, outcome| {
            tally.take(&jobs_list[i], &outcome, progress.as_ref());
        },
    );
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    tally.finish(jobs_list.len())
}

/// What every file of a `msb migrate` run shares: the knowledge and options
/// picked for it, and what to do with its migration (diff, verify, write).
struct FileWork<'a> {
    args: &'a MigrateArgs,
    knowledges: &'a [Knowledge],
    settings: &'a [Setting],
    /// `--verify`: the engine and what to check.
    verify_opts: Option<&'a (Engine, verify::Options)>,
    /// `--observe`: the engine whose layers are read.
    observer: Option<&'a Engine>,
    write_in_place: bool,
    needs_diff: bool,
}

impl FileWork<'_> {
    /// Migrates one Dockerfile: reads it, migrates it, diffs it when the
    /// output needs a diff, verifies it under `--verify` and writes it in
    /// place under `--write` (with `--verify`, only a verified one).
    fn run(&self, job: &Job) -> Outcome {
        let args = self.args;
        let setting = &self.settings[job.setting];
        let k = &self.knowledges[setting.knowledge];
        let result = SourceFile::read(&job.path).and_then(|source| {
            let context = migrate::context_for(&job.path, args.context.as_deref());
            let observing = self.observer.map(|engine| Observing {
                engine,
                dockerfile: &job.path,
                context: migrate::context_dir(&job.path, args.context.as_deref()),
                build_args: &args.verify_flags.build_args,
            });
            migrate_observing(&source, &context, k, &setting.options, observing.as_ref())
                .map(|m| (source, m))
        });
        let mut diff = String::new();
        let mut verification = None;
        let result = result.and_then(|(source, m)| {
            if self.needs_diff {
                diff = diff::unified(&source.text, &m.output, &job.shown);
            }
            if let Some((engine, opts)) = self.verify_opts
                && m.status == Status::Migrated
            {
                let context = migrate::context_dir(&job.path, args.context.as_deref());
                let progress = |step: &str| eprintln!("msb: {}: {step}...", job.shown);
                verification = Some(verify::verify_migration(
                    engine,
                    &source,
                    &m,
                    &setting.options,
                    &context,
                    opts,
                    &progress,
                ));
            }
            // With --verify, only a verified migration is written.
            let verified = verification.as_ref().is_none_or(Verification::passed);
            if self.write_in_place && m.status == Status::Migrated && verified {
                let original = source.bytes_for(&source.text);
                write::write_atomic(&job.path, &original, &source.bytes_for(&m.output))?;
            }
            Ok((source, m))
        });
        Outcome {
            result,
            diff,
            verification,
        }
    }
}

/// The folders and files `msb migrate` works on: its paths, a
/// `--repos-file`'s repositories, a report's failed files
/// (`--only-failed`), else the current folder. `Err(code)` ends the run
/// with that exit code.
fn migrate_roots(args: &MigrateArgs) -> Result<std::result::Result<Vec<PathBuf>, i32>> {
    let mut roots: Vec<PathBuf> = args.paths.clone();
    if let Some(file) = &args.repos_file {
        match walk::read_repos_file(file) {
            Ok(repos) => roots.extend(repos),
            Err(e) => {
                report_error(&e);
                return Ok(Err(EXIT_ERROR));
            }
        }
    }
    if let Some(report) = &args.only_failed {
        let text = std::fs::read_to_string(report)
            .with_context(|| format!("reading {}", report.display()))?;
        let paths = crate::report::failed_paths(&text)
            .map_err(|e| anyhow::anyhow!("{}: {e}", report.display()))?;
        if paths.is_empty() {
            eprintln!("msb: {}: no file failed; nothing to run", report.display());
            return Ok(Err(0));
        }
        roots.extend(paths.into_iter().map(PathBuf::from));
    }
    if roots.is_empty() {
        roots.push(PathBuf::from("."));
    }
    Ok(Ok(roots))
}

/// What picks the Dockerfiles under a root.
struct JobFilters<'f> {
    include: &'f Globs,
    exclude: &'f Globs,
    /// `--config`: the same settings for every root.
    explicit_config: Option<&'f Config>,
    jobs: usize,
}

/// The Dockerfiles found, each with the settings of its root's msb.toml.
struct FoundJobs {
    /// One copy of the knowledge per distinct runtime user.
    knowledges: Vec<Knowledge>,
    settings: Vec<Setting>,
    jobs: Vec<Job>,
    failed: bool,
}

impl FoundJobs {
    /// Read a root's msb.toml and find its Dockerfiles.
    fn add_root(&mut self, args: &MigrateArgs, root: &Path, filters: &JobFilters, cwd: &Path) {
        let searched_by_default =
            args.paths.is_empty() && args.repos_file.is_none() && args.only_failed.is_none();
        // The folder an msb.toml's excludes are written from: its own.
        let (config, config_dir) = match filters.explicit_config {
            Some(c) => (c.clone(), None),
            None => match config::find_for(root).map(|p| (Config::read(&p), p)) {
                Some((Ok(c), p)) => (c, p.parent().map(Path::to_path_buf)),
                Some((Err(e), _)) => {
                    report_error(&e);
                    self.failed = true;
                    return;
                }
                None => (Config::default(), None),
            },
        };
        // Config::read checked the globs; --config's too.
        let config_exclude = config.exclude_globs().unwrap_or_default();
        let knowledge = self.knowledge_for(&config);
        self.settings.push(Setting {
            options: options_from(&config, args.allow_unsafe),
            knowledge,
        });
        let search = walk::Search {
            roots: vec![root.to_path_buf()],
            include: filters.include.clone(),
            exclude: vec![
                walk::Excludes {
                    globs: filters.exclude.clone(),
                    base: None,
                },
                walk::Excludes {
                    globs: config_exclude,
                    base: config_dir,
                },
            ],
            no_ignore: args.no_ignore,
            jobs: filters.jobs,
        };
        let (files, errors) = walk::find(&search);
        for e in &errors {
            if searched_by_default && nothing_to_do(e) {
                eprintln!("msb: {e}: nothing to do");
                continue;
            }
            report_error(e);
            self.failed = true;
        }
        let keys = args.shard.map(|_| ShardKeys::new(root));
        for f in files {
            self.jobs.push(Job {
                shown: diff::display_path(&f.path, cwd),
                shard_key: keys.as_ref().map(|k| k.key(&f.path)).unwrap_or_default(),
                path: f.path,
                setting: self.settings.len() - 1,
            });
        }
    }

    /// The knowledge with the runtime user an msb.toml names (one copy
    /// per distinct user, however many repositories ask for it).
    fn knowledge_for(&mut self, config: &Config) -> usize {
        let Some(user) = &config.user else {
            return 0;
        };
        let base_user = &self.knowledges[0].images.user;
        let name = user.name.clone().unwrap_or_else(|| base_user.name.clone());
        let uid = user.uid.unwrap_or(base_user.uid);
        if let Some(known) = self
            .knowledges
            .iter()
            .position(|k| k.images.user.name == name && k.images.user.uid == uid)
        {
            return known;
        }
        let mut k = self.knowledges[0].clone();
        k.images.user.name = name;
        k.images.user.uid = uid;
        self.knowledges.push(k);
        self.knowledges.len() - 1
    }
}

/// What the run printed, counted and kept, file by file in the order
/// found, for the closing lines, the reports and the commits.
struct Tally<'t> {
    args: &'t MigrateArgs,
    cwd: &'t Path,
    colour: bool,
    verbose: bool,
    stdout: std::io::StdoutLock<'static>,
    /// The files' status lines on their way to stderr.
    stderr_lines: StderrLines,
    failed: bool,
    changed: usize,
    summary: Summary,
    records: Vec<FileReport>,
    repos: Repos,
    to_commit: BTreeMap<PathBuf, Vec<git::FileChange>>,
    /// --git-commit writes to a branch only: a file outside git stays as it is.
    outside_git: Vec<String>,
    print_error: Option<std::io::Error>,
    /// `--verify`: every verdict, for the closing line.
    verifications: Vec<Verification>,
    /// `--output-format`: every file, for the one document after the run.
    findings: Vec<ci::Finding>,
}

impl Tally<'_> {
    /// One file's outcome: its record, its lines on stderr, its output.
    fn take(&mut self, job: &Job, outcome: &Outcome, progress: Option<&indicatif::ProgressBar>) {
        let args = self.args;
        // The repository is read only when a report or a commit needs it.
        let repo = if args.report.is_some() || args.git_commit || args.format == Format::Json {
            self.repos.of(&job.path)
        } else {
            None
        };
        let mut record = match &outcome.result {
            Ok((_, m)) => FileReport::from_migration(&job.shown, m, &outcome.diff),
            Err(e) => FileReport::failed(&job.shown, error_line(e), &e.reason()),
        };
        record.repo = repo.as_ref().map(|r| diff::display_path(r, self.cwd));
        let verified = outcome
            .verification
            .as_ref()
            .is_none_or(Verification::passed);
        // A migration that did not verify was not written: its line says
        // `would migrate`, then why it was not written.
        let mut lines = status_lines(
            &job.shown,
            &outcome.result,
            args.write && verified,
            self.verbose,
        );
        if let Some(v) = &outcome.verification {
            self.verdict(job, v, &mut record, &mut lines);
        }
        self.summary.add(
            &record.status,
            record.reason.as_deref(),
            record.estimated_saving_bytes,
        );
        if args.output_format.is_some() {
            self.findings.push(finding_of(&record, outcome));
        }
        match progress {
            Some(bar) => bar.suspend(|| eprint_lines(&lines)),
            None => self.stderr_lines.add(&lines),
        }
        let printed = self.print(job, outcome, &record, repo.as_ref(), verified);
        if let Err(e) = printed
            && self.print_error.is_none()
        {
            self.print_error = Some(e);
        }
        if let Some(bar) = progress {
            bar.inc(1);
        }
        if args.report.is_some() || args.pr_body.is_some() {
            self.records.push(record);
        }
    }

    /// `--verify`'s verdict on one file: a migration that did not verify
    /// is failed, and not written.
    fn verdict(
        &mut self,
        job: &Job,
        v: &Verification,
        record: &mut FileReport,
        lines: &mut Vec<String>,
    ) {
        if !v.passed() {
            record.status = "failed".to_string();
            record.reason = Some(format!("verification {}", v.summary()));
            self.failed = true;
            if self.args.write {
                let why = if v.verdict == verify::Verdict::Inconclusive {
                    "the verification was inconclusive (the smoke run compared nothing)"
                } else {
                    "the migration did not verify"
                };
                lines.push(format!("msb: {}: not written: {why}", job.shown));
            }
        }
        lines.extend(
            verify::render_text(&job.shown, v)
                .lines()
                .map(|l| format!("msb: {l}")),
        );
        record.verification = Some(v.clone());
        self.verifications.push(v.clone());
    }

    /// What stdout gets of one file (its diff, output or JSON record),
    /// and the commit it joins.
    fn print(
        &mut self,
        job: &Job,
        outcome: &Outcome,
        record: &FileReport,
        repo: Option<&PathBuf>,
        verified: bool,
    ) -> std::io::Result<()> {
        let args = self.args;
        // Whatever goes to stdout comes after the status lines before it,
        // as it did unbuffered (`2>&1` keeps its order).
        if args.stdout || args.format == Format::Json || (!args.write && (!args.check || args.diff))
        {
            self.stderr_lines.flush();
        }
        let (source, m) = match &outcome.result {
            Err(_) => {
                self.failed = true;
                if args.format == Format::Json {
                    serde_json::to_writer(&mut self.stdout, record)?;
                    writeln!(self.stdout)?;
                }
                return Ok(());
            }
            Ok(done) => done,
        };
        if m.status == Status::Migrated && verified {
            self.changed += 1;
            if args.git_commit {
                match repo {
                    Some(repo) => {
                        self.to_commit
                            .entry(repo.clone())
                            .or_default()
                            .push(git::FileChange {
                                shown: job.shown.clone(),
                                path: job.path.clone(),
                                new_bytes: source.bytes_for(&m.output),
                                summary: commit_line(m),
                            })
                    }
                    None => self.outside_git.push(job.shown.clone()),
                }
            }
        }
        if args.stdout {
            self.stdout.write_all(&source.bytes_for(&m.output))?;
        } else if args.output_format.is_some() {
            // Written whole after the run.
        } else if args.format == Format::Json {
            serde_json::to_writer(&mut self.stdout, record)?;
            writeln!(self.stdout)?;
        } else if !args.write && (!args.check || args.diff) {
            let d = if self.colour {
                diff::colourise(&outcome.diff)
            } else {
                outcome.diff.clone()
            };
            self.stdout.write_all(d.as_bytes())?;
        }
        Ok(())
    }

    /// After the last file: the CI document, the closing lines, the
    /// pull-request body, the report, the commits; the exit code.
    fn finish(mut self, files: usize) -> Result<i32> {
        let args = self.args;
        self.stderr_lines.flush();
        if let Some(format) = args.output_format
            && self.print_error.is_none()
            && let Err(e) = self
                .stdout
                .write_all(ci::render(format, &self.findings).as_bytes())
        {
            self.print_error = Some(e);
        }
        self.stdout.flush()?;
        if let Some(e) = self.print_error.take() {
            return Err(e).context("writing to stdout");
        }
        self.summary.finish();
        let all: Vec<&Verification> = self.verifications.iter().collect();
        if files > 1 {
            for line in self.summary.lines() {
                eprintln!("msb: {line}");
            }
            if args.verify {
                eprintln!("msb: {}", verify::summary_line(&all));
            }
        }
        if let Some(path) = &args.pr_body {
            write::write_new(
                path,
                crate::report::pr_body(&self.records, &self.summary).as_bytes(),
            )
            .with_context(|| format!("writing the pull-request body {}", path.display()))?;
        }
        if let Some(path) = &args.report {
            let report = BulkReport {
                files: std::mem::take(&mut self.records),
                summary: self.summary.clone(),
                verification: args.verify.then(|| verify::VerdictCounts::of(&all)),
            };
            let text = match args.report_format {
                ReportFormat::Json => serde_json::to_string_pretty(&report)? + "\n",
                ReportFormat::Markdown => report.markdown(),
            };
            write::write_new(path, text.as_bytes())
                .with_context(|| format!("writing the report {}", path.display()))?;
        }
        if args.git_commit {
            self.commit_all();
        }
        Ok(if self.failed {
            EXIT_ERROR
        } else if args.check && self.changed > 0 {
            EXIT_CHANGES
        } else {
            0
        })
    }

    /// `--git-commit`: each repository's migrated files on its branch.
    fn commit_all(&mut self) {
        let args = self.args;
        if !args.dry_run && self.failed {
            eprintln!("msb: some files failed; committing what did migrate");
        }
        for shown in &self.outside_git {
            eprintln!(
                "msb: {shown}: not committed: not inside a git repository; the file is left as it was"
            );
        }
        for (repo, files) in &self.to_commit {
            let shown = diff::display_path(repo, self.cwd);
            match git::commit(repo, &args.branch, files, args.dry_run) {
                git::RepoOutcome::Committed { branch, commit } => eprintln!(
                    "msb: {shown}: committed {} Dockerfile{} on branch {branch} ({})",
                    files.len(),
                    if files.len() == 1 { "" } else { "s" },
                    &commit[..commit.len().min(12)]
                ),
                git::RepoOutcome::WouldCommit { branch, message } => {
                    eprintln!("msb: {shown}: would commit on branch {branch}:");
                    for line in message.lines() {
                        eprintln!("msb:   {line}");
                    }
                }
                git::RepoOutcome::Skipped(reason) => {
                    eprintln!("msb: {shown}: not committed: {reason}")
                }
                git::RepoOutcome::Failed(reason) => {
                    eprintln!("msb: {shown}: commit failed: {reason}");
                    self.failed = true;
                }
            }
        }
    }
}

/// What the CI formats say of one file: its record's status (a migration
/// that did not verify is `failed` there too), the FROM line of a file to
/// migrate, the reason's line of a skip.
fn finding_of(record: &FileReport, outcome: &Outcome) -> ci::Finding {
    let kind = match record.status.as_str() {
        "migrated" => ci::Outcome::WouldMigrate,
        "skipped" => ci::Outcome::Skipped,
        "unchanged" => ci::Outcome::Unchanged,
        _ => ci::Outcome::Failed,
    };
    let (original, migrated, from_line) = match &outcome.result {
        Ok((source, m)) => {
            let from = m
                .file
                .instructions
                .iter()
                .find(|i| i.keyword == crate::parse::Keyword::From)
                .map(|i| i.line);
            (source.text.clone(), m.output.clone(), from)
        }
        Err(_) => (String::new(), String::new(), None),
    };
    let line = match kind {
        ci::Outcome::WouldMigrate => from_line,
        _ => record.line.filter(|l| *l > 0),
    };
    ci::Finding {
        path: record.path.clone(),
        outcome: kind,
        reason: record.reason.clone(),
        line: line.unwrap_or(1),
        runtime_base: record.runtime_base.clone(),
        saving_bytes: record.estimated_saving_bytes,
        unsafe_available: record.unsafe_available,
        original,
        migrated,
        diff: outcome.diff.clone(),
    }
}

/// A progress bar on stderr, only for a long run on a terminal (never in
/// a pipe or a CI log).
fn progress_bar(files: usize, format: Format) -> Option<indicatif::ProgressBar> {
    let terminal = std::io::stderr().is_terminal();
    let ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty());
    if !terminal || ci || files < 100 || format != Format::Text {
        return None;
    }
    let bar = indicatif::ProgressBar::new(files as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} Dockerfiles {elapsed}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    Some(bar)
}

/// One line of the commit message for a migrated file.
fn commit_line(m: &Migration) -> String {
    let language = m
        .analysis
        .language
        .as_ref()
        .map_or("?", |l| l.name.as_str());
    let builder = m
        .analysis
        .builder
        .as_ref()
        .map_or("?", |b| b.written.as_str());
    let base = m
        .plan
        .as_ref()
        .and_then(|p| p.runtime_base.as_ref())
        .map_or("?", |b| b.image.as_str());
    let saving = m
        .estimated_saving_mb()
        .filter(|mb| *mb > 0)
        .map(|mb| format!(", estimated saving ~{mb} MB"))
        .unwrap_or_default();
    format!("{language}: builder {builder}, final stage {base}, non-root{saving}")
}

/// The stderr lines of one file: its status, and with `verbose` the
/// decisions and warnings of a migration.
fn status_lines(
    shown: &str,
    result: &Result<(SourceFile, Migration), MsbError>,
    wrote: bool,
    verbose: bool,
) -> Vec<String> {
    let m = match result {
        Ok((_, m)) => m,
        Err(e) => {
            let at = match error_line(e) {
                Some(line) => format!("{shown}:{line}"),
                None => shown.to_string(),
            };
            return vec![format!("msb: {at}: failed: {}", e.reason())];
        }
    };
    let mut lines = Vec::new();
    match m.status {
        Status::Skipped | Status::Unchanged => {
            let (line, reason) = m
                .reason
                .as_ref()
                .map(|r| (r.line, r.reason.as_str()))
                .unwrap_or((0, ""));
            let at = if line > 0 {
                format!("{shown}:{line}")
            } else {
                shown.to_string()
            };
            let more = if m.unsafe_available {
                " (--unsafe migrates it anyway)"
            } else {
                ""
            };
            lines.push(format!("msb: {at}: {}: {reason}{more}", m.status.as_str()));
        }
        Status::Migrated => {
            let language = m
                .analysis
                .language
                .as_ref()
                .map(|l| l.name.as_str())
                .unwrap_or("?");
            let base = m
                .plan
                .as_ref()
                .and_then(|p| p.runtime_base.as_ref())
                .map(|b| b.image.as_str())
                .unwrap_or("?");
            let saving = m
                .estimated_saving_mb()
                .filter(|mb| *mb > 0)
                .map(|mb| format!(", estimated saving ~{mb} MB"))
                .unwrap_or_default();
            let verb = if wrote { "migrated" } else { "would migrate" };
            lines.push(format!(
                "msb: {shown}: {verb} ({language}, final stage FROM {base}{saving})"
            ));
            if let Some(plan) = &m.plan {
                if verbose {
                    for d in &plan.decisions {
                        lines.push(format!("msb:   - {}", d.summary));
                    }
                }
                for alt in &plan.unsafe_alternatives {
                    lines.push(format!("msb:   - more with --unsafe: {alt}"));
                }
            }
            for w in &m.analysis.warnings {
                lines.push(format!("msb: {shown}: warning: {w}"));
            }
        }
    }
    lines
}
