//! ReLU with PyTorch's NaN behaviour. dfdx's `relu` is `max(x, 0)`, which turns NaN
//! into 0 and would hide a diverged network (a NaN weight would just look like a
//! dead unit); this one lets NaN through, as `torch.relu` does, so a diverged run
//! reports a NaN loss.

use dfdx::dtypes::Dtype;
use dfdx::shapes::HasShape;
use dfdx::tensor::{Cpu, PutTape, SplitTape, Tape, Tensor, TensorFromVec};

use super::ModelError;

/// `x` where `x > 0` or `x` is NaN, else 0; the gradient passes where the output
/// is not zeroed.
pub(crate) fn relu<E: Dtype, T: Tape<E, Cpu>>(
    x: Tensor<(usize, usize), E, Cpu, T>,
) -> Result<Tensor<(usize, usize), E, Cpu, T>, ModelError> {
    let shape = *x.shape();
    let mut ys = vec![E::default(); shape.0 * shape.1];
    x.copy_into(&mut ys);
    let zero = E::default();
    // `!(v <= 0)` is true for positive values and for NaN.
    let keep: Vec<bool> = ys.iter().map(|v| !(*v <= zero)).collect();
    for (y, &k) in ys.iter_mut().zip(&keep) {
        if !k {
            *y = zero;
        }
    }
    let out = x
        .device()
        .clone()
        .try_tensor_from_vec(ys, shape)
        .map_err(|e| ModelError::BadInput(format!("relu: {e:?}")))?;
    let (x, mut tape) = x.split_tape();
    let x_ghost = x.ghost();
    let out_ghost = out.ghost();
    tape.add_backward_op(move |grads| {
        // Only this op reads its output's gradient, after all consumers wrote it.
        let g_out: Vec<E> = std::mem::take(&mut **grads.get_or_alloc_mut(&out_ghost)?);
        let g_x = grads.get_or_alloc_mut(&x_ghost)?;
        for ((gx, go), &k) in g_x.iter_mut().zip(g_out).zip(&keep) {
            if k {
                *gx += go;
            }
        }
        Ok(())
    });
    Ok(out.put_tape(tape))
}

#[cfg(test)]
mod tests {
    use super::*;
    use dfdx::prelude::*;

    #[test]
    fn values_gradients_and_nan() {
        let dev: Cpu = Default::default();
        let x = dev.tensor_from_vec(vec![-1.0f64, 0.0, 2.0, 3.0], (2, 2));
        let w = dev.tensor_from_vec(vec![10.0f64, 20.0, 30.0, 40.0], (2, 2));
        let y = super::relu(x.leaky_trace()).unwrap();
        assert_eq!(y.as_vec(), vec![0.0, 0.0, 2.0, 3.0]);
        let g = (y * w).sum::<Rank0, _>().backward();
        assert_eq!(g.get(&x).as_vec(), vec![0.0, 0.0, 30.0, 40.0]);

        let nan = dev.tensor_from_vec(vec![f32::NAN, -1.0], (1, 2));
        let y = super::relu(nan).unwrap().as_vec();
        assert!(y[0].is_nan() && y[1] == 0.0);
    }
}
