//! `java [-cp PATH] MainClass` in ENTRYPOINT/CMD: the class path, not a
//! jar, says what the runtime reads. Each entry (`-cp`, else `CLASSPATH`,
//! else the working folder, as `java` itself does) is copied whole to the
//! final stage where the command finds it, when the build context or a
//! `javac` of the build filled it: the classes `javac` wrote sit beside
//! the sources there; so is the working folder, whose files the program
//! may read. `java Main.java` compiles at start, which a JRE cannot.

use super::Java;
use crate::analyse::entry::{Launch, Step};
use crate::analyse::image::expand_known;
use crate::analyse::{Analysis, absolute, is_under};

impl Java<'_> {
    /// Copies the class path of `java … main` (`class_path` as written).
    pub(super) fn place_class_path(
        &self,
        launch: &Launch,
        step: &Step,
        main: &str,
        class_path: Option<&str>,
        a: &mut Analysis,
    ) {
        let (line, kw) = (launch.line, launch.keyword);
        if main.ends_with(".java") {
            a.block(
                line,
                format!("{kw}: `java {main}` compiles the source file at start, and a JRE has no compiler"),
            );
            return;
        }
        let written = class_path
            .map(str::to_string)
            .or_else(|| a.env.get("CLASSPATH").cloned())
            .unwrap_or_else(|| ".".to_string());
        let expanded = expand_known(&written, &a.env);
        for entry in expanded.split(':').filter(|e| !e.is_empty()) {
            // `lib/*`: every jar of the folder.
            let folder = entry.strip_suffix("/*").unwrap_or(entry);
            let path = absolute(&step.cwd, folder);
            if let Err(why) = self.class_path_entry(&path, a) {
                a.block(
                    line,
                    format!("{kw}: `java {main}` reads the class path {written}: {why}"),
                );
                return;
            }
            let why = format!("line {line}: {kw} runs {main} from the class path {written}");
            a.add_artefact(line, &path, &path, why, path == step.cwd);
        }
        // A program run from classes reads its files from the working
        // folder (`Files.readString(Path.of("input.txt"))`), as a jar's
        // arguments name them: what the context put there comes along.
        let cwd = step.cwd.as_str();
        let filled = a
            .copies
            .iter()
            .any(|c| c.from_image.is_none() && c.roots.iter().any(|r| is_under(r, cwd)));
        if filled && !a.is_system_dir(cwd) {
            let why = format!("the working folder of {main}, which the build context filled");
            a.add_artefact(line, cwd, cwd, why, true);
        }
    }

    /// Whether the build fills the class path entry `path`: a COPY from
    /// the context puts it (or something in it) there, or a `javac` of
    /// the build writes there.
    fn class_path_entry(&self, path: &str, a: &Analysis) -> Result<(), String> {
        if path.contains('$') {
            return Err(format!("{path} depends on a variable msb cannot resolve"));
        }
        if a.is_system_dir(path) {
            return Err(format!(
                "{path} is a system folder, which the final stage cannot copy whole"
            ));
        }
        let copied = a.copies.iter().any(|c| {
            c.from_image.is_none()
                && c.roots
                    .iter()
                    .any(|r| is_under(path, r) || is_under(r, path))
        });
        let compiled = a
            .run_commands
            .iter()
            .filter(|rc| rc.command.program() == "javac")
            .map(|rc| javac_output(&rc.cwd, rc.command.args()))
            .any(|out| is_under(&out, path) || is_under(path, &out));
        if copied || compiled {
            Ok(())
        } else {
            Err(format!("msb cannot find the build filling {path}"))
        }
    }
}

/// Where `javac` writes the classes: `-d DIR`, else beside the sources,
/// below the folder it runs in.
fn javac_output(cwd: &str, args: &[String]) -> String {
    args.iter()
        .position(|w| w == "-d" || w == "--directory")
        .and_then(|i| args.get(i + 1))
        .map_or_else(|| cwd.to_string(), |dir| absolute(cwd, dir))
}
