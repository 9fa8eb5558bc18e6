//! Exact top talkers of each flow window.
//!
//! Reads the window's host graph from the host (`flow-graph`): bytes or packets sent per source
//! host, received per destination host, and per (source, destination) pair are exact sums there.
//! A talker whose share of the window's traffic reaches `min_share` is reported as a
//! `top-talker` anomaly naming the host (or both hosts of a pair), with its rank and share;
//! windows with less than `min_total` traffic are ignored. The `top` largest of each kind are
//! logged at debug level.

use netassure_plugin_sdk::prelude::*;

/// Configuration.
#[derive(Debug, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Rank by `bytes` or `packets`.
    pub metric: String,
    /// Which talkers: any of `src` (senders), `dst` (receivers), `pair`.
    pub by: Vec<String>,
    /// Share of the window's traffic (0..1] at which a talker is reported.
    pub min_share: f64,
    /// Windows with less traffic than this (in `metric` units) are not judged.
    pub min_total: u64,
    /// How many of each kind to log at debug level.
    pub top: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            metric: "bytes".into(),
            by: vec!["src".into(), "dst".into(), "pair".into()],
            min_share: 0.2,
            min_total: 1_000_000,
            top: 10,
        }
    }
}

/// The kinds of talker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    /// Hosts by what they sent.
    Src,
    /// Hosts by what they received.
    Dst,
    /// (source, destination) pairs.
    Pair,
}

impl By {
    fn parse(name: &str) -> Result<By, PluginError> {
        match name {
            "src" => Ok(By::Src),
            "dst" => Ok(By::Dst),
            "pair" => Ok(By::Pair),
            other => Err(PluginError::InvalidConfig(format!(
                "`by` takes src, dst and pair, not `{other}`"
            ))),
        }
    }

    fn name(self) -> &'static str {
        match self {
            By::Src => "src",
            By::Dst => "dst",
            By::Pair => "pair",
        }
    }
}

/// One talker: a host index (or an edge index for pairs) and its traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Talker {
    /// Host index for `src`/`dst`, edge index for `pair`.
    pub index: usize,
    /// Bytes or packets.
    pub amount: u64,
}

/// Every talker of kind `by` with traffic, ranked by `amount`, largest first (ties by index),
/// with the total.
pub fn ranked(graph: &HostGraph, by: By, packets: bool) -> (Vec<Talker>, u64) {
    let amounts: &[u64] = match (by, packets) {
        (By::Src, false) => &graph.host_bytes_out,
        (By::Src, true) => &graph.host_packets_out,
        (By::Dst, false) => &graph.host_bytes_in,
        (By::Dst, true) => &graph.host_packets_in,
        (By::Pair, false) => &graph.edge_bytes,
        (By::Pair, true) => &graph.edge_packets,
    };
    let mut talkers: Vec<Talker> = amounts
        .iter()
        .enumerate()
        .filter(|&(_, &amount)| amount > 0)
        .map(|(index, &amount)| Talker { index, amount })
        .collect();
    talkers.sort_unstable_by(|a, b| b.amount.cmp(&a.amount).then(a.index.cmp(&b.index)));
    (talkers, amounts.iter().sum())
}

/// The detector.
#[derive(Default)]
pub struct TopTalkers {
    config: Config,
    by: Vec<By>,
}

impl TopTalkers {
    fn hosts_of(graph: &HostGraph, by: By, index: usize) -> Vec<String> {
        match by {
            By::Pair => vec![
                graph.host_addr(graph.edge_src[index] as usize).to_string(),
                graph.host_addr(graph.edge_dst[index] as usize).to_string(),
            ],
            _ => vec![graph.host_addr(index).to_string()],
        }
    }

    fn judge(&self, graph: &HostGraph, by: By, found: &mut Vec<Anomaly>) {
        let packets = self.config.metric == "packets";
        let (talkers, total) = ranked(graph, by, packets);
        if total == 0 || total < self.config.min_total {
            return;
        }
        let unit = &self.config.metric;
        for (rank, talker) in talkers.iter().take(self.config.top).enumerate() {
            let hosts = Self::hosts_of(graph, by, talker.index).join(" → ");
            host::log::debug(&format!(
                "{} #{}: {hosts} {} {unit}",
                by.name(),
                rank + 1,
                talker.amount
            ));
        }
        for (rank, talker) in talkers.iter().enumerate() {
            let share = talker.amount as f64 / total as f64;
            if share < self.config.min_share {
                break;
            }
            let hosts = Self::hosts_of(graph, by, talker.index);
            let mut anomaly = AnomalyBuilder::new("top-talker", share)
                .pattern(Pattern::Spike)
                .symptom(
                    "exceeded",
                    by.name(),
                    "share of the window's traffic above min_share",
                )
                .description(format!(
                    "{} #{} by {}: {} — {} of {total} {unit} ({:.1}%)",
                    by.name(),
                    rank + 1,
                    unit,
                    hosts.join(" → "),
                    talker.amount,
                    share * 100.0
                ));
            for host in &hosts {
                anomaly = anomaly.node(host);
            }
            found.push(anomaly.build());
        }
    }
}

impl Detector for TopTalkers {
    type Config = Config;

    fn describe() -> PluginInfo {
        Describe::detector("top-talkers", env!("CARGO_PKG_VERSION"))
            .description("Exact top talkers of each flow window (senders, receivers, pairs)")
            .subscribe(EventKind::Flows)
            .field(ConfigField::string(
                "metric",
                "Rank by bytes or packets",
                "bytes",
            ))
            .field(ConfigField::strings(
                "by",
                "Talkers to rank: src, dst, pair",
                &["src", "dst", "pair"],
            ))
            .field(ConfigField::float(
                "min_share",
                "Share of the window's traffic (0..1] that is reported",
                0.2,
            ))
            .field(ConfigField::integer(
                "min_total",
                "Windows with less traffic (in metric units) are not judged",
                1_000_000,
            ))
            .field(ConfigField::integer(
                "top",
                "Talkers of each kind logged at debug level",
                10,
            ))
            .build()
    }

    fn configure(&mut self, config: Config) -> Result<(), PluginError> {
        if config.metric != "bytes" && config.metric != "packets" {
            return Err(PluginError::InvalidConfig(format!(
                "metric is bytes or packets, not `{}`",
                config.metric
            )));
        }
        if !(config.min_share > 0.0 && config.min_share <= 1.0) {
            return Err(PluginError::InvalidConfig(format!(
                "min_share must be in (0, 1], got {}",
                config.min_share
            )));
        }
        self.by = config
            .by
            .iter()
            .map(|name| By::parse(name))
            .collect::<Result<_, _>>()?;
        self.config = config;
        Ok(())
    }

    fn on_event(&mut self, event: Event) -> Result<Vec<Finding>, PluginError> {
        let EventPayload::Flows(_) = event.payload else {
            return Ok(vec![]);
        };
        let graph = host::flows::window_graph()
            .ok_or_else(|| PluginError::Other("the host gave no graph for a flow window".into()))?;
        let mut found = Vec::new();
        for &by in &self.by {
            self.judge(&graph, by, &mut found);
        }
        Ok(found.into_iter().map(Finding::from).collect())
    }
}

export_detector!(TopTalkers);

#[cfg(test)]
mod tests;
