//! What the interpreted languages (Python, Ruby, PHP) share: the app runs
//! from its source folder, so the final stage gets that folder whole
//! (dependencies installed into it included), and tools that only built it
//! (Node for the assets, Composer's unzip) stay in the builder.

use std::collections::BTreeMap;

use crate::analyse::image::expand_known;
use crate::analyse::packages::{self, PackageOp};
use crate::analyse::shell::{self, Command};
use crate::analyse::{
    Analysis, BuilderAddition, ContextCopy, RunCommand, StepRole, absolute, is_under, loose,
};
use crate::parse::{Dockerfile, Keyword};
use crate::source::BuildContext;

/// Every folder a COPY from the build context filled is copied whole to
/// the final stage: the interpreter reads the sources, templates and
/// manifests (Gemfile, composer.json) there at run time. What lands in the
/// working folder brings the whole working folder, owned by the runtime
/// user, because the app wrote there as root (Rails' tmp/ and log/,
/// Laravel's storage/). A COPY from another image (`--from=composer:2`)
/// brings a build tool, not the app.
///
/// `image_env` resolves the base image's own variables in a destination
/// (`COPY php.ini $PHP_INI_DIR/`); `image_workdir` is the WORKDIR the base
/// image sets, for a file that sets none; `skip_manifests` leaves out a
/// copy of dependency manifests alone.
pub fn app_folders(
    file: &Dockerfile,
    context: &BuildContext,
    a: &mut Analysis,
    image_env: &BTreeMap<String, String>,
    image_workdir: Option<&str>,
    skip_manifests: bool,
) {
    let workdir = a
        .final_workdir
        .clone()
        .or_else(|| image_workdir.map(String::from))
        .unwrap_or_else(|| "/".into());
    let copies = a.copies.clone();
    let started = started_paths(file);
    // Each copy's roots, resolved once for the loose folders and the loop.
    let rooted: Vec<(&ContextCopy, Vec<String>)> = copies
        .iter()
        .map(|c| (c, roots(file, a, c, image_env)))
        .collect();
    let loose_dirs = loose_app_dirs(a, &rooted);
    for dir in &loose_dirs {
        loose::carry(file, context, a, dir, &[]);
    }
    for (copy, copy_roots) in &rooted {
        let ins = &file.instructions[copy.index];
        if copy.from_image.is_some() {
            carry_started_tool(file, a, copy, &started);
            continue;
        }
        if skip_manifests && copy.manifest_only {
            continue;
        }
        let line = ins.line;
        for root in copy_roots {
            if loose_dirs.iter().any(|d| loose::lands_in(root, d)) {
                continue;
            }
            if a.is_system_dir(root) {
                a.block(
                    line,
                    format!("COPY puts the app straight into {root}: msb cannot copy it without the rest of the system"),
                );
                return;
            }
            let in_workdir = is_under(root, &workdir) && !a.is_system_dir(&workdir);
            let path = if in_workdir {
                workdir.as_str()
            } else {
                root.as_str()
            };
            a.add_artefact(
                line,
                path,
                path,
                format!("line {line}: copied from the build context"),
                in_workdir,
            );
        }
    }
}

/// The loose folders (`/`, `/tmp`) a COPY from the build context spills
/// into whole (`COPY . .` with no WORKDIR): their exact paths are copied.
fn loose_app_dirs(a: &Analysis, rooted: &[(&ContextCopy, Vec<String>)]) -> Vec<String> {
    let mut dirs: Vec<String> = rooted
        .iter()
        .filter(|(c, _)| c.from_image.is_none())
        .flat_map(|(_, roots)| roots.iter())
        .filter(|r| a.is_loose_dir(r))
        .cloned()
        .collect();
    dirs.sort();
    dirs.dedup();
    dirs
}

/// The programs ENTRYPOINT and CMD start by absolute path.
fn started_paths(file: &Dockerfile) -> Vec<String> {
    let mut out = Vec::new();
    for kw in [Keyword::Entrypoint, Keyword::Cmd] {
        let Some(ins) = file.instructions.iter().rev().find(|i| i.keyword == kw) else {
            continue;
        };
        let first = match &ins.exec {
            Some(words) => words.first().cloned(),
            None => ins.args.split_whitespace().next().map(String::from),
        };
        out.extend(first.filter(|w| w.starts_with('/')));
    }
    out
}

/// A COPY from another image brings a build tool, unless the container
/// starts what it brought (`COPY --from=apache/beam_python3.11_sdk
/// /opt/apache/beam /opt/apache/beam` with `ENTRYPOINT
/// ["/opt/apache/beam/boot"]`): then the final stage gets it from the
/// builder, where that COPY put it.
fn carry_started_tool(file: &Dockerfile, a: &mut Analysis, copy: &ContextCopy, started: &[String]) {
    let line = file.instructions[copy.index].line;
    for root in &copy.roots {
        if started.iter().any(|p| is_under(p, root)) && !a.is_system_dir(root) {
            let root = root.clone();
            a.add_artefact(
                line,
                &root,
                &root,
                format!(
                    "line {line}: copied from {}, and the container starts what is there",
                    copy.from_image.as_deref().unwrap_or("another image")
                ),
                false,
            );
        }
    }
}

/// The absolute paths a COPY fills; when the destination uses a variable
/// of the base image, read again with that variable resolved.
fn roots(
    file: &Dockerfile,
    a: &Analysis,
    copy: &ContextCopy,
    image_env: &BTreeMap<String, String>,
) -> Vec<String> {
    if !copy.roots.iter().any(|r| r.contains('$')) {
        return copy.roots.clone();
    }
    let ins = &file.instructions[copy.index];
    let words: Vec<String> = match &ins.exec {
        Some(w) => w.clone(),
        None => ins.args.split_whitespace().map(String::from).collect(),
    };
    let Some(dest_word) = words.last() else {
        return copy.roots.clone();
    };
    let mut vars = a.env.clone();
    vars.extend(image_env.iter().map(|(k, v)| (k.clone(), v.clone())));
    let dest_word = expand_known(dest_word.trim_matches('"'), &vars);
    if dest_word.contains('$') {
        // Still unresolved: add_artefact refuses it with the reason.
        return copy.roots.clone();
    }
    let dest = absolute(a.workdir_at(copy.index), &dest_word);
    let into_folder = dest_word.ends_with('/') || copy.sources.len() > 1;
    let mut out: Vec<String> = copy
        .sources
        .iter()
        .map(|src| {
            let base = crate::analyse::basename(src.trim_end_matches('/'));
            if into_folder && !src.ends_with('/') && src != "." && !src.contains('*') {
                absolute(&dest, base)
            } else {
                dest.clone()
            }
        })
        .collect();
    out.dedup();
    out
}

/// Before the file's first WORKDIR, COPY and RUN work in the base image's
/// own WORKDIR (`/var/www/html` on the php images), not in `/`: the
/// copies' destinations, the RUNs' folders and the working folder before
/// each instruction are read again from there.
pub fn rebase_before_workdir(file: &Dockerfile, a: &mut Analysis, image_workdir: &str) {
    let first_workdir = file
        .instructions
        .iter()
        .position(|i| i.keyword == Keyword::Workdir)
        .unwrap_or(file.instructions.len());
    let rebase = |path: &str| absolute(image_workdir, path.trim_start_matches('/'));
    for (index, dir) in a.workdir_before.iter_mut().enumerate() {
        if index <= first_workdir && dir == "/" {
            *dir = image_workdir.to_string();
        }
    }
    for rc in a.run_commands.iter_mut() {
        if rc.index < first_workdir && rc.cwd == "/" {
            rc.cwd = image_workdir.to_string();
        }
    }
    for copy in a.copies.iter_mut() {
        if copy.index >= first_workdir {
            continue;
        }
        let ins = &file.instructions[copy.index];
        let dest = match &ins.exec {
            Some(w) => w.last().cloned(),
            None => ins.args.split_whitespace().last().map(String::from),
        };
        let relative = dest.is_some_and(|d| !d.starts_with('/') && !d.starts_with('$'));
        if !relative {
            continue;
        }
        let old = copy.roots.clone();
        copy.roots = copy.roots.iter().map(|r| rebase(r)).collect();
        for (_, to) in copy.pairs.iter_mut() {
            *to = rebase(to);
        }
        // `explain` says where the copy lands.
        if let Some(step) = a.steps.iter_mut().find(|s| s.index == copy.index) {
            for (before, after) in old.iter().zip(&copy.roots) {
                let from = format!(" to {before}");
                if step.evidence.ends_with(&from) {
                    let keep = step.evidence.len() - from.len();
                    step.evidence = format!("{} to {after}", &step.evidence[..keep]);
                }
            }
        }
    }
}

/// Where a RUN runs: before any WORKDIR of the file, in the base image's
/// own WORKDIR (`image_workdir`, /var/www/html on php images), not `/`.
fn run_cwd(file: &Dockerfile, rc: &RunCommand, image_workdir: Option<&str>) -> String {
    let before_any_workdir = !file.instructions[..rc.index]
        .iter()
        .any(|i| i.keyword == Keyword::Workdir);
    match image_workdir {
        Some(dir) if before_any_workdir && rc.cwd == "/" => dir.to_string(),
        _ => rc.cwd.clone(),
    }
}

/// Build steps (assets:precompile, artisan's caches) write where they run:
/// that folder is copied too, owned by the runtime user.
pub fn build_outputs(file: &Dockerfile, a: &mut Analysis, image_workdir: Option<&str>) {
    for rc in build_commands(a) {
        let cwd = run_cwd(file, &rc, image_workdir);
        copy_build_folder(a, file.instructions[rc.index].line, &cwd);
    }
}

/// The RUN commands of the instructions that build (compile, precompile
/// assets, collect static files).
pub fn build_commands(a: &Analysis) -> Vec<RunCommand> {
    a.run_commands
        .iter()
        .filter(|rc| a.has_role(rc.index, StepRole::Build))
        .cloned()
        .collect()
}

/// A build step writes in the folder it runs in: that folder is copied
/// to the final stage, owned by the runtime user.
pub fn copy_build_folder(a: &mut Analysis, line: usize, cwd: &str) {
    if !a.is_copied(cwd) && !a.is_system_dir(cwd) {
        a.add_artefact(
            line,
            cwd,
            cwd,
            format!("line {line}: the build writes here"),
            true,
        );
    }
}

/// Every word of what the container runs: ENTRYPOINT, CMD, HEALTHCHECK,
/// and the shell scripts from the build context they start.
fn runtime_words(file: &Dockerfile, context: &BuildContext, a: &Analysis) -> Vec<String> {
    let mut words = Vec::new();
    for kw in [Keyword::Entrypoint, Keyword::Cmd, Keyword::Healthcheck] {
        let Some(index) = file.instructions.iter().rposition(|i| i.keyword == kw) else {
            continue;
        };
        let ins = &file.instructions[index];
        let mut scripts = vec![match &ins.exec {
            Some(w) => w.join(" "),
            None => ins.args.clone(),
        }];
        if let Some(program) = ins.exec.as_ref().and_then(|w| w.first())
            && let Some(path) = crate::analyse::script_in_context(a, program, index, context)
            && let Some(text) = context.read_small(&path)
        {
            scripts.push(text);
        }
        for script in scripts {
            for c in shell::commands(&script) {
                words.extend(
                    c.words
                        .iter()
                        .map(|w| crate::analyse::basename(w).to_string()),
                );
            }
        }
    }
    words
}

/// Packages only the build needed (`packages`) stay in the builder when
/// nothing the container runs calls one of `programs`: they are read as
/// removed, so the final stage does not install them. Returns whether any
/// was left behind.
pub fn leave_build_tools(
    file: &Dockerfile,
    context: &BuildContext,
    a: &mut Analysis,
    packages: &[String],
    programs: &[String],
    what: &str,
) -> bool {
    let used = runtime_words(file, context, a);
    if programs.iter().any(|p| used.contains(p)) {
        return false;
    }
    // Each package left behind, with the line that installed it.
    let mut left: Vec<(String, usize)> = Vec::new();
    for rc in &a.run_commands {
        if let Some(PackageOp::Install {
            packages: names, ..
        }) = packages::read(&rc.command)
        {
            for name in names {
                if packages.contains(&name) && !left.iter().any(|(n, _)| *n == name) {
                    left.push((name, file.instructions[rc.index].line));
                }
            }
        }
    }
    if left.is_empty() {
        return false;
    }
    a.removed_packages
        .extend(left.iter().map(|(name, _)| name.clone()));
    // `$PHPIZE_DEPS` names the image's compilers: nothing to warn about.
    left.retain(|(name, _)| !name.starts_with('$'));
    if let Some((_, line)) = left.first() {
        let names: Vec<&str> = left.iter().map(|(name, _)| name.as_str()).collect();
        a.warnings.push(format!(
            "line {line}: {} left in the builder: {what}; if the app runs them at run time, install them in the final stage",
            names.join(", ")
        ));
    }
    true
}

/// `yarn install`, `npm ci`: node_modules is in the app folder the final
/// stage copies, but only served the asset build.
fn installs_node_modules(c: &Command) -> bool {
    let sub = c.args().first().map(String::as_str);
    match c.program() {
        "yarn" => matches!(sub, None | Some("install")),
        "npm" => {
            matches!(sub, Some("ci" | "install" | "i"))
                && !c.args().iter().any(|x| x == "-g" || x == "--global")
        }
        _ => false,
    }
}

/// When Node stayed in the builder, the node_modules folders its installs
/// made inside the copied app folder are removed at the end of the build,
/// so the final stage does not carry them.
pub fn remove_node_modules(file: &Dockerfile, a: &mut Analysis, image_workdir: Option<&str>) {
    let mut dirs: Vec<(usize, String)> = Vec::new();
    for rc in &a.run_commands {
        if installs_node_modules(&rc.command) {
            let dir = absolute(&run_cwd(file, rc, image_workdir), "node_modules");
            if !dirs.iter().any(|(_, d)| *d == dir) {
                dirs.push((file.instructions[rc.index].line, dir));
            }
        }
    }
    for (line, dir) in dirs {
        if !a.is_copied(&dir) || dir.contains('$') {
            continue;
        }
        a.builder_additions.push(BuilderAddition {
            before: None,
            lines: vec![("RUN".into(), format!("rm -rf {dir}"))],
            why: format!(
                "line {line}: {dir} only served the asset build (Node stays in the builder); removed after the build so the final stage does not copy it"
            ),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_installs() {
        let c = |s: &str| shell::commands(s).remove(0);
        assert!(installs_node_modules(&c("yarn install --frozen-lockfile")));
        assert!(installs_node_modules(&c("yarn")));
        assert!(installs_node_modules(&c("npm ci")));
        assert!(!installs_node_modules(&c("npm install -g yarn")));
        assert!(!installs_node_modules(&c("yarn build")));
    }
}
