//! The planner: the presets compile to the steps they always ran; every kind of
//! mistake is an error naming the layer; the summary's figures.

use super::layer::Layers;
use super::plan::{Act, ConvShape, ParamKind, PoolKind, Shape, Step, plan};
use super::presets::Preset;

fn conv(h: usize, c: usize, k: usize, pad: usize, out: usize) -> Step {
    Step::ConvBlock(ConvShape {
        h,
        w: h,
        c,
        k,
        stride: 1,
        pad,
        out,
    })
}

/// A convolution step of its own (stride 1).
fn plain_conv(h: usize, c: usize, k: usize, pad: usize, out: usize) -> Step {
    let Step::ConvBlock(shape) = conv(h, c, k, pad, out) else {
        unreachable!()
    };
    Step::Conv(shape)
}

fn dense(inp: usize, out: usize, relu: bool) -> Step {
    Step::Dense { inp, out, relu }
}

fn layers(text: &str) -> Layers {
    text.parse().unwrap()
}

#[test]
fn each_preset_compiles_to_exactly_the_steps_it_always_ran() {
    let expected = [
        (
            Preset::TutorialMlp,
            vec![
                dense(784, 256, true),
                dense(256, 64, true),
                dense(64, 10, true),
            ],
        ),
        (
            Preset::Mlp,
            vec![
                dense(784, 256, true),
                dense(256, 64, true),
                dense(64, 10, false),
            ],
        ),
        (
            Preset::Lenet,
            vec![
                conv(28, 1, 5, 2, 6),
                conv(14, 6, 5, 0, 16),
                dense(400, 120, true),
                dense(120, 84, true),
                dense(84, 10, false),
            ],
        ),
        (
            Preset::Cnn,
            vec![
                conv(28, 1, 3, 1, 32),
                conv(14, 32, 3, 1, 64),
                dense(3136, 128, true),
                dense(128, 10, false),
            ],
        ),
    ];
    for (preset, steps) in expected {
        let p = plan(&preset.layers(), 10).unwrap();
        assert_eq!(p.steps, steps, "{preset}");
        assert!(!p.has_batch_norm());
    }
    let names: Vec<_> = plan(&Preset::Lenet.layers(), 10)
        .unwrap()
        .params
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert_eq!(names, ["conv1", "conv2", "fc1", "fc2", "fc3"]);
}

#[test]
fn summary_counts_what_pytorch_counts() {
    // LeNet-5 as PyTorch users write it has 61,706 parameters.
    let p = plan(&Preset::Lenet.layers(), 10).unwrap();
    let total: usize = p.rows.iter().map(|r| r.params).sum();
    assert_eq!(total, 61_706);
    assert_eq!(p.params.iter().map(|s| s.count()).sum::<usize>(), total);
    let shapes: Vec<String> = p.rows.iter().map(|r| r.output.to_string()).collect();
    assert_eq!(
        shapes,
        [
            "28×28×6",
            "28×28×6",
            "14×14×6",
            "10×10×16",
            "10×10×16",
            "5×5×16",
            "400",
            "120",
            "120",
            "84",
            "84",
            "10"
        ]
    );
    // conv1: 2·(5·5·1)·6 multiply-adds per output pixel of 28×28.
    assert_eq!(p.rows[0].flops, 2 * 25 * 6 * 28 * 28);
    assert_eq!(p.rows[6].flops, 0, "Flatten is free");
    // The mlp: 784·256 + 256·64 + 64·10 weights and their biases.
    let mlp = plan(&Preset::Mlp.layers(), 10).unwrap();
    assert_eq!(
        mlp.rows.iter().map(|r| r.params).sum::<usize>(),
        785 * 256 + 257 * 64 + 65 * 10
    );
}

#[test]
fn new_layers_plan_to_their_own_steps_and_fuse_only_what_the_fast_ops_do() {
    let p = plan(
        &layers(
            "Conv(out: 8, kernel: 3, stride: 2, pad: 1), Relu, MaxPool(2), \
             Conv(out: 8, kernel: 3, pad: 1), MaxPool(2), Relu, \
             Conv(out: 4, kernel: 1), Gelu, AvgPool(1), BatchNorm, GlobalAvgPool, \
             Dropout(0.5), Dense(16), BatchNorm, Relu, Dropout(0.0), Dense(classes), Tanh",
        ),
        10,
    )
    .unwrap();
    let kinds: Vec<&str> = p
        .steps
        .iter()
        .map(|s| match s {
            Step::ConvBlock(_) => "block",
            Step::Conv(_) => "conv",
            Step::Dense { relu: true, .. } => "dense+relu",
            Step::Dense { .. } => "dense",
            Step::Act(_) => "act",
            Step::Pool { .. } => "pool",
            Step::GlobalAvgPool { .. } => "gap",
            Step::Dropout { .. } => "dropout",
            Step::BatchNorm { .. } => "bn",
            Step::NormBlock { .. } => "norm block",
        })
        .collect();
    assert_eq!(
        kinds,
        [
            // A strided conv is not a block; its ReLU and pool run alone.
            "conv", "act", "pool", // A stride-1 conv, pool, ReLU is one.
            "block", "conv", "act", "pool", "bn", "gap", "dropout", "dense", "bn", "act",
            // Dropout(0.0) is no step.
            "dense", "act",
        ]
    );
    assert!(p.has_batch_norm());
    // 28 → stride 2 → 14 → pool 7 → block 3 → 1×1 conv 3 → AvgPool(1) 3 → GAP 4.
    let out: Vec<String> = p.rows.iter().map(|r| r.output.to_string()).collect();
    assert_eq!(out[0], "14×14×8");
    assert_eq!(out[5], "3×3×8");
    assert_eq!(out[10], "4");
    let names: Vec<_> = p.params.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        ["conv1", "conv2", "conv3", "bn1", "fc1", "bn2", "fc2"]
    );
    assert_eq!(p.params[3].kind, ParamKind::Norm { channels: 4 });
    assert_eq!(p.params[5].kind, ParamKind::Norm { channels: 16 });
}

#[test]
fn batch_norm_relu_and_max_pool_after_a_conv_are_one_norm_block() {
    let p = plan(
        &layers(
            "Conv(out: 4, kernel: 3, pad: 1), BatchNorm, Relu, MaxPool(2), \
             Conv(out: 6, kernel: 4), BatchNorm, MaxPool(2), Relu, \
             Conv(out: 6, kernel: 3, pad: 1), Relu, MaxPool(2), BatchNorm, Relu, MaxPool(2), \
             Flatten, Dense(classes)",
        ),
        10,
    )
    .unwrap();
    assert_eq!(
        p.steps,
        [
            plain_conv(28, 1, 3, 1, 4),
            Step::NormBlock { h: 28, w: 28, c: 4 },
            // 14 → kernel 4 → 11: odd, floored by the pool.
            plain_conv(14, 4, 4, 0, 6),
            Step::NormBlock { h: 11, w: 11, c: 6 },
            // After a conv block too.
            conv(5, 6, 3, 1, 6),
            Step::NormBlock { h: 2, w: 2, c: 6 },
            dense(6, 10, false),
        ]
    );
    assert!(p.has_batch_norm());
    // The same parameters and summary as unfused.
    let names: Vec<_> = p.params.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        ["conv1", "bn1", "conv2", "bn2", "conv3", "bn3", "fc1"]
    );
    assert_eq!(p.params[3].kind, ParamKind::Norm { channels: 6 });
    assert_eq!(p.rows.len(), 16);
    assert_eq!(p.rows[1].output, Shape::Map { h: 28, w: 28, c: 4 });
    assert_eq!(p.rows[1].params, 8);
    assert_eq!(p.rows[3].output, Shape::Map { h: 14, w: 14, c: 4 });

    // Not after a convolution, no ReLU, or another pool: each layer its own step.
    let p = plan(
        &layers(
            "Conv(out: 4, kernel: 3, pad: 1), BatchNorm, Relu, AvgPool(2), \
             BatchNorm, Relu, MaxPool(2), \
             Conv(out: 4, kernel: 3), BatchNorm, MaxPool(2), Gelu, \
             Conv(out: 4, kernel: 1), BatchNorm, Relu, MaxPool(1), Flatten, Dense(classes)",
        ),
        10,
    )
    .unwrap();
    let max = |k, h, c| Step::Pool {
        kind: PoolKind::Max,
        k,
        h,
        w: h,
        c,
    };
    assert_eq!(
        p.steps,
        [
            plain_conv(28, 1, 3, 1, 4),
            Step::BatchNorm { channels: 4 },
            Step::Act(Act::Relu),
            Step::Pool {
                kind: PoolKind::Avg,
                k: 2,
                h: 28,
                w: 28,
                c: 4
            },
            Step::BatchNorm { channels: 4 },
            Step::Act(Act::Relu),
            max(2, 14, 4),
            plain_conv(7, 4, 3, 0, 4),
            Step::BatchNorm { channels: 4 },
            max(2, 5, 4),
            Step::Act(Act::Gelu),
            plain_conv(2, 4, 1, 0, 4),
            Step::BatchNorm { channels: 4 },
            Step::Act(Act::Relu),
            max(1, 2, 4),
            dense(16, 10, false),
        ]
    );
}

#[test]
fn mistakes_name_the_layer_and_the_shapes() {
    let err = |text: &str| plan(&layers(text), 10).unwrap_err().to_string();
    assert_eq!(
        err("Dense(64), Relu, Dense(classes)"),
        "layer 1 `Dense(64)`: needs a vector of features, got a 28×28×1 map: add Flatten \
         before it"
    );
    assert_eq!(
        err("Flatten, Conv(out: 8, kernel: 3), Flatten, Dense(classes)"),
        "layer 2 `Conv(out: 8, kernel: 3)`: needs a feature map, got a vector of 784 \
         features (after a Flatten or Dense there is no map)"
    );
    assert_eq!(
        err("MaxPool(4), MaxPool(4), Conv(out: 2, kernel: 3), Flatten, Dense(classes)"),
        "layer 3 `Conv(out: 2, kernel: 3)`: kernel 3×3 is larger than its 1×1 input"
    );
    assert_eq!(
        err("Conv(out: 2, kernel: 29, pad: 0), Flatten, Dense(classes)"),
        "layer 1 `Conv(out: 2, kernel: 29)`: kernel 29×29 is larger than its 28×28 input"
    );
    assert_eq!(
        err("MaxPool(29), Flatten, Dense(classes)"),
        "layer 1 `MaxPool(29)`: window 29×29 is larger than its 28×28 input"
    );
    assert_eq!(
        err("Flatten, Dense(64), Relu"),
        "layer 2 `Dense(64)`: the last Dense gives 64 outputs, but there are 10 classes: \
         end with Dense(classes)"
    );
    assert_eq!(
        err("Flatten, Dense(classes), Dropout(0.5)"),
        "layer 3 `Dropout(0.5)`: a network ends with Dense(classes) (optionally followed \
         by activations); this last layer outputs 10"
    );
    assert_eq!(
        err("Relu"),
        "no Dense layer: a network ends with Dense(classes) (10 outputs)"
    );
    assert_eq!(err(""), "no layers");
    assert!(err("Flatten, Dropout(1.0), Dense(classes)").contains("layer 2 `Dropout(1.0)`"));
    assert!(err("Flatten, LeakyRelu(inf), Dense(classes)").contains("finite"));
    assert!(err("Conv(out: 0, kernel: 3), Flatten, Dense(classes)").contains("at least 1"));
    assert!(err("Conv(out: 2, kernel: 3, pad: 3), Flatten, Dense(classes)").contains("padding"));
    // Too large for a run file, and absurd sizes, are errors rather than panics.
    let huge = err("Flatten, Dense(1000000), Dense(classes)");
    assert!(huge.contains("would not fit in a run file"), "{huge}");
    let absurd = err("Flatten, Dense(99999999999999), Dense(classes)");
    assert!(absurd.contains("too large"), "{absurd}");
    assert!(
        err("Conv(out: 99999999, kernel: 28), Conv(out: 99999999, kernel: 1), Flatten, Dense(classes)")
            .contains("too large")
    );
}

#[test]
fn the_output_shape_follows_floor_division_like_pytorch() {
    // 28 → Conv k5 s3 → 8 → MaxPool(3) → 2 (floor) → GAP.
    let p = plan(
        &layers("Conv(out: 3, kernel: 5, stride: 3), MaxPool(3), GlobalAvgPool, Dense(classes)"),
        10,
    )
    .unwrap();
    assert_eq!(p.rows[0].output, Shape::Map { h: 8, w: 8, c: 3 });
    assert_eq!(p.rows[1].output, Shape::Map { h: 2, w: 2, c: 3 });
    assert_eq!(p.rows[2].output, Shape::Flat(3));
}
