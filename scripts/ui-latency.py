#!/usr/bin/env python3
"""Measures how fast the dashboard answers a keypress while it trains on both cores.

Usage: scripts/ui-latency.py [BINARY] [DATA_DIR] [MODEL]

Starts `mnist-tui` in a pseudo-terminal (120x40) in a temporary folder, starts a run of
MODEL (default cnn) on full MNIST, then 30 times opens the help overlay (`?`) and closes
it (Esc), timing each keypress until the terminal receives the redrawn screen. Prints
the median, 90th percentile and worst latency in milliseconds.
"""
import os, statistics, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ptyapp import PtyApp

binary = sys.argv[1] if len(sys.argv) > 1 else "target/release/mnist-tui"
data = sys.argv[2] if len(sys.argv) > 2 else os.environ.get("MNIST_DATA_DIR", "../shared/mnist")
model = sys.argv[3] if len(sys.argv) > 3 else "cnn"
binary, data = os.path.abspath(binary), os.path.abspath(data)
work = tempfile.mkdtemp(prefix="mnist-tui-latency-")
with open(os.path.join(work, "config.ron"), "w") as f:
    f.write(f"(train: (model: {model}, epochs: 3))")

app = PtyApp(binary, ["--data-dir", data], work)
app.read_until(b"ready", 60)
app.send(b"s")
app.read_until(b"samples/s", 120)
time.sleep(3)  # let training settle on both cores
samples = []
for _ in range(30):
    app.buf = b""
    t0 = time.monotonic()
    app.send(b"?")
    samples.append((app.read_until(b"Keys", 10) - t0) * 1000)
    time.sleep(0.2)
    app.buf = b""
    app.send(b"\x1b")
    time.sleep(0.3)
app.send(b"\x03")
time.sleep(2)
app.kill()
samples.sort()
print(f"keypress -> redraw while training {model} ({len(samples)} presses): "
      f"median {statistics.median(samples):.1f} ms, "
      f"p90 {samples[int(len(samples) * 0.9) - 1]:.1f} ms, worst {samples[-1]:.1f} ms")
