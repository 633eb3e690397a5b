#!/usr/bin/env python3
"""Training speed inside the dashboard against headless `train`, same model and recipe.

Usage: scripts/dashboard-speed.py [BINARY] [DATA_DIR] [MODEL] [EPOCHS] [ROUNDS]

Each round starts `mnist-tui` in a pseudo-terminal (120x40) in a temporary folder with
MODEL and EPOCHS in its config.ron, presses `s`, waits for the run to finish while the
dashboard draws its live charts, quits, and reads the epochs' seconds with `runs show
--json`; then trains the same settings headless. Prints the median epoch seconds of both
and their ratio. Run it with nothing else on the machine.
"""
import json, os, statistics, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ptyapp import PtyApp

binary = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "target/release/mnist-tui")
data = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else "../shared/mnist")
model = sys.argv[3] if len(sys.argv) > 3 else "mlp"
epochs = int(sys.argv[4]) if len(sys.argv) > 4 else 2
rounds = int(sys.argv[5]) if len(sys.argv) > 5 else 3


def epoch_seconds(work):
    runs = os.path.join(work, "runs")
    run_id = sorted(os.listdir(runs))[-1]
    shown = subprocess.run([binary, "--runs-dir", runs, "runs", "show", run_id, "--json"],
                           check=True, capture_output=True, text=True).stdout
    record = json.loads(shown)
    if record["status"] != "finished":
        raise SystemExit(f"run {run_id} ended {record['status']}")
    return [e["seconds"] for e in record["epochs"]]


def dashboard():
    work = tempfile.mkdtemp(prefix="mnist-tui-speed-")
    with open(os.path.join(work, "config.ron"), "w") as f:
        f.write(f"(train: (model: {model}, epochs: {epochs}, seed: 1))")
    app = PtyApp(binary, ["--data-dir", data], work)
    app.read_until(b"ready", 60)
    app.send(b"s")
    app.read_until(b"Finished", 3600)
    app.send(b"q")
    time.sleep(1)
    app.kill()
    return epoch_seconds(work)


def headless():
    work = tempfile.mkdtemp(prefix="mnist-tui-speed-")
    subprocess.run([binary, "--runs-dir", os.path.join(work, "runs"), "--data-dir", data,
                    "train", "--model", model, "--epochs", str(epochs), "--seed", "1"],
                   check=True, capture_output=True)
    return epoch_seconds(work)


tui, cli = [], []
for r in range(rounds):
    tui += dashboard()
    cli += headless()
    print(f"round {r + 1}: dashboard {statistics.median(tui):.2f} s/epoch, "
          f"headless {statistics.median(cli):.2f} s/epoch", file=sys.stderr)
t, c = statistics.median(tui), statistics.median(cli)
print(f"{model}, {epochs} epochs x {rounds} rounds: dashboard {t:.2f} s/epoch "
      f"({min(tui):.2f}-{max(tui):.2f}), headless {c:.2f} s/epoch ({min(cli):.2f}-{max(cli):.2f}); "
      f"dashboard/headless {t / c:.3f}")
