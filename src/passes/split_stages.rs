//! Split the file into a builder stage and a runtime stage.
//!
//! The builder is the user's file as written, with `AS builder` added to
//! its FROM (in the FROM's own casing, as BuildKit's FromAsCasing check
//! wants). Instructions that only configure the image and never change
//! what RUN produces (CMD, ENTRYPOINT, EXPOSE, HEALTHCHECK, STOPSIGNAL,
//! LABEL, MAINTAINER, ONBUILD) move to the runtime stage with their
//! comments; so do ENV, WORKDIR, USER, SHELL and VOLUME after the last
//! build step. Earlier ones stay, because the build may depend on them,
//! and are repeated in the runtime stage by `runtime_contract`.
//!
//! Applicability: safe. No build step is dropped or reordered.

use crate::parse::Keyword;
use crate::plan::{Applicability, Item, PassInput, Plan};

pub const NAME: &str = "split_stages";

/// Keywords that never affect what a RUN or COPY produces.
pub fn is_image_config_only(k: Keyword) -> bool {
    matches!(
        k,
        Keyword::Cmd
            | Keyword::Entrypoint
            | Keyword::Expose
            | Keyword::Healthcheck
            | Keyword::Stopsignal
            | Keyword::Label
            | Keyword::Maintainer
            | Keyword::Onbuild
    )
}

pub fn run(input: &PassInput, plan: &mut Plan) {
    let a = input.analysis;
    plan.builder_name = a
        .builder_stage_name
        .clone()
        .unwrap_or_else(|| "builder".to_string());
    for (index, ins) in input.file.instructions.iter().enumerate() {
        let after_build = index > a.last_build_index;
        let moves = is_image_config_only(ins.keyword)
            || after_build
                && matches!(
                    ins.keyword,
                    Keyword::Env
                        | Keyword::Workdir
                        | Keyword::User
                        | Keyword::Shell
                        | Keyword::Volume
                );
        if moves {
            plan.moved.push(index);
        } else if ins.keyword == Keyword::From && a.builder_stage_name.is_none() {
            let as_word = if ins.spelling.chars().all(|c| c.is_ascii_lowercase()) {
                "as"
            } else {
                "AS"
            };
            plan.builder.push(Item::Changed {
                index,
                text: append_to_instruction(
                    &ins.text,
                    &format!(" {as_word} {}", plan.builder_name),
                ),
            });
        } else {
            plan.builder.push(Item::Keep(index));
        }
    }
    plan.decide(
        NAME,
        Applicability::Safe,
        format!(
            "the original build becomes stage `{}`; a new final stage runs the app",
            plan.builder_name
        ),
    );
}

/// Insert `suffix` after the last non-blank character of an instruction's
/// text, keeping trailing blanks and the line ending where they were.
pub fn append_to_instruction(text: &str, suffix: &str) -> String {
    let end = text.trim_end().len();
    format!("{}{}{}", &text[..end], suffix, &text[end..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_before_line_ending() {
        assert_eq!(
            append_to_instruction("FROM a  \r\n", " AS b"),
            "FROM a AS b  \r\n"
        );
        assert_eq!(append_to_instruction("FROM a", " AS b"), "FROM a AS b");
    }
}
