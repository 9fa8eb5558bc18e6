//! Persistent per-plugin key-value state (the `state` import), in an embedded redb database
//! under the data directory. Every `set` and `delete` is a committed, durable transaction.

use std::path::Path;

use redb::{Database, ReadableTable, TableDefinition};

/// Keys are `plugin \0 key`; the NUL cannot appear in a registry name.
const TABLE: TableDefinition<&str, &[u8]> = TableDefinition::new("plugin_state");

/// Bytes (keys and values) each plugin holds, kept in the same transactions as its keys.
const USAGE: TableDefinition<&str, u64> = TableDefinition::new("plugin_state_bytes");

/// Largest value one key may hold.
pub(crate) const MAX_VALUE_BYTES: usize = 1 << 20;
/// Longest key.
pub(crate) const MAX_KEY_BYTES: usize = 1024;
/// Most keys one plugin may hold.
pub(crate) const MAX_KEYS: usize = 10_000;
/// Most bytes (keys and values) one plugin may hold.
pub const MAX_PLUGIN_BYTES: u64 = 64 << 20;

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
        txn.open_table(USAGE).map_err(storage)?;
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

    /// Set `key` for `plugin`, within the quotas (value and key size, keys and bytes per
    /// plugin).
    pub fn set(&self, plugin: &str, key: &str, value: &[u8]) -> Result<(), StateStoreError> {
        if value.len() > MAX_VALUE_BYTES {
            return Err(StateStoreError::Quota(format!(
                "value of {} bytes exceeds {MAX_VALUE_BYTES}",
                value.len()
            )));
        }
        if key.len() > MAX_KEY_BYTES {
            return Err(StateStoreError::Quota(format!(
                "key of {} bytes exceeds {MAX_KEY_BYTES}",
                key.len()
            )));
        }
        let full = full_key(plugin, key);
        let txn = self.db.begin_write().map_err(storage)?;
        {
            let mut table = txn.open_table(TABLE).map_err(storage)?;
            let previous = table
                .get(full.as_str())
                .map_err(storage)?
                .map(|old| (key.len() + old.value().len()) as u64);
            if previous.is_none() && plugin_keys(&table, plugin)?.len() >= MAX_KEYS {
                return Err(StateStoreError::Quota(format!(
                    "plugin already holds {MAX_KEYS} keys"
                )));
            }
            let held = held_bytes(&txn, &table, plugin)?;
            let after = held - previous.unwrap_or(0) + (key.len() + value.len()) as u64;
            if after > MAX_PLUGIN_BYTES {
                return Err(StateStoreError::Quota(format!(
                    "plugin would hold {after} bytes of state, over {MAX_PLUGIN_BYTES}"
                )));
            }
            table.insert(full.as_str(), value).map_err(storage)?;
            let mut usage = txn.open_table(USAGE).map_err(storage)?;
            usage.insert(plugin, after).map_err(storage)?;
        }
        txn.commit().map_err(storage)
    }

    /// Forget everything `plugin` holds (it was removed); how many keys it held.
    pub fn remove_plugin(&self, plugin: &str) -> Result<usize, StateStoreError> {
        let txn = self.db.begin_write().map_err(storage)?;
        let removed = {
            let mut table = txn.open_table(TABLE).map_err(storage)?;
            let keys = plugin_keys(&table, plugin)?;
            for key in &keys {
                table.remove(key.as_str()).map_err(storage)?;
            }
            let mut usage = txn.open_table(USAGE).map_err(storage)?;
            usage.remove(plugin).map_err(storage)?;
            keys.len()
        };
        txn.commit().map_err(storage)?;
        Ok(removed)
    }

    /// Delete `key` for `plugin`; true when it existed.
    pub fn delete(&self, plugin: &str, key: &str) -> Result<bool, StateStoreError> {
        let txn = self.db.begin_write().map_err(storage)?;
        let existed = {
            let mut table = txn.open_table(TABLE).map_err(storage)?;
            let held = held_bytes(&txn, &table, plugin)?;
            let removed = table
                .remove(full_key(plugin, key).as_str())
                .map_err(storage)?
                .map(|old| (key.len() + old.value().len()) as u64);
            if let Some(bytes) = removed {
                let mut usage = txn.open_table(USAGE).map_err(storage)?;
                usage
                    .insert(plugin, held.saturating_sub(bytes))
                    .map_err(storage)?;
            }
            removed.is_some()
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

/// Every full key of `plugin`.
fn plugin_keys(
    table: &impl ReadableTable<&'static str, &'static [u8]>,
    plugin: &str,
) -> Result<Vec<String>, StateStoreError> {
    let prefix = full_key(plugin, "");
    let mut keys = Vec::new();
    for entry in table.range(prefix.as_str()..).map_err(storage)? {
        let (key, _) = entry.map_err(storage)?;
        if !key.value().starts_with(&prefix) {
            break;
        }
        keys.push(key.value().to_owned());
    }
    Ok(keys)
}

/// Bytes `plugin` holds: from the usage table, or counted (a database written before the
/// usage table existed).
fn held_bytes(
    txn: &redb::WriteTransaction,
    table: &impl ReadableTable<&'static str, &'static [u8]>,
    plugin: &str,
) -> Result<u64, StateStoreError> {
    let usage = txn.open_table(USAGE).map_err(storage)?;
    if let Some(bytes) = usage.get(plugin).map_err(storage)? {
        return Ok(bytes.value());
    }
    let prefix = full_key(plugin, "");
    let mut bytes = 0u64;
    for entry in table.range(prefix.as_str()..).map_err(storage)? {
        let (key, value) = entry.map_err(storage)?;
        let Some(key) = key.value().strip_prefix(prefix.as_str()) else {
            break;
        };
        bytes += (key.len() + value.value().len()) as u64;
    }
    Ok(bytes)
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

    #[test]
    fn keys_and_bytes_per_plugin_are_capped_and_removal_frees_them() {
        let dir = tempfile::tempdir().unwrap();
        let store = StateStore::open(&dir.path().join("state.redb")).unwrap();
        let long_key = "k".repeat(MAX_KEY_BYTES + 1);
        assert!(matches!(
            store.set("a", &long_key, b"x"),
            Err(StateStoreError::Quota(_))
        ));
        let value = vec![7u8; MAX_VALUE_BYTES];
        let fits = (MAX_PLUGIN_BYTES / (MAX_VALUE_BYTES as u64 + 4)) as usize;
        for i in 0..fits {
            store.set("a", &format!("k{i:03}"), &value).unwrap();
        }
        let refused = store.set("a", "one-more", &value);
        assert!(
            matches!(refused, Err(StateStoreError::Quota(_))),
            "{refused:?}"
        );
        // Overwriting a key with a value of the same size stays within the quota; another
        // plugin has its own.
        store.set("a", "k000", &value).unwrap();
        store.set("b", "k000", &value).unwrap();
        // Deleting frees room.
        assert!(store.delete("a", "k001").unwrap());
        store.set("a", "one-more", &value).unwrap();
        assert_eq!(store.remove_plugin("a").unwrap(), fits);
        assert!(store.keys("a", "").unwrap().is_empty());
        assert_eq!(
            store.get("b", "k000").unwrap().map(|v| v.len()),
            Some(MAX_VALUE_BYTES)
        );
        store.set("a", "again", &value).unwrap();
    }
}
