//! `[models.NAME]`: how the host gets a model for the network it runs on and when it uses one.
//!
//! A model trained elsewhere (the generic one shipped in `models/`, card `scope = "generic"`)
//! is not served to plugins unless `use_generic` says so: until a model of this network exists
//! (`scope = "network"`, written by `netassure model train` or by the host's learning period),
//! the detectors that need it say `learning` (or `degraded`, with the reason).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The models the host can train itself.
pub const LEARNABLE: &[&str] = &["flow-gae"];

/// `[models.NAME]` of `netassure.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ModelSettings {
    /// Learning period, in flow time, before the host trains a model of this network from the
    /// windows it saw (`30m`, `24h`, `7d`); `0` switches learning off. Example: `learn = "24h"`.
    pub learn: String,
    /// False-positive rate the threshold aims at on held-back benign windows.
    /// Example: `target_fpr = 0.001`.
    pub target_fpr: f64,
    /// Score with a model not trained on this network (the shipped generic one) while none of
    /// this network exists. Example: `use_generic = false`.
    pub use_generic: bool,
    /// Share of the learned windows held back to check the model and place its threshold.
    /// Example: `holdout = 0.2`.
    pub holdout: f64,
    /// At most this many windows are kept for learning (an even sample of the period).
    /// Example: `max_windows = 20000`.
    pub max_windows: usize,
    /// Training passes over the learned windows. Example: `epochs = 20`.
    pub epochs: usize,
}

impl Default for ModelSettings {
    fn default() -> Self {
        ModelSettings {
            learn: "24h".into(),
            target_fpr: 0.001,
            use_generic: false,
            holdout: 0.2,
            max_windows: 20_000,
            epochs: 20,
        }
    }
}

impl ModelSettings {
    /// The learning period; `None` when learning is off.
    pub fn learn_period(&self) -> Option<Duration> {
        parse_duration(&self.learn)
            .ok()
            .filter(|period| !period.is_zero())
    }

    /// Refuse settings that cannot work.
    pub fn validate(&self, name: &str) -> Result<(), String> {
        let period =
            parse_duration(&self.learn).map_err(|e| format!("[models.{name}] learn: {e}"))?;
        if !period.is_zero() && !LEARNABLE.contains(&name) {
            return Err(format!(
                "[models.{name}] learn: the host can learn only {}",
                LEARNABLE.join(", ")
            ));
        }
        if !(self.target_fpr > 0.0 && self.target_fpr < 1.0) {
            return Err(format!("[models.{name}] target_fpr must be within (0, 1)"));
        }
        if !(self.holdout > 0.0 && self.holdout < 1.0) {
            return Err(format!("[models.{name}] holdout must be within (0, 1)"));
        }
        if self.max_windows < 10 || self.epochs == 0 {
            return Err(format!(
                "[models.{name}] max_windows must be at least 10 and epochs at least 1"
            ));
        }
        Ok(())
    }
}

/// `[models]`: settings by model name.
pub type ModelsConfig = BTreeMap<String, ModelSettings>;

/// The settings of `name`: the configured ones, else the defaults (learning on for the models
/// the host can learn, off for any other).
pub fn settings_for(config: &ModelsConfig, name: &str) -> ModelSettings {
    config.get(name).cloned().unwrap_or_else(|| ModelSettings {
        learn: if LEARNABLE.contains(&name) {
            "24h"
        } else {
            "0"
        }
        .into(),
        ..ModelSettings::default()
    })
}

/// `90s`, `30m`, `24h`, `7d`, or `0`.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if text == "0" {
        return Ok(Duration::ZERO);
    }
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(|| format!("`{text}` has no unit: use s, m, h or d (e.g. `24h`)"))?;
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` does not start with a number"))?;
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        _ => {
            return Err(format!(
                "unknown unit `{unit}` in `{text}`: use s, m, h or d"
            ));
        }
    };
    Ok(Duration::from_secs(number.saturating_mul(seconds)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_defaults() {
        assert_eq!(parse_duration("24h"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_duration("7d"), Ok(Duration::from_secs(7 * 86_400)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert!(parse_duration("24").is_err());
        assert!(parse_duration("1w").is_err());
        let flow_gae = settings_for(&ModelsConfig::new(), "flow-gae");
        assert_eq!(flow_gae.learn_period(), Some(Duration::from_secs(86_400)));
        assert_eq!(
            settings_for(&ModelsConfig::new(), "other").learn_period(),
            None
        );
        assert!(
            ModelSettings {
                learn: "1h".into(),
                ..ModelSettings::default()
            }
            .validate("other")
            .is_err()
        );
    }
}
