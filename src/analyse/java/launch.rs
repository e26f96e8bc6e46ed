//! What ENTRYPOINT/CMD and HEALTHCHECK start, step by step: `java -jar`
//! (placed by `jar`), a Maven or Gradle runner (rewritten by `runner`), an
//! `installDist` start script; a nested script, a JDK-only tool or an
//! unknown program blocks. ENV JAVA_HOME naming the builder's JDK blocks
//! too: the final stage keeps it, and the JRE is elsewhere.

use super::Java;
use super::command::tool_of;
use super::outputs::InstallDir;
use crate::analyse::entry::{self, Launch, Step};
use crate::analyse::{Analysis, absolute, is_under};

/// What one step of the command starts.
enum Started {
    /// The app (a jar, a runner, a start script).
    App,
    /// A harmless program (`echo`, `sleep`).
    Other,
    /// Something the JRE image cannot run; the analysis is blocked.
    Blocked,
}

impl Java<'_> {
    /// ENV JAVA_HOME is carried to the final stage, where a start script
    /// (`installDist`) or `$JAVA_HOME/bin/java` would look for the
    /// builder's JDK. (The distribution's JDK and JRE packages share their
    /// JAVA_HOME.) Blocks when it names the builder's JDK.
    pub(super) fn keeps_builder_java_home(
        &self,
        launch: &Launch,
        same_base: bool,
        a: &mut Analysis,
    ) -> bool {
        let rules = self.rules;
        let Some(home) = a.env.get("JAVA_HOME").cloned() else {
            return false;
        };
        if home.trim_end_matches('/') == rules.jre_java_home
            || (same_base && is_under(&home, &rules.distro_jvm_dir))
        {
            return false;
        }
        let line = entry::env_line(self.file, "JAVA_HOME").unwrap_or(launch.line);
        a.block(
            line,
            format!(
                "ENV JAVA_HOME={home} names the builder's JDK, which the final stage would keep; the JRE image has Java in {}",
                rules.jre_java_home
            ),
        );
        true
    }

    /// Places what each step of the command runs. False when a step
    /// blocks, or when no step runs the app.
    pub(super) fn place_launch(&self, launch: &Launch, a: &mut Analysis) -> bool {
        let mut runs_app = false;
        for step in &launch.steps {
            match self.place_step(launch, step, a) {
                Started::App => runs_app = true,
                Started::Other => {}
                Started::Blocked => return false,
            }
        }
        if !runs_app {
            a.block(
                launch.line,
                format!(
                    "{} runs no `java -jar`: cannot tell which jar the runtime needs",
                    launch.keyword
                ),
            );
        }
        runs_app
    }

    fn place_step(&self, launch: &Launch, step: &Step, a: &mut Analysis) -> Started {
        let program = step.command.program().to_string();
        if program == "java" {
            self.place_java(launch, step, a);
            return Started::App;
        }
        if tool_of(&step.command, self.rules).is_some() {
            self.rewrite_runner(launch, step, a);
            return Started::App;
        }
        if let Some(install) = self.install_of(&step.command.words[0], &step.cwd) {
            a.add_artefact(
                install.line,
                &install.path,
                &install.path,
                format!(
                    "line {}: gradle installDist puts the app and its jars here",
                    install.line
                ),
                false,
            );
            return Started::App;
        }
        if let Some(script) = entry::nested_script(step, a, self.context) {
            a.block(launch.line, entry::nested_script_reason(launch, &script));
            return Started::Blocked;
        }
        if self.rules.jdk_only_tools.contains(&program) {
            a.block(
                launch.line,
                format!(
                    "{} runs {program}, a JDK tool the JRE image does not have",
                    launch.keyword
                ),
            );
            return Started::Blocked;
        }
        if !entry::is_harmless(&program, self.k) {
            a.block(
                launch.line,
                format!(
                    "{} runs `{program}`, which is not a jar the build makes: cannot tell what the runtime needs",
                    launch.keyword
                ),
            );
            return Started::Blocked;
        }
        Started::Other
    }

    /// The `installDist` folder a program path is in.
    fn install_of(&self, program: &str, cwd: &str) -> Option<&InstallDir> {
        if !program.contains('/') {
            return None;
        }
        let path = absolute(cwd, program);
        self.installs.iter().find(|i| is_under(&path, &i.path))
    }

    /// The JRE has java and keytool, not the JDK's tools: a HEALTHCHECK
    /// that runs one blocks.
    pub(super) fn healthcheck_needs_jdk(&self, a: &mut Analysis) -> bool {
        let Some((line, commands)) = entry::healthcheck_commands(self.file) else {
            return false;
        };
        let Some(tool) = commands
            .iter()
            .map(|c| c.program())
            .find(|p| self.rules.jdk_only_tools.iter().any(|t| t == p))
        else {
            return false;
        };
        a.block(
            line,
            format!("HEALTHCHECK runs {tool}, a JDK tool the JRE image does not have"),
        );
        true
    }
}
