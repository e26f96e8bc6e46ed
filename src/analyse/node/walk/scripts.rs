//! Process managers (pm2-runtime) and script files the command runs: a
//! shell script from the build context is followed line by line; a path
//! msb cannot find in the build is unknown.

use super::RuntimeWalk;
use crate::analyse::node::words::{has_flag, package_of_bin, subcommand};
use crate::analyse::shell::{self, Command};
use crate::analyse::{absolute, is_under, script_in_context};

impl<'x> RuntimeWalk<'x> {
    /// A process manager (pm2-runtime) runs a script, a package manager
    /// (`pm2-runtime npm -- start`) or the apps of a config file: the
    /// script is the app's, the package manager's command is followed,
    /// and a config file's apps, which msb does not read, keep the dev
    /// dependencies.
    pub(super) fn process_manager(
        &mut self,
        program: &str,
        args: &[String],
        what: &str,
        depth: usize,
    ) {
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
    pub(super) fn path_program(&mut self, path: &str, args: &[String], what: &str, depth: usize) {
        let abs = absolute(self.a.workdir_at(self.index), path);
        if let Some((_, bin)) = abs.rsplit_once("/node_modules/.bin/") {
            self.local_bin(bin, args, what);
            return;
        }
        self.script_file(path, what, depth);
    }

    /// A script the command runs: followed when it is a shell script from
    /// the build context.
    pub(super) fn script_file(&mut self, path: &str, what: &str, depth: usize) {
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
}
