//! NetFlow end to end (`cargo xtask bench`): a synthetic NetFlow v9 exporter on loopback sends
//! to a real `netassure-host` and the same datagrams to `nfcapd` (nfdump), the peer, in two
//! configurations:
//!
//! - **one plugin**: the UDP collector → 1 s / 100k-flow windows → the `heavy-hitters`
//!   Count-Min plugin; for each offered rate, the flows each receiver accepted, the loss, and
//!   the rate at which the plugin finished the windows;
//! - **realistic**: every shipped flow detector on its defaults (`flow-gae`, `heavy-hitters`,
//!   `top-talkers`, `super-spreader`, `volumetric-ddos`, `beacon-watch`) with
//!   `severity-mapping`, the collector's default windows (10 s / 100k flows), paced at
//!   0.25 / 0.5 / 1 / 2 M flows/s: flows lost, and per detector windows handled and skipped,
//!   call p50/p99 and whether it was quarantined; the host's peak memory (VmHWM).
//!
//! `NETASSURE_BENCH_ONLY=one-plugin|realistic` runs one of them; `NETASSURE_BENCH_GAE=generic`
//! has `flow-gae` score every window instead of learning; `NETASSURE_BENCH_SECONDS`
//! sets the realistic runs' length (default 20 s, 60 s at 1 M flows/s);
//! `NETASSURE_BENCH_HOST_LOG=file` keeps the host's log (warnings) there. Results go to
//! BENCHMARKS.md.
//!
//! Both receivers get the same datagrams at the same pace from the same process, one after the
//! other; on the 2-core machine the sender shares the cores with the receiver it measures.

use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

#[path = "flow_pipeline/realistic.rs"]
mod realistic;

/// Flow records per export datagram (34 bytes each: 1,384-byte datagrams).
const PER_DATAGRAM: usize = 40;
const TEMPLATE_ID: u16 = 256;
/// (type, length) of the template's fields.
const FIELDS: [(u16, u16); 12] = [
    (8, 4),  // IPV4_SRC_ADDR
    (12, 4), // IPV4_DST_ADDR
    (7, 2),  // L4_SRC_PORT
    (11, 2), // L4_DST_PORT
    (4, 1),  // PROTOCOL
    (6, 1),  // TCP_FLAGS
    (1, 4),  // IN_BYTES
    (2, 4),  // IN_PKTS
    (22, 4), // FIRST_SWITCHED
    (21, 4), // LAST_SWITCHED
    (10, 2), // INPUT_SNMP
    (14, 2), // OUTPUT_SNMP
];

/// A NetFlow v9 exporter of pseudo-random enterprise-like flows (a few busy sources).
struct Exporter {
    sequence: u32,
    state: u64,
}

impl Exporter {
    fn new() -> Self {
        Exporter {
            sequence: 0,
            state: 0x9E37_79B9_7F4A_7C15,
        }
    }

    fn next(&mut self) -> u64 {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        self.state
    }

    /// One export packet of `PER_DATAGRAM` flows; every 64th also carries the template.
    fn datagram(&mut self) -> Vec<u8> {
        let with_template = self.sequence.is_multiple_of(64);
        let mut out = Vec::with_capacity(1_500);
        let count = PER_DATAGRAM as u16 + u16::from(with_template);
        out.extend_from_slice(&9u16.to_be_bytes());
        out.extend_from_slice(&count.to_be_bytes());
        out.extend_from_slice(&1_000_000u32.to_be_bytes()); // sys uptime, ms
        out.extend_from_slice(&1_790_000_000u32.to_be_bytes()); // unix secs
        out.extend_from_slice(&self.sequence.to_be_bytes());
        out.extend_from_slice(&7u32.to_be_bytes()); // source id
        self.sequence += 1;
        if with_template {
            out.extend_from_slice(&0u16.to_be_bytes());
            out.extend_from_slice(&(8 + 4 * FIELDS.len() as u16).to_be_bytes());
            out.extend_from_slice(&TEMPLATE_ID.to_be_bytes());
            out.extend_from_slice(&(FIELDS.len() as u16).to_be_bytes());
            for (kind, len) in FIELDS {
                out.extend_from_slice(&kind.to_be_bytes());
                out.extend_from_slice(&len.to_be_bytes());
            }
        }
        out.extend_from_slice(&TEMPLATE_ID.to_be_bytes());
        out.extend_from_slice(&(4 + 34 * PER_DATAGRAM as u16).to_be_bytes());
        for _ in 0..PER_DATAGRAM {
            let (a, b, c) = (self.next(), self.next(), self.next());
            let src = 0x0A00_0000 | ((a % 50_000) as u32).min((b % 50_000) as u32);
            let dst = 0x0A10_0000 | (c % 200_000) as u32;
            out.extend_from_slice(&src.to_be_bytes());
            out.extend_from_slice(&dst.to_be_bytes());
            out.extend_from_slice(&(1024 + (a >> 20) as u16 % 60_000).to_be_bytes());
            out.extend_from_slice(&[443u16, 80, 53, 22][(b >> 30) as usize % 4].to_be_bytes());
            out.push(6);
            out.push(0x1b);
            let packets = 1 + (c >> 40) as u32 % 100;
            out.extend_from_slice(&(packets * 700).to_be_bytes());
            out.extend_from_slice(&packets.to_be_bytes());
            out.extend_from_slice(&990_000u32.to_be_bytes());
            out.extend_from_slice(&999_000u32.to_be_bytes());
            out.extend_from_slice(&1u16.to_be_bytes());
            out.extend_from_slice(&2u16.to_be_bytes());
        }
        out
    }
}

/// Where the host's log goes: the file `NETASSURE_BENCH_HOST_LOG` names (appended to), or
/// nowhere.
fn host_log() -> Stdio {
    let Some(path) = std::env::var_os("NETASSURE_BENCH_HOST_LOG") else {
        return Stdio::null();
    };
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .unwrap_or_else(|err| panic!("opening {}: {err}", Path::new(&path).display()));
    Stdio::from(file)
}

/// Send `flows` flows to `to` at `rate` flows/s (0: as fast as the socket takes them). The
/// sender sleeps between bursts of what is due (every 200 µs) rather than spinning, so it
/// leaves the receiver what a real exporter — on another machine — would.
fn send(to: SocketAddr, flows: u64, rate: u64) -> Duration {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut exporter = Exporter::new();
    let datagrams: Vec<Vec<u8>> = (0..4_096).map(|_| exporter.datagram()).collect();
    let total = flows.div_ceil(PER_DATAGRAM as u64);
    let started = Instant::now();
    for i in 0..total {
        if rate > 0 {
            let due = Duration::from_secs_f64((i * PER_DATAGRAM as u64) as f64 / rate as f64);
            while started.elapsed() < due {
                std::thread::sleep(Duration::from_micros(200));
            }
        }
        // Pre-built datagrams (every 64th with the template), renumbered so the sequence stays
        // consecutive.
        let mut datagram = datagrams[(i % 4_096) as usize].clone();
        datagram[12..16].copy_from_slice(&(i as u32).to_be_bytes());
        let _ = socket.send_to(&datagram, to);
    }
    started.elapsed()
}

fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn free_tcp_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct HostProcess {
    child: Child,
    api: String,
    netflow: SocketAddr,
    _dir: tempfile::TempDir,
}

impl HostProcess {
    /// A host running `names` from `plugins`; `windows` is the `[ingest.netflow]` window
    /// settings (empty: the defaults); `NETASSURE_BENCH_WORKERS` sets `[plugins] workers`;
    /// with `NETASSURE_BENCH_GAE=generic` flow-gae scores every window (see [`gae_scores`]).
    fn start(plugins: &Path, names: &[&str], windows: &str) -> HostProcess {
        let dir = tempfile::tempdir().unwrap();
        let plugin_dir = dir.path().join("plugins");
        std::fs::create_dir_all(&plugin_dir).unwrap();
        for name in names {
            std::fs::copy(
                plugins.join(format!("{name}.wasm")),
                plugin_dir.join(format!("{name}.wasm")),
            )
            .unwrap();
        }
        let (api_port, udp_port) = (free_tcp_port(), free_udp_port());
        let config = format!(
            "[server]\nlisten = \"127.0.0.1:{api_port}\"\n[plugins]\ndir = \"{}\"\nwatch = false\n{}\
             [data]\ndir = \"{}\"\n[ingest.netflow]\nlisten = \"127.0.0.1:{udp_port}\"\n\
             {windows}receive_buffer_bytes = 33554432\n{}",
            plugin_dir.display(),
            std::env::var("NETASSURE_BENCH_WORKERS")
                .map(|n| format!("workers = {n}\n"))
                .unwrap_or_default(),
            dir.path().join("data").display(),
            if gae_scores() {
                "[models.flow-gae]\nuse_generic = true\n"
            } else {
                ""
            },
        );
        let config_path = dir.path().join("netassure.toml");
        std::fs::write(&config_path, config).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_netassure-host"))
            .arg("-c")
            .arg(&config_path)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(host_log())
            .spawn()
            .unwrap();
        let host = HostProcess {
            child,
            api: format!("http://127.0.0.1:{api_port}"),
            netflow: SocketAddr::from(([127, 0, 0, 1], udp_port)),
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(120);
        while host.get("/status").is_none() {
            assert!(Instant::now() < deadline, "the host did not start");
            std::thread::sleep(Duration::from_millis(200));
        }
        host
    }

    fn get(&self, path: &str) -> Option<Value> {
        let mut response = ureq::get(format!("{}{path}", self.api)).call().ok()?;
        serde_json::from_str(&response.body_mut().read_to_string().ok()?).ok()
    }

    /// (flows the collector published, flows in windows the plugin finished).
    fn progress(&self) -> (u64, u64, u64) {
        let status = self.get("/status").unwrap();
        let netflow = &status["ingest"]["netflow"];
        let plugin = self.get("/plugins/heavy-hitters").unwrap();
        (
            netflow["flows"].as_u64().unwrap_or(0),
            netflow["windows"].as_u64().unwrap_or(0),
            plugin["calls"].as_u64().unwrap_or(0),
        )
    }
}

impl Drop for HostProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What one run against the host measured.
struct HostRun {
    /// Flows the collector published in windows.
    accepted: u64,
    /// 1 − accepted ÷ sent.
    loss: f64,
    /// Accepted flows ÷ (first datagram → plugin done with the last window, less the last
    /// window's 1 s timer).
    rate: f64,
    /// How long sending took.
    sending: Duration,
    /// From the last datagram until the plugin finished the last window (includes that
    /// window's timer of up to 1 s).
    lag: Duration,
}

/// One run against the host.
fn host_run(plugins: &Path, flows: u64, rate: u64) -> HostRun {
    let host = HostProcess::start(
        plugins,
        &["heavy-hitters"],
        "window_ms = 1000\nwindow_flows = 100000\n",
    );
    let started = Instant::now();
    let sending = send(host.netflow, flows, rate);
    // The last window closes 1 s after its first flow; then the plugin finishes it.
    let mut last = (0, 0, 0);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        std::thread::sleep(Duration::from_millis(50));
        let now = host.progress();
        if now.1 > 0
            && now.2 == now.1
            && now == last
            && started.elapsed() > sending + Duration::from_millis(1_200)
        {
            break;
        }
        last = now;
        if Instant::now() > deadline {
            break;
        }
    }
    // The last poll that changed nothing came up to 50 ms after the plugin finished.
    let elapsed = started.elapsed().saturating_sub(Duration::from_millis(50));
    let accepted = last.0;
    // The window timer adds up to 1 s of waiting after the last datagram; take it out.
    let busy = elapsed
        .saturating_sub(Duration::from_millis(1_000))
        .max(sending);
    HostRun {
        accepted,
        loss: 1.0 - accepted as f64 / flows as f64,
        rate: accepted as f64 / busy.as_secs_f64(),
        sending,
        lag: elapsed.saturating_sub(sending),
    }
}

/// One run against nfcapd: flows it wrote (nfdump's count) and the loss.
fn nfcapd_run(flows: u64, rate: u64) -> Option<(u64, f64, Duration)> {
    let dir = tempfile::tempdir().unwrap();
    let port = free_udp_port();
    let mut child = Command::new("nfcapd")
        .args([
            "-w",
            &dir.path().display().to_string(),
            "-p",
            &port.to_string(),
            "-b",
            "127.0.0.1",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    std::thread::sleep(Duration::from_millis(500));
    let sending = send(SocketAddr::from(([127, 0, 0, 1], port)), flows, rate);
    std::thread::sleep(Duration::from_millis(500));
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
    let output = Command::new("nfdump")
        .args(["-R", &dir.path().display().to_string(), "-I"])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    let accepted: u64 = text
        .lines()
        .find_map(|line| line.strip_prefix("Flows:"))
        .and_then(|n| n.trim().parse().ok())?;
    Some((accepted, 1.0 - accepted as f64 / flows as f64, sending))
}

/// `NETASSURE_BENCH_GAE=generic`: `flow-gae` scores every window with the shipped generic model
/// (`[models.flow-gae] use_generic = true`) — the cost after its learning period, when it runs
/// its network's model — instead of learning, as it does on its defaults for the first day.
fn gae_scores() -> bool {
    std::env::var("NETASSURE_BENCH_GAE").is_ok_and(|mode| mode == "generic")
}

fn plugins_dir() -> PathBuf {
    std::env::var_os("NETASSURE_PLUGINS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/plugins"))
}

fn main() {
    let only = std::env::var("NETASSURE_BENCH_ONLY").unwrap_or_default();
    if only != "realistic" {
        one_plugin();
    }
    if only != "one-plugin" {
        realistic::run(&plugins_dir());
    }
}

fn one_plugin() {
    let plugins = plugins_dir();
    println!(
        "NetFlow v9 end to end: UDP → collector → 1 s / 100k-flow windows → heavy-hitters (Count-Min 16384×5)"
    );
    println!(
        "{:<11} {:>9} {:>10} {:>8} {:>13} {:>8} {:>10} {:>8} {:>7}",
        "offered", "flows", "host got", "loss", "e2e flows/s", "lag", "nfcapd got", "loss", "ratio"
    );
    for (rate, seconds) in [
        (500_000u64, 10u64),
        (1_000_000, 5),
        (1_500_000, 4),
        (2_000_000, 4),
        (3_000_000, 3),
        (0, 4),
    ] {
        let flows = if rate == 0 { 6_000_000 } else { rate * seconds };
        let host = host_run(&plugins, flows, rate);
        let offered = if rate == 0 {
            format!(
                "max {:.2}M",
                flows as f64 / host.sending.as_secs_f64() / 1e6
            )
        } else {
            format!("{:.1}M/s", rate as f64 / 1e6)
        };
        let (peer, peer_loss, ratio) = match nfcapd_run(flows, rate) {
            Some((got, loss, _)) => (
                got.to_string(),
                format!("{:.3}%", loss * 100.0),
                format!("{:.2}x", host.accepted as f64 / got.max(1) as f64),
            ),
            None => ("no nfcapd".into(), "-".into(), "-".into()),
        };
        println!(
            "{offered:<11} {flows:>9} {:>10} {:>7.3}% {:>13.0} {:>7.2}s {peer:>10} {peer_loss:>8} {ratio:>7}",
            host.accepted,
            host.loss * 100.0,
            host.rate,
            host.lag.as_secs_f64()
        );
    }
}
