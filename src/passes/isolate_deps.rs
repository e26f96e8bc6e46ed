//! Prepare the builder so the runtime stage can copy only what it needs.
//!
//! The language analysis asks for a few new builder instructions, each
//! with its reason, and this pass writes them in the file's casing:
//!
//! - Python: pip installs into the system site-packages, mixed with the
//!   interpreter; msb adds a virtualenv (`/opt/venv`, on PATH) right
//!   before the first dependency step, so the same install lines fill it
//!   and console scripts (gunicorn, uvicorn, celery) stay on PATH. With
//!   `pip install --user`, PYTHONUSERBASE points at a readable folder.
//! - Node: after the last build step, dev dependencies are pruned, so the
//!   `node_modules` the runtime copies holds production dependencies only.
//!
//! The ENV lines that make the dependency folder visible (PATH) are also
//! written into the runtime stage.
//!
//! Applicability: safe. The build commands are unchanged; only where they
//! install moves, or what is left after them.

use crate::plan::{Applicability, PassInput, Plan};

pub const NAME: &str = "isolate_deps";

pub fn run(input: &PassInput, plan: &mut Plan) {
    let a = input.analysis;
    for addition in &a.builder_additions {
        let items = addition
            .lines
            .iter()
            .map(|(keyword, rest)| input.instruction(keyword, rest))
            .collect();
        match addition.before {
            Some(index) => plan.insert_in_builder_before(index, items),
            None => {
                // After the last instruction that changes the builder's
                // files, before what only configures the image.
                let pos = plan
                    .builder
                    .iter()
                    .rposition(|item| {
                        matches!(item, crate::plan::Item::Keep(n) | crate::plan::Item::Changed { index: n, .. } if *n <= a.last_build_index)
                    })
                    .map_or(plan.builder.len(), |p| p + 1);
                plan.builder.splice(pos..pos, items);
            }
        }
        plan.decide(NAME, Applicability::Safe, addition.why.clone());
    }
    for env in &a.runtime_env {
        plan.runtime.env.push(input.instruction("ENV", env));
    }
}
