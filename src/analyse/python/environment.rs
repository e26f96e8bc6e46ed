//! The builder lines msb adds for the place it chose (`RUN python -m venv`
//! and its `ENV`, or the `PYTHONUSERBASE` of `pip install --user`) and
//! the runtime ENV that puts the environment on PATH in the final stage.
//! Poetry, Pipenv and uv install into the virtualenv VIRTUAL_ENV names;
//! pip into the one whose pip is first on PATH.

use super::installs::Installs;
use super::{Deps, Installer};
use crate::analyse::{Analysis, BuilderAddition};
use crate::knowledge::{LanguagePack, LeanVenv};

/// The additions and runtime ENV for `deps`; whether the virtualenv msb
/// adds shares the image's own pip (`[lean_venv]`).
pub(super) fn add(deps: &Deps, installs: &Installs, pack: &LanguagePack, a: &mut Analysis) -> bool {
    match deps {
        Deps::NewVenv {
            path,
            insert_before,
        } => {
            let lean = lean_venv(pack, installs, a);
            new_venv(path, *insert_before, installs, lean, a);
            return lean.is_some();
        }
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
    false
}

/// The lean virtualenv, where only pip installs and the builder is an
/// image whose own site-packages the final stage's variant has too (not a
/// plain distribution's Python, not a vendor's build).
fn lean_venv<'p>(
    pack: &'p LanguagePack,
    installs: &Installs,
    a: &Analysis,
) -> Option<&'p LeanVenv> {
    let lean = pack.lean_venv.as_ref()?;
    let builder = a.builder.as_ref()?;
    let only_pip = installs.installers.iter().all(|i| *i == Installer::Pip);
    let official = lean.images.contains(&builder.name)
        && builder.vendor_runtime.is_none()
        && a.same_base.is_none();
    (only_pip && official).then_some(lean)
}

/// `RUN python -m venv` and the ENV that activates it in the builder;
/// the same ENV (without UV_PYTHON) in the final stage.
fn new_venv(
    path: &str,
    insert_before: usize,
    installs: &Installs,
    lean: Option<&LeanVenv>,
    a: &mut Analysis,
) {
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
    let create = match lean {
        Some(lean) => lean.create.replace("{path}", path),
        None => format!("python -m venv {path}"),
    };
    let shares = if lean.is_some() {
        ", sharing the image's own pip and setuptools"
    } else {
        ""
    };
    a.builder_additions.push(BuilderAddition {
        before: Some(insert_before),
        lines: vec![
            ("RUN".into(), create),
            ("ENV".into(), builder_env),
        ],
        why: format!("{} installs into a virtualenv at {path}{shares}, copied whole to the final stage and on PATH in both", tools.join(" and ")),
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
