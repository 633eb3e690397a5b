//! `mnist-tui lr-find`: the learning-rate finder on the settings of a new run,
//! printed as a table, a text chart and the suggestion with its reason (or JSON).

use std::io::IsTerminal;

use super::{Context, out};
use crate::cli::LrFindArgs;
use crate::data::LoadedDataset;
use crate::format;
use crate::train::TrainSettings;
use crate::train::lr_find::{self, LrFinding, Progress, short};

/// Rows of the printed table (the curve is thinned to about this many).
const TABLE_ROWS: usize = 20;
/// Columns of the chart's plot area.
const CHART_W: usize = 60;
/// Rows of the chart's plot area.
const CHART_H: usize = 14;

/// Runs the finder on the flags' settings (over config.ron and the model's defaults)
/// and prints what it found. Progress goes to stderr.
pub fn run(ctx: &Context, args: &LrFindArgs) -> anyhow::Result<()> {
    let settings = TrainSettings::resolve(&[&ctx.config.train, &args.overrides()]);
    settings
        .validate()
        .map_err(|e| anyhow::anyhow!("invalid settings: {e}"))?;
    let plan = args.plan();
    plan.validate().map_err(anyhow::Error::msg)?;
    let data = LoadedDataset::load(&ctx.data_dir, &settings.dataset)?;
    let indices = lr_find::training_indices(&data.train, &settings).map_err(anyhow::Error::msg)?;
    let live = std::io::stderr().is_terminal();
    out::warn(format!(
        "lr-find: {} ({}), batch {}, {} training images, rates {} to {} over {} batches",
        settings.model,
        settings.optimizer.name(),
        settings.batch_size,
        indices.len(),
        short(plan.start),
        short(plan.end),
        plan.steps
    ));
    let mut report = |p: Progress| {
        if live {
            eprint!("\r  step {}/{}", p.done, p.total);
        }
        true
    };
    let finding = lr_find::find_fresh(&settings, &data, &indices, plan, &mut report)
        .map_err(anyhow::Error::msg)?;
    if live {
        eprintln!();
    }
    if args.json {
        out::line(serde_json::to_string_pretty(&json(&finding))?)?;
    } else {
        out::write(&text(&finding))?;
    }
    Ok(())
}

/// The finding as JSON: the plan, every point with its smoothed loss, how it ended
/// and the suggestion.
fn json(finding: &LrFinding) -> serde_json::Value {
    let smoothed = finding.curve.smoothed();
    let points: Vec<serde_json::Value> = finding
        .curve
        .points
        .iter()
        .zip(&smoothed)
        .map(|(p, s)| serde_json::json!({ "rate": p.rate, "loss": p.loss, "smoothed": s }))
        .collect();
    serde_json::json!({
        "plan": finding.plan,
        "points": points,
        "ending": finding.curve.ending,
        "suggestion": finding.suggestion,
    })
}

/// The finding as text: the curve thinned to about [`TABLE_ROWS`] rows, a chart of
/// the smoothed loss against the rate, and the suggestion.
pub fn text(finding: &LrFinding) -> String {
    let points = &finding.curve.points;
    let smoothed = finding.curve.smoothed();
    let mut s = String::new();
    s.push_str(&format!(
        "{:>10}  {:>9}  {:>9}\n",
        "rate", "loss", "smoothed"
    ));
    let every = points.len().div_ceil(TABLE_ROWS).max(1);
    for (i, (p, sm)) in points.iter().zip(&smoothed).enumerate() {
        if i % every == 0 || i + 1 == points.len() {
            s.push_str(&format!(
                "{:>10.2e}  {:>9.4}  {:>9.4}\n",
                p.rate, p.loss, sm
            ));
        }
    }
    s.push('\n');
    s.push_str(&chart(finding));
    s.push('\n');
    match finding.suggestion.lr {
        Some(lr) => s.push_str(&format!(
            "suggested learning rate: {} ({})\n",
            format::float(lr),
            finding.suggestion.reason
        )),
        None => s.push_str(&format!("{}\n", finding.suggestion.reason)),
    }
    s
}

/// A text chart of the smoothed loss (up) against the rate (across, log axis): each
/// point a `*`, the suggested rate a column of `|`. The loss axis stops at 1.5 times
/// the first smoothed loss, so a diverging tail does not flatten the rest.
fn chart(finding: &LrFinding) -> String {
    let points = &finding.curve.points;
    let smoothed = finding.curve.smoothed();
    if points.len() < 2 {
        return "too few points to chart\n".into();
    }
    let x0 = points[0].rate.log10();
    let x1 = points[points.len() - 1].rate.log10();
    let col_of = |rate: f64| {
        let t = ((rate.log10() - x0) / (x1 - x0).max(1e-12)).clamp(0.0, 1.0);
        (t * (CHART_W - 1) as f64).round() as usize
    };
    let lo = smoothed.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = smoothed
        .iter()
        .copied()
        .fold(f64::NEG_INFINITY, f64::max)
        .min(1.5 * smoothed[0].max(lo));
    let (lo, hi) = if hi - lo < 1e-9 {
        (lo - 0.5, hi + 0.5)
    } else {
        (lo, hi)
    };
    let row_of = |loss: f64| {
        let t = ((loss - lo) / (hi - lo)).clamp(0.0, 1.0);
        CHART_H - 1 - (t * (CHART_H - 1) as f64).round() as usize
    };
    let mut grid = vec![vec![' '; CHART_W]; CHART_H];
    if let Some(lr) = finding.suggestion.lr {
        let col = col_of(lr);
        for row in grid.iter_mut() {
            row[col] = '|';
        }
    }
    for (p, sm) in points.iter().zip(&smoothed) {
        grid[row_of(*sm)][col_of(p.rate)] = '*';
    }
    let mut s = String::from("smoothed loss against learning rate (log axis)\n");
    for (r, row) in grid.iter().enumerate() {
        let label = match r {
            0 => format!("{hi:>8.3}"),
            r if r == CHART_H - 1 => format!("{lo:>8.3}"),
            _ => " ".repeat(8),
        };
        s.push_str(&format!("{label} |{}\n", row.iter().collect::<String>()));
    }
    s.push_str(&format!("{} +{}\n", " ".repeat(8), "-".repeat(CHART_W)));
    let left = short(points[0].rate);
    let right = short(points[points.len() - 1].rate);
    let gap = CHART_W.saturating_sub(left.len() + right.len());
    s.push_str(&format!(
        "{}  {left}{}{right}\n",
        " ".repeat(8),
        " ".repeat(gap)
    ));
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::lr_find::{FinderPlan, LrCurve};

    fn finding(losses: &[f64]) -> LrFinding {
        let plan = FinderPlan::default();
        LrFinding::new(plan, LrCurve::from_losses(&plan, losses))
    }

    #[test]
    fn the_report_thins_the_table_charts_the_curve_and_gives_the_suggestion() {
        let plan = FinderPlan::default();
        let losses: Vec<f64> = (0..plan.steps)
            .map(|i| 2.3 - 2.0 / (1.0 + (-3.0 * (plan.rate(i).log10() + 3.0)).exp()))
            .collect();
        let f = finding(&losses);
        let lr = f.suggestion.lr.unwrap();
        let text = text(&f);
        let rows = text.lines().skip(1).take_while(|l| !l.is_empty()).count();
        assert!(
            (TABLE_ROWS..=TABLE_ROWS + 1).contains(&rows),
            "{rows}\n{text}"
        );
        assert!(
            text.contains("\n   1.00e-7     2.3000     2.3000\n"),
            "{text}"
        );
        let plot: Vec<&str> = text
            .lines()
            .filter(|l| l.len() > 10 && l[9..].starts_with('|'))
            .collect();
        assert_eq!(plot.len(), CHART_H, "{text}");
        assert!(plot.iter().all(|l| l[10..].contains(['|', '*'])), "{text}");
        assert!(plot[0].contains('*') && plot[CHART_H - 1].contains('*'));
        assert!(
            text.contains("  1e-7")
                && text.ends_with(&format!(
                    "suggested learning rate: {} ({})\n",
                    format::float(lr),
                    f.suggestion.reason
                )),
            "{text}"
        );
    }

    #[test]
    fn the_report_says_plainly_when_there_is_no_suggestion() {
        let text = text(&finding(&[2.3; 100]));
        assert!(
            text.ends_with(
                "no suggestion: the smoothed loss never fell by 10% (from 2.300 to 2.300 at \
                 best) between 1e-7 and 10; the range ended without divergence\n"
            ),
            "{text}"
        );
        assert!(!text.contains("suggested learning rate"));
        let v = json(&finding(&[2.3; 100]));
        assert_eq!(v["suggestion"]["lr"], serde_json::Value::Null);
        assert_eq!(v["points"].as_array().unwrap().len(), 100);
        assert_eq!(v["ending"]["kind"], "completed");
    }
}
