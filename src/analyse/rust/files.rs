//! Files the app reads at run time, which the final stage needs besides
//! the binary: files ENTRYPOINT/CMD name in their arguments, asset folders
//! and config files (templates/, static/, Rocket.toml) that a COPY of a
//! crate folder brought in, and anything else copied that is not code.

use super::command::parse_cargo;
use super::project::context_file_of;
use super::{base_name, ctx_join};
use crate::analyse::shell;
use crate::analyse::{Analysis, absolute};
use crate::knowledge::{LanguagePack, glob_match};
use crate::parse::{Dockerfile, Keyword};
use crate::source::BuildContext;

/// Files ENTRYPOINT/CMD name in their arguments (`--config
/// /app/config.toml`, `--targets targets.txt`) that a COPY brought from
/// the build context: the app reads them at run time.
pub(super) fn command_files(
    file: &Dockerfile,
    context: &BuildContext,
    pack: &LanguagePack,
    workdir: &str,
    a: &mut Analysis,
) {
    for kw in [Keyword::Entrypoint, Keyword::Cmd] {
        let Some(index) = file.instructions.iter().rposition(|i| i.keyword == kw) else {
            continue;
        };
        let ins = &file.instructions[index];
        let mut words: Vec<String> = match &ins.exec {
            Some(w) => w.iter().skip(1).cloned().collect(),
            None => shell::commands(&ins.args)
                .iter()
                .flat_map(|c| c.args().to_vec())
                .collect(),
        };
        // A rewritten `cargo run` keeps only the program's arguments.
        if a.command_rewrites.iter().any(|r| r.index == index) {
            let mut all = vec!["cargo".to_string()];
            all.extend(words);
            words = parse_cargo(&all)
                .map(|c| c.program_args)
                .unwrap_or_default();
        }
        for word in words {
            let value = word.split_once('=').map_or(word.as_str(), |(_, v)| v);
            if value.is_empty() || value.contains('$') || value.starts_with('-') {
                continue;
            }
            let path = absolute(workdir, value);
            if let Some(ctx) = context_file_of(file, a, context, &path)
                && !is_code_source(&ctx, context, pack)
                && !a.is_copied(&path)
            {
                a.add_artefact(
                    ins.line,
                    &path,
                    &path,
                    format!("line {}: {} names it", ins.line, kw.as_str()),
                    false,
                );
            }
        }
    }
}

/// Whether a context entry is Rust code or a crate (never needed at run
/// time: the binary has it compiled in).
fn is_code_source(src: &str, context: &BuildContext, pack: &LanguagePack) -> bool {
    let s = src.trim_start_matches("./").trim_end_matches('/');
    s.is_empty()
        || s == "."
        || s.ends_with(".rs")
        || pack
            .steps
            .dep_manifests
            .iter()
            .any(|g| glob_match(g, base_name(s)))
        // `COPY go.* ./`, `COPY Cargo.* ./`: a glob of the manifests.
        || (s.contains('*') && pack.steps.dep_manifests.iter().any(|m| glob_match(s, m)))
        || pack.code_dirs.iter().any(|d| d == s)
        || context.is_file(&ctx_join(s, "Cargo.toml"))
        || context.list(s).iter().any(|f| f.ends_with(".rs"))
}

/// Files the app reads at run time: asset folders and config files that a
/// COPY of a crate folder brought in, and anything else copied that is not
/// code (an entrypoint script, a config file).
///
/// Not shared with Go's `runtime_files`: this one walks each crate folder
/// a COPY brings (not only the context root), skips COPY --from, and keeps
/// the context's order for the files it adds; see the Go one for the rest.
pub(super) fn runtime_files(
    file: &Dockerfile,
    context: &BuildContext,
    pack: &LanguagePack,
    a: &mut Analysis,
) {
    let copies = a.copies.clone();
    for copy in copies.iter().filter(|c| !c.manifest_only) {
        if file.instructions[copy.index].flag("from").is_some() {
            continue;
        }
        let line = file.instructions[copy.index].line;
        for (src, root) in &copy.pairs {
            let s = src.trim_start_matches("./").trim_end_matches('/');
            let s = if s == "." { "" } else { s };
            let whole_crate = s.is_empty() || context.is_file(&ctx_join(s, "Cargo.toml"));
            if !whole_crate {
                if !is_code_source(src, context, pack) && !a.is_copied(root) {
                    a.add_artefact(
                        line,
                        root,
                        root,
                        format!("line {line}: copied from the build context"),
                        false,
                    );
                }
                continue;
            }
            let mut left_out = Vec::new();
            for name in context.list(if s.is_empty() { "." } else { s }) {
                let ctx = ctx_join(s, &name);
                let path = absolute(root, &name);
                let named_elsewhere = copies.iter().any(|c| {
                    c.sources
                        .iter()
                        .any(|src| src.trim_start_matches("./").trim_end_matches('/') == ctx)
                });
                if pack.not_runtime.iter().any(|g| glob_match(g, &name))
                    || pack.code_dirs.contains(&name)
                    || named_elsewhere
                    || a.is_copied(&path)
                {
                    continue;
                }
                if context.is_dir(&ctx) && pack.runtime_asset_dirs.contains(&name) {
                    a.add_artefact(
                        line,
                        &path,
                        &path,
                        format!("line {line}: {name}/ is read at run time"),
                        // The original ran the app as root: it could write there.
                        true,
                    );
                } else if context.is_file(&ctx)
                    && pack
                        .runtime_asset_files
                        .iter()
                        .any(|g| glob_match(g, &name))
                {
                    a.add_artefact(
                        line,
                        &path,
                        &path,
                        format!("line {line}: {name} may be read at run time"),
                        false,
                    );
                } else if !is_code_source(&ctx, context, pack) {
                    left_out.push(name);
                }
            }
            if !left_out.is_empty() {
                a.warnings.push(format!(
                    "line {line}: the build context also has {}, not copied to the final stage; if the app reads them at run time, copy them",
                    left_out.join(", ")
                ));
            }
        }
    }
}
