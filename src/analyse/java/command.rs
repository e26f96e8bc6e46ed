//! Maven and Gradle command lines of RUN and ENTRYPOINT/CMD, read: the
//! tool, the project folder (`-f`, `-p`), the goals or tasks, `-pl`
//! modules and `-D`/`-P` properties. Every other concern works from this
//! reading, so it lives apart from what the commands make.

use crate::analyse::absolute;
use crate::analyse::shell::Command;
use crate::knowledge::JavaRules;

/// Which build tool a step runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Tool {
    Maven,
    Gradle,
}

impl Tool {
    pub(super) fn name(self) -> &'static str {
        match self {
            Tool::Maven => "Maven",
            Tool::Gradle => "Gradle",
        }
    }
}

/// A Maven or Gradle command of a RUN, read.
#[derive(Debug, Clone)]
pub(super) struct BuildCommand {
    pub(super) tool: Tool,
    /// As written (`./mvnw`), to run it again.
    pub(super) program: String,
    /// The project folder in the image (`-f`/`-p`, or where it runs).
    pub(super) project_dir: String,
    /// Goals (Maven) or tasks (Gradle), with a Gradle subproject path
    /// (`:api:bootJar` → `("api", "bootJar")`).
    pub(super) targets: Vec<(String, String)>,
    /// `-pl` modules (Maven).
    pub(super) modules: Vec<String>,
    /// `-D`/`-P` words.
    pub(super) properties: Vec<String>,
    /// `-f` names a pom file other than `pom.xml`.
    pub(super) pom_file: Option<String>,
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

pub(super) fn tool_of(c: &Command, rules: &JavaRules) -> Option<Tool> {
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
pub(super) fn read_command(c: &Command, cwd: &str, rules: &JavaRules) -> Option<BuildCommand> {
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

pub(super) fn only_fetches(cmd: &BuildCommand, rules: &JavaRules) -> bool {
    let deps = match cmd.tool {
        Tool::Maven => &rules.maven_dep_goals,
        Tool::Gradle => &rules.gradle_dep_tasks,
    };
    cmd.targets
        .iter()
        .all(|(_, t)| deps.contains(t) || t == "clean")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyse::java::tests::{command, rules};

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
}
