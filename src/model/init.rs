//! PyTorch-default initialisation, reproducible from a seed.

use rand::{Rng, SeedableRng, rngs::StdRng};

/// Draws `n` weights and `m` biases for a layer with `fan_in` inputs the way
/// PyTorch's `Linear`/`Conv2d` do: kaiming-uniform with a = √5 for weights, which
/// is U(±1/√fan_in), and U(±1/√fan_in) for biases.
pub(crate) fn pytorch_default(
    rng: &mut StdRng,
    fan_in: usize,
    n: usize,
    m: usize,
) -> (Vec<f32>, Vec<f32>) {
    let bound = 1.0 / (fan_in.max(1) as f32).sqrt();
    let mut draw =
        |len: usize| -> Vec<f32> { (0..len).map(|_| rng.gen_range(-bound..bound)).collect() };
    let w = draw(n);
    let b = draw(m);
    (w, b)
}

/// The random generator behind a network's initial weights.
pub(crate) fn rng_for(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_and_determinism() {
        let (w, b) = pytorch_default(&mut rng_for(1), 100, 1000, 10);
        assert!(w.iter().chain(&b).all(|v| v.abs() < 0.1));
        assert!(w.iter().any(|v| v.abs() > 0.09), "should fill the range");
        assert_eq!(pytorch_default(&mut rng_for(1), 100, 1000, 10).0, w);
        assert_ne!(pytorch_default(&mut rng_for(2), 100, 1000, 10).0, w);
    }
}
