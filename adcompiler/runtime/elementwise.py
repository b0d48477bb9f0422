"""Runtime helpers for elementwise NumPy rules of rules/numpy_extra_rules.py
that are more than one expression: np.arcsin's derivative on complex branch cuts,
np.i0's derivative I₁ (NumPy has none),
np.kaiser's derivative in beta, and the tuple results of np.modf, np.frexp and np.divmod.
"""

from __future__ import annotations

import numpy as np

from .arrays import entry, float_dtype, sum_to_shape


# -- np.arcsin, np.arccos ----------------------------------------------------------------------

def arcsin_slope(x, result=None):
    """1 / sqrt(1 - x²), the derivative of arcsin (and -arccos') at x, where
    arcsin(x) is `result`. For a complex x or result (cmath.asin, and
    np.emath.arcsin of a real |x| > 1, which read a real x as x + 0j),
    1 / (sqrt(1 - x) sqrt(1 + x)) written with -(x - 1) and x - -1: the same
    off the branch cuts, and on them (x = ±2 ± 0j) it keeps the sign of the
    zero imaginary part that picks the side the value is on (1 - x², 1 - x
    and x + 1 make it +0). For real x and result, -(x - 1) would be -0 at 1:
    the real form keeps torch's +inf there.

        >>> [round(complex(arcsin_slope(complex(2.0, zero))).imag, 6) for zero in (0.0, -0.0)]
        [0.57735, -0.57735]
    """
    if np.iscomplexobj(x) or np.iscomplexobj(result):
        z = x if np.iscomplexobj(x) else x + 0j
        return 1.0 / (np.sqrt(-(z - 1.0)) * np.sqrt(z - -1.0))
    return 1.0 / np.sqrt(1.0 - x * x)


# -- np.i0, np.kaiser ------------------------------------------------------------------------

def bessel_i1(x):
    """The modified Bessel function I₁(x), np.i0's derivative, from its power series
    Σ (x/2)^(2k+1) / (k! (k+1)!) (terms of one sign: no cancellation; a term
    count that grows with |x|, overflowing where np.i0 does).

        >>> round(float(bessel_i1(1.0)), 12)
        0.565159103992
    """
    x = np.asarray(x)
    dtype = float_dtype(x)
    half = np.asarray(x, dtype=dtype) / 2.0
    quarter = half * half
    term = half
    total = half
    k = 0
    while True:
        k += 1
        term = term * quarter / (k * (k + 1.0))
        total = total + term
        if not np.any(np.abs(term) > 1e-17 * np.abs(total)) or k > 100000:
            break
    return total


def bessel_i1_slope(x):
    """d I₁(x) / dx = I₀(x) - I₁(x) / x, and 1/2 at 0."""
    zero = np.equal(x, 0)
    safe = np.where(zero, 1.0, x)
    return np.where(zero, 0.5, np.i0(x) - bessel_i1(x) / safe)


def kaiser_slope(M, beta, result):
    """d np.kaiser(M, beta) / d beta, from w = I₀(β s) / I₀(β), s = sqrt(1 - (2n/(M-1) - 1)²):
    (s I₁(β s) - w I₁(β)) / I₀(β). np.kaiser(1, beta) is [1.0] whatever beta is.

    Example:
        >>> kaiser_slope(1, 2.0, np.ones(1))
        array([0.])
    """
    if M == 1:
        return np.zeros(1)
    n = np.arange(0, M)
    alpha = (M - 1) / 2.0
    s = np.sqrt(1 - ((n - alpha) / alpha) ** 2.0)
    return (s * bessel_i1(beta * s) - result * bessel_i1(beta)) / np.i0(beta)


# -- tuple results: np.modf, np.frexp, np.divmod ----------------------------------------------

def modf_adjoint(g, x):
    """Adjoint of np.modf(x) = (fraction, integral part): the fraction's derivative is 1."""
    fraction = entry(g, 0)
    if fraction is None:
        return np.zeros(np.shape(x), dtype=float_dtype(x))
    return sum_to_shape(fraction, np.shape(x))


def modf_tangent(g, x):
    """Tangent of np.modf: (g, 0)."""
    return (g * np.ones(np.shape(x), dtype=float_dtype(g, x)),
            np.zeros(np.shape(x), dtype=float_dtype(g, x)))


def frexp_adjoint(g, x):
    """Adjoint of np.frexp(x) = (mantissa, exponent): mantissa = x 2^-exponent."""
    mantissa = entry(g, 0)
    if mantissa is None:
        return np.zeros(np.shape(x), dtype=float_dtype(x))
    return np.ldexp(mantissa, -np.frexp(x)[1])


def frexp_tangent(g, x):
    """Tangent of np.frexp: (g 2^-exponent, 0) (the exponent is an integer)."""
    exponent = np.frexp(x)[1]
    return (np.ldexp(g, -exponent), np.zeros(np.shape(exponent), dtype=float_dtype(g, x)))


def divmod_adjoint(g, x1, x2, wrt):
    """Adjoint of np.divmod(x1, x2) = (x1 // x2, x1 % x2): the quotient is piecewise
    constant; the remainder's derivatives are 1 in x1 and -(x1 // x2) in x2."""
    remainder = entry(g, 1)
    operand = x1 if wrt == "x1" else x2
    if remainder is None:
        return np.zeros(np.shape(operand), dtype=float_dtype(operand))
    if wrt == "x1":
        return sum_to_shape(remainder * np.ones(np.shape(np.floor_divide(x1, x2))), np.shape(x1))
    return sum_to_shape(-remainder * np.floor_divide(x1, x2), np.shape(x2))


def divmod_tangent(g, x1, x2, wrt):
    """Tangent of np.divmod: (0, g) in x1, (0, -g (x1 // x2)) in x2."""
    quotient = np.floor_divide(x1, x2)
    moved = g * np.ones(np.shape(quotient)) if wrt == "x1" else -g * quotient
    return (np.zeros(np.shape(moved), dtype=float_dtype(moved)), moved)


# The helpers rule templates call by name (runtime/__init__.py gathers them).
TEMPLATE_HELPERS = {helper.__name__: helper for helper in (
    arcsin_slope, bessel_i1, bessel_i1_slope, kaiser_slope, modf_adjoint, modf_tangent, frexp_adjoint,
    frexp_tangent, divmod_adjoint, divmod_tangent)}
