//! The hooks of `.pre-commit-hooks.yaml`, run by PyPI's pre-commit on a
//! temporary git repository: the hook definitions are taken as they are
//! (ids, file patterns, entries), only turned into `repo: local` hooks of
//! `language: system` whose entry starts the msb this build made, so the
//! test needs no `cargo install`. Skipped with a message when pre-commit
//! is not installed, except in CI (CI=true), where that fails.

mod common;

use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_msb");

/// `.pre-commit-hooks.yaml` as a local config for this build's msb, made
/// with pre-commit's own YAML library.
fn write_local_config(repo: &Path) {
    let script = "import sys, yaml\n\
        hooks = yaml.safe_load(open(sys.argv[1]))\n\
        for h in hooks:\n\
        \x20   assert h['entry'].startswith('msb '), h['entry']\n\
        \x20   h['entry'] = sys.argv[2] + h['entry'][len('msb'):]\n\
        \x20   h['language'] = 'system'\n\
        yaml.safe_dump({'repos': [{'repo': 'local', 'hooks': hooks}]}, open(sys.argv[3], 'w'))\n";
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(common::root().join(".pre-commit-hooks.yaml"))
        .arg(BIN)
        .arg(repo.join(".pre-commit-config.yaml"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn git(repo: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(args)
        .current_dir(repo)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `pre-commit run HOOK` on the staged files, with its cache in `home`.
fn pre_commit(repo: &Path, home: &Path, hook: &str) -> Output {
    Command::new("pre-commit")
        .args(["run", hook, "--color", "never"])
        .current_dir(repo)
        .env("PRE_COMMIT_HOME", home)
        .env_remove("GIT_DIR")
        .env_remove("GIT_INDEX_FILE")
        .output()
        .unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn both_hooks_run_under_pre_commit() {
    if !common::program("pre-commit", "the pre-commit hook test")
        || !common::program("git", "the pre-commit hook test")
    {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    let home = tmp.path().join("cache");
    let fixtures = common::root().join("fixtures");
    common::copy_dir(
        &fixtures.join("python/seed-requirements-main-py"),
        &repo.join("api"),
    );
    common::copy_dir(&fixtures.join("skip/nginx-static-dist"), &repo.join("site"));
    // Documentation named like a Dockerfile: the hooks' patterns leave it out.
    std::fs::write(repo.join("api/Dockerfile.md"), "# not a Dockerfile\n").unwrap();
    git(&repo, &["init", "--quiet"]);
    write_local_config(&repo);
    git(&repo, &["add", "."]);
    let original = std::fs::read(repo.join("api/Dockerfile")).unwrap();

    // msb-check fails on the staged single-stage Dockerfile, shows the
    // diff, and leaves the file alone.
    let check = pre_commit(&repo, &home, "msb-check");
    assert_eq!(check.status.code(), Some(1), "{}", text(&check));
    let shown = text(&check);
    assert!(shown.contains("api/Dockerfile: would migrate"), "{shown}");
    assert!(shown.contains("+FROM python:3.11-slim"), "{shown}");
    assert!(shown.contains("site/Dockerfile:1: skipped"), "{shown}");
    assert!(!shown.contains("Dockerfile.md"), "{shown}");
    assert_eq!(
        std::fs::read(repo.join("api/Dockerfile")).unwrap(),
        original
    );

    // msb-migrate rewrites it; pre-commit fails because the hook changed
    // a file, so the change is reviewed and staged.
    let migrate = pre_commit(&repo, &home, "msb-migrate");
    assert_eq!(migrate.status.code(), Some(1), "{}", text(&migrate));
    assert!(
        text(&migrate).contains("files were modified by this hook"),
        "{}",
        text(&migrate)
    );
    let migrated = std::fs::read_to_string(repo.join("api/Dockerfile")).unwrap();
    assert!(
        migrated.contains("FROM python:3.11 AS builder"),
        "{migrated}"
    );
    assert!(migrated.contains("USER 10001:10001"), "{migrated}");

    // Once the rewrite is staged, both hooks pass.
    git(&repo, &["add", "."]);
    for hook in ["msb-check", "msb-migrate"] {
        let again = pre_commit(&repo, &home, hook);
        assert_eq!(again.status.code(), Some(0), "{hook}: {}", text(&again));
    }
}
