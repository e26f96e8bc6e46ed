//! Programs the command runs by name: a bin of node_modules/.bin (with
//! `next start`, its config's imports and the dev dependency it comes
//! from), a global install's, a file watcher, or one found through PATH
//! (a static file server, a program the image or the build provides).

use serde_json::Value;

use super::RuntimeWalk;
use crate::analyse::node::globals::GlobalPackage;
use crate::analyse::node::manifest::context_file_for;
use crate::analyse::node::next::{bare_package, imported_modules};
use crate::analyse::node::words::{package_of_bin, subcommand};
use crate::analyse::{absolute, script_in_context};

impl<'x> RuntimeWalk<'x> {
    /// A program from node_modules/.bin (a package script, npx).
    pub(super) fn local_bin(&mut self, bin: &str, args: &[String], what: &str) {
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
    pub(super) fn global(&mut self, bin: &str, what: &str) -> bool {
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
    pub(super) fn local_global_bins(&self, g: &GlobalPackage) -> Vec<String> {
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

    /// A program the final stage has: the node image's, a shell or
    /// coreutil, a tool msb installs for a runtime command, or a package the
    /// build installs (tini, dumb-init).
    pub(super) fn known_program(&self, program: &str) -> bool {
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
    pub(super) fn named_program(&mut self, program: &str, args: &[String], what: &str) {
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
