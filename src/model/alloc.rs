//! Keeps glibc from handing the training step's big buffers back to the kernel.
//!
//! A training step allocates and frees the same multi-megabyte buffers (im2col
//! patches, activations, gradients) every batch. By default glibc serves blocks
//! over 128 KB–32 MB with fresh `mmap`s and trims freed heap tops, so every
//! batch pays page faults and page zeroing for them; on the `cnn` that was about a
//! third of the step time. Raising the mmap and trim thresholds makes the buffers
//! come back from the heap instead. Memory stays reserved by the process (bounded
//! by the largest step's working set).

/// Raises glibc's mmap and trim thresholds once per process; no-op elsewhere.
pub(crate) fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            unsafe extern "C" {
                fn mallopt(param: i32, value: i32) -> i32;
            }
            const M_TRIM_THRESHOLD: i32 = -1;
            const M_MMAP_THRESHOLD: i32 = -3;
            // SAFETY: `mallopt` is glibc's documented, thread-safe tuning call; these
            // two parameters only change when memory is returned to the kernel.
            // 32 MiB is the largest mmap threshold glibc accepts on 64-bit.
            unsafe {
                mallopt(M_MMAP_THRESHOLD, 32 << 20);
                mallopt(M_TRIM_THRESHOLD, 512 << 20);
            }
        });
    }
}
