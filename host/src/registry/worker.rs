//! The worker of one plugin: takes jobs from the plugin's queue in order, keeps one live
//! instance of the current deployment, and replaces it when the deployment changes or a call
//! traps. A detector's worker runs on the shared pool (`pool`), one job per turn; alert rules
//! and graph algorithms have a thread of their own (`Worker::run`).
//!
//! The queue belongs to the registry entry, not to a version, so a hot swap never loses or
//! repeats a job: every job is taken exactly once and run on whatever version is current when
//! it is taken. A call in flight always finishes on the version it started on.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use crossbeam_channel::Receiver;

use super::entry::{Deployment, PluginEntry};
use crate::metrics::PluginLabels;
use crate::pipeline::{AnomalyJob, DeliveredEvent, Pipeline, SkipReason};
use crate::runtime::bindings::algorithms::{AlgorithmResult, Param};
use crate::runtime::bindings::plugin::PluginError;
use crate::runtime::{CallError, PluginInstance, Runtime, convert};
use crate::topology::TopologySnapshot;

/// Why an on-demand graph-algorithm run failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RunError {
    /// The plugin trapped.
    #[error("plugin failed: {0}")]
    Failed(#[from] CallError),
    /// The plugin returned an error.
    #[error("{0}")]
    Plugin(String),
    /// The plugin is disabled or quarantined.
    #[error("plugin is {0}")]
    NotAccepting(&'static str),
}

/// Most anomalies kept from one detector call; the rest are dropped and the call counts as
/// an error of the plugin (`last_error`).
pub(crate) const MAX_ANOMALIES_PER_CALL: usize = 1_000;

/// Work for a plugin.
pub enum Job {
    /// Deliver an event to a detector.
    Event(Arc<DeliveredEvent>),
    /// Ask an alert rule about an anomaly.
    Anomaly(Arc<AnomalyJob>),
    /// Run a graph algorithm and answer on `reply`.
    Run {
        /// Its place among the pending runs, freed when the job is done or dropped.
        slot: super::RunSlot,
        /// The topology version to run on.
        snapshot: Arc<TopologySnapshot>,
        /// Parameters.
        params: Vec<Param>,
        /// Where the answer goes.
        reply: tokio::sync::oneshot::Sender<Result<AlgorithmResult, RunError>>,
    },
    /// Answer once every earlier job is done.
    Flush(crossbeam_channel::Sender<()>),
    /// Finish the earlier jobs, then stop.
    Stop,
}

struct Live {
    generation: u64,
    config_generation: u64,
    instance: PluginInstance,
}

/// Everything a worker needs.
pub(super) struct Worker {
    pub entry: Arc<PluginEntry>,
    pub runtime: Arc<Runtime>,
    pub pipeline: Arc<Pipeline>,
    live: Option<Live>,
}

/// Whether a worker goes on after a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Next {
    /// Take the next job.
    Continue,
    /// It was told to stop.
    Stop,
}

impl Worker {
    /// A worker for `entry`, with no instance yet.
    pub fn new(entry: Arc<PluginEntry>, runtime: Arc<Runtime>, pipeline: Arc<Pipeline>) -> Self {
        Worker {
            entry,
            runtime,
            pipeline,
            live: None,
        }
    }

    /// On a thread of its own: run until a `Stop` job or until the queue closes.
    pub fn run(mut self, jobs: Receiver<Job>) {
        for job in jobs {
            if self.handle(job) == Next::Stop {
                break;
            }
        }
    }

    /// Handle one job.
    pub fn handle(&mut self, job: Job) -> Next {
        let mut live = self.live.take();
        let next = self.handle_with(&mut live, job);
        self.live = live;
        next
    }

    fn handle_with(&self, live: &mut Option<Live>, job: Job) -> Next {
        match job {
            Job::Stop => return Next::Stop,
            Job::Flush(done) => {
                let _ = done.send(());
            }
            Job::Run { reply, .. } if reply.is_closed() => {
                // Its client left while it waited: nobody would read the answer.
                self.entry
                    .stats
                    .runs_abandoned
                    .fetch_add(1, Ordering::Relaxed);
            }
            job if !self.entry.accepting() => self.skip(job),
            job => self.call(live, job),
        }
        Next::Continue
    }

    /// Make the plugin call `job` asks for, on the live instance (created if need be).
    fn call(&self, live: &mut Option<Live>, job: Job) {
        let window = flow_window(&job);
        let deployment = self.entry.deployment.load_full();
        let handled = match self.instance(live, &deployment) {
            Ok(instance) => match self.execute(instance, &deployment, job) {
                Ok(()) => true,
                Err(failure) => {
                    *live = None;
                    self.fail(failure, &deployment);
                    false
                }
            },
            Err(failure) => {
                *live = None;
                self.fail_job(job, failure.clone());
                self.fail(failure, &deployment);
                false
            }
        };
        if let Some(window) = window {
            self.window_done(&window, handled);
        }
    }

    fn skip(&self, job: Job) {
        self.entry.stats.skipped.fetch_add(1, Ordering::Relaxed);
        if let Some(window) = flow_window(&job) {
            self.entry.backlog.release(window.flow_count());
            // A window a quarantined detector misses is a gap; one an operator's disabled
            // detector misses is a choice (counted only in `skipped`).
            if self.entry.quarantined.load(Ordering::Acquire) {
                self.pipeline.plugin_skipped(
                    &self.entry.name,
                    &self.entry.backlog,
                    SkipReason::Quarantined,
                    &window,
                );
            }
        }
        if let Job::Run { reply, .. } = job {
            let status = if self.entry.quarantined.load(Ordering::Acquire) {
                "quarantined"
            } else {
                "disabled"
            };
            let _ = reply.send(Err(RunError::NotAccepting(status)));
        }
    }

    /// The flow window `window` left the queue: handled, or lost to a failed call.
    fn window_done(&self, window: &Arc<DeliveredEvent>, handled: bool) {
        self.entry.backlog.release(window.flow_count());
        if handled {
            self.entry.backlog.handled();
        } else {
            self.pipeline.plugin_skipped(
                &self.entry.name,
                &self.entry.backlog,
                SkipReason::Failed,
                window,
            );
        }
    }

    fn fail_job(&self, job: Job, failure: CallError) {
        if let Job::Run { reply, .. } = job {
            let _ = reply.send(Err(RunError::Failed(failure)));
        }
    }

    /// The live instance for `deployment`: reused, reconfigured, or created.
    fn instance<'a>(
        &self,
        live: &'a mut Option<Live>,
        deployment: &Deployment,
    ) -> Result<&'a mut PluginInstance, CallError> {
        let stale = live
            .as_ref()
            .is_none_or(|current| current.generation != deployment.generation);
        if stale {
            *live = None;
            let instance = PluginInstance::new(
                &self.runtime,
                &deployment.loaded,
                self.entry.name.clone(),
                deployment.limits,
            )?;
            *live = Some(Live {
                generation: deployment.generation,
                config_generation: u64::MAX,
                instance,
            });
        }
        let current = live.as_mut().expect("set above");
        if current.config_generation != deployment.config_generation {
            if let Err(error) = current
                .instance
                .configure(&deployment.manifest.config_json())?
            {
                self.entry.record_error(convert::plugin_error(&error));
            }
            current.config_generation = deployment.config_generation;
        }
        Ok(&mut current.instance)
    }

    fn execute(
        &self,
        instance: &mut PluginInstance,
        deployment: &Deployment,
        job: Job,
    ) -> Result<(), CallError> {
        self.entry.stats.calls.fetch_add(1, Ordering::Relaxed);
        let labels = PluginLabels {
            plugin: self.entry.name.to_string(),
        };
        self.pipeline
            .metrics()
            .plugin_calls
            .get_or_create(&labels)
            .inc();
        let (outcome, time) = match job {
            Job::Event(delivered) => self.handle_event(instance, deployment, &delivered),
            Job::Anomaly(job) => self.handle_anomaly(instance, &job),
            Job::Run {
                snapshot,
                params,
                reply,
                ..
            } => {
                let (result, time) = CallTime::of(|| instance.run(snapshot, &params));
                (reply_to_run(result, reply), time)
            }
            Job::Flush(_) | Job::Stop => unreachable!("handled by the loop"),
        };
        self.record_time(&labels, time);
        match outcome? {
            Some(message) => self.entry.record_error(message),
            None => {
                self.entry
                    .stats
                    .consecutive_failures
                    .store(0, Ordering::Release);
            }
        }
        Ok(())
    }

    /// A detector's event: the call, then its anomalies to the pipeline (at most
    /// [`MAX_ANOMALIES_PER_CALL`]). The outcome is the error the plugin returned, if any.
    fn handle_event(
        &self,
        instance: &mut PluginInstance,
        deployment: &Deployment,
        delivered: &Arc<DeliveredEvent>,
    ) -> (Result<Option<String>, CallError>, CallTime) {
        let (result, time) = CallTime::of(|| instance.on_delivered(delivered));
        let outcome = result.map(|result| {
            let outcome = match result {
                Ok(mut found) => {
                    let reported = found.len();
                    found.truncate(MAX_ANOMALIES_PER_CALL);
                    self.entry
                        .stats
                        .outputs
                        .fetch_add(found.len() as u64, Ordering::Relaxed);
                    self.pipeline.anomalies_found(
                        &self.entry.name,
                        &deployment.loaded.info.version,
                        &delivered.event,
                        found,
                    );
                    (reported > MAX_ANOMALIES_PER_CALL).then(|| {
                        format!(
                            "reported {reported} anomalies in one call; only the first {MAX_ANOMALIES_PER_CALL} were kept"
                        )
                    })
                }
                Err(error) => Some(convert::plugin_error(&error)),
            };
            self.pipeline
                .event_handled(&self.entry.name, &delivered.event);
            outcome
        });
        (outcome, time)
    }

    /// An alert rule's anomaly: the call, then the alert it raised to the pipeline.
    fn handle_anomaly(
        &self,
        instance: &mut PluginInstance,
        job: &Arc<AnomalyJob>,
    ) -> (Result<Option<String>, CallError>, CallTime) {
        let (result, time) = CallTime::of(|| instance.evaluate(&job.anomaly, &job.context));
        let outcome = result.map(|result| match result {
            Ok(Some(alert)) => {
                self.entry.stats.outputs.fetch_add(1, Ordering::Relaxed);
                self.pipeline.alert_raised(&self.entry.name, job, alert);
                None
            }
            Ok(None) => None,
            Err(error) => Some(convert::plugin_error(&error)),
        });
        (outcome, time)
    }

    fn record_time(&self, labels: &PluginLabels, time: CallTime) {
        self.entry.record_call_time(time.wall_ns, time.cpu_ns);
        let metrics = self.pipeline.metrics();
        metrics
            .plugin_latency
            .get_or_create(labels)
            .observe(time.wall_ns as f64 / 1e9);
        metrics
            .plugin_cpu
            .get_or_create(labels)
            .inc_by(time.cpu_ns as f64 / 1e9);
    }

    fn fail(&self, failure: CallError, deployment: &Deployment) {
        let labels = PluginLabels {
            plugin: self.entry.name.to_string(),
        };
        self.pipeline
            .metrics()
            .plugin_failures
            .get_or_create(&labels)
            .inc();
        tracing::warn!(
            plugin = &*self.entry.name,
            "plugin call failed: {failure}; instance recycled"
        );
        if self.entry.record_failure(
            failure.to_string(),
            deployment.limits.max_consecutive_failures,
        ) {
            tracing::error!(
                plugin = &*self.entry.name,
                "plugin quarantined after {} consecutive failures; enable or reload it to try again",
                deployment.limits.max_consecutive_failures
            );
        }
    }
}

/// The flow window a job delivers, if it delivers one.
fn flow_window(job: &Job) -> Option<Arc<DeliveredEvent>> {
    match job {
        Job::Event(delivered)
            if matches!(
                delivered.event.payload,
                crate::runtime::EventPayload::Flows(_)
            ) =>
        {
            Some(delivered.clone())
        }
        _ => None,
    }
}

/// How long one plugin call took, by the wall clock and in its thread's CPU time: the call
/// itself and the host imports it made, not what the host did with its results afterwards
/// (storing anomalies, raising alerts).
#[derive(Debug, Clone, Copy)]
struct CallTime {
    wall_ns: u64,
    cpu_ns: u64,
}

impl CallTime {
    /// Run `call`, timing it.
    fn of<T>(call: impl FnOnce() -> T) -> (T, CallTime) {
        let (started, cpu_started) = (Instant::now(), crate::runtime::thread_cpu_ns());
        let result = call();
        let time = CallTime {
            wall_ns: started.elapsed().as_nanos() as u64,
            cpu_ns: crate::runtime::thread_cpu_ns().saturating_sub(cpu_started),
        };
        (result, time)
    }
}

/// Answer an analysis run's caller; the outcome is the error the plugin returned, if any.
fn reply_to_run(
    result: Result<Result<AlgorithmResult, PluginError>, CallError>,
    reply: tokio::sync::oneshot::Sender<Result<AlgorithmResult, RunError>>,
) -> Result<Option<String>, CallError> {
    match result {
        Ok(Ok(result)) => {
            let _ = reply.send(Ok(result));
            Ok(None)
        }
        Ok(Err(error)) => {
            let message = convert::plugin_error(&error);
            let _ = reply.send(Err(RunError::Plugin(message.clone())));
            Ok(Some(message))
        }
        Err(failure) => {
            let _ = reply.send(Err(RunError::Failed(failure.clone())));
            Err(failure)
        }
    }
}
