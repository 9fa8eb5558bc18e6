//! Per-plugin sandbox limits. Deadlines count the CPU time the call's own thread spends (in
//! the plugin and in the host imports it calls), not wall-clock time: a plugin that waits for a
//! core on a busy machine is not a plugin that loops.

use serde::{Deserialize, Serialize};

/// Limits applied to every call of one plugin. Defaults come from `[plugins.limits]` in
/// `netassure.toml`; a plugin's manifest (`NAME.toml`, `[limits]`) overrides them field by field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// CPU deadline of one call, milliseconds of the call's own CPU time. Example:
    /// `deadline_ms = 100`.
    pub deadline_ms: u64,
    /// CPU time added to a call's deadline per flow of the window it handles, microseconds:
    /// a window of 100,000 flows gets `deadline_ms` + 100,000 × this. Example:
    /// `deadline_us_per_flow = 10`.
    pub deadline_us_per_flow: u64,
    /// CPU deadline of one graph-algorithm `run`, milliseconds: on-demand analyses of large
    /// topologies take seconds, event handling must not. Example: `run_deadline_ms = 60000`.
    pub run_deadline_ms: u64,
    /// Cap on the plugin's linear memory, MiB: a 100,000-flow window alone is about 8 MiB in
    /// the plugin, and what a detector builds per window comes on top. Example:
    /// `memory_mb = 256`.
    pub memory_mb: u64,
    /// Consecutive failed calls (traps) after which the plugin is quarantined.
    /// Example: `max_consecutive_failures = 5`.
    pub max_consecutive_failures: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            deadline_ms: 100,
            deadline_us_per_flow: 10,
            run_deadline_ms: 60_000,
            memory_mb: 256,
            max_consecutive_failures: 5,
        }
    }
}

/// Field-by-field overrides of [`Limits`], as written in a plugin manifest.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitOverrides {
    /// Overrides `deadline_ms`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deadline_ms: Option<u64>,
    /// Overrides `deadline_us_per_flow`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deadline_us_per_flow: Option<u64>,
    /// Overrides `run_deadline_ms`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run_deadline_ms: Option<u64>,
    /// Overrides `memory_mb`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_mb: Option<u64>,
    /// Overrides `max_consecutive_failures`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_consecutive_failures: Option<u32>,
}

impl Limits {
    /// These limits with `overrides` applied.
    pub fn with(self, overrides: &LimitOverrides) -> Limits {
        Limits {
            deadline_ms: overrides.deadline_ms.unwrap_or(self.deadline_ms),
            deadline_us_per_flow: overrides
                .deadline_us_per_flow
                .unwrap_or(self.deadline_us_per_flow),
            run_deadline_ms: overrides.run_deadline_ms.unwrap_or(self.run_deadline_ms),
            memory_mb: overrides.memory_mb.unwrap_or(self.memory_mb),
            max_consecutive_failures: overrides
                .max_consecutive_failures
                .unwrap_or(self.max_consecutive_failures),
        }
    }

    /// The CPU deadline of a call that handles `flows` flows (0 for any other call),
    /// microseconds.
    pub(crate) fn call_deadline_us(&self, flows: u64) -> u64 {
        self.deadline_ms
            .saturating_mul(1_000)
            .saturating_add(flows.saturating_mul(self.deadline_us_per_flow))
    }

    /// The memory cap in bytes.
    pub fn memory_bytes(&self) -> usize {
        (self.memory_mb as usize).saturating_mul(1 << 20)
    }
}
