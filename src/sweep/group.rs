//! Comparing runs as groups: runs that share every setting but the seed (and drew their
//! samples the same way) are one group (mean, min–max and n of their validation and
//! test accuracy), and the settings that differ between groups are ranked by how much
//! they move the groups' validation means. The best group is chosen by validation; the
//! test figures are reported beside it, never used to choose.

use super::spec::seed_setting;
use crate::data::Sampling;
use crate::runs::{RunRecord, RunStatus};
use crate::train::{SETTINGS, Setting, TrainSettings};

/// Mean, smallest, largest and count of some values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stats {
    /// How many values.
    pub n: usize,
    /// Their mean.
    pub mean: f64,
    /// The smallest.
    pub min: f64,
    /// The largest.
    pub max: f64,
}

impl Stats {
    /// The stats of `values`; `None` when there are none.
    pub fn of(values: &[f64]) -> Option<Stats> {
        if values.is_empty() {
            return None;
        }
        let n = values.len();
        Some(Stats {
            n,
            mean: values.iter().sum::<f64>() / n as f64,
            min: values.iter().copied().fold(f64::INFINITY, f64::min),
            max: values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        })
    }

    /// `max - min`.
    pub fn spread(&self) -> f64 {
        self.max - self.min
    }
}

/// Runs that share every setting but the seed.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// The shared settings (the seed is the first run's).
    pub settings: TrainSettings,
    /// How its runs drew their samples.
    pub sampling: Sampling,
    /// Every run of the group, finished or not, in the order given.
    pub runs: Vec<String>,
    /// Their seeds, in the same order.
    pub seeds: Vec<u64>,
    /// Validation accuracy (fraction) of the kept weights of the finished runs that
    /// have it: what groups are chosen and ranked by.
    pub val_acc: Option<Stats>,
    /// Test accuracy (fraction) of the kept weights of the finished runs: reported.
    pub test_acc: Option<Stats>,
    /// Training seconds of the finished runs.
    pub seconds: Option<Stats>,
    /// Each finished run's figures.
    pub finals: Vec<Final>,
    /// Runs not finished (queued points are not runs yet and are not counted).
    pub unfinished: usize,
}

/// One finished run's figures in a group.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Final {
    /// Its seed.
    pub seed: u64,
    /// Validation accuracy of its kept weights, if it has a validation split.
    pub val_acc: Option<f64>,
    /// Test accuracy of its kept weights.
    pub test_acc: f64,
    /// Its training seconds per epoch.
    pub seconds_per_epoch: Option<f64>,
}

/// Whether `a` and `b` agree on every setting but the seed.
fn same_but_seed(a: &TrainSettings, b: &TrainSettings) -> bool {
    let seed = seed_setting();
    SETTINGS
        .iter()
        .filter(|s| *s != seed)
        .all(|s| s.same_in_effect(a, b))
}

/// Groups `runs` over seeds, groups in order of their first run. Only finished runs
/// count in the statistics.
pub fn group_runs(runs: &[&RunRecord]) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    for r in runs {
        let at = match groups
            .iter()
            .position(|g| g.sampling == r.sampling && same_but_seed(&g.settings, &r.config))
        {
            Some(i) => i,
            None => {
                groups.push(Group {
                    settings: r.config.clone(),
                    sampling: r.sampling,
                    runs: Vec::new(),
                    seeds: Vec::new(),
                    val_acc: None,
                    test_acc: None,
                    seconds: None,
                    finals: Vec::new(),
                    unfinished: 0,
                });
                groups.len() - 1
            }
        };
        let g = &mut groups[at];
        g.runs.push(r.id.clone());
        g.seeds.push(r.config.seed);
        match (&r.status, &r.summary) {
            (RunStatus::Finished, Some(summary)) => g.finals.push(Final {
                seed: r.config.seed,
                val_acc: r.val_acc().map(f64::from),
                test_acc: summary.test_acc as f64,
                seconds_per_epoch: (!r.epochs.is_empty())
                    .then(|| summary.seconds / r.epochs.len() as f64),
            }),
            _ => g.unfinished += 1,
        }
    }
    for g in &mut groups {
        let val: Vec<f64> = g.finals.iter().filter_map(|f| f.val_acc).collect();
        let test: Vec<f64> = g.finals.iter().map(|f| f.test_acc).collect();
        let secs: Vec<f64> = runs
            .iter()
            .filter(|r| g.runs.contains(&r.id))
            .filter_map(|r| match (&r.status, &r.summary) {
                (RunStatus::Finished, Some(s)) => Some(s.seconds),
                _ => None,
            })
            .collect();
        g.val_acc = Stats::of(&val);
        g.test_acc = Stats::of(&test);
        g.seconds = Stats::of(&secs);
    }
    groups
}

/// The settings other than the seed whose values differ between the `groups` they
/// apply to, in the settings table's order (Adam's betas do not vary between an SGD
/// group and an Adam group: the optimiser does).
pub fn varying(groups: &[Group]) -> Vec<&'static Setting> {
    let seed = seed_setting();
    SETTINGS
        .iter()
        .filter(|s| *s != seed)
        .filter(|s| {
            let applying: Vec<&TrainSettings> = groups
                .iter()
                .map(|g| &g.settings)
                .filter(|g| s.applies_to(g))
                .collect();
            applying.windows(2).any(|w| !s.same(w[0], w[1]))
        })
        .collect()
}

/// How `s` reads for the group `settings` in a table of `groups`: as every view
/// shows it, except a layer list, of which only the layers that differ between the
/// groups are shown when their lists are equally long (`Dense(64)` of
/// `Flatten, Dense(64), Relu, Dense(classes)`).
pub fn shown_in(s: &Setting, settings: &TrainSettings, groups: &[Group]) -> String {
    if s.name != "layers" {
        return s.show_applied(settings);
    }
    let mine = &settings.layers;
    let same_length = groups.iter().all(|g| g.settings.layers.len() == mine.len());
    if !same_length {
        return s.show_applied(settings);
    }
    let differing: Vec<String> = (0..mine.len())
        .filter(|&i| groups.iter().any(|g| g.settings.layers.0[i] != mine.0[i]))
        .map(|i| mine.0[i].to_string())
        .collect();
    if differing.is_empty() {
        s.show_applied(settings)
    } else {
        differing.join(" ")
    }
}

/// How much one setting moves the result.
#[derive(Debug, Clone, PartialEq)]
pub struct Importance {
    /// The setting.
    pub setting: &'static Setting,
    /// Largest minus smallest of `by_value`'s means.
    pub spread: f64,
    /// Each value (as shown) and the mean of the group means that have it.
    pub by_value: Vec<(String, f64)>,
}

/// For each setting that differs between groups: the group means (of validation
/// accuracy) averaged per value of that setting, and their spread; largest spread
/// first. Groups without a finished run with validation figures are left out.
pub fn importance(groups: &[Group]) -> Vec<Importance> {
    let scored: Vec<&Group> = groups.iter().filter(|g| g.val_acc.is_some()).collect();
    let owned: Vec<Group> = scored.iter().map(|g| (*g).clone()).collect();
    let mut ranked: Vec<Importance> = varying(&owned)
        .into_iter()
        .map(|setting| {
            let mut by_value: Vec<(String, TrainSettings, Vec<f64>)> = Vec::new();
            for g in &scored {
                let mean = g.val_acc.map_or(0.0, |s| s.mean);
                match by_value
                    .iter_mut()
                    .find(|(_, s, _)| setting.same_in_effect(s, &g.settings))
                {
                    Some((_, _, means)) => means.push(mean),
                    None => by_value.push((
                        shown_in(setting, &g.settings, groups),
                        g.settings.clone(),
                        vec![mean],
                    )),
                }
            }
            let by_value: Vec<(String, f64)> = by_value
                .into_iter()
                .map(|(v, _, means)| (v, means.iter().sum::<f64>() / means.len() as f64))
                .collect();
            let means: Vec<f64> = by_value.iter().map(|(_, m)| *m).collect();
            let spread = Stats::of(&means).map_or(0.0, |s| s.spread());
            Importance {
                setting,
                spread,
                by_value,
            }
        })
        .collect();
    ranked.sort_by(|a, b| b.spread.total_cmp(&a.spread));
    ranked
}

/// The index of the group with the highest mean validation accuracy; `None` when no
/// group has validation figures (the test set chooses nothing).
pub fn best_group(groups: &[Group]) -> Option<usize> {
    groups
        .iter()
        .enumerate()
        .filter_map(|(i, g)| g.val_acc.map(|s| (i, s.mean)))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Preset;

    fn run(n: u32, lr: f64, batch: usize, seed: u64, acc: Option<f32>) -> RunRecord {
        scored(n, lr, batch, seed, acc.map(|a| (a, a - 0.05)))
    }

    /// A run finished with validation accuracy `val` and test accuracy `test`.
    fn scored(n: u32, lr: f64, batch: usize, seed: u64, accs: Option<(f32, f32)>) -> RunRecord {
        let s = TrainSettings {
            lr,
            batch_size: batch,
            seed,
            ..TrainSettings::preset(Preset::Mlp)
        };
        let id = format!("20261201-08{n:04}-mlp-0000");
        match accs {
            Some((val, test)) => RunRecord::finished_for_test(id, s, val, test, 2.0),
            None => RunRecord::new(id, s, time::macros::datetime!(2026-12-01 08:00:00 UTC)),
        }
    }

    #[test]
    fn seeds_group_into_mean_and_spread_and_the_setting_that_matters_ranks_first() {
        let runs = [
            run(1, 0.01, 64, 1, Some(0.90)),
            run(2, 0.01, 64, 2, Some(0.80)),
            run(3, 0.01, 128, 1, Some(0.70)),
            run(4, 0.01, 128, 2, Some(0.60)),
            run(5, 0.1, 64, 1, Some(0.50)),
            run(6, 0.1, 64, 2, None),
            run(7, 0.1, 128, 1, Some(0.30)),
            run(8, 0.1, 128, 2, Some(0.20)),
        ];
        let refs: Vec<&RunRecord> = runs.iter().collect();
        let groups = group_runs(&refs);
        assert_eq!(groups.len(), 4);
        let g = &groups[0];
        assert_eq!(g.seeds, vec![1, 2]);
        let acc = g.val_acc.unwrap();
        assert_eq!(acc.n, 2);
        assert!(
            (acc.mean - 0.85).abs() < 1e-6
                && (acc.min - 0.80).abs() < 1e-6
                && (acc.max - 0.90).abs() < 1e-6
        );
        assert_eq!(groups[2].val_acc.unwrap().n, 1);
        let test = g.test_acc.unwrap();
        assert!((test.mean - 0.80).abs() < 1e-6, "{test:?}");
        assert_eq!(groups[2].unfinished, 1);
        assert_eq!(best_group(&groups), Some(0));
        let names: Vec<&str> = varying(&groups).iter().map(|s| s.name).collect();
        assert_eq!(names, vec!["lr", "batch_size"]);
        let rank = importance(&groups);
        // lr: (0.85 + 0.65) / 2 = 0.75 vs (0.5 + 0.25) / 2 = 0.375; batch: 0.675 vs 0.45.
        assert_eq!(rank[0].setting.name, "lr");
        assert!((rank[0].spread - 0.375).abs() < 1e-6, "{}", rank[0].spread);
        assert_eq!(rank[1].setting.name, "batch_size");
        assert!((rank[1].spread - 0.225).abs() < 1e-6, "{}", rank[1].spread);
        assert_eq!(rank[0].by_value[0].0, "0.01");
    }

    /// A finished run of `optimizer` with `momentum` (whatever it applies to).
    fn optimizer_run(
        n: u32,
        optimizer: crate::model::OptimizerKind,
        momentum: f64,
        seed: u64,
        acc: f32,
    ) -> RunRecord {
        let mut r = run(n, 0.01, 64, seed, Some(acc));
        r.config.optimizer = optimizer;
        r.config.momentum = momentum;
        r
    }

    #[test]
    fn a_setting_that_does_not_apply_splits_no_group_and_shows_as_not_applying() {
        use crate::model::OptimizerKind::{Adam, Sgd};
        // `--optimizer sgd,adam --momentum 0,0.9 --seeds 1,2`: momentum applies to the
        // sgd points only, so the four adam runs are one group (as are runs whose
        // config.ron gave Adam a momentum).
        let runs = [
            optimizer_run(1, Sgd, 0.0, 1, 0.90),
            optimizer_run(2, Sgd, 0.0, 2, 0.92),
            optimizer_run(3, Sgd, 0.9, 1, 0.96),
            optimizer_run(4, Sgd, 0.9, 2, 0.98),
            optimizer_run(5, Adam, 0.0, 1, 0.97),
            optimizer_run(6, Adam, 0.0, 2, 0.97),
            optimizer_run(7, Adam, 0.9, 1, 0.95),
            optimizer_run(8, Adam, 0.9, 2, 0.95),
        ];
        let refs: Vec<&RunRecord> = runs.iter().collect();
        let groups = group_runs(&refs);
        assert_eq!(groups.len(), 3, "{groups:#?}");
        assert_eq!(groups[2].runs.len(), 4);
        assert_eq!(groups[2].seeds, vec![1, 2, 1, 2]);
        assert!((groups[2].val_acc.unwrap().mean - 0.96).abs() < 1e-6);
        let names: Vec<&str> = varying(&groups).iter().map(|s| s.name).collect();
        assert_eq!(names, vec!["optimizer", "momentum"]);
        // Momentum's values: 0 (sgd, 0.91), 0.9 (sgd, 0.97), n/a (adam, 0.96).
        let rank = importance(&groups);
        let momentum = rank.iter().find(|r| r.setting.name == "momentum").unwrap();
        let values: Vec<&str> = momentum.by_value.iter().map(|(v, _)| v.as_str()).collect();
        assert_eq!(values, vec!["0", "0.9", "n/a"]);
        assert!((momentum.by_value[2].1 - 0.96).abs() < 1e-6);
        let table = super::super::report::groups_table(&groups);
        let adam_row = table.lines().find(|l| l.contains("adam")).unwrap();
        assert!(adam_row.contains("n/a"), "{table}");

        // Only Adam runs, with and without a momentum from the config: one group, and
        // nothing varies.
        let adam_only: Vec<&RunRecord> = runs[4..].iter().collect();
        let groups = group_runs(&adam_only);
        assert_eq!(groups.len(), 1);
        assert!(varying(&groups).is_empty());
    }

    #[test]
    fn validation_chooses_the_best_group_when_test_disagrees() {
        // lr 0.01 wins on validation, lr 0.1 on test: the star and the ranking follow
        // validation.
        let runs = [
            scored(1, 0.01, 64, 1, Some((0.95, 0.90))),
            scored(2, 0.01, 64, 2, Some((0.93, 0.91))),
            scored(3, 0.1, 64, 1, Some((0.90, 0.97))),
            scored(4, 0.1, 64, 2, Some((0.92, 0.96))),
        ];
        let refs: Vec<&RunRecord> = runs.iter().collect();
        let groups = group_runs(&refs);
        assert_eq!(best_group(&groups), Some(0));
        let rank = importance(&groups);
        assert_eq!(rank[0].by_value[0].0, "0.01");
        assert!((rank[0].by_value[0].1 - 0.94).abs() < 1e-6);
        assert!((rank[0].spread - 0.03).abs() < 1e-6, "{}", rank[0].spread);
    }

    #[test]
    fn runs_without_validation_are_never_starred_and_sampling_splits_groups() {
        let mut old = scored(1, 0.01, 64, 1, Some((0.95, 0.99)));
        for e in &mut old.epochs {
            e.val_acc = None;
            e.val_loss = None;
        }
        old.sampling = Sampling::FirstN;
        let new = scored(2, 0.01, 64, 2, Some((0.90, 0.91)));
        let groups = group_runs(&[&old, &new]);
        assert_eq!(groups.len(), 2, "drawn differently: never one group");
        assert_eq!(groups[0].val_acc, None);
        assert_eq!(best_group(&groups), Some(1));
        assert_eq!(best_group(&groups[..1]), None);
    }

    #[test]
    fn no_finished_run_means_no_stats() {
        let runs = [run(1, 0.01, 64, 1, None)];
        let groups = group_runs(&[&runs[0]]);
        assert_eq!(groups[0].test_acc, None);
        assert_eq!(best_group(&groups), None);
        assert!(importance(&groups).is_empty());
        assert_eq!(Stats::of(&[]), None);
    }
}
