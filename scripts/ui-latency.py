#!/usr/bin/env python3
"""Measures how fast the dashboard answers a keypress while it trains on both cores.

Usage: scripts/ui-latency.py [BINARY] [DATA_DIR] [MODEL]

Starts `mnist-tui` in a pseudo-terminal (120x40) in a temporary folder, starts a run of
MODEL (default cnn) on full MNIST, then 30 times opens the help overlay (`?`) and closes
it (Esc), timing each keypress until the terminal receives the redrawn screen. Prints
the median, 90th percentile and worst latency in milliseconds.
"""
import os, pty, select, signal, statistics, struct, sys, tempfile, time, fcntl, termios

binary = sys.argv[1] if len(sys.argv) > 1 else "target/release/mnist-tui"
data = sys.argv[2] if len(sys.argv) > 2 else os.environ.get("MNIST_DATA_DIR", "../shared/mnist")
model = sys.argv[3] if len(sys.argv) > 3 else "cnn"
binary, data = os.path.abspath(binary), os.path.abspath(data)
work = tempfile.mkdtemp(prefix="mnist-tui-latency-")
with open(os.path.join(work, "config.ron"), "w") as f:
    f.write(f"(train: (model: {model}, epochs: 3))")

pid, fd = pty.fork()
if pid == 0:
    os.chdir(work)
    os.environ["TERM"] = "xterm-256color"
    os.execv(binary, [binary, "--data-dir", data])
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))

buf = b""
def read_until(marker: bytes, timeout: float) -> float:
    """Reads output until `marker` shows up; returns the time it arrived."""
    global buf
    end = time.monotonic() + timeout
    while marker not in buf:
        left = end - time.monotonic()
        if left <= 0:
            raise SystemExit(f"timed out waiting for {marker!r}")
        r, _, _ = select.select([fd], [], [], left)
        if r:
            buf += os.read(fd, 65536)
    at = time.monotonic()
    buf = buf[buf.index(marker) + len(marker):]
    return at

read_until(b"ready", 60)
os.write(fd, b"s")
read_until(b"samples/s", 120)
time.sleep(3)  # let training settle on both cores
samples = []
for _ in range(30):
    buf = b""
    t0 = time.monotonic()
    os.write(fd, b"?")
    samples.append((read_until(b"Keys", 10) - t0) * 1000)
    time.sleep(0.2)
    buf = b""
    os.write(fd, b"\x1b")
    time.sleep(0.3)
os.write(fd, b"\x03")
time.sleep(2)
try:
    os.kill(pid, signal.SIGKILL)
except ProcessLookupError:
    pass
samples.sort()
print(f"keypress -> redraw while training {model} ({len(samples)} presses): "
      f"median {statistics.median(samples):.1f} ms, "
      f"p90 {samples[int(len(samples) * 0.9) - 1]:.1f} ms, worst {samples[-1]:.1f} ms")
