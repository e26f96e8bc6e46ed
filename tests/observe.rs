//! `msb migrate --observe` and `msb explain --observe` end to end, on the
//! local engine: a vendor's install script msb cannot read is skipped
//! without `--observe`; with it, the original is built with the classic
//! builder, and what the script's layer holds decides. The migration
//! carries the tool it installed (and BuildKit's parser reads it; the
//! migrated image runs it); a script that links its tool onto PATH keeps
//! the skip, with the link named.
//!
//! The engine reaches no registry: the base images are the stand-ins of
//! `scripts/standin-images`. Outside CI, a machine without an engine or
//! the stand-ins skips these tests with a message; in CI they must run.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const STANDINS: [&str; 2] = ["python:3.11", "python:3.11-slim"];

fn engine_ready() -> Option<()> {
    common::engine_ready(&STANDINS, "msb --observe end-to-end tests")
}

/// A copy of the skip fixture `case` in a temporary folder, as `app/`.
fn app(case: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path().join("app");
    common::copy_dir(&common::fixture(&format!("skip/{case}")), &app);
    (dir, app)
}

fn msb(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_msb"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("running msb")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Builds `dockerfile` in `context` with the classic builder (buildx may
/// be missing) and runs the image's command; its output.
fn build_and_run(dockerfile: &Path, context: &Path, tag: &str) -> String {
    let build = Command::new("docker")
        .env("DOCKER_BUILDKIT", "0")
        .arg("build")
        .arg("-q")
        .arg("-f")
        .arg(dockerfile)
        .args(["-t", tag])
        .arg(context)
        .output()
        .unwrap();
    assert!(
        build.status.success(),
        "building the migration: {}",
        text(&build.stderr)
    );
    let run = Command::new("docker")
        .args(["run", "--rm", tag])
        .output()
        .unwrap();
    let _ = Command::new("docker")
        .args(["image", "rm", "-f", tag])
        .output();
    assert!(run.status.success(), "running it: {}", text(&run.stderr));
    text(&run.stdout)
}

#[test]
fn an_observed_install_script_migrates_with_the_tool_it_installed() {
    if engine_ready().is_none() {
        return;
    }
    let (dir, app) = app("python-vendor-installer-script");
    let original = std::fs::read_to_string(app.join("Dockerfile")).unwrap();

    // Without --observe: the script is opaque, the file is skipped.
    let out = msb(dir.path(), &["migrate", "--stdout", "app/Dockerfile"]);
    assert_eq!(text(&out.stdout), original);
    assert!(
        text(&out.stderr).contains(
            "skipped: RUN runs `sh`: cannot tell whether the runtime needs what it makes"
        ),
        "{}",
        text(&out.stderr)
    );

    // With it: the tool and the settings the script made are carried.
    let out = msb(
        dir.path(),
        &["migrate", "--observe", "--stdout", "app/Dockerfile"],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let migrated = text(&out.stdout);
    assert!(
        migrated.contains(
            "COPY --from=builder /usr/local/bin/report-tool /usr/local/bin/report-tool\n"
        ),
        "{migrated}\n{stderr}"
    );
    assert!(
        migrated.contains("COPY --from=builder --chown=10001:10001 /app /app\n"),
        "{migrated}"
    );
    let written = app.join("Dockerfile.observed");
    std::fs::write(&written, &migrated).unwrap();
    if let Some(verdicts) = common::parse_oracle(&[written.as_path()]) {
        assert_eq!(verdicts[0].parse_error, None, "{migrated}");
        let froms = verdicts[0]
            .instructions
            .iter()
            .filter(|i| i.cmd() == "FROM")
            .count();
        assert_eq!(froms, 2, "{migrated}");
    }

    // explain says what the engine saw.
    let out = msb(dir.path(), &["explain", "--observe", "app/Dockerfile"]);
    let explained = text(&out.stdout);
    assert!(
        explained.contains(
            "observed on the engine: RUN at line 6 wrote /app/settings/, /usr/local/bin/report-tool"
        ),
        "{explained}\n{}",
        text(&out.stderr)
    );
    assert!(
        explained.contains(
            "/usr/local/bin/report-tool  (line 6: the engine saw the RUN write it (--observe))"
        ),
        "{explained}"
    );

    // The migrated image has what the app needs: it runs.
    let tag = format!("msb-observe-test-{}", std::process::id());
    let said = build_and_run(&written, &app, &tag);
    assert_eq!(said, "hello\nreport-tool 2.4: daily\n");
}

#[test]
fn an_observed_link_outside_the_copied_folders_keeps_the_skip() {
    if engine_ready().is_none() {
        return;
    }
    let (dir, app) = app("python-vendor-installer-links-tool");
    let original = std::fs::read_to_string(app.join("Dockerfile")).unwrap();
    let out = msb(
        dir.path(),
        &["migrate", "--observe", "--stdout", "app/Dockerfile"],
    );
    assert_eq!(text(&out.stdout), original);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(
            "msb: app/Dockerfile:5: skipped: observed on the engine: RUN at line 5 makes a link at /usr/local/bin/report-tool, outside what the runtime stage gets (--unsafe migrates it anyway)"
        ),
        "{stderr}"
    );
}
