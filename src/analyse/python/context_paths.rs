//! Which file of the build context the image has at a path, from the RUN's
//! bind mounts and the earlier COPY lines: msb reads requirement files,
//! project manifests and Django settings from the context, while the
//! Dockerfile names them by where the image has them.

use crate::analyse::{Analysis, absolute, is_under};
use crate::parse::Dockerfile;

/// The context path of a file the image has at `path`, if a bind mount
/// of the RUN or an earlier COPY put it there (for reading requirements
/// files).
pub(super) fn context_path_of(
    file: &Dockerfile,
    a: &Analysis,
    before: usize,
    path: &str,
) -> String {
    if let Some(source) = bind_mount_source(file, a, before, path) {
        return source;
    }
    for copy in a.copies.iter().filter(|c| c.index < before).rev() {
        for root in &copy.roots {
            if root == path {
                let base = crate::analyse::basename(path);
                if let Some(src) = copy
                    .sources
                    .iter()
                    .find(|s| crate::analyse::basename(s) == base)
                    .or(copy.sources.first())
                {
                    return src.trim_start_matches("./").to_string();
                }
            } else if is_under(path, root) {
                let rel = crate::analyse::relative_to(path, root).unwrap_or_default();
                if let Some(s) = copy.sources.first() {
                    let s = s.trim_start_matches("./").trim_end_matches('/');
                    return if s == "." || s.is_empty() {
                        rel.to_string()
                    } else {
                        format!("{s}/{rel}")
                    };
                }
            }
        }
    }
    String::new()
}

/// `RUN --mount=type=bind,source=requirements.txt,target=requirements.txt`:
/// the context path the mount shows at `path` (a relative target is under
/// the WORKDIR). Mounts from another stage or image are not the context.
fn bind_mount_source(file: &Dockerfile, a: &Analysis, index: usize, path: &str) -> Option<String> {
    let ins = file.instructions.get(index)?;
    for flag in ins
        .flags
        .iter()
        .filter(|f| f.name.eq_ignore_ascii_case("mount"))
    {
        let value = flag.value.clone().unwrap_or_default();
        let mut kind = "bind".to_string();
        let mut source = String::new();
        let mut target = None;
        let mut from = false;
        for part in value.split(',') {
            match part.split_once('=') {
                Some(("type", t)) => kind = t.to_string(),
                Some(("source" | "src", s)) => source = s.to_string(),
                Some(("target" | "dst" | "destination", t)) => target = Some(t.to_string()),
                Some(("from", _)) => from = true,
                _ => {}
            }
        }
        let Some(target) = target else {
            continue;
        };
        if kind != "bind" || from {
            continue;
        }
        let target = absolute(a.workdir_at(index), &target);
        let source = source
            .trim_start_matches("./")
            .trim_matches('/')
            .to_string();
        if path == target {
            return Some(source);
        }
        if is_under(path, &target) {
            let rel = crate::analyse::relative_to(path, &target).unwrap_or_default();
            return Some(if source.is_empty() || source == "." {
                rel.to_string()
            } else {
                format!("{source}/{rel}")
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::Knowledge;
    use crate::source::BuildContext;

    #[test]
    fn bind_mounts_show_context_files() {
        let text = "FROM python:3.12\nWORKDIR /app\nRUN --mount=type=cache,target=/root/.cache/pip --mount=type=bind,source=reqs/prod.txt,target=requirements.txt --mount=type=bind,source=src,target=/src pip install -r requirements.txt\n";
        let file = crate::parse::parse(text).unwrap();
        let k = Knowledge::builtin().unwrap();
        let a = crate::analyse::analyse(&file, &BuildContext::empty(), &k);
        assert_eq!(
            bind_mount_source(&file, &a, 2, "/app/requirements.txt").as_deref(),
            Some("reqs/prod.txt")
        );
        assert_eq!(
            bind_mount_source(&file, &a, 2, "/src/pyproject.toml").as_deref(),
            Some("src/pyproject.toml")
        );
        assert_eq!(bind_mount_source(&file, &a, 2, "/root/.cache/pip/x"), None);
    }
}
