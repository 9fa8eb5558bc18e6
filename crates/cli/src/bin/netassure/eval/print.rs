//! How `netassure eval` prints its reports.

use std::path::Path;

use indicatif::{ProgressBar, ProgressStyle};
use netassure_cli::evaluation::Report;
use netassure_cli::evaluation::detection::DetectionRun;
use netassure_cli::evaluation::incidents::IncidentReport;

/// A progress bar over the bytes of `file`.
pub(crate) fn progress_bar(file: &Path) -> ProgressBar {
    let bar = ProgressBar::new(std::fs::metadata(file).map_or(0, |m| m.len()));
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} {bar:40} {binary_bytes}/{binary_total_bytes} eta {eta}",
        )
        .expect("a valid template"),
    );
    bar
}

/// The per-flow report.
pub(crate) fn flow_report(
    model: &str,
    report: &Report,
    windows: u64,
    seconds: Option<f64>,
    device: Option<&str>,
) {
    let speed = match (seconds, device) {
        (Some(seconds), Some(device)) => format!(
            "; model time {seconds:.2} s on {device} ({:.0} flows/s)",
            report.flows as f64 / seconds.max(1e-9)
        ),
        _ => String::new(),
    };
    println!(
        "{model} on {} flows ({} attack) in {windows} windows{speed}",
        report.flows, report.attacks
    );
    println!("  ROC-AUC            {:.4}", report.roc_auc);
    println!("  average precision  {:.4}", report.average_precision);
    println!(
        "  at threshold {:.4}: TPR {:.2}%  FPR {:.2}%  precision {:.2}%",
        report.threshold,
        report.tpr * 100.0,
        report.fpr * 100.0,
        report.precision * 100.0
    );
    let [[tn, fp], [fn_, tp]] = report.confusion;
    println!("  confusion            predicted benign  predicted attack");
    println!("    benign            {tn:>16}  {fp:>16}");
    println!("    attack            {fn_:>16}  {tp:>16}");
    println!(
        "  {:<18} {:>8} {:>9} {:>8} {:>8}",
        "class", "flows", "detected", "TPR", "ROC-AUC"
    );
    for class in &report.classes {
        println!(
            "  {:<18} {:>8} {:>9} {:>7.2}% {:>8.4}",
            class.class,
            class.flows,
            class.detected,
            class.tpr * 100.0,
            class.roc_auc
        );
    }
}

/// The incident-level report.
pub(crate) fn incident_report(report: &IncidentReport, run: &DetectionRun) {
    println!(
        "detection: {} flows in {} windows through {} plugins in {:.1} s; {} incidents, {} alerting",
        run.flows,
        run.windows,
        run.plugins,
        run.seconds,
        run.incidents.len(),
        report.alerting_incidents
    );
    for (plugin, health) in &run.plugin_health {
        println!(
            "  plugin {plugin}: {:?} ({})",
            health.state,
            health.reason.as_deref().unwrap_or("")
        );
    }
    println!(
        "  recall     {}/{} attacks ({:.1}%)",
        report.detected,
        report.attacks,
        report.recall * 100.0
    );
    println!(
        "  in incidents {}/{} attacks (alerting or not)",
        report.in_incidents, report.attacks
    );
    println!(
        "  precision  {}/{} alerts real ({:.1}%)",
        report.true_alerts,
        report.alerting_incidents,
        report.precision * 100.0
    );
    println!(
        "  false alerts {} : {:.2} per benign hour ({:.2} h), {:.2} per 100 MB ({} bytes)",
        report.false_alerts.len(),
        report.false_alerts_per_benign_hour,
        report.benign_hours,
        report.false_alerts_per_100mb,
        report.bytes
    );
    if let Some(seconds) = report.mean_time_to_detect_s {
        println!("  mean time to detect {seconds:.1} s");
    }
    println!(
        "  victims named as attackers: {}",
        report.victims_named_as_attackers.len()
    );
    println!(
        "  {:<34} {:<14} {:<9} {:<10} {:>8}",
        "attack", "class", "detected", "attacker", "TTD s"
    );
    for attack in &report.per_attack {
        println!(
            "  {:<34} {:<14} {:<9} {:<10} {:>8}",
            attack.name,
            attack.class,
            if attack.detected { "yes" } else { "NO" },
            if attack.attacker_named_first {
                "named"
            } else {
                "-"
            },
            attack
                .time_to_detect_s
                .map_or("-".to_owned(), |s| format!("{s:.1}"))
        );
    }
    for alert in &report.false_alerts {
        println!("  false alert {}: {}", alert.incident_id, alert.summary);
    }
    for named in &report.victims_named_as_attackers {
        println!(
            "  victim named as attacker {}: {}",
            named.incident_id, named.summary
        );
    }
}
