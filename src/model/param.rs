//! A trainable parameter: its values in a plain shared buffer, and a dfdx tensor of
//! its shape that is its identity on the tape.
//!
//! dfdx keeps a tensor's storage private: code outside the crate can only copy it
//! out (`copy_into`) or in (`copy_from`). The ops of this module read weights on
//! every forward pass and the optimiser rewrites them every step, so the values
//! live here, readable without a copy by every thread of a split batch, and
//! updated in place. The `key` tensor never holds the values: it only names the
//! parameter, so that each op accumulates the parameter's gradient into dfdx's
//! [`Gradients`] under the key's id, where the optimiser finds it.

use std::sync::Arc;

use dfdx::dtypes::Dtype;
use dfdx::shapes::{HasShape, Shape};
use dfdx::tensor::{Cpu, Gradients, Tensor, ZerosTensor};

use super::ModelError;

/// A parameter of shape `S`: values and tape identity. Cheap to clone (the values
/// are shared until one clone is written).
#[derive(Clone, Debug)]
pub(crate) struct Param<S: Shape, E: Dtype> {
    values: Arc<Vec<E>>,
    key: Tensor<S, E, Cpu>,
}

/// A weight matrix `(fan_in, out)`; conv kernels are `(k·k·cin, cout)`.
pub(crate) type Weight<E> = Param<(usize, usize), E>;
/// A bias vector `(out,)`.
pub(crate) type Bias<E> = Param<(usize,), E>;

impl<S: Shape, E: Dtype> Param<S, E> {
    /// A parameter of `shape` holding `values` (one per element of the shape).
    pub fn new(dev: &Cpu, values: Vec<E>, shape: S) -> Result<Self, ModelError> {
        if values.len() != shape.num_elements() {
            return Err(ModelError::BadInput(format!(
                "{} values for a parameter of shape {:?}",
                values.len(),
                shape.concrete()
            )));
        }
        let key = dev
            .try_zeros_like(&shape)
            .map_err(|e| ModelError::BadInput(format!("parameter allocation failed: {e:?}")))?;
        Ok(Param {
            values: Arc::new(values),
            key,
        })
    }

    /// A copy that shares nothing with `self`: its own values buffer and its own tape
    /// identity (a fresh key tensor), so the two can be trained apart, even at once.
    pub fn deep_copy(&self, dev: &Cpu) -> Result<Self, ModelError> {
        Param::new(dev, self.values.to_vec(), self.shape())
    }

    /// The values, row-major.
    pub fn values(&self) -> &[E] {
        &self.values
    }

    /// A shared handle on the values (for a backward pass to read them later).
    pub fn shared(&self) -> Arc<Vec<E>> {
        Arc::clone(&self.values)
    }

    /// The values for writing (copied first only if another clone still reads them).
    pub fn values_mut(&mut self) -> &mut [E] {
        let values: &mut Vec<E> = Arc::make_mut(&mut self.values);
        values
    }

    /// The shape.
    pub fn shape(&self) -> S {
        *self.key.shape()
    }

    /// The tensor this parameter's gradient is recorded under.
    pub fn key(&self) -> &Tensor<S, E, Cpu> {
        &self.key
    }

    /// This parameter's gradient in `grads` (zeros if no op wrote one).
    #[cfg(test)]
    pub fn grad_mut<'g>(
        &self,
        grads: &'g mut Gradients<E, Cpu>,
    ) -> Result<&'g mut [E], ModelError> {
        grads
            .get_or_alloc_mut(&self.key)
            .map(|v| &mut v[..])
            .map_err(|e| ModelError::BadInput(format!("gradient allocation failed: {e:?}")))
    }

    /// Takes this parameter's gradient out of `grads` (zeros if no op wrote one).
    pub fn take_grad(&self, grads: &mut Gradients<E, Cpu>) -> Result<Vec<E>, ModelError> {
        let g = grads
            .get_or_alloc_mut(&self.key)
            .map_err(|e| ModelError::BadInput(format!("gradient allocation failed: {e:?}")))?;
        Ok(std::mem::take(&mut **g))
    }
}
