//! Estimate what the split saves, part by part.
//!
//! A migration has to remove something: a bigger base image, build
//! packages, dev dependencies, installer caches. It may also add something
//! of its own (a virtualenv's pip). Measured on a real engine, a
//! `python:3.14-slim` build with no build tools, split into a venv and the
//! same slim image, grew by 14%: the base-image difference alone (zero)
//! hid the venv. So the estimate adds up every part with the sizes of
//! `images.toml`'s `[saving]` and the language's `[estimate]`, and
//! `migrate` leaves the file alone when the total is not positive.
//! `msb explain` shows the parts.
//!
//! Applicability: safe (it decides nothing about the output).

use crate::analyse::Analysis;
use crate::analyse::packages::{self, PackageOp};
use crate::knowledge::{CacheRule, Knowledge, LanguagePack};
use crate::plan::{Estimate, EstimatePart, PassInput, Plan};

pub fn run(input: &PassInput, plan: &mut Plan) {
    let a = input.analysis;
    let k = input.knowledge;
    let (Some(builder), Some(base), Some(language)) = (&a.builder, &plan.runtime_base, &a.language)
    else {
        return;
    };
    let Some(pack) = k.language(&language.id) else {
        return;
    };
    let mut parts = Vec::new();
    if let (Some(before), Some(after)) = (builder.size_mb, base.size_mb) {
        parts.push(EstimatePart {
            what: format!(
                "base image: {} (~{before} MB) → {} (~{after} MB)",
                builder.resolved, base.image
            ),
            mb: i64::from(before) - i64::from(after),
        });
    }
    parts.extend(dropped_packages(a, k));
    parts.extend(toolchain_runtime(a, k));
    parts.extend(dropped_recommends(a));
    if a.pruned_dev_dependencies > 0 {
        parts.push(EstimatePart {
            what: format!("{} dev dependencies pruned", a.pruned_dev_dependencies),
            mb: (a.pruned_dev_dependencies as i64) * i64::from(k.images.saving.dev_dependency_mb),
        });
    }
    parts.extend(apt_lists(input, k));
    parts.extend(build_tools(a, pack));
    if a.dependencies_left_behind && pack.estimate.dependencies_left_behind_mb > 0 {
        parts.push(EstimatePart {
            what: "the installed dependencies, which the final stage does not copy".to_string(),
            mb: i64::from(pack.estimate.dependencies_left_behind_mb),
        });
    }
    parts.extend(kept_caches(input, pack));
    // The overhead comes with the dependency folder msb makes (a venv),
    // not with one the build already made.
    let made_deps_dir = pack.deps_dir.as_ref().is_some_and(|d| {
        a.builder_additions
            .iter()
            .any(|b| b.lines.iter().any(|(_, rest)| rest.contains(d.as_str())))
    });
    let lean = a.python.as_ref().is_some_and(|p| p.lean_venv);
    if pack.estimate.overhead_mb > 0 && made_deps_dir && !lean {
        parts.push(EstimatePart {
            what: pack.estimate.overhead.clone(),
            mb: -i64::from(pack.estimate.overhead_mb),
        });
    }
    plan.estimate = Some(Estimate { parts });
}

/// Packages the builder's RUNs install that the final stage does not and
/// the builder image did not already have (its tools and packages are in
/// the base-image difference). Read from the commands themselves: the
/// language analyses take their own build tools out of the installed list.
fn dropped_packages(a: &Analysis, k: &Knowledge) -> Option<EstimatePart> {
    let saving = &k.images.saving;
    let builder = a.builder.as_ref();
    let in_base = |p: &str| {
        builder.is_some_and(|b| b.has_tool(p))
            || builder
                .and_then(|b| k.image_facts(&b.name, crate::knowledge::split_image(&b.resolved).1))
                .is_some_and(|f| f.provides.iter().any(|x| x == p))
    };
    // What the build removes itself was not in the original image either;
    // what msb leaves in the builder (`removed_packages` besides) was.
    let removed_by_build: Vec<String> = a
        .run_commands
        .iter()
        .filter_map(|rc| match packages::read(&rc.command) {
            Some(PackageOp::Remove { packages }) => Some(packages),
            _ => None,
        })
        .flatten()
        .collect();
    let mut dropped: Vec<String> = Vec::new();
    for rc in &a.run_commands {
        if let Some(PackageOp::Install { packages, .. }) = packages::read(&rc.command) {
            for p in packages {
                let kept = a.runtime_packages.iter().any(|r| r.name == p);
                if !kept && !in_base(&p) && !removed_by_build.contains(&p) && !dropped.contains(&p)
                {
                    dropped.push(p);
                }
            }
        }
    }
    if dropped.is_empty() {
        return None;
    }
    let mb: u32 = dropped
        .iter()
        .map(|p| {
            saving
                .packages
                .get(p.as_str())
                .copied()
                .unwrap_or(saving.package_default_mb)
        })
        .sum();
    Some(EstimatePart {
        what: format!("build packages left in the builder: {}", dropped.join(", ")),
        mb: i64::from(mb),
    })
}

/// A same-base final stage installs the toolchain's runtime again (the
/// JRE inside the JDK it leaves behind): that part of the toolchain is
/// not saved.
fn toolchain_runtime(a: &Analysis, k: &Knowledge) -> Option<EstimatePart> {
    let same = a.same_base.as_ref()?;
    let sizes = &k.images.saving.runtime_packages;
    let kept: Vec<(&str, u32)> = same
        .runtime
        .iter()
        .filter_map(|p| sizes.get(p).map(|mb| (p.as_str(), *mb)))
        .collect();
    if kept.is_empty() {
        return None;
    }
    let names: Vec<&str> = kept.iter().map(|(p, _)| *p).collect();
    Some(EstimatePart {
        what: format!(
            "the toolchain's runtime, installed again in the final stage: {}",
            names.join(", ")
        ),
        mb: -kept.iter().map(|(_, mb)| i64::from(*mb)).sum::<i64>(),
    })
}

/// The build-only packages a same-base toolchain brought as recommends
/// (python3-pip's build-essential and python3-dev): the final stage
/// installs without recommends.
fn dropped_recommends(a: &Analysis) -> Option<EstimatePart> {
    let same = a.same_base.as_ref()?;
    if same.dropped_recommends.is_empty() {
        return None;
    }
    let what: Vec<String> = same
        .dropped_recommends
        .iter()
        .map(|r| format!("{} of {}", r.recommends.join(", "), r.package))
        .collect();
    Some(EstimatePart {
        what: format!(
            "what the toolchain recommends, left in the builder: {}",
            what.join("; ")
        ),
        mb: same
            .dropped_recommends
            .iter()
            .map(|r| i64::from(r.mb))
            .sum(),
    })
}

/// Debian's package lists, left by an `apt-get update` that nothing
/// removes: the final stage installs its packages and removes its lists.
fn apt_lists(input: &PassInput, k: &Knowledge) -> Option<EstimatePart> {
    let a = input.analysis;
    let updates: Vec<Vec<&str>> = k
        .images
        .saving
        .apt_lists_made_by
        .iter()
        .map(|c| c.split_whitespace().collect())
        .collect();
    let update = a
        .run_commands
        .iter()
        .find(|rc| updates.iter().any(|u| rc.command.starts_with(u)))?;
    let removed = cleared_in_layer(
        &input.file.instructions[update.index],
        &k.images.saving.apt_lists_cleared_by,
    );
    (!removed && k.images.saving.apt_lists_mb > 0).then(|| EstimatePart {
        what: "apt's package lists kept in the original image".to_string(),
        mb: i64::from(k.images.saving.apt_lists_mb),
    })
}

/// The language's build tools (poetry, pipenv) an install put beside the
/// interpreter: the final stage does not get them.
fn build_tools(a: &Analysis, pack: &LanguagePack) -> Option<EstimatePart> {
    let installs: Vec<Vec<&str>> = pack
        .steps
        .dep_install
        .iter()
        .map(|p| p.split_whitespace().collect())
        .collect();
    let mut tools: Vec<&str> = Vec::new();
    for rc in &a.run_commands {
        if !installs.iter().any(|p| rc.command.starts_with(p)) {
            continue;
        }
        for w in rc.command.args() {
            let name = w.split(['=', '<', '>', '~', '[']).next().unwrap_or(w);
            if let Some(t) = pack.build_tools.iter().find(|t| t.as_str() == name)
                && !tools.contains(&t.as_str())
            {
                tools.push(t);
            }
        }
    }
    if tools.is_empty() || pack.estimate.build_tool_mb == 0 {
        return None;
    }
    Some(EstimatePart {
        what: format!("build tools left in the builder: {}", tools.join(", ")),
        mb: (tools.len() as i64) * i64::from(pack.estimate.build_tool_mb),
    })
}

/// Installer caches the original image keeps: an install that does not
/// turn its cache off, with no later RUN clearing it.
fn kept_caches(input: &PassInput, pack: &LanguagePack) -> Vec<EstimatePart> {
    let a = input.analysis;
    let file = input.file;
    pack.estimate
        .caches
        .iter()
        .filter(|rule| {
            a.run_commands.iter().any(|rc| {
                rule.commands
                    .iter()
                    .any(|p| crate::analyse::starts_with_words(&rc.command, p))
                    && !turned_off(rule, &rc.command, a)
                    && !cleared_in_layer(&file.instructions[rc.index], &rule.cleared_by)
            })
        })
        .map(|rule| EstimatePart {
            what: format!("{} kept in the original image", rule.name),
            mb: i64::from(rule.mb),
        })
        .collect()
}

/// Whether the RUN that filled a cache leaves none in its layer: it clears
/// it itself (a later RUN cannot shrink an earlier layer), or the cache is
/// a cache mount (`--mount=type=cache`, as `docker init` writes), which is
/// never in the image.
fn cleared_in_layer(ins: &crate::parse::Instruction, cleared_by: &[String]) -> bool {
    let mounted = ins
        .flags
        .iter()
        .filter(|f| f.name.eq_ignore_ascii_case("mount"))
        .filter_map(|f| f.value.as_deref())
        .any(|v| v.split(',').any(|kv| kv == "type=cache"));
    mounted || cleared_by.iter().any(|c| ins.args.contains(c.as_str()))
}

/// A flag of the command or a variable of the stage turns the cache off.
fn turned_off(rule: &CacheRule, c: &crate::analyse::shell::Command, a: &Analysis) -> bool {
    rule.off.iter().any(|off| {
        c.words
            .iter()
            .any(|w| w == off || w.starts_with(&format!("{off}=")))
            || c.env.iter().any(|(n, _)| n == off)
            || a.env.contains_key(off)
    })
}

impl Estimate {
    pub fn total_mb(&self) -> i64 {
        self.parts.iter().map(|p| p.mb).sum()
    }
}

#[cfg(test)]
mod tests {
    use crate::knowledge::Knowledge;
    use crate::migrate::{Options, Status, migrate};
    use crate::source::{BuildContext, SourceFile};

    /// Migrate `dockerfile` with `files` as its build context.
    fn run(dockerfile: &str, files: &[(&str, &str)]) -> crate::migrate::Migration {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        let path = dir.path().join("Dockerfile");
        std::fs::write(&path, dockerfile).unwrap();
        let source = SourceFile::read(&path).unwrap();
        let k = Knowledge::builtin().unwrap();
        migrate(
            &source,
            &BuildContext::new(dir.path().to_path_buf()),
            &k,
            &Options::default(),
        )
        .unwrap()
    }

    #[test]
    fn a_split_that_removes_nothing_is_not_a_migration() {
        let python = "FROM python:3.12-slim\nWORKDIR /app\nCOPY requirements.txt .\nRUN pip install --no-cache-dir -r requirements.txt\nCOPY . .\nCMD [\"python\", \"main.py\"]\n";
        let m = run(python, &[("requirements.txt", "flask\n"), ("main.py", "")]);
        assert_eq!(m.status, Status::Skipped);
        let reason = m.reason.unwrap().reason;
        assert!(
            reason.starts_with("nothing to slim: python:3.12-slim already"),
            "{reason}"
        );
        assert!(m.estimate.unwrap().total_mb() <= 0);
    }

    #[test]
    fn what_the_split_removes_is_counted_part_by_part() {
        // The same slim image, but a compiler and headers stay behind.
        let python = "FROM python:3.12-slim\nRUN apt-get update && apt-get install -y gcc libpq-dev\nWORKDIR /app\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\nCOPY . .\nCMD [\"python\", \"main.py\"]\n";
        let m = run(
            python,
            &[("requirements.txt", "psycopg2\n"), ("main.py", "")],
        );
        assert_eq!(m.status, Status::Migrated, "{:?}", m.reason);
        let e = m.estimate.clone().unwrap();
        let part = |what: &str| e.parts.iter().find(|p| p.what.contains(what)).map(|p| p.mb);
        assert_eq!(part("base image"), Some(0));
        assert_eq!(
            part("build packages left in the builder: gcc, libpq-dev"),
            Some(65)
        );
        assert_eq!(part("pip's cache"), Some(10));
        assert_eq!(part("apt's package lists"), Some(20));
        // The virtualenv shares the official image's pip: no overhead.
        assert_eq!(part("virtualenv"), None);
        assert_eq!(e.total_mb(), 95);
        assert_eq!(m.estimated_saving_mb(), Some(95));
    }

    #[test]
    fn only_what_is_in_the_original_image_counts() {
        // A cache mount keeps pip's cache out of the image; a later RUN
        // cannot shrink the layer that fetched the apt lists; gcc of the
        // full image is already in the base-image difference.
        let python = "FROM python:3.12\nRUN apt-get update && apt-get install -y gcc libpq-dev\nRUN rm -rf /var/lib/apt/lists/*\nWORKDIR /app\nCOPY requirements.txt .\nRUN --mount=type=cache,target=/root/.cache/pip pip install -r requirements.txt\nCOPY . .\nCMD [\"python\", \"main.py\"]\n";
        let m = run(
            python,
            &[("requirements.txt", "psycopg2\n"), ("main.py", "")],
        );
        let e = m.estimate.clone().unwrap();
        let whats: Vec<&str> = e.parts.iter().map(|p| p.what.as_str()).collect();
        assert!(
            !whats.iter().any(|w| w.contains("pip's cache")),
            "{whats:?}"
        );
        assert!(
            whats.contains(&"apt's package lists kept in the original image"),
            "{whats:?}"
        );
        assert!(
            whats.contains(&"build packages left in the builder: libpq-dev"),
            "{whats:?}"
        );
    }

    #[test]
    fn build_packages_a_language_analysis_keeps_to_itself_still_count() {
        // node-gyp's python3, make and g++ on the same slim image: the split
        // leaves them behind even with no dev dependencies and no cache.
        let node = "FROM node:20-slim\nRUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*\nWORKDIR /app\nCOPY package*.json ./\nRUN npm ci --omit=dev && npm cache clean --force\nCOPY . .\nCMD [\"node\", \"index.js\"]\n";
        let package = r#"{"name": "a", "version": "1.0.0", "dependencies": {"bcrypt": "5.1.1"}}"#;
        let lock = r#"{"name": "a", "version": "1.0.0", "lockfileVersion": 3, "packages": {"": {"name": "a", "version": "1.0.0", "dependencies": {"bcrypt": "5.1.1"}}}}"#;
        let m = run(
            node,
            &[
                ("package.json", package),
                ("package-lock.json", lock),
                ("index.js", ""),
            ],
        );
        assert_eq!(m.status, Status::Migrated, "{:?}", m.reason);
        let e = m.estimate.unwrap();
        assert!(
            e.parts.iter().any(|p| p.what.contains("g++")),
            "{:?}",
            e.parts
        );
    }
}
