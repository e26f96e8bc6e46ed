//! Dev dependencies out of node_modules: already pruned, never installed,
//! needed at run time, or removed by a RUN msb adds after the last build
//! step, with the command for the manager and what stops it (a user or
//! folder change, Yarn 1 without a lockfile, Yarn 2+ without the plugin).

use super::env::user_at;
use super::install::InstallStep;
use super::managers::{berry_major, yarnrc_text};
use super::manifest::context_file_for;
use super::walk::RuntimeUses;
use super::{Manager, NodeApp};
use crate::analyse::{Analysis, BuilderAddition, absolute};
use crate::parse::Dockerfile;

/// Leave only production dependencies in node_modules, when that is
/// known to be safe; say what happened.
pub(super) fn prune(
    app: &NodeApp,
    a: &mut Analysis,
    steps: &[InstallStep],
    manager: Option<Manager>,
    uses: &RuntimeUses,
    node_major: Option<u32>,
) -> String {
    let NodeApp { file, manifest, .. } = *app;
    let Some(manager) = manager else {
        return "none installed".to_string();
    };
    let dev = manifest.deps("devDependencies");
    if dev.is_empty() {
        return "none: package.json lists no devDependencies".to_string();
    }
    let last_install = steps.iter().rposition(|s| !s.prune);
    if let Some(done) = steps.iter().rposition(|s| s.prune)
        && last_install.is_none_or(|i| done > i)
    {
        let s = &steps[done];
        return format!("already pruned: line {}: {}", s.line, s.text);
    }
    let Some(install) = last_install.map(|i| &steps[i]) else {
        return "none installed".to_string();
    };
    if install.production {
        return format!(
            "not installed: line {}: {} installs production dependencies only",
            install.line, install.text
        );
    }
    let command = match &uses.dev_deps {
        Some(why) => Err(why.clone()),
        None if node_env_from_build_arg(a, install) => Err(format!(
            "line {}: {} runs with NODE_ENV from a build argument, and a build with another NODE_ENV (development) installs them on purpose",
            install.line, install.text
        )),
        None => same_place(file, a, install)
            .and_then(|()| prune_command(app, a, manager, install, node_major)),
    };
    match command {
        Ok(command) => add_prune(file, a, install, manager, command, &dev),
        Err(why) => {
            a.warnings.push(format!(
                "dev dependencies are kept in the final stage: {why}"
            ));
            format!("kept: {why}")
        }
    }
}

/// NODE_ENV is the build's to choose (`ARG NODE_ENV`, `ENV NODE_ENV
/// $NODE_ENV`): the dev dependencies a development build installs are
/// wanted there, so msb adds no prune that would remove them.
fn node_env_from_build_arg(a: &Analysis, install: &InstallStep) -> bool {
    a.stage_args.contains_key("NODE_ENV")
        || install.env.get("NODE_ENV").is_some_and(|v| v.contains('$'))
}

/// The build ends where the install ran and as the user who ran it, so
/// a prune after the last build step finds and may remove the tree; else
/// why not.
fn same_place(file: &Dockerfile, a: &Analysis, install: &InstallStep) -> Result<(), String> {
    let last_build = a.last_build_index;
    let cwd_at_end = a.workdir_at(last_build).to_string();
    if install.cwd != cwd_at_end {
        return Err(format!(
            "they were installed in {} but the build ends in {cwd_at_end}",
            install.cwd
        ));
    }
    let user_install = user_at(file, install.index);
    let user_end = user_at(file, last_build + 1);
    if user_install != user_end {
        return Err(format!(
            "line {} installs them as {user_install}, but the build ends as {user_end}, who may not remove them",
            install.line
        ));
    }
    Ok(())
}

/// The manager's prune command (node.toml's), or why it cannot prune
/// safely.
fn prune_command(
    app: &NodeApp,
    a: &Analysis,
    manager: Manager,
    install: &InstallStep,
    node_major: Option<u32>,
) -> Result<String, String> {
    let NodeApp {
        context,
        rules,
        manifest,
        app_dir,
        ..
    } = *app;
    let command = match manager {
        Manager::Npm => {
            if node_major.is_some_and(|m| m >= rules.npm_omit_dev_min_node) {
                rules.prune.npm.clone()
            } else {
                rules.prune.npm_legacy.clone()
            }
        }
        Manager::Pnpm => rules.prune.pnpm.clone(),
        Manager::YarnClassic => {
            if context_file_for(a, &absolute(app_dir, "yarn.lock"), context).is_none() {
                return Err(
                    "Yarn 1 cannot prune, and without a yarn.lock a production reinstall could resolve other versions".to_string(),
                );
            }
            if let Some(dep) = rules
                .install
                .generate_outside_package
                .iter()
                .find(|d| manifest.has_dep(d) || manifest.has_dev_dep(d))
            {
                return Err(format!(
                    "Yarn 1 prunes by reinstalling, which may drop what {dep}'s install scripts generated in node_modules"
                ));
            }
            let mut command = rules.prune.yarn_classic.clone();
            if let Some(dir) = &install.modules_dir {
                command.push_str(&format!(" --modules-folder {dir}"));
            }
            command
        }
        Manager::YarnBerry => {
            let yarnrc = yarnrc_text(a, app_dir, context);
            let major = berry_major(manifest, &yarnrc);
            let builtin = major.is_some_and(|m| m >= rules.prune.yarn_berry_builtin_from);
            if !builtin && !yarnrc.contains("plugin-workspace-tools") {
                return Err(
                    "`yarn workspaces focus --production` needs Yarn 4 or the workspace-tools plugin, which .yarnrc.yml does not list".to_string(),
                );
            }
            rules.prune.yarn_berry.clone()
        }
    };
    Ok(command)
}

/// The RUN msb adds after the last build step: the prune, with the
/// install's cache and secret mounts and npm's peer dependency leniency.
fn add_prune(
    file: &Dockerfile,
    a: &mut Analysis,
    install: &InstallStep,
    manager: Manager,
    command: String,
    dev: &[String],
) -> String {
    // The install's cache and secret mounts (a package store, an .npmrc
    // with a registry token) serve the prune too.
    let mounts: Vec<String> = file.instructions[install.index]
        .flags
        .iter()
        .filter(|f| f.name.eq_ignore_ascii_case("mount"))
        .filter_map(|f| f.value.as_ref())
        .filter(|v| {
            v.split(',')
                .any(|kv| kv == "type=cache" || kv == "type=secret")
        })
        .map(|v| format!("--mount={v} "))
        .collect();
    // npm resolves the tree again when it prunes: the install's peer
    // dependency leniency must hold for it too.
    let mut command = command;
    if manager == Manager::Npm {
        for flag in ["--legacy-peer-deps", "--force"] {
            if install.text.split_whitespace().any(|w| w == flag) {
                command.push(' ');
                command.push_str(flag);
            }
        }
    }
    let run = format!("{}{command}", mounts.concat());
    let why = format!(
        "dev dependencies ({}) are removed after the last build step, so the node_modules the final stage copies holds production dependencies only (line {} installs them all: {})",
        summary(dev),
        install.line,
        install.text
    );
    a.builder_additions.push(BuilderAddition {
        before: None,
        lines: vec![("RUN".into(), run)],
        why,
    });
    a.pruned_dev_dependencies = dev.len();
    format!("pruned after the build: {command}")
}

/// `a, b, c and 4 more`.
fn summary(names: &[String]) -> String {
    if names.len() <= 4 {
        names.join(", ")
    } else {
        format!("{} and {} more", names[..3].join(", "), names.len() - 3)
    }
}
