//! What the final stage copies besides the code: the folder the
//! dependencies went to, the app's folders (Python reads its sources,
//! templates and data at run time), the project environment `uv sync`
//! fills, and what build steps write (`collectstatic` and the STATIC_ROOT
//! of the Django settings it uses).

use super::Deps;
use super::context_paths::context_path_of;
use super::installs::Installs;
use crate::analyse::{Analysis, absolute, interpreted, is_under};
use crate::parse::{Dockerfile, Keyword};
use crate::source::BuildContext;

/// The dependencies' folder and the app's folders.
pub(super) fn dependencies_and_app(
    file: &Dockerfile,
    context: &BuildContext,
    deps: &Deps,
    installs: &Installs,
    a: &mut Analysis,
) {
    let project_env = installs.project_env();
    let deps_line = installs
        .first_install
        .map_or(0, |i| file.instructions[i].line);
    // `uv sync`'s `.venv` sits in the project folder, copied with the app.
    match deps {
        Deps::ExistingVenv { .. } if project_env => {}
        Deps::ExistingVenv { path } | Deps::NewVenv { path, .. } | Deps::UserBase { path, .. } => {
            a.add_artefact(deps_line, path, path, "the installed dependencies", false);
        }
        Deps::System { .. } | Deps::None => {}
    }

    // Python reads its sources, templates and data at run time; a
    // manifest copied on its own elsewhere (`/tmp/requirements.txt`) is not
    // needed there.
    crate::analyse::interpreted::app_folders(file, context, a, &Default::default(), None, true);
    if let Deps::ExistingVenv { path } = deps
        && project_env
    {
        a.add_artefact(
            deps_line,
            path,
            path,
            "the environment uv sync fills",
            false,
        );
    }
}

/// Build steps (collectstatic...) write where they run: that folder is
/// copied too. collectstatic writes to STATIC_ROOT: when the settings
/// module names it as a plain path outside the copied folders, that
/// folder is copied as well (writable when it is a VOLUME); when msb cannot
/// read it, a warning says where it must be.
pub(super) fn build_outputs(file: &Dockerfile, context: &BuildContext, a: &mut Analysis) {
    for build in interpreted::build_commands(a) {
        let line = file.instructions[build.index].line;
        interpreted::copy_build_folder(a, line, &build.cwd);
        let words = &build.command.words;
        if !words.iter().any(|w| w == "collectstatic") {
            continue;
        }
        match static_root(file, context, a, build.index, &build.cwd, words) {
            Some((root, _)) if a.is_copied(&root) => {}
            Some((root, settings)) => {
                let volume = volumes(file).iter().any(|v| is_under(&root, v));
                a.add_artefact(
                    line,
                    &root,
                    &root,
                    format!("line {line}: collectstatic writes STATIC_ROOT ({settings}) here"),
                    volume,
                );
            }
            None => a.warnings.push(format!(
                "line {line}: collectstatic writes to STATIC_ROOT; msb copies {}, so STATIC_ROOT must be inside it",
                a.artefacts
                    .iter()
                    .filter(|x| x.writable)
                    .map(|x| x.to.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }
}

/// The folders VOLUME lines name.
fn volumes(file: &Dockerfile) -> Vec<String> {
    file.instructions
        .iter()
        .filter(|i| i.keyword == Keyword::Volume)
        .flat_map(|i| match &i.exec {
            Some(w) => w.clone(),
            None => i.args.split_whitespace().map(String::from).collect(),
        })
        .map(|v| v.trim_end_matches('/').to_string())
        .collect()
}

/// STATIC_ROOT of the Django settings a `manage.py collectstatic` uses,
/// when the settings module sets it to a plain string (`STATIC_ROOT =
/// "/vol/web/static"`): the absolute path, and the settings file (context
/// path). The settings module comes from `--settings`, DJANGO_SETTINGS_MODULE
/// or manage.py's default.
fn static_root(
    file: &Dockerfile,
    context: &BuildContext,
    a: &Analysis,
    index: usize,
    cwd: &str,
    words: &[String],
) -> Option<(String, String)> {
    // The folder (context path) that holds manage.py: the project root.
    let manage = words.iter().find(|w| w.ends_with("manage.py"));
    let manage_path = manage
        .map(|m| context_path_of(file, a, index, &absolute(cwd, m)))
        .filter(|p| !p.is_empty());
    let root = manage_path
        .as_deref()
        .map(|p| p.rsplit_once('/').map_or("", |(d, _)| d).to_string())
        .unwrap_or_default();
    let module = settings_module(context, a, words, manage_path.as_deref())?;
    if module.contains('$') || module.is_empty() {
        return None;
    }
    let base = module.replace('.', "/");
    let join = |p: &str| {
        if root.is_empty() {
            p.to_string()
        } else {
            format!("{root}/{p}")
        }
    };
    for candidate in [
        join(&format!("{base}.py")),
        join(&format!("{base}/__init__.py")),
    ] {
        let Some(text) = context.read_small(&candidate) else {
            continue;
        };
        let rest = text.lines().rev().find_map(|l| {
            let rest = l
                .strip_prefix("STATIC_ROOT")?
                .trim_start()
                .strip_prefix('=')?;
            Some(rest.split('#').next().unwrap_or("").trim().to_string())
        })?;
        // `BASE_DIR / "staticfiles"`: inside the project folder, where
        // manage.py is.
        let in_project = ["BASE_DIR /", "BASE_DIR.joinpath(", "os.path.join(BASE_DIR,"]
            .iter()
            .any(|p| rest.replace(' ', "").starts_with(&p.replace(' ', "")));
        if in_project {
            let project = manage.map_or_else(
                || cwd.to_string(),
                |m| {
                    let path = absolute(cwd, m);
                    path.rsplit_once('/')
                        .map_or("/".to_string(), |(d, _)| d.to_string())
                },
            );
            return Some((project, candidate));
        }
        let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
        let inner = rest.strip_prefix(quote)?.strip_suffix(quote)?;
        if inner.contains(quote) {
            return None;
        }
        return Some((absolute(cwd, inner.trim_end_matches('/')), candidate));
    }
    None
}

/// The settings module of `manage.py` `words`: `--settings`, else
/// DJANGO_SETTINGS_MODULE, else the default manage.py sets.
fn settings_module(
    context: &BuildContext,
    a: &Analysis,
    words: &[String],
    manage_path: Option<&str>,
) -> Option<String> {
    let option = words.iter().enumerate().find_map(|(i, w)| {
        w.strip_prefix("--settings=").map(String::from).or_else(|| {
            (w == "--settings")
                .then(|| words.get(i + 1).cloned())
                .flatten()
        })
    });
    option
        .or_else(|| a.env.get("DJANGO_SETTINGS_MODULE").cloned())
        .or_else(|| {
            let text = context.read_small(manage_path?)?;
            let at = text.find("DJANGO_SETTINGS_MODULE")?;
            let rest = &text[at + "DJANGO_SETTINGS_MODULE".len()..];
            let rest = rest.trim_start_matches(['"', '\'']).trim_start();
            let rest = rest.strip_prefix(',')?.trim_start();
            let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
            let value = &rest[1..];
            Some(value[..value.find(quote)?].to_string())
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::Knowledge;

    #[test]
    fn reads_static_root() {
        let dir = std::env::temp_dir().join(format!("msb-static-root-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("site/conf")).unwrap();
        std::fs::write(
            dir.join("site/manage.py"),
            "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'conf.prod')\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("site/conf/prod.py"),
            "STATIC_ROOT = BASE_DIR / 'static'\nSTATIC_ROOT = '/srv/static/'  # for nginx\n",
        )
        .unwrap();
        let context = BuildContext::new(&dir);
        let text = "FROM python:3.12\nWORKDIR /app\nCOPY site/ .\nRUN python manage.py collectstatic --noinput\n";
        let file = crate::parse::parse(text).unwrap();
        let k = Knowledge::builtin().unwrap();
        let a = crate::analyse::analyse(&file, &context, &k);
        let words: Vec<String> = ["python", "manage.py", "collectstatic"]
            .map(String::from)
            .to_vec();
        assert_eq!(
            static_root(&file, &context, &a, 3, "/app", &words),
            Some(("/srv/static".to_string(), "site/conf/prod.py".to_string()))
        );
        std::fs::write(
            dir.join("site/conf/prod.py"),
            "STATIC_ROOT = BASE_DIR / 'static'\n",
        )
        .unwrap();
        // A context reads each file once: a fresh one sees the new text.
        let context = BuildContext::new(&dir);
        assert_eq!(
            static_root(&file, &context, &a, 3, "/app", &words),
            Some(("/app".to_string(), "site/conf/prod.py".to_string()))
        );
        std::fs::write(
            dir.join("site/conf/prod.py"),
            "STATIC_ROOT = env('STATIC_ROOT')\n",
        )
        .unwrap();
        let context = BuildContext::new(&dir);
        assert_eq!(static_root(&file, &context, &a, 3, "/app", &words), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
