//! The REST client side of the CLI: plugins, analysis, status.

use anyhow::{Context, bail};
use serde_json::Value;

use crate::PluginCommand;

pub struct Client {
    pub agent: ureq::Agent,
    api: String,
    token: Option<String>,
    operator_token: Option<String>,
}

impl Client {
    pub fn new(api: &str, token: Option<String>, operator_token: Option<String>) -> Self {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        Client {
            agent,
            api: api.trim_end_matches('/').to_owned(),
            token,
            operator_token,
        }
    }

    pub fn url(&self, path: &str) -> String {
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

    /// The operator token, else the admin token.
    fn operator_bearer(&self) -> anyhow::Result<String> {
        match self.operator_token.as_ref().or(self.token.as_ref()) {
            Some(token) => Ok(format!("Bearer {token}")),
            None => bail!(
                "this command needs the operator token: pass --operator-token or set NETASSURE_OPERATOR_TOKEN (the admin token works too)"
            ),
        }
    }

    pub fn answer(
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

    /// GET; with the admin token when there is one (some reads show the admin more).
    pub fn get(&self, path: &str) -> anyhow::Result<Value> {
        let mut request = self.agent.get(self.url(path));
        if let Some(token) = &self.token {
            request = request.header("Authorization", &format!("Bearer {token}"));
        }
        self.answer(request.call())
    }

    pub fn post(&self, path: &str, body: &[u8]) -> anyhow::Result<Value> {
        let bearer = self.bearer()?;
        self.answer(
            self.agent
                .post(self.url(path))
                .header("Authorization", &bearer)
                .header("Content-Type", "application/json")
                .send(body),
        )
    }

    /// POST with the operator token (ack, resolve, feedback on alerts).
    pub(crate) fn post_operator(&self, path: &str, body: &[u8]) -> anyhow::Result<Value> {
        let bearer = self.operator_bearer()?;
        self.answer(
            self.agent
                .post(self.url(path))
                .header("Authorization", &bearer)
                .header("Content-Type", "application/json")
                .send(body),
        )
    }

    /// POST without a token (analyses only read).
    pub(crate) fn post_open(&self, path: &str, body: &[u8]) -> anyhow::Result<Value> {
        self.answer(
            self.agent
                .post(self.url(path))
                .header("Content-Type", "application/json")
                .send(body),
        )
    }

    pub fn put(&self, path: &str, body: &[u8]) -> anyhow::Result<Value> {
        let bearer = self.bearer()?;
        self.answer(
            self.agent
                .put(self.url(path))
                .header("Authorization", &bearer)
                .send(body),
        )
    }

    pub fn delete(&self, path: &str) -> anyhow::Result<Value> {
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

pub fn parse_param(param: &str) -> anyhow::Result<(String, Value)> {
    let (name, value) = param
        .split_once('=')
        .with_context(|| format!("`{param}` is not NAME=VALUE"))?;
    let value = serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.to_owned()));
    Ok((name.to_owned(), value))
}

/// Run a plugin command; prints its answer.
pub fn plugins(client: &Client, command: PluginCommand, json: bool) -> anyhow::Result<()> {
    let output = match command {
        PluginCommand::List => {
            let plugins = client.get("/plugins")?;
            if !json {
                print_plugin_table(&plugins);
                return Ok(());
            }
            plugins
        }
        PluginCommand::Show { name } => client.get(&format!("/plugins/{name}"))?,
        PluginCommand::Install { file, name } => {
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
        PluginCommand::Remove { name } => {
            client.delete(&format!("/plugins/{name}"))?;
            println!("removed {name}");
            return Ok(());
        }
        PluginCommand::Enable { name } => client.post(&format!("/plugins/{name}/enable"), b"")?,
        PluginCommand::Disable { name } => client.post(&format!("/plugins/{name}/disable"), b"")?,
        PluginCommand::Reload { name } => client.post(&format!("/plugins/{name}/reload"), b"")?,
        PluginCommand::Config { name, json } => {
            serde_json::from_str::<Value>(&json).context("the configuration is not valid JSON")?;
            client.put(&format!("/plugins/{name}/config"), json.as_bytes())?
        }
    };
    println!("{}", serde_json::to_string_pretty(&output)?);
    Ok(())
}

/// `netassure status`.
pub fn status(client: &Client) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(&client.get("/status")?)?);
    Ok(())
}
