"""Runtime helpers for the polynomial rules of rules/numpy_extra_rules.py:
np.polyval, np.vander, np.polyadd/polysub/polymul/polyder/polyint, np.poly,
np.roots, np.sort_complex, np.polyfit and np.polydiv. Coefficients are
highest power first, as NumPy's.
"""

from __future__ import annotations

import numpy as np

from ..errors import NoDerivativeRuleError
from .arrays import entry, float_dtype
from .complex_numbers import refuse_complex
from .linalg import convolve_adjoint
from .matrices import lstsq_adjoint, lstsq_tangent


# -- np.polyval, np.vander --------------------------------------------------------------------

def polyval_slope(p, x):
    """d np.polyval(p, x) / dx: the derivative polynomial at x."""
    _check_polynomial(p)
    coefficients = np.asarray(p)   # (a list of coefficients too)
    degree = np.shape(coefficients)[0] - 1
    if degree < 1:
        return np.zeros(np.shape(x))
    # (the powers in p's float dtype: int64 ones would make float32 float64)
    powers = np.arange(degree, 0, -1, dtype=np.result_type(coefficients, 0.0))
    return np.polyval(coefficients[:-1] * powers, x)


def polyval_adjoint_p(g, p, x):
    """Adjoint of np.polyval in the coefficients: Σ g x^(n-1-k)."""
    _check_polynomial(p)
    size = np.shape(p)[0]
    powers = np.asarray(x)[..., None] ** np.arange(size - 1, -1, -1)
    spread = np.asarray(g)[..., None] * powers
    return np.reshape(np.sum(np.reshape(spread, (-1, size)), axis=0), np.shape(p))


def vander_slope(x, N, increasing):
    """∂V[i, j] / ∂x[i] of V = np.vander(x, N, increasing): p_j x_i^(p_j - 1), 0 for p_j = 0."""
    count = np.shape(x)[0] if N is None else N
    dtype = float_dtype(x)
    if count < 2:
        return np.zeros((np.shape(x)[0], count), dtype=dtype)
    lower = np.vander(x, count - 1, increasing) if count > 1 else None
    zero = np.zeros((np.shape(x)[0], 1), dtype=dtype)
    if increasing:
        return np.concatenate([zero, lower * np.arange(1, count, dtype=dtype)], axis=1)
    return np.concatenate([lower * np.arange(count - 1, 0, -1, dtype=dtype), zero], axis=1)


# -- np.polyadd, np.polysub, np.polymul, np.polyder, np.polyint, np.poly ----------------------

def _leading_zeros(t, size):
    """A 1-d t with zeros put before it up to length size (how polyadd aligns operands)."""
    t = np.ravel(t)
    return np.concatenate([np.zeros(size - np.shape(t)[0], dtype=float_dtype(t)), t])


def polyadd_adjoint(g, a, sign):
    """Adjoint of np.polyadd / np.polysub in operand a (sign -1.0 for polysub's a2): the
    last len(a) entries of g (the operands are aligned at their constant terms)."""
    _check_polynomial(a)
    return sign * g[np.shape(g)[0] - np.shape(a)[0]:]


def polyadd_tangent(g, size, sign):
    """Tangent of np.polyadd / np.polysub: g aligned to the result's length `size`."""
    _check_polynomial(g)
    return sign * _leading_zeros(g, size)


def _check_polynomial(p):
    if np.ndim(p) != 1:
        raise NoDerivativeRuleError(
            "NumPy's polynomial functions are differentiated for 1-d coefficient arrays "
            "(not np.poly1d objects nor 0-d values)", help="Pass 1-d arrays of coefficients.")


def polynomial_map_matrix(kind, m, size, dtype):
    """The matrix J of np.polyder(·, m) or np.polyint(·, m) (`kind`) on 1-d coefficients
    of length size, column by column (J @ p is the map of p)."""
    columns = []
    for row in np.eye(size, dtype=dtype):
        image = np.polyder(row, m) if kind == "polyder" else np.polyint(row, m)
        columns.append(np.asarray(image, dtype=dtype))
    return np.transpose(np.array(columns))


def polynomial_map_adjoint(g, p, m, kind):
    """Adjoint of np.polyder(p, m) or np.polyint(p, m, k) in p (k enters additively)."""
    _check_polynomial(p)
    return np.matmul(g, polynomial_map_matrix(kind, m, np.shape(p)[0], float_dtype(g, p)))


def poly_others(seq_of_zeros):
    """Row i: the coefficients of the polynomial with all the roots but root i
    (∂ np.poly(r) / ∂ r_i = -[0, row i])."""
    if np.ndim(seq_of_zeros) != 1:
        raise NoDerivativeRuleError(
            "np.poly is differentiated for a 1-d sequence of roots (not a matrix, whose "
            "characteristic polynomial it would be)", help="Pass the roots as a 1-d array.")
    refuse_complex("np.poly", seq_of_zeros)
    size = np.shape(seq_of_zeros)[0]
    rows = [np.poly(np.delete(seq_of_zeros, i)) for i in range(size)]
    return np.reshape(np.concatenate(rows), (size, size))


def poly_adjoint(g, seq_of_zeros):
    """Adjoint of np.poly(roots): -Σ_k g[k+1] others[i, k]."""
    return -np.matmul(poly_others(seq_of_zeros), g[1:])


def poly_tangent(g, seq_of_zeros):
    """Tangent of np.poly(roots): -[0, Σ_i g_i others[i]]."""
    moved = np.matmul(g, poly_others(seq_of_zeros))
    return -np.concatenate([np.zeros(1, dtype=moved.dtype), moved])


# -- np.roots, np.sort_complex ----------------------------------------------------------------
# p(r) = 0 moves with the coefficients as dr = -Σ dp_k r^(n-1-k) / p'(r) (a simple root).

def _roots_slope(p, result):
    """p'(r) at each root, after refusing what the rule does not cover."""
    _check_polynomial(p)
    refuse_complex("np.roots", p)
    if np.iscomplexobj(result):
        raise NoDerivativeRuleError(
            "np.roots is differentiated where all the roots are real (these are complex)",
            help="Differentiate a polynomial whose roots are real, or split it into real "
                 "factors yourself.")
    if np.shape(p)[0] and p[0] == 0:
        raise NoDerivativeRuleError(
            "np.roots is not differentiable where the leading coefficient is 0 (a root "
            "leaves for infinity)", help="Drop the leading zeros before the call.")
    # (the powers np.polyder multiplies by are int64: keep p's float dtype)
    return np.polyval(np.polyder(p), result).astype(float_dtype(p, result))


def roots_adjoint(g, p, result):
    """Adjoint of np.roots(p) (real, simple roots): -Σ_i g_i r_i^(n-1-k) / p'(r_i)."""
    slope = _roots_slope(p, result)
    size = np.shape(p)[0]
    powers = np.expand_dims(result, 1) ** np.arange(size - 1, -1, -1, dtype=float_dtype(p))
    return -np.sum(np.expand_dims(g / slope, 1) * powers, axis=0)


def roots_tangent(g, p, result):
    """Tangent of np.roots: -polyval(dp, r) / p'(r)."""
    return -np.polyval(g, result) / _roots_slope(p, result)


def _sort_complex_order(a):
    """The order np.sort_complex puts a real `a` in along its last axis (by value, ties
    in their order)."""
    refuse_complex("np.sort_complex", a)
    return np.argsort(a, axis=-1, kind="stable")


def sort_complex_adjoint(g, a):
    """Adjoint of np.sort_complex(a) for real a: the real part of g put back in a's order."""
    order = _sort_complex_order(a)
    inverse = np.argsort(order, axis=-1, kind="stable")
    return np.take_along_axis(np.real(g), inverse, -1).astype(float_dtype(a))


def sort_complex_tangent(g, a, result):
    """Tangent of np.sort_complex(a) for real a: g in the sorted order, as complex values."""
    order = _sort_complex_order(a)
    return np.take_along_axis(np.asarray(g), order, -1).astype(np.result_type(result))


# -- np.polyfit, np.polydiv -----------------------------------------------------------------

def check_polyfit_options(full, cov):
    if full or cov:
        raise NoDerivativeRuleError(
            "np.polyfit is differentiated for its coefficients alone (full=False, cov=False)",
            help="Call np.polyfit without full= and cov=; compute the residuals from the "
                 "coefficients (np.polyval) if you need them.")


def _polyfit_system(x, y, deg, w):
    """(A, b, lstsq(A, b)) of the weighted least-squares problem np.polyfit solves."""
    _check_polynomial(x)
    matrix = np.vander(x, deg + 1)
    target = y
    if w is not None:
        matrix = matrix * np.expand_dims(w, 1)
        target = target * (w if np.ndim(y) == 1 else np.expand_dims(w, 1))
    return matrix, target, np.linalg.lstsq(matrix, target, rcond=None)


def polyfit_adjoint(g, x, y, deg, w, wrt):
    """Adjoint of np.polyfit(x, y, deg, w=w) in x or y (the fit is lstsq's, for a
    Vandermonde matrix of full rank)."""
    matrix, target, solved = _polyfit_system(x, y, deg, w)
    seed = (g, None, None, None)
    weights = 1.0 if w is None else w
    if wrt == "y":
        by_target = lstsq_adjoint(seed, matrix, target, solved, "b")
        return by_target * (weights if np.ndim(y) == 1 else np.expand_dims(weights, 1))
    by_matrix = lstsq_adjoint(seed, matrix, target, solved, "a")
    return np.sum(by_matrix * vander_slope(x, deg + 1, False), axis=1) * weights


def polyfit_tangent(g, x, y, deg, w, wrt):
    """Tangent of np.polyfit in x or y."""
    matrix, target, solved = _polyfit_system(x, y, deg, w)
    weights = 1.0 if w is None else w
    if wrt == "y":
        moved = g * (weights if np.ndim(y) == 1 else np.expand_dims(weights, 1))
        return lstsq_tangent(moved, matrix, target, solved, "b")[0]
    moved = np.expand_dims(g * weights, 1) * vander_slope(x, deg + 1, False)
    return lstsq_tangent(moved, matrix, target, solved, "a")[0]


def _polydiv_matrix(size_u, v, shapes, dtype):
    """The matrix of u -> np.polydiv(u, v) (u of length size_u), the quotient's and the
    remainder's coefficients stacked (np.polydiv is linear in u for a fixed v); the
    remainder is cut to the primal's length (NumPy drops its leading zeros)."""
    quotient_size, remainder_size = shapes
    columns = []
    for row in np.eye(size_u, dtype=dtype):
        quotient, remainder = _polydiv_linear(row, v)
        columns.append(np.concatenate([quotient[np.shape(quotient)[0] - quotient_size:],
                                       remainder[np.shape(remainder)[0] - remainder_size:]]))
    return np.transpose(np.array(columns))


def _polydiv_linear(u, v):
    """Long division of u by v (quotient, remainder of length len(v) - 1, or 1), with no
    trimming: linear in u."""
    size_u, size_v = np.shape(u)[0], np.shape(v)[0]
    remainder = np.array(u, dtype=np.result_type(u, v, 0.0))
    quotient = np.zeros(max(size_u - size_v + 1, 1), dtype=remainder.dtype)
    for k in range(size_u - size_v + 1):
        factor = remainder[k] / v[0]
        quotient[k] = factor
        remainder[k:k + size_v] = remainder[k:k + size_v] - factor * v
    tail = remainder[max(size_u - size_v + 1, 0):] if size_v > 1 else remainder[-1:] * 0.0
    return quotient, tail


def _polydiv_parts(g, result):
    """(quotient part, remainder part) of a derivative of np.polydiv's (q, r)."""
    quotient, remainder = result
    gq, gr = entry(g, 0), entry(g, 1)
    dtype = float_dtype(quotient, remainder)
    gq = np.zeros(np.shape(quotient), dtype=dtype) if gq is None else gq
    gr = np.zeros(np.shape(remainder), dtype=dtype) if gr is None else gr
    return np.concatenate([gq, gr])


def polydiv_adjoint(g, u, v, result, wrt):
    """Adjoint of np.polydiv(u, v) = (q, r), u = q v + r: through the linear map
    u -> (q, r) for u, and through -polymul(q, ·) for v."""
    _check_polynomial(u)
    _check_polynomial(v)
    refuse_complex("np.polydiv", u, v)
    shapes = (np.shape(result[0])[0], np.shape(result[1])[0])
    matrix = _polydiv_matrix(np.shape(u)[0], v, shapes, float_dtype(u, v))
    by_u = np.matmul(_polydiv_parts(g, result), matrix)
    if wrt == "u":
        return by_u
    if np.shape(u)[0] < np.shape(v)[0]:
        # A divisor of higher degree: q = 0 and r = u whatever v is.
        return np.zeros(np.shape(v), dtype=float_dtype(u, v))
    return -convolve_adjoint(by_u, result[0], v, "full", "v")[:np.shape(v)[0]]


def polydiv_tangent(g, u, v, result, wrt):
    """Tangent of np.polydiv: the division of du - polymul(q, dv) by v."""
    _check_polynomial(u)
    _check_polynomial(v)
    refuse_complex("np.polydiv", u, v)
    shapes = (np.shape(result[0])[0], np.shape(result[1])[0])
    matrix = _polydiv_matrix(np.shape(u)[0], v, shapes, float_dtype(u, v))
    if wrt == "v" and np.shape(u)[0] < np.shape(v)[0]:
        # A divisor of higher degree: q = 0 and r = u whatever v is.
        return tuple(np.zeros(size, dtype=float_dtype(u, v)) for size in shapes)
    moved = g if wrt == "u" else -_leading_zeros(np.polymul(result[0], g), np.shape(u)[0])
    both = np.matmul(matrix, moved)
    return (both[:shapes[0]], both[shapes[0]:])


# The helpers rule templates call by name (runtime/__init__.py gathers them).
TEMPLATE_HELPERS = {helper.__name__: helper for helper in (
    polyval_slope, polyval_adjoint_p, vander_slope, polyadd_adjoint, polyadd_tangent,
    polynomial_map_adjoint, poly_adjoint, poly_tangent, roots_adjoint, roots_tangent,
    sort_complex_adjoint, sort_complex_tangent, polyfit_adjoint, polyfit_tangent,
    polydiv_adjoint, polydiv_tangent)}
