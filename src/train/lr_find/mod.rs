//! The learning-rate finder (Leslie Smith's range test, as fastai's `lr_find`): train
//! a copy of a model for a few hundred batches while the rate grows exponentially
//! from tiny to huge, record the loss at each rate, and suggest the rate at which the
//! loss fell fastest.
//!
//! The pure parts are here: the rate of each finder step ([`FinderPlan`]), the stop
//! rule ([`Tracker`]), the smoothing ([`smooth`]) and the suggestion ([`suggest`]).
//! [`run::find`] trains the copy; `mnist-tui lr-find`, the dashboard and the trainer
//! (a finder run on a run in progress) all go through it.

pub mod run;
mod suggest;

pub use run::{Progress, find, find_fresh, training_indices};
pub use suggest::{MIN_FALL, MIN_POINTS, Suggestion, smooth, smoothing_half_width, suggest};

use serde::{Deserialize, Serialize};

use super::settings::{MAX_LR, check_lr};

/// Fewest finder steps: fewer cannot show a curve.
pub const MIN_STEPS: usize = 20;
/// Most finder steps (a finder is a short look, not a training run).
pub const MAX_STEPS: usize = 5000;
/// The stop rule: the finder stops once its running loss exceeds this many times its
/// lowest (fastai's 4): past that the copy is diverging and later points say nothing.
pub const DIVERGENCE_FACTOR: f64 = 4.0;
/// Weight of the past in the stop rule's running loss (a debiased exponential moving
/// average, as fastai's). fastai uses 0.98 over its 100 steps; that average lags about
/// 49 steps (4 of its 8 decades), so a diverging loss is noticed late. 0.9 lags about
/// 9 steps, still enough to ride out a single noisy batch.
pub const STOP_BETA: f64 = 0.9;

/// The rates a finder tries: `steps` rates from `start` to `end`, evenly spaced on a
/// log scale (one batch each).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FinderPlan {
    /// The first rate.
    pub start: f64,
    /// The last rate (reached only if the loss has not diverged before).
    pub end: f64,
    /// How many batches (one rate each).
    pub steps: usize,
}

impl Default for FinderPlan {
    /// fastai's range, 1e-7 to 10 over 100 batches.
    fn default() -> Self {
        FinderPlan {
            start: 1e-7,
            end: MAX_LR,
            steps: 100,
        }
    }
}

impl FinderPlan {
    /// Checks the plan: both rates are valid learning rates, the start below the end,
    /// the steps in [`MIN_STEPS`]..=[`MAX_STEPS`].
    pub fn validate(&self) -> Result<(), String> {
        check_lr(self.start).map_err(|e| format!("finder start: {e}"))?;
        check_lr(self.end).map_err(|e| format!("finder end: {e}"))?;
        if self.start >= self.end {
            return Err(format!(
                "finder start {} must be below its end {}",
                crate::format::float(self.start),
                crate::format::float(self.end)
            ));
        }
        if !(MIN_STEPS..=MAX_STEPS).contains(&self.steps) {
            return Err(format!(
                "finder steps {} must be in {MIN_STEPS}..={MAX_STEPS}",
                self.steps
            ));
        }
        Ok(())
    }

    /// The rate of step `i` (0-based): `start · (end/start)^(i/(steps−1))`, so the
    /// first step uses `start` and the last `end`.
    pub fn rate(&self, i: usize) -> f64 {
        let last = self.steps.saturating_sub(1).max(1) as f64;
        let t = (i as f64 / last).min(1.0);
        self.start * (self.end / self.start).powf(t)
    }
}

/// One finder step: the rate it used and the loss of its batch.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FinderPoint {
    /// The learning rate of the step.
    pub rate: f64,
    /// The batch's mean loss (before the step's update).
    pub loss: f64,
}

/// Why a finder stopped.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Ending {
    /// Every planned rate was tried.
    Completed,
    /// The running loss exceeded [`DIVERGENCE_FACTOR`] times its lowest at `rate`.
    Diverged {
        /// The rate of the step that tripped the rule.
        rate: f64,
    },
    /// A batch's loss was not finite at `rate` (that point is not recorded).
    NonFinite {
        /// The rate of that step.
        rate: f64,
    },
    /// Stopped on request after the points recorded.
    Cancelled,
}

impl Ending {
    /// How the finder ended, as words for the suggestion's reason.
    pub fn describe(&self) -> String {
        match self {
            Ending::Completed => "the range ended without divergence".into(),
            Ending::Diverged { rate } => format!("loss diverged from {}", short(*rate)),
            Ending::NonFinite { rate } => format!("loss became non-finite at {}", short(*rate)),
            Ending::Cancelled => "stopped early on request".into(),
        }
    }
}

/// A rate in two significant digits: `3.2e-3`, `0.1`, `10`.
pub fn short(rate: f64) -> String {
    if !rate.is_finite() || rate <= 0.0 {
        return rate.to_string();
    }
    let rounded = round_rate(rate);
    if (1e-2..100.0).contains(&rounded) {
        crate::format::float(rounded)
    } else {
        format!("{rounded:.1e}").replace(".0e", "e")
    }
}

/// `rate` rounded to two significant digits (what the finder suggests: a rate with
/// more digits would claim a precision a noisy curve does not have).
pub fn round_rate(rate: f64) -> f64 {
    if !rate.is_finite() || rate <= 0.0 {
        return rate;
    }
    // Scaled by an exact power of ten either way, so 0.01 comes out as 0.01.
    let exp = rate.log10().floor() as i32 - 1;
    if exp < 0 {
        let scale = 10f64.powi(-exp);
        (rate * scale).round() / scale
    } else {
        let scale = 10f64.powi(exp);
        (rate / scale).round() * scale
    }
}

/// The stop rule, fed one finder step at a time: a non-finite loss stops at once; a
/// running loss (debiased moving average, [`STOP_BETA`]) above
/// [`DIVERGENCE_FACTOR`] times its lowest stops after recording that point.
#[derive(Debug, Clone, Default)]
pub struct Tracker {
    average: f64,
    count: i32,
    lowest: f64,
    points: Vec<FinderPoint>,
}

impl Tracker {
    /// A tracker with no points yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records the loss of a step at `rate`; `Some(ending)` when the finder must stop.
    pub fn push(&mut self, rate: f64, loss: f64) -> Option<Ending> {
        if !loss.is_finite() {
            return Some(Ending::NonFinite { rate });
        }
        self.points.push(FinderPoint { rate, loss });
        self.average = STOP_BETA * self.average + (1.0 - STOP_BETA) * loss;
        self.count = self.count.saturating_add(1);
        let running = self.average / (1.0 - STOP_BETA.powi(self.count));
        if self.count == 1 || running < self.lowest {
            self.lowest = running;
        }
        (running > DIVERGENCE_FACTOR * self.lowest).then_some(Ending::Diverged { rate })
    }

    /// The points recorded so far.
    pub fn points(&self) -> &[FinderPoint] {
        &self.points
    }

    /// The finished curve, ended by `ending`.
    pub fn finish(self, ending: Ending) -> LrCurve {
        LrCurve {
            points: self.points,
            ending,
        }
    }
}

/// What a finder measured: the loss at each rate it tried, and why it stopped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LrCurve {
    /// One point per step, rates increasing.
    pub points: Vec<FinderPoint>,
    /// Why it stopped.
    pub ending: Ending,
}

impl LrCurve {
    /// The curve of `losses` at `plan`'s rates, put through the stop rule (for tests
    /// and for curves measured elsewhere).
    pub fn from_losses(plan: &FinderPlan, losses: &[f64]) -> LrCurve {
        let mut tracker = Tracker::new();
        for (i, &loss) in losses.iter().enumerate() {
            if let Some(ending) = tracker.push(plan.rate(i), loss) {
                return tracker.finish(ending);
            }
        }
        tracker.finish(Ending::Completed)
    }

    /// The smoothed losses, one per point (see [`smooth`]).
    pub fn smoothed(&self) -> Vec<f64> {
        let losses: Vec<f64> = self.points.iter().map(|p| p.loss).collect();
        smooth(&losses)
    }
}

/// A finder's result: its curve and what it suggests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LrFinding {
    /// The plan it followed.
    pub plan: FinderPlan,
    /// What it measured.
    pub curve: LrCurve,
    /// The rate it suggests (or why none), with the reason.
    pub suggestion: Suggestion,
}

impl LrFinding {
    /// The finding of `curve` measured under `plan`: the curve and its suggestion.
    pub fn new(plan: FinderPlan, curve: LrCurve) -> Self {
        let suggestion = suggest(&curve);
        LrFinding {
            plan,
            curve,
            suggestion,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_grows_exponentially_from_start_to_end() {
        let plan = FinderPlan::default();
        assert_eq!(plan.rate(0), 1e-7);
        assert!((plan.rate(99) - 10.0).abs() < 1e-12);
        let ratio = plan.rate(1) / plan.rate(0);
        for i in 1..99 {
            assert!((plan.rate(i + 1) / plan.rate(i) - ratio).abs() < 1e-9);
        }
        assert!(
            plan.rate(500) <= 10.0 + 1e-12,
            "past the end stays at the end"
        );
    }

    #[test]
    fn a_bad_plan_is_refused_with_the_reason() {
        let ok = FinderPlan::default();
        assert_eq!(ok.validate(), Ok(()));
        let bad = |p: FinderPlan| p.validate().unwrap_err();
        assert_eq!(
            bad(FinderPlan { start: 0.0, ..ok }),
            "finder start: learning rate 0 must be in (0, 10]"
        );
        assert_eq!(
            bad(FinderPlan { end: 20.0, ..ok }),
            "finder end: learning rate 20 must be in (0, 10]"
        );
        assert_eq!(
            bad(FinderPlan {
                start: 1.0,
                end: 0.1,
                ..ok
            }),
            "finder start 1 must be below its end 0.1"
        );
        assert_eq!(
            bad(FinderPlan { steps: 3, ..ok }),
            "finder steps 3 must be in 20..=5000"
        );
    }

    #[test]
    fn the_stop_rule_cuts_off_divergence_and_non_finite_losses() {
        let plan = FinderPlan::default();
        let mut losses = vec![2.3; 40];
        losses.extend((0..20).map(|i| 2.3 - 0.1 * i as f64)); // down to 0.4
        losses.extend((0..40).map(|i| 0.4 * 1.5f64.powi(i))); // then up, fast
        let curve = LrCurve::from_losses(&plan, &losses);
        let Ending::Diverged { rate } = curve.ending else {
            panic!("{:?}", curve.ending)
        };
        let n = curve.points.len();
        assert!((61..90).contains(&n), "stopped at point {n}");
        assert_eq!(rate, plan.rate(n - 1), "the tripping point is recorded");

        let curve = LrCurve::from_losses(&plan, &[2.3, 2.2, f64::NAN, 1.0]);
        assert_eq!(curve.ending, Ending::NonFinite { rate: plan.rate(2) });
        assert_eq!(curve.points.len(), 2, "the NaN is not a point");

        let curve = LrCurve::from_losses(&plan, &[2.3; 100]);
        assert_eq!(curve.ending, Ending::Completed);
        assert_eq!(curve.points.len(), 100);
    }

    #[test]
    fn rates_print_in_two_significant_digits() {
        assert_eq!(round_rate(3.16227e-3), 3.2e-3);
        assert_eq!(short(3.16227e-3), "3.2e-3");
        assert_eq!(short(1e-7), "1e-7");
        assert_eq!(short(0.123), "0.12");
        assert_eq!(short(10.0), "10");
        assert_eq!(short(0.0099999), "0.01");
    }
}
