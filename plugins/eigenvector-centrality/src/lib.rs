//! Eigenvector centrality of every node (unit Euclidean norm), by rustworkx-core's power
//! iteration on A + I — the iteration networkx runs.
//!
//! Parameters: `max_iterations` (default 1000), `tolerance` (default 1e-6, networkx's: stop
//! when the summed change is below n × tolerance), `top`, `include_down`. A graph without links, or one
//! that does not converge in time, is an `invalid-input` error saying so.

use netassure_analytics::centrality;
use netassure_analytics::plugin::{COMMON_PARAMS, Input, centrality_result, not_converged};
use netassure_plugin_sdk::prelude::*;

/// The algorithm.
#[derive(Default)]
pub struct Eigenvector;

impl GraphAlgorithm for Eigenvector {
    type Config = NoConfig;

    fn describe() -> PluginInfo {
        Describe::graph_algorithm("eigenvector-centrality", env!("CARGO_PKG_VERSION"))
            .description(
                "Eigenvector centrality (params: max_iterations, tolerance, top, include_down)",
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
        params.expect_only(&[COMMON_PARAMS, &["max_iterations", "tolerance", "top"]].concat())?;
        let input = Input::read(graph, &params)?;
        let scores = centrality::eigenvector(
            &input.network,
            params.get_or("max_iterations", 1_000)?,
            params.get_or("tolerance", 1e-6)?,
        )
        .map_err(not_converged)?;
        Ok(centrality_result(
            &input,
            graph,
            &scores,
            params.get("top")?,
        ))
    }
}

export_graph_algorithm!(Eigenvector);

#[cfg(test)]
mod tests {
    use super::*;
    use netassure_plugin_sdk::testing::{link, node};

    #[test]
    fn a_triangle_is_uniform_and_no_links_is_an_error() {
        let nodes = vec![
            node("a", "router"),
            node("b", "router"),
            node("c", "router"),
        ];
        let triangle = GraphSnapshot::local(
            1,
            nodes.clone(),
            vec![
                link("1", "a", "b", 10_000_000_000),
                link("2", "b", "c", 10_000_000_000),
                link("3", "c", "a", 10_000_000_000),
            ],
        );
        let result = Eigenvector.run(&triangle, Params::default()).unwrap();
        assert!(
            result
                .node_scores
                .iter()
                .all(|s| (s.score - 1.0 / 3f64.sqrt()).abs() < 1e-9)
        );
        let empty = GraphSnapshot::local(1, nodes, vec![]);
        assert!(matches!(
            Eigenvector.run(&empty, Params::default()),
            Err(PluginError::InvalidInput(_))
        ));
    }
}
