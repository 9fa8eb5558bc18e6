//! The composition root: build every part from a [`Config`], load the plugin directory, serve
//! the API, run the replay source, shut down cleanly.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::Context;

use crate::api::{self, AppState, IngestStatus};
use crate::config::Config;
use crate::findings::FindingsStore;
use crate::ingest::TopologyStreamClient;
use crate::metrics::Metrics;
use crate::pipeline::{Pace, Pipeline, Sinks, replay_file, replay_lines};
use crate::registry::{DirectoryWatcher, Registry};
use crate::runtime::{HostServices, Runtime};
use crate::state_store::StateStore;
use crate::topology::TopologyStore;

/// What to ingest and when to stop.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// JSON-lines event file to replay; `-` reads stdin.
    pub replay: Option<PathBuf>,
    /// Flow files to read (NIDS CSV, JSON lines, pcap), one after the other.
    pub flows: Vec<PathBuf>,
    /// Exit once the replay and the flow files have been processed (all plugins included).
    pub once: bool,
    /// Replay speed: 0 as fast as possible, 1 as recorded, 10 ten times faster.
    pub replay_speed: f64,
}

/// A built host, ready to serve.
pub struct Host {
    /// Shared state of the API.
    pub state: AppState,
    /// The NetFlow collector, when `[ingest.netflow]` is configured (started by [`Host::load`]).
    pub netflow: Option<crate::ingest::NetflowCollector>,
    topology_stream: Option<TopologyStreamClient>,
    _watcher: Option<DirectoryWatcher>,
    netflow_config: Option<crate::ingest::NetflowConfig>,
    watch: bool,
}

/// Build every part, load the plugin directory and start the NetFlow collector.
pub fn build(config: &Config, tokens: api::Tokens) -> anyhow::Result<Host> {
    let mut host = prepare(config, tokens)?;
    host.load()?;
    Ok(host)
}

/// Build every part but the plugins and the ingest that feeds them: what the API needs to
/// answer while [`Host::load`] runs.
pub fn prepare(config: &Config, tokens: api::Tokens) -> anyhow::Result<Host> {
    std::fs::create_dir_all(&config.data.dir)
        .with_context(|| format!("creating data dir {}", config.data.dir.display()))?;
    let metrics = Arc::new(Metrics::new());
    let topology = Arc::new(
        TopologyStore::open(&config.data.dir.join("topology"), config.topology)
            .context("opening the topology store")?,
    );
    let state = Arc::new(
        StateStore::open(&config.data.dir.join("plugin-state.redb"))
            .context("opening plugin state")?,
    );
    let inference =
        crate::inference::InferenceService::start(config.inference.clone(), Some(&config.data.dir));
    inference.configure(config.models.clone());
    let health = Arc::new(crate::runtime::health::HealthBoard::default());
    let services = Arc::new(HostServices {
        topology: topology.clone(),
        state,
        metrics: metrics.clone(),
        inference: Some(inference.clone()),
        health: health.clone(),
    });
    let runtime = Arc::new(Runtime::new(&config.data.cache(), services)?);
    let sinks = Sinks::new(config.output.jsonl.as_deref(), config.output.print)?;
    let pipeline = Arc::new(Pipeline::new(topology.clone(), metrics.clone(), sinks));
    let findings = Arc::new(
        FindingsStore::open(&config.data.dir.join("findings.sqlite"), config.findings)
            .context("opening the findings database")?,
    );
    pipeline.attach_findings(findings.clone());
    let incidents = Arc::new(crate::incidents::Incidents::new(config.incidents.clone()));
    incidents.attach_store(findings.clone());
    pipeline.attach_incidents(incidents);
    if let Some(learner) = crate::learning::Learner::start(
        inference.clone(),
        &config.data.dir,
        config.ingest.files.window_ms,
    )
    .context("starting the learning period")?
    {
        pipeline.attach_learner(learner);
    }
    if let Some(history) = crate::flow_history::FlowHistory::start(&config.store, &config.data.dir)
        .context("starting the flow history")?
    {
        pipeline.attach_history(history);
    }
    let registry = Registry::new(
        runtime,
        pipeline.clone(),
        &config.plugins.dir,
        config.plugins.limits,
        crate::registry::QueueLimits {
            jobs: config.plugins.queue_capacity,
            flows: config.plugins.max_queued_flows,
            detector_threads: config.plugins.workers,
        },
    )?;
    registry.keep_quarantines_in(config.data.dir.join("quarantine.json"));
    let topology_stream = config
        .ingest
        .topology
        .clone()
        .map(|stream| TopologyStreamClient::new(stream, pipeline.clone()));
    let netflow_status = config.ingest.netflow.as_ref().map(|netflow| {
        Arc::new(Mutex::new(crate::ingest::NetflowStatus {
            listen: netflow.listen.to_string(),
            ..Default::default()
        }))
    });
    let state = AppState {
        registry,
        pipeline,
        topology,
        metrics,
        tokens,
        limits: config.server.limits(),
        started: Instant::now(),
        ingest: Arc::new(Mutex::new(Vec::new())),
        flow_files: Arc::new(Mutex::new(Vec::new())),
        topology_stream: topology_stream.as_ref().map(TopologyStreamClient::stats),
        netflow: netflow_status,
        findings,
        inference,
        health,
        starting: Arc::new(std::sync::atomic::AtomicBool::new(true)),
    };
    Ok(Host {
        state,
        netflow: None,
        topology_stream,
        _watcher: None,
        netflow_config: config.ingest.netflow.clone(),
        watch: config.plugins.watch,
    })
}

impl Host {
    /// Load the plugin directory, then start what feeds the plugins from outside (the NetFlow
    /// collector) and the directory watcher. `/status` says `starting` until this is done.
    pub fn load(&mut self) -> anyhow::Result<()> {
        let registry = &self.state.registry;
        let started = Instant::now();
        let report = registry.scan_directory();
        tracing::info!(
            dir = %registry.dir().display(),
            loaded = report.created.len(),
            failed = report.failed.len(),
            "plugin directory loaded in {:?}",
            started.elapsed()
        );
        if let (Some(netflow), Some(status)) = (self.netflow_config.take(), &self.state.netflow) {
            self.netflow = Some(crate::ingest::NetflowCollector::start(
                netflow,
                self.state.pipeline.clone(),
                status.clone(),
            )?);
        }
        if self.watch {
            self._watcher = Some(DirectoryWatcher::start(registry.clone())?);
        }
        self.state
            .starting
            .store(false, std::sync::atomic::Ordering::Release);
        Ok(())
    }
}

/// Serve the API on `config.server.listen` and run the replay, until Ctrl-C / SIGTERM, or
/// until the replay is done when `options.once` is set.
pub async fn run(host: Host, config: &Config, options: RunOptions) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(config.server.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.server.listen))?;
    tracing::info!("REST API on http://{}", listener.local_addr()?);
    // The sinks' queues first, so they see every finding of the sources started below.
    if let Some(webhook) = config.sinks.webhook.clone() {
        crate::sinks::webhook::spawn(
            webhook,
            host.state.pipeline.feed(),
            host.state.metrics.clone(),
        )?;
    }
    if let Some(nats) = config.sinks.nats.clone() {
        crate::sinks::nats::start(nats, host.state.pipeline.feed(), host.state.metrics.clone());
    }
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let app = api::app(host.state.clone());
    let mut stopped = stop_rx.clone();
    let shutdown = async move {
        tokio::select! {
            _ = shutdown_signal() => tracing::info!("shutting down"),
            _ = stopped.wait_for(|stop| *stop) => {}
        }
    };
    let serving = tokio::spawn(api::serve(listener, app, config.server.limits(), shutdown));
    // The plugins load while the API answers (`/status`: 503 `starting`); the sources start
    // once they are loaded, so no event reaches a half-loaded set of plugins.
    let mut host = tokio::task::spawn_blocking(move || {
        let mut host = host;
        host.load().map(|()| host)
    })
    .await
    .context("loading the plugins")??;
    let done = source_done(&options, stop_tx.clone());
    if let Some(path) = options.replay.clone() {
        spawn_replay(host.state.clone(), path, options.replay_speed, done.clone());
    }
    if !options.flows.is_empty() {
        let state = host.state.clone();
        crate::ingest::flow_file::spawn(
            state.pipeline.clone(),
            config.ingest.files.clone(),
            options.flows.clone(),
            state.flow_files.clone(),
            move || {
                state.registry.flush();
                done();
            },
        );
    }
    tokio::spawn(auto_resolve(host.state.clone()));
    tokio::spawn(reload_models(host.state.clone()));
    tokio::spawn(prune_findings(host.state.clone()));
    let stream_thread = host
        .topology_stream
        .take()
        .map(|client| client.spawn(stop_rx.clone()));
    serving.await.context("serving the API")?;
    exit_if_stuck(config.server.limits().shutdown_timeout);
    let _ = stop_tx.send(true);
    if let Some(mut collector) = host.netflow.take() {
        tokio::task::spawn_blocking(move || collector.stop()).await?;
    }
    if let Some(thread) = stream_thread {
        let _ = tokio::task::spawn_blocking(move || thread.join()).await;
    }
    host.state.registry.shutdown();
    if let Err(err) = host.state.topology.checkpoint() {
        tracing::error!("topology checkpoint at shutdown failed: {err:#}");
    }
    Ok(())
}

/// Exit the process if shutting down takes longer than `timeout` (a plugin or a store that
/// does not let go must not keep the host from stopping).
fn exit_if_stuck(timeout: std::time::Duration) {
    let spawned = std::thread::Builder::new()
        .name("shutdown-watchdog".into())
        .spawn(move || {
            std::thread::sleep(timeout);
            tracing::error!("shutdown did not finish within {timeout:?}; exiting now");
            std::process::exit(1);
        });
    if let Err(err) = spawned {
        tracing::warn!("cannot start the shutdown watchdog: {err}");
    }
}

/// What each ingest source calls when it is done: with `--once`, the last one stops the host.
fn source_done(
    options: &RunOptions,
    stop: tokio::sync::watch::Sender<bool>,
) -> Arc<dyn Fn() + Send + Sync> {
    let sources = usize::from(options.replay.is_some()) + usize::from(!options.flows.is_empty());
    let left = std::sync::atomic::AtomicUsize::new(sources);
    let once = options.once;
    Arc::new(move || {
        if left.fetch_sub(1, std::sync::atomic::Ordering::AcqRel) == 1 && once {
            let _ = stop.send(true);
        }
    })
}

fn spawn_replay(state: AppState, path: PathBuf, speed: f64, done: Arc<dyn Fn() + Send + Sync>) {
    let source = if path.as_os_str() == "-" {
        "stdin".to_owned()
    } else {
        format!("replay:{}", path.display())
    };
    let index = {
        let mut ingest = state.ingest.lock().expect("ingest lock");
        ingest.push(IngestStatus {
            source: source.clone(),
            running: true,
            summary: None,
            error: None,
        });
        ingest.len() - 1
    };
    std::thread::Builder::new()
        .name("replay".into())
        .spawn(move || {
            let pace = Pace::new(speed);
            let result = if path.as_os_str() == "-" {
                replay_lines(&state.pipeline, &source, std::io::stdin().lock(), pace)
            } else {
                replay_file(&state.pipeline, &source, &path, pace)
            };
            state.registry.flush();
            let mut ingest = state.ingest.lock().expect("ingest lock");
            let status = &mut ingest[index];
            status.running = false;
            match result {
                Ok(summary) => {
                    tracing::info!(
                        source,
                        published = summary.published,
                        malformed = summary.malformed,
                        "replay finished"
                    );
                    status.summary = Some(summary);
                }
                Err(err) => {
                    tracing::error!(source, "replay stopped: {err}");
                    status.error = Some(err.to_string());
                }
            }
            drop(ingest);
            done();
        })
        .expect("spawning the replay thread");
}

/// Pick up added, replaced and removed models every two seconds (a directory read and a
/// modification time per model when nothing changed).
async fn reload_models(state: AppState) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(2));
    loop {
        tick.tick().await;
        let inference = state.inference.clone();
        let _ = tokio::task::spawn_blocking(move || inference.reload()).await;
    }
}

/// Resolve alerts whose anomaly has not been reported for `auto_resolve_s`, and close
/// incidents that went quiet, every few seconds.
async fn auto_resolve(state: AppState) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(5));
    loop {
        tick.tick().await;
        let pipeline = state.pipeline.clone();
        let _ = tokio::task::spawn_blocking(move || pipeline.close_quiet_incidents()).await;
        let findings = state.findings.clone();
        let resolved =
            tokio::task::spawn_blocking(move || findings.auto_resolve(crate::model::now_ms()))
                .await;
        match resolved {
            Ok(Ok(ids)) => {
                for alert_id in ids {
                    tracing::info!(alert = %alert_id, "alert resolved: its anomaly was not seen again");
                    let event = crate::pipeline::FeedEvent::AlertChanged {
                        alert_id,
                        status: "resolved".into(),
                    };
                    state.pipeline.feed().publish(event);
                }
            }
            Ok(Err(err)) => tracing::error!("auto-resolving alerts failed: {err}"),
            Err(err) => tracing::error!("auto-resolve task failed: {err}"),
        }
    }
}

/// Apply the findings retention settings at start and every minute.
async fn prune_findings(state: AppState) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
    loop {
        tick.tick().await;
        let findings = state.findings.clone();
        match tokio::task::spawn_blocking(move || findings.prune(crate::model::now_ms())).await {
            Ok(Ok(pruned)) if pruned != crate::findings::Pruned::default() => tracing::info!(
                anomalies = pruned.anomalies,
                alerts = pruned.alerts,
                incidents = pruned.incidents,
                silences = pruned.silences,
                "findings retention applied"
            ),
            Ok(Ok(_)) => {}
            Ok(Err(err)) => tracing::error!("findings retention failed: {err}"),
            Err(err) => tracing::error!("findings retention task failed: {err}"),
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
}
