//! A sweep's specification (the swept settings, random sampling) and its expansion
//! into points: one [`TrainSettings`] each, every one validated before anything starts.

use super::axis::{Axis, Values};
use super::file::SweepFile;
use crate::train::{SETTINGS, Setting, TrainOverrides, TrainSettings};
use rand::SeedableRng;
use sha2::{Digest, Sha256};

/// How many hex digits of the SHA-256 of the points make a sweep id.
const ID_DIGITS: usize = 10;
/// The most points one sweep may have (a typo such as `--random 100000` is refused).
pub const MAX_POINTS: usize = 10_000;

/// The seed setting, the one a sweep groups over (its values are repeats, not choices).
pub fn seed_setting() -> &'static Setting {
    crate::train::catalog::setting("seed").unwrap_or(&SETTINGS[0])
}

/// What to sweep: the swept settings (each a list or a range) and, for ranges, how
/// many points to sample and from which seed.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepSpec {
    /// The swept settings in the settings table's order, the seed last (innermost).
    axes: Vec<Axis>,
    /// Points to sample when some axes are ranges.
    random: Option<usize>,
    /// The seed the ranges are sampled from.
    sweep_seed: u64,
}

impl SweepSpec {
    /// A spec from its axes (in any order; single values belong in the base overrides,
    /// not here). Ranges need `random`, and `random` needs a range.
    pub fn new(
        mut axes: Vec<Axis>,
        random: Option<usize>,
        sweep_seed: u64,
    ) -> Result<Self, String> {
        if axes.is_empty() {
            return Err(
                "nothing to sweep: give some setting a list of values (e.g. --lr 0.01,0.1) \
                        or --seeds 1,2,3"
                    .into(),
            );
        }
        let order = |a: &Axis| {
            let i = SETTINGS
                .iter()
                .position(|s| s == a.setting)
                .unwrap_or(usize::MAX);
            (a.setting == seed_setting(), i)
        };
        axes.sort_by_key(order);
        if let Some(w) = axes.windows(2).find(|w| w[0].setting == w[1].setting) {
            return Err(format!(
                "{} is swept twice",
                w[0].setting.label.to_lowercase()
            ));
        }
        let ranges: Vec<&str> = axes
            .iter()
            .filter(|a| a.is_range())
            .map(|a| a.setting.flag)
            .collect();
        match (random, ranges.is_empty()) {
            (None, false) => {
                return Err(format!(
                    "--{} is a range: say how many points to sample with --random N",
                    ranges.join(", --")
                ));
            }
            (Some(_), true) => {
                return Err(
                    "--random N samples ranges, but no setting is given a range \
                            (e.g. --lr 1e-4..1e-1)"
                        .into(),
                );
            }
            (Some(0), false) => return Err("--random must be at least 1".into()),
            _ => {}
        }
        let spec = SweepSpec {
            axes,
            random,
            sweep_seed,
        };
        let count = spec.count();
        if count > MAX_POINTS {
            return Err(format!(
                "the sweep would have {count} points; at most {MAX_POINTS}"
            ));
        }
        Ok(spec)
    }

    /// The swept settings, the seed last.
    pub fn axes(&self) -> &[Axis] {
        &self.axes
    }

    /// How many points the sweep has (saturating).
    pub fn count(&self) -> usize {
        let grid = self
            .axes
            .iter()
            .filter_map(|a| match &a.values {
                Values::List(v) => Some(v.len()),
                Values::Range { .. } => None,
            })
            .fold(1usize, usize::saturating_mul);
        grid.saturating_mul(self.random.unwrap_or(1))
    }

    /// Every point: the sampled draws outermost, then the listed settings as a grid in
    /// the settings table's order, the seed innermost. Each point is `base` (the
    /// layers of overrides, later ones winning) with its swept values on top, validated;
    /// an invalid point is an error naming it.
    pub fn points(&self, base: &[&TrainOverrides]) -> Result<Vec<TrainSettings>, String> {
        let mut rng = rand::rngs::StdRng::seed_from_u64(self.sweep_seed);
        let draws: Vec<Vec<(&'static Setting, String)>> = (0..self.random.unwrap_or(1))
            .map(|_| {
                self.axes
                    .iter()
                    .filter_map(|a| a.sample(&mut rng).map(|v| (a.setting, v)))
                    .collect()
            })
            .collect();
        let lists: Vec<(&'static Setting, &[String])> = self
            .axes
            .iter()
            .filter_map(|a| match &a.values {
                Values::List(v) => Some((a.setting, v.as_slice())),
                Values::Range { .. } => None,
            })
            .collect();
        let mut points = Vec::with_capacity(self.count());
        for draw in &draws {
            for combo in grid(&lists) {
                let mut top = TrainOverrides::default();
                for (setting, text) in draw.iter().map(|(s, v)| (*s, v.as_str())).chain(combo) {
                    setting.set_override(&mut top, text)?;
                }
                let mut layers = base.to_vec();
                layers.push(&top);
                let s = TrainSettings::resolve(&layers);
                let k = points.len() + 1;
                s.validate()
                    .map_err(|e| format!("point {k} ({}): {e}", describe(&s, &self.swept())))?;
                points.push(s);
            }
        }
        Ok(points)
    }

    /// The swept settings, in order.
    pub fn swept(&self) -> Vec<&'static Setting> {
        self.axes.iter().map(|a| a.setting).collect()
    }
}

/// The sweep that flags describe: `flags` are (setting, text) pairs as typed (one value,
/// a comma list or a range each); single values join the `base` layers of overrides
/// (later ones winning), the others are swept. Every point is validated, and a flag
/// with a non-default value for a setting that applies to no point (`--momentum 0.9`
/// with only Adam) is refused; the result is not saved.
pub fn plan(
    base: &[&TrainOverrides],
    flags: &[(&'static Setting, String)],
    random: Option<usize>,
    sweep_seed: u64,
) -> Result<SweepFile, String> {
    let mut fixed = TrainOverrides::default();
    let mut axes = Vec::new();
    for (setting, text) in flags {
        let axis = Axis::parse(setting, text)?;
        if axis.is_single() {
            setting.set_override(&mut fixed, text)?;
        } else {
            axes.push(axis);
        }
    }
    let spec = SweepSpec::new(axes, random, sweep_seed)?;
    let mut layers = base.to_vec();
    layers.push(&fixed);
    let points = spec.points(&layers)?;
    let given: Vec<&'static Setting> = flags.iter().map(|(s, _)| *s).collect();
    crate::train::catalog::check_given(&given, &points)?;
    let points = trained_once(points);
    Ok(SweepFile {
        id: sweep_id(&points),
        program_version: env!("CARGO_PKG_VERSION").to_string(),
        created_at: time::OffsetDateTime::now_utc(),
        swept: spec.swept().iter().map(|s| s.name.to_string()).collect(),
        points,
    })
}

/// The points without those that differ from an earlier one only in settings that
/// apply to neither (momentum 0 and 0.9 with Adam): the same run, trained once.
fn trained_once(points: Vec<TrainSettings>) -> Vec<TrainSettings> {
    let mut kept: Vec<TrainSettings> = Vec::with_capacity(points.len());
    for s in points {
        if !kept
            .iter()
            .any(|p| SETTINGS.iter().all(|r| r.same_in_effect(p, &s)))
        {
            kept.push(s);
        }
    }
    kept
}

/// Every combination of the listed values, the last list varying fastest.
fn grid<'a>(lists: &[(&'static Setting, &'a [String])]) -> Vec<Vec<(&'static Setting, &'a str)>> {
    let mut combos: Vec<Vec<(&'static Setting, &'a str)>> = vec![Vec::new()];
    for (setting, values) in lists {
        combos = combos
            .into_iter()
            .flat_map(|c| {
                values.iter().map(move |v| {
                    let mut next = c.clone();
                    next.push((*setting, v.as_str()));
                    next
                })
            })
            .collect();
    }
    combos
}

/// A point's swept settings as `lr 0.01, batch 64, seed 1`.
pub fn describe(s: &TrainSettings, swept: &[&'static Setting]) -> String {
    swept
        .iter()
        .map(|row| format!("{} {}", row.short, row.show(s)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The id of the sweep of `points`: the first hex digits of the SHA-256 of the points'
/// settings, so the same command (same config) names the same sweep and resumes it.
pub fn sweep_id(points: &[TrainSettings]) -> String {
    let canonical = serde_json::to_string(points).unwrap_or_default();
    let digest = Sha256::digest(canonical.as_bytes());
    crate::data::idx::hex(&digest)[..ID_DIGITS].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Preset;
    use crate::train::catalog::setting;

    fn axis(name: &str, text: &str) -> Axis {
        Axis::parse(setting(name).unwrap(), text).unwrap()
    }

    fn base() -> TrainOverrides {
        TrainOverrides {
            model: Some(Preset::Mlp.model_name()),
            ..Default::default()
        }
    }

    #[test]
    fn points_that_differ_only_where_nothing_applies_are_trained_once() {
        // `--optimizer sgd,adam --momentum 0,0.9 --seeds 1,2`: momentum applies to sgd
        // only, so the adam points with momentum 0 and 0.9 are one run per seed.
        let flags = vec![
            (setting("seed").unwrap(), "1,2".to_string()),
            (setting("optimizer").unwrap(), "sgd,adam".to_string()),
            (setting("momentum").unwrap(), "0,0.9".to_string()),
        ];
        let points = plan(&[&base()], &flags, None, 0).unwrap().points;
        let seen: Vec<(&str, f64, u64)> = points
            .iter()
            .map(|p| (p.optimizer.name(), p.momentum, p.seed))
            .collect();
        assert_eq!(
            seen,
            vec![
                ("sgd", 0.0, 1),
                ("sgd", 0.0, 2),
                ("sgd", 0.9, 1),
                ("sgd", 0.9, 2),
                ("adam", 0.0, 1),
                ("adam", 0.0, 2),
            ]
        );
    }

    #[test]
    fn a_grid_is_the_cartesian_product_with_seeds_innermost() {
        let spec = SweepSpec::new(
            vec![
                axis("seed", "1,2"),
                axis("batch_size", "64,128"),
                axis("lr", "0.01,0.1"),
            ],
            None,
            0,
        )
        .unwrap();
        assert_eq!(spec.count(), 8);
        let points = spec.points(&[&base()]).unwrap();
        let seen: Vec<(f64, usize, u64)> = points
            .iter()
            .map(|p| (p.lr, p.batch_size, p.seed))
            .collect();
        assert_eq!(
            seen,
            vec![
                (0.01, 64, 1),
                (0.01, 64, 2),
                (0.01, 128, 1),
                (0.01, 128, 2),
                (0.1, 64, 1),
                (0.1, 64, 2),
                (0.1, 128, 1),
                (0.1, 128, 2),
            ]
        );
        // Everything not swept comes from the base.
        assert!(points.iter().all(|p| p.model == Preset::Mlp.model_name()
            && p.epochs == TrainSettings::preset(Preset::Mlp).epochs));
        assert_eq!(
            sweep_id(&points),
            sweep_id(&spec.points(&[&base()]).unwrap())
        );
        assert_eq!(sweep_id(&points).len(), ID_DIGITS);
        assert_ne!(sweep_id(&points), sweep_id(&points[..7]));
    }

    #[test]
    fn random_points_are_reproducible_from_the_sweep_seed() {
        let make = |seed| {
            SweepSpec::new(
                vec![axis("lr", "1e-4..1e-1"), axis("seed", "1,2")],
                Some(3),
                seed,
            )
            .unwrap()
            .points(&[&base()])
            .unwrap()
        };
        let a = make(7);
        assert_eq!(a.len(), 6);
        assert_eq!(a, make(7));
        assert_ne!(a, make(8));
        // Each draw is repeated over the seeds.
        assert_eq!(a[0].lr, a[1].lr);
        assert_ne!(a[0].seed, a[1].seed);
        assert!(a.iter().all(|p| (1e-4..=1e-1).contains(&p.lr)));
    }

    #[test]
    fn bad_specs_and_invalid_points_are_refused_with_a_reason() {
        let err = SweepSpec::new(vec![axis("lr", "1e-4..1e-1")], None, 0).unwrap_err();
        assert!(err.contains("--random"), "{err}");
        let err = SweepSpec::new(vec![axis("lr", "0.1,0.2")], Some(3), 0).unwrap_err();
        assert!(err.contains("no setting is given a range"), "{err}");
        let err = SweepSpec::new(vec![], None, 0).unwrap_err();
        assert!(err.contains("nothing to sweep"), "{err}");
        let err = SweepSpec::new(vec![axis("lr", "0.1,0.2"), axis("lr", "0.3,0.4")], None, 0)
            .unwrap_err();
        assert!(err.contains("learning rate is swept twice"), "{err}");
        let spec = SweepSpec::new(vec![axis("lr", "0.1,20")], None, 0).unwrap();
        let err = spec.points(&[&base()]).unwrap_err();
        assert!(
            err.starts_with("point 2 (lr 20): learning rate 20 must be in (0, 10]"),
            "{err}"
        );
        let huge =
            SweepSpec::new(vec![axis("lr", "1e-4..1e-1")], Some(MAX_POINTS + 1), 0).unwrap_err();
        assert!(huge.contains("at most"), "{huge}");
    }

    #[test]
    fn a_plan_sweeps_lists_and_fixes_single_values() {
        let lr = setting("lr").unwrap();
        let epochs = setting("epochs").unwrap();
        let flags = vec![
            (lr, "0.01,0.1".to_string()),
            (epochs, "1".to_string()),
            (seed_setting(), "1,2".to_string()),
        ];
        let plan = plan(&[&base()], &flags, None, 0).unwrap();
        assert_eq!(plan.points.len(), 4);
        assert_eq!(plan.swept, vec!["lr".to_string(), "seed".to_string()]);
        assert!(plan.points.iter().all(|p| p.epochs == 1));
        assert_eq!(plan.id, sweep_id(&plan.points));
        let err = super::plan(&[&base()], &[(epochs, "1".to_string())], None, 0).unwrap_err();
        assert!(err.contains("nothing to sweep"), "{err}");
    }

    #[test]
    fn a_flag_of_one_optimizer_sweeps_across_optimizers_but_alone_is_refused() {
        let optimizer = setting("optimizer").unwrap();
        let momentum = setting("momentum").unwrap();
        let flags = vec![
            (optimizer, "sgd,adam,adamw".to_string()),
            (momentum, "0.9".to_string()),
        ];
        let plan = plan(&[&TrainOverrides::default()], &flags, None, 0).unwrap();
        let kinds: Vec<_> = plan.points.iter().map(|p| p.optimizer.name()).collect();
        assert_eq!(kinds, vec!["sgd", "adam", "adamw"]);
        // mlp keeps its Adam rate; the others take their optimiser's rate and decay
        // (AdamW: PyTorch's 0.01).
        let lr_wd: Vec<_> = plan.points.iter().map(|p| (p.lr, p.weight_decay)).collect();
        assert_eq!(lr_wd, vec![(0.1, 0.0), (3e-3, 0.0), (1e-3, 0.01)]);
        assert!(plan.points.iter().all(|p| p.momentum == 0.9));
        let only_adam = vec![
            (optimizer, "adam,adamw".to_string()),
            (momentum, "0,0.9".to_string()),
        ];
        let err = super::plan(&[&TrainOverrides::default()], &only_adam, None, 0).unwrap_err();
        assert_eq!(
            err,
            "--momentum 0.9 does not apply to adam or adamw (it applies to sgd)"
        );
    }

    #[test]
    fn a_swept_model_takes_its_own_defaults() {
        let spec = SweepSpec::new(vec![axis("model", "tutorial-mlp,mlp")], None, 0).unwrap();
        let points = spec.points(&[&TrainOverrides::default()]).unwrap();
        assert_eq!(points[0], TrainSettings::preset(Preset::TutorialMlp));
        assert_eq!(points[1], TrainSettings::preset(Preset::Mlp));
    }
}
