//! The ONNX export of every preset and of user networks with batch norm, run by a
//! pure-Rust ONNX runtime (tract) on real MNIST test images: the same predictions as
//! ours, logits within 1e-4.

use mnist_tui::data::Norm;
use mnist_tui::interop::ExportedModel;
use mnist_tui::interop::onnx::onnx_bytes;
use mnist_tui::model::{IMAGE_PIXELS, Learner, Network, NetworkDef, Preset};
use tract_onnx::prelude::*;

/// Images in each check.
const IMAGES: usize = 300;

/// User networks: batch norm on maps (fused with ReLU and pooling, and alone), on
/// flattened maps and on features; every activation; pools; strides and padding.
const USER_NETWORKS: [(&str, &str); 2] = [
    (
        "bn-net",
        "Conv(out: 8, kernel: 3, pad: 1), BatchNorm, Relu, MaxPool(2), \
         Conv(out: 6, kernel: 3, stride: 2, pad: 1), BatchNorm, Gelu, Flatten, BatchNorm, \
         Dropout(0.3), Dense(32), Tanh, Dense(classes)",
    ),
    (
        "gap-net",
        "Conv(out: 6, kernel: 5, pad: 2), Sigmoid, AvgPool(2), Conv(out: 8, kernel: 3), \
         LeakyRelu(0.1), GlobalAvgPool, BatchNorm, Dense(16), Relu, Dense(classes)",
    ),
];

/// Runs the ONNX model `bytes` on `pixels` (0–1, `n` images) with tract.
fn run_onnx(bytes: &[u8], pixels: &[f32], n: usize) -> Vec<f32> {
    let model = tract_onnx::onnx()
        .model_for_read(&mut &bytes[..])
        .expect("tract reads the file")
        .with_input_fact(0, f32::fact([n, 1, 28, 28]).into())
        .expect("input fact")
        .into_optimized()
        .expect("optimises")
        .into_runnable()
        .expect("runnable");
    let input =
        tract_ndarray::Array4::from_shape_vec((n, 1, 28, 28), pixels.to_vec()).expect("shape");
    let out = model.run(tvec!(Tensor::from(input).into())).expect("runs");
    let logits = out[0].to_plain_array_view::<f32>().expect("floats");
    assert_eq!(logits.shape(), &[n, 10]);
    logits.iter().copied().collect()
}

/// A network trained for a few batches (so that batch norms' statistics, scale and
/// shift are no longer 1s and 0s).
fn briefly_trained(def: &NetworkDef, train: &super::Set) -> Network {
    let mut learner = Learner::new(
        Network::new(def, 7).expect("plans"),
        Preset::Cnn.defaults().optimizer,
    );
    for (x, y) in train
        .images
        .chunks(32 * IMAGE_PIXELS)
        .zip(train.labels.chunks(32))
        .take(4)
    {
        learner.train_batch(x, y).expect("trains");
    }
    learner.network().clone()
}

#[test]
fn onnx_exports_predict_as_we_do() {
    let train = super::load("train", 128);
    let test = super::load("t10k", IMAGES);
    let pixels: Vec<f32> = test.images.iter().map(|&x| x * 0.3081 + 0.1307).collect();
    let mut defs: Vec<(NetworkDef, bool)> = Preset::ALL
        .into_iter()
        .map(|p| (NetworkDef::preset(p), p.defaults().normalize))
        .collect();
    for (name, layers) in USER_NETWORKS {
        let def = NetworkDef {
            name: name.parse().expect("name"),
            layers: layers.parse().expect("layers"),
        };
        defs.push((def, true));
    }
    for (def, normalize) in defs {
        let network = briefly_trained(&def, &train);
        let norm = normalize.then_some(Norm::MNIST);
        let ours_in: Vec<f32> = match norm {
            Some(_) => test.images.clone(),
            None => pixels.clone(),
        };
        let ours = network.logits(&ours_in).expect("ours");
        let exported = ExportedModel {
            network,
            norm,
            classes: (0..10).map(|c| c.to_string()).collect(),
            run_id: "test".into(),
        };
        let theirs = run_onnx(&onnx_bytes(&exported).expect("exports"), &pixels, IMAGES);
        let worst = ours
            .iter()
            .zip(&theirs)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        let top1 = |v: &[f32]| -> Vec<usize> {
            v.chunks(10)
                .map(|r| (0..10).fold(0, |b, i| if r[i] > r[b] { i } else { b }))
                .collect()
        };
        eprintln!("{}: logits within {worst:e}", def.name);
        assert!(worst < 1e-4, "{}: logits differ by {worst}", def.name);
        assert_eq!(top1(&ours), top1(&theirs), "{}", def.name);
    }
}
