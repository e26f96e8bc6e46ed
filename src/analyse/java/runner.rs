//! `mvn spring-boot:run` and `gradle bootRun` in ENTRYPOINT/CMD need the
//! toolchain: they are rewritten to `java -jar` on the executable jar the
//! build packaged, or, when nothing packaged it, on the jar of a packaging
//! step msb adds (which only `--unsafe` applies).

use super::command::{Tool, read_command};
use super::outputs::gradle_project;
use super::{Java, basename, maven, read_context_file};
use crate::analyse::entry::{self, Launch, Step};
use crate::analyse::{Analysis, BuilderAddition, absolute};

impl Java<'_> {
    /// `mvn spring-boot:run` / `gradle bootRun` → `java -jar` on the jar.
    pub(super) fn rewrite_runner(&self, launch: &Launch, step: &Step, a: &mut Analysis) {
        let line = launch.line;
        let kw = launch.keyword;
        let Some(cmd) = read_command(&step.command, &step.cwd, self.rules) else {
            return;
        };
        let written = step.command.words.join(" ");
        let runner = match cmd.tool {
            Tool::Maven => "spring-boot:run",
            Tool::Gradle => "bootRun",
        };
        let targets: Vec<&str> = cmd
            .targets
            .iter()
            .map(|(_, t)| t.as_str())
            .filter(|t| *t != "clean")
            .collect();
        if targets != [runner] || cmd.targets.iter().any(|(p, _)| !p.is_empty()) {
            a.block(
                line,
                format!(
                    "{kw} runs `{written}`: the {} toolchain is not in the final stage",
                    cmd.tool.name()
                ),
            );
            return;
        }
        if !launch.sole {
            a.block(
                line,
                format!("{kw} runs `{written}` among other commands: msb rewrites it only when it is the whole command"),
            );
            return;
        }
        let passes = step.command.args().iter().find(|x| {
            x.starts_with("-Dspring-boot.run")
                || x.starts_with("--args")
                || x.starts_with("-P")
                || x.starts_with("-f")
                || x.starts_with("-pl")
                || x.starts_with("-p")
        });
        if let Some(option) = passes {
            a.block(
                line,
                format!("{kw} runs `{written}`: msb does not carry `{option}` over to `java -jar`"),
            );
            return;
        }
        let dir = cmd.project_dir.trim_end_matches('/').to_string();
        let workdir = a.final_workdir.clone().unwrap_or_else(|| "/".into());
        let (jar_name, source, executable, more_jars) = match cmd.tool {
            Tool::Maven => {
                let Some((source, pom)) =
                    read_context_file(a, &format!("{dir}/pom.xml"), self.context)
                        .and_then(|(p, t)| Some((p, maven::read(&t)?)))
                else {
                    a.block(
                        line,
                        format!("{kw} runs `{written}`, and msb cannot read {dir}/pom.xml"),
                    );
                    return;
                };
                if !pom.modules.is_empty() {
                    a.block(
                        line,
                        format!("{kw} runs `{written}` in a multi-module build: cannot tell which module's jar it runs"),
                    );
                    return;
                }
                let settings: Vec<&String> = pom
                    .boot_settings
                    .iter()
                    .filter(|s| self.rules.boot_run_settings.contains(s))
                    .collect();
                if let Some(setting) = settings.first() {
                    a.block(
                        line,
                        format!("{source} gives spring-boot:run <{setting}>, which `java -jar` would not pass"),
                    );
                    return;
                }
                let more = pom
                    .plugins
                    .iter()
                    .any(|p| self.rules.maven_extra_jar_plugins.contains(p));
                (pom.artefact_file(), source, pom.boot_repackage, more)
            }
            Tool::Gradle => {
                let Some((build, source)) = gradle_project(&dir, self.context, self.rules, a)
                else {
                    a.block(
                        line,
                        format!("{kw} runs `{written}`, and msb cannot read {dir}/build.gradle"),
                    );
                    return;
                };
                if build.boot_run_configured {
                    a.block(
                        line,
                        format!("{source} configures bootRun (JVM arguments, program arguments, system properties or environment), which `java -jar` would not pass"),
                    );
                    return;
                }
                if build.multi_project {
                    a.block(
                        line,
                        format!("{kw} runs `{written}` in a multi-project build: cannot tell which project's jar it runs"),
                    );
                    return;
                }
                let name = build
                    .root_name
                    .clone()
                    .unwrap_or_else(|| basename(&dir).to_string());
                (build.boot_jar(&name), source, build.boot, false)
            }
        };
        if !executable {
            a.block(
                line,
                format!("{kw} runs `{written}`, but {source} does not make an executable Spring Boot jar for `java -jar`"),
            );
            return;
        }
        let libs = match cmd.tool {
            Tool::Maven => format!("{dir}/target"),
            Tool::Gradle => format!("{dir}/build/libs"),
        };
        let built = self.outputs.iter().find(|o| o.dir == libs && o.boot);
        // The jar to run: its own name, or one jar copied to a fixed name.
        let single = match built {
            Some(o) => o.jars.len() == 1 && !o.extra,
            // Only `package`/`bootJar`, which msb adds, makes jars there.
            None => !more_jars,
        };
        let (from, to) = match &jar_name {
            Some(name) => (format!("{libs}/{name}"), format!("{libs}/{name}")),
            None if single => (
                format!("{libs}/*.jar"),
                absolute(&workdir, &self.rules.fixed_jar_name),
            ),
            None => {
                a.block(
                    line,
                    format!(
                        "{kw} runs `{written}`, and msb cannot read the jar's name from {source}"
                    ),
                );
                return;
            }
        };
        let relative = entry::path_from_workdir(&to, &workdir);
        let words: Vec<String> = vec!["java".into(), "-jar".into(), relative];
        let needs_unsafe = built.is_none();
        let build_line = built.map_or(line, |o| o.line);
        let why = match built {
            Some(o) => format!(
                "`{written}`, which runs the jar line {} already packaged",
                o.line
            ),
            None => {
                let step = match cmd.tool {
                    Tool::Maven => format!("{} package -DskipTests", cmd.program),
                    Tool::Gradle => format!("{} bootJar", cmd.program),
                };
                if a.workdir_at(a.last_build_index) != dir {
                    a.block(
                        line,
                        format!("{kw} runs `{written}` in {dir}, where the build does not run: msb cannot add the packaging step"),
                    );
                    return;
                }
                a.builder_additions.push(BuilderAddition {
                    before: None,
                    lines: vec![("RUN".into(), step.clone())],
                    why: format!(
                        "packages the jar `{written}` would have built at start-up, for `java -jar`"
                    ),
                });
                a.block_unless_unsafe(
                    line,
                    format!("{kw} runs `{written}`: the build packages no jar; --unsafe adds `RUN {step}` and runs `java -jar`"),
                );
                format!("`{written}`; msb adds `RUN {step}` to the build")
            }
        };
        a.add_artefact(
            build_line,
            &from,
            &to,
            format!("line {line}: the jar `{written}` runs"),
            false,
        );
        entry::rewrite_launch(a, launch, &words, why, needs_unsafe);
    }
}
