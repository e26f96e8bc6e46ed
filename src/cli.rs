//! The command line: `msb migrate` and `msb explain`. Everything the user
//! sees is printed here: the product on stdout, messages on stderr as
//! `msb: PATH:LINE: message`.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::diff;
use crate::error::MsbError;
use crate::explain;
use crate::knowledge::Knowledge;
use crate::migrate::{self, Migration, Options, Status};
use crate::report::FileReport;
use crate::source::SourceFile;
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
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

#[derive(Args, Debug)]
pub struct MigrateArgs {
    /// Dockerfiles or folders to search for them.
    #[arg(default_value = ".")]
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
    /// Also apply unsafe decisions.
    #[arg(long = "unsafe")]
    pub allow_unsafe: bool,
    /// The build context, when it is not the Dockerfile's folder.
    #[arg(long, value_name = "DIR")]
    pub context: Option<PathBuf>,
    /// A folder of knowledge packs (*.toml) that add to or replace the built-in ones.
    #[arg(long, value_name = "DIR")]
    pub transforms: Option<PathBuf>,
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
    }
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
    let opts = Options {
        allow_unsafe: args.allow_unsafe,
    };
    let m = match migrate::migrate(&source, &context, &k, &opts) {
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

fn run_migrate(args: MigrateArgs) -> Result<i32> {
    let k = knowledge(args.transforms.as_deref())?;
    let cwd = std::env::current_dir().context("reading the current directory")?;
    let (files, walk_errors) = walk::find(&args.paths);
    let mut failed = !walk_errors.is_empty();
    for e in &walk_errors {
        report_error(e);
    }
    if args.stdout && files.len() != 1 {
        bail!(
            "--stdout takes exactly one Dockerfile, {} found",
            files.len()
        );
    }
    let opts = Options {
        allow_unsafe: args.allow_unsafe,
    };
    let colour = colour_stdout() && args.format == Format::Text;
    let mut changed = 0usize;
    let mut stdout = std::io::stdout().lock();
    for path in &files {
        let shown = diff::display_path(path, &cwd);
        let result = SourceFile::read(path).and_then(|source| {
            let context = migrate::context_for(path, args.context.as_deref());
            migrate::migrate(&source, &context, &k, &opts).map(|m| (source, m))
        });
        let (source, m) = match result {
            Ok(ok) => ok,
            Err(e) => {
                report_error(&e);
                failed = true;
                if args.format == Format::Json {
                    let reason = e.reason();
                    serde_json::to_writer(
                        &mut stdout,
                        &FileReport::failed(&shown, error_line(&e), &reason),
                    )?;
                    writeln!(stdout)?;
                }
                continue;
            }
        };
        let d = diff::unified(&source.text, &m.output, &shown);
        if m.status == Status::Migrated {
            changed += 1;
        }
        if args.write && m.status == Status::Migrated {
            let original = source.bytes_for(&source.text);
            if let Err(e) = write::write_atomic(path, &original, &source.bytes_for(&m.output)) {
                report_error(&e);
                failed = true;
                if args.format == Format::Json {
                    serde_json::to_writer(
                        &mut stdout,
                        &FileReport::failed(&shown, None, &e.reason()),
                    )?;
                    writeln!(stdout)?;
                }
                continue;
            }
        }
        report_status(&shown, &m, args.write);
        if args.stdout {
            stdout.write_all(&source.bytes_for(&m.output))?;
            continue;
        }
        match args.format {
            Format::Json => {
                serde_json::to_writer(&mut stdout, &FileReport::from_migration(&shown, &m, &d))?;
                writeln!(stdout)?;
            }
            Format::Text if !args.write && (!args.check || args.diff) => {
                if colour {
                    stdout.write_all(diff::colourise(&d).as_bytes())?;
                } else {
                    stdout.write_all(d.as_bytes())?;
                }
            }
            Format::Text => {}
        }
    }
    stdout.flush()?;
    Ok(if failed {
        EXIT_ERROR
    } else if args.check && changed > 0 {
        EXIT_CHANGES
    } else {
        0
    })
}

/// One line per file on stderr, plus the decisions of a migration.
fn report_status(shown: &str, m: &Migration, wrote: bool) {
    match m.status {
        Status::Skipped => {
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
            eprintln!("msb: {at}: skipped: {reason}{more}");
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
            eprintln!("msb: {shown}: {verb} ({language}, final stage FROM {base}{saving})");
            if let Some(plan) = &m.plan {
                for d in &plan.decisions {
                    eprintln!("msb:   - {}", d.summary);
                }
                for alt in &plan.unsafe_alternatives {
                    eprintln!("msb:   - more with --unsafe: {alt}");
                }
            }
            for w in &m.analysis.warnings {
                eprintln!("msb: {shown}: warning: {w}");
            }
        }
    }
}
