//! The system libraries the installed packages load at run time
//! (`psycopg2` built from source needs libpq): the packages come from the
//! requirement files the installs read (and the files those include), the
//! names on a `pip install` line and the project's manifests and lock
//! files; python.toml says which library each one loads.

use super::installs::Installs;
use crate::analyse::Analysis;
use crate::knowledge::{Knowledge, LanguagePack};
use crate::source::BuildContext;

/// The runtime packages for what the installs name, inline and in their
/// project files.
pub(super) fn runtime_libraries(
    installs: &Installs,
    context: &BuildContext,
    pack: &LanguagePack,
    k: &Knowledge,
    a: &mut Analysis,
) {
    let mut inline: Vec<(String, String)> = installs
        .inline_packages
        .iter()
        .map(|p| (requirement_name(p), "pip install".to_string()))
        .collect();
    for f in &installs.project_files {
        if let Some(text) = context.read_small(f) {
            inline.extend(
                project_dependencies(f, &text)
                    .into_iter()
                    .map(|n| (n, f.clone())),
            );
        }
    }
    requirement_libs(&installs.requirement_files, inline, context, pack, k, a);
}

/// Packages named in requirement files or on a `pip install` line that
/// load a system library at run time (`psycopg2` built from source needs
/// libpq).
fn requirement_libs(
    files: &[String],
    // (requirement name, where it was named)
    mut named: Vec<(String, String)>,
    context: &BuildContext,
    pack: &LanguagePack,
    _k: &Knowledge,
    a: &mut Analysis,
) {
    let Some(builder) = a.builder.as_ref() else {
        return;
    };
    // The final stage is the vendor's image again, which built these
    // packages against the libraries it has.
    if builder.vendor_runtime.is_some() {
        return;
    }
    let family = builder.family;
    named.extend(requirement_file_names(files, context));
    for (name, source) in named {
        let Some(libs) = pack.requirement_libs.get(&name) else {
            continue;
        };
        let list = match family {
            crate::knowledge::Family::Debian => &libs.debian,
            crate::knowledge::Family::Alpine => &libs.alpine,
            _ => continue,
        };
        for lib in list {
            if !a.runtime_packages.iter().any(|p| p.name == *lib) {
                a.runtime_packages
                    .push(crate::analyse::packages::RuntimePackage {
                        name: lib.clone(),
                        why: format!("{source} needs {name}, which loads it at run time"),
                    });
            }
        }
    }
}

/// The requirement names of the requirement files, following `-r` to the
/// files they include (at most 33 files): (name, the file that names it).
fn requirement_file_names(files: &[String], context: &BuildContext) -> Vec<(String, String)> {
    let mut named = Vec::new();
    let mut seen = Vec::new();
    let mut queue: Vec<String> = files.to_vec();
    while let Some(f) = queue.pop() {
        if seen.contains(&f) || seen.len() > 32 {
            continue;
        }
        seen.push(f.clone());
        let Some(text) = context.read_small(&f) else {
            continue;
        };
        let dir = f
            .rsplit_once('/')
            .map(|(d, _)| d.to_string())
            .unwrap_or_default();
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or("").trim();
            if let Some(nested) = line
                .strip_prefix("-r ")
                .or_else(|| line.strip_prefix("--requirement "))
            {
                let nested = nested.trim();
                queue.push(if dir.is_empty() {
                    nested.to_string()
                } else {
                    format!("{dir}/{nested}")
                });
                continue;
            }
            named.push((requirement_name(line), f.clone()));
        }
    }
    named
}

/// The package names a project manifest or lock file names:
/// `[project] dependencies` and `[tool.poetry.dependencies]` of
/// pyproject.toml, the `[[package]]` entries of poetry.lock and uv.lock,
/// `[packages]` of a Pipfile, `default` of Pipfile.lock.
fn project_dependencies(path: &str, text: &str) -> Vec<String> {
    let name = crate::analyse::basename(path);
    let mut out = Vec::new();
    if name == "Pipfile.lock" {
        if let Ok(json) = serde_json::from_str::<serde_json::Value>(text)
            && let Some(default) = json.get("default").and_then(|d| d.as_object())
        {
            out.extend(default.keys().map(|k| requirement_name(k)));
        }
        return out;
    }
    let Ok(doc) = text.parse::<toml::Table>() else {
        return out;
    };
    let keys = |v: Option<&toml::Value>| -> Vec<String> {
        v.and_then(|t| t.as_table())
            .map(|t| t.keys().map(|k| requirement_name(k)).collect())
            .unwrap_or_default()
    };
    match name {
        "pyproject.toml" => {
            if let Some(deps) = doc
                .get("project")
                .and_then(|p| p.get("dependencies"))
                .and_then(|d| d.as_array())
            {
                out.extend(deps.iter().filter_map(|d| d.as_str()).map(requirement_name));
            }
            let poetry = doc.get("tool").and_then(|t| t.get("poetry"));
            out.extend(keys(poetry.and_then(|p| p.get("dependencies"))));
        }
        "poetry.lock" | "uv.lock" => {
            if let Some(packages) = doc.get("package").and_then(|p| p.as_array()) {
                out.extend(
                    packages
                        .iter()
                        .filter_map(|p| p.get("name").and_then(|n| n.as_str()))
                        .map(requirement_name),
                );
            }
        }
        "Pipfile" => out.extend(keys(doc.get("packages"))),
        _ => {}
    }
    out.retain(|n| !n.is_empty() && n != "python");
    out
}

/// `Psycopg2_binary[extra]>=2.9` → `psycopg2-binary`.
pub(super) fn requirement_name(spec: &str) -> String {
    spec.trim()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_' || *c == '.')
        .collect::<String>()
        .to_ascii_lowercase()
        .replace('_', "-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_project_dependencies() {
        let pyproject = "[project]\nname = \"x\"\ndependencies = [\"psycopg2>=2.9\", \"Flask[async]\"]\n[tool.poetry.dependencies]\npython = \"^3.12\"\nmysqlclient = \"^2.2\"\n";
        assert_eq!(
            project_dependencies("pyproject.toml", pyproject),
            vec!["psycopg2", "flask", "mysqlclient"]
        );
        let lock = "[[package]]\nname = \"psycopg2\"\nversion = \"2.9.9\"\n\n[[package]]\nname = \"Django\"\nversion = \"5.0\"\n";
        assert_eq!(
            project_dependencies("api/poetry.lock", lock),
            vec!["psycopg2", "django"]
        );
        let pipfile = "[packages]\npsycopg2 = \"*\"\n\n[dev-packages]\npytest = \"*\"\n";
        assert_eq!(project_dependencies("Pipfile", pipfile), vec!["psycopg2"]);
        let pipfile_lock =
            r#"{"default": {"mysqlclient": {"version": "==2.2.4"}}, "develop": {"pytest": {}}}"#;
        assert_eq!(
            project_dependencies("Pipfile.lock", pipfile_lock),
            vec!["mysqlclient"]
        );
        assert!(project_dependencies("pyproject.toml", "not toml [").is_empty());
    }
}
