//! The container engine's command line (`docker`, or `podman` where its
//! CLI is the same), for `msb verify`. Each call is one process with its
//! arguments passed as a list, never through a shell. This is the only
//! module that starts the engine: migration itself never does.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde::Serialize;

/// Why a call to the engine did not give what msb needed.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("cannot start `{program}`: {reason}")]
    NotStarted { program: String, reason: String },
    #[error("`{command}` failed: {stderr}")]
    Failed { command: String, stderr: String },
    #[error("`{command}` printed what msb cannot read: {reason}")]
    Unreadable { command: String, reason: String },
}

/// The engine's CLI, by program name.
#[derive(Debug, Clone)]
pub struct Engine {
    program: String,
}

/// What `build` gives: the outcome and the log that explains it.
#[derive(Debug, Clone)]
pub struct Build {
    pub ok: bool,
    pub seconds: f64,
    /// stdout then stderr of the build (the classic builder writes its
    /// steps to stdout, BuildKit to stderr).
    pub log: String,
}

/// The parts of `docker image inspect` that verify compares.
#[derive(Debug, Clone)]
pub struct ImageFacts {
    /// `.Config`: Entrypoint, Cmd, Env, User, ExposedPorts...
    pub config: serde_json::Value,
    pub size: u64,
}

/// One line of `docker history`, newest first.
#[derive(Debug, Clone, Serialize)]
pub struct Layer {
    pub size: u64,
    pub created_by: String,
}

/// A container's state after the smoke run's wait.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContainerState {
    pub running: bool,
    pub exit_code: i64,
}

impl Engine {
    pub fn new(program: &str) -> Engine {
        Engine {
            program: program.to_string(),
        }
    }

    pub fn program(&self) -> &str {
        &self.program
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(&self.program);
        c.args(args).stdin(Stdio::null());
        c
    }

    fn output(&self, args: &[&str]) -> Result<Output, EngineError> {
        self.command(args)
            .output()
            .map_err(|e| EngineError::NotStarted {
                program: self.program.clone(),
                reason: e.to_string(),
            })
    }

    /// Runs the engine; its stdout when it succeeds.
    fn run(&self, args: &[&str]) -> Result<String, EngineError> {
        let out = self.output(args)?;
        if !out.status.success() {
            return Err(EngineError::Failed {
                command: format!("{} {}", self.program, args.join(" ")),
                stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
            });
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// The server answers: the engine is installed and running.
    pub fn check(&self) -> Result<(), EngineError> {
        self.run(&["version"]).map(|_| ())
    }

    /// `build -f DOCKERFILE -t TAG CONTEXT`. The base images must be
    /// local or reachable, as for any build the user runs.
    pub fn build(
        &self,
        dockerfile: &Path,
        context: &Path,
        tag: &str,
        build_args: &[String],
    ) -> Result<Build, EngineError> {
        let file = dockerfile.to_string_lossy();
        let ctx = context.to_string_lossy();
        let mut args = vec!["build", "--force-rm", "-f", &file, "-t", tag];
        for a in build_args {
            args.push("--build-arg");
            args.push(a);
        }
        args.push(&ctx);
        let started = Instant::now();
        let out = self.output(&args)?;
        let mut log = String::from_utf8_lossy(&out.stdout).into_owned();
        log.push_str(&String::from_utf8_lossy(&out.stderr));
        Ok(Build {
            ok: out.status.success(),
            seconds: started.elapsed().as_secs_f64(),
            log,
        })
    }

    pub fn inspect_image(&self, image: &str) -> Result<ImageFacts, EngineError> {
        let text = self.run(&[
            "image",
            "inspect",
            "--format",
            "{{json .Config}}\t{{.Size}}",
            image,
        ])?;
        let unreadable = |reason: String| EngineError::Unreadable {
            command: format!("{} image inspect {image}", self.program),
            reason,
        };
        let (config, size) = text
            .trim()
            .rsplit_once('\t')
            .ok_or_else(|| unreadable("no size".to_string()))?;
        Ok(ImageFacts {
            config: serde_json::from_str(config).map_err(|e| unreadable(e.to_string()))?,
            size: size
                .trim()
                .parse()
                .map_err(|e: std::num::ParseIntError| unreadable(e.to_string()))?,
        })
    }

    /// The image's layers, newest first.
    pub fn history(&self, image: &str) -> Result<Vec<Layer>, EngineError> {
        let text = self.run(&[
            "history",
            "--no-trunc",
            "--human=false",
            "--format",
            "{{.Size}}\t{{.CreatedBy}}",
            image,
        ])?;
        Ok(text
            .lines()
            .filter_map(|line| {
                let (size, by) = line.split_once('\t')?;
                Some(Layer {
                    size: size.trim().parse().ok()?,
                    created_by: by.trim().to_string(),
                })
            })
            .collect())
    }

    /// Starts a container in the background, each port published on a
    /// free port of 127.0.0.1; `command` replaces the image's CMD when
    /// not empty.
    pub fn run_detached(
        &self,
        image: &str,
        name: &str,
        ports: &[String],
        command: &[String],
    ) -> Result<(), EngineError> {
        let published: Vec<String> = ports.iter().map(|p| format!("127.0.0.1::{p}")).collect();
        let mut args = vec!["run", "-d", "--name", name];
        for p in &published {
            args.push("-p");
            args.push(p);
        }
        args.push(image);
        args.extend(command.iter().map(String::as_str));
        self.run(&args).map(|_| ())
    }

    /// The host port that `port` (`8000/tcp`) of a container is published on.
    pub fn host_port(&self, container: &str, port: &str) -> Option<u16> {
        let text = self.run(&["port", container, port]).ok()?;
        text.lines()
            .find_map(|l| l.trim().rsplit_once(':')?.1.parse().ok())
    }

    pub fn state(&self, container: &str) -> Result<ContainerState, EngineError> {
        let text = self.run(&[
            "inspect",
            "--format",
            "{{.State.Running}} {{.State.ExitCode}}",
            container,
        ])?;
        let mut words = text.split_whitespace();
        Ok(ContainerState {
            running: words.next() == Some("true"),
            exit_code: words.next().and_then(|w| w.parse().ok()).unwrap_or(-1),
        })
    }

    /// The container's output, stdout and stderr interleaved as the
    /// engine stored them.
    pub fn logs(&self, container: &str) -> String {
        match self.output(&["logs", container]) {
            Ok(out) => {
                let mut s = String::from_utf8_lossy(&out.stdout).into_owned();
                s.push_str(&String::from_utf8_lossy(&out.stderr));
                s
            }
            Err(e) => e.to_string(),
        }
    }

    /// Reads one file of an image without running anything in it (so it
    /// works on images without a shell).
    pub fn read_file(&self, image: &str, path: &str) -> Result<Vec<u8>, EngineError> {
        // `create` needs a command even though it never runs.
        let id = self
            .run(&["create", "--entrypoint", "/msb-never-runs", image])?
            .trim()
            .to_string();
        let dir = tempfile::tempdir().map_err(|e| EngineError::NotStarted {
            program: self.program.clone(),
            reason: format!("making a temporary folder: {e}"),
        })?;
        let dest = dir.path().join("file");
        let source = format!("{id}:{path}");
        let copied = self.run(&["cp", "-L", &source, &dest.to_string_lossy()]);
        self.remove_container(&id);
        copied?;
        std::fs::read(&dest).map_err(|e| EngineError::Unreadable {
            command: format!("{} cp {source}", self.program),
            reason: e.to_string(),
        })
    }

    pub fn remove_container(&self, container: &str) {
        let _ = self.output(&["rm", "-f", "-v", container]);
    }

    pub fn remove_image(&self, image: &str) {
        let _ = self.output(&["image", "rm", "-f", image]);
    }

    /// Removes the untagged images a classic-builder log names (its
    /// ` ---> ID` lines): the stages before the last one, which no tag
    /// keeps. An image that is tagged or used elsewhere is never touched.
    pub fn remove_untagged_from_log(&self, log: &str) {
        let Ok(dangling) = self.run(&["images", "-q", "--filter", "dangling=true"]) else {
            return;
        };
        let dangling: Vec<&str> = dangling.lines().map(str::trim).collect();
        for id in step_images(log) {
            if dangling.contains(&id) {
                let _ = self.output(&["image", "rm", id]);
            }
        }
    }
}

/// The image IDs of a classic-builder log's ` ---> ID` lines.
fn step_images(log: &str) -> Vec<&str> {
    log.lines()
        .filter_map(|l| l.trim().strip_prefix("---> "))
        .map(str::trim)
        .filter(|id| id.len() == 12 && id.bytes().all(|b| b.is_ascii_hexdigit()))
        .collect()
}

/// What a port answered to `GET /`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Probe {
    /// An HTTP response with this status code.
    Http { status: u16 },
    /// Bytes that are not HTTP.
    NotHttp,
    /// The connection was refused, reset or closed without a byte (the
    /// engine's proxy accepts even when nothing listens behind it).
    NoAnswer,
    /// The port is not published.
    NotPublished,
}

impl Probe {
    pub fn describe(&self) -> String {
        match self {
            Probe::Http { status } => format!("HTTP {status}"),
            Probe::NotHttp => "a TCP answer that is not HTTP".to_string(),
            Probe::NoAnswer => "no answer".to_string(),
            Probe::NotPublished => "not published".to_string(),
        }
    }
}

/// Sends `GET /` to 127.0.0.1:`port`, retrying until `deadline` while
/// nothing answers (a server may still be starting). Also returns the
/// first bytes of the body, for the report when the answers differ.
pub fn probe(port: u16, deadline: Instant) -> (Probe, String) {
    loop {
        let answer = probe_once(port);
        if answer.0 != Probe::NoAnswer || Instant::now() >= deadline {
            return answer;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

fn probe_once(port: u16) -> (Probe, String) {
    let no_answer = (Probe::NoAnswer, String::new());
    let Some(addr) = ("127.0.0.1", port)
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
    else {
        return no_answer;
    };
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_secs(2)) else {
        return no_answer;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(2)));
    if stream
        .write_all(b"GET / HTTP/1.0\r\nHost: localhost\r\nUser-Agent: msb-verify\r\n\r\n")
        .is_err()
    {
        return no_answer;
    }
    let mut answer = Vec::new();
    let _ = stream.take(64 * 1024).read_to_end(&mut answer);
    if answer.is_empty() {
        return no_answer;
    }
    let text = String::from_utf8_lossy(&answer);
    let status = text
        .strip_prefix("HTTP/")
        .and_then(|rest| rest.split_whitespace().nth(1))
        .and_then(|code| code.parse().ok());
    let body = text
        .split_once("\r\n\r\n")
        .map_or(text.as_ref(), |(_, body)| body)
        .chars()
        .take(200)
        .collect();
    match status {
        Some(status) => (Probe::Http { status }, body),
        None => (Probe::NotHttp, body),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn step_images_are_read_from_a_classic_log() {
        let log = "Step 1/2 : FROM x\n ---> 3c4a56632822\nStep 2/2 : RUN true\n ---> Running in 0123456789ab\n ---> 4202a8abf600\n";
        assert_eq!(super::step_images(log), ["3c4a56632822", "4202a8abf600"]);
    }
}
