"""List the TorchScript ops that torch.nn's standard modules use, to regenerate raudit's reviewed op list.

raudit inspects a TorchScript archive's ``code/`` before ``torch.jit.load`` and
refuses any op outside ``raudit.load.torch.TORCHSCRIPT_OPS`` (see its docstring).
This script scripts the common layers (linear, convolution, normalisation,
dropout, embeddings, activations, pooling, recurrent, attention), saves each,
parses the code torch wrote and prints every ``torch.*`` and ``ops.*`` name it
calls; ``--check`` prints only those raudit does not allow yet. Review new
names before adding them: an op that reads or writes files (``from_file``),
or a custom-op namespace, must never be on the list.

    .venv/bin/python scripts/torchscript_ops.py [--check]
"""

from __future__ import annotations

import argparse
import io
import sys
import warnings
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def standard_modules() -> list:
    """One instance of each common torch.nn layer."""
    import torch.nn as nn

    return [nn.Linear(4, 4), nn.Bilinear(4, 4, 2), nn.Conv1d(2, 2, 3), nn.Conv2d(2, 2, 3), nn.Conv3d(2, 2, 3),
            nn.ConvTranspose2d(2, 2, 3), nn.BatchNorm1d(4), nn.BatchNorm2d(4), nn.LayerNorm(4), nn.GroupNorm(2, 4),
            nn.InstanceNorm1d(4), nn.Dropout(), nn.Dropout2d(), nn.AlphaDropout(), nn.Embedding(10, 4), nn.EmbeddingBag(10, 4),
            nn.ReLU(), nn.ReLU6(), nn.LeakyReLU(), nn.PReLU(), nn.GELU(), nn.ELU(), nn.SELU(), nn.CELU(), nn.SiLU(), nn.Mish(),
            nn.Sigmoid(), nn.Tanh(), nn.Softmax(dim=1), nn.LogSoftmax(dim=1), nn.Softplus(), nn.Softsign(), nn.Hardtanh(),
            nn.Hardswish(), nn.Hardsigmoid(), nn.Tanhshrink(), nn.Threshold(0.1, 0.0), nn.MaxPool1d(2), nn.MaxPool2d(2),
            nn.AvgPool1d(2), nn.AvgPool2d(2), nn.AdaptiveAvgPool1d(1), nn.AdaptiveAvgPool2d(1), nn.AdaptiveMaxPool2d(1),
            nn.Flatten(), nn.Unflatten(1, (2, 2)), nn.Identity(), nn.Sequential(nn.Linear(4, 4), nn.ReLU()),
            nn.LSTM(4, 4, batch_first=True), nn.GRU(4, 4), nn.RNN(4, 4), nn.MultiheadAttention(4, 2, batch_first=True),
            nn.TransformerEncoderLayer(8, 2, 16, batch_first=True), nn.Upsample(scale_factor=2), nn.ZeroPad2d(1),
            nn.CosineSimilarity(), nn.PairwiseDistance(), nn.PixelShuffle(2), nn.Hardshrink(), nn.Softmin(dim=1), nn.GLU(),
            nn.LogSigmoid()]


def main() -> int:
    """Script the standard modules and print the ops their code calls."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="print only ops raudit does not allow; exit 1 if any")
    args = parser.parse_args()
    import torch

    from raudit.load.torch import torchscript_calls

    warnings.simplefilter("ignore")
    names: set[str] = set()
    for module in standard_modules():
        buf = io.BytesIO()
        torch.jit.save(torch.jit.script(module), buf)
        with zipfile.ZipFile(buf) as zf:
            names |= torchscript_calls(zf)
    from raudit.load.torch import PRIM_OPS, TORCHSCRIPT_OPS

    allowed = {f"torch.{n}" for n in TORCHSCRIPT_OPS} | {f"ops.aten.{n}" for n in TORCHSCRIPT_OPS} | {f"ops.prim.{n}" for n in PRIM_OPS}
    shown = sorted(n for n in names if not args.check or n not in allowed)
    for name in shown:
        print(name + ("" if name in allowed else "   <-- not allowed"))
    return 1 if args.check and shown else 0


if __name__ == "__main__":
    raise SystemExit(main())
