//! What a RUN runs with: the ARG defaults and ENVs before it, and the
//! user. npm's production settings, download folders and the build user's
//! home all depend on them.

use std::collections::BTreeMap;

use crate::analyse::Analysis;
use crate::parse::{Dockerfile, Keyword};

/// `NAME=value` pairs in effect for the RUN at `index`: what the image
/// sets (`images.toml`'s `env`: App Engine's NODE_ENV), then ARG defaults
/// and ENVs before it.
pub(super) fn env_before(
    file: &Dockerfile,
    a: &Analysis,
    index: usize,
) -> BTreeMap<String, String> {
    let mut env = a
        .builder
        .as_ref()
        .map(|b| b.env.clone())
        .unwrap_or_default();
    let start = file
        .instructions
        .iter()
        .position(|i| i.keyword == Keyword::From)
        .unwrap_or(0);
    for ins in &file.instructions[start..index] {
        match ins.keyword {
            Keyword::Env => {
                for (n, v) in crate::analyse::env_pairs(&ins.args) {
                    env.insert(n, v);
                }
            }
            Keyword::Arg => {
                let first = ins.args.split_whitespace().next().unwrap_or("");
                match first.split_once('=') {
                    Some((n, v)) => {
                        env.insert(n.to_string(), v.trim_matches('"').to_string());
                    }
                    None => {
                        if let Some(v) = a.global_args.get(first) {
                            env.insert(first.to_string(), v.clone());
                        }
                    }
                }
            }
            _ => {}
        }
    }
    env
}

/// The user a RUN at `index` runs as.
pub(super) fn user_at(file: &Dockerfile, index: usize) -> String {
    file.instructions[..index]
        .iter()
        .rev()
        .find(|i| i.keyword == Keyword::User)
        .map(|i| i.args.trim().to_string())
        .filter(|u| !crate::analyse::is_root_user(u))
        .unwrap_or_else(|| "root".to_string())
}
