//! Go: which binaries the build makes and where (RUN lines copy, move and
//! remove them; a cache mount takes them away), whether cgo can be on for
//! every binary the final stage gets (a static binary runs anywhere; a cgo
//! one needs the builder's libc), which files next to the code the app
//! reads at run time, what a launch script runs (`go` and live-reload
//! runners need the toolchain), and `go run` in ENTRYPOINT/CMD, rewritten
//! to the binary of the same package. Tools installed from other modules
//! (`go install pkg@version`) go to the final stage only when the
//! container runs them.

use crate::analyse::entry;
use crate::analyse::shell::{self, Command};
use crate::analyse::{Analysis, CommandRewrite, absolute, parent, track};
use crate::knowledge::{Family, Knowledge, LanguagePack, glob_match};
use crate::parse::{Dockerfile, Keyword};
use crate::source::BuildContext;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct GoBinary {
    /// Absolute path in the builder, where the build put it.
    pub path: String,
    pub line: usize,
    /// The package it is built from (see `package_key`).
    pub package: String,
    /// Where it is at the end of the build: RUN lines copy, move and
    /// remove it, and a cache mount takes it away.
    pub locations: Vec<String>,
    /// Installed from another module (`go install pkg@version`): a tool.
    pub remote: bool,
    /// Why it is built with cgo off (`line 5: go build runs with
    /// CGO_ENABLED=0`), if it is.
    pub cgo_off: Option<String>,
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
    Some(exec_name(module))
}

/// The name `go build`/`go install` gives the binary of an import path:
/// its last element, without the `@version` of `go install pkg@version`
/// and skipping a major-version element (`.../migrate/v4` → `migrate`).
fn exec_name(import_path: &str) -> String {
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
struct GoArgs {
    /// The flags as written (values included), for a build msb adds.
    flags: Vec<String>,
    output: Option<String>,
    /// The folder the command works in (`-C` applied).
    dir: String,
    /// Packages, or the `.go` files of one package.
    packages: Vec<String>,
    /// `go run`: the program's arguments after the package.
    program_args: Vec<String>,
    /// `go run -exec`: the binary runs through another program.
    exec: bool,
}

/// Read the words after `go build|install|run`. `go run` stops at the
/// package: what follows goes to the program.
fn go_args(args: &[String], cwd: &str, run: bool) -> GoArgs {
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
fn package_key(g: &GoArgs) -> String {
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
fn package_binary_name(g: &GoArgs, context: &BuildContext) -> Option<String> {
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
enum Built {
    /// One binary, with its package key.
    Binary(String, String),
    /// `go build -o DIR/ ./cmd/...`: a binary per main package, in DIR.
    Folder(String),
}

/// The binary a `go build`/`go install` makes, if one, with its package key.
fn binary_of(c: &Command, cwd: &str, gobin: &str, context: &BuildContext) -> Option<Built> {
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
    let mut binaries: Vec<GoBinary> = Vec::new();
    // Old Go's `go get PKG` installs PKG's binary too.
    let get_installs = match (
        a.builder.as_ref().and_then(|b| go_minor(&b.version)),
        pack.go.as_ref().and_then(|g| g.get_installs_until),
    ) {
        (Some(minor), Some(until)) => minor <= until,
        _ => false,
    };
    // `go build -o DIR/` of several packages, with the line and cgo.
    let mut folders: Vec<(String, usize, Option<String>)> = Vec::new();
    // `go install ./...`: whether each turns cgo off.
    let mut pattern_cgo: Vec<Option<String>> = Vec::new();
    let env_cgo_off = (a.env.get("CGO_ENABLED").map(String::as_str) == Some("0"))
        .then(|| "ENV CGO_ENABLED=0".to_string());
    // Every path a binary was at, to name what got lost.
    let mut seen: Vec<String> = Vec::new();
    let mut known_dirs: Vec<String> = a.workdir_before.clone();
    let mut install_patterns = false;
    let mut exported_cgo_off = false;
    let mut last_index = usize::MAX;
    let mut mounts: Vec<String> = Vec::new();
    let commands = a.run_commands.clone();
    for rc in &commands {
        if rc.index != last_index {
            exported_cgo_off = false;
            last_index = rc.index;
            track::drop_under(binaries.iter_mut().map(|b| &mut b.locations), &mounts);
            mounts = track::cache_mounts(&file.instructions[rc.index], a.workdir_at(rc.index));
        }
        let c = &rc.command;
        let line = file.instructions[rc.index].line;
        if c.program() == "export" && c.args().iter().any(|x| x == "CGO_ENABLED=0") {
            exported_cgo_off = true;
        }
        if c.program() != "go" {
            let moved = track::follow(
                c,
                &rc.cwd,
                a,
                k,
                &mut known_dirs,
                binaries.iter_mut().map(|b| &mut b.locations),
            );
            seen.extend(moved.into_iter().map(|(_, p)| p));
            continue;
        }
        let sub = c.args().first().map(String::as_str);
        let installing_get =
            sub == Some("get") && get_installs && !c.args().iter().any(|w| w == "-d");
        if !matches!(sub, Some("build" | "install")) && !installing_get {
            continue;
        }
        let cgo_off =
            if c.env.iter().any(|(n, v)| n == "CGO_ENABLED" && v == "0") || exported_cgo_off {
                Some(format!(
                    "line {line}: go {} runs with CGO_ENABLED=0",
                    c.args()[0]
                ))
            } else {
                env_cgo_off.clone()
            };
        match binary_of(c, &rc.cwd, &gobin, context) {
            Some(Built::Binary(path, package)) => {
                seen.push(path.clone());
                binaries.retain(|b| b.path != path);
                binaries.push(GoBinary {
                    locations: vec![path.clone()],
                    path,
                    line,
                    package,
                    remote: c.args().iter().any(|w| w.contains('@')),
                    cgo_off,
                });
            }
            Some(Built::Folder(dir)) => folders.push((dir, line, cgo_off)),
            None if c.args()[0] != "build" => {
                install_patterns = true;
                pattern_cgo.push(cgo_off);
            }
            None => {}
        }
    }
    track::drop_under(binaries.iter_mut().map(|b| &mut b.locations), &mounts);
    for b in &binaries {
        if b.locations.is_empty() {
            a.warnings.push(format!(
                "line {}: the binary {} is not in the builder's files at the end (removed, or built in a cache mount)",
                b.line, b.path
            ));
        }
    }
    binaries.retain(|b| !b.locations.is_empty());
    let lost: Vec<String> = seen
        .into_iter()
        .filter(|p| !binaries.iter().any(|b| b.locations.contains(p)))
        .collect();
    // Every binary is copied from where the command runs it, or where the
    // build left it; one that a command finds through the golang image's
    // PATH (/go/bin) gets to /usr/local/bin.
    let workdir = a.final_workdir.clone().unwrap_or_else(|| "/".into());
    let launched = launch_paths(file, &workdir, k);
    let run = crate::analyse::entry::commands_run(file, context, k, a);
    for bin in &binaries {
        // A tool from another module (`go install ...swag@latest`) is the
        // build's, unless the container runs it.
        let name = bin.path.rsplit('/').next().unwrap_or_default();
        if bin.remote && !run.steps.iter().any(|(_, s)| s.command.program() == name) {
            continue;
        }
        let from = bin
            .locations
            .iter()
            .find(|l| launched.contains(l))
            .or_else(|| {
                bin.locations
                    .iter()
                    .rev()
                    .find(|l| k.images.runtime_path.iter().any(|p| *p == parent(l)))
            })
            .or(bin.locations.last())
            .cloned()
            .unwrap_or_default();
        let (dir, name) = from.rsplit_once('/').unwrap_or(("/", from.as_str()));
        // The golang image has /go/bin on PATH; the runtime has /usr/local/bin.
        // A binary the command starts by its path stays at that path.
        let to = if dir == gobin.trim_end_matches('/')
            && !launched.contains(&from)
            && !k.images.runtime_path.iter().any(|p| p == dir)
        {
            format!("/usr/local/bin/{name}")
        } else {
            from.clone()
        };
        a.add_artefact(
            bin.line,
            &from,
            &to,
            format!("line {}: the binary go builds", bin.line),
            false,
        );
    }
    let entry = entry::starting_instruction(file);
    let rewritten = go_run(file, context, &workdir, &mut binaries, a);
    let mut programs = Vec::new();
    for kw in [Keyword::Entrypoint, Keyword::Cmd] {
        if let Some(index) = file.instructions.iter().rposition(|i| i.keyword == kw)
            && !rewritten.contains(&index)
        {
            let ins = &file.instructions[index];
            let first = match &ins.exec {
                Some(w) => w.first().cloned(),
                // `exec ./server`: the program after the wrappers.
                None => crate::analyse::shell::commands(&ins.args)
                    .first()
                    .and_then(|c| {
                        c.words
                            .iter()
                            .find(|w| !k.commands.wrappers.contains(w))
                            .cloned()
                    }),
            };
            if let Some(p) = first {
                programs.push((index, p, Some(index) == entry));
            }
        }
    }
    // Live-reload runners, unless the app's own binary has the name.
    let mut dev_runners = pack
        .go
        .as_ref()
        .map(|g| g.dev_runners.clone())
        .unwrap_or_default();
    dev_runners.retain(|r| {
        !binaries
            .iter()
            .any(|b| !b.remote && b.path.rsplit('/').next() == Some(r.as_str()))
    });
    for (index, program, starts) in programs {
        let line = file.instructions[index].line;
        let keyword = file.instructions[index].keyword.as_str();
        let name = program.rsplit('/').next().unwrap_or(&program).to_string();
        if k.commands.shells.contains(&name) {
            continue;
        }
        if dev_runners.contains(&name) {
            a.block(line, dev_runner_reason(keyword, &name));
            continue;
        }
        let found = if program.contains('/') {
            let path = absolute(&workdir, &program);
            let in_folder = folders
                .iter()
                .find(|(dir, _, _)| parent(&path) == dir.trim_end_matches('/'));
            if binaries.iter().any(|b| b.locations.contains(&path)) || a.is_copied(&path) {
                true
            } else if k.images.runtime_path.contains(&parent(&path)) && from_package(a, k, &name) {
                // `/usr/bin/dumb-init` from a package the final stage installs.
                true
            } else if let Some((_, built, cgo_off)) = in_folder {
                // `go build -o bin/ ./cmd/...` names each binary after its
                // package: the one the command runs.
                a.add_artefact(
                    *built,
                    &path,
                    &path,
                    format!(
                        "line {built}: go build puts a binary per package in {}",
                        parent(&path)
                    ),
                    false,
                );
                binaries.push(GoBinary {
                    path: path.clone(),
                    line: *built,
                    package: path.clone(),
                    locations: vec![path.clone()],
                    remote: false,
                    cgo_off: cgo_off.clone(),
                });
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
        } else if binaries.iter().any(|b| {
            b.locations
                .iter()
                .any(|l| l.rsplit('/').next() == Some(name.as_str()))
        }) {
            true
        } else if from_package(a, k, &name) {
            // `tini` from a package the final stage installs.
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
            let path = absolute(&workdir, &program);
            let reason = if name == "go" {
                format!(
                    "{keyword} runs `go` for something other than `go run`: the Go toolchain is not in the final stage"
                )
            } else if program.contains('/') && lost.contains(&path) {
                format!(
                    "{keyword} runs `{program}`, but the build does not leave it in the builder's files (built in a cache mount, or removed)"
                )
            } else {
                format!(
                    "{keyword} runs `{program}`, which is not a binary the build makes: cannot tell what the runtime needs"
                )
            };
            a.block(line, reason);
        }
    }
    launch_script(&run, &dev_runners, a);
    // A step msb does not know may build it: that is --unsafe's call.
    if binaries.is_empty() && !install_patterns && a.unsafe_blockers.is_empty() {
        a.block(
            file.instructions[a.last_build_index].line,
            "no `go build -o`/`go install` whose binary msb can name: cannot tell what to copy",
        );
    }

    // The binary is static when every binary the final stage gets is
    // built with cgo off (or, on Alpine without a C compiler, by Go 1.20+).
    let mut states: Vec<Option<String>> = binaries
        .iter()
        .filter(|b| a.artefacts.iter().any(|x| b.locations.contains(&x.from)))
        .map(|b| b.cgo_off.clone())
        .collect();
    if install_patterns {
        states.extend(pattern_cgo);
    }
    let mut cgo_off_evidence: Option<String> = if states.iter().all(Option::is_some) {
        states.into_iter().flatten().next_back().or(env_cgo_off)
    } else {
        None
    };
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

/// `go run PACKAGE [args]` in ENTRYPOINT/CMD → the package's binary, with
/// the same arguments and form. Safe when the build already made that
/// binary (a `go build` of the same package); otherwise the builder gains
/// `go build -o /usr/local/bin/NAME PACKAGE` with go run's own flags and
/// environment, which only `--unsafe` applies. Returns the instructions
/// handled.
fn go_run(
    file: &Dockerfile,
    context: &BuildContext,
    workdir: &str,
    binaries: &mut Vec<GoBinary>,
    a: &mut Analysis,
) -> Vec<usize> {
    let mut handled = Vec::new();
    for kw in [Keyword::Entrypoint, Keyword::Cmd] {
        let Some(index) = file.instructions.iter().rposition(|i| i.keyword == kw) else {
            continue;
        };
        let ins = &file.instructions[index];
        let line = ins.line;
        let keyword = kw.as_str();
        let commands = shell::instruction_commands(ins);
        let is_go_run = |c: &Command| {
            c.program() == "go" && c.args().first().map(String::as_str) == Some("run")
        };
        let Some(first) = commands.first() else {
            continue;
        };
        if !commands.iter().any(is_go_run) {
            continue;
        }
        handled.push(index);
        let runs = entry::quoted_command(ins);
        if commands.len() > 1 || !is_go_run(first) {
            a.block(
                line,
                format!(
                    "{keyword} runs {runs}, more than a lone `go run`: msb does not rewrite it"
                ),
            );
            continue;
        }
        let g = go_args(&first.args()[1..], workdir, true);
        // `go run main.go` names its binary after the module, not `main`.
        let files = !g.packages.is_empty() && g.packages.iter().all(|p| p.ends_with(".go"));
        let name = if files {
            module_binary_name(context).or_else(|| package_binary_name(&g, context))
        } else {
            package_binary_name(&g, context)
        };
        let problem = if g.packages.is_empty() {
            Some("names no package (CMD would add it)")
        } else if g.exec {
            Some("runs the binary through -exec")
        } else if g
            .packages
            .iter()
            .any(|p| p.contains('@') || p.contains("..."))
        {
            Some("runs a package msb cannot build in place")
        } else if name.is_none() {
            Some("names a package msb cannot name a binary for")
        } else {
            None
        };
        if let Some(problem) = problem {
            a.block(line, format!("{keyword} runs {runs}, which {problem}"));
            continue;
        }
        let name = name.unwrap_or_default();
        let key = package_key(&g);
        let built = binaries.iter().find(|b| b.package == key).cloned();
        let to = match &built {
            // Where the final stage has it (a /go/bin binary moves to
            // /usr/local/bin).
            Some(b) => a
                .artefacts
                .iter()
                .find(|x| b.locations.contains(&x.from))
                .map(|x| x.to.clone())
                .unwrap_or_else(|| b.path.clone()),
            None => format!("/usr/local/bin/{name}"),
        };
        if built.is_none() {
            // The build msb adds: go run's flags and environment, so cgo
            // and build tags are the same, in the folder go run ran in.
            let mut words: Vec<String> =
                first.env.iter().map(|(n, v)| format!("{n}={v}")).collect();
            words.extend(["go".to_string(), "build".to_string()]);
            words.extend(g.flags.iter().cloned());
            words.extend(["-o".to_string(), to.clone()]);
            words.extend(g.packages.iter().cloned());
            let text =
                entry::add_runner_build_step(a, line, keyword, &runs, &words.join(" "), workdir);
            a.block_unless_unsafe(
                line,
                format!(
                    "{keyword} runs {runs}, which compiles at start and needs the Go toolchain; --unsafe adds `{text}` to the builder and runs {to}"
                ),
            );
            let cgo_off = if first
                .env
                .iter()
                .any(|(n, v)| n == "CGO_ENABLED" && v == "0")
            {
                Some(format!("line {line}: go run runs with CGO_ENABLED=0"))
            } else {
                (a.env.get("CGO_ENABLED").map(String::as_str) == Some("0"))
                    .then(|| "ENV CGO_ENABLED=0".to_string())
            };
            binaries.push(GoBinary {
                path: to.clone(),
                line,
                package: key,
                locations: vec![to.clone()],
                remote: false,
                cgo_off,
            });
            a.add_artefact(
                line,
                &to,
                &to,
                format!("line {line}: the binary of `go run`, built by msb"),
                false,
            );
        }
        let args = match &ins.exec {
            Some(_) => {
                let mut words = vec![to.clone()];
                words.extend(g.program_args.iter().cloned());
                entry::render(&words, true)
            }
            None => format!(
                "{}{to}{}",
                shell_prefix(&ins.args),
                shell_program_args(&ins.args, &first.words)
            ),
        };
        let why = match &built {
            Some(b) => format!("{runs}; line {} already builds {}", b.line, b.path),
            None => format!("{runs}; msb builds {to} in the builder"),
        };
        a.command_rewrites.push(CommandRewrite {
            index,
            args,
            why,
            needs_unsafe: built.is_none(),
        });
    }
    handled
}

/// The text of a shell-form command before its `go` (variables set for it).
fn shell_prefix(text: &str) -> String {
    let text = text.trim();
    let start = text
        .match_indices("go")
        .map(|(i, _)| i)
        .find(|i| *i == 0 || text[..*i].ends_with(char::is_whitespace))
        .unwrap_or(0);
    text[..start].to_string()
}

/// The program's arguments of a shell-form `go run`, as written (quotes
/// and variables kept): the text after the words up to the package.
fn shell_program_args(text: &str, words: &[String]) -> String {
    let text = text.trim();
    let g = go_args(&words[2..], "/", true);
    let consumed = words.len() - g.program_args.len();
    let mut pos = shell_prefix(text).len();
    for word in &words[..consumed] {
        match text[pos..].find(word.as_str()) {
            Some(at) => pos += at + word.len(),
            None => return String::new(),
        }
    }
    // A quote closing the last word consumed belongs to it.
    let rest = text[pos..].trim_start_matches(['"', '\'']);
    if rest.trim().is_empty() {
        String::new()
    } else {
        format!(" {}", rest.trim())
    }
}

/// The absolute paths ENTRYPOINT and CMD run a program from.
fn launch_paths(file: &Dockerfile, workdir: &str, k: &Knowledge) -> Vec<String> {
    let mut out = Vec::new();
    for ins in file
        .instructions
        .iter()
        .filter(|i| matches!(i.keyword, Keyword::Entrypoint | Keyword::Cmd))
    {
        let first = match &ins.exec {
            Some(w) => w.first().cloned(),
            None => shell::commands(&ins.args).first().and_then(|c| {
                c.words
                    .iter()
                    .find(|w| !k.commands.wrappers.contains(w))
                    .cloned()
            }),
        };
        if let Some(p) = first.filter(|p| p.contains('/')) {
            out.push(absolute(workdir, &p));
        }
    }
    out
}

/// A program from a package the builder installs and the final stage too.
fn from_package(a: &Analysis, k: &Knowledge, name: &str) -> bool {
    a.builder.as_ref().is_some_and(|b| {
        crate::analyse::packages::installs_program(
            &a.installed_packages,
            &a.removed_packages,
            b.family,
            name,
            k,
        )
    })
}

fn dev_runner_reason(what: &str, name: &str) -> String {
    format!(
        "{what} runs `{name}`, which rebuilds the app with the Go toolchain while it runs (live reload): a development image, and the final stage has no toolchain"
    )
}

/// A launch script (`ENTRYPOINT ["./entrypoint.sh"]`, `CMD ["sh",
/// "start.sh"]`) is copied to the final stage, and what it runs must be
/// there: `go` and live-reload runners need the toolchain.
fn launch_script(run: &crate::analyse::entry::Commands, dev_runners: &[String], a: &mut Analysis) {
    let line = run.line;
    if let Some((_, image)) = &run.script
        && !a.is_copied(image)
    {
        a.add_artefact(
            line,
            image,
            image,
            format!("line {line}: {} runs it", run.keyword),
            false,
        );
    }
    for (what, step) in &run.steps {
        let name = step.command.program();
        // A lone `go` of ENTRYPOINT/CMD is rewritten, or refused, above.
        if name == "go" && (run.script.is_some() || run.steps.len() > 1) {
            let sub = step.command.args().first().cloned().unwrap_or_default();
            a.block(
                line,
                format!("{what} runs `go {sub}`: the Go toolchain is not in the final stage"),
            );
        } else if dev_runners.iter().any(|r| r == name) {
            a.block(line, dev_runner_reason(what, name));
        }
    }
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
        // `COPY go.* ./`, `COPY Cargo.* ./`: a glob of the manifests.
        || (s.contains('*') && pack.steps.dep_manifests.iter().any(|m| glob_match(s, m)))
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
                            && !a.is_copied(&format!("{}/{name}", root.trim_end_matches('/')))
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
                            // The original ran the app as root: it could write there.
                            true,
                        );
                    }
                }
                for name in context.list(".") {
                    // Checked first: compose files and tool configs are YAML too.
                    if context.is_file(&name)
                        && !pack.not_runtime.iter().any(|g| glob_match(g, &name))
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

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn shell_form_keeps_the_program_arguments_as_written() {
        let text = r#"CGO_ENABLED=0 go run -tags "a b" ./cmd/api -addr ":${PORT:-8080}""#;
        let c = &shell::commands(text)[0];
        assert_eq!(shell_prefix(text), "CGO_ENABLED=0 ");
        assert_eq!(
            shell_program_args(text, &c.words),
            r#" -addr ":${PORT:-8080}""#
        );
        let plain = "go run main.go";
        assert_eq!(
            shell_program_args(plain, &shell::commands(plain)[0].words),
            ""
        );
    }
}
