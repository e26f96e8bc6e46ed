//! msb turns a single-stage Dockerfile into a multi-stage one.
//!
//! One direction of data flow: [`source`] reads bytes, [`parse`] builds a
//! lossless model, [`analyse`] infers the toolchain and the role of every
//! instruction, [`plan`] runs the [`passes`] that build the output stages,
//! [`render`] turns the plan into text, and [`diff`], [`write`] and
//! [`report`] deliver it. [`migrate`] runs one file through all of it;
//! [`verify`] builds both versions with the local [`engine`] and compares
//! the images.

pub mod analyse;
pub mod bulk;
pub mod ci;
pub mod cli;
pub mod closure;
pub mod config;
pub mod diff;
pub mod engine;
pub mod error;
pub mod explain;
pub mod generate;
pub mod git;
pub mod globs;
pub mod knowledge;
pub mod migrate;
pub mod observe;
pub mod parse;
pub mod passes;
pub mod plan;
pub mod render;
pub mod report;
pub mod source;
pub mod verify;
pub mod walk;
pub mod write;
