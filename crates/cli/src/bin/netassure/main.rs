//! `netassure`: the command-line tool of NetAssure.
//!
//! ```text
//! netassure plugins list
//! netassure plugins show link-utilisation
//! netassure plugins install target/plugins/link-utilisation.wasm --name hot-links
//! netassure plugins config hot-links '{"threshold": 0.9}'
//! netassure plugins disable|enable|reload|remove hot-links
//! netassure analysis run degree-centrality --param top=5 [--version 12]
//! netassure analysis what-if --fail spine-1,leaf-3--spine-2
//! netassure analysis cascade --tolerance 0.2 [--fail spine-1]
//! netassure analysis capacity --threshold 0.8
//! netassure status
//! netassure alerts --status active          (a table; --json for JSON)
//! netassure alerts ack|resolve ID
//! netassure alerts feedback ID --false-positive --notes "maintenance"
//! netassure anomalies --since 1h
//! netassure ingest --ws ws://127.0.0.1:9000 --dry-run
//! netassure simulate --topology examples/clos-fabric.json --events examples/temporal-events.json --listen 127.0.0.1:9000
//! ```
//! `--api` (or `NETASSURE_API`) picks the host, `--token` (or `NETASSURE_ADMIN_TOKEN`) the admin token,
//! `--operator-token` (or `NETASSURE_OPERATOR_TOKEN`) the operator token of `alerts ack|resolve|feedback`.

mod analysis;
mod client;
pub mod eval;
mod findings;
mod generate;
mod incidents;
mod model;
mod setup;
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
    /// Operator token for ack, resolve and feedback on alerts (the admin token works too).
    #[arg(
        long,
        global = true,
        env = "NETASSURE_OPERATOR_TOKEN",
        hide_env_values = true
    )]
    operator_token: Option<String>,
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
    /// List incidents (anomalies with evidence assembled per attacker), or show one.
    Incidents(incidents::IncidentsArgs),
    /// Check a topology stream or a flow file without applying it anywhere.
    Ingest(stream::IngestArgs),
    /// Serve a simulated topology stream.
    Simulate(stream::SimulateArgs),
    /// Write labelled synthetic NetFlow (NIDS-schema CSV): benign traffic and attacks.
    GenerateFlows(generate::GenerateArgs),
    /// Measure a flow model on a labelled flow file: ROC-AUC, AP, rates, per class, curves.
    Eval(eval::EvalArgs),
    /// Install what the host needs at run time (the ONNX Runtime library) beside it.
    Setup(setup::SetupArgs),
    /// Train a model of this network from its own flows.
    #[command(subcommand)]
    Model(model::ModelCommand),
}

/// `netassure plugins ...`
#[derive(Debug, Subcommand)]
pub(crate) enum PluginCommand {
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
pub(crate) enum AnalysisCommand {
    /// Run a graph-algorithm plugin on the current (or a past) topology.
    Run {
        /// The plugin.
        plugin: String,
        /// Parameters as NAME=VALUE (VALUE is JSON, or text).
        #[arg(long = "param", value_name = "NAME=VALUE")]
        params: Vec<String>,
        /// Topology version (default: the current one).
        #[arg(long)]
        version: Option<u64>,
    },
    /// Fail nodes and links: lost reachability, rerouted load, overloaded links.
    WhatIf {
        /// Node or link ids to fail, comma-separated or repeated.
        #[arg(long, value_delimiter = ',', required = true)]
        fail: Vec<String>,
        /// Utilisation above which a link counts as overloaded.
        #[arg(long)]
        overload_threshold: Option<f64>,
        /// Topology version (default: the current one).
        #[arg(long)]
        version: Option<u64>,
    },
    /// A Motter–Lai load–capacity cascade, step by step.
    Cascade {
        /// Capacity headroom over the initial load.
        #[arg(long)]
        tolerance: Option<f64>,
        /// Nodes failing first (default: the most loaded node), comma-separated or repeated.
        #[arg(long, value_delimiter = ',')]
        fail: Vec<String>,
        /// Estimate loads from this many sources.
        #[arg(long)]
        samples: Option<usize>,
        /// Topology version (default: the current one).
        #[arg(long)]
        version: Option<u64>,
    },
    /// Per-link utilisation trend and days until a threshold.
    Capacity {
        /// Utilisation that counts as full (default 0.8).
        #[arg(long)]
        threshold: Option<f64>,
        /// Only samples since (RFC 3339, ms, or a duration ago like 7d).
        #[arg(long)]
        since: Option<String>,
        /// Only date links reaching the threshold within this many days.
        #[arg(long)]
        horizon_days: Option<f64>,
    },
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let rest = || client::Client::new(&cli.api, cli.token.clone(), cli.operator_token.clone());
    match cli.command {
        Command::Status => client::status(&rest()),
        Command::Plugins(command) => client::plugins(&rest(), command, cli.json),
        Command::Analysis(command) => analysis::analysis(&rest(), command, cli.json),
        Command::Alerts(args) => findings::alerts(&rest(), args, cli.json),
        Command::Anomalies(args) => findings::anomalies(&rest(), args, cli.json),
        Command::Incidents(args) => incidents::incidents(&rest(), args, cli.json),
        Command::Ingest(args) => stream::ingest(args, cli.json),
        Command::Simulate(args) => stream::simulate(args),
        Command::GenerateFlows(args) => generate::generate_flows(args),
        Command::Eval(args) => eval::eval(args, cli.json),
        Command::Setup(args) => setup::setup(args),
        Command::Model(command) => model::model(command),
    }
}

fn main() {
    if let Err(err) = run(Cli::parse()) {
        eprintln!("netassure: {err:#}");
        std::process::exit(1);
    }
}
