//! Accuracy against cost: each group of a sweep (its runs over seeds) placed by what
//! its network costs (parameters, FLOPs per image, or training seconds per epoch) and
//! its validation accuracy; the Pareto frontier is the groups no cheaper group
//! matches. "What is the smallest network that reaches 99%?" is read off it.

use std::fmt::Write;

use super::group::{Group, shown_in, varying};
use crate::format;
use crate::model::Summary;
use crate::train::TrainSettings;

/// What a group's cost is measured in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cost {
    /// Trainable parameters.
    Params,
    /// Floating-point operations to predict one image.
    Flops,
    /// Training seconds per epoch (measured: each run's own).
    Seconds,
}

impl Cost {
    /// Every cost, with the names `--by` takes.
    pub const ALL: [(Cost, &'static str); 3] = [
        (Cost::Params, "params"),
        (Cost::Flops, "flops"),
        (Cost::Seconds, "seconds"),
    ];

    /// The cost named `name` (`params`, `flops`, `seconds`), if one is.
    pub fn named(name: &str) -> Option<Cost> {
        let name = name.trim().to_ascii_lowercase();
        Cost::ALL
            .into_iter()
            .find(|(_, n)| *n == name || (name == "time" && *n == "seconds"))
            .map(|(c, _)| c)
    }

    /// How the axis is labelled.
    fn label(self) -> &'static str {
        match self {
            Cost::Params => "parameters",
            Cost::Flops => "FLOPs per image",
            Cost::Seconds => "training seconds per epoch",
        }
    }

    /// A value of it, as the axis and the table print it.
    fn show(self, v: f64) -> String {
        match self {
            Cost::Params | Cost::Flops => format::si(v.round() as u64),
            Cost::Seconds => format::duration(v),
        }
    }
}

/// The parameters or FLOPs of the network `settings` train (`None` if its layers do
/// not make a network).
fn network_cost(settings: &TrainSettings, cost: Cost) -> Option<f64> {
    let s = Summary::of(&settings.network()).ok()?;
    match cost {
        Cost::Params => Some(s.params as f64),
        Cost::Flops => Some(s.flops as f64),
        Cost::Seconds => None,
    }
}

/// One group placed on the chart: its cost (the mean of its runs' for seconds), its
/// runs' (cost, validation accuracy) and their mean accuracy.
#[derive(Debug, Clone, PartialEq)]
pub struct Placed {
    /// Index of the group.
    pub group: usize,
    /// Its cost.
    pub cost: f64,
    /// Mean validation accuracy of its finished runs.
    pub mean: f64,
    /// Each finished run: its cost and validation accuracy.
    pub runs: Vec<(f64, f64)>,
}

/// The groups with a cost and validation figures, in the order given.
pub fn place(groups: &[Group], cost: Cost) -> Vec<Placed> {
    groups
        .iter()
        .enumerate()
        .filter_map(|(i, g)| {
            let runs: Vec<(f64, f64)> = g
                .finals
                .iter()
                .filter_map(|f| {
                    let c = match cost {
                        Cost::Seconds => f.seconds_per_epoch?,
                        _ => network_cost(&g.settings, cost)?,
                    };
                    Some((c, f.val_acc?))
                })
                .collect();
            if runs.is_empty() {
                return None;
            }
            let n = runs.len() as f64;
            Some(Placed {
                group: i,
                cost: runs.iter().map(|r| r.0).sum::<f64>() / n,
                mean: runs.iter().map(|r| r.1).sum::<f64>() / n,
                runs,
            })
        })
        .collect()
}

/// The Pareto frontier of `placed`: the indices (into `placed`) of the groups whose
/// mean accuracy is above that of every group that costs no more, cheapest first.
pub fn frontier(placed: &[Placed]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..placed.len()).collect();
    // Cheapest first; at equal cost the more accurate first, so it alone is kept.
    order.sort_by(|&a, &b| {
        placed[a]
            .cost
            .total_cmp(&placed[b].cost)
            .then(placed[b].mean.total_cmp(&placed[a].mean))
    });
    let mut best = f64::NEG_INFINITY;
    order
        .into_iter()
        .filter(|&i| {
            let keep = placed[i].mean > best;
            best = best.max(placed[i].mean);
            keep
        })
        .collect()
}

const CHART_H: usize = 14;
const CHART_W: usize = 60;

/// The chart of validation accuracy (up) against `cost` (across, log axis): each run
/// an `o`, each group's mean a `#`, the frontier's means `*` joined by `.`; then the
/// frontier as a table (cost, validation and test means, what the group is).
pub fn frontier_chart(groups: &[Group], cost: Cost) -> String {
    let placed = place(groups, cost);
    if placed.is_empty() {
        return format!(
            "no finished run with validation figures to chart against {}\n",
            cost.label()
        );
    }
    let front = frontier(&placed);
    let costs = placed.iter().flat_map(|p| p.runs.iter().map(|r| r.0));
    let (c0, c1) = costs.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), c| {
        (lo.min(c), hi.max(c))
    });
    let log = c0 > 0.0;
    let x = |c: f64| if log { c.ln() } else { c };
    let (x0, x1) = (x(c0), x(c1));
    let col_of = |c: f64| {
        if x1 > x0 {
            (((x(c) - x0) / (x1 - x0)) * (CHART_W - 1) as f64).round() as usize
        } else {
            CHART_W / 2
        }
    };
    let accs = placed.iter().flat_map(|p| p.runs.iter().map(|r| r.1));
    let (lo, hi) = accs.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), a| {
        (lo.min(a), hi.max(a))
    });
    let (lo, hi) = if hi - lo < 1e-4 {
        (lo - 0.005, hi + 0.005)
    } else {
        (lo, hi)
    };
    let row_of = |a: f64| {
        let t = ((a - lo) / (hi - lo)).clamp(0.0, 1.0);
        CHART_H - 1 - (t * (CHART_H - 1) as f64).round() as usize
    };
    let mut grid = vec![vec![' '; CHART_W]; CHART_H];
    for w in front.windows(2) {
        let (a, b) = (&placed[w[0]], &placed[w[1]]);
        let (ca, cb) = (col_of(a.cost), col_of(b.cost));
        (ca + 1..cb).for_each(|col| {
            let t = (col - ca) as f64 / (cb - ca) as f64;
            grid[row_of(a.mean + t * (b.mean - a.mean))][col] = '.';
        });
    }
    for p in &placed {
        for &(c, a) in &p.runs {
            grid[row_of(a)][col_of(c)] = 'o';
        }
    }
    for (i, p) in placed.iter().enumerate() {
        grid[row_of(p.mean)][col_of(p.cost)] = if front.contains(&i) { '*' } else { '#' };
    }
    let mut o = String::new();
    let _ = writeln!(
        o,
        "validation accuracy against {} (log axis; o = a run, # = a group's mean, \
         * = the frontier: no cheaper group is as accurate)",
        cost.label()
    );
    for (r, line) in grid.iter().enumerate() {
        let label = match r {
            0 => format::percent(hi),
            r if r == CHART_H - 1 => format::percent(lo),
            _ => String::new(),
        };
        let text: String = line.iter().collect();
        let _ = writeln!(o, "{label:>8} |{}", text.trim_end());
    }
    let _ = writeln!(o, "{:>8} +{}", "", "-".repeat(CHART_W));
    let (left, right) = (cost.show(c0), cost.show(c1));
    let gap = CHART_W.saturating_sub(left.chars().count() + right.chars().count());
    let _ = writeln!(o, "{:>8}  {left}{}{right}", "", " ".repeat(gap));
    let cols = varying(groups);
    let _ = writeln!(o, "the frontier, cheapest first:");
    for &i in &front {
        let p = &placed[i];
        let g = &groups[p.group];
        let what: Vec<String> = cols
            .iter()
            .map(|s| format!("{} {}", s.short, shown_in(s, &g.settings, groups)))
            .collect();
        let _ = writeln!(
            o,
            "  {:>9}  val {} (n={}, {}–{})  test {}  {}",
            cost.show(p.cost),
            format::percent(p.mean),
            p.runs.len(),
            format::percent(p.runs.iter().map(|r| r.1).fold(f64::INFINITY, f64::min)),
            format::percent(p.runs.iter().map(|r| r.1).fold(f64::NEG_INFINITY, f64::max)),
            g.test_acc
                .map_or_else(|| "-".into(), |s| format::percent(s.mean)),
            what.join(", ")
        );
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    fn placed(cost: f64, mean: f64) -> Placed {
        Placed {
            group: 0,
            cost,
            mean,
            runs: vec![(cost, mean)],
        }
    }

    #[test]
    fn the_frontier_keeps_what_no_cheaper_group_beats() {
        let p = [
            placed(100.0, 0.97),
            placed(50.0, 0.95),
            placed(400.0, 0.96), // dominated by the 100
            placed(800.0, 0.99),
            placed(50.0, 0.94),   // the same cost, less accurate
            placed(1000.0, 0.99), // as accurate as a cheaper one
        ];
        assert_eq!(frontier(&p), vec![1, 0, 3]);
        assert!(frontier(&[]).is_empty());
    }

    #[test]
    fn costs_are_named_for_the_command_line() {
        assert_eq!(Cost::named("params"), Some(Cost::Params));
        assert_eq!(Cost::named("FLOPS"), Some(Cost::Flops));
        assert_eq!(Cost::named("time"), Some(Cost::Seconds));
        assert_eq!(Cost::named("lr"), None);
    }

    #[test]
    fn groups_are_placed_by_their_networks_cost_and_charted_with_their_frontier() {
        use crate::runs::RunRecord;
        use crate::sweep::group_runs;
        let run = |n: u32, width: usize, seed: u64, acc: f32, seconds: f64| {
            let mut settings = TrainSettings::preset(crate::model::Preset::Mlp);
            settings.layers = format!("Flatten, Dense({width}), Relu, Dense(classes)")
                .parse()
                .unwrap();
            settings.seed = seed;
            RunRecord::finished_for_test(format!("run-{n}"), settings, acc, acc, seconds)
        };
        let runs = [
            run(1, 16, 1, 0.90, 2.0),
            run(2, 16, 2, 0.92, 2.0),
            run(3, 64, 1, 0.96, 4.0),
            run(4, 64, 2, 0.97, 4.0),
            run(5, 256, 1, 0.95, 8.0),
        ];
        let refs: Vec<&RunRecord> = runs.iter().collect();
        let groups = group_runs(&refs);
        assert_eq!(groups.len(), 3);
        let placed = place(&groups, Cost::Params);
        // 785·16 + 17·10 parameters.
        assert_eq!(placed[0].cost, (785 * 16 + 17 * 10) as f64);
        assert_eq!(placed[0].runs.len(), 2);
        assert_eq!(
            frontier(&placed),
            vec![0, 1],
            "the widest is beaten by Dense(64)"
        );
        let seconds = place(&groups, Cost::Seconds);
        let epochs = runs[0].epochs.len() as f64;
        assert_eq!(seconds[1].cost, 4.0 / epochs);
        let text = frontier_chart(&groups, Cost::Params);
        assert!(text.contains("the frontier, cheapest first:"), "{text}");
        let lines: Vec<&str> = text.lines().collect();
        let front = lines
            .iter()
            .position(|l| l.starts_with("the frontier"))
            .unwrap();
        assert!(lines[front + 1].contains("layers Dense(16)"), "{text}");
        assert!(lines[front + 2].contains("layers Dense(64)"), "{text}");
        assert_eq!(
            lines.len(),
            front + 3,
            "Dense(256) is off the frontier:\n{text}"
        );
        // The frontier's means are starred, the other group's is not.
        let chart: String = lines[1..front].join("\n");
        assert_eq!(chart.matches('*').count(), 2, "{text}");
        assert_eq!(chart.matches('#').count(), 1, "{text}");
    }
}
