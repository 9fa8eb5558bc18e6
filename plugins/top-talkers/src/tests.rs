//! Top talkers against sums computed here, flow by flow.

use std::collections::HashMap;
use std::net::IpAddr;

use netassure_plugin_sdk::flows::FlowRecord;
use netassure_plugin_sdk::prelude::*;
use netassure_plugin_sdk::testing::{background_flows, flows_event, host_addr};

use super::{By, Config, TopTalkers, ranked};

fn window(records: &[FlowRecord]) -> Event {
    flows_event(0, 1_000, FlowBatch::from_records("test", records))
}

fn heavy_sender() -> Vec<FlowRecord> {
    let mut records = background_flows(7, 5_000, 300);
    let total: u64 = records.iter().map(|r| r.bytes).sum();
    // One sender adds 40% of the (new) total to three receivers.
    let extra = total * 2 / 3;
    for i in 0..3u32 {
        records.push(FlowRecord {
            src: "192.0.2.66".parse().unwrap(),
            dst: host_addr(100 + i),
            src_port: 40_000,
            dst_port: 443,
            protocol: 6,
            tcp_flags: 0x1b,
            bytes: extra / 3,
            packets: extra / 3 / 1400,
            start_ms: 10,
            end_ms: 900,
        });
    }
    records
}

#[test]
fn sums_equal_a_flow_by_flow_count() {
    let records = heavy_sender();
    window(&records);
    let graph = host::flows::window_graph().unwrap();
    let mut by_src: HashMap<IpAddr, u64> = HashMap::new();
    let mut by_pair: HashMap<(IpAddr, IpAddr), u64> = HashMap::new();
    for record in &records {
        *by_src.entry(record.src).or_default() += record.bytes;
        *by_pair.entry((record.src, record.dst)).or_default() += record.packets;
    }
    let (talkers, total) = ranked(&graph, By::Src, false);
    assert_eq!(total, records.iter().map(|r| r.bytes).sum::<u64>());
    assert_eq!(talkers.len(), by_src.len());
    for talker in &talkers {
        assert_eq!(by_src[&graph.host_addr(talker.index)], talker.amount);
    }
    assert!(talkers.windows(2).all(|w| w[0].amount >= w[1].amount));
    let (pairs, _) = ranked(&graph, By::Pair, true);
    assert_eq!(pairs.len(), by_pair.len());
    for pair in &pairs {
        let key = (
            graph.host_addr(graph.edge_src[pair.index] as usize),
            graph.host_addr(graph.edge_dst[pair.index] as usize),
        );
        assert_eq!(by_pair[&key], pair.amount);
    }
}

#[test]
fn the_heavy_sender_is_reported_and_nothing_else() {
    let mut detector = TopTalkers::default();
    detector.configure(Config::default()).unwrap();
    let found = detector.on_event(window(&heavy_sender())).unwrap();
    let senders: Vec<_> = found
        .iter()
        .filter(|a| a.description.starts_with("src #1"))
        .collect();
    assert_eq!(senders.len(), 1, "{found:#?}");
    assert_eq!(senders[0].nodes, vec!["192.0.2.66".to_string()]);
    assert!(
        (senders[0].score - 0.4).abs() < 0.01,
        "share {}",
        senders[0].score
    );
    // Each of the three pairs carries ~13%: below 20%. Receivers: the background is spread.
    assert_eq!(found.len(), 1, "{found:#?}");
}

#[test]
fn small_windows_and_other_events_are_ignored() {
    let mut detector = TopTalkers::default();
    detector
        .configure(Config {
            min_total: u64::MAX,
            ..Config::default()
        })
        .unwrap();
    assert!(
        detector
            .on_event(window(&heavy_sender()))
            .unwrap()
            .is_empty()
    );
    let other = netassure_plugin_sdk::testing::telemetry_event(1, "x", "utilisation", 0.5);
    assert!(detector.on_event(other).unwrap().is_empty());
}

#[test]
fn bad_configuration_is_refused() {
    let mut detector = TopTalkers::default();
    let bad_by = Config {
        by: vec!["port".into()],
        ..Config::default()
    };
    assert!(matches!(
        detector.configure(bad_by),
        Err(PluginError::InvalidConfig(_))
    ));
    let bad_share = Config {
        min_share: 0.0,
        ..Config::default()
    };
    assert!(detector.configure(bad_share).is_err());
    let bad_metric = Config {
        metric: "flows".into(),
        ..Config::default()
    };
    assert!(detector.configure(bad_metric).is_err());
}
