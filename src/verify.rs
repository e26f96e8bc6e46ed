//! `msb verify`: builds the original Dockerfile and its migration with the
//! local engine and shows, with figures, that the migrated image builds,
//! keeps the runtime contract, runs as non-root, starts like the original
//! and is smaller.
//!
//! The migrated text is built from a temporary file (`-f`) with the
//! original's context, so nothing in the repository changes. A smoke run
//! is not a test suite: it shows that both containers start the same way
//! and answer the same on their ports, not that every code path works.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::Value;

use crate::engine::{self, Builder, ContainerState, Engine, EngineError, Layer, Probe};
use crate::migrate::Migration;
use crate::parse::{self, Keyword};
use crate::source::SourceFile;

/// How the smoke run starts both containers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Smoke {
    /// With the image's own ENTRYPOINT and CMD.
    ImageCommand,
    /// With these arguments after the image name (they replace CMD).
    Arguments(Vec<String>),
    /// No smoke run (an app that needs a database, say).
    Off,
}

#[derive(Debug, Clone)]
pub struct Options {
    pub smoke: Smoke,
    /// How long both containers run before they are compared.
    pub smoke_seconds: u64,
    pub keep_images: bool,
    /// `--build-arg` values, given to both builds.
    pub build_args: Vec<String>,
    /// `--env KEY=VALUE`: set in both containers of the smoke run (an
    /// app configured by its platform, `PORT` on Cloud Run, exits without
    /// it).
    pub env: Vec<String>,
    /// `--env-file FILE`: given to both containers as `docker run
    /// --env-file` reads it.
    pub env_files: Vec<PathBuf>,
}

/// One comparison to make.
#[derive(Debug, Clone)]
pub struct Pair<'a> {
    pub original: &'a Path,
    pub original_text: &'a str,
    /// The Dockerfile to compare with the original (a temporary file
    /// holding msb's migration, or the file given to `--against`).
    pub migrated: &'a Path,
    pub migrated_text: &'a str,
    pub context: &'a Path,
    /// msb rewrote ENTRYPOINT or CMD on purpose (`go run` → the binary):
    /// a difference there is expected; the smoke run checks it.
    pub command_rewritten: bool,
    /// Unique in this run: names the images and containers.
    pub id: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Verified,
    /// Nothing failed, but the smoke run compared nothing that shows the
    /// migrated app works (both exited 1 without their settings, say):
    /// not verified.
    Inconclusive,
    Failed,
    /// The original does not build here: nothing to compare with.
    OriginalDoesNotBuild,
}

/// Everything `msb verify` found for one Dockerfile.
#[derive(Debug, Clone, Serialize)]
pub struct Verification {
    pub verdict: Verdict,
    /// The builder both images were built with.
    pub builder: Option<Builder>,
    /// The buildx builder instance `--builder` named (its images were
    /// loaded into the local engine with `--load`), or null for the
    /// CLI's own choice.
    pub buildx_builder: Option<String>,
    /// Why the smoke run compared nothing, when it did not (the verdict
    /// is then `inconclusive`, unless a check failed).
    pub inconclusive_reason: Option<String>,
    /// What to try so that the smoke run compares something.
    pub hint: Option<String>,
    /// The checks that failed: `build`, `config`, `user`, `smoke`, `size`,
    /// or `engine` when the engine itself failed.
    pub failed_checks: Vec<String>,
    /// Why, one line per problem.
    pub problems: Vec<String>,
    /// Differences that are expected and do not fail (a toolchain
    /// variable of the builder's base image, a rewritten command).
    pub notes: Vec<String>,
    pub original_build: Option<BuildRecord>,
    pub migrated_build: Option<BuildRecord>,
    pub config: Vec<FieldCheck>,
    pub user: Option<UserCheck>,
    pub smoke: Option<SmokeReport>,
    pub size: Option<SizeReport>,
    /// Images left behind by `--keep-images`.
    pub kept_images: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct BuildRecord {
    pub ok: bool,
    pub seconds: f64,
    /// `sha256:…`, when the build made an image.
    pub image_id: Option<String>,
    /// The step that failed, as the build log names it.
    pub failing_step: Option<String>,
    /// A Dockerfile feature this engine's builder cannot build, when the
    /// failed build's log shows that this is why it failed (heredocs on
    /// an old frontend, `RUN --mount` on the classic builder).
    pub unsupported: Option<String>,
    /// The last lines of the build log, when it failed.
    pub log_tail: Vec<String>,
}

/// One field of the image config, original against migrated.
#[derive(Debug, Clone, Serialize)]
pub struct FieldCheck {
    pub field: String,
    pub equal: bool,
    pub original: Value,
    pub migrated: Value,
}

#[derive(Debug, Clone, Serialize)]
pub struct UserCheck {
    /// `.Config.User` of the migrated image.
    pub user: String,
    pub uid: Option<u32>,
    pub non_root: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct SmokeReport {
    pub seconds: u64,
    pub command: Vec<String>,
    /// The names of the variables `--env` and `--env-file` set (their
    /// values may be secrets: not in a report).
    pub env: Vec<String>,
    pub env_files: Vec<String>,
    /// When both containers had stopped before the wait ended: how many
    /// seconds after they were started.
    pub stopped_after_seconds: Option<f64>,
    /// Ports probed only because `--env PORT=N` named them (the image
    /// does not expose them).
    pub env_ports: Vec<String>,
    pub original: RunReport,
    pub migrated: RunReport,
    pub same: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    /// Why the engine could not start it, if it could not.
    pub start_error: Option<String>,
    pub state: Option<ContainerState>,
    pub ports: Vec<PortProbe>,
    /// The image's HEALTHCHECK, run once the container is up (None when
    /// the image has none or the container had stopped).
    pub health: Option<HealthRun>,
    /// The container's output: its first lines, and its last ones when
    /// it is long.
    pub log_head: Vec<String>,
}

/// The image's HEALTHCHECK command, run by msb the way the engine runs
/// it: the engine's first check comes only after its interval (30 s by
/// default), later than the smoke run looks, and a check that can never
/// pass (`curl` missing from a slim final stage) is exactly what a
/// migration breaks.
#[derive(Debug, Clone, Serialize)]
pub struct HealthRun {
    pub command: Vec<String>,
    pub passed: bool,
    /// None when it did not finish within the check's timeout.
    pub exit_code: Option<i64>,
    pub output: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PortProbe {
    pub port: String,
    pub answer: Probe,
    pub body_start: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SizeReport {
    pub original_bytes: u64,
    pub migrated_bytes: u64,
    /// Negative when the migrated image is bigger.
    pub saving_bytes: i64,
    pub saving_percent: f64,
    /// The final stage's base, as its FROM names it.
    pub final_base: Option<String>,
    /// The layers the final stage adds to its base, newest first.
    pub final_stage_layers: Vec<Layer>,
}

/// Lines of build log and container output shown on a failure.
const LOG_LINES: usize = 15;

/// The config fields that must be equal (`Env` and `Labels` are compared
/// variable by variable, `User` is checked on its own).
const CONTRACT_FIELDS: [&str; 8] = [
    "Entrypoint",
    "Cmd",
    "ExposedPorts",
    "WorkingDir",
    "Healthcheck",
    "StopSignal",
    "Volumes",
    "Shell",
];

impl Verification {
    fn new() -> Verification {
        Verification {
            verdict: Verdict::Verified,
            builder: None,
            buildx_builder: None,
            inconclusive_reason: None,
            hint: None,
            failed_checks: Vec::new(),
            problems: Vec::new(),
            notes: Vec::new(),
            original_build: None,
            migrated_build: None,
            config: Vec::new(),
            user: None,
            smoke: None,
            size: None,
            kept_images: Vec::new(),
        }
    }

    fn fail(&mut self, check: &str, problem: String) {
        self.verdict = Verdict::Failed;
        if !self.failed_checks.iter().any(|c| c == check) {
            self.failed_checks.push(check.to_string());
        }
        self.problems.push(problem);
    }

    /// The smoke run compared nothing: the verdict is `inconclusive`
    /// unless a check failed (a config difference is a failure even when
    /// the smoke run shows nothing), and then a note says it.
    fn nothing_compared(&mut self, why: String, hint: String) {
        self.inconclusive_reason = Some(why);
        self.hint = Some(hint);
    }

    /// The final verdict, once every check ran: failures outrank an
    /// inconclusive smoke run.
    fn settle(&mut self) {
        let Some(why) = &self.inconclusive_reason else {
            return;
        };
        if self.verdict == Verdict::Verified {
            self.verdict = Verdict::Inconclusive;
        } else {
            self.notes
                .push(format!("the smoke run compared nothing either: {why}"));
        }
    }

    /// One line: `verified`, `inconclusive: why`, `failed: config, smoke`,
    /// or `could not build the original`, with the feature the engine
    /// cannot build when that is why a build failed.
    pub fn summary(&self) -> String {
        fn unsupported(b: &Option<BuildRecord>) -> Option<&str> {
            b.as_ref()
                .and_then(|b| b.unsupported.as_ref())
                .map(String::as_str)
        }
        match self.verdict {
            Verdict::Verified => "verified".to_string(),
            Verdict::Inconclusive => format!(
                "inconclusive: {}",
                self.inconclusive_reason.as_deref().unwrap_or("")
            ),
            Verdict::Failed => {
                let mut line = format!("failed: {}", self.failed_checks.join(", "));
                if let Some(feature) = unsupported(&self.migrated_build) {
                    line.push_str(&format!(" ({feature})"));
                }
                line
            }
            Verdict::OriginalDoesNotBuild => match unsupported(&self.original_build) {
                Some(feature) => format!("could not build the original: {feature}"),
                None => "could not build the original".to_string(),
            },
        }
    }

    pub fn passed(&self) -> bool {
        self.verdict == Verdict::Verified
    }
}

/// Builds both Dockerfiles, compares them and removes the images (unless
/// `keep_images`). `progress` receives a line before each slow step.
pub fn verify(
    engine: &Engine,
    pair: &Pair,
    opts: &Options,
    progress: &dyn Fn(&str),
) -> Verification {
    let original_tag = format!("msb-verify:{}-original", pair.id);
    let migrated_tag = format!("msb-verify:{}-migrated", pair.id);
    let mut v = Verification::new();
    v.builder = Some(engine.builder());
    v.buildx_builder = engine.buildx_builder().map(str::to_string);
    let mut built = Built::default();
    // What the engine held before: the builds' logs name the user's own
    // images too (the base, cached steps), which must stay.
    let existed = if opts.keep_images {
        None
    } else {
        engine.image_ids()
    };
    if let Err(e) = run_checks(
        engine,
        pair,
        opts,
        progress,
        [&original_tag, &migrated_tag],
        &mut built,
        &mut v,
    ) {
        v.fail("engine", e.to_string());
    }
    v.settle();
    // The bases loaded from a buildx builder were only read: never kept.
    for base in &built.bases {
        engine.remove_image(base);
    }
    if opts.keep_images {
        v.kept_images = built.images;
    } else {
        for image in &built.images {
            engine.remove_image(image);
        }
        // Without the list of what existed, an untagged image named in a
        // log could be the user's: it is left rather than risked.
        if let Some(existed) = &existed {
            engine.remove_new_step_images(&built.logs, existed);
        }
    }
    v
}

/// What a verification leaves on the engine, to remove afterwards.
#[derive(Default)]
struct Built {
    images: Vec<String>,
    logs: Vec<String>,
    /// Base images loaded from a `--builder` instance, by msb's tag.
    bases: Vec<String>,
}

fn run_checks(
    engine: &Engine,
    pair: &Pair,
    opts: &Options,
    progress: &dyn Fn(&str),
    tags: [&String; 2],
    built: &mut Built,
    v: &mut Verification,
) -> Result<(), EngineError> {
    if !build_both(engine, pair, opts, progress, tags, built, v)? {
        return Ok(());
    }
    let [original_tag, migrated_tag] = tags;
    let original = engine.inspect_image(original_tag)?;
    let migrated = engine.inspect_image(migrated_tag)?;
    let original_base = final_base(pair.original_text, &opts.build_args);
    let migrated_base = final_base(pair.migrated_text, &opts.build_args);
    let original_base_facts = original_base
        .as_ref()
        .and_then(|b| base_facts(engine, b, &format!("{}-0", pair.id), built));
    let migrated_base_facts = migrated_base
        .as_ref()
        .and_then(|b| base_facts(engine, b, &format!("{}-1", pair.id), built));

    compare_config(
        &original.config,
        &migrated.config,
        original_base
            .as_deref()
            .zip(original_base_facts.as_ref().map(|(_, f)| &f.config)),
        migrated_base_facts.as_ref().map(|(_, f)| &f.config),
        pair.command_rewritten,
        v,
    );
    check_migrated_user(engine, migrated_tag, &migrated.config, v);

    if opts.smoke != Smoke::Off {
        progress(&format!("smoke run ({} s)", opts.smoke_seconds));
        let report = smoke(
            engine,
            pair,
            opts,
            [original_tag, migrated_tag],
            [&original.config, &migrated.config],
        );
        judge_smoke(&report, &original.config, v);
        v.smoke = Some(report);
    }

    let base_ref = migrated_base_facts.as_ref().map(|(r, _)| r.as_str());
    let size = measure(
        engine,
        &original,
        &migrated,
        migrated_tag,
        migrated_base.clone(),
        base_ref,
    );
    if size.saving_bytes <= 0 {
        v.fail(
            "size",
            format!(
                "the migrated image is not smaller: {} against {}",
                crate::bulk::human_bytes(size.migrated_bytes),
                crate::bulk::human_bytes(size.original_bytes)
            ),
        );
    }
    v.size = Some(size);
    Ok(())
}

/// The local name and facts of a final stage's base image. The docker
/// driver built from the engine's own images, so the base is there; a
/// `--builder` instance (remote, kubernetes) pulled it into its own
/// store, and `FROM base` built there and loaded gives this engine the
/// same config and layers (tagged `msb-verify:ID-base`, removed after).
/// None when neither works (a stage built from a digest the engine
/// renamed): every variable then counts as the Dockerfile's own.
fn base_facts(
    engine: &Engine,
    base: &str,
    id: &str,
    built: &mut Built,
) -> Option<(String, engine::ImageFacts)> {
    if let Ok(facts) = engine.inspect_image(base) {
        return Some((base.to_string(), facts));
    }
    if engine.buildx_builder().is_none() || base.eq_ignore_ascii_case("scratch") {
        return None;
    }
    let tag = format!("msb-verify:{id}-base");
    let build = engine.load_image(base, &tag).ok()?;
    if !build.ok {
        return None;
    }
    built.bases.push(tag.clone());
    let facts = engine.inspect_image(&tag).ok()?;
    Some((tag, facts))
}

/// Builds the original, then the migration; false when one of them does
/// not build (there is nothing more to compare).
fn build_both(
    engine: &Engine,
    pair: &Pair,
    opts: &Options,
    progress: &dyn Fn(&str),
    [original_tag, migrated_tag]: [&String; 2],
    built: &mut Built,
    v: &mut Verification,
) -> Result<bool, EngineError> {
    progress("building the original");
    let build = engine.build(pair.original, pair.context, original_tag, &opts.build_args)?;
    let (record, hint) = build_record(&build, pair.original_text, engine.builder());
    built.logs.push(build.log);
    if !build.ok {
        v.hint = hint;
        v.verdict = Verdict::OriginalDoesNotBuild;
        v.problems.push(format!(
            "the original does not build{}",
            why_not_built(&record)
        ));
        v.original_build = Some(record);
        return Ok(false);
    }
    v.original_build = Some(record);
    built.images.push(original_tag.clone());

    progress("building the migration");
    let build = engine.build(pair.migrated, pair.context, migrated_tag, &opts.build_args)?;
    let (record, hint) = build_record(&build, pair.migrated_text, engine.builder());
    built.logs.push(build.log);
    if !build.ok {
        v.hint = hint;
        v.fail(
            "build",
            format!("the migration does not build{}", why_not_built(&record)),
        );
        v.migrated_build = Some(record);
        return Ok(false);
    }
    v.migrated_build = Some(record);
    built.images.push(migrated_tag.clone());
    Ok(true)
}

/// The migrated image's USER must be shown non-root: a numeric UID, or
/// a name its own `/etc/passwd` gives one.
fn check_migrated_user(engine: &Engine, image: &str, config: &Value, v: &mut Verification) {
    let user = config_str(config, "User");
    let passwd = if needs_passwd(&user) {
        Some(
            engine
                .read_file(image, "/etc/passwd")
                .map(|b| String::from_utf8_lossy(&b).into_owned()),
        )
    } else {
        None
    };
    let check = check_user(
        &user,
        passwd
            .as_ref()
            .and_then(|p| p.as_ref().ok())
            .map(String::as_str),
    );
    if !check.non_root {
        let why = match (&check.uid, user.is_empty(), &passwd) {
            (_, true, _) => "the migrated image runs as root (no USER)".to_string(),
            (Some(0), _, _) => format!("the migrated image runs as root (USER {user})"),
            (_, _, Some(Err(e))) => format!(
                "USER {user}: not a numeric UID, and the image's /etc/passwd cannot be read ({e}), so it cannot be shown to be non-root"
            ),
            _ => format!(
                "USER {user}: not a numeric UID and not in the image's /etc/passwd, so it cannot be shown to be non-root"
            ),
        };
        v.fail("user", why);
    }
    v.user = Some(check);
}

/// Both sizes, the saving, and the layers the final stage adds to its
/// base.
fn measure(
    engine: &Engine,
    original: &engine::ImageFacts,
    migrated: &engine::ImageFacts,
    migrated_tag: &str,
    migrated_base: Option<String>,
    base_ref: Option<&str>,
) -> SizeReport {
    let layers = engine.history(migrated_tag).unwrap_or_default();
    let base_layers = base_ref
        .and_then(|b| engine.history(b).ok())
        .map_or(0, |h| h.len());
    let own = layers.len().saturating_sub(base_layers);
    let saving = original.size as i64 - migrated.size as i64;
    SizeReport {
        original_bytes: original.size,
        migrated_bytes: migrated.size,
        saving_bytes: saving,
        saving_percent: if original.size == 0 {
            0.0
        } else {
            saving as f64 * 100.0 / original.size as f64
        },
        final_base: migrated_base,
        final_stage_layers: layers.into_iter().take(own).collect(),
    }
}

/// The record of one build, and what would build it when this engine's
/// builder cannot.
fn build_record(
    build: &engine::Build,
    dockerfile: &str,
    builder: Builder,
) -> (BuildRecord, Option<String>) {
    let unsupported = if build.ok {
        None
    } else {
        unsupported_feature(dockerfile, builder, &build.log)
    };
    let record = BuildRecord {
        ok: build.ok,
        seconds: (build.seconds * 10.0).round() / 10.0,
        image_id: build.image_id.clone(),
        failing_step: if build.ok {
            None
        } else {
            failing_step(&build.log)
        },
        unsupported: unsupported.as_ref().map(|u| u.what.clone()),
        log_tail: if build.ok {
            Vec::new()
        } else {
            tail(&build.log, LOG_LINES)
        },
    };
    (record, unsupported.map(|u| u.hint))
}

/// ` at STEP: the feature the engine cannot build`, as much as is known.
fn why_not_built(record: &BuildRecord) -> String {
    let mut text = String::new();
    if let Some(step) = &record.failing_step {
        text.push_str(&format!(" at {step}"));
    }
    if let Some(feature) = &record.unsupported {
        text.push_str(&format!(": {feature}"));
    }
    text
}

/// The step a failed build stopped at: the classic builder's last
/// `Step N/M : …` line, or the header (`#N [stage k/m] …`) of the
/// BuildKit step with an `#N ERROR` line. BuildKit runs stages side by
/// side, so its last header may be a step it cancelled after the error.
pub fn failing_step(log: &str) -> Option<String> {
    let lines: Vec<&str> = log.lines().map(str::trim).collect();
    let failed = lines.iter().rev().find_map(|l| match buildkit_line(l) {
        Some((n, rest)) if rest.starts_with("ERROR") => Some(n),
        _ => None,
    });
    let header = failed.and_then(|n| {
        lines.iter().find(
            |l| matches!(buildkit_line(l), Some((m, rest)) if m == n && rest.starts_with('[')),
        )
    });
    if let Some(header) = header {
        return Some(header.to_string());
    }
    lines
        .iter()
        .rfind(|l| {
            l.starts_with("Step ")
                || matches!(buildkit_line(l), Some((_, rest))
                    if rest.starts_with('[') && !rest.starts_with("[internal]"))
        })
        .map(|l| l.to_string())
}

/// A BuildKit `--progress=plain` line as its step number and the rest:
/// `#5 [2/3] RUN make` → (`5`, `[2/3] RUN make`).
fn buildkit_line(line: &str) -> Option<(&str, &str)> {
    let (number, rest) = line.strip_prefix('#')?.split_once(' ')?;
    (!number.is_empty() && number.bytes().all(|b| b.is_ascii_digit())).then_some((number, rest))
}

/// The last `n` lines of a build log that say something: no blank lines,
/// no terminal colour codes, no notice that the classic builder is
/// deprecated, none of BuildKit's `DONE`/`CACHED` bookkeeping, and
/// BuildKit's output lines without their timestamps.
fn tail(text: &str, n: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut in_notice = false;
    for raw in text.lines() {
        // A line redrawn with `\r` (the classic builder's context upload)
        // shows its last drawing.
        let drawn = raw.rsplit('\r').find(|p| !p.is_empty()).unwrap_or("");
        let line = strip_colour(drawn);
        // The notice is one line, then indented ones.
        if line.contains("legacy builder is deprecated") {
            in_notice = true;
            continue;
        }
        if in_notice && line.starts_with(char::is_whitespace) {
            continue;
        }
        in_notice = false;
        if line.trim().is_empty() {
            continue;
        }
        match buildkit_line(&line) {
            Some((_, rest))
                if rest == "CACHED"
                    || rest.starts_with("DONE ")
                    || rest.starts_with("building with ") => {}
            Some((number, rest)) => {
                // `#5 0.512 make: *** error`: the seconds since the step began.
                let (first, after) = rest.split_once(' ').unwrap_or((rest, ""));
                let timed = first.contains('.') && first.parse::<f64>().is_ok();
                let text = if timed { after } else { rest };
                lines.push(format!("#{number} {text}"));
            }
            None => lines.push(line),
        }
    }
    lines[lines.len().saturating_sub(n)..].to_vec()
}

/// A Dockerfile feature the engine's builder cannot build, and what
/// would build it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsupported {
    pub what: String,
    pub hint: String,
}

/// The Dockerfile feature a failed build's log shows this engine's
/// builder cannot build, said plainly: a generic "does not build" would
/// send the user looking for a bug in the Dockerfile that is not there.
/// Only what the log names counts (the builder's own words), so a RUN
/// whose program prints "unknown flag" is not mistaken for one.
pub fn unsupported_feature(dockerfile: &str, builder: Builder, log: &str) -> Option<Unsupported> {
    let file = parse::parse(dockerfile).ok()?;
    let lower = log.to_lowercase();
    let install_buildx =
        "install the docker buildx plugin (msb uses BuildKit when `docker buildx version` works)";
    // The classic builder names the BuildKit flag it refuses:
    // "the --mount option requires BuildKit".
    if let Some(flag) = word_before(log, " option requires BuildKit")
        && let Some(used) = written_with_flag(&file, flag.trim_start_matches("--"))
    {
        return Some(Unsupported {
            what: format!("this engine's classic builder does not support {used}"),
            hint: format!("BuildKit builds it: {install_buildx}"),
        });
    }
    let newer = if builder == Builder::Classic {
        format!("BuildKit may build it: {install_buildx}")
    } else {
        "a newer Dockerfile frontend builds it (Docker Engine 23 and later have one built in)"
            .to_string()
    };
    // A parser older than the flag: "Unknown flag: link".
    if let Some(used) = word_after(&lower, "unknown flag: ")
        .and_then(|f| written_with_flag(&file, f.trim_start_matches("--")))
    {
        return Some(Unsupported {
            what: format!("this engine's builder does not support {used}"),
            hint: newer,
        });
    }
    // A parser without heredocs reads their bodies as instructions.
    let heredoc = file.instructions.iter().find(|i| !i.heredocs.is_empty());
    if let Some(i) = heredoc
        && (lower.contains("unknown instruction") || lower.contains("dockerfile parse error"))
    {
        return Some(Unsupported {
            what: format!(
                "this engine's builder does not support heredocs ({} <<{}, line {})",
                i.keyword.as_str(),
                i.heredocs[0].name,
                i.line
            ),
            hint: format!("heredocs need BuildKit with Dockerfile frontend 1.4 or later; {newer}"),
        });
    }
    // BuildKit fetches the frontend `# syntax=` names; with no registry
    // and no local copy it cannot.
    let syntax = file.directives.iter().find(|d| d.name == "syntax");
    if builder == Builder::BuildKit
        && let Some(d) = syntax
        && log.contains(d.value.as_str())
        && lower.contains("resolve")
    {
        return Some(Unsupported {
            what: format!(
                "this engine cannot fetch the Dockerfile frontend {} that `# syntax=` names",
                d.value
            ),
            hint: "pull it where a registry is reachable, or remove the `# syntax=` line to use the engine's own frontend".to_string(),
        });
    }
    None
}

/// The word just before `marker` in `text`.
fn word_before<'a>(text: &'a str, marker: &str) -> Option<&'a str> {
    let at = text.find(marker)?;
    text[..at].split_whitespace().last()
}

/// The word just after `marker` in `text`.
fn word_after<'a>(text: &'a str, marker: &str) -> Option<&'a str> {
    let at = text.find(marker)? + marker.len();
    text[at..].split_whitespace().next()
}

/// `RUN --mount`: the first instruction written with `--flag`.
fn written_with_flag(file: &parse::Dockerfile, flag: &str) -> Option<String> {
    file.instructions
        .iter()
        .find(|i| i.flag(flag).is_some())
        .map(|i| format!("{} --{} (line {})", i.keyword.as_str(), flag, i.line))
}

/// A line without its ANSI escape sequences (`ESC [ … letter`).
fn strip_colour(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            if chars.clone().next() == Some('[') {
                chars.next();
                for x in chars.by_ref() {
                    if x.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
            continue;
        }
        out.push(c);
    }
    out
}

/// The first lines of a container's output; when there are more than
/// `n`, the first few and the last ones (where a traceback ends).
fn excerpt(text: &str, n: usize) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() <= n {
        return lines.iter().map(|l| l.to_string()).collect();
    }
    let first = n / 3;
    let last = n - first - 1;
    let mut out: Vec<String> = lines[..first].iter().map(|l| l.to_string()).collect();
    out.push(format!("[{} lines]", lines.len() - first - last));
    out.extend(lines[lines.len() - last..].iter().map(|l| l.to_string()));
    out
}

/// The image the last stage starts FROM, following stage names and the
/// ARGs declared before the first FROM: their defaults, or the
/// `--build-arg` values both builds were given (a `KEY` without a value
/// takes the environment's, as the engine does).
pub fn final_base(text: &str, build_args: &[String]) -> Option<String> {
    let file = parse::parse(text).ok()?;
    let mut args: BTreeMap<String, String> = BTreeMap::new();
    let mut stages: BTreeMap<String, String> = BTreeMap::new();
    let mut last = None;
    for ins in &file.instructions {
        match ins.keyword {
            Keyword::Arg if last.is_none() => {
                for word in ins.words() {
                    let (name, value) = word.split_once('=').unwrap_or((word, ""));
                    let value = build_arg(build_args, name)
                        .unwrap_or_else(|| value.trim_matches('"').to_string());
                    args.insert(name.to_string(), value);
                }
            }
            Keyword::From => {
                let words = ins.words();
                let written = *words.first()?;
                let image = crate::analyse::image::substitute(written, &args);
                let image = stages.get(&image.to_lowercase()).cloned().unwrap_or(image);
                if let [_, as_word, name] = words.as_slice()
                    && as_word.eq_ignore_ascii_case("as")
                {
                    stages.insert(name.to_lowercase(), image.clone());
                }
                last = Some(image);
            }
            _ => {}
        }
    }
    last
}

/// The value `--build-arg` gives `name`, if it gives one.
fn build_arg(build_args: &[String], name: &str) -> Option<String> {
    build_args
        .iter()
        .rev()
        .find_map(|a| match a.split_once('=') {
            Some((key, value)) => (key == name).then(|| value.to_string()),
            None => (a == name).then(|| std::env::var(name).ok()).flatten(),
        })
}

fn config_str(config: &Value, field: &str) -> String {
    config
        .get(field)
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

/// `null`, `""`, `[]` and `{}` all mean "not set".
fn normalised(value: Option<&Value>) -> Value {
    match value {
        None | Some(Value::Null) => Value::Null,
        Some(Value::String(s)) if s.is_empty() => Value::Null,
        Some(Value::Array(a)) if a.is_empty() => Value::Null,
        Some(Value::Object(o)) if o.is_empty() => Value::Null,
        Some(v) => v.clone(),
    }
}

/// `KEY=VALUE` strings (`Env`) or an object (`Labels`) as a map.
fn variables(config: &Value, field: &str) -> BTreeMap<String, String> {
    match config.get(field) {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(|kv| {
                let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                (k.to_string(), v.to_string())
            })
            .collect(),
        Some(Value::Object(map)) => map
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
            .collect(),
        _ => BTreeMap::new(),
    }
}

/// The runtime contract: the fields of [`CONTRACT_FIELDS`] equal, and
/// every ENV and LABEL the original Dockerfile set (PATH excepted) with
/// the same value. A variable that only came from the builder's base image
/// (`GOPATH` of `golang`, `MAVEN_HOME`) is a toolchain's, not the app's:
/// its absence is a note, not a failure.
pub fn compare_config(
    original: &Value,
    migrated: &Value,
    original_base: Option<(&str, &Value)>,
    migrated_base: Option<&Value>,
    command_rewritten: bool,
    v: &mut Verification,
) {
    for field in CONTRACT_FIELDS {
        let a = normalised(original.get(field));
        let b = normalised(migrated.get(field));
        let equal = a == b;
        if !equal {
            let is_command = field == "Entrypoint" || field == "Cmd";
            if is_command && command_rewritten {
                v.notes.push(format!(
                    "{field} rewritten by msb: {a} → {b} (the smoke run checks it)"
                ));
            } else {
                v.fail(
                    "config",
                    format!("{field} differs: original {a}, migrated {b}"),
                );
            }
        }
        v.config.push(FieldCheck {
            field: field.to_string(),
            equal,
            original: a,
            migrated: b,
        });
    }
    for (field, what) in [("Env", "ENV"), ("Labels", "LABEL")] {
        let a = variables(original, field);
        let b = variables(migrated, field);
        let base_a = original_base.map(|(_, c)| variables(c, field));
        let base_b = migrated_base.map(|c| variables(c, field));
        let base_name = original_base.map_or("", |(n, _)| n);
        let mut equal = true;
        for (key, value) in &a {
            if key == "PATH" || b.get(key) == Some(value) {
                continue;
            }
            let from_base = base_a.as_ref().and_then(|m| m.get(key)) == Some(value);
            if from_base {
                v.notes.push(format!(
                    "{what} {key}={value} came from {base_name}; the final stage's base {}",
                    match b.get(key) {
                        Some(other) => format!("sets {other}"),
                        None => "does not set it".to_string(),
                    }
                ));
                continue;
            }
            equal = false;
            v.fail(
                "config",
                format!(
                    "{what} {key}: original {value:?}, migrated {}",
                    b.get(key).map_or("unset".to_string(), |x| format!("{x:?}"))
                ),
            );
        }
        for (key, value) in &b {
            let from_base = base_b.as_ref().and_then(|m| m.get(key)) == Some(value);
            if key != "PATH" && !a.contains_key(key) && !from_base {
                v.notes
                    .push(format!("{what} {key}={value} added by the migration"));
            }
        }
        v.config.push(FieldCheck {
            field: field.to_string(),
            equal,
            original: original.get(field).cloned().unwrap_or(Value::Null),
            migrated: migrated.get(field).cloned().unwrap_or(Value::Null),
        });
    }
}

fn needs_passwd(user: &str) -> bool {
    let name = user.split(':').next().unwrap_or("");
    !name.is_empty() && name.parse::<u32>().is_err()
}

/// Non-root: a numeric UID other than 0, or a name whose passwd entry
/// has one. An empty USER is root.
pub fn check_user(user: &str, passwd: Option<&str>) -> UserCheck {
    let name = user.split(':').next().unwrap_or("");
    let uid = if name.is_empty() {
        Some(0)
    } else if let Ok(uid) = name.parse::<u32>() {
        Some(uid)
    } else {
        passwd.and_then(|p| {
            p.lines().find_map(|line| {
                let mut fields = line.split(':');
                (fields.next() == Some(name))
                    .then(|| fields.nth(1)?.parse().ok())
                    .flatten()
            })
        })
    };
    UserCheck {
        user: user.to_string(),
        uid,
        non_root: uid.is_some_and(|u| u != 0),
    }
}

/// Starts both images the same way, waits, and compares their state,
/// what each exposed TCP port answers and whether their HEALTHCHECK
/// passes.
fn smoke(
    engine: &Engine,
    pair: &Pair,
    opts: &Options,
    tags: [&str; 2],
    configs: [&Value; 2],
) -> SmokeReport {
    let ports = smoke_ports(configs[0], &opts.env);
    let command = match &opts.smoke {
        Smoke::Arguments(a) => a.clone(),
        _ => Vec::new(),
    };
    let names = [
        format!("msb-verify-{}-original", pair.id),
        format!("msb-verify-{}-migrated", pair.id),
    ];
    let started: Vec<Option<String>> = tags
        .iter()
        .zip(&names)
        .map(|(image, name)| {
            engine
                .run_detached(image, name, &ports, &opts.env, &opts.env_files, &command)
                .err()
                .map(|e| e.to_string())
        })
        .collect();
    let stopped_after = wait_unless_stopped(engine, &names, &started, opts.smoke_seconds);
    // Both states at the same moment, before any probe: probing one
    // container can take seconds, and an app that dies after eight
    // seconds must not be seen running in one and dead in the other.
    let states: Vec<Option<ContainerState>> = names
        .iter()
        .zip(&started)
        .map(|(name, err)| match err {
            Some(_) => None,
            None => engine.state(name).ok(),
        })
        .collect();
    // A server may still be starting (a JVM): probes retry until then,
    // both containers side by side, so that neither has more time.
    let deadline = Instant::now() + Duration::from_secs(10);
    let checked: Vec<(Vec<PortProbe>, Option<HealthRun>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = names
            .iter()
            .zip(&states)
            .zip(configs)
            .map(|((name, state), config)| {
                let running = state.as_ref().is_some_and(|s| s.running);
                let ports = &ports;
                scope.spawn(move || {
                    if !running {
                        // A stopped container publishes nothing.
                        let probes = ports
                            .iter()
                            .map(|port| PortProbe {
                                port: port.clone(),
                                answer: Probe::NotPublished,
                                body_start: String::new(),
                            })
                            .collect();
                        return (probes, None);
                    }
                    let probes = probe_ports(engine, name, ports, deadline);
                    (probes, health(engine, name, config, deadline))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    });
    let mut runs: Vec<RunReport> = names
        .iter()
        .zip(started)
        .zip(states)
        .zip(checked)
        .map(|(((name, start_error), state), (ports, health))| {
            if start_error.is_some() {
                return RunReport {
                    start_error,
                    state: None,
                    ports: Vec::new(),
                    health: None,
                    log_head: Vec::new(),
                };
            }
            RunReport {
                start_error: None,
                state,
                ports,
                health,
                log_head: excerpt(&engine.logs(name), LOG_LINES),
            }
        })
        .collect();
    for name in &names {
        engine.remove_container(name);
    }
    let migrated = runs.pop().expect("two runs");
    let original = runs.pop().expect("two runs");
    let same = same_run(&original, &migrated);
    SmokeReport {
        seconds: opts.smoke_seconds,
        command,
        env: env_names(opts),
        env_files: opts
            .env_files
            .iter()
            .map(|f| f.to_string_lossy().into_owned())
            .collect(),
        stopped_after_seconds: stopped_after,
        env_ports: env_ports(configs[0], &ports),
        original,
        migrated,
        same,
    }
}

/// The probed ports the image does not expose (named by `--env PORT=N`).
fn env_ports(config: &Value, probed: &[String]) -> Vec<String> {
    let exposed = tcp_ports(config);
    probed
        .iter()
        .filter(|p| !exposed.contains(p))
        .cloned()
        .collect()
}

/// Waits `seconds` unless both containers have already stopped (an app
/// that dies after two seconds must be seen dead); when they had, how
/// long after their start, to the tenth of a second.
fn wait_unless_stopped(
    engine: &Engine,
    names: &[String],
    start_errors: &[Option<String>],
    seconds: u64,
) -> Option<f64> {
    let begin = Instant::now();
    let wait = Duration::from_secs(seconds);
    while begin.elapsed() < wait {
        std::thread::sleep(Duration::from_millis(250));
        let all_stopped = names
            .iter()
            .zip(start_errors)
            .all(|(n, err)| err.is_some() || engine.state(n).is_ok_and(|s| !s.running));
        if all_stopped {
            return Some((begin.elapsed().as_secs_f64() * 10.0).round() / 10.0);
        }
    }
    None
}

/// The names of the variables the smoke run sets, from `--env` and the
/// `--env-file` files (read again here: the CLI checked them).
fn env_names(opts: &Options) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for file in &opts.env_files {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        names.extend(env_file_names(&text).unwrap_or_default());
    }
    for pair in &opts.env {
        names.push(
            pair.split_once('=')
                .map_or(pair.as_str(), |(k, _)| k)
                .to_string(),
        );
    }
    let mut seen = std::collections::BTreeSet::new();
    names.retain(|n| seen.insert(n.clone()));
    names
}

/// The variable names of an env file as `docker run --env-file` reads
/// it (`KEY=VALUE` lines, `#` comments, blank lines); an error
/// for a line the engine would refuse, so that it is a usage error
/// before any build rather than two containers that cannot start.
pub fn env_file_names(text: &str) -> Result<Vec<String>, String> {
    let mut names = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        // A bare `KEY` makes the engine copy msb's own environment's
        // value, which differs from one machine to the next: refused, as
        // `--env KEY` is.
        let Some((name, _)) = line.split_once('=') else {
            return Err(format!(
                "line {}: {} has no value (KEY=VALUE): a bare name would take msb's own environment's value",
                n + 1,
                line.trim_end()
            ));
        };
        if name.is_empty() {
            return Err(format!("line {}: no variable name before =", n + 1));
        }
        if name.contains(char::is_whitespace) {
            return Err(format!(
                "line {}: the variable name {name:?} contains whitespace",
                n + 1
            ));
        }
        names.push(name.to_string());
    }
    Ok(names)
}

/// The exposed ports of an image config with their protocol
/// (`8080/tcp`), in order.
fn exposed_ports(config: &Value) -> Vec<String> {
    let mut ports: Vec<String> = config
        .get("ExposedPorts")
        .and_then(Value::as_object)
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    ports.sort();
    ports
}

fn tcp_ports(config: &Value) -> Vec<String> {
    exposed_ports(config)
        .into_iter()
        .filter(|p| p.ends_with("/tcp"))
        .collect()
}

/// The TCP ports the smoke run probes: the exposed ones, and the one
/// `--env PORT=N` tells the app to listen on (a Cloud Run-style app
/// rarely says EXPOSE).
fn smoke_ports(config: &Value, env: &[String]) -> Vec<String> {
    let mut ports = tcp_ports(config);
    let given = env
        .iter()
        .filter_map(|e| e.strip_prefix("PORT="))
        .filter(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
        .map(|p| format!("{p}/tcp"));
    for port in given {
        if !ports.contains(&port) {
            ports.push(port);
        }
    }
    ports
}

fn probe_ports(engine: &Engine, name: &str, ports: &[String], deadline: Instant) -> Vec<PortProbe> {
    ports
        .iter()
        .map(|port| {
            let (answer, body_start) = match engine.host_port(name, port) {
                Some(host) => engine::probe(host, deadline),
                None => (Probe::NotPublished, String::new()),
            };
            PortProbe {
                port: port.clone(),
                answer,
                body_start,
            }
        })
        .collect()
}

/// The command the engine runs for an image's HEALTHCHECK: `CMD` as
/// written, `CMD-SHELL` through the image's SHELL (`/bin/sh -c` unless
/// SHELL changed it); None without a check (`NONE`, or none at all).
fn health_command(config: &Value) -> Option<Vec<String>> {
    let strings = |v: Option<&Value>| -> Vec<String> {
        v.and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default()
    };
    let test = strings(config.get("Healthcheck").and_then(|h| h.get("Test")));
    match test.split_first()? {
        (kind, rest) if kind == "CMD" && !rest.is_empty() => Some(rest.to_vec()),
        (kind, [line]) if kind == "CMD-SHELL" => {
            let mut shell = strings(config.get("Shell"));
            if shell.is_empty() {
                shell = vec!["/bin/sh".to_string(), "-c".to_string()];
            }
            shell.push(line.clone());
            Some(shell)
        }
        _ => None,
    }
}

/// The check's own timeout (30 s when the image does not set one).
fn health_timeout(config: &Value) -> Duration {
    let nanos = config
        .get("Healthcheck")
        .and_then(|h| h.get("Timeout"))
        .and_then(Value::as_u64)
        .filter(|n| *n > 0)
        .unwrap_or(30_000_000_000);
    Duration::from_nanos(nanos)
}

/// Runs the image's HEALTHCHECK in the running container; a failing one
/// is run again until `deadline` (the app may still be starting, as the
/// engine's own retries allow). A pass is final.
fn health(engine: &Engine, name: &str, config: &Value, deadline: Instant) -> Option<HealthRun> {
    let command = health_command(config)?;
    let limit = health_timeout(config);
    loop {
        let run = match engine.exec(name, &command, limit) {
            Ok(run) => HealthRun {
                command: command.clone(),
                passed: run.exit_code == Some(0),
                exit_code: run.exit_code,
                output: excerpt(&run.output, 5),
            },
            Err(e) => HealthRun {
                command: command.clone(),
                passed: false,
                exit_code: None,
                output: vec![e.to_string()],
            },
        };
        if run.passed || Instant::now() >= deadline {
            return Some(run);
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// What a smoke run showed about the migration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SmokeOutcome {
    /// Both ran alike, and this was compared.
    Compared(String),
    /// The two containers differ: how.
    Different(String),
    /// Both ran alike, but nothing that shows the migrated app works:
    /// why, and what to try.
    NothingCompared { why: String, hint: String },
}

/// Judges a smoke run. Alike is not enough: two containers that both
/// exit 1 (an app without the `PORT` its platform sets) or that both
/// answer nothing on their ports compared nothing, and calling that
/// verified would be a lie. What does compare something: an answer on
/// a port (the same in both), a HEALTHCHECK that passes in both, a
/// command that runs to completion in both (exit 0: its program, its
/// libraries and files were there), or, with no port and no
/// HEALTHCHECK, both still running at the end of the wait (a worker).
pub fn smoke_outcome(r: &SmokeReport) -> SmokeOutcome {
    let (a, b) = (&r.original, &r.migrated);
    if !same_run(a, b) {
        return SmokeOutcome::Different(smoke_difference(r));
    }
    if let Some(e) = &a.start_error {
        return SmokeOutcome::NothingCompared {
            why: format!("neither container started ({e})"),
            hint: "check the image's command, or give one with --smoke \"ARGS\"".to_string(),
        };
    }
    let Some(state) = &a.state else {
        return SmokeOutcome::Different(smoke_difference(r));
    };
    if !state.running {
        let when = match r.stopped_after_seconds {
            Some(t) if t <= 1.5 => "at once".to_string(),
            Some(t) => format!("within {t:.1} s"),
            None => format!("within {} s", r.seconds),
        };
        // A program that ran to completion compared something, unless it
        // was meant to serve the ports its image exposes (a base image's
        // REPL exits 0 too); a port only `--env PORT` named says nothing
        // of what the image is for.
        let exposed: Vec<&PortProbe> = a
            .ports
            .iter()
            .filter(|p| !r.env_ports.contains(&p.port))
            .collect();
        if state.exit_code == 0 && exposed.is_empty() {
            return SmokeOutcome::Compared(format!(
                "both ran to completion (exit 0) {when}; nothing stayed up to probe"
            ));
        }
        if state.exit_code == 0 {
            let ports: Vec<&str> = exposed.iter().map(|p| p.port.as_str()).collect();
            return SmokeOutcome::NothingCompared {
                why: format!(
                    "both containers exited 0 {when}, before anything answered on {}",
                    ports.join(", ")
                ),
                hint: settings_hint(r, "the image's command may not be the server"),
            };
        }
        return SmokeOutcome::NothingCompared {
            why: format!("both containers exited {} {when}", state.exit_code),
            hint: settings_hint(r, "the app may need settings"),
        };
    }
    // `same_run`: the answers and the HEALTHCHECK verdicts are the same
    // in both, so the original's say what both did.
    let answered: Vec<&PortProbe> = a
        .ports
        .iter()
        .filter(|p| !matches!(p.answer, Probe::NoAnswer | Probe::NotPublished))
        .collect();
    let silent: Vec<&str> = a
        .ports
        .iter()
        .filter(|p| matches!(p.answer, Probe::NoAnswer | Probe::NotPublished))
        .map(|p| p.port.as_str())
        .collect();
    let health_passes = a.health.as_ref().is_some_and(|h| h.passed);
    // The same server error from both (an app without the database or
    // settings it needs) shows that both listen, not that either works.
    let only_errors = !answered.is_empty()
        && answered
            .iter()
            .all(|p| matches!(p.answer, Probe::Http { status } if status >= 500));
    if only_errors && !health_passes {
        let on: Vec<String> = answered
            .iter()
            .map(|p| format!("{} ({})", p.port, p.answer.describe()))
            .collect();
        return SmokeOutcome::NothingCompared {
            why: format!(
                "both containers answer only with a server error on {}",
                on.join(", ")
            ),
            hint: settings_hint(r, "the app may need a database or settings"),
        };
    }
    if answered.is_empty() && !health_passes {
        if a.ports.is_empty() && a.health.is_none() {
            return SmokeOutcome::Compared(format!(
                "both kept running for {} s; no TCP port or HEALTHCHECK to probe (a worker)",
                r.seconds
            ));
        }
        let why = match (silent.is_empty(), a.health.is_some()) {
            (false, true) => format!(
                "both containers run, but nothing answers on {} in either and the HEALTHCHECK fails in both",
                silent.join(", ")
            ),
            (false, false) => format!(
                "both containers run, but nothing answers on {} in either",
                silent.join(", ")
            ),
            (true, _) => "both containers run, but the HEALTHCHECK fails in both".to_string(),
        };
        return SmokeOutcome::NothingCompared {
            why,
            hint: settings_hint(r, "the app may listen on another port or wait for settings"),
        };
    }
    let mut compared = vec![format!("both running after {} s", r.seconds)];
    for p in &answered {
        compared.push(format!("port {}: {} in both", p.port, p.answer.describe()));
    }
    if !silent.is_empty() {
        compared.push(format!("no answer on {} in either", silent.join(", ")));
    }
    if let Some(h) = &a.health {
        let verdict = if h.passed { "passes" } else { "fails" };
        compared.push(format!("HEALTHCHECK {verdict} in both"));
    }
    SmokeOutcome::Compared(compared.join("; "))
}

/// `LEAD; try --env PORT=8080, --env-file FILE, or --smoke "ARGS"`, with
/// the first exposed port (the variable Cloud Run-style apps read), or
/// a generic `--env KEY=VALUE` without a port or when PORT was given.
fn settings_hint(r: &SmokeReport, lead: &str) -> String {
    let port = r
        .original
        .ports
        .first()
        .and_then(|p| p.port.split('/').next());
    let env = match port {
        Some(port) if !r.env.iter().any(|n| n == "PORT") => format!("--env PORT={port}"),
        _ => "--env KEY=VALUE".to_string(),
    };
    format!("{lead}; try {env}, --env-file FILE, or --smoke \"ARGS\"")
}

/// The smoke run's verdict into the verification: a difference fails,
/// nothing compared makes it inconclusive, and what was compared is said.
fn judge_smoke(report: &SmokeReport, original_config: &Value, v: &mut Verification) {
    match smoke_outcome(report) {
        SmokeOutcome::Different(why) => v.fail("smoke", why),
        SmokeOutcome::NothingCompared { why, hint } => v.nothing_compared(why, hint),
        SmokeOutcome::Compared(what) => v.notes.push(format!("the smoke run compared: {what}")),
    }
    v.notes.extend(smoke_notes(report, original_config));
}

/// What a smoke run could not show, said rather than passed over.
fn smoke_notes(r: &SmokeReport, original_config: &Value) -> Vec<String> {
    let mut notes = Vec::new();
    if !r.env.is_empty() {
        notes.push(format!("both containers ran with {} set", r.env.join(", ")));
    }
    for port in exposed_ports(original_config) {
        if !port.ends_with("/tcp") {
            notes.push(format!("port {port} is not probed (only TCP ports are)"));
        }
    }
    notes
}

fn same_run(a: &RunReport, b: &RunReport) -> bool {
    if a.start_error.is_some() || b.start_error.is_some() {
        return a.start_error.is_some() && b.start_error.is_some();
    }
    let state_same = match (&a.state, &b.state) {
        (Some(x), Some(y)) => x.running == y.running && (x.running || x.exit_code == y.exit_code),
        _ => false,
    };
    let health_same = a.health.as_ref().map(|h| h.passed) == b.health.as_ref().map(|h| h.passed);
    state_same
        && health_same
        && a.ports.len() == b.ports.len()
        && a.ports
            .iter()
            .zip(&b.ports)
            .all(|(x, y)| x.answer == y.answer)
}

fn describe_run(r: &RunReport) -> String {
    if let Some(e) = &r.start_error {
        return format!("did not start ({e})");
    }
    let mut s = match &r.state {
        Some(s) if s.running => "running".to_string(),
        Some(s) => return format!("exited with code {}", s.exit_code),
        None => return "in an unknown state".to_string(),
    };
    for p in &r.ports {
        s.push_str(&format!(", port {}: {}", p.port, p.answer.describe()));
    }
    if let Some(h) = &r.health {
        let verdict = match (h.passed, h.exit_code) {
            (true, _) => "passes".to_string(),
            (false, Some(code)) => format!("fails (exit {code})"),
            (false, None) => "fails (did not finish)".to_string(),
        };
        s.push_str(&format!(", HEALTHCHECK {verdict}"));
    }
    s
}

fn smoke_difference(r: &SmokeReport) -> String {
    format!(
        "after {} s: original {}; migrated {}",
        r.seconds,
        describe_run(&r.original),
        describe_run(&r.migrated)
    )
}

/// The human-readable verdict of one file (stdout of `msb verify`).
pub fn render_text(shown: &str, v: &Verification) -> String {
    let mut out = format!("{shown}: {}\n", v.summary());
    let line = text_line;
    if let Some(hint) = &v.hint {
        line(&mut out, "hint", hint.clone());
    }
    match (v.builder, &v.buildx_builder) {
        (Some(_), Some(name)) => line(
            &mut out,
            "builder",
            format!("BuildKit (docker buildx --builder {name}, images loaded with --load)"),
        ),
        (Some(builder), None) => line(&mut out, "builder", builder.describe().to_string()),
        (None, _) => {}
    }
    for (label, build) in [
        ("original", &v.original_build),
        ("migrated", &v.migrated_build),
    ] {
        if let Some(b) = build {
            let verdict = if b.ok { "built" } else { "does not build" };
            line(
                &mut out,
                "build",
                format!("{label} {verdict} in {:.1} s", b.seconds),
            );
            if !b.ok {
                if let Some(step) = &b.failing_step {
                    line(&mut out, "", format!("failing step: {step}"));
                }
                for l in &b.log_tail {
                    line(&mut out, "", format!("| {l}"));
                }
            }
        }
    }
    if !v.config.is_empty() {
        let equal: Vec<&str> = v
            .config
            .iter()
            .filter(|c| c.equal)
            .map(|c| c.field.as_str())
            .collect();
        let differ: Vec<&str> = v
            .config
            .iter()
            .filter(|c| !c.equal)
            .map(|c| c.field.as_str())
            .collect();
        let mut text = format!("same {}", equal.join(", "));
        if !differ.is_empty() {
            text.push_str(&format!("; differ: {}", differ.join(", ")));
        }
        line(&mut out, "config", text);
    }
    if let Some(u) = &v.user {
        let who = if u.user.is_empty() { "(none)" } else { &u.user };
        let uid = u.uid.map(|n| format!(", UID {n}")).unwrap_or_default();
        let verdict = if u.non_root {
            "non-root"
        } else {
            "NOT shown non-root"
        };
        line(&mut out, "user", format!("{who}{uid}: {verdict}"));
    }
    if let Some(s) = &v.smoke {
        render_smoke(&mut out, s, v.inconclusive_reason.is_some());
    }
    if let Some(s) = &v.size {
        line(
            &mut out,
            "size",
            format!(
                "{} → {}: {}",
                crate::bulk::human_bytes(s.original_bytes),
                crate::bulk::human_bytes(s.migrated_bytes),
                saving_text(s.saving_bytes, s.saving_percent)
            ),
        );
        let base = s.final_base.as_deref().unwrap_or("its base");
        line(
            &mut out,
            "layers",
            format!("{} added on {base}:", s.final_stage_layers.len()),
        );
        for l in &s.final_stage_layers {
            let by: String = l.created_by.chars().take(100).collect();
            line(
                &mut out,
                "",
                format!("{:>9}  {by}", crate::bulk::human_bytes(l.size)),
            );
        }
    }
    for p in &v.problems {
        line(&mut out, "problem", p.clone());
    }
    for n in &v.notes {
        line(&mut out, "note", n.clone());
    }
    for image in &v.kept_images {
        line(&mut out, "kept", image.clone());
    }
    out
}

/// One indented line of the text output: `  label     text`.
fn text_line(out: &mut String, label: &str, text: String) {
    out.push_str(&format!("  {label:<9} {text}\n"));
}

/// The smoke run's line, and both containers' output when they differ
/// or compared nothing (where the app says what it missed: "PORT is
/// not set").
fn render_smoke(out: &mut String, s: &SmokeReport, nothing_compared: bool) {
    let line = text_line;
    let verdict = match (s.same, nothing_compared) {
        (false, _) => "DIFFERENT",
        (true, true) => "alike, but nothing compared",
        (true, false) => "same",
    };
    line(
        out,
        "smoke",
        format!(
            "{verdict} after {} s: original {}; migrated {}",
            s.seconds,
            describe_run(&s.original),
            describe_run(&s.migrated)
        ),
    );
    if s.same && !nothing_compared {
        return;
    }
    for (label, run) in [("original", &s.original), ("migrated", &s.migrated)] {
        if run.log_head.is_empty() {
            line(out, "", format!("{label} output: (none)"));
        } else {
            line(out, "", format!("{label} output:"));
        }
        for l in &run.log_head {
            line(out, "", format!("| {l}"));
        }
        if let Some(h) = run.health.as_ref().filter(|h| !h.passed) {
            line(
                out,
                "",
                format!("{label} HEALTHCHECK: {}", h.command.join(" ")),
            );
            for l in &h.output {
                line(out, "", format!("| {l}"));
            }
        }
    }
}

/// `saves 2.1 MB (51.4%)`, or `2.1 MB bigger (103.0%)` rather than a
/// negative saving.
fn saving_text(bytes: i64, percent: f64) -> String {
    if bytes < 0 {
        format!(
            "{} bigger ({:.1}%)",
            crate::bulk::human_bytes(bytes.unsigned_abs()),
            -percent
        )
    } else {
        format!(
            "saves {} ({percent:.1}%)",
            crate::bulk::human_bytes(bytes as u64)
        )
    }
}

/// How many verifications ended with each verdict: the closing line and
/// the report count inconclusive ones apart from the verified and the
/// failed.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct VerdictCounts {
    pub verified: usize,
    pub inconclusive: usize,
    pub failed: usize,
    pub original_does_not_build: usize,
    /// The saving measured on the images that verified.
    pub measured_saving_bytes: u64,
}

impl VerdictCounts {
    /// Another run's counts added (`msb report merge`): the files of
    /// shards are disjoint, so their counts add up.
    pub fn add(&mut self, other: &VerdictCounts) {
        self.verified += other.verified;
        self.inconclusive += other.inconclusive;
        self.failed += other.failed;
        self.original_does_not_build += other.original_does_not_build;
        self.measured_saving_bytes += other.measured_saving_bytes;
    }

    pub fn of(verifications: &[&Verification]) -> VerdictCounts {
        let mut c = VerdictCounts::default();
        let mut saving: i64 = 0;
        for v in verifications {
            match v.verdict {
                Verdict::Verified => {
                    c.verified += 1;
                    saving += v.size.as_ref().map_or(0, |s| s.saving_bytes);
                }
                Verdict::Inconclusive => c.inconclusive += 1,
                Verdict::Failed => c.failed += 1,
                Verdict::OriginalDoesNotBuild => c.original_does_not_build += 1,
            }
        }
        c.measured_saving_bytes = saving.max(0) as u64;
        c
    }
}

/// The closing line of a run over several files: the verdicts, and the
/// saving measured on the images that verified (the migration summary
/// above it only estimates one).
pub fn summary_line(verifications: &[&Verification]) -> String {
    let c = VerdictCounts::of(verifications);
    let mut line = format!(
        "{} verified, {} inconclusive, {} failed",
        c.verified, c.inconclusive, c.failed
    );
    if c.original_does_not_build > 0 {
        line.push_str(&format!(
            ", {} could not build the original",
            c.original_does_not_build
        ));
    }
    if c.verified > 0 {
        line.push_str(&format!(
            "; measured saving of the verified ones: {}",
            crate::bulk::human_bytes(c.measured_saving_bytes)
        ));
    }
    line
}

/// The migrated text in a temporary folder, with the original's own
/// `<file>.dockerignore` beside it when it has one (BuildKit reads that
/// one first).
pub fn stage_migration(
    original: &Path,
    bytes: &[u8],
) -> std::io::Result<(tempfile::TempDir, PathBuf)> {
    let dir = tempfile::Builder::new().prefix("msb-verify-").tempdir()?;
    let path = dir.path().join("Dockerfile");
    std::fs::write(&path, bytes)?;
    let mut own_ignore = original.as_os_str().to_owned();
    own_ignore.push(".dockerignore");
    let own_ignore = PathBuf::from(own_ignore);
    if own_ignore.is_file() {
        std::fs::copy(&own_ignore, dir.path().join("Dockerfile.dockerignore"))?;
    }
    Ok((dir, path))
}

/// Verifies msb's migration `m` of `source`: the migrated text is built
/// from a temporary file with the original's context.
pub fn verify_migration(
    engine: &Engine,
    source: &SourceFile,
    m: &Migration,
    migrate_opts: &crate::migrate::Options,
    context: &Path,
    opts: &Options,
    progress: &dyn Fn(&str),
) -> Verification {
    let bytes = source.bytes_for(&m.output);
    let (_dir, staged) = match stage_migration(&source.path, &bytes) {
        Ok(staged) => staged,
        Err(e) => {
            let mut v = Verification::new();
            v.fail(
                "engine",
                format!("writing the migration to a temporary file: {e}"),
            );
            return v;
        }
    };
    let pair = Pair {
        original: &source.path,
        original_text: &source.text,
        migrated: &staged,
        migrated_text: &m.output,
        context,
        command_rewritten: m
            .analysis
            .command_rewrites
            .iter()
            .any(|r| migrate_opts.allow_unsafe || !r.needs_unsafe),
        id: unique_id(),
    };
    verify(engine, &pair, opts, progress)
}

/// A name part no other verification of this machine uses at the same
/// time: the process id and a counter.
pub fn unique_id() -> String {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{}-{n}", std::process::id())
}

/// Splits `--smoke` arguments as a POSIX shell would split words: spaces
/// separate, quotes group, a backslash escapes (no expansion of any kind).
pub fn split_words(text: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(x) => word.push(x),
                        None => return Err(format!("unterminated ' in {text:?}")),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(x @ ('"' | '\\' | '$' | '`')) => word.push(x),
                            Some(x) => {
                                word.push('\\');
                                word.push(x);
                            }
                            None => return Err(format!("unterminated \" in {text:?}")),
                        },
                        Some(x) => word.push(x),
                        None => return Err(format!("unterminated \" in {text:?}")),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(x) = chars.next() {
                    word.push(x);
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn final_base_follows_args_and_stage_names() {
        let text = "ARG V=3.11\nFROM python:${V} AS base\nFROM base AS app\nRUN true\n";
        assert_eq!(final_base(text, &[]).as_deref(), Some("python:3.11"));
        let text = "FROM golang:1.22 AS builder\nFROM gcr.io/distroless/static-debian12:nonroot\n";
        assert_eq!(
            final_base(text, &[]).as_deref(),
            Some("gcr.io/distroless/static-debian12:nonroot")
        );
        assert_eq!(
            final_base("ARG T\nFROM node:${T:-20}-slim\n", &[]).as_deref(),
            Some("node:20-slim")
        );
    }

    #[test]
    fn final_base_takes_the_build_args_both_builds_get() {
        let text = "ARG BASE=busybox\nFROM ${BASE}\nARG LATE=x\n";
        let args = ["BASE=debian:bookworm-slim".to_string()];
        assert_eq!(
            final_base(text, &args).as_deref(),
            Some("debian:bookworm-slim")
        );
        // The last --build-arg wins; an ARG declared after the first FROM
        // does not reach any FROM.
        let args = ["BASE=a".to_string(), "BASE=b".to_string()];
        assert_eq!(final_base(text, &args).as_deref(), Some("b"));
        let text = "FROM ${LATE:-alpine}\nARG LATE=x\n";
        let args = ["LATE=debian".to_string()];
        assert_eq!(final_base(text, &args).as_deref(), Some("alpine"));
    }

    #[test]
    fn healthcheck_commands_are_run_as_the_engine_runs_them() {
        let cmd = json!({"Healthcheck": {"Test": ["CMD", "curl", "-f", "http://localhost/"]}});
        assert_eq!(
            health_command(&cmd).unwrap(),
            ["curl", "-f", "http://localhost/"]
        );
        let shell = json!({"Healthcheck": {"Test": ["CMD-SHELL", "curl -f localhost || exit 1"]}});
        assert_eq!(
            health_command(&shell).unwrap(),
            ["/bin/sh", "-c", "curl -f localhost || exit 1"]
        );
        let own_shell = json!({
            "Healthcheck": {"Test": ["CMD-SHELL", "check"]},
            "Shell": ["/bin/bash", "-eo", "pipefail", "-c"],
        });
        assert_eq!(
            health_command(&own_shell).unwrap(),
            ["/bin/bash", "-eo", "pipefail", "-c", "check"]
        );
        assert_eq!(
            health_command(&json!({"Healthcheck": {"Test": ["NONE"]}})),
            None
        );
        assert_eq!(health_command(&json!({"Cmd": ["x"]})), None);
        assert_eq!(health_timeout(&shell), Duration::from_secs(30));
        let timed = json!({"Healthcheck": {"Test": ["CMD", "x"], "Timeout": 3_000_000_000u64}});
        assert_eq!(health_timeout(&timed), Duration::from_secs(3));
    }

    /// A container still running, with these port answers and, when
    /// given, a HEALTHCHECK that passes or fails.
    fn running(ports: &[(&str, Probe)], health: Option<bool>) -> RunReport {
        RunReport {
            start_error: None,
            state: Some(ContainerState {
                running: true,
                exit_code: 0,
            }),
            ports: ports
                .iter()
                .map(|(port, answer)| PortProbe {
                    port: port.to_string(),
                    answer: answer.clone(),
                    body_start: String::new(),
                })
                .collect(),
            health: health.map(|passed| HealthRun {
                command: vec!["check".into()],
                passed,
                exit_code: Some(if passed { 0 } else { 1 }),
                output: Vec::new(),
            }),
            log_head: Vec::new(),
        }
    }

    /// A container that exited with `code`; its ports were not published.
    fn exited(code: i64, ports: &[&str]) -> RunReport {
        RunReport {
            start_error: None,
            state: Some(ContainerState {
                running: false,
                exit_code: code,
            }),
            ports: ports
                .iter()
                .map(|port| PortProbe {
                    port: port.to_string(),
                    answer: Probe::NotPublished,
                    body_start: String::new(),
                })
                .collect(),
            health: None,
            log_head: vec!["PORT is not set".into()],
        }
    }

    fn not_started(error: &str) -> RunReport {
        RunReport {
            start_error: Some(error.to_string()),
            state: None,
            ports: Vec::new(),
            health: None,
            log_head: Vec::new(),
        }
    }

    fn report(original: RunReport, migrated: RunReport, env: &[&str]) -> SmokeReport {
        let same = same_run(&original, &migrated);
        SmokeReport {
            seconds: 5,
            command: Vec::new(),
            env: env.iter().map(|e| e.to_string()).collect(),
            env_files: Vec::new(),
            stopped_after_seconds: None,
            env_ports: Vec::new(),
            original,
            migrated,
            same,
        }
    }

    fn nothing_compared(outcome: SmokeOutcome) -> (String, String) {
        match outcome {
            SmokeOutcome::NothingCompared { why, hint } => (why, hint),
            other => panic!("expected nothing compared, got {other:?}"),
        }
    }

    #[test]
    fn smoke_notes_say_what_was_not_compared() {
        let r = report(running(&[], None), running(&[], None), &["PORT"]);
        let config = json!({"ExposedPorts": {"53/udp": {}, "8080/tcp": {}}});
        let notes = smoke_notes(&r, &config);
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert!(notes[0].contains("PORT set"), "{notes:?}");
        assert!(notes[1].contains("53/udp"));
        assert_eq!(tcp_ports(&config), ["8080/tcp"]);
        // `--env PORT=N` names a port to probe too, once.
        let env = ["PORT=9090".to_string(), "MODE=x".to_string()];
        assert_eq!(smoke_ports(&config, &env), ["8080/tcp", "9090/tcp"]);
        let same = ["PORT=8080".to_string()];
        assert_eq!(smoke_ports(&config, &same), ["8080/tcp"]);
    }

    #[test]
    fn both_exiting_non_zero_alike_compares_nothing() {
        let mut r = report(exited(1, &["8080/tcp"]), exited(1, &["8080/tcp"]), &[]);
        r.stopped_after_seconds = Some(0.5);
        let (why, hint) = nothing_compared(smoke_outcome(&r));
        assert_eq!(why, "both containers exited 1 at once");
        assert_eq!(
            hint,
            "the app may need settings; try --env PORT=8080, --env-file FILE, or --smoke \"ARGS\""
        );
        // Later, the same; PORT already given: the hint does not repeat it.
        let mut r = report(
            exited(3, &["8080/tcp"]),
            exited(3, &["8080/tcp"]),
            &["PORT"],
        );
        r.stopped_after_seconds = Some(3.2);
        let (why, hint) = nothing_compared(smoke_outcome(&r));
        assert_eq!(why, "both containers exited 3 within 3.2 s");
        assert!(hint.contains("--env KEY=VALUE"), "{hint}");
        // Seen exited only when the wait ended.
        // No port: no PORT to suggest.
        let r = report(exited(1, &[]), exited(1, &[]), &[]);
        let (why, hint) = nothing_compared(smoke_outcome(&r));
        assert_eq!(why, "both containers exited 1 within 5 s");
        assert!(hint.contains("try --env KEY=VALUE"), "{hint}");
    }

    #[test]
    fn exit_codes_or_states_that_differ_fail() {
        let r = report(exited(1, &[]), exited(2, &[]), &[]);
        assert!(matches!(smoke_outcome(&r), SmokeOutcome::Different(_)));
        let r = report(running(&[], None), exited(1, &[]), &[]);
        assert!(matches!(smoke_outcome(&r), SmokeOutcome::Different(_)));
        // Started in one only.
        let r = report(running(&[], None), not_started("no such file"), &[]);
        assert!(matches!(smoke_outcome(&r), SmokeOutcome::Different(_)));
    }

    #[test]
    fn a_command_that_runs_to_completion_in_both_is_compared() {
        let r = report(exited(0, &[]), exited(0, &[]), &[]);
        match smoke_outcome(&r) {
            SmokeOutcome::Compared(what) => assert!(what.contains("exit 0"), "{what}"),
            other => panic!("{other:?}"),
        }
        // An image that exposes a port was meant to serve it: exiting 0
        // before anything answered compared nothing.
        // A port that only `--env PORT=8080` named: a command-line tool
        // that ran to completion still compared something.
        let mut r = report(
            exited(0, &["8080/tcp"]),
            exited(0, &["8080/tcp"]),
            &["PORT"],
        );
        r.env_ports = vec!["8080/tcp".to_string()];
        assert!(matches!(smoke_outcome(&r), SmokeOutcome::Compared(_)));
        let r = report(exited(0, &["8080/tcp"]), exited(0, &["8080/tcp"]), &[]);
        let (why, _) = nothing_compared(smoke_outcome(&r));
        assert!(
            why.contains("exited 0") && why.contains("8080/tcp"),
            "{why}"
        );
    }

    #[test]
    fn the_same_server_error_from_both_compares_nothing() {
        let failing = [("8080/tcp", Probe::Http { status: 500 })];
        let r = report(running(&failing, None), running(&failing, None), &[]);
        let (why, hint) = nothing_compared(smoke_outcome(&r));
        assert!(why.contains("server error on 8080/tcp"), "{why}");
        assert!(hint.contains("--env"), "{hint}");
        let fine = [("8080/tcp", Probe::Http { status: 404 })];
        let r = report(running(&fine, None), running(&fine, None), &[]);
        assert!(matches!(smoke_outcome(&r), SmokeOutcome::Compared(_)));
    }

    #[test]
    fn neither_starting_compares_nothing() {
        let r = report(not_started("exec: foo: not found"), not_started("x"), &[]);
        let (why, hint) = nothing_compared(smoke_outcome(&r));
        assert!(why.starts_with("neither container started"), "{why}");
        assert!(hint.contains("--smoke"), "{hint}");
    }

    #[test]
    fn running_without_any_answer_compares_nothing() {
        let silent = [("8080/tcp", Probe::NoAnswer)];
        let r = report(running(&silent, None), running(&silent, None), &[]);
        let (why, hint) = nothing_compared(smoke_outcome(&r));
        assert_eq!(
            why,
            "both containers run, but nothing answers on 8080/tcp in either"
        );
        assert!(hint.contains("--env PORT=8080"), "{hint}");
        // A HEALTHCHECK failing in both does not make it compared.
        let r = report(
            running(&silent, Some(false)),
            running(&silent, Some(false)),
            &[],
        );
        let (why, _) = nothing_compared(smoke_outcome(&r));
        assert!(why.ends_with("and the HEALTHCHECK fails in both"), "{why}");
        // No port, a HEALTHCHECK failing in both: nothing either.
        let r = report(running(&[], Some(false)), running(&[], Some(false)), &[]);
        let (why, _) = nothing_compared(smoke_outcome(&r));
        assert_eq!(
            why,
            "both containers run, but the HEALTHCHECK fails in both"
        );
    }

    #[test]
    fn an_answer_or_a_passing_healthcheck_is_compared() {
        let http = [("8080/tcp", Probe::Http { status: 200 })];
        let r = report(running(&http, None), running(&http, None), &[]);
        match smoke_outcome(&r) {
            SmokeOutcome::Compared(what) => {
                assert_eq!(
                    what,
                    "both running after 5 s; port 8080/tcp: HTTP 200 in both"
                )
            }
            other => panic!("{other:?}"),
        }
        // One port answers, one does not: the silent one is said.
        let mixed = [("8080/tcp", Probe::NotHttp), ("9090/tcp", Probe::NoAnswer)];
        let r = report(running(&mixed, None), running(&mixed, None), &[]);
        match smoke_outcome(&r) {
            SmokeOutcome::Compared(what) => {
                assert!(what.contains("no answer on 9090/tcp in either"), "{what}")
            }
            other => panic!("{other:?}"),
        }
        // Nothing answers, but the HEALTHCHECK passes in both.
        let silent = [("8080/tcp", Probe::NoAnswer)];
        let r = report(
            running(&silent, Some(true)),
            running(&silent, Some(true)),
            &[],
        );
        match smoke_outcome(&r) {
            SmokeOutcome::Compared(what) => {
                assert!(what.contains("HEALTHCHECK passes in both"), "{what}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_worker_that_keeps_running_is_compared() {
        let r = report(running(&[], None), running(&[], None), &[]);
        match smoke_outcome(&r) {
            SmokeOutcome::Compared(what) => assert!(what.contains("a worker"), "{what}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_failed_check_outranks_an_inconclusive_smoke_run() {
        let r = report(exited(1, &[]), exited(1, &[]), &[]);
        let mut v = Verification::new();
        judge_smoke(&r, &json!({}), &mut v);
        v.settle();
        assert_eq!(v.verdict, Verdict::Inconclusive);
        assert!(!v.passed());
        assert!(
            v.summary()
                .starts_with("inconclusive: both containers exited 1")
        );
        assert!(v.hint.is_some());

        let mut v = Verification::new();
        compare_config(
            &json!({"Cmd": ["a"]}),
            &json!({"Cmd": ["b"]}),
            None,
            None,
            false,
            &mut v,
        );
        judge_smoke(&r, &json!({}), &mut v);
        v.settle();
        assert_eq!(v.verdict, Verdict::Failed);
        assert_eq!(v.summary(), "failed: config");
        assert!(
            v.notes.iter().any(|n| n.contains("compared nothing")),
            "{:?}",
            v.notes
        );
    }

    #[test]
    fn env_files_are_read_as_the_engine_reads_them() {
        let names = env_file_names("# comment\n\nPORT=8080\n  GREETING=hello world\n").unwrap();
        assert_eq!(names, ["PORT", "GREETING"]);
        assert!(
            env_file_names("PORT=1\nFROM_HOST\n")
                .unwrap_err()
                .contains("line 2")
        );
        assert!(env_file_names("=x\n").unwrap_err().contains("line 1"));
        assert!(
            env_file_names("A=1\nMY VAR=2\n")
                .unwrap_err()
                .contains("line 2")
        );
    }

    #[test]
    fn user_is_non_root_only_with_a_non_zero_uid() {
        assert!(!check_user("", None).non_root);
        assert!(!check_user("0:0", None).non_root);
        assert!(!check_user("root", Some("root:x:0:0::/root:/bin/sh\n")).non_root);
        assert!(check_user("10001:10001", None).non_root);
        let passwd = "root:x:0:0::/root:/bin/sh\nnode:x:1000:1000::/home/node:/bin/sh\n";
        let node = check_user("node", Some(passwd));
        assert_eq!(node.uid, Some(1000));
        assert!(node.non_root);
        assert!(!check_user("ghost", Some(passwd)).non_root);
    }

    #[test]
    fn toolchain_variables_of_the_builder_base_are_notes() {
        let base = json!({"Env": ["PATH=/go/bin", "GOPATH=/go", "GOLANG_VERSION=1.22"]});
        let original = json!({
            "Env": ["PATH=/go/bin", "GOPATH=/go", "GOLANG_VERSION=1.22", "PORT=8080"],
            "Cmd": ["/app"],
        });
        let migrated = json!({"Env": ["PATH=/usr/bin", "PORT=8080"], "Cmd": ["/app"]});
        let mut v = Verification::new();
        compare_config(
            &original,
            &migrated,
            Some(("golang:1.22", &base)),
            None,
            false,
            &mut v,
        );
        assert!(v.passed(), "{:?}", v.problems);
        assert_eq!(v.notes.len(), 2, "{:?}", v.notes);

        let migrated = json!({"Env": ["PORT=9090"], "Cmd": ["/app"]});
        let mut v = Verification::new();
        compare_config(
            &original,
            &migrated,
            Some(("golang:1.22", &base)),
            None,
            false,
            &mut v,
        );
        assert_eq!(v.failed_checks, ["config"]);
        assert!(v.problems[0].contains("PORT"), "{:?}", v.problems);
    }

    #[test]
    fn a_changed_command_fails_unless_msb_rewrote_it() {
        let original = json!({"Cmd": ["go", "run", "."]});
        let migrated = json!({"Cmd": ["/app"]});
        let mut v = Verification::new();
        compare_config(&original, &migrated, None, None, false, &mut v);
        assert_eq!(v.failed_checks, ["config"]);
        let mut v = Verification::new();
        compare_config(&original, &migrated, None, None, true, &mut v);
        assert!(v.passed());
        assert_eq!(v.notes.len(), 1);
        // null, [] and {} are the same "not set".
        let mut v = Verification::new();
        compare_config(
            &json!({"Volumes": null, "Cmd": ["x"]}),
            &json!({"Volumes": {}, "Cmd": ["x"]}),
            None,
            None,
            false,
            &mut v,
        );
        assert!(v.passed(), "{:?}", v.problems);
    }

    #[test]
    fn a_bigger_image_is_not_a_negative_saving() {
        assert_eq!(saving_text(2_100_000, 51.43), "saves 2.1 MB (51.4%)");
        assert_eq!(saving_text(-2_100_000, -103.0), "2.1 MB bigger (103.0%)");
        let mut ok = Verification::new();
        ok.size = Some(SizeReport {
            original_bytes: 10_000_000,
            migrated_bytes: 4_000_000,
            saving_bytes: 6_000_000,
            saving_percent: 60.0,
            final_base: None,
            final_stage_layers: Vec::new(),
        });
        let mut bad = Verification::new();
        bad.fail("smoke", "differs".to_string());
        // An inconclusive one is counted apart, and its saving is not
        // counted as measured.
        let mut unsure = ok.clone();
        unsure.nothing_compared("both exited 1".into(), "try".into());
        unsure.settle();
        let mut unbuilt = Verification::new();
        unbuilt.verdict = Verdict::OriginalDoesNotBuild;
        assert_eq!(
            summary_line(&[&ok, &bad, &unsure]),
            "1 verified, 1 inconclusive, 1 failed; measured saving of the verified ones: 6.0 MB"
        );
        assert_eq!(
            summary_line(&[&bad, &unbuilt]),
            "0 verified, 0 inconclusive, 1 failed, 1 could not build the original"
        );
        let counts = VerdictCounts::of(&[&ok, &unsure, &unsure]);
        assert_eq!((counts.verified, counts.inconclusive), (1, 2));
        assert_eq!(counts.measured_saving_bytes, 6_000_000);
    }

    #[test]
    fn smoke_arguments_split_like_a_shell() {
        assert_eq!(
            split_words(r#"serve --port 9000 'a b' "c \"d\"" e\ f"#).unwrap(),
            ["serve", "--port", "9000", "a b", "c \"d\"", "e f"]
        );
        assert_eq!(split_words("  ").unwrap(), Vec::<String>::new());
        assert_eq!(split_words("''").unwrap(), [""]);
        assert!(split_words("'open").is_err());
    }

    #[test]
    fn a_long_output_keeps_its_start_and_its_end() {
        let text: String = (1..=40).map(|i| format!("line {i}\n")).collect();
        let shown = excerpt(&text, 15);
        assert_eq!(shown.len(), 15);
        assert_eq!(shown[0], "line 1");
        assert_eq!(shown[5], "[26 lines]");
        assert_eq!(shown[14], "line 40");
        assert_eq!(excerpt("a\nb\n", 15), ["a", "b"]);
    }

    #[test]
    fn build_log_tail_drops_colour_and_the_builder_notice() {
        let log = "Step 2/2 : RUN x\n\u{1b}[91mwarning: y\n\u{1b}[0mDEPRECATED: The legacy builder is deprecated and will be removed\n    Install the buildx component to build images\nCOPY failed: no file\n";
        assert_eq!(
            tail(log, 15),
            ["Step 2/2 : RUN x", "warning: y", "COPY failed: no file"]
        );
    }

    /// `--progress=plain` of a two-stage BuildKit build whose builder
    /// stage fails while the other stage is cancelled.
    const BUILDKIT_FAILURE: &str = "#0 building with \"default\" instance using docker driver

#1 [internal] load build definition from Dockerfile
#1 transferring dockerfile: 312B done
#1 DONE 0.0s

#4 [builder 1/3] FROM docker.io/library/golang:1.19
#4 CACHED

#5 [builder 2/3] RUN --mount=type=cache,target=/root/.cache go build -o /app .
#5 0.412 main.go:3:1: syntax error: unexpected EOF
#6 [stage-1 2/2] RUN useradd app
#5 ERROR: process \"/bin/sh -c go build -o /app .\" did not complete successfully: exit code: 1
#6 CANCELED
------
 > [builder 2/3] RUN --mount=type=cache,target=/root/.cache go build -o /app .:
0.412 main.go:3:1: syntax error: unexpected EOF
------
ERROR: failed to solve: process \"/bin/sh -c go build -o /app .\" did not complete successfully: exit code: 1
";

    #[test]
    fn a_buildkit_failure_names_the_step_that_failed_not_the_last_one() {
        assert_eq!(
            failing_step(BUILDKIT_FAILURE).as_deref(),
            Some("#5 [builder 2/3] RUN --mount=type=cache,target=/root/.cache go build -o /app .")
        );
        assert_eq!(
            tail(BUILDKIT_FAILURE, 6),
            [
                "#6 CANCELED",
                "------",
                " > [builder 2/3] RUN --mount=type=cache,target=/root/.cache go build -o /app .:",
                "0.412 main.go:3:1: syntax error: unexpected EOF",
                "------",
                "ERROR: failed to solve: process \"/bin/sh -c go build -o /app .\" did not complete successfully: exit code: 1",
            ]
        );
        // The step's own output keeps its step, not its timestamp; the
        // DONE and CACHED bookkeeping is dropped.
        let all = tail(BUILDKIT_FAILURE, 100);
        assert!(all.contains(&"#5 main.go:3:1: syntax error: unexpected EOF".to_string()));
        assert!(
            !all.iter()
                .any(|l| l.ends_with("CACHED") || l.contains("DONE 0.0s"))
        );
        assert!(!all.iter().any(|l| l.contains("building with")));
    }

    #[test]
    fn what_the_engine_cannot_build_is_named() {
        let what = |text: &str, builder: Builder, log: &str| {
            unsupported_feature(text, builder, log).map(|u| u.what)
        };
        let mount = "FROM debian\nRUN --mount=type=cache,target=/root/.cache make\n";
        let log = "Step 2/2 : RUN --mount=type=cache,target=/root/.cache make\nthe --mount option requires BuildKit. Refer to https://docs.docker.com/go/buildkit/ to learn how to build images with BuildKit enabled\n";
        let said = unsupported_feature(mount, Builder::Classic, log).unwrap();
        assert_eq!(
            said.what,
            "this engine's classic builder does not support RUN --mount (line 2)"
        );
        assert!(
            said.hint.contains("install the docker buildx plugin"),
            "{said:?}"
        );
        let chmod = "FROM debian\nCOPY --chmod=644 a /a\n";
        let log = "the --chmod option requires BuildKit. Refer to ...\n";
        assert_eq!(
            what(chmod, Builder::Classic, log).as_deref(),
            Some("this engine's classic builder does not support COPY --chmod (line 2)")
        );
        let link = "FROM debian\nCOPY --link a /a\n";
        let log = "Error response from daemon: dockerfile parse error line 2: Unknown flag: link\n";
        assert_eq!(
            what(link, Builder::Classic, log).as_deref(),
            Some("this engine's builder does not support COPY --link (line 2)")
        );
        let heredoc = "FROM debian\nRUN <<EOF\nset -e\necho hi\nEOF\n";
        let log =
            "Error response from daemon: dockerfile parse error line 3: unknown instruction: SET\n";
        assert_eq!(
            what(heredoc, Builder::Classic, log).as_deref(),
            Some("this engine's builder does not support heredocs (RUN <<EOF, line 2)")
        );
        let log =
            "ERROR: failed to solve: dockerfile parse error on line 3: unknown instruction: set\n";
        let said = unsupported_feature(heredoc, Builder::BuildKit, log).unwrap();
        assert!(said.hint.contains("frontend 1.4"), "{said:?}");
        let syntax = "# syntax=docker/dockerfile:1.4\nFROM debian\n";
        let log = "ERROR: failed to solve: docker/dockerfile:1.4: failed to resolve source metadata for docker.io/docker/dockerfile:1.4: dial tcp: lookup registry-1.docker.io: no such host\n";
        assert_eq!(
            what(syntax, Builder::BuildKit, log).as_deref(),
            Some(
                "this engine cannot fetch the Dockerfile frontend docker/dockerfile:1.4 that `# syntax=` names"
            )
        );
    }

    #[test]
    fn a_program_that_fails_is_not_an_unsupported_feature() {
        // A RUN whose own program prints the words, on a Dockerfile
        // without the flag or a heredoc: an ordinary failure.
        let text = "FROM debian\nRUN mytool --link x\n";
        let log = "Step 2/2 : RUN mytool --link x\nerror: unknown flag: link\nunknown instruction in script\n";
        assert_eq!(unsupported_feature(text, Builder::Classic, log), None);
        // A redrawn line shows its last drawing.
        assert_eq!(
            tail("Sending 1kB\rSending 5kB\r\nStep 1/1 : FROM x\n", 5),
            ["Sending 5kB", "Step 1/1 : FROM x"]
        );
        let mount = "FROM debian\nRUN --mount=type=cache,target=/c make\n";
        let log = "#5 [2/2] RUN --mount=type=cache,target=/c make\n#5 ERROR: exit code: 2\n";
        assert_eq!(unsupported_feature(mount, Builder::BuildKit, log), None);
    }

    #[test]
    fn failing_step_is_found_in_both_builders_logs() {
        let classic = "Step 1/3 : FROM x\n ---> abc\nStep 2/3 : RUN make\n ---> Running in 1\nmake: *** error\n";
        assert_eq!(
            failing_step(classic).as_deref(),
            Some("Step 2/3 : RUN make")
        );
        let buildkit = "#1 [internal] load build definition\n#5 [builder 2/4] RUN make\n#5 ERROR: exit code: 2\n";
        assert_eq!(
            failing_step(buildkit).as_deref(),
            Some("#5 [builder 2/4] RUN make")
        );
    }

    #[test]
    fn smoke_runs_compare_state_and_answers() {
        let run = |running: bool, code: i64, status: u16| RunReport {
            start_error: None,
            state: Some(ContainerState {
                running,
                exit_code: code,
            }),
            ports: vec![PortProbe {
                port: "8000/tcp".into(),
                answer: Probe::Http { status },
                body_start: String::new(),
            }],
            health: None,
            log_head: Vec::new(),
        };
        assert!(same_run(&run(true, 0, 200), &run(true, 0, 200)));
        assert!(!same_run(&run(true, 0, 200), &run(true, 0, 500)));
        assert!(!same_run(&run(true, 0, 200), &run(false, 1, 200)));
        assert!(same_run(&run(false, 3, 200), &run(false, 3, 200)));
        assert!(!same_run(&run(false, 0, 200), &run(false, 1, 200)));
        // The same answers, but the HEALTHCHECK passes only in one.
        let with_health = |passed: bool| RunReport {
            health: Some(HealthRun {
                command: vec!["curl".into()],
                passed,
                exit_code: Some(if passed { 0 } else { 127 }),
                output: Vec::new(),
            }),
            ..run(true, 0, 200)
        };
        assert!(same_run(&with_health(true), &with_health(true)));
        assert!(same_run(&with_health(false), &with_health(false)));
        assert!(!same_run(&with_health(true), &with_health(false)));
    }
}
