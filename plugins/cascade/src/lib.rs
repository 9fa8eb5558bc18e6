//! Load–capacity cascade (Motter–Lai): each node's capacity is `(1 + tolerance)` times its
//! initial load (betweenness); after the initial failure, nodes over capacity fail in rounds
//! until the network is stable.
//!
//! Parameters: `tolerance` (default 0.2), `fail` (node ids failing first; default the most
//! loaded node), `samples` (estimate loads from this many sources; default exact up to 2,000
//! nodes, 200 sources above), `seed` (default 0), `include_down`.
//!
//! Result: `groups` are the failures step by step (step 0 the initial failure); `summary` has
//! `steps`, `failed`, `largest_component_fraction` (surviving largest component over all
//! nodes) and `tolerance`.

use netassure_analytics::cascade::{Loads, motter_lai};
use netassure_analytics::plugin::{COMMON_PARAMS, Input, empty_result};
use netassure_plugin_sdk::prelude::*;

/// Largest graph whose loads are computed exactly unless `samples` says otherwise.
const EXACT_UP_TO: usize = 2_000;

/// The analysis.
#[derive(Default)]
pub struct Cascade;

impl GraphAlgorithm for Cascade {
    type Config = NoConfig;

    fn describe() -> PluginInfo {
        Describe::graph_algorithm("cascade", env!("CARGO_PKG_VERSION"))
            .description("Motter–Lai load–capacity cascade (params: tolerance, fail, samples, seed, include_down)")
            .build()
    }

    fn configure(&mut self, _config: NoConfig) -> Result<(), PluginError> {
        Ok(())
    }

    fn run(
        &mut self,
        graph: &GraphSnapshot<'_>,
        params: Params,
    ) -> Result<AlgorithmResult, PluginError> {
        params.expect_only(&[COMMON_PARAMS, &["tolerance", "fail", "samples", "seed"]].concat())?;
        let tolerance: f64 = params.get_or("tolerance", 0.2)?;
        if tolerance.is_nan() || tolerance < 0.0 {
            return Err(PluginError::InvalidInput(format!(
                "`tolerance` must be 0 or more, not {tolerance}"
            )));
        }
        let input = Input::read(graph, &params)?;
        let fail: Vec<String> = params.get_or("fail", Vec::new())?;
        let initial = fail
            .iter()
            .map(|id| input.node(id))
            .collect::<Result<Vec<u32>, _>>()?;
        let n = input.network.node_count();
        let default_samples = if n <= EXACT_UP_TO { 0 } else { 200 };
        let loads = match params.get_or("samples", default_samples)? {
            0 => Loads::Exact,
            samples => Loads::Sampled(samples, params.get_or("seed", 0)?),
        };
        let cascade = motter_lai(&input.network, tolerance, &initial, loads);
        let failed: usize = cascade.steps.iter().map(Vec::len).sum();
        Ok(AlgorithmResult {
            groups: cascade
                .steps
                .iter()
                .map(|step| {
                    let mut ids = input.node_ids(step);
                    ids.sort();
                    ids
                })
                .collect(),
            summary: vec![
                ("steps".into(), cascade.steps.len() as f64),
                ("failed".into(), failed as f64),
                (
                    "largest_component_fraction".into(),
                    cascade.largest_component_fraction,
                ),
                ("tolerance".into(), tolerance),
                ("exact".into(), f64::from(u8::from(loads == Loads::Exact))),
                ("version".into(), graph.version() as f64),
            ],
            ..empty_result()
        })
    }
}

export_graph_algorithm!(Cascade);

#[cfg(test)]
mod tests {
    use super::*;
    use netassure_plugin_sdk::testing::{link, node};

    #[test]
    fn a_tight_network_cascades_and_a_loose_one_holds() {
        // Triangles a-b-c and x-y-z joined through hub h (c-h-x) and relay r (c-r-x).
        let nodes = ["a", "b", "c", "h", "r", "x", "y", "z"]
            .map(|id| node(id, "router"))
            .to_vec();
        let pairs = [
            ("a", "b"),
            ("b", "c"),
            ("c", "a"),
            ("x", "y"),
            ("y", "z"),
            ("z", "x"),
            ("c", "h"),
            ("h", "x"),
            ("c", "r"),
            ("r", "x"),
        ];
        let links = pairs
            .iter()
            .enumerate()
            .map(|(i, (s, t))| link(&i.to_string(), s, t, 1))
            .collect();
        let graph = GraphSnapshot::local(1, nodes, links);
        let tight = Cascade
            .run(
                &graph,
                Params::of(&[("tolerance", "0"), ("fail", r#"["h"]"#)]),
            )
            .unwrap();
        assert_eq!(tight.groups, vec![vec!["h"], vec!["r"]]);
        let loose = Cascade
            .run(
                &graph,
                Params::of(&[("tolerance", "1.5"), ("fail", r#"["h"]"#)]),
            )
            .unwrap();
        assert_eq!(loose.groups, vec![vec!["h"]]);
    }
}
