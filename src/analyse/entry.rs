//! What the container runs: ENTRYPOINT and CMD joined the way Docker joins
//! them, cut into simple commands with the folder each runs in (a `cd` in
//! a `sh -c` script moves it). Languages whose CMD names a build output by
//! path (a jar, a published dll) read it here, and a rewrite of a
//! development runner (`mvn spring-boot:run`, `dotnet run`) knows whether
//! the instruction is that one command and nothing else. It also finds the
//! build-context file behind a path in the image (the pom.xml a build
//! reads, the appsettings.json an app reads), so those can be read.

use crate::analyse::shell::{self, Command};
use crate::analyse::{Analysis, BuilderAddition, CommandRewrite, absolute, is_under};
use crate::knowledge::Knowledge;
use crate::knowledge::glob_match;
use crate::parse::{Dockerfile, Instruction, Keyword};
use crate::source::BuildContext;

/// One simple command the container runs.
#[derive(Debug, Clone)]
pub struct Step {
    /// The folder it runs in.
    pub cwd: String,
    /// Wrappers (`exec`) already removed.
    pub command: Command,
}

/// The container's command.
#[derive(Debug, Clone)]
pub struct Launch {
    /// The ENTRYPOINT or CMD instruction the command comes from (the
    /// ENTRYPOINT when both count), for reasons.
    pub index: usize,
    pub line: usize,
    pub keyword: &'static str,
    pub steps: Vec<Step>,
    /// The instruction is one runner command and nothing else (no
    /// ENTRYPOINT + CMD pair, no script around it): it can be rewritten.
    pub sole: bool,
    /// JSON form, kept by a rewrite.
    pub json: bool,
    /// A shell script from the build context that the command runs, with
    /// its path in the image: its commands are the steps.
    pub script: Option<(String, String)>,
}

/// ENTRYPOINT + CMD as Docker runs them, or None when neither is set.
/// `tools` are programs the language knows (`./mvnw`): never read as a
/// launch script even when they are shell scripts of the context.
pub fn read(
    file: &Dockerfile,
    context: &BuildContext,
    k: &Knowledge,
    a: &Analysis,
    tools: &[String],
) -> Option<Launch> {
    let last = |kw: Keyword| file.instructions.iter().rposition(|i| i.keyword == kw);
    let entrypoint = last(Keyword::Entrypoint);
    let cmd = last(Keyword::Cmd);
    let exec_or_shell = |index: usize| -> Vec<String> {
        let ins = &file.instructions[index];
        match &ins.exec {
            Some(words) => words.clone(),
            None => vec!["/bin/sh".into(), "-c".into(), ins.args.clone()],
        }
    };
    let (index, words, sole) = match (entrypoint, cmd) {
        (Some(e), Some(c)) if file.instructions[e].exec.is_some() => {
            let mut words = exec_or_shell(e);
            let more = exec_or_shell(c);
            let sole = more.is_empty();
            words.extend(more);
            (e, words, sole)
        }
        // A shell-form ENTRYPOINT ignores CMD.
        (Some(e), _) => (e, exec_or_shell(e), true),
        (None, Some(c)) => (c, exec_or_shell(c), true),
        (None, None) => return None,
    };
    let ins = &file.instructions[index];
    let workdir = a.final_workdir.clone().unwrap_or_else(|| "/".into());
    let mut launch = Launch {
        index,
        line: ins.line,
        keyword: ins.keyword.as_str(),
        steps: Vec::new(),
        sole,
        json: ins.exec.is_some(),
        script: None,
    };
    // An init the build installs (`ENTRYPOINT ["/usr/bin/tini", "--"]`)
    // starts the command after it; the runtime stage installs it too.
    let mut words = words;
    if let Some(rest) = after_init(&words, k, a) {
        words = rest;
        launch.sole = false;
    }
    let program = words.first().cloned().unwrap_or_default();
    let name = crate::analyse::basename(&program).to_string();
    if k.commands.shells.contains(&name) {
        let Some(pos) = words.iter().position(|w| w == "-c") else {
            return Some(launch);
        };
        let script = words.get(pos + 1).cloned().unwrap_or_default();
        launch.steps = steps_of(&script, &workdir, k);
        // A script of one command written by hand in JSON form
        // (`["sh", "-c", "mvn spring-boot:run"]`) is not rewritten.
        launch.sole = sole && ins.exec.is_none() && launch.steps.len() == 1;
        return Some(launch);
    }
    if !tools.contains(&name)
        && let Some(path) = crate::analyse::script_in_context(a, &program, index, context)
        && let Some(text) = context.read_small(&path)
        && text.starts_with("#!")
    {
        launch.steps = steps_of(&text, &workdir, k);
        launch.sole = false;
        let in_image = script_in_image(a, &program, &workdir);
        launch.script = Some((path, in_image));
        return Some(launch);
    }
    // `CMD []` starts nothing: no step for the languages to place.
    if !words.is_empty() {
        launch.steps = vec![Step {
            cwd: workdir,
            command: Command {
                words,
                ..Command::default()
            },
        }];
    }
    Some(launch)
}

/// What the container runs, command by command, for a language that must
/// know every program it starts (a compiled one, whose final stage has
/// no toolchain).
#[derive(Debug, Clone, Default)]
pub struct Commands {
    /// Each simple command with what runs it (`line 9: CMD`, or the
    /// launch script's path in the build context).
    pub steps: Vec<(String, Step)>,
    /// The launch script: its context path and its path in the image.
    pub script: Option<(String, String)>,
    /// The ENTRYPOINT or CMD line the command comes from, and its keyword.
    pub line: usize,
    pub keyword: &'static str,
}

/// `read`'s commands, plus those of a script a shell runs by name
/// (`CMD ["sh", "start.sh"]`) or a shell-form command starts
/// (`ENTRYPOINT ./docker-entrypoint.sh`), which `read` leaves alone.
pub fn commands_run(
    file: &Dockerfile,
    context: &BuildContext,
    k: &Knowledge,
    a: &Analysis,
) -> Commands {
    let Some(launch) = read(file, context, k, a, &[]) else {
        return Commands::default();
    };
    let what = format!("line {}: {}", launch.line, launch.keyword);
    if let Some((ctx, image)) = &launch.script {
        return Commands {
            steps: launch
                .steps
                .iter()
                .map(|s| (ctx.clone(), s.clone()))
                .collect(),
            script: Some((ctx.clone(), image.clone())),
            line: launch.line,
            keyword: launch.keyword,
        };
    }
    let workdir = a.final_workdir.clone().unwrap_or_else(|| "/".into());
    let ins = &file.instructions[launch.index];
    let mut steps = launch.steps;
    if steps.is_empty()
        && let Some(words) = &ins.exec
        && let Some(program) = words.first()
        && k.commands
            .shells
            .iter()
            .any(|sh| sh.as_str() == crate::analyse::basename(program))
        && let Some(script) = words[1..].iter().find(|w| !w.starts_with('-'))
    {
        // The shell reads the script from the working folder.
        let script = if script.contains('/') {
            script.clone()
        } else {
            format!("./{script}")
        };
        steps.push(Step {
            cwd: workdir.clone(),
            command: Command {
                words: vec![script],
                ..Command::default()
            },
        });
    }
    let mut out = Commands {
        line: launch.line,
        keyword: launch.keyword,
        ..Commands::default()
    };
    for mut step in steps {
        while step
            .command
            .words
            .first()
            .is_some_and(|w| k.commands.wrappers.contains(w))
        {
            step.command.words.remove(0);
        }
        let program = step.command.words.first().cloned().unwrap_or_default();
        out.steps.push((what.clone(), step.clone()));
        // A launch script of the build context: its commands run too.
        if out.script.is_none()
            && !program.is_empty()
            && let Some(ctx) = crate::analyse::script_in_context(a, &program, launch.index, context)
            && let Some(text) = context.read_small(&ctx)
            // A shell runs a script without `#!`; exec needs one.
            && (text.starts_with("#!") || ins.exec.as_ref().and_then(|w| w.first()) != Some(&program))
        {
            let image = script_in_image(a, &program, &step.cwd);
            out.steps.extend(
                steps_of(&text, &step.cwd, k)
                    .into_iter()
                    .map(|s| (ctx.clone(), s)),
            );
            out.script = Some((ctx, image));
        }
    }
    out
}

/// Where the image has a launch script the command runs as `program` from
/// `cwd`: by its path, or through PATH where a COPY put it.
fn script_in_image(a: &Analysis, program: &str, cwd: &str) -> String {
    if program.contains('/') {
        return absolute(cwd, program);
    }
    a.copies
        .iter()
        .flat_map(|c| c.roots.iter())
        .find(|r| crate::analyse::basename(r) == program)
        .cloned()
        .unwrap_or_else(|| absolute(cwd, program))
}

/// The launch script goes to the final stage at the path the command
/// runs it from.
pub fn copy_launch_script(launch: &Launch, a: &mut Analysis) {
    if let Some((script, path)) = &launch.script {
        a.add_artefact(
            launch.line,
            path,
            path,
            format!(
                "line {}: {} runs it ({script})",
                launch.line, launch.keyword
            ),
            false,
        );
    }
}

/// Why a file whose command runs a script from inside another command or
/// script (`nested_script`) is left alone.
pub fn nested_script_reason(launch: &Launch, script: &str) -> String {
    format!(
        "{} runs the script {script}, which msb does not follow from a command or another script: cannot tell what the runtime needs",
        launch.keyword
    )
}

/// The command an init the build installed starts, or None when the first
/// word is no such init.
fn after_init(words: &[String], k: &Knowledge, a: &Analysis) -> Option<Vec<String>> {
    let program = words.first()?;
    let name = crate::analyse::basename(program);
    let inits = &k.commands.inits;
    if !inits.names.iter().any(|i| i == name) || !a.installed_packages.iter().any(|p| p == name) {
        return None;
    }
    let i = shell::after_options(words, 1, |w| inits.value_options.iter().any(|o| o == w));
    let rest = words.get(i..)?.to_vec();
    (!rest.is_empty()).then_some(rest)
}

/// A script's simple commands, with `cd` followed and wrappers dropped.
fn steps_of(script: &str, workdir: &str, k: &Knowledge) -> Vec<Step> {
    let mut cwd = workdir.to_string();
    let mut steps = Vec::new();
    for mut command in shell::commands(script) {
        while command
            .words
            .first()
            .is_some_and(|w| k.commands.wrappers.contains(w))
        {
            command.words.remove(0);
        }
        if command.program() == "cd" {
            let target = command.args().first().map(String::as_str).unwrap_or("/");
            cwd = absolute(&cwd, target);
            continue;
        }
        if command.words.is_empty() {
            continue;
        }
        steps.push(Step {
            cwd: cwd.clone(),
            command,
        });
    }
    steps
}

/// Shell syntax and builtins the simple-command reader leaves as a first
/// word; none of them runs another program.
const SHELL_SYNTAX: &[&str] = &[
    "for", "case", "select", "function", "esac", "then", "else", "break", "continue", "return",
    "exit", "shift", "trap", "wait", "read", "local", "readonly", "declare", "let",
];

/// Programs a launch script may run besides the app: they arrange files or
/// print, or they are tools the runtime stage installs when its base lacks
/// them (`nc`, `curl`: `commands.toml`'s runtime_tools).
pub fn is_harmless(program: &str, k: &Knowledge) -> bool {
    k.commands.housekeeping.iter().any(|p| p == program)
        || k.commands.shells.iter().any(|p| p == program)
        || k.commands.runtime_tools.contains_key(program)
        || SHELL_SYNTAX.contains(&program)
}

/// The port a listening URL names (`http://+:80` → 80, `https://*` →
/// 443); None for a URL msb cannot read.
pub fn url_port(url: &str) -> Option<u16> {
    let (scheme, rest) = url.trim().split_once("://")?;
    let authority = rest.split('/').next().unwrap_or(rest);
    // `[::]:80`: the port follows the bracket.
    let after_host = match authority.rfind(']') {
        Some(end) => &authority[end + 1..],
        None => authority,
    };
    match after_host.rsplit_once(':') {
        Some((_, port)) => port.parse().ok(),
        None => match scheme.to_ascii_lowercase().as_str() {
            "http" => Some(80),
            "https" => Some(443),
            _ => None,
        },
    }
}

/// The line of the last ENV that sets `name`.
pub fn env_line(file: &Dockerfile, name: &str) -> Option<usize> {
    file.instructions
        .iter()
        .rev()
        .find(|i| {
            i.keyword == Keyword::Env
                && crate::analyse::env_pairs(&i.args)
                    .iter()
                    .any(|(n, _)| n == name)
        })
        .map(|i| i.line)
}

/// The instruction that starts the container: the last ENTRYPOINT, else
/// the last CMD.
pub fn starting_instruction(file: &Dockerfile) -> Option<usize> {
    let last = |kw: Keyword| file.instructions.iter().rposition(|i| i.keyword == kw);
    last(Keyword::Entrypoint).or_else(|| last(Keyword::Cmd))
}

/// An ENTRYPOINT or CMD's command as written, in backticks, for reasons
/// (`` `go run ./cmd/api` ``).
pub fn quoted_command(ins: &Instruction) -> String {
    match &ins.exec {
        Some(words) => format!("`{}`", words.join(" ")),
        None => format!("`{}`", ins.args.trim()),
    }
}

/// For a development runner that compiles when the container starts
/// (`go run`, `cargo run`, written as `runs` on the ENTRYPOINT/CMD at
/// `line`): the builder gains `command`, which makes the binary instead,
/// right after its last build step and in `cwd`, the folder the runner
/// ran in. Returns the RUN text added.
pub fn add_runner_build_step(
    a: &mut Analysis,
    line: usize,
    keyword: &str,
    runs: &str,
    command: &str,
    cwd: &str,
) -> String {
    let text = if a.workdir_at(a.last_build_index) != cwd {
        format!("cd {cwd} && {command}")
    } else {
        command.to_string()
    };
    a.builder_additions.push(BuilderAddition {
        before: None,
        lines: vec![("RUN".into(), text.clone())],
        why: format!(
            "line {line}: {keyword} ran {runs}: the builder makes the binary with `{text}` instead"
        ),
    });
    text
}

/// `path` as a rewritten command names it from the working folder:
/// relative inside it (`target/app.jar`), absolute outside.
pub fn path_from_workdir(path: &str, workdir: &str) -> String {
    path.strip_prefix(&format!("{}/", workdir.trim_end_matches('/')))
        .map(String::from)
        .unwrap_or_else(|| path.to_string())
}

/// The container's command (the ENTRYPOINT or CMD `launch` read) becomes
/// `words`, written in the form the instruction had.
pub fn rewrite_launch(
    a: &mut Analysis,
    launch: &Launch,
    words: &[String],
    why: String,
    needs_unsafe: bool,
) {
    a.command_rewrites.push(CommandRewrite {
        index: launch.index,
        args: render(words, launch.json),
        why,
        needs_unsafe,
    });
}

/// Instruction arguments for a rewritten command, in the form it had.
pub fn render(words: &[String], json: bool) -> String {
    if json {
        let quoted: Vec<String> = words
            .iter()
            .map(|w| serde_json::to_string(w).unwrap_or_default())
            .collect();
        format!("[{}]", quoted.join(", "))
    } else {
        words.join(" ")
    }
}

/// The context path of a file or folder the image has at `path`.
pub fn context_path(a: &Analysis, path: &str, context: &BuildContext) -> Option<String> {
    for copy in a.copies.iter().rev() {
        for (src, root) in &copy.pairs {
            let src = clean_source_str(src);
            if src.contains("://") || src.starts_with("<<") {
                continue;
            }
            if src.contains('*') {
                // `COPY */*.csproj ./`: a file of the root that matches.
                if is_under(path, root) && path != root {
                    let name = crate::analyse::relative_to(path, root).unwrap_or_default();
                    let (dir, pattern) = src.rsplit_once('/').unwrap_or(("", src));
                    let candidate = if dir.is_empty() {
                        name.to_string()
                    } else {
                        format!("{dir}/{name}")
                    };
                    if !name.contains('/')
                        && glob_match(pattern, name)
                        && !dir.contains('*')
                        && context.is_file(&candidate)
                    {
                        return Some(candidate);
                    }
                }
                continue;
            }
            let candidate = if root == path {
                src.to_string()
            } else if is_under(path, root) {
                let rel = crate::analyse::relative_to(path, root).unwrap_or_default();
                if src.is_empty() || src == "." {
                    rel.to_string()
                } else {
                    format!("{src}/{rel}")
                }
            } else {
                continue;
            };
            let candidate = if candidate.is_empty() {
                ".".to_string()
            } else {
                candidate
            };
            if context.is_file(&candidate) || context.is_dir(&candidate) {
                return Some(candidate);
            }
        }
    }
    None
}

/// The simple commands of the last HEALTHCHECK's CMD, with its line.
pub fn healthcheck_commands(file: &Dockerfile) -> Option<(usize, Vec<Command>)> {
    let ins = file
        .instructions
        .iter()
        .rev()
        .find(|i| i.keyword == Keyword::Healthcheck)?;
    let args = ins.args.trim();
    let body = args
        .get(..3)
        .filter(|w| w.eq_ignore_ascii_case("CMD"))
        .map(|_| args[3..].trim())?;
    let script = match crate::parse::parse_exec(body) {
        Some(words) => words.join(" "),
        None => body.to_string(),
    };
    Some((ins.line, shell::commands(&script)))
}

/// A shell script of the build context that a launch step runs by path
/// (`./wait-for-it.sh db:5432 -- ...` inside the entrypoint script): msb
/// does not follow a script from another script.
pub fn nested_script(step: &Step, a: &Analysis, context: &BuildContext) -> Option<String> {
    let program = step.command.words.first()?;
    if !program.contains('/') {
        return None;
    }
    let rel = context_path(a, &absolute(&step.cwd, program), context)?;
    context
        .read_small(&rel)
        .is_some_and(|t| t.starts_with("#!"))
        .then_some(rel)
}

/// A COPY source as a context path: `./Shop.Web/.` → `Shop.Web`.
pub fn clean_source(src: &str) -> String {
    clean_source_str(src).to_string()
}

/// [`clean_source`] without a copy.
fn clean_source_str(src: &str) -> &str {
    let mut s = crate::source::without_dot_slash(src);
    loop {
        let before = s;
        s = s.trim_end_matches('/');
        s = s.strip_suffix("/.").unwrap_or(s);
        if s == before {
            break;
        }
    }
    if s == "." { "" } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn an_installed_init_starts_the_command_after_it() {
        let k = Knowledge::builtin().unwrap();
        let mut a = Analysis::blank();
        a.installed_packages = vec!["tini".into(), "dumb-init".into()];
        assert_eq!(
            after_init(&words("/usr/bin/tini -- java -jar app.jar"), &k, &a),
            Some(words("java -jar app.jar"))
        );
        assert_eq!(
            after_init(&words("tini -s -p SIGTERM dotnet App.dll"), &k, &a),
            Some(words("dotnet App.dll"))
        );
        assert_eq!(
            after_init(
                &words("/usr/bin/dumb-init --rewrite 15:2 -- ./start.sh"),
                &k,
                &a
            ),
            Some(words("./start.sh"))
        );
        // Nothing after it, or an init the build did not install.
        assert_eq!(after_init(&words("/usr/bin/tini --"), &k, &a), None);
        a.installed_packages.clear();
        assert_eq!(
            after_init(&words("/sbin/tini -- java -jar app.jar"), &k, &a),
            None
        );
    }
}
