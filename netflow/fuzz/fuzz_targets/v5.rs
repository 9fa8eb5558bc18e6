//! Fuzz target: any bytes after a version-5 header must decode or be refused, never panic,
//! and a refused datagram must be counted as malformed.
#![no_main]

use std::net::{Ipv4Addr, SocketAddr};

use libfuzzer_sys::fuzz_target;
use netassure_netflow::{Collector, FlowColumns};

fuzz_target!(|data: &[u8]| {
    let mut datagram = vec![0, 5];
    datagram.extend_from_slice(data);
    let mut collector = Collector::default();
    let mut columns = FlowColumns::default();
    let from = SocketAddr::from((Ipv4Addr::LOCALHOST, 2055));
    // Twice: the second pass decodes with whatever templates the first one announced.
    for _ in 0..2 {
        if collector.receive(from, &datagram, 0, &mut columns).is_err() {
            assert!(collector.stats()[0].1.malformed > 0);
        }
    }
    assert!(columns.src_addr.len() == columns.exporter.len());
});
