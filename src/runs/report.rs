//! A run's results as plain text lines, shared by `runs show` and the Runs view's
//! details: the per-epoch table, which weights it keeps and why it stopped, the
//! reported test figures, and per-class precision and recall with the confusion matrix.

use super::RunRecord;
use crate::format;
use crate::train::KeepWeights;

/// One row of the per-epoch table.
pub struct EpochRow {
    /// The row's text, aligned under [`epoch_table`]'s header.
    pub text: String,
    /// Whether it is the epoch whose weights the run keeps.
    pub kept: bool,
}

/// The per-epoch table's header and rows: training, validation and (for runs that test
/// every epoch) test figures; `*` marks the epoch whose weights the run keeps.
pub fn epoch_table(r: &RunRecord) -> (String, Vec<EpochRow>) {
    let tested = r.epochs.iter().any(|e| e.test_acc.is_some());
    let validated = r.epochs.iter().any(|e| e.val_acc.is_some());
    let mut header = format!(" {:>5} {:>10} {:>9}", "EPOCH", "TRAIN LOSS", "TRAIN ACC");
    if validated {
        header += &format!(" {:>8} {:>8}", "VAL LOSS", "VAL ACC");
    }
    if tested {
        header += &format!(" {:>9} {:>8}", "TEST LOSS", "TEST ACC");
    }
    header += &format!(" {:>7}", "TIME");
    let kept = r.kept().map(|e| e.epoch);
    let loss =
        |v: Option<f32>, w: usize| v.map_or(format!("{:>w$}", "-"), |l| format!("{l:>w$.4}"));
    let acc = |v: Option<f32>, w: usize| {
        v.map_or(format!("{:>w$}", "-"), |a| {
            format!("{:>w$}", format!("{:.2}%", a * 100.0))
        })
    };
    let rows = r
        .epochs
        .iter()
        .map(|e| {
            let is_kept = Some(e.epoch) == kept;
            let mut text = format!(
                "{}{:>5} {:>10.4} {:>9}",
                if is_kept { "*" } else { " " },
                e.epoch,
                e.train_loss,
                format!("{:.2}%", e.train_acc * 100.0)
            );
            if validated {
                text += &format!(" {} {}", loss(e.val_loss, 8), acc(e.val_acc, 8));
            }
            if tested {
                text += &format!(" {} {}", loss(e.test_loss, 9), acc(e.test_acc, 8));
            }
            text += &format!(" {:>7}", format::duration(e.seconds));
            EpochRow {
                text,
                kept: is_kept,
            }
        })
        .collect();
    (header, rows)
}

/// What the run keeps and reports: the kept epoch and why, how it stopped early, its
/// test figures (once, on the kept weights), and a word on runs without validation.
pub fn outcome_lines(r: &RunRecord) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(source) = &r.imported {
        let file = |f: &crate::runs::ImportedFile| {
            let short = f.sha256.get(..12).unwrap_or(&f.sha256);
            format!("{} ({}, sha256 {short}…)", f.path, f.format)
        };
        out.push(format!("imported    {}", file(&source.weights)));
        if let Some(opt) = &source.optimizer {
            out.push(format!("optimizer   {}", file(opt)));
        }
        out.push(
            "            trained elsewhere, maybe on our validation images: no validation \
             figures, never ranked by validation"
                .to_string(),
        );
    }
    if r.val_size == 0 && !r.epochs.is_empty() {
        out.push(
            "validation  none (recorded before validation splits, or --validation 0): \
             ranked after every run with one"
                .to_string(),
        );
    }
    if let Some(kept) = r.kept() {
        let why = match (r.config.keep, r.best_epoch().is_some()) {
            (KeepWeights::Best, true) => "lowest validation loss",
            (KeepWeights::Best, false) => "the last: no validation split to choose by",
            (KeepWeights::Last, _) => "the last (keep: last)",
        };
        let val = kept
            .val_acc
            .map_or(String::new(), |a| format!(", validation acc {}", pct(a)));
        out.push(format!("kept        epoch {} ({why}){val}", kept.epoch));
    }
    if let Some(stop) = &r.early_stop {
        out.push(format!("stopped     {}", stop.describe()));
    }
    if let Some(s) = &r.summary {
        let epoch = match s.test_epoch {
            Some(0) if r.imported.is_some() => "the import".to_string(),
            Some(e) => format!("epoch {e}"),
            None => "the last epoch".to_string(),
        };
        out.push(format!(
            "test        acc {} loss {:.4} on {} images, weights of {epoch} (reported only)",
            pct(s.test_acc),
            s.test_loss,
            r.test_size
        ));
    }
    out
}

/// The widest class name shown in tables; longer names are cut with `…`.
const CLASS_WIDTH: usize = 12;
/// Above this many classes, the confusion matrix gives way to its largest mistakes.
pub const MATRIX_MAX_CLASSES: usize = 12;
/// How many of the largest mistakes are listed instead of a large matrix.
const TOP_CONFUSIONS: usize = 12;

/// Class `c`'s name as tables show it: at most [`CLASS_WIDTH`] characters.
fn class_label(r: &RunRecord, c: usize) -> String {
    dataset_class_label(&r.dataset, c)
}

/// Class `c` of `dataset` as tables show it (here and in the dashboard's gallery): its
/// name, cut to at most 12 characters.
pub fn dataset_class_label(dataset: &crate::data::DatasetInfo, c: usize) -> String {
    let name = dataset.class_name(c);
    if name.chars().count() <= CLASS_WIDTH {
        name
    } else {
        let mut cut: String = name.chars().take(CLASS_WIDTH - 1).collect();
        cut.push('…');
        cut
    }
}

/// The width of the class column: the longest name shown (at least 5).
fn class_column(r: &RunRecord, classes: usize) -> usize {
    (0..classes)
        .map(|c| class_label(r, c).chars().count())
        .max()
        .unwrap_or(0)
        .max(5)
}

/// Per-class precision and recall, one row per class by name: on validation for the
/// kept epoch, on test for the kept weights (columns missing in records that lack
/// them). Empty if neither exists.
pub fn per_class_lines(r: &RunRecord) -> Vec<String> {
    let val = r.kept().filter(|e| !e.val_precision.is_empty());
    let test = r.summary.as_ref().filter(|s| !s.test_precision.is_empty());
    if val.is_none() && test.is_none() {
        return Vec::new();
    }
    let classes = r.dataset.class_count();
    let w = class_column(r, classes);
    let mut header = format!("{:>w$}", "CLASS");
    if val.is_some() {
        header += &format!(" {:>9} {:>8}", "VAL PREC", "VAL REC");
    }
    if test.is_some() {
        header += &format!(" {:>10} {:>9}", "TEST PREC", "TEST REC");
    }
    let mut out = vec![header];
    for c in 0..classes {
        let mut line = format!("{:>w$}", class_label(r, c));
        let at = |v: &[f32]| v.get(c).map_or("-".to_string(), |&x| pct(x));
        if let Some(e) = val {
            line += &format!(" {:>9} {:>8}", at(&e.val_precision), at(&e.val_recall));
        }
        if let Some(s) = test {
            line += &format!(" {:>10} {:>9}", at(&s.test_precision), at(&s.test_recall));
        }
        out.push(line);
    }
    out
}

/// The test confusion matrix of the kept weights, rows the true class (by name),
/// columns the predicted one (by number, named in a legend unless the classes are the
/// digits). With more than [`MATRIX_MAX_CLASSES`] classes, the largest mistakes
/// instead. Empty without a summary.
pub fn confusion_lines(r: &RunRecord) -> Vec<String> {
    let Some(s) = r.summary.as_ref().filter(|s| !s.confusion.is_empty()) else {
        return Vec::new();
    };
    let n = s.confusion.len();
    if n > MATRIX_MAX_CLASSES {
        return top_confusions(r, &s.confusion);
    }
    let w = class_column(r, n).max(9);
    let mut out = vec![format!(
        "{:>w$} {}",
        "true\\pred",
        (0..n).map(|c| format!("{c:>5}")).collect::<String>()
    )];
    for (t, row) in s.confusion.iter().enumerate() {
        out.push(format!(
            "{:>w$} {}",
            class_label(r, t),
            row.iter().map(|n| format!("{n:>5}")).collect::<String>()
        ));
    }
    if !r.dataset.is_digits() {
        let legend: Vec<String> = (0..n)
            .map(|c| format!("{c} {}", class_label(r, c)))
            .collect();
        out.push(format!("pred: {}", legend.join(", ")));
    }
    out
}

/// The off-diagonal cells of `confusion` that are not 0, as `(count, true, predicted)`,
/// the largest first (ties: by true, then predicted class).
pub fn largest_confusions(confusion: &[Vec<u32>]) -> Vec<(u32, usize, usize)> {
    let mut cells: Vec<(u32, usize, usize)> = confusion
        .iter()
        .enumerate()
        .flat_map(|(t, row)| {
            row.iter()
                .enumerate()
                .filter(move |&(p, &n)| p != t && n > 0)
                .map(move |(p, &n)| (n, t, p))
        })
        .collect();
    cells.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    cells
}

/// The largest off-diagonal cells of `confusion`: `true → predicted  count`.
fn top_confusions(r: &RunRecord, confusion: &[Vec<u32>]) -> Vec<String> {
    let cells = largest_confusions(confusion);
    let mut out = vec![format!(
        "most confused ({} classes; true → predicted, test images):",
        confusion.len()
    )];
    for (n, t, p) in cells.into_iter().take(TOP_CONFUSIONS) {
        out.push(format!(
            "  {:>w$} → {:<w$} {n:>5}",
            class_label(r, t),
            class_label(r, p),
            w = CLASS_WIDTH
        ));
    }
    out
}

/// A fraction as a percentage with two decimals.
fn pct(x: f32) -> String {
    format!("{:.2}%", x * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Preset;
    use crate::runs::RunSummary;
    use crate::train::{EpochMetrics, TrainSettings};

    fn epoch(n: u32, val_loss: f32) -> EpochMetrics {
        EpochMetrics {
            epoch: n,
            train_loss: 0.5,
            train_acc: 0.9,
            val_loss: Some(val_loss),
            val_acc: Some(1.0 - val_loss),
            val_precision: vec![0.5; 10],
            val_recall: vec![0.25; 10],
            test_loss: None,
            test_acc: None,
            seconds: 1.0,
            dead_outputs: vec![],
        }
    }

    #[test]
    fn the_kept_epoch_is_marked_and_explained() {
        let mut r = RunRecord::new(
            "20261205-100000-mlp-0001".into(),
            TrainSettings::preset(Preset::Mlp),
            time::macros::datetime!(2026-12-05 10:00:00 UTC),
        );
        r.val_size = 100;
        r.epochs = vec![epoch(1, 0.3), epoch(2, 0.1), epoch(3, 0.2)];
        r.kept_epoch = Some(2);
        let (header, rows) = epoch_table(&r);
        assert!(
            header.contains("VAL ACC") && !header.contains("TEST ACC"),
            "{header}"
        );
        let marked: Vec<bool> = rows.iter().map(|row| row.kept).collect();
        assert_eq!(marked, vec![false, true, false]);
        assert!(rows[1].text.starts_with('*'), "{}", rows[1].text);
        let outcome = outcome_lines(&r).join("\n");
        assert!(
            outcome.contains("kept        epoch 2 (lowest validation loss), validation acc 90.00%"),
            "{outcome}"
        );
        r.summary = Some(RunSummary {
            test_acc: 0.875,
            test_loss: 0.4,
            test_epoch: Some(2),
            seconds: 3.0,
            confusion: vec![vec![1; 10]; 10],
            test_precision: vec![0.75; 10],
            test_recall: vec![0.5; 10],
            dead_outputs: vec![],
        });
        let outcome = outcome_lines(&r).join("\n");
        assert!(outcome.contains("acc 87.50% loss 0.4000"), "{outcome}");
        assert!(outcome.contains("weights of epoch 2"), "{outcome}");
        let classes = per_class_lines(&r);
        assert_eq!(classes.len(), 11);
        assert_eq!(
            classes[1].split_whitespace().collect::<Vec<_>>(),
            ["0", "50.00%", "25.00%", "75.00%", "50.00%"]
        );
        assert_eq!(confusion_lines(&r).len(), 11);
    }

    #[test]
    fn classes_are_named_and_many_classes_list_their_largest_mistakes() {
        use crate::data::datasets::find_dataset;
        use crate::data::{DatasetInfo, Norm};
        let mut r = RunRecord::new(
            "r".into(),
            TrainSettings::preset(Preset::Mlp),
            time::macros::datetime!(2026-12-01 08:00:00 UTC),
        );
        let summary = |n: usize| RunSummary {
            test_acc: 0.5,
            test_loss: 1.0,
            test_epoch: Some(1),
            seconds: 1.0,
            confusion: (0..n)
                .map(|t| {
                    (0..n)
                        .map(|p| u32::from(t == p) * 10 + u32::from(p == (t + 1) % n) * t as u32)
                        .collect()
                })
                .collect(),
            test_precision: vec![0.5; n],
            test_recall: vec![0.5; n],
            dead_outputs: vec![],
        };
        let fashion = find_dataset("fashion-mnist").unwrap();
        r.dataset = DatasetInfo::of_spec(fashion, Norm::MNIST, Vec::new());
        r.summary = Some(summary(10));
        let classes = per_class_lines(&r).join("\n");
        assert!(classes.contains("Ankle boot"), "{classes}");
        let matrix = confusion_lines(&r);
        assert!(
            matrix[10].trim_start().starts_with("Ankle boot"),
            "{matrix:?}"
        );
        assert!(
            matrix[11].contains("9 Ankle boot"),
            "a legend names the columns"
        );

        let balanced = find_dataset("emnist-balanced").unwrap();
        r.dataset = DatasetInfo::of_spec(balanced, Norm::MNIST, Vec::new());
        r.summary = Some(summary(47));
        let top = confusion_lines(&r);
        assert_eq!(top.len(), 1 + TOP_CONFUSIONS);
        assert!(top[0].contains("47 classes"), "{top:?}");
        // The largest mistake: true class 46 ("t") predicted as class 0 ("0"), 46 times.
        assert_eq!(
            top[1].split_whitespace().collect::<Vec<_>>(),
            ["t", "→", "0", "46"]
        );
    }
}
