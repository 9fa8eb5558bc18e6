//! The whole detection stack on flow files, in-process: every plugin of a directory on its
//! configuration (as `netassure-host --plugins DIR --flows FILE --once` runs them), the
//! incident assembler and the alert rules, with a data directory of its own. What a user gets,
//! measured.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Instant;

use anyhow::Context;

use super::incidents::Traffic;
use netassure_findings::IncidentFilter;
use netassure_host::config::Config;
use netassure_host::incidents::IncidentRecord;
use netassure_host::ingest::FlowFileStatus;
use netassure_runtime::health::Health;

/// What a detection run produced.
#[derive(Debug, Clone)]
pub struct DetectionRun {
    /// Every incident, alerting or not.
    pub incidents: Vec<IncidentRecord>,
    /// The traffic read.
    pub traffic: Traffic,
    /// Flows read.
    pub flows: u64,
    /// Windows published.
    pub windows: u64,
    /// Plugins loaded.
    pub plugins: usize,
    /// Plugins that were learning or degraded, with the reason.
    pub plugin_health: Vec<(String, Health)>,
    /// Wall seconds.
    pub seconds: f64,
}

/// Read `files` through the host built from `config` (its plugin directory, models and
/// settings; watching, live sources and the HTTP server off) and collect the incidents.
/// `warm_up` files are read first, as the days a running host saw before (the plugins learn
/// their baselines from them); incidents that began in them are left out, and so is their
/// traffic.
pub fn run(
    config: &Config,
    warm_up: &[PathBuf],
    files: &[PathBuf],
) -> anyhow::Result<DetectionRun> {
    let started = Instant::now();
    let mut config = config.clone();
    config.plugins.watch = false;
    config.ingest.netflow = None;
    config.ingest.topology = None;
    let host = netassure_host::server::build(
        &config,
        netassure_host::api::Tokens {
            admin: "evaluation".into(),
            operator: "evaluation".into(),
        },
    )?;
    let plugins = host.state.registry.list().len();
    anyhow::ensure!(
        plugins > 0,
        "no plugin loaded from {} (build them with `cargo xtask build-plugins`, or pass --plugins)",
        config.plugins.dir.display()
    );
    let warmed = read_files(&host, &config, warm_up)?;
    host.state.registry.flush();
    // The warm-up's incidents end with it: the next day's evidence starts incidents of its own.
    host.state.pipeline.close_all_incidents();
    let measured = read_files(&host, &config, files)?;
    let mut traffic = measured.traffic;
    let (flows, windows) = (measured.flows, measured.windows);
    host.state.registry.flush();
    host.state.pipeline.close_quiet_incidents();
    let mut incidents = host
        .state
        .findings
        .incidents(&IncidentFilter {
            limit: usize::MAX >> 1,
            ..IncidentFilter::default()
        })
        .context("reading the incidents")?;
    if warmed.flows > 0 {
        // Every incident of the warm-up was closed at its end: what has evidence after it is
        // the evaluated days'.
        incidents.retain(|incident| incident.last_seen_ms > warmed.traffic.last_ms);
    }
    let plugin_health = host.state.health.not_ok();
    host.state.registry.shutdown();
    if traffic.first_ms == u64::MAX {
        traffic.first_ms = 0;
    }
    Ok(DetectionRun {
        incidents,
        traffic,
        flows,
        windows,
        plugins,
        plugin_health,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// What reading some flow files gave.
struct Read {
    traffic: Traffic,
    flows: u64,
    windows: u64,
}

/// Read `files` one after the other into the host's pipeline.
fn read_files(
    host: &netassure_host::server::Host,
    config: &Config,
    files: &[PathBuf],
) -> anyhow::Result<Read> {
    let mut read = Read {
        traffic: Traffic {
            first_ms: u64::MAX,
            ..Traffic::default()
        },
        flows: 0,
        windows: 0,
    };
    for file in files {
        let status = Mutex::new(FlowFileStatus::default());
        netassure_host::ingest::flow_file::ingest_file(
            host.state.pipeline.as_ref(),
            &config.ingest.files,
            file,
            &status,
        );
        let status = status.into_inner().unwrap_or_default();
        if let Some(error) = &status.error
            && status.flows == 0
        {
            anyhow::bail!("{}: {error}", file.display());
        }
        read.flows += status.flows;
        read.windows += status.windows;
        read.traffic.bytes += status.flow_bytes;
        if status.flows > 0 {
            read.traffic.first_ms = read.traffic.first_ms.min(status.first_flow_ms);
            read.traffic.last_ms = read.traffic.last_ms.max(status.last_flow_ms);
        }
    }
    Ok(read)
}
