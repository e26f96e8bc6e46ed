//! Every fixture through the whole pipeline: an insta snapshot of the diff
//! and of `explain`, idempotence (msb on its own output changes nothing),
//! byte-level facts kept (line endings, final newline, BOM), and the
//! independent oracles: BuildKit's parser reads every output, and hadolint
//! finds no more errors in it than in the original.

mod common;

use std::path::{Path, PathBuf};

use common::{final_stage, fixtures, oracle};
use msb::diff::unified;
use msb::explain::explain;
use msb::knowledge::Knowledge;
use msb::migrate::{Migration, Options, Status, context_for, migrate};
use msb::source::{LineEnding, SourceFile};

fn run(dir: &Path, k: &Knowledge) -> (SourceFile, Result<Migration, msb::error::MsbError>) {
    let path = dir.join("Dockerfile");
    let source = SourceFile::read(&path).unwrap_or_else(|e| panic!("{e}"));
    let context = context_for(&path, None);
    let m = migrate(&source, &context, k, &Options::default());
    (source, m)
}

fn shown(dir: &Path) -> String {
    let rel = dir.strip_prefix(common::root()).unwrap();
    format!("{}/Dockerfile", rel.display())
}

fn snapshot_name(dir: &Path) -> String {
    let group = dir.parent().unwrap().file_name().unwrap().to_string_lossy();
    let case = dir.file_name().unwrap().to_string_lossy();
    format!("{group}__{case}")
}

#[test]
fn migrated_fixtures_match_their_snapshots_and_are_stable() {
    let k = Knowledge::builtin().unwrap();
    let out_dir = tempfile::tempdir().unwrap();
    let mut pairs: Vec<(PathBuf, PathBuf, String, Vec<&'static str>)> = Vec::new();
    let dirs: Vec<PathBuf> = common::migrated_groups()
        .iter()
        .flat_map(|group| fixtures(group))
        .collect();
    assert!(
        dirs.len() >= 12,
        "at least 6 fixtures each for python and go"
    );
    for dir in &dirs {
        let (source, m) = run(dir, &k);
        let m = m.unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let name = snapshot_name(dir);
        assert_eq!(m.status, Status::Migrated, "{name}: {:?}", m.reason);

        let diff = unified(&source.text, &m.output, &shown(dir));
        insta::assert_snapshot!(format!("{name}__diff"), diff);
        insta::assert_snapshot!(format!("{name}__explain"), explain(&shown(dir), &m));

        // Idempotence: the output is left exactly as it is.
        let again =
            SourceFile::from_bytes(&dir.join("Dockerfile"), source.bytes_for(&m.output)).unwrap();
        let second = migrate(
            &again,
            &context_for(&dir.join("Dockerfile"), None),
            &k,
            &Options::default(),
        )
        .unwrap();
        assert_eq!(
            second.status,
            Status::Unchanged,
            "{name}: msb migrated its own output"
        );
        assert_eq!(
            second.output, m.output,
            "{name}: a second run changed the output"
        );

        // Every image msb names is one whose repository and tag its
        // knowledge lists (an invented `vendor/python:slim` may not exist).
        let final_image = msb::verify::final_base(&m.output, &[]).expect("a final FROM");
        assert!(
            k.knows_image(&final_image),
            "{name}: final stage FROM {final_image}, a tag transforms/images.toml does not list"
        );

        // Byte-level facts survive.
        assert_eq!(
            m.output.ends_with('\n'),
            source.final_newline(),
            "{name}: final newline"
        );
        if source.line_ending == LineEnding::CrLf {
            let bare_lf = m.output.replace("\r\n", "").contains('\n');
            assert!(!bare_lf, "{name}: a CRLF file got LF lines");
        }
        assert!(
            m.output.contains(source.text.lines().next().unwrap()),
            "{name}: first line lost"
        );

        let out = out_dir.path().join(format!("{name}.Dockerfile"));
        std::fs::write(&out, source.bytes_for(&m.output)).unwrap();
        let rewritten: Vec<&'static str> = m
            .analysis
            .command_rewrites
            .iter()
            .map(|r| m.file.instructions[r.index].keyword.as_str())
            .collect();
        pairs.push((dir.join("Dockerfile"), out, name, rewritten));
    }

    let files: Vec<&Path> = pairs
        .iter()
        .flat_map(|(a, b, _, _)| [a.as_path(), b.as_path()])
        .collect();
    let Some(verdicts) = oracle(&files) else {
        return;
    };
    for (chunk, (_, _, name, rewritten)) in verdicts.chunks(2).zip(&pairs) {
        let (before, after) = (&chunk[0], &chunk[1]);
        assert_eq!(
            before.parse_error, None,
            "{name}: the fixture itself must parse"
        );
        assert_eq!(
            after.parse_error, None,
            "{name}: BuildKit cannot parse the output"
        );
        assert!(
            after.hadolint_errors <= before.hadolint_errors,
            "{name}: hadolint errors {} -> {} ({:?})",
            before.hadolint_errors,
            after.hadolint_errors,
            after.hadolint_codes
        );
        check_runtime_contract(name, before, after, rewritten);
    }
}

/// The invariants of DESIGN "What a good migration is", read through
/// BuildKit's parser rather than msb's own.
fn check_runtime_contract(
    name: &str,
    before: &common::Verdict,
    after: &common::Verdict,
    rewritten: &[&str],
) {
    let froms: Vec<_> = after
        .instructions
        .iter()
        .filter(|i| i.cmd() == "FROM")
        .collect();
    assert_eq!(froms.len(), 2, "{name}: two stages");
    let stage_name = froms[0].5.get(2).cloned().expect("builder named");
    let last = final_stage(after);
    let orig = &before.instructions;
    for ins in &last {
        if ins.cmd() == "COPY"
            && let Some(from) = ins.3.iter().find_map(|f| f.strip_prefix("--from="))
        {
            assert_eq!(from, stage_name, "{name}: COPY --from names the builder");
        }
    }
    let last_of = |list: &[common::OracleInstruction], cmd: &str| {
        list.iter().rev().find(|i| i.cmd() == cmd).cloned()
    };
    for cmd in ["CMD", "ENTRYPOINT", "HEALTHCHECK", "STOPSIGNAL"] {
        let a = last_of(orig, cmd).map(|i| (i.4, i.5));
        let b = last_of(&last, cmd).map(|i| (i.4, i.5));
        if rewritten.contains(&cmd) {
            // A development runner rewritten: the same form (JSON stays
            // JSON), something still runs.
            let (a, b) = (a.expect("rewritten"), b.expect("kept"));
            assert_eq!(a.0, b.0, "{name}: {cmd} changed form");
            assert!(!b.1.is_empty() && a.1 != b.1, "{name}: {cmd} rewrite");
        } else {
            assert_eq!(a, b, "{name}: {cmd} changed");
        }
    }
    for cmd in ["EXPOSE", "VOLUME", "ENV", "LABEL"] {
        let values = |list: &[common::OracleInstruction]| {
            let mut v: Vec<Vec<String>> = list
                .iter()
                .filter(|i| i.cmd() == cmd)
                .map(|i| i.5.clone())
                .collect();
            v.sort();
            v
        };
        let missing: Vec<_> = values(orig)
            .into_iter()
            .filter(|v| !values(&last).contains(v))
            .collect();
        assert!(missing.is_empty(), "{name}: {cmd} lost: {missing:?}");
    }
    let user = last_of(&last, "USER")
        .map(|u| u.5[0].clone())
        .unwrap_or_default();
    let root = ["", "root", "0", "0:0", "root:root"];
    assert!(
        !root.contains(&user.as_str()),
        "{name}: the final stage runs as root"
    );
    let user_pos = last.iter().rposition(|i| i.cmd() == "USER").unwrap();
    for cmd in ["CMD", "ENTRYPOINT"] {
        if let Some(pos) = last.iter().rposition(|i| i.cmd() == cmd) {
            assert!(user_pos < pos, "{name}: USER comes before {cmd}");
        }
    }
    let build_tools = [
        "gcc",
        "g++",
        "build-essential",
        "build-base",
        "make",
        "git",
        "musl-dev",
    ];
    for ins in last.iter().filter(|i| i.cmd() == "RUN") {
        let text = ins.5.join(" ");
        if text.contains("apt-get install") || text.contains("apk add") {
            for word in text.split_whitespace() {
                assert!(
                    !build_tools.contains(&word) && !word.ends_with("-dev"),
                    "{name}: build package {word} in the final stage"
                );
            }
        }
    }
}

#[test]
fn skip_fixtures_are_left_byte_identical_with_a_reason() {
    let k = Knowledge::builtin().unwrap();
    let dirs = fixtures("skip");
    assert!(dirs.len() >= 5);
    let mut reasons = Vec::new();
    for dir in &dirs {
        let (source, m) = run(dir, &k);
        let m = m.unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let expected = if m.analysis.stage_count > 1 {
            Status::Unchanged
        } else {
            Status::Skipped
        };
        assert_eq!(m.status, expected, "{}", dir.display());
        assert_eq!(m.output, source.text, "{}", dir.display());
        let reason = m.reason.expect("a reason");
        assert!(
            reason.line >= 1,
            "{}: the reason names a line",
            dir.display()
        );
        reasons.push(format!("{}:{}: {}", shown(dir), reason.line, reason.reason));
    }
    insta::assert_snapshot!("skip_reasons", reasons.join("\n"));
}

#[test]
fn error_fixtures_are_rejected_with_file_and_line() {
    let k = Knowledge::builtin().unwrap();
    let mut messages = Vec::new();
    for dir in fixtures("error") {
        let (_, m) = run(&dir, &k);
        let e = m.expect_err("must be rejected");
        let text = e.to_string();
        let rel = text
            .strip_prefix(&format!("{}/", common::root().display()))
            .unwrap_or(&text)
            .to_string();
        assert!(rel.starts_with(&shown(&dir)), "{rel}");
        messages.push(rel);
    }
    insta::assert_snapshot!("error_messages", messages.join("\n"));
}
