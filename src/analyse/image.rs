//! A FROM's image: its name and tag as written (variables kept, so a
//! runtime base can reuse `${PYTHON_VERSION}`), the same resolved against
//! the ARG defaults, and what `images.toml` knows of it.

use std::collections::BTreeMap;

use dockerfile_parser::ImageRef;

use crate::knowledge::{Family, ImageFacts, Knowledge};

/// The base image of the builder, read from its FROM line.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BaseImage {
    /// As written (`python:${PYTHON_VERSION}-slim`).
    pub written: String,
    /// With ARG defaults substituted (`python:3.11-slim`).
    pub resolved: String,
    /// Name without registry `docker.io/` or `library/` (`python`).
    pub name: String,
    /// The last part of the name (`python` for a mirror's
    /// `registry.example.com/mirror/python`): which image family it is.
    pub base_name: String,
    /// Registry and path as written, without tag or digest
    /// (`registry.example.com/mirror/python`), for a runtime of the same
    /// image family.
    pub repository: String,
    /// The FROM names a digest (`@sha256:...`).
    pub pinned: bool,
    /// The image's name itself came from a build argument (`FROM ${BASE}`).
    pub from_variable: bool,
    /// The tag as written, `latest` if none (variables kept).
    pub tag: String,
    /// The version part of the tag as written (`3.12`, `${V}`), or empty.
    pub version: String,
    /// The Debian release the tag names (`bookworm`), or empty.
    pub release_in_tag: String,
    /// The alpine part of the tag as written (`alpine`, `alpine3.19`), or empty.
    pub alpine_in_tag: String,
    pub family: Family,
    /// The Debian release: named in the tag, else `images.toml`'s default.
    pub release: Option<String>,
    pub size_mb: Option<u32>,
    pub runtime_only: bool,
    pub tools: Vec<String>,
    /// Variables the image sets (`GOPATH` of golang), for paths.
    pub env: BTreeMap<String, String>,
    /// The WORKDIR the image sets, if `images.toml` knows one.
    pub workdir: Option<String>,
    /// A plain distribution image (`images.toml`'s `plain`).
    pub plain: bool,
    /// Which release's tables of `packages.toml` name its packages: the
    /// Debian release, an Ubuntu one (`jammy`), `default` on Alpine.
    pub package_release: Option<String>,
    /// A vendor's language runtime image (`images.toml`'s
    /// `vendor_runtime`, the language it runs): the final stage starts
    /// FROM it again.
    pub vendor_runtime: Option<String>,
}

impl BaseImage {
    pub fn has_tool(&self, tool: &str) -> bool {
        self.tools.iter().any(|t| t == tool)
    }

    /// The Alpine version the tag names (`alpine3.19` → `3.19`).
    pub fn alpine_version(&self) -> Option<&str> {
        self.alpine_in_tag
            .strip_prefix("alpine")
            .filter(|v| !v.is_empty())
    }
}

/// Substitute `$NAME` and `${NAME}` (and `${NAME:-default}`) from `args`;
/// unknown names become empty, as in an unset build argument.
pub fn substitute(text: &str, args: &BTreeMap<String, String>) -> String {
    expand(text, args, false)
}

/// Substitute the names `vars` knows and leave the others as written, so
/// a path that still holds a `$` is known to be unresolved.
pub fn expand_known(text: &str, vars: &BTreeMap<String, String>) -> String {
    expand(text, vars, true)
}

fn expand(text: &str, args: &BTreeMap<String, String>, keep_unknown: bool) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        if let Some(inner) = after.strip_prefix('{')
            && let Some(end) = inner.find('}')
        {
            let expr = &inner[..end];
            let (name, default) = match expr.split_once(":-") {
                Some((n, d)) => (n, Some(d)),
                None => (expr, None),
            };
            let value = args
                .get(name)
                .filter(|v| !v.is_empty())
                .map(String::as_str)
                .or(default);
            match value {
                Some(v) => out.push_str(v),
                None if keep_unknown && !args.contains_key(name) => {
                    out.push_str(&rest[pos..pos + 1 + 1 + end + 1]);
                }
                None => {}
            }
            rest = &inner[end + 1..];
            continue;
        }
        let len = after
            .char_indices()
            .take_while(|(_, c)| c.is_ascii_alphanumeric() || *c == '_')
            .count();
        if len == 0 {
            out.push('$');
            rest = after;
            continue;
        }
        match args.get(&after[..len]) {
            Some(v) => out.push_str(v),
            None if keep_unknown => out.push_str(&rest[pos..pos + 1 + len]),
            None => {}
        }
        rest = &after[len..];
    }
    out.push_str(rest);
    out
}

/// Cut a tag at `-` outside `${...}` (`${V}-alpine` → `${V}`, `alpine`).
pub fn tag_parts(tag: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0;
    let mut start = 0;
    for (i, c) in tag.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            '-' if depth == 0 => {
                parts.push(&tag[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&tag[start..]);
    parts
}

/// The official image a derived image is (`[[derived]]` of images.toml),
/// with its tag as written and resolved (`uv:0.8-python3.12-alpine` →
/// `python`, `3.12-alpine`); None for any other image or tag (`uv:alpine`
/// has no Python of the official image).
fn derived_base<'k>(
    name: &str,
    tag_written: &str,
    tag_resolved: &str,
    k: &'k Knowledge,
) -> Option<(&'k crate::knowledge::DerivedImage, String, String)> {
    let d = k.images.derived.iter().find(|d| d.image == name)?;
    let base_tag = |tag: &str| -> Option<String> {
        let parts = tag_parts(tag);
        let at = parts.iter().position(|p| {
            p.strip_prefix(d.tag_prefix.as_str())
                .is_some_and(|v| v.starts_with(|c: char| c.is_ascii_digit() || c == '$'))
        })?;
        if !parts[..at]
            .iter()
            .all(|p| p.starts_with(|c: char| c.is_ascii_digit()))
        {
            return None;
        }
        let mut rest: Vec<&str> = parts[at..].to_vec();
        rest[0] = &rest[0][d.tag_prefix.len()..];
        Some(rest.join("-"))
    };
    let resolved = base_tag(tag_resolved)?;
    let written = base_tag(tag_written).unwrap_or_else(|| resolved.clone());
    Some((d, written, resolved))
}

/// The release of a pinned patch (`python:3.9.12` → bullseye) from
/// `[[patch_releases]]`: `Some(None)` for a patch built on two releases,
/// None when the table has nothing to say (no entry, or no patch).
fn patch_release(name: &str, version: &str, tag: &str, k: &Knowledge) -> Option<Option<String>> {
    // The version as resolved: a `${PY}` default names it too.
    let resolved = tag.split('-').next().unwrap_or(tag);
    let version = if version.contains('$') {
        resolved
    } else {
        version
    };
    let mut parts = version.split('.');
    let line = format!("{}.{}", parts.next()?, parts.next()?);
    let patch: u32 = parts.next()?.parse().ok()?;
    let table = k
        .images
        .patch_releases
        .iter()
        .find(|p| p.image == name && p.line == line)?;
    Some(table.of(patch).map(String::from))
}

fn short_name(image: &ImageRef) -> String {
    let name = image.image.strip_prefix("library/").unwrap_or(&image.image);
    match image.registry.as_deref() {
        None | Some("docker.io") | Some("index.docker.io") | Some("registry-1.docker.io") => {
            name.to_string()
        }
        Some(registry) => format!("{registry}/{name}"),
    }
}

/// Read a FROM's image, `global_args` being the ARGs declared before it.
pub fn read(written: &str, global_args: &BTreeMap<String, String>, k: &Knowledge) -> BaseImage {
    // `ImageRef` reads `name:tag@digest` as a digest with no tag: set the
    // digest aside first.
    let (without_digest, pinned) = match written.split_once('@') {
        Some((image, _)) => (image, true),
        None => (written, false),
    };
    let resolved = substitute(without_digest, global_args);
    let from_variable = ImageRef::parse(without_digest).image.contains('$');
    // When the image itself is a variable, only its default can be read.
    let written_for_tag = if from_variable {
        resolved.as_str()
    } else {
        without_digest
    };
    let raw_ref = ImageRef::parse(written_for_tag);
    let res_ref = ImageRef::parse(&resolved);
    let repository = match &raw_ref.registry {
        Some(r) => format!("{r}/{}", raw_ref.image),
        None => raw_ref.image.clone(),
    };
    let mut name = short_name(&res_ref);
    let mut repository = repository;
    let mut tag_written = raw_ref.tag.clone().unwrap_or_else(|| "latest".into());
    let mut tag_resolved = res_ref.tag.clone().unwrap_or_else(|| "latest".into());
    let mut resolved = resolved;
    let mut derived_tools: Vec<String> = Vec::new();
    let mut derived_mb = 0;
    if let Some((d, base_written, base_resolved)) =
        derived_base(&name, &tag_written, &tag_resolved, k)
    {
        name = d.base.clone();
        repository = d.base.clone();
        resolved = format!("{}:{base_resolved}", d.base);
        tag_written = base_written;
        tag_resolved = base_resolved;
        derived_tools = d.tools.clone();
        derived_mb = d.adds_mb;
    }

    let releases = &k.images.debian_releases;
    let mut version = String::new();
    let mut release_in_tag = String::new();
    let mut alpine_in_tag = String::new();
    let written_parts = tag_parts(&tag_written);
    let resolved_parts = tag_parts(&tag_resolved);
    // Variables may hide parts; the resolved tag says what they are.
    let parts: Vec<(&str, &str)> = if written_parts.len() == resolved_parts.len() {
        written_parts.into_iter().zip(resolved_parts).collect()
    } else {
        resolved_parts.iter().map(|p| (*p, *p)).collect()
    };
    for (i, (written_part, part)) in parts.iter().enumerate() {
        if i == 0 && part.chars().next().is_some_and(|c| c.is_ascii_digit()) {
            version = written_part.to_string();
        } else if part.starts_with("alpine") {
            alpine_in_tag = written_part.to_string();
        } else if releases.contains_key(*part) {
            release_in_tag = written_part.to_string();
        }
    }

    let facts: Option<&ImageFacts> = k.image_facts(&name, &tag_resolved);
    let release = if release_in_tag.is_empty() {
        match patch_release(&name, &version, &tag_resolved, k) {
            Some(pinned) => pinned,
            None => facts.and_then(|f| f.release.clone()),
        }
    } else {
        Some(substitute(&release_in_tag, global_args))
    };
    let family = facts.map(|f| f.family).unwrap_or(Family::Other);
    let package_release = match family {
        Family::Alpine => Some("default".to_string()),
        _ => facts
            .and_then(|f| f.package_release.clone())
            .filter(|_| release_in_tag.is_empty())
            .or_else(|| release.clone()),
    };
    BaseImage {
        written: written.to_string(),
        resolved,
        base_name: crate::analyse::basename(&name).to_string(),
        name,
        repository,
        pinned,
        from_variable,
        tag: tag_written,
        version,
        release_in_tag,
        alpine_in_tag,
        family,
        release,
        package_release,
        size_mb: facts.map(|f| f.size_mb + derived_mb),
        runtime_only: facts.is_some_and(|f| f.runtime_only),
        tools: facts
            .map(|f| f.tools.clone())
            .unwrap_or_default()
            .into_iter()
            .chain(derived_tools)
            .collect(),
        env: facts.map(|f| f.env.clone()).unwrap_or_default(),
        workdir: facts.and_then(|f| f.workdir.clone()),
        plain: facts.is_some_and(|f| f.plain),
        vendor_runtime: facts.and_then(|f| f.vendor_runtime.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn img(s: &str) -> BaseImage {
        let mut args = BTreeMap::new();
        args.insert("PY".to_string(), "3.11".to_string());
        read(s, &args, &Knowledge::builtin().unwrap())
    }

    #[test]
    fn a_pinned_patch_is_on_the_release_it_was_built_on() {
        let release = |s: &str| img(s).release;
        assert_eq!(release("python:3.9.12").as_deref(), Some("bullseye"));
        assert_eq!(release("python:3.9.12-slim").as_deref(), Some("bullseye"));
        assert_eq!(release("python:3.11.4-slim").as_deref(), Some("bookworm"));
        assert_eq!(release("python:3.12.12").as_deref(), Some("trixie"));
        // Built on both buster and bullseye: no release.
        assert_eq!(release("python:3.9.6"), None);
        // A tag that names its release, and a floating tag, as before.
        assert_eq!(
            release("python:3.9.12-slim-buster").as_deref(),
            Some("buster")
        );
        assert_eq!(release("python:3.12").as_deref(), Some("trixie"));
    }

    #[test]
    fn reads_uv_images_as_the_python_image_they_are() {
        let b = img("ghcr.io/astral-sh/uv:0.8.4-python3.12-bookworm-slim");
        assert_eq!((b.name.as_str(), b.version.as_str()), ("python", "3.12"));
        assert_eq!(b.release_in_tag, "bookworm");
        assert_eq!(b.repository, "python");
        assert!(b.has_tool("uv"));
        assert_eq!(
            b.written,
            "ghcr.io/astral-sh/uv:0.8.4-python3.12-bookworm-slim"
        );
        let b = img("ghcr.io/astral-sh/uv:python${PY}-alpine");
        assert_eq!(
            (b.version.as_str(), b.alpine_in_tag.as_str()),
            ("${PY}", "alpine")
        );
        assert_eq!(b.family, Family::Alpine);
        // No Python of the official image: left as it is.
        let b = img("ghcr.io/astral-sh/uv:bookworm-slim");
        assert_eq!(b.name, "ghcr.io/astral-sh/uv");
        let b = img("ghcr.io/astral-sh/uv:debian-python3.12");
        assert_eq!(b.name, "ghcr.io/astral-sh/uv");
    }

    #[test]
    fn knows_the_variables_an_image_sets() {
        assert_eq!(
            img("golang:1.16").env.get("GOPATH").map(String::as_str),
            Some("/go")
        );
        assert_eq!(
            img("golang:1.22-alpine")
                .env
                .get("GOPATH")
                .map(String::as_str),
            Some("/go")
        );
        assert!(img("python:3.12").env.is_empty());
    }

    #[test]
    fn reads_tags() {
        let i = img("python:3.12-slim-bookworm");
        assert_eq!(
            (i.version.as_str(), i.size_mb, i.release_in_tag.as_str()),
            ("3.12", Some(130), "bookworm")
        );
        assert_eq!(i.family, Family::Debian);
        let a = img("docker.io/library/python:3.10-alpine3.19");
        assert_eq!(a.name, "python");
        assert_eq!(a.alpine_version(), Some("3.19"));
        assert_eq!(a.family, Family::Alpine);
        let v = img("python:${PY}-bullseye");
        assert_eq!(v.version, "${PY}");
        assert_eq!(v.resolved, "python:3.11-bullseye");
        assert_eq!(v.release.as_deref(), Some("bullseye"));
        assert_eq!(img("golang").tag, "latest");
        let d = img("python:3.11-bookworm@sha256:abc");
        assert_eq!(
            (d.version.as_str(), d.release_in_tag.as_str(), d.pinned),
            ("3.11", "bookworm", true)
        );
        let r = img("registry.example.com/mirror/python:3.11");
        assert_eq!(
            (r.base_name.as_str(), r.repository.as_str()),
            ("python", "registry.example.com/mirror/python")
        );
        // Another registry's `python` is not the official image: msb knows
        // none of its tags. A registry that mirrors Docker Hub is.
        assert_eq!(r.family, Family::Other);
        let m = img("mirror.gcr.io/library/python:3.11-slim");
        assert_eq!((m.family, m.size_mb), (Family::Debian, Some(130)));
        let mut args = BTreeMap::new();
        args.insert("BASE".to_string(), "python:3.11".to_string());
        let v = read("${BASE}", &args, &Knowledge::builtin().unwrap());
        assert_eq!(
            (v.name.as_str(), v.version.as_str(), v.from_variable),
            ("python", "3.11", true)
        );
        assert!(img("gcr.io/distroless/static-debian12").runtime_only);
        assert!(img("scratch").runtime_only);
    }

    #[test]
    fn plain_distribution_images_and_their_package_tables() {
        let u = img("ubuntu:22.04");
        assert!(u.plain);
        assert_eq!(
            (u.release.as_deref(), u.package_release.as_deref()),
            (None, Some("jammy"))
        );
        let d = img("debian:bookworm-slim");
        assert!(d.plain);
        assert_eq!(d.package_release.as_deref(), Some("bookworm"));
        let m = img("marketplace.gcr.io/google/debian11");
        assert!(m.plain);
        assert_eq!(m.package_release.as_deref(), Some("bullseye"));
        assert_eq!(
            img("alpine:3.19").package_release.as_deref(),
            Some("default")
        );
        assert!(!img("python:3.12").plain);
        assert!(img("ubuntu:18.04").package_release.is_none());
        // Ruby 2.x patches: jessie until 2018-05, stretch after; the patch
        // current at the move names none.
        let release = |t: &str| img(t).package_release;
        assert_eq!(release("ruby:2.4.2").as_deref(), Some("jessie"));
        assert_eq!(release("ruby:2.4.4"), None);
        assert_eq!(release("ruby:2.4.5-slim").as_deref(), Some("stretch"));
        assert_eq!(release("ruby:2.6.5").as_deref(), Some("buster"));
    }

    #[test]
    fn substitutes_args() {
        let mut args = BTreeMap::new();
        args.insert("A".to_string(), "1".to_string());
        assert_eq!(substitute("x$A-${A}-${B:-2}-$", &args), "x1-1-2-$");
        assert_eq!(expand_known("$A/$B/${C}/${A}", &args), "1/$B/${C}/1");
    }
}
