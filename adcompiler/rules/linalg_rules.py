"""Derivatives of `numpy.linalg` functions."""

import numpy as np

from .registry import linear_rule

RULES = [
    linear_rule(np.linalg.norm, "x, ord=None, axis=None, keepdims=False",
                adjoint={"x": "norm_adjoint(g, x, result, ord, axis, keepdims)"},
                tangent={"x": "norm_tangent(g, x, result, ord, axis, keepdims)"}),
]
