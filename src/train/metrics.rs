//! Metrics computed from network outputs: cross-entropy, accuracy, confusion matrix,
//! dead output units.

use crate::model::{DIGIT_CLASSES, argmax};

/// Running totals over a set of evaluated samples.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalTotals {
    /// Sum of per-sample cross-entropy losses.
    pub loss_sum: f64,
    /// Samples predicted correctly.
    pub correct: usize,
    /// Samples seen.
    pub count: usize,
    /// `[true][predicted]` counts.
    pub confusion: Vec<Vec<u32>>,
    /// For each class, whether its output was non-zero for any sample.
    pub output_alive: Vec<bool>,
}

impl Default for EvalTotals {
    /// Totals over the ten digit classes.
    fn default() -> Self {
        EvalTotals::new(DIGIT_CLASSES)
    }
}

/// Cross-entropy of one row of outputs against `label`: `logsumexp(row) - row[label]`.
pub fn cross_entropy(row: &[f32], label: usize) -> f64 {
    let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max) as f64;
    let sum: f64 = row.iter().map(|&v| (v as f64 - max).exp()).sum();
    max + sum.ln() - row[label] as f64
}

impl EvalTotals {
    /// Empty totals over `classes` classes.
    pub fn new(classes: usize) -> Self {
        EvalTotals {
            loss_sum: 0.0,
            correct: 0,
            count: 0,
            confusion: vec![vec![0; classes]; classes],
            output_alive: vec![false; classes],
        }
    }

    /// The number of classes.
    pub fn classes(&self) -> usize {
        self.output_alive.len()
    }

    /// Adds a batch: `outputs` is `labels.len() * classes` floats (a label outside the
    /// classes, which loading refuses, is skipped).
    pub fn add(&mut self, outputs: &[f32], labels: &[u8]) {
        let classes = self.classes().max(1);
        for (row, &label) in outputs.chunks_exact(classes).zip(labels) {
            let label = label as usize;
            let predicted = argmax(row);
            if label >= row.len() {
                continue;
            }
            self.loss_sum += cross_entropy(row, label);
            if predicted == label {
                self.correct += 1;
            }
            self.confusion[label][predicted] += 1;
            for (alive, &v) in self.output_alive.iter_mut().zip(row) {
                *alive |= v != 0.0;
            }
            self.count += 1;
        }
    }

    /// Mean loss (0 when empty).
    pub fn mean_loss(&self) -> f32 {
        if self.count == 0 {
            0.0
        } else {
            (self.loss_sum / self.count as f64) as f32
        }
    }

    /// Accuracy as a fraction (0 when empty).
    pub fn accuracy(&self) -> f32 {
        if self.count == 0 {
            0.0
        } else {
            self.correct as f32 / self.count as f32
        }
    }

    /// Classes whose output was exactly 0 for every sample (dead output units).
    pub fn dead_outputs(&self) -> Vec<u8> {
        if self.count == 0 {
            return Vec::new();
        }
        (0..self.classes())
            .filter(|&c| !self.output_alive[c])
            .filter_map(|c| u8::try_from(c).ok())
            .collect()
    }

    /// Per-class precision: of the samples predicted as each class, the share that are
    /// (0 for a class never predicted, as scikit-learn's `zero_division=0`).
    pub fn precision(&self) -> Vec<f32> {
        (0..self.classes())
            .map(|c| {
                let predicted: u32 = self.confusion.iter().map(|row| row[c]).sum();
                ratio(self.confusion[c][c], predicted)
            })
            .collect()
    }

    /// Per-class recall: of the samples of each class, the share predicted as it (0 for
    /// a class with no sample).
    pub fn recall(&self) -> Vec<f32> {
        (0..self.classes())
            .map(|c| ratio(self.confusion[c][c], self.confusion[c].iter().sum()))
            .collect()
    }

    /// The confusion matrix as nested vectors (for the run record).
    pub fn confusion_rows(&self) -> Vec<Vec<u32>> {
        self.confusion.clone()
    }
}

/// `part / whole`, 0 when `whole` is 0.
fn ratio(part: u32, whole: u32) -> f32 {
    if whole == 0 {
        0.0
    } else {
        part as f32 / whole as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cross_entropy_matches_hand_computation() {
        let row = [0.0f32; 10];
        assert!((cross_entropy(&row, 3) - (10f64).ln()).abs() < 1e-9);
        let mut row = [0.0f32; 10];
        row[2] = 1000.0;
        assert!(cross_entropy(&row, 2).abs() < 1e-9);
        assert!((cross_entropy(&row, 0) - 1000.0).abs() < 1e-6);
    }

    #[test]
    fn totals_count_accuracy_confusion_and_dead_units() {
        let mut t = EvalTotals::default();
        let mut a = [0.0f32; 10];
        a[1] = 2.0; // predicts 1
        let b = [0.0f32; 10]; // all zero: predicts 0 (first index)
        let outputs: Vec<f32> = a.iter().chain(b.iter()).copied().collect();
        t.add(&outputs, &[1, 5]);
        assert_eq!(t.count, 2);
        assert_eq!(t.correct, 1);
        assert_eq!(t.accuracy(), 0.5);
        assert_eq!(t.confusion[1][1], 1);
        assert_eq!(t.confusion[5][0], 1);
        assert_eq!(t.dead_outputs(), vec![0, 2, 3, 4, 5, 6, 7, 8, 9]);
        // Class 1: predicted once, rightly; class 0: predicted once, wrongly (a 5);
        // class 5: one sample, missed; class 7: neither predicted nor present.
        let (p, r) = (t.precision(), t.recall());
        assert_eq!((p[1], r[1]), (1.0, 1.0));
        assert_eq!((p[0], r[0]), (0.0, 0.0));
        assert_eq!((p[5], r[5]), (0.0, 0.0));
        assert_eq!((p[7], r[7]), (0.0, 0.0));
    }
}
