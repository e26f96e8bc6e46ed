//! `java -jar X` in ENTRYPOINT/CMD: the jar X and the agents and files the
//! command names, copied to the final stage exactly where the command
//! finds them, when a build step, a RUN copy or the context made them. A
//! class path, a module or a main class is not followed.

use super::Java;
use super::basename;
use super::outputs::Output;
use crate::analyse::entry::{self, Launch, Step};
use crate::analyse::shell::Command;
use crate::analyse::{Analysis, absolute};
use crate::knowledge::glob_match;

/// A command's jar argument and the other files it names.
#[derive(Debug, Default)]
pub(super) struct JavaArgs {
    jar: Option<String>,
    /// The main class run instead of a jar (`java -cp lib/* app.Main`).
    pub(super) main: Option<String>,
    /// `-cp`/`-classpath`/`--class-path`, as written.
    pub(super) class_path: Option<String>,
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
            "-cp" | "-classpath" | "--class-path" => out.class_path = args.next().cloned(),
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
                out.main = Some(main.to_string());
                break;
            }
        }
    }
    if out.jar.is_none() && out.main.is_none() && out.unknown.is_none() {
        out.unknown = Some("`java` runs no `-jar`".into());
    }
    out
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

/// The jar a command runs, for placing it and for reasons.
#[derive(Clone, Copy)]
struct JarRun<'a> {
    line: usize,
    /// ENTRYPOINT or CMD.
    kw: &'a str,
    /// As written.
    jar: &'a str,
    /// Absolute, and its folder and file name.
    path: &'a str,
    dir: &'a str,
    name: &'a str,
}

impl Java<'_> {
    /// `java ... -jar X`: copy X (and the agents) where the command finds it.
    pub(super) fn place_java(&self, launch: &Launch, step: &Step, a: &mut Analysis) {
        let line = launch.line;
        let kw = launch.keyword;
        let args = java_args(&step.command);
        if args.unknown.is_none()
            && let Some(main) = &args.main
        {
            self.place_class_path(launch, step, main, args.class_path.as_deref(), a);
            return;
        }
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

    /// Copies the jar a command runs (`path`, written `jar`): the folder
    /// of a Quarkus fast-jar or of a jar with its dependency jars, what a
    /// glob matches, the jar a build step makes there, or a file a COPY
    /// or RUN put there.
    fn place_jar(&self, line: usize, kw: &str, jar: &str, path: &str, a: &mut Analysis) {
        let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
        let dir = if dir.is_empty() { "/" } else { dir };
        let run = JarRun {
            line,
            kw,
            jar,
            path,
            dir,
            name,
        };
        let outputs: Vec<&Output> = self.outputs.iter().filter(|o| o.dir == dir).collect();
        if self.place_quarkus_app(&run, a) {
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
        if name.contains(['*', '?', '[']) {
            self.place_glob(&run, &outputs, a);
            return;
        }
        if !outputs.is_empty() {
            self.place_built(&run, &outputs, a);
            return;
        }
        if !self.place_file(path, line, kw, a) {
            a.block(
                line,
                format!("{kw} runs {jar}, which msb cannot find the build making"),
            );
        }
    }

    /// Quarkus' fast-jar: quarkus-run.jar loads lib/, app/ and quarkus/
    /// beside it, so the whole `quarkus-app/` folder is copied.
    fn place_quarkus_app(&self, run: &JarRun, a: &mut Analysis) -> bool {
        let dir = run.dir;
        if run.name != "quarkus-run.jar" {
            return false;
        }
        let Some(parent) = dir.strip_suffix("/quarkus-app") else {
            return false;
        };
        let Some(out) = self
            .outputs
            .iter()
            .find(|o| o.quarkus && (o.dir == parent || o.dir == format!("{parent}/libs")))
        else {
            return false;
        };
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
        true
    }

    /// The shell expands the glob at run time: copy what it matches, so
    /// it sees the same files.
    fn place_glob(&self, run: &JarRun, outputs: &[&Output], a: &mut Analysis) {
        let JarRun {
            line,
            kw,
            jar,
            path,
            dir,
            name,
        } = *run;
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
        for out in outputs {
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
    }

    /// The jar in a folder build steps make jars in (`outputs`, not
    /// empty): one they make, one a RUN copied there, or one whose name
    /// msb could not read (with a warning). Another name blocks.
    fn place_built(&self, run: &JarRun, outputs: &[&Output], a: &mut Analysis) {
        let JarRun {
            line,
            kw,
            jar,
            path,
            dir,
            name,
        } = *run;
        let out = outputs[0];
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyse::java::tests::command;

    #[test]
    fn java_command_arguments() {
        let a = java_args(&command(
            "java $JAVA_OPTS -javaagent:/otel/agent.jar=x -jar target/app.jar server config.yml",
        ));
        assert_eq!(a.jar.as_deref(), Some("target/app.jar"));
        assert_eq!(a.agents, vec!["/otel/agent.jar"]);
        assert_eq!(a.app_args, vec!["server", "config.yml"]);
        let cp = java_args(&command("java -cp app.jar:lib/* com.example.Main"));
        assert_eq!(cp.class_path.as_deref(), Some("app.jar:lib/*"));
        assert_eq!(cp.main.as_deref(), Some("com.example.Main"));
        assert!(cp.unknown.is_none());
        let main = java_args(&command("java com.example.Main"));
        assert_eq!(main.main.as_deref(), Some("com.example.Main"));
        assert!(main.class_path.is_none());
        assert!(
            java_args(&command("java -m app/com.example.Main"))
                .unknown
                .is_some()
        );
    }
}
