//! Rust with cargo: which binaries `cargo build` and `cargo install` make
//! and where (profile, target triple, target folder, workspace members,
//! binary names from Cargo.toml), where RUN lines move them, how they link
//! (glibc, a static musl binary, Alpine's own dynamic musl), which system
//! libraries the crates in Cargo.lock load at run time, and `cargo run` in
//! ENTRYPOINT/CMD, rewritten to the binary it runs.
//!
//! The final stage gets each binary at the path the command runs it from
//! (a `cargo install`ed one, found through the rust image's PATH, lands in
//! /usr/local/bin), plus the files next to Cargo.toml the app reads at run
//! time (templates/, static/, Rocket.toml).

use std::collections::BTreeMap;

use crate::analyse::entry;
use crate::analyse::packages::{self, PackageOp, RuntimePackage};
use crate::analyse::shell::{self, Command};
use crate::analyse::{
    Analysis, CommandRewrite, RuntimeChoice, absolute, is_under, parent, script_in_context, track,
};
use crate::knowledge::{CargoKnowledge, Family, Knowledge, LanguagePack, glob_match};
use crate::parse::{Dockerfile, Keyword};
use crate::source::BuildContext;

/// How the binaries link, which decides the runtime base.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Linkage {
    /// Dynamically against the builder's glibc.
    Glibc,
    /// Static musl binaries: no libc needed.
    StaticMusl,
    /// Dynamically against musl (and libgcc_s), as Alpine's own Rust links.
    DynamicMusl,
}

/// A binary the build makes, with where it ends up in the builder.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RustBinary {
    pub name: String,
    /// Absolute paths in the builder, in the order RUN lines put it there.
    pub locations: Vec<String>,
    /// The line that built it.
    pub line: usize,
    /// Built for a static musl target.
    pub static_musl: bool,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct RustFacts {
    pub binaries: Vec<RustBinary>,
    pub linkage: Linkage,
    pub linkage_evidence: String,
}

// ------------------------------------------------------------ Cargo.toml

/// A `[[bin]]` target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BinTarget {
    pub name: String,
    pub path: Option<String>,
}

/// `[workspace]` of a Cargo.toml.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Workspace {
    pub members: Vec<String>,
    pub default_members: Vec<String>,
    pub exclude: Vec<String>,
}

/// What a Cargo.toml says, as far as msb needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// `[package] name` (dashes kept: the binary is named the same).
    pub package: Option<String>,
    pub default_run: Option<String>,
    /// `autobins` (true unless turned off): src/main.rs and src/bin/*.
    pub autobins: bool,
    pub bins: Vec<BinTarget>,
    pub workspace: Option<Workspace>,
    /// The manifest names dependencies (or is a workspace of crates that may).
    pub has_dependencies: bool,
}

fn strings(value: Option<&toml::Value>) -> Vec<String> {
    value
        .and_then(|v| v.as_array())
        .map(|list| {
            list.iter()
                .filter_map(|v| v.as_str())
                .map(|s| s.trim_start_matches("./").trim_end_matches('/').to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// Read a Cargo.toml.
pub fn read_manifest(text: &str) -> Result<Manifest, String> {
    let table: toml::Table = toml::from_str(text).map_err(|e| e.message().to_string())?;
    let package = table.get("package").and_then(|p| p.as_table());
    let name = package
        .and_then(|p| p.get("name"))
        .and_then(|n| n.as_str())
        .map(String::from);
    let default_run = package
        .and_then(|p| p.get("default-run"))
        .and_then(|n| n.as_str())
        .map(String::from);
    let autobins = package
        .and_then(|p| p.get("autobins"))
        .and_then(|v| v.as_bool())
        .unwrap_or(true);
    let mut bins = Vec::new();
    if let Some(list) = table.get("bin").and_then(|b| b.as_array()) {
        for bin in list {
            let bin_name = bin.get("name").and_then(|n| n.as_str());
            let path = bin
                .get("path")
                .and_then(|p| p.as_str())
                .map(|p| p.trim_start_matches("./").to_string());
            match (bin_name, &name) {
                (Some(n), _) => bins.push(BinTarget {
                    name: n.to_string(),
                    path,
                }),
                // A `[[bin]]` without a name is named after the package.
                (None, Some(p)) => bins.push(BinTarget {
                    name: p.clone(),
                    path,
                }),
                (None, None) => return Err("a [[bin]] has no name".into()),
            }
        }
    }
    let workspace = table
        .get("workspace")
        .and_then(|w| w.as_table())
        .map(|w| Workspace {
            members: strings(w.get("members")),
            default_members: strings(w.get("default-members")),
            exclude: strings(w.get("exclude")),
        });
    let has_dependencies = workspace.is_some()
        || table
            .get("dependencies")
            .and_then(|d| d.as_table())
            .is_some_and(|d| !d.is_empty())
        || table
            .get("target")
            .and_then(|t| t.as_table())
            .is_some_and(|t| {
                t.values().any(|cfg| {
                    cfg.get("dependencies")
                        .and_then(|d| d.as_table())
                        .is_some_and(|d| !d.is_empty())
                })
            });
    if name.is_none() && workspace.is_none() {
        return Err("it has neither [package] nor [workspace]".into());
    }
    Ok(Manifest {
        package: name,
        default_run,
        autobins,
        bins,
        workspace,
        has_dependencies,
    })
}

/// `dir/rel` for context paths, where `""` is the context's root.
fn ctx_join(dir: &str, rel: &str) -> String {
    let dir = dir.trim_end_matches('/');
    if dir.is_empty() || dir == "." {
        rel.to_string()
    } else if rel.is_empty() {
        dir.to_string()
    } else {
        format!("{dir}/{rel}")
    }
}

fn base_name(path: &str) -> &str {
    path.trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(path)
}

/// The binaries a package builds: its `[[bin]]` targets and, unless
/// `autobins = false`, `src/main.rs` (named after the package) and
/// `src/bin/*.rs` / `src/bin/*/main.rs`. `dir` is the package's folder in
/// the build context.
pub fn package_bins(m: &Manifest, dir: &str, context: &BuildContext) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut claimed: Vec<String> = Vec::new();
    for bin in &m.bins {
        let path = bin.path.clone().unwrap_or_else(|| {
            if Some(&bin.name) == m.package.as_ref() {
                "src/main.rs".to_string()
            } else {
                format!("src/bin/{}.rs", bin.name)
            }
        });
        claimed.push(path);
        if !names.contains(&bin.name) {
            names.push(bin.name.clone());
        }
    }
    if !m.autobins {
        return names;
    }
    if let Some(package) = &m.package
        && context.is_file(&ctx_join(dir, "src/main.rs"))
        && !claimed.iter().any(|p| p == "src/main.rs")
        && !names.contains(package)
    {
        names.push(package.clone());
    }
    let bin_dir = ctx_join(dir, "src/bin");
    for entry in context.list(&bin_dir) {
        let (name, path) = if let Some(stem) = entry.strip_suffix(".rs") {
            (stem.to_string(), format!("src/bin/{entry}"))
        } else if context.is_file(&ctx_join(&bin_dir, &format!("{entry}/main.rs"))) {
            (entry.clone(), format!("src/bin/{entry}/main.rs"))
        } else {
            continue;
        };
        if !claimed.contains(&path) && !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

// ------------------------------------------------------------ cargo commands

/// A cargo command line, as far as where its binaries go is concerned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CargoCall {
    /// `build`, `install`, `run`, `clean`...
    pub sub: String,
    /// The profile's folder under the target folder (`release`, `debug`).
    pub profile_dir: String,
    pub bins: Vec<String>,
    pub all_bins: bool,
    pub packages: Vec<String>,
    pub workspace: bool,
    pub exclude: Vec<String>,
    pub target: Option<String>,
    pub target_dir: Option<String>,
    pub manifest_path: Option<String>,
    /// `cargo install --path`.
    pub path: Option<String>,
    /// `cargo install --root`.
    pub root: Option<String>,
    /// `cargo install` of crates from a registry or git: tools, not the app.
    pub installs_other_crates: bool,
    /// The crates `cargo install` names (`diesel_cli`, `sqlx-cli@0.7`), or
    /// the repository of `--git`.
    pub crates: Vec<String>,
    /// Only libraries, examples, tests or benches were asked for.
    pub no_bins: bool,
    pub example: bool,
    /// Whether the words had a `--`, and the words after it (`cargo run`'s
    /// program arguments).
    pub separator: bool,
    pub program_args: Vec<String>,
}

/// cargo options that take a value.
const VALUE_FLAGS: &[&str] = &[
    "-p",
    "--package",
    "--bin",
    "--example",
    "--test",
    "--bench",
    "--exclude",
    "--target",
    "--target-dir",
    "--manifest-path",
    "--profile",
    "-F",
    "--features",
    "-j",
    "--jobs",
    "--message-format",
    "--color",
    "--config",
    "-Z",
    "--path",
    "--root",
    "--git",
    "--branch",
    "--tag",
    "--rev",
    "--registry",
    "--index",
    "--version",
    "--vers",
    "--lockfile-path",
    "--artifact-dir",
    "--out-dir",
    "-C",
];

/// The folder of a profile under the target folder.
fn profile_dir(profile: &str) -> String {
    match profile {
        "dev" | "test" => "debug".into(),
        "release" | "bench" => "release".into(),
        other => other.into(),
    }
}

/// Read `cargo ...` words (program included), or None if not cargo.
pub fn parse_cargo(words: &[String]) -> Option<CargoCall> {
    let program = words.first()?;
    if base_name(program) != "cargo" {
        return None;
    }
    let mut call = CargoCall::default();
    let mut args = words[1..].iter();
    // Toolchain (`+nightly`) and global options before the subcommand.
    for arg in args.by_ref() {
        if arg.starts_with('+') {
            continue;
        }
        if arg.starts_with('-') {
            if VALUE_FLAGS.contains(&arg.as_str()) {
                // A value flag before the subcommand (`--config x`): the
                // next word is its value, not the subcommand.
                call.sub = String::from("?");
                return Some(call);
            }
            continue;
        }
        call.sub = arg.clone();
        break;
    }
    call.profile_dir = if call.sub == "install" {
        "release".into()
    } else {
        "debug".into()
    };
    let mut asked_non_bins = false;
    while let Some(arg) = args.next() {
        if arg == "--" {
            call.separator = true;
            call.program_args = args.by_ref().cloned().collect();
            break;
        }
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if arg.starts_with("--") => (f, Some(v.to_string())),
            _ => (arg.as_str(), None),
        };
        if !flag.starts_with('-') {
            if call.sub == "install" {
                call.installs_other_crates = true;
                call.crates
                    .push(arg.split('@').next().unwrap_or(arg).to_string());
            }
            continue;
        }
        let value = if VALUE_FLAGS.contains(&flag) {
            inline.or_else(|| args.next().cloned())
        } else {
            None
        };
        let value = value.unwrap_or_default();
        match flag {
            "-r" | "--release" => call.profile_dir = "release".into(),
            "--debug" => call.profile_dir = "debug".into(),
            "--profile" => call.profile_dir = profile_dir(&value),
            "--bin" => call.bins.push(value),
            "--bins" => call.all_bins = true,
            "-p" | "--package" => call.packages.push(value),
            "--workspace" | "--all" => call.workspace = true,
            "--exclude" => call.exclude.push(value),
            "--target" => call.target = Some(value),
            "--target-dir" => call.target_dir = Some(value),
            "--manifest-path" => call.manifest_path = Some(value),
            "--path" => call.path = Some(value),
            "--root" => call.root = Some(value),
            "--git" => {
                call.installs_other_crates = true;
                let repo = base_name(&value).trim_end_matches(".git").to_string();
                if !repo.is_empty() {
                    call.crates.push(repo);
                }
            }
            "--registry" | "--index" => call.installs_other_crates = true,
            "--example" | "--examples" => {
                call.example = true;
                asked_non_bins = true;
            }
            "--lib" | "--test" | "--tests" | "--bench" | "--benches" => asked_non_bins = true,
            _ => {}
        }
    }
    if call.sub == "install" && call.path.is_some() {
        call.installs_other_crates = false;
    }
    call.no_bins = asked_non_bins && call.bins.is_empty() && !call.all_bins;
    Some(call)
}

// ------------------------------------------------------------ the analysis

/// Environment a cargo command sees: the stage's ENV, then its own.
fn env_of<'a>(a: &'a Analysis, c: Option<&'a Command>, name: &str) -> Option<&'a str> {
    c.and_then(|c| c.env.iter().rev().find(|(n, _)| n == name))
        .map(|(_, v)| v.as_str())
        .or_else(|| a.env.get(name).map(String::as_str))
        .filter(|v| !v.is_empty())
}

/// The context file a COPY put at `image_path`, if any.
fn context_file_of(
    file: &Dockerfile,
    a: &Analysis,
    context: &BuildContext,
    image_path: &str,
) -> Option<String> {
    for copy in a.copies.iter().rev() {
        if file.instructions[copy.index].flag("from").is_some() {
            continue;
        }
        for (src, root) in &copy.pairs {
            let s = src.trim_start_matches("./").trim_end_matches('/');
            let s = if s == "." { "" } else { s };
            if root == image_path && !s.contains('*') {
                if context.is_file(s) {
                    return Some(s.to_string());
                }
                continue;
            }
            if !is_under(image_path, root) || root == image_path {
                continue;
            }
            let rel = crate::analyse::relative_to(image_path, root).unwrap_or_default();
            let candidate = if s.contains('*') {
                // `COPY Cargo.* ./`: a file of the glob's folder.
                let (dir, glob) = s.rsplit_once('/').unwrap_or(("", s));
                if rel.contains('/') || !glob_match(glob, rel) {
                    continue;
                }
                ctx_join(dir, rel)
            } else if s.is_empty() || context.is_dir(s) {
                ctx_join(s, rel)
            } else {
                continue;
            };
            if context.is_file(&candidate) {
                return Some(candidate);
            }
        }
    }
    None
}

/// A package: its folder in the image and in the context, and its manifest.
#[derive(Debug, Clone)]
struct Package {
    image_dir: String,
    ctx_dir: String,
    manifest: Manifest,
}

/// The project a cargo command works on: the manifest it finds, the
/// workspace root (where `target/` and Cargo.lock are), the members.
#[derive(Debug, Clone)]
struct Project {
    manifest: Package,
    root: Package,
    members: Vec<Package>,
}

fn read_package(
    file: &Dockerfile,
    a: &Analysis,
    context: &BuildContext,
    image_dir: &str,
) -> Result<Option<Package>, String> {
    let Some(ctx_file) = context_file_of(file, a, context, &absolute(image_dir, "Cargo.toml"))
    else {
        return Ok(None);
    };
    let text = context
        .read_small(&ctx_file)
        .ok_or_else(|| format!("cannot read {ctx_file}"))?;
    let manifest = read_manifest(&text).map_err(|e| format!("cannot read {ctx_file}: {e}"))?;
    Ok(Some(Package {
        image_dir: image_dir.to_string(),
        ctx_dir: parent(&ctx_file),
        manifest,
    }))
}

/// Find the project of a cargo command run in `cwd` (the manifest in
/// `start` or a folder above it, as cargo searches) and its workspace.
fn find_project(
    file: &Dockerfile,
    a: &Analysis,
    context: &BuildContext,
    start: &str,
    search_up: bool,
) -> Result<Project, String> {
    let mut dir = start.to_string();
    let manifest = loop {
        if let Some(p) = read_package(file, a, context, &dir)? {
            break p;
        }
        if !search_up || dir == "/" {
            return Err(format!(
                "finds no Cargo.toml at {start} that a COPY brought from the build context"
            ));
        }
        dir = parent(&dir);
    };
    // The workspace root: this manifest, or one above whose members hold it.
    let mut root = manifest.clone();
    if manifest.manifest.workspace.is_none() {
        let mut up = manifest.image_dir.clone();
        while up != "/" {
            up = parent(&up);
            if let Some(p) = read_package(file, a, context, &up)?
                && let Some(ws) = &p.manifest.workspace
            {
                let rel = crate::analyse::relative_to(&manifest.image_dir, &up).unwrap_or_default();
                if ws.members.iter().any(|m| glob_match(m, rel)) {
                    root = p;
                }
                break;
            }
        }
    }
    let mut members = Vec::new();
    if let Some(ws) = &root.manifest.workspace {
        for rel in expand_members(ws, &root.ctx_dir, context) {
            let image_dir = absolute(&root.image_dir, &rel);
            match read_package(file, a, context, &image_dir)? {
                Some(p) if p.manifest.package.is_some() => members.push(p),
                _ => {
                    return Err(format!(
                        "cannot read the workspace member {rel} of {}",
                        ctx_join(&root.ctx_dir, "Cargo.toml")
                    ));
                }
            }
        }
    }
    Ok(Project {
        manifest,
        root,
        members,
    })
}

/// Workspace member folders (context paths relative to the root), with
/// `crates/*` globs expanded and `exclude` left out.
fn expand_members(ws: &Workspace, root_ctx: &str, context: &BuildContext) -> Vec<String> {
    let mut out = Vec::new();
    for pattern in &ws.members {
        if pattern.contains('*') || pattern.contains('?') {
            let (dir, glob) = pattern.rsplit_once('/').unwrap_or(("", pattern));
            for entry in context.list(&ctx_join(root_ctx, dir)) {
                let rel = ctx_join(dir, &entry);
                if glob_match(glob, &entry)
                    && context.is_file(&ctx_join(root_ctx, &format!("{rel}/Cargo.toml")))
                {
                    out.push(rel);
                }
            }
        } else {
            out.push(pattern.clone());
        }
    }
    out.retain(|m| !ws.exclude.contains(m));
    out.dedup();
    out
}

/// The packages a cargo command selects (`-p`, `--workspace`, the
/// manifest's own package, a virtual workspace's default members).
fn selected_packages(call: &CargoCall, project: &Project) -> Result<Vec<Package>, String> {
    let mut all: Vec<&Package> = project.members.iter().collect();
    if project.root.manifest.package.is_some()
        && !all.iter().any(|p| p.image_dir == project.root.image_dir)
    {
        all.push(&project.root);
    }
    if !call.packages.is_empty() {
        let mut out = Vec::new();
        for name in &call.packages {
            let found = all
                .iter()
                .find(|p| p.manifest.package.as_deref() == Some(name.as_str()))
                .ok_or_else(|| format!("-p {name}: no package of that name in the workspace"))?;
            out.push((*found).clone());
        }
        return Ok(out);
    }
    if call.workspace {
        return Ok(all
            .into_iter()
            .filter(|p| {
                !p.manifest
                    .package
                    .as_ref()
                    .is_some_and(|n| call.exclude.contains(n))
            })
            .cloned()
            .collect());
    }
    if project.manifest.manifest.package.is_some() {
        return Ok(vec![project.manifest.clone()]);
    }
    let ws = project
        .manifest
        .manifest
        .workspace
        .clone()
        .unwrap_or_default();
    if ws.default_members.is_empty() {
        return Ok(project.members.clone());
    }
    Ok(project
        .members
        .iter()
        .filter(|p| {
            let rel = &p.image_dir[project.root.image_dir.trim_end_matches('/').len()..];
            let rel = rel.trim_start_matches('/');
            ws.default_members.iter().any(|d| glob_match(d, rel))
        })
        .cloned()
        .collect())
}

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
struct Output {
    binaries: Vec<(String, String, bool)>,
    project: Project,
}

/// The folder `cargo install` puts binaries in: `--root`, the
/// environment's CARGO_INSTALL_ROOT or CARGO_HOME, the image's CARGO_HOME,
/// then `~/.cargo`.
fn install_bin_dir(
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

/// A program `cargo install` put in place from crates.io or git: a tool
/// of the build, unless the container runs it.
#[derive(Debug, Clone)]
struct InstalledTool {
    /// The binary's name.
    name: String,
    /// The crate it comes from.
    krate: String,
    /// Where it is in the builder.
    path: String,
    line: usize,
}

/// The binaries of a crates.io tool: those `tool_binaries` names, else the
/// crate's name and that name without a `-cli`/`_cli` suffix.
fn tool_binaries(krate: &str, cargo: &CargoKnowledge) -> Vec<String> {
    if let Some(names) = cargo.tool_binaries.get(krate) {
        return names.clone();
    }
    let mut names = vec![krate.to_string()];
    if let Some(short) = krate
        .strip_suffix("-cli")
        .or_else(|| krate.strip_suffix("_cli"))
    {
        names.push(short.to_string());
    }
    names
}

/// The binaries `cargo build`/`cargo install --path`/`cargo run` make.
#[allow(clippy::too_many_arguments)]
fn cargo_output(
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

pub fn analyse(
    file: &Dockerfile,
    context: &BuildContext,
    pack: &LanguagePack,
    k: &Knowledge,
    a: &mut Analysis,
) {
    let Some(cargo) = pack.cargo.clone() else {
        return;
    };
    let Some(builder) = a.builder.clone() else {
        return;
    };
    let from = crate::analyse::from_line(file);
    let rust_image = pack.detect.images.contains(&builder.base_name);
    match builder.family {
        Family::Debian | Family::Alpine => {}
        _ => {
            a.block(
                from,
                format!(
                    "{} is an image msb knows nothing about: cannot tell its libc or Debian release for the final stage",
                    builder.written
                ),
            );
            return;
        }
    }
    if builder.family == Family::Debian && builder.release.is_none() && rust_image {
        a.block(
            from,
            format!(
                "{} was published on more than one Debian release: name the release in the tag (for example {}-bookworm) so the final stage can match its glibc",
                builder.written,
                builder.resolved
            ),
        );
        return;
    }

    let mut binaries: Vec<RustBinary> = Vec::new();
    // Every (binary, path) the build put it at, to name what got lost.
    let mut seen: Vec<(String, String)> = Vec::new();
    let mut workspace_roots: Vec<Project> = Vec::new();
    let mut known_dirs: Vec<String> = a.workdir_before.clone();
    let mut build_lines: Vec<usize> = Vec::new();
    let mut dynamic_rustflags: Option<usize> = None;
    let commands = a.run_commands.clone();
    let mut current: Option<usize> = None;
    let mut mounts: Vec<String> = Vec::new();
    let mut tools: Vec<InstalledTool> = Vec::new();
    for rc in &commands {
        if current != Some(rc.index) {
            drop_under(&mut binaries, &mounts);
            current = Some(rc.index);
            mounts = track::cache_mounts(&file.instructions[rc.index], a.workdir_at(rc.index));
        }
        let c = &rc.command;
        let line = file.instructions[rc.index].line;
        if c.program() != "cargo" {
            let moved = track::follow(
                c,
                &rc.cwd,
                a,
                k,
                &mut known_dirs,
                binaries.iter_mut().map(|b| &mut b.locations),
            );
            for (i, new) in moved {
                seen.push((binaries[i].name.clone(), new));
            }
            continue;
        }
        let Some(call) = parse_cargo(&c.words) else {
            continue;
        };
        match call.sub.as_str() {
            "build" | "install" | "rustc" => {}
            "clean" => {
                let target = env_of(a, Some(c), "CARGO_TARGET_DIR")
                    .map(|d| absolute(&rc.cwd, d))
                    .unwrap_or_else(|| absolute(&rc.cwd, "target"));
                drop_under(&mut binaries, &[target]);
                continue;
            }
            _ => continue,
        }
        if call.sub == "install" && call.installs_other_crates {
            // A tool from crates.io or git, for the build (unless the
            // container runs it: see below).
            let dir = install_bin_dir(a, &cargo, &call, &rc.cwd, Some(c));
            for krate in &call.crates {
                for name in tool_binaries(krate, &cargo) {
                    tools.push(InstalledTool {
                        path: absolute(&dir, &name),
                        name,
                        krate: krate.clone(),
                        line,
                    });
                }
            }
            continue;
        }
        if env_of(a, Some(c), "RUSTFLAGS").is_some_and(|f| f.contains("-crt-static")) {
            dynamic_rustflags = Some(line);
        }
        let out = match cargo_output(file, a, context, &cargo, &call, &rc.cwd, Some(c)) {
            Ok(out) => out,
            Err(why) => {
                a.block(
                    line,
                    format!(
                        "`cargo {}` {why}: cannot tell which binary it makes",
                        call.sub
                    ),
                );
                continue;
            }
        };
        build_lines.push(line);
        for (name, path, static_musl) in out.binaries {
            seen.push((name.clone(), path.clone()));
            match binaries.iter_mut().find(|b| b.name == name) {
                Some(b) => {
                    if !b.locations.contains(&path) {
                        b.locations.push(path);
                    }
                    b.line = line;
                    b.static_musl = static_musl;
                }
                None => binaries.push(RustBinary {
                    name,
                    locations: vec![path],
                    line,
                    static_musl,
                }),
            }
        }
        if !workspace_roots
            .iter()
            .any(|p| p.root.image_dir == out.project.root.image_dir)
        {
            workspace_roots.push(out.project);
        }
    }
    drop_under(&mut binaries, &mounts);
    for b in &binaries {
        if b.locations.is_empty() {
            a.warnings.push(format!(
                "line {}: the binary {} is not in the builder's files at the end (removed, or built in a cache mount)",
                b.line, b.name
            ));
        }
    }
    binaries.retain(|b| !b.locations.is_empty());
    let lost: Vec<(String, String)> = seen
        .into_iter()
        .filter(|(_, p)| !binaries.iter().any(|b| b.locations.contains(p)))
        .collect();

    // What ENTRYPOINT/CMD run: a binary by path or name, or `cargo run`.
    let workdir = a.final_workdir.clone().unwrap_or_else(|| "/".into());
    let mut destinations: BTreeMap<String, (String, String)> = BTreeMap::new();
    let entry = entry::starting_instruction(file);
    let builder_path = builder_path(a, &cargo, &builder.base_name, k);
    for kw in [Keyword::Entrypoint, Keyword::Cmd] {
        let Some(index) = file.instructions.iter().rposition(|i| i.keyword == kw) else {
            continue;
        };
        let ins = &file.instructions[index];
        let line = ins.line;
        let keyword = ins.keyword.as_str();
        let starts = Some(index) == entry;
        let parsed = shell::instruction_commands(ins);
        let Some(first) = parsed.first() else {
            continue;
        };
        // `exec ./target/release/app`: the program after the wrappers.
        let mut first = first.clone();
        while first
            .words
            .first()
            .is_some_and(|w| k.commands.wrappers.contains(w))
        {
            first.words.remove(0);
        }
        let first = &first;
        let program = first.words.first().cloned().unwrap_or_default();
        let name = base_name(&program).to_string();
        if name == "cargo" {
            if parsed.len() > 1 {
                a.block(
                    line,
                    format!("{keyword} runs `cargo` among other commands: msb rewrites a lone `cargo run` only"),
                );
                continue;
            }
            let call = parse_cargo(&first.words).unwrap_or_default();
            if call.sub != "run" {
                a.block(
                    line,
                    format!(
                        "{keyword} runs `cargo {}`: the Rust toolchain is not in the final stage",
                        call.sub
                    ),
                );
                continue;
            }
            cargo_run(
                file,
                context,
                &cargo,
                a,
                CargoRun {
                    index,
                    call: &call,
                    cwd: &workdir,
                    binaries: &mut binaries,
                    destinations: &mut destinations,
                },
            );
            continue;
        }
        if k.commands.shells.contains(&name) {
            // `sh -c "cargo run"`: the script is the word after -c.
            let script = first
                .words
                .iter()
                .position(|w| w == "-c")
                .and_then(|p| first.words.get(p + 1))
                .cloned()
                .unwrap_or_default();
            if shell::commands(&script)
                .iter()
                .any(|c| c.program() == "cargo")
            {
                a.block(
                    line,
                    format!(
                        "{keyword} runs cargo through {name}: msb rewrites a lone `cargo run` only"
                    ),
                );
            }
            continue;
        }
        let found = if program.contains('/') {
            let path = absolute(&workdir, &program);
            if let Some(b) = binaries.iter().find(|b| b.locations.contains(&path)) {
                destinations.insert(b.name.clone(), (path.clone(), path));
                true
            } else if script_in_context(a, &program, index, context).is_some() {
                a.add_artefact(
                    line,
                    &path,
                    &path,
                    format!("line {line}: {keyword} runs it"),
                    false,
                );
                true
            } else if a.is_copied(&path) {
                true
            } else if k.images.runtime_path.contains(&parent(&path))
                && packages::installs_program(
                    &a.installed_packages,
                    &a.removed_packages,
                    builder.family,
                    &name,
                    k,
                )
            {
                // `/usr/bin/tini` from a package the final stage installs.
                true
            } else if !a.unsafe_blockers.is_empty() {
                a.add_artefact(
                    line,
                    &path,
                    &path,
                    format!("line {line}: {keyword} runs it; a step msb does not know makes it"),
                    false,
                );
                true
            } else {
                false
            }
        } else if let Some((b, location)) = binaries.iter().find_map(|b| {
            (b.name == name)
                .then(|| {
                    b.locations
                        .iter()
                        .rev()
                        .find(|l| builder_path.contains(&parent(l)))
                })
                .flatten()
                .map(|l| (b, l.clone()))
        }) {
            let to = if k.images.runtime_path.contains(&parent(&location)) {
                location.clone()
            } else {
                format!("/usr/local/bin/{name}")
            };
            destinations.insert(b.name.clone(), (location, to));
            true
        } else {
            // A tool from crates.io is dealt with below; one from a
            // package the final stage installs is there.
            tools.iter().any(|t| t.name == name)
                || packages::installs_program(
                    &a.installed_packages,
                    &a.removed_packages,
                    builder.family,
                    &name,
                    k,
                )
                || a.copies
                    .iter()
                    .flat_map(|c| c.roots.iter())
                    .any(|r| base_name(r) == name)
        };
        if !found && starts {
            let path = absolute(&workdir, &program);
            let reason = if let Some((n, _)) = lost.iter().find(|(_, p)| *p == path) {
                format!(
                    "{keyword} runs `{program}`, but the binary {n} is not in the builder's files at the end (built in a cache mount, or removed)"
                )
            } else if let Some(b) = binaries
                .iter()
                .find(|b| b.name == name && !program.contains('/'))
            {
                format!(
                    "{keyword} runs `{program}` through PATH, but the build leaves it at {}, which is not on PATH",
                    b.locations.last().cloned().unwrap_or_default()
                )
            } else {
                format!(
                    "{keyword} runs `{program}`, which is not a binary the build makes: cannot tell what the runtime needs"
                )
            };
            a.block(line, reason);
        }
    }
    launch_programs(file, context, k, &tools, a);
    if binaries.is_empty() && a.unsafe_blockers.is_empty() {
        let line = build_lines
            .last()
            .copied()
            .unwrap_or(file.instructions[a.last_build_index].line);
        a.block(
            line,
            "no `cargo build`/`cargo install --path` whose binary msb can name: cannot tell what to copy",
        );
    }

    // Every binary goes to the final stage: where the command runs it, or
    // where it was built (a `cargo install`ed one from CARGO_HOME/bin, on
    // the rust image's PATH only, to /usr/local/bin).
    for b in &binaries {
        let (from, to) = match destinations.get(&b.name) {
            Some(d) => d.clone(),
            None => {
                let last = b.locations.last().cloned().unwrap_or_default();
                let on_path = b
                    .locations
                    .iter()
                    .rev()
                    .find(|l| k.images.runtime_path.contains(&parent(l)));
                match on_path {
                    Some(l) => (l.clone(), l.clone()),
                    None if builder_path.contains(&parent(&last)) => {
                        (last.clone(), format!("/usr/local/bin/{}", b.name))
                    }
                    None => (last.clone(), last),
                }
            }
        };
        a.add_artefact(
            b.line,
            &from,
            &to,
            format!("line {}: the binary cargo builds", b.line),
            false,
        );
    }

    let (linkage, evidence) = linkage(a, &binaries, &cargo, rust_image, dynamic_rustflags);
    let line = build_lines.first().copied().unwrap_or(from);
    if linkage == Linkage::StaticMusl && builder.family == Family::Debian {
        // A static binary loads no shared library: the -dev packages stood
        // for nothing at run time.
        a.installed_packages
            .retain(|p| !p.ends_with("-dev") && !p.ends_with("-headers"));
    }
    runtime_choice(a, k, &cargo, linkage, &evidence, rust_image);
    if linkage != Linkage::StaticMusl {
        crate_libraries(a, k, &cargo, &workspace_roots, context, file, line);
    }
    if let Some(release) = &builder.release
        && builder.family == Family::Debian
        && cargo.eol_debian_releases.contains(release)
        && a.runtime_choice.as_ref().is_some_and(|c| c.key == "debian")
    {
        archived_release(a, &builder.written, release, line);
    }
    command_files(file, context, pack, &workdir, a);
    runtime_files(file, context, pack, a);
    a.rust = Some(RustFacts {
        binaries,
        linkage,
        linkage_evidence: evidence,
    });
}

/// What the container's commands and launch script run besides the app:
/// cargo needs the toolchain the final stage leaves behind, and a tool
/// `cargo install` took from crates.io (`diesel migration run`) is not in
/// the final stage either, and links system libraries msb cannot see.
fn launch_programs(
    file: &Dockerfile,
    context: &BuildContext,
    k: &Knowledge,
    tools: &[InstalledTool],
    a: &mut Analysis,
) {
    let run = crate::analyse::entry::commands_run(file, context, k, a);
    let line = run.line;
    let mut carried: Vec<&str> = Vec::new();
    for (what, step) in &run.steps {
        let program = step.command.words.first().map_or("", String::as_str);
        let name = base_name(program);
        // A lone `cargo run` of ENTRYPOINT/CMD is rewritten above.
        if name == "cargo" && (run.script.is_some() || run.steps.len() > 1) {
            let sub = parse_cargo(&step.command.words)
                .map(|c| c.sub)
                .unwrap_or_default();
            a.block(
                line,
                format!("{what} runs `cargo {sub}`: the Rust toolchain is not in the final stage"),
            );
            continue;
        }
        let Some(tool) = tools
            .iter()
            .find(|t| t.name == name && !program.contains('/'))
        else {
            continue;
        };
        if carried.contains(&tool.name.as_str()) {
            continue;
        }
        carried.push(&tool.name);
        let to = format!("/usr/local/bin/{}", tool.name);
        a.block_unless_unsafe(
            line,
            format!(
                "{what} runs `{}`, which `cargo install {}` (line {}) put in {}: a tool from crates.io whose system libraries msb cannot tell; --unsafe copies it to {to}",
                tool.name,
                tool.krate,
                tool.line,
                parent(&tool.path)
            ),
        );
        a.add_artefact(
            tool.line,
            &tool.path,
            &to,
            format!(
                "line {}: `cargo install {}` makes it and {what} runs it",
                tool.line, tool.krate
            ),
            false,
        );
    }
}

/// A Debian release past its end of life is no longer on the mirrors, so
/// `apt-get` in the final stage fails unless the file already depends on
/// apt working there (its own apt-get lines).
fn archived_release(a: &mut Analysis, image: &str, release: &str, line: usize) {
    let uses_apt = a.run_commands.iter().any(|rc| {
        matches!(
            packages::read(&rc.command),
            Some(PackageOp::Install {
                family: Family::Debian,
                ..
            })
        )
    });
    if !uses_apt && !a.runtime_packages.is_empty() {
        let names: Vec<&str> = a.runtime_packages.iter().map(|p| p.name.as_str()).collect();
        a.block(
            line,
            format!(
                "{image} is Debian {release}, which the Debian mirrors no longer serve: the final stage could not apt-get install {}",
                names.join(", ")
            ),
        );
        return;
    }
    let apt = if uses_apt {
        ", and apt-get in either stage needs archive.debian.org in its sources"
    } else {
        ""
    };
    a.warnings.push(format!(
        "{image} is Debian {release}, past its end of life: debian:{release}-slim gets no security updates{apt}; move both stages to a supported release"
    ));
}

/// Files ENTRYPOINT/CMD name in their arguments (`--config
/// /app/config.toml`, `--targets targets.txt`) that a COPY brought from
/// the build context: the app reads them at run time.
fn command_files(
    file: &Dockerfile,
    context: &BuildContext,
    pack: &LanguagePack,
    workdir: &str,
    a: &mut Analysis,
) {
    for kw in [Keyword::Entrypoint, Keyword::Cmd] {
        let Some(index) = file.instructions.iter().rposition(|i| i.keyword == kw) else {
            continue;
        };
        let ins = &file.instructions[index];
        let mut words: Vec<String> = match &ins.exec {
            Some(w) => w.iter().skip(1).cloned().collect(),
            None => shell::commands(&ins.args)
                .iter()
                .flat_map(|c| c.args().to_vec())
                .collect(),
        };
        // A rewritten `cargo run` keeps only the program's arguments.
        if a.command_rewrites.iter().any(|r| r.index == index) {
            let mut all = vec!["cargo".to_string()];
            all.extend(words);
            words = parse_cargo(&all)
                .map(|c| c.program_args)
                .unwrap_or_default();
        }
        for word in words {
            let value = word.split_once('=').map_or(word.as_str(), |(_, v)| v);
            if value.is_empty() || value.contains('$') || value.starts_with('-') {
                continue;
            }
            let path = absolute(workdir, value);
            if let Some(ctx) = context_file_of(file, a, context, &path)
                && !is_code_source(&ctx, context, pack)
                && !a.is_copied(&path)
            {
                a.add_artefact(
                    ins.line,
                    &path,
                    &path,
                    format!("line {}: {} names it", ins.line, kw.as_str()),
                    false,
                );
            }
        }
    }
}

/// Forget the locations under `dirs` (removed, or a cache mount).
fn drop_under(binaries: &mut [RustBinary], dirs: &[String]) {
    track::drop_under(binaries.iter_mut().map(|b| &mut b.locations), dirs);
}

/// The folders the builder finds programs in: the runtime's default PATH,
/// CARGO_HOME/bin of the rust image, and what ENV PATH adds.
fn builder_path(a: &Analysis, cargo: &CargoKnowledge, image: &str, k: &Knowledge) -> Vec<String> {
    let mut dirs = k.images.runtime_path.clone();
    if let Some(home) = a
        .env
        .get("CARGO_HOME")
        .or_else(|| cargo.image_cargo_home.get(image))
    {
        dirs.push(absolute(home, "bin"));
    }
    if let Some(path) = a.env.get("PATH") {
        dirs.extend(
            path.split(':')
                .filter(|d| d.starts_with('/'))
                .map(String::from),
        );
    }
    dirs
}

/// How the binaries link, with the evidence.
fn linkage(
    a: &Analysis,
    binaries: &[RustBinary],
    cargo: &CargoKnowledge,
    rust_image: bool,
    dynamic_rustflags: Option<usize>,
) -> (Linkage, String) {
    let b = a.builder.as_ref().expect("analysed builder");
    let distro_rust: Vec<&String> = a
        .installed_packages
        .iter()
        .filter(|p| cargo.distro_rust_packages.contains(p))
        .collect();
    if b.family == Family::Alpine {
        if !distro_rust.is_empty() && !rust_image {
            return (
                Linkage::DynamicMusl,
                format!(
                    "Alpine's own Rust ({}) links binaries against musl and libgcc_s dynamically",
                    distro_rust
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
        if let Some(line) = dynamic_rustflags {
            return (
                Linkage::DynamicMusl,
                format!(
                    "line {line}: RUSTFLAGS turns crt-static off, so the binary links musl dynamically"
                ),
            );
        }
        return (
            Linkage::StaticMusl,
            format!(
                "{} builds for musl, which links crt-static by default",
                b.written
            ),
        );
    }
    if !binaries.is_empty() && binaries.iter().all(|x| x.static_musl) {
        if let Some(line) = dynamic_rustflags {
            return (
                Linkage::Glibc,
                format!("line {line}: RUSTFLAGS turns crt-static off for a musl target"),
            );
        }
        return (
            Linkage::StaticMusl,
            format!(
                "line {}: cargo builds for a musl target, which links crt-static by default",
                binaries[0].line
            ),
        );
    }
    (
        Linkage::Glibc,
        format!("{} links Rust binaries against its glibc", b.written),
    )
}

/// Which `runtime_base` template, and why.
fn runtime_choice(
    a: &mut Analysis,
    k: &Knowledge,
    cargo: &CargoKnowledge,
    linkage: Linkage,
    evidence: &str,
    rust_image: bool,
) {
    let b = a.builder.clone().expect("analysed builder");
    let mut vars = BTreeMap::new();
    vars.insert("builder_tag".to_string(), b.tag.clone());
    vars.insert("builder_image".to_string(), b.repository.clone());
    let mut why = format!(" ({evidence})");
    let key = match (b.family, linkage) {
        (Family::Alpine, _) if b.base_name == "alpine" && !rust_image => "builder_alpine",
        (Family::Alpine, Linkage::DynamicMusl) => "alpine_dynamic",
        (Family::Alpine, _) => "alpine",
        (_, Linkage::StaticMusl) => {
            // Packages other than build tools and headers (a program the
            // app calls) are Debian names: they keep a Debian runtime.
            let build_only = k
                .family_packages(Family::Debian)
                .map(|t| t.build_only.clone())
                .unwrap_or_default();
            let carried: Vec<&String> = a
                .installed_packages
                .iter()
                .filter(|p| !build_only.contains(p) && !a.removed_packages.contains(p))
                .collect();
            if carried.is_empty() {
                "alpine"
            } else {
                why = format!(
                    " ({evidence}; the builder installs {}, so the runtime stays Debian)",
                    carried
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                "debian"
            }
        }
        (_, _) if b.release.is_some() => "debian",
        (_, _) => "builder_image",
    };
    if b.family == Family::Alpine && linkage == Linkage::DynamicMusl {
        for package in &cargo.distro_rust_runtime.alpine {
            if !a.runtime_packages.iter().any(|p| p.name == *package) {
                a.runtime_packages.push(RuntimePackage {
                    name: package.clone(),
                    why: evidence.to_string(),
                });
            }
        }
    }
    a.runtime_choice = Some(RuntimeChoice {
        key: key.to_string(),
        vars,
        why,
    });
}

/// System libraries the crates in Cargo.lock load at run time, and the CA
/// certificates a native-TLS client reads.
fn crate_libraries(
    a: &mut Analysis,
    k: &Knowledge,
    cargo: &CargoKnowledge,
    projects: &[Project],
    context: &BuildContext,
    file: &Dockerfile,
    line: usize,
) {
    let b = a.builder.clone().expect("analysed builder");
    let mut crates: Vec<String> = Vec::new();
    let mut without_lock = Vec::new();
    for p in projects {
        let lock = context_file_of(file, a, context, &absolute(&p.root.image_dir, "Cargo.lock"))
            .or_else(|| {
                let beside = ctx_join(&p.root.ctx_dir, "Cargo.lock");
                context.is_file(&beside).then_some(beside)
            });
        match lock.and_then(|l| context.read_small(&l)) {
            Some(text) => crates.extend(lock_crates(&text)),
            None if p.root.manifest.has_dependencies
                || p.members.iter().any(|m| m.manifest.has_dependencies) =>
            {
                without_lock.push(ctx_join(&p.root.ctx_dir, "Cargo.toml"));
            }
            None => {}
        }
    }
    if let Some(manifest) = without_lock.first() {
        a.block_unless_unsafe(
            line,
            format!("{manifest} has dependencies but the build context has no Cargo.lock: msb cannot tell which system libraries they link"),
        );
    }
    let release = match b.family {
        Family::Alpine => Some("default".to_string()),
        _ => b.release.clone(),
    };
    let table = k
        .family_packages(b.family)
        .and_then(|t| release.as_ref().and_then(|r| t.runtime_libs.get(r)));
    for (name, lib) in &cargo.crate_libs {
        if !crates.contains(name) || lib.built_in_with.iter().any(|c| crates.contains(c)) {
            continue;
        }
        let dev = match b.family {
            Family::Alpine => lib.alpine.clone(),
            _ => lib.debian.clone(),
        };
        let runtime = dev
            .as_ref()
            .and_then(|d| table.as_ref().and_then(|t| t.get(d)).cloned());
        match runtime {
            Some(libs) => {
                for lib in libs {
                    if !a.runtime_packages.iter().any(|p| p.name == lib) {
                        a.runtime_packages.push(RuntimePackage {
                            name: lib.clone(),
                            why: format!("Cargo.lock has {name}, which links {lib} at run time"),
                        });
                    }
                }
            }
            None => a.block_unless_unsafe(
                line,
                format!(
                    "Cargo.lock has {name}, which links a system library msb knows no runtime package for on {}",
                    b.written
                ),
            ),
        }
    }
    let reads_roots = cargo.tls_root_crates.iter().find(|c| crates.contains(c));
    if b.family != Family::Alpine && a.runtime_choice.as_ref().is_some_and(|c| c.key != "alpine") {
        let why = match (reads_roots, without_lock.is_empty()) {
            (Some(c), _) => Some(format!(
                "Cargo.lock has {c}, which reads the system's CA certificates"
            )),
            (None, false) => Some("without Cargo.lock msb cannot tell whether the app makes TLS calls; the builder image had them".to_string()),
            (None, true) => None,
        };
        if let Some(why) = why
            && !a
                .runtime_packages
                .iter()
                .any(|p| p.name == cargo.ca_certificates)
        {
            a.runtime_packages.push(RuntimePackage {
                name: cargo.ca_certificates.clone(),
                why,
            });
        }
    }
}

/// The crate names of a Cargo.lock.
pub fn lock_crates(text: &str) -> Vec<String> {
    let Ok(table) = toml::from_str::<toml::Table>(text) else {
        return Vec::new();
    };
    let mut names: Vec<String> = table
        .get("package")
        .and_then(|p| p.as_array())
        .map(|list| {
            list.iter()
                .filter_map(|p| p.get("name").and_then(|n| n.as_str()))
                .map(String::from)
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names.dedup();
    names
}

/// What `cargo run` in ENTRYPOINT/CMD needs from the analysis.
struct CargoRun<'r> {
    index: usize,
    call: &'r CargoCall,
    cwd: &'r str,
    binaries: &'r mut Vec<RustBinary>,
    destinations: &'r mut BTreeMap<String, (String, String)>,
}

/// `cargo run` → the binary it runs, at /usr/local/bin. Safe when the
/// build already made that binary with the same profile and target;
/// otherwise msb adds the `cargo build` (unsafe).
fn cargo_run(
    file: &Dockerfile,
    context: &BuildContext,
    cargo: &CargoKnowledge,
    a: &mut Analysis,
    run: CargoRun,
) {
    let ins = &file.instructions[run.index];
    let line = ins.line;
    let keyword = ins.keyword.as_str();
    let call = run.call;
    if call.example {
        a.block(
            line,
            format!(
                "{keyword} runs an example with `cargo run --example`: msb does not rewrite it"
            ),
        );
        return;
    }
    let has_cmd_after = ins.keyword == Keyword::Entrypoint
        && file.instructions.iter().any(|i| i.keyword == Keyword::Cmd);
    if has_cmd_after && !call.separator {
        a.block(
            line,
            "ENTRYPOINT runs `cargo run` and CMD adds to cargo's arguments: msb cannot tell where the program's arguments start",
        );
        return;
    }
    let out = match cargo_output(file, a, context, cargo, call, run.cwd, None) {
        Ok(out) => out,
        Err(why) => {
            a.block(
                line,
                format!("{keyword}: `cargo run` {why}: cannot tell which binary it runs"),
            );
            return;
        }
    };
    // `cargo run` runs one binary: the one asked for, the package's
    // default-run, or the only one.
    let chosen = if out.binaries.len() == 1 {
        out.binaries.first().cloned()
    } else {
        let default_run = selected_packages(call, &out.project)
            .ok()
            .filter(|p| p.len() == 1)
            .and_then(|p| p[0].manifest.default_run.clone());
        default_run.and_then(|d| out.binaries.iter().find(|(n, _, _)| *n == d).cloned())
    };
    let Some((name, path, static_musl)) = chosen else {
        let names: Vec<&str> = out.binaries.iter().map(|(n, _, _)| n.as_str()).collect();
        a.block(
            line,
            format!(
                "{keyword} runs `cargo run`, which has {} to choose from ({}): cannot tell which binary it runs",
                if names.is_empty() { "no binary".to_string() } else { format!("{} binaries", names.len()) },
                names.join(", ")
            ),
        );
        return;
    };
    let built = run
        .binaries
        .iter()
        .any(|b| b.name == name && b.locations.contains(&path));
    let to = format!("/usr/local/bin/{name}");
    let runs = entry::quoted_command(ins);
    if !built {
        // The build step msb adds: cargo run's own words, with `run`
        // turned into `build` and the program's arguments left out.
        let words = match &ins.exec {
            Some(w) => w.clone(),
            None => shell::commands(&ins.args)
                .first()
                .map(|c| c.words.clone())
                .unwrap_or_default(),
        };
        let mut build: Vec<String> = Vec::new();
        let mut replaced = false;
        for w in words.iter().take_while(|w| w.as_str() != "--") {
            if !replaced && w == "run" {
                build.push("build".into());
                replaced = true;
            } else {
                build.push(shell::quote(w));
            }
        }
        let text = entry::add_runner_build_step(a, line, keyword, &runs, &build.join(" "), run.cwd);
        a.block_unless_unsafe(
            line,
            format!(
                "{keyword} runs {runs}, which compiles at start and needs the toolchain; --unsafe adds `{text}` to the builder and runs {to}"
            ),
        );
        run.binaries.push(RustBinary {
            name: name.clone(),
            locations: vec![path.clone()],
            line,
            static_musl,
        });
    }
    if call.profile_dir == "debug" {
        a.warnings.push(format!(
            "line {line}: {keyword} runs a debug build (`cargo run` without --release); the final stage runs the same debug binary; build and run with --release for an optimised one"
        ));
    }
    let args = match &ins.exec {
        Some(_) => {
            let mut words = vec![to.clone()];
            words.extend(call.program_args.iter().cloned());
            entry::render(&words, true)
        }
        None => {
            // Shell form: keep the variables before `cargo` and the
            // program's arguments as written.
            let text = ins.args.trim();
            let start = text
                .match_indices("cargo")
                .map(|(i, _)| i)
                .find(|i| *i == 0 || text[..*i].ends_with(char::is_whitespace))
                .unwrap_or(0);
            let prefix = &text[..start];
            let rest = text[start..]
                .find(" -- ")
                .map(|p| format!(" {}", text[start + p + 4..].trim()))
                .unwrap_or_default();
            format!("{prefix}{to}{rest}")
        }
    };
    run.destinations
        .insert(name.clone(), (path.clone(), to.clone()));
    let why = if built {
        format!("{runs}; the build already made {path}")
    } else {
        format!("{runs}; msb builds {path} in the builder")
    };
    a.command_rewrites.push(CommandRewrite {
        index: run.index,
        args,
        why,
        needs_unsafe: !built,
    });
}

/// Whether a context entry is Rust code or a crate (never needed at run
/// time: the binary has it compiled in).
fn is_code_source(src: &str, context: &BuildContext, pack: &LanguagePack) -> bool {
    let s = src.trim_start_matches("./").trim_end_matches('/');
    s.is_empty()
        || s == "."
        || s.ends_with(".rs")
        || pack
            .steps
            .dep_manifests
            .iter()
            .any(|g| glob_match(g, base_name(s)))
        // `COPY go.* ./`, `COPY Cargo.* ./`: a glob of the manifests.
        || (s.contains('*') && pack.steps.dep_manifests.iter().any(|m| glob_match(s, m)))
        || pack.code_dirs.iter().any(|d| d == s)
        || context.is_file(&ctx_join(s, "Cargo.toml"))
        || context.list(s).iter().any(|f| f.ends_with(".rs"))
}

/// Files the app reads at run time: asset folders and config files that a
/// COPY of a crate folder brought in, and anything else copied that is not
/// code (an entrypoint script, a config file).
fn runtime_files(file: &Dockerfile, context: &BuildContext, pack: &LanguagePack, a: &mut Analysis) {
    let copies = a.copies.clone();
    for copy in copies.iter().filter(|c| !c.manifest_only) {
        if file.instructions[copy.index].flag("from").is_some() {
            continue;
        }
        let line = file.instructions[copy.index].line;
        for (src, root) in &copy.pairs {
            let s = src.trim_start_matches("./").trim_end_matches('/');
            let s = if s == "." { "" } else { s };
            let whole_crate = s.is_empty() || context.is_file(&ctx_join(s, "Cargo.toml"));
            if !whole_crate {
                if !is_code_source(src, context, pack) && !a.is_copied(root) {
                    a.add_artefact(
                        line,
                        root,
                        root,
                        format!("line {line}: copied from the build context"),
                        false,
                    );
                }
                continue;
            }
            let mut left_out = Vec::new();
            for name in context.list(if s.is_empty() { "." } else { s }) {
                let ctx = ctx_join(s, &name);
                let path = absolute(root, &name);
                let named_elsewhere = copies.iter().any(|c| {
                    c.sources
                        .iter()
                        .any(|src| src.trim_start_matches("./").trim_end_matches('/') == ctx)
                });
                if pack.not_runtime.iter().any(|g| glob_match(g, &name))
                    || pack.code_dirs.contains(&name)
                    || named_elsewhere
                    || a.is_copied(&path)
                {
                    continue;
                }
                if context.is_dir(&ctx) && pack.runtime_asset_dirs.contains(&name) {
                    a.add_artefact(
                        line,
                        &path,
                        &path,
                        format!("line {line}: {name}/ is read at run time"),
                        // The original ran the app as root: it could write there.
                        true,
                    );
                } else if context.is_file(&ctx)
                    && pack
                        .runtime_asset_files
                        .iter()
                        .any(|g| glob_match(g, &name))
                {
                    a.add_artefact(
                        line,
                        &path,
                        &path,
                        format!("line {line}: {name} may be read at run time"),
                        false,
                    );
                } else if !is_code_source(&ctx, context, pack) {
                    left_out.push(name);
                }
            }
            if !left_out.is_empty() {
                a.warnings.push(format!(
                    "line {line}: the build context also has {}, not copied to the final stage; if the app reads them at run time, copy them",
                    left_out.join(", ")
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn reads_package_bins_and_workspace() {
        let m = read_manifest(
            r#"
[package]
name = "my-app"
version = "0.1.0"
default-run = "server"

[[bin]]
name = "server"
path = "src/main.rs"

[[bin]]
name = "migrate"

[dependencies]
serde = "1"
"#,
        )
        .unwrap();
        assert_eq!(m.package.as_deref(), Some("my-app"));
        assert_eq!(m.default_run.as_deref(), Some("server"));
        assert_eq!(
            m.bins,
            vec![
                BinTarget {
                    name: "server".into(),
                    path: Some("src/main.rs".into())
                },
                BinTarget {
                    name: "migrate".into(),
                    path: None
                }
            ]
        );
        assert!(m.autobins && m.has_dependencies && m.workspace.is_none());

        let w = read_manifest(
            "[workspace]\nmembers = [\"crates/*\", \"./api/\"]\ndefault-members = [\"api\"]\nexclude = [\"crates/old\"]\n",
        )
        .unwrap();
        assert_eq!(w.package, None);
        let ws = w.workspace.unwrap();
        assert_eq!(ws.members, vec!["crates/*", "api"]);
        assert_eq!(ws.default_members, vec!["api"]);
        assert_eq!(ws.exclude, vec!["crates/old"]);

        assert!(read_manifest("[dependencies]\nx = \"1\"\n").is_err());
        assert!(read_manifest("[package\nname = 1").is_err());
        let lonely = read_manifest("[package]\nname = \"x\"\nautobins = false\n").unwrap();
        assert!(!lonely.autobins && !lonely.has_dependencies);
    }

    #[test]
    fn names_binaries_from_the_package_layout() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("app/src/bin/tool")).unwrap();
        std::fs::write(root.join("app/src/main.rs"), "fn main() {}").unwrap();
        std::fs::write(root.join("app/src/bin/seed.rs"), "fn main() {}").unwrap();
        std::fs::write(root.join("app/src/bin/tool/main.rs"), "fn main() {}").unwrap();
        std::fs::write(root.join("app/src/bin/notes.txt"), "").unwrap();
        let context = BuildContext::new(root);
        let m = read_manifest("[package]\nname = \"web-api\"\n").unwrap();
        assert_eq!(
            package_bins(&m, "app", &context),
            vec!["web-api", "seed", "tool"]
        );
        // An explicit [[bin]] for src/main.rs renames the default binary.
        let m = read_manifest(
            "[package]\nname = \"web-api\"\n[[bin]]\nname = \"server\"\npath = \"src/main.rs\"\n",
        )
        .unwrap();
        assert_eq!(
            package_bins(&m, "app", &context),
            vec!["server", "seed", "tool"]
        );
        let m = read_manifest("[package]\nname = \"web-api\"\nautobins = false\n").unwrap();
        assert!(package_bins(&m, "app", &context).is_empty());
    }

    #[test]
    fn reads_cargo_command_lines() {
        let c = parse_cargo(&words(
            "cargo +nightly build --release --locked --bin api -p server --target x86_64-unknown-linux-musl",
        ))
        .unwrap();
        assert_eq!(c.sub, "build");
        assert_eq!(c.profile_dir, "release");
        assert_eq!(c.bins, vec!["api"]);
        assert_eq!(c.packages, vec!["server"]);
        assert_eq!(c.target.as_deref(), Some("x86_64-unknown-linux-musl"));

        let c = parse_cargo(&words(
            "cargo build --profile=dev --manifest-path api/Cargo.toml",
        ))
        .unwrap();
        assert_eq!(c.profile_dir, "debug");
        assert_eq!(c.manifest_path.as_deref(), Some("api/Cargo.toml"));
        assert_eq!(
            parse_cargo(&words("cargo build --profile dist"))
                .unwrap()
                .profile_dir,
            "dist"
        );

        let c = parse_cargo(&words("cargo install --path . --root /usr/local")).unwrap();
        assert_eq!(
            (
                c.sub.as_str(),
                c.profile_dir.as_str(),
                c.installs_other_crates
            ),
            ("install", "release", false)
        );
        assert_eq!(c.root.as_deref(), Some("/usr/local"));
        assert!(
            parse_cargo(&words("cargo install cargo-chef --locked"))
                .unwrap()
                .installs_other_crates
        );
        let tools = |line: &str| parse_cargo(&words(line)).unwrap().crates;
        assert_eq!(
            tools("cargo install diesel_cli --no-default-features --features postgres"),
            vec!["diesel_cli"]
        );
        assert_eq!(
            tools("cargo install sqlx-cli@0.7.4 --locked"),
            vec!["sqlx-cli"]
        );
        assert_eq!(
            tools("cargo install --git https://github.com/acme/migrator.git --tag v1"),
            vec!["migrator"]
        );
        assert!(tools("cargo install --path .").is_empty());

        let c = parse_cargo(&words("cargo run -r -- --port 8080 --")).unwrap();
        assert_eq!(c.sub, "run");
        assert!(c.separator);
        assert_eq!(c.program_args, vec!["--port", "8080", "--"]);
        assert!(parse_cargo(&words("cargo build --lib")).unwrap().no_bins);
        assert!(
            !parse_cargo(&words("cargo build --lib --bins"))
                .unwrap()
                .no_bins
        );
        assert_eq!(
            parse_cargo(&words("/usr/local/cargo/bin/cargo fetch"))
                .unwrap()
                .sub,
            "fetch"
        );
        assert_eq!(parse_cargo(&words("go build")), None);
    }

    #[test]
    fn names_the_binaries_of_crates_io_tools() {
        let k = Knowledge::builtin().unwrap();
        let cargo = k.language("rust").unwrap().cargo.clone().unwrap();
        assert_eq!(
            tool_binaries("diesel_cli", &cargo),
            vec!["diesel_cli", "diesel"]
        );
        assert_eq!(
            tool_binaries("sqlx-cli", &cargo),
            vec!["sqlx", "cargo-sqlx"]
        );
        assert_eq!(tool_binaries("cargo-watch", &cargo), vec!["cargo-watch"]);
    }

    #[test]
    fn reads_lock_crates() {
        let lock = "version = 3\n\n[[package]]\nname = \"openssl-sys\"\nversion = \"0.9.99\"\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\n";
        assert_eq!(lock_crates(lock), vec!["app", "openssl-sys"]);
        assert!(lock_crates("not toml [").is_empty());
    }
}
