//! Cargo.toml as msb reads it: the package's name, `default-run`,
//! `[[bin]]` targets and `autobins`, `[workspace]` members, and whether it
//! has dependencies; and the binaries a package builds from that and the
//! layout of its folder (src/main.rs, src/bin/*). Cargo names its binaries
//! from these, so this is where every binary name comes from.

use super::ctx_join;
use crate::source::BuildContext;

/// A `[[bin]]` target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BinTarget {
    pub name: String,
    pub path: Option<String>,
}

/// `[workspace]` of a Cargo.toml.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Workspace {
    pub members: Vec<String>,
    pub default_members: Vec<String>,
    pub exclude: Vec<String>,
}

/// What a Cargo.toml says, as far as msb needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// `[package] name` (dashes kept: the binary is named the same).
    pub package: Option<String>,
    pub default_run: Option<String>,
    /// `autobins` (true unless turned off): src/main.rs and src/bin/*.
    pub autobins: bool,
    pub bins: Vec<BinTarget>,
    pub workspace: Option<Workspace>,
    /// The manifest names dependencies (or is a workspace of crates that may).
    pub has_dependencies: bool,
}

fn strings(value: Option<&toml::Value>) -> Vec<String> {
    value
        .and_then(|v| v.as_array())
        .map(|list| {
            list.iter()
                .filter_map(|v| v.as_str())
                .map(|s| s.trim_start_matches("./").trim_end_matches('/').to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// Read a Cargo.toml.
pub fn read_manifest(text: &str) -> Result<Manifest, String> {
    let table: toml::Table = toml::from_str(text).map_err(|e| e.message().to_string())?;
    let package = table.get("package").and_then(|p| p.as_table());
    let name = package
        .and_then(|p| p.get("name"))
        .and_then(|n| n.as_str())
        .map(String::from);
    let default_run = package
        .and_then(|p| p.get("default-run"))
        .and_then(|n| n.as_str())
        .map(String::from);
    let autobins = package
        .and_then(|p| p.get("autobins"))
        .and_then(|v| v.as_bool())
        .unwrap_or(true);
    let mut bins = Vec::new();
    if let Some(list) = table.get("bin").and_then(|b| b.as_array()) {
        for bin in list {
            let bin_name = bin.get("name").and_then(|n| n.as_str());
            let path = bin
                .get("path")
                .and_then(|p| p.as_str())
                .map(|p| p.trim_start_matches("./").to_string());
            match (bin_name, &name) {
                (Some(n), _) => bins.push(BinTarget {
                    name: n.to_string(),
                    path,
                }),
                // A `[[bin]]` without a name is named after the package.
                (None, Some(p)) => bins.push(BinTarget {
                    name: p.clone(),
                    path,
                }),
                (None, None) => return Err("a [[bin]] has no name".into()),
            }
        }
    }
    let workspace = table
        .get("workspace")
        .and_then(|w| w.as_table())
        .map(|w| Workspace {
            members: strings(w.get("members")),
            default_members: strings(w.get("default-members")),
            exclude: strings(w.get("exclude")),
        });
    let has_dependencies = workspace.is_some()
        || table
            .get("dependencies")
            .and_then(|d| d.as_table())
            .is_some_and(|d| !d.is_empty())
        || table
            .get("target")
            .and_then(|t| t.as_table())
            .is_some_and(|t| {
                t.values().any(|cfg| {
                    cfg.get("dependencies")
                        .and_then(|d| d.as_table())
                        .is_some_and(|d| !d.is_empty())
                })
            });
    if name.is_none() && workspace.is_none() {
        return Err("it has neither [package] nor [workspace]".into());
    }
    Ok(Manifest {
        package: name,
        default_run,
        autobins,
        bins,
        workspace,
        has_dependencies,
    })
}

/// The binaries a package builds: its `[[bin]]` targets and, unless
/// `autobins = false`, `src/main.rs` (named after the package) and
/// `src/bin/*.rs` / `src/bin/*/main.rs`. `dir` is the package's folder in
/// the build context.
pub fn package_bins(m: &Manifest, dir: &str, context: &BuildContext) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut claimed: Vec<String> = Vec::new();
    for bin in &m.bins {
        let path = bin.path.clone().unwrap_or_else(|| {
            if Some(&bin.name) == m.package.as_ref() {
                "src/main.rs".to_string()
            } else {
                format!("src/bin/{}.rs", bin.name)
            }
        });
        claimed.push(path);
        if !names.contains(&bin.name) {
            names.push(bin.name.clone());
        }
    }
    if !m.autobins {
        return names;
    }
    if let Some(package) = &m.package
        && context.is_file(&ctx_join(dir, "src/main.rs"))
        && !claimed.iter().any(|p| p == "src/main.rs")
        && !names.contains(package)
    {
        names.push(package.clone());
    }
    let bin_dir = ctx_join(dir, "src/bin");
    for entry in context.list(&bin_dir) {
        let (name, path) = if let Some(stem) = entry.strip_suffix(".rs") {
            (stem.to_string(), format!("src/bin/{entry}"))
        } else if context.is_file(&ctx_join(&bin_dir, &format!("{entry}/main.rs"))) {
            (entry.clone(), format!("src/bin/{entry}/main.rs"))
        } else {
            continue;
        };
        if !claimed.contains(&path) && !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_package_bins_and_workspace() {
        let m = read_manifest(
            r#"
[package]
name = "my-app"
version = "0.1.0"
default-run = "server"

[[bin]]
name = "server"
path = "src/main.rs"

[[bin]]
name = "migrate"

[dependencies]
serde = "1"
"#,
        )
        .unwrap();
        assert_eq!(m.package.as_deref(), Some("my-app"));
        assert_eq!(m.default_run.as_deref(), Some("server"));
        assert_eq!(
            m.bins,
            vec![
                BinTarget {
                    name: "server".into(),
                    path: Some("src/main.rs".into())
                },
                BinTarget {
                    name: "migrate".into(),
                    path: None
                }
            ]
        );
        assert!(m.autobins && m.has_dependencies && m.workspace.is_none());

        let w = read_manifest(
            "[workspace]\nmembers = [\"crates/*\", \"./api/\"]\ndefault-members = [\"api\"]\nexclude = [\"crates/old\"]\n",
        )
        .unwrap();
        assert_eq!(w.package, None);
        let ws = w.workspace.unwrap();
        assert_eq!(ws.members, vec!["crates/*", "api"]);
        assert_eq!(ws.default_members, vec!["api"]);
        assert_eq!(ws.exclude, vec!["crates/old"]);

        assert!(read_manifest("[dependencies]\nx = \"1\"\n").is_err());
        assert!(read_manifest("[package\nname = 1").is_err());
        let lonely = read_manifest("[package]\nname = \"x\"\nautobins = false\n").unwrap();
        assert!(!lonely.autobins && !lonely.has_dependencies);
    }

    #[test]
    fn names_binaries_from_the_package_layout() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("app/src/bin/tool")).unwrap();
        std::fs::write(root.join("app/src/main.rs"), "fn main() {}").unwrap();
        std::fs::write(root.join("app/src/bin/seed.rs"), "fn main() {}").unwrap();
        std::fs::write(root.join("app/src/bin/tool/main.rs"), "fn main() {}").unwrap();
        std::fs::write(root.join("app/src/bin/notes.txt"), "").unwrap();
        let context = BuildContext::new(root);
        let m = read_manifest("[package]\nname = \"web-api\"\n").unwrap();
        assert_eq!(
            package_bins(&m, "app", &context),
            vec!["web-api", "seed", "tool"]
        );
        // An explicit [[bin]] for src/main.rs renames the default binary.
        let m = read_manifest(
            "[package]\nname = \"web-api\"\n[[bin]]\nname = \"server\"\npath = \"src/main.rs\"\n",
        )
        .unwrap();
        assert_eq!(
            package_bins(&m, "app", &context),
            vec!["server", "seed", "tool"]
        );
        let m = read_manifest("[package]\nname = \"web-api\"\nautobins = false\n").unwrap();
        assert!(package_bins(&m, "app", &context).is_empty());
    }
}
