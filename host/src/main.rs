//! `netassure-host`: the NetAssure daemon. Loads every WebAssembly plugin in a directory,
//! feeds them the events it ingests, and serves the REST API.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::Parser;
use netassure_host::config::{Config, LogFormat};
use netassure_host::server::{self, RunOptions};

/// NetAssure host: network analytics with sandboxed WebAssembly plugins.
#[derive(Debug, Parser)]
#[command(name = "netassure-host", version)]
struct Args {
    /// Configuration file (default: ./netassure.toml when it exists).
    #[arg(long, short = 'c')]
    config: Option<PathBuf>,
    /// Plugin directory (overrides [plugins] dir).
    #[arg(long)]
    plugins: Option<PathBuf>,
    /// REST API address (overrides [server] listen).
    #[arg(long)]
    listen: Option<std::net::SocketAddr>,
    /// Admin token for REST calls that change plugins or models (overrides [server] admin_token).
    #[arg(long, env = "NETASSURE_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<String>,
    /// Operator token for ack, resolve and feedback on alerts (overrides [server] operator_token).
    #[arg(long, env = "NETASSURE_OPERATOR_TOKEN", hide_env_values = true)]
    operator_token: Option<String>,
    /// Data directory (overrides [data] dir).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Replay a JSON-lines event file; `-` reads events from stdin.
    #[arg(long)]
    replay: Option<PathBuf>,
    /// ONNX model directory (overrides [inference] models_dir).
    #[arg(long, value_name = "DIR")]
    models: Option<PathBuf>,
    /// Run models on `cpu`, `cuda` or `auto` (overrides [inference] device).
    #[arg(long, value_parser = ["cpu", "cuda", "auto"])]
    device: Option<String>,
    /// Read flows from FILE (NIDS NetFlow CSV, JSON lines or pcap/pcapng) into flow windows;
    /// repeat for more files.
    #[arg(long, value_name = "FILE")]
    flows: Vec<PathBuf>,
    /// Publish anomalies and alerts to this NATS server (overrides [sinks.nats] url).
    #[arg(long, value_name = "URL")]
    nats: Option<String>,
    /// POST alerts to this webhook URL (overrides [sinks.webhook] url).
    #[arg(long, value_name = "URL")]
    webhook: Option<String>,
    /// Subscribe to a topology engine's WebSocket stream (overrides [ingest.topology] url).
    #[arg(long, value_name = "URL")]
    topology_ws: Option<String>,
    /// Receive NetFlow v5/v9/IPFIX on this UDP address (overrides [ingest.netflow] listen).
    #[arg(long, value_name = "ADDR")]
    netflow_listen: Option<std::net::SocketAddr>,
    /// Exit after the replay and the flow files have been processed.
    #[arg(long)]
    once: bool,
    /// Replay speed: 0 as fast as possible (default), 1 at the recorded pace, 10 ten times faster.
    #[arg(long, default_value_t = 0.0, requires = "replay")]
    replay_speed: f64,
    /// Append anomalies and alerts as JSON lines to this file (overrides [output] jsonl).
    #[arg(long)]
    output: Option<PathBuf>,
    /// Print a line per anomaly and alert on stdout.
    #[arg(long)]
    print: bool,
    /// Do not watch the plugin directory.
    #[arg(long)]
    no_watch: bool,
    /// Log as JSON lines.
    #[arg(long)]
    log_json: bool,
}

fn load_config(args: &Args) -> anyhow::Result<Config> {
    let mut config = match &args.config {
        Some(path) => Config::from_file(path)?,
        None if std::path::Path::new("netassure.toml").exists() => {
            Config::from_file("netassure.toml".as_ref())?
        }
        None => Config::default(),
    };
    if let Some(dir) = &args.plugins {
        config.plugins.dir = dir.clone();
    }
    if let Some(listen) = args.listen {
        config.server.listen = listen;
    }
    if let Some(token) = &args.admin_token {
        config.server.admin_token = Some(token.clone());
    }
    if let Some(token) = &args.operator_token {
        config.server.operator_token = Some(token.clone());
    }
    if let Some(dir) = &args.data_dir {
        config.data.dir = dir.clone();
    }
    if let Some(output) = &args.output {
        config.output.jsonl = Some(output.clone());
    }
    config.output.print |= args.print;
    if let Some(url) = &args.nats {
        let jetstream = config
            .sinks
            .nats
            .as_ref()
            .is_some_and(|nats| nats.jetstream);
        match &mut config.sinks.nats {
            Some(nats) => nats.url = url.clone(),
            None => {
                config.sinks.nats = Some(netassure_host::sinks::nats::NatsConfig::for_url(
                    url, jetstream,
                ))
            }
        }
    }
    if let Some(url) = &args.webhook {
        match &mut config.sinks.webhook {
            Some(webhook) => webhook.url = url.clone(),
            None => {
                config.sinks.webhook =
                    Some(netassure_host::sinks::webhook::WebhookConfig::for_url(url))
            }
        }
    }
    if let Some(listen) = args.netflow_listen {
        match &mut config.ingest.netflow {
            Some(netflow) => netflow.listen = listen,
            None => {
                config.ingest.netflow =
                    Some(netassure_host::ingest::NetflowConfig::for_listen(listen))
            }
        }
    }
    if let Some(url) = &args.topology_ws {
        match &mut config.ingest.topology {
            Some(stream) => stream.url = url.clone(),
            None => {
                config.ingest.topology =
                    Some(netassure_host::config::TopologyStreamConfig::for_url(url))
            }
        }
    }
    if let Some(dir) = &args.models {
        config.inference.models_dir = dir.clone();
    }
    if let Some(device) = &args.device {
        config.inference.device = match device.as_str() {
            "cuda" => netassure_host::inference::DevicePreference::Cuda,
            "auto" => netassure_host::inference::DevicePreference::Auto,
            _ => netassure_host::inference::DevicePreference::Cpu,
        };
    }
    config.plugins.watch &= !args.no_watch;
    if args.log_json {
        config.log.format = LogFormat::Json;
    }
    Ok(config)
}

fn init_logging(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(&config.log.level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match config.log.format {
        LogFormat::Human => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

/// `role`'s token (`admin` or `operator`): the configured one, else the one in
/// `DATA_DIR/ROLE-token`, else a new one written there (readable by its owner only). The log
/// names the file, never the token.
fn token(
    configured: Option<&String>,
    data_dir: &std::path::Path,
    role: &str,
) -> anyhow::Result<Arc<str>> {
    if let Some(token) = configured.filter(|token| !token.is_empty()) {
        return Ok(Arc::from(token.as_str()));
    }
    let path = data_dir.join(format!("{role}-token"));
    if let Ok(text) = std::fs::read_to_string(&path)
        && !text.trim().is_empty()
    {
        tracing::warn!(
            "no {role} token configured; {role} REST calls need `Authorization: Bearer TOKEN` with the token in {}",
            path.display()
        );
        return Ok(Arc::from(text.trim()));
    }
    let token = uuid::Uuid::new_v4().simple().to_string();
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("creating {}", data_dir.display()))?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(&path)
        .with_context(|| format!("writing {}", path.display()))?;
    std::io::Write::write_all(&mut file, format!("{token}\n").as_bytes())?;
    tracing::warn!(
        "no {role} token configured; generated one in {} (readable by its owner only): {role} REST calls need `Authorization: Bearer TOKEN`",
        path.display()
    );
    Ok(Arc::from(token))
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if args.once && args.replay.is_none() && args.flows.is_empty() {
        anyhow::bail!("--once needs --replay FILE or --flows FILE: there is nothing to finish");
    }
    let config = load_config(&args)?;
    init_logging(&config);
    let tokens = netassure_host::api::Tokens {
        admin: token(
            config.server.admin_token.as_ref(),
            &config.data.dir,
            "admin",
        )?,
        operator: token(
            config.server.operator_token.as_ref(),
            &config.data.dir,
            "operator",
        )?,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting tokio")?;
    let host = server::prepare(&config, tokens)?;
    let options = RunOptions {
        replay: args.replay.clone(),
        flows: args.flows.clone(),
        once: args.once,
        replay_speed: args.replay_speed,
    };
    runtime.block_on(server::run(host, &config, options))
}
