//! Choose the base image of the runtime stage.
//!
//! The runtime must run what the builder built: same interpreter build and
//! the same libc and Debian release. Python keeps the builder's tag in its
//! slim variant (`python:3.12-bookworm` → `python:3.12-slim-bookworm`;
//! Alpine tags are already small and stay as they are). Go picks by what
//! the binary links and what the runtime needs: a static binary (cgo off)
//! with an exec-form command gets distroless static; a binary that may
//! link glibc gets distroless base of the builder's Debian release; when
//! a shell, a package or a user has to be added, Debian slim of the same
//! release, or the builder's Alpine release. The templates live in
//! `transforms/<language>.toml`.
//!
//! Applicability: safe. A change of libc or a shell-less base where the
//! original needed a shell is never chosen, and neither is an image whose
//! repository and tag `images.toml` does not list.

use std::collections::BTreeMap;

use crate::analyse::Analysis;
use crate::analyse::image::substitute;
use crate::config::RuntimePreference;
use crate::knowledge::{BaseTemplate, Family, Knowledge};
use crate::plan::{Applicability, PassInput, Plan, RuntimeBase};

pub const NAME: &str = "runtime_base";

pub fn run(input: &PassInput, plan: &mut Plan) {
    let a = input.analysis;
    let (Some(builder), Some(language)) = (&a.builder, &a.language) else {
        return;
    };
    let chosen = if a.same_base.is_some() || builder.vendor_runtime.is_some() {
        Some(same_image(input))
    } else {
        from_template(input, plan)
    };
    let Some((image, base, applicability)) = chosen else {
        return;
    };
    // The runtime must be the same platform as what was built for it.
    let from_ins = input
        .file
        .instructions
        .iter()
        .find(|i| i.keyword == crate::parse::Keyword::From);
    let platform = from_ins
        .and_then(|i| i.flag("platform"))
        .and_then(|f| f.value.clone())
        .map(|p| format!("--platform={p} "))
        .unwrap_or_default();
    // The same image as the builder's keeps its digest: the user pinned it.
    let same_pinned = builder
        .written
        .split_once('@')
        .filter(|(name, _)| builder.pinned && *name == image)
        .map(|(_, digest)| format!("{image}@{digest}"));
    plan.runtime.from.push(input.instruction(
        "FROM",
        &format!("{platform}{}", same_pinned.as_deref().unwrap_or(&image)),
    ));
    if builder.pinned && same_pinned.is_none() {
        plan.decide(
            NAME,
            Applicability::Safe,
            format!(
                "the builder is pinned by digest; pin {image} by digest too for reproducible builds"
            ),
        );
    }
    if builder.from_variable {
        plan.decide(
            NAME,
            Applicability::Safe,
            format!("the builder image comes from a build argument; {image} follows its default ({}), not a --build-arg override", builder.resolved),
        );
    }
    plan.decide(
        NAME,
        applicability,
        format!("final stage FROM {image}: {}", base.why),
    );
    let unmet = match input.runtime_preference {
        Some(RuntimePreference::Alpine) => base.family != Family::Alpine,
        Some(RuntimePreference::Distroless) => base.family != Family::Distroless,
        _ => false,
    };
    if unmet && language.id != "go" {
        plan.decide(
            NAME,
            Applicability::Safe,
            format!(
                "msb.toml prefers a {} base; {} keeps the builder's libc and runtime",
                match input.runtime_preference {
                    Some(RuntimePreference::Alpine) => "Alpine",
                    _ => "distroless",
                },
                language.name
            ),
        );
    }
    plan.runtime_base = Some(base);
}

/// The runtime base of the language's template (`transforms/<language>.toml`).
fn from_template(
    input: &PassInput,
    plan: &mut Plan,
) -> Option<(String, RuntimeBase, Applicability)> {
    let a = input.analysis;
    let k = input.knowledge;
    let (Some(builder), Some(language)) = (&a.builder, &a.language) else {
        return None;
    };
    let pack = k.language(&language.id)?;
    let (key, extra_why, applicability, alternative) =
        match (language.id.as_str(), &a.runtime_choice) {
            ("go", _) => go_base(a, k, input.allow_unsafe, input.runtime_preference),
            (_, Some(choice)) => (
                choice.key.clone(),
                choice.why.clone(),
                Applicability::Safe,
                None,
            ),
            _ => (
                if builder.family == Family::Alpine {
                    "alpine"
                } else {
                    "debian"
                }
                .to_string(),
                String::new(),
                Applicability::Safe,
                None,
            ),
        };
    plan.unsafe_alternatives.extend(alternative);
    let template = pack.runtime_base.get(&key)?;
    let image = fill(template, a, k);
    let resolved = substitute(&image, &a.global_args);
    let (name, tag) = crate::knowledge::split_image(&resolved);
    // Only an image whose tags msb's knowledge lists may be named: a
    // variant of any other repository (`gcr.io/google_appengine/python`
    // + `:slim`) may not exist.
    let Some(facts) = k.image_facts(name, tag) else {
        let builder_known = k
            .image_facts(
                &builder.name,
                crate::knowledge::split_image(&builder.resolved).1,
            )
            .is_some();
        plan.no_base_reason = Some(if builder_known {
            format!(
                "{resolved} is not a tag msb knows (transforms/images.toml lists the ones it may name)"
            )
        } else {
            format!(
                "{} is not an image whose tags msb knows (transforms/images.toml): it cannot name a slimmer variant of it",
                builder.repository
            )
        });
        return None;
    };
    let base = RuntimeBase {
        image: image.clone(),
        family: facts.family,
        why: format!("{}{extra_why}", template.why),
        nonroot_user: facts.nonroot_user.clone(),
        size_mb: Some(facts.size_mb),
        tools: facts.tools.clone(),
    };
    Some((image, base, applicability))
}

/// The builder's own image, tag and all: a plain distribution whose
/// packages are the language, so the final stage installs only those that
/// run the app (`same_base.rs`); or a vendor's runtime image, whose
/// interpreter no other image has.
fn same_image(input: &PassInput) -> (String, RuntimeBase, Applicability) {
    let a = input.analysis;
    let b = a.builder.as_ref().expect("analysed builder");
    let image = b
        .written
        .split('@')
        .next()
        .unwrap_or(&b.written)
        .to_string();
    let facts = input
        .knowledge
        .image_facts(&b.name, crate::knowledge::split_image(&b.resolved).1);
    let language = a
        .language
        .as_ref()
        .map_or("the language", |l| l.name.as_str());
    let base = RuntimeBase {
        image: image.clone(),
        family: b.family,
        why: if b.vendor_runtime.is_some() {
            format!(
                "the builder's own image: a vendor's {language} runtime whose interpreter no slimmer image has; the final stage leaves behind what the build added to it"
            )
        } else {
            format!(
                "the builder's own image: {language} comes from its packages, so the final stage installs only those that run the app, without the compilers, headers and build tools"
            )
        },
        nonroot_user: facts.and_then(|f| f.nonroot_user.clone()),
        size_mb: b.size_mb,
        tools: b.tools.clone(),
    };
    (image, base, Applicability::Safe)
}

/// The packages the runtime must install that `image` does not have.
pub fn missing_packages<'a>(a: &'a Analysis, k: &Knowledge, image: &str) -> Vec<&'a str> {
    let (name, tag) = crate::knowledge::split_image(image);
    let provides = k
        .image_facts(name, tag)
        .map(|f| f.provides.clone())
        .unwrap_or_default();
    a.runtime_packages
        .iter()
        .map(|p| p.name.as_str())
        .filter(|p| !provides.iter().any(|q| q == p))
        .collect()
}

/// Go: which template, what decided it, and what `--unsafe` would choose
/// instead.
fn go_base(
    a: &Analysis,
    k: &Knowledge,
    allow_unsafe: bool,
    preference: Option<RuntimePreference>,
) -> (String, String, Applicability, Option<String>) {
    let safe = Applicability::Safe;
    let Some(go) = &a.go else {
        return ("debian".into(), String::new(), safe, None);
    };
    let builder = a.builder.as_ref().expect("analysed builder");
    let alpine = builder.family == Family::Alpine;
    let pack = k.language("go").expect("go pack");
    let mut needs: Vec<String> = a.runtime.shell.clone();
    if !a.runtime.writable_dirs.is_empty() {
        needs.push(format!(
            "VOLUME {} must belong to the runtime user",
            a.runtime.writable_dirs.join(" ")
        ));
    }
    if named_user(a) {
        needs.push("the file's own user must be created".into());
    }
    for (_, why) in &a.runtime.tools {
        needs.push(why.clone());
    }
    match preference {
        Some(RuntimePreference::Slim) => {
            needs.push("msb.toml prefers a slim base with a shell".into());
        }
        // A static binary runs on Alpine whatever libc the builder had.
        Some(RuntimePreference::Alpine) if go.static_binary => {
            return (
                "alpine".into(),
                format!(" ({}; msb.toml prefers Alpine)", go.cgo_evidence),
                safe,
                None,
            );
        }
        Some(RuntimePreference::Alpine) if !alpine => {
            needs.push(
                "msb.toml prefers Alpine, but the binary may link glibc, so the builder's libc stays"
                    .into(),
            );
        }
        _ => {}
    }
    let shell_less_key = if go.static_binary { "static" } else { "glibc" };
    // Old Debian releases have no distroless image any more.
    let min = k.images.distroless_min_debian;
    let old_release = builder
        .release
        .as_ref()
        .and_then(|r| k.images.debian_releases.get(r))
        .is_some_and(|v| *v < min);
    if !go.static_binary && old_release {
        needs.push(format!(
            "distroless has no image for Debian releases before {min}"
        ));
    }
    // A static binary the file did not ask for (cgo off only because the
    // Alpine image has no compiler): distroless drops the shell the
    // original had, so only --unsafe takes it.
    let inferred_static = go.static_binary && !go.static_explicit;
    if needs.is_empty() && (!alpine || go.static_binary) && (!inferred_static || allow_unsafe) {
        let image = pack
            .runtime_base
            .get(shell_less_key)
            .map(|t| substitute(&fill(t, a, k), &a.global_args))
            .unwrap_or_default();
        let missing = missing_packages(a, k, &image);
        if missing.is_empty() {
            let applicability = if inferred_static {
                Applicability::Unsafe
            } else {
                safe
            };
            return (
                shell_less_key.into(),
                format!(" ({})", go.cgo_evidence),
                applicability,
                None,
            );
        }
        needs.push(format!("packages {} must be installed", missing.join(", ")));
    }
    let mut alternative = None;
    if inferred_static && needs.is_empty() {
        needs.push("the file did not turn cgo off itself, so the builder's Alpine keeps its shell (--unsafe: distroless static)".into());
        alternative = Some("final stage FROM distroless static: the binary is static only because the builder has no C compiler, and the image would lose its shell".to_string());
    }
    let key = if alpine { "alpine" } else { "debian" };
    let why = if needs.is_empty() {
        format!(" ({})", go.cgo_evidence)
    } else {
        format!(" ({}; {})", go.cgo_evidence, needs.join("; "))
    };
    (key.into(), why, safe, alternative)
}

/// A non-root USER given by name, which the runtime must create.
fn named_user(a: &Analysis) -> bool {
    !a.user_setup.is_empty() && a.final_user.is_some()
}

/// Fill a template's tag parts, drop the empty ones, join with `-`.
pub fn fill(template: &BaseTemplate, a: &Analysis, k: &Knowledge) -> String {
    let b = a.builder.as_ref().expect("analysed builder");
    let release = b.release.clone().unwrap_or_default();
    let mut vars: BTreeMap<&str, String> = BTreeMap::new();
    vars.insert("version", b.version.clone());
    vars.insert("release", b.release_in_tag.clone());
    vars.insert("debian_release", release.clone());
    vars.insert("alpine", b.alpine_in_tag.clone());
    vars.insert(
        "alpine_version",
        b.alpine_version()
            .unwrap_or(&k.images.alpine_default)
            .to_string(),
    );
    let debian_version = b
        .release
        .as_ref()
        .and_then(|r| k.images.debian_releases.get(r))
        .map(|v| v.to_string())
        .unwrap_or_default();
    vars.insert("debian_version", debian_version);
    if let Some(choice) = &a.runtime_choice {
        for (name, value) in &choice.vars {
            vars.insert(name.as_str(), value.clone());
        }
    }
    let apply = |s: &str| {
        let mut out = s.to_string();
        for (k, v) in &vars {
            // No `{` left: no later name can match (most parts are plain).
            if !out.contains('{') {
                break;
            }
            let placeholder = format!("{{{k}}}");
            if out.contains(&placeholder) {
                out = out.replace(&placeholder, v);
            }
        }
        out
    };
    let tag: Vec<String> = template
        .tag
        .iter()
        .map(|p| apply(p))
        .filter(|p| !p.is_empty())
        .collect();
    // The builder's own image family keeps its registry and path (a mirror).
    let image = if template.image == b.base_name {
        b.repository.clone()
    } else {
        apply(&template.image)
    };
    if tag.is_empty() {
        image
    } else {
        format!("{image}:{}", tag.join("-"))
    }
}
