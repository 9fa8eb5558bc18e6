//! Communities by semi-synchronous label propagation (as networkx's
//! `label_propagation_communities`): fast, no parameters to tune, deterministic.
//!
//! Parameters: `max_rounds` (default 1000), `include_down`. Result: `groups` are the
//! communities (largest first), `summary` has `modularity` and `communities`.

use netassure_analytics::community;
use netassure_analytics::plugin::{COMMON_PARAMS, Input, communities_result};
use netassure_plugin_sdk::prelude::*;

/// The algorithm.
#[derive(Default)]
pub struct LabelPropagation;

impl GraphAlgorithm for LabelPropagation {
    type Config = NoConfig;

    fn describe() -> PluginInfo {
        Describe::graph_algorithm("label-propagation", env!("CARGO_PKG_VERSION"))
            .description("Label propagation communities (params: max_rounds, include_down)")
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
        params.expect_only(&[COMMON_PARAMS, &["max_rounds"]].concat())?;
        let input = Input::read(graph, &params)?;
        let communities =
            community::label_propagation(&input.network, params.get_or("max_rounds", 1000)?);
        Ok(communities_result(&input, graph, &communities, 1.0))
    }
}

export_graph_algorithm!(LabelPropagation);

#[cfg(test)]
mod tests {
    use super::*;
    use netassure_plugin_sdk::testing::{link, node};

    #[test]
    fn two_separate_triangles_are_two_communities() {
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
        ]
        .iter()
        .enumerate()
        .map(|(i, (s, t))| link(&i.to_string(), s, t, 1))
        .collect();
        let result = LabelPropagation
            .run(&GraphSnapshot::local(1, nodes, links), Params::default())
            .unwrap();
        assert_eq!(
            result.groups,
            vec![vec!["a", "b", "c"], vec!["x", "y", "z"]]
        );
    }
}
