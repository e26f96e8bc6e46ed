//! What the container's commands run, found by following ENTRYPOINT, CMD,
//! HEALTHCHECK and NODE_OPTIONS through wrappers, shells, entrypoint
//! scripts and package scripts: the dev dependencies, global packages,
//! app files and package managers the final stage needs, and what msb
//! cannot place.
//!
//! By concern: this file starts the walk and reads each command;
//! `node` (node, its preloads and the packages they load), `managers`
//! (npm, yarn, pnpm, npx and package scripts), `bins` (programs from
//! node_modules/.bin, global installs and PATH), `scripts` (process
//! managers and script files).

mod bins;
mod managers;
mod node;
mod scripts;

use crate::analyse::node::globals::GlobalPackage;
use crate::analyse::node::manifest::Manifest;
use crate::analyse::node::words::{package_of_bin, subcommand};
use crate::analyse::node::{Blocked, NodeApp};
use crate::analyse::shell::{self, Command};
use crate::analyse::{Analysis, script_in_context};
use crate::knowledge::{Knowledge, NodeRules};
use crate::parse::{Dockerfile, Keyword};
use crate::source::BuildContext;

/// What the container runs, found by the walk; a development server or a
/// command msb cannot place blocks the file.
pub(super) fn runtime_uses(
    app: &NodeApp,
    k: &Knowledge,
    a: &Analysis,
    globals: &[GlobalPackage],
    app_root: String,
) -> Result<RuntimeUses, Blocked> {
    let mut walk = RuntimeWalk::new(app, k, a, globals);
    walk.app_root = app_root;
    walk.run();
    let uses = walk.uses;
    if let Some((line, why)) = &uses.dev_server {
        return Err((*line, why.clone()));
    }
    if let Some((line, why)) = &uses.unknown {
        return Err((*line, why.clone()));
    }
    Ok(uses)
}

/// What the container's commands need, found by following ENTRYPOINT,
/// CMD, HEALTHCHECK, entrypoint scripts and package scripts.
#[derive(Debug, Default)]
pub(super) struct RuntimeUses {
    /// Why dev dependencies are needed at run time (the first reason).
    pub dev_deps: Option<String>,
    /// Global packages to install again, as written, with why.
    pub globals: Vec<(String, String)>,
    /// A development server: the file is skipped.
    pub dev_server: Option<(usize, String)>,
    /// A command msb cannot place: the file is skipped.
    pub unknown: Option<(usize, String)>,
    /// The folder a static server serves, if the command is one.
    pub static_folder: Option<String>,
    /// `next start` runs.
    pub next_start: bool,
    /// The `.next/standalone` folder whose server.js runs.
    pub standalone: Option<String>,
    /// Why the command needs files of the app folder (a script it runs).
    pub app_files: Vec<String>,
    /// A package manager runs (`npm start`): package.json and npm needed.
    pub package_scripts: bool,
    /// yarn or pnpm run, and no global install provides them: (program,
    /// line, what).
    pub managers: Vec<(String, usize, String)>,
    /// Every program name seen.
    pub programs: Vec<String>,
    /// The arguments of `next start` after `start`.
    pub next_start_args: Option<Vec<String>>,
    /// Warnings about what the command runs.
    pub notes: Vec<String>,
}

pub(super) struct RuntimeWalk<'x> {
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
    fn new(
        app: &NodeApp<'x>,
        k: &'x Knowledge,
        a: &'x Analysis,
        globals: &'x [GlobalPackage],
    ) -> Self {
        RuntimeWalk {
            file: app.file,
            context: app.context,
            rules: app.rules,
            k,
            a,
            manifest: app.manifest,
            globals,
            app_dir: app.app_dir,
            app_root: app.app_dir.to_string(),
            line: 0,
            top: false,
            index: 0,
            visited_scripts: Vec::new(),
            uses: RuntimeUses::default(),
        }
    }

    /// Follow what the container runs: ENTRYPOINT and CMD, the modules
    /// NODE_OPTIONS preloads, and HEALTHCHECK's command.
    fn run(&mut self) {
        let entrypoint = self.last(Keyword::Entrypoint);
        let cmd = self.last(Keyword::Cmd);
        for index in self.started(entrypoint, cmd) {
            self.instruction(index, entrypoint.is_none());
        }
        self.node_options();
        if let Some(index) = self.last(Keyword::Healthcheck) {
            self.healthcheck(index);
        }
    }

    /// The index of the last instruction with that keyword.
    fn last(&self, keyword: Keyword) -> Option<usize> {
        self.file
            .instructions
            .iter()
            .rposition(|i| i.keyword == keyword)
    }

    /// ENTRYPOINT and CMD to follow each on its own. With an ENTRYPOINT,
    /// CMD is its arguments. A program (`ENTRYPOINT ["node"]` +
    /// `CMD ["server.js"]`, `["strapi"]` + `["start"]`) is followed with
    /// them here; a shell script or an init (tini) hands over to CMD,
    /// which is followed on its own; a shell-form ENTRYPOINT ignores CMD.
    fn started(&mut self, entrypoint: Option<usize>, cmd: Option<usize>) -> Vec<usize> {
        let Some(e) = entrypoint else {
            return cmd.into_iter().collect();
        };
        let file = self.file;
        let ins = &file.instructions[e];
        let Some(words) = &ins.exec else {
            return vec![e];
        };
        if self.hands_over(words, e) {
            return [Some(e), cmd].into_iter().flatten().collect();
        }
        let mut all = words.clone();
        if let Some(c) = cmd
            && let Some(args) = &file.instructions[c].exec
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
        Vec::new()
    }

    /// ENTRYPOINT or CMD at `index`. Without an ENTRYPOINT, the node
    /// image's docker-entrypoint.sh runs `CMD ["server.js"]` (or
    /// `["--inspect", ...]`) with node.
    fn instruction(&mut self, index: usize, image_entrypoint: bool) {
        let ins = &self.file.instructions[index];
        self.line = ins.line;
        self.index = index;
        self.top = true;
        let what = format!("line {}: {}", ins.line, ins.keyword.as_str());
        match &ins.exec {
            Some(words) => {
                let mut words = words.clone();
                if image_entrypoint
                    && words.first().is_some_and(|w| {
                        w.starts_with('-') || [".js", ".mjs", ".cjs"].iter().any(|e| w.ends_with(e))
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

    /// `ENV NODE_OPTIONS="-r dotenv/config"`: every node preloads it.
    fn node_options(&mut self) {
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
    }

    /// HEALTHCHECK CMD's command, which runs in the final stage too (an
    /// unknown program there is not an error).
    fn healthcheck(&mut self, index: usize) {
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

    pub(super) fn command(&mut self, c: &Command, what: &str, depth: usize) {
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
    pub(super) fn dev_server(&self, program: &str, args: &[String]) -> Option<String> {
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
}
