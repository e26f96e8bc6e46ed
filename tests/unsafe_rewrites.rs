//! Development runners with nothing packaged for them (`./mvnw
//! spring-boot:run`, `dotnet run` without a publish) are skipped by default
//! (see `fixtures/skip`); with `--unsafe`, msb adds the packaging step to
//! the builder and rewrites the command. Snapshots of those outputs, and
//! the same checks as the migrated fixtures: a second run changes nothing.

mod common;

use std::path::Path;

use msb::knowledge::Knowledge;
use msb::migrate::{Options, Status, context_for, migrate};
use msb::source::SourceFile;

fn unsafe_migration(case: &str) -> String {
    let k = Knowledge::builtin().unwrap();
    let path = common::root()
        .join("fixtures/skip")
        .join(case)
        .join("Dockerfile");
    let source = SourceFile::read(&path).unwrap();
    let context = context_for(&path, None);
    let safe = migrate(&source, &context, &k, &Options::default()).unwrap();
    assert_eq!(
        safe.status,
        Status::Skipped,
        "{case}: skipped without --unsafe"
    );
    assert!(safe.unsafe_available, "{case}: --unsafe is offered");
    let opts = Options {
        allow_unsafe: true,
        ..Options::default()
    };
    let m = migrate(&source, &context, &k, &opts).unwrap();
    assert_eq!(m.status, Status::Migrated, "{case}: {:?}", m.reason);
    let again = SourceFile::from_bytes(Path::new(&path), source.bytes_for(&m.output)).unwrap();
    let second = migrate(&again, &context, &k, &opts).unwrap();
    assert_eq!(second.output, m.output, "{case}: a second run changed it");
    m.output
}

#[test]
fn spring_boot_run_gets_a_package_step_and_java_jar() {
    insta::assert_snapshot!(unsafe_migration("java-spring-boot-run-no-package"));
}

#[test]
fn dotnet_run_gets_a_publish_step_and_dotnet_dll() {
    insta::assert_snapshot!(unsafe_migration("dotnet-run-without-publish"));
}
