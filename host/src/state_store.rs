//! Persistent per-plugin key-value state (the `state` import), in an embedded redb database
//! under the data directory. Every `set` and `delete` is a committed, durable transaction.

use std::path::Path;

use redb::{Database, ReadableTable, TableDefinition};

/// Keys are `plugin \0 key`; the NUL cannot appear in a registry name.
const TABLE: TableDefinition<&str, &[u8]> = TableDefinition::new("plugin_state");

/// Largest value one key may hold.
pub const MAX_VALUE_BYTES: usize = 1 << 20;
/// Most keys one plugin may hold.
pub const MAX_KEYS: usize = 10_000;

/// Errors of the state store.
#[derive(Debug, thiserror::Error)]
pub enum StateStoreError {
    /// A quota would be exceeded.
    #[error("{0}")]
    Quota(String),
    /// The database failed.
    #[error("state storage: {0}")]
    Storage(String),
}

fn storage(err: impl std::fmt::Display) -> StateStoreError {
    StateStoreError::Storage(err.to_string())
}

/// The store.
pub struct StateStore {
    db: Database,
}

fn full_key(plugin: &str, key: &str) -> String {
    format!("{plugin}\0{key}")
}

impl StateStore {
    /// Open (or create) the database at `path`.
    pub fn open(path: &Path) -> Result<Self, StateStoreError> {
        let db = Database::create(path).map_err(storage)?;
        let txn = db.begin_write().map_err(storage)?;
        txn.open_table(TABLE).map_err(storage)?;
        txn.commit().map_err(storage)?;
        Ok(StateStore { db })
    }

    /// The value of `key` for `plugin`.
    pub fn get(&self, plugin: &str, key: &str) -> Result<Option<Vec<u8>>, StateStoreError> {
        let txn = self.db.begin_read().map_err(storage)?;
        let table = txn.open_table(TABLE).map_err(storage)?;
        Ok(table
            .get(full_key(plugin, key).as_str())
            .map_err(storage)?
            .map(|value| value.value().to_vec()))
    }

    /// Set `key` for `plugin`.
    pub fn set(&self, plugin: &str, key: &str, value: &[u8]) -> Result<(), StateStoreError> {
        if value.len() > MAX_VALUE_BYTES {
            return Err(StateStoreError::Quota(format!(
                "value of {} bytes exceeds {MAX_VALUE_BYTES}",
                value.len()
            )));
        }
        let full = full_key(plugin, key);
        let txn = self.db.begin_write().map_err(storage)?;
        {
            let mut table = txn.open_table(TABLE).map_err(storage)?;
            if table.get(full.as_str()).map_err(storage)?.is_none() {
                let prefix = full_key(plugin, "");
                let count = table
                    .range(prefix.as_str()..)
                    .map_err(storage)?
                    .take_while(|entry| {
                        entry
                            .as_ref()
                            .is_ok_and(|(k, _)| k.value().starts_with(&prefix))
                    });
                if count.count() >= MAX_KEYS {
                    return Err(StateStoreError::Quota(format!(
                        "plugin already holds {MAX_KEYS} keys"
                    )));
                }
            }
            table.insert(full.as_str(), value).map_err(storage)?;
        }
        txn.commit().map_err(storage)
    }

    /// Delete `key` for `plugin`; true when it existed.
    pub fn delete(&self, plugin: &str, key: &str) -> Result<bool, StateStoreError> {
        let txn = self.db.begin_write().map_err(storage)?;
        let existed = {
            let mut table = txn.open_table(TABLE).map_err(storage)?;
            table
                .remove(full_key(plugin, key).as_str())
                .map_err(storage)?
                .is_some()
        };
        txn.commit().map_err(storage)?;
        Ok(existed)
    }

    /// Keys of `plugin` starting with `prefix`, in order.
    pub fn keys(&self, plugin: &str, prefix: &str) -> Result<Vec<String>, StateStoreError> {
        let txn = self.db.begin_read().map_err(storage)?;
        let table = txn.open_table(TABLE).map_err(storage)?;
        let start = full_key(plugin, prefix);
        let plugin_prefix = full_key(plugin, "");
        let mut keys = Vec::new();
        for entry in table.range(start.as_str()..).map_err(storage)? {
            let (key, _) = entry.map_err(storage)?;
            let key = key.value();
            if !key.starts_with(&start) {
                break;
            }
            keys.push(key[plugin_prefix.len()..].to_owned());
        }
        Ok(keys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_persist_per_plugin_across_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.redb");
        {
            let store = StateStore::open(&path).unwrap();
            store.set("a", "k1", b"one").unwrap();
            store.set("a", "k2", b"two").unwrap();
            store.set("b", "k1", b"other").unwrap();
            assert!(store.delete("a", "k2").unwrap());
            assert!(!store.delete("a", "missing").unwrap());
        }
        let store = StateStore::open(&path).unwrap();
        assert_eq!(store.get("a", "k1").unwrap().as_deref(), Some(&b"one"[..]));
        assert_eq!(store.get("a", "k2").unwrap(), None);
        assert_eq!(store.keys("a", "").unwrap(), vec!["k1"]);
        assert_eq!(store.keys("b", "k").unwrap(), vec!["k1"]);
        let too_big = vec![0u8; MAX_VALUE_BYTES + 1];
        assert!(matches!(
            store.set("a", "big", &too_big),
            Err(StateStoreError::Quota(_))
        ));
    }
}
