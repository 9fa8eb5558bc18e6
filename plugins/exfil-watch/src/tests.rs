//! Exfiltration found — an scp upload to a new external host, the generator's exfiltrations —
//! and benign lookalikes not: uploads to an address the network uses, downloads, internal
//! backups, a nightly offsite backup from its second night, anything while learning;
//! bidirectional records; restarts; bounded memory; configuration; speed.

use std::net::IpAddr;

use netassure_flowsynth::{AttackClass, Scenario, SynthFlow, generate};
use netassure_plugin_sdk::flows::FlowRecord;
use netassure_plugin_sdk::prelude::*;
use netassure_plugin_sdk::testing::flows_event;

use super::{Config, ExfilWatch};

const HOUR: u64 = 3_600_000;
const T0: u64 = 1_790_000_000_000 - 1_790_000_000_000 % 86_400_000;

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

/// A TCP conversation as two unidirectional flows: `up` bytes from `client`, `down` back.
fn conversation(
    client: &str,
    server: &str,
    port: u16,
    up: u64,
    down: u64,
    at: u64,
    seconds: u64,
) -> [FlowRecord; 2] {
    let packets = |bytes: u64| 3 + bytes / 1_400;
    let sport = 40_000 + (at / 1_000 % 20_000) as u16;
    let request = FlowRecord {
        src: ip(client),
        dst: ip(server),
        src_port: sport,
        dst_port: port,
        protocol: 6,
        tcp_flags: 0x1b,
        bytes: up + 40 * packets(up),
        packets: packets(up),
        start_ms: at,
        end_ms: at + seconds * 1_000,
    };
    let mut answer = request.clone();
    (answer.src, answer.dst, answer.src_port, answer.dst_port) =
        (request.dst, request.src, port, sport);
    (answer.bytes, answer.packets, answer.start_ms) =
        (down + 40 * packets(down), packets(down), at + 1);
    [request, answer]
}

/// Background: 40 workstations browse 300 sites (small requests, large answers) and upload
/// photos to a cloud service they all use, every minute of `[from, to)`.
fn background(from: u64, to: u64) -> Vec<FlowRecord> {
    let mut flows = Vec::new();
    let mut state = from | 1;
    let mut next = move |bound: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % bound
    };
    for minute in (from..to).step_by(60_000) {
        for host in 1..=40u64 {
            let client = format!("10.0.1.{host}");
            let site = format!("93.184.{}.{}", next(2), 1 + next(150));
            let at = minute + next(50_000);
            flows.extend(conversation(
                &client,
                &site,
                443,
                1_500,
                200_000 + next(2_000_000),
                at,
                2,
            ));
            if next(30) == 0 {
                flows.extend(conversation(
                    &client,
                    "198.51.100.10",
                    443,
                    5_000_000 + next(20_000_000),
                    20_000,
                    at + 100,
                    20,
                ));
            }
        }
    }
    flows
}

/// Feed `records` in windows of `window_ms` by end time; every finding.
fn run(detector: &mut ExfilWatch, mut records: Vec<FlowRecord>, window_ms: u64) -> Vec<Finding> {
    records.sort_by_key(|f| f.end_ms);
    let mut found = Vec::new();
    let mut start = 0;
    while start < records.len() {
        let bucket = records[start].end_ms / window_ms;
        let end = start
            + records[start..]
                .iter()
                .take_while(|r| r.end_ms / window_ms == bucket)
                .count();
        let batch = FlowBatch::from_records("test", &records[start..end]);
        found.extend(
            detector
                .on_event(flows_event(
                    bucket * window_ms,
                    (bucket + 1) * window_ms,
                    batch,
                ))
                .unwrap(),
        );
        start = end;
    }
    found
}

fn detector(config: Config) -> ExfilWatch {
    let mut detector = ExfilWatch::default();
    detector.configure(config).unwrap();
    detector
}

fn learning(seconds: u64) -> Config {
    Config {
        learning_s: seconds,
        ..Config::default()
    }
}

#[test]
fn an_scp_upload_to_a_new_external_host_is_found() {
    let mut detector = detector(learning(3_600));
    let mut flows = background(T0, T0 + 2 * HOUR);
    // scp of 45 MB: the client sends the data, the server only acknowledges.
    flows.extend(conversation(
        "10.0.1.7",
        "203.0.113.66",
        22,
        45_000_000,
        300_000,
        T0 + HOUR + 600_000,
        8,
    ));
    let found = run(&mut detector, flows, 10_000);
    assert_eq!(found.len(), 1, "{found:#?}");
    let evidence = found[0].evidence.as_ref().unwrap();
    assert_eq!(evidence.attackers, ["10.0.1.7"]);
    assert_eq!(evidence.victims, ["203.0.113.66"]);
    assert_eq!(evidence.services, ["tcp/22"]);
    assert!(evidence.alerting);
    assert_eq!(found[0].kind, "exfiltration");
    // 45 MB to a never-seen address, one-way: 0.6 + new + ratio, not four times min_bytes.
    assert!((found[0].score - 0.8).abs() < 1e-9, "{}", found[0].score);
    assert!(
        found[0]
            .description
            .contains("no internal host had contacted"),
        "{}",
        found[0].description
    );
}

#[test]
fn benign_lookalikes_are_not_exfiltration() {
    let mut detector = detector(learning(3_600));
    let mut flows = background(T0, T0 + 3 * HOUR);
    let at = T0 + 2 * HOUR;
    // A 300 MB download from a new address (much back, little out).
    flows.extend(conversation(
        "10.0.1.8",
        "203.0.113.90",
        443,
        400_000,
        300_000_000,
        at,
        60,
    ));
    // A 200 MB upload to the cloud service everyone uses.
    flows.extend(conversation(
        "10.0.1.9",
        "198.51.100.10",
        443,
        200_000_000,
        400_000,
        at,
        60,
    ));
    // A 2 GB backup to the internal backup server.
    flows.extend(conversation(
        "10.0.0.20",
        "10.0.4.20",
        873,
        2_000_000_000,
        4_000_000,
        at,
        300,
    ));
    // A video call: 40 MB each way.
    flows.extend(conversation(
        "10.0.1.10",
        "203.0.113.77",
        3478,
        40_000_000,
        40_000_000,
        at,
        600,
    ));
    let found = run(&mut detector, flows, 10_000);
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn nothing_is_judged_while_learning() {
    let mut detector = detector(Config::default());
    let mut flows = background(T0, T0 + 2 * HOUR);
    flows.extend(conversation(
        "10.0.1.7",
        "203.0.113.66",
        22,
        45_000_000,
        300_000,
        T0 + HOUR,
        8,
    ));
    assert!(run(&mut detector, flows, 10_000).is_empty());
}

/// A 30 GB offsite copy from the backup server at 04:00 of `day`, in four streams cut into
/// 5-minute records (an exporter's active timeout).
fn offsite(day: u64) -> Vec<FlowRecord> {
    let mut flows = Vec::new();
    for stream in 0..4u64 {
        let target = format!("52.216.0.{}", 10 + stream);
        for part in 0..12u64 {
            let at = T0 + day * 24 * HOUR + 4 * HOUR + part * 300_000 + stream * 1_000;
            flows.extend(conversation(
                "10.0.4.20",
                &target,
                443,
                625_000_000,
                3_000_000,
                at,
                299,
            ));
        }
    }
    flows
}

#[test]
fn a_nightly_offsite_backup_is_routine_and_an_exfiltration_the_next_day_is_not() {
    let mut detector = detector(Config::default());
    // Day 1 (learning): the backup runs, so do the workstations.
    let mut day1 = background(T0, T0 + 24 * HOUR);
    day1.extend(offsite(0));
    assert!(run(&mut detector, day1, 60_000).is_empty());
    // Day 2: the same backup; and a workstation uploads 120 MB to a new address at 14:00.
    let mut day2 = background(T0 + 24 * HOUR, T0 + 48 * HOUR);
    day2.extend(offsite(1));
    for part in 0..4 {
        day2.extend(conversation(
            "10.0.1.12",
            "203.0.113.200",
            443,
            30_000_000,
            200_000,
            T0 + 38 * HOUR + part * 70_000,
            60,
        ));
    }
    let found = run(&mut detector, day2, 60_000);
    assert!(!found.is_empty());
    for finding in &found {
        let evidence = finding.evidence.as_ref().unwrap();
        assert_eq!(
            (evidence.attackers[0].as_str(), evidence.victims[0].as_str()),
            ("10.0.1.12", "203.0.113.200")
        );
    }
    // Reported again as it goes on: evidence in several windows; the last one at 0.9.
    assert!(found.len() >= 3, "{found:#?}");
    assert!(
        found.last().unwrap().score >= 0.9,
        "{}",
        found.last().unwrap().score
    );
}

#[test]
fn what_was_learned_survives_a_restart() {
    let mut first = detector(Config::default());
    let mut day1 = background(T0, T0 + 24 * HOUR);
    day1.extend(offsite(0));
    run(&mut first, day1, 60_000);
    drop(first);
    let mut second = detector(Config::default());
    // Learned (a day watched), and the offsite backup is still routine.
    let mut day2 = offsite(1);
    day2.extend(background(T0 + 28 * HOUR, T0 + 29 * HOUR));
    assert!(run(&mut second, day2, 60_000).is_empty());
    assert!(second.observed_ms >= 23 * HOUR);
    // While an upload to an address never seen is found.
    let flows = conversation(
        "10.0.1.3",
        "203.0.113.9",
        22,
        60_000_000,
        100_000,
        T0 + 30 * HOUR,
        20,
    );
    assert_eq!(run(&mut second, flows.to_vec(), 60_000).len(), 1);
}

fn unidirectional(flow: &SynthFlow) -> Vec<FlowRecord> {
    let out = FlowRecord {
        src: IpAddr::V4(flow.src),
        dst: IpAddr::V4(flow.dst),
        src_port: flow.src_port,
        dst_port: flow.dst_port,
        protocol: flow.protocol,
        tcp_flags: flow.tcp_flags,
        bytes: flow.in_bytes,
        packets: flow.in_packets,
        start_ms: flow.start_ms,
        end_ms: flow.end_ms,
    };
    let mut back = out.clone();
    (back.src, back.dst, back.src_port, back.dst_port) =
        (out.dst, out.src, out.dst_port, out.src_port);
    (back.bytes, back.packets, back.start_ms) =
        (flow.out_bytes, flow.out_packets, flow.start_ms + 1);
    if flow.out_packets == 0 {
        vec![out]
    } else {
        vec![out, back]
    }
}

#[test]
fn the_generators_exfiltrations_are_found_and_its_benign_hours_are_not() {
    let scenario = |attacks| Scenario {
        seed: 17,
        start_ms: Scenario::default().start_ms + 8 * HOUR,
        minutes: 6 * 60,
        clients: 60,
        attacks,
        episodes: 2,
    };
    let flows = generate(&scenario(vec![AttackClass::Exfiltration]));
    let truth: std::collections::BTreeSet<(String, String)> = flows
        .iter()
        .filter(|f| f.attack.is_some())
        .map(|f| (f.src.to_string(), f.dst.to_string()))
        .collect();
    let records: Vec<FlowRecord> = flows.iter().flat_map(unidirectional).collect();
    let found = run(&mut detector(learning(0)), records, 10_000);
    let reported: std::collections::BTreeSet<(String, String)> = found
        .iter()
        .map(|f| {
            let evidence = f.evidence.as_ref().unwrap();
            (evidence.attackers[0].clone(), evidence.victims[0].clone())
        })
        .collect();
    assert_eq!(reported, truth, "{found:#?}");
    let benign: Vec<FlowRecord> = generate(&scenario(vec![]))
        .iter()
        .flat_map(unidirectional)
        .collect();
    let found = run(&mut detector(learning(0)), benign, 10_000);
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn bidirectional_records_are_skipped_unless_counted() {
    // The same upload as one bidirectional record per conversation (a NIDS row), among
    // bidirectional background: bytes out and back cannot be told apart.
    let fold = |flows: Vec<FlowRecord>| -> Vec<FlowRecord> {
        flows
            .chunks(2)
            .map(|pair| {
                let mut row = pair[0].clone();
                row.bytes += pair[1].bytes;
                row.packets += pair[1].packets;
                row
            })
            .collect()
    };
    let mut flows = fold(background(T0, T0 + 2 * HOUR));
    flows.extend(fold(
        conversation(
            "10.0.1.7",
            "203.0.113.66",
            22,
            45_000_000,
            300_000,
            T0 + HOUR + 600_000,
            8,
        )
        .to_vec(),
    ));
    assert!(run(&mut detector(learning(3_600)), flows.clone(), 10_000).is_empty());
    let counted = Config {
        bidirectional: "count".into(),
        ..learning(3_600)
    };
    let found = run(&mut detector(counted), flows, 10_000);
    assert!(
        found
            .iter()
            .any(|f| f.evidence.as_ref().unwrap().victims == ["203.0.113.66"]),
        "{found:#?}"
    );
}

#[test]
fn memory_stays_bounded() {
    let mut detector = detector(Config {
        max_destinations: 1_000,
        max_tracked: 16,
        ..learning(0)
    });
    for w in 0..20u64 {
        let mut flows = Vec::new();
        for k in 0..200u64 {
            let dst = format!("203.{}.{}.{}", w, k / 200, k % 200 + 1);
            flows.extend(conversation(
                "10.0.0.9",
                &dst,
                443,
                300_000,
                2_000,
                w * 10_000 + k,
                1,
            ));
        }
        run(&mut detector, flows, 10_000);
        assert!(detector.destinations.as_ref().unwrap().len() <= 1_250);
        assert!(detector.uploads.in_progress.len() <= 16);
    }
}

#[test]
fn bad_configuration_is_refused_with_a_reason() {
    let refused = |config: Config| match ExfilWatch::default().configure(config) {
        Err(PluginError::InvalidConfig(reason)) => reason,
        other => panic!("accepted: {other:?}"),
    };
    assert!(
        refused(Config {
            min_bytes: 10,
            ..Config::default()
        })
        .contains("min_bytes")
    );
    assert!(
        refused(Config {
            span_s: 0,
            ..Config::default()
        })
        .contains("span_s")
    );
    assert!(
        refused(Config {
            min_ratio: 0.5,
            ..Config::default()
        })
        .contains("min_ratio")
    );
    assert!(
        refused(Config {
            max_hosts: 0,
            ..Config::default()
        })
        .contains("max_hosts")
    );
    assert!(
        refused(Config {
            bidirectional: "guess".into(),
            ..Config::default()
        })
        .contains("guess")
    );
    assert!(
        refused(Config {
            internal: vec!["ten".into()],
            ..Config::default()
        })
        .contains("ten")
    );
    assert!(
        refused(Config {
            max_destinations: 10,
            ..Config::default()
        })
        .contains("max_destinations")
    );
}

#[test]
fn describe_documents_every_field_with_its_default() {
    let info = ExfilWatch::describe();
    let mut defaults = serde_json::Map::new();
    for field in &info.config {
        assert!(!field.description.is_empty(), "{}", field.name);
        defaults.insert(
            field.name.clone(),
            serde_json::from_str(field.default_value.as_ref().unwrap()).unwrap(),
        );
    }
    let parsed: Config = serde_json::from_value(defaults.into()).unwrap();
    assert!(ExfilWatch::default().configure(parsed).is_ok());
    assert_eq!(info.name, "exfil-watch");
}

#[test]
fn a_100k_flow_window_of_background_traffic_raises_nothing() {
    let mut records = netassure_plugin_sdk::testing::background_flows(5, 50_000, 20_000);
    for k in 0..25_000u32 {
        let client = format!("10.1.{}.{}", k / 250 % 250, k % 250 + 1);
        let site = format!("93.{}.{}.{}", k % 7, k / 200 % 250, k % 200 + 1);
        records.extend(conversation(
            &client,
            &site,
            443,
            2_000,
            50_000,
            u64::from(k % 9_000),
            1,
        ));
    }
    let mut detector = detector(learning(0));
    let event = flows_event(0, 10_000, FlowBatch::from_records("test", &records));
    let found = detector.on_event(event).unwrap();
    assert!(found.is_empty(), "{found:?}");
}

#[test]
#[ignore]
fn state_costs() {
    let mut destinations = super::Destinations::new();
    destinations.load_all();
    for k in 0..50_000u128 {
        destinations.contact(
            0xffff_0000_0000 + k * 7919,
            0xffff_0a00_0001 + k % 300,
            1_790_000_000_000,
            2,
        );
    }
    let started = std::time::Instant::now();
    destinations.save_one();
    println!("save a shard of 50k: {:?}", started.elapsed());
    destinations.save_all();
    let started = std::time::Instant::now();
    let mut loaded = super::Destinations::new();
    loaded.load_next();
    println!("load a shard: {:?}", started.elapsed());
    loaded.load_all();
    println!("load 50k: {:?} ({})", started.elapsed(), loaded.len());
}

#[test]
fn an_upload_in_chunks_with_pauses_is_one_upload() {
    let mut detector = detector(learning(3_600));
    let mut flows = background(T0, T0 + 4 * HOUR);
    // Ten chunks of 30 MB, eight minutes apart: reported at 30, 60, 120 and 240 MB.
    for chunk in 0..10u64 {
        let at = T0 + 2 * HOUR + chunk * 480_000;
        flows.extend(conversation(
            "10.0.1.21",
            "203.0.113.44",
            443,
            30_000_000,
            150_000,
            at,
            30,
        ));
    }
    let found = run(&mut detector, flows, 10_000);
    let sent: Vec<f64> = found
        .iter()
        .map(|f| {
            f.evidence
                .as_ref()
                .unwrap()
                .measures
                .iter()
                .find(|m| m.name == "bytes-out")
                .unwrap()
                .value
        })
        .collect();
    assert_eq!(found.len(), 4, "{sent:?}");
    assert!(
        found
            .iter()
            .all(|f| f.description.contains("no internal host had contacted"))
    );
}

mod captures;
mod replay;

#[test]
#[ignore]
fn bench_windows() {
    let mut detector = detector(learning(0));
    for w in 0..6u64 {
        let mut records = netassure_plugin_sdk::testing::background_flows(w, 50_000, 20_000);
        for r in &mut records {
            r.start_ms += w * 10_000;
            r.end_ms += w * 10_000;
        }
        for k in 0..25_000u32 {
            let client = format!("10.1.{}.{}", k / 250 % 250, k % 250 + 1);
            let site = format!("93.{}.{}.{}", k % 7, k / 200 % 250, k % 200 + 1);
            records.extend(conversation(
                &client,
                &site,
                443,
                2_000,
                50_000,
                w * 10_000 + u64::from(k % 9_000),
                1,
            ));
        }
        let event = flows_event(
            w * 10_000,
            (w + 1) * 10_000,
            FlowBatch::from_records("test", &records),
        );
        let started = std::time::Instant::now();
        detector.on_event(event).unwrap();
        println!("window {w}: {:?}", started.elapsed());
    }
}
