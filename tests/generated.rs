//! The generated files the repository keeps — shell completions in
//! `completions/` and man pages in `man/` — must be what the built msb
//! makes now: a flag added without `scripts/generate-docs` fails here.

mod common;

use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_msb");

fn msb(args: &[&str]) -> Vec<u8> {
    let out = Command::new(BIN).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "msb {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[track_caller]
fn assert_current(committed: &Path, generated: &[u8]) {
    let kept = std::fs::read(committed)
        .unwrap_or_else(|e| panic!("{}: {e} (run scripts/generate-docs)", committed.display()));
    assert!(
        kept == generated,
        "{} is not what msb generates now: run scripts/generate-docs and commit the result",
        committed.display()
    );
}

#[test]
fn the_committed_completions_are_current() {
    let dir = common::root().join("completions");
    for (shell, file) in [
        ("bash", "msb.bash"),
        ("zsh", "_msb"),
        ("fish", "msb.fish"),
        ("powershell", "_msb.ps1"),
    ] {
        let generated = msb(&["completions", shell]);
        assert!(
            String::from_utf8_lossy(&generated).contains("output-format"),
            "{shell}: the completion lacks migrate's flags"
        );
        assert_current(&dir.join(file), &generated);
    }
}

#[test]
fn the_bash_completion_completes_msb() {
    if !common::program("bash", "the bash completion check") {
        return;
    }
    let script = common::root().join("completions/msb.bash");
    // Complete `msb mig` and `msb migrate --output-format s` as bash would.
    let probe = format!(
        "source '{}'\n\
         COMP_WORDS=(msb mig); COMP_CWORD=1; _msb msb mig msb; echo \"${{COMPREPLY[*]}}\"\n\
         COMP_WORDS=(msb migrate --output-format s); COMP_CWORD=3; _msb msb s --output-format; echo \"${{COMPREPLY[*]}}\"\n",
        script.display()
    );
    let out = Command::new("bash").args(["-c", &probe]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.first().copied(), Some("migrate"), "{text}");
    assert_eq!(lines.get(1).copied(), Some("sarif"), "{text}");
}

#[test]
fn the_committed_man_pages_are_current() {
    let tmp = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args(["man", "--out-dir"])
        .arg(tmp.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let names = |dir: &Path| -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let kept = common::root().join("man");
    assert_eq!(
        names(&kept),
        names(tmp.path()),
        "man/ has other pages than msb makes: run scripts/generate-docs"
    );
    for name in names(tmp.path()) {
        assert_current(
            &kept.join(&name),
            &std::fs::read(tmp.path().join(&name)).unwrap(),
        );
    }
    // `msb man` alone prints the top page.
    assert_current(&kept.join("msb.1"), &msb(&["man"]));
    let top = std::fs::read_to_string(kept.join("msb.1")).unwrap();
    assert!(top.contains(".TH msb 1"), "{top}");
    assert!(
        top.contains("msb\\-migrate(1)"),
        "the top page lists the subcommands"
    );
}
