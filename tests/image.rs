//! msb's own image (the Dockerfile at the repository's top): msb leaves
//! it unchanged, it builds on the local engine, runs `msb --version` as a
//! non-root user, and checks a mounted folder. Needs docker and the
//! stand-in images (`scripts/standin-images`); without docker, or without
//! the stand-ins, it skips with a message — in CI too when the stand-ins
//! are missing, but a build that fails where they are is a failure.

mod common;

use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_msb");
const BASES: [&str; 2] = ["rust:1-trixie", "gcr.io/distroless/cc-debian13:nonroot"];

fn docker(args: &[&str]) -> Output {
    Command::new("docker").args(args).output().unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Whether the engine answers and has both stand-ins, said when not.
fn engine_with_stand_ins() -> bool {
    match Command::new("docker").args(["info"]).output() {
        Ok(o) if o.status.success() => {}
        _ => {
            eprintln!("SKIPPED msb's image: no docker engine answers");
            return false;
        }
    }
    let missing: Vec<&str> = BASES
        .into_iter()
        .filter(|image| !docker(&["image", "inspect", image]).status.success())
        .collect();
    if !missing.is_empty() {
        eprintln!(
            "SKIPPED msb's image: the stand-in images {} are missing (scripts/standin-images)",
            missing.join(", ")
        );
        return false;
    }
    true
}

/// Removes the test's image however the test ends.
struct Image(String);

impl Drop for Image {
    fn drop(&mut self) {
        let _ = docker(&["image", "rm", "-f", &self.0]);
    }
}

/// `docker build` of the repository's Dockerfile. Cargo.lock's crates
/// need a newer rustc than the Debian-packaged stand-in of rust:1-trixie
/// has (the real image has a recent one): then the build is made again on
/// that stand-in with Debian trixie's newer toolchain (rustc-web,
/// cargo-web) as `RUST_IMAGE`, which is said.
fn build(tag: &str, builder: &Image) -> Output {
    let root = common::root();
    let root = root.to_str().unwrap();
    let first = docker(&["build", "-t", tag, root]);
    if first.status.success() || !text(&first).contains("requires rustc") {
        return first;
    }
    eprintln!(
        "msb's image: the stand-in rust:1-trixie's rustc is older than Cargo.lock needs; building on it with Debian's rustc-web as RUST_IMAGE={}",
        builder.0
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Dockerfile"),
        "FROM rust:1-trixie\nRUN apt-get update && apt-get install -y --no-install-recommends rustc-web cargo-web && rm -rf /var/lib/apt/lists/*\n",
    )
    .unwrap();
    let made = docker(&[
        "build",
        "-q",
        "-t",
        &builder.0,
        dir.path().to_str().unwrap(),
    ]);
    assert!(made.status.success(), "the newer builder: {}", text(&made));
    let arg = format!("RUST_IMAGE={}", builder.0);
    docker(&["build", "--build-arg", &arg, "-t", tag, root])
}

#[test]
fn msb_leaves_its_own_dockerfile_unchanged() {
    let out = Command::new(BIN)
        .args(["migrate", "--check", "Dockerfile"])
        .current_dir(common::root())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("unchanged: already multi-stage"),
        "{}",
        text(&out)
    );
}

#[test]
fn msbs_image_builds_and_runs_as_non_root() {
    if !engine_with_stand_ins() {
        return;
    }
    let image = Image(format!("msb-selftest:{}", std::process::id()));
    let builder = Image(format!("msb-selftest-rust:{}", std::process::id()));
    let built = build(&image.0, &builder);
    assert!(built.status.success(), "docker build: {}", text(&built));

    let version = docker(&["run", "--rm", &image.0, "--version"]);
    assert!(version.status.success(), "{}", text(&version));
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("msb {}", env!("CARGO_PKG_VERSION"))
    );
    let user = docker(&["image", "inspect", "-f", "{{.Config.User}}", &image.0]);
    assert_eq!(String::from_utf8_lossy(&user.stdout).trim(), "65532:65532");

    // The default command checks the mounted folder: a fixture to migrate.
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("work");
    common::copy_dir(
        &common::root().join("fixtures/python/seed-requirements-main-py"),
        &work,
    );
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&work, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mount = format!("{}:/work:ro", work.display());
    let check = docker(&["run", "--rm", "-v", &mount, &image.0]);
    assert_eq!(check.status.code(), Some(1), "{}", text(&check));
    assert!(
        text(&check).contains("Dockerfile: would migrate"),
        "{}",
        text(&check)
    );
}
