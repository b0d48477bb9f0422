"""The guided tour: each tutorial example, its generated derivative code, and a
check of the result against torch.autograd (or finite differences when torch
is not installed). Run it with `python -m adcompiler demo`."""

from __future__ import annotations

import inspect

import numpy as np

from . import api, display


def product_rule(x):
    y = x * 2
    z = y * x
    return np.sum(z)


def control_flow(a):
    b = a * 2
    while np.linalg.norm(b) < 1000:
        b = b * 2
    if np.sum(b) > 0:
        c = b
    else:
        c = 100 * b
    return c


def mse_loss(w, x, y):
    return np.mean((y - x * w) ** 2)


def softmax(a):
    e = np.exp(a)
    return e / np.sum(e)


def polynomial_mean(x):
    y = x + 2
    z = y * y * 3
    return z.mean()


def doubled_matrix(x):
    y = 2 * x
    return y.reshape(2, 2)


def twice_dot(x):
    return 2 * np.dot(x, x)


def squared_norm(a):
    return np.linalg.norm(a) ** 2


def sine(x):
    return np.sin(x)


def _torch_oracle(name, args, seed):
    """torch.autograd's answer for the same computation, or None without torch."""
    try:
        import torch
    except ImportError:
        return None
    twins = {
        "product_rule": lambda x: torch.sum(x * 2 * x),
        "control_flow": _torch_control_flow,
        "mse_loss": lambda w, x, y: torch.mean((y - x * w) ** 2),
        "softmax": lambda a: torch.exp(a) / torch.sum(torch.exp(a)),
        "polynomial_mean": lambda x: ((x + 2) * (x + 2) * 3).mean(),
        "doubled_matrix": lambda x: (2 * x).reshape(2, 2),
        "twice_dot": lambda x: 2 * torch.dot(x, x),
        "squared_norm": lambda a: torch.linalg.norm(a) ** 2,
        "sine": torch.sin,
    }
    tensors = [torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=True) for a in args]
    out = twins[name](*tensors)
    out.backward(None if seed is None else torch.tensor(seed, dtype=torch.float64))
    return tensors[0].grad.numpy()


def _torch_control_flow(a):
    b = a * 2
    while b.norm() < 1000:
        b = b * 2
    return b if b.sum() > 0 else 100 * b


def _finite_differences(function, args, seed, step=1e-6):
    x = np.asarray(args[0], dtype=np.float64)
    grad = np.zeros(x.size)
    for k in range(x.size):
        values = []
        for sign in (1.0, -1.0):
            probe = x.copy().reshape(-1)
            probe[k] += sign * step
            out = function(probe.reshape(x.shape), *args[1:])
            values.append(np.sum(np.asarray(out) * (1.0 if seed is None else seed)))
        grad[k] = (values[0] - values[1]) / (2 * step)
    return grad.reshape(x.shape)


EXAMPLES = [
    ("Product rule on a matrix", product_rule, [np.array([[1.0, 2.0], [3.0, 4.0]])], None),
    ("Control flow: a while loop and a branch", control_flow,
     [np.array([0.3, -0.2, 0.7])], np.ones(3)),
    ("The MSE loss, gradient w.r.t. w", mse_loss,
     [np.full(2, 2.0), np.ones(2), np.ones(2)], None),
    ("Softmax with a seed vector", softmax, [np.array([0.1, -0.3, 0.5, 0.2])], np.ones(4)),
    ("Mean of a polynomial", polynomial_mean, [np.ones((2, 2))], None),
    ("A weighted vector-Jacobian product through a reshape", doubled_matrix,
     [np.array([1.0, 2.0, 3.0, 4.0])], np.array([[1.0, 0.1], [0.01, 0.001]])),
    ("Dot product: the gradient of 2 x·x is 4x", twice_dot, [np.arange(4.0)], None),
    ("Squared norm: the gradient of |a|^2 is 2a", squared_norm,
     [np.array([0.5, -1.0, 2.0])], None),
    ("The derivative of sin, without writing its derivative anywhere", sine,
     [np.linspace(0, 2 * np.pi, 5)], np.ones(5)),
]

CONCEPTS = """What is different from torch.autograd:
  * The derivative is a compiled Python function. Call it as often as you like:
    there is no graph to retain (retain_graph) and nothing accumulates in .grad.
  * Ask for the derivative with respect to any argument (wrt=0, wrt="w",
    wrt=(0, 1)); there are no leaves to mark with requires_grad.
  * The generated code above shows exactly which intermediate values are kept
    for the backward sweep: whatever is pushed onto _stack. No hooks needed.
Try it on your own code:  adcompiler show your_file.py::your_function
"""


def run(show_code: bool = True, color=None) -> bool:
    """Walk through every example; return whether all of them checked out.
    `color`: highlight the code (None: when printing to a terminal)."""
    # Scoped, so that calling run() from a notebook or a test leaves numpy's
    # print options as they were.
    with np.printoptions(precision=6, suppress=True):
        return _run(show_code, color)


def _run(show_code, color) -> bool:
    all_ok = True
    for number, (title, function, args, seed) in enumerate(EXAMPLES, 1):
        print(f"\n{'=' * 78}\n{number}. {title}\n{'=' * 78}")
        print(inspect.getsource(function))
        derivative = api.grad(function) if seed is None else api.vjp(function)
        if show_code:
            print("--- generated derivative code " + "-" * 48)
            print(display.highlight(api.source(derivative), color))
        gradient = derivative(*args) if seed is None else derivative(tuple(args), seed)
        reference = _torch_oracle(function.__name__, args, seed)
        oracle = "torch.autograd"
        if reference is None:
            reference, oracle = _finite_differences(function, args, seed), "finite differences"
        ok = np.allclose(gradient, reference, rtol=1e-6, atol=1e-9)
        all_ok &= ok
        seed_text = "" if seed is None else f", seed={np.array2string(np.asarray(seed))}"
        print(f"gradient at {np.array2string(np.asarray(args[0]))}{seed_text}:")
        print(f"  {'adcompiler:':<20}{np.array2string(np.asarray(gradient))}")
        print(f"  {oracle + ':':<20}{np.array2string(np.asarray(reference))}")
        print(f"  {'OK, they agree' if ok else 'MISMATCH'}")
    print(f"\n{'=' * 78}\n{CONCEPTS}")
    print(f"{'All examples agree with the oracle.' if all_ok else 'Some examples FAILED.'}")
    return all_ok
