//! `mvn spring-boot:run` and `gradle bootRun` in ENTRYPOINT/CMD need the
//! toolchain: they are rewritten to `java -jar` on the executable jar the
//! build packaged, or, when nothing packaged it, on the jar of a packaging
//! step msb adds (which only `--unsafe` applies).

use super::command::{BuildCommand, Tool, read_command};
use super::outputs::{Output, gradle_project};
use super::{Java, basename, maven, read_context_file};
use crate::analyse::entry::{self, Launch, Step};
use crate::analyse::{Analysis, BuilderAddition, absolute};

/// A runner command of ENTRYPOINT/CMD, for its checks and reasons.
struct Runner<'a> {
    line: usize,
    kw: &'a str,
    /// The command as written, for reasons.
    written: String,
    cmd: BuildCommand,
    /// The project folder, without a trailing `/`.
    dir: String,
}

impl Runner<'_> {
    fn block(&self, a: &mut Analysis, why: String) {
        a.block(self.line, why);
    }
}

/// The jar the project's build file says the runner runs.
struct BootJar {
    /// Its file name, when msb can read it.
    name: Option<String>,
    /// The build file it is read from.
    source: String,
    /// The build makes an executable Spring Boot jar.
    executable: bool,
    /// Other jars may be beside it (sources, javadoc, shade's original).
    more_jars: bool,
}

impl Java<'_> {
    /// `mvn spring-boot:run` / `gradle bootRun` → `java -jar` on the jar.
    pub(super) fn rewrite_runner(&self, launch: &Launch, step: &Step, a: &mut Analysis) {
        let Some(cmd) = read_command(&step.command, &step.cwd, self.rules) else {
            return;
        };
        let run = Runner {
            line: launch.line,
            kw: launch.keyword,
            written: step.command.words.join(" "),
            dir: cmd.project_dir.trim_end_matches('/').to_string(),
            cmd,
        };
        if !can_rewrite(&run, launch, step, a) {
            return;
        }
        let jar = match run.cmd.tool {
            Tool::Maven => self.maven_boot_jar(&run, a),
            Tool::Gradle => self.gradle_boot_jar(&run, a),
        };
        let Some(jar) = jar else {
            return;
        };
        if !jar.executable {
            run.block(
                a,
                format!(
                    "{} runs `{}`, but {} does not make an executable Spring Boot jar for `java -jar`",
                    run.kw, run.written, jar.source
                ),
            );
            return;
        }
        let libs = match run.cmd.tool {
            Tool::Maven => format!("{}/target", run.dir),
            Tool::Gradle => format!("{}/build/libs", run.dir),
        };
        let built = self.outputs.iter().find(|o| o.dir == libs && o.boot);
        let workdir = a.final_workdir.clone().unwrap_or_else(|| "/".into());
        let Some((from, to)) = self.jar_to_run(&run, &jar, &libs, built, &workdir, a) else {
            return;
        };
        let relative = entry::path_from_workdir(&to, &workdir);
        let words: Vec<String> = vec!["java".into(), "-jar".into(), relative];
        let needs_unsafe = built.is_none();
        let build_line = built.map_or(run.line, |o| o.line);
        let Some(why) = packaged_by(&run, built, a) else {
            return;
        };
        a.add_artefact(
            build_line,
            &from,
            &to,
            format!("line {}: the jar `{}` runs", run.line, run.written),
            false,
        );
        entry::rewrite_launch(a, launch, &words, why, needs_unsafe);
    }

    /// The jar `spring-boot:run` runs, from the project's pom.xml.
    fn maven_boot_jar(&self, run: &Runner, a: &mut Analysis) -> Option<BootJar> {
        let (kw, written, dir) = (run.kw, &run.written, &run.dir);
        let Some((source, pom)) = read_context_file(a, &format!("{dir}/pom.xml"), self.context)
            .and_then(|(p, t)| Some((p, maven::read(&t)?)))
        else {
            run.block(
                a,
                format!("{kw} runs `{written}`, and msb cannot read {dir}/pom.xml"),
            );
            return None;
        };
        if !pom.modules.is_empty() {
            run.block(
                a,
                format!("{kw} runs `{written}` in a multi-module build: cannot tell which module's jar it runs"),
            );
            return None;
        }
        let settings: Vec<&String> = pom
            .boot_settings
            .iter()
            .filter(|s| self.rules.boot_run_settings.contains(s))
            .collect();
        if let Some(setting) = settings.first() {
            run.block(
                a,
                format!(
                    "{source} gives spring-boot:run <{setting}>, which `java -jar` would not pass"
                ),
            );
            return None;
        }
        let more_jars = pom
            .plugins
            .iter()
            .any(|p| self.rules.maven_extra_jar_plugins.contains(p));
        Some(BootJar {
            name: pom.artefact_file(),
            source,
            executable: pom.boot_repackage,
            more_jars,
        })
    }

    /// The jar `bootRun` runs, from the project's Gradle files.
    fn gradle_boot_jar(&self, run: &Runner, a: &mut Analysis) -> Option<BootJar> {
        let (kw, written, dir) = (run.kw, &run.written, &run.dir);
        let Some((build, source)) = gradle_project(dir, self.context, self.rules, a) else {
            run.block(
                a,
                format!("{kw} runs `{written}`, and msb cannot read {dir}/build.gradle"),
            );
            return None;
        };
        if build.boot_run_configured {
            run.block(
                a,
                format!("{source} configures bootRun (JVM arguments, program arguments, system properties or environment), which `java -jar` would not pass"),
            );
            return None;
        }
        if build.multi_project {
            run.block(
                a,
                format!("{kw} runs `{written}` in a multi-project build: cannot tell which project's jar it runs"),
            );
            return None;
        }
        let name = build
            .root_name
            .clone()
            .unwrap_or_else(|| basename(dir).to_string());
        Some(BootJar {
            name: build.boot_jar(&name),
            source,
            executable: build.boot,
            more_jars: false,
        })
    }

    /// Where the jar is copied from and to: its own name, or one jar
    /// copied to a fixed name.
    fn jar_to_run(
        &self,
        run: &Runner,
        jar: &BootJar,
        libs: &str,
        built: Option<&Output>,
        workdir: &str,
        a: &mut Analysis,
    ) -> Option<(String, String)> {
        let single = match built {
            Some(o) => o.jars.len() == 1 && !o.extra,
            // Only `package`/`bootJar`, which msb adds, makes jars there.
            None => !jar.more_jars,
        };
        match &jar.name {
            Some(name) => Some((format!("{libs}/{name}"), format!("{libs}/{name}"))),
            None if single => Some((
                format!("{libs}/*.jar"),
                absolute(workdir, &self.rules.fixed_jar_name),
            )),
            None => {
                run.block(
                    a,
                    format!(
                        "{} runs `{}`, and msb cannot read the jar's name from {}",
                        run.kw, run.written, jar.source
                    ),
                );
                None
            }
        }
    }
}

/// Only a runner alone (`clean` aside), without options `java -jar`
/// would not carry, as the whole command, is rewritten. Blocks when not.
fn can_rewrite(run: &Runner, launch: &Launch, step: &Step, a: &mut Analysis) -> bool {
    let (kw, written, cmd) = (run.kw, &run.written, &run.cmd);
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
        run.block(
            a,
            format!(
                "{kw} runs `{written}`: the {} toolchain is not in the final stage",
                cmd.tool.name()
            ),
        );
        return false;
    }
    if !launch.sole {
        run.block(
            a,
            format!("{kw} runs `{written}` among other commands: msb rewrites it only when it is the whole command"),
        );
        return false;
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
        run.block(
            a,
            format!("{kw} runs `{written}`: msb does not carry `{option}` over to `java -jar`"),
        );
        return false;
    }
    true
}

/// Why the rewrite runs a packaged jar: a build step packaged it, or msb
/// adds the packaging step (which only `--unsafe` applies). None when the
/// build runs elsewhere, so no step can be added.
fn packaged_by(run: &Runner, built: Option<&Output>, a: &mut Analysis) -> Option<String> {
    let (kw, written, dir) = (run.kw, &run.written, &run.dir);
    if let Some(o) = built {
        return Some(format!(
            "`{written}`, which runs the jar line {} already packaged",
            o.line
        ));
    }
    let step = match run.cmd.tool {
        Tool::Maven => format!("{} package -DskipTests", run.cmd.program),
        Tool::Gradle => format!("{} bootJar", run.cmd.program),
    };
    if a.workdir_at(a.last_build_index) != *dir {
        run.block(
            a,
            format!("{kw} runs `{written}` in {dir}, where the build does not run: msb cannot add the packaging step"),
        );
        return None;
    }
    a.builder_additions.push(BuilderAddition {
        before: None,
        lines: vec![("RUN".into(), step.clone())],
        why: format!("packages the jar `{written}` would have built at start-up, for `java -jar`"),
    });
    a.block_unless_unsafe(
        run.line,
        format!("{kw} runs `{written}`: the build packages no jar; --unsafe adds `RUN {step}` and runs `java -jar`"),
    );
    Some(format!("`{written}`; msb adds `RUN {step}` to the build"))
}
