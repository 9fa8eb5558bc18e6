//! Louvain communities (multi-level modularity optimisation, as networkx's
//! `louvain_communities`).
//!
//! Parameters: `resolution` (default 1: higher finds smaller communities), `seed` (default 42:
//! the node visiting order), `threshold` (default 1e-7: the smallest modularity gain worth
//! another level), `include_down`. Result: `groups` are the communities (largest first),
//! `summary` has `modularity` and `communities`.

use netassure_analytics::community;
use netassure_analytics::plugin::{COMMON_PARAMS, Input, communities_result};
use netassure_plugin_sdk::prelude::*;

/// The algorithm.
#[derive(Default)]
pub struct Louvain;

impl GraphAlgorithm for Louvain {
    type Config = NoConfig;

    fn describe() -> PluginInfo {
        Describe::graph_algorithm("louvain", env!("CARGO_PKG_VERSION"))
            .description("Louvain communities (params: resolution, seed, threshold, include_down)")
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
        params.expect_only(&[COMMON_PARAMS, &["resolution", "seed", "threshold"]].concat())?;
        let input = Input::read(graph, &params)?;
        let resolution = params.get_or("resolution", 1.0)?;
        let communities = community::louvain(
            &input.network,
            resolution,
            params.get_or("seed", 42)?,
            params.get_or("threshold", 1e-7)?,
        );
        Ok(communities_result(&input, graph, &communities, resolution))
    }
}

export_graph_algorithm!(Louvain);

#[cfg(test)]
mod tests {
    use super::*;
    use netassure_plugin_sdk::testing::{link, node};

    #[test]
    fn two_triangles_on_a_bridge_are_two_communities() {
        let nodes = ["a", "b", "c", "x", "y", "z"]
            .map(|id| node(id, "router"))
            .to_vec();
        let links = [
            ("a", "b"),
            ("b", "c"),
            ("c", "a"),
            ("x", "y"),
            ("y", "z"),
            ("z", "x"),
            ("c", "x"),
        ]
        .iter()
        .enumerate()
        .map(|(i, (s, t))| link(&i.to_string(), s, t, 1))
        .collect();
        let result = Louvain
            .run(&GraphSnapshot::local(1, nodes, links), Params::default())
            .unwrap();
        assert_eq!(
            result.groups,
            vec![vec!["a", "b", "c"], vec!["x", "y", "z"]]
        );
        let modularity = result
            .summary
            .iter()
            .find(|(k, _)| k == "modularity")
            .unwrap()
            .1;
        assert!((modularity - 5.0 / 14.0).abs() < 1e-12, "{modularity}");
    }
}
