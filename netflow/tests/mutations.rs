//! The fuzz targets' property, run in CI without a fuzzer: every truncation of softflowd's
//! real export datagrams, and thousands of seeded byte mutations of them, decode or are
//! refused and counted — never a panic, never columns of different lengths.

mod common;

use std::net::{Ipv4Addr, SocketAddr};

use common::datagrams;
use netassure_netflow::{Collector, FlowColumns};

#[test]
fn truncated_and_mutated_datagrams_never_panic() {
    let from = SocketAddr::from((Ipv4Addr::LOCALHOST, 2055));
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    for version in [5, 9, 10] {
        let all = datagrams(version);
        let mut collector = Collector::default();
        let mut columns = FlowColumns::default();
        let mut refused = 0;
        for datagram in &all {
            for cut in 0..datagram.len() {
                refused += usize::from(
                    collector
                        .receive(from, &datagram[..cut], 0, &mut columns)
                        .is_err(),
                );
            }
            for _ in 0..2_000 {
                let mut mutated = datagram.clone();
                for _ in 0..1 + next() % 8 {
                    let at = (next() as usize) % mutated.len();
                    mutated[at] = next() as u8;
                }
                refused += usize::from(collector.receive(from, &mutated, 0, &mut columns).is_err());
            }
        }
        assert!(columns.is_consistent());
        let stats = collector.stats()[0].1;
        assert_eq!(
            stats.malformed as usize, refused,
            "every refusal is counted"
        );
        assert!(refused > 0, "v{version}: truncations are refused");
    }
}
