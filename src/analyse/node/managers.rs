//! Which package manager the app uses, beyond the install commands: Yarn
//! 2+ told from Yarn 1 (`.yarnrc.yml`, `packageManager`, the lockfile),
//! Yarn Plug'n'Play with its global cache (outside the app folder), and
//! yarn or pnpm at run time, which corepack gave the builder and the
//! final stage installs again at the same version.

use super::install::InstallStep;
use super::manifest::{Manifest, context_file_for};
use super::walk::RuntimeUses;
use super::{Blocked, Manager};
use crate::analyse::{Analysis, RuntimeRun, absolute};
use crate::knowledge::NodeRules;
use crate::source::BuildContext;

/// The manager the app really uses: Yarn 1's commands in a Yarn 2+
/// project run Yarn 2+, which installs dev dependencies whatever NODE_ENV
/// says. Yarn Plug'n'Play with the global cache and pnpm's
/// `node-linker=pnp` keep the packages outside the app folder.
pub(super) fn settle_manager(
    a: &Analysis,
    context: &BuildContext,
    steps: &mut [InstallStep],
    installed_with: Option<Manager>,
    manifest: &Manifest,
    app_dir: &str,
    from: usize,
) -> Result<Option<Manager>, Blocked> {
    let focus = steps.iter().any(|s| s.text.contains("workspaces focus"));
    let manager = match installed_with {
        Some(Manager::YarnClassic) if focus || is_berry(a, app_dir, manifest, context) => {
            // Yarn 2+ installs dev dependencies whatever NODE_ENV says.
            for s in steps.iter_mut().filter(|s| !s.prune) {
                s.manager = Manager::YarnBerry;
                s.production = false;
            }
            Some(Manager::YarnBerry)
        }
        m => m,
    };
    if manager == Some(Manager::YarnBerry)
        && let Some(why) = berry_plug_n_play(a, app_dir, manifest, context)
    {
        let line = steps.first().map_or(from, |s| s.line);
        return Err((line, why));
    }
    if manager == Some(Manager::Pnpm)
        && let Some(npmrc) = context_file_for(a, &absolute(app_dir, ".npmrc"), context)
        && context
            .read_small(&npmrc)
            .is_some_and(|t| t.lines().any(|l| l.replace(' ', "") == "node-linker=pnp"))
    {
        let line = steps.first().map_or(from, |s| s.line);
        return Err((
            line,
            ".npmrc sets node-linker=pnp: packages live in pnpm's store, outside the app folder"
                .to_string(),
        ));
    }
    Ok(manager)
}

/// Yarn 2+ (berry): a `.yarnrc.yml`, a `packageManager` of yarn@2 or
/// later, or a berry lockfile.
fn is_berry(a: &Analysis, app_dir: &str, manifest: &Manifest, context: &BuildContext) -> bool {
    if let Some((name, version)) = manifest.package_manager()
        && name == "yarn"
    {
        return !version.starts_with("1.");
    }
    if context_file_for(a, &absolute(app_dir, ".yarnrc.yml"), context).is_some() {
        return true;
    }
    context_file_for(a, &absolute(app_dir, "yarn.lock"), context)
        .and_then(|p| context.read_small(&p))
        .is_some_and(|t| t.contains("__metadata:"))
}

/// The Yarn 2+ major, from `packageManager` or the checked-in release.
pub(super) fn berry_major(manifest: &Manifest, yarnrc: &str) -> Option<u32> {
    if let Some((name, version)) = manifest.package_manager()
        && name == "yarn"
    {
        return version.split('.').next()?.parse().ok();
    }
    let path = yarnrc
        .lines()
        .find_map(|l| l.trim().strip_prefix("yarnPath:"))?;
    let file = path.trim().trim_matches(['"', '\'']).rsplit('/').next()?;
    file.strip_prefix("yarn-")?.split('.').next()?.parse().ok()
}

pub(super) fn yarnrc_text(a: &Analysis, app_dir: &str, context: &BuildContext) -> String {
    context_file_for(a, &absolute(app_dir, ".yarnrc.yml"), context)
        .and_then(|p| context.read_small(&p))
        .unwrap_or_default()
}

/// Yarn Plug'n'Play keeps packages in Yarn's cache, which is global (under
/// root's home) by default from Yarn 4: the app folder alone does not run.
fn berry_plug_n_play(
    a: &Analysis,
    app_dir: &str,
    manifest: &Manifest,
    context: &BuildContext,
) -> Option<String> {
    let yarnrc = yarnrc_text(a, app_dir, context);
    let setting = |key: &str| {
        yarnrc.lines().find_map(|l| {
            l.trim()
                .strip_prefix(key)
                .and_then(|rest| rest.trim().strip_prefix(':'))
                .map(|v| v.trim().trim_matches(['"', '\'']).to_string())
        })
    };
    let linker = setting("nodeLinker").unwrap_or_else(|| "pnp".to_string());
    if linker != "pnp" {
        return None;
    }
    let global_cache = match setting("enableGlobalCache").as_deref() {
        Some("true") => true,
        Some("false") => false,
        _ => berry_major(manifest, &yarnrc).is_none_or(|m| m >= 4),
    };
    global_cache.then(|| {
        "Yarn Plug'n'Play with the global cache: the packages live under the build user's home, outside the app folder (set nodeLinker: node-modules or enableGlobalCache: false)".to_string()
    })
}

/// The version of `program` (yarn, pnpm) that corepack gives the builder:
/// package.json's `packageManager`, or a `corepack prepare|use|install`.
fn corepack_version(a: &Analysis, manifest: &Manifest, program: &str) -> Option<String> {
    if let Some((name, version)) = manifest.package_manager()
        && name == program
    {
        return Some(version);
    }
    a.run_commands.iter().rev().find_map(|rc| {
        let c = &rc.command;
        if c.program() != "corepack"
            || !matches!(
                c.args().first().map(String::as_str),
                Some("prepare" | "use" | "install")
            )
        {
            return None;
        }
        c.args()[1..].iter().find_map(|w| {
            let (name, version) = w.split_once('@')?;
            (name == program && !version.is_empty()).then(|| version.to_string())
        })
    })
}

/// yarn and pnpm that the container runs: the node image's own Yarn 1 is
/// in the slim image too; pnpm (and Yarn where the image has none) that
/// corepack downloaded for root in the builder is installed again with npm
/// at the same version, so the container does not download it when it
/// starts. Yarn 2+ at run time is refused.
pub(super) fn runtime_managers(
    a: &mut Analysis,
    rules: &NodeRules,
    uses: &RuntimeUses,
    manager: Option<Manager>,
    manifest: &Manifest,
    node_major: Option<u32>,
) -> Result<(), Blocked> {
    for (program, line, what) in &uses.managers {
        if program == "yarn" && manager == Some(Manager::YarnBerry) {
            return Err((
                *line,
                format!(
                    "{what} runs yarn: Yarn 2+ comes from corepack or a release file in the builder, and msb cannot tell that the final stage's yarn would run it without downloading"
                ),
            ));
        }
        // The node image's own Yarn 1: by the tag's major, or because the
        // builder ran it (no corepack, no global install gave another), so
        // the slim variant of the same tag has it too (`node:latest`,
        // whose major msb can only guess).
        let image_yarn_ran = manager == Some(Manager::YarnClassic)
            && !a
                .run_commands
                .iter()
                .any(|rc| rc.command.program() == "corepack");
        let bundled = program == "yarn"
            && (image_yarn_ran || node_major.is_some_and(|m| m <= rules.bundled_yarn_max_node));
        if bundled {
            continue;
        }
        match corepack_version(a, manifest, program) {
            Some(version) => a.runtime_runs.push(RuntimeRun {
                text: format!("npm install -g {program}@{version}"),
                why: format!(
                    "{what} runs {program}, which corepack gave the builder at version {version}; installed with npm so the container does not download it at start"
                ),
            }),
            None => {
                return Err((
                    *line,
                    format!(
                        "{what} runs {program}, and msb cannot tell which version the builder had (no packageManager in package.json)"
                    ),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn berry_majors() {
        let m = Manifest {
            path: None,
            json: serde_json::json!({"packageManager": "pnpm@8.15.4+sha512.abc"}),
        };
        assert_eq!(berry_major(&m, ""), None);
        let y = Manifest {
            path: None,
            json: Value::Null,
        };
        assert_eq!(
            berry_major(&y, "yarnPath: .yarn/releases/yarn-3.6.4.cjs\n"),
            Some(3)
        );
    }
}
