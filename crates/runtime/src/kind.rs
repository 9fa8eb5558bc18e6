//! The three kinds of plugin — one per WIT world — as the host, the REST API and manifests
//! name them.

use serde::Serialize;

use super::bindings::plugin as wp;

/// What a plugin is: which world it implements and what the host gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PluginKind {
    /// Receives events, reports anomalies (`detector` world); runs on the detector pool.
    Detector,
    /// Runs on demand over a topology snapshot (`graph-algorithm` world).
    GraphAlgorithm,
    /// Decides about anomalies, raises alerts (`alert-rule` world).
    AlertRule,
}

impl PluginKind {
    /// Every kind, in the order the host flushes them (detectors feed the alert rules).
    pub const ALL: [PluginKind; 3] = [
        PluginKind::Detector,
        PluginKind::AlertRule,
        PluginKind::GraphAlgorithm,
    ];

    /// The name: `detector`, `graph-algorithm` or `alert-rule`.
    pub fn as_str(self) -> &'static str {
        match self {
            PluginKind::Detector => "detector",
            PluginKind::GraphAlgorithm => "graph-algorithm",
            PluginKind::AlertRule => "alert-rule",
        }
    }
}

impl std::fmt::Display for PluginKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<wp::PluginKind> for PluginKind {
    fn from(kind: wp::PluginKind) -> Self {
        match kind {
            wp::PluginKind::Detector => PluginKind::Detector,
            wp::PluginKind::GraphAlgorithm => PluginKind::GraphAlgorithm,
            wp::PluginKind::AlertRule => PluginKind::AlertRule,
        }
    }
}
