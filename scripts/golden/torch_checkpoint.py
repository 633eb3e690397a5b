#!/usr/bin/env python3
"""Golden PyTorch checkpoints for src/interop/torch_file's tests, made by real PyTorch.

Made with torch 2.15.0 (CPU), numpy 2.4.6, Python 3, from the repository's root:

    /tmp/torch/bin/python scripts/golden/torch_checkpoint.py

It writes, in tests/golden/torch/:
- model.pkl      torch.save(model.state_dict()) of the tutorial's 784-256-64-10 MLP
                 (torch.manual_seed(0)) after one SGD step on a random batch;
- optimizer.pkl  torch.save(optimizer.state_dict()) of that SGD (lr=0.8, momentum=0.9:
                 without momentum SGD keeps no state, and the file should hold some:
                 one momentum buffer per parameter);
- bn.pkl         a dict of str -> tensor: a Conv2d + BatchNorm2d state dict (run once in
                 training mode, so the running statistics moved; num_batches_tracked is
                 an int64 0-dim tensor) plus views saved as they are (a transpose: not
                 contiguous; a slice: a storage offset, sharing the conv weight's
                 storage) and float64, float16, bfloat16 and int32 tensors;
- evil.pkl       torch.save of an object whose __reduce__ calls os.system: what a
                 hostile checkpoint looks like (never loaded here, only written);
- expected.json  per file and tensor: dtype, shape, sum (float64) and the first values in
                 row-major order, what the Rust tests compare against.
"""
import json
import os
import sys

import torch

OUT = os.path.join("tests", "golden", "torch")


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.linear1 = torch.nn.Linear(784, 256)
        self.linear2 = torch.nn.Linear(256, 64)
        self.linear3 = torch.nn.Linear(64, 10)

    def forward(self, x):
        x = x.view(-1, 784)
        x = torch.relu(self.linear1(x))
        x = torch.relu(self.linear2(x))
        return torch.relu(self.linear3(x))


class Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def describe(t):
    flat = t.detach().contiguous().reshape(-1)
    return {
        "dtype": str(t.dtype).removeprefix("torch."),
        "shape": list(t.shape),
        "contiguous": t.is_contiguous(),
        "sum": float(flat.double().sum()),
        "first": [float(v) for v in flat[:5].double()],
    }


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    model = Model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.8, momentum=0.9)
    x = torch.rand(32, 1, 28, 28)
    y = torch.randint(0, 10, (32,))
    loss = torch.nn.functional.cross_entropy(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    torch.save(model.state_dict(), os.path.join(OUT, "model.pkl"))
    torch.save(optimizer.state_dict(), os.path.join(OUT, "optimizer.pkl"))

    net = torch.nn.Sequential(torch.nn.Conv2d(1, 3, 3), torch.nn.BatchNorm2d(3))
    net.train()
    net(torch.rand(4, 1, 6, 6))
    bn = dict(net.state_dict())
    w = net[0].weight.detach()
    bn["conv_weight_t"] = w.reshape(3, 9).t()  # shares the storage, not contiguous
    bn["conv_weight_tail"] = w[1:]  # shares the storage, offset 9
    bn["double"] = torch.linspace(-1, 1, 5, dtype=torch.float64)
    bn["half"] = torch.tensor([0.5, -2.0, 65504.0, 1e-7], dtype=torch.float16)
    bn["bfloat16"] = torch.tensor([1.5, -3.0, 1e30], dtype=torch.bfloat16)
    bn["int32"] = torch.tensor([[1, -2], [3, 2147483647]], dtype=torch.int32)
    torch.save(bn, os.path.join(OUT, "bn.pkl"))

    torch.save(Evil(), os.path.join(OUT, "evil.pkl"))

    state = optimizer.state_dict()
    expected = {
        "torch": torch.__version__,
        "model.pkl": {k: describe(v) for k, v in model.state_dict().items()},
        "optimizer.pkl": {
            "param_groups": [
                {k: v for k, v in g.items() if isinstance(v, (int, float, bool, list))}
                for g in state["param_groups"]
            ],
            "state": {
                str(i): {k: describe(v) for k, v in s.items()}
                for i, s in state["state"].items()
            },
        },
        "bn.pkl": {k: describe(v) for k, v in bn.items()},
    }
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=False)
        f.write("\n")
    print("wrote", OUT, "with torch", torch.__version__, file=sys.stderr)


if __name__ == "__main__":
    main()
