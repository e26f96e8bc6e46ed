//! Go: which binaries the build makes and where (RUN lines copy, move and
//! remove them; a cache mount takes them away), whether cgo can be on for
//! every binary the final stage gets (a static binary runs anywhere; a cgo
//! one needs the builder's libc), which files next to the code the app
//! reads at run time, what a launch script runs (`go` and live-reload
//! runners need the toolchain), and `go run` in ENTRYPOINT/CMD, rewritten
//! to the binary of the same package. Tools installed from other modules
//! (`go install pkg@version`) go to the final stage only when the
//! container runs them.

//!
//! By concern: `naming` (what go commands call their binaries), `builds`
//! (what the RUN lines make and where it ends up), `go_run` (the rewrite),
//! `launch` (what ENTRYPOINT/CMD start), `cgo` (static or not), `files`
//! (what the app reads next to its code).

mod builds;
mod cgo;
mod files;
mod go_run;
mod launch;
mod naming;

use crate::analyse::{Analysis, entry};
use crate::knowledge::{Knowledge, LanguagePack};
use crate::parse::Dockerfile;
use crate::source::BuildContext;

pub use naming::installed_tools;

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

pub fn analyse(
    file: &Dockerfile,
    context: &BuildContext,
    pack: &LanguagePack,
    k: &Knowledge,
    a: &mut Analysis,
) {
    let mut builds = builds::collect(file, context, pack, k, a);
    let workdir = a.final_workdir.clone().unwrap_or_else(|| "/".into());
    let launched = launch::launch_paths(file, &workdir, k);
    let run = entry::commands_run(file, context, k, a);
    builds::copy_binaries(&builds, &launched, &run, k, a);
    let rewritten = go_run::go_run(file, context, &workdir, &mut builds.binaries, a);
    let dev_runners = launch::dev_runners(pack, &builds.binaries);
    let started = launch::Started {
        file,
        context,
        k,
        workdir: &workdir,
        dev_runners: &dev_runners,
    };
    started.check(&mut builds, &rewritten, a);
    launch::launch_script(&run, &dev_runners, a);
    if entry::starting_instruction(file).is_none() {
        // The golang image's own command is a shell: a build or CI image.
        a.block(
            file.instructions[a.last_build_index].line,
            "no ENTRYPOINT or CMD: the image runs the golang image's shell, and msb cannot tell which binary the runtime runs",
        );
    }
    // A step msb does not know may build it: that is --unsafe's call.
    if builds.binaries.is_empty() && !builds.install_patterns && a.unsafe_blockers.is_empty() {
        a.block(
            file.instructions[a.last_build_index].line,
            "no `go build -o`/`go install` whose binary msb can name: cannot tell what to copy",
        );
    }
    let linkage = cgo::linkage(file, context, pack, k, &builds, a);
    files::runtime_files(file, context, pack, a);
    a.go = Some(GoFacts {
        binaries: builds.binaries,
        static_binary: linkage.static_binary,
        static_explicit: linkage.static_explicit,
        cgo_evidence: linkage.evidence,
    });
}

/// `1.21` → 21; None for `latest` or a variable.
pub(super) fn go_minor(version: &str) -> Option<u32> {
    let mut parts = version.split('.');
    if parts.next()? != "1" {
        return None;
    }
    parts.next()?.parse().ok()
}
