//! Judging the pairs: which carry a tunnel over the span, and who is to blame — the client, not
//! a resolver that only forwarded its queries — with the servers the queries went to.

use std::cell::OnceCell;

use netassure_plugin_sdk::collections::HashMap;
use netassure_plugin_sdk::flows::addr_from_bytes;
use netassure_plugin_sdk::prelude::*;

use crate::config::Config;
use crate::state::{Pair, PairKey, State};

/// A tunnel seen on one pair over the span.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tunnel {
    /// Query packets.
    pub queries: u64,
    /// Query bytes.
    pub bytes: u64,
    /// Mean bytes of a query packet.
    pub mean: f64,
}

/// The figures of `pair` since the minute `since`, when they make a tunnel.
pub fn tunnel(pair: &Pair, since: u64, config: &Config) -> Option<Tunnel> {
    let (packets, bytes, answered) = pair.since(since);
    // Over minutes, and answered: a tunnel's server acknowledges and sends back (a flood of
    // datagrams to port 53 lasts seconds and gets nothing). Bidirectional records hide answers.
    let lasted = pair.last_ms.saturating_sub(pair.first_ms) >= config.min_duration_s * 1000;
    if !lasted || (!pair.bidirectional && answered * 2 < packets) {
        return None;
    }
    // A bidirectional record holds each query with its answer, which repeats the question:
    // half the packets and bytes are the queries, and its mean is held to a higher bar.
    let (queries, bytes, bar) = if pair.bidirectional {
        (packets / 2, bytes / 2, config.min_query_bytes * 1.3)
    } else {
        (packets, bytes, config.min_query_bytes)
    };
    let mean = if pair.bidirectional {
        2.0 * bytes as f64 / packets.max(1) as f64
    } else {
        bytes as f64 / packets.max(1) as f64
    };
    let found = queries >= config.min_queries && mean >= bar && bytes >= config.min_upstream_bytes;
    found.then_some(Tunnel {
        queries,
        bytes,
        mean,
    })
}

/// Score from how far `value` is past `threshold`: 0.6 at it, 0.9 at four times it, at most
/// 0.99.
pub fn score(value: f64, threshold: f64) -> f64 {
    let ratio = (value / threshold.max(1.0)).max(1.0);
    ((0.6 + 0.15 * ratio.log2()).min(0.99) * 1000.0).round() / 1000.0
}

fn addr(bytes: &[u8; 16]) -> String {
    addr_from_bytes(bytes).to_string()
}

/// The pairs that carry a tunnel over the span, by client.
#[derive(Debug, Default)]
struct Index {
    by_client: HashMap<[u8; 16], Vec<(u64, [u8; 16])>>,
}

/// What a finding is built from.
pub struct Judge<'a> {
    /// The configuration.
    pub config: &'a Config,
    /// The remembered pairs and resolvers.
    pub state: &'a State,
    /// The span's first minute.
    pub since_minute: u64,
    /// The span's start, seconds.
    pub since_s: u64,
    index: OnceCell<Index>,
}

impl<'a> Judge<'a> {
    /// A judge of the span since `since_s` (and its first whole minute, `since_minute`).
    pub fn new(config: &'a Config, state: &'a State, since_minute: u64, since_s: u64) -> Self {
        Judge {
            config,
            state,
            since_minute,
            since_s,
            index: OnceCell::new(),
        }
    }

    /// Every pair carrying a tunnel, indexed once per window and only when needed.
    fn index(&self) -> &Index {
        self.index.get_or_init(|| {
            let mut index = Index::default();
            for ((client, server), pair) in &self.state.pairs {
                if let Some(t) = tunnel(pair, self.since_minute, self.config) {
                    index
                        .by_client
                        .entry(*client)
                        .or_default()
                        .push((t.bytes, *server));
                }
            }
            index
        })
    }

    /// The servers `host` forwarded tunnel-sized queries to, most bytes first.
    fn upstream(&self, host: &[u8; 16]) -> Vec<[u8; 16]> {
        let mut servers = self
            .index()
            .by_client
            .get(host)
            .cloned()
            .unwrap_or_default();
        servers.sort_unstable_by(|a, b| b.cmp(a));
        servers.into_iter().take(4).map(|(_, s)| s).collect()
    }

    /// The finding of pair `key`, if it carries a tunnel its client is to blame for.
    pub fn finding(&self, key: PairKey, batch: &FlowBatch, flows: &[u32]) -> Option<Finding> {
        let (client, server) = key;
        let pair = self.state.pairs.get(&key)?;
        let found = tunnel(pair, self.since_minute, self.config)?;
        // A resolver seen answering other hosts forwards their queries: when one of them
        // tunnels, that client is reported; when none does, its records mix every client's
        // ordinary answers, which is no tunnel of its own.
        if self.state.is_resolver(&client, self.since_s) {
            return None;
        }
        let config = self.config;
        let score = score(found.bytes as f64, config.min_upstream_bytes as f64)
            + if found.mean >= 2.0 * config.min_query_bytes {
                0.05
            } else {
                0.0
            };
        let score = score.min(0.99);
        let mut builder = AnomalyBuilder::new("dns-tunnel", score)
            .attacker(&addr(&client))
            .victim(&addr(&server))
            .service(17, 53)
            .seen(pair.first_ms, pair.last_ms)
            .pattern(Pattern::MeanShift);
        let upstream = if self.state.is_resolver(&server, self.since_s) {
            self.upstream(&server)
        } else {
            Vec::new()
        };
        for host in &upstream {
            builder = builder.victim(&addr(host));
        }
        for &flow in flows {
            builder = builder.evidence_flow(FlowEvidence::of(batch, flow as usize, score));
        }
        let via = match upstream.first() {
            Some(up) => format!(", which forwarded them to {}", addr(up)),
            None => String::new(),
        };
        Some(
            builder
                .symptom("carries", "dns-queries", "many large DNS queries to one server: data in the names")
                .measure("queries", found.queries as f64)
                .measure("mean-query-bytes", found.mean)
                .measure("upstream-bytes", found.bytes as f64)
                .measure("span-s", config.span_s as f64)
                .description(format!(
                    "{} sent {} DNS queries of {:.0} bytes on average ({} bytes in all) to {}{via} within {} s (thresholds: {} queries, {:.0} bytes, {} bytes)",
                    addr(&client),
                    found.queries,
                    found.mean,
                    found.bytes,
                    addr(&server),
                    config.span_s,
                    config.min_queries,
                    config.min_query_bytes,
                    config.min_upstream_bytes
                ))
                .finding(),
        )
    }
}
