//! `msb explain`: what msb infers and why, instruction by instruction.

use std::fmt::Write;

use crate::analyse::StepRole;
use crate::migrate::{Migration, Status};

fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or("").trim();
    let line = line.trim_end_matches('\\').trim_end();
    if line.len() > 60 {
        let mut end = 57;
        while !line.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}...", &line[..end])
    } else {
        line.to_string()
    }
}

fn role_name(role: StepRole) -> String {
    format!("{role:?}")
}

pub fn explain(path: &str, m: &Migration) -> String {
    let a = &m.analysis;
    let mut out = String::new();
    let _ = writeln!(out, "{path}");
    match &a.language {
        Some(l) => {
            let _ = writeln!(out, "  language: {} ({})", l.name, l.evidence.join("; "));
        }
        None => {
            let _ = writeln!(out, "  language: none recognised");
        }
    }
    if let Some(b) = &a.builder {
        let release = b
            .release
            .as_deref()
            .map(|r| format!(", {r}"))
            .unwrap_or_default();
        let size = b.size_mb.map(|s| format!(", ~{s} MB")).unwrap_or_default();
        let _ = writeln!(
            out,
            "  builder: {} ({:?}{release}{size})",
            b.written, b.family
        );
    }
    if let Some(go) = &a.go {
        let kind = if go.static_binary {
            "static"
        } else {
            "may link libc"
        };
        let _ = writeln!(out, "  binary: {kind}: {}", go.cgo_evidence);
    }
    if let Some(ruby) = &a.ruby {
        let _ = writeln!(out, "  gems: {} ({})", ruby.gems, ruby.why);
    }
    if let Some(rust) = &a.rust {
        let kind = match rust.linkage {
            crate::analyse::rust::Linkage::Glibc => "links glibc",
            crate::analyse::rust::Linkage::StaticMusl => "static (musl)",
            crate::analyse::rust::Linkage::DynamicMusl => "links musl",
        };
        let _ = writeln!(out, "  binary: {kind}: {}", rust.linkage_evidence);
    }
    if let Some(node) = &a.node {
        let manager = node.manager.map_or("no dependency install", |m| m.name());
        let major = node
            .node_major
            .map(|m| format!(", Node {m}"))
            .unwrap_or_default();
        let _ = writeln!(out, "  node: {manager} in {}{major}", node.app_dir);
        let _ = writeln!(out, "  dev dependencies: {}", node.dev_dependencies);
        let _ = writeln!(out, "  final stage gets: {}", node.layout_why);
    }
    let _ = writeln!(out, "  instructions:");
    for step in &a.steps {
        let ins = &m.file.instructions[step.index];
        let _ = writeln!(
            out,
            "    {:>4}  {:<60}  {:<13} {}",
            step.line,
            first_line(&ins.text),
            role_name(step.role),
            step.evidence
        );
    }
    if !a.artefacts.is_empty() {
        let _ = writeln!(out, "  artefacts:");
        for x in &a.artefacts {
            let dest = if x.from == x.to {
                String::new()
            } else {
                format!(" -> {}", x.to)
            };
            let _ = writeln!(out, "    {}{dest}  ({})", x.from, x.why);
        }
    }
    if !a.runtime.shell.is_empty() {
        let _ = writeln!(out, "  the runtime needs a shell:");
        for s in &a.runtime.shell {
            let _ = writeln!(out, "    {s}");
        }
    }
    if let Some(estimate) = &m.estimate {
        let _ = writeln!(out, "  estimated saving: ~{} MB", estimate.total_mb());
        for part in &estimate.parts {
            let _ = writeln!(out, "    {:+} MB  {}", part.mb, part.what);
        }
    }
    match m.status {
        Status::Skipped | Status::Unchanged => {
            let r = m.reason.as_ref().map(|r| r.reason.as_str()).unwrap_or("");
            let more = if m.unsafe_available {
                " (--unsafe migrates it anyway)"
            } else {
                ""
            };
            let _ = writeln!(out, "  verdict: skipped: {r}{more}");
        }
        Status::Migrated => {
            if let Some(plan) = &m.plan {
                if let Some(base) = &plan.runtime_base {
                    let _ = writeln!(out, "  runtime base: {} ({})", base.image, base.why);
                }
                let _ = writeln!(out, "  decisions:");
                for d in &plan.decisions {
                    let _ = writeln!(out, "    [{:?}] {}: {}", d.applicability, d.pass, d.summary);
                }
                for alt in &plan.unsafe_alternatives {
                    let _ = writeln!(out, "    [Unsafe, not applied] {alt}");
                }
            }
            let _ = writeln!(out, "  verdict: migrate");
        }
    }
    for w in &a.warnings {
        let _ = writeln!(out, "  warning: {w}");
    }
    out
}
