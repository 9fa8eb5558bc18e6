//! Host-health anomalies: the host reports, as detector `netassure-host`, what its detectors
//! could not do. One anomaly opens each episode of a detector skipping flow windows
//! (`Backlog`); the counters keep the running totals.

use std::sync::Arc;

use super::{Backlog, DeliveredEvent, Pipeline, SkipReason};
use crate::metrics::PluginLabels;
use crate::runtime::Finding;
use crate::runtime::bindings::anomalies::{Anomaly, NetworkPlane, Pattern, Symptom};

/// The detector name host-health anomalies carry.
pub(crate) const HOST_DETECTOR: &str = "netassure-host";

/// The kind of the anomaly that says a detector skips flow windows.
pub(crate) const WINDOWS_SKIPPED: &str = "plugin-windows-skipped";

impl Pipeline {
    /// Detector `plugin` did not handle the flow window `event` for `reason`: count it and,
    /// when it starts an episode of skipping, raise one host-health anomaly.
    pub fn plugin_skipped(
        &self,
        plugin: &str,
        backlog: &Backlog,
        reason: SkipReason,
        event: &Arc<DeliveredEvent>,
    ) {
        let flows = event.flow_count();
        let labels = PluginLabels {
            plugin: plugin.to_owned(),
        };
        self.metrics
            .plugin_windows_skipped
            .get_or_create(&labels)
            .inc();
        self.metrics
            .plugin_flows_skipped
            .get_or_create(&labels)
            .inc_by(flows);
        if !backlog.skipped(flows) {
            return;
        }
        tracing::warn!(
            plugin,
            flows,
            "detector skipped a flow window: {}",
            reason.describe()
        );
        let anomaly = Anomaly {
            kind: WINDOWS_SKIPPED.to_owned(),
            score: 1.0,
            confidence: 1.0,
            nodes: Vec::new(),
            links: Vec::new(),
            flows: Vec::new(),
            description: format!(
                "detector {plugin} skipped a window of {flows} flows because {}; it has skipped \
                 {} windows ({} flows) so far (windows_skipped in GET /plugins/{plugin})",
                reason.describe(),
                backlog.windows_skipped(),
                backlog.flows_skipped()
            ),
            pattern: Pattern::Drop,
            symptom: Symptom {
                id: WINDOWS_SKIPPED.to_owned(),
                action: "skipped".to_owned(),
                reason: reason.describe().to_owned(),
                trigger: "plugin".to_owned(),
                network_plane: NetworkPlane::Management,
                concern_score: 60,
            },
        };
        self.anomalies_found(
            HOST_DETECTOR,
            env!("CARGO_PKG_VERSION"),
            &event.event,
            vec![Finding {
                anomaly,
                evidence: None,
            }],
        );
    }
}
