//! .NET with the SDK image: which folder `dotnet publish` (or `dotnet build
//! -o`) fills, which the ENTRYPOINT runs from (`dotnet out/App.dll`, or the
//! app's own executable), and which runtime image runs it: `aspnet` for an
//! ASP.NET Core project, `runtime` for any other, `runtime-deps` for a
//! self-contained app, all with the SDK's own tag (`8.0-alpine` stays
//! Alpine).
//!
//! The project files (`*.csproj`) say whether the app is a web app; when
//! msb cannot tell, it picks `aspnet`, which also runs console apps.
//! `dotnet run` is rewritten to `dotnet App.dll` on what a publish made;
//! when none did, msb adds the publish, which only `--unsafe` applies.

mod project;
mod publish;
mod retired;
mod runtime;

use std::collections::BTreeMap;

use crate::analyse::entry::{self, Launch, Step};
use crate::analyse::image::BaseImage;
use crate::analyse::{Analysis, BuilderAddition, RuntimeChoice, absolute, is_under};
use crate::knowledge::{DotnetRules, Knowledge, LanguagePack, RetiredSdk, glob_match};
use crate::parse::Dockerfile;
use crate::source::BuildContext;
use project::{PROJECT_EXTENSIONS, Project, needs_aspnet, read_project, solution_projects};
use publish::{Publish, major_version, read_publish, runtime_tag};
use retired::{RuntimeTag, retired_tag};

struct Dotnet<'a> {
    file: &'a Dockerfile,
    context: &'a BuildContext,
    pack: &'a LanguagePack,
    rules: &'a DotnetRules,
    publishes: Vec<Publish>,
    /// The SDK's major version (None for `latest`).
    major: Option<u32>,
    /// The app's project sets InvariantGlobalization (learnt while
    /// placing it).
    invariant_globalization: std::cell::Cell<bool>,
}

pub fn analyse(
    file: &Dockerfile,
    context: &BuildContext,
    pack: &LanguagePack,
    k: &Knowledge,
    a: &mut Analysis,
) {
    let rules = pack
        .dotnet
        .as_ref()
        .expect("dotnet.toml has [dotnet] (validated)");
    let Some(builder) = a.builder.clone() else {
        return;
    };
    let Some(sdk) = sdk_image(file, &builder, rules, a) else {
        return;
    };
    let mut dotnet = Dotnet {
        file,
        context,
        pack,
        rules,
        publishes: Vec::new(),
        major: major_version(&sdk.resolved),
        invariant_globalization: std::cell::Cell::new(false),
    };
    for rc in &a.run_commands {
        if let Some(p) = read_publish(&rc.command, &rc.cwd, file.instructions[rc.index].line) {
            dotnet.publishes.push(p);
        }
    }
    let Some(launch) = entry::read(file, context, k, a, &[]) else {
        a.block(
            file.instructions[a.last_build_index].line,
            "no ENTRYPOINT or CMD: cannot tell which app the runtime runs",
        );
        return;
    };
    entry::copy_launch_script(&launch, a);
    let Some((key, why)) = dotnet.app_kind(&launch, k, a) else {
        return;
    };
    if !dotnet.choose_runtime(&builder, &sdk, &launch, key, why, a) {
        return;
    }
    dotnet.runtime_files(a);
    if key != "runtime" {
        dotnet.keep_listening_address(a);
    }
    dotnet.privileged_ports(&launch, a);
    if builder.family == crate::knowledge::Family::Alpine {
        dotnet.keep_alpine_globalization(&builder.written, a);
    }
}

/// The SDK image the build is on: its runtime images' tag, and the
/// retired repository it is in, if it is.
struct SdkImage<'r> {
    retired: Option<&'r RetiredSdk>,
    tags: RuntimeTag,
    /// The SDK's tag with build arguments resolved.
    resolved: String,
}

/// Check that the builder is a .NET SDK image msb knows the runtime images
/// of, and read their tag; None (the file blocked) when it is not.
fn sdk_image<'r>(
    file: &Dockerfile,
    builder: &BaseImage,
    rules: &'r DotnetRules,
    a: &mut Analysis,
) -> Option<SdkImage<'r>> {
    let from = crate::analyse::from_line(file);
    if rules.retired_images.contains(&builder.name) {
        a.block(
            from,
            format!(
                "{} is a retired .NET Core image (out of support) whose runtime is another repository: msb does not choose a runtime for it",
                builder.written
            ),
        );
        return None;
    }
    let retired = rules.retired.get(&builder.name);
    // A mirror keeps the `dotnet/sdk` path.
    let sdk_image = retired.is_some()
        || rules.sdk_images.contains(&builder.name)
        || builder.base_name == "sdk" && builder.repository.ends_with("dotnet/sdk");
    if !sdk_image {
        a.block(
            from,
            format!(
                "{} is not a .NET SDK image: msb cannot tell which runtime image matches it",
                builder.written
            ),
        );
        return None;
    }
    // Azure Linux and CBL-Mariner variants install with tdnf: the final
    // stage could get neither the packages (curl for a HEALTHCHECK) nor
    // the folders the non-root user writes to.
    if builder.family == crate::knowledge::Family::Other {
        a.block_unless_unsafe(
            from,
            format!(
                "{} installs packages with tdnf (Azure Linux, CBL-Mariner): msb cannot add to its runtime image the packages or the writable folders the app may need",
                builder.written
            ),
        );
    }
    let resolved = crate::analyse::java::resolved_tag(&builder.resolved);
    let tags = match retired {
        Some(r) => retired_tag(&builder.tag, &resolved, r).map_err(|why| {
            format!(
                "{} is a retired .NET Core image (out of support): {why}",
                builder.written
            )
        }),
        None => runtime_tag(&builder.tag, &resolved)
            .map(|tag| RuntimeTag {
                version: tag,
                variant: String::new(),
            })
            .ok_or_else(|| format!("{}: the SDK version comes from a build argument whose default is an SDK release, not a runtime tag", builder.written)),
    };
    match tags {
        Ok(tags) => Some(SdkImage {
            retired,
            tags,
            resolved,
        }),
        Err(why) => {
            a.block(from, why);
            None
        }
    }
}

impl Dotnet<'_> {
    /// Which kind of runtime the app the command starts needs (`aspnet`,
    /// `runtime`, `runtime_deps`), with why; None (the file blocked) when
    /// it starts something else.
    fn app_kind(
        &self,
        launch: &Launch,
        k: &Knowledge,
        a: &mut Analysis,
    ) -> Option<(&'static str, String)> {
        let mut kind: Option<(&str, String)> = None;
        for step in &launch.steps {
            let program = step.command.program().to_string();
            let words = &step.command.words;
            let found = if program == "dotnet" {
                match words.get(1).map(String::as_str) {
                    Some("run") => self.rewrite_run(launch, step, a),
                    Some(dll) if dll.ends_with(".dll") => {
                        self.place_app(launch, step, dll, false, a)
                    }
                    _ => {
                        a.block(
                            launch.line,
                            format!(
                                "{} runs `{}`: the .NET SDK is not in the final stage",
                                launch.keyword,
                                words.join(" ")
                            ),
                        );
                        return None;
                    }
                }
            } else if let Some(script) = entry::nested_script(step, a, self.context) {
                a.block(launch.line, entry::nested_script_reason(launch, &script));
                return None;
            } else if words[0].contains('/')
                && launch
                    .script
                    .as_ref()
                    .is_none_or(|(_, p)| *p != absolute(&step.cwd, &words[0]))
            {
                self.place_app(launch, step, &words[0].clone(), true, a)
            } else if entry::is_harmless(&program, k) {
                continue;
            } else {
                a.block(
                    launch.line,
                    format!(
                        "{} runs `{program}`, which is not an app the build publishes: cannot tell what the runtime needs",
                        launch.keyword
                    ),
                );
                return None;
            };
            kind = Some(found?);
        }
        if kind.is_none() {
            a.block(
                launch.line,
                format!(
                    "{} runs no .NET app: cannot tell what the runtime needs",
                    launch.keyword
                ),
            );
        }
        kind
    }

    /// Name the runtime image of the app's kind; for a retired SDK, warn
    /// that it is out of support. False (the file blocked) when msb cannot
    /// tell where a retired SDK's app listened.
    fn choose_runtime(
        &self,
        builder: &BaseImage,
        sdk: &SdkImage,
        launch: &Launch,
        key: &str,
        why: String,
        a: &mut Analysis,
    ) -> bool {
        let rules = self.rules;
        if let Some(r) = sdk.retired {
            let known_since = &rules.sdk_address_known_since;
            let old_sdk =
                retired::line_of(&sdk.resolved).is_some_and(|v| retired::older(&v, known_since));
            if key != "runtime" && old_sdk && !self.sets_own_address(launch, a) {
                a.block(
                    crate::analyse::from_line(self.file),
                    format!(
                        "{} is a retired .NET Core image, and msb does not know which address Kestrel listens on in its SDK images before {known_since}: the file sets none (ASPNETCORE_URLS or --urls)",
                        builder.written
                    ),
                );
                return false;
            }
            a.warnings.push(format!(
                "{} is a retired image: {}. The final stage keeps the same .NET Core line on its retired runtime image; moving to a supported .NET is a change of the app",
                builder.written, r.support
            ));
        }
        let repo = builder
            .repository
            .strip_suffix("/sdk")
            .unwrap_or(&builder.repository)
            .to_string();
        let mut vars = BTreeMap::new();
        vars.insert("dotnet_repo".to_string(), repo);
        vars.insert("dotnet_tag".to_string(), sdk.tags.tag());
        vars.insert("dotnet_version".to_string(), sdk.tags.version.clone());
        vars.insert("dotnet_variant".to_string(), sdk.tags.variant.clone());
        let base_key = sdk
            .retired
            .and_then(|r| r.bases.get(key))
            .map_or(key, String::as_str);
        a.runtime_choice = Some(RuntimeChoice {
            key: base_key.to_string(),
            vars,
            why: format!(" ({why})"),
        });
        true
    }
}

impl Dotnet<'_> {
    /// The projects a publish builds (a solution's projects, or the one
    /// in its folder), as context paths.
    fn projects_of(&self, p: &Publish, a: &Analysis) -> Vec<Project> {
        let mut paths: Vec<String> = Vec::new();
        let target = &p.target;
        if let Some(rel) = entry::context_path(a, target, self.context) {
            if PROJECT_EXTENSIONS.iter().any(|e| rel.ends_with(e)) {
                paths.push(rel);
            } else if rel.ends_with(".sln") {
                let dir = rel.rsplit_once('/').map_or("", |(d, _)| d);
                if let Some(text) = self.context.read_small(&rel) {
                    paths.extend(solution_projects(&text).into_iter().map(|p| {
                        if dir.is_empty() {
                            p
                        } else {
                            format!("{dir}/{p}")
                        }
                    }));
                }
            } else if self.context.is_dir(&rel) {
                let prefix = if rel.is_empty() || rel == "." {
                    String::new()
                } else {
                    format!("{}/", rel.trim_end_matches('/'))
                };
                for name in self.context.list(&rel) {
                    let is_project = PROJECT_EXTENSIONS.iter().any(|e| name.ends_with(e));
                    if is_project || name.ends_with(".sln") && paths.is_empty() {
                        if is_project {
                            paths.push(format!("{prefix}{name}"));
                        } else if let Some(text) =
                            self.context.read_small(&format!("{prefix}{name}"))
                        {
                            paths.extend(
                                solution_projects(&text)
                                    .into_iter()
                                    .map(|p| format!("{prefix}{p}")),
                            );
                        }
                    }
                }
            }
        }
        paths
            .iter()
            .filter_map(|path| {
                let text = self.context.read_small(path)?;
                read_project(path, &text, self.rules)
            })
            .collect()
    }

    /// The folders in the image of the projects a publish builds: the
    /// project's, the folder named, and each project of a solution (which
    /// publishes under its own `bin/` without `-o`).
    fn project_dirs(&self, p: &Publish, a: &Analysis) -> Vec<String> {
        let target = p.target.trim_end_matches('/');
        let parent = target.rsplit_once('/').map_or("/", |(d, _)| d).to_string();
        if PROJECT_EXTENSIONS.iter().any(|e| target.ends_with(e)) {
            return vec![parent];
        }
        let (image_dir, solutions) = if target.ends_with(".sln") {
            (parent, vec![target.to_string()])
        } else {
            let listed = entry::context_path(a, target, self.context)
                .map(|rel| self.context.list(&rel))
                .unwrap_or_default();
            let slns = listed
                .into_iter()
                .filter(|n| n.ends_with(".sln"))
                .map(|n| format!("{target}/{n}"))
                .collect();
            (target.to_string(), slns)
        };
        let mut dirs = vec![image_dir.clone()];
        for sln in solutions {
            let Some(text) = entry::context_path(a, &sln, self.context)
                .and_then(|rel| self.context.read_small(&rel))
            else {
                continue;
            };
            for project in solution_projects(&text) {
                if let Some((dir, _)) = project.rsplit_once('/') {
                    dirs.push(absolute(&image_dir, dir));
                }
            }
        }
        dirs
    }

    /// `dotnet out/App.dll` or `./App`: copy the folder it runs from, and
    /// say which runtime image runs it.
    fn place_app(
        &self,
        launch: &Launch,
        step: &Step,
        program: &str,
        apphost: bool,
        a: &mut Analysis,
    ) -> Option<(&'static str, String)> {
        let line = launch.line;
        let kw = launch.keyword;
        let program = crate::analyse::image::expand_known(program, &a.env);
        if program.contains('$') {
            a.block(
                line,
                format!("{kw} runs {program}, a variable msb cannot resolve"),
            );
            return None;
        }
        let path = absolute(&step.cwd, &program);
        let (dir, file) = path.rsplit_once('/').unwrap_or(("/", path.as_str()));
        let dir = if dir.is_empty() { "/" } else { dir };
        let assembly = file.strip_suffix(".dll").unwrap_or(file);
        let publish = self.publishes.iter().rev().find(|p| match &p.output {
            Some(out) => out == dir,
            None => self
                .project_dirs(p, a)
                .iter()
                .any(|d| is_under(dir, &format!("{}/bin", d.trim_end_matches('/')))),
        });
        let Some(publish) = publish else {
            a.block(
                line,
                format!("{kw} runs {program}, which msb cannot find `dotnet publish` (or `dotnet build -o`) making"),
            );
            return None;
        };
        a.add_artefact(
            publish.line,
            dir,
            dir,
            format!(
                "line {}: dotnet {} puts {file} and what it loads here",
                publish.line,
                if publish.output.is_some() {
                    "publish -o"
                } else {
                    "publish"
                }
            ),
            false,
        );
        self.content_root(step, dir, a);
        let projects = self.projects_of(publish, a);
        let project = projects
            .iter()
            .find(|p| p.assembly == assembly)
            .or(if projects.len() == 1 {
                projects.first()
            } else {
                None
            });
        self.invariant_globalization
            .set(project.is_some_and(|p| p.invariant_globalization));
        let self_contained = publish
            .self_contained
            .unwrap_or(project.is_some_and(|p| p.self_contained));
        if apphost && self_contained {
            return Some((
                "runtime_deps",
                format!("line {}: a self-contained publish", publish.line),
            ));
        }
        let web = project.and_then(|p| needs_aspnet(p, self.context, self.rules, 0));
        Some(match (web, project) {
            (Some(false), Some(p)) => ("runtime", format!("{} is not a web project", p.path)),
            (Some(true), Some(p)) => ("aspnet", self.web_why(p)),
            _ => (
                "aspnet",
                format!("msb cannot read the project of {file}; aspnet also runs non-web apps"),
            ),
        })
    }

    /// Why the app needs ASP.NET Core: its SDK, or what it references.
    fn web_why(&self, p: &Project) -> String {
        if self.rules.web_sdks.contains(&p.sdk) {
            format!("{} is an ASP.NET Core project", p.path)
        } else {
            format!(
                "{} references ASP.NET Core (a framework, package or project reference)",
                p.path
            )
        }
    }

    /// Files a COPY brought that are not code (certificates, a config
    /// file, an entrypoint script): the app may read them at run time.
    fn runtime_files(&self, a: &mut Analysis) {
        let copies = a.copies.clone();
        for copy in copies.iter().filter(|c| !c.manifest_only) {
            let line = self.file.instructions[copy.index].line;
            for (src, root) in &copy.pairs {
                let s = entry::clean_source(src);
                if s.is_empty() || self.is_code(&s) || a.is_copied(root) {
                    continue;
                }
                let why = if s.contains("://") {
                    format!("line {line}: ADD downloads it")
                } else {
                    format!("line {line}: copied from the build context")
                };
                a.add_artefact(line, root, root, why, false);
            }
        }
    }

    /// Sources, project files and folders holding a project: compiled by
    /// the publish, never read at run time.
    fn is_code(&self, name: &str) -> bool {
        const CODE: &[&str] = &[
            ".cs", ".fs", ".vb", ".csproj", ".fsproj", ".vbproj", ".sln", ".props", ".targets",
            ".cshtml", ".razor", ".resx",
        ];
        let pack = self.pack;
        CODE.iter().any(|e| name.ends_with(e))
            || name.contains('*')
            || pack.steps.dep_manifests.iter().any(|g| glob_match(g, name))
            || self.context.list(name).iter().any(|f| {
                PROJECT_EXTENSIONS.iter().any(|e| f.ends_with(e))
                    || f.ends_with(".sln")
                    || self.context.is_dir(&format!("{name}/{f}"))
                        && self
                            .context
                            .list(&format!("{name}/{f}"))
                            .iter()
                            .any(|g| PROJECT_EXTENSIONS.iter().any(|e| g.ends_with(e)))
            })
    }

    /// ASP.NET Core and the generic host read appsettings*.json and
    /// wwwroot/ from the working folder (the content root): when the app
    /// runs from another folder than its publish folder, copy those too.
    fn content_root(&self, step: &Step, publish_dir: &str, a: &mut Analysis) {
        let cwd = step.cwd.trim_end_matches('/');
        if cwd == publish_dir.trim_end_matches('/') || a.is_copied(cwd) {
            return;
        }
        let Some(rel) = entry::context_path(a, cwd, self.context) else {
            return;
        };
        for name in self.context.list(&rel) {
            let inside = if rel.is_empty() || rel == "." {
                name.clone()
            } else {
                format!("{rel}/{name}")
            };
            let asset = (self.pack.runtime_asset_dirs.contains(&name)
                && self.context.is_dir(&inside))
                || (self
                    .pack
                    .runtime_asset_files
                    .iter()
                    .any(|g| glob_match(g, &name))
                    && self.context.is_file(&inside));
            if asset {
                let path = format!("{cwd}/{name}");
                a.add_artefact(
                    self.file.instructions[a.last_build_index].line,
                    &path,
                    &path,
                    format!("the app runs in {cwd}, its content root, and reads {name} there"),
                    false,
                );
            }
        }
    }

    /// `dotnet run` → `dotnet <publish>/App.dll`.
    fn rewrite_run(
        &self,
        launch: &Launch,
        step: &Step,
        a: &mut Analysis,
    ) -> Option<(&'static str, String)> {
        let line = launch.line;
        let kw = launch.keyword;
        let written = step.command.words.join(" ");
        if !launch.sole {
            a.block(
                line,
                format!("{kw} runs `{written}` among other commands: msb rewrites it only when it is the whole command"),
            );
            return None;
        }
        let mut project_arg: Option<String> = None;
        let mut configuration: Option<String> = None;
        let mut no_launch_profile = false;
        let mut app_args: Vec<String> = Vec::new();
        let mut args = step.command.args()[1..].iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--project" | "-p" => project_arg = args.next().cloned(),
                "-c" | "--configuration" => configuration = args.next().cloned(),
                "--no-build" | "--no-restore" => {}
                "--no-launch-profile" => no_launch_profile = true,
                "--" => {
                    app_args.extend(args.by_ref().cloned());
                }
                other => {
                    a.block(
                        line,
                        format!("{kw} runs `{written}`: msb does not carry `{other}` over to `dotnet App.dll`"),
                    );
                    return None;
                }
            }
        }
        let target = absolute(&step.cwd, project_arg.as_deref().unwrap_or("."));
        let project_dir = if PROJECT_EXTENSIONS.iter().any(|e| target.ends_with(e)) {
            target.rsplit_once('/').map_or("/", |(d, _)| d).to_string()
        } else {
            target.clone()
        };
        let probe = Publish {
            line,
            output: None,
            target: target.clone(),
            configuration: None,
            self_contained: None,
        };
        let projects = self.projects_of(&probe, a);
        let [project] = projects.as_slice() else {
            a.block(
                line,
                format!("{kw} runs `{written}`, and msb cannot read the one project it runs in {project_dir}"),
            );
            return None;
        };
        let launch_settings = format!(
            "{}Properties/launchSettings.json",
            project
                .path
                .rsplit_once('/')
                .map_or(String::new(), |(d, _)| format!("{d}/"))
        );
        let workdir = a.final_workdir.clone().unwrap_or_else(|| "/".into());
        let publish = self
            .publishes
            .iter()
            .rev()
            .find(|p| p.output.is_some() && (p.target == target || p.target == project_dir));
        let mut unsafe_reasons: Vec<String> = Vec::new();
        if !no_launch_profile && self.context.is_file(&launch_settings) {
            unsafe_reasons.push(format!(
                "`dotnet run` applies the profile of {launch_settings} (environment, URLs), which `dotnet App.dll` does not"
            ));
        }
        let (out, why) = match publish {
            Some(p) => (
                p.output.clone().unwrap_or_default(),
                format!("`{written}`, which runs what line {} published", p.line),
            ),
            None => {
                let out = absolute(&project_dir, &self.rules.publish_dir);
                let config = configuration.clone().unwrap_or_else(|| "Debug".into());
                let step_text = format!("dotnet publish {target} -c {config} -o {out}");
                a.builder_additions.push(BuilderAddition {
                    before: None,
                    lines: vec![("RUN".into(), step_text.clone())],
                    why: format!("publishes what `{written}` would have built at start-up, for `dotnet {}.dll`", project.assembly),
                });
                unsafe_reasons.push(format!(
                    "the build publishes nothing; --unsafe adds `RUN {step_text}` and runs `dotnet {}.dll`",
                    project.assembly
                ));
                (
                    out,
                    format!("`{written}`; msb adds `RUN {step_text}` to the build"),
                )
            }
        };
        let needs_unsafe = !unsafe_reasons.is_empty();
        for reason in unsafe_reasons {
            a.block_unless_unsafe(line, format!("{kw} runs `{written}`: {reason}"));
        }
        let dll = format!("{}/{}.dll", out.trim_end_matches('/'), project.assembly);
        let relative = entry::path_from_workdir(&dll, &workdir);
        let mut words = vec!["dotnet".to_string(), relative];
        words.extend(app_args);
        a.add_artefact(
            publish.map_or(line, |p| p.line),
            &out,
            &out,
            format!("line {line}: the app `{written}` runs, published"),
            false,
        );
        entry::rewrite_launch(a, launch, &words, why, needs_unsafe);
        self.content_root(step, &out, a);
        self.invariant_globalization
            .set(project.invariant_globalization);
        let web = needs_aspnet(project, self.context, self.rules, 0);
        Some(if web == Some(false) {
            ("runtime", format!("{} is not a web project", project.path))
        } else {
            ("aspnet", self.web_why(project))
        })
    }
}
