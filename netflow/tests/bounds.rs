//! What anyone who can send UDP makes the collector keep is bounded: exporters (idle ones
//! expire, new ones past the cap are refused and counted), templates per exporter, and data
//! waiting for templates per exporter and in all.

use std::net::{Ipv4Addr, SocketAddr};

use netassure_netflow::craft::{v9_datagram as v9, v9_template_set as templates};
use netassure_netflow::{Collector, CollectorConfig, DecodeError, FlowColumns};

fn exporter(port: u16) -> SocketAddr {
    SocketAddr::from((Ipv4Addr::new(192, 0, 2, 1), port))
}

#[test]
fn templates_past_the_cap_are_refused_and_counted() {
    let mut collector = Collector::default();
    let mut columns = FlowColumns::default();
    for batch in 0..20u16 {
        let first = 256 + batch * 100;
        let datagram = v9(u32::from(batch), &[templates(first..first + 100)]);
        collector
            .receive(exporter(2055), &datagram, 0, &mut columns)
            .unwrap();
    }
    let (_, stats) = collector.stats().pop().unwrap();
    assert_eq!(stats.templates, 256);
    assert_eq!(stats.templates_refused, 2_000 - 256);
}

#[test]
fn data_waiting_for_templates_is_bounded_per_exporter_and_in_all() {
    let config = CollectorConfig {
        pending_bytes_total: 64 << 10,
        ..CollectorConfig::default()
    };
    let mut collector = Collector::new(config);
    let mut columns = FlowColumns::default();
    // 120 exporters each send 40 data sets of 1 KB whose template never comes.
    for port in 0..120u16 {
        for k in 0..40u16 {
            let datagram = v9(u32::from(k), &[(300 + k, vec![7u8; 1_000])]);
            collector
                .receive(exporter(10_000 + port), &datagram, 0, &mut columns)
                .unwrap();
            let waiting = collector.collector_stats().pending_bytes;
            assert!(waiting <= 64 << 10, "{waiting} bytes waiting");
        }
    }
    for (_, stats) in collector.stats() {
        assert!(stats.pending <= 16, "{stats:?}");
        assert!(stats.no_template >= 24, "{stats:?}");
    }
}

#[test]
fn exporters_past_the_cap_are_refused_until_idle_ones_expire() {
    let config = CollectorConfig {
        max_exporters: 3,
        ..CollectorConfig::default()
    };
    let timeout = config.exporter_timeout_ms;
    let mut collector = Collector::new(config);
    let mut columns = FlowColumns::default();
    let datagram = v9(1, &[templates(256..257)]);
    for port in 0..5 {
        let result = collector.receive(exporter(port), &datagram, 0, &mut columns);
        assert_eq!(result.is_ok(), port < 3, "{result:?}");
        if port >= 3 {
            assert!(matches!(result, Err(DecodeError::TooManyExporters(3))));
        }
    }
    let stats = collector.collector_stats();
    assert_eq!((stats.exporters, stats.exporters_refused), (3, 2));
    // One exporter keeps talking; the two others fall silent and expire.
    collector
        .receive(exporter(0), &datagram, timeout / 2, &mut columns)
        .unwrap();
    collector.expire(timeout + 1);
    let stats = collector.collector_stats();
    assert_eq!((stats.exporters, stats.exporters_expired), (1, 2));
    assert!(
        collector
            .receive(exporter(4), &datagram, timeout + 2, &mut columns)
            .is_ok()
    );
}

#[test]
fn flows_name_their_own_exporter_however_many_exporters_came_and_went() {
    // A window's flows index their exporter in 16 bits: the collector keeps at most 65,535
    // exporters whatever it is configured with, so the index cannot wrap to another's name.
    let mut collector = Collector::new(CollectorConfig {
        max_exporters: 100_000,
        ..CollectorConfig::default()
    });
    let record = 1_500u32.to_be_bytes().to_vec();
    let datagram = v9(1, &[templates(256..257), (256, record)]);
    let mut refused = 0;
    for chunk in 0..66u32 {
        // A window of a thousand exporters.
        let mut columns = FlowColumns::default();
        let mut senders = Vec::new();
        for i in 0..1_000u32 {
            let n = chunk * 1_000 + i;
            let from = SocketAddr::from((Ipv4Addr::from(0x0a00_0000 + n), 2055));
            match collector.receive(from, &datagram, 0, &mut columns) {
                Ok(flows) => {
                    assert_eq!(flows, 1);
                    senders.push(from.to_string());
                }
                Err(DecodeError::TooManyExporters(65_535)) => refused += 1,
                Err(other) => panic!("{other}"),
            }
        }
        let named: Vec<&str> = columns
            .exporter
            .iter()
            .map(|&i| columns.exporters[usize::from(i)].as_str())
            .collect();
        assert_eq!(named, senders);
    }
    assert_eq!(refused, 66_000 - 65_535);
    assert_eq!(collector.collector_stats().exporters, 65_535);
}
