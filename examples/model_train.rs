//! Trains one architecture on full MNIST and prints per-epoch time and test accuracy.
//!
//! ```text
//! cargo run --release --example model_train -- ARCH [EPOCHS] [key=value ...]
//! keys: seed=N  lr=F  batch=N  limit=N (training images)  normalize=true|false
//!       opt=sgd|adam  momentum=F
//! ```
//! Data: `$MNIST_DATA_DIR` (default `../shared/mnist` next to the crate).

use std::io::Read;
use std::path::PathBuf;
use std::time::Instant;

use mnist_tui::model::{IMAGE_PIXELS, Learner, Network, OptimizerKind, Preset};
use rand::SeedableRng;
use rand::seq::SliceRandom;

fn read_gz(name: &str) -> Result<Vec<u8>, String> {
    let dir = std::env::var_os("MNIST_DATA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/mnist"));
    let path = dir.join(name);
    let file = std::fs::File::open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(file)
        .read_to_end(&mut out)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(out)
}

fn load(prefix: &str, normalize: bool) -> Result<(Vec<f32>, Vec<u8>), String> {
    let img = read_gz(&format!("{prefix}-images-idx3-ubyte.gz"))?;
    let lab = read_gz(&format!("{prefix}-labels-idx1-ubyte.gz"))?;
    if img.len() < 16 || lab.len() < 8 {
        return Err("truncated IDX file".into());
    }
    let n = (lab.len() - 8).min((img.len() - 16) / IMAGE_PIXELS);
    let images = img[16..16 + n * IMAGE_PIXELS]
        .iter()
        .map(|&p| {
            let v = p as f32 / 255.0;
            if normalize { (v - 0.1307) / 0.3081 } else { v }
        })
        .collect();
    Ok((images, lab[8..8 + n].to_vec()))
}

/// CPU seconds (user + system) this process has used so far, from `/proc/self/stat`
/// (Linux; 0 elsewhere). On a busy machine it is a steadier measure than wall time.
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the `(comm)`: utime and stime are fields 14 and 15 overall.
    let after = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = f.get(11..13).map_or(0.0, |v| {
        v.iter().filter_map(|x| x.parse::<f64>().ok()).sum()
    });
    ticks / 100.0
}

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let name = args
        .first()
        .ok_or("usage: model_train PRESET [EPOCHS] [key=value ...]")?;
    let arch = Preset::named(name).ok_or(format!("unknown preset '{name}'"))?;
    let mut d = arch.defaults();
    let mut epochs = d.epochs;
    let (mut seed, mut limit) = (1u64, usize::MAX);
    for a in &args[1..] {
        if let Ok(e) = a.parse() {
            epochs = e;
            continue;
        }
        let (k, v) = a.split_once('=').ok_or(format!("bad argument {a}"))?;
        let bad = |e: &dyn std::fmt::Display| format!("bad value in {a}: {e}");
        match k {
            "seed" => seed = v.parse().map_err(|e| bad(&e))?,
            "lr" => d.optimizer.lr = v.parse().map_err(|e| bad(&e))?,
            "momentum" => d.optimizer.momentum = v.parse().map_err(|e| bad(&e))?,
            "batch" => d.batch_size = v.parse().map_err(|e| bad(&e))?,
            "limit" => limit = v.parse().map_err(|e| bad(&e))?,
            "normalize" => d.normalize = v.parse().map_err(|e| bad(&e))?,
            "opt" => {
                d.optimizer.kind = match v {
                    "sgd" => OptimizerKind::Sgd,
                    "adam" => OptimizerKind::Adam,
                    _ => return Err(format!("bad optimiser {v}")),
                }
            }
            _ => return Err(format!("unknown key {k}")),
        }
    }
    let (train_x, train_y) = load("train", d.normalize)?;
    let (test_x, test_y) = load("t10k", d.normalize)?;
    let n = train_y.len().min(limit);
    println!(
        "{arch}: {} params, {n} training images, epochs {epochs}, seed {seed}, {:?}, batch {}, normalize {}",
        Network::preset(arch, seed).param_count(),
        d.optimizer,
        d.batch_size,
        d.normalize
    );
    let mut learner = Learner::new(Network::preset(arch, seed), d.optimizer);
    let mut order: Vec<usize> = (0..n).collect();
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let (mut bx, mut by) = (Vec::new(), Vec::new());
    for epoch in 1..=epochs {
        order.shuffle(&mut rng);
        let start = Instant::now();
        let cpu0 = cpu_seconds();
        let (mut sum, mut count) = (0.0f64, 0usize);
        for batch in order.chunks(d.batch_size) {
            bx.clear();
            by.clear();
            for &i in batch {
                bx.extend_from_slice(&train_x[i * IMAGE_PIXELS..(i + 1) * IMAGE_PIXELS]);
                by.push(train_y[i]);
            }
            let loss = learner
                .train_batch(&bx, &by)
                .map_err(|e| e.to_string())?
                .loss;
            sum += loss as f64;
            count += 1;
        }
        let train_secs = start.elapsed().as_secs_f64();
        let train_cpu = cpu_seconds() - cpu0;
        let t = Instant::now();
        let eval = learner
            .network()
            .evaluate(&test_x, &test_y)
            .map_err(|e| e.to_string())?;
        println!(
            "epoch {epoch}: train {train_secs:.1}s wall, {train_cpu:.1} CPU-s, mean loss {:.4}; test accuracy {:.2}% (loss {:.4}, {:.1}s for {} images)",
            sum / count.max(1) as f64,
            100.0 * eval.accuracy(),
            eval.loss,
            t.elapsed().as_secs_f64(),
            eval.total
        );
    }
    Ok(())
}
