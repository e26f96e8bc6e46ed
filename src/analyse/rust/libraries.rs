//! System libraries the crates in Cargo.lock link (openssl-sys, libpq...)
//! and the runtime packages that bring them, plus the CA certificates a
//! native-TLS client reads. A dynamically linked binary fails to start or
//! to connect without them, and only Cargo.lock says which crates it has.

use super::ctx_join;
use super::project::{Project, context_file_of};
use crate::analyse::image::BaseImage;
use crate::analyse::packages::RuntimePackage;
use crate::analyse::{Analysis, absolute};
use crate::knowledge::{CargoKnowledge, Family, Knowledge};
use crate::parse::Dockerfile;
use crate::source::BuildContext;

/// System libraries the crates in Cargo.lock load at run time, and the CA
/// certificates a native-TLS client reads.
pub(super) fn crate_libraries(
    a: &mut Analysis,
    k: &Knowledge,
    cargo: &CargoKnowledge,
    projects: &[Project],
    context: &BuildContext,
    file: &Dockerfile,
    line: usize,
) {
    let b = a.builder.clone().expect("analysed builder");
    let (crates, without_lock) = locked_crates(file, a, context, projects);
    if let Some(manifest) = without_lock.first() {
        a.block_unless_unsafe(
            line,
            format!("{manifest} has dependencies but the build context has no Cargo.lock: msb cannot tell which system libraries they link"),
        );
    }
    library_packages(a, k, cargo, &b, &crates, line);
    ca_certificates(a, cargo, &b, &crates, !without_lock.is_empty());
}

/// The crates in the Cargo.lock of each project, and the manifests with
/// dependencies but no Cargo.lock in the build context.
fn locked_crates(
    file: &Dockerfile,
    a: &Analysis,
    context: &BuildContext,
    projects: &[Project],
) -> (Vec<String>, Vec<String>) {
    let mut crates: Vec<String> = Vec::new();
    let mut without_lock = Vec::new();
    for p in projects {
        let lock = context_file_of(file, a, context, &absolute(&p.root.image_dir, "Cargo.lock"))
            .or_else(|| {
                let beside = ctx_join(&p.root.ctx_dir, "Cargo.lock");
                context.is_file(&beside).then_some(beside)
            });
        match lock.and_then(|l| context.read_small(&l)) {
            Some(text) => crates.extend(lock_crates(&text)),
            None if p.root.manifest.has_dependencies
                || p.members.iter().any(|m| m.manifest.has_dependencies) =>
            {
                without_lock.push(ctx_join(&p.root.ctx_dir, "Cargo.toml"));
            }
            None => {}
        }
    }
    (crates, without_lock)
}

/// The runtime packages of the system libraries the crates link
/// (`crate_libs` of rust.toml, by the builder's family and release).
fn library_packages(
    a: &mut Analysis,
    k: &Knowledge,
    cargo: &CargoKnowledge,
    b: &BaseImage,
    crates: &[String],
    line: usize,
) {
    let release = match b.family {
        Family::Alpine => Some("default".to_string()),
        _ => b.release.clone(),
    };
    let table = k
        .family_packages(b.family)
        .and_then(|t| release.as_ref().and_then(|r| t.runtime_libs.get(r)));
    for (name, lib) in &cargo.crate_libs {
        if !crates.contains(name) || lib.built_in_with.iter().any(|c| crates.contains(c)) {
            continue;
        }
        let dev = match b.family {
            Family::Alpine => lib.alpine.clone(),
            _ => lib.debian.clone(),
        };
        let runtime = dev
            .as_ref()
            .and_then(|d| table.as_ref().and_then(|t| t.get(d)).cloned());
        match runtime {
            Some(libs) => {
                for lib in libs {
                    if !a.runtime_packages.iter().any(|p| p.name == lib) {
                        a.runtime_packages.push(RuntimePackage {
                            name: lib.clone(),
                            why: format!("Cargo.lock has {name}, which links {lib} at run time"),
                        });
                    }
                }
            }
            None => a.block_unless_unsafe(
                line,
                format!(
                    "Cargo.lock has {name}, which links a system library msb knows no runtime package for on {}",
                    b.written
                ),
            ),
        }
    }
}

/// CA certificates on a Debian runtime, when a crate reads the system's
/// roots or, without Cargo.lock, msb cannot tell.
fn ca_certificates(
    a: &mut Analysis,
    cargo: &CargoKnowledge,
    b: &BaseImage,
    crates: &[String],
    lock_missing: bool,
) {
    let reads_roots = cargo.tls_root_crates.iter().find(|c| crates.contains(c));
    if b.family != Family::Alpine && a.runtime_choice.as_ref().is_some_and(|c| c.key != "alpine") {
        let why = match (reads_roots, lock_missing) {
            (Some(c), _) => Some(format!(
                "Cargo.lock has {c}, which reads the system's CA certificates"
            )),
            (None, true) => Some("without Cargo.lock msb cannot tell whether the app makes TLS calls; the builder image had them".to_string()),
            (None, false) => None,
        };
        if let Some(why) = why
            && !a
                .runtime_packages
                .iter()
                .any(|p| p.name == cargo.ca_certificates)
        {
            a.runtime_packages.push(RuntimePackage {
                name: cargo.ca_certificates.clone(),
                why,
            });
        }
    }
}

/// The crate names of a Cargo.lock.
pub fn lock_crates(text: &str) -> Vec<String> {
    let Ok(table) = toml::from_str::<toml::Table>(text) else {
        return Vec::new();
    };
    let mut names: Vec<String> = table
        .get("package")
        .and_then(|p| p.as_array())
        .map(|list| {
            list.iter()
                .filter_map(|p| p.get("name").and_then(|n| n.as_str()))
                .map(String::from)
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names.dedup();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_lock_crates() {
        let lock = "version = 3\n\n[[package]]\nname = \"openssl-sys\"\nversion = \"0.9.99\"\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\n";
        assert_eq!(lock_crates(lock), vec!["app", "openssl-sys"]);
        assert!(lock_crates("not toml [").is_empty());
    }
}
