//! Flow files through the host to every flow detector: a labelled NIDS-schema CSV with a port
//! scan, a super-spreader, a flood and a heavy sender hidden in background traffic, and the
//! committed capture `mixed.pcap` (read by the host's probe), are ingested with `--flows`; each
//! detector must find its attack and nothing else, and a plugin built against WIT 0.1.0 must
//! see every flow. `netassure ingest --flows FILE --dry-run` must count the same file.

mod common;

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use common::{Host, HostDirs, Options, cli_bin, fixture, plugin, wait_until};
use serde_json::Value;

const T0: u64 = 1_790_000_000_000;
const HEADER: &str = "IPV4_SRC_ADDR,L4_SRC_PORT,IPV4_DST_ADDR,L4_DST_PORT,PROTOCOL,L7_PROTO,IN_BYTES,OUT_BYTES,IN_PKTS,OUT_PKTS,TCP_FLAGS,FLOW_DURATION_MILLISECONDS,FLOW_START_MILLISECONDS,FLOW_END_MILLISECONDS,Label,Attack";

/// How many attack rows of each class the file holds.
struct Written {
    rows: u64,
    malformed: u64,
    classes: Vec<(&'static str, u64)>,
}

#[allow(clippy::too_many_arguments)]
fn row(
    out: &mut Vec<(u64, String)>,
    src: &str,
    sport: u32,
    dst: &str,
    dport: u32,
    proto: u8,
    bytes: u64,
    packets: u64,
    start: u64,
    class: &str,
) {
    let label = u8::from(class != "Benign");
    let mut line = String::new();
    writeln!(
        line,
        "{src},{sport},{dst},{dport},{proto},0.0,{bytes},0,{packets},0,{},{},{start},{},{label},{class}",
        if proto == 6 { 27 } else { 0 },
        500,
        start + 500
    )
    .unwrap();
    out.push((start, line));
}

/// 30 s of background traffic among 4,000 hosts; in the second 10 s window a vertical port
/// scan, a horizontal scan, a flood from 3,000 sources and one very heavy sender. Flows end
/// up to 0.5 s after the last start, so the file spans four 10 s windows.
fn write_csv(path: &Path) -> Written {
    let mut out = Vec::new();
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move |bound: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % bound
    };
    let host = |n: u64| format!("10.0.{}.{}", n / 256, n % 256);
    for i in 0..21_000u64 {
        let start = T0 + i * 30_000 / 21_000;
        let (src, dst) = (next(4_000).min(next(4_000)), next(4_000).min(next(4_000)));
        let packets = 1 + next(200);
        let port = [443, 80, 53, 25][next(4) as usize];
        row(
            &mut out,
            &host(src),
            1024 + next(60_000) as u32,
            &host((dst + 1) % 4_000),
            port,
            6,
            packets * 600,
            packets,
            start,
            "Benign",
        );
    }
    let attack = T0 + 12_000;
    for port in 1..=1_500 {
        row(
            &mut out,
            "203.0.113.9",
            61_000,
            "10.0.0.42",
            port,
            6,
            44,
            1,
            attack,
            "Reconnaissance",
        );
    }
    for n in 0..3_000 {
        row(
            &mut out,
            "203.0.113.7",
            61_001,
            &host(n),
            445,
            6,
            44,
            1,
            attack,
            "Worms",
        );
    }
    for n in 0..3_000u64 {
        let source = format!("100.{}.{}.{}", 64 + n / 65_536, (n / 256) % 256, n % 256);
        row(
            &mut out,
            &source,
            1024 + n as u32,
            "198.51.100.80",
            80,
            17,
            50 * 512,
            50,
            attack,
            "DoS",
        );
    }
    for _ in 0..5 {
        row(
            &mut out,
            "192.0.2.66",
            50_000,
            "10.0.0.99",
            443,
            6,
            1_500_000_000,
            1_000_000,
            attack,
            "Exfiltration",
        );
    }
    out.push((
        T0,
        "not-an-address,1,2.2.2.2,2,6,0,1,1,1,1,0,0,0,0,0,Benign\n".into(),
    ));
    out.push((T0 + 20_000, "10.0.0.1,1,10.0.0.2\n".into()));
    // In time order, as exporters and datasets write them (a stable sort keeps row order).
    out.sort_by_key(|(start, _)| *start);
    let mut text = format!("{HEADER}\n");
    text.extend(out.into_iter().map(|(_, line)| line));
    std::fs::write(path, text).unwrap();
    Written {
        rows: 21_000 + 1_500 + 3_000 + 3_000 + 5,
        malformed: 2,
        classes: vec![
            ("Benign", 21_000),
            ("DoS", 3_000),
            ("Exfiltration", 5),
            ("Reconnaissance", 1_500),
            ("Worms", 3_000),
        ],
    }
}

fn anomalies(host: &Host, kind: &str) -> Vec<Value> {
    host.get(&format!("/anomalies?kind={kind}&limit=10000"))
        .1
        .as_array()
        .unwrap()
        .clone()
}

fn nodes(found: &[Value]) -> Vec<String> {
    let mut nodes: Vec<String> = found
        .iter()
        .map(|a| a["contributing_node_ids"][0].as_str().unwrap().to_owned())
        .collect();
    nodes.sort();
    nodes.dedup();
    nodes
}

#[test]
fn flow_files_reach_every_flow_detector() {
    let dirs = HostDirs::new();
    for name in [
        "top-talkers",
        "heavy-hitters",
        "super-spreader",
        "volumetric-ddos",
    ] {
        dirs.add(&plugin(name), name);
    }
    dirs.add(&fixture("legacy-v010"), "legacy-v010");
    let csv = dirs.root.path().join("labelled.csv");
    let written = write_csv(&csv);
    let pcap = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/flows/mixed.pcap");
    let extra = vec![
        "--flows".into(),
        csv.display().to_string(),
        "--flows".into(),
        pcap.display().to_string(),
    ];
    let host = Host::start(
        &dirs,
        Options {
            extra,
            ..Options::default()
        },
    );

    let files = || {
        host.get("/status").1["ingest"]["files"]
            .as_array()
            .unwrap()
            .clone()
    };
    wait_until(Duration::from_secs(180), "both flow files read", || {
        files().iter().all(|file| file["running"] == false)
    });
    let files = files();
    assert_eq!(files[0]["format"], "nids-csv");
    assert_eq!(files[0]["flows"], written.rows);
    assert_eq!(files[0]["malformed"], written.malformed);
    assert_eq!(files[0]["windows"], 4, "{}", files[0]);
    assert_eq!(files[0]["late"], 0, "{}", files[0]);
    assert_eq!(files[1]["format"], "pcap");
    assert_eq!(files[1]["flows"], 200);
    let windows = files[0]["windows"].as_u64().unwrap() + files[1]["windows"].as_u64().unwrap();

    // The 0.1.0 plugin counted every flow of every window.
    wait_until(
        Duration::from_secs(120),
        "the legacy plugin to see every window",
        || anomalies(&host, "flow-count").len() as u64 == windows,
    );
    let counted: u64 = anomalies(&host, "flow-count")
        .iter()
        .map(|a| {
            let description = a["description"].as_str().unwrap();
            description
                .split(' ')
                .next()
                .unwrap()
                .parse::<u64>()
                .unwrap()
        })
        .sum();
    assert_eq!(counted, written.rows + 200);
    assert_eq!(
        host.plugin("legacy-v010")["world"],
        "netassure:plugin/detector@0.1.0"
    );
    assert_eq!(
        host.plugin("top-talkers")["world"],
        "netassure:plugin/detector@0.1.2"
    );

    for name in [
        "top-talkers",
        "heavy-hitters",
        "super-spreader",
        "volumetric-ddos",
    ] {
        wait_until(
            Duration::from_secs(120),
            "every detector to handle every window",
            || host.plugin(name)["calls"].as_u64() == Some(windows),
        );
        assert_eq!(host.plugin(name)["failures"], 0, "{name}");
    }
    assert_eq!(nodes(&anomalies(&host, "port-scan")), ["203.0.113.9"]);
    assert_eq!(nodes(&anomalies(&host, "super-spreader")), ["203.0.113.7"]);
    assert_eq!(
        nodes(&anomalies(&host, "volumetric-ddos")),
        ["198.51.100.80"]
    );
    assert_eq!(
        nodes(&anomalies(&host, "heavy-hitter")),
        ["10.0.0.99", "192.0.2.66"]
    );
    let talkers = anomalies(&host, "top-talker");
    assert_eq!(talkers.len(), 3, "sender, receiver and pair: {talkers:#?}");
    assert_eq!(nodes(&talkers), ["10.0.0.99", "192.0.2.66"]);
    host.stop();
}

#[test]
fn a_dry_run_counts_a_flow_file_without_a_host() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("labelled.csv");
    let written = write_csv(&csv);
    let output = std::process::Command::new(cli_bin())
        .args(["--json", "ingest", "--dry-run", "--flows"])
        .arg(&csv)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(summary["format"], "nids-csv");
    assert_eq!(summary["flows"], written.rows);
    assert_eq!(summary["malformed"], written.malformed);
    assert_eq!(summary["windows"], 4);
    for (class, count) in written.classes {
        assert_eq!(summary["classes"][class], count, "{class}");
    }
    let first = summary["first_error"].as_str().map(str::to_owned);
    assert!(
        first.is_none(),
        "NIDS rows are counted, not explained: {first:?}"
    );

    let bad = std::process::Command::new(cli_bin())
        .args(["ingest", "--dry-run", "--flows", "/etc/hostname"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not a flow file"));
}
