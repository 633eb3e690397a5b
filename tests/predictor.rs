//! `Predictor` on a real (briefly) trained model: MNIST test digits, saved and reloaded
//! through a run store, and a user-like image through the preprocessing.
//! Needs real MNIST (see `common::mnist_dir`; fails loudly without it).

mod common;

use mnist_tui::data::batch::pixels_to_f32;
use mnist_tui::data::{LoadedDataset, Split};
use mnist_tui::model::{IMAGE_PIXELS, Learner, Network, Preset, argmax};
use mnist_tui::predict::{Predictor, find_mistakes};
use mnist_tui::runs::{RunRecord, RunStatus, RunStore};
use mnist_tui::train::TrainSettings;

/// An mlp trained for 300 steps of 64 on the first training digits (normalised).
fn trained(mnist: &LoadedDataset) -> Network {
    let d = Preset::Mlp.defaults();
    let train = mnist.split(Split::Train);
    let mut learner = Learner::new(Network::preset(Preset::Mlp, 3), d.optimizer);
    let mut x = vec![0.0f32; 64 * IMAGE_PIXELS];
    for step in 0..300 {
        let at = step * 64;
        pixels_to_f32(
            &train.images[at * IMAGE_PIXELS..(at + 64) * IMAGE_PIXELS],
            Some(mnist_tui::data::Norm::MNIST),
            &mut x,
        );
        learner.train_batch(&x, &train.labels[at..at + 64]).unwrap();
    }
    learner.network().clone()
}

#[test]
fn predictor_matches_the_network_and_survives_a_run_store() {
    let mnist = LoadedDataset::load_mnist(&common::mnist_dir()).expect("real MNIST");
    let network = trained(&mnist);
    let predictor = Predictor::new(network.clone(), true);
    let test = mnist.split(Split::Test);
    let n = 1000;

    // Same answers as the network's own evaluation.
    let mut x = vec![0.0f32; n * IMAGE_PIXELS];
    pixels_to_f32(
        &test.images[..n * IMAGE_PIXELS],
        Some(mnist_tui::data::Norm::MNIST),
        &mut x,
    );
    let logits = network.logits(&x).unwrap();
    let mut correct = 0;
    for i in 0..n {
        let img: &[u8; 784] = test.image(i).try_into().unwrap();
        let p = predictor.predict(img).unwrap();
        assert_eq!(p.class as usize, argmax(&logits[i * 10..(i + 1) * 10]));
        assert!((p.probabilities.iter().sum::<f32>() - 1.0).abs() < 1e-4);
        assert_eq!(p.top(3)[0].0, p.class);
        correct += usize::from(p.class == test.labels[i]);
    }
    let acc = correct as f64 / n as f64;
    eprintln!(
        "mlp after 300 steps: predictor accuracy {:.1}% on {n} test digits",
        acc * 100.0
    );
    assert!(acc > 0.85, "accuracy {acc}");

    // The mistake report agrees with that accuracy, most confident first.
    let report = find_mistakes(&predictor, test).unwrap();
    assert_eq!(report.total, test.len());
    assert!(report.accuracy() > 0.85, "{}", report.accuracy());
    assert_eq!(
        report.confusion.iter().flatten().sum::<u32>() as usize,
        test.len()
    );
    for w in report.mistakes.windows(2) {
        assert!(w[0].prediction.confidence() >= w[1].prediction.confidence());
    }
    assert!(
        report
            .mistakes
            .iter()
            .all(|m| m.prediction.class != m.label)
    );

    // Saved as a run and loaded back: the same predictions.
    let dir = tempfile::tempdir().unwrap();
    let store = RunStore::new(dir.path());
    let at = time::OffsetDateTime::now_utc();
    let id = store.create_run_dir(&Preset::Mlp.model_name(), at).unwrap();
    network.save(&store.weights_path(&id)).unwrap();
    let mut record = RunRecord::new(id.clone(), TrainSettings::preset(Preset::Mlp), at);
    record.status = RunStatus::Finished;
    assert!(record.config.normalize);
    let loaded = Predictor::from_run(&store, &record).unwrap();
    assert_eq!(loaded.run_id(), Some(id.as_str()));
    for i in 0..20 {
        let img: &[u8; 784] = test.image(i).try_into().unwrap();
        assert_eq!(
            loaded.predict(img).unwrap(),
            predictor.predict(img).unwrap()
        );
    }
    // A run without weights is a clear error naming the file.
    std::fs::remove_file(store.weights_path(&id)).unwrap();
    let err = Predictor::from_run(&store, &record)
        .unwrap_err()
        .to_string();
    assert!(err.contains("weights") || err.contains(&id), "{err}");
}
