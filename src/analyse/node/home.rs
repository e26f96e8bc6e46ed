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
use super::{Blocked, NodeApp};
use crate::analyse::{Analysis, RunCommand, absolute, is_under};
use crate::knowledge::{NodeCommandDownload, NodePackageDownload};
use crate::parse::Dockerfile;
use crate::source::BuildContext;

/// Browsers a dependency's install script or a build command downloads
/// into the build user's home (`/root/.cache/puppeteer`): the final stage
/// gets the app folder and runs as another user, so the app would not find
/// them. Fine when the download is turned off or moved into the app folder.
pub(super) fn home_downloads(
    node: &NodeApp,
    a: &Analysis,
    steps: &[InstallStep],
    app_root: &str,
) -> Result<(), Blocked> {
    let app = App {
        file: node.file,
        context: node.context,
        a,
        app_dir: node.app_dir,
        app_root,
    };
    for d in &node.rules.downloads.packages {
        app.package_download(d, node.manifest, steps)?;
    }
    for rc in &a.run_commands {
        for d in &node.rules.downloads.commands {
            app.command_download(d, rc)?;
        }
    }
    Ok(())
}

/// What the download checks read: the build and the folder the final
/// stage gets.
struct App<'x> {
    file: &'x Dockerfile,
    context: &'x BuildContext,
    a: &'x Analysis,
    app_dir: &'x str,
    app_root: &'x str,
}

impl App<'_> {
    /// The home of the user a RUN at `index` runs as.
    fn home(&self, index: usize) -> String {
        match user_at(self.file, index).as_str() {
            "root" => "/root".to_string(),
            user => format!("~{user}"),
        }
    }

    /// A dependency whose install script downloads (puppeteer): fine when
    /// turned off by the environment, or moved into the app folder by its
    /// folder variable or a config file's `cacheDirectory`.
    fn package_download(
        &self,
        d: &NodePackageDownload,
        manifest: &Manifest,
        steps: &[InstallStep],
    ) -> Result<(), Blocked> {
        let app_root = self.app_root;
        let Some(range) = manifest
            .json
            .get("dependencies")
            .and_then(|o| o.get(&d.package))
            .and_then(Value::as_str)
        else {
            return Ok(());
        };
        // `^22.6.0` → 22; a tag (`latest`) or `*` is the newest.
        let major = range
            .trim_start_matches(|c: char| !c.is_ascii_digit())
            .split('.')
            .next()
            .and_then(|m| m.parse::<u32>().ok());
        if major.is_some_and(|m| m < d.from_major) {
            return Ok(());
        }
        let Some(install) = steps.iter().rfind(|s| !s.prune) else {
            return Ok(());
        };
        if d.skip_env.iter().any(|n| is_set(&install.env, n)) {
            return Ok(());
        }
        let what = format!(
            "package.json depends on {} {range}, whose install (line {}) downloads {}",
            d.package, install.line, d.what
        );
        if let Some(dir) = install.env.get(&d.dir_env) {
            let path = absolute(&install.cwd, dir);
            if dir.contains('$') || !is_under(&path, app_root) {
                return Err((
                    install.line,
                    format!(
                        "{what} into {dir} ({}), outside the app folder {app_root} the final stage gets",
                        d.dir_env
                    ),
                ));
            }
            return Ok(());
        }
        if self.cache_moved(d, install.line, &what)? {
            return Ok(());
        }
        Err((
            install.line,
            format!(
                "{what} into the build user's home ({}/{}), outside the app folder {app_root} the final stage gets (set {} inside the app folder)",
                self.home(install.index),
                d.home_path,
                d.dir_env
            ),
        ))
    }

    /// Whether a config file of the package (`.puppeteerrc.cjs`) moves
    /// the download with a `cacheDirectory` under `__dirname`; one msb
    /// cannot place blocks the file.
    fn cache_moved(
        &self,
        d: &NodePackageDownload,
        line: usize,
        what: &str,
    ) -> Result<bool, Blocked> {
        let mut moved = false;
        for name in &d.configs {
            let Some(source) =
                context_file_for(self.a, &format!("{}/{name}", self.app_dir), self.context)
            else {
                continue;
            };
            let text = self.context.read_small(&source).unwrap_or_default();
            if text.contains("cacheDirectory") {
                if !text.contains("__dirname") {
                    return Err((
                        line,
                        format!(
                            "{what} into the cacheDirectory {name} sets: msb cannot tell whether that is inside the app folder {} the final stage gets",
                            self.app_root
                        ),
                    ));
                }
                moved = true;
            }
        }
        Ok(moved)
    }

    /// A build command that downloads (`npx playwright install`): fine
    /// when its folder variable keeps the files in node_modules or the app
    /// folder; the system package manager's flag (`--with-deps`) is not.
    fn command_download(&self, d: &NodeCommandDownload, rc: &RunCommand) -> Result<(), Blocked> {
        let app_root = self.app_root;
        let words = &rc.command.words;
        let mut parts = d.command.split_whitespace();
        let (program, sub) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        let Some(pos) = words
            .iter()
            .position(|w| crate::analyse::basename(w) == program)
        else {
            return Ok(());
        };
        let rest = &words[pos + 1..];
        if subcommand(rest, &[]).map(|(_, s)| s) != Some(sub) {
            return Ok(());
        }
        let line = self.file.instructions[rc.index].line;
        let text = words.join(" ");
        if let Some(flag) = d
            .system_packages
            .iter()
            .find(|f| rest.iter().any(|w| w == *f))
        {
            return Err((
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
        let mut env = env_before(self.file, self.a, rc.index);
        env.extend(rc.command.env.iter().cloned());
        match env.get(&d.dir_env) {
            Some(v) if *v == d.dir_env_in_package => Ok(()),
            Some(dir) if !dir.contains('$') && is_under(&absolute(&rc.cwd, dir), app_root) => {
                Ok(())
            }
            Some(dir) => Err((
                line,
                format!(
                    "`{text}` downloads {} into {dir} ({}), outside the app folder {app_root} the final stage gets",
                    d.what, d.dir_env
                ),
            )),
            None => Err((
                line,
                format!(
                    "`{text}` downloads {} into the build user's home ({}/{}), outside the app folder {app_root} the final stage gets (set {}={} to keep them in node_modules)",
                    d.what,
                    self.home(rc.index),
                    d.home_path,
                    d.dir_env,
                    d.dir_env_in_package
                ),
            )),
        }
    }
}

/// Whether an environment variable turns something on (set, not empty,
/// not `false` or `0`).
fn is_set(env: &BTreeMap<String, String>, name: &str) -> bool {
    env.get(name)
        .filter(|v| !v.is_empty() && *v != "false" && *v != "0")
        .is_some()
}
