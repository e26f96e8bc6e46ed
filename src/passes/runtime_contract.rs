//! Carry the runtime contract into the final stage.
//!
//! What the container is and does must not change: the final WORKDIR,
//! ENV, LABEL, EXPOSE, VOLUME, SHELL, HEALTHCHECK, STOPSIGNAL, ONBUILD and
//! MAINTAINER in their original order, then ENTRYPOINT and CMD exactly as
//! written (JSON form stays JSON form). Instructions that moved from the
//! builder keep their comments; those the builder still needs are
//! repeated. Build arguments the carried lines use (`LABEL version=$VERSION`)
//! are declared again, since a stage does not see another stage's ARGs.
//!
//! Applicability: safe.

use crate::parse::Keyword;
use crate::plan::{Applicability, Item, PassInput, Plan};

pub const NAME: &str = "runtime_contract";

pub fn run(input: &PassInput, plan: &mut Plan) {
    let a = input.analysis;
    let file = input.file;
    if plan.runtime_base.is_none() {
        return;
    }
    let item_for = |index: usize, plan: &Plan| {
        if plan.moved.contains(&index) {
            Item::Keep(index)
        } else {
            Item::Carry(index)
        }
    };

    if let Some(workdir) = &a.final_workdir {
        let last = file
            .instructions
            .iter()
            .rposition(|i| i.keyword == Keyword::Workdir);
        let item = match last {
            Some(i) if file.instructions[i].args.trim() == workdir.as_str() => item_for(i, plan),
            _ => input.instruction("WORKDIR", workdir),
        };
        // Moved WORKDIRs before the last one are not needed.
        plan.runtime.workdir.push(item);
    }
    let mut carried = Vec::new();
    for (index, ins) in file.instructions.iter().enumerate() {
        let carry = matches!(
            ins.keyword,
            Keyword::Env
                | Keyword::Label
                | Keyword::Expose
                | Keyword::Volume
                | Keyword::Shell
                | Keyword::Healthcheck
                | Keyword::Stopsignal
                | Keyword::Onbuild
                | Keyword::Maintainer
        );
        if carry {
            plan.runtime.contract.push(item_for(index, plan));
            carried.push(ins.keyword.as_str());
        } else if matches!(ins.keyword, Keyword::Entrypoint | Keyword::Cmd) {
            plan.runtime.command.push(item_for(index, plan));
            carried.push(ins.keyword.as_str());
        }
    }
    carried.dedup();
    if !carried.is_empty() {
        plan.decide(
            NAME,
            Applicability::Safe,
            format!("keeps the runtime contract: {}", carried.join(", ")),
        );
    }
    redeclare_args(input, plan);
}

/// `$NAME` and `${NAME...}` references in a text.
fn references(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(pos) = rest.find('$') {
        let after = &rest[pos + 1..];
        let body = after.strip_prefix('{').unwrap_or(after);
        let name: String = body
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() && !names.contains(&name) {
            names.push(name);
        }
        rest = after;
    }
    names
}

/// Declare again the ARGs that carried instructions use, the repeated
/// user creation included.
fn redeclare_args(input: &PassInput, plan: &mut Plan) {
    let a = input.analysis;
    let file = input.file;
    let text_of = |item: &Item| match item {
        Item::Keep(i) | Item::Carry(i) => file.instructions[*i].text.clone(),
        Item::Changed { text, .. } | Item::New(text) => text.clone(),
    };
    let used: Vec<String> = plan
        .runtime
        .contract
        .iter()
        .chain(&plan.runtime.command)
        .chain(&plan.runtime.workdir)
        // The repeated user creation (`useradd --uid "${UID}"`) and USER.
        .chain(&plan.runtime.user_setup)
        .chain(&plan.runtime.user)
        .flat_map(|i| references(&text_of(i)))
        .collect();
    let mut declared = Vec::new();
    for name in used {
        if declared.contains(&name) {
            continue;
        }
        if let Some(index) = a.stage_args.get(&name) {
            plan.runtime.args.push(Item::Carry(*index));
            declared.push(name);
        } else if a.global_args.contains_key(&name) {
            plan.runtime.args.push(input.instruction("ARG", &name));
            declared.push(name);
        }
    }
    if !declared.is_empty() {
        plan.decide(
            NAME,
            Applicability::Safe,
            format!(
                "declares again the build arguments the final stage uses: {}",
                declared.join(", ")
            ),
        );
    }
}
