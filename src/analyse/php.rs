//! PHP with Composer on the official php images. The final stage starts
//! from the builder's own image and tag (the extensions were compiled for
//! that PHP build) and gets the compiled extensions with their ini files,
//! the configuration the build changed, and the app with vendor/. Composer,
//! git, unzip and the `-dev` headers stay in the builder; the runtime
//! libraries of those headers are installed (`packages.toml`). It runs as
//! the image's www-data user, except Apache, which binds port 80.

use std::collections::BTreeMap;

use crate::analyse::{Analysis, RunCommand, RuntimeChoice, from_line, interpreted};
use crate::knowledge::{Knowledge, LanguagePack, PhpImageDir, PhpKnowledge};
use crate::parse::{Dockerfile, Keyword};
use crate::source::BuildContext;

/// Whether `text` names `path` itself (not `/usr/local/etc/php-fpm.d` for
/// `/usr/local/etc/php`): the next character ends a path component.
fn mentions_path(text: &str, path: &str) -> bool {
    text.match_indices(path).any(|(at, _)| {
        text[at + path.len()..]
            .chars()
            .next()
            .is_none_or(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    })
}

/// Whether `text` uses the variable `name` (`$NAME`, `${NAME}`).
fn mentions_variable(text: &str, name: &str) -> bool {
    text.contains(&format!("${{{name}}}"))
        || text.match_indices(&format!("${name}")).any(|(at, _)| {
            text[at + 1 + name.len()..]
                .chars()
                .next()
                .is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_'))
        })
}

/// A command that starts with one of the prefixes (`pecl install`).
fn runs_any(rc: &RunCommand, prefixes: &[String]) -> Option<String> {
    prefixes
        .iter()
        .find(|p| crate::analyse::starts_with_words(&rc.command, p))
        .cloned()
}

/// The first instruction that changes an image folder, and how.
fn changes_dir(file: &Dockerfile, a: &Analysis, dir: &PhpImageDir) -> Option<(usize, String)> {
    let by_program = a.run_commands.iter().find_map(|rc| {
        runs_any(rc, &dir.programs).map(|p| {
            (
                file.instructions[rc.index].line,
                format!("{p} writes there"),
            )
        })
    });
    let by_name = file.instructions.iter().find_map(|ins| {
        let changes = matches!(ins.keyword, Keyword::Run | Keyword::Copy | Keyword::Add)
            && (mentions_path(&ins.args, &dir.path)
                || dir.env.iter().any(|v| mentions_variable(&ins.args, v)));
        changes.then(|| {
            let what = if ins.keyword == Keyword::Run {
                "a RUN changes it"
            } else {
                "a COPY writes there"
            };
            (ins.line, what.to_string())
        })
    });
    match (by_program, by_name) {
        (Some(p), Some(n)) => Some(if n.0 < p.0 { n } else { p }),
        (p, n) => p.or(n),
    }
}

/// The Composer installer: getcomposer.org's `installer` fetched with curl
/// or wget and run by `php` (piped, or saved as composer-setup.php), or the
/// phar downloaded. It installs Composer, a build tool, where
/// `--install-dir` says; the final stage does not need it.
pub fn is_composer_setup(c: &crate::analyse::shell::Command) -> bool {
    let mentions = |needle: &str| c.words.iter().any(|w| w.contains(needle));
    match c.program() {
        "curl" | "wget" => mentions("getcomposer.org/"),
        "php" => {
            let first = c.args().first().map(String::as_str);
            let installer_options = c
                .args()
                .iter()
                .any(|x| x.starts_with("--install-dir") || x.starts_with("--filename"));
            (first == Some("--") && installer_options)
                || first.is_some_and(|f| f.ends_with("composer-setup.php"))
                || (first == Some("-r") && mentions("composer-setup.php"))
        }
        _ => false,
    }
}

/// Only an official php image says which PHP build the extensions were
/// compiled for, or a plain distribution image whose packages are PHP
/// and its extensions (`same_base.rs`).
fn php_image(
    file: &Dockerfile,
    pack: &LanguagePack,
    pk: &PhpKnowledge,
    k: &Knowledge,
    a: &mut Analysis,
) -> bool {
    let Some(b) = a.builder.clone() else {
        return false;
    };
    let line = from_line(file);
    if pk.unversioned_images.contains(&b.base_name) {
        a.block(
            line,
            format!(
                "{} ships the newest PHP whatever its tag says: msb cannot name a php image with the same PHP for the final stage",
                b.written
            ),
        );
        return false;
    }
    if !pack.detect.images.contains(&b.base_name) {
        match crate::analyse::same_base::check(file, pack, k, a) {
            crate::analyse::same_base::Outcome::Applies => return true,
            crate::analyse::same_base::Outcome::Blocked => return false,
            crate::analyse::same_base::Outcome::NotPlain => {}
        }
        a.block(
            line,
            format!(
                "{} is not a php image: msb cannot tell which image has the PHP build the extensions need",
                b.written
            ),
        );
        return false;
    }
    true
}

pub fn analyse(
    file: &Dockerfile,
    context: &BuildContext,
    pack: &LanguagePack,
    k: &Knowledge,
    a: &mut Analysis,
) {
    let Some(pk) = pack.php.as_ref() else {
        return;
    };
    if !php_image(file, pack, pk, k, a) {
        return;
    }
    let Some(b) = a.builder.clone() else {
        return;
    };
    if a.same_base.is_some() {
        distro_php(file, context, pk, a);
        return;
    }
    interpreted::rebase_before_workdir(file, a, &pk.image_workdir);
    let commands = a.run_commands.clone();
    for rc in &commands {
        let program = rc.command.program();
        if pk.self_managing_installers.iter().any(|p| p == program) {
            a.block(
                file.instructions[rc.index].line,
                format!(
                    "`{program}` installs and removes the system libraries of the extensions itself: msb cannot tell which runtime libraries the final stage needs"
                ),
            );
            return;
        }
    }

    // Apache binds port 80 as root and then serves as www-data; run as
    // www-data from the start, it needs the container runtime to allow
    // unprivileged ports, which Kubernetes does not by default. A file
    // that already switches to its own non-root user keeps it: nothing
    // changes for Apache then.
    let apache = b
        .tag
        .split('-')
        .any(|part| pk.privileged_port_variants.iter().any(|v| v == part));
    let own_user = a
        .final_user
        .is_some_and(|i| !crate::analyse::is_root_user(&file.instructions[i].args));
    if apache && !own_user {
        // The shared check of ports has nothing to add.
        a.block_privileged_port(
            from_line(file),
            format!(
                "{} runs Apache on port 80 as root: as the non-root www-data it can bind port 80 only where the container runtime allows unprivileged ports (Docker 20.10+ does, Kubernetes does not by default), and msb does not change the port",
                b.written
            ),
        );
    }

    // The image's folders the build changed, before the app (a COPY into
    // one of them then comes with it).
    let mut image_env: BTreeMap<String, String> = BTreeMap::new();
    for dir in &pk.image_dirs {
        for name in &dir.env {
            image_env.insert(name.clone(), dir.path.clone());
        }
        if let Some((line, how)) = changes_dir(file, a, dir) {
            a.add_artefact(
                line,
                &dir.path,
                &dir.path,
                format!("line {line}: {} ({how})", dir.why),
                false,
            );
        }
    }

    app_files(
        file,
        context,
        pk,
        &commands,
        &image_env,
        Some(&pk.image_workdir),
        a,
    );

    let mut vars = BTreeMap::new();
    vars.insert("tag".to_string(), b.tag.clone());
    a.runtime_choice = Some(RuntimeChoice {
        key: "same".into(),
        vars,
        why: String::new(),
    });
}

/// PHP from a plain distribution's packages, on the same image: the app
/// folder (vendor/ in it) is the app; the extensions are packages, kept.
/// An extension `pecl` builds lands among the distribution's PHP files,
/// which msb does not copy.
fn distro_php(file: &Dockerfile, context: &BuildContext, pk: &PhpKnowledge, a: &mut Analysis) {
    let commands = a.run_commands.clone();
    for rc in &commands {
        let program = rc.command.program();
        if program == "pecl" || program == "phpize" {
            a.block(
                file.instructions[rc.index].line,
                format!(
                    "`{program}` builds an extension into the distribution's own PHP folders: msb cannot copy it without the rest of the system"
                ),
            );
            return;
        }
    }
    app_files(file, context, pk, &commands, &BTreeMap::new(), None, a);
}

/// What the final stage takes of the app, on an official PHP image
/// (`image_workdir`, its variables in `image_env`) or a distribution's
/// (neither): the app folders and what the build made, a word on
/// Composer's dev dependencies, and the build tools (and node_modules)
/// left in the builder when only Composer and the build use them.
fn app_files(
    file: &Dockerfile,
    context: &BuildContext,
    pk: &PhpKnowledge,
    commands: &[RunCommand],
    image_env: &BTreeMap<String, String>,
    image_workdir: Option<&str>,
    a: &mut Analysis,
) {
    interpreted::app_folders(file, context, a, image_env, image_workdir, false);
    interpreted::build_outputs(file, a, image_workdir);
    composer_dev_dependencies(file, context, commands, a);
    if interpreted::leave_build_tools(
        file,
        context,
        a,
        &pk.build_only_packages,
        &pk.build_only_programs,
        "only Composer and the build use them",
    ) {
        interpreted::remove_node_modules(file, a, image_workdir);
    }
}

/// `composer install` without `--no-dev` puts require-dev (phpunit...) in
/// vendor/, which the final stage copies with the app. msb does not add a
/// second install (it would run the package scripts again): it says so.
fn composer_dev_dependencies(
    file: &Dockerfile,
    context: &BuildContext,
    commands: &[RunCommand],
    a: &mut Analysis,
) {
    let no_dev_env = a
        .env
        .get("COMPOSER_NO_DEV")
        .is_some_and(|v| v == "1" || v == "true");
    let Some(install) = commands.iter().find(|rc| {
        rc.command.starts_with(&["composer", "install"])
            && !rc.command.args().iter().any(|x| x == "--no-dev")
    }) else {
        return;
    };
    if no_dev_env {
        return;
    }
    let manifest = a
        .copies
        .iter()
        .flat_map(|c| c.sources.iter())
        .find(|s| crate::analyse::basename(s.trim_start_matches("./")) == "composer.json")
        .map(|s| s.trim_start_matches("./").to_string())
        .unwrap_or_else(|| "composer.json".into());
    let dev: Vec<String> = context
        .read_small(&manifest)
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .and_then(|json| {
            json.get("require-dev")
                .and_then(|d| d.as_object())
                .map(|d| d.keys().cloned().collect())
        })
        .unwrap_or_default();
    if dev.is_empty() {
        return;
    }
    let line = file.instructions[install.index].line;
    a.warnings.push(format!(
        "line {line}: composer install without --no-dev: the dev dependencies of {manifest} ({}) reach the final stage with vendor/; add --no-dev to leave them out",
        dev.join(", ")
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn composer_installers() {
        let c = |s: &str| crate::analyse::shell::commands(s);
        let piped = c(
            "curl -sS https://getcomposer.org/installer | php -- --install-dir=/usr/local/bin --filename=composer",
        );
        assert!(piped.iter().all(is_composer_setup));
        let docs = c(
            "php -r \"copy('https://getcomposer.org/installer', 'composer-setup.php');\" && php composer-setup.php --install-dir=/usr/bin && php -r \"unlink('composer-setup.php');\"",
        );
        assert!(docs.iter().all(is_composer_setup));
        assert!(!is_composer_setup(
            &c("curl -fsSL https://example.com/x.sh")[0]
        ));
        assert!(!is_composer_setup(&c("php artisan migrate")[0]));
        assert!(!is_composer_setup(&c("php -r \"echo 1;\"")[0]));
    }

    #[test]
    fn path_mentions() {
        assert!(mentions_path(
            "cp x /usr/local/etc/php/conf.d/",
            "/usr/local/etc/php"
        ));
        assert!(mentions_path(
            "echo >> /usr/local/etc/php",
            "/usr/local/etc/php"
        ));
        assert!(!mentions_path(
            "cp x /usr/local/etc/php-fpm.d/www.conf",
            "/usr/local/etc/php"
        ));
        assert!(mentions_variable(
            "mv \"$PHP_INI_DIR/php.ini-production\"",
            "PHP_INI_DIR"
        ));
        assert!(mentions_variable(
            "cp a ${PHP_INI_DIR}/conf.d",
            "PHP_INI_DIR"
        ));
        assert!(!mentions_variable("echo $PHP_INI_DIRS", "PHP_INI_DIR"));
    }
}
