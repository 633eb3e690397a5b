//! `mnist-tui predict IMAGE... [--run ID] [--json]`.
//!
//! Each image is loaded, prepared the way the run's dataset was made (MNIST's digits:
//! [`crate::digit::prepare`]; Fashion-MNIST's products: [`crate::digit::prepare_product`];
//! a folder of one's own: [`crate::digit::prepare_plain`]) and classified by one run's
//! model. A file that cannot be read gets its own error (on
//! stderr, or an `{"file", "error"}` line with `--json`) and the others are still
//! predicted; the exit status is non-zero at the end if any failed. A blank image is
//! "no digit" (`digit: null` with a reason), never a guess.

use super::{Context, ExitError, out};
use crate::cli::PredictArgs;
use crate::data::DatasetInfo;
use crate::digit::{self, DigitError};
use crate::predict::{Prediction, Predictor};
use crate::runs::{RunRecord, best_finished};
use anyhow::Context as _;
use serde_json::{Value, json};
use std::fmt::Write as _;
use std::path::Path;

/// Exit code when some images could not be read (the others were predicted).
pub const EXIT_BAD_IMAGES: i32 = 1;

/// Predicts each image; a bad file gets its own error and a non-zero exit at the end.
pub fn run(ctx: &Context, args: &PredictArgs) -> anyhow::Result<()> {
    let record = choose_run(ctx, args.run.as_deref())?;
    let predictor = Predictor::from_run(&ctx.store, &record)
        .with_context(|| format!("cannot load the model of run {}", record.id))?;
    let style = ctx.config.ui.ascii_style;
    let mut failed = 0;
    for (i, path) in args.images.iter().enumerate() {
        let outcome = classify(&predictor, path);
        let dataset = predictor.dataset();
        let text = if args.json {
            format!("{}\n", json_line(path, &record.id, dataset, &outcome))
        } else {
            let blank = if i > 0 { "\n" } else { "" };
            format!("{blank}{}", text_of(path, dataset, &outcome, style))
        };
        // The reader has gone (`predict … | head`): the rest would not be read.
        if !out::write(&text)? {
            return Ok(());
        }
        if let Outcome::Failed(e) = &outcome {
            failed += 1;
            if !args.json {
                out::warn(format!("error: {e}"));
            }
        }
    }
    if failed > 0 {
        return Err(ExitError {
            message: format!(
                "error: {failed} of {} images could not be read (see above)",
                args.images.len()
            ),
            code: EXIT_BAD_IMAGES,
        }
        .into());
    }
    Ok(())
}

/// The run named by `--run`, or the best finished run (said on stderr).
fn choose_run(ctx: &Context, typed: Option<&str>) -> anyhow::Result<RunRecord> {
    if let Some(typed) = typed {
        let id = ctx.store.resolve_id(typed)?;
        let record = ctx.store.load(&id)?;
        if !ctx.store.kept_weights_path(&record).is_file() {
            anyhow::bail!(
                "run {id} has no saved weights ({}); pick another run (`mnist-tui runs list`)",
                record.status.word()
            );
        }
        if !record.status.is_usable() {
            out::warn(format!(
                "note: run {id} is {}: using its last saved weights",
                record.status.word()
            ));
        }
        return Ok(record);
    }
    let (runs, damaged) = ctx.store.list()?;
    for d in &damaged {
        out::warn(format!("warning: skipped damaged {d}"));
    }
    let Some(best) = best_finished(&ctx.store, &runs) else {
        anyhow::bail!(
            "no finished run with saved weights in {}: train one first, e.g. \
             `mnist-tui train --model cnn` (or name a run with --run)",
            ctx.store.root().display()
        );
    };
    let test = best
        .test_acc()
        .map_or("unknown".to_string(), |a| format!("{:.1}%", a * 100.0));
    let why = match best.val_acc() {
        Some(val) => format!(
            "the finished run with the best validation accuracy, {:.1}% (test {test})",
            val * 100.0
        ),
        None => format!(
            "the newest finished run; no run has validation figures to choose by (test \
             {test})"
        ),
    };
    out::warn(format!(
        "using run {} ({}): {why}",
        best.id, best.config.model
    ));
    Ok(best.clone())
}

/// What happened to one image.
#[derive(Debug)]
enum Outcome {
    /// Classified.
    Predicted {
        prepared: Box<digit::Prepared>,
        prediction: Prediction,
    },
    /// Readable, but no digit in it.
    NoDigit(String),
    /// Unreadable, not an image, or the model failed.
    Failed(String),
}

fn classify(predictor: &Predictor, path: &Path) -> Outcome {
    let preparation = digit::preparation_for(predictor.dataset().preparation);
    match digit::prepare_file_with(path, preparation) {
        Ok(prepared) => match predictor.predict(&prepared.pixels) {
            Ok(prediction) => Outcome::Predicted {
                prepared: Box::new(prepared),
                prediction,
            },
            Err(e) => Outcome::Failed(format!("{}: {e}", path.display())),
        },
        Err(DigitError::NoDigit { reason, .. }) => Outcome::NoDigit(reason),
        Err(e) => Outcome::Failed(e.to_string()),
    }
}

/// What a blank image is said to lack: a digit, for a digit dataset.
fn nothing_found(dataset: &DatasetInfo) -> &'static str {
    if dataset.is_digits() {
        "no digit found"
    } else {
        "nothing found"
    }
}

/// A probability rounded to six decimals, for JSON.
fn round6(p: f32) -> f64 {
    (f64::from(p) * 1e6).round() / 1e6
}

/// One image's JSON line: the class (its index and name; `digit` too for a digit
/// dataset), the confidence, the verdict, every probability and the top 3.
fn json_line(path: &Path, run: &str, dataset: &DatasetInfo, outcome: &Outcome) -> Value {
    let file = path.display().to_string();
    let digits = dataset.is_digits();
    let class = |c: u8| {
        let mut v = json!({"class": c, "class_name": dataset.class_name(usize::from(c))});
        if digits {
            v["digit"] = json!(c);
        }
        v
    };
    match outcome {
        Outcome::Predicted {
            prepared,
            prediction,
        } => {
            let mut line = class(prediction.class);
            for (k, v) in [
                ("file", json!(file)),
                ("dataset", json!(dataset.name)),
                ("confidence", json!(round6(prediction.confidence()))),
                ("unsure", json!(prediction.is_unsure())),
                ("verdict", json!(prediction.verdict(dataset))),
                (
                    "probabilities",
                    json!(
                        prediction
                            .probabilities
                            .iter()
                            .map(|&p| round6(p))
                            .collect::<Vec<_>>()
                    ),
                ),
                (
                    "top3",
                    json!(
                        prediction
                            .top(3)
                            .iter()
                            .map(|&(c, p)| {
                                let mut v = class(c);
                                v["probability"] = json!(round6(p));
                                v
                            })
                            .collect::<Vec<_>>()
                    ),
                ),
                ("inverted", json!(prepared.inverted)),
                ("run", json!(run)),
            ] {
                line[k] = v;
            }
            line
        }
        Outcome::NoDigit(reason) => {
            let mut line = json!({
                "file": file,
                "class": Value::Null,
                "class_name": Value::Null,
                "probabilities": Value::Null,
                "reason": format!("{}: {reason}", nothing_found(dataset)),
                "run": run,
            });
            if digits {
                line["digit"] = Value::Null;
            }
            line
        }
        Outcome::Failed(error) => json!({"file": file, "error": error}),
    }
}

/// One image's text block: its path, the digit as ASCII art, the prediction and the top
/// 3 (or why there is none), each line ending in a newline.
fn text_of(
    path: &Path,
    dataset: &DatasetInfo,
    outcome: &Outcome,
    style: crate::config::AsciiStyle,
) -> String {
    let mut o = format!("{}\n", path.display());
    match outcome {
        Outcome::Predicted {
            prepared,
            prediction,
        } => {
            for line in digit::render_digit(&prepared.pixels, style) {
                let _ = writeln!(o, "{}", format!("  {line}").trim_end());
            }
            let _ = writeln!(
                o,
                "prediction: {} ({:.1}%)",
                prediction.verdict(dataset),
                prediction.confidence() * 100.0
            );
            let top: Vec<String> = prediction
                .top(3)
                .iter()
                .map(|&(c, p)| format!("{} {:.1}%", dataset.class_name(usize::from(c)), p * 100.0))
                .collect();
            let _ = writeln!(o, "top 3: {}", top.join(", "));
        }
        Outcome::NoDigit(reason) => {
            let _ = writeln!(o, "{}: {reason}", nothing_found(dataset));
        }
        Outcome::Failed(_) => o.push_str("(unreadable: see the error)\n"),
    }
    o
}
