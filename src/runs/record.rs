//! The record of one run, serialised as `run.ron`.

use crate::data::Sampling;
use crate::data::{DatasetInfo, Norm};
use crate::model::{ComputeProfile, compute_profile};
use crate::sweep::SweepTag;
use crate::train::{EpochMetrics, LossPoint, LrChange, LrPlan, TrainSettings};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Where a run stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunStatus {
    /// Training (or the process died while training; it can be resumed).
    Running,
    /// All epochs done.
    Finished,
    /// Stopped on request.
    Stopped,
    /// Failed; the reason says why.
    Failed(String),
    /// The record says running but no process holds the run's lock: the process that
    /// trained it died (killed, crashed, power cut). It can be resumed. The store
    /// derives this when it loads a record; the trainer never writes it.
    Interrupted,
    /// Brought in from another tool's file (`mnist-tui import`): its weights were
    /// trained elsewhere, its test figures computed here. Resuming trains it further.
    Imported,
}

impl RunStatus {
    /// Whether the run's weights are final, to predict with: a finished run's, or an
    /// imported model's.
    pub fn is_usable(&self) -> bool {
        matches!(self, RunStatus::Finished | RunStatus::Imported)
    }

    /// A short word for tables: running, finished, stopped, failed, interrupted,
    /// imported.
    pub fn word(&self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Finished => "finished",
            RunStatus::Stopped => "stopped",
            RunStatus::Failed(_) => "failed",
            RunStatus::Interrupted => "interrupted",
            RunStatus::Imported => "imported",
        }
    }
}

/// Final figures of a run, filled when it ends: the test set scored once, on the
/// weights the run keeps. (Records from before validation splits rewrote it every
/// epoch, with the last epoch's test figures.)
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    /// Test accuracy of the kept weights (fraction).
    pub test_acc: f32,
    /// Mean test loss of the kept weights.
    pub test_loss: f32,
    /// The epoch whose weights were tested (`None` in old records: the last one).
    #[serde(default)]
    pub test_epoch: Option<u32>,
    /// Total training seconds.
    pub seconds: f64,
    /// 10×10 confusion matrix on the test split, `[true][predicted]`.
    pub confusion: Vec<Vec<u32>>,
    /// Per-class precision on the test split (empty in old records).
    #[serde(default)]
    pub test_precision: Vec<f32>,
    /// Per-class recall on the test split (empty in old records).
    #[serde(default)]
    pub test_recall: Vec<f32>,
    /// Classes whose output was 0 for every image scored after the epoch (the
    /// validation images, else the test set's).
    pub dead_outputs: Vec<u8>,
}

/// A file a run's weights were imported from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportedFile {
    /// The file as given.
    pub path: String,
    /// Its SHA-256 (hex).
    pub sha256: String,
    /// What it is (`PyTorch checkpoint`, `safetensors state dict`, …).
    pub format: String,
}

/// Where an imported run's weights (and optimiser settings) came from. Its weights
/// were trained on data we did not see (the tutorial trains on all 60,000 images, our
/// validation images included): it has no validation figures and is never ranked by
/// validation against runs trained here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportSource {
    /// The weights.
    pub weights: ImportedFile,
    /// The optimiser state its settings were read from, if one was given.
    #[serde(default)]
    pub optimizer: Option<ImportedFile>,
}

/// Why early stopping ended a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EarlyStop {
    /// The epoch with the lowest validation loss.
    pub best_epoch: u32,
    /// The last epoch trained.
    pub last_epoch: u32,
    /// Epochs without a lower validation loss that ended it (the `patience` setting).
    pub patience: u32,
}

impl EarlyStop {
    /// `stopped early after epoch 9: no lower validation loss in 3 epochs since epoch 6`.
    pub fn describe(&self) -> String {
        format!(
            "stopped early after epoch {}: no lower validation loss in {} epoch(s) since \
             epoch {}",
            self.last_epoch, self.patience, self.best_epoch
        )
    }
}

/// Everything known about one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// Run id (the folder name).
    pub id: String,
    /// Version of mnist-tui that wrote the record.
    pub program_version: String,
    /// Settings (epochs is the current total, extended when epochs are added).
    pub config: TrainSettings,
    /// What the run trained on: the dataset's classes, normalisation and preparation
    /// (so that it predicts as it was trained wherever its data is) and the SHA-256 of
    /// the files read. Records from before datasets were data: MNIST, no checksums.
    #[serde(default)]
    pub dataset: DatasetInfo,
    /// Status.
    pub status: RunStatus,
    /// When training started.
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    /// When training ended (finished, stopped or failed).
    #[serde(with = "time::serde::rfc3339::option", default)]
    pub ended_at: Option<OffsetDateTime>,
    /// How the samples were drawn (records from before validation splits: the first
    /// images of each set).
    #[serde(default)]
    pub sampling: Sampling,
    /// Training samples used.
    pub train_size: usize,
    /// Validation samples (held out of the training set; 0 in old records).
    #[serde(default)]
    pub val_size: usize,
    /// Test samples used.
    pub test_size: usize,
    /// Trainable parameters.
    pub params: usize,
    /// Every logged loss point.
    pub losses: Vec<LossPoint>,
    /// Every finished epoch's metrics.
    pub epochs: Vec<EpochMetrics>,
    /// Learning-rate changes made during training.
    #[serde(default)]
    pub lr_changes: Vec<LrChange>,
    /// Final figures.
    #[serde(default)]
    pub summary: Option<RunSummary>,
    /// The epoch whose weights the run keeps for predicting (`keep` setting: the one
    /// with the lowest validation loss, or the last). `None` in old records: the last.
    #[serde(default)]
    pub kept_epoch: Option<u32>,
    /// Why early stopping ended the run, if it did.
    #[serde(default)]
    pub early_stop: Option<EarlyStop>,
    /// The sweep this run is a point of, if any.
    #[serde(default)]
    pub sweep: Option<SweepTag>,
    /// How each training session of the run (its start, then each resume) was computed.
    /// Records from before it have none.
    #[serde(default)]
    pub sessions: Vec<Provenance>,
    /// The learning rate of every step: the planned horizon (which may differ from the
    /// epochs done) and every re-anchoring (epochs added, rate set by hand). Records
    /// from before it have none: their rates are unknown.
    #[serde(default)]
    pub lr_plan: Option<LrPlan>,
    /// Where the weights were imported from, for a run made by `mnist-tui import`.
    #[serde(default)]
    pub imported: Option<ImportSource>,
}

/// How and by what one training session computed a run: what its exact numbers depend
/// on besides its settings (`runs compare` warns when runs differ in it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    /// Epochs the run had when the session started (0 for its start).
    pub from_epoch: u32,
    /// Threads, shards and CPU features of the training steps.
    pub compute: ComputeProfile,
    /// The program: its version and the commit it was built from.
    pub build: String,
    /// The command line that started the session.
    pub command_line: Vec<String>,
}

impl Provenance {
    /// This process, starting a session of a run with `batch_size` after `from_epoch`
    /// epochs.
    pub fn current(batch_size: usize, from_epoch: u32) -> Self {
        Provenance {
            from_epoch,
            compute: compute_profile(batch_size),
            build: build_name(),
            command_line: std::env::args().collect(),
        }
    }

    /// What the numbers depend on, in a few words: `2 threads, 2 shards, avx2 fma,
    /// 0.1.0 (1a2b3c4d5e6f)`.
    pub fn describe(&self) -> String {
        let c = &self.compute;
        let features = if c.cpu_features.is_empty() {
            "no AVX".to_string()
        } else {
            c.cpu_features.join(" ")
        };
        format!(
            "{} threads, {} shards, {features}, {}",
            c.threads, c.shards, self.build
        )
    }

    /// Whether two sessions computed alike (the command line aside).
    pub fn same_compute(&self, other: &Provenance) -> bool {
        self.compute == other.compute && self.build == other.build
    }
}

/// This program's version and the commit it was built from.
pub fn build_name() -> String {
    format!(
        "{} ({})",
        env!("CARGO_PKG_VERSION"),
        env!("MNIST_TUI_COMMIT")
    )
}

/// The epoch of `epochs` with the lowest validation loss (the earliest on a tie).
pub fn best_by_validation(epochs: &[EpochMetrics]) -> Option<&EpochMetrics> {
    epochs
        .iter()
        .filter_map(|e| e.val_loss.filter(|l| l.is_finite()).map(|l| (l, e)))
        .fold(
            None,
            |best: Option<(f32, &EpochMetrics)>, (l, e)| match best {
                Some((b, _)) if b <= l => best,
                _ => Some((l, e)),
            },
        )
        .map(|(_, e)| e)
}

impl RunRecord {
    /// A new, running record.
    pub fn new(id: String, config: TrainSettings, started_at: OffsetDateTime) -> Self {
        RunRecord {
            id,
            program_version: env!("CARGO_PKG_VERSION").to_string(),
            dataset: config
                .dataset
                .spec()
                .map(|d| DatasetInfo::of_spec(d, d.norm.unwrap_or(Norm::MNIST), Vec::new()))
                .unwrap_or_else(|| DatasetInfo {
                    name: config.dataset.clone(),
                    ..DatasetInfo::default()
                }),
            config,
            status: RunStatus::Running,
            started_at,
            ended_at: None,
            sampling: Sampling::Permuted,
            train_size: 0,
            val_size: 0,
            test_size: 0,
            params: 0,
            losses: Vec::new(),
            epochs: Vec::new(),
            lr_changes: Vec::new(),
            summary: None,
            kept_epoch: None,
            early_stop: None,
            sweep: None,
            sessions: Vec::new(),
            lr_plan: None,
            imported: None,
        }
    }

    /// The epoch with the lowest validation loss (the earliest on a tie); `None`
    /// without validation figures.
    pub fn best_epoch(&self) -> Option<&EpochMetrics> {
        best_by_validation(&self.epochs)
    }

    /// The epoch whose weights the run keeps (the last one in old records).
    pub fn kept(&self) -> Option<&EpochMetrics> {
        match self.kept_epoch {
            Some(k) => self.epochs.iter().find(|e| e.epoch == k),
            None => self.epochs.last(),
        }
    }

    /// Validation accuracy of the kept weights: what runs are ranked by. `None` for runs
    /// without a validation split (old records), which rank below every run with one.
    pub fn val_acc(&self) -> Option<f32> {
        // An imported model may have trained on the validation images: its scores on
        // them would flatter it, so it has none to rank by.
        if self.imported.is_some() {
            return None;
        }
        self.kept().and_then(|e| e.val_acc)
    }

    /// The test accuracy this run reports: of its kept weights once it has ended, else
    /// of its last epoch if it tests every epoch. Shown, never used to choose.
    pub fn test_acc(&self) -> Option<f32> {
        match &self.summary {
            Some(s) => Some(s.test_acc),
            None => self.epochs.last().and_then(|e| e.test_acc),
        }
    }

    /// The last logged loss.
    pub fn final_loss(&self) -> Option<f32> {
        self.losses.last().map(|p| p.loss)
    }

    /// Total seconds spent in finished epochs.
    pub fn seconds(&self) -> f64 {
        self.epochs.iter().map(|e| e.seconds).sum()
    }

    /// Whether the rate of its loss points is known (recorded with each point; runs
    /// recorded before that have none).
    pub fn rates_known(&self) -> bool {
        self.losses.iter().any(|p| p.lr.is_some())
    }

    /// The learning rate in effect at its last loss point, as shown in the details,
    /// `runs show` and the comparison: the rate, or why it is unknown.
    pub fn last_rate_text(&self) -> String {
        match self.losses.iter().rev().find_map(|p| p.lr) {
            Some(lr) => crate::format::approx(lr),
            None if self.losses.is_empty() => "–".into(),
            None => "unknown (recorded before rates were kept)".into(),
        }
    }

    /// Epochs completed.
    pub fn epochs_done(&self) -> u32 {
        self.epochs.last().map(|e| e.epoch).unwrap_or(0)
    }

    /// The record as the JSON object `runs show --json` prints.
    pub fn to_json(&self) -> serde_json::Value {
        let mut v = serde_json::to_value(self).unwrap_or(serde_json::Value::Null);
        if let Some(obj) = v.as_object_mut() {
            obj.insert("status".into(), self.status.word().into());
            if let RunStatus::Failed(reason) = &self.status {
                obj.insert("failure".into(), reason.clone().into());
            }
            obj.insert("val_acc".into(), self.val_acc().into());
            obj.insert("test_acc".into(), self.test_acc().into());
        }
        v
    }
}

#[cfg(test)]
impl RunRecord {
    /// A finished run (for tests): one epoch, whose weights it keeps, scored `val` on
    /// 100 validation images (validation loss `1 - val`) and `test` on the test set,
    /// trained in `seconds`.
    pub(crate) fn finished_for_test(
        id: String,
        settings: TrainSettings,
        val: f32,
        test: f32,
        seconds: f64,
    ) -> RunRecord {
        let mut r = RunRecord::new(
            id,
            settings,
            time::macros::datetime!(2026-12-01 08:00:00 UTC),
        );
        r.status = RunStatus::Finished;
        r.val_size = 100;
        r.epochs.push(EpochMetrics {
            epoch: 1,
            train_loss: 0.3,
            train_acc: 0.9,
            val_loss: Some(1.0 - val),
            val_acc: Some(val),
            seconds,
            ..EpochMetrics::default()
        });
        r.kept_epoch = Some(1);
        r.summary = Some(RunSummary {
            test_acc: test,
            test_loss: 0.1,
            test_epoch: Some(1),
            seconds,
            confusion: vec![],
            test_precision: vec![],
            test_recall: vec![],
            dead_outputs: vec![],
        });
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Preset;

    #[test]
    fn records_written_with_resumed_from_still_load() {
        let r = RunRecord::new(
            "20261120-100000-mlp-0001".into(),
            TrainSettings::preset(Preset::Mlp),
            time::macros::datetime!(2026-11-20 10:00:00 UTC),
        );
        let text = ron::ser::to_string_pretty(&r, ron::ser::PrettyConfig::default()).unwrap();
        let old = text.replacen("(\n", "(\n    resumed_from: None,\n", 1);
        assert!(old.contains("resumed_from"), "{old}");
        let back: RunRecord = ron::from_str(&old).unwrap();
        assert_eq!(back, r);
    }

    /// `r` as `run.ron` text written before the field `key` existed (its line removed).
    fn without_field(r: &RunRecord, key: &str) -> String {
        let text = ron::ser::to_string_pretty(r, ron::ser::PrettyConfig::default()).unwrap();
        let old: String = text
            .lines()
            .filter(|l| !l.contains(key))
            .collect::<Vec<_>>()
            .join("\n");
        assert_ne!(old, text, "{key} is not in the record");
        old
    }

    #[test]
    fn records_from_before_sweeps_load_and_tags_round_trip() {
        let mut r = RunRecord::new(
            "20261120-100000-mlp-0001".into(),
            TrainSettings::preset(Preset::Mlp),
            time::macros::datetime!(2026-11-20 10:00:00 UTC),
        );
        let old = without_field(&r, "sweep:");
        assert_eq!(ron::from_str::<RunRecord>(&old).unwrap(), r);
        r.sweep = Some(SweepTag {
            id: "abcdef0123".into(),
            point: 3,
            points: 8,
        });
        let text = ron::ser::to_string_pretty(&r, ron::ser::PrettyConfig::default()).unwrap();
        assert_eq!(ron::from_str::<RunRecord>(&text).unwrap(), r);
    }

    #[test]
    fn records_from_before_rate_plans_load_with_their_rates_unknown() {
        let mut r = RunRecord::new(
            "20261120-100000-mlp-0001".into(),
            TrainSettings::preset(Preset::Mlp),
            time::macros::datetime!(2026-11-20 10:00:00 UTC),
        );
        r.losses.push(LossPoint {
            epoch: 1,
            step: 100,
            x: 0.5,
            loss: 0.3,
            lr: None,
        });
        // Written before plans and rates: neither `lr_plan:` nor a point's `lr:`.
        let text = ron::ser::to_string_pretty(&r, ron::ser::PrettyConfig::default()).unwrap();
        let old: String = text
            .lines()
            .filter(|l| !matches!(l.trim(), "lr: None," | "lr_plan: None,"))
            .collect::<Vec<_>>()
            .join("\n");
        assert_eq!(old.lines().count() + 2, text.lines().count(), "{text}");
        let back: RunRecord = ron::from_str(&old).unwrap();
        assert_eq!(back, r);
        assert!(!back.rates_known());
        assert_eq!(
            back.last_rate_text(),
            "unknown (recorded before rates were kept)"
        );
        // A plan and rates round-trip.
        r.losses[0].lr = Some(0.002);
        r.lr_plan = Some(crate::train::LrPlan::new(
            crate::train::LrSchedule::OneCycle,
            0.003,
            10,
            200,
        ));
        let text = ron::ser::to_string_pretty(&r, ron::ser::PrettyConfig::default()).unwrap();
        let back: RunRecord = ron::from_str(&text).unwrap();
        assert_eq!(back, r);
        assert_eq!(back.last_rate_text(), "0.002");
    }

    #[test]
    fn records_from_before_augmentation_load_as_trained_without_it() {
        // A cnn record written before the setting existed: it trained on plain images,
        // whatever today's cnn default is.
        let mut settings = TrainSettings::preset(Preset::Cnn);
        assert_eq!(settings.augment, crate::data::Augment::Full);
        settings.augment = crate::data::Augment::Off;
        let r = RunRecord::new(
            "20261120-100000-cnn-0001".into(),
            settings,
            time::macros::datetime!(2026-11-20 10:00:00 UTC),
        );
        let old = without_field(&r, "augment:");
        assert_eq!(ron::from_str::<RunRecord>(&old).unwrap(), r);
    }

    #[test]
    fn records_from_before_betas_eps_and_nesterov_load_with_what_was_in_effect() {
        // Before these settings existed Adam used PyTorch's 0.9, 0.999 and 1e-8, and
        // SGD had no Nesterov.
        for model in [Preset::Mlp, Preset::TutorialMlp] {
            let r = RunRecord::new(
                "20261120-100000-mlp-0001".into(),
                TrainSettings::preset(model),
                time::macros::datetime!(2026-11-20 10:00:00 UTC),
            );
            let mut old = ron::ser::to_string_pretty(&r, ron::ser::PrettyConfig::default())
                .unwrap()
                .lines()
                .filter(|l| {
                    !["beta1:", "beta2:", "eps:", "nesterov:"]
                        .iter()
                        .any(|k| l.trim_start().starts_with(k))
                })
                .collect::<Vec<_>>()
                .join("\n");
            old.push('\n');
            assert!(!old.contains("beta1") && !old.contains("nesterov"), "{old}");
            let back: RunRecord = ron::from_str(&old).unwrap();
            assert_eq!(back.config.beta1, 0.9);
            assert_eq!(back.config.beta2, 0.999);
            assert_eq!(back.config.eps, 1e-8);
            assert!(!back.config.nesterov);
            assert_eq!(back, r);
        }
    }
}
