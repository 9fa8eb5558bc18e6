//! {{NAME}}: a NetAssure graph algorithm.

use netassure_plugin_sdk::prelude::*;
use netassure_plugin_sdk::undirected_graph;

/// The algorithm.
#[derive(Default)]
pub struct Plugin;

impl GraphAlgorithm for Plugin {
    type Config = NoConfig;

    fn describe() -> PluginInfo {
        Describe::graph_algorithm("{{NAME}}", env!("CARGO_PKG_VERSION"))
            .description("Number of neighbours of every node")
            .build()
    }

    fn configure(&mut self, _config: NoConfig) -> Result<(), PluginError> {
        Ok(())
    }

    fn run(&mut self, graph: &GraphSnapshot<'_>, params: Params) -> Result<AlgorithmResult, PluginError> {
        let top: usize = params.get_or("top", usize::MAX)?;
        let csr = graph.to_csr();
        let petgraph = undirected_graph(&csr);
        let mut node_scores: Vec<Scored> = petgraph
            .node_indices()
            .map(|node| Scored { id: csr.node_ids[node.index()].clone(), score: petgraph.neighbors(node).count() as f64 })
            .collect();
        node_scores.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.id.cmp(&b.id)));
        node_scores.truncate(top);
        Ok(AlgorithmResult { node_scores, link_scores: vec![], groups: vec![], items: vec![], paths: vec![], summary: vec![] })
    }
}

export_graph_algorithm!(Plugin);

#[cfg(test)]
mod tests {
    use super::*;
    use netassure_plugin_sdk::testing::{link, node};

    #[test]
    fn counts_neighbours() {
        let graph = GraphSnapshot::local(1, vec![node("a", "r"), node("b", "r"), node("c", "r")], vec![link("1", "a", "b", 1), link("2", "a", "c", 1)]);
        let result = Plugin.run(&graph, Params::default()).unwrap();
        assert_eq!(result.node_scores[0].id, "a");
        assert_eq!(result.node_scores[0].score, 2.0);
    }
}
