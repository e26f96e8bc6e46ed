//! Retired .NET Core SDK images (`mcr.microsoft.com/dotnet/core/sdk:3.1`,
//! `microsoft/dotnet:2.1-sdk`): the final stage runs on the retired
//! runtime image of the same .NET line and OS, as the build already did,
//! and the user is told that it is out of support. Only tags whose
//! version, OS variant and runtime images msb knows are migrated.

use crate::knowledge::{RetiredSdk, glob_match};

/// The runtime images' version and OS variant, read from the SDK's tag.
#[derive(Debug, PartialEq)]
pub(super) struct RuntimeTag {
    /// major.minor as written (`2.1`, or `${DOTNET_VERSION}` when its
    /// default is major.minor).
    pub version: String,
    /// The runtime images' OS variant (`buster-slim`, `alpine3.12`), or
    /// empty for the default one.
    pub variant: String,
}

impl RuntimeTag {
    /// The runtime images' tag in the layout of today's images
    /// (`3.1-buster-slim`).
    pub(super) fn tag(&self) -> String {
        if self.variant.is_empty() {
            self.version.clone()
        } else {
            format!("{}-{}", self.version, self.variant)
        }
    }
}

/// Reads a retired SDK's tag: `written` as in the FROM line, `resolved`
/// with build arguments replaced by their defaults. The error says why
/// msb does not name a runtime for it.
pub(super) fn retired_tag(
    written: &str,
    resolved: &str,
    retired: &RetiredSdk,
) -> Result<RuntimeTag, String> {
    let words = |tag: &str| -> Result<Vec<String>, String> {
        let mut parts: Vec<String> = tag.split('-').map(String::from).collect();
        if let Some(word) = &retired.sdk_word {
            let Some(at) = parts.iter().position(|p| p == word) else {
                return Err(format!("its tag `{tag}` names no SDK (`-{word}`)"));
            };
            parts.remove(at);
        }
        if parts.is_empty() {
            // `sdk`: the floating tag of the newest version.
            parts.push(String::new());
        }
        Ok(parts)
    };
    let written_parts = words(written)?;
    let resolved_parts = words(resolved)?;
    let Some(resolved_version) = major_minor(&resolved_parts[0]) else {
        return Err(format!(
            "its tag `{resolved}` names no .NET version, so msb cannot tell which retired runtime image matches it"
        ));
    };
    if older(&resolved_version, &retired.min_version) {
        return Err(format!(
            "msb names runtime images for .NET Core {} and later only, and this SDK is {resolved_version}",
            retired.min_version
        ));
    }
    let version = if written_parts[0].contains('$') {
        // A build argument whose default is an SDK release (2.1.500)
        // would give a runtime tag that does not exist.
        if resolved_parts[0] != resolved_version {
            return Err(format!(
                "the version comes from a build argument whose default `{}` is an SDK release, not a runtime tag",
                resolved_parts[0]
            ));
        }
        written_parts[0].clone()
    } else {
        resolved_version
    };
    let written_variant = written_parts[1..].join("-");
    if written_variant.contains('$') {
        return Err(format!(
            "its OS variant `{written_variant}` comes from a build argument"
        ));
    }
    let variant = if written_variant.is_empty() {
        String::new()
    } else {
        let Some((_, name)) = retired
            .variants
            .iter()
            .find(|(pattern, _)| glob_match(pattern, &written_variant))
        else {
            return Err(format!(
                "msb does not know the runtime images of its OS variant `{written_variant}`"
            ));
        };
        name.replace("{variant}", &written_variant)
    };
    Ok(RuntimeTag { version, variant })
}

/// The .NET line of an SDK tag (`2.1.500-sdk` → `2.1`); None for a tag
/// that names no version.
pub(super) fn line_of(tag: &str) -> Option<String> {
    major_minor(tag.split('-').next().unwrap_or(tag))
}

/// `2.1.500` → `2.1`; None for a word that is not a version (`latest`).
fn major_minor(word: &str) -> Option<String> {
    let mut parts = word.split('.');
    let (major, minor) = (parts.next()?, parts.next()?);
    let is_number = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    (is_number(major) && is_number(minor)).then(|| format!("{major}.{minor}"))
}

/// Whether major.minor `version` comes before `than`.
pub(super) fn older(version: &str, than: &str) -> bool {
    let parse = |v: &str| -> (u32, u32) {
        let mut it = v.split('.').map(|p| p.parse().unwrap_or(0));
        (it.next().unwrap_or(0), it.next().unwrap_or(0))
    };
    parse(version) < parse(than)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn hub() -> RetiredSdk {
        RetiredSdk {
            bases: BTreeMap::new(),
            sdk_word: Some("sdk".into()),
            variants: [
                ("stretch".to_string(), "stretch-slim".to_string()),
                ("alpine*".to_string(), "{variant}".to_string()),
            ]
            .into(),
            min_version: "2.1".into(),
            support: String::new(),
        }
    }

    fn tag(version: &str, variant: &str) -> Result<RuntimeTag, String> {
        Ok(RuntimeTag {
            version: version.into(),
            variant: variant.into(),
        })
    }

    #[test]
    fn reads_the_version_and_variant_of_hub_tags() {
        let r = hub();
        assert_eq!(retired_tag("2.1-sdk", "2.1-sdk", &r), tag("2.1", ""));
        assert_eq!(
            retired_tag("2.2.402-sdk-alpine3.9", "2.2.402-sdk-alpine3.9", &r),
            tag("2.2", "alpine3.9")
        );
        assert_eq!(
            retired_tag("2.1-sdk-stretch", "2.1-sdk-stretch", &r),
            tag("2.1", "stretch-slim")
        );
        assert_eq!(retired_tag("${V}-sdk", "2.1-sdk", &r), tag("${V}", ""));
    }

    #[test]
    fn says_why_a_tag_is_not_migrated() {
        let r = hub();
        for (written, resolved, why) in [
            ("latest", "latest", "names no SDK"),
            ("sdk", "sdk", "names no .NET version"),
            ("2.0-sdk", "2.0-sdk", "2.1 and later only"),
            ("1.1-sdk-msbuild", "1.1-sdk-msbuild", "2.1 and later only"),
            ("2.1-sdk-bionic", "2.1-sdk-bionic", "OS variant `bionic`"),
            ("${V}-sdk", "2.1.500-sdk", "an SDK release"),
            (
                "2.1-sdk-${OS}",
                "2.1-sdk-alpine",
                "comes from a build argument",
            ),
        ] {
            let err = retired_tag(written, resolved, &r).unwrap_err();
            assert!(err.contains(why), "{written}: {err}");
        }
    }

    #[test]
    fn core_tags_have_no_sdk_word() {
        let mut r = hub();
        r.sdk_word = None;
        r.variants
            .insert("buster".to_string(), "buster-slim".to_string());
        assert_eq!(retired_tag("3.1", "3.1", &r), tag("3.1", ""));
        assert_eq!(
            retired_tag("3.1.402-buster", "3.1.402-buster", &r),
            tag("3.1", "buster-slim")
        );
        assert!(retired_tag("latest", "latest", &r).is_err());
        assert!(older("2.2", "3.0") && !older("3.1", "3.0") && !older("10.0", "3.0"));
    }
}
