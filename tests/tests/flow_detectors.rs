//! Flow files through the host to every flow detector: a labelled NIDS-schema CSV with a port
//! scan, a host sweep, a flood and a heavy sender hidden in background traffic, and the
//! committed capture `mixed.pcap` (read by the host's probe), are ingested with `--flows`; each
//! detector must find its attack and nothing else, its evidence naming the attacker and the
//! victims, and a plugin built against WIT 0.1.0 must see every flow. `netassure ingest --flows
//! FILE --dry-run` must count the same file.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use crate::common::{Host, HostDirs, Options, cli_bin, fixture, plugin, wait_until};
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
    // Scanners send a lone SYN to each target; everything else is a whole TCP conversation.
    let flags = match (proto, class) {
        (6, "Reconnaissance" | "Worms") => 2,
        (6, _) => 27,
        _ => 0,
    };
    let mut line = String::new();
    writeln!(
        line,
        "{src},{sport},{dst},{dport},{proto},0.0,{bytes},0,{packets},0,{flags},{},{start},{},{label},{class}",
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

/// The addresses of `list` (an evidence field), as strings.
fn addresses(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|a| a.as_str().unwrap().to_owned())
        .collect()
}

/// Every anomaly of `kind` names exactly `attackers` as attackers (first the one that acted)
/// and `victims` as victims.
fn assert_parties(found: &[Value], kind: &str, attackers: &[&str], victims: &[&str]) {
    assert!(!found.is_empty(), "no {kind} anomaly");
    for anomaly in found {
        let evidence = &anomaly["evidence"];
        assert_eq!(
            addresses(&evidence["attackers"]),
            attackers,
            "{kind}: {anomaly:#}"
        );
        assert_eq!(
            addresses(&evidence["victims"]),
            victims,
            "{kind}: {anomaly:#}"
        );
    }
}

/// Every manifest raises the call deadline: the attack window holds 14,505 flows, and a debug
/// host on a two-core CI machine, with four detectors at work at once, takes 0.1 to 1 s over it
/// (the default 100 ms would recycle the instances and drop that window).
const DEADLINE: &str = "[limits]\ndeadline_ms = 10000\n";

/// The detectors under test, each with the manifest that suits a 30-second file: the flood
/// detector judges from the first window (a UDP flood has no failed-connection signature, so
/// before `learning_s` it would wait for a day of normals), and the volume reports rank
/// senders, receivers and pairs against an explicit share of each window (their hour-of-day
/// baselines need a day of history).
const DETECTORS: [(&str, &str); 4] = [
    (
        "top-talkers",
        "[config]\nby = [\"src\", \"dst\", \"pair\"]\nmin_share = 0.2\n",
    ),
    (
        "heavy-hitters",
        "[config]\nby = [\"src\", \"dst\", \"pair\"]\nmin_share = 0.05\n",
    ),
    ("super-spreader", ""),
    ("volumetric-ddos", "[config]\nlearning_s = 0\n"),
];

#[test]
fn flow_files_reach_every_flow_detector() {
    let dirs = HostDirs::new();
    for (name, manifest) in DETECTORS {
        dirs.add(&plugin(name), name);
        dirs.manifest(name, &format!("{DEADLINE}{manifest}"));
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
    for (name, _) in DETECTORS {
        assert_eq!(
            host.plugin(name)["world"],
            "netassure:plugin/detector@0.1.2",
            "{name}"
        );
    }

    for (name, _) in DETECTORS {
        wait_until(
            Duration::from_secs(120),
            "every detector to handle every window",
            || host.plugin(name)["calls"].as_u64() == Some(windows),
        );
        let detail = host.plugin(name);
        assert_eq!(detail["failures"], 0, "{name}: {detail:#}");
        assert_eq!(detail["errors"], 0, "{name}: {detail:#}");
    }

    // Each detector found its attack, and only it.
    let all = host.get("/anomalies?limit=10000").1;
    let mut kinds: Vec<(String, String)> = all
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["detector"] != "legacy-v010")
        .map(|a| {
            (
                a["detector"].as_str().unwrap().to_owned(),
                a["kind"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    kinds.sort();
    kinds.dedup();
    assert_eq!(
        kinds,
        [
            ("heavy-hitters", "heavy-hitter"),
            ("super-spreader", "host-sweep"),
            ("super-spreader", "port-scan"),
            ("top-talkers", "top-talker"),
            ("volumetric-ddos", "volumetric-ddos"),
        ]
        .map(|(d, k)| (d.to_owned(), k.to_owned())),
        "{all:#}"
    );

    // The vertical scan: one source, one host, 1,500 ports.
    assert_parties(
        &anomalies(&host, "port-scan"),
        "port-scan",
        &["203.0.113.9"],
        &["10.0.0.42"],
    );
    // The horizontal scan: one source, 3,000 hosts on one port (the evidence lists a few).
    let sweeps = anomalies(&host, "host-sweep");
    assert!(!sweeps.is_empty(), "no host-sweep");
    for sweep in &sweeps {
        let evidence = &sweep["evidence"];
        assert_eq!(
            addresses(&evidence["attackers"]),
            ["203.0.113.7"],
            "{sweep:#}"
        );
        let victims = addresses(&evidence["victims"]);
        assert!(
            !victims.is_empty() && victims.iter().all(|v| v.starts_with("10.0.")),
            "{sweep:#}"
        );
        assert_eq!(
            evidence["services"],
            serde_json::json!(["tcp/445"]),
            "{sweep:#}"
        );
    }
    // The flood: 3,000 sources in 100.64.0.0/10 to one victim; its attackers are some of
    // those sources, and it counts them all (HyperLogLog: a few percent).
    let floods = anomalies(&host, "volumetric-ddos");
    assert!(!floods.is_empty(), "no volumetric-ddos");
    for flood in &floods {
        let evidence = &flood["evidence"];
        assert_eq!(
            addresses(&evidence["victims"]),
            ["198.51.100.80"],
            "{flood:#}"
        );
        let attackers = addresses(&evidence["attackers"]);
        assert!(
            !attackers.is_empty() && attackers.iter().all(|a| a.starts_with("100.64.")),
            "{flood:#}"
        );
        let count = evidence["attacker_count"].as_f64().unwrap();
        assert!((2_700.0..=3_300.0).contains(&count), "{flood:#}");
    }
    // The heavy sender, as sender, receiver and pair: the uploader is named first, the host
    // that received its 7.5 GB is the victim. (The receiver's key also holds the background
    // flows other hosts sent it, whose sources come after.)
    for kind in ["heavy-hitter", "top-talker"] {
        let found = anomalies(&host, kind);
        let mut keys: Vec<&str> = found
            .iter()
            .map(|a| a["symptom"]["trigger"].as_str().unwrap())
            .collect();
        keys.sort_unstable();
        assert_eq!(keys, ["dst", "pair", "src"], "{kind}: {found:#?}");
        for anomaly in &found {
            let evidence = &anomaly["evidence"];
            let attackers = addresses(&evidence["attackers"]);
            if anomaly["symptom"]["trigger"] == "dst" {
                assert_eq!(attackers[0], "192.0.2.66", "{kind}: {anomaly:#}");
            } else {
                assert_eq!(attackers, ["192.0.2.66"], "{kind}: {anomaly:#}");
            }
            assert_eq!(
                addresses(&evidence["victims"]),
                ["10.0.0.99"],
                "{kind}: {anomaly:#}"
            );
            assert_eq!(evidence["alerting"], false, "reports only: {anomaly:#}");
        }
    }
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
