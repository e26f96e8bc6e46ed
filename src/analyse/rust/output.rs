//! Where `cargo build`, `cargo install --path` and `cargo run` put the
//! binaries they make: the target folder (`--target-dir`,
//! CARGO_TARGET_DIR, `.cargo/config.toml`, the workspace root), the target
//! triple and profile under it, or the install root's `bin/` (`--root`,
//! CARGO_INSTALL_ROOT, CARGO_HOME, the image's CARGO_HOME). A musl triple
//! makes static binaries.

use super::command::CargoCall;
use super::env_of;
use super::manifest::package_bins;
use super::project::{Project, context_file_of, find_project, selected_packages};
use crate::analyse::shell::Command;
use crate::analyse::{Analysis, absolute, parent};
use crate::knowledge::{CargoKnowledge, glob_match};
use crate::parse::Dockerfile;
use crate::source::BuildContext;

/// `[build] target` and `target-dir` of a `.cargo/config.toml` that cargo
/// finds from `cwd` (the nearest one wins per key).
fn cargo_config(
    file: &Dockerfile,
    a: &Analysis,
    context: &BuildContext,
    cwd: &str,
) -> Result<(Option<String>, Option<String>), String> {
    let (mut target, mut target_dir) = (None, None);
    let mut dir = cwd.to_string();
    loop {
        for name in [".cargo/config.toml", ".cargo/config"] {
            let Some(ctx) = context_file_of(file, a, context, &absolute(&dir, name)) else {
                continue;
            };
            let text = context.read_small(&ctx).unwrap_or_default();
            let table: toml::Table =
                toml::from_str(&text).map_err(|e| format!("cannot read {ctx}: {}", e.message()))?;
            let build = table.get("build").and_then(|b| b.as_table());
            if target.is_none()
                && let Some(t) = build.and_then(|b| b.get("target"))
            {
                target = Some(
                    t.as_str()
                        .ok_or_else(|| format!("{ctx} builds for several targets"))?
                        .to_string(),
                );
            }
            if target_dir.is_none()
                && let Some(t) = build
                    .and_then(|b| b.get("target-dir"))
                    .and_then(|t| t.as_str())
            {
                target_dir = Some(absolute(&dir, t));
            }
        }
        if dir == "/" {
            break;
        }
        dir = parent(&dir);
    }
    Ok((target, target_dir))
}

/// Where a cargo command puts its binaries, and which: `(name, path,
/// static musl)` for each.
pub(super) struct Output {
    pub binaries: Vec<(String, String, bool)>,
    pub project: Project,
}

/// The folder `cargo install` puts binaries in: `--root`, the
/// environment's CARGO_INSTALL_ROOT or CARGO_HOME, the image's CARGO_HOME,
/// then `~/.cargo`.
pub(super) fn install_bin_dir(
    a: &Analysis,
    cargo: &CargoKnowledge,
    call: &CargoCall,
    cwd: &str,
    command: Option<&Command>,
) -> String {
    let builder = a.builder.as_ref().map(|b| b.base_name.clone());
    let root = call
        .root
        .as_deref()
        .map(|r| absolute(cwd, r))
        .or_else(|| env_of(a, command, "CARGO_INSTALL_ROOT").map(String::from))
        .or_else(|| env_of(a, command, "CARGO_HOME").map(String::from))
        .or_else(|| builder.and_then(|b| cargo.image_cargo_home.get(&b).cloned()))
        .or_else(|| env_of(a, command, "HOME").map(|h| format!("{h}/.cargo")))
        .unwrap_or_else(|| cargo.default_cargo_home.clone());
    absolute(&root, "bin")
}

/// The binaries `cargo build`/`cargo install --path`/`cargo run` make.
pub(super) fn cargo_output(
    file: &Dockerfile,
    a: &Analysis,
    context: &BuildContext,
    cargo: &CargoKnowledge,
    call: &CargoCall,
    cwd: &str,
    command: Option<&Command>,
) -> Result<Output, String> {
    let (start, search_up) = match (&call.manifest_path, &call.path) {
        (Some(m), _) => (parent(&absolute(cwd, m)), false),
        (None, Some(p)) if call.sub == "install" => (absolute(cwd, p), false),
        _ => (cwd.to_string(), true),
    };
    let project = find_project(file, a, context, &start, search_up)?;
    let packages = selected_packages(call, &project)?;
    let mut names: Vec<String> = Vec::new();
    for p in &packages {
        for name in package_bins(&p.manifest, &p.ctx_dir, context) {
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    if !call.bins.is_empty() {
        if let Some(missing) = call.bins.iter().find(|b| !names.contains(b)) {
            return Err(format!(
                "--bin {missing}: no binary of that name in Cargo.toml"
            ));
        }
        names = call.bins.clone();
    } else if call.no_bins {
        names.clear();
    }
    let (config_target, config_target_dir) = cargo_config(file, a, context, cwd)?;
    let triple = call
        .target
        .clone()
        .or_else(|| env_of(a, command, "CARGO_BUILD_TARGET").map(String::from))
        .or(config_target);
    let static_musl = triple
        .as_deref()
        .is_some_and(|t| cargo.static_targets.iter().any(|g| glob_match(g, t)));
    let folder = if call.sub == "install" {
        install_bin_dir(a, cargo, call, cwd, command)
    } else {
        let target_dir = call
            .target_dir
            .as_deref()
            .or_else(|| env_of(a, command, "CARGO_TARGET_DIR"))
            .or_else(|| env_of(a, command, "CARGO_BUILD_TARGET_DIR"))
            .map(|d| absolute(cwd, d))
            .or(config_target_dir)
            .unwrap_or_else(|| absolute(&project.root.image_dir, "target"));
        match &triple {
            Some(t) => absolute(&target_dir, &format!("{t}/{}", call.profile_dir)),
            None => absolute(&target_dir, &call.profile_dir),
        }
    };
    let binaries = names
        .into_iter()
        .map(|n| {
            let path = absolute(&folder, &n);
            (n, path, static_musl)
        })
        .collect();
    Ok(Output { binaries, project })
}
