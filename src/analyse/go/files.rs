//! Files next to the code that the app reads at run time: asset folders,
//! config files, and anything a COPY brought that is not Go code.

use crate::analyse::Analysis;
use crate::knowledge::{LanguagePack, glob_match};
use crate::parse::Dockerfile;
use crate::source::BuildContext;

fn is_code_source(src: &str, context: &BuildContext, pack: &LanguagePack) -> bool {
    let s = src.trim_start_matches("./").trim_end_matches('/');
    s.is_empty()
        || s == "."
        || s.ends_with(".go")
        || pack.steps.dep_manifests.iter().any(|g| glob_match(g, s))
        // `COPY go.* ./`, `COPY Cargo.* ./`: a glob of the manifests.
        || (s.contains('*') && pack.steps.dep_manifests.iter().any(|m| glob_match(s, m)))
        || pack.code_dirs.iter().any(|d| d == s)
        || context.list(s).iter().any(|f| f.ends_with(".go"))
}

/// Files the app reads at run time: asset folders and config files that a
/// COPY brought in with the code, and anything copied that is not code
/// (an entrypoint script, a config file).
///
/// Kept apart from Rust's `runtime_files` on purpose: more differs than
/// what counts as code. Go looks only at the root of the context (a Go
/// build copies it whole), where Rust walks every crate folder a COPY
/// brings; Go adds the asset folders in go.toml's order and then the
/// config files, Rust in the order the context lists them; and Go matches
/// the manifests against the whole path (`vendor/vendor.json`), Rust
/// against the file name. One function would need a flag for each, and
/// the order of the final stage's COPY lines would change.
pub(super) fn runtime_files(
    file: &Dockerfile,
    context: &BuildContext,
    pack: &LanguagePack,
    a: &mut Analysis,
) {
    let copies = a.copies.clone();
    for copy in copies.iter().filter(|c| !c.manifest_only) {
        let line = file.instructions[copy.index].line;
        for (src, root) in &copy.pairs {
            let s = src.trim_start_matches("./").trim_end_matches('/');
            if s.is_empty() || s == "." {
                let left_out: Vec<String> = context
                    .list(".")
                    .into_iter()
                    .filter(|name| {
                        !pack.not_runtime.iter().any(|g| glob_match(g, name))
                            && !pack.runtime_asset_dirs.contains(name)
                            && !pack.runtime_asset_files.iter().any(|g| glob_match(g, name))
                            && !is_code_source(name, context, pack)
                            && !copies.iter().any(|c| {
                                c.sources.iter().any(|src| {
                                    src.trim_start_matches("./").trim_end_matches('/') == name
                                })
                            })
                            && !a.is_copied(&format!("{}/{name}", root.trim_end_matches('/')))
                    })
                    .collect();
                if !left_out.is_empty() {
                    a.warnings.push(format!(
                        "line {line}: the build context also has {}, not copied to the final stage; if the app reads them at run time, copy them",
                        left_out.join(", ")
                    ));
                }
                for dir in &pack.runtime_asset_dirs {
                    if context.is_dir(dir) {
                        let path = format!("{}/{dir}", root.trim_end_matches('/'));
                        a.add_artefact(
                            line,
                            &path,
                            &path,
                            format!("line {line}: {dir}/ is read at run time"),
                            // The original ran the app as root: it could write there.
                            true,
                        );
                    }
                }
                for name in context.list(".") {
                    // Checked first: compose files and tool configs are YAML too.
                    if context.is_file(&name)
                        && !pack.not_runtime.iter().any(|g| glob_match(g, &name))
                        && pack
                            .runtime_asset_files
                            .iter()
                            .any(|g| glob_match(g, &name))
                    {
                        let path = format!("{}/{name}", root.trim_end_matches('/'));
                        a.add_artefact(
                            line,
                            &path,
                            &path,
                            format!("line {line}: {name} may be read at run time"),
                            false,
                        );
                    }
                }
            } else if !is_code_source(src, context, pack) && !a.is_copied(root) {
                a.add_artefact(
                    line,
                    root,
                    root,
                    format!("line {line}: copied from the build context"),
                    false,
                );
            }
        }
    }
}
