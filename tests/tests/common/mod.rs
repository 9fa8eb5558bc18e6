//! Shared helpers of the end-to-end tests: start the real `netassure-host` binary on a free
//! port with its own plugin and data directories, talk to it over HTTP, read its output.

use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub mod nats;
pub mod sockets;

pub const TOKEN: &str = "test-token";
/// The operator token of every test host (ack, resolve, feedback).
pub const OPERATOR: &str = "operator-test-token";

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

fn from_env_or(var: &str, default: &str) -> PathBuf {
    let path = std::env::var_os(var)
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join(default));
    assert!(
        path.exists(),
        "{} does not exist: run `cargo xtask test` (it builds the host and the plugins first)",
        path.display()
    );
    path
}

pub fn host_bin() -> PathBuf {
    from_env_or("NETASSURE_HOST_BIN", "target/debug/netassure-host")
}

pub fn cli_bin() -> PathBuf {
    from_env_or("NETASSURE_CLI_BIN", "target/debug/netassure")
}

/// A shipped plugin component.
pub fn plugin(name: &str) -> PathBuf {
    plugins_dir().join(format!("{name}.wasm"))
}

/// The directory of every shipped plugin, built.
pub fn plugins_dir() -> PathBuf {
    from_env_or("NETASSURE_PLUGINS_DIR", "target/plugins")
}

/// A test-fixture component.
pub fn fixture(name: &str) -> PathBuf {
    from_env_or("NETASSURE_TEST_PLUGINS_DIR", "target/test-plugins").join(format!("{name}.wasm"))
}

/// A fixture event file.
pub fn events(name: &str) -> PathBuf {
    workspace().join("tests/fixtures/events").join(name)
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A host's directories, kept between runs of the host (restart tests).
pub struct HostDirs {
    pub root: tempfile::TempDir,
}

impl HostDirs {
    pub fn new() -> Self {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("plugins")).unwrap();
        HostDirs { root }
    }

    pub fn plugins(&self) -> PathBuf {
        self.root.path().join("plugins")
    }

    pub fn output(&self) -> PathBuf {
        self.root.path().join("findings.jsonl")
    }

    /// Copy a component into the plugin directory as `name.wasm`.
    pub fn add(&self, component: &Path, name: &str) {
        std::fs::copy(component, self.plugins().join(format!("{name}.wasm"))).unwrap();
    }

    /// Write `text` as the host's `netassure.toml`; returns the flags that load it.
    pub fn config(&self, text: &str) -> Vec<String> {
        let path = self.root.path().join("netassure.toml");
        std::fs::write(&path, text).unwrap();
        vec!["--config".into(), path.display().to_string()]
    }

    /// Write a manifest `name.toml`.
    pub fn manifest(&self, name: &str, text: &str) {
        std::fs::write(self.plugins().join(format!("{name}.toml")), text).unwrap();
    }
}

/// A running host.
pub struct Host {
    pub child: Child,
    pub base: String,
    pub stdin: Option<ChildStdin>,
    agent: ureq::Agent,
}

#[derive(Default)]
pub struct Options<'a> {
    pub replay: Option<&'a Path>,
    pub stdin: bool,
    pub once: bool,
    pub extra: Vec<String>,
}

impl Options<'_> {
    /// Events from the test through stdin (`--replay -`), with `extra` arguments.
    pub fn piped(extra: Vec<String>) -> Self {
        Options {
            stdin: true,
            extra,
            ..Options::default()
        }
    }
}

pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        // Below the host's keep-alive time, so a pooled connection is never one it closed.
        .max_idle_age(Duration::from_secs(5))
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

impl Host {
    pub fn start(dirs: &HostDirs, options: Options<'_>) -> Host {
        let port = free_port();
        let mut command = Command::new(host_bin());
        // Relative defaults (`models_dir = "models"`) resolve inside the host's own directory.
        command
            .current_dir(dirs.root.path())
            .arg("--plugins")
            .arg(dirs.plugins())
            .arg("--data-dir")
            .arg(dirs.root.path().join("data"))
            .arg("--output")
            .arg(dirs.output())
            .args([
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--admin-token",
                TOKEN,
                "--operator-token",
                OPERATOR,
            ])
            .args(&options.extra)
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        if options.stdin {
            command.args(["--replay", "-"]).stdin(Stdio::piped());
        } else {
            command.stdin(Stdio::null());
            if let Some(replay) = options.replay {
                command.arg("--replay").arg(replay);
            }
        }
        if options.once {
            command.arg("--once");
        }
        let mut child = command.spawn().expect("starting netassure-host");
        let stdin = child.stdin.take();
        let host = Host {
            child,
            base: format!("http://127.0.0.1:{port}"),
            stdin,
            agent: agent(),
        };
        if !options.once {
            host.wait_ready();
        }
        host
    }

    /// The port the host's API listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.base.rsplit(':').next().unwrap().parse().unwrap()
    }

    fn wait_ready(&self) {
        wait_until(
            Duration::from_secs(120),
            "the host to answer /status",
            || {
                self.agent
                    .get(format!("{}/status", self.base))
                    .call()
                    .is_ok_and(|r| r.status() == 200)
            },
        );
    }

    fn answer(response: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> (u16, Value) {
        let mut response = response.expect("the host answers");
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub fn get(&self, path: &str) -> (u16, Value) {
        Self::answer(self.agent.get(format!("{}{path}", self.base)).call())
    }

    pub fn put(&self, path: &str, body: &[u8], token: Option<&str>) -> (u16, Value) {
        let mut request = self.agent.put(format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.header("Authorization", &format!("Bearer {token}"));
        }
        Self::answer(request.send(body))
    }

    /// `POST` a JSON body (`Content-Type: application/json`, as every POST must be).
    pub fn post(&self, path: &str, body: &[u8], token: Option<&str>) -> (u16, Value) {
        let mut request = self
            .agent
            .post(format!("{}{path}", self.base))
            .header("Content-Type", "application/json");
        if let Some(token) = token {
            request = request.header("Authorization", &format!("Bearer {token}"));
        }
        Self::answer(request.send(body))
    }

    /// `PUT` that may fail (the host may close the connection before the body is sent).
    pub fn try_put(&self, path: &str, body: &[u8], token: Option<&str>) -> Option<u16> {
        let mut request = self.agent.put(format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.header("Authorization", &format!("Bearer {token}"));
        }
        request.send(body).ok().map(|r| r.status().as_u16())
    }

    /// Send `head` (a request line and headers, no body) on a new connection; the answer's
    /// status and JSON body.
    pub fn raw(&self, head: &str) -> (u16, Value) {
        use std::io::{Read, Write};
        let address = self.base.trim_start_matches("http://");
        let mut stream = std::net::TcpStream::connect(address).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        stream.write_all(head.as_bytes()).unwrap();
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        let text = String::from_utf8_lossy(&answer);
        let status = text
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let body = text.split("\r\n\r\n").nth(1).unwrap_or_default();
        (status, serde_json::from_str(body).unwrap_or(Value::Null))
    }

    /// The host's resident memory, bytes (Linux).
    pub fn rss_bytes(&self) -> u64 {
        self.proc_status_bytes("VmRSS:")
    }

    /// The most resident memory the host has had so far, bytes (Linux).
    pub fn peak_rss_bytes(&self) -> u64 {
        self.proc_status_bytes("VmHWM:")
    }

    fn proc_status_bytes(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|line| line.strip_prefix(field))
            .and_then(|kb| kb.trim().trim_end_matches(" kB").trim().parse::<u64>().ok())
            .unwrap()
            * 1024
    }

    pub fn delete(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        let mut request = self.agent.delete(format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.header("Authorization", &format!("Bearer {token}"));
        }
        Self::answer(request.call())
    }

    /// Install a component through `PUT /plugins/{name}`.
    pub fn install(&self, name: &str, component: &Path) -> (u16, Value) {
        self.put(
            &format!("/plugins/{name}"),
            &std::fs::read(component).unwrap(),
            Some(TOKEN),
        )
    }

    /// `GET /plugins/{name}` as the admin (the configuration included).
    pub fn plugin(&self, name: &str) -> Value {
        let (status, body) = Self::answer(
            self.agent
                .get(format!("{}/plugins/{name}", self.base))
                .header("Authorization", &format!("Bearer {TOKEN}"))
                .call(),
        );
        assert_eq!(status, 200, "GET /plugins/{name}: {body}");
        body
    }

    /// Write one event line to the host's stdin.
    pub fn send(&mut self, event: &Value) {
        let stdin = self.stdin.as_mut().expect("started with stdin");
        writeln!(stdin, "{event}").unwrap();
    }

    pub fn send_raw(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("started with stdin");
        writeln!(stdin, "{line}").unwrap();
        stdin.flush().unwrap();
    }

    /// Send every message of an event file (skipping blank and `#` lines) over stdin.
    pub fn send_file(&mut self, path: &Path) {
        let text = std::fs::read_to_string(path).unwrap();
        for line in text
            .lines()
            .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
        {
            self.send_raw(line);
        }
    }

    /// Close stdin (ends a `--replay -`) and wait until the replay is processed.
    pub fn finish_stdin(&mut self) {
        drop(self.stdin.take());
        wait_until(Duration::from_secs(120), "the replay to finish", || {
            let (_, status) = self.get("/status");
            status["ingest"]["replay"]
                .as_array()
                .is_some_and(|ingest| ingest.iter().all(|source| source["running"] == false))
        });
    }

    /// Wait for the process to exit by itself (`--once`).
    pub fn wait_exit(&mut self) -> std::process::ExitStatus {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "the host did not exit"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let started = Instant::now();
        while self.child.try_wait().unwrap().is_none() {
            if started.elapsed() > Duration::from_secs(15) {
                let _ = self.child.kill();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Poll `condition` every 20 ms until it holds; panic after `timeout` naming `what`.
pub fn wait_until(timeout: Duration, what: &str, mut condition: impl FnMut() -> bool) {
    let started = Instant::now();
    while !condition() {
        assert!(started.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Every line the host wrote to its output file.
pub fn output(dirs: &HostDirs) -> Vec<Value> {
    match std::fs::read_to_string(dirs.output()) {
        Ok(text) => text
            .lines()
            .map(|line| serde_json::from_str(line).expect("output lines are JSON"))
            .collect(),
        Err(_) => vec![],
    }
}

/// A telemetry event.
pub fn telemetry(subject: &str, value: f64) -> Value {
    serde_json::json!({"type": "telemetry", "subject": subject, "metric": "utilisation", "value": value})
}

/// Assert an API error answer: its status, its `error` code, and a part of its `detail`.
pub fn assert_error(answer: &(u16, Value), status: u16, code: &str, detail: &str) {
    let (actual, body) = answer;
    assert_eq!(
        (*actual, body["error"].as_str()),
        (status, Some(code)),
        "{body}"
    );
    let text = body["detail"].as_str().unwrap_or_default();
    assert!(text.contains(detail), "`{detail}` not in {body}");
}

/// Path of a file under `examples/`.
pub fn example(name: &str) -> PathBuf {
    workspace().join("examples").join(name)
}

/// A running `netassure simulate`.
pub struct SimulatorProcess {
    pub child: Child,
    pub url: String,
}

impl SimulatorProcess {
    pub fn start(args: &[&str]) -> SimulatorProcess {
        let port = free_port();
        let child = Command::new(cli_bin())
            .arg("simulate")
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("starting netassure simulate");
        wait_until(Duration::from_secs(30), "the simulator to listen", || {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        SimulatorProcess {
            child,
            url: format!("ws://127.0.0.1:{port}"),
        }
    }
}

impl Drop for SimulatorProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Nodes and links of a `GET /topology` answer (or any `{nodes, links}`), sorted by id, as
/// comparable JSON.
pub fn topology_of(answer: &Value) -> (Vec<Value>, Vec<Value>) {
    let sorted = |key: &str| {
        let mut items: Vec<Value> = answer[key].as_array().cloned().unwrap_or_default();
        items.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
        items
    };
    (sorted("nodes"), sorted("links"))
}

/// Validate an RFC 7951 JSON instance with the real `yanglint` against the IETF modules in
/// `tests/fixtures/yang` (see its README). Returns yanglint's complaint, if any.
pub fn yanglint(instance: &Value) -> Result<(), String> {
    let yang = workspace().join("tests/fixtures/yang");
    let modules = [
        "ietf-yang-types@2025-12-22.yang",
        "ietf-inet-types@2025-12-22.yang",
        "ietf-relevant-state@2026-07-04.yang",
        "ietf-network-anomaly-symptom-cbl@2025-11-15.yang",
        "ietf-network-anomaly-service-topology@2025-11-15.yang",
    ];
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("instance.json");
    std::fs::write(&file, serde_json::to_vec_pretty(instance).unwrap()).unwrap();
    let output = Command::new("yanglint")
        .arg("-p")
        .arg(&yang)
        .args(["-t", "config"])
        .args(modules.iter().map(|module| yang.join(module)))
        .arg(&file)
        .output()
        .expect("yanglint (Debian libyang2-tools) is installed by `cargo xtask test` and .ci/run");
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}
