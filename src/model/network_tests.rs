//! Tests of the public model API: determinism, exact resumption, save/load and its
//! failure modes, bad inputs, non-finite losses and whole-network gradients.

use super::*;
use crate::model::DIGIT_CLASSES as CLASSES;
use dfdx::prelude::*;
use rand::{Rng, SeedableRng, rngs::StdRng};
use std::sync::Arc;

fn random_batch(seed: u64, n: usize) -> (Vec<f32>, Vec<u8>) {
    let mut rng = StdRng::seed_from_u64(seed);
    let images = (0..n * IMAGE_PIXELS)
        .map(|_| rng.gen_range(-0.5..2.5))
        .collect();
    let labels = (0..n).map(|_| rng.gen_range(0..10)).collect();
    (images, labels)
}

fn all_params(net: &Network) -> Vec<Vec<f32>> {
    let mut net = net.clone();
    net.params
        .iter_mut()
        .flat_map(|p| p.values_mut().map(|v| v.to_vec()))
        .collect()
}

fn adam() -> OptimizerSettings {
    Preset::Cnn.defaults().optimizer
}

fn sgd_momentum() -> OptimizerSettings {
    OptimizerSettings {
        momentum: 0.9,
        weight_decay: 1e-3,
        ..OptimizerSettings::new(OptimizerKind::Sgd, 0.05)
    }
}

fn sgd_nesterov() -> OptimizerSettings {
    OptimizerSettings {
        nesterov: true,
        ..sgd_momentum()
    }
}

fn adamw() -> OptimizerSettings {
    OptimizerSettings {
        weight_decay: 0.01,
        beta2: 0.99,
        ..OptimizerSettings::new(OptimizerKind::AdamW, 1e-3)
    }
}

#[test]
fn param_counts_match_the_pytorch_models() {
    assert_eq!(
        Network::preset(Preset::TutorialMlp, 0).param_count(),
        218_058
    );
    assert_eq!(Network::preset(Preset::Mlp, 0).param_count(), 218_058);
    assert_eq!(Network::preset(Preset::Lenet, 0).param_count(), 61_706);
    assert_eq!(Network::preset(Preset::Cnn, 0).param_count(), 421_642);
    assert_eq!(Network::preset(Preset::Lenet, 0).summary().len(), 12);
}

#[test]
fn same_seed_gives_same_weights_and_losses() {
    for arch in [Preset::Mlp, Preset::Cnn] {
        let a = Network::preset(arch, 42);
        let b = Network::preset(arch, 42);
        assert_eq!(all_params(&a), all_params(&b), "{arch}");
        assert_ne!(
            all_params(&a),
            all_params(&Network::preset(arch, 43)),
            "{arch}"
        );
        let (mut la, mut lb) = (Learner::new(a, adam()), Learner::new(b, adam()));
        // Batches of 64 make the conv matmuls big enough for gemm to use threads.
        for step in 0..3 {
            let (x, y) = random_batch(step, 64);
            let (fa, fb) = (
                la.train_batch(&x, &y).unwrap().loss,
                lb.train_batch(&x, &y).unwrap().loss,
            );
            assert_eq!(fa.to_bits(), fb.to_bits(), "{arch} step {step}");
        }
        assert_eq!(all_params(la.network()), all_params(lb.network()), "{arch}");
    }
}

#[test]
fn training_reduces_loss_on_a_fixed_batch() {
    for arch in Preset::ALL {
        let (x, y) = random_batch(1, 16);
        let mut l = Learner::new(Network::preset(arch, 1), adam());
        let first = l.train_batch(&x, &y).unwrap().loss;
        let mut last = first;
        for _ in 0..30 {
            last = l.train_batch(&x, &y).unwrap().loss;
        }
        assert!(last < 0.7 * first, "{arch}: {first} -> {last}");
        assert_eq!(l.steps(), 31);
    }
}

#[test]
fn resuming_from_saved_state_is_bit_exact() {
    let dir = tempfile::tempdir().unwrap();
    for (arch, opt) in [
        (Preset::Mlp, adam()),
        (Preset::Lenet, adam()),
        (Preset::Lenet, sgd_momentum()),
        (Preset::Mlp, sgd_nesterov()),
        (Preset::Mlp, adamw()),
        (
            Preset::TutorialMlp,
            Preset::TutorialMlp.defaults().optimizer,
        ),
    ] {
        let batches: Vec<_> = (0..6).map(|s| random_batch(100 + s, 8)).collect();
        let mut straight = Learner::new(Network::preset(arch, 9), opt);
        let losses: Vec<f32> = batches
            .iter()
            .map(|(x, y)| straight.train_batch(x, y).unwrap().loss)
            .collect();

        let mut first = Learner::new(Network::preset(arch, 9), opt);
        for (x, y) in &batches[..3] {
            first.train_batch(x, y).unwrap();
        }
        let (wp, op) = (
            dir.path().join("w.safetensors"),
            dir.path().join("o.safetensors"),
        );
        first.network().save(&wp).unwrap();
        first.save_optimizer(&op).unwrap();
        drop(first);

        let mut resumed = Learner::new(Network::load(&NetworkDef::preset(arch), &wp).unwrap(), opt);
        resumed.load_optimizer(&op).unwrap();
        assert_eq!(resumed.steps(), 3);
        for (i, (x, y)) in batches[3..].iter().enumerate() {
            let loss = resumed.train_batch(x, y).unwrap().loss;
            assert_eq!(loss.to_bits(), losses[3 + i].to_bits(), "{arch} {opt:?}");
        }
        assert_eq!(
            all_params(resumed.network()),
            all_params(straight.network()),
            "{arch}"
        );
    }
}

/// Optimiser state written the way versions before β, ε, AdamW and Nesterov wrote it
/// (six settings values with the constant β and ε, `kind` `adam`) loads, and training
/// continues from it bit for bit.
#[test]
fn optimizer_state_from_before_betas_could_be_set_still_loads() {
    let dir = tempfile::tempdir().unwrap();
    let batches: Vec<_> = (0..4).map(|s| random_batch(300 + s, 8)).collect();
    let mut straight = Learner::new(Network::preset(Preset::Mlp, 4), adam());
    let mut first = Learner::new(Network::preset(Preset::Mlp, 4), adam());
    for (x, y) in &batches[..2] {
        straight.train_batch(x, y).unwrap();
        first.train_batch(x, y).unwrap();
    }
    let names = first.network().param_names();
    let old_settings = [adam().lr as f32, 0.0, 0.0, 0.9f32, 0.999f32, 1e-8f32];
    let mut tensors = vec![weights::Named {
        name: "settings".into(),
        shape: vec![6],
        values: &old_settings,
    }];
    for (slot, bufs) in [
        ("exp_avg", &first.optimizer.first),
        ("exp_avg_sq", &first.optimizer.second),
    ] {
        for ((name, shape), values) in names.iter().zip(bufs) {
            tensors.push(weights::Named {
                name: format!("{name}.{slot}"),
                shape: shape.clone(),
                values,
            });
        }
    }
    let meta = HashMap::from([
        ("format".to_string(), "mnist-tui-optimizer".to_string()),
        ("arch".to_string(), "mlp".to_string()),
        ("kind".to_string(), "adam".to_string()),
        ("step".to_string(), "2".to_string()),
        ("lr".to_string(), adam().lr.to_string()),
    ]);
    let (wp, op) = (dir.path().join("w"), dir.path().join("o"));
    weights::write(&op, &tensors, meta).unwrap();
    first.network().save(&wp).unwrap();

    let mut resumed = Learner::new(
        Network::load(&NetworkDef::preset(Preset::Mlp), &wp).unwrap(),
        adam(),
    );
    resumed.load_optimizer(&op).unwrap();
    assert_eq!(resumed.steps(), 2);
    for (x, y) in &batches[2..] {
        let a = straight.train_batch(x, y).unwrap().loss;
        let b = resumed.train_batch(x, y).unwrap().loss;
        assert_eq!(a.to_bits(), b.to_bits());
    }
    assert_eq!(
        all_params(resumed.network()),
        all_params(straight.network())
    );
}

#[test]
fn adam_state_does_not_load_into_adamw_or_back() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("opt");
    Learner::new(Network::preset(Preset::Mlp, 0), adamw())
        .save_optimizer(&p)
        .unwrap();
    let mut adam = Learner::new(Network::preset(Preset::Mlp, 0), adam());
    assert_bad_file(adam.load_optimizer(&p), "'adamw' state");
    let mut nesterov = Learner::new(Network::preset(Preset::Mlp, 0), sgd_nesterov());
    Learner::new(Network::preset(Preset::Mlp, 0), sgd_momentum())
        .save_optimizer(&p)
        .unwrap();
    nesterov.load_optimizer(&p).unwrap();
}

#[test]
fn set_lr_takes_effect_on_the_next_step() {
    let (x, y) = random_batch(5, 8);
    let sgd = OptimizerSettings::new(OptimizerKind::Sgd, 0.1);
    let mut a = Learner::new(Network::preset(Preset::Mlp, 3), sgd);
    let mut b = Learner::new(Network::preset(Preset::Mlp, 3), sgd);
    b.set_lr(0.0);
    assert_eq!(b.optimizer().lr, 0.0);
    a.train_batch(&x, &y).unwrap();
    b.train_batch(&x, &y).unwrap();
    assert_eq!(
        all_params(b.network()),
        all_params(&Network::preset(Preset::Mlp, 3))
    );
    assert_ne!(all_params(a.network()), all_params(b.network()));
}

#[test]
fn save_load_round_trip_keeps_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let (x, _) = random_batch(2, 5);
    for arch in Preset::ALL {
        let net = Network::preset(arch, 11);
        let p = dir.path().join(format!("{arch}.safetensors"));
        net.save(&p).unwrap();
        let back = Network::load(&NetworkDef::preset(arch), &p).unwrap();
        assert_eq!(back.def(), &NetworkDef::preset(arch));
        assert_eq!(all_params(&back), all_params(&net));
        assert_eq!(back.logits(&x).unwrap(), net.logits(&x).unwrap());
    }
}

fn assert_bad_file(r: Result<impl Sized, ModelError>, needle: &str) {
    match r {
        Err(ModelError::BadFile { problem, .. }) => {
            assert!(
                problem.contains(needle),
                "problem {problem:?} lacks {needle:?}"
            )
        }
        Err(e) => panic!("expected BadFile({needle}), got {e}"),
        Ok(_) => panic!("expected BadFile({needle}), got Ok"),
    }
}

#[test]
fn bad_weight_files_are_reported_not_panicked_on() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.safetensors");
    Network::preset(Preset::Mlp, 0).save(&good).unwrap();
    let bytes = std::fs::read(&good).unwrap();

    assert_bad_file(
        Network::load(
            &NetworkDef::preset(Preset::Mlp),
            &dir.path().join("missing"),
        ),
        "cannot read",
    );

    let truncated = dir.path().join("truncated");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    assert_bad_file(
        Network::load(&NetworkDef::preset(Preset::Mlp), &truncated),
        "not a safetensors",
    );
    std::fs::write(&truncated, &bytes[..5]).unwrap();
    assert_bad_file(
        Network::load(&NetworkDef::preset(Preset::Mlp), &truncated),
        "not a safetensors",
    );

    let garbage = dir.path().join("garbage");
    std::fs::write(&garbage, b"\xff\xff\xff\xff\xff\xff\xff\x7fhello world").unwrap();
    assert_bad_file(
        Network::load(&NetworkDef::preset(Preset::Mlp), &garbage),
        "not a safetensors",
    );
    std::fs::write(&garbage, b"").unwrap();
    assert_bad_file(
        Network::load(&NetworkDef::preset(Preset::Mlp), &garbage),
        "not a safetensors",
    );

    // Same layer names and shapes as tutorial-mlp, but the file says mlp.
    assert_bad_file(
        Network::load(&NetworkDef::preset(Preset::TutorialMlp), &good),
        "'mlp' network",
    );
    // Right arch metadata, wrong shape / missing / extra / wrong dtype tensors.
    let forged = dir.path().join("forged");
    let meta = || {
        HashMap::from([
            ("format".to_string(), WEIGHTS_FORMAT.to_string()),
            ("arch".to_string(), "mlp".to_string()),
        ])
    };
    let mut tensors: Vec<(String, Vec<usize>, Vec<f32>)> = Network::preset(Preset::Mlp, 0)
        .param_names()
        .into_iter()
        .map(|(n, s)| {
            let len = s.iter().product();
            (n, s, vec![0.5; len])
        })
        .collect();
    let write = |ts: &[(String, Vec<usize>, Vec<f32>)]| {
        let named: Vec<_> = ts
            .iter()
            .map(|(n, s, v)| weights::Named {
                name: n.clone(),
                shape: s.clone(),
                values: v,
            })
            .collect();
        weights::write(&forged, &named, meta()).unwrap();
    };
    write(&tensors);
    assert!(Network::load(&NetworkDef::preset(Preset::Mlp), &forged).is_ok());
    tensors[0].1 = vec![256, 784];
    write(&tensors);
    assert_bad_file(
        Network::load(&NetworkDef::preset(Preset::Mlp), &forged),
        "shape",
    );
    tensors[0].1 = vec![784, 256];
    tensors.push(("extra".into(), vec![1], vec![0.0]));
    write(&tensors);
    assert_bad_file(
        Network::load(&NetworkDef::preset(Preset::Mlp), &forged),
        "unexpected tensor extra",
    );
    tensors.pop();
    tensors.remove(1);
    write(&tensors);
    assert_bad_file(
        Network::load(&NetworkDef::preset(Preset::Mlp), &forged),
        "missing tensor fc1.bias",
    );

    let f64_bytes: Vec<u8> = [1.0f64, 2.0].iter().flat_map(|v| v.to_le_bytes()).collect();
    let view =
        ::safetensors::tensor::TensorView::new(::safetensors::Dtype::F64, vec![2], &f64_bytes)
            .unwrap();
    let data = ::safetensors::serialize([("fc1.bias", view)], &Some(meta())).unwrap();
    std::fs::write(&forged, data).unwrap();
    assert_bad_file(
        Network::load(&NetworkDef::preset(Preset::Mlp), &forged),
        "F64",
    );

    // An optimiser file is not a weights file.
    let opt = dir.path().join("opt");
    Learner::new(Network::preset(Preset::Mlp, 0), adam())
        .save_optimizer(&opt)
        .unwrap();
    assert_bad_file(
        Network::load(&NetworkDef::preset(Preset::Mlp), &opt),
        "mnist-tui-optimizer",
    );
}

#[test]
fn bad_optimizer_files_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("opt");
    Learner::new(Network::preset(Preset::Mlp, 0), adam())
        .save_optimizer(&p)
        .unwrap();
    let mut sgd = Learner::new(Network::preset(Preset::Mlp, 0), sgd_momentum());
    assert_bad_file(sgd.load_optimizer(&p), "'adam' state");
    let mut other = Learner::new(Network::preset(Preset::Lenet, 0), adam());
    assert_bad_file(other.load_optimizer(&p), "'mlp' network");
    let mut ok = Learner::new(Network::preset(Preset::Mlp, 0), adam());
    assert_bad_file(ok.load_optimizer(&dir.path().join("nope")), "cannot read");
    let bytes = std::fs::read(&p).unwrap();
    std::fs::write(&p, &bytes[..bytes.len() - 10]).unwrap();
    assert_bad_file(ok.load_optimizer(&p), "not a safetensors");
    let w = dir.path().join("w");
    Network::preset(Preset::Mlp, 0).save(&w).unwrap();
    assert_bad_file(ok.load_optimizer(&w), "mnist-tui-weights");
    ok.train_batch(&random_batch(0, 2).0, &[1, 2]).unwrap();
    assert_eq!(ok.steps(), 1, "a failed load leaves the state alone");
}

#[test]
fn bad_inputs_are_errors() {
    let net = Network::preset(Preset::Lenet, 0);
    assert!(matches!(
        net.logits(&[0.0; 785]),
        Err(ModelError::BadInput(_))
    ));
    assert_eq!(net.logits(&[]).unwrap(), Vec::<f32>::new());
    let mut l = Learner::new(net, adam());
    let (x, _) = random_batch(0, 2);
    assert!(matches!(
        l.train_batch(&x, &[1]),
        Err(ModelError::BadInput(_))
    ));
    assert!(matches!(
        l.train_batch(&x, &[1, 10]),
        Err(ModelError::BadInput(_))
    ));
    assert!(matches!(
        l.train_batch(&[], &[]),
        Err(ModelError::BadInput(_))
    ));
    assert_eq!(l.steps(), 0);
}

#[test]
fn non_finite_losses_are_returned() {
    for arch in [Preset::Mlp, Preset::Cnn] {
        let mut l = Learner::new(Network::preset(arch, 0), adam());
        let (mut x, y) = random_batch(0, 4);
        x[17] = f32::NAN;
        assert!(l.train_batch(&x, &y).unwrap().loss.is_nan(), "{arch}");
        let (x, y) = random_batch(1, 4);
        // The weights are now NaN: later steps report NaN too, without panicking.
        assert!(l.train_batch(&x, &y).unwrap().loss.is_nan(), "{arch}");
        assert!(l.network().logits(&x).unwrap().iter().all(|v| v.is_nan()));
    }
    let mut l = Learner::new(
        Network::preset(Preset::Mlp, 0),
        Preset::TutorialMlp.defaults().optimizer,
    );
    let (x, y) = random_batch(2, 4);
    let inf = vec![f32::INFINITY; x.len()];
    let loss = l.train_batch(&inf, &y).unwrap().loss;
    assert!(!loss.is_finite(), "{loss}");
}

#[test]
fn logits_are_chunked_consistently_and_tutorial_outputs_are_relued() {
    let (x, _) = random_batch(4, 2 * INFERENCE_CHUNK + 3);
    for arch in [Preset::TutorialMlp, Preset::Lenet] {
        let net = Network::preset(arch, 4);
        let all = net.logits(&x).unwrap();
        assert_eq!(all.len(), (2 * INFERENCE_CHUNK + 3) * CLASSES);
        for i in [
            0,
            CONV_INFERENCE_CHUNK,
            INFERENCE_CHUNK - 1,
            INFERENCE_CHUNK,
            2 * INFERENCE_CHUNK + 2,
        ] {
            let one = net
                .logits(&x[i * IMAGE_PIXELS..(i + 1) * IMAGE_PIXELS])
                .unwrap();
            for (a, b) in one.iter().zip(&all[i * CLASSES..(i + 1) * CLASSES]) {
                assert!(
                    (a - b).abs() <= 1e-5 * (1.0 + b.abs()),
                    "{arch} image {i}: {a} vs {b}"
                );
            }
        }
        if arch == Preset::TutorialMlp {
            assert!(all.iter().all(|&v| v >= 0.0));
        }
    }
}

#[test]
fn evaluate_counts_and_averages() {
    let net = Network::preset(Preset::Mlp, 0);
    let (x, y) = random_batch(8, 20);
    let e = net.evaluate(&x, &y).unwrap();
    let logits = net.logits(&x).unwrap();
    let correct = logits
        .chunks(CLASSES)
        .zip(&y)
        .filter(|(r, l)| argmax(r) == **l as usize)
        .count();
    assert_eq!((e.correct, e.total), (correct, 20));
    assert!(e.loss > 1.0 && e.loss < 10.0, "{}", e.loss);
    assert!(net.evaluate(&x, &y[1..]).is_err());
}

/// Whole-network gradient (every step of `def`'s plan, and cross-entropy) in f64
/// against central finite differences, on a few images.
pub(super) fn check_network_gradients(def: &NetworkDef, training: bool) {
    let dev: Cpu = Default::default();
    let sync = Arc::new(sync::ShardSync::new(1));
    let mode = if training {
        forward::Mode::Train(Training {
            seed: 7,
            step: 3,
            first_sample: 0,
            sync: &sync,
            shard: 0,
        })
    } else {
        forward::Mode::Eval
    };
    let net = Network::new(def, 21).unwrap();
    let steps = net.plan.steps.clone();
    let params: Vec<LayerParams<f64>> = net
        .params
        .iter()
        .map(|p| p.cast(&dev, f64::from).unwrap())
        .collect();
    let batch = 3;
    let (x32, y) = random_batch(21, batch);
    let x: Vec<f64> = x32.iter().map(|&v| f64::from(v)).collect();
    let mut onehot = vec![0.0f64; batch * CLASSES];
    for (i, &label) in y.iter().enumerate() {
        onehot[i * CLASSES + label as usize] = 1.0;
    }
    let target = dev.tensor_from_vec(onehot, (batch, CLASSES));
    let loss_of = |params: &[LayerParams<f64>]| -> f64 {
        let xt = dev.tensor_from_vec(x.clone(), (batch, IMAGE_PIXELS));
        let out = forward::forward(&steps, params, xt, mode).unwrap().out;
        cross_entropy_with_logits_loss(out, target.clone()).array()
    };
    let xt = dev
        .tensor_from_vec(x.clone(), (batch, IMAGE_PIXELS))
        .leaky_traced();
    let out = forward::forward(&steps, &params, xt, mode).unwrap().out;
    let mut grads = cross_entropy_with_logits_loss(out, target.clone()).backward();

    let mut rng = StdRng::seed_from_u64(5);
    let eps = 1e-6;
    let mut checked = 0;
    for li in 0..params.len() {
        let layer_grads = params[li].take_grads(&mut grads).unwrap();
        for (which, g) in layer_grads.iter().enumerate() {
            for _ in 0..12 {
                let i = rng.gen_range(0..g.len());
                let perturbed = |d: f64| {
                    let mut ps = params.clone();
                    ps[li].values_mut()[which][i] += d;
                    loss_of(&ps)
                };
                let fd = (perturbed(eps) - perturbed(-eps)) / (2.0 * eps);
                let tol = 1e-6 + 1e-4 * fd.abs().max(g[i].abs());
                assert!(
                    (fd - g[i]).abs() < tol,
                    "{}: layer {li} tensor {which} [{i}]: fd {fd} vs {}",
                    def.name,
                    g[i]
                );
                checked += usize::from(g[i] != 0.0);
            }
        }
    }
    assert!(
        checked > 20,
        "{}: too few non-zero gradients checked ({checked})",
        def.name
    );
}

#[test]
fn whole_network_gradients_match_finite_differences() {
    for preset in [Preset::Lenet, Preset::Cnn, Preset::TutorialMlp] {
        check_network_gradients(&NetworkDef::preset(preset), false);
    }
}

/// Networks of every layer kind, for the whole-network checks.
fn every_kind() -> Vec<NetworkDef> {
    let def = |name: &str, layers: &str| NetworkDef {
        name: name.parse().unwrap(),
        layers: layers.parse().unwrap(),
    };
    vec![
        def(
            "maps",
            "Conv(out: 3, kernel: 3, stride: 2, pad: 1), BatchNorm, LeakyRelu(0.1), \
             AvgPool(2), Conv(out: 4, kernel: 3), Gelu, MaxPool(2), Dropout(0.25), \
             GlobalAvgPool, Dense(8), Tanh, Dense(classes), Sigmoid",
        ),
        def(
            "vectors",
            "Flatten, Dense(16), BatchNorm, Relu, Dropout(0.5), Dense(12), Gelu, \
             Dense(classes)",
        ),
        def(
            "blocks",
            "Conv(out: 4, kernel: 5, pad: 2), MaxPool(2), Relu, BatchNorm, \
             Conv(out: 6, kernel: 3, pad: 1), Relu, MaxPool(2), Flatten, Dropout(0.1), \
             Dense(classes)",
        ),
        // Norm blocks (batch norm, ReLU and max-pool as one op), the second on an
        // odd map (14 → 7 → 3).
        def(
            "norm-blocks",
            "Conv(out: 3, kernel: 3, stride: 2, pad: 1), BatchNorm, Relu, MaxPool(2), \
             Conv(out: 4, kernel: 3, pad: 1), BatchNorm, MaxPool(2), Relu, \
             Flatten, Dense(classes)",
        ),
    ]
}

#[test]
fn networks_of_every_layer_kind_have_the_gradients_of_finite_differences() {
    let fused = |def: &NetworkDef| {
        let plan = &Network::new(def, 0).unwrap().plan;
        plan.steps
            .iter()
            .any(|s| matches!(s, net::plan::Step::NormBlock { .. }))
    };
    assert!(every_kind().iter().any(fused), "a norm block is covered");
    for def in every_kind() {
        // Training: dropout's masks, batch norm's batch statistics.
        check_network_gradients(&def, true);
        // Predicting: no dropout, batch norm's running statistics.
        check_network_gradients(&def, false);
    }
}

/// The parameters and running statistics of `net`, flattened.
fn state(net: &Network) -> Vec<f32> {
    let mut out: Vec<f32> = all_params(net).concat();
    for p in &net.params {
        if let LayerParams::Norm(_, _, r) = p {
            out.extend(&r.mean);
            out.extend(&r.var);
            out.push(r.batches as f32);
        }
    }
    out
}

#[test]
fn dropout_and_batch_norm_give_the_same_gradients_with_one_two_or_three_shards() {
    let (x, y) = random_batch(8, 64);
    let batch = Prepared {
        images: &x,
        labels: &y,
    };
    for def in every_kind() {
        let l = Learner::new(Network::new(&def, 3).unwrap(), adam()).with_seed(11);
        let step = |shards: usize| {
            let outcomes = l.shard_outcomes(&batch, shards).unwrap();
            let loss: f32 = outcomes.iter().map(|o| o.loss).sum();
            let grads: Vec<f32> = (0..outcomes[0].grads.len())
                .flat_map(|t| {
                    let len = outcomes[0].grads[t].len();
                    (0..len).map(move |i| (t, i))
                })
                .map(|(t, i)| outcomes.iter().map(|o| o.grads[t][i]).sum())
                .collect();
            let stats = outcomes[0].stats.clone();
            assert!(
                outcomes.iter().all(|o| o.stats == stats),
                "every shard has the whole batch's statistics"
            );
            (loss, grads, stats)
        };
        let (loss, grads, stats) = step(1);
        assert!(grads.iter().any(|&g| g != 0.0));
        for shards in [2, 3] {
            let (other_loss, other, other_stats) = step(shards);
            assert!((loss - other_loss).abs() < 1e-5, "{}: loss", def.name);
            for (i, (a, b)) in grads.iter().zip(&other).enumerate() {
                assert!(
                    (a - b).abs() <= 1e-6 + 1e-4 * a.abs().max(b.abs()),
                    "{} with {shards} shards: gradient {i}: {a} vs {b}",
                    def.name
                );
            }
            for (s1, s2) in stats.iter().zip(&other_stats) {
                for (a, b) in s1
                    .mean
                    .iter()
                    .chain(&s1.var)
                    .zip(s2.mean.iter().chain(&s2.var))
                {
                    assert!((a - b).abs() < 1e-9 * (1.0 + a.abs()), "{}", def.name);
                }
            }
        }
    }
}

#[test]
fn batch_norm_keeps_its_running_statistics_and_saves_them() {
    let def = &every_kind()[1];
    let mut l = Learner::new(Network::new(def, 5).unwrap(), adam()).with_seed(1);
    let (x, y) = random_batch(2, 32);
    for _ in 0..3 {
        l.train_batch(&x, &y).unwrap();
    }
    let net = l.network().clone();
    let LayerParams::Norm(_, _, running) = &net.params[1] else {
        panic!("the second parameterised layer is the batch norm")
    };
    assert_eq!(running.batches, 3);
    assert!(running.mean.iter().any(|&m| m != 0.0), "the mean moved");
    // Predicting uses the running statistics: an image's outputs do not depend on
    // the other images of the batch.
    let all = net.logits(&x).unwrap();
    let one = net.logits(&x[..IMAGE_PIXELS]).unwrap();
    for (a, b) in all[..CLASSES].iter().zip(&one) {
        assert!((a - b).abs() < 1e-5, "{a} vs {b}");
    }
    // Saved and loaded with the weights, as PyTorch names them.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.safetensors");
    net.save(&path).unwrap();
    let back = Network::load(def, &path).unwrap();
    assert_eq!(state(&back), state(&net));
    assert_eq!(back.logits(&x).unwrap(), all);
    let bytes = std::fs::read(&path).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    for name in [
        "bn1.running_mean",
        "bn1.running_var",
        "bn1.num_batches_tracked",
    ] {
        assert!(text.contains(name), "{name}");
    }
    // A negative variance is refused, not used.
    let mut tensors = Vec::new();
    let mut meta = HashMap::new();
    let mut bad = net.clone();
    if let LayerParams::Norm(_, _, r) = &mut bad.params[1] {
        r.var[0] = -1.0;
    }
    for (spec, p) in bad.plan.params.iter().zip(&bad.params) {
        p.save_into(spec, &mut tensors, &mut meta);
    }
    meta.insert("format".into(), WEIGHTS_FORMAT.into());
    meta.insert("arch".into(), def.name.to_string());
    weights::write(&path, &tensors, meta).unwrap();
    let Err(e) = Network::load(def, &path) else {
        panic!("a negative variance loaded")
    };
    assert!(e.to_string().contains("running_var"), "{e}");
}

#[test]
fn the_summary_counts_the_parameters_the_weights_hold() {
    for def in every_kind()
        .into_iter()
        .chain(Preset::ALL.map(NetworkDef::preset))
    {
        let net = Network::new(&def, 0).unwrap();
        let from_summary: usize = net.summary().iter().map(|r| r.params).sum();
        let held: usize = all_params(&net).iter().map(Vec::len).sum();
        assert_eq!(from_summary, held, "{}", def.name);
        assert_eq!(net.param_count(), held, "{}", def.name);
    }
}

#[test]
fn a_copied_learner_shares_nothing_with_its_original() {
    for optimizer in [adam(), sgd_momentum()] {
        let mut original = Learner::new(Network::preset(Preset::Mlp, 5), optimizer);
        let mut twin = Learner::new(Network::preset(Preset::Mlp, 5), optimizer);
        let (x, y) = random_batch(1, 32);
        original.train_batch(&x, &y).unwrap();
        twin.train_batch(&x, &y).unwrap();

        let mut copy = original.copy().unwrap();
        assert_eq!(all_params(copy.network()), all_params(original.network()));
        assert_eq!(copy.optimizer, original.optimizer, "state and step copied");
        for (c, o) in copy.network.params.iter().zip(&original.network.params) {
            let (LayerParams::Affine(cw, cb), LayerParams::Affine(ow, ob)) = (c, o) else {
                panic!("the mlp has dense layers only")
            };
            assert!(
                !Arc::ptr_eq(&cw.shared(), &ow.shared()),
                "own weight buffer"
            );
            assert!(!Arc::ptr_eq(&cb.shared(), &ob.shared()), "own bias buffer");
        }

        // Training the copy hard changes nothing in the original...
        copy.set_lr(0.5);
        for step in 0..3 {
            let (x, y) = random_batch(10 + step, 32);
            copy.train_batch(&x, &y).unwrap();
        }
        assert_eq!(all_params(original.network()), all_params(twin.network()));
        assert_eq!(original.optimizer, twin.optimizer);
        assert_ne!(all_params(copy.network()), all_params(original.network()));

        // ...and the original goes on exactly as if the copy had never been made.
        let (x, y) = random_batch(2, 32);
        let a = original.train_batch(&x, &y).unwrap();
        let b = twin.train_batch(&x, &y).unwrap();
        assert_eq!(a, b);
        assert_eq!(all_params(original.network()), all_params(twin.network()));
    }
}

/// The batches of [`presets_train_bit_for_bit_as_before_networks_were_data`]: 64
/// pseudo-random images and labels per step (xorshift, no MNIST needed).
fn golden_batch(step: u64) -> (Vec<f32>, Vec<u8>) {
    let mut s = 0x9E37_79B9_7F4A_7C15u64 ^ step;
    let mut next = || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    let images = (0..64 * IMAGE_PIXELS)
        .map(|_| (next() % 1000) as f32 / 400.0 - 0.4)
        .collect();
    let labels = (0..64).map(|_| (next() % 10) as u8).collect();
    (images, labels)
}

/// The presets, now written in the network language, train bit for bit as they did
/// when they were hard-coded: each preset's loss at 6 Adam (or SGD) steps and a
/// checksum of its outputs afterwards, recorded with the build before networks were
/// data (22b2c79's `examples/golden.rs`, 2 worker threads: 2 shards of 64) on this
/// project's machines (AVX2, FMA and AVX-512; the `gemm` crate picks its kernels by
/// CPU feature, so elsewhere the figures may differ by rounding and the test says so).
#[test]
fn presets_train_bit_for_bit_as_before_networks_were_data() {
    const GOLDEN: [(Preset, [u32; 6], u64); 4] = GOLDEN_VALUES;
    let features = profile::compute_profile(64).cpu_features;
    if features != ["avx2", "fma", "avx512f"] {
        eprintln!(
            "skipped: recorded on a CPU with avx2, fma and avx512f, this one has {features:?}"
        );
        return;
    }
    for (preset, losses, checksum) in GOLDEN {
        let mut l = Learner::new(Network::preset(preset, 7), preset.defaults().optimizer);
        let mut bits = [0u32; 6];
        for (step, b) in bits.iter_mut().enumerate() {
            let (x, y) = golden_batch(step as u64);
            let batch = Prepared {
                images: &x,
                labels: &y,
            };
            *b = l.train_sharded(&batch, 2).unwrap().loss.to_bits();
        }
        assert_eq!(bits, losses, "{preset}: losses");
        let (x, _) = golden_batch(99);
        let logits = l.network().logits(&x).unwrap();
        let sum: u64 = logits.iter().map(|v| u64::from(v.to_bits())).sum();
        assert_eq!(sum, checksum, "{preset}: outputs");
    }
}

/// What 22b2c79 computed (see the test above).
const GOLDEN_VALUES: [(Preset, [u32; 6], u64); 4] = [
    (
        Preset::TutorialMlp,
        [
            1075030802, 1075251519, 1075011471, 1075051324, 1074966678, 1075122975,
        ],
        4055571944,
    ),
    (
        Preset::Mlp,
        [
            1075000481, 1076315890, 1075302032, 1075412518, 1075054898, 1075178408,
        ],
        1175407124753,
    ),
    (
        Preset::Lenet,
        [
            1075058493, 1075004054, 1074979569, 1075071738, 1074965857, 1075043894,
        ],
        1484594576610,
    ),
    (
        Preset::Cnn,
        [
            1075009466, 1075299816, 1075153224, 1075309656, 1074919294, 1074997798,
        ],
        1483290203338,
    ),
];
