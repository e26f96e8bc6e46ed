//! Rust with cargo: which binaries `cargo build` and `cargo install` make
//! and where (profile, target triple, target folder, workspace members,
//! binary names from Cargo.toml), where RUN lines move them, how they link
//! (glibc, a static musl binary, Alpine's own dynamic musl), which system
//! libraries the crates in Cargo.lock load at run time, and `cargo run` in
//! ENTRYPOINT/CMD, rewritten to the binary it runs.
//!
//! The final stage gets each binary at the path the command runs it from
//! (a `cargo install`ed one, found through the rust image's PATH, lands in
//! /usr/local/bin), plus the files next to Cargo.toml the app reads at run
//! time (templates/, static/, Rocket.toml).
//!
//! By concern: `manifest` (Cargo.toml and the binaries a package builds),
//! `command` (a cargo command line), `project` (the workspace a command
//! works on, read through COPY), `output` (where cargo puts its binaries),
//! `builds` (what the RUN lines make and where it ends up), `launch` (what
//! ENTRYPOINT/CMD start), `cargo_run` (the rewrite), `image` (the builder
//! image), `linkage`, `runtime` (the runtime base), `libraries` (the
//! crates' system libraries), `files` (what the app reads at run time).

mod builds;
mod cargo_run;
mod command;
mod files;
mod image;
mod launch;
mod libraries;
mod linkage;
mod manifest;
mod output;
mod project;
mod runtime;

use crate::analyse::shell::Command;
use crate::analyse::{Analysis, from_line};
use crate::knowledge::{Family, Knowledge, LanguagePack};
use crate::parse::Dockerfile;
use crate::source::BuildContext;

pub use command::{CargoCall, parse_cargo};
pub use libraries::lock_crates;
pub use manifest::{BinTarget, Manifest, Workspace, package_bins, read_manifest};

/// How the binaries link, which decides the runtime base.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Linkage {
    /// Dynamically against the builder's glibc.
    Glibc,
    /// Static musl binaries: no libc needed.
    StaticMusl,
    /// Dynamically against musl (and libgcc_s), as Alpine's own Rust links.
    DynamicMusl,
}

/// A binary the build makes, with where it ends up in the builder.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RustBinary {
    pub name: String,
    /// Absolute paths in the builder, in the order RUN lines put it there.
    pub locations: Vec<String>,
    /// The line that built it.
    pub line: usize,
    /// Built for a static musl target.
    pub static_musl: bool,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct RustFacts {
    pub binaries: Vec<RustBinary>,
    pub linkage: Linkage,
    pub linkage_evidence: String,
}

pub fn analyse(
    file: &Dockerfile,
    context: &BuildContext,
    pack: &LanguagePack,
    k: &Knowledge,
    a: &mut Analysis,
) {
    let Some(cargo) = pack.cargo.clone() else {
        return;
    };
    let Some(builder) = a.builder.clone() else {
        return;
    };
    let from = from_line(file);
    let rust_image = pack.detect.images.contains(&builder.base_name);
    if !image::known_builder(&builder, rust_image, from, a) {
        return;
    }
    let mut builds = builds::collect(file, context, k, &cargo, a);
    // What ENTRYPOINT/CMD run: a binary by path or name, or `cargo run`.
    let workdir = a.final_workdir.clone().unwrap_or_else(|| "/".into());
    let builder_path = image::builder_path(a, &cargo, &builder.base_name, k);
    let started = launch::Started {
        file,
        context,
        k,
        cargo: &cargo,
        workdir: &workdir,
        builder_path: &builder_path,
        family: builder.family,
    };
    let destinations = started.check(&mut builds, a);
    launch::launch_programs(file, context, k, &builds.tools, a);
    if builds.binaries.is_empty() && a.unsafe_blockers.is_empty() {
        let line = builds
            .build_lines
            .last()
            .copied()
            .unwrap_or(file.instructions[a.last_build_index].line);
        a.block(
            line,
            "no `cargo build`/`cargo install --path` whose binary msb can name: cannot tell what to copy",
        );
    }
    launch::copy_binaries(&builds.binaries, &destinations, &builder_path, k, a);

    let (linkage, evidence) = linkage::linkage(
        a,
        &builds.binaries,
        &cargo,
        rust_image,
        builds.dynamic_rustflags,
    );
    let line = builds.build_lines.first().copied().unwrap_or(from);
    if linkage == Linkage::StaticMusl && builder.family == Family::Debian {
        // A static binary loads no shared library: the -dev packages stood
        // for nothing at run time.
        a.installed_packages
            .retain(|p| !p.ends_with("-dev") && !p.ends_with("-headers"));
    }
    runtime::runtime_choice(a, k, &cargo, linkage, &evidence, rust_image);
    if linkage != Linkage::StaticMusl {
        libraries::crate_libraries(a, k, &cargo, &builds.workspace_roots, context, file, line);
    }
    if let Some(release) = &builder.release
        && builder.family == Family::Debian
        && cargo.eol_debian_releases.contains(release)
        && a.runtime_choice.as_ref().is_some_and(|c| c.key == "debian")
    {
        image::archived_release(a, &builder.written, release, line);
    }
    files::command_files(file, context, pack, &workdir, a);
    files::runtime_files(file, context, pack, a);
    a.rust = Some(RustFacts {
        binaries: builds.binaries,
        linkage,
        linkage_evidence: evidence,
    });
}

/// Environment a cargo command sees: the stage's ENV, then its own.
fn env_of<'a>(a: &'a Analysis, c: Option<&'a Command>, name: &str) -> Option<&'a str> {
    c.and_then(|c| c.env.iter().rev().find(|(n, _)| n == name))
        .map(|(_, v)| v.as_str())
        .or_else(|| a.env.get(name).map(String::as_str))
        .filter(|v| !v.is_empty())
}

/// `dir/rel` for context paths, where `""` is the context's root.
fn ctx_join(dir: &str, rel: &str) -> String {
    let dir = dir.trim_end_matches('/');
    if dir.is_empty() || dir == "." {
        rel.to_string()
    } else if rel.is_empty() {
        dir.to_string()
    } else {
        format!("{dir}/{rel}")
    }
}

fn base_name(path: &str) -> &str {
    path.trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(path)
}
