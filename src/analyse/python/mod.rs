//! Python with pip: where the dependencies go (a virtualenv the runtime
//! copies), which folders hold the app, and which system libraries the
//! installed packages load at run time.

use crate::analyse::interpreted;
use crate::analyse::shell::Command;
use crate::analyse::{Analysis, BuilderAddition, CommandRewrite, StepRole, absolute, is_under};
use crate::knowledge::{Knowledge, LanguagePack};
use crate::parse::{Dockerfile, Flag, Keyword};
use crate::source::BuildContext;

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
    pub deps: Deps,
    pub installers: Vec<Installer>,
    /// Requirement files the installs read (context paths).
    pub requirement_files: Vec<String>,
}

/// Poetry's `virtualenvs.create` and `virtualenvs.in-project` settings, from
/// `POETRY_VIRTUALENVS_*` variables and `poetry config` commands.
#[derive(Debug, Default)]
struct PoetrySettings {
    create: Option<bool>,
    in_project: Option<bool>,
}

impl PoetrySettings {
    fn from_env(a: &Analysis) -> PoetrySettings {
        let flag = |name: &str| a.env.get(name).map(|v| poetry_bool(v));
        PoetrySettings {
            create: flag("POETRY_VIRTUALENVS_CREATE"),
            in_project: flag("POETRY_VIRTUALENVS_IN_PROJECT"),
        }
    }

    /// `poetry config [--local] virtualenvs.in-project true`.
    fn read_config(&mut self, c: &Command) {
        if crate::analyse::shell::normalise_program(c.program()) != "poetry"
            || c.args().first().map(String::as_str) != Some("config")
        {
            return;
        }
        let words: Vec<&str> = c.args()[1..]
            .iter()
            .map(String::as_str)
            .filter(|w| !w.starts_with('-'))
            .collect();
        let unset = c.args().iter().any(|w| w == "--unset");
        let value = if unset {
            None
        } else {
            match words.get(1) {
                Some(v) => Some(poetry_bool(v)),
                None => return,
            }
        };
        match words.first() {
            Some(&"virtualenvs.in-project") => self.in_project = value,
            Some(&"virtualenvs.create") => self.create = value,
            _ => {}
        }
    }

    /// Whether `poetry install` makes and fills the project's `.venv`.
    fn in_project(&self) -> bool {
        self.in_project == Some(true) && self.create != Some(false)
    }
}

/// Poetry (and Pipenv) read `true` and `1` as true.
fn poetry_bool(value: &str) -> bool {
    matches!(
        value
            .trim_matches(['"', '\''])
            .to_ascii_lowercase()
            .as_str(),
        "true" | "1"
    )
}

pub fn is_venv_creation(c: &Command) -> bool {
    venv_path(c).is_some()
}

/// Options of `python -m venv`, `virtualenv` and `uv venv` that take a value.
const VENV_VALUE_OPTIONS: &[&str] = &[
    "--prompt",
    "-p",
    "--python",
    "--index-url",
    "--extra-index-url",
    "--index",
    "--default-index",
    "--cache-dir",
    "--directory",
    "--project",
    "--link-mode",
    "--index-strategy",
    "--keyring-provider",
    "--activators",
    "--upgrade-deps-version",
];

/// `python -m venv X`, `virtualenv X`, `uv venv X` (`uv venv` alone makes
/// `.venv`): the path X.
fn venv_path(c: &Command) -> Option<&str> {
    let args = c.args();
    let program = crate::analyse::shell::normalise_program(c.program());
    let uv = program == "uv" && args.first().is_some_and(|a| a == "venv");
    let rest: &[String] = if (program == "python" || program == "python3")
        && args.len() >= 2
        && args[0] == "-m"
        && (args[1] == "venv" || args[1] == "virtualenv")
    {
        &args[2..]
    } else if program == "virtualenv" {
        args
    } else if uv {
        &args[1..]
    } else {
        return None;
    };
    let mut skip_next = false;
    for a in rest {
        if skip_next {
            skip_next = false;
        } else if a.starts_with('-') {
            skip_next = VENV_VALUE_OPTIONS.contains(&a.as_str());
        } else {
            return Some(a);
        }
    }
    uv.then_some(".venv")
}

fn is_pip_install(c: &Command, pack: &LanguagePack) -> bool {
    pack.steps.dep_install.iter().any(|p| {
        let words: Vec<&str> = p.split_whitespace().collect();
        c.starts_with(&words)
    })
}

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
    let mut deps = Deps::None;
    let mut requirement_files = Vec::new();
    let mut first_install: Option<usize> = None;
    let mut user_install = false;
    let mut explicit_interpreter: Option<(usize, String)> = None;
    let mut inline_packages: Vec<String> = Vec::new();
    let mut installers: Vec<Installer> = Vec::new();
    // `uv pip install --system` ignores VIRTUAL_ENV.
    let mut uv_system = false;
    // The folder `uv sync` runs in: its `.venv` holds the dependencies.
    let mut uv_project: Option<(usize, String)> = None;
    // The `.venv` Poetry (`virtualenvs.in-project`) or Pipenv
    // (`PIPENV_VENV_IN_PROJECT`) makes in the project folder (the file's own
    // commands may name it).
    let mut poetry_project: Option<String> = None;
    let mut poetry = PoetrySettings::from_env(a);
    // RUNs that install a build tool (poetry, uv) with pip.
    let mut tool_installs: Vec<(usize, Vec<String>)> = Vec::new();
    let mut dep_install_runs: Vec<usize> = Vec::new();
    // Project manifests and lock files the installs read (context paths).
    let mut project_files: Vec<String> = Vec::new();
    let commands = a.run_commands.clone();
    for rc in &commands {
        let c = &rc.command;
        if let Some(path) = venv_path(c) {
            deps = Deps::ExistingVenv {
                path: absolute(&rc.cwd, path),
            };
        }
        poetry.read_config(c);
        if is_pip_install(c, pack) {
            let installer = Installer::of(c);
            // Words after `install` that are not options: packages or paths.
            let mut after_install = false;
            let mut skip_next = false;
            let mut operands = Vec::new();
            let mut reads_files = false;
            for arg in c.args() {
                if skip_next {
                    skip_next = false;
                } else if arg == "install" {
                    after_install = true;
                } else if arg.starts_with('-') {
                    skip_next = VALUE_OPTIONS.contains(&arg.as_str());
                    reads_files |=
                        matches!(arg.as_str(), "-r" | "--requirement" | "-e" | "--editable");
                } else if after_install {
                    operands.push(arg.clone());
                }
            }
            let named: Vec<String> = operands
                .iter()
                .filter(|x| !x.contains('/') && *x != ".")
                .cloned()
                .collect();
            // `pip install poetry` installs the build's tool, not the app's
            // dependencies: it stays outside the virtualenv.
            let names: Vec<String> = named.iter().map(|p| requirement_name(p)).collect();
            let is_tool = |n: &String| pack.build_tools.contains(n);
            if installer == Installer::Pip
                && !reads_files
                && named.len() == operands.len()
                && names.iter().any(is_tool)
                && names
                    .iter()
                    .all(|n| is_tool(n) || pack.venv_tools.contains(n))
            {
                tool_installs.push((rc.index, names.into_iter().filter(is_tool).collect()));
                continue;
            }
            dep_install_runs.push(rc.index);
            inline_packages.extend(named);
            if !installers.contains(&installer) {
                installers.push(installer);
            }
            match installer {
                Installer::UvPip => uv_system |= c.args().iter().any(|x| x == "--system"),
                Installer::UvSync => uv_project = Some((rc.index, rc.cwd.clone())),
                Installer::Poetry
                    if poetry.in_project()
                        && poetry_project.is_none()
                        && !matches!(deps, Deps::ExistingVenv { .. }) =>
                {
                    poetry_project = Some(absolute(&rc.cwd, ".venv"));
                }
                // PIPENV_VENV_IN_PROJECT: Pipenv's `.venv` in the project
                // (unless it installs into the system with `--system`).
                Installer::Pipenv
                    if a.env
                        .get("PIPENV_VENV_IN_PROJECT")
                        .is_some_and(|v| poetry_bool(v))
                        && !c.args().iter().any(|x| x == "--system")
                        && poetry_project.is_none()
                        && !matches!(deps, Deps::ExistingVenv { .. }) =>
                {
                    poetry_project = Some(absolute(&rc.cwd, ".venv"));
                }
                _ => {}
            }
            // The project manifests that name the dependencies.
            let mut project_dirs: Vec<&str> = match installer {
                Installer::Poetry | Installer::UvSync | Installer::Pipenv => vec!["."],
                Installer::Pip | Installer::UvPip => operands
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
                    if !source.is_empty() && !project_files.contains(&source) {
                        project_files.push(source);
                    }
                }
            }
            first_install.get_or_insert(rc.index);
            // `/usr/local/bin/python -m pip` installs into the system
            // site-packages whatever virtualenv is on PATH.
            if c.words[0].contains('/') && explicit_interpreter.is_none() {
                explicit_interpreter = Some((file.instructions[rc.index].line, c.words[0].clone()));
            }
            let mut args = c.args().iter();
            while let Some(arg) = args.next() {
                match arg.as_str() {
                    "--user" => user_install = true,
                    "-r" | "--requirement" | "-c" | "--constraint" => {
                        if let Some(f) = args.next() {
                            requirement_files.push(context_path_of(
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
    }
    requirement_files.retain(|f| !f.is_empty());
    // The dependencies live in the project's own environment, copied with
    // the project folder.
    let project_env = uv_project.is_some() || poetry_project.is_some();

    if let Some(install) = first_install {
        if let Some(user) = a.final_user.filter(|u| *u < install)
            && !is_root(&file.instructions[user].args)
        {
            let ins = &file.instructions[install];
            a.block(
                ins.line,
                format!(
                    "pip install runs as USER {}: msb cannot move its packages safely",
                    file.instructions[user].args.trim()
                ),
            );
            return;
        }
        if let Some((index, cwd)) = &uv_project {
            let env = a
                .env
                .get("UV_PROJECT_ENVIRONMENT")
                .map(|p| absolute(cwd, p))
                .unwrap_or_else(|| absolute(cwd, ".venv"));
            let line = file.instructions[*index].line;
            uv_python_matches(file, context, line, a);
            deps = Deps::ExistingVenv { path: env };
        } else if let Some(env) = &poetry_project {
            // An active virtualenv would take Poetry's install away from
            // the `.venv` the file expects: none is added.
            deps = Deps::ExistingVenv { path: env.clone() };
        }
        if matches!(deps, Deps::None) && !user_install && a.same_base.is_some() {
            if let Some(other) = installers.iter().find(|i| **i != Installer::Pip) {
                let line = file.instructions[install].line;
                a.block(
                    line,
                    format!(
                        "{other:?} installs with the distribution's own Python, outside a virtualenv: msb cannot tell where its packages go"
                    ),
                );
                return;
            }
            let line = file.instructions[install].line;
            if !crate::analyse::same_base::copy_install_dirs(a, line, "pip") {
                return;
            }
            deps = Deps::System {
                dirs: a
                    .same_base
                    .as_ref()
                    .map(|s| s.install_dirs.clone())
                    .unwrap_or_default(),
            };
        }
        if matches!(deps, Deps::None) {
            // Before the manifest copy that feeds the install, so the new
            // layers are cached whatever the requirements say.
            let insert_before = (0..install)
                .rev()
                .take_while(|i| {
                    a.step(*i).is_some_and(|s| {
                        matches!(
                            s.role,
                            StepRole::DepManifest | StepRole::RuntimeConfig | StepRole::Setup
                        )
                    }) && file.instructions[*i].keyword != Keyword::From
                        && file.instructions[*i].keyword != Keyword::User
                })
                .filter(|i| a.has_role(*i, StepRole::DepManifest))
                .last()
                .unwrap_or(install);
            deps = if user_install {
                Deps::UserBase {
                    path: pack
                        .user_deps_dir
                        .clone()
                        .unwrap_or_else(|| "/opt/python-user".into()),
                    insert_before,
                }
            } else {
                Deps::NewVenv {
                    path: pack.deps_dir.clone().unwrap_or_else(|| "/opt/venv".into()),
                    insert_before,
                }
            };
        }
    }
    if let (Some((line, path)), Deps::NewVenv { path: venv, .. }) = (&explicit_interpreter, &deps)
        && !path.starts_with(venv.as_str())
    {
        a.block(
            *line,
            format!("pip runs through {path}, which would install outside the virtualenv msb adds at {venv}"),
        );
    }
    // Poetry, Pipenv and uv install into the virtualenv VIRTUAL_ENV names;
    // pip into the one whose pip is first on PATH.
    let activate = installers.iter().any(|i| *i != Installer::Pip);
    match &deps {
        Deps::NewVenv {
            path,
            insert_before,
        } => {
            let path_env = format!("PATH=\"{path}/bin:$PATH\"");
            let runtime_env = if activate {
                format!("VIRTUAL_ENV={path} {path_env}")
            } else {
                path_env
            };
            let builder_env = if uv_system {
                format!("UV_PYTHON={path}/bin/python {runtime_env}")
            } else {
                runtime_env.clone()
            };
            let tools: Vec<&str> = installers
                .iter()
                .map(|i| match i {
                    Installer::Pip => "pip",
                    Installer::Poetry => "poetry",
                    Installer::Pipenv => "pipenv",
                    Installer::UvPip | Installer::UvSync => "uv",
                })
                .collect();
            a.builder_additions.push(BuilderAddition {
                before: Some(*insert_before),
                lines: vec![
                    ("RUN".into(), format!("python -m venv {path}")),
                    ("ENV".into(), builder_env),
                ],
                why: format!("{} installs into a virtualenv at {path}, copied whole to the final stage and on PATH in both", tools.join(" and ")),
            });
            a.runtime_env.push(runtime_env);
        }
        Deps::UserBase {
            path,
            insert_before,
        } => {
            let env = format!("PYTHONUSERBASE={path} PATH=\"{path}/bin:$PATH\"");
            a.builder_additions.push(BuilderAddition {
                before: Some(*insert_before),
                lines: vec![("ENV".into(), env.clone())],
                why: format!("pip install --user installs into {path} (PYTHONUSERBASE), readable by the non-root user"),
            });
            a.runtime_env.push(env);
        }
        // The file's own `ENV PATH=/app/.venv/bin:$PATH` is carried already.
        Deps::ExistingVenv { path }
            if project_env
                && !a
                    .env
                    .get("PATH")
                    .is_some_and(|p| p.split(':').any(|d| d == format!("{path}/bin"))) =>
        {
            a.runtime_env
                .push(format!("VIRTUAL_ENV={path} PATH=\"{path}/bin:$PATH\""));
        }
        Deps::ExistingVenv { .. } | Deps::System { .. } | Deps::None => {}
    }
    for (index, tools) in &tool_installs {
        if !dep_install_runs.contains(index) {
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
        if Some(*index) == first_install && matches!(deps, Deps::NewVenv { .. }) {
            let line = file.instructions[*index].line;
            a.warnings.push(format!(
                "line {line}: {} is installed in the same RUN as the dependencies, so it lands in the virtualenv and the final image; install it in a RUN of its own before to leave it in the builder",
                tools.join(", ")
            ));
        }
    }
    let deps_line = first_install.map_or(0, |i| file.instructions[i].line);
    // `uv sync`'s `.venv` sits in the project folder, copied with the app.
    match &deps {
        Deps::ExistingVenv { .. } if project_env => {}
        Deps::ExistingVenv { path } | Deps::NewVenv { path, .. } | Deps::UserBase { path, .. } => {
            let path = path.clone();
            a.add_artefact(deps_line, &path, &path, "the installed dependencies", false);
        }
        Deps::System { .. } | Deps::None => {}
    }

    // Python reads its sources, templates and data at run time; a
    // manifest copied on its own elsewhere (`/tmp/requirements.txt`) is not
    // needed there.
    crate::analyse::interpreted::app_folders(file, a, &Default::default(), None, true);
    if let Deps::ExistingVenv { path } = &deps
        && project_env
    {
        let path = path.clone();
        a.add_artefact(
            deps_line,
            &path,
            &path,
            "the environment uv sync fills",
            false,
        );
    }
    runners(file, context, pack, a);
    if let Deps::NewVenv { path, .. } = &deps {
        system_python_paths(file, a, &path.clone());
    }
    build_outputs(file, context, a);
    let mut inline: Vec<(String, String)> = inline_packages
        .iter()
        .map(|p| (requirement_name(p), "pip install".to_string()))
        .collect();
    for f in &project_files {
        if let Some(text) = context.read_small(f) {
            inline.extend(
                project_dependencies(f, &text)
                    .into_iter()
                    .map(|n| (n, f.clone())),
            );
        }
    }
    requirement_libs(&requirement_files, inline, context, pack, k, a);
    a.python = Some(PythonFacts {
        deps,
        installers,
        requirement_files,
    });
}

fn is_root(user: &str) -> bool {
    let name = user.trim().split(':').next().unwrap_or("");
    name == "root" || name == "0"
}

/// The context path of a file the image has at `path`, if a bind mount
/// of the RUN or an earlier COPY put it there (for reading requirements
/// files).
fn context_path_of(file: &Dockerfile, a: &Analysis, before: usize, path: &str) -> String {
    if let Some(source) = bind_mount_source(file, a, before, path) {
        return source;
    }
    for copy in a.copies.iter().filter(|c| c.index < before).rev() {
        for root in &copy.roots {
            if root == path {
                let base = crate::analyse::basename(path);
                if let Some(src) = copy
                    .sources
                    .iter()
                    .find(|s| crate::analyse::basename(s) == base)
                    .or(copy.sources.first())
                {
                    return src.trim_start_matches("./").to_string();
                }
            } else if is_under(path, root) {
                let rel = crate::analyse::relative_to(path, root).unwrap_or_default();
                if let Some(s) = copy.sources.first() {
                    let s = s.trim_start_matches("./").trim_end_matches('/');
                    return if s == "." || s.is_empty() {
                        rel.to_string()
                    } else {
                        format!("{s}/{rel}")
                    };
                }
            }
        }
    }
    String::new()
}

/// `RUN --mount=type=bind,source=requirements.txt,target=requirements.txt`:
/// the context path the mount shows at `path` (a relative target is under
/// the WORKDIR). Mounts from another stage or image are not the context.
fn bind_mount_source(file: &Dockerfile, a: &Analysis, index: usize, path: &str) -> Option<String> {
    let ins = file.instructions.get(index)?;
    for flag in ins
        .flags
        .iter()
        .filter(|f| f.name.eq_ignore_ascii_case("mount"))
    {
        let value = flag.value.clone().unwrap_or_default();
        let mut kind = "bind".to_string();
        let mut source = String::new();
        let mut target = None;
        let mut from = false;
        for part in value.split(',') {
            match part.split_once('=') {
                Some(("type", t)) => kind = t.to_string(),
                Some(("source" | "src", s)) => source = s.to_string(),
                Some(("target" | "dst" | "destination", t)) => target = Some(t.to_string()),
                Some(("from", _)) => from = true,
                _ => {}
            }
        }
        let Some(target) = target else {
            continue;
        };
        if kind != "bind" || from {
            continue;
        }
        let target = absolute(a.workdir_at(index), &target);
        let source = source
            .trim_start_matches("./")
            .trim_matches('/')
            .to_string();
        if path == target {
            return Some(source);
        }
        if is_under(path, &target) {
            let rel = crate::analyse::relative_to(path, &target).unwrap_or_default();
            return Some(if source.is_empty() || source == "." {
                rel.to_string()
            } else {
                format!("{source}/{rel}")
            });
        }
    }
    None
}

/// Build steps (collectstatic...) write where they run: that folder is
/// copied too. collectstatic writes to STATIC_ROOT: when the settings
/// module names it as a plain path outside the copied folders, that
/// folder is copied as well (writable when it is a VOLUME); when msb cannot
/// read it, a warning says where it must be.
fn build_outputs(file: &Dockerfile, context: &BuildContext, a: &mut Analysis) {
    for build in interpreted::build_commands(a) {
        let line = file.instructions[build.index].line;
        interpreted::copy_build_folder(a, line, &build.cwd);
        let words = &build.command.words;
        if !words.iter().any(|w| w == "collectstatic") {
            continue;
        }
        match static_root(file, context, a, build.index, &build.cwd, words) {
            Some((root, _)) if a.is_copied(&root) => {}
            Some((root, settings)) => {
                let volume = volumes(file).iter().any(|v| is_under(&root, v));
                a.add_artefact(
                    line,
                    &root,
                    &root,
                    format!("line {line}: collectstatic writes STATIC_ROOT ({settings}) here"),
                    volume,
                );
            }
            None => a.warnings.push(format!(
                "line {line}: collectstatic writes to STATIC_ROOT; msb copies {}, so STATIC_ROOT must be inside it",
                a.artefacts
                    .iter()
                    .filter(|x| x.writable)
                    .map(|x| x.to.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }
}

/// The folders VOLUME lines name.
fn volumes(file: &Dockerfile) -> Vec<String> {
    file.instructions
        .iter()
        .filter(|i| i.keyword == Keyword::Volume)
        .flat_map(|i| match &i.exec {
            Some(w) => w.clone(),
            None => i.args.split_whitespace().map(String::from).collect(),
        })
        .map(|v| v.trim_end_matches('/').to_string())
        .collect()
}

/// STATIC_ROOT of the Django settings a `manage.py collectstatic` uses,
/// when the settings module sets it to a plain string (`STATIC_ROOT =
/// "/vol/web/static"`): the absolute path, and the settings file (context
/// path). The settings module comes from `--settings`, DJANGO_SETTINGS_MODULE
/// or manage.py's default.
fn static_root(
    file: &Dockerfile,
    context: &BuildContext,
    a: &Analysis,
    index: usize,
    cwd: &str,
    words: &[String],
) -> Option<(String, String)> {
    // The folder (context path) that holds manage.py: the project root.
    let manage = words.iter().find(|w| w.ends_with("manage.py"));
    let manage_path = manage
        .map(|m| context_path_of(file, a, index, &absolute(cwd, m)))
        .filter(|p| !p.is_empty());
    let root = manage_path
        .as_deref()
        .map(|p| p.rsplit_once('/').map_or("", |(d, _)| d).to_string())
        .unwrap_or_default();
    let option = words.iter().enumerate().find_map(|(i, w)| {
        w.strip_prefix("--settings=").map(String::from).or_else(|| {
            (w == "--settings")
                .then(|| words.get(i + 1).cloned())
                .flatten()
        })
    });
    let module = option
        .or_else(|| a.env.get("DJANGO_SETTINGS_MODULE").cloned())
        .or_else(|| {
            let text = context.read_small(manage_path.as_deref()?)?;
            let at = text.find("DJANGO_SETTINGS_MODULE")?;
            let rest = &text[at + "DJANGO_SETTINGS_MODULE".len()..];
            let rest = rest.trim_start_matches(['"', '\'']).trim_start();
            let rest = rest.strip_prefix(',')?.trim_start();
            let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
            let value = &rest[1..];
            Some(value[..value.find(quote)?].to_string())
        })?;
    if module.contains('$') || module.is_empty() {
        return None;
    }
    let base = module.replace('.', "/");
    let join = |p: &str| {
        if root.is_empty() {
            p.to_string()
        } else {
            format!("{root}/{p}")
        }
    };
    for candidate in [
        join(&format!("{base}.py")),
        join(&format!("{base}/__init__.py")),
    ] {
        let Some(text) = context.read_small(&candidate) else {
            continue;
        };
        let rest = text.lines().rev().find_map(|l| {
            let rest = l
                .strip_prefix("STATIC_ROOT")?
                .trim_start()
                .strip_prefix('=')?;
            Some(rest.split('#').next().unwrap_or("").trim().to_string())
        })?;
        // `BASE_DIR / "staticfiles"`: inside the project folder, where
        // manage.py is.
        let in_project = ["BASE_DIR /", "BASE_DIR.joinpath(", "os.path.join(BASE_DIR,"]
            .iter()
            .any(|p| rest.replace(' ', "").starts_with(&p.replace(' ', "")));
        if in_project {
            let project = manage.map_or_else(
                || cwd.to_string(),
                |m| {
                    let path = absolute(cwd, m);
                    path.rsplit_once('/')
                        .map_or("/".to_string(), |(d, _)| d.to_string())
                },
            );
            return Some((project, candidate));
        }
        let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
        let inner = rest.strip_prefix(quote)?.strip_suffix(quote)?;
        if inner.contains(quote) {
            return None;
        }
        return Some((absolute(cwd, inner.trim_end_matches('/')), candidate));
    }
    None
}

/// Packages named in requirement files or on a `pip install` line that
/// load a system library at run time (`psycopg2` built from source needs
/// libpq).
fn requirement_libs(
    files: &[String],
    // (requirement name, where it was named)
    mut named: Vec<(String, String)>,
    context: &BuildContext,
    pack: &LanguagePack,
    _k: &Knowledge,
    a: &mut Analysis,
) {
    let Some(builder) = a.builder.as_ref() else {
        return;
    };
    let family = builder.family;
    let mut seen = Vec::new();
    let mut queue: Vec<String> = files.to_vec();
    while let Some(f) = queue.pop() {
        if seen.contains(&f) || seen.len() > 32 {
            continue;
        }
        seen.push(f.clone());
        let Some(text) = context.read_small(&f) else {
            continue;
        };
        let dir = f
            .rsplit_once('/')
            .map(|(d, _)| d.to_string())
            .unwrap_or_default();
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or("").trim();
            if let Some(nested) = line
                .strip_prefix("-r ")
                .or_else(|| line.strip_prefix("--requirement "))
            {
                let nested = nested.trim();
                queue.push(if dir.is_empty() {
                    nested.to_string()
                } else {
                    format!("{dir}/{nested}")
                });
                continue;
            }
            named.push((requirement_name(line), f.clone()));
        }
    }
    for (name, source) in named {
        let Some(libs) = pack.requirement_libs.get(&name) else {
            continue;
        };
        let list = match family {
            crate::knowledge::Family::Debian => &libs.debian,
            crate::knowledge::Family::Alpine => &libs.alpine,
            _ => continue,
        };
        for lib in list {
            if !a.runtime_packages.iter().any(|p| p.name == *lib) {
                a.runtime_packages
                    .push(crate::analyse::packages::RuntimePackage {
                        name: lib.clone(),
                        why: format!("{source} needs {name}, which loads it at run time"),
                    });
            }
        }
    }
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

/// The package names a project manifest or lock file names:
/// `[project] dependencies` and `[tool.poetry.dependencies]` of
/// pyproject.toml, the `[[package]]` entries of poetry.lock and uv.lock,
/// `[packages]` of a Pipfile, `default` of Pipfile.lock.
fn project_dependencies(path: &str, text: &str) -> Vec<String> {
    let name = crate::analyse::basename(path);
    let mut out = Vec::new();
    if name == "Pipfile.lock" {
        if let Ok(json) = serde_json::from_str::<serde_json::Value>(text)
            && let Some(default) = json.get("default").and_then(|d| d.as_object())
        {
            out.extend(default.keys().map(|k| requirement_name(k)));
        }
        return out;
    }
    let Ok(doc) = text.parse::<toml::Table>() else {
        return out;
    };
    let keys = |v: Option<&toml::Value>| -> Vec<String> {
        v.and_then(|t| t.as_table())
            .map(|t| t.keys().map(|k| requirement_name(k)).collect())
            .unwrap_or_default()
    };
    match name {
        "pyproject.toml" => {
            if let Some(deps) = doc
                .get("project")
                .and_then(|p| p.get("dependencies"))
                .and_then(|d| d.as_array())
            {
                out.extend(deps.iter().filter_map(|d| d.as_str()).map(requirement_name));
            }
            let poetry = doc.get("tool").and_then(|t| t.get("poetry"));
            out.extend(keys(poetry.and_then(|p| p.get("dependencies"))));
        }
        "poetry.lock" | "uv.lock" => {
            if let Some(packages) = doc.get("package").and_then(|p| p.as_array()) {
                out.extend(
                    packages
                        .iter()
                        .filter_map(|p| p.get("name").and_then(|n| n.as_str()))
                        .map(requirement_name),
                );
            }
        }
        "Pipfile" => out.extend(keys(doc.get("packages"))),
        _ => {}
    }
    out.retain(|n| !n.is_empty() && n != "python");
    out
}

/// `Psycopg2_binary[extra]>=2.9` → `psycopg2-binary`.
fn requirement_name(spec: &str) -> String {
    spec.trim()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_' || *c == '.')
        .collect::<String>()
        .to_ascii_lowercase()
        .replace('_', "-")
}

/// uv makes `.venv` with the image's Python only when it is the version
/// the project asks for; otherwise it downloads one under /root, which the
/// final stage neither has nor could read.
fn uv_python_matches(file: &Dockerfile, context: &BuildContext, line: usize, a: &mut Analysis) {
    let Some(wanted) = context
        .read_small(".python-version")
        .and_then(|t| t.lines().next().map(|l| l.trim().to_string()))
        .filter(|v| !v.is_empty())
    else {
        return;
    };
    let minor = |v: &str| -> Option<String> {
        let mut parts = v.split('.');
        let major = parts.next()?.parse::<u32>().ok()?;
        let minor = parts.next()?.parse::<u32>().ok()?;
        Some(format!("{major}.{minor}"))
    };
    let image = a
        .builder
        .as_ref()
        .map(|b| b.version.clone())
        .unwrap_or_default();
    let from = crate::analyse::from_line(file);
    match (minor(&wanted), minor(&image)) {
        (Some(w), Some(i)) if w == i => {}
        (Some(w), Some(i)) => a.block(
            line,
            format!("uv sync wants Python {w} (.python-version) but the image has {i}: uv would download a Python the final stage does not have"),
        ),
        _ => a.block_unless_unsafe(
            from,
            format!("cannot tell whether uv sync uses the image's Python (.python-version says {wanted})"),
        ),
    }
}

/// `poetry run X`, `pipenv run X`, `uv run X` in ENTRYPOINT/CMD become
/// `X`: the final stage has the environment on PATH, not the runner. A
/// runner used any other way at run time blocks the migration.
fn runners(file: &Dockerfile, context: &BuildContext, pack: &LanguagePack, a: &mut Analysis) {
    let is_runner = |program: &str| {
        pack.runners
            .iter()
            .any(|r| r.program == crate::analyse::shell::normalise_program(program))
    };
    for kw in [Keyword::Entrypoint, Keyword::Cmd] {
        let Some(index) = file.instructions.iter().rposition(|i| i.keyword == kw) else {
            continue;
        };
        let ins = &file.instructions[index];
        let line = ins.line;
        let words: Vec<String> = match &ins.exec {
            Some(w) => w.clone(),
            None => {
                let cmds = crate::analyse::shell::commands(&ins.args);
                if cmds.iter().any(|c| is_runner(c.program())) && cmds.len() > 1 {
                    a.block(
                        line,
                        format!("{} runs a development runner inside a longer shell command: msb cannot rewrite it", kw.as_str()),
                    );
                    continue;
                }
                cmds.first().map(|c| c.words.clone()).unwrap_or_default()
            }
        };
        let Some(program) = words.first() else {
            continue;
        };
        if !is_runner(program) {
            // A script the command runs may still call the runner.
            let script = if words.len() > 2 && words.iter().any(|w| w == "-c") {
                words.iter().skip_while(|w| *w != "-c").nth(1).cloned()
            } else {
                crate::analyse::script_in_context(a, program, index, context)
                    .and_then(|p| context.read_small(&p))
            };
            if let Some(text) = script
                && let Some(c) = crate::analyse::shell::commands(&text)
                    .into_iter()
                    .find(|c| is_runner(c.program()))
            {
                a.block(
                    line,
                    format!("{} runs `{}`, which stays in the builder: msb cannot rewrite a runner inside a script", kw.as_str(), c.words.join(" ")),
                );
            }
            continue;
        }
        let Some(runner) = pack
            .runners
            .iter()
            .find(|r| r.program == crate::analyse::shell::normalise_program(program))
        else {
            continue;
        };
        let rest = crate::analyse::strip_runner(&words, runner);
        let Some(rest) = rest.filter(|r| !r.is_empty()) else {
            a.block(
                line,
                format!(
                    "{} runs `{}` without the command it runs: msb cannot rewrite it",
                    kw.as_str(),
                    words.join(" ")
                ),
            );
            continue;
        };
        let args = if ins.exec.is_some() {
            crate::analyse::entry::render(&rest, true)
        } else {
            // The shell form keeps its text as written ($VARS, quotes).
            skip_words(ins.args.trim(), words.len() - rest.len()).to_string()
        };
        a.command_rewrites.push(CommandRewrite {
            index,
            args,
            why: format!(
                "`{} {}` only runs the command in the virtualenv, which the final stage has on PATH",
                runner.program, runner.subcommand
            ),
            needs_unsafe: false,
        });
    }
}

/// Programs of the Python image itself in /usr/local/bin, there whatever
/// pip installed (`/usr/local/bin/pip` is the system pip).
const IMAGE_PYTHON_TOOLS: &[&str] = &[
    "pip",
    "pip3",
    "idle",
    "idle3",
    "pydoc",
    "pydoc3",
    "2to3",
    "python-config",
    "python3-config",
    "wheel",
];

/// `/usr/local/bin/python` or a console script pip put next to it, named
/// by its path in ENTRYPOINT, CMD or HEALTHCHECK: the system Python does not see the
/// packages of the virtualenv msb installs into, so the command runs the
/// same program from the virtualenv's bin. A file the build put there
/// itself (an entrypoint script, a link) is left alone.
fn system_python_paths(file: &Dockerfile, a: &mut Analysis, venv: &str) {
    let made_by_build = |a: &Analysis, path: &str| {
        a.copies.iter().any(|c| {
            c.roots.iter().any(|r| r == path || r == "/usr/local/bin")
                || c.pairs.iter().any(|(_, d)| d == path)
        }) || a.run_commands.iter().any(|rc| {
            rc.command
                .writes
                .iter()
                .chain(rc.command.args())
                .any(|w| absolute(&rc.cwd, w) == path)
        })
    };
    for kw in [Keyword::Entrypoint, Keyword::Cmd, Keyword::Healthcheck] {
        let Some(index) = file.instructions.iter().rposition(|i| i.keyword == kw) else {
            continue;
        };
        if a.command_rewrites.iter().any(|r| r.index == index) {
            continue;
        }
        let ins = &file.instructions[index];
        // HEALTHCHECK [OPTIONS] CMD command: the command after `CMD`.
        let command = if kw == Keyword::Healthcheck {
            let mut rest = ins.args.trim_start();
            loop {
                let (word, after) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
                if word.eq_ignore_ascii_case("CMD") || word.is_empty() {
                    break after.trim_start().to_string();
                }
                rest = after.trim_start();
            }
        } else {
            ins.args.clone()
        };
        let exec: Option<Vec<String>> = match &ins.exec {
            Some(w) => Some(w.clone()),
            None => serde_json::from_str(command.trim()).ok(),
        };
        let first = match &exec {
            Some(w) => w.first().cloned(),
            None => crate::analyse::shell::commands(&command)
                .into_iter()
                .next()
                .and_then(|c| c.words.into_iter().find(|w| w != "exec")),
        };
        let Some(path) = first else {
            continue;
        };
        let Some(name) = path.strip_prefix("/usr/local/bin/") else {
            continue;
        };
        if name.is_empty()
            || name.contains('/')
            || IMAGE_PYTHON_TOOLS.contains(&crate::analyse::shell::normalise_program(name))
            || made_by_build(a, &path)
        {
            continue;
        }
        let new_path = format!("{venv}/bin/{name}");
        // The first mention is the program: replaced there, the rest of
        // the text (JSON spacing, options, quotes) stays as written.
        let mut args = ins.args.trim().replacen(path.as_str(), &new_path, 1);
        // HEALTHCHECK's own options (`--interval=30s`) are kept.
        let flags: Vec<String> = ins.flags.iter().map(Flag::written).collect();
        if !flags.is_empty() {
            args = format!("{} {args}", flags.join(" "));
        }
        a.command_rewrites.push(CommandRewrite {
            index,
            args,
            why: format!(
                "{path} is the system Python's, which does not see the packages installed into the virtualenv at {venv}; its {name} runs with them"
            ),
            needs_unsafe: false,
        });
    }
}

/// `text` after its first `n` shell words (quotes respected).
fn skip_words(text: &str, n: usize) -> &str {
    let mut rest = text.trim_start();
    for _ in 0..n {
        let mut quote: Option<char> = None;
        let mut escaped = false;
        let mut end = rest.len();
        for (i, c) in rest.char_indices() {
            if escaped {
                escaped = false;
            } else if c == '\\' && quote != Some('\'') {
                escaped = true;
            } else if let Some(q) = quote {
                if c == q {
                    quote = None;
                }
            } else if c == '"' || c == '\'' {
                quote = Some(c);
            } else if c.is_whitespace() {
                end = i;
                break;
            }
        }
        rest = rest[end..].trim_start();
    }
    rest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skips_shell_words_with_quotes() {
        assert_eq!(
            skip_words("poetry run gunicorn -b \"0.0.0.0:$PORT\"", 2),
            "gunicorn -b \"0.0.0.0:$PORT\""
        );
        assert_eq!(skip_words("uv run 'a b' c", 3), "c");
    }

    #[test]
    fn strips_runner_options() {
        use crate::analyse::strip_runner;
        let runner = crate::knowledge::Runner {
            program: "uv".into(),
            subcommand: "run".into(),
            value_options: vec!["--with".into()],
        };
        let words: Vec<String> = [
            "uv", "run", "--frozen", "--with", "x", "gunicorn", "app:app",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(
            strip_runner(&words, &runner).unwrap(),
            vec!["gunicorn".to_string(), "app:app".to_string()]
        );
    }

    #[test]
    fn reads_static_root() {
        let dir = std::env::temp_dir().join(format!("msb-static-root-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("site/conf")).unwrap();
        std::fs::write(
            dir.join("site/manage.py"),
            "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'conf.prod')\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("site/conf/prod.py"),
            "STATIC_ROOT = BASE_DIR / 'static'\nSTATIC_ROOT = '/srv/static/'  # for nginx\n",
        )
        .unwrap();
        let context = BuildContext::new(&dir);
        let text = "FROM python:3.12\nWORKDIR /app\nCOPY site/ .\nRUN python manage.py collectstatic --noinput\n";
        let file = crate::parse::parse(text).unwrap();
        let k = Knowledge::builtin().unwrap();
        let a = crate::analyse::analyse(&file, &context, &k);
        let words: Vec<String> = ["python", "manage.py", "collectstatic"]
            .map(String::from)
            .to_vec();
        assert_eq!(
            static_root(&file, &context, &a, 3, "/app", &words),
            Some(("/srv/static".to_string(), "site/conf/prod.py".to_string()))
        );
        std::fs::write(
            dir.join("site/conf/prod.py"),
            "STATIC_ROOT = BASE_DIR / 'static'\n",
        )
        .unwrap();
        // A context reads each file once: a fresh one sees the new text.
        let context = BuildContext::new(&dir);
        assert_eq!(
            static_root(&file, &context, &a, 3, "/app", &words),
            Some(("/app".to_string(), "site/conf/prod.py".to_string()))
        );
        std::fs::write(
            dir.join("site/conf/prod.py"),
            "STATIC_ROOT = env('STATIC_ROOT')\n",
        )
        .unwrap();
        let context = BuildContext::new(&dir);
        assert_eq!(static_root(&file, &context, &a, 3, "/app", &words), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn venv_paths() {
        let c = |s: &str| crate::analyse::shell::commands(s).remove(0);
        assert_eq!(
            venv_path(&c("python3 -m venv /opt/venv")),
            Some("/opt/venv")
        );
        assert_eq!(
            venv_path(&c("python -m venv --prompt app /venv")),
            Some("/venv")
        );
        assert_eq!(venv_path(&c("uv venv /opt/venv")), Some("/opt/venv"));
        assert_eq!(venv_path(&c("uv venv --python 3.12 --seed")), Some(".venv"));
        assert_eq!(venv_path(&c("virtualenv -p python3 env")), Some("env"));
        assert_eq!(venv_path(&c("uv pip install x")), None);
    }

    #[test]
    fn reads_poetry_settings() {
        let c = |s: &str| crate::analyse::shell::commands(s).remove(0);
        let mut p = PoetrySettings::default();
        p.read_config(&c("poetry config virtualenvs.in-project true"));
        assert!(p.in_project());
        p.read_config(&c("poetry config --local virtualenvs.create false"));
        assert!(!p.in_project());
        p.read_config(&c("poetry config virtualenvs.create --unset"));
        assert!(p.in_project());
        p.read_config(&c("poetry config virtualenvs.in-project 0"));
        assert!(!p.in_project());
        assert!(poetry_bool("\"1\""));
        assert!(!poetry_bool("yes"));
    }

    #[test]
    fn reads_project_dependencies() {
        let pyproject = "[project]\nname = \"x\"\ndependencies = [\"psycopg2>=2.9\", \"Flask[async]\"]\n[tool.poetry.dependencies]\npython = \"^3.12\"\nmysqlclient = \"^2.2\"\n";
        assert_eq!(
            project_dependencies("pyproject.toml", pyproject),
            vec!["psycopg2", "flask", "mysqlclient"]
        );
        let lock = "[[package]]\nname = \"psycopg2\"\nversion = \"2.9.9\"\n\n[[package]]\nname = \"Django\"\nversion = \"5.0\"\n";
        assert_eq!(
            project_dependencies("api/poetry.lock", lock),
            vec!["psycopg2", "django"]
        );
        let pipfile = "[packages]\npsycopg2 = \"*\"\n\n[dev-packages]\npytest = \"*\"\n";
        assert_eq!(project_dependencies("Pipfile", pipfile), vec!["psycopg2"]);
        let pipfile_lock =
            r#"{"default": {"mysqlclient": {"version": "==2.2.4"}}, "develop": {"pytest": {}}}"#;
        assert_eq!(
            project_dependencies("Pipfile.lock", pipfile_lock),
            vec!["mysqlclient"]
        );
        assert!(project_dependencies("pyproject.toml", "not toml [").is_empty());
    }

    #[test]
    fn local_projects() {
        assert!(is_local_project("."));
        assert!(is_local_project("./libs/core"));
        assert!(!is_local_project("./dist/app-1.0-py3-none-any.whl"));
        assert!(!is_local_project("gunicorn"));
    }

    #[test]
    fn bind_mounts_show_context_files() {
        let text = "FROM python:3.12\nWORKDIR /app\nRUN --mount=type=cache,target=/root/.cache/pip --mount=type=bind,source=reqs/prod.txt,target=requirements.txt --mount=type=bind,source=src,target=/src pip install -r requirements.txt\n";
        let file = crate::parse::parse(text).unwrap();
        let k = Knowledge::builtin().unwrap();
        let a = crate::analyse::analyse(&file, &BuildContext::empty(), &k);
        assert_eq!(
            bind_mount_source(&file, &a, 2, "/app/requirements.txt").as_deref(),
            Some("reqs/prod.txt")
        );
        assert_eq!(
            bind_mount_source(&file, &a, 2, "/src/pyproject.toml").as_deref(),
            Some("src/pyproject.toml")
        );
        assert_eq!(bind_mount_source(&file, &a, 2, "/root/.cache/pip/x"), None);
    }
}
