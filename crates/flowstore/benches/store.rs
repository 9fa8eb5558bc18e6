//! Flow store benchmark (`cargo bench -p netassure-flowstore`): flows written per second on
//! one core (append in 100,000-flow windows, then the last flush), bytes on disk per flow,
//! and flows scanned per second with a filter, on two kinds of traffic:
//!
//! - **enterprise**: a day of `flowsynth`'s 200-client enterprise (each conversation as the
//!   two one-way flows an exporter reports), in the order the flows end;
//! - **uniform**: the flow pipeline bench's stream (50,000 sources, 200,000 destinations,
//!   random ports and sizes) — the worst case for compression.
//!
//! Results go to BENCHMARKS.md.

use std::time::Instant;

use netassure_flowstore::{FlowStore, Query, StoreConfig};
use netassure_netflow::{FlowColumns, FlowRow};

fn mapped(address: std::net::Ipv4Addr) -> [u8; 16] {
    address.to_ipv6_mapped().octets()
}

fn enterprise() -> FlowColumns {
    let mut flows: Vec<FlowRow> = Vec::new();
    for f in netassure_flowsynth::generate(&netassure_flowsynth::Scenario::default()) {
        let row = |src, dst, sport, dport, bytes, packets| FlowRow {
            src_addr: mapped(src),
            dst_addr: mapped(dst),
            src_port: sport,
            dst_port: dport,
            protocol: f.protocol,
            tcp_flags: f.tcp_flags,
            bytes,
            packets,
            start_ms: f.start_ms,
            end_ms: f.end_ms,
            input_if: 1,
            output_if: 2,
            icmp_type_code: 0,
        };
        flows.push(row(
            f.src,
            f.dst,
            f.src_port,
            f.dst_port,
            f.in_bytes,
            f.in_packets,
        ));
        if f.out_packets > 0 {
            flows.push(row(
                f.dst,
                f.src,
                f.dst_port,
                f.src_port,
                f.out_bytes,
                f.out_packets,
            ));
        }
    }
    flows.sort_by_key(|row| row.end_ms);
    columns(flows)
}

fn uniform(count: u64) -> FlowColumns {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let start = 1_796_119_200_000u64;
    let flows = (0..count)
        .map(|n| {
            let (a, b, c) = (next(), next(), next());
            let packets = 1 + (c >> 40) % 100;
            let end = start + n / 100;
            FlowRow {
                src_addr: mapped(
                    (0x0A00_0000 | ((a % 50_000) as u32).min((b % 50_000) as u32)).into(),
                ),
                dst_addr: mapped((0x0A10_0000 | (c % 200_000) as u32).into()),
                src_port: 1024 + (a >> 20) as u16 % 60_000,
                dst_port: [443u16, 80, 53, 22][(b >> 30) as usize % 4],
                protocol: 6,
                tcp_flags: 0x1b,
                bytes: packets * 700,
                packets,
                start_ms: end - 9_000,
                end_ms: end,
                input_if: 1,
                output_if: 2,
                icmp_type_code: 0,
            }
        })
        .collect();
    columns(flows)
}

fn columns(rows: Vec<FlowRow>) -> FlowColumns {
    let mut columns = FlowColumns::default();
    let exporter = columns.exporter_index("192.0.2.1:2055");
    for row in &rows {
        columns.push(row, exporter);
    }
    columns
}

fn measure(name: &str, flows: &FlowColumns) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = FlowStore::open(StoreConfig::new(dir.path())).unwrap();
    let started = Instant::now();
    let mut window = FlowColumns::default();
    for start in (0..flows.len()).step_by(100_000) {
        let end = (start + 100_000).min(flows.len());
        window.clear();
        window.exporters = flows.exporters.clone();
        for i in start..end {
            window.push(&flows.row(i), flows.exporter[i]);
        }
        store.append(&window).unwrap();
    }
    store.flush().unwrap();
    let write = started.elapsed();
    let stats = store.stats();
    let started = Instant::now();
    let query = Query {
        since_ms: 0,
        until_ms: u64::MAX,
        filter: "dport = 22 and bytes > 10k".parse().unwrap(),
        limit: usize::MAX,
    };
    let found = store.scan(&query).unwrap();
    let scan = started.elapsed();
    println!(
        "{name}: {} flows; written {:.2} M flows/s (one core, {} files), {:.1} bytes per flow on disk; scanned with a filter {:.2} M flows/s ({} found)",
        flows.len(),
        flows.len() as f64 / write.as_secs_f64() / 1e6,
        stats.files,
        stats.bytes_written as f64 / stats.flows_written.max(1) as f64,
        flows.len() as f64 / scan.as_secs_f64() / 1e6,
        found.len(),
    );
}

fn main() {
    let started = Instant::now();
    let day = enterprise();
    println!(
        "(an enterprise day generated in {:.1} s)",
        started.elapsed().as_secs_f64()
    );
    measure("enterprise day (flowsynth, 200 clients)", &day);
    measure(
        "uniform (the flow pipeline bench's stream)",
        &uniform(10_000_000),
    );
}
