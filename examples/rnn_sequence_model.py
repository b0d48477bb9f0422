"""A recurrent sequence model written the way one writes it in plain Python: a
class with methods, hidden states collected in a list, a local helper, and the
loss summed over the sequence with a generator expression. adcompiler
differentiates all of it; the gradient is checked against torch.autograd and
then used to train the model to predict the next value of a noisy sine wave.

    python examples/rnn_sequence_model.py [--quick]

Prints the generated gradient of the loss, the largest difference from
torch's gradient, and the loss falling during training.
"""

import argparse

import numpy as np

import adcompiler as ad


class SequenceModel:
    """h[t] = tanh(h[t-1] @ Wh + x[t] * wx + b); prediction y[t] = h[t] @ wo."""

    def __init__(self, hidden_size, smoothing):
        self.hidden_size = hidden_size
        self.smoothing = smoothing   # an attribute: read, never differentiated

    def hidden_states(self, params, xs):
        states = []
        h = np.zeros(self.hidden_size)
        for x in xs:
            h = np.tanh(h @ params["Wh"] + x * params["wx"] + params["b"])
            states.append(h)
        return states

    def loss(self, params, xs, targets):
        states = self.hidden_states(params, xs)

        def squared_error(h, target):
            return (h @ params["wo"] - target) ** 2

        fit = sum(squared_error(h, y) for h, y in zip(states, targets)) / len(targets)
        return fit + self.smoothing * np.sum(params["Wh"] ** 2)


def torch_loss(model, params, xs, targets):
    import torch
    h = torch.zeros(model.hidden_size, dtype=torch.float64)
    fit = 0.0
    for x, y in zip(xs, targets):
        h = torch.tanh(h @ params["Wh"] + x * params["wx"] + params["b"])
        fit = fit + (h @ params["wo"] - y) ** 2
    return fit / len(targets) + model.smoothing * torch.sum(params["Wh"] ** 2)


def max_difference_from_torch(model, params, xs, targets, gradient):
    import torch
    tensors = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    loss = torch_loss(model, tensors, torch.tensor(xs), torch.tensor(targets))
    expected = torch.autograd.grad(loss, list(tensors.values()))
    return max(float(np.max(np.abs(gradient[k] - e.numpy())))
               for k, e in zip(tensors, expected))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few steps only")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    wave = np.sin(np.linspace(0.0, 6.0, 31)) + 0.05 * rng.standard_normal(31)
    xs, targets = wave[:-1], wave[1:]
    size = 8
    params = {"Wh": 0.3 * rng.standard_normal((size, size)), "wx": rng.standard_normal(size),
              "b": np.zeros(size), "wo": 0.3 * rng.standard_normal(size)}
    model = SequenceModel(size, smoothing=1e-3)

    dloss = ad.value_and_grad(model.loss)   # with respect to params, a dict
    print(ad.source(dloss).split("\n\n\n")[0])
    value, gradient = dloss(params, xs, targets)
    print(f"\nloss {value:.6f}; largest difference from torch's gradient: "
          f"{max_difference_from_torch(model, params, xs, targets, gradient):.2e}")

    steps = 40 if args.quick else 400
    for step in range(steps + 1):
        value, gradient = dloss(params, xs, targets)
        if step % (steps // 4) == 0:
            print(f"step {step:4d}  loss {value:.6f}")
        params = {k: params[k] - 0.1 * gradient[k] for k in params}


if __name__ == "__main__":
    main()
