//! Groups and rankings as text (a table, the "which setting matters" list, a chart of
//! final validation accuracy against one setting, test accuracy for runs without
//! validation) and as JSON, for `sweep show`, `runs compare` and the end of a sweep.

use super::frontier::{Cost, frontier_chart};
use super::group::{Group, Importance, Stats, best_group, importance, shown_in, varying};
use crate::format;
use crate::train::{SETTINGS, Setting, Step};
use std::fmt::Write as _;

/// The grouped table: one row per group (its differing settings, n, mean and min–max of
/// validation accuracy, mean and min–max of test accuracy, mean time), the best group
/// by validation marked `*`.
pub fn groups_table(groups: &[Group]) -> String {
    let cols = varying(groups);
    let best = best_group(groups);
    let mut header: Vec<String> = cols.iter().map(|s| s.short.to_string()).collect();
    header.extend(
        [
            "n",
            "val acc",
            "val min–max",
            "test acc",
            "test min–max",
            "time",
        ]
        .map(String::from),
    );
    let mut rows: Vec<Vec<String>> = Vec::new();
    for g in groups {
        let mut row: Vec<String> = cols
            .iter()
            .map(|s| shown_in(s, &g.settings, groups))
            .collect();
        let dash = || "-".to_string();
        let range = |s: Stats| format!("{}–{}", format::percent(s.min), format::percent(s.max));
        row.push(g.finals.len().to_string());
        row.push(g.val_acc.map_or_else(dash, |s| format::percent(s.mean)));
        row.push(g.val_acc.map_or_else(dash, range));
        row.push(g.test_acc.map_or_else(dash, |s| format::percent(s.mean)));
        row.push(g.test_acc.map_or_else(dash, range));
        row.push(g.seconds.map_or_else(dash, |s| format::duration(s.mean)));
        rows.push(row);
    }
    let widths: Vec<usize> = (0..header.len())
        .map(|c| {
            rows.iter()
                .map(|r| r[c].chars().count())
                .chain([header[c].chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |marker: &str, cells: &[String]| {
        let mut o = marker.to_string();
        for (c, cell) in cells.iter().enumerate() {
            let pad = widths[c].saturating_sub(cell.chars().count());
            // Settings left-aligned, numbers right-aligned.
            if c < cols.len() {
                let _ = write!(o, " {cell}{}", " ".repeat(pad));
            } else {
                let _ = write!(o, " {}{cell}", " ".repeat(pad));
            }
            o.push(' ');
        }
        o.trim_end().to_string()
    };
    let mut o = String::new();
    let _ = writeln!(o, "{}", line(" ", &header));
    for (i, r) in rows.iter().enumerate() {
        let _ = writeln!(o, "{}", line(if best == Some(i) { "*" } else { " " }, r));
    }
    let unfinished: usize = groups.iter().map(|g| g.unfinished).sum();
    let _ = write!(
        o,
        "  (* best validation mean; test: reported, never chosen by; n = finished runs \
         over seeds"
    );
    if unfinished > 0 {
        let _ = write!(o, "; {unfinished} unfinished run(s) not counted");
    }
    let _ = writeln!(o, ")");
    o
}

/// Which setting matters most: each differing setting's spread of the group means
/// (by its value), largest first.
pub fn importance_text(ranked: &[Importance]) -> String {
    let mut o = String::new();
    if ranked.is_empty() {
        return o;
    }
    let _ = writeln!(
        o,
        "which setting matters (spread of the group means by its value):"
    );
    let width = ranked
        .iter()
        .map(|r| r.setting.short.len())
        .max()
        .unwrap_or(0);
    for r in ranked {
        let values: Vec<String> = r
            .by_value
            .iter()
            .map(|(v, m)| format!("{v}: {}", format::percent(*m)))
            .collect();
        let _ = writeln!(
            o,
            "  {:<width$}  {:>6.2} points   {}",
            r.setting.short,
            r.spread * 100.0,
            values.join("   ")
        );
    }
    o
}

/// What a chart is drawn against: a setting's values, or what the networks cost.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ChartBy {
    /// A setting.
    Setting(&'static Setting),
    /// A cost (with the Pareto frontier).
    Cost(Cost),
}

/// The chart `--by` names: a cost (`params`, `flops`, `seconds`) or a setting
/// ([`find_setting`]).
pub fn find_chart_by(name: &str) -> Result<ChartBy, String> {
    if let Some(cost) = Cost::named(name) {
        return Ok(ChartBy::Cost(cost));
    }
    find_setting(name)
        .map(ChartBy::Setting)
        .map_err(|e| format!("{e}; or a cost: params, flops, seconds"))
}

/// The chart of `groups` against `by`.
pub fn chart_by(groups: &[Group], by: ChartBy) -> String {
    match by {
        ChartBy::Setting(s) => chart(groups, s),
        ChartBy::Cost(c) => frontier_chart(groups, c),
    }
}

/// The setting a user names by its record name (`max_train_samples`), flag
/// (`max-train`, `--max-train`), form label (`Max train`) or comparison label
/// (`max train`), in any case, with `_`, `-` and spaces interchangeable (the Sweep
/// dialog splits on spaces, so `max_train` must do for `Max train`). The error lists
/// each setting once, by its flag.
pub fn find_setting(name: &str) -> Result<&'static Setting, String> {
    let typed = name.trim();
    let key = setting_key(typed.trim_start_matches("--"));
    SETTINGS
        .iter()
        .find(|s| {
            [s.name, s.flag, s.label, s.short]
                .iter()
                .any(|n| setting_key(n) == key)
        })
        .ok_or_else(|| {
            let names: Vec<&str> = SETTINGS.iter().map(|s| s.flag).collect();
            format!("no setting '{typed}' (one of: {})", names.join(", "))
        })
}

/// A setting's name as compared by [`find_setting`]: lower case, each run of `_`, `-`
/// and white space one `-`, none at the ends.
fn setting_key(name: &str) -> String {
    let lower = name.to_lowercase();
    lower
        .split(|c: char| c == '_' || c == '-' || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

/// Chart height in lines and width in columns (the plot area).
const CHART_H: usize = 12;
const CHART_W: usize = 56;

/// A text chart of validation accuracy (up) against `by` (across; a log axis for rates
/// and sizes that double, evenly spaced for other settings): every finished run is an
/// `o`, each value's mean a `#` joined to the next by `.`, the best mean a `*`. Runs
/// recorded before validation splits are charted by test accuracy, with no `*`.
pub fn chart(groups: &[Group], by: &'static Setting) -> String {
    let by_val = groups.iter().any(|g| g.val_acc.is_some());
    // (value as shown, its x, every final accuracy) per distinct value of `by`.
    let mut columns: Vec<(String, Option<f64>, Vec<f64>)> = Vec::new();
    for g in groups {
        let shown = by.show_applied(&g.settings);
        let finals: Vec<f64> = g
            .finals
            .iter()
            .filter_map(|f| if by_val { f.val_acc } else { Some(f.test_acc) })
            .collect();
        match columns.iter_mut().find(|c| c.0 == shown) {
            Some(c) => c.2.extend(finals),
            None => columns.push((shown.clone(), shown.parse::<f64>().ok(), finals)),
        }
    }
    columns.retain(|c| !c.2.is_empty());
    if columns.is_empty() {
        return format!("no finished run to chart against {}\n", by.short);
    }
    let numeric = columns.iter().all(|c| c.1.is_some());
    let log = numeric
        && matches!(by.step, Step::Ladder { .. } | Step::Double)
        && columns.iter().all(|c| c.1.is_some_and(|x| x > 0.0));
    if numeric {
        columns.sort_by(|a, b| a.1.unwrap_or(0.0).total_cmp(&b.1.unwrap_or(0.0)));
    }
    let n = columns.len();
    let xs: Vec<f64> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| match c.1 {
            Some(x) if numeric && log => x.ln(),
            Some(x) if numeric => x,
            _ => i as f64,
        })
        .collect();
    let (x0, x1) = (xs[0], xs[n - 1]);
    let col_of = |x: f64| {
        if x1 > x0 {
            (((x - x0) / (x1 - x0)) * (CHART_W - 1) as f64).round() as usize
        } else {
            CHART_W / 2
        }
    };
    let all: Vec<f64> = columns.iter().flat_map(|c| c.2.iter().copied()).collect();
    let lo = all.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = all.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (lo, hi) = if hi - lo < 1e-4 {
        (lo - 0.005, hi + 0.005)
    } else {
        (lo, hi)
    };
    let row_of = |acc: f64| {
        let t = ((acc - lo) / (hi - lo)).clamp(0.0, 1.0);
        CHART_H - 1 - (t * (CHART_H - 1) as f64).round() as usize
    };
    let mut grid = vec![vec![' '; CHART_W]; CHART_H];
    let means: Vec<(usize, f64)> = columns
        .iter()
        .zip(&xs)
        .map(|(c, x)| (col_of(*x), c.2.iter().sum::<f64>() / c.2.len() as f64))
        .collect();
    for w in means.windows(2) {
        let ((ca, ma), (cb, mb)) = (w[0], w[1]);
        (ca + 1..cb).for_each(|col| {
            let t = (col - ca) as f64 / (cb - ca) as f64;
            grid[row_of(ma + t * (mb - ma))][col] = '.';
        });
    }
    for (c, x) in columns.iter().zip(&xs) {
        for a in &c.2 {
            grid[row_of(*a)][col_of(*x)] = 'o';
        }
    }
    let best = means
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.1.total_cmp(&b.1.1))
        .map(|(i, _)| i)
        .filter(|_| by_val);
    for (i, (col, m)) in means.iter().enumerate() {
        grid[row_of(*m)][*col] = if Some(i) == best { '*' } else { '#' };
    }
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{} against {}{} (o = a run, # = the mean{})",
        if by_val {
            "validation accuracy"
        } else {
            "test accuracy (no validation figures: nothing chosen)"
        },
        by.short,
        if log { " (log axis)" } else { "" },
        if by_val { ", * = the best mean" } else { "" }
    );
    for (r, line) in grid.iter().enumerate() {
        let label = if r == 0 {
            format::percent(hi)
        } else if r == CHART_H - 1 {
            format::percent(lo)
        } else {
            String::new()
        };
        let text: String = line.iter().collect();
        let _ = writeln!(o, "{label:>8} |{}", text.trim_end());
    }
    let _ = writeln!(o, "{:>8} +{}", "", "-".repeat(CHART_W));
    let mut axis = vec![' '; CHART_W + 12];
    for (c, (col, _)) in columns.iter().zip(&means) {
        let start = col.saturating_sub(c.0.chars().count() / 2);
        if axis[start..]
            .iter()
            .take(c.0.len() + 1)
            .all(|ch| *ch == ' ')
        {
            for (k, ch) in c.0.chars().enumerate() {
                if let Some(slot) = axis.get_mut(start + k) {
                    *slot = ch;
                }
            }
        }
    }
    let axis: String = axis.into_iter().collect();
    let _ = writeln!(o, "{:>8}  {}", "", axis.trim_end());
    o
}

/// The values of `rows` in `settings` as one JSON object, keyed by the rows' names and
/// shown as every view shows them.
pub fn settings_json(
    rows: &[&'static Setting],
    settings: &crate::train::TrainSettings,
) -> serde_json::Map<String, serde_json::Value> {
    rows.iter()
        .map(|row| (row.name.to_string(), row.show_applied(settings).into()))
        .collect()
}

/// Groups and ranking as one JSON value.
pub fn groups_json(groups: &[Group]) -> serde_json::Value {
    let cols = varying(groups);
    let best = best_group(groups);
    let stats = |s: Option<super::Stats>| {
        s.map_or(
            serde_json::Value::Null,
            |s| serde_json::json!({"n": s.n, "mean": s.mean, "min": s.min, "max": s.max}),
        )
    };
    let list: Vec<serde_json::Value> = groups
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let swept = settings_json(&cols, &g.settings);
            serde_json::json!({
                "settings": swept,
                "best": best == Some(i),
                "val_acc": stats(g.val_acc),
                "test_acc": stats(g.test_acc),
                "seconds": stats(g.seconds),
                "runs": g.runs,
                "seeds": g.seeds,
                "unfinished": g.unfinished,
            })
        })
        .collect();
    let ranked: Vec<serde_json::Value> = importance(groups)
        .iter()
        .map(|r| {
            let means: serde_json::Map<String, serde_json::Value> = r
                .by_value
                .iter()
                .map(|(v, m)| (v.clone(), (*m).into()))
                .collect();
            serde_json::json!({"setting": r.setting.name, "spread": r.spread, "means": means})
        })
        .collect();
    serde_json::json!({"groups": list, "importance": ranked})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Preset;
    use crate::runs::RunRecord;
    use crate::sweep::group_runs;
    use crate::train::TrainSettings;

    fn run(n: u32, lr: f64, seed: u64, acc: f32) -> RunRecord {
        let s = TrainSettings {
            lr,
            seed,
            ..TrainSettings::preset(Preset::Mlp)
        };
        RunRecord::finished_for_test(format!("20261201-08{n:04}-mlp-0000"), s, acc, acc, 3.0)
    }

    #[test]
    fn the_table_marks_the_best_group_and_the_chart_places_every_run() {
        let runs = [
            run(1, 0.001, 1, 0.90),
            run(2, 0.001, 2, 0.92),
            run(3, 0.01, 1, 0.97),
            run(4, 0.01, 2, 0.98),
            run(5, 0.1, 1, 0.50),
            run(6, 0.1, 2, 0.60),
        ];
        let refs: Vec<&RunRecord> = runs.iter().collect();
        let groups = group_runs(&refs);
        let table = groups_table(&groups);
        let lines: Vec<&str> = table.lines().collect();
        assert!(
            lines[0].contains("lr")
                && lines[0].contains("val acc")
                && lines[0].contains("test acc"),
            "{table}"
        );
        assert!(lines[2].starts_with("* 0.01"), "{table}");
        assert!(
            lines[2].contains("97.50%") && lines[2].contains("97.00%–98.00%"),
            "{table}"
        );
        let text = importance_text(&importance(&groups));
        assert!(
            text.contains("lr") && text.contains("42.50 points"),
            "{text}"
        );
        let chart = chart(&groups, find_setting("lr").unwrap());
        assert!(chart.contains("(log axis)"), "{chart}");
        // One best mean and two other means in the plot (plus one of each in the legend).
        assert_eq!(chart.matches('*').count(), 2, "{chart}");
        assert_eq!(chart.matches('#').count(), 3, "{chart}");
        let axis = chart.lines().last().unwrap();
        assert!(
            axis.contains("0.001") && axis.contains("0.01") && axis.contains("0.1"),
            "{chart}"
        );
        assert!(
            chart.contains("98.00%") && chart.contains("50.00%"),
            "{chart}"
        );
        let json = groups_json(&groups);
        assert_eq!(json["groups"][1]["best"], true);
        assert_eq!(json["importance"][0]["setting"], "lr");
        assert!(find_setting("batch-size").is_ok());
        assert!(find_setting("speed").unwrap_err().contains("one of"));
    }

    #[test]
    fn a_setting_is_found_by_any_of_its_names_in_any_spelling() {
        for typed in [
            "max_train",
            "max-train",
            "Max train",
            "max_train_samples",
            "max-train-samples",
            "--max-train",
            "MAX_TRAIN",
            "Max_train",
            " max  train ",
        ] {
            assert_eq!(
                find_setting(typed).map(|s| s.name),
                Ok("max_train_samples"),
                "{typed}"
            );
        }
        assert_eq!(find_setting("Learning_rate").map(|s| s.name), Ok("lr"));
        assert_eq!(find_setting("w._decay").map(|s| s.name), Ok("weight_decay"));
        assert_eq!(
            find_setting("LR-Schedule").map(|s| s.name),
            Ok("lr_schedule")
        );
        assert_eq!(
            find_setting("max_test").map(|s| s.name),
            Ok("max_test_samples")
        );
        for typed in ["max", "train", "max_trains", "", "--"] {
            assert!(find_setting(typed).is_err(), "{typed}");
        }
    }

    #[test]
    fn no_two_settings_share_a_name() {
        let mut keys: Vec<(String, &str)> = SETTINGS
            .iter()
            .flat_map(|s| {
                let mut names = vec![s.name, s.flag, s.label, s.short];
                names.sort_by_key(|n| setting_key(n));
                names.dedup_by_key(|n| setting_key(n));
                names.into_iter().map(move |n| (setting_key(n), s.name))
            })
            .collect();
        keys.sort();
        for pair in keys.windows(2) {
            assert_ne!(pair[0].0, pair[1].0, "{} and {}", pair[0].1, pair[1].1);
        }
    }

    #[test]
    fn an_unknown_setting_lists_one_name_per_setting() {
        let err = find_setting("speed").unwrap_err();
        assert!(
            err.starts_with("no setting 'speed' (one of: model, "),
            "{err}"
        );
        let listed = err
            .split_once("one of: ")
            .map_or(0, |(_, names)| names.split(", ").count());
        assert_eq!(listed, SETTINGS.len(), "{err}");
        assert!(
            err.contains("max-train") && !err.contains("max_train"),
            "{err}"
        );
    }
}
