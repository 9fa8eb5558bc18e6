//! [`Collector`]: datagrams in, flows out, with per-exporter templates and counters.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;

use crate::columns::FlowColumns;
use crate::fields::Clock;
use crate::read::DecodeError;
use crate::template::{Announcement, Template};

/// How long templates live and data waits for them, and the bounds on what anyone who can
/// send UDP makes the collector keep: exporters, templates per exporter, data waiting for
/// its template (per exporter and in all). At the defaults the collector's state stays under
/// about 90 MiB whatever it is sent (4,096 exporters × (256 templates + 16 KiB waiting)
/// bounded by 32 MiB waiting in all).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CollectorConfig {
    /// A template not re-sent for this long is forgotten, ms.
    pub template_timeout_ms: u64,
    /// Data sets that arrive before their template wait this long, ms.
    pub pending_timeout_ms: u64,
    /// At most this many data sets wait per exporter; older ones are dropped.
    pub pending_limit: usize,
    /// At most this many bytes of data sets wait per exporter; older ones are dropped.
    pub pending_bytes: usize,
    /// At most this many bytes of data sets wait for templates over all exporters; past it the
    /// exporter adding more drops its oldest.
    pub pending_bytes_total: usize,
    /// Templates kept per exporter; further definitions are refused (counted).
    pub max_templates: usize,
    /// Exporters (address and port) kept; datagrams of further ones are refused (counted)
    /// until idle ones expire. At most 65,535 (a window's flows index their exporter in 16 bits).
    pub max_exporters: usize,
    /// An exporter silent for this long is forgotten with its templates, ms.
    pub exporter_timeout_ms: u64,
}

impl Default for CollectorConfig {
    fn default() -> Self {
        CollectorConfig {
            template_timeout_ms: 30 * 60 * 1000,
            pending_timeout_ms: 10_000,
            pending_limit: 256,
            pending_bytes: 16 << 10,
            pending_bytes_total: 32 << 20,
            max_templates: 256,
            max_exporters: 4_096,
            exporter_timeout_ms: 30 * 60 * 1000,
        }
    }
}

/// What the collector refused or forgot to stay within its bounds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CollectorStats {
    /// Exporters kept now.
    pub exporters: u64,
    /// Datagrams refused because `max_exporters` were already kept.
    pub exporters_refused: u64,
    /// Exporters forgotten after `exporter_timeout_ms` of silence.
    pub exporters_expired: u64,
    /// Bytes of data sets waiting for their templates now, over all exporters.
    pub pending_bytes: u64,
}

/// Counters of one exporter.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExporterStats {
    /// Flow records decoded.
    pub flows: u64,
    /// Export datagrams received.
    pub packets: u64,
    /// Export packets (v9), flow records (v5) or data records (IPFIX) the sequence numbers
    /// say never arrived.
    pub sequence_lost: u64,
    /// Datagrams that could not be decoded (truncated, bad lengths, bad templates, unknown
    /// version).
    pub malformed: u64,
    /// Data sets dropped because their template never came in time.
    pub no_template: u64,
    /// Data sets waiting for their template now.
    pub pending: u64,
    /// Templates known now.
    pub templates: u64,
    /// Options records (exporter metadata, not flows) seen.
    pub options_records: u64,
    /// Template definitions refused because `max_templates` were already kept.
    pub templates_refused: u64,
}

/// A data set that arrived before its template.
struct Pending {
    domain: u32,
    template: u16,
    body: Vec<u8>,
    clock: Clock,
    at_ms: u64,
}

/// Everything known about one exporter.
pub(crate) struct ExporterState {
    pub(crate) name: String,
    pub(crate) stats: ExporterStats,
    /// Data records decoded so far (flows and options records).
    pub(crate) records_decoded: u64,
    config: CollectorConfig,
    templates: HashMap<(u32, u16), (Template, u64)>,
    sequences: HashMap<(u8, u32), u32>,
    pending: VecDeque<Pending>,
    /// Bytes of the data sets in `pending`.
    pending_bytes: usize,
    /// When its last datagram came, ms.
    last_seen_ms: u64,
}

impl ExporterState {
    fn new(name: String, config: CollectorConfig) -> Self {
        ExporterState {
            name,
            stats: ExporterStats::default(),
            records_decoded: 0,
            config,
            templates: HashMap::new(),
            sequences: HashMap::new(),
            pending: VecDeque::new(),
            pending_bytes: 0,
            last_seen_ms: 0,
        }
    }

    /// Drop the oldest waiting data set (counted as never getting its template).
    fn drop_oldest_pending(&mut self) -> bool {
        let Some(dropped) = self.pending.pop_front() else {
            return false;
        };
        self.pending_bytes -= dropped.body.len();
        self.stats.no_template += 1;
        self.stats.pending = self.pending.len() as u64;
        true
    }

    /// True when template `id` of `domain` is known.
    pub(crate) fn knows(&self, domain: u32, id: u16) -> bool {
        self.templates.contains_key(&(domain, id))
    }

    /// Apply template announcements; decodes data that was waiting for them. Returns flows added.
    pub(crate) fn announce(
        &mut self,
        domain: u32,
        announced: Vec<Announcement>,
        now_ms: u64,
        out: &mut FlowColumns,
    ) -> usize {
        let mut flows = 0;
        for announcement in announced {
            match announcement {
                Announcement::Define(id, template) => {
                    let known = self.templates.contains_key(&(domain, id));
                    if !known && self.templates.len() >= self.config.max_templates {
                        self.stats.templates_refused += 1;
                        continue;
                    }
                    self.templates.insert((domain, id), (template, now_ms));
                    flows += self.release_pending(domain, id, out);
                }
                Announcement::Withdraw(id) => {
                    self.templates.remove(&(domain, id));
                }
            }
        }
        self.stats.templates = self.templates.len() as u64;
        flows
    }

    /// Decode a data set with template `id`, or keep it until the template comes. Returns
    /// flows added.
    pub(crate) fn data_set(
        &mut self,
        domain: u32,
        id: u16,
        body: &[u8],
        clock: Clock,
        now_ms: u64,
        out: &mut FlowColumns,
    ) -> usize {
        if self.templates.contains_key(&(domain, id)) {
            return self.decode_set(domain, id, body, &clock, out);
        }
        if body.len() > self.config.pending_bytes {
            self.stats.no_template += 1;
            return 0;
        }
        while self.pending.len() >= self.config.pending_limit
            || self.pending_bytes + body.len() > self.config.pending_bytes
        {
            self.drop_oldest_pending();
        }
        self.pending_bytes += body.len();
        self.pending.push_back(Pending {
            domain,
            template: id,
            body: body.to_vec(),
            clock,
            at_ms: now_ms,
        });
        self.stats.pending = self.pending.len() as u64;
        0
    }

    fn decode_set(
        &mut self,
        domain: u32,
        id: u16,
        body: &[u8],
        clock: &Clock,
        out: &mut FlowColumns,
    ) -> usize {
        let Some((template, _)) = self.templates.get(&(domain, id)) else {
            return 0;
        };
        let exporter = out.exporter_index(&self.name);
        let mut flows = 0;
        match template.decode(body, clock, |row| {
            out.push(row, exporter);
            flows += 1;
        }) {
            Ok(records) => {
                self.records_decoded += records as u64;
                if template.options {
                    self.stats.options_records += records as u64;
                }
            }
            Err(_) => self.stats.malformed += 1,
        }
        self.stats.flows += flows as u64;
        flows
    }

    fn release_pending(&mut self, domain: u32, id: u16, out: &mut FlowColumns) -> usize {
        let (ready, waiting): (VecDeque<Pending>, VecDeque<Pending>) = self
            .pending
            .drain(..)
            .partition(|p| p.domain == domain && p.template == id);
        self.pending = waiting;
        self.pending_bytes = self.pending.iter().map(|p| p.body.len()).sum();
        self.stats.pending = self.pending.len() as u64;
        ready
            .into_iter()
            .map(|p| self.decode_set(p.domain, p.template, &p.body, &p.clock, out))
            .sum()
    }

    /// Compare a sequence number with the one expected for (`version`, `key`), count what was
    /// lost, and expect `sequence + advance` next.
    pub(crate) fn check_sequence(&mut self, version: u8, key: u32, sequence: u32, advance: u32) {
        if let Some(&expected) = self.sequences.get(&(version, key)) {
            let gap = sequence.wrapping_sub(expected);
            // A "gap" of more than half the space is a late or repeated datagram, not a loss.
            if gap != 0 && gap < 1 << 31 {
                self.stats.sequence_lost += u64::from(gap);
            }
        }
        // Observation domains (source ids) kept: as many as templates; others go unchecked.
        if self.sequences.len() < self.config.max_templates
            || self.sequences.contains_key(&(version, key))
        {
            self.sequences
                .insert((version, key), sequence.wrapping_add(advance));
        }
    }

    /// Stop checking (`version`, `key`) until the next datagram sets a new expectation.
    pub(crate) fn forget_sequence(&mut self, version: u8, key: u32) {
        self.sequences.remove(&(version, key));
    }

    fn expire(&mut self, now_ms: u64) {
        let timeout = self.config.template_timeout_ms;
        self.templates
            .retain(|_, (_, at)| now_ms.saturating_sub(*at) < timeout);
        self.stats.templates = self.templates.len() as u64;
        let wait = self.config.pending_timeout_ms;
        let before = self.pending.len();
        self.pending
            .retain(|p| now_ms.saturating_sub(p.at_ms) < wait);
        self.stats.no_template += (before - self.pending.len()) as u64;
        self.pending_bytes = self.pending.iter().map(|p| p.body.len()).sum();
        self.stats.pending = self.pending.len() as u64;
    }
}

/// The collector: one state per exporter (address and port).
pub struct Collector {
    config: CollectorConfig,
    exporters: HashMap<SocketAddr, ExporterState>,
    stats: CollectorStats,
}

impl Collector {
    /// A collector with `config` (`max_exporters` at most 65,535).
    pub fn new(config: CollectorConfig) -> Self {
        Collector {
            config: CollectorConfig {
                max_exporters: config.max_exporters.min(usize::from(u16::MAX)),
                ..config
            },
            exporters: HashMap::new(),
            stats: CollectorStats::default(),
        }
    }

    /// Decode one export datagram from `from`, received at `now_ms`, into `out`. Returns the
    /// flows added; a datagram that cannot be decoded is counted as malformed for its exporter
    /// and its error returned (flows of sets decoded before the error stay in `out`). A
    /// datagram of a new exporter when `max_exporters` are kept is refused
    /// ([`DecodeError::TooManyExporters`]).
    pub fn receive(
        &mut self,
        from: SocketAddr,
        datagram: &[u8],
        now_ms: u64,
        out: &mut FlowColumns,
    ) -> Result<usize, DecodeError> {
        let config = self.config;
        if !self.exporters.contains_key(&from) && self.exporters.len() >= config.max_exporters {
            self.stats.exporters_refused += 1;
            return Err(DecodeError::TooManyExporters(config.max_exporters));
        }
        let state = self
            .exporters
            .entry(from)
            .or_insert_with(|| ExporterState::new(from.to_string(), config));
        state.stats.packets += 1;
        state.last_seen_ms = now_ms;
        let pending_before = state.pending_bytes;
        let version = datagram
            .get(..2)
            .map(|b| u16::from_be_bytes([b[0], b[1]]))
            .ok_or(DecodeError::Truncated {
                at: 0,
                needed: 2,
                len: datagram.len(),
            });
        let result = version.and_then(|version| match version {
            5 => crate::v5::decode(datagram, state, out)
                .inspect(|&flows| state.stats.flows += flows as u64),
            9 => crate::v9::decode(datagram, state, now_ms, out),
            10 => crate::ipfix::decode(datagram, state, now_ms, out),
            other => Err(DecodeError::UnknownVersion(other)),
        });
        if result.is_err() {
            state.stats.malformed += 1;
        }
        // Within the bound over all exporters: the exporter that added drops its oldest.
        let others = (self.stats.pending_bytes as usize).saturating_sub(pending_before);
        while others + state.pending_bytes > config.pending_bytes_total {
            if !state.drop_oldest_pending() {
                break;
            }
        }
        self.stats.pending_bytes = (others + state.pending_bytes) as u64;
        result
    }

    /// Forget templates not refreshed within the timeout, data that waited too long, and
    /// exporters silent for `exporter_timeout_ms`.
    pub fn expire(&mut self, now_ms: u64) {
        let timeout = self.config.exporter_timeout_ms;
        let before = self.exporters.len();
        self.exporters
            .retain(|_, state| now_ms.saturating_sub(state.last_seen_ms) < timeout);
        self.stats.exporters_expired += (before - self.exporters.len()) as u64;
        let mut pending = 0;
        for state in self.exporters.values_mut() {
            state.expire(now_ms);
            pending += state.pending_bytes;
        }
        self.stats.pending_bytes = pending as u64;
    }

    /// Counters per exporter (`address:port`), sorted by exporter.
    pub fn stats(&self) -> Vec<(String, ExporterStats)> {
        let mut all: Vec<(String, ExporterStats)> = self
            .exporters
            .values()
            .map(|state| (state.name.clone(), state.stats))
            .collect();
        all.sort_by(|a, b| a.0.cmp(&b.0));
        all
    }

    /// What the collector refused or forgot to stay within its bounds.
    pub fn collector_stats(&self) -> CollectorStats {
        CollectorStats {
            exporters: self.exporters.len() as u64,
            ..self.stats
        }
    }
}

impl Default for Collector {
    fn default() -> Self {
        Collector::new(CollectorConfig::default())
    }
}
