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

use crate::analyse::{Analysis, RuntimeRun, absolute, is_under};
use crate::knowledge::{Knowledge, LanguagePack, NodeRules};
use crate::parse::Dockerfile;
use crate::source::BuildContext;
use artefacts::{add_artefacts, loose_build, modules_folder};
use globals::{global_packages, known_build_tools, note_left_behind};
use home::home_downloads;
use install::{app_dir_of, install_steps, one_manager};
use layout::choose_layout;
use managers::{runtime_managers, settle_manager};
use manifest::{Manifest, dependency_libs, manifest_line, one_app};
use next::standalone_alternative;
use prune::prune;
use tag::runtime_tag;
use walk::{RuntimeUses, runtime_uses};

/// Why the file is skipped: the line to blame and the reason.
type Blocked = (usize, String);

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

/// The Node app being migrated, as most steps read it: the Dockerfile,
/// its build context, node.toml's rules, the app's package.json and the
/// folder it is in. The analysis travels beside it, as some steps change it.
#[derive(Clone, Copy)]
struct NodeApp<'x> {
    file: &'x Dockerfile,
    context: &'x BuildContext,
    rules: &'x NodeRules,
    manifest: &'x Manifest,
    app_dir: &'x str,
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
    if let Err((line, why)) = migrate(file, context, pack, k, rules, a) {
        a.block(line, why);
    }
}

/// The steps of the analysis, in order: the node tag, the installs and
/// the app folder they make, package.json and the manager, downloads
/// outside the app, what the container runs, then the layout, the prune
/// and the artefacts of the final stage.
fn migrate(
    file: &Dockerfile,
    context: &BuildContext,
    pack: &LanguagePack,
    k: &Knowledge,
    rules: &NodeRules,
    a: &mut Analysis,
) -> Result<(), Blocked> {
    let from = crate::analyse::from_line(file);
    let tag = runtime_tag(file, rules, k, a)?;
    let mut steps = install_steps(file, a, rules, tag.major);
    let globals = global_packages(file, a);
    known_build_tools(file, pack, k, rules, a, &globals);
    let installed_with = one_manager(&steps, from)?;
    let app_dir = app_dir_of(file, a, &steps, from)?;
    loose_build(file, a, &app_dir)?;

    let manifest = Manifest::read(a, &app_dir, context);
    one_app(
        a,
        context,
        &manifest,
        &app_dir,
        manifest_line(file, a, &app_dir, from),
    )?;
    let manager = settle_manager(
        a,
        context,
        &mut steps,
        installed_with,
        &manifest,
        &app_dir,
        from,
    )?;

    let app = NodeApp {
        file,
        context,
        rules,
        manifest: &manifest,
        app_dir: &app_dir,
    };
    // The folder the final stage copies whole: the WORKDIR the app is in.
    let app_root = app_root_of(a, &app_dir);
    home_downloads(&app, a, &steps, &app_root)?;
    // What the container runs.
    let uses = runtime_uses(&app, k, a, &globals, app_root)?;
    runtime_packages(&manifest, pack, rules, &uses, a);

    let installed = steps.iter().any(|s| !s.prune);
    let (layout, layout_why) = choose_layout(&app, a, &uses, installed);
    let copies_node_modules = matches!(layout, Layout::AppFolder | Layout::NextApp);
    let dev_dependencies = if copies_node_modules {
        prune(&app, a, &steps, manager, &uses, tag.major)
    } else {
        a.dependencies_left_behind = installed;
        "not copied: the final stage takes only the files the command reads".to_string()
    };

    runtime_managers(a, rules, &uses, manager, &manifest, tag.major)?;
    carry_runtime_uses(&uses, a);
    note_left_behind(&globals, &uses.globals, a);
    add_artefacts(&app, a, &layout, installed);
    if copies_node_modules {
        modules_folder(context, a, &steps, &app_dir, from)?;
    }
    a.unsafe_alternative = standalone_alternative(&app, a, &uses, &layout);
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
    Ok(())
}

/// The system packages of the final stage: build tools only node-gyp used
/// stay in the builder (unless the container calls python), and the
/// libraries the dependencies load at run time are added.
fn runtime_packages(
    manifest: &Manifest,
    pack: &LanguagePack,
    rules: &NodeRules,
    uses: &RuntimeUses,
    a: &mut Analysis,
) {
    let calls_python = uses.programs.iter().any(|p| p.starts_with("python"));
    if !calls_python {
        a.installed_packages
            .retain(|p| !rules.install.build_tools.contains(p));
    }
    dependency_libs(manifest, pack, a);
}

/// What the container's command needs beyond the app: the walk's
/// warnings, and the global packages the final stage installs again.
fn carry_runtime_uses(uses: &RuntimeUses, a: &mut Analysis) {
    a.warnings.extend(uses.notes.iter().cloned());
    for (spec, why) in &uses.globals {
        a.runtime_runs.push(RuntimeRun {
            text: format!("npm install -g {spec}"),
            why: why.clone(),
        });
    }
}

/// The folder the final stage copies whole: the WORKDIR the app is in.
/// For an app straight in `/` or `/tmp`, whose exact paths are copied
/// instead, that is node_modules: a download outside it is not carried.
fn app_root_of(a: &Analysis, app_dir: &str) -> String {
    if a.is_loose_dir(app_dir) {
        return absolute(app_dir, "node_modules");
    }
    a.final_workdir
        .as_deref()
        .filter(|w| is_under(app_dir, w) && !a.is_system_dir(w))
        .unwrap_or(app_dir)
        .to_string()
}
