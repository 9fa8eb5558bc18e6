//! Degree centrality of every node, normalised like networkx: degree / (n − 1), on the
//! undirected simple graph of the working topology (parallel links count once).
//!
//! Parameters: `top` (keep the N highest), `include_down`.

use netassure_analytics::centrality;
use netassure_analytics::plugin::{COMMON_PARAMS, Input, centrality_result};
use netassure_plugin_sdk::prelude::*;

/// The algorithm.
#[derive(Default)]
pub struct DegreeCentrality;

impl GraphAlgorithm for DegreeCentrality {
    type Config = NoConfig;

    fn describe() -> PluginInfo {
        Describe::graph_algorithm("degree-centrality", env!("CARGO_PKG_VERSION"))
            .description(
                "Degree centrality of every node, degree / (n - 1) (params: top, include_down)",
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
        let scores = centrality::degree(&input.network);
        Ok(centrality_result(
            &input,
            graph,
            &scores,
            params.get("top")?,
        ))
    }
}

export_graph_algorithm!(DegreeCentrality);

#[cfg(test)]
mod tests {
    use super::*;
    use netassure_plugin_sdk::testing::{link, node};

    #[test]
    fn star_graph_centre_has_centrality_one() {
        let nodes = vec![
            node("hub", "spine"),
            node("a", "leaf"),
            node("b", "leaf"),
            node("c", "leaf"),
        ];
        let links = vec![
            link("1", "hub", "a", 1),
            link("2", "b", "hub", 1),
            link("3", "hub", "c", 1),
            link("4", "a", "hub", 1),
        ];
        let graph = GraphSnapshot::local(3, nodes, links);
        let result = DegreeCentrality
            .run(&graph, Params::of(&[("top", "2")]))
            .unwrap();
        assert_eq!(result.node_scores.len(), 2);
        assert_eq!(result.node_scores[0].id, "hub");
        assert!(
            (result.node_scores[0].score - 1.0).abs() < 1e-12,
            "a parallel link counts once"
        );
        assert!((result.node_scores[1].score - 1.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn bad_parameter_is_an_input_error() {
        let graph = GraphSnapshot::local(1, vec![], vec![]);
        assert!(matches!(
            DegreeCentrality.run(&graph, Params::of(&[("top", "\"many\"")])),
            Err(PluginError::InvalidInput(_))
        ));
    }
}
