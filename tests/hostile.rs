//! Hostile input, as a table: each input is either handled (left alone or
//! migrated, exit 0) or rejected with one clear line naming the file and,
//! where it applies, the line (exit 2). Never a panic or a hang, and under
//! `--write` a rejected file is left exactly as it was.

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_msb");

/// What msb must do with an input.
enum Expect {
    /// Exit 2; stderr is `msb: PATH[:LINE]: ...` containing the text.
    Rejected {
        line: Option<usize>,
        says: &'static str,
    },
    /// Exit 0, the file is untouched, and stderr gives the reason.
    Skipped { says: &'static str },
    /// Exit 0 and a migration that msb's own parser reads back.
    Migrated,
}

struct Case {
    name: &'static str,
    bytes: Vec<u8>,
    expect: Expect,
}

fn cases() -> Vec<Case> {
    use Expect::*;
    let mut long_line = b"FROM python:3.11\nRUN echo ".to_vec();
    long_line.extend(std::iter::repeat_n(b'a', 8 * 1024 * 1024));
    long_line.extend(b"\nCOPY . /app\nCMD [\"python\", \"/app/app.py\"]\n");
    let mut continued = b"FROM python:3.11\nRUN echo start \\\n".to_vec();
    for i in 0..20_000 {
        continued.extend(format!("  && echo {i} \\\n").as_bytes());
    }
    continued.extend(b"  && echo end\nCOPY . /app\nCMD [\"python\", \"/app/app.py\"]\n");
    // Many instructions: each step of the analysis must stay linear.
    let mut many = b"FROM python:3.12\nWORKDIR /app\nCOPY . .\n".to_vec();
    for i in 0..50_000 {
        many.extend(format!("RUN echo {i} >> /app/log\n").as_bytes());
    }
    many.extend(b"CMD [\"python\", \"app.py\"]\n");
    // Deep nesting in every place that has brackets or quotes.
    let mut deep = b"FROM python:3.12\nRUN ".to_vec();
    deep.extend(std::iter::repeat_n(b'(', 100_000));
    deep.extend(b"echo");
    deep.extend(std::iter::repeat_n(b')', 100_000));
    deep.extend(b"\nRUN echo ");
    deep.extend("$(".repeat(50_000).as_bytes());
    deep.extend(")".repeat(50_000).as_bytes());
    deep.extend(b"\nCOPY . /app\nHEALTHCHECK CMD ");
    deep.extend(std::iter::repeat_n(b'[', 100_000));
    deep.extend(b"\nCMD ");
    deep.extend(std::iter::repeat_n(b'[', 100_000));
    deep.extend(std::iter::repeat_n(b']', 100_000));
    deep.extend(b"\n");
    let mut binary: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    binary[0] = 0x89;
    vec![
        Case {
            name: "empty file",
            bytes: Vec::new(),
            expect: Rejected { line: Some(1), says: "no instructions" },
        },
        Case {
            name: "comments only",
            bytes: b"# a comment\n# another\n".to_vec(),
            expect: Rejected { line: Some(1), says: "no instructions" },
        },
        Case {
            name: "binary data",
            bytes: binary,
            expect: Rejected { line: Some(1), says: "not valid UTF-8" },
        },
        Case {
            name: "non-UTF-8 bytes",
            bytes: b"FROM python:3.11\nRUN echo \xff\xfe\n".to_vec(),
            expect: Rejected { line: Some(2), says: "not valid UTF-8" },
        },
        Case {
            name: "NUL bytes",
            bytes: b"FROM python:3.11\nRUN echo a\x00b\n".to_vec(),
            expect: Rejected { line: Some(2), says: "NUL" },
        },
        Case {
            name: "no FROM",
            bytes: b"RUN echo hi\nCMD [\"x\"]\n".to_vec(),
            expect: Rejected { line: Some(1), says: "before the first FROM" },
        },
        Case {
            name: "unterminated heredoc",
            bytes: b"FROM python:3.11\nRUN <<EOF\necho hi\n".to_vec(),
            expect: Rejected { line: Some(2), says: "unterminated heredoc" },
        },
        Case {
            // BuildKit reads a trailing backslash at the end of the file
            // as the end of the instruction.
            name: "continuation at end of file",
            bytes: b"FROM python:3.11\nCOPY . /app\nCMD python /app/app.py \\\n".to_vec(),
            expect: Migrated,
        },
        Case {
            // Not JSON, so BuildKit runs it in shell form; kept as written.
            name: "broken JSON form",
            bytes: b"FROM python:3.11\nCOPY . /app\nCMD [\"python\", \"/app/app.py\"\n".to_vec(),
            expect: Migrated,
        },
        Case {
            name: "an 8 MB line",
            bytes: long_line,
            expect: Migrated,
        },
        Case {
            name: "20,000 continued lines",
            bytes: continued,
            expect: Migrated,
        },
        Case {
            name: "50,000 instructions",
            bytes: many,
            expect: Migrated,
        },
        Case {
            name: "100,000 nested brackets, substitutions and JSON arrays",
            bytes: deep,
            expect: Migrated,
        },
        Case {
            name: "backtick escape of Windows images",
            bytes: b"# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\nRUN echo hi `\n  there\n"
                .to_vec(),
            expect: Skipped { says: "backtick escape" },
        },
        Case {
            name: "UTF-8 BOM and odd keyword casing",
            bytes: b"\xef\xbb\xbffRoM python:3.11\nrun pip install flask\ncopy . /app\ncMd [\"python\", \"/app/app.py\"]\n"
                .to_vec(),
            expect: Migrated,
        },
    ]
}

/// Run msb with a deadline: a hang is a failure, not a stuck test run.
fn run(args: &[&str], dir: &Path) -> (i32, String, String) {
    let mut child = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    // Drain the pipes on threads so a large output cannot block the child.
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out_reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        std::io::Read::read_to_end(&mut out, &mut s).unwrap();
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        std::io::Read::read_to_end(&mut err, &mut s).unwrap();
        s
    });
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("msb {args:?} hung for 60 s");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let stdout = String::from_utf8_lossy(&out_reader.join().unwrap()).into_owned();
    let stderr = String::from_utf8_lossy(&err_reader.join().unwrap()).into_owned();
    let code = status.code().expect("msb was killed by a signal (a crash)");
    (code, stdout, stderr)
}

#[test]
fn hostile_inputs_are_handled_or_rejected_clearly() {
    for case in cases() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("Dockerfile");
        fs::write(&path, &case.bytes).unwrap();
        let (code, stdout, stderr) = run(&["migrate", "--write", "Dockerfile"], tmp.path());
        assert!(
            !stderr.contains("panicked"),
            "{}: panic: {stderr}",
            case.name
        );
        let after = fs::read(&path).unwrap();
        match case.expect {
            Expect::Rejected { line, says } => {
                assert_eq!(code, 2, "{}: exit code; stderr: {stderr}", case.name);
                let at = match line {
                    Some(n) => format!("msb: Dockerfile:{n}: "),
                    None => "msb: Dockerfile: ".to_string(),
                };
                let first = stderr.lines().next().unwrap_or("");
                assert!(
                    first.starts_with(&at) && first.contains(says),
                    "{}: message {first:?} should start with {at:?} and say {says:?}",
                    case.name
                );
                assert_eq!(stderr.lines().count(), 1, "{}: one line", case.name);
                assert!(after == case.bytes, "{}: file changed on error", case.name);
                assert!(stdout.is_empty(), "{}: stdout {stdout:?}", case.name);
            }
            Expect::Skipped { says } => {
                assert_eq!(code, 0, "{}: exit code; stderr: {stderr}", case.name);
                assert!(stderr.contains(says), "{}: {stderr}", case.name);
                assert!(after == case.bytes, "{}: a skipped file changed", case.name);
            }
            Expect::Migrated => {
                assert_eq!(code, 0, "{}: exit code; stderr: {stderr}", case.name);
                assert!(after != case.bytes, "{}: not migrated", case.name);
                let text = String::from_utf8(after.clone()).unwrap();
                let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
                msb::parse::parse(text)
                    .unwrap_or_else(|e| panic!("{}: output does not parse: {e:?}", case.name));
                // A BOM the file had is kept.
                assert_eq!(
                    after.starts_with(b"\xef\xbb\xbf"),
                    case.bytes.starts_with(b"\xef\xbb\xbf"),
                    "{}: BOM",
                    case.name
                );
            }
        }
    }
}

#[test]
fn paths_that_are_not_readable_files_are_rejected() {
    let tmp = tempfile::tempdir().unwrap();
    fs::create_dir(tmp.path().join("empty-folder")).unwrap();
    for (arg, says) in [
        ("does-not-exist", "no such file or directory"),
        ("empty-folder", "no Dockerfile found"),
    ] {
        let (code, _, stderr) = run(&["migrate", arg], tmp.path());
        assert_eq!(code, 2, "{arg}: {stderr}");
        assert!(
            stderr.starts_with(&format!("msb: {arg}: ")) && stderr.contains(says),
            "{arg}: {stderr}"
        );
    }
}

#[test]
fn a_file_that_cannot_be_read_is_rejected() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("Dockerfile");
    fs::write(&path, "FROM python:3.11\n").unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o000)).unwrap();
    if fs::read(&path).is_ok() {
        // root reads whatever the mode says: nothing to test here.
        eprintln!("note: running as root, a mode-000 file is readable; case not exercised");
        return;
    }
    let (code, _, stderr) = run(&["migrate", "Dockerfile"], tmp.path());
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.starts_with("msb: Dockerfile: "), "{stderr}");
    assert!(stderr.contains("permission denied"), "{stderr}");
}

/// Kill msb (SIGKILL, no cleanup) in the middle of a bulk `--write`: every
/// Dockerfile must then be either its old self or its new self, never a
/// half-written mix, because each is replaced by a rename.
#[test]
fn a_killed_bulk_write_leaves_every_file_old_or_new() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let cases = [
        "python/seed-requirements-main-py",
        "go/seed-alpine-cgo-disabled",
        "python/crlf-syntax-arg-before-from",
        "node/express-npm-ci-healthcheck",
    ];
    // What --write makes of each case, from a run that is not killed.
    let mut expected = Vec::new();
    for case in cases {
        let (_, out, _) = run(&["migrate", "--stdout", "Dockerfile"], &fixtures.join(case));
        let old = fs::read(fixtures.join(case).join("Dockerfile")).unwrap();
        assert_ne!(out.as_bytes(), &old[..], "{case} migrates");
        expected.push((case, old, out.into_bytes()));
    }
    for attempt in 0..3u64 {
        let tmp = tempfile::tempdir().unwrap();
        let mut files = Vec::new();
        for i in 0..400 {
            let (case, old, new) = &expected[i % expected.len()];
            let dir = tmp.path().join(format!("svc-{i:03}"));
            copy_tree(&fixtures.join(case), &dir);
            files.push((dir.join("Dockerfile"), old.clone(), new.clone()));
        }
        let mut child = Command::new(BIN)
            .args(["migrate", "--write", "--jobs", "2", "."])
            .current_dir(tmp.path())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Kill it once some files are written, each attempt a little later,
        // while the other thread is in the middle of its next file.
        let stderr = std::io::BufReader::new(child.stderr.take().unwrap());
        let written = std::io::BufRead::lines(stderr)
            .map_while(Result::ok)
            .filter(|l| l.contains(": migrated ("))
            .take(10 + 40 * attempt as usize)
            .count();
        child.kill().unwrap();
        child.wait().unwrap();
        let (mut old_count, mut new_count) = (0, 0);
        for (path, old, new) in &files {
            let now = fs::read(path).unwrap();
            if now == *old {
                old_count += 1;
            } else if now == *new {
                new_count += 1;
            } else {
                panic!("{} is neither its old nor its new self", path.display());
            }
        }
        eprintln!("killed after {written} files: {new_count} new, {old_count} old");
        assert!(
            new_count >= written,
            "the files reported written are written"
        );
        assert!(old_count > 0, "the kill came before the end of the run");
    }
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dest = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &dest);
        } else {
            fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

/// A build context file of 1 GiB (a hostile package.json, Cargo.toml,
/// requirements.txt) is not read whole: under a 512 MiB address-space
/// limit msb still finishes, with a clear outcome.
#[test]
fn a_huge_context_file_is_not_read_whole() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    fs::write(
        dir.join("Dockerfile"),
        "FROM node:20\nWORKDIR /app\nCOPY package.json ./\nRUN npm install\nCOPY . .\nCMD [\"node\", \"server.js\"]\n",
    )
    .unwrap();
    for name in ["package.json", "requirements.txt", "Cargo.toml", "go.mod"] {
        // Sparse: 1 GiB on paper, nothing on disk.
        let f = fs::File::create(dir.join(name)).unwrap();
        f.set_len(1 << 30).unwrap();
    }
    fs::write(
        dir.join("server.js"),
        "require('http').createServer().listen(3000)\n",
    )
    .unwrap();
    let limited = format!("ulimit -v 524288 && exec {BIN} migrate --check Dockerfile");
    let out = Command::new("sh")
        .args(["-c", &limited])
        .current_dir(dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let code = out.status.code().expect("msb was killed (out of memory?)");
    assert!(code == 0 || code == 1, "exit {code}: {stderr}");
    assert!(stderr.starts_with("msb: Dockerfile"), "{stderr}");
    assert!(!stderr.contains("memory allocation"), "{stderr}");
}

/// Inputs the fuzzers crashed msb with (`fuzz/`), kept once fixed: each
/// goes through the whole pipeline, safe and unsafe, without a panic.
#[test]
fn fuzz_crashes_stay_fixed() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_regressions");
    let mut seen = 0;
    for entry in fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let tmp = tempfile::tempdir().unwrap();
        fs::copy(&path, tmp.path().join("Dockerfile")).unwrap();
        for args in [
            &["migrate", "--stdout", "Dockerfile"][..],
            &["migrate", "--unsafe", "--stdout", "Dockerfile"][..],
        ] {
            let (code, stdout, stderr) = run(args, tmp.path());
            assert!(!stderr.contains("panicked"), "{}: {stderr}", path.display());
            assert!(code == 0 || code == 2, "{}: exit {code}", path.display());
            if code == 0 {
                msb::parse::parse(&stdout)
                    .unwrap_or_else(|e| panic!("{}: output does not parse: {e:?}", path.display()));
                // msb leaves its own output as it is.
                let again = tempfile::tempdir().unwrap();
                fs::write(again.path().join("Dockerfile"), &stdout).unwrap();
                let (_, second, _) = run(args, again.path());
                assert_eq!(
                    second,
                    stdout,
                    "{}: a second run changed it",
                    path.display()
                );
            }
        }
        seen += 1;
    }
    assert!(seen > 0, "no regression inputs in {}", dir.display());
}
