//! Grouping by attacker, explanation of flagged flows, and behaviour without a model.

use netassure_flowgraph::gae::TARGET_FEATURES;
use netassure_plugin_sdk::flows::FlowRecord;
use netassure_plugin_sdk::testing::{flows_event, host_addr};

use super::*;

fn flow(src: u32, dst: u32, src_port: u16, dst_port: u16, flags: u8) -> FlowRecord {
    FlowRecord {
        src: host_addr(src),
        dst: host_addr(dst),
        src_port,
        dst_port,
        protocol: 6,
        tcp_flags: flags,
        bytes: 1_000,
        packets: 10,
        start_ms: u64::from(src) + u64::from(dst_port),
        end_ms: 100,
    }
}

/// A window and the model's verdict on it: every flow flagged with score 1.0.
fn window(records: &[FlowRecord]) -> (FlowWindow, ModelOutput) {
    let event = flows_event(0, 1_000, FlowBatch::from_records("test", records));
    let EventPayload::Flows(window) = event.payload else {
        unreachable!()
    };
    let n = records.len();
    let width = TARGET_FEATURES.len();
    let output = ModelOutput {
        score: vec![1.0; n],
        threshold: Some(0.1),
        expected: (0..n * width).map(|i| (i % width) as f32 + 2.0).collect(),
        deviation: (0..n * width).map(|i| (i % width) as f32 - 4.0).collect(),
    };
    (window, output)
}

#[test]
fn a_scanned_server_is_the_victim_and_many_sources_are_one_flood() {
    // Host 200 scans host 9 (SYN out, RST back); 25 hosts flood host 100.
    let mut records: Vec<FlowRecord> = (0..4)
        .flat_map(|i| {
            [
                flow(200, 9, 50_000, 20 + i, 0x02),
                flow(9, 200, 20 + i, 50_000, 0x14),
            ]
        })
        .collect();
    records.extend((1..=25).map(|s| flow(s, 100, 40_000, 80, 0x02)));
    let (window, output) = window(&records);
    let mut detector = FlowGae::default();
    detector.configure(Config::default()).unwrap();
    let found = detector.report(&window, &output, 0.1);
    assert_eq!(found.len(), 2, "{found:#?}");
    let scan = found
        .iter()
        .find(|f| f.nodes[0] == "10.0.0.200")
        .expect("the scanner is named first");
    let evidence = scan.evidence.as_ref().unwrap();
    assert_eq!(evidence.attackers, ["10.0.0.200"]);
    assert_eq!(
        evidence.victims,
        ["10.0.0.9"],
        "the server's replies never make it an attacker"
    );
    assert_eq!(evidence.flows.len(), 8);
    let flood = found
        .iter()
        .find(|f| f.nodes.contains(&"10.0.0.100".to_string()))
        .unwrap();
    let evidence = flood.evidence.as_ref().unwrap();
    assert_eq!(evidence.attacker_count, 25);
    assert_eq!(evidence.victims, ["10.0.0.100"]);
    assert_eq!(evidence.services, ["tcp/80"]);
}

#[test]
fn each_evidence_flow_names_the_features_furthest_from_expectation() {
    let (window, output) = window(&[flow(1, 2, 40_000, 22, 0x1b)]);
    let mut detector = FlowGae::default();
    detector.configure(Config::default()).unwrap();
    let found = detector.report(&window, &output, 0.1);
    let evidence = found[0].evidence.as_ref().unwrap();
    let features = &evidence.flows[0].features;
    // Deviations are i - 4 for feature i: the furthest are service (+5), bytes (-4) and
    // tcp_ack (+4).
    assert_eq!(TARGET_FEATURES[9], "service");
    assert_eq!(features.len(), 3);
    assert_eq!(features[0].name, "service");
    assert_eq!(features[0].observed, 1.0);
    assert_eq!(features[1].name, "bytes");
    assert_eq!(features[1].observed, 1_000.0);
    assert_eq!(features[1].expected, 2.0);
    assert_eq!(features[1].deviation, -4.0);
    assert_eq!(features[2].name, "tcp_ack");
    assert_eq!(features[2].observed, 1.0);
}

#[test]
fn without_a_model_for_this_network_it_finds_nothing_and_bad_settings_are_refused() {
    let mut detector = FlowGae::default();
    detector.configure(Config::default()).unwrap();
    let event = flows_event(
        0,
        1_000,
        FlowBatch::from_records("test", &[flow(1, 2, 40_000, 80, 0x1b)]),
    );
    assert!(detector.on_event(event).unwrap().is_empty());
    for bad in [
        Config {
            threshold: Some(-1.0),
            ..Config::default()
        },
        Config {
            min_flows: 0,
            ..Config::default()
        },
    ] {
        assert!(detector.configure(bad).is_err());
    }
}

#[test]
fn a_window_flagged_everywhere_reports_only_its_highest_scoring_groups() {
    // 30 sources, each probing its own host: 30 groups, one per attacker.
    let records: Vec<FlowRecord> = (1..=30)
        .map(|s| flow(s, 100 + s, 40_000, 80, 0x02))
        .collect();
    let (window, mut output) = window(&records);
    // Scores rise with the source: sources 21..=30 score highest.
    output.score = (1..=30).map(|s| s as f32 / 10.0).collect();
    let mut detector = FlowGae::default();
    detector
        .configure(Config {
            max_anomalies: 10,
            ..Config::default()
        })
        .unwrap();
    let found = detector.report(&window, &output, 0.05);
    let attackers: Vec<&str> = found.iter().map(|f| f.nodes[0].as_str()).collect();
    let expected: Vec<String> = (21..=30).map(|s| format!("10.0.0.{s}")).collect();
    assert_eq!(attackers.len(), 10, "{attackers:?}");
    for address in &expected {
        assert!(
            attackers.contains(&address.as_str()),
            "{address} in {attackers:?}"
        );
    }
    let refused = Config {
        max_anomalies: 0,
        ..Config::default()
    };
    assert!(FlowGae::default().configure(refused).is_err());
}
