"""The programs tests/test_dask.py and tests/test_cupy.py differentiate on
other array libraries, each (where torch has one) beside its torch twin. They
are written against NumPy only: NumPy dispatches their calls to the arrays'
own library. `assert_numpy_gradient_matches_torch` checks the NumPy gradient,
the reference the other libraries' gradients are compared with."""

import numpy as np
import torch

import adcompiler as ad
from oracles import torch_gradients


def assert_numpy_gradient_matches_torch(function, torch_twin, args, wrt):
    """The NumPy gradient, the reference for the cluster's, against torch."""
    expected = torch_gradients(torch_twin, args, wrt)
    got = ad.grad(function, wrt=wrt)(*args)
    got = got if isinstance(got, tuple) else (got,)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-10, atol=1e-12)


def logistic_loss(w, X, y):
    z = X @ w
    p = 1.0 / (1.0 + np.exp(-z))
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def torch_logistic_loss(w, X, y):
    p = torch.sigmoid(X @ w)
    return -torch.mean(y * torch.log(p) + (1 - y) * torch.log(1 - p))


def least_squares(w, b, X, y):
    residual = X @ w + b - y
    return 0.5 * np.sum(residual ** 2) / X.shape[0]


def torch_least_squares(w, b, X, y):
    return 0.5 * torch.sum((X @ w + b - y) ** 2) / X.shape[0]


def elementwise_model(scale, x):
    return np.sum(np.tanh(scale * x) * np.sin(x) + np.sqrt(x * x + 1.0))


def torch_elementwise_model(scale, x):
    return torch.sum(torch.tanh(scale * x) * torch.sin(x) + torch.sqrt(x * x + 1.0))


def layered_updates(weights, X):
    h = X
    for k in range(3):
        h = np.tanh(h * weights[k] + 0.1)
    return np.mean(h ** 2)


def torch_layered_updates(weights, X):
    h = X
    for k in range(3):
        h = torch.tanh(h * weights[k] + 0.1)
    return torch.mean(h ** 2)


def shrink_until_small(x):
    while np.linalg.norm(x) > 1.0:
        x = x * 0.5
    return np.sum(x ** 3)


def torch_shrink_until_small(x):
    while torch.linalg.norm(x) > 1.0:
        x = x * 0.5
    return torch.sum(x ** 3)


def write_into_a_copy(x):
    y = x * 2.0
    y[0:10] = 0.0
    y[20] = y[21] * 3.0
    np.add.at(y, [1, 3, 3], x[:3])
    return np.sum(y ** 2)


def read_a_slice_then_write(x):
    y = x * 1.0
    head = y[:5]
    y[:5] = 1.0
    return np.sum(head * y[:5]) + np.sum(y)


def read_a_copy_then_write(x):
    y = x * 1.0
    head = np.copy(y[:5])
    y[:5] = 1.0
    return np.sum(head * y[:5]) + np.sum(y)


def lookup_repeated_rows(table):
    rows = table[np.array([0, 2, 5, 2, 2])]
    return np.sum(rows ** 2)


def take_repeated_columns(x):
    return np.sum(np.sin(np.take(x, np.array([2, 0, 2, 2]), axis=1)) ** 2)


def repeat_rows(x):
    return np.sum(np.cos(np.repeat(x, 3, axis=0)) * x[0, 0])


def add_at_repeated_pairs(x):
    y = x * 1.0
    np.add.at(y, (np.array([0, 0]), np.array([1, 1])), 1.0)
    return np.sum(y[(np.array([0, 0]), np.array([1, 1]))] * x[0, 1])


def complex_energy(z):
    return np.sum(np.abs(z * z) + np.real(z) * 3.0)


# NumPy arrays the function makes, receiving values computed from the data:
# NumPy's element write computes each value (on dask data), and the array's
# views see later writes.
def write_into_numpy_rows(weights, X):
    out = np.zeros(3)
    for k in range(3):
        out[k] = np.sum(np.tanh(X * weights[k]))
    return np.sum(out ** 2)


def torch_write_into_numpy_rows(weights, X):
    out = torch.stack([torch.sum(torch.tanh(X * weights[k])) for k in range(3)])
    return torch.sum(out ** 2)


def add_into_numpy_elements(weights, X):
    out = np.zeros(3)
    for k in range(3):
        out[k] += np.mean(X[:, k] * weights[k])
    return np.sum(out * weights)


def torch_add_into_numpy_elements(weights, X):
    out = torch.stack([torch.mean(X[:, k] * weights[k]) for k in range(3)])
    return torch.sum(out * weights)


def write_then_view_then_write(weights, X):
    out = np.zeros(3)
    out[0] = np.sum(np.tanh(X[:, 0] * weights[0]))
    head = out[:2]
    out[1] = np.mean(X[:, 1]) * weights[1]
    return np.sum(head * weights[:2]) + np.sum(out ** 2)


def torch_write_then_view_then_write(weights, X):
    out = torch.stack([torch.sum(torch.tanh(X[:, 0] * weights[0])),
                       torch.mean(X[:, 1]) * weights[1], torch.zeros(())])
    return torch.sum(out[:2] * weights[:2]) + torch.sum(out ** 2)


def branch_on_the_sum(x):
    if np.sum(x) > 0:
        y = np.sin(x)
    else:
        y = np.cos(x) * x
    return np.sum(y * y)


def torch_branch_on_the_sum(x):
    y = torch.sin(x) if torch.sum(x) > 0 else torch.cos(x) * x
    return torch.sum(y * y)
