//! PageRank of every node, as networkx computes it on an undirected graph (each link both
//! ways; nodes without links spread their rank over all nodes).
//!
//! Parameters: `alpha` (damping, default 0.85), `max_iterations` (default 100), `tolerance`
//! (default 1e-6: stop when the summed change is below n × tolerance) — networkx's defaults, `top`, `include_down`.

use netassure_analytics::centrality;
use netassure_analytics::plugin::{COMMON_PARAMS, Input, centrality_result, not_converged};
use netassure_plugin_sdk::prelude::*;

/// The algorithm.
#[derive(Default)]
pub struct PageRank;

impl GraphAlgorithm for PageRank {
    type Config = NoConfig;

    fn describe() -> PluginInfo {
        Describe::graph_algorithm("pagerank", env!("CARGO_PKG_VERSION"))
            .description("PageRank (params: alpha, max_iterations, tolerance, top, include_down)")
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
        params.expect_only(
            &[
                COMMON_PARAMS,
                &["alpha", "max_iterations", "tolerance", "top"],
            ]
            .concat(),
        )?;
        let alpha: f64 = params.get_or("alpha", 0.85)?;
        if !(0.0..1.0).contains(&alpha) {
            return Err(PluginError::InvalidInput(format!(
                "`alpha` must be in [0, 1), not {alpha}"
            )));
        }
        let input = Input::read(graph, &params)?;
        let scores = centrality::pagerank(
            &input.network,
            alpha,
            params.get_or("max_iterations", 100)?,
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

export_graph_algorithm!(PageRank);

#[cfg(test)]
mod tests {
    use super::*;
    use netassure_plugin_sdk::testing::{link, node};

    #[test]
    fn ranks_sum_to_one_and_the_hub_leads() {
        let graph = GraphSnapshot::local(
            1,
            vec![
                node("hub", "router"),
                node("a", "router"),
                node("b", "router"),
                node("lonely", "router"),
            ],
            vec![
                link("1", "hub", "a", 10_000_000_000),
                link("2", "hub", "b", 10_000_000_000),
            ],
        );
        let result = PageRank.run(&graph, Params::default()).unwrap();
        let total: f64 = result.node_scores.iter().map(|s| s.score).sum();
        assert!((total - 1.0).abs() < 1e-9);
        assert_eq!(result.node_scores[0].id, "hub");
        let bad = Params::of(&[("alpha", "1.5")]);
        assert!(PageRank.run(&graph, bad).is_err());
    }
}
