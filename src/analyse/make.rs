//! `make [TARGET…]` in a RUN: the shell lines of the targets' recipes
//! (and of the prerequisites they make first), read from the Makefile the
//! build context holds, so that the analysis sees the `go build -o
//! bin/app` or `cp bin/app /usr/local/bin/` the RUN really runs.
//!
//! Only plain Makefiles are read: variables (`=`, `:=`, `?=`, `+=`,
//! `export`), explicit rules with prerequisites, `$@ $< $^`, `$(MAKE)`.
//! A function (`$(shell …)`, `$(wildcard …)`), a conditional, an include,
//! a `define`, or a target only a pattern rule makes leaves the Makefile
//! unknown (`None`), and the RUN is read as before: `make` writes in its
//! folder.

use std::collections::BTreeMap;

/// A Makefile's variables and explicit rules.
#[derive(Debug, Default)]
pub struct Makefile {
    /// Name → value as written; `:=` values are expanded when defined.
    vars: BTreeMap<String, String>,
    rules: Vec<Rule>,
    /// It has pattern rules (`%.o: %.c`): a target without an explicit
    /// rule may be made by one.
    has_patterns: bool,
}

#[derive(Debug)]
struct Rule {
    targets: Vec<String>,
    prereqs: Vec<String>,
    recipe: Vec<String>,
}

/// What a `make` command asks for.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Invocation {
    /// `-C DIR`, relative to the command's folder.
    pub dir: Option<String>,
    /// `-f FILE`, relative to the make folder.
    pub file: Option<String>,
    pub targets: Vec<String>,
    /// `NAME=value` on the command line (they win over the file's).
    pub overrides: Vec<(String, String)>,
}

/// The names make looks for without `-f`, in its order.
pub const DEFAULT_NAMES: &[&str] = &["GNUmakefile", "makefile", "Makefile"];

/// The variables GNU make defines itself that recipes use: the folder it
/// runs in, and the default programs (`$(RM) -r dist`).
pub fn builtin_variables(dir: &str) -> BTreeMap<String, String> {
    [
        ("CURDIR", dir),
        ("RM", "rm -f"),
        ("CC", "cc"),
        ("CXX", "g++"),
        ("SHELL", "/bin/sh"),
    ]
    .into_iter()
    .map(|(n, v)| (n.to_string(), v.to_string()))
    .collect()
}

/// Read `make`'s arguments; None for an option msb does not know.
pub fn invocation(
    args: &[String],
    value_options: &[String],
    flags: &[String],
) -> Option<Invocation> {
    let mut out = Invocation::default();
    let mut words = args.iter();
    while let Some(arg) = words.next() {
        if let Some((name, value)) = arg.split_once('=')
            && !arg.starts_with('-')
        {
            out.overrides.push((name.to_string(), value.to_string()));
            continue;
        }
        if !arg.starts_with('-') {
            out.targets.push(arg.clone());
            continue;
        }
        let (option, inline) = match arg.split_once('=') {
            Some((o, v)) if arg.starts_with("--") => (o.to_string(), Some(v.to_string())),
            // `-C dir` written `-Cdir`, `-j4`.
            _ if !arg.starts_with("--") && arg.len() > 2 => {
                (arg[..2].to_string(), Some(arg[2..].to_string()))
            }
            _ => (arg.clone(), None),
        };
        if value_options.contains(&option) {
            let value = match inline {
                Some(v) => Some(v),
                // `-j` alone takes no number.
                None if option == "-j" || option == "--jobs" => None,
                None => Some(words.next()?.clone()),
            };
            match option.as_str() {
                "-C" | "--directory" => out.dir = value,
                "-f" | "--file" | "--makefile" => out.file = value,
                _ => {}
            }
        } else if !flags.contains(&option) || inline.is_some() && !option.starts_with("--") {
            return None;
        }
    }
    Some(out)
}

/// Parse a Makefile; None when it uses what msb does not read. `env` is
/// make's environment: the file's own assignments win over it, `?=` not.
pub fn parse(text: &str, env: &BTreeMap<String, String>) -> Option<Makefile> {
    let mut mf = Makefile {
        vars: env.clone(),
        ..Makefile::default()
    };
    let mut current: Option<usize> = None;
    for line in logical_lines(text) {
        if let Some(recipe) = line.strip_prefix('\t') {
            let rule = current?;
            if !recipe.trim().is_empty() {
                mf.rules[rule].recipe.push(recipe.to_string());
            }
            continue;
        }
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let first = trimmed.split_whitespace().next().unwrap_or("");
        const DIRECTIVES: &[&str] = &[
            "include", "-include", "sinclude", "ifeq", "ifneq", "ifdef", "ifndef", "else", "endif",
            "define", "endef", "vpath", "unexport", "override", "load",
        ];
        if DIRECTIVES.contains(&first) {
            return None;
        }
        if let Some((name, op, value)) = assignment(trimmed) {
            current = None;
            mf.assign(&name, op, value.trim())?;
            continue;
        }
        if first == "export" {
            // `export NAME`: the variable goes to the recipes' shells,
            // which the analysis does not need.
            current = None;
            continue;
        }
        let (head, inline) = match trimmed.split_once(';') {
            Some((h, r)) => (h, Some(r.trim().to_string())),
            None => (trimmed, None),
        };
        let (targets, prereqs) = head.split_once(':')?;
        if prereqs.starts_with(':') || prereqs.contains('=') {
            // Double-colon rules and target-specific variables.
            return None;
        }
        let targets: Vec<String> = mf
            .expand(targets, &[])?
            .split_whitespace()
            .map(String::from)
            .collect();
        if targets.iter().any(|t| t.contains('%')) {
            mf.has_patterns = true;
            current = None;
            continue;
        }
        let prereqs: Vec<String> = mf
            .expand(prereqs, &[])?
            .split_whitespace()
            .filter(|p| *p != "|")
            .map(String::from)
            .collect();
        mf.rules.push(Rule {
            targets,
            prereqs,
            recipe: inline.into_iter().filter(|r| !r.is_empty()).collect(),
        });
        current = Some(mf.rules.len() - 1);
    }
    Some(mf)
}

/// Lines with their backslash continuations joined.
fn logical_lines(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut pending = String::new();
    for raw in text.lines() {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        match line.strip_suffix('\\') {
            Some(head) => {
                pending.push_str(head);
                pending.push(' ');
            }
            None => {
                pending.push_str(line);
                out.push(std::mem::take(&mut pending));
            }
        }
    }
    if !pending.is_empty() {
        out.push(pending);
    }
    out
}

/// `NAME op value` (`export NAME = value` too); None for a rule.
fn assignment(line: &str) -> Option<(String, &'static str, &str)> {
    let line = line.strip_prefix("export ").unwrap_or(line).trim_start();
    let end = line
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-'))
        .unwrap_or(line.len());
    let (name, rest) = line.split_at(end);
    let rest = rest.trim_start();
    for op in ["::=", ":=", "?=", "+=", "!=", "="] {
        if let Some(value) = rest.strip_prefix(op) {
            return (!name.is_empty()).then(|| (name.to_string(), op, value));
        }
    }
    None
}

impl Makefile {
    fn assign(&mut self, name: &str, op: &str, value: &str) -> Option<()> {
        match op {
            "=" => {
                self.vars.insert(name.into(), value.into());
            }
            ":=" | "::=" => {
                let expanded = self.expand(value, &[])?;
                self.vars.insert(name.into(), expanded);
            }
            "?=" => {
                self.vars.entry(name.into()).or_insert_with(|| value.into());
            }
            "+=" => {
                let joined = match self.vars.get(name) {
                    Some(old) if !old.is_empty() => format!("{old} {value}"),
                    _ => value.to_string(),
                };
                self.vars.insert(name.into(), joined);
            }
            // `!=` runs a shell command.
            _ => return None,
        }
        Some(())
    }

    /// Expand `$(NAME)`, `${NAME}`, `$$` and, in a recipe, `$@ $< $^`
    /// (`auto`: the target, then its prerequisites). `overrides` win over
    /// the file's variables. None for a function call.
    fn expand(&self, text: &str, auto: &[&str]) -> Option<String> {
        self.expand_with(text, auto, &[], 0)
    }

    fn expand_with(
        &self,
        text: &str,
        auto: &[&str],
        overrides: &[(String, String)],
        depth: usize,
    ) -> Option<String> {
        if depth > 16 {
            return None;
        }
        let mut out = String::new();
        let mut chars = text.char_indices().peekable();
        while let Some((_, c)) = chars.next() {
            if c != '$' {
                out.push(c);
                continue;
            }
            let (_, next) = chars.next()?;
            let name = match next {
                '$' => {
                    out.push('$');
                    continue;
                }
                '@' => {
                    out.push_str(auto.first().copied().unwrap_or(""));
                    continue;
                }
                '<' => {
                    out.push_str(auto.get(1).copied().unwrap_or(""));
                    continue;
                }
                '^' => {
                    out.push_str(&auto.get(1..).unwrap_or(&[]).join(" "));
                    continue;
                }
                '(' | '{' => {
                    let close = if next == '(' { ')' } else { '}' };
                    let mut name = String::new();
                    loop {
                        let (_, c) = chars.next()?;
                        if c == close {
                            break;
                        }
                        // A nested reference or a function call.
                        if c == '$' || c.is_whitespace() || c == ',' {
                            return None;
                        }
                        name.push(c);
                    }
                    name
                }
                c if c.is_ascii_alphanumeric() || c == '_' => c.to_string(),
                _ => return None,
            };
            let value = if name == "MAKE" {
                "make".to_string()
            } else if let Some((_, v)) = overrides.iter().find(|(n, _)| *n == name) {
                v.clone()
            } else {
                // Undefined is empty, as in make.
                self.vars.get(&name).cloned().unwrap_or_default()
            };
            out.push_str(&self.expand_with(&value, auto, overrides, depth + 1)?);
        }
        Some(out)
    }

    /// The recipe lines `make TARGETS` runs, in order, prerequisites'
    /// first; None when a target has no rule msb can read.
    pub fn recipe_lines(
        &self,
        targets: &[String],
        overrides: &[(String, String)],
    ) -> Option<Vec<String>> {
        let goals: Vec<String> = if targets.is_empty() {
            let first = self
                .rules
                .iter()
                .flat_map(|r| r.targets.iter())
                .find(|t| !t.starts_with('.'))?;
            vec![first.clone()]
        } else {
            targets.to_vec()
        };
        // The rules of each target: a Makefile of many rules is read in
        // one pass, not once per prerequisite.
        let mut by_target: BTreeMap<&str, Vec<&Rule>> = BTreeMap::new();
        for rule in &self.rules {
            for t in &rule.targets {
                by_target.entry(t.as_str()).or_default().push(rule);
            }
        }
        let mut run = Run {
            by_target,
            overrides,
            done: std::collections::BTreeSet::new(),
            out: Vec::new(),
        };
        for goal in &goals {
            self.make(goal, &mut run, 0, true)?;
        }
        Some(run.out)
    }

    fn make<'m>(
        &'m self,
        target: &'m str,
        run: &mut Run<'m, '_>,
        depth: usize,
        goal: bool,
    ) -> Option<()> {
        // A chain deeper than this is not read at all: a recipe left out
        // could write what the final stage needs.
        if depth > 64 {
            return None;
        }
        if !run.done.insert(target) {
            return Some(());
        }
        let rules: Vec<&Rule> = run.by_target.get(target).cloned().unwrap_or_default();
        if rules.is_empty() {
            // A file of the sources, or something a pattern rule makes.
            return (!goal && !self.has_patterns).then_some(());
        }
        if rules.iter().filter(|r| !r.recipe.is_empty()).count() > 1 {
            return None;
        }
        let prereqs: Vec<&str> = rules
            .iter()
            .flat_map(|r| r.prereqs.iter().map(String::as_str))
            .collect();
        for p in &prereqs {
            self.make(p, run, depth + 1, false)?;
        }
        let mut auto = vec![target];
        auto.extend(prereqs.iter().copied());
        for line in rules.iter().flat_map(|r| r.recipe.iter()) {
            let expanded = self.expand_with(line, &auto, run.overrides, 0)?;
            let command = expanded.trim_start_matches(['@', '-', '+', ' ', '\t']);
            if !command.trim().is_empty() {
                run.out.push(command.to_string());
            }
        }
        Some(())
    }
}

/// One `make` run: the rules by target, what is made, the recipe lines.
struct Run<'m, 'o> {
    by_target: BTreeMap<&'m str, Vec<&'m Rule>>,
    overrides: &'o [(String, String)],
    done: std::collections::BTreeSet<&'m str>,
    out: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(makefile: &str, targets: &[&str]) -> Option<Vec<String>> {
        let targets: Vec<String> = targets.iter().map(|t| t.to_string()).collect();
        parse(makefile, &BTreeMap::new())?.recipe_lines(&targets, &[])
    }

    #[test]
    fn reads_recipes_with_variables_and_prerequisites() {
        let mf = "BIN := bin/api\nGOFLAGS = -trimpath\n\n.PHONY: build gen\nbuild: gen\n\t@echo building $@\n\tCGO_ENABLED=0 go build $(GOFLAGS) -o $(BIN) ./cmd/api\n\ngen:\n\tgo generate ./...\n";
        assert_eq!(
            lines(mf, &["build"]).unwrap(),
            vec![
                "go generate ./...",
                "echo building build",
                "CGO_ENABLED=0 go build -trimpath -o bin/api ./cmd/api",
            ]
        );
        // The first target is the default goal; `.PHONY` is not one.
        assert_eq!(lines(mf, &[]).unwrap().len(), 3);
        let appended = "FLAGS = -a\nFLAGS += -b\nall:\n\tcc $(FLAGS) $${HOME}\n";
        assert_eq!(lines(appended, &[]).unwrap(), vec!["cc -a -b ${HOME}"]);
        let continued = "install:\n\tcp bin/app \\\n\t  /usr/local/bin/app\n";
        assert_eq!(
            lines(continued, &["install"]).unwrap(),
            vec!["cp bin/app  \t  /usr/local/bin/app"]
        );
    }

    #[test]
    fn the_environment_is_under_the_file() {
        let env: BTreeMap<String, String> = [
            ("GOOS".to_string(), "linux".to_string()),
            ("OUT".to_string(), "env".to_string()),
        ]
        .into();
        let mf = parse(
            "OUT = bin\nGOOS ?= darwin\nall:\n\tGOOS=$(GOOS) go build -o $(OUT)/x\n",
            &env,
        )
        .unwrap();
        assert_eq!(
            mf.recipe_lines(&[], &[]).unwrap(),
            vec!["GOOS=linux go build -o bin/x"]
        );
        let overrides = [("OUT".to_string(), "dist".to_string())];
        assert_eq!(
            mf.recipe_lines(&[], &overrides).unwrap(),
            vec!["GOOS=linux go build -o dist/x"]
        );
    }

    #[test]
    fn knows_the_variables_make_defines() {
        let mf = parse(
            "all:\n\t$(RM) -r dist\n\tgo build -o $(CURDIR)/bin/api .\n",
            &builtin_variables("/src"),
        )
        .unwrap();
        assert_eq!(
            mf.recipe_lines(&[], &[]).unwrap(),
            vec!["rm -f -r dist", "go build -o /src/bin/api ."]
        );
    }

    #[test]
    fn leaves_alone_what_it_cannot_read() {
        assert!(lines("V := $(shell git describe)\nall:\n\techo $(V)\n", &[]).is_none());
        assert!(lines("ifeq ($(OS),linux)\nX=1\nendif\nall:\n\ttrue\n", &[]).is_none());
        assert!(lines("include common.mk\nall:\n\ttrue\n", &[]).is_none());
        assert!(lines("all:\n\ttrue\n", &["missing"]).is_none());
        assert!(lines("%.o: %.c\n\tcc -c $<\nall: main.o\n\tcc main.o\n", &[]).is_none());
        assert!(lines("all:\n\techo $(wildcard *.go)\n", &[]).is_none());
    }

    #[test]
    fn reads_make_arguments() {
        let value: Vec<String> = ["-C", "--directory", "-f", "--file", "-j", "--jobs"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let flags: Vec<String> = ["-s", "--no-print-directory", "-B"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let args = |s: &str| -> Vec<String> { s.split_whitespace().map(String::from).collect() };
        let inv = invocation(&args("-C server -j4 build VERSION=1.2 -s"), &value, &flags).unwrap();
        assert_eq!(inv.dir.as_deref(), Some("server"));
        assert_eq!(inv.targets, vec!["build"]);
        assert_eq!(
            inv.overrides,
            vec![("VERSION".to_string(), "1.2".to_string())]
        );
        assert!(invocation(&args("--question"), &value, &flags).is_none());
    }
}
