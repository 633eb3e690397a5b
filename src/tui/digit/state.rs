//! State of the Digit view: the drawing canvas, the image path field, the model that
//! predicts, the prediction, and the mistake gallery. No drawing, no I/O and no
//! inference here: the model's prediction and Tab completion are [`DigitEffect`]s run
//! by [`super::tasks`], whose results come back as [`DigitMsg`]s tagged with a sequence
//! number so that a result for an older drawing or an older Tab is dropped.

use crate::config::AsciiStyle;
use crate::data::{DatasetName, LoadedDataset, Preparation};
use crate::digit::{self, Canvas, Prepared};
use crate::predict::{MistakeReport, Prediction, Predictor};
use crate::runs::RunRecord;
use crate::tui::train::form::TextInput;
use image::DynamicImage;
use std::path::PathBuf;
use std::sync::Arc;

/// What the Digit view shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigitMode {
    /// The mouse canvas.
    Draw,
    /// An image file.
    Image,
    /// The test images of the model's dataset, one at a time.
    Browse,
    /// The model's mistakes on its dataset's test set.
    Gallery,
}

/// The test image shown while browsing.
#[derive(Debug, Clone, PartialEq)]
pub struct Browsed {
    /// The dataset it is from.
    pub dataset: DatasetName,
    /// Its index in the test set.
    pub index: usize,
    /// Images in the test set.
    pub count: usize,
    /// Its true class.
    pub label: u8,
    /// Its pixels (the model's input as they are).
    pub pixels: Box<[u8; 784]>,
}

/// An image file, loaded and prepared.
#[derive(Debug, Clone)]
pub struct LoadedImage {
    /// The file.
    pub path: PathBuf,
    /// The image as loaded, shrunk to at most [`PREVIEW_SIDE`] px for previews.
    pub preview: DynamicImage,
    /// The image as the model's dataset makes its images, or why there is none.
    pub prepared: Result<Box<Prepared>, String>,
    /// How it was prepared (the model's dataset's way when it was loaded).
    pub preparation: Preparation,
}

/// Longest image path the path field takes.
pub const PATH_CHARS: usize = 4096;

/// Largest side of [`LoadedImage::preview`].
pub const PREVIEW_SIDE: u32 = 256;

/// Results of the Digit view's background work.
#[derive(Debug, Clone)]
pub enum DigitMsg {
    /// A run's model was loaded (or not).
    ModelLoaded {
        /// The run.
        id: String,
        /// The model, or why it could not be loaded.
        result: Result<Arc<Predictor>, String>,
    },
    /// An image file was loaded (or not).
    ImageLoaded {
        /// The file.
        path: PathBuf,
        /// The image, or why it could not be read.
        result: Result<Box<LoadedImage>, String>,
    },
    /// The drawing was saved (to this path) or not.
    Saved(Result<PathBuf, String>),
    /// A run's mistakes on the test set were found.
    Mistakes {
        /// The run.
        id: String,
        /// The report, or what went wrong.
        result: Result<Arc<MistakeReport>, String>,
    },
    /// The model's prediction of the source of sequence number `seq`.
    Predicted {
        /// The [`DigitState::infer_seq`] the prediction was asked with.
        seq: u64,
        /// The prediction, or why there is none.
        result: Result<Prediction, String>,
    },
    /// Tab completion of the path field.
    Completed {
        /// The [`DigitState::complete_seq`] of the Tab press.
        seq: u64,
        /// The text that was completed.
        typed: String,
        /// The completed text and the matching names (when several match), or why the
        /// folder could not be read.
        result: Result<(String, Vec<String>), String>,
    },
}

/// Background work the Digit view asks for.
#[derive(Debug, Clone)]
pub enum DigitEffect {
    /// Load this run's model.
    LoadModel(Box<RunRecord>),
    /// Load an image file and prepare it the given way.
    LoadImage(PathBuf, Preparation),
    /// Save the drawing as `drawing-<timestamp>.png` in the current folder.
    SaveDrawing(Box<Canvas>),
    /// Classify the test set of the model's dataset and collect the mistakes.
    FindMistakes {
        /// The run.
        id: String,
        /// Its model.
        predictor: Arc<Predictor>,
        /// The data.
        data: Arc<LoadedDataset>,
    },
    /// Run the model on a 28 × 28 input.
    Predict {
        /// The [`DigitState::infer_seq`] of this request.
        seq: u64,
        /// The model input.
        pixels: Box<[u8; 784]>,
        /// The model.
        predictor: Arc<Predictor>,
    },
    /// Complete `typed` against its folder's entries (Tab in the path field).
    CompletePath {
        /// The [`DigitState::complete_seq`] of this Tab press.
        seq: u64,
        /// The text to complete.
        typed: String,
    },
}

/// The mistake gallery of one run.
#[derive(Debug, Clone)]
pub enum Gallery {
    /// Waiting for the run's dataset to load (then computed).
    NeedsData(String),
    /// Being computed.
    Loading(String),
    /// Computed for this run.
    Ready(String, Arc<MistakeReport>),
    /// Failed for this run.
    Failed(String, String),
}

impl Gallery {
    /// The run the gallery is about.
    pub fn run_id(&self) -> &str {
        match self {
            Gallery::NeedsData(id)
            | Gallery::Loading(id)
            | Gallery::Ready(id, _)
            | Gallery::Failed(id, _) => id,
        }
    }
}

/// The model input derived from the current source, and the model's verdict.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Nothing to classify (empty canvas, no image).
    Nothing,
    /// The source holds no digit (why).
    NoDigit(String),
    /// A digit, predicted if a model is loaded.
    Digit {
        /// The 28 × 28 model input.
        pixels: Box<[u8; 784]>,
        /// The model's prediction (`None` while no model is loaded).
        prediction: Option<Prediction>,
    },
}

/// The whole Digit view state.
#[derive(Debug, Clone)]
pub struct DigitState {
    /// What is shown.
    pub mode: DigitMode,
    /// The mode to return to when the gallery closes.
    pub last_source: DigitMode,
    /// How digits are drawn.
    pub style: AsciiStyle,
    /// The drawing.
    pub canvas: Canvas,
    /// The last canvas position of a drag in progress, and whether it erases.
    pub drag: Option<((f32, f32), bool)>,
    /// The image path being typed.
    pub path: TextInput,
    /// Whether keys go to the path field.
    pub editing: bool,
    /// File names offered by the last Tab.
    pub completions: Vec<String>,
    /// The last image loaded.
    pub image: Option<Box<LoadedImage>>,
    /// The image being loaded.
    pub image_loading: Option<PathBuf>,
    /// The run whose model predicts (chosen, maybe still loading).
    pub model_id: Option<String>,
    /// The loaded model.
    pub predictor: Option<Arc<Predictor>>,
    /// Whether the model is being loaded.
    pub model_loading: bool,
    /// Why the chosen model could not be loaded.
    pub model_error: Option<String>,
    /// The verdict on the current source.
    pub verdict: Verdict,
    /// The mistake gallery, if computed or asked for.
    pub gallery: Option<Gallery>,
    /// The test image shown while browsing (`None` while its dataset loads).
    pub browsed: Option<Browsed>,
    /// The index of the test image to browse.
    pub browse_index: usize,
    /// First card row shown in the gallery.
    pub gallery_scroll: usize,
    /// Why the last prediction failed, if it did.
    pub prediction_error: Option<String>,
    /// Sequence number of the latest prediction asked for (bumped by every change of
    /// the source or the model); only its result is applied.
    pub infer_seq: u64,
    /// Sequence number of the latest Tab completion asked for.
    pub complete_seq: u64,
    /// Effects asked for by state changes, taken by [`App::update`](crate::tui::app::App::update).
    pending: Vec<DigitEffect>,
}

impl DigitState {
    /// A fresh state: draw mode, empty canvas, no model yet.
    pub fn new(style: AsciiStyle) -> Self {
        DigitState {
            mode: DigitMode::Draw,
            last_source: DigitMode::Draw,
            style,
            canvas: Canvas::new(),
            drag: None,
            path: TextInput::plain("", PATH_CHARS),
            editing: false,
            completions: Vec::new(),
            image: None,
            image_loading: None,
            model_id: None,
            predictor: None,
            model_loading: false,
            model_error: None,
            verdict: Verdict::Nothing,
            gallery: None,
            browsed: None,
            browse_index: 0,
            gallery_scroll: 0,
            prediction_error: None,
            infer_seq: 0,
            complete_seq: 0,
            pending: Vec::new(),
        }
    }

    /// The effects asked for since the last call (predictions to run).
    pub fn take_effects(&mut self) -> Vec<DigitEffect> {
        std::mem::take(&mut self.pending)
    }

    /// Recomputes the model input and prediction of the current source.
    pub fn refresh(&mut self) {
        let source = match self.mode {
            DigitMode::Gallery => self.last_source,
            m => m,
        };
        let input: Option<Result<[u8; 784], String>> = match source {
            DigitMode::Browse => self.browsed.as_ref().map(|b| Ok(*b.pixels)),
            DigitMode::Image => self
                .image
                .as_ref()
                .map(|i| i.prepared.as_ref().map(|p| p.pixels).map_err(Clone::clone)),
            _ if self.canvas.is_empty() => None,
            _ => Some(
                prepare_drawing(&self.canvas.to_pixels(), self.preparation())
                    .map(|p| p.pixels)
                    .map_err(|e| no_digit_reason(&e)),
            ),
        };
        // Any change makes the results still on their way stale.
        self.infer_seq += 1;
        self.pending
            .retain(|e| !matches!(e, DigitEffect::Predict { .. }));
        // The last prediction stays shown until the new one arrives (no flicker while
        // drawing); without a model there is none.
        let previous = match &self.verdict {
            Verdict::Digit { prediction, .. } if self.predictor.is_some() => prediction.clone(),
            _ => None,
        };
        self.verdict = match input {
            None => Verdict::Nothing,
            Some(Err(reason)) => Verdict::NoDigit(reason),
            Some(Ok(pixels)) => {
                if let Some(predictor) = &self.predictor {
                    self.pending.push(DigitEffect::Predict {
                        seq: self.infer_seq,
                        pixels: Box::new(pixels),
                        predictor: predictor.clone(),
                    });
                }
                Verdict::Digit {
                    prediction: previous,
                    pixels: Box::new(pixels),
                }
            }
        };
    }

    /// The prediction on the current source, if any.
    pub fn prediction(&self) -> Option<&Prediction> {
        match &self.verdict {
            Verdict::Digit {
                prediction: Some(p),
                ..
            } => Some(p),
            _ => None,
        }
    }

    /// Pen (or eraser) at canvas position `p`, continuing a drag if one is in progress.
    pub fn draw_at(&mut self, p: (f32, f32), erase: bool) {
        match self.drag {
            Some((last, e)) if e == erase => {
                if erase {
                    self.canvas.erase_line(last, p);
                } else {
                    self.canvas.stroke_line(last, p);
                }
            }
            _ if erase => self.canvas.erase(p.0, p.1),
            _ => self.canvas.stroke(p.0, p.1),
        }
        self.drag = Some((p, erase));
        self.refresh();
    }

    /// How the model's dataset prepares a picture (MNIST's digit steps before a model
    /// is loaded).
    pub fn preparation(&self) -> Preparation {
        self.predictor
            .as_ref()
            .map_or(Preparation::Digit, |p| p.dataset().preparation)
    }

    /// Applies a background result; returns a message for the user, if any
    /// (`Err` for failures).
    pub fn apply(&mut self, msg: DigitMsg) -> Option<Result<String, String>> {
        match msg {
            DigitMsg::ModelLoaded { id, result } => {
                if self.model_id.as_deref() != Some(id.as_str()) {
                    return None; // another model was chosen meanwhile
                }
                self.model_loading = false;
                let note = match result {
                    Ok(p) => {
                        self.predictor = Some(p);
                        self.model_error = None;
                        // An image prepared for another dataset's model is prepared
                        // again, this model's way.
                        let wanted = self.preparation();
                        if let Some(img) = &self.image
                            && img.preparation != wanted
                        {
                            self.image_loading = Some(img.path.clone());
                            self.pending
                                .push(DigitEffect::LoadImage(img.path.clone(), wanted));
                        }
                        None
                    }
                    Err(e) => {
                        self.predictor = None;
                        self.model_error = Some(e.clone());
                        Some(Err(format!("Cannot load the model of {id}: {e}")))
                    }
                };
                self.refresh();
                note
            }
            DigitMsg::ImageLoaded { path, result } => {
                if self.image_loading.as_ref() != Some(&path) {
                    return None;
                }
                self.image_loading = None;
                match result {
                    Ok(img) => {
                        self.image = Some(img);
                        self.mode = DigitMode::Image;
                        self.last_source = DigitMode::Image;
                        self.refresh();
                        Some(Ok(format!("Loaded {}", path.display())))
                    }
                    Err(e) => Some(Err(e)),
                }
            }
            DigitMsg::Saved(Ok(path)) => Some(Ok(format!("Drawing saved to {}", path.display()))),
            DigitMsg::Saved(Err(e)) => Some(Err(format!("Cannot save the drawing: {e}"))),
            DigitMsg::Mistakes { id, result } => {
                if self.gallery.as_ref().map(Gallery::run_id) != Some(id.as_str()) {
                    return None;
                }
                self.gallery = Some(match result {
                    Ok(r) => Gallery::Ready(id, r),
                    Err(e) => Gallery::Failed(id, e),
                });
                None
            }
            DigitMsg::Predicted { seq, result } => {
                if seq != self.infer_seq {
                    return None; // an older drawing's
                }
                let Verdict::Digit { prediction, .. } = &mut self.verdict else {
                    return None;
                };
                match result {
                    Ok(p) => {
                        *prediction = Some(p);
                        self.prediction_error = None;
                        None
                    }
                    Err(e) => {
                        *prediction = None;
                        self.prediction_error = Some(e.clone());
                        Some(Err(format!("Cannot predict: {e}")))
                    }
                }
            }
            DigitMsg::Completed { seq, typed, result } => {
                if seq != self.complete_seq || self.path.text() != typed || !self.editing {
                    return None; // typed on (or left the field) meanwhile
                }
                match result {
                    Ok((completed, names)) => {
                        self.path.set_text(completed);
                        self.completions = names;
                        None
                    }
                    Err(e) => {
                        self.completions.clear();
                        Some(Err(format!("Cannot complete the path: {e}")))
                    }
                }
            }
        }
    }

    /// What the model was trained on (MNIST before a model is loaded).
    pub fn dataset(&self) -> std::borrow::Cow<'_, crate::data::DatasetInfo> {
        match &self.predictor {
            Some(p) => std::borrow::Cow::Borrowed(p.dataset()),
            None => std::borrow::Cow::Owned(Default::default()),
        }
    }

    /// The dataset the view needs held: the model's, while its gallery or its test
    /// images are shown.
    pub fn needed_dataset(&self) -> Option<DatasetName> {
        if !matches!(self.mode, DigitMode::Gallery | DigitMode::Browse) {
            return None;
        }
        self.predictor.as_ref().map(|p| p.dataset().name.clone())
    }

    /// The data changed (or the model, or the mode): a gallery waiting for the model's
    /// dataset is computed once it is held, and browsing shows its test image.
    pub fn data_changed(&mut self, data: &crate::tui::data::DataSlot) {
        let Some(predictor) = self.predictor.clone() else {
            return;
        };
        let name = &predictor.dataset().name;
        if let Some(Gallery::NeedsData(id)) = &self.gallery
            && self.model_id.as_ref() == Some(id)
            && let Some(d) = data.ready(name)
        {
            let id = id.clone();
            self.gallery = Some(Gallery::Loading(id.clone()));
            self.pending.push(DigitEffect::FindMistakes {
                id,
                predictor: predictor.clone(),
                data: d.clone(),
            });
        }
        let browsing = self.mode == DigitMode::Browse
            || (self.mode == DigitMode::Gallery && self.last_source == DigitMode::Browse);
        if !browsing {
            return;
        }
        if self.browsed.as_ref().is_some_and(|b| b.dataset != *name) {
            // Another model's dataset: start again at its first image.
            self.browsed = None;
            self.browse_index = 0;
            self.refresh();
        }
        if self.browsed.is_none()
            && let Some(d) = data.ready(name)
            && test_images(d) > 0
        {
            let d = d.clone();
            self.show_test_image(&d, self.browse_index);
        }
    }

    /// Shows test image `index` of `data` (clamped to the set) and asks for its
    /// prediction.
    pub fn show_test_image(&mut self, data: &LoadedDataset, index: usize) {
        let test = &data.test;
        let count = test_images(data);
        let i = index.min(count.saturating_sub(1));
        let image = (i < count)
            .then(|| <[u8; 784]>::try_from(test.image(i)).ok())
            .flatten();
        self.browsed = image.map(|pixels| Browsed {
            dataset: data.info.name.clone(),
            index: i,
            count,
            label: test.labels[i],
            pixels: Box::new(pixels),
        });
        self.browse_index = i;
        self.refresh();
    }

    /// Chooses run `record`'s model; returns the effect that loads it.
    pub fn choose_model(&mut self, record: &RunRecord) -> DigitEffect {
        self.model_id = Some(record.id.clone());
        self.predictor = None;
        self.model_loading = true;
        self.model_error = None;
        self.refresh();
        DigitEffect::LoadModel(Box::new(record.clone()))
    }

    /// Tab in the path field: asks for the file name to be completed in the typed
    /// folder (to the longest common prefix when several match; their names then go to
    /// `completions` when [`DigitMsg::Completed`] arrives).
    pub fn complete(&mut self) -> DigitEffect {
        self.complete_seq += 1;
        DigitEffect::CompletePath {
            seq: self.complete_seq,
            typed: self.path.text().to_string(),
        }
    }
}

/// How many test images `data` holds (with both pixels and a label).
pub fn test_images(data: &LoadedDataset) -> usize {
    data.test.labels.len().min(data.test.images.len() / 784)
}

/// The reason of a "no digit" error, or the error itself.
fn no_digit_reason(e: &digit::DigitError) -> String {
    match e {
        digit::DigitError::NoDigit { reason, .. } => reason.clone(),
        other => other.to_string(),
    }
}

/// Finished and imported runs, oldest first: the models the Digit view can cycle
/// through.
pub fn model_candidates<'a>(runs: impl Iterator<Item = &'a RunRecord>) -> Vec<&'a RunRecord> {
    let mut v: Vec<&RunRecord> = runs.filter(|r| r.status.is_usable()).collect();
    v.sort_by(|a, b| a.id.cmp(&b.id));
    v
}

/// The drawing (28 × 28, light on dark) as the model's dataset makes its images: MNIST's
/// steps for digits; for the others, a drawing already in their form passes through.
fn prepare_drawing(
    pixels: &[u8; 784],
    preparation: Preparation,
) -> Result<Prepared, digit::DigitError> {
    match preparation {
        Preparation::Digit => digit::prepare_pixels(pixels),
        other => {
            let img = image::GrayImage::from_raw(28, 28, pixels.to_vec()).ok_or_else(|| {
                digit::DigitError::NoDigit {
                    path: None,
                    reason: "invalid buffer".to_string(),
                }
            })?;
            digit::preparation_for(other)(&DynamicImage::ImageLuma8(img))
        }
    }
}
