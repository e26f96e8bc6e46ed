//! Which runtime base the final stage gets (`runtime_base` templates of
//! rust.toml): Debian slim of the builder's release, Alpine, the builder
//! image itself, from the family and the linkage; and the packages Alpine's
//! dynamically linked Rust binaries need.

use std::collections::BTreeMap;

use super::Linkage;
use crate::analyse::packages::RuntimePackage;
use crate::analyse::{Analysis, RuntimeChoice};
use crate::knowledge::{CargoKnowledge, Family, Knowledge};

/// Which `runtime_base` template, and why.
pub(super) fn runtime_choice(
    a: &mut Analysis,
    k: &Knowledge,
    cargo: &CargoKnowledge,
    linkage: Linkage,
    evidence: &str,
    rust_image: bool,
) {
    let b = a.builder.clone().expect("analysed builder");
    let mut vars = BTreeMap::new();
    vars.insert("builder_tag".to_string(), b.tag.clone());
    vars.insert("builder_image".to_string(), b.repository.clone());
    let mut why = format!(" ({evidence})");
    let key = match (b.family, linkage) {
        (Family::Alpine, _) if b.base_name == "alpine" && !rust_image => "builder_alpine",
        (Family::Alpine, Linkage::DynamicMusl) => "alpine_dynamic",
        (Family::Alpine, _) => "alpine",
        (_, Linkage::StaticMusl) => {
            // Packages other than build tools and headers (a program the
            // app calls) are Debian names: they keep a Debian runtime.
            let build_only = k
                .family_packages(Family::Debian)
                .map(|t| t.build_only.clone())
                .unwrap_or_default();
            let carried: Vec<&String> = a
                .installed_packages
                .iter()
                .filter(|p| !build_only.contains(p) && !a.removed_packages.contains(p))
                .collect();
            if carried.is_empty() {
                "alpine"
            } else {
                why = format!(
                    " ({evidence}; the builder installs {}, so the runtime stays Debian)",
                    carried
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                "debian"
            }
        }
        (_, _) if b.release.is_some() => "debian",
        (_, _) => "builder_image",
    };
    if b.family == Family::Alpine && linkage == Linkage::DynamicMusl {
        for package in &cargo.distro_rust_runtime.alpine {
            if !a.runtime_packages.iter().any(|p| p.name == *package) {
                a.runtime_packages.push(RuntimePackage {
                    name: package.clone(),
                    why: evidence.to_string(),
                });
            }
        }
    }
    a.runtime_choice = Some(RuntimeChoice {
        key: key.to_string(),
        vars,
        why,
    });
}
