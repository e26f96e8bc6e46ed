//! Where the binaries of a compiled language end up in the builder: RUN
//! lines copy, move and remove them (`cp target/release/app
//! /usr/local/bin/`, `mv app /usr/local/bin/`, `rm -rf target`), and what a
//! RUN writes under a cache or tmpfs mount is not in the image afterwards.
//! Go and Rust follow their binaries with these.

use crate::analyse::shell::Command;
use crate::analyse::{Analysis, absolute, is_under};
use crate::knowledge::{Knowledge, glob_match};
use crate::parse::Instruction;

/// The cache and tmpfs mounts of a RUN: what is built there is not in the
/// image afterwards.
pub fn cache_mounts(ins: &Instruction, workdir: &str) -> Vec<String> {
    let mut out = Vec::new();
    for flag in ins.flags.iter().filter(|f| f.name == "mount") {
        let value = flag.value.clone().unwrap_or_default();
        let mut kind = "bind";
        let mut target = None;
        for part in value.split(',') {
            match part.split_once('=') {
                Some(("type", t)) => kind = if t == "cache" { "cache" } else { t },
                Some(("target" | "dst" | "destination", t)) => target = Some(t.to_string()),
                _ => {}
            }
        }
        if matches!(kind, "cache" | "tmpfs")
            && let Some(t) = target
        {
            out.push(absolute(workdir, &t));
        }
    }
    out
}

/// `install -m 755 SRC DEST`: the operands without options and their values.
pub fn install_operands(args: &[String]) -> Vec<&String> {
    let mut out = Vec::new();
    let mut skip = false;
    for arg in args {
        if skip {
            skip = false;
        } else if matches!(arg.as_str(), "-m" | "-o" | "-g" | "-t" | "-S") {
            skip = true;
        } else if !arg.starts_with('-') {
            out.push(arg);
        }
    }
    out
}

/// Forget the locations under `dirs` (removed, or a cache mount).
pub fn drop_under<'l>(locations: impl Iterator<Item = &'l mut Vec<String>>, dirs: &[String]) {
    for l in locations {
        l.retain(|p| !dirs.iter().any(|d| is_under(p, d)));
    }
}

/// Apply one simple command of a RUN to the tracked locations: `mkdir`
/// records folders, `rm` forgets what it removes, `cp`/`mv`/`install`
/// add (or, for `mv`, move) a location. Returns each new location with
/// the index of the item it belongs to.
pub fn follow<'l>(
    c: &Command,
    cwd: &str,
    a: &Analysis,
    k: &Knowledge,
    known_dirs: &mut Vec<String>,
    locations: impl Iterator<Item = &'l mut Vec<String>>,
) -> Vec<(usize, String)> {
    let operands: Vec<&String> = c.args().iter().filter(|x| !x.starts_with('-')).collect();
    let mut added = Vec::new();
    match c.program() {
        "mkdir" => known_dirs.extend(operands.iter().map(|d| absolute(cwd, d))),
        "rm" => {
            let gone: Vec<String> = operands.iter().map(|o| absolute(cwd, o)).collect();
            for l in locations {
                l.retain(|p| {
                    !gone
                        .iter()
                        .any(|g| is_under(p, g) || (g.contains('*') && glob_match(g, p)))
                });
            }
        }
        "cp" | "mv" | "install" => {
            let operands: Vec<&String> = if c.program() == "install" {
                install_operands(c.args())
            } else {
                operands
            };
            let Some((dest, sources)) = operands.split_last() else {
                return added;
            };
            let dest_abs = absolute(cwd, dest);
            let into_folder = sources.len() > 1
                || dest.ends_with('/')
                || dest.as_str() == "."
                || known_dirs.contains(&dest_abs)
                || a.is_system_dir(&dest_abs)
                || k.images.runtime_path.contains(&dest_abs);
            for (i, l) in locations.enumerate() {
                for source in sources {
                    let src = absolute(cwd, source);
                    if !l.contains(&src) {
                        continue;
                    }
                    let base = crate::analyse::basename(&src);
                    let new = if into_folder {
                        absolute(&dest_abs, base)
                    } else {
                        dest_abs.clone()
                    };
                    if c.program() == "mv" {
                        l.retain(|p| *p != src);
                    }
                    if !l.contains(&new) {
                        l.push(new.clone());
                    }
                    added.push((i, new));
                }
            }
        }
        _ => {}
    }
    added
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_mounts_hide_what_is_built_there() {
        let file = crate::parse::parse(
            "FROM rust\nRUN --mount=type=cache,target=target --mount=type=bind,source=.,target=/src --mount=type=tmpfs,dst=/tmp/x cargo build\n",
        )
        .unwrap();
        assert_eq!(
            cache_mounts(&file.instructions[1], "/app"),
            vec!["/app/target", "/tmp/x"]
        );
    }

    #[test]
    fn install_skips_option_values() {
        let args: Vec<String> = [
            "-D",
            "-m",
            "0755",
            "target/release/app",
            "/usr/local/bin/app",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(
            install_operands(&args),
            vec!["target/release/app", "/usr/local/bin/app"]
        );
    }
}
