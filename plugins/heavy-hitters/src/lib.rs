//! Heavy hitters: the keys (senders, receivers, pairs) with the most traffic per hour, counted
//! in fixed memory, reported when one departs from its own habits.
//!
//! **Method.** Each window's flows are summed per key (`src`, `dst`, `pair`: memory in
//! proportion to the window the host already holds), then added to the hour's Count-Min sketch
//! of each kind (Apache DataSketches, `width` × `depth` 64-bit counters: 640 KiB at the
//! defaults, whatever the number of keys). A key whose estimate reaches 1/(4 × `keys_per_hour`)
//! of the hour's traffic, or `min_volume`, becomes a candidate (at most 8 × `keys_per_hour`
//! candidates; the estimate never undercounts, so no true heavy hitter is missed). The hour's
//! `top` candidates of each kind (`by`, default senders only) are published as gauges
//! (`src/10.0.0.5` = estimated volume so far this hour, `src/hour_total`) and judged against the
//! key's **own baseline for that hour of the day**: when an hour closes its largest keys are
//! folded into a persistent profile of the 24 hours (`keys_per_hour` keys per hour, weighted
//! mean over the days with `decay`, and a peak that fades by `decay` a day). A key is reported
//! when its volume so far this hour reaches `min_volume` and `rise` times the largest usual
//! level of the hours within `hour_tolerance` — a nightly backup is normal, a host suddenly
//! sending twenty times its usual volume at 14:00 is not; a key with no baseline of its own
//! around this hour only from `new_volume`. Only keys of `internal` hosts are judged (external
//! addresses are ranked and shown, not learned). An hour of the day is judged after
//! `learning_days` days of it were learned. Explicit thresholds, off unless set: `min_share` of
//! one window (with `min_total`), `max_hourly`.
//!
//! Defaults: bytes, senders, top 10, rise 10, min_volume 100 MB, new_volume 1 GB, one day of
//! learning, ±1 hour, 256 keys per hour, decay 0.3, reports only, 16,384 × 5 counters.
//!
//! **Accuracy.** An estimate overcounts by at most e / `width` of the hour's traffic with
//! probability 1 − e^−`depth` (0.017% at the defaults).
//!
//! **Output.** `heavy-hitter` anomalies with evidence: the hosts that started the key's
//! conversations in the window (per `host::flows::conversations()`) as attackers, those that
//! answered as victims, services, heaviest flows, volume, usual level and ratio. Reports
//! (`alerting` false) unless `alert` is true; scores stay below 0.9; a key is reported once per
//! hour, again when its volume doubles.
//!
//! **State.** Baselines and (every five minutes of flow time) the hour's largest candidates live
//! in `host::state` and survive restarts. The machinery is shared with `top-talkers`, whose
//! `src/shared/` this crate compiles in.

#[path = "../../top-talkers/src/shared/mod.rs"]
mod shared;
mod sketch;

use netassure_plugin_sdk::prelude::*;

pub use shared::amounts::window_amounts;
pub use shared::baseline::Key;
use shared::engine::Engine;
pub use shared::{By, Config, Settings};
pub use sketch::HeavyHitters;

/// Counters per row unless `width` says otherwise.
pub const DEFAULT_WIDTH: u32 = 16_384;
/// Rows unless `depth` says otherwise.
pub const DEFAULT_DEPTH: u8 = 5;

/// The detector.
#[derive(Debug, Default)]
pub struct HeavyHitterDetector {
    engine: Option<Engine<HeavyHitters>>,
    sketch: (u32, u8),
}

impl Detector for HeavyHitterDetector {
    type Config = Config;

    fn describe() -> PluginInfo {
        let describe = Describe::detector("heavy-hitters", env!("CARGO_PKG_VERSION"))
            .description("Heavy hitters per hour in fixed memory (Count-Min), reported when a key departs from its own hour-of-day baseline")
            .subscribe(EventKind::Flows);
        shared::common_fields(describe)
            .field(ConfigField::integer(
                "width",
                "Count-Min counters per row (overcount at most e/width of the hour's traffic)",
                i64::from(DEFAULT_WIDTH),
            ))
            .field(ConfigField::integer(
                "depth",
                "Count-Min rows (the bound holds with probability 1 - e^-depth)",
                i64::from(DEFAULT_DEPTH),
            ))
            .build()
    }

    fn configure(&mut self, config: Config) -> Result<(), PluginError> {
        let invalid = |text: String| Err(PluginError::InvalidConfig(text));
        if config.max_keys.is_some() {
            return invalid(
                "max_keys is a top-talkers setting; heavy-hitters counts in a fixed-size sketch"
                    .into(),
            );
        }
        let settings = Settings::check(&config)?;
        let width = config.width.unwrap_or(DEFAULT_WIDTH);
        let depth = config.depth.unwrap_or(DEFAULT_DEPTH);
        if !(16..=1 << 24).contains(&width) {
            return invalid(format!("width must be 16 ..= 16777216, got {width}"));
        }
        if !(1..=20).contains(&depth) {
            return invalid(format!("depth must be 1 ..= 20, got {depth}"));
        }
        let share = 1.0 / (4.0 * settings.keys_per_hour as f64);
        let floor = settings.rules.min_volume.max(1);
        let tally =
            HeavyHitters::new(width, depth, share).bounded(floor, 8 * settings.keys_per_hour);
        match &mut self.engine {
            Some(engine) if self.sketch == (width, depth) => engine.reconfigure(settings, tally),
            _ => self.engine = Some(Engine::new("heavy-hitter", settings, tally)),
        }
        self.sketch = (width, depth);
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
        Ok(engine.window(&window, |by| window_amounts(&window.flows, by, packets)))
    }
}

export_detector!(HeavyHitterDetector);

#[cfg(test)]
mod tests;
