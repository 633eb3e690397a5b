//! One swept setting: the text given to its flag (`0.01,0.1,0.8` or `1e-4..1e-1`)
//! parsed with the setting's own row of [`SETTINGS`](crate::train::SETTINGS), so any
//! setting, including ones added later, can be swept. A typed setting whose values
//! hold commas (a network's layers) lists its values as alternatives inside the text
//! instead: `Flatten, Dense(64|128|256), Relu, Dense(classes)` is three networks.

use crate::model::Preset;
use crate::train::{Setting, Step, TrainSettings};
use rand::Rng;

/// The values a swept setting takes.
#[derive(Debug, Clone, PartialEq)]
pub enum Values {
    /// Each of these (as typed, each checked by the setting's parser).
    List(Vec<String>),
    /// Sampled between `lo` and `hi` (inclusive), see [`Axis::sample`].
    Range {
        /// The smallest value.
        lo: f64,
        /// The largest value.
        hi: f64,
        /// Sampled log-uniformly (rates, sizes that double) rather than uniformly.
        log: bool,
        /// Only whole numbers (the setting rejects fractions).
        whole: bool,
    },
}

/// One setting of a sweep and its values.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    /// The setting.
    pub setting: &'static Setting,
    /// Its values.
    pub values: Values,
}

impl Axis {
    /// Parses the text given to `setting`'s flag: one value, a comma list (`a,b,c`) or a
    /// range `LO..HI` (numeric settings only). Every value is checked by the setting's
    /// parser; errors name the setting and the value.
    pub fn parse(setting: &'static Setting, text: &str) -> Result<Axis, String> {
        let label = setting.label.to_lowercase();
        let text = text.trim();
        if let Some((lo, hi)) = text.split_once("..") {
            let number = |t: &str| -> Result<f64, String> {
                setting.check(t)?;
                t.trim().parse::<f64>().map_err(|_| {
                    format!("{label} range '{text}': '{}' is not a number (ranges are for numeric settings; list the values instead)", t.trim())
                })
            };
            let (lo, hi) = (number(lo)?, number(hi)?);
            if lo.partial_cmp(&hi) != Some(std::cmp::Ordering::Less) {
                return Err(format!(
                    "{label} range '{text}': the low end must be below the high end"
                ));
            }
            let log = matches!(setting.step, Step::Ladder { .. } | Step::Double);
            if log && lo <= 0.0 {
                return Err(format!(
                    "{label} range '{text}' is sampled on a log scale: both ends must be above 0"
                ));
            }
            let whole = setting.check("0.5").is_err();
            return Ok(Axis {
                setting,
                values: Values::Range { lo, hi, log, whole },
            });
        }
        let expanded;
        let items: Vec<&str> = if setting.step == Step::Text {
            expanded = alternatives(text);
            expanded.iter().map(String::as_str).collect()
        } else {
            text.split(',').map(str::trim).collect()
        };
        let mut parsed: Vec<TrainSettings> = Vec::new();
        for item in &items {
            if item.is_empty() {
                return Err(format!("{label} list '{text}' has an empty value"));
            }
            let mut s = TrainSettings::preset(Preset::Mlp);
            setting.parse_into(&mut s, item)?;
            if parsed.iter().any(|p| setting.same(p, &s)) {
                return Err(format!("{label} list '{text}' has '{item}' twice"));
            }
            parsed.push(s);
        }
        Ok(Axis {
            setting,
            values: Values::List(items.into_iter().map(str::to_string).collect()),
        })
    }

    /// Whether this axis is a single value (a fixed setting, not swept).
    pub fn is_single(&self) -> bool {
        matches!(&self.values, Values::List(v) if v.len() == 1)
    }

    /// Whether this axis is sampled (a range).
    pub fn is_range(&self) -> bool {
        matches!(self.values, Values::Range { .. })
    }

    /// A value drawn from a range as the text the setting parses (whole numbers for
    /// whole settings, else three significant digits, which every view prints exactly);
    /// `None` for a list.
    pub fn sample(&self, rng: &mut impl Rng) -> Option<String> {
        let Values::Range { lo, hi, log, whole } = self.values else {
            return None;
        };
        let u: f64 = rng.gen_range(0.0..=1.0);
        let v = if log {
            (lo.ln() + u * (hi.ln() - lo.ln())).exp()
        } else {
            lo + u * (hi - lo)
        };
        let v = v.clamp(lo, hi);
        Some(if whole {
            format!("{}", v.round() as i64)
        } else {
            let text = format!("{v:.2e}");
            match text.parse::<f64>() {
                Ok(r) if r >= lo && r <= hi => text,
                _ => format!("{v:e}"),
            }
        })
    }
}

/// Every text `text` stands for, its `a|b|c` choices taken each way: a word holding
/// `|` (between the delimiters `( ) [ ] , :` and spaces) is one choice, and the
/// choices multiply (`Conv(out: 16|32, kernel: 3|5)` is four), in reading order with
/// the last choice varying fastest.
pub fn alternatives(text: &str) -> Vec<String> {
    let is_delimiter = |c: char| "()[],:".contains(c) || c.is_whitespace();
    let mut variants = vec![String::new()];
    let mut word = String::new();
    let flush = |word: &mut String, variants: &mut Vec<String>| {
        if word.is_empty() {
            return;
        }
        let options: Vec<&str> = word.split('|').map(str::trim).collect();
        *variants = variants
            .iter()
            .flat_map(|v| options.iter().map(move |o| format!("{v}{o}")))
            .collect();
        word.clear();
    };
    for c in text.chars() {
        if is_delimiter(c) {
            flush(&mut word, &mut variants);
            for v in &mut variants {
                v.push(c);
            }
        } else {
            word.push(c);
        }
    }
    flush(&mut word, &mut variants);
    variants.into_iter().map(|v| v.trim().to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::catalog::setting;
    use rand::SeedableRng;

    fn row(name: &str) -> &'static Setting {
        setting(name).unwrap()
    }

    #[test]
    fn lists_and_ranges_parse_with_the_settings_own_parser() {
        let lr = Axis::parse(row("lr"), "1e-3, 3e-3,1e-2").unwrap();
        assert_eq!(
            lr.values,
            Values::List(vec!["1e-3".into(), "3e-3".into(), "1e-2".into()])
        );
        assert!(!lr.is_single());
        assert!(Axis::parse(row("batch_size"), "64").unwrap().is_single());
        let range = Axis::parse(row("lr"), "1e-4..1e-1").unwrap();
        assert_eq!(
            range.values,
            Values::Range {
                lo: 1e-4,
                hi: 0.1,
                log: true,
                whole: false
            }
        );
        let batch = Axis::parse(row("batch_size"), "16..512").unwrap();
        assert!(matches!(
            batch.values,
            Values::Range {
                log: true,
                whole: true,
                ..
            }
        ));
        let momentum = Axis::parse(row("momentum"), "0..0.9").unwrap();
        assert!(matches!(
            momentum.values,
            Values::Range {
                log: false,
                whole: false,
                ..
            }
        ));
    }

    #[test]
    fn bad_values_name_the_setting_and_the_value() {
        for (name, text, needle) in [
            ("lr", "0.1,fast", "learning rate 'fast' is not a number"),
            (
                "lr",
                "0.1,,0.2",
                "learning rate list '0.1,,0.2' has an empty value",
            ),
            ("lr", "", "learning rate list '' has an empty value"),
            ("lr", "0.1,0.10", "has '0.10' twice"),
            ("model", "mlp,a/b", "may hold only letters"),
            ("layers", "Flatten, Dense(64|64), Dense(classes)", "twice"),
            (
                "layers",
                "Flatten, Dense(64|x), Dense(classes)",
                "unknown width 'x'",
            ),
            ("model", "mlp..cnn", "is not a number"),
            ("lr", "0.1..0.01", "low end must be below"),
            ("lr", "0..0.1", "log scale"),
            (
                "batch_size",
                "8..x",
                "batch size 'x' must be a whole number",
            ),
        ] {
            let err = Axis::parse(row(name), text).unwrap_err();
            assert!(err.contains(needle), "{name} {text}: {err}");
        }
    }

    #[test]
    fn samples_stay_in_range_and_parse_back() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        for (name, text) in [
            ("lr", "1e-4..1e-1"),
            ("batch_size", "16..512"),
            ("momentum", "0..0.9"),
        ] {
            let axis = Axis::parse(row(name), text).unwrap();
            let Values::Range { lo, hi, .. } = axis.values else {
                panic!()
            };
            for _ in 0..200 {
                let v = axis.sample(&mut rng).unwrap();
                let x: f64 = v.parse().unwrap();
                assert!(x >= lo && x <= hi, "{name} {v}");
                let mut s = TrainSettings::preset(Preset::Mlp);
                axis.setting.parse_into(&mut s, &v).unwrap();
                // What every view prints reads back as the same value.
                let mut t = TrainSettings::preset(Preset::Mlp);
                axis.setting
                    .parse_into(&mut t, &axis.setting.show(&s))
                    .unwrap();
                assert!(axis.setting.same(&s, &t), "{name} {v}");
            }
        }
        // Log-uniform: about half the learning rates fall below the geometric middle.
        let axis = Axis::parse(row("lr"), "1e-4..1e-1").unwrap();
        let below = (0..1000)
            .filter(|_| axis.sample(&mut rng).unwrap().parse::<f64>().unwrap() < 10f64.powf(-2.5))
            .count();
        assert!((400..600).contains(&below), "{below}");
    }

    #[test]
    fn layer_alternatives_multiply_in_reading_order() {
        assert_eq!(
            alternatives("Flatten, Dense(64|128|256), Relu, Dense(classes)"),
            [
                "Flatten, Dense(64), Relu, Dense(classes)",
                "Flatten, Dense(128), Relu, Dense(classes)",
                "Flatten, Dense(256), Relu, Dense(classes)",
            ]
        );
        assert_eq!(
            alternatives("Conv(out: 16|32, kernel: 3|5), Relu|Gelu"),
            [
                "Conv(out: 16, kernel: 3), Relu",
                "Conv(out: 16, kernel: 3), Gelu",
                "Conv(out: 16, kernel: 5), Relu",
                "Conv(out: 16, kernel: 5), Gelu",
                "Conv(out: 32, kernel: 3), Relu",
                "Conv(out: 32, kernel: 3), Gelu",
                "Conv(out: 32, kernel: 5), Relu",
                "Conv(out: 32, kernel: 5), Gelu",
            ]
        );
        assert_eq!(alternatives("Flatten, Dense(10)"), ["Flatten, Dense(10)"]);
        let axis =
            Axis::parse(row("layers"), "Flatten, Dense(32|64), Relu, Dense(classes)").unwrap();
        assert_eq!(
            axis.values,
            Values::List(vec![
                "Flatten, Dense(32), Relu, Dense(classes)".into(),
                "Flatten, Dense(64), Relu, Dense(classes)".into(),
            ])
        );
    }
}
