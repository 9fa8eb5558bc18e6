//! The worker thread of one plugin: takes jobs from the plugin's queue in order, keeps one
//! live instance of the current deployment, and replaces it when the deployment changes or a
//! call traps.
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
use crate::pipeline::{AnomalyJob, DeliveredEvent, Pipeline};
use crate::runtime::bindings::algorithms::{AlgorithmResult, Param};
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
pub const MAX_ANOMALIES_PER_CALL: usize = 1_000;

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
}

impl Worker {
    /// Run until a `Stop` job or until the queue closes.
    pub fn run(self, jobs: Receiver<Job>) {
        let mut live: Option<Live> = None;
        for job in jobs {
            match job {
                Job::Stop => break,
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
                job => {
                    let deployment = self.entry.deployment.load_full();
                    match self.instance(&mut live, &deployment) {
                        Ok(instance) => {
                            if let Err(failure) = self.execute(instance, &deployment, job) {
                                live = None;
                                self.fail(failure, &deployment);
                            }
                        }
                        Err(failure) => {
                            live = None;
                            self.fail_job(job, failure.clone());
                            self.fail(failure, &deployment);
                        }
                    }
                }
            }
        }
    }

    fn skip(&self, job: Job) {
        self.entry.stats.skipped.fetch_add(1, Ordering::Relaxed);
        if let Job::Run { reply, .. } = job {
            let status = if self.entry.quarantined.load(Ordering::Acquire) {
                "quarantined"
            } else {
                "disabled"
            };
            let _ = reply.send(Err(RunError::NotAccepting(status)));
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
        let started = Instant::now();
        self.entry.stats.calls.fetch_add(1, Ordering::Relaxed);
        let labels = PluginLabels {
            plugin: self.entry.name.to_string(),
        };
        self.pipeline
            .metrics()
            .plugin_calls
            .get_or_create(&labels)
            .inc();
        let outcome = match job {
            Job::Event(delivered) => instance.on_delivered(&delivered).map(|result| {
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
            }),
            Job::Anomaly(job) => {
                instance
                    .evaluate(&job.anomaly, &job.context)
                    .map(|result| match result {
                        Ok(Some(alert)) => {
                            self.entry.stats.outputs.fetch_add(1, Ordering::Relaxed);
                            self.pipeline.alert_raised(&self.entry.name, &job, alert);
                            None
                        }
                        Ok(None) => None,
                        Err(error) => Some(convert::plugin_error(&error)),
                    })
            }
            Job::Run {
                snapshot,
                params,
                reply,
                ..
            } => match instance.run(snapshot, &params) {
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
            },
            Job::Flush(_) | Job::Stop => unreachable!("handled by the loop"),
        };
        let elapsed = started.elapsed();
        self.entry.record_latency(elapsed.as_nanos() as u64);
        self.pipeline
            .metrics()
            .plugin_latency
            .get_or_create(&labels)
            .observe(elapsed.as_secs_f64());
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
