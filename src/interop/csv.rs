//! Runs as two CSV tables, for spreadsheets and data frames: `losses.csv` (every
//! logged loss point) and `epochs.csv` (every finished epoch's metrics). Several runs
//! share one file, told apart by the `run` column; the other columns are named after
//! the record's fields. An unknown value (`None`: no validation split, not tested that
//! epoch, a rate from before rates were recorded) is an empty cell. Numbers are
//! written in the shortest form that reads back to the same value.

use super::error::{ExportError, check_runs};
use crate::fsutil;
use crate::runs::RunRecord;
use std::io;
use std::path::{Path, PathBuf};

/// The loss table's file name.
pub const LOSSES_FILE: &str = "losses.csv";
/// The epoch table's file name.
pub const EPOCHS_FILE: &str = "epochs.csv";

/// The loss table's header: one row per [`crate::train::LossPoint`].
pub const LOSSES_HEADER: [&str; 6] = ["run", "epoch", "step", "x", "loss", "lr"];
/// The epoch table's header: one row per [`crate::train::EpochMetrics`] (its
/// per-class lists left out).
pub const EPOCHS_HEADER: [&str; 9] = [
    "run",
    "epoch",
    "train_loss",
    "train_acc",
    "val_loss",
    "val_acc",
    "test_loss",
    "test_acc",
    "seconds",
];

/// Writes `losses.csv` and `epochs.csv` of `runs` into `out_dir` (created if missing;
/// files already there are replaced) and returns their paths, losses first.
pub fn write_csv(runs: &[&RunRecord], out_dir: &Path) -> Result<[PathBuf; 2], ExportError> {
    check_runs(runs)?;
    std::fs::create_dir_all(out_dir).map_err(|e| ExportError::io(out_dir, e))?;
    let losses = out_dir.join(LOSSES_FILE);
    write_table(&losses, |w| write_losses(w, runs))?;
    let epochs = out_dir.join(EPOCHS_FILE);
    write_table(&epochs, |w| write_epochs(w, runs))?;
    Ok([losses, epochs])
}

/// Writes one table to `path` atomically.
fn write_table(
    path: &Path,
    fill: impl FnOnce(&mut csv::Writer<&mut std::fs::File>) -> csv::Result<()>,
) -> Result<(), ExportError> {
    fsutil::write_atomic_with(path, |file| {
        let mut w = csv::Writer::from_writer(file);
        fill(&mut w).map_err(io::Error::other)?;
        w.flush()
    })
    .map_err(|e| ExportError::io(path, e))
}

/// `v`, or an empty cell for `None`.
fn cell<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// The loss table of `runs`.
fn write_losses<W: io::Write>(w: &mut csv::Writer<W>, runs: &[&RunRecord]) -> csv::Result<()> {
    w.write_record(LOSSES_HEADER)?;
    for r in runs {
        for p in &r.losses {
            w.write_record([
                r.id.clone(),
                p.epoch.to_string(),
                p.step.to_string(),
                p.x.to_string(),
                p.loss.to_string(),
                cell(p.lr),
            ])?;
        }
    }
    Ok(())
}

/// The epoch table of `runs`.
fn write_epochs<W: io::Write>(w: &mut csv::Writer<W>, runs: &[&RunRecord]) -> csv::Result<()> {
    w.write_record(EPOCHS_HEADER)?;
    for r in runs {
        for e in &r.epochs {
            w.write_record([
                r.id.clone(),
                e.epoch.to_string(),
                e.train_loss.to_string(),
                e.train_acc.to_string(),
                cell(e.val_loss),
                cell(e.val_acc),
                cell(e.test_loss),
                cell(e.test_acc),
                e.seconds.to_string(),
            ])?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interop::testdata::two_runs;
    use crate::train::{EpochMetrics, LossPoint};

    /// `path`'s header and rows.
    fn read(path: &Path) -> (Vec<String>, Vec<csv::StringRecord>) {
        let mut r = csv::Reader::from_path(path).unwrap();
        let header = r.headers().unwrap().iter().map(String::from).collect();
        (header, r.records().map(|r| r.unwrap()).collect())
    }

    /// A cell read back: `None` when empty.
    fn opt<T: std::str::FromStr>(s: &str) -> Option<T>
    where
        T::Err: std::fmt::Debug,
    {
        (!s.is_empty()).then(|| s.parse().unwrap())
    }

    #[test]
    fn tables_hold_exactly_the_records_values() {
        let runs = two_runs();
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("new-folder");
        let [losses, epochs] = write_csv(&[&runs[0], &runs[1]], &out).unwrap();
        assert_eq!(losses, out.join("losses.csv"));
        assert_eq!(epochs, out.join("epochs.csv"));

        let (header, rows) = read(&losses);
        assert_eq!(header, LOSSES_HEADER);
        let mut back: Vec<(String, LossPoint)> = Vec::new();
        for row in &rows {
            back.push((
                row[0].to_string(),
                LossPoint {
                    epoch: row[1].parse().unwrap(),
                    step: row[2].parse().unwrap(),
                    x: row[3].parse().unwrap(),
                    loss: row[4].parse().unwrap(),
                    lr: opt(&row[5]),
                },
            ));
        }
        let want: Vec<(String, LossPoint)> = runs
            .iter()
            .flat_map(|r| r.losses.iter().map(|p| (r.id.clone(), *p)))
            .collect();
        assert_eq!(back, want);
        assert!(back.iter().any(|(_, p)| p.lr.is_none()), "an unknown rate");

        let (header, rows) = read(&epochs);
        assert_eq!(header, EPOCHS_HEADER);
        let back: Vec<(String, EpochMetrics)> = rows
            .iter()
            .map(|row| {
                let m = EpochMetrics {
                    epoch: row[1].parse().unwrap(),
                    train_loss: row[2].parse().unwrap(),
                    train_acc: row[3].parse().unwrap(),
                    val_loss: opt(&row[4]),
                    val_acc: opt(&row[5]),
                    test_loss: opt(&row[6]),
                    test_acc: opt(&row[7]),
                    seconds: row[8].parse().unwrap(),
                    ..EpochMetrics::default()
                };
                (row[0].to_string(), m)
            })
            .collect();
        let want: Vec<(String, EpochMetrics)> = runs
            .iter()
            .flat_map(|r| r.epochs.iter().map(|e| (r.id.clone(), e.clone())))
            .collect();
        assert_eq!(back, want);
        // The first run has a validation split, the second is tested each epoch: each
        // leaves the other's cells empty.
        assert_eq!(&rows[0][6], "");
        assert_eq!(&rows[3][4], "");
    }

    #[test]
    fn ids_with_commas_and_quotes_stay_one_cell() {
        let mut run = two_runs()[0].clone();
        run.id = "odd, \"quoted\" run".into();
        let dir = tempfile::tempdir().unwrap();
        let [losses, _] = write_csv(&[&run], dir.path()).unwrap();
        let (_, rows) = read(&losses);
        assert_eq!(rows.len(), run.losses.len());
        assert!(
            rows.iter()
                .all(|r| r.len() == 6 && &r[0] == run.id.as_str())
        );
    }

    #[test]
    fn no_runs_and_twice_the_same_run_are_refused() {
        let runs = two_runs();
        let dir = tempfile::tempdir().unwrap();
        let err = write_csv(&[], dir.path()).unwrap_err();
        assert!(matches!(err, ExportError::NoRuns), "{err}");
        let err = write_csv(&[&runs[0], &runs[0]], dir.path()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "run 20261201-080000-mlp-0001 is given twice"
        );
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn a_file_in_the_way_of_the_folder_is_named_in_the_error() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("taken");
        std::fs::write(&blocker, b"x").unwrap();
        let err = write_csv(&[&two_runs()[0]], &blocker).unwrap_err();
        assert!(err.to_string().contains("taken"), "{err}");
    }
}
