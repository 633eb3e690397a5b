//! The export formats, one row each: name, what `--out` is (a file or a folder),
//! whether it takes several runs, and the writer. `mnist-tui export --to`, its help
//! and the dashboard's export dialog are generated from [`EXPORT_FORMATS`].

use std::path::{Path, PathBuf};

use super::error::ExportError;
use super::exported::ExportedModel;
use crate::runs::{RunRecord, RunStore};

/// What an export writes at its `--out` path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutKind {
    /// One file, with this extension.
    File(&'static str),
    /// A folder of files.
    Folder,
}

/// What an export is made from.
#[derive(Clone, Copy)]
pub enum Writer {
    /// One run's model (its kept weights).
    Model(fn(&ExportedModel, &Path) -> Result<Vec<PathBuf>, ExportError>),
    /// The records of one or several runs (their curves and settings).
    Records(fn(&[&RunRecord], &Path) -> Result<Vec<PathBuf>, ExportError>),
}

/// One export format.
#[derive(Clone, Copy)]
pub struct ExportFormat {
    /// Its name (`--to NAME`).
    pub name: &'static str,
    /// What it is, in a few words (help texts).
    pub help: &'static str,
    /// A file or a folder.
    pub out: OutKind,
    /// How it is written.
    pub writer: Writer,
}

impl ExportFormat {
    /// Whether it takes several runs at once.
    pub fn many_runs(&self) -> bool {
        matches!(self.writer, Writer::Records(_))
    }

    /// Where it goes when no `--out` is given: `exports/<run id>.<ext>` or
    /// `exports/<run id>-<format>/` (`<first id>+<others>` for several runs).
    pub fn default_out(&self, ids: &[&str]) -> PathBuf {
        let stem = match ids {
            [one] => one.to_string(),
            [first, rest @ ..] => format!("{first}+{}", rest.len()),
            [] => "runs".to_string(),
        };
        Path::new("exports").join(match self.out {
            OutKind::File(ext) => format!("{stem}.{ext}"),
            OutKind::Folder => format!("{stem}-{}", self.name),
        })
    }

    /// Writes the export of `runs` (from `store`) at `out`; returns the files written.
    pub fn write(
        &self,
        store: &RunStore,
        runs: &[&RunRecord],
        out: &Path,
    ) -> Result<Vec<PathBuf>, ExportError> {
        match (self.writer, runs) {
            (Writer::Model(write), [one]) => write(&ExportedModel::from_run(store, one)?, out),
            (Writer::Model(_), _) => Err(ExportError::OneRun {
                format: self.name,
                given: runs.len(),
            }),
            (Writer::Records(write), _) => write(runs, out),
        }
    }
}

fn onnx(model: &ExportedModel, out: &Path) -> Result<Vec<PathBuf>, ExportError> {
    super::onnx::export_onnx(model, out)?;
    Ok(vec![out.to_path_buf()])
}

fn csv(runs: &[&RunRecord], out: &Path) -> Result<Vec<PathBuf>, ExportError> {
    Ok(super::csv::write_csv(runs, out)?.to_vec())
}

/// The size of exported charts, in pixels (an SVG's too).
pub const CHART_SIZE: (u32, u32) = (1200, 600);

fn chart(
    runs: &[&RunRecord],
    out: &Path,
    format: super::ChartFormat,
) -> Result<Vec<PathBuf>, ExportError> {
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        super::error::create_dir(dir)?;
    }
    super::chart::write_chart(runs, out, format, CHART_SIZE)?;
    Ok(vec![out.to_path_buf()])
}

fn svg(runs: &[&RunRecord], out: &Path) -> Result<Vec<PathBuf>, ExportError> {
    chart(runs, out, super::ChartFormat::Svg)
}

fn png(runs: &[&RunRecord], out: &Path) -> Result<Vec<PathBuf>, ExportError> {
    chart(runs, out, super::ChartFormat::Png)
}

/// Every export format, in the order help lists them.
pub const EXPORT_FORMATS: &[ExportFormat] = &[
    ExportFormat {
        name: "onnx",
        help: "the model as ONNX (opset 13): images N×1×28×28 (0–1) in, logits out",
        out: OutKind::File("onnx"),
        writer: Writer::Model(onnx),
    },
    ExportFormat {
        name: "pytorch",
        help: "the model as a PyTorch state dict (safetensors) and its nn.Module (model.py)",
        out: OutKind::Folder,
        writer: Writer::Model(super::pytorch::export_pytorch),
    },
    ExportFormat {
        name: "tensorboard",
        help: "event files (one folder per run) for `tensorboard --logdir`",
        out: OutKind::Folder,
        writer: Writer::Records(super::tensorboard::write_tensorboard),
    },
    ExportFormat {
        name: "csv",
        help: "losses.csv and epochs.csv, one row per point, a run column",
        out: OutKind::Folder,
        writer: Writer::Records(csv),
    },
    ExportFormat {
        name: "svg",
        help: "the loss and accuracy charts, runs overlaid (vector)",
        out: OutKind::File("svg"),
        writer: Writer::Records(svg),
    },
    ExportFormat {
        name: "png",
        help: "the loss and accuracy charts, runs overlaid (1200×600 image)",
        out: OutKind::File("png"),
        writer: Writer::Records(png),
    },
];

/// The format called `name`, or an error listing them.
pub fn export_format(name: &str) -> Result<&'static ExportFormat, String> {
    EXPORT_FORMATS
        .iter()
        .find(|f| f.name == name)
        .ok_or_else(|| {
            format!(
                "unknown export format '{name}': one of {}",
                EXPORT_FORMATS
                    .iter()
                    .map(|f| f.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_found_by_name_and_default_under_exports() {
        let onnx = export_format("onnx").expect("onnx");
        assert_eq!(onnx.default_out(&["r1"]), Path::new("exports/r1.onnx"));
        let pt = export_format("pytorch").expect("pytorch");
        assert_eq!(pt.default_out(&["r1"]), Path::new("exports/r1-pytorch"));
        assert_eq!(
            pt.default_out(&["r1", "r2", "r3"]),
            Path::new("exports/r1+2-pytorch")
        );
        let e = export_format("keras").err().unwrap_or_default();
        assert!(
            e.contains("'keras'") && e.contains("onnx, pytorch, tensorboard"),
            "{e}"
        );
    }
}
