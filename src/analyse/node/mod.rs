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

use std::collections::BTreeMap;

use serde_json::Value;

use crate::analyse::image;
use crate::analyse::shell::{self, Command};
use crate::analyse::{
    Analysis, BuilderAddition, CommandRewrite, RuntimeChoice, RuntimeRun, UnsafeAlternative,
    absolute, is_under, script_in_context,
};
use crate::knowledge::{Family, Knowledge, LanguagePack, NodeRules, glob_match};
use crate::parse::{Dockerfile, Keyword};
use crate::source::BuildContext;

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

/// The version or alias part of a node tag, and whether msb knows the rest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeTag {
    /// As written (`20.11.1`, `${NODE_VERSION}`, `lts`), empty for `latest`.
    pub version: String,
    pub major: Option<u32>,
    /// A part msb has no rule for (`onbuild`, `lts-iron`'s second alias).
    pub unknown: Option<String>,
}

/// Read a node tag as written and as resolved against the ARG defaults.
pub fn read_tag(
    written: &str,
    resolved: &str,
    rules: &NodeRules,
    releases: &BTreeMap<String, u32>,
) -> NodeTag {
    let w = image::tag_parts(written);
    let r = image::tag_parts(resolved);
    // Variables may hide parts; the resolved tag says what they are.
    let parts: Vec<(&str, &str)> = if w.len() == r.len() {
        w.into_iter().zip(r).collect()
    } else {
        r.iter().map(|p| (*p, *p)).collect()
    };
    let mut tag = NodeTag {
        version: String::new(),
        major: None,
        unknown: None,
    };
    let mut named = false;
    for (i, (written_part, part)) in parts.iter().enumerate() {
        if i == 0 && part.chars().next().is_some_and(|c| c.is_ascii_digit()) {
            tag.version = written_part.to_string();
            tag.major = part.split('.').next().and_then(|m| m.parse().ok());
            named = true;
        } else if i == 0 && *part == "latest" {
            // `node:latest` → `node:slim`: the runtime tag has no version part.
            tag.major = rules.tag_aliases.get("latest").copied();
            named = true;
        } else if i == 0 && rules.tag_aliases.contains_key(*part) {
            tag.version = written_part.to_string();
            tag.major = rules.tag_aliases.get(*part).copied();
            named = true;
        } else if part.starts_with("alpine")
            || releases.contains_key(*part)
            || rules.tag_suffixes.iter().any(|s| s == part)
        {
        } else if tag.unknown.is_none() {
            tag.unknown = Some(part.to_string());
        }
    }
    if !named {
        // `node:alpine`, `node:slim`, `node:bookworm`: the latest Node.
        tag.major = rules.tag_aliases.get("latest").copied();
    }
    tag
}

/// The tag part of an image reference (`registry:5000/node:20` → `20`).
fn tag_of(image: &str) -> &str {
    let without_digest = image.split('@').next().unwrap_or(image);
    let last = crate::analyse::basename(without_digest);
    last.split_once(':').map_or("latest", |(_, t)| t)
}

/// A dependency install, global tool install or prune the builder runs.
#[derive(Debug, Clone)]
struct InstallStep {
    index: usize,
    line: usize,
    cwd: String,
    manager: Manager,
    /// Installs production dependencies only (flags or NODE_ENV).
    production: bool,
    /// Removes dev dependencies from an existing install (a prune).
    prune: bool,
    text: String,
    /// The environment the command runs with (ENV, ARG, export, prefix).
    env: BTreeMap<String, String>,
    /// Where Yarn 1 puts node_modules (`--modules-folder`), if elsewhere.
    modules_dir: Option<String>,
}

/// A package installed globally in the builder (`npm install -g serve`).
#[derive(Debug, Clone)]
struct GlobalPackage {
    name: String,
    /// As written (`serve@14`, `pm2`).
    spec: String,
    line: usize,
    /// The folder the install ran in (a local spec such as `.` is
    /// relative to it).
    cwd: String,
}

impl GlobalPackage {
    /// A package from the registry by name (`serve`, `@nestjs/cli@10`,
    /// `pm2@latest`), which the final stage can install again; not a
    /// folder (`.`, `./cli`), a tarball or a git URL.
    fn is_registry(&self) -> bool {
        let name = self.name.strip_prefix('@').unwrap_or(&self.name);
        let slashes = name.matches('/').count();
        !self.spec.contains(':')
            && !self.spec.starts_with('.')
            && !self.spec.starts_with('/')
            && !self.spec.starts_with('~')
            && !self.spec.ends_with(".tgz")
            && !self.spec.ends_with(".tar.gz")
            && slashes == usize::from(self.name.starts_with('@'))
    }
}

/// The first word after the program that is not an option, with the
/// options that take a value skipped.
fn subcommand<'a>(args: &'a [String], value_options: &[&str]) -> Option<(usize, &'a str)> {
    let mut skip = false;
    for (i, a) in args.iter().enumerate() {
        if skip {
            skip = false;
            continue;
        }
        if a.starts_with('-') {
            skip = value_options.contains(&a.as_str());
            continue;
        }
        return Some((i, a.as_str()));
    }
    None
}

const NPM_VALUE_OPTIONS: &[&str] = &[
    "--prefix",
    "--registry",
    "--cache",
    "--loglevel",
    "--userconfig",
    "--omit",
    "--include",
    "--only",
    "-w",
    "--workspace",
];
const YARN_VALUE_OPTIONS: &[&str] = &[
    "--cwd",
    "--modules-folder",
    "--cache-folder",
    "--modules-folder",
    "--registry",
    "--network-timeout",
    "--mutex",
];
const PNPM_VALUE_OPTIONS: &[&str] = &[
    "-C",
    "--dir",
    "--filter",
    "-F",
    "--store-dir",
    "--registry",
    "--reporter",
];

/// The value of `--name value` or `--name=value`.
fn option_value(args: &[String], names: &[&str]) -> Option<String> {
    let mut iter = args.iter();
    while let Some(a) = iter.next() {
        if names.contains(&a.as_str()) {
            return iter.next().cloned();
        }
        for n in names {
            if let Some(v) = a.strip_prefix(&format!("{n}=")) {
                return Some(v.to_string());
            }
        }
    }
    None
}

fn has_flag(args: &[String], flags: &[&str]) -> bool {
    args.iter().any(|a| flags.contains(&a.as_str()))
}

/// Whether `--global` style options make an install global.
fn is_global(args: &[String]) -> bool {
    has_flag(args, &["-g", "--global", "--location=global"])
}

/// `NAME=value` pairs in effect for the RUN at `index`: ARG defaults and
/// ENVs before it.
fn env_before(file: &Dockerfile, a: &Analysis, index: usize) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    let start = file
        .instructions
        .iter()
        .position(|i| i.keyword == Keyword::From)
        .unwrap_or(0);
    for ins in &file.instructions[start..index] {
        match ins.keyword {
            Keyword::Env => {
                for (n, v) in crate::analyse::env_pairs(&ins.args) {
                    env.insert(n, v);
                }
            }
            Keyword::Arg => {
                let first = ins.args.split_whitespace().next().unwrap_or("");
                match first.split_once('=') {
                    Some((n, v)) => {
                        env.insert(n.to_string(), v.trim_matches('"').to_string());
                    }
                    None => {
                        if let Some(v) = a.global_args.get(first) {
                            env.insert(first.to_string(), v.clone());
                        }
                    }
                }
            }
            _ => {}
        }
    }
    env
}

/// The name of a package spec (`@scope/pkg@1.2` → `@scope/pkg`).
fn package_name(spec: &str) -> String {
    match spec.rfind('@') {
        Some(i) if i > 0 => spec[..i].to_string(),
        _ => spec.to_string(),
    }
}

/// Everything the Node analysis reads from the build context.
struct Manifest {
    /// Context path of the app's package.json.
    path: Option<String>,
    json: Value,
}

impl Manifest {
    fn deps(&self, field: &str) -> Vec<String> {
        self.json
            .get(field)
            .and_then(Value::as_object)
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default()
    }

    fn has_dep(&self, name: &str) -> bool {
        self.deps("dependencies").iter().any(|d| d == name)
    }

    fn has_dev_dep(&self, name: &str) -> bool {
        self.deps("devDependencies").iter().any(|d| d == name)
            && !self.has_dep(name)
            && !self.deps("optionalDependencies").iter().any(|d| d == name)
    }

    fn script(&self, name: &str) -> Option<String> {
        self.json
            .get("scripts")?
            .get(name)?
            .as_str()
            .map(String::from)
    }

    /// `packageManager: "pnpm@9.1.0+sha512..."` → (`pnpm`, `9.1.0`).
    fn package_manager(&self) -> Option<(String, String)> {
        let pm = self.json.get("packageManager")?.as_str()?;
        let (name, version) = pm.split_once('@')?;
        let version = version.split('+').next().unwrap_or(version);
        Some((name.to_string(), version.to_string()))
    }
}

/// The context file that a COPY put at `image_path`, if one did.
fn context_file_for(a: &Analysis, image_path: &str, context: &BuildContext) -> Option<String> {
    for copy in a.copies.iter().rev() {
        for (src, root) in copy.pairs.iter().rev() {
            let src = src.trim_start_matches("./");
            if root == image_path {
                if context.is_file(src) {
                    return Some(src.to_string());
                }
                continue;
            }
            if !is_under(image_path, root) {
                continue;
            }
            let rel = crate::analyse::relative_to(image_path, root).unwrap_or_default();
            let candidate = if src.contains('*') {
                let (dir, pattern) = src.rsplit_once('/').unwrap_or(("", src));
                if !glob_match(pattern, rel) {
                    continue;
                }
                if dir.is_empty() {
                    rel.to_string()
                } else {
                    format!("{dir}/{rel}")
                }
            } else if src == "." || src.is_empty() {
                rel.to_string()
            } else {
                format!("{}/{rel}", src.trim_end_matches('/'))
            };
            if context.is_file(&candidate) {
                return Some(candidate);
            }
        }
    }
    None
}

/// The user a RUN at `index` runs as.
fn user_at(file: &Dockerfile, index: usize) -> String {
    file.instructions[..index]
        .iter()
        .rev()
        .find(|i| i.keyword == Keyword::User)
        .map(|i| i.args.trim().to_string())
        .filter(|u| !crate::analyse::is_root_user(u))
        .unwrap_or_else(|| "root".to_string())
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
    let yarnrc = context_file_for(a, &format!("{app_dir}/.yarnrc"), context)
        .and_then(|p| context.read_small(&p))?;
    yarnrc.lines().find_map(|l| {
        let mut words = l.split_whitespace();
        let key = words.next()?.trim_start_matches('-');
        matches!(key, "modules-folder" | "install.modules-folder").then_some(())?;
        let value = words.next()?.trim_matches(['"', '\'']);
        Some(absolute(&install.cwd, value))
    })
}

/// The builder's dependency installs and prunes, in order.
fn install_steps(
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
        let node_env_production = env.get("NODE_ENV").is_some_and(|v| v == "production");
        let npm_config_production = env
            .iter()
            .any(|(n, v)| n.eq_ignore_ascii_case("npm_config_production") && v == "true")
            || env
                .iter()
                .any(|(n, v)| n.eq_ignore_ascii_case("npm_config_omit") && v == "dev");
        let args = c.args();
        let line = file.instructions[rc.index].line;
        let text = c.words.join(" ");
        let step = |manager, production, prune, cwd: String| InstallStep {
            index: rc.index,
            line,
            cwd,
            manager,
            production,
            prune,
            text: text.clone(),
            env: env.clone(),
            modules_dir: None,
        };
        match c.program() {
            "npm" => {
                if is_global(args) {
                    continue;
                }
                let cwd = option_value(args, &["--prefix"])
                    .map_or(rc.cwd.clone(), |p| absolute(&rc.cwd, &p));
                let Some((_, sub)) = subcommand(args, NPM_VALUE_OPTIONS) else {
                    continue;
                };
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
                        || node_env_production
                        || npm_config_production);
                match sub {
                    "install" | "i" | "ci" | "add" | "isntall" | "in" => {
                        out.push(step(Manager::Npm, production, false, cwd))
                    }
                    "prune" if production => out.push(step(Manager::Npm, true, true, cwd)),
                    _ => {}
                }
            }
            "yarn" | "yarnpkg" => {
                let cwd = option_value(args, &["--cwd"])
                    .map_or(rc.cwd.clone(), |p| absolute(&rc.cwd, &p));
                let modules_dir =
                    option_value(args, &["--modules-folder"]).map(|p| absolute(&cwd, &p));
                let step = |manager, production, prune, cwd: String| InstallStep {
                    modules_dir: modules_dir.clone(),
                    ..step(manager, production, prune, cwd)
                };
                let production_flag = has_flag(args, &["--production", "--prod"])
                    || has_flag(args, &["--production=true"]);
                let production = !has_flag(args, &["--production=false"])
                    && (production_flag || node_env_production);
                match subcommand(args, YARN_VALUE_OPTIONS) {
                    None => out.push(step(Manager::YarnClassic, production, false, cwd)),
                    Some((_, "install")) => {
                        out.push(step(Manager::YarnClassic, production, false, cwd))
                    }
                    // Yarn 2+'s `workspaces focus --production` prunes; which
                    // Yarn it is is decided later, for all yarn steps at once.
                    Some((i, "workspaces"))
                        if args.get(i + 1).map(String::as_str) == Some("focus") =>
                    {
                        out.push(step(
                            Manager::YarnClassic,
                            production_flag,
                            production_flag,
                            cwd,
                        ))
                    }
                    _ => {}
                }
            }
            "pnpm" => {
                if is_global(args) {
                    continue;
                }
                let cwd = option_value(args, &["-C", "--dir"])
                    .map_or(rc.cwd.clone(), |p| absolute(&rc.cwd, &p));
                let production_flag = has_flag(args, &["--prod", "-P", "--production"]);
                let production = !has_flag(args, &["--production=false", "--dev", "-D"])
                    && (production_flag || node_env_production);
                match subcommand(args, PNPM_VALUE_OPTIONS) {
                    Some((_, "install" | "i" | "add")) => {
                        out.push(step(Manager::Pnpm, production, false, cwd))
                    }
                    Some((_, "prune")) if production_flag => {
                        out.push(step(Manager::Pnpm, true, true, cwd))
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
    out
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
fn runtime_managers(
    a: &mut Analysis,
    rules: &NodeRules,
    uses: &RuntimeUses,
    manager: Option<Manager>,
    manifest: &Manifest,
    node_major: Option<u32>,
) -> bool {
    for (program, line, what) in &uses.managers {
        if program == "yarn" && manager == Some(Manager::YarnBerry) {
            a.block(
                *line,
                format!(
                    "{what} runs yarn: Yarn 2+ comes from corepack or a release file in the builder, and msb cannot tell that the final stage's yarn would run it without downloading"
                ),
            );
            return false;
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
                a.block(
                    *line,
                    format!(
                        "{what} runs {program}, and msb cannot tell which version the builder had (no packageManager in package.json)"
                    ),
                );
                return false;
            }
        }
    }
    true
}

/// A RUN that calls a program the build installed globally before it
/// (`npm install -g @nestjs/cli`, then `nest build`) is a build step msb
/// understands, not an unknown program: its role is Build, and the
/// generic "RUN runs `nest`" blocker for its line is lifted.
fn known_build_tools(
    file: &Dockerfile,
    pack: &LanguagePack,
    k: &Knowledge,
    rules: &NodeRules,
    a: &mut Analysis,
    globals: &[GlobalPackage],
) {
    let prefixes: Vec<Vec<&str>> = pack
        .steps
        .build
        .iter()
        .chain(&pack.steps.dep_install)
        .map(|p| p.split_whitespace().collect())
        .collect();
    let unknown_runs: Vec<usize> = a
        .steps
        .iter()
        .filter(|s| {
            s.role == crate::analyse::StepRole::Unknown
                && file.instructions[s.index].keyword == Keyword::Run
        })
        .map(|s| s.index)
        .collect();
    for index in unknown_runs {
        let line = file.instructions[index].line;
        let mut tools = Vec::new();
        let mut all_known = true;
        for rc in a.run_commands.iter().filter(|rc| rc.index == index) {
            let c = &rc.command;
            let program = c.program();
            let understood = program.is_empty()
                || crate::analyse::packages::read(c).is_some()
                || prefixes.iter().any(|p| c.starts_with(p))
                || k.commands.housekeeping.iter().any(|p| p == program)
                || k.commands.user_setup.iter().any(|p| p == program)
                || k.commands.wrappers.iter().any(|p| p == program);
            if understood {
                continue;
            }
            let package = package_of_bin(rules, program);
            match globals.iter().find(|g| g.name == package && g.line < line) {
                Some(g) => tools.push(format!(
                    "{program}, which line {} installs globally",
                    g.line
                )),
                None => all_known = false,
            }
        }
        if all_known && !tools.is_empty() {
            // The generic blocker mod.rs raised for this RUN.
            a.unsafe_blockers
                .retain(|b| !(b.line == line && b.reason.starts_with("RUN runs")));
            a.set_role(
                index,
                crate::analyse::StepRole::Build,
                format!("builds with {}", tools.join("; ")),
            );
        }
    }
}

/// Packages the builder installs globally, with their specs as written.
fn global_packages(file: &Dockerfile, a: &Analysis) -> Vec<GlobalPackage> {
    let mut out = Vec::new();
    for rc in &a.run_commands {
        let c = &rc.command;
        let args = c.args();
        let specs: Vec<&String> = match c.program() {
            "npm" | "pnpm" if is_global(args) => {
                let value_options: &[&str] = if c.program() == "npm" {
                    NPM_VALUE_OPTIONS
                } else {
                    PNPM_VALUE_OPTIONS
                };
                match subcommand(args, value_options) {
                    Some((i, "install" | "i" | "add")) => args[i + 1..]
                        .iter()
                        .filter(|w| !w.starts_with('-'))
                        .collect(),
                    _ => Vec::new(),
                }
            }
            "yarn" => match subcommand(args, YARN_VALUE_OPTIONS) {
                Some((i, "global")) if args.get(i + 1).map(String::as_str) == Some("add") => args
                    [i + 2..]
                    .iter()
                    .filter(|w| !w.starts_with('-'))
                    .collect(),
                _ => Vec::new(),
            },
            _ => Vec::new(),
        };
        for spec in specs {
            out.push(GlobalPackage {
                name: package_name(spec),
                spec: spec.clone(),
                line: file.instructions[rc.index].line,
                cwd: rc.cwd.clone(),
            });
        }
    }
    out
}

/// Install-time scripts run in the app folder; one that writes somewhere
/// else (`cp x /etc/app/`) makes files the final stage would not get.
fn lifecycle_scripts_stay_inside(
    manifest: &Manifest,
    app_dir: &str,
    line: usize,
    a: &mut Analysis,
) -> bool {
    for name in ["preinstall", "install", "postinstall", "prepare"] {
        let Some(script) = manifest.script(name) else {
            continue;
        };
        let mut cwd = app_dir.to_string();
        for c in shell::commands(&script) {
            let program = c.program();
            if program == "cd" {
                cwd = absolute(&cwd, c.args().first().map_or("/", String::as_str));
                continue;
            }
            let mut targets: Vec<String> = c.writes.clone();
            let operands: Vec<&String> = c.args().iter().filter(|x| !x.starts_with('-')).collect();
            match program {
                "cp" | "mv" | "ln" | "install" => {
                    targets.extend(operands.last().map(|s| s.to_string()))
                }
                "mkdir" | "touch" | "rm" => targets.extend(operands.iter().map(|s| s.to_string())),
                "chmod" | "chown" => targets.extend(operands.iter().skip(1).map(|s| s.to_string())),
                _ => {}
            }
            for t in targets {
                let path = absolute(&cwd, &t);
                if t.contains('$') || path.starts_with("/tmp") || path.starts_with("/dev/") {
                    continue;
                }
                if !is_under(&path, app_dir) {
                    a.block(
                        line,
                        format!(
                            "package.json's {name} script (`{}`) writes {path}, outside the app folder {app_dir} the final stage gets",
                            c.words.join(" ")
                        ),
                    );
                    return false;
                }
            }
        }
    }
    true
}

/// Browsers a dependency's install script or a build command downloads
/// into the build user's home (`/root/.cache/puppeteer`): the final stage
/// gets the app folder and runs as another user, so the app would not find
/// them. Fine when the download is turned off or moved into the app folder.
#[allow(clippy::too_many_arguments)]
fn home_downloads(
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

/// Yarn 2+ (berry): a `.yarnrc.yml`, a `packageManager` of yarn@2 or
/// later, or a berry lockfile.
fn is_berry(a: &Analysis, app_dir: &str, manifest: &Manifest, context: &BuildContext) -> bool {
    if let Some((name, version)) = manifest.package_manager()
        && name == "yarn"
    {
        return !version.starts_with("1.");
    }
    if context_file_for(a, &format!("{app_dir}/.yarnrc.yml"), context).is_some() {
        return true;
    }
    context_file_for(a, &format!("{app_dir}/yarn.lock"), context)
        .and_then(|p| context.read_small(&p))
        .is_some_and(|t| t.contains("__metadata:"))
}

/// The Yarn 2+ major, from `packageManager` or the checked-in release.
fn berry_major(manifest: &Manifest, yarnrc: &str) -> Option<u32> {
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

fn yarnrc_text(a: &Analysis, app_dir: &str, context: &BuildContext) -> String {
    context_file_for(a, &format!("{app_dir}/.yarnrc.yml"), context)
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

/// npm packages that load a system library at run time.
fn dependency_libs(manifest: &Manifest, pack: &LanguagePack, a: &mut Analysis) {
    let Some(family) = a.builder.as_ref().map(|b| b.family) else {
        return;
    };
    for dep in manifest.deps("dependencies") {
        let Some(libs) = pack.requirement_libs.get(&dep) else {
            continue;
        };
        let names = match family {
            Family::Alpine => &libs.alpine,
            _ => &libs.debian,
        };
        for name in names {
            if !a.runtime_packages.iter().any(|p| &p.name == name) {
                a.runtime_packages
                    .push(crate::analyse::packages::RuntimePackage {
                        name: name.clone(),
                        why: format!("package.json depends on {dep}, which loads it at run time"),
                    });
            }
        }
    }
}

/// What the container's commands need, found by following ENTRYPOINT,
/// CMD, HEALTHCHECK, entrypoint scripts and package scripts.
#[derive(Debug, Default)]
struct RuntimeUses {
    /// Why dev dependencies are needed at run time (the first reason).
    dev_deps: Option<String>,
    /// Global packages to install again, as written, with why.
    globals: Vec<(String, String)>,
    /// A development server: the file is skipped.
    dev_server: Option<(usize, String)>,
    /// A command msb cannot place: the file is skipped.
    unknown: Option<(usize, String)>,
    /// The folder a static server serves, if the command is one.
    static_folder: Option<String>,
    /// `next start` runs.
    next_start: bool,
    /// The `.next/standalone` folder whose server.js runs.
    standalone: Option<String>,
    /// Why the command needs files of the app folder (a script it runs).
    app_files: Vec<String>,
    /// A package manager runs (`npm start`): package.json and npm needed.
    package_scripts: bool,
    /// yarn or pnpm run, and no global install provides them: (program,
    /// line, what).
    managers: Vec<(String, usize, String)>,
    /// Every program name seen.
    programs: Vec<String>,
    /// The arguments of `next start` after `start`.
    next_start_args: Option<Vec<String>>,
    /// Warnings about what the command runs.
    notes: Vec<String>,
}

struct RuntimeWalk<'x> {
    file: &'x Dockerfile,
    context: &'x BuildContext,
    rules: &'x NodeRules,
    k: &'x Knowledge,
    a: &'x Analysis,
    manifest: &'x Manifest,
    globals: &'x [GlobalPackage],
    app_dir: &'x str,
    /// The folder the final stage copies whole (the app's WORKDIR).
    app_root: String,
    /// The line of the instruction being followed.
    line: usize,
    /// ENTRYPOINT/CMD: an unknown program there is an error.
    top: bool,
    /// The instruction index being followed (for script lookup).
    index: usize,
    visited_scripts: Vec<String>,
    uses: RuntimeUses,
}

impl<'x> RuntimeWalk<'x> {
    #[allow(clippy::too_many_arguments)]
    fn new(
        file: &'x Dockerfile,
        context: &'x BuildContext,
        rules: &'x NodeRules,
        k: &'x Knowledge,
        a: &'x Analysis,
        manifest: &'x Manifest,
        globals: &'x [GlobalPackage],
        app_dir: &'x str,
    ) -> Self {
        RuntimeWalk {
            file,
            context,
            rules,
            k,
            a,
            manifest,
            globals,
            app_dir,
            app_root: app_dir.to_string(),
            line: 0,
            top: false,
            index: 0,
            visited_scripts: Vec::new(),
            uses: RuntimeUses::default(),
        }
    }

    fn run(&mut self) {
        let last = |kw: Keyword| self.file.instructions.iter().rposition(|i| i.keyword == kw);
        let entrypoint = last(Keyword::Entrypoint);
        let mut cmd = last(Keyword::Cmd);
        // With an ENTRYPOINT, CMD is its arguments. A program
        // (`ENTRYPOINT ["node"]` + `CMD ["server.js"]`, `["strapi"]` +
        // `["start"]`) is followed with them; a shell script or an init
        // (tini) hands over to CMD, which is followed on its own; a
        // shell-form ENTRYPOINT ignores CMD.
        let mut combined = false;
        if let Some(e) = entrypoint {
            let ins = &self.file.instructions[e];
            match &ins.exec {
                None => cmd = None,
                Some(words) => {
                    if !self.hands_over(words, e) {
                        let mut all = words.clone();
                        if let Some(c) = cmd
                            && let Some(args) = &self.file.instructions[c].exec
                        {
                            all.extend(args.iter().cloned());
                        }
                        self.line = ins.line;
                        self.index = e;
                        self.top = true;
                        let what = format!("line {}: ENTRYPOINT", ins.line);
                        let c = Command {
                            words: all,
                            ..Command::default()
                        };
                        self.command(&c, &what, 0);
                        cmd = None;
                        combined = true;
                    }
                }
            }
        }
        let mut targets = Vec::new();
        if let Some(e) = entrypoint
            && !combined
        {
            targets.push(e);
        }
        if let Some(c) = cmd {
            targets.push(c);
        }
        for index in targets {
            let ins = &self.file.instructions[index];
            self.line = ins.line;
            self.index = index;
            self.top = true;
            let what = format!("line {}: {}", ins.line, ins.keyword.as_str());
            match &ins.exec {
                Some(words) => {
                    let mut words = words.clone();
                    // The node image's docker-entrypoint.sh runs
                    // `CMD ["server.js"]` (or `["--inspect", ...]`) with node.
                    if entrypoint.is_none()
                        && words.first().is_some_and(|w| {
                            w.starts_with('-')
                                || [".js", ".mjs", ".cjs"].iter().any(|e| w.ends_with(e))
                        })
                    {
                        words.insert(0, "node".to_string());
                    }
                    let c = Command {
                        words,
                        ..Command::default()
                    };
                    self.command(&c, &what, 0);
                }
                None => {
                    for c in shell::commands(&ins.args) {
                        self.command(&c, &what, 0);
                    }
                }
            }
        }
        // `ENV NODE_OPTIONS="-r dotenv/config"`: every node preloads it.
        let node_options = self.file.instructions.iter().rev().find_map(|ins| {
            (ins.keyword == Keyword::Env)
                .then(|| crate::analyse::env_pairs(&ins.args))?
                .into_iter()
                .find(|(n, _)| n == "NODE_OPTIONS")
                .map(|(_, v)| (ins.line, v))
        });
        if let Some((line, options)) = node_options {
            let words: Vec<String> = options
                .split_whitespace()
                .map(|w| w.trim_matches(['"', '\'']).to_string())
                .collect();
            self.line = line;
            let what = format!("line {line}: ENV NODE_OPTIONS");
            self.preloads(&words, &what);
        }
        if let Some(index) = last(Keyword::Healthcheck) {
            let ins = &self.file.instructions[index];
            let args = ins.args.trim();
            if let Some(body) = args
                .get(..3)
                .filter(|w| w.eq_ignore_ascii_case("CMD"))
                .map(|_| args[3..].trim())
            {
                self.line = ins.line;
                self.index = index;
                self.top = false;
                let what = format!("line {}: HEALTHCHECK", ins.line);
                let commands = match crate::parse::parse_exec(body) {
                    Some(words) => vec![Command {
                        words,
                        ..Command::default()
                    }],
                    None => shell::commands(body),
                };
                for c in commands {
                    self.command(&c, &what, 0);
                }
            }
        }
    }

    /// Whether an exec-form ENTRYPOINT runs CMD as a command of its own
    /// (an init such as tini, a shell, a shell script that ends in
    /// `exec "$@"`), rather than taking CMD as its arguments.
    fn hands_over(&self, words: &[String], index: usize) -> bool {
        let Some(first) = words.first() else {
            return true;
        };
        let name = crate::analyse::basename(first);
        let shell = self.k.commands.shells.iter().any(|s| s == name);
        // `ENTRYPOINT ["/bin/sh", "-c"]`: CMD is the script it runs.
        if shell && words.last().is_some_and(|w| w == "-c") {
            return false;
        }
        if self.rules.commands.inits.iter().any(|i| i == name) || shell || name.ends_with(".sh") {
            return true;
        }
        let Some(source) = script_in_context(self.a, first, index, self.context) else {
            // A program known to take arguments: node, npm, a bin of the
            // app's dependencies or of a global install. Anything else
            // may be a script that runs CMD: followed on its own.
            let package = package_of_bin(self.rules, name);
            let takes_args = ["node", "nodejs", "npm", "npx", "yarn", "yarnpkg", "pnpm"]
                .contains(&name)
                || first.contains("node_modules/.bin/")
                || self.manifest.has_dep(&package)
                || self.manifest.has_dev_dep(&package)
                || self.globals.iter().any(|g| {
                    g.name == package || self.local_global_bins(g).iter().any(|b| b == name)
                });
            return !takes_args;
        };
        let text = self.context.read_small(&source).unwrap_or_default();
        let line = text.lines().next().unwrap_or("");
        !line.starts_with("#!")
            || self.k.commands.shells.iter().any(|s| {
                line.ends_with(&format!("/{s}"))
                    || line.contains(&format!("/{s} "))
                    || line.ends_with(&format!(" {s}"))
            })
    }

    fn command(&mut self, c: &Command, what: &str, depth: usize) {
        if depth > 6 {
            return;
        }
        let wrappers = &self.k.commands.wrappers;
        let mut words: Vec<String> = c.words.clone();
        // `exec node x`, `cross-env NODE_ENV=production node x`.
        loop {
            let Some(first) = words.first() else {
                return;
            };
            let name = crate::analyse::basename(first).to_string();
            if wrappers.contains(&name) {
                words.remove(0);
            } else if self.rules.commands.wrappers.contains(&name) {
                self.local_bin(&name, &[], what);
                words.remove(0);
                while words
                    .first()
                    .is_some_and(|w| w.contains('=') || w.starts_with('-'))
                {
                    words.remove(0);
                }
            } else {
                break;
            }
        }
        let Some(first) = words.first().cloned() else {
            return;
        };
        if first.starts_with('$') || first.starts_with('"') {
            return; // `exec "$@"`: the CMD, followed on its own.
        }
        let program = crate::analyse::basename(&first).to_string();
        let args: Vec<String> = words[1..].to_vec();
        self.uses.programs.push(program.clone());
        let shells = &self.k.commands.shells;
        if shells.contains(&program) {
            if let Some(pos) = args.iter().position(|w| w == "-c")
                && let Some(script) = args.get(pos + 1)
            {
                for inner in shell::commands(script) {
                    self.command(&inner, what, depth + 1);
                }
            } else if let Some(path) = args.first() {
                self.script_file(path, what, depth);
            }
            return;
        }
        if let Some(server) = self.dev_server(&program, &args) {
            self.uses.dev_server.get_or_insert((
                self.line,
                format!(
                    "{what} runs the development server `{server}`: the image is a development environment that needs the whole toolchain"
                ),
            ));
            return;
        }
        self.process_manager(&program, &args, what, depth);
        match program.as_str() {
            "node" | "nodejs" => self.node(&args, what),
            "npm" => self.npm(&args, what, depth),
            "yarn" | "yarnpkg" => self.yarn(&args, what, depth),
            "pnpm" => self.pnpm(&args, what, depth),
            "npx" => {
                self.uses.package_scripts = true;
                self.npx(&args, what);
            }
            _ if first.contains('/') => self.path_program(&first, &args, what, depth),
            _ => self.named_program(&program, &args, what),
        }
    }

    /// A development server the words start, if they do.
    fn dev_server(&self, program: &str, args: &[String]) -> Option<String> {
        let sub = subcommand(args, &[]).map(|(_, s)| s);
        self.rules
            .commands
            .dev_servers
            .iter()
            .find(|d| {
                let mut parts = d.split_whitespace();
                let p = parts.next().unwrap_or("");
                if p != program {
                    return false;
                }
                match parts.next() {
                    None => sub.is_none(),
                    Some(s) => sub == Some(s),
                }
            })
            .cloned()
    }

    /// The modules node options preload (`-r ts-node/register`).
    fn preloads(&mut self, args: &[String], what: &str) {
        let mut iter = args.iter();
        while let Some(arg) = iter.next() {
            if let Some(module) = preloaded_module(arg, &mut iter) {
                self.module(module, what);
            }
        }
    }

    fn node(&mut self, args: &[String], what: &str) {
        let mut iter = args.iter();
        while let Some(arg) = iter.next() {
            if let Some(module) = preloaded_module(arg, &mut iter) {
                self.module(module, what);
                continue;
            }
            // Other options, and a preload flag with nothing after it.
            if arg.starts_with('-') {
                continue;
            }
            let path = absolute(self.a.workdir_at(self.index), arg);
            if path.contains("/.next/standalone/") && path.ends_with("/server.js") {
                let folder = path.trim_end_matches("/server.js").to_string();
                self.uses.standalone.get_or_insert(folder);
            } else if is_under(&path, &self.app_root)
                || self
                    .a
                    .copies
                    .iter()
                    .any(|c| c.roots.iter().any(|r| is_under(&path, r)))
            {
                self.uses.app_files.push(format!("{what} runs node {arg}"));
            } else if !arg.contains('$') {
                self.uses.unknown.get_or_insert((
                    self.line,
                    format!(
                        "{what} runs node {arg}, outside the app folder {}: msb cannot tell what makes {path}",
                        self.app_root
                    ),
                ));
            }
            return;
        }
    }

    /// A module node preloads (`-r ts-node/register`).
    fn module(&mut self, module: &str, what: &str) {
        if module.starts_with('.') || module.starts_with('/') {
            self.uses
                .app_files
                .push(format!("{what} preloads {module}"));
            return;
        }
        let mut parts = module.split('/');
        let first = parts.next().unwrap_or(module);
        let name = if first.starts_with('@') {
            format!("{first}/{}", parts.next().unwrap_or(""))
        } else {
            first.to_string()
        };
        self.package(&name, what, &format!("node preloads {module}"));
    }

    /// A dependency the command needs, by package name.
    fn package(&mut self, name: &str, what: &str, how: &str) {
        if self.manifest.has_dev_dep(name) {
            self.uses
                .dev_deps
                .get_or_insert(format!("{what}: {how}, from the dev dependency {name}"));
        }
        self.peers(name, what);
    }

    /// Packages a tool loads when it runs (ts-node loads typescript and
    /// the @types packages): a dev dependency among them must stay.
    fn peers(&mut self, package: &str, what: &str) {
        let Some(patterns) = self.rules.runtime_peers.get(package) else {
            return;
        };
        let dev = self.manifest.deps("devDependencies");
        if let Some(peer) = patterns.iter().find_map(|p| {
            dev.iter()
                .find(|d| !self.manifest.has_dep(d) && glob_match(p, d))
        }) {
            self.uses.dev_deps.get_or_insert(format!(
                "{what} runs {package}, which loads the dev dependency {peer} at run time"
            ));
        }
    }

    fn npm(&mut self, args: &[String], what: &str, depth: usize) {
        self.uses.package_scripts = true;
        let Some((i, sub)) = subcommand(args, NPM_VALUE_OPTIONS) else {
            return;
        };
        match sub {
            "start" | "stop" | "restart" | "test" | "t" => self.package_script(sub, what, depth),
            "run" | "run-script" | "rum" | "urn" => {
                if let Some((_, name)) = subcommand(&args[i + 1..], &[]) {
                    self.package_script(name, what, depth)
                }
            }
            "exec" | "x" => self.npx(&args[i + 1..], what),
            _ => {}
        }
    }

    /// yarn or pnpm at run time: a global install of the builder, or the
    /// one the node image bundles, or corepack's (sorted out later).
    fn manager_program(&mut self, program: &str, what: &str) {
        if !self.global(program, what) && !self.uses.managers.iter().any(|(p, _, _)| p == program) {
            self.uses
                .managers
                .push((program.to_string(), self.line, what.to_string()));
        }
    }

    fn yarn(&mut self, args: &[String], what: &str, depth: usize) {
        self.uses.package_scripts = true;
        self.manager_program("yarn", what);
        let Some((i, sub)) = subcommand(args, YARN_VALUE_OPTIONS) else {
            return;
        };
        match sub {
            "run" => {
                if let Some((_, name)) = subcommand(&args[i + 1..], &[]) {
                    self.package_script(name, what, depth)
                }
            }
            "node" => self.node(&args[i + 1..], what),
            "exec" | "dlx" => self.npx(&args[i + 1..], what),
            s if self.rules.commands.npm_builtins.iter().any(|b| b == s) => {}
            name => self.package_script(name, what, depth),
        }
    }

    fn pnpm(&mut self, args: &[String], what: &str, depth: usize) {
        self.uses.package_scripts = true;
        self.manager_program("pnpm", what);
        let Some((i, sub)) = subcommand(args, PNPM_VALUE_OPTIONS) else {
            return;
        };
        match sub {
            "start" | "test" | "t" => self.package_script(sub, what, depth),
            "run" | "run-script" => {
                if let Some((_, name)) = subcommand(&args[i + 1..], &[]) {
                    self.package_script(name, what, depth)
                }
            }
            "exec" | "dlx" => self.npx(&args[i + 1..], what),
            s if self.rules.commands.npm_builtins.iter().any(|b| b == s) => {}
            name => self.package_script(name, what, depth),
        }
    }

    /// `npx X args`: a local bin, a global one, or a download.
    fn npx(&mut self, args: &[String], what: &str) {
        let mut i = 0;
        while i < args.len() {
            let a = &args[i];
            if a == "-p" || a == "--package" {
                i += 2;
            } else if a.starts_with('-') {
                i += 1;
            } else {
                break;
            }
        }
        if let Some(name) = args.get(i) {
            let name = package_name(name);
            let rest = &args[i + 1..];
            if let Some(server) = self.dev_server(&name, rest) {
                self.uses.dev_server.get_or_insert((
                    self.line,
                    format!(
                        "{what} runs the development server `{server}`: the image is a development environment that needs the whole toolchain"
                    ),
                ));
                return;
            }
            self.local_bin(&name, rest, what);
        }
    }

    /// A program from node_modules/.bin (a package script, npx).
    fn local_bin(&mut self, bin: &str, args: &[String], what: &str) {
        let package = package_of_bin(self.rules, bin);
        if package == "next" && args.first().map(String::as_str) == Some("start") {
            self.uses.next_start = true;
            self.uses.next_start_args.get_or_insert(args[1..].to_vec());
            self.next_config_modules(what);
        } else if !self.rules.commands.wrappers.contains(&package) {
            // Tools run in the app folder and read its files.
            self.uses
                .app_files
                .push(format!("{what} runs {bin} in the app folder"));
        }
        if self.rules.commands.watchers.contains(&package) {
            self.watcher(bin, what);
        }
        if self.manifest.has_dev_dep(&package) {
            self.uses.dev_deps.get_or_insert(format!(
                "{what} runs {bin}, from the dev dependency {package}"
            ));
            return;
        }
        self.peers(&package, what);
        if self.manifest.has_dep(&package) {
            return;
        }
        if self.global(bin, what) {
            return;
        }
        // Maybe a dependency of a dependency; if it comes with a dev
        // dependency, pruning would remove it.
        if !self.manifest.deps("devDependencies").is_empty() {
            self.uses.dev_deps.get_or_insert(format!(
                "{what} runs {bin}, which package.json does not list: it may come with a dev dependency"
            ));
        }
    }

    /// `next start` loads the Next config, and what it imports
    /// (`@next/bundle-analyzer`, often a dev dependency).
    fn next_config_modules(&mut self, what: &str) {
        for name in &self.rules.next.configs {
            let path = format!("{}/{name}", self.app_dir);
            let Some(source) = context_file_for(self.a, &path, self.context) else {
                continue;
            };
            let Some(text) = self.context.read_small(&source) else {
                continue;
            };
            // Next 15.4+ compiles next.config.ts with typescript at start.
            if let Some(package) = self.rules.next.config_needs.get(name) {
                self.package(
                    package,
                    what,
                    &format!("next start compiles {name} with {package}"),
                );
            }
            for module in imported_modules(&text) {
                if let Some(package) = bare_package(&module) {
                    self.package(
                        &package,
                        what,
                        &format!("next start loads {name}, which imports {module}"),
                    );
                }
            }
        }
    }

    /// A file watcher (nodemon): kept as it is, since `node` would exit
    /// where it waits for a change, but worth a word.
    fn watcher(&mut self, bin: &str, what: &str) {
        let note = format!(
            "{what} runs {bin}, a development file watcher: nothing changes in an image, so `node` would do, except that {bin} waits instead of exiting when the app crashes; msb keeps {bin}"
        );
        if !self.uses.notes.contains(&note) {
            self.uses.notes.push(note);
        }
    }

    /// A program a global install provides: installed again in the final
    /// stage with the same spec.
    fn global(&mut self, bin: &str, what: &str) -> bool {
        let package = package_of_bin(self.rules, bin);
        // `npm install -g .`: the app's own command, linked from the
        // builder's global node_modules into the app folder.
        if let Some(g) = self
            .globals
            .iter()
            .rev()
            .find(|g| !g.is_registry() && self.local_global_bins(g).iter().any(|b| b == bin))
        {
            self.uses.unknown.get_or_insert((
                self.line,
                format!(
                    "{what} runs {bin}, which line {} installs globally from the app folder (`{}`): the command is a link in the builder's global node_modules, which msb does not carry to the final stage",
                    g.line, g.spec
                ),
            ));
            return true;
        }
        let Some(g) = self
            .globals
            .iter()
            .rev()
            .find(|g| g.name == package && g.is_registry())
        else {
            return false;
        };
        if self.rules.commands.watchers.contains(&package) {
            self.watcher(bin, what);
        }
        if !self.uses.globals.iter().any(|(s, _)| *s == g.spec) {
            self.uses.globals.push((
                g.spec.clone(),
                format!("{what} runs {bin}, which line {} installs globally", g.line),
            ));
        }
        true
    }

    /// The commands a global install of a folder provides: the `bin` of
    /// the app's package.json when the folder is the app.
    fn local_global_bins(&self, g: &GlobalPackage) -> Vec<String> {
        let spec = g.spec.strip_prefix("file:").unwrap_or(&g.spec);
        if absolute(&g.cwd, spec).trim_end_matches('/') != self.app_dir {
            return Vec::new();
        }
        match self.manifest.json.get("bin") {
            Some(Value::String(_)) => {
                let name = self
                    .manifest
                    .json
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                vec![crate::analyse::basename(name).to_string()]
            }
            Some(Value::Object(o)) => o.keys().cloned().collect(),
            _ => Vec::new(),
        }
    }

    fn package_script(&mut self, name: &str, what: &str, depth: usize) {
        if self.visited_scripts.iter().any(|s| s == name) {
            return;
        }
        self.visited_scripts.push(name.to_string());
        for full in [
            format!("pre{name}"),
            name.to_string(),
            format!("post{name}"),
        ] {
            let script = match self.manifest.script(&full) {
                Some(s) => s,
                // npm's default start script.
                None if full == "start" => "node server.js".to_string(),
                None => continue,
            };
            let inner_what = format!("{what} → script {full} (`{script}`)");
            for c in shell::commands(&script) {
                self.package_command(&c, &inner_what, depth + 1);
            }
        }
    }

    /// A command of a package script: node_modules/.bin is on its PATH.
    fn package_command(&mut self, c: &Command, what: &str, depth: usize) {
        let Some(first) = c.words.first() else {
            return;
        };
        let program = crate::analyse::basename(first).to_string();
        let known = ["node", "nodejs", "npm", "yarn", "yarnpkg", "pnpm", "npx"];
        if first.contains('/')
            || known.contains(&program.as_str())
            || self.k.commands.shells.contains(&program)
            || self.k.commands.wrappers.contains(&program)
            || self.rules.commands.wrappers.contains(&program)
        {
            self.command(c, what, depth);
            return;
        }
        if self.k.commands.housekeeping.contains(&program) {
            return;
        }
        if let Some(server) = self.dev_server(&program, c.args()) {
            self.uses.dev_server.get_or_insert((
                self.line,
                format!(
                    "{what} runs the development server `{server}`: the image is a development environment that needs the whole toolchain"
                ),
            ));
            return;
        }
        self.uses.programs.push(program.clone());
        self.process_manager(&program, c.args(), what, depth);
        self.local_bin(&program, c.args(), what);
    }

    /// A process manager (pm2-runtime) runs a script, a package manager
    /// (`pm2-runtime npm -- start`) or the apps of a config file: the
    /// script is the app's, the package manager's command is followed,
    /// and a config file's apps, which msb does not read, keep the dev
    /// dependencies.
    fn process_manager(&mut self, program: &str, args: &[String], what: &str, depth: usize) {
        let package = package_of_bin(self.rules, program);
        if !self.rules.commands.process_managers.contains(&package) {
            return;
        }
        let value_options = [
            "--name",
            "-n",
            "--env",
            "-i",
            "--instances",
            "--interpreter",
            "--node-args",
            "--cwd",
            "--log",
            "-o",
            "-e",
            "--output",
            "--error",
            "--max-memory-restart",
            "--uid",
            "--gid",
            "-c",
            "--cron",
            "--public",
            "--secret",
            "--machine-name",
        ];
        let mut rest: &[String] = args;
        if let Some((i, "start")) = subcommand(rest, &value_options) {
            rest = &rest[i + 1..];
        }
        let Some((i, target)) = subcommand(rest, &value_options) else {
            return;
        };
        let interpreter = has_flag(rest, &["--interpreter"])
            || rest.iter().any(|w| w.starts_with("--interpreter="));
        // pm2 reads `ecosystem.config.js`, `process.yml`, `*.json` as a
        // config of apps; another .js file is a script it runs.
        let name = crate::analyse::basename(target);
        let config = name.contains("ecosystem")
            || name.contains(".config.")
            || name.starts_with("process.")
            || [".json", ".yml", ".yaml"].iter().any(|e| name.ends_with(e));
        let script = !config && [".js", ".cjs", ".mjs"].iter().any(|e| name.ends_with(e));
        if script && !interpreter {
            self.uses
                .app_files
                .push(format!("{what} runs {program} {target}"));
            return;
        }
        if matches!(target, "npm" | "yarn" | "pnpm") && !interpreter {
            let mut words = vec![target.to_string()];
            let after = &rest[i + 1..];
            let after = match after.iter().position(|w| w == "--") {
                Some(p) => &after[p + 1..],
                None => after,
            };
            words.extend(after.iter().cloned());
            let c = Command {
                words,
                ..Command::default()
            };
            self.command(&c, what, depth + 1);
            return;
        }
        self.uses
            .app_files
            .push(format!("{what} runs {program} {target}"));
        self.uses.dev_deps.get_or_insert(format!(
            "{what} runs {program} {target}, and msb does not read which apps and interpreters that starts"
        ));
    }

    /// `./start.sh`, `/app/node_modules/.bin/next`, `/usr/local/bin/x`.
    fn path_program(&mut self, path: &str, args: &[String], what: &str, depth: usize) {
        let abs = absolute(self.a.workdir_at(self.index), path);
        if let Some((_, bin)) = abs.rsplit_once("/node_modules/.bin/") {
            self.local_bin(bin, args, what);
            return;
        }
        self.script_file(path, what, depth);
    }

    /// A script the command runs: followed when it is a shell script from
    /// the build context.
    fn script_file(&mut self, path: &str, what: &str, depth: usize) {
        let abs = absolute(self.a.workdir_at(self.index), path);
        if is_under(&abs, &self.app_root) {
            self.uses.app_files.push(format!("{what} runs {path}"));
        }
        let Some(source) = script_in_context(self.a, path, self.index, self.context) else {
            let name = crate::analyse::basename(&abs);
            if self.top
                && !is_under(&abs, &self.app_root)
                && !self.a.is_copied(&abs)
                && !self.known_program(name)
            {
                let made = self
                    .a
                    .copies
                    .iter()
                    .any(|c| c.roots.iter().any(|r| is_under(&abs, r)));
                if !made {
                    self.uses.unknown.get_or_insert((
                        self.line,
                        format!("{what} runs {path}, which msb cannot find in the build"),
                    ));
                }
            }
            return;
        };
        let Some(text) = self.context.read_small(&source) else {
            return;
        };
        let first = text.lines().next().unwrap_or("");
        let is_shell = !first.starts_with("#!")
            || self
                .k
                .commands
                .shells
                .iter()
                .any(|s| first.ends_with(&format!("/{s}")) || first.contains(&format!(" {s}")));
        if !is_shell {
            return;
        }
        let top = self.top;
        self.top = false;
        let inner_what = format!("{source} ({what})");
        for c in shell::commands(&text) {
            self.command(&c, &inner_what, depth + 1);
        }
        self.top = top;
    }

    /// A program the final stage has: the node image's, a shell or
    /// coreutil, a tool msb installs for a runtime command, or a package the
    /// build installs (tini, dumb-init).
    fn known_program(&self, program: &str) -> bool {
        self.rules
            .commands
            .image_programs
            .iter()
            .any(|p| p == program)
            || self.k.commands.housekeeping.iter().any(|p| p == program)
            || self.k.commands.shells.iter().any(|p| p == program)
            || self.k.commands.runtime_tools.contains_key(program)
            || self.a.installed_packages.iter().any(|p| p == program)
    }

    /// A program found through PATH.
    fn named_program(&mut self, program: &str, args: &[String], what: &str) {
        if self
            .rules
            .commands
            .static_servers
            .iter()
            .any(|s| s == program)
        {
            let value_options: Vec<&str> = self
                .rules
                .commands
                .static_server_value_options
                .iter()
                .map(String::as_str)
                .collect();
            let folder = subcommand(args, &value_options)
                .map(|(_, f)| f.to_string())
                .unwrap_or_else(|| ".".to_string());
            let folder = absolute(self.a.workdir_at(self.index), &folder);
            if self.uses.static_folder.is_none() {
                self.uses.static_folder = Some(folder);
            }
        }
        if self.global(program, what) {
            return;
        }
        let path_has_bin = self
            .a
            .env
            .get("PATH")
            .is_some_and(|p| p.contains("node_modules/.bin"));
        if path_has_bin
            && !self
                .rules
                .commands
                .image_programs
                .iter()
                .any(|p| p == program)
        {
            self.local_bin(program, args, what);
            return;
        }
        // A file the build copies onto PATH (`COPY mytool /usr/local/bin/`).
        let known = self.known_program(program)
            || script_in_context(self.a, program, self.index, self.context).is_some();
        if !known && self.top {
            let why = match self.globals.iter().find(|g| !g.is_registry()) {
                Some(g) => format!(
                    "{what} runs `{program}`, which is not in the node image; line {} installs {} globally, and msb cannot tell which commands that gives or carry it to the final stage",
                    g.line, g.spec
                ),
                None => format!(
                    "{what} runs `{program}`, which is neither in the node image nor installed by the build: cannot tell what the runtime needs"
                ),
            };
            self.uses.unknown.get_or_insert((self.line, why));
        }
    }
}

/// The modules a JavaScript file imports: `require('x')`, `import('x')`,
/// `from 'x'`.
fn imported_modules(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for opener in ["require(", "import(", "from "] {
        let mut rest = text;
        while let Some(pos) = rest.find(opener) {
            rest = &rest[pos + opener.len()..];
            let trimmed = rest.trim_start();
            let Some(quote) = trimmed
                .chars()
                .next()
                .filter(|c| matches!(c, '\'' | '"' | '`'))
            else {
                continue;
            };
            let body = &trimmed[1..];
            if let Some(end) = body.find(quote) {
                let module = &body[..end];
                if !module.is_empty() && !out.iter().any(|m| m == module) {
                    out.push(module.to_string());
                }
            }
        }
    }
    out
}

/// The npm package that provides a program (`tsc` → `typescript`): named
/// in node.toml where the names differ, else the program's own name.
fn package_of_bin(rules: &NodeRules, bin: &str) -> String {
    rules
        .bins
        .get(bin)
        .cloned()
        .unwrap_or_else(|| bin.to_string())
}

/// The module a node preload option names (`-r dotenv/config`,
/// `--import=tsx`), taking the next argument when the option stands alone;
/// None for any other argument. NODE_OPTIONS and node's own arguments
/// take the same options.
fn preloaded_module<'w>(arg: &'w str, rest: &mut std::slice::Iter<'w, String>) -> Option<&'w str> {
    const PRELOAD_OPTIONS: &[&str] =
        &["--require", "--loader", "--import", "--experimental-loader"];
    if arg == "-r" || PRELOAD_OPTIONS.contains(&arg) {
        return rest.next().map(String::as_str);
    }
    let (option, module) = arg.split_once('=')?;
    PRELOAD_OPTIONS.contains(&option).then_some(module)
}

/// The npm package of a bare module specifier (`@next/mdx/x` →
/// `@next/mdx`); None for a relative path or a Node built-in.
fn bare_package(module: &str) -> Option<String> {
    if module.starts_with('.') || module.starts_with('/') || module.starts_with("node:") {
        return None;
    }
    let mut parts = module.split('/');
    let first = parts.next()?;
    if first.starts_with('@') {
        Some(format!("{first}/{}", parts.next()?))
    } else {
        Some(first.to_string())
    }
}

/// What the final stage copies, and why.
#[allow(clippy::too_many_arguments)]
fn choose_layout(
    file: &Dockerfile,
    context: &BuildContext,
    rules: &NodeRules,
    a: &Analysis,
    uses: &RuntimeUses,
    app_dir: &str,
    manifest: &Manifest,
    installed: bool,
) -> (Layout, String) {
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
        && let Some((out, how)) = static_output(file, context, rules, a, app_dir, manifest)
        && is_under(folder, &format!("{app_dir}/{out}"))
    {
        return (
            Layout::StaticSite {
                folder: folder.clone(),
            },
            format!("the command only serves the files of {folder}, which {how} writes"),
        );
    }
    if uses.next_start && uses.app_files.is_empty() && installed {
        match next_app_unknowns(context, rules, a, app_dir) {
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
    let why = match uses.app_files.first() {
        Some(f) => format!("the app folder whole: {f}, and JavaScript reads its files at run time"),
        None => "the app folder whole: JavaScript apps read their sources, views and public files at run time".to_string(),
    };
    (Layout::AppFolder, why)
}

/// Whether a COPY brings the whole build context into the app folder.
fn whole_context_copy(a: &Analysis, app_dir: &str) -> bool {
    a.copies.iter().any(|c| {
        !c.manifest_only
            && c.pairs.iter().any(|(s, r)| {
                let s = s.trim_start_matches("./").trim_end_matches('/');
                (s == "." || s.is_empty()) && r == app_dir
            })
    })
}

/// Whether `.dockerignore` keeps a top-level context entry out of the
/// build (plain patterns; a file with `!` exceptions is handled by the
/// caller).
fn dockerignore(context: &BuildContext) -> impl Fn(&str) -> bool {
    let ignore = context.read_small(".dockerignore").unwrap_or_default();
    move |name: &str| {
        ignore.lines().any(|l| {
            let p = l.trim().trim_start_matches('/').trim_end_matches('/');
            !p.is_empty() && !p.starts_with('#') && glob_match(p, name)
        })
    }
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
        let path = format!("{app_dir}/{config}");
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

/// `Ok` when every entry of the build context that reaches the app folder
/// is compiled into `.next` or copied by the Next layout; else why not.
fn next_app_unknowns(
    context: &BuildContext,
    rules: &NodeRules,
    a: &Analysis,
    app_dir: &str,
) -> Result<(), String> {
    if let Some(config) = next_dist_dir(context, rules, a, app_dir) {
        return Err(format!(
            "{config} sets distDir, so next build writes somewhere other than .next"
        ));
    }
    if !whole_context_copy(a, app_dir) {
        return Err("the build copies chosen files, not the whole context".to_string());
    }
    let ignore = context.read_small(".dockerignore").unwrap_or_default();
    if ignore.lines().any(|l| l.trim_start().starts_with('!')) {
        return Err(".dockerignore has exceptions (`!`) msb does not follow".to_string());
    }
    let ignored = dockerignore(context);
    let next = &rules.next;
    for name in context.list(".") {
        if ignored(&name) {
            continue;
        }
        let known = next.compiled.iter().any(|g| glob_match(g, &name))
            || next.not_runtime.iter().any(|g| glob_match(g, &name))
            || next.configs.contains(&name)
            || name == "package.json"
            || name == "public"
            || name.starts_with(".env");
        if !known {
            let kind = if context.is_dir(&name) {
                format!("{name}/")
            } else {
                name.clone()
            };
            return Err(format!(
                "{kind} is not something Next compiles, and the app may read it at run time"
            ));
        }
    }
    for config in &next.configs {
        if let Some(text) = context.read_small(config)
            && imported_modules(&text)
                .iter()
                .any(|m| m.starts_with('.') || m.starts_with('/'))
        {
            return Err(format!("{config} loads other files of the app"));
        }
    }
    Ok(())
}

/// Leave only production dependencies in node_modules, when that is
/// known to be safe; say what happened.
#[allow(clippy::too_many_arguments)]
fn prune(
    file: &Dockerfile,
    context: &BuildContext,
    rules: &NodeRules,
    a: &mut Analysis,
    steps: &[InstallStep],
    manager: Option<Manager>,
    manifest: &Manifest,
    uses: &RuntimeUses,
    app_dir: &str,
    node_major: Option<u32>,
) -> String {
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
    if let Some(why) = &uses.dev_deps {
        a.warnings.push(format!(
            "dev dependencies are kept in the final stage: {why}"
        ));
        return format!("kept: {why}");
    }
    let keep = |a: &mut Analysis, why: String| {
        a.warnings.push(format!(
            "dev dependencies are kept in the final stage: {why}"
        ));
        format!("kept: {why}")
    };
    let last_build = a.last_build_index;
    let cwd_at_end = a.workdir_at(last_build).to_string();
    if install.cwd != cwd_at_end {
        return keep(
            a,
            format!(
                "they were installed in {} but the build ends in {cwd_at_end}",
                install.cwd
            ),
        );
    }
    let user_install = user_at(file, install.index);
    let user_end = user_at(file, last_build + 1);
    if user_install != user_end {
        return keep(
            a,
            format!(
                "line {} installs them as {user_install}, but the build ends as {user_end}, who may not remove them",
                install.line
            ),
        );
    }
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
            if context_file_for(a, &format!("{app_dir}/yarn.lock"), context).is_none() {
                return keep(
                    a,
                    "Yarn 1 cannot prune, and without a yarn.lock a production reinstall could resolve other versions".to_string(),
                );
            }
            if let Some(dep) = rules
                .install
                .generate_outside_package
                .iter()
                .find(|d| manifest.has_dep(d) || manifest.has_dev_dep(d))
            {
                return keep(
                    a,
                    format!(
                        "Yarn 1 prunes by reinstalling, which may drop what {dep}'s install scripts generated in node_modules"
                    ),
                );
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
                return keep(
                    a,
                    "`yarn workspaces focus --production` needs Yarn 4 or the workspace-tools plugin, which .yarnrc.yml does not list".to_string(),
                );
            }
            rules.prune.yarn_berry.clone()
        }
    };
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
        summary(&dev),
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

/// The artefacts of the layout, and what COPY put outside the app folder.
fn add_artefacts(
    file: &Dockerfile,
    context: &BuildContext,
    rules: &NodeRules,
    a: &mut Analysis,
    layout: &Layout,
    app_dir: &str,
) {
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
        Layout::NextApp => {
            let build_line = build_line(file, a, app_dir);
            a.add_artefact(
                build_line,
                &format!("{app_dir}/.next"),
                &format!("{app_dir}/.next"),
                format!(
                    "line {build_line}: next build's output; next start writes its cache there"
                ),
                true,
            );
            a.add_artefact(
                line,
                &format!("{app_dir}/node_modules"),
                &format!("{app_dir}/node_modules"),
                "the dependencies".to_string(),
                false,
            );
            a.add_artefact(
                line,
                &format!("{app_dir}/package.json"),
                &format!("{app_dir}/package.json"),
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
                let path = format!("{app_dir}/{name}");
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
    }
    outside_copies(file, a, app_dir, &writable_root);
}

/// What COPY put outside the app folder (an entrypoint script, config).
fn outside_copies(file: &Dockerfile, a: &mut Analysis, app_dir: &str, writable_root: &str) {
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

/// The Next config that sets `distDir` (next build then writes its
/// output, standalone server included, elsewhere than `.next`).
fn next_dist_dir(
    context: &BuildContext,
    rules: &NodeRules,
    a: &Analysis,
    app_dir: &str,
) -> Option<String> {
    rules.next.configs.iter().find_map(|name| {
        let source = context_file_for(a, &format!("{app_dir}/{name}"), context)?;
        let text = context.read_small(&source)?;
        text.lines()
            .any(|l| {
                let l = l.trim();
                !l.starts_with("//") && !l.starts_with('*') && l.contains("distDir")
            })
            .then(|| name.clone())
    })
}

/// Whether a Next config sets `output: 'standalone'` (on a line that is
/// not a comment).
fn sets_standalone(text: &str) -> bool {
    text.lines().any(|l| {
        let l = l.trim();
        !l.starts_with("//")
            && !l.starts_with('*')
            && l.contains("output")
            && (l.contains("'standalone'") || l.contains("\"standalone\""))
    })
}

/// `next start` of an app whose config makes the standalone server: the
/// `--unsafe` final stage runs `node server.js` from `.next/standalone`
/// with `.next/static` and `public` beside it, as Next documents for
/// containers. Unsafe: the image never ran that server, and the files it
/// traced may miss what the app loads at run time.
#[allow(clippy::too_many_arguments)]
fn standalone_alternative(
    file: &Dockerfile,
    context: &BuildContext,
    rules: &NodeRules,
    a: &Analysis,
    uses: &RuntimeUses,
    app_dir: &str,
    layout: &Layout,
) -> Option<UnsafeAlternative> {
    if !matches!(layout, Layout::NextApp | Layout::AppFolder)
        || !uses.next_start
        || !uses.app_files.is_empty()
        || a.final_workdir.as_deref() != Some(app_dir)
    {
        return None;
    }
    let config = rules.next.configs.iter().find_map(|name| {
        let source = context_file_for(a, &format!("{app_dir}/{name}"), context)?;
        let text = context.read_small(&source)?;
        sets_standalone(&text).then(|| name.clone())
    })?;
    if next_dist_dir(context, rules, a, app_dir).is_some() {
        return None;
    }
    if file
        .instructions
        .iter()
        .any(|i| i.keyword == Keyword::Entrypoint)
    {
        return None;
    }
    let cmd = file
        .instructions
        .iter()
        .rposition(|i| i.keyword == Keyword::Cmd)?;
    // `next start -p 8080 -H 0.0.0.0`: the standalone server reads PORT
    // and HOSTNAME instead; any other option has no equivalent.
    let mut env: Vec<String> = Vec::new();
    let mut hostname = "0.0.0.0".to_string();
    let args = uses.next_start_args.clone().unwrap_or_default();
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) => (f, Some(v.to_string())),
            None => (arg.as_str(), None),
        };
        let value = match flag {
            "-p" | "--port" | "-H" | "--hostname" => inline.or_else(|| iter.next().cloned())?,
            _ => return None,
        };
        if matches!(flag, "-H" | "--hostname") {
            hostname = value;
        } else if !value.contains('$') && !a.env.contains_key("PORT") {
            env.push(format!("PORT={value}"));
        }
    }
    if !a.env.contains_key("HOSTNAME") {
        env.insert(0, format!("HOSTNAME=\"{hostname}\""));
    }
    let ins = &file.instructions[cmd];
    let command = if ins.exec.is_some() {
        "[\"node\", \"server.js\"]".to_string()
    } else {
        "node server.js".to_string()
    };
    let mut alt = a.clone();
    alt.artefacts.clear();
    let line = build_line(file, a, app_dir);
    alt.add_artefact(
        line,
        &format!("{app_dir}/.next/standalone"),
        app_dir,
        format!("line {line}: next build's standalone server ({config} sets output: 'standalone'); it writes its cache here"),
        true,
    );
    alt.add_artefact(
        line,
        &format!("{app_dir}/.next/static"),
        &format!("{app_dir}/.next/static"),
        format!(
            "line {line}: the browser assets next build made, which the standalone server serves"
        ),
        false,
    );
    // What reaches the builder is known only without `!` exceptions.
    if context
        .read_small(".dockerignore")
        .is_some_and(|t| t.lines().any(|l| l.trim_start().starts_with('!')))
    {
        return None;
    }
    let ignored = dockerignore(context);
    let public_copied = a.copies.iter().any(|c| {
        c.pairs.iter().any(|(s, r)| {
            let s = s.trim_start_matches("./").trim_end_matches('/');
            ((s == "." || s.is_empty())
                && r == app_dir
                && context.is_dir("public")
                && !ignored("public"))
                || (s == "public" && r == &format!("{app_dir}/public"))
        })
    });
    if public_copied {
        alt.add_artefact(
            line,
            &format!("{app_dir}/public"),
            &format!("{app_dir}/public"),
            "the public files the standalone server serves".to_string(),
            false,
        );
    }
    // .env files stay beside the server, which loads them from its folder.
    if whole_context_copy(a, app_dir) {
        for name in context.list(".") {
            if name.starts_with(".env") && context.is_file(&name) && !ignored(&name) {
                let path = format!("{app_dir}/{name}");
                alt.add_artefact(line, &path, &path, "the server loads it".to_string(), false);
            }
        }
    }
    outside_copies(file, &mut alt, app_dir, app_dir);
    Some(UnsafeAlternative {
        artefacts: alt.artefacts,
        builder_additions: Vec::new(),
        runtime_env: if env.is_empty() {
            Vec::new()
        } else {
            vec![env.join(" ")]
        },
        command_rewrites: vec![CommandRewrite {
            index: cmd,
            args: command,
            why: format!(
                "`next start`; {config} sets output: 'standalone', so next build made .next/standalone/server.js"
            ),
            needs_unsafe: true,
        }],
        why: format!(
            "{config} sets output: 'standalone', so the final stage runs Next's standalone server (`node server.js` from .next/standalone, with .next/static and public; no full node_modules) instead of `next start`: unsafe, since the image never ran that server, and the files Next traced for it may miss what the app loads at run time"
        ),
    })
}

/// The line of the last build step in the app folder.
fn build_line(file: &Dockerfile, a: &Analysis, app_dir: &str) -> usize {
    a.run_commands
        .iter()
        .rev()
        .find(|rc| {
            is_under(&rc.cwd, app_dir) && a.has_role(rc.index, crate::analyse::StepRole::Build)
        })
        .map_or(0, |rc| file.instructions[rc.index].line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> (NodeRules, BTreeMap<String, u32>) {
        let k = Knowledge::builtin().unwrap();
        (
            k.language("node").unwrap().node.clone().unwrap(),
            k.images.debian_releases.clone(),
        )
    }

    #[test]
    fn reads_node_tags() {
        let (r, rel) = rules();
        let t = read_tag("16", "16", &r, &rel);
        assert_eq!((t.version.as_str(), t.major), ("16", Some(16)));
        let t = read_tag("18-bookworm", "18-bookworm", &r, &rel);
        assert_eq!(
            (t.version.as_str(), t.major, t.unknown),
            ("18", Some(18), None)
        );
        let t = read_tag("lts-alpine3.20", "lts-alpine3.20", &r, &rel);
        assert_eq!((t.version.as_str(), t.major), ("lts", Some(24)));
        let t = read_tag("latest", "latest", &r, &rel);
        assert_eq!((t.version.as_str(), t.major), ("", Some(26)));
        let t = read_tag("${NODE_VERSION}-alpine", "20.11.1-alpine", &r, &rel);
        assert_eq!((t.version.as_str(), t.major), ("${NODE_VERSION}", Some(20)));
        let t = read_tag("iron-bookworm-slim", "iron-bookworm-slim", &r, &rel);
        assert_eq!(
            (t.version.as_str(), t.major, t.unknown),
            ("iron", Some(20), None)
        );
        assert_eq!(
            read_tag("8-onbuild", "8-onbuild", &r, &rel)
                .unknown
                .as_deref(),
            Some("onbuild")
        );
        assert_eq!(read_tag("alpine", "alpine", &r, &rel).version, "");
    }

    #[test]
    fn config_imports() {
        let text = "const withMDX = require('@next/mdx')({});\nimport path from 'node:path';\nimport analyzer from \"@next/bundle-analyzer/plugin\";\nconst x = require('./lib/x');\n";
        let modules = imported_modules(text);
        assert_eq!(
            modules,
            vec![
                "@next/mdx",
                "./lib/x",
                "node:path",
                "@next/bundle-analyzer/plugin"
            ]
        );
        let packages: Vec<String> = modules.iter().filter_map(|m| bare_package(m)).collect();
        assert_eq!(packages, vec!["@next/mdx", "@next/bundle-analyzer"]);
    }

    #[test]
    fn standalone_output() {
        assert!(sets_standalone(
            "const c = {\n  output: 'standalone',\n};\n"
        ));
        assert!(sets_standalone(
            "module.exports = { output: \"standalone\" }\n"
        ));
        assert!(!sets_standalone(
            "// output: 'standalone',\nmodule.exports = {};\n"
        ));
        assert!(!sets_standalone("module.exports = { output: 'export' };\n"));
    }

    #[test]
    fn image_tags() {
        assert_eq!(tag_of("node:20-alpine"), "20-alpine");
        assert_eq!(tag_of("registry:5000/node"), "latest");
        assert_eq!(tag_of("registry:5000/node:18@sha256:x"), "18");
    }

    #[test]
    fn package_names_and_subcommands() {
        assert_eq!(package_name("@scope/pkg@1.2"), "@scope/pkg");
        assert_eq!(package_name("serve@14"), "serve");
        assert_eq!(package_name("pm2"), "pm2");
        let args: Vec<String> = ["--prefix", "/app", "ci", "--omit=dev"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(subcommand(&args, NPM_VALUE_OPTIONS), Some((2, "ci")));
        assert_eq!(option_value(&args, &["--prefix"]).as_deref(), Some("/app"));
        let args: Vec<String> = ["--omit", "dev"].iter().map(|s| s.to_string()).collect();
        assert_eq!(option_value(&args, &["--omit"]).as_deref(), Some("dev"));
    }

    #[test]
    fn registry_specs() {
        let g = |spec: &str| GlobalPackage {
            name: package_name(spec),
            spec: spec.to_string(),
            line: 1,
            cwd: "/app".to_string(),
        };
        for spec in ["serve", "serve@14.2.1", "@nestjs/cli@10", "pm2@latest"] {
            assert!(g(spec).is_registry(), "{spec}");
        }
        for spec in [
            ".",
            "./cli",
            "/opt/tool",
            "file:../x",
            "github:acme/tool",
            "acme/tool",
            "tool.tgz",
            "https://x/y.tgz",
        ] {
            assert!(!g(spec).is_registry(), "{spec}");
        }
    }

    #[test]
    fn package_manager_field() {
        let m = Manifest {
            path: None,
            json: serde_json::json!({
                "packageManager": "pnpm@8.15.4+sha512.abc",
                "dependencies": {"next": "14.2.3"},
                "devDependencies": {"typescript": "5.4.5", "next": "14.2.3"}
            }),
        };
        assert_eq!(
            m.package_manager(),
            Some(("pnpm".to_string(), "8.15.4".to_string()))
        );
        assert!(m.has_dep("next"));
        assert!(!m.has_dev_dep("next"));
        assert!(m.has_dev_dep("typescript"));
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
