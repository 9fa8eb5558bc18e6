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
}

impl Default for Config {
    fn default() -> Self {
        Config {
            model: "flow-gae".into(),
            threshold: None,
            max_flows: 20,
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

    fn on_event(&mut self, event: Event) -> Result<Vec<Anomaly>, PluginError> {
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
        Ok(self.report(&window, &graph, &scores, threshold))
    }
}

export_detector!(FlowGae);
