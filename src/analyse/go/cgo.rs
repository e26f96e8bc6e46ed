//! Whether every binary the final stage gets is static: built with cgo
//! off (the file says so, or an Alpine builder without a C compiler on Go
//! 1.20+), so that it runs on any base; otherwise it may link the
//! builder's libc, and the runtime must have the same one.

use super::builds::Builds;
use super::go_minor;
use crate::analyse::Analysis;
use crate::knowledge::{Family, Knowledge, LanguagePack};
use crate::parse::Dockerfile;
use crate::source::BuildContext;

/// How the binaries link, with the evidence.
pub(super) struct Linkage {
    /// No binary can link libc (cgo off).
    pub static_binary: bool,
    /// The file turns cgo off itself, rather than msb inferring it.
    pub static_explicit: bool,
    pub evidence: String,
}

pub(super) fn linkage(
    file: &Dockerfile,
    context: &BuildContext,
    pack: &LanguagePack,
    k: &Knowledge,
    builds: &Builds,
    a: &mut Analysis,
) -> Linkage {
    let mut states: Vec<Option<String>> = builds
        .binaries
        .iter()
        .filter(|b| a.artefacts.iter().any(|x| b.locations.contains(&x.from)))
        .map(|b| b.cgo_off.clone())
        .collect();
    if builds.install_patterns {
        states.extend(builds.pattern_cgo.iter().cloned());
    }
    let mut cgo_off_evidence: Option<String> = if states.iter().all(Option::is_some) {
        states
            .into_iter()
            .flatten()
            .next_back()
            .or(builds.env_cgo_off.clone())
    } else {
        None
    };
    let static_explicit = cgo_off_evidence.is_some();
    let builder = a.builder.clone();
    if cgo_off_evidence.is_none()
        && let Some(b) = &builder
        && b.family == Family::Alpine
    {
        let has_cc = a
            .installed_packages
            .iter()
            .any(|p| k.commands.c_compilers.contains(p));
        let old_go = go_minor(&b.version).is_some_and(|m| m < 20);
        if !has_cc && !old_go {
            cgo_off_evidence = Some(format!(
                "{} has no C compiler and none is installed: Go 1.20+ then builds with cgo off",
                b.written
            ));
        }
    }
    let static_binary = cgo_off_evidence.is_some();
    let evidence = cgo_off_evidence.unwrap_or_else(|| {
        let mut why = String::from("CGO_ENABLED is not 0");
        if let Some(b) = &builder
            && (b.has_tool("gcc")
                || a.installed_packages
                    .iter()
                    .any(|p| p == "gcc" || p == "build-base"))
        {
            why.push_str(&format!(" and {} has gcc", b.written));
        }
        if context
            .read_small("go.mod")
            .is_some_and(|m| m.contains("mattn/go-sqlite3"))
        {
            why.push_str("; go.mod requires mattn/go-sqlite3, a cgo package");
        }
        why.push_str(": the binary may link libc dynamically");
        why
    });
    if !static_binary
        && let Some(b) = &builder
        && !pack.detect.images.contains(&b.base_name)
    {
        let from = crate::analyse::from_line(file);
        a.block(
            from,
            format!("cgo may be on and {} is not a golang image: msb cannot match the libc the binary links", b.written),
        );
    }
    Linkage {
        static_binary,
        static_explicit,
        evidence,
    }
}
