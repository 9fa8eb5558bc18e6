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
//! dropping events — except a live flow collector's windows, which a detector whose backlog is
//! full skips, counted and reported (`backlog`, `health`): waiting would lose datagrams at the
//! socket, unseen.

mod backlog;
mod feed;
mod health;
mod inbox;
mod replay;
mod sink;
mod storage;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use arc_swap::ArcSwap;

pub use backlog::{Backlog, SkipReason, WhenBusy};
pub use feed::{Feed, FeedEvent, Published, SinkFilter, SinkQueue};
pub use inbox::{Offer, PluginInbox};
pub use replay::{Pace, ReplaySummary, replay_file, replay_lines, replay_text};
pub use sink::{OutputRecord, Sinks};
pub use storage::{StorageHealth, StorageStatus};

use crate::findings::{AlertStatus, FindingsStore, NewAnomaly};
use crate::incidents::{Evidence, IncidentRecord, Incidents};
use crate::metrics::{Metrics, SourceLabels};
use crate::model::{self, EventKind, InputEvent};
pub use crate::runtime::DeliveredEvent;
use crate::runtime::bindings::anomalies::{Alert, AlertContext, Anomaly};
use crate::runtime::{Event, EventPayload};
use crate::runtime::{Finding, convert};
use crate::topology::TopologyStore;

/// An anomaly on its way to the alert rules.
pub struct AnomalyJob {
    /// The anomaly as the detector reported it.
    pub anomaly: Anomaly,
    /// Context for the rule.
    pub context: AlertContext,
    /// The recorded form (for an incident: the anomaly that brought the update).
    pub record: model::AnomalyRecord,
    /// The incident the anomaly stands for, when it is one: its alert's dedup key is the
    /// incident.
    pub incident: Option<String>,
}

/// A queue subscribed to events.
#[derive(Clone)]
pub(crate) struct Route {
    /// Registry name of the plugin.
    pub plugin: Arc<str>,
    /// Kinds it receives (detectors only).
    pub kinds: Vec<EventKind>,
    /// Its queue.
    pub inbox: Arc<dyn PluginInbox>,
    /// Flows waiting in its queue, and windows it skipped.
    pub backlog: Arc<Backlog>,
}

/// Who receives what.
#[derive(Clone, Default)]
pub(crate) struct Routes {
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
    incidents: std::sync::OnceLock<Arc<Incidents>>,
    learner: std::sync::OnceLock<Arc<crate::learning::Learner>>,
    history: std::sync::OnceLock<Arc<crate::flow_history::FlowHistory>>,
    feed: Feed,
    storage: storage::StorageHealth,
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
            incidents: std::sync::OnceLock::new(),
            learner: std::sync::OnceLock::new(),
            history: std::sync::OnceLock::new(),
            feed: Feed::new(1024),
            storage: storage::StorageHealth::default(),
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
    pub(crate) fn set_routes(&self, routes: Routes) {
        if let Some(incidents) = self.incidents.get() {
            let flow_detectors: Vec<String> = routes
                .detectors
                .iter()
                .filter(|route| route.kinds.contains(&EventKind::Flows))
                .map(|route| route.plugin.to_string())
                .collect();
            incidents.keep_detectors(&flow_detectors);
        }
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
            if report.new_version {
                self.feed.publish(FeedEvent::TopologyChanged {
                    version: report.version,
                });
            }
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

    /// Publish a window of decoded flows from `source` (a flow collector or a flow file) to
    /// the detectors subscribed to flows; returns the event id. `when_busy` says what happens
    /// when a detector's backlog is full (`Backlog`).
    pub(crate) fn publish_flows(
        &self,
        source: &str,
        start_ms: u64,
        end_ms: u64,
        columns: netassure_netflow::FlowColumns,
        when_busy: WhenBusy,
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
                payload: EventPayload::Flows(window),
            },
            self.topology.version(),
        );
        let event = Arc::new(event);
        self.deliver_with(&event, EventKind::Flows, when_busy);
        if let Some(learner) = self.learner.get() {
            learner.offer(&event);
        }
        id
    }

    /// Deliver an already-built event to the detectors subscribed to `kind`, waiting for room
    /// in their queues.
    pub fn deliver(&self, event: &Arc<DeliveredEvent>, kind: EventKind) {
        self.deliver_with(event, kind, WhenBusy::Wait);
    }

    /// Deliver an already-built event to the detectors subscribed to `kind`; a flow window
    /// that finds a detector's backlog full waits or is skipped for it, as `when_busy` says.
    pub(crate) fn deliver_with(
        &self,
        event: &Arc<DeliveredEvent>,
        kind: EventKind,
        when_busy: WhenBusy,
    ) {
        if kind == EventKind::Flows
            && let Some(history) = self.history.get()
        {
            history.offer(event);
        }
        let flows = event.flow_count();
        let routes = self.routes.load();
        for route in routes
            .detectors
            .iter()
            .filter(|route| route.kinds.contains(&kind))
        {
            let sent = match when_busy {
                WhenBusy::Wait => {
                    route.backlog.reserve(flows);
                    route.inbox.event(event.clone())
                }
                WhenBusy::Skip if !route.backlog.try_reserve(flows) => {
                    self.plugin_skipped(&route.plugin, &route.backlog, SkipReason::Busy, event);
                    continue;
                }
                WhenBusy::Skip => match route.inbox.offer_event(event.clone()) {
                    Offer::Taken => true,
                    Offer::Full => {
                        route.backlog.release(flows);
                        self.plugin_skipped(&route.plugin, &route.backlog, SkipReason::Busy, event);
                        continue;
                    }
                    Offer::Gone => false,
                },
            };
            if sent {
                self.events_delivered.fetch_add(1, Ordering::Relaxed);
                Metrics::count(&self.metrics.events_delivered, kind_name(kind));
            } else {
                route.backlog.release(flows);
            }
        }
    }

    /// Detector `detector` has handled `event`: a flow window moves the incidents' clock on.
    pub(crate) fn event_handled(&self, detector: &str, event: &Event) {
        if let (Some(incidents), EventPayload::Flows(window)) =
            (self.incidents.get(), &event.payload)
        {
            incidents.advance(detector, window.end_ms);
        }
    }

    /// A detector reported `found` for `event`: record the anomalies, add their evidence to
    /// incidents, and ask every alert rule about the anomalies without evidence and about the
    /// incidents that have enough.
    pub(crate) fn anomalies_found(
        &self,
        detector: &str,
        version: &str,
        event: &Event,
        found: Vec<Finding>,
    ) {
        if found.is_empty() {
            return;
        }
        let routes = self.routes.load();
        let detected_at_ms = model::now_ms();
        let detected_at = crate::timefmt::ms_to_rfc3339(detected_at_ms);
        let mut records: Vec<model::AnomalyRecord> = found
            .iter()
            .map(|finding| {
                let origin = convert::AnomalyOrigin {
                    anomaly_id: uuid::Uuid::new_v4().to_string(),
                    detector,
                    detector_version: version,
                    event_id: event.id,
                    detected_at: detected_at.clone(),
                };
                let mut record = convert::anomaly_record(&finding.anomaly, origin);
                record.evidence = finding.evidence.as_ref().map(convert::evidence_record);
                record
            })
            .collect();
        let incidents = self.assemble(&mut records, event.timestamp_ms);
        let (silenced, stored) = self.store_anomalies(&records, detected_at_ms);
        let context = AlertContext {
            detector: detector.to_owned(),
            event_id: event.id,
            detected_at_ms,
        };
        let jobs = found.into_iter().zip(records).zip(silenced).zip(incidents);
        for (((finding, record), suppressed), incident) in jobs {
            self.anomalies.fetch_add(1, Ordering::Relaxed);
            Metrics::count(&self.metrics.anomalies, &record.kind);
            self.feed.publish(FeedEvent::Anomaly {
                anomaly: Box::new(record.clone()),
                suppressed,
                stored,
            });
            self.sinks
                .emit(&OutputRecord::Anomaly(Box::new(record.clone())));
            let anomaly = match (&record.evidence, incident) {
                _ if suppressed => continue,
                (None, _) => finding.anomaly,
                (Some(_), Some(incident)) if incident.alerting => {
                    incident_anomaly(&incident, &finding.anomaly)
                }
                (Some(_), _) => continue,
            };
            let job = Arc::new(AnomalyJob {
                anomaly,
                context: context.clone(),
                incident: record.incident_id.clone(),
                record,
            });
            for route in &routes.alert_rules {
                let _ = route.inbox.anomaly(job.clone());
            }
        }
        self.close_quiet_incidents();
    }

    /// Add the evidence of `records` to incidents (each record learns its incident); per
    /// record, the incident as it is now. Anomalies a false positive silenced are left out.
    fn assemble(
        &self,
        records: &mut [model::AnomalyRecord],
        event_ms: u64,
    ) -> Vec<Option<IncidentRecord>> {
        let Some(incidents) = self.incidents.get() else {
            return vec![None; records.len()];
        };
        records
            .iter_mut()
            .map(|record| {
                let evidence = record.evidence.as_ref()?;
                if self.is_silenced(record) {
                    return None;
                }
                let observed = incidents.observe(Evidence {
                    record,
                    evidence,
                    detected_at_ms: event_ms,
                })?;
                record.incident_id = Some(observed.incident.incident_id.clone());
                Some(observed.incident)
            })
            .collect()
    }

    fn is_silenced(&self, record: &model::AnomalyRecord) -> bool {
        self.findings.get().is_some_and(|findings| {
            findings
                .is_suppressed(
                    &record.detector,
                    &crate::findings::subject_of(record),
                    model::now_ms(),
                )
                .unwrap_or(false)
        })
    }

    /// Close incidents that went quiet and resolve their alerts.
    pub fn close_quiet_incidents(&self) {
        let Some(incidents) = self.incidents.get() else {
            return;
        };
        self.resolve_closed(incidents.sweep());
    }

    /// Close every open incident and resolve its alert (the end of an evaluation's warm-up).
    pub fn close_all_incidents(&self) {
        if let Some(incidents) = self.incidents.get() {
            self.resolve_closed(incidents.close_all());
        }
    }

    /// Resolve the alerts of incidents just closed.
    fn resolve_closed(&self, closed: Vec<IncidentRecord>) {
        for incident in closed {
            let (Some(alert_id), Some(findings)) = (&incident.alert_id, self.findings.get()) else {
                continue;
            };
            match findings.set_status(alert_id, AlertStatus::Resolved, model::now_ms()) {
                Ok(Some(_)) => self.feed.publish(FeedEvent::AlertChanged {
                    alert_id: alert_id.clone(),
                    status: AlertStatus::Resolved.as_str().to_owned(),
                }),
                Ok(None) => {}
                Err(err) => tracing::error!("resolving the alert of an incident failed: {err}"),
            }
        }
    }

    /// An alert rule decided on `alert` for `job`'s anomaly.
    /// An alert about an incident has the incident as its dedup key, whatever the rule says,
    /// so the incident keeps one alert while it lasts.
    pub(crate) fn alert_raised(&self, rule: &str, job: &AnomalyJob, alert: Alert) {
        let mut record = model::AlertRecord {
            alert_id: uuid::Uuid::new_v4().to_string(),
            rule: rule.to_owned(),
            severity: convert::severity(alert.severity),
            node_id: alert.node,
            message: alert.message,
            dedup_key: match &job.incident {
                Some(incident) => format!("incident:{incident}"),
                None => alert.dedup_key,
            },
            anomaly_id: job.record.anomaly_id.clone(),
            created_at: crate::timefmt::now_rfc3339(),
            incident_id: job.incident.clone(),
        };
        let mut stored = self.findings.get().is_some();
        if let Some(findings) = self.findings.get() {
            match findings.record_alert(&record, model::now_ms()) {
                Ok(kept) => {
                    record.alert_id = kept.alert_id;
                    self.storage.stored();
                }
                Err(err) => {
                    stored = false;
                    self.storage.failed(storage::Unstored::Alert, &err);
                }
            }
        }
        if let (Some(incident), Some(incidents)) = (&job.incident, self.incidents.get()) {
            incidents.alert_opened(incident, &record.alert_id);
        }
        self.alerts.fetch_add(1, Ordering::Relaxed);
        Metrics::count(&self.metrics.alerts, severity_name(record.severity));
        self.feed.publish(FeedEvent::AlertOpened {
            alert: Box::new(record.clone()),
            stored,
        });
        self.sinks.emit(&OutputRecord::Alert(record));
    }

    /// The live feed of analytics events.
    pub fn feed(&self) -> &Feed {
        &self.feed
    }

    /// Keep findings in `store` from now on.
    pub(crate) fn attach_findings(&self, store: Arc<FindingsStore>) {
        let _ = self.findings.set(store);
    }

    /// Assemble incidents with `incidents` from now on.
    pub(crate) fn attach_incidents(&self, incidents: Arc<Incidents>) {
        let _ = self.incidents.set(incidents);
    }

    /// Keep every flow window in `history` from now on.
    pub(crate) fn attach_history(&self, history: Arc<crate::flow_history::FlowHistory>) {
        let _ = self.history.set(history);
    }

    /// The flow history, when one is kept.
    pub fn history(&self) -> Option<&Arc<crate::flow_history::FlowHistory>> {
        self.history.get()
    }

    /// Offer every flow window to `learner` from now on.
    pub(crate) fn attach_learner(&self, learner: Arc<crate::learning::Learner>) {
        let _ = self.learner.set(learner);
    }

    /// The incident assembler, when attached.
    pub fn incidents(&self) -> Option<&Arc<Incidents>> {
        self.incidents.get()
    }

    /// Store one detector call's anomalies in one transaction; per anomaly, true when a false
    /// positive silences its detector for its subject; and whether they were stored.
    fn store_anomalies(
        &self,
        records: &[model::AnomalyRecord],
        detected_at_ms: u64,
    ) -> (Vec<bool>, bool) {
        let Some(findings) = self.findings.get() else {
            return (vec![false; records.len()], false);
        };
        let batch: Vec<NewAnomaly<'_>> = records
            .iter()
            .map(|record| NewAnomaly {
                record,
                detected_at_ms,
            })
            .collect();
        match findings.record_anomalies(&batch) {
            Ok(silenced) => {
                self.storage.stored();
                (silenced, true)
            }
            Err(err) => {
                let count = records.len() as u64;
                self.storage
                    .failed(storage::Unstored::Anomalies(count), &err);
                (vec![false; records.len()], false)
            }
        }
    }

    /// Whether findings are being stored, for `/status`.
    pub fn storage(&self) -> StorageStatus {
        self.storage.status()
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

/// What the alert rules see of an incident: the kind that started it, its score, its
/// attackers then its victims as nodes, its summary as the description.
fn incident_anomaly(incident: &IncidentRecord, latest: &Anomaly) -> Anomaly {
    let mut nodes: Vec<String> = incident.attackers.clone();
    nodes.extend(
        incident
            .victims
            .iter()
            .filter(|victim| !incident.attackers.contains(victim))
            .cloned(),
    );
    Anomaly {
        kind: incident
            .kinds
            .first()
            .cloned()
            .unwrap_or_else(|| latest.kind.clone()),
        score: incident.score,
        nodes,
        links: Vec::new(),
        description: incident.summary.clone(),
        ..latest.clone()
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

/// The sources of `netassure-ingest` publish into the pipeline.
impl netassure_ingest::Publish for Pipeline {
    fn publish(&self, source: &str, event: &InputEvent) -> Option<u64> {
        Pipeline::publish(self, source, event)
    }

    fn publish_flows(
        &self,
        source: &str,
        start_ms: u64,
        end_ms: u64,
        columns: netassure_netflow::FlowColumns,
        when_busy: WhenBusy,
    ) -> u64 {
        Pipeline::publish_flows(self, source, start_ms, end_ms, columns, when_busy)
    }

    fn metrics(&self) -> &Metrics {
        Pipeline::metrics(self)
    }
}
