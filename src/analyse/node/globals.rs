//! Packages the builder installs globally (`npm install -g serve`): the
//! container may run them (installed again in the final stage with the
//! same spec), and a RUN that calls one is a build step msb understands.

use super::words::{
    NPM_VALUE_OPTIONS, PNPM_VALUE_OPTIONS, YARN_VALUE_OPTIONS, is_global, package_name,
    package_of_bin, subcommand,
};
use crate::analyse::Analysis;
use crate::knowledge::{Knowledge, LanguagePack, NodeRules};
use crate::parse::{Dockerfile, Keyword};

/// A package installed globally in the builder (`npm install -g serve`).
#[derive(Debug, Clone)]
pub(super) struct GlobalPackage {
    pub name: String,
    /// As written (`serve@14`, `pm2`).
    pub spec: String,
    pub line: usize,
    /// The folder the install ran in (a local spec such as `.` is
    /// relative to it).
    pub cwd: String,
}

impl GlobalPackage {
    /// A package from the registry by name (`serve`, `@nestjs/cli@10`,
    /// `pm2@latest`), which the final stage can install again; not a
    /// folder (`.`, `./cli`), a tarball or a git URL.
    pub(super) fn is_registry(&self) -> bool {
        let name = self.name.strip_prefix('@').unwrap_or(&self.name);
        let slashes = name.matches('/').count();
        !self.spec.contains(':')
            && !self.spec.starts_with('.')
            && !self.spec.starts_with('/')
            && !self.spec.starts_with('~')
            && !self.spec.ends_with(".tgz")
            && !self.spec.ends_with(".tar.gz")
            && slashes == usize::from(self.name.starts_with('@'))
    }
}

/// Packages the builder installs globally, with their specs as written.
pub(super) fn global_packages(file: &Dockerfile, a: &Analysis) -> Vec<GlobalPackage> {
    let mut out = Vec::new();
    for rc in &a.run_commands {
        let c = &rc.command;
        let args = c.args();
        let specs: Vec<&String> = match c.program() {
            "npm" | "pnpm" if is_global(args) => {
                let value_options: &[&str] = if c.program() == "npm" {
                    NPM_VALUE_OPTIONS
                } else {
                    PNPM_VALUE_OPTIONS
                };
                match subcommand(args, value_options) {
                    Some((i, "install" | "i" | "add")) => args[i + 1..]
                        .iter()
                        .filter(|w| !w.starts_with('-'))
                        .collect(),
                    _ => Vec::new(),
                }
            }
            "yarn" => match subcommand(args, YARN_VALUE_OPTIONS) {
                Some((i, "global")) if args.get(i + 1).map(String::as_str) == Some("add") => args
                    [i + 2..]
                    .iter()
                    .filter(|w| !w.starts_with('-'))
                    .collect(),
                _ => Vec::new(),
            },
            _ => Vec::new(),
        };
        for spec in specs {
            out.push(GlobalPackage {
                name: package_name(spec),
                spec: spec.clone(),
                line: file.instructions[rc.index].line,
                cwd: rc.cwd.clone(),
            });
        }
    }
    out
}

/// A RUN that calls a program the build installed globally before it
/// (`npm install -g @nestjs/cli`, then `nest build`) is a build step msb
/// understands, not an unknown program: its role is Build, and the
/// generic "RUN runs `nest`" blocker for its line is lifted.
pub(super) fn known_build_tools(
    file: &Dockerfile,
    pack: &LanguagePack,
    k: &Knowledge,
    rules: &NodeRules,
    a: &mut Analysis,
    globals: &[GlobalPackage],
) {
    let prefixes: Vec<Vec<&str>> = pack
        .steps
        .build
        .iter()
        .chain(&pack.steps.dep_install)
        .map(|p| p.split_whitespace().collect())
        .collect();
    let unknown_runs: Vec<usize> = a
        .steps
        .iter()
        .filter(|s| {
            s.role == crate::analyse::StepRole::Unknown
                && file.instructions[s.index].keyword == Keyword::Run
        })
        .map(|s| s.index)
        .collect();
    for index in unknown_runs {
        let line = file.instructions[index].line;
        let mut tools = Vec::new();
        let mut all_known = true;
        for rc in a.run_commands.iter().filter(|rc| rc.index == index) {
            let c = &rc.command;
            let program = c.program();
            let understood = program.is_empty()
                || crate::analyse::packages::read(c).is_some()
                || prefixes.iter().any(|p| c.starts_with(p))
                || k.commands.housekeeping.iter().any(|p| p == program)
                || k.commands.user_setup.iter().any(|p| p == program)
                || k.commands.wrappers.iter().any(|p| p == program);
            if understood {
                continue;
            }
            let package = package_of_bin(rules, program);
            match globals.iter().find(|g| g.name == package && g.line < line) {
                Some(g) => tools.push(format!(
                    "{program}, which line {} installs globally",
                    g.line
                )),
                None => all_known = false,
            }
        }
        if all_known && !tools.is_empty() {
            // The generic blocker mod.rs raised for this RUN.
            a.unsafe_blockers
                .retain(|b| !(b.line == line && b.reason.starts_with("RUN runs")));
            a.set_role(
                index,
                crate::analyse::StepRole::Build,
                format!("builds with {}", tools.join("; ")),
            );
        }
    }
}

/// Global packages the final stage does not install again (nothing the
/// container starts runs them: `nodemon` beside `CMD node server.js`, a
/// `sass` only the build used) are left in the builder; say so, since a
/// program the app starts by itself at run time would be missing.
pub(super) fn note_left_behind(
    globals: &[GlobalPackage],
    reinstalled: &[(String, String)],
    a: &mut Analysis,
) {
    let left: Vec<&GlobalPackage> = globals
        .iter()
        .filter(|g| !reinstalled.iter().any(|(spec, _)| *spec == g.spec))
        .collect();
    let Some(first) = left.first() else {
        return;
    };
    let names: Vec<&str> = left.iter().map(|g| g.name.as_str()).collect();
    a.warnings.push(format!(
        "line {}: {} installed globally, left in the builder: nothing the container starts runs it; if the app runs it at run time, install it in the final stage",
        first.line,
        names.join(", ")
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_specs() {
        let g = |spec: &str| GlobalPackage {
            name: package_name(spec),
            spec: spec.to_string(),
            line: 1,
            cwd: "/app".to_string(),
        };
        for spec in ["serve", "serve@14.2.1", "@nestjs/cli@10", "pm2@latest"] {
            assert!(g(spec).is_registry(), "{spec}");
        }
        for spec in [
            ".",
            "./cli",
            "/opt/tool",
            "file:../x",
            "github:acme/tool",
            "acme/tool",
            "tool.tgz",
            "https://x/y.tgz",
        ] {
            assert!(!g(spec).is_registry(), "{spec}");
        }
    }
}
