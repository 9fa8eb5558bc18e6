//! Flow graph autoencoder detector: each flow window goes to the host's `flow-gae` ONNX model
//! (hosts as nodes, flows as edges; see `models/flow-gae.md`), which scores every flow by how
//! badly its volume, duration and TCP flags are predicted from its two hosts and its service.
//! Flows at or above the threshold (the model's own, or `threshold`) are evidence: grouped per
//! attacker — the host that started the conversation, never one that only answered — or, when
//! many attackers hit one victim, per victim ([`group`]), each group is one `flow-gae` anomaly
//! naming its attacker(s) first, then its victims and services, with its strongest flows and,
//! for each, the features furthest from what the model expected ([`explain`]). A flagged flow
//! of a routine conversation — a pair that talks on one service all the time, almost never
//! flagged — is that conversation's tail, not evidence ([`routine`]).
//!
//! The host serves the model only once it was trained on this network (or when told to use
//! the generic one); until then inference is "not available", the detector finds nothing, and
//! the host shows it as `learning` or `degraded` with the reason. It asks before building a
//! window's inputs (`inference.run` with no inputs), so a learning period costs it nothing.

pub mod explain;
pub mod group;
pub mod routine;

use netassure_flowgraph::gae::{FLOW_COLUMNS, GaeInputs, HOST_COLUMNS};
use netassure_flowgraph::{HostGraph, flow_slices};
use netassure_plugin_sdk::flows::addr_from_u128;
use netassure_plugin_sdk::host::inference::{self, InferenceError, Tensor, TensorData};
use netassure_plugin_sdk::prelude::*;

/// Configuration.
#[derive(Debug, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// The model to run.
    pub model: String,
    /// Score at or above which a flow is anomalous; default: the model's own threshold.
    pub threshold: Option<f64>,
    /// Flows listed as evidence per anomaly, highest scores first.
    pub max_flows: usize,
    /// Anomalies reported per window at most: the groups with the highest scores (a model
    /// that flags much of a window would otherwise spend its call describing thousands).
    pub max_anomalies: usize,
    /// A group is reported only with at least this many flagged flows in the window.
    pub min_flows: usize,
    /// A victim hit by flagged flows of at least this many attackers is one distributed
    /// anomaly.
    pub distributed: usize,
    /// Features explained per evidence flow (those furthest from expectation).
    pub features: usize,
    /// A conversation (initiator, responder, service) with at least this many flows behind it
    /// (decayed) is routine when few of them were flagged; 0 turns routine tails off.
    pub routine_min_flows: usize,
    /// Largest share of a routine conversation's flows that may have been flagged.
    pub routine_max_flagged_share: f64,
    /// Half-life of the conversations' counts, seconds.
    pub routine_half_life_s: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            model: "flow-gae".into(),
            threshold: None,
            max_flows: 20,
            max_anomalies: 100,
            min_flows: 1,
            distributed: 20,
            features: 3,
            routine_min_flows: 50,
            routine_max_flagged_share: 0.05,
            routine_half_life_s: 3_600,
        }
    }
}

/// The detector.
#[derive(Default)]
pub struct FlowGae {
    config: Config,
    routine: routine::Routine,
}

fn tensor(name: &str, shape: Vec<u64>, data: TensorData) -> Tensor {
    Tensor {
        name: name.into(),
        shape,
        data,
    }
}

/// The model's inputs as WIT tensors.
pub fn model_inputs(inputs: GaeInputs) -> Vec<Tensor> {
    let (flows, hosts) = (inputs.flow_count() as u64, inputs.host_count() as u64);
    vec![
        tensor(
            "flows",
            vec![flows, FLOW_COLUMNS as u64],
            TensorData::Float32(inputs.flows),
        ),
        tensor("src", vec![flows], TensorData::Int64(inputs.src)),
        tensor("dst", vec![flows], TensorData::Int64(inputs.dst)),
        tensor(
            "hosts",
            vec![hosts, HOST_COLUMNS as u64],
            TensorData::Float32(inputs.hosts),
        ),
    ]
}

/// What the model said about a window.
#[derive(Debug, Default)]
pub struct ModelOutput {
    /// `[F]` scores.
    pub score: Vec<f32>,
    /// The model's threshold, when it has one.
    pub threshold: Option<f32>,
    /// `[F, T]` expected feature values (empty for a model without them).
    pub expected: Vec<f32>,
    /// `[F, T]` standardised deviations (empty for a model without them).
    pub deviation: Vec<f32>,
}

/// The outputs by name.
pub fn model_output(outputs: Vec<Tensor>) -> Result<ModelOutput, PluginError> {
    let mut found = ModelOutput::default();
    let mut has_score = false;
    for output in outputs {
        let TensorData::Float32(values) = output.data else {
            continue;
        };
        match output.name.as_str() {
            "score" => {
                found.score = values;
                has_score = true;
            }
            "threshold" => found.threshold = values.first().copied(),
            "expected" => found.expected = values,
            "deviation" => found.deviation = values,
            _ => {}
        }
    }
    if !has_score {
        return Err(PluginError::Other(
            "the model returned no float `score`".into(),
        ));
    }
    Ok(found)
}

impl FlowGae {
    /// Whether the host has a model to score with: asked with no inputs, so that a learning
    /// period (or a missing model) does not pay for the window's graph and inputs. The host
    /// answers "not available" or "unknown model" before it looks at the inputs; a model that
    /// is there refuses the empty inputs instead.
    fn model_available(&self) -> bool {
        !matches!(
            inference::run(&self.config.model, &[]),
            Err(InferenceError::NotAvailable | InferenceError::UnknownModel(_))
        )
    }

    fn rule(&self) -> routine::Rule {
        routine::Rule {
            min_flows: self.config.routine_min_flows as f32,
            max_flagged_share: self.config.routine_max_flagged_share as f32,
            half_life_s: self.config.routine_half_life_s as f64,
        }
    }

    fn report(
        &mut self,
        window: &FlowWindow,
        output: &ModelOutput,
        threshold: f64,
    ) -> Vec<Finding> {
        let batch = &window.flows;
        let scored = output.score.len().min(batch.len());
        let is_flagged = |flow: usize| f64::from(output.score[flow]) >= threshold;
        let conversations = host::flows::conversations();
        let mut flagged: Vec<usize> = (0..scored).filter(|&flow| is_flagged(flow)).collect();
        if self.config.routine_min_flows > 0 {
            let (now_s, rule) = (window.end_ms / 1000, self.rule());
            let pair = |flow| routine::pair(batch, conversations.as_ref(), flow);
            let before = flagged.len();
            flagged.retain(|&flow| !self.routine.is_tail(&pair(flow), now_s, rule));
            if flagged.len() < before {
                host::metrics::counter_add("routine_tail_flows", (before - flagged.len()) as u64);
            }
            let seen = (0..scored).map(|flow| (pair(flow), is_flagged(flow)));
            self.routine.add(seen, now_s, rule);
        }
        if flagged.is_empty() {
            return Vec::new();
        }
        let groups: Vec<group::Group> = group::group(
            batch,
            conversations.as_ref(),
            &flagged,
            self.config.distributed,
        )
        .into_iter()
        .filter(|g| g.flows.len() >= self.config.min_flows)
        .collect();
        let kept = self.highest_scoring(&groups, output);
        groups
            .into_iter()
            .zip(kept)
            .filter_map(|(g, kept)| kept.then(|| self.finding(batch, output, threshold, g)))
            .collect()
    }

    /// Which of `groups` to describe: all, or the `max_anomalies` with the highest scores (the
    /// others are counted in the `anomalies_not_reported` metric), kept in their order.
    fn highest_scoring(&self, groups: &[group::Group], output: &ModelOutput) -> Vec<bool> {
        let max = self.config.max_anomalies;
        if groups.len() <= max {
            return vec![true; groups.len()];
        }
        host::metrics::counter_add("anomalies_not_reported", (groups.len() - max) as u64);
        let top = |g: &group::Group| {
            g.flows
                .iter()
                .map(|&flow| output.score[flow])
                .fold(f32::MIN, f32::max)
        };
        let mut order: Vec<(f32, usize)> = groups.iter().map(top).zip(0..).collect();
        order.select_nth_unstable_by(max - 1, |a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let mut kept = vec![false; groups.len()];
        for &(_, index) in &order[..max] {
            kept[index] = true;
        }
        kept
    }

    fn finding(
        &self,
        batch: &FlowBatch,
        output: &ModelOutput,
        threshold: f64,
        mut g: group::Group,
    ) -> Finding {
        g.flows
            .sort_by(|&a, &b| output.score[b].total_cmp(&output.score[a]));
        let top = f64::from(output.score[g.flows[0]]);
        let names = |hosts: &[u128]| -> Vec<String> {
            hosts
                .iter()
                .map(|&h| addr_from_u128(h).to_string())
                .collect()
        };
        let (attackers, victims) = (names(&g.attackers), names(&g.victims));
        let mut builder = AnomalyBuilder::new(
            "flow-gae",
            (0.5 + 0.5 * (1.0 - threshold / top)).clamp(0.5, 1.0),
        )
        .pattern(Pattern::Other)
        .symptom(
            "deviates",
            "flow-graph",
            "flows unlike this network's benign traffic between such hosts",
        )
        .description(describe(&g, &attackers, &victims, top, threshold))
        .attacker_count(g.attackers.len() as u32)
        .measure("flagged-flows", g.flows.len() as f64)
        .measure("highest-score", top)
        .measure("threshold", threshold);
        for attacker in attackers.iter().take(20) {
            builder = builder.attacker(attacker);
        }
        for victim in victims.iter().take(20) {
            builder = builder.victim(victim);
        }
        let (first, last) = g.flows.iter().fold((u64::MAX, 0), |(first, last), &f| {
            (first.min(batch.start_ms[f]), last.max(batch.end_ms[f]))
        });
        builder = builder.seen(first, last);
        for &flow in &g.flows {
            builder = builder.service(batch.protocol[flow], service_port(batch, flow));
        }
        for &flow in g.flows.iter().take(self.config.max_flows) {
            let features = explain::furthest(
                batch,
                flow,
                &output.expected,
                &output.deviation,
                self.config.features,
            );
            let evidence = FlowEvidence::of(batch, flow, f64::from(output.score[flow]))
                .with_features(features);
            builder = builder.evidence_flow(evidence);
        }
        builder.finding()
    }
}

/// The port of the service a flow belongs to: its destination port, or its source port when
/// it answers (the flow goes from the service back to the client).
fn service_port(batch: &FlowBatch, flow: usize) -> u16 {
    let (src, dst) = (batch.src_port[flow], batch.dst_port[flow]);
    if src != 0 && src < dst && src < 1024 {
        src
    } else {
        dst
    }
}

fn describe(
    g: &group::Group,
    attackers: &[String],
    victims: &[String],
    top: f64,
    threshold: f64,
) -> String {
    let who = if g.distributed {
        format!("{} hosts", attackers.len())
    } else {
        attackers.first().cloned().unwrap_or_default()
    };
    let whom = match victims.len() {
        0 => String::new(),
        1 => format!(" with {}", victims[0]),
        n => format!(" with {} and {} more", victims[0], n - 1),
    };
    format!(
        "{} flows of {who}{whom} unlike this network's benign traffic (highest score {top:.3}, threshold {threshold:.3})",
        g.flows.len()
    )
}

impl Detector for FlowGae {
    type Config = Config;

    fn describe() -> PluginInfo {
        Describe::detector("flow-gae", env!("CARGO_PKG_VERSION"))
            .description("Graph autoencoder over flow windows (ONNX model of this network, run by the host): flows unlike benign traffic, per attacker, with the features furthest from expectation")
            .subscribe(EventKind::Flows)
            .field(ConfigField::string("model", "Model to run", "flow-gae"))
            .field(ConfigField::optional("threshold", "float", "Score that counts as anomalous (default: the model's own)"))
            .field(ConfigField::integer("max_flows", "Evidence flows listed per anomaly", 20))
            .field(ConfigField::integer("max_anomalies", "Anomalies reported per window at most, the highest-scoring groups first", 100))
            .field(ConfigField::integer("min_flows", "Flagged flows a group needs in a window to be reported", 1))
            .field(ConfigField::integer("distributed", "Attackers on one victim that make one distributed anomaly", 20))
            .field(ConfigField::integer("features", "Features explained per evidence flow", 3))
            .field(ConfigField::integer("routine_min_flows", "Flows (decayed) a conversation needs behind it before its rarely flagged flows count as its routine tail; 0: off", 50))
            .field(ConfigField::float("routine_max_flagged_share", "Largest share of a routine conversation's flows that may have been flagged", 0.05))
            .field(ConfigField::integer("routine_half_life_s", "Half-life of the conversations' counts, seconds", 3600))
            .build()
    }

    fn configure(&mut self, config: Config) -> Result<(), PluginError> {
        if config.model.is_empty() {
            return Err(PluginError::InvalidConfig("model must name a model".into()));
        }
        if config.threshold.is_some_and(|t| !t.is_finite() || t < 0.0) {
            return Err(PluginError::InvalidConfig(
                "threshold must be a non-negative number".into(),
            ));
        }
        if !(0.0..=1.0).contains(&config.routine_max_flagged_share)
            || config.routine_half_life_s == 0
        {
            return Err(PluginError::InvalidConfig(
                "routine_max_flagged_share must be within 0..1 and routine_half_life_s positive"
                    .into(),
            ));
        }
        if config.min_flows == 0 || config.distributed < 2 {
            return Err(PluginError::InvalidConfig(
                "min_flows must be at least 1 and distributed at least 2".into(),
            ));
        }
        if !(1..=1_000).contains(&config.max_anomalies) {
            return Err(PluginError::InvalidConfig(
                "max_anomalies must be 1 ..= 1000 (the host keeps at most 1000 per call)".into(),
            ));
        }
        self.config = config;
        Ok(())
    }

    fn on_event(&mut self, event: Event) -> Result<Vec<Finding>, PluginError> {
        let EventPayload::Flows(window) = event.payload else {
            return Ok(vec![]);
        };
        if window.flows.is_empty() || !self.model_available() {
            return Ok(vec![]);
        }
        let graph: HostGraph = host::flows::window_graph()
            .ok_or_else(|| PluginError::Other("the host gave no graph for a flow window".into()))?;
        let inputs = GaeInputs::new(&graph, &flow_slices!(window.flows));
        let outputs = match inference::run(&self.config.model, &model_inputs(inputs)) {
            Ok(outputs) => outputs,
            // No model for this network yet (learning), or none at all: the host shows the
            // plugin as learning or degraded with the reason; there is nothing to report.
            Err(InferenceError::NotAvailable | InferenceError::UnknownModel(_)) => {
                return Ok(vec![]);
            }
            Err(InferenceError::InvalidInput(reason)) => {
                return Err(PluginError::InvalidInput(reason));
            }
            Err(InferenceError::Other(reason)) => return Err(PluginError::Other(reason)),
        };
        let output = model_output(outputs)?;
        if output.score.len() != window.flows.len() {
            return Err(PluginError::Other(format!(
                "{} scores for {} flows",
                output.score.len(),
                window.flows.len()
            )));
        }
        let threshold = self
            .config
            .threshold
            .or(output.threshold.map(f64::from))
            .ok_or_else(|| {
                PluginError::InvalidConfig(
                    "the model has no threshold output: set `threshold`".into(),
                )
            })?;
        Ok(self.report(&window, &output, threshold))
    }
}

export_detector!(FlowGae);

#[cfg(test)]
mod tests;
