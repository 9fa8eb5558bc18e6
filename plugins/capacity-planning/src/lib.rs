//! Capacity planning: a least-squares utilisation trend per link and the days until it reaches
//! a threshold. The host passes the stored utilisation history (`GET /analysis/capacity`).
//!
//! Parameters: `series` (required: `{"link id": [[time ms, utilisation], ...]}`), `threshold`
//! (default 0.8), `horizon_days` (default 365: links reaching the threshold later are not
//! ranked).
//!
//! Result (see docs/analyses.md): `link-scores` are the days until the threshold of the links
//! that reach it within the horizon, soonest first (0: already there); `items` the links
//! already at or over it; `summary` has, per analysed link, `slope_per_day:<link>` and
//! `level:<link>`, and `links`, `threshold`, `horizon_days`.

use std::collections::BTreeMap;

use netassure_analytics::capacity;
use netassure_analytics::plugin::empty_result;
use netassure_plugin_sdk::prelude::*;

/// The analysis.
#[derive(Default)]
pub struct CapacityPlanning;

impl GraphAlgorithm for CapacityPlanning {
    type Config = NoConfig;

    fn describe() -> PluginInfo {
        Describe::graph_algorithm("capacity-planning", env!("CARGO_PKG_VERSION"))
            .description("Utilisation trend per link and days until a threshold (params: series, threshold, horizon_days)")
            .build()
    }

    fn configure(&mut self, _config: NoConfig) -> Result<(), PluginError> {
        Ok(())
    }

    fn run(
        &mut self,
        _graph: &GraphSnapshot<'_>,
        params: Params,
    ) -> Result<AlgorithmResult, PluginError> {
        params.expect_only(&["series", "threshold", "horizon_days"])?;
        let series: BTreeMap<String, Vec<(f64, f64)>> = params.get("series")?.ok_or_else(|| {
            PluginError::InvalidInput(
                "parameter `series` (utilisation per link) is required".into(),
            )
        })?;
        let threshold: f64 = params.get_or("threshold", 0.8)?;
        let horizon: f64 = params.get_or("horizon_days", 365.0)?;
        let mut result = empty_result();
        let mut analysed = 0;
        for (link, samples) in &series {
            let Some(trend) = capacity::trend(samples, threshold) else {
                continue;
            };
            analysed += 1;
            result
                .summary
                .push((format!("slope_per_day:{link}"), trend.slope_per_day));
            result.summary.push((format!("level:{link}"), trend.level));
            match trend.days_to_threshold {
                Some(0.0) => {
                    result.items.push(link.clone());
                    result.link_scores.push(Scored {
                        id: link.clone(),
                        score: 0.0,
                    });
                }
                Some(days) if days <= horizon => result.link_scores.push(Scored {
                    id: link.clone(),
                    score: days,
                }),
                _ => {}
            }
        }
        result
            .link_scores
            .sort_by(|a, b| a.score.total_cmp(&b.score).then_with(|| a.id.cmp(&b.id)));
        result.summary.extend([
            ("links".into(), analysed as f64),
            ("threshold".into(), threshold),
            ("horizon_days".into(), horizon),
        ]);
        Ok(result)
    }
}

export_graph_algorithm!(CapacityPlanning);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rising_link_is_ranked_and_a_flat_one_is_not() {
        let day = 86_400_000.0;
        let rising: Vec<[f64; 2]> = (0..10)
            .map(|d| [d as f64 * day, 0.5 + 0.01 * d as f64])
            .collect();
        let flat: Vec<[f64; 2]> = (0..10).map(|d| [d as f64 * day, 0.3]).collect();
        let hot: Vec<[f64; 2]> = (0..10).map(|d| [d as f64 * day, 0.95]).collect();
        let series = serde_json_text(&[("up", &rising), ("flat", &flat), ("hot", &hot)]);
        let graph = GraphSnapshot::local(1, vec![], vec![]);
        let result = CapacityPlanning
            .run(&graph, Params::of(&[("series", &series)]))
            .unwrap();
        let ranked: Vec<(&str, f64)> = result
            .link_scores
            .iter()
            .map(|s| (s.id.as_str(), s.score))
            .collect();
        assert_eq!(ranked[0], ("hot", 0.0));
        assert_eq!(ranked[1].0, "up");
        assert!((ranked[1].1 - 21.0).abs() < 1e-9);
        assert_eq!(ranked.len(), 2);
        assert_eq!(result.items, vec!["hot"]);
    }

    fn serde_json_text(series: &[(&str, &Vec<[f64; 2]>)]) -> String {
        let entries: Vec<String> = series
            .iter()
            .map(|(link, points)| {
                let points: Vec<String> =
                    points.iter().map(|[t, u]| format!("[{t},{u}]")).collect();
                format!("\"{link}\":[{}]", points.join(","))
            })
            .collect();
        format!("{{{}}}", entries.join(","))
    }
}
