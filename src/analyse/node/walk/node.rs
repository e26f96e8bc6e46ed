//! `node` at run time: the script it runs (the app's, the standalone
//! server, or something msb cannot place) and the modules it preloads
//! (`-r ts-node/register`), with the dev dependencies they and the
//! packages they load need.

use super::RuntimeWalk;
use crate::analyse::{absolute, is_under};
use crate::knowledge::glob_match;

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

impl<'x> RuntimeWalk<'x> {
    /// The modules node options preload (`-r ts-node/register`).
    pub(super) fn preloads(&mut self, args: &[String], what: &str) {
        let mut iter = args.iter();
        while let Some(arg) = iter.next() {
            if let Some(module) = preloaded_module(arg, &mut iter) {
                self.module(module, what);
            }
        }
    }

    pub(super) fn node(&mut self, args: &[String], what: &str) {
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
    pub(super) fn package(&mut self, name: &str, what: &str, how: &str) {
        if self.manifest.has_dev_dep(name) {
            self.uses
                .dev_deps
                .get_or_insert(format!("{what}: {how}, from the dev dependency {name}"));
        }
        self.peers(name, what);
    }

    /// Packages a tool loads when it runs (ts-node loads typescript and
    /// the @types packages): a dev dependency among them must stay.
    pub(super) fn peers(&mut self, package: &str, what: &str) {
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
}
