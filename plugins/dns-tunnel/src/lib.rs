//! DNS tunnels (iodine, dnscat2, DNSExfiltrator): one client sending many DNS queries with
//! unusually large packets — data encoded into long names — and so a lot of bytes upstream to
//! one server, for seconds to hours (`dns-tunnel`).
//!
//! **What is counted.** The UDP flows to port 53 that a client started (per the window's
//! conversations, [`host::flows::conversations`]; answers never count), per (client, server):
//! query packets and their IP bytes. Ordinary queries are 60–110 bytes (a name of a few dozen
//! characters, EDNS, a cookie); a tunnel fills names to their limit, 150–300 bytes, and keeps
//! querying while data flows. In bidirectional records (NIDS CSV rows), which sum each query
//! with its answer, half the packets and bytes are taken as the queries and the mean packet is
//! held to 1.3 times the bar (answers repeat the question and add to it).
//!
//! **Across windows.** Pairs whose queries in a window average at least 80% of
//! `min_query_bytes` are remembered, per minute, over a sliding span (`span_s`, 600 s; whole
//! minutes). A pair is a tunnel when within the span it has `min_queries` (100) queries of
//! `min_query_bytes` (130) bytes on average and `min_upstream_bytes` (20,000) bytes of queries
//! in all, spread over at least `min_duration_s` (10 s), and at least half its query packets
//! were answered (a tunnel's server acknowledges and sends data back — iodine moved 250 KB in
//! 16 s with 1,431 queries, all answered; hping3's flood of 228-byte datagrams to port 53
//! lasted 2 s and got nothing back; bidirectional records hide the answers).
//!
//! **Resolvers.** A host that answers queries of two or more hosts is a resolver. When a
//! resolver's upstream queries look like a tunnel because one of its clients' queries do, the
//! client is reported, with the resolver and the servers it forwarded to as victims. A host
//! seen answering others is never reported itself: its upstream records mix all its clients'
//! lookups (and, in bidirectional records, their answers). At the edge, where the resolver's
//! clients are not seen, it is no known resolver, and its tunnel-sized upstream is reported
//! with it as the source. (A tunnel client outside the capture behind a resolver whose other
//! clients are inside it goes unreported.)
//!
//! A finding names the client as attacker, the servers as victims, `udp/53`, this window's
//! queries as evidence flows and the figures; the score is 0.6 at `min_upstream_bytes` and 0.9
//! at four times it (0.05 more when queries average twice `min_query_bytes`). It is reported
//! again in every window the tunnel carries on.
//!
//! **Memory**: at most `max_pairs` (4,096) pairs of about 300 bytes and `max_resolvers`
//! (1,024) hosts of about 100 bytes, under 1.5 MiB; when full, what has nothing in the span
//! goes first, then the smallest. Per window, one entry per (client, server) of its DNS flows.

mod config;
mod judge;
mod state;

use netassure_flowgraph::{Attempt, Conversations, FlowSlices, RecordKind, Records};
use netassure_plugin_sdk::collections::HashMap;
use netassure_plugin_sdk::prelude::*;

pub use config::Config;
use judge::Judge;
use state::{PairKey, State};

/// Evidence flows per finding.
const EVIDENCE: usize = 8;

/// One (client, server) in the window.
#[derive(Debug, Default)]
struct WindowPair {
    packets: u64,
    bytes: u64,
    answered: u64,
    first_ms: u64,
    last_ms: u64,
    flows: Vec<u32>,
}

/// The detector.
#[derive(Default)]
pub struct DnsTunnel {
    config: Config,
    state: State,
    window: HashMap<PairKey, WindowPair>,
    records: RecordKind,
}

fn address(column: &[u8], i: usize) -> [u8; 16] {
    column[i * 16..i * 16 + 16]
        .try_into()
        .expect("16-byte addresses")
}

impl DnsTunnel {
    /// Sum the window's queries per pair, and note who queried whom.
    fn observe(&mut self, batch: &FlowBatch, conversations: &Conversations, now_s: u64) {
        let slices: FlowSlices<'_> = netassure_flowgraph::flow_slices!(batch);
        let since_s = now_s.saturating_sub(self.config.span_s);
        self.window.clear();
        for i in 0..slices.len() {
            if batch.protocol[i] != 17 || batch.dst_port[i] != 53 || !conversations.initiator[i] {
                continue;
            }
            if conversations.attempt(&slices, i) == Attempt::Answer {
                continue;
            }
            let key = (address(&batch.src_addr, i), address(&batch.dst_addr, i));
            self.state
                .queried(key.1, key.0, now_s, since_s, self.config.max_resolvers);
            let pair = self.window.entry(key).or_default();
            pair.packets += batch.packets[i];
            pair.bytes += batch.bytes[i];
            pair.answered += conversations.reverse_of(i).map_or(0, |r| batch.packets[r]);
            pair.first_ms = match pair.first_ms {
                0 => batch.start_ms[i],
                first => first.min(batch.start_ms[i]),
            };
            pair.last_ms = pair.last_ms.max(batch.end_ms[i]);
            if pair.flows.len() < EVIDENCE {
                pair.flows.push(i as u32);
            }
        }
    }

    /// Remember the window's pairs with large queries; the keys of those remembered.
    fn remember(&mut self, now_s: u64, bidirectional: bool) -> Vec<PairKey> {
        let minute = now_s / 60;
        let since = minute.saturating_sub(self.config.span_s.div_ceil(60));
        let bar = 0.8 * self.config.min_query_bytes * if bidirectional { 1.3 } else { 1.0 };
        let mut touched = Vec::new();
        for (key, w) in &self.window {
            let mean = w.bytes as f64 / w.packets.max(1) as f64;
            if mean < bar && !self.state.pairs.contains_key(key) {
                continue;
            }
            let pair = self.state.pair(*key, since, self.config.max_pairs);
            pair.add((minute, since), w.packets, w.bytes, w.answered, w.first_ms);
            pair.bidirectional = bidirectional;
            pair.last_ms = pair.last_ms.max(w.last_ms);
            touched.push(*key);
        }
        touched.sort_unstable();
        touched
    }
}

impl Detector for DnsTunnel {
    type Config = Config;

    fn describe() -> PluginInfo {
        let mut describe = Describe::detector("dns-tunnel", env!("CARGO_PKG_VERSION"))
            .description("DNS tunnels: one client sending many unusually large DNS queries, a lot of bytes upstream, over minutes")
            .subscribe(EventKind::Flows);
        for field in Config::fields() {
            describe = describe.field(field);
        }
        describe.build()
    }

    fn configure(&mut self, config: Config) -> Result<(), PluginError> {
        config.check()?;
        self.config = config;
        Ok(())
    }

    fn on_event(&mut self, event: Event) -> Result<Vec<Finding>, PluginError> {
        let EventPayload::Flows(window) = event.payload else {
            return Ok(vec![]);
        };
        let batch = &window.flows;
        let slices: FlowSlices<'_> = netassure_flowgraph::flow_slices!(batch);
        let conversations = host::flows::conversations()
            .filter(|c| c.len() == slices.len())
            .unwrap_or_else(|| Conversations::build(&slices));
        let now_s = window
            .end_ms
            .max(batch.end_ms.iter().copied().max().unwrap_or(0))
            / 1000;
        // Unknown records are judged as one direction each: then a tunnel needs its answers.
        let bidirectional = self.records.update(&slices, &conversations) == Records::Bidirectional;
        self.observe(batch, &conversations, now_s);
        let touched = self.remember(now_s, bidirectional);
        let since_minute = (now_s / 60).saturating_sub(self.config.span_s.div_ceil(60));
        let since_s = now_s.saturating_sub(self.config.span_s);
        let judge = Judge::new(&self.config, &self.state, since_minute, since_s);
        Ok(touched
            .into_iter()
            .filter_map(|key| judge.finding(key, batch, &self.window[&key].flows))
            .collect())
    }
}

export_detector!(DnsTunnel);

#[cfg(test)]
mod tests;
