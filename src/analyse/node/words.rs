//! Reading npm, yarn and pnpm command lines: the subcommand after the
//! options, an option's value, a flag, and the package a spec or a
//! program names. Shared by the install steps, the global installs, the
//! runtime walk and the static build output.

use crate::knowledge::NodeRules;

/// The first word after the program that is not an option, with the
/// options that take a value skipped.
pub(super) fn subcommand<'a>(
    args: &'a [String],
    value_options: &[&str],
) -> Option<(usize, &'a str)> {
    let mut skip = false;
    for (i, a) in args.iter().enumerate() {
        if skip {
            skip = false;
            continue;
        }
        if a.starts_with('-') {
            skip = value_options.contains(&a.as_str());
            continue;
        }
        return Some((i, a.as_str()));
    }
    None
}

pub(super) const NPM_VALUE_OPTIONS: &[&str] = &[
    "--prefix",
    "--registry",
    "--cache",
    "--loglevel",
    "--userconfig",
    "--omit",
    "--include",
    "--only",
    "-w",
    "--workspace",
];

pub(super) const YARN_VALUE_OPTIONS: &[&str] = &[
    "--cwd",
    "--modules-folder",
    "--cache-folder",
    "--modules-folder",
    "--registry",
    "--network-timeout",
    "--mutex",
];

pub(super) const PNPM_VALUE_OPTIONS: &[&str] = &[
    "-C",
    "--dir",
    "--filter",
    "-F",
    "--store-dir",
    "--registry",
    "--reporter",
];

/// The value of `--name value` or `--name=value`.
pub(super) fn option_value(args: &[String], names: &[&str]) -> Option<String> {
    let mut iter = args.iter();
    while let Some(a) = iter.next() {
        if names.contains(&a.as_str()) {
            return iter.next().cloned();
        }
        for n in names {
            if let Some(v) = a.strip_prefix(&format!("{n}=")) {
                return Some(v.to_string());
            }
        }
    }
    None
}

pub(super) fn has_flag(args: &[String], flags: &[&str]) -> bool {
    args.iter().any(|a| flags.contains(&a.as_str()))
}

/// Whether `--global` style options make an install global.
pub(super) fn is_global(args: &[String]) -> bool {
    has_flag(args, &["-g", "--global", "--location=global"])
}

/// The name of a package spec (`@scope/pkg@1.2` → `@scope/pkg`).
pub(super) fn package_name(spec: &str) -> String {
    match spec.rfind('@') {
        Some(i) if i > 0 => spec[..i].to_string(),
        _ => spec.to_string(),
    }
}

/// The npm package that provides a program (`tsc` → `typescript`): named
/// in node.toml where the names differ, else the program's own name.
pub(super) fn package_of_bin(rules: &NodeRules, bin: &str) -> String {
    rules
        .bins
        .get(bin)
        .cloned()
        .unwrap_or_else(|| bin.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_names_and_subcommands() {
        assert_eq!(package_name("@scope/pkg@1.2"), "@scope/pkg");
        assert_eq!(package_name("serve@14"), "serve");
        assert_eq!(package_name("pm2"), "pm2");
        let args: Vec<String> = ["--prefix", "/app", "ci", "--omit=dev"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(subcommand(&args, NPM_VALUE_OPTIONS), Some((2, "ci")));
        assert_eq!(option_value(&args, &["--prefix"]).as_deref(), Some("/app"));
        let args: Vec<String> = ["--omit", "dev"].iter().map(|s| s.to_string()).collect();
        assert_eq!(option_value(&args, &["--omit"]).as_deref(), Some("dev"));
    }
}
