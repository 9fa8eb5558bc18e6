//! Training a `flow-gae` model of this network and putting it in service: train on benign
//! windows (the Rust trainer, `netassure-gae`), set the threshold from held-back benign windows
//! for the target false-positive rate, check that ONNX Runtime computes what the trainer
//! computes (within 1e-5) before anything is written, then install it — the previous model kept
//! under `previous/` for rollback — and let the model registry load it.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use netassure_flowgraph::gae::{FLOW_COLUMNS, HOST_COLUMNS};
use netassure_gae::{FlowGae, GaeInputs, Progress, TrainConfig};

use crate::inference::{InferenceConfig, InferenceService, ModelSettings, NamedTensor};

/// Largest difference allowed between ONNX Runtime and the trainer's forward pass, relative to
/// the score (absolute below 1).
pub(crate) const MAX_DIFFERENCE: f64 = 1e-5;

/// Held-back windows checked through ONNX Runtime, at most.
const CHECKED_WINDOWS: usize = 200;

/// What training and installing did.
#[derive(Debug, Clone)]
pub struct Installed {
    /// The model file.
    pub onnx: PathBuf,
    /// The previous model, moved aside, if there was one.
    pub previous: Option<PathBuf>,
    /// The threshold written into the model.
    pub threshold: f32,
    /// Largest ONNX Runtime vs trainer difference seen.
    pub max_difference: f64,
    /// Windows checked through ONNX Runtime.
    pub checked_windows: usize,
    /// The trained model (for evaluation reports).
    pub model: FlowGae,
}

/// The trainer settings from the host's `[models.NAME]`.
pub(crate) fn train_config(settings: &ModelSettings) -> TrainConfig {
    TrainConfig {
        epochs: settings.epochs,
        holdout: settings.holdout,
        target_fpr: settings.target_fpr,
        ..TrainConfig::default()
    }
}

/// Train on `windows` (benign), check, and install as `name` in `models_dir`.
pub fn train_and_install(
    name: &str,
    windows: &[GaeInputs],
    settings: &ModelSettings,
    models_dir: &Path,
    on_progress: impl FnMut(&Progress),
) -> anyhow::Result<Installed> {
    let windows: Vec<GaeInputs> = windows
        .iter()
        .filter(|w| w.flow_count() > 0)
        .cloned()
        .collect();
    if windows.len() < 10 {
        bail!(
            "{} windows with flows: too few to learn from",
            windows.len()
        );
    }
    let config = train_config(settings);
    let model = FlowGae::train(&windows, &config, on_progress).context("training")?;
    let threshold = model.threshold();
    if !threshold.is_finite() {
        bail!("no held-back benign flows to place the threshold");
    }
    let onnx = model.to_onnx(threshold);
    let card_text = network_card(&model.card().to_toml())?;
    let check_dir = models_dir.join(format!(".check-{}", std::process::id()));
    let checked = check(name, &model, &onnx, &card_text, &check_dir, &windows);
    let _ = std::fs::remove_dir_all(&check_dir);
    let (max_difference, checked_windows) = checked?;
    let (onnx_path, previous) = install(name, models_dir, &onnx, &card_text)?;
    Ok(Installed {
        onnx: onnx_path,
        previous,
        threshold,
        max_difference,
        checked_windows,
        model,
    })
}

/// The trainer's card as the host reads it, marked as a model of this network.
fn network_card(trainer_card: &str) -> anyhow::Result<String> {
    let mut card: crate::inference::ModelCard =
        toml::from_str(trainer_card).context("the trainer wrote a card the host cannot read")?;
    card.scope = crate::inference::ModelScope::Network;
    Ok(format!(
        "# Written by netassure (model train / learning); see models/flow-gae.md.\n{}",
        toml::to_string(&card)?
    ))
}

/// Windows spread over the whole set, at most [`CHECKED_WINDOWS`].
fn sample(windows: &[GaeInputs]) -> Vec<&GaeInputs> {
    let every = windows.len().div_ceil(CHECKED_WINDOWS).max(1);
    windows.iter().step_by(every).collect()
}

/// Run windows through ONNX Runtime (a session of the host's own service) and compare with
/// the trainer's forward pass; the largest difference and the windows checked.
fn check(
    name: &str,
    model: &FlowGae,
    onnx: &[u8],
    card: &str,
    dir: &Path,
    windows: &[GaeInputs],
) -> anyhow::Result<(f64, usize)> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join(format!("{name}.toml")), card)?;
    std::fs::write(dir.join(format!("{name}.onnx")), onnx)?;
    let service = InferenceService::start(
        InferenceConfig {
            models_dir: dir.to_owned(),
            sessions: 1,
            ..InferenceConfig::default()
        },
        None,
    );
    if let Some(note) = service
        .status()
        .note
        .filter(|_| !service.status().available)
    {
        bail!("cannot check the model with ONNX Runtime: {note}");
    }
    if let Some((_, reason)) = service.model_errors().into_iter().find(|(n, _)| n == name) {
        bail!("ONNX Runtime refused the trained model: {reason}");
    }
    let mut worst = 0.0f64;
    let checked = sample(windows);
    for window in &checked {
        let expected = model.score(window).context("scoring a held-back window")?;
        let outputs = service.run(name, &tensors(window))?;
        let got = outputs
            .iter()
            .find(|t| t.name == "score")
            .and_then(NamedTensor::as_f32)
            .context("the model has no score output")?;
        for (a, b) in got.iter().zip(&expected.score) {
            let difference = f64::from((a - b).abs()) / f64::from(b.abs()).max(1.0);
            worst = worst.max(difference);
        }
    }
    if worst > MAX_DIFFERENCE {
        bail!(
            "ONNX Runtime and the trainer disagree by {worst:.2e} (more than {MAX_DIFFERENCE:e}): the model is not written"
        );
    }
    Ok((worst, checked.len()))
}

/// The model's input tensors.
fn tensors(window: &GaeInputs) -> [NamedTensor; 4] {
    input_tensors(window.clone())
}

/// The `flow-gae` model's input tensors for a window of flows (its host graph, then
/// [`GaeInputs`], built as the plugin builds them).
pub fn gae_tensors(columns: &netassure_netflow::FlowColumns) -> [NamedTensor; 4] {
    input_tensors(netassure_gae::data::gae_inputs(columns))
}

/// [`GaeInputs`] as the model's named input tensors.
pub(crate) fn input_tensors(inputs: GaeInputs) -> [NamedTensor; 4] {
    let (flows, hosts) = (inputs.flow_count() as i64, inputs.host_count() as i64);
    [
        NamedTensor::f32("flows", vec![flows, FLOW_COLUMNS as i64], inputs.flows),
        NamedTensor::i64("src", vec![flows], inputs.src),
        NamedTensor::i64("dst", vec![flows], inputs.dst),
        NamedTensor::f32("hosts", vec![hosts, HOST_COLUMNS as i64], inputs.hosts),
    ]
}

/// Move the current `name` model to `previous/` and write the new one: the card first, then
/// the ONNX file (the registry reloads when the ONNX file changes), each written then renamed.
fn install(
    name: &str,
    dir: &Path,
    onnx: &[u8],
    card: &str,
) -> anyhow::Result<(PathBuf, Option<PathBuf>)> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let (onnx_path, card_path) = (
        dir.join(format!("{name}.onnx")),
        dir.join(format!("{name}.toml")),
    );
    let previous = if onnx_path.is_file() {
        let stamp = crate::timefmt::now_rfc3339().replace([':', '.'], "-");
        let aside = dir.join("previous");
        std::fs::create_dir_all(&aside)?;
        let moved = aside.join(format!("{name}-{stamp}.onnx"));
        std::fs::rename(&onnx_path, &moved)?;
        if card_path.is_file() {
            std::fs::rename(&card_path, moved.with_extension("toml"))?;
        }
        Some(moved)
    } else {
        None
    };
    crate::fsutil::write_atomic(&card_path, card.as_bytes())?;
    crate::fsutil::write_atomic(&onnx_path, onnx)?;
    Ok((onnx_path, previous))
}
