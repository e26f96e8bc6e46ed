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
//! and where), `launch` (what ENTRYPOINT/CMD and HEALTHCHECK start),
//! `jar` (placing the jar `java -jar` runs), `runner` (the
//! `spring-boot:run`/`bootRun` rewrite), `files` (what the app reads at
//! run time), `ports` (a privileged port it listens on), `image` (the
//! builder's JDK and the JRE that runs the jar). This file keeps the
//! entry points and the order of the checks.

mod classpath;
mod command;
mod files;
mod gradle;
mod image;
mod jar;
mod launch;
mod maven;
mod outputs;
mod ports;
mod runner;

pub(crate) use image::resolved_tag;

use command::{BuildCommand, Tool, only_fetches, read_command};
use outputs::{InstallDir, Output, gradle_outputs, maven_outputs};

use crate::analyse::Analysis;
use crate::analyse::entry;
use crate::analyse::image::BaseImage;
use crate::analyse::shell::Command;
use crate::knowledge::{JavaRules, Knowledge, LanguagePack};
use crate::parse::Dockerfile;
use crate::source::BuildContext;

/// The `[java]` rules of java.toml.
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

/// A file of the build context by its path in the image, with its path
/// in the context (for reasons) and its text.
fn read_context_file(a: &Analysis, path: &str, context: &BuildContext) -> Option<(String, String)> {
    let rel = entry::context_path(a, path, context)?;
    let text = context.read_small(&rel)?;
    Some((rel, text))
}

/// The last part of a path (`/app/api/` → `api`).
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
    /// The Maven and Gradle commands of the RUN lines, by instruction.
    commands: Vec<(usize, BuildCommand)>,
    /// What they leave in `target/` and `build/libs/`.
    outputs: Vec<Output>,
    /// Gradle `installDist` folders.
    installs: Vec<InstallDir>,
}

/// Java's part of the analysis: blocks with the reason when msb cannot
/// tell the jar, its files or its JRE.
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
    if !builder_has_a_jre(file, pack, k, &builder, a) {
        return;
    }
    let same_base = a.same_base.is_some();
    // A JDK and Maven or Gradle installed by apt/apk only build.
    a.installed_packages
        .retain(|p| !rules.build_packages.contains(p));
    build_package_steps(rules, a);
    if builder_user_blocks(file, &builder, a) {
        return;
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
    java.read_builds(a);
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
    if java.keeps_builder_java_home(&launch, same_base, a) || !java.place_launch(&launch, a) {
        return;
    }
    if java.healthcheck_needs_jdk(a) {
        return;
    }
    java.runtime_files(a);
    java.privileged_ports(&launch, a);
    if !same_base {
        java.choose_runtime(&builder, a);
    }
}

/// Whether a JRE image can run what the builder builds: not when the
/// builder is a servlet container or no JDK image at all. A JDK from a
/// plain distribution's packages makes the final stage the same image
/// with its headless JRE (`same_base.rs`). Blocks when not.
fn builder_has_a_jre(
    file: &Dockerfile,
    pack: &LanguagePack,
    k: &Knowledge,
    builder: &BaseImage,
    a: &mut Analysis,
) -> bool {
    let rules = rules(pack);
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
        return false;
    }
    if pack.detect.images.contains(&builder.base_name) {
        return true;
    }
    match crate::analyse::same_base::check(file, pack, k, a) {
        crate::analyse::same_base::Outcome::Applies => true,
        crate::analyse::same_base::Outcome::Blocked => false,
        crate::analyse::same_base::Outcome::NotPlain => {
            a.block(
                from,
                format!(
                    "{} is not a JDK image: msb cannot tell which Java runs the app",
                    builder.written
                ),
            );
            false
        }
    }
}

/// A named user the builder image has (the gradle image's `gradle`) is
/// not in the JRE image: blocks, and says so.
fn builder_user_blocks(file: &Dockerfile, builder: &BaseImage, a: &mut Analysis) -> bool {
    let Some(index) = a.final_user else {
        return false;
    };
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
        return true;
    }
    false
}

impl Java<'_> {
    /// The Maven and Gradle commands of the RUN lines, and what each
    /// leaves where.
    fn read_builds(&mut self, a: &mut Analysis) {
        let run_commands = a.run_commands.clone();
        for rc in &run_commands {
            let Some(cmd) = read_command(&rc.command, &rc.cwd, self.rules) else {
                continue;
            };
            let line = self.file.instructions[rc.index].line;
            match cmd.tool {
                Tool::Maven => {
                    let outputs = maven_outputs(&cmd, line, self.context, self.rules, a);
                    self.outputs.extend(outputs);
                }
                Tool::Gradle => {
                    let (outputs, installs) =
                        gradle_outputs(&cmd, line, self.context, self.rules, a);
                    self.outputs.extend(outputs);
                    self.installs.extend(installs);
                }
            }
            self.commands.push((rc.index, cmd));
        }
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
