//! A link a RUN makes on a system path the runtime reads, whose target is
//! a file of a known folder (`ln -snf /usr/share/zoneinfo/$TZ
//! /etc/localtime`, the time zone): the final stage gets the target file
//! from the builder, where the same path holds it, and makes the same link
//! again, as root before its user. Which links, folders and packages, from
//! `commands.toml [replayed_links]`; any other link outside what the final
//! stage copies stays a blocker.

use crate::analyse::image::expand_known;
use crate::analyse::{Analysis, RuntimeRun, absolute, is_under};
use crate::knowledge::{Family, Knowledge, ReplayedLink};

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
    let Some(rule) = k.commands.replayed_links.get(&link) else {
        return false;
    };
    let target = absolute(cwd, &expand_known(target, &a.env));
    let folder = rule.folder.as_str();
    if target.contains(['$', '*', '?', '[']) || !is_under(&target, folder) || target == folder {
        return false;
    }
    // COPY fails where the builder has no such file (a dangling link).
    if !builder_has_package(k, a, rule) {
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

/// Whether the builder has the package that fills the link's folder: the
/// build installs it, the image provides it (`images.toml`), or it is a
/// Debian release where the package is required (in every image).
fn builder_has_package(k: &Knowledge, a: &Analysis, rule: &ReplayedLink) -> bool {
    let Some(builder) = &a.builder else {
        return false;
    };
    let package = rule.package.as_str();
    let provided = k
        .image_facts(&builder.name, &builder.tag)
        .is_some_and(|f| f.provides.iter().any(|p| p == package));
    let required = builder.family == Family::Debian
        && builder
            .release
            .as_deref()
            .is_some_and(|r| rule.required_in.iter().any(|x| x == r));
    provided || required || a.installed_packages.iter().any(|p| p == package)
}
