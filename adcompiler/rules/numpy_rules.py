"""Derivatives of NumPy functions (ufuncs, reductions, shape functions).

Pointwise entries are `g * partial`; reductions and shape functions give the
adjoint and the tangent side by side. Array methods (`x.sum()`, `x.T`) are
rewritten to these functions by the normalisation pass (see METHODS below).
"""

import numpy as np

from .registry import linear_rule, nondifferentiable, pointwise

RULES = [
    # Arithmetic ufuncs.
    pointwise(np.add, "x, y", x="g", y="g"),
    pointwise(np.subtract, "x, y", x="g", y="-g"),
    pointwise(np.multiply, "x, y", x="g * y", y="g * x"),
    pointwise(np.divide, "x, y", x="g / y", y="-g * result / y"),
    pointwise(np.power, "x, y", x="g * y * x ** (y - 1)", y="g * result * np.log(x)"),
    pointwise(np.negative, "x", x="-g"),
    pointwise(np.square, "x", x="g * 2 * x"),
    pointwise(np.abs, "x", x="g * np.sign(x)"),
    pointwise(np.maximum, "x, y", x="g * ((x > y) + 0.5 * (x == y))",
              y="g * ((y > x) + 0.5 * (x == y))"),
    pointwise(np.where, "condition, x, y", x="np.where(condition, g, 0.0)",
              y="np.where(condition, 0.0, g)"),
    # Exponentials and logarithms.
    pointwise(np.exp, "x", x="g * result"),
    pointwise(np.expm1, "x", x="g * (result + 1)"),
    pointwise(np.log, "x", x="g / x"),
    pointwise(np.log1p, "x", x="g / (1 + x)"),
    pointwise(np.sqrt, "x", x="g / (2 * result)"),
    # Trigonometric and hyperbolic functions.
    pointwise(np.sin, "x", x="g * np.cos(x)"),
    pointwise(np.cos, "x", x="-g * np.sin(x)"),
    pointwise(np.tan, "x", x="g * (1 + result ** 2)"),
    pointwise(np.arcsin, "x", x="g / np.sqrt(1 - x ** 2)"),
    pointwise(np.arccos, "x", x="-g / np.sqrt(1 - x ** 2)"),
    pointwise(np.arctan, "x", x="g / (1 + x ** 2)"),
    pointwise(np.tanh, "x", x="g * (1 - result ** 2)"),
    pointwise(np.sinh, "x", x="g * np.cosh(x)"),
    pointwise(np.cosh, "x", x="g * np.sinh(x)"),
    # Reductions.
    linear_rule(np.sum, "a, axis=None, dtype=None, out=None, keepdims=False",
                adjoint={"a": "sum_adjoint(g, a, axis, keepdims)"},
                tangent={"a": "np.sum(g, axis=axis, keepdims=keepdims)"}),
    linear_rule(np.mean, "a, axis=None, dtype=None, out=None, keepdims=False",
                adjoint={"a": "sum_adjoint(g, a, axis, keepdims) / mean_count(a, axis)"},
                tangent={"a": "np.mean(g, axis=axis, keepdims=keepdims)"}),
    # Products.
    linear_rule(np.dot, "a, b",
                adjoint={"a": "dot_adjoint_a(g, a, b)", "b": "dot_adjoint_b(g, a, b)"},
                tangent={"a": "np.dot(g, b)", "b": "np.dot(a, g)"}),
    linear_rule(np.matmul, "a, b",
                adjoint={"a": "matmul_adjoint_a(g, a, b)", "b": "matmul_adjoint_b(g, a, b)"},
                tangent={"a": "np.matmul(g, b)", "b": "np.matmul(a, g)"}),
    # Shapes.
    linear_rule(np.reshape, "a, shape",
                adjoint={"a": "np.reshape(g, np.shape(a))"},
                tangent={"a": "np.reshape(g, shape)"}),
    linear_rule(np.transpose, "a, axes=None",
                adjoint={"a": "transpose_adjoint(g, axes)"},
                tangent={"a": "np.transpose(g, axes)"}),
    *nondifferentiable(
        np.shape, np.ndim, np.size, np.sign, np.floor, np.ceil, np.round, np.rint,
        np.trunc, np.argmax, np.argmin, np.argsort, np.isnan, np.isinf, np.isfinite,
        np.less, np.less_equal, np.greater, np.greater_equal, np.equal, np.not_equal,
        np.logical_and, np.logical_or, np.logical_not, np.zeros_like, np.ones_like,
        np.zeros, np.ones, np.empty, np.empty_like, np.full, np.full_like, np.arange,
        np.linspace, np.eye, np.allclose, np.isclose, np.all, np.any, np.count_nonzero),
]

# Array methods and attributes the normalisation pass rewrites into calls:
# `x.sum(axis)` -> `np.sum(x, axis)`. `varargs` methods take a shape either as
# one tuple or spread out (`x.reshape(2, 2)`), and get it packed into one tuple.
METHODS = {
    "sum": (np.sum, False),
    "mean": (np.mean, False),
    "dot": (np.dot, False),
    "reshape": (np.reshape, True),
    "transpose": (np.transpose, True),
}
ATTRIBUTES = {
    "T": np.transpose,
}
NONDIFFERENTIABLE_ATTRIBUTES = {"shape", "ndim", "size", "dtype", "itemsize", "nbytes"}
