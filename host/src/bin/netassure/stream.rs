//! `netassure ingest --dry-run` and `netassure simulate`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::bail;
use clap::Args;
use netassure_host::ingest::dry_run::{DryRunLimits, dry_run};
use netassure_host::simulator::{Fault, Simulator, SimulatorConfig};

/// `netassure ingest`
#[derive(Debug, Args)]
pub struct IngestArgs {
    /// WebSocket URL of the topology stream.
    #[arg(long)]
    ws: String,
    /// Connect, decode and validate, print what would be applied, change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Stop after this many seconds (default: until Ctrl-C).
    #[arg(long)]
    duration: Option<f64>,
    /// Stop after this many messages.
    #[arg(long)]
    max_messages: Option<u64>,
}

/// `netassure simulate`
#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// Topology file (a snapshot message).
    #[arg(long)]
    topology: PathBuf,
    /// Events file (delta and telemetry messages).
    #[arg(long)]
    events: Option<PathBuf>,
    /// Address to serve the stream on.
    #[arg(long, default_value = "127.0.0.1:9000")]
    listen: SocketAddr,
    /// Messages per second (0: as fast as possible).
    #[arg(long, default_value_t = 10.0)]
    rate: f64,
    /// Start the events again when they run out.
    #[arg(long = "loop")]
    repeat: bool,
    /// Inject this fault (repeatable): link-flap, node-failure, route-leak.
    #[arg(long = "fault")]
    faults: Vec<Fault>,
    /// Seconds between injected faults.
    #[arg(long, default_value_t = 5.0)]
    fault_every: f64,
    /// Seed of the fault choices.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

/// `netassure ingest --ws URL --dry-run`
pub fn ingest(args: IngestArgs, json: bool) -> anyhow::Result<()> {
    if !args.dry_run {
        bail!(
            "`netassure ingest` only checks a stream (--dry-run); to ingest, run `netassure-host --topology-ws URL`"
        );
    }
    let limits = DryRunLimits {
        duration: args.duration.map(Duration::from_secs_f64),
        max_messages: args.max_messages,
    };
    let summary = runtime()?.block_on(dry_run(&args.ws, limits));
    if json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    }
    Ok(())
}

/// `netassure simulate ...`
pub fn simulate(args: SimulateArgs) -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let config = SimulatorConfig {
        topology: args.topology,
        events: args.events,
        listen: args.listen,
        rate: args.rate,
        repeat: args.repeat,
        faults: args.faults,
        fault_every: Duration::from_secs_f64(args.fault_every.max(0.01)),
        seed: args.seed,
    };
    runtime()?.block_on(async move {
        let (_simulator, _address, task) = Simulator::start(config).await?;
        tokio::select! {
            _ = task => {}
            _ = tokio::signal::ctrl_c() => {}
        }
        Ok(())
    })
}
