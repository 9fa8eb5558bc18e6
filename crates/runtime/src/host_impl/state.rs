//! `state`: the plugin's persistent key-value store, scoped by registry name.

use crate::PluginState;
use crate::bindings::state::{Host, StateError};
use crate::state_store::StateStoreError;

fn to_wit(error: StateStoreError) -> StateError {
    match error {
        StateStoreError::Quota(reason) => StateError::QuotaExceeded(reason),
        other => StateError::Other(other.to_string()),
    }
}

impl Host for PluginState {
    fn get(&mut self, key: String) -> wasmtime::Result<Option<Vec<u8>>> {
        Ok(self
            .services
            .state
            .get(&self.plugin, &key)
            .unwrap_or_else(|err| {
                tracing::warn!(plugin = &*self.plugin, "state get failed: {err}");
                None
            }))
    }

    fn set(&mut self, key: String, value: Vec<u8>) -> wasmtime::Result<Result<(), StateError>> {
        Ok(self
            .services
            .state
            .set(&self.plugin, &key, &value)
            .map_err(to_wit))
    }

    fn delete(&mut self, key: String) -> wasmtime::Result<Result<bool, StateError>> {
        Ok(self
            .services
            .state
            .delete(&self.plugin, &key)
            .map_err(to_wit))
    }

    fn keys(&mut self, prefix: String) -> wasmtime::Result<Vec<String>> {
        Ok(self
            .services
            .state
            .keys(&self.plugin, &prefix)
            .unwrap_or_default())
    }
}
