//! Python with pip: where the dependencies go (a virtualenv the runtime
//! copies), which folders hold the app, and which system libraries the
//! installed packages load at run time.

use crate::analyse::shell::Command;
use crate::analyse::{Analysis, BuilderAddition, StepRole, absolute, is_under};
use crate::knowledge::{Knowledge, LanguagePack};
use crate::parse::{Dockerfile, Keyword};
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
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct PythonFacts {
    pub deps: Deps,
    /// Requirement files the installs read (context paths).
    pub requirement_files: Vec<String>,
}

pub fn is_venv_creation(c: &Command) -> bool {
    venv_path(c).is_some()
}

/// `python -m venv X`, `virtualenv X`, `uv venv X`: the path X.
fn venv_path(c: &Command) -> Option<&str> {
    let args = c.args();
    let program = crate::analyse::shell::normalise_program(c.program());
    let rest: &[String] = if (program == "python" || program == "python3")
        && args.len() >= 2
        && args[0] == "-m"
        && (args[1] == "venv" || args[1] == "virtualenv")
    {
        &args[2..]
    } else if program == "virtualenv" {
        args
    } else {
        return None;
    };
    rest.iter()
        .map(String::as_str)
        .find(|a| !a.starts_with('-'))
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

/// Only an official-style Python image tells which slim image has the same
/// interpreter; Python installed by apt on another base does not.
fn python_image(file: &Dockerfile, pack: &LanguagePack, a: &mut Analysis) -> bool {
    let Some(b) = &a.builder else {
        return false;
    };
    if pack.detect.images.contains(&b.base_name) {
        return true;
    }
    let from = crate::analyse::from_line(file);
    let written = b.written.clone();
    a.block(
        from,
        format!(
            "{written} is not a Python image: msb cannot tell which slim image has the same Python"
        ),
    );
    false
}

pub fn analyse(
    file: &Dockerfile,
    context: &BuildContext,
    pack: &LanguagePack,
    k: &Knowledge,
    a: &mut Analysis,
) {
    if !python_image(file, pack, a) {
        return;
    }
    let mut deps = Deps::None;
    let mut requirement_files = Vec::new();
    let mut first_install: Option<usize> = None;
    let mut user_install = false;
    let mut explicit_interpreter: Option<(usize, String)> = None;
    let mut inline_packages: Vec<String> = Vec::new();
    let commands = a.run_commands.clone();
    for rc in &commands {
        let c = &rc.command;
        if let Some(path) = venv_path(c) {
            deps = Deps::ExistingVenv {
                path: absolute(&rc.cwd, path),
            };
        }
        if is_pip_install(c, pack) {
            first_install.get_or_insert(rc.index);
            // `/usr/local/bin/python -m pip` installs into the system
            // site-packages whatever virtualenv is on PATH.
            if c.words[0].contains('/') && explicit_interpreter.is_none() {
                explicit_interpreter = Some((file.instructions[rc.index].line, c.words[0].clone()));
            }
            // Words after `install` that are not options name packages.
            let mut after_install = false;
            let mut skip_next = false;
            for arg in c.args() {
                if skip_next {
                    skip_next = false;
                } else if arg == "install" {
                    after_install = true;
                } else if arg.starts_with('-') {
                    skip_next = VALUE_OPTIONS.contains(&arg.as_str());
                } else if after_install && !arg.contains('/') && arg != "." {
                    inline_packages.push(arg.clone());
                }
            }
            let mut args = c.args().iter();
            while let Some(arg) = args.next() {
                match arg.as_str() {
                    "--user" => user_install = true,
                    "-r" | "--requirement" | "-c" | "--constraint" => {
                        if let Some(f) = args.next() {
                            requirement_files.push(context_path_of(
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
        if matches!(deps, Deps::None) {
            // Before the manifest copy that feeds the install, so the new
            // layers are cached whatever the requirements say.
            let insert_before = (0..install)
                .rev()
                .take_while(|i| {
                    a.steps.iter().find(|s| s.index == *i).is_some_and(|s| {
                        matches!(
                            s.role,
                            StepRole::DepManifest | StepRole::RuntimeConfig | StepRole::Setup
                        )
                    }) && file.instructions[*i].keyword != Keyword::From
                        && file.instructions[*i].keyword != Keyword::User
                })
                .filter(|i| {
                    a.steps
                        .iter()
                        .any(|s| s.index == *i && s.role == StepRole::DepManifest)
                })
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
    match &deps {
        Deps::NewVenv {
            path,
            insert_before,
        } => {
            let env = format!("PATH=\"{path}/bin:$PATH\"");
            a.builder_additions.push(BuilderAddition {
                before: Some(*insert_before),
                lines: vec![
                    ("RUN".into(), format!("python -m venv {path}")),
                    ("ENV".into(), env.clone()),
                ],
                why: format!("pip installs into a virtualenv at {path}, copied whole to the final stage and on PATH in both"),
            });
            a.runtime_env.push(env);
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
        Deps::ExistingVenv { .. } | Deps::None => {}
    }
    match &deps {
        Deps::ExistingVenv { path } | Deps::NewVenv { path, .. } | Deps::UserBase { path, .. } => {
            let path = path.clone();
            let deps_line = first_install.map_or(0, |i| file.instructions[i].line);
            a.add_artefact(deps_line, &path, &path, "the installed dependencies", false);
        }
        Deps::None => {}
    }

    app_folders(file, a);
    build_outputs(file, a);
    requirement_libs(&requirement_files, &inline_packages, context, pack, k, a);
    a.python = Some(PythonFacts {
        deps,
        requirement_files,
    });
}

fn is_root(user: &str) -> bool {
    let name = user.trim().split(':').next().unwrap_or("");
    name == "root" || name == "0"
}

/// The context path of a file the image has at `path`, if a COPY put it
/// there (for reading requirements files).
fn context_path_of(a: &Analysis, before: usize, path: &str) -> String {
    for copy in a.copies.iter().filter(|c| c.index < before).rev() {
        for root in &copy.roots {
            if root == path {
                let base = path.rsplit('/').next().unwrap_or(path);
                if let Some(src) = copy
                    .sources
                    .iter()
                    .find(|s| s.rsplit('/').next() == Some(base))
                    .or(copy.sources.first())
                {
                    return src.trim_start_matches("./").to_string();
                }
            } else if is_under(path, root) {
                let rel = &path[root.trim_end_matches('/').len() + 1..];
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

/// Every folder a COPY filled with the app (not just a manifest) is
/// copied whole: Python reads its sources, templates and data at run time.
fn app_folders(file: &Dockerfile, a: &mut Analysis) {
    let workdir = a.final_workdir.clone().unwrap_or_else(|| "/".into());
    let copies = a.copies.clone();
    for copy in copies.iter().filter(|c| !c.manifest_only) {
        let line = file.instructions[copy.index].line;
        for root in &copy.roots {
            if a.is_system_dir(root) {
                a.block(
                    line,
                    format!("COPY puts the app straight into {root}: msb cannot copy it without the rest of the system"),
                );
                return;
            }
            // The working folder goes whole, so the app can write in it as
            // it did when it ran as root (`COPY app.py ./` included).
            let in_workdir = is_under(root, &workdir) && !a.is_system_dir(&workdir);
            let path = if in_workdir {
                workdir.as_str()
            } else {
                root.as_str()
            };
            a.add_artefact(
                line,
                path,
                path,
                format!("line {line}: copied from the build context"),
                in_workdir,
            );
        }
    }
}

/// Build steps (collectstatic...) write where they run: that folder is
/// copied too.
fn build_outputs(file: &Dockerfile, a: &mut Analysis) {
    let builds: Vec<(usize, String)> = a
        .run_commands
        .iter()
        .filter(|rc| {
            a.steps
                .iter()
                .any(|s| s.index == rc.index && s.role == StepRole::Build)
        })
        .map(|rc| (rc.index, rc.cwd.clone()))
        .collect();
    for (index, cwd) in builds {
        if !a.is_copied(&cwd) && !a.is_system_dir(&cwd) {
            let line = file.instructions[index].line;
            a.add_artefact(
                line,
                &cwd,
                &cwd,
                format!("line {line}: the build writes here"),
                true,
            );
        }
        let line = file.instructions[index].line;
        let script = file.instructions[index].args.clone();
        if script.contains("collectstatic") {
            a.warnings.push(format!(
                "line {line}: collectstatic writes to STATIC_ROOT; msb copies {}, so STATIC_ROOT must be inside it",
                a.artefacts.iter().filter(|x| x.writable).map(|x| x.to.as_str()).collect::<Vec<_>>().join(", ")
            ));
        }
    }
}

/// Packages named in requirement files or on a `pip install` line that
/// load a system library at run time (`psycopg2` built from source needs
/// libpq).
fn requirement_libs(
    files: &[String],
    inline: &[String],
    context: &BuildContext,
    pack: &LanguagePack,
    _k: &Knowledge,
    a: &mut Analysis,
) {
    let Some(builder) = a.builder.as_ref() else {
        return;
    };
    let family = builder.family;
    // (requirement name, where it was named)
    let mut named: Vec<(String, String)> = inline
        .iter()
        .map(|p| (requirement_name(p), "pip install".to_string()))
        .collect();
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

/// `Psycopg2_binary[extra]>=2.9` → `psycopg2-binary`.
fn requirement_name(spec: &str) -> String {
    spec.trim()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_' || *c == '.')
        .collect::<String>()
        .to_ascii_lowercase()
        .replace('_', "-")
}
