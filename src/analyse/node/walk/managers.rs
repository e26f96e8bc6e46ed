//! npm, yarn, pnpm and npx at run time: the package scripts they run
//! (followed, with node_modules/.bin on their PATH), the tools npx
//! starts, and yarn or pnpm themselves, which the final stage needs.

use super::RuntimeWalk;
use crate::analyse::node::words::{
    NPM_VALUE_OPTIONS, PNPM_VALUE_OPTIONS, YARN_VALUE_OPTIONS, package_name, subcommand,
};
use crate::analyse::shell::{self, Command};

impl<'x> RuntimeWalk<'x> {
    pub(super) fn npm(&mut self, args: &[String], what: &str, depth: usize) {
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

    pub(super) fn yarn(&mut self, args: &[String], what: &str, depth: usize) {
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

    pub(super) fn pnpm(&mut self, args: &[String], what: &str, depth: usize) {
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
    pub(super) fn npx(&mut self, args: &[String], what: &str) {
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
}
