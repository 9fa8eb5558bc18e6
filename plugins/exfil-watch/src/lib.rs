//! Exfiltration: an internal host sending a large volume out to an external address the network
//! rarely or never uses, with far more bytes out than back.
//!
//! **Method.** Every window, each flow an internal host started (per
//! `host::flows::conversations()`) towards an external address (not in `internal`) is counted
//! twice: the address's popularity — which internal hosts contact it (`destinations.rs`, kept
//! across restarts) — and the pair's upload: bytes out, and the answering flows' bytes back
//! (`uploads.rs`). When a pair's bytes out within the sliding `span_s` reach `min_bytes`, it is
//! an `exfiltration` if
//!
//! - bytes out are at least `min_ratio` times bytes back (an upload, not a download),
//! - at most `max_hosts` internal hosts (the sender included) ever contacted the address,
//! - the pair is not routine: its uploads did not first cross `min_bytes` `routine_after_s` or
//!   more ago (a nightly offsite backup to the same address is routine from its second night),
//! - and the detector has watched `learning_s` of flow time (before, everything is new).
//!
//! Internal destinations (backups to the backup server, file shares) are never judged. An
//! upload that goes on is reported again each time its volume has doubled (evidence in several
//! windows, without one report per window).
//!
//! **Direction.** Unidirectional flows (NetFlow/IPFIX, pcap) give bytes out and back. A
//! bidirectional record (a NIDS CSV row: both directions summed) cannot tell an upload from a
//! download; windows whose data conversations never pair are taken as such, and `bidirectional`
//! says what to do with their unpaired flows: `skip` (default: no upload is counted) or `count`
//! (the record's bytes count as sent — every large download from a rare address is then
//! reported too).
//!
//! **Evidence.** Attacker: the sending host; victim: the external address; services; the
//! pair's heaviest flows of the window; measures (bytes out and back, ratio, the address's
//! internal hosts). **Score**: 0.6; +0.1 for four times `min_bytes`; +0.1 when no internal host
//! had contacted the address before this upload; +0.1 for four times `min_ratio`: 0.9 (an alert
//! on its own) only for a large, one-way upload to an address never seen before.
//!
//! **Memory.** At most `max_destinations` addresses (about 60 bytes each, the ones contacted
//! longest ago go first; saved one shard a minute), `max_tracked` uploads in progress (a pair
//! quiet for an hour is forgotten), 4 × `max_tracked` past crossings.
//!
//! Defaults: 20 MB within 600 s, out ÷ back ≥ 5, at most 2 internal hosts, routine after 12 h,
//! one day of learning, RFC 1918 / CGNAT / link-local / ULA internal, bidirectional records
//! skipped, 50,000 addresses, 4,096 uploads.

mod destinations;

mod uploads;

use netassure_plugin_sdk::collections::HashMap;

use netassure_plugin_sdk::flows::addr_from_u128;
use netassure_plugin_sdk::host::flows::Conversations;
use netassure_plugin_sdk::prelude::*;

pub use destinations::Destinations;
use netassure_plugin_sdk::networks::{DEFAULT_INTERNAL, Networks, is_external};
pub use uploads::{Pair, Uploads};

/// Configuration.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Bytes out within the span that make an upload worth judging.
    pub min_bytes: u64,
    /// The sliding span, seconds.
    pub span_s: u64,
    /// Bytes out ÷ bytes back of an upload.
    pub min_ratio: f64,
    /// Addresses contacted by more internal hosts than this are routine for the network.
    pub max_hosts: usize,
    /// A pair whose uploads first crossed `min_bytes` this long ago is routine, seconds.
    pub routine_after_s: u64,
    /// Flow time watched before judging, seconds.
    pub learning_s: u64,
    /// Networks whose hosts are internal (CIDR).
    pub internal: Vec<String>,
    /// Unpaired flows of bidirectional records: `skip` or `count` as uploads.
    pub bidirectional: String,
    /// External addresses remembered.
    pub max_destinations: usize,
    /// Uploads in progress tracked.
    pub max_tracked: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            min_bytes: 20_000_000,
            span_s: 600,
            min_ratio: 5.0,
            max_hosts: 2,
            routine_after_s: 43_200,
            learning_s: 86_400,
            internal: DEFAULT_INTERNAL.iter().map(|s| (*s).to_owned()).collect(),
            bidirectional: "skip".into(),
            max_destinations: 50_000,
            max_tracked: 4_096,
        }
    }
}

/// What one window's flows add to one pair.
#[derive(Debug, Default, Clone, Copy)]
struct Traffic {
    out: u64,
    back: u64,
}

/// The detector.
#[derive(Debug, Default)]
pub struct ExfilWatch {
    config: Config,
    internal: Networks,
    count_bidirectional: bool,
    destinations: Option<Destinations>,
    uploads: Uploads,
    observed_ms: u64,
    saved_ms: u64,
    /// Data conversations seen and those with their reverse flow (fading by a tenth a window).
    pairing: (f64, f64),
}

const META_KEY: &str = "v1/observed-ms";

impl ExfilWatch {
    fn load(&mut self) -> &mut Destinations {
        if self.destinations.is_none() {
            self.uploads = Uploads::load();
            self.observed_ms = host::state::get(META_KEY)
                .and_then(|bytes| serde_json::from_slice(&bytes).ok())
                .unwrap_or(0);
        }
        self.destinations.get_or_insert_with(Destinations::new)
    }

    /// True when the window's flow records carry both directions: its data conversations
    /// (TCP with SYN, ACK and payload) never come with a reverse flow.
    fn bidirectional(&mut self, batch: &FlowBatch, conversations: Option<&Conversations>) -> bool {
        let Some(conversations) = conversations.filter(|c| c.len() == batch.len()) else {
            return false;
        };
        let (mut data, mut paired) = (0u32, 0u32);
        for i in 0..batch.len() {
            let flags = batch.tcp_flags[i];
            let payload = batch.bytes[i] > batch.packets[i].max(1) * 60;
            if batch.protocol[i] == 6
                && flags & 0x12 == 0x12
                && payload
                && conversations.initiator[i]
            {
                data += 1;
                paired += u32::from(conversations.reverse[i] >= 0);
            }
        }
        let (seen, with_reverse) = self.pairing;
        self.pairing = (
            0.9 * seen + f64::from(data),
            0.9 * with_reverse + f64::from(paired),
        );
        self.pairing.0 >= 20.0 && self.pairing.1 < 0.05 * self.pairing.0
    }

    /// Popularity and per-pair traffic of one window.
    fn tally(
        &mut self,
        batch: &FlowBatch,
        conversations: Option<&Conversations>,
        now_ms: u64,
    ) -> HashMap<Pair, Traffic> {
        let skip_unpaired = self.bidirectional(batch, conversations) && !self.count_bidirectional;
        let max_hosts = self.config.max_hosts;
        let internal = self.internal.clone();
        let destinations = self.load();
        let mut pairs: HashMap<Pair, Traffic> = HashMap::default();
        for i in 0..batch.len() {
            let (src, dst) = (batch.src_u128(i), batch.dst_u128(i));
            let initiated =
                conversations.is_none_or(|c| c.initiator.get(i).copied().unwrap_or(true));
            if initiated && internal.contains(src) && is_external(&internal, dst) {
                destinations.contact(dst, src, now_ms, max_hosts);
                let unpaired =
                    conversations.is_none_or(|c| c.reverse.get(i).is_none_or(|&r| r < 0));
                if skip_unpaired && unpaired {
                    continue;
                }
                pairs.entry((src, dst)).or_default().out += batch.bytes[i];
            } else if !initiated && is_external(&internal, src) && internal.contains(dst) {
                pairs.entry((dst, src)).or_default().back += batch.bytes[i];
            }
        }
        pairs
    }

    fn score(&self, out: u64, ratio: f64, never_seen: bool) -> f64 {
        let config = &self.config;
        // In hundredths, so that three agreeing signs make exactly 0.9 (the host's strong
        // score), not 0.8999….
        let mut score: u32 = 60;
        if out >= 4 * config.min_bytes {
            score += 10;
        }
        if never_seen {
            score += 10;
        }
        if ratio >= 4.0 * config.min_ratio {
            score += 10;
        }
        f64::from(score) / 100.0
    }

    /// The finding for `pair` after this window, if its upload is an exfiltration now.
    fn judge(&mut self, pair: Pair, batch: &FlowBatch, now_ms: u64) -> Option<Finding> {
        let config = self.config.clone();
        let upload = self.uploads.in_progress.get(&pair)?;
        let (out, back) = upload.totals();
        if out < config.min_bytes {
            return None;
        }
        let routine = self
            .uploads
            .crossed
            .get(&pair)
            .is_some_and(|&at| now_ms.saturating_sub(at) >= config.routine_after_s * 1000);
        self.uploads.cross(pair, now_ms, 4 * config.max_tracked);
        let ratio = out as f64 / back.max(1) as f64;
        let destinations = self.destinations.as_ref()?;
        if !destinations.ready(pair.1) {
            return None;
        }
        let destination = destinations.get(pair.1)?;
        let hosts = destination.hosts();
        let learned = self.observed_ms >= config.learning_s * 1000;
        if !learned || routine || ratio < config.min_ratio || hosts > config.max_hosts {
            return None;
        }
        let upload = self.uploads.in_progress.get_mut(&pair)?;
        if upload
            .reported_at
            .is_some_and(|at| upload.sent < at.saturating_mul(2))
        {
            return None;
        }
        upload.reported_at = Some(upload.sent);
        let seen = upload.seen();
        let never_seen = u64::from(destination.first_min) * 60_000 + 60_000 >= upload.first_ms;
        let score = self.score(out, ratio, never_seen);
        Some(self.finding(pair, batch, (out, back, hosts), seen, never_seen, score))
    }

    fn finding(
        &self,
        pair: Pair,
        batch: &FlowBatch,
        (out, back, hosts): (u64, u64, usize),
        seen: (u64, u64),
        never_seen: bool,
        score: f64,
    ) -> Finding {
        let (src, dst) = (
            addr_from_u128(pair.0).to_string(),
            addr_from_u128(pair.1).to_string(),
        );
        let mut heaviest: Vec<usize> = (0..batch.len())
            .filter(|&i| batch.src_u128(i) == pair.0 && batch.dst_u128(i) == pair.1)
            .collect();
        heaviest.sort_unstable_by(|&a, &b| batch.bytes[b].cmp(&batch.bytes[a]).then(a.cmp(&b)));
        heaviest.truncate(5);
        let rarity = if never_seen {
            "an address no internal host had contacted before".to_owned()
        } else {
            format!("an address {hosts} internal host(s) use")
        };
        let mut builder = AnomalyBuilder::new("exfiltration", score)
            .attacker(&src)
            .victim(&dst)
            .pattern(Pattern::Spike)
            .symptom(
                "sent-out",
                "upload",
                "large one-way upload to a rarely used external address",
            )
            .description(format!(
                "{src} sent {:.1} MB to {dst} within {} s ({:.2} MB back), {rarity}",
                out as f64 / 1e6,
                (seen.1 - seen.0) / 1000,
                back as f64 / 1e6
            ));
        for &i in &heaviest {
            builder = builder.service(batch.protocol[i], batch.dst_port[i]);
        }
        for &i in &heaviest {
            builder = builder.evidence_flow(FlowEvidence::of(batch, i, score));
        }
        builder
            .seen(seen.0, seen.1)
            .measure("bytes-out", out as f64)
            .measure("bytes-back", back as f64)
            .measure("ratio", out as f64 / back.max(1) as f64)
            .measure("destination-hosts", hosts as f64)
            .finding()
    }

    /// Save what changed: the crossings at once; a changed shard of the destinations and the
    /// watch time once a minute of flow time.
    fn save(&mut self, now_ms: u64) {
        self.uploads.save();
        let max = self.config.max_destinations;
        let Some(destinations) = self.destinations.as_mut() else {
            return;
        };
        destinations.prune(max);
        if (self.saved_ms..self.saved_ms + 60_000).contains(&now_ms) {
            return;
        }
        destinations.save_one();
        self.saved_ms = now_ms;
        let bytes = serde_json::to_vec(&self.observed_ms).expect("a number serialises");
        if let Err(err) = host::state::set(META_KEY, &bytes) {
            host::log::warn(&format!("saving `{META_KEY}` failed: {err:?}"));
        }
    }
}

impl Detector for ExfilWatch {
    type Config = Config;

    fn describe() -> PluginInfo {
        Describe::detector("exfil-watch", env!("CARGO_PKG_VERSION"))
            .description("Large one-way uploads from an internal host to an external address the network rarely or never uses")
            .subscribe(EventKind::Flows)
            .field(ConfigField::integer("min_bytes", "Bytes out within the span that make an upload worth judging", 20_000_000))
            .field(ConfigField::integer("span_s", "The sliding span, seconds", 600))
            .field(ConfigField::float("min_ratio", "Bytes out ÷ bytes back of an upload", 5.0))
            .field(ConfigField::integer("max_hosts", "Addresses contacted by more internal hosts (the sender included) are routine", 2))
            .field(ConfigField::integer("routine_after_s", "A host's uploads to an address that first crossed min_bytes this long ago are routine, seconds", 43_200))
            .field(ConfigField::integer("learning_s", "Flow time watched before judging (everything is new before), seconds", 86_400))
            .field(ConfigField::strings("internal", "Networks whose hosts are internal (CIDR)", &DEFAULT_INTERNAL))
            .field(ConfigField::string("bidirectional", "Unpaired flows of bidirectional records (NIDS rows): skip, or count their bytes as sent", "skip"))
            .field(ConfigField::integer("max_destinations", "External addresses remembered (in host::state)", 50_000))
            .field(ConfigField::integer("max_tracked", "Uploads in progress tracked", 4_096))
            .build()
    }

    fn configure(&mut self, config: Config) -> Result<(), PluginError> {
        let invalid = |text: String| Err(PluginError::InvalidConfig(text));
        if config.min_bytes < 1_000_000 {
            return invalid(format!(
                "min_bytes must be at least 1000000 (1 MB), got {}",
                config.min_bytes
            ));
        }
        if !(10..=86_400).contains(&config.span_s) {
            return invalid(format!(
                "span_s must be 10 ..= 86400, got {}",
                config.span_s
            ));
        }
        if !(config.min_ratio.is_finite() && config.min_ratio >= 1.0) {
            return invalid(format!(
                "min_ratio must be at least 1, got {}",
                config.min_ratio
            ));
        }
        if !(1..destinations::MAX_HOSTS).contains(&config.max_hosts) {
            return invalid(format!(
                "max_hosts must be 1 ..= {}, got {}",
                destinations::MAX_HOSTS - 1,
                config.max_hosts
            ));
        }
        if !(1_000..=60_000).contains(&config.max_destinations)
            || !(16..=100_000).contains(&config.max_tracked)
        {
            return invalid(
                "max_destinations must be 1000 ..= 60000 and max_tracked 16 ..= 100000".into(),
            );
        }
        self.count_bidirectional = match config.bidirectional.as_str() {
            "skip" => false,
            "count" => true,
            other => return invalid(format!("bidirectional is skip or count, not `{other}`")),
        };
        self.internal = Networks::parse(&config.internal)?;
        self.config = config;
        Ok(())
    }

    fn on_event(&mut self, event: Event) -> Result<Vec<Finding>, PluginError> {
        let EventPayload::Flows(window) = event.payload else {
            return Ok(vec![]);
        };
        let batch = &window.flows;
        let conversations = host::flows::conversations();
        let now_ms = window
            .end_ms
            .max(batch.end_ms.iter().copied().max().unwrap_or(0));
        let start_ms = window.start_ms.min(now_ms);
        let pairs = self.tally(batch, conversations.as_ref(), now_ms);
        if let Some(destinations) = self.destinations.as_mut() {
            destinations.load_next();
        }
        self.observed_ms += now_ms - start_ms;
        let floor = self.config.min_bytes / 100;
        let mut judged: Vec<Pair> = Vec::new();
        for (pair, traffic) in pairs {
            if traffic.out >= floor || self.uploads.in_progress.contains_key(&pair) {
                self.uploads
                    .add(pair, (start_ms, now_ms), traffic.out, traffic.back);
                judged.push(pair);
            }
        }
        judged.sort_unstable();
        let found = judged
            .into_iter()
            .filter_map(|pair| self.judge(pair, batch, now_ms))
            .collect();
        let (span_ms, max) = (self.config.span_s * 1000, self.config.max_tracked);
        self.uploads.expire(now_ms, span_ms, max);
        self.save(now_ms);
        Ok(found)
    }
}

export_detector!(ExfilWatch);

#[cfg(test)]
mod tests;
