//! `netassure ingest --dry-run` (a topology stream or a flow file) and `netassure simulate`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use netassure_cli::simulator::{Fault, Simulator, SimulatorConfig};
use netassure_host::ingest::FlowFilesConfig;
use netassure_host::ingest::dry_run::{DryRunLimits, dry_run};
use netassure_host::ingest::flow_file;

/// `netassure ingest`
#[derive(Debug, Args)]
pub(crate) struct IngestArgs {
    /// WebSocket URL of the topology stream.
    #[arg(long, required_unless_present = "flows", conflicts_with = "flows")]
    ws: Option<String>,
    /// A flow file: NIDS NetFlow CSV, JSON lines of flows, or a pcap/pcapng capture.
    #[arg(long, value_name = "FILE")]
    flows: Option<PathBuf>,
    /// Connect or read, decode and validate, print what would be applied, change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Flow files: window width by flow end time, ms (0: by count only).
    #[arg(long, default_value_t = 10_000)]
    window_ms: u64,
    /// Flow files: a window also closes at this many flows.
    #[arg(long, default_value_t = 100_000)]
    window_flows: usize,
    /// Stop after this many seconds (default: until Ctrl-C).
    #[arg(long)]
    duration: Option<f64>,
    /// Stop after this many messages.
    #[arg(long)]
    max_messages: Option<u64>,
}

/// `netassure simulate`
#[derive(Debug, Args)]
pub(crate) struct SimulateArgs {
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

/// `netassure ingest --ws URL --dry-run` or `netassure ingest --flows FILE --dry-run`
pub fn ingest(args: IngestArgs, json: bool) -> anyhow::Result<()> {
    if !args.dry_run {
        bail!(
            "`netassure ingest` only checks its input (--dry-run); to ingest, run `netassure-host --topology-ws URL` or `netassure-host --flows FILE`"
        );
    }
    if let Some(path) = &args.flows {
        return flows_dry_run(path, &args, json);
    }
    let url = args.ws.as_deref().expect("clap requires --ws or --flows");
    let limits = DryRunLimits {
        duration: args.duration.map(Duration::from_secs_f64),
        max_messages: args.max_messages,
    };
    let summary = runtime()?.block_on(dry_run(url, limits));
    if json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    }
    Ok(())
}

/// Read a flow file as `netassure-host --flows` would, with a progress bar on stderr, and
/// print what it holds.
fn flows_dry_run(path: &Path, args: &IngestArgs, json: bool) -> anyhow::Result<()> {
    let config = FlowFilesConfig {
        window_ms: args.window_ms,
        window_flows: args.window_flows,
        ..FlowFilesConfig::default()
    };
    let bar = ProgressBar::new(std::fs::metadata(path).map_or(0, |m| m.len()));
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} {bar:40} {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} eta {eta}",
        )
        .expect("a valid template"),
    );
    let summary = flow_file::dry_run(path, &config, |read, _| bar.set_position(read))
        .with_context(|| format!("reading {}", path.display()))?;
    bar.finish_and_clear();
    if json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
        return Ok(());
    }
    print_flow_summary(&summary);
    Ok(())
}

fn print_flow_summary(summary: &flow_file::FlowDryRun) {
    let format = summary.format.map_or("?".to_owned(), |f| format!("{f:?}"));
    println!("{} ({format})", summary.file);
    println!(
        "  flows {}  windows {} (largest {})  malformed {}  late {}",
        summary.flows, summary.windows, summary.largest_window, summary.malformed, summary.late
    );
    println!("  bytes {}  packets {}", summary.bytes, summary.packets);
    if let Some((first, last)) = summary.span_ms {
        println!(
            "  span {first} .. {last} ms ({:.1} s)",
            (last - first) as f64 / 1000.0
        );
    }
    let protocols: Vec<String> = summary
        .protocols
        .iter()
        .map(|(p, n)| format!("{p}: {n}"))
        .collect();
    println!("  protocols {}", protocols.join(", "));
    let classes: Vec<String> = summary
        .classes
        .iter()
        .map(|(c, n)| format!("{c}: {n}"))
        .collect();
    println!("  classes {}", classes.join(", "));
    if let Some(error) = &summary.first_error {
        println!("  first malformed record: {error}");
    }
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
