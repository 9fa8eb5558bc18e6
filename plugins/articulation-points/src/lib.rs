//! Articulation points: nodes whose failure disconnects part of the network — single points
//! of failure.
//!
//! Parameters: `include_down`. Result: `items` are the node ids (sorted), `node-scores` give
//! each one the number of nodes it would cut off from the rest of its component, largest first;
//! `summary` has `articulation_points`.

use netassure_analytics::plugin::{COMMON_PARAMS, Input, empty_result};
use netassure_analytics::{connectivity, whatif};
use netassure_plugin_sdk::prelude::*;

/// The algorithm.
#[derive(Default)]
pub struct ArticulationPoints;

impl GraphAlgorithm for ArticulationPoints {
    type Config = NoConfig;

    fn describe() -> PluginInfo {
        Describe::graph_algorithm("articulation-points", env!("CARGO_PKG_VERSION"))
            .description("Nodes whose failure disconnects the network (params: include_down)")
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
        let points = connectivity::articulation_points(&input.network);
        let links = whatif::link_loads(&input.csr.offsets, &input.csr.targets, &[], &[]);
        let mut node_scores: Vec<Scored> = points
            .iter()
            .map(|&point| {
                let outcome = whatif::what_if(
                    input.network.node_count(),
                    &links,
                    &[point],
                    &[],
                    f64::INFINITY,
                );
                let cut_off: usize = outcome.cut_off.iter().map(Vec::len).sum();
                Scored {
                    id: input.node_id(point).to_owned(),
                    score: cut_off as f64,
                }
            })
            .collect();
        node_scores.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.id.cmp(&b.id)));
        let mut items = input.node_ids(&points);
        items.sort();
        Ok(AlgorithmResult {
            summary: vec![
                ("articulation_points".into(), items.len() as f64),
                ("version".into(), graph.version() as f64),
            ],
            items,
            node_scores,
            ..empty_result()
        })
    }
}

export_graph_algorithm!(ArticulationPoints);

#[cfg(test)]
mod tests {
    use super::*;
    use netassure_plugin_sdk::testing::{link, node};

    #[test]
    fn the_node_holding_a_tail_is_a_single_point_of_failure() {
        let nodes = ["a", "b", "c", "d", "e"]
            .map(|id| node(id, "router"))
            .to_vec();
        let links = vec![
            link("ab", "a", "b", 1),
            link("bc", "b", "c", 1),
            link("ca", "c", "a", 1),
            link("cd", "c", "d", 1),
            link("de", "d", "e", 1),
        ];
        let result = ArticulationPoints
            .run(&GraphSnapshot::local(1, nodes, links), Params::default())
            .unwrap();
        assert_eq!(result.items, vec!["c", "d"]);
        let scores: Vec<(&str, f64)> = result
            .node_scores
            .iter()
            .map(|s| (s.id.as_str(), s.score))
            .collect();
        assert_eq!(
            scores,
            vec![("c", 2.0), ("d", 1.0)],
            "c cuts off d and e; d cuts off e"
        );
    }
}
