//! Thousands of randomly mutated real-world-shaped Dockerfiles: every
//! fixture, mutated the ways real files go wrong (a line lost, doubled or
//! moved, a stray character, a broken continuation, a cut-off end, odd
//! casing), each with its fixture's build context. Each must give either
//! a clear error (file and line) or an output that BuildKit's own parser
//! reads; never a panic. The seed is fixed, so a failure reproduces.

mod common;

use std::path::{Path, PathBuf};

use common::{migrated_groups, parse_oracle};
use msb::error::MsbError;
use msb::knowledge::Knowledge;
use msb::migrate::{Options, Status, context_for, migrate};
use msb::source::SourceFile;

/// xorshift64*: small, deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const FRAGMENTS: &[&str] = &[
    "RUN apt-get update && apt-get install -y libpq-dev",
    "RUN pip install -r requirements.txt",
    "COPY . .",
    "WORKDIR /srv/app",
    "USER 1000",
    "ENV PATH=/opt/bin:$PATH",
    "EXPOSE 80",
    "VOLUME [\"/data\"]",
    "CMD [\"./server\"]",
    "ENTRYPOINT [\"sh\", \"-c\", \"exec \\\"$@\\\"\"]",
    "HEALTHCHECK --interval=30s CMD wget -qO- localhost || exit 1",
    "ARG TAG=latest",
    "FROM alpine:3.19",
    "RUN <<EOF\necho hi\nEOF",
    "# syntax=docker/dockerfile:1",
    "  \\",
    "ONBUILD RUN echo",
    "SHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]",
];

fn mutate(text: &str, rng: &mut Rng) -> String {
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    for _ in 0..1 + rng.below(3) {
        let n = lines.len().max(1);
        match rng.below(9) {
            0 if !lines.is_empty() => {
                lines.remove(rng.below(n));
            }
            1 if !lines.is_empty() => {
                let l = lines[rng.below(n)].clone();
                lines.insert(rng.below(n), l);
            }
            2 if lines.len() > 1 => {
                let (a, b) = (rng.below(n), rng.below(n));
                lines.swap(a, b);
            }
            3 => {
                let f = FRAGMENTS[rng.below(FRAGMENTS.len())].to_string();
                lines.insert(rng.below(n + 1).min(lines.len()), f);
            }
            4 if !lines.is_empty() => {
                let i = rng.below(n);
                let mut chars: Vec<char> = lines[i].chars().collect();
                let stray =
                    ['"', '\\', '[', ']', '$', '{', '`', '\'', ' ', '#', '<'][rng.below(11)];
                chars.insert(rng.below(chars.len() + 1), stray);
                lines[i] = chars.into_iter().collect();
            }
            5 if !lines.is_empty() => {
                let i = rng.below(n);
                lines[i].push_str(" \\");
            }
            6 => {
                lines.truncate(rng.below(n + 1));
            }
            7 if !lines.is_empty() => {
                let i = rng.below(n);
                lines[i] = lines[i].to_lowercase();
            }
            _ if !lines.is_empty() => {
                let i = rng.below(n);
                let cut = rng.below(lines[i].len() + 1);
                let cut = (0..=cut)
                    .rev()
                    .find(|c| lines[i].is_char_boundary(*c))
                    .unwrap_or(0);
                lines[i].truncate(cut);
            }
            _ => {}
        }
    }
    let mut out = lines.join("\n");
    if rng.below(4) > 0 {
        out.push('\n');
    }
    out
}

#[test]
fn mutated_dockerfiles_give_a_clear_error_or_an_output_buildkit_reads() {
    let k = Knowledge::builtin().unwrap();
    let mut rng = Rng(0x5EED_CAFE_F00D_D00D);
    let dirs: Vec<PathBuf> = migrated_groups()
        .iter()
        .chain(&["skip".to_string()])
        .flat_map(|g| common::fixtures(g))
        .collect();
    let out_dir = tempfile::tempdir().unwrap();
    let mut outputs: Vec<(PathBuf, String)> = Vec::new();
    let (mut errors, mut migrated, mut left) = (0, 0, 0);
    for dir in &dirs {
        let path = dir.join("Dockerfile");
        let original = std::fs::read_to_string(&path).unwrap();
        let context = context_for(&path, None);
        for round in 0..8 {
            let text = mutate(&original, &mut rng);
            let name = format!(
                "{}-{}-{round}",
                dir.parent().unwrap().file_name().unwrap().to_string_lossy(),
                dir.file_name().unwrap().to_string_lossy()
            );
            let source = match SourceFile::from_bytes(Path::new(&name), text.clone().into_bytes()) {
                Ok(s) => s,
                Err(_) => {
                    errors += 1;
                    continue;
                }
            };
            for allow_unsafe in [false, true] {
                let opts = Options {
                    allow_unsafe,
                    ..Options::default()
                };
                match migrate(&source, &context, &k, &opts) {
                    Err(MsbError::Parse { line, reason, .. }) => {
                        assert!(line >= 1 && !reason.is_empty(), "{name}: {reason}");
                        errors += 1;
                    }
                    Err(e) => panic!("{name}: unexpected error kind: {e}"),
                    Ok(m) if m.status == Status::Migrated => {
                        migrated += 1;
                        let file = out_dir.path().join(format!("{name}-{allow_unsafe}"));
                        std::fs::write(&file, &m.output).unwrap();
                        outputs.push((file, text.clone()));
                    }
                    Ok(m) => {
                        assert_eq!(m.output, source.text, "{name}: a skipped file changed");
                        left += 1;
                    }
                }
            }
        }
    }
    eprintln!(
        "{} mutants x 2 modes: {migrated} migrated, {left} left alone, {errors} refused",
        dirs.len() * 8
    );
    assert!(dirs.len() * 8 >= 1000, "thousands of mutants");
    assert!(
        migrated >= 300,
        "enough mutants still migrate to test something"
    );
    let files: Vec<&Path> = outputs.iter().map(|(p, _)| p.as_path()).collect();
    let Some(verdicts) = parse_oracle(&files) else {
        return;
    };
    for (v, (file, input)) in verdicts.iter().zip(&outputs) {
        assert_eq!(
            v.parse_error,
            None,
            "BuildKit cannot parse msb's output for {}\n--- input\n{input}\n--- output\n{}",
            file.display(),
            std::fs::read_to_string(file).unwrap()
        );
    }
}
