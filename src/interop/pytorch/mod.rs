//! The PyTorch export: a run's model as a state dict in PyTorch's names, shapes and
//! layouts (`model.safetensors`, which `safetensors.torch.load_file` reads) and the
//! `nn.Module` it loads into (`model.py`), in one folder.

mod module_py;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::error::ExportError;
use super::exported::ExportedModel;
use crate::model::torch_state_bytes;

pub use module_py::module_source;

/// File name of the exported state dict.
pub const WEIGHTS_FILE: &str = "model.safetensors";
/// File name of the generated module.
pub const MODULE_FILE: &str = "model.py";

/// Writes `model.safetensors` and `model.py` for `model` into the folder `out`
/// (created if missing); returns the files written.
pub fn export_pytorch(model: &ExportedModel, out: &Path) -> Result<Vec<PathBuf>, ExportError> {
    let version = env!("CARGO_PKG_VERSION");
    let net = &model.network;
    let metadata = HashMap::from([
        ("format".to_string(), "pt".to_string()),
        ("producer".to_string(), format!("mnist-tui {version}")),
        ("run".to_string(), model.run_id.clone()),
        ("model".to_string(), net.name().to_string()),
        ("layers".to_string(), net.def().layers.to_string()),
    ]);
    let weights = out.join(WEIGHTS_FILE);
    let bytes =
        torch_state_bytes(&net.torch_state(), metadata).map_err(|problem| ExportError::Encode {
            path: weights.clone(),
            problem,
        })?;
    super::error::create_dir(out)?;
    super::error::write(&weights, &bytes)?;
    let module = out.join(MODULE_FILE);
    super::error::write(
        &module,
        module_source(model, WEIGHTS_FILE, version).as_bytes(),
    )?;
    Ok(vec![weights, module])
}
