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

mod gradle;
mod maven;

use crate::analyse::entry::{self, Launch, Step};
use crate::analyse::shell::Command;
use crate::analyse::{Analysis, BuilderAddition, RuntimeChoice, absolute, is_under};
use crate::knowledge::{Family, JavaRules, Knowledge, LanguagePack, glob_match};
use crate::parse::Dockerfile;
use crate::source::BuildContext;

/// Which build tool a step runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tool {
    Maven,
    Gradle,
}

impl Tool {
    fn name(self) -> &'static str {
        match self {
            Tool::Maven => "Maven",
            Tool::Gradle => "Gradle",
        }
    }
}

/// A Maven or Gradle command of a RUN, read.
#[derive(Debug, Clone)]
struct BuildCommand {
    tool: Tool,
    /// As written (`./mvnw`), to run it again.
    program: String,
    /// The project folder in the image (`-f`/`-p`, or where it runs).
    project_dir: String,
    /// Goals (Maven) or tasks (Gradle), with a Gradle subproject path
    /// (`:api:bootJar` → `("api", "bootJar")`).
    targets: Vec<(String, String)>,
    /// `-pl` modules (Maven).
    modules: Vec<String>,
    /// `-D`/`-P` words.
    properties: Vec<String>,
    /// `-f` names a pom file other than `pom.xml`.
    pom_file: Option<String>,
}

/// Maven options that take a value.
const MAVEN_VALUE_FLAGS: &[&str] = &[
    "-f",
    "--file",
    "-pl",
    "--projects",
    "-s",
    "--settings",
    "-gs",
    "--global-settings",
    "-P",
    "--activate-profiles",
    "-T",
    "--threads",
    "-rf",
    "--resume-from",
    "-l",
    "--log-file",
    "-t",
    "--toolchains",
    "-b",
    "--builder",
    "-D",
];

/// Gradle options that take a value.
const GRADLE_VALUE_FLAGS: &[&str] = &[
    "-p",
    "--project-dir",
    "-b",
    "--build-file",
    "-c",
    "--settings-file",
    "-x",
    "--exclude-task",
    "-g",
    "--gradle-user-home",
    "-I",
    "--init-script",
    "--console",
    "--warning-mode",
    "--max-workers",
    "--priority",
    "--include-build",
    "--project-cache-dir",
    "-D",
    "-P",
];

fn rules(pack: &LanguagePack) -> &JavaRules {
    pack.java
        .as_ref()
        .expect("java.toml has [java] (validated)")
}

fn tool_of(c: &Command, rules: &JavaRules) -> Option<Tool> {
    let program = c.program();
    if rules.maven_programs.iter().any(|p| p == program) {
        Some(Tool::Maven)
    } else if rules.gradle_programs.iter().any(|p| p == program) {
        Some(Tool::Gradle)
    } else {
        None
    }
}

/// Read a Maven or Gradle command run in `cwd`.
fn read_command(c: &Command, cwd: &str, rules: &JavaRules) -> Option<BuildCommand> {
    let tool = tool_of(c, rules)?;
    let value_flags = match tool {
        Tool::Maven => MAVEN_VALUE_FLAGS,
        Tool::Gradle => GRADLE_VALUE_FLAGS,
    };
    let mut cmd = BuildCommand {
        tool,
        program: c.words[0].clone(),
        project_dir: cwd.to_string(),
        targets: Vec::new(),
        modules: Vec::new(),
        properties: Vec::new(),
        pom_file: None,
    };
    let mut args = c.args().iter();
    while let Some(arg) = args.next() {
        if !arg.starts_with('-') {
            let (project, target) = match (tool, arg.rsplit_once(':')) {
                (Tool::Gradle, Some((project, task))) => (
                    project.trim_matches(':').replace(':', "/"),
                    task.to_string(),
                ),
                _ => (String::new(), arg.clone()),
            };
            cmd.targets.push((project, target));
            continue;
        }
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if arg.starts_with("--") => (f, Some(v.to_string())),
            _ => (arg.as_str(), None),
        };
        if (flag.starts_with("-D") || flag.starts_with("-P")) && flag.len() > 2 {
            cmd.properties.push(arg.clone());
        }
        if !value_flags.contains(&flag) {
            continue;
        }
        let value = inline.or_else(|| args.next().cloned()).unwrap_or_default();
        match flag {
            "-f" | "--file" => {
                let path = absolute(cwd, &value);
                if value.ends_with(".xml") {
                    let (dir, file) = path.rsplit_once('/').unwrap_or(("", &path));
                    cmd.project_dir = if dir.is_empty() {
                        "/".into()
                    } else {
                        dir.to_string()
                    };
                    if file != "pom.xml" {
                        cmd.pom_file = Some(file.to_string());
                    }
                } else {
                    cmd.project_dir = path;
                }
            }
            "-p" | "--project-dir" => cmd.project_dir = absolute(cwd, &value),
            "-pl" | "--projects" => {
                cmd.modules
                    .extend(value.split(',').map(|m| m.trim().to_string()));
            }
            "-D" | "-P" => cmd.properties.push(format!("{flag}{value}")),
            _ => {}
        }
    }
    Some(cmd)
}

fn only_fetches(cmd: &BuildCommand, rules: &JavaRules) -> bool {
    let deps = match cmd.tool {
        Tool::Maven => &rules.maven_dep_goals,
        Tool::Gradle => &rules.gradle_dep_tasks,
    };
    cmd.targets
        .iter()
        .all(|(_, t)| deps.contains(t) || t == "clean")
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

/// Jars one build step leaves in one folder.
#[derive(Debug, Clone)]
struct Output {
    line: usize,
    tool: Tool,
    /// The folder in the image (`/app/target`, `/app/build/libs`).
    dir: String,
    /// One entry per jar the step makes there; None: a jar whose name msb
    /// could not read.
    jars: Vec<Option<String>>,
    /// Other jars may be there too (sources, javadoc, shade's original, a
    /// plain jar msb cannot name).
    extra: bool,
    /// An executable Spring Boot jar is among them.
    boot: bool,
    /// The jar needs the dependency jars copied next to it.
    lib_folder: bool,
    /// Where the names come from, for reasons (`pom.xml`).
    source: String,
    /// A plain jar beside the boot jar (`-plain.jar`), for warnings.
    plain: Option<String>,
    /// Quarkus builds the app: its fast-jar folder `quarkus-app/` is
    /// beside this one (`target/quarkus-app`, `build/quarkus-app`).
    quarkus: bool,
}

/// Gradle's `installDist` folder of a build step.
#[derive(Debug, Clone)]
struct InstallDir {
    line: usize,
    path: String,
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

/// What a Maven command that packages leaves in `target/`, per module.
fn maven_outputs(
    cmd: &BuildCommand,
    line: usize,
    context: &BuildContext,
    rules: &JavaRules,
    a: &mut Analysis,
) -> Vec<Output> {
    let goals: Vec<&str> = cmd.targets.iter().map(|(_, g)| g.as_str()).collect();
    if !goals
        .iter()
        .any(|g| rules.maven_package_phases.iter().any(|p| p == g))
    {
        return Vec::new();
    }
    let pom_name = cmd.pom_file.clone().unwrap_or_else(|| "pom.xml".into());
    let root_path = format!("{}/{pom_name}", cmd.project_dir.trim_end_matches('/'));
    let root = read_context_file(a, &root_path, context);
    let root_pom = root.as_ref().and_then(|(_, text)| maven::read(text));
    let mut dirs: Vec<String> = Vec::new();
    match &root_pom {
        Some(pom) if !cmd.modules.is_empty() => {
            for m in &cmd.modules {
                let m = m.trim_start_matches('!');
                let dir = if m.contains(':') {
                    // `:artifactId` or `groupId:artifactId`: the module whose
                    // pom has that artifactId.
                    let artifact = m.rsplit(':').next().unwrap_or(m);
                    pom.modules
                        .iter()
                        .map(|name| format!("{}/{name}", cmd.project_dir.trim_end_matches('/')))
                        .find(|dir| {
                            read_context_file(a, &format!("{dir}/pom.xml"), context)
                                .and_then(|(_, t)| maven::read(&t))
                                .and_then(|p| p.artifact_id)
                                .as_deref()
                                == Some(artifact)
                        })
                } else {
                    Some(absolute(&cmd.project_dir, m))
                };
                match dir {
                    Some(d) => dirs.push(d),
                    None => {
                        a.warnings.push(format!(
                            "line {line}: -pl {m} names no module msb can find in {}",
                            root.as_ref().map_or("pom.xml", |(p, _)| p.as_str())
                        ));
                    }
                }
            }
        }
        Some(pom) if !pom.modules.is_empty() => {
            if pom.packaging != "pom" {
                dirs.push(cmd.project_dir.clone());
            }
            for m in &pom.modules {
                dirs.push(absolute(&cmd.project_dir, m));
            }
        }
        None if !cmd.modules.is_empty() => {
            dirs.extend(cmd.modules.iter().map(|m| absolute(&cmd.project_dir, m)));
        }
        _ => dirs.push(cmd.project_dir.clone()),
    }
    // `-Dproject.build.finalName=x` names the jar on the command line.
    let renamed = cmd
        .properties
        .iter()
        .any(|p| p.contains("finalName") || p.contains("build.directory"));
    let goal_boot = goals.contains(&"spring-boot:repackage");
    let goal_lib = goals.iter().any(|g| g.ends_with("copy-dependencies"));
    let mut outputs = Vec::new();
    for dir in dirs {
        let pom_path = if dir == cmd.project_dir {
            root_path.clone()
        } else {
            format!("{}/pom.xml", dir.trim_end_matches('/'))
        };
        let found = read_context_file(a, &pom_path, context);
        let pom = found.as_ref().and_then(|(_, t)| maven::read(t));
        let source = found.map_or_else(|| pom_path.clone(), |(p, _)| p);
        let target = format!("{}/target", dir.trim_end_matches('/'));
        let output = match &pom {
            Some(p) if p.packaging == "pom" => continue,
            Some(p) if p.custom_build_dir => {
                a.block(
                    line,
                    format!(
                        "{source} sets <build><directory>: msb cannot tell where Maven puts the jar"
                    ),
                );
                continue;
            }
            Some(p) => Output {
                line,
                tool: Tool::Maven,
                dir: target,
                jars: {
                    let mut jars = maven_jars(p, &goals, renamed);
                    // Quarkus' uber-jar (`quarkus.package.jar.type=uber-jar`).
                    if p.plugins.iter().any(|x| rules.quarkus_plugins.contains(x))
                        && let Some(name) = p.final_name.as_ref().filter(|_| !renamed)
                    {
                        jars.push(Some(format!("{name}-runner.jar")));
                    }
                    jars
                },
                extra: p
                    .plugins
                    .iter()
                    .any(|x| rules.maven_extra_jar_plugins.contains(x)),
                boot: p.boot_repackage || goal_boot,
                lib_folder: p.needs_lib_folder || goal_lib,
                source: source.clone(),
                plain: None,
                quarkus: p.plugins.iter().any(|x| rules.quarkus_plugins.contains(x)),
            },
            None => Output {
                line,
                tool: Tool::Maven,
                dir: target,
                jars: vec![None],
                extra: true,
                boot: goal_boot,
                lib_folder: goal_lib,
                source: source.clone(),
                plain: None,
                quarkus: false,
            },
        };
        outputs.push(output);
    }
    outputs
}

/// The jars a Maven command leaves in `target/` for one pom: the main
/// jar, and the assembly's when its phase runs (or `assembly:single`).
fn maven_jars(pom: &maven::Pom, goals: &[&str], renamed: bool) -> Vec<Option<String>> {
    // The lifecycle up to `package` and past it.
    const FROM_PACKAGE: &[&str] = &["package", "verify", "install", "deploy"];
    let mut jars = Vec::new();
    // `mvn compile assembly:single` packages no main jar.
    if goals
        .iter()
        .any(|g| FROM_PACKAGE.contains(g) || *g == "spring-boot:repackage")
    {
        jars.push(pom.artefact_file().filter(|_| !renamed));
    }
    let phase_runs = pom.assembly_phase.as_deref().is_some_and(|phase| {
        let later = match phase {
            "package" => FROM_PACKAGE,
            "verify" => &FROM_PACKAGE[1..],
            "install" => &FROM_PACKAGE[2..],
            "deploy" => &FROM_PACKAGE[3..],
            _ => &[],
        };
        goals.iter().any(|g| later.contains(g))
    });
    let goal = goals
        .iter()
        .any(|g| *g == "assembly:single" || g.ends_with(":maven-assembly-plugin:single"));
    if phase_runs || goal {
        jars.extend(
            pom.assembly_jars
                .iter()
                .map(|j| j.clone().filter(|_| !renamed)),
        );
    }
    if jars.is_empty() {
        // An assembly the command line describes (`-DdescriptorId=`).
        jars.push(None);
    }
    jars
}

/// The Gradle build of a project folder, with its name.
fn gradle_project(
    dir: &str,
    context: &BuildContext,
    rules: &JavaRules,
    a: &Analysis,
) -> Option<(gradle::GradleBuild, String)> {
    let dir = dir.trim_end_matches('/');
    let read = |name: &str| read_context_file(a, &format!("{dir}/{name}"), context);
    let (build_path, build) = read("build.gradle.kts").or_else(|| read("build.gradle"))?;
    let settings = read("settings.gradle.kts").or_else(|| read("settings.gradle"));
    let properties = read("gradle.properties");
    let parsed = gradle::read(
        &build,
        settings.as_ref().map(|(_, t)| t.as_str()),
        properties.as_ref().map(|(_, t)| t.as_str()),
        rules,
    );
    Some((parsed, build_path))
}

/// What a Gradle command leaves in `build/libs` (and `build/install`).
fn gradle_outputs(
    cmd: &BuildCommand,
    line: usize,
    context: &BuildContext,
    rules: &JavaRules,
    a: &mut Analysis,
) -> (Vec<Output>, Vec<InstallDir>) {
    let mut outputs: Vec<Output> = Vec::new();
    let mut installs = Vec::new();
    let root = gradle_project(&cmd.project_dir, context, rules, a);
    // A task named without a project runs in every project that has it.
    let mut targets = cmd.targets.clone();
    if let Some((build, _)) = &root
        && build.multi_project
    {
        for (project, task) in &cmd.targets {
            if project.is_empty() {
                targets.extend(build.subprojects.iter().map(|s| (s.clone(), task.clone())));
            }
        }
    }
    for (project, task) in &targets {
        let makes = [
            "build",
            "assemble",
            "bootJar",
            "jar",
            "shadowJar",
            "installDist",
        ];
        if !makes.contains(&task.as_str()) {
            continue;
        }
        let dir = if project.is_empty() {
            cmd.project_dir.clone()
        } else {
            absolute(&cmd.project_dir, project)
        };
        let libs = format!("{}/build/libs", dir.trim_end_matches('/'));
        let found = if project.is_empty() {
            root.clone()
        } else {
            // A subproject without a version of its own may get the
            // root's (`allprojects { version = ... }`) or none: msb cannot
            // tell which, so its jar names are unknown then.
            gradle_project(&dir, context, rules, a).map(|(mut build, source)| {
                let root_versioned = root
                    .as_ref()
                    .is_some_and(|(r, _)| r.version != gradle::Version::Unset || r.shares_version);
                if build.version == gradle::Version::Unset && root_versioned {
                    build.version = gradle::Version::Unknown;
                }
                (build, source)
            })
        };
        // `-Pversion=2.0` sets the version on the command line.
        let found = found.map(|(mut build, source)| {
            if cmd.properties.iter().any(|p| p.starts_with("-Pversion=")) {
                build.version = gradle::Version::Unknown;
            }
            (build, source)
        });
        let Some((build, source)) = found else {
            outputs.push(Output {
                line,
                tool: Tool::Gradle,
                dir: libs,
                jars: vec![None],
                extra: true,
                boot: false,
                lib_folder: false,
                source: format!("{dir}/build.gradle"),
                plain: None,
                quarkus: false,
            });
            continue;
        };
        // A root task of a multi-project build runs in every project.
        let every_project = project.is_empty() && build.multi_project;
        let name = if project.is_empty() {
            build
                .root_name
                .clone()
                .unwrap_or_else(|| basename(&dir).to_string())
        } else {
            basename(project).to_string()
        };
        let mut jars: Vec<Option<String>> = Vec::new();
        let mut boot = false;
        let mut plain = None;
        match task.as_str() {
            "build" | "assemble" => {
                if build.boot {
                    jars.push(build.boot_jar(&name));
                    boot = true;
                }
                if !build.boot || build.makes_plain_jar() {
                    plain = build.plain_jar(&name);
                    jars.push(plain.clone());
                }
                if build.shadow {
                    jars.push(build.shadow_jar(&name));
                }
            }
            "bootJar" => {
                jars.push(build.boot_jar(&name));
                boot = true;
            }
            "jar" => jars.push(build.plain_jar(&name)),
            "shadowJar" => jars.push(build.shadow_jar(&name)),
            _ => {
                // installDist: the start scripts and every jar, under
                // build/install/<application name>.
                let app = build.application_name.clone().unwrap_or(name.clone());
                installs.push(InstallDir {
                    line,
                    path: format!("{}/build/install/{app}", dir.trim_end_matches('/')),
                });
                jars.push(build.plain_jar(&name));
            }
        }
        let mut output = Output {
            line,
            tool: Tool::Gradle,
            dir: libs.clone(),
            jars,
            extra: every_project,
            boot,
            lib_folder: false,
            source,
            plain: if boot { plain } else { None },
            quarkus: build.quarkus,
        };
        if let Some(same) = outputs.iter_mut().find(|o| o.dir == libs) {
            same.jars.append(&mut output.jars);
            same.boot |= output.boot;
            same.extra |= output.extra;
            same.plain = same.plain.take().or(output.plain);
        } else {
            outputs.push(output);
        }
    }
    (outputs, installs)
}

/// What a builder tag says of its JDK.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct TagJava {
    version: Option<u32>,
    /// The Ubuntu release it names, or empty.
    ubuntu: String,
    /// Where the version is: the `-` part and the byte offset in it.
    at: Option<(usize, usize)>,
}

/// The Java version a builder tag names (`maven:3.9-eclipse-temurin-17`,
/// `openjdk:8-jdk-alpine`, `gradle:jdk21`), and its Ubuntu release.
fn tag_java_version(base_name: &str, tag: &str, rules: &JavaRules) -> TagJava {
    let parts: Vec<&str> = tag.split('-').collect();
    let ubuntu = parts
        .iter()
        .find(|p| rules.ubuntu_releases.iter().any(|r| r == *p))
        .map(|p| p.to_string())
        .unwrap_or_default();
    let leading = |s: &str| -> Option<u32> {
        let digits: String = s.chars().take_while(|c| c.is_ascii_digit()).collect();
        let n: u32 = digits.parse().ok()?;
        // `1.8` is Java 8.
        if n == 1 {
            return s
                .strip_prefix("1.")
                .and_then(|r| r.split('.').next()?.parse().ok());
        }
        Some(n)
    };
    let found = |i: usize, offset: usize| TagJava {
        version: parts.get(i).and_then(|p| leading(&p[offset..])),
        ubuntu: ubuntu.clone(),
        at: Some((i, offset)),
    };
    if rules.version_first_images.iter().any(|i| i == base_name) {
        // `open-17-jdk`, `open-jdk-25.0.2_10.1-jdk`: words before it.
        let first = parts
            .iter()
            .take_while(|p| rules.version_prefixes.iter().any(|w| w == *p))
            .count();
        return found(first, 0);
    }
    for (i, part) in parts.iter().enumerate() {
        for word in &rules.version_words {
            if *part == word.as_str() {
                if parts.get(i + 1).and_then(|next| leading(next)).is_some() {
                    return found(i + 1, 0);
                }
            } else if let Some(rest) = part.strip_prefix(word.as_str())
                && rest.starts_with(|c: char| c.is_ascii_digit())
            {
                return found(i, word.len());
            }
        }
    }
    TagJava {
        ubuntu,
        ..TagJava::default()
    }
}

/// The build argument the written tag names the Java version with
/// (`eclipse-temurin:${JAVA_VERSION}-jdk`), when the version is that
/// argument alone: the runtime tag names it too, so a `--build-arg`
/// changes both stages.
fn version_argument(written_tag: &str, resolved_tag: &str, at: (usize, usize)) -> Option<String> {
    let written: Vec<&str> = written_tag.split('-').collect();
    let resolved: Vec<&str> = resolved_tag.split('-').collect();
    if written.len() != resolved.len() {
        return None;
    }
    let part = written.get(at.0)?;
    let word = part.get(..at.1)?;
    let rest = &part[at.1..];
    let resolved_word = resolved.get(at.0)?.get(..at.1)?;
    let name = rest
        .strip_prefix("${")
        .and_then(|r| r.strip_suffix('}'))
        .or_else(|| rest.strip_prefix('$'))?;
    let plain = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    (plain && word == resolved_word).then(|| rest.to_string())
}

/// The tag of an image reference as resolved (`name:tag`, digest cut).
pub(crate) fn resolved_tag(resolved: &str) -> String {
    let without_digest = resolved.split('@').next().unwrap_or(resolved);
    let last = without_digest.rsplit('/').next().unwrap_or(without_digest);
    last.split_once(':')
        .map_or("latest".to_string(), |(_, t)| t.to_string())
}

/// A command's jar argument and the other files it names.
#[derive(Debug, Default)]
struct JavaArgs {
    jar: Option<String>,
    /// `-javaagent:` jars.
    agents: Vec<String>,
    /// Why msb cannot tell the files (a class path, a main class).
    unknown: Option<String>,
    /// Words after the jar (program arguments).
    app_args: Vec<String>,
}

fn java_args(c: &Command) -> JavaArgs {
    let mut out = JavaArgs::default();
    let mut args = c.args().iter();
    while let Some(arg) = args.next() {
        if out.jar.is_some() {
            out.app_args.push(arg.clone());
            continue;
        }
        match arg.as_str() {
            "-jar" => out.jar = args.next().cloned(),
            "-cp" | "-classpath" | "--class-path" => {
                out.unknown = Some(format!("`java {arg}` runs a class path"));
                args.next();
            }
            "-p" | "--module-path" | "-m" | "--module" => {
                out.unknown = Some(format!("`java {arg}` runs a module"));
                args.next();
            }
            a if a.starts_with("-javaagent:") => {
                let path = a["-javaagent:".len()..].split('=').next().unwrap_or("");
                out.agents.push(path.to_string());
            }
            a if a.starts_with('@') => {
                out.unknown = Some(format!("`java {a}` reads its arguments from a file"))
            }
            a if a.starts_with('-') || a.starts_with('$') => {}
            main => {
                out.unknown
                    .get_or_insert_with(|| format!("`java {main}` runs a main class"));
                break;
            }
        }
    }
    if out.jar.is_none() && out.unknown.is_none() {
        out.unknown = Some("`java` runs no `-jar`".into());
    }
    out
}

/// A Spring-style setting (`server.port`) of an `application.properties`
/// or a plain `application.yml` (nested keys by indentation), if literal.
fn config_value(text: &str, key: &str) -> Option<String> {
    let mut path: Vec<(usize, String)> = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with('!') {
            continue;
        }
        if trimmed == "---" {
            // Another YAML document (a profile): msb reads the first.
            break;
        }
        let indent = line.len() - line.trim_start().len();
        let Some((k, v)) = trimmed
            .split_once('=')
            .filter(|(k, _)| !k.contains(':'))
            .or_else(|| trimmed.split_once(':'))
        else {
            continue;
        };
        let (k, v) = (k.trim(), v.trim().trim_matches(['"', '\'']));
        path.retain(|(i, _)| *i < indent);
        let full: Vec<&str> = path
            .iter()
            .map(|(_, p)| p.as_str())
            .chain(std::iter::once(k))
            .collect();
        if v.is_empty() {
            path.push((indent, k.to_string()));
        } else if full.join(".") == key {
            return Some(v.to_string());
        }
    }
    None
}

/// Whether a RUN copied or moved a file to `path` (`cp target/*.jar app.jar`).
fn made_by_copy(a: &Analysis, path: &str) -> Option<usize> {
    for rc in a.run_commands.iter().rev() {
        let c = &rc.command;
        if !matches!(c.program(), "cp" | "mv" | "ln") {
            continue;
        }
        let operands: Vec<&String> = c.args().iter().filter(|x| !x.starts_with('-')).collect();
        let Some((dest, sources)) = operands.split_last() else {
            continue;
        };
        let dest = absolute(&rc.cwd, dest);
        let into_dir = sources.iter().any(|s| absolute(&dest, basename(s)) == path);
        if dest == path || into_dir {
            return Some(rc.index);
        }
    }
    None
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

impl Java<'_> {
    /// `java ... -jar X`: copy X (and the agents) where the command finds it.
    fn place_java(&self, launch: &Launch, step: &Step, a: &mut Analysis) {
        let line = launch.line;
        let kw = launch.keyword;
        let args = java_args(&step.command);
        if let Some(why) = args.unknown {
            a.block(
                line,
                format!("{kw}: {why}: cannot tell which files the runtime needs"),
            );
            return;
        }
        // The JRE has Java in its JAVA_HOME, and on PATH: a path of the
        // builder's JDK (`/usr/local/openjdk-11/bin/java`) is not there.
        let program = crate::analyse::image::expand_known(&step.command.words[0], &a.env);
        let jre_java = format!("{}/bin/java", self.rules.jre_java_home);
        if program.contains('/')
            && !program.contains('$')
            && absolute(&step.cwd, &program) != jre_java
        {
            a.block(
                line,
                format!("{kw} runs {program}, a path the JRE image does not have (its java is {jre_java})"),
            );
            return;
        }
        let jar = args.jar.unwrap_or_default();
        let jar = crate::analyse::image::expand_known(&jar, &a.env);
        if jar.contains('$') {
            a.block(
                line,
                format!("{kw} runs the jar {jar}, a variable msb cannot resolve"),
            );
            return;
        }
        let path = absolute(&step.cwd, &jar);
        self.place_jar(line, kw, &jar, &path, a);
        for agent in &args.agents {
            let agent_path = absolute(&step.cwd, agent);
            if !self.place_file(&agent_path, line, kw, a) {
                a.block(
                    line,
                    format!("{kw} loads the agent {agent}, which msb cannot find the build making"),
                );
            }
        }
        // Program arguments that name files of the build context
        // (`server config.yml`).
        for word in &args.app_args {
            if word.starts_with('-') || word.contains('$') {
                continue;
            }
            let p = absolute(&step.cwd, word);
            if entry::context_path(a, &p, self.context).is_some() {
                self.place_file(&p, line, kw, a);
            }
        }
    }

    /// A file the command reads that a COPY or a RUN put in the image.
    fn place_file(&self, path: &str, line: usize, kw: &str, a: &mut Analysis) -> bool {
        if a.is_copied(path) {
            return true;
        }
        if let Some(index) = made_by_copy(a, path) {
            let made = self.file.instructions[index].line;
            a.add_artefact(
                made,
                path,
                path,
                format!("line {made}: a RUN copies it there"),
                false,
            );
            return true;
        }
        // `ADD https://.../agent.jar /opt/agent.jar`, or a file of the context.
        let added = a.copies.iter().any(|c| c.roots.iter().any(|r| r == path));
        if added || entry::context_path(a, path, self.context).is_some() {
            a.add_artefact(
                line,
                path,
                path,
                format!("line {line}: {kw} reads it; it comes from the build context"),
                false,
            );
            return true;
        }
        false
    }

    fn place_jar(&self, line: usize, kw: &str, jar: &str, path: &str, a: &mut Analysis) {
        let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
        let dir = if dir.is_empty() { "/" } else { dir };
        let glob = name.contains(['*', '?', '[']);
        let outputs: Vec<&Output> = self.outputs.iter().filter(|o| o.dir == dir).collect();
        // Quarkus' fast-jar: quarkus-run.jar loads lib/, app/ and
        // quarkus/ beside it.
        if name == "quarkus-run.jar"
            && let Some(parent) = dir.strip_suffix("/quarkus-app")
            && let Some(out) = self
                .outputs
                .iter()
                .find(|o| o.quarkus && (o.dir == parent || o.dir == format!("{parent}/libs")))
        {
            a.add_artefact(
                out.line,
                dir,
                dir,
                format!(
                    "line {}: Quarkus packages the app here (quarkus-run.jar loads lib/, app/ and quarkus/ beside it)",
                    out.line
                ),
                false,
            );
            return;
        }
        if let Some(out) = outputs.iter().find(|o| o.lib_folder) {
            a.add_artefact(
                out.line,
                dir,
                dir,
                format!(
                    "line {}: {} builds the jar here with the dependency jars it loads",
                    out.line,
                    out.tool.name()
                ),
                false,
            );
            return;
        }
        if glob {
            // The shell expands the glob at run time: copy what it matches,
            // so it sees the same files.
            if outputs.is_empty()
                && made_by_copy(a, path).is_none()
                && entry::context_path(a, dir, self.context).is_none()
            {
                a.block(
                    line,
                    format!("{kw} runs {jar}, and msb cannot find the build making jars in {dir}"),
                );
                return;
            }
            for out in &outputs {
                if let Some(plain) = &out.plain
                    && glob_match(name, plain)
                {
                    a.warnings.push(format!(
                        "line {line}: {jar} also matches {plain}, the plain jar Gradle makes beside the boot jar; `java -jar` then runs the first match"
                    ));
                }
            }
            let first = outputs.first().map_or(line, |o| o.line);
            a.add_artefact(
                first,
                path,
                &format!("{dir}/"),
                format!("line {line}: {kw} runs {jar}; the same glob picks the same jars"),
                false,
            );
            return;
        }
        if let Some(out) = outputs.first() {
            let mut known: Vec<&String> = outputs
                .iter()
                .flat_map(|o| o.jars.iter().flatten())
                .collect();
            known.sort();
            known.dedup();
            let unknown = outputs.iter().any(|o| o.jars.iter().any(Option::is_none));
            let built = known.iter().any(|k| k.as_str() == name);
            // `cp target/*.jar app.jar` in target/: a RUN made it there.
            if !built && made_by_copy(a, path).is_some() && self.place_file(path, line, kw, a) {
                return;
            }
            if built {
                a.add_artefact(
                    out.line,
                    path,
                    path,
                    format!(
                        "line {}: the jar {} builds ({})",
                        out.line,
                        out.tool.name(),
                        out.source
                    ),
                    false,
                );
            } else if unknown {
                a.warnings.push(format!(
                    "line {}: msb could not read the jar's name from {}; it copies {jar}, which {kw} runs",
                    out.line, out.source
                ));
                a.add_artefact(
                    out.line,
                    path,
                    path,
                    format!(
                        "line {line}: {kw} runs it; {} builds in {dir}",
                        out.tool.name()
                    ),
                    false,
                );
            } else {
                let names: Vec<&str> = known.iter().map(|s| s.as_str()).collect();
                a.block(
                    line,
                    format!(
                        "{kw} runs {jar}, but {} builds {} in {dir}",
                        out.source,
                        names.join(", ")
                    ),
                );
            }
            return;
        }
        if !self.place_file(path, line, kw, a) {
            a.block(
                line,
                format!("{kw} runs {jar}, which msb cannot find the build making"),
            );
        }
    }

    /// The `installDist` folder a program path is in.
    fn install_of(&self, program: &str, cwd: &str) -> Option<&InstallDir> {
        if !program.contains('/') {
            return None;
        }
        let path = absolute(cwd, program);
        self.installs.iter().find(|i| is_under(&path, &i.path))
    }

    /// `mvn spring-boot:run` / `gradle bootRun` → `java -jar` on the jar.
    fn rewrite_runner(&self, launch: &Launch, step: &Step, a: &mut Analysis) {
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

    /// The port the app listens on, when the file sets it (`SERVER_PORT`,
    /// `-Dserver.port=`, `--server.port=`): below 1024 it needs root.
    fn privileged_ports(&self, launch: &Launch, a: &mut Analysis) {
        let mut found: Vec<(usize, String, u16)> = Vec::new();
        for setting in &self.rules.port_settings {
            let before = found.len();
            let env = setting.to_ascii_uppercase().replace('.', "_");
            if let Some(value) = a.env.get(&env)
                && let Ok(port) = value.trim().parse::<u16>()
            {
                let line = entry::env_line(self.file, &env).unwrap_or(launch.line);
                found.push((line, format!("ENV {env}={value}"), port));
            }
            for step in &launch.steps {
                for word in &step.command.words {
                    let value = word
                        .strip_prefix("-D")
                        .or_else(|| word.strip_prefix("--"))
                        .and_then(|w| w.strip_prefix(setting.as_str()))
                        .and_then(|w| w.strip_prefix('='));
                    if let Some(port) = value.and_then(|v| v.parse::<u16>().ok()) {
                        found.push((launch.line, format!("{}'s `{word}`", launch.keyword), port));
                    }
                }
            }
            // The command line and the environment win over the files
            // packaged in the jar (`src/main/resources/application.yml`).
            if found.len() == before {
                for (_, cmd) in &self.commands {
                    let dir = cmd.project_dir.trim_end_matches('/');
                    for name in [
                        "application.properties",
                        "application.yml",
                        "application.yaml",
                    ] {
                        let path = format!("{dir}/src/main/resources/{name}");
                        if let Some((rel, text)) = read_context_file(a, &path, self.context)
                            && let Some(port) =
                                config_value(&text, setting).and_then(|v| v.parse::<u16>().ok())
                        {
                            found.push((launch.line, format!("{rel}'s {setting}={port}"), port));
                        }
                    }
                }
            }
        }
        if let Some((line, source, port)) = found.into_iter().find(|(_, _, p)| *p < 1024) {
            crate::analyse::ports::block_privileged_port(self.file, a, line, &source, port);
        }
    }

    /// Files the app reads at run time: copies of files that are not code
    /// (an agent, a config), and Spring Boot's `config/` and
    /// `application.*` next to the working folder.
    fn runtime_files(&self, a: &mut Analysis) {
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

    /// The JRE: the builder's Java version, Alpine when the builder is.
    fn choose_runtime(&self, builder: &crate::analyse::image::BaseImage, a: &mut Analysis) {
        let from = crate::analyse::from_line(self.file);
        let tag = resolved_tag(&builder.resolved);
        let found = tag_java_version(&builder.base_name, &tag, self.rules);
        let ubuntu = found.ubuntu.clone();
        let alpine = builder.family == Family::Alpine;
        let words: Vec<&str> = tag.split('-').collect();
        let has_word = |list: &[String]| list.iter().any(|w| words.contains(&w.as_str()));
        if has_word(&self.rules.unsupported_jvm_words) {
            a.block(
                from,
                format!(
                    "{} builds with IBM Java (J9): msb has no JRE of the same JVM to run the jar on",
                    builder.written
                ),
            );
            return;
        }
        let openj9 = self.rules.openj9_images.contains(&builder.base_name)
            || has_word(&self.rules.openj9_words);
        if openj9 && alpine {
            a.block(
                from,
                format!(
                    "{} is an Alpine OpenJ9 JDK: IBM Semeru publishes no Alpine JRE, and HotSpot's takes other JVM options",
                    builder.written
                ),
            );
            return;
        }
        let (version, evidence) = match found.version {
            Some(v) => (v, format!("{} is Java {v}", builder.written)),
            None => {
                // The build file may say which Java it compiles for.
                let declared = self.declared_release(a);
                let Some((v, source)) = declared else {
                    a.block(
                        from,
                        format!(
                            "{} does not name its Java version: msb cannot tell which JRE runs the jar",
                            builder.written
                        ),
                    );
                    return;
                };
                a.block_unless_unsafe(
                    from,
                    format!(
                        "{} does not name its Java version; {source} compiles for Java {v}, which --unsafe runs on a Java {v} JRE",
                        builder.written
                    ),
                );
                (v, format!("{source} compiles for Java {v}"))
            }
        };
        // The JREs are Ubuntu; a Debian builder's versioned library
        // packages (libssl1.1, libicu67) have other names there.
        if let Some(release) = builder.release.as_deref()
            && builder.family == Family::Debian
        {
            let sorted = crate::analyse::packages::for_runtime(
                builder.family,
                Some(release),
                &a.installed_packages,
                &a.removed_packages,
                self.k,
            );
            let versioned: Vec<&str> = sorted
                .install
                .iter()
                .map(|p| p.name.as_str())
                .filter(|n| n.contains(|c: char| c.is_ascii_digit()))
                .collect();
            if !versioned.is_empty() {
                a.block_unless_unsafe(
                    from,
                    format!(
                        "{} is Debian {release} and the JRE image Ubuntu: {} may have other names there (Debian's libssl1.1 is Ubuntu's libssl3)",
                        builder.written,
                        versioned.join(", ")
                    ),
                );
            }
        }
        let (published, vendor) = if openj9 {
            (&self.rules.semeru_jre_versions, "IBM Semeru")
        } else if alpine {
            (&self.rules.jre_alpine_versions, "eclipse-temurin")
        } else {
            (&self.rules.jre_versions, "eclipse-temurin")
        };
        let chosen = if published.contains(&version) {
            version
        } else if let Some(newer) = published.iter().filter(|v| **v > version).min() {
            a.block_unless_unsafe(
                from,
                format!(
                    "{vendor} has no maintained JRE for Java {version}; --unsafe runs the jar on the Java {newer} JRE"
                ),
            );
            *newer
        } else {
            a.block(
                from,
                format!("{vendor} has no JRE for Java {version}: msb cannot choose a runtime"),
            );
            return;
        };
        // `eclipse-temurin:${JAVA_VERSION}-jdk`: the runtime follows the
        // same build argument.
        let argument = found
            .at
            .filter(|_| chosen == version)
            .and_then(|at| version_argument(&builder.tag, &tag, at));
        if argument.is_none() && builder.tag.contains('$') && !builder.from_variable {
            a.warnings.push(format!(
                "{} takes its tag from a build argument; the runtime stage runs Java {chosen}, its default, whatever --build-arg says",
                builder.written
            ));
        }
        let mut vars = std::collections::BTreeMap::new();
        vars.insert(
            "java_version".to_string(),
            argument.unwrap_or_else(|| chosen.to_string()),
        );
        vars.insert(
            "ubuntu_release".to_string(),
            if alpine { String::new() } else { ubuntu },
        );
        let key = if openj9 {
            "semeru"
        } else if alpine {
            "jre_alpine"
        } else {
            "jre"
        };
        a.runtime_choice = Some(RuntimeChoice {
            key: key.into(),
            vars,
            why: format!(" ({evidence})"),
        });
    }

    /// The Java release the project's build file compiles for.
    fn declared_release(&self, a: &Analysis) -> Option<(u32, String)> {
        for (_, cmd) in &self.commands {
            let dir = cmd.project_dir.trim_end_matches('/');
            let found = match cmd.tool {
                Tool::Maven => read_context_file(a, &format!("{dir}/pom.xml"), self.context)
                    .and_then(|(p, t)| Some((maven::read(&t)?.java_release?, p))),
                Tool::Gradle => gradle_project(dir, self.context, self.rules, a)
                    .and_then(|(b, p)| Some((b.java_release?, p))),
            };
            if found.is_some() {
                return found;
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The built-in java.toml rules (gradle.rs's tests use them too).
    pub(super) fn rules() -> JavaRules {
        Knowledge::builtin()
            .unwrap()
            .language("java")
            .unwrap()
            .java
            .clone()
            .unwrap()
    }

    #[test]
    fn java_version_from_tags() {
        let r = rules();
        let v = |image: &str, tag: &str| tag_java_version(image, tag, &r).version;
        assert_eq!(v("maven", "3.9-eclipse-temurin-17"), Some(17));
        assert_eq!(v("maven", "3.8.5-openjdk-17"), Some(17));
        assert_eq!(v("maven", "3-jdk-11"), Some(11));
        assert_eq!(v("maven", "3.9.6-amazoncorretto-21-al2023"), Some(21));
        assert_eq!(v("gradle", "8.5-jdk17"), Some(17));
        assert_eq!(v("gradle", "jdk21"), Some(21));
        assert_eq!(v("gradle", "8.5.0-jdk17-focal"), Some(17));
        assert_eq!(v("openjdk", "17-jdk-slim"), Some(17));
        assert_eq!(v("openjdk", "8-jdk-alpine"), Some(8));
        assert_eq!(v("openjdk", "8u342-jdk"), Some(8));
        assert_eq!(v("eclipse-temurin", "21-jdk"), Some(21));
        assert_eq!(v("eclipse-temurin", "11.0.23_9-jdk-jammy"), Some(11));
        assert_eq!(v("amazoncorretto", "17"), Some(17));
        assert_eq!(v("maven", "3.6.3-adoptopenjdk-8"), Some(8));
        assert_eq!(v("maven", "3-adoptopenjdk-11-openj9"), Some(11));
        assert_eq!(v("maven", "3.9-ibm-semeru-17-jammy"), Some(17));
        assert_eq!(v("ibm-semeru-runtimes", "open-17-jdk"), Some(17));
        assert_eq!(
            v("ibm-semeru-runtimes", "open-jdk-25.0.2_10.1-jdk-noble"),
            Some(25)
        );
        assert_eq!(v("ibm-semeru-runtimes", "open-8u482-b08.1-jdk"), Some(8));
        assert_eq!(v("maven", "latest"), None);
        assert_eq!(v("maven", "3.9"), None);
        assert_eq!(v("eclipse-temurin", "latest"), None);
        assert_eq!(
            tag_java_version("maven", "3.9-eclipse-temurin-21-jammy", &r).ubuntu,
            "jammy"
        );
        let at = |image: &str, tag: &str| tag_java_version(image, tag, &r).at.unwrap();
        assert_eq!(
            version_argument(
                "${JAVA_VERSION}-jdk-alpine",
                "17-jdk-alpine",
                at("eclipse-temurin", "17-jdk-alpine")
            )
            .as_deref(),
            Some("${JAVA_VERSION}")
        );
        assert_eq!(
            version_argument(
                "3.9-eclipse-temurin-$JDK",
                "3.9-eclipse-temurin-21",
                at("maven", "3.9-eclipse-temurin-21")
            )
            .as_deref(),
            Some("$JDK")
        );
        assert_eq!(
            version_argument("8.5-jdk${JDK}", "8.5-jdk17", at("gradle", "8.5-jdk17")).as_deref(),
            Some("${JDK}")
        );
        // Only the version part, and only a whole argument.
        assert_eq!(
            version_argument("${TAG}", "17-jdk", at("eclipse-temurin", "17-jdk")),
            None
        );
        assert_eq!(
            version_argument(
                "${MAJOR}.0.2-jdk",
                "17.0.2-jdk",
                at("eclipse-temurin", "17.0.2-jdk")
            ),
            None
        );
        assert_eq!(
            version_argument("17-jdk", "17-jdk", at("eclipse-temurin", "17-jdk")),
            None
        );
        assert_eq!(
            resolved_tag("registry:5000/maven:3-jdk-11@sha256:ab"),
            "3-jdk-11"
        );
        assert_eq!(resolved_tag("maven"), "latest");
    }

    fn command(words: &str) -> Command {
        crate::analyse::shell::commands(words).remove(0)
    }

    #[test]
    fn reads_maven_and_gradle_commands() {
        let r = rules();
        let m = read_command(
            &command(
                "./mvnw -B -f services/api/pom.xml -pl core,web -am -DskipTests clean package",
            ),
            "/src",
            &r,
        )
        .unwrap();
        assert_eq!(m.tool, Tool::Maven);
        assert_eq!(m.project_dir, "/src/services/api");
        assert_eq!(m.modules, vec!["core", "web"]);
        assert_eq!(m.program, "./mvnw");
        let goals: Vec<&str> = m.targets.iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(goals, vec!["clean", "package"]);
        let g = read_command(
            &command("gradle --no-daemon -x test :api:bootJar"),
            "/app",
            &r,
        )
        .unwrap();
        assert_eq!(g.targets, vec![("api".to_string(), "bootJar".to_string())]);
        assert!(only_fetches(
            &read_command(&command("mvn -B dependency:go-offline"), "/", &r).unwrap(),
            &r
        ));
        assert!(!only_fetches(
            &read_command(&command("mvn -B verify"), "/", &r).unwrap(),
            &r
        ));
        assert!(only_fetches(
            &read_command(&command("gradle dependencies --no-daemon"), "/", &r).unwrap(),
            &r
        ));
    }

    #[test]
    fn maven_jars_follow_the_goals() {
        let pom = maven::read(
            "<project><artifactId>worker</artifactId><version>1.0</version><build><plugins>
             <plugin><artifactId>maven-assembly-plugin</artifactId><configuration>
             <descriptorRefs><descriptorRef>jar-with-dependencies</descriptorRef></descriptorRefs>
             </configuration><executions><execution><phase>package</phase>
             <goals><goal>single</goal></goals></execution></executions></plugin></plugins></build></project>",
        )
        .unwrap();
        let main = Some("worker-1.0.jar".to_string());
        let fat = Some("worker-1.0-jar-with-dependencies.jar".to_string());
        assert_eq!(
            maven_jars(&pom, &["clean", "package"], false),
            vec![main.clone(), fat.clone()]
        );
        assert_eq!(
            maven_jars(&pom, &["install"], false),
            vec![main.clone(), fat.clone()]
        );
        // `compile assembly:single` packages no main jar.
        assert_eq!(
            maven_jars(&pom, &["compile", "assembly:single"], false),
            vec![fat]
        );
        assert_eq!(maven_jars(&pom, &["package"], true), vec![None, None]);
        let plain =
            maven::read("<project><artifactId>a</artifactId><version>2</version></project>")
                .unwrap();
        assert_eq!(
            maven_jars(&plain, &["compile", "assembly:single"], false),
            vec![None]
        );
    }

    #[test]
    fn config_values() {
        assert_eq!(
            config_value("spring.application.name=x\nserver.port=80\n", "server.port").as_deref(),
            Some("80")
        );
        assert_eq!(
            config_value("server.port: 8443\n", "server.port").as_deref(),
            Some("8443")
        );
        let yaml = "spring:\n  application:\n    name: shop\nserver:\n  port: 80\n  servlet:\n    context-path: /\n";
        assert_eq!(config_value(yaml, "server.port").as_deref(), Some("80"));
        assert_eq!(
            config_value("management:\n  server:\n    port: 81\n", "server.port"),
            None
        );
        assert_eq!(
            config_value("server:\n  port: ${PORT:8080}\n", "server.port").as_deref(),
            Some("${PORT:8080}")
        );
    }

    #[test]
    fn java_command_arguments() {
        let a = java_args(&command(
            "java $JAVA_OPTS -javaagent:/otel/agent.jar=x -jar target/app.jar server config.yml",
        ));
        assert_eq!(a.jar.as_deref(), Some("target/app.jar"));
        assert_eq!(a.agents, vec!["/otel/agent.jar"]);
        assert_eq!(a.app_args, vec!["server", "config.yml"]);
        assert!(
            java_args(&command("java -cp app.jar:lib/* com.example.Main"))
                .unknown
                .is_some()
        );
        assert!(
            java_args(&command("java com.example.Main"))
                .unknown
                .is_some()
        );
    }
}
