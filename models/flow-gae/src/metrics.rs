//! Detection metrics from scores and labels: ROC and precision-recall curves, ROC-AUC, average
//! precision, rates and the confusion matrix at a threshold, per attack class, and the best
//! true-positive rate at a bounded false-positive rate.
//!
//! `netassure eval` and `netassure model train` report with these (the host re-exports them).

use std::collections::BTreeMap;

use serde::Serialize;

/// One attack class at the threshold.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassReport {
    /// Class name.
    pub class: String,
    /// Flows of the class.
    pub flows: u64,
    /// Flows scored at or above the threshold.
    pub detected: u64,
    /// detected ÷ flows.
    pub tpr: f64,
    /// ROC-AUC of this class against the benign flows.
    pub roc_auc: f64,
}

/// The evaluation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Flows scored.
    pub flows: u64,
    /// Attack flows among them.
    pub attacks: u64,
    /// Area under the ROC curve.
    pub roc_auc: f64,
    /// Average precision (area under the precision-recall curve, step-wise).
    pub average_precision: f64,
    /// The threshold applied.
    pub threshold: f64,
    /// True-positive rate at the threshold.
    pub tpr: f64,
    /// False-positive rate at the threshold.
    pub fpr: f64,
    /// Precision at the threshold.
    pub precision: f64,
    /// `[[true negatives, false positives], [false negatives, true positives]]`.
    pub confusion: [[u64; 2]; 2],
    /// Per attack class.
    pub classes: Vec<ClassReport>,
}

/// ROC-AUC of `positive` scores against `negative` scores (ties count half).
pub fn auc(positive: &[f32], negative: &[f32]) -> f64 {
    if positive.is_empty() || negative.is_empty() {
        return f64::NAN;
    }
    let mut all: Vec<(f32, bool)> = positive
        .iter()
        .map(|&s| (s, true))
        .chain(negative.iter().map(|&s| (s, false)))
        .collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0));
    // Mann–Whitney U with average ranks for ties.
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < all.len() {
        let mut j = i;
        while j < all.len() && all[j].0 == all[i].0 {
            j += 1;
        }
        let average_rank = (i + 1 + j) as f64 / 2.0;
        rank_sum += average_rank * all[i..j].iter().filter(|(_, p)| *p).count() as f64;
        i = j;
    }
    let (p, n) = (positive.len() as f64, negative.len() as f64);
    (rank_sum - p * (p + 1.0) / 2.0) / (p * n)
}

/// The points of the curve swept by lowering the threshold through every distinct score:
/// `(false-positive rate, true-positive rate, precision)`.
fn sweep(scores: &[f32], attack: &[bool]) -> Vec<(f64, f64, f64)> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let positives = attack.iter().filter(|&&a| a).count().max(1) as f64;
    let negatives = attack.iter().filter(|&&a| !a).count().max(1) as f64;
    let (mut tp, mut fp) = (0.0, 0.0);
    let mut points = vec![(0.0, 0.0, 1.0)];
    let mut i = 0;
    while i < order.len() {
        let score = scores[order[i]];
        while i < order.len() && scores[order[i]] == score {
            if attack[order[i]] {
                tp += 1.0
            } else {
                fp += 1.0
            }
            i += 1;
        }
        points.push((fp / negatives, tp / positives, tp / (tp + fp)));
    }
    points
}

/// ROC curve: `(fpr, tpr)` points.
pub fn roc_curve(scores: &[f32], attack: &[bool]) -> Vec<(f64, f64)> {
    sweep(scores, attack)
        .into_iter()
        .map(|(fpr, tpr, _)| (fpr, tpr))
        .collect()
}

/// The best operating point with a false-positive rate of at most `max_fpr`:
/// `(threshold, tpr, fpr)` — flows scoring at or above `threshold` are flagged.
pub fn tpr_at_fpr(scores: &[f32], attack: &[bool], max_fpr: f64) -> (f32, f64, f64) {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let positives = attack.iter().filter(|&&a| a).count().max(1) as f64;
    let negatives = attack.iter().filter(|&&a| !a).count().max(1) as f64;
    let (mut tp, mut fp) = (0.0, 0.0);
    let mut best = (f32::INFINITY, 0.0, 0.0);
    let mut i = 0;
    while i < order.len() {
        let score = scores[order[i]];
        while i < order.len() && scores[order[i]] == score {
            if attack[order[i]] {
                tp += 1.0
            } else {
                fp += 1.0
            }
            i += 1;
        }
        if fp / negatives > max_fpr {
            break;
        }
        best = (score, tp / positives, fp / negatives);
    }
    best
}

/// Precision-recall curve: `(recall, precision)` points.
pub fn pr_curve(scores: &[f32], attack: &[bool]) -> Vec<(f64, f64)> {
    sweep(scores, attack)
        .into_iter()
        .skip(1)
        .map(|(_, tpr, precision)| (tpr, precision))
        .collect()
}

/// Average precision: Σ (Rₙ − Rₙ₋₁) Pₙ over the precision-recall curve.
fn average_precision(scores: &[f32], attack: &[bool]) -> f64 {
    let mut previous_recall = 0.0;
    let mut total = 0.0;
    for (recall, precision) in pr_curve(scores, attack) {
        total += (recall - previous_recall) * precision;
        previous_recall = recall;
    }
    total
}

/// Everything at `threshold`.
pub fn evaluate(scores: &[f32], attack: &[bool], class: &[String], threshold: f64) -> Report {
    let flagged = |i: usize| f64::from(scores[i]) >= threshold;
    let mut confusion = [[0u64; 2]; 2];
    for i in 0..scores.len() {
        confusion[usize::from(attack[i])][usize::from(flagged(i))] += 1;
    }
    let [[tn, fp], [fn_, tp]] = confusion;
    let benign: Vec<f32> = (0..scores.len())
        .filter(|&i| !attack[i])
        .map(|i| scores[i])
        .collect();
    let positive: Vec<f32> = (0..scores.len())
        .filter(|&i| attack[i])
        .map(|i| scores[i])
        .collect();
    let mut by_class: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for i in (0..scores.len()).filter(|&i| attack[i]) {
        by_class.entry(class[i].as_str()).or_default().push(i);
    }
    let classes = by_class
        .into_iter()
        .map(|(name, flows)| {
            let detected = flows.iter().filter(|&&i| flagged(i)).count() as u64;
            let class_scores: Vec<f32> = flows.iter().map(|&i| scores[i]).collect();
            ClassReport {
                class: name.to_owned(),
                flows: flows.len() as u64,
                detected,
                tpr: detected as f64 / flows.len() as f64,
                roc_auc: auc(&class_scores, &benign),
            }
        })
        .collect();
    Report {
        flows: scores.len() as u64,
        attacks: tp + fn_,
        roc_auc: auc(&positive, &benign),
        average_precision: average_precision(scores, attack),
        threshold,
        tpr: tp as f64 / (tp + fn_).max(1) as f64,
        fpr: fp as f64 / (tn + fp).max(1) as f64,
        precision: tp as f64 / (tp + fp).max(1) as f64,
        confusion,
        classes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_checked_metrics() {
        // Attack scores 0.9, 0.8, 0.4; benign 0.7, 0.3, 0.2, 0.1.
        let scores = [0.9, 0.7, 0.8, 0.3, 0.4, 0.2, 0.1];
        let attack = [true, false, true, false, true, false, false];
        let class: Vec<String> = ["A", "Benign", "A", "Benign", "B", "Benign", "Benign"]
            .map(String::from)
            .to_vec();
        // Pairs (attack > benign): 0.9 beats 4, 0.8 beats 4, 0.4 beats 3 → 11 of 12.
        assert!((auc(&[0.9, 0.8, 0.4], &[0.7, 0.3, 0.2, 0.1]) - 11.0 / 12.0).abs() < 1e-12);
        assert_eq!(auc(&[0.5], &[0.5]), 0.5, "ties count half");
        let report = evaluate(&scores, &attack, &class, 0.5);
        assert_eq!(report.confusion, [[3, 1], [1, 2]]);
        assert!((report.tpr - 2.0 / 3.0).abs() < 1e-12);
        assert!((report.fpr - 0.25).abs() < 1e-12);
        // AP: recall steps of 1/3 at precision 1 (0.9), 1 (0.8) and 3/4 (0.4; 0.7 is benign).
        let expected_ap = (1.0 + 1.0 + 3.0 / 4.0) / 3.0;
        assert!(
            (report.average_precision - expected_ap).abs() < 1e-12,
            "{}",
            report.average_precision
        );
        assert_eq!(report.classes.len(), 2);
        assert_eq!(
            (report.classes[0].class.as_str(), report.classes[0].detected),
            ("A", 2)
        );
        assert_eq!(
            (report.classes[1].class.as_str(), report.classes[1].detected),
            ("B", 0)
        );
        // At most 1 of 4 benign flagged: threshold 0.4 flags 0.9, 0.8, 0.7 (benign) and 0.4.
        let (threshold, tpr, fpr) = tpr_at_fpr(&scores, &attack, 0.25);
        assert_eq!(threshold, 0.4);
        assert!((tpr - 1.0).abs() < 1e-12 && (fpr - 0.25).abs() < 1e-12);
        let roc = roc_curve(&scores, &attack);
        assert_eq!(roc.first(), Some(&(0.0, 0.0)));
        assert_eq!(roc.last(), Some(&(1.0, 1.0)));
    }
}
