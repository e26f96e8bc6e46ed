//! Any bytes through the whole pipeline, safe and unsafe: no panic; a
//! migration parses back, and msb leaves its own output as it is.
#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use msb::knowledge::Knowledge;
use msb::migrate::{Options, Status, migrate};
use msb::source::{BuildContext, SourceFile};

fn knowledge() -> &'static Knowledge {
    static K: OnceLock<Knowledge> = OnceLock::new();
    K.get_or_init(|| Knowledge::builtin().expect("built-in packs"))
}

fuzz_target!(|data: &[u8]| {
    let Ok(source) = SourceFile::from_bytes(Path::new("Dockerfile"), data.to_vec()) else {
        return;
    };
    let context = BuildContext::empty();
    for allow_unsafe in [false, true] {
        let opts = Options {
            allow_unsafe,
            ..Options::default()
        };
        let Ok(m) = migrate(&source, &context, knowledge(), &opts) else {
            continue;
        };
        if m.status != Status::Migrated {
            assert_eq!(m.output, source.text);
            continue;
        }
        assert!(
            msb::parse::parse(&m.output).is_ok(),
            "output does not parse"
        );
        let again = SourceFile::from_bytes(Path::new("Dockerfile"), source.bytes_for(&m.output))
            .expect("msb's output is UTF-8");
        let second = migrate(&again, &context, knowledge(), &opts).expect("output migrates");
        assert_eq!(
            second.status,
            Status::Unchanged,
            "msb migrated its own output"
        );
        assert_eq!(second.output, m.output);
    }
});
