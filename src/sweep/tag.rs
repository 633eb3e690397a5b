//! The tag a run carries when it belongs to a sweep: the sweep's id and which of its
//! points the run trains (`ID:POINT/POINTS`, point counted from 1).

use serde::{Deserialize, Serialize};
use std::fmt;

/// Which sweep a run belongs to, and which point of it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SweepTag {
    /// The sweep's id (see [`super::spec::sweep_id`]).
    pub id: String,
    /// The point this run trains, counted from 1.
    pub point: usize,
    /// How many points the sweep has.
    pub points: usize,
}

impl fmt::Display for SweepTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}/{}", self.id, self.point, self.points)
    }
}

impl std::str::FromStr for SweepTag {
    type Err = String;

    /// Parses `ID:POINT/POINTS` (as `train --sweep` takes it).
    fn from_str(text: &str) -> Result<Self, String> {
        let bad = |why: &str| {
            format!("sweep tag '{text}' {why} (expected ID:POINT/POINTS, e.g. 3fa2c9d01b:2/8)")
        };
        let (id, rest) = text.split_once(':').ok_or_else(|| bad("has no ':'"))?;
        let (point, points) = rest.split_once('/').ok_or_else(|| bad("has no '/'"))?;
        if !is_valid_sweep_id(id) {
            return Err(bad("has an id that is not 4–64 lowercase hex digits"));
        }
        let point: usize = point
            .parse()
            .map_err(|_| bad("has a point that is not a whole number"))?;
        let points: usize = points
            .parse()
            .map_err(|_| bad("has a total that is not a whole number"))?;
        if point == 0 || point > points {
            return Err(bad("has a point outside 1..=POINTS"));
        }
        Ok(SweepTag {
            id: id.to_string(),
            point,
            points,
        })
    }
}

/// Whether `id` can be a sweep id: 4 to 64 lowercase hex digits (so it is also a safe
/// file name).
pub fn is_valid_sweep_id(id: &str) -> bool {
    (4..=64).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_round_trip_and_bad_ones_say_why() {
        let tag: SweepTag = "3fa2c9d01b:2/8".parse().unwrap();
        assert_eq!(tag.point, 2);
        assert_eq!(tag.points, 8);
        assert_eq!(tag.to_string(), "3fa2c9d01b:2/8");
        for (text, why) in [
            ("3fa2c9d01b", "no ':'"),
            ("3fa2c9d01b:2", "no '/'"),
            ("../x:1/2", "not 4–64"),
            ("3fa2c9d01b:0/8", "outside"),
            ("3fa2c9d01b:9/8", "outside"),
            ("3fa2c9d01b:a/8", "not a whole number"),
        ] {
            let err = text.parse::<SweepTag>().unwrap_err();
            assert!(err.contains(why) && err.contains(text), "{text}: {err}");
        }
    }
}
