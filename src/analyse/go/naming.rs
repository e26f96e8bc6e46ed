//! How `go build`, `go install` and `go run` name what they make: their
//! arguments, the binary of a package (its folder, its import path, the
//! module of `.`), and the key that says two commands build the same
//! package.

use crate::analyse::absolute;
use crate::analyse::shell::Command;
use crate::source::BuildContext;

/// Go flags of `go build`/`go install` that take a value.
const VALUE_FLAGS: &[&str] = &[
    "-o",
    "-ldflags",
    "-gcflags",
    "-asmflags",
    "-gccgoflags",
    "-tags",
    "-mod",
    "-modfile",
    "-p",
    "-installsuffix",
    "-buildmode",
    "-compiler",
    "-pkgdir",
    "-toolexec",
    "-overlay",
    "-pgo",
    "-C",
];

/// The module's binary name: the last element of the module path that is
/// not a major-version suffix (`example.com/foo/v2` → `foo`).
pub(super) fn module_binary_name(context: &BuildContext) -> Option<String> {
    let gomod = context.read_small("go.mod")?;
    let module = gomod
        .lines()
        .find_map(|l| l.trim().strip_prefix("module "))?
        .trim()
        .trim_matches('"');
    Some(exec_name(module))
}

/// The name `go build`/`go install` gives the binary of an import path:
/// its last element, without the `@version` of `go install pkg@version`
/// and skipping a major-version element (`.../migrate/v4` → `migrate`).
pub(super) fn exec_name(import_path: &str) -> String {
    let path = import_path.split('@').next().unwrap_or(import_path);
    let mut parts: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    if parts.len() > 1
        && parts.last().is_some_and(|p| {
            p.len() > 1 && p.starts_with('v') && p[1..].chars().all(|c| c.is_ascii_digit())
        })
    {
        parts.pop();
    }
    parts.last().map(|s| s.to_string()).unwrap_or_default()
}

/// The arguments of `go build`/`go install`/`go run` after the subcommand.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct GoArgs {
    /// The flags as written (values included), for a build msb adds.
    pub(super) flags: Vec<String>,
    pub(super) output: Option<String>,
    /// The folder the command works in (`-C` applied).
    pub(super) dir: String,
    /// Packages, or the `.go` files of one package.
    pub(super) packages: Vec<String>,
    /// `go run`: the program's arguments after the package.
    pub(super) program_args: Vec<String>,
    /// `go run -exec`: the binary runs through another program.
    pub(super) exec: bool,
}

/// Read the words after `go build|install|run`. `go run` stops at the
/// package: what follows goes to the program.
pub(super) fn go_args(args: &[String], cwd: &str, run: bool) -> GoArgs {
    let mut out = GoArgs {
        dir: cwd.to_string(),
        ..GoArgs::default()
    };
    let mut words = args.iter();
    while let Some(arg) = words.next() {
        if run && !out.packages.is_empty() {
            // `go run a.go b.go args...`: more files of the package first.
            if arg.ends_with(".go") && out.packages.iter().all(|p| p.ends_with(".go")) {
                out.packages.push(arg.clone());
                continue;
            }
            out.program_args.push(arg.clone());
            out.program_args.extend(words.by_ref().cloned());
            break;
        }
        if !arg.starts_with('-') {
            out.packages.push(arg.clone());
            continue;
        }
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) => (f.trim_start_matches('-'), Some(v.to_string())),
            None => (arg.trim_start_matches('-'), None),
        };
        let dashed = format!("-{flag}");
        out.flags.push(arg.clone());
        if dashed == "-exec" {
            out.exec = true;
        }
        if VALUE_FLAGS.contains(&dashed.as_str()) || dashed == "-exec" {
            let value = match inline {
                Some(v) => Some(v),
                None => {
                    let v = words.next().cloned();
                    out.flags.extend(v.clone());
                    v
                }
            };
            match dashed.as_str() {
                "-o" => out.output = value,
                "-C" => out.dir = absolute(&out.dir, &value.unwrap_or_default()),
                _ => {}
            }
        }
    }
    out
}

/// A key that is the same for the same package however it is named: the
/// absolute folder of a relative package, the import path of another, the
/// sorted absolute paths of a list of `.go` files.
pub(super) fn package_key(g: &GoArgs) -> String {
    if !g.packages.is_empty() && g.packages.iter().all(|p| p.ends_with(".go")) {
        let mut files: Vec<String> = g.packages.iter().map(|p| absolute(&g.dir, p)).collect();
        files.sort();
        return format!("files:{}", files.join(","));
    }
    let package = g.packages.first().map(String::as_str).unwrap_or(".");
    if package == "." || package.starts_with("./") || package.starts_with("../") {
        absolute(&g.dir, package)
    } else {
        let package = package.split('@').next().unwrap_or(package);
        package.trim_end_matches('/').to_string()
    }
}

/// The name `go build` gives the binary of a package.
pub(super) fn package_binary_name(g: &GoArgs, context: &BuildContext) -> Option<String> {
    let package = g.packages.first().map(String::as_str).unwrap_or(".");
    if package == "." || package == "./" {
        module_binary_name(context).or_else(|| g.dir.rsplit('/').next().map(String::from))
    } else if package.ends_with(".go") {
        Some(
            package
                .trim_end_matches(".go")
                .rsplit('/')
                .next()?
                .to_string(),
        )
    } else {
        Some(exec_name(package)).filter(|n| !n.is_empty() && n != "." && n != "..")
    }
}

/// The programs `go install pkg@version` puts on the golang image's PATH
/// (code generators such as swag, templ, sqlc): the build's own tools.
pub fn installed_tools(commands: &[crate::analyse::RunCommand]) -> Vec<String> {
    let mut out = Vec::new();
    for rc in commands {
        let c = &rc.command;
        if c.program() != "go" || c.args().first().map(String::as_str) != Some("install") {
            continue;
        }
        let g = go_args(&c.args()[1..], &rc.cwd, false);
        for p in g.packages.iter().filter(|p| p.contains('@')) {
            let name = exec_name(p);
            if !name.is_empty() && !out.contains(&name) {
                out.push(name);
            }
        }
    }
    out
}

/// What a `go build`/`go install` makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Built {
    /// One binary, with its package key.
    Binary(String, String),
    /// `go build -o DIR/ ./cmd/...`: a binary per main package, in DIR.
    Folder(String),
}

/// The binary a `go build`/`go install` makes, if one, with its package key.
pub(super) fn binary_of(
    c: &Command,
    cwd: &str,
    gobin: &str,
    context: &BuildContext,
) -> Option<Built> {
    let sub = c.args().first()?.as_str();
    let g = go_args(&c.args()[1..], cwd, false);
    if g.packages.len() > 1 && !g.packages.iter().all(|p| p.ends_with(".go"))
        || g.packages.iter().any(|p| p.contains("..."))
    {
        // Several packages: go discards the binaries, unless -o names a
        // folder, which gets one per main package. `-o FILE` with one
        // pattern (`./...`) builds only when the pattern matches one
        // package, whose binary is FILE.
        return match (sub, &g.output) {
            ("build", Some(out)) if out.ends_with('/') => {
                Some(Built::Folder(absolute(&g.dir, out)))
            }
            ("build", Some(out)) if g.packages.len() == 1 => {
                Some(Built::Binary(absolute(&g.dir, out), package_key(&g)))
            }
            _ => None,
        };
    }
    let name = package_binary_name(&g, context)?;
    let dir = &g.dir;
    let path = match (sub, &g.output) {
        ("build", Some(out)) if out.ends_with('/') => absolute(&absolute(dir, out), &name),
        ("build", Some(out)) => absolute(dir, out),
        ("build", None) => absolute(dir, &name),
        ("install" | "get", _) => format!("{}/{}", gobin.trim_end_matches('/'), name),
        _ => return None,
    };
    Some(Built::Binary(path, package_key(&g)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyse::shell;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn go_run_stops_at_the_package() {
        let g = go_args(
            &words("-tags netgo -race ./cmd/api -addr :8080 -v"),
            "/app",
            true,
        );
        assert_eq!(g.flags, words("-tags netgo -race"));
        assert_eq!(g.packages, vec!["./cmd/api"]);
        assert_eq!(g.program_args, words("-addr :8080 -v"));
        let files = go_args(&words("main.go util.go --port 80"), "/app", true);
        assert_eq!(files.packages, vec!["main.go", "util.go"]);
        assert_eq!(files.program_args, words("--port 80"));
        assert!(go_args(&words("-exec sudo ."), "/", true).exec);
        // go build reads flags after the package too.
        let b = go_args(&words("./cmd/api -o bin/api"), "/app", false);
        assert_eq!(b.output.as_deref(), Some("bin/api"));
    }

    #[test]
    fn binaries_are_named_like_go_names_them() {
        assert_eq!(exec_name("github.com/cosmtrek/air@latest"), "air");
        assert_eq!(
            exec_name("github.com/golang-migrate/migrate/v4/cmd/migrate@v4.17.1"),
            "migrate"
        );
        assert_eq!(exec_name("example.com/tool/v2@v2.1.0"), "tool");
        assert_eq!(exec_name("example.com/tool/v2"), "tool");
        assert_eq!(exec_name("./cmd/api/"), "api");
        let c = &shell::commands("go build -o bin/ ./cmd/...")[0];
        let ctx = BuildContext::new("/nonexistent");
        assert_eq!(
            binary_of(c, "/src", "/go/bin", &ctx),
            Some(Built::Folder("/src/bin".into()))
        );
        // One pattern and `-o FILE`: go builds only if it matches one
        // package, and FILE is its binary.
        let c = &shell::commands("go build -v -o /usr/local/bin/app ./...")[0];
        assert!(matches!(
            binary_of(c, "/src", "/go/bin", &ctx),
            Some(Built::Binary(path, _)) if path == "/usr/local/bin/app"
        ));
        let c = &shell::commands("go build -o app ./cmd/a ./cmd/b")[0];
        assert_eq!(binary_of(c, "/src", "/go/bin", &ctx), None);
        let c = &shell::commands("go install golang.org/x/tools/cmd/stringer@latest")[0];
        assert_eq!(
            binary_of(c, "/src", "/go/bin", &ctx),
            Some(Built::Binary(
                "/go/bin/stringer".into(),
                "golang.org/x/tools/cmd/stringer".into()
            ))
        );
    }

    #[test]
    fn the_same_package_has_the_same_key() {
        let key = |args: &str, cwd: &str| package_key(&go_args(&words(args), cwd, true));
        assert_eq!(key("./cmd/api", "/app"), "/app/cmd/api");
        assert_eq!(key(".", "/app"), "/app");
        assert_eq!(key("./cmd/api/", "/app"), key("../app/cmd/api", "/app"));
        assert_eq!(key("b.go a.go", "/app"), "files:/app/a.go,/app/b.go");
        assert_eq!(key("example.com/x/cmd/y", "/app"), "example.com/x/cmd/y");
    }
}
