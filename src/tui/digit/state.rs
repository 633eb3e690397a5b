//! State of the Digit view: the drawing canvas, the image path field, the model that
//! predicts, the prediction, and the mistake gallery. No drawing and no I/O here
//! except [`complete_path`] (a directory listing on Tab).

use crate::config::AsciiStyle;
use crate::data::Mnist;
use crate::digit::{self, Canvas, Prepared};
use crate::predict::{MistakeReport, Prediction, Predictor};
use crate::runs::RunRecord;
use image::DynamicImage;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What the Digit view shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigitMode {
    /// The mouse canvas.
    Draw,
    /// An image file.
    Image,
    /// The model's mistakes on the MNIST test set.
    Gallery,
}

/// An image file, loaded and prepared.
#[derive(Debug, Clone)]
pub struct LoadedImage {
    /// The file.
    pub path: PathBuf,
    /// The image as loaded, shrunk to at most [`PREVIEW_SIDE`] px for previews.
    pub preview: DynamicImage,
    /// The MNIST-like digit, or why there is none.
    pub prepared: Result<Box<Prepared>, String>,
}

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
}

/// Background work the Digit view asks for.
#[derive(Debug, Clone)]
pub enum DigitEffect {
    /// Load this run's model.
    LoadModel(Box<RunRecord>),
    /// Load and prepare an image file.
    LoadImage(PathBuf),
    /// Save the drawing as `drawing-<timestamp>.png` in the current folder.
    SaveDrawing(Box<Canvas>),
    /// Classify the MNIST test set and collect the mistakes.
    FindMistakes {
        /// The run.
        id: String,
        /// Its model.
        predictor: Arc<Predictor>,
        /// The data.
        data: Arc<Mnist>,
    },
}

/// The mistake gallery of one run.
#[derive(Debug, Clone)]
pub enum Gallery {
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
            Gallery::Loading(id) | Gallery::Ready(id, _) | Gallery::Failed(id, _) => id,
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
    pub path: String,
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
    /// First card row shown in the gallery.
    pub gallery_scroll: usize,
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
            path: String::new(),
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
            gallery_scroll: 0,
        }
    }

    /// Recomputes the model input and prediction of the current source.
    pub fn refresh(&mut self) {
        let source = match self.mode {
            DigitMode::Gallery => self.last_source,
            m => m,
        };
        let input: Option<Result<[u8; 784], String>> = match source {
            DigitMode::Image => self
                .image
                .as_ref()
                .map(|i| i.prepared.as_ref().map(|p| p.pixels).map_err(Clone::clone)),
            _ if self.canvas.is_empty() => None,
            _ => Some(
                digit::prepare_pixels(&self.canvas.to_pixels())
                    .map(|p| p.pixels)
                    .map_err(|e| no_digit_reason(&e)),
            ),
        };
        self.verdict = match input {
            None => Verdict::Nothing,
            Some(Err(reason)) => Verdict::NoDigit(reason),
            Some(Ok(pixels)) => Verdict::Digit {
                prediction: self
                    .predictor
                    .as_ref()
                    .and_then(|p| p.predict(&pixels).ok()),
                pixels: Box::new(pixels),
            },
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
        }
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

    /// Tab in the path field: completes the file name in the typed folder (to the
    /// longest common prefix when several match; their names go to `completions`).
    pub fn complete(&mut self) {
        let (completed, names) = complete_path(&self.path);
        self.path = completed;
        self.completions = names;
    }
}

/// The reason of a "no digit" error, or the error itself.
fn no_digit_reason(e: &digit::DigitError) -> String {
    match e {
        digit::DigitError::NoDigit { reason, .. } => reason.clone(),
        other => other.to_string(),
    }
}

/// Completes `typed` against the entries of its folder: returns the new text and, when
/// several names match, the matching names (folders end with `/`). Hidden entries are
/// offered only when the typed name starts with a dot.
pub fn complete_path(typed: &str) -> (String, Vec<String>) {
    let (dir_text, prefix) = match typed.rfind('/') {
        Some(i) => (&typed[..=i], &typed[i + 1..]),
        None => ("", typed),
    };
    let dir = if dir_text.is_empty() {
        Path::new(".")
    } else {
        Path::new(dir_text)
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return (typed.to_string(), Vec::new());
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_str()?.to_string();
            let is_dir = e.path().is_dir();
            Some(if is_dir { format!("{name}/") } else { name })
        })
        .filter(|n| n.starts_with(prefix) && (prefix.starts_with('.') || !n.starts_with('.')))
        .collect();
    names.sort();
    match names.as_slice() {
        [] => (typed.to_string(), Vec::new()),
        [one] => (format!("{dir_text}{one}"), Vec::new()),
        many => {
            let common = many.iter().skip(1).fold(many[0].clone(), |acc, n| {
                acc.chars()
                    .zip(n.chars())
                    .take_while(|(a, b)| a == b)
                    .map(|(a, _)| a)
                    .collect()
            });
            (format!("{dir_text}{common}"), names)
        }
    }
}

/// Finished runs, oldest first: the models the Digit view can cycle through.
pub fn model_candidates<'a>(runs: impl Iterator<Item = &'a RunRecord>) -> Vec<&'a RunRecord> {
    let mut v: Vec<&RunRecord> = runs
        .filter(|r| r.status == crate::runs::RunStatus::Finished)
        .collect();
    v.sort_by(|a, b| a.id.cmp(&b.id));
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completion_in_a_folder() {
        let dir = tempfile::tempdir().unwrap();
        for n in ["seven.png", "seven-2.png", "three.jpg", ".hidden.png"] {
            std::fs::write(dir.path().join(n), b"x").unwrap();
        }
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let base = format!("{}/", dir.path().display());
        let (t, names) = complete_path(&format!("{base}th"));
        assert_eq!(t, format!("{base}three.jpg"));
        assert!(names.is_empty());
        let (t, names) = complete_path(&format!("{base}se"));
        assert_eq!(t, format!("{base}seven"));
        assert_eq!(names, vec!["seven-2.png", "seven.png"]);
        let (t, _) = complete_path(&format!("{base}su"));
        assert_eq!(t, format!("{base}sub/"));
        let (_, names) = complete_path(&base);
        assert!(!names.iter().any(|n| n.starts_with('.')), "{names:?}");
        let (t, names) = complete_path(&format!("{base}zz"));
        assert_eq!(t, format!("{base}zz"));
        assert!(names.is_empty());
    }
}
