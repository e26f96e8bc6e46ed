//! pom.xml, read for what names the jar Maven makes: the coordinates,
//! `<build><finalName>`, the packaging, the modules, and the plugins that
//! change what `target/` holds (Spring Boot's repackage, shade, sources).
//! Only literal values and `${...}` properties the pom itself defines are
//! resolved; anything else leaves the name unknown rather than guessed.

use std::collections::BTreeMap;

use roxmltree::{Document, Node};

/// What one pom.xml says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pom {
    pub artifact_id: Option<String>,
    /// The project's version, or its parent's.
    pub version: Option<String>,
    /// `jar` when not set.
    pub packaging: String,
    /// The file name without extension (`<finalName>` or
    /// `artifactId-version`), None when a property cannot be resolved.
    pub final_name: Option<String>,
    /// `<build><directory>` is set: the output is not `target/`.
    pub custom_build_dir: bool,
    pub modules: Vec<String>,
    /// artifactIds of `<build><plugins>`.
    pub plugins: Vec<String>,
    /// The parent is spring-boot-starter-parent, which binds repackage.
    pub boot_parent: bool,
    /// spring-boot-maven-plugin's repackage runs at `package`.
    pub boot_repackage: bool,
    /// spring-boot-maven-plugin's configuration keys.
    pub boot_settings: Vec<String>,
    /// The build copies the dependency jars next to the jar
    /// (maven-dependency-plugin `copy-dependencies`), or the manifest lists
    /// them (`addClasspath`): the jar needs them at run time.
    pub needs_lib_folder: bool,
    /// The Java release the pom compiles for (`java.version`,
    /// `maven.compiler.release`...).
    pub java_release: Option<u32>,
    /// Jars maven-assembly-plugin makes beside the main one
    /// (`app-1.0-jar-with-dependencies.jar`); None for an assembly whose
    /// name msb cannot read (a descriptor file, an unresolved name).
    pub assembly_jars: Vec<Option<String>>,
    /// The lifecycle phase an execution binds the assembly's `single`
    /// goal to (`package`); without one, only `assembly:single` makes it.
    pub assembly_phase: Option<String>,
}

impl Pom {
    /// `name.jar` (or `.war`); None for a `pom` aggregator or an unknown name.
    pub fn artefact_file(&self) -> Option<String> {
        let ext = match self.packaging.as_str() {
            "jar" | "war" | "ear" => self.packaging.as_str(),
            // maven-plugin, bundle... still a jar file.
            "pom" => return None,
            _ => "jar",
        };
        Some(format!("{}.{ext}", self.final_name.as_ref()?))
    }
}

fn children<'a, 'i>(node: Node<'a, 'i>, name: &'a str) -> impl Iterator<Item = Node<'a, 'i>> {
    node.children()
        .filter(move |n| n.is_element() && n.tag_name().name() == name)
}

fn child<'a, 'i>(node: Node<'a, 'i>, name: &'a str) -> Option<Node<'a, 'i>> {
    children(node, name).next()
}

fn child_text(node: Node, name: &str) -> Option<String> {
    child(node, name)
        .and_then(|n| n.text())
        .map(|t| t.trim().to_string())
}

/// Substitute `${name}` from `props`, repeatedly; None if one is unknown.
fn resolve(text: &str, props: &BTreeMap<String, String>) -> Option<String> {
    let mut out = text.to_string();
    for _ in 0..8 {
        let Some(start) = out.find("${") else {
            return Some(out);
        };
        let end = start + out[start..].find('}')?;
        let value = props.get(&out[start + 2..end])?;
        out = format!("{}{value}{}", &out[..start], &out[end + 1..]);
    }
    None
}

/// The Java release a version property names (`17`, `1.8` → 8).
pub fn java_release(text: &str) -> Option<u32> {
    let t = text.trim();
    let t = t.strip_prefix("1.").unwrap_or(t);
    t.split('.').next()?.parse().ok()
}

/// Read a pom.xml; None when it is not XML msb can read.
pub fn read(text: &str) -> Option<Pom> {
    let doc = Document::parse(text).ok()?;
    let project = doc.root_element();
    if project.tag_name().name() != "project" {
        return None;
    }
    let parent = child(project, "parent");
    let artifact_id = child_text(project, "artifactId");
    let (props, resolved_version) = properties(project, parent, &artifact_id);
    let build = child(project, "build");
    let final_name = match build.and_then(|b| child_text(b, "finalName")) {
        Some(name) => resolve(&name, &props),
        None => match (&artifact_id, &resolved_version) {
            (Some(a), Some(v)) => Some(format!("{a}-{v}")),
            _ => None,
        },
    };
    let plugins: Vec<Node> = build
        .and_then(|b| child(b, "plugins"))
        .map(|p| children(p, "plugin").collect())
        .unwrap_or_default();
    let boot_parent = parent
        .and_then(|p| child_text(p, "artifactId"))
        .is_some_and(|a| a == "spring-boot-starter-parent");
    let boot_plugin = plugin(&plugins, "spring-boot-maven-plugin");
    let (assembly_jars, assembly_phase) = match plugin(&plugins, "maven-assembly-plugin") {
        Some(p) => assembly(p, &props, &final_name),
        None => (Vec::new(), None),
    };
    Some(Pom {
        artifact_id,
        version: resolved_version,
        packaging: child_text(project, "packaging").unwrap_or_else(|| "jar".into()),
        final_name,
        custom_build_dir: build.and_then(|b| child(b, "directory")).is_some(),
        modules: child(project, "modules")
            .map(|m| {
                children(m, "module")
                    .filter_map(|n| n.text().map(|t| t.trim().to_string()))
                    .collect()
            })
            .unwrap_or_default(),
        plugins: plugins
            .iter()
            .filter_map(|p| child_text(*p, "artifactId"))
            .collect(),
        boot_parent,
        boot_repackage: boot_plugin
            .is_some_and(|p| boot_parent || texts(p, "goal").iter().any(|g| g == "repackage")),
        boot_settings: boot_plugin.map(configuration_keys).unwrap_or_default(),
        needs_lib_folder: plugins.iter().any(|p| needs_lib_folder(*p)),
        java_release: [
            "maven.compiler.release",
            "java.version",
            "maven.compiler.target",
            "maven.compiler.source",
        ]
        .iter()
        .find_map(|key| props.get(*key).and_then(|v| resolve(v, &props)))
        .and_then(|v| java_release(&v)),
        assembly_jars,
        assembly_phase,
    })
}

/// The pom's `<properties>` with the `project.*`/`pom.*` coordinates
/// they may name, and the project's version with them resolved.
fn properties(
    project: Node,
    parent: Option<Node>,
    artifact_id: &Option<String>,
) -> (BTreeMap<String, String>, Option<String>) {
    let parent_version = parent.and_then(|p| child_text(p, "version"));
    let mut props: BTreeMap<String, String> = BTreeMap::new();
    if let Some(properties) = child(project, "properties") {
        for p in properties.children().filter(|n| n.is_element()) {
            props.insert(
                p.tag_name().name().to_string(),
                p.text().unwrap_or("").trim().to_string(),
            );
        }
    }
    let version = child_text(project, "version").or(parent_version.clone());
    for (key, value) in [
        ("artifactId", artifact_id),
        ("version", &version),
        ("parent.version", &parent_version),
    ] {
        if let Some(v) = value {
            props.insert(format!("project.{key}"), v.clone());
            props.insert(format!("pom.{key}"), v.clone());
            props.insert(key.to_string(), v.clone());
        }
    }
    let resolved_version = version.as_deref().and_then(|v| resolve(v, &props));
    if let Some(v) = &resolved_version {
        props.insert("project.version".into(), v.clone());
        props.insert("version".into(), v.clone());
    }
    (props, resolved_version)
}

/// The `<plugin>` of that artifactId.
fn plugin<'a, 'i>(plugins: &[Node<'a, 'i>], artifact_id: &str) -> Option<Node<'a, 'i>> {
    plugins
        .iter()
        .find(|p| child_text(**p, "artifactId").as_deref() == Some(artifact_id))
        .copied()
}

/// The trimmed texts of every `<name>` element under `node`.
fn texts(node: Node, name: &str) -> Vec<String> {
    node.descendants()
        .filter(|n| n.is_element() && n.tag_name().name() == name)
        .filter_map(|n| n.text().map(|t| t.trim().to_string()))
        .collect()
}

/// The keys of a plugin's `<configuration>`.
fn configuration_keys(plugin: Node) -> Vec<String> {
    child(plugin, "configuration")
        .map(|c| {
            c.children()
                .filter(|n| n.is_element())
                .map(|n| n.tag_name().name().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// The plugin copies the dependency jars next to the jar, or makes the
/// manifest list them (`addClasspath`).
fn needs_lib_folder(plugin: Node) -> bool {
    texts(plugin, "goal")
        .iter()
        .any(|g| g == "copy-dependencies")
        || plugin.descendants().any(|n| {
            n.is_element()
                && n.tag_name().name() == "addClasspath"
                && n.text().is_some_and(|t| t.trim() == "true")
        })
}

/// The jars maven-assembly-plugin makes (None for a descriptor file or an
/// unresolved name), and the phase its `single` goal is bound to.
fn assembly(
    plugin: Node,
    props: &BTreeMap<String, String>,
    final_name: &Option<String>,
) -> (Vec<Option<String>>, Option<String>) {
    let base = match texts(plugin, "finalName").first() {
        Some(name) => resolve(name, props),
        None => final_name.clone(),
    };
    let append_id = texts(plugin, "appendAssemblyId")
        .first()
        .is_none_or(|v| v != "false");
    let mut jars: Vec<Option<String>> = texts(plugin, "descriptorRef")
        .iter()
        .map(|id| {
            let base = base.as_ref()?;
            Some(if append_id {
                format!("{base}-{id}.jar")
            } else {
                format!("{base}.jar")
            })
        })
        .collect();
    jars.extend(texts(plugin, "descriptor").iter().map(|_| None));
    let phase = children(plugin, "executions")
        .flat_map(|e| children(e, "execution"))
        .find(|e| texts(*e, "goal").iter().any(|g| g == "single"))
        .and_then(|e| child_text(e, "phase"));
    (jars, phase)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOOT: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <parent>
    <groupId>org.springframework.boot</groupId>
    <artifactId>spring-boot-starter-parent</artifactId>
    <version>3.2.5</version>
  </parent>
  <artifactId>demo</artifactId>
  <version>0.0.1-SNAPSHOT</version>
  <properties><java.version>17</java.version></properties>
  <!-- <build><finalName>commented</finalName></build> -->
  <build>
    <plugins>
      <plugin>
        <groupId>org.springframework.boot</groupId>
        <artifactId>spring-boot-maven-plugin</artifactId>
      </plugin>
    </plugins>
  </build>
</project>"#;

    #[test]
    fn spring_boot_jar_name() {
        let pom = read(BOOT).unwrap();
        assert_eq!(
            pom.artefact_file().as_deref(),
            Some("demo-0.0.1-SNAPSHOT.jar")
        );
        assert!(pom.boot_parent && pom.boot_repackage);
        assert_eq!(pom.java_release, Some(17));
        assert!(pom.boot_settings.is_empty());
    }

    #[test]
    fn final_name_with_properties() {
        let pom = read(
            r#"<project><artifactId>billing</artifactId><version>${revision}</version>
            <properties><revision>2.1.0</revision><maven.compiler.source>1.8</maven.compiler.source></properties>
            <packaging>war</packaging>
            <build><finalName>${project.artifactId}-service-${project.version}</finalName></build></project>"#,
        )
        .unwrap();
        assert_eq!(
            pom.artefact_file().as_deref(),
            Some("billing-service-2.1.0.war")
        );
        assert_eq!(pom.java_release, Some(8));
    }

    #[test]
    fn unknown_property_leaves_the_name_unknown() {
        let pom = read(
            "<project><artifactId>a</artifactId><version>1</version><build><finalName>${env.NAME}</finalName></build></project>",
        )
        .unwrap();
        assert_eq!(pom.artefact_file(), None);
    }

    #[test]
    fn inherits_the_parent_version_and_lists_modules() {
        let pom = read(
            "<project><parent><artifactId>p</artifactId><version>3</version></parent><artifactId>agg</artifactId>
             <packaging>pom</packaging><modules><module>api</module><module>core</module></modules></project>",
        )
        .unwrap();
        assert_eq!(pom.version.as_deref(), Some("3"));
        assert_eq!(pom.modules, vec!["api", "core"]);
        assert_eq!(pom.artefact_file(), None);
    }

    #[test]
    fn assembly_jar_with_dependencies() {
        let pom = read(
            "<project><artifactId>worker</artifactId><version>1.0</version><build><plugins>
             <plugin><artifactId>maven-assembly-plugin</artifactId><configuration>
             <descriptorRefs><descriptorRef>jar-with-dependencies</descriptorRef></descriptorRefs>
             </configuration><executions><execution><id>make-assembly</id><phase>package</phase>
             <goals><goal>single</goal></goals></execution></executions></plugin></plugins></build></project>",
        )
        .unwrap();
        assert_eq!(
            pom.assembly_jars,
            vec![Some("worker-1.0-jar-with-dependencies.jar".to_string())]
        );
        assert_eq!(pom.assembly_phase.as_deref(), Some("package"));
        let unbound = read(
            "<project><artifactId>w</artifactId><version>2</version><build><plugins>
             <plugin><artifactId>maven-assembly-plugin</artifactId><configuration>
             <descriptors><descriptor>src/assembly/dist.xml</descriptor></descriptors>
             </configuration></plugin></plugins></build></project>",
        )
        .unwrap();
        assert_eq!(unbound.assembly_jars, vec![None]);
        assert_eq!(unbound.assembly_phase, None);
    }

    #[test]
    fn lib_folder_and_plugins() {
        let pom = read(
            "<project><artifactId>a</artifactId><version>1</version><build><plugins>
             <plugin><artifactId>maven-jar-plugin</artifactId><configuration><archive><manifest>
             <addClasspath>true</addClasspath></manifest></archive></configuration></plugin>
             <plugin><artifactId>maven-shade-plugin</artifactId></plugin></plugins></build></project>",
        )
        .unwrap();
        assert!(pom.needs_lib_folder);
        assert!(pom.plugins.contains(&"maven-shade-plugin".to_string()));
        assert!(!pom.boot_repackage);
        assert_eq!(read("not xml"), None);
    }
}
