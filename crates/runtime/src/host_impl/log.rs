//! `log`: plugin messages go to the host's tracing log with the plugin's name attached.
//! A plugin may write [`LOG_BURST`] lines at once and [`LOG_PER_SECOND`] a second after
//! that; lines beyond are dropped, and the next line that passes says how many were.

use std::time::Instant;

use crate::PluginState;
use crate::bindings::log::{Host, Level};

/// Longest message kept; the rest is cut so a plugin cannot flood the log with one call.
const MAX_MESSAGE: usize = 4096;
/// Lines a plugin may write at once.
pub(crate) const LOG_BURST: f64 = 100.0;
/// Lines a plugin may write each second after a burst.
pub(crate) const LOG_PER_SECOND: f64 = 20.0;

/// A plugin instance's log allowance (a token bucket).
#[derive(Debug)]
pub struct LogBudget {
    tokens: f64,
    refilled: Instant,
    dropped: u64,
}

impl Default for LogBudget {
    fn default() -> Self {
        LogBudget {
            tokens: LOG_BURST,
            refilled: Instant::now(),
            dropped: 0,
        }
    }
}

impl LogBudget {
    /// `Some(lines dropped since the last line written)` when a line may be written now.
    fn take(&mut self) -> Option<u64> {
        let now = Instant::now();
        let earned = now.duration_since(self.refilled).as_secs_f64() * LOG_PER_SECOND;
        self.tokens = (self.tokens + earned).min(LOG_BURST);
        self.refilled = now;
        if self.tokens < 1.0 {
            self.dropped += 1;
            return None;
        }
        self.tokens -= 1.0;
        Some(std::mem::take(&mut self.dropped))
    }
}

impl Host for PluginState {
    fn log(&mut self, level: Level, message: String) -> wasmtime::Result<()> {
        let Some(dropped) = self.log_budget.take() else {
            return Ok(());
        };
        if dropped > 0 {
            tracing::warn!(target: "plugin", plugin = &*self.plugin, "{dropped} log lines dropped (over {LOG_PER_SECOND} a second)");
        }
        let mut message = message;
        if message.len() > MAX_MESSAGE {
            let mut cut = MAX_MESSAGE;
            while !message.is_char_boundary(cut) {
                cut -= 1;
            }
            message.truncate(cut);
            message.push('…');
        }
        let plugin = &*self.plugin;
        match level {
            Level::Trace => tracing::trace!(target: "plugin", plugin, "{message}"),
            Level::Debug => tracing::debug!(target: "plugin", plugin, "{message}"),
            Level::Info => tracing::info!(target: "plugin", plugin, "{message}"),
            Level::Warn => tracing::warn!(target: "plugin", plugin, "{message}"),
            Level::Error => tracing::error!(target: "plugin", plugin, "{message}"),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_passes_then_lines_are_dropped_and_counted() {
        let mut budget = LogBudget::default();
        let passed = (0..1_000).filter(|_| budget.take().is_some()).count();
        assert!((100..=102).contains(&passed), "{passed}");
        budget.refilled -= std::time::Duration::from_secs(1);
        assert_eq!(budget.take(), Some(1_000 - passed as u64));
    }
}
