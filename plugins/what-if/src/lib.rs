//! What-if: fail nodes and links and see the consequences — node pairs that lose reachability,
//! groups cut off, the failed links' measured traffic rerouted along the shortest surviving
//! path (fewest hops), and the links that overload. Traffic on the links of a failed node is
//! counted as lost.
//!
//! Parameters: `fail` (list of node or link ids, required), `overload_threshold` (utilisation,
//! default 1.0), `include_down`.
//!
//! Result (see docs/analyses.md): `summary` has `lost_pairs`, `cut_off_nodes`, `rerouted_bps`,
//! `lost_bps`, `overloaded_links`; `groups` are the node groups cut off; `link-scores` the
//! utilisation after the failure of every link whose load changed; `items` the overloaded link
//! ids; `paths` one per rerouted link: the failed link's id, then the node ids of its new path.

use std::collections::HashMap;

use netassure_analytics::plugin::{COMMON_PARAMS, Input, empty_result, groups};
use netassure_analytics::whatif;
use netassure_plugin_sdk::prelude::*;

/// The analysis.
#[derive(Default)]
pub struct WhatIf;

impl GraphAlgorithm for WhatIf {
    type Config = NoConfig;

    fn describe() -> PluginInfo {
        Describe::graph_algorithm("what-if", env!("CARGO_PKG_VERSION"))
            .description("Fail nodes and links: lost reachability, rerouted load, overloaded links (params: fail, overload_threshold, include_down)")
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
        params.expect_only(&[COMMON_PARAMS, &["fail", "overload_threshold"]].concat())?;
        let fail: Vec<String> = params.get("fail")?.ok_or_else(|| {
            PluginError::InvalidInput(
                "parameter `fail` (a list of node or link ids) is required".into(),
            )
        })?;
        let threshold: f64 = params.get_or("overload_threshold", 1.0)?;
        let input = Input::read(graph, &params)?;
        let csr = &input.csr;
        let link_position: HashMap<&str, u32> = csr
            .link_ids
            .iter()
            .enumerate()
            .map(|(i, id)| (id.as_str(), i as u32))
            .collect();
        let (mut failed_nodes, mut failed_links) = (Vec::new(), Vec::new());
        for id in &fail {
            match (input.node(id), link_position.get(id.as_str())) {
                (Ok(node), _) => failed_nodes.push(node),
                (Err(_), Some(&link)) => failed_links.push(link),
                (Err(_), None) => {
                    return Err(PluginError::InvalidInput(format!(
                        "`{id}` is neither a working node nor a working link"
                    )));
                }
            }
        }
        let links = whatif::link_loads(
            &csr.offsets,
            &csr.targets,
            &csr.capacity_bps,
            &csr.utilisation,
        );
        let outcome = whatif::what_if(
            input.network.node_count(),
            &links,
            &failed_nodes,
            &failed_links,
            threshold,
        );
        let rerouted_bps: f64 = outcome
            .rerouted
            .iter()
            .filter(|r| r.path.is_some())
            .map(|r| r.load_bps)
            .sum();
        let cut_off_nodes: usize = outcome.cut_off.iter().map(Vec::len).sum();
        let mut items: Vec<String> = outcome
            .overloaded
            .iter()
            .map(|&l| input.link_id(l).to_owned())
            .collect();
        items.sort();
        Ok(AlgorithmResult {
            summary: vec![
                ("lost_pairs".into(), outcome.lost_pairs as f64),
                ("cut_off_nodes".into(), cut_off_nodes as f64),
                ("rerouted_bps".into(), rerouted_bps),
                ("lost_bps".into(), outcome.lost_bps),
                ("overloaded_links".into(), items.len() as f64),
                ("version".into(), graph.version() as f64),
            ],
            groups: groups(&input, &outcome.cut_off),
            link_scores: outcome
                .changed
                .iter()
                .map(|&(link, utilisation)| Scored {
                    id: input.link_id(link).to_owned(),
                    score: utilisation,
                })
                .collect(),
            items,
            paths: outcome
                .rerouted
                .iter()
                .filter_map(|reroute| {
                    let nodes = reroute.path.as_ref()?;
                    Some(
                        std::iter::once(input.link_id(reroute.link).to_owned())
                            .chain(input.node_ids(nodes))
                            .collect(),
                    )
                })
                .collect(),
            ..empty_result()
        })
    }
}

export_graph_algorithm!(WhatIf);

#[cfg(test)]
mod tests {
    use super::*;
    use netassure_plugin_sdk::testing::{link, node};

    /// A square a-b-c-d-a of 10 Gb/s links; a-b carries 6 Gb/s, d-a 5 Gb/s.
    fn square() -> GraphSnapshot<'static> {
        let nodes = ["a", "b", "c", "d"].map(|id| node(id, "router")).to_vec();
        let mut links = vec![
            link("ab", "a", "b", 10_000_000_000),
            link("bc", "b", "c", 10_000_000_000),
            link("cd", "c", "d", 10_000_000_000),
            link("da", "d", "a", 10_000_000_000),
        ];
        for (link, utilisation) in links.iter_mut().zip([0.6, 0.3, 0.2, 0.5]) {
            link.utilisation = Some(utilisation);
        }
        GraphSnapshot::local(1, nodes, links)
    }

    #[test]
    fn failing_a_loaded_link_overloads_the_long_way_round() {
        let result = WhatIf
            .run(&square(), Params::of(&[("fail", r#"["ab"]"#)]))
            .unwrap();
        assert_eq!(result.paths, vec![vec!["ab", "a", "d", "c", "b"]]);
        assert_eq!(result.items, vec!["da"], "5 + 6 Gb/s on 10");
        let summary: HashMap<&str, f64> = result
            .summary
            .iter()
            .map(|(k, v)| (k.as_str(), *v))
            .collect();
        assert_eq!(
            (
                summary["lost_pairs"],
                summary["rerouted_bps"],
                summary["lost_bps"]
            ),
            (0.0, 6e9, 0.0)
        );
        let unknown = WhatIf.run(&square(), Params::of(&[("fail", r#"["nope"]"#)]));
        assert!(matches!(unknown, Err(PluginError::InvalidInput(text)) if text.contains("nope")));
    }
}
