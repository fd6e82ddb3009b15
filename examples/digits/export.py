"""Writes scikit-learn's digits as .npy files for digits.cnr (a seeded 70/30 split, pixels / 16,
the digit's value as the label) and the two reference fits that need no network: linear least
squares with an intercept, and the constant training mean. Usage: python export.py OUT_DIR"""

import json
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
digits = load_digits()
x, y = digits.data / 16.0, digits.target.astype(np.float64)
order = np.random.default_rng(0).permutation(len(y))
cut = int(round(0.7 * len(y)))
train, test = order[:cut], order[cut:]
for name, values in [("x_train", x[train]), ("y_train", y[train]), ("x_test", x[test]), ("y_test", y[test])]:
    np.save(out / f"{name}.npy", values)


def mse(prediction, labels):
    return float(np.mean((prediction - labels) ** 2))


start = time.perf_counter()
design = np.c_[x[train], np.ones(len(train))]
coefficients, *_ = np.linalg.lstsq(design, y[train], rcond=None)
seconds = time.perf_counter() - start
references = [
    {
        "method": "linear least squares (64 pixels and an intercept)",
        "train": mse(design @ coefficients, y[train]),
        "test": mse(np.c_[x[test], np.ones(len(test))] @ coefficients, y[test]),
        "seconds": seconds,
    },
    {
        "method": "constant (the training labels' mean)",
        "train": mse(y[train].mean(), y[train]),
        "test": mse(y[train].mean(), y[test]),
        "seconds": 0.0,
    },
]
(out / "references.json").write_text(json.dumps(references))
print(f"{len(train)} training and {len(test)} test images in {out}")
