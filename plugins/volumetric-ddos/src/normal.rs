//! Each destination's learned normal: the highest rate and the most distinct sources it had in
//! a window, fading with a half-life, for at most `max_destinations` destinations (those with
//! the highest normal rate; the lowest kept rate then stands in for any other). Kept in
//! `host::state` (`v1/normals`, `v1/learned`) so restarts keep what was learned.

use netassure_plugin_sdk::collections::HashMap;
use netassure_plugin_sdk::host;
use serde::{Deserialize, Serialize};

/// A destination's normal.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Normal {
    /// Highest packets per second (fading).
    pub pps: f64,
    /// Highest bits per second (fading).
    pub bps: f64,
    /// Most distinct sources in a window (fading).
    pub sources: f64,
    /// Windows learned.
    pub windows: u32,
    /// Flow time of the last update, ms.
    pub at_ms: u64,
}

impl Normal {
    /// This normal faded to `now_ms` with `half_life_ms`.
    fn faded(&self, now_ms: u64, half_life_ms: f64) -> Normal {
        let factor = 0.5f64.powf(now_ms.saturating_sub(self.at_ms) as f64 / half_life_ms);
        Normal {
            pps: self.pps * factor,
            bps: self.bps * factor,
            sources: self.sources * factor,
            ..*self
        }
    }
}

/// How long the detector has watched, and the normal of destinations not kept.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Learned {
    /// Flow time the detector has covered, ms.
    pub observed_ms: u64,
    /// Normal rate of a destination not kept (the lowest kept one after pruning; 0 before).
    pub floor_pps: f64,
    /// Its bits per second.
    pub floor_bps: f64,
    /// Its sources.
    pub floor_sources: f64,
}

/// The normals.
#[derive(Debug, Clone, Default)]
pub struct Normals {
    /// Destination → normal.
    pub by_destination: HashMap<u128, Normal>,
    /// Watch time and floor.
    pub learned: Learned,
    saved_ms: u64,
}

/// The value stored under `key`, if it is readable.
fn read<T: for<'de> Deserialize<'de>>(key: &str) -> Option<T> {
    let bytes = host::state::get(key)?;
    let value = serde_json::from_slice(&bytes);
    if let Err(err) = &value {
        host::log::warn(&format!("state `{key}` unreadable, starting afresh: {err}"));
    }
    value.ok()
}

const NORMALS_KEY: &str = "v1/normals";
const LEARNED_KEY: &str = "v1/learned";
/// Flow time between two saves (a restart loses at most this much learning).
const SAVE_EVERY_MS: u64 = 300_000;

impl Normals {
    /// The normals in `host::state` (none when nothing is stored or it is unreadable).
    pub fn load() -> Normals {
        let entries: Vec<(u128, Normal)> = read(NORMALS_KEY).unwrap_or_default();
        Normals {
            by_destination: entries.into_iter().collect(),
            learned: read(LEARNED_KEY).unwrap_or_default(),
            saved_ms: 0,
        }
    }

    /// Save when `SAVE_EVERY_MS` of flow time passed since the last save.
    pub fn save_now_and_then(&mut self, now_ms: u64) {
        if (self.saved_ms..self.saved_ms + SAVE_EVERY_MS).contains(&now_ms) {
            return;
        }
        self.save();
        self.saved_ms = now_ms;
    }

    /// Save.
    pub fn save(&self) {
        let entries: Vec<(&u128, &Normal)> = self.by_destination.iter().collect();
        let write = |key: &str, bytes: Vec<u8>| {
            if let Err(err) = host::state::set(key, &bytes) {
                host::log::warn(&format!("saving `{key}` failed: {err:?}"));
            }
        };
        write(
            NORMALS_KEY,
            serde_json::to_vec(&entries).expect("normals serialise"),
        );
        write(
            LEARNED_KEY,
            serde_json::to_vec(&self.learned).expect("serialises"),
        );
    }

    /// The normal of `destination` at `now_ms`: its own, or the floor when it is not kept
    /// (`None` when nothing stands in: not kept, no floor).
    pub fn get(&self, destination: u128, now_ms: u64, half_life_ms: f64) -> Option<Normal> {
        match self.by_destination.get(&destination) {
            Some(normal) => Some(normal.faded(now_ms, half_life_ms)),
            None => {
                let learned = &self.learned;
                (learned.floor_pps > 0.0).then_some(Normal {
                    pps: learned.floor_pps,
                    bps: learned.floor_bps,
                    sources: learned.floor_sources,
                    windows: 0,
                    at_ms: now_ms,
                })
            }
        }
    }

    /// Learn a window of `destination`: rate and sources.
    pub fn learn(
        &mut self,
        destination: u128,
        (pps, bps, sources): (f64, f64, f64),
        now_ms: u64,
        half_life_ms: f64,
    ) {
        let entry = self.by_destination.entry(destination).or_insert(Normal {
            pps: 0.0,
            bps: 0.0,
            sources: 0.0,
            windows: 0,
            at_ms: now_ms,
        });
        let faded = entry.faded(now_ms, half_life_ms);
        *entry = Normal {
            pps: faded.pps.max(pps),
            bps: faded.bps.max(bps),
            sources: faded.sources.max(sources),
            windows: faded.windows.saturating_add(1),
            at_ms: now_ms.max(entry.at_ms),
        };
    }

    /// Keep at most `max` destinations (when above 5/4 of it): those with the highest normal
    /// rate; the lowest kept becomes the floor for the others.
    pub fn prune(&mut self, max: usize, now_ms: u64, half_life_ms: f64) {
        if self.by_destination.len() <= max + max / 4 {
            return;
        }
        let mut entries: Vec<(u128, Normal)> = self
            .by_destination
            .drain()
            .map(|(destination, normal)| (destination, normal.faded(now_ms, half_life_ms)))
            .collect();
        entries.sort_unstable_by(|a, b| b.1.pps.total_cmp(&a.1.pps).then(a.0.cmp(&b.0)));
        entries.truncate(max);
        if let Some((_, lowest)) = entries.last() {
            let learned = &mut self.learned;
            learned.floor_pps = lowest.pps;
            learned.floor_bps = lowest.bps;
            learned.floor_sources = lowest.sources;
        }
        self.by_destination = entries.into_iter().collect();
    }
}
