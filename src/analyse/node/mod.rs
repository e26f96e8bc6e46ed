//! Node.js with npm, Yarn (1 and 2+) and pnpm: which folder holds the app,
//! how its dependencies were installed, what the container's command runs
//! (a script, a package script, a global tool, a static server, Next.js),
//! and from that what the final stage copies and whether dev dependencies
//! can be pruned in the builder first.
//!
//! The safe default copies the app folder whole after pruning: JavaScript
//! apps read their sources, views and public files at run time. Narrower
//! copies are used only where they are known to suffice: the folder a
//! global `serve` serves, the `.next/standalone` server the command runs,
//! and a `next start` app whose other files Next compiles into `.next`.
//! When msb cannot tell whether a dev dependency is needed at run time, it
//! keeps them and says so.
//!
//! By concern: `tag` (the node tag and the runtime image it picks),
//! `words` (reading npm, yarn and pnpm command lines), `env` (the
//! environment and user a RUN has), `manifest` (package.json and the
//! context files COPY brought), `install` (the dependency installs and
//! prunes), `globals` (global installs and the build tools they give),
//! `managers` (Yarn 1 or 2+, Plug'n'Play, corepack's yarn and pnpm at run
//! time), `home` (downloads into the build user's home), `walk` (what the
//! container's command runs), `layout` (what the final stage copies),
//! `next` (Next.js: `next start`'s files, the standalone server), `prune`
//! (dev dependencies out of node_modules), `artefacts` (the copies the
//! layout makes).

mod artefacts;
mod env;
mod globals;
mod home;
mod install;
mod layout;
mod managers;
mod manifest;
mod next;
mod prune;
mod tag;
mod walk;
mod words;

pub use tag::{NodeTag, read_tag};

use serde_json::Value;
use std::collections::BTreeMap;

use crate::analyse::{Analysis, RuntimeChoice, RuntimeRun, is_under};
use crate::knowledge::{Family, Knowledge, LanguagePack};
use crate::parse::Dockerfile;
use crate::source::BuildContext;
use artefacts::{add_artefacts, modules_dir};
use globals::{global_packages, known_build_tools};
use home::home_downloads;
use install::install_steps;
use layout::choose_layout;
use managers::{berry_plug_n_play, is_berry, runtime_managers};
use manifest::{Manifest, context_file_for, dependency_libs, lifecycle_scripts_stay_inside};
use next::standalone_alternative;
use prune::prune;
use tag::tag_of;
use walk::RuntimeWalk;

/// The package manager that installed the app's dependencies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Manager {
    Npm,
    YarnClassic,
    YarnBerry,
    Pnpm,
}
impl Manager {
    pub fn name(self) -> &'static str {
        match self {
            Manager::Npm => "npm",
            Manager::YarnClassic => "Yarn 1",
            Manager::YarnBerry => "Yarn 2+",
            Manager::Pnpm => "pnpm",
        }
    }
}

/// What the final stage copies from the builder.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum Layout {
    /// The app folder whole (after pruning).
    AppFolder,
    /// Only the folder a static file server serves.
    StaticSite { folder: String },
    /// `.next/standalone`, which the command runs.
    NextStandalone { folder: String },
    /// What `next start` reads: `.next`, node_modules, package.json,
    /// public, the config and `.env` files.
    NextApp,
}

/// What `explain` shows of a Node build.
#[derive(Debug, Clone, serde::Serialize)]
pub struct NodeFacts {
    pub manager: Option<Manager>,
    pub app_dir: String,
    pub node_major: Option<u32>,
    /// What happens to dev dependencies, and why.
    pub dev_dependencies: String,
    pub layout: Layout,
    /// Why the layout is what it is.
    pub layout_why: String,
}

pub fn analyse(
    file: &Dockerfile,
    context: &BuildContext,
    pack: &LanguagePack,
    k: &Knowledge,
    a: &mut Analysis,
) {
    if !crate::analyse::require_language_image(file, pack, k, a, "Node.js", "Node") {
        return;
    }
    let Some(rules) = pack.node.as_ref() else {
        return;
    };
    let builder = a.builder.clone().expect("analysed builder");
    let from = crate::analyse::from_line(file);
    if !matches!(builder.family, Family::Debian | Family::Alpine) {
        a.block(
            from,
            format!(
                "{} is not a Debian or Alpine node image msb knows",
                builder.written
            ),
        );
        return;
    }
    // Node from a plain distribution's packages runs on the same image
    // (`same_base.rs`): its version is the release's, not a tag's.
    let tag = if a.same_base.is_some() {
        NodeTag {
            version: String::new(),
            major: None,
            unknown: None,
        }
    } else {
        let tag = read_tag(
            &builder.tag,
            tag_of(&builder.resolved),
            rules,
            &k.images.debian_releases,
        );
        if let Some(part) = &tag.unknown {
            a.block(
                from,
                format!(
                    "{}: msb knows no slim variant for the tag part `{part}`",
                    builder.written
                ),
            );
            return;
        }
        let key = if builder.family == Family::Alpine {
            "alpine"
        } else {
            "debian"
        };
        let mut vars = BTreeMap::new();
        vars.insert("node_tag".to_string(), tag.version.clone());
        a.runtime_choice = Some(RuntimeChoice {
            key: key.to_string(),
            vars,
            why: String::new(),
        });
        tag
    };

    let mut steps = install_steps(file, a, rules, tag.major);
    let globals = global_packages(file, a);
    known_build_tools(file, pack, k, rules, a, &globals);
    let mut managers: Vec<Manager> = steps.iter().map(|s| s.manager).collect();
    managers.sort_by_key(|m| m.name());
    managers.dedup();
    if managers.len() > 1 {
        let line = steps.last().map_or(from, |s| s.line);
        a.block(
            line,
            format!(
                "dependencies are installed with {}: msb cannot tell which tree the app uses",
                managers
                    .iter()
                    .map(|m| m.name())
                    .collect::<Vec<_>>()
                    .join(" and ")
            ),
        );
        return;
    }
    let mut folders: Vec<&str> = steps
        .iter()
        .filter(|s| !s.prune)
        .map(|s| s.cwd.as_str())
        .collect();
    folders.dedup();
    if folders.len() > 1 {
        let line = steps.last().map_or(from, |s| s.line);
        a.block(
            line,
            format!(
                "dependencies are installed in {}: msb migrates one Node app folder",
                folders.join(" and ")
            ),
        );
        return;
    }
    let workdir = a.final_workdir.clone();
    let app_dir = folders
        .first()
        .map(|s| s.to_string())
        .or_else(|| workdir.clone())
        .unwrap_or_else(|| "/".to_string());
    if a.is_system_dir(&app_dir) {
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
        a.block(
            line,
            format!("the app is in {app_dir}: msb cannot copy it without the rest of the system"),
        );
        return;
    }

    let manifest_path = context_file_for(a, &format!("{app_dir}/package.json"), context);
    let manifest = Manifest {
        json: manifest_path
            .as_deref()
            .and_then(|p| context.read_small(p))
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or(Value::Null),
        path: manifest_path,
    };
    // The COPY that brought package.json, for reasons about it.
    let manifest_line = a
        .copies
        .iter()
        .find(|c| {
            c.pairs.iter().any(|(s, r)| {
                let s = s.trim_start_matches("./").trim_end_matches('/');
                (s.contains("package") || s == "." || s.is_empty())
                    && is_under(&format!("{app_dir}/package.json"), r)
            })
        })
        .map_or(from, |c| file.instructions[c.index].line);
    if manifest.json.get("workspaces").is_some() {
        a.block(
            manifest_line,
            "package.json declares workspaces: msb cannot tell which packages of the monorepo the runtime needs",
        );
        return;
    }
    if context_file_for(a, &format!("{app_dir}/pnpm-workspace.yaml"), context).is_some() {
        a.block(
            manifest_line,
            "pnpm-workspace.yaml makes a monorepo: msb cannot tell which packages the runtime needs",
        );
        return;
    }
    if !lifecycle_scripts_stay_inside(&manifest, &app_dir, manifest_line, a) {
        return;
    }

    let focus = steps.iter().any(|s| s.text.contains("workspaces focus"));
    let manager = match managers.first() {
        Some(Manager::YarnClassic) if focus || is_berry(a, &app_dir, &manifest, context) => {
            // Yarn 2+ installs dev dependencies whatever NODE_ENV says.
            for s in steps.iter_mut().filter(|s| !s.prune) {
                s.manager = Manager::YarnBerry;
                s.production = false;
            }
            Some(Manager::YarnBerry)
        }
        m => m.copied(),
    };
    if manager == Some(Manager::YarnBerry)
        && let Some(why) = berry_plug_n_play(a, &app_dir, &manifest, context)
    {
        let line = steps.first().map_or(from, |s| s.line);
        a.block(line, why);
        return;
    }
    if manager == Some(Manager::Pnpm)
        && let Some(npmrc) = context_file_for(a, &format!("{app_dir}/.npmrc"), context)
        && context
            .read_small(&npmrc)
            .is_some_and(|t| t.lines().any(|l| l.replace(' ', "") == "node-linker=pnp"))
    {
        let line = steps.first().map_or(from, |s| s.line);
        a.block(
            line,
            ".npmrc sets node-linker=pnp: packages live in pnpm's store, outside the app folder",
        );
        return;
    }

    // The folder the final stage copies whole: the WORKDIR the app is in.
    let app_root = app_root_of(a, &app_dir);
    if let Some((line, why)) = home_downloads(
        file, context, rules, a, &manifest, &steps, &app_dir, &app_root,
    ) {
        a.block(line, why);
        return;
    }
    let mut walk = RuntimeWalk::new(file, context, rules, k, a, &manifest, &globals, &app_dir);
    walk.app_root = app_root;
    // What the container runs.
    walk.run();
    let uses = walk.uses;
    if let Some((line, why)) = &uses.dev_server {
        a.block(*line, why.clone());
        return;
    }
    if let Some((line, why)) = &uses.unknown {
        a.block(*line, why.clone());
        return;
    }

    // Build tools only node-gyp used stay in the builder.
    let calls_python = uses.programs.iter().any(|p| p.starts_with("python"));
    if !calls_python {
        a.installed_packages
            .retain(|p| !rules.install.build_tools.contains(p));
    }
    dependency_libs(&manifest, pack, a);

    let installed = steps.iter().any(|s| !s.prune);
    let (layout, layout_why) = choose_layout(
        file, context, rules, a, &uses, &app_dir, &manifest, installed,
    );
    let copies_node_modules = matches!(layout, Layout::AppFolder | Layout::NextApp);
    let dev_dependencies = if copies_node_modules {
        prune(
            file, context, rules, a, &steps, manager, &manifest, &uses, &app_dir, tag.major,
        )
    } else {
        a.dependencies_left_behind = installed;
        "not copied: the final stage takes only the files the command reads".to_string()
    };

    if !runtime_managers(a, rules, &uses, manager, &manifest, tag.major) {
        return;
    }
    a.warnings.extend(uses.notes.iter().cloned());
    for (spec, why) in &uses.globals {
        a.runtime_runs.push(RuntimeRun {
            text: format!("npm install -g {spec}"),
            why: why.clone(),
        });
    }
    add_artefacts(file, context, rules, a, &layout, &app_dir);
    if copies_node_modules
        && let Some(dir) = modules_dir(a, &steps, &app_dir, context)
        && !is_under(&dir, &app_root_of(a, &app_dir))
    {
        let line = steps.iter().rfind(|s| !s.prune).map_or(from, |s| s.line);
        if a.is_system_dir(&dir) {
            a.block(
                line,
                format!("Yarn puts node_modules in {dir} (--modules-folder): msb cannot copy it without the rest of the system"),
            );
            return;
        }
        let inside = format!("{app_dir}/node_modules");
        a.artefacts.retain(|x| x.from != inside);
        a.add_artefact(
            line,
            &dir,
            &dir,
            format!("line {line}: the dependencies, which Yarn puts in {dir} (--modules-folder)"),
            false,
        );
    }
    a.unsafe_alternative =
        standalone_alternative(file, context, rules, a, &uses, &app_dir, &layout);
    if let Some(path) = &manifest.path
        && manifest.json.is_null()
    {
        a.warnings.push(format!(
            "{path} could not be read as JSON: msb assumed no dev dependencies"
        ));
    }
    a.node = Some(NodeFacts {
        manager,
        app_dir,
        node_major: tag.major,
        dev_dependencies,
        layout,
        layout_why,
    });
}

/// The folder the final stage copies whole: the WORKDIR the app is in.
fn app_root_of(a: &Analysis, app_dir: &str) -> String {
    a.final_workdir
        .as_deref()
        .filter(|w| is_under(app_dir, w) && !a.is_system_dir(w))
        .unwrap_or(app_dir)
        .to_string()
}
