//! The copies the layout makes (the app folder, a static site, the
//! standalone server, or what `next start` reads; for an app straight in
//! `/` or `/tmp`, the exact paths `loose.rs` names), what COPY put outside
//! the app folder, and Yarn 1's `--modules-folder` elsewhere.

use super::install::InstallStep;
use super::layout::dockerignore;
use super::manifest::context_file_for;
use super::{Blocked, Layout, Manager, NodeApp, app_root_of};
use crate::analyse::{Analysis, absolute, is_under, loose};
use crate::knowledge::NodeRules;
use crate::parse::Dockerfile;
use crate::source::BuildContext;

/// The artefacts of the layout, and what COPY put outside the app folder.
/// `installed`: whether the build installs dependencies (node_modules).
pub(super) fn add_artefacts(app: &NodeApp, a: &mut Analysis, layout: &Layout, installed: bool) {
    let (file, context, rules, app_dir) = (app.file, app.context, app.rules, app.app_dir);
    let line = a
        .copies
        .iter()
        .rev()
        .find(|c| c.roots.iter().any(|r| is_under(r, app_dir)))
        .map_or(0, |c| file.instructions[c.index].line);
    let workdir = a.final_workdir.clone();
    // The app ran as root and could write in its folder.
    let writable_root = workdir
        .as_deref()
        .filter(|w| is_under(app_dir, w) && !a.is_system_dir(w))
        .unwrap_or(app_dir)
        .to_string();
    match layout {
        Layout::AppFolder if a.is_loose_dir(app_dir) => {
            loose_app(file, context, a, app_dir, installed);
            return;
        }
        Layout::NextApp if a.is_loose_dir(app_dir) => {
            a.block(
                line,
                format!("the Next.js app is in {app_dir}: msb copies what next start reads only from an app folder of its own"),
            );
            return;
        }
        Layout::AppFolder => {
            a.add_artefact(
                line,
                &writable_root,
                &writable_root,
                "the app folder: sources, build output, node_modules, package.json".to_string(),
                true,
            );
        }
        Layout::StaticSite { folder } => {
            let build_line = build_line(file, a, app_dir);
            a.add_artefact(
                build_line,
                folder,
                folder,
                format!("line {build_line}: the build output the command serves"),
                false,
            );
        }
        Layout::NextStandalone { folder } => {
            let build_line = build_line(file, a, app_dir);
            a.add_artefact(
                build_line,
                folder,
                folder,
                format!("line {build_line}: next build's standalone server with the files it traced; it writes its cache there"),
                true,
            );
        }
        Layout::NextApp => next_app_artefacts(file, context, rules, a, app_dir, line),
    }
    outside_copies(file, a, app_dir, &writable_root);
}

/// The app straight in `/` or `/tmp`: the exact paths COPY put there and
/// the node_modules the install made (`loose_build` refused a build).
fn loose_app(
    file: &Dockerfile,
    context: &BuildContext,
    a: &mut Analysis,
    app_dir: &str,
    installed: bool,
) {
    let made: &[(&str, &str)] = if installed {
        &[("node_modules", "the dependencies the install made")]
    } else {
        &[]
    };
    loose::carry(file, context, a, app_dir, made);
}

/// A build step in an app straight in `/` or `/tmp` makes files no COPY
/// names, which the final stage's exact paths would miss.
pub(super) fn loose_build(file: &Dockerfile, a: &Analysis, app_dir: &str) -> Result<(), Blocked> {
    let build = build_line(file, a, app_dir);
    if !a.is_loose_dir(app_dir) || build == 0 {
        return Ok(());
    }
    Err((
        build,
        format!(
            "line {build} builds the app in {app_dir}: msb cannot tell which files it makes there, and the final stage gets only the exact paths COPY put in {app_dir}"
        ),
    ))
}

/// What `next start` reads: `.next`, node_modules, package.json, the
/// Next config, public, `.env` files, and tsconfig.json when the config
/// is TypeScript. `line` is the COPY that brought the app.
fn next_app_artefacts(
    file: &Dockerfile,
    context: &BuildContext,
    rules: &NodeRules,
    a: &mut Analysis,
    app_dir: &str,
    line: usize,
) {
    let build_line = build_line(file, a, app_dir);
    a.add_artefact(
        build_line,
        &absolute(app_dir, ".next"),
        &absolute(app_dir, ".next"),
        format!("line {build_line}: next build's output; next start writes its cache there"),
        true,
    );
    a.add_artefact(
        line,
        &absolute(app_dir, "node_modules"),
        &absolute(app_dir, "node_modules"),
        "the dependencies".to_string(),
        false,
    );
    a.add_artefact(
        line,
        &absolute(app_dir, "package.json"),
        &absolute(app_dir, "package.json"),
        "next start and npm read it".to_string(),
        false,
    );
    let mut names: Vec<String> = rules.next.configs.clone();
    names.push("public".to_string());
    // next start compiles next.config.ts with the project's
    // TypeScript settings.
    if rules
        .next
        .config_needs
        .keys()
        .any(|c| context.is_file(c) && !dockerignore(context)(c))
    {
        names.push("tsconfig.json".to_string());
    }
    let ignored = dockerignore(context);
    for name in context.list(".") {
        if name.starts_with(".env") && context.is_file(&name) {
            names.push(name);
        }
    }
    for name in names {
        if !(context.is_file(&name) || context.is_dir(&name)) || ignored(&name) {
            continue;
        }
        let path = absolute(app_dir, &name);
        let why = if name == "public" {
            "next start serves it".to_string()
        } else if name == "tsconfig.json" {
            "next start compiles the TypeScript config with it".to_string()
        } else if name.starts_with(".env") {
            "next start loads it".to_string()
        } else {
            "next start reads the config".to_string()
        };
        a.add_artefact(line, &path, &path, why, false);
    }
}

/// What COPY put outside the app folder (an entrypoint script, config).
pub(super) fn outside_copies(
    file: &Dockerfile,
    a: &mut Analysis,
    app_dir: &str,
    writable_root: &str,
) {
    let copies = a.copies.clone();
    for copy in copies.iter().filter(|c| !c.manifest_only) {
        let copy_line = file.instructions[copy.index].line;
        for root in &copy.roots {
            if is_under(root, app_dir) || is_under(root, writable_root) {
                continue;
            }
            if a.is_system_dir(root) {
                a.block(
                    copy_line,
                    format!("COPY puts files straight into {root}: msb cannot copy them without the rest of the system"),
                );
                return;
            }
            a.add_artefact(
                copy_line,
                root,
                root,
                format!("line {copy_line}: copied from the build context"),
                false,
            );
        }
    }
}

/// The line of the last build step in the app folder.
pub(super) fn build_line(file: &Dockerfile, a: &Analysis, app_dir: &str) -> usize {
    a.run_commands
        .iter()
        .rev()
        .find(|rc| {
            is_under(&rc.cwd, app_dir) && a.has_role(rc.index, crate::analyse::StepRole::Build)
        })
        .map_or(0, |rc| file.instructions[rc.index].line)
}

/// Where Yarn 1 put node_modules: `--modules-folder` on the last install,
/// or the same setting in the app's `.yarnrc`.
fn modules_dir(
    a: &Analysis,
    steps: &[InstallStep],
    app_dir: &str,
    context: &BuildContext,
) -> Option<String> {
    let install = steps.iter().rfind(|s| !s.prune)?;
    if install.manager != Manager::YarnClassic {
        return None;
    }
    if let Some(dir) = &install.modules_dir {
        return Some(dir.clone());
    }
    let yarnrc = context_file_for(a, &absolute(app_dir, ".yarnrc"), context)
        .and_then(|p| context.read_small(&p))?;
    yarnrc.lines().find_map(|l| {
        let mut words = l.split_whitespace();
        let key = words.next()?.trim_start_matches('-');
        matches!(key, "modules-folder" | "install.modules-folder").then_some(())?;
        let value = words.next()?.trim_matches(['"', '\'']);
        Some(absolute(&install.cwd, value))
    })
}

/// Yarn 1's `--modules-folder` outside the app's folder: the final stage
/// copies the dependencies from there instead (not from a folder of the
/// system).
pub(super) fn modules_folder(
    context: &BuildContext,
    a: &mut Analysis,
    steps: &[InstallStep],
    app_dir: &str,
    from: usize,
) -> Result<(), Blocked> {
    let Some(dir) = modules_dir(a, steps, app_dir, context) else {
        return Ok(());
    };
    if is_under(&dir, &app_root_of(a, app_dir)) {
        return Ok(());
    }
    let line = steps.iter().rfind(|s| !s.prune).map_or(from, |s| s.line);
    if a.is_system_dir(&dir) {
        return Err((
            line,
            format!(
                "Yarn puts node_modules in {dir} (--modules-folder): msb cannot copy it without the rest of the system"
            ),
        ));
    }
    let inside = absolute(app_dir, "node_modules");
    a.artefacts.retain(|x| x.from != inside);
    a.add_artefact(
        line,
        &dir,
        &dir,
        format!("line {line}: the dependencies, which Yarn puts in {dir} (--modules-folder)"),
        false,
    );
    Ok(())
}
