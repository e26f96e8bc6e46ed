//! The builder image, as far as the final stage depends on it: a family
//! msb knows (Debian or Alpine) and, for the rust image, a Debian release
//! named in its tag, so the final stage can match its libc; the folders its
//! PATH finds programs in; and a Debian release past its end of life, which
//! the mirrors no longer serve.

use crate::analyse::image::BaseImage;
use crate::analyse::packages::{self, PackageOp};
use crate::analyse::{Analysis, absolute};
use crate::knowledge::{CargoKnowledge, Family, Knowledge};

/// Whether msb can tell the builder's libc and Debian release; blocks the
/// file at the FROM line when not.
pub(super) fn known_builder(
    builder: &BaseImage,
    rust_image: bool,
    from: usize,
    a: &mut Analysis,
) -> bool {
    match builder.family {
        Family::Debian | Family::Alpine => {}
        _ => {
            a.block(
                from,
                format!(
                    "{} is an image msb knows nothing about: cannot tell its libc or Debian release for the final stage",
                    builder.written
                ),
            );
            return false;
        }
    }
    if builder.family == Family::Debian && builder.release.is_none() && rust_image {
        a.block(
            from,
            format!(
                "{} was published on more than one Debian release: name the release in the tag (for example {}-bookworm) so the final stage can match its glibc",
                builder.written,
                builder.resolved
            ),
        );
        return false;
    }
    true
}

/// The folders the builder finds programs in: the runtime's default PATH,
/// CARGO_HOME/bin of the rust image, and what ENV PATH adds.
pub(super) fn builder_path(
    a: &Analysis,
    cargo: &CargoKnowledge,
    image: &str,
    k: &Knowledge,
) -> Vec<String> {
    let mut dirs = k.images.runtime_path.clone();
    if let Some(home) = a
        .env
        .get("CARGO_HOME")
        .or_else(|| cargo.image_cargo_home.get(image))
    {
        dirs.push(absolute(home, "bin"));
    }
    if let Some(path) = a.env.get("PATH") {
        dirs.extend(
            path.split(':')
                .filter(|d| d.starts_with('/'))
                .map(String::from),
        );
    }
    dirs
}

/// A Debian release past its end of life is no longer on the mirrors, so
/// `apt-get` in the final stage fails unless the file already depends on
/// apt working there (its own apt-get lines).
pub(super) fn archived_release(a: &mut Analysis, image: &str, release: &str, line: usize) {
    let uses_apt = a.run_commands.iter().any(|rc| {
        matches!(
            packages::read(&rc.command),
            Some(PackageOp::Install {
                family: Family::Debian,
                ..
            })
        )
    });
    if !uses_apt && !a.runtime_packages.is_empty() {
        let names: Vec<&str> = a.runtime_packages.iter().map(|p| p.name.as_str()).collect();
        a.block(
            line,
            format!(
                "{image} is Debian {release}, which the Debian mirrors no longer serve: the final stage could not apt-get install {}",
                names.join(", ")
            ),
        );
        return;
    }
    let apt = if uses_apt {
        ", and apt-get in either stage needs archive.debian.org in its sources"
    } else {
        ""
    };
    a.warnings.push(format!(
        "{image} is Debian {release}, past its end of life: debian:{release}-slim gets no security updates{apt}; move both stages to a supported release"
    ));
}
