//! build.gradle(.kts) and settings.gradle(.kts), read as text for what
//! names the jars Gradle makes: the project name, a literal `version`, the
//! plugins (Spring Boot, Shadow, application) and archive settings. Gradle
//! files are programs; msb reads only the plain forms, and anything it
//! cannot read for sure (a computed version, an archive setting it does
//! not follow, another build folder) makes the name unknown.

/// The version a Gradle project gives its archives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Version {
    /// No `version`: Gradle's `unspecified`, left out of archive names.
    Unset,
    Literal(String),
    /// Set by an expression msb does not evaluate.
    Unknown,
}

/// What a Gradle build says about its archives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GradleBuild {
    /// `rootProject.name` of settings.gradle, if literal.
    pub root_name: Option<String>,
    /// settings.gradle includes subprojects.
    pub multi_project: bool,
    /// The folders of the subprojects it includes by literal path
    /// (`include 'api', ':services:web'` → `api`, `services/web`).
    pub subprojects: Vec<String>,
    pub version: Version,
    /// An `allprojects {}` or `subprojects {}` block sets a version, which
    /// the subprojects' archive names then carry.
    pub shares_version: bool,
    pub boot: bool,
    /// The Spring Boot plugin's version, when the plugins block names it.
    pub boot_version: Option<(u32, u32)>,
    pub shadow: bool,
    pub application: bool,
    /// The Quarkus plugin, which packages into `build/quarkus-app`.
    pub quarkus: bool,
    /// `jar { enabled = false }`: no `-plain.jar` next to the boot jar.
    pub plain_jar_disabled: bool,
    /// `bootJar { archiveFileName = "app.jar" }`.
    pub boot_file_name: Option<String>,
    /// An archive setting msb does not follow (base name, classifier,
    /// destination, another build folder...).
    pub custom_archives: bool,
    /// A `bootRun {}` block (or `tasks.withType<BootRun>`) sets
    /// something: arguments `java -jar` would not get.
    pub boot_run_configured: bool,
    /// `applicationName` of the application plugin, if literal.
    pub application_name: Option<String>,
    pub java_release: Option<u32>,
}

/// Words that change archive names or where they go.
const ARCHIVE_SETTINGS: &[&str] = &[
    "archiveBaseName",
    "archiveAppendix",
    "archiveVersion",
    "archiveClassifier",
    "archiveExtension",
    "archiveName",
    "baseName",
    "destinationDirectory",
    "destinationDir",
    "buildDir",
    "buildDirectory",
    "libsDirName",
    "libsDirectory",
];

/// A quoted literal at the start of `text` (`'x'` or `"x"`), without `$`.
fn literal(text: &str) -> Option<String> {
    let text = text.trim();
    let quote = text.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let rest = &text[1..];
    let end = rest.find(quote)?;
    let value = &rest[..end];
    (!value.contains('$')).then(|| value.to_string())
}

/// The value assigned to `name` on a line (`name = 'x'`, `name 'x'`,
/// `name.set("x")`), or None if the line does not assign it.
fn assigned<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    let rest = line.trim().strip_prefix(name)?;
    if let Some(v) = rest.trim_start().strip_prefix('=') {
        return Some(v);
    }
    if let Some(v) = rest.strip_prefix(".set(") {
        return Some(v.trim_end().trim_end_matches(')'));
    }
    // Groovy's method-call form: `version '1.0'`.
    let v = rest.strip_prefix(' ')?.trim_start();
    v.starts_with(['\'', '"']).then_some(v)
}

/// Lines of `text` with `//` comments cut (roughly: not inside strings).
fn code_lines(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_block_comment = false;
    for line in text.lines() {
        let mut line = line.to_string();
        if in_block_comment {
            match line.find("*/") {
                Some(end) => {
                    line = line[end + 2..].to_string();
                    in_block_comment = false;
                }
                None => continue,
            }
        }
        if let Some(start) = line.find("/*") {
            if let Some(end) = line[start..].find("*/") {
                line = format!("{}{}", &line[..start], &line[start + end + 2..]);
            } else {
                line.truncate(start);
                in_block_comment = true;
            }
        }
        if let Some(pos) = line.find("//")
            && !line[..pos].ends_with(':')
        {
            line.truncate(pos);
        }
        out.push(line);
    }
    out
}

/// The bodies of `{ ... }` blocks opened on a line that names `word` as
/// an identifier or a quoted task name (`bootJar {`, `tasks.bootJar {`,
/// `tasks.named<BootJar>("bootJar") {`).
fn blocks(text: &str, word: &str) -> Vec<String> {
    // A byte scan: `word`, the braces and the newline are ASCII, so every
    // index it stops at is a character boundary (a Vec<char> of the whole
    // file per call was most of reading a build file).
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let target = word.as_bytes();
    let is_ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut i = 0;
    while i + target.len() <= bytes.len() {
        if &bytes[i..i + target.len()] == target
            && (i == 0 || !is_ident(bytes[i - 1]))
            && bytes.get(i + target.len()).is_none_or(|c| !is_ident(*c))
        {
            // The block must open on the same line.
            let mut j = i + target.len();
            while j < bytes.len() && bytes[j] != b'{' && bytes[j] != b'\n' {
                j += 1;
            }
            if j < bytes.len() && bytes[j] == b'{' {
                let mut depth = 0;
                let start = j + 1;
                let mut k = j;
                while k < bytes.len() {
                    match bytes[k] {
                        b'{' => depth += 1,
                        b'}' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    k += 1;
                }
                out.push(text[start..k.min(bytes.len())].to_string());
                i = k;
            }
        }
        i += 1;
    }
    out
}

/// A plugin id applied by any of the usual forms: `id 'x'`, `id("x")`,
/// `apply plugin: 'x'`, or a bare `application`/`java` in `plugins {}`.
fn has_plugin(lines: &[String], plugins_block: &str, id: &str) -> bool {
    let quoted = [format!("'{id}'"), format!("\"{id}\"")];
    let by_id = lines
        .iter()
        .map(String::as_str)
        .chain(plugins_block.lines())
        .any(|l| {
            let l = l.trim();
            (l.starts_with("id") || l.starts_with("apply plugin"))
                && quoted.iter().any(|q| l.contains(q))
        });
    let bare = plugins_block
        .lines()
        .any(|l| l.trim() == id || l.trim().starts_with(&format!("`{id}`")));
    by_id || bare
}

/// `major.minor` of the Spring Boot plugin version in the plugins block.
fn boot_plugin_version(lines: &[String], ids: &[String]) -> Option<(u32, u32)> {
    let line = lines.iter().find(|l| {
        ids.iter()
            .any(|id| l.contains(&format!("'{id}'")) || l.contains(&format!("\"{id}\"")))
    })?;
    let after = line.split("version").nth(1)?;
    let v = literal(after.trim_start().trim_start_matches('(').trim_start())?;
    let mut parts = v.split('.');
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

/// Read settings.gradle(.kts) for the root project's name and subprojects.
pub fn read_settings(text: &str) -> (Option<String>, bool, Vec<String>) {
    let lines = code_lines(text);
    let name = lines
        .iter()
        .find_map(|l| assigned(l, "rootProject.name").and_then(literal));
    let includes: Vec<&String> = lines
        .iter()
        .filter(|l| {
            let l = l.trim();
            l.starts_with("include") && !l.starts_with("includeBuild")
        })
        .collect();
    let mut subprojects = Vec::new();
    for line in &includes {
        // Every quoted path on the line.
        for (i, quoted) in line.split(['\'', '"']).enumerate() {
            if i % 2 == 1 && !quoted.is_empty() && !quoted.contains('$') {
                subprojects.push(quoted.trim_start_matches(':').replace(':', "/"));
            }
        }
    }
    (name, !includes.is_empty(), subprojects)
}

/// Read a build.gradle(.kts), with gradle.properties for the version.
pub fn read(
    build: &str,
    settings: Option<&str>,
    properties: Option<&str>,
    rules: &crate::knowledge::JavaRules,
) -> GradleBuild {
    let lines = code_lines(build);
    let code = lines.join("\n");
    let plugins_block = blocks(&code, "plugins").join("\n");
    let (root_name, multi_project, subprojects) =
        settings
            .map(read_settings)
            .unwrap_or((None, false, Vec::new()));
    let version = read_version(&lines, properties);
    let shares_version = ["allprojects", "subprojects"].iter().any(|w| {
        blocks(&code, w).iter().any(|b| {
            b.split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
                .any(|word| word == "version")
        })
    });
    let any = |ids: &[String]| ids.iter().any(|id| has_plugin(&lines, &plugins_block, id));
    let boot = any(&rules.gradle_boot_plugins);
    let plain_jar_disabled = blocks(&code, "jar").iter().any(|b| {
        code_lines(b).iter().any(|l| {
            let l = l.replace(' ', "");
            l == "enabled=false" || l == "isEnabled=false" || l == "enabled.set(false)"
        })
    });
    let boot_file_name = blocks(&code, "bootJar").iter().find_map(|b| {
        code_lines(b)
            .iter()
            .find_map(|l| assigned(l, "archiveFileName").and_then(literal))
    });
    let custom_archives = custom_archives(&code, boot_file_name.is_some());
    let boot_run_configured = ["bootRun", "BootRun"]
        .iter()
        .flat_map(|w| blocks(&code, w))
        .any(|b| !b.trim().is_empty());
    let application_name = lines
        .iter()
        .find_map(|l| assigned(l, "applicationName").and_then(literal));
    let java_release = lines.iter().find_map(|l| line_java_release(l));
    GradleBuild {
        root_name,
        multi_project,
        subprojects,
        version,
        shares_version,
        boot,
        boot_version: boot_plugin_version(&lines, &rules.gradle_boot_plugins),
        shadow: any(&rules.gradle_shadow_plugins),
        application: any(&rules.gradle_application_plugins),
        quarkus: any(&rules.gradle_quarkus_plugins),
        plain_jar_disabled,
        boot_file_name,
        custom_archives,
        boot_run_configured,
        application_name,
        java_release,
    }
}

/// The project's version: the literal it assigns, or gradle.properties'
/// when it assigns none. Two different ones, or a computed one, are
/// unknown.
fn read_version(lines: &[String], properties: Option<&str>) -> Version {
    let mut versions: Vec<Version> = lines
        .iter()
        .filter_map(|l| assigned(l, "version"))
        .map(|v| literal(v).map_or(Version::Unknown, Version::Literal))
        .collect();
    versions.dedup();
    match versions.as_slice() {
        [] => properties
            .and_then(|p| {
                p.lines().find_map(|l| {
                    let (k, v) = l.split_once('=')?;
                    (k.trim() == "version").then(|| Version::Literal(v.trim().to_string()))
                })
            })
            .unwrap_or(Version::Unset),
        [one] => one.clone(),
        _ => Version::Unknown,
    }
}

/// An archive setting msb does not follow, or an archiveFileName it did
/// not read (outside bootJar, or computed).
fn custom_archives(code: &str, read_boot_file_name: bool) -> bool {
    let file_names = code.matches("archiveFileName").count();
    // One pass over the words, not one per setting.
    code.split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .any(|w| !w.is_empty() && ARCHIVE_SETTINGS.contains(&w))
        || file_names > usize::from(read_boot_file_name)
}

/// The Java release a line of the build file compiles for (a toolchain,
/// `JavaVersion.VERSION_17`, `sourceCompatibility`).
fn line_java_release(l: &str) -> Option<u32> {
    for key in [
        "JavaLanguageVersion.of(",
        "jvmToolchain(",
        "JavaVersion.VERSION_",
    ] {
        if let Some(pos) = l.find(key) {
            let rest = &l[pos + key.len()..];
            let digits: String = rest
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '_')
                .collect();
            let digits = digits.strip_prefix("1_").unwrap_or(&digits).to_string();
            return digits.parse().ok();
        }
    }
    assigned(l, "sourceCompatibility")
        .and_then(|v| super::maven::java_release(v.trim().trim_matches(['\'', '"'])))
}

impl GradleBuild {
    /// `name-version` as Gradle joins archive name parts.
    fn stem(&self, name: &str, classifier: &str) -> Option<String> {
        let mut parts = vec![name.to_string()];
        match &self.version {
            Version::Unset => {}
            Version::Literal(v) => parts.push(v.clone()),
            Version::Unknown => return None,
        }
        if !classifier.is_empty() {
            parts.push(classifier.to_string());
        }
        Some(parts.join("-"))
    }

    /// The boot jar's file name, for the project called `name`.
    pub fn boot_jar(&self, name: &str) -> Option<String> {
        if let Some(file) = &self.boot_file_name {
            return Some(file.clone());
        }
        if self.custom_archives {
            return None;
        }
        Some(format!("{}.jar", self.stem(name, "")?))
    }

    /// The `jar` task's file name (`-plain` beside a boot jar).
    pub fn plain_jar(&self, name: &str) -> Option<String> {
        if self.custom_archives {
            return None;
        }
        let classifier = if self.boot && self.plain_classifier() {
            "plain"
        } else {
            ""
        };
        Some(format!("{}.jar", self.stem(name, classifier)?))
    }

    pub fn shadow_jar(&self, name: &str) -> Option<String> {
        if self.custom_archives {
            return None;
        }
        Some(format!("{}.jar", self.stem(name, "all")?))
    }

    /// Spring Boot 2.5 and later give the plain jar a `-plain` classifier
    /// (and enable it); before, `jar` was off beside `bootJar`.
    fn plain_classifier(&self) -> bool {
        self.boot_version.is_none_or(|v| v >= (2, 5))
    }

    /// Whether `jar` leaves a jar in build/libs.
    pub fn makes_plain_jar(&self) -> bool {
        !self.plain_jar_disabled && (!self.boot || self.plain_classifier())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyse::java::tests::rules;

    #[test]
    fn kotlin_dsl_boot_jar() {
        let build = r#"
plugins {
    java
    id("org.springframework.boot") version "3.2.5"
    id("io.spring.dependency-management") version "1.1.4"
}
group = "com.example"
version = "0.1.0" // release
java { toolchain { languageVersion = JavaLanguageVersion.of(17) } }
"#;
        let g = read(
            build,
            Some("rootProject.name = \"orders\"\n"),
            None,
            &rules(),
        );
        assert_eq!(g.boot_jar("orders").as_deref(), Some("orders-0.1.0.jar"));
        assert_eq!(
            g.plain_jar("orders").as_deref(),
            Some("orders-0.1.0-plain.jar")
        );
        assert!(g.boot && g.makes_plain_jar());
        assert_eq!(g.root_name.as_deref(), Some("orders"));
        assert_eq!(g.java_release, Some(17));
        assert_eq!(g.boot_version, Some((3, 2)));
    }

    #[test]
    fn groovy_with_disabled_plain_jar_and_file_name() {
        let build = r#"
plugins {
    id 'java'
    id 'org.springframework.boot' version '3.1.0'
}
version '1.2'
sourceCompatibility = '21'
jar {
    enabled = false
}
bootJar {
    archiveFileName = 'service.jar'
}
"#;
        let g = read(build, None, None, &rules());
        assert!(!g.makes_plain_jar());
        assert_eq!(g.boot_jar("x").as_deref(), Some("service.jar"));
        assert_eq!(g.version, Version::Literal("1.2".into()));
        assert_eq!(g.java_release, Some(21));
        assert!(!g.custom_archives);
        assert!(!g.boot_run_configured);
        let run = read(
            "plugins { id 'org.springframework.boot' version '3.2.0' }\nbootRun {\n    jvmArgs = ['-Xmx512m']\n}\n",
            None,
            None,
            &rules(),
        );
        assert!(run.boot_run_configured);
        let kts = read(
            "tasks.named<org.springframework.boot.gradle.tasks.run.BootRun>(\"bootRun\") {\n    args(\"--spring.profiles.active=dev\")\n}\n",
            None,
            None,
            &rules(),
        );
        assert!(kts.boot_run_configured);
    }

    #[test]
    fn unknowns_stay_unknown() {
        let g = read(
            "plugins { id 'java' }\nversion = System.getenv('V')\n",
            None,
            None,
            &rules(),
        );
        assert_eq!(g.version, Version::Unknown);
        assert_eq!(g.plain_jar("x"), None);
        let g = read(
            "plugins { id 'application' }\njar { archiveBaseName = 'x' }\n",
            Some("rootProject.name = 'a'\ninclude 'core'\n"),
            Some("version=3.0\n"),
            &rules(),
        );
        assert!(g.custom_archives && g.application && g.multi_project);
        assert_eq!(g.subprojects, vec!["core"]);
        assert!(!g.shares_version);
        let root = read(
            "subprojects { apply plugin: 'java'; version = '1.0.0' }\n",
            None,
            None,
            &rules(),
        );
        assert!(root.shares_version && root.version == Version::Unset);
        assert_eq!(
            read_settings("rootProject.name = \"shop\"\ninclude(\":api\", \":services:web\")\n").2,
            vec!["api", "services/web"]
        );
        assert_eq!(g.version, Version::Literal("3.0".into()));
        let unset = read("plugins { id 'java' }\n", None, None, &rules());
        assert_eq!(unset.plain_jar("tool").as_deref(), Some("tool.jar"));
    }
}
