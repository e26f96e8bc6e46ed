pub mod error;
pub mod parse;
pub mod source;
