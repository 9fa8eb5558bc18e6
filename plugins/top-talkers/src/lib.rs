//! Top talkers: a report of the hosts (and pairs) that send or receive the most, and of the
//! ones that depart from their own habits.
//!
//! **Method.** Each flow window's flows are summed exactly: bytes or packets sent per source,
//! received per destination and carried per (source, destination) pair (`shared/amounts.rs`).
//! These are added up per hour of flow time (at most `max_keys` keys per kind; the smallest
//! half is dropped beyond). The hour's `top` keys of each kind (`by`, default senders only) are published as
//! gauges (`src/10.0.0.5` = volume so far this hour, `src/hour_total`) and judged against the
//! key's **own baseline for that hour of the day** (`shared/baseline.rs`): when an hour closes,
//! its largest keys are folded into a persistent profile of the 24 hours of the day
//! (`keys_per_hour` keys per hour, weighted mean over the days with `decay`, and a peak that
//! fades by `decay` a day). A key is reported when its volume so far this hour reaches
//! `min_volume` and `rise` times the largest usual level of the hours within `hour_tolerance`
//! of this one — so the nightly backup that moves gigabytes every night around 02:00 is normal,
//! and a workstation sending twenty times its usual volume at 14:00 is not; a key with no
//! baseline of its own around this hour is reported only from `new_volume`. Only keys of
//! `internal` hosts are judged (an external address — a CDN node, a cloud front end — carries
//! other traffic every day: it is ranked and shown, not learned). An hour of the day is judged
//! only after `learning_days` days of it were learned. Explicit thresholds, off unless the user
//! sets them: `min_share` of one window's traffic (with `min_total`), `max_hourly` volume.
//!
//! Defaults: bytes, senders, top 10, rise 10, min_volume 100 MB, new_volume 1 GB, one day of
//! learning, ±1 hour, 256 keys per hour, decay 0.3, reports only.
//!
//! **Output.** `top-talker` anomalies with evidence: the hosts that started the key's
//! conversations in the window (per `host::flows::conversations()`) as attackers, the ones that
//! answered as victims, the services, the heaviest flows and the volume, usual level and ratio.
//! They are reports (`alerting` false: they join incidents other detectors opened) unless
//! `alert` is true; scores stay below 0.9. A key is reported once per hour, again when its
//! volume doubles.
//!
//! **State.** The baselines (24 × `keys_per_hour` keys per kind) and, every five minutes of flow
//! time, the hour in progress live in `host::state`, so restarts and new versions keep them.
//! Memory: at most `max_keys` keys per kind for the hour (about 100 bytes each: 5 MB per kind
//! at the default 50,000) plus the baselines (24 × 256 keys per kind).
//!
//! The machinery is shared with `heavy-hitters` (`src/shared/`), which counts the hour with a
//! Count-Min sketch instead of exactly.

mod exact;
mod shared;

use netassure_plugin_sdk::prelude::*;

pub use exact::Exact;
use shared::engine::Engine;
pub use shared::{By, Config, Settings};

/// Keys counted per hour and kind unless `max_keys` says otherwise.
pub const DEFAULT_MAX_KEYS: usize = 50_000;

/// The detector.
#[derive(Debug, Default)]
pub struct TopTalkers {
    engine: Option<Engine<Exact>>,
}

impl Detector for TopTalkers {
    type Config = Config;

    fn describe() -> PluginInfo {
        let describe = Describe::detector("top-talkers", env!("CARGO_PKG_VERSION"))
            .description("Top talkers per hour (exact), reported when a key departs from its own hour-of-day baseline")
            .subscribe(EventKind::Flows);
        shared::common_fields(describe)
            .field(ConfigField::integer(
                "max_keys",
                "Keys counted per hour and kind; beyond, the smallest half is dropped",
                DEFAULT_MAX_KEYS as i64,
            ))
            .build()
    }

    fn configure(&mut self, config: Config) -> Result<(), PluginError> {
        if config.width.is_some() || config.depth.is_some() {
            return Err(PluginError::InvalidConfig(
                "width and depth are heavy-hitters settings; top-talkers counts exactly".into(),
            ));
        }
        let settings = Settings::check(&config)?;
        let max_keys = config.max_keys.unwrap_or(DEFAULT_MAX_KEYS);
        if !(2 * settings.keys_per_hour..=1_000_000).contains(&max_keys) {
            return Err(PluginError::InvalidConfig(format!(
                "max_keys must be 2 × keys_per_hour ({}) ..= 1000000, got {max_keys}",
                2 * settings.keys_per_hour
            )));
        }
        let tally = Exact::new(max_keys);
        match &mut self.engine {
            Some(engine) => engine.reconfigure(settings, tally),
            None => self.engine = Some(Engine::new("top-talker", settings, tally)),
        }
        Ok(())
    }

    fn on_event(&mut self, event: Event) -> Result<Vec<Finding>, PluginError> {
        let EventPayload::Flows(window) = event.payload else {
            return Ok(vec![]);
        };
        let engine = self
            .engine
            .as_mut()
            .ok_or_else(|| PluginError::Other("not configured".into()))?;
        let packets = engine.settings().packets();
        Ok(engine.window(&window, |by| {
            shared::amounts::window_amounts(&window.flows, by, packets)
        }))
    }
}

export_detector!(TopTalkers);

#[cfg(test)]
mod tests;
