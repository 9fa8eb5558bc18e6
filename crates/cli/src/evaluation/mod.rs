//! `netassure eval`: run a flow model over a labelled flow file (NIDS CSV or labelled JSON
//! lines), window by window as the host would, and measure how well its scores separate attacks
//! from benign flows — overall, per attack class, at the model's threshold — with ROC and
//! precision-recall curves as PNG.

pub mod detection;
pub mod incidents;
pub mod labels;
mod plot;

use std::path::Path;

use anyhow::Context;
pub use netassure_host::learning::train::gae_tensors;
use netassure_netflow::files::{FlowFile, Window};

pub use netassure_gae::metrics::{ClassReport, Report, evaluate, pr_curve, roc_curve, tpr_at_fpr};
pub use plot::{plot_pr, plot_roc};

use netassure_host::ingest::FlowFilesConfig;
use netassure_inference::{InferenceService, NamedTensor};

/// Every flow's score with its label.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scored {
    /// Scores, one per flow.
    pub scores: Vec<f32>,
    /// True for attack flows.
    pub attack: Vec<bool>,
    /// Attack class (`Benign` for benign flows).
    pub class: Vec<String>,
    /// The model's threshold, if it has a `threshold` output.
    pub model_threshold: Option<f32>,
    /// Windows scored.
    pub windows: u64,
    /// Seconds spent in the model.
    pub model_seconds: f64,
}

impl Scored {
    /// Add the flows of `other` (another file scored with the same model).
    pub fn append(&mut self, other: Scored) {
        self.scores.extend(other.scores);
        self.attack.extend(other.attack);
        self.class.extend(other.class);
        self.model_threshold = self.model_threshold.or(other.model_threshold);
        self.windows += other.windows;
        self.model_seconds += other.model_seconds;
    }
}

/// Score every flow of `path` with `model` (a `flow-gae`-shaped model), window by window.
pub fn score_file(
    service: &InferenceService,
    model: &str,
    path: &Path,
    config: &FlowFilesConfig,
    labels: Option<&labels::Labels>,
    mut progress: impl FnMut(u64, u64),
) -> anyhow::Result<Scored> {
    let mut file = FlowFile::open_with(path, config.probe())?;
    let mut scored = Scored::default();
    file.for_each_window(config.window_ms, config.window_flows, |mut window, file| {
        if let Some(labels) = labels {
            relabel(&mut window, labels);
        }
        score_window(service, model, window, &mut scored)?;
        progress(file.bytes_read(), file.size());
        Ok::<(), anyhow::Error>(())
    })?;
    Ok(scored)
}

/// Label every flow of `window` from `labels`: a flow between an attack's attacker and victim
/// within its span belongs to it (either direction), every other flow is benign.
fn relabel(window: &mut Window, labels: &labels::Labels) {
    let address = |bytes: [u8; 16]| {
        let v6 = std::net::Ipv6Addr::from(bytes);
        v6.to_ipv4_mapped()
            .map_or(std::net::IpAddr::V6(v6), std::net::IpAddr::V4)
    };
    let flows = &window.flows;
    for (i, label) in window.labels.iter_mut().enumerate() {
        let attack = labels.attack_of(
            address(flows.src_addr[i]),
            address(flows.dst_addr[i]),
            flows.start_ms[i],
            flows.end_ms[i],
            0,
        );
        label.attack = attack.is_some();
        label.class = attack.map_or_else(|| "Benign".to_owned(), |a| a.class.clone());
    }
}

fn score_window(
    service: &InferenceService,
    model: &str,
    window: Window,
    scored: &mut Scored,
) -> anyhow::Result<()> {
    let tensors = gae_tensors(&window.flows);
    let started = std::time::Instant::now();
    let outputs = service
        .run(model, &tensors)
        .with_context(|| format!("running {model}"))?;
    scored.model_seconds += started.elapsed().as_secs_f64();
    let scores = outputs
        .iter()
        .find(|t| t.name == "score")
        .and_then(NamedTensor::as_f32)
        .context("the model has no float `score` output")?;
    anyhow::ensure!(
        scores.len() == window.labels.len(),
        "{} scores for {} flows",
        scores.len(),
        window.labels.len()
    );
    if let Some(threshold) = outputs
        .iter()
        .find(|t| t.name == "threshold")
        .and_then(NamedTensor::as_f32)
    {
        scored.model_threshold = threshold.first().copied();
    }
    scored.scores.extend_from_slice(scores);
    for label in window.labels {
        scored.attack.push(label.attack);
        scored.class.push(label.class);
    }
    scored.windows += 1;
    Ok(())
}
