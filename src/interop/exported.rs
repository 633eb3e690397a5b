//! What the model exports start from: a run's network with the weights it keeps,
//! how its inputs are standardised and what its classes are called.

use crate::data::Norm;
use crate::model::{ModelError, Network};
use crate::runs::{RunRecord, RunStore};

/// A run's model, ready to export.
#[derive(Clone)]
pub struct ExportedModel {
    /// The network with the weights the run keeps for predicting.
    pub network: Network,
    /// The standardisation its inputs get after scaling to 0–1 (`None`: none).
    pub norm: Option<Norm>,
    /// The class names, in output order.
    pub classes: Vec<String>,
    /// The run it comes from.
    pub run_id: String,
}

impl ExportedModel {
    /// The model run `record` keeps (see [`RunStore::load_kept`]).
    pub fn from_run(store: &RunStore, record: &RunRecord) -> Result<Self, ModelError> {
        Ok(ExportedModel {
            network: store.load_kept(record)?,
            norm: record.config.normalize.then_some(record.dataset.norm),
            classes: record.dataset.classes.clone(),
            run_id: record.id.clone(),
        })
    }
}
