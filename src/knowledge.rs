//! What msb knows about ecosystems, loaded from `transforms/*.toml`.
//!
//! The built-in packs are compiled in; `--transforms DIR` adds packs or
//! replaces a built-in one of the same file name. Every pack is read with
//! `deny_unknown_fields`, so a typo in a key is an error naming the pack,
//! not a silently ignored rule.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::error::MsbError;

/// The built-in packs, by file name.
pub const BUILTIN_PACKS: &[(&str, &str)] = &[
    ("images.toml", include_str!("../transforms/images.toml")),
    ("packages.toml", include_str!("../transforms/packages.toml")),
    ("commands.toml", include_str!("../transforms/commands.toml")),
    ("python.toml", include_str!("../transforms/python.toml")),
    ("go.toml", include_str!("../transforms/go.toml")),
    ("ruby.toml", include_str!("../transforms/ruby.toml")),
    ("php.toml", include_str!("../transforms/php.toml")),
    ("java.toml", include_str!("../transforms/java.toml")),
    ("dotnet.toml", include_str!("../transforms/dotnet.toml")),
    ("rust.toml", include_str!("../transforms/rust.toml")),
    ("node.toml", include_str!("../transforms/node.toml")),
];

/// The built-in packs as JSON, by file name, made from the same files by
/// `build.rs`; empty for a pack that did not parse there.
const BUILTIN_JSON: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/builtin_json.rs"));

/// Facts about one family of base images (`images.toml`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageFacts {
    /// `name:tag` glob; `*` matches any run of characters.
    pub pattern: String,
    pub family: Family,
    /// The Debian release when the tag names none.
    #[serde(default)]
    pub release: Option<String>,
    /// Approximate uncompressed size, for the estimated saving.
    pub size_mb: u32,
    /// Programs the image has on PATH that runtime commands may need.
    #[serde(default)]
    pub tools: Vec<String>,
    /// An image that only serves or runs prebuilt files: nothing to split.
    #[serde(default)]
    pub runtime_only: bool,
    /// A non-root user the image already has (`65532:65532` on distroless).
    #[serde(default)]
    pub nonroot_user: Option<String>,
    /// Packages the image already has, never installed again.
    #[serde(default)]
    pub provides: Vec<String>,
    /// Variables the image sets that Dockerfiles use in paths
    /// (`WORKDIR $GOPATH/src/app`).
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// The WORKDIR the image sets (`/home/gradle` on gradle images): where
    /// a file's relative paths start before its own WORKDIR.
    #[serde(default)]
    pub workdir: Option<String>,
    /// A plain distribution image (Debian, Ubuntu, Alpine, or a mirror of
    /// one): only the distribution's own userland, so a toolchain on it comes
    /// from its package manager and a final stage FROM the same image can
    /// install just what runs the app.
    #[serde(default)]
    pub plain: bool,
    /// The `packages.toml` tables of this image's packages when they are
    /// not a Debian release's (`jammy` for ubuntu:22.04); else `release`.
    #[serde(default)]
    pub package_release: Option<String>,
    /// A vendor's language runtime image (App Engine's
    /// `gcr.io/google_appengine/python`): the interpreter is the vendor's
    /// own build at the vendor's paths, so no other image has it. A final
    /// stage FROM the same image keeps it and leaves behind only what the
    /// build added (caches, build packages). The language it runs
    /// (`python`).
    #[serde(default)]
    pub vendor_runtime: Option<String>,
}

/// How a base image's userland works: package manager, user creation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    Debian,
    Alpine,
    Distroless,
    Scratch,
    Windows,
    Other,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImagesPack {
    /// The Alpine release used when a builder tag names none.
    pub alpine_default: String,
    /// The default PATH folders of the runtime bases.
    pub runtime_path: Vec<String>,
    /// The oldest Debian major version distroless still publishes.
    pub distroless_min_debian: u32,
    /// Debian release name → major version (`bookworm` → 12).
    pub debian_releases: BTreeMap<String, u32>,
    /// Debian releases the mirrors no longer serve (archive.debian.org
    /// only): `apt-get install` on their images fails.
    #[serde(default)]
    pub archived_debian_releases: Vec<String>,
    /// How msb creates the runtime user on each family.
    pub user: UserTemplates,
    /// Registries (and paths) that serve Docker Hub's official images under
    /// the same names and tags (`mirror.gcr.io/library`): an image there is
    /// the official one. Any other registry's `python` is another image
    /// whose tags msb does not know.
    #[serde(default)]
    pub hub_mirrors: Vec<String>,
    /// Programs every Debian and Alpine image has (coreutils or busybox).
    #[serde(default)]
    pub core_programs: Vec<String>,
    /// Files an official image ships besides the tools on its PATH
    /// (`/usr/local/bin/docker-entrypoint.sh` of node), by image name.
    #[serde(default)]
    pub ships: BTreeMap<String, Vec<String>>,
    /// Sizes of what a split removes besides the base image.
    #[serde(default)]
    pub saving: SavingFacts,
    /// Images that are an official language image with a tool added
    /// (uv's `ghcr.io/astral-sh/uv:python3.12-bookworm-slim`).
    #[serde(default, rename = "derived")]
    pub derived: Vec<DerivedImage>,
    /// The Debian release of a pinned patch (`python:3.9.12`), by line.
    #[serde(default, rename = "patch_releases")]
    pub patch_releases: Vec<PatchReleases>,
    #[serde(rename = "image")]
    pub images: Vec<ImageFacts>,
}

/// The Debian releases of one line's patches (`[[patch_releases]]` of
/// images.toml): `releases[i]` is the default from patch `starts[i]` on;
/// an empty one is a patch whose images exist on two releases.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatchReleases {
    pub image: String,
    /// major.minor (`3.9`).
    pub line: String,
    pub starts: Vec<u32>,
    pub releases: Vec<String>,
}

impl PatchReleases {
    /// The release of patch `patch`: None before the first start, or on
    /// an ambiguous patch.
    pub fn of(&self, patch: u32) -> Option<&str> {
        let at = self.starts.iter().rposition(|s| *s <= patch)?;
        self.releases
            .get(at)
            .map(String::as_str)
            .filter(|r| !r.is_empty())
    }
}

/// An image built FROM an official image whose tag its own tag names
/// (`[[derived]]` of images.toml): msb reads it as that image.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DerivedImage {
    /// Its name (`ghcr.io/astral-sh/uv`).
    pub image: String,
    /// The word before the official image's tag in its tags (`python` of
    /// `python3.12-alpine`); parts before it that start with a digit are
    /// the tool's own version (`0.8.0-python3.12-alpine`).
    pub tag_prefix: String,
    /// The official image (`python`).
    pub base: String,
    /// Programs it has on PATH besides the official image's (`uv`).
    #[serde(default)]
    pub tools: Vec<String>,
    /// What it adds to the official image's size, in MB.
    #[serde(default)]
    pub adds_mb: u32,
}

/// The runtime user msb creates when the original ran as root. Commands
/// use `{name}` and `{uid}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserTemplates {
    pub name: String,
    pub uid: u32,
    pub debian: String,
    pub alpine: String,
}

/// A language's part of the estimated saving (`[estimate]`).
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct EstimateRules {
    /// Installer caches the original image keeps and the final stage does
    /// not copy.
    #[serde(default)]
    pub caches: Vec<CacheRule>,
    /// One build tool of `build_tools` (poetry, pipenv) the builder
    /// installs outside the dependency folder, in MB.
    #[serde(default)]
    pub build_tool_mb: u32,
    /// The installed dependencies, when the final stage copies only the
    /// build's outputs (a static site, a standalone server), in MB.
    #[serde(default)]
    pub dependencies_left_behind_mb: u32,
    /// What the split adds of its own (the virtualenv's pip), in MB, and what.
    #[serde(default)]
    pub overhead_mb: u32,
    #[serde(default)]
    pub overhead: String,
}

/// An installer's cache: left in the image by `commands` unless a word in
/// `off` (a flag, or a variable set in the stage) turns it off or a later
/// RUN contains one of `cleared_by`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CacheRule {
    pub name: String,
    pub commands: Vec<String>,
    #[serde(default)]
    pub off: Vec<String>,
    #[serde(default)]
    pub cleared_by: Vec<String>,
    pub mb: u32,
}

/// Sizes for the estimated saving besides the base images (`[saving]`).
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct SavingFacts {
    /// A package the builder installs that the final stage does not.
    pub package_default_mb: u32,
    /// The big ones, by name.
    #[serde(default)]
    pub packages: BTreeMap<String, u32>,
    /// What a same-base final stage installs in place of a toolchain
    /// (`openjdk-17-jre-headless` for `openjdk-17-jdk`): subtracted from
    /// what leaving the toolchain behind saves.
    #[serde(default)]
    pub runtime_packages: BTreeMap<String, u32>,
    /// One dev dependency a prune removes.
    pub dev_dependency_mb: u32,
    /// Debian's package lists an `apt-get update` leaves when no
    /// `rm -rf /var/lib/apt/lists/*` follows it.
    #[serde(default)]
    pub apt_lists_mb: u32,
    /// The commands that fetch the lists, and what removes them.
    #[serde(default)]
    pub apt_lists_made_by: Vec<String>,
    #[serde(default)]
    pub apt_lists_cleared_by: Vec<String>,
}

/// One distro family's packages (`packages.toml`).
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct FamilyPackages {
    /// Packages only needed to build; never installed in the runtime stage.
    pub build_only: Vec<String>,
    /// Release → (`-dev` package → runtime library packages).
    pub runtime_libs: BTreeMap<String, BTreeMap<String, Vec<String>>>,
    /// Release → (toolchain package → the packages that run what it built:
    /// `openjdk-17-jdk` → `openjdk-17-jre-headless`, `python3-dev` →
    /// `python3`). Read only for a same-base runtime (the builder's own
    /// plain distribution image).
    #[serde(default)]
    pub toolchain_runtime: BTreeMap<String, BTreeMap<String, Vec<String>>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackagesPack {
    pub debian: FamilyPackages,
    pub alpine: FamilyPackages,
}

/// Programs every ecosystem shares (`commands.toml`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandsPack {
    /// Programs that only arrange files or print.
    pub housekeeping: Vec<String>,
    /// Programs among `housekeeping` whose path arguments are changed.
    pub path_changers: Vec<String>,
    /// Programs that create users and groups.
    pub user_setup: Vec<String>,
    /// Programs runtime commands may call that a slim base may lack, with
    /// the package that provides each.
    pub runtime_tools: BTreeMap<String, ToolPackages>,
    /// Programs that need root (daemons that drop privileges themselves).
    pub root_daemons: Vec<String>,
    /// C compiler packages (cgo needs one).
    pub c_compilers: Vec<String>,
    /// Words that run the command after them (`exec`, `sudo`...).
    pub wrappers: Vec<String>,
    /// Shell programs.
    pub shells: Vec<String>,
    /// Folders never copied whole to the final stage.
    pub system_dirs: Vec<String>,
    /// How a command names the port it listens on.
    pub ports: PortRules,
    /// Inits an ENTRYPOINT may start the command with (`tini --`).
    pub inits: InitRules,
    /// How a final command names the files it starts (the closure check).
    pub launch: LaunchRules,
    /// What programs that are not housekeeping write (`sed -i`, `curl -o`).
    pub effects: BTreeMap<String, Effect>,
    /// Installer scripts fetched and run (`curl URL | sh`).
    pub installers: Vec<Installer>,
    /// Where package managers keep their sources and keys.
    pub package_sources: Vec<String>,
    /// Variables a package install reads (`ACCEPT_EULA`): set by ENV or
    /// ARG before an install the final stage repeats, they are given to
    /// that install too.
    #[serde(default)]
    pub install_env: Vec<String>,
    /// Folders packages install into: one a RUN makes there before an
    /// install the final stage repeats is made by that install's RUN.
    #[serde(default)]
    pub package_dirs: Vec<String>,
    /// What `--observe` leaves out of a RUN's layer: caches, logs,
    /// temporary files, the package manager's own state.
    #[serde(default)]
    pub observed_noise: Vec<String>,
    /// `make` in a RUN, whose Makefile msb reads (`[make]`).
    #[serde(default)]
    pub make: MakeRules,
    /// Links on system paths the final stage makes again, by the link's
    /// path (`[replayed_links]`).
    #[serde(default)]
    pub replayed_links: BTreeMap<String, ReplayedLink>,
    /// Folders an app may be copied straight into (`[loose]`).
    #[serde(default)]
    pub loose: LooseRules,
}

/// A link a RUN makes that the final stage makes again, with the file it
/// points to copied from the builder (`commands.toml [replayed_links]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplayedLink {
    /// The folder the link's target must be in.
    pub folder: String,
    /// The package that fills the folder.
    pub package: String,
    /// Debian releases where that package is required, so in every image.
    #[serde(default)]
    pub required_in: Vec<String>,
}

/// Folders an app may be copied straight into, whose exact paths the
/// final stage copies (`commands.toml [loose]`).
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct LooseRules {
    /// The folders (`/`, `/tmp`).
    pub dirs: Vec<String>,
    /// Where the runtime user cannot create files, as root could: msb
    /// warns that an app writing new files beside itself would fail.
    pub unwritable: Vec<String>,
    /// The names the system has in `/`: an app entry so named cannot be
    /// told from the system's own folder.
    pub root_names: Vec<String>,
}

/// How msb reads a `make` command (`commands.toml [make]`).
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct MakeRules {
    /// The programs that are make.
    pub programs: Vec<String>,
    /// Options that take a value.
    pub value_options: Vec<String>,
    /// Options without a value that change nothing msb reads.
    pub flags: Vec<String>,
}

/// What one program writes, read from its words (`commands.toml
/// [effects]`, where each field is described).
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Effect {
    pub value_options: Vec<String>,
    pub in_place: Vec<String>,
    pub script_options: Vec<String>,
    pub script_operand: bool,
    pub operands: bool,
    pub output: Vec<String>,
    pub folder: Vec<String>,
    pub default_cwd: bool,
    pub remote_name: Vec<String>,
    pub url_name: bool,
    pub fixed: Vec<String>,
    pub opaque_operands: Vec<String>,
}

/// An installer script known by its URL (`commands.toml [[installers]]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Installer {
    pub name: String,
    /// A glob on the URL without its scheme.
    pub url: String,
    /// What it installs, in words, for reasons and evidence.
    pub installs: String,
    /// Whether only the build uses what it installs.
    pub build_only: bool,
    /// The package manager's folders it adds a repository to (NodeSource's
    /// `setup_18.x` writes an apt source and its key, nothing else): the
    /// RUN is then read like one that writes them, and the final stage gets
    /// them ahead of its own install of a package from that repository.
    #[serde(default)]
    pub package_sources: Vec<String>,
}

/// How ENTRYPOINT, CMD and HEALTHCHECK name the files they start.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LaunchRules {
    /// Programs whose first argument that is not an option is a file they run.
    pub interpreters: Vec<String>,
    /// Endings that make such an argument a file (not a subcommand).
    pub script_endings: Vec<String>,
    /// Options after which the code is inline or a module, not a file.
    pub code_options: Vec<String>,
    /// Options whose value is a file to run (`java -jar`), and the
    /// programs that take them.
    pub jar_options: Vec<String>,
    pub jar_runners: Vec<String>,
    /// Programs that set variables, then run the rest (`env A=1 prog`).
    pub env_programs: Vec<String>,
    /// Options of `env` that take a value.
    pub env_value_options: Vec<String>,
}

/// Inits that start the command after their options (and `--`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InitRules {
    pub names: Vec<String>,
    /// Their options that take a value.
    pub value_options: Vec<String>,
}

/// Where a command says its port (`--port 80`, `gunicorn -b :80`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortRules {
    /// Options that name a port whatever the program.
    pub options: Vec<String>,
    /// Short options that name a port only for `servers` (elsewhere
    /// `-p 4` may be a count).
    pub server_short_options: Vec<String>,
    pub servers: Vec<String>,
}

/// The package that provides a tool, per distro family.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolPackages {
    pub debian: String,
    pub alpine: String,
    /// Every package (either family; `*` globs) that installs the tool
    /// under its name: one of them installed already means the tool is
    /// there (`netcat` gives `nc` as well as `netcat-openbsd` does).
    #[serde(default)]
    pub provided_by: Vec<String>,
}

impl ToolPackages {
    /// Whether `package` installs the tool.
    pub fn provided_by(&self, package: &str) -> bool {
        package == self.debian
            || package == self.alpine
            || self.provided_by.iter().any(|p| glob_match(p, package))
    }
}

/// A runtime base template: `tag` parts are filled, empty ones dropped and
/// the rest joined with `-`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaseTemplate {
    pub image: String,
    pub tag: Vec<String>,
    /// Why this base, shown in `explain` and the diff summary.
    pub why: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Detection {
    /// Builder image names (registry and `library/` stripped).
    pub images: Vec<String>,
    /// Programs whose use in a RUN shows the toolchain.
    pub commands: Vec<String>,
    /// Files in the build context that show the toolchain.
    pub files: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepRules {
    /// Command prefixes that install dependencies.
    pub dep_install: Vec<String>,
    /// Command prefixes that build (compile, collect assets...).
    pub build: Vec<String>,
    /// Context file globs that are dependency manifests.
    pub dep_manifests: Vec<String>,
    /// Command prefixes that only configure or check the build's own
    /// tools (`poetry config`, `pip check`): they make nothing the runtime
    /// needs.
    #[serde(default)]
    pub configure: Vec<String>,
}

/// One ecosystem (`python.toml`, `go.toml`...).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LanguagePack {
    pub id: String,
    pub name: String,
    pub detect: Detection,
    pub steps: StepRules,
    /// Named runtime bases the language's planner chooses among.
    pub runtime_base: BTreeMap<String, BaseTemplate>,
    /// Folders in the context the app may read at run time.
    #[serde(default)]
    pub runtime_asset_dirs: Vec<String>,
    /// File globs at the context root the app may read at run time.
    #[serde(default)]
    pub runtime_asset_files: Vec<String>,
    /// Dependencies (by package name) that load a system library at run
    /// time, with the runtime packages per distro family.
    #[serde(default)]
    pub requirement_libs: BTreeMap<String, SystemLibs>,
    /// Context entries that are never needed at run time (docs, tests,
    /// build files): not worth a warning when they are not copied.
    #[serde(default)]
    pub not_runtime: Vec<String>,
    /// Folders of the build context that hold only code (not copied to
    /// the runtime stage of a compiled language).
    #[serde(default)]
    pub code_dirs: Vec<String>,
    /// Packages a Debian runtime of this language always needs.
    #[serde(default)]
    pub debian_runtime_packages: Vec<String>,
    /// Where dependencies are isolated for the runtime to copy.
    #[serde(default)]
    pub deps_dir: Option<String>,
    /// Where `--user` installs go instead of root's home.
    #[serde(default)]
    pub user_deps_dir: Option<String>,
    /// Packages that are tools of the build (an installer like poetry),
    /// not the app's dependencies: an install of only these stays outside
    /// the dependency folder, so the tool stays in the builder.
    #[serde(default)]
    pub build_tools: Vec<String>,
    /// Tools every dependency folder has of its own (pip in a virtualenv):
    /// installed beside a build tool, they do not make it the app's.
    #[serde(default)]
    pub venv_tools: Vec<String>,
    /// Development runners (`poetry run X`) that only set up the
    /// environment the final stage already has: dropped from ENTRYPOINT
    /// and CMD.
    #[serde(default)]
    pub runners: Vec<Runner>,
    /// What a split removes or adds for this language besides the base
    /// image and packages, for the estimated saving.
    #[serde(default)]
    pub estimate: EstimateRules,
    /// Ruby's own facts (`[ruby]` of `ruby.toml`).
    #[serde(default)]
    pub ruby: Option<RubyKnowledge>,
    /// PHP's own facts (`[php]` of `php.toml`).
    #[serde(default)]
    pub php: Option<PhpKnowledge>,
    /// Java's own rules (`java.toml`).
    #[serde(default)]
    pub java: Option<JavaRules>,
    /// .NET's own rules (`dotnet.toml`).
    #[serde(default)]
    pub dotnet: Option<DotnetRules>,
    /// Cargo specifics (`rust.toml`).
    #[serde(default)]
    pub cargo: Option<CargoKnowledge>,
    /// Go specifics (`go.toml`).
    #[serde(default)]
    pub go: Option<GoKnowledge>,
    /// What only the Node.js analysis reads (`node.toml`).
    #[serde(default)]
    pub node: Option<NodeRules>,
    /// The toolchain as a plain distribution's packages (`[same_base]`).
    #[serde(default)]
    pub same_base: Option<SameBaseRules>,
    /// A virtualenv that shares the image's own pip (`[lean_venv]`).
    #[serde(default)]
    pub lean_venv: Option<LeanVenv>,
}

/// The virtualenv msb adds, without a pip of its own where the image's
/// own site-packages hold only pip, setuptools and wheel, as those of its
/// slim and Alpine variants do (`python.toml [lean_venv]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeanVenv {
    /// The images (names, without tag) whose site-packages are so.
    pub images: Vec<String>,
    /// The RUN that makes it, `{path}` the virtualenv.
    pub create: String,
}

/// A language installed with the package manager of a plain distribution
/// image (`apt-get install ruby ruby-dev`): the final stage starts from the
/// same image and installs only what runs the app. Lists are per family
/// (`debian` also covers Ubuntu); names may be globs.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SameBaseRules {
    /// Packages whose install shows the toolchain came from the package
    /// manager.
    pub toolchain: SystemLibs,
    /// The package that runs the app, installed in the final stage when no
    /// package it installs matches `provides`.
    pub runtime: ToolPackages,
    pub provides: SystemLibs,
    /// The language's build tools among the packages (npm, pip, Maven):
    /// left in the builder unless a runtime command runs one of
    /// `build_programs`.
    #[serde(default)]
    pub build_tools: SystemLibs,
    #[serde(default)]
    pub build_programs: Vec<String>,
    /// Where the distribution's interpreter puts what the build installs as
    /// root (pip's /usr/local/lib/python3.X/dist-packages and
    /// /usr/local/bin): folders the plain image leaves empty, copied whole.
    /// None for a family: the installs land among the system's own files.
    #[serde(default)]
    pub install_dirs: SystemLibs,
    /// What the toolchain's packages recommend that the app may need at
    /// run time (python3.11 → ca-certificates): apt installed it when the
    /// build did not say `--no-install-recommends`; the final stage, which
    /// does, installs it by name then.
    #[serde(default)]
    pub recommends: SystemLibs,
    /// What the build tools depend on that the app may need at run time
    /// (npm → ca-certificates): installed by name when they stay behind.
    #[serde(default)]
    pub build_tool_deps: SystemLibs,
    /// Toolchain packages whose recommends only build (python3-pip →
    /// build-essential, python3-dev): an install without
    /// `--no-install-recommends` had them; the final stage leaves them.
    #[serde(default)]
    pub build_recommends: Vec<BuildRecommends>,
}

/// What one toolchain package recommends that only builds
/// (`[[same_base.build_recommends]]`).
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct BuildRecommends {
    pub family: Family,
    pub package: String,
    /// Its recommends, for the explanation.
    pub recommends: Vec<String>,
    /// Their installed size with what they pull in, roughly, in MB.
    pub mb: u32,
}

/// Node.js specifics (`[node]` of `node.toml`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeRules {
    /// Tag words that name a Node major without a number (`iron` → 20).
    pub tag_aliases: BTreeMap<String, u32>,
    /// Other tag parts that keep the same image (`slim`).
    pub tag_suffixes: Vec<String>,
    /// The last Node major whose images bundle Yarn 1.
    pub bundled_yarn_max_node: u32,
    /// The first Node major whose bundled npm knows `--omit=dev`.
    pub npm_omit_dev_min_node: u32,
    pub prune: NodePrune,
    /// Program → npm package, where the names differ.
    pub bins: BTreeMap<String, String>,
    pub commands: NodeCommands,
    pub static_site: NodeStaticSite,
    pub next: NodeNext,
    pub install: NodeInstall,
    /// Browsers a dependency or a build command downloads into the build
    /// user's home.
    pub downloads: NodeDownloads,
    /// Package → packages (globs) it loads when it runs.
    pub runtime_peers: BTreeMap<String, Vec<String>>,
}

/// Downloads into the build user's home (root's `~/.cache`), outside the
/// app folder the final stage gets.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeDownloads {
    pub packages: Vec<NodePackageDownload>,
    pub commands: Vec<NodeCommandDownload>,
}

/// A dependency whose install script downloads into the home folder.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodePackageDownload {
    pub package: String,
    /// The first major that downloads there (earlier ones kept it in
    /// node_modules).
    pub from_major: u32,
    /// What it downloads, and where under the home folder.
    pub what: String,
    pub home_path: String,
    /// The variable that moves the download.
    pub dir_env: String,
    /// Variables that turn the download off.
    pub skip_env: Vec<String>,
    /// Config files that may move the download.
    pub configs: Vec<String>,
}

/// A build command that downloads into the home folder.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeCommandDownload {
    /// Program and subcommand (`playwright install`).
    pub command: String,
    pub what: String,
    pub home_path: String,
    /// The variable that moves the download; `dir_env_in_package` is the
    /// value that puts it inside node_modules.
    pub dir_env: String,
    pub dir_env_in_package: String,
    /// Options and subcommands that also install system packages.
    pub system_packages: Vec<String>,
}

/// The builder command that leaves only production dependencies, per
/// package manager.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodePrune {
    pub npm: String,
    pub npm_legacy: String,
    pub pnpm: String,
    pub yarn_classic: String,
    pub yarn_berry: String,
    /// The first Yarn major with `yarn workspaces focus` built in.
    pub yarn_berry_builtin_from: u32,
}

/// What the commands a Node container runs mean.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeCommands {
    pub wrappers: Vec<String>,
    pub dev_servers: Vec<String>,
    pub watchers: Vec<String>,
    pub static_servers: Vec<String>,
    pub static_server_value_options: Vec<String>,
    pub image_programs: Vec<String>,
    /// Process managers (pm2) that run a script, a package manager's
    /// command or the apps of a config file.
    pub process_managers: Vec<String>,
    /// Programs an exec-form ENTRYPOINT names that run CMD as a command
    /// of its own (tini), rather than taking it as arguments.
    pub inits: Vec<String>,
    pub npm_builtins: Vec<String>,
}

/// Single-page app builds and the folder they write.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeStaticSite {
    /// Build command (program and subcommand) → default output folder.
    pub builds: BTreeMap<String, String>,
    pub out_dir_options: Vec<String>,
    pub out_dir_env: Vec<String>,
    /// Config file → the setting that moves the output.
    pub configs: BTreeMap<String, String>,
}

/// Next.js: config files and what `next build` compiles.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeNext {
    pub configs: Vec<String>,
    /// Config file → the package `next start` needs to load it.
    pub config_needs: BTreeMap<String, String>,
    pub compiled: Vec<String>,
    pub not_runtime: Vec<String>,
}

/// Installs: build-only system packages, and dependencies whose install
/// scripts write outside their own folder.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeInstall {
    pub build_tools: Vec<String>,
    pub generate_outside_package: Vec<String>,
}

/// `program subcommand [options] COMMAND...` runs COMMAND.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Runner {
    pub program: String,
    pub subcommand: String,
    /// The runner's options that take a value (`uv run --with X`).
    #[serde(default)]
    pub value_options: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct SystemLibs {
    #[serde(default)]
    pub debian: Vec<String>,
    #[serde(default)]
    pub alpine: Vec<String>,
}

impl SystemLibs {
    /// The list of a family (Debian's for anything but Alpine).
    pub fn of(&self, family: Family) -> &[String] {
        match family {
            Family::Alpine => &self.alpine,
            _ => &self.debian,
        }
    }
}

impl ToolPackages {
    pub fn of(&self, family: Family) -> &str {
        match family {
            Family::Alpine => &self.alpine,
            _ => &self.debian,
        }
    }
}

/// Ruby with Bundler (`[ruby]` of `ruby.toml`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RubyKnowledge {
    /// `bundle config` settings that `bundle exec` still reads at run
    /// time (which gem groups, where the gems are).
    pub runtime_settings: Vec<String>,
    /// System packages only the build uses (Node for the asset pipeline):
    /// left in the builder unless a runtime command runs one of
    /// `build_only_programs`.
    pub build_only_packages: Vec<String>,
    pub build_only_programs: Vec<String>,
    /// Gems that load a system library at run time, by gem name.
    #[serde(default)]
    pub gem_libs: BTreeMap<String, GemLibs>,
}

/// The system library a gem loads, named by the `-dev` package it builds
/// against (its runtime libraries come from `packages.toml`, per release).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GemLibs {
    #[serde(default)]
    pub debian: Vec<String>,
    #[serde(default)]
    pub alpine: Vec<String>,
    /// From this version on the gem carries its own copy of the library.
    #[serde(default)]
    pub bundled_since: Option<String>,
    /// Its precompiled platform gems (`1.6.1-x86_64-linux`) carry the library.
    #[serde(default)]
    pub native_gems_bundle: bool,
    /// The gem carries its own copy of the library unless it is built with
    /// this option (`--use-system-libraries`, through `bundle config
    /// build.GEM` or `gem install GEM -- OPTION`): only then does it load
    /// the system's.
    #[serde(default)]
    pub system_libraries_option: Option<String>,
    /// An environment variable that, when set, builds it that way too.
    #[serde(default)]
    pub system_libraries_env: Option<String>,
}

/// PHP with Composer on the official php images (`[php]` of `php.toml`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhpKnowledge {
    /// Folders of the image that its tools change (compiled extensions,
    /// ini files, Apache's configuration).
    #[serde(rename = "image_dir")]
    pub image_dirs: Vec<PhpImageDir>,
    /// System packages only the build uses (Composer's unzip, the
    /// compilers `$PHPIZE_DEPS` names): left in the builder unless a
    /// runtime command runs one of `build_only_programs`.
    pub build_only_packages: Vec<String>,
    pub build_only_programs: Vec<String>,
    /// Installers that pick and remove system packages themselves.
    pub self_managing_installers: Vec<String>,
    /// Tag parts of variants whose server binds port 80 (`apache`).
    pub privileged_port_variants: Vec<String>,
    /// Images whose tag does not name the PHP version inside (`composer`).
    pub unversioned_images: Vec<String>,
    /// The WORKDIR the php images set, where a file that sets none runs.
    pub image_workdir: String,
}

/// A folder the runtime copies whole when a RUN runs one of `programs`
/// (command prefixes), or names the folder or one of its `env` variables.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhpImageDir {
    pub path: String,
    #[serde(default)]
    pub env: Vec<String>,
    #[serde(default)]
    pub programs: Vec<String>,
    /// Why the runtime needs it.
    pub why: String,
}

/// What the Java analysis knows (`java.toml`'s `[java]`): how tags name
/// the JDK, which JREs exist, what Maven goals and Gradle tasks make.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JavaRules {
    /// Java versions eclipse-temurin publishes a JRE image for.
    pub jre_versions: Vec<u32>,
    /// Java versions eclipse-temurin publishes an Alpine JRE image for.
    pub jre_alpine_versions: Vec<u32>,
    /// Images whose tag starts with the Java version (`openjdk:17-jdk-slim`).
    pub version_first_images: Vec<String>,
    /// Tag words the Java version follows (`eclipse-temurin-17`) or is
    /// glued to (`jdk17`).
    pub version_words: Vec<String>,
    /// Ubuntu release names a tag may carry; the JRE keeps it.
    pub ubuntu_releases: Vec<String>,
    /// Leading tag words before the version of a version-first image
    /// (`ibm-semeru-runtimes:open-17-jdk`).
    pub version_prefixes: Vec<String>,
    /// Images and tag words of an OpenJ9 JDK (IBM Semeru, AdoptOpenJDK's
    /// OpenJ9 builds): their JRE is IBM Semeru's, not HotSpot.
    pub openj9_images: Vec<String>,
    pub openj9_words: Vec<String>,
    /// Java versions IBM Semeru publishes a JRE image for.
    pub semeru_jre_versions: Vec<u32>,
    /// Tag words of JDKs whose JVM msb has no runtime for (IBM J9).
    pub unsupported_jvm_words: Vec<String>,
    /// Where the JRE images keep Java (`JAVA_HOME`).
    pub jre_java_home: String,
    /// Where a distribution's JDK and JRE packages keep Java (the same
    /// `JAVA_HOME` for both).
    pub distro_jvm_dir: String,
    /// Programs of a JDK that its JRE does not have (`jcmd`, `jar`).
    pub jdk_only_tools: Vec<String>,
    /// Properties that set the port the app listens on (`server.port`),
    /// as `-D`/`--` options or as environment variables (`SERVER_PORT`).
    pub port_settings: Vec<String>,
    /// Programs that run Maven and Gradle (a wrapper's name included).
    pub maven_programs: Vec<String>,
    pub gradle_programs: Vec<String>,
    /// Maven goals and Gradle tasks that only fetch dependencies.
    pub maven_dep_goals: Vec<String>,
    pub gradle_dep_tasks: Vec<String>,
    /// Maven lifecycle phases that make the jar (`package` and later).
    pub maven_package_phases: Vec<String>,
    /// Maven plugins (artifactId) that leave more jars in `target/`.
    pub maven_extra_jar_plugins: Vec<String>,
    /// Gradle plugin ids of Spring Boot, Shadow and `application`.
    pub gradle_boot_plugins: Vec<String>,
    pub gradle_shadow_plugins: Vec<String>,
    pub gradle_application_plugins: Vec<String>,
    /// Quarkus' Maven plugin (artifactId) and Gradle plugin id: the app is
    /// the `quarkus-app/` folder `quarkus-run.jar` sits in.
    pub quarkus_plugins: Vec<String>,
    pub gradle_quarkus_plugins: Vec<String>,
    /// spring-boot-maven-plugin settings that change what `spring-boot:run`
    /// runs (which `java -jar` would not do).
    pub boot_run_settings: Vec<String>,
    /// System packages that only build Java (a JDK, Maven, Gradle).
    pub build_packages: Vec<String>,
    /// The name msb gives a jar it copies by glob.
    pub fixed_jar_name: String,
    /// Servlet container images (a war deployed into them).
    pub servlet_images: Vec<String>,
}

/// What the .NET analysis knows (`dotnet.toml`'s `[dotnet]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DotnetRules {
    /// SDK images (full names), whose tag the runtime images share.
    pub sdk_images: Vec<String>,
    /// Retired images msb does not migrate (their runtime is another
    /// repository: `microsoft/aspnetcore-build` → `microsoft/aspnetcore`).
    pub retired_images: Vec<String>,
    /// Retired SDK repositories whose retired runtime images msb names,
    /// by image name (`mcr.microsoft.com/dotnet/core/sdk`).
    #[serde(default)]
    pub retired: BTreeMap<String, RetiredSdk>,
    /// The first .NET version whose SDK images leave Kestrel's address
    /// unset (localhost:5000); msb does not know older ones' address.
    pub sdk_address_known_since: String,
    /// Project SDKs of ASP.NET Core apps.
    pub web_sdks: Vec<String>,
    /// Package name prefixes that bring the ASP.NET Core shared framework.
    pub web_packages: Vec<String>,
    /// Dot-separated parts of a package name that say the same
    /// (`Serilog.AspNetCore`).
    pub web_package_parts: Vec<String>,
    /// The first .NET version whose images have the `app` user and listen
    /// on 8080 (ASPNETCORE_HTTP_PORTS); older SDK images unset
    /// ASPNETCORE_URLS, which their runtime images set to port 80.
    pub app_user_since: u32,
    /// Where msb publishes when it adds a publish step for `dotnet run`
    /// (relative to the project folder).
    pub publish_dir: String,
    /// Packages the Alpine SDK image has and its runtime images lack
    /// (ICU, time zones), with what the app uses them for.
    pub alpine_sdk_packages: BTreeMap<String, String>,
}

/// A retired .NET SDK repository and where the runtime images of its
/// .NET line are (`dotnet.toml`'s `[dotnet.retired."IMAGE"]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetiredSdk {
    /// The `runtime_base` key of each kind of runtime the analysis picks
    /// (`aspnet`, `runtime`, `runtime_deps`).
    pub bases: BTreeMap<String, String>,
    /// The word of the SDK's tag that names the SDK (`2.1-sdk-alpine`),
    /// when the repository holds the runtimes too.
    #[serde(default)]
    pub sdk_word: Option<String>,
    /// The OS variants of the SDK's tags (globs) and the runtime images'
    /// name for the same OS (`{variant}`: as written).
    #[serde(default)]
    pub variants: BTreeMap<String, String>,
    /// The first .NET version (major.minor) whose runtime images msb
    /// names.
    pub min_version: String,
    /// What the user is told: when and why support ended.
    pub support: String,
}

/// What msb knows about cargo builds (`rust.toml`, `[cargo]`).
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct CargoKnowledge {
    /// CARGO_HOME of builder images that set it, by image name.
    pub image_cargo_home: BTreeMap<String, String>,
    /// CARGO_HOME in other images (root's `~/.cargo`).
    pub default_cargo_home: String,
    /// Target triple globs whose binaries are static musl binaries.
    pub static_targets: Vec<String>,
    /// Packages that are a distribution's own Rust toolchain.
    pub distro_rust_packages: Vec<String>,
    /// What binaries of a distribution's own Rust load at run time.
    pub distro_rust_runtime: SystemLibs,
    /// Debian releases past their end of life.
    pub eol_debian_releases: Vec<String>,
    /// Crates that read the system's CA certificates at run time.
    pub tls_root_crates: Vec<String>,
    /// The package with the CA certificates (Debian).
    pub ca_certificates: String,
    /// Crates that link a system library, by crate name.
    pub crate_libs: BTreeMap<String, CrateLib>,
    /// Binaries of crates.io tools whose names are not the crate's (or
    /// the crate's without `-cli`).
    #[serde(default)]
    pub tool_binaries: BTreeMap<String, Vec<String>>,
}

/// What msb knows about Go builds (`go.toml`, `[go]`).
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct GoKnowledge {
    /// Programs that rebuild and restart the app with the Go toolchain
    /// while it runs (live reload): a container that runs one needs the
    /// toolchain.
    #[serde(default)]
    pub dev_runners: Vec<String>,
    /// The last Go 1.x minor whose `go get PKG` also builds and installs
    /// PKG's binary (1.18 made it only edit go.mod).
    #[serde(default)]
    pub get_installs_until: Option<u32>,
}

/// A crate that links a system library: the `-dev` package per family
/// whose runtime library the binary loads.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrateLib {
    #[serde(default)]
    pub debian: Option<String>,
    #[serde(default)]
    pub alpine: Option<String>,
    /// Crates whose presence means the library is compiled in.
    #[serde(default)]
    pub built_in_with: Vec<String>,
}

/// All packs, checked.
#[derive(Debug, Clone)]
pub struct Knowledge {
    pub images: ImagesPack,
    pub packages: PackagesPack,
    pub commands: CommandsPack,
    pub languages: Vec<LanguagePack>,
    /// `image_facts` answers already found (`images.images` is not
    /// changed after loading).
    image_memo: ImageMemo,
}

/// Which `images.toml` entry (by index) each `name:tag` asked about
/// matched: a fleet run asks about the same few images thousands of
/// times, and each first answer tries the patterns one by one. A copy of
/// the knowledge starts empty.
#[derive(Default)]
struct ImageMemo(std::sync::Mutex<std::collections::HashMap<String, Option<usize>>>);

impl Clone for ImageMemo {
    fn clone(&self) -> Self {
        ImageMemo::default()
    }
}

impl std::fmt::Debug for ImageMemo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ImageMemo")
    }
}

fn load<T: serde::de::DeserializeOwned>(name: &str, text: &str) -> Result<T, MsbError> {
    toml::from_str(text).map_err(|e| MsbError::Pack {
        pack: name.to_string(),
        reason: e.to_string().trim_end().replace('\n', " "),
    })
}

/// A pack, read from its JSON when it is `builtin` (the text of
/// `BUILTIN_PACKS`, not a file of `--transforms DIR`), and from its TOML
/// when not, or when the JSON does not read: an error is the TOML
/// parser's, with the pack's name and line.
fn load_pack<T: serde::de::DeserializeOwned>(
    name: &str,
    text: &str,
    builtin: bool,
) -> Result<T, MsbError> {
    if builtin
        && let Some((_, json)) = BUILTIN_JSON.iter().find(|(n, _)| *n == name)
        && let Ok(pack) = serde_json::from_str(json)
    {
        return Ok(pack);
    }
    load(name, text)
}

impl Knowledge {
    pub fn builtin() -> Result<Knowledge, MsbError> {
        Self::from_packs(
            BUILTIN_PACKS
                .iter()
                .map(|(n, t)| (n.to_string(), Cow::Borrowed(*t)))
                .collect(),
        )
    }

    /// Built-in packs with the `*.toml` files of `dir` added or replacing
    /// the built-in pack of the same name.
    pub fn with_overrides(dir: &Path) -> Result<Knowledge, MsbError> {
        let mut packs: Vec<(String, Cow<'static, str>)> = BUILTIN_PACKS
            .iter()
            .map(|(n, t)| (n.to_string(), Cow::Borrowed(*t)))
            .collect();
        let entries = std::fs::read_dir(dir).map_err(|e| MsbError::Io {
            path: dir.to_path_buf(),
            reason: crate::source::describe_io(&e),
        })?;
        let mut files: Vec<_> = entries
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        files.sort();
        for path in files {
            let text = std::fs::read_to_string(&path).map_err(|e| MsbError::Io {
                path: path.clone(),
                reason: crate::source::describe_io(&e),
            })?;
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            let shown = path.display().to_string();
            match packs.iter_mut().find(|(n, _)| *n == name) {
                Some(slot) => *slot = (shown, Cow::Owned(text)),
                None => packs.push((shown, Cow::Owned(text))),
            }
        }
        Self::from_packs(packs)
    }

    fn from_packs(packs: Vec<(String, Cow<'static, str>)>) -> Result<Knowledge, MsbError> {
        let mut images = None;
        let mut packages = None;
        let mut commands = None;
        let mut languages = Vec::new();
        for (name, text) in &packs {
            // `Cow::Borrowed`: a built-in pack's own text.
            let builtin = matches!(text, Cow::Borrowed(_));
            let file = Path::new(name)
                .file_name()
                .map(|f| f.to_string_lossy().to_string())
                .unwrap_or_default();
            match file.as_str() {
                "images.toml" => images = Some(load_pack::<ImagesPack>(name, text, builtin)?),
                "packages.toml" => packages = Some(load_pack::<PackagesPack>(name, text, builtin)?),
                "commands.toml" => commands = Some(load_pack::<CommandsPack>(name, text, builtin)?),
                _ => {
                    let pack: LanguagePack = load_pack(name, text, builtin)?;
                    validate_language(name, &pack)?;
                    languages.retain(|l: &LanguagePack| l.id != pack.id);
                    languages.push(pack);
                }
            }
        }
        let missing = |what: &str| MsbError::Pack {
            pack: what.to_string(),
            reason: "missing".into(),
        };
        Ok(Knowledge {
            images: images.ok_or_else(|| missing("images.toml"))?,
            packages: packages.ok_or_else(|| missing("packages.toml"))?,
            commands: commands.ok_or_else(|| missing("commands.toml"))?,
            languages,
            image_memo: ImageMemo::default(),
        })
    }

    pub fn language(&self, id: &str) -> Option<&LanguagePack> {
        self.languages.iter().find(|l| l.id == id)
    }

    /// The first `images.toml` entry matching `name:tag`; an image from a
    /// mirror (`registry.example.com/library/python`) is matched by its
    /// last name part when its full name matches nothing.
    pub fn image_facts(&self, name: &str, tag: &str) -> Option<&ImageFacts> {
        let full = format!("{}:{tag}", self.official_name(name));
        let known = self
            .image_memo
            .0
            .lock()
            .ok()
            .and_then(|m| m.get(&full).copied());
        let index = match known {
            Some(index) => index,
            None => {
                let index = self
                    .images
                    .images
                    .iter()
                    .position(|f| glob_match(&f.pattern, &full));
                if let Ok(mut m) = self.image_memo.0.lock() {
                    m.insert(full, index);
                }
                index
            }
        };
        index.map(|i| &self.images.images[i])
    }

    /// The name of an image without a registry that serves Docker Hub's
    /// official images (`mirror.gcr.io/library/python` → `python`); any
    /// other name as it is.
    pub fn official_name<'a>(&self, name: &'a str) -> &'a str {
        self.images
            .hub_mirrors
            .iter()
            .find_map(|m| name.strip_prefix(m.as_str())?.strip_prefix('/'))
            .map(|rest| rest.strip_prefix("library/").unwrap_or(rest))
            .unwrap_or(name)
    }

    /// Whether msb knows this image's tags: it may name it in a FROM.
    pub fn knows_image(&self, image: &str) -> bool {
        let (name, tag) = split_image(image);
        self.image_facts(name, tag).is_some()
    }

    pub fn family_packages(&self, family: Family) -> Option<&FamilyPackages> {
        match family {
            Family::Debian => Some(&self.packages.debian),
            Family::Alpine => Some(&self.packages.alpine),
            _ => None,
        }
    }
}

/// The names a language planner asks for must exist in its pack: checked
/// at load time so a user pack with a missing base fails with its name.
fn validate_language(name: &str, pack: &LanguagePack) -> Result<(), MsbError> {
    let required: &[&str] = match pack.id.as_str() {
        "python" => &["debian", "alpine"],
        "go" => &["static", "glibc", "debian", "alpine"],
        "ruby" => &["debian", "alpine"],
        "php" => &["same"],
        "java" => &["jre", "jre_alpine"],
        "dotnet" => &["aspnet", "runtime", "runtime_deps"],
        "rust" => &["debian", "alpine", "builder_alpine", "builder_image"],
        "node" => &["debian", "alpine"],
        _ => &[],
    };
    // Ruby, PHP, Java, .NET and Rust read their own table of facts.
    let missing_table = match pack.id.as_str() {
        "ruby" if pack.ruby.is_none() => Some("[ruby]"),
        "php" if pack.php.is_none() => Some("[php]"),
        "java" if pack.java.is_none() => Some("[java]"),
        "dotnet" if pack.dotnet.is_none() => Some("[dotnet]"),
        "rust" if pack.cargo.is_none() => Some("[cargo]"),
        _ => None,
    };
    if let Some(rules) = &pack.dotnet {
        for (image, retired) in &rules.retired {
            if let Some(key) = retired
                .bases
                .values()
                .find(|k| !pack.runtime_base.contains_key(*k))
            {
                return Err(MsbError::Pack {
                    pack: name.to_string(),
                    reason: format!(
                        "[dotnet.retired.\"{image}\"] names runtime_base.{key}, which is missing"
                    ),
                });
            }
        }
    }
    if let Some(table) = missing_table {
        return Err(MsbError::Pack {
            pack: name.to_string(),
            reason: format!("{table} is missing"),
        });
    }
    for key in required {
        if !pack.runtime_base.contains_key(*key) {
            return Err(MsbError::Pack {
                pack: name.to_string(),
                reason: format!("runtime_base.{key} is missing"),
            });
        }
    }
    if pack.id == "node" && pack.node.is_none() {
        return Err(MsbError::Pack {
            pack: name.to_string(),
            reason: "[node] is missing".into(),
        });
    }
    Ok(())
}

/// `*` matches any run of characters (including none), `?` any one
/// character; everything else is literal.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    // Most patterns asked about a name start with a literal that is not
    // its first character (`requirements*.txt` and `Dockerfile`).
    if let Some(&first) = pattern.as_bytes().first()
        && first.is_ascii()
        && first != b'*'
        && first != b'?'
        && text.as_bytes().first() != Some(&first)
    {
        return false;
    }
    // Image names and file names are ASCII: match bytes without copying;
    // anything else is matched character by character.
    if pattern.is_ascii() && text.is_ascii() {
        return glob_match_units(pattern.as_bytes(), text.as_bytes(), b'*', b'?');
    }
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    glob_match_units(&p, &t, '*', '?')
}

fn glob_match_units<T: PartialEq + Copy>(p: &[T], t: &[T], any_run: T, any_one: T) -> bool {
    let (mut pi, mut ti) = (0, 0);
    // Where the last `*` was, and the text position it matched up to.
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == any_one || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == any_run {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == any_run)
}

/// `name:tag` without a digest; `latest` when no tag is given. A colon in
/// the registry part (`host:5000/app`) is not a tag.
pub fn split_image(image: &str) -> (&str, &str) {
    let image = image.split('@').next().unwrap_or(image);
    match image.rsplit_once(':') {
        Some((name, tag)) if !tag.contains('/') => (name, tag),
        _ => (image, "latest"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_listed_repositories_are_images_msb_may_name() {
        let k = Knowledge::builtin().unwrap();
        for known in [
            "python:3.12-slim",
            "docker.io/library/python:3.12-slim",
            "mirror.gcr.io/library/node:20-slim",
            "public.ecr.aws/docker/library/eclipse-temurin:17-jre",
            "gcr.io/distroless/static-debian12:nonroot",
            "mcr.microsoft.com/dotnet/aspnet:8.0",
        ] {
            assert!(k.knows_image(known), "{known}");
        }
        // A vendor's image of the same last name is another image.
        for unknown in [
            "gcr.io/google_appengine/python:slim",
            "gcr.io/google_appengine/ruby:slim",
            "registry.example.com/platform/python:3.12-slim",
            "ghcr.io/acme/node:20-slim",
        ] {
            assert!(!k.knows_image(unknown), "{unknown}");
        }
        assert_eq!(
            split_image("registry:5000/app"),
            ("registry:5000/app", "latest")
        );
        assert_eq!(split_image("python:3.12@sha256:ab"), ("python", "3.12"));
    }

    #[test]
    fn builtin_packs_load() {
        let k = Knowledge::builtin().unwrap();
        assert!(k.language("python").is_some());
        assert!(k.language("go").is_some());
        assert!(k.language("ruby").is_some_and(|l| l.ruby.is_some()));
        assert!(k.language("php").is_some_and(|l| l.php.is_some()));
        assert!(k.language("java").is_some_and(|l| l.java.is_some()));
        assert!(k.language("dotnet").is_some_and(|l| l.dotnet.is_some()));
        assert!(k.language("rust").is_some_and(|r| r.cargo.is_some()));
        assert!(k.language("node").is_some_and(|n| n.node.is_some()));
    }

    /// The fast path is taken: every built-in pack reads from its JSON
    /// (a JSON that did not read would fall back to the TOML, slowly).
    #[test]
    fn builtin_packs_read_from_their_json() {
        assert_eq!(BUILTIN_JSON.len(), BUILTIN_PACKS.len());
        for (name, _) in BUILTIN_PACKS {
            let (_, json) = BUILTIN_JSON.iter().find(|(n, _)| n == name).unwrap();
            let read = match *name {
                "images.toml" => serde_json::from_str::<ImagesPack>(json).map(|_| ()),
                "packages.toml" => serde_json::from_str::<PackagesPack>(json).map(|_| ()),
                "commands.toml" => serde_json::from_str::<CommandsPack>(json).map(|_| ()),
                _ => serde_json::from_str::<LanguagePack>(json).map(|_| ()),
            };
            assert!(read.is_ok(), "{name}: {read:?}");
        }
    }

    #[test]
    fn every_pack_file_is_listed() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("transforms");
        for entry in std::fs::read_dir(dir).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().to_string();
            if name.ends_with(".toml") {
                assert!(
                    BUILTIN_PACKS.iter().any(|(n, _)| *n == name),
                    "transforms/{name} is not in BUILTIN_PACKS"
                );
            }
        }
    }

    #[test]
    fn unknown_keys_are_rejected_with_the_pack_name() {
        let text = BUILTIN_PACKS[3]
            .1
            .replace("[detect]", "[detect]\nimagez = []");
        let err = load::<LanguagePack>("python.toml", &text)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("python.toml: "), "{err}");
        assert!(err.contains("imagez"), "{err}");
    }

    #[test]
    fn globs() {
        assert!(glob_match("python:*slim*", "python:3.12-slim-bookworm"));
        assert!(glob_match("golang:*", "golang:"));
        assert!(!glob_match("python:*alpine*", "python:3.12"));
        assert!(glob_match("scratch", "scratch"));
        assert!(glob_match("a*b*c", "abc"));
        assert!(!glob_match("a*b*c", "acb"));
        assert!(glob_match("golang:1.1?-*", "golang:1.19-alpine"));
        assert!(!glob_match("golang:1.1?", "golang:1.21"));
    }
}
