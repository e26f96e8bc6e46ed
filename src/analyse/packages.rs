//! System packages: what an `apt-get`/`apk` command installs or removes,
//! and which of them the runtime stage needs (`packages.toml`).

use crate::analyse::Analysis;
use crate::analyse::shell::Command;
use crate::knowledge::{Family, Knowledge};
use crate::parse::{Dockerfile, Keyword};

/// What a package-manager command does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PackageOp {
    Install {
        family: Family,
        packages: Vec<String>,
        /// `apk add --virtual NAME`: the group a later `apk del NAME` removes.
        group: Option<String>,
    },
    Remove {
        packages: Vec<String>,
    },
    /// update, clean, upgrade...: changes no package set msb cares about.
    Housekeeping,
}

fn strip_version(pkg: &str) -> String {
    let end = pkg.find(['=', '>', '<', '~']).unwrap_or(pkg.len());
    let name = &pkg[..end];
    // apt's `pkg/bookworm-backports`
    name.split('/').next().unwrap_or(name).to_string()
}

/// Read a package-manager command, or None if it is not one.
pub fn read(cmd: &Command) -> Option<PackageOp> {
    let program = cmd.program();
    let family = match program {
        "apt-get" | "apt" | "aptitude" => Family::Debian,
        "apk" => Family::Alpine,
        _ => return None,
    };
    let takes_value: &[&str] = match family {
        Family::Debian => &["-o", "-t", "--target-release", "-c", "--config-file"],
        _ => &[
            "-X",
            "--repository",
            "-p",
            "--root",
            "--arch",
            "--cache-dir",
        ],
    };
    let mut sub: Option<&str> = None;
    let mut names = Vec::new();
    let mut group = None;
    let mut args = cmd.args().iter();
    while let Some(a) = args.next() {
        if a == "--virtual" || a == "-t" && family == Family::Alpine {
            group = args.next().cloned();
            continue;
        }
        if takes_value.contains(&a.as_str()) {
            args.next();
            continue;
        }
        if a.starts_with('-') {
            continue;
        }
        if sub.is_none() {
            sub = Some(a.as_str());
        } else {
            names.push(strip_version(a));
        }
    }
    Some(match sub.unwrap_or("") {
        "install" | "add" => PackageOp::Install {
            family,
            packages: names,
            group,
        },
        "remove" | "purge" | "del" | "autoremove" => PackageOp::Remove { packages: names },
        _ => PackageOp::Housekeeping,
    })
}

/// Whether a program the container runs (`tini`, `dumb-init`) comes from a
/// package the builder installs that the runtime stage installs too (one
/// that is not only for building), under the program's own name.
pub fn installs_program(
    installed: &[String],
    removed: &[String],
    family: Family,
    program: &str,
    k: &Knowledge,
) -> bool {
    let build_only = k
        .family_packages(family)
        .is_some_and(|t| t.build_only.iter().any(|p| p == program));
    installed.iter().any(|p| p == program) && !removed.iter().any(|p| p == program) && !build_only
}

/// The `NAME=value` variables the original's installs of any of
/// `packages` ran with, each name once (the first install's value): the
/// words before `apt-get install` (`ACCEPT_EULA=Y apt-get install
/// msodbcsql18`), `export NAME=value` earlier in the same RUN, and the
/// ENV and ARG values of `commands.toml`'s `install_env` names set in the
/// stage before it. A value that reads another variable (`$EULA`) is left
/// out: msb does not know it.
pub fn install_env(
    file: &Dockerfile,
    a: &Analysis,
    k: &Knowledge,
    packages: &[&str],
) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (pos, rc) in a.run_commands.iter().enumerate() {
        let installs_one = matches!(read(&rc.command),
            Some(PackageOp::Install { packages: p, .. }) if p.iter().any(|n| packages.contains(&n.as_str())));
        if !installs_one {
            continue;
        }
        // Later settings replace earlier ones: instructions, then the
        // RUN's exports, then the words on the install itself.
        let mut vars: Vec<(String, String)> = Vec::new();
        let set = |vars: &mut Vec<(String, String)>, name: &str, value: &str| {
            vars.retain(|(n, _)| n != name);
            vars.push((name.to_string(), value.to_string()));
        };
        let stage_start = file.instructions[..rc.index]
            .iter()
            .rposition(|i| i.keyword == Keyword::From)
            .unwrap_or(0);
        for ins in &file.instructions[stage_start..rc.index] {
            if !matches!(ins.keyword, Keyword::Env | Keyword::Arg) {
                continue;
            }
            for (name, value) in crate::analyse::env_pairs(&ins.args) {
                if k.commands.install_env.contains(&name) && !value.is_empty() {
                    set(&mut vars, &name, &value);
                }
            }
        }
        for earlier in a.run_commands[..pos].iter().filter(|e| e.index == rc.index) {
            if earlier.command.program() != "export" {
                continue;
            }
            for word in earlier.command.args() {
                if let Some((name, value)) = word.split_once('=') {
                    set(&mut vars, name, value);
                }
            }
        }
        for (name, value) in &rc.command.env {
            set(&mut vars, name, value);
        }
        for (name, value) in vars {
            if !value.contains('$') && !out.iter().any(|(n, _)| *n == name) {
                out.push((name, value));
            }
        }
    }
    out
}

/// A package the runtime stage installs, with why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RuntimePackage {
    pub name: String,
    pub why: String,
}

/// What the runtime stage needs of the packages the builder installed.
#[derive(Debug, Clone, Default)]
pub struct RuntimePackages {
    pub install: Vec<RuntimePackage>,
    /// Build-only packages left in the builder.
    pub build_only: Vec<String>,
    /// `-dev` packages with no known runtime library.
    pub unknown_dev: Vec<String>,
}

fn is_dev(pkg: &str) -> bool {
    pkg.ends_with("-dev") || pkg.ends_with("-devel") || pkg.ends_with("-headers")
}

/// Sort the builder's packages into build-only, runtime libraries for
/// `-dev` ones, and the rest (tools the app may call), kept as they are.
pub fn for_runtime(
    family: Family,
    release: Option<&str>,
    installed: &[String],
    removed: &[String],
    k: &Knowledge,
) -> RuntimePackages {
    let mut out = RuntimePackages::default();
    let Some(table) = k.family_packages(family) else {
        return out;
    };
    let libs = match family {
        Family::Alpine => table.runtime_libs.get("default"),
        _ => release.and_then(|r| table.runtime_libs.get(r)),
    };
    let push = |name: &str, why: String, out: &mut RuntimePackages| {
        if !out.install.iter().any(|p| p.name == name) {
            out.install.push(RuntimePackage {
                name: name.to_string(),
                why,
            });
        }
    };
    for pkg in installed {
        if table.build_only.iter().any(|b| b == pkg) {
            out.build_only.push(pkg.clone());
        } else if let Some(runtime) = libs.and_then(|l| l.get(pkg)) {
            out.build_only.push(pkg.clone());
            for lib in runtime {
                push(lib, format!("runtime library of {pkg}"), &mut out);
            }
        } else if is_dev(pkg) {
            out.build_only.push(pkg.clone());
            out.unknown_dev.push(pkg.clone());
        } else if removed.contains(pkg) {
            out.build_only.push(pkg.clone());
        } else {
            push(pkg, "installed in the original image".to_string(), &mut out);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyse::shell::commands;

    #[test]
    fn reads_apt_and_apk() {
        let c = &commands(
            "apt-get install -y --no-install-recommends -o Dpkg::Options::=x gcc libpq-dev=15.1 curl/bookworm",
        )[0];
        assert_eq!(
            read(c),
            Some(PackageOp::Install {
                family: Family::Debian,
                packages: vec!["gcc".into(), "libpq-dev".into(), "curl".into()],
                group: None
            })
        );
        let a =
            &commands("apk add --no-cache --virtual .build-deps build-base postgresql-dev~=15")[0];
        assert_eq!(
            read(a),
            Some(PackageOp::Install {
                family: Family::Alpine,
                packages: vec!["build-base".into(), "postgresql-dev".into()],
                group: Some(".build-deps".into())
            })
        );
        assert_eq!(
            read(&commands("apt-get update")[0]),
            Some(PackageOp::Housekeeping)
        );
        assert_eq!(read(&commands("ls")[0]), None);
    }

    #[test]
    fn install_env_carries_prefixes_exports_and_env() {
        let text = "FROM python:3.12-bookworm\n\
            ENV ACCEPT_EULA=N PYTHONUNBUFFERED=1\n\
            ARG DEBIAN_FRONTEND=noninteractive\n\
            RUN export ACCEPT_EULA=Y ODBCINI=/etc/odbc.ini && apt-get update && apt-get install -y msodbcsql18\n\
            RUN TZ=UTC apt-get install -y tzdata\n";
        let file = crate::parse::parse(text).unwrap();
        let k = Knowledge::builtin().unwrap();
        let a = crate::analyse::analyse(&file, &crate::source::BuildContext::empty(), &k);
        let pairs = |v: &[(&str, &str)]| -> Vec<(String, String)> {
            v.iter()
                .map(|(n, x)| (n.to_string(), x.to_string()))
                .collect()
        };
        assert_eq!(
            install_env(&file, &a, &k, &["msodbcsql18"]),
            pairs(&[
                ("DEBIAN_FRONTEND", "noninteractive"),
                ("ACCEPT_EULA", "Y"),
                ("ODBCINI", "/etc/odbc.ini")
            ])
        );
        assert_eq!(
            install_env(&file, &a, &k, &["tzdata"]),
            pairs(&[
                ("ACCEPT_EULA", "N"),
                ("DEBIAN_FRONTEND", "noninteractive"),
                ("TZ", "UTC")
            ])
        );
        assert!(install_env(&file, &a, &k, &["curl"]).is_empty());
    }

    #[test]
    fn sorts_packages_for_the_runtime() {
        let k = Knowledge::builtin().unwrap();
        let installed: Vec<String> = ["gcc", "libpq-dev", "ffmpeg", "libfoo-dev"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let r = for_runtime(Family::Debian, Some("bookworm"), &installed, &[], &k);
        let names: Vec<&str> = r.install.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, vec!["libpq5", "ffmpeg"]);
        assert_eq!(r.unknown_dev, vec!["libfoo-dev"]);
        assert!(r.build_only.contains(&"gcc".to_string()));
    }
}
