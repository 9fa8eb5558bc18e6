//! Helpers for native unit tests of plugins: build nodes, links and events, and install the
//! graph that [`host::graph::current`](crate::host::graph::current) returns.

use std::cell::RefCell;

use crate::{
    Event, EventPayload, FlowBatch, FlowWindow, GraphSnapshot, Link, Node, OperState,
    TelemetrySample, TopologyChange, TopologyDelta,
};

thread_local! {
    static WINDOW_GRAPH: RefCell<Option<netassure_flowgraph::HostGraph>> = const { RefCell::new(None) };
    static CONVERSATIONS: RefCell<Option<netassure_flowgraph::Conversations>> = const { RefCell::new(None) };
    static GRAPH: RefCell<(u64, Vec<Node>, Vec<Link>)> = const { RefCell::new((0, Vec::new(), Vec::new())) };
}

/// Make `host::graph::current()` return this topology (native builds only).
pub fn set_graph(version: u64, nodes: Vec<Node>, links: Vec<Link>) {
    GRAPH.with(|graph| *graph.borrow_mut() = (version, nodes, links));
}

#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
pub(crate) fn current_graph() -> GraphSnapshot<'static> {
    GRAPH.with(|graph| {
        let (version, nodes, links) = graph.borrow().clone();
        GraphSnapshot::local(version, nodes, links)
    })
}

/// A node that is up, with no attributes.
pub fn node(id: &str, kind: &str) -> Node {
    Node {
        id: id.into(),
        kind: kind.into(),
        asn: None,
        state: OperState::Up,
        attributes: vec![],
    }
}

/// A link that is up, with a capacity and no utilisation yet.
pub fn link(id: &str, source: &str, target: &str, capacity_bps: u64) -> Link {
    Link {
        id: id.into(),
        source: source.into(),
        target: target.into(),
        kind: "ethernet".into(),
        capacity_bps: Some(capacity_bps),
        utilisation: None,
        state: OperState::Up,
        attributes: vec![],
    }
}

/// An event carrying one telemetry sample.
pub fn telemetry_event(id: u64, subject: &str, metric: &str, value: f64) -> Event {
    Event {
        id,
        source: "test".into(),
        timestamp_ms: 0,
        payload: EventPayload::Telemetry(TelemetrySample {
            subject: subject.into(),
            metric: metric.into(),
            value,
            timestamp_ms: 0,
        }),
    }
}

/// An event carrying a topology delta with `changes`; `snapshot` marks a full snapshot.
pub fn topology_event(snapshot: bool, changes: Vec<TopologyChange>) -> Event {
    Event {
        id: 1,
        source: "test".into(),
        timestamp_ms: 0,
        payload: EventPayload::Topology(TopologyDelta {
            sequence: 1,
            snapshot,
            changes,
        }),
    }
}

/// An event carrying a flow window of `flows`; until the next call,
/// [`host::flows::window_graph`](crate::host::flows::window_graph) and
/// [`host::flows::conversations`](crate::host::flows::conversations) return its host graph and
/// conversations, as the host would build them.
pub fn flows_event(start_ms: u64, end_ms: u64, flows: FlowBatch) -> Event {
    let slices = netassure_flowgraph::flow_slices!(flows);
    let graph = netassure_flowgraph::HostGraph::build(slices);
    let conversations = netassure_flowgraph::Conversations::build(&slices);
    WINDOW_GRAPH.with(|cell| *cell.borrow_mut() = Some(graph));
    CONVERSATIONS.with(|cell| *cell.borrow_mut() = Some(conversations));
    Event {
        id: 1,
        source: "test".into(),
        timestamp_ms: end_ms,
        payload: EventPayload::Flows(FlowWindow {
            start_ms,
            end_ms,
            flows,
        }),
    }
}

#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
pub(crate) fn current_window_graph() -> Option<netassure_flowgraph::HostGraph> {
    WINDOW_GRAPH.with(|cell| cell.borrow().clone())
}

#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
pub(crate) fn current_conversations() -> Option<netassure_flowgraph::Conversations> {
    CONVERSATIONS.with(|cell| cell.borrow().clone())
}

/// A xorshift64 generator seeded with `seed` (the same seed, the same numbers).
fn xorshift(seed: u64) -> impl FnMut() -> u64 {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    }
}

/// Pseudo-random background traffic for flow-detector tests: `flows` flows among `hosts`
/// hosts (10.0.x.y), senders and receivers skewed towards low host numbers (a few busy servers,
/// many quiet clients), mixed TCP/UDP with well-known and ephemeral ports, sizes from 40 bytes
/// to about 1.5 MB; the same `seed` gives the same flows.
pub fn background_flows(seed: u64, flows: usize, hosts: u32) -> Vec<crate::flows::FlowRecord> {
    let mut next = xorshift(seed);
    // Skew: the minimum of two uniform draws favours low numbers.
    let host = move |next: &mut dyn FnMut() -> u64| {
        let a = (next() % u64::from(hosts)) as u32;
        let b = (next() % u64::from(hosts)) as u32;
        a.min(b)
    };
    (0..flows)
        .map(|i| {
            let src = host(&mut next);
            let mut dst = host(&mut next);
            if dst == src {
                dst = (dst + 1) % hosts;
            }
            let tcp = !next().is_multiple_of(4);
            let packets = 1 + next() % 1000;
            let start_ms = 1_000 * i as u64 / flows.max(1) as u64;
            crate::flows::FlowRecord {
                src: host_addr(src),
                dst: host_addr(dst),
                src_port: 1024 + (next() % 60_000) as u16,
                dst_port: [443, 80, 53, 25, 22, 8080][(next() % 6) as usize],
                protocol: if tcp { 6 } else { 17 },
                tcp_flags: if tcp { 0x1b } else { 0 },
                bytes: packets * (40 + next() % 1460),
                packets,
                start_ms,
                end_ms: start_ms + next() % 500,
            }
        })
        .collect()
}

/// Host `n` of [`background_flows`]: `10.0.(n / 256).(n % 256)`.
pub fn host_addr(n: u32) -> std::net::IpAddr {
    std::net::IpAddr::V4(std::net::Ipv4Addr::new(10, 0, (n >> 8) as u8, n as u8))
}

/// What the flow pipeline bench's NetFlow exporter sends (`host/benches/flow_pipeline.rs`):
/// `flows` TCP flows from 50,000 sources (skewed towards low numbers) to 200,000 destinations,
/// 1 to 100 packets of 700 bytes, each nine seconds long and ending at `end_ms`. For profiling
/// a detector natively on the traffic the realistic bench measures it on.
pub fn collector_flows(seed: u64, flows: usize, end_ms: u64) -> Vec<crate::flows::FlowRecord> {
    let mut next = xorshift(seed);
    (0..flows)
        .map(|_| {
            let (a, b, c) = (next(), next(), next());
            let src = 0x0A00_0000 | ((a % 50_000) as u32).min((b % 50_000) as u32);
            let dst = 0x0A10_0000 | (c % 200_000) as u32;
            let packets = 1 + (c >> 40) % 100;
            crate::flows::FlowRecord {
                src: std::net::Ipv4Addr::from(src).into(),
                dst: std::net::Ipv4Addr::from(dst).into(),
                src_port: 1024 + (a >> 20) as u16 % 60_000,
                dst_port: [443u16, 80, 53, 22][(b >> 30) as usize % 4],
                protocol: 6,
                tcp_flags: 0x1b,
                bytes: packets * 700,
                packets,
                start_ms: end_ms - 9_000,
                end_ms,
            }
        })
        .collect()
}

/// Time `handle` on 100 windows of [`collector_flows`], 100,000 flows each, 100 ms apart
/// (the realistic flow bench at 1 M flows/s): the time spent in `handle` alone, not in making
/// the windows. For an `#[ignore]`d profiling test: `perf record` it natively.
pub fn time_collector_windows(mut handle: impl FnMut(Event)) -> std::time::Duration {
    let mut spent = std::time::Duration::ZERO;
    for w in 0..100u64 {
        let end_ms = 1_790_000_000_000 + (w + 1) * 100;
        let records = collector_flows(w, 100_000, end_ms);
        let batch = FlowBatch::from_records("bench", &records);
        let event = flows_event(end_ms - 100, end_ms, batch);
        let started = std::time::Instant::now();
        handle(event);
        spent += started.elapsed();
    }
    spent
}
