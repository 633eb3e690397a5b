//! Elementwise activations as one op on dfdx's tape each: ReLU, LeakyReLU, tanh,
//! sigmoid and GELU, with PyTorch's definitions (and its NaN behaviour: NaN in,
//! NaN out, ReLU included).
//!
//! Each op keeps only what its backward pass needs: for ReLU which values passed,
//! for LeakyReLU which inputs were positive (the two derivatives are 1 and the
//! slope), for tanh and sigmoid the output (`1 − y²` and `y·(1 − y)`), for GELU the
//! input (`Φ(x) + x·φ(x)`). Inference (no tape) keeps no copy of the output.
//!
//! The element type is only known to be a dfdx `Dtype`, so transcendental
//! functions are evaluated in `f64` and rounded back; GELU's `erf` comes from
//! `libm`. The derivatives of tanh and sigmoid are computed in the element type
//! from the rounded output, as PyTorch does.

use dfdx::dtypes::Dtype;
use dfdx::shapes::HasShape;
use dfdx::tensor::{Cpu, Tape, Tensor};

use super::ModelError;
use super::linear::relu_in_place;
use super::unary::{record, values};

/// An elementwise activation function.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Activation {
    /// `max(x, 0)`, NaN passing through (PyTorch's `ReLU`; see [`relu_in_place`]).
    Relu,
    /// `x` where `x > 0`, else `slope·x` (PyTorch's `LeakyReLU(negative_slope)`).
    /// The slope must be finite.
    LeakyRelu(f64),
    /// `tanh(x)`.
    Tanh,
    /// `1 / (1 + e^−x)`.
    Sigmoid,
    /// `x·Φ(x) = 0.5·x·(1 + erf(x/√2))`: PyTorch's `GELU()` (exact, not the tanh
    /// approximation).
    Gelu,
}

/// `act(x)` elementwise for `x` `(batch, features)`: same shape, one op on the tape.
pub(crate) fn activation<E: Dtype, T: Tape<E, Cpu>>(
    x: Tensor<(usize, usize), E, Cpu, T>,
    act: Activation,
) -> Result<Tensor<(usize, usize), E, Cpu, T>, ModelError> {
    let width = x.shape().1;
    let mut xs = values(&x);
    match act {
        Activation::Relu => {
            let pass = relu_in_place(&mut xs);
            record(x, xs, width, "relu", move |dy, g_x| {
                for ((g, &d), &p) in g_x.iter_mut().zip(dy).zip(&pass) {
                    if p {
                        *g += d;
                    }
                }
            })
        }
        Activation::LeakyRelu(slope) => {
            if !slope.is_finite() {
                return Err(ModelError::BadInput(format!(
                    "leaky relu: slope {slope} is not a finite number"
                )));
            }
            let s: E = from_f64(slope);
            let zero = E::default();
            let positive: Vec<bool> = xs
                .iter_mut()
                .map(|v| {
                    let p = *v > zero;
                    if !p {
                        *v *= s;
                    }
                    p
                })
                .collect();
            record(x, xs, width, "leaky relu", move |dy, g_x| {
                for ((g, &d), &p) in g_x.iter_mut().zip(dy).zip(&positive) {
                    *g += if p { d } else { d * s };
                }
            })
        }
        Activation::Tanh => {
            xs.iter_mut().for_each(|v| *v = from_f64(to_f64(*v).tanh()));
            let ys = kept::<E, T>(&xs);
            record(x, xs, width, "tanh", move |dy, g_x| {
                for ((g, &d), &y) in g_x.iter_mut().zip(dy).zip(&ys) {
                    *g += d * (E::ONE - y * y);
                }
            })
        }
        Activation::Sigmoid => {
            xs.iter_mut()
                .for_each(|v| *v = from_f64(1.0 / (1.0 + (-to_f64(*v)).exp())));
            let ys = kept::<E, T>(&xs);
            record(x, xs, width, "sigmoid", move |dy, g_x| {
                for ((g, &d), &y) in g_x.iter_mut().zip(dy).zip(&ys) {
                    *g += d * (E::ONE - y) * y;
                }
            })
        }
        Activation::Gelu => {
            let ys = xs.iter().map(|&v| from_f64(gelu(to_f64(v)))).collect();
            record(x, ys, width, "gelu", move |dy, g_x| {
                for ((g, &d), &v) in g_x.iter_mut().zip(dy).zip(&xs) {
                    *g += d * from_f64(gelu_grad(to_f64(v)));
                }
            })
        }
    }
}

/// A copy of `ys` for the backward pass, or nothing when there is no tape to run one.
fn kept<E: Dtype, T: Tape<E, Cpu>>(ys: &[E]) -> Vec<E> {
    if T::OWNS_TAPE {
        ys.to_vec()
    } else {
        Vec::new()
    }
}

/// `v` as an `f64` (exact for the float types; NaN for a value that has none).
fn to_f64<E: Dtype>(v: E) -> f64 {
    v.to_f64().unwrap_or(f64::NAN)
}

/// `v` rounded to `E` (the float types always have one; others get 0 for NaN).
fn from_f64<E: Dtype>(v: f64) -> E {
    E::from_f64(v).unwrap_or_default()
}

/// `0.5·x·(1 + erf(x/√2))`, PyTorch's exact GELU.
fn gelu(x: f64) -> f64 {
    0.5 * x * (1.0 + libm::erf(x * std::f64::consts::FRAC_1_SQRT_2))
}

/// GELU's derivative: `Φ(x) + x·φ(x)`, the normal CDF and density.
fn gelu_grad(x: f64) -> f64 {
    use std::f64::consts::{FRAC_1_SQRT_2, FRAC_2_SQRT_PI};
    let cdf = 0.5 * (1.0 + libm::erf(x * FRAC_1_SQRT_2));
    // 1/√(2π), spelled as PyTorch's kernel does.
    let pdf = FRAC_2_SQRT_PI * FRAC_1_SQRT_2 * 0.5 * (-0.5 * x * x).exp();
    cdf + x * pdf
}

#[cfg(test)]
mod tests {
    use super::*;
    use dfdx::prelude::*;
    use rand::{Rng, SeedableRng, rngs::StdRng};

    const ALL: [Activation; 6] = [
        Activation::Relu,
        Activation::LeakyRelu(0.01),
        Activation::LeakyRelu(-0.3),
        Activation::Tanh,
        Activation::Sigmoid,
        Activation::Gelu,
    ];

    /// The activation of one value, written from its textbook definition.
    fn naive(v: f64, act: Activation) -> f64 {
        match act {
            Activation::Relu => {
                if v.is_nan() || v > 0.0 {
                    v
                } else {
                    0.0
                }
            }
            Activation::LeakyRelu(s) => {
                if v > 0.0 {
                    v
                } else {
                    s * v
                }
            }
            Activation::Tanh => {
                let (a, b) = (v.exp(), (-v).exp());
                (a - b) / (a + b)
            }
            Activation::Sigmoid => 1.0 / (1.0 + (-v).exp()),
            Activation::Gelu => 0.5 * v * (1.0 + libm::erf(v / 2f64.sqrt())),
        }
    }

    /// Values in ±3, none within 0.05 of ReLU's and LeakyReLU's kink.
    fn away_from_zero(rng: &mut StdRng, n: usize) -> Vec<f64> {
        (0..n)
            .map(|_| {
                let v: f64 = rng.gen_range(0.05..3.0);
                if rng.gen_bool(0.5) { v } else { -v }
            })
            .collect()
    }

    #[test]
    fn matches_naive_forward_and_finite_differences() {
        let dev: Cpu = Default::default();
        let mut rng = StdRng::seed_from_u64(21);
        let (m, n) = (5, 7);
        for act in ALL {
            let x = away_from_zero(&mut rng, m * n);
            let r: Vec<f64> = (0..m * n).map(|_| rng.gen_range(-1.0..1.0)).collect();
            let xt = dev.tensor_from_vec(x.clone(), (m, n));
            let rt = dev.tensor_from_vec(r.clone(), (m, n));
            let y = activation(xt.leaky_trace(), act).unwrap();
            assert_eq!(*y.shape(), (m, n));
            for (a, &v) in y.as_vec().iter().zip(&x) {
                assert!((a - naive(v, act)).abs() < 1e-14, "{act:?}({v}): {a}");
            }
            let grads = (y * rt).sum().backward();
            let gx = grads.get(&xt).as_vec();
            let loss =
                |x: &[f64]| -> f64 { x.iter().zip(&r).map(|(&v, r)| naive(v, act) * r).sum() };
            let eps = 1e-6;
            for i in 0..x.len() {
                let (mut p, mut q) = (x.clone(), x.clone());
                p[i] += eps;
                q[i] -= eps;
                let fd = (loss(&p) - loss(&q)) / (2.0 * eps);
                assert!(
                    (fd - gx[i]).abs() < 1e-8,
                    "{act:?} dx[{i}]: {fd} vs {}",
                    gx[i]
                );
            }
        }
    }

    #[test]
    fn agrees_with_dfdx_on_f32() {
        // dfdx's own ReLU, tanh, sigmoid and exact GELU: values, and gradients but
        // GELU's (dfdx 0.13's `accurate_gelu` backward drops the 1/√2 of erf(x/√2)'s
        // derivative; the finite differences above check ours).
        let dev: Cpu = Default::default();
        let mut rng = StdRng::seed_from_u64(22);
        let x: Vec<f32> = (0..40).map(|_| rng.gen_range(-4.0..4.0)).collect();
        let r: Vec<f32> = (0..40).map(|_| rng.gen_range(-1.0..1.0)).collect();
        let xt = dev.tensor_from_vec(x, (8, 5));
        let rt = dev.tensor_from_vec(r, (8, 5));
        type F = fn(
            Tensor<(usize, usize), f32, Cpu, OwnedTape<f32, Cpu>>,
        ) -> Tensor<(usize, usize), f32, Cpu, OwnedTape<f32, Cpu>>;
        let theirs: [(Activation, F); 4] = [
            (Activation::Relu, |t| t.relu()),
            (Activation::Tanh, |t| t.tanh()),
            (Activation::Sigmoid, |t| t.sigmoid()),
            (Activation::Gelu, |t| t.accurate_gelu()),
        ];
        for (act, f) in theirs {
            let mine = activation(xt.leaky_trace(), act).unwrap();
            let other = f(xt.leaky_trace());
            for (a, b) in mine.as_vec().iter().zip(other.as_vec()) {
                assert!((a - b).abs() < 1e-6, "{act:?}: {a} vs {b}");
            }
            if act == Activation::Gelu {
                continue;
            }
            let g1 = (mine * rt.clone()).sum().backward();
            let g2 = (other * rt.clone()).sum().backward();
            for (a, b) in g1.get(&xt).as_vec().iter().zip(g2.get(&xt).as_vec()) {
                assert!((a - b).abs() < 1e-5, "{act:?} grad: {a} vs {b}");
            }
        }
    }

    #[test]
    fn gelu_matches_pytorch() {
        // torch.nn.functional.gelu(torch.tensor([...], dtype=torch.float64)).
        let dev: Cpu = Default::default();
        let cases: [(f64, f64); 3] = [
            (1.0, 0.8413447460685429),
            (-1.0, -0.15865525393145707),
            (0.5, 0.34573123063700656),
        ];
        let x = dev.tensor_from_vec(cases.map(|c| c.0).to_vec(), (1, 3));
        let y = activation(x, Activation::Gelu).unwrap().as_vec();
        for (got, (v, want)) in y.iter().zip(cases) {
            assert!((got - want).abs() < 1e-15, "gelu({v}) = {got}, want {want}");
        }
        let x = dev.tensor_from_vec(cases.map(|c| c.0 as f32).to_vec(), (1, 3));
        let y = activation(x, Activation::Gelu).unwrap().as_vec();
        for (got, (_, want)) in y.iter().zip(cases) {
            assert_eq!(*got, want as f32);
        }
        // GELU'(0) = ½, GELU'(1) = Φ(1) + φ(1).
        assert_eq!(gelu_grad(0.0), 0.5);
        assert!((gelu_grad(1.0) - (0.8413447460685429 + 0.24197072451914337)).abs() < 1e-15);
    }

    #[test]
    fn nan_passes_and_extremes_saturate() {
        let dev: Cpu = Default::default();
        for act in ALL {
            let x = dev.tensor_from_vec(vec![f32::NAN, 1.0], (1, 2));
            let y = activation(x, act).unwrap().as_vec();
            assert!(y[0].is_nan(), "{act:?}");
        }
        let x = dev.tensor_from_vec(vec![-1000.0f64, 1000.0, -0.0], (1, 3));
        assert_eq!(
            activation(x.clone(), Activation::Sigmoid).unwrap().as_vec(),
            vec![0.0, 1.0, 0.5]
        );
        assert_eq!(
            activation(x.clone(), Activation::Tanh).unwrap().as_vec()[..2],
            [-1.0, 1.0]
        );
        assert_eq!(
            activation(x, Activation::Relu).unwrap().as_vec(),
            vec![0.0, 1000.0, 0.0]
        );
    }

    #[test]
    fn relu_gradient_passes_where_relu_in_place_keeps() {
        let dev: Cpu = Default::default();
        let xt = dev.tensor_from_vec(vec![-1.0f32, 0.0, 2.0, f32::NAN], (2, 2));
        let y = activation(xt.leaky_trace(), Activation::Relu).unwrap();
        let grads = y.sum().backward();
        assert_eq!(grads.get(&xt).as_vec(), vec![0.0, 0.0, 1.0, 1.0]);
        // LeakyReLU: slope at and below zero, as PyTorch (`x > 0 ? 1 : slope`).
        let y = activation(xt.leaky_trace(), Activation::LeakyRelu(0.25)).unwrap();
        let grads = y.sum().backward();
        assert_eq!(grads.get(&xt).as_vec(), vec![0.25, 0.25, 1.0, 0.25]);
    }

    #[test]
    fn rejects_a_slope_that_is_not_a_number() {
        let dev: Cpu = Default::default();
        for slope in [f64::NAN, f64::INFINITY] {
            let x = dev.tensor_from_vec(vec![1.0f32], (1, 1));
            assert!(activation(x, Activation::LeakyRelu(slope)).is_err());
        }
    }
}
