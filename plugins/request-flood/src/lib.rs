//! Floods of one service by one or a few sources: `request-flood` (many new connections, as
//! ApacheBench or an HTTP flood tool makes them), `syn-flood` (SYNs that are never answered,
//! hping3 -S — from one source, or from many spoofed ones), `udp-flood` (datagrams, hping3
//! --udp) and `slow-dos` (many connections held open while sending almost nothing: slowloris,
//! slowhttptest).
//!
//! **Per source and service.** Each window, the flows a source started (per the window's
//! conversations, [`host::flows::conversations`]; a server's answers never count) are summed
//! per (source, host, service): connections that completed their handshake, SYN packets of
//! connections that never did (no answer, reset, unreachable; the source's own resets are not
//! SYNs), datagrams and the datagrams that came back. Rates are per second: the highest of the
//! window's, a burst's (over the time the flows took, at least 5 s) and the one sustained over
//! the short span (`span_s`, 60 s); datagrams per second over the time they were sent (at
//! least 2 s). A source floods when it reaches
//!
//! - `min_conn_rate` (20/s) new connections: a browser opens a handful per site, a page
//!   fetched object by object without keep-alive a few per second; ab -c 50 opens hundreds.
//!   To a back end (`backend_services`: databases, caches, brokers), where an application
//!   without a connection pool opens a new connection per query (redis-cli in a loop: 17/s),
//!   it takes `min_backend_conn_rate` (200/s);
//! - `min_syn_rate` (50/s) unanswered SYNs: a client retrying a dead server sends a few;
//! - `min_udp_pps` (500/s, and `min_udp_packets` in the window) datagrams: voice and video
//!   are tens to a few hundred a second; a transfer (QUIC: a source acknowledging twice as
//!   many datagrams as it sends, or sending datagrams of 1,000 bytes or more, some answered;
//!   in bidirectional records, which hide the answers and mix both directions, datagrams of
//!   500 bytes or more on average) and multicast are not floods;
//!
//! (a key is judged in windows where it has at least 5 connections or SYNs, or 50 datagrams)
//! and, when the service has at least `min_peers` (10) other clients in the window, also
//! `peer_factor` (10) times their median: where every client of a service is busy (an API
//! polled hard, a CDN address behind NATs) a busy proxy or NAT is judged against its peers,
//! while a few sources flooding together are too few to raise each other's bar.
//!
//! **Many sources.** A service getting `min_victim_syn_rate` (100/s) unanswered SYNs from at
//! least `min_flood_sources` (50) sources, none with half of them, and more SYNs than
//! completed connections, is a `syn-flood` of many (spoofed) sources: the finding lists the
//! ten busiest and how many there were.
//!
//! A service getting new connections from at least `min_group_sources` (10) sources at once,
//! each opening `min_conn_rate` per second within a burst shorter than 5 s (measured from
//! 1 s rather than 5 s), none with half of them, at `min_conn_rate` × `min_group_sources` (200/s) together, is
//! a `request-flood` of many sources (an HTTP flood from a botnet: 32 bots opening 25
//! connections each within a second): one browser opens a dozen connections within a second,
//! ten browsers in step do not. Its sources' own request floods of that service are reported
//! in it, not apart.
//!
//! **Slow connections.** A connection to a web service (`slow_services`) at least
//! `slow_min_s` (20 s) long, its client sending under `slow_max_client_bps` (200 bytes/s) and
//! its server no more than `slow_max_server_bytes` (2,000: it never answered) is slow; a source
//! holding `min_slow_connections` (40) slow connections (by source port) to one service
//! within the span is a `slow-dos` (and its slow connections do not also make a
//! `request-flood`). Browsers keep a few idle connections, and those carried answers.
//!
//! Scores are 0.6 at the threshold and 0.9 at four times it. **Memory**: the window's sums
//! (1.5 MiB of hashed counters, 24 bytes per flow that counts and about 100 bytes per busy key,
//! reused from window to window) and the histories of busy keys, at most `max_keys` (4,096) of
//! about 300 bytes plus 20 bytes per slow connection (at most four times
//! `min_slow_connections` per key): at most about 16 MiB at the defaults (1.5 MiB without slow
//! connections), plus what the largest window needs (about 15 MiB for 100,000 flows).

mod config;
mod judge;
mod state;
mod window;

use netassure_flowgraph::{Conversations, FlowSlices, RecordKind};
use netassure_plugin_sdk::collections::HashMap;
use netassure_plugin_sdk::prelude::*;

pub use config::Config;
use config::Services;
use judge::{Judge, Verdict};
use state::State;
use window::{Key, Service, Window};

/// Evidence flows per finding.
const EVIDENCE: usize = 8;

/// The detector.
#[derive(Default)]
pub struct RequestFlood {
    config: Config,
    services: Services,
    window: Window,
    state: State,
    /// The length of the window being handled, seconds.
    window_s: f64,
    records: RecordKind,
}

fn address(column: &[u8], i: usize) -> [u8; 16] {
    column[i * 16..i * 16 + 16]
        .try_into()
        .expect("16-byte addresses")
}

impl RequestFlood {
    /// Remember the window's busy keys and slow connections.
    fn remember(&mut self, now_s: u64) {
        let since_s = now_s.saturating_sub(self.config.span_s);
        let max_keys = self.config.max_keys;
        // Keys at a quarter of a threshold in the window: only they can reach one over the span.
        let window_s = self.window_s;
        let config = &self.config;
        let conns = (config.min_conn_rate * window_s / 4.0) as u32;
        let syns = (config.min_syn_rate * window_s / 4.0) as u32;
        let packets = config.min_udp_packets / 4;
        for (key, agg) in self.window.iter() {
            if agg.established >= conns || agg.syn >= syns || agg.packets >= packets {
                self.state
                    .history(*key, since_s, max_keys)
                    .add(now_s, since_s, agg);
            }
        }
        let most = 4 * self.config.min_slow_connections as usize;
        for slow in &self.window.slow {
            self.state
                .history(slow.key, since_s, max_keys)
                .slow_connection(slow.port, (now_s, since_s), most);
        }
    }

    /// Up to [`EVIDENCE`] flows of each verdict: its key's, or its service's for many sources.
    fn evidence(
        &self,
        batch: &FlowBatch,
        conversations: &Conversations,
        verdicts: &[Verdict],
    ) -> Vec<Vec<u32>> {
        let mut flows = vec![Vec::new(); verdicts.len()];
        let mut by_key: HashMap<Key, usize> = HashMap::default();
        let mut by_service: HashMap<Service, usize> = HashMap::default();
        for (n, verdict) in verdicts.iter().enumerate() {
            if verdict.sources.0.is_empty() {
                by_key.entry(verdict.key).or_insert(n);
            } else {
                by_service.entry(verdict.key.service()).or_insert(n);
            }
        }
        for i in 0..batch.len() {
            if !conversations.initiator[i] {
                continue;
            }
            let key = Key {
                dst: address(&batch.dst_addr, i),
                proto: batch.protocol[i],
                port: batch.dst_port[i],
                src: address(&batch.src_addr, i),
            };
            let found = by_key.get(&key).or_else(|| by_service.get(&key.service()));
            if let Some(&n) = found
                && flows[n].len() < EVIDENCE
            {
                flows[n].push(i as u32);
            }
        }
        flows
    }
}

impl Detector for RequestFlood {
    type Config = Config;

    fn describe() -> PluginInfo {
        let mut describe = Describe::detector("request-flood", env!("CARGO_PKG_VERSION"))
            .description(
                "Floods of one service by one or a few sources: new connections, unanswered SYNs, datagrams, slow connections",
            )
            .subscribe(EventKind::Flows);
        for field in Config::fields() {
            describe = describe.field(field);
        }
        describe.build()
    }

    fn configure(&mut self, config: Config) -> Result<(), PluginError> {
        self.services = config.check()?;
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
        let last_end = batch.end_ms.iter().copied().max().unwrap_or(0);
        let now_s = window.end_ms.max(last_end) / 1000;
        let first_start = batch.start_ms.iter().copied().min().unwrap_or(0);
        let span_ms = match window.end_ms.saturating_sub(window.start_ms) {
            0 => last_end.saturating_sub(first_start),
            span => span,
        };
        self.window_s = (span_ms as f64 / 1000.0).max(1.0);
        let records = self.records.update(&slices, &conversations);
        self.window
            .sum(batch, &conversations, &self.config, &self.services.slow);
        self.remember(now_s);
        let judge = Judge {
            config: &self.config,
            window: &self.window,
            state: &self.state,
            window_s: self.window_s,
            now_s,
            records,
            backend: &self.services.backend,
        };
        let mut verdicts = judge.per_source();
        verdicts.extend(judge.slow());
        verdicts.extend(judge.many_sources());
        // A source of a many-source request flood is reported once, in the group.
        let group = judge.many_clients();
        verdicts.retain(|v| {
            v.kind != judge::Kind::Request
                || !v.sources.0.is_empty()
                || !group.iter().any(|g| g.key.service() == v.key.service())
        });
        verdicts.extend(group);
        if verdicts.is_empty() {
            return Ok(vec![]);
        }
        let flows = self.evidence(batch, &conversations, &verdicts);
        Ok(verdicts
            .iter()
            .zip(&flows)
            .map(|(verdict, flows)| judge::finding(verdict, &self.config, batch, flows))
            .collect())
    }
}

export_detector!(RequestFlood);

#[cfg(test)]
mod tests;
