//! ROC and precision-recall curves as PNG (plotters, with the DejaVu Sans font compiled in so
//! no system font is needed).

use std::path::Path;
use std::sync::Once;

use plotters::prelude::*;

fn register_font() {
    static FONT: Once = Once::new();
    FONT.call_once(|| {
        let _ = plotters::style::register_font(
            "sans-serif",
            FontStyle::Normal,
            dejavu::sans::regular(),
        );
    });
}

fn curve(
    path: &Path,
    title: &str,
    (x_label, y_label): (&str, &str),
    points: &[(f64, f64)],
    diagonal: bool,
) -> anyhow::Result<()> {
    register_font();
    let root = BitMapBackend::new(path, (800, 700)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 26))
        .margin(20)
        .x_label_area_size(50)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..1.0, 0.0..1.0)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    chart
        .configure_mesh()
        .x_desc(x_label)
        .y_desc(y_label)
        .label_style(("sans-serif", 16))
        .draw()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if diagonal {
        chart
            .draw_series(LineSeries::new([(0.0, 0.0), (1.0, 1.0)], BLACK.mix(0.3)))
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    chart
        .draw_series(LineSeries::new(
            points.iter().copied(),
            BLUE.stroke_width(2),
        ))
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    root.present().map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(())
}

/// The ROC curve to `path`.
pub fn plot_roc(path: &Path, model: &str, auc: f64, points: &[(f64, f64)]) -> anyhow::Result<()> {
    curve(
        path,
        &format!("{model}: ROC (AUC {auc:.4})"),
        ("false-positive rate", "true-positive rate"),
        points,
        true,
    )
}

/// The precision-recall curve to `path`.
pub fn plot_pr(path: &Path, model: &str, ap: f64, points: &[(f64, f64)]) -> anyhow::Result<()> {
    curve(
        path,
        &format!("{model}: precision-recall (AP {ap:.4})"),
        ("recall", "precision"),
        points,
        false,
    )
}
