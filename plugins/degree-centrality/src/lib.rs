//! Degree centrality of every node, normalised like networkx: degree / (n - 1).
//!
//! Links are treated as undirected and parallel links count separately, as in a networkx
//! `MultiGraph`. Parameters: `top` (integer, keep only the highest-scoring N nodes).

use netassure_plugin_sdk::prelude::*;
use netassure_plugin_sdk::undirected_graph;

/// The algorithm.
#[derive(Default)]
pub struct DegreeCentrality;

/// Degree centrality of every node of `csr`, in CSR node order.
pub fn degree_centrality(csr: &netassure_plugin_sdk::Csr) -> Vec<f64> {
    let graph = undirected_graph(csr);
    let n = graph.node_count();
    let scale = if n > 1 { 1.0 / (n - 1) as f64 } else { 0.0 };
    graph
        .node_indices()
        .map(|node| graph.edges(node).count() as f64 * scale)
        .collect()
}

impl GraphAlgorithm for DegreeCentrality {
    type Config = NoConfig;

    fn describe() -> PluginInfo {
        Describe::graph_algorithm("degree-centrality", env!("CARGO_PKG_VERSION"))
            .description("Degree centrality of every node (degree / (n - 1))")
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
        let top: Option<usize> = params.get("top")?;
        let csr = graph.to_csr();
        let scores = degree_centrality(&csr);
        let mut node_scores: Vec<Scored> = csr
            .node_ids
            .into_iter()
            .zip(scores)
            .map(|(id, score)| Scored { id, score })
            .collect();
        node_scores.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.id.cmp(&b.id)));
        if let Some(top) = top {
            node_scores.truncate(top);
        }
        let max = node_scores.first().map_or(0.0, |best| best.score);
        Ok(AlgorithmResult {
            node_scores,
            link_scores: vec![],
            groups: vec![],
            items: vec![],
            paths: vec![],
            summary: vec![
                ("max".into(), max),
                ("version".into(), graph.version() as f64),
            ],
        })
    }
}

export_graph_algorithm!(DegreeCentrality);

#[cfg(test)]
mod tests {
    use super::*;
    use netassure_plugin_sdk::Param;
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
        ];
        let graph = GraphSnapshot::local(3, nodes, links);
        let params = Params::new(vec![Param {
            name: "top".into(),
            value: "2".into(),
        }]);
        let result = DegreeCentrality.run(&graph, params).unwrap();
        assert_eq!(result.node_scores.len(), 2);
        assert_eq!(result.node_scores[0].id, "hub");
        assert!((result.node_scores[0].score - 1.0).abs() < 1e-12);
        assert!((result.node_scores[1].score - 1.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn bad_parameter_is_an_input_error() {
        let graph = GraphSnapshot::local(1, vec![], vec![]);
        let params = Params::new(vec![Param {
            name: "top".into(),
            value: "\"many\"".into(),
        }]);
        assert!(matches!(
            DegreeCentrality.run(&graph, params),
            Err(PluginError::InvalidInput(_))
        ));
    }
}
