//! What a RUN command writes, for programs that are not housekeeping but
//! whose effects can be read from their words (`sed -i FILE`, `curl -o F`,
//! `tar -x -C DIR`, `a2enmod`), from `commands.toml [effects]`; and the
//! installer scripts a RUN fetches and runs (`curl URL | sh`), from
//! `commands.toml [[installers]]`.
//!
//! The analysis routes what they write like any other write: inside a
//! folder the final stage copies it is covered, a file on a system path is
//! copied from the builder. A command that fills a whole system folder
//! (`tar -C /usr/local`, `make install`) is opaque: msb cannot tell which
//! of its files the runtime needs, so the file still skips, with the
//! command and the folder named.

use crate::analyse::absolute;
use crate::analyse::shell::Command;
use crate::knowledge::{CommandsPack, Effect, Installer, glob_match};

/// What one command writes, when its program has an `[effects]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effects {
    /// Absolute paths it writes (files or folders); empty when it only prints.
    Writes(Vec<String>),
    /// It writes what cannot be told from its words; the reason says why.
    Opaque(String),
}

/// The effects of `c` run in `cwd`, or None when its program is unknown.
pub fn of(
    c: &Command,
    cwd: &str,
    k: &CommandsPack,
    is_system_dir: impl Fn(&str) -> bool,
) -> Option<Effects> {
    let program = c.program();
    let effect = k.effects.get(program)?;
    let mut args = c.args().to_vec();
    // `tar xzf a.tgz`: the old form has no dash on its first word.
    if program == "tar"
        && let Some(first) = args.first_mut()
        && !first.starts_with('-')
        && first.chars().all(|ch| ch.is_ascii_alphabetic())
    {
        first.insert(0, '-');
    }
    let parsed = parse_words(&args, &effect.value_options);
    if let Some(op) = parsed
        .operands
        .iter()
        .find(|o| effect.opaque_operands.contains(o))
    {
        return Some(Effects::Opaque(format!(
            "`{program} {op}` installs files msb cannot see"
        )));
    }
    let mut files = Vec::new();
    let mut folders = Vec::new();
    written_operands(effect, &parsed, &mut files);
    let outputs = parsed.values(&effect.output);
    files.extend(outputs.iter().filter(|v| *v != "-").cloned());
    let dirs = parsed.values(&effect.folder);
    folders.extend(dirs.iter().cloned());
    let urls: Vec<&String> = parsed.operands.iter().filter(|o| is_url(o)).collect();
    let remote_name = effect.remote_name.iter().any(|o| parsed.has(o));
    if remote_name || (effect.url_name && outputs.is_empty()) {
        let into = dirs.last().map(String::as_str).unwrap_or(cwd);
        for url in &urls {
            if let Some(name) = url_file_name(url) {
                files.push(absolute(&absolute(cwd, into), name));
            }
        }
    }
    if effect.default_cwd && outputs.is_empty() && dirs.is_empty() {
        folders.push(cwd.to_string());
    }
    let mut writes: Vec<String> = files.iter().map(|f| absolute(cwd, f)).collect();
    for folder in folders.iter().map(|f| absolute(cwd, f)) {
        if is_system_dir(&folder) {
            return Some(Effects::Opaque(format!(
                "`{}` writes into {folder}",
                c.words.join(" ")
            )));
        }
        writes.push(folder);
    }
    writes.extend(effect.fixed.iter().cloned());
    Some(Effects::Writes(writes))
}

/// The file operands the program writes (`sed -i s/a/b/ FILE`, `tee FILE`).
fn written_operands(effect: &Effect, parsed: &Parsed, files: &mut Vec<String>) {
    if !effect.operands {
        return;
    }
    if !effect.in_place.is_empty() && !effect.in_place.iter().any(|o| parsed.has(o)) {
        // Without `-i`, sed only prints.
        return;
    }
    let script_given = effect.script_options.iter().any(|o| parsed.has(o));
    let skip = usize::from(effect.script_operand && !script_given);
    files.extend(
        parsed
            .operands
            .iter()
            .skip(skip)
            .filter(|o| *o != "-")
            .cloned(),
    );
}

/// Options (with their values) and operands of a command's arguments.
#[derive(Debug, Default)]
struct Parsed {
    options: Vec<(String, Option<String>)>,
    operands: Vec<String>,
}

impl Parsed {
    /// Whether an option was given; `-i` also matches `-i.bak`.
    fn has(&self, name: &str) -> bool {
        self.options.iter().any(|(o, _)| o == name)
    }

    fn values(&self, names: &[String]) -> Vec<String> {
        self.options
            .iter()
            .filter(|(o, _)| names.contains(o))
            .filter_map(|(_, v)| v.clone())
            .collect()
    }
}

/// Read words as options and operands: `--name=value`, `--name value` and
/// `-n value` for the options that take one, clusters such as `-fsSLo F`.
fn parse_words(args: &[String], value_options: &[String]) -> Parsed {
    let takes_value = |o: &str| value_options.iter().any(|v| v == o);
    let mut parsed = Parsed::default();
    let mut words = args.iter();
    while let Some(word) = words.next() {
        if word == "--" {
            parsed.operands.extend(words.by_ref().cloned());
            break;
        }
        if let Some(long) = word.strip_prefix("--") {
            let (name, value) = match long.split_once('=') {
                Some((n, v)) => (format!("--{n}"), Some(v.to_string())),
                None => (word.clone(), None),
            };
            let value = match value {
                None if takes_value(&name) => words.next().cloned(),
                v => v,
            };
            parsed.options.push((name, value));
        } else if word.len() > 1 && word.starts_with('-') {
            read_cluster(word, &takes_value, &mut words, &mut parsed);
        } else {
            parsed.operands.push(word.clone());
        }
    }
    parsed
}

/// `-fsSL`, `-o FILE`, `-oFILE`, `-xzf a.tgz`, `-i.bak`.
fn read_cluster<'w>(
    word: &str,
    takes_value: &impl Fn(&str) -> bool,
    words: &mut impl Iterator<Item = &'w String>,
    parsed: &mut Parsed,
) {
    for (i, ch) in word.char_indices().skip(1) {
        let name = format!("-{ch}");
        if takes_value(&name) {
            let rest = &word[i + ch.len_utf8()..];
            let value = if rest.is_empty() {
                words.next().cloned()
            } else {
                Some(rest.to_string())
            };
            parsed.options.push((name, value));
            return;
        }
        parsed.options.push((name.clone(), None));
        // `-i.bak`: what follows sed's -i is its backup suffix.
        if ch == 'i' {
            return;
        }
    }
}

fn is_url(word: &str) -> bool {
    word.contains("://")
}

/// The last path element of a URL, without its query (`…/x.tar.gz?raw=1`).
fn url_file_name(url: &str) -> Option<&str> {
    let path = url.split(['?', '#']).next()?;
    let (_, rest) = path.split_once("://")?;
    let (_, path) = rest.split_once('/')?;
    path.rsplit('/').next().filter(|n| !n.is_empty())
}

/// An installer a RUN downloads and runs, and which of its commands run it.
#[derive(Debug, Clone)]
pub struct InstallerRun<'k> {
    pub installer: &'k Installer,
    pub url: String,
    /// Positions (in the RUN's commands) of the download and of the
    /// commands that run what it fetched.
    pub commands: Vec<usize>,
}

/// The known installers this RUN fetches (`curl -sSL URL | sh`, `wget -O
/// i.sh URL && sh i.sh`), each with the commands that fetch and run it.
pub fn installers<'k>(cmds: &[&Command], k: &'k CommandsPack) -> Vec<InstallerRun<'k>> {
    let mut out = Vec::new();
    for (i, c) in cmds.iter().enumerate() {
        if !matches!(c.program(), "curl" | "wget") {
            continue;
        }
        for url in c.args().iter().filter(|w| is_url(w)) {
            let bare = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
            let Some(installer) = k.installers.iter().find(|n| glob_match(&n.url, bare)) else {
                continue;
            };
            let name = url_file_name(url).unwrap_or("");
            let mut run = InstallerRun {
                installer,
                url: url.clone(),
                commands: vec![i],
            };
            for (j, next) in cmds.iter().enumerate().skip(i + 1) {
                if runs_fetched_script(next, name, k) {
                    run.commands.push(j);
                }
            }
            out.push(run);
        }
    }
    out
}

/// `sh`, `bash -s -- …`, `python3 -` (reading the pipe), or `sh i.sh`
/// naming the fetched file.
fn runs_fetched_script(c: &Command, fetched_name: &str, k: &CommandsPack) -> bool {
    // `sudo -E bash -`: what sudo runs, without its options.
    if c.program() == "sudo" {
        let words: Vec<String> = c
            .args()
            .iter()
            .skip_while(|w| w.starts_with('-'))
            .cloned()
            .collect();
        if words.is_empty() {
            return false;
        }
        let inner = Command { words, ..c.clone() };
        return runs_fetched_script(&inner, fetched_name, k);
    }
    let program = crate::analyse::shell::normalise_program(c.program());
    let runner = k.shells.iter().any(|s| s == program)
        || k.launch
            .interpreters
            .iter()
            .any(|p| p == program && program.starts_with("python"));
    if !runner {
        return false;
    }
    match c.args().iter().find(|w| !w.starts_with('-')) {
        None => true,
        Some(file) => !fetched_name.is_empty() && crate::analyse::basename(file) == fetched_name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::Knowledge;

    fn effects(script: &str, cwd: &str) -> Option<Effects> {
        let k = Knowledge::builtin().unwrap();
        let c = &crate::analyse::shell::commands(script)[0];
        of(c, cwd, &k.commands, |p| {
            k.commands.system_dirs.iter().any(|d| d == p)
        })
    }

    fn writes(paths: &[&str]) -> Option<Effects> {
        Some(Effects::Writes(
            paths.iter().map(|p| p.to_string()).collect(),
        ))
    }

    #[test]
    fn sed_writes_its_files_only_in_place() {
        assert_eq!(
            effects("sed -i 's/\\r$//g' entrypoint.sh", "/app"),
            writes(&["/app/entrypoint.sh"])
        );
        assert_eq!(
            effects("sed -i.bak -e s/a/b/ /etc/a.conf /etc/b.conf", "/"),
            writes(&["/etc/a.conf", "/etc/b.conf"])
        );
        assert_eq!(effects("sed s/a/b/ /etc/a.conf", "/"), writes(&[]));
    }

    #[test]
    fn downloads_write_the_named_file() {
        assert_eq!(
            effects("curl -fsSLo /usr/local/bin/probe https://x.io/p", "/"),
            writes(&["/usr/local/bin/probe"])
        );
        assert_eq!(effects("curl -sS https://x.io/key.asc", "/"), writes(&[]));
        assert_eq!(
            effects("curl -O https://x.io/a/tool.tgz", "/opt"),
            writes(&["/opt/tool.tgz"])
        );
        assert_eq!(
            effects("wget -q https://x.io/a/tool.tgz?raw=1", "/srv"),
            writes(&["/srv/tool.tgz"])
        );
        assert_eq!(
            effects("wget -qO- https://x.io/a/tool.tgz", "/srv"),
            writes(&[])
        );
    }

    #[test]
    fn extracting_into_a_system_folder_is_opaque() {
        assert_eq!(
            effects("tar -xzf node.tgz -C /opt/node", "/tmp"),
            writes(&["/opt/node"])
        );
        assert!(matches!(
            effects("tar xzf go.tgz -C /usr/local", "/tmp"),
            Some(Effects::Opaque(_))
        ));
        assert!(matches!(
            effects("make install", "/src"),
            Some(Effects::Opaque(_))
        ));
        assert_eq!(effects("make -C lib", "/app"), writes(&["/app/lib"]));
    }

    #[test]
    fn fixed_paths_and_unknown_programs() {
        assert_eq!(
            effects("a2enmod rewrite headers", "/"),
            writes(&["/etc/apache2/mods-enabled"])
        );
        assert_eq!(effects("frobnicate --all", "/"), None);
    }

    #[test]
    fn a_fetched_installer_covers_the_shell_it_is_piped_to() {
        let k = Knowledge::builtin().unwrap();
        let cmds = crate::analyse::shell::commands(
            "curl https://raw.githubusercontent.com/golang/dep/master/install.sh | sh",
        );
        let refs: Vec<&Command> = cmds.iter().collect();
        let runs = installers(&refs, &k.commands);
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0].installer.name, "golang/dep");
        assert_eq!(runs[0].commands, vec![0, 1]);
        let cmds = crate::analyse::shell::commands(
            "wget -O get-pip.py https://bootstrap.pypa.io/get-pip.py && python3 get-pip.py && sh other.sh",
        );
        let refs: Vec<&Command> = cmds.iter().collect();
        let runs = installers(&refs, &k.commands);
        assert_eq!(runs[0].commands, vec![0, 1]);
        let cmds = crate::analyse::shell::commands(
            "curl -sL https://deb.nodesource.com/setup_lts.x | sudo -E bash - && apt-get install -y nodejs",
        );
        let refs: Vec<&Command> = cmds.iter().collect();
        let runs = installers(&refs, &k.commands);
        assert_eq!(runs[0].installer.name, "NodeSource");
        assert_eq!(runs[0].commands, vec![0, 1]);
        assert!(!runs[0].installer.package_sources.is_empty());
    }
}
