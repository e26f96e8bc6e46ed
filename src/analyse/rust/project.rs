//! The project a cargo command works on, read from the files COPY
//! brought from the build context: the Cargo.toml cargo finds from its
//! folder, the workspace root above it (where `target/` and Cargo.lock
//! are), the workspace's members, and the packages `-p`/`--workspace`/
//! default members select. Paths are image paths mapped back to context
//! files, since msb only sees the context.

use super::command::CargoCall;
use super::ctx_join;
use super::manifest::{Manifest, Workspace, read_manifest};
use crate::analyse::{Analysis, absolute, is_under, parent};
use crate::knowledge::glob_match;
use crate::parse::Dockerfile;
use crate::source::BuildContext;

/// The context file a COPY put at `image_path`, if any.
pub(super) fn context_file_of(
    file: &Dockerfile,
    a: &Analysis,
    context: &BuildContext,
    image_path: &str,
) -> Option<String> {
    for copy in a.copies.iter().rev() {
        if file.instructions[copy.index].flag("from").is_some() {
            continue;
        }
        for (src, root) in &copy.pairs {
            let s = src.trim_start_matches("./").trim_end_matches('/');
            let s = if s == "." { "" } else { s };
            if root == image_path && !s.contains('*') {
                if context.is_file(s) {
                    return Some(s.to_string());
                }
                continue;
            }
            if !is_under(image_path, root) || root == image_path {
                continue;
            }
            let rel = crate::analyse::relative_to(image_path, root).unwrap_or_default();
            let candidate = if s.contains('*') {
                // `COPY Cargo.* ./`: a file of the glob's folder.
                let (dir, glob) = s.rsplit_once('/').unwrap_or(("", s));
                if rel.contains('/') || !glob_match(glob, rel) {
                    continue;
                }
                ctx_join(dir, rel)
            } else if s.is_empty() || context.is_dir(s) {
                ctx_join(s, rel)
            } else {
                continue;
            };
            if context.is_file(&candidate) {
                return Some(candidate);
            }
        }
    }
    None
}

/// A package: its folder in the image and in the context, and its manifest.
#[derive(Debug, Clone)]
pub(super) struct Package {
    pub image_dir: String,
    pub ctx_dir: String,
    pub manifest: Manifest,
}

/// The project a cargo command works on: the manifest it finds, the
/// workspace root (where `target/` and Cargo.lock are), the members.
#[derive(Debug, Clone)]
pub(super) struct Project {
    pub manifest: Package,
    pub root: Package,
    pub members: Vec<Package>,
}

fn read_package(
    file: &Dockerfile,
    a: &Analysis,
    context: &BuildContext,
    image_dir: &str,
) -> Result<Option<Package>, String> {
    let Some(ctx_file) = context_file_of(file, a, context, &absolute(image_dir, "Cargo.toml"))
    else {
        return Ok(None);
    };
    let text = context
        .read_small(&ctx_file)
        .ok_or_else(|| format!("cannot read {ctx_file}"))?;
    let manifest = read_manifest(&text).map_err(|e| format!("cannot read {ctx_file}: {e}"))?;
    Ok(Some(Package {
        image_dir: image_dir.to_string(),
        ctx_dir: parent(&ctx_file),
        manifest,
    }))
}

/// Find the project of a cargo command run in `cwd` (the manifest in
/// `start` or a folder above it, as cargo searches) and its workspace.
pub(super) fn find_project(
    file: &Dockerfile,
    a: &Analysis,
    context: &BuildContext,
    start: &str,
    search_up: bool,
) -> Result<Project, String> {
    let mut dir = start.to_string();
    let manifest = loop {
        if let Some(p) = read_package(file, a, context, &dir)? {
            break p;
        }
        if !search_up || dir == "/" {
            return Err(format!(
                "finds no Cargo.toml at {start} that a COPY brought from the build context"
            ));
        }
        dir = parent(&dir);
    };
    // The workspace root: this manifest, or one above whose members hold it.
    let mut root = manifest.clone();
    if manifest.manifest.workspace.is_none() {
        let mut up = manifest.image_dir.clone();
        while up != "/" {
            up = parent(&up);
            if let Some(p) = read_package(file, a, context, &up)?
                && let Some(ws) = &p.manifest.workspace
            {
                let rel = crate::analyse::relative_to(&manifest.image_dir, &up).unwrap_or_default();
                if ws.members.iter().any(|m| glob_match(m, rel)) {
                    root = p;
                }
                break;
            }
        }
    }
    let mut members = Vec::new();
    if let Some(ws) = &root.manifest.workspace {
        for rel in expand_members(ws, &root.ctx_dir, context) {
            let image_dir = absolute(&root.image_dir, &rel);
            match read_package(file, a, context, &image_dir)? {
                Some(p) if p.manifest.package.is_some() => members.push(p),
                _ => {
                    return Err(format!(
                        "cannot read the workspace member {rel} of {}",
                        ctx_join(&root.ctx_dir, "Cargo.toml")
                    ));
                }
            }
        }
    }
    Ok(Project {
        manifest,
        root,
        members,
    })
}

/// Workspace member folders (context paths relative to the root), with
/// `crates/*` globs expanded and `exclude` left out.
fn expand_members(ws: &Workspace, root_ctx: &str, context: &BuildContext) -> Vec<String> {
    let mut out = Vec::new();
    for pattern in &ws.members {
        if pattern.contains('*') || pattern.contains('?') {
            let (dir, glob) = pattern.rsplit_once('/').unwrap_or(("", pattern));
            for entry in context.list(&ctx_join(root_ctx, dir)) {
                let rel = ctx_join(dir, &entry);
                if glob_match(glob, &entry)
                    && context.is_file(&ctx_join(root_ctx, &format!("{rel}/Cargo.toml")))
                {
                    out.push(rel);
                }
            }
        } else {
            out.push(pattern.clone());
        }
    }
    out.retain(|m| !ws.exclude.contains(m));
    out.dedup();
    out
}

/// The packages a cargo command selects (`-p`, `--workspace`, the
/// manifest's own package, a virtual workspace's default members).
pub(super) fn selected_packages(
    call: &CargoCall,
    project: &Project,
) -> Result<Vec<Package>, String> {
    let mut all: Vec<&Package> = project.members.iter().collect();
    if project.root.manifest.package.is_some()
        && !all.iter().any(|p| p.image_dir == project.root.image_dir)
    {
        all.push(&project.root);
    }
    if !call.packages.is_empty() {
        let mut out = Vec::new();
        for name in &call.packages {
            let found = all
                .iter()
                .find(|p| p.manifest.package.as_deref() == Some(name.as_str()))
                .ok_or_else(|| format!("-p {name}: no package of that name in the workspace"))?;
            out.push((*found).clone());
        }
        return Ok(out);
    }
    if call.workspace {
        return Ok(all
            .into_iter()
            .filter(|p| {
                !p.manifest
                    .package
                    .as_ref()
                    .is_some_and(|n| call.exclude.contains(n))
            })
            .cloned()
            .collect());
    }
    if project.manifest.manifest.package.is_some() {
        return Ok(vec![project.manifest.clone()]);
    }
    let ws = project
        .manifest
        .manifest
        .workspace
        .clone()
        .unwrap_or_default();
    if ws.default_members.is_empty() {
        return Ok(project.members.clone());
    }
    Ok(project
        .members
        .iter()
        .filter(|p| {
            let rel = &p.image_dir[project.root.image_dir.trim_end_matches('/').len()..];
            let rel = rel.trim_start_matches('/');
            ws.default_members.iter().any(|d| glob_match(d, rel))
        })
        .cloned()
        .collect())
}
