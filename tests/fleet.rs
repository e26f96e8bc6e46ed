//! msb run the way fleet tools run a command: multi-gitter `run`,
//! git-xargs, turbolift `foreach` and Sourcegraph batch changes each clone
//! a repository, run one command at its root (with their dry-run
//! variables set or not), then look at what changed and at the exit code:
//! 0 with changes opens a pull request, 0 without is "nothing to do",
//! anything else is an error for that repository.

mod common;

use common::{copy_dir, fixture, git};

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_msb");

/// An "upstream" repository with these fixtures (or files) committed.
fn upstream(root: &Path, name: &str, services: &[(&str, &str)]) -> PathBuf {
    let dir = root.join("upstream").join(name);
    fs::create_dir_all(&dir).unwrap();
    for (from, at) in services {
        let to = if *at == "." {
            dir.clone()
        } else {
            dir.join(at)
        };
        copy_dir(&fixture(from), &to);
    }
    fs::write(dir.join("README.md"), format!("# {name}\n")).unwrap();
    git(&dir, &["init", "-q", "-b", "main"]);
    git(&dir, &["add", "-A"]);
    git(&dir, &["commit", "-q", "-m", "initial"]);
    dir
}

/// A fresh clone, as each tool makes one before running the command.
fn clone(from: &Path, to: &Path) -> PathBuf {
    fs::create_dir_all(to.parent().unwrap()).unwrap();
    let out = Command::new("git")
        .args(["clone", "-q"])
        .arg(from)
        .arg(to)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    to.to_path_buf()
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// `program args` at `dir` with exactly the dry-run variables given (the
/// test's own environment must not leak one in), and msb on PATH.
fn run_at(dir: &Path, program: &str, args: &[&str], env: &[(&str, &str)]) -> Run {
    let bin_dir = Path::new(BIN).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut cmd = Command::new(program);
    cmd.args(args)
        .current_dir(dir)
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .env_remove("CI")
        .env_remove("DRY_RUN")
        .env_remove("XARGS_DRY_RUN");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    Run {
        code: out.status.code().expect("killed by a signal"),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

fn msb_at(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    run_at(dir, BIN, args, env)
}

/// What the tool would commit: `git status --porcelain`, untracked included.
fn changes(dir: &Path) -> Vec<String> {
    git(dir, &["status", "--porcelain", "--untracked-files=all"])
        .lines()
        .map(|l| l.trim().to_string())
        .collect()
}

/// A Python service and a runtime-only one msb leaves alone.
fn shop(root: &Path) -> PathBuf {
    upstream(
        root,
        "shop",
        &[
            ("python/seed-requirements-main-py", "api"),
            ("skip/nginx-static-dist", "web"),
        ],
    )
}

#[test]
fn multi_gitter_run_with_and_without_dry_run() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let origin = shop(root);
    let body = root.join("pr-body.md");
    let body_arg = body.to_str().unwrap();
    // multi-gitter run "msb migrate --write --pr-body …" --dry-run: the
    // script runs in a clone with REPOSITORY and DRY_RUN=true.
    let work = clone(&origin, &root.join("mg-dry/shop"));
    let run = msb_at(
        &work,
        &["migrate", "--write", "--pr-body", body_arg],
        &[("REPOSITORY", "acme/shop"), ("DRY_RUN", "true")],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(changes(&work).is_empty(), "{:?}", changes(&work));
    assert!(
        run.stderr
            .contains("msb: DRY_RUN=true: a dry run: the diff is shown, no file is written"),
        "{}",
        run.stderr
    );
    assert!(
        run.stdout.contains("+++ b/api/Dockerfile"),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr.contains("api/Dockerfile: would migrate"),
        "{}",
        run.stderr
    );

    // Without --dry-run, DRY_RUN is absent: the files are rewritten.
    let work = clone(&origin, &root.join("mg/shop"));
    let run = msb_at(
        &work,
        &["migrate", "--write", "--pr-body", body_arg],
        &[("REPOSITORY", "acme/shop")],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(changes(&work), ["M api/Dockerfile"]);
    assert_eq!(run.stdout, "", "--write prints no diff");
    let md = fs::read_to_string(&body).unwrap();
    assert!(md.starts_with("## Multi-stage Dockerfiles\n"), "{md}");
    assert!(
        md.contains("| `api/Dockerfile` | `python:3.11-slim` | ~"),
        "{md}"
    );
    assert!(
        md.contains("- `web/Dockerfile:1`: skipped: runtime-only image"),
        "{md}"
    );
    assert!(md.contains("### What changed"), "{md}");

    // multi-gitter commits; the same command again has nothing to do.
    git(&work, &["commit", "-q", "-am", "msb"]);
    let again = msb_at(
        &work,
        &["migrate", "--write"],
        &[("REPOSITORY", "acme/shop")],
    );
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(changes(&work).is_empty(), "{:?}", changes(&work));
    // The line is the final stage's FROM, wherever the split put it.
    assert!(
        again.stderr.contains("api/Dockerfile:")
            && again.stderr.contains(": unchanged: already multi-stage"),
        "{}",
        again.stderr
    );
}

#[test]
fn git_xargs_sets_xargs_dry_run_true_or_false() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let origin = upstream(root, "relay", &[("go/seed-alpine-cgo-disabled", ".")]);
    let names = [("XARGS_REPO_NAME", "relay"), ("XARGS_REPO_OWNER", "acme")];
    // git-xargs --dry-run … msb migrate --write
    let work = clone(&origin, &root.join("dry/relay"));
    let mut env = names.to_vec();
    env.push(("XARGS_DRY_RUN", "true"));
    let run = msb_at(&work, &["migrate", "--write"], &env);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(changes(&work).is_empty());
    assert!(
        run.stderr.contains("XARGS_DRY_RUN=true: a dry run"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.contains("+++ b/Dockerfile"), "{}", run.stdout);

    // Without --dry-run git-xargs still sets the variable, to false.
    let work = clone(&origin, &root.join("real/relay"));
    let mut env = names.to_vec();
    env.push(("XARGS_DRY_RUN", "false"));
    let run = msb_at(&work, &["migrate", "--write"], &env);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stderr.contains("dry run"), "{}", run.stderr);
    assert_eq!(changes(&work), ["M Dockerfile"]);
}

#[test]
fn turbolift_foreach_over_a_campaign() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    // turbolift clone puts each repository under work/<org>/<name>.
    let shop = clone(&shop(root), &root.join("campaign/work/acme/shop"));
    let docs = clone(
        &upstream(root, "docs", &[]),
        &root.join("campaign/work/acme/docs"),
    );
    let billing = clone(
        &upstream(
            root,
            "billing",
            &[
                ("python/flask-existing-appuser", "svc"),
                ("error/unknown-instruction-typo", "legacy"),
            ],
        ),
        &root.join("campaign/work/acme/billing"),
    );
    // turbolift foreach -- msb migrate --write
    let run = msb_at(&shop, &["migrate", "--write"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(changes(&shop), ["M api/Dockerfile"]);

    // A repository without a Dockerfile: nothing to do, exit 0.
    let run = msb_at(&docs, &["migrate", "--write"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("msb: .: no Dockerfile found in this folder: nothing to do"),
        "{}",
        run.stderr
    );
    assert!(changes(&docs).is_empty());
    // Named explicitly, an empty folder is still an error (a typo, say).
    let run = msb_at(&docs, &["migrate", "--write", "."], &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);

    // A broken Dockerfile fails the repository (turbolift lists it under
    // --failed); the file that did migrate is written all the same.
    let run = msb_at(&billing, &["migrate", "--write"], &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(changes(&billing), ["M svc/Dockerfile"]);

    // Again, after the campaign's commit: idempotent.
    git(&shop, &["commit", "-q", "-am", "msb"]);
    let run = msb_at(&shop, &["migrate", "--write"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(changes(&shop).is_empty());
}

#[test]
fn sourcegraph_batch_change_step() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let work = clone(&shop(root), &root.join("workspace"));
    let body = root.join("msb-pr.md");
    // steps: - run: msb migrate --write --pr-body /tmp/msb-pr.md && cat /tmp/msb-pr.md
    // The step's stdout becomes an output the changeset's body uses.
    let script = format!(
        "msb migrate --write --pr-body {0} && cat {0}",
        body.display()
    );
    let run = run_at(&work, "sh", &["-c", &script], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, fs::read_to_string(&body).unwrap());
    assert!(run.stdout.contains("`api/Dockerfile`"), "{}", run.stdout);
    assert_eq!(changes(&work), ["M api/Dockerfile"]);
}
