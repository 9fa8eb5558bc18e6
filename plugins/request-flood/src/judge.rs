//! The rules: which (source, service) pairs of a window flood, judged on the window and the
//! short span and against the service's other clients; which services get unanswered SYNs
//! from many sources; and the findings, with their evidence flows.

use netassure_plugin_sdk::collections::{HashMap, HashSet};
use netassure_plugin_sdk::evidence::service as service_name;
use netassure_plugin_sdk::flows::addr_from_bytes;
use netassure_plugin_sdk::prelude::*;

use crate::config::Config;
use crate::state::State;
use crate::window::{Agg, BUSY, Key, Service, Window};
use netassure_flowgraph::Records;

/// The kinds of flood.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// Many completed connections.
    Request,
    /// Many unanswered SYNs.
    Syn,
    /// Many datagrams.
    Udp,
    /// Many connections held open with nearly nothing sent.
    Slow,
}

impl Kind {
    /// The anomaly kind.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Request => "request-flood",
            Kind::Syn => "syn-flood",
            Kind::Udp => "udp-flood",
            Kind::Slow => "slow-dos",
        }
    }
}

/// Score from how far `value` is past `threshold`: 0.6 at it, 0.9 at four times it, at most
/// 0.99.
pub fn score(value: f64, threshold: f64) -> f64 {
    let ratio = (value / threshold.max(f64::MIN_POSITIVE)).max(1.0);
    ((0.6 + 0.15 * ratio.log2()).min(0.99) * 1000.0).round() / 1000.0
}

/// One flood found: who, what, and the figures behind it.
#[derive(Debug, Clone)]
pub struct Verdict {
    /// The kind.
    pub kind: Kind,
    /// The key (for a many-source SYN flood, its busiest source).
    pub key: Key,
    /// Other sources (a many-source SYN flood), busiest first, and how many there were.
    pub sources: (Vec<[u8; 16]>, usize),
    /// The rate (per second) that was judged.
    pub rate: f64,
    /// The threshold it passed (raised by the peers when they are busy).
    pub threshold: f64,
    /// What was counted in the window (connections, SYNs, datagrams, slow connections).
    pub count: u64,
    /// Median of the service's other clients, and how many there were.
    pub peers: (f64, usize),
    /// Mean datagram size, and datagrams answered (UDP).
    pub datagram: (f64, u64),
    /// Seconds the rate was measured over.
    pub seconds: f64,
    /// True when `count` is a lower bound (the slow connections kept were at their bound).
    pub at_least: bool,
}

/// What a window is judged with.
pub struct Judge<'a> {
    /// The configuration.
    pub config: &'a Config,
    /// The window, summed.
    pub window: &'a Window,
    /// The histories.
    pub state: &'a State,
    /// The window's length, seconds (at least 1).
    pub window_s: f64,
    /// Its end, seconds.
    pub now_s: u64,
    /// What the flow records are.
    pub records: Records,
    /// The back-end services.
    pub backend: &'a HashSet<(u8, u16)>,
}

/// A service's sources with unanswered SYNs (how many each, who), first start and last end.
type Sources = (Vec<(u32, [u8; 16])>, u64, u64);

/// The shortest time a burst of connections or SYNs is measured over, seconds: a browser opens
/// a dozen connections within a second.
pub const MIN_BURST_S: f64 = 5.0;

/// The median of `values` and `zeros` more values of 0 (0 when there are none).
fn median(values: &mut [u64], zeros: usize) -> f64 {
    let n = values.len() + zeros;
    if n == 0 || n / 2 < zeros {
        return 0.0;
    }
    let mid = n / 2 - zeros;
    *values.select_nth_unstable(mid).1 as f64
}

impl Judge<'_> {
    fn since_s(&self) -> u64 {
        self.now_s.saturating_sub(self.config.span_s)
    }

    /// The rate of `kind` for `key`, the count it is of and the seconds it is over: the
    /// highest of the window's, a burst's (over the time the flows took, at least
    /// [`MIN_BURST_S`]) and the span's.
    fn rate(&self, kind: Kind, key: &Key, agg: &Agg) -> (f64, u64, f64) {
        let span = self.state.keys.get(key).map(|h| h.since(self.since_s()));
        let span_s = self.config.span_s as f64;
        let (window, sustained) = match kind {
            Kind::Request => (
                u64::from(agg.established),
                span.map_or(0, |c| c.established),
            ),
            Kind::Syn => (u64::from(agg.syn), span.map_or(0, |c| c.syn)),
            Kind::Udp | Kind::Slow => (0, 0),
        };
        let burst_s = (agg.last_ms.saturating_sub(agg.first_ms) as f64 / 1000.0)
            .clamp(MIN_BURST_S, self.window_s.max(MIN_BURST_S));
        [
            (window, self.window_s),
            (window, burst_s),
            (sustained, span_s),
        ]
        .into_iter()
        .map(|(count, seconds)| (count as f64 / seconds, count, seconds))
        .fold((0.0, 0, 1.0), |best, r| if r.0 > best.0 { r } else { best })
    }

    /// The rate of `kind` that makes `key` flood, before its peers raise it.
    fn base(&self, kind: Kind, key: &Key) -> f64 {
        let config = self.config;
        match kind {
            Kind::Request if self.backend.contains(&(key.proto, key.port)) => {
                config.min_backend_conn_rate
            }
            Kind::Request => config.min_conn_rate,
            Kind::Syn => config.min_syn_rate,
            Kind::Udp | Kind::Slow => config.min_udp_pps,
        }
    }

    /// The keys of the window that pass a per-source threshold, before the peer comparison.
    fn candidates(&self) -> Vec<(Kind, Key, f64, u64, f64)> {
        let config = self.config;
        let mut found = Vec::new();
        for (key, agg) in self.window.iter() {
            let busy = agg.established >= BUSY || agg.syn >= BUSY;
            for kind in [Kind::Request, Kind::Syn].into_iter().filter(|_| busy) {
                // Connections that are this key's slow ones make a slow-dos, not a flood.
                if kind == Kind::Request && agg.slow * 2 >= agg.established {
                    continue;
                }
                let threshold = self.base(kind, key);
                let (rate, count, seconds) = self.rate(kind, key, agg);
                if rate >= threshold {
                    found.push((kind, *key, rate, count, seconds));
                }
            }
            if agg.packets >= config.min_udp_packets && !is_bulk(agg, self.records) {
                let seconds = (agg.last_ms.saturating_sub(agg.first_ms) as f64 / 1000.0).max(2.0);
                let pps = agg.packets as f64 / seconds;
                if pps >= config.min_udp_pps {
                    found.push((Kind::Udp, *key, pps, agg.packets, seconds));
                }
            }
        }
        found.sort_by_key(|a| (a.0, a.1));
        found
    }

    /// The other clients of each candidate's service: their counts of the candidate's kind.
    fn peers(
        &self,
        candidates: &[(Kind, Key, f64, u64, f64)],
    ) -> HashMap<(Kind, Service), Vec<(Key, u64)>> {
        let mut peers: HashMap<(Kind, Service), Vec<(Key, u64)>> = candidates
            .iter()
            .map(|(kind, key, ..)| ((*kind, key.service()), Vec::new()))
            .collect();
        if peers.is_empty() {
            return peers;
        }
        for (key, agg) in self.window.iter() {
            for (kind, value) in [
                (Kind::Request, u64::from(agg.established)),
                (Kind::Syn, u64::from(agg.syn)),
                (Kind::Udp, agg.packets),
            ] {
                if let Some(list) = peers.get_mut(&(kind, key.service())) {
                    list.push((*key, value));
                }
            }
        }
        peers
    }

    /// Every per-source flood of the window.
    pub fn per_source(&self) -> Vec<Verdict> {
        let candidates = self.candidates();
        let peers = self.peers(&candidates);
        let mut verdicts = Vec::new();
        for (kind, key, rate, count, seconds) in candidates {
            let mut others: Vec<u64> = peers[&(kind, key.service())]
                .iter()
                .filter(|(k, _)| *k != key)
                .map(|(_, v)| *v)
                .collect();
            // Clients that were not busy were not summed: they count as nothing.
            let n = self
                .window
                .sources_of(key.service())
                .saturating_sub(1)
                .max(others.len());
            let zeros = n - others.len();
            let peer_median = median(&mut others, zeros);
            let Some(agg) = self.window.get(&key) else {
                continue;
            };
            let own = match kind {
                Kind::Request => u64::from(agg.established),
                Kind::Syn => u64::from(agg.syn),
                _ => agg.packets,
            };
            let base = self.base(kind, &key);
            let busy_peers = n >= self.config.min_peers;
            if busy_peers && (own as f64) < self.config.peer_factor * peer_median {
                continue;
            }
            let raised = if busy_peers {
                base.max(self.config.peer_factor * peer_median / self.window_s)
            } else {
                base
            };
            let datagram = (agg.bytes as f64 / agg.packets.max(1) as f64, agg.answered);
            verdicts.push(Verdict {
                kind,
                key,
                sources: (Vec::new(), 0),
                rate,
                threshold: raised,
                count,
                peers: (peer_median, n),
                datagram,
                seconds,
                at_least: false,
            });
        }
        verdicts
    }

    /// Every key holding `min_slow_connections` slow connections in the span.
    pub fn slow(&self) -> Vec<Verdict> {
        let since_s = self.since_s();
        let mut keys: Vec<Key> = self.window.slow.iter().map(|s| s.key).collect();
        keys.sort_unstable();
        keys.dedup();
        let threshold = f64::from(self.config.min_slow_connections);
        keys.into_iter()
            .filter_map(|key| {
                let history = self.state.keys.get(&key)?;
                let held = history.slow_since(since_s);
                (held >= self.config.min_slow_connections).then(|| Verdict {
                    kind: Kind::Slow,
                    key,
                    sources: (Vec::new(), 0),
                    rate: f64::from(held),
                    threshold,
                    count: u64::from(held),
                    peers: (0.0, 0),
                    datagram: (0.0, 0),
                    seconds: self.config.span_s as f64,
                    at_least: history.slow_full,
                })
            })
            .collect()
    }

    /// Services that got unanswered SYNs from many sources, none of which dominates.
    pub fn many_sources(&self) -> Vec<Verdict> {
        // The busiest sources of each service with unanswered SYNs, and when, from the exact
        // sums.
        let mut busiest: HashMap<Service, Sources> = HashMap::default();
        for (key, agg) in self.window.iter().filter(|(_, a)| a.syn > 0) {
            let entry = busiest
                .entry(key.service())
                .or_insert((Vec::new(), u64::MAX, 0));
            entry.0.push((agg.syn, key.src));
            entry.1 = entry.1.min(agg.first_ms);
            entry.2 = entry.2.max(agg.last_ms);
        }
        let config = self.config;
        let mut verdicts = Vec::new();
        for (service, (mut sources, first, last)) in busiest {
            // The totals from the hashed counters, which count every source.
            let counts = self.window.service_counts(service);
            let syn = counts
                .syn
                .max(sources.iter().map(|(n, _)| u64::from(*n)).sum());
            let count = counts.syn_sources.max(sources.len());
            sources.sort_unstable_by(|a, b| b.cmp(a));
            let spread = u64::from(sources[0].0) * 2 < syn && syn >= counts.established;
            let burst_s = (last.saturating_sub(first) as f64 / 1000.0)
                .clamp(MIN_BURST_S, self.window_s.max(MIN_BURST_S));
            let seconds = if burst_s < self.window_s {
                burst_s
            } else {
                self.window_s
            };
            let rate = syn as f64 / seconds;
            if rate < config.min_victim_syn_rate || count < config.min_flood_sources || !spread {
                continue;
            }
            let measured = (rate, config.min_victim_syn_rate, syn, seconds);
            verdicts.push(group_verdict(Kind::Syn, service, &sources, count, measured));
        }
        verdicts.sort_by_key(|v| v.key);
        verdicts
    }
}

impl Judge<'_> {
    /// Services that got a burst of new connections from many sources at once: at least
    /// `min_group_sources` sources, none with half of the connections, each opening
    /// `min_conn_rate` new connections per second within a burst shorter than
    /// [`MIN_BURST_S`], measured from 1 s (one browser opens a dozen connections within a
    /// second, which the per-source rule's 5 s absorb; a dozen sources in step are no browser). The group's rate over its burst (from 1 s) is judged against
    /// `min_conn_rate` × `min_group_sources`.
    pub fn many_clients(&self) -> Vec<Verdict> {
        let config = self.config;
        let mut groups: HashMap<Service, Sources> = HashMap::default();
        for (key, agg) in self.window.iter() {
            let own_s = agg.last_ms.saturating_sub(agg.first_ms) as f64 / 1000.0;
            // A longer burst is judged per source, over its own time.
            let fast = own_s < MIN_BURST_S
                && f64::from(agg.established) / own_s.max(1.0) >= config.min_conn_rate;
            let backend = self.backend.contains(&(key.proto, key.port));
            if !fast || backend || agg.slow * 2 >= agg.established {
                continue;
            }
            let entry = groups
                .entry(key.service())
                .or_insert((Vec::new(), u64::MAX, 0));
            entry.0.push((agg.established, key.src));
            entry.1 = entry.1.min(agg.first_ms);
            entry.2 = entry.2.max(agg.last_ms);
        }
        let mut verdicts = Vec::new();
        for (service, (mut sources, first, last)) in groups {
            let count: u64 = sources.iter().map(|(n, _)| u64::from(*n)).sum();
            sources.sort_unstable_by(|a, b| b.cmp(a));
            let spread = u64::from(sources[0].0) * 2 < count;
            if sources.len() < config.min_group_sources || !spread {
                continue;
            }
            let seconds = (last.saturating_sub(first) as f64 / 1000.0).max(1.0);
            let threshold = config.min_conn_rate * config.min_group_sources as f64;
            let rate = count as f64 / seconds;
            if rate < threshold {
                continue;
            }
            let measured = (rate, threshold, count, seconds);
            verdicts.push(group_verdict(
                Kind::Request,
                service,
                &sources,
                sources.len(),
                measured,
            ));
        }
        verdicts.sort_by_key(|v| v.key);
        verdicts
    }
}

/// The verdict of a flood of many sources on `service`: `sources` (count, address) busiest
/// first, `count` of them in all; `measured` is (rate, threshold, count judged, seconds).
fn group_verdict(
    kind: Kind,
    service: Service,
    sources: &[(u32, [u8; 16])],
    count: usize,
    measured: (f64, f64, u64, f64),
) -> Verdict {
    let (dst, proto, port) = service;
    let (rate, threshold, judged, seconds) = measured;
    Verdict {
        kind,
        key: Key {
            dst,
            proto,
            port,
            src: sources[0].1,
        },
        sources: (sources.iter().take(10).map(|(_, s)| *s).collect(), count),
        rate,
        threshold,
        count: judged,
        peers: (0.0, 0),
        datagram: (0.0, 0),
        seconds,
        at_least: false,
    }
}

/// A transfer over UDP (QUIC, a video call): the source mostly acknowledges what comes back
/// (twice as many datagrams answered as sent), or sends large datagrams (1,000 bytes or more)
/// and some come back. Bidirectional records hide what came back and mix both directions'
/// sizes: there, datagrams of 500 bytes or more on average. While the records are unknown,
/// either makes a transfer.
fn is_bulk(agg: &Agg, records: Records) -> bool {
    let mean = agg.bytes as f64 / agg.packets.max(1) as f64;
    let summed = mean >= 500.0;
    let paired =
        agg.answered >= 2 * agg.packets || (mean >= 1_000.0 && agg.answered * 50 >= agg.packets);
    match records {
        Records::Bidirectional => summed,
        Records::Unidirectional => paired,
        Records::Unknown => summed || paired,
    }
}

fn addr(bytes: &[u8; 16]) -> String {
    addr_from_bytes(bytes).to_string()
}

/// The description of `verdict`.
fn describe(verdict: &Verdict, config: &Config) -> String {
    let key = &verdict.key;
    let (src, dst) = (addr(&key.src), addr(&key.dst));
    let service = service_name(key.proto, key.port);
    let peers = match verdict.peers {
        (_, 0) => String::new(),
        (median, n) => format!("; the service's {n} other clients: median {median:.0}"),
    };
    let rate = format!(
        "{:.0}/s over {:.0} s; threshold {:.0}/s{peers}",
        verdict.rate, verdict.seconds, verdict.threshold
    );
    match verdict.kind {
        Kind::Request if verdict.sources.1 > 0 => format!(
            "{service} on {dst} got {} new connections from {} sources at once, each opening at least {:.0}/s ({rate})",
            verdict.count, verdict.sources.1, config.min_conn_rate
        ),
        Kind::Request => format!(
            "{src} opened {} connections to {service} on {dst} ({rate})",
            verdict.count
        ),
        Kind::Syn if verdict.sources.1 > 0 => format!(
            "{service} on {dst} got {} unanswered SYNs from {} sources ({rate})",
            verdict.count, verdict.sources.1
        ),
        Kind::Syn => format!(
            "{src} sent {} SYNs to {service} on {dst} that were never answered ({rate})",
            verdict.count
        ),
        Kind::Udp => format!(
            "{src} sent {} datagrams of {:.0} bytes to {service} on {dst} ({rate}); {} came back",
            verdict.count, verdict.datagram.0, verdict.datagram.1
        ),
        Kind::Slow => format!(
            "{src} held {}{} connections to {service} on {dst} open for at least {} s each while sending under {:.0} bytes/s, unanswered, within {} s (threshold {})",
            if verdict.at_least { "at least " } else { "" },
            verdict.count,
            config.slow_min_s,
            config.slow_max_client_bps,
            config.span_s,
            config.min_slow_connections
        ),
    }
}

/// The finding of `verdict`, with `flows` (indexes into `batch`) as evidence.
pub fn finding(verdict: &Verdict, config: &Config, batch: &FlowBatch, flows: &[u32]) -> Finding {
    let key = &verdict.key;
    let score = score(verdict.rate, verdict.threshold);
    let mut builder = AnomalyBuilder::new(verdict.kind.name(), score).pattern(Pattern::Spike);
    let (listed, count) = &verdict.sources;
    if listed.is_empty() {
        builder = builder.attacker(&addr(&key.src));
    } else {
        for src in listed {
            builder = builder.attacker(&addr(src));
        }
        builder = builder.attacker_count(*count as u32);
    }
    builder = builder.victim(&addr(&key.dst)).service(key.proto, key.port);
    let first = flows
        .iter()
        .map(|&i| batch.start_ms[i as usize])
        .min()
        .unwrap_or(0);
    let last = flows
        .iter()
        .map(|&i| batch.end_ms[i as usize])
        .max()
        .unwrap_or(0);
    for &flow in flows {
        builder = builder.evidence_flow(FlowEvidence::of(batch, flow as usize, score));
    }
    builder
        .seen(first, last)
        .symptom("floods", verdict.kind.name(), "one service hammered")
        .measure("count", verdict.count as f64)
        .measure("rate-per-s", verdict.rate)
        .measure("threshold-per-s", verdict.threshold)
        .measure("seconds", verdict.seconds)
        .measure("peer-median", verdict.peers.0)
        .measure("peers", verdict.peers.1 as f64)
        .description(describe(verdict, config))
        .finding()
}
