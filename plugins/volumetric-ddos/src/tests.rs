//! Distinct sources against exact counts, and a flood among busy but legitimate servers.

use std::collections::{HashMap, HashSet};

use netassure_plugin_sdk::flows::FlowRecord;
use netassure_plugin_sdk::prelude::*;
use netassure_plugin_sdk::testing::{background_flows, flows_event};

use super::{Config, VolumetricDdos, inbound};

/// A second of background traffic (busy servers among 4,000 hosts) plus 5,000 spoofed sources
/// sending 20 packets each (100k packets/s) of UDP to one victim.
fn traffic() -> Vec<FlowRecord> {
    let mut records = background_flows(3, 50_000, 4_000);
    for n in 0..5_000u32 {
        records.push(FlowRecord {
            src: std::net::IpAddr::V4(std::net::Ipv4Addr::from(0xC000_0000 + n * 7919)),
            dst: "198.51.100.80".parse().unwrap(),
            src_port: 1024 + n as u16,
            dst_port: 80,
            protocol: 17,
            tcp_flags: 0,
            bytes: 20 * 512,
            packets: 20,
            start_ms: 0,
            end_ms: 999,
        });
    }
    records
}

#[test]
fn distinct_sources_are_within_three_standard_errors_of_the_truth() {
    let records = traffic();
    let sketched = inbound(&FlowBatch::from_records("test", &records), 10);
    let mut exact: HashMap<_, HashSet<_>> = HashMap::new();
    let mut packets: HashMap<_, u64> = HashMap::new();
    for record in &records {
        exact.entry(record.dst).or_default().insert(record.src);
        *packets.entry(record.dst).or_default() += record.packets;
    }
    assert_eq!(sketched.len(), exact.len());
    for (destination, received) in &sketched {
        let addr = netassure_plugin_sdk::flows::addr_from_u128(*destination);
        let truth = exact[&addr].len() as f64;
        let error = (received.sources.estimate() - truth).abs() / truth;
        assert!(
            error <= 3.0 * 1.04 / 32.0,
            "{addr}: {} vs {truth}",
            received.sources.estimate()
        );
        assert_eq!(received.packets, packets[&addr]);
    }
}

#[test]
fn the_victim_is_found_and_the_busy_servers_are_not() {
    let mut detector = VolumetricDdos::default();
    detector.configure(Config::default()).unwrap();
    let found = detector
        .on_event(flows_event(
            0,
            1_000,
            FlowBatch::from_records("test", &traffic()),
        ))
        .unwrap();
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].nodes, ["198.51.100.80"]);
    assert_eq!(found[0].kind, "volumetric-ddos");
    // The busiest background server has many sources but not the rate.
    let background = detector
        .on_event(flows_event(
            0,
            1_000,
            FlowBatch::from_records("test", &background_flows(3, 50_000, 4_000)),
        ))
        .unwrap();
    assert!(background.is_empty(), "{background:#?}");
}

#[test]
fn bad_configuration_is_refused() {
    let mut detector = VolumetricDdos::default();
    assert!(
        detector
            .configure(Config {
                lg_k: 22,
                ..Config::default()
            })
            .is_err()
    );
    assert!(
        detector
            .configure(Config {
                min_pps: 0.0,
                ..Config::default()
            })
            .is_err()
    );
}
