//! Many repositories in one run, as a platform team uses msb: discovery
//! with globs and a repos file, deterministic output at any --jobs, the
//! report, msb.toml, re-runs, and one commit per repository on a new
//! branch that leaves everything else as it was.

mod common;

use common::{copy_dir, fixture, git};

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_msb");

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn msb(cwd: &Path, args: &[&str]) -> Run {
    let out = Command::new(BIN)
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env_remove("CI")
        // commit-tree needs an identity; a fresh machine may have none.
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .output()
        .unwrap();
    Run {
        code: out.status.code().expect("msb was killed by a signal"),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// A git repository with the given fixtures as services, committed.
fn repo(root: &Path, name: &str, services: &[(&str, &str)]) -> PathBuf {
    let dir = root.join(name);
    for (fixture_rel, at) in services {
        let to = if *at == "." {
            dir.clone()
        } else {
            dir.join(at)
        };
        copy_dir(&fixture(fixture_rel), &to);
    }
    git(&dir, &["init", "-q", "-b", "main"]);
    git(&dir, &["add", "-A"]);
    git(&dir, &["commit", "-q", "-m", "initial"]);
    dir
}

/// A fleet: three repositories with Python, Go, a skipped and a broken file.
fn fleet() -> (tempfile::TempDir, Vec<PathBuf>) {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().canonicalize().unwrap();
    let a = repo(
        &root,
        "shop",
        &[
            ("python/seed-requirements-main-py", "api"),
            ("skip/nginx-static-dist", "web"),
        ],
    );
    let b = repo(&root, "relay", &[("go/seed-alpine-cgo-disabled", ".")]);
    let c = repo(
        &root,
        "billing",
        &[
            ("python/flask-existing-appuser", "svc"),
            ("error/unknown-instruction-typo", "legacy"),
        ],
    );
    (tmp, vec![a, b, c])
}

#[test]
fn a_report_has_one_record_per_dockerfile_and_check_exits_1() {
    let (tmp, _) = fleet();
    let root = tmp.path();
    let run = msb(root, &["migrate", "--check", "--report", "r.json", "."]);
    // The broken file outranks "would change".
    assert_eq!(run.code, 2, "{}", run.stderr);
    let report: Value =
        serde_json::from_str(&fs::read_to_string(root.join("r.json")).unwrap()).unwrap();
    let files = report["files"].as_array().unwrap();
    let by_path: Vec<(&str, &str)> = files
        .iter()
        .map(|f| (f["path"].as_str().unwrap(), f["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        by_path,
        [
            ("billing/legacy/Dockerfile", "failed"),
            ("billing/svc/Dockerfile", "migrated"),
            ("relay/Dockerfile", "migrated"),
            ("shop/api/Dockerfile", "migrated"),
            ("shop/web/Dockerfile", "skipped"),
        ]
    );
    for f in files {
        for key in [
            "path",
            "repo",
            "status",
            "reason",
            "language",
            "runtime_base",
            "estimated_saving_bytes",
            "applicability",
            "diff",
        ] {
            assert!(f.get(key).is_some(), "{key} missing in {f}");
        }
    }
    assert_eq!(files[1]["repo"], "billing");
    assert_eq!(files[1]["applicability"], "safe");
    let summary = &report["summary"];
    assert_eq!(summary["files"], 5);
    assert_eq!(summary["migrated"], 3);
    assert_eq!(summary["skipped"], 1);
    assert_eq!(summary["failed"], 1);
    assert!(summary["estimated_saving_bytes"].as_u64().unwrap() > 1_000_000_000);
    // One status line per file, then the summary.
    assert!(
        run.stderr
            .contains("msb: billing/legacy/Dockerfile:1: failed: "),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("msb: shop/web/Dockerfile:1: skipped: runtime-only image")
    );
    assert!(
        run.stderr
            .contains("msb: 5 Dockerfiles: 3 migrated, 0 unchanged, 1 skipped, 1 failed;"),
        "{}",
        run.stderr
    );

    // Without the broken repository, --check exits 1.
    let run = msb(root, &["migrate", "--check", "shop", "relay"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
}

#[test]
fn output_is_the_same_at_any_number_of_jobs() {
    let (tmp, _) = fleet();
    let one = msb(tmp.path(), &["migrate", "--jobs", "1", "."]);
    let many = msb(tmp.path(), &["migrate", "--jobs", "8", "."]);
    assert_eq!(one.code, 2);
    assert_eq!(one.stdout, many.stdout);
    assert_eq!(one.stderr, many.stderr);
    let headers: Vec<&str> = one
        .stdout
        .lines()
        .filter(|l| l.starts_with("--- a/"))
        .collect();
    let mut sorted = headers.clone();
    sorted.sort();
    assert_eq!(headers, sorted, "diffs in path order");
}

#[test]
fn include_exclude_and_a_repos_file() {
    let (tmp, _) = fleet();
    let root = tmp.path();
    let run = msb(
        root,
        &[
            "migrate",
            "--check",
            "--exclude",
            "legacy",
            "--exclude",
            "web",
            ".",
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("msb: 3 Dockerfiles: 3 migrated"),
        "{}",
        run.stderr
    );

    let run = msb(root, &["migrate", "--check", "--include", "**/api/*", "."]);
    assert!(
        run.stderr
            .contains("msb: shop/api/Dockerfile: would migrate"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("relay/Dockerfile"), "{}", run.stderr);

    fs::write(root.join("repos.txt"), "# the fleet\nshop\nrelay  # go\n\n").unwrap();
    let run = msb(root, &["migrate", "--check", "--repos-file", "repos.txt"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("msb: 3 Dockerfiles: 2 migrated, 0 unchanged, 1 skipped, 0 failed"),
        "{}",
        run.stderr
    );

    fs::write(root.join("repos.txt"), "shop\nno-such-repo\n").unwrap();
    let run = msb(root, &["migrate", "--check", "--repos-file", "repos.txt"]);
    assert_eq!(
        run.code, 2,
        "a missing repository is an error, the rest still runs"
    );
    assert!(
        run.stderr
            .contains("no-such-repo: no such file or directory"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("shop/api/Dockerfile: would migrate"),
        "{}",
        run.stderr
    );
}

/// The files a `--check` run names on stderr, in order.
fn named(run: &Run) -> Vec<String> {
    run.stderr
        .lines()
        .filter_map(|l| l.strip_prefix("msb: "))
        .filter_map(|l| l.split_once(": ").map(|(p, _)| p))
        .map(|p| p.split(':').next().unwrap_or(p).to_string())
        .filter(|p| p.ends_with("Dockerfile"))
        .collect()
}

#[test]
fn globs_mean_what_they_mean_in_ripgrep_and_gitignore() {
    let (tmp, repos) = fleet();
    let root = tmp.path();
    let check = |extra: &[&str]| {
        let mut args = vec!["migrate", "--check"];
        args.extend_from_slice(extra);
        args.push(".");
        named(&msb(root, &args))
    };
    // `{a,b}` alternatives, from the folder searched.
    assert_eq!(
        check(&["--include", "{shop,relay}/**"]),
        [
            "relay/Dockerfile",
            "shop/api/Dockerfile",
            "shop/web/Dockerfile"
        ]
    );
    // A character class and `?` stay within one name.
    assert_eq!(
        check(&["--include", "*/[aw]??/*"]),
        ["shop/api/Dockerfile", "shop/web/Dockerfile"]
    );
    // A name without `/` matches at any depth, and covers what is inside.
    assert_eq!(
        check(&["--include", "shop"]),
        ["shop/api/Dockerfile", "shop/web/Dockerfile"]
    );
    // `**` crosses folders; `*` does not.
    assert_eq!(check(&["--include", "*/Dockerfile"]), ["relay/Dockerfile"]);
    assert_eq!(
        check(&["--exclude", "**/legacy", "--exclude", "billing/s[v]c/"]),
        [
            "relay/Dockerfile",
            "shop/api/Dockerfile",
            "shop/web/Dockerfile"
        ]
    );
    // --include does not outrank .gitignore (ignore's overrides did).
    fs::write(repos[0].join(".gitignore"), "web/\n").unwrap();
    assert_eq!(check(&["--include", "shop/**"]), ["shop/api/Dockerfile"]);

    // A bad pattern is a usage error that names it, before any work.
    let run = msb(root, &["migrate", "--check", "--exclude", "svc[", "."]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(
        run.stderr.lines().next().unwrap_or(""),
        "msb: --exclude `svc[`: not a valid glob: unclosed character class; missing ']'",
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("would migrate"), "{}", run.stderr);
}

#[test]
fn msb_toml_excludes_are_written_from_its_own_folder() {
    let (tmp, repos) = fleet();
    let root = tmp.path();
    fs::write(repos[2].join("msb.toml"), "exclude = [\"/legacy\"]\n").unwrap();
    // From the repository's top, from below it and from the fleet's
    // folder naming it, the same file is left out. (An msb.toml governs
    // the folders searched at or below it: a search of the whole fleet's
    // folder does not read each repository's.)
    for (cwd, arg, left_out) in [
        (repos[2].clone(), ".", "legacy/Dockerfile"),
        (repos[2].join("svc"), "..", "legacy/Dockerfile"),
        (root.to_path_buf(), "billing", "billing/legacy/Dockerfile"),
    ] {
        let run = msb(&cwd, &["migrate", "--check", arg]);
        assert!(!run.stderr.contains(left_out), "{arg}: {}", run.stderr);
        assert!(
            run.stderr.contains("svc/Dockerfile"),
            "{arg}: {}",
            run.stderr
        );
    }
    // Anchored at billing/, `/legacy` says nothing about another legacy/.
    copy_dir(
        &fixture("python/seed-requirements-main-py"),
        &repos[2].join("svc/legacy"),
    );
    let run = msb(root, &["migrate", "--check", "billing/svc"]);
    assert!(
        run.stderr
            .contains("billing/svc/legacy/Dockerfile: would migrate"),
        "{}",
        run.stderr
    );
    fs::write(repos[2].join("msb.toml"), "exclude = [\"{a,b\"]\n").unwrap();
    let run = msb(root, &["migrate", "--check", "billing"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("billing/msb.toml:1: exclude `{a,b`: not a valid glob"),
        "{}",
        run.stderr
    );
}

/// The fleet, and more repositories, so that four shards have work.
fn larger_fleet() -> (tempfile::TempDir, Vec<PathBuf>) {
    let (tmp, mut repos) = fleet();
    let root = tmp.path().canonicalize().unwrap();
    for (name, services) in [
        (
            "gateway",
            vec![
                ("go/bookworm-cgo-sqlite", "a"),
                ("go/sh-start-script", "b"),
                ("node/cra-serve-global", "c"),
            ],
        ),
        (
            "notify",
            vec![
                ("node/alpine-bcrypt-node-gyp", "."),
                ("go/go-install-gobin", "tools"),
            ],
        ),
        ("search", vec![("go/templates-static-runtime-assets", ".")]),
    ] {
        repos.push(repo(&root, name, &services));
    }
    (tmp, repos)
}

fn report(path: &Path) -> Value {
    serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn four_shards_merged_are_one_run() {
    let (tmp, _) = larger_fleet();
    let root = tmp.path();
    let one = msb(root, &["migrate", "--check", "--report", "all.json", "."]);
    assert_eq!(one.code, 2, "the broken file: {}", one.stderr);
    let all = report(&root.join("all.json"));
    let mut shards = Vec::new();
    let mut seen = 0;
    for i in 1..=4 {
        let name = format!("shard-{i}.json");
        let shard = format!("{i}/4");
        msb(
            root,
            &[
                "migrate", "--check", "--shard", &shard, "--report", &name, ".",
            ],
        );
        seen += report(&root.join(&name))["files"].as_array().unwrap().len();
        shards.push(name);
    }
    let total = all["files"].as_array().unwrap().len();
    assert_eq!(total, 11);
    assert_eq!(seen, total, "each file in exactly one shard");
    // The split does not depend on the current folder.
    let again = msb(
        &root.join("shop"),
        &[
            "migrate",
            "--check",
            "--shard",
            "3/4",
            "--report",
            "../again.json",
            "..",
        ],
    );
    assert!(again.code <= 2);
    assert_eq!(
        report(&root.join("again.json"))["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["path"]
                .as_str()
                .unwrap()
                .trim_start_matches("../")
                .to_string())
            .collect::<Vec<_>>(),
        report(&root.join("shard-3.json"))["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["path"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    );

    let mut args = vec!["report", "merge"];
    args.extend(shards.iter().map(String::as_str));
    let merged = msb(root, &args);
    assert_eq!(merged.code, 0, "{}", merged.stderr);
    let merged: Value = serde_json::from_str(&merged.stdout).unwrap();
    assert_eq!(merged["files"], all["files"]);
    assert_eq!(merged["summary"], all["summary"]);
    assert_eq!(merged, all);

    // The markdown of the merge is the markdown of one run.
    msb(
        root,
        &[
            "migrate",
            "--report",
            "all.md",
            "--report-format",
            "markdown",
            ".",
        ],
    );
    args.extend(["--format", "markdown"]);
    let md = msb(root, &args);
    assert_eq!(md.stdout, fs::read_to_string(root.join("all.md")).unwrap());

    // The same shard twice would count its files twice: refused.
    let twice = msb(root, &["report", "merge", "shard-1.json", "all.json"]);
    assert_eq!(twice.code, 2);
    assert!(
        twice.stderr.contains("is in shard-1.json and in all.json"),
        "{}",
        twice.stderr
    );
    for bad in ["0/4", "5/4", "x", "2"] {
        let run = msb(root, &["migrate", "--check", "--shard", bad, "."]);
        assert_eq!(run.code, 2, "{bad}");
        assert!(run.stderr.contains("expected I/N"), "{}", run.stderr);
    }
}

#[test]
fn a_symlink_out_of_the_searched_folder_is_not_followed() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    copy_dir(
        &fixture("python/seed-requirements-main-py"),
        &root.join("outside"),
    );
    copy_dir(
        &fixture("go/seed-alpine-cgo-disabled"),
        &root.join("repo/svc"),
    );
    std::os::unix::fs::symlink(
        root.join("outside/Dockerfile"),
        root.join("repo/Dockerfile"),
    )
    .unwrap();
    std::os::unix::fs::symlink(root.join("outside"), root.join("repo/linked-dir")).unwrap();
    let before = fs::read(root.join("outside/Dockerfile")).unwrap();
    let run = msb(root, &["migrate", "--write", "repo"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("repo/svc/Dockerfile: migrated"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("repo/Dockerfile"), "{}", run.stderr);
    assert!(!run.stderr.contains("linked-dir"), "{}", run.stderr);
    assert_eq!(fs::read(root.join("outside/Dockerfile")).unwrap(), before);
}

#[test]
fn rerunning_migrates_only_what_is_left_and_only_failed_reruns_failures() {
    let (tmp, repos) = fleet();
    let root = tmp.path();
    let run = msb(
        root,
        &[
            "migrate",
            "--write",
            "--report",
            "first.json",
            "--exclude",
            "relay",
            ".",
        ],
    );
    assert_eq!(run.code, 2);
    let run = msb(root, &["migrate", "--write", "."]);
    assert!(
        run.stderr
            .contains("msb: 5 Dockerfiles: 1 migrated, 2 unchanged, 1 skipped, 1 failed"),
        "{}",
        run.stderr
    );
    // Fix the broken file, then re-run just what failed.
    let broken = repos[2].join("legacy/Dockerfile");
    let text = fs::read_to_string(&broken)
        .unwrap()
        .replace("FORM ", "FROM ");
    fs::write(&broken, text).unwrap();
    let run = msb(root, &["migrate", "--check", "--only-failed", "first.json"]);
    assert!(
        run.stderr.contains("billing/legacy/Dockerfile") && !run.stderr.contains("shop/"),
        "{}",
        run.stderr
    );
}

#[test]
fn markdown_report_for_a_pull_request() {
    let (tmp, _) = fleet();
    let run = msb(
        tmp.path(),
        &[
            "migrate",
            "--report",
            "r.md",
            "--report-format",
            "markdown",
            "shop",
            "relay",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let md = fs::read_to_string(tmp.path().join("r.md")).unwrap();
    assert!(
        md.contains("3 Dockerfiles: **2 migrated**, 0 unchanged, 1 skipped, 0 failed"),
        "{md}"
    );
    assert!(
        md.contains(
            "| `relay/Dockerfile` | migrated | go | `gcr.io/distroless/static-debian12:nonroot` |"
        ),
        "{md}"
    );
    assert!(md.contains("| `shop/web/Dockerfile` | skipped |"), "{md}");
}

#[test]
fn msb_toml_sets_user_excludes_and_preference_and_rejects_unknown_keys() {
    let (tmp, repos) = fleet();
    let root = tmp.path();
    fs::write(
        repos[0].join("msb.toml"),
        "exclude = [\"web\"]\nruntime = \"slim\"\n[user]\nname = \"svc\"\nuid = 20000\n",
    )
    .unwrap();
    fs::write(repos[1].join("msb.toml"), "runtime = \"slim\"\n").unwrap();
    let run = msb(root, &["migrate", "shop", "relay"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("+    && useradd --system --uid 20000 --gid svc"),
        "{}",
        run.stdout
    );
    assert!(!run.stderr.contains("shop/web"), "{}", run.stderr);
    // Go prefers a slim base with a shell over distroless here.
    assert!(run.stdout.contains("+FROM alpine:"), "{}", run.stdout);

    // A flag wins over the file; --config replaces every msb.toml.
    fs::write(root.join("team.toml"), "[user]\nuid = 30000\n").unwrap();
    let run = msb(root, &["migrate", "--config", "team.toml", "shop/api"]);
    assert!(run.stdout.contains("--uid 30000"), "{}", run.stdout);

    fs::write(
        repos[1].join("msb.toml"),
        "runtime = \"slim\"\nunsafe_mode = true\n",
    )
    .unwrap();
    let run = msb(root, &["migrate", "relay"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("relay/msb.toml:2: unknown field `unsafe_mode`"),
        "{}",
        run.stderr
    );
}

#[test]
fn git_commit_makes_one_branch_per_repository_and_touches_nothing_else() {
    let (tmp, repos) = fleet();
    let root = tmp.path();
    fs::write(root.join("repos.txt"), "shop\nrelay\nbilling\n").unwrap();
    // Other uncommitted work in one repository stays as it is.
    fs::write(repos[0].join("api/main.py"), "print('work in progress')\n").unwrap();
    let heads: Vec<String> = repos
        .iter()
        .map(|r| git(r, &["rev-parse", "HEAD"]))
        .collect();

    let dry = msb(
        root,
        &[
            "migrate",
            "--repos-file",
            "repos.txt",
            "--write",
            "--git-commit",
            "--dry-run",
        ],
    );
    assert!(
        dry.stderr
            .contains("msb: shop: would commit on branch msb/multi-stage:"),
        "{}",
        dry.stderr
    );
    assert!(
        git(&repos[0], &["branch", "--list", "msb/*"]).is_empty(),
        "dry run made a branch"
    );

    let run = msb(
        root,
        &[
            "migrate",
            "--repos-file",
            "repos.txt",
            "--write",
            "--git-commit",
        ],
    );
    assert_eq!(
        run.code, 2,
        "billing has a broken Dockerfile: {}",
        run.stderr
    );
    for (repo, expect) in repos.iter().zip([
        vec!["api/Dockerfile"],
        vec!["Dockerfile"],
        vec!["svc/Dockerfile"],
    ]) {
        let name = repo.file_name().unwrap().to_string_lossy();
        assert!(
            run.stderr.contains(&format!("msb: {name}: committed")),
            "{}",
            run.stderr
        );
        // One new commit on the new branch, only the migrated Dockerfiles.
        let log = git(repo, &["rev-list", "main..msb/multi-stage"]);
        assert_eq!(log.lines().count(), 1, "{name}");
        let touched = git(repo, &["diff", "--name-only", "main", "msb/multi-stage"]);
        assert_eq!(touched.lines().collect::<Vec<_>>(), expect, "{name}");
        let migrated = git(repo, &["show", &format!("msb/multi-stage:{}", expect[0])]);
        assert!(migrated.contains(" AS builder"), "{name}");
        // The checked-out branch did not move.
        assert_eq!(git(repo, &["symbolic-ref", "--short", "HEAD"]), "main");
    }
    for (repo, head) in repos.iter().zip(&heads) {
        assert_eq!(&git(repo, &["rev-parse", "main"]), head);
    }
    // Clean worktrees, except the work that was already there.
    assert_eq!(git(&repos[0], &["status", "--porcelain"]), "M api/main.py");
    assert_eq!(git(&repos[1], &["status", "--porcelain"]), "");
    let message = git(&repos[0], &["log", "-1", "--format=%B", "msb/multi-stage"]);
    assert!(
        message.contains("- shop/api/Dockerfile: Python: builder python:3.11"),
        "{message}"
    );

    // Again: the branch exists, so nothing is committed over it.
    let run = msb(
        root,
        &[
            "migrate",
            "--repos-file",
            "repos.txt",
            "--write",
            "--git-commit",
        ],
    );
    assert!(
        run.stderr.contains("branch msb/multi-stage already exists"),
        "{}",
        run.stderr
    );
}

#[test]
fn git_commit_skips_a_repository_whose_dockerfile_has_uncommitted_changes() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().canonicalize().unwrap();
    let dir = repo(&root, "app", &[("python/seed-requirements-main-py", ".")]);
    let path = dir.join("Dockerfile");
    let edited = fs::read_to_string(&path).unwrap() + "# local edit\n";
    fs::write(&path, &edited).unwrap();
    let run = msb(&root, &["migrate", "--write", "--git-commit", "app"]);
    assert!(
        run.stderr
            .contains("msb: app: not committed: app/Dockerfile has uncommitted changes"),
        "{}",
        run.stderr
    );
    assert_eq!(fs::read_to_string(&path).unwrap(), edited);
    assert!(git(&dir, &["branch", "--list", "msb/*"]).is_empty());
}

#[test]
fn git_commit_leaves_a_file_outside_git_alone_and_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    copy_dir(
        &fixture("python/seed-requirements-main-py"),
        &root.join("loose"),
    );
    let before = fs::read(root.join("loose/Dockerfile")).unwrap();
    let run = msb(root, &["migrate", "--write", "--git-commit", "loose"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("msb: loose/Dockerfile: not committed: not inside a git repository"),
        "{}",
        run.stderr
    );
    assert_eq!(fs::read(root.join("loose/Dockerfile")).unwrap(), before);
}
