//! Run ids: `YYYYMMDD-HHMMSS-<model>-<4 hex>`. They sort by time, read well, and the
//! store makes them unique by creating the folder exclusively.

use crate::model::ModelName;
use time::OffsetDateTime;

/// A fresh id for a run of `model` started at `at`; `salt` varies the suffix.
pub fn new_run_id(model: &ModelName, at: OffsetDateTime, salt: u64) -> String {
    let fmt = time::macros::format_description!("[year][month][day]-[hour][minute][second]");
    let stamp = at.format(&fmt).unwrap_or_else(|_| "00000000-000000".into());
    let nanos = at.nanosecond() as u64;
    let mix = (nanos ^ salt.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ std::process::id() as u64)
        .wrapping_mul(0xBF58_476D_1CE4_E5B9);
    format!("{stamp}-{}-{:04x}", model, (mix >> 48) & 0xffff)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_sort_by_time_and_name_the_model() {
        let t1 = time::macros::datetime!(2026-11-27 23:00:00 UTC);
        let t2 = time::macros::datetime!(2026-11-28 01:00:00 UTC);
        let a = new_run_id(&crate::model::Preset::Mlp.model_name(), t1, 0);
        let b = new_run_id(&crate::model::Preset::Cnn.model_name(), t2, 0);
        assert!(a < b);
        assert!(a.starts_with("20261127-230000-mlp-"));
        assert_eq!(a.len(), "20261127-230000-mlp-".len() + 4);
    }
}
