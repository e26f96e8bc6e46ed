//! The closure check: every file the final stage starts by path is in it.
//!
//! A migration whose ENTRYPOINT runs `/go/bin/server` while the binary was
//! copied to `/usr/local/bin/server` builds, and then cannot start. No pass
//! may emit that, in any language, so this check runs on every migrated
//! text before it leaves msb (the rendered output read back, which is what
//! the user gets): the program ENTRYPOINT/CMD start by path (exec or shell
//! form, after `env`, `exec` and inits such as `tini --`), the script an
//! interpreter runs (`python app.py`, `sh /entrypoint.sh`, `java -jar
//! app.jar`) and every such file of a HEALTHCHECK must be put there by a
//! COPY/ADD of the final stage, made by one of its RUNs, or shipped by its
//! base image (`images.toml`: the tools on its PATH and its `ships`). A
//! bare program name is found through PATH and is not checked here.

use std::collections::BTreeMap;

use crate::analyse::image::expand_known;
use crate::analyse::shell;
use crate::analyse::{absolute, env_pairs};
use crate::knowledge::{Family, Knowledge};
use crate::parse::{Dockerfile, Instruction, Keyword};

/// A file the final stage starts that it would not have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing {
    pub keyword: Keyword,
    /// The absolute path, as the container would look it up.
    pub path: String,
}

impl Missing {
    pub fn reason(&self, image: &str) -> String {
        format!(
            "{} starts {}, which the final stage would not have (no COPY puts it there, and {image} does not ship it): msb cannot place it",
            self.keyword.as_str(),
            self.path
        )
    }
}

/// What the final stage holds, as far as its instructions tell.
struct FinalStage<'a> {
    /// Destinations of its COPY/ADD lines (absolute).
    copied: Vec<String>,
    /// Its RUN lines' text: a path they name is taken as made there.
    runs: Vec<&'a str>,
    /// Files and programs its base image ships.
    base_paths: Vec<String>,
    base_tools: Vec<String>,
    has_shell: bool,
}

/// The first file the final stage of `out` starts but lacks, if any.
pub fn check(out: &Dockerfile, k: &Knowledge) -> Option<Missing> {
    let start = *out.stage_starts().last()?;
    let mut args: BTreeMap<String, String> = BTreeMap::new();
    for ins in out.instructions[..out.stage_starts()[0]].iter() {
        if let Some((name, value)) = ins.args.split_once('=') {
            args.insert(name.trim().to_string(), value.trim().to_string());
        }
    }
    let stage = &out.instructions[start..];
    let image = expand_known(stage[0].words().first().copied().unwrap_or(""), &args);
    let mut fs = FinalStage::of_base(&image, k);
    let mut env: BTreeMap<String, String> = BTreeMap::new();
    let mut workdir = "/".to_string();
    // (instruction, working directory and variables when it runs)
    let mut launches: Vec<(&Instruction, String, BTreeMap<String, String>)> = Vec::new();
    for ins in &stage[1..] {
        match ins.keyword {
            Keyword::Env => env.extend(env_pairs(&ins.args)),
            Keyword::Workdir => workdir = absolute(&workdir, &expand_known(&ins.args, &env)),
            Keyword::Copy | Keyword::Add => {
                if let Some(dest) = destination(ins) {
                    fs.copied
                        .push(absolute(&workdir, &expand_known(&dest, &env)));
                }
            }
            Keyword::Run => fs.runs.push(&ins.args),
            Keyword::Entrypoint | Keyword::Cmd | Keyword::Healthcheck => {
                launches.retain(|(i, _, _)| i.keyword != ins.keyword);
                launches.push((ins, workdir.clone(), env.clone()));
            }
            _ => {}
        }
    }
    let entrypoint = launches
        .iter()
        .find(|(i, _, _)| i.keyword == Keyword::Entrypoint);
    for (ins, cwd, vars) in &launches {
        let words_of = |ins: &Instruction| -> Vec<Vec<String>> {
            match ins.keyword {
                Keyword::Healthcheck => healthcheck_commands(ins),
                _ => shell::instruction_commands(ins)
                    .into_iter()
                    .map(|c| c.words)
                    .collect(),
            }
        };
        let mut commands = words_of(ins);
        // CMD in exec form is the argument list of an exec-form ENTRYPOINT.
        if ins.keyword == Keyword::Cmd
            && let Some((ep, _, _)) = entrypoint
        {
            if ep.exec.is_none() {
                continue;
            }
            let mut joined = ep.exec.clone().unwrap_or_default();
            joined.extend(commands.first().cloned().unwrap_or_default());
            commands = vec![joined];
        }
        for words in commands {
            for path in started_files(&words, cwd, vars, k, 0) {
                if !fs.has(&path, k) {
                    return Some(Missing {
                        keyword: ins.keyword,
                        path,
                    });
                }
            }
        }
    }
    None
}

impl<'a> FinalStage<'a> {
    fn of_base(image: &str, k: &Knowledge) -> FinalStage<'a> {
        let (name, tag) = crate::knowledge::split_image(image);
        let facts = k.image_facts(name, tag);
        let official = k.official_name(name);
        let short = official.strip_prefix("docker.io/").unwrap_or(official);
        FinalStage {
            copied: Vec::new(),
            runs: Vec::new(),
            base_paths: k.images.ships.get(short).cloned().unwrap_or_default(),
            base_tools: facts.map(|f| f.tools.clone()).unwrap_or_default(),
            has_shell: facts.is_some_and(|f| matches!(f.family, Family::Debian | Family::Alpine)),
        }
    }

    fn has(&self, path: &str, k: &Knowledge) -> bool {
        let copied = self
            .copied
            .iter()
            .any(|d| path == d || path.starts_with(&format!("{}/", d.trim_end_matches('/'))));
        let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
        let dir = if dir.is_empty() { "/" } else { dir };
        let on_path = k.images.runtime_path.iter().any(|p| p == dir);
        let shipped = self.base_paths.iter().any(|p| p == path)
            || (on_path && self.base_tools.iter().any(|t| t == name))
            || (on_path && self.has_shell && name == "sh");
        // A RUN that names the file made it; one that installs a package
        // of the program's name made a program in a PATH folder.
        let made = self
            .runs
            .iter()
            .any(|r| r.contains(path) || (on_path && r.split_whitespace().any(|w| w == name)));
        copied || shipped || made
    }
}

/// The destination of a COPY/ADD (its last argument).
fn destination(ins: &Instruction) -> Option<String> {
    if let Some(words) = &ins.exec {
        return words.last().cloned();
    }
    if !ins.heredocs.is_empty() {
        return None;
    }
    ins.args.split_whitespace().last().map(str::to_string)
}

/// The commands of a HEALTHCHECK (`CMD` form only; `NONE` starts nothing).
fn healthcheck_commands(ins: &Instruction) -> Vec<Vec<String>> {
    let rest = ins.args.trim_start();
    let Some(after) = rest
        .get(..3)
        .filter(|w| w.eq_ignore_ascii_case("CMD"))
        .map(|_| rest[3..].trim_start())
    else {
        return Vec::new();
    };
    match crate::parse::parse_exec(after) {
        Some(words) => vec![words],
        None => shell::commands(after)
            .into_iter()
            .map(|c| c.words)
            .collect(),
    }
}

/// The files one command starts by path: its program when written with a
/// folder, and the script an interpreter or shell runs.
fn started_files(
    words: &[String],
    cwd: &str,
    vars: &BTreeMap<String, String>,
    k: &Knowledge,
    depth: usize,
) -> Vec<String> {
    let rules = &k.commands.launch;
    let words = skip_launchers(words, k);
    let Some(program) = words.first() else {
        return Vec::new();
    };
    let resolve = |w: &str| -> Option<String> {
        let w = expand_known(w, vars);
        (!w.contains('$') && !w.is_empty()).then(|| absolute(cwd, &w))
    };
    let mut out = Vec::new();
    if program.contains('/') {
        out.extend(resolve(program));
    }
    let name = program.rsplit('/').next().unwrap_or(program);
    let name = shell::normalise_program(name);
    let is_shell = k.commands.shells.iter().any(|s| s == name);
    let mut rest = words[1..].iter();
    while let Some(w) = rest.next() {
        if is_shell && w == "-c" {
            if let Some(script) = rest.next()
                && depth < 3
            {
                for c in shell::commands(script) {
                    out.extend(started_files(&c.words, cwd, vars, k, depth + 1));
                }
            }
            break;
        }
        if rules.jar_options.contains(w) && name == "java" {
            out.extend(rest.next().and_then(|jar| resolve(jar)));
            break;
        }
        if rules.code_options.contains(w) {
            break;
        }
        if w.starts_with('-') {
            continue;
        }
        let looks_like_file =
            w.contains('/') || rules.script_endings.iter().any(|e| w.ends_with(e.as_str()));
        if rules.interpreters.iter().any(|i| i == name) && looks_like_file {
            out.extend(resolve(w));
        }
        break;
    }
    out
}

/// The words after `exec`, `env NAME=value`, inits and their options.
fn skip_launchers<'w>(words: &'w [String], k: &Knowledge) -> &'w [String] {
    let c = &k.commands;
    let mut i = 0;
    while let Some(w) = words.get(i) {
        let name = w.rsplit('/').next().unwrap_or(w);
        if c.wrappers.iter().any(|x| x == name) {
            i += 1;
        } else if name == "env" {
            i += 1;
            while let Some(a) = words.get(i) {
                if c.launch.env_value_options.contains(a) {
                    i += 2;
                } else if a.starts_with('-') || a.contains('=') {
                    i += 1;
                } else {
                    break;
                }
            }
        } else if c.inits.names.iter().any(|x| x == name) {
            i += 1;
            while let Some(a) = words.get(i) {
                if a == "--" {
                    i += 1;
                    break;
                } else if c.inits.value_options.contains(a) {
                    i += 2;
                } else if a.starts_with('-') {
                    i += 1;
                } else {
                    break;
                }
            }
        } else {
            break;
        }
    }
    &words[i.min(words.len())..]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn missing(text: &str) -> Option<String> {
        let k = Knowledge::builtin().unwrap();
        let file = crate::parse::parse(text).unwrap();
        check(&file, &k).map(|m| m.path)
    }

    #[test]
    fn a_binary_copied_elsewhere_than_the_command_runs_it_is_missing() {
        let text = "FROM golang:1.22 AS builder\nRUN go install ./server\n\nFROM alpine:3.20\nCOPY --from=builder /go/bin/server /usr/local/bin/server\nENTRYPOINT [\"/go/bin/server\"]\n";
        assert_eq!(missing(text).as_deref(), Some("/go/bin/server"));
        let fixed = text.replace("/usr/local/bin/server\n", "/go/bin/server\n");
        assert_eq!(missing(&fixed), None);
    }

    #[test]
    fn scripts_interpreters_and_shells_run_are_checked_relative_to_workdir() {
        let base = "FROM python:3.12 AS builder\nRUN true\n\nFROM python:3.12-slim\nWORKDIR /app\nCOPY --from=builder /app/main.py /app/main.py\n";
        assert_eq!(
            missing(&format!("{base}CMD [\"python\", \"main.py\"]\n")),
            None
        );
        assert_eq!(
            missing(&format!("{base}CMD [\"python\", \"-u\", \"worker.py\"]\n")).as_deref(),
            Some("/app/worker.py")
        );
        assert_eq!(missing(&format!("{base}CMD python -m app\n")), None);
        assert_eq!(
            missing(&format!("{base}CMD exec sh -c \"./start.sh --fast\"\n")).as_deref(),
            Some("/app/start.sh")
        );
        assert_eq!(
            missing(&format!(
                "{base}ENTRYPOINT [\"tini\", \"--\", \"/entrypoint.sh\"]\n"
            ))
            .as_deref(),
            Some("/entrypoint.sh")
        );
        assert_eq!(
            missing(&format!(
                "{base}ENTRYPOINT [\"java\", \"-jar\", \"app.jar\"]\n"
            ))
            .as_deref(),
            Some("/app/app.jar")
        );
        // An exec-form CMD is the argument list of an exec-form ENTRYPOINT.
        assert_eq!(
            missing(&format!(
                "{base}ENTRYPOINT [\"python\"]\nCMD [\"serve.py\"]\n"
            ))
            .as_deref(),
            Some("/app/serve.py")
        );
    }

    #[test]
    fn what_the_base_ships_or_a_run_makes_is_there() {
        let base = "FROM node:20 AS builder\nRUN true\n\nFROM node:20-slim\nWORKDIR /app\n";
        assert_eq!(
            missing(&format!(
                "{base}ENTRYPOINT [\"/usr/local/bin/docker-entrypoint.sh\"]\n"
            )),
            None
        );
        assert_eq!(
            missing(&format!("{base}CMD [\"/bin/sh\", \"-c\", \"node x\"]\n")),
            None
        );
        assert_eq!(
            missing(&format!(
                "{base}RUN ln -s /app/bin/run /usr/local/bin/run\nCMD [\"/usr/local/bin/run\"]\n"
            )),
            None
        );
        assert_eq!(
            missing(&format!("{base}HEALTHCHECK CMD /app/health.sh || exit 1\n")).as_deref(),
            Some("/app/health.sh")
        );
        assert_eq!(missing(&format!("{base}HEALTHCHECK NONE\n")), None);
        // Distroless has no shell to start.
        let d = "FROM golang:1.22 AS builder\nRUN true\n\nFROM gcr.io/distroless/static-debian12:nonroot\nCMD [\"/bin/sh\", \"-c\", \"x\"]\n";
        assert_eq!(missing(d).as_deref(), Some("/bin/sh"));
    }

    #[test]
    fn unresolved_variables_and_bare_names_are_not_checked() {
        let base = "FROM python:3.12 AS builder\nRUN true\n\nFROM python:3.12-slim\nENV APP=/srv\n";
        assert_eq!(
            missing(&format!("{base}CMD [\"gunicorn\", \"app:app\"]\n")),
            None
        );
        assert_eq!(missing(&format!("{base}CMD $HOME/run.sh\n")), None);
        assert_eq!(
            missing(&format!("{base}CMD $APP/run.sh\n")).as_deref(),
            Some("/srv/run.sh")
        );
    }
}
