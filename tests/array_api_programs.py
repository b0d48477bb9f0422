"""Programs written against the array API standard, each beside its torch
twin: the namespace comes from the arguments (`array_namespace(w, X)` of
array-api-compat, or `x.__array_namespace__()`), so one function runs on
array_api_strict, JAX, NumPy and dask arrays. tests/test_array_api.py
differentiates them on each."""

import array_api_strict as xps
import torch
from array_api_compat import array_namespace


def logistic_loss(w, X, y):
    xp = array_namespace(w, X, y)
    z = X @ w
    return xp.mean(xp.log1p(xp.exp(-z)) + (1.0 - y) * z)


def torch_logistic_loss(w, X, y):
    z = X @ w
    return torch.mean(torch.log1p(torch.exp(-z)) + (1.0 - y) * z)


def regularised_least_squares(w, b, X, y):
    xp = array_namespace(w, X)
    residual = X @ w + b - y
    return 0.5 * xp.sum(residual ** 2) / X.shape[0] + 0.1 * xp.linalg.vector_norm(w) ** 2


def torch_regularised_least_squares(w, b, X, y):
    residual = X @ w + b - y
    return 0.5 * torch.sum(residual ** 2) / X.shape[0] + 0.1 * torch.linalg.vector_norm(w) ** 2


def mlp_loss(W1, b1, W2, X, y):
    xp = array_namespace(W1, X)
    h = xp.tanh(X @ W1 + b1)
    h = xp.maximum(h, 0.1 * h)  # a leaky ReLU
    out = xp.reshape(h @ W2, (-1,))
    return xp.mean((out - y) ** 2)


def torch_mlp_loss(W1, b1, W2, X, y):
    h = torch.tanh(X @ W1 + b1)
    h = torch.maximum(h, 0.1 * h)
    out = torch.reshape(h @ W2, (-1,))
    return torch.mean((out - y) ** 2)


def unrolled_updates(w, X):
    xp = X.__array_namespace__()
    h = X
    for k in range(3):
        h = xp.tanh(h * w[k] + 0.1)
    return xp.mean(h ** 2)


def torch_unrolled_updates(w, X):
    h = X
    for k in range(3):
        h = torch.tanh(h * w[k] + 0.1)
    return torch.mean(h ** 2)


def softmax_features(x, W):
    xp = array_namespace(x, W)
    scores = W @ x
    shifted = scores - xp.max(scores)
    p = xp.exp(shifted) / xp.sum(xp.exp(shifted))
    features = xp.concat([p, xp.stack([xp.sum(x * x), xp.mean(x)])])
    return xp.sum(xp.where(features > 0.2, xp.log(xp.abs(features)), features ** 2))


def torch_softmax_features(x, W):
    scores = W @ x
    shifted = scores - torch.max(scores)
    p = torch.exp(shifted) / torch.sum(torch.exp(shifted))
    features = torch.cat([p, torch.stack([torch.sum(x * x), torch.mean(x)])])
    return torch.sum(torch.where(features > 0.2, torch.log(torch.abs(features)), features ** 2))


def linear_algebra(A, b):
    xp = array_namespace(A, b)
    S = A @ A.T + xp.eye(3)
    x = xp.linalg.solve(S, b)
    return xp.log(xp.linalg.det(S)) + xp.sum(x * b) + xp.sum(xp.linalg.inv(S)) \
        + xp.linalg.trace(S @ S, offset=1)


def torch_linear_algebra(A, b):
    S = A @ A.T + torch.eye(3)
    x = torch.linalg.solve(S, b)
    return torch.log(torch.linalg.det(S)) + torch.sum(x * b) + torch.sum(torch.linalg.inv(S)) \
        + torch.sum(torch.diagonal(S @ S, offset=1))


def shapes_and_statistics(x):
    xp = x.__array_namespace__()
    m = xp.reshape(x, (2, 3))
    t = xp.permute_dims(xp.expand_dims(m, axis=0), (0, 2, 1))
    s = xp.squeeze(t, axis=0)
    spread = xp.std(s, axis=0) + xp.var(xp.flip(s, axis=1), axis=1, keepdims=True)
    clipped = xp.clip(xp.sqrt(xp.abs(m) + 1.0), min=1.05, max=1.5)
    return xp.sum(spread) + xp.min(clipped) * xp.sum(xp.astype(m, xp.float64) ** 3)


def torch_shapes_and_statistics(x):
    m = torch.reshape(x, (2, 3))
    s = torch.permute(m.unsqueeze(0), (0, 2, 1)).squeeze(0)
    spread = torch.std(s, dim=0, correction=0) + torch.var(torch.flip(s, dims=(1,)), dim=1,
                                                           keepdim=True, correction=0)
    clipped = torch.clamp(torch.sqrt(torch.abs(m) + 1.0), min=1.05, max=1.5)
    return torch.sum(spread) + torch.min(clipped) * torch.sum(m ** 3)


def trigonometry(x, y):
    xp = array_namespace(x, y)
    angles = xp.atan2(xp.sin(x), xp.cos(y)) + xp.asinh(x * y) - xp.acos(xp.tanh(y) * 0.5)
    return xp.sum(xp.logaddexp(angles, xp.expm1(x * 0.3)) / xp.hypot(x, y + 2.0)
                  + xp.pow(xp.square(y) + 1.0, x))


def torch_trigonometry(x, y):
    angles = torch.atan2(torch.sin(x), torch.cos(y)) + torch.asinh(x * y) \
        - torch.acos(torch.tanh(y) * 0.5)
    return torch.sum(torch.logaddexp(angles, torch.expm1(x * 0.3)) / torch.hypot(x, y + 2.0)
                     + torch.pow(torch.square(y) + 1.0, x))


def element_writes(x):
    xp = x.__array_namespace__()
    y = x * 2.0
    y[0] = y[1] * 3.0
    y[2:4] = xp.exp(x[2:4])
    return xp.sum(y * x[::-1])


def torch_element_writes(x):
    y = x * 2.0
    y = torch.cat([(y[1] * 3.0)[None], y[1:2], torch.exp(x[2:4]), y[4:]])
    return torch.sum(y * torch.flip(x, (0,)))


def pairwise_products(a, b):
    """A vector result, for vjp and jvp."""
    xp = array_namespace(a, b)
    return xp.linalg.outer(a, b)[:, 1] + xp.vecdot(xp.broadcast_to(a, (2, 3)), xp.ones((2, 3)))[0]


def torch_pairwise_products(a, b):
    return torch.outer(a, b)[:, 1] + torch.sum(a)


def layer(W, h):
    """A helper that takes the namespace from its own arguments."""
    xp = array_namespace(W, h)
    return xp.tanh(W @ h)


def two_layers(W, x):
    xp = array_namespace(W, x)
    return xp.sum(layer(W, layer(W, x)) ** 2)


def torch_two_layers(W, x):
    return torch.sum(torch.tanh(W @ torch.tanh(W @ x)) ** 2)


def write_through_a_view(x):
    """A slice read before a write into its array sees the write, as in NumPy
    (array_api_strict's slices are views)."""
    xp = array_namespace(x)
    y = x * 1.0
    head = y[0:2]
    y[0:2] = xp.zeros(2, dtype=xp.float64)
    return xp.sum(head * x[0:2]) + xp.sum(y * y)


def torch_write_through_a_view(x):
    y = torch.cat([torch.zeros(2), x[2:]])
    return torch.sum(y[0:2] * x[0:2]) + torch.sum(y * y)


def affine(W, b, h):
    return W @ h + b


def loss_with_a_numpy_style_helper(W, b, x):
    xp = array_namespace(W, x)
    return xp.sum(xp.tanh(affine(W, b, x)))


def gathers_and_masks(table, x):
    """Rows read with repeats (an embedding lookup), a mask, a new axis."""
    xp = array_namespace(table, x)
    rows = table[xp.asarray([0, 2, 2, 1])]
    positive = x[x > 0.0]
    return xp.sum(rows ** 2) + xp.sum(positive ** 3) + xp.sum(x[None, :] * x[:, None])


def torch_gathers_and_masks(table, x):
    rows = table[torch.tensor([0, 2, 2, 1])]
    return torch.sum(rows ** 2) + torch.sum(x[x > 0.0] ** 3) + torch.sum(x[None, :] * x[:, None])


def bounds_and_casts(x, low, high):
    """clip with differentiated bounds; casts to integers have derivative 0."""
    xp = array_namespace(x, low)
    clipped = xp.clip(x, min=low, max=high)
    steps = xp.astype(xp.astype(x * 3.0, xp.int64), xp.float64)
    truncated = xp.astype(xp.asarray(x, dtype=xp.int64), xp.float64)
    return xp.sum(clipped ** 2) + xp.sum(steps * x) + xp.sum(truncated)


def torch_bounds_and_casts(x, low, high):
    clipped = torch.clamp(x, min=low, max=high)
    steps = (x * 3.0).to(torch.int64).to(torch.float64)
    truncated = x.to(torch.int64).to(torch.float64)
    return torch.sum(clipped ** 2) + torch.sum(steps * x) + torch.sum(truncated)


def module_namespace_loss(w, X):
    """The namespace imported at module level (`import array_api_strict as xps`)."""
    return xps.mean(xps.tanh(X @ w) ** 2) + xps.sum(xps.exp(w))


def torch_module_namespace_loss(w, X):
    return torch.mean(torch.tanh(X @ w) ** 2) + torch.sum(torch.exp(w))


class TwoLayerModel:
    """Methods that take the namespace from their arguments, called on self."""

    def __init__(self, W):
        self.W = W

    def layer(self, h):
        xp = array_namespace(h)
        return xp.tanh(h @ self.W)

    def loss(self, x):
        xp = array_namespace(x)
        return xp.sum(self.layer(self.layer(x)) ** 2)


def torch_two_layer_model_loss(W, x):
    return torch.sum(torch.tanh(torch.tanh(x @ W) @ W) ** 2)


def norm_of_order(x, order):
    xp = array_namespace(x)
    return xp.linalg.vector_norm(x, ord=order)


def running_totals(x, W):
    """Cumulative sums and a gather by xp.take (repeated indices)."""
    xp = array_namespace(x, W)
    totals = xp.cumulative_sum(xp.tanh(W * x), axis=1)
    picked = xp.take(totals, xp.asarray([2, 0, 2]), axis=1)
    return xp.sum(picked ** 2) + xp.sum(xp.cumulative_sum(x) * x)


def torch_running_totals(x, W):
    totals = torch.cumsum(torch.tanh(W * x), 1)
    return torch.sum(totals[:, [2, 0, 2]] ** 2) + torch.sum(torch.cumsum(x, 0) * x)


def vector_norms(x, W):
    """2-norms: of a vector, and of a matrix's rows (kept as a column)."""
    xp = array_namespace(x, W)
    rows = xp.linalg.vector_norm(W * x, axis=1, keepdims=True)
    return xp.linalg.vector_norm(W @ x) * xp.sum(rows * W) + xp.linalg.vector_norm(x) ** 3


def torch_vector_norms(x, W):
    rows = torch.linalg.vector_norm(W * x, dim=1, keepdim=True)
    return torch.linalg.vector_norm(W @ x) * torch.sum(rows * W) \
        + torch.linalg.vector_norm(x) ** 3


def powers(x, y):
    """x ** y with both sides differentiated, by the operator and by xp.pow."""
    xp = array_namespace(x, y)
    return xp.sum((y * y + 0.5) ** x + xp.pow(x * x + 1.0, y * x))


def torch_powers(x, y):
    return torch.sum((y * y + 0.5) ** x + torch.pow(x * x + 1.0, y * x))


def moments_and_totals(x):
    """var, std and cumulative_sum, for third derivatives."""
    xp = array_namespace(x)
    return xp.var(x * x) + xp.std(x) * xp.sum(xp.cumulative_sum(x) * x * x)


def torch_moments_and_totals(x):
    return torch.var(x * x, correction=0) \
        + torch.std(x, correction=0) * torch.sum(torch.cumsum(x, 0) * x * x)
