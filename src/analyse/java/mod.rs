//! Java with Maven or Gradle: which jar the build makes and where (read
//! from pom.xml or the Gradle files), where ENTRYPOINT/CMD expects it, and
//! which JRE runs it (the Java version the builder's tag names).
//!
//! The jar is copied exactly where the command runs it. A command that
//! names a jar the build cannot be seen to make, a class path, or a main
//! class is skipped with its reason. `mvn spring-boot:run` and
//! `gradle bootRun` are rewritten to `java -jar` on the jar the build
//! packaged; when nothing packaged it, msb adds the packaging step, which
//! only `--unsafe` applies.
//!
//! By concern: `command` (Maven and Gradle command lines, read), `maven`
//! and `gradle` (their build files), `outputs` (what a build step makes
//! and where), `jar` (placing the jar `java -jar` runs), `runner` (the
//! `spring-boot:run`/`bootRun` rewrite), `files` (what the app reads at
//! run time), `ports` (a privileged port it listens on), `image` (the
//! builder's JDK and the JRE that runs the jar).

mod command;
mod files;
mod gradle;
mod image;
mod jar;
mod maven;
mod outputs;
mod ports;
mod runner;

pub(crate) use image::resolved_tag;

use command::{BuildCommand, Tool, only_fetches, read_command, tool_of};
use outputs::{InstallDir, Output, gradle_outputs, maven_outputs};

use crate::analyse::entry;
use crate::analyse::shell::Command;
use crate::analyse::{Analysis, is_under};
use crate::knowledge::{JavaRules, Knowledge, LanguagePack};
use crate::parse::Dockerfile;
use crate::source::BuildContext;

fn rules(pack: &LanguagePack) -> &JavaRules {
    pack.java
        .as_ref()
        .expect("java.toml has [java] (validated)")
}

/// A Maven/Gradle command that builds (compiles, tests, packages).
pub fn is_build_step(pack: &LanguagePack, c: &Command) -> bool {
    let rules = rules(pack);
    read_command(c, "/", rules).is_some_and(|cmd| !only_fetches(&cmd, rules))
}

/// A Maven/Gradle command that only fetches dependencies (or prints).
pub fn is_dep_step(pack: &LanguagePack, c: &Command) -> bool {
    let rules = rules(pack);
    read_command(c, "/", rules).is_some_and(|cmd| only_fetches(&cmd, rules))
}

fn read_context_file(a: &Analysis, path: &str, context: &BuildContext) -> Option<(String, String)> {
    let rel = entry::context_path(a, path, context)?;
    let text = context.read_small(&rel)?;
    Some((rel, text))
}

fn basename(path: &str) -> &str {
    path.trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(path)
}

/// RUNs that install only a JDK, Maven or Gradle are build dependencies.
fn build_package_steps(rules: &JavaRules, a: &mut Analysis) {
    let mut installs: Vec<(usize, Vec<String>)> = Vec::new();
    for rc in &a.run_commands {
        if let Some(crate::analyse::packages::PackageOp::Install { packages, .. }) =
            crate::analyse::packages::read(&rc.command)
        {
            match installs.iter_mut().find(|(i, _)| *i == rc.index) {
                Some((_, list)) => list.extend(packages),
                None => installs.push((rc.index, packages)),
            }
        }
    }
    for (index, packages) in installs {
        let runtime_role = a.has_role(index, crate::analyse::StepRole::RuntimeDeps);
        if runtime_role
            && !packages.is_empty()
            && packages.iter().all(|p| rules.build_packages.contains(p))
        {
            a.set_role(
                index,
                crate::analyse::StepRole::BuildDeps,
                format!(
                    "installs {} (build tools, not needed at run time)",
                    packages.join(", ")
                ),
            );
        }
    }
}

/// Everything the Java analysis works from.
struct Java<'a> {
    file: &'a Dockerfile,
    context: &'a BuildContext,
    pack: &'a LanguagePack,
    k: &'a Knowledge,
    rules: &'a JavaRules,
    commands: Vec<(usize, BuildCommand)>,
    outputs: Vec<Output>,
    installs: Vec<InstallDir>,
}

pub fn analyse(
    file: &Dockerfile,
    context: &BuildContext,
    pack: &LanguagePack,
    k: &Knowledge,
    a: &mut Analysis,
) {
    let rules = rules(pack);
    let Some(builder) = a.builder.clone() else {
        return;
    };
    let from = crate::analyse::from_line(file);
    if rules.servlet_images.contains(&builder.base_name)
        || rules.servlet_images.contains(&builder.name)
    {
        a.block(
            from,
            format!(
                "{} is a servlet container that runs the app's war: the runtime would have to be the same container, which msb does not choose",
                builder.written
            ),
        );
        return;
    }
    // A JDK from a plain distribution's packages: the final stage is the
    // same image with its headless JRE (`same_base.rs`).
    if !pack.detect.images.contains(&builder.base_name) {
        match crate::analyse::same_base::check(file, pack, k, a) {
            crate::analyse::same_base::Outcome::Applies => {}
            crate::analyse::same_base::Outcome::Blocked => return,
            crate::analyse::same_base::Outcome::NotPlain => {
                a.block(
                    from,
                    format!(
                        "{} is not a JDK image: msb cannot tell which Java runs the app",
                        builder.written
                    ),
                );
                return;
            }
        }
    }
    let same_base = a.same_base.is_some();
    // A JDK and Maven or Gradle installed by apt/apk only build.
    a.installed_packages
        .retain(|p| !rules.build_packages.contains(p));
    build_package_steps(rules, a);

    // A named user the builder image has (the gradle image's `gradle`)
    // is not in the JRE image.
    if let Some(index) = a.final_user {
        let user = file.instructions[index].args.trim().to_string();
        let name = user.split(':').next().unwrap_or("");
        let numeric = name.chars().all(|c| c.is_ascii_digit()) || name.starts_with('$');
        if a.user_setup.is_empty() && !numeric && !crate::analyse::is_root_user(&user) {
            a.block(
                file.instructions[index].line,
                format!(
                    "USER {user} comes with {}, and the JRE image has no such user",
                    builder.written
                ),
            );
            return;
        }
    }
    let mut java = Java {
        file,
        context,
        pack,
        k,
        rules,
        commands: Vec::new(),
        outputs: Vec::new(),
        installs: Vec::new(),
    };
    let run_commands = a.run_commands.clone();
    for rc in &run_commands {
        let Some(cmd) = read_command(&rc.command, &rc.cwd, rules) else {
            continue;
        };
        let line = file.instructions[rc.index].line;
        match cmd.tool {
            Tool::Maven => {
                let outputs = maven_outputs(&cmd, line, context, rules, a);
                java.outputs.extend(outputs);
            }
            Tool::Gradle => {
                let (outputs, installs) = gradle_outputs(&cmd, line, context, rules, a);
                java.outputs.extend(outputs);
                java.installs.extend(installs);
            }
        }
        java.commands.push((rc.index, cmd));
    }
    let tools: Vec<String> = rules
        .maven_programs
        .iter()
        .chain(&rules.gradle_programs)
        .cloned()
        .collect();
    let Some(launch) = entry::read(file, context, k, a, &tools) else {
        a.block(
            file.instructions[a.last_build_index].line,
            "no ENTRYPOINT or CMD: cannot tell which jar the runtime runs",
        );
        return;
    };
    entry::copy_launch_script(&launch, a);
    // ENV JAVA_HOME is carried to the final stage, where a start script
    // (`installDist`) or `$JAVA_HOME/bin/java` would look for the builder's JDK.
    // (The distribution's JDK and JRE packages share their JAVA_HOME.)
    if let Some(home) = a.env.get("JAVA_HOME").cloned()
        && home.trim_end_matches('/') != rules.jre_java_home
        && !(same_base && is_under(&home, &rules.distro_jvm_dir))
    {
        let line = entry::env_line(file, "JAVA_HOME").unwrap_or(launch.line);
        a.block(
            line,
            format!(
                "ENV JAVA_HOME={home} names the builder's JDK, which the final stage would keep; the JRE image has Java in {}",
                rules.jre_java_home
            ),
        );
        return;
    }
    let mut runs_app = false;
    for step in &launch.steps {
        let program = step.command.program().to_string();
        if program == "java" {
            java.place_java(&launch, step, a);
            runs_app = true;
        } else if tool_of(&step.command, rules).is_some() {
            java.rewrite_runner(&launch, step, a);
            runs_app = true;
        } else if let Some(install) = java.install_of(&step.command.words[0], &step.cwd) {
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
            runs_app = true;
        } else if let Some(script) = entry::nested_script(step, a, context) {
            a.block(launch.line, entry::nested_script_reason(&launch, &script));
            return;
        } else if rules.jdk_only_tools.contains(&program) {
            a.block(
                launch.line,
                format!(
                    "{} runs {program}, a JDK tool the JRE image does not have",
                    launch.keyword
                ),
            );
            return;
        } else if !entry::is_harmless(&program, k) {
            a.block(
                launch.line,
                format!(
                    "{} runs `{program}`, which is not a jar the build makes: cannot tell what the runtime needs",
                    launch.keyword
                ),
            );
            return;
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
        return;
    }
    // The JRE has java and keytool, not the JDK's tools.
    if let Some((line, commands)) = entry::healthcheck_commands(file)
        && let Some(tool) = commands
            .iter()
            .map(|c| c.program())
            .find(|p| rules.jdk_only_tools.iter().any(|t| t == p))
    {
        a.block(
            line,
            format!("HEALTHCHECK runs {tool}, a JDK tool the JRE image does not have"),
        );
        return;
    }
    java.runtime_files(a);
    java.privileged_ports(&launch, a);
    if !same_base {
        java.choose_runtime(&builder, a);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The built-in java.toml rules (the tests of the other files use them).
    pub(super) fn rules() -> JavaRules {
        Knowledge::builtin()
            .unwrap()
            .language("java")
            .unwrap()
            .java
            .clone()
            .unwrap()
    }

    pub(super) fn command(words: &str) -> Command {
        crate::analyse::shell::commands(words).remove(0)
    }
}
