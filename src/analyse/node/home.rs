//! Browsers and other files that a dependency's install script or a build
//! command downloads into the build user's home (`/root/.cache/puppeteer`):
//! the final stage gets the app folder and runs as another user, so the
//! app would not find them. Read from the download rules of node.toml.

use serde_json::Value;
use std::collections::BTreeMap;

use super::env::{env_before, user_at};
use super::install::InstallStep;
use super::manifest::{Manifest, context_file_for};
use super::words::subcommand;
use crate::analyse::{Analysis, absolute, is_under};
use crate::knowledge::NodeRules;
use crate::parse::Dockerfile;
use crate::source::BuildContext;

/// Browsers a dependency's install script or a build command downloads
/// into the build user's home (`/root/.cache/puppeteer`): the final stage
/// gets the app folder and runs as another user, so the app would not find
/// them. Fine when the download is turned off or moved into the app folder.
#[allow(clippy::too_many_arguments)]
pub(super) fn home_downloads(
    file: &Dockerfile,
    context: &BuildContext,
    rules: &NodeRules,
    a: &Analysis,
    manifest: &Manifest,
    steps: &[InstallStep],
    app_dir: &str,
    app_root: &str,
) -> Option<(usize, String)> {
    let home = |index: usize| match user_at(file, index).as_str() {
        "root" => "/root".to_string(),
        user => format!("~{user}"),
    };
    let set = |env: &BTreeMap<String, String>, name: &str| {
        env.get(name)
            .filter(|v| !v.is_empty() && *v != "false" && *v != "0")
            .is_some()
    };
    for d in &rules.downloads.packages {
        let Some(range) = manifest
            .json
            .get("dependencies")
            .and_then(|o| o.get(&d.package))
            .and_then(Value::as_str)
        else {
            continue;
        };
        // `^22.6.0` → 22; a tag (`latest`) or `*` is the newest.
        let major = range
            .trim_start_matches(|c: char| !c.is_ascii_digit())
            .split('.')
            .next()
            .and_then(|m| m.parse::<u32>().ok());
        if major.is_some_and(|m| m < d.from_major) {
            continue;
        }
        let Some(install) = steps.iter().rfind(|s| !s.prune) else {
            continue;
        };
        if d.skip_env.iter().any(|n| set(&install.env, n)) {
            continue;
        }
        let what = format!(
            "package.json depends on {} {range}, whose install (line {}) downloads {}",
            d.package, install.line, d.what
        );
        if let Some(dir) = install.env.get(&d.dir_env) {
            let path = absolute(&install.cwd, dir);
            if dir.contains('$') || !is_under(&path, app_root) {
                return Some((
                    install.line,
                    format!(
                        "{what} into {dir} ({}), outside the app folder {app_root} the final stage gets",
                        d.dir_env
                    ),
                ));
            }
            continue;
        }
        let mut moved = false;
        for name in &d.configs {
            let Some(source) = context_file_for(a, &format!("{app_dir}/{name}"), context) else {
                continue;
            };
            let text = context.read_small(&source).unwrap_or_default();
            if text.contains("cacheDirectory") {
                if !text.contains("__dirname") {
                    return Some((
                        install.line,
                        format!(
                            "{what} into the cacheDirectory {name} sets: msb cannot tell whether that is inside the app folder {app_root} the final stage gets"
                        ),
                    ));
                }
                moved = true;
            }
        }
        if !moved {
            return Some((
                install.line,
                format!(
                    "{what} into the build user's home ({}/{}), outside the app folder {app_root} the final stage gets (set {} inside the app folder)",
                    home(install.index),
                    d.home_path,
                    d.dir_env
                ),
            ));
        }
    }
    for rc in &a.run_commands {
        let words = &rc.command.words;
        for d in &rules.downloads.commands {
            let mut parts = d.command.split_whitespace();
            let (program, sub) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
            let Some(pos) = words
                .iter()
                .position(|w| crate::analyse::basename(w) == program)
            else {
                continue;
            };
            let rest = &words[pos + 1..];
            if subcommand(rest, &[]).map(|(_, s)| s) != Some(sub) {
                continue;
            }
            let line = file.instructions[rc.index].line;
            let text = words.join(" ");
            if let Some(flag) = d
                .system_packages
                .iter()
                .find(|f| rest.iter().any(|w| w == *f))
            {
                return Some((
                    line,
                    format!(
                        "`{text}` installs the {} with the system package manager (`{flag}`): msb cannot tell which of them the final stage needs",
                        if flag.starts_with('-') {
                            format!("{}' system libraries", d.what)
                        } else {
                            d.what.clone()
                        }
                    ),
                ));
            }
            let mut env = env_before(file, a, rc.index);
            env.extend(rc.command.env.iter().cloned());
            match env.get(&d.dir_env) {
                Some(v) if *v == d.dir_env_in_package => continue,
                Some(dir) if !dir.contains('$') && is_under(&absolute(&rc.cwd, dir), app_root) => {
                    continue;
                }
                Some(dir) => {
                    return Some((
                        line,
                        format!(
                            "`{text}` downloads {} into {dir} ({}), outside the app folder {app_root} the final stage gets",
                            d.what, d.dir_env
                        ),
                    ));
                }
                None => {
                    return Some((
                        line,
                        format!(
                            "`{text}` downloads {} into the build user's home ({}/{}), outside the app folder {app_root} the final stage gets (set {}={} to keep them in node_modules)",
                            d.what,
                            home(rc.index),
                            d.home_path,
                            d.dir_env,
                            d.dir_env_in_package
                        ),
                    ));
                }
            }
        }
    }
    None
}
