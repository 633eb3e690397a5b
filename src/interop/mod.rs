//! Sharing runs with other tools and bringing models in from them: exports (ONNX,
//! PyTorch, TensorBoard, CSV, charts) and imports (PyTorch checkpoints and
//! safetensors state dicts). Every reader of outside files here is fuzzed.
//!
//! [`formats`] lists the exports, one row each (`mnist-tui export --to`). A run's
//! model ([`ExportedModel`]: its kept weights, standardisation and classes):
//! - [`onnx`]: an ONNX graph (opset 13).
//! - [`pytorch`]: a state dict in PyTorch's layouts and the `nn.Module` it loads into.
//!
//! The records of runs, written with [`crate::fsutil`]'s atomic writer:
//! - [`tensorboard`]: TensorBoard event files, one folder per run ([`write_tensorboard`]).
//! - [`csv`]: `losses.csv` and `epochs.csv` of several runs ([`write_csv`]).
//! - [`chart`]: the Runs view's loss and accuracy charts as SVG or PNG ([`write_chart`]).
//!
//! Bringing models in: [`torch_file`] reads `torch.save` checkpoints without running
//! them; [`import`] makes a run of a state dict.

pub mod chart;
pub mod csv;
pub mod error;
pub mod exported;
pub mod formats;
pub mod import;
pub mod onnx;
pub mod pytorch;
pub mod tensorboard;
#[cfg(test)]
pub(crate) mod testdata;
pub mod torch_file;

pub use chart::{ChartFormat, write_chart};
pub use csv::write_csv;
pub use error::ExportError;
pub use exported::ExportedModel;
pub use formats::{EXPORT_FORMATS, ExportFormat, export_format};
pub use tensorboard::write_tensorboard;
