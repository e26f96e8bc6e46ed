//! `dotnet publish` and `dotnet build` commands: the folder they fill,
//! the project they build, whether the app is self-contained; and the
//! runtime tag that goes with an SDK tag.

use crate::analyse::absolute;
use crate::analyse::shell::Command;

/// A `dotnet publish` or `dotnet build` of a RUN.
#[derive(Debug, Clone)]
pub(super) struct Publish {
    pub(super) line: usize,
    /// `-o`, resolved; None: under the project's `bin/`.
    pub(super) output: Option<String>,
    /// The project, solution or folder named, resolved (or the folder).
    pub(super) target: String,
    pub(super) configuration: Option<String>,
    pub(super) self_contained: Option<bool>,
}

pub(super) fn read_publish(c: &Command, cwd: &str, line: usize) -> Option<Publish> {
    if c.program() != "dotnet"
        || !matches!(
            c.args().first().map(String::as_str),
            Some("publish" | "build")
        )
    {
        return None;
    }
    let mut p = Publish {
        line,
        output: None,
        target: cwd.to_string(),
        configuration: None,
        self_contained: None,
    };
    let mut args = c.args()[1..].iter().peekable();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if arg.starts_with("--") => (f, Some(v.to_string())),
            _ => (arg.as_str(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next().cloned())
                .unwrap_or_default()
        };
        match flag {
            "-o" | "--output" => p.output = Some(absolute(cwd, &value())),
            "-c" | "--configuration" => p.configuration = Some(value()),
            "-r" | "--runtime" | "-f" | "--framework" | "-a" | "--arch" | "--os" | "-v"
            | "--verbosity" | "--version-suffix" | "-s" | "--source" => {
                value();
            }
            "--sc" | "--self-contained" => {
                // An optional true/false follows.
                let explicit = inline.clone().or_else(|| {
                    args.next_if(|v| {
                        v.eq_ignore_ascii_case("true") || v.eq_ignore_ascii_case("false")
                    })
                    .cloned()
                });
                p.self_contained = Some(explicit.is_none_or(|v| v.eq_ignore_ascii_case("true")));
            }
            "--no-self-contained" => p.self_contained = Some(false),
            a if a.starts_with("-p:") || a.starts_with("/p:") || a.starts_with("--property:") => {
                let property = a.split_once(':').map_or("", |(_, v)| v);
                for pair in property.split([';', ',']) {
                    if let Some((name, v)) = pair.split_once('=') {
                        let on = v.eq_ignore_ascii_case("true");
                        if name.eq_ignore_ascii_case("SelfContained")
                            || name.eq_ignore_ascii_case("PublishAot")
                        {
                            p.self_contained = Some(on);
                        }
                    }
                }
            }
            a if !a.starts_with('-') => p.target = absolute(cwd, a),
            _ => {}
        }
    }
    Some(p)
}

/// The SDK tag's version cut to major.minor (`8.0.204-alpine` →
/// `8.0-alpine`); the written tag keeps its build arguments.
pub(super) fn runtime_tag(written: &str, resolved: &str) -> Option<String> {
    let (version, rest) = match written.split_once('-') {
        Some((v, r)) => (v, Some(r)),
        None => (written, None),
    };
    let resolved_version = resolved.split('-').next().unwrap_or(resolved);
    let cut = if version.contains('$') {
        // `${DOTNET_VERSION}`: only usable when its default is major.minor.
        if resolved_version.split('.').count() > 2 {
            return None;
        }
        version.to_string()
    } else if version.starts_with(|c: char| c.is_ascii_digit()) {
        version.split('.').take(2).collect::<Vec<_>>().join(".")
    } else {
        version.to_string()
    };
    // The SDK's `-aot` variant (`10.0-noble-aot`: the native toolchain)
    // has no runtime image of that name; its OS variant does.
    let rest = rest
        .map(|r| {
            r.split('-')
                .filter(|p| *p != "aot")
                .collect::<Vec<_>>()
                .join("-")
        })
        .filter(|r| !r.is_empty());
    Some(match rest {
        Some(r) => format!("{cut}-{r}"),
        None => cut,
    })
}

pub(super) fn major_version(tag: &str) -> Option<u32> {
    tag.split(['.', '-']).next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyse::entry;

    #[test]
    fn runtime_tags_keep_the_variant() {
        assert_eq!(runtime_tag("8.0", "8.0").as_deref(), Some("8.0"));
        assert_eq!(
            runtime_tag("8.0-alpine", "8.0-alpine").as_deref(),
            Some("8.0-alpine")
        );
        assert_eq!(
            runtime_tag("8.0.204-jammy", "8.0.204-jammy").as_deref(),
            Some("8.0-jammy")
        );
        assert_eq!(
            runtime_tag("6.0-bookworm-slim", "6.0-bookworm-slim").as_deref(),
            Some("6.0-bookworm-slim")
        );
        assert_eq!(runtime_tag("latest", "latest").as_deref(), Some("latest"));
        assert_eq!(
            runtime_tag("10.0-noble-aot", "10.0-noble-aot").as_deref(),
            Some("10.0-noble")
        );
        assert_eq!(
            runtime_tag("9.0.300-aot", "9.0.300-aot").as_deref(),
            Some("9.0")
        );
        assert_eq!(
            runtime_tag("${V}-alpine", "8.0-alpine").as_deref(),
            Some("${V}-alpine")
        );
        assert_eq!(runtime_tag("${V}", "8.0.100"), None);
        assert_eq!(major_version("8.0-alpine"), Some(8));
        assert_eq!(entry::url_port("http://+:80"), Some(80));
        assert_eq!(entry::url_port("https://*"), Some(443));
        assert_eq!(entry::url_port("http://[::]:5000/"), Some(5000));
        assert_eq!(entry::url_port("http://0.0.0.0:8080"), Some(8080));
        assert_eq!(entry::url_port("localhost:80"), None);
        assert_eq!(major_version("latest"), None);
    }

    #[test]
    fn reads_publish_commands() {
        let c = crate::analyse::shell::commands("dotnet publish src/Api/Api.csproj -c Release -o /app/out --no-restore -r linux-musl-x64 --self-contained true -p:PublishTrimmed=true").remove(0);
        let p = read_publish(&c, "/src", 3).unwrap();
        assert_eq!(p.output.as_deref(), Some("/app/out"));
        assert_eq!(p.target, "/src/src/Api/Api.csproj");
        assert_eq!(p.self_contained, Some(true));
        assert_eq!(p.configuration.as_deref(), Some("Release"));
        let c = crate::analyse::shell::commands("dotnet publish --sc -o out").remove(0);
        let p = read_publish(&c, "/app", 3).unwrap();
        assert_eq!(p.self_contained, Some(true));
        assert_eq!(p.output.as_deref(), Some("/app/out"));
    }
}
