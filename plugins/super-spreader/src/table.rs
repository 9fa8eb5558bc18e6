//! What the detector remembers across windows: per source, the distinct targets (host,
//! protocol, port) its failed attempts went to and when each was last tried, and its failed and
//! completed attempts per window — all bounded.
//!
//! Bounds: at most `max_sources` sources, `max_targets` targets per source and `max_entries`
//! targets in all. When a bound is reached, targets older than the span are forgotten first;
//! if that is not enough, the sources with the fewest targets go until both tables are at
//! half their bound, so a flood of one-probe (spoofed) sources churns through the small
//! entries while a real scanner, with hundreds of targets, stays.

use netassure_plugin_sdk::collections::HashMap;

/// A failed attempt's target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Target {
    /// Destination address (16 bytes, IPv4 mapped).
    pub dst: [u8; 16],
    /// Destination port (0 for ICMP echo).
    pub port: u16,
    /// IP protocol.
    pub proto: u8,
}

/// When a target was last tried, and how.
#[derive(Debug, Clone, Copy)]
pub struct Seen {
    /// Window end of the last attempt, seconds since the epoch (32 bits: until 2106).
    last_s: u32,
    /// True when an attempt failed outright (half-open, refused, unreachable, unanswered);
    /// false when every attempt completed the handshake without data.
    pub hard: bool,
}

impl Seen {
    /// Window end of the last attempt, seconds since the epoch.
    pub fn at_s(&self) -> u64 {
        u64::from(self.last_s)
    }
}

/// Failed and completed attempts of one window.
#[derive(Debug, Clone, Copy)]
struct Slot {
    at_s: u64,
    failed: u32,
    completed: u32,
}

/// Slots kept per source (a 300-s span of 10-s windows needs 30); when a longer span needs
/// more, the oldest two are merged under the newer time.
const SLOTS: usize = 32;
/// Evidence flows kept per source for the current window.
pub const EVIDENCE: usize = 8;

/// One source.
#[derive(Debug, Default)]
pub struct Source {
    /// Distinct failed targets.
    pub targets: HashMap<Target, Seen>,
    /// Earliest start of its failed attempts in this episode (since it was last quiet for a
    /// whole span), ms.
    pub first_ms: u64,
    /// Latest end of its failed attempts, ms.
    pub last_ms: u64,
    /// Failed targets not kept because the source was at `max_targets`.
    pub dropped: u64,
    slots: Vec<Slot>,
    /// Flows of the current window that failed (indexes into the batch).
    pub evidence: Vec<u32>,
    evidence_at_s: u64,
}

impl Source {
    /// Count attempts of the window ending at `at_s`; windows that ended before `since_s` are
    /// dropped.
    pub fn count(&mut self, at_s: u64, since_s: u64, failed: u32, completed: u32) {
        match self.slots.last_mut() {
            Some(slot) if slot.at_s == at_s => {
                slot.failed += failed;
                slot.completed += completed;
            }
            _ => {
                self.slots.retain(|slot| slot.at_s >= since_s);
                self.slots.push(Slot {
                    at_s,
                    failed,
                    completed,
                });
            }
        }
        if self.slots.len() > SLOTS {
            let first = self.slots.remove(0);
            self.slots[0].failed += first.failed;
            self.slots[0].completed += first.completed;
        }
    }

    /// Failed and completed attempts in windows ending at or after `since_s`.
    pub fn attempts_since(&self, since_s: u64) -> (u64, u64) {
        self.slots
            .iter()
            .filter(|slot| slot.at_s >= since_s)
            .fold((0, 0), |(f, c), slot| {
                (f + u64::from(slot.failed), c + u64::from(slot.completed))
            })
    }

    /// Remember flow `flow` as evidence of the window ending at `at_s`.
    pub fn keep_evidence(&mut self, at_s: u64, flow: usize) {
        if self.evidence_at_s != at_s {
            self.evidence.clear();
            self.evidence_at_s = at_s;
        }
        if self.evidence.len() < EVIDENCE {
            self.evidence.push(flow as u32);
        }
    }

    /// The evidence flows of the window ending at `at_s`.
    pub fn evidence_of(&self, at_s: u64) -> &[u32] {
        if self.evidence_at_s == at_s {
            &self.evidence
        } else {
            &[]
        }
    }
}

/// The bounds of the table.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    /// Sources tracked at once.
    pub sources: usize,
    /// Targets per source.
    pub targets: usize,
    /// Targets in all.
    pub entries: usize,
    /// The span, seconds: older targets are forgotten.
    pub span_s: u64,
}

/// Every tracked source.
#[derive(Debug, Default)]
pub struct Table {
    /// Sources by address.
    pub sources: HashMap<[u8; 16], Source>,
    entries: usize,
    /// Sources forgotten to stay within the bounds (not by age).
    pub evicted: u64,
}

impl Table {
    /// Targets held in all.
    pub fn entries(&self) -> usize {
        self.entries
    }

    /// The source `src`, made room for and created when new.
    pub fn source(&mut self, src: [u8; 16], now_s: u64, bounds: Bounds) -> &mut Source {
        if !self.sources.contains_key(&src) && self.sources.len() >= bounds.sources {
            self.make_room(now_s, bounds);
        }
        self.sources.entry(src).or_default()
    }

    /// Record a failed attempt of `src` on `target` at `now_s`; false when it was not kept.
    pub fn record(
        &mut self,
        src: [u8; 16],
        target: Target,
        hard: bool,
        now_s: u64,
        bounds: Bounds,
    ) -> bool {
        let known = self
            .sources
            .get(&src)
            .is_some_and(|s| s.targets.contains_key(&target));
        if !known && self.entries >= bounds.entries {
            self.make_room(now_s, bounds);
        }
        let source = self.source(src, now_s, bounds);
        if let Some(seen) = source.targets.get_mut(&target) {
            seen.last_s = now_s as u32;
            seen.hard |= hard;
            return true;
        }
        let mut expired = 0;
        if source.targets.len() >= bounds.targets {
            let before = source.targets.len();
            source
                .targets
                .retain(|_, seen| seen.at_s() + bounds.span_s >= now_s);
            expired = before - source.targets.len();
        }
        let full = source.targets.len() >= bounds.targets;
        if full {
            source.dropped += 1;
        } else {
            source.targets.insert(
                target,
                Seen {
                    last_s: now_s as u32,
                    hard,
                },
            );
        }
        self.entries = self.entries - expired + usize::from(!full);
        !full
    }

    /// Forget what is older than the span; then, if still above three quarters of a bound,
    /// the sources with the fewest targets until both tables are at half their bound.
    pub fn make_room(&mut self, now_s: u64, bounds: Bounds) {
        self.expire(now_s, bounds.span_s);
        let crowded = |sources: usize, entries: usize| {
            sources * 4 > bounds.sources * 3 || entries * 4 > bounds.entries * 3
        };
        if !crowded(self.sources.len(), self.entries) {
            return;
        }
        let mut sizes: Vec<(usize, [u8; 16])> = self
            .sources
            .iter()
            .map(|(src, source)| (source.targets.len(), *src))
            .collect();
        sizes.sort_unstable();
        let (mut sources, mut entries) = (self.sources.len(), self.entries);
        for (size, src) in sizes {
            if sources * 2 <= bounds.sources && entries * 2 <= bounds.entries {
                break;
            }
            self.sources.remove(&src);
            sources -= 1;
            entries -= size;
            self.evicted += 1;
        }
        self.entries = entries;
    }

    /// Forget targets last tried more than `span_s` before `now_s`, and sources left with none
    /// and no attempt in the span.
    pub fn expire(&mut self, now_s: u64, span_s: u64) {
        let mut entries = 0;
        self.sources.retain(|_, source| {
            source
                .targets
                .retain(|_, seen| seen.at_s() + span_s >= now_s);
            source.slots.retain(|slot| slot.at_s + span_s >= now_s);
            entries += source.targets.len();
            !source.targets.is_empty()
        });
        self.entries = entries;
    }
}
