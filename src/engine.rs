//! The container engine's command line (`docker`, or `podman` where its
//! CLI is the same), for `msb verify`. Each call is one process with its
//! arguments passed as a list, never through a shell. This is the only
//! module that starts the engine: migration itself never does.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
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

/// The engine's CLI, by program name, and the builder its builds use.
#[derive(Debug, Clone)]
pub struct Engine {
    program: String,
    builder: Builder,
    /// `--builder NAME`: the buildx builder instance that builds (a
    /// `remote`, `kubernetes` or `docker-container` one, say), its images
    /// loaded into this engine with `--load` to be inspected and run.
    /// None: `docker build`, whose builder is the CLI's choice
    /// (`docker buildx use`, `BUILDX_BUILDER`, the context's default).
    buildx_builder: Option<String>,
}

/// Which builder `build` uses. Docker's is chosen by `DOCKER_BUILDKIT`,
/// set explicitly on every build so that the user's environment does not
/// decide it behind msb's back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Builder {
    /// BuildKit, through the docker buildx plugin (`DOCKER_BUILDKIT=1`):
    /// it builds `RUN --mount` and the other BuildKit features its
    /// Dockerfile frontend knows (heredocs only from frontend 1.4, built
    /// into Docker Engine 23), and leaves no untagged step images (only
    /// build cache).
    #[serde(rename = "buildkit")]
    BuildKit,
    /// Docker's classic builder (`DOCKER_BUILDKIT=0`), where buildx is
    /// missing: it cannot build the BuildKit features.
    #[serde(rename = "classic")]
    Classic,
    /// Podman's own builder (Buildah); `DOCKER_BUILDKIT` means nothing to it.
    #[serde(rename = "podman")]
    Podman,
}

impl Builder {
    /// How the text output names it.
    pub fn describe(self) -> &'static str {
        match self {
            Builder::BuildKit => "BuildKit (docker buildx, DOCKER_BUILDKIT=1)",
            Builder::Classic => {
                "classic (DOCKER_BUILDKIT=0: no RUN --mount, heredocs or other BuildKit features)"
            }
            Builder::Podman => "podman's own (Buildah)",
        }
    }
}

/// What `build` gives: the outcome and the log that explains it.
#[derive(Debug, Clone)]
pub struct Build {
    pub ok: bool,
    pub seconds: f64,
    /// stdout then stderr of the build (the classic builder writes its
    /// steps to stdout, BuildKit to stderr).
    pub log: String,
    /// The image's ID (`sha256:…`), as `--iidfile` gives it: both
    /// builders write it there, while their logs name it differently
    /// (BuildKit's `writing image sha256:…`, the classic builder's
    /// `Successfully built …`).
    pub image_id: Option<String>,
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
    /// The engine with its default builder: podman's own, or Docker's
    /// classic one until `set_builder` says BuildKit is there.
    pub fn new(program: &str) -> Engine {
        let builder = if program == "podman" {
            Builder::Podman
        } else {
            Builder::Classic
        };
        Engine {
            program: program.to_string(),
            builder,
            buildx_builder: None,
        }
    }

    pub fn program(&self) -> &str {
        &self.program
    }

    pub fn builder(&self) -> Builder {
        self.builder
    }

    pub fn set_builder(&mut self, builder: Builder) {
        self.builder = builder;
    }

    /// The buildx builder instance `--builder` named, if any.
    pub fn buildx_builder(&self) -> Option<&str> {
        self.buildx_builder.as_deref()
    }

    /// Builds with the buildx builder instance `name` from now on
    /// (BuildKit, through `docker buildx build --builder NAME --load`).
    pub fn set_buildx_builder(&mut self, name: &str) {
        self.builder = Builder::BuildKit;
        self.buildx_builder = Some(name.to_string());
    }

    /// `docker buildx inspect NAME`: the builder instance exists (in the
    /// CLI's current context, or as a context's name). Its text, on
    /// success, names the driver and endpoint.
    pub fn buildx_inspect(&self, name: &str) -> Result<String, EngineError> {
        self.run(&["buildx", "inspect", name])
    }

    /// `docker buildx version`: BuildKit can build here. Docker's CLI
    /// (23 and later) refuses `DOCKER_BUILDKIT=1` without the buildx
    /// plugin, so the plugin answering is what decides.
    pub fn buildx_version(&self) -> Result<String, EngineError> {
        self.run(&["buildx", "version"])
            .map(|text| text.trim().to_string())
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
                stderr: one_line(&String::from_utf8_lossy(&out.stderr)),
            });
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// The server answers: the engine is installed and running.
    pub fn check(&self) -> Result<(), EngineError> {
        self.run(&["version"]).map(|_| ())
    }

    /// `build -f DOCKERFILE -t TAG CONTEXT` with the engine's builder.
    /// The base images must be local or reachable, as for any build the
    /// user runs.
    pub fn build(
        &self,
        dockerfile: &Path,
        context: &Path,
        tag: &str,
        build_args: &[String],
    ) -> Result<Build, EngineError> {
        let not_started = |reason: String| EngineError::NotStarted {
            program: self.program.clone(),
            reason,
        };
        let iid_dir = tempfile::tempdir()
            .map_err(|e| not_started(format!("making a temporary folder: {e}")))?;
        let iid = iid_dir.path().join("iid").to_string_lossy().into_owned();
        let file = dockerfile.to_string_lossy();
        let ctx = context.to_string_lossy();
        let mut args = match &self.buildx_builder {
            // Another builder's image is in its own store (a remote
            // BuildKit's, a pod's): `--load` brings it into this engine,
            // where it is inspected and run.
            Some(name) => vec!["buildx", "build", "--builder", name, "--load"],
            None => vec!["build"],
        };
        args.extend(["-f", &file, "-t", tag, "--iidfile", &iid]);
        match self.builder {
            // One line per event, no terminal animation: a log to read.
            Builder::BuildKit => args.push("--progress=plain"),
            // The classic builder's containers of failed steps.
            Builder::Classic | Builder::Podman => args.push("--force-rm"),
        }
        for a in build_args {
            args.push("--build-arg");
            args.push(a);
        }
        args.push(&ctx);
        let mut command = self.command(&args);
        let buildkit = match self.builder {
            Builder::BuildKit => Some("1"),
            Builder::Classic => Some("0"),
            Builder::Podman => None,
        };
        if let Some(value) = buildkit {
            command.env("DOCKER_BUILDKIT", value);
        }
        let started = Instant::now();
        let out = command.output().map_err(|e| not_started(e.to_string()))?;
        let mut log = String::from_utf8_lossy(&out.stdout).into_owned();
        log.push_str(&String::from_utf8_lossy(&out.stderr));
        let image_id = std::fs::read_to_string(&iid)
            .ok()
            .map(|id| id.trim().to_string())
            .filter(|id| !id.is_empty());
        Ok(Build {
            ok: out.status.success(),
            seconds: started.elapsed().as_secs_f64(),
            log,
            image_id,
        })
    }

    /// Builds `FROM image` with the engine's builder and tags it `tag`:
    /// with a `--builder` instance, its copy of `image` (pulled into its
    /// own store) loaded into this engine, the same config and layers.
    pub fn load_image(&self, image: &str, tag: &str) -> Result<Build, EngineError> {
        let dir = tempfile::tempdir().map_err(|e| EngineError::NotStarted {
            program: self.program.clone(),
            reason: format!("making a temporary folder: {e}"),
        })?;
        let dockerfile = dir.path().join("Dockerfile");
        std::fs::write(&dockerfile, format!("FROM {image}\n")).map_err(|e| {
            EngineError::NotStarted {
                program: self.program.clone(),
                reason: format!("writing a temporary Dockerfile: {e}"),
            }
        })?;
        self.build(&dockerfile, dir.path(), tag, &[])
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

    /// `docker save IMAGE`, read as it streams (`observe::read_saved`):
    /// each layer's entries in order and the config's history, without
    /// writing the archive anywhere.
    pub fn save(&self, image: &str) -> Result<crate::observe::SavedImage, EngineError> {
        let command = format!("{} save {image}", self.program);
        let mut child = self
            .command(&["save", image])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| EngineError::NotStarted {
                program: self.program.clone(),
                reason: e.to_string(),
            })?;
        let read = match child.stdout.take() {
            Some(stdout) => {
                let mut stdout = std::io::BufReader::new(stdout);
                let read = crate::observe::read_saved(&mut stdout);
                // Whatever follows the archive's end, so the engine exits.
                let _ = std::io::copy(&mut stdout, &mut std::io::sink());
                read
            }
            None => Err(std::io::Error::other("no stdout")),
        };
        // What is left unread (the end of a malformed archive) would keep
        // the engine waiting on a full pipe.
        if read.is_err() {
            let _ = child.kill();
        }
        let out = child
            .wait_with_output()
            .map_err(|e| EngineError::NotStarted {
                program: self.program.clone(),
                reason: e.to_string(),
            })?;
        if !out.status.success() && read.is_ok() {
            return Err(EngineError::Failed {
                command,
                stderr: one_line(&String::from_utf8_lossy(&out.stderr)),
            });
        }
        read.map_err(|e| EngineError::Unreadable {
            command,
            reason: e.to_string(),
        })
    }

    /// Starts a container in the background, each port published on a
    /// free port of 127.0.0.1, with `env` (`KEY=VALUE`) and the variables
    /// of `env_files` set; `command` replaces the image's CMD when not
    /// empty.
    pub fn run_detached(
        &self,
        image: &str,
        name: &str,
        ports: &[String],
        env: &[String],
        env_files: &[PathBuf],
        command: &[String],
    ) -> Result<(), EngineError> {
        let published: Vec<String> = ports.iter().map(|p| format!("127.0.0.1::{p}")).collect();
        let files: Vec<String> = env_files
            .iter()
            .map(|f| f.to_string_lossy().into_owned())
            .collect();
        let mut args = vec!["run", "-d", "--name", name];
        for p in &published {
            args.push("-p");
            args.push(p);
        }
        // Files first, then `--env`: the engine lets the later one win,
        // as `docker run` does when the user gives both.
        for f in &files {
            args.push("--env-file");
            args.push(f);
        }
        for e in env {
            args.push("-e");
            args.push(e);
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

    /// Removes a tag msb gave (the image too when no other tag keeps it),
    /// never its untagged parents: one may be the user's (`FROM <id>`,
    /// an earlier build's step kept as cache). msb's own step images go
    /// with `remove_new_step_images`.
    pub fn remove_image(&self, image: &str) {
        let _ = self.output(&["image", "rm", "-f", "--no-prune", image]);
    }

    /// The short IDs of every image the engine holds, intermediate ones
    /// included; None when the engine cannot list them.
    pub fn image_ids(&self) -> Option<Vec<String>> {
        let text = self.run(&["images", "-a", "-q"]).ok()?;
        Some(text.lines().map(|l| l.trim().to_string()).collect())
    }

    /// Removes the step images of classic-builder logs (their ` ---> ID`
    /// lines; a BuildKit log has none, as BuildKit leaves no step images,
    /// only its build cache) that did not exist before msb's builds: the stages before
    /// the last one, the steps under a removed tag, the last step of a
    /// failed build. A log also names the base image and cached steps,
    /// which are in `existed` and stay. An image still used by another
    /// (a child, a container) is refused by the engine and stays too.
    pub fn remove_new_step_images(&self, logs: &[String], existed: &[String]) {
        // msb's own tags are gone by now: a tagged image named in a log is
        // another build's (a verification running beside this one whose
        // step this build took from the cache), which `image rm ID` would
        // delete with its only tag.
        let Ok(tagged) = self.run(&["images", "-q", "--filter", "dangling=false"]) else {
            return;
        };
        let tagged: Vec<&str> = tagged.lines().map(str::trim).collect();
        for id in new_step_images(logs, existed) {
            if !tagged.contains(&id) {
                let _ = self.output(&["image", "rm", "--no-prune", id]);
            }
        }
    }

    /// Runs `argv` in a running container, as its user, the way the engine
    /// runs a HEALTHCHECK; stops waiting after `limit` (a check that hangs
    /// fails, as it would under the engine's own timeout).
    pub fn exec(
        &self,
        container: &str,
        argv: &[String],
        limit: Duration,
    ) -> Result<Exec, EngineError> {
        let not_started = |e: std::io::Error| EngineError::NotStarted {
            program: self.program.clone(),
            reason: e.to_string(),
        };
        // One file for stdout and stderr: no pipe to fill while msb waits.
        let mut out = tempfile::tempfile().map_err(not_started)?;
        let mut args = vec!["exec", container];
        args.extend(argv.iter().map(String::as_str));
        let mut child = self
            .command(&args)
            .stdout(out.try_clone().map_err(not_started)?)
            .stderr(out.try_clone().map_err(not_started)?)
            .spawn()
            .map_err(not_started)?;
        let started = Instant::now();
        let exit_code = loop {
            match child.try_wait().map_err(not_started)? {
                Some(status) => break status.code().map(i64::from),
                None if started.elapsed() >= limit => {
                    let _ = child.kill();
                    let _ = child.wait();
                    break None;
                }
                None => std::thread::sleep(Duration::from_millis(100)),
            }
        };
        let mut bytes = Vec::new();
        let _ = std::io::Seek::rewind(&mut out);
        let _ = out.read_to_end(&mut bytes);
        Ok(Exec {
            exit_code,
            output: String::from_utf8_lossy(&bytes).into_owned(),
        })
    }
}

/// What `exec` gave.
#[derive(Debug, Clone)]
pub struct Exec {
    /// None when it did not finish in time (or a signal ended it).
    pub exit_code: Option<i64>,
    pub output: String,
}

/// The engine's complaint on one line: the CLI prints the daemon's
/// message over several lines and ends with a hint (`Run 'docker run
/// --help' for more information`) that does not apply to msb's own call.
fn one_line(stderr: &str) -> String {
    stderr
        .lines()
        .map(str::trim)
        .filter(|l| !(l.is_empty() || l.starts_with("Run '") || l.starts_with("See '")))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The step images of `logs` not in `existed`, newest first: a step's
/// image is the parent of the next one, and a parent cannot be removed
/// before its children. A step the second build took from the first's
/// cache keeps its place of the first log.
fn new_step_images<'a>(logs: &'a [String], existed: &[String]) -> Vec<&'a str> {
    let mut ids: Vec<&str> = Vec::new();
    for log in logs {
        for id in step_images(log) {
            if !ids.contains(&id) && !existed.iter().any(|e| e == id) {
                ids.push(id);
            }
        }
    }
    ids.reverse();
    ids
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
/// nothing answers or the answer is a 5xx (a server may still be
/// starting: many answer 503 until they are ready, and the two containers
/// need not be ready at the same instant). Also returns the first bytes
/// of the body, for the report when the answers differ.
pub fn probe(port: u16, deadline: Instant) -> (Probe, String) {
    loop {
        let answer = probe_once(port);
        let starting = match answer.0 {
            Probe::NoAnswer => true,
            Probe::Http { status } => status >= 500,
            Probe::NotHttp | Probe::NotPublished => false,
        };
        if !starting || Instant::now() >= deadline {
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

    /// A server answering on 127.0.0.1 with `statuses`, one per
    /// connection, then the last one forever.
    fn server(statuses: &'static [&'static str]) -> u16 {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for (i, stream) in listener.incoming().enumerate() {
                let Ok(mut stream) = stream else { return };
                let mut request = [0u8; 1024];
                let _ = stream.read(&mut request);
                let status = statuses[i.min(statuses.len() - 1)];
                let _ = stream.write_all(format!("HTTP/1.0 {status}\r\n\r\nbody").as_bytes());
            }
        });
        port
    }

    #[test]
    fn a_probe_waits_past_the_5xx_of_a_starting_server() {
        use std::time::{Duration, Instant};
        let port = server(&["503 Starting", "503 Starting", "200 OK"]);
        let (answer, body) = super::probe(port, Instant::now() + Duration::from_secs(10));
        assert_eq!(answer, super::Probe::Http { status: 200 });
        assert_eq!(body, "body");
        // Past the deadline, the 5xx is the answer.
        let port = server(&["500 Broken"]);
        let (answer, _) = super::probe(port, Instant::now());
        assert_eq!(answer, super::Probe::Http { status: 500 });
        let port = server(&["404 Not Found", "200 OK"]);
        let (answer, _) = super::probe(port, Instant::now() + Duration::from_secs(10));
        assert_eq!(answer, super::Probe::Http { status: 404 });
    }

    #[test]
    fn only_new_step_images_are_removed_children_first() {
        let original = "Step 1/3 : FROM base\n ---> aaaaaaaaaaaa\nStep 2/3 : RUN a\n ---> Using cache\n ---> bbbbbbbbbbbb\nStep 3/3 : RUN b\n ---> cccccccccccc\n".to_string();
        let migrated = "Step 1/3 : FROM base\n ---> aaaaaaaaaaaa\nStep 2/3 : RUN b\n ---> Using cache\n ---> cccccccccccc\nStep 3/3 : USER 1\n ---> dddddddddddd\n".to_string();
        // The base and the cached step were there before msb built.
        let existed = ["aaaaaaaaaaaa".to_string(), "bbbbbbbbbbbb".to_string()];
        assert_eq!(
            super::new_step_images(&[original, migrated], &existed),
            ["dddddddddddd", "cccccccccccc"]
        );
    }

    #[test]
    fn an_engine_complaint_is_one_line_without_the_cli_hint() {
        let stderr = "docker: Error response from daemon: failed to create shim task: exec: \"ls\": executable file not found in $PATH: unknown.\n\nRun 'docker run --help' for more information\n";
        assert_eq!(
            super::one_line(stderr),
            "docker: Error response from daemon: failed to create shim task: exec: \"ls\": executable file not found in $PATH: unknown."
        );
    }
}
