"""The tutorial mnist-tui grew from, as its users run it: an MLP (linear1..3, ReLU on
the logits) trained on MNIST with ToTensor() images (0-1, no normalisation), batch 64,
SGD lr 0.8, saving model.pkl and optimizer.pkl with torch.save(...state_dict()) as it
does. Prints the test accuracy PyTorch computes, to compare with what `mnist-tui
import model.pkl` reports.

    /tmp/torch/bin/python scripts/tutorial.py [EPOCHS] [OUT_DIR]
(MNIST from ../shared/mnist, or $PEERS_DATA_DIR.)
"""
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "peers"))
from common import evaluate, load_mnist_tensors  # noqa: E402


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


def main():
    epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    out = sys.argv[2] if len(sys.argv) > 2 else "model"
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    xtr, ytr, xte, yte = load_mnist_tensors(normalize=False)
    model = Model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.8)
    loss_fn = torch.nn.CrossEntropyLoss()
    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(xtr.shape[0])
        for i, start in enumerate(range(0, xtr.shape[0], 64)):
            idx = perm[start:start + 64]
            optimizer.zero_grad()
            loss = loss_fn(model(xtr[idx]), ytr[idx])
            loss.backward()
            optimizer.step()
            if i % 100 == 0:
                torch.save(model.state_dict(), os.path.join(out, "model.pkl"))
                torch.save(optimizer.state_dict(), os.path.join(out, "optimizer.pkl"))
        torch.save(model.state_dict(), os.path.join(out, "model.pkl"))
        torch.save(optimizer.state_dict(), os.path.join(out, "optimizer.pkl"))
        print(f"epoch {epoch + 1}: test accuracy {evaluate(model, xte, yte):.2f}% (torch {torch.__version__})")


if __name__ == "__main__":
    main()
