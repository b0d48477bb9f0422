"""Runtime helpers for the np.cov and np.corrcoef rules
(rules/numpy_extra_rules.py).
"""

from __future__ import annotations

import numpy as np

from .arrays import float_dtype
from .complex_numbers import refuse_complex


# -- np.cov, np.corrcoef ----------------------------------------------------------------------
# cov stacks its operands into X (variables x observations), centres each row on its
# weighted mean and returns C = Xc W Xcᵀ / f (W the product of the weights, f the
# normalisation); the weights are not differentiated. With S = G + Gᵀ,
#     dC = (dXc W Xcᵀ + Xc W dXcᵀ) / f,      X̄c = S Xc W / f,    X̄ = X̄c - (X̄c 1) wᵀ / Σw.

def _cov_rows(m, y, rowvar):
    """The variables of np.cov(m, y, rowvar) as rows, as np.cov stacks them."""
    rows = np.reshape(m, (1, -1)) if np.ndim(m) < 2 else m
    if not rowvar and np.ndim(m) != 1:
        rows = np.transpose(rows)
    if y is None:
        return rows
    other = np.reshape(y, (1, -1)) if np.ndim(y) < 2 else y
    if not rowvar and np.shape(other)[0] != 1:
        other = np.transpose(other)
    return np.concatenate([rows, other], axis=0)


def _cov_weights(count, bias, ddof, fweights, aweights):
    """(w, Σw, f): the observations' weights and the normalisation np.cov divides by."""
    if ddof is None:
        ddof = 1 if bias == 0 else 0
    weights = None
    if fweights is not None:
        weights = np.asarray(fweights, dtype=float)
    if aweights is not None:
        weights = np.asarray(aweights, dtype=float) if weights is None else \
            weights * np.asarray(aweights, dtype=float)
    if weights is None:
        return np.ones(count), float(count), float(max(count - ddof, 0))
    total = float(np.sum(weights))
    if ddof == 0:
        factor = total
    elif aweights is None:
        factor = total - ddof
    else:
        factor = total - ddof * float(np.sum(weights * np.asarray(aweights, dtype=float))) / total
    return weights, total, float(max(factor, 0.0))


def _cov_centred(rows, weights, total):
    return rows - np.sum(rows * weights, axis=1, keepdims=True) / total


def _cov_setup(m, y, rowvar, bias, ddof, fweights, aweights):
    refuse_complex("np.cov", m, y)
    rows = _cov_rows(m, y, rowvar)
    weights, total, factor = _cov_weights(np.shape(rows)[1], bias, ddof, fweights, aweights)
    return rows, weights, total, factor


def _cov_operand_rows(t, m, y, rowvar, wrt):
    """The rows' tangent for a tangent t of the operand `wrt` ('m' or 'y'), zeros elsewhere."""
    if wrt == "m":
        return _cov_rows(t, None if y is None else np.zeros(np.shape(y), dtype=float_dtype(t)),
                         rowvar)
    return _cov_rows(np.zeros(np.shape(m), dtype=float_dtype(t)), t, rowvar)


def cov_tangent(g, m, y, rowvar, bias, ddof, fweights, aweights, result, wrt):
    """Tangent of np.cov in its operand `wrt` ('m' or 'y')."""
    rows, weights, total, factor = _cov_setup(m, y, rowvar, bias, ddof, fweights, aweights)
    centred = _cov_centred(rows, weights, total)
    moved = _cov_centred(_cov_operand_rows(g, m, y, rowvar, wrt), weights, total)
    half = (moved * weights) @ np.transpose(centred) / factor
    return np.reshape(half + np.transpose(half), np.shape(result))


def cov_adjoint(g, m, y, rowvar, bias, ddof, fweights, aweights, wrt):
    """Adjoint of np.cov in its operand `wrt` ('m' or 'y')."""
    rows, weights, total, factor = _cov_setup(m, y, rowvar, bias, ddof, fweights, aweights)
    centred = _cov_centred(rows, weights, total)
    size = np.shape(rows)[0]
    square = np.reshape(g, (size, size))
    spread = (square + np.transpose(square)) @ (centred * weights) / factor
    spread = spread - np.sum(spread, axis=1, keepdims=True) * weights / total
    rows_m = 1 if np.ndim(m) < 2 else np.shape(_cov_rows(m, None, rowvar))[0]
    part = spread[:rows_m] if wrt == "m" else spread[rows_m:]
    operand = m if wrt == "m" else y
    if np.ndim(operand) < 2:
        return np.reshape(part, np.shape(operand))
    transposed = not rowvar and (wrt == "m" or np.shape(operand)[0] != 1)
    return np.transpose(part) if transposed else part


def _correlation_scale(covariance):
    """1 / sqrt(d_i d_j), d the variances (the diagonal of the covariance)."""
    deviation = np.sqrt(np.diagonal(covariance))
    return 1.0 / (deviation[:, None] * deviation[None, :]), np.diagonal(covariance)


def corrcoef_tangent(g, x, y, rowvar, result, wrt):
    """Tangent of np.corrcoef: dR = dC / (s sᵀ) - R (dd_i / d_i + dd_j / d_j) / 2."""
    if np.ndim(result) == 0:
        return np.zeros((), dtype=float_dtype(g))   # a single variable: R = 1
    covariance = np.cov(x, y, rowvar)
    moved = cov_tangent(g, x, y, rowvar, 0, None, None, None, covariance, wrt)
    scale, variances = _correlation_scale(covariance)
    relative = np.diagonal(moved) / variances
    return moved * scale - 0.5 * result * (relative[:, None] + relative[None, :])


def corrcoef_adjoint(g, x, y, rowvar, result, wrt):
    """Adjoint of np.corrcoef, through the covariance's adjoint."""
    if np.ndim(result) == 0:
        operand = x if wrt == "m" else y
        return np.zeros(np.shape(operand), dtype=float_dtype(g, operand))
    covariance = np.cov(x, y, rowvar)
    scale, variances = _correlation_scale(covariance)
    weighted = g * result
    on_diagonal = -0.5 * (np.sum(weighted, axis=1) + np.sum(weighted, axis=0)) / variances
    spread = g * scale + np.diag(on_diagonal)
    return cov_adjoint(spread, x, y, rowvar, 0, None, None, None, wrt)


# The helpers rule templates call by name (runtime/__init__.py gathers them).
TEMPLATE_HELPERS = {helper.__name__: helper for helper in (
    cov_adjoint, cov_tangent, corrcoef_adjoint, corrcoef_tangent)}
