//! A cargo command line read as what matters for its binaries: the
//! subcommand, profile, `--bin`/`-p`/`--workspace` selection, target triple
//! and folders, `cargo install`'s `--path`/`--root` and the crates it takes
//! from a registry or git, and `cargo run`'s program arguments after `--`.

use super::base_name;

/// A cargo command line, as far as where its binaries go is concerned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CargoCall {
    /// `build`, `install`, `run`, `clean`...
    pub sub: String,
    /// The profile's folder under the target folder (`release`, `debug`).
    pub profile_dir: String,
    pub bins: Vec<String>,
    pub all_bins: bool,
    pub packages: Vec<String>,
    pub workspace: bool,
    pub exclude: Vec<String>,
    pub target: Option<String>,
    pub target_dir: Option<String>,
    pub manifest_path: Option<String>,
    /// `cargo install --path`.
    pub path: Option<String>,
    /// `cargo install --root`.
    pub root: Option<String>,
    /// `cargo install` of crates from a registry or git: tools, not the app.
    pub installs_other_crates: bool,
    /// The crates `cargo install` names (`diesel_cli`, `sqlx-cli@0.7`), or
    /// the repository of `--git`.
    pub crates: Vec<String>,
    /// Only libraries, examples, tests or benches were asked for.
    pub no_bins: bool,
    pub example: bool,
    /// Whether the words had a `--`, and the words after it (`cargo run`'s
    /// program arguments).
    pub separator: bool,
    pub program_args: Vec<String>,
}

/// cargo options that take a value.
const VALUE_FLAGS: &[&str] = &[
    "-p",
    "--package",
    "--bin",
    "--example",
    "--test",
    "--bench",
    "--exclude",
    "--target",
    "--target-dir",
    "--manifest-path",
    "--profile",
    "-F",
    "--features",
    "-j",
    "--jobs",
    "--message-format",
    "--color",
    "--config",
    "-Z",
    "--path",
    "--root",
    "--git",
    "--branch",
    "--tag",
    "--rev",
    "--registry",
    "--index",
    "--version",
    "--vers",
    "--lockfile-path",
    "--artifact-dir",
    "--out-dir",
    "-C",
];

/// The folder of a profile under the target folder.
fn profile_dir(profile: &str) -> String {
    match profile {
        "dev" | "test" => "debug".into(),
        "release" | "bench" => "release".into(),
        other => other.into(),
    }
}

/// Read `cargo ...` words (program included), or None if not cargo.
pub fn parse_cargo(words: &[String]) -> Option<CargoCall> {
    let program = words.first()?;
    if base_name(program) != "cargo" {
        return None;
    }
    let mut call = CargoCall::default();
    let mut args = words[1..].iter();
    // Toolchain (`+nightly`) and global options before the subcommand.
    for arg in args.by_ref() {
        if arg.starts_with('+') {
            continue;
        }
        if arg.starts_with('-') {
            if VALUE_FLAGS.contains(&arg.as_str()) {
                // A value flag before the subcommand (`--config x`): the
                // next word is its value, not the subcommand.
                call.sub = String::from("?");
                return Some(call);
            }
            continue;
        }
        call.sub = arg.clone();
        break;
    }
    call.profile_dir = if call.sub == "install" {
        "release".into()
    } else {
        "debug".into()
    };
    let mut asked_non_bins = false;
    while let Some(arg) = args.next() {
        if arg == "--" {
            call.separator = true;
            call.program_args = args.by_ref().cloned().collect();
            break;
        }
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if arg.starts_with("--") => (f, Some(v.to_string())),
            _ => (arg.as_str(), None),
        };
        if !flag.starts_with('-') {
            if call.sub == "install" {
                call.installs_other_crates = true;
                call.crates
                    .push(arg.split('@').next().unwrap_or(arg).to_string());
            }
            continue;
        }
        let value = if VALUE_FLAGS.contains(&flag) {
            inline.or_else(|| args.next().cloned())
        } else {
            None
        };
        let value = value.unwrap_or_default();
        match flag {
            "-r" | "--release" => call.profile_dir = "release".into(),
            "--debug" => call.profile_dir = "debug".into(),
            "--profile" => call.profile_dir = profile_dir(&value),
            "--bin" => call.bins.push(value),
            "--bins" => call.all_bins = true,
            "-p" | "--package" => call.packages.push(value),
            "--workspace" | "--all" => call.workspace = true,
            "--exclude" => call.exclude.push(value),
            "--target" => call.target = Some(value),
            "--target-dir" => call.target_dir = Some(value),
            "--manifest-path" => call.manifest_path = Some(value),
            "--path" => call.path = Some(value),
            "--root" => call.root = Some(value),
            "--git" => {
                call.installs_other_crates = true;
                let repo = base_name(&value).trim_end_matches(".git").to_string();
                if !repo.is_empty() {
                    call.crates.push(repo);
                }
            }
            "--registry" | "--index" => call.installs_other_crates = true,
            "--example" | "--examples" => {
                call.example = true;
                asked_non_bins = true;
            }
            "--lib" | "--test" | "--tests" | "--bench" | "--benches" => asked_non_bins = true,
            _ => {}
        }
    }
    if call.sub == "install" && call.path.is_some() {
        call.installs_other_crates = false;
    }
    call.no_bins = asked_non_bins && call.bins.is_empty() && !call.all_bins;
    Some(call)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn reads_cargo_command_lines() {
        let c = parse_cargo(&words(
            "cargo +nightly build --release --locked --bin api -p server --target x86_64-unknown-linux-musl",
        ))
        .unwrap();
        assert_eq!(c.sub, "build");
        assert_eq!(c.profile_dir, "release");
        assert_eq!(c.bins, vec!["api"]);
        assert_eq!(c.packages, vec!["server"]);
        assert_eq!(c.target.as_deref(), Some("x86_64-unknown-linux-musl"));

        let c = parse_cargo(&words(
            "cargo build --profile=dev --manifest-path api/Cargo.toml",
        ))
        .unwrap();
        assert_eq!(c.profile_dir, "debug");
        assert_eq!(c.manifest_path.as_deref(), Some("api/Cargo.toml"));
        assert_eq!(
            parse_cargo(&words("cargo build --profile dist"))
                .unwrap()
                .profile_dir,
            "dist"
        );

        let c = parse_cargo(&words("cargo install --path . --root /usr/local")).unwrap();
        assert_eq!(
            (
                c.sub.as_str(),
                c.profile_dir.as_str(),
                c.installs_other_crates
            ),
            ("install", "release", false)
        );
        assert_eq!(c.root.as_deref(), Some("/usr/local"));
        assert!(
            parse_cargo(&words("cargo install cargo-chef --locked"))
                .unwrap()
                .installs_other_crates
        );
        let tools = |line: &str| parse_cargo(&words(line)).unwrap().crates;
        assert_eq!(
            tools("cargo install diesel_cli --no-default-features --features postgres"),
            vec!["diesel_cli"]
        );
        assert_eq!(
            tools("cargo install sqlx-cli@0.7.4 --locked"),
            vec!["sqlx-cli"]
        );
        assert_eq!(
            tools("cargo install --git https://github.com/acme/migrator.git --tag v1"),
            vec!["migrator"]
        );
        assert!(tools("cargo install --path .").is_empty());

        let c = parse_cargo(&words("cargo run -r -- --port 8080 --")).unwrap();
        assert_eq!(c.sub, "run");
        assert!(c.separator);
        assert_eq!(c.program_args, vec!["--port", "8080", "--"]);
        assert!(parse_cargo(&words("cargo build --lib")).unwrap().no_bins);
        assert!(
            !parse_cargo(&words("cargo build --lib --bins"))
                .unwrap()
                .no_bins
        );
        assert_eq!(
            parse_cargo(&words("/usr/local/cargo/bin/cargo fetch"))
                .unwrap()
                .sub,
            "fetch"
        );
        assert_eq!(parse_cargo(&words("go build")), None);
    }
}
