//! An app copied straight into a folder the system shares: `/` when the
//! Dockerfile sets no WORKDIR, or `/tmp`. The final stage cannot copy such
//! a folder whole (it would carry the system along), so it copies the
//! exact paths the COPY lines put there instead, each one named from the
//! build context: `COPY . .` puts the context's top entries there, less
//! what `.dockerignore` leaves out; `COPY *.js ./` the names that match.
//!
//! A name that the system itself has in `/` (`lib`, `etc`, `srv`) cannot
//! be told apart from the system's own folder, and a build step that
//! writes into the loose folder makes files no COPY names: both block.

use crate::analyse::dockerignore::DockerIgnore;
use crate::analyse::{Analysis, ContextCopy, absolute};
use crate::knowledge::{LooseRules, glob_match};
use crate::parse::{Dockerfile, Keyword};
use crate::source::BuildContext;

/// A path the final stage copies, and the COPY line that put it there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoosePath {
    pub line: usize,
    pub path: String,
    /// A file of the build context, not a folder.
    pub file: bool,
}

/// Why the exact paths cannot be named: the line and the reason.
pub type Unnamed = (usize, String);

/// Whether `dir` is a folder an app may be copied straight into.
pub fn is_loose_dir(rules: &LooseRules, dir: &str) -> bool {
    rules.dirs.iter().any(|d| d == dir)
}

/// Whether COPY putting `path` lands it straight in the loose folder
/// `dir`: the folder itself, or an entry of it (not a path deeper down,
/// such as `/etc/app.ini`, which is copied as any other).
pub fn lands_in(path: &str, dir: &str) -> bool {
    path == dir || crate::analyse::parent(path) == dir
}

/// The exact paths the COPY lines (from the build context) put into the
/// loose folder `dir`, in the order the COPY lines come.
pub fn exact_paths(
    file: &Dockerfile,
    context: &BuildContext,
    a: &Analysis,
    rules: &LooseRules,
    dir: &str,
) -> Result<Vec<LoosePath>, Unnamed> {
    let ignore = DockerIgnore::read(context);
    let mut out: Vec<LoosePath> = Vec::new();
    for copy in a.copies.iter().filter(|c| c.from_image.is_none()) {
        let ins = &file.instructions[copy.index];
        let line = ins.line;
        if ins.keyword == Keyword::Add
            && let Some(archive) = copy
                .sources
                .iter()
                .find(|s| crate::analyse::is_local_archive(s))
            && copy.pairs.iter().any(|(_, d)| lands_in(d, dir))
        {
            return Err((
                line,
                format!("ADD unpacks {archive} into {dir}: msb cannot name the files it holds"),
            ));
        }
        for (path, file) in copy_paths(copy, context, &ignore, dir).map_err(|r| (line, r))? {
            if let Some(name) = system_name(rules, dir, &path) {
                return Err((
                    line,
                    format!(
                        "COPY puts {path} into {dir}, where the system has its own {name}: msb cannot copy one without the other"
                    ),
                ));
            }
            match out.iter_mut().find(|p| p.path == path) {
                // A later COPY of the same name may bring a folder.
                Some(earlier) => earlier.file &= file,
                None => out.push(LoosePath { line, path, file }),
            }
        }
    }
    Ok(out)
}

/// Copies to the final stage the exact paths COPY put into the loose
/// folder `dir`, and `made`: what the build makes there (a path relative
/// to `dir`, and why), all owned by the runtime user as root owned them.
pub fn carry(
    file: &Dockerfile,
    context: &BuildContext,
    a: &mut Analysis,
    dir: &str,
    made: &[(&str, &str)],
) {
    let rules = a.loose.clone();
    let paths = match exact_paths(file, context, a, &rules, dir) {
        Ok(paths) => paths,
        Err((line, reason)) => return a.block(line, reason),
    };
    let line = paths.last().map_or(0, |p| p.line);
    for p in &paths {
        let why = format!("line {}: copied from the build context into {dir}", p.line);
        a.add_artefact(p.line, &p.path, &p.path, why, true);
        if p.file {
            a.mark_file(&p.path);
        }
    }
    for (rel, why) in made {
        let path = absolute(dir, rel);
        a.add_artefact(line, &path, &path, *why, true);
    }
    if rules.unwritable.iter().any(|d| d == dir) && !paths.is_empty() {
        a.warnings.push(format!(
            "the app is in {dir}: the final stage copies the exact paths COPY put there, and its non-root user cannot create new files in {dir} as root could (give the app a WORKDIR of its own if it writes beside itself)"
        ));
    }
}

/// The paths one COPY puts straight into `dir` (none when it copies
/// somewhere else), each with whether it is a file of the context.
fn copy_paths(
    copy: &ContextCopy,
    context: &BuildContext,
    ignore: &DockerIgnore,
    dir: &str,
) -> Result<Vec<(String, bool)>, String> {
    let mut out = Vec::new();
    for (src, dest) in &copy.pairs {
        if !lands_in(dest, dir) {
            continue;
        }
        if dest != dir {
            out.push((dest.clone(), context.is_file(src)));
            continue;
        }
        // The source's contents land in `dir` itself: name each entry.
        if src.contains(['*', '?', '[']) {
            out.extend(glob_entries(src, context, ignore, dir)?);
        } else if context.is_dir(src) || src == "." || src == "./" {
            out.extend(folder_entries(src, context, ignore, dir)?);
        } else {
            // A file onto the folder's name: the folder exists in every
            // image, so COPY puts the file in it.
            let name = crate::analyse::basename(src.trim_end_matches('/'));
            out.push((absolute(dir, name), context.is_file(src)));
        }
    }
    Ok(out)
}

/// The entries of a context folder COPY spills into `dir`.
fn folder_entries(
    src: &str,
    context: &BuildContext,
    ignore: &DockerIgnore,
    dir: &str,
) -> Result<Vec<(String, bool)>, String> {
    let folder = crate::source::without_dot_slash(src).trim_end_matches('/');
    let mut out = Vec::new();
    for name in context.list(folder) {
        let rel = joined(folder, &name);
        if ignore.excludes(&rel)? {
            continue;
        }
        out.push((absolute(dir, &name), context.is_file(&rel)));
    }
    Ok(out)
}

/// The context names a glob in its last part matches (`*.js`,
/// `package*.json`); a glob in a folder part is not followed.
fn glob_entries(
    src: &str,
    context: &BuildContext,
    ignore: &DockerIgnore,
    dir: &str,
) -> Result<Vec<(String, bool)>, String> {
    let src = crate::source::without_dot_slash(src);
    let (folder, pattern) = match src.rsplit_once('/') {
        Some((f, p)) => (f, p),
        None => ("", src),
    };
    if folder.contains(['*', '?', '[']) {
        return Err(format!(
            "COPY {src} into {dir}: msb names the files of a glob in one folder only"
        ));
    }
    let mut out = Vec::new();
    for name in context.list(folder) {
        let rel = joined(folder, &name);
        if glob_match(pattern, &name) && !ignore.excludes(&rel)? {
            out.push((absolute(dir, &name), context.is_file(&rel)));
        }
    }
    Ok(out)
}

fn joined(folder: &str, name: &str) -> String {
    if folder.is_empty() || folder == "." {
        name.to_string()
    } else {
        format!("{folder}/{name}")
    }
}

/// The top-level name of `path` that the system has in `/`, if any.
fn system_name(rules: &LooseRules, dir: &str, path: &str) -> Option<String> {
    if dir != "/" {
        return None;
    }
    let first = path.trim_start_matches('/').split('/').next()?;
    rules
        .root_names
        .iter()
        .any(|n| n == first)
        .then(|| format!("/{first}"))
}

#[cfg(test)]
mod tests {

    fn artefacts_of(text: &str) -> (Vec<String>, Option<String>) {
        let a = crate::analyse::analysed_text(text);
        let paths = a.artefacts.iter().map(|x| x.to.clone()).collect();
        (paths, a.skip.map(|b| b.reason))
    }

    #[test]
    fn a_file_copied_onto_tmp_lands_in_it() {
        let (paths, skip) = artefacts_of(
            "FROM python:3.12\nCOPY app.py /tmp\nRUN pip install flask\nCMD [\"python\", \"/tmp/app.py\"]\n",
        );
        assert!(
            paths.contains(&"/tmp/app.py".to_string()),
            "{paths:?} {skip:?}"
        );
    }

    #[test]
    fn an_archive_add_unpacks_into_root_is_not_named() {
        let (_, skip) = artefacts_of(
            "FROM python:3.12\nADD bundle.tar.gz /\nRUN pip install flask\nCMD [\"python\", \"app.py\"]\n",
        );
        let skip = skip.unwrap_or_default();
        assert!(skip.contains("ADD unpacks bundle.tar.gz into /"), "{skip}");
    }
}
