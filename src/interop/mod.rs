//! Sharing runs with other tools and bringing models in from them: exports (ONNX,
//! PyTorch, TensorBoard, CSV, charts) and imports (PyTorch checkpoints and
//! safetensors state dicts). Every reader of outside files here is fuzzed.
//!
//! The run exporters take records as the store loads them and write with
//! [`crate::fsutil`]'s atomic writer:
//! - [`tensorboard`]: TensorBoard event files, one folder per run ([`write_tensorboard`]).
//! - [`csv`]: `losses.csv` and `epochs.csv` of several runs ([`write_csv`]).
//! - [`chart`]: the Runs view's loss and accuracy charts as SVG or PNG ([`write_chart`]).

pub mod chart;
pub mod csv;
pub mod error;
pub mod tensorboard;
#[cfg(test)]
pub(crate) mod testdata;

pub use chart::{ChartFormat, write_chart};
pub use csv::write_csv;
pub use error::ExportError;
pub use tensorboard::write_tensorboard;
