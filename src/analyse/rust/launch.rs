//! What ENTRYPOINT and CMD start, checked against what the build makes: a
//! binary by path or by name on PATH, a script from the context, a
//! program from a package the final stage installs, a tool `cargo
//! install` took from crates.io; a lone `cargo run` is rewritten (see
//! `cargo_run`), other cargo commands need the toolchain the final stage
//! leaves behind. Then every binary goes to the final stage at the path
//! the command runs it from, or where it was built.

use std::collections::BTreeMap;

use super::builds::{Builds, InstalledTool};
use super::cargo_run::{CargoRun, cargo_run};
use super::command::parse_cargo;
use super::{RustBinary, base_name};
use crate::analyse::packages;
use crate::analyse::shell::{self, Command};
use crate::analyse::{Analysis, absolute, entry, parent, script_in_context};
use crate::knowledge::{CargoKnowledge, Family, Knowledge};
use crate::parse::{Dockerfile, Keyword};
use crate::source::BuildContext;

/// Where each binary goes in the final stage, by name: (builder path,
/// final path).
pub(super) type Destinations = BTreeMap<String, (String, String)>;

/// What checking ENTRYPOINT/CMD needs to know.
pub(super) struct Started<'s> {
    pub file: &'s Dockerfile,
    pub context: &'s BuildContext,
    pub k: &'s Knowledge,
    pub cargo: &'s CargoKnowledge,
    pub workdir: &'s str,
    /// The folders the builder's PATH has (see `image::builder_path`).
    pub builder_path: &'s [String],
    pub family: Family,
}

impl Started<'_> {
    /// Check the last ENTRYPOINT and CMD, rewriting `cargo run`; returns
    /// where the binaries they run go.
    pub(super) fn check(&self, builds: &mut Builds, a: &mut Analysis) -> Destinations {
        let mut destinations = Destinations::new();
        let entry = entry::starting_instruction(self.file);
        for kw in [Keyword::Entrypoint, Keyword::Cmd] {
            let Some(index) = self.file.instructions.iter().rposition(|i| i.keyword == kw) else {
                continue;
            };
            self.instruction(index, Some(index) == entry, builds, &mut destinations, a);
        }
        destinations
    }

    /// One ENTRYPOINT or CMD: `starts` when it is the one that starts the
    /// container (then a program msb cannot find blocks the file).
    fn instruction(
        &self,
        index: usize,
        starts: bool,
        builds: &mut Builds,
        destinations: &mut Destinations,
        a: &mut Analysis,
    ) {
        let ins = &self.file.instructions[index];
        let line = ins.line;
        let keyword = ins.keyword.as_str();
        let parsed = shell::instruction_commands(ins);
        let Some(first) = parsed.first() else {
            return;
        };
        let first = &self.without_wrappers(first);
        let program = first.words.first().cloned().unwrap_or_default();
        let name = base_name(&program).to_string();
        if name == "cargo" {
            if parsed.len() > 1 {
                a.block(
                    line,
                    format!("{keyword} runs `cargo` among other commands: msb rewrites a lone `cargo run` only"),
                );
                return;
            }
            self.runs_cargo(index, first, builds, destinations, a);
            return;
        }
        if self.k.commands.shells.contains(&name) {
            shell_runs_cargo(first, keyword, &name, line, a);
            return;
        }
        let found = if program.contains('/') {
            self.runs_path(index, &program, &name, &builds.binaries, destinations, a)
        } else {
            self.runs_name(&name, builds, destinations, a)
        };
        if !found && starts {
            a.block(line, self.not_found(keyword, &program, &name, builds));
        }
    }

    /// `exec ./target/release/app`: the command without its wrappers.
    fn without_wrappers(&self, first: &Command) -> Command {
        let mut first = first.clone();
        while first
            .words
            .first()
            .is_some_and(|w| self.k.commands.wrappers.contains(w))
        {
            first.words.remove(0);
        }
        first
    }

    /// `cargo ...` alone: `cargo run` is rewritten to the binary, any other
    /// subcommand needs the toolchain.
    fn runs_cargo(
        &self,
        index: usize,
        first: &Command,
        builds: &mut Builds,
        destinations: &mut Destinations,
        a: &mut Analysis,
    ) {
        let ins = &self.file.instructions[index];
        let call = parse_cargo(&first.words).unwrap_or_default();
        if call.sub != "run" {
            a.block(
                ins.line,
                format!(
                    "{} runs `cargo {}`: the Rust toolchain is not in the final stage",
                    ins.keyword.as_str(),
                    call.sub
                ),
            );
            return;
        }
        cargo_run(
            self.file,
            self.context,
            self.cargo,
            a,
            CargoRun {
                index,
                call: &call,
                cwd: self.workdir,
                binaries: &mut builds.binaries,
                destinations,
            },
        );
    }

    /// A program by path: a binary the build makes, a script from the
    /// context, a file a COPY brings, a program of a package the final
    /// stage installs, or (with a step msb does not know) whatever is
    /// there.
    fn runs_path(
        &self,
        index: usize,
        program: &str,
        name: &str,
        binaries: &[RustBinary],
        destinations: &mut Destinations,
        a: &mut Analysis,
    ) -> bool {
        let line = self.file.instructions[index].line;
        let keyword = self.file.instructions[index].keyword.as_str();
        let path = absolute(self.workdir, program);
        if let Some(b) = binaries.iter().find(|b| b.locations.contains(&path)) {
            destinations.insert(b.name.clone(), (path.clone(), path));
            true
        } else if script_in_context(a, program, index, self.context).is_some() {
            a.add_artefact(
                line,
                &path,
                &path,
                format!("line {line}: {keyword} runs it"),
                false,
            );
            true
        } else if a.is_copied(&path) {
            true
        } else if self.k.images.runtime_path.contains(&parent(&path))
            && packages::installs_program(
                &a.installed_packages,
                &a.removed_packages,
                self.family,
                name,
                self.k,
            )
        {
            // `/usr/bin/tini` from a package the final stage installs.
            true
        } else {
            a.carry_made_by_unknown_step(line, &path, keyword)
        }
    }

    /// A program by name, found through PATH: a binary the build leaves
    /// on the builder's PATH (copied to the runtime's PATH), a crates.io
    /// tool (see `launch_programs`), a program of a package the final
    /// stage installs, or a file a COPY brings.
    fn runs_name(
        &self,
        name: &str,
        builds: &Builds,
        destinations: &mut Destinations,
        a: &Analysis,
    ) -> bool {
        if let Some((b, location)) = builds.binaries.iter().find_map(|b| {
            (b.name == name)
                .then(|| {
                    b.locations
                        .iter()
                        .rev()
                        .find(|l| self.builder_path.contains(&parent(l)))
                })
                .flatten()
                .map(|l| (b, l.clone()))
        }) {
            let to = if self.k.images.runtime_path.contains(&parent(&location)) {
                location.clone()
            } else {
                format!("/usr/local/bin/{name}")
            };
            destinations.insert(b.name.clone(), (location, to));
            return true;
        }
        // A tool from crates.io is dealt with in `launch_programs`; one
        // from a package the final stage installs is there.
        builds.tools.iter().any(|t| t.name == name)
            || packages::installs_program(
                &a.installed_packages,
                &a.removed_packages,
                self.family,
                name,
                self.k,
            )
            || a.copies
                .iter()
                .flat_map(|c| c.roots.iter())
                .any(|r| base_name(r) == name)
    }

    /// Why the program that starts the container is not one the final
    /// stage has.
    fn not_found(&self, keyword: &str, program: &str, name: &str, builds: &Builds) -> String {
        let path = absolute(self.workdir, program);
        if let Some((n, _)) = builds.lost.iter().find(|(_, p)| *p == path) {
            format!(
                "{keyword} runs `{program}`, but the binary {n} is not in the builder's files at the end (built in a cache mount, or removed)"
            )
        } else if let Some(b) = builds
            .binaries
            .iter()
            .find(|b| b.name == name && !program.contains('/'))
        {
            format!(
                "{keyword} runs `{program}` through PATH, but the build leaves it at {}, which is not on PATH",
                b.locations.last().cloned().unwrap_or_default()
            )
        } else {
            format!(
                "{keyword} runs `{program}`, which is not a binary the build makes: cannot tell what the runtime needs"
            )
        }
    }
}

/// `sh -c "cargo run"`: the script is the word after -c; msb does not
/// rewrite cargo inside it.
fn shell_runs_cargo(first: &Command, keyword: &str, name: &str, line: usize, a: &mut Analysis) {
    let script = first
        .words
        .iter()
        .position(|w| w == "-c")
        .and_then(|p| first.words.get(p + 1))
        .cloned()
        .unwrap_or_default();
    if shell::commands(&script)
        .iter()
        .any(|c| c.program() == "cargo")
    {
        a.block(
            line,
            format!("{keyword} runs cargo through {name}: msb rewrites a lone `cargo run` only"),
        );
    }
}

/// Every binary goes to the final stage: where the command runs it, or
/// where it was built (a `cargo install`ed one from CARGO_HOME/bin, on
/// the rust image's PATH only, to /usr/local/bin).
pub(super) fn copy_binaries(
    binaries: &[RustBinary],
    destinations: &Destinations,
    builder_path: &[String],
    k: &Knowledge,
    a: &mut Analysis,
) {
    for b in binaries {
        let (from, to) = match destinations.get(&b.name) {
            Some(d) => d.clone(),
            None => {
                let last = b.locations.last().cloned().unwrap_or_default();
                let on_path = b
                    .locations
                    .iter()
                    .rev()
                    .find(|l| k.images.runtime_path.contains(&parent(l)));
                match on_path {
                    Some(l) => (l.clone(), l.clone()),
                    None if builder_path.contains(&parent(&last)) => {
                        (last.clone(), format!("/usr/local/bin/{}", b.name))
                    }
                    None => (last.clone(), last),
                }
            }
        };
        a.add_artefact(
            b.line,
            &from,
            &to,
            format!("line {}: the binary cargo builds", b.line),
            false,
        );
    }
}

/// What the container's commands and launch script run besides the app:
/// cargo needs the toolchain the final stage leaves behind, and a tool
/// `cargo install` took from crates.io (`diesel migration run`) is not in
/// the final stage either, and links system libraries msb cannot see.
pub(super) fn launch_programs(
    file: &Dockerfile,
    context: &BuildContext,
    k: &Knowledge,
    tools: &[InstalledTool],
    a: &mut Analysis,
) {
    let run = entry::commands_run(file, context, k, a);
    let line = run.line;
    let mut carried: Vec<&str> = Vec::new();
    for (what, step) in &run.steps {
        let program = step.command.words.first().map_or("", String::as_str);
        let name = base_name(program);
        // A lone `cargo run` of ENTRYPOINT/CMD is rewritten above.
        if name == "cargo" && (run.script.is_some() || run.steps.len() > 1) {
            let sub = parse_cargo(&step.command.words)
                .map(|c| c.sub)
                .unwrap_or_default();
            a.block(
                line,
                format!("{what} runs `cargo {sub}`: the Rust toolchain is not in the final stage"),
            );
            continue;
        }
        let Some(tool) = tools
            .iter()
            .find(|t| t.name == name && !program.contains('/'))
        else {
            continue;
        };
        if carried.contains(&tool.name.as_str()) {
            continue;
        }
        carried.push(&tool.name);
        let to = format!("/usr/local/bin/{}", tool.name);
        a.block_unless_unsafe(
            line,
            format!(
                "{what} runs `{}`, which `cargo install {}` (line {}) put in {}: a tool from crates.io whose system libraries msb cannot tell; --unsafe copies it to {to}",
                tool.name,
                tool.krate,
                tool.line,
                parent(&tool.path)
            ),
        );
        a.add_artefact(
            tool.line,
            &tool.path,
            &to,
            format!(
                "line {}: `cargo install {}` makes it and {what} runs it",
                tool.line, tool.krate
            ),
            false,
        );
    }
}
