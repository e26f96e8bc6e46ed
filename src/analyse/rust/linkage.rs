//! How the binaries link (glibc, static musl, Alpine's dynamic musl), from
//! the builder's family, Alpine's own Rust packages, the target triple and
//! RUSTFLAGS. The linkage decides the runtime base and whether the crates'
//! system libraries matter.

use super::{Linkage, RustBinary};
use crate::analyse::Analysis;
use crate::knowledge::{CargoKnowledge, Family};

/// How the binaries link, with the evidence.
pub(super) fn linkage(
    a: &Analysis,
    binaries: &[RustBinary],
    cargo: &CargoKnowledge,
    rust_image: bool,
    dynamic_rustflags: Option<usize>,
) -> (Linkage, String) {
    let b = a.builder.as_ref().expect("analysed builder");
    let distro_rust: Vec<&String> = a
        .installed_packages
        .iter()
        .filter(|p| cargo.distro_rust_packages.contains(p))
        .collect();
    if b.family == Family::Alpine {
        if !distro_rust.is_empty() && !rust_image {
            return (
                Linkage::DynamicMusl,
                format!(
                    "Alpine's own Rust ({}) links binaries against musl and libgcc_s dynamically",
                    distro_rust
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
        if let Some(line) = dynamic_rustflags {
            return (
                Linkage::DynamicMusl,
                format!(
                    "line {line}: RUSTFLAGS turns crt-static off, so the binary links musl dynamically"
                ),
            );
        }
        return (
            Linkage::StaticMusl,
            format!(
                "{} builds for musl, which links crt-static by default",
                b.written
            ),
        );
    }
    if !binaries.is_empty() && binaries.iter().all(|x| x.static_musl) {
        if let Some(line) = dynamic_rustflags {
            return (
                Linkage::Glibc,
                format!("line {line}: RUSTFLAGS turns crt-static off for a musl target"),
            );
        }
        return (
            Linkage::StaticMusl,
            format!(
                "line {}: cargo builds for a musl target, which links crt-static by default",
                binaries[0].line
            ),
        );
    }
    (
        Linkage::Glibc,
        format!("{} links Rust binaries against its glibc", b.written),
    )
}
