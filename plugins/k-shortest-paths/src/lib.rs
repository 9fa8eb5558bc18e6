//! The k shortest simple paths between two nodes by hop count (Yen's algorithm, as networkx's
//! `shortest_simple_paths`); among paths of equal length, those through the lowest node
//! positions come first.
//!
//! Parameters: `source` and `target` (node ids, required), `k` (default 3), `include_down`.
//! Result: `paths` are node id sequences, shortest first; `summary` has `paths` and `shortest`
//! (hops; absent when the nodes are not connected).

use netassure_analytics::paths;
use netassure_analytics::plugin::{COMMON_PARAMS, Input, empty_result};
use netassure_plugin_sdk::prelude::*;

/// The algorithm.
#[derive(Default)]
pub struct KShortestPaths;

impl GraphAlgorithm for KShortestPaths {
    type Config = NoConfig;

    fn describe() -> PluginInfo {
        Describe::graph_algorithm("k-shortest-paths", env!("CARGO_PKG_VERSION"))
            .description("The k shortest simple paths between two nodes (params: source, target, k, include_down)")
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
        params.expect_only(&[COMMON_PARAMS, &["source", "target", "k"]].concat())?;
        let required = |name: &str| -> Result<String, PluginError> {
            params.get(name)?.ok_or_else(|| {
                PluginError::InvalidInput(format!("parameter `{name}` (a node id) is required"))
            })
        };
        let (source, target) = (required("source")?, required("target")?);
        let k: usize = params.get_or("k", 3)?;
        let input = Input::read(graph, &params)?;
        let found = paths::k_shortest_paths(
            &input.network.adjacency(),
            input.node(&source)?,
            input.node(&target)?,
            k,
        );
        let mut summary = vec![("paths".into(), found.len() as f64)];
        if let Some(shortest) = found.first() {
            summary.push(("shortest".into(), (shortest.len() - 1) as f64));
        }
        summary.push(("version".into(), graph.version() as f64));
        Ok(AlgorithmResult {
            paths: found.iter().map(|path| input.node_ids(path)).collect(),
            summary,
            ..empty_result()
        })
    }
}

export_graph_algorithm!(KShortestPaths);

#[cfg(test)]
mod tests {
    use super::*;
    use netassure_plugin_sdk::testing::{link, node};

    #[test]
    fn a_ring_has_two_ways_round() {
        let nodes = ["a", "b", "c", "d"].map(|id| node(id, "router")).to_vec();
        let links = vec![
            link("ab", "a", "b", 1),
            link("bc", "b", "c", 1),
            link("cd", "c", "d", 1),
            link("da", "d", "a", 1),
        ];
        let graph = GraphSnapshot::local(1, nodes, links);
        let result = KShortestPaths
            .run(
                &graph,
                Params::of(&[("source", "\"a\""), ("target", "\"b\""), ("k", "5")]),
            )
            .unwrap();
        assert_eq!(result.paths, vec![vec!["a", "b"], vec!["a", "d", "c", "b"]]);
        let missing = KShortestPaths.run(&graph, Params::of(&[("source", "\"a\"")]));
        assert!(
            matches!(missing, Err(PluginError::InvalidInput(text)) if text.contains("`target`"))
        );
        let unknown = KShortestPaths.run(
            &graph,
            Params::of(&[("source", "\"a\""), ("target", "\"zz\"")]),
        );
        assert!(matches!(unknown, Err(PluginError::InvalidInput(text)) if text.contains("zz")));
    }
}
