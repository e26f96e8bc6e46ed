//! Python with pip: where the dependencies go (a virtualenv the runtime
//! copies), which folders hold the app, and which system libraries the
//! installed packages load at run time.
//!
//! By concern: `installs` (what each pip, Poetry, Pipenv and uv command
//! installs, read in one pass over the RUN lines), `venvs` (the
//! virtualenvs the file makes itself, Poetry's settings), `deps` (where the
//! dependencies go: the `Deps` choice), `environment` (the builder lines
//! and runtime ENV for that place), `files` (what the final stage copies:
//! the dependencies, the app, what build steps write), `launch` (runners
//! and system Python paths in ENTRYPOINT/CMD), `libs` (the system libraries
//! the packages load), `context_paths` (which context file the image has at
//! a path).

mod context_paths;
mod deps;
mod environment;
mod files;
mod installs;
mod launch;
mod libs;
mod venvs;

use crate::analyse::Analysis;
use crate::analyse::shell::Command;
use crate::knowledge::{Knowledge, LanguagePack};
use crate::parse::Dockerfile;
use crate::source::BuildContext;
use installs::Installs;

/// Where the builder puts the installed dependencies.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum Deps {
    /// No pip install: nothing to carry but the app.
    None,
    /// The file already makes a virtualenv at this path.
    ExistingVenv { path: String },
    /// msb adds a virtualenv before the first install.
    NewVenv { path: String, insert_before: usize },
    /// `pip install --user`: msb points PYTHONUSERBASE at a readable path.
    UserBase { path: String, insert_before: usize },
    /// Python from a plain distribution's packages: pip installs into the
    /// distribution's folders for it (/usr/local), copied whole.
    System { dirs: Vec<String> },
}

/// The tool that installs the app's dependencies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Installer {
    Pip,
    Poetry,
    Pipenv,
    /// `uv pip install`: into the active virtualenv (or, with
    /// `--system`, the interpreter UV_PYTHON names).
    UvPip,
    /// `uv sync`: into the project's own environment (`.venv`).
    UvSync,
}

impl Installer {
    fn of(c: &Command) -> Installer {
        match crate::analyse::shell::normalise_program(c.program()) {
            "poetry" => Installer::Poetry,
            "pipenv" => Installer::Pipenv,
            "uv" if c.args().first().map(String::as_str) == Some("sync") => Installer::UvSync,
            "uv" => Installer::UvPip,
            _ => Installer::Pip,
        }
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct PythonFacts {
    /// The virtualenv msb adds shares the image's own pip (no overhead).
    pub lean_venv: bool,
    pub deps: Deps,
    pub installers: Vec<Installer>,
    /// Requirement files the installs read (context paths).
    pub requirement_files: Vec<String>,
}

pub fn is_venv_creation(c: &Command) -> bool {
    venvs::venv_path(c).is_some()
}

pub fn analyse(
    file: &Dockerfile,
    context: &BuildContext,
    pack: &LanguagePack,
    k: &Knowledge,
    a: &mut Analysis,
) {
    if !crate::analyse::require_language_image(file, pack, k, a, "Python", "Python") {
        return;
    }
    let installs = Installs::collect(file, pack, a);
    let Some(deps) = deps::choose(file, context, pack, &installs, a) else {
        return;
    };
    let lean_venv = environment::add(&deps, &installs, pack, a);
    installs.mark_tool_installs(&deps, file, a);
    files::dependencies_and_app(file, context, &deps, &installs, a);
    launch::runners(file, context, pack, a);
    if let Deps::NewVenv { path, .. } = &deps {
        launch::system_python_paths(file, a, path);
    }
    files::build_outputs(file, context, a);
    libs::runtime_libraries(&installs, context, pack, k, a);
    a.python = Some(PythonFacts {
        lean_venv,
        deps,
        installers: installs.installers,
        requirement_files: installs.requirement_files,
    });
}
