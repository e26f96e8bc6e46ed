//! Files the app reads at run time: what COPY brings that is not code (an
//! agent, a config), Spring Boot's `config/` and `application.*` next to
//! the working folder, and a warning for the rest of a `COPY .`.

use super::Java;
use crate::analyse::Analysis;
use crate::knowledge::glob_match;

impl Java<'_> {
    /// Files the app reads at run time: copies of files that are not code
    /// (an agent, a config), and Spring Boot's `config/` and
    /// `application.*` next to the working folder.
    pub(super) fn runtime_files(&self, a: &mut Analysis) {
        let workdir = a.final_workdir.clone().unwrap_or_else(|| "/".into());
        let copies = a.copies.clone();
        for copy in copies.iter().filter(|c| !c.manifest_only) {
            let line = self.file.instructions[copy.index].line;
            for (src, root) in &copy.pairs {
                let s = src.trim_start_matches("./").trim_end_matches('/');
                if s.is_empty() || s == "." {
                    self.whole_context(line, root, &workdir, a);
                } else if !self.is_code(s) && !a.is_copied(root) {
                    let why = if s.contains("://") {
                        format!("line {line}: ADD downloads it")
                    } else {
                        format!("line {line}: copied from the build context")
                    };
                    a.add_artefact(line, root, root, why, false);
                }
            }
        }
    }

    /// A `COPY . <root>`: the runtime assets it brings, and a warning for
    /// what else it brings that is not code.
    fn whole_context(&self, line: usize, root: &str, workdir: &str, a: &mut Analysis) {
        let names = self.context.list(".");
        let pack = self.pack;
        if root.trim_end_matches('/') == workdir.trim_end_matches('/') {
            for name in &names {
                let asset = (pack.runtime_asset_dirs.contains(name) && self.context.is_dir(name))
                    || (pack.runtime_asset_files.iter().any(|g| glob_match(g, name))
                        && self.context.is_file(name));
                if asset {
                    let path = format!("{}/{name}", root.trim_end_matches('/'));
                    a.add_artefact(
                        line,
                        &path,
                        &path,
                        format!("line {line}: Spring Boot reads ./{name} from the working folder"),
                        false,
                    );
                }
            }
        }
        let left_out: Vec<&String> = names
            .iter()
            .filter(|name| {
                !pack.not_runtime.iter().any(|g| glob_match(g, name))
                    && !pack.runtime_asset_dirs.contains(name)
                    && !pack.runtime_asset_files.iter().any(|g| glob_match(g, name))
                    && !self.is_code(name)
                    && !a.is_copied(&format!("{}/{name}", root.trim_end_matches('/')))
            })
            .collect();
        if !left_out.is_empty() {
            let list: Vec<&str> = left_out.iter().map(|s| s.as_str()).collect();
            a.warnings.push(format!(
                "line {line}: the build context also has {}, not copied to the final stage; if the app reads them at run time, copy them",
                list.join(", ")
            ));
        }
    }

    /// Sources and build files: compiled into the jar, never run.
    fn is_code(&self, name: &str) -> bool {
        let pack = self.pack;
        name.ends_with(".java")
            || name.ends_with(".kt")
            || pack.code_dirs.iter().any(|d| d == name)
            || pack.steps.dep_manifests.iter().any(|g| glob_match(g, name))
            // A module of a multi-module build.
            || ["pom.xml", "build.gradle", "build.gradle.kts"]
                .iter()
                .any(|f| self.context.is_file(&format!("{name}/{f}")))
    }
}
