//! The settings of a PyTorch optimiser state dict (`optimizer.state_dict()` saved with
//! `torch.save`, the tutorial's `optimizer.pkl`): which optimiser, its rate, momentum,
//! decay, β and ε, from its first parameter group. Its per-parameter state (momentum
//! buffers, Adam's moments) is not carried over: a resumed run starts them at zero,
//! and the import says so.

use std::path::Path;

use super::super::torch_file::{self, Value};
use super::{ImportError, bad, strip};
use crate::model::OptimizerKind;
use crate::train::TrainSettings;

/// What an optimiser state dict sets.
#[derive(Debug, Clone, PartialEq)]
pub struct OptimizerImport {
    /// SGD, Adam or AdamW.
    pub kind: OptimizerKind,
    /// The learning rate.
    pub lr: f64,
    /// SGD's momentum.
    pub momentum: f64,
    /// SGD's Nesterov flag.
    pub nesterov: bool,
    /// Weight decay.
    pub weight_decay: f64,
    /// Adam's β₁ and β₂.
    pub betas: Option<(f64, f64)>,
    /// Adam's ε.
    pub eps: Option<f64>,
    /// Parameters with saved state (momentum buffers, moments) left behind.
    pub dropped_state: usize,
}

/// `dict[key]` of a pickled dict with string keys.
fn get<'a>(dict: &'a [(Value, Value)], key: &str) -> Option<&'a Value> {
    dict.iter()
        .find(|(k, _)| matches!(k, Value::Str(s) if s == key))
        .map(|(_, v)| v)
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Float(f) => Some(*f),
        Value::Int(i) => Some(*i as f64),
        Value::Bool(b) => Some(f64::from(u8::from(*b))),
        _ => None,
    }
}

fn flag(v: Option<&Value>) -> bool {
    matches!(v, Some(Value::Bool(true)))
}

impl OptimizerImport {
    /// The settings of the optimiser state dict in `bytes` (the file `path`).
    pub fn read(path: &Path, bytes: &[u8]) -> Result<Self, ImportError> {
        let value = torch_file::read_torch_bytes(bytes, path)
            .map_err(|e| bad(path, strip(e.to_string(), path)))?;
        Self::from_value(&value).map_err(|problem| bad(path, problem))
    }

    /// The settings of an unpickled optimiser state dict.
    pub fn from_value(value: &Value) -> Result<Self, String> {
        let not_optimizer = || {
            "is not an optimizer state dict (a dict with 'state' and 'param_groups')".to_string()
        };
        let Value::Dict(top) = value else {
            return Err(not_optimizer());
        };
        let (Some(Value::Dict(state)), Some(Value::List(groups))) =
            (get(top, "state"), get(top, "param_groups"))
        else {
            return Err(not_optimizer());
        };
        let Some(Value::Dict(group)) = groups.first() else {
            return Err("has no parameter group".into());
        };
        if groups.len() > 1 {
            return Err(format!(
                "has {} parameter groups; one group (one rate for every layer) is read",
                groups.len()
            ));
        }
        let num = |key: &str| get(group, key).and_then(number);
        let lr = num("lr").ok_or("its parameter group has no learning rate 'lr'")?;
        for key in ["maximize", "amsgrad"] {
            if flag(get(group, key)) {
                return Err(format!(
                    "sets '{key}', which mnist-tui's optimisers do not do"
                ));
            }
        }
        let weight_decay = num("weight_decay").unwrap_or(0.0);
        let (kind, betas, eps) = match get(group, "betas") {
            Some(Value::Tuple(b) | Value::List(b)) => {
                let pair = match b.as_slice() {
                    [b1, b2] => number(b1).zip(number(b2)),
                    _ => None,
                };
                let pair = pair.ok_or("its 'betas' are not two numbers")?;
                // torch.optim.AdamW saves decoupled_weight_decay = True (2.x); older
                // versions saved no flag, so AdamW is told by it alone.
                let kind = if flag(get(group, "decoupled_weight_decay")) {
                    OptimizerKind::AdamW
                } else {
                    OptimizerKind::Adam
                };
                (kind, Some(pair), num("eps"))
            }
            _ => {
                if num("dampening").unwrap_or(0.0) != 0.0 {
                    return Err("sets SGD's 'dampening', which mnist-tui's SGD does not do".into());
                }
                (OptimizerKind::Sgd, None, None)
            }
        };
        Ok(OptimizerImport {
            kind,
            lr,
            momentum: num("momentum").unwrap_or(0.0),
            nesterov: flag(get(group, "nesterov")),
            weight_decay,
            betas,
            eps,
            dropped_state: state.len(),
        })
    }

    /// Sets these values in `settings`.
    pub fn apply(&self, settings: &mut TrainSettings) {
        settings.optimizer = self.kind;
        settings.lr = self.lr;
        settings.weight_decay = self.weight_decay;
        settings.momentum = self.momentum;
        settings.nesterov = self.nesterov;
        if let Some((b1, b2)) = self.betas {
            settings.beta1 = b1;
            settings.beta2 = b2;
        }
        if let Some(eps) = self.eps {
            settings.eps = eps;
        }
    }

    /// `SGD lr 0.8`, `Adam lr 0.001, state of 6 tensors not carried over`.
    pub fn describe(&self) -> String {
        let mut s = format!("{} lr {}", self.kind, self.lr);
        if self.momentum != 0.0 {
            s.push_str(&format!(", momentum {}", self.momentum));
        }
        if self.weight_decay != 0.0 {
            s.push_str(&format!(", weight decay {}", self.weight_decay));
        }
        if self.dropped_state > 0 {
            s.push_str(&format!(
                "; the state of {} parameters (momentum, moments) is not carried over",
                self.dropped_state
            ));
        }
        s
    }
}
