//! Property / fuzz tests on stable Rust (cargo-fuzz needs nightly): arbitrary and
//! mutated inputs for every reader of untrusted bytes must give a clear error or a
//! value, never a panic, a hang or an unbounded allocation.
//!
//! Targets: the IDX reader, `run.ron`, `config.ron`, a dataset's classes file
//! (`classes.txt`, `classes.ron`), a data folder's subfolders (listed by `data list`,
//! resolved as `--dataset`), networks files and layer lists
//! (read, and edited in place by the dashboard's save), weight and optimiser files
//! (with batch norm's running statistics), the image loader, PyTorch checkpoints
//! (`torch.save`'s zip archive and its pickle, read by `interop::torch_file`). Each runs `PROPTEST_CASES` cases (default 64, a few seconds in CI);
//! run longer with e.g. `PROPTEST_CASES=20000 cargo test --release --test fuzz`.
//! Inputs are either arbitrary bytes or a valid input with random byte flips,
//! insertions, deletions and truncation (most bugs hide near valid inputs).

mod common;

use common::idx::gzip;
use mnist_tui::config::Config;
use mnist_tui::data::IdxKind;
use mnist_tui::data::idx::{self, ParseOptions};
use mnist_tui::model::{Learner, Network, NetworkDef, Preset};
use mnist_tui::runs::store::parse_record;
use mnist_tui::runs::{RunRecord, RunStore};
use mnist_tui::train::{EpochMetrics, LossPoint, TrainSettings};
use proptest::prelude::*;
use proptest::test_runner::Config as PtConfig;
use std::path::Path;
use std::sync::OnceLock;

/// Cases per property: `PROPTEST_CASES`, else 64.
fn config() -> PtConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64);
    PtConfig {
        cases,
        failure_persistence: None,
        ..PtConfig::default()
    }
}

/// One edit of a mutation: flip a byte, insert bytes, delete a range, or truncate.
#[derive(Debug, Clone)]
enum Edit {
    Flip(usize, u8),
    Insert(usize, Vec<u8>),
    Delete(usize, usize),
    Truncate(usize),
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    let edit = prop_oneof![
        4 => (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Edit::Flip(i, b)),
        1 => (any::<usize>(), prop::collection::vec(any::<u8>(), 1..16))
            .prop_map(|(i, v)| Edit::Insert(i, v)),
        1 => (any::<usize>(), 1usize..64).prop_map(|(i, n)| Edit::Delete(i, n)),
        1 => any::<usize>().prop_map(Edit::Truncate),
    ];
    prop::collection::vec(edit, 1..8)
}

fn mutate(valid: &[u8], edits: &[Edit]) -> Vec<u8> {
    let mut v = valid.to_vec();
    for e in edits {
        let at = |i: usize, len: usize| if len == 0 { 0 } else { i % (len + 1) };
        match e {
            Edit::Flip(i, b) if !v.is_empty() => {
                let i = i % v.len();
                v[i] ^= b | 1;
            }
            Edit::Flip(..) => {}
            Edit::Insert(i, bytes) => {
                let i = at(*i, v.len());
                v.splice(i..i, bytes.iter().copied());
            }
            Edit::Delete(i, n) => {
                let i = at(*i, v.len());
                let end = (i + n).min(v.len());
                v.drain(i..end);
            }
            Edit::Truncate(i) => {
                let i = at(*i, v.len());
                v.truncate(i);
            }
        }
    }
    v
}

fn valid_idx(kind: IdxKind, count: u32) -> Vec<u8> {
    let mut v = kind.magic().to_be_bytes().to_vec();
    v.extend_from_slice(&count.to_be_bytes());
    if kind == IdxKind::Images {
        v.extend_from_slice(&28u32.to_be_bytes());
        v.extend_from_slice(&28u32.to_be_bytes());
    }
    let item = if kind == IdxKind::Images { 784 } else { 1 };
    v.extend((0..count as usize * item).map(|i| (i % 10) as u8));
    v
}

fn parse_idx(bytes: &[u8], kind: IdxKind) {
    for opts in [ParseOptions::LOAD, ParseOptions::VERIFY] {
        if let Ok(parsed) = idx::parse(bytes, kind, Path::new("fuzz.idx"), opts) {
            assert!(parsed.count <= idx::MAX_ITEMS);
        }
    }
}

fn kinds() -> impl Strategy<Value = IdxKind> {
    prop_oneof![Just(IdxKind::Images), Just(IdxKind::Labels)]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn idx_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..4096), kind in kinds()) {
        parse_idx(&bytes, kind);
        parse_idx(&gzip(&bytes), kind);
    }

    #[test]
    fn idx_mutated(kind in kinds(), count in 0u32..4, e in edits(), zip in any::<bool>()) {
        let valid = valid_idx(kind, count);
        let valid = if zip { gzip(&valid) } else { valid };
        parse_idx(&mutate(&valid, &e), kind);
    }

    #[test]
    fn idx_huge_declared_counts(kind in kinds(), count in any::<u32>(), rows in any::<u32>(), cols in any::<u32>()) {
        let mut v = kind.magic().to_be_bytes().to_vec();
        v.extend_from_slice(&count.to_be_bytes());
        v.extend_from_slice(&rows.to_be_bytes());
        v.extend_from_slice(&cols.to_be_bytes());
        v.extend_from_slice(&[0u8; 64]);
        parse_idx(&v, kind);
    }
}

fn valid_record_text() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| {
        let at = time::macros::datetime!(2026-11-27 23:30:15 UTC);
        let mut r = RunRecord::new(
            "20261127-233015-mlp-3f2a".into(),
            TrainSettings::preset(Preset::Mlp),
            at,
        );
        r.losses.push(LossPoint {
            epoch: 1,
            step: 100,
            x: 0.1,
            loss: 0.5,
            lr: Some(0.001),
        });
        r.epochs.push(EpochMetrics {
            epoch: 1,
            train_loss: 0.4,
            train_acc: 0.9,
            test_loss: Some(0.3),
            test_acc: Some(0.95),
            seconds: 1.5,
            dead_outputs: vec![3],
            ..EpochMetrics::default()
        });
        ron::ser::to_string_pretty(&r, ron::ser::PrettyConfig::default()).unwrap()
    })
}

/// Everything a reader does with a parsed record must not panic either.
fn use_record(r: &RunRecord) {
    let _ = r.config.validate();
    let _ = r.epochs_done();
    let _ = (r.val_acc(), r.test_acc(), r.best_epoch(), r.kept());
    let _ = mnist_tui::runs::report::epoch_table(r);
    let _ = mnist_tui::runs::report::outcome_lines(r);
    let _ = mnist_tui::runs::report::per_class_lines(r);
    let _ = mnist_tui::runs::report::confusion_lines(r);
    let _ = r.seconds();
    let _ = r.to_json();
    let _ = r.config.optimizer_settings();
}

fn check_record(bytes: &[u8]) {
    if let Ok(text) = std::str::from_utf8(bytes)
        && let Ok(r) = parse_record(text)
    {
        use_record(&r);
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn run_ron_arbitrary_text(text in "\\PC{0,400}") {
        check_record(text.as_bytes());
    }

    #[test]
    fn run_ron_mutated(e in edits()) {
        check_record(&mutate(valid_record_text().as_bytes(), &e));
    }

    #[test]
    fn run_ron_numbers_anywhere(n in prop_oneof![
        Just("0".to_string()), Just("-1".to_string()), Just("1e309".to_string()),
        Just("NaN".to_string()), Just("inf".to_string()), Just("18446744073709551616".to_string()),
        any::<i64>().prop_map(|v| v.to_string()), any::<f64>().prop_map(|v| v.to_string())
    ], which in any::<usize>()) {
        // Replace one number of a valid record with an extreme value.
        let text = valid_record_text();
        let spans: Vec<(usize, usize)> = {
            let b = text.as_bytes();
            let mut v = Vec::new();
            let mut i = 0;
            while i < b.len() {
                if b[i].is_ascii_digit() && (i == 0 || !b[i - 1].is_ascii_alphanumeric()) {
                    let start = i;
                    while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.') {
                        i += 1;
                    }
                    v.push((start, i));
                } else {
                    i += 1;
                }
            }
            v
        };
        let (s, e) = spans[which % spans.len()];
        let edited = format!("{}{}{}", &text[..s], n, &text[e..]);
        check_record(edited.as_bytes());
    }

    #[test]
    fn run_ron_through_the_store(e in edits()) {
        // The store reads the file from disk (size cap, UTF-8, id check).
        let dir = tempfile::tempdir().unwrap();
        let store = RunStore::new(dir.path());
        let run = dir.path().join("20261127-233015-mlp-3f2a");
        std::fs::create_dir(&run).unwrap();
        std::fs::write(run.join("run.ron"), mutate(valid_record_text().as_bytes(), &e)).unwrap();
        let (runs, damaged) = store.list().unwrap();
        prop_assert_eq!(runs.len() + damaged.len(), 1);
        for r in &runs {
            use_record(r);
        }
    }
}

const SHIPPED_CONFIG: &str = include_str!("../config.ron");

fn check_config(bytes: &[u8]) {
    if let Ok(text) = std::str::from_utf8(bytes) {
        match Config::parse(text, Path::new("config.ron")) {
            Ok(cfg) => {
                let _ = cfg.resolve_data_dir(None);
            }
            Err(e) => assert!(e.to_string().contains("config.ron"), "{e}"),
        }
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn config_arbitrary_text(text in "\\PC{0,400}") {
        check_config(text.as_bytes());
    }

    #[test]
    fn config_mutated(e in edits()) {
        check_config(&mutate(SHIPPED_CONFIG.as_bytes(), &e));
    }
}

const NETWORKS_FILE: &str = "{
    // mine
    \"wide-cnn\": [
        Conv(out: 32, kernel: 3, pad: 1), Relu, MaxPool(2),
        Conv(out: 64, kernel: 3, stride: 2, pad: 1), Gelu, AvgPool(2),
        Flatten, Dropout(0.25), Dense(256), BatchNorm, LeakyRelu(0.1), Dense(classes),
    ],
    \"gap\": [Conv(out: 8, kernel: 5), Tanh, GlobalAvgPool, Dense(classes), Sigmoid],
}
";

const CLASSES_RON: &str = "(
    classes: [\"circle\", \"square\", \"triangle\"],
    preparation: digit,
    transposed: true,
    first_label: 1,
    mean: 0.2, std: 0.3,
)
";

/// A classes file under either name: read (2 or more unique names whose labels fit in
/// a byte), or a clear error naming the file.
fn check_classes_file(bytes: &[u8], name: &str) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(name), bytes).unwrap();
    match mnist_tui::data::datasets::classes_file::read(dir.path()) {
        Ok(d) => {
            assert!(d.classes.len() >= 2);
            assert!(usize::from(d.first_label) + d.classes.len() <= 256);
        }
        Err(e) => assert!(e.to_string().contains(name), "{e}"),
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn classes_txt_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        check_classes_file(&bytes, "classes.txt");
    }

    #[test]
    fn classes_ron_arbitrary_text(text in "\\PC{0,300}") {
        check_classes_file(text.as_bytes(), "classes.ron");
    }

    #[test]
    fn classes_ron_mutated(e in edits()) {
        check_classes_file(&mutate(CLASSES_RON.as_bytes(), &e), "classes.ron");
    }
}

/// A subfolder of a data folder: its name and its files' names and bytes.
type Subfolder = (String, Vec<(String, Vec<u8>)>);

/// A data folder of odd subfolders, each holding files (a classes file, a dataset's
/// file name, anything) of arbitrary bytes.
fn data_folder() -> impl Strategy<Value = Vec<Subfolder>> {
    let file_name = prop_oneof![
        Just("classes.txt".to_string()),
        Just("classes.ron".to_string()),
        Just("train-images-idx3-ubyte.gz".to_string()),
        Just("t10k-labels-idx1-ubyte".to_string()),
        "[a-z.]{1,8}",
    ];
    let contents = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..80),
        edits().prop_map(|e| mutate(CLASSES_RON.as_bytes(), &e)),
        Just(b"a\nb\nc\n".to_vec()),
    ];
    let folder_name = prop_oneof![
        Just("mnist".to_string()),
        Just("fashion-mnist".to_string()),
        "[a-zA-Z0-9 ._-]{1,10}",
    ];
    prop::collection::vec(
        (
            folder_name,
            prop::collection::vec((file_name, contents), 0..4),
        ),
        0..4,
    )
}

/// Lists `root` and resolves `names` in it: every dataset known by name is listed, and
/// every name resolves to a dataset of 2 or more classes or is a clear error naming it.
fn check_data_folder(folders: &[Subfolder], names: &[String]) {
    use mnist_tui::data::datasets::{DATASETS, listing};
    use mnist_tui::data::{DatasetName, Source};
    let root = tempfile::tempdir().unwrap();
    for (folder, files) in folders {
        let dir = root.path().join(folder);
        if std::fs::create_dir_all(&dir).is_err() {
            continue;
        }
        for (name, bytes) in files {
            let _ = std::fs::write(dir.join(name), bytes);
        }
    }
    let listed = listing::list(root.path());
    assert!(listed.len() >= DATASETS.len());
    assert!(listed.iter().all(|l| l.present <= 4));
    let mut tried: Vec<String> = names.to_vec();
    for (folder, _) in folders {
        tried.push(folder.clone());
        tried.push(root.path().join(folder).display().to_string());
    }
    for name in tried {
        let Ok(parsed) = name.parse::<DatasetName>() else {
            continue;
        };
        match Source::resolve(root.path(), &parsed) {
            Ok(source) => assert!(source.classes.len() >= 2, "{name}"),
            Err(e) => {
                // The name as parsed (trimmed), or its folder's name.
                let text = e.to_string();
                let name = parsed.as_str();
                let last = std::path::Path::new(name)
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                assert!(
                    text.contains(name) || text.contains(&last),
                    "{name}: {text}"
                );
            }
        }
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn data_folders_list_and_resolve(
        folders in data_folder(),
        names in prop::collection::vec("\\PC{0,16}", 0..3),
    ) {
        check_data_folder(&folders, &names);
    }
}

/// A networks file: read (every network checked), or a clear error naming it.
fn check_networks_file(bytes: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("networks.ron");
    std::fs::write(&path, bytes).unwrap();
    if let Err(e) = mnist_tui::config::load_networks_file(&path) {
        assert!(e.to_string().contains("networks.ron"), "{e}");
    }
    // The same text as one layer list (the form's field, --layers).
    if let Ok(text) = std::str::from_utf8(bytes)
        && let Ok(layers) = text.parse::<mnist_tui::model::Layers>()
    {
        let def = NetworkDef {
            name: "fuzzed".parse().unwrap(),
            layers,
        };
        let _ = def.check();
    }
}

/// Saving a network into `bytes` as a config file: no panic; on success the file
/// reads back with the network; on failure the file is as it was.
fn check_save_network(bytes: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.ron");
    std::fs::write(&path, bytes).unwrap();
    let def = NetworkDef {
        name: "saved".parse().unwrap(),
        layers: "Flatten, Dense(16), Relu, Dense(classes)".parse().unwrap(),
    };
    match mnist_tui::networks_file::save_network(&path, &def) {
        Ok(()) => {
            let text = std::fs::read_to_string(&path).unwrap();
            assert!(text.contains("\"saved\""), "{text}");
        }
        Err(e) => {
            assert!(e.to_string().contains("config.ron"), "{e}");
            assert_eq!(std::fs::read(&path).unwrap(), bytes, "untouched: {e}");
        }
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn networks_arbitrary_text(text in "\\PC{0,300}") {
        check_networks_file(text.as_bytes());
    }

    #[test]
    fn networks_mutated(e in edits()) {
        check_networks_file(&mutate(NETWORKS_FILE.as_bytes(), &e));
    }

    #[test]
    fn saving_a_network_into_arbitrary_text(text in "\\PC{0,300}") {
        check_save_network(text.as_bytes());
    }

    #[test]
    fn saving_a_network_into_a_mutated_config(e in edits()) {
        check_save_network(&mutate(SHIPPED_CONFIG.as_bytes(), &e));
    }

    #[test]
    fn saving_a_network_into_a_mutated_networks_file(e in edits()) {
        check_save_network(&mutate(NETWORKS_FILE.as_bytes(), &e));
    }
}

/// The network of the batch-norm weights fuzzed below.
fn bn_net() -> NetworkDef {
    NetworkDef {
        name: "bn".parse().unwrap(),
        layers: "Flatten, Dense(16), BatchNorm, Relu, Dense(classes)"
            .parse()
            .unwrap(),
    }
}

/// A valid weights file of a network with batch norm (after a few steps, so its
/// running statistics are not their initial values).
fn valid_bn_weights() -> &'static Vec<u8> {
    static FILE: OnceLock<Vec<u8>> = OnceLock::new();
    FILE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let mut learner = Learner::new(
            Network::new(&bn_net(), 3).unwrap(),
            TrainSettings::preset(Preset::Mlp).optimizer_settings(),
        );
        let images: Vec<f32> = (0..32 * 784).map(|i| (i % 7) as f32 / 7.0).collect();
        let labels: Vec<u8> = (0..32).map(|i| (i % 10) as u8).collect();
        learner.train_batch(&images, &labels).unwrap();
        let w = dir.path().join("model.safetensors");
        learner.network().save(&w).unwrap();
        std::fs::read(w).unwrap()
    })
}

fn check_bn_weights(bytes: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.safetensors");
    std::fs::write(&path, bytes).unwrap();
    match Network::load(&bn_net(), &path) {
        // Whatever loads predicts (a mutated scale may overflow: that is a value).
        Ok(net) => assert_eq!(net.logits(&[0.5f32; 784]).unwrap().len(), 10),
        Err(e) => assert!(e.to_string().contains("model.safetensors"), "{e}"),
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn batch_norm_weights_mutated(e in edits()) {
        check_bn_weights(&mutate(valid_bn_weights(), &e));
    }
}

/// A PyTorch state dict (safetensors) of the batch-norm network, as `export --to
/// pytorch` writes it and `import` reads it.
fn valid_state_dict() -> &'static Vec<u8> {
    static FILE: OnceLock<Vec<u8>> = OnceLock::new();
    FILE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let w = dir.path().join("model.safetensors");
        std::fs::write(&w, valid_bn_weights()).unwrap();
        let net = Network::load(&bn_net(), &w).unwrap();
        mnist_tui::model::torch_state_bytes(&net.torch_state(), Default::default()).unwrap()
    })
}

/// What `import` does with a safetensors state dict: read it, then load it into the
/// network it names. Either works or names the file.
fn check_state_dict(bytes: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.safetensors");
    std::fs::write(&path, bytes).unwrap();
    let loaded = mnist_tui::model::read_torch_state(&path)
        .and_then(|t| Network::from_torch_state(&bn_net(), 10, t, &path));
    match loaded {
        Ok(net) => assert_eq!(net.logits(&[0.5f32; 784]).unwrap().len(), 10),
        Err(e) => assert!(e.to_string().contains("state.safetensors"), "{e}"),
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn state_dict_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        check_state_dict(&bytes);
    }

    #[test]
    fn state_dict_mutated(e in edits()) {
        check_state_dict(&mutate(valid_state_dict(), &e));
    }

    #[test]
    fn state_dict_header_mutated(e in edits()) {
        let valid = valid_state_dict();
        let n = u64::from_le_bytes(valid[..8].try_into().unwrap()) as usize;
        let mut head = mutate(&valid[..8 + n], &e);
        head.extend_from_slice(&valid[8 + n..]);
        check_state_dict(&head);
    }
}

#[test]
fn the_valid_state_dict_loads() {
    check_state_dict(valid_state_dict());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.safetensors");
    std::fs::write(&path, valid_state_dict()).unwrap();
    let t = mnist_tui::model::read_torch_state(&path).unwrap();
    assert!(Network::from_torch_state(&bn_net(), 10, t, &path).is_ok());
}

/// A valid weights file and a valid optimiser file of a small network.
fn valid_tensor_files() -> &'static (Vec<u8>, Vec<u8>) {
    static FILES: OnceLock<(Vec<u8>, Vec<u8>)> = OnceLock::new();
    FILES.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let net = Network::preset(Preset::Mlp, 7);
        let w = dir.path().join("model.safetensors");
        net.save(&w).unwrap();
        let learner = Learner::new(net, TrainSettings::preset(Preset::Mlp).optimizer_settings());
        let o = dir.path().join("optimizer.safetensors");
        learner.save_optimizer(&o).unwrap();
        (std::fs::read(w).unwrap(), std::fs::read(o).unwrap())
    })
}

fn check_weights(bytes: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.safetensors");
    std::fs::write(&path, bytes).unwrap();
    match Network::load(&NetworkDef::preset(Preset::Mlp), &path) {
        Ok(net) => {
            // Whatever loads must be usable: finite outputs.
            let logits = net.logits(&[0.5f32; 784]).unwrap();
            assert!(logits.iter().all(|v| v.is_finite()), "{logits:?}");
        }
        Err(e) => assert!(e.to_string().contains("model.safetensors"), "{e}"),
    }
    let _ = mnist_tui::model::read_checkpoint_tag(&path);
}

fn check_optimizer(bytes: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("optimizer.safetensors");
    std::fs::write(&path, bytes).unwrap();
    let mut learner = Learner::new(
        Network::preset(Preset::Mlp, 7),
        TrainSettings::preset(Preset::Mlp).optimizer_settings(),
    );
    if let Err(e) = learner.load_optimizer(&path) {
        assert!(e.to_string().contains("optimizer.safetensors"), "{e}");
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn weights_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        check_weights(&bytes);
        check_optimizer(&bytes);
    }

    #[test]
    fn weights_mutated(e in edits()) {
        check_weights(&mutate(&valid_tensor_files().0, &e));
    }

    #[test]
    fn optimizer_mutated(e in edits()) {
        check_optimizer(&mutate(&valid_tensor_files().1, &e));
    }

    #[test]
    fn weights_header_mutated(e in edits()) {
        // Mutations aimed at the JSON header (the first 8 + n bytes).
        let valid = &valid_tensor_files().0;
        let n = u64::from_le_bytes(valid[..8].try_into().unwrap()) as usize;
        let mut head = mutate(&valid[..8 + n], &e);
        head.extend_from_slice(&valid[8 + n..]);
        check_weights(&head);
    }
}

/// Small valid images in several formats, to mutate.
fn valid_images() -> &'static Vec<Vec<u8>> {
    static IMAGES: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    IMAGES.get_or_init(|| {
        let mut img = image::RgbaImage::new(12, 9);
        for (x, y, p) in img.enumerate_pixels_mut() {
            *p = image::Rgba([(x * 20) as u8, (y * 25) as u8, 128, 200]);
        }
        let dynamic = image::DynamicImage::ImageRgba8(img);
        let mut out = Vec::new();
        for format in [
            image::ImageFormat::Png,
            image::ImageFormat::Bmp,
            image::ImageFormat::Gif,
            image::ImageFormat::Tiff,
        ] {
            let mut buf = std::io::Cursor::new(Vec::new());
            dynamic.write_to(&mut buf, format).unwrap();
            out.push(buf.into_inner());
        }
        let mut buf = std::io::Cursor::new(Vec::new());
        image::DynamicImage::ImageRgb8(dynamic.to_rgb8())
            .write_to(&mut buf, image::ImageFormat::Jpeg)
            .unwrap();
        out.push(buf.into_inner());
        out
    })
}

fn check_image(bytes: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("digit.img");
    std::fs::write(&path, bytes).unwrap();
    if let Err(e) = mnist_tui::digit::prepare_file(&path) {
        let text = e.to_string();
        assert!(
            text.contains("digit.img") || text.contains("no digit"),
            "{text}"
        );
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn image_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..1024)) {
        check_image(&bytes);
    }

    #[test]
    fn image_mutated(which in 0usize..5, e in edits()) {
        check_image(&mutate(&valid_images()[which], &e));
    }
}

/// A golden checkpoint written by PyTorch (tests/golden/torch, see
/// scripts/golden/torch_checkpoint.py).
fn golden_torch(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden/torch")
        .join(name);
    std::fs::read(path).unwrap()
}

/// The golden checkpoints fuzzed below: a BatchNorm + Conv state dict with views and
/// every read dtype, an os.system pickle, the tutorial's model and its optimiser.
fn valid_torch_files() -> &'static Vec<Vec<u8>> {
    static FILES: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    FILES.get_or_init(|| {
        ["bn.pkl", "evil.pkl", "model.pkl", "optimizer.pkl"]
            .into_iter()
            .map(golden_torch)
            .collect()
    })
}

/// bn.pkl's entries (name, bytes), to put a mutated pickle back among them.
fn bn_entries() -> &'static Vec<(String, Vec<u8>)> {
    static ENTRIES: OnceLock<Vec<(String, Vec<u8>)>> = OnceLock::new();
    ENTRIES.get_or_init(|| {
        let bytes = golden_torch("bn.pkl");
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        (0..zip.len())
            .map(|i| {
                let mut f = zip.by_index(i).unwrap();
                let mut data = Vec::new();
                std::io::Read::read_to_end(&mut f, &mut data).unwrap();
                (f.name().unwrap().to_string(), data)
            })
            .collect()
    })
}

fn zip_entries(entries: &[(String, Vec<u8>)]) -> Vec<u8> {
    use std::io::Write;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, data) in entries {
        w.start_file(name.as_str(), options).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// The fuzzed files themselves read (else the properties below prove little).
#[test]
fn torch_golden_files_read() {
    use mnist_tui::interop::torch_file::read_torch_bytes;
    let name = Path::new("ckpt.pkl");
    let files = valid_torch_files();
    for i in [0, 2, 3] {
        assert!(read_torch_bytes(&files[i], name).is_ok(), "{i}");
    }
    let evil = read_torch_bytes(&files[1], name).unwrap_err().to_string();
    assert!(evil.contains("'posix system'"), "{evil}");
    assert!(read_torch_bytes(&zip_entries(bn_entries()), name).is_ok());
}

fn check_torch(bytes: &[u8]) {
    use mnist_tui::interop::torch_file::{read_torch_bytes, state_dict};
    let name = Path::new("ckpt.pkl");
    match read_torch_bytes(bytes, name) {
        Ok(value) => {
            if let Ok(entries) = state_dict(value, name) {
                for (_, t) in entries {
                    assert_eq!(t.data.len(), t.shape.iter().product::<usize>());
                }
            }
        }
        Err(e) => assert!(e.to_string().starts_with("ckpt.pkl: "), "{e}"),
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn torch_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        check_torch(&bytes);
        // Past the zip magic, into the archive reader.
        let mut zipped = b"PK\x03\x04".to_vec();
        zipped.extend_from_slice(&bytes);
        check_torch(&zipped);
    }

    #[test]
    fn torch_mutated(which in 0usize..4, e in edits()) {
        check_torch(&mutate(&valid_torch_files()[which], &e));
    }

    #[test]
    fn torch_pickle_mutated(e in edits()) {
        // A mutated data.pkl in an intact archive: the pickle machine's fuzz target.
        let mut entries = bn_entries().clone();
        for (name, data) in &mut entries {
            if name.ends_with("/data.pkl") {
                *data = mutate(data, &e);
            }
        }
        check_torch(&zip_entries(&entries));
    }
}
