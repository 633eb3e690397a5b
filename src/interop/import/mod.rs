//! `mnist-tui import`: a model trained elsewhere made into a run. The weights come
//! from a PyTorch checkpoint (`torch.save(model.state_dict(), …)`, the tutorial's
//! `model.pkl`) or a safetensors state dict, in PyTorch's names and layouts; the
//! network is the one given, or the one known network whose tensors they fit. The
//! run is saved at epoch 0 with status `imported`, its test figures computed here,
//! and it resumes like any run (with the optimiser settings of an `optimizer.pkl`, if
//! one is given). It has no validation figures: the weights may have been trained on
//! our validation images.

mod optimizer;

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::torch_file;
use crate::data::LoadedDataset;
use crate::model::{
    CheckpointTag, Learner, Network, NetworkDef, TorchData, TorchTensor, known_networks,
    read_torch_state,
};
use crate::runs::{ImportSource, ImportedFile, RunRecord, RunStatus, RunStore};
use crate::train::trainer::{input_norm, split_of, test_summary};
use crate::train::{KeepWeights, TrainSettings};

pub use optimizer::OptimizerImport;

/// The largest file imported (a checkpoint of the biggest network we can express is
/// far smaller).
pub const MAX_IMPORT_BYTES: u64 = 512 << 20;

/// An import that failed; always says which file and why.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file could not be read, or is not what it should be.
    #[error("{path}: {problem}")]
    BadFile {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// The run could not be made or saved.
    #[error("cannot save the imported run: {0}")]
    Save(String),
}

fn bad(path: &Path, problem: impl Into<String>) -> ImportError {
    ImportError::BadFile {
        path: path.to_path_buf(),
        problem: problem.into(),
    }
}

/// What to import.
#[derive(Debug, Clone)]
pub struct ImportRequest {
    /// The weights: a PyTorch checkpoint or a safetensors state dict.
    pub weights: PathBuf,
    /// The network they are for (`None`: the one known network they fit).
    pub network: Option<NetworkDef>,
    /// A PyTorch optimiser state dict (`optimizer.pkl`) whose settings the run takes.
    pub optimizer: Option<PathBuf>,
}

/// A file's bytes (at most [`MAX_IMPORT_BYTES`]) and its record entry.
fn read_file(path: &Path) -> Result<(Vec<u8>, String), ImportError> {
    let bytes = crate::fsutil::read_capped(path, MAX_IMPORT_BYTES).map_err(|e| {
        if e.kind() == std::io::ErrorKind::InvalidData {
            bad(path, format!("is larger than {MAX_IMPORT_BYTES} bytes"))
        } else {
            bad(path, format!("cannot read: {e}"))
        }
    })?;
    let sha = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok((bytes, sha))
}

/// The path a record keeps of an imported file: absolute when it can be, so that it
/// still names the file when read from elsewhere.
fn shown_path(path: &Path) -> String {
    std::fs::canonicalize(path)
        .unwrap_or_else(|_| path.to_path_buf())
        .display()
        .to_string()
}

/// Whether `bytes` are a zip archive (PyTorch's checkpoint format since 1.6).
fn is_zip(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
}

/// The tensors of a state dict file and what kind of file it was.
fn read_state_dict(
    path: &Path,
    bytes: &[u8],
) -> Result<(Vec<TorchTensor>, &'static str), ImportError> {
    if is_zip(bytes) {
        let reading = |e: torch_file::TorchFileError| bad(path, strip(e.to_string(), path));
        let value = torch_file::read_torch_bytes(bytes, path).map_err(reading)?;
        let tensors = torch_file::state_dict(value, path)
            .map_err(reading)?
            .into_iter()
            .map(|(name, t)| TorchTensor {
                name,
                shape: t.shape,
                data: match t.data {
                    torch_file::TensorData::F32(v) => TorchData::F32(v),
                    torch_file::TensorData::I64(v) => TorchData::I64(v),
                },
            })
            .collect();
        Ok((tensors, "PyTorch checkpoint"))
    } else {
        let tensors = read_torch_state(path).map_err(|e| bad(path, strip(e.to_string(), path)))?;
        Ok((tensors, "safetensors state dict"))
    }
}

/// An error message without the file name its reader already put in front (ours
/// adds it once).
fn strip(message: String, path: &Path) -> String {
    let prefix = format!("{}: ", path.display());
    message
        .strip_prefix(&prefix)
        .map(str::to_string)
        .unwrap_or(message)
}

/// The network `tensors` are for: `given`, checked by loading them, or else the one
/// known network (presets, config.ron's, --network files) they fit exactly.
fn network_for(
    tensors: &[TorchTensor],
    given: Option<&NetworkDef>,
    classes: usize,
    path: &Path,
) -> Result<Network, ImportError> {
    if let Some(def) = given {
        return Network::from_torch_state(def, classes, tensors.to_vec(), path)
            .map_err(|e| bad(path, strip(e.to_string(), path)));
    }
    let fits: Vec<Network> = known_networks()
        .into_iter()
        .filter_map(|k| Network::from_torch_state(&k.def, classes, tensors.to_vec(), path).ok())
        .collect();
    match fits.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(bad(
            path,
            format!(
                "its tensors ({}) fit no known network for {classes} classes; give its \
                 layers with --model NAME (a network of config.ron or a --network file)",
                describe(tensors)
            ),
        )),
        many => Err(bad(
            path,
            format!(
                "its tensors fit several networks ({}); choose one with --model NAME",
                many.iter()
                    .map(|n| n.name().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
}

/// `fc1.weight [256, 784], fc1.bias [256], …` (the first few).
fn describe(tensors: &[TorchTensor]) -> String {
    const SHOWN: usize = 6;
    let mut parts: Vec<String> = tensors
        .iter()
        .take(SHOWN)
        .map(|t| format!("{} {:?}", t.name, t.shape))
        .collect();
    if tensors.len() > SHOWN {
        parts.push(format!("and {} more", tensors.len() - SHOWN));
    }
    parts.join(", ")
}

/// Imports `request` as a new run of `store`, scored on the test images of `data`
/// (the dataset the model is for). Returns the saved record.
pub fn import_run(
    store: &RunStore,
    data: &LoadedDataset,
    request: &ImportRequest,
) -> Result<RunRecord, ImportError> {
    let path = &request.weights;
    let (bytes, sha256) = read_file(path)?;
    let (tensors, format) = read_state_dict(path, &bytes)?;
    drop(bytes);
    let classes = data.info.class_count();
    let network = network_for(&tensors, request.network.as_ref(), classes, path)?;
    let mut settings = TrainSettings::defaults_for(network.def(), &data.info.name);
    // It may have trained on any training image: resuming trains on them all, and
    // keeps the last epoch (there is nothing to choose by).
    settings.validation = 0;
    settings.keep = KeepWeights::Last;
    settings.model = network.name().clone();
    settings.layers = network.def().layers.clone();
    let optimizer = match &request.optimizer {
        Some(opt_path) => {
            let (opt_bytes, opt_sha) = read_file(opt_path)?;
            let imported = OptimizerImport::read(opt_path, &opt_bytes)?;
            imported.apply(&mut settings);
            Some(ImportedFile {
                path: shown_path(opt_path),
                sha256: opt_sha,
                format: format!("PyTorch optimizer state ({})", imported.describe()),
            })
        }
        None => None,
    };
    settings
        .validate()
        .map_err(|e| bad(path, format!("its settings are not valid here: {e}")))?;
    let now = OffsetDateTime::now_utc();
    let id = store
        .create_run_dir(&settings.model, now)
        .map_err(|e| ImportError::Save(e.to_string()))?;
    let saved = save_run(
        store,
        data,
        &id,
        settings,
        network,
        now,
        ImportSource {
            weights: ImportedFile {
                path: path.display().to_string(),
                sha256,
                format: format.to_string(),
            },
            optimizer,
        },
    );
    if saved.is_err() {
        let _ = store.delete(&id);
    }
    saved
}

/// Writes the new run `id`: weights and a fresh optimiser state as its epoch-0
/// checkpoint, then its record with the test figures.
fn save_run(
    store: &RunStore,
    data: &LoadedDataset,
    id: &str,
    settings: TrainSettings,
    network: Network,
    now: OffsetDateTime,
    source: ImportSource,
) -> Result<RunRecord, ImportError> {
    let save = |e: String| ImportError::Save(e);
    let _lock = store.lock(id).map_err(|e| save(e.to_string()))?;
    let mut record = RunRecord::new(id.to_string(), settings, now);
    record.dataset = data.info.clone();
    record.status = RunStatus::Imported;
    record.ended_at = Some(now);
    record.params = network.param_count();
    record.imported = Some(source);
    let split = split_of(&record, data).map_err(save)?;
    record.train_size = split.train.len();
    record.val_size = 0;
    record.test_size = split.test.len();
    record.summary =
        Some(test_summary(&network, data, &split.test, input_norm(&record), 0, 0.0).map_err(save)?);
    let tag = Some(CheckpointTag { epoch: 0, step: 0 });
    network
        .save_tagged(&store.weights_path(id), tag)
        .map_err(|e| save(e.to_string()))?;
    let learner = Learner::new(network, record.config.optimizer_settings());
    learner
        .save_optimizer_tagged(&store.optimizer_path(id), tag)
        .map_err(|e| save(e.to_string()))?;
    store
        .save_record(&record)
        .map_err(|e| save(e.to_string()))?;
    Ok(record)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Preset, network_named};

    fn golden(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/golden/torch")
            .join(name)
    }

    /// The tutorial's `model.pkl`, written by PyTorch 2.15's `torch.save`
    /// (`scripts/golden/torch_checkpoint.py`), predicts what PyTorch predicted
    /// (`scripts/golden/torch_outputs.py`), and its network is found by its tensors.
    #[test]
    fn the_tutorials_checkpoint_gives_pytorchs_outputs() {
        let path = golden("model.pkl");
        let (bytes, sha) = read_file(&path).expect("reads");
        assert_eq!(sha.len(), 64);
        let (tensors, kind) = read_state_dict(&path, &bytes).expect("a state dict");
        assert_eq!(kind, "PyTorch checkpoint");
        let net = network_for(&tensors, None, 10, &path).expect("fits a known network");
        assert_eq!(net.name().as_str(), Preset::TutorialMlp.name());
        let worst = crate::model::golden_gap(&net, &golden("model.outputs.safetensors"));
        assert!(worst < 1e-5, "logits differ by {worst}");
    }

    #[test]
    fn a_checkpoint_for_another_network_names_what_does_not_fit() {
        let path = golden("model.pkl");
        let (bytes, _) = read_file(&path).expect("reads");
        let (tensors, _) = read_state_dict(&path, &bytes).expect("a state dict");
        let lenet = network_named("lenet").expect("lenet");
        let e = network_for(&tensors, Some(&lenet), 10, &path)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("model.pkl: has no tensor 'conv1.weight'"), "{e}");
        // 26 classes: nothing known fits; the error lists the tensors.
        let e = network_for(&tensors, None, 26, &path)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            e.contains("linear1.weight [256, 784]") && e.contains("--model NAME"),
            "{e}"
        );
    }

    #[test]
    fn the_optimizers_settings_are_read_and_its_state_is_said_to_be_left() {
        let path = golden("optimizer.pkl");
        let (bytes, _) = read_file(&path).expect("reads");
        let opt = OptimizerImport::read(&path, &bytes).expect("an optimizer");
        assert_eq!(opt.kind, crate::model::OptimizerKind::Sgd);
        assert_eq!((opt.lr, opt.momentum, opt.nesterov), (0.8, 0.9, false));
        assert_eq!(opt.dropped_state, 6);
        assert!(
            opt.describe().contains("not carried over"),
            "{}",
            opt.describe()
        );
        // A model's state dict is not an optimiser's.
        let model = golden("model.pkl");
        let (bytes, _) = read_file(&model).expect("reads");
        let e = OptimizerImport::read(&model, &bytes)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("is not an optimizer state dict"), "{e}");
    }
}
