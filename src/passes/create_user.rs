//! Run the final stage as a non-root user.
//!
//! A file that already switches to a non-root USER keeps it: the RUN that
//! created that user is repeated in the final stage, and the USER line is
//! kept as written. Otherwise msb adds a user with a numeric UID/GID (so
//! Kubernetes `runAsNonRoot` can check it), created the way the base
//! expects (`transforms/images.toml`: `useradd` on Debian, `adduser -S` on
//! Alpine; distroless already has 65532), and VOLUME folders the app
//! writes to are made and given to that user. `USER` comes right before
//! ENTRYPOINT/CMD.
//!
//! A base image that has a non-root user of its own (`node`, .NET's `app`,
//! distroless `nonroot`) runs the app as that user instead.
//!
//! Applicability: safe. The app ran as root and could write anywhere; the
//! folders it was given (its WORKDIR, its VOLUMEs) stay writable.

use crate::analyse::is_under;
use crate::knowledge::Family;
use crate::plan::{Applicability, Item, PassInput, Plan};

pub const NAME: &str = "create_user";

fn is_root(user: &str) -> bool {
    let name = user.trim().split(':').next().unwrap_or("");
    name == "root" || name == "0"
}

pub fn run(input: &PassInput, plan: &mut Plan) {
    let a = input.analysis;
    let file = input.file;
    let Some(base) = plan.runtime_base.clone() else {
        return;
    };
    if let Some(index) = a.final_user {
        let user = file.instructions[index].args.trim().to_string();
        if !is_root(&user) {
            for setup in &a.user_setup {
                plan.runtime.user_setup.push(user_setup_item(input, *setup));
            }
            let item = if plan.moved.contains(&index) {
                Item::Keep(index)
            } else {
                Item::Carry(index)
            };
            plan.runtime.user.push(item);
            plan.runtime_user = Some(user.clone());
            plan.decide(
                NAME,
                Applicability::Safe,
                format!("keeps the file's non-root user: USER {user}"),
            );
            return;
        }
        plan.decide(
            NAME,
            Applicability::Safe,
            format!(
                "line {}: USER {user} is replaced by a non-root user",
                file.instructions[index].line
            ),
        );
    }
    let templates = &input.knowledge.images.user;
    let uid = templates.uid.to_string();
    let owner = format!("{uid}:{uid}");
    // The app ran as root and could write in its VOLUMEs and its working
    // folder; the runtime user must still be able to.
    let mut writable: Vec<&String> = a.runtime.writable_dirs.iter().collect();
    if let Some(workdir) = &a.final_workdir
        && !a.is_system_dir(workdir)
        && !writable.contains(&workdir)
    {
        writable.push(workdir);
    }
    // A system folder (`VOLUME /tmp`) keeps the base image's owner and mode.
    // A folder inside a copy owned by the user comes with it, except a
    // VOLUME: the build may not make it, and Docker mounts a volume on a
    // missing folder as root.
    writable.retain(|d| {
        !a.is_system_dir(d)
            && (a.runtime.writable_dirs.contains(d)
                || !a.artefacts.iter().any(|x| x.writable && is_under(d, &x.to)))
    });
    let create = match base.family {
        Family::Debian => Some(&templates.debian),
        Family::Alpine => Some(&templates.alpine),
        _ => None,
    };
    let mkdirs = |owner: &str| {
        let dirs: Vec<&str> = writable.iter().map(|d| d.as_str()).collect();
        format!(
            "mkdir -p {d} \\\n    && chown {owner} {d}",
            d = dirs.join(" ")
        )
    };
    let user = match (create, &base.nonroot_user) {
        (_, Some(existing)) => {
            if create.is_some() && !writable.is_empty() {
                plan.runtime
                    .user_setup
                    .push(input.instruction("RUN", &mkdirs(existing)));
            }
            plan.decide(
                NAME,
                Applicability::Safe,
                format!("runs as the base image's non-root user {existing}"),
            );
            existing.clone()
        }
        (Some(template), None) => {
            let mut text = template
                .replace("{uid}", &uid)
                .replace("{name}", &templates.name);
            text = text.replace(" && ", " \\\n    && ");
            if !writable.is_empty() {
                text.push_str(&format!(" \\\n    && {}", mkdirs(&owner)));
            }
            plan.runtime
                .user_setup
                .push(input.instruction("RUN", &text));
            plan.decide(
                NAME,
                Applicability::Safe,
                format!(
                    "creates user {} (UID/GID {uid}) and runs the app as {owner}",
                    templates.name
                ),
            );
            owner
        }
        (None, None) => return,
    };
    if create.is_none() {
        writable.clear();
    }
    if !writable.is_empty() {
        plan.decide(
            NAME,
            Applicability::Safe,
            format!(
                "{} created and owned by {user}: the app wrote there as root",
                writable
                    .iter()
                    .map(|d| d.as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
        );
    }
    plan.runtime.user.push(input.instruction("USER", &user));
    plan.runtime_user = Some(user);
}

/// The RUN that created the file's user, for the final stage: as written
/// when it only creates users and groups, else just its user and group
/// commands (an `apt-get install` or a `chown` of files that are not there
/// yet must not run again).
fn user_setup_item(input: &PassInput, index: usize) -> Item {
    let k = input.knowledge;
    let commands: Vec<&crate::analyse::shell::Command> = input
        .analysis
        .run_commands
        .iter()
        .filter(|rc| rc.index == index)
        .map(|rc| &rc.command)
        .collect();
    let is_user_setup =
        |c: &crate::analyse::shell::Command| k.commands.user_setup.iter().any(|p| p == c.program());
    if commands.iter().all(|c| is_user_setup(c)) {
        return Item::Carry(index);
    }
    let lines: Vec<String> = commands
        .iter()
        .filter(|c| is_user_setup(c))
        .map(|c| {
            c.words
                .iter()
                .map(|w| crate::analyse::shell::quote(w))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    input.instruction("RUN", &lines.join(" \\\n    && "))
}
