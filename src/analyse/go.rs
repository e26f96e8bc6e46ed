//! Go: which binaries the build makes and where, whether cgo can be on
//! (a static binary runs anywhere; a cgo one needs the builder's libc), and
//! which files next to the code the app reads at run time.

use crate::analyse::shell::Command;
use crate::analyse::{Analysis, absolute};
use crate::knowledge::{Family, Knowledge, LanguagePack, glob_match};
use crate::parse::{Dockerfile, Keyword};
use crate::source::BuildContext;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct GoBinary {
    /// Absolute path in the builder.
    pub path: String,
    pub line: usize,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct GoFacts {
    pub binaries: Vec<GoBinary>,
    /// True when the binary cannot link libc (cgo off).
    pub static_binary: bool,
    /// The file turns cgo off itself (CGO_ENABLED=0), rather than msb
    /// inferring it from a builder without a C compiler.
    pub static_explicit: bool,
    pub cgo_evidence: String,
}

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
fn module_binary_name(context: &BuildContext) -> Option<String> {
    let gomod = context.read_small("go.mod")?;
    let module = gomod
        .lines()
        .find_map(|l| l.trim().strip_prefix("module "))?
        .trim()
        .trim_matches('"');
    let mut parts: Vec<&str> = module.split('/').collect();
    if parts.len() > 1
        && parts.last().is_some_and(|p| {
            p.starts_with('v') && p[1..].chars().all(|c| c.is_ascii_digit()) && p.len() > 1
        })
    {
        parts.pop();
    }
    parts.last().map(|s| s.to_string())
}

/// The binary a `go build`/`go install` makes, if one.
fn binary_of(c: &Command, cwd: &str, gobin: &str, context: &BuildContext) -> Option<String> {
    let sub = c.args().first()?.as_str();
    let mut output: Option<String> = None;
    let mut dir = cwd.to_string();
    let mut packages = Vec::new();
    let mut args = c.args()[1..].iter();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if arg.starts_with('-') => {
                (f.trim_start_matches('-'), Some(v.to_string()))
            }
            _ => (arg.trim_start_matches('-'), None),
        };
        if arg.starts_with('-') {
            let dashed = format!("-{flag}");
            if VALUE_FLAGS.contains(&dashed.as_str()) {
                let value = inline.or_else(|| args.next().cloned());
                match dashed.as_str() {
                    "-o" => output = value,
                    "-C" => dir = absolute(&dir, &value.unwrap_or_default()),
                    _ => {}
                }
            }
            continue;
        }
        packages.push(arg.clone());
    }
    if packages.len() > 1 || packages.iter().any(|p| p.contains("...")) {
        return None; // several packages: go discards the binaries
    }
    let package = packages.first().map(String::as_str).unwrap_or(".");
    let name = if package == "." || package == "./" {
        module_binary_name(context).or_else(|| dir.rsplit('/').next().map(String::from))?
    } else if package.ends_with(".go") {
        package
            .trim_end_matches(".go")
            .rsplit('/')
            .next()?
            .to_string()
    } else {
        package
            .trim_end_matches('/')
            .rsplit('/')
            .next()?
            .to_string()
    };
    match (sub, output) {
        ("build", Some(out)) if out.ends_with('/') => Some(absolute(&absolute(&dir, &out), &name)),
        ("build", Some(out)) => Some(absolute(&dir, &out)),
        ("build", None) => Some(absolute(&dir, &name)),
        ("install", _) => Some(format!("{}/{}", gobin.trim_end_matches('/'), name)),
        _ => None,
    }
}

pub fn analyse(
    file: &Dockerfile,
    context: &BuildContext,
    pack: &LanguagePack,
    k: &Knowledge,
    a: &mut Analysis,
) {
    let gobin = a
        .env
        .get("GOBIN")
        .cloned()
        .or_else(|| a.env.get("GOPATH").map(|p| format!("{p}/bin")))
        .unwrap_or_else(|| "/go/bin".to_string());
    let mut binaries = Vec::new();
    let mut install_patterns = false;
    let mut cgo_off_evidence: Option<String> = None;
    let mut exported_cgo_off = false;
    let mut last_index = usize::MAX;
    for rc in &a.run_commands {
        if rc.index != last_index {
            exported_cgo_off = false;
            last_index = rc.index;
        }
        let c = &rc.command;
        let line = file.instructions[rc.index].line;
        if c.program() == "export" && c.args().iter().any(|x| x == "CGO_ENABLED=0") {
            exported_cgo_off = true;
        }
        if c.program() != "go"
            || !matches!(
                c.args().first().map(String::as_str),
                Some("build" | "install")
            )
        {
            continue;
        }
        if c.env.iter().any(|(n, v)| n == "CGO_ENABLED" && v == "0") || exported_cgo_off {
            cgo_off_evidence = Some(format!(
                "line {line}: go {} runs with CGO_ENABLED=0",
                c.args()[0]
            ));
        }
        match binary_of(c, &rc.cwd, &gobin, context) {
            Some(path) => binaries.push(GoBinary { path, line }),
            None if c.args()[0] == "install" => install_patterns = true,
            None => {}
        }
    }
    if cgo_off_evidence.is_none() && a.env.get("CGO_ENABLED").map(String::as_str) == Some("0") {
        cgo_off_evidence = Some("ENV CGO_ENABLED=0".to_string());
    }
    let explicit_cgo_off = cgo_off_evidence.is_some();
    let builder = a.builder.clone();
    if cgo_off_evidence.is_none()
        && let Some(b) = &builder
        && b.family == Family::Alpine
    {
        let has_cc = a
            .installed_packages
            .iter()
            .any(|p| k.commands.c_compilers.contains(p));
        let old_go = go_minor(&b.version).is_some_and(|m| m < 20);
        if !has_cc && !old_go {
            cgo_off_evidence = Some(format!(
                "{} has no C compiler and none is installed: Go 1.20+ then builds with cgo off",
                b.written
            ));
        }
    }
    let static_binary = cgo_off_evidence.is_some();
    let static_explicit = explicit_cgo_off;
    let cgo_evidence = cgo_off_evidence.unwrap_or_else(|| {
        let mut why = String::from("CGO_ENABLED is not 0");
        if let Some(b) = &builder
            && (b.has_tool("gcc")
                || a.installed_packages
                    .iter()
                    .any(|p| p == "gcc" || p == "build-base"))
        {
            why.push_str(&format!(" and {} has gcc", b.written));
        }
        if context
            .read_small("go.mod")
            .is_some_and(|m| m.contains("mattn/go-sqlite3"))
        {
            why.push_str("; go.mod requires mattn/go-sqlite3, a cgo package");
        }
        why.push_str(": the binary may link libc dynamically");
        why
    });

    // Every binary is copied where it was built; a command that finds one
    // through the golang image's PATH (/go/bin) gets it in /usr/local/bin.
    for bin in &binaries {
        let (dir, name) = bin
            .path
            .rsplit_once('/')
            .unwrap_or(("/", bin.path.as_str()));
        // The golang image has /go/bin on PATH; the runtime has /usr/local/bin.
        let to = if dir == gobin.trim_end_matches('/')
            && !k.images.runtime_path.iter().any(|p| p == dir)
        {
            format!("/usr/local/bin/{name}")
        } else {
            bin.path.clone()
        };
        a.add_artefact(
            bin.line,
            &bin.path,
            &to,
            format!("line {}: the binary go builds", bin.line),
            false,
        );
    }
    let workdir = a.final_workdir.clone().unwrap_or_else(|| "/".into());
    let entry = file
        .instructions
        .iter()
        .rposition(|i| i.keyword == Keyword::Entrypoint)
        .or_else(|| {
            file.instructions
                .iter()
                .rposition(|i| i.keyword == Keyword::Cmd)
        });
    let mut programs = Vec::new();
    for kw in [Keyword::Entrypoint, Keyword::Cmd] {
        if let Some(index) = file.instructions.iter().rposition(|i| i.keyword == kw) {
            let ins = &file.instructions[index];
            let first = match &ins.exec {
                Some(w) => w.first().cloned(),
                None => crate::analyse::shell::commands(&ins.args)
                    .first()
                    .and_then(|c| c.words.first().cloned()),
            };
            if let Some(p) = first {
                programs.push((index, p, Some(index) == entry));
            }
        }
    }
    for (index, program, starts) in programs {
        let line = file.instructions[index].line;
        let keyword = file.instructions[index].keyword.as_str();
        let name = program.rsplit('/').next().unwrap_or(&program).to_string();
        if k.commands.shells.contains(&name) {
            continue;
        }
        let found = if program.contains('/') {
            let path = absolute(&workdir, &program);
            if binaries.iter().any(|b| b.path == path) || a.is_copied(&path) {
                true
            } else if crate::analyse::script_in_context(a, &program, index, context).is_some() {
                // An entrypoint script that came with the sources.
                a.add_artefact(
                    line,
                    &path,
                    &path,
                    format!("line {line}: {keyword} runs it"),
                    false,
                );
                true
            } else if !a.unsafe_blockers.is_empty() {
                // Made by a step msb does not know; only --unsafe gets here.
                a.add_artefact(
                    line,
                    &path,
                    &path,
                    format!("line {line}: {keyword} runs it; a step msb does not know makes it"),
                    false,
                );
                true
            } else {
                false
            }
        } else if binaries
            .iter()
            .any(|b| b.path.rsplit('/').next() == Some(name.as_str()))
        {
            true
        } else if install_patterns {
            let from = format!("{}/{program}", gobin.trim_end_matches('/'));
            a.add_artefact(
                line,
                &from,
                &format!("/usr/local/bin/{program}"),
                format!("line {line}: go install puts {program} in {gobin}"),
                false,
            );
            true
        } else {
            a.copies
                .iter()
                .flat_map(|c| c.roots.iter())
                .any(|r| r.rsplit('/').next() == Some(name.as_str()))
        };
        if !found && starts {
            let reason = if name == "go" {
                format!(
                    "{keyword} runs `go`: the Go toolchain is not in the final stage, and msb does not rewrite `go run` yet"
                )
            } else {
                format!(
                    "{keyword} runs `{program}`, which is not a binary the build makes: cannot tell what the runtime needs"
                )
            };
            a.block(line, reason);
        }
    }
    // A step msb does not know may build it: that is --unsafe's call.
    if binaries.is_empty() && !install_patterns && a.unsafe_blockers.is_empty() {
        a.block(
            file.instructions[a.last_build_index].line,
            "no `go build -o`/`go install` whose binary msb can name: cannot tell what to copy",
        );
    }

    if !static_binary
        && let Some(b) = &builder
        && !pack.detect.images.contains(&b.base_name)
    {
        let from = crate::analyse::from_line(file);
        a.block(
            from,
            format!("cgo may be on and {} is not a golang image: msb cannot match the libc the binary links", b.written),
        );
    }
    runtime_files(file, context, pack, a);
    a.go = Some(GoFacts {
        binaries,
        static_binary,
        static_explicit,
        cgo_evidence,
    });
}

/// `1.21` → 21; None for `latest` or a variable.
fn go_minor(version: &str) -> Option<u32> {
    let mut parts = version.split('.');
    if parts.next()? != "1" {
        return None;
    }
    parts.next()?.parse().ok()
}

fn is_code_source(src: &str, context: &BuildContext, pack: &LanguagePack) -> bool {
    let s = src.trim_start_matches("./").trim_end_matches('/');
    s.is_empty()
        || s == "."
        || s.ends_with(".go")
        || pack.steps.dep_manifests.iter().any(|g| glob_match(g, s))
        || pack.code_dirs.iter().any(|d| d == s)
        || context.list(s).iter().any(|f| f.ends_with(".go"))
}

/// Files the app reads at run time: asset folders and config files that a
/// COPY brought in with the code, and anything copied that is not code
/// (an entrypoint script, a config file).
fn runtime_files(file: &Dockerfile, context: &BuildContext, pack: &LanguagePack, a: &mut Analysis) {
    let copies = a.copies.clone();
    for copy in copies.iter().filter(|c| !c.manifest_only) {
        let line = file.instructions[copy.index].line;
        for (src, root) in &copy.pairs {
            let s = src.trim_start_matches("./").trim_end_matches('/');
            if s.is_empty() || s == "." {
                let left_out: Vec<String> = context
                    .list(".")
                    .into_iter()
                    .filter(|name| {
                        !pack.not_runtime.iter().any(|g| glob_match(g, name))
                            && !pack.runtime_asset_dirs.contains(name)
                            && !pack.runtime_asset_files.iter().any(|g| glob_match(g, name))
                            && !is_code_source(name, context, pack)
                            && !copies.iter().any(|c| {
                                c.sources.iter().any(|src| {
                                    src.trim_start_matches("./").trim_end_matches('/') == name
                                })
                            })
                    })
                    .collect();
                if !left_out.is_empty() {
                    a.warnings.push(format!(
                        "line {line}: the build context also has {}, not copied to the final stage; if the app reads them at run time, copy them",
                        left_out.join(", ")
                    ));
                }
                for dir in &pack.runtime_asset_dirs {
                    if context.is_dir(dir) {
                        let path = format!("{}/{dir}", root.trim_end_matches('/'));
                        a.add_artefact(
                            line,
                            &path,
                            &path,
                            format!("line {line}: {dir}/ is read at run time"),
                            false,
                        );
                    }
                }
                for name in context.list(".") {
                    if context.is_file(&name)
                        && pack
                            .runtime_asset_files
                            .iter()
                            .any(|g| glob_match(g, &name))
                    {
                        let path = format!("{}/{name}", root.trim_end_matches('/'));
                        a.add_artefact(
                            line,
                            &path,
                            &path,
                            format!("line {line}: {name} may be read at run time"),
                            false,
                        );
                    }
                }
            } else if !is_code_source(src, context, pack) && !a.is_copied(root) {
                a.add_artefact(
                    line,
                    root,
                    root,
                    format!("line {line}: copied from the build context"),
                    false,
                );
            }
        }
    }
}
