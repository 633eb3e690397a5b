//! Fixtures shared by the dashboard tests: an app, fake data, saved runs, keys.
#![allow(dead_code)]

use mnist_tui::config::Config;
use mnist_tui::data::{LoadedDataset, Samples};
use mnist_tui::model::Preset;
use mnist_tui::runs::{RunLoadError, RunRecord, RunStatus};
use mnist_tui::train::{EpochMetrics, LossPoint, LrChange, TrainEvent, TrainSettings};
use mnist_tui::tui::app::{App, DataMsg, Msg, StoreMsg};
use mnist_tui::tui::theme::Theme;
use ratatui::crossterm::event::{
    KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use std::path::PathBuf;
use std::sync::Arc;

/// A fresh app at 120×40 with colours and Braille.
pub fn app() -> App {
    let mut a = App::new(&Config::default(), PathBuf::from("data"), Theme::default());
    a.update(Msg::Resize(120, 40));
    a
}

/// Fake MNIST of the real sizes (labels only: nothing trains in these tests).
pub fn fake_mnist() -> Arc<LoadedDataset> {
    Arc::new(LoadedDataset {
        train: Samples {
            images: Vec::new(),
            labels: vec![0; 60_000],
        },
        test: Samples {
            images: Vec::new(),
            labels: vec![0; 10_000],
        },
        info: Default::default(),
    })
}

/// A small stand-in for dataset `name` (a row of `DATASETS`): `n` test images, each a
/// bar at its own height, labelled with the classes in turn; labels only for training.
pub fn fake_dataset(name: &str, n: usize) -> Arc<LoadedDataset> {
    use mnist_tui::data::datasets::find_dataset;
    use mnist_tui::data::{DatasetInfo, Norm};
    let spec = find_dataset(name).unwrap_or_else(|| panic!("no dataset {name}"));
    let mut images = vec![0u8; n * 784];
    for i in 0..n {
        let row = 4 + (i * 3) % 20;
        for x in 6..22 {
            images[i * 784 + row * 28 + x] = 255;
        }
    }
    Arc::new(LoadedDataset {
        train: Samples {
            images: Vec::new(),
            labels: vec![0; 600],
        },
        test: Samples {
            images,
            labels: (0..n).map(|i| (i % spec.classes.len()) as u8).collect(),
        },
        info: DatasetInfo::of_spec(spec, Norm::MNIST, Vec::new()),
    })
}

/// What dataset `name` knows of itself (its row of `DATASETS`, MNIST's normalisation).
pub fn dataset_info(name: &str) -> mnist_tui::data::DatasetInfo {
    let spec = mnist_tui::data::datasets::find_dataset(name).unwrap();
    mnist_tui::data::DatasetInfo::of_spec(spec, mnist_tui::data::Norm::MNIST, Vec::new())
}

/// The datasets the effects ask to load.
pub fn loads(effects: &[mnist_tui::tui::app::Effect]) -> Vec<String> {
    effects
        .iter()
        .filter_map(|e| match e {
            mnist_tui::tui::app::Effect::LoadData(name) => Some(name.to_string()),
            _ => None,
        })
        .collect()
}

/// The loader's news that MNIST's files are missing (`message` says which).
pub fn mnist_missing(message: &str) -> Msg {
    Msg::Data(DataMsg::Missing {
        name: mnist_tui::data::DatasetName::mnist(),
        message: message.into(),
        how: String::new(),
    })
}

/// The loader's news that MNIST could not be read (`message` says why).
pub fn mnist_failed(message: &str) -> Msg {
    Msg::Data(DataMsg::Failed {
        name: mnist_tui::data::DatasetName::mnist(),
        message: message.into(),
    })
}

/// An app whose data is loaded.
pub fn ready_app() -> App {
    let mut a = app();
    a.update(Msg::Data(DataMsg::Loaded(fake_mnist())));
    a
}

pub fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

pub fn ch(c: char) -> Msg {
    key(KeyCode::Char(c))
}

pub fn ctrl_c() -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL))
}

pub fn click(column: u16, row: u16) -> Msg {
    Msg::Mouse(MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column,
        row,
        modifiers: KeyModifiers::NONE,
    })
}

pub fn wheel(down: bool, column: u16, row: u16) -> Msg {
    Msg::Mouse(MouseEvent {
        kind: if down {
            MouseEventKind::ScrollDown
        } else {
            MouseEventKind::ScrollUp
        },
        column,
        row,
        modifiers: KeyModifiers::NONE,
    })
}

/// Types a string as key presses.
pub fn type_str(app: &mut App, s: &str) {
    for c in s.chars() {
        app.update(ch(c));
    }
}

/// A saved run with `epochs` finished epochs, deterministic values.
pub fn record(n: u32, model: Preset, lr: f64, batch: usize, epochs: u32, acc0: f32) -> RunRecord {
    let started =
        time::macros::datetime!(2026-11-20 10:00:00 UTC) + time::Duration::hours(n as i64);
    let id = format!("20261120-{:02}0000-{}-{:04x}", 10 + n, model, 0xa000 + n);
    let mut s = TrainSettings::preset(model);
    s.lr = lr;
    s.batch_size = batch;
    s.epochs = epochs.max(1);
    let mut r = RunRecord::new(id, s, started);
    r.train_size = 55_000;
    r.val_size = 5_000;
    r.test_size = 10_000;
    r.params = 218_058;
    for e in 1..=epochs {
        for k in 1..=8 {
            let x = (e - 1) as f64 + k as f64 / 8.0;
            r.losses.push(LossPoint {
                epoch: e,
                step: ((e - 1) * 8 + k) as u64 * 100,
                x,
                loss: (1.2 / (1.0 + 2.0 * x as f32)) + 0.02 * n as f32,
                lr: Some(lr),
            });
        }
        let acc = (acc0 + 0.01 * e as f32).min(0.995);
        r.epochs.push(EpochMetrics {
            epoch: e,
            train_loss: 0.3 / e as f32,
            train_acc: acc - 0.005,
            test_loss: None,
            test_acc: None,
            val_loss: Some(0.25 / e as f32),
            val_acc: Some(acc),
            val_precision: vec![],
            val_recall: vec![],
            seconds: 12.5,
            dead_outputs: vec![],
        });
    }
    if epochs >= 2 {
        r.lr_changes.push(LrChange {
            step: 900,
            x: 1.5,
            lr: lr / 2.0,
        });
    }
    r.status = if epochs == 0 {
        RunStatus::Failed("loss became NaN".into())
    } else {
        // The last epoch's weights kept and tested (a little below validation).
        r.kept_epoch = Some(epochs);
        let acc = r.epochs.last().and_then(|e| e.val_acc).unwrap_or(0.0) - 0.003;
        r.summary = Some(mnist_tui::runs::RunSummary {
            test_acc: acc,
            test_loss: 0.3,
            test_epoch: Some(epochs),
            test_precision: vec![],
            test_recall: vec![],
            seconds: 12.5 * epochs as f64,
            confusion: vec![],
            dead_outputs: vec![],
        });
        RunStatus::Finished
    };
    r
}

/// Three runs and one damaged run, as the store would list them.
pub fn store_listing() -> Msg {
    let runs = vec![
        record(1, Preset::Mlp, 0.001, 64, 3, 0.95),
        record(2, Preset::Cnn, 0.002, 128, 2, 0.97),
        record(3, Preset::TutorialMlp, 0.8, 64, 0, 0.0),
    ];
    let damaged = vec![RunLoadError {
        id: "20261120-140000-lenet-beef".into(),
        path: PathBuf::from("runs/20261120-140000-lenet-beef/run.ron"),
        problem: "malformed at line 3, column 5: expected a value".into(),
    }];
    // The store's best finished run with weights (every fixture run has the same
    // accuracy, so the newest finished one).
    let best = Some("20261120-120000-cnn-a002".to_string());
    Msg::Store(StoreMsg::Listed {
        runs,
        damaged,
        best,
    })
}

/// The events of a run that trained two of three epochs, with a learning-rate change.
pub fn training_events() -> Vec<TrainEvent> {
    let mut s = TrainSettings::preset(Preset::Mlp);
    s.epochs = 3;
    let mut ev = vec![TrainEvent::Started {
        run_id: "20261127-235211-mlp-3fa2".into(),
        settings: s,
        train_size: 60_000,
        test_size: 10_000,
        params: 218_058,
        start_epoch: 0,
    }];
    for e in 1..=2u32 {
        for k in 1..=9u32 {
            let x = (e - 1) as f64 + k as f64 / 9.4;
            ev.push(TrainEvent::Loss {
                point: LossPoint {
                    epoch: e,
                    step: ((e - 1) * 9 + k) as u64 * 100,
                    x,
                    loss: 2.3 / (1.0 + 3.0 * x as f32),
                    // Cosine over the 3 epochs from 0.003, then from the rate set at 1.3.
                    lr: Some(if x < 1.3 {
                        0.003 * 0.5 * (1.0 + (std::f64::consts::PI * x / 3.0).cos())
                    } else {
                        0.0005 * 0.5 * (1.0 + (std::f64::consts::PI * (x - 1.3) / 1.7).cos())
                    }),
                },
                samples_per_sec: 25_000.0,
            });
        }
        if e == 2 {
            ev.push(TrainEvent::LrChanged(LrChange {
                step: 1_200,
                x: 1.3,
                lr: 0.0005,
            }));
        }
        ev.push(TrainEvent::Evaluating { epoch: e });
        ev.push(TrainEvent::EpochEnd(EpochMetrics {
            epoch: e,
            train_loss: 0.4 / e as f32,
            train_acc: 0.90 + 0.03 * e as f32,
            test_loss: None,
            test_acc: None,
            val_loss: Some(0.3 / e as f32),
            val_acc: Some(0.92 + 0.025 * e as f32),
            val_precision: vec![],
            val_recall: vec![],
            seconds: 20.0,
            dead_outputs: vec![],
        }));
    }
    ev.push(TrainEvent::Progress {
        epoch: 3,
        batch: 469,
        batches_per_epoch: 938,
        samples_per_sec: 24_000.0,
    });
    ev
}

/// A finder's result on a synthetic curve: the loss falls from 2.3 to 0.3 around a
/// rate of 1e-3 and blows up past 0.1 (so it suggests about 1e-3).
pub fn synthetic_finding() -> mnist_tui::train::lr_find::LrFinding {
    use mnist_tui::train::lr_find::{FinderPlan, LrCurve, LrFinding};
    let plan = FinderPlan::default();
    let losses: Vec<f64> = (0..plan.steps)
        .map(|i| {
            let x = plan.rate(i).log10();
            let blow_up = if x > -1.0 {
                (4.0 * (x + 1.0)).exp() - 1.0
            } else {
                0.0
            };
            2.3 - 2.0 / (1.0 + (-3.0 * (x + 3.0)).exp()) + blow_up
        })
        .collect();
    LrFinding::new(plan, LrCurve::from_losses(&plan, &losses))
}

/// An app that is training (events applied through `update`).
pub fn training_app() -> App {
    let mut a = ready_app();
    a.update(ch('s'));
    for e in training_events() {
        a.update(Msg::Train(e));
    }
    a
}

/// An app in the Digit view with the store listed and the default run's model "loaded"
/// (an untrained network: deterministic, no files needed).
pub fn digit_app() -> App {
    use mnist_tui::predict::Predictor;
    use mnist_tui::tui::app::Effect;
    use mnist_tui::tui::digit::state::{DigitEffect, DigitMsg};
    let mut a = ready_app();
    a.update(store_listing());
    let effects = a.update(ch('3'));
    let id = effects
        .iter()
        .find_map(|e| match e {
            Effect::Digit(DigitEffect::LoadModel(r)) => Some(r.id.clone()),
            _ => None,
        })
        .expect("entering the Digit view loads the best finished run's model");
    let predictor = Predictor::new(mnist_tui::model::Network::preset(Preset::Mlp, 7), true);
    a.update(Msg::Digit(DigitMsg::ModelLoaded {
        id,
        result: Ok(Arc::new(predictor)),
    }));
    a
}

/// The Digit view with the chosen run's model swapped for an untrained network of
/// `dataset`'s classes that knows it was trained on `dataset`.
pub fn digit_app_of(dataset: &str) -> App {
    use mnist_tui::predict::Predictor;
    use mnist_tui::tui::digit::state::DigitMsg;
    let mut a = digit_app();
    let info = dataset_info(dataset);
    let def = mnist_tui::train::TrainSettings::preset(Preset::Mlp).network();
    let net = mnist_tui::model::Network::for_classes(&def, info.class_count(), 7).unwrap();
    let id = a.digit.model_id.clone().unwrap();
    a.update(Msg::Digit(DigitMsg::ModelLoaded {
        id,
        result: Ok(std::sync::Arc::new(Predictor::for_dataset(net, true, info))),
    }));
    a
}

/// A mouse event of `kind` at a cell.
pub fn mouse(kind: MouseEventKind, column: u16, row: u16) -> Msg {
    Msg::Mouse(MouseEvent {
        kind,
        column,
        row,
        modifiers: KeyModifiers::NONE,
    })
}

/// Like `app.update(msg)`, then performs the Digit view's predictions and path
/// completions at once, as the runtime does off the UI thread, feeding their results
/// back. Returns the effects of `msg` itself.
pub fn update_settled(app: &mut App, msg: Msg) -> Vec<mnist_tui::tui::app::Effect> {
    let effects = app.update(msg);
    settle(app, effects.clone());
    effects
}

/// Performs the Predict and CompletePath effects among `effects` (and those their
/// results ask for) and feeds their results to `app`.
pub fn settle(app: &mut App, effects: Vec<mnist_tui::tui::app::Effect>) {
    use mnist_tui::tui::app::Effect;
    use mnist_tui::tui::digit::state::DigitEffect;
    let store = mnist_tui::runs::RunStore::new(std::env::temp_dir().join("mnist-tui-no-runs"));
    let mut todo = effects;
    while let Some(e) = todo.pop() {
        if let Effect::Digit(d @ (DigitEffect::Predict { .. } | DigitEffect::CompletePath { .. })) =
            e
        {
            let msg = mnist_tui::tui::digit::tasks::perform(d, &store);
            todo.extend(app.update(Msg::Digit(msg)));
        }
    }
}

/// The events of a sweep point that starts as run `id` and finishes.
pub fn point_events(id: &str, settings: &TrainSettings, acc: f32) -> Vec<TrainEvent> {
    vec![
        TrainEvent::Started {
            run_id: id.into(),
            settings: settings.clone(),
            train_size: 60_000,
            test_size: 10_000,
            params: 218_058,
            start_epoch: 0,
        },
        TrainEvent::Finished { test_acc: acc },
    ]
}

/// An app running a two-point sweep (`seeds 1,2` typed in the Sweep dialog), its first
/// point started.
pub fn sweeping_app() -> App {
    let mut a = ready_app();
    a.update(ch('S'));
    type_str(&mut a, "seeds 1,2");
    a.update(key(KeyCode::Enter));
    a.update(Msg::SweepSaved(Ok(())));
    a
}

/// An mlp sweep's finished runs, one per `(lr, seed, final accuracy)`, points in order,
/// all of sweep `abcdef0123`.
pub fn sweep_runs(points: &[(f64, u64, f32)]) -> Vec<RunRecord> {
    points
        .iter()
        .enumerate()
        .map(|(n, &(lr, seed, acc))| {
            let mut r = record(n as u32 + 1, Preset::Mlp, lr, 64, 1, acc);
            r.config.seed = seed;
            r.summary = Some(mnist_tui::runs::RunSummary {
                test_acc: acc,
                test_loss: 0.1,
                test_epoch: None,
                test_precision: vec![],
                test_recall: vec![],
                seconds: 12.5,
                confusion: vec![],
                dead_outputs: vec![],
            });
            r.sweep = Some(mnist_tui::sweep::SweepTag {
                id: "abcdef0123".into(),
                point: n + 1,
                points: points.len(),
            });
            r
        })
        .collect()
}

/// The sweep file of runs made by [`sweep_runs`]: their settings, point by point.
pub fn sweep_file_of(runs: &[RunRecord]) -> mnist_tui::sweep::SweepFile {
    mnist_tui::sweep::SweepFile {
        id: "abcdef0123".into(),
        program_version: "test".into(),
        created_at: time::macros::datetime!(2026-12-01 08:00:00 UTC),
        swept: vec!["lr".into(), "seed".into()],
        points: runs.iter().map(|r| r.config.clone()).collect(),
    }
}

/// Lists `runs` (and their sweep's file) in the Runs view and opens the groups of the
/// sweep under the cursor.
pub fn show_sweep_groups(app: &mut App, runs: Vec<RunRecord>) {
    let file = sweep_file_of(&runs);
    app.update(Msg::Store(StoreMsg::Listed {
        runs,
        damaged: vec![],
        best: None,
    }));
    app.update(Msg::Store(StoreMsg::Sweeps(
        [(file.id.clone(), Ok(file))].into_iter().collect(),
    )));
    app.update(ch('2'));
    app.update(ch('v'));
}
