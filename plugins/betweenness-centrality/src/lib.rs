//! Betweenness centrality of every node (normalised by (n − 1)(n − 2), as networkx), exact
//! (Brandes on flat arrays) or estimated from sampled sources for large graphs.
//!
//! Parameters: `samples` (integer: estimate from this many source nodes; absent or 0: exact),
//! `seed` (integer, default 0: which sources are drawn), `top` (keep the N highest), `links`
//! (boolean: also edge betweenness of every link, normalised by n (n − 1)), `include_down`.

use netassure_analytics::centrality;
use netassure_analytics::plugin::{COMMON_PARAMS, Input, centrality_result};
use netassure_plugin_sdk::prelude::*;

/// The algorithm.
#[derive(Default)]
pub struct Betweenness;

impl GraphAlgorithm for Betweenness {
    type Config = NoConfig;

    fn describe() -> PluginInfo {
        Describe::graph_algorithm("betweenness-centrality", env!("CARGO_PKG_VERSION"))
            .description("Betweenness centrality, exact or sampled (params: samples, seed, top, links, include_down)")
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
        params.expect_only(&[COMMON_PARAMS, &["samples", "seed", "top", "links"]].concat())?;
        let input = Input::read(graph, &params)?;
        let samples: usize = params.get_or("samples", 0)?;
        let scores = if samples == 0 {
            centrality::betweenness(&input.network)
        } else {
            centrality::betweenness_sampled(&input.network, samples, params.get_or("seed", 0)?)
        };
        let mut result = centrality_result(&input, graph, &scores, params.get("top")?);
        result.summary.push((
            "samples".into(),
            samples.min(input.network.node_count()) as f64,
        ));
        if params.get_or("links", false)? {
            let edges = centrality::edge_betweenness(&input.network);
            result.link_scores = input
                .network
                .graph
                .raw_edges()
                .iter()
                .zip(edges)
                .map(|(edge, score)| Scored {
                    id: input.link_id(edge.weight.link).to_owned(),
                    score,
                })
                .collect();
            result
                .link_scores
                .sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.id.cmp(&b.id)));
        }
        Ok(result)
    }
}

export_graph_algorithm!(Betweenness);

#[cfg(test)]
mod tests {
    use super::*;
    use netassure_plugin_sdk::testing::{link, node};

    #[test]
    fn the_middle_of_a_path_carries_every_path() {
        let graph = GraphSnapshot::local(
            3,
            vec![
                node("a", "router"),
                node("b", "router"),
                node("c", "router"),
            ],
            vec![
                link("ab", "a", "b", 10_000_000_000),
                link("bc", "b", "c", 10_000_000_000),
            ],
        );
        let result = Betweenness
            .run(&graph, Params::of(&[("links", "true")]))
            .unwrap();
        assert_eq!(
            (
                result.node_scores[0].id.as_str(),
                result.node_scores[0].score
            ),
            ("b", 1.0)
        );
        assert_eq!(result.link_scores.len(), 2);
        let sampled = Betweenness
            .run(&graph, Params::of(&[("samples", "3")]))
            .unwrap();
        assert_eq!(
            sampled.node_scores[0].score, 1.0,
            "every source sampled: exact"
        );
        let err = Betweenness
            .run(&graph, Params::of(&[("sample", "3")]))
            .unwrap_err();
        assert!(matches!(err, PluginError::InvalidInput(text) if text.contains("`sample`")));
    }
}
