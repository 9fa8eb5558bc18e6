//! Learning the network the host runs on: for a model with a learning period
//! (`[models.flow-gae] learn = "24h"`) and no model of this network yet, the host keeps the
//! model inputs of the flow windows it sees (on disk, an even sample bounded by
//! `max_windows`), and when the period (in flow time) is over it trains a model in the
//! background, checks it, installs it and lets the registry load it — the detector then
//! scores with it. Until then `/status`, `GET /models` and the detector's health say
//! `learning`, with progress.
//!
//! ```text
//! Pipeline::publish_flows ─ window ─▶ Learner (bounded queue; full: the window is skipped)
//!                                        │ GaeInputs → data/learning/NAME/windows.bin
//!                                        ▼ period over
//!                             train (netassure-gae) → check with ONNX Runtime → install
//!                                        ▼
//!                             models/NAME.onnx + NAME.toml (scope = network) → reload
//! ```

mod store;
pub mod train;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender, TrySendError};
use netassure_flowgraph::flow_slices;
use netassure_flowgraph::gae::GaeInputs;

pub use store::{LearnState, WindowStore};

use crate::inference::{InferenceService, LearningStatus, ModelSettings};
use crate::runtime::DeliveredEvent;
use crate::runtime::EventPayload;

/// Windows waiting for the learner before new ones are skipped.
const QUEUE: usize = 256;

/// The model the host learns.
pub const MODEL: &str = "flow-gae";

/// The background learner of one model.
pub(crate) struct Learner {
    windows: Sender<Arc<DeliveredEvent>>,
}

impl Learner {
    /// Start learning `MODEL` unless a model of this network is loaded or learning is off.
    pub fn start(
        service: Arc<InferenceService>,
        data_dir: &Path,
        window_ms: u64,
    ) -> anyhow::Result<Option<Arc<Learner>>> {
        let settings = service.settings(MODEL);
        let Some(period) = settings.learn_period() else {
            return Ok(None);
        };
        if service.has_network_model(MODEL) {
            return Ok(None);
        }
        let store = WindowStore::open(&data_dir.join("learning").join(MODEL))?;
        let state = store.state().unwrap_or_default();
        let (sender, receiver) = crossbeam_channel::bounded(QUEUE);
        let worker = Worker {
            service,
            settings,
            period,
            window_ms: window_ms.max(1),
            state,
            store,
        };
        worker.publish("collecting", None);
        std::thread::Builder::new()
            .name(format!("learn-{MODEL}"))
            .spawn(move || worker.run(receiver))?;
        Ok(Some(Arc::new(Learner { windows: sender })))
    }

    /// A flow window was published: keep it for learning if the learner keeps up (never
    /// blocks the pipeline).
    pub fn offer(&self, event: &Arc<DeliveredEvent>) {
        match self.windows.try_send(event.clone()) {
            Ok(()) | Err(TrySendError::Disconnected(_)) => {}
            Err(TrySendError::Full(_)) => tracing::debug!("learner busy: a window skipped"),
        }
    }
}

struct Worker {
    service: Arc<InferenceService>,
    settings: ModelSettings,
    period: Duration,
    window_ms: u64,
    state: LearnState,
    store: WindowStore,
}

impl Worker {
    fn run(mut self, windows: Receiver<Arc<DeliveredEvent>>) {
        for event in windows {
            if let Err(err) = self.keep(&event) {
                tracing::error!("learning {MODEL}: keeping a window failed: {err}");
            }
            if self.period_over() {
                self.train();
                return;
            }
        }
    }

    /// Keep `event`'s window when the sample allows (an even share of the period, at most
    /// `max_windows` windows in all).
    fn keep(&mut self, event: &DeliveredEvent) -> std::io::Result<()> {
        let EventPayload::Flows(window) = &event.event.payload else {
            return Ok(());
        };
        if window.flows.len == 0 {
            return Ok(());
        }
        if self.state.windows_seen == 0 {
            self.state.started_ms = window.start_ms;
        }
        self.state.windows_seen += 1;
        self.state.last_ms = self.state.last_ms.max(window.end_ms);
        // The window's own length (file windows and collector windows may differ), else the
        // configured one.
        let length = match window.end_ms.saturating_sub(window.start_ms) {
            0 => self.window_ms,
            length => length,
        };
        let expected = (self.period.as_millis() as u64 / length).max(1);
        let stride = expected.div_ceil(self.settings.max_windows as u64).max(1);
        if (self.state.windows_seen - 1).is_multiple_of(stride) {
            let graph = event.window_graph().expect("a flow window has a graph");
            let inputs = GaeInputs::new(graph, &flow_slices!(window.flows));
            self.store.append(&inputs)?;
            self.state.windows_kept += 1;
            self.state.flows_kept += inputs.flow_count() as u64;
        }
        if self.state.windows_seen.is_multiple_of(32) || self.period_over() {
            self.store.save_state(&self.state)?;
            self.publish("collecting", None);
        }
        Ok(())
    }

    fn period_over(&self) -> bool {
        self.state.windows_seen > 0
            && self.state.last_ms.saturating_sub(self.state.started_ms)
                >= self.period.as_millis() as u64
    }

    fn progress(&self) -> f64 {
        let elapsed = self.state.last_ms.saturating_sub(self.state.started_ms) as f64;
        (elapsed / self.period.as_millis().max(1) as f64).clamp(0.0, 1.0)
    }

    fn publish(&self, stage: &str, message: Option<String>) {
        let progress = if stage == "collecting" {
            self.progress()
        } else {
            1.0
        };
        self.publish_with(stage, progress, message);
    }

    fn publish_with(&self, stage: &str, progress: f64, message: Option<String>) {
        let started = (self.state.windows_seen > 0).then_some(self.state.started_ms);
        self.service.set_learning(
            MODEL,
            Some(LearningStatus {
                stage: stage.to_owned(),
                progress,
                windows: self.state.windows_kept,
                flows: self.state.flows_kept,
                started: started.map(crate::timefmt::ms_to_rfc3339),
                ends: started
                    .map(|at| crate::timefmt::ms_to_rfc3339(at + self.period.as_millis() as u64)),
                message,
            }),
        );
    }

    fn train(mut self) {
        let windows = match self.store.read_all() {
            Ok(windows) => windows,
            Err(err) => {
                self.fail(format!("reading the kept windows: {err}"));
                return;
            }
        };
        tracing::info!(windows = windows.len(), "learning {MODEL}: training");
        let models_dir = self.service.models_dir().to_owned();
        let epochs = self.settings.epochs;
        let outcome = train::train_and_install(MODEL, &windows, &self.settings, &models_dir, |p| {
            self.publish_with(
                "training",
                p.epoch as f64 / epochs.max(1) as f64,
                Some(format!(
                    "epoch {}/{}, loss {:.4}",
                    p.epoch, p.epochs, p.loss
                )),
            );
        });
        match outcome {
            Ok(installed) => {
                tracing::info!(
                    model = %installed.onnx.display(),
                    threshold = installed.threshold,
                    "learning {MODEL}: model of this network installed"
                );
                self.service.reload();
                self.publish(
                    "done",
                    Some(format!(
                        "installed {} (threshold {:.4}, ONNX Runtime within {:.1e} of the trainer)",
                        installed.onnx.display(),
                        installed.threshold,
                        installed.max_difference
                    )),
                );
                if let Err(err) = self.store.clear() {
                    tracing::warn!("learning {MODEL}: removing the kept windows failed: {err}");
                }
            }
            Err(err) => self.fail(format!("{err:#}")),
        }
    }

    fn fail(&self, reason: String) {
        tracing::error!("learning {MODEL} failed: {reason}");
        self.publish("failed", Some(reason));
    }
}
