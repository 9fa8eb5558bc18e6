//! `netassure`: the command-line tool of NetAssure.
//!
//! ```text
//! netassure plugins list
//! netassure plugins show link-utilisation
//! netassure plugins install target/plugins/link-utilisation.wasm --name hot-links
//! netassure plugins config hot-links '{"threshold": 0.9}'
//! netassure plugins disable|enable|reload|remove hot-links
//! netassure analysis run degree-centrality --param top=5
//! netassure status
//! netassure alerts --status active          (a table; --json for JSON)
//! netassure alerts ack|resolve ID
//! netassure alerts feedback ID --false-positive --notes "maintenance"
//! netassure anomalies --since 1h
//! netassure ingest --ws ws://127.0.0.1:9000 --dry-run
//! netassure simulate --topology examples/clos-fabric.json --events examples/temporal-events.json --listen 127.0.0.1:9000
//! ```
//! `--api` (or `NETASSURE_API`) picks the host, `--token` (or `NETASSURE_ADMIN_TOKEN`) the admin token.

mod client;
mod findings;
mod stream;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Command-line tool of NetAssure.
#[derive(Debug, Parser)]
#[command(name = "netassure", version)]
struct Cli {
    /// Base URL of the host's REST API.
    #[arg(
        long,
        global = true,
        env = "NETASSURE_API",
        default_value = "http://127.0.0.1:8080"
    )]
    api: String,
    /// Admin token for mutating calls.
    #[arg(
        long,
        global = true,
        env = "NETASSURE_ADMIN_TOKEN",
        hide_env_values = true
    )]
    token: Option<String>,
    /// Print raw JSON instead of tables.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The host's status.
    Status,
    /// Manage plugins.
    #[command(subcommand)]
    Plugins(PluginCommand),
    /// Run analyses.
    #[command(subcommand)]
    Analysis(AnalysisCommand),
    /// List alerts, or acknowledge, resolve or label one.
    Alerts(findings::AlertsArgs),
    /// List anomalies.
    Anomalies(findings::AnomaliesArgs),
    /// Check a topology stream without applying it anywhere.
    Ingest(stream::IngestArgs),
    /// Serve a simulated topology stream.
    Simulate(stream::SimulateArgs),
}

/// `netassure plugins ...`
#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// List plugins.
    List,
    /// Show one plugin.
    Show {
        /// Plugin name.
        name: String,
    },
    /// Install or hot-swap a plugin from a component file.
    Install {
        /// The component (`.wasm`).
        file: PathBuf,
        /// Registry name (default: the file stem).
        #[arg(long)]
        name: Option<String>,
    },
    /// Remove a plugin.
    Remove {
        /// Plugin name.
        name: String,
    },
    /// Enable a plugin (also lifts a quarantine).
    Enable {
        /// Plugin name.
        name: String,
    },
    /// Disable a plugin.
    Disable {
        /// Plugin name.
        name: String,
    },
    /// Reload a plugin from its file with a fresh instance.
    Reload {
        /// Plugin name.
        name: String,
    },
    /// Replace a plugin's configuration with a JSON object.
    Config {
        /// Plugin name.
        name: String,
        /// The configuration, a JSON object.
        json: String,
    },
}

/// `netassure analysis ...`
#[derive(Debug, Subcommand)]
pub enum AnalysisCommand {
    /// Run a graph-algorithm plugin on the current topology.
    Run {
        /// The plugin.
        plugin: String,
        /// Parameters as NAME=VALUE (VALUE is JSON, or text).
        #[arg(long = "param", value_name = "NAME=VALUE")]
        params: Vec<String>,
    },
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let rest = || client::Client::new(&cli.api, cli.token.clone());
    match cli.command {
        Command::Status => client::status(&rest()),
        Command::Plugins(command) => client::plugins(&rest(), command, cli.json),
        Command::Analysis(command) => client::analysis(&rest(), command),
        Command::Alerts(args) => findings::alerts(&rest(), args, cli.json),
        Command::Anomalies(args) => findings::anomalies(&rest(), args, cli.json),
        Command::Ingest(args) => stream::ingest(args, cli.json),
        Command::Simulate(args) => stream::simulate(args),
    }
}

fn main() {
    if let Err(err) = run(Cli::parse()) {
        eprintln!("netassure: {err:#}");
        std::process::exit(1);
    }
}
