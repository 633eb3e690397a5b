#!/usr/bin/env python3
"""TensorBoard event files from the real writers, to check mnist-tui's against.

write (default): PyTorch's SummaryWriter logs the scalars and text below into
  tests/golden/tensorboard/torch_scalars.tfevents, the golden file that
  src/interop/tensorboard/tests.rs reads with its own reader (same tags, steps
  and values: keep VALUES and the Rust test's list in step).
check DIR: reads an export of mnist-tui (`write_tensorboard`'s output folder)
  with tbparse, as TensorBoard's own loader does, and prints what it finds.

Made with Python 3.11, torch 2.15.0+cu132, tensorboard 2.21.0, tbparse 0.0.9,
protobuf 7.36.2, in a venv:
  pip install torch tensorboard tbparse
  python scripts/golden/tensorboard_events.py
  MNIST_TUI_TB_SAMPLE=/tmp/tb-sample cargo test --lib \
    interop::tensorboard::tests::sample_export -- --ignored
  python scripts/golden/tensorboard_events.py check /tmp/tb-sample
"""

import glob
import os
import shutil
import sys
import tempfile

# (tag, step, value): values exact in 32 bits, so the Rust test compares exactly.
VALUES = [
    ("loss/train", 1, 2.25),
    ("loss/train", 2, 1.5),
    ("loss/train", 3, 0.75),
    ("lr", 1, 0.125),
    ("lr", 3, 0.0625),
    ("accuracy/validation", 3, 0.875),
]
TEXT = ("note", 3, "golden file written by torch")

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, "..", "..", "tests", "golden", "tensorboard",
                      "torch_scalars.tfevents")


def write():
    import tensorboard
    import torch
    from torch.utils.tensorboard import SummaryWriter

    with tempfile.TemporaryDirectory() as tmp:
        # Fixed wall times keep the file the same from one run to the next.
        with SummaryWriter(log_dir=tmp) as w:
            for tag, step, value in VALUES:
                w.add_scalar(tag, value, step, walltime=1_700_000_000.0 + step)
            tag, step, text = TEXT
            w.add_text(tag, text, step, walltime=1_700_000_000.0 + step)
        (path,) = glob.glob(os.path.join(tmp, "events.out.tfevents.*"))
        shutil.copyfile(path, GOLDEN)
    print(f"torch {torch.__version__}, tensorboard {tensorboard.__version__}")
    print(f"wrote {os.path.normpath(GOLDEN)} ({os.path.getsize(GOLDEN)} bytes)")


def check(folder):
    import pandas as pd
    from tbparse import SummaryReader

    pd.set_option("display.width", 200)
    pd.set_option("display.max_columns", None)
    pd.set_option("display.max_rows", 200)
    pd.set_option("display.max_colwidth", 60)
    reader = SummaryReader(folder, extra_columns={"dir_name"})
    scalars = reader.scalars
    print(f"scalars: {len(scalars)} rows")
    print(scalars.groupby(["dir_name", "tag"]).agg(
        points=("value", "size"), first_step=("step", "min"),
        last_step=("step", "max"), last_value=("value", "last")))
    print("hparams (value per run):")
    print(reader.hparams.pivot(index="tag", columns="dir_name", values="value"))
    print("text:")
    for _, row in reader.text.iterrows():
        print(f"{row['dir_name']} {row['tag']} step {row['step']}:")
        print(row["value"])


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "check":
        check(sys.argv[2])
    else:
        write()
