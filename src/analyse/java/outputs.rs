//! What Maven and Gradle builds leave and where: the jars of each module
//! in `target/` or `build/libs/` (named from pom.xml or the Gradle files),
//! whether one is an executable Spring Boot or Quarkus jar or needs its
//! dependency jars beside it, and Gradle's `installDist` folders. The jar
//! placement and the runner rewrite check the command against these.

use super::command::{BuildCommand, Tool};
use super::{basename, gradle, maven, read_context_file};
use crate::analyse::{Analysis, absolute};
use crate::knowledge::JavaRules;
use crate::source::BuildContext;

/// Jars one build step leaves in one folder.
#[derive(Debug, Clone)]
pub(super) struct Output {
    pub(super) line: usize,
    pub(super) tool: Tool,
    /// The folder in the image (`/app/target`, `/app/build/libs`).
    pub(super) dir: String,
    /// One entry per jar the step makes there; None: a jar whose name msb
    /// could not read.
    pub(super) jars: Vec<Option<String>>,
    /// Other jars may be there too (sources, javadoc, shade's original, a
    /// plain jar msb cannot name).
    pub(super) extra: bool,
    /// An executable Spring Boot jar is among them.
    pub(super) boot: bool,
    /// The jar needs the dependency jars copied next to it.
    pub(super) lib_folder: bool,
    /// Where the names come from, for reasons (`pom.xml`).
    pub(super) source: String,
    /// A plain jar beside the boot jar (`-plain.jar`), for warnings.
    pub(super) plain: Option<String>,
    /// Quarkus builds the app: its fast-jar folder `quarkus-app/` is
    /// beside this one (`target/quarkus-app`, `build/quarkus-app`).
    pub(super) quarkus: bool,
}

/// Gradle's `installDist` folder of a build step.
#[derive(Debug, Clone)]
pub(super) struct InstallDir {
    pub(super) line: usize,
    pub(super) path: String,
}

/// What a Maven command that packages leaves in `target/`, per module.
pub(super) fn maven_outputs(
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
    let run = MavenRun {
        cmd,
        line,
        context,
        rules,
        root_path: format!("{}/{pom_name}", cmd.project_dir.trim_end_matches('/')),
        // `-Dproject.build.finalName=x` names the jar on the command line.
        renamed: cmd
            .properties
            .iter()
            .any(|p| p.contains("finalName") || p.contains("build.directory")),
        goal_boot: goals.contains(&"spring-boot:repackage"),
        goal_lib: goals.iter().any(|g| g.ends_with("copy-dependencies")),
        goals,
    };
    let dirs = run.module_dirs(a);
    dirs.iter().filter_map(|dir| run.output(dir, a)).collect()
}

/// One Maven command that packages, with what its modules' outputs share.
struct MavenRun<'a> {
    cmd: &'a BuildCommand,
    line: usize,
    context: &'a BuildContext,
    rules: &'a JavaRules,
    goals: Vec<&'a str>,
    /// The pom the command reads (`-f`, or `pom.xml` in its folder).
    root_path: String,
    /// The command line names the jar or its folder (`-DfinalName=`).
    renamed: bool,
    /// The command runs `spring-boot:repackage` itself.
    goal_boot: bool,
    /// The command copies the dependency jars (`dependency:copy-dependencies`).
    goal_lib: bool,
}

impl MavenRun<'_> {
    /// The module folders the command builds: its `-pl` modules, or every
    /// module of the root pom (and the root itself unless it is only a
    /// parent), or the project folder.
    fn module_dirs(&self, a: &mut Analysis) -> Vec<String> {
        let cmd = self.cmd;
        let root = read_context_file(a, &self.root_path, self.context);
        let root_pom = root.as_ref().and_then(|(_, text)| maven::read(text));
        let mut dirs: Vec<String> = Vec::new();
        match &root_pom {
            Some(pom) if !cmd.modules.is_empty() => {
                let root_name = root.as_ref().map_or("pom.xml", |(p, _)| p.as_str());
                for m in &cmd.modules {
                    let m = m.trim_start_matches('!');
                    match self.module_dir(pom, m, a) {
                        Some(d) => dirs.push(d),
                        None => {
                            a.warnings.push(format!(
                                "line {}: -pl {m} names no module msb can find in {root_name}",
                                self.line
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
        dirs
    }

    /// The folder of a `-pl` module: a path, or `:artifactId` /
    /// `groupId:artifactId` (the module whose pom has that artifactId).
    fn module_dir(&self, root_pom: &maven::Pom, m: &str, a: &Analysis) -> Option<String> {
        let project_dir = &self.cmd.project_dir;
        if !m.contains(':') {
            return Some(absolute(project_dir, m));
        }
        let artifact = m.rsplit(':').next().unwrap_or(m);
        root_pom
            .modules
            .iter()
            .map(|name| format!("{}/{name}", project_dir.trim_end_matches('/')))
            .find(|dir| {
                read_context_file(a, &format!("{dir}/pom.xml"), self.context)
                    .and_then(|(_, t)| maven::read(&t))
                    .and_then(|p| p.artifact_id)
                    .as_deref()
                    == Some(artifact)
            })
    }

    /// What the command leaves in one module's `target/`: none for a
    /// parent pom, and a block when the pom moves the build folder.
    fn output(&self, dir: &str, a: &mut Analysis) -> Option<Output> {
        let pom_path = if dir == self.cmd.project_dir {
            self.root_path.clone()
        } else {
            format!("{}/pom.xml", dir.trim_end_matches('/'))
        };
        let found = read_context_file(a, &pom_path, self.context);
        let pom = found.as_ref().and_then(|(_, t)| maven::read(t));
        let source = found.map_or_else(|| pom_path.clone(), |(p, _)| p);
        let target = format!("{}/target", dir.trim_end_matches('/'));
        match &pom {
            Some(p) if p.packaging == "pom" => None,
            Some(p) if p.custom_build_dir => {
                a.block(
                    self.line,
                    format!(
                        "{source} sets <build><directory>: msb cannot tell where Maven puts the jar"
                    ),
                );
                None
            }
            Some(p) => Some(self.pom_output(p, target, source)),
            None => Some(Output {
                line: self.line,
                tool: Tool::Maven,
                dir: target,
                jars: vec![None],
                extra: true,
                boot: self.goal_boot,
                lib_folder: self.goal_lib,
                source,
                plain: None,
                quarkus: false,
            }),
        }
    }

    /// The jars of a module whose pom msb reads.
    fn pom_output(&self, p: &maven::Pom, target: String, source: String) -> Output {
        let rules = self.rules;
        let quarkus = p.plugins.iter().any(|x| rules.quarkus_plugins.contains(x));
        let mut jars = maven_jars(p, &self.goals, self.renamed);
        // Quarkus' uber-jar (`quarkus.package.jar.type=uber-jar`).
        if quarkus && let Some(name) = p.final_name.as_ref().filter(|_| !self.renamed) {
            jars.push(Some(format!("{name}-runner.jar")));
        }
        Output {
            line: self.line,
            tool: Tool::Maven,
            dir: target,
            jars,
            extra: p
                .plugins
                .iter()
                .any(|x| rules.maven_extra_jar_plugins.contains(x)),
            boot: p.boot_repackage || self.goal_boot,
            lib_folder: p.needs_lib_folder || self.goal_lib,
            source,
            plain: None,
            quarkus,
        }
    }
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
pub(super) fn gradle_project(
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

/// The Gradle tasks that leave jars (or an `installDist` folder).
const GRADLE_MAKES: &[&str] = &[
    "build",
    "assemble",
    "bootJar",
    "jar",
    "shadowJar",
    "installDist",
];

/// What a Gradle command leaves in `build/libs` (and `build/install`).
pub(super) fn gradle_outputs(
    cmd: &BuildCommand,
    line: usize,
    context: &BuildContext,
    rules: &JavaRules,
    a: &mut Analysis,
) -> (Vec<Output>, Vec<InstallDir>) {
    let mut outputs: Vec<Output> = Vec::new();
    let mut installs = Vec::new();
    let root = gradle_project(&cmd.project_dir, context, rules, a);
    for (project, task) in &gradle_targets(cmd, root.as_ref()) {
        if !GRADLE_MAKES.contains(&task.as_str()) {
            continue;
        }
        let dir = if project.is_empty() {
            cmd.project_dir.clone()
        } else {
            absolute(&cmd.project_dir, project)
        };
        let libs = format!("{}/build/libs", dir.trim_end_matches('/'));
        let Some((build, source)) =
            gradle_build_of(cmd, project, &dir, root.as_ref(), context, rules, a)
        else {
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
        let made = task_jars(&build, task, &name);
        if let Some(app) = made.install {
            installs.push(InstallDir {
                line,
                path: format!("{}/build/install/{app}", dir.trim_end_matches('/')),
            });
        }
        let output = Output {
            line,
            tool: Tool::Gradle,
            dir: libs,
            jars: made.jars,
            extra: every_project,
            boot: made.boot,
            lib_folder: false,
            source,
            plain: if made.boot { made.plain } else { None },
            quarkus: build.quarkus,
        };
        add_output(&mut outputs, output);
    }
    (outputs, installs)
}

/// The command's tasks with their projects: a task named without a
/// project runs in every project that has it.
fn gradle_targets(
    cmd: &BuildCommand,
    root: Option<&(gradle::GradleBuild, String)>,
) -> Vec<(String, String)> {
    let mut targets = cmd.targets.clone();
    if let Some((build, _)) = root
        && build.multi_project
    {
        for (project, task) in &cmd.targets {
            if project.is_empty() {
                targets.extend(build.subprojects.iter().map(|s| (s.clone(), task.clone())));
            }
        }
    }
    targets
}

/// The Gradle build of the project a task runs in, with the version the
/// command gives its jars.
fn gradle_build_of(
    cmd: &BuildCommand,
    project: &str,
    dir: &str,
    root: Option<&(gradle::GradleBuild, String)>,
    context: &BuildContext,
    rules: &JavaRules,
    a: &Analysis,
) -> Option<(gradle::GradleBuild, String)> {
    let (mut build, source) = if project.is_empty() {
        root.cloned()?
    } else {
        // A subproject without a version of its own may get the root's
        // (`allprojects { version = ... }`) or none: msb cannot tell
        // which, so its jar names are unknown then.
        let (mut build, source) = gradle_project(dir, context, rules, a)?;
        let root_versioned =
            root.is_some_and(|(r, _)| r.version != gradle::Version::Unset || r.shares_version);
        if build.version == gradle::Version::Unset && root_versioned {
            build.version = gradle::Version::Unknown;
        }
        (build, source)
    };
    // `-Pversion=2.0` sets the version on the command line.
    if cmd.properties.iter().any(|p| p.starts_with("-Pversion=")) {
        build.version = gradle::Version::Unknown;
    }
    Some((build, source))
}

/// The jars one Gradle task makes in `build/libs`.
struct TaskJars {
    jars: Vec<Option<String>>,
    /// An executable Spring Boot jar is among them.
    boot: bool,
    /// The plain jar, when the task makes one.
    plain: Option<String>,
    /// `installDist`: the application name of its `build/install` folder.
    install: Option<String>,
}

fn task_jars(build: &gradle::GradleBuild, task: &str, name: &str) -> TaskJars {
    let mut made = TaskJars {
        jars: Vec::new(),
        boot: false,
        plain: None,
        install: None,
    };
    match task {
        "build" | "assemble" => {
            if build.boot {
                made.jars.push(build.boot_jar(name));
                made.boot = true;
            }
            if !build.boot || build.makes_plain_jar() {
                made.plain = build.plain_jar(name);
                made.jars.push(made.plain.clone());
            }
            if build.shadow {
                made.jars.push(build.shadow_jar(name));
            }
        }
        "bootJar" => {
            made.jars.push(build.boot_jar(name));
            made.boot = true;
        }
        "jar" => made.jars.push(build.plain_jar(name)),
        "shadowJar" => made.jars.push(build.shadow_jar(name)),
        _ => {
            // installDist: the start scripts and every jar, under
            // build/install/<application name>.
            made.install = Some(build.application_name.clone().unwrap_or(name.to_string()));
            made.jars.push(build.plain_jar(name));
        }
    }
    made
}

/// Adds a task's jars to the outputs: to those of the same folder when
/// another task of the command makes jars there too.
fn add_output(outputs: &mut Vec<Output>, mut output: Output) {
    if let Some(same) = outputs.iter_mut().find(|o| o.dir == output.dir) {
        same.jars.append(&mut output.jars);
        same.boot |= output.boot;
        same.extra |= output.extra;
        same.plain = same.plain.take().or(output.plain);
    } else {
        outputs.push(output);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
