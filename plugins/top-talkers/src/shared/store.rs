//! The baselines and the hour in progress in the plugin's persistent state (`host::state`), so
//! a restart or a new version of the plugin keeps what it learned.
//!
//! Keys: `v1/{metric}/{kind}/h{00..23}` hold one [`HourProfile`] each (a few hundred keys:
//! tens of KiB), `v1/{metric}/{kind}/now` the largest keys of the hour in progress.

use netassure_plugin_sdk::host;
use serde::{Deserialize, Serialize};

use super::baseline::{Baseline, HourProfile, Key};

/// The largest keys of the hour in progress, saved every few minutes of flow time.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Hours since the epoch.
    pub slot: u64,
    /// Flow time covered so far.
    pub covered_ms: u64,
    /// Traffic of the hour so far.
    pub total: u64,
    /// The largest keys and their volume so far.
    pub keys: Vec<(Key, u64)>,
}

/// Where one kind of key of one metric is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Store {
    prefix: String,
}

impl Store {
    /// The store of `kind` (`src`, `dst`, `pair`) counted in `metric` (`bytes`, `packets`).
    pub fn new(metric: &str, kind: &str) -> Store {
        Store {
            prefix: format!("v1/{metric}/{kind}/"),
        }
    }

    /// The baseline as stored (empty hours where nothing is).
    pub fn load_baseline(&self) -> Baseline {
        let mut baseline = Baseline::default();
        for (hour, profile) in baseline.hours.iter_mut().enumerate() {
            if let Some(stored) = load(&format!("{}h{hour:02}", self.prefix)) {
                *profile = stored;
            }
        }
        baseline
    }

    /// Store hour `hour` of the day.
    pub fn save_hour(&self, hour: usize, profile: &HourProfile) {
        save(&format!("{}h{hour:02}", self.prefix), profile);
    }

    /// The hour in progress when it was last saved.
    pub fn load_checkpoint(&self) -> Option<Checkpoint> {
        load(&format!("{}now", self.prefix))
    }

    /// Save the hour in progress.
    pub fn save_checkpoint(&self, checkpoint: &Checkpoint) {
        save(&format!("{}now", self.prefix), checkpoint);
    }
}

fn load<T: for<'de> Deserialize<'de>>(key: &str) -> Option<T> {
    let bytes = host::state::get(key)?;
    match serde_json::from_slice(&bytes) {
        Ok(value) => Some(value),
        Err(err) => {
            host::log::warn(&format!("state `{key}` unreadable, starting afresh: {err}"));
            None
        }
    }
}

fn save<T: Serialize>(key: &str, value: &T) {
    let bytes = serde_json::to_vec(value).expect("state values serialise");
    if let Err(err) = host::state::set(key, &bytes) {
        host::log::warn(&format!("saving state `{key}` failed: {err:?}"));
    }
}
