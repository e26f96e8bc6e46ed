//! `go run PACKAGE [args]` in ENTRYPOINT/CMD, rewritten to the package's
//! binary: the one the build makes, or one msb adds a build for
//! (`--unsafe`).

use super::GoBinary;
use super::naming::{go_args, module_binary_name, package_binary_name, package_key};
use crate::analyse::entry;
use crate::analyse::shell::{self, Command};
use crate::analyse::{Analysis, CommandRewrite};
use crate::parse::{Dockerfile, Keyword};
use crate::source::BuildContext;

/// `go run PACKAGE [args]` in ENTRYPOINT/CMD → the package's binary, with
/// the same arguments and form. Safe when the build already made that
/// binary (a `go build` of the same package); otherwise the builder gains
/// `go build -o /usr/local/bin/NAME PACKAGE` with go run's own flags and
/// environment, which only `--unsafe` applies. Returns the instructions
/// handled.
pub(super) fn go_run(
    file: &Dockerfile,
    context: &BuildContext,
    workdir: &str,
    binaries: &mut Vec<GoBinary>,
    a: &mut Analysis,
) -> Vec<usize> {
    let mut handled = Vec::new();
    for kw in [Keyword::Entrypoint, Keyword::Cmd] {
        let Some(index) = file.instructions.iter().rposition(|i| i.keyword == kw) else {
            continue;
        };
        let ins = &file.instructions[index];
        let line = ins.line;
        let keyword = kw.as_str();
        let commands = shell::instruction_commands(ins);
        let is_go_run = |c: &Command| {
            c.program() == "go" && c.args().first().map(String::as_str) == Some("run")
        };
        let Some(first) = commands.first() else {
            continue;
        };
        if !commands.iter().any(is_go_run) {
            continue;
        }
        handled.push(index);
        let runs = entry::quoted_command(ins);
        if commands.len() > 1 || !is_go_run(first) {
            a.block(
                line,
                format!(
                    "{keyword} runs {runs}, more than a lone `go run`: msb does not rewrite it"
                ),
            );
            continue;
        }
        let g = go_args(&first.args()[1..], workdir, true);
        // `go run main.go` names its binary after the module, not `main`.
        let files = !g.packages.is_empty() && g.packages.iter().all(|p| p.ends_with(".go"));
        let name = if files {
            module_binary_name(context).or_else(|| package_binary_name(&g, context))
        } else {
            package_binary_name(&g, context)
        };
        let problem = if g.packages.is_empty() {
            Some("names no package (CMD would add it)")
        } else if g.exec {
            Some("runs the binary through -exec")
        } else if g
            .packages
            .iter()
            .any(|p| p.contains('@') || p.contains("..."))
        {
            Some("runs a package msb cannot build in place")
        } else if name.is_none() {
            Some("names a package msb cannot name a binary for")
        } else {
            None
        };
        if let Some(problem) = problem {
            a.block(line, format!("{keyword} runs {runs}, which {problem}"));
            continue;
        }
        let name = name.unwrap_or_default();
        let key = package_key(&g);
        let built = binaries.iter().find(|b| b.package == key).cloned();
        let to = match &built {
            // Where the final stage has it (a /go/bin binary moves to
            // /usr/local/bin).
            Some(b) => a
                .artefacts
                .iter()
                .find(|x| b.locations.contains(&x.from))
                .map(|x| x.to.clone())
                .unwrap_or_else(|| b.path.clone()),
            None => format!("/usr/local/bin/{name}"),
        };
        if built.is_none() {
            // The build msb adds: go run's flags and environment, so cgo
            // and build tags are the same, in the folder go run ran in.
            let mut words: Vec<String> =
                first.env.iter().map(|(n, v)| format!("{n}={v}")).collect();
            words.extend(["go".to_string(), "build".to_string()]);
            words.extend(g.flags.iter().cloned());
            words.extend(["-o".to_string(), to.clone()]);
            words.extend(g.packages.iter().cloned());
            let text =
                entry::add_runner_build_step(a, line, keyword, &runs, &words.join(" "), workdir);
            a.block_unless_unsafe(
                line,
                format!(
                    "{keyword} runs {runs}, which compiles at start and needs the Go toolchain; --unsafe adds `{text}` to the builder and runs {to}"
                ),
            );
            let cgo_off = if first
                .env
                .iter()
                .any(|(n, v)| n == "CGO_ENABLED" && v == "0")
            {
                Some(format!("line {line}: go run runs with CGO_ENABLED=0"))
            } else {
                (a.env.get("CGO_ENABLED").map(String::as_str) == Some("0"))
                    .then(|| "ENV CGO_ENABLED=0".to_string())
            };
            binaries.push(GoBinary {
                path: to.clone(),
                line,
                package: key,
                locations: vec![to.clone()],
                remote: false,
                cgo_off,
            });
            a.add_artefact(
                line,
                &to,
                &to,
                format!("line {line}: the binary of `go run`, built by msb"),
                false,
            );
        }
        let args = match &ins.exec {
            Some(_) => {
                let mut words = vec![to.clone()];
                words.extend(g.program_args.iter().cloned());
                entry::render(&words, true)
            }
            None => format!(
                "{}{to}{}",
                shell_prefix(&ins.args),
                shell_program_args(&ins.args, &first.words)
            ),
        };
        let why = match &built {
            Some(b) => format!("{runs}; line {} already builds {}", b.line, b.path),
            None => format!("{runs}; msb builds {to} in the builder"),
        };
        a.command_rewrites.push(CommandRewrite {
            index,
            args,
            why,
            needs_unsafe: built.is_none(),
        });
    }
    handled
}

/// The text of a shell-form command before its `go` (variables set for it).
fn shell_prefix(text: &str) -> String {
    let text = text.trim();
    let start = text
        .match_indices("go")
        .map(|(i, _)| i)
        .find(|i| *i == 0 || text[..*i].ends_with(char::is_whitespace))
        .unwrap_or(0);
    text[..start].to_string()
}

/// The program's arguments of a shell-form `go run`, as written (quotes
/// and variables kept): the text after the words up to the package.
fn shell_program_args(text: &str, words: &[String]) -> String {
    let text = text.trim();
    let g = go_args(&words[2..], "/", true);
    let consumed = words.len() - g.program_args.len();
    let mut pos = shell_prefix(text).len();
    for word in &words[..consumed] {
        match text[pos..].find(word.as_str()) {
            Some(at) => pos += at + word.len(),
            None => return String::new(),
        }
    }
    // A quote closing the last word consumed belongs to it.
    let rest = text[pos..].trim_start_matches(['"', '\'']);
    if rest.trim().is_empty() {
        String::new()
    } else {
        format!(" {}", rest.trim())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_form_keeps_the_program_arguments_as_written() {
        let text = r#"CGO_ENABLED=0 go run -tags "a b" ./cmd/api -addr ":${PORT:-8080}""#;
        let c = &shell::commands(text)[0];
        assert_eq!(shell_prefix(text), "CGO_ENABLED=0 ");
        assert_eq!(
            shell_program_args(text, &c.words),
            r#" -addr ":${PORT:-8080}""#
        );
        let plain = "go run main.go";
        assert_eq!(
            shell_program_args(plain, &shell::commands(plain)[0].words),
            ""
        );
    }
}
