"""Checks an exported model against the real thing: the PyTorch export loaded strictly
into its generated Net, and the ONNX export run by onnxruntime, both on the 10,000 MNIST
test images fed as ToTensor() gives them. Needs torch, safetensors and onnxruntime (a
throwaway venv is enough; CI does not run this).

    mnist-tui export RUN --to pytorch --out exp/pt
    mnist-tui export RUN --to onnx --out exp/model.onnx
    python scripts/check_exports.py exp/pt exp/model.onnx
(MNIST from ../shared/mnist, or $PEERS_DATA_DIR.)
"""
import os
import sys

import numpy as np
import onnxruntime as ort
import safetensors.torch
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "peers"))
from common import load_mnist_tensors  # noqa: E402


def main():
    pt_dir, onnx_file = sys.argv[1], sys.argv[2]
    sys.path.insert(0, pt_dir)
    from model import Net  # noqa: E402 (the generated module)

    _, _, xte, yte = load_mnist_tensors(normalize=False)
    net = Net()
    net.load_state_dict(safetensors.torch.load_file(os.path.join(pt_dir, "model.safetensors")))
    net.eval()
    with torch.no_grad():
        pt = torch.cat([net(xte[i:i + 1000]) for i in range(0, len(xte), 1000)]).numpy()
    sess = ort.InferenceSession(onnx_file)
    outs = [sess.run(["logits", "probabilities"], {"images": xte[i:i + 1000].numpy()})
            for i in range(0, len(xte), 1000)]
    ox = np.concatenate([o[0] for o in outs])
    probs = np.concatenate([o[1] for o in outs])
    y = yte.numpy()
    print(f"PyTorch {torch.__version__} (strict load_state_dict): test accuracy {100 * (pt.argmax(1) == y).mean():.2f}%")
    print(f"onnxruntime {ort.__version__}: test accuracy {100 * (ox.argmax(1) == y).mean():.2f}%")
    print(f"same top-1 on {(pt.argmax(1) == ox.argmax(1)).sum()} of {len(y)}; "
          f"largest logit difference {np.abs(pt - ox).max():.1e}; "
          f"probabilities sum to 1 within {np.abs(probs.sum(1) - 1).max():.1e}")


if __name__ == "__main__":
    main()
