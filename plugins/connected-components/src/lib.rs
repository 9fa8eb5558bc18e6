//! Connected components: which parts of the network can reach each other.
//!
//! Parameters: `include_down`. Result: `groups` are the components (largest first), `summary`
//! has `components`, `largest` and `isolated` (components of one node).

use netassure_analytics::connectivity;
use netassure_analytics::plugin::{COMMON_PARAMS, Input, empty_result, groups};
use netassure_plugin_sdk::prelude::*;

/// The algorithm.
#[derive(Default)]
pub struct ConnectedComponents;

impl GraphAlgorithm for ConnectedComponents {
    type Config = NoConfig;

    fn describe() -> PluginInfo {
        Describe::graph_algorithm("connected-components", env!("CARGO_PKG_VERSION"))
            .description("Connected components (params: include_down)")
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
        params.expect_only(COMMON_PARAMS)?;
        let input = Input::read(graph, &params)?;
        let components = connectivity::components(&input.network);
        let largest = components.first().map_or(0, Vec::len);
        let isolated = components.iter().filter(|c| c.len() == 1).count();
        Ok(AlgorithmResult {
            groups: groups(&input, &components),
            summary: vec![
                ("components".into(), components.len() as f64),
                ("largest".into(), largest as f64),
                ("isolated".into(), isolated as f64),
                ("version".into(), graph.version() as f64),
            ],
            ..empty_result()
        })
    }
}

export_graph_algorithm!(ConnectedComponents);

#[cfg(test)]
mod tests {
    use super::*;
    use netassure_plugin_sdk::testing::{link, node};

    #[test]
    fn a_down_link_splits_the_network_unless_down_links_count() {
        let nodes = ["a", "b", "c"].map(|id| node(id, "router")).to_vec();
        let mut cut = link("bc", "b", "c", 1);
        cut.state = OperState::Down;
        let graph = GraphSnapshot::local(1, nodes, vec![link("ab", "a", "b", 1), cut]);
        let working = ConnectedComponents.run(&graph, Params::default()).unwrap();
        assert_eq!(working.groups, vec![vec!["a", "b"], vec!["c"]]);
        let all = ConnectedComponents
            .run(&graph, Params::of(&[("include_down", "true")]))
            .unwrap();
        assert_eq!(all.groups, vec![vec!["a", "b", "c"]]);
    }
}
