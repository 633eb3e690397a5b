//! How numbers read, everywhere: the command line and the dashboard format floats,
//! durations, rates and percentages through these functions only, so the same value
//! never prints two ways.

/// A float (learning rate, momentum, weight decay) compactly: `0.001`, `0.8`, `5e-5`, `0`.
pub fn float(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    if !v.is_finite() {
        return v.to_string();
    }
    if v.abs() >= 1e-4 {
        let s = format!("{v:.6}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        format!("{v:e}")
    }
}

/// A count with thousands separators: `61,706`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A large count to three significant digits with an SI prefix: `950`, `61.7k`,
/// `2.31M`, `1.05G` (FLOPs, bytes with a unit after them).
pub fn si(n: u64) -> String {
    const PREFIXES: [(f64, &str); 4] = [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")];
    let v = n as f64;
    for (scale, prefix) in PREFIXES {
        if v >= scale {
            return format!("{}{prefix}", approx(v / scale));
        }
    }
    n.to_string()
}

/// A computed value, such as the rate in effect or the top of a plan, to three
/// significant digits (`0.00159`, `4.96e-6`, `5e-6`): [`float`] is for the values a
/// user typed, which print as given.
pub fn approx(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return float(v);
    }
    if v.abs() >= 1e-4 {
        let scale = 10f64.powi(2 - v.abs().log10().floor() as i32);
        return float((v * scale).round() / scale);
    }
    let text = format!("{v:.2e}");
    match text.split_once('e') {
        Some((mantissa, exponent)) => {
            let mantissa = mantissa.trim_end_matches('0').trim_end_matches('.');
            format!("{mantissa}e{exponent}")
        }
        None => text,
    }
}

/// Seconds as `1h02m`, `3m05s`, `12s` or, under ten seconds, `4.2s`.
pub fn duration(seconds: f64) -> String {
    let s = if seconds.is_finite() {
        seconds.max(0.0)
    } else {
        0.0
    };
    if s >= 3600.0 {
        let whole = s as u64;
        format!("{}h{:02}m", whole / 3600, (whole % 3600) / 60)
    } else if s >= 60.0 {
        let whole = s as u64;
        format!("{}m{:02}s", whole / 60, whole % 60)
    } else if s >= 10.0 {
        format!("{}s", s as u64)
    } else {
        format!("{s:.1}s")
    }
}

/// A [`std::time::Duration`] as [`duration`] prints it.
pub fn elapsed(d: std::time::Duration) -> String {
    duration(d.as_secs_f64())
}

/// A fraction in `[0, 1]` as a percentage with two decimals: `0.9812` → `98.12%`.
pub fn percent(fraction: f64) -> String {
    format!("{:.2}%", fraction * 100.0)
}

/// A throughput: `1234 samples/s`.
pub fn rate(per_second: f64) -> String {
    format!("{per_second:.0} samples/s")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_compactly_and_identically_everywhere() {
        assert_eq!(float(0.001), "0.001");
        assert_eq!(float(0.8), "0.8");
        assert_eq!(float(3e-3), "0.003");
        assert_eq!(float(5e-5), "5e-5");
        assert_eq!(float(0.0), "0");
        assert_eq!(float(1.0), "1");
    }

    #[test]
    fn computed_values_print_to_three_significant_digits() {
        assert_eq!(approx(4.96036001842981e-6), "4.96e-6");
        assert_eq!(approx(0.0015873), "0.00159");
        assert_eq!(approx(0.003), "0.003");
        assert_eq!(approx(5.0000001e-6), "5e-6");
        assert_eq!(approx(0.8), "0.8");
        assert_eq!(approx(123.456), "123");
        assert_eq!(approx(0.0), "0");
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(duration(4.23), "4.2s");
        assert_eq!(duration(12.34), "12s");
        assert_eq!(duration(185.0), "3m05s");
        assert_eq!(duration(3720.0), "1h02m");
        assert_eq!(duration(-1.0), "0.0s");
        assert_eq!(elapsed(std::time::Duration::from_secs(61)), "1m01s");
    }

    #[test]
    fn percentages_and_rates() {
        assert_eq!(percent(0.9812), "98.12%");
        assert_eq!(percent(1.0), "100.00%");
        assert_eq!(rate(1234.4), "1234 samples/s");
    }

    #[test]
    fn counts_read_with_separators_or_prefixes() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(61_706), "61,706");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(si(950), "950");
        assert_eq!(si(61_706), "61.7k");
        assert_eq!(si(2_306_000), "2.31M");
        assert_eq!(si(1_050_000_000), "1.05G");
    }
}
