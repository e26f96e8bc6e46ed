//! The virtualenvs a Dockerfile makes itself: `python -m venv X`,
//! `virtualenv X`, `uv venv X`, and the project `.venv` Poetry makes when
//! its settings say `virtualenvs.in-project`. msb carries such an
//! environment as it is instead of adding one of its own, so it must know
//! where the file put it.

use crate::analyse::Analysis;
use crate::analyse::shell::Command;

/// Poetry's `virtualenvs.create` and `virtualenvs.in-project` settings, from
/// `POETRY_VIRTUALENVS_*` variables and `poetry config` commands.
#[derive(Debug, Default)]
pub(super) struct PoetrySettings {
    create: Option<bool>,
    in_project: Option<bool>,
}

impl PoetrySettings {
    pub(super) fn from_env(a: &Analysis) -> PoetrySettings {
        let flag = |name: &str| a.env.get(name).map(|v| poetry_bool(v));
        PoetrySettings {
            create: flag("POETRY_VIRTUALENVS_CREATE"),
            in_project: flag("POETRY_VIRTUALENVS_IN_PROJECT"),
        }
    }

    /// `poetry config [--local] virtualenvs.in-project true`.
    pub(super) fn read_config(&mut self, c: &Command) {
        if crate::analyse::shell::normalise_program(c.program()) != "poetry"
            || c.args().first().map(String::as_str) != Some("config")
        {
            return;
        }
        let words: Vec<&str> = c.args()[1..]
            .iter()
            .map(String::as_str)
            .filter(|w| !w.starts_with('-'))
            .collect();
        let unset = c.args().iter().any(|w| w == "--unset");
        let value = if unset {
            None
        } else {
            match words.get(1) {
                Some(v) => Some(poetry_bool(v)),
                None => return,
            }
        };
        match words.first() {
            Some(&"virtualenvs.in-project") => self.in_project = value,
            Some(&"virtualenvs.create") => self.create = value,
            _ => {}
        }
    }

    /// Whether `poetry install` makes and fills the project's `.venv`.
    pub(super) fn in_project(&self) -> bool {
        self.in_project == Some(true) && self.create != Some(false)
    }
}

/// Poetry (and Pipenv) read `true` and `1` as true.
pub(super) fn poetry_bool(value: &str) -> bool {
    matches!(
        value
            .trim_matches(['"', '\''])
            .to_ascii_lowercase()
            .as_str(),
        "true" | "1"
    )
}

/// Options of `python -m venv`, `virtualenv` and `uv venv` that take a value.
const VENV_VALUE_OPTIONS: &[&str] = &[
    "--prompt",
    "-p",
    "--python",
    "--index-url",
    "--extra-index-url",
    "--index",
    "--default-index",
    "--cache-dir",
    "--directory",
    "--project",
    "--link-mode",
    "--index-strategy",
    "--keyring-provider",
    "--activators",
    "--upgrade-deps-version",
];

/// `python -m venv X`, `virtualenv X`, `uv venv X` (`uv venv` alone makes
/// `.venv`): the path X.
pub(super) fn venv_path(c: &Command) -> Option<&str> {
    let args = c.args();
    let program = crate::analyse::shell::normalise_program(c.program());
    let uv = program == "uv" && args.first().is_some_and(|a| a == "venv");
    let rest: &[String] = if (program == "python" || program == "python3")
        && args.len() >= 2
        && args[0] == "-m"
        && (args[1] == "venv" || args[1] == "virtualenv")
    {
        &args[2..]
    } else if program == "virtualenv" {
        args
    } else if uv {
        &args[1..]
    } else {
        return None;
    };
    let mut skip_next = false;
    for a in rest {
        if skip_next {
            skip_next = false;
        } else if a.starts_with('-') {
            skip_next = VENV_VALUE_OPTIONS.contains(&a.as_str());
        } else {
            return Some(a);
        }
    }
    uv.then_some(".venv")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn venv_paths() {
        let c = |s: &str| crate::analyse::shell::commands(s).remove(0);
        assert_eq!(
            venv_path(&c("python3 -m venv /opt/venv")),
            Some("/opt/venv")
        );
        assert_eq!(
            venv_path(&c("python -m venv --prompt app /venv")),
            Some("/venv")
        );
        assert_eq!(venv_path(&c("uv venv /opt/venv")), Some("/opt/venv"));
        assert_eq!(venv_path(&c("uv venv --python 3.12 --seed")), Some(".venv"));
        assert_eq!(venv_path(&c("virtualenv -p python3 env")), Some("env"));
        assert_eq!(venv_path(&c("uv pip install x")), None);
    }

    #[test]
    fn reads_poetry_settings() {
        let c = |s: &str| crate::analyse::shell::commands(s).remove(0);
        let mut p = PoetrySettings::default();
        p.read_config(&c("poetry config virtualenvs.in-project true"));
        assert!(p.in_project());
        p.read_config(&c("poetry config --local virtualenvs.create false"));
        assert!(!p.in_project());
        p.read_config(&c("poetry config virtualenvs.create --unset"));
        assert!(p.in_project());
        p.read_config(&c("poetry config virtualenvs.in-project 0"));
        assert!(!p.in_project());
        assert!(poetry_bool("\"1\""));
        assert!(!poetry_bool("yes"));
    }
}
