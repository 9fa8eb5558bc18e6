//! The event pipeline: ingest sources publish events, detectors subscribed to the event's
//! kind receive it, anomalies go to every alert rule, alerts go to the sinks.
//!
//! ```text
//! source ──publish──▶ topology store (apply) ──▶ detector queues ──▶ anomalies_found
//!                                                                     │
//!                                              sinks ◀── alert_raised ◀── alert-rule queues
//! ```
//!
//! Queues are bounded: when a plugin falls behind, `publish` waits (back-pressure) instead of
//! dropping events.

mod feed;
mod replay;
mod sink;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use arc_swap::ArcSwap;
use crossbeam_channel::Sender;

pub use feed::{Feed, FeedEvent, Published};
pub use replay::{Pace, ReplaySummary, replay_lines, replay_text};
pub use sink::{OutputRecord, Sinks};

use crate::findings::{FindingsStore, NewAnomaly};
use crate::metrics::{Metrics, SourceLabels};
use crate::model::{self, Event, EventKind, InputEvent};
use crate::registry::Job;
pub use crate::runtime::DeliveredEvent;
use crate::runtime::bindings::anomalies::{Alert, AlertContext, Anomaly};
use crate::runtime::convert;
use crate::topology::TopologyStore;

/// An anomaly on its way to the alert rules.
pub struct AnomalyJob {
    /// The anomaly as the detector reported it.
    pub anomaly: Anomaly,
    /// Context for the rule.
    pub context: AlertContext,
    /// The recorded form.
    pub record: model::AnomalyRecord,
}

/// A queue subscribed to events.
#[derive(Clone)]
pub struct Route {
    /// Registry name of the plugin.
    pub plugin: Arc<str>,
    /// Kinds it receives (detectors only).
    pub kinds: Vec<EventKind>,
    /// Its queue.
    pub jobs: Sender<Job>,
}

/// Who receives what.
#[derive(Clone, Default)]
pub struct Routes {
    /// Detectors.
    pub detectors: Vec<Route>,
    /// Alert rules.
    pub alert_rules: Vec<Route>,
}

/// Counters shown in `/status`.
#[derive(Debug, Default, serde::Serialize)]
pub struct PipelineCounters {
    /// Events published.
    pub events_received: u64,
    /// Event deliveries to detectors.
    pub events_delivered: u64,
    /// Anomalies reported.
    pub anomalies: u64,
    /// Alerts raised.
    pub alerts: u64,
}

/// The pipeline.
pub struct Pipeline {
    topology: Arc<TopologyStore>,
    metrics: Arc<Metrics>,
    routes: ArcSwap<Routes>,
    sinks: Sinks,
    findings: std::sync::OnceLock<Arc<FindingsStore>>,
    feed: Feed,
    next_event_id: AtomicU64,
    events_received: AtomicU64,
    events_delivered: AtomicU64,
    anomalies: AtomicU64,
    alerts: AtomicU64,
}

impl Pipeline {
    /// A pipeline applying topology events to `topology` and writing to `sinks`.
    pub fn new(topology: Arc<TopologyStore>, metrics: Arc<Metrics>, sinks: Sinks) -> Self {
        Pipeline {
            topology,
            metrics,
            routes: ArcSwap::default(),
            sinks,
            findings: std::sync::OnceLock::new(),
            feed: Feed::new(1024),
            next_event_id: AtomicU64::new(1),
            events_received: AtomicU64::new(0),
            events_delivered: AtomicU64::new(0),
            anomalies: AtomicU64::new(0),
            alerts: AtomicU64::new(0),
        }
    }

    /// The metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// Replace the routing table (the registry calls this after every change).
    pub fn set_routes(&self, routes: Routes) {
        self.routes.store(Arc::new(routes));
    }

    /// Publish one event from `source`; returns its id (`None` for heartbeats, which carry
    /// nothing). Topology and utilisation telemetry are applied to the store first, so
    /// detectors see a graph at least as new as the event.
    pub fn publish(&self, source: &str, input: &InputEvent) -> Option<u64> {
        let kind = input.kind()?;
        let id = self.receive(source, kind);
        let topology_version = if let Some(delta) = input.topology_delta() {
            let report = self.topology.apply(&delta, input.timestamp_ms());
            self.feed.publish(FeedEvent::TopologyChanged {
                version: report.version,
            });
            for reason in &report.rejected {
                tracing::warn!(event = id, "topology change rejected: {reason}");
            }
            report.version
        } else {
            if let Some(sample) = input.telemetry_sample() {
                self.topology.apply_telemetry(&sample);
            }
            self.topology.version()
        };
        let event = DeliveredEvent::new(
            convert::event(id, source, model::now_ms(), input)?,
            topology_version,
        );
        self.deliver(&Arc::new(event), kind);
        Some(id)
    }

    /// Count an event of `kind` from `source` and give it its id.
    fn receive(&self, source: &str, kind: EventKind) -> u64 {
        self.events_received.fetch_add(1, Ordering::Relaxed);
        self.metrics
            .events_received
            .get_or_create(&SourceLabels {
                source: source.to_owned(),
                kind: kind_name(kind).to_owned(),
            })
            .inc();
        self.next_event_id.fetch_add(1, Ordering::Relaxed)
    }

    /// Publish a window of decoded flows from `source` (the NetFlow/IPFIX collector) to the
    /// detectors subscribed to flows; returns the event id.
    pub fn publish_flows(
        &self,
        source: &str,
        start_ms: u64,
        end_ms: u64,
        columns: netassure_netflow::FlowColumns,
    ) -> u64 {
        let id = self.receive(source, EventKind::Flows);
        let window = crate::runtime::bindings::flows::FlowWindow {
            start_ms,
            end_ms,
            flows: convert::flow_batch_from_columns(columns),
        };
        let event = DeliveredEvent::new(
            Event {
                id,
                source: source.to_owned(),
                timestamp_ms: end_ms,
                payload: crate::model::EventPayload::Flows(window),
            },
            self.topology.version(),
        );
        self.deliver(&Arc::new(event), EventKind::Flows);
        id
    }

    /// Deliver an already-built event to the detectors subscribed to `kind`.
    pub fn deliver(&self, event: &Arc<DeliveredEvent>, kind: EventKind) {
        let routes = self.routes.load();
        for route in routes
            .detectors
            .iter()
            .filter(|route| route.kinds.contains(&kind))
        {
            if route
                .jobs
                .send(crate::registry::Job::Event(event.clone()))
                .is_ok()
            {
                self.events_delivered.fetch_add(1, Ordering::Relaxed);
                Metrics::count(&self.metrics.events_delivered, kind_name(kind));
            }
        }
    }

    /// A detector reported `anomalies` for `event`: record them and ask every alert rule.
    pub fn anomalies_found(
        &self,
        detector: &str,
        version: &str,
        event: &Event,
        anomalies: Vec<Anomaly>,
    ) {
        if anomalies.is_empty() {
            return;
        }
        let routes = self.routes.load();
        let detected_at_ms = model::now_ms();
        let detected_at = crate::timefmt::ms_to_rfc3339(detected_at_ms);
        let records: Vec<model::AnomalyRecord> = anomalies
            .iter()
            .map(|anomaly| {
                let origin = convert::AnomalyOrigin {
                    anomaly_id: uuid::Uuid::new_v4().to_string(),
                    detector,
                    detector_version: version,
                    event_id: event.id,
                    detected_at: detected_at.clone(),
                };
                convert::anomaly_record(anomaly, origin)
            })
            .collect();
        let silenced = self.store_anomalies(&records, detected_at_ms);
        for ((anomaly, record), suppressed) in anomalies.into_iter().zip(records).zip(silenced) {
            self.anomalies.fetch_add(1, Ordering::Relaxed);
            Metrics::count(&self.metrics.anomalies, &record.kind);
            self.feed.publish(FeedEvent::Anomaly {
                anomaly: Box::new(record.clone()),
                suppressed,
            });
            self.sinks
                .emit(&OutputRecord::Anomaly(Box::new(record.clone())));
            if suppressed {
                continue;
            }
            let context = AlertContext {
                detector: detector.to_owned(),
                event_id: event.id,
                detected_at_ms,
            };
            let job = Arc::new(AnomalyJob {
                anomaly,
                context,
                record,
            });
            for route in &routes.alert_rules {
                let _ = route.jobs.send(Job::Anomaly(job.clone()));
            }
        }
    }

    /// An alert rule decided on `alert` for `job`'s anomaly.
    pub fn alert_raised(&self, rule: &str, job: &AnomalyJob, alert: Alert) {
        let mut record = model::AlertRecord {
            alert_id: uuid::Uuid::new_v4().to_string(),
            rule: rule.to_owned(),
            severity: convert::severity(alert.severity),
            node_id: alert.node,
            message: alert.message,
            dedup_key: alert.dedup_key,
            anomaly_id: job.record.anomaly_id.clone(),
            created_at: crate::timefmt::now_rfc3339(),
        };
        if let Some(findings) = self.findings.get() {
            match findings.record_alert(&record, model::now_ms()) {
                Ok(stored) => record.alert_id = stored.alert_id,
                Err(err) => tracing::error!("storing an alert failed: {err}"),
            }
        }
        self.alerts.fetch_add(1, Ordering::Relaxed);
        Metrics::count(&self.metrics.alerts, severity_name(record.severity));
        self.feed.publish(FeedEvent::AlertOpened {
            alert: Box::new(record.clone()),
        });
        self.sinks.emit(&OutputRecord::Alert(record));
    }

    /// The live feed of analytics events.
    pub fn feed(&self) -> &Feed {
        &self.feed
    }

    /// Keep findings in `store` from now on.
    pub fn attach_findings(&self, store: Arc<FindingsStore>) {
        let _ = self.findings.set(store);
    }

    /// Store one detector call's anomalies in one transaction; per anomaly, true when a false
    /// positive silences its detector for its subject.
    fn store_anomalies(&self, records: &[model::AnomalyRecord], detected_at_ms: u64) -> Vec<bool> {
        let Some(findings) = self.findings.get() else {
            return vec![false; records.len()];
        };
        let batch: Vec<NewAnomaly<'_>> = records
            .iter()
            .map(|record| NewAnomaly {
                record,
                detected_at_ms,
            })
            .collect();
        findings.record_anomalies(&batch).unwrap_or_else(|err| {
            tracing::error!("storing {} anomalies failed: {err}", records.len());
            vec![false; records.len()]
        })
    }

    /// Counters for `/status`.
    pub fn counters(&self) -> PipelineCounters {
        PipelineCounters {
            events_received: self.events_received.load(Ordering::Relaxed),
            events_delivered: self.events_delivered.load(Ordering::Relaxed),
            anomalies: self.anomalies.load(Ordering::Relaxed),
            alerts: self.alerts.load(Ordering::Relaxed),
        }
    }
}

fn kind_name(kind: EventKind) -> &'static str {
    match kind {
        EventKind::Topology => "topology",
        EventKind::Telemetry => "telemetry",
        EventKind::Flows => "flows",
    }
}

fn severity_name(severity: model::Severity) -> &'static str {
    match severity {
        model::Severity::Info => "info",
        model::Severity::Warning => "warning",
        model::Severity::Minor => "minor",
        model::Severity::Major => "major",
        model::Severity::Critical => "critical",
    }
}
