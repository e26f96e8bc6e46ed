//! What each RUN's pip, Poetry, Pipenv and uv commands install, gathered
//! in one pass over the RUN lines into `Installs`: the installers, the
//! packages named on the line, the requirement files and project manifests
//! they read, where the file's own virtualenv or project `.venv` is, and
//! the RUNs that only install a build tool (`pip install poetry`), which
//! stay in the builder.

use super::context_paths::context_path_of;
use super::libs::requirement_name;
use super::venvs::{PoetrySettings, poetry_bool, venv_path};
use super::{Deps, Installer};
use crate::analyse::shell::Command;
use crate::analyse::{Analysis, RunCommand, StepRole, absolute};
use crate::knowledge::LanguagePack;
use crate::parse::Dockerfile;

/// pip options that take a value.
const VALUE_OPTIONS: &[&str] = &[
    "-r",
    "--requirement",
    "-c",
    "--constraint",
    "-e",
    "--editable",
    "-t",
    "--target",
    "--prefix",
    "--root",
    "-i",
    "--index-url",
    "--extra-index-url",
    "-f",
    "--find-links",
    "--trusted-host",
    "--platform",
    "--python-version",
    "--implementation",
    "--abi",
    "--src",
    "--upgrade-strategy",
    "--progress-bar",
    "--cache-dir",
    "--log",
];

/// What the RUN lines install, and with what.
#[derive(Debug, Default)]
pub(super) struct Installs {
    /// The virtualenv the file makes itself (the last one it makes).
    pub venv: Option<String>,
    /// Requirement files the installs read (context paths).
    pub requirement_files: Vec<String>,
    /// The first RUN (instruction index) that installs dependencies.
    pub first_install: Option<usize>,
    /// `pip install --user`.
    pub user_install: bool,
    /// `/usr/local/bin/python -m pip`: (line, the interpreter's path).
    pub explicit_interpreter: Option<(usize, String)>,
    /// Packages named on an install line.
    pub inline_packages: Vec<String>,
    pub installers: Vec<Installer>,
    /// `uv pip install --system` ignores VIRTUAL_ENV.
    pub uv_system: bool,
    /// The folder `uv sync` runs in: its `.venv` holds the dependencies.
    pub uv_project: Option<(usize, String)>,
    /// The `.venv` Poetry (`virtualenvs.in-project`) or Pipenv
    /// (`PIPENV_VENV_IN_PROJECT`) makes in the project folder (the file's
    /// own commands may name it).
    pub poetry_project: Option<String>,
    /// RUNs that install a build tool (poetry, uv) with pip.
    pub tool_installs: Vec<(usize, Vec<String>)>,
    pub dep_install_runs: Vec<usize>,
    /// Project manifests and lock files the installs read (context paths).
    pub project_files: Vec<String>,
}

/// The words after `install` that are not options (packages or paths),
/// and whether the command reads files (`-r`, `-e`).
struct Operands {
    all: Vec<String>,
    /// The operands that name a package, not a path.
    named: Vec<String>,
    reads_files: bool,
}

impl Operands {
    fn of(c: &Command) -> Operands {
        let mut after_install = false;
        let mut skip_next = false;
        let mut all = Vec::new();
        let mut reads_files = false;
        for arg in c.args() {
            if skip_next {
                skip_next = false;
            } else if arg == "install" {
                after_install = true;
            } else if arg.starts_with('-') {
                skip_next = VALUE_OPTIONS.contains(&arg.as_str());
                reads_files |= matches!(arg.as_str(), "-r" | "--requirement" | "-e" | "--editable");
            } else if after_install {
                all.push(arg.clone());
            }
        }
        let named = all
            .iter()
            .filter(|x| !x.contains('/') && *x != ".")
            .cloned()
            .collect();
        Operands {
            all,
            named,
            reads_files,
        }
    }

    /// `pip install poetry` installs the build's tool, not the app's
    /// dependencies: it stays outside the virtualenv. The tools, when the
    /// command installs only tools.
    fn build_tools(&self, installer: Installer, pack: &LanguagePack) -> Option<Vec<String>> {
        let names: Vec<String> = self.named.iter().map(|p| requirement_name(p)).collect();
        let is_tool = |n: &String| pack.build_tools.contains(n);
        let only_tools = installer == Installer::Pip
            && !self.reads_files
            && self.named.len() == self.all.len()
            && names.iter().any(is_tool)
            && names
                .iter()
                .all(|n| is_tool(n) || pack.venv_tools.contains(n));
        only_tools.then(|| names.into_iter().filter(is_tool).collect())
    }
}

fn is_pip_install(c: &Command, pack: &LanguagePack) -> bool {
    pack.steps
        .dep_install
        .iter()
        .any(|p| crate::analyse::starts_with_words(c, p))
}

/// `pip install .`, `-e ./lib`: a folder of the build, not a package name
/// or an archive.
fn is_local_project(operand: &str) -> bool {
    (operand == "."
        || operand.starts_with("./")
        || operand.starts_with('/')
        || operand.starts_with(".."))
        && !operand.ends_with(".whl")
        && !operand.ends_with(".tar.gz")
        && !operand.ends_with(".zip")
        && !operand.ends_with(".txt")
}

impl Installs {
    /// Reads every RUN command of the build, in order.
    pub(super) fn collect(file: &Dockerfile, pack: &LanguagePack, a: &mut Analysis) -> Installs {
        let mut installs = Installs::default();
        let mut poetry = PoetrySettings::from_env(a);
        let commands = a.run_commands.clone();
        for rc in &commands {
            let c = &rc.command;
            if let Some(path) = venv_path(c) {
                installs.venv = Some(absolute(&rc.cwd, path));
            }
            poetry.read_config(c);
            if is_pip_install(c, pack) {
                installs.read_install(file, pack, &poetry, rc, a);
            }
        }
        installs.requirement_files.retain(|f| !f.is_empty());
        installs
    }

    /// One pip, Poetry, Pipenv or uv install command.
    fn read_install(
        &mut self,
        file: &Dockerfile,
        pack: &LanguagePack,
        poetry: &PoetrySettings,
        rc: &RunCommand,
        a: &mut Analysis,
    ) {
        let c = &rc.command;
        let installer = Installer::of(c);
        let operands = Operands::of(c);
        if let Some(tools) = operands.build_tools(installer, pack) {
            self.tool_installs.push((rc.index, tools));
            return;
        }
        self.dep_install_runs.push(rc.index);
        self.inline_packages.extend(operands.named.iter().cloned());
        if !self.installers.contains(&installer) {
            self.installers.push(installer);
        }
        self.read_environment(installer, poetry, rc, a);
        self.read_project_files(installer, &operands, file, rc, a);
        self.first_install.get_or_insert(rc.index);
        // `/usr/local/bin/python -m pip` installs into the system
        // site-packages whatever virtualenv is on PATH.
        if c.words[0].contains('/') && self.explicit_interpreter.is_none() {
            self.explicit_interpreter =
                Some((file.instructions[rc.index].line, c.words[0].clone()));
        }
        self.read_options(file, rc, a);
    }

    /// Where the installer puts the packages, when that is not the active
    /// virtualenv: the system (`uv pip install --system`) or the project's
    /// `.venv`.
    fn read_environment(
        &mut self,
        installer: Installer,
        poetry: &PoetrySettings,
        rc: &RunCommand,
        a: &Analysis,
    ) {
        let c = &rc.command;
        match installer {
            Installer::UvPip => self.uv_system |= c.args().iter().any(|x| x == "--system"),
            Installer::UvSync => self.uv_project = Some((rc.index, rc.cwd.clone())),
            Installer::Poetry
                if poetry.in_project() && self.poetry_project.is_none() && self.venv.is_none() =>
            {
                self.poetry_project = Some(absolute(&rc.cwd, ".venv"));
            }
            // PIPENV_VENV_IN_PROJECT: Pipenv's `.venv` in the project
            // (unless it installs into the system with `--system`).
            Installer::Pipenv
                if a.env
                    .get("PIPENV_VENV_IN_PROJECT")
                    .is_some_and(|v| poetry_bool(v))
                    && !c.args().iter().any(|x| x == "--system")
                    && self.poetry_project.is_none()
                    && self.venv.is_none() =>
            {
                self.poetry_project = Some(absolute(&rc.cwd, ".venv"));
            }
            _ => {}
        }
    }

    /// The project manifests that name the dependencies.
    fn read_project_files(
        &mut self,
        installer: Installer,
        operands: &Operands,
        file: &Dockerfile,
        rc: &RunCommand,
        a: &Analysis,
    ) {
        let c = &rc.command;
        let mut project_dirs: Vec<&str> = match installer {
            Installer::Poetry | Installer::UvSync | Installer::Pipenv => vec!["."],
            Installer::Pip | Installer::UvPip => operands
                .all
                .iter()
                .map(String::as_str)
                .filter(|o| is_local_project(o))
                .collect(),
        };
        let mut editable = c
            .args()
            .iter()
            .skip_while(|x| *x != "-e" && *x != "--editable");
        if let Some(dir) = editable.nth(1).filter(|d| is_local_project(d)) {
            project_dirs.push(dir);
        }
        let names: &[&str] = match installer {
            Installer::Poetry => &["pyproject.toml", "poetry.lock"],
            Installer::UvSync => &["pyproject.toml", "uv.lock"],
            Installer::Pipenv => &["Pipfile", "Pipfile.lock"],
            Installer::Pip | Installer::UvPip => &["pyproject.toml"],
        };
        for dir in project_dirs {
            for name in names {
                let at = absolute(&absolute(&rc.cwd, dir), name);
                let source = context_path_of(file, a, rc.index, &at);
                if !source.is_empty() && !self.project_files.contains(&source) {
                    self.project_files.push(source);
                }
            }
        }
    }

    /// `--user`, the requirement files (`-r`, `-c`) and the folders pip
    /// installs into instead (`--target`, `--prefix`, `--root`), which are
    /// copied as they are.
    fn read_options(&mut self, file: &Dockerfile, rc: &RunCommand, a: &mut Analysis) {
        let mut args = rc.command.args().iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--user" => self.user_install = true,
                "-r" | "--requirement" | "-c" | "--constraint" => {
                    if let Some(f) = args.next() {
                        self.requirement_files.push(context_path_of(
                            file,
                            a,
                            rc.index,
                            &absolute(&rc.cwd, f),
                        ));
                    }
                }
                "--target" | "-t" | "--prefix" | "--root" => {
                    if let Some(dir) = args.next() {
                        let dir = absolute(&rc.cwd, dir);
                        let line = file.instructions[rc.index].line;
                        a.warnings.push(format!(
                            "line {line}: pip installs into {dir}, copied as it is"
                        ));
                        a.add_artefact(
                            line,
                            &dir,
                            &dir,
                            format!("line {line}: pip installs into it"),
                            false,
                        );
                    }
                }
                _ => {}
            }
        }
    }

    /// The dependencies live in the project's own environment, copied with
    /// the project folder.
    pub(super) fn project_env(&self) -> bool {
        self.uv_project.is_some() || self.poetry_project.is_some()
    }

    /// A RUN that only installs a build tool is a build-dependency step;
    /// a tool installed with the dependencies lands in the virtualenv.
    pub(super) fn mark_tool_installs(&self, deps: &Deps, file: &Dockerfile, a: &mut Analysis) {
        for (index, tools) in &self.tool_installs {
            if !self.dep_install_runs.contains(index) {
                // The RUN's other evidence (apk add ...) stays.
                let mut evidence: Vec<String> = a
                    .step(*index)
                    .map(|s| {
                        s.evidence
                            .split("; ")
                            .filter(|e| !e.starts_with("installs dependencies:"))
                            .map(String::from)
                            .collect()
                    })
                    .unwrap_or_default();
                evidence.push(format!("installs the build tool {}", tools.join(", ")));
                a.set_role(*index, StepRole::BuildDeps, evidence.join("; "));
            }
            if Some(*index) == self.first_install && matches!(deps, Deps::NewVenv { .. }) {
                let line = file.instructions[*index].line;
                a.warnings.push(format!(
                    "line {line}: {} is installed in the same RUN as the dependencies, so it lands in the virtualenv and the final image; install it in a RUN of its own before to leave it in the builder",
                    tools.join(", ")
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_projects() {
        assert!(is_local_project("."));
        assert!(is_local_project("./libs/core"));
        assert!(!is_local_project("./dist/app-1.0-py3-none-any.whl"));
        assert!(!is_local_project("gunicorn"));
    }
}
