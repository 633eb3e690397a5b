#!/usr/bin/env python3
"""PyTorch training a network written in mnist-tui's layer language, on the same recipe.

usage: same-layers.py PEERS_DIR "LAYERS" EPOCHS [--lr 1e-3] [--batch 64] [--optimizer adam]
                      [--schedule cosine|constant] [--no-normalize] [--seed 1] [--threads N]

LAYERS is what `mnist-tui models NAME --json` prints as "layers" (or config.ron's list),
e.g. "Conv(out: 32, kernel: 3, pad: 1), Relu, MaxPool(2), Flatten, Dense(classes)". It is
built as an nn.Sequential of the PyTorch modules the language names (Dense = Linear,
Conv = Conv2d, BatchNorm = BatchNorm1d/2d, Dropout, GELU (exact), ...), trained with the
data preloaded as tensors (peers' common.py: PyTorch at its fastest), the rate decayed per
batch by mnist-tui's schedule (cosine to 0, or its one-cycle), no augmentation, all 60,000 images. Prints one
line per epoch: EPOCH train_s=… test_s=… acc=… (the format of peers' same_recipe.py).
"""
import argparse
import math
import re
import sys
import time

ap = argparse.ArgumentParser()
ap.add_argument("peers")
ap.add_argument("layers")
ap.add_argument("epochs", type=int)
ap.add_argument("--lr", type=float, default=1e-3)
ap.add_argument("--batch", type=int, default=64)
ap.add_argument("--optimizer", choices=["adam", "sgd"], default="adam")
ap.add_argument("--schedule", choices=["cosine", "constant", "one-cycle"], default="cosine")
ap.add_argument("--no-normalize", action="store_true")
ap.add_argument("--seed", type=int, default=1)
ap.add_argument("--threads", type=int, default=0)
args = ap.parse_args()
sys.path.insert(0, args.peers)

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from common import evaluate, load_mnist_tensors  # noqa: E402

if args.threads:
    torch.set_num_threads(args.threads)
torch.manual_seed(args.seed)


def split_top(text):
    """The comma-separated items of `text` outside parentheses."""
    items, depth, cur = [], 0, ""
    for ch in text.strip().strip("[]"):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            items.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        items.append(cur.strip())
    return items


def parse(item):
    m = re.fullmatch(r"(\w+)(?:\((.*)\))?", item)
    if not m:
        sys.exit(f"cannot read layer {item!r}")
    name, inner = m.group(1), m.group(2)
    pos, kw = [], {}
    for a in split_top(inner or ""):
        if ":" in a:
            k, v = a.split(":", 1)
            kw[k.strip()] = v.strip()
        else:
            pos.append(a)
    return name, pos, kw


def build(text, classes=10):
    """nn.Sequential of the layers, with the shapes chained from 1x28x28."""
    shape = (1, 28, 28)
    mods = []
    for item in split_top(text):
        name, pos, kw = parse(item)
        if name == "Dense":
            out = classes if pos[0] == "classes" else int(pos[0])
            mods.append(nn.Linear(shape[0], out))
            shape = (out,)
        elif name == "Conv":
            out, k = int(kw["out"]), int(kw["kernel"])
            s, p = int(kw.get("stride", 1)), int(kw.get("pad", 0))
            mods.append(nn.Conv2d(shape[0], out, k, stride=s, padding=p))
            shape = (out, (shape[1] + 2 * p - k) // s + 1, (shape[2] + 2 * p - k) // s + 1)
        elif name in ("MaxPool", "AvgPool"):
            k = int(pos[0])
            mods.append(nn.MaxPool2d(k) if name == "MaxPool" else nn.AvgPool2d(k))
            shape = (shape[0], shape[1] // k, shape[2] // k)
        elif name == "GlobalAvgPool":
            mods += [nn.AdaptiveAvgPool2d(1), nn.Flatten()]
            shape = (shape[0],)
        elif name == "Flatten":
            mods.append(nn.Flatten())
            shape = (math.prod(shape),)
        elif name == "Relu":
            mods.append(nn.ReLU())
        elif name == "LeakyRelu":
            mods.append(nn.LeakyReLU(float(pos[0])))
        elif name == "Tanh":
            mods.append(nn.Tanh())
        elif name == "Sigmoid":
            mods.append(nn.Sigmoid())
        elif name == "Gelu":
            mods.append(nn.GELU())
        elif name == "Dropout":
            mods.append(nn.Dropout(float(pos[0])))
        elif name == "BatchNorm":
            mods.append(nn.BatchNorm2d(shape[0]) if len(shape) == 3 else nn.BatchNorm1d(shape[0]))
        else:
            sys.exit(f"unknown layer {name}")
    return nn.Sequential(*mods)


model = build(args.layers)
print(f"torch {torch.__version__} threads={torch.get_num_threads()} "
      f"params={sum(p.numel() for p in model.parameters())}", flush=True)
xtr, ytr, xte, yte = load_mnist_tensors(normalize=not args.no_normalize)
opt = (torch.optim.SGD(model.parameters(), lr=args.lr) if args.optimizer == "sgd"
       else torch.optim.Adam(model.parameters(), lr=args.lr))
n = xtr.shape[0]
total = math.ceil(n / args.batch) * args.epochs
step = 0
for ep in range(1, args.epochs + 1):
    model.train()
    t0 = time.perf_counter()
    perm = torch.randperm(n)
    for i in range(0, n, args.batch):
        t = step / total
        if args.schedule == "cosine":
            factor = 0.5 * (1 + math.cos(math.pi * t))
        elif args.schedule == "one-cycle":
            # mnist-tui's: up from a 25th of the rate to the rate over the first quarter
            # (half a cosine), then a cosine down to 0.
            if t < 0.25:
                up = 1 - 0.5 * (1 + math.cos(math.pi * t / 0.25))
                factor = 1 / 25 + (1 - 1 / 25) * up
            else:
                factor = 0.5 * (1 + math.cos(math.pi * (t - 0.25) / 0.75))
        else:
            factor = 1.0
        for g in opt.param_groups:
            g["lr"] = args.lr * factor
        idx = perm[i:i + args.batch]
        opt.zero_grad()
        loss = F.cross_entropy(model(xtr[idx]), ytr[idx])
        loss.backward()
        opt.step()
        step += 1
    t1 = time.perf_counter()
    acc = evaluate(model, xte, yte, bs=1000)
    t2 = time.perf_counter()
    print("%d train_s=%.3f test_s=%.3f acc=%.2f" % (ep, t1 - t0, t2 - t1, acc), flush=True)
