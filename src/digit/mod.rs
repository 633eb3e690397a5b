//! Custom digit images: MNIST-style preprocessing and ASCII rendering.
