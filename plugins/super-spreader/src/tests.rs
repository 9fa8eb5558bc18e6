//! HyperLogLog counts against exact distinct counts of the same flows.

use std::collections::{HashMap, HashSet};

use netassure_plugin_sdk::flows::FlowRecord;
use netassure_plugin_sdk::prelude::*;
use netassure_plugin_sdk::testing::{background_flows, flows_event, host_addr};

use super::{Config, SuperSpreader, spreads};

/// Background traffic, one horizontal scanner (port 445 on 3,000 hosts) and one vertical
/// scanner (ports 1..=2,000 on one host).
fn traffic() -> Vec<FlowRecord> {
    let mut records = background_flows(5, 50_000, 4_000);
    let probe = |src: &str, dst, port| FlowRecord {
        src: src.parse().unwrap(),
        dst,
        src_port: 61_000,
        dst_port: port,
        protocol: 6,
        tcp_flags: 0x02,
        bytes: 44,
        packets: 1,
        start_ms: 0,
        end_ms: 0,
    };
    for n in 0..3_000 {
        records.push(probe("203.0.113.7", host_addr(n), 445));
    }
    for port in 1..=2_000 {
        records.push(probe("203.0.113.9", host_addr(42), port));
    }
    records
}

#[test]
fn distinct_counts_are_within_three_standard_errors_of_the_truth() {
    let records = traffic();
    let batch = FlowBatch::from_records("test", &records);
    let sketched = spreads(&batch, 10);
    let mut destinations: HashMap<_, HashSet<_>> = HashMap::new();
    let mut ports: HashMap<_, HashSet<_>> = HashMap::new();
    for record in &records {
        destinations
            .entry(record.src)
            .or_default()
            .insert(record.dst);
        ports.entry(record.src).or_default().insert(record.dst_port);
    }
    assert_eq!(sketched.len(), destinations.len());
    let tolerance = 3.0 * 1.04 / 32.0; // three relative standard errors at lg_k = 10
    let mut worst: f64 = 0.0;
    for (source, spread) in &sketched {
        let addr = netassure_plugin_sdk::flows::addr_from_u128(*source);
        for (estimate, truth) in [
            (spread.destinations.estimate(), destinations[&addr].len()),
            (spread.ports.estimate(), ports[&addr].len()),
        ] {
            let error = (estimate - truth as f64).abs() / truth as f64;
            worst = worst.max(error);
            assert!(
                error <= tolerance,
                "{addr}: estimate {estimate:.0}, truth {truth}"
            );
        }
    }
    println!(
        "{} sources, worst relative error {:.2}%",
        sketched.len(),
        worst * 100.0
    );
}

#[test]
fn both_scanners_are_found_and_nothing_else() {
    let mut detector = SuperSpreader::default();
    detector.configure(Config::default()).unwrap();
    let found = detector
        .on_event(flows_event(
            0,
            1_000,
            FlowBatch::from_records("test", &traffic()),
        ))
        .unwrap();
    let summary: Vec<(&str, &str)> = found
        .iter()
        .map(|a| (a.kind.as_str(), a.nodes[0].as_str()))
        .collect();
    assert_eq!(
        summary,
        [
            ("super-spreader", "203.0.113.7"),
            ("port-scan", "203.0.113.9")
        ],
        "{found:#?}"
    );
}

#[test]
fn bad_configuration_is_refused() {
    let mut detector = SuperSpreader::default();
    assert!(
        detector
            .configure(Config {
                lg_k: 3,
                ..Config::default()
            })
            .is_err()
    );
    assert!(
        detector
            .configure(Config {
                min_ports: 0,
                ..Config::default()
            })
            .is_err()
    );
}
