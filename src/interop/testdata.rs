//! Run records for the exporters' tests: [`RunRecord::finished_for_test`] grown to
//! several epochs with loss points, rates and, optionally, per-epoch test figures.

use crate::model::Preset;
use crate::runs::RunRecord;
use crate::train::{EpochMetrics, LossPoint, TrainSettings};

/// A finished run `id` of `epochs` epochs (at least 1), 4 loss points an epoch: the
/// first with a validation split, the second (`tested`) tested every epoch instead.
/// Values differ per run through `n`, so runs mixed up in an export are told apart.
pub(crate) fn record(id: &str, n: u32, epochs: u32, tested: bool) -> RunRecord {
    let mut s = TrainSettings::preset(Preset::Mlp);
    s.epochs = epochs.max(1);
    s.batch_size = 100;
    s.lr = 0.01 * (n + 1) as f64;
    let mut r = RunRecord::finished_for_test(id.into(), s, 0.9, 0.89, 2.5);
    r.train_size = 1_000; // 10 batches an epoch
    r.epochs.clear();
    for e in 1..=epochs.max(1) {
        for k in 1..=4u32 {
            let x = (e - 1) as f64 + k as f64 / 4.0;
            r.losses.push(LossPoint {
                epoch: e,
                step: u64::from((e - 1) * 10 + [3, 5, 8, 10][k as usize - 1]),
                x,
                loss: 1.0 / (1.0 + x as f32) + 0.01 * n as f32,
                lr: (e > 1 || k > 1).then_some(r.config.lr / f64::from(e)),
            });
        }
        let acc = 0.8 + 0.03 * e as f32 + 0.001 * n as f32;
        r.epochs.push(EpochMetrics {
            epoch: e,
            train_loss: 0.5 / e as f32,
            train_acc: acc - 0.01,
            val_loss: (!tested).then_some(0.4 / e as f32),
            val_acc: (!tested).then_some(acc),
            test_loss: tested.then_some(0.45 / e as f32),
            test_acc: tested.then_some(acc - 0.002),
            seconds: 2.0 + f64::from(e),
            ..EpochMetrics::default()
        });
    }
    if tested {
        r.config.validation = 0;
        r.config.test_each_epoch = true;
        r.val_size = 0;
    }
    r.kept_epoch = Some(epochs.max(1));
    let (kept, seconds) = (r.kept_epoch, r.seconds());
    if let Some(s) = &mut r.summary {
        s.test_epoch = kept;
        s.seconds = seconds;
    }
    r
}

/// Two runs: `20261201-080000-mlp-0001` with a validation split over 3 epochs and
/// `20261201-090000-mlp-0002`, tested each epoch, over 2.
pub(crate) fn two_runs() -> [RunRecord; 2] {
    [
        record("20261201-080000-mlp-0001", 1, 3, false),
        record("20261201-090000-mlp-0002", 2, 2, true),
    ]
}
