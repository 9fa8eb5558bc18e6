//! Decode rate on one core (`cargo bench -p netassure-netflow`): the datagrams softflowd
//! exported for `tests/fixtures/flows/mixed.pcap` (NetFlow v5, v9, IPFIX), decoded again and
//! again into reused columns, templates known. Results go to BENCHMARKS.md.

#[path = "../tests/common/mod.rs"]
mod common;

use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use common::datagrams;
use netassure_netflow::{Collector, FlowColumns};

fn main() {
    let exporter = SocketAddr::from((Ipv4Addr::LOCALHOST, 2055));
    for (version, name) in [(5, "NetFlow v5"), (9, "NetFlow v9"), (10, "IPFIX")] {
        let all = datagrams(version);
        let mut collector = Collector::default();
        let mut columns = FlowColumns::default();
        for datagram in &all {
            collector
                .receive(exporter, datagram, 0, &mut columns)
                .unwrap();
        }
        let mut flows = 0usize;
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(3) {
            for _ in 0..1000 {
                columns.clear();
                for datagram in &all {
                    flows += collector
                        .receive(exporter, datagram, 0, &mut columns)
                        .unwrap_or(0);
                }
            }
        }
        let rate = flows as f64 / started.elapsed().as_secs_f64();
        println!(
            "{name:<11} decode: {:.1} M flows/s on one core ({} datagrams of softflowd's export per round)",
            rate / 1e6,
            all.len()
        );
    }
}
