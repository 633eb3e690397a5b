//! How this machine computes a training step, as far as a run's exact numbers depend
//! on it: the worker threads, the shards a batch is cut into (each shard sums its own
//! gradients, so the shard count changes the float summation order), and the CPU
//! features the kernels choose their code paths by.

use serde::{Deserialize, Serialize};

/// What a seeded run's exact numbers depend on besides its settings and the code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComputeProfile {
    /// Worker threads of a training step (the cores, or `RAYON_NUM_THREADS`).
    pub threads: usize,
    /// Shards a batch of the run's size is split into.
    pub shards: usize,
    /// The CPU features, among those the kernels dispatch on, that this CPU has.
    pub cpu_features: Vec<String>,
}

/// The CPU features whose presence changes which kernels run (ours check AVX2; the
/// `gemm` crate also FMA and AVX-512).
fn cpu_features() -> Vec<String> {
    #[cfg(target_arch = "x86_64")]
    {
        let mut found = Vec::new();
        if std::arch::is_x86_feature_detected!("avx2") {
            found.push("avx2".to_string());
        }
        if std::arch::is_x86_feature_detected!("fma") {
            found.push("fma".to_string());
        }
        if std::arch::is_x86_feature_detected!("avx512f") {
            found.push("avx512f".to_string());
        }
        found
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        Vec::new()
    }
}

/// This process's profile for batches of `batch_size` samples.
pub fn compute_profile(batch_size: usize) -> ComputeProfile {
    ComputeProfile {
        threads: super::parallel::threads(),
        shards: super::parallel::shard_count(batch_size),
        cpu_features: cpu_features(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_profile_counts_the_shards_a_batch_is_cut_into() {
        let p = compute_profile(64);
        assert_eq!(p.threads, rayon::current_num_threads().max(1));
        assert_eq!(p.shards, super::super::parallel::shard_count(64));
        assert!(p.shards >= 1 && p.shards <= p.threads);
        assert_eq!(compute_profile(1).shards, 1, "one sample is one shard");
    }
}
