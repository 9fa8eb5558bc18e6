//! Conversions between the host's model (`netassure_model`) and the generated WIT types.

use std::net::IpAddr;

use super::bindings::{
    anomalies as wa, events as we, evidence as wv, flows as wf, plugin as wp, topology as wt,
};
use netassure_model::{self as model, EventKind, anomaly::FlowKeyRecord, anomaly::SymptomRecord};

/// IPv4 addresses become IPv4-mapped IPv6: every address column entry is 16 bytes.
pub(crate) fn addr_bytes(addr: IpAddr) -> [u8; 16] {
    match addr {
        IpAddr::V4(v4) => v4.to_ipv6_mapped().octets(),
        IpAddr::V6(v6) => v6.octets(),
    }
}

/// The inverse of [`addr_bytes`]; `None` when `bytes` is not 16 long.
pub fn addr_from_bytes(bytes: &[u8]) -> Option<IpAddr> {
    let octets: [u8; 16] = bytes.try_into().ok()?;
    let v6 = std::net::Ipv6Addr::from(octets);
    Some(v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4))
}

fn oper_state(state: model::OperState) -> wt::OperState {
    match state {
        model::OperState::Up => wt::OperState::Up,
        model::OperState::Down => wt::OperState::Down,
        model::OperState::Degraded => wt::OperState::Degraded,
        model::OperState::Unknown => wt::OperState::Unknown,
    }
}

fn attributes(map: &std::collections::BTreeMap<String, String>) -> Vec<wt::Attribute> {
    map.iter()
        .map(|(key, value)| wt::Attribute {
            key: key.clone(),
            value: value.clone(),
        })
        .collect()
}

/// A model node as a WIT node.
pub fn node(node: &model::Node) -> wt::Node {
    wt::Node {
        id: node.id.to_string(),
        kind: node.kind.to_string(),
        asn: node.asn,
        state: oper_state(node.state),
        attributes: attributes(&node.attributes),
    }
}

/// A model link as a WIT link.
pub fn link(link: &model::Link) -> wt::Link {
    wt::Link {
        id: link.id.to_string(),
        source: link.source.to_string(),
        target: link.target.to_string(),
        kind: link.kind.to_string(),
        capacity_bps: link.capacity_bps,
        utilisation: link.utilisation,
        state: oper_state(link.state),
        attributes: attributes(&link.attributes),
    }
}

fn topology_change(change: &model::TopologyChange) -> wt::TopologyChange {
    use model::TopologyChange as M;
    match change {
        M::NodeUpsert { node: n } => wt::TopologyChange::NodeUpsert(node(n)),
        M::NodeRemove { id } => wt::TopologyChange::NodeRemove(id.clone()),
        M::LinkUpsert { link: l } => wt::TopologyChange::LinkUpsert(link(l)),
        M::LinkRemove { id } => wt::TopologyChange::LinkRemove(id.clone()),
        M::LinkState { id, state } => wt::TopologyChange::LinkState(wt::LinkStateChange {
            link_id: id.clone(),
            state: oper_state(*state),
        }),
        M::LinkUtilisation { id, utilisation } => {
            wt::TopologyChange::LinkUtilisation(wt::LinkUtilisationChange {
                link_id: id.clone(),
                utilisation: *utilisation,
            })
        }
    }
}

/// Rows of flows as one columnar batch.
pub fn flow_batch(flows: &[model::FlowRecord]) -> wf::FlowBatch {
    let n = flows.len();
    let mut exporters: Vec<String> = Vec::new();
    let mut batch = wf::FlowBatch {
        len: n as u32,
        src_addr: Vec::with_capacity(n * 16),
        dst_addr: Vec::with_capacity(n * 16),
        src_port: Vec::with_capacity(n),
        dst_port: Vec::with_capacity(n),
        protocol: Vec::with_capacity(n),
        tcp_flags: Vec::with_capacity(n),
        bytes: Vec::with_capacity(n),
        packets: Vec::with_capacity(n),
        start_ms: Vec::with_capacity(n),
        end_ms: Vec::with_capacity(n),
        input_if: Vec::with_capacity(n),
        output_if: Vec::with_capacity(n),
        exporter: Vec::with_capacity(n),
        exporters: Vec::new(),
    };
    for flow in flows {
        batch.src_addr.extend_from_slice(&addr_bytes(flow.src));
        batch.dst_addr.extend_from_slice(&addr_bytes(flow.dst));
        batch.src_port.push(flow.src_port);
        batch.dst_port.push(flow.dst_port);
        batch.protocol.push(flow.protocol);
        batch.tcp_flags.push(flow.tcp_flags);
        batch.bytes.push(flow.bytes);
        batch.packets.push(flow.packets);
        batch.start_ms.push(flow.start_ms);
        batch.end_ms.push(flow.end_ms);
        batch.input_if.push(flow.input_if);
        batch.output_if.push(flow.output_if);
        let exporter = flow.exporter.as_deref().unwrap_or_default();
        let index = match exporters.iter().position(|known| known == exporter) {
            Some(index) => index,
            None => {
                exporters.push(exporter.to_owned());
                exporters.len() - 1
            }
        };
        batch.exporter.push(index as u16);
    }
    batch.exporters = exporters;
    batch
}

/// Decoded flow columns as the WIT flow batch (the columns move, addresses are flattened).
pub fn flow_batch_from_columns(columns: netassure_netflow::FlowColumns) -> wf::FlowBatch {
    wf::FlowBatch {
        len: columns.len() as u32,
        src_addr: columns.src_addr.concat(),
        dst_addr: columns.dst_addr.concat(),
        src_port: columns.src_port,
        dst_port: columns.dst_port,
        protocol: columns.protocol,
        tcp_flags: columns.tcp_flags,
        bytes: columns.bytes,
        packets: columns.packets,
        start_ms: columns.start_ms,
        end_ms: columns.end_ms,
        input_if: columns.input_if,
        output_if: columns.output_if,
        exporter: columns.exporter,
        exporters: columns.exporters,
    }
}

/// An input event as the WIT event delivered to detectors; `None` for heartbeats.
pub fn event(
    id: u64,
    source: &str,
    arrival_ms: u64,
    input: &model::InputEvent,
) -> Option<we::Event> {
    let payload = if let Some(delta) = input.topology_delta() {
        we::EventPayload::Topology(wt::TopologyDelta {
            sequence: delta.sequence,
            snapshot: delta.snapshot,
            changes: delta.changes.iter().map(topology_change).collect(),
        })
    } else if let Some(sample) = input.telemetry_sample() {
        we::EventPayload::Telemetry(wt::TelemetrySample {
            subject: sample.subject,
            metric: sample.metric,
            value: sample.value,
            timestamp_ms: if sample.timestamp_ms == 0 {
                arrival_ms
            } else {
                sample.timestamp_ms
            },
        })
    } else if let model::InputEvent::Flows(window) = input {
        we::EventPayload::Flows(wf::FlowWindow {
            start_ms: window.start_ms,
            end_ms: window.end_ms,
            flows: flow_batch(&window.flows),
        })
    } else {
        return None;
    };
    let timestamp_ms = match input.timestamp_ms() {
        0 => arrival_ms,
        timestamp_ms => timestamp_ms,
    };
    Some(we::Event {
        id,
        source: source.to_owned(),
        timestamp_ms,
        payload,
    })
}

/// WIT event kinds as model event kinds.
pub(crate) fn event_kind(kind: we::EventKind) -> EventKind {
    match kind {
        we::EventKind::Topology => EventKind::Topology,
        we::EventKind::Telemetry => EventKind::Telemetry,
        we::EventKind::Flows => EventKind::Flows,
    }
}

/// A WIT severity as a model severity.
pub fn severity(severity: wa::Severity) -> model::Severity {
    match severity {
        wa::Severity::Info => model::Severity::Info,
        wa::Severity::Warning => model::Severity::Warning,
        wa::Severity::Minor => model::Severity::Minor,
        wa::Severity::Major => model::Severity::Major,
        wa::Severity::Critical => model::Severity::Critical,
    }
}

fn pattern_name(pattern: wa::Pattern) -> &'static str {
    match pattern {
        wa::Pattern::Drop => "drop",
        wa::Pattern::Spike => "spike",
        wa::Pattern::MeanShift => "mean-shift",
        wa::Pattern::SeasonalityShift => "seasonality-shift",
        wa::Pattern::Trend => "trend",
        wa::Pattern::Other => "other",
    }
}

fn plane_name(plane: wa::NetworkPlane) -> &'static str {
    match plane {
        wa::NetworkPlane::Forwarding => "forwarding",
        wa::NetworkPlane::Control => "control",
        wa::NetworkPlane::Management => "management",
    }
}

/// Where an anomaly came from.
pub struct AnomalyOrigin<'a> {
    /// Host-assigned anomaly id.
    pub anomaly_id: String,
    /// Registry name of the detector.
    pub detector: &'a str,
    /// Its version.
    pub detector_version: &'a str,
    /// Event id.
    pub event_id: u64,
    /// RFC 3339 detection time.
    pub detected_at: String,
}

/// A WIT anomaly as a record; scores outside 0..1 are clamped, NaN becomes 0.
pub fn anomaly_record(anomaly: &wa::Anomaly, origin: AnomalyOrigin<'_>) -> model::AnomalyRecord {
    let unit = |value: f64| {
        if value.is_nan() {
            0.0
        } else {
            value.clamp(0.0, 1.0)
        }
    };
    model::AnomalyRecord {
        anomaly_id: origin.anomaly_id,
        kind: anomaly.kind.clone(),
        score: unit(anomaly.score),
        confidence: unit(anomaly.confidence),
        contributing_node_ids: anomaly.nodes.clone(),
        contributing_link_ids: anomaly.links.clone(),
        flow_keys: anomaly.flows.iter().filter_map(flow_key_record).collect(),
        description: anomaly.description.clone(),
        pattern: pattern_name(anomaly.pattern).to_owned(),
        symptom: SymptomRecord {
            id: anomaly.symptom.id.clone(),
            action: anomaly.symptom.action.clone(),
            reason: anomaly.symptom.reason.clone(),
            trigger: anomaly.symptom.trigger.clone(),
            network_plane: plane_name(anomaly.symptom.network_plane).to_owned(),
            concern_score: anomaly.symptom.concern_score.min(100),
        },
        detector: origin.detector.to_owned(),
        detector_version: origin.detector_version.to_owned(),
        event_id: origin.event_id,
        detected_at: origin.detected_at,
        evidence: None,
        incident_id: None,
    }
}

fn flow_key_record(key: &wf::FlowKey) -> Option<FlowKeyRecord> {
    Some(FlowKeyRecord {
        src: addr_from_bytes(&key.src_addr)?,
        dst: addr_from_bytes(&key.dst_addr)?,
        src_port: key.src_port,
        dst_port: key.dst_port,
        protocol: key.protocol,
    })
}

/// The JSON form of a detector's evidence; non-finite numbers become 0 (JSON has none).
pub fn evidence_record(evidence: &wv::AnomalyEvidence) -> model::EvidenceRecord {
    use model::evidence::{FeatureDeviationRecord, FlowEvidenceRecord, MeasureRecord};
    let finite = |value: f64| if value.is_finite() { value } else { 0.0 };
    model::EvidenceRecord {
        attackers: evidence.attackers.clone(),
        attacker_count: evidence.attacker_count,
        victims: evidence.victims.clone(),
        services: evidence.services.clone(),
        first_seen_ms: evidence.first_seen_ms,
        last_seen_ms: evidence.last_seen_ms,
        flows: evidence
            .flows
            .iter()
            .filter_map(|flow| {
                Some(FlowEvidenceRecord {
                    key: flow_key_record(&flow.key)?,
                    score: finite(flow.score),
                    bytes: flow.bytes,
                    packets: flow.packets,
                    start_ms: flow.start_ms,
                    end_ms: flow.end_ms,
                    tcp_flags: flow.tcp_flags,
                    features: flow
                        .features
                        .iter()
                        .map(|feature| FeatureDeviationRecord {
                            name: feature.name.clone(),
                            observed: finite(feature.observed),
                            expected: finite(feature.expected),
                            deviation: finite(feature.deviation),
                        })
                        .collect(),
                })
            })
            .collect(),
        measures: evidence
            .measures
            .iter()
            .map(|measure| MeasureRecord {
                name: measure.name.clone(),
                value: finite(measure.value),
            })
            .collect(),
        alerting: evidence.alerting,
    }
}

/// A plugin-returned error as text.
pub fn plugin_error(error: &wp::PluginError) -> String {
    match error {
        wp::PluginError::InvalidConfig(text) => format!("invalid config: {text}"),
        wp::PluginError::InvalidInput(text) => format!("invalid input: {text}"),
        wp::PluginError::Unsupported(text) => format!("unsupported: {text}"),
        wp::PluginError::Other(text) => text.clone(),
    }
}
