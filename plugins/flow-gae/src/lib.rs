//! Flow graph autoencoder detector: each flow window goes to the host's `flow-gae` ONNX model
//! (hosts as nodes, flows as edges; see `models/flow-gae.md`), which scores every flow by how
//! badly its volume, duration and TCP flags are predicted from its two hosts and its service.
//! Flows at or above the threshold (the model's own, or `threshold`) are reported as
//! `flow-gae` anomalies, one per hub — of each flagged flow's two hosts the one with more
//! flagged flows: a flood's victim, a scanner — with its peers and highest-scoring flows.

use std::collections::BTreeMap;

use netassure_flowgraph::gae::{FLOW_COLUMNS, GaeInputs, HOST_COLUMNS};
use netassure_flowgraph::{HostGraph, flow_slices};
use netassure_plugin_sdk::flows::addr_from_bytes;
use netassure_plugin_sdk::host::inference::{self, InferenceError, Tensor, TensorData};
use netassure_plugin_sdk::prelude::*;

/// Configuration.
#[derive(Debug, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// The model to run.
    pub model: String,
    /// Score at or above which a flow is anomalous; default: the model's own threshold.
    pub threshold: Option<f64>,
    /// Flows listed in one anomaly, highest scores first.
    pub max_flows: usize,
    /// A hub is reported only with at least this many flagged flows in the window.
    pub min_flows: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            model: "flow-gae".into(),
            threshold: None,
            max_flows: 20,
            min_flows: 1,
        }
    }
}

/// The detector.
#[derive(Default)]
pub struct FlowGae {
    config: Config,
}

fn tensor(name: &str, shape: Vec<u64>, data: TensorData) -> Tensor {
    Tensor {
        name: name.into(),
        shape,
        data,
    }
}

/// The model's inputs as WIT tensors.
pub fn model_inputs(inputs: GaeInputs) -> Vec<Tensor> {
    let (flows, hosts) = (inputs.flow_count() as u64, inputs.host_count() as u64);
    vec![
        tensor(
            "flows",
            vec![flows, FLOW_COLUMNS as u64],
            TensorData::Float32(inputs.flows),
        ),
        tensor("src", vec![flows], TensorData::Int64(inputs.src)),
        tensor("dst", vec![flows], TensorData::Int64(inputs.dst)),
        tensor(
            "hosts",
            vec![hosts, HOST_COLUMNS as u64],
            TensorData::Float32(inputs.hosts),
        ),
    ]
}

/// The per-flow scores and the model's threshold from its outputs.
fn scores_and_threshold(outputs: Vec<Tensor>) -> Result<(Vec<f32>, Option<f32>), PluginError> {
    let mut scores = None;
    let mut threshold = None;
    for output in outputs {
        match (output.name.as_str(), output.data) {
            ("score", TensorData::Float32(values)) => scores = Some(values),
            ("threshold", TensorData::Float32(values)) => threshold = values.first().copied(),
            _ => {}
        }
    }
    let scores =
        scores.ok_or_else(|| PluginError::Other("the model returned no float `score`".into()))?;
    Ok((scores, threshold))
}

impl FlowGae {
    fn report(
        &self,
        window: &FlowWindow,
        graph: &HostGraph,
        scores: &[f32],
        threshold: f64,
    ) -> Vec<Anomaly> {
        let flagged: Vec<usize> = (0..scores.len())
            .filter(|&flow| f64::from(scores[flow]) >= threshold)
            .collect();
        by_hub(graph, &flagged)
            .into_iter()
            .filter(|(_, flows)| flows.len() >= self.config.min_flows)
            .map(|(hub, mut flows)| {
                flows.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
                let top = f64::from(scores[flows[0]]);
                let hub_addr = graph.host_addr(hub as usize).to_string();
                let mut anomaly = AnomalyBuilder::new(
                    "flow-gae",
                    (0.5 + 0.5 * (1.0 - threshold / top)).clamp(0.5, 1.0),
                )
                .node(&hub_addr)
                .pattern(Pattern::Other)
                .symptom(
                    "deviates",
                    "flow-graph",
                    "flows unlike benign traffic between such hosts",
                )
                .description(format!(
                    "{} flows of {hub_addr} scored at or above {threshold:.3} (highest {top:.3})",
                    flows.len()
                ));
                let mut peers: Vec<String> = Vec::new();
                for &flow in flows.iter().take(self.config.max_flows) {
                    let key = window.flows.key(flow);
                    let src = addr_from_bytes(&key.src_addr).to_string();
                    let peer = if src == hub_addr {
                        addr_from_bytes(&key.dst_addr).to_string()
                    } else {
                        src
                    };
                    if !peers.contains(&peer) {
                        peers.push(peer);
                    }
                    anomaly = anomaly.flow(key);
                }
                for peer in peers.iter().take(10) {
                    anomaly = anomaly.node(peer);
                }
                anomaly.build()
            })
            .collect()
    }
}

/// Flagged flows grouped by their hub: of a flow's two hosts, the one with more flagged flows
/// (the source on a tie). A flood from thousands of sources is one anomaly at its victim, a
/// scan one at its scanner.
pub fn by_hub(graph: &HostGraph, flagged: &[usize]) -> BTreeMap<u32, Vec<usize>> {
    let ends = |flow: usize| {
        let edge = graph.flow_edge[flow] as usize;
        (graph.edge_src[edge], graph.edge_dst[edge])
    };
    let mut count: BTreeMap<u32, usize> = BTreeMap::new();
    for &flow in flagged {
        let (src, dst) = ends(flow);
        *count.entry(src).or_default() += 1;
        *count.entry(dst).or_default() += 1;
    }
    let mut hubs: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    for &flow in flagged {
        let (src, dst) = ends(flow);
        let hub = if count[&dst] > count[&src] { dst } else { src };
        hubs.entry(hub).or_default().push(flow);
    }
    hubs
}

impl Detector for FlowGae {
    type Config = Config;

    fn describe() -> PluginInfo {
        Describe::detector("flow-gae", env!("CARGO_PKG_VERSION"))
            .description("Graph autoencoder over flow windows (ONNX model run by the host): flows unlike benign traffic")
            .subscribe(EventKind::Flows)
            .field(ConfigField::string("model", "Model to run", "flow-gae"))
            .field(ConfigField::optional("threshold", "float", "Score that counts as anomalous (default: the model's own)"))
            .field(ConfigField::integer("max_flows", "Flows listed per anomaly", 20))
            .field(ConfigField::integer("min_flows", "Flagged flows a hub needs in a window to be reported", 1))
            .build()
    }

    fn configure(&mut self, config: Config) -> Result<(), PluginError> {
        if config.model.is_empty() {
            return Err(PluginError::InvalidConfig("model must name a model".into()));
        }
        if config.threshold.is_some_and(|t| !t.is_finite() || t < 0.0) {
            return Err(PluginError::InvalidConfig(
                "threshold must be a non-negative number".into(),
            ));
        }
        self.config = config;
        Ok(())
    }

    fn on_event(&mut self, event: Event) -> Result<Vec<Finding>, PluginError> {
        let EventPayload::Flows(window) = event.payload else {
            return Ok(vec![]);
        };
        if window.flows.is_empty() {
            return Ok(vec![]);
        }
        let graph = host::flows::window_graph()
            .ok_or_else(|| PluginError::Other("the host gave no graph for a flow window".into()))?;
        let inputs = GaeInputs::new(&graph, &flow_slices!(window.flows));
        let outputs =
            inference::run(&self.config.model, &model_inputs(inputs)).map_err(|err| match err {
                InferenceError::NotAvailable => {
                    PluginError::Unsupported("the host has no inference service".into())
                }
                InferenceError::UnknownModel(name) => {
                    PluginError::InvalidConfig(format!("the host has no model `{name}`"))
                }
                InferenceError::InvalidInput(reason) => PluginError::InvalidInput(reason),
                InferenceError::Other(reason) => PluginError::Other(reason),
            })?;
        let (scores, model_threshold) = scores_and_threshold(outputs)?;
        if scores.len() != window.flows.len() {
            return Err(PluginError::Other(format!(
                "{} scores for {} flows",
                scores.len(),
                window.flows.len()
            )));
        }
        let threshold = self
            .config
            .threshold
            .or(model_threshold.map(f64::from))
            .ok_or_else(|| {
                PluginError::InvalidConfig(
                    "the model has no threshold output: set `threshold`".into(),
                )
            })?;
        Ok(self
            .report(&window, &graph, &scores, threshold)
            .into_iter()
            .map(Finding::from)
            .collect())
    }
}

export_detector!(FlowGae);

#[cfg(test)]
mod tests {
    use netassure_plugin_sdk::flows::FlowRecord;
    use netassure_plugin_sdk::testing::{flows_event, host_addr};

    use super::*;

    fn flow(src: u32, dst: u32) -> FlowRecord {
        FlowRecord {
            src: host_addr(src),
            dst: host_addr(dst),
            src_port: 40_000,
            dst_port: 80,
            protocol: 17,
            tcp_flags: 0,
            bytes: 1_000,
            packets: 10,
            start_ms: 0,
            end_ms: 10,
        }
    }

    #[test]
    fn a_flood_is_grouped_at_its_victim_and_a_scan_at_its_scanner() {
        // Flows 0..=4: five sources → host 100; flows 5..=7: host 200 → three targets.
        let mut records: Vec<FlowRecord> = (1..=5).map(|s| flow(s, 100)).collect();
        records.extend((1..=3).map(|d| flow(200, 300 + d)));
        records.push(flow(7, 8)); // not flagged
        flows_event(0, 1_000, FlowBatch::from_records("test", &records));
        let graph = host::flows::window_graph().unwrap();
        let hubs = by_hub(&graph, &[0, 1, 2, 3, 4, 5, 6, 7]);
        let named: Vec<(String, usize)> = hubs
            .iter()
            .map(|(&hub, flows)| (graph.host_addr(hub as usize).to_string(), flows.len()))
            .collect();
        assert_eq!(
            named,
            [("10.0.0.100".to_string(), 5), ("10.0.0.200".to_string(), 3)]
        );
    }

    #[test]
    fn without_an_inference_service_the_detector_says_so() {
        let mut detector = FlowGae::default();
        detector.configure(Config::default()).unwrap();
        let event = flows_event(0, 1_000, FlowBatch::from_records("test", &[flow(1, 2)]));
        let error = detector.on_event(event).unwrap_err();
        assert!(matches!(error, PluginError::Unsupported(_)), "{error:?}");
        assert!(
            detector
                .configure(Config {
                    threshold: Some(-1.0),
                    ..Config::default()
                })
                .is_err()
        );
    }
}
