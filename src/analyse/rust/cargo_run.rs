//! `cargo run` in ENTRYPOINT/CMD, rewritten to the binary it runs, at
//! /usr/local/bin: the final stage has no toolchain. Safe when the build
//! already made that binary with the same profile and target; otherwise
//! msb adds the `cargo build` to the builder (unsafe).

use super::RustBinary;
use super::command::CargoCall;
use super::launch::Destinations;
use super::output::{Output, cargo_output};
use super::project::selected_packages;
use crate::analyse::shell;
use crate::analyse::{Analysis, CommandRewrite, entry};
use crate::knowledge::CargoKnowledge;
use crate::parse::{Dockerfile, Instruction, Keyword};
use crate::source::BuildContext;

/// What `cargo run` in ENTRYPOINT/CMD needs from the analysis.
pub(super) struct CargoRun<'r> {
    pub index: usize,
    pub call: &'r CargoCall,
    pub cwd: &'r str,
    pub binaries: &'r mut Vec<RustBinary>,
    pub destinations: &'r mut Destinations,
}

/// `cargo run` → the binary it runs, at /usr/local/bin.
pub(super) fn cargo_run(
    file: &Dockerfile,
    context: &BuildContext,
    cargo: &CargoKnowledge,
    a: &mut Analysis,
    run: CargoRun,
) {
    let ins = &file.instructions[run.index];
    let line = ins.line;
    let keyword = ins.keyword.as_str();
    let call = run.call;
    if !rewritable(file, ins, call, a) {
        return;
    }
    let out = match cargo_output(file, a, context, cargo, call, run.cwd, None) {
        Ok(out) => out,
        Err(why) => {
            a.block(
                line,
                format!("{keyword}: `cargo run` {why}: cannot tell which binary it runs"),
            );
            return;
        }
    };
    let Some((name, path, static_musl)) = chosen(call, &out) else {
        a.block(line, no_choice(keyword, &out));
        return;
    };
    let built = run
        .binaries
        .iter()
        .any(|b| b.name == name && b.locations.contains(&path));
    let to = format!("/usr/local/bin/{name}");
    let runs = entry::quoted_command(ins);
    if !built {
        add_build_step(ins, &runs, &to, run.cwd, a);
        run.binaries.push(RustBinary {
            name: name.clone(),
            locations: vec![path.clone()],
            line,
            static_musl,
        });
    }
    if call.profile_dir == "debug" {
        a.warnings.push(format!(
            "line {line}: {keyword} runs a debug build (`cargo run` without --release); the final stage runs the same debug binary; build and run with --release for an optimised one"
        ));
    }
    let args = rewritten_args(ins, call, &to);
    run.destinations
        .insert(name.clone(), (path.clone(), to.clone()));
    let why = if built {
        format!("{runs}; the build already made {path}")
    } else {
        format!("{runs}; msb builds {path} in the builder")
    };
    a.command_rewrites.push(CommandRewrite {
        index: run.index,
        args,
        why,
        needs_unsafe: !built,
    });
}

/// Whether msb can rewrite this `cargo run`: not an example, and the
/// program's arguments must be told apart from cargo's. Blocks when not.
fn rewritable(file: &Dockerfile, ins: &Instruction, call: &CargoCall, a: &mut Analysis) -> bool {
    let line = ins.line;
    let keyword = ins.keyword.as_str();
    if call.example {
        a.block(
            line,
            format!(
                "{keyword} runs an example with `cargo run --example`: msb does not rewrite it"
            ),
        );
        return false;
    }
    let has_cmd_after = ins.keyword == Keyword::Entrypoint
        && file.instructions.iter().any(|i| i.keyword == Keyword::Cmd);
    if has_cmd_after && !call.separator {
        a.block(
            line,
            "ENTRYPOINT runs `cargo run` and CMD adds to cargo's arguments: msb cannot tell where the program's arguments start",
        );
        return false;
    }
    true
}

/// `cargo run` runs one binary: the one asked for, the package's
/// default-run, or the only one.
fn chosen(call: &CargoCall, out: &Output) -> Option<(String, String, bool)> {
    if out.binaries.len() == 1 {
        out.binaries.first().cloned()
    } else {
        let default_run = selected_packages(call, &out.project)
            .ok()
            .filter(|p| p.len() == 1)
            .and_then(|p| p[0].manifest.default_run.clone());
        default_run.and_then(|d| out.binaries.iter().find(|(n, _, _)| *n == d).cloned())
    }
}

/// Why msb cannot tell which binary `cargo run` runs.
fn no_choice(keyword: &str, out: &Output) -> String {
    let names: Vec<&str> = out.binaries.iter().map(|(n, _, _)| n.as_str()).collect();
    format!(
        "{keyword} runs `cargo run`, which has {} to choose from ({}): cannot tell which binary it runs",
        if names.is_empty() {
            "no binary".to_string()
        } else {
            format!("{} binaries", names.len())
        },
        names.join(", ")
    )
}

/// The build step msb adds (unsafe) when the build does not make the
/// binary: cargo run's own words, with `run` turned into `build` and the
/// program's arguments left out.
fn add_build_step(ins: &Instruction, runs: &str, to: &str, cwd: &str, a: &mut Analysis) {
    let line = ins.line;
    let keyword = ins.keyword.as_str();
    let words = match &ins.exec {
        Some(w) => w.clone(),
        None => shell::commands(&ins.args)
            .first()
            .map(|c| c.words.clone())
            .unwrap_or_default(),
    };
    let mut build: Vec<String> = Vec::new();
    let mut replaced = false;
    for w in words.iter().take_while(|w| w.as_str() != "--") {
        if !replaced && w == "run" {
            build.push("build".into());
            replaced = true;
        } else {
            build.push(shell::quote(w));
        }
    }
    let text = entry::add_runner_build_step(a, line, keyword, runs, &build.join(" "), cwd);
    a.block_unless_unsafe(
        line,
        format!(
            "{keyword} runs {runs}, which compiles at start and needs the toolchain; --unsafe adds `{text}` to the builder and runs {to}"
        ),
    );
}

/// The instruction's new arguments: the binary and the program's
/// arguments.
fn rewritten_args(ins: &Instruction, call: &CargoCall, to: &str) -> String {
    match &ins.exec {
        Some(_) => {
            let mut words = vec![to.to_string()];
            words.extend(call.program_args.iter().cloned());
            entry::render(&words, true)
        }
        None => {
            // Shell form: keep the variables before `cargo` and the
            // program's arguments as written.
            let text = ins.args.trim();
            let start = text
                .match_indices("cargo")
                .map(|(i, _)| i)
                .find(|i| *i == 0 || text[..*i].ends_with(char::is_whitespace))
                .unwrap_or(0);
            let prefix = &text[..start];
            let rest = text[start..]
                .find(" -- ")
                .map(|p| format!(" {}", text[start + p + 4..].trim()))
                .unwrap_or_default();
            format!("{prefix}{to}{rest}")
        }
    }
}
