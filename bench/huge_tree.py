#!/usr/bin/env python3
"""Writes a small tree of a few huge files, each just under fwlint's size cap
for its kind, so that the benchmark can show what peak memory the largest
files fwlint agrees to read cost:

  model.py          ~8 MiB of ordinary Python (imports, classes, calls)
  analysis.ipynb    ~56 MiB notebook of code cells
  requirements.txt  ~1 MiB of pinned requirements
  package.json      ~1 MiB with a long dependency list
  weights.h         ~16 MiB C array (a model compiled into firmware)

Usage: bench/huge_tree.py OUT_DIR
"""
import json
import os
import sys

MIB = 1024 * 1024

PY_BLOCK = '''
import torch
import torch.nn as nn
from typing import Optional


class Block{n}(nn.Module):
    """A residual block, {n}."""

    def __init__(self, dim: int, hidden: Optional[int] = None) -> None:
        super().__init__()
        hidden = hidden or 4 * dim
        self.norm = nn.LayerNorm(dim)
        self.up = nn.Linear(dim, hidden)
        self.down = nn.Linear(hidden, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.down(torch.relu(self.up(self.norm(x))))
        return x + y * {n} / ({n} + 1)
'''


def fill(path, limit, piece):
    with open(path, "w") as f:
        written, n = 0, 0
        while True:
            text = piece(n)
            if written + len(text) > limit:
                return
            f.write(text)
            written += len(text)
            n += 1


def notebook(path, limit):
    cells, size, n = [], 0, 0
    while size < limit:
        source = PY_BLOCK.format(n=n).splitlines(keepends=True)
        cells.append({"cell_type": "code", "execution_count": n, "metadata": {},
                      "outputs": [], "source": source})
        size += sum(len(s) for s in source) + 120
        n += 1
    doc = {"cells": cells, "metadata": {"kernelspec": {"name": "python3"}},
           "nbformat": 4, "nbformat_minor": 5}
    with open(path, "w") as f:
        json.dump(doc, f)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    fill(os.path.join(out, "model.py"), 8 * MIB - 4096, lambda n: PY_BLOCK.format(n=n))
    notebook(os.path.join(out, "analysis.ipynb"), 48 * MIB)
    fill(os.path.join(out, "requirements.txt"), MIB - 4096,
         lambda n: f"package-{n}=={n % 7}.{n % 11}.{n % 13}\n")
    deps = {f"package-{n}": f"^{n % 9}.0.0" for n in range(25000)}
    deps["@tensorflow/tfjs"] = "^4.20.0"
    with open(os.path.join(out, "package.json"), "w") as f:
        json.dump({"name": "huge", "version": "1.0.0", "dependencies": deps}, f, indent=2)
    fill(os.path.join(out, "weights.h"), 16 * MIB - 4096,
         lambda n: ("const unsigned char model_data[] = {\n" if n == 0 else "")
         + ", ".join(f"0x{(n * 31 + i) % 256:02x}" for i in range(16)) + ",\n")


if __name__ == "__main__":
    main()
