//! Typed errors of the library. The CLI turns them into
//! `msb: PATH:LINE: reason` lines and exit code 2.

use std::path::PathBuf;

/// Why a Dockerfile could not be read or parsed.
#[derive(Debug, thiserror::Error)]
pub enum MsbError {
    /// The file could not be read (missing, a directory, no permission...).
    #[error("{path}: {reason}")]
    Io { path: PathBuf, reason: String },

    /// The bytes are not UTF-8; `line` is where the first bad byte is.
    #[error("{path}:{line}: not valid UTF-8 (byte offset {offset})")]
    NotUtf8 {
        path: PathBuf,
        line: usize,
        offset: usize,
    },

    /// The text is not a Dockerfile BuildKit would accept.
    #[error("{path}:{line}: {reason}")]
    Parse {
        path: PathBuf,
        line: usize,
        reason: String,
    },

    /// A knowledge pack (`transforms/*.toml`) is malformed.
    #[error("{pack}: {reason}")]
    Pack { pack: String, reason: String },

    /// A configuration file (`msb.toml`) is malformed.
    #[error("{path}:{line}: {reason}")]
    Config {
        path: PathBuf,
        line: usize,
        reason: String,
    },
}

impl MsbError {
    /// The reason alone, without the path and line.
    pub fn reason(&self) -> String {
        match self {
            MsbError::Io { reason, .. }
            | MsbError::Parse { reason, .. }
            | MsbError::Pack { reason, .. }
            | MsbError::Config { reason, .. } => reason.clone(),
            MsbError::NotUtf8 { offset, .. } => format!("not valid UTF-8 (byte offset {offset})"),
        }
    }
}

/// A parse error before the file's path is known; `source` adds the path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub line: usize,
    pub reason: String,
}

impl SyntaxError {
    pub fn new(line: usize, reason: impl Into<String>) -> Self {
        SyntaxError {
            line,
            reason: reason.into(),
        }
    }

    pub fn at(self, path: impl Into<PathBuf>) -> MsbError {
        MsbError::Parse {
            path: path.into(),
            line: self.line,
            reason: self.reason,
        }
    }
}
