//! Trains `flow-gae`, the graph autoencoder over flow windows, on CPU in Rust (candle) and writes
//! it as an ONNX model that ONNX Runtime runs — no Python anywhere.
//!
//! A flow window is a graph: hosts are nodes, every flow is a directed edge
//! ([`GaeInputs`], built by `netassure-flowgraph` exactly as the detector plugin builds it). The
//! model is trained on benign windows only and scores each flow by how badly its volume,
//! duration and TCP flags are predicted from its two hosts and its service; it also says what it
//! expected of each [`TARGET_FEATURES`] (in natural units) and by how much the flow deviates.
//!
//! ```no_run
//! use netassure_gae::{FlowGae, TrainConfig};
//! # fn windows() -> Vec<netassure_flowgraph::gae::GaeInputs> { Vec::new() }
//! let benign = windows(); // e.g. netassure_gae::data::read_windows(path, 10_000, 100_000)
//! let model = FlowGae::train(&benign, &TrainConfig::default(), |p| {
//!     eprintln!("epoch {}/{}: loss {:.4}", p.epoch, p.epochs, p.loss)
//! })?;
//! let threshold = model.threshold(); // from held-back benign windows
//! std::fs::write("models/flow-gae.onnx", model.to_onnx(threshold))?;
//! std::fs::write("models/flow-gae.toml", model.card().to_toml())?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The ONNX graph computes exactly what [`FlowGae::score`] computes (features included); the
//! crate's tests run it through ONNX Runtime and compare.

mod card;
pub mod data;
mod export;
mod features;
mod lookup;
pub mod metrics;
mod model;
mod onnx;
mod train;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

pub use card::{ModelCard, TensorSpec};
pub use netassure_flowgraph::gae::{GaeInputs, TARGET_FEATURES};

use features::{FeatureSpec, Scaling};
use model::Parameters;

/// How to train. `Default` is the shipped model's settings.
#[derive(Debug, Clone)]
pub struct TrainConfig {
    /// Passes over the training windows.
    pub epochs: usize,
    /// At most this many windows per batch (trained as one disjoint graph).
    pub batch_windows: usize,
    /// A batch takes windows until it would pass this many flows (a larger window is a batch
    /// of its own). Kept under 1,700 so that candle's element-wise operations (at most 36
    /// values per flow) stay below the 64k elements from which candle 0.11 spreads them over
    /// its spinning worker threads, which made training 4–6× slower on a busy 2-core machine.
    pub batch_flows: usize,
    /// Adam's learning rate.
    pub learning_rate: f64,
    /// Seed of the initial weights and of the batch order: the same windows and settings give
    /// the same model.
    pub seed: u64,
    /// Threads for training (a private thread pool).
    pub threads: usize,
    /// Each epoch, each window loses a random share of up to this much of its flows (its hosts
    /// recounted), so the model meets the same hosts in many mixes of flows and does not rest
    /// on the exact mix of one window; 0 trains on the windows as they are.
    pub flow_dropout: f64,
    /// Share of the windows held back (every k-th) to place the threshold; 0 holds back none.
    pub holdout: f64,
    /// False-positive rate the threshold aims at on the held-back windows. Another day of the
    /// same network scores a little higher than held-back windows of the training day: 0.5%
    /// there came out at 0.6–0.8% on other benign days (1% at 1.3–1.5%).
    pub target_fpr: f64,
    /// Set to stop training early ([`TrainError::Cancelled`]).
    pub cancel: Option<Arc<AtomicBool>>,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            epochs: 20,
            batch_windows: 64,
            batch_flows: 1_600,
            flow_dropout: 0.5,
            learning_rate: 2e-3,
            seed: 7,
            threads: 1,
            holdout: 0.1,
            target_fpr: 0.005,
            cancel: None,
        }
    }
}

/// Training progress, after each epoch.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    /// Epochs done (1-based).
    pub epoch: usize,
    /// Epochs in all.
    pub epochs: usize,
    /// Mean training loss of this epoch (mean score of the flows of a batch, averaged).
    pub loss: f64,
    /// Seconds since training started.
    pub elapsed_s: f64,
}

/// What training did, for the card.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainingSummary {
    /// Windows trained on.
    pub windows: usize,
    /// Flows trained on.
    pub flows: usize,
    /// Windows held back for the threshold.
    pub holdout_windows: usize,
    /// Flows held back.
    pub holdout_flows: usize,
    /// Epochs.
    pub epochs: usize,
    /// Mean loss of the last epoch.
    pub loss: f64,
    /// Mean score of the held-back flows.
    pub holdout_loss: f64,
    /// The false-positive rate aimed at.
    pub target_fpr: f64,
    /// [`threshold_for_fpr`] of the held-back flows' scores at `target_fpr` (infinite without
    /// held-back flows).
    pub threshold: f32,
    /// The same at other rates: `(fpr, threshold)` for [`HOLDOUT_FPRS`], to pick another
    /// operating point without retraining.
    pub thresholds: Vec<(f64, f32)>,
    /// Seed.
    pub seed: u64,
    /// Wall time of training, seconds.
    pub seconds: f64,
}

/// The false-positive rates [`TrainingSummary::thresholds`] lists.
pub const HOLDOUT_FPRS: [f64; 7] = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05];

/// A trained model: its parameters and the feature scaling of its training set.
#[derive(Debug, Clone, PartialEq)]
pub struct FlowGae {
    spec: FeatureSpec,
    params: Parameters,
    scaling: Scaling,
    summary: TrainingSummary,
}

/// Per-flow outputs for one window (row-major, `T` = [`TARGET_FEATURES`]`.len()`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scores {
    /// `[F]`: the anomaly score, the mean of the squared deviations.
    pub score: Vec<f32>,
    /// `[F, T]`: what the model expected, in natural units (bytes, packets, bytes per packet,
    /// duration ms; the probability of each TCP flag).
    pub expected: Vec<f32>,
    /// `[F, T]`: standardised residual, observed − expected.
    pub deviation: Vec<f32>,
}

/// A window the model cannot take.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    /// Column counts do not fit.
    #[error("{0}")]
    Shape(String),
    /// A flow names a host that is not there.
    #[error("flow {flow}: host index {index} is not in 0..{hosts}")]
    HostIndex {
        /// The flow.
        flow: usize,
        /// Its index.
        index: i64,
        /// Hosts in the window.
        hosts: usize,
    },
}

/// Why training failed.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// A window is malformed.
    #[error("window {index}: {source}")]
    Input {
        /// Its position in the input.
        index: usize,
        /// What is wrong.
        source: InputError,
    },
    /// Nothing to train on.
    #[error("no flows to train on")]
    NoFlows,
    /// The loss became infinite or NaN.
    #[error("training diverged in epoch {epoch}")]
    Diverged {
        /// The epoch.
        epoch: usize,
    },
    /// [`TrainConfig::cancel`] was set.
    #[error("training cancelled")]
    Cancelled,
    /// The thread pool could not be made.
    #[error("thread pool: {0}")]
    Threads(String),
    /// The tensor library failed.
    #[error("candle: {0}")]
    Candle(#[from] candle_core::Error),
}

/// Check the shapes and host indexes of `window`.
pub fn validate(window: &GaeInputs) -> Result<(), InputError> {
    use netassure_flowgraph::gae::{FLOW_COLUMNS, HOST_COLUMNS};
    let flows = window.src.len();
    if window.dst.len() != flows || window.flows.len() != flows * FLOW_COLUMNS {
        return Err(InputError::Shape(format!(
            "{} src, {} dst and {} flow values (want {} per flow)",
            flows,
            window.dst.len(),
            window.flows.len(),
            FLOW_COLUMNS
        )));
    }
    if !window.hosts.len().is_multiple_of(HOST_COLUMNS) {
        return Err(InputError::Shape(format!(
            "{} host values, not a multiple of {HOST_COLUMNS}",
            window.hosts.len()
        )));
    }
    let hosts = window.host_count();
    for (flow, (&s, &d)) in window.src.iter().zip(&window.dst).enumerate() {
        for index in [s, d] {
            if index < 0 || index as usize >= hosts {
                return Err(InputError::HostIndex { flow, index, hosts });
            }
        }
    }
    Ok(())
}

impl FlowGae {
    /// Train on `windows` (benign traffic) with `config`; `on_progress` hears after each epoch.
    pub fn train(
        windows: &[GaeInputs],
        config: &TrainConfig,
        mut on_progress: impl FnMut(&Progress),
    ) -> Result<FlowGae, TrainError> {
        train::train(windows, config, &mut on_progress)
    }

    /// The forward pass over one window (what the ONNX graph computes).
    pub fn score(&self, window: &GaeInputs) -> Result<Scores, InputError> {
        validate(window)?;
        let (score, expected, deviation) =
            train::score_window(self, window).map_err(|err| InputError::Shape(err.to_string()))?;
        Ok(Scores {
            score,
            expected,
            deviation,
        })
    }

    /// The ONNX model (opset 18) with `threshold` as its `threshold` output.
    pub fn to_onnx(&self, threshold: f32) -> Vec<u8> {
        use prost::Message;
        export::model(self, threshold).encode_to_vec()
    }

    /// The threshold from the held-back benign windows at [`TrainConfig::target_fpr`].
    pub fn threshold(&self) -> f32 {
        self.summary.threshold
    }

    /// What training did.
    pub fn summary(&self) -> &TrainingSummary {
        &self.summary
    }

    /// The card the host reads (`flow-gae.toml`), with [`threshold`](Self::threshold); set
    /// [`ModelCard::threshold`] if the ONNX file was written with another.
    pub fn card(&self) -> ModelCard {
        card::card(self)
    }
}

/// The threshold at which at most `target_fpr` of `benign_scores` are flagged (a flow is
/// flagged when its score is at or above the threshold): just above the score of the
/// `⌊target_fpr · n⌋ + 1`-th highest. Infinite (flag nothing) for no scores.
pub fn threshold_for_fpr(benign_scores: &[f32], target_fpr: f64) -> f32 {
    let mut sorted: Vec<f32> = benign_scores
        .iter()
        .copied()
        .filter(|s| !s.is_nan())
        .collect();
    if sorted.is_empty() {
        return f32::INFINITY;
    }
    sorted.sort_by(|a, b| b.total_cmp(a));
    let allowed = (target_fpr.clamp(0.0, 1.0) * sorted.len() as f64).floor() as usize;
    match sorted.get(allowed) {
        Some(&score) => score.next_up(),
        None => *sorted.last().expect("not empty"),
    }
}

#[cfg(test)]
mod tests;
