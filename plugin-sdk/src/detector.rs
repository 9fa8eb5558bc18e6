//! The `detector` world as a Rust trait.

use std::marker::PhantomData;

use serde::de::DeserializeOwned;

use crate::bindings::detector::Guest;
use crate::instance::with_instance;
use crate::{Anomaly, Event, Finding, PluginError, PluginInfo, parse_config};

/// A detector: receives the events it subscribes to and returns the anomalies they show.
///
/// Export an implementation with [`export_detector!`](crate::export_detector). The instance is
/// created with `Default`, configured, then fed events one at a time; its fields keep state
/// between events for as long as the host keeps the instance (a trap or a new version of the
/// plugin starts a fresh one; use [`host::state`](crate::host::state) for what must survive).
pub trait Detector: Default + 'static {
    /// The plugin's configuration, parsed from the JSON object the host passes.
    type Config: DeserializeOwned;

    /// Identity, subscriptions and configuration shape; see [`Describe`](crate::Describe).
    fn describe() -> PluginInfo;

    /// Apply a configuration. Called before the first event and whenever it changes.
    fn configure(&mut self, config: Self::Config) -> Result<(), PluginError>;

    /// Handle one event: the anomalies it shows, each with its evidence when the detector has
    /// some (a bare [`Anomaly`] converts with `.into()`).
    fn on_event(&mut self, event: Event) -> Result<Vec<Finding>, PluginError>;
}

#[doc(hidden)]
pub struct DetectorAdapter<T>(PhantomData<T>);

impl<T: Detector> Guest for DetectorAdapter<T> {
    fn describe() -> PluginInfo {
        T::describe()
    }

    fn configure(config: String) -> Result<(), PluginError> {
        let config = parse_config::<T::Config>(&config)?;
        with_instance(|detector: &mut T| detector.configure(config))
    }

    fn on_event(event: Event) -> Result<Vec<Anomaly>, PluginError> {
        let findings = with_instance(|detector: &mut T| detector.on_event(event))?;
        let mut returned = Vec::with_capacity(findings.len());
        for finding in findings {
            match finding.evidence {
                Some(evidence) => report(&finding.anomaly, &evidence),
                None => returned.push(finding.anomaly),
            }
        }
        Ok(returned)
    }
}

/// Hand an anomaly with its evidence to the host (WIT `evidence.report`).
fn report(anomaly: &Anomaly, evidence: &crate::evidence::AnomalyEvidence) {
    #[cfg(target_arch = "wasm32")]
    crate::bindings::detector::netassure::plugin::evidence::report(anomaly, evidence);
    #[cfg(not(target_arch = "wasm32"))]
    let _ = (anomaly, evidence);
}

/// Export a [`Detector`] as the component's `detector` world. Use once per plugin crate.
#[macro_export]
macro_rules! export_detector {
    ($ty:ty) => {
        #[doc(hidden)]
        type __NetassureDetector = $crate::__private::DetectorAdapter<$ty>;
        $crate::bindings::detector::__export_detector_world!(__NetassureDetector with_types_in $crate::bindings::detector);
    };
}
