//! What the RUN lines build: each `go build`/`go install` (and old Go's
//! `go get`) binary with where it is at the end of the build (RUN lines
//! copy, move and remove it; a cache mount takes it away), the folders
//! `go build -o DIR/` fills, and whether each turns cgo off. Then the
//! binaries the final stage gets, from where the command runs them.

use super::naming::{Built, binary_of};
use super::{GoBinary, go_minor};
use crate::analyse::entry::Commands;
use crate::analyse::{Analysis, parent, track};
use crate::knowledge::{Knowledge, LanguagePack};
use crate::parse::Dockerfile;
use crate::source::BuildContext;

/// What the build makes, read from its RUN lines.
pub(super) struct Builds {
    /// GOBIN (or $GOPATH/bin): where `go install` puts binaries.
    pub gobin: String,
    pub binaries: Vec<GoBinary>,
    /// `go build -o DIR/` of several packages, with the line and cgo.
    pub folders: Vec<(String, usize, Option<String>)>,
    /// `go install ./...` (a pattern): binaries msb names only from the
    /// command that runs them; whether each turns cgo off.
    pub install_patterns: bool,
    pub pattern_cgo: Vec<Option<String>>,
    /// `ENV CGO_ENABLED=0`, when the file sets it.
    pub env_cgo_off: Option<String>,
    /// Paths a binary was at and is no more (removed, or in a cache mount).
    pub lost: Vec<String>,
    /// The line of a `go get PKG` on a Go that no longer installs it.
    pub get_without_install: Option<usize>,
}

/// Read the binaries every RUN makes, and follow them as later RUN lines
/// copy, move or remove them.
pub(super) fn collect(
    file: &Dockerfile,
    context: &BuildContext,
    pack: &LanguagePack,
    k: &Knowledge,
    a: &mut Analysis,
) -> Builds {
    let gobin = a
        .env
        .get("GOBIN")
        .cloned()
        .or_else(|| a.env.get("GOPATH").map(|p| format!("{p}/bin")))
        .unwrap_or_else(|| "/go/bin".to_string());
    // Old Go's `go get PKG` installs PKG's binary too.
    let get_installs = match (
        a.builder.as_ref().and_then(|b| go_minor(&b.version)),
        pack.go.as_ref().and_then(|g| g.get_installs_until),
    ) {
        (Some(minor), Some(until)) => minor <= until,
        _ => false,
    };
    let env_cgo_off = (a.env.get("CGO_ENABLED").map(String::as_str) == Some("0"))
        .then(|| "ENV CGO_ENABLED=0".to_string());
    let mut b = Builds {
        gobin,
        binaries: Vec::new(),
        folders: Vec::new(),
        install_patterns: false,
        pattern_cgo: Vec::new(),
        env_cgo_off,
        lost: Vec::new(),
        get_without_install: None,
    };
    // Every path a binary was at, to name what got lost.
    let mut seen: Vec<String> = Vec::new();
    let mut known_dirs: Vec<String> = a.workdir_before.clone();
    let mut exported_cgo_off = false;
    let mut last_index = usize::MAX;
    let mut mounts: Vec<String> = Vec::new();
    let commands = a.run_commands.clone();
    for rc in &commands {
        if rc.index != last_index {
            exported_cgo_off = false;
            last_index = rc.index;
            track::drop_under(b.binaries.iter_mut().map(|b| &mut b.locations), &mounts);
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
                b.binaries.iter_mut().map(|b| &mut b.locations),
            );
            seen.extend(moved.into_iter().map(|(_, p)| p));
            continue;
        }
        let sub = c.args().first().map(String::as_str);
        let installing_get =
            sub == Some("get") && get_installs && !c.args().iter().any(|w| w == "-d");
        if sub == Some("get") && !get_installs && !c.args().iter().any(|w| w == "-d") {
            b.get_without_install.get_or_insert(line);
        }
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
                b.env_cgo_off.clone()
            };
        match binary_of(c, &rc.cwd, &b.gobin, context) {
            Some(Built::Binary(path, package)) => {
                seen.push(path.clone());
                b.binaries.retain(|x| x.path != path);
                b.binaries.push(GoBinary {
                    locations: vec![path.clone()],
                    path,
                    line,
                    package,
                    // `go get` always fetches another module.
                    remote: sub == Some("get") || c.args().iter().any(|w| w.contains('@')),
                    cgo_off,
                });
            }
            Some(Built::Folder(dir)) => b.folders.push((dir, line, cgo_off)),
            None if c.args()[0] != "build" => {
                b.install_patterns = true;
                b.pattern_cgo.push(cgo_off);
            }
            None => {}
        }
    }
    track::drop_under(b.binaries.iter_mut().map(|b| &mut b.locations), &mounts);
    for bin in &b.binaries {
        if bin.locations.is_empty() {
            a.warnings.push(format!(
                "line {}: the binary {} is not in the builder's files at the end (removed, or built in a cache mount)",
                bin.line, bin.path
            ));
        }
    }
    b.binaries.retain(|b| !b.locations.is_empty());
    b.lost = seen
        .into_iter()
        .filter(|p| !b.binaries.iter().any(|x| x.locations.contains(p)))
        .collect();
    b
}

/// Every binary is copied from where the command runs it, or where the
/// build left it; one that a command finds through the golang image's
/// PATH (/go/bin) gets to /usr/local/bin. A tool from another module
/// (`go install ...swag@latest`) is the build's, unless the container
/// runs it.
pub(super) fn copy_binaries(
    builds: &Builds,
    launched: &[String],
    run: &Commands,
    k: &Knowledge,
    a: &mut Analysis,
) {
    let gobin = builds.gobin.trim_end_matches('/');
    for bin in &builds.binaries {
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
        // A binary the command starts by its path stays at that path.
        let to = if dir == gobin
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
}
