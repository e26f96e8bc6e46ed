//! Where the dependencies go (`Deps`): the virtualenv the file makes
//! itself or the project's `.venv` (uv sync, Poetry, Pipenv), the
//! distribution's own folders when Python comes from its packages, a user
//! base for `pip install --user`, or else a virtualenv msb adds before the
//! first install. The final stage copies that one place; a place msb
//! cannot move safely blocks the migration.

use super::installs::Installs;
use super::{Deps, Installer};
use crate::analyse::{Analysis, StepRole, absolute};
use crate::knowledge::LanguagePack;
use crate::parse::{Dockerfile, Keyword};
use crate::source::BuildContext;

/// Where the dependencies go, or None when msb cannot tell (the migration
/// is blocked).
pub(super) fn choose(
    file: &Dockerfile,
    context: &BuildContext,
    pack: &LanguagePack,
    installs: &Installs,
    a: &mut Analysis,
) -> Option<Deps> {
    let mut deps = match &installs.venv {
        Some(path) => Deps::ExistingVenv { path: path.clone() },
        None => Deps::None,
    };
    if let Some(install) = installs.first_install {
        if runs_as_user(file, install, a) {
            return None;
        }
        if let Some(env) = project_environment(file, context, installs, a) {
            deps = env;
        }
        if matches!(deps, Deps::None) && !installs.user_install && a.same_base.is_some() {
            deps = system_dirs(file, install, installs, a)?;
        }
        if matches!(deps, Deps::None) && blocks_vendor_interpreter(file, install, a) {
            return None;
        }
        if matches!(deps, Deps::None) {
            deps = added_place(file, pack, install, installs, a);
        }
    }
    check_interpreter(installs, &deps, a);
    Some(deps)
}

/// Blocks an install that runs as a USER other than root.
fn runs_as_user(file: &Dockerfile, install: usize, a: &mut Analysis) -> bool {
    let Some(user) = a.final_user.filter(|u| *u < install) else {
        return false;
    };
    if is_root(&file.instructions[user].args) {
        return false;
    }
    let ins = &file.instructions[install];
    a.block(
        ins.line,
        format!(
            "pip install runs as USER {}: msb cannot move its packages safely",
            file.instructions[user].args.trim()
        ),
    );
    true
}

fn is_root(user: &str) -> bool {
    let name = user.trim().split(':').next().unwrap_or("");
    name == "root" || name == "0"
}

/// The project's own environment: `uv sync`'s (UV_PROJECT_ENVIRONMENT or
/// `.venv`), or the `.venv` Poetry or Pipenv makes in the project.
fn project_environment(
    file: &Dockerfile,
    context: &BuildContext,
    installs: &Installs,
    a: &mut Analysis,
) -> Option<Deps> {
    if let Some((index, cwd)) = &installs.uv_project {
        let env = a
            .env
            .get("UV_PROJECT_ENVIRONMENT")
            .map(|p| absolute(cwd, p))
            .unwrap_or_else(|| absolute(cwd, ".venv"));
        let line = file.instructions[*index].line;
        uv_python_matches(file, context, line, a);
        Some(Deps::ExistingVenv { path: env })
    } else {
        // An active virtualenv would take Poetry's install away from
        // the `.venv` the file expects: none is added.
        installs
            .poetry_project
            .as_ref()
            .map(|env| Deps::ExistingVenv { path: env.clone() })
    }
}

/// On a vendor's runtime image (`vendor_runtime`: App Engine's) the
/// interpreters are the vendor's builds at its own paths (`python` may be
/// 2.7, `python3` one of several in /opt): a virtualenv msb adds could
/// take another interpreter than the install did. Only the file's own
/// virtualenv moves safely: an install outside one is blocked (true).
fn blocks_vendor_interpreter(file: &Dockerfile, install: usize, a: &mut Analysis) -> bool {
    let Some(image) = a
        .builder
        .as_ref()
        .filter(|b| b.vendor_runtime.is_some())
        .map(|b| b.written.clone())
    else {
        return false;
    };
    a.block(
        file.instructions[install].line,
        format!(
            "pip installs into {image}'s own interpreter, outside a virtualenv: that vendor image's Python is its own build at its own paths, so msb cannot tell which folders to copy"
        ),
    );
    true
}

/// Python from a plain distribution's packages: pip installs into the
/// distribution's folders, copied whole. Other installers block (None).
fn system_dirs(
    file: &Dockerfile,
    install: usize,
    installs: &Installs,
    a: &mut Analysis,
) -> Option<Deps> {
    let line = file.instructions[install].line;
    if let Some(other) = installs.installers.iter().find(|i| **i != Installer::Pip) {
        a.block(
            line,
            format!(
                "{other:?} installs with the distribution's own Python, outside a virtualenv: msb cannot tell where its packages go"
            ),
        );
        return None;
    }
    if !crate::analyse::same_base::copy_install_dirs(a, line, "pip") {
        return None;
    }
    Some(Deps::System {
        dirs: a
            .same_base
            .as_ref()
            .map(|s| s.install_dirs.clone())
            .unwrap_or_default(),
    })
}

/// The virtualenv (or, for `pip install --user`, the user base) msb adds
/// before the manifest copy that feeds the first install, so the new
/// layers are cached whatever the requirements say.
fn added_place(
    file: &Dockerfile,
    pack: &LanguagePack,
    install: usize,
    installs: &Installs,
    a: &Analysis,
) -> Deps {
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
    if installs.user_install {
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
    }
}

/// `/usr/local/bin/python -m pip` installs outside the virtualenv msb adds.
fn check_interpreter(installs: &Installs, deps: &Deps, a: &mut Analysis) {
    if let (Some((line, path)), Deps::NewVenv { path: venv, .. }) =
        (&installs.explicit_interpreter, deps)
        && !path.starts_with(venv.as_str())
    {
        a.block(
            *line,
            format!("pip runs through {path}, which would install outside the virtualenv msb adds at {venv}"),
        );
    }
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
