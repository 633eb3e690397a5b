//! mnist-tui: train, compare and use handwritten-digit (MNIST) models from a terminal.
//!
//! The library is shared by the dashboard (`tui`) and the headless commands (`cli`):
//! - [`data`]: MNIST IDX files: parse, validate, fetch, verify, batch.
//! - [`model`]: the networks (the only module that names dfdx types).
//! - [`train`]: the background trainer, its events and controls.
//! - [`runs`]: run records and the on-disk run store.
//! - [`sweep`]: grids of settings and seeds, run point by point and compared as groups.
//! - [`digit`]: custom digit images: MNIST-style preprocessing and ASCII rendering.
//! - [`predict`]: a run's model classifying digits; its mistakes on a labelled set.
//! - [`format`]: how floats, durations, rates and percentages print, everywhere.
//! - [`keys`]: key and action names as `config.ron` spells them.
//! - [`networks_file`]: saving a network into `config.ron` or a networks file, by
//!   editing its text.
//! - [`exit`]: a failure that sets the exit code (commands, the dashboard on a signal).
//! - [`interop`]: exports to and imports from other tools (ONNX, PyTorch, TensorBoard,
//!   CSV, charts).
//! - [`tui`]: the ratatui dashboard.
//! - [`bench`]: training and inference speed of every model.

pub mod bench;
pub mod cli;
pub mod commands;
pub mod config;
pub mod data;
pub mod digit;
pub mod exit;
pub mod format;
pub mod fsutil;
pub mod interop;
pub mod keys;
pub mod ladder;
pub mod model;
pub mod networks_file;
pub mod predict;
pub mod runs;
pub mod sweep;
pub mod train;
pub mod tui;
