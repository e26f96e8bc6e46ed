//! `render(parse(x)) == x` byte for byte, for every form BuildKit accepts,
//! and instruction boundaries that agree with BuildKit's own parser (and
//! with the `dockerfile-parser` crate where it can read the file).

mod common;

use msb::parse::{Flag, Keyword, parse};

/// Inputs that exercise each lossless case of the core issue.
const CASES: &[(&str, &str)] = &[
    (
        "comments",
        "# top comment\n\nFROM alpine:3.19\n# between\nRUN echo a \\\n  # inside a continuation\n  && echo b\n\n\n# trailing comment\n",
    ),
    (
        "blank-in-continuation",
        "FROM alpine\nRUN apk add \\\n\n    curl\n",
    ),
    (
        "casing",
        "from alpine AS base\nRun echo hi\nrUn echo there\nCMD [\"sh\"]\n",
    ),
    (
        "syntax-directive",
        "# syntax=docker/dockerfile:1.7\nFROM alpine\nRUN true\n",
    ),
    (
        "escape-backtick",
        "# escape=`\nFROM mcr.microsoft.com/windows/nanoserver:ltsc2022\nRUN dir `\n    c:\\\nCOPY a c:\\app\\\n",
    ),
    (
        "heredoc-run",
        "FROM debian\nRUN <<EOF\nset -e\napt-get update\nEOF\nCMD [\"bash\"]\n",
    ),
    (
        "heredoc-chomp",
        "FROM debian\nRUN <<-EOT bash\n\techo tabbed\n\tEOT\n",
    ),
    (
        "heredoc-copy",
        "FROM alpine\nCOPY <<EOF /etc/app.conf\nkey=value\nEOF\n",
    ),
    (
        "heredoc-two",
        "FROM alpine\nRUN cat <<A > /a && cat <<\"B\" > /b\none\nA\ntwo $x\nB\n",
    ),
    (
        "flags",
        "FROM --platform=$BUILDPLATFORM golang:1.22 AS build\nCOPY --link --chown=1000:1000 . /src\nRUN --mount=type=cache,target=/root/.cache/go-build --mount=type=bind,source=go.mod,target=go.mod go build ./...\n",
    ),
    (
        "legacy-env",
        "FROM alpine\nENV PATH /usr/local/bin:$PATH\nENV A=1 B=\"two words\"\n",
    ),
    (
        "json-and-shell",
        "FROM alpine\nENTRYPOINT [\"/bin/sh\", \"-c\"]\nCMD echo $HOME\nCMD [\"not\", json]\n",
    ),
    (
        "arg-before-from",
        "ARG BASE=alpine:3.19\nARG OTHER\nFROM ${BASE}\nARG OTHER\n",
    ),
    (
        "crlf",
        "FROM alpine\r\nRUN echo a \\\r\n    && echo b\r\n\r\nCMD [\"sh\"]\r\n",
    ),
    ("no-final-newline", "FROM alpine\nCMD [\"sh\"]"),
    (
        "trailing-whitespace",
        "FROM alpine   \nRUN echo a \\  \n    b\t\n   \n",
    ),
    ("indented", "  FROM alpine\n\tRUN echo hi\n"),
    ("continuation-at-eof", "FROM alpine\nRUN echo \\"),
    (
        "multi-stage",
        "FROM golang:1.22 AS build\nRUN go build -o /x .\n\nFROM scratch\nCOPY --from=build /x /x\n",
    ),
];

#[test]
fn every_case_round_trips_byte_for_byte() {
    for (name, text) in CASES {
        let file = parse(text).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        assert_eq!(file.render_unchanged(), *text, "{name}");
    }
    for group in ["python", "go", "skip"] {
        for dir in common::fixtures(group) {
            let text = std::fs::read_to_string(dir.join("Dockerfile")).unwrap();
            let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
            let file = parse(text).unwrap_or_else(|e| panic!("{}: {e:?}", dir.display()));
            assert_eq!(file.render_unchanged(), text, "{}", dir.display());
        }
    }
}

#[test]
fn instruction_boundaries_agree_with_buildkit() {
    let dir = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for (name, text) in CASES {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        paths.push(p);
    }
    for group in ["python", "go", "skip"] {
        for d in common::fixtures(group) {
            paths.push(d.join("Dockerfile"));
        }
    }
    let refs: Vec<&std::path::Path> = paths.iter().map(|p| p.as_path()).collect();
    let Some(verdicts) = common::oracle(&refs) else {
        return;
    };
    for (path, verdict) in paths.iter().zip(verdicts) {
        let text = std::fs::read_to_string(path).unwrap();
        assert_eq!(verdict.parse_error, None, "{}", path.display());
        let file = parse(&text).unwrap();
        let ours: Vec<(String, usize, usize, bool)> = file
            .instructions
            .iter()
            .map(|i| {
                (
                    i.keyword.as_str().to_string(),
                    i.line,
                    i.end_line,
                    i.exec.is_some(),
                )
            })
            .collect();
        let theirs: Vec<(String, usize, usize, bool)> = verdict
            .instructions
            .iter()
            .map(|i| (i.0.clone(), i.1, i.2, i.4))
            .collect();
        assert_eq!(ours, theirs, "{}", path.display());
        for (ins, oracle) in file.instructions.iter().zip(&verdict.instructions) {
            let flags: Vec<String> = ins.flags.iter().map(Flag::written).collect();
            assert_eq!(flags, oracle.3, "{} line {}", path.display(), ins.line);
            if ins.keyword == Keyword::Run && !ins.heredocs.is_empty() {
                assert!(!ins.heredocs[0].content.is_empty());
            }
        }
    }
}

/// Where the `dockerfile-parser` crate reads a file, it finds the same
/// instructions at the same lines.
#[test]
fn instruction_starts_agree_with_dockerfile_parser_where_it_parses() {
    let mut compared = 0;
    for (name, text) in CASES {
        let Ok(theirs) = dockerfile_parser::Dockerfile::parse(text) else {
            continue;
        };
        let ours = parse(text).unwrap();
        let their_lines: Vec<usize> = theirs
            .instructions
            .iter()
            .map(|i| 1 + text[..i.span().start].matches('\n').count())
            .collect();
        let our_lines: Vec<usize> = ours.instructions.iter().map(|i| i.line).collect();
        assert_eq!(our_lines, their_lines, "{name}");
        compared += 1;
    }
    assert!(
        compared >= 8,
        "dockerfile-parser read only {compared} cases"
    );
}
