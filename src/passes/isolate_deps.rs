//! Put the app's dependencies in one folder the runtime stage can copy.
//!
//! Python: pip installs into the system site-packages, mixed with the
//! interpreter; msb adds a virtualenv (`/opt/venv`, on PATH) right before
//! the first dependency step, so the same `pip install` lines fill it and
//! console scripts (gunicorn, uvicorn, celery) stay on PATH. With
//! `pip install --user`, a venv would make pip fail, so msb points
//! PYTHONUSERBASE at `/opt/python-user` instead (root's ~/.local is not
//! readable by a non-root user). A file that makes its own venv keeps it.
//!
//! Applicability: safe. The install commands are unchanged; only where
//! they install moves.

use crate::analyse::python::Deps;
use crate::plan::{Applicability, PassInput, Plan};

pub const NAME: &str = "isolate_deps";

pub fn run(input: &PassInput, plan: &mut Plan) {
    let Some(python) = &input.analysis.python else {
        return;
    };
    match &python.deps {
        Deps::NewVenv {
            path,
            insert_before,
        } => {
            let env = format!("PATH=\"{path}/bin:$PATH\"");
            plan.insert_in_builder_before(
                *insert_before,
                vec![
                    input.instruction("RUN", &format!("python -m venv {path}")),
                    input.instruction("ENV", &env),
                ],
            );
            plan.runtime.env.push(input.instruction("ENV", &env));
            plan.decide(
                NAME,
                Applicability::Safe,
                format!("pip installs into a virtualenv at {path}, copied whole to the final stage and on PATH in both"),
            );
        }
        Deps::UserBase {
            path,
            insert_before,
        } => {
            let env = format!("PYTHONUSERBASE={path} PATH=\"{path}/bin:$PATH\"");
            plan.insert_in_builder_before(*insert_before, vec![input.instruction("ENV", &env)]);
            plan.runtime.env.push(input.instruction("ENV", &env));
            plan.decide(
                NAME,
                Applicability::Safe,
                format!("pip install --user installs into {path} (PYTHONUSERBASE), readable by the non-root user"),
            );
        }
        Deps::ExistingVenv { path } => plan.decide(
            NAME,
            Applicability::Safe,
            format!("the file's own virtualenv {path} is copied to the final stage"),
        ),
        Deps::None => {}
    }
}
