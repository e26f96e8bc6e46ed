//! Just enough shell to read RUN lines: cut a script into simple commands
//! at `&&`, `||`, `;`, `|`, `&` and newlines, split each into words with
//! quotes removed, and set aside leading `NAME=value` assignments and
//! output redirections. No expansion, no execution.

/// One simple command of a script.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Command {
    /// `NAME=value` words before the program (`CGO_ENABLED=0 go build`).
    pub env: Vec<(String, String)>,
    /// The program and its arguments, unquoted.
    pub words: Vec<String>,
    /// Files written by `>` or `>>`.
    pub writes: Vec<String>,
    /// Whether the shell that runs it expands braces (`bash -c`, a bash
    /// SHELL): `/bin/sh` (dash, ash) makes `man{1..8}` literally.
    pub braces: bool,
}

impl Command {
    /// The program name without its folder (`/usr/bin/apt-get` → `apt-get`).
    pub fn program(&self) -> &str {
        self.words
            .first()
            .map(|w| crate::analyse::basename(w))
            .unwrap_or("")
    }

    pub fn args(&self) -> &[String] {
        if self.words.is_empty() {
            &[]
        } else {
            &self.words[1..]
        }
    }

    /// The words this command's shell makes of `word`: bash expands
    /// `/usr/share/man/man{1..8}` into eight; `/bin/sh` keeps it as it is.
    pub fn expanded(&self, word: &str) -> Vec<String> {
        if self.braces {
            expand_braces(word)
        } else {
            vec![word.to_string()]
        }
    }

    /// Whether the command starts with these words (`["pip", "install"]`),
    /// with the program compared by name and versioned names folded
    /// (`pip3.11` → `pip3`, `python3.12` → `python3`).
    pub fn starts_with(&self, prefix: &[&str]) -> bool {
        if prefix.is_empty() || self.words.len() < prefix.len() {
            return false;
        }
        if normalise_program(self.program()) != normalise_program(prefix[0]) {
            return false;
        }
        self.words[1..prefix.len()]
            .iter()
            .zip(&prefix[1..])
            .all(|(w, p)| w == p)
    }
}

/// The simple commands of a CMD or ENTRYPOINT: the JSON form is one
/// command, word for word; the shell form is read as a script.
pub fn instruction_commands(ins: &crate::parse::Instruction) -> Vec<Command> {
    match &ins.exec {
        Some(words) => vec![Command {
            words: words.clone(),
            ..Command::default()
        }],
        None => commands(&ins.args),
    }
}

/// The shell script a RUN runs. A heredoc body is part of it when a
/// shell reads it (`RUN <<EOF`, `RUN bash <<EOF`); for any other command
/// (`RUN python3 <<EOF`, `RUN cat <<EOF > f`) the body is that command's
/// input, not shell.
pub fn run_script(ins: &crate::parse::Instruction, shells: &[String]) -> String {
    // Exec form runs its words as they are: quoted back, so that
    // `["bash", "-c", "a && b"]` reads as bash with one script.
    let text = match &ins.exec {
        Some(words) => words.iter().map(|w| quote(w)).collect::<Vec<_>>().join(" "),
        None => ins.args.clone(),
    };
    if ins.heredocs.is_empty() {
        return text;
    }
    let command: Vec<&str> = text
        .split_whitespace()
        .filter(|w| {
            !w.trim_start_matches(|c: char| c.is_ascii_digit())
                .starts_with("<<")
        })
        .collect();
    let shell_reads_body = match command.first() {
        None => true,
        Some(program) => {
            let name = crate::analyse::basename(program);
            shells.iter().any(|s| s == name) && command.len() <= 2
        }
    };
    let mut script = command.join(" ");
    if shell_reads_body {
        for h in &ins.heredocs {
            script.push('\n');
            script.push_str(&h.content);
        }
    }
    script
}

/// A word as the shell reads it back (quoted only when it must be).
pub fn quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "@%+=:,./_-".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// Where the words after a program's options start, reading options from
/// `start`: `--` ends them (and is passed over), as does the first word
/// without a leading `-`; an option that `takes_value` passes over the word
/// after it too. May be past the end when the last option lacks its value.
pub fn after_options(words: &[String], start: usize, takes_value: impl Fn(&str) -> bool) -> usize {
    let mut i = start;
    while let Some(word) = words.get(i) {
        if word == "--" {
            return i + 1;
        }
        if !word.starts_with('-') {
            break;
        }
        i += if takes_value(word) { 2 } else { 1 };
    }
    i
}

/// `python3.12` → `python3`, `pip3.11` → `pip3`: the same tool.
pub fn normalise_program(p: &str) -> &str {
    // A byte scan: a searcher per call cost more than the names are long.
    match p.bytes().position(|b| b == b'.') {
        Some(i) if p[i + 1..].bytes().all(|b| b.is_ascii_digit()) && i > 0 => &p[..i],
        _ => p,
    }
}

const SHELL_KEYWORDS: &[&str] = &[
    "if", "then", "else", "elif", "do", "while", "until", "!", "{", "(",
];
const SHELL_CLOSERS: &[&str] = &["fi", "done", "esac", "}", ")"];

/// Cut a script into simple commands.
pub fn commands(script: &str) -> Vec<Command> {
    let mut out = Vec::new();
    for words in split(script) {
        if let Some(c) = build_command(words) {
            out.push(c);
        }
    }
    out
}

/// Replace each `sh -c SCRIPT`, `bash -ec SCRIPT` and `su [USER] -c
/// SCRIPT` by the commands of its script, so that they are read like the
/// rest of the RUN (three levels deep at most).
pub fn inline_scripts(commands: Vec<Command>, shells: &[String]) -> Vec<Command> {
    inline_at_depth(commands, shells, 3)
}

fn inline_at_depth(commands: Vec<Command>, shells: &[String], depth: u32) -> Vec<Command> {
    let mut out = Vec::new();
    for c in commands {
        match inline_script(&c, shells).filter(|_| depth > 0) {
            Some(script) => {
                let braces = expands_braces(c.program());
                let mut inner = inline_at_depth(self::commands(script), shells, depth - 1);
                for ic in &mut inner {
                    ic.braces = braces;
                }
                out.extend(inner)
            }
            None => out.push(c),
        }
    }
    out
}

/// Whether this shell expands `{a,b}` and `{1..8}`: bash, zsh and ksh do;
/// sh, dash and ash (what `RUN` runs by default) do not.
pub fn expands_braces(shell: &str) -> bool {
    matches!(
        crate::analyse::basename(shell),
        "bash" | "zsh" | "ksh" | "mksh"
    )
}

/// Whether a word holds a brace expression bash would expand: `{a,b}` or
/// `{1..8}` (not `${VAR}`, not a lone `{}`).
pub fn has_braces(word: &str) -> bool {
    brace_span(word).is_some()
}

/// The words bash makes of `word` by brace expansion
/// (`/usr/share/man/man{1..3}` → man1, man2, man3; `/etc/{a,b}.conf`);
/// the word itself when it has none.
pub fn expand_braces(word: &str) -> Vec<String> {
    let Some((open, close)) = brace_span(word) else {
        return vec![word.to_string()];
    };
    let (head, body, tail) = (&word[..open], &word[open + 1..close], &word[close + 1..]);
    let parts = brace_parts(body);
    let mut out = Vec::new();
    for part in parts {
        out.extend(expand_braces(&format!("{head}{part}{tail}")));
    }
    out
}

/// The alternatives of a brace body: `a,b` or a sequence `1..8`, `a..e`.
fn brace_parts(body: &str) -> Vec<String> {
    if let Some((from, to)) = body.split_once("..")
        && !to.contains("..")
    {
        if let (Ok(a), Ok(b)) = (from.parse::<i64>(), to.parse::<i64>()) {
            let range: Vec<i64> = if a <= b {
                (a..=b).collect()
            } else {
                (b..=a).rev().collect()
            };
            return range.iter().map(|n| n.to_string()).collect();
        }
        let (mut f, mut t) = (from.chars(), to.chars());
        if let (Some(a), None, Some(b), None) = (f.next(), f.next(), t.next(), t.next())
            && a.is_ascii_alphabetic()
            && b.is_ascii_alphabetic()
        {
            let (lo, hi) = (a.min(b) as u8, a.max(b) as u8);
            let mut letters: Vec<String> = (lo..=hi).map(|c| (c as char).to_string()).collect();
            if a > b {
                letters.reverse();
            }
            return letters;
        }
    }
    // Commas at the top level, not inside a nested `{…}`.
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, ch) in body.char_indices() {
        match ch {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(body[start..i].to_string());
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(body[start..].to_string());
    parts
}

/// Where the first expanding `{…}` of a word opens and closes.
fn brace_span(word: &str) -> Option<(usize, usize)> {
    let bytes = word.as_bytes();
    for (open, &b) in bytes.iter().enumerate() {
        if b != b'{' || (open > 0 && bytes[open - 1] == b'$') {
            continue;
        }
        let mut depth = 0;
        for (i, &c) in bytes.iter().enumerate().skip(open) {
            match c {
                b'{' => depth += 1,
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        let body = &word[open + 1..i];
                        let top_comma = brace_parts(body).len() > 1;
                        if top_comma || is_sequence(body) {
                            return Some((open, i));
                        }
                        break;
                    }
                }
                _ => {}
            }
        }
    }
    None
}

fn is_sequence(body: &str) -> bool {
    body.split_once("..")
        .is_some_and(|(a, b)| !a.is_empty() && !b.is_empty() && brace_parts(body).len() > 1)
}

/// The script a shell or `su` runs with `-c`.
fn inline_script<'c>(c: &'c Command, shells: &[String]) -> Option<&'c str> {
    let program = c.program();
    let args = c.args();
    let at = if shells.iter().any(|s| s == program) {
        // `-c`, or a cluster ending in it (`-ec`, `-lc`, `-xec`).
        args.iter()
            .take_while(|w| w.starts_with('-'))
            .position(|w| !w.starts_with("--") && w.len() > 1 && w.ends_with('c'))?
    } else if program == "su" {
        if let Some(inline) = args.iter().find_map(|w| w.strip_prefix("--command=")) {
            return Some(inline);
        }
        args.iter().position(|w| w == "-c" || w == "--command")?
    } else {
        return None;
    };
    args.get(at + 1).map(String::as_str)
}

fn build_command(mut words: Vec<Token>) -> Option<Command> {
    // Drop control keywords that start a command (`then apt-get ...`).
    while let Some(Token::Word(w)) = words.first() {
        if SHELL_KEYWORDS.contains(&w.as_str()) {
            words.remove(0);
        } else {
            break;
        }
    }
    let mut cmd = Command::default();
    let mut iter = words.into_iter().peekable();
    while let Some(tok) = iter.next() {
        match tok {
            Token::Redirect(append_or_write) => {
                if let Some(Token::Word(target)) = iter.next()
                    && append_or_write
                {
                    cmd.writes.push(target);
                }
            }
            Token::Word(w) => {
                if cmd.words.is_empty()
                    && let Some((name, value)) = assignment(&w)
                {
                    cmd.env.push((name, value));
                    continue;
                }
                cmd.words.push(w);
            }
        }
    }
    if let Some(first) = cmd.words.first()
        && (SHELL_CLOSERS.contains(&first.as_str()) || first == "for" || first == "case")
    {
        return None;
    }
    if cmd.words.is_empty() && cmd.env.is_empty() {
        return None;
    }
    Some(cmd)
}

fn assignment(word: &str) -> Option<(String, String)> {
    let (name, value) = word.split_once('=')?;
    let mut chars = name.chars();
    let first = chars.next()?;
    if !(first.is_ascii_alphabetic() || first == '_')
        || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return None;
    }
    Some((name.to_string(), value.to_string()))
}

#[derive(Debug)]
enum Token {
    Word(String),
    /// `>`/`>>` (true) or `<`, `2>&1`-style fd juggling (false).
    Redirect(bool),
}

/// Split into commands of tokens. Quotes group, `\` escapes, `$(...)` and
/// backticks stay inside their word.
fn split(script: &str) -> Vec<Vec<Token>> {
    // Sized once: a script has at most as many characters as bytes.
    let mut chars: Vec<char> = Vec::with_capacity(script.len());
    chars.extend(script.chars());
    let mut commands = Vec::new();
    let mut current: Vec<Token> = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut i = 0;

    fn end_word(word: &mut String, in_word: &mut bool, current: &mut Vec<Token>) {
        if *in_word {
            // A copy of exactly the word's size; the buffer, grown once,
            // serves the next word (growing each word from nothing was a
            // third of the tokenizer).
            current.push(Token::Word(word.clone()));
            word.clear();
            *in_word = false;
        }
    }

    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' => {
                if let Some(&next) = chars.get(i + 1) {
                    if next != '\n' {
                        word.push(next);
                        in_word = true;
                    }
                    i += 2;
                } else {
                    i += 1;
                }
                continue;
            }
            '\'' => {
                in_word = true;
                i += 1;
                while i < chars.len() && chars[i] != '\'' {
                    word.push(chars[i]);
                    i += 1;
                }
            }
            '"' => {
                in_word = true;
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    if chars[i] == '\\' && i + 1 < chars.len() {
                        i += 1;
                    }
                    word.push(chars[i]);
                    i += 1;
                }
            }
            '`' => {
                in_word = true;
                word.push(c);
                i += 1;
                while i < chars.len() && chars[i] != '`' {
                    word.push(chars[i]);
                    i += 1;
                }
                if i < chars.len() {
                    word.push('`');
                }
            }
            '$' if chars.get(i + 1) == Some(&'(') => {
                in_word = true;
                let mut depth = 0;
                while i < chars.len() {
                    let d = chars[i];
                    word.push(d);
                    if d == '(' {
                        depth += 1;
                    } else if d == ')' {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    i += 1;
                }
            }
            '#' if !in_word => {
                // A comment runs to the end of the line.
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
                continue;
            }
            ' ' | '\t' | '\r' => end_word(&mut word, &mut in_word, &mut current),
            '\n' | ';' | '&' | '|' | '(' | ')' => {
                end_word(&mut word, &mut in_word, &mut current);
                // `2>&1`: the `&` belongs to a redirection, not a separator.
                let fd_dup =
                    c == '&' && matches!(current.last(), Some(Token::Redirect(_))) && !in_word;
                if !fd_dup {
                    if !current.is_empty() {
                        commands.push(std::mem::take(&mut current));
                    }
                } else {
                    // Swallow the fd number that follows.
                    while i + 1 < chars.len() && chars[i + 1].is_ascii_digit() {
                        i += 1;
                    }
                    current.pop();
                }
            }
            '>' | '<' => {
                // A leading fd number (`2>`) is part of the redirection.
                if in_word && word.chars().all(|d| d.is_ascii_digit()) {
                    word.clear();
                    in_word = false;
                }
                end_word(&mut word, &mut in_word, &mut current);
                let writes = c == '>';
                while i + 1 < chars.len() && (chars[i + 1] == '>' || chars[i + 1] == '|') {
                    i += 1;
                }
                if chars.get(i + 1) == Some(&'&') {
                    // `>&2`: duplicating a descriptor writes no file.
                    i += 1;
                    while i + 1 < chars.len() && chars[i + 1].is_ascii_digit() {
                        i += 1;
                    }
                } else {
                    current.push(Token::Redirect(writes));
                }
            }
            _ => {
                word.push(c);
                in_word = true;
            }
        }
        i += 1;
    }
    end_word(&mut word, &mut in_word, &mut current);
    if !current.is_empty() {
        commands.push(current);
    }
    commands
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_scripts_are_read_as_commands() {
        let shells = vec!["sh".to_string(), "bash".to_string()];
        let programs = |script: &str| -> Vec<String> {
            inline_scripts(commands(script), &shells)
                .iter()
                .map(|c| c.program().to_string())
                .collect()
        };
        assert_eq!(
            programs("bash -ec 'cd /app && make' && su app -c \"bundle exec rake db:migrate\""),
            vec!["cd", "make", "bundle"]
        );
        assert_eq!(programs("sh ./start.sh"), vec!["sh"]);
        assert_eq!(programs("su --command='ls /' app"), vec!["ls"]);
    }

    fn words(script: &str) -> Vec<Vec<String>> {
        commands(script).into_iter().map(|c| c.words).collect()
    }

    #[test]
    fn braces_expand_like_bash() {
        assert_eq!(
            expand_braces("/usr/share/man/man{1..3}"),
            vec![
                "/usr/share/man/man1",
                "/usr/share/man/man2",
                "/usr/share/man/man3"
            ]
        );
        assert_eq!(
            expand_braces("/etc/{a,b{1,2}}.conf"),
            vec!["/etc/a.conf", "/etc/b1.conf", "/etc/b2.conf"]
        );
        assert_eq!(expand_braces("/srv/${DIR}/x"), vec!["/srv/${DIR}/x"]);
        assert_eq!(expand_braces("/srv/{x}"), vec!["/srv/{x}"]);
        assert!(has_braces("/var/{log,run}/app"));
        assert!(!has_braces("find . -exec {} +"));
        let shells = vec!["sh".to_string(), "bash".to_string()];
        let inner = inline_scripts(
            commands("bash -c 'mkdir -p /a{1,2}' && sh -c 'mkdir /b'"),
            &shells,
        );
        assert!(inner[0].braces);
        assert!(!inner[1].braces);
    }

    #[test]
    fn options_end_at_a_double_dash_or_the_first_plain_word() {
        let w = |s: &str| -> Vec<String> { s.split_whitespace().map(String::from).collect() };
        let takes_value = |o: &str| o == "-p";
        assert_eq!(
            after_options(&w("tini -s -p SIGTERM app"), 1, takes_value),
            4
        );
        assert_eq!(after_options(&w("tini -s -- -app"), 1, takes_value), 3);
        assert_eq!(after_options(&w("tini -p"), 1, takes_value), 3);
    }

    #[test]
    fn quotes_words_for_the_shell() {
        assert_eq!(quote("--features=a,b"), "--features=a,b");
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("it's"), "'it'\\''s'");
        assert_eq!(quote(""), "''");
    }

    #[test]
    fn splits_on_operators_and_keeps_quotes_together() {
        assert_eq!(
            words(
                "apt-get update && apt-get install -y 'a b' \"c\" || true; echo $(ls -l) | tee x"
            ),
            vec![
                vec!["apt-get", "update"],
                vec!["apt-get", "install", "-y", "a b", "c"],
                vec!["true"],
                vec!["echo", "$(ls -l)"],
                vec!["tee", "x"],
            ]
        );
    }

    #[test]
    fn env_prefix_and_redirects() {
        let c = &commands("CGO_ENABLED=0 GOOS=linux go build -o /app/x . 2>&1 > /tmp/log")[0];
        assert_eq!(
            c.env,
            vec![
                ("CGO_ENABLED".into(), "0".into()),
                ("GOOS".into(), "linux".into())
            ]
        );
        assert_eq!(c.words, vec!["go", "build", "-o", "/app/x", "."]);
        assert_eq!(c.writes, vec!["/tmp/log"]);
        assert_eq!(c.program(), "go");
    }

    #[test]
    fn control_words_and_comments() {
        assert_eq!(
            words("if [ -f x ]; then pip install x; fi # done\nset -eux"),
            vec![
                vec!["[", "-f", "x", "]"],
                vec!["pip", "install", "x"],
                vec!["set", "-eux"]
            ]
        );
    }

    #[test]
    fn heredoc_bodies_are_shell_only_when_a_shell_reads_them() {
        let shells = vec!["sh".to_string(), "bash".to_string()];
        let file = crate::parse::parse(
            "FROM a\nRUN <<EOF\napt-get update\nEOF\nRUN python3 <<EOF\nimport os\nEOF\n",
        )
        .unwrap();
        assert_eq!(
            run_script(&file.instructions[1], &shells),
            "\napt-get update\n"
        );
        assert_eq!(run_script(&file.instructions[2], &shells), "python3");
    }

    #[test]
    fn prefix_matching_folds_versions() {
        let c = &commands("/usr/local/bin/pip3.11 install -r r.txt")[0];
        assert!(c.starts_with(&["pip3", "install"]));
        assert!(!c.starts_with(&["pip", "install"]));
        assert_eq!(normalise_program("python3.12"), "python3");
    }
}
