//! What the RUN lines build and where it ends up: each `cargo build`/
//! `cargo install --path` adds its binaries at the paths cargo writes
//! them, other commands (`cp`, `mv`, `rm`) move or remove them, and a
//! cache mount or `cargo clean` takes them away. `cargo install` of a
//! crate from crates.io or git installs a tool, kept aside: it goes to the
//! final stage only when the container runs it.

use super::command::{CargoCall, parse_cargo};
use super::output::{cargo_output, install_bin_dir};
use super::project::Project;
use super::{RustBinary, env_of};
use crate::analyse::{Analysis, RunCommand, absolute, track};
use crate::knowledge::{CargoKnowledge, Knowledge};
use crate::parse::Dockerfile;
use crate::source::BuildContext;

/// What the build makes, at the end of the RUN lines.
#[derive(Default)]
pub(super) struct Builds {
    /// The binaries still in the builder's files at the end.
    pub binaries: Vec<RustBinary>,
    /// Every (binary, path) the build put it at, to name what got lost.
    seen: Vec<(String, String)>,
    /// The (binary, path) pairs that are gone at the end.
    pub lost: Vec<(String, String)>,
    /// The projects built, one per workspace root.
    pub workspace_roots: Vec<Project>,
    /// The lines of the cargo commands that made binaries.
    pub build_lines: Vec<usize>,
    /// The last line that builds with RUSTFLAGS turning crt-static off.
    pub dynamic_rustflags: Option<usize>,
    /// What `cargo install` took from crates.io or git.
    pub tools: Vec<InstalledTool>,
}

/// Follow the RUN lines, command by command.
pub(super) fn collect(
    file: &Dockerfile,
    context: &BuildContext,
    k: &Knowledge,
    cargo: &CargoKnowledge,
    a: &mut Analysis,
) -> Builds {
    let mut builds = Builds::default();
    let mut known_dirs: Vec<String> = a.workdir_before.clone();
    let commands = a.run_commands.clone();
    let mut current: Option<usize> = None;
    let mut mounts: Vec<String> = Vec::new();
    for rc in &commands {
        if current != Some(rc.index) {
            drop_under(&mut builds.binaries, &mounts);
            current = Some(rc.index);
            mounts = track::cache_mounts(&file.instructions[rc.index], a.workdir_at(rc.index));
        }
        let c = &rc.command;
        if c.program() != "cargo" {
            builds.follow(rc, k, &mut known_dirs, a);
            continue;
        }
        if let Some(call) = parse_cargo(&c.words) {
            builds.cargo(file, context, cargo, &call, rc, a);
        }
    }
    drop_under(&mut builds.binaries, &mounts);
    builds.forget_lost(a);
    builds
}

impl Builds {
    /// A command other than cargo: it may copy, move or remove binaries.
    fn follow(
        &mut self,
        rc: &RunCommand,
        k: &Knowledge,
        known_dirs: &mut Vec<String>,
        a: &Analysis,
    ) {
        let moved = track::follow(
            &rc.command,
            &rc.cwd,
            a,
            k,
            known_dirs,
            self.binaries.iter_mut().map(|b| &mut b.locations),
        );
        for (i, new) in moved {
            self.seen.push((self.binaries[i].name.clone(), new));
        }
    }

    /// A cargo command: `build`/`install`/`rustc` make binaries, `clean`
    /// removes the target folder, the rest make nothing msb follows.
    fn cargo(
        &mut self,
        file: &Dockerfile,
        context: &BuildContext,
        cargo: &CargoKnowledge,
        call: &CargoCall,
        rc: &RunCommand,
        a: &mut Analysis,
    ) {
        let c = &rc.command;
        let line = file.instructions[rc.index].line;
        match call.sub.as_str() {
            "build" | "install" | "rustc" => {}
            "clean" => {
                let target = env_of(a, Some(c), "CARGO_TARGET_DIR")
                    .map(|d| absolute(&rc.cwd, d))
                    .unwrap_or_else(|| absolute(&rc.cwd, "target"));
                drop_under(&mut self.binaries, &[target]);
                return;
            }
            _ => return,
        }
        if call.sub == "install" && call.installs_other_crates {
            // A tool from crates.io or git, for the build (unless the
            // container runs it: see launch).
            self.install_tools(a, cargo, call, rc, line);
            return;
        }
        if env_of(a, Some(c), "RUSTFLAGS").is_some_and(|f| f.contains("-crt-static")) {
            self.dynamic_rustflags = Some(line);
        }
        let out = match cargo_output(file, a, context, cargo, call, &rc.cwd, Some(c)) {
            Ok(out) => out,
            Err(why) => {
                a.block(
                    line,
                    format!(
                        "`cargo {}` {why}: cannot tell which binary it makes",
                        call.sub
                    ),
                );
                return;
            }
        };
        self.build_lines.push(line);
        for (name, path, static_musl) in out.binaries {
            self.add(name, path, line, static_musl);
        }
        if !self
            .workspace_roots
            .iter()
            .any(|p| p.root.image_dir == out.project.root.image_dir)
        {
            self.workspace_roots.push(out.project);
        }
    }

    /// The tools `cargo install` of crates from a registry or git puts in
    /// its bin folder.
    fn install_tools(
        &mut self,
        a: &Analysis,
        cargo: &CargoKnowledge,
        call: &CargoCall,
        rc: &RunCommand,
        line: usize,
    ) {
        let dir = install_bin_dir(a, cargo, call, &rc.cwd, Some(&rc.command));
        for krate in &call.crates {
            for name in tool_binaries(krate, cargo) {
                self.tools.push(InstalledTool {
                    path: absolute(&dir, &name),
                    name,
                    krate: krate.clone(),
                    line,
                });
            }
        }
    }

    /// A binary a cargo command built at `path`: a new one, or a new
    /// location (and build line) of one built before.
    fn add(&mut self, name: String, path: String, line: usize, static_musl: bool) {
        self.seen.push((name.clone(), path.clone()));
        match self.binaries.iter_mut().find(|b| b.name == name) {
            Some(b) => {
                if !b.locations.contains(&path) {
                    b.locations.push(path);
                }
                b.line = line;
                b.static_musl = static_musl;
            }
            None => self.binaries.push(RustBinary {
                name,
                locations: vec![path],
                line,
                static_musl,
            }),
        }
    }

    /// Warn about binaries the build leaves nowhere and drop them; keep the
    /// paths that are gone, to say why a command cannot run them.
    fn forget_lost(&mut self, a: &mut Analysis) {
        for b in &self.binaries {
            if b.locations.is_empty() {
                a.warnings.push(format!(
                    "line {}: the binary {} is not in the builder's files at the end (removed, or built in a cache mount)",
                    b.line, b.name
                ));
            }
        }
        self.binaries.retain(|b| !b.locations.is_empty());
        let seen = std::mem::take(&mut self.seen);
        self.lost = seen
            .into_iter()
            .filter(|(_, p)| !self.binaries.iter().any(|b| b.locations.contains(p)))
            .collect();
    }
}

/// A program `cargo install` put in place from crates.io or git: a tool
/// of the build, unless the container runs it.
#[derive(Debug, Clone)]
pub(super) struct InstalledTool {
    /// The binary's name.
    pub name: String,
    /// The crate it comes from.
    pub krate: String,
    /// Where it is in the builder.
    pub path: String,
    pub line: usize,
}

/// The binaries of a crates.io tool: those `tool_binaries` names, else the
/// crate's name and that name without a `-cli`/`_cli` suffix.
fn tool_binaries(krate: &str, cargo: &CargoKnowledge) -> Vec<String> {
    if let Some(names) = cargo.tool_binaries.get(krate) {
        return names.clone();
    }
    let mut names = vec![krate.to_string()];
    if let Some(short) = krate
        .strip_suffix("-cli")
        .or_else(|| krate.strip_suffix("_cli"))
    {
        names.push(short.to_string());
    }
    names
}

/// Forget the locations under `dirs` (removed, or a cache mount).
fn drop_under(binaries: &mut [RustBinary], dirs: &[String]) {
    track::drop_under(binaries.iter_mut().map(|b| &mut b.locations), dirs);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_binaries_of_crates_io_tools() {
        let k = Knowledge::builtin().unwrap();
        let cargo = k.language("rust").unwrap().cargo.clone().unwrap();
        assert_eq!(
            tool_binaries("diesel_cli", &cargo),
            vec!["diesel_cli", "diesel"]
        );
        assert_eq!(
            tool_binaries("sqlx-cli", &cargo),
            vec!["sqlx", "cargo-sqlx"]
        );
        assert_eq!(tool_binaries("cargo-watch", &cargo), vec!["cargo-watch"]);
    }
}
