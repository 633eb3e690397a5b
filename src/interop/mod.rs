//! Sharing runs with other tools and bringing models in from them: exports (ONNX,
//! PyTorch, TensorBoard, CSV, charts) and imports (PyTorch checkpoints and
//! safetensors state dicts). Every reader of outside files here is fuzzed.

pub mod torch_file;
