//! Properties over generated Dockerfiles (proptest, a bounded number of
//! cases in the normal suite; the cargo-fuzz targets in `fuzz/` run the
//! same properties for as long as one likes):
//!
//! - whatever the text, parsing never panics, and a file that parses is
//!   rendered back byte for byte;
//! - the whole pipeline never panics, its output parses back, and msb
//!   leaves its own output as it is.

use msb::knowledge::Knowledge;
use msb::migrate::{Options, Status, migrate};
use msb::source::{BuildContext, SourceFile};
use proptest::prelude::*;
use std::path::Path;
use std::sync::OnceLock;

fn knowledge() -> &'static Knowledge {
    static K: OnceLock<Knowledge> = OnceLock::new();
    K.get_or_init(|| Knowledge::builtin().unwrap())
}

/// Lines of the kind real Dockerfiles are made of, with the oddities
/// msb must keep (continuations, comments inside them, heredocs, CRLF
/// added later, lowercase keywords).
fn line() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("FROM python:3.12".to_string()),
        Just("FROM golang:1.22-alpine AS build".to_string()),
        Just("FROM node:20".to_string()),
        Just("from rust:1.78-slim-bookworm".to_string()),
        Just("FROM maven:3.9-eclipse-temurin-17".to_string()),
        Just("ARG VERSION=1.0".to_string()),
        Just("WORKDIR /app".to_string()),
        Just("workdir /srv/$APP_DIR".to_string()),
        Just("COPY . .".to_string()),
        Just("COPY requirements.txt ./".to_string()),
        Just("COPY --chown=app:app src/ /app/src/".to_string()),
        Just("COPY [\"package.json\", \"package-lock.json\", \"./\"]".to_string()),
        Just("RUN pip install -r requirements.txt".to_string()),
        Just("RUN apt-get update && apt-get install -y libpq-dev gcc \\\n    && rm -rf /var/lib/apt/lists/*".to_string()),
        Just("RUN set -eux; \\\n    # a comment inside\n    go build -o /out/app ./cmd/app".to_string()),
        Just("RUN npm ci && npm run build".to_string()),
        Just("RUN cargo build --release".to_string()),
        Just("RUN mvn -B package -DskipTests".to_string()),
        Just("RUN <<EOF\nset -e\necho hi > /etc/motd\nEOF".to_string()),
        Just("RUN --mount=type=cache,target=/root/.cache pip install .".to_string()),
        Just("ENV PYTHONUNBUFFERED=1 PORT=8000".to_string()),
        Just("ENV LEGACY value with spaces".to_string()),
        Just("EXPOSE 8080".to_string()),
        Just("VOLUME /data".to_string()),
        Just("USER app".to_string()),
        Just("LABEL org.opencontainers.image.source=\"https://example.com\"".to_string()),
        Just("HEALTHCHECK CMD curl -f http://localhost:8080/ || exit 1".to_string()),
        Just("CMD [\"python\", \"app.py\"]".to_string()),
        Just("CMD gunicorn -b 0.0.0.0:$PORT app:app".to_string()),
        Just("ENTRYPOINT [\"/app/server\"]".to_string()),
        Just("# just a comment".to_string()),
        Just(String::new()),
        "[A-Za-z =/$\\-\\\\\"'\\[\\]{}.:]{0,40}",
    ]
}

fn dockerfile() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(line(), 1..25),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(lines, crlf, final_newline)| {
            let eol = if crlf { "\r\n" } else { "\n" };
            let mut text = lines.join("\n").replace('\n', eol);
            if final_newline {
                text.push_str(eol);
            }
            text
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn any_text_parses_or_is_refused_and_round_trips(text in "\\PC{0,300}") {
        if let Ok(file) = msb::parse::parse(&text) {
            prop_assert_eq!(file.render_unchanged(), text);
        }
    }

    #[test]
    fn generated_dockerfiles_round_trip(text in dockerfile()) {
        if let Ok(file) = msb::parse::parse(&text) {
            prop_assert_eq!(file.render_unchanged(), text);
        }
    }

    #[test]
    fn the_pipeline_never_panics_and_its_output_is_stable(text in dockerfile()) {
        let source = SourceFile::from_bytes(Path::new("Dockerfile"), text.clone().into_bytes());
        let Ok(source) = source else { return Ok(()); };
        let context = BuildContext::empty();
        for allow_unsafe in [false, true] {
            let opts = Options { allow_unsafe, ..Options::default() };
            let Ok(m) = migrate(&source, &context, knowledge(), &opts) else { continue; };
            if m.status != Status::Migrated {
                prop_assert_eq!(&m.output, &source.text);
                continue;
            }
            prop_assert!(msb::parse::parse(&m.output).is_ok(), "output does not parse:\n{}", m.output);
            let again = SourceFile::from_bytes(Path::new("Dockerfile"), source.bytes_for(&m.output)).unwrap();
            let second = migrate(&again, &context, knowledge(), &opts).unwrap();
            prop_assert_eq!(second.status, Status::Unchanged);
            prop_assert_eq!(second.output, m.output);
        }
    }
}
