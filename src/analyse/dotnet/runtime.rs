//! What the runtime image must keep of the SDK image's environment: the
//! address Kestrel listens on, a port a non-root user cannot bind, and
//! the ICU and time zones of the Alpine SDK image.

use crate::analyse::Analysis;
use crate::analyse::entry::{self, Launch};

/// The variables that set the addresses Kestrel listens on.
const ADDRESS_VARIABLES: &[&str] = &[
    "ASPNETCORE_URLS",
    "ASPNETCORE_HTTP_PORTS",
    "ASPNETCORE_HTTPS_PORTS",
    "DOTNET_URLS",
];

impl super::Dotnet<'_> {
    /// The Alpine SDK image turns globalization invariant mode off and has
    /// ICU and tzdata; the Alpine runtime images have neither and run
    /// invariant: keep cultures and time zones working as they did.
    pub(super) fn keep_alpine_globalization(&self, sdk: &str, a: &mut Analysis) {
        let why = |what: &str| format!("{sdk} has it ({what}); the Alpine runtime image does not");
        for (name, what) in &self.rules.alpine_sdk_packages {
            let needs_icu = name.starts_with("icu");
            if needs_icu && self.invariant_globalization.get() {
                continue;
            }
            if !a.runtime_packages.iter().any(|p| p.name == *name) {
                a.runtime_packages
                    .push(crate::analyse::packages::RuntimePackage {
                        name: name.clone(),
                        why: why(what),
                    });
            }
        }
        if !self.invariant_globalization.get()
            && !a.env.contains_key("DOTNET_SYSTEM_GLOBALIZATION_INVARIANT")
        {
            a.runtime_env
                .push("DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=false".into());
        }
    }

    /// Kestrel's addresses (`ASPNETCORE_URLS`, `ASPNETCORE_HTTP_PORTS`,
    /// `--urls`): a port below 1024 needs root, which the app had.
    pub(super) fn privileged_ports(&self, launch: &Launch, a: &mut Analysis) {
        let mut found: Vec<(usize, String, u16)> = Vec::new();
        let env: Vec<(String, String)> =
            a.env.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        for (name, value) in &env {
            let line = entry::env_line(self.file, name).unwrap_or(launch.line);
            let source = format!("ENV {name}={value}");
            let urls = ["ASPNETCORE_URLS", "DOTNET_URLS"].contains(&name.as_str())
                || name.starts_with("ASPNETCORE_Kestrel__Endpoints__") && name.ends_with("__Url");
            let ports = [
                "ASPNETCORE_HTTP_PORTS",
                "ASPNETCORE_HTTPS_PORTS",
                "DOTNET_HTTP_PORTS",
                "DOTNET_HTTPS_PORTS",
            ]
            .contains(&name.as_str());
            for item in value
                .split([';', ','])
                .map(str::trim)
                .filter(|s| !s.is_empty())
            {
                let port = if urls {
                    entry::url_port(item)
                } else if ports {
                    item.parse().ok()
                } else {
                    None
                };
                if let Some(port) = port {
                    found.push((line, source.clone(), port));
                }
            }
        }
        for step in &launch.steps {
            let words = &step.command.words;
            for (i, word) in words.iter().enumerate() {
                let value = match word.strip_prefix("--urls") {
                    Some("") => words.get(i + 1).cloned(),
                    Some(rest) => rest.strip_prefix('=').map(String::from),
                    None => None,
                };
                for url in value.iter().flat_map(|v| v.split(';')) {
                    if let Some(port) = entry::url_port(url) {
                        found.push((
                            launch.line,
                            format!("{}'s `--urls {url}`", launch.keyword),
                            port,
                        ));
                    }
                }
            }
        }
        if let Some((line, source, port)) = found.into_iter().find(|(_, _, p)| *p < 1024) {
            crate::analyse::ports::block_privileged_port(self.file, a, line, &source, port);
        }
    }

    /// The file says where Kestrel listens: an address variable, or
    /// `--urls` (`--server.urls` before ASP.NET Core 2.0) on the command.
    pub(super) fn sets_own_address(&self, launch: &Launch, a: &Analysis) -> bool {
        let by_env = ADDRESS_VARIABLES.iter().any(|n| a.env.contains_key(*n));
        let by_flag = launch.steps.iter().any(|step| {
            step.command
                .words
                .iter()
                .any(|w| w.starts_with("--urls") || w.starts_with("--server.urls"))
        });
        by_env || by_flag
    }

    /// SDK images before .NET 8 unset ASPNETCORE_URLS (Kestrel then
    /// listens on localhost:5000), while their aspnet and runtime-deps
    /// images set it to `http://+:80`: keep it unset unless the file sets
    /// the address itself.
    pub(super) fn keep_listening_address(&self, a: &mut Analysis) {
        let old = self.major.is_some_and(|m| m < self.rules.app_user_since);
        let set_by_file = ADDRESS_VARIABLES.iter().any(|n| a.env.contains_key(*n));
        if old && !set_by_file {
            a.runtime_env.push("ASPNETCORE_URLS=".into());
            a.warnings.push(format!(
                "the .NET {} SDK image unsets ASPNETCORE_URLS, so the app listened on http://localhost:5000 unless it sets its own URLs; the final stage keeps it unset (its runtime image would listen on port 80)",
                self.major.unwrap_or_default()
            ));
        }
    }
}
