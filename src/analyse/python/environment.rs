//! The builder lines msb adds for the place it chose (`RUN python -m venv`
//! and its `ENV`, or the `PYTHONUSERBASE` of `pip install --user`) and
//! the runtime ENV that puts the environment on PATH in the final stage.
//! Poetry, Pipenv and uv install into the virtualenv VIRTUAL_ENV names;
//! pip into the one whose pip is first on PATH.

use super::installs::Installs;
use super::{Deps, Installer};
use crate::analyse::{Analysis, BuilderAddition};

/// The additions and runtime ENV for `deps`.
pub(super) fn add(deps: &Deps, installs: &Installs, a: &mut Analysis) {
    match deps {
        Deps::NewVenv {
            path,
            insert_before,
        } => new_venv(path, *insert_before, installs, a),
        Deps::UserBase {
            path,
            insert_before,
        } => user_base(path, *insert_before, a),
        // The file's own `ENV PATH=/app/.venv/bin:$PATH` is carried already.
        Deps::ExistingVenv { path }
            if installs.project_env()
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
}

/// `RUN python -m venv` and the ENV that activates it in the builder;
/// the same ENV (without UV_PYTHON) in the final stage.
fn new_venv(path: &str, insert_before: usize, installs: &Installs, a: &mut Analysis) {
    let activate = installs.installers.iter().any(|i| *i != Installer::Pip);
    let path_env = format!("PATH=\"{path}/bin:$PATH\"");
    let runtime_env = if activate {
        format!("VIRTUAL_ENV={path} {path_env}")
    } else {
        path_env
    };
    let builder_env = if installs.uv_system {
        format!("UV_PYTHON={path}/bin/python {runtime_env}")
    } else {
        runtime_env.clone()
    };
    let tools: Vec<&str> = installs
        .installers
        .iter()
        .map(|i| match i {
            Installer::Pip => "pip",
            Installer::Poetry => "poetry",
            Installer::Pipenv => "pipenv",
            Installer::UvPip | Installer::UvSync => "uv",
        })
        .collect();
    a.builder_additions.push(BuilderAddition {
        before: Some(insert_before),
        lines: vec![
            ("RUN".into(), format!("python -m venv {path}")),
            ("ENV".into(), builder_env),
        ],
        why: format!("{} installs into a virtualenv at {path}, copied whole to the final stage and on PATH in both", tools.join(" and ")),
    });
    a.runtime_env.push(runtime_env);
}

/// `pip install --user`: PYTHONUSERBASE at a folder the non-root user reads.
fn user_base(path: &str, insert_before: usize, a: &mut Analysis) {
    let env = format!("PYTHONUSERBASE={path} PATH=\"{path}/bin:$PATH\"");
    a.builder_additions.push(BuilderAddition {
        before: Some(insert_before),
        lines: vec![("ENV".into(), env.clone())],
        why: format!("pip install --user installs into {path} (PYTHONUSERBASE), readable by the non-root user"),
    });
    a.runtime_env.push(env);
}
