//! The model's card for the host (`flow-gae.toml`): the same layout as the host's
//! `inference::models::ModelCard` (which denies unknown fields), so `to_toml()` is what the host
//! reads.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::FlowGae;
use crate::features::TARGETS;
use netassure_flowgraph::gae::TARGET_FEATURES;

/// Version of the model (architecture and features); the host shows it in `GET /models`.
pub const VERSION: &str = "2.1.0";

/// One input or output of a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TensorSpec {
    /// Name in the graph.
    pub name: String,
    /// Element type: `float32` or `int64`.
    pub dtype: String,
    /// Dimensions: a number, or a name for a dimension that varies.
    pub shape: Vec<toml::Value>,
    /// What it holds.
    #[serde(default)]
    pub description: String,
}

/// `NAME.toml`: what the host and clients need to know about a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelCard {
    /// Model version.
    pub version: String,
    /// What it does.
    pub description: String,
    /// Inputs, in order.
    pub inputs: Vec<TensorSpec>,
    /// Outputs, in order.
    pub outputs: Vec<TensorSpec>,
    /// Score at or above which a flow is anomalous.
    #[serde(default)]
    pub threshold: Option<f64>,
    /// Feature scaling constants baked into the model, by name.
    #[serde(default)]
    pub scaling: BTreeMap<String, Vec<f64>>,
    /// What it was trained on and how (free-form).
    #[serde(default)]
    pub training: BTreeMap<String, toml::Value>,
}

impl ModelCard {
    /// The card as TOML.
    pub fn to_toml(&self) -> String {
        let body = toml::to_string(self).expect("a card always serialises");
        format!(
            "# Written by netassure-gae (models/flow-gae); the model card is models/flow-gae.md.\n{body}"
        )
    }
}

fn spec(name: &str, dtype: &str, shape: &[toml::Value], description: &str) -> TensorSpec {
    TensorSpec {
        name: name.into(),
        dtype: dtype.into(),
        shape: shape.to_vec(),
        description: description.into(),
    }
}

fn dim(name: &str) -> toml::Value {
    toml::Value::String(name.into())
}

fn size(n: usize) -> toml::Value {
    toml::Value::Integer(n as i64)
}

/// The inputs, in graph order.
pub fn inputs() -> Vec<TensorSpec> {
    vec![
        spec(
            "flows",
            "float32",
            &[dim("flows"), size(6)],
            "per flow: bytes, packets, duration ms, IP protocol, TCP flags, destination port",
        ),
        spec(
            "src",
            "int64",
            &[dim("flows")],
            "host index of each flow's source",
        ),
        spec(
            "dst",
            "int64",
            &[dim("flows")],
            "host index of each flow's destination",
        ),
        spec(
            "hosts",
            "float32",
            &[dim("hosts"), size(3)],
            "per host: flows sent, flows received, 1 if the address is private (RFC 1918 / ULA) else 0",
        ),
    ]
}

/// The outputs, in graph order.
pub fn outputs() -> Vec<TensorSpec> {
    let targets = TARGET_FEATURES.join(", ");
    vec![
        spec(
            "score",
            "float32",
            &[dim("flows")],
            "anomaly score per flow: mean squared deviation; at or above the threshold is anomalous",
        ),
        spec(
            "threshold",
            "float32",
            &[size(1)],
            "the threshold below, carried by the model so plugins need no copy of it",
        ),
        spec(
            "expected",
            "float32",
            &[dim("flows"), size(TARGETS)],
            &format!(
                "what the model expected of each flow ({targets}): bytes, packets, bytes per packet, duration ms, probability of each TCP flag, probability of the flow's service between such hosts"
            ),
        ),
        spec(
            "deviation",
            "float32",
            &[dim("flows"), size(TARGETS)],
            &format!(
                "standardised (deviance) residual per target ({targets}), signed observed − expected; the score is the mean of their squares"
            ),
        ),
    ]
}

/// [`FlowGae::card`].
pub fn card(model: &FlowGae) -> ModelCard {
    let s = &model.summary;
    let floats = |v: &[f32]| v.iter().map(|&x| f64::from(x)).collect::<Vec<_>>();
    let mut scaling = BTreeMap::new();
    scaling.insert("volume_mean".into(), floats(&model.scaling.mean));
    scaling.insert("volume_std".into(), floats(&model.scaling.std));
    scaling.insert("host_mean".into(), floats(&model.scaling.host_mean));
    scaling.insert("host_std".into(), floats(&model.scaling.host_std));
    let ports = model.spec.ports.iter().map(|&p| f64::from(p)).collect();
    scaling.insert("own_ports".into(), ports);
    let mut training = BTreeMap::new();
    let mut put = |key: &str, value: toml::Value| {
        training.insert(key.to_owned(), value);
    };
    put(
        "features",
        toml::Value::Array(
            model
                .spec
                .names()
                .into_iter()
                .map(toml::Value::String)
                .collect(),
        ),
    );
    put(
        "targets",
        toml::Value::Array(TARGET_FEATURES.iter().map(|t| dim(t)).collect()),
    );
    put("windows", size(s.windows));
    put("flows", size(s.flows));
    put("holdout_windows", size(s.holdout_windows));
    put("holdout_flows", size(s.holdout_flows));
    put(
        "threshold_from",
        toml::Value::String(format!(
            "scores of the held-back benign flows: at most {:.2}% reach it",
            s.target_fpr * 100.0
        )),
    );
    let table = |i: usize| -> toml::Value {
        let column = s.thresholds.iter().map(|row| {
            let v = if i == 0 { row.0 } else { f64::from(row.1) };
            toml::Value::Float(round(v))
        });
        toml::Value::Array(column.collect())
    };
    put("holdout_fpr", table(0));
    put("holdout_threshold", table(1));
    put("epochs", size(s.epochs));
    put("loss", toml::Value::Float(round(s.loss)));
    put("holdout_loss", toml::Value::Float(round(s.holdout_loss)));
    put("seed", toml::Value::Integer(s.seed as i64));
    put(
        "seconds",
        toml::Value::Float((s.seconds * 10.0).round() / 10.0),
    );
    put("parameters", size(model.params.count()));
    put(
        "trainer",
        toml::Value::String(format!("netassure-gae {}", env!("CARGO_PKG_VERSION"))),
    );
    ModelCard {
        version: VERSION.into(),
        description: "Graph autoencoder over a flow window: hosts as nodes, flows as edges; the score of a flow is how unlikely its volume, duration, TCP flags and service are between its two hosts, as learned from the network's own benign traffic".into(),
        inputs: inputs(),
        outputs: outputs(),
        threshold: s.threshold.is_finite().then_some(f64::from(s.threshold)),
        scaling,
        training,
    }
}

fn round(x: f64) -> f64 {
    if x.is_finite() {
        (x * 1e6).round() / 1e6
    } else {
        -1.0
    }
}
