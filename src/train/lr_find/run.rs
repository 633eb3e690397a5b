//! Running a finder: a copy of a learner trained one batch per rate of a
//! [`FinderPlan`], on batches drawn from the sample indices it is given.

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use super::{Ending, FinderPlan, LrFinding, Tracker};
use crate::data::{Augmentation, LoadedDataset, Norm, SampleBatch, Samples};
use crate::model::{Learner, Network};
use crate::train::TrainSettings;

/// Where a finder is, for a progress display.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    /// Steps done.
    pub done: usize,
    /// Steps planned (the finder may stop before, when the loss diverges).
    pub total: usize,
}

/// Mixed into the run's seed to give the finder a random stream of its own (its
/// batch order and augmentation), unrelated to the run's.
const FINDER_STREAM: u64 = 0x6c72_2d66_696e_6421;

/// Runs `plan` on a copy of `learner` ([`Learner::copy`]: `learner` itself is never
/// changed): one batch per rate, drawn from `indices` of `data` (and only those) in an
/// order of the finder's own (seeded by `settings.seed`, never the run's stream),
/// prepared as training prepares them (`settings`' batch size and augmentation, `norm`
/// the standardisation, if any). `progress` hears after each step; returning `false`
/// stops the finder (ended as [`Ending::Cancelled`]).
#[allow(clippy::too_many_arguments)]
pub fn find(
    learner: &Learner,
    data: &Samples,
    norm: Option<Norm>,
    indices: &[usize],
    settings: &TrainSettings,
    plan: FinderPlan,
    progress: &mut dyn FnMut(Progress) -> bool,
) -> Result<LrFinding, String> {
    plan.validate()?;
    if indices.is_empty() {
        return Err("the learning-rate finder needs training samples; none were given".into());
    }
    if let Some(&i) = indices.iter().find(|&&i| i >= data.len()) {
        return Err(format!(
            "sample {i} is outside the {} training images",
            data.len()
        ));
    }
    let batch_size = settings.batch_size.max(1);
    let mut copy = learner.copy().map_err(|e| e.to_string())?;
    let seed = settings.seed ^ FINDER_STREAM;
    let mut rng = StdRng::seed_from_u64(seed);
    let mut order = indices.to_vec();
    let mut round = 0u32;
    let mut batches: Vec<Vec<usize>> = Vec::new();
    let mut tracker = Tracker::new();
    for step in 0..plan.steps {
        if batches.is_empty() {
            // A new pass over the samples, in a new order.
            round += 1;
            order.shuffle(&mut rng);
            batches = order
                .chunks(batch_size)
                .rev()
                .map(<[usize]>::to_vec)
                .collect();
        }
        let Some(batch) = batches.pop() else {
            unreachable!("a pass over at least one sample has a batch")
        };
        let rate = plan.rate(step);
        copy.set_lr(rate);
        let outcome = copy
            .train_source(&SampleBatch {
                data,
                indices: &batch,
                norm,
                augment: Some(Augmentation {
                    kind: settings.augment,
                    seed,
                    epoch: round,
                }),
            })
            .map_err(|e| e.to_string())?;
        let stop = tracker.push(rate, outcome.loss as f64);
        let go_on = progress(Progress {
            done: step + 1,
            total: plan.steps,
        });
        if let Some(ending) = stop {
            return Ok(LrFinding::new(plan, tracker.finish(ending)));
        }
        if !go_on {
            return Ok(LrFinding::new(plan, tracker.finish(Ending::Cancelled)));
        }
    }
    Ok(LrFinding::new(plan, tracker.finish(Ending::Completed)))
}

/// The training samples a finder of a new run with `settings` may draw from: the
/// ones the run would train on (never its validation images; see
/// [`crate::data::split`]). The error says why there are none.
pub fn training_indices(data: &Samples, settings: &TrainSettings) -> Result<Vec<usize>, String> {
    let sizes = crate::data::SplitSizes {
        validation: settings.validation,
        max_train: settings.max_train_samples,
        max_test: None,
    };
    crate::data::split::Split::new(crate::data::Sampling::Permuted, data.len(), 0, sizes)
        .map(|split| split.train)
        .map_err(|e| e.to_string())
}

/// [`find`] on a new network of `settings` (its model, seed and optimiser) for the
/// classes of `data`, on the training images `indices` of `data`: the finder of a run
/// not yet started.
pub fn find_fresh(
    settings: &TrainSettings,
    data: &LoadedDataset,
    indices: &[usize],
    plan: FinderPlan,
    progress: &mut dyn FnMut(Progress) -> bool,
) -> Result<LrFinding, String> {
    settings
        .validate()
        .map_err(|e| format!("invalid settings: {e}"))?;
    let network = Network::for_classes(&settings.network(), data.info.class_count(), settings.seed)
        .map_err(|e| e.to_string())?;
    let learner = Learner::new(network, settings.optimizer_settings()).with_seed(settings.seed);
    let norm = settings.normalize.then_some(data.info.norm);
    find(
        &learner,
        &data.train,
        norm,
        indices,
        settings,
        plan,
        progress,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Preset;

    /// `n` random-pixel training images labelled `i % 10` (MNIST's classes).
    fn noise_data(n: usize) -> LoadedDataset {
        LoadedDataset {
            train: Samples {
                images: (0..n * 784).map(|i| (i * 7919 % 251) as u8).collect(),
                labels: (0..n).map(|i| (i % 10) as u8).collect(),
            },
            ..LoadedDataset::default()
        }
    }

    #[test]
    fn the_finder_sees_only_the_indices_it_is_given_and_checks_them() {
        let data = noise_data(40);
        let mut settings = TrainSettings::preset(Preset::Mlp);
        settings.batch_size = 8;
        let plan = FinderPlan {
            steps: 20,
            ..FinderPlan::default()
        };
        let err = find_fresh(&settings, &data, &[3, 40], plan, &mut |_| true).unwrap_err();
        assert_eq!(err, "sample 40 is outside the 40 training images");
        let err = find_fresh(&settings, &data, &[], plan, &mut |_| true).unwrap_err();
        assert!(err.contains("none were given"), "{err}");
        let bad = FinderPlan { steps: 2, ..plan };
        assert!(find_fresh(&settings, &data, &[1], bad, &mut |_| true).is_err());

        // Images outside the slice are made unreadable (a label no digit has): a
        // batch that touched one would fail.
        let mut poisoned = data.clone();
        for i in 10..40 {
            poisoned.train.labels[i] = 99;
        }
        let slice: Vec<usize> = (0..10).collect();
        let mut seen = Vec::new();
        let finding = find_fresh(&settings, &poisoned, &slice, plan, &mut |p| {
            seen.push(p);
            true
        })
        .unwrap();
        assert!(!finding.curve.points.is_empty());
        assert_eq!(seen.len(), finding.curve.points.len());
        assert_eq!(seen[0], Progress { done: 1, total: 20 });
    }

    #[test]
    fn the_finder_can_be_cancelled_and_is_repeatable() {
        let data = noise_data(64);
        let mut settings = TrainSettings::preset(Preset::Mlp);
        settings.batch_size = 16;
        let plan = FinderPlan {
            steps: 30,
            ..FinderPlan::default()
        };
        let all: Vec<usize> = (0..64).collect();
        let stopped = find_fresh(&settings, &data, &all, plan, &mut |p| p.done < 5).unwrap();
        assert_eq!(stopped.curve.ending, Ending::Cancelled);
        assert_eq!(stopped.curve.points.len(), 5);
        let a = find_fresh(&settings, &data, &all, plan, &mut |_| true).unwrap();
        let b = find_fresh(&settings, &data, &all, plan, &mut |_| true).unwrap();
        assert_eq!(a, b, "the same seed, the same curve");
        assert_eq!(a.curve.points[..5], stopped.curve.points[..]);
    }
}
