//! Two networks' layers compared layer by layer, for the Runs view's comparison: the
//! layers both have, those only the first has and those only the second has, aligned
//! by a longest-common-subsequence diff ([`similar`], Myers' algorithm).

use crate::model::Layers;
use similar::{Algorithm, ChangeTag, capture_diff_slices};

/// What a row of the diff says of its layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Both networks have it here.
    Same,
    /// Only the first network has it.
    Removed,
    /// Only the second network has it.
    Added,
}

impl Change {
    /// The row's marker: `=`, `-` or `+`.
    pub fn marker(self) -> char {
        match self {
            Change::Same => '=',
            Change::Removed => '-',
            Change::Added => '+',
        }
    }
}

/// The layers of `a` and `b` in order, each once: a layer both have (in the same
/// place of their common order) is [`Change::Same`]; where they differ, `a`'s layers
/// come before `b`'s.
pub fn layers_diff(a: &Layers, b: &Layers) -> Vec<(Change, String)> {
    let old: Vec<String> = a.iter().map(|l| l.to_string()).collect();
    let new: Vec<String> = b.iter().map(|l| l.to_string()).collect();
    capture_diff_slices(Algorithm::Myers, &old, &new)
        .iter()
        .flat_map(|op| op.iter_changes(&old, &new))
        .map(|change| {
            let kind = match change.tag() {
                ChangeTag::Equal => Change::Same,
                ChangeTag::Delete => Change::Removed,
                ChangeTag::Insert => Change::Added,
            };
            (kind, change.value())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diff(a: &str, b: &str) -> Vec<String> {
        layers_diff(&a.parse().unwrap(), &b.parse().unwrap())
            .into_iter()
            .map(|(c, l)| format!("{} {l}", c.marker()))
            .collect()
    }

    #[test]
    fn shared_layers_align_and_the_rest_is_removed_or_added() {
        assert_eq!(
            diff(
                "Flatten, Dense(256), Relu, Dense(64), Relu, Dense(classes)",
                "Flatten, Dense(32), Relu, Dropout(0.5), Dense(classes)"
            ),
            // Either Relu could be the shared one; the diff keeps the later.
            [
                "= Flatten",
                "- Dense(256)",
                "- Relu",
                "- Dense(64)",
                "+ Dense(32)",
                "= Relu",
                "+ Dropout(0.5)",
                "= Dense(classes)",
            ]
        );
        let same = "Flatten, Dense(classes)";
        assert_eq!(diff(same, same), ["= Flatten", "= Dense(classes)"]);
        assert_eq!(
            diff(
                "Conv(out: 8, kernel: 3), Relu, Flatten, Dense(classes)",
                same
            ),
            [
                "- Conv(out: 8, kernel: 3)",
                "- Relu",
                "= Flatten",
                "= Dense(classes)"
            ]
        );
    }
}
