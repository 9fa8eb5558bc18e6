//! The NetFlow/IPFIX collector against real peers: softflowd (Debian) reads
//! `tests/fixtures/flows/mixed.pcap` and exports it — NetFlow v5, v9 and IPFIX, `-A milli` —
//! to the host, and once more, identically (softflowd is deterministic on a file; given two
//! `-n` destinations it never exits), to nfcapd (Debian package nfdump). The host must count
//! the flows nfdump counts, and a detector subscribed to flows must see every packet and byte.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::common::{
    self, Host, HostDirs, Options, fixture, free_port, plugin, sockets, wait_until,
};
use netassure_netflow::craft::{v9_datagram as v9, v9_template_set};
use serde_json::Value;

fn pcap() -> String {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/flows/mixed.pcap")
        .display()
        .to_string()
}

struct Nfcapd {
    child: Child,
    dir: tempfile::TempDir,
    port: u16,
}

impl Nfcapd {
    fn start(port: u16) -> Nfcapd {
        let dir = tempfile::tempdir().unwrap();
        let child = Command::new("nfcapd")
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
            .expect(
                "nfcapd (Debian package nfdump) is installed by `cargo xtask test` and .ci/run",
            );
        let nfcapd = Nfcapd { child, dir, port };
        wait_until(Duration::from_secs(20), "nfcapd to listen", || {
            nfcapd.socket().is_some()
        });
        nfcapd
    }

    /// nfcapd's UDP socket: bound to its port, unconnected, and held by the nfcapd process
    /// (not another test's socket that happens to use the same port).
    fn socket(&self) -> Option<sockets::Socket> {
        sockets::udp().into_iter().find(|socket| {
            socket.local_port == self.port
                && socket.remote_port == 0
                && sockets::held_by(self.child.id(), socket.inode)
        })
    }

    /// Wait until nfcapd has read every datagram sent to it so far (on loopback a datagram
    /// is in the receiver's queue, or dropped, once its `send` returns).
    fn wait_read(&self) {
        wait_until(Duration::from_secs(20), "nfcapd to read the export", || {
            self.socket().is_some_and(|socket| socket.rx_queue == 0)
        });
    }

    /// Stop (nfcapd writes its file on SIGTERM) and return nfdump's flows: (packets, bytes).
    fn flows(self) -> Vec<(u64, u64)> {
        nfdump(self.stop().path(), "")
    }

    /// Stop (nfcapd writes its file on SIGTERM); the folder of its files.
    fn stop(mut self) -> tempfile::TempDir {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
        self.dir
    }
}

/// The flows of nfcapd's files in `dir` that nfdump's `filter` selects: (packets, bytes).
fn nfdump(dir: &std::path::Path, filter: &str) -> Vec<(u64, u64)> {
    let mut command = Command::new("nfdump");
    command.args([
        "-R",
        &dir.display().to_string(),
        "-q",
        "-N",
        "-o",
        "fmt:%pkt %byt",
    ]);
    if !filter.is_empty() {
        command.arg(filter);
    }
    let output = command.output().expect("nfdump");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace().map(|f| f.parse::<u64>());
            Some((fields.next()?.ok()?, fields.next()?.ok()?))
        })
        .collect()
}

/// Export the capture as NetFlow `version` to 127.0.0.1:`port`.
fn softflowd(dirs: &HostDirs, version: &str, port: u16) {
    let control = dirs.plugins().join(format!("softflowd-{version}-{port}"));
    let status = Command::new("softflowd")
        .args(["-r", &pcap(), "-v", version, "-A", "milli", "-d"])
        .args(["-n", &format!("127.0.0.1:{port}")])
        // No `-c` with `-r`: softflowd then waits on its control socket forever.
        .args(["-p", &format!("{}.pid", control.display())])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect(
            "softflowd (Debian package softflowd) is installed by `cargo xtask test` and .ci/run",
        );
    assert!(status.success());
}

/// A host whose NetFlow collector listens on a free port; the port.
fn with_collector(dirs: &HostDirs) -> (Host, u16) {
    with_collector_config(dirs, "", "")
}

/// A host with a collector, `plugins` as its `[plugins]` settings and `netflow` added to its
/// `[ingest.netflow]` ones.
fn with_collector_config(dirs: &HostDirs, plugins: &str, netflow: &str) -> (Host, u16) {
    let port = free_port();
    let extra = dirs.config(&format!(
        "[plugins]\n{plugins}[ingest.netflow]\nlisten = \"127.0.0.1:{port}\"\n{netflow}"
    ));
    let host = Host::start(
        dirs,
        Options {
            extra,
            ..Options::default()
        },
    );
    (host, port)
}

fn exporters(host: &Host) -> Value {
    host.get("/status").1["ingest"]["netflow"]["exporters"].clone()
}

#[test]
fn softflowd_exports_reach_the_detectors_and_match_nfdump() {
    let dirs = HostDirs::new();
    dirs.add(&fixture("probe"), "probe");
    dirs.manifest("probe", "[config]\nmode = \"flow-sum\"\n");
    let port = free_port();
    let extra = dirs.config(&format!(
        "[ingest.netflow]\nlisten = \"127.0.0.1:{port}\"\nwindow_ms = 300\n"
    ));
    let host = Host::start(
        &dirs,
        Options {
            extra,
            ..Options::default()
        },
    );
    let mut expected_flows = 0;
    let (mut packets, mut bytes) = (0u64, 0u64);
    for version in ["5", "9", "10"] {
        let peer_port = free_port();
        let nfcapd = Nfcapd::start(peer_port);
        for destination in [port, peer_port] {
            softflowd(&dirs, version, destination);
        }
        nfcapd.wait_read();
        let peer = nfcapd.flows();
        assert!(!peer.is_empty(), "nfdump decoded the v{version} export");
        expected_flows += peer.len() as u64;
        packets += peer.iter().map(|f| f.0).sum::<u64>();
        bytes += peer.iter().map(|f| f.1).sum::<u64>();
        wait_until(
            Duration::from_secs(30),
            "the collector to count nfdump's flows",
            || {
                let all = exporters(&host);
                let counted: u64 = all.as_object().map_or(0, |e| {
                    e.values().map(|x| x["flows"].as_u64().unwrap_or(0)).sum()
                });
                counted == expected_flows
            },
        );
    }
    let all = exporters(&host);
    let all = all.as_object().unwrap();
    assert_eq!(all.len(), 3, "one exporter per softflowd run: {all:?}");
    for (exporter, counters) in all {
        assert_eq!(counters["malformed"], 0, "{exporter}: {counters}");
        assert_eq!(counters["no_template"], 0, "{exporter}: {counters}");
    }
    let (_, metrics) = host.get("/metrics");
    let metrics = metrics.as_str().unwrap();
    let exporter = all.keys().next().unwrap();
    let line = format!(
        r#"netassure_netflow_exporter{{exporter="{exporter}",kind="flows"}} {}"#,
        all[exporter]["flows"]
    );
    assert!(metrics.contains(&line), "{line} in {metrics}");
    // Every window reached the flow-sum detector: its anomalies add up to nfdump's totals.
    wait_until(
        Duration::from_secs(30),
        "every window at the detector",
        || {
            let sums: Vec<Value> = host
                .get("/anomalies?kind=flow-sum&limit=10000")
                .1
                .as_array()
                .cloned()
                .unwrap_or_default();
            let (mut p, mut b) = (0u64, 0u64);
            for anomaly in &sums {
                let text = anomaly["description"].as_str().unwrap_or("");
                let numbers: Vec<u64> = text
                    .split_whitespace()
                    .filter_map(|n| n.parse().ok())
                    .collect();
                if numbers.len() == 3 {
                    b += numbers[0];
                    p += numbers[1];
                }
            }
            (p, b) == (packets, bytes)
        },
    );
}

#[test]
fn malformed_truncated_unknown_and_template_less_datagrams_are_counted_not_fatal() {
    let dirs = HostDirs::new();
    let (host, port) = with_collector(&dirs);
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let sender = socket.local_addr().unwrap().to_string();
    let v9_header = |count: u8| -> Vec<u8> {
        vec![
            0, 9, 0, count, 0, 0, 0, 1, 0x6a, 0xb0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 7,
        ]
    };
    let mut template_less = v9_header(1);
    template_less.extend([1, 0, 0, 12, 10, 0, 0, 1, 10, 0, 0, 2]); // data set 256, no template
    let mut bad_template = v9_header(1);
    bad_template.extend([0, 0, 0, 8, 0, 7, 0, 1]); // template id 7 (< 256)
    let datagrams: Vec<Vec<u8>> = vec![
        vec![0, 7, 1, 2, 3],           // unknown version
        vec![0, 9, 0, 1, 0, 0],        // truncated v9 header
        vec![0, 10, 0xff, 0xff, 0, 0], // IPFIX length beyond the datagram
        vec![0, 5, 0, 30, 0, 0, 0, 0], // v5 claiming 30 records
        vec![],                        // empty
        bad_template,
        template_less,
    ];
    for datagram in &datagrams {
        socket.send_to(datagram, ("127.0.0.1", port)).unwrap();
    }
    wait_until(Duration::from_secs(30), "the datagrams counted", || {
        let counters = &exporters(&host)[&sender];
        counters["packets"] == 7 && counters["malformed"] == 6 && counters["pending"] == 1
    });
    let (status, _) = host.get("/status");
    assert_eq!(status, 200, "the host keeps serving");
    assert_eq!(exporters(&host)[&sender]["flows"], 0);
}

/// What anyone who can send UDP can do to the collector's memory: 200 source ports (each a
/// new exporter) define 4,000 templates each, and 120 more send data sets for templates that
/// never come. The host's memory stays where it was (the collector keeps 256 templates per
/// exporter and 16 KiB of waiting data per exporter, 32 MiB in all) and the refusals are
/// counted. Without those bounds such floods took the host past 1.5 GB.
#[test]
fn template_and_pending_floods_from_many_ports_leave_the_hosts_memory_where_it_was() {
    const TEMPLATE_PORTS: usize = 200;
    const PENDING_PORTS: usize = 120;
    let dirs = HostDirs::new();
    let (host, port) = with_collector(&dirs);
    let before = host.rss_bytes();
    let template_sets: Vec<Vec<u8>> = (0..2u16)
        .map(|chunk| {
            let ids = (256 + chunk * 2_000)..(256 + (chunk + 1) * 2_000);
            v9(u32::from(chunk), &[v9_template_set(ids)])
        })
        .collect();
    let pending: Vec<Vec<u8>> = (0..4u32)
        .map(|n| v9(n, &[(300 + n as u16, vec![7u8; 8_000])]))
        .collect();
    let send = |datagrams: &[Vec<u8>], exporters: usize| {
        for _ in 0..exporters {
            let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
            for datagram in datagrams {
                socket.send_to(datagram, ("127.0.0.1", port)).unwrap();
            }
            // The flood must reach the collector, not overflow its socket's receive buffer
            // while a loaded machine gives the host no core: each exporter's datagrams are
            // read before the next exporter sends.
            wait_until(
                Duration::from_secs(30),
                "the collector to read them",
                || {
                    sockets::udp().iter().any(|socket| {
                        socket.local_port == port && socket.remote_port == 0 && socket.rx_queue == 0
                    })
                },
            );
        }
    };
    send(&template_sets, TEMPLATE_PORTS);
    send(&pending, PENDING_PORTS);
    let sent = (TEMPLATE_PORTS * template_sets.len() + PENDING_PORTS * pending.len()) as u64;
    let total = |netflow: &Value, counter: &str| -> u64 {
        netflow["exporters"]
            .as_object()
            .map(|all| {
                all.values()
                    .map(|counters| counters[counter].as_u64().unwrap_or(0))
                    .sum()
            })
            .unwrap_or(0)
    };
    wait_until(Duration::from_secs(60), "the datagrams taken in", || {
        total(&host.get("/status").1["ingest"]["netflow"], "packets") * 10 >= sent * 9
    });
    let netflow = host.get("/status").1["ingest"]["netflow"].clone();
    assert!(
        total(&netflow, "templates_refused") >= (TEMPLATE_PORTS as u64 / 2) * 3_744,
        "{netflow}"
    );
    assert!(total(&netflow, "templates") <= 256 * TEMPLATE_PORTS as u64);
    let pending_bytes = netflow["pending_bytes"].as_u64().unwrap();
    assert!(
        pending_bytes > 0 && pending_bytes <= (16 << 10) * PENDING_PORTS as u64,
        "{pending_bytes}"
    );
    let grew = host.rss_bytes().saturating_sub(before);
    assert!(
        grew < 64 << 20,
        "the floods took {} MiB of the host's memory",
        grew >> 20
    );
    assert_eq!(host.get("/status").0, 200, "the host keeps serving");
}

/// A detector that cannot take the collector's windows — it loops until its CPU deadline, and
/// while it does its backlog (`max_queued_flows = 1`) is full — never slows the others and
/// never loses a window unseen: every window it missed is counted, with its flows, in
/// `GET /plugins/{name}`, `/status` and `/metrics`, and one host-health anomaly says so. So
/// does a detector quarantined after its first failure; one an operator disabled skips by
/// choice, uncounted and unreported.
#[test]
fn windows_a_detector_cannot_take_are_counted_and_reported_once() {
    const WINDOWS: u32 = 6;
    const FLOWS: u32 = 10;
    let dirs = HostDirs::new();
    dirs.add(&fixture("hostile"), "looper");
    dirs.manifest(
        "looper",
        "[limits]\ndeadline_ms = 200\ndeadline_us_per_flow = 0\nmax_consecutive_failures = 1000\n\n[config]\nmode = \"loop\"\n",
    );
    dirs.add(&fixture("hostile"), "quitter");
    dirs.manifest(
        "quitter",
        "[limits]\ndeadline_ms = 50\ndeadline_us_per_flow = 0\nmax_consecutive_failures = 1\n\n[config]\nmode = \"loop\"\n",
    );
    dirs.add(&fixture("hostile"), "idler");
    dirs.manifest("idler", "enabled = false\n\n[config]\nmode = \"ok\"\n");
    dirs.add(&plugin("heavy-hitters"), "heavy-hitters");
    let (host, port) = with_collector_config(
        &dirs,
        "max_queued_flows = 1\n",
        &format!("window_flows = {FLOWS}\n"),
    );
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    // Handled through and through: called (`calls` counts a call as it starts) and its window
    // released from the backlog.
    let handled = |name: &str| {
        let plugin = host.plugin(name);
        if plugin["queued_flows"] == 0 {
            plugin["calls"].as_u64().unwrap_or(0)
        } else {
            0
        }
    };
    for window in 0..WINDOWS {
        // Template 256 (one IN_BYTES field) with every datagram; FLOWS records close a window.
        let records: Vec<u8> = (0..FLOWS).flat_map(|n| (100 + n).to_be_bytes()).collect();
        let datagram = v9(window, &[v9_template_set(256..257), (256, records)]);
        socket.send_to(&datagram, ("127.0.0.1", port)).unwrap();
        // heavy-hitters has handled each window before the next comes: its backlog never fills.
        wait_until(
            Duration::from_secs(30),
            "heavy-hitters handles the window",
            || handled("heavy-hitters") > u64::from(window),
        );
    }
    wait_until(
        Duration::from_secs(30),
        "the looper's windows counted",
        || {
            host.plugin("looper")["windows_skipped"] == WINDOWS
                && host.plugin("quitter")["windows_skipped"] == WINDOWS
                && host.plugin("idler")["skipped"] == WINDOWS
        },
    );
    let quitter = host.plugin("quitter");
    assert_eq!(
        (
            quitter["status"].as_str(),
            quitter["flows_skipped"].as_u64()
        ),
        (Some("quarantined"), Some(u64::from(WINDOWS * FLOWS))),
        "{quitter}"
    );
    let idler = host.plugin("idler");
    assert_eq!(idler["windows_skipped"], 0, "disabled by choice: {idler}");
    let looper = host.plugin("looper");
    assert_eq!(looper["flows_skipped"], WINDOWS * FLOWS, "{looper}");
    assert_eq!(
        looper["status"], "enabled",
        "a loop is stopped, not quarantined here"
    );
    assert!(
        looper["last_error"]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("CPU deadline of 200 ms")),
        "{looper}"
    );
    let hitters = host.plugin("heavy-hitters");
    assert_eq!(
        (
            hitters["windows_skipped"].as_u64(),
            hitters["failures"].as_u64()
        ),
        (Some(0), Some(0)),
        "{hitters}"
    );
    let status = host.get("/status").1;
    assert_eq!(status["plugins"]["windows_skipped"], 2 * WINDOWS);
    assert_eq!(
        status["plugin_skipped"]["looper"]["flows_skipped"],
        WINDOWS * FLOWS
    );
    assert!(
        status["plugin_skipped"].get("heavy-hitters").is_none()
            && status["plugin_skipped"].get("idler").is_none(),
        "{status}"
    );
    let metrics = common::agent()
        .get(format!("{}/metrics", host.base))
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    assert!(
        metrics.contains(&format!(
            "netassure_plugin_windows_skipped_total{{plugin=\"looper\"}} {WINDOWS}"
        )) && metrics.contains(&format!(
            "netassure_plugin_flows_skipped_total{{plugin=\"looper\"}} {}",
            WINDOWS * FLOWS
        )),
        "{metrics}"
    );
    let reports = host.get("/anomalies?kind=plugin-windows-skipped").1;
    let reports = reports.as_array().unwrap();
    let about = |name: &str| {
        let start = format!("detector {name} skipped a window of 10 flows");
        reports
            .iter()
            .filter(|r| {
                r["description"]
                    .as_str()
                    .is_some_and(|d| d.starts_with(&start))
            })
            .count()
    };
    assert_eq!(
        (about("looper"), about("quitter"), reports.len()),
        (1, 1, 2),
        "one anomaly per episode, none for the disabled detector: {reports:?}"
    );
    assert!(reports.iter().all(|r| r["detector"] == "netassure-host"));
}

/// (packets, bytes) of each flow of a `GET /flows` reply, sorted.
fn stored(reply: &Value) -> Vec<(u64, u64)> {
    let mut flows: Vec<(u64, u64)> = reply["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|f| (f["packets"].as_u64().unwrap(), f["bytes"].as_u64().unwrap()))
        .collect();
    flows.sort_unstable();
    flows
}

#[test]
fn exported_flows_are_kept_and_a_filter_selects_what_nfdumps_selects() {
    let dirs = HostDirs::new();
    let (host, port) = with_collector_config(
        &dirs,
        "",
        "window_ms = 300\n[store]\nenabled = true\nflush_after_s = 1\n",
    );
    let peer_port = free_port();
    let nfcapd = Nfcapd::start(peer_port);
    for destination in [port, peer_port] {
        softflowd(&dirs, "9", destination);
    }
    nfcapd.wait_read();
    let peer = nfcapd.stop();
    let expected = nfdump(peer.path(), "").len() as u64;
    assert!(expected > 0, "nfdump decoded the export");
    wait_until(
        Duration::from_secs(30),
        "every flow written to the flow store",
        || host.get("/status").1["flow_history"]["stored_flows"].as_u64() == Some(expected),
    );
    let status = host.get("/status").1;
    assert_eq!(status["flow_history"]["shed_flows"], 0, "{status}");
    for (nfdump_filter, ours) in [
        ("", ""),
        ("proto udp", "proto udp"),
        ("proto tcp and dst port 443", "proto tcp and dport = 443"),
        ("not proto tcp", "not proto tcp"),
        ("bytes > 1000 or packets < 3", "bytes > 1000 or packets < 3"),
        ("src port 53 or dst port 53", "port 53"),
    ] {
        let mut want = nfdump(peer.path(), nfdump_filter);
        want.sort_unstable();
        let path = format!(
            "/flows?since=0&limit=10000&filter={}",
            ours.replace(' ', "%20")
                .replace('=', "%3D")
                .replace('<', "%3C")
                .replace('>', "%3E")
        );
        let (code, reply) = host.get(&path);
        assert_eq!(code, 200, "{ours}: {reply}");
        assert_eq!(
            stored(&reply),
            want,
            "`{ours}` against nfdump's `{nfdump_filter}`"
        );
    }
    let (code, reply) = host.get("/flows?filter=dport%20%3E%2070000");
    assert_eq!(code, 400, "{reply}");
    assert!(
        reply["detail"].as_str().unwrap().contains("column 9"),
        "{reply}"
    );
}
