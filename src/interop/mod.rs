//! Sharing runs with other tools and bringing models in from them: exports (ONNX,
//! PyTorch, TensorBoard, CSV, charts) and imports (PyTorch checkpoints and
//! safetensors state dicts). Every reader of outside files here is fuzzed.

pub mod error;
pub mod exported;
pub mod formats;
pub mod onnx;
pub mod pytorch;

pub use error::ExportError;
pub use exported::ExportedModel;
pub use formats::{EXPORT_FORMATS, ExportFormat, export_format};
