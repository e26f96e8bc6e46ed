//! .NET project files: what a `*.csproj` says (assembly name, SDK, web
//! references, self-contained, target framework) and which projects a
//! solution lists.

use roxmltree::Document;

use crate::analyse::absolute;
use crate::knowledge::DotnetRules;
use crate::source::BuildContext;

/// Project file extensions.
pub(super) const PROJECT_EXTENSIONS: &[&str] = &[".csproj", ".fsproj", ".vbproj"];

/// What a project file says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Project {
    /// Context path of the project file.
    pub(super) path: String,
    /// `<AssemblyName>`, or the file name without extension.
    pub(super) assembly: String,
    pub(super) sdk: String,
    /// References the ASP.NET Core shared framework (directly or through a
    /// web package).
    pub(super) web_reference: bool,
    pub(super) self_contained: bool,
    /// `<InvariantGlobalization>true`: the app never loads ICU.
    pub(super) invariant_globalization: bool,
    /// Context paths of `<ProjectReference>`s.
    pub(super) references: Vec<String>,
}

/// Read a project file; None when it is not XML msb can read.
pub(super) fn read_project(path: &str, text: &str, rules: &DotnetRules) -> Option<Project> {
    let doc = Document::parse(text).ok()?;
    let root = doc.root_element();
    if root.tag_name().name() != "Project" {
        return None;
    }
    let stem = path
        .rsplit('/')
        .next()
        .unwrap_or(path)
        .rsplit_once('.')
        .map_or(path, |(s, _)| s)
        .to_string();
    let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
    let elements = || root.descendants().filter(|n| n.is_element());
    let text_of = |name: &str| {
        elements()
            .find(|n| n.tag_name().name() == name)
            .and_then(|n| n.text())
            .map(|t| t.trim().to_string())
    };
    let is_true = |name: &str| text_of(name).is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let sdk = root
        .attribute("Sdk")
        .map(String::from)
        .or_else(|| {
            elements()
                .find(|n| n.tag_name().name() == "Sdk")
                .and_then(|n| n.attribute("Name"))
                .map(String::from)
        })
        .unwrap_or_default();
    let includes = |tag: &str| -> Vec<String> {
        elements()
            .filter(|n| n.tag_name().name() == tag)
            .filter_map(|n| n.attribute("Include"))
            .map(String::from)
            .collect()
    };
    let web_reference = includes("FrameworkReference")
        .iter()
        .any(|f| f == "Microsoft.AspNetCore.App")
        || includes("PackageReference").iter().any(|p| {
            rules.web_packages.iter().any(|w| p.starts_with(w.as_str()))
                || p.split('.')
                    .any(|part| rules.web_package_parts.iter().any(|w| w == part))
        });
    let references = includes("ProjectReference")
        .iter()
        .map(|r| {
            let r = r.replace('\\', "/");
            let joined = if dir.is_empty() {
                r
            } else {
                format!("{dir}/{r}")
            };
            absolute("/", &joined).trim_start_matches('/').to_string()
        })
        .collect();
    Some(Project {
        path: path.to_string(),
        assembly: text_of("AssemblyName").unwrap_or(stem),
        sdk,
        web_reference,
        self_contained: is_true("SelfContained") || is_true("PublishAot"),
        invariant_globalization: is_true("InvariantGlobalization"),
        references,
    })
}

/// Whether an app needs ASP.NET Core: Some(true) or Some(false) when the
/// project files say so, None when msb cannot read one of them.
pub(super) fn needs_aspnet(
    project: &Project,
    context: &BuildContext,
    rules: &DotnetRules,
    depth: usize,
) -> Option<bool> {
    if rules.web_sdks.contains(&project.sdk) || project.web_reference {
        return Some(true);
    }
    if depth > 4 {
        return None;
    }
    for reference in &project.references {
        let text = context.read_small(reference)?;
        let referenced = read_project(reference, &text, rules)?;
        if needs_aspnet(&referenced, context, rules, depth + 1)? {
            return Some(true);
        }
    }
    Some(false)
}

/// Project paths a solution file lists (`Project("{..}") = "Api", "src\Api\Api.csproj", "{..}"`).
pub(super) fn solution_projects(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| l.starts_with("Project("))
        .filter_map(|l| {
            let quoted: Vec<&str> = l.split('"').collect();
            let path = quoted.get(5)?.replace('\\', "/");
            PROJECT_EXTENSIONS
                .iter()
                .any(|e| path.ends_with(e))
                .then_some(path)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::Knowledge;

    fn rules() -> DotnetRules {
        Knowledge::builtin()
            .unwrap()
            .language("dotnet")
            .unwrap()
            .dotnet
            .clone()
            .unwrap()
    }

    #[test]
    fn reads_projects() {
        let r = rules();
        let web = read_project(
            "src/Api/Api.csproj",
            r#"<Project Sdk="Microsoft.NET.Sdk.Web">
  <PropertyGroup><TargetFramework>net8.0</TargetFramework><AssemblyName>Orders.Api</AssemblyName></PropertyGroup>
  <ItemGroup><ProjectReference Include="..\Orders.Core\Orders.Core.csproj" /></ItemGroup>
</Project>"#,
            &r,
        )
        .unwrap();
        assert_eq!(web.assembly, "Orders.Api");
        assert_eq!(web.references, vec!["src/Orders.Core/Orders.Core.csproj"]);
        assert_eq!(
            needs_aspnet(&web, &BuildContext::empty(), &r, 0),
            Some(true)
        );
        let worker = read_project(
            "Worker.csproj",
            r#"<Project Sdk="Microsoft.NET.Sdk.Worker"><PropertyGroup><SelfContained>true</SelfContained></PropertyGroup>
            <ItemGroup><PackageReference Include="Microsoft.Extensions.Hosting" Version="8.0.0" /></ItemGroup></Project>"#,
            &r,
        )
        .unwrap();
        assert_eq!(worker.assembly, "Worker");
        assert!(worker.self_contained);
        assert_eq!(
            needs_aspnet(&worker, &BuildContext::empty(), &r, 0),
            Some(false)
        );
        let console_with_web_package = read_project(
            "Tool.csproj",
            r#"<Project Sdk="Microsoft.NET.Sdk"><ItemGroup><PackageReference Include="Microsoft.AspNetCore.SignalR.Client" Version="8.0.0" /></ItemGroup></Project>"#,
            &r,
        )
        .unwrap();
        assert!(console_with_web_package.web_reference);
        let worker_with_serilog = read_project(
            "Worker.csproj",
            r#"<Project Sdk="Microsoft.NET.Sdk.Worker"><ItemGroup>
            <PackageReference Include="Microsoft.Extensions.Hosting" Version="8.0.0" />
            <PackageReference Include="Serilog.AspNetCore" Version="8.0.1" /></ItemGroup></Project>"#,
            &r,
        )
        .unwrap();
        assert!(worker_with_serilog.web_reference);
        let hosting_only = read_project(
            "Jobs.csproj",
            r#"<Project Sdk="Microsoft.NET.Sdk.Worker"><ItemGroup>
            <PackageReference Include="Microsoft.Extensions.Hosting" Version="8.0.0" />
            <PackageReference Include="Serilog.Extensions.Hosting" Version="8.0.0" /></ItemGroup></Project>"#,
            &r,
        )
        .unwrap();
        assert!(!hosting_only.web_reference);
    }

    #[test]
    fn reads_solutions() {
        assert_eq!(
            solution_projects(
                "Project(\"{FAE0}\") = \"Api\", \"src\\Api\\Api.csproj\", \"{1}\"\nEndProject\n"
            ),
            vec!["src/Api/Api.csproj"]
        );
    }
}
