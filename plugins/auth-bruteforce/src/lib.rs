//! Password guessing: one source making repeated short connections to an authentication
//! service (`auth-bruteforce`) of one host, or of many hosts (password spraying).
//!
//! **What counts as an attempt.** A connection the source started (per the window's
//! conversations, [`host::flows::conversations`]) to a watched service that completed its
//! handshake and carried data (a TCP PSH in either direction: a login exchanges banners and
//! credentials, where a SYN flood, a connect scan or a port check exchanges nothing), or a UDP
//! exchange that was answered (Kerberos, CLDAP); and that was short: at most `max_attempt_s`
//! (30 s) and `max_attempt_bytes` (64 KiB) both directions together. An interactive session,
//! a file copy, a connection refused or never answered (a scan) is no attempt; a server's
//! replies never are.
//!
//! **Tries per connection.** sshd allows six password tries per connection (MaxAuthTries) and
//! delays each failure by about two seconds, so hydra's connections last 10–15 s and carry a
//! few kilobytes; vsftpd and telnetd behave alike. A small connection (8 KiB or less) to one of
//! `multi_try_services` (FTP, SSH, telnet) counts as one try plus one per `seconds_per_try`
//! (2.5 s) it lasted, at most `max_tries_per_connection` (6). A check or a command (under a
//! second) is one try; an interactive session lasts longer than `max_attempt_s`, or carries
//! more. Elsewhere (mail, RDP) a connection is one try: a mail client's session lasts as long
//! as its mail takes.
//!
//! **Across windows.** Per (source, host, service) the detector counts tries per window over
//! a sliding span (`span_s`, 300 s) and keeps the sizes of the last 32 connections. Each
//! window, every (source, service) with a new attempt is judged on its hosts:
//!
//! - An ordinary service (`services`: SSH, telnet, FTP, RDP, VNC, WinRM, mail submission,
//!   IMAP, POP) is brute-forced on a host at `min_attempts` (12) tries in the span: a slow
//!   hydra run (about ten tries a minute) within two minutes; an administrator's few sessions
//!   or a check every minute (5 in the span) stay below.
//! - A chatty service (`chatty_services`: Kerberos, LDAP, SMB, SMTP, databases) is used with
//!   many short connections in normal work: it takes `min_attempts_chatty` (3,000: ten a
//!   second) attempts, or `min_uniform_attempts_chatty` (120) near-identical ones — at least
//!   `min_uniformity` (90%) of the last 32 within 2% + 8 bytes of their median size, the same
//!   rejection again and again, where a workstation's directory lookups or an application's
//!   queries vary.
//! - Password spraying: one source trying an ordinary service on `spray_min_victims` (20)
//!   hosts within the span.
//!
//! One finding per (source, service): the source as attacker, the hosts (most tried first) as
//! victims, the service, this window's attempts as evidence flows, and the counts. Its score
//! is 0.6 at the threshold and 0.9 at four times it (0.05 more when the attempts are
//! near-identical); it is reported again in every window that adds an attempt.
//!
//! **Memory** is bounded by `max_pairs` (8,192) (source, host, service) triples of at most
//! 500 bytes each, 4 MiB at the defaults; when full, triples without attempts in the span go
//! first, then those with the fewest attempts.

mod config;
mod judge;
mod table;

use netassure_flowgraph::{Attempt, Conversations, FlowSlices};
use netassure_plugin_sdk::collections::HashSet;
use netassure_plugin_sdk::prelude::*;

pub use config::Config;
use config::Services;
use judge::{Group, Judge};
use table::{PairKey, Table};

/// The detector.
#[derive(Default)]
pub struct AuthBruteforce {
    config: Config,
    services: Services,
    table: Table,
    touched: HashSet<Group>,
    keys: Vec<PairKey>,
}

/// The 16 address bytes of flow `i` in an address column.
fn address(column: &[u8], i: usize) -> [u8; 16] {
    column[i * 16..i * 16 + 16]
        .try_into()
        .expect("16-byte addresses")
}

/// TCP PSH: a segment carried data.
const PSH: u8 = 0x08;
/// Largest connection (both directions) that can be several login tries, bytes.
const MULTI_TRY_BYTES: u64 = 8_192;

/// Bytes, start, end and TCP flags of flow `i`'s connection: its own and its reverse flow's.
fn connection(batch: &FlowBatch, conversations: &Conversations, i: usize) -> (u64, u64, u64, u8) {
    let (mut bytes, start, mut end) = (batch.bytes[i], batch.start_ms[i], batch.end_ms[i]);
    let mut flags = batch.tcp_flags[i];
    if let Some(r) = conversations.reverse_of(i) {
        bytes += batch.bytes[r];
        end = end.max(batch.end_ms[r]);
        flags |= batch.tcp_flags[r];
    }
    (bytes, start, end, flags)
}

impl AuthBruteforce {
    /// The login tries a connection of `bytes` lasting `duration_ms` stands for: one, and for
    /// a small one (at most [`MULTI_TRY_BYTES`]) one more per `seconds_per_try` it lasted —
    /// the server delays each failure — up to `max_tries_per_connection`.
    fn tries(&self, bytes: u64, duration_ms: u64) -> u32 {
        let per_try = self.config.seconds_per_try;
        if per_try == 0.0 || bytes > MULTI_TRY_BYTES {
            return 1;
        }
        let more = (duration_ms as f64 / 1000.0 / per_try) as u32;
        (1 + more).min(self.config.max_tries_per_connection)
    }

    /// Count the window's attempts; fills `touched`.
    fn observe(&mut self, batch: &FlowBatch, conversations: &Conversations, now_s: u64) {
        let slices: FlowSlices<'_> = netassure_flowgraph::flow_slices!(batch);
        let (span_s, max_pairs) = (self.config.span_s, self.config.max_pairs);
        let max_ms = self.config.max_attempt_s * 1000;
        self.touched.clear();
        for i in 0..slices.len() {
            let (proto, port) = (batch.protocol[i], batch.dst_port[i]);
            if !self.services.classes.contains_key(&(proto, port)) {
                continue;
            }
            let attempt = conversations.attempt(&slices, i);
            let (bytes, start, end, flags) = connection(batch, conversations, i);
            let counts = match proto {
                6 => matches!(attempt, Attempt::Completed | Attempt::NoPayload) && flags & PSH != 0,
                _ => attempt == Attempt::Completed,
            };
            if !counts {
                continue;
            }
            if bytes > self.config.max_attempt_bytes || end.saturating_sub(start) > max_ms {
                continue;
            }
            let key = PairKey {
                src: address(&batch.src_addr, i),
                proto,
                port,
                dst: address(&batch.dst_addr, i),
            };
            let tries = if self.services.multi_try.contains(&(proto, port)) {
                self.tries(bytes, end.saturating_sub(start))
            } else {
                1
            };
            let window = (now_s, now_s.saturating_sub(span_s));
            self.table.pair(key, now_s, span_s, max_pairs).attempt(
                window,
                i,
                tries,
                bytes,
                (start, end),
            );
            self.touched.insert(judge::group(&key));
        }
    }
}

impl Detector for AuthBruteforce {
    type Config = Config;

    fn describe() -> PluginInfo {
        let mut describe = Describe::detector("auth-bruteforce", env!("CARGO_PKG_VERSION"))
            .description(
                "Password guessing and spraying: repeated short connections from one source to an authentication service, over a sliding span",
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
        if let Some(now_s) = self.table.pairs.values().map(|p| p.last_ms / 1000).max() {
            let (span_s, max_pairs) = (self.config.span_s, self.config.max_pairs);
            self.table.make_room(now_s, span_s, max_pairs);
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
        let judge = Judge {
            config: &self.config,
            classes: &self.services.classes,
            batch,
            now_s,
        };
        let found = judge::groups(&self.table.pairs, &self.touched, &mut self.keys)
            .into_iter()
            .filter_map(|(group, pairs)| judge.finding(group, &pairs))
            .collect();
        host::metrics::gauge_set("tracked_pairs", self.table.pairs.len() as f64);
        Ok(found)
    }
}

export_detector!(AuthBruteforce);

#[cfg(test)]
mod tests;
