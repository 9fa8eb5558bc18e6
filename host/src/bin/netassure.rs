//! `netassure`: the command-line client of a running NetAssure host.
//!
//! ```text
//! netassure plugins list
//! netassure plugins show link-utilisation
//! netassure plugins install target/plugins/link-utilisation.wasm --name hot-links
//! netassure plugins config hot-links '{"threshold": 0.9}'
//! netassure plugins disable|enable|reload|remove hot-links
//! netassure analysis run degree-centrality --param top=5
//! netassure status
//! ```
//! `--api` (or `NETASSURE_API`) picks the host, `--token` (or `NETASSURE_ADMIN_TOKEN`) the admin token.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use serde_json::Value;

/// Command-line client of the NetAssure host.
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
}

#[derive(Debug, Subcommand)]
enum PluginCommand {
    /// List plugins.
    List,
    /// Show one plugin.
    Show { name: String },
    /// Install or hot-swap a plugin from a component file.
    Install {
        /// The component (`.wasm`).
        file: PathBuf,
        /// Registry name (default: the file stem).
        #[arg(long)]
        name: Option<String>,
    },
    /// Remove a plugin.
    Remove { name: String },
    /// Enable a plugin (also lifts a quarantine).
    Enable { name: String },
    /// Disable a plugin.
    Disable { name: String },
    /// Reload a plugin from its file with a fresh instance.
    Reload { name: String },
    /// Replace a plugin's configuration with a JSON object.
    Config { name: String, json: String },
}

#[derive(Debug, Subcommand)]
enum AnalysisCommand {
    /// Run a graph-algorithm plugin on the current topology.
    Run {
        /// The plugin.
        plugin: String,
        /// Parameters as NAME=VALUE (VALUE is JSON, or text).
        #[arg(long = "param", value_name = "NAME=VALUE")]
        params: Vec<String>,
    },
}

struct Client {
    agent: ureq::Agent,
    api: String,
    token: Option<String>,
}

impl Client {
    fn new(api: &str, token: Option<String>) -> Self {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        Client {
            agent,
            api: api.trim_end_matches('/').to_owned(),
            token,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.api)
    }

    fn bearer(&self) -> anyhow::Result<String> {
        match &self.token {
            Some(token) => Ok(format!("Bearer {token}")),
            None => bail!(
                "this command needs the admin token: pass --token or set NETASSURE_ADMIN_TOKEN"
            ),
        }
    }

    fn answer(
        &self,
        response: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> anyhow::Result<Value> {
        let mut response =
            response.with_context(|| format!("cannot reach the host at {}", self.api))?;
        let status = response.status();
        let text = response.body_mut().read_to_string().unwrap_or_default();
        let body: Value = if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        if !status.is_success() {
            let error = body.get("error").and_then(Value::as_str).unwrap_or("error");
            let detail = body
                .get("detail")
                .and_then(Value::as_str)
                .unwrap_or_default();
            bail!("{} {error}: {detail}", status.as_u16());
        }
        Ok(body)
    }

    fn get(&self, path: &str) -> anyhow::Result<Value> {
        self.answer(self.agent.get(self.url(path)).call())
    }

    fn post(&self, path: &str, body: &[u8]) -> anyhow::Result<Value> {
        let bearer = self.bearer()?;
        self.answer(
            self.agent
                .post(self.url(path))
                .header("Authorization", &bearer)
                .send(body),
        )
    }

    fn put(&self, path: &str, body: &[u8]) -> anyhow::Result<Value> {
        let bearer = self.bearer()?;
        self.answer(
            self.agent
                .put(self.url(path))
                .header("Authorization", &bearer)
                .send(body),
        )
    }

    fn delete(&self, path: &str) -> anyhow::Result<Value> {
        let bearer = self.bearer()?;
        self.answer(
            self.agent
                .delete(self.url(path))
                .header("Authorization", &bearer)
                .call(),
        )
    }
}

fn print_plugin_table(plugins: &Value) {
    println!(
        "{:<24} {:<16} {:<10} {:<12} {:>10} {:>9}",
        "NAME", "KIND", "VERSION", "STATUS", "CALLS", "FAILURES"
    );
    for plugin in plugins.as_array().into_iter().flatten() {
        let text = |key: &str| {
            plugin
                .get(key)
                .and_then(Value::as_str)
                .unwrap_or("-")
                .to_owned()
        };
        let number = |key: &str| plugin.get(key).and_then(Value::as_u64).unwrap_or(0);
        println!(
            "{:<24} {:<16} {:<10} {:<12} {:>10} {:>9}",
            text("name"),
            text("kind"),
            text("version"),
            text("status"),
            number("calls"),
            number("failures")
        );
    }
}

fn parse_param(param: &str) -> anyhow::Result<(String, Value)> {
    let (name, value) = param
        .split_once('=')
        .with_context(|| format!("`{param}` is not NAME=VALUE"))?;
    let value = serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.to_owned()));
    Ok((name.to_owned(), value))
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let client = Client::new(&cli.api, cli.token.clone());
    let output = match cli.command {
        Command::Status => client.get("/status")?,
        Command::Plugins(PluginCommand::List) => {
            let plugins = client.get("/plugins")?;
            if !cli.json {
                print_plugin_table(&plugins);
                return Ok(());
            }
            plugins
        }
        Command::Plugins(PluginCommand::Show { name }) => {
            client.get(&format!("/plugins/{name}"))?
        }
        Command::Plugins(PluginCommand::Install { file, name }) => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let name = match name {
                Some(name) => name,
                None => file
                    .file_stem()
                    .and_then(|stem| stem.to_str())
                    .context("cannot take a name from the file")?
                    .to_owned(),
            };
            client.put(&format!("/plugins/{name}"), &bytes)?
        }
        Command::Plugins(PluginCommand::Remove { name }) => {
            client.delete(&format!("/plugins/{name}"))?;
            println!("removed {name}");
            return Ok(());
        }
        Command::Plugins(PluginCommand::Enable { name }) => {
            client.post(&format!("/plugins/{name}/enable"), b"")?
        }
        Command::Plugins(PluginCommand::Disable { name }) => {
            client.post(&format!("/plugins/{name}/disable"), b"")?
        }
        Command::Plugins(PluginCommand::Reload { name }) => {
            client.post(&format!("/plugins/{name}/reload"), b"")?
        }
        Command::Plugins(PluginCommand::Config { name, json }) => {
            serde_json::from_str::<Value>(&json).context("the configuration is not valid JSON")?;
            client.put(&format!("/plugins/{name}/config"), json.as_bytes())?
        }
        Command::Analysis(AnalysisCommand::Run { plugin, params }) => {
            let params: serde_json::Map<String, Value> = params
                .iter()
                .map(|p| parse_param(p))
                .collect::<anyhow::Result<_>>()?;
            let body = serde_json::json!({ "params": params });
            let agent = &client;
            agent.answer(
                agent
                    .agent
                    .post(agent.url(&format!("/analysis/run/{plugin}")))
                    .send_json(&body),
            )?
        }
    };
    println!("{}", serde_json::to_string_pretty(&output)?);
    Ok(())
}

fn main() {
    if let Err(err) = run(Cli::parse()) {
        eprintln!("netassure: {err:#}");
        std::process::exit(1);
    }
}
