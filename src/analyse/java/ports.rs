//! The port a Spring-style app listens on, when the file sets it (ENV,
//! `-Dserver.port=`, `--server.port=`, or the packaged
//! `application.properties`/`.yml`): below 1024 it needs root, which the
//! JRE image's user may not be.

use super::{Java, read_context_file};
use crate::analyse::Analysis;
use crate::analyse::entry::{self, Launch};

/// A Spring-style setting (`server.port`) of an `application.properties`
/// or a plain `application.yml` (nested keys by indentation), if literal.
fn config_value(text: &str, key: &str) -> Option<String> {
    let mut path: Vec<(usize, String)> = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with('!') {
            continue;
        }
        if trimmed == "---" {
            // Another YAML document (a profile): msb reads the first.
            break;
        }
        let indent = line.len() - line.trim_start().len();
        let Some((k, v)) = trimmed
            .split_once('=')
            .filter(|(k, _)| !k.contains(':'))
            .or_else(|| trimmed.split_once(':'))
        else {
            continue;
        };
        let (k, v) = (k.trim(), v.trim().trim_matches(['"', '\'']));
        path.retain(|(i, _)| *i < indent);
        let full: Vec<&str> = path
            .iter()
            .map(|(_, p)| p.as_str())
            .chain(std::iter::once(k))
            .collect();
        if v.is_empty() {
            path.push((indent, k.to_string()));
        } else if full.join(".") == key {
            return Some(v.to_string());
        }
    }
    None
}

impl Java<'_> {
    /// The port the app listens on, when the file sets it (`SERVER_PORT`,
    /// `-Dserver.port=`, `--server.port=`): below 1024 it needs root.
    pub(super) fn privileged_ports(&self, launch: &Launch, a: &mut Analysis) {
        let mut found: Vec<(usize, String, u16)> = Vec::new();
        for setting in &self.rules.port_settings {
            let before = found.len();
            let env = setting.to_ascii_uppercase().replace('.', "_");
            if let Some(value) = a.env.get(&env)
                && let Ok(port) = value.trim().parse::<u16>()
            {
                let line = entry::env_line(self.file, &env).unwrap_or(launch.line);
                found.push((line, format!("ENV {env}={value}"), port));
            }
            for step in &launch.steps {
                for word in &step.command.words {
                    let value = word
                        .strip_prefix("-D")
                        .or_else(|| word.strip_prefix("--"))
                        .and_then(|w| w.strip_prefix(setting.as_str()))
                        .and_then(|w| w.strip_prefix('='));
                    if let Some(port) = value.and_then(|v| v.parse::<u16>().ok()) {
                        found.push((launch.line, format!("{}'s `{word}`", launch.keyword), port));
                    }
                }
            }
            // The command line and the environment win over the files
            // packaged in the jar (`src/main/resources/application.yml`).
            if found.len() == before {
                for (_, cmd) in &self.commands {
                    let dir = cmd.project_dir.trim_end_matches('/');
                    for name in [
                        "application.properties",
                        "application.yml",
                        "application.yaml",
                    ] {
                        let path = format!("{dir}/src/main/resources/{name}");
                        if let Some((rel, text)) = read_context_file(a, &path, self.context)
                            && let Some(port) =
                                config_value(&text, setting).and_then(|v| v.parse::<u16>().ok())
                        {
                            found.push((launch.line, format!("{rel}'s {setting}={port}"), port));
                        }
                    }
                }
            }
        }
        if let Some((line, source, port)) = found.into_iter().find(|(_, _, p)| *p < 1024) {
            crate::analyse::ports::block_privileged_port(self.file, a, line, &source, port);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_values() {
        assert_eq!(
            config_value("spring.application.name=x\nserver.port=80\n", "server.port").as_deref(),
            Some("80")
        );
        assert_eq!(
            config_value("server.port: 8443\n", "server.port").as_deref(),
            Some("8443")
        );
        let yaml = "spring:\n  application:\n    name: shop\nserver:\n  port: 80\n  servlet:\n    context-path: /\n";
        assert_eq!(config_value(yaml, "server.port").as_deref(), Some("80"));
        assert_eq!(
            config_value("management:\n  server:\n    port: 81\n", "server.port"),
            None
        );
        assert_eq!(
            config_value("server:\n  port: ${PORT:8080}\n", "server.port").as_deref(),
            Some("${PORT:8080}")
        );
    }
}
