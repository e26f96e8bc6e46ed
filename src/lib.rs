//! msb turns a single-stage Dockerfile into a multi-stage one.
//!
//! One direction of data flow: [`source`] reads bytes, [`parse`] builds a
//! lossless model, [`analyse`] infers the toolchain and the role of every
//! instruction, [`plan`] runs the [`passes`] that build the output stages,
//! [`render`] turns the plan into text, and the CLI diffs or writes it.

pub mod analyse;
pub mod error;
pub mod knowledge;
pub mod parse;
pub mod source;
