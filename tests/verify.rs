//! `msb verify` end to end, on the local engine: every sample app of
//! `tests/apps/` is migrated, both images are built and compared, and
//! deliberately broken migrations given with `--against` are caught with
//! the failing check named.
//!
//! The engine here reaches no registry, so the base images are stand-ins
//! built from Debian packages by `scripts/standin-images` (`.ci/run` makes
//! them). Outside CI, a machine without an engine or without the
//! stand-ins skips these tests with a message; in CI they must run.

mod common;

use common::copy_dir;

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

/// The tags the sample apps and their migrations build FROM.
const STANDINS: [&str; 11] = [
    "python:3.11",
    "python:3.11-slim",
    "golang:1.19",
    "gcr.io/distroless/static-debian12:nonroot",
    "rust:1-bookworm",
    "debian:bookworm-slim",
    "node:18",
    "node:18-slim",
    "maven:3-eclipse-temurin-17",
    "eclipse-temurin:17-jre",
    "debian:bookworm",
];

fn engine_ready() -> Option<()> {
    common::engine_ready(&STANDINS, "msb verify end-to-end tests")
}

fn apps() -> PathBuf {
    common::root().join("tests/apps")
}

fn msb(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_msb"))
        .args(args)
        .current_dir(common::root())
        .output()
        .expect("running msb")
}

fn verify_json(args: &[&str]) -> (i32, Value, String) {
    let mut all = vec!["verify", "--format", "json"];
    all.extend_from_slice(args);
    let out = msb(&all);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let record: Value = serde_json::from_str(stdout.lines().next().unwrap_or(""))
        .unwrap_or_else(|e| panic!("msb verify printed no JSON record ({e}):\n{stdout}\n{stderr}"));
    (out.status.code().unwrap_or(-1), record, stderr)
}

fn failed_checks(record: &Value) -> Vec<String> {
    record["verification"]["failed_checks"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|c| c.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// Each sample app: migrated, built twice, compared; the verdict is
/// `verified` and the migrated image is smaller.
fn verify_app(app: &str) {
    if engine_ready().is_none() {
        return;
    }
    let dockerfile = format!("tests/apps/{app}/Dockerfile");
    let (code, record, stderr) = verify_json(&[&dockerfile]);
    let v = &record["verification"];
    assert_eq!(
        v["verdict"],
        "verified",
        "{app}: {}\n{stderr}",
        serde_json::to_string_pretty(v).unwrap()
    );
    assert_eq!(code, 0, "{app}: {stderr}");
    assert_eq!(record["status"], "migrated");
    let size = &v["size"];
    let (before, after) = (
        size["original_bytes"].as_u64().unwrap(),
        size["migrated_bytes"].as_u64().unwrap(),
    );
    assert!(
        after < before,
        "{app}: {after} is not smaller than {before}"
    );
    assert_eq!(v["user"]["non_root"], true);
    // Every exposed port answered HTTP, the same in both.
    let smoke = &v["smoke"];
    let ports = smoke["original"]["ports"].as_array().unwrap();
    assert!(!ports.is_empty(), "{app}: the app exposes a port");
    for (a, b) in ports
        .iter()
        .zip(smoke["migrated"]["ports"].as_array().unwrap())
    {
        assert_eq!(a["answer"]["kind"], "http", "{app}: {smoke}");
        assert_eq!(a["answer"], b["answer"], "{app}");
    }
    eprintln!(
        "| {app} | {} | {} | {} | {:.1}% |",
        record["builder_image"].as_str().unwrap_or("?"),
        size["original_bytes"],
        size["migrated_bytes"],
        size["saving_percent"].as_f64().unwrap_or(0.0)
    );
}

#[test]
fn python_app_verifies() {
    verify_app("python");
}

#[test]
fn go_app_verifies() {
    verify_app("go");
}

#[test]
fn rust_app_verifies() {
    verify_app("rust");
}

#[test]
fn node_app_verifies() {
    verify_app("node");
}

#[test]
fn java_app_verifies() {
    verify_app("java");
}

/// Jinja2 and MarkupSafe (a C extension's wheel) from PyPI, on the trixie
/// Python pair: a real registry dependency, verified with the app running.
#[test]
fn python_app_with_pypi_dependencies_verifies() {
    verify_app("python-pypi");
}

/// What RUN lines write, carried to the final stage: a file `tee` writes
/// outside the app folder (the app serves it) and a start script `sed -i`
/// fixes in place (CRLF, which sh would fail on).
#[test]
fn python_app_with_run_written_files_verifies() {
    verify_app("python-effects");
}

/// Debian's own Python on debian:bookworm (no python image): pip installs
/// waitress and MarkupSafe from PyPI into /usr/local, and the final stage
/// is the same image with python3 and without gcc and python3-dev.
#[test]
fn python_app_on_debians_python_verifies() {
    verify_app("python-debian");
}

/// Debian's own Ruby with a Debian-packaged gem (RubyGems is not reachable
/// here): the final stage is debian:bookworm with ruby and ruby-webrick,
/// without build-essential, ruby-dev and bundler.
#[test]
fn ruby_app_on_debians_ruby_verifies() {
    verify_app("ruby-debian");
}

/// httparse from crates.io, pinned in Cargo.lock, on the trixie Rust image.
#[test]
fn rust_app_with_crates_io_dependencies_verifies() {
    verify_app("rust-crates");
}

/// A hand-made migration whose final stage lacks the file the app reads
/// at run time: it builds and has a non-root user, but the smoke run sees
/// the difference.
#[test]
fn a_runtime_stage_without_the_apps_file_fails_the_smoke_run() {
    if engine_ready().is_none() {
        return;
    }
    let (code, record, stderr) = verify_json(&[
        "tests/apps/python/Dockerfile",
        "--against",
        "tests/apps/broken/python-missing-file.Dockerfile",
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(record["verification"]["verdict"], "failed");
    assert_eq!(failed_checks(&record), ["smoke"], "{record}");
    assert_eq!(
        record["against"],
        "tests/apps/broken/python-missing-file.Dockerfile"
    );
}

/// A migration that forgot USER: the user check names it.
#[test]
fn a_runtime_stage_running_as_root_fails_the_user_check() {
    if engine_ready().is_none() {
        return;
    }
    let (code, record, stderr) = verify_json(&[
        "tests/apps/go/Dockerfile",
        "--against",
        "tests/apps/broken/go-runs-as-root.Dockerfile",
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(failed_checks(&record), ["user"], "{record}");
    assert_eq!(record["verification"]["user"]["non_root"], false);
}

/// A migration that moved the app, changed its port and added an ENV
/// fails the config check, field by field, and the text names the check.
#[test]
fn a_changed_runtime_contract_fails_the_config_check() {
    if engine_ready().is_none() {
        return;
    }
    let out = msb(&[
        "verify",
        "tests/apps/node/Dockerfile",
        "--against",
        "tests/apps/broken/node-contract-changed.Dockerfile",
        "--no-smoke",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    assert!(
        stdout.starts_with("tests/apps/node/Dockerfile: failed: config"),
        "{stdout}"
    );
    assert!(stdout.contains("ExposedPorts differs"), "{stdout}");
    assert!(stdout.contains("WorkingDir differs"), "{stdout}");
    assert!(
        stdout.contains("ENV NODE_ENV=production added by the migration"),
        "{stdout}"
    );
}

/// A migration that does not build: the failing step and the end of the
/// build log are shown.
#[test]
fn a_migration_that_does_not_build_names_the_step() {
    if engine_ready().is_none() {
        return;
    }
    let (code, record, _) = verify_json(&[
        "tests/apps/rust/Dockerfile",
        "--against",
        "tests/apps/broken/rust-copies-a-missing-binary.Dockerfile",
    ]);
    assert_eq!(code, 2);
    assert_eq!(failed_checks(&record), ["build"], "{record}");
    let build = &record["verification"]["migrated_build"];
    assert_eq!(build["ok"], false);
    assert!(
        build["failing_step"]
            .as_str()
            .is_some_and(|s| s.contains("COPY")),
        "{build}"
    );
    assert!(!build["log_tail"].as_array().unwrap().is_empty());
}

/// `migrate --verify --write` writes a migration only once it verified,
/// and the images msb built are gone afterwards.
#[test]
fn migrate_verify_write_writes_only_a_verified_migration() {
    if engine_ready().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&apps().join("go"), dir.path());
    let file = dir.path().join("Dockerfile");
    let before = std::fs::read_to_string(&file).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_msb"))
        .args(["migrate", "--write", "--verify", "--smoke-seconds", "3"])
        .arg(&file)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains(": verified"), "{stderr}");
    let after = std::fs::read_to_string(&file).unwrap();
    assert_ne!(before, after);
    assert!(after.contains("AS builder"));

    // A migration that does not verify is not written: the source no
    // longer compiles, so not even the original builds.
    std::fs::write(&file, &before).unwrap();
    std::fs::write(dir.path().join("main.go"), "package main\nfunc main() {").unwrap();
    let broken = before;
    let out = Command::new(env!("CARGO_BIN_EXE_msb"))
        .args(["migrate", "--write", "--verify", "--no-smoke"])
        .arg(&file)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("could not build the original"), "{stderr}");
    assert!(stderr.contains("not written"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), broken);
}

/// A folder holding `Dockerfile` (the original: a 3 MB file more, so
/// that the migration is smaller) and `Dockerfile.multi`, both on the
/// `debian:bookworm-slim` stand-in: builds of a few seconds.
fn small_pair(original_tail: &str, migrated_tail: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let original = format!(
        "FROM debian:bookworm-slim\nRUN touch /etc/app-ready && head -c 3000000 /dev/urandom > /bloat\n{original_tail}"
    );
    let migrated = format!(
        "FROM debian:bookworm-slim AS build\nRUN touch /etc/app-ready && head -c 3000000 /dev/urandom > /bloat\nFROM debian:bookworm-slim\n{migrated_tail}"
    );
    std::fs::write(dir.path().join("Dockerfile"), original).unwrap();
    std::fs::write(dir.path().join("Dockerfile.multi"), migrated).unwrap();
    dir
}

/// A HEALTHCHECK that cannot pass in the migrated image (the file it
/// tests stayed in the build stage; in real life, `curl` missing from a
/// slim base): the config is the same, the container runs, but the
/// check msb runs in each container passes only in the original.
#[test]
fn a_healthcheck_that_fails_only_in_the_migration_fails_the_smoke_run() {
    if engine_ready().is_none() {
        return;
    }
    let tail = "USER 1000\nHEALTHCHECK CMD [\"test\", \"-e\", \"/etc/app-ready\"]\nCMD [\"sleep\", \"300\"]\n";
    let dir = small_pair(tail, tail);
    let original = dir.path().join("Dockerfile");
    let migrated = dir.path().join("Dockerfile.multi");
    let (code, record, stderr) = verify_json(&[
        original.to_str().unwrap(),
        "--against",
        migrated.to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(failed_checks(&record), ["smoke"], "{record}");
    let smoke = &record["verification"]["smoke"];
    assert_eq!(smoke["original"]["health"]["passed"], true, "{smoke}");
    assert_eq!(smoke["migrated"]["health"]["passed"], false, "{smoke}");
}

/// An app that dies after eight seconds, with a port nothing listens on:
/// the same in both, and nothing answers in either, so inconclusive (not
/// failed). Both states are read at the same moment, not one after the
/// other's probes (which retry for seconds).
#[test]
fn an_app_that_dies_later_is_seen_alike_in_both() {
    if engine_ready().is_none() {
        return;
    }
    let tail = "USER 1000\nEXPOSE 9999\nCMD [\"sh\", \"-c\", \"sleep 8; exit 1\"]\n";
    let dir = small_pair(tail, tail);
    let original = dir.path().join("Dockerfile");
    let migrated = dir.path().join("Dockerfile.multi");
    let (code, record, stderr) = verify_json(&[
        original.to_str().unwrap(),
        "--against",
        migrated.to_str().unwrap(),
        "--smoke-seconds",
        "2",
    ]);
    let v = &record["verification"];
    assert_eq!(v["verdict"], "inconclusive", "{v}\n{stderr}");
    assert_eq!(code, 2);
    assert_eq!(
        v["inconclusive_reason"],
        "both containers run, but nothing answers on 9999/tcp in either"
    );
    assert_eq!(v["smoke"]["original"]["state"]["running"], true, "{v}");
    assert_eq!(v["smoke"]["migrated"]["state"]["running"], true, "{v}");
}

/// Without an engine the command says so, exit 2 (podman is not on this
/// machine kind; where it is, the test has nothing to show).
#[test]
fn verify_without_an_engine_says_so() {
    if Command::new("podman").arg("--version").output().is_ok() {
        eprintln!("SKIPPED: podman is installed here");
        return;
    }
    let out = msb(&["verify", "--engine", "podman", "tests/apps/go/Dockerfile"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("needs a running container engine") && stderr.contains("podman"),
        "{stderr}"
    );
}

/// `tests/apps/python-port`: a Cloud Run-style app that exits 1 at once
/// without PORT. Both containers exiting alike compared nothing: the
/// verdict is inconclusive, with a hint, exit 2, counted apart in the
/// report, never `verified`.
#[test]
fn an_app_without_the_port_it_needs_is_inconclusive() {
    if engine_ready().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let (code, record, stderr) = verify_json(&[
        "tests/apps/python-port/Dockerfile",
        "--report",
        report.to_str().unwrap(),
    ]);
    let v = &record["verification"];
    assert_eq!(v["verdict"], "inconclusive", "{v}\n{stderr}");
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(failed_checks(&record), Vec::<String>::new(), "{v}");
    assert_eq!(
        v["inconclusive_reason"], "both containers exited 1 at once",
        "{v}"
    );
    let hint = v["hint"].as_str().unwrap_or_default();
    assert!(hint.contains("--env PORT=8080"), "{hint}");
    assert!(hint.contains("--env-file"), "{hint}");
    assert_eq!(v["smoke"]["original"]["state"]["exit_code"], 1);
    assert!(
        ["buildkit", "classic"].contains(&v["builder"].as_str().unwrap_or_default()),
        "{v}"
    );
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(report["verification"]["inconclusive"], 1, "{report}");
    assert_eq!(report["verification"]["verified"], 0, "{report}");
}

/// The same app with `--env PORT=8080`: both containers listen, the port
/// answers HTTP 200 in both, verified.
#[test]
fn an_app_given_its_port_with_env_verifies() {
    if engine_ready().is_none() {
        return;
    }
    let (code, record, stderr) =
        verify_json(&["tests/apps/python-port/Dockerfile", "--env", "PORT=8080"]);
    let v = &record["verification"];
    assert_eq!(v["verdict"], "verified", "{v}\n{stderr}");
    assert_eq!(code, 0, "{stderr}");
    for run in ["original", "migrated"] {
        let port = &v["smoke"][run]["ports"][0];
        assert_eq!(port["port"], "8080/tcp", "{v}");
        assert_eq!(port["answer"]["kind"], "http", "{v}");
        assert_eq!(port["answer"]["status"], 200, "{v}");
    }
    assert_eq!(v["smoke"]["env"], serde_json::json!(["PORT"]));
    assert_eq!(v["hint"], Value::Null);
}

/// A worker that exits 1 unless its env file's MODE reaches it: without
/// the file, inconclusive (text output: the verdict and the hint); with
/// `--env-file`, both keep running, verified, and the report names the
/// variables but not their values.
#[test]
fn an_env_file_reaches_both_containers() {
    if engine_ready().is_none() {
        return;
    }
    let tail = "USER 1000\nCMD [\"sh\", \"-c\", \"[ \\\"$MODE\\\" = worker ] || { echo MODE is not set; exit 1; }; exec sleep 300\"]\n";
    let dir = small_pair(tail, tail);
    let original = dir.path().join("Dockerfile");
    let migrated = dir.path().join("Dockerfile.multi");
    let out = msb(&[
        "verify",
        original.to_str().unwrap(),
        "--against",
        migrated.to_str().unwrap(),
        "--smoke-seconds",
        "2",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    let first = stdout.lines().next().unwrap_or_default();
    assert!(
        first.ends_with(": inconclusive: both containers exited 1 at once"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "  hint      the app may need settings; try --env KEY=VALUE, --env-file FILE"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("| MODE is not set"), "{stdout}");

    let env_file = dir.path().join("worker.env");
    std::fs::write(
        &env_file,
        "# the worker's settings\nMODE=worker\nSECRET=s3cr3t\n",
    )
    .unwrap();
    let (code, record, stderr) = verify_json(&[
        original.to_str().unwrap(),
        "--against",
        migrated.to_str().unwrap(),
        "--smoke-seconds",
        "2",
        "--env-file",
        env_file.to_str().unwrap(),
    ]);
    let v = &record["verification"];
    assert_eq!(v["verdict"], "verified", "{v}\n{stderr}");
    assert_eq!(code, 0);
    assert_eq!(v["smoke"]["original"]["state"]["running"], true, "{v}");
    assert_eq!(v["smoke"]["env"], serde_json::json!(["MODE", "SECRET"]));
    assert!(!record.to_string().contains("s3cr3t"), "{record}");
    assert!(
        v["notes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n.as_str().unwrap_or_default().contains("a worker")),
        "{v}"
    );
}

/// `migrate --write --verify` does not write a migration whose
/// verification was inconclusive, and says why.
#[test]
fn migrate_verify_write_leaves_an_inconclusive_file_as_it_was() {
    if engine_ready().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&apps().join("go"), dir.path());
    // The server needs a setting it is not given: it exits 1 at once.
    std::fs::write(
        dir.path().join("main.go"),
        "package main\n\nimport (\n\t\"fmt\"\n\t\"os\"\n)\n\nfunc main() {\n\tif os.Getenv(\"DATABASE_URL\") == \"\" {\n\t\tfmt.Fprintln(os.Stderr, \"DATABASE_URL is not set\")\n\t\tos.Exit(1)\n\t}\n}\n",
    )
    .unwrap();
    let file = dir.path().join("Dockerfile");
    let before = std::fs::read_to_string(&file).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_msb"))
        .args(["migrate", "--write", "--verify", "--smoke-seconds", "3"])
        .arg(&file)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(": inconclusive: both containers exited 1"),
        "{stderr}"
    );
    assert!(
        stderr.contains("not written: the verification was inconclusive"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), before);
}

/// Usage errors, before any build (no engine needed): `--env` without a
/// value, a missing `--env-file`, for `verify` and `migrate --verify`.
#[test]
fn bad_env_flags_are_usage_errors() {
    for args in [
        &["verify", "--env", "PORT", "tests/apps/go/Dockerfile"][..],
        &[
            "migrate",
            "--verify",
            "--env",
            "PORT",
            "tests/apps/go/Dockerfile",
        ][..],
    ] {
        let out = msb(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("expected KEY=VALUE"), "{stderr}");
    }
    for args in [
        &[
            "verify",
            "--env-file",
            "no/such.env",
            "tests/apps/go/Dockerfile",
        ][..],
        &[
            "migrate",
            "--verify",
            "--env-file",
            "no/such.env",
            "tests/apps/go/Dockerfile",
        ][..],
    ] {
        let out = msb(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("--env-file no/such.env"), "{stderr}");
        assert!(!stderr.contains("building"), "{stderr}");
    }
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.env");
    std::fs::write(&bad, "MY VAR=1\n").unwrap();
    let out = msb(&[
        "verify",
        "--env-file",
        bad.to_str().unwrap(),
        "tests/apps/go/Dockerfile",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("line 1") && stderr.contains("whitespace"),
        "{stderr}"
    );
}

/// Whether `docker buildx version` answers here: None (and a visible
/// message) when it does not outside CI; a panic in CI, which installs
/// the plugin (`.ci/run`).
fn buildx_ready() -> Option<()> {
    let answer = Command::new("docker").args(["buildx", "version"]).output();
    let why = match answer {
        Ok(out) if out.status.success() => return Some(()),
        Ok(out) => String::from_utf8_lossy(&out.stderr)
            .lines()
            .next()
            .unwrap_or_default()
            .to_string(),
        Err(e) => e.to_string(),
    };
    if common::in_ci() {
        panic!("CI installs the docker buildx plugin, but `docker buildx version` fails: {why}");
    }
    eprintln!("SKIPPED BuildKit test (outside CI): `docker buildx version` fails: {why}");
    None
}

/// `RUN --mount=type=cache` builds with BuildKit, which msb uses where
/// buildx answers; the record says which builder built both images.
#[test]
fn buildkit_builds_run_mount() {
    if engine_ready().is_none() || buildx_ready().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let step = "RUN --mount=type=cache,target=/var/cache/msb-test touch /var/cache/msb-test/x /etc/app-ready\n";
    std::fs::write(
        dir.path().join("Dockerfile"),
        format!("FROM debian:bookworm-slim\n{step}RUN head -c 3000000 /dev/urandom > /bloat\nUSER 1000\nCMD [\"sleep\", \"300\"]\n"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("Dockerfile.multi"),
        format!("FROM debian:bookworm-slim AS build\nRUN head -c 3000000 /dev/urandom > /bloat\nFROM debian:bookworm-slim\n{step}USER 1000\nCMD [\"sleep\", \"300\"]\n"),
    )
    .unwrap();
    let (code, record, stderr) = verify_json(&[
        dir.path().join("Dockerfile").to_str().unwrap(),
        "--against",
        dir.path().join("Dockerfile.multi").to_str().unwrap(),
        "--smoke-seconds",
        "2",
    ]);
    let v = &record["verification"];
    assert_eq!(v["builder"], "buildkit", "{v}");
    assert_eq!(v["verdict"], "verified", "{v}\n{stderr}");
    assert_eq!(code, 0);
    let id = v["original_build"]["image_id"].as_str().unwrap_or_default();
    assert!(id.starts_with("sha256:"), "{v}");
}

/// The classic builder cannot build `RUN --mount` or a heredoc: the
/// verdict says so plainly, not "does not build" alone.
#[test]
fn the_classic_builder_names_what_it_cannot_build() {
    if engine_ready().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "FROM debian:bookworm-slim\nRUN --mount=type=cache,target=/c true\n",
            "could not build the original: this engine's classic builder does not support RUN --mount (line 2)",
        ),
        (
            "FROM debian:bookworm-slim\nRUN <<EOF\nset -e\ntrue\nEOF\n",
            "could not build the original: this engine's builder does not support heredocs (RUN <<EOF, line 2)",
        ),
    ];
    for (i, (text, said)) in cases.iter().enumerate() {
        let file = dir.path().join(format!("Dockerfile.{i}"));
        std::fs::write(&file, text).unwrap();
        let out = msb(&[
            "verify",
            "--build-with",
            "classic",
            file.to_str().unwrap(),
            "--against",
            file.to_str().unwrap(),
        ]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(2), "{stdout}");
        let first = stdout.lines().next().unwrap_or_default();
        assert!(first.ends_with(said), "{stdout}");
        assert!(stdout.contains("  builder   classic"), "{stdout}");
        assert!(stdout.contains("  hint      "), "{stdout}");
    }
}

/// `--builder NAME` naming no buildx builder is a usage error said once,
/// before anything is built, with the name in it; `migrate --verify`
/// shares the check.
#[test]
fn an_unknown_builder_is_refused_before_any_build() {
    if engine_ready().is_none() || buildx_ready().is_none() {
        return;
    }
    let name = format!("msb-no-such-builder-{}", std::process::id());
    for args in [
        vec!["verify", "--builder", &name, "tests/apps/go/Dockerfile"],
        vec![
            "migrate",
            "--verify",
            "--check",
            "--builder",
            &name,
            "tests/apps/go/Dockerfile",
        ],
    ] {
        let out = msb(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains(&format!("--builder {name}: no buildx builder")),
            "{args:?}: {stderr}"
        );
        // Every build is announced on stderr first: none was.
        assert!(!stderr.contains("building"), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

/// buildx's `default` builder (the docker driver, there whenever buildx
/// is) builds through `docker buildx build --builder default --load`,
/// and the record names it.
#[test]
fn the_default_buildx_builder_builds() {
    if engine_ready().is_none() || buildx_ready().is_none() {
        return;
    }
    let (code, record, stderr) = verify_json(&[
        "--builder",
        "default",
        "--smoke-seconds",
        "2",
        "tests/apps/go/Dockerfile",
    ]);
    let v = &record["verification"];
    assert_eq!(v["verdict"], "verified", "{v}\n{stderr}");
    assert_eq!(v["builder"], "buildkit", "{v}");
    assert_eq!(v["buildx_builder"], "default", "{v}");
    assert_eq!(code, 0, "{stderr}");
    let id = v["migrated_build"]["image_id"].as_str().unwrap_or_default();
    assert!(id.starts_with("sha256:"), "{v}");
}

/// A final stage's base that the local engine lacks (a remote builder
/// pulled it) is loaded as `FROM base` through the builder: the loaded
/// image has the base's config, which the comparison needs. On the
/// docker driver the base is local, so the call is made directly here.
#[test]
fn a_base_loaded_through_the_builder_has_the_bases_config() {
    if engine_ready().is_none() || buildx_ready().is_none() {
        return;
    }
    let mut engine = msb::engine::Engine::new("docker");
    engine.set_buildx_builder("default");
    let tag = format!("msb-verify:{}-load-test-base", std::process::id());
    let build = engine.load_image("debian:bookworm-slim", &tag).unwrap();
    assert!(build.ok, "{}", build.log);
    let loaded = engine.inspect_image(&tag);
    let base = engine.inspect_image("debian:bookworm-slim").unwrap();
    engine.remove_image(&tag);
    assert_eq!(loaded.unwrap().config, base.config);
    // The base itself stays.
    assert!(engine.inspect_image("debian:bookworm-slim").is_ok());
}

/// The records of a JSON report that do not change from one run to the
/// next (not the build times).
fn stable_records(report: &Value) -> Vec<Value> {
    report["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let v = &r["verification"];
            serde_json::json!({
                "path": r["path"],
                "status": r["status"],
                "reason": r["reason"],
                "verdict": v["verdict"],
                "failed_checks": v["failed_checks"],
                "problems": v["problems"],
                "notes": v["notes"],
                "config": v["config"],
            })
        })
        .collect()
}

/// `--jobs 2` verifies two sample apps at once, with the same verdicts,
/// the same stdout order, the same report and the same closing line as
/// `--jobs 1`; an already multi-stage file among them keeps its place.
#[test]
fn verify_jobs_two_gives_what_jobs_one_gives() {
    if engine_ready().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&apps().join("go"), &dir.path().join("a-go"));
    copy_dir(&apps().join("node"), &dir.path().join("b-node"));
    let done = dir.path().join("c-done");
    std::fs::create_dir(&done).unwrap();
    std::fs::write(
        done.join("Dockerfile"),
        "FROM debian:bookworm AS build\nRUN true\nFROM debian:bookworm-slim\nUSER 1000\n",
    )
    .unwrap();
    let run = |jobs: &str| {
        let report = dir.path().join(format!("report-{jobs}.json"));
        let out = msb(&[
            "verify",
            "--jobs",
            jobs,
            "--smoke-seconds",
            "2",
            "--format",
            "json",
            "--report",
            report.to_str().unwrap(),
            dir.path().to_str().unwrap(),
        ]);
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let report: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap())
            .unwrap_or_else(|e| panic!("--jobs {jobs}: no report ({e}): {stderr}"));
        let printed: Vec<String> = stdout
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap()["path"].to_string())
            .collect();
        // Progress lines come as the builds go; the rest is in order.
        let messages: Vec<String> = stderr
            .lines()
            .filter(|l| !l.ends_with("..."))
            .map(String::from)
            .collect();
        (out.status.code(), printed, messages, report, stderr)
    };
    let (code1, printed1, messages1, report1, stderr1) = run("1");
    let (code2, printed2, messages2, report2, stderr2) = run("2");
    let verdicts: Vec<Value> = stable_records(&report1)
        .iter()
        .map(|r| r["verdict"].clone())
        .collect();
    assert_eq!(
        verdicts,
        [
            Value::from("verified"),
            Value::from("verified"),
            Value::Null
        ],
        "{stderr1}"
    );
    assert_eq!(code1, Some(0), "{stderr1}");
    assert_eq!(code2, code1, "{stderr2}");
    assert_eq!(printed2, printed1);
    assert_eq!(messages2, messages1, "{stderr2}");
    assert_eq!(stable_records(&report2), stable_records(&report1));
    assert_eq!(report2["summary"], report1["summary"]);
    assert_eq!(report2["verification"], report1["verification"]);
    let closing = messages1.last().cloned().unwrap_or_default();
    assert!(
        closing.starts_with("msb: 2 verified, 0 inconclusive, 0 failed"),
        "{stderr1}"
    );
}

/// `--builder` with flags it cannot go with, and `--jobs 0`, are usage
/// errors before the engine is asked anything (no engine needed here).
#[test]
fn builder_and_jobs_flags_that_cannot_work_are_usage_errors() {
    let cases: [(&[&str], &str); 4] = [
        (
            &["verify", "--builder", "farm", "--build-with", "classic"],
            "--builder farm: a buildx builder builds with BuildKit, not --build-with classic",
        ),
        (
            &["verify", "--builder", "farm", "--engine", "podman"],
            "--builder farm: podman builds with its own builder",
        ),
        (
            &[
                "migrate",
                "--verify",
                "--builder",
                "farm",
                "--engine",
                "podman",
            ],
            "--builder farm: podman builds with its own builder",
        ),
        (
            &["verify", "--jobs", "0"],
            "invalid value '0' for '--jobs <N>'",
        ),
    ];
    for (args, said) in cases {
        let mut all = args.to_vec();
        all.push("tests/apps/go/Dockerfile");
        let out = msb(&all);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(said), "{args:?}: {stderr}");
        assert!(!stderr.contains("building"), "{args:?}: {stderr}");
    }
}

/// `--builder` where the docker CLI has no buildx plugin: exit 2 before
/// any build. The plugin is hidden with an empty `DOCKER_CONFIG` (where
/// scripts/install-buildx puts it); a machine with a system-wide plugin
/// cannot hide it and skips.
#[test]
fn a_builder_without_buildx_is_refused_before_any_build() {
    if engine_ready().is_none() {
        return;
    }
    let config = tempfile::tempdir().unwrap();
    let hidden = Command::new("docker")
        .args(["buildx", "version"])
        .env("DOCKER_CONFIG", config.path())
        .output()
        .is_ok_and(|o| !o.status.success());
    if !hidden {
        eprintln!(
            "SKIPPED: the buildx plugin is installed system-wide; an empty DOCKER_CONFIG does not hide it"
        );
        return;
    }
    let out = Command::new(env!("CARGO_BIN_EXE_msb"))
        .args(["verify", "--builder", "default", "tests/apps/go/Dockerfile"])
        .env("DOCKER_CONFIG", config.path())
        .current_dir(common::root())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--builder default: the docker buildx plugin does not answer"),
        "{stderr}"
    );
    assert!(!stderr.contains("building"), "{stderr}");
}
