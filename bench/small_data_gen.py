"""Generates the small classification data sets of small_data_selection.sh.

Two 3-class problems with 13 unscaled columns (6 informative, 7 noise), each
with a training file and a 2000-row test file drawn from the same law:
  easy: 178 training rows, well separated classes (test accuracy ~0.99),
        the shape of the issue's case where most trials tied at 1.0;
  med:  300 training rows, overlapping classes (test accuracy ~0.87).
usage: small_data_gen.py OUT_DIR
"""
import sys

import numpy as np


def make(path_stem, seed, n_train, scale, out):
    rng = np.random.default_rng(seed)
    n = n_train + 2000
    y = rng.integers(0, 3, n)
    centers = rng.normal(scale=scale, size=(3, 6))
    xi = centers[y] + rng.normal(size=(n, 6))
    xn = rng.normal(size=(n, 7))
    x = np.hstack([xi, xn]) * rng.uniform(0.5, 20, size=13)  # unscaled, like real data
    cls = np.array(["c1", "c2", "c3"])
    for name, sl in (("train", slice(0, n_train)), ("test", slice(n_train, n))):
        with open(f"{out}/{path_stem}_{name}.csv", "w") as f:
            f.write(",".join(f"f{i}" for i in range(13)) + ",class\n")
            for row, c in zip(x[sl], y[sl]):
                f.write(",".join(f"{v:.4f}" for v in row) + "," + cls[c] + "\n")


out = sys.argv[1] if len(sys.argv) > 1 else "."
make("easy", 7, 178, 1.6, out)
make("med", 11, 300, 0.8, out)
