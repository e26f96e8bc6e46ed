//! Install in the runtime stage the system packages the app needs there.
//!
//! From the builder's package installs: build-only packages (compilers,
//! headers) stay behind; a `-dev` package becomes the runtime library it
//! stood for (`libpq-dev` → `libpq5`, from `transforms/packages.toml`,
//! which Debian's own metadata generates); other packages (ffmpeg, curl)
//! may be called by the app and are kept. Tools the runtime commands call
//! (curl for a HEALTHCHECK) are added when the slim base lacks them and
//! no package the final stage installs gives them (`netcat` gives `nc`).
//! Packages the base already has are not installed again.
//!
//! The language analysis may add RUNs of its own (a global tool the
//! command starts, installed again rather than copied with its links).
//!
//! The install runs with the variables the original's install of the same
//! packages ran with (`ACCEPT_EULA=Y` for Microsoft's ODBC driver).
//!
//! Applicability: safe. Written with `--no-install-recommends` and the apt
//! lists removed (Debian) or `--no-cache` (Alpine).

use crate::knowledge::Family;
use crate::plan::{Applicability, PassInput, Plan};

pub const NAME: &str = "runtime_packages";

pub fn run(input: &PassInput, plan: &mut Plan) {
    let a = input.analysis;
    let Some(base) = plan.runtime_base.clone() else {
        return;
    };
    let resolved = crate::analyse::image::substitute(&base.image, &a.global_args);
    let mut packages: Vec<(String, String)> =
        super::runtime_base::missing_packages(a, input.knowledge, &resolved)
            .into_iter()
            .map(|name| {
                let why = a
                    .runtime_packages
                    .iter()
                    .find(|p| p.name == name)
                    .map(|p| p.why.clone())
                    .unwrap_or_default();
                (name.to_string(), why)
            })
            .collect();
    for (tool, why) in &a.runtime.tools {
        let builder_has = a.builder.as_ref().is_some_and(|b| b.has_tool(tool));
        let Some(provides) = input.knowledge.commands.runtime_tools.get(tool) else {
            continue;
        };
        let package = match base.family {
            Family::Alpine => provides.alpine.clone(),
            _ => provides.debian.clone(),
        };
        // A package the final stage installs already gives the tool.
        let installed = packages.iter().any(|(p, _)| provides.provided_by(p));
        if !base.has_tool(tool) && !installed {
            let origin = if builder_has {
                ", which the builder image had"
            } else {
                ""
            };
            packages.push((package, format!("{why}{origin}")));
        }
    }
    // What a Debian runtime of this language always needs (Go: CA
    // certificates, which the golang image had).
    let pack = a
        .language
        .as_ref()
        .and_then(|l| input.knowledge.language(&l.id));
    if base.family == Family::Debian
        && let Some(pack) = pack
    {
        for (i, name) in pack.debian_runtime_packages.iter().enumerate() {
            if !packages.iter().any(|(p, _)| p == name) {
                let why = format!(
                    "{} programs need it, and the builder image had it",
                    pack.name
                );
                packages.insert(i, (name.clone(), why));
            }
        }
    }
    if packages.is_empty() {
        runtime_runs(input, plan);
        return;
    }
    let names: Vec<&str> = packages.iter().map(|(p, _)| p.as_str()).collect();
    // The variables the original installed them with (ACCEPT_EULA=Y).
    let carried = crate::analyse::packages::install_env(input.file, a, input.knowledge, &names);
    let mut env = carried.clone();
    // On the builder's own plain image (Ubuntu's tzdata asks its question
    // unless told not to) apt installs without questions.
    if a.same_base.is_some()
        && base.family == Family::Debian
        && !env.iter().any(|(n, _)| n == "DEBIAN_FRONTEND")
    {
        env.insert(0, ("DEBIAN_FRONTEND".into(), "noninteractive".into()));
    }
    let prefix: String = env
        .iter()
        .map(|(n, v)| format!("{n}={} ", crate::analyse::shell::quote(v)))
        .collect();
    let dirs = dirs_made_before(input, &names);
    let mkdir = if dirs.is_empty() {
        String::new()
    } else {
        let words: Vec<String> = dirs
            .iter()
            .map(|(d, _)| crate::analyse::shell::quote(d))
            .collect();
        format!("mkdir -p {} \\\n    && ", words.join(" "))
    };
    let text = match base.family {
        Family::Debian => format!(
            "{mkdir}apt-get update \\\n    && {prefix}apt-get install -y --no-install-recommends {} \\\n    && rm -rf /var/lib/apt/lists/*",
            names.join(" ")
        ),
        Family::Alpine => format!("{mkdir}{prefix}apk add --no-cache {}", names.join(" ")),
        _ => return,
    };
    copy_package_sources(input, plan, &base, &resolved, &names);
    plan.runtime.packages.push(input.instruction("RUN", &text));
    for (name, why) in &packages {
        plan.decide(
            NAME,
            Applicability::Safe,
            format!("installs {name} in the final stage: {why}"),
        );
    }
    for (dir, line) in dirs {
        plan.decide(
            NAME,
            Applicability::Safe,
            format!("makes {dir} before the install, as line {line} did before installing the same packages (their install scripts may need it), instead of copying it afterwards"),
        );
        plan.made_by_install.push(dir);
    }
    for (var, value) in &carried {
        plan.decide(
            NAME,
            Applicability::Safe,
            format!("the final stage's install sets {var}={value}, as the original's install did"),
        );
    }
    runtime_runs(input, plan);
}

/// Folders (with the line) a RUN made with `mkdir` in `commands.toml`'s
/// `package_dirs` before an install of one of `names`, in that RUN or an
/// earlier one: `mkdir -p /usr/share/man/man1`, without which a slim
/// image's openjdk or postgresql-client install fails.
fn dirs_made_before(input: &PassInput, names: &[&str]) -> Vec<(String, usize)> {
    let a = input.analysis;
    let k = input.knowledge;
    let installs_one = |c: &crate::analyse::shell::Command| {
        matches!(crate::analyse::packages::read(c),
            Some(crate::analyse::packages::PackageOp::Install { packages, .. })
                if packages.iter().any(|p| names.contains(&p.as_str())))
    };
    let mut out: Vec<(String, usize)> = Vec::new();
    for (pos, rc) in a.run_commands.iter().enumerate() {
        if rc.command.program() != "mkdir"
            || !a.run_commands[pos + 1..]
                .iter()
                .any(|l| installs_one(&l.command))
        {
            continue;
        }
        let args = rc.command.args();
        let mut i = 0;
        let mut words: Vec<String> = Vec::new();
        while let Some(word) = args.get(i) {
            i += 1;
            if word == "-m" || word == "--mode" {
                i += 1;
                continue;
            }
            // `man{1..8}` is eight folders where the shell expands braces
            // (bash), one odd name where it does not.
            words.extend(rc.command.expanded(word));
        }
        for word in &words {
            if word.starts_with('-') || word.contains(['$', '*', '{', '?']) {
                continue;
            }
            let dir = crate::analyse::absolute(&rc.cwd, word);
            let in_package_dir = k
                .commands
                .package_dirs
                .iter()
                .any(|d| crate::analyse::is_under(&dir, d) && dir != *d);
            if in_package_dir && !out.iter().any(|(d, _)| *d == dir) {
                let line = input.file.instructions[rc.index].line;
                out.push((dir, line));
            }
        }
    }
    out
}

/// RUNs the language analysis asks the runtime stage to make of its own
/// (a global `npm install -g serve` the command starts).
fn runtime_runs(input: &PassInput, plan: &mut Plan) {
    for run in &input.analysis.runtime_runs {
        plan.runtime
            .packages
            .push(input.instruction("RUN", &run.text));
        plan.decide(
            NAME,
            Applicability::Safe,
            format!("runs `{}` in the final stage: {}", run.text, run.why),
        );
    }
}

/// A repository the original added (`echo "deb …" > /etc/apt/sources.list.d/
/// x.list`, its key) before installing packages the final stage installs
/// too: its files are copied from the builder ahead of that install, so
/// the same packages come from the same place. A base without CA
/// certificates gets them first, for an https repository.
fn copy_package_sources(
    input: &PassInput,
    plan: &mut Plan,
    base: &crate::plan::RuntimeBase,
    image: &str,
    names: &[&str],
) {
    let a = input.analysis;
    let Some(first) = a.package_sources.iter().map(|s| s.index).min() else {
        return;
    };
    let same_family = a.builder.as_ref().is_some_and(|b| b.family == base.family);
    let after: Vec<&str> = a
        .run_commands
        .iter()
        .filter(|rc| rc.index >= first)
        .filter_map(|rc| match crate::analyse::packages::read(&rc.command) {
            Some(crate::analyse::packages::PackageOp::Install { packages, .. }) => Some(packages),
            _ => None,
        })
        .flatten()
        .filter_map(|p| names.iter().find(|n| **n == p).copied())
        .collect();
    if !same_family || after.is_empty() {
        return;
    }
    let (name, tag) = crate::knowledge::split_image(image);
    let has_certificates = input
        .knowledge
        .image_facts(name, tag)
        .is_some_and(|f| f.provides.iter().any(|p| p.starts_with("ca-certificates")));
    if !has_certificates && base.family == Family::Debian {
        let text = "apt-get update \\\n    && apt-get install -y --no-install-recommends ca-certificates \\\n    && rm -rf /var/lib/apt/lists/*";
        plan.runtime.packages.push(input.instruction("RUN", text));
        plan.decide(
            NAME,
            Applicability::Safe,
            "installs ca-certificates before the repository the original added (it may be https)",
        );
    }
    for source in &a.package_sources {
        let copy = format!(
            "--from={} {} {}",
            plan.builder_name, source.path, source.path
        );
        plan.runtime.packages.push(input.instruction("COPY", &copy));
        plan.decide(
            NAME,
            Applicability::Safe,
            format!(
                "copies {} (line {}: a package source) before installing {}, which the original installed after it",
                source.path,
                source.line,
                after.join(", ")
            ),
        );
    }
}
