//! The app's package.json as the build context has it: found through the
//! COPY that put it in the app folder, with its dependencies, scripts and
//! `packageManager`. Also what package.json implies on its own: install
//! scripts that write outside the app folder, and dependencies that load
//! a system library at run time.

use serde_json::Value;

use super::Blocked;
use crate::analyse::{Analysis, absolute, is_under, shell};
use crate::knowledge::{Family, LanguagePack, glob_match};
use crate::parse::Dockerfile;
use crate::source::BuildContext;

/// Everything the Node analysis reads from the build context.
pub(super) struct Manifest {
    /// Context path of the app's package.json.
    pub path: Option<String>,
    pub json: Value,
}

impl Manifest {
    /// The package.json a COPY put in the app folder; Null when there is
    /// none or it is not JSON.
    pub(super) fn read(a: &Analysis, app_dir: &str, context: &BuildContext) -> Manifest {
        let path = context_file_for(a, &absolute(app_dir, "package.json"), context);
        Manifest {
            json: path
                .as_deref()
                .and_then(|p| context.read_small(p))
                .and_then(|t| serde_json::from_str(&t).ok())
                .unwrap_or(Value::Null),
            path,
        }
    }

    pub(super) fn deps(&self, field: &str) -> Vec<String> {
        self.json
            .get(field)
            .and_then(Value::as_object)
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default()
    }

    pub(super) fn has_dep(&self, name: &str) -> bool {
        self.deps("dependencies").iter().any(|d| d == name)
    }

    pub(super) fn has_dev_dep(&self, name: &str) -> bool {
        self.deps("devDependencies").iter().any(|d| d == name)
            && !self.has_dep(name)
            && !self.deps("optionalDependencies").iter().any(|d| d == name)
    }

    pub(super) fn script(&self, name: &str) -> Option<String> {
        self.json
            .get("scripts")?
            .get(name)?
            .as_str()
            .map(String::from)
    }

    /// `packageManager: "pnpm@9.1.0+sha512..."` → (`pnpm`, `9.1.0`).
    pub(super) fn package_manager(&self) -> Option<(String, String)> {
        let pm = self.json.get("packageManager")?.as_str()?;
        let (name, version) = pm.split_once('@')?;
        let version = version.split('+').next().unwrap_or(version);
        Some((name.to_string(), version.to_string()))
    }
}

/// The context file that a COPY put at `image_path`, if one did.
pub(super) fn context_file_for(
    a: &Analysis,
    image_path: &str,
    context: &BuildContext,
) -> Option<String> {
    for copy in a.copies.iter().rev() {
        for (src, root) in copy.pairs.iter().rev() {
            let src = src.trim_start_matches("./");
            if root == image_path {
                if context.is_file(src) {
                    return Some(src.to_string());
                }
                continue;
            }
            if !is_under(image_path, root) {
                continue;
            }
            let rel = crate::analyse::relative_to(image_path, root).unwrap_or_default();
            let candidate = if src.contains('*') {
                let (dir, pattern) = src.rsplit_once('/').unwrap_or(("", src));
                if !glob_match(pattern, rel) {
                    continue;
                }
                if dir.is_empty() {
                    rel.to_string()
                } else {
                    format!("{dir}/{rel}")
                }
            } else if src == "." || src.is_empty() {
                rel.to_string()
            } else {
                format!("{}/{rel}", src.trim_end_matches('/'))
            };
            if context.is_file(&candidate) {
                return Some(candidate);
            }
        }
    }
    None
}

/// The line of the COPY that brought package.json, for reasons about it.
pub(super) fn manifest_line(file: &Dockerfile, a: &Analysis, app_dir: &str, from: usize) -> usize {
    a.copies
        .iter()
        .find(|c| {
            c.pairs.iter().any(|(s, r)| {
                let s = s.trim_start_matches("./").trim_end_matches('/');
                (s.contains("package") || s == "." || s.is_empty())
                    && is_under(&absolute(app_dir, "package.json"), r)
            })
        })
        .map_or(from, |c| file.instructions[c.index].line)
}

/// One app: not a monorepo (workspaces, pnpm-workspace.yaml), and no
/// install script that writes outside the app folder.
pub(super) fn one_app(
    a: &Analysis,
    context: &BuildContext,
    manifest: &Manifest,
    app_dir: &str,
    line: usize,
) -> Result<(), Blocked> {
    if manifest.json.get("workspaces").is_some() {
        return Err((
            line,
            "package.json declares workspaces: msb cannot tell which packages of the monorepo the runtime needs".to_string(),
        ));
    }
    if context_file_for(a, &absolute(app_dir, "pnpm-workspace.yaml"), context).is_some() {
        return Err((
            line,
            "pnpm-workspace.yaml makes a monorepo: msb cannot tell which packages the runtime needs".to_string(),
        ));
    }
    lifecycle_scripts_stay_inside(manifest, app_dir, line)
}

/// Install-time scripts run in the app folder; one that writes somewhere
/// else (`cp x /etc/app/`) makes files the final stage would not get.
fn lifecycle_scripts_stay_inside(
    manifest: &Manifest,
    app_dir: &str,
    line: usize,
) -> Result<(), Blocked> {
    for name in ["preinstall", "install", "postinstall", "prepare"] {
        let Some(script) = manifest.script(name) else {
            continue;
        };
        let mut cwd = app_dir.to_string();
        for c in shell::commands(&script) {
            let program = c.program();
            if program == "cd" {
                cwd = absolute(&cwd, c.args().first().map_or("/", String::as_str));
                continue;
            }
            let mut targets: Vec<String> = c.writes.clone();
            let operands: Vec<&String> = c.args().iter().filter(|x| !x.starts_with('-')).collect();
            match program {
                "cp" | "mv" | "ln" | "install" => {
                    targets.extend(operands.last().map(|s| s.to_string()))
                }
                "mkdir" | "touch" | "rm" => targets.extend(operands.iter().map(|s| s.to_string())),
                "chmod" | "chown" => targets.extend(operands.iter().skip(1).map(|s| s.to_string())),
                _ => {}
            }
            for t in targets {
                let path = absolute(&cwd, &t);
                if t.contains('$') || path.starts_with("/tmp") || path.starts_with("/dev/") {
                    continue;
                }
                if !is_under(&path, app_dir) {
                    return Err((
                        line,
                        format!(
                            "package.json's {name} script (`{}`) writes {path}, outside the app folder {app_dir} the final stage gets",
                            c.words.join(" ")
                        ),
                    ));
                }
            }
        }
    }
    Ok(())
}

/// npm packages that load a system library at run time.
pub(super) fn dependency_libs(manifest: &Manifest, pack: &LanguagePack, a: &mut Analysis) {
    let Some(family) = a.builder.as_ref().map(|b| b.family) else {
        return;
    };
    for dep in manifest.deps("dependencies") {
        let Some(libs) = pack.requirement_libs.get(&dep) else {
            continue;
        };
        let names = match family {
            Family::Alpine => &libs.alpine,
            _ => &libs.debian,
        };
        for name in names {
            if !a.runtime_packages.iter().any(|p| &p.name == name) {
                a.runtime_packages
                    .push(crate::analyse::packages::RuntimePackage {
                        name: name.clone(),
                        why: format!("package.json depends on {dep}, which loads it at run time"),
                    });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_manager_field() {
        let m = Manifest {
            path: None,
            json: serde_json::json!({
                "packageManager": "pnpm@8.15.4+sha512.abc",
                "dependencies": {"next": "14.2.3"},
                "devDependencies": {"typescript": "5.4.5", "next": "14.2.3"}
            }),
        };
        assert_eq!(
            m.package_manager(),
            Some(("pnpm".to_string(), "8.15.4".to_string()))
        );
        assert!(m.has_dep("next"));
        assert!(!m.has_dev_dep("next"));
        assert!(m.has_dev_dep("typescript"));
    }
}
