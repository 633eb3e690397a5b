//! What a finder's curve suggests.
//!
//! **The rule: the steepest fall of the smoothed loss against the log of the rate,
//! before the smoothed loss reaches its lowest.** Where the loss falls fastest per
//! tenfold rate is where a step makes the most progress while training is still
//! stable. fastai offers three readings: `minimum` (the rate of the lowest loss,
//! divided by 10) sits at the edge of divergence and leans on an arbitrary factor;
//! `valley` (two thirds down the longest decreasing stretch) depends on a longest
//! monotone subsequence, which one noisy batch can lengthen or cut short; `steep` is
//! this rule, which fastai applied to a lagging average. Here the loss is smoothed
//! with a centred window ([`smooth`]), which has no lag, so the steepest fall is
//! found where it happened rather than some dozens of steps later; the slope is taken
//! across a window's width on each side, so one noisy batch cannot make a cliff.
//!
//! The fall is looked for only at rates at least [`BELOW_LOWEST_DECADES`] of a decade
//! below the lowest point. Near its lowest point the range test is at the edge of
//! divergence, and a few lucky batches there can look like the steepest fall: on the
//! `cnn` (Adam, batch 128) the unbounded rule once read 7.1e-3 from such a dip, and two
//! of three 3-epoch runs at that rate diverged to chance. The usual advice (fastai's
//! `minimum`, Smith's) keeps a good distance below the lowest point for the same reason.
//!
//! No rate is suggested, with the reason, when the curve is too short to read
//! (fewer than [`MIN_POINTS`]) or the smoothed loss never falls by [`MIN_FALL`] of
//! its starting value (a model that is already trained, or a range too low).

use serde::{Deserialize, Serialize};

use super::{LrCurve, round_rate, short};

/// Fewest points a curve needs for a suggestion.
pub const MIN_POINTS: usize = 10;
/// The fraction of its starting value the smoothed loss must fall by for a
/// suggestion: a smaller dip is what noise alone can make.
pub const MIN_FALL: f64 = 0.1;
/// How far below the lowest point's rate (in decades: 0.5 is a factor of about 3.2)
/// the suggested rate must lie.
pub const BELOW_LOWEST_DECADES: f64 = 0.5;

/// The rate a finder suggests, or why it suggests none, with the reason in words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suggestion {
    /// The suggested rate (two significant digits), if any.
    pub lr: Option<f64>,
    /// Why this rate, or why none.
    pub reason: String,
}

/// Half the width of the smoothing window for a curve of `n` points: 1/25 of the
/// curve (4 points each side over fastai's 100 steps), at least 2.
pub fn smoothing_half_width(n: usize) -> usize {
    (n / 25).max(2)
}

/// The losses smoothed by a centred moving average ([`smoothing_half_width`] points
/// each side, fewer near the ends so the window stays centred): no lag, so a fall in
/// the smoothed curve is where the fall in the losses was.
pub fn smooth(losses: &[f64]) -> Vec<f64> {
    let n = losses.len();
    let h = smoothing_half_width(n);
    (0..n)
        .map(|i| {
            let k = h.min(i).min(n - 1 - i);
            let window = &losses[i - k..=i + k];
            window.iter().sum::<f64>() / window.len() as f64
        })
        .collect()
}

/// The suggestion for `curve` (see the module's doc for the rule).
pub fn suggest(curve: &LrCurve) -> Suggestion {
    let none = |reason: String| Suggestion { lr: None, reason };
    let points = &curve.points;
    let n = points.len();
    let ending = curve.ending.describe();
    if n < MIN_POINTS {
        return none(format!(
            "no suggestion: only {n} point(s) before the finder stopped ({ending}), too \
             few to read; start at a lower rate"
        ));
    }
    let smoothed = curve.smoothed();
    let first = smoothed[0];
    let (lowest_at, lowest) =
        smoothed
            .iter()
            .copied()
            .enumerate()
            .fold(
                (0, f64::INFINITY),
                |best, (i, v)| if v < best.1 { (i, v) } else { best },
            );
    // The points are finite (the stop rule records no other), so is their average.
    if first <= 0.0 || first - lowest < MIN_FALL * first {
        return none(format!(
            "no suggestion: the smoothed loss never fell by {:.0}% (from {first:.3} to \
             {lowest:.3} at best) between {} and {}; {ending}",
            MIN_FALL * 100.0,
            short(points[0].rate),
            short(points[n - 1].rate),
        ));
    }
    let h = smoothing_half_width(n);
    let log_rate = |i: usize| points[i].rate.log10();
    let ceiling = log_rate(lowest_at) - BELOW_LOWEST_DECADES;
    let Some(last) = (0..=lowest_at).rev().find(|&i| log_rate(i) <= ceiling) else {
        return none(format!(
            "no suggestion: the smoothed loss is lowest at {}, within half a decade of the \
             first rate; start at a lower rate; {ending}",
            short(points[lowest_at].rate)
        ));
    };
    // The fall must happen where the suggestion may lie, not only near the lowest
    // point: a trained model's curve is flat noise at low rates, dips a little and
    // diverges, and the steepest wiggle of the noise means nothing.
    // From the first window that leaves out the first batch, which is often an outlier.
    let start = smoothed[(2 * h).min(last)];
    let region_low = smoothed[..=last]
        .iter()
        .copied()
        .fold(f64::INFINITY, f64::min);
    if start - region_low < MIN_FALL * start {
        return none(format!(
            "no suggestion: the smoothed loss falls by less than {:.0}% at rates half a \
             decade or more below its lowest ({lowest:.3} at {}): nothing to read there (a \
             trained model's loss stays flat until it diverges; keep its rate, or lower \
             it); {ending}",
            MIN_FALL * 100.0,
            short(points[lowest_at].rate)
        ));
    }
    let steepest = (0..=last)
        .filter_map(|i| {
            let (a, b) = (i.saturating_sub(h), (i + h).min(last));
            let run = log_rate(b) - log_rate(a);
            (run > 0.0).then(|| (i, (smoothed[b] - smoothed[a]) / run))
        })
        .fold(None, |best: Option<(usize, f64)>, (i, slope)| match best {
            Some((_, s)) if s <= slope => best,
            _ => Some((i, slope)),
        });
    let Some((at, slope)) = steepest.filter(|&(_, slope)| slope < 0.0) else {
        return none(format!(
            "no suggestion: the smoothed loss does not fall anywhere half a decade or more \
             below its lowest point ({}); {ending}",
            short(points[lowest_at].rate)
        ));
    };
    let lr = round_rate(points[at].rate);
    let mut reason = format!(
        "steepest fall of the smoothed loss at {} ({slope:.2} per tenfold rate), half a \
         decade or more below its lowest {lowest:.3} at {}; {ending}",
        short(lr),
        short(points[lowest_at].rate)
    );
    if lowest_at == n - 1 {
        reason.push_str(" (still falling at the end: a higher end rate may find more)");
    }
    Suggestion {
        lr: Some(lr),
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Ending, FinderPlan};
    use super::*;
    use rand::{Rng, SeedableRng, rngs::StdRng};

    /// A loss that falls from 2.3 to 0.3 around 1e-3 (steepest there) and blows up
    /// past 0.1, at each of `plan`'s rates.
    fn valley(plan: &FinderPlan) -> Vec<f64> {
        shaped(plan, true)
    }

    /// [`valley`], with or without its blow-up.
    fn shaped(plan: &FinderPlan, blows_up: bool) -> Vec<f64> {
        (0..plan.steps)
            .map(|i| {
                let x = plan.rate(i).log10();
                let fall = 2.0 / (1.0 + (-3.0 * (x + 3.0)).exp());
                let blow_up = if blows_up && x > -1.0 {
                    (4.0 * (x + 1.0)).exp() - 1.0
                } else {
                    0.0
                };
                2.3 - fall + blow_up
            })
            .collect()
    }

    fn noisy(losses: &[f64], amplitude: f64, seed: u64) -> Vec<f64> {
        let mut rng = StdRng::seed_from_u64(seed);
        losses
            .iter()
            .map(|l| l + rng.gen_range(-amplitude..amplitude))
            .collect()
    }

    /// Whether the smoothed curve of `curve` falls at the point whose rate is `lr`
    /// (the nearest point to it).
    fn falls_at(curve: &LrCurve, lr: f64) -> bool {
        let s = curve.smoothed();
        let i = (0..curve.points.len())
            .min_by(|&a, &b| {
                let d = |j: usize| (curve.points[j].rate.log10() - lr.log10()).abs();
                d(a).total_cmp(&d(b))
            })
            .unwrap();
        s[i + 1] < s[i - 1]
    }

    #[test]
    fn a_clean_valley_suggests_its_steepest_fall() {
        let plan = FinderPlan::default();
        let curve = LrCurve::from_losses(&plan, &valley(&plan));
        let s = suggest(&curve);
        let lr = s.lr.expect(&s.reason);
        assert!((5e-4..=2e-3).contains(&lr), "{lr}: {}", s.reason);
        assert!(falls_at(&curve, lr));
        assert!(
            s.reason.starts_with(&format!(
                "steepest fall of the smoothed loss at {}",
                short(lr)
            )),
            "{}",
            s.reason
        );
    }

    #[test]
    fn a_dip_at_the_edge_of_divergence_is_not_taken_for_the_fall() {
        // A gentle fall around 1e-3 (2.3 to 1.8), a plateau, then a sharper dip to the
        // lowest point at about 7e-3 just before the loss blows up: the shape of a real
        // `cnn` curve whose dip misled the unbounded rule.
        let plan = FinderPlan::default();
        let losses: Vec<f64> = (0..plan.steps)
            .map(|i| {
                let x = plan.rate(i).log10();
                let gentle = 0.5 / (1.0 + (-6.0 * (x + 3.0)).exp());
                let dip = 0.5 * (-((x + 2.15) / 0.08).powi(2)).exp();
                let blow_up = if x > -1.9 {
                    (6.0 * (x + 1.9)).exp() - 1.0
                } else {
                    0.0
                };
                2.3 - gentle - dip + blow_up
            })
            .collect();
        let curve = LrCurve::from_losses(&plan, &losses);
        let s = suggest(&curve);
        let lr = s.lr.expect(&s.reason);
        let lowest_at = (0..curve.points.len())
            .min_by(|&a, &b| curve.smoothed()[a].total_cmp(&curve.smoothed()[b]))
            .unwrap();
        let lowest_rate = curve.points[lowest_at].rate;
        assert!((4e-3..=1e-2).contains(&lowest_rate), "{lowest_rate}");
        assert!(
            lr <= lowest_rate / 10f64.sqrt() * 1.05,
            "{lr}: {}",
            s.reason
        );
        assert!((5e-4..=2e-3).contains(&lr), "{lr}: {}", s.reason);
        assert!(falls_at(&curve, lr));
        assert!(
            s.reason.contains("half a decade or more below"),
            "{}",
            s.reason
        );
    }

    #[test]
    fn a_trained_model_flat_until_it_diverges_gets_no_suggestion() {
        // A model halfway through training (the finder on a running run): the loss
        // is flat noise around 0.3, dips a little at 1e-4 and blows up. Its lowest point
        // is a fall of over 10% from a noisy first batch, but nothing falls where a
        // suggestion could lie.
        let plan = FinderPlan::default();
        for seed in 0..10 {
            let flat: Vec<f64> = (0..plan.steps)
                .map(|i| {
                    let x = plan.rate(i).log10();
                    let dip = 0.04 * (-((x + 4.0) / 0.3).powi(2)).exp();
                    let blow_up = if x > -3.5 {
                        (5.0 * (x + 3.5)).exp() - 1.0
                    } else {
                        0.0
                    };
                    0.3 - dip + blow_up
                })
                .collect();
            let mut losses = noisy(&flat, 0.04, seed);
            losses[0] = 0.4;
            let s = suggest(&LrCurve::from_losses(&plan, &losses));
            assert_eq!(s.lr, None, "seed {seed}: {}", s.reason);
            assert!(
                s.reason
                    .starts_with("no suggestion: the smoothed loss falls by less than 10%"),
                "seed {seed}: {}",
                s.reason
            );
        }
    }

    #[test]
    fn divergence_is_cut_off_and_named_in_the_reason() {
        let plan = FinderPlan::default();
        let curve = LrCurve::from_losses(&plan, &valley(&plan));
        let Ending::Diverged { rate } = curve.ending else {
            panic!("{:?}", curve.ending)
        };
        assert!(rate > 0.1 && rate < 10.0, "{rate}");
        assert!(curve.points.len() < plan.steps);
        let s = suggest(&curve);
        assert!(
            s.reason
                .ends_with(&format!("loss diverged from {}", short(rate))),
            "{}",
            s.reason
        );
        // The same valley without its blow-up: the same suggestion, another ending.
        let calm = suggest(&LrCurve::from_losses(&plan, &shaped(&plan, false)));
        assert_eq!(calm.lr, s.lr);
        assert!(
            calm.reason.ends_with(
                "; the range ended without divergence (still falling at the end: a higher \
                 end rate may find more)"
            ),
            "{}",
            calm.reason
        );
    }

    #[test]
    fn noisy_valleys_still_suggest_a_rate_where_the_loss_falls() {
        let plan = FinderPlan::default();
        for seed in 0..20 {
            let losses = noisy(&valley(&plan), 0.25, seed);
            let curve = LrCurve::from_losses(&plan, &losses);
            let s = suggest(&curve);
            let lr = s.lr.unwrap_or_else(|| panic!("seed {seed}: {}", s.reason));
            assert!(
                (1e-4..=1e-2).contains(&lr),
                "seed {seed}: {lr}: {}",
                s.reason
            );
            assert!(falls_at(&curve, lr), "seed {seed}: {lr}");
        }
    }

    #[test]
    fn a_curve_that_never_falls_gives_no_suggestion_and_says_why() {
        let plan = FinderPlan::default();
        for losses in [
            noisy(&[2.3; 100], 0.1, 7),
            (0..100).map(|i| 2.3 + 0.01 * i as f64).collect(),
        ] {
            let s = suggest(&LrCurve::from_losses(&plan, &losses));
            assert_eq!(s.lr, None);
            assert!(
                s.reason
                    .starts_with("no suggestion: the smoothed loss never fell by 10%"),
                "{}",
                s.reason
            );
            assert!(s.reason.contains("between 1e-7 and "), "{}", s.reason);
        }
    }

    #[test]
    fn a_curve_cut_short_gives_no_suggestion() {
        let plan = FinderPlan::default();
        let s = suggest(&LrCurve::from_losses(
            &plan,
            &[2.3, 2.0, 1.5, f64::INFINITY],
        ));
        assert_eq!(s.lr, None);
        assert!(
            s.reason
                .starts_with("no suggestion: only 3 point(s) before the finder stopped (loss became non-finite at"),
            "{}",
            s.reason
        );
    }

    #[test]
    fn smoothing_is_centred_and_keeps_the_ends() {
        let losses: Vec<f64> = (0..50).map(|i| i as f64).collect();
        assert_eq!(
            smooth(&losses),
            losses,
            "a straight line is its own centred average"
        );
        let s = smooth(&[0.0, 0.0, 9.0, 0.0, 0.0, 0.0, 0.0]);
        assert_eq!(s[0], 0.0);
        assert_eq!(s[1], 3.0);
        assert_eq!(s[2], 9.0 / 5.0);
    }
}
