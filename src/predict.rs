//! Using a trained run: [`Predictor`] classifies one 28 × 28 image at a time (the
//! `predict` command and the dashboard's Digit view), and [`find_mistakes`] lists what
//! a model gets wrong on a labelled set (the Digit view's mistake gallery).
//!
//! Inputs are `u8` pixels in the dataset's own form (light on dark, e.g.
//! [`crate::digit::Prepared`]); the predictor converts them the way the run's model was
//! trained (`normalize`, by its dataset's mean and deviation) and names its classes.

use crate::data::batch::pixels_to_f32;
use crate::data::{DatasetInfo, Norm, Samples};
use crate::model::{self, IMAGE_PIXELS, ModelError, ModelName, Network};
use crate::runs::{RunRecord, RunStore};
use std::sync::Arc;

/// Below this probability of its most probable class, a prediction is reported as
/// unsure, naming the two most probable classes ("unsure: 1 or 8") instead of one.
pub const UNSURE_BELOW: f32 = 0.6;

/// What a model says about one image.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    /// The most probable class (ties go to the smaller index).
    pub class: u8,
    /// Softmax of the model's outputs, one per class, summing to 1.
    pub probabilities: Vec<f32>,
}

impl Prediction {
    /// From one row of model outputs (one per class).
    pub fn from_outputs(row: &[f32]) -> Self {
        Prediction {
            class: u8::try_from(model::argmax(row)).unwrap_or(u8::MAX),
            probabilities: model::softmax(row),
        }
    }

    /// The probability of the predicted class.
    pub fn confidence(&self) -> f32 {
        self.probabilities
            .get(usize::from(self.class))
            .copied()
            .unwrap_or(0.0)
    }

    /// Whether the model is unsure: its best class is below [`UNSURE_BELOW`].
    pub fn is_unsure(&self) -> bool {
        self.confidence() < UNSURE_BELOW
    }

    /// What to tell a user: the class's name (`"7"`, `"Ankle boot"`), or when unsure
    /// the two most probable (`"unsure: 1 or 8"`).
    pub fn verdict(&self, dataset: &DatasetInfo) -> String {
        let name = |c: u8| dataset.class_name(usize::from(c));
        match self.top(2)[..] {
            [(a, _), (b, _)] if self.is_unsure() => format!("unsure: {} or {}", name(a), name(b)),
            _ => name(self.class),
        }
    }

    /// The `n` most probable classes with their probabilities, most probable first
    /// (ties: smaller index first).
    pub fn top(&self, n: usize) -> Vec<(u8, f32)> {
        let mut all: Vec<(u8, f32)> = self
            .probabilities
            .iter()
            .enumerate()
            .filter_map(|(c, &p)| Some((u8::try_from(c).ok()?, p)))
            .collect();
        all.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        all.truncate(n);
        all
    }
}

/// A run's trained model, ready to classify images. Cheap to clone.
#[derive(Clone)]
pub struct Predictor {
    network: Network,
    norm: Option<Norm>,
    dataset: Arc<DatasetInfo>,
    run_id: Option<String>,
}

impl std::fmt::Debug for Predictor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Predictor")
            .field("model", self.network.name())
            .field("norm", &self.norm)
            .field("dataset", &self.dataset.name)
            .field("run_id", &self.run_id)
            .finish()
    }
}

impl Predictor {
    /// Wraps a network trained on MNIST; `normalize` says whether it was trained on
    /// normalised inputs.
    pub fn new(network: Network, normalize: bool) -> Self {
        Self::for_dataset(network, normalize, DatasetInfo::default())
    }

    /// Wraps a network trained on `dataset`; `normalize` says whether it was trained
    /// on inputs standardised by the dataset's mean and deviation.
    pub fn for_dataset(network: Network, normalize: bool, dataset: DatasetInfo) -> Self {
        Predictor {
            norm: normalize.then_some(dataset.norm),
            network,
            dataset: Arc::new(dataset),
            run_id: None,
        }
    }

    /// Loads the weights saved run `record` keeps (its best epoch's by validation, or
    /// its last epoch's: the `keep` setting) from `store`.
    pub fn from_run(store: &RunStore, record: &RunRecord) -> Result<Self, ModelError> {
        let network = store.load_kept(record)?;
        Ok(Predictor {
            run_id: Some(record.id.clone()),
            ..Self::for_dataset(network, record.config.normalize, record.dataset.clone())
        })
    }

    /// The network's name.
    pub fn model_name(&self) -> &ModelName {
        self.network.name()
    }

    /// What the model was trained on: its classes and how its inputs are prepared.
    pub fn dataset(&self) -> &DatasetInfo {
        &self.dataset
    }

    /// The run the model comes from, if loaded from one.
    pub fn run_id(&self) -> Option<&str> {
        self.run_id.as_deref()
    }

    /// Classifies one image.
    pub fn predict(&self, pixels: &[u8; IMAGE_PIXELS]) -> Result<Prediction, ModelError> {
        let mut input = [0.0f32; IMAGE_PIXELS];
        pixels_to_f32(pixels, self.norm, &mut input);
        let out = self.network.logits(&input)?;
        Ok(Prediction::from_outputs(&out))
    }

    /// Classifies many images (`n * 784` pixels) in a few forward passes.
    pub fn predict_many(&self, pixels: &[u8]) -> Result<Vec<Prediction>, ModelError> {
        let mut input = vec![0.0f32; pixels.len()];
        pixels_to_f32(pixels, self.norm, &mut input);
        let out = self.network.logits(&input)?;
        Ok(out
            .chunks_exact(self.network.classes().max(1))
            .map(Prediction::from_outputs)
            .collect())
    }
}

/// One labelled image the model got wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct Mistake {
    /// Index of the image in its set.
    pub index: usize,
    /// The true class.
    pub label: u8,
    /// The prediction.
    pub prediction: Prediction,
}

/// How a model does on a labelled set, mistake by mistake.
#[derive(Debug, Clone, PartialEq)]
pub struct MistakeReport {
    /// Every wrong prediction, the most confident first.
    pub mistakes: Vec<Mistake>,
    /// Classes × classes counts, `[true][predicted]`.
    pub confusion: Vec<Vec<u32>>,
    /// Images classified.
    pub total: usize,
}

impl MistakeReport {
    /// Fraction classified correctly (0 for an empty set).
    pub fn accuracy(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            1.0 - self.mistakes.len() as f64 / self.total as f64
        }
    }
}

/// Classifies every image of `set` and collects the mistakes, most confident first.
pub fn find_mistakes(predictor: &Predictor, set: &Samples) -> Result<MistakeReport, ModelError> {
    let n = set.labels.len().min(set.images.len() / IMAGE_PIXELS);
    let predictions = predictor.predict_many(&set.images[..n * IMAGE_PIXELS])?;
    let classes = predictor.dataset.class_count();
    let mut confusion = vec![vec![0u32; classes]; classes];
    let mut mistakes = Vec::new();
    for (index, (p, &label)) in predictions.iter().zip(&set.labels).enumerate() {
        if let Some(cell) = confusion
            .get_mut(label as usize)
            .and_then(|row| row.get_mut(p.class as usize))
        {
            *cell += 1;
        }
        if p.class != label {
            mistakes.push(Mistake {
                index,
                label,
                prediction: p.clone(),
            });
        }
    }
    mistakes.sort_by(|a, b| {
        b.prediction
            .confidence()
            .total_cmp(&a.prediction.confidence())
            .then(a.index.cmp(&b.index))
    });
    Ok(MistakeReport {
        mistakes,
        confusion,
        total: n,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prediction_from_outputs() {
        let p = Prediction::from_outputs(&[0.0, 3.0, 3.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
        assert_eq!(p.class, 1, "ties go to the first index");
        assert!((p.probabilities.iter().sum::<f32>() - 1.0).abs() < 1e-5);
        let top = p.top(3);
        assert_eq!(top.iter().map(|t| t.0).collect::<Vec<_>>(), vec![1, 2, 3]);
        assert!((p.confidence() - top[0].1).abs() < 1e-7);
    }

    #[test]
    fn a_low_confidence_names_the_two_likeliest_digits() {
        // Softmax of (ln 0.55, ln 0.4, ln 0.05): 55% for 1, 40% for 8.
        let mut row = [f32::NEG_INFINITY; 10];
        let digits = DatasetInfo::default();
        row[1] = 0.55f32.ln();
        row[8] = 0.40f32.ln();
        row[3] = 0.05f32.ln();
        let p = Prediction::from_outputs(&row);
        assert!(p.is_unsure());
        assert_eq!(p.verdict(&digits), "unsure: 1 or 8");
        row[1] = 0.65f32.ln();
        row[8] = 0.30f32.ln();
        let p = Prediction::from_outputs(&row);
        assert!(!p.is_unsure());
        assert_eq!(p.verdict(&digits), "1");
    }

    #[test]
    fn a_verdict_names_the_datasets_classes() {
        let fashion = crate::data::datasets::find_dataset("fashion-mnist").unwrap();
        let info = DatasetInfo::of_spec(fashion, Norm::MNIST, Vec::new());
        let mut row = [0.0f32; 10];
        row[9] = 5.0;
        let p = Prediction::from_outputs(&row);
        assert_eq!(p.verdict(&info), "Ankle boot");
        row[7] = 5.0;
        let p = Prediction::from_outputs(&row);
        assert_eq!(p.verdict(&info), "unsure: Sneaker or Ankle boot");
    }

    #[test]
    fn untrained_network_predicts_and_lists_mistakes() {
        let predictor = Predictor::new(Network::preset(model::Preset::Mlp, 1), true);
        let mut images = vec![0u8; 3 * IMAGE_PIXELS];
        images[IMAGE_PIXELS + 400] = 255;
        let set = Samples {
            images,
            labels: vec![0, 1, 2],
        };
        let report = find_mistakes(&predictor, &set).unwrap();
        assert_eq!(report.total, 3);
        let counted: u32 = report.confusion.iter().flatten().sum();
        assert_eq!(counted, 3);
        for w in report.mistakes.windows(2) {
            assert!(w[0].prediction.confidence() >= w[1].prediction.confidence());
        }
        let one = predictor.predict(&[0u8; IMAGE_PIXELS]).unwrap();
        assert_eq!(
            one,
            predictor.predict_many(&[0u8; IMAGE_PIXELS]).unwrap()[0]
        );
    }
}
