//! Real exporter output: softflowd 1.1.0 (Debian) read `tests/fixtures/flows/mixed.pcap` and
//! exported it as NetFlow v5, v9 and IPFIX (`-A milli`); the datagrams it sent are committed
//! (`softflowd-v*.dgrams`, each a 4-byte big-endian length and the datagram), and so is what
//! nfdump 1.7.1 (`nfcapd` + `nfdump -o "fmt:%pr %sa %sp %da %dp %pkt %byt"`) decoded from
//! the same datagrams (`softflowd-v*.nfdump.txt`). Our decoder must find the same flows with
//! the same packets and bytes, exactly.

mod common;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use common::{datagrams, fixture};
use netassure_netflow::{Collector, FlowColumns};

fn address(bytes: [u8; 16]) -> IpAddr {
    let v6 = Ipv6Addr::from(bytes);
    match v6.to_ipv4_mapped() {
        Some(v4) => IpAddr::V4(v4),
        None => IpAddr::V6(v6),
    }
}

/// One flow as nfdump prints it (ICMP's type and code shown as `type.code` in the port).
fn lines(columns: &FlowColumns) -> Vec<String> {
    let mut lines: Vec<String> = (0..columns.len())
        .map(|i| {
            let port = |port: u16| {
                if matches!(columns.protocol[i], 1 | 58) {
                    format!("{}.{}", port >> 8, port & 0xff)
                } else {
                    port.to_string()
                }
            };
            format!(
                "{} {} {} {} {} {} {}",
                columns.protocol[i],
                address(columns.src_addr[i]),
                columns.src_port[i],
                address(columns.dst_addr[i]),
                port(columns.dst_port[i]),
                columns.packets[i],
                columns.bytes[i]
            )
        })
        .collect();
    lines.sort();
    lines
}

#[test]
fn every_version_decodes_to_what_nfdump_decodes() {
    let exporter = SocketAddr::from((Ipv4Addr::LOCALHOST, 40_000));
    for version in [5, 9, 10] {
        let mut collector = Collector::default();
        let mut columns = FlowColumns::default();
        for datagram in datagrams(version) {
            collector
                .receive(exporter, &datagram, 1_790_000_100_000, &mut columns)
                .unwrap();
        }
        let expected: Vec<String> =
            std::fs::read_to_string(fixture(&format!("softflowd-v{version}.nfdump.txt")))
                .unwrap()
                .lines()
                .map(str::to_owned)
                .collect();
        assert_eq!(lines(&columns), expected, "NetFlow v{version}");
        let (name, stats) = &collector.stats()[0];
        assert_eq!(name, "127.0.0.1:40000");
        assert_eq!(stats.flows as usize, expected.len());
        assert_eq!(
            (stats.malformed, stats.no_template),
            (0, 0),
            "v{version}: {stats:?}"
        );
        // softflowd 1.1.0 numbers IPFIX messages by something other than the data records sent
        // before them (RFC 7011); nfdump flags 5 sequence failures on the same datagrams.
        if version != 10 {
            assert_eq!(stats.sequence_lost, 0, "v{version}: {stats:?}");
        }
        assert!(
            columns
                .start_ms
                .iter()
                .zip(&columns.end_ms)
                .all(|(s, e)| s <= e)
        );
        // The first flow of the capture, 10.1.0.28:39470 → 192.168.10.3:22: nfdump shows it
        // starting at 2026-09-21 14:13:20.141 from v9/IPFIX (absolute ms fields) and at
        // 2026-11-10 07:16:07.437 from v5 (uptime-relative times of a pcap replay).
        let first = (0..columns.len())
            .find(|&i| columns.src_port[i] == 39470 && columns.dst_port[i] == 22)
            .unwrap();
        let expected_start = if version == 5 {
            1_794_294_967_437
        } else {
            1_790_000_000_141
        };
        assert_eq!(columns.start_ms[first], expected_start, "v{version}");
    }
}

#[test]
fn losing_a_datagram_is_counted_and_data_before_its_template_waits() {
    let exporter = SocketAddr::from((Ipv4Addr::LOCALHOST, 40_001));
    let all = datagrams(9);
    // Drop the second datagram: the sequence says one export packet is missing.
    let mut collector = Collector::default();
    let mut columns = FlowColumns::default();
    for (i, datagram) in all.iter().enumerate() {
        if i != 1 {
            let _ = collector.receive(exporter, datagram, 1, &mut columns);
        }
    }
    assert_eq!(collector.stats()[0].1.sequence_lost, 1);

    // The first datagram carries the templates: send it last, everything is still decoded.
    let mut collector = Collector::default();
    let mut columns = FlowColumns::default();
    for datagram in all.iter().skip(1).chain(all.iter().take(1)) {
        let _ = collector.receive(exporter, datagram, 1, &mut columns);
    }
    assert_eq!(columns.len(), 200);
    assert_eq!(collector.stats()[0].1.pending, 0);
}
