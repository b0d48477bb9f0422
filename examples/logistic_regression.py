"""Logistic regression fitted by gradient descent, with gradients from adcompiler.

    python examples/logistic_regression.py [--quick]

Synthetic data: two features, labels from a known linear rule with noise. The
gradient is checked against finite differences once (adcompiler.testing),
then the loss is printed as it falls, and finally the accuracy.
"""

import argparse
import os

import numpy as np

import adcompiler as ad
from adcompiler.testing import check_grads


def loss(w, b, X, y):
    """Mean cross-entropy of the labels y (0 or 1) under p = sigmoid(X @ w + b),
    written as log(1 + exp(z)) - y z."""
    z = X @ w + b
    return np.mean(np.log1p(np.exp(z)) - y * z)


def make_data(n, rng):
    X = rng.standard_normal((n, 2))
    true_w, true_b = np.array([2.0, -3.0]), 0.5
    y = (X @ true_w + true_b + 0.5 * rng.standard_normal(n) > 0).astype(float)
    return X, y


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smaller, shorter run")
    options = parser.parse_args(argv)
    quick = options.quick or os.environ.get("ADCOMPILER_EXAMPLES_QUICK") == "1"
    n, steps, every = (200, 60, 20) if quick else (2000, 300, 50)

    rng = np.random.default_rng(0)
    X, y = make_data(n, rng)
    w, b = np.zeros(2), 0.0

    # The same check a test suite would make, on a few rows.
    check_grads(loss, (rng.standard_normal(2), 0.1, X[:8], y[:8]), wrt=("w", "b"))
    print("gradient of the loss checked against finite differences: OK")

    loss_and_grads = ad.value_and_grad(loss, wrt=("w", "b"))
    learning_rate = 1.0
    for step in range(steps + 1):
        value, (dw, db) = loss_and_grads(w, b, X, y)
        if step % every == 0:
            print(f"step {step:4d}   loss {value:.4f}")
        w = w - learning_rate * dw
        b = b - learning_rate * db

    accuracy = np.mean(((X @ w + b) > 0) == (y > 0.5))
    print(f"fitted w = {np.round(w, 2)}, b = {b:.2f}   (the labels are the sign of "
          "2 x1 - 3 x2 + 0.5 + noise)")
    print(f"training accuracy: {accuracy:.1%}")
    assert accuracy > 0.85
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
