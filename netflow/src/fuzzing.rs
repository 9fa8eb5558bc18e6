//! The property the fuzz targets in `netflow/fuzz/` check (one target per NetFlow version,
//! each prefixing the fuzzer's bytes with its version number).

use std::net::{Ipv4Addr, SocketAddr};

use crate::{Collector, FlowColumns};

/// Feed `datagram` twice to a fresh collector (the second pass decodes with whatever templates
/// the first announced): it must decode or be refused, never panic; a refusal must be counted
/// as malformed; the columns must stay consistent.
pub fn decode_twice(datagram: &[u8]) {
    let mut collector = Collector::default();
    let mut columns = FlowColumns::default();
    let from = SocketAddr::from((Ipv4Addr::LOCALHOST, 2055));
    for _ in 0..2 {
        if collector.receive(from, datagram, 0, &mut columns).is_err() {
            assert!(collector.stats()[0].1.malformed > 0, "a refusal is counted");
        }
    }
    assert!(
        columns.is_consistent(),
        "one entry per flow in every column"
    );
}
