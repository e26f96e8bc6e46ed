//! The command line as a user meets it: the built `msb` binary run on
//! temporary copies of the fixtures (with their build contexts), checking
//! exit codes, stdout, stderr and what ends up on disk.

mod common;

use common::{copy_dir, fixture};

use std::ffi::OsStr;
use std::fs;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_msb");
const BOM: &[u8] = b"\xef\xbb\xbf";

const PY_SEED: &str = "python/seed-requirements-main-py";
const PY_CRLF: &str = "python/crlf-syntax-arg-before-from";
const GO_SEED: &str = "go/seed-alpine-cgo-disabled";
const GO_ENTRYPOINT_SCRIPT: &str = "go/lowercase-entrypoint-script";
const SKIP_NGINX: &str = "skip/nginx-static-dist";
const ERR_TYPO: &str = "error/unknown-instruction-typo";

// ---------------------------------------------------------------- helpers

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// The case folders of one fixture group (`skip`, `error`, ...), sorted.
fn cases(group: &str) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(fixtures().join(group))
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.path().join("Dockerfile").is_file())
        .map(|e| format!("{group}/{}", e.file_name().to_string_lossy()))
        .collect();
    names.sort();
    assert!(!names.is_empty(), "no fixtures in {group}");
    names
}

/// A temporary folder; `root` is canonical so it matches what msb sees as
/// its working directory.
struct Tmp {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl Tmp {
    fn new() -> Tmp {
        let dir = tempfile::tempdir().unwrap();
        let root = fs::canonicalize(dir.path()).unwrap();
        Tmp { _dir: dir, root }
    }

    /// Copy a fixture folder (Dockerfile and build context) to `root/name`.
    fn add(&self, fixture_rel: &str, name: &str) -> PathBuf {
        let dest = self.root.join(name);
        copy_dir(&fixture(fixture_rel), &dest);
        dest
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    fn read(&self, rel: &str) -> Vec<u8> {
        fs::read(self.path(rel)).unwrap()
    }

    fn write(&self, rel: &str, bytes: &[u8]) {
        let p = self.path(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, bytes).unwrap();
    }

    /// Run msb with this folder as the working directory.
    fn msb<S: AsRef<OsStr>>(&self, args: &[S]) -> Run {
        msb_in(&self.root, args, &[])
    }

    fn msb_env<S: AsRef<OsStr>>(&self, args: &[S], env: &[(&str, &str)]) -> Run {
        msb_in(&self.root, args, env)
    }
}

#[derive(Debug)]
struct Run {
    code: i32,
    stdout: Vec<u8>,
    stderr: String,
}

impl Run {
    fn out(&self) -> String {
        String::from_utf8(self.stdout.clone()).expect("stdout is UTF-8")
    }

    #[track_caller]
    fn expect_code(&self, code: i32) -> &Run {
        assert_eq!(
            self.code,
            code,
            "exit code\n--- stdout:\n{}\n--- stderr:\n{}",
            String::from_utf8_lossy(&self.stdout),
            self.stderr
        );
        self
    }

    #[track_caller]
    fn expect_no_stdout(&self) -> &Run {
        assert!(
            self.stdout.is_empty(),
            "expected nothing on stdout, got:\n{}",
            String::from_utf8_lossy(&self.stdout)
        );
        self
    }

    #[track_caller]
    fn expect_stderr_line(&self, line: &str) -> &Run {
        assert!(
            self.stderr.lines().any(|l| l == line),
            "expected the stderr line\n  {line}\ngot:\n{}",
            self.stderr
        );
        self
    }

    #[track_caller]
    fn expect_stderr_has(&self, part: &str) -> &Run {
        assert!(
            self.stderr.contains(part),
            "expected stderr to contain\n  {part}\ngot:\n{}",
            self.stderr
        );
        self
    }

    /// The stderr lines that start with `prefix`.
    fn stderr_lines_starting(&self, prefix: &str) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|l| l.starts_with(prefix))
            .collect()
    }

    /// The stdout parsed as JSON lines.
    fn json_lines(&self) -> Vec<Value> {
        self.out()
            .lines()
            .map(|l| {
                serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}"))
            })
            .collect()
    }
}

fn msb_in<S: AsRef<OsStr>>(cwd: &Path, args: &[S], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(BIN);
    cmd.args(args).current_dir(cwd).env_remove("NO_COLOR");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("running msb");
    Run {
        code: out.status.code().expect("msb was killed by a signal"),
        stdout: out.stdout,
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    }
}

/// The bytes `msb migrate --write` makes of a fixture, on a fresh copy.
fn written_by_msb(fixture_rel: &str) -> Vec<u8> {
    let t = Tmp::new();
    t.add(fixture_rel, "app");
    t.msb(&["migrate", "--write", "app/Dockerfile"])
        .expect_code(0);
    let out = t.read("app/Dockerfile");
    assert_ne!(
        out,
        fs::read(fixture(fixture_rel).join("Dockerfile")).unwrap(),
        "{fixture_rel} should be migrated"
    );
    out
}

/// Run an external tool with `stdin` fed in; None if it is not installed.
fn run_tool(
    program: &str,
    args: &[&str],
    cwd: &Path,
    stdin: &[u8],
) -> Option<std::process::Output> {
    let child = Command::new(program)
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) if e.kind() == ErrorKind::NotFound => return None,
        Err(e) => panic!("running {program}: {e}"),
    };
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    Some(child.wait_with_output().unwrap())
}

fn has_bare_lf(bytes: &[u8]) -> bool {
    bytes
        .iter()
        .enumerate()
        .any(|(i, b)| *b == b'\n' && (i == 0 || bytes[i - 1] != b'\r'))
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

// ---------------------------------------------------------------- diff (default)

#[test]
fn diff_is_the_default_with_relative_headers_and_leaves_the_file_alone() {
    let t = Tmp::new();
    t.add(PY_SEED, "app");
    let before = t.read("app/Dockerfile");

    let run = t.msb(&["migrate", "app/Dockerfile"]);
    run.expect_code(0);
    let out = run.out();
    assert!(
        out.starts_with("--- a/app/Dockerfile\n+++ b/app/Dockerfile\n@@ "),
        "diff headers:\n{out}"
    );
    assert!(out.contains("\n-FROM python:3.11\n"), "{out}");
    assert!(out.contains("\n+FROM python:3.11 AS builder\n"), "{out}");
    assert!(out.contains("\n+FROM python:3.11-slim\n"), "{out}");
    let status = run.stderr_lines_starting("msb: app/Dockerfile: would migrate (");
    assert_eq!(status.len(), 1, "{}", run.stderr);
    assert!(
        status[0].starts_with(
            "msb: app/Dockerfile: would migrate (Python, final stage FROM python:3.11-slim"
        ),
        "{}",
        status[0]
    );
    assert_eq!(
        t.read("app/Dockerfile"),
        before,
        "diff mode must not touch the file"
    );

    // `--diff` is the same thing, spelled out; `./` is not part of the name.
    let explicit = t.msb(&["migrate", "--diff", "./app/Dockerfile"]);
    explicit.expect_code(0);
    assert_eq!(explicit.out(), out);
    assert_eq!(t.read("app/Dockerfile"), before);
}

#[test]
fn default_path_is_the_current_folder() {
    let t = Tmp::new();
    t.add(PY_SEED, "app");
    let run = t.msb::<&str>(&["migrate"]);
    run.expect_code(0);
    assert!(
        run.out()
            .starts_with("--- a/app/Dockerfile\n+++ b/app/Dockerfile\n"),
        "{}",
        run.out()
    );
    assert_eq!(
        run.stderr_lines_starting("msb: app/Dockerfile: would migrate")
            .len(),
        1,
        "{}",
        run.stderr
    );
}

/// The diff msb prints, applied by `patch -p1` and by `git apply`, gives
/// exactly the bytes `--write` gives.
fn diff_applies_like_write(fixture_rel: &str) {
    let expected = written_by_msb(fixture_rel);

    let t = Tmp::new();
    t.add(fixture_rel, "app");
    let run = t.msb(&["migrate", "--diff", "app/Dockerfile"]);
    run.expect_code(0);
    assert!(!run.stdout.is_empty());

    // patch -p1
    let p = Tmp::new();
    p.add(fixture_rel, "app");
    match run_tool(
        "patch",
        &["-p1", "--batch", "--no-backup-if-mismatch"],
        &p.root,
        &run.stdout,
    ) {
        None => eprintln!(
            "SKIPPED: `patch` is not installed; the patch -p1 check of {fixture_rel} did not run"
        ),
        Some(o) => {
            assert!(
                o.status.success(),
                "patch -p1 failed on {fixture_rel}:\n{}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            );
            let got = p.read("app/Dockerfile");
            assert!(
                got == expected,
                "patch -p1 result differs from --write for {fixture_rel}:\n--- patch:\n{:?}\n--- write:\n{:?}",
                String::from_utf8_lossy(&got),
                String::from_utf8_lossy(&expected)
            );
        }
    }

    // git apply, in a fresh repository so no surrounding repo or config
    // (autocrlf) changes what it does.
    let g = Tmp::new();
    g.add(fixture_rel, "app");
    match run_tool("git", &["init", "-q"], &g.root, b"") {
        None => eprintln!(
            "SKIPPED: `git` is not installed; the git apply check of {fixture_rel} did not run"
        ),
        Some(init) => {
            assert!(
                init.status.success(),
                "git init: {}",
                String::from_utf8_lossy(&init.stderr)
            );
            let o = run_tool(
                "git",
                &[
                    "-c",
                    "core.autocrlf=false",
                    "-c",
                    "core.safecrlf=false",
                    "apply",
                    "-",
                ],
                &g.root,
                &run.stdout,
            )
            .unwrap();
            assert!(
                o.status.success(),
                "git apply failed on {fixture_rel}:\n{}",
                String::from_utf8_lossy(&o.stderr)
            );
            let got = g.read("app/Dockerfile");
            assert!(
                got == expected,
                "git apply result differs from --write for {fixture_rel}:\n--- git apply:\n{:?}\n--- write:\n{:?}",
                String::from_utf8_lossy(&got),
                String::from_utf8_lossy(&expected)
            );
        }
    }
}

#[test]
fn diff_applies_with_patch_and_git_apply_lf() {
    diff_applies_like_write(PY_SEED);
}

#[test]
fn diff_applies_with_patch_and_git_apply_crlf_without_final_newline() {
    let original = fs::read(fixture(PY_CRLF).join("Dockerfile")).unwrap();
    assert!(!original.ends_with(b"\n") && original.windows(2).any(|w| w == b"\r\n"));
    diff_applies_like_write(PY_CRLF);
}

// ---------------------------------------------------------------- --check

#[test]
fn check_exits_1_before_write_and_0_after() {
    let t = Tmp::new();
    t.add(PY_SEED, "app");
    let before = t.read("app/Dockerfile");

    let run = t.msb(&["migrate", "--check", "app/Dockerfile"]);
    run.expect_code(1).expect_no_stdout();
    assert_eq!(
        run.stderr_lines_starting("msb: app/Dockerfile: would migrate (")
            .len(),
        1,
        "{}",
        run.stderr
    );
    assert_eq!(t.read("app/Dockerfile"), before, "--check must not write");

    t.msb(&["migrate", "--write", "app/Dockerfile"])
        .expect_code(0);
    assert_ne!(t.read("app/Dockerfile"), before);

    t.msb(&["migrate", "--check", "app/Dockerfile"])
        .expect_code(0)
        .expect_no_stdout();
}

#[test]
fn check_with_diff_prints_the_diff_and_exits_1() {
    let t = Tmp::new();
    t.add(PY_SEED, "app");
    let plain = t.msb(&["migrate", "app/Dockerfile"]);
    plain.expect_code(0);
    let run = t.msb(&["migrate", "--check", "--diff", "app/Dockerfile"]);
    run.expect_code(1);
    assert!(!run.stdout.is_empty());
    assert_eq!(run.out(), plain.out());
}

#[test]
fn check_on_a_skipped_file_exits_0() {
    let t = Tmp::new();
    t.add(SKIP_NGINX, "app");
    t.msb(&["migrate", "--check", "app/Dockerfile"])
        .expect_code(0)
        .expect_no_stdout();
}

// ---------------------------------------------------------------- --write

#[test]
fn write_rewrites_once_and_a_second_write_changes_nothing() {
    let t = Tmp::new();
    t.add(PY_SEED, "app");
    let before = t.read("app/Dockerfile");
    let expected_diff = t.msb(&["migrate", "app/Dockerfile"]).out();

    let run = t.msb(&["migrate", "--write", "app/Dockerfile"]);
    run.expect_code(0).expect_no_stdout();
    assert_eq!(
        run.stderr_lines_starting("msb: app/Dockerfile: migrated (Python")
            .len(),
        1,
        "{}",
        run.stderr
    );
    let after = t.read("app/Dockerfile");
    assert_ne!(after, before);
    let text = String::from_utf8(after.clone()).unwrap();
    assert!(text.starts_with("FROM python:3.11 AS builder\n"), "{text}");
    assert!(text.contains("\nFROM python:3.11-slim\n"), "{text}");
    assert!(!expected_diff.is_empty());

    // Atomic write: no temporary file left next to it.
    let leftovers: Vec<String> = fs::read_dir(t.path("app"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".msb-") || n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "left behind: {leftovers:?}");

    let again = t.msb(&["migrate", "--write", "app/Dockerfile"]);
    again.expect_code(0).expect_no_stdout();
    assert_eq!(
        t.read("app/Dockerfile"),
        after,
        "the second --write changed the file"
    );
    let skipped = again.stderr_lines_starting("msb: app/Dockerfile:");
    assert!(
        skipped
            .iter()
            .any(|l| l.contains(": unchanged: already multi-stage")),
        "{}",
        again.stderr
    );
    assert!(!again.stderr.contains(": migrated ("), "{}", again.stderr);
}

#[cfg(unix)]
#[test]
fn write_keeps_mode_bits() {
    let t = Tmp::new();
    t.add(PY_SEED, "app");
    let p = t.path("app/Dockerfile");
    set_mode(&p, 0o640);
    let before = t.read("app/Dockerfile");
    t.msb(&["migrate", "--write", "app/Dockerfile"])
        .expect_code(0);
    assert_ne!(t.read("app/Dockerfile"), before);
    assert_eq!(mode(&p), 0o640, "mode bits after --write: {:o}", mode(&p));
}

#[test]
fn write_keeps_crlf_and_a_missing_final_newline() {
    let t = Tmp::new();
    t.add(PY_CRLF, "app");
    let before = t.read("app/Dockerfile");
    assert!(!has_bare_lf(&before) && !before.ends_with(b"\n"));

    t.msb(&["migrate", "--write", "app/Dockerfile"])
        .expect_code(0);
    let after = t.read("app/Dockerfile");
    assert_ne!(after, before);
    let text = String::from_utf8_lossy(&after);
    assert!(
        !has_bare_lf(&after),
        "a bare \\n in the CRLF output:\n{text:?}"
    );
    assert!(
        !after.ends_with(b"\n"),
        "the output gained a final newline:\n{text:?}"
    );
    assert!(
        text.starts_with("# syntax=docker/dockerfile:1\r\nARG PYTHON_VERSION=3.11\r\n"),
        "{text:?}"
    );
    assert!(
        text.contains("\r\nFROM python:${PYTHON_VERSION}-slim\r\n"),
        "{text:?}"
    );
    assert!(
        text.ends_with("CMD [\"waitress-serve\", \"--listen=*:8080\", \"reports.app:app\"]"),
        "{text:?}"
    );
}

#[test]
fn write_and_stdout_keep_a_utf8_bom() {
    let plain = written_by_msb(PY_SEED);

    let t = Tmp::new();
    t.add(PY_SEED, "app");
    let mut with_bom = BOM.to_vec();
    with_bom.extend(t.read("app/Dockerfile"));
    t.write("app/Dockerfile", &with_bom);

    let stdout = t.msb(&["migrate", "--stdout", "app/Dockerfile"]);
    stdout.expect_code(0);
    t.msb(&["migrate", "--write", "app/Dockerfile"])
        .expect_code(0);
    let after = t.read("app/Dockerfile");
    assert!(
        after.starts_with(BOM),
        "BOM lost: {:?}",
        String::from_utf8_lossy(&after[..20])
    );
    assert!(!after[3..].starts_with(BOM), "BOM doubled");
    assert_eq!(
        &after[3..],
        &plain[..],
        "with a BOM the migration must be the same apart from the BOM"
    );
    assert_eq!(
        stdout.stdout, after,
        "--stdout and --write differ for a file with a BOM"
    );
}

#[cfg(unix)]
#[test]
fn write_through_a_symlink_keeps_the_link_and_changes_the_target() {
    let expected = written_by_msb(PY_SEED);
    let t = Tmp::new();
    t.add(PY_SEED, "app");
    fs::rename(t.path("app/Dockerfile"), t.path("app/real-file")).unwrap();
    std::os::unix::fs::symlink("real-file", t.path("app/Dockerfile")).unwrap();

    t.msb(&["migrate", "--write", "app/Dockerfile"])
        .expect_code(0);
    let link = t.path("app/Dockerfile");
    assert!(
        fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink(),
        "the symlink was replaced by a file"
    );
    assert_eq!(fs::read_link(&link).unwrap(), Path::new("real-file"));
    assert_eq!(t.read("app/real-file"), expected);
}

#[cfg(unix)]
#[test]
fn read_only_file_is_refused_even_for_root() {
    let t = Tmp::new();
    t.add(PY_SEED, "app");
    let p = t.path("app/Dockerfile");
    let before = t.read("app/Dockerfile");
    set_mode(&p, 0o444);

    let run = t.msb(&["migrate", "--write", "app/Dockerfile"]);
    run.expect_code(2).expect_no_stdout();
    let errors = run.stderr_lines_starting("msb: app/Dockerfile: ");
    assert!(
        errors.iter().any(|l| l.contains("read-only")),
        "no message naming the file as read-only:\n{}",
        run.stderr
    );
    assert_eq!(
        t.read("app/Dockerfile"),
        before,
        "a read-only file was rewritten"
    );
    assert_eq!(mode(&p), 0o444);
}

#[cfg(unix)]
#[test]
fn a_failed_write_is_not_reported_as_migrated() {
    let t = Tmp::new();
    t.add(PY_SEED, "app");
    set_mode(&t.path("app/Dockerfile"), 0o444);
    let run = t.msb(&["migrate", "--write", "app/Dockerfile"]);
    run.expect_code(2);
    assert!(
        run.stderr_lines_starting("msb: app/Dockerfile: migrated")
            .is_empty(),
        "stderr claims the file was migrated although the write was refused:\n{}",
        run.stderr
    );
}

// ---------------------------------------------------------------- --stdout

#[test]
fn stdout_prints_what_write_would_write() {
    let expected = written_by_msb(PY_SEED);
    let t = Tmp::new();
    t.add(PY_SEED, "app");
    let before = t.read("app/Dockerfile");
    let run = t.msb(&["migrate", "--stdout", "app/Dockerfile"]);
    run.expect_code(0);
    assert_eq!(run.out(), String::from_utf8(expected).unwrap());
    assert_eq!(t.read("app/Dockerfile"), before, "--stdout must not write");

    let crlf = written_by_msb(PY_CRLF);
    let t = Tmp::new();
    t.add(PY_CRLF, "app");
    let run = t.msb(&["migrate", "--stdout", "app/Dockerfile"]);
    run.expect_code(0);
    assert_eq!(
        run.stdout, crlf,
        "--stdout of the CRLF fixture differs from --write"
    );
}

#[test]
fn stdout_on_a_skipped_file_prints_it_unchanged() {
    let t = Tmp::new();
    t.add(SKIP_NGINX, "app");
    let before = t.read("app/Dockerfile");
    let run = t.msb(&["migrate", "--stdout", "app/Dockerfile"]);
    run.expect_code(0);
    assert_eq!(run.stdout, before);
    assert_eq!(
        run.stderr_lines_starting("msb: app/Dockerfile:1: skipped: ")
            .len(),
        1,
        "{}",
        run.stderr
    );
}

#[test]
fn stdout_takes_exactly_one_file() {
    let t = Tmp::new();
    t.add(PY_SEED, "py");
    t.add(GO_SEED, "go");
    let py = t.read("py/Dockerfile");

    let run = t.msb(&["migrate", "--stdout", "py/Dockerfile", "go/Dockerfile"]);
    run.expect_code(2).expect_no_stdout();
    run.expect_stderr_has("--stdout");
    assert_eq!(t.read("py/Dockerfile"), py);

    // A folder holding two Dockerfiles is two files too.
    fs::copy(t.path("py/Dockerfile"), t.path("py/Dockerfile.prod")).unwrap();
    t.msb(&["migrate", "--stdout", "py"])
        .expect_code(2)
        .expect_no_stdout();
}

#[test]
fn stdout_on_a_folder() {
    // A folder with a single Dockerfile is that file.
    let expected = written_by_msb(PY_SEED);
    let t = Tmp::new();
    t.add(PY_SEED, "app");
    let run = t.msb(&["migrate", "--stdout", "app"]);
    run.expect_code(0);
    assert_eq!(run.stdout, expected);

    // A folder without one is an error, and stdout stays empty.
    fs::create_dir(t.path("empty")).unwrap();
    let run = t.msb(&["migrate", "--stdout", "empty"]);
    run.expect_code(2).expect_no_stdout();
    run.expect_stderr_line("msb: empty: no Dockerfile found in this folder");
}

// ---------------------------------------------------------------- --format json

#[test]
fn diff_says_when_unsafe_would_go_further_and_unsafe_does() {
    // cgo is off only because golang:alpine has no C compiler: the safe
    // migration keeps Alpine's shell, --unsafe takes distroless static.
    let t = Tmp::new();
    t.add("go/templates-static-runtime-assets", "app");
    let safe = t.msb(&["migrate", "app/Dockerfile"]);
    safe.expect_code(0)
        .expect_stderr_has("more with --unsafe: final stage FROM distroless static");
    let json = t.msb(&["migrate", "--format", "json", "app/Dockerfile"]);
    let record = &json.json_lines()[0];
    assert_eq!(record["status"], "migrated");
    assert_eq!(record["unsafe_available"], true);
    assert_eq!(record["unsafe_alternatives"].as_array().unwrap().len(), 1);
    let unsafe_run = t.msb(&["migrate", "--unsafe", "--stdout", "app/Dockerfile"]);
    unsafe_run.expect_code(0);
    assert!(
        unsafe_run
            .out()
            .contains("FROM gcr.io/distroless/static-debian12:nonroot"),
        "{}",
        unsafe_run.out()
    );
    assert!(!unsafe_run.stderr.contains("more with --unsafe"));
}

#[test]
fn json_one_record_per_file_for_python_and_go() {
    let t = Tmp::new();
    t.add(PY_SEED, "py");
    t.add(GO_SEED, "go");
    let py_diff = t.msb(&["migrate", "py/Dockerfile"]).out();
    let go_diff = t.msb(&["migrate", "go/Dockerfile"]).out();

    let run = t.msb(&[
        "migrate",
        "--format",
        "json",
        "py/Dockerfile",
        "go/Dockerfile",
    ]);
    run.expect_code(0);
    let records = run.json_lines();
    assert_eq!(records.len(), 2, "{}", run.out());
    let (go, py) = (&records[0], &records[1]);

    assert_eq!(go["path"], "go/Dockerfile");
    assert_eq!(go["status"], "migrated");
    assert_eq!(go["reason"], Value::Null);
    assert_eq!(go["language"], "go");
    assert_eq!(
        go["runtime_base"],
        "gcr.io/distroless/static-debian12:nonroot"
    );
    assert_eq!(go["diff"], go_diff.as_str());

    assert_eq!(py["path"], "py/Dockerfile");
    assert_eq!(py["status"], "migrated");
    assert_eq!(py["reason"], Value::Null);
    assert_eq!(py["language"], "python");
    assert_eq!(py["runtime_base"], "python:3.11-slim");
    assert_eq!(py["diff"], py_diff.as_str());

    for r in [go, py] {
        let saving = r["estimated_saving_bytes"]
            .as_u64()
            .unwrap_or_else(|| panic!("{r}"));
        assert!(saving > 0, "{r}");
        let decisions = r["decisions"].as_array().unwrap_or_else(|| panic!("{r}"));
        assert!(!decisions.is_empty(), "{r}");
        for d in decisions {
            assert_eq!(d["applicability"], "safe", "{d}");
            assert!(d["summary"].as_str().is_some_and(|s| !s.is_empty()), "{d}");
        }
    }
}

#[test]
fn json_skipped_record() {
    let t = Tmp::new();
    t.add(SKIP_NGINX, "web");
    let run = t.msb(&["migrate", "--format", "json", "web/Dockerfile"]);
    run.expect_code(0);
    let records = run.json_lines();
    assert_eq!(records.len(), 1, "{}", run.out());
    let r = &records[0];
    assert_eq!(r["path"], "web/Dockerfile");
    assert_eq!(r["status"], "skipped");
    assert!(
        r["reason"]
            .as_str()
            .unwrap()
            .starts_with("runtime-only image: nginx:1.25-alpine"),
        "{r}"
    );
    assert_eq!(r["line"], 1);
    assert_eq!(r["diff"], "");
    assert_eq!(r["decisions"], Value::Array(vec![]));
}

#[test]
fn json_failed_record_carries_the_whole_reason() {
    let t = Tmp::new();
    t.add(ERR_TYPO, "bad");
    t.add(PY_SEED, "py");
    let run = t.msb(&[
        "migrate",
        "--format",
        "json",
        "bad/Dockerfile",
        "py/Dockerfile",
    ]);
    run.expect_code(2);
    run.expect_stderr_line("msb: bad/Dockerfile:1: failed: unknown instruction: FORM");
    let records = run.json_lines();
    assert_eq!(records.len(), 2, "{}", run.out());
    let bad = &records[0];
    assert_eq!(bad["path"], "bad/Dockerfile");
    assert_eq!(bad["status"], "failed");
    assert_eq!(bad["line"], 1);
    assert_eq!(bad["reason"], "unknown instruction: FORM", "{bad}");
    assert_eq!(records[1]["status"], "migrated");
}

// ---------------------------------------------------------------- folders

#[test]
fn folder_finds_every_dockerfile_name_sorted() {
    let t = Tmp::new();
    t.add(PY_SEED, "py");
    t.add(GO_SEED, "go");
    fs::copy(t.path("py/Dockerfile"), t.path("py/Dockerfile.prod")).unwrap();
    fs::copy(t.path("py/Dockerfile"), t.path("py/Containerfile")).unwrap();
    fs::copy(t.path("go/Dockerfile"), t.path("go/api.Dockerfile")).unwrap();
    // Not a Dockerfile: would be a parse error if msb picked it up.
    t.write("py/Dockerfile.dockerignore", b"__pycache__\n*.pyc\n");

    let root = t.root.to_str().unwrap().to_string();
    let run = t.msb(&["migrate", "--check", root.as_str()]);
    run.expect_code(1).expect_no_stdout();
    let found: Vec<String> = run
        .stderr_lines_starting("msb: ")
        .into_iter()
        .filter(|l| l.contains(": would migrate ("))
        .map(|l| l["msb: ".len()..l.find(": would migrate").unwrap()].to_string())
        .collect();
    assert_eq!(
        found,
        [
            "go/Dockerfile",
            "go/api.Dockerfile",
            "py/Containerfile",
            "py/Dockerfile",
            "py/Dockerfile.prod"
        ],
        "{}",
        run.stderr
    );

    // The diffs come in the same order.
    let run = t.msb(&["migrate", "."]);
    run.expect_code(0);
    let headers: Vec<String> = run
        .out()
        .lines()
        .filter_map(|l| l.strip_prefix("--- a/").map(str::to_string))
        .collect();
    assert_eq!(headers, found);
}

#[test]
fn folder_without_a_dockerfile_is_an_error() {
    let t = Tmp::new();
    t.write("nothing/README.md", b"no Dockerfile here\n");
    let run = t.msb(&["migrate", "--check", "nothing"]);
    run.expect_code(2).expect_no_stdout();
    run.expect_stderr_line("msb: nothing: no Dockerfile found in this folder");
}

#[test]
fn gitignored_dockerfiles_are_not_picked_up_in_a_git_repository() {
    let t = Tmp::new();
    t.add(PY_SEED, "repo/app");
    t.add(PY_SEED, "repo/build");
    t.add(GO_SEED, "repo/vendor/lib");
    t.write("repo/.gitignore", b"build/\nvendor/\n");
    // The `ignore` crate honours .gitignore only inside a git repository,
    // which it recognises by a `.git` entry.
    fs::create_dir(t.path("repo/.git")).unwrap();

    let run = t.msb(&["migrate", "--check", "repo"]);
    run.expect_code(1).expect_no_stdout();
    let found = run.stderr_lines_starting("msb: repo/");
    assert_eq!(found.len(), 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("msb: repo/app/Dockerfile: would migrate"),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("repo/build/"),
        "a .gitignored Dockerfile was migrated:\n{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("repo/vendor/"),
        "a .gitignored Dockerfile was migrated:\n{}",
        run.stderr
    );
}

#[test]
fn the_same_file_named_twice_is_processed_once() {
    let t = Tmp::new();
    t.add(PY_SEED, "app");
    let run = t.msb(&["migrate", ".", "app/Dockerfile", "./app/Dockerfile", "app"]);
    run.expect_code(0);
    let headers = run
        .out()
        .lines()
        .filter(|l| l.starts_with("--- a/"))
        .count();
    assert_eq!(
        headers,
        1,
        "the same Dockerfile was diffed {headers} times:\n{}",
        run.out()
    );
    assert_eq!(
        run.stderr_lines_starting("msb: app/Dockerfile: would migrate")
            .len(),
        1,
        "{}",
        run.stderr
    );
}

// ---------------------------------------------------------------- skips

#[test]
fn skip_fixtures_exit_0_with_a_reason_and_stay_byte_identical() {
    for case in cases("skip") {
        let t = Tmp::new();
        t.add(&case, "app");
        let before = t.read("app/Dockerfile");
        for args in [
            &["migrate", "app/Dockerfile"][..],
            &["migrate", "--check", "app/Dockerfile"],
            &["migrate", "--write", "app/Dockerfile"],
        ] {
            let run = t.msb(args);
            assert_eq!(run.code, 0, "{case} {args:?}: {}", run.stderr);
            assert!(
                run.stdout.is_empty(),
                "{case} {args:?}: stdout {:?}",
                run.out()
            );
            // Already multi-stage files are `unchanged`, the rest `skipped`.
            let line = run
                .stderr_lines_starting("msb: app/Dockerfile:")
                .into_iter()
                .find(|l| l.contains(": skipped: ") || l.contains(": unchanged: "))
                .unwrap_or_else(|| panic!("{case} {args:?}: no skip line:\n{}", run.stderr));
            // msb: app/Dockerfile:<line>: skipped: <reason>
            let rest = &line["msb: app/Dockerfile:".len()..];
            let (num, reason) = rest
                .split_once(": skipped: ")
                .or_else(|| rest.split_once(": unchanged: "))
                .unwrap();
            assert!(
                num.parse::<usize>().is_ok_and(|n| n > 0),
                "{case}: line number in {line:?}"
            );
            assert!(!reason.trim().is_empty(), "{case}: empty reason");
            assert_eq!(
                t.read("app/Dockerfile"),
                before,
                "{case} {args:?} changed the file"
            );
        }
    }
    // One exact message.
    let t = Tmp::new();
    t.add(SKIP_NGINX, "web");
    let run = t.msb(&["migrate", "web/Dockerfile"]);
    run.expect_stderr_line(
        "msb: web/Dockerfile:1: skipped: runtime-only image: nginx:1.25-alpine only serves or runs prebuilt files: there is no build to split",
    );
}

// ---------------------------------------------------------------- errors

#[test]
fn error_fixtures_exit_2_with_path_line_and_reason() {
    let expected_line = |case: &str| match case {
        "error/no-from-instruction" => Some(2),
        "error/unknown-instruction-typo" => Some(1),
        "error/unterminated-heredoc" => Some(7),
        _ => None,
    };
    for case in cases("error") {
        let t = Tmp::new();
        t.add(&case, "app");
        let before = t.read("app/Dockerfile");
        for args in [
            &["migrate", "app/Dockerfile"][..],
            &["migrate", "--check", "app/Dockerfile"],
            &["migrate", "--write", "app/Dockerfile"],
            &["migrate", "--stdout", "app/Dockerfile"],
        ] {
            let run = t.msb(args);
            assert_eq!(run.code, 2, "{case} {args:?}: {}", run.stderr);
            assert!(
                run.stdout.is_empty(),
                "{case} {args:?}: stdout {:?}",
                run.out()
            );
            let lines = run.stderr_lines_starting("msb: app/Dockerfile:");
            assert_eq!(lines.len(), 1, "{case} {args:?}:\n{}", run.stderr);
            let (num, reason) = lines[0]["msb: app/Dockerfile:".len()..]
                .split_once(": ")
                .unwrap();
            let num: usize = num
                .parse()
                .unwrap_or_else(|_| panic!("{case}: no line number in {:?}", lines[0]));
            if let Some(n) = expected_line(&case) {
                assert_eq!(num, n, "{case}: {}", lines[0]);
            }
            assert!(!reason.trim().is_empty(), "{case}");
            assert_eq!(
                t.read("app/Dockerfile"),
                before,
                "{case} {args:?} changed the file"
            );
        }
    }
    let t = Tmp::new();
    t.add(ERR_TYPO, "app");
    t.msb(&["migrate", "app/Dockerfile"])
        .expect_stderr_line("msb: app/Dockerfile:1: failed: unknown instruction: FORM");
}

#[test]
fn a_missing_path_is_an_error() {
    let t = Tmp::new();
    let run = t.msb(&["migrate", "nope/Dockerfile"]);
    run.expect_code(2).expect_no_stdout();
    run.expect_stderr_line("msb: nope/Dockerfile: no such file or directory");

    let run = t.msb(&["explain", "nope/Dockerfile"]);
    run.expect_code(2).expect_no_stdout();
    run.expect_stderr_line("msb: nope/Dockerfile: no such file or directory");
}

#[test]
fn non_utf8_bytes_are_an_error_on_their_line() {
    let t = Tmp::new();
    t.add(PY_SEED, "app");
    let bytes = b"FROM python:3.12\nRUN echo \xff\n";
    t.write("app/Dockerfile", bytes);
    for args in [
        &["migrate", "app/Dockerfile"][..],
        &["migrate", "--write", "app/Dockerfile"],
    ] {
        let run = t.msb(args);
        run.expect_code(2).expect_no_stdout();
        let lines = run.stderr_lines_starting("msb: app/Dockerfile:2: ");
        assert_eq!(lines.len(), 1, "{}", run.stderr);
        assert!(lines[0].contains("UTF-8"), "{}", lines[0]);
        assert_eq!(t.read("app/Dockerfile"), bytes);
    }
}

#[test]
fn an_empty_file_is_an_error() {
    let t = Tmp::new();
    t.add(PY_SEED, "app");
    t.write("app/Dockerfile", b"");
    for args in [
        &["migrate", "app/Dockerfile"][..],
        &["migrate", "--write", "app/Dockerfile"],
    ] {
        let run = t.msb(args);
        run.expect_code(2).expect_no_stdout();
        let lines = run.stderr_lines_starting("msb: app/Dockerfile");
        assert_eq!(lines.len(), 1, "{}", run.stderr);
        assert!(lines[0].contains("no instructions"), "{}", lines[0]);
        assert_eq!(t.read("app/Dockerfile"), b"");
    }
}

#[test]
fn one_bad_file_does_not_stop_the_others() {
    let t = Tmp::new();
    t.add(ERR_TYPO, "b-bad");
    t.add(PY_SEED, "a-py");
    t.add(GO_SEED, "c-go");
    let bad = t.read("b-bad/Dockerfile");
    let files = ["a-py/Dockerfile", "b-bad/Dockerfile", "c-go/Dockerfile"];

    // Diff: both good diffs printed, exit 2.
    let run = t.msb(&[&["migrate"][..], &files].concat());
    run.expect_code(2);
    let out = run.out();
    let headers: Vec<&str> = out.lines().filter(|l| l.starts_with("--- a/")).collect();
    assert_eq!(
        headers,
        ["--- a/a-py/Dockerfile", "--- a/c-go/Dockerfile"],
        "{}",
        run.out()
    );
    run.expect_stderr_line("msb: b-bad/Dockerfile:1: failed: unknown instruction: FORM");

    // --check: the error outranks "would change".
    t.msb(&[&["migrate", "--check"][..], &files].concat())
        .expect_code(2);

    // --write: the good ones are written, the bad one is untouched.
    let run = t.msb(&[&["migrate", "--write"][..], &files].concat());
    run.expect_code(2).expect_no_stdout();
    assert!(
        String::from_utf8(t.read("a-py/Dockerfile"))
            .unwrap()
            .contains(" AS builder")
    );
    assert!(
        String::from_utf8(t.read("c-go/Dockerfile"))
            .unwrap()
            .contains(" AS builder")
    );
    assert_eq!(t.read("b-bad/Dockerfile"), bad);

    // A missing path among good ones, too.
    let t = Tmp::new();
    t.add(PY_SEED, "py");
    let run = t.msb(&["migrate", "missing", "py/Dockerfile"]);
    run.expect_code(2);
    run.expect_stderr_line("msb: missing: no such file or directory");
    assert!(
        run.out().starts_with("--- a/py/Dockerfile\n"),
        "{}",
        run.out()
    );
}

#[test]
fn an_absolute_path_outside_the_working_folder_is_named_as_given() {
    let files = Tmp::new();
    files.add(PY_SEED, "app");
    let elsewhere = Tmp::new();
    let abs = files.path("app/Dockerfile");
    let abs = abs.to_str().unwrap();

    let run = elsewhere.msb(&["migrate", "--check", abs]);
    run.expect_code(1);
    assert!(
        run.stderr
            .lines()
            .any(|l| l.starts_with(&format!("msb: {abs}: would migrate ("))),
        "expected `msb: {abs}: would migrate (...)`, got:\n{}",
        run.stderr
    );
}

// ---------------------------------------------------------------- --unsafe

#[test]
fn unsafe_blocker_skips_unless_unsafe_is_given() {
    let t = Tmp::new();
    t.add(PY_SEED, "app");
    let mut bytes = t.read("app/Dockerfile");
    assert!(bytes.ends_with(b"\n"));
    let lines = bytes.iter().filter(|b| **b == b'\n').count();
    bytes.extend_from_slice(b"RUN vendor-setup --prefix /usr/local\n");
    t.write("app/Dockerfile", &bytes);
    let unknown_line = lines + 1;

    let run = t.msb(&["migrate", "app/Dockerfile"]);
    run.expect_code(0).expect_no_stdout();
    let skip = run.stderr_lines_starting(&format!("msb: app/Dockerfile:{unknown_line}: skipped: "));
    assert_eq!(skip.len(), 1, "{}", run.stderr);
    assert!(skip[0].contains("vendor-setup"), "{}", skip[0]);
    assert!(
        skip[0].ends_with(" (--unsafe migrates it anyway)"),
        "{}",
        skip[0]
    );
    assert_eq!(t.read("app/Dockerfile"), bytes);
    t.msb(&["migrate", "--check", "app/Dockerfile"])
        .expect_code(0);

    let json = t.msb(&["migrate", "--format", "json", "app/Dockerfile"]);
    let r = &json.json_lines()[0];
    assert_eq!(r["status"], "skipped");
    assert_eq!(r["unsafe_available"], true);

    let run = t.msb(&["migrate", "--unsafe", "app/Dockerfile"]);
    run.expect_code(0);
    assert!(
        run.out().starts_with("--- a/app/Dockerfile\n"),
        "{}",
        run.out()
    );
    assert_eq!(
        run.stderr_lines_starting("msb: app/Dockerfile: would migrate (")
            .len(),
        1,
        "{}",
        run.stderr
    );
    t.msb(&["migrate", "--unsafe", "--check", "app/Dockerfile"])
        .expect_code(1);

    let json = t.msb(&["migrate", "--unsafe", "--format", "json", "app/Dockerfile"]);
    let r = &json.json_lines()[0];
    assert_eq!(r["status"], "migrated");
    assert!(
        r["decisions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["applicability"] == "unsafe"),
        "no unsafe decision recorded: {r}"
    );

    t.msb(&["migrate", "--unsafe", "--write", "app/Dockerfile"])
        .expect_code(0);
    let after = String::from_utf8(t.read("app/Dockerfile")).unwrap();
    assert!(after.contains(" AS builder"), "{after}");
    assert!(
        after.contains("RUN vendor-setup --prefix /usr/local"),
        "{after}"
    );
}

/// A development runner in CMD (`cargo run`, `go run`) that the build did
/// not compile: skipped by default with a reason naming `--unsafe`; with
/// `--unsafe` the builder gains the build step, the CMD runs the binary in
/// its original form, and BuildKit's parser reads the result.
fn unsafe_runner_rewrite(fixture_rel: &str, runner: &str, build_line: &str, cmd_line: &str) {
    let t = Tmp::new();
    t.add(fixture_rel, "app");
    let original = t.read("app/Dockerfile");

    let run = t.msb(&["migrate", "app/Dockerfile"]);
    run.expect_code(0).expect_no_stdout();
    let skip = run.stderr_lines_starting("msb: app/Dockerfile:");
    assert_eq!(skip.len(), 1, "{}", run.stderr);
    assert!(skip[0].contains(": skipped: "), "{}", skip[0]);
    assert!(skip[0].contains(runner), "{}", skip[0]);
    assert!(skip[0].contains("--unsafe adds"), "{}", skip[0]);
    assert!(
        skip[0].ends_with(" (--unsafe migrates it anyway)"),
        "{}",
        skip[0]
    );

    let run = t.msb(&["migrate", "--unsafe", "--stdout", "app/Dockerfile"]);
    run.expect_code(0);
    let out = run.out();
    let lines: Vec<&str> = out.lines().collect();
    let second_from = lines
        .iter()
        .rposition(|l| l.starts_with("FROM "))
        .expect("a final stage");
    let build_at = lines
        .iter()
        .position(|l| *l == build_line)
        .unwrap_or_else(|| panic!("no `{build_line}` in:\n{out}"));
    assert!(
        build_at < second_from,
        "the build step is in the builder:\n{out}"
    );
    assert_eq!(lines.last(), Some(&cmd_line), "{out}");
    assert!(
        !lines[second_from..].iter().any(|l| l.contains(runner)),
        "{out}"
    );
    // The file itself is untouched by --stdout.
    assert_eq!(t.read("app/Dockerfile"), original);

    let path = t.path("migrated.Dockerfile");
    fs::write(&path, &out).unwrap();
    if let Some(verdicts) = common::oracle(&[path.as_path()]) {
        assert_eq!(
            verdicts[0].parse_error, None,
            "BuildKit cannot parse:\n{out}"
        );
        let cmd = verdicts[0]
            .instructions
            .iter()
            .rev()
            .find(|i| i.cmd() == "CMD")
            .expect("a CMD");
        let original_json = String::from_utf8_lossy(&original).contains("CMD [");
        assert_eq!(cmd.4, original_json, "the CMD keeps its form");
    }
}

#[test]
fn unsafe_rewrites_cargo_run_to_the_binary() {
    unsafe_runner_rewrite(
        "skip/rust-cargo-run-without-build",
        "cargo run",
        "RUN cargo build --release",
        r#"CMD ["/usr/local/bin/quote-api", "--port", "8080"]"#,
    );
}

#[test]
fn unsafe_rewrites_go_run_to_the_binary() {
    unsafe_runner_rewrite(
        "skip/go-run-main-go",
        "go run",
        "RUN go build -o /usr/local/bin/todo-api main.go",
        "CMD /usr/local/bin/todo-api",
    );
}

// ---------------------------------------------------------------- --context

#[test]
fn context_flag_finds_the_build_context_elsewhere() {
    // Python: requirements.txt is only found through --context.
    let t = Tmp::new();
    t.add(PY_SEED, "ctx");
    fs::create_dir(t.path("docker")).unwrap();
    fs::rename(t.path("ctx/Dockerfile"), t.path("docker/Dockerfile")).unwrap();
    let evidence = |args: &[&str]| -> String {
        let run = t.msb(args);
        run.expect_code(0);
        let r = &run.json_lines()[0];
        assert_eq!(r["language"], "python", "{r}");
        r["language_evidence"].to_string()
    };
    let with = evidence(&[
        "migrate",
        "--format",
        "json",
        "--context",
        "ctx",
        "docker/Dockerfile",
    ]);
    assert!(with.contains("requirements.txt"), "--context ctx: {with}");
    let without = evidence(&["migrate", "--format", "json", "docker/Dockerfile"]);
    assert!(
        !without.contains("requirements.txt"),
        "without --context: {without}"
    );
    let explain = t.msb(&["explain", "--context", "ctx", "docker/Dockerfile"]);
    explain.expect_code(0);
    assert!(
        explain.out().contains("requirements.txt"),
        "{}",
        explain.out()
    );

    // Go: the entrypoint script in the context decides the runtime base,
    // so the result must be the same as with the Dockerfile in its context.
    let in_place = Tmp::new();
    in_place.add(GO_ENTRYPOINT_SCRIPT, "app");
    let reference = in_place.msb(&["migrate", "--stdout", "app/Dockerfile"]);
    reference.expect_code(0);

    let t = Tmp::new();
    t.add(GO_ENTRYPOINT_SCRIPT, "ctx");
    fs::create_dir(t.path("docker")).unwrap();
    fs::rename(t.path("ctx/Dockerfile"), t.path("docker/Dockerfile")).unwrap();
    let with = t.msb(&[
        "migrate",
        "--stdout",
        "--context",
        "ctx",
        "docker/Dockerfile",
    ]);
    with.expect_code(0);
    assert_eq!(
        with.out(),
        reference.out(),
        "--context gives another result than the Dockerfile in its context"
    );
    let without = t.msb(&["migrate", "--stdout", "docker/Dockerfile"]);
    without.expect_code(0);
    assert_ne!(
        without.out(),
        reference.out(),
        "the context made no difference; the test proves nothing"
    );
}

// ---------------------------------------------------------------- explain

#[test]
fn explain_prints_language_roles_and_verdict() {
    let t = Tmp::new();
    t.add(PY_SEED, "app");
    let before = t.read("app/Dockerfile");
    let run = t.msb(&["explain", "app/Dockerfile"]);
    run.expect_code(0);
    let out = run.out();
    assert!(out.starts_with("app/Dockerfile\n"), "{out}");
    assert!(out.contains("\n  language: Python ("), "{out}");
    for role in [
        "Setup",
        "DepManifest",
        "DepInstall",
        "SourceCopy",
        "Entrypoint",
    ] {
        assert!(out.contains(role), "role {role} missing:\n{out}");
    }
    assert!(
        out.contains("\n  runtime base: python:3.11-slim ("),
        "{out}"
    );
    assert!(out.contains("\n  verdict: migrate\n"), "{out}");
    assert_eq!(t.read("app/Dockerfile"), before);

    t.add(SKIP_NGINX, "web");
    let run = t.msb(&["explain", "web/Dockerfile"]);
    run.expect_code(0);
    assert!(
        run.out()
            .contains("\n  verdict: skipped: runtime-only image"),
        "{}",
        run.out()
    );

    t.add(ERR_TYPO, "bad");
    let run = t.msb(&["explain", "bad/Dockerfile"]);
    run.expect_code(2).expect_no_stdout();
    run.expect_stderr_line("msb: bad/Dockerfile:1: unknown instruction: FORM");
}

#[test]
fn explain_json_parses() {
    let t = Tmp::new();
    t.add(GO_SEED, "go");
    let run = t.msb(&["explain", "--format", "json", "go/Dockerfile"]);
    run.expect_code(0);
    let v: Value =
        serde_json::from_slice(&run.stdout).unwrap_or_else(|e| panic!("{e}:\n{}", run.out()));
    assert_eq!(v["path"], "go/Dockerfile");
    assert_eq!(v["status"], "migrated");
    assert_eq!(v["language"], "go");
    assert_eq!(
        v["runtime_base"],
        "gcr.io/distroless/static-debian12:nonroot"
    );
    assert!(v["steps"].as_array().is_some_and(|s| !s.is_empty()), "{v}");
    assert!(
        v["diff"]
            .as_str()
            .unwrap()
            .starts_with("--- a/go/Dockerfile\n"),
        "{v}"
    );
}

// ---------------------------------------------------------------- usage

#[test]
fn usage_errors_exit_2() {
    let t = Tmp::new();
    t.add(PY_SEED, "app");
    let before = t.read("app/Dockerfile");
    for args in [
        &["migrate", "--bogus", "app/Dockerfile"][..],
        &["migrate", "--write", "--check", "app/Dockerfile"],
        &["migrate", "--write", "--stdout", "app/Dockerfile"],
        &["migrate", "--stdout", "--check", "app/Dockerfile"],
        &["migrate", "--stdout", "--diff", "app/Dockerfile"],
        &["migrate", "--format", "yaml", "app/Dockerfile"],
        &["migrate", "--context"],
        &["explain"],
        &["frobnicate"],
        &[],
    ] {
        let run = t.msb(args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "{args:?}: stdout {:?}", run.out());
        assert!(!run.stderr.is_empty(), "{args:?}: no message");
        assert_eq!(
            t.read("app/Dockerfile"),
            before,
            "{args:?} changed the file"
        );
    }
}

// ---------------------------------------------------------------- colour

#[test]
fn piped_output_has_no_colour() {
    let t = Tmp::new();
    t.add(PY_SEED, "app");
    for env in [&[][..], &[("NO_COLOR", "1")]] {
        for args in [
            &["migrate", "app/Dockerfile"][..],
            &["migrate", "--check", "--diff", "app/Dockerfile"],
            &["explain", "app/Dockerfile"],
        ] {
            let run = t.msb_env(args, env);
            assert!(!run.stdout.is_empty(), "{args:?}");
            assert!(
                !run.out().contains("\x1b["),
                "escape codes on a pipe ({args:?}, {env:?}):\n{:?}",
                run.out()
            );
            assert!(
                !run.stderr.contains("\x1b["),
                "escape codes on stderr ({args:?}, {env:?})"
            );
        }
    }
}

/// On a terminal the diff is coloured, unless NO_COLOR is set. Needs
/// util-linux `script` to provide the terminal.
#[cfg(target_os = "linux")]
#[test]
fn terminal_output_is_coloured_unless_no_color() {
    let t = Tmp::new();
    t.add(PY_SEED, "app");
    let cmd = format!("'{BIN}' migrate app/Dockerfile 2>/dev/null");
    let tty = |no_color: Option<&str>| -> Option<String> {
        let mut c = Command::new("script");
        c.args(["-qec", &cmd, "/dev/null"])
            .current_dir(&t.root)
            .env_remove("NO_COLOR");
        if let Some(v) = no_color {
            c.env("NO_COLOR", v);
        }
        match c.output() {
            Ok(o) => {
                assert!(
                    o.status.success(),
                    "script: {}",
                    String::from_utf8_lossy(&o.stderr)
                );
                Some(String::from_utf8_lossy(&o.stdout).into_owned())
            }
            Err(e) if e.kind() == ErrorKind::NotFound => None,
            Err(e) => panic!("script: {e}"),
        }
    };
    let Some(coloured) = tty(None) else {
        eprintln!("SKIPPED: `script` is not installed; the terminal colour check did not run");
        return;
    };
    assert!(coloured.contains("a/app/Dockerfile"), "{coloured:?}");
    assert!(
        coloured.contains("\x1b[32m+FROM python:3.11-slim"),
        "no colour on a terminal:\n{coloured:?}"
    );
    let plain = tty(Some("1")).unwrap();
    assert!(plain.contains("+FROM python:3.11-slim"), "{plain:?}");
    assert!(
        !plain.contains("\x1b["),
        "colour despite NO_COLOR=1:\n{plain:?}"
    );
}

#[test]
fn msb_toml_unprivileged_ports_makes_port_80_safe_for_that_fleet() {
    let t = Tmp::new();
    t.add("skip/node-express-port-80", "app");
    // Without the setting: the port-80 skip, with its reason.
    let run = msb_in(&t.path("app"), &["migrate", "--check", "Dockerfile"], &[]);
    run.expect_code(0).expect_stderr_has("port 80");
    // The fleet's runtime allows unprivileged ports: migrated, and the
    // plan says why port 80 stays. A bare file name finds msb.toml in
    // the current folder.
    t.write("app/msb.toml", b"unprivileged_ports = true\n");
    let run = msb_in(&t.path("app"), &["migrate", "--diff", "Dockerfile"], &[]);
    run.expect_code(0)
        .expect_stderr_has("msb.toml says the fleet's runtime allows unprivileged ports");
    assert!(run.out().contains("+USER "), "{}", run.out());
    // explain reads the same msb.toml, so it shows the plan migrate applies.
    let run = msb_in(&t.path("app"), &["explain", "Dockerfile"], &[]);
    run.expect_code(0);
    assert!(
        run.out()
            .contains("msb.toml says the fleet's runtime allows unprivileged ports"),
        "{}",
        run.out()
    );
    // A misspelt key is an error with the file and line, not a silent no-op.
    t.write("app/msb.toml", b"unprivileged_port = true\n");
    let run = msb_in(&t.path("app"), &["migrate", "--diff", "Dockerfile"], &[]);
    run.expect_code(2)
        .expect_stderr_has("msb.toml:1: unknown field `unprivileged_port`");
}

#[test]
fn a_file_a_run_downloads_to_a_system_path_is_copied_to_the_final_stage() {
    let t = Tmp::new();
    t.add(PY_SEED, "app");
    let mut bytes = t.read("app/Dockerfile");
    bytes.extend_from_slice(b"RUN curl -fsSL https://example.com/x -o /usr/local/bin/x\n");
    t.write("app/Dockerfile", &bytes);
    let run = t.msb(&["migrate", "app/Dockerfile"]);
    run.expect_code(0);
    assert!(
        run.out()
            .contains("+COPY --from=builder /usr/local/bin/x /usr/local/bin/x"),
        "{}",
        run.out()
    );
}
