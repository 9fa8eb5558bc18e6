//! Capacity planning: a least-squares trend of a link's utilisation over time, and the days
//! until it reaches a threshold at that trend.

const MS_PER_DAY: f64 = 86_400_000.0;

/// The trend of one link.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Trend {
    /// Utilisation change per day (least squares).
    pub slope_per_day: f64,
    /// Utilisation on the trend line at the newest sample.
    pub level: f64,
    /// Days from the newest sample until the trend reaches the threshold: 0 when already
    /// there, `None` when it is flat or falling.
    pub days_to_threshold: Option<f64>,
    /// Samples used.
    pub samples: usize,
}

/// Fit `(time ms, utilisation)` samples; `None` with fewer than two distinct times. Samples
/// with a non-finite utilisation are skipped.
pub fn trend(samples: &[(f64, f64)], threshold: f64) -> Option<Trend> {
    let points: Vec<(f64, f64)> = samples
        .iter()
        .filter(|(t, u)| t.is_finite() && u.is_finite())
        .map(|&(t, u)| (t / MS_PER_DAY, u))
        .collect();
    let count = points.len() as f64;
    let mean_t = points.iter().map(|p| p.0).sum::<f64>() / count;
    let mean_u = points.iter().map(|p| p.1).sum::<f64>() / count;
    let spread: f64 = points.iter().map(|p| (p.0 - mean_t).powi(2)).sum();
    if points.len() < 2 || spread == 0.0 {
        return None;
    }
    let slope = points
        .iter()
        .map(|p| (p.0 - mean_t) * (p.1 - mean_u))
        .sum::<f64>()
        / spread;
    let newest = points.iter().map(|p| p.0).fold(f64::MIN, f64::max);
    let level = mean_u + slope * (newest - mean_t);
    let days_to_threshold = if level >= threshold {
        Some(0.0)
    } else if slope > 0.0 {
        Some((threshold - level) / slope)
    } else {
        None
    };
    Some(Trend {
        slope_per_day: slope,
        level,
        days_to_threshold,
        samples: points.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_steady_climb_reaches_the_threshold_on_time() {
        // 0.5 rising 0.01 per day, sampled daily for 10 days: 0.59 at day 9, 0.8 at day 30.
        let samples: Vec<(f64, f64)> = (0..10)
            .map(|day| (day as f64 * MS_PER_DAY, 0.5 + 0.01 * day as f64))
            .collect();
        let fit = trend(&samples, 0.8).unwrap();
        assert!((fit.slope_per_day - 0.01).abs() < 1e-12);
        assert!((fit.level - 0.59).abs() < 1e-12);
        assert!((fit.days_to_threshold.unwrap() - 21.0).abs() < 1e-9);
        let falling: Vec<(f64, f64)> = samples.iter().map(|&(t, u)| (t, 1.0 - u)).collect();
        assert_eq!(trend(&falling, 0.8).unwrap().days_to_threshold, None);
        assert_eq!(trend(&samples, 0.5).unwrap().days_to_threshold, Some(0.0));
        assert!(trend(&samples[..1], 0.8).is_none());
    }
}
