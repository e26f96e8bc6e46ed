//! The builder's dependency installs and prunes (`npm ci`, `yarn
//! --production`, `pnpm install --prod`, `yarn workspaces focus`), each
//! with the folder, the manager, whether it installs production
//! dependencies only, and the environment it runs with. The app folder,
//! the manager and the prune all come from them.

use std::collections::BTreeMap;

use super::env::env_before;
use super::words::{
    NPM_VALUE_OPTIONS, PNPM_VALUE_OPTIONS, YARN_VALUE_OPTIONS, has_flag, is_global, option_value,
    subcommand,
};
use super::{Blocked, Manager};
use crate::analyse::{Analysis, absolute};
use crate::knowledge::NodeRules;
use crate::parse::Dockerfile;

/// A dependency install, global tool install or prune the builder runs.
#[derive(Debug, Clone)]
pub(super) struct InstallStep {
    pub index: usize,
    pub line: usize,
    pub cwd: String,
    pub manager: Manager,
    /// Installs production dependencies only (flags or NODE_ENV).
    pub production: bool,
    /// Removes dev dependencies from an existing install (a prune).
    pub prune: bool,
    pub text: String,
    /// The environment the command runs with (ENV, ARG, export, prefix).
    pub env: BTreeMap<String, String>,
    /// Where Yarn 1 puts node_modules (`--modules-folder`), if elsewhere.
    pub modules_dir: Option<String>,
}

/// The builder's dependency installs and prunes, in order.
pub(super) fn install_steps(
    file: &Dockerfile,
    a: &Analysis,
    rules: &NodeRules,
    node_major: Option<u32>,
) -> Vec<InstallStep> {
    let omit_dev_known = node_major.is_none_or(|m| m >= rules.npm_omit_dev_min_node);
    let mut out = Vec::new();
    let mut exported: BTreeMap<String, String> = BTreeMap::new();
    let mut last_index = usize::MAX;
    for rc in &a.run_commands {
        if rc.index != last_index {
            exported.clear();
            last_index = rc.index;
        }
        let c = &rc.command;
        if c.program() == "export" {
            for arg in c.args() {
                if let Some((n, v)) = arg.split_once('=') {
                    exported.insert(n.to_string(), v.trim_matches('"').to_string());
                }
            }
            continue;
        }
        let mut env = env_before(file, a, rc.index);
        env.extend(exported.clone());
        env.extend(c.env.iter().cloned());
        // What every step of this command shares; each manager's reading
        // sets the rest.
        let command = InstallStep {
            index: rc.index,
            line: file.instructions[rc.index].line,
            cwd: rc.cwd.clone(),
            manager: Manager::Npm,
            production: false,
            prune: false,
            text: c.words.join(" "),
            env,
            modules_dir: None,
        };
        let step = match c.program() {
            "npm" => npm_step(c.args(), command, omit_dev_known),
            "yarn" | "yarnpkg" => yarn_step(c.args(), command),
            "pnpm" => pnpm_step(c.args(), command),
            _ => None,
        };
        out.extend(step);
    }
    out
}

/// `NODE_ENV=production`: npm, Yarn 1 and pnpm install production
/// dependencies only.
fn node_env_production(env: &BTreeMap<String, String>) -> bool {
    env.get("NODE_ENV").is_some_and(|v| v == "production")
}

/// An npm install (`npm ci`, `npm install --omit=dev`) or production
/// prune; production by its flags, NODE_ENV or npm_config_*.
fn npm_step(args: &[String], command: InstallStep, omit_dev_known: bool) -> Option<InstallStep> {
    if is_global(args) {
        return None;
    }
    let cwd = option_value(args, &["--prefix"])
        .map_or(command.cwd.clone(), |p| absolute(&command.cwd, &p));
    let (_, sub) = subcommand(args, NPM_VALUE_OPTIONS)?;
    let env = &command.env;
    let npm_config_production = env
        .iter()
        .any(|(n, v)| n.eq_ignore_ascii_case("npm_config_production") && v == "true")
        || env
            .iter()
            .any(|(n, v)| n.eq_ignore_ascii_case("npm_config_omit") && v == "dev");
    let includes_dev = has_flag(args, &["--include=dev", "--production=false"])
        || option_value(args, &["--include"]).as_deref() == Some("dev");
    let legacy_production = has_flag(
        args,
        &[
            "--production",
            "--production=true",
            "--only=prod",
            "--only=production",
        ],
    ) || option_value(args, &["--only"])
        .is_some_and(|v| v.starts_with("prod"));
    let omit_dev = has_flag(args, &["--omit=dev"])
        || option_value(args, &["--omit"]).as_deref() == Some("dev");
    let production = !includes_dev
        && (legacy_production
            || (omit_dev && omit_dev_known)
            || node_env_production(env)
            || npm_config_production);
    match sub {
        "install" | "i" | "ci" | "add" | "isntall" | "in" => Some(InstallStep {
            cwd,
            manager: Manager::Npm,
            production,
            prune: false,
            ..command
        }),
        "prune" if production => Some(InstallStep {
            cwd,
            manager: Manager::Npm,
            production: true,
            prune: true,
            ..command
        }),
        _ => None,
    }
}

/// A Yarn install (`yarn`, `yarn install --production`) or Yarn 2+'s
/// `workspaces focus`, with `--modules-folder` if set.
fn yarn_step(args: &[String], command: InstallStep) -> Option<InstallStep> {
    let cwd =
        option_value(args, &["--cwd"]).map_or(command.cwd.clone(), |p| absolute(&command.cwd, &p));
    let modules_dir = option_value(args, &["--modules-folder"]).map(|p| absolute(&cwd, &p));
    let production_flag =
        has_flag(args, &["--production", "--prod"]) || has_flag(args, &["--production=true"]);
    let production = !has_flag(args, &["--production=false"])
        && (production_flag || node_env_production(&command.env));
    let (production, prune) = match subcommand(args, YARN_VALUE_OPTIONS) {
        None | Some((_, "install")) => (production, false),
        // Yarn 2+'s `workspaces focus --production` prunes; which
        // Yarn it is is decided later, for all yarn steps at once.
        Some((i, "workspaces")) if args.get(i + 1).map(String::as_str) == Some("focus") => {
            (production_flag, production_flag)
        }
        _ => return None,
    };
    Some(InstallStep {
        cwd,
        manager: Manager::YarnClassic,
        production,
        prune,
        modules_dir,
        ..command
    })
}

/// A pnpm install (`pnpm install --prod`) or production prune.
fn pnpm_step(args: &[String], command: InstallStep) -> Option<InstallStep> {
    if is_global(args) {
        return None;
    }
    let cwd = option_value(args, &["-C", "--dir"])
        .map_or(command.cwd.clone(), |p| absolute(&command.cwd, &p));
    let production_flag = has_flag(args, &["--prod", "-P", "--production"]);
    let production = !has_flag(args, &["--production=false", "--dev", "-D"])
        && (production_flag || node_env_production(&command.env));
    let (production, prune) = match subcommand(args, PNPM_VALUE_OPTIONS) {
        Some((_, "install" | "i" | "add")) => (production, false),
        Some((_, "prune")) if production_flag => (true, true),
        _ => return None,
    };
    Some(InstallStep {
        cwd,
        manager: Manager::Pnpm,
        production,
        prune,
        ..command
    })
}

/// The one manager the installs use (npm and Yarn both leave msb unable
/// to tell which tree the app uses).
pub(super) fn one_manager(steps: &[InstallStep], from: usize) -> Result<Option<Manager>, Blocked> {
    let mut managers: Vec<Manager> = steps.iter().map(|s| s.manager).collect();
    managers.sort_by_key(|m| m.name());
    managers.dedup();
    if managers.len() > 1 {
        let line = steps.last().map_or(from, |s| s.line);
        return Err((
            line,
            format!(
                "dependencies are installed with {}: msb cannot tell which tree the app uses",
                managers
                    .iter()
                    .map(|m| m.name())
                    .collect::<Vec<_>>()
                    .join(" and ")
            ),
        ));
    }
    Ok(managers.first().copied())
}

/// The app folder: the one the dependencies are installed in, else the
/// final WORKDIR, else `/`; not a folder of the system.
pub(super) fn app_dir_of(
    file: &Dockerfile,
    a: &Analysis,
    steps: &[InstallStep],
    from: usize,
) -> Result<String, Blocked> {
    let mut folders: Vec<&str> = steps
        .iter()
        .filter(|s| !s.prune)
        .map(|s| s.cwd.as_str())
        .collect();
    folders.dedup();
    if folders.len() > 1 {
        let line = steps.last().map_or(from, |s| s.line);
        return Err((
            line,
            format!(
                "dependencies are installed in {}: msb migrates one Node app folder",
                folders.join(" and ")
            ),
        ));
    }
    let workdir = a.final_workdir.clone();
    let app_dir = folders
        .first()
        .map(|s| s.to_string())
        .or_else(|| workdir.clone())
        .unwrap_or_else(|| "/".to_string());
    if a.is_system_dir(&app_dir) && !a.is_loose_dir(&app_dir) {
        let line = steps
            .first()
            .map(|s| s.line)
            .or_else(|| {
                a.copies
                    .iter()
                    .find(|c| !c.manifest_only)
                    .map(|c| file.instructions[c.index].line)
            })
            .unwrap_or(from);
        return Err((
            line,
            format!("the app is in {app_dir}: msb cannot copy it without the rest of the system"),
        ));
    }
    Ok(app_dir)
}
