//! What the final stage copies: the `.next/standalone` server the command
//! runs, the folder a static file server serves (when a known build tool
//! writes it), what `next start` reads, or the app folder whole.

use super::env::env_before;
use super::manifest::{Manifest, context_file_for};
use super::next::next_app_unknowns;
use super::walk::RuntimeUses;
use super::words::{NPM_VALUE_OPTIONS, YARN_VALUE_OPTIONS, option_value, subcommand};
use super::{Layout, NodeApp};
use crate::analyse::dockerignore::DockerIgnore;
use crate::analyse::{Analysis, absolute, is_under, shell};
use crate::knowledge::NodeRules;
use crate::parse::Dockerfile;
use crate::source::BuildContext;

/// What the final stage copies, and why.
pub(super) fn choose_layout(
    app: &NodeApp,
    a: &Analysis,
    uses: &RuntimeUses,
    installed: bool,
) -> (Layout, String) {
    let app_dir = app.app_dir;
    if let Some(folder) = &uses.standalone
        && is_under(folder, app_dir)
        && uses.app_files.is_empty()
        && !uses.package_scripts
    {
        return (
            Layout::NextStandalone {
                folder: folder.clone(),
            },
            format!(
                "the command runs {folder}/server.js, which `next build` made with what it needs"
            ),
        );
    }
    if let Some(folder) = &uses.static_folder
        && uses.app_files.is_empty()
        && !uses.package_scripts
        && folder != app_dir
        && is_under(folder, app_dir)
        && let Some((out, how)) =
            static_output(app.file, app.context, app.rules, a, app_dir, app.manifest)
        && is_under(folder, &absolute(app_dir, &out))
    {
        return (
            Layout::StaticSite {
                folder: folder.clone(),
            },
            format!("the command only serves the files of {folder}, which {how} writes"),
        );
    }
    if uses.next_start && uses.app_files.is_empty() && installed {
        match next_app_unknowns(app.context, app.rules, a, app_dir) {
            Ok(()) => {
                return (
                    Layout::NextApp,
                    "`next start` reads only .next, node_modules, package.json, public, the Next config and .env files; everything else in the build context is compiled into .next".to_string(),
                );
            }
            Err(why) => {
                return (Layout::AppFolder, format!("the app folder whole: {why}"));
            }
        }
    }
    // An app straight in `/` or `/tmp` is copied by its exact paths.
    let whole = if a.is_loose_dir(app_dir) {
        format!("what COPY put in {app_dir}, path by path, and node_modules")
    } else {
        "the app folder whole".to_string()
    };
    let why = match uses.app_files.first() {
        Some(f) => format!("{whole}: {f}, and JavaScript reads its files at run time"),
        None => format!(
            "{whole}: JavaScript apps read their sources, views and public files at run time"
        ),
    };
    (Layout::AppFolder, why)
}

/// Whether a COPY brings the whole build context into the app folder.
pub(super) fn whole_context_copy(a: &Analysis, app_dir: &str) -> bool {
    a.copies.iter().any(|c| {
        !c.manifest_only
            && c.pairs.iter().any(|(s, r)| {
                let s = s.trim_start_matches("./").trim_end_matches('/');
                (s == "." || s.is_empty()) && r == app_dir
            })
    })
}

/// Whether `.dockerignore` surely keeps a context entry out of the build
/// (`dockerignore.rs`; the Next.js layouts still refuse a file with `!`
/// exceptions, whose effect on what `next build` sees msb does not follow).
pub(super) fn dockerignore(context: &BuildContext) -> impl Fn(&str) -> bool {
    let ignore = DockerIgnore::read(context);
    move |name: &str| ignore.leaves_out(name)
}

/// The folder (relative to the app) a single-page app build writes, and
/// the command that writes it: a known build tool (`react-scripts build` →
/// build), run directly or through a package script, with its output not
/// moved by a config file msb cannot read.
fn static_output(
    file: &Dockerfile,
    context: &BuildContext,
    rules: &NodeRules,
    a: &Analysis,
    app_dir: &str,
    manifest: &Manifest,
) -> Option<(String, String)> {
    let site = &rules.static_site;
    for (config, setting) in &site.configs {
        let path = absolute(app_dir, config);
        if let Some(source) = context_file_for(a, &path, context)
            && context
                .read_small(&source)
                .is_none_or(|t| t.contains(setting.as_str()))
        {
            return None;
        }
    }
    let mut found = None;
    for rc in a
        .run_commands
        .iter()
        .filter(|rc| rc.cwd == app_dir && a.has_role(rc.index, crate::analyse::StepRole::Build))
    {
        let c = &rc.command;
        // `npm run build`, `yarn build`, `pnpm build`: the script's commands.
        let script = match c.program() {
            "npm" | "pnpm" => match subcommand(c.args(), NPM_VALUE_OPTIONS) {
                Some((i, "run" | "run-script")) => {
                    c.args().get(i + 1).and_then(|n| manifest.script(n))
                }
                Some((_, name)) if c.program() == "pnpm" => manifest.script(name),
                _ => None,
            },
            "yarn" => match subcommand(c.args(), YARN_VALUE_OPTIONS) {
                Some((i, "run")) => c.args().get(i + 1).and_then(|n| manifest.script(n)),
                Some((_, name)) => manifest.script(name),
                None => None,
            },
            _ => None,
        };
        let commands = match script {
            Some(text) => shell::commands(&text),
            None => vec![c.clone()],
        };
        for inner in commands {
            let mut words: &[String] = &inner.words;
            if words.first().is_some_and(|w| w == "npx") {
                words = &words[1..];
            }
            let Some(program) = words.first() else {
                continue;
            };
            let sub = subcommand(&words[1..], &[]).map(|(_, s)| s);
            let key = match sub {
                Some(sub) => format!("{program} {sub}"),
                None => program.clone(),
            };
            let Some(default) = site.builds.get(&key) else {
                continue;
            };
            let moved = option_value(
                &words[1..],
                &site
                    .out_dir_options
                    .iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>(),
            );
            let mut env = env_before(file, a, rc.index);
            env.extend(inner.env.iter().cloned());
            env.extend(c.env.iter().cloned());
            let from_env = site.out_dir_env.iter().find_map(|n| env.get(n).cloned());
            let out = moved
                .or(from_env)
                .unwrap_or_else(|| default.clone())
                .trim_start_matches("./")
                .trim_end_matches('/')
                .to_string();
            if out.starts_with('/') || out.contains("..") || out.contains('$') {
                return None;
            }
            found = Some((
                out,
                format!("`{key}` (line {})", file.instructions[rc.index].line),
            ));
        }
    }
    found
}
