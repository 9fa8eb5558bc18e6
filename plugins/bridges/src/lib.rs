//! Bridges: links whose failure disconnects part of the network — single points of failure.
//! Two nodes joined by parallel links are never a bridge.
//!
//! Parameters: `include_down`. Result: `items` are the link ids (sorted); `summary` has
//! `bridges`.

use netassure_analytics::connectivity;
use netassure_analytics::plugin::{COMMON_PARAMS, Input, empty_result};
use netassure_plugin_sdk::prelude::*;

/// The algorithm.
#[derive(Default)]
pub struct Bridges;

impl GraphAlgorithm for Bridges {
    type Config = NoConfig;

    fn describe() -> PluginInfo {
        Describe::graph_algorithm("bridges", env!("CARGO_PKG_VERSION"))
            .description("Links whose failure disconnects the network (params: include_down)")
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
        let mut items: Vec<String> = connectivity::bridges(&input.network)
            .into_iter()
            .map(|position| input.link_id(position).to_owned())
            .collect();
        items.sort();
        Ok(AlgorithmResult {
            summary: vec![
                ("bridges".into(), items.len() as f64),
                ("version".into(), graph.version() as f64),
            ],
            items,
            ..empty_result()
        })
    }
}

export_graph_algorithm!(Bridges);

#[cfg(test)]
mod tests {
    use super::*;
    use netassure_plugin_sdk::testing::{link, node};

    #[test]
    fn the_tail_link_is_a_bridge_unless_doubled() {
        let nodes = ["a", "b", "c", "d"].map(|id| node(id, "router")).to_vec();
        let mut links = vec![
            link("ab", "a", "b", 1),
            link("bc", "b", "c", 1),
            link("ca", "c", "a", 1),
            link("cd", "c", "d", 1),
        ];
        let single = Bridges
            .run(
                &GraphSnapshot::local(1, nodes.clone(), links.clone()),
                Params::default(),
            )
            .unwrap();
        assert_eq!(single.items, vec!["cd"]);
        links.push(link("dc", "d", "c", 1));
        let doubled = Bridges
            .run(&GraphSnapshot::local(1, nodes, links), Params::default())
            .unwrap();
        assert!(doubled.items.is_empty());
    }
}
