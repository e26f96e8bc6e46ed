//! What ENTRYPOINT and CMD start, checked against what the build makes:
//! a binary it built (or one `go build -o DIR/` put in a folder), a
//! program from a package the final stage installs, a script from the
//! context. `go` and live-reload runners need the toolchain: a
//! development image msb leaves alone.

use super::GoBinary;
use super::builds::Builds;
use crate::analyse::entry;
use crate::analyse::shell;
use crate::analyse::{Analysis, absolute, parent};
use crate::knowledge::{Knowledge, LanguagePack};
use crate::parse::{Dockerfile, Keyword};
use crate::source::BuildContext;

/// The first program of the last ENTRYPOINT and CMD (not rewritten from
/// `go run`), with whether it is the one that starts the container.
fn programs(file: &Dockerfile, k: &Knowledge, rewritten: &[usize]) -> Vec<(usize, String, bool)> {
    let entry = entry::starting_instruction(file);
    let mut programs = Vec::new();
    for kw in [Keyword::Entrypoint, Keyword::Cmd] {
        if let Some(index) = file.instructions.iter().rposition(|i| i.keyword == kw)
            && !rewritten.contains(&index)
            && let Some(p) = first_program(&file.instructions[index], k)
        {
            programs.push((index, p, Some(index) == entry));
        }
    }
    programs
}

/// Live-reload runners, unless the app's own binary has the name.
pub(super) fn dev_runners(pack: &LanguagePack, binaries: &[GoBinary]) -> Vec<String> {
    let mut runners = pack
        .go
        .as_ref()
        .map(|g| g.dev_runners.clone())
        .unwrap_or_default();
    runners.retain(|r| {
        !binaries
            .iter()
            .any(|b| !b.remote && b.path.rsplit('/').next() == Some(r.as_str()))
    });
    runners
}

/// The place the command starts a program from, and what it needs.
pub(super) struct Started<'s> {
    pub file: &'s Dockerfile,
    pub context: &'s BuildContext,
    pub k: &'s Knowledge,
    pub workdir: &'s str,
    pub dev_runners: &'s [String],
}

impl Started<'_> {
    /// Block the file when the program that starts the container is not
    /// one the final stage will have.
    pub(super) fn check(&self, builds: &mut Builds, rewritten: &[usize], a: &mut Analysis) {
        for (index, program, starts) in programs(self.file, self.k, rewritten) {
            let line = self.file.instructions[index].line;
            let keyword = self.file.instructions[index].keyword.as_str();
            let name = program.rsplit('/').next().unwrap_or(&program).to_string();
            if self.k.commands.shells.contains(&name) {
                continue;
            }
            if self.dev_runners.contains(&name) {
                a.block(line, dev_runner_reason(keyword, &name));
                continue;
            }
            let found = if program.contains('/') {
                self.found_by_path(builds, index, &program, a)
            } else {
                self.found_by_name(builds, line, &program, a)
            };
            if !found && starts {
                let path = absolute(self.workdir, &program);
                let reason = if name == "go" {
                    format!(
                        "{keyword} runs `go` for something other than `go run`: the Go toolchain is not in the final stage"
                    )
                } else if program.contains('/') && builds.lost.contains(&path) {
                    format!(
                        "{keyword} runs `{program}`, but the build does not leave it in the builder's files (built in a cache mount, or removed)"
                    )
                } else if let Some(get) = builds.get_without_install {
                    format!(
                        "{keyword} runs `{program}`, which is not a binary the build makes: line {get}'s `go get` installs nothing on this Go (since 1.18 it only edits go.mod; `go install PKG@VERSION` installs)"
                    )
                } else {
                    format!(
                        "{keyword} runs `{program}`, which is not a binary the build makes: cannot tell what the runtime needs"
                    )
                };
                a.block(line, reason);
            }
        }
    }

    /// A program started by its path: a binary the build left there, one
    /// of a package the final stage installs, one of a `go build -o DIR/`
    /// folder, a script from the context.
    fn found_by_path(
        &self,
        builds: &mut Builds,
        index: usize,
        program: &str,
        a: &mut Analysis,
    ) -> bool {
        let line = self.file.instructions[index].line;
        let keyword = self.file.instructions[index].keyword.as_str();
        let name = program.rsplit('/').next().unwrap_or(program);
        let path = absolute(self.workdir, program);
        let in_folder = builds
            .folders
            .iter()
            .find(|(dir, _, _)| parent(&path) == dir.trim_end_matches('/'));
        if builds.binaries.iter().any(|b| b.locations.contains(&path)) || a.is_copied(&path) {
            true
        } else if self.k.images.runtime_path.contains(&parent(&path))
            && from_package(a, self.k, name)
        {
            // `/usr/bin/dumb-init` from a package the final stage installs.
            true
        } else if let Some((_, built, cgo_off)) = in_folder {
            // `go build -o bin/ ./cmd/...` names each binary after its
            // package: the one the command runs.
            let (built, cgo_off) = (*built, cgo_off.clone());
            a.add_artefact(
                built,
                &path,
                &path,
                format!(
                    "line {built}: go build puts a binary per package in {}",
                    parent(&path)
                ),
                false,
            );
            builds.binaries.push(GoBinary {
                path: path.clone(),
                line: built,
                package: path.clone(),
                locations: vec![path.clone()],
                remote: false,
                cgo_off,
            });
            true
        } else if crate::analyse::script_in_context(a, program, index, self.context).is_some() {
            // An entrypoint script that came with the sources.
            a.add_artefact(
                line,
                &path,
                &path,
                format!("line {line}: {keyword} runs it"),
                false,
            );
            true
        } else {
            a.carry_made_by_unknown_step(line, &path, keyword)
        }
    }

    /// A program started by its name, found through PATH: a binary the
    /// build makes, one of a package, one a `go install` pattern put in
    /// GOBIN, or a file a COPY brought.
    fn found_by_name(&self, builds: &Builds, line: usize, program: &str, a: &mut Analysis) -> bool {
        let named = |p: &str| p.rsplit('/').next() == Some(program);
        if builds
            .binaries
            .iter()
            .any(|b| b.locations.iter().any(|l| named(l)))
        {
            true
        } else if from_package(a, self.k, program) {
            // `tini` from a package the final stage installs.
            true
        } else if builds.install_patterns {
            let gobin = &builds.gobin;
            let from = format!("{}/{program}", gobin.trim_end_matches('/'));
            a.add_artefact(
                line,
                &from,
                &format!("/usr/local/bin/{program}"),
                format!("line {line}: go install puts {program} in {gobin}"),
                false,
            );
            true
        } else {
            a.copies
                .iter()
                .flat_map(|c| c.roots.iter())
                .any(|r| named(r))
        }
    }
}

/// The program an ENTRYPOINT or CMD starts: the first word of the exec
/// form, or of the shell form after the wrappers (`exec ./server`).
fn first_program(ins: &crate::parse::Instruction, k: &Knowledge) -> Option<String> {
    match &ins.exec {
        Some(w) => w.first().cloned(),
        None => shell::commands(&ins.args).first().and_then(|c| {
            c.words
                .iter()
                .find(|w| !k.commands.wrappers.contains(w))
                .cloned()
        }),
    }
}

/// The absolute paths ENTRYPOINT and CMD run a program from.
pub(super) fn launch_paths(file: &Dockerfile, workdir: &str, k: &Knowledge) -> Vec<String> {
    let mut out = Vec::new();
    for ins in file
        .instructions
        .iter()
        .filter(|i| matches!(i.keyword, Keyword::Entrypoint | Keyword::Cmd))
    {
        if let Some(p) = first_program(ins, k).filter(|p| p.contains('/')) {
            out.push(absolute(workdir, &p));
        }
    }
    out
}

/// A program from a package the builder installs and the final stage too.
fn from_package(a: &Analysis, k: &Knowledge, name: &str) -> bool {
    a.builder.as_ref().is_some_and(|b| {
        crate::analyse::packages::installs_program(
            &a.installed_packages,
            &a.removed_packages,
            b.family,
            name,
            k,
        )
    })
}

fn dev_runner_reason(what: &str, name: &str) -> String {
    format!(
        "{what} runs `{name}`, which rebuilds the app with the Go toolchain while it runs (live reload): a development image, and the final stage has no toolchain"
    )
}

/// A launch script (`ENTRYPOINT ["./entrypoint.sh"]`, `CMD ["sh",
/// "start.sh"]`) is copied to the final stage, and what it runs must be
/// there: `go` and live-reload runners need the toolchain.
pub(super) fn launch_script(
    run: &crate::analyse::entry::Commands,
    dev_runners: &[String],
    a: &mut Analysis,
) {
    let line = run.line;
    if let Some((_, image)) = &run.script
        && !a.is_copied(image)
    {
        a.add_artefact(
            line,
            image,
            image,
            format!("line {line}: {} runs it", run.keyword),
            false,
        );
    }
    for (what, step) in &run.steps {
        let name = step.command.program();
        // A lone `go` of ENTRYPOINT/CMD is rewritten, or refused, above.
        if name == "go" && (run.script.is_some() || run.steps.len() > 1) {
            let sub = step.command.args().first().cloned().unwrap_or_default();
            a.block(
                line,
                format!("{what} runs `go {sub}`: the Go toolchain is not in the final stage"),
            );
        } else if dev_runners.iter().any(|r| r == name) {
            a.block(line, dev_runner_reason(what, name));
        }
    }
}
