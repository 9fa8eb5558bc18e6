//! Whether each plugin can do its work: a detector that needs a model the host cannot serve
//! (no ONNX Runtime library, no model, a model still learning this network) still runs, but
//! finds nothing — that must show, not stay a line in a log. The `inference` import records the
//! outcome of every call here; `/status` and `GET /plugins/{name}` show it.

use std::collections::HashMap;
use std::sync::Mutex;

use serde::Serialize;

/// How a plugin is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HealthState {
    /// Working.
    Ok,
    /// Waiting for a model that is learning this network.
    Learning,
    /// Running without something it needs (it finds nothing).
    Degraded,
}

/// A plugin's health, with the reason when not ok.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Health {
    /// `ok`, `learning` or `degraded`.
    pub state: HealthState,
    /// Why, when not ok.
    pub reason: Option<String>,
    /// Since when, RFC 3339.
    pub since: String,
}

impl Default for Health {
    fn default() -> Self {
        Health {
            state: HealthState::Ok,
            reason: None,
            since: netassure_model::timefmt::now_rfc3339(),
        }
    }
}

/// Every plugin's health (plugins never reported are ok).
#[derive(Debug, Default)]
pub struct HealthBoard {
    plugins: Mutex<HashMap<String, Health>>,
}

impl HealthBoard {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Health>> {
        self.plugins.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Record `plugin`'s state; a change is logged (an error when it becomes degraded).
    pub fn set(&self, plugin: &str, state: HealthState, reason: Option<String>) {
        let mut plugins = self.lock();
        let current = plugins.get(plugin);
        if current.map_or(state == HealthState::Ok && reason.is_none(), |h| {
            h.state == state && h.reason == reason
        }) {
            return;
        }
        match state {
            HealthState::Degraded => tracing::error!(
                plugin,
                "plugin degraded: {}",
                reason.as_deref().unwrap_or("no reason given")
            ),
            HealthState::Learning => tracing::info!(
                plugin,
                "plugin waits for its model: {}",
                reason.as_deref().unwrap_or("learning")
            ),
            HealthState::Ok => tracing::info!(plugin, "plugin healthy again"),
        }
        plugins.insert(
            plugin.to_owned(),
            Health {
                state,
                reason,
                since: netassure_model::timefmt::now_rfc3339(),
            },
        );
    }

    /// `plugin`'s health.
    pub fn get(&self, plugin: &str) -> Health {
        self.lock().get(plugin).cloned().unwrap_or_default()
    }

    /// The plugins that are not ok, by name.
    pub fn not_ok(&self) -> Vec<(String, Health)> {
        let mut list: Vec<(String, Health)> = self
            .lock()
            .iter()
            .filter(|(_, health)| health.state != HealthState::Ok)
            .map(|(name, health)| (name.clone(), health.clone()))
            .collect();
        list.sort_by(|a, b| a.0.cmp(&b.0));
        list
    }

    /// Forget `plugin` (removed).
    pub fn forget(&self, plugin: &str) {
        self.lock().remove(plugin);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_are_kept_and_ok_plugins_are_not_listed() {
        let board = HealthBoard::default();
        assert_eq!(board.get("flow-gae").state, HealthState::Ok);
        board.set("flow-gae", HealthState::Degraded, Some("no library".into()));
        board.set("other", HealthState::Ok, None);
        let listed = board.not_ok();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].1.reason.as_deref(), Some("no library"));
        board.set("flow-gae", HealthState::Ok, None);
        assert!(board.not_ok().is_empty());
    }
}
