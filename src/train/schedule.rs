//! Learning-rate schedules, one row each, and the plan a run's rate follows.
//!
//! A run's rate is a pure function of its [`LrPlan`]: a list of segments, each
//! anchored at a step with a rate and running to the horizon the run had when the
//! segment was made. A new run's plan is an optional linear warmup, then its
//! schedule's shape over the rest of its epochs. Adding epochs or setting the rate by
//! hand never rewrites what was trained: it adds a segment from the next step on,
//! anchored at the rate in effect (or the rate set) and following the schedule's
//! decay over what remains. So the rate recorded with each loss point never jumps up
//! unless the user sets a higher one.

use serde::{Deserialize, Serialize};

/// How the learning rate moves over a run. Each variant is one row of [`SCHEDULES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LrSchedule {
    /// The same rate throughout (the tutorial's).
    #[default]
    Constant,
    /// Cosine decay from the rate to zero over all the run's batches.
    Cosine,
    /// Smith's one-cycle: up from a 25th of the rate to the rate, then down to zero.
    OneCycle,
    /// The rate times 0.1 at half the run and again at three quarters.
    StepDecay,
}

/// One schedule: its name, what it does, and its shapes.
#[derive(Debug)]
pub struct ScheduleRow {
    /// Which schedule.
    pub schedule: LrSchedule,
    /// The name used on the command line, in `config.ron` and in records.
    pub name: &'static str,
    /// One line for the help.
    pub help: &'static str,
    /// The factor on the base rate at fraction `t` (0–1) of a planned run's steps.
    pub shape: fn(f64) -> f64,
    /// The factor on an anchored rate at fraction `t` (0–1) of the steps that remain
    /// (after epochs were added or the rate was set by hand). 1 at `t = 0`, never above.
    pub from_anchor: fn(f64) -> f64,
}

/// Every schedule, in menu order. A new schedule is one row here (and a variant).
pub const SCHEDULES: &[ScheduleRow] = &[
    ScheduleRow {
        schedule: LrSchedule::Constant,
        name: "constant",
        help: "the same rate throughout",
        shape: constant,
        from_anchor: constant,
    },
    ScheduleRow {
        schedule: LrSchedule::Cosine,
        name: "cosine",
        help: "cosine decay to zero over the run",
        shape: cosine,
        from_anchor: cosine,
    },
    ScheduleRow {
        schedule: LrSchedule::OneCycle,
        name: "one-cycle",
        help: "up from rate/25 to the rate in the first quarter, then cosine to zero",
        shape: one_cycle,
        from_anchor: cosine,
    },
    ScheduleRow {
        schedule: LrSchedule::StepDecay,
        name: "step-decay",
        help: "×0.1 at half the run and again at three quarters",
        shape: step_decay,
        from_anchor: step_decay,
    },
];

/// Where one-cycle peaks (fraction of the run).
const ONE_CYCLE_PEAK: f64 = 0.25;
/// One-cycle's starting rate, as a fraction of its peak (fastai's `div`).
const ONE_CYCLE_START: f64 = 1.0 / 25.0;
/// Where step decay multiplies (fractions of the run).
const STEP_BOUNDARIES: [f64; 2] = [0.5, 0.75];
/// What step decay multiplies by at each boundary.
const STEP_GAMMA: f64 = 0.1;

fn constant(_t: f64) -> f64 {
    1.0
}

/// 1 at `t = 0` down to 0 at `t = 1`, along half a cosine.
fn cosine(t: f64) -> f64 {
    0.5 * (1.0 + (std::f64::consts::PI * t.clamp(0.0, 1.0)).cos())
}

/// Up from [`ONE_CYCLE_START`] to 1 at [`ONE_CYCLE_PEAK`] (half a cosine), then a cosine
/// down to 0.
fn one_cycle(t: f64) -> f64 {
    let t = t.clamp(0.0, 1.0);
    if t < ONE_CYCLE_PEAK {
        let up = 1.0 - cosine(t / ONE_CYCLE_PEAK);
        ONE_CYCLE_START + (1.0 - ONE_CYCLE_START) * up
    } else {
        cosine((t - ONE_CYCLE_PEAK) / (1.0 - ONE_CYCLE_PEAK))
    }
}

/// [`STEP_GAMMA`] to the power of the boundaries passed.
fn step_decay(t: f64) -> f64 {
    let passed = STEP_BOUNDARIES.iter().filter(|&&b| t >= b).count();
    STEP_GAMMA.powi(passed as i32)
}

impl LrSchedule {
    /// Every schedule, in menu order.
    pub const ALL: [LrSchedule; 4] = [
        LrSchedule::Constant,
        LrSchedule::Cosine,
        LrSchedule::OneCycle,
        LrSchedule::StepDecay,
    ];

    /// This schedule's row of [`SCHEDULES`].
    pub fn row(self) -> &'static ScheduleRow {
        SCHEDULES
            .iter()
            .find(|r| r.schedule == self)
            .unwrap_or(&SCHEDULES[0])
    }

    /// The name used on the command line and in records.
    pub fn name(self) -> &'static str {
        self.row().name
    }

    /// The factor applied to the base rate at batch `step` (0-based) of `total` batches
    /// of a planned run (no warmup, nothing re-anchored).
    pub fn factor(self, step: u64, total: u64) -> f64 {
        (self.row().shape)(fraction(step, total))
    }
}

/// `done / total`, 0 for an empty span, at most 1.
fn fraction(done: u64, total: u64) -> f64 {
    if total == 0 {
        0.0
    } else {
        done.min(total) as f64 / total as f64
    }
}

/// What a segment of a plan follows.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Curve {
    /// Linear warmup: its `n` steps take rate × 1/n, 2/n, … up to the rate.
    Warmup,
    /// The schedule's shape over the planned steps.
    Planned(LrSchedule),
    /// The schedule's decay from a rate anchored mid-run.
    Anchored(LrSchedule),
}

/// A part of a plan: from step `from_step` on, `lr` shaped by `curve` over the steps up
/// to `to_step`. Steps count the steps taken before (0 = the run's first step).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LrSegment {
    /// The first step it applies to.
    pub from_step: u64,
    /// The step its horizon ends at (the run's planned end when it was made).
    pub to_step: u64,
    /// The rate it shapes: the settings' rate, the rate in effect when epochs were
    /// added, or a rate set by hand.
    pub lr: f64,
    /// How it moves.
    pub curve: Curve,
}

impl LrSegment {
    /// The rate of step `step` (at least `from_step`).
    fn rate_at(&self, step: u64) -> f64 {
        let span = self.to_step.saturating_sub(self.from_step).max(1);
        let done = step.saturating_sub(self.from_step);
        let factor = match self.curve {
            Curve::Warmup => (done + 1).min(span) as f64 / span as f64,
            Curve::Planned(s) => (s.row().shape)(fraction(done, span)),
            Curve::Anchored(s) => (s.row().from_anchor)(fraction(done, span)),
        };
        self.lr * factor
    }
}

/// The rate of every step of a run: segments in the order of their first step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LrPlan {
    /// The segments; each applies until the next one begins.
    pub segments: Vec<LrSegment>,
}

impl LrPlan {
    /// A new run's plan: `warmup_steps` of linear warmup (none if 0) up to the rate the
    /// schedule starts at (`lr`, or a 25th of it for one-cycle), then `schedule`'s
    /// shape from `lr` over the rest of `total_steps`.
    pub fn new(schedule: LrSchedule, lr: f64, warmup_steps: u64, total_steps: u64) -> Self {
        let warmup_steps = warmup_steps.min(total_steps);
        let mut segments = Vec::new();
        if warmup_steps > 0 {
            segments.push(LrSegment {
                from_step: 0,
                to_step: warmup_steps,
                lr: lr * (schedule.row().shape)(0.0),
                curve: Curve::Warmup,
            });
        }
        segments.push(LrSegment {
            from_step: warmup_steps,
            to_step: total_steps,
            lr,
            curve: Curve::Planned(schedule),
        });
        LrPlan { segments }
    }

    /// The plan of `settings` for a run of `steps_per_epoch` batches per epoch.
    pub fn for_settings(settings: &super::TrainSettings, steps_per_epoch: u64) -> Self {
        LrPlan::new(
            settings.lr_schedule,
            settings.lr,
            (settings.warmup.max(0.0) * steps_per_epoch as f64).round() as u64,
            u64::from(settings.epochs).saturating_mul(steps_per_epoch),
        )
    }

    /// The rate of step `step` (0-based: the steps taken before it).
    pub fn rate_at(&self, step: u64) -> f64 {
        let segment = self
            .segments
            .iter()
            .rev()
            .find(|s| s.from_step <= step)
            .or(self.segments.first());
        segment.map_or(0.0, |s| s.rate_at(step))
    }

    /// The step the plan ends at (its horizon).
    pub fn end(&self) -> u64 {
        self.segments.last().map_or(0, |s| s.to_step)
    }

    /// The rate in effect before step `step`: the rate the last step taken used (the
    /// first step's rate if none was taken).
    pub fn in_effect(&self, step: u64) -> f64 {
        self.rate_at(step.saturating_sub(1))
    }

    /// The rate set by hand to `lr` from step `step` on: what was planned from there is
    /// replaced by `schedule`'s decay from `lr` over the steps left to the horizon.
    pub fn set_rate(&mut self, step: u64, lr: f64, schedule: LrSchedule) {
        let end = self.end().max(step + 1);
        self.segments.retain(|s| s.from_step < step);
        self.segments.push(LrSegment {
            from_step: step,
            to_step: end,
            lr,
            curve: Curve::Anchored(schedule),
        });
    }

    /// The horizon moved to `new_end` at step `step` (epochs added, or a resume for
    /// another total). Segments that have not begun (the schedule after a warmup in
    /// progress) keep their start and stretch to the new horizon; otherwise the plan is
    /// re-anchored at the rate in effect and follows `schedule`'s decay over the new
    /// remainder. Nothing changes if the horizon is the same.
    pub fn move_horizon(&mut self, step: u64, new_end: u64, schedule: LrSchedule) {
        if new_end == self.end() {
            return;
        }
        let mut stretched = false;
        for s in self.segments.iter_mut().filter(|s| s.from_step >= step) {
            s.to_step = new_end;
            stretched = true;
        }
        if stretched {
            return;
        }
        let lr = self.in_effect(step);
        self.segments.push(LrSegment {
            from_step: step,
            to_step: new_end.max(step + 1),
            lr,
            curve: Curve::Anchored(schedule),
        });
    }

    /// `count` evenly spaced rates over the whole plan (for a preview).
    pub fn sample(&self, count: usize) -> Vec<(f64, f64)> {
        let end = self.end().max(1);
        (0..count)
            .map(|i| {
                let f = i as f64 / (count.max(2) - 1) as f64;
                let step = ((f * end as f64) as u64).min(end - 1);
                (f, self.rate_at(step))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rates(plan: &LrPlan, steps: std::ops::Range<u64>) -> Vec<f64> {
        steps.map(|s| plan.rate_at(s)).collect()
    }

    fn non_increasing(r: &[f64]) -> bool {
        r.windows(2).all(|w| w[1] <= w[0])
    }

    #[test]
    fn every_schedule_has_exactly_one_row() {
        for s in LrSchedule::ALL {
            assert_eq!(SCHEDULES.iter().filter(|r| r.schedule == s).count(), 1);
            assert_eq!(s.row().schedule, s);
            assert_eq!(
                (s.row().from_anchor)(0.0),
                1.0,
                "{s:?} starts at its anchor"
            );
        }
        assert_eq!(SCHEDULES.len(), LrSchedule::ALL.len());
    }

    #[test]
    fn cosine_decays_from_one_to_zero() {
        assert_eq!(LrSchedule::Constant.factor(5, 10), 1.0);
        assert_eq!(LrSchedule::Cosine.factor(0, 10), 1.0);
        assert!((LrSchedule::Cosine.factor(5, 10) - 0.5).abs() < 1e-12);
        assert!(LrSchedule::Cosine.factor(10, 10).abs() < 1e-12);
        assert!(LrSchedule::Cosine.factor(20, 10).abs() < 1e-12);
    }

    #[test]
    fn warmup_ramps_linearly_to_the_base_then_the_schedule_takes_over() {
        let plan = LrPlan::new(LrSchedule::Constant, 0.1, 4, 10);
        let r = rates(&plan, 0..10);
        for (i, expected) in [0.025, 0.05, 0.075, 0.1].iter().enumerate() {
            assert!((r[i] - expected).abs() < 1e-12, "{r:?}");
        }
        // Equal increments: linear.
        let d: Vec<f64> = r[..4].windows(2).map(|w| w[1] - w[0]).collect();
        assert!(d.iter().all(|x| (x - 0.025).abs() < 1e-12), "{d:?}");
        assert!(r[4..].iter().all(|&x| x == 0.1));
        // Cosine after warmup starts at the base and decays over the rest.
        let cos = LrPlan::new(LrSchedule::Cosine, 0.1, 4, 12);
        assert_eq!(cos.rate_at(4), 0.1);
        assert!((cos.rate_at(8) - 0.05).abs() < 1e-12);
        assert!(non_increasing(&rates(&cos, 4..12)));
        // One-cycle starts low: the warmup ramps to its start, then it rises.
        let cycle = LrPlan::new(LrSchedule::OneCycle, 1.0, 4, 44);
        let r = rates(&cycle, 0..15);
        assert!((r[3] - 1.0 / 25.0).abs() < 1e-12, "{r:?}");
        assert!(r.windows(2).all(|w| w[1] >= w[0]), "{r:?}");
    }

    #[test]
    fn one_cycle_rises_to_the_rate_then_falls_to_zero() {
        let plan = LrPlan::new(LrSchedule::OneCycle, 1.0, 0, 100);
        let r = rates(&plan, 0..100);
        assert!((r[0] - 1.0 / 25.0).abs() < 1e-12, "{}", r[0]);
        assert!(r[..25].windows(2).all(|w| w[1] > w[0]), "rises");
        assert_eq!(r[25], 1.0, "peaks at a quarter");
        assert!(r[25..].windows(2).all(|w| w[1] < w[0]), "falls");
        assert!(r[99] < 0.001);
    }

    #[test]
    fn step_decay_multiplies_at_its_boundaries() {
        let plan = LrPlan::new(LrSchedule::StepDecay, 0.5, 0, 8);
        let r = rates(&plan, 0..8);
        let expected = [0.5, 0.5, 0.5, 0.5, 0.05, 0.05, 0.005, 0.005];
        for (a, b) in r.iter().zip(expected) {
            assert!((a - b).abs() < 1e-12, "{r:?}");
        }
    }

    #[test]
    fn adding_epochs_re_anchors_at_the_rate_in_effect_without_a_jump() {
        for schedule in LrSchedule::ALL {
            let mut plan = LrPlan::new(schedule, 0.1, 0, 10);
            let before = rates(&plan, 0..10);
            // At the end of the run (a finished run extended), and midway.
            plan.move_horizon(10, 20, schedule);
            let after = rates(&plan, 0..20);
            assert_eq!(&after[..10], before.as_slice(), "history unchanged");
            assert_eq!(
                after[10], before[9],
                "{schedule:?} starts at the rate in effect"
            );
            assert!(non_increasing(&after[9..]), "{schedule:?}: {after:?}");
            plan.move_horizon(15, 30, schedule);
            let longer = rates(&plan, 0..30);
            assert_eq!(longer[15], after[14]);
            assert!(non_increasing(&longer[9..]), "{schedule:?}: {longer:?}");
        }
        // A cosine extended at its end decays from where it was, not from half the base.
        let mut plan = LrPlan::new(LrSchedule::Cosine, 0.1, 0, 10);
        plan.move_horizon(10, 15, LrSchedule::Cosine);
        assert!(plan.rate_at(10) < 0.01);
    }

    #[test]
    fn the_same_horizon_changes_nothing_and_a_warmup_in_progress_keeps_going() {
        let mut plan = LrPlan::new(LrSchedule::Cosine, 0.1, 4, 10);
        let same = plan.clone();
        plan.move_horizon(6, 10, LrSchedule::Cosine);
        assert_eq!(plan, same);
        plan.move_horizon(2, 20, LrSchedule::Cosine);
        assert_eq!(plan.segments.len(), 2, "{plan:?}");
        assert_eq!(
            rates(&plan, 0..4),
            rates(&same, 0..4),
            "the warmup is unchanged"
        );
        assert_eq!(plan.rate_at(4), 0.1, "then the schedule from the base");
        assert!(
            (plan.rate_at(12) - 0.05).abs() < 1e-12,
            "over the new horizon"
        );
    }

    #[test]
    fn a_rate_set_by_hand_is_the_rate_in_effect_then_decays() {
        let mut plan = LrPlan::new(LrSchedule::Cosine, 0.1, 2, 20);
        plan.set_rate(10, 0.5, LrSchedule::Cosine);
        assert_eq!(plan.rate_at(10), 0.5);
        let r = rates(&plan, 10..20);
        assert!(r.windows(2).all(|w| w[1] < w[0]), "{r:?}");
        assert!(r[9] < 0.05);
        // Set during the warmup: the rest of the plan is replaced.
        let mut early = LrPlan::new(LrSchedule::Constant, 0.1, 5, 20);
        early.set_rate(1, 0.01, LrSchedule::Constant);
        assert!(rates(&early, 1..20).iter().all(|&x| x == 0.01));
        assert_eq!(early.end(), 20);
    }

    #[test]
    fn a_preview_samples_the_whole_plan() {
        let plan = LrPlan::new(LrSchedule::OneCycle, 1.0, 0, 1000);
        let s = plan.sample(9);
        assert_eq!(s.len(), 9);
        assert_eq!(s[0].0, 0.0);
        assert_eq!(s[8].0, 1.0);
        assert_eq!(s[2].1, 1.0, "the peak at a quarter");
        assert!(s[8].1 < 0.001);
    }
}
