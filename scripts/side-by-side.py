#!/usr/bin/env python3
"""Training seconds per epoch of mnist-tui binaries and PyTorch, side by side, in one sitting.

usage: side-by-side.py DATA_DIR PYTORCH_PYTHON PEERS_DIR BINARY [BINARY ...]
           [--rounds N] [--models m1,m2] [--epochs tutorial-mlp=3,mlp=3,lenet=2,cnn=1]
           [--network FILE] [--seeds]

A model that is not one of the four presets is a network of `--network FILE` (a file of
networks as `mnist-tui --network` reads it): PyTorch trains the same layers
(`same-layers.py`, beside this script) on the recipe mnist-tui's run recorded. With
`--seeds`, round K trains seed K on both sides (accuracy as a mean over seeds); without,
every round trains seed 1.

Each round trains every model once with each binary (`train --model M --seed 1
--augment off --validation 0`, the model's default recipe without augmentation and on all
60,000 images, as PyTorch's; the epochs' `seconds` from `runs show --json`) and once with
PyTorch (`same_recipe.py M EPOCHS`, its `train_s` lines), interleaved so that a slow
moment of the machine hits all of them. Prints the median and range of every one, and
each binary's ratio to PyTorch. Run it with nothing else on the machine.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

ap = argparse.ArgumentParser()
ap.add_argument("data_dir")
ap.add_argument("python")
ap.add_argument("peers")
ap.add_argument("binaries", nargs="+")
ap.add_argument("--rounds", type=int, default=3)
ap.add_argument("--models", default="tutorial-mlp,mlp,lenet,cnn")
ap.add_argument("--epochs", default="tutorial-mlp=3,mlp=3,lenet=2,cnn=1")
ap.add_argument("--network")
ap.add_argument("--seeds", action="store_true")
args = ap.parse_args()
PRESETS = ["tutorial-mlp", "mlp", "lenet", "cnn"]
HERE = os.path.dirname(os.path.abspath(__file__))
epochs = dict((k, int(v)) for k, v in (kv.split("=") for kv in args.epochs.split(",")))
models = args.models.split(",")


def accepts(binary, flag):
    """Whether `binary train` knows `flag`."""
    help_text = subprocess.run([binary, "train", "--help"], capture_output=True, text=True)
    return flag in help_text.stdout


def mnist_tui(binary, model, seed):
    with tempfile.TemporaryDirectory() as runs:
        base = [binary, "--runs-dir", runs, "--data-dir", args.data_dir]
        if args.network:
            base += ["--network", args.network]
        # same_recipe.py has no augmentation and no validation split (it trains on all
        # 60,000 images and times training only): compare like with like. Binaries from
        # before validation splits have no --validation flag.
        extra = ["--validation", "0"] if accepts(binary, "--validation") else []
        subprocess.run(base + ["train", "--model", model, "--seed", str(seed), "--augment", "off",
                               "--epochs", str(epochs[model])] + extra, check=True,
                       capture_output=True)
        run_id = sorted(os.listdir(runs))[0]
        shown = subprocess.run(base + ["runs", "show", run_id, "--json"], check=True,
                               capture_output=True, text=True).stdout
        record = json.loads(shown)
        # Test accuracy: of the kept weights, scored once at the end (older binaries:
        # after every epoch, the last epoch's).
        acc = record.get("test_acc")
        if acc is None:
            acc = record["epochs"][-1]["test_acc"]
        return [e["seconds"] for e in record["epochs"]], acc, record["config"]


def layers_text(binary, model):
    """The network's layers as the language writes them (`models NAME --json`)."""
    network = ["--network", args.network] if args.network else []
    shown = subprocess.run([binary] + network + ["models", model, "--json"],
                           check=True, capture_output=True, text=True).stdout
    return ", ".join(row["layer"] for row in json.loads(shown)["layers"])


def pytorch(model, seed, config):
    env = dict(os.environ, MNIST_DATA_DIR=args.data_dir)
    if model in PRESETS:
        cmd = [args.python, "same_recipe.py", model, str(epochs[model]), "--seed", str(seed)]
    else:
        cmd = [args.python, os.path.join(HERE, "same-layers.py"), args.peers,
               layers_text(args.binaries[-1], model), str(epochs[model]),
               "--lr", str(config["lr"]), "--batch", str(config["batch_size"]),
               "--optimizer", config["optimizer"], "--schedule", config["lr_schedule"],
               "--seed", str(seed)] + ([] if config["normalize"] else ["--no-normalize"])
    out = subprocess.run(cmd, cwd=args.peers, env=env, check=True, capture_output=True,
                         text=True).stdout
    secs = [float(w.split("=")[1]) for line in out.splitlines() for w in line.split()
            if w.startswith("train_s=")]
    accs = [float(w.split("=")[1]) for line in out.splitlines() for w in line.split()
            if w.startswith("acc=")]
    return secs, accs[-1] / 100


names = [os.path.basename(b) for b in args.binaries] + ["pytorch"]
seconds = {(n, m): [] for n in names for m in models}
accuracy = {(n, m): [] for n in names for m in models}
for r in range(args.rounds):
    seed = r + 1 if args.seeds else 1
    for m in models:
        config = None
        for b, n in zip(args.binaries, names):
            s, a, config = mnist_tui(b, m, seed)
            seconds[(n, m)] += s
            accuracy[(n, m)].append(a)
        s, a = pytorch(m, seed, config)
        seconds[("pytorch", m)] += s
        accuracy[("pytorch", m)].append(a)
        print(f"round {r + 1} {m}: " + ", ".join(
            f"{n} {statistics.median(seconds[(n, m)]):.2f}" for n in names), file=sys.stderr)

print(f"| model | " + " | ".join(f"{n} s/epoch (median, range)" for n in names)
      + " | " + " | ".join(f"{n} / pytorch" for n in names[:-1]) + " |")
print("|---" * (2 * len(names)) + "|")
for m in models:
    med = {n: statistics.median(seconds[(n, m)]) for n in names}
    def acc(n):
        a = accuracy[(n, m)]
        sd = statistics.stdev(a) if len(a) > 1 else 0.0
        return f"acc {100 * statistics.mean(a):.2f}% ± {100 * sd:.2f}"
    cells = [f"{med[n]:.2f} ({min(seconds[(n, m)]):.2f}–{max(seconds[(n, m)]):.2f}), "
             f"{acc(n)}" for n in names]
    ratios = [f"{med[n] / med['pytorch']:.2f}" for n in names[:-1]]
    print(f"| {m} | " + " | ".join(cells) + " | " + " | ".join(ratios) + " |")
