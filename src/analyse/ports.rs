//! Ports below 1024. The original ran as root, which may bind any port;
//! the final stage runs as a non-root user, which binds one below 1024
//! only where the container runtime allows unprivileged ports (Docker
//! 20.10+ does, Kubernetes does not by default). msb does not change the
//! port the app listens on, so such a file needs `--unsafe`, whatever
//! its language. The languages add what only they know (Spring's
//! `server.port`, ASP.NET's `ASPNETCORE_URLS`) through
//! [`block_privileged_port`]; [`check`] reads what every file can say:
//! EXPOSE, `ENV PORT`, and the port options of ENTRYPOINT/CMD.

use crate::analyse::{Analysis, shell};
use crate::knowledge::PortRules;
use crate::parse::{Dockerfile, Keyword};

/// The port in `80`, `:80`, `0.0.0.0:80`, `[::]:80`: a host part that is an
/// address (not `app:app`, not `unix:/run/x.sock`).
fn port_of(value: &str) -> Option<u16> {
    let (host, port) = value.rsplit_once(':').unwrap_or(("", value));
    let ipv4 = host.split('.').count() == 4
        && host
            .split('.')
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
    let host_ok = host.is_empty() || ipv4 || matches!(host, "*" | "localhost" | "[::]" | "::");
    if !host_ok || port.is_empty() || !port.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    port.parse().ok()
}

/// The first port below 1024 the file says the app listens on: EXPOSE, or
/// a port option or `HOST:PORT` word of ENTRYPOINT/CMD. With its line and
/// the words that say it.
fn evidence(file: &Dockerfile, rules: &PortRules) -> Option<(usize, u16, String)> {
    for kw in [Keyword::Entrypoint, Keyword::Cmd] {
        let Some(ins) = file.instructions.iter().rev().find(|i| i.keyword == kw) else {
            continue;
        };
        let words: Vec<String> = match &ins.exec {
            Some(w) => w
                .iter()
                .flat_map(|w| shell::commands(w).into_iter().flat_map(|c| c.words))
                .collect(),
            None => shell::commands(&ins.args)
                .into_iter()
                .flat_map(|c| c.words)
                .collect(),
        };
        let server = words.iter().any(|w| {
            rules
                .servers
                .iter()
                .any(|s| s == crate::analyse::basename(w))
        });
        let is_option = |w: &str| {
            rules.options.iter().any(|o| o == w)
                || (server && rules.server_short_options.iter().any(|o| o == w))
        };
        for (i, word) in words.iter().enumerate() {
            let value = if is_option(word) {
                words.get(i + 1).map(String::as_str)
            } else if let Some((option, value)) = word.split_once('=')
                && is_option(option)
            {
                Some(value)
            } else if word.contains(':') {
                Some(word.as_str())
            } else {
                None
            };
            if let Some(port) = value.and_then(port_of)
                && port > 0
                && port < 1024
            {
                return Some((ins.line, port, format!("{} names port {port}", kw.as_str())));
            }
        }
    }
    for ins in file
        .instructions
        .iter()
        .filter(|i| i.keyword == Keyword::Expose)
    {
        for word in ins.args.split_whitespace() {
            let number = word.split('/').next().unwrap_or(word);
            if let Ok(port) = number.parse::<u16>()
                && port > 0
                && port < 1024
            {
                return Some((ins.line, port, format!("EXPOSE {port}")));
            }
        }
    }
    // `ENV PORT=80`, which most frameworks listen on.
    file.instructions
        .iter()
        .filter(|i| i.keyword == Keyword::Env)
        .find_map(|ins| {
            crate::analyse::env_pairs(&ins.args)
                .into_iter()
                .find(|(n, _)| n == "PORT")
                .and_then(|(_, v)| v.parse::<u16>().ok())
                .filter(|p| *p > 0 && *p < 1024)
                .map(|p| (ins.line, p, format!("ENV PORT={p}")))
        })
}

/// The app listens on `port`, which `source` sets or says, and ran as
/// root: below 1024 that needs `--unsafe`. A file that already runs as
/// its own non-root user changes nothing.
pub fn block_privileged_port(
    file: &Dockerfile,
    a: &mut Analysis,
    line: usize,
    source: &str,
    port: u16,
) {
    let own_user = a
        .final_user
        .is_some_and(|i| !crate::analyse::is_root_user(&file.instructions[i].args));
    if port >= 1024 || port == 0 || own_user || a.privileged_port {
        return;
    }
    a.block_privileged_port(
        line,
        format!(
            "{source}: the app listens on port {port}, which a non-root user can bind only where the container runtime allows unprivileged ports (Docker 20.10+ does, Kubernetes does not by default); msb does not change the port"
        ),
    );
}

/// What every Dockerfile can say about its port, for every language.
pub fn check(file: &Dockerfile, rules: &PortRules, a: &mut Analysis) {
    if let Some((line, port, source)) = evidence(file, rules) {
        block_privileged_port(file, a, line, &source, port);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports() {
        assert_eq!(port_of("80"), Some(80));
        assert_eq!(port_of(":80"), Some(80));
        assert_eq!(port_of("0.0.0.0:80"), Some(80));
        assert_eq!(port_of("[::]:443"), Some(443));
        assert_eq!(port_of("app:app"), None);
        assert_eq!(port_of("unix:/run/gunicorn.sock"), None);
        assert_eq!(port_of("$PORT"), None);
        assert_eq!(port_of("12:30"), None);
        assert_eq!(port_of("127.0.0.1:443"), Some(443));
        let port = |text: &str| {
            evidence(
                &crate::parse::parse(text).unwrap(),
                &crate::knowledge::Knowledge::builtin()
                    .unwrap()
                    .commands
                    .ports,
            )
            .map(|(_, p, e)| (p, e))
        };
        assert_eq!(
            port(
                "FROM python:3.12\nCMD [\"fastapi\", \"run\", \"app/main.py\", \"--port\", \"80\"]\n"
            ),
            Some((80, "CMD names port 80".into()))
        );
        assert_eq!(
            port("FROM ruby:3.3\nCMD bundle exec rackup -o 0.0.0.0 -p 80\n"),
            Some((80, "CMD names port 80".into()))
        );
        assert_eq!(
            port("FROM python:3.12\nCMD [\"gunicorn\", \"--bind=0.0.0.0:80\", \"app:app\"]\n"),
            Some((80, "CMD names port 80".into()))
        );
        assert_eq!(
            port(
                "FROM php:8.3-cli\nEXPOSE 443/tcp 8080\nCMD [\"php\", \"-S\", \"0.0.0.0:8080\"]\n"
            ),
            Some((443, "EXPOSE 443".into()))
        );
        assert_eq!(
            port(
                "FROM python:3.12\nEXPOSE 8000\nCMD [\"gunicorn\", \"-b\", \":8000\", \"app:app\"]\n"
            ),
            None
        );
        assert_eq!(
            port("FROM python:3.12\nCMD [\"python\", \"crawl.py\", \"-p\", \"8\"]\n"),
            None
        );
        assert_eq!(
            port("FROM python:3.12\nCMD python manage.py runserver 0.0.0.0:80\n"),
            Some((80, "CMD names port 80".into()))
        );
    }
}
