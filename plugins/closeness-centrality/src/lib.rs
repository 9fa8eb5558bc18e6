//! Closeness centrality of every node with the Wasserman–Faust correction for disconnected
//! graphs (networkx's default), one breadth-first search per node on flat arrays.
//!
//! Parameters: `top` (keep the N highest), `include_down`.

use netassure_analytics::centrality;
use netassure_analytics::plugin::{COMMON_PARAMS, Input, centrality_result};
use netassure_plugin_sdk::prelude::*;

/// The algorithm.
#[derive(Default)]
pub struct Closeness;

impl GraphAlgorithm for Closeness {
    type Config = NoConfig;

    fn describe() -> PluginInfo {
        Describe::graph_algorithm("closeness-centrality", env!("CARGO_PKG_VERSION"))
            .description(
                "Closeness centrality, Wasserman–Faust corrected (params: top, include_down)",
            )
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
        params.expect_only(&[COMMON_PARAMS, &["top"]].concat())?;
        let input = Input::read(graph, &params)?;
        let scores = centrality::closeness(&input.network);
        Ok(centrality_result(
            &input,
            graph,
            &scores,
            params.get("top")?,
        ))
    }
}

export_graph_algorithm!(Closeness);

#[cfg(test)]
mod tests {
    use super::*;
    use netassure_plugin_sdk::testing::{link, node};

    #[test]
    fn the_centre_of_a_star_is_closest() {
        let graph = GraphSnapshot::local(
            1,
            vec![
                node("hub", "router"),
                node("a", "router"),
                node("b", "router"),
                node("c", "router"),
            ],
            vec![
                link("1", "hub", "a", 10_000_000_000),
                link("2", "hub", "b", 10_000_000_000),
                link("3", "c", "hub", 10_000_000_000),
            ],
        );
        let result = Closeness.run(&graph, Params::default()).unwrap();
        assert_eq!(
            (
                result.node_scores[0].id.as_str(),
                result.node_scores[0].score
            ),
            ("hub", 1.0)
        );
        assert!(
            (result.node_scores[1].score - 0.6).abs() < 1e-12,
            "3 / (1 + 2 + 2)"
        );
    }
}
