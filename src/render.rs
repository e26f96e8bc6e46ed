//! Turn a plan into text. Original instructions are written byte for
//! byte (comments, continuations, spelling); new ones in the file's
//! casing and line ending. The final-newline state of the file is kept.

use crate::parse::Dockerfile;
use crate::plan::{Item, Plan};
use crate::source::LineEnding;

fn push_line(out: &mut String, text: &str, eol: &str) {
    out.push_str(text);
    if !text.ends_with('\n') {
        out.push_str(eol);
    }
}

/// Comments before an instruction; in the runtime stage, without the
/// blank lines that spaced it out in the original file.
fn push_leading(out: &mut String, leading: &str, compact: bool) {
    if !compact {
        out.push_str(leading);
        return;
    }
    for line in leading.split_inclusive('\n') {
        if !line.trim().is_empty() {
            out.push_str(line);
        }
    }
}

fn push_item(out: &mut String, item: &Item, file: &Dockerfile, eol: &str, compact: bool) {
    match item {
        Item::Keep(i) => {
            let ins = &file.instructions[*i];
            push_leading(out, &ins.leading, compact);
            push_line(out, &ins.text, eol);
        }
        Item::Carry(i) => push_line(out, &file.instructions[*i].text, eol),
        Item::Changed { index, text } => {
            push_leading(out, &file.instructions[*index].leading, compact);
            push_line(out, text, eol);
        }
        Item::New(text) => {
            let text = if eol == "\n" {
                text.clone()
            } else {
                text.replace('\n', eol)
            };
            push_line(out, &text, eol);
        }
    }
}

pub fn render(
    file: &Dockerfile,
    plan: &Plan,
    line_ending: LineEnding,
    final_newline: bool,
) -> String {
    let eol = line_ending.as_str();
    let mut out = String::new();
    for item in &plan.builder {
        push_item(&mut out, item, file, eol, false);
    }
    out.push_str(eol);
    for item in plan.runtime.items() {
        push_item(&mut out, item, file, eol, true);
    }
    out.push_str(&file.trailer);
    if !final_newline {
        while let Some(stripped) = out.strip_suffix(eol) {
            out.truncate(stripped.len());
        }
    }
    out
}
