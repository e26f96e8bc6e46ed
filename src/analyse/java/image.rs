//! The JDK of the builder's tag and the JRE that runs the jar: the Java
//! version the tag names (or the build file compiles for), the same JVM
//! (HotSpot or OpenJ9), Alpine when the builder is, and the build argument
//! the version comes from, so `--build-arg` changes both stages.

use super::command::Tool;
use super::outputs::gradle_project;
use super::{Java, maven, read_context_file};
use crate::analyse::image::BaseImage;
use crate::analyse::{Analysis, RuntimeChoice};
use crate::knowledge::{Family, JavaRules};

/// What a builder tag says of its JDK.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct TagJava {
    version: Option<u32>,
    /// The Ubuntu release it names, or empty.
    ubuntu: String,
    /// Where the version is: the `-` part and the byte offset in it.
    at: Option<(usize, usize)>,
}

/// The Java version a builder tag names (`maven:3.9-eclipse-temurin-17`,
/// `openjdk:8-jdk-alpine`, `gradle:jdk21`), and its Ubuntu release.
fn tag_java_version(base_name: &str, tag: &str, rules: &JavaRules) -> TagJava {
    let parts: Vec<&str> = tag.split('-').collect();
    let ubuntu = parts
        .iter()
        .find(|p| rules.ubuntu_releases.iter().any(|r| r == *p))
        .map(|p| p.to_string())
        .unwrap_or_default();
    let leading = |s: &str| -> Option<u32> {
        let digits: String = s.chars().take_while(|c| c.is_ascii_digit()).collect();
        let n: u32 = digits.parse().ok()?;
        // `1.8` is Java 8.
        if n == 1 {
            return s
                .strip_prefix("1.")
                .and_then(|r| r.split('.').next()?.parse().ok());
        }
        Some(n)
    };
    let found = |i: usize, offset: usize| TagJava {
        version: parts.get(i).and_then(|p| leading(&p[offset..])),
        ubuntu: ubuntu.clone(),
        at: Some((i, offset)),
    };
    if rules.version_first_images.iter().any(|i| i == base_name) {
        // `open-17-jdk`, `open-jdk-25.0.2_10.1-jdk`: words before it.
        let first = parts
            .iter()
            .take_while(|p| rules.version_prefixes.iter().any(|w| w == *p))
            .count();
        return found(first, 0);
    }
    for (i, part) in parts.iter().enumerate() {
        for word in &rules.version_words {
            if *part == word.as_str() {
                if parts.get(i + 1).and_then(|next| leading(next)).is_some() {
                    return found(i + 1, 0);
                }
            } else if let Some(rest) = part.strip_prefix(word.as_str())
                && rest.starts_with(|c: char| c.is_ascii_digit())
            {
                return found(i, word.len());
            }
        }
    }
    TagJava {
        ubuntu,
        ..TagJava::default()
    }
}

/// The build argument the written tag names the Java version with
/// (`eclipse-temurin:${JAVA_VERSION}-jdk`), when the version is that
/// argument alone: the runtime tag names it too, so a `--build-arg`
/// changes both stages.
fn version_argument(written_tag: &str, resolved_tag: &str, at: (usize, usize)) -> Option<String> {
    let written: Vec<&str> = written_tag.split('-').collect();
    let resolved: Vec<&str> = resolved_tag.split('-').collect();
    if written.len() != resolved.len() {
        return None;
    }
    let part = written.get(at.0)?;
    let word = part.get(..at.1)?;
    let rest = &part[at.1..];
    let resolved_word = resolved.get(at.0)?.get(..at.1)?;
    let name = rest
        .strip_prefix("${")
        .and_then(|r| r.strip_suffix('}'))
        .or_else(|| rest.strip_prefix('$'))?;
    let plain = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    (plain && word == resolved_word).then(|| rest.to_string())
}

/// The tag of an image reference as resolved (`name:tag`, digest cut).
pub(crate) fn resolved_tag(resolved: &str) -> String {
    let without_digest = resolved.split('@').next().unwrap_or(resolved);
    let last = without_digest.rsplit('/').next().unwrap_or(without_digest);
    last.split_once(':')
        .map_or("latest".to_string(), |(_, t)| t.to_string())
}

impl Java<'_> {
    /// The JRE: the builder's Java version, Alpine when the builder is.
    pub(super) fn choose_runtime(&self, builder: &BaseImage, a: &mut Analysis) {
        let from = crate::analyse::from_line(self.file);
        let tag = resolved_tag(&builder.resolved);
        let found = tag_java_version(&builder.base_name, &tag, self.rules);
        let alpine = builder.family == Family::Alpine;
        let Some(openj9) = self.openj9(builder, &tag, from, a) else {
            return;
        };
        let Some((version, evidence)) = self.java_version(builder, found.version, from, a) else {
            return;
        };
        self.debian_library_names(builder, from, a);
        let Some(chosen) = self.published_jre(version, openj9, alpine, from, a) else {
            return;
        };
        let argument = runtime_argument(builder, &tag, &found, version, chosen, a);
        let mut vars = std::collections::BTreeMap::new();
        vars.insert(
            "java_version".to_string(),
            argument.unwrap_or_else(|| chosen.to_string()),
        );
        vars.insert(
            "ubuntu_release".to_string(),
            if alpine { String::new() } else { found.ubuntu },
        );
        let key = if openj9 {
            "semeru"
        } else if alpine {
            "jre_alpine"
        } else {
            "jre"
        };
        a.runtime_choice = Some(RuntimeChoice {
            key: key.into(),
            vars,
            why: format!(" ({evidence})"),
        });
    }

    /// Whether the builder's JVM is OpenJ9 (its JRE is IBM Semeru's), or
    /// None, blocked: IBM Java (J9) has no JRE image, and Semeru no
    /// Alpine one.
    fn openj9(
        &self,
        builder: &BaseImage,
        tag: &str,
        from: usize,
        a: &mut Analysis,
    ) -> Option<bool> {
        let words: Vec<&str> = tag.split('-').collect();
        let has_word = |list: &[String]| list.iter().any(|w| words.contains(&w.as_str()));
        if has_word(&self.rules.unsupported_jvm_words) {
            a.block(
                from,
                format!(
                    "{} builds with IBM Java (J9): msb has no JRE of the same JVM to run the jar on",
                    builder.written
                ),
            );
            return None;
        }
        let openj9 = self.rules.openj9_images.contains(&builder.base_name)
            || has_word(&self.rules.openj9_words);
        if openj9 && builder.family == Family::Alpine {
            a.block(
                from,
                format!(
                    "{} is an Alpine OpenJ9 JDK: IBM Semeru publishes no Alpine JRE, and HotSpot's takes other JVM options",
                    builder.written
                ),
            );
            return None;
        }
        Some(openj9)
    }

    /// The Java version the jar runs on, with its evidence: the tag's, or
    /// (only with --unsafe) the release the build file compiles for.
    fn java_version(
        &self,
        builder: &BaseImage,
        tag_version: Option<u32>,
        from: usize,
        a: &mut Analysis,
    ) -> Option<(u32, String)> {
        if let Some(v) = tag_version {
            return Some((v, format!("{} is Java {v}", builder.written)));
        }
        // The build file may say which Java it compiles for.
        let Some((v, source)) = self.declared_release(a) else {
            a.block(
                from,
                format!(
                    "{} does not name its Java version: msb cannot tell which JRE runs the jar",
                    builder.written
                ),
            );
            return None;
        };
        a.block_unless_unsafe(
            from,
            format!(
                "{} does not name its Java version; {source} compiles for Java {v}, which --unsafe runs on a Java {v} JRE",
                builder.written
            ),
        );
        Some((v, format!("{source} compiles for Java {v}")))
    }

    /// The JREs are Ubuntu; a Debian builder's versioned library packages
    /// (libssl1.1, libicu67) have other names there: only --unsafe goes on.
    fn debian_library_names(&self, builder: &BaseImage, from: usize, a: &mut Analysis) {
        let Some(release) = builder.release.as_deref() else {
            return;
        };
        if builder.family != Family::Debian {
            return;
        }
        let sorted = crate::analyse::packages::for_runtime(
            builder.family,
            Some(release),
            &a.installed_packages,
            &a.removed_packages,
            self.k,
        );
        let versioned: Vec<&str> = sorted
            .install
            .iter()
            .map(|p| p.name.as_str())
            .filter(|n| n.contains(|c: char| c.is_ascii_digit()))
            .collect();
        if !versioned.is_empty() {
            a.block_unless_unsafe(
                from,
                format!(
                    "{} is Debian {release} and the JRE image Ubuntu: {} may have other names there (Debian's libssl1.1 is Ubuntu's libssl3)",
                    builder.written,
                    versioned.join(", ")
                ),
            );
        }
    }

    /// The Java version of the JRE image: the same, or (only with
    /// --unsafe) the next one published. None, blocked, when none is.
    fn published_jre(
        &self,
        version: u32,
        openj9: bool,
        alpine: bool,
        from: usize,
        a: &mut Analysis,
    ) -> Option<u32> {
        let (published, vendor) = if openj9 {
            (&self.rules.semeru_jre_versions, "IBM Semeru")
        } else if alpine {
            (&self.rules.jre_alpine_versions, "eclipse-temurin")
        } else {
            (&self.rules.jre_versions, "eclipse-temurin")
        };
        if published.contains(&version) {
            return Some(version);
        }
        if let Some(newer) = published.iter().filter(|v| **v > version).min() {
            a.block_unless_unsafe(
                from,
                format!(
                    "{vendor} has no maintained JRE for Java {version}; --unsafe runs the jar on the Java {newer} JRE"
                ),
            );
            return Some(*newer);
        }
        a.block(
            from,
            format!("{vendor} has no JRE for Java {version}: msb cannot choose a runtime"),
        );
        None
    }

    /// The Java release the project's build file compiles for.
    fn declared_release(&self, a: &Analysis) -> Option<(u32, String)> {
        for (_, cmd) in &self.commands {
            let dir = cmd.project_dir.trim_end_matches('/');
            let found = match cmd.tool {
                Tool::Maven => read_context_file(a, &format!("{dir}/pom.xml"), self.context)
                    .and_then(|(p, t)| Some((maven::read(&t)?.java_release?, p))),
                Tool::Gradle => gradle_project(dir, self.context, self.rules, a)
                    .and_then(|(b, p)| Some((b.java_release?, p))),
            };
            if found.is_some() {
                return found;
            }
        }
        None
    }
}

/// `eclipse-temurin:${JAVA_VERSION}-jdk`: the runtime follows the same
/// build argument, when it runs the tag's version. A tag from another
/// build argument is warned about: the runtime keeps its default.
fn runtime_argument(
    builder: &BaseImage,
    tag: &str,
    found: &TagJava,
    version: u32,
    chosen: u32,
    a: &mut Analysis,
) -> Option<String> {
    let argument = found
        .at
        .filter(|_| chosen == version)
        .and_then(|at| version_argument(&builder.tag, tag, at));
    if argument.is_none() && builder.tag.contains('$') && !builder.from_variable {
        a.warnings.push(format!(
            "{} takes its tag from a build argument; the runtime stage runs Java {chosen}, its default, whatever --build-arg says",
            builder.written
        ));
    }
    argument
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyse::java::tests::rules;

    #[test]
    fn java_version_from_tags() {
        let r = rules();
        let v = |image: &str, tag: &str| tag_java_version(image, tag, &r).version;
        assert_eq!(v("maven", "3.9-eclipse-temurin-17"), Some(17));
        assert_eq!(v("maven", "3.8.5-openjdk-17"), Some(17));
        assert_eq!(v("maven", "3-jdk-11"), Some(11));
        assert_eq!(v("maven", "3.9.6-amazoncorretto-21-al2023"), Some(21));
        assert_eq!(v("gradle", "8.5-jdk17"), Some(17));
        assert_eq!(v("gradle", "jdk21"), Some(21));
        assert_eq!(v("gradle", "8.5.0-jdk17-focal"), Some(17));
        assert_eq!(v("openjdk", "17-jdk-slim"), Some(17));
        assert_eq!(v("openjdk", "8-jdk-alpine"), Some(8));
        assert_eq!(v("openjdk", "8u342-jdk"), Some(8));
        assert_eq!(v("eclipse-temurin", "21-jdk"), Some(21));
        assert_eq!(v("eclipse-temurin", "11.0.23_9-jdk-jammy"), Some(11));
        assert_eq!(v("amazoncorretto", "17"), Some(17));
        assert_eq!(v("maven", "3.6.3-adoptopenjdk-8"), Some(8));
        assert_eq!(v("maven", "3-adoptopenjdk-11-openj9"), Some(11));
        assert_eq!(v("maven", "3.9-ibm-semeru-17-jammy"), Some(17));
        assert_eq!(v("ibm-semeru-runtimes", "open-17-jdk"), Some(17));
        assert_eq!(
            v("ibm-semeru-runtimes", "open-jdk-25.0.2_10.1-jdk-noble"),
            Some(25)
        );
        assert_eq!(v("ibm-semeru-runtimes", "open-8u482-b08.1-jdk"), Some(8));
        assert_eq!(v("maven", "latest"), None);
        assert_eq!(v("maven", "3.9"), None);
        assert_eq!(v("eclipse-temurin", "latest"), None);
        assert_eq!(
            tag_java_version("maven", "3.9-eclipse-temurin-21-jammy", &r).ubuntu,
            "jammy"
        );
        let at = |image: &str, tag: &str| tag_java_version(image, tag, &r).at.unwrap();
        assert_eq!(
            version_argument(
                "${JAVA_VERSION}-jdk-alpine",
                "17-jdk-alpine",
                at("eclipse-temurin", "17-jdk-alpine")
            )
            .as_deref(),
            Some("${JAVA_VERSION}")
        );
        assert_eq!(
            version_argument(
                "3.9-eclipse-temurin-$JDK",
                "3.9-eclipse-temurin-21",
                at("maven", "3.9-eclipse-temurin-21")
            )
            .as_deref(),
            Some("$JDK")
        );
        assert_eq!(
            version_argument("8.5-jdk${JDK}", "8.5-jdk17", at("gradle", "8.5-jdk17")).as_deref(),
            Some("${JDK}")
        );
        // Only the version part, and only a whole argument.
        assert_eq!(
            version_argument("${TAG}", "17-jdk", at("eclipse-temurin", "17-jdk")),
            None
        );
        assert_eq!(
            version_argument(
                "${MAJOR}.0.2-jdk",
                "17.0.2-jdk",
                at("eclipse-temurin", "17.0.2-jdk")
            ),
            None
        );
        assert_eq!(
            version_argument("17-jdk", "17-jdk", at("eclipse-temurin", "17-jdk")),
            None
        );
        assert_eq!(
            resolved_tag("registry:5000/maven:3-jdk-11@sha256:ab"),
            "3-jdk-11"
        );
        assert_eq!(resolved_tag("maven"), "latest");
    }
}
