//! Copy into the runtime stage only what the app needs, from the builder.
//!
//! The artefacts come from the analysis: the dependency folder (a venv),
//! the app's folders, build outputs, binaries at the path ENTRYPOINT/CMD
//! run them from, runtime assets, and files RUN lines made outside those.
//! Folders the app may write to (its working directory, when it ran as
//! root before) are owned by the runtime user; a folder the original gave
//! to a user with `COPY --chown` keeps that owner.
//!
//! Applicability: safe.

use crate::analyse::{Artefact, absolute, is_under, parent};
use crate::plan::{Applicability, PassInput, Plan};

pub const NAME: &str = "copy_artefacts";

fn quote_if_needed(paths: &[&str]) -> Option<String> {
    if paths.iter().any(|p| p.contains(char::is_whitespace)) {
        let json: Vec<String> = paths
            .iter()
            .map(|p| serde_json::to_string(p).unwrap_or_default())
            .collect();
        return Some(format!("[{}]", json.join(", ")));
    }
    None
}

pub fn run(input: &PassInput, plan: &mut Plan) {
    let a = input.analysis;
    if plan.runtime_base.is_none() {
        return;
    }
    let copied: Vec<(&Artefact, Option<String>)> = a
        .artefacts
        .iter()
        .filter(|x| !(x.from == x.to && plan.made_by_install.contains(&x.from)))
        .map(|x| (x, owner_of(input, plan, x)))
        .collect();
    let mut i = 0;
    while i < copied.len() {
        let (artefact, chown) = &copied[i];
        // Files side by side with the same owner: one COPY for them all.
        let group = copied[i..]
            .iter()
            .take_while(|(x, c)| same_folder_files(artefact, x) && c == chown)
            .count()
            .max(1);
        let members: Vec<&Artefact> = copied[i..i + group].iter().map(|(x, _)| *x).collect();
        copy_instruction(input, plan, &members, chown.as_deref());
        for member in &members {
            let owner = chown
                .as_ref()
                .map(|o| format!(", owned by {o}"))
                .unwrap_or_default();
            let dest = if member.from == member.to {
                String::new()
            } else {
                format!(" to {}", member.to)
            };
            plan.decide(
                NAME,
                Applicability::Safe,
                format!("copies {}{dest}{owner}: {}", member.from, member.why),
            );
        }
        i += group;
    }
}

/// Whether `b` is a context file copied beside `a`, a file too.
fn same_folder_files(a: &Artefact, b: &Artefact) -> bool {
    a.file && b.file && a.from == a.to && b.from == b.to && parent(&a.to) == parent(&b.to)
}

/// The owner the final stage gives an artefact, if any.
fn owner_of(input: &PassInput, plan: &Plan, artefact: &Artefact) -> Option<String> {
    let a = input.analysis;
    let keeps_own_user = a.final_user.is_some_and(|i| {
        plan.runtime_user.as_deref() == Some(input.file.instructions[i].args.trim())
    });
    if keeps_own_user {
        // The original ran as its own user: keep the owner it gave, by
        // `COPY --chown` or by a `chown` of the folder, by name (the
        // user's UID may differ in the final stage's base).
        // Of several copies into the folder (a manifest first, the
        // sources with --chown after), the owner one of them gave.
        a.copies
            .iter()
            .rev()
            .filter(|c| c.roots.contains(&artefact.from))
            .find_map(|c| c.chown.clone())
            .or_else(|| chown_of(a, &artefact.from))
    } else if artefact.writable {
        plan.runtime_user.clone()
    } else {
        None
    }
}

/// The COPY of one artefact, or of files side by side into their folder.
fn copy_instruction(
    input: &PassInput,
    plan: &mut Plan,
    members: &[&Artefact],
    chown: Option<&str>,
) {
    let mut flags = format!("--from={}", plan.builder_name);
    if let Some(owner) = chown {
        flags.push_str(&format!(" --chown={owner}"));
    }
    let first = members[0];
    let folder = format!("{}/", parent(&first.to).trim_end_matches('/'));
    let mut words: Vec<&str> = members.iter().map(|m| m.from.as_str()).collect();
    words.push(if members.len() > 1 {
        &folder
    } else {
        &first.to
    });
    let paths = quote_if_needed(&words).unwrap_or_else(|| words.join(" "));
    plan.runtime
        .artefacts
        .push(input.instruction("COPY", &format!("{flags} {paths}")));
    if let Some(owner) = chown
        && base_has_folder(input.analysis, &first.to)
    {
        // COPY --chown into a folder the base already has chowns what
        // it copies, not the folder: the app could not create a file
        // there, as it could when it ran as root.
        plan.runtime
            .artefacts
            .push(input.instruction("RUN", &format!("chown {owner} {}", first.to)));
    }
}

/// The final stage is the builder's own image (a vendor's runtime), whose
/// WORKDIR (`images.toml`) is `path`: the folder exists before the COPY.
fn base_has_folder(a: &crate::analyse::Analysis, path: &str) -> bool {
    a.builder
        .as_ref()
        .is_some_and(|b| b.vendor_runtime.is_some() && b.workdir.as_deref() == Some(path))
}

/// The owner a `chown` in the builder gave to `path`, a folder above it
/// or a folder inside it.
fn chown_of(a: &crate::analyse::Analysis, path: &str) -> Option<String> {
    a.run_commands.iter().rev().find_map(|rc| {
        let c = &rc.command;
        if c.program() != "chown" {
            return None;
        }
        let operands: Vec<&String> = c.args().iter().filter(|x| !x.starts_with('-')).collect();
        let (owner, targets) = operands.split_first()?;
        // A folder inside it (`chown -R rails:rails log tmp`) is where the
        // app writes: the whole folder gets that owner.
        targets
            .iter()
            .map(|t| absolute(&rc.cwd, t))
            .any(|t| is_under(path, &t) || is_under(&t, path))
            .then(|| owner.to_string())
    })
}
