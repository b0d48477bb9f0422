"""Runtime helpers for the scipy.special rules (scipy is imported on first use,
so adcompiler itself does not need it)."""

from __future__ import annotations

import numpy as np

from ..errors import NoDerivativeRuleError
from .complex_numbers import refuse_complex
from .arrays import expand_reduced, reduced_axes, sum_to_shape


def _special():
    from scipy import special
    return special


def digamma(x):
    """ψ(x), the derivative of log Γ(x)."""
    return _special().digamma(x)


def polygamma(n, x):
    """ψ⁽ⁿ⁾(x), the n-th derivative of ψ (of real x: SciPy has no complex one)."""
    refuse_complex("scipy.special.digamma (its derivative polygamma)", x)
    value = _special().polygamma(n, x)
    # SciPy computes it in float64 whatever x is; a float32 x keeps float32.
    dtype = getattr(x, "dtype", None)
    return value.astype(dtype) if dtype is not None and dtype.kind == "f" else value


def check_return_sign(return_sign):
    if return_sign:
        raise NoDerivativeRuleError(
            "scipy.special.logsumexp(..., return_sign=True) returns a tuple and is not "
            "differentiated", help="Call it without return_sign.")


def logsumexp_weights(a, b, result, axis, keepdims, return_sign):
    """b·exp(a - logsumexp): d logsumexp / d a (shape of a)."""
    check_return_sign(return_sign)
    a = np.asarray(a)
    result = np.asarray(result)
    if a.ndim == 0:  # SciPy's result is then 1-d with keepdims or axis=()
        result = np.reshape(result, ())
    weights = np.exp(a - expand_reduced(result, a, axis, keepdims))
    return weights if b is None else weights * b


def logsumexp_adjoint(g, a, b, result, axis, keepdims, return_sign):
    """Adjoint of logsumexp with respect to a: g spread back times softmax(a)·b."""
    weights = logsumexp_weights(a, b, result, axis, keepdims, return_sign)
    return sum_to_shape(expand_reduced(g, a, axis, keepdims) * weights, np.shape(a))


def logsumexp_adjoint_b(g, a, b, result, axis, keepdims, return_sign):
    """Adjoint of logsumexp with respect to the scale factors b: g exp(a - result)."""
    weights = logsumexp_weights(a, None, result, axis, keepdims, return_sign)
    spread = np.broadcast_to(expand_reduced(g, a, axis, keepdims) * weights,
                             np.broadcast(np.asarray(a), np.asarray(b)).shape)
    return sum_to_shape(spread, np.shape(b))


def logsumexp_tangent(g, a, b, result, axis, keepdims, return_sign, wrt):
    """Tangent of logsumexp with respect to a or b."""
    if wrt == "a":
        weights = logsumexp_weights(a, b, result, axis, keepdims, return_sign)
    else:
        weights = logsumexp_weights(a, None, result, axis, keepdims, return_sign)
    shape = np.broadcast(np.asarray(a), np.asarray(0.0 if b is None else b)).shape
    axes = reduced_axes(axis, len(shape))
    tangent = np.sum(np.broadcast_to(weights * g, shape), axis=axes, keepdims=keepdims)
    # SciPy returns shape (1,) for a 0-d `a` with keepdims or axis=().
    return tangent if np.ndim(tangent) == np.ndim(result) else np.reshape(tangent,
                                                                           np.shape(result))


def softmax_adjoint(g, result, axis):
    """Adjoint (and, the Jacobian being symmetric, tangent) of softmax:
    s (g - sum(g s))."""
    return result * (g - np.sum(g * result, axis=axis, keepdims=True))


def _triangle(x, lower):
    return np.tril(x) if lower else np.triu(x)


# The triangular solves below go through np.linalg.solve of the triangle: the
# same numbers, and NumPy calls whose own rules differentiate these helpers
# again (second derivatives) without importing SciPy here.

def solve_triangular_adjoint(g, a, b, result, lower, wrt):
    """Adjoint of scipy.linalg.solve_triangular(a, b, lower=...): for b, a⁻ᵀ g;
    for a, -(a⁻ᵀ g) xᵀ on the triangle that is read."""
    gb = np.linalg.solve(np.swapaxes(_triangle(a, lower), -1, -2), g)
    if wrt == "b":
        return gb
    x = np.asarray(result)
    outer = np.outer(gb, x) if x.ndim == 1 else gb @ x.T
    return -_triangle(outer, lower)


def solve_triangular_tangent(g, a, b, result, lower, wrt):
    """Tangent of scipy.linalg.solve_triangular: a⁻¹ g (b), -a⁻¹ tri(g) x (a)."""
    triangle = _triangle(a, lower)
    if wrt == "b":
        return np.linalg.solve(triangle, g)
    return -np.linalg.solve(triangle, _triangle(g, lower) @ result)
