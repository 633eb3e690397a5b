"""Golden files for PyTorch's layouts: two small networks built with real PyTorch
modules (names and layers as mnist-tui's language writes them), their state dicts as
safetensors and their outputs on a few images.

Made once with torch 2.x (the version is recorded in each file's metadata):
    /tmp/torch/bin/python scripts/golden/pytorch_layouts.py
Read by the tests in src/interop/pytorch/ (the import must give PyTorch's outputs).
"""
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "golden", "pytorch")


class NetA(nn.Module):
    """Conv(out: 4, kernel: 3, stride: 2, pad: 1), BatchNorm, LeakyRelu(0.1), MaxPool(2),
    Conv(out: 6, kernel: 3), Tanh, Flatten, BatchNorm, Dense(32), Gelu, Dropout(0.2),
    Dense(classes)"""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, stride=2, padding=1)
        self.bn1 = nn.BatchNorm2d(4)
        self.conv2 = nn.Conv2d(4, 6, 3)
        self.bn2 = nn.BatchNorm1d(150)
        self.fc1 = nn.Linear(150, 32)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x):
        x = F.max_pool2d(F.leaky_relu(self.bn1(self.conv1(x)), 0.1), 2)
        x = torch.flatten(torch.tanh(self.conv2(x)), 1)
        x = F.dropout(F.gelu(self.fc1(self.bn2(x))), 0.2, self.training)
        return self.fc2(x)


class NetB(nn.Module):
    """Conv(out: 8, kernel: 5, pad: 2), Sigmoid, AvgPool(2), Conv(out: 8, kernel: 3, pad: 1),
    Relu, GlobalAvgPool, Dense(classes)"""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 5, padding=2)
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1)
        self.fc1 = nn.Linear(8, 10)

    def forward(self, x):
        x = F.avg_pool2d(torch.sigmoid(self.conv1(x)), 2)
        x = F.adaptive_avg_pool2d(F.relu(self.conv2(x)), 1).flatten(1)
        return self.fc1(x)


def main():
    torch.manual_seed(17)
    images = torch.rand(8, 1, 28, 28)
    for name, net in (("net_a", NetA()), ("net_b", NetB())):
        # Running statistics away from (0, 1), so that a wrong layout shows.
        for m in net.modules():
            if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.data.uniform_(0.5, 1.5)
                m.bias.data.uniform_(-0.2, 0.2)
                m.num_batches_tracked.fill_(123)
        net.eval()
        with torch.no_grad():
            logits = net(images)
        meta = {"torch": torch.__version__, "layers": net.__doc__.replace("\n   ", "").strip()}
        save_file(dict(net.state_dict()), os.path.join(OUT, f"{name}.safetensors"), metadata=meta)
        save_file({"images": images.contiguous(), "logits": logits.contiguous()},
                  os.path.join(OUT, f"{name}.outputs.safetensors"), metadata=meta)
        print(name, meta["layers"], logits[0, :3].tolist())


if __name__ == "__main__":
    main()
