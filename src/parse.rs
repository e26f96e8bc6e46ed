//! The lossless model of a Dockerfile.
//!
//! The file is cut into pieces that, put back together, give the input byte
//! for byte: each instruction owns the comments and blank lines before it
//! (`leading`) and its own exact text (`text`: continuation lines, comments
//! inside a continuation, heredoc bodies, its line ending). On top of that,
//! each instruction carries what analysis needs: its keyword as spelled, its
//! flags, its arguments with continuations joined, and its heredocs.
//!
//! The cutting follows BuildKit's own parser (`moby/buildkit`
//! `frontend/dockerfile/parser`): parser directives only at the top, `#`
//! comments only at the start of a line, a continuation is the escape
//! character followed by blanks at the end of a line, comment and blank lines
//! inside a continuation are dropped, heredocs (`<<EOF`, `<<-EOF`, quoted
//! names, several per line) are read for RUN, COPY and ADD.
//!
//! `dockerfile-parser` (the crate) cannot express heredocs, `# escape=`,
//! valueless flags or comments inside a continuation, so instructions are
//! cut here; the crate is used for image references (`ImageRef`) and, in
//! the tests, as a second opinion on instruction boundaries.

use crate::error::SyntaxError;

/// A parser directive at the top of the file (`# syntax=...`, `# escape=`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    pub name: String,
    pub value: String,
    pub line: usize,
}

/// The instructions BuildKit knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Keyword {
    From,
    Run,
    Cmd,
    Label,
    Maintainer,
    Expose,
    Env,
    Add,
    Copy,
    Entrypoint,
    Volume,
    User,
    Workdir,
    Arg,
    Onbuild,
    Stopsignal,
    Healthcheck,
    Shell,
}

impl Keyword {
    pub fn from_word(word: &str) -> Option<Keyword> {
        use Keyword::*;
        // Compared without case in place: an upper-cased copy per
        // instruction was an allocation per line read.
        const ALL: [Keyword; 18] = [
            From,
            Run,
            Cmd,
            Label,
            Maintainer,
            Expose,
            Env,
            Add,
            Copy,
            Entrypoint,
            Volume,
            User,
            Workdir,
            Arg,
            Onbuild,
            Stopsignal,
            Healthcheck,
            Shell,
        ];
        ALL.into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(word))
    }

    pub fn as_str(self) -> &'static str {
        use Keyword::*;
        match self {
            From => "FROM",
            Run => "RUN",
            Cmd => "CMD",
            Label => "LABEL",
            Maintainer => "MAINTAINER",
            Expose => "EXPOSE",
            Env => "ENV",
            Add => "ADD",
            Copy => "COPY",
            Entrypoint => "ENTRYPOINT",
            Volume => "VOLUME",
            User => "USER",
            Workdir => "WORKDIR",
            Arg => "ARG",
            Onbuild => "ONBUILD",
            Stopsignal => "STOPSIGNAL",
            Healthcheck => "HEALTHCHECK",
            Shell => "SHELL",
        }
    }

    fn takes_heredocs(self) -> bool {
        matches!(self, Keyword::Run | Keyword::Copy | Keyword::Add)
    }

    fn takes_json(self) -> bool {
        use Keyword::*;
        matches!(
            self,
            Run | Cmd | Entrypoint | Copy | Add | Volume | Shell | Healthcheck
        )
    }
}

/// A `--name[=value]` flag as written (`--link` has no value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flag {
    pub name: String,
    pub value: Option<String>,
}

impl Flag {
    /// The flag as a Dockerfile writes it: `--interval=30s`, `--link`.
    pub fn written(&self) -> String {
        match &self.value {
            Some(v) => format!("--{}={v}", self.name),
            None => format!("--{}", self.name),
        }
    }
}

/// A heredoc body attached to a RUN, COPY or ADD.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heredoc {
    pub name: String,
    /// `<<-`: leading tabs of the body are stripped.
    pub chomp: bool,
    pub content: String,
}

/// One instruction, with its exact source text and what it means.
#[derive(Debug, Clone)]
pub struct Instruction {
    /// Comments and blank lines before the instruction, byte for byte.
    pub leading: String,
    /// The instruction's exact text, from its keyword (with any indentation
    /// before it) to the line ending of its last line, heredoc bodies included.
    pub text: String,
    /// 1-based line of the keyword and of the last line.
    pub line: usize,
    pub end_line: usize,
    /// The keyword as spelled (`from`, `Run`...).
    pub spelling: String,
    pub keyword: Keyword,
    pub flags: Vec<Flag>,
    /// Arguments after the flags, continuations joined, trimmed.
    pub args: String,
    /// The JSON (exec) form, when the instruction takes one and used it.
    pub exec: Option<Vec<String>>,
    pub heredocs: Vec<Heredoc>,
}

impl Instruction {
    pub fn flag(&self, name: &str) -> Option<&Flag> {
        self.flags
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(name))
    }

    /// Whitespace-separated words of the arguments (no shell semantics).
    pub fn words(&self) -> Vec<&str> {
        self.args.split_whitespace().collect()
    }
}

/// A parsed Dockerfile. `render_unchanged` gives the input back exactly.
#[derive(Debug, Clone)]
pub struct Dockerfile {
    pub directives: Vec<Directive>,
    pub escape: char,
    pub instructions: Vec<Instruction>,
    /// Comments and blank lines after the last instruction.
    pub trailer: String,
}

impl Dockerfile {
    pub fn render_unchanged(&self) -> String {
        let mut out = String::new();
        for i in &self.instructions {
            out.push_str(&i.leading);
            out.push_str(&i.text);
        }
        out.push_str(&self.trailer);
        out
    }

    /// Indexes of the FROM instructions.
    pub fn stage_starts(&self) -> Vec<usize> {
        self.instructions
            .iter()
            .enumerate()
            .filter(|(_, i)| i.keyword == Keyword::From)
            .map(|(n, _)| n)
            .collect()
    }
}

/// A physical line: its full text (with line ending) and its content.
struct Line<'a> {
    full: &'a str,
    content: &'a str,
}

fn split_lines(text: &str) -> Vec<Line<'_>> {
    let mut lines = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        // A byte scan: lines are short, and a string searcher per line
        // cost more than the line.
        let end = rest
            .bytes()
            .position(|b| b == b'\n')
            .map_or(rest.len(), |i| i + 1);
        let full = &rest[..end];
        let content = full
            .strip_suffix('\n')
            .map(|s| s.strip_suffix('\r').unwrap_or(s))
            .unwrap_or(full);
        lines.push(Line { full, content });
        rest = &rest[end..];
    }
    lines
}

fn is_comment(content: &str) -> bool {
    content.trim_start().starts_with('#')
}

fn is_blank(content: &str) -> bool {
    content.trim().is_empty()
}

/// `# name=value` at the top of the file.
fn parse_directive(content: &str) -> Option<(String, String)> {
    let rest = content.strip_prefix('#')?.trim_start_matches([' ', '\t']);
    let name_len = rest
        .char_indices()
        .take_while(|(i, c)| {
            if *i == 0 {
                c.is_ascii_alphabetic()
            } else {
                c.is_ascii_alphanumeric()
            }
        })
        .count();
    if name_len == 0 {
        return None;
    }
    let (name, after) = rest.split_at(name_len);
    let value = after.trim_start_matches([' ', '\t']).strip_prefix('=')?;
    let value = value.trim_matches([' ', '\t']);
    if value.is_empty() {
        return None;
    }
    Some((name.to_ascii_lowercase(), value.to_string()))
}

/// If the line continues on the next one, the line without the escape
/// character and the blanks after it.
fn strip_continuation(content: &str, escape: char) -> Option<&str> {
    content.trim_end_matches([' ', '\t']).strip_suffix(escape)
}

/// Parse a Dockerfile's text (without BOM).
pub fn parse(text: &str) -> Result<Dockerfile, SyntaxError> {
    let lines = split_lines(text);
    let mut directives = Vec::new();
    let mut escape = '\\';
    let mut n = 0;

    // Directives: leading `# name=value` lines, until the first other line.
    while n < lines.len() {
        let Some((name, value)) = parse_directive(lines[n].content) else {
            break;
        };
        if name == "escape" {
            escape = match value.as_str() {
                "\\" => '\\',
                "`" => '`',
                other => {
                    return Err(SyntaxError::new(
                        n + 1,
                        format!("invalid escape token '{other}': it must be ` or \\"),
                    ));
                }
            };
        }
        if directives.iter().any(|d: &Directive| d.name == name) {
            return Err(SyntaxError::new(
                n + 1,
                format!("parser directive '{name}' is given twice"),
            ));
        }
        directives.push(Directive {
            name,
            value,
            line: n + 1,
        });
        n += 1;
    }

    let mut instructions = Vec::new();
    let mut leading = String::new();
    for line in &lines[..n] {
        leading.push_str(line.full);
    }

    while n < lines.len() {
        let line = &lines[n];
        if is_comment(line.content) || is_blank(line.content) {
            leading.push_str(line.full);
            n += 1;
            continue;
        }
        let start = n;
        let mut text = String::from(line.full);
        let mut current = line.content.trim_start();
        n += 1;
        // Join the continuation lines; comments and blank lines inside are
        // kept in `text` but not in the logical line. A line that does not
        // continue is its own logical line, borrowed.
        let logical: std::borrow::Cow<str> = if strip_continuation(current, escape).is_none() {
            std::borrow::Cow::Borrowed(current)
        } else {
            let mut logical = String::new();
            while let Some(joined) = strip_continuation(current, escape) {
                logical.push_str(joined);
                current = "";
                while n < lines.len() {
                    let next = &lines[n];
                    text.push_str(next.full);
                    n += 1;
                    if is_comment(next.content) || is_blank(next.content) {
                        continue;
                    }
                    current = next.content;
                    break;
                }
                if current.is_empty() {
                    break; // continuation at the end of the file
                }
            }
            logical.push_str(current);
            std::borrow::Cow::Owned(logical)
        };
        let mut instruction = parse_logical(&logical, start + 1, escape)?;
        if instruction.keyword.takes_heredocs() && logical.contains("<<") {
            for (name, chomp) in heredoc_names(&instruction.args) {
                let mut content = String::new();
                let mut terminated = false;
                while n < lines.len() {
                    let body = &lines[n];
                    text.push_str(body.full);
                    n += 1;
                    let candidate = if chomp {
                        body.content.trim_start_matches('\t')
                    } else {
                        body.content
                    };
                    if candidate == name {
                        terminated = true;
                        break;
                    }
                    content.push_str(body.content);
                    content.push('\n');
                }
                if !terminated {
                    return Err(SyntaxError::new(
                        start + 1,
                        format!("unterminated heredoc: no line '{name}' closes <<{name}"),
                    ));
                }
                instruction.heredocs.push(Heredoc {
                    name,
                    chomp,
                    content,
                });
            }
        }
        instruction.leading = std::mem::take(&mut leading);
        instruction.text = text;
        instruction.end_line = n;
        instructions.push(instruction);
    }

    if instructions.is_empty() {
        return Err(SyntaxError::new(1, "file with no instructions"));
    }
    if let Some(first) = instructions.iter().find(|i| i.keyword != Keyword::Arg)
        && first.keyword != Keyword::From
    {
        return Err(SyntaxError::new(
            first.line,
            format!(
                "{} before the first FROM: only ARG may come before FROM",
                first.spelling
            ),
        ));
    }
    if !instructions.iter().any(|i| i.keyword == Keyword::From) {
        return Err(SyntaxError::new(1, "no FROM instruction"));
    }
    Ok(Dockerfile {
        directives,
        escape,
        instructions,
        trailer: leading,
    })
}

/// Parse a logical (joined) line into keyword, flags and arguments.
fn parse_logical(logical: &str, line: usize, escape: char) -> Result<Instruction, SyntaxError> {
    let logical = logical.trim();
    let (word, rest) = match logical.find(char::is_whitespace) {
        Some(i) => (&logical[..i], logical[i..].trim_start()),
        None => (logical, ""),
    };
    let keyword = Keyword::from_word(word)
        .ok_or_else(|| SyntaxError::new(line, format!("unknown instruction: {word}")))?;
    let (flags, args) = split_flags(rest, escape);
    check_arguments(keyword, word, args, line, escape)?;
    let exec = if keyword.takes_json() {
        parse_exec(args)
    } else {
        None
    };
    Ok(Instruction {
        leading: String::new(),
        text: String::new(),
        line,
        end_line: line,
        spelling: word.to_string(),
        keyword,
        flags,
        args: args.to_string(),
        exec,
        heredocs: Vec::new(),
    })
}

/// Reject what BuildKit rejects when it reads an instruction's arguments:
/// a missing argument, a `name=value` list with a word lacking `=`.
fn check_arguments(
    keyword: Keyword,
    word: &str,
    args: &str,
    line: usize,
    escape: char,
) -> Result<(), SyntaxError> {
    use Keyword::*;
    let needs_one = matches!(
        keyword,
        From | Env
            | Label
            | Arg
            | User
            | Workdir
            | Expose
            | Stopsignal
            | Maintainer
            | Volume
            | Onbuild
            | Healthcheck
            | Shell
    );
    if needs_one && args.is_empty() {
        return Err(SyntaxError::new(
            line,
            format!("{word} requires at least one argument"),
        ));
    }
    if matches!(keyword, Copy | Add)
        && args.split_whitespace().count() < 2
        && parse_exec(args).is_none_or(|w| w.len() < 2)
    {
        return Err(SyntaxError::new(
            line,
            format!("{word} requires at least two arguments: a source and a destination"),
        ));
    }
    if matches!(keyword, Env | Label) {
        let mut words = Vec::new();
        let mut rest = args;
        while !rest.is_empty() {
            let end = word_end(rest, escape);
            words.push(&rest[..end]);
            rest = rest[end..].trim_start();
        }
        if !words[0].contains('=') {
            if words.len() < 2 {
                return Err(SyntaxError::new(
                    line,
                    format!(
                        "{word} {} has no value: it must be `{word} name=value`",
                        words[0]
                    ),
                ));
            }
        } else if let Some(bad) = words.iter().find(|w| !w.contains('=')) {
            return Err(SyntaxError::new(
                line,
                format!("{word}: can't find = in \"{bad}\"; it must be of the form name=value"),
            ));
        }
    }
    Ok(())
}

/// The JSON array form, as BuildKit reads it: an array of strings, or not
/// JSON at all (then the shell form applies).
pub fn parse_exec(args: &str) -> Option<Vec<String>> {
    if !args.starts_with('[') {
        return None;
    }
    serde_json::from_str::<Vec<String>>(args).ok()
}

/// Leading `--flag[=value]` words, then the rest.
fn split_flags(rest: &str, escape: char) -> (Vec<Flag>, &str) {
    let mut flags = Vec::new();
    let mut rest = rest;
    while rest.starts_with("--") {
        let end = word_end(rest, escape);
        let word = &rest[..end];
        if word == "--" {
            rest = rest[end..].trim_start();
            break;
        }
        let body = &word[2..];
        let flag = match body.split_once('=') {
            Some((name, value)) => Flag {
                name: name.to_string(),
                value: Some(unquote(value)),
            },
            None => Flag {
                name: body.to_string(),
                value: None,
            },
        };
        flags.push(flag);
        rest = rest[end..].trim_start();
    }
    (flags, rest)
}

/// Byte index where the shell-like word at the start of `s` ends.
fn word_end(s: &str, escape: char) -> usize {
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) if c == escape => escaped = true,
            Some(_) => {}
            None if c == escape => escaped = true,
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c.is_whitespace() => return i,
            None => {}
        }
    }
    s.len()
}

fn unquote(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut quote: Option<char> = None;
    for c in s.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => out.push(c),
            None if c == '"' || c == '\'' => quote = Some(c),
            None => out.push(c),
        }
    }
    out
}

/// The heredocs a line opens, in order: words like `<<EOF`, `<<-EOF`,
/// `<<"EOF"`, `2<<EOF` (BuildKit's `^(\d*)<<(-?)([^<]*)$` on each word).
fn heredoc_names(args: &str) -> Vec<(String, bool)> {
    let mut names = Vec::new();
    let mut rest = args.trim_start();
    while !rest.is_empty() {
        let end = word_end(rest, '\\');
        let word = &rest[..end];
        rest = rest[end..].trim_start();
        let after_digits = word.trim_start_matches(|c: char| c.is_ascii_digit());
        let Some(after) = after_digits.strip_prefix("<<") else {
            continue;
        };
        let (chomp, name) = match after.strip_prefix('-') {
            Some(n) => (true, n),
            None => (false, after),
        };
        if name.is_empty() || name.contains('<') {
            continue;
        }
        let name = unquote(name);
        if name.is_empty() {
            continue;
        }
        names.push((name, chomp));
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(text: &str) -> Dockerfile {
        let d = parse(text).unwrap_or_else(|e| panic!("{e:?} for {text:?}"));
        assert_eq!(d.render_unchanged(), text);
        d
    }

    #[test]
    fn comments_and_blank_lines_belong_to_the_next_instruction() {
        let d = roundtrip("# top\n\nFROM a\n  # inner\nRUN b\n\n# tail\n");
        assert_eq!(d.instructions[1].leading, "  # inner\n");
        assert_eq!(d.trailer, "\n# tail\n");
    }

    #[test]
    fn continuation_with_comment_and_blank_line_inside() {
        let d = roundtrip(
            "FROM a\nRUN apt-get update \\\n# why\n\n    && apt-get install -y gcc  \nCMD x\n",
        );
        let run = &d.instructions[1];
        assert_eq!(run.line, 2);
        assert_eq!(run.end_line, 5);
        assert_eq!(run.args, "apt-get update     && apt-get install -y gcc");
    }

    #[test]
    fn continuation_at_end_of_file() {
        let d = roundtrip("FROM a\nRUN echo \\");
        assert_eq!(d.instructions[1].args, "echo");
    }

    #[test]
    fn backtick_escape() {
        let d = roundtrip("# escape=`\nFROM mcr.microsoft.com/windows\nRUN dir `\n  C:\\ \n");
        assert_eq!(d.escape, '`');
        assert_eq!(d.instructions[1].args, "dir   C:\\");
        assert_eq!(d.instructions[0].leading, "# escape=`\n");
    }

    #[test]
    fn heredocs() {
        let text = "FROM a\nRUN <<EOF\nset -e\napt-get update\nEOF\nRUN cat <<-\"E1\" > /x && cat 3<<E2\n\thi\n\tE1\nbye\nE2\nCOPY <<EOF /etc/x\ndata\nEOF\nCMD [\"x\"]\n";
        let d = roundtrip(text);
        assert_eq!(
            d.instructions[1].heredocs[0].content,
            "set -e\napt-get update\n"
        );
        let two = &d.instructions[2].heredocs;
        assert_eq!(two.len(), 2);
        assert_eq!((two[0].name.as_str(), two[0].chomp), ("E1", true));
        assert_eq!(two[1].content, "bye\n");
        assert_eq!(d.instructions[3].heredocs[0].content, "data\n");
        assert_eq!(d.instructions[4].exec, Some(vec!["x".to_string()]));
    }

    #[test]
    fn unterminated_heredoc_is_an_error() {
        let e = parse("FROM a\nRUN <<EOF\necho\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.reason.contains("unterminated heredoc"));
    }

    #[test]
    fn flags_with_and_without_values() {
        let d = roundtrip(
            "FROM --platform=$BUILDPLATFORM golang AS b\nCOPY --link --chown=1:1 a b\nRUN --mount=type=cache,target=/x --mount=type=bind,source=.,target=/src go build\n",
        );
        assert_eq!(
            d.instructions[0].flags[0].value.as_deref(),
            Some("$BUILDPLATFORM")
        );
        let copy = &d.instructions[1];
        assert_eq!(
            copy.flags[0],
            Flag {
                name: "link".into(),
                value: None
            }
        );
        assert_eq!(copy.args, "a b");
        assert_eq!(d.instructions[2].flags.len(), 2);
        assert_eq!(d.instructions[2].args, "go build");
    }

    #[test]
    fn crlf_bom_free_text_and_no_final_newline() {
        let d = roundtrip("FROM a\r\nRUN echo \\\r\n  b\r\nCMD x");
        assert_eq!(d.instructions[1].args, "echo   b");
        assert_eq!(d.instructions[2].text, "CMD x");
    }

    #[test]
    fn json_and_shell_forms() {
        let d = roundtrip("FROM a\nCMD [\"a\", b]\nENTRYPOINT [\"/bin/x\", \"-v\"]\nENV A b c\n");
        assert_eq!(d.instructions[1].exec, None);
        assert_eq!(d.instructions[2].exec.as_ref().unwrap().len(), 2);
    }

    #[test]
    fn argument_errors_buildkit_also_reports() {
        assert!(
            parse("FROM a\nENV A=1 B\n")
                .unwrap_err()
                .reason
                .contains("can't find = in \"B\"")
        );
        assert!(
            parse("FROM a\nENV A\n")
                .unwrap_err()
                .reason
                .contains("has no value")
        );
        assert!(
            parse("FROM a\nCOPY a\n")
                .unwrap_err()
                .reason
                .contains("two arguments")
        );
        assert!(
            parse("FROM\n")
                .unwrap_err()
                .reason
                .contains("at least one argument")
        );
        assert!(parse("FROM a\nENV A=\"1 2\" B=3\nLABEL a b c\nCOPY <<EOF /x\nhi\nEOF\n").is_ok());
    }

    #[test]
    fn errors_name_the_line() {
        assert_eq!(parse("FROM a\nFORM b\n").unwrap_err().line, 2);
        assert_eq!(
            parse("# only\n\n").unwrap_err().reason,
            "file with no instructions"
        );
        assert_eq!(parse("RUN a\n").unwrap_err().line, 1);
        assert_eq!(parse("").unwrap_err().line, 1);
    }
}
