//! Per-link utilisation history: a bounded series of `(time, utilisation)` per link, fed by
//! telemetry and by deltas that set utilisation.

use std::collections::VecDeque;
use std::sync::Arc;

use hashbrown::HashMap;

use serde::{Deserialize, Serialize};

/// One point.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// Time, ms since the epoch.
    pub timestamp_ms: u64,
    /// Utilisation, fraction of capacity.
    pub utilisation: f64,
}

/// The series of every link.
#[derive(Debug, Clone, Default)]
pub(crate) struct UtilisationHistory {
    points_per_link: usize,
    series: HashMap<Arc<str>, VecDeque<Point>>,
}

impl UtilisationHistory {
    /// Keep at most `points_per_link` points per link (the oldest go first).
    pub fn new(points_per_link: usize) -> Self {
        UtilisationHistory {
            points_per_link: points_per_link.max(1),
            series: HashMap::new(),
        }
    }

    /// Record a point.
    pub fn record(&mut self, link: &str, point: Point) {
        let series = match self.series.get_mut(link) {
            Some(series) => series,
            None => self.series.entry(Arc::from(link)).or_default(),
        };
        if series.len() == self.points_per_link {
            series.pop_front();
        }
        series.push_back(point);
    }

    /// Points of `link` at or after `since_ms`, oldest first; `None` for a link never seen.
    pub fn since(&self, link: &str, since_ms: u64) -> Option<Vec<Point>> {
        let series = self.series.get(link)?;
        Some(
            series
                .iter()
                .filter(|point| point.timestamp_ms >= since_ms)
                .copied()
                .collect(),
        )
    }

    /// Every series (for checkpoints).
    pub fn all(&self) -> &HashMap<Arc<str>, VecDeque<Point>> {
        &self.series
    }
}
