//! Same-base runtimes: a build on a plain distribution image (Debian,
//! Ubuntu, Alpine, or a vendor's copy of one, `images.toml`'s `plain`) that
//! installs its language with the package manager (`apt-get install ruby
//! ruby-dev build-essential`). No slim image has that interpreter build,
//! but the builder's own image does once the toolchain is taken out: the
//! final stage starts FROM the same image and tag and installs only the
//! packages that run the app.
//!
//! Which packages those are is data: a toolchain package becomes the
//! packages that run what it built (`openjdk-17-jdk` →
//! `openjdk-17-jre-headless`, `python3-dev` → `python3`: packages.toml's
//! `toolchain_runtime`, generated from Debian's and Ubuntu's metadata by
//! scripts/gen-packages.py); the language's build tools from the
//! distribution (npm, Bundler) stay behind unless the container runs them
//! (the language pack's `[same_base]`); `-dev` libraries become their
//! runtime libraries and compilers stay behind, as on any base
//! (packages.toml's `runtime_libs` and `build_only`). What the build
//! installed with the language's own installer (pip's /usr/local, the gems
//! in /var/lib/gems) is copied from the folders the plain image leaves
//! empty.
//!
//! Applicability: safe. The runtime is the builder's own image, so the
//! libc, the release and the interpreter build are the same; a split that
//! would leave no package behind is not made ("nothing to slim").

use crate::analyse::packages::{self, PackageOp, RuntimePackage};
use crate::analyse::{Analysis, Artefact, interpreted};
use crate::knowledge::{Family, Knowledge, LanguagePack, glob_match};
use crate::parse::Dockerfile;
use crate::source::BuildContext;

/// The toolchain found in the builder's packages, for `explain` and the
/// passes (the runtime base is the builder's own image).
#[derive(Debug, Clone, serde::Serialize)]
pub struct SameBase {
    /// The language's packages the build installs.
    pub toolchain: Vec<String>,
    /// The line of the first of them.
    pub line: usize,
    /// Packages the final stage installs in place of the toolchain's
    /// (`openjdk-17-jre-headless` for `openjdk-17-jdk`).
    pub runtime: Vec<String>,
    /// Where the distribution's interpreter puts what the build installs
    /// as root (empty: among the system's own files).
    pub install_dirs: Vec<String>,
    /// Build-only packages a toolchain package brought as recommends
    /// (the build installed it without `--no-install-recommends`; the
    /// final stage installs without them): what the split leaves.
    pub dropped_recommends: Vec<crate::knowledge::BuildRecommends>,
}

/// What a language's image check should do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Not a plain distribution image: the language's own reason applies.
    NotPlain,
    /// A plain image, but msb cannot run the app on it: already blocked
    /// with the reason.
    Blocked,
    /// The final stage starts from the builder's own image.
    Applies,
}

/// The package manager of a family, for reasons.
fn manager(family: Family) -> &'static str {
    match family {
        Family::Alpine => "apk",
        _ => "apt",
    }
}

/// Each package the file installs, with the line of its install.
fn installs(file: &Dockerfile, a: &Analysis) -> Vec<(String, usize)> {
    let mut out: Vec<(String, usize)> = Vec::new();
    for rc in &a.run_commands {
        if let Some(PackageOp::Install { packages, .. }) = packages::read(&rc.command) {
            for p in packages {
                if !out.iter().any(|(q, _)| *q == p) {
                    out.push((p, file.instructions[rc.index].line));
                }
            }
        }
    }
    out
}

fn matches_any(globs: &[String], name: &str) -> bool {
    globs.iter().any(|g| glob_match(g, name))
}

/// At a language's "is not an X image" decision point: whether the builder
/// is a plain distribution image with the language from its packages. On
/// `Applies`, the toolchain's packages are sorted into what the final
/// stage installs and `a.same_base` is set.
pub fn check(file: &Dockerfile, pack: &LanguagePack, k: &Knowledge, a: &mut Analysis) -> Outcome {
    let Some(b) = a.builder.clone() else {
        return Outcome::Blocked;
    };
    if !b.plain || !matches!(b.family, Family::Debian | Family::Alpine) {
        return Outcome::NotPlain;
    }
    let line = crate::analyse::from_line(file);
    let Some(rules) = pack.same_base.as_ref() else {
        a.block(
            line,
            format!(
                "{} is a plain distribution image, and msb does not migrate {} installed from its packages",
                b.written, pack.name
            ),
        );
        return Outcome::Blocked;
    };
    let family = b.family;
    let globs = rules.toolchain.of(family);
    let found: Vec<(String, usize)> = installs(file, a)
        .into_iter()
        .filter(|(p, _)| matches_any(globs, p))
        .collect();
    let Some(first_line) = found.first().map(|(_, l)| *l) else {
        a.block(
            line,
            format!(
                "{} is a plain distribution image and the {} the app runs does not come from its packages ({} installs none of {}): msb cannot tell what the runtime needs",
                b.written,
                pack.name,
                manager(family),
                globs.join(", ")
            ),
        );
        return Outcome::Blocked;
    };
    let table = b.package_release.as_ref().and_then(|r| {
        k.family_packages(family)
            .and_then(|t| t.toolchain_runtime.get(r))
    });
    let Some(table) = table else {
        a.block(
            line,
            format!(
                "{} is a plain distribution image whose release has no package tables in transforms/packages.toml: msb cannot tell which of its packages run {}",
                b.written, pack.name
            ),
        );
        return Outcome::Blocked;
    };
    // Toolchain packages → the packages that run what they built.
    let mut runtime = Vec::new();
    for pkg in a.installed_packages.clone() {
        let Some(names) = table.get(&pkg) else {
            continue;
        };
        a.installed_packages.retain(|p| *p != pkg);
        for name in names {
            // Installed by name too: kept as the file's own package.
            if a.installed_packages.contains(name) {
                continue;
            }
            if !runtime.contains(name) {
                runtime.push(name.clone());
            }
            if !a.runtime_packages.iter().any(|p| p.name == *name) {
                a.runtime_packages.push(RuntimePackage {
                    name: name.clone(),
                    why: format!("runs what {pkg} built (its runtime in transforms/packages.toml)"),
                });
            }
        }
    }
    let toolchain: Vec<String> = found.into_iter().map(|(p, _)| p).collect();
    if let Some(language) = a.language.as_mut() {
        language.evidence.push(format!(
            "{} is a plain distribution image and line {first_line} installs {} with {}: the final stage starts from the same image",
            b.written,
            toolchain.join(", "),
            manager(family)
        ));
    }
    a.same_base = Some(SameBase {
        toolchain,
        line: first_line,
        runtime,
        install_dirs: rules.install_dirs.of(family).to_vec(),
        dropped_recommends: Vec::new(),
    });
    Outcome::Applies
}

/// After the language's analysis, before the runtime packages are sorted:
/// the language's build tools from the distribution stay in the builder
/// unless the container runs one (or the final stage installs with it),
/// and the package that runs the app is there.
pub fn finish(file: &Dockerfile, context: &BuildContext, k: &Knowledge, a: &mut Analysis) {
    let (Some(same), Some(family)) = (a.same_base.clone(), a.builder.as_ref().map(|b| b.family))
    else {
        return;
    };
    let Some(pack) = a.language.as_ref().and_then(|l| k.language(&l.id)) else {
        return;
    };
    let Some(rules) = pack.same_base.as_ref() else {
        return;
    };
    let tools: Vec<String> = a
        .installed_packages
        .iter()
        .filter(|p| matches_any(rules.build_tools.of(family), p))
        .cloned()
        .collect();
    // `npm install -g pm2` in the final stage needs npm there.
    let runs_tool = a.runtime_runs.iter().any(|r| {
        let program = r.text.split_whitespace().next().unwrap_or("");
        rules.build_programs.iter().any(|p| p == program)
    });
    let mut left_tool = false;
    if !tools.is_empty() && !runs_tool {
        left_tool = interpreted::leave_build_tools(
            file,
            context,
            a,
            &tools,
            &rules.build_programs,
            &format!(
                "build tools of {} from the distribution's packages",
                pack.name
            ),
        );
    }
    ensure_runtime(pack, k, a, family, &same.toolchain);
    if left_tool {
        for name in rules.build_tool_deps.of(family) {
            if !a.runtime_packages.iter().any(|p| p.name == *name) {
                a.runtime_packages.push(RuntimePackage {
                    name: name.clone(),
                    why: "the build tools left in the builder depended on it, and the app may need it"
                        .to_string(),
                });
            }
        }
    }
    recommended(file, rules.recommends.of(family), &same.toolchain, a);
    let dropped: Vec<_> = rules
        .build_recommends
        .iter()
        .filter(|r| r.family == family && install_with_recommends(a, |p| p == r.package).is_some())
        .cloned()
        .collect();
    if let Some(same) = a.same_base.as_mut() {
        same.dropped_recommends = dropped;
    }
}

/// The first apt install of a package `wanted` accepts that also installs
/// what it recommends (no `--no-install-recommends`).
fn install_with_recommends(
    a: &Analysis,
    wanted: impl Fn(&str) -> bool,
) -> Option<&crate::analyse::RunCommand> {
    a.run_commands.iter().find(|rc| {
        let Some(PackageOp::Install {
            family: Family::Debian,
            packages,
            ..
        }) = packages::read(&rc.command)
        else {
            return false;
        };
        packages.iter().any(|p| wanted(p)) && !skips_recommends(&rc.command)
    })
}

fn skips_recommends(c: &crate::analyse::shell::Command) -> bool {
    c.words
        .iter()
        .any(|w| w == "--no-install-recommends" || w.contains("Install-Recommends="))
}

/// What the toolchain recommends that the app may need (CA certificates),
/// when a RUN installed the toolchain with the packages it recommends:
/// the final stage installs without recommends, so it names these.
fn recommended(file: &Dockerfile, wanted: &[String], toolchain: &[String], a: &mut Analysis) {
    if wanted.is_empty() {
        return;
    }
    let Some(rc) = install_with_recommends(a, |p| toolchain.iter().any(|t| t == p)) else {
        return;
    };
    let line = file.instructions[rc.index].line;
    let what = match packages::read(&rc.command) {
        Some(PackageOp::Install { packages, .. }) => packages
            .into_iter()
            .filter(|p| toolchain.contains(p))
            .collect::<Vec<_>>()
            .join(", "),
        _ => String::new(),
    };
    for name in wanted {
        if !a.runtime_packages.iter().any(|p| p.name == *name) {
            a.runtime_packages.push(RuntimePackage {
                name: name.clone(),
                why: format!(
                    "line {line} installs {what} with the packages they recommend, {name} among them (the final stage installs without recommends)"
                ),
            });
        }
    }
}

/// The package that runs the app, when nothing the final stage installs
/// already is it (`ruby-dev` alone left nothing; `python3-dev` brought
/// python3 along).
fn ensure_runtime(
    pack: &LanguagePack,
    k: &Knowledge,
    a: &mut Analysis,
    family: Family,
    toolchain: &[String],
) {
    let Some(rules) = pack.same_base.as_ref() else {
        return;
    };
    let build_only = k
        .family_packages(family)
        .map(|t| t.build_only.clone())
        .unwrap_or_default();
    let kept = a
        .installed_packages
        .iter()
        .filter(|p| !a.removed_packages.contains(p) && !build_only.contains(p))
        .chain(a.runtime_packages.iter().map(|p| &p.name));
    let provides = rules.provides.of(family);
    if kept.into_iter().any(|p| matches_any(provides, p)) {
        return;
    }
    let name = rules.runtime.of(family).to_string();
    a.runtime_packages.push(RuntimePackage {
        why: format!(
            "runs the app: the builder had it with {}",
            toolchain.join(", ")
        ),
        name,
    });
}

/// Copy the folders the distribution's interpreter installs into (pip's
/// /usr/local/lib and /usr/local/bin): system folders msb never copies
/// whole from another base, but empty in this plain image, so they hold
/// only what the build put there. Returns false (and blocks) when the
/// family has none: the installs landed among the system's own files.
pub fn copy_install_dirs(a: &mut Analysis, line: usize, installer: &str) -> bool {
    let Some(same) = a.same_base.clone() else {
        return true;
    };
    if same.install_dirs.is_empty() {
        let image = a.builder.as_ref().map_or("", |b| b.written.as_str());
        a.block(
            line,
            format!(
                "{installer} installs into {image}'s own system folders, among the distribution's packages: msb cannot copy what it installed without the rest of the system"
            ),
        );
        return false;
    }
    for dir in &same.install_dirs {
        if a.artefacts.iter().any(|x| x.to == *dir) {
            continue;
        }
        a.artefacts.push(Artefact {
            from: dir.clone(),
            to: dir.clone(),
            why: format!(
                "line {line}: {installer} installs here, and the plain image has nothing of its own there"
            ),
            writable: false,
            file: false,
        });
    }
    true
}

/// A same-base split that leaves no package behind is not a migration:
/// the final stage would install everything again on the same image.
pub fn require_gain(file: &Dockerfile, a: &mut Analysis) {
    if a.same_base.is_none() || a.skip.is_some() {
        return;
    }
    let all = installs(file, a);
    let dropped_recommends = a
        .same_base
        .as_ref()
        .is_some_and(|s| !s.dropped_recommends.is_empty());
    let left = dropped_recommends
        || all.iter().any(|(p, _)| {
            a.removed_packages.contains(p) || !a.runtime_packages.iter().any(|r| r.name == *p)
        });
    if left {
        return;
    }
    let image = a.builder.as_ref().map_or("", |b| b.written.as_str());
    let names: Vec<&str> = all.iter().map(|(p, _)| p.as_str()).collect();
    let reason = if names.is_empty() {
        format!("nothing to slim: {image} already, and the build installs no packages")
    } else {
        format!(
            "nothing to slim: {image} already, and the app needs every package the build installs ({}): a final stage FROM the same image would leave nothing behind",
            names.join(", ")
        )
    };
    a.block(crate::analyse::from_line(file), reason);
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::analyse::analysed_text as analysed;

    fn runtime(a: &Analysis) -> Vec<&str> {
        a.runtime_packages.iter().map(|p| p.name.as_str()).collect()
    }

    #[test]
    fn pips_build_recommends_are_what_the_split_leaves() {
        let file = |install: &str| {
            format!(
                "FROM debian:bookworm\nRUN apt-get update && apt-get install -y {install}python3 python3-pip\nWORKDIR /app\nCOPY . .\nRUN pip3 install --break-system-packages flask\nCMD [\"python3\", \"app.py\"]\n"
            )
        };
        let a = analysed(&file(""));
        assert!(a.skip.is_none(), "{:?}", a.skip);
        let dropped = &a.same_base.as_ref().unwrap().dropped_recommends;
        assert_eq!(dropped[0].package, "python3-pip");
        // With --no-install-recommends the original had none of them.
        let a = analysed(&file("--no-install-recommends "));
        let why = a.skip.map(|s| s.reason).unwrap_or_default();
        assert!(why.starts_with("nothing to slim"), "{why}");
    }

    #[test]
    fn a_jdk_from_apt_runs_on_its_headless_jre() {
        let a = analysed(
            "FROM ubuntu:22.04\nRUN apt-get update && apt-get install -y openjdk-17-jdk maven\nWORKDIR /src\nCOPY . .\nRUN mvn -B package\nCMD [\"java\", \"-jar\", \"target/app.jar\"]\n",
        );
        let same = a.same_base.as_ref().expect("same base");
        assert_eq!(same.toolchain, vec!["openjdk-17-jdk"]);
        assert_eq!(same.runtime, vec!["openjdk-17-jre-headless"]);
        assert!(
            runtime(&a).contains(&"openjdk-17-jre-headless"),
            "{:?}",
            runtime(&a)
        );
        assert!(!runtime(&a).contains(&"maven"));
    }

    #[test]
    fn the_interpreter_stays_when_only_its_headers_named_it() {
        // python3-dev brought python3 along: the final stage installs it.
        let a = analysed(
            "FROM debian:bookworm\nRUN apt-get update && apt-get install -y python3-dev gcc python3-pip\nWORKDIR /app\nCOPY . .\nCMD [\"python3\", \"app.py\"]\n",
        );
        assert!(a.same_base.is_some(), "{:?}", a.skip);
        assert_eq!(runtime(&a)[0], "python3");
        assert!(!runtime(&a).contains(&"gcc"));
        assert!(!runtime(&a).contains(&"python3-dev"));
    }

    #[test]
    fn an_unknown_release_or_a_language_not_from_packages_is_a_skip() {
        let a = analysed(
            "FROM ubuntu:18.04\nRUN apt-get update && apt-get install -y ruby ruby-dev\nCOPY app.rb .\nCMD [\"ruby\", \"app.rb\"]\n",
        );
        let reason = a.skip.unwrap().reason;
        assert!(reason.contains("no package tables"), "{reason}");
        let a = analysed(
            "FROM debian:bookworm\nRUN apt-get update && apt-get install -y curl\nRUN gem install rack\nCMD [\"ruby\", \"app.rb\"]\n",
        );
        let reason = a.skip.unwrap().reason;
        assert!(
            reason.contains("does not come from its packages"),
            "{reason}"
        );
    }

    #[test]
    fn globs_pick_the_toolchain() {
        let globs = vec!["ruby".to_string(), "ruby?.?-dev".to_string()];
        assert!(matches_any(&globs, "ruby3.1-dev"));
        assert!(matches_any(&globs, "ruby"));
        assert!(!matches_any(&globs, "ruby-bundler"));
    }
}
