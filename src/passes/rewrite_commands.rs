//! Rewrite development runners in ENTRYPOINT/CMD to what they run.
//!
//! `cargo run --release`, `poetry run gunicorn ...`, `go run .` and
//! `mvn spring-boot:run` need the toolchain that the final stage leaves
//! behind. The language analysis names the program they end up running
//! (the binary `cargo build --release` made, the console script in the
//! virtualenv, the jar) and this pass writes the instruction with it,
//! keeping its form (JSON stays JSON) and its comments.
//!
//! Applicability: safe when the build already made what the new command
//! runs (a runner that would only have found it); unsafe when msb adds a
//! build step for it, because that step is msb's, not the user's.

use crate::plan::{Applicability, Item, PassInput, Plan};

pub const NAME: &str = "rewrite_commands";

pub fn run(input: &PassInput, plan: &mut Plan) {
    let a = input.analysis;
    if plan.runtime_base.is_none() {
        return;
    }
    for rewrite in &a.command_rewrites {
        let ins = &input.file.instructions[rewrite.index];
        // ENTRYPOINT/CMD, or a HEALTHCHECK of the contract.
        let Some(slot) = plan
            .runtime
            .command
            .iter_mut()
            .chain(plan.runtime.contract.iter_mut())
            .find(|item| matches!(item, Item::Keep(n) | Item::Carry(n) if *n == rewrite.index))
        else {
            continue;
        };
        let text = format!("{} {}", ins.spelling, rewrite.args);
        *slot = Item::Changed {
            index: rewrite.index,
            text: keep_line_end(&ins.text, &text),
        };
        let applicability = if rewrite.needs_unsafe {
            Applicability::Unsafe
        } else {
            Applicability::Safe
        };
        plan.decide(
            NAME,
            applicability,
            format!(
                "line {}: {} becomes {}: {}",
                ins.line,
                ins.keyword.as_str(),
                rewrite.args,
                rewrite.why
            ),
        );
    }
}

/// The new text with the old text's trailing blanks and line ending.
fn keep_line_end(old: &str, new: &str) -> String {
    let end = old.trim_end().len();
    format!("{new}{}", &old[end..])
}
