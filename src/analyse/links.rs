//! A link a RUN makes on a system path the runtime reads, whose target is
//! a file of a known folder (`ln -snf /usr/share/zoneinfo/$TZ
//! /etc/localtime`, the time zone): the final stage gets the target file
//! from the builder, where the same path holds it, and makes the same link
//! again, as root before its user. Which links and folders, from
//! `commands.toml [replayed_links]`; any other link outside what the final
//! stage copies stays a blocker.

use crate::analyse::image::expand_known;
use crate::analyse::{Analysis, RuntimeRun, absolute, is_under};
use crate::knowledge::{Family, Knowledge};

/// Carries `ln TARGET LINK` (operands as written, in `cwd`) to the final
/// stage when LINK is a replayed link and TARGET a file of its folder.
/// Whether it did.
pub fn replay(
    k: &Knowledge,
    a: &mut Analysis,
    line: usize,
    cwd: &str,
    operands: &[&String],
) -> bool {
    let [target, link] = operands else {
        return false;
    };
    let link = absolute(cwd, link);
    let Some(folder) = k.commands.replayed_links.get(&link) else {
        return false;
    };
    let target = absolute(cwd, &expand_known(target, &a.env));
    if target.contains(['$', '*', '?', '[']) || !is_under(&target, folder) || target == *folder {
        return false;
    }
    // COPY fails where the builder has no such file (a dangling link).
    if !builder_has_time_zones(k, a) {
        return false;
    }
    a.add_artefact(
        line,
        &target,
        &target,
        format!("line {line}: the file the RUN links {link} to"),
        false,
    );
    a.runtime_runs.push(RuntimeRun {
        text: format!("ln -snf {target} {link}"),
        why: format!("line {line}: links {link} to {target}, as the build did"),
    });
    true
}

/// Whether the builder has the time zone files: the build installs tzdata,
/// the image ships it (`images.toml` provides), or it is a Debian release
/// where tzdata is a required package (in every image, slim ones too).
fn builder_has_time_zones(k: &Knowledge, a: &Analysis) -> bool {
    let Some(builder) = &a.builder else {
        return false;
    };
    let provided = k
        .image_facts(&builder.name, &builder.tag)
        .is_some_and(|f| f.provides.iter().any(|p| p == "tzdata"));
    let required = builder.family == Family::Debian
        && builder
            .release
            .as_deref()
            .is_some_and(|r| k.commands.tzdata_required_in.iter().any(|x| x == r));
    provided || required || a.installed_packages.iter().any(|p| p == "tzdata")
}
