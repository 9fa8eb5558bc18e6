//! Port scans and host sweeps: one source whose connection attempts fail on many ports of a few
//! hosts (`port-scan`) or on one service of many hosts (`host-sweep`).
//!
//! **Only failed attempts count.** The host pairs both directions of every conversation
//! ([`host::flows::conversations`]) and says what each flow its source started came to. A SYN
//! that got no answer or a reset, a datagram or echo request that got nothing or an ICMP
//! unreachable back, and a handshake that carried no data are failed attempts
//! ([`Attempt::is_failed`](netassure_plugin_sdk::host::flows::Attempt::is_failed)); a server's
//! replies are answers and never count, and neither does a monitoring server's successful
//! poll. Failed probes of the traceroute ports (UDP 33434–33534) and to multicast or broadcast
//! addresses are not attempts on a host and are skipped.
//!
//! **Across windows.** Per source the detector keeps each distinct failed target (host,
//! protocol, port) with the last time it was tried, and its failed and completed attempts per
//! window, over a sliding span (`span_s`, 300 s). Each window, every source with a new failed
//! attempt is judged on its targets in the span:
//!
//! - `port-scan`: the failed ports on its (at most 8) most probed hosts add up to `min_ports`
//!   (20) — an nmap SYN, connect or UDP scan of a few hosts; a browser's few closed ports stay
//!   far below.
//! - `host-sweep`: one service (a TCP or UDP port, or ICMP echo) failed outright — no answer,
//!   reset, unreachable — on `min_hosts` (40) distinct hosts, and `min_failed_share` (10%) of
//!   all the source's attempts in the span failed (a NAT gateway or proxy whose thousands of
//!   users hit a few dead hosts is not a sweep). Completed handshakes without data do not count
//!   here: TCP port checks of a monitoring server complete.
//!
//! A finding names the source as attacker, the probed hosts as victims, the services, the
//! flows of this window that failed, and the counts; its score is 0.6 at the threshold and 0.9
//! at four times it. A source goes on being reported in every window that adds to it.
//!
//! **Bidirectional records.** A NIDS CSV row holds both directions of a flow: TCP rows are
//! judged from their flags, but an echo or datagram row cannot say whether it was answered.
//! When the windows look bidirectional (TCP connections almost never have a reverse flow), a
//! datagram or echo row of one packet counts as unanswered and one of an even number of
//! packets as answered.
//!
//! **Memory** is bounded by `max_sources` (4,096) sources, `max_targets` (1,024) targets per
//! source and `max_entries` (131,072) targets in all: a target takes 28 bytes (up to about 64
//! with the hash tables' spare room), a source at most about 1 KiB, so at most about 12 MiB at
//! the defaults whatever the traffic. When a bound is reached the targets older than the span
//! go first, then the sources with the fewest targets (a flood of spoofed one-probe sources
//! churns through those; a scanner stays). Per window: one counter per source that completed
//! an attempt, reused.

mod config;
mod judge;
mod table;

use netassure_flowgraph::{Attempt, Conversations, FlowSlices, RecordKind, Records};
use netassure_plugin_sdk::collections::HashMap;
use netassure_plugin_sdk::prelude::*;

pub use config::Config;
use judge::{Context, Scratch};
use table::{Bounds, Table, Target};

/// Traceroute's UDP destination ports (a base of 33434 and up to 100 probes).
const TRACEROUTE: std::ops::RangeInclusive<u16> = 33_434..=33_534;

/// The detector.
#[derive(Default)]
pub struct SuperSpreader {
    config: Config,
    table: Table,
    scratch: Scratch,
    /// Completed attempts per source in the window being handled.
    completed: HashMap<[u8; 16], u32>,
    /// Sources with a new failed attempt in the window being handled.
    touched: Vec<[u8; 16]>,
    records: RecordKind,
}

/// The 16 address bytes of flow `i`'s source or destination.
fn address(column: &[u8], i: usize) -> [u8; 16] {
    column[i * 16..i * 16 + 16]
        .try_into()
        .expect("16-byte addresses")
}

/// Multicast (IPv4 224/4, IPv6 ff00::/8) or the IPv4 limited broadcast.
fn is_group(dst: &[u8; 16]) -> bool {
    let v4 = dst[..12] == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];
    if v4 { dst[12] >= 224 } else { dst[0] == 0xff }
}

/// The target of failed flow `i`, or `None` when it is no probe of a host.
fn target(batch: &FlowBatch, i: usize) -> Option<Target> {
    let dst = address(&batch.dst_addr, i);
    let proto = batch.protocol[i];
    let port = batch.dst_port[i];
    if is_group(&dst) || (proto == 17 && TRACEROUTE.contains(&port)) {
        return None;
    }
    let port = if proto == 1 || proto == 58 { 0 } else { port };
    Some(Target { dst, port, proto })
}

/// What flow `i` came to. A bidirectional record carries its answer in its own counts, which
/// the conversations cannot split; for a datagram or echo record without a reverse flow the
/// packets tell: one packet was never answered, an even number is requests and answers. While
/// the records are unknown, only the second rule applies (it reports less).
pub fn attempt(
    batch: &FlowBatch,
    slices: &FlowSlices<'_>,
    conversations: &Conversations,
    i: usize,
    records: Records,
) -> Attempt {
    let attempt = conversations.attempt(slices, i);
    let judged = matches!(attempt, Attempt::Completed | Attempt::Unanswered);
    let unpaired = batch.protocol[i] != 6 && conversations.reverse[i] < 0;
    if records == Records::Unidirectional || !judged || !unpaired {
        return attempt;
    }
    match batch.packets[i] {
        1 if records == Records::Bidirectional => Attempt::Unanswered,
        n if n >= 2 && n % 2 == 0 => Attempt::Completed,
        _ => attempt,
    }
}

impl SuperSpreader {
    fn bounds(&self) -> Bounds {
        Bounds {
            sources: self.config.max_sources,
            targets: self.config.max_targets,
            entries: self.config.max_entries,
            span_s: self.config.span_s,
        }
    }

    /// Record the window's attempts; fills `touched` with the sources that failed.
    fn observe(&mut self, batch: &FlowBatch, conversations: &Conversations, now_s: u64) {
        let slices = netassure_flowgraph::flow_slices!(batch);
        let bounds = self.bounds();
        let since_s = now_s.saturating_sub(bounds.span_s);
        self.completed.clear();
        self.touched.clear();
        let records = self
            .records
            .update(&netassure_flowgraph::flow_slices!(batch), conversations);
        for i in 0..slices.len() {
            let attempt = attempt(batch, &slices, conversations, i, records);
            let src = address(&batch.src_addr, i);
            if attempt == Attempt::Completed {
                *self.completed.entry(src).or_default() += 1;
                continue;
            }
            if !attempt.is_failed() {
                continue;
            }
            let Some(target) = target(batch, i) else {
                continue;
            };
            let hard = attempt != Attempt::NoPayload;
            self.table.record(src, target, hard, now_s, bounds);
            let Some(source) = self.table.sources.get_mut(&src) else {
                continue;
            };
            // A source quiet for longer than the span starts a new episode: its evidence must
            // not reach back to an earlier one (yesterday's failed attempts).
            if source.last_ms / 1000 + bounds.span_s < now_s {
                source.first_ms = 0;
            }
            source.first_ms = match source.first_ms {
                0 => batch.start_ms[i],
                first => first.min(batch.start_ms[i]),
            };
            source.last_ms = source.last_ms.max(batch.end_ms[i]);
            if source.evidence_of(now_s).is_empty() {
                self.touched.push(src);
            }
            source.keep_evidence(now_s, i);
            source.count(now_s, since_s, 1, 0);
        }
        for (src, n) in &self.completed {
            if let Some(source) = self.table.sources.get_mut(src) {
                source.count(now_s, since_s, 0, *n);
            }
        }
    }

    /// The findings of the sources that failed in this window.
    fn judge(&mut self, batch: &FlowBatch, now_s: u64) -> Vec<Finding> {
        let since_s = now_s.saturating_sub(self.config.span_s);
        let mut touched = std::mem::take(&mut self.touched);
        touched.sort_unstable();
        touched.dedup();
        let mut found = Vec::new();
        for src in &touched {
            let Some(source) = self.table.sources.get(src) else {
                continue;
            };
            let spread = self.scratch.spread(source, since_s);
            let (failed, completed) = source.attempts_since(since_s);
            let context = Context {
                src: *src,
                source,
                spread: &spread,
                failed_share: failed as f64 / (failed + completed).max(1) as f64,
                batch,
                evidence: source.evidence_of(now_s),
                config: &self.config,
            };
            found.extend(judge::port_scan(&context));
            if let Some(&(service, _)) = spread.services.first() {
                let victims = judge::swept_hosts(source, service, since_s);
                found.extend(judge::host_sweep(&context, &victims));
            }
        }
        self.touched = touched;
        found
    }
}

impl Detector for SuperSpreader {
    type Config = Config;

    fn describe() -> PluginInfo {
        let mut describe = Describe::detector("super-spreader", env!("CARGO_PKG_VERSION"))
            .description(
                "Port scans and host sweeps: a source whose attempts fail on many ports of a few hosts, or on one service of many hosts, over a sliding span",
            )
            .subscribe(EventKind::Flows);
        for field in Config::fields() {
            describe = describe.field(field);
        }
        describe.build()
    }

    fn configure(&mut self, config: Config) -> Result<(), PluginError> {
        config.check()?;
        self.config = config;
        let bounds = self.bounds();
        if let Some(now_s) = self.table.sources.values().map(|s| s.last_ms / 1000).max() {
            self.table.make_room(now_s, bounds);
        }
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
        self.observe(batch, &conversations, now_s);
        let found = self.judge(batch, now_s);
        host::metrics::gauge_set("tracked_sources", self.table.sources.len() as f64);
        host::metrics::gauge_set("tracked_targets", self.table.entries() as f64);
        Ok(found)
    }
}

export_detector!(SuperSpreader);

#[cfg(test)]
mod tests;
