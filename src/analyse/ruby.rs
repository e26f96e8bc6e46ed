//! Ruby with Bundler: where the gems go (the image's GEM_HOME, or the
//! folder `BUNDLE_PATH` / `bundle config set path` names), which bundler
//! settings the app still reads when it starts, which system libraries the
//! native gems load at run time, and which build-only tools (Node for the
//! asset pipeline) stay in the builder.

use std::collections::BTreeMap;

use crate::analyse::image::expand_known;
use crate::analyse::packages::RuntimePackage;
use crate::analyse::shell::Command;
use crate::analyse::{Analysis, absolute, interpreted, same_base};
use crate::knowledge::{Family, GemLibs, Knowledge, LanguagePack, RubyKnowledge};
use crate::parse::Dockerfile;
use crate::source::BuildContext;

/// `bundle exec X ...` runs X: the pack's build prefixes are matched on X.
pub fn is_build(pack: &LanguagePack, c: &Command) -> bool {
    let Some(inner) = without_bundle_exec(c) else {
        return false;
    };
    pack.steps
        .build
        .iter()
        .any(|p| crate::analyse::starts_with_words(&inner, p))
}

fn without_bundle_exec(c: &Command) -> Option<Command> {
    let is_bundle = matches!(c.program(), "bundle" | "bundler");
    if !is_bundle || c.args().first().map(String::as_str) != Some("exec") {
        return None;
    }
    Some(Command {
        env: c.env.clone(),
        words: c.args()[1..].to_vec(),
        writes: c.writes.clone(),
        braces: c.braces,
    })
}

/// `bundle install` flags Bundler 2 saves in the local config
/// (BUNDLE_APP_CONFIG) for later commands.
const REMEMBERED_INSTALL_FLAGS: &[&str] = &[
    "without",
    "with",
    "path",
    "deployment",
    "frozen",
    "binstubs",
    "clean",
    "shebang",
    "system",
    "no-prune",
    "standalone",
];

/// Where the gems are, for `explain`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RubyFacts {
    pub gems: String,
    pub why: String,
}

/// A `bundle config` setting: `bundle config set --local without 'a b'`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Setting {
    name: String,
    value: String,
    /// `--local`: saved in $BUNDLE_APP_CONFIG, which the final stage copies.
    local: bool,
}

/// Read `bundle config [set] [--local|--global] NAME VALUE...`; None for
/// get, list, unset and the like.
fn read_config(args: &[String]) -> Option<Setting> {
    let mut local = false;
    let mut words: Vec<&str> = Vec::new();
    for (i, arg) in args.iter().enumerate() {
        match arg.as_str() {
            "set" if i == 0 => {}
            "get" | "list" | "unset" | "--delete" if i == 0 => return None,
            "--local" => local = true,
            "--global" => local = false,
            flag if flag.starts_with('-') => {}
            word => words.push(word),
        }
    }
    let (name, values) = words.split_first()?;
    if values.is_empty() {
        return None;
    }
    Some(Setting {
        name: name.to_string(),
        value: values.join(" "),
        local,
    })
}

/// `BUNDLE_WITHOUT` for `without`, `BUNDLE_PATH__SYSTEM` for `path.system`.
fn setting_env_name(name: &str) -> String {
    format!("BUNDLE_{}", name.to_ascii_uppercase().replace('.', "__"))
}

/// Group lists are stored colon-separated (`development:test`).
fn setting_env_value(name: &str, value: &str) -> String {
    if matches!(name, "without" | "with" | "only") {
        value
            .split([' ', ':'])
            .filter(|g| !g.is_empty())
            .collect::<Vec<_>>()
            .join(":")
    } else {
        value.to_string()
    }
}

/// Whether a version as written in Gemfile.lock (`1.7.3`, `1.7.3-x86_64-linux`)
/// is at least `min`; pre-release parts (`.rc1`) end the comparison.
fn version_at_least(version: &str, min: &str) -> bool {
    let numbers = |v: &str| -> Vec<u64> {
        v.split('.')
            .map_while(|part| part.parse::<u64>().ok())
            .collect()
    };
    let plain = version.split('-').next().unwrap_or(version);
    let (have, want) = (numbers(plain), numbers(min));
    for i in 0..have.len().max(want.len()) {
        let (h, w) = (
            have.get(i).copied().unwrap_or(0),
            want.get(i).copied().unwrap_or(0),
        );
        if h != w {
            return h > w;
        }
    }
    true
}

/// The gems Gemfile.lock resolved, each with the versions it lists
/// (one per platform: `pg (1.6.1)` and `pg (1.6.1-x86_64-linux)`).
fn lock_gems(text: &str) -> BTreeMap<String, Vec<String>> {
    let mut gems: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut in_specs = false;
    for line in text.lines() {
        if !line.starts_with(' ') {
            in_specs = false;
            continue;
        }
        if line.trim() == "specs:" {
            in_specs = true;
            continue;
        }
        // Gems sit four spaces in; their dependencies six.
        let Some(entry) = line.strip_prefix("    ") else {
            continue;
        };
        if !in_specs || entry.starts_with(' ') {
            continue;
        }
        if let Some((name, rest)) = entry.split_once(" (") {
            let version = rest.trim_end_matches(')').to_string();
            gems.entry(name.to_string()).or_default().push(version);
        }
    }
    gems
}

/// The gems a Gemfile names (`gem "pg", "~> 1.5"`), versions unknown.
fn gemfile_gems(text: &str) -> BTreeMap<String, Vec<String>> {
    let mut gems = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        let Some(rest) = line.strip_prefix("gem ") else {
            continue;
        };
        let name: String = rest
            .trim()
            .trim_start_matches(['"', '\''])
            .chars()
            .take_while(|c| !matches!(c, '"' | '\'' | ',' | ' '))
            .collect();
        if !name.is_empty() {
            gems.insert(name, Vec::new());
        }
    }
    gems
}

/// Whether every version the lock lists carries its own library.
fn bundles_library(libs: &GemLibs, versions: &[String]) -> bool {
    !versions.is_empty()
        && versions.iter().all(|v| {
            let platform_gem = v.contains('-');
            libs.bundled_since
                .as_deref()
                .is_some_and(|min| version_at_least(v, min))
                || (platform_gem && libs.native_gems_bundle)
        })
}

/// Whether a gem that carries its own copy of its library unless told
/// otherwise (nokogiri) is built against the system's: `bundle config
/// build.nokogiri --use-system-libraries`, `BUNDLE_BUILD__NOKOGIRI`, `gem
/// install nokogiri -- --use-system-libraries`, `NOKOGIRI_USE_SYSTEM_LIBRARIES`.
/// A gem without such an option always loads the system's.
fn uses_system_libraries(a: &Analysis, gem: &str, libs: &GemLibs) -> bool {
    let Some(option) = libs.system_libraries_option.as_deref() else {
        return true;
    };
    if libs
        .system_libraries_env
        .as_ref()
        .is_some_and(|v| a.env.contains_key(v))
    {
        return true;
    }
    let env_name = format!(
        "BUNDLE_BUILD__{}",
        gem.to_ascii_uppercase().replace('-', "_")
    );
    if a.env.get(&env_name).is_some_and(|v| v.contains(option)) {
        return true;
    }
    a.run_commands.iter().any(|rc| {
        let c = &rc.command;
        let has_option = c.args().iter().any(|x| x.contains(option));
        let names_gem = |w: &str| w == gem || w == format!("build.{gem}");
        match c.program() {
            "bundle" | "bundler" => {
                c.args().first().is_some_and(|x| x == "config")
                    && c.args().iter().any(|x| names_gem(x))
                    && has_option
            }
            "gem" => {
                c.args().first().is_some_and(|x| x == "install")
                    && c.args().iter().any(|x| names_gem(x))
                    && has_option
            }
            _ => false,
        }
    })
}

/// The context path of a file a COPY brought in under this name
/// (`COPY api/Gemfile.lock ./`), else the file at the context root.
fn context_file(a: &Analysis, name: &str) -> String {
    a.copies
        .iter()
        .flat_map(|c| c.sources.iter())
        .find(|s| crate::analyse::basename(s.trim_start_matches("./")) == name)
        .map(|s| s.trim_start_matches("./").to_string())
        .unwrap_or_else(|| name.to_string())
}

pub fn analyse(
    file: &Dockerfile,
    context: &BuildContext,
    pack: &LanguagePack,
    k: &Knowledge,
    a: &mut Analysis,
) {
    let Some(rk) = pack.ruby.as_ref() else {
        return;
    };
    if !crate::analyse::require_language_image(file, pack, k, a, "Ruby", "Ruby") {
        return;
    }
    let bundle = Bundle::read(file, rk, a);
    let gems = GemFolders::of(&bundle, pack, a);
    if let Some(line) = bundle.first_install {
        a.ruby = Some(RubyFacts {
            gems: gems
                .gem_dir
                .clone()
                .or_else(|| gems.gem_home.clone())
                .or_else(|| {
                    a.same_base
                        .as_ref()
                        .and_then(|s| s.install_dirs.first().cloned())
                })
                .unwrap_or_default(),
            why: gems.source.clone(),
        });
        if let Some(gem_home) = &gems.gem_home {
            a.add_artefact(
                line,
                gem_home,
                gem_home,
                format!(
                    "line {line}: GEM_HOME: the gems, their executables and bundler's local settings"
                ),
                false,
            );
        }
        // The distribution's own gem folder (/var/lib/gems) and the folder
        // of their executables (/usr/local/bin).
        if gems.gem_home.is_none()
            && (bundle.gem_installs || gems.gem_dir.is_none())
            && !same_base::copy_install_dirs(a, line, "gem")
        {
            return;
        }
    }
    interpreted::app_folders(file, context, a, &BTreeMap::new(), None, false);
    add_bundler_folders(&bundle, &gems, a);
    interpreted::build_outputs(file, a, None);
    keep_settings(&bundle.settings, a);
    let install_line = bundle
        .first_install
        .unwrap_or_else(|| crate::analyse::from_line(file));
    gem_libs(context, rk, k, a, install_line);
    if interpreted::leave_build_tools(
        file,
        context,
        a,
        &rk.build_only_packages,
        &rk.build_only_programs,
        "Node only builds the assets",
    ) {
        interpreted::remove_node_modules(file, a, None);
    }
}

/// Where the RUN lines install gems, and the settings `bundle exec` reads.
struct Bundle {
    /// The line of the first `gem install` or `bundle install`.
    first_install: Option<usize>,
    /// `gem install`: into GEM_HOME, whatever bundler's path is.
    gem_installs: bool,
    /// The folder `bundle install` runs in (the Gemfile's).
    app_root: Option<String>,
    /// What set bundler's path, and the path as written.
    gem_path: Option<(String, String)>,
    deployment: bool,
    /// `bundle config` settings the app reads when it starts.
    settings: Vec<(usize, Setting)>,
    /// Bundler saved settings in BUNDLE_APP_CONFIG (`--local`, or the
    /// flags `bundle install` remembers).
    saves_local: bool,
    /// Folders `bundle binstubs --path` and `bundle install --binstubs=`
    /// write the executables to, with their line.
    binstubs: Vec<(usize, String)>,
}

impl Bundle {
    fn read(file: &Dockerfile, rk: &RubyKnowledge, a: &Analysis) -> Bundle {
        let mut b = Bundle {
            first_install: None,
            gem_installs: false,
            app_root: None,
            gem_path: a
                .env
                .get("BUNDLE_PATH")
                .map(|p| ("ENV BUNDLE_PATH".to_string(), p.clone())),
            deployment: a
                .env
                .get("BUNDLE_DEPLOYMENT")
                .is_some_and(|v| v == "1" || v == "true"),
            settings: Vec::new(),
            saves_local: false,
            binstubs: Vec::new(),
        };
        for rc in &a.run_commands {
            let c = &rc.command;
            let line = file.instructions[rc.index].line;
            let sub = c.args().first().map(String::as_str);
            match (c.program(), sub) {
                ("gem", Some("install" | "update")) => {
                    b.first_install.get_or_insert(line);
                    b.gem_installs = true;
                }
                ("bundle" | "bundler", Some("install")) => b.install(c, line, &rc.cwd),
                ("bundle" | "bundler", Some("binstubs")) => {
                    let mut args = c.args()[1..].iter();
                    while let Some(arg) = args.next() {
                        let dir = if arg == "--path" {
                            args.next().cloned()
                        } else {
                            arg.strip_prefix("--path=").map(String::from)
                        };
                        if let Some(dir) = dir {
                            b.binstubs.push((line, absolute(&rc.cwd, &dir)));
                        }
                    }
                }
                ("bundle" | "bundler", Some("config")) => b.config(c, line, rk),
                _ => {}
            }
        }
        b
    }

    /// `bundle install [--path P] [--deployment] [--binstubs=D]`.
    fn install(&mut self, c: &Command, line: usize, cwd: &str) {
        self.first_install.get_or_insert(line);
        self.app_root.get_or_insert(cwd.to_string());
        let mut args = c.args()[1..].iter();
        while let Some(arg) = args.next() {
            if arg == "--path" {
                if let Some(p) = args.next() {
                    self.gem_path =
                        Some((format!("line {line}: bundle install --path"), p.clone()));
                }
            } else if let Some(p) = arg.strip_prefix("--path=") {
                self.gem_path =
                    Some((format!("line {line}: bundle install --path"), p.to_string()));
            } else if arg == "--deployment" {
                self.deployment = true;
            }
            if let Some(dir) = arg.strip_prefix("--binstubs=") {
                self.binstubs.push((line, absolute(cwd, dir)));
            }
            let flag = arg.trim_start_matches("--");
            let flag = flag.split('=').next().unwrap_or(flag);
            self.saves_local |= arg.starts_with("--") && REMEMBERED_INSTALL_FLAGS.contains(&flag);
        }
    }

    /// `bundle config [set] [--local] NAME VALUE`.
    fn config(&mut self, c: &Command, line: usize, rk: &RubyKnowledge) {
        let Some(setting) = read_config(&c.args()[1..]) else {
            return;
        };
        match setting.name.as_str() {
            "path" => {
                self.gem_path = Some((
                    format!("line {line}: bundle config path"),
                    setting.value.clone(),
                ))
            }
            "deployment" => self.deployment = matches!(setting.value.as_str(), "true" | "1"),
            _ => {}
        }
        self.saves_local |= setting.local;
        if !setting.local && rk.runtime_settings.contains(&setting.name) {
            self.settings.push((line, setting));
        }
    }
}

/// The folders the gems and bundler's settings end up in.
struct GemFolders {
    /// The image's GEM_HOME (or the file's); None on a same-base runtime,
    /// whose gems go to the distribution's own folders.
    gem_home: Option<String>,
    /// Bundler's own path (`BUNDLE_PATH`, `--path`, deployment mode).
    gem_dir: Option<String>,
    /// Where bundler keeps its local settings.
    app_config: String,
    /// What decided where the gems go, for the explanation.
    source: String,
}

impl GemFolders {
    fn of(bundle: &Bundle, pack: &LanguagePack, a: &Analysis) -> GemFolders {
        let same_base = a.same_base.is_some();
        let image_home = || {
            pack.deps_dir
                .clone()
                .unwrap_or_else(|| "/usr/local/bundle".into())
        };
        let gem_home: Option<String> = a
            .env
            .get("GEM_HOME")
            .cloned()
            .or_else(|| (!same_base).then(image_home));
        let root = bundle
            .app_root
            .clone()
            .or_else(|| a.final_workdir.clone())
            .unwrap_or_else(|| "/".into());
        // `BUNDLE_PATH=$GEM_HOME`: the image's own variables.
        let mut image_env = BTreeMap::new();
        if let Some(home) = &gem_home {
            image_env.insert("GEM_HOME".to_string(), home.clone());
        }
        // The image sets BUNDLE_APP_CONFIG to its own GEM_HOME, whatever
        // GEM_HOME the file sets. (Without one, bundler keeps them in the
        // app's own `.bundle`.)
        let image_gem_home = if same_base {
            absolute(&root, ".bundle")
        } else {
            image_home()
        };
        let app_config = a
            .env
            .get("BUNDLE_APP_CONFIG")
            .map(|p| absolute(&root, &expand_known(p, &image_env)))
            .unwrap_or_else(|| image_gem_home.clone());
        image_env.insert("BUNDLE_APP_CONFIG".to_string(), app_config.clone());
        let gem_dir = match (&bundle.gem_path, bundle.deployment) {
            // Relative paths are relative to the app's root (the Gemfile's folder).
            (Some((_, p)), _) => Some(absolute(&root, &expand_known(p, &image_env))),
            (None, true) => Some(absolute(&root, "vendor/bundle")),
            (None, false) => None,
        };
        let source = match (&bundle.gem_path, bundle.deployment) {
            (Some((how, _)), _) => how.clone(),
            (None, true) => "bundler's deployment mode".to_string(),
            (None, false) if gem_home.is_none() => "the distribution's gem folder".to_string(),
            (None, false) => "GEM_HOME of the image".to_string(),
        };
        GemFolders {
            gem_home,
            gem_dir,
            app_config,
            source,
        }
    }
}

/// Bundler's own folders: its path, its local settings (read from
/// BUNDLE_APP_CONFIG when the app starts), the binstubs it writes
/// outside the copied folders.
fn add_bundler_folders(bundle: &Bundle, gems: &GemFolders, a: &mut Analysis) {
    if let (Some(dir), Some(line)) = (&gems.gem_dir, bundle.first_install) {
        a.add_artefact(
            line,
            dir,
            dir,
            format!("line {line}: bundler installs the gems here"),
            false,
        );
    }
    if let Some(line) = bundle.first_install
        && bundle.saves_local
        && gems.gem_home.as_ref() != Some(&gems.app_config)
    {
        a.add_artefact(
            line,
            &gems.app_config,
            &gems.app_config,
            format!("line {line}: BUNDLE_APP_CONFIG: bundler's local settings"),
            false,
        );
    }
    for (line, dir) in &bundle.binstubs {
        a.add_artefact(
            *line,
            dir,
            dir,
            format!("line {line}: bundler writes the binstubs here"),
            false,
        );
    }
}

/// Settings a plain `bundle config` may have saved in root's home, which
/// the runtime user does not read: set as variables in the final stage.
fn keep_settings(settings: &[(usize, Setting)], a: &mut Analysis) {
    for (line, s) in settings {
        let name = setting_env_name(&s.name);
        if a.env.contains_key(&name)
            || a.runtime_env
                .iter()
                .any(|e| e.starts_with(&format!("{name}=")))
        {
            continue;
        }
        let value = setting_env_value(&s.name, &s.value);
        a.runtime_env.push(format!("{name}=\"{value}\""));
        a.warnings.push(format!(
            "line {line}: `bundle config {}` may be saved in root's ~/.bundle/config, which the runtime user does not read: the final stage sets {name}=\"{value}\"",
            s.name
        ));
    }
}

/// Native gems that load a system library at run time: the slim image
/// must install it, since the full image had its `-dev` package built in.
fn gem_libs(
    context: &BuildContext,
    rk: &RubyKnowledge,
    k: &Knowledge,
    a: &mut Analysis,
    line: usize,
) {
    let Some(builder) = a.builder.clone() else {
        return;
    };
    let lock_path = context_file(a, "Gemfile.lock");
    let gemfile_path = context_file(a, "Gemfile");
    let (source, gems) = match context.read_small(&lock_path) {
        Some(text) => (lock_path, lock_gems(&text)),
        None => match context.read_small(&gemfile_path) {
            Some(text) => (gemfile_path, gemfile_gems(&text)),
            None => return,
        },
    };
    let release_key = match builder.family {
        Family::Debian | Family::Alpine => builder.package_release.clone(),
        _ => return,
    };
    let table = k
        .family_packages(builder.family)
        .zip(release_key.as_ref())
        .and_then(|(t, r)| t.runtime_libs.get(r));
    for (gem, libs) in &rk.gem_libs {
        let Some(versions) = gems.get(gem) else {
            continue;
        };
        if bundles_library(libs, versions) || !uses_system_libraries(a, gem, libs) {
            continue;
        }
        let named = match versions.first() {
            Some(v) => format!("{gem} {v}"),
            None => gem.clone(),
        };
        let packages = if builder.family == Family::Alpine {
            &libs.alpine
        } else {
            &libs.debian
        };
        for package in packages {
            let runtime: Vec<(String, String)> = match table.and_then(|t| t.get(package)) {
                Some(libraries) => libraries
                    .iter()
                    .map(|l| {
                        (
                            l.clone(),
                            format!("{source} has {named}, which loads it at run time (the runtime library of {package})"),
                        )
                    })
                    .collect(),
                None if package.ends_with("-dev") => {
                    let release = release_key.clone().unwrap_or_else(|| "this release".into());
                    a.block_unless_unsafe(
                        line,
                        format!("{source} has {named}, which loads a system library at run time: no runtime library of {package} is known for {release}"),
                    );
                    Vec::new()
                }
                None => vec![(
                    package.clone(),
                    format!("{source} has {named}, which needs it at run time"),
                )],
            };
            for (name, why) in runtime {
                if !a.runtime_packages.iter().any(|p| p.name == name) {
                    a.runtime_packages.push(RuntimePackage { name, why });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyse::shell::commands;

    #[test]
    fn reads_bundle_config() {
        let args = |s: &str| commands(s).remove(0).words[2..].to_vec();
        assert_eq!(
            read_config(&args("bundle config set without 'development test'")),
            Some(Setting {
                name: "without".into(),
                value: "development test".into(),
                local: false
            })
        );
        assert_eq!(
            read_config(&args("bundle config set --local path vendor/bundle")),
            Some(Setting {
                name: "path".into(),
                value: "vendor/bundle".into(),
                local: true
            })
        );
        assert_eq!(
            read_config(&args("bundle config --global frozen 1")).map(|s| s.name),
            Some("frozen".into())
        );
        assert_eq!(read_config(&args("bundle config get path")), None);
        assert_eq!(read_config(&args("bundle config list")), None);
    }

    #[test]
    fn setting_envs() {
        assert_eq!(setting_env_name("without"), "BUNDLE_WITHOUT");
        assert_eq!(setting_env_name("path.system"), "BUNDLE_PATH__SYSTEM");
        assert_eq!(
            setting_env_value("without", "development test"),
            "development:test"
        );
        assert_eq!(setting_env_value("path", "vendor/bundle"), "vendor/bundle");
    }

    #[test]
    fn versions() {
        assert!(version_at_least("1.5.0", "1.5.0"));
        assert!(version_at_least("1.7.3-x86_64-linux", "1.5.0"));
        assert!(version_at_least("2.0.1", "1.5.0"));
        assert!(!version_at_least("1.4.4", "1.5.0"));
        assert!(!version_at_least("1.5.0.rc1", "1.5.1"));
    }

    #[test]
    fn reads_gemfile_lock() {
        let lock = "GEM\n  remote: https://rubygems.org/\n  specs:\n    pg (1.5.4)\n    rack (3.0.8)\n    sinatra (3.1.0)\n      rack (~> 2.2, >= 2.2.4)\n    sqlite3 (1.7.3-x86_64-linux)\n\nPLATFORMS\n  ruby\n  x86_64-linux\n\nDEPENDENCIES\n  pg (~> 1.5)\n";
        let gems = lock_gems(lock);
        assert_eq!(gems["pg"], vec!["1.5.4"]);
        assert_eq!(gems["rack"], vec!["3.0.8"]);
        assert_eq!(gems["sqlite3"], vec!["1.7.3-x86_64-linux"]);
        assert!(!gems.contains_key("ruby"));
        let gemfile = "source \"https://rubygems.org\"\ngem \"pg\", \"~> 1.5\"\n  gem 'puma'\n";
        let names: Vec<String> = gemfile_gems(gemfile).into_keys().collect();
        assert_eq!(names, vec!["pg", "puma"]);
    }

    #[test]
    fn bundled_libraries() {
        let sqlite = GemLibs {
            debian: vec![],
            alpine: vec![],
            bundled_since: Some("1.5.0".into()),
            native_gems_bundle: false,
            system_libraries_option: None,
            system_libraries_env: None,
        };
        assert!(bundles_library(&sqlite, &["1.7.3".into()]));
        assert!(!bundles_library(&sqlite, &["1.4.4".into()]));
        assert!(!bundles_library(&sqlite, &[]));
        let pg = GemLibs {
            debian: vec![],
            alpine: vec![],
            bundled_since: None,
            native_gems_bundle: true,
            system_libraries_option: None,
            system_libraries_env: None,
        };
        assert!(bundles_library(&pg, &["1.6.1-x86_64-linux".into()]));
        assert!(!bundles_library(
            &pg,
            &["1.6.1".into(), "1.6.1-x86_64-linux".into()]
        ));
    }

    #[test]
    fn looks_through_bundle_exec() {
        let k = Knowledge::builtin().unwrap();
        let pack = k.language("ruby").unwrap();
        let c = |s: &str| commands(s).remove(0);
        assert!(is_build(pack, &c("bundle exec rake assets:precompile")));
        assert!(is_build(
            pack,
            &c("bundle exec bin/rails assets:precompile")
        ));
        assert!(!is_build(pack, &c("bundle exec rails db:migrate")));
        assert!(!is_build(pack, &c("rails assets:precompile")));
    }
}
