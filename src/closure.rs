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
    let mut vars: BTreeMap<String, String> = BTreeMap::new();
    for ins in out.instructions[..out.stage_starts()[0]].iter() {
        if let Some((name, value)) = ins.args.split_once('=') {
            vars.insert(name.trim().to_string(), value.trim().to_string());
        }
    }
    let stage = &out.instructions[start..];
    let image = expand_known(stage[0].words().first().copied().unwrap_or(""), &vars);
    let mut fs = FinalStage::of_base(&image, k);
    let mut workdir = "/".to_string();
    let last = |kw: Keyword| stage.iter().rev().find(|i| i.keyword == kw);
    for ins in &stage[1..] {
        match ins.keyword {
            Keyword::Env => vars.extend(env_pairs(&ins.args)),
            Keyword::Arg => {
                let (name, value) = ins.args.split_once('=').unwrap_or((&ins.args, ""));
                vars.entry(name.trim().to_string())
                    .or_insert_with(|| value.trim().to_string());
            }
            Keyword::Workdir => workdir = absolute(&workdir, &expand_known(&ins.args, &vars)),
            Keyword::Copy | Keyword::Add => {
                fs.copied.extend(destinations(ins, &workdir, &vars));
            }
            Keyword::Run => fs.runs.push(&ins.args),
            _ => {}
        }
    }
    // The container starts in the last WORKDIR, with every ENV set.
    let launch = Launch {
        cwd: if workdir.contains('$') {
            None
        } else {
            Some(workdir)
        },
        vars: &vars,
        k,
    };
    let entrypoint = last(Keyword::Entrypoint);
    let cmd = last(Keyword::Cmd);
    let mut started: Vec<(Keyword, String)> = Vec::new();
    // A shell-form command is started by the image's shell.
    let shell_form = match (entrypoint, cmd) {
        (Some(ep), _) => ep.exec.is_none().then_some(Keyword::Entrypoint),
        (None, Some(c)) => c.exec.is_none().then_some(Keyword::Cmd),
        (None, None) => None,
    };
    started.extend(shell_form.map(|kw| (kw, "/bin/sh".to_string())));
    match (entrypoint, cmd) {
        (Some(ep), cmd) if ep.exec.is_some() => {
            // CMD is the argument list of an exec-form ENTRYPOINT; a
            // shell-form one comes as `/bin/sh -c TEXT`.
            let mut words = ep.exec.clone().unwrap_or_default();
            match cmd {
                Some(c) if c.exec.is_some() => words.extend(c.exec.clone().unwrap_or_default()),
                Some(c) => words.extend(["/bin/sh".into(), "-c".into(), c.args.clone()]),
                None => {}
            }
            started.extend(
                launch
                    .files(&[words], false)
                    .into_iter()
                    .map(|p| (Keyword::Entrypoint, p)),
            );
        }
        (Some(ep), _) => started.extend(
            launch
                .script(&ep.args)
                .into_iter()
                .map(|p| (Keyword::Entrypoint, p)),
        ),
        (None, Some(c)) => {
            started.extend(launch.instruction(c).into_iter().map(|p| (Keyword::Cmd, p)))
        }
        (None, None) => {}
    }
    if let Some(h) = last(Keyword::Healthcheck) {
        started.extend(
            launch
                .healthcheck(h)
                .into_iter()
                .map(|p| (Keyword::Healthcheck, p)),
        );
    }
    started
        .into_iter()
        .find(|(_, path)| !fs.has(path, k))
        .map(|(keyword, path)| Missing { keyword, path })
}

/// Where and with what a final command runs, to resolve its paths.
struct Launch<'a> {
    /// None: a WORKDIR msb cannot resolve (relative paths are not checked).
    cwd: Option<String>,
    vars: &'a BTreeMap<String, String>,
    k: &'a Knowledge,
}

impl Launch<'_> {
    /// The files an exec- or shell-form instruction starts.
    fn instruction(&self, ins: &Instruction) -> Vec<String> {
        match &ins.exec {
            Some(words) => self.files(std::slice::from_ref(words), false),
            None => self.script(&ins.args),
        }
    }

    /// The files a shell script starts, command after command.
    fn script(&self, text: &str) -> Vec<String> {
        let commands: Vec<Vec<String>> =
            shell::commands(text).into_iter().map(|c| c.words).collect();
        self.files(&commands, true)
    }

    fn healthcheck(&self, ins: &Instruction) -> Vec<String> {
        let rest = ins.args.trim_start();
        let Some(after) = rest
            .get(..3)
            .filter(|w| w.eq_ignore_ascii_case("CMD"))
            .map(|_| rest[3..].trim_start())
        else {
            return Vec::new();
        };
        match crate::parse::parse_exec(after) {
            Some(words) => self.files(&[words], false),
            None => self.script(after),
        }
    }

    /// The files a sequence of commands starts; `cd DIR` moves the rest.
    /// Words of a shell script are expanded with the image's variables;
    /// exec-form words are taken as they are (the engine expands nothing).
    fn files(&self, commands: &[Vec<String>], shell_words: bool) -> Vec<String> {
        self.files_at(commands, shell_words, 0)
    }

    /// `files`, `depth` shells deep (bounded: `sh -c "sh -c …"`).
    fn files_at(&self, commands: &[Vec<String>], shell_words: bool, depth: usize) -> Vec<String> {
        let mut cwd = self.cwd.clone();
        let mut out = Vec::new();
        for words in commands {
            let words: Vec<String> = if shell_words {
                words.iter().map(|w| expand_known(w, self.vars)).collect()
            } else {
                words.clone()
            };
            if words.first().map(String::as_str) == Some("cd") {
                cwd = match (words.get(1), &cwd) {
                    (Some(d), _) if d.starts_with('/') && !d.contains('$') => {
                        Some(absolute("/", d))
                    }
                    (Some(d), Some(c)) if !d.contains('$') => Some(absolute(c, d)),
                    _ => None,
                };
                continue;
            }
            out.extend(self.started_files(&words, cwd.as_deref(), depth));
        }
        out
    }
}

impl<'a> FinalStage<'a> {
    fn of_base(image: &str, k: &Knowledge) -> FinalStage<'a> {
        let (name, tag) = crate::knowledge::split_image(image);
        let facts = k.image_facts(name, tag);
        let short = k.official_name(name);
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
            || (on_path && self.has_shell && k.images.core_programs.iter().any(|p| p == name));
        // A RUN that names the file made it; a package install that names
        // the program made it in a PATH folder.
        let made = self.runs.iter().any(|r| {
            r.contains(path)
                || (on_path
                    && shell::commands(r).iter().any(|c| {
                        crate::analyse::packages::read(c).is_some()
                            && c.words.iter().any(|w| w == name)
                    }))
        });
        copied || shipped || made
    }
}

/// What a COPY/ADD puts in place: its destination (all below it is taken
/// as there), or, for a copy into `/` itself, the sources' names there.
fn destinations(ins: &Instruction, workdir: &str, vars: &BTreeMap<String, String>) -> Vec<String> {
    let words: Vec<String> = match &ins.exec {
        Some(words) => words.clone(),
        // `COPY <<EOF /entrypoint.sh`: the destination follows the markers.
        None => ins
            .args
            .lines()
            .next()
            .unwrap_or("")
            .split_whitespace()
            .filter(|w| !w.starts_with("<<"))
            .map(str::to_string)
            .collect(),
    };
    let Some((dest, sources)) = words.split_last() else {
        return Vec::new();
    };
    let dest = absolute(workdir, &expand_known(dest, vars));
    if dest != "/" {
        return vec![dest];
    }
    sources
        .iter()
        .filter_map(|s| s.trim_end_matches('/').rsplit('/').next())
        .filter(|name| !name.is_empty() && *name != ".")
        .map(|name| format!("/{name}"))
        .collect()
}

impl Launch<'_> {
    /// The files one command starts by path: its program (and inits such
    /// as `/tini`) when written with a folder, and the script an
    /// interpreter or shell runs.
    fn started_files(&self, words: &[String], cwd: Option<&str>, depth: usize) -> Vec<String> {
        let rules = &self.k.commands.launch;
        let resolve = |w: &str| -> Option<String> {
            if w.is_empty() || w.contains('$') {
                return None;
            }
            match cwd {
                _ if w.starts_with('/') => Some(absolute("/", w)),
                Some(c) => Some(absolute(c, w)),
                None => None,
            }
        };
        let (launchers, words) = skip_launchers(words, self.k);
        let mut out: Vec<String> = launchers
            .iter()
            .filter(|w| w.contains('/'))
            .filter_map(|w| resolve(w))
            .collect();
        let Some(program) = words.first() else {
            return out;
        };
        if program.contains('/') {
            out.extend(resolve(program));
        }
        let name = shell::normalise_program(crate::analyse::basename(program));
        let is_shell = self.k.commands.shells.iter().any(|s| s == name);
        let mut rest = words[1..].iter();
        while let Some(w) = rest.next() {
            // POSIX shells: `-c` alone or in a cluster (`-ec`, `-lc`).
            if is_shell && w.starts_with('-') && !w.starts_with("--") && w.contains('c') {
                if let Some(script) = rest.next()
                    && depth < 3
                {
                    let inner = Launch {
                        cwd: cwd.map(str::to_string),
                        vars: self.vars,
                        k: self.k,
                    };
                    let commands: Vec<Vec<String>> = shell::commands(script)
                        .into_iter()
                        .map(|c| c.words)
                        .collect();
                    out.extend(inner.files_at(&commands, true, depth + 1));
                }
                break;
            }
            if rules.jar_options.contains(w) && rules.jar_runners.iter().any(|j| j == name) {
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
}

/// The launchers (`exec`, `env NAME=value`, inits with their options)
/// and the words after them.
fn skip_launchers<'w>(words: &'w [String], k: &Knowledge) -> (&'w [String], &'w [String]) {
    let c = &k.commands;
    let mut i = 0;
    while let Some(w) = words.get(i) {
        let name = crate::analyse::basename(w);
        if c.wrappers.iter().any(|x| x == name) {
            i += 1;
        } else if c.launch.env_programs.iter().any(|x| x == name) {
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
    let i = i.min(words.len());
    (&words[..i], &words[i..])
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
        let shell_form = d.replace("CMD [\"/bin/sh\", \"-c\", \"x\"]", "CMD exec x");
        assert_eq!(missing(&shell_form).as_deref(), Some("/bin/sh"));
        let shell_form = d.replace("CMD [\"/bin/sh\", \"-c\", \"x\"]", "CMD exec x");
        assert_eq!(missing(&shell_form).as_deref(), Some("/bin/sh"));
    }

    #[test]
    fn the_shell_is_followed_as_the_container_runs_it() {
        let base = "FROM python:3.12 AS builder\nRUN true\n\nFROM python:3.12-slim\nCOPY --from=builder /app /app\n";
        // `cd` moves what follows; the last WORKDIR is where it starts.
        assert_eq!(
            missing(&format!("{base}CMD cd /app && python main.py\n")),
            None
        );
        assert_eq!(
            missing(&format!(
                "{base}CMD [\"bash\", \"-lc\", \"cd /srv && ./start.sh\"]\n"
            ))
            .as_deref(),
            Some("/srv/start.sh")
        );
        assert_eq!(
            missing(&format!(
                "{base}CMD [\"sh\", \"-ec\", \"node dist/server.js\"]\nWORKDIR /app\n"
            )),
            None
        );
        // A shell-form CMD comes to an exec-form ENTRYPOINT as `/bin/sh -c`.
        assert_eq!(
            missing(&format!(
                "{base}WORKDIR /app\nENTRYPOINT [\"/usr/bin/env\"]\nCMD ./serve.sh\n"
            )),
            None
        );
        assert_eq!(
            missing(&format!(
                "{base}WORKDIR /opt\nENTRYPOINT [\"/usr/bin/env\"]\nCMD ./serve.sh\n"
            ))
            .as_deref(),
            Some("/opt/serve.sh")
        );
        // An init is started by its path too.
        assert_eq!(
            missing(&format!("{base}WORKDIR /app\nENTRYPOINT [\"/tini\", \"--\"]\nCMD [\"python\", \"main.py\"]\n")).as_deref(),
            Some("/tini")
        );
        // A heredoc COPY puts its file where its last word says.
        assert_eq!(
            missing(&format!(
                "{base}COPY <<EOF /entrypoint.sh\n#!/bin/sh\nexec \"$@\"\nEOF\nENTRYPOINT [\"/entrypoint.sh\"]\n"
            )),
            None
        );
        // The runtime user's name is no program.
        assert_eq!(
            missing(&format!(
                "{base}RUN useradd app\nCMD [\"/usr/local/bin/app\"]\n"
            ))
            .as_deref(),
            Some("/usr/local/bin/app")
        );
    }

    #[test]
    fn a_copy_into_the_root_puts_only_its_sources_there() {
        let base = "FROM golang:1.22 AS builder\nRUN true\n\nFROM alpine:3.20\nCOPY --from=builder /out/server /\n";
        assert_eq!(missing(&format!("{base}ENTRYPOINT [\"/server\"]\n")), None);
        assert_eq!(
            missing(&format!("{base}ENTRYPOINT [\"/app/server\"]\n")).as_deref(),
            Some("/app/server")
        );
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
