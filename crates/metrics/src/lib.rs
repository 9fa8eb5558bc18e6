//! Prometheus metrics (`GET /metrics`): plugin calls, failures and latency, events, anomalies,
//! alerts, and the counters and gauges plugins publish through the `metrics` import.

use std::sync::Mutex;
use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// Labels of a per-plugin series.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PluginLabels {
    /// Registry name.
    pub plugin: String,
}

/// Labels of a plugin-published series.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct PluginMetricLabels {
    /// Registry name.
    pub plugin: String,
    /// Metric name chosen by the plugin.
    pub name: String,
}

/// Labels of a per-kind series.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabels {
    /// Kind.
    pub kind: String,
}

/// Labels of an event series: where it came from and what it is.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SourceLabels {
    /// Source: `topology-stream`, `stdin`, `replay:PATH`, `rest`.
    pub source: String,
    /// Event kind: `topology`, `telemetry`, `flows`.
    pub kind: String,
}

/// Labels of a NetFlow exporter counter.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ExporterLabels {
    /// Exporter, `address:port`.
    pub exporter: String,
    /// Counter: `flows`, `packets`, `sequence_lost`, `malformed`, `no_template`, `templates`.
    pub kind: String,
}

/// Every metric of the host.
pub struct Metrics {
    registry: Mutex<Registry>,
    /// Plugin calls.
    pub plugin_calls: Family<PluginLabels, Counter>,
    /// Plugin calls that trapped.
    pub plugin_failures: Family<PluginLabels, Counter>,
    /// Flow windows a detector never handled (busy, quarantined, failed call).
    pub plugin_windows_skipped: Family<PluginLabels, Counter>,
    /// Flows in those windows.
    pub plugin_flows_skipped: Family<PluginLabels, Counter>,
    /// Plugin call latency, seconds.
    pub plugin_latency: Family<PluginLabels, Histogram>,
    /// CPU time plugin calls spent on their thread (host imports they called included, the
    /// host's handling of their results not), seconds.
    pub plugin_cpu: Family<PluginLabels, Counter<f64, AtomicU64>>,
    /// Events received, by source and kind.
    pub events_received: Family<SourceLabels, Counter>,
    /// Events handed to plugins (one per plugin that takes the event), by kind.
    pub events_delivered: Family<KindLabels, Counter>,
    /// NetFlow/IPFIX counters per exporter (set at each scrape).
    pub netflow_exporter: Family<ExporterLabels, Gauge>,
    /// Anomalies, by kind.
    pub anomalies: Family<KindLabels, Counter>,
    /// Alerts, by severity.
    pub alerts: Family<KindLabels, Counter>,
    /// Topology stream messages and connection events, by outcome.
    pub topology_stream: Family<KindLabels, Counter>,
    /// NATS sink messages, by outcome.
    pub sink_nats: Family<KindLabels, Counter>,
    /// Webhook deliveries, by outcome.
    pub sink_webhook: Family<KindLabels, Counter>,
    /// Stored alerts by status (set at each scrape).
    pub alerts_stored: Family<KindLabels, Gauge>,
    /// Stored anomalies, topology nodes and links (set at each scrape).
    pub store_size: Family<KindLabels, Gauge>,
    plugin_counters: Family<PluginMetricLabels, Counter>,
    plugin_gauges: Family<PluginMetricLabels, Gauge<f64, AtomicU64>>,
    /// The names each plugin has published (for the cap and for removal).
    plugin_series: Mutex<std::collections::HashMap<String, std::collections::BTreeSet<String>>>,
}

/// Most metric names one plugin may publish; further names are ignored.
pub(crate) const MAX_PLUGIN_SERIES: usize = 256;
/// Longest metric name a plugin may publish.
pub(crate) const MAX_PLUGIN_METRIC_NAME: usize = 128;

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Register every metric.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("netassure");
        let plugin_calls = Family::<PluginLabels, Counter>::default();
        let plugin_failures = Family::<PluginLabels, Counter>::default();
        let plugin_windows_skipped = Family::<PluginLabels, Counter>::default();
        let plugin_flows_skipped = Family::<PluginLabels, Counter>::default();
        let plugin_latency = Family::<PluginLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(1e-6, 4.0, 12))
        });
        let plugin_cpu = Family::<PluginLabels, Counter<f64, AtomicU64>>::default();
        let events_received = Family::<SourceLabels, Counter>::default();
        let events_delivered = Family::<KindLabels, Counter>::default();
        let netflow_exporter = Family::<ExporterLabels, Gauge>::default();
        let anomalies = Family::<KindLabels, Counter>::default();
        let alerts = Family::<KindLabels, Counter>::default();
        let topology_stream = Family::<KindLabels, Counter>::default();
        let sink_nats = Family::<KindLabels, Counter>::default();
        let sink_webhook = Family::<KindLabels, Counter>::default();
        let alerts_stored = Family::<KindLabels, Gauge>::default();
        let store_size = Family::<KindLabels, Gauge>::default();
        registry.register(
            "alerts_stored",
            "Stored alerts by status",
            alerts_stored.clone(),
        );
        registry.register(
            "store_size",
            "Stored anomalies, topology nodes and links",
            store_size.clone(),
        );
        let plugin_counters = Family::<PluginMetricLabels, Counter>::default();
        let plugin_gauges = Family::<PluginMetricLabels, Gauge<f64, AtomicU64>>::default();
        registry.register("plugin_calls", "Plugin calls", plugin_calls.clone());
        registry.register(
            "plugin_failures",
            "Plugin calls that trapped",
            plugin_failures.clone(),
        );
        registry.register(
            "plugin_windows_skipped",
            "Flow windows a detector never handled (busy, quarantined, failed call)",
            plugin_windows_skipped.clone(),
        );
        registry.register(
            "plugin_flows_skipped",
            "Flows in the windows a detector never handled",
            plugin_flows_skipped.clone(),
        );
        registry.register(
            "plugin_cpu_seconds",
            "CPU time plugin calls spent, host imports they called included",
            plugin_cpu.clone(),
        );
        registry.register(
            "plugin_call_seconds",
            "Plugin call latency",
            plugin_latency.clone(),
        );
        registry.register(
            "events_received",
            "Events received by source and kind",
            events_received.clone(),
        );
        registry.register(
            "netflow_exporter",
            "NetFlow/IPFIX counters per exporter",
            netflow_exporter.clone(),
        );
        registry.register(
            "events_delivered",
            "Events handed to plugins by kind (one per plugin that takes the event)",
            events_delivered.clone(),
        );
        registry.register("anomalies", "Anomalies reported by kind", anomalies.clone());
        registry.register("alerts", "Alerts raised by severity", alerts.clone());
        registry.register(
            "topology_stream",
            "Topology stream messages and connection events by outcome",
            topology_stream.clone(),
        );
        registry.register(
            "sink_nats",
            "NATS sink messages by outcome",
            sink_nats.clone(),
        );
        registry.register(
            "sink_webhook",
            "Webhook deliveries by outcome",
            sink_webhook.clone(),
        );
        registry.register(
            "plugin_counter",
            "Counters published by plugins",
            plugin_counters.clone(),
        );
        registry.register(
            "plugin_gauge",
            "Gauges published by plugins",
            plugin_gauges.clone(),
        );
        Metrics {
            registry: Mutex::new(registry),
            plugin_calls,
            plugin_failures,
            plugin_windows_skipped,
            plugin_flows_skipped,
            plugin_latency,
            plugin_cpu,
            events_received,
            events_delivered,
            netflow_exporter,
            anomalies,
            alerts,
            topology_stream,
            sink_nats,
            sink_webhook,
            alerts_stored,
            store_size,
            plugin_counters,
            plugin_gauges,
            plugin_series: Mutex::new(std::collections::HashMap::new()),
        }
    }

    /// True when `plugin` may publish series `name`: a name it already has, or a new one
    /// within [`MAX_PLUGIN_SERIES`] and [`MAX_PLUGIN_METRIC_NAME`].
    fn admit_series(&self, plugin: &str, name: &str) -> bool {
        let mut series = self
            .plugin_series
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let names = series.entry(plugin.to_owned()).or_default();
        if names.contains(name) {
            return true;
        }
        if name.len() > MAX_PLUGIN_METRIC_NAME || names.len() >= MAX_PLUGIN_SERIES {
            tracing::debug!(
                plugin,
                "plugin metric refused: at most {MAX_PLUGIN_SERIES} names of at most {MAX_PLUGIN_METRIC_NAME} bytes"
            );
            return false;
        }
        names.insert(name.to_owned());
        true
    }

    /// Forget every series `plugin` published (it was removed).
    pub fn remove_plugin(&self, plugin: &str) {
        let names = self
            .plugin_series
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .remove(plugin)
            .unwrap_or_default();
        for name in names {
            let labels = PluginMetricLabels {
                plugin: plugin.to_owned(),
                name,
            };
            self.plugin_counters.remove(&labels);
            self.plugin_gauges.remove(&labels);
        }
        let labels = PluginLabels {
            plugin: plugin.to_owned(),
        };
        self.plugin_calls.remove(&labels);
        self.plugin_failures.remove(&labels);
        self.plugin_windows_skipped.remove(&labels);
        self.plugin_flows_skipped.remove(&labels);
        self.plugin_latency.remove(&labels);
        self.plugin_cpu.remove(&labels);
    }

    /// Add to a plugin-published counter.
    pub fn plugin_counter_add(&self, plugin: &str, name: &str, value: u64) {
        if !self.admit_series(plugin, name) {
            return;
        }
        let labels = PluginMetricLabels {
            plugin: plugin.to_owned(),
            name: name.to_owned(),
        };
        self.plugin_counters.get_or_create(&labels).inc_by(value);
    }

    /// Set a plugin-published gauge.
    pub fn plugin_gauge_set(&self, plugin: &str, name: &str, value: f64) {
        if !self.admit_series(plugin, name) {
            return;
        }
        let labels = PluginMetricLabels {
            plugin: plugin.to_owned(),
            name: name.to_owned(),
        };
        self.plugin_gauges.get_or_create(&labels).set(value);
    }

    /// Count a kind in `family`.
    pub fn count(family: &Family<KindLabels, Counter>, kind: &str) {
        family
            .get_or_create(&KindLabels {
                kind: kind.to_owned(),
            })
            .inc();
    }

    /// The Prometheus text exposition.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        let registry = self
            .registry
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        prometheus_client::encoding::text::encode(&mut text, &registry)
            .expect("writing to a String cannot fail");
        text
    }
}
