"""PyTorch's outputs of the golden tutorial checkpoint (tests/golden/torch/model.pkl,
made by torch_checkpoint.py) on a few images, for the test that mnist-tui's import
predicts as PyTorch does.

Made once with torch 2.15.0:
    /tmp/torch/bin/python scripts/golden/torch_outputs.py
Writes tests/golden/torch/model.outputs.safetensors: `images` (16×1×28×28, 0-1, as
ToTensor() gives them) and `logits` (16×10).
"""
import os

import torch
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, "..", "..", "tests", "golden", "torch")


class Model(torch.nn.Module):
    """The tutorial's module."""

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


def main():
    model = Model()
    model.load_state_dict(torch.load(os.path.join(GOLDEN, "model.pkl")))
    model.eval()
    torch.manual_seed(5)
    # Sparse bright strokes on black, like digits, so that the ReLUs are not all off.
    images = (torch.rand(16, 1, 28, 28) > 0.8).float() * torch.rand(16, 1, 28, 28)
    with torch.no_grad():
        logits = model(images)
    save_file({"images": images.contiguous(), "logits": logits.contiguous()},
              os.path.join(GOLDEN, "model.outputs.safetensors"), metadata={"torch": torch.__version__})
    print(logits[:2])


if __name__ == "__main__":
    main()
