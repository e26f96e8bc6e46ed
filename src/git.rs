//! `--write --git-commit`: in each repository with migrated Dockerfiles,
//! one commit on a new branch that holds exactly those files.
//!
//! The commit is made with git's plumbing on a private index (read-tree,
//! hash-object, update-index, write-tree, commit-tree, update-ref), so the
//! checked-out branch, the index and the working tree stay exactly as they
//! were: other uncommitted work is never touched, and the migrated files
//! live on the new branch only, ready to push and review. A repository
//! where a target Dockerfile has uncommitted changes (or is untracked) is
//! skipped with the reason, since its commit would carry work that is not
//! msb's. Nothing is ever pushed.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// One migrated Dockerfile to commit.
#[derive(Debug, Clone)]
pub struct FileChange {
    /// Path as shown to the user.
    pub shown: String,
    /// The file on disk (inside the repository).
    pub path: PathBuf,
    /// The migrated bytes (line endings and BOM as the file had them).
    pub new_bytes: Vec<u8>,
    /// One line: what changed.
    pub summary: String,
}

/// What happened in one repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RepoOutcome {
    /// The new branch and its commit.
    Committed { branch: String, commit: String },
    /// `--dry-run`: what would be committed.
    WouldCommit { branch: String, message: String },
    /// Left alone, for a reason (uncommitted changes, branch exists...).
    Skipped(String),
    /// git itself failed (no identity configured, a broken repository).
    Failed(String),
}

fn git(
    repo: &Path,
    args: &[&str],
    index: Option<&Path>,
    stdin: Option<&[u8]>,
) -> Result<String, String> {
    let mut cmd = Command::new("git");
    cmd.arg("-C").arg(repo).args(args);
    if let Some(index) = index {
        cmd.env("GIT_INDEX_FILE", index);
    }
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(|e| format!("cannot run git: {e}"))?;
    if let Some(bytes) = stdin
        && let Some(mut pipe) = child.stdin.take()
    {
        pipe.write_all(bytes)
            .map_err(|e| format!("git {}: {e}", args.join(" ")))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("git {}: {e}", args.join(" ")))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(format!(
            "git {} failed: {}",
            args.first().copied().unwrap_or(""),
            err.trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim_end().to_string())
}

/// The commit message: a title and one line per file.
pub fn message(files: &[FileChange]) -> String {
    let mut msg = format!(
        "Migrate {} Dockerfile{} to multi-stage builds\n\nmsb split each build into a builder stage (the build as written) and a\nslim final stage that runs as a non-root user and gets only what the app\nneeds.\n\n",
        files.len(),
        if files.len() == 1 { "" } else { "s" }
    );
    for f in files {
        msg.push_str(&format!("- {}: {}\n", f.shown, f.summary));
    }
    msg
}

/// Commit `files` on a new `branch` of `repo` (or say what would be).
pub fn commit(repo: &Path, branch: &str, files: &[FileChange], dry_run: bool) -> RepoOutcome {
    match try_commit(repo, branch, files, dry_run) {
        Ok(outcome) => outcome,
        Err(Refusal::Skip(reason)) => RepoOutcome::Skipped(reason),
        Err(Refusal::Fail(reason)) => RepoOutcome::Failed(reason),
    }
}

/// Why no commit was made: a state of the repository msb will not commit
/// over, or git failing.
enum Refusal {
    Skip(String),
    Fail(String),
}

impl From<String> for Refusal {
    fn from(reason: String) -> Refusal {
        Refusal::Fail(reason)
    }
}

fn try_commit(
    repo: &Path,
    branch: &str,
    files: &[FileChange],
    dry_run: bool,
) -> Result<RepoOutcome, Refusal> {
    let skip = |reason: String| Refusal::Skip(reason);
    git(repo, &["check-ref-format", "--branch", branch], None, None)
        .map_err(|_| skip(format!("`{branch}` is not a valid branch name")))?;
    let head = git(
        repo,
        &["rev-parse", "--verify", "HEAD^{commit}"],
        None,
        None,
    )
    .map_err(|_| skip("the repository has no commit yet".to_string()))?;
    let reference = format!("refs/heads/{branch}");
    if git(
        repo,
        &["rev-parse", "--verify", "--quiet", &reference],
        None,
        None,
    )
    .is_ok()
    {
        return Err(skip(format!(
            "branch {branch} already exists; pass --branch NAME for another"
        )));
    }
    let top = PathBuf::from(git(repo, &["rev-parse", "--show-toplevel"], None, None)?);
    let top = top.canonicalize().unwrap_or(top);
    let mut entries = Vec::new();
    for f in files {
        let real = f
            .path
            .canonicalize()
            .map_err(|e| format!("{}: {e}", f.shown))?;
        let rel = real
            .strip_prefix(&top)
            .map_err(|_| skip(format!("{} is outside the repository", f.shown)))?
            .to_string_lossy()
            .into_owned();
        let status = git(repo, &["status", "--porcelain", "--", &rel], None, None)?;
        if !status.is_empty() {
            return Err(skip(format!(
                "{} has uncommitted changes; commit or stash them first",
                f.shown
            )));
        }
        let staged = git(repo, &["ls-files", "--stage", "--", &rel], None, None)?;
        let mode = staged
            .split_whitespace()
            .next()
            .ok_or_else(|| skip(format!("{} is not tracked by git", f.shown)))?
            .to_string();
        entries.push((rel, mode, f));
    }
    let msg = message(files);
    if dry_run {
        return Ok(RepoOutcome::WouldCommit {
            branch: branch.to_string(),
            message: msg,
        });
    }
    // A private index: the user's own index and working tree stay as they are.
    let scratch =
        tempfile::tempdir().map_err(|e| Refusal::Fail(format!("temporary folder: {e}")))?;
    let index = scratch.path().join("index");
    let index = Some(index.as_path());
    git(repo, &["read-tree", &head], index, None)?;
    for (rel, mode, f) in &entries {
        // --path applies the repository's filters (eol, autocrlf) as `git add` would.
        let blob = git(
            repo,
            &["hash-object", "-w", "--stdin", "--path", rel],
            None,
            Some(&f.new_bytes),
        )?;
        git(
            repo,
            &[
                "update-index",
                "--cacheinfo",
                &format!("{mode},{blob},{rel}"),
            ],
            index,
            None,
        )?;
    }
    let tree = git(repo, &["write-tree"], index, None)?;
    let commit = git(
        repo,
        &["commit-tree", &tree, "-p", &head, "-F", "-"],
        None,
        Some(msg.as_bytes()),
    )?;
    // The all-zero old value makes this create the branch, never move one.
    git(
        repo,
        &[
            "update-ref",
            &reference,
            &commit,
            "0000000000000000000000000000000000000000",
        ],
        None,
        None,
    )?;
    Ok(RepoOutcome::Committed {
        branch: branch.to_string(),
        commit,
    })
}
