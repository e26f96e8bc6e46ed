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

use crate::engine::{self, ContainerState, Engine, EngineError, Layer, Probe};
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
    Failed,
    /// The original does not build here: nothing to compare with.
    OriginalDoesNotBuild,
}

/// Everything `msb verify` found for one Dockerfile.
#[derive(Debug, Clone, Serialize)]
pub struct Verification {
    pub verdict: Verdict,
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
    /// The step that failed, as the build log names it.
    pub failing_step: Option<String>,
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
    /// The container's output: its first lines, and its last ones when
    /// it is long.
    pub log_head: Vec<String>,
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

    /// One line: `verified`, `failed: config, smoke`, or
    /// `could not build the original`.
    pub fn summary(&self) -> String {
        match self.verdict {
            Verdict::Verified => "verified".to_string(),
            Verdict::Failed => format!("failed: {}", self.failed_checks.join(", ")),
            Verdict::OriginalDoesNotBuild => "could not build the original".to_string(),
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
    let mut built = Built::default();
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
    if opts.keep_images {
        v.kept_images = built.images;
    } else {
        for image in &built.images {
            engine.remove_image(image);
        }
        for log in &built.logs {
            engine.remove_untagged_from_log(log);
        }
    }
    v
}

/// What a verification leaves on the engine, to remove afterwards.
#[derive(Default)]
struct Built {
    images: Vec<String>,
    logs: Vec<String>,
}

fn run_checks(
    engine: &Engine,
    pair: &Pair,
    opts: &Options,
    progress: &dyn Fn(&str),
    [original_tag, migrated_tag]: [&String; 2],
    built: &mut Built,
    v: &mut Verification,
) -> Result<(), EngineError> {
    progress("building the original");
    let build = engine.build(pair.original, pair.context, original_tag, &opts.build_args)?;
    v.original_build = Some(build_record(&build));
    built.logs.push(build.log.clone());
    if !build.ok {
        v.verdict = Verdict::OriginalDoesNotBuild;
        v.problems.push(format!(
            "the original does not build{}",
            step_suffix(v.original_build.as_ref())
        ));
        return Ok(());
    }
    built.images.push(original_tag.clone());

    progress("building the migration");
    let build = engine.build(pair.migrated, pair.context, migrated_tag, &opts.build_args)?;
    v.migrated_build = Some(build_record(&build));
    built.logs.push(build.log.clone());
    if !build.ok {
        v.fail(
            "build",
            format!(
                "the migration does not build{}",
                step_suffix(v.migrated_build.as_ref())
            ),
        );
        return Ok(());
    }
    built.images.push(migrated_tag.clone());

    let original = engine.inspect_image(original_tag)?;
    let migrated = engine.inspect_image(migrated_tag)?;
    let original_base = final_base(pair.original_text);
    let migrated_base = final_base(pair.migrated_text);
    // The bases are local (both builds just used them); when one is not
    // (a stage built from a digest the engine renamed), every variable
    // counts as the Dockerfile's own.
    let base_facts = |base: &Option<String>| {
        base.as_ref()
            .and_then(|b| engine.inspect_image(b).ok().map(|f| (b.clone(), f)))
    };
    let original_base_facts = base_facts(&original_base);
    let migrated_base_facts = base_facts(&migrated_base);

    compare_config(
        &original.config,
        &migrated.config,
        original_base_facts
            .as_ref()
            .map(|(n, f)| (n.as_str(), &f.config)),
        migrated_base_facts.as_ref().map(|(_, f)| &f.config),
        pair.command_rewritten,
        v,
    );

    let user = config_str(&migrated.config, "User");
    let passwd = if needs_passwd(&user) {
        engine
            .read_file(migrated_tag, "/etc/passwd")
            .ok()
            .map(|b| String::from_utf8_lossy(&b).into_owned())
    } else {
        None
    };
    let check = check_user(&user, passwd.as_deref());
    if !check.non_root {
        let why = match (&check.uid, user.is_empty()) {
            (_, true) => "the migrated image runs as root (no USER)".to_string(),
            (Some(0), _) => format!("the migrated image runs as root (USER {user})"),
            _ => format!(
                "USER {user}: not a numeric UID and not in the image's /etc/passwd, so it cannot be shown to be non-root"
            ),
        };
        v.fail("user", why);
    }
    v.user = Some(check);

    if opts.smoke != Smoke::Off {
        progress(&format!("smoke run ({} s)", opts.smoke_seconds));
        let report = smoke(
            engine,
            pair,
            opts,
            original_tag,
            migrated_tag,
            &original.config,
        );
        if !report.same {
            v.fail("smoke", smoke_difference(&report));
        }
        v.smoke = Some(report);
    }

    let layers = engine.history(migrated_tag).unwrap_or_default();
    let base_layers = migrated_base
        .as_deref()
        .and_then(|b| engine.history(b).ok())
        .map_or(0, |h| h.len());
    let own = layers.len().saturating_sub(base_layers);
    let saving = original.size as i64 - migrated.size as i64;
    let size = SizeReport {
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
    };
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

fn build_record(build: &engine::Build) -> BuildRecord {
    BuildRecord {
        ok: build.ok,
        seconds: (build.seconds * 10.0).round() / 10.0,
        failing_step: if build.ok {
            None
        } else {
            failing_step(&build.log)
        },
        log_tail: if build.ok {
            Vec::new()
        } else {
            tail(&build.log, LOG_LINES)
        },
    }
}

fn step_suffix(record: Option<&BuildRecord>) -> String {
    record
        .and_then(|r| r.failing_step.as_ref())
        .map(|s| format!(" at {s}"))
        .unwrap_or_default()
}

/// The step a failed build stopped at: the classic builder's last
/// `Step N/M : …` line, or BuildKit's last `#N [stage k/m] …` line.
pub fn failing_step(log: &str) -> Option<String> {
    log.lines()
        .map(str::trim)
        .rfind(|l| {
            l.starts_with("Step ")
                || (l.starts_with('#') && l.contains(" [") && !l.contains("internal]"))
        })
        .map(str::to_string)
}

/// The last `n` lines of a build log that say something: no blank lines,
/// no terminal colour codes, no notice that the classic builder is
/// deprecated.
fn tail(text: &str, n: usize) -> Vec<String> {
    const NOTICE: [&str; 3] = [
        "legacy builder is deprecated",
        "Install the buildx component",
        "docs.docker.com/go/buildx",
    ];
    let lines: Vec<String> = text
        .lines()
        .map(strip_colour)
        .filter(|l| !l.trim().is_empty() && !NOTICE.iter().any(|x| l.contains(x)))
        .collect();
    lines[lines.len().saturating_sub(n)..].to_vec()
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
/// defaults of ARGs declared before the first FROM.
pub fn final_base(text: &str) -> Option<String> {
    let file = parse::parse(text).ok()?;
    let mut args: BTreeMap<String, String> = BTreeMap::new();
    let mut stages: BTreeMap<String, String> = BTreeMap::new();
    let mut last = None;
    for ins in &file.instructions {
        match ins.keyword {
            Keyword::Arg if last.is_none() => {
                for word in ins.words() {
                    let (name, value) = word.split_once('=').unwrap_or((word, ""));
                    args.insert(name.to_string(), value.trim_matches('"').to_string());
                }
            }
            Keyword::From => {
                let words = ins.words();
                let written = *words.first()?;
                let image = substitute(written, &args);
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

/// `$NAME`, `${NAME}` and `${NAME:-default}` from ARG defaults.
fn substitute(word: &str, args: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = word;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let (expr, next) = if let Some(inner) = after.strip_prefix('{') {
            match inner.find('}') {
                Some(end) => (&inner[..end], &inner[end + 1..]),
                None => (inner, ""),
            }
        } else {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            (&after[..end], &after[end..])
        };
        let (name, default) = match expr.split_once(":-") {
            Some((n, d)) => (n, Some(d)),
            None => (expr, None),
        };
        match args.get(name).filter(|v| !v.is_empty()) {
            Some(v) => out.push_str(v),
            None => out.push_str(default.unwrap_or("")),
        }
        rest = next;
    }
    out.push_str(rest);
    out
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

/// Starts both images the same way, waits, and compares their state and
/// what each exposed TCP port answers.
fn smoke(
    engine: &Engine,
    pair: &Pair,
    opts: &Options,
    original_tag: &str,
    migrated_tag: &str,
    original_config: &Value,
) -> SmokeReport {
    let mut ports: Vec<String> = original_config
        .get("ExposedPorts")
        .and_then(Value::as_object)
        .map(|o| o.keys().filter(|p| p.ends_with("/tcp")).cloned().collect())
        .unwrap_or_default();
    ports.sort();
    let command = match &opts.smoke {
        Smoke::Arguments(a) => a.clone(),
        _ => Vec::new(),
    };
    let names = [
        format!("msb-verify-{}-original", pair.id),
        format!("msb-verify-{}-migrated", pair.id),
    ];
    let started: Vec<Option<String>> = [original_tag, migrated_tag]
        .iter()
        .zip(&names)
        .map(|(image, name)| {
            engine
                .run_detached(image, name, &ports, &command)
                .err()
                .map(|e| e.to_string())
        })
        .collect();
    // Wait the full time unless both have already stopped: an app that
    // dies after two seconds must be seen dead.
    let begin = Instant::now();
    let wait = Duration::from_secs(opts.smoke_seconds);
    while begin.elapsed() < wait {
        std::thread::sleep(Duration::from_millis(250));
        let all_stopped = names
            .iter()
            .zip(&started)
            .all(|(n, err)| err.is_some() || engine.state(n).is_ok_and(|s| !s.running));
        if all_stopped {
            break;
        }
    }
    // A server may still be starting (a JVM): probes retry until then.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut runs: Vec<RunReport> = names
        .iter()
        .zip(started)
        .map(|(name, start_error)| {
            if start_error.is_some() {
                return RunReport {
                    start_error,
                    state: None,
                    ports: Vec::new(),
                    log_head: Vec::new(),
                };
            }
            let state = engine.state(name).ok();
            let running = state.as_ref().is_some_and(|s| s.running);
            let probes = ports
                .iter()
                .map(|port| {
                    let (answer, body_start) = match engine.host_port(name, port) {
                        Some(host) if running => engine::probe(host, deadline),
                        Some(_) => (Probe::NoAnswer, String::new()),
                        None => (Probe::NotPublished, String::new()),
                    };
                    PortProbe {
                        port: port.clone(),
                        answer,
                        body_start,
                    }
                })
                .collect();
            RunReport {
                start_error: None,
                state,
                ports: probes,
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
        original,
        migrated,
        same,
    }
}

fn same_run(a: &RunReport, b: &RunReport) -> bool {
    if a.start_error.is_some() || b.start_error.is_some() {
        return a.start_error.is_some() && b.start_error.is_some();
    }
    let state_same = match (&a.state, &b.state) {
        (Some(x), Some(y)) => x.running == y.running && (x.running || x.exit_code == y.exit_code),
        _ => false,
    };
    state_same
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
    s
}

fn smoke_difference(r: &SmokeReport) -> String {
    format!(
        "after {} s: original {}; migration {}",
        r.seconds,
        describe_run(&r.original),
        describe_run(&r.migrated)
    )
}

/// The human-readable verdict of one file (stdout of `msb verify`).
pub fn render_text(shown: &str, v: &Verification) -> String {
    let mut out = format!("{shown}: {}\n", v.summary());
    let line = |out: &mut String, label: &str, text: String| {
        out.push_str(&format!("  {label:<9} {text}\n"));
    };
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
        let verdict = if s.same { "same" } else { "DIFFERENT" };
        line(
            &mut out,
            "smoke",
            format!(
                "{verdict} after {} s: original {}; migrated {}",
                s.seconds,
                describe_run(&s.original),
                describe_run(&s.migrated)
            ),
        );
        if !s.same {
            for (label, run) in [("original", &s.original), ("migrated", &s.migrated)] {
                line(&mut out, "", format!("{label} output:"));
                for l in &run.log_head {
                    line(&mut out, "", format!("| {l}"));
                }
            }
        }
    }
    if let Some(s) = &v.size {
        line(
            &mut out,
            "size",
            format!(
                "{} → {}: saves {} ({:.1}%)",
                crate::bulk::human_bytes(s.original_bytes),
                crate::bulk::human_bytes(s.migrated_bytes),
                signed_bytes(s.saving_bytes),
                s.saving_percent
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

fn signed_bytes(n: i64) -> String {
    if n < 0 {
        format!("-{}", crate::bulk::human_bytes(n.unsigned_abs()))
    } else {
        crate::bulk::human_bytes(n as u64)
    }
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
        assert_eq!(final_base(text).as_deref(), Some("python:3.11"));
        let text = "FROM golang:1.22 AS builder\nFROM gcr.io/distroless/static-debian12:nonroot\n";
        assert_eq!(
            final_base(text).as_deref(),
            Some("gcr.io/distroless/static-debian12:nonroot")
        );
        assert_eq!(
            final_base("ARG T\nFROM node:${T:-20}-slim\n").as_deref(),
            Some("node:20-slim")
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
            log_head: Vec::new(),
        };
        assert!(same_run(&run(true, 0, 200), &run(true, 0, 200)));
        assert!(!same_run(&run(true, 0, 200), &run(true, 0, 500)));
        assert!(!same_run(&run(true, 0, 200), &run(false, 1, 200)));
        assert!(same_run(&run(false, 3, 200), &run(false, 3, 200)));
        assert!(!same_run(&run(false, 0, 200), &run(false, 1, 200)));
    }
}
