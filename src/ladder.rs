//! The 1-2-5 ladder (…, 0.1, 0.2, 0.5, 1, 2, 5, 10, …): chart ticks and the dashboard's
//! learning-rate steps both climb it.

/// The rungs around `v`'s magnitude, ascending, rounded to clean digits.
fn rungs_near(v: f64) -> Vec<f64> {
    let mag = 10f64.powf(v.log10().floor());
    [-1.0, 0.0, 1.0]
        .into_iter()
        .flat_map(|k: f64| [1.0, 2.0, 5.0].map(|m| clean(m * mag * 10f64.powf(k))))
        .collect()
}

/// Rounds away float noise (0.30000000000000004 → 0.3).
fn clean(x: f64) -> f64 {
    let digits = (-(x.log10().floor()) + 2.0).max(0.0) as i32;
    let f = 10f64.powi(digits);
    (x * f).round() / f
}

/// A usable positive value (non-positive or non-finite ones read as 1e-3).
fn positive(v: f64) -> f64 {
    if v.is_finite() && v > 0.0 { v } else { 1e-3 }
}

/// The smallest rung at least `x`.
pub fn at_least(x: f64) -> f64 {
    let x = x.max(f64::MIN_POSITIVE);
    rungs_near(x)
        .into_iter()
        .find(|r| *r >= x * 0.999)
        .unwrap_or(x)
}

/// The next rung above `v`.
pub fn above(v: f64) -> f64 {
    let v = positive(v);
    rungs_near(v)
        .into_iter()
        .find(|r| *r > v * 1.0001)
        .unwrap_or(v)
}

/// The next rung below `v`.
pub fn below(v: f64) -> f64 {
    let v = positive(v);
    rungs_near(v)
        .into_iter()
        .rev()
        .find(|r| *r < v * 0.9999)
        .unwrap_or(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_round() {
        assert_eq!(above(0.001), 0.002);
        assert_eq!(above(0.002), 0.005);
        assert_eq!(above(0.005), 0.01);
        assert_eq!(below(0.001), 0.0005);
        assert_eq!(above(0.8), 1.0);
        assert_eq!(below(0.3), 0.2);
        assert_eq!(at_least(0.3), 0.5);
        assert_eq!(at_least(2.0), 2.0);
        assert_eq!(at_least(0.07), 0.1);
    }
}
