//! The parameters of a network, one entry per parameterised layer of its plan: a
//! dense or conv layer's weight matrix and bias, or a batch norm's scale, shift and
//! running statistics. Weight files name them as PyTorch does (`fc1.weight`,
//! `bn1.running_mean`, …).

use std::collections::HashMap;
use std::path::Path;

use dfdx::dtypes::Dtype;
use dfdx::tensor::{Cpu, Gradients};
use rand::rngs::StdRng;

use super::ModelError;
use super::init;
use super::net::plan::{ParamKind, ParamSpec};
use super::param::{Bias, Weight};
use super::weights;

/// Batch norm's running statistics (not trained: updated from each batch's, used
/// when predicting), as PyTorch keeps them.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Running {
    /// Running mean per channel (starts at 0).
    pub mean: Vec<f32>,
    /// Running (unbiased) variance per channel (starts at 1).
    pub var: Vec<f32>,
    /// Batches folded in (PyTorch's `num_batches_tracked`).
    pub batches: u64,
}

/// One parameterised layer's values (`f32` when training and predicting; `f64` in
/// the gradient checks).
#[derive(Debug, Clone)]
pub(crate) enum LayerParams<E: Dtype = f32> {
    /// `W` `(fan_in, out)` and `b` `(out,)`.
    Affine(Weight<E>, Bias<E>),
    /// Scale γ and shift β `(channels,)` and the running statistics.
    Norm(Bias<E>, Bias<E>, Running),
}

/// Metadata key of a batch norm's `num_batches_tracked` (a count, not a tensor of
/// floats).
fn batches_key(name: &str) -> String {
    format!("{name}.num_batches_tracked")
}

impl<E: Dtype> LayerParams<E> {
    /// The values as another float type (the gradient checks run in `f64`).
    #[cfg(test)]
    pub fn cast<F: Dtype>(&self, dev: &Cpu, to: fn(E) -> F) -> Result<LayerParams<F>, ModelError> {
        let conv = |v: &[E]| v.iter().map(|&x| to(x)).collect::<Vec<F>>();
        Ok(match self {
            LayerParams::Affine(w, b) => LayerParams::Affine(
                Weight::new(dev, conv(w.values()), w.shape())?,
                Bias::new(dev, conv(b.values()), b.shape())?,
            ),
            LayerParams::Norm(g, b, r) => LayerParams::Norm(
                Bias::new(dev, conv(g.values()), g.shape())?,
                Bias::new(dev, conv(b.values()), b.shape())?,
                r.clone(),
            ),
        })
    }

    /// The trained tensors' values for the optimiser (two per layer, in the order of
    /// [`tensor_names`]).
    pub fn values_mut(&mut self) -> [&mut [E]; 2] {
        match self {
            LayerParams::Affine(w, b) => [w.values_mut(), b.values_mut()],
            LayerParams::Norm(g, b, _) => [g.values_mut(), b.values_mut()],
        }
    }

    /// Takes the trained tensors' gradients out of `grads`.
    pub fn take_grads(&self, grads: &mut Gradients<E, Cpu>) -> Result<[Vec<E>; 2], ModelError> {
        Ok(match self {
            LayerParams::Affine(w, b) => [w.take_grad(grads)?, b.take_grad(grads)?],
            LayerParams::Norm(g, b, _) => [g.take_grad(grads)?, b.take_grad(grads)?],
        })
    }
}

impl LayerParams {
    /// Fresh values: PyTorch's default initialisation for dense and conv layers
    /// (drawn from `rng` in order), γ = 1 and β = 0 for batch norm.
    pub fn init(dev: &Cpu, spec: &ParamSpec, rng: &mut StdRng) -> Result<Self, ModelError> {
        match spec.kind {
            ParamKind::Affine { fan_in, out } => {
                let (w, b) = init::pytorch_default(rng, fan_in, fan_in * out, out);
                Self::affine(dev, fan_in, out, w, b)
            }
            ParamKind::Norm { channels } => Self::norm(
                dev,
                vec![1.0; channels],
                vec![0.0; channels],
                Running {
                    mean: vec![0.0; channels],
                    var: vec![1.0; channels],
                    batches: 0,
                },
            ),
        }
    }

    pub(crate) fn affine(
        dev: &Cpu,
        fan_in: usize,
        out: usize,
        w: Vec<f32>,
        b: Vec<f32>,
    ) -> Result<Self, ModelError> {
        Ok(LayerParams::Affine(
            Weight::new(dev, w, (fan_in, out))?,
            Bias::new(dev, b, (out,))?,
        ))
    }

    pub(crate) fn norm(
        dev: &Cpu,
        gamma: Vec<f32>,
        beta: Vec<f32>,
        running: Running,
    ) -> Result<Self, ModelError> {
        let c = gamma.len();
        Ok(LayerParams::Norm(
            Bias::new(dev, gamma, (c,))?,
            Bias::new(dev, beta, (c,))?,
            running,
        ))
    }

    /// A copy sharing nothing with this one.
    pub fn deep_copy(&self, dev: &Cpu) -> Result<Self, ModelError> {
        Ok(match self {
            LayerParams::Affine(w, b) => LayerParams::Affine(w.deep_copy(dev)?, b.deep_copy(dev)?),
            LayerParams::Norm(g, b, r) => {
                LayerParams::Norm(g.deep_copy(dev)?, b.deep_copy(dev)?, r.clone())
            }
        })
    }

    /// Appends this layer's tensors to a weights file's list.
    pub fn save_into<'a>(
        &'a self,
        spec: &ParamSpec,
        tensors: &mut Vec<weights::Named<'a>>,
        meta: &mut HashMap<String, String>,
    ) {
        let name = &spec.name;
        let mut push = |suffix: &str, shape: Vec<usize>, values: &'a [f32]| {
            tensors.push(weights::Named {
                name: format!("{name}.{suffix}"),
                shape,
                values,
            })
        };
        match (self, spec.kind) {
            (LayerParams::Affine(w, b), ParamKind::Affine { fan_in, out }) => {
                push("weight", vec![fan_in, out], w.values());
                push("bias", vec![out], b.values());
            }
            (LayerParams::Norm(g, b, r), ParamKind::Norm { channels }) => {
                push("weight", vec![channels], g.values());
                push("bias", vec![channels], b.values());
                push("running_mean", vec![channels], &r.mean);
                push("running_var", vec![channels], &r.var);
                meta.insert(batches_key(name), r.batches.to_string());
            }
            // Params are built from their specs: the kinds always agree.
            _ => {}
        }
    }

    /// This layer's tensors from a weights file, checked against `spec`.
    pub fn load(
        dev: &Cpu,
        spec: &ParamSpec,
        file: &mut weights::Loaded,
        path: &Path,
    ) -> Result<Self, ModelError> {
        let name = &spec.name;
        match spec.kind {
            ParamKind::Affine { fan_in, out } => {
                let w = file.take(path, &format!("{name}.weight"), &[fan_in, out])?;
                let b = file.take(path, &format!("{name}.bias"), &[out])?;
                Self::affine(dev, fan_in, out, w, b)
            }
            ParamKind::Norm { channels } => {
                let g = file.take(path, &format!("{name}.weight"), &[channels])?;
                let b = file.take(path, &format!("{name}.bias"), &[channels])?;
                let mean = file.take(path, &format!("{name}.running_mean"), &[channels])?;
                let var = file.take(path, &format!("{name}.running_var"), &[channels])?;
                if var.iter().any(|v| !(v.is_finite() && *v >= 0.0)) {
                    return Err(weights::bad(
                        path,
                        format!("{name}.running_var holds a negative or non-finite variance"),
                    ));
                }
                let batches = file.meta(path, &batches_key(name))?.parse().map_err(|_| {
                    weights::bad(
                        path,
                        format!("metadata '{}' is not a count", batches_key(name)),
                    )
                })?;
                Self::norm(dev, g, b, Running { mean, var, batches })
            }
        }
    }
}

/// The names and shapes of the trained tensors of `spec`, in optimiser order.
pub(crate) fn tensor_names(spec: &ParamSpec) -> [(String, Vec<usize>); 2] {
    let name = &spec.name;
    match spec.kind {
        ParamKind::Affine { fan_in, out } => [
            (format!("{name}.weight"), vec![fan_in, out]),
            (format!("{name}.bias"), vec![out]),
        ],
        ParamKind::Norm { channels } => [
            (format!("{name}.weight"), vec![channels]),
            (format!("{name}.bias"), vec![channels]),
        ],
    }
}
