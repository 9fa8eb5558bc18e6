//! Training: features of every benign window, standardised with the training set's own means
//! and deviations; batches of windows as one disjoint graph; Adam on the mean negative
//! log-likelihood; a share of the windows held back to place the threshold.

use std::time::Instant;

use candle_core::{Device, Tensor};
use candle_nn::optim::{AdamW, Optimizer, ParamsAdamW};
use netassure_flowgraph::gae::GaeInputs;

use crate::features::{FeatureSpec, Scaling};
use crate::model::{self, GraphTensors, Network, Parameters};
use crate::{FlowGae, Progress, TrainConfig, TrainError, TrainingSummary, threshold_for_fpr};

/// A window ready for the network: features, indexes, host features.
pub(crate) struct Prepared {
    x: Vec<f32>,
    src: Vec<i64>,
    dst: Vec<i64>,
    hosts: Vec<f32>,
    private: Vec<f32>,
}

impl Prepared {
    /// `window`'s features, scaled (the window must be valid).
    pub(crate) fn new(window: &GaeInputs, spec: &FeatureSpec, scaling: &Scaling) -> Prepared {
        let mut x = spec.featurize(&window.flows);
        scaling.apply(spec.features(), &mut x);
        Prepared::from_features(window, x, scaling)
    }

    fn from_features(window: &GaeInputs, x: Vec<f32>, scaling: &Scaling) -> Prepared {
        Prepared {
            x,
            src: window.src.clone(),
            dst: window.dst.clone(),
            hosts: scaling.host_features(&window.hosts),
            private: window.hosts.chunks_exact(3).map(|h| h[2]).collect(),
        }
    }

    fn flows(&self) -> usize {
        self.src.len()
    }

    /// The window with each flow kept with probability `keep` (at least one flow), its host
    /// counts recounted: the same hosts in another mix of flows.
    fn thinned(&self, rng: &mut fastrand::Rng, keep: f64, scaling: &Scaling) -> Prepared {
        let width = self.x.len() / self.flows().max(1);
        let first = rng.usize(..self.flows().max(1));
        let kept: Vec<usize> = (0..self.flows())
            .filter(|&i| i == first || rng.f64() < keep)
            .collect();
        let mut raw = vec![0.0f32; self.private.len() * 3];
        for (h, &p) in self.private.iter().enumerate() {
            raw[h * 3 + 2] = p;
        }
        for &i in &kept {
            raw[self.src[i] as usize * 3] += 1.0;
            raw[self.dst[i] as usize * 3 + 1] += 1.0;
        }
        Prepared {
            x: kept
                .iter()
                .flat_map(|&i| &self.x[i * width..(i + 1) * width])
                .copied()
                .collect(),
            src: kept.iter().map(|&i| self.src[i]).collect(),
            dst: kept.iter().map(|&i| self.dst[i]).collect(),
            hosts: scaling.host_features(&raw),
            private: self.private.clone(),
        }
    }
}

/// The disjoint union of `windows` as one graph.
pub(crate) fn batch(windows: &[&Prepared], device: &Device) -> candle_core::Result<GraphTensors> {
    let flows: usize = windows.iter().map(|w| w.flows()).sum();
    let values: usize = windows.iter().map(|w| w.x.len()).sum();
    let (mut x, mut src, mut dst, mut hosts) = (
        Vec::with_capacity(values),
        Vec::with_capacity(flows),
        Vec::with_capacity(flows),
        Vec::new(),
    );
    for w in windows {
        let offset = (hosts.len() / 3) as i64;
        x.extend_from_slice(&w.x);
        src.extend(w.src.iter().map(|i| i + offset));
        dst.extend(w.dst.iter().map(|i| i + offset));
        hosts.extend_from_slice(&w.hosts);
    }
    GraphTensors::new(x, src, dst, hosts, device)
}

/// Windows are held back in runs of this many consecutive windows (five minutes of 10 s
/// windows): a held-back window's neighbours in time are held back with it, so the threshold
/// is placed on traffic less like the training windows than single windows would be.
const HOLDOUT_RUN: usize = 30;

/// Which of `windows` windows are held back: every `k`-th run of [`HOLDOUT_RUN`] (shorter runs
/// for few windows, so that at least four runs are held back), for a share `holdout` (none
/// for 0).
fn held_back(index: usize, windows: usize, holdout: f64) -> bool {
    if holdout <= 0.0 {
        return false;
    }
    let every = (1.0 / holdout.min(0.5)).round().max(2.0) as usize;
    let run = HOLDOUT_RUN.min(windows / (4 * every)).max(1);
    (index / run) % every == every - 1
}

/// [`FlowGae::train`].
pub(crate) fn train(
    windows: &[GaeInputs],
    config: &TrainConfig,
    on_progress: &mut dyn FnMut(&Progress),
) -> Result<FlowGae, TrainError> {
    let started = Instant::now();
    for (index, window) in windows.iter().enumerate() {
        crate::validate(window).map_err(|source| TrainError::Input { index, source })?;
    }
    let usable: Vec<&GaeInputs> = windows.iter().filter(|w| w.flow_count() > 0).collect();
    let (mut fit, mut holdout) = (Vec::new(), Vec::new());
    for (i, &w) in usable.iter().enumerate() {
        if held_back(i, usable.len(), config.holdout) {
            holdout.push(w);
        } else {
            fit.push(w);
        }
    }
    if fit.is_empty() {
        return Err(TrainError::NoFlows);
    }
    let spec = FeatureSpec::fit(fit.iter().copied());
    let width = spec.features();
    let raw: Vec<Vec<f32>> = fit.iter().map(|w| spec.featurize(&w.flows)).collect();
    let scaling = Scaling::fit(width, raw.iter().map(Vec::as_slice), fit.iter().copied());
    let prepared: Vec<Prepared> = fit
        .iter()
        .zip(raw)
        .map(|(w, mut x)| {
            scaling.apply(width, &mut x);
            Prepared::from_features(w, x, &scaling)
        })
        .collect();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(config.threads.max(1))
        .build()
        .map_err(|err| TrainError::Threads(err.to_string()))?;
    let init = Parameters::init(config.seed, spec.context());
    let (params, loss) = fit_parameters(&prepared, &scaling, &init, config, &pool, on_progress)?;
    let holdout: Vec<Prepared> = holdout
        .iter()
        .map(|w| Prepared::new(w, &spec, &scaling))
        .collect();
    let holdout_scores = pool.install(|| score_prepared(&params, &holdout))?;
    let summary = TrainingSummary {
        windows: prepared.len(),
        flows: prepared.iter().map(Prepared::flows).sum(),
        holdout_windows: holdout.len(),
        holdout_flows: holdout_scores.len(),
        epochs: config.epochs,
        loss,
        holdout_loss: mean(&holdout_scores),
        target_fpr: config.target_fpr,
        threshold: threshold_for_fpr(&holdout_scores, config.target_fpr),
        thresholds: crate::HOLDOUT_FPRS
            .iter()
            .map(|&fpr| (fpr, threshold_for_fpr(&holdout_scores, fpr)))
            .collect(),
        seed: config.seed,
        seconds: started.elapsed().as_secs_f64(),
    };
    Ok(FlowGae {
        spec,
        params,
        scaling,
        summary,
    })
}

fn mean(values: &[f32]) -> f64 {
    values.iter().map(|&v| f64::from(v)).sum::<f64>() / values.len().max(1) as f64
}

/// Adam over shuffled batches for `config.epochs` epochs (each epoch on `pool`); the trained
/// parameters and the last epoch's mean loss.
fn fit_parameters(
    windows: &[Prepared],
    scaling: &Scaling,
    init: &Parameters,
    config: &TrainConfig,
    pool: &rayon::ThreadPool,
    on_progress: &mut dyn FnMut(&Progress),
) -> Result<(Parameters, f64), TrainError> {
    let net = Network::new(init, &Device::Cpu)?;
    let mut optimiser = AdamW::new(
        net.vars(),
        ParamsAdamW {
            lr: config.learning_rate,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
        },
    )?;
    let mut rng = fastrand::Rng::with_seed(config.seed.wrapping_add(1));
    let mut order: Vec<usize> = (0..windows.len()).collect();
    let started = Instant::now();
    let mut loss = f64::NAN;
    for epoch in 1..=config.epochs {
        rng.shuffle(&mut order);
        let epoch_data = Epoch {
            windows,
            order: &order,
            scaling,
            seed: config.seed ^ (epoch as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15),
        };
        loss = pool.install(|| run_epoch(&epoch_data, &net, &mut optimiser, config))?;
        if !loss.is_finite() {
            return Err(TrainError::Diverged { epoch });
        }
        on_progress(&Progress {
            epoch,
            epochs: config.epochs,
            loss,
            elapsed_s: started.elapsed().as_secs_f64(),
        });
    }
    Ok((net.parameters(init)?, loss))
}

/// What one epoch trains on.
struct Epoch<'a> {
    windows: &'a [Prepared],
    order: &'a [usize],
    scaling: &'a Scaling,
    seed: u64,
}

/// One pass over the windows in order, each thinned by a random share of up to
/// `config.flow_dropout` of its flows; the mean batch loss.
fn run_epoch(
    epoch: &Epoch<'_>,
    net: &Network,
    optimiser: &mut AdamW,
    config: &TrainConfig,
) -> Result<f64, TrainError> {
    let device = Device::Cpu;
    let mut rng = fastrand::Rng::with_seed(epoch.seed);
    let (mut total, mut batches) = (0.0, 0usize);
    for members in batches_of(epoch.windows, epoch.order, config) {
        let cancelled = config.cancel.as_ref();
        if cancelled.is_some_and(|c| c.load(std::sync::atomic::Ordering::Relaxed)) {
            return Err(TrainError::Cancelled);
        }
        let thinned: Vec<Prepared> = members
            .iter()
            .map(|w| {
                let keep = 1.0 - rng.f64() * config.flow_dropout.clamp(0.0, 0.9);
                w.thinned(&mut rng, keep, epoch.scaling)
            })
            .collect();
        let members: Vec<&Prepared> = if config.flow_dropout > 0.0 {
            thinned.iter().collect()
        } else {
            members
        };
        let graph = batch(&members, &device)?;
        let loss = model::forward(net, &graph)?.loss.mean_all()?;
        optimiser.backward_step(&loss)?;
        total += f64::from(loss.to_scalar::<f32>()?);
        batches += 1;
    }
    Ok(total / batches.max(1) as f64)
}

/// `windows` in `order`, packed into batches of at most `config.batch_windows` windows and
/// `config.batch_flows` flows (a larger window alone).
fn batches_of<'a>(
    windows: &'a [Prepared],
    order: &[usize],
    config: &TrainConfig,
) -> Vec<Vec<&'a Prepared>> {
    let mut batches = Vec::new();
    let mut current: Vec<&Prepared> = Vec::new();
    let mut flows = 0;
    for &i in order {
        let w = &windows[i];
        let full =
            current.len() >= config.batch_windows.max(1) || flows + w.flows() > config.batch_flows;
        if full && !current.is_empty() {
            batches.push(std::mem::take(&mut current));
            flows = 0;
        }
        flows += w.flows();
        current.push(w);
    }
    if !current.is_empty() {
        batches.push(current);
    }
    batches
}

/// Scores of every flow of `windows`, in order, scored in batches.
pub(crate) fn score_prepared(
    params: &Parameters,
    windows: &[Prepared],
) -> candle_core::Result<Vec<f32>> {
    let device = Device::Cpu;
    let net = Network::new(params, &device)?;
    let mut scores = Vec::new();
    let order: Vec<usize> = (0..windows.len()).collect();
    let config = TrainConfig {
        batch_windows: 256,
        ..TrainConfig::default()
    };
    for members in batches_of(windows, &order, &config) {
        let graph = batch(&members, &device)?;
        let forward = model::forward(&net, &graph)?;
        scores.extend(forward.score.to_vec1::<f32>()?);
    }
    Ok(scores)
}

/// The forward pass over one window: `(score [F], expected [F, T], deviation [F, T])`.
pub(crate) fn score_window(
    model: &FlowGae,
    window: &GaeInputs,
) -> candle_core::Result<(Vec<f32>, Vec<f32>, Vec<f32>)> {
    if window.flow_count() == 0 {
        return Ok(Default::default());
    }
    let device = Device::Cpu;
    let net = Network::new(&model.params, &device)?;
    let prepared = Prepared::new(window, &model.spec, &model.scaling);
    let forward = model::forward(&net, &batch(&[&prepared], &device)?)?;
    let volumes = model::natural_units(&forward.mean, &model.scaling)?;
    let service = forward.log_service.exp()?;
    let expected = Tensor::cat(&[&volumes, &forward.probability, &service], 1)?;
    Ok((
        forward.score.to_vec1()?,
        expected.flatten_all()?.to_vec1()?,
        forward.deviation.flatten_all()?.to_vec1()?,
    ))
}
