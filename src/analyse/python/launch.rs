//! What ENTRYPOINT, CMD and HEALTHCHECK start, rewritten for the final
//! stage: `poetry run X`, `pipenv run X` and `uv run X` become `X` (the
//! runner stays in the builder; the environment is on PATH), and
//! `/usr/local/bin/X` of the system Python becomes the virtualenv's
//! `X`, which sees the installed packages. A runner msb cannot rewrite
//! blocks the migration.

use crate::analyse::{Analysis, CommandRewrite, absolute};
use crate::knowledge::{LanguagePack, Runner};
use crate::parse::{Dockerfile, Flag, Instruction, Keyword};
use crate::source::BuildContext;

/// `poetry run X`, `pipenv run X`, `uv run X` in ENTRYPOINT/CMD become
/// `X`: the final stage has the environment on PATH, not the runner. A
/// runner used any other way at run time blocks the migration.
pub(super) fn runners(
    file: &Dockerfile,
    context: &BuildContext,
    pack: &LanguagePack,
    a: &mut Analysis,
) {
    for kw in [Keyword::Entrypoint, Keyword::Cmd] {
        let Some(index) = file.instructions.iter().rposition(|i| i.keyword == kw) else {
            continue;
        };
        rewrite_runner(file, context, pack, kw, index, a);
    }
}

/// The runner python.toml knows `program` as (`poetry`, `uv`), if any.
fn runner_of<'p>(pack: &'p LanguagePack, program: &str) -> Option<&'p Runner> {
    pack.runners
        .iter()
        .find(|r| r.program == crate::analyse::shell::normalise_program(program))
}

/// Rewrites (or blocks) the runner the ENTRYPOINT or CMD `kw` at `index`
/// starts.
fn rewrite_runner(
    file: &Dockerfile,
    context: &BuildContext,
    pack: &LanguagePack,
    kw: Keyword,
    index: usize,
    a: &mut Analysis,
) {
    let is_runner = |program: &str| runner_of(pack, program).is_some();
    let ins = &file.instructions[index];
    let line = ins.line;
    let words: Vec<String> = match &ins.exec {
        Some(w) => w.clone(),
        None => {
            let cmds = crate::analyse::shell::commands(&ins.args);
            if cmds.iter().any(|c| is_runner(c.program())) && cmds.len() > 1 {
                a.block(
                    line,
                    format!("{} runs a development runner inside a longer shell command: msb cannot rewrite it", kw.as_str()),
                );
                return;
            }
            cmds.first().map(|c| c.words.clone()).unwrap_or_default()
        }
    };
    let Some(program) = words.first() else {
        return;
    };
    let Some(runner) = runner_of(pack, program) else {
        runner_in_script(context, pack, kw, index, line, &words, a);
        return;
    };
    let rest = crate::analyse::strip_runner(&words, runner);
    let Some(rest) = rest.filter(|r| !r.is_empty()) else {
        a.block(
            line,
            format!(
                "{} runs `{}` without the command it runs: msb cannot rewrite it",
                kw.as_str(),
                words.join(" ")
            ),
        );
        return;
    };
    let args = if ins.exec.is_some() {
        crate::analyse::entry::render(&rest, true)
    } else {
        // The shell form keeps its text as written ($VARS, quotes).
        skip_words(ins.args.trim(), words.len() - rest.len()).to_string()
    };
    a.command_rewrites.push(CommandRewrite {
        index,
        args,
        why: format!(
            "`{} {}` only runs the command in the virtualenv, which the final stage has on PATH",
            runner.program, runner.subcommand
        ),
        needs_unsafe: false,
    });
}

/// A script the command runs (`sh -c '…'`, a file of the context) may
/// still call the runner: that blocks.
fn runner_in_script(
    context: &BuildContext,
    pack: &LanguagePack,
    kw: Keyword,
    index: usize,
    line: usize,
    words: &[String],
    a: &mut Analysis,
) {
    let program = &words[0];
    let script = if words.len() > 2 && words.iter().any(|w| w == "-c") {
        words.iter().skip_while(|w| *w != "-c").nth(1).cloned()
    } else {
        crate::analyse::script_in_context(a, program, index, context)
            .and_then(|p| context.read_small(&p))
    };
    if let Some(text) = script
        && let Some(c) = crate::analyse::shell::commands(&text)
            .into_iter()
            .find(|c| runner_of(pack, c.program()).is_some())
    {
        a.block(
            line,
            format!("{} runs `{}`, which stays in the builder: msb cannot rewrite a runner inside a script", kw.as_str(), c.words.join(" ")),
        );
    }
}

/// Programs of the Python image itself in /usr/local/bin, there whatever
/// pip installed (`/usr/local/bin/pip` is the system pip).
const IMAGE_PYTHON_TOOLS: &[&str] = &[
    "pip",
    "pip3",
    "idle",
    "idle3",
    "pydoc",
    "pydoc3",
    "2to3",
    "python-config",
    "python3-config",
    "wheel",
];

/// `/usr/local/bin/python` or a console script pip put next to it, named
/// by its path in ENTRYPOINT, CMD or HEALTHCHECK: the system Python does not see the
/// packages of the virtualenv msb installs into, so the command runs the
/// same program from the virtualenv's bin. A file the build put there
/// itself (an entrypoint script, a link) is left alone.
pub(super) fn system_python_paths(file: &Dockerfile, a: &mut Analysis, venv: &str) {
    for kw in [Keyword::Entrypoint, Keyword::Cmd, Keyword::Healthcheck] {
        let Some(index) = file.instructions.iter().rposition(|i| i.keyword == kw) else {
            continue;
        };
        if a.command_rewrites.iter().any(|r| r.index == index) {
            continue;
        }
        let ins = &file.instructions[index];
        let Some(path) = first_program(ins, kw) else {
            continue;
        };
        let Some(name) = path.strip_prefix("/usr/local/bin/") else {
            continue;
        };
        if name.is_empty()
            || name.contains('/')
            || IMAGE_PYTHON_TOOLS.contains(&crate::analyse::shell::normalise_program(name))
            || made_by_build(a, &path)
        {
            continue;
        }
        let new_path = format!("{venv}/bin/{name}");
        // The first mention is the program: replaced there, the rest of
        // the text (JSON spacing, options, quotes) stays as written.
        let mut args = ins.args.trim().replacen(path.as_str(), &new_path, 1);
        // HEALTHCHECK's own options (`--interval=30s`) are kept.
        let flags: Vec<String> = ins.flags.iter().map(Flag::written).collect();
        if !flags.is_empty() {
            args = format!("{} {args}", flags.join(" "));
        }
        a.command_rewrites.push(CommandRewrite {
            index,
            args,
            why: format!(
                "{path} is the system Python's, which does not see the packages installed into the virtualenv at {venv}; its {name} runs with them"
            ),
            needs_unsafe: false,
        });
    }
}

/// A COPY or RUN of the build wrote `path` (or copied into /usr/local/bin).
fn made_by_build(a: &Analysis, path: &str) -> bool {
    a.copies.iter().any(|c| {
        c.roots.iter().any(|r| r == path || r == "/usr/local/bin")
            || c.pairs.iter().any(|(_, d)| d == path)
    }) || a.run_commands.iter().any(|rc| {
        rc.command
            .writes
            .iter()
            .chain(rc.command.args())
            .any(|w| absolute(&rc.cwd, w) == path)
    })
}

/// The program the instruction `ins` (of keyword `kw`) runs first.
fn first_program(ins: &Instruction, kw: Keyword) -> Option<String> {
    // HEALTHCHECK [OPTIONS] CMD command: the command after `CMD`.
    let command = if kw == Keyword::Healthcheck {
        let mut rest = ins.args.trim_start();
        loop {
            let (word, after) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
            if word.eq_ignore_ascii_case("CMD") || word.is_empty() {
                break after.trim_start().to_string();
            }
            rest = after.trim_start();
        }
    } else {
        ins.args.clone()
    };
    let exec: Option<Vec<String>> = match &ins.exec {
        Some(w) => Some(w.clone()),
        None => serde_json::from_str(command.trim()).ok(),
    };
    match &exec {
        Some(w) => w.first().cloned(),
        None => crate::analyse::shell::commands(&command)
            .into_iter()
            .next()
            .and_then(|c| c.words.into_iter().find(|w| w != "exec")),
    }
}

/// `text` after its first `n` shell words (quotes respected).
fn skip_words(text: &str, n: usize) -> &str {
    let mut rest = text.trim_start();
    for _ in 0..n {
        let mut quote: Option<char> = None;
        let mut escaped = false;
        let mut end = rest.len();
        for (i, c) in rest.char_indices() {
            if escaped {
                escaped = false;
            } else if c == '\\' && quote != Some('\'') {
                escaped = true;
            } else if let Some(q) = quote {
                if c == q {
                    quote = None;
                }
            } else if c == '"' || c == '\'' {
                quote = Some(c);
            } else if c.is_whitespace() {
                end = i;
                break;
            }
        }
        rest = rest[end..].trim_start();
    }
    rest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skips_shell_words_with_quotes() {
        assert_eq!(
            skip_words("poetry run gunicorn -b \"0.0.0.0:$PORT\"", 2),
            "gunicorn -b \"0.0.0.0:$PORT\""
        );
        assert_eq!(skip_words("uv run 'a b' c", 3), "c");
    }

    #[test]
    fn strips_runner_options() {
        use crate::analyse::strip_runner;
        let runner = crate::knowledge::Runner {
            program: "uv".into(),
            subcommand: "run".into(),
            value_options: vec!["--with".into()],
        };
        let words: Vec<String> = [
            "uv", "run", "--frozen", "--with", "x", "gunicorn", "app:app",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(
            strip_runner(&words, &runner).unwrap(),
            vec!["gunicorn".to_string(), "app:app".to_string()]
        );
    }
}
