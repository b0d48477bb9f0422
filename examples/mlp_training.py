"""A two-layer network trained on a synthetic classification set, with
gradients from adcompiler. The loss curve is saved as a PNG.

    python examples/mlp_training.py [--quick] [--out mlp_loss.png]

The data: points in two concentric rings, one class per ring, which no
straight line separates. The plot needs matplotlib (pip install
"adcompiler[plot]"); without it the training still runs and the PNG is
skipped with a note.
"""

import argparse
import os

import numpy as np

import adcompiler as ad

def loss(params, X, Y):
    """Softmax cross-entropy of the one-hot labels Y under a tanh network whose
    parameters are a dict of arrays; its gradient is a dict with the same keys."""
    hidden = np.tanh(X @ params["W1"] + params["b1"])
    logits = hidden @ params["W2"] + params["b2"]
    log_normaliser = np.log(np.sum(np.exp(logits), axis=1))
    return np.mean(log_normaliser - np.sum(logits * Y, axis=1))


def predict(params, X):
    hidden = np.tanh(X @ params["W1"] + params["b1"])
    return np.argmax(hidden @ params["W2"] + params["b2"], axis=1)


def rings(n, rng):
    label = np.arange(n) % 2
    radius = np.where(label == 0, rng.uniform(0.0, 1.0, n), rng.uniform(1.5, 2.5, n))
    angle = rng.uniform(0, 2 * np.pi, n)
    X = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    return X, np.eye(2)[label], label


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smaller, shorter run")
    parser.add_argument("--out", default="mlp_loss.png", help="where to save the loss curve")
    options = parser.parse_args(argv)
    quick = options.quick or os.environ.get("ADCOMPILER_EXAMPLES_QUICK") == "1"
    n, hidden, steps, every = (100, 8, 150, 50) if quick else (400, 16, 600, 100)

    rng = np.random.default_rng(1)
    X, Y, labels = rings(n, rng)
    params = {"W1": 0.5 * rng.standard_normal((2, hidden)), "b1": np.zeros(hidden),
              "W2": 0.5 * rng.standard_normal((hidden, 2)), "b2": np.zeros(2)}

    loss_and_grads = ad.value_and_grad(loss)
    learning_rate = 0.5
    history = []
    for step in range(steps + 1):
        value, grads = loss_and_grads(params, X, Y)
        history.append(value)
        if step % every == 0:
            print(f"step {step:4d}   loss {value:.4f}")
        params = {name: params[name] - learning_rate * grads[name] for name in params}

    accuracy = np.mean(predict(params, X) == labels)
    print(f"training accuracy: {accuracy:.1%}")
    assert history[-1] < history[0] / 2 and accuracy > 0.9
    save_curve(history, options.out)
    return 0


def save_curve(history, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: skipping the loss curve "
              '(pip install "adcompiler[plot]" to draw it)')
        return
    figure, axes = plt.subplots(figsize=(6, 3.5))
    axes.plot(history)
    axes.set_xlabel("gradient step")
    axes.set_ylabel("training loss")
    axes.set_yscale("log")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    print(f"saved the loss curve to {path}")


if __name__ == "__main__":
    raise SystemExit(main())
