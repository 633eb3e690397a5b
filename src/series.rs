//! Chart data helpers, for the dashboard's charts and the exported ones: an
//! incrementally smoothed series, downsampling for drawing, and "nice" axis bounds
//! with labels.

/// Weight of the newest point in the exponential moving average.
pub const EMA_ALPHA: f64 = 0.2;
/// Smallest value shown on a log axis (losses can reach 0).
const LOG_FLOOR: f64 = 1e-6;

/// A growing (x, y) series with its exponential moving average kept up to date, so
/// nothing is recomputed over the whole curve when a point arrives.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Series {
    raw: Vec<(f64, f64)>,
    smooth: Vec<(f64, f64)>,
}

impl Series {
    /// An empty series.
    pub fn new() -> Self {
        Self::default()
    }

    /// Builds a series from points in x order.
    pub fn from_points(points: impl IntoIterator<Item = (f64, f64)>) -> Self {
        let mut s = Series::new();
        for (x, y) in points {
            s.push(x, y);
        }
        s
    }

    /// Appends a point (non-finite values are skipped: they cannot be drawn).
    pub fn push(&mut self, x: f64, y: f64) {
        if !(x.is_finite() && y.is_finite()) {
            return;
        }
        let ema = match self.smooth.last() {
            Some(&(_, prev)) => prev + EMA_ALPHA * (y - prev),
            None => y,
        };
        self.raw.push((x, y));
        self.smooth.push((x, ema));
    }

    /// Number of points.
    pub fn len(&self) -> usize {
        self.raw.len()
    }

    /// Whether there is no point.
    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    /// The raw points, or their moving average when `smooth`.
    pub fn points(&self, smooth: bool) -> &[(f64, f64)] {
        if smooth { &self.smooth } else { &self.raw }
    }
}

/// Maps y to log10(y) for a log-scale chart (values clamped to a small positive floor).
pub fn to_log(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    points
        .iter()
        .map(|&(x, y)| (x, y.max(LOG_FLOOR).log10()))
        .collect()
}

/// Reduces `points` to at most about `max_points` for drawing, keeping each bucket's
/// lowest and highest point so spikes stay visible.
pub fn downsample(points: &[(f64, f64)], max_points: usize) -> Vec<(f64, f64)> {
    let max_points = max_points.max(2);
    if points.len() <= max_points {
        return points.to_vec();
    }
    let buckets = max_points / 2;
    let size = points.len().div_ceil(buckets);
    let mut out = Vec::with_capacity(buckets * 2 + 1);
    for chunk in points.chunks(size) {
        let (mut lo, mut hi) = (0, 0);
        for (i, p) in chunk.iter().enumerate() {
            if p.1 < chunk[lo].1 {
                lo = i;
            }
            if p.1 > chunk[hi].1 {
                hi = i;
            }
        }
        let (a, b) = if lo <= hi { (lo, hi) } else { (hi, lo) };
        out.push(chunk[a]);
        if b != a {
            out.push(chunk[b]);
        }
    }
    if let (Some(last), Some(&end)) = (out.last(), points.last())
        && *last != end
    {
        out.push(end);
    }
    out
}

/// Axis bounds rounded to a 1-2-5 step, and the evenly spaced labels between them.
#[derive(Debug, Clone, PartialEq)]
pub struct NiceAxis {
    /// Lower bound.
    pub lo: f64,
    /// Upper bound.
    pub hi: f64,
    /// Labels from `lo` to `hi`, evenly spaced (as ratatui spreads them).
    pub labels: Vec<String>,
}

/// A 1-2-5 step near `range / ticks`.
fn nice_step(range: f64, ticks: usize) -> f64 {
    crate::ladder::at_least(range / ticks.max(1) as f64)
}

/// Decimals needed to print multiples of `step` exactly enough.
fn decimals_for(step: f64) -> usize {
    if step >= 1.0 {
        0
    } else {
        (-step.log10()).ceil().clamp(0.0, 6.0) as usize
    }
}

/// Nice linear bounds covering `[min, max]` with about `ticks` intervals.
pub fn nice_axis(min: f64, max: f64, ticks: usize) -> NiceAxis {
    let (mut min, mut max) = if min.is_finite() && max.is_finite() {
        (min.min(max), min.max(max))
    } else {
        (0.0, 1.0)
    };
    if (max - min).abs() < 1e-12 {
        let pad = if min.abs() > 1e-12 {
            min.abs() * 0.1
        } else {
            1.0
        };
        min -= pad;
        max += pad;
    }
    let step = nice_step(max - min, ticks);
    let lo = (min / step).floor() * step;
    let hi = (max / step).ceil() * step;
    let n = ((hi - lo) / step).round().max(1.0) as usize;
    let d = decimals_for(step);
    let labels = (0..=n)
        .map(|i| format!("{:.*}", d, lo + step * i as f64))
        .collect();
    NiceAxis { lo, hi, labels }
}

/// Nice bounds for a log10 axis whose data (already in log10) spans `[min, max]`:
/// whole powers of ten, labelled with the real values (0.01, 0.1, 1).
pub fn log_axis(min: f64, max: f64) -> NiceAxis {
    let (min, max) = if min.is_finite() && max.is_finite() {
        (min.min(max), min.max(max))
    } else {
        (-1.0, 0.0)
    };
    let lo = min.floor();
    let mut hi = max.ceil();
    if hi <= lo {
        hi = lo + 1.0;
    }
    let n = (hi - lo) as usize;
    let labels = (0..=n)
        .map(|i| {
            let p = lo + i as f64;
            let d = if p < 0.0 { (-p) as usize } else { 0 };
            format!("{:.*}", d, 10f64.powf(p))
        })
        .collect();
    NiceAxis { lo, hi, labels }
}

/// The x axis in epochs: from 0 to at least `epochs`, integer labels.
pub fn epoch_axis(epochs: f64) -> NiceAxis {
    let max = epochs.max(1.0).ceil();
    let ticks = (max as usize).clamp(1, 5);
    let step = nice_step(max, ticks).max(1.0);
    let hi = (max / step).ceil() * step;
    let n = (hi / step).round() as usize;
    let labels = (0..=n)
        .map(|i| format!("{}", (step * i as f64) as u64))
        .collect();
    NiceAxis {
        lo: 0.0,
        hi,
        labels,
    }
}

/// Bounds for accuracy in percent: a nice floor under the lowest value, up to 100.
pub fn accuracy_axis(min_percent: Option<f64>) -> NiceAxis {
    let Some(min) = min_percent.filter(|m| m.is_finite()) else {
        return nice_axis(0.0, 100.0, 4);
    };
    let min = min.clamp(0.0, 100.0);
    let span = 100.0 - min;
    let step = if span <= 2.0 {
        0.5
    } else if span <= 5.0 {
        1.0
    } else if span <= 10.0 {
        2.0
    } else if span <= 25.0 {
        5.0
    } else {
        20.0
    };
    let lo = ((min / step).floor() * step).min(100.0 - step);
    let n = ((100.0 - lo) / step).round() as usize;
    let d = decimals_for(step);
    let labels = (0..=n)
        .map(|i| format!("{:.*}", d, lo + step * i as f64))
        .collect();
    let labels = thin_labels(labels, 6);
    NiceAxis {
        lo,
        hi: 100.0,
        labels,
    }
}

/// Keeps at most `max` evenly spaced labels (first and last always), so a crowded
/// axis stays legible; the kept labels still sit at even intervals when possible.
fn thin_labels(labels: Vec<String>, max: usize) -> Vec<String> {
    if labels.len() <= max {
        return labels;
    }
    let intervals = labels.len() - 1;
    for every in 2..=intervals {
        if intervals.is_multiple_of(every) && intervals / every < max {
            return labels.into_iter().step_by(every).collect();
        }
    }
    vec![labels[0].clone(), labels[intervals].clone()]
}

/// The lowest and highest y of several point lists, if any point exists.
pub fn y_range<'a>(lists: impl IntoIterator<Item = &'a [(f64, f64)]>) -> Option<(f64, f64)> {
    let mut range: Option<(f64, f64)> = None;
    for list in lists {
        for &(_, y) in list {
            range = Some(match range {
                Some((lo, hi)) => (lo.min(y), hi.max(y)),
                None => (y, y),
            });
        }
    }
    range
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ema_follows_the_points_smoothly() {
        let s = Series::from_points([(0.0, 1.0), (1.0, 0.0), (2.0, 0.0)]);
        assert_eq!(s.points(false)[1], (1.0, 0.0));
        let sm = s.points(true);
        assert_eq!(sm[0].1, 1.0);
        assert!((sm[1].1 - 0.8).abs() < 1e-12);
        assert!(sm[2].1 < sm[1].1);
    }

    #[test]
    fn non_finite_points_are_skipped() {
        let mut s = Series::new();
        s.push(0.0, f64::NAN);
        s.push(1.0, 2.0);
        assert_eq!(s.len(), 1);
    }

    #[test]
    fn downsampling_keeps_extremes_and_bounds_the_size() {
        let mut pts: Vec<(f64, f64)> = (0..10_000).map(|i| (i as f64, 1.0)).collect();
        pts[5_000].1 = 9.0;
        let d = downsample(&pts, 200);
        assert!(d.len() <= 202, "{}", d.len());
        assert!(d.iter().any(|p| p.1 == 9.0));
        assert_eq!(d.last(), pts.last());
        assert!(d.windows(2).all(|w| w[0].0 <= w[1].0));
    }

    #[test]
    fn nice_axis_rounds_to_friendly_steps() {
        let a = nice_axis(0.13, 2.31, 4);
        assert_eq!(a.lo, 0.0);
        assert_eq!(a.hi, 3.0);
        assert_eq!(a.labels, ["0", "1", "2", "3"]);
        let b = nice_axis(0.05, 0.31, 4);
        assert_eq!((b.lo, b.hi), (0.0, 0.4));
        assert_eq!(b.labels, ["0.0", "0.1", "0.2", "0.3", "0.4"]);
        let flat = nice_axis(0.5, 0.5, 4);
        assert!(flat.lo < 0.5 && flat.hi > 0.5);
    }

    #[test]
    fn log_axis_uses_powers_of_ten() {
        let a = log_axis(-1.7, 0.2);
        assert_eq!((a.lo, a.hi), (-2.0, 1.0));
        assert_eq!(a.labels, ["0.01", "0.1", "1", "10"]);
    }

    #[test]
    fn epoch_and_accuracy_axes() {
        assert_eq!(epoch_axis(5.0).labels, ["0", "1", "2", "3", "4", "5"]);
        assert_eq!(epoch_axis(0.0).hi, 1.0);
        let e = epoch_axis(37.0);
        assert!(e.hi >= 37.0 && e.labels.len() <= 7, "{e:?}");
        let acc = accuracy_axis(Some(91.3));
        assert_eq!((acc.lo, acc.hi), (90.0, 100.0));
        assert_eq!(acc.labels.first().map(String::as_str), Some("90"));
        assert_eq!(accuracy_axis(None).lo, 0.0);
        assert!(accuracy_axis(Some(99.7)).lo >= 99.0);
    }
}
