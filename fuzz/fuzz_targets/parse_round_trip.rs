//! Any bytes: reading never panics; a text that parses renders back byte
//! for byte.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(source) =
        msb::source::SourceFile::from_bytes(std::path::Path::new("Dockerfile"), data.to_vec())
    else {
        return;
    };
    if let Ok(file) = msb::parse::parse(&source.text) {
        assert_eq!(file.render_unchanged(), source.text);
    }
});
