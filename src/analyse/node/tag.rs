//! The node image's tag: its version or alias (`20.11.1`, `lts`,
//! `${NODE_VERSION}`), the Node major it means, and a part msb has no
//! slim variant for. The major decides npm's flags and the bundled Yarn;
//! the version part names the runtime image.

use std::collections::BTreeMap;

use super::Blocked;
use crate::analyse::image;
use crate::analyse::{Analysis, RuntimeChoice};
use crate::knowledge::{Family, Knowledge, NodeRules};
use crate::parse::Dockerfile;

/// The version or alias part of a node tag, and whether msb knows the rest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeTag {
    /// As written (`20.11.1`, `${NODE_VERSION}`, `lts`), empty for `latest`.
    pub version: String,
    pub major: Option<u32>,
    /// A part msb has no rule for (`onbuild`, `lts-iron`'s second alias).
    pub unknown: Option<String>,
}

/// Read a node tag as written and as resolved against the ARG defaults.
pub fn read_tag(
    written: &str,
    resolved: &str,
    rules: &NodeRules,
    releases: &BTreeMap<String, u32>,
) -> NodeTag {
    let w = image::tag_parts(written);
    let r = image::tag_parts(resolved);
    // Variables may hide parts; the resolved tag says what they are.
    let parts: Vec<(&str, &str)> = if w.len() == r.len() {
        w.into_iter().zip(r).collect()
    } else {
        r.iter().map(|p| (*p, *p)).collect()
    };
    let mut tag = NodeTag {
        version: String::new(),
        major: None,
        unknown: None,
    };
    let mut named = false;
    for (i, (written_part, part)) in parts.iter().enumerate() {
        if i == 0 && part.chars().next().is_some_and(|c| c.is_ascii_digit()) {
            tag.version = written_part.to_string();
            tag.major = part.split('.').next().and_then(|m| m.parse().ok());
            named = true;
        } else if i == 0 && *part == "latest" {
            // `node:latest` → `node:slim`: the runtime tag has no version part.
            tag.major = rules.tag_aliases.get("latest").copied();
            named = true;
        } else if i == 0 && rules.tag_aliases.contains_key(*part) {
            tag.version = written_part.to_string();
            tag.major = rules.tag_aliases.get(*part).copied();
            named = true;
        } else if part.starts_with("alpine")
            || releases.contains_key(*part)
            || rules.tag_suffixes.iter().any(|s| s == part)
        {
        } else if tag.unknown.is_none() {
            tag.unknown = Some(part.to_string());
        }
    }
    if !named {
        // `node:alpine`, `node:slim`, `node:bookworm`: the latest Node.
        tag.major = rules.tag_aliases.get("latest").copied();
    }
    tag
}

/// The builder's node tag, and the runtime image it picks: the slim
/// variant of the same tag. A builder that is not a Debian or Alpine node
/// image, or a tag part msb has no slim variant for, blocks the file.
pub(super) fn runtime_tag(
    file: &Dockerfile,
    rules: &NodeRules,
    k: &Knowledge,
    a: &mut Analysis,
) -> Result<NodeTag, Blocked> {
    let builder = a.builder.clone().expect("analysed builder");
    let from = crate::analyse::from_line(file);
    if !matches!(builder.family, Family::Debian | Family::Alpine) {
        return Err((
            from,
            format!(
                "{} is not a Debian or Alpine node image msb knows",
                builder.written
            ),
        ));
    }
    // Node from a plain distribution's packages runs on the same image
    // (`same_base.rs`): its version is the release's, not a tag's.
    // So does Node of a vendor's runtime image (App Engine's).
    if a.same_base.is_some() || builder.vendor_runtime.is_some() {
        return Ok(NodeTag {
            version: String::new(),
            major: None,
            unknown: None,
        });
    }
    let tag = read_tag(
        &builder.tag,
        tag_of(&builder.resolved),
        rules,
        &k.images.debian_releases,
    );
    if let Some(part) = &tag.unknown {
        return Err((
            from,
            format!(
                "{}: msb knows no slim variant for the tag part `{part}`",
                builder.written
            ),
        ));
    }
    let key = if builder.family == Family::Alpine {
        "alpine"
    } else {
        "debian"
    };
    let mut vars = BTreeMap::new();
    vars.insert("node_tag".to_string(), tag.version.clone());
    a.runtime_choice = Some(RuntimeChoice {
        key: key.to_string(),
        vars,
        why: String::new(),
    });
    Ok(tag)
}

/// The tag part of an image reference (`registry:5000/node:20` → `20`).
fn tag_of(image: &str) -> &str {
    let without_digest = image.split('@').next().unwrap_or(image);
    let last = crate::analyse::basename(without_digest);
    last.split_once(':').map_or("latest", |(_, t)| t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> (NodeRules, BTreeMap<String, u32>) {
        let k = Knowledge::builtin().unwrap();
        (
            k.language("node").unwrap().node.clone().unwrap(),
            k.images.debian_releases.clone(),
        )
    }

    #[test]
    fn reads_node_tags() {
        let (r, rel) = rules();
        let t = read_tag("16", "16", &r, &rel);
        assert_eq!((t.version.as_str(), t.major), ("16", Some(16)));
        let t = read_tag("18-bookworm", "18-bookworm", &r, &rel);
        assert_eq!(
            (t.version.as_str(), t.major, t.unknown),
            ("18", Some(18), None)
        );
        let t = read_tag("lts-alpine3.20", "lts-alpine3.20", &r, &rel);
        assert_eq!((t.version.as_str(), t.major), ("lts", Some(24)));
        let t = read_tag("latest", "latest", &r, &rel);
        assert_eq!((t.version.as_str(), t.major), ("", Some(26)));
        let t = read_tag("${NODE_VERSION}-alpine", "20.11.1-alpine", &r, &rel);
        assert_eq!((t.version.as_str(), t.major), ("${NODE_VERSION}", Some(20)));
        let t = read_tag("iron-bookworm-slim", "iron-bookworm-slim", &r, &rel);
        assert_eq!(
            (t.version.as_str(), t.major, t.unknown),
            ("iron", Some(20), None)
        );
        assert_eq!(
            read_tag("8-onbuild", "8-onbuild", &r, &rel)
                .unknown
                .as_deref(),
            Some("onbuild")
        );
        assert_eq!(read_tag("alpine", "alpine", &r, &rel).version, "");
    }

    #[test]
    fn image_tags() {
        assert_eq!(tag_of("node:20-alpine"), "20-alpine");
        assert_eq!(tag_of("registry:5000/node"), "latest");
        assert_eq!(tag_of("registry:5000/node:18@sha256:x"), "18");
    }
}
