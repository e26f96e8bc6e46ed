//! Next.js: whether `next start` reads anything beyond what the Next
//! layout copies (the build context's entries, the config's imports,
//! `distDir`), and the `--unsafe` alternative that runs the standalone
//! server `output: 'standalone'` makes instead of `next start`.

use super::artefacts::{build_line, outside_copies};
use super::layout::{dockerignore, whole_context_copy};
use super::manifest::context_file_for;
use super::walk::RuntimeUses;
use super::{Layout, NodeApp};
use crate::analyse::{Analysis, Artefact, CommandRewrite, UnsafeAlternative, absolute};
use crate::knowledge::{NodeRules, glob_match};
use crate::parse::{Dockerfile, Keyword};
use crate::source::BuildContext;

/// `Ok` when every entry of the build context that reaches the app folder
/// is compiled into `.next` or copied by the Next layout; else why not.
pub(super) fn next_app_unknowns(
    context: &BuildContext,
    rules: &NodeRules,
    a: &Analysis,
    app_dir: &str,
) -> Result<(), String> {
    if let Some(config) = next_dist_dir(context, rules, a, app_dir) {
        return Err(format!(
            "{config} sets distDir, so next build writes somewhere other than .next"
        ));
    }
    if !whole_context_copy(a, app_dir) {
        return Err("the build copies chosen files, not the whole context".to_string());
    }
    let ignore = context.read_small(".dockerignore").unwrap_or_default();
    if ignore.lines().any(|l| l.trim_start().starts_with('!')) {
        return Err(".dockerignore has exceptions (`!`) msb does not follow".to_string());
    }
    let ignored = dockerignore(context);
    let next = &rules.next;
    for name in context.list(".") {
        if ignored(&name) {
            continue;
        }
        let known = next.compiled.iter().any(|g| glob_match(g, &name))
            || next.not_runtime.iter().any(|g| glob_match(g, &name))
            || next.configs.contains(&name)
            || name == "package.json"
            || name == "public"
            || name.starts_with(".env");
        if !known {
            let kind = if context.is_dir(&name) {
                format!("{name}/")
            } else {
                name.clone()
            };
            return Err(format!(
                "{kind} is not something Next compiles, and the app may read it at run time"
            ));
        }
    }
    for config in &next.configs {
        if let Some(text) = context.read_small(config)
            && imported_modules(&text)
                .iter()
                .any(|m| m.starts_with('.') || m.starts_with('/'))
        {
            return Err(format!("{config} loads other files of the app"));
        }
    }
    Ok(())
}

/// The Next config that sets `distDir` (next build then writes its
/// output, standalone server included, elsewhere than `.next`).
fn next_dist_dir(
    context: &BuildContext,
    rules: &NodeRules,
    a: &Analysis,
    app_dir: &str,
) -> Option<String> {
    rules.next.configs.iter().find_map(|name| {
        let source = context_file_for(a, &absolute(app_dir, name), context)?;
        let text = context.read_small(&source)?;
        text.lines()
            .any(|l| {
                let l = l.trim();
                !l.starts_with("//") && !l.starts_with('*') && l.contains("distDir")
            })
            .then(|| name.clone())
    })
}

/// Whether a Next config sets `output: 'standalone'` (on a line that is
/// not a comment).
fn sets_standalone(text: &str) -> bool {
    text.lines().any(|l| {
        let l = l.trim();
        !l.starts_with("//")
            && !l.starts_with('*')
            && l.contains("output")
            && (l.contains("'standalone'") || l.contains("\"standalone\""))
    })
}

/// `next start` of an app whose config makes the standalone server: the
/// `--unsafe` final stage runs `node server.js` from `.next/standalone`
/// with `.next/static` and `public` beside it, as Next documents for
/// containers. Unsafe: the image never ran that server, and the files it
/// traced may miss what the app loads at run time.
pub(super) fn standalone_alternative(
    app: &NodeApp,
    a: &Analysis,
    uses: &RuntimeUses,
    layout: &Layout,
) -> Option<UnsafeAlternative> {
    let (file, context, app_dir) = (app.file, app.context, app.app_dir);
    let config = standalone_config(context, app.rules, a, uses, app_dir, layout)?;
    if file
        .instructions
        .iter()
        .any(|i| i.keyword == Keyword::Entrypoint)
    {
        return None;
    }
    let cmd = file
        .instructions
        .iter()
        .rposition(|i| i.keyword == Keyword::Cmd)?;
    let env = server_env(a, uses)?;
    let ins = &file.instructions[cmd];
    let command = if ins.exec.is_some() {
        "[\"node\", \"server.js\"]".to_string()
    } else {
        "node server.js".to_string()
    };
    let artefacts = standalone_artefacts(file, context, a, app_dir, &config)?;
    Some(UnsafeAlternative {
        artefacts,
        builder_additions: Vec::new(),
        runtime_env: if env.is_empty() {
            Vec::new()
        } else {
            vec![env.join(" ")]
        },
        command_rewrites: vec![CommandRewrite {
            index: cmd,
            args: command,
            why: format!(
                "`next start`; {config} sets output: 'standalone', so next build made .next/standalone/server.js"
            ),
            needs_unsafe: true,
        }],
        why: format!(
            "{config} sets output: 'standalone', so the final stage runs Next's standalone server (`node server.js` from .next/standalone, with .next/static and public; no full node_modules) instead of `next start`: unsafe, since the image never ran that server, and the files Next traced for it may miss what the app loads at run time"
        ),
    })
}

/// The Next config that sets `output: 'standalone'`, when the command is
/// `next start` in the app's WORKDIR and reads no other app file, and
/// next build writes to `.next`.
fn standalone_config(
    context: &BuildContext,
    rules: &NodeRules,
    a: &Analysis,
    uses: &RuntimeUses,
    app_dir: &str,
    layout: &Layout,
) -> Option<String> {
    if !matches!(layout, Layout::NextApp | Layout::AppFolder)
        || !uses.next_start
        || !uses.app_files.is_empty()
        || a.final_workdir.as_deref() != Some(app_dir)
    {
        return None;
    }
    let config = rules.next.configs.iter().find_map(|name| {
        let source = context_file_for(a, &absolute(app_dir, name), context)?;
        let text = context.read_small(&source)?;
        sets_standalone(&text).then(|| name.clone())
    })?;
    if next_dist_dir(context, rules, a, app_dir).is_some() {
        return None;
    }
    Some(config)
}

/// The environment the standalone server gets for `next start`'s
/// options: `-p 8080 -H 0.0.0.0` become PORT and HOSTNAME, which it reads
/// instead; any other option has no equivalent (None).
fn server_env(a: &Analysis, uses: &RuntimeUses) -> Option<Vec<String>> {
    let mut env: Vec<String> = Vec::new();
    let mut hostname = "0.0.0.0".to_string();
    let args = uses.next_start_args.clone().unwrap_or_default();
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) => (f, Some(v.to_string())),
            None => (arg.as_str(), None),
        };
        let value = match flag {
            "-p" | "--port" | "-H" | "--hostname" => inline.or_else(|| iter.next().cloned())?,
            _ => return None,
        };
        if matches!(flag, "-H" | "--hostname") {
            hostname = value;
        } else if !value.contains('$') && !a.env.contains_key("PORT") {
            env.push(format!("PORT={value}"));
        }
    }
    if !a.env.contains_key("HOSTNAME") {
        env.insert(0, format!("HOSTNAME=\"{hostname}\""));
    }
    Some(env)
}

/// What the standalone final stage copies: the server, `.next/static`,
/// `public` and `.env` files beside it, and what COPY put outside the app
/// folder. None when `.dockerignore` has `!` exceptions, since what
/// reaches the builder is then unknown.
fn standalone_artefacts(
    file: &Dockerfile,
    context: &BuildContext,
    a: &Analysis,
    app_dir: &str,
    config: &str,
) -> Option<Vec<Artefact>> {
    let mut alt = a.clone();
    alt.artefacts.clear();
    let line = build_line(file, a, app_dir);
    alt.add_artefact(
        line,
        &absolute(app_dir, ".next/standalone"),
        app_dir,
        format!("line {line}: next build's standalone server ({config} sets output: 'standalone'); it writes its cache here"),
        true,
    );
    alt.add_artefact(
        line,
        &absolute(app_dir, ".next/static"),
        &absolute(app_dir, ".next/static"),
        format!(
            "line {line}: the browser assets next build made, which the standalone server serves"
        ),
        false,
    );
    // What reaches the builder is known only without `!` exceptions.
    if context
        .read_small(".dockerignore")
        .is_some_and(|t| t.lines().any(|l| l.trim_start().starts_with('!')))
    {
        return None;
    }
    let ignored = dockerignore(context);
    let public_copied = a.copies.iter().any(|c| {
        c.pairs.iter().any(|(s, r)| {
            let s = s.trim_start_matches("./").trim_end_matches('/');
            ((s == "." || s.is_empty())
                && r == app_dir
                && context.is_dir("public")
                && !ignored("public"))
                || (s == "public" && r == &absolute(app_dir, "public"))
        })
    });
    if public_copied {
        alt.add_artefact(
            line,
            &absolute(app_dir, "public"),
            &absolute(app_dir, "public"),
            "the public files the standalone server serves".to_string(),
            false,
        );
    }
    // .env files stay beside the server, which loads them from its folder.
    if whole_context_copy(a, app_dir) {
        for name in context.list(".") {
            if name.starts_with(".env") && context.is_file(&name) && !ignored(&name) {
                let path = absolute(app_dir, &name);
                alt.add_artefact(line, &path, &path, "the server loads it".to_string(), false);
            }
        }
    }
    outside_copies(file, &mut alt, app_dir, app_dir);
    Some(alt.artefacts)
}

/// The modules a JavaScript file imports: `require('x')`, `import('x')`,
/// `from 'x'`.
pub(super) fn imported_modules(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for opener in ["require(", "import(", "from "] {
        let mut rest = text;
        while let Some(pos) = rest.find(opener) {
            rest = &rest[pos + opener.len()..];
            let trimmed = rest.trim_start();
            let Some(quote) = trimmed
                .chars()
                .next()
                .filter(|c| matches!(c, '\'' | '"' | '`'))
            else {
                continue;
            };
            let body = &trimmed[1..];
            if let Some(end) = body.find(quote) {
                let module = &body[..end];
                if !module.is_empty() && !out.iter().any(|m| m == module) {
                    out.push(module.to_string());
                }
            }
        }
    }
    out
}

/// The npm package of a bare module specifier (`@next/mdx/x` →
/// `@next/mdx`); None for a relative path or a Node built-in.
pub(super) fn bare_package(module: &str) -> Option<String> {
    if module.starts_with('.') || module.starts_with('/') || module.starts_with("node:") {
        return None;
    }
    let mut parts = module.split('/');
    let first = parts.next()?;
    if first.starts_with('@') {
        Some(format!("{first}/{}", parts.next()?))
    } else {
        Some(first.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_imports() {
        let text = "const withMDX = require('@next/mdx')({});\nimport path from 'node:path';\nimport analyzer from \"@next/bundle-analyzer/plugin\";\nconst x = require('./lib/x');\n";
        let modules = imported_modules(text);
        assert_eq!(
            modules,
            vec![
                "@next/mdx",
                "./lib/x",
                "node:path",
                "@next/bundle-analyzer/plugin"
            ]
        );
        let packages: Vec<String> = modules.iter().filter_map(|m| bare_package(m)).collect();
        assert_eq!(packages, vec!["@next/mdx", "@next/bundle-analyzer"]);
    }

    #[test]
    fn standalone_output() {
        assert!(sets_standalone(
            "const c = {\n  output: 'standalone',\n};\n"
        ));
        assert!(sets_standalone(
            "module.exports = { output: \"standalone\" }\n"
        ));
        assert!(!sets_standalone(
            "// output: 'standalone',\nmodule.exports = {};\n"
        ));
        assert!(!sets_standalone("module.exports = { output: 'export' };\n"));
    }
}
