//! Quarantines that survive a restart. When a plugin is quarantined, the host writes its
//! name, the hash of the component that failed and why to `DATA_DIR/quarantine.json`; a
//! plugin loaded later with that same component starts quarantined. Enabling or reloading it,
//! or a new version, lifts the quarantine and forgets the record.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

/// One quarantined plugin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Quarantine {
    /// SHA-256 of the component that failed.
    pub hash: String,
    /// The last failure.
    pub reason: String,
    /// When it was quarantined, RFC 3339.
    pub at: String,
}

/// The quarantines on record, mirrored to a file.
#[derive(Debug)]
pub struct QuarantineBook {
    path: PathBuf,
    records: Mutex<BTreeMap<String, Quarantine>>,
}

impl QuarantineBook {
    /// The book kept in `path` (an unreadable file is set aside and the book starts empty).
    pub fn open(path: PathBuf) -> Self {
        let records = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|err| {
                tracing::warn!(
                    "{} is unreadable ({err}); starting without quarantines",
                    path.display()
                );
                BTreeMap::new()
            }),
            Err(_) => BTreeMap::new(),
        };
        QuarantineBook {
            path,
            records: Mutex::new(records),
        }
    }

    fn records(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Quarantine>> {
        self.records
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// True when `plugin` running the component `hash` is on record as quarantined.
    pub fn holds(&self, plugin: &str, hash: &str) -> bool {
        self.records()
            .get(plugin)
            .is_some_and(|record| record.hash == hash)
    }

    /// Record that `plugin` (component `hash`) was quarantined for `reason`.
    pub fn record(&self, plugin: &str, hash: &str, reason: &str) {
        let mut records = self.records();
        records.insert(
            plugin.to_owned(),
            Quarantine {
                hash: hash.to_owned(),
                reason: reason.to_owned(),
                at: crate::timefmt::now_rfc3339(),
            },
        );
        self.save(&records);
    }

    /// Forget `plugin`'s quarantine.
    pub fn forget(&self, plugin: &str) {
        let mut records = self.records();
        if records.remove(plugin).is_some() {
            self.save(&records);
        }
    }

    fn save(&self, records: &BTreeMap<String, Quarantine>) {
        let written = serde_json::to_vec_pretty(records)
            .map_err(anyhow::Error::from)
            .and_then(|bytes| crate::fsutil::write_atomic(&self.path, &bytes));
        if let Err(err) = written {
            tracing::warn!("cannot write {}: {err:#}", self.path.display());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quarantine_is_kept_for_its_component_until_forgotten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("quarantine.json");
        QuarantineBook::open(path.clone()).record("looper", "abc", "deadline exceeded");
        let book = QuarantineBook::open(path.clone());
        assert!(book.holds("looper", "abc"));
        assert!(
            !book.holds("looper", "def"),
            "a new version is not quarantined"
        );
        book.forget("looper");
        assert!(!QuarantineBook::open(path).holds("looper", "abc"));
    }
}
