//! The passes that build a [`Plan`](crate::plan::Plan), in the order they
//! run. Each is one file with one job; its doc comment says what and why.

pub mod copy_artefacts;
pub mod create_user;
pub mod estimate_saving;
pub mod isolate_deps;
pub mod rewrite_commands;
pub mod runtime_base;
pub mod runtime_contract;
pub mod runtime_packages;
pub mod split_stages;

use crate::plan::{PassInput, Plan};

/// A pass reads the analysis and the plan, and changes the plan.
pub type Pass = fn(&PassInput, &mut Plan);

/// Order matters: the runtime base decides how packages are installed and
/// users created; the user decides who owns the copied folders.
pub const ALL: &[Pass] = &[
    split_stages::run,
    isolate_deps::run,
    runtime_base::run,
    runtime_packages::run,
    create_user::run,
    copy_artefacts::run,
    runtime_contract::run,
    rewrite_commands::run,
    estimate_saving::run,
];
