"""Runtime helpers for the scipy.special rules whose derivatives SciPy has no
function for (rules/scipy_rules.py): the incomplete gamma and beta functions
in their parameters, summed as series and continued fractions differentiated
term by term; the Bessel functions by kind; multigammaln's derivative.

SciPy is optional: without it these helpers are never called (their rules do
not exist).
"""

from __future__ import annotations

import numpy as np

from ..errors import NoDerivativeRuleError
from .optional import OptionalModule

# Imported when first used: SciPy is optional, and slow to import.
special = OptionalModule("scipy.special")


# -- scipy.special ---------------------------------------------------------------------

def gammaln(x):
    """log Γ(x) (for the incomplete gamma function's derivative)."""
    return special.gammaln(x)


def betaln(a, b):
    """log B(a, b) (for the incomplete beta function's derivative)."""
    return special.betaln(a, b)


def gammainc_derivative_a(a, x, upper, order=1):
    """The order-th derivative in a (order 1 or 2) of the regularized incomplete
    gamma function: of P(a, x) = gammainc(a, x), or of Q(a, x) = gammaincc(a, x)
    = 1 - P when `upper`.

    The two expansions SciPy's own P and Q are computed from, each
    differentiated in a as it is summed (first and second derivatives carried
    beside every quantity), so that neither loses the precision the other keeps:

        x < a + 1:  P = x^a e^-x / Γ(a+1) · Σ_n x^n / ((a+1)...(a+n))     (series)
        otherwise:  Q = x^a e^-x / Γ(a) · 1/(x+1-a- 1(1-a)/(x+3-a- ...))  (continued fraction)

    and Q's derivatives are P's negated. Agrees with mpmath to about 1e-13
    relative for a up to hundreds, 1e-11 at a = 3000 (tests/test_gammainc_in_a.py).

        >>> round(float(gammainc_derivative_a(2.0, 1.5, False)), 6)
        -0.313489
    """
    if order not in (1, 2):
        raise NoDerivativeRuleError(
            "scipy.special.gammainc and gammaincc are differentiated in a to second order "
            "only", help="Differentiate at most twice with respect to a.")
    a, x = np.broadcast_arrays(np.asarray(a, dtype=float), np.asarray(x, dtype=float))
    shape = a.shape
    a, x = a.ravel(), x.ravel()
    derivative = np.full(a.shape, np.nan)
    inside = (a > 0) & (x > 0) & np.isfinite(x)
    derivative[(a > 0) & ((x == 0) | (x == np.inf))] = 0.0   # P is 0 or 1 there
    series = inside & (x < a + 1.0)
    fraction = inside & ~series
    if np.any(series):
        derivative[series] = _lower_series_derivatives(a[series], x[series])[order - 1]
    if np.any(fraction):
        derivative[fraction] = -_upper_fraction_derivatives(a[fraction], x[fraction])[order - 1]
    if upper:
        derivative = -derivative
    return derivative.reshape(shape) if shape else float(derivative[0])


def betainc_derivative(a, b, x, wrt):
    """d/da (wrt='a') or d/db (wrt='b') of the regularized incomplete beta function
    I_x(a, b) = scipy.special.betainc(a, b, x), for a, b > 0 and 0 <= x <= 1.

    From the continued fraction SciPy's own I is computed from (with I_x(a, b) =
    1 - I_(1-x)(b, a) past its turning point), its a- and b-derivatives carried
    beside every quantity of Lentz's method:

        I = x^a (1-x)^b / (a B(a, b)) · 1/(1+ d1/(1+ d2/(1+ ...)))

    Agrees with mpmath to about 1e-11 relative, in the tails too
    (tests/test_gammainc_in_a.py).

        >>> round(float(betainc_derivative(2.0, 3.0, 0.4, 'a')), 6)
        -0.240869
    """
    a, b, x = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (a, b, x)))
    shape = a.shape
    a, b, x = a.ravel(), b.ravel(), x.ravel()
    derivative = np.full(a.shape, np.nan)
    valid = (a > 0) & (b > 0)
    derivative[valid & ((x == 0) | (x == 1))] = 0.0   # I is 0 or 1 there
    inside = valid & (x > 0) & (x < 1)
    direct = inside & (x <= (a + 1.0) / (a + b + 2.0))
    mirrored = inside & ~direct
    if np.any(direct):
        by_a, by_b = _betainc_fraction_derivatives(a[direct], b[direct], x[direct])
        derivative[direct] = by_a if wrt == "a" else by_b
    if np.any(mirrored):
        # I_x(a, b) = 1 - I_(1-x)(b, a): a is the mirrored function's second parameter
        by_b, by_a = _betainc_fraction_derivatives(b[mirrored], a[mirrored],
                                                   1.0 - x[mirrored])
        derivative[mirrored] = -(by_a if wrt == "a" else by_b)
    return derivative.reshape(shape) if shape else float(derivative[0])


def _betainc_fraction_derivatives(a, b, x):
    """(dI/da, dI/db) for x below the turning point, from the continued fraction by
    Lentz's method with each quantity's a- and b-derivatives carried beside it."""
    prefactor = np.exp(a * np.log(x) + b * np.log1p(-x) - np.log(a) - special.betaln(a, b))
    both = special.digamma(a + b)
    slope_a = np.log(x) - 1.0 / a - special.digamma(a) + both
    slope_b = np.log1p(-x) - special.digamma(b) + both
    zeros = np.zeros_like(a)
    c, c_a, c_b = np.ones_like(a), zeros, zeros
    first = 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / first
    d_a = -(-x / (a + 1.0) + (a + b) * x / (a + 1.0) ** 2) * d * d
    d_b = (x / (a + 1.0)) * d * d
    h, h_a, h_b = d, d_a, d_b
    m = 0
    while True:
        m += 1
        even = m * (b - m) * x / ((a + 2 * m - 1.0) * (a + 2 * m))
        even_a = -even * (1.0 / (a + 2 * m - 1.0) + 1.0 / (a + 2 * m))
        even_b = m * x / ((a + 2 * m - 1.0) * (a + 2 * m))
        odd = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1.0))
        odd_a = odd * (1.0 / (a + m) + 1.0 / (a + b + m) - 1.0 / (a + 2 * m)
                       - 1.0 / (a + 2 * m + 1.0))
        odd_b = odd / (a + b + m)
        for term, term_a, term_b in ((even, even_a, even_b), (odd, odd_a, odd_b)):
            denominator = 1.0 + term * d
            denominator_a = term_a * d + term * d_a
            denominator_b = term_b * d + term * d_b
            d = 1.0 / denominator
            d_a, d_b = -denominator_a * d * d, -denominator_b * d * d
            c_a = term_a / c - term * c_a / c / c
            c_b = term_b / c - term * c_b / c / c
            c = 1.0 + term / c
            step = d * c
            step_a, step_b = d_a * c + d * c_a, d_b * c + d * c_b
            h_a = h_a * step + h * step_a
            h_b = h_b * step + h * step_b
            h = h * step
        scale = np.abs(h)
        if bool(np.all((np.abs(step - 1.0) <= 4e-16)
                       & (np.abs(step_a * h) <= 4e-16 * (np.abs(h_a) + scale))
                       & (np.abs(step_b * h) <= 4e-16 * (np.abs(h_b) + scale)))) or m > 100000:
            break
    return prefactor * (slope_a * h + h_a), prefactor * (slope_b * h + h_b)


def _converged(change, change_a, change_aa, total, total_a, total_aa, tolerance):
    """Whether the last change to a sum and to its first and second derivatives is
    below `tolerance` relative to each (or to the sum, for a derivative near 0)."""
    return bool(np.all((np.abs(change) <= tolerance * np.abs(total))
                       & (np.abs(change_a) <= tolerance * (np.abs(total_a) + np.abs(total)))
                       & (np.abs(change_aa) <= tolerance * (np.abs(total_aa) + np.abs(total)))))


def _lower_series_derivatives(a, x):
    """(dP/da, d²P/da²) for x < a + 1, from P's power series: terms t_n and their
    a-derivatives, t_n = t_(n-1) r_n with r_n = x / (a + n)."""
    log_x = np.log(x)
    prefactor = np.exp(a * log_x - x - special.gammaln(a + 1.0))
    log_slope = log_x - special.digamma(a + 1.0)      # d log(prefactor) / da
    curvature = -special.polygamma(1, a + 1.0)        # d² log(prefactor) / da²
    term, term_a, term_aa = np.ones_like(a), np.zeros_like(a), np.zeros_like(a)
    total, total_a, total_aa = np.ones_like(a), np.zeros_like(a), np.zeros_like(a)
    n = 0
    while True:
        n += 1
        ratio = x / (a + n)
        ratio_a, ratio_aa = -ratio / (a + n), 2.0 * ratio / (a + n) ** 2
        term_aa = term_aa * ratio + 2.0 * term_a * ratio_a + term * ratio_aa
        term_a = term_a * ratio + term * ratio_a
        term = term * ratio
        total, total_a, total_aa = total + term, total_a + term_a, total_aa + term_aa
        if _converged(term, term_a, term_aa, total, total_a, total_aa, 1e-17) or n > 100000:
            break
    first = prefactor * (log_slope * total + total_a)
    second = prefactor * ((log_slope ** 2 + curvature) * total + 2.0 * log_slope * total_a
                          + total_aa)
    return first, second


def _upper_fraction_derivatives(a, x):
    """(dQ/da, d²Q/da²) for x >= a + 1, from Q's continued fraction evaluated by
    Lentz's method, each quantity's first and second a-derivatives carried beside it."""
    log_x = np.log(x)
    prefactor = np.exp(a * log_x - x - special.gammaln(a))
    log_slope = log_x - special.digamma(a)
    curvature = -special.polygamma(1, a)
    zeros = np.zeros_like(a)
    b, b_a = x + 1.0 - a, -1.0                       # b'' = 0
    c, c_a, c_aa = np.full_like(a, 1e300), zeros, zeros
    d = 1.0 / b
    d_a, d_aa = -b_a * d * d, 2.0 * b_a ** 2 * d ** 3
    h, h_a, h_aa = d, d_a, d_aa
    i = 0
    while True:
        i += 1
        an, an_a = -i * (i - a), float(i)             # an'' = 0
        b = b + 2.0
        denominator = an * d + b
        denominator_a = an_a * d + an * d_a + b_a
        denominator_aa = 2.0 * an_a * d_a + an * d_aa
        d = 1.0 / denominator
        d_aa = (2.0 * denominator_a ** 2 * d - denominator_aa) * d * d
        d_a = -denominator_a * d * d
        inverse = 1.0 / c
        inverse_a = -c_a * inverse * inverse
        inverse_aa = (2.0 * c_a ** 2 * inverse - c_aa) * inverse * inverse
        c = b + an * inverse
        c_a = b_a + an_a * inverse + an * inverse_a
        c_aa = 2.0 * an_a * inverse_a + an * inverse_aa
        step = d * c
        step_a = d_a * c + d * c_a
        step_aa = d_aa * c + 2.0 * d_a * c_a + d * c_aa
        h_aa = h_aa * step + 2.0 * h_a * step_a + h * step_aa
        h_a = h_a * step + h * step_a
        h = h * step
        # within rounding of 1 (a step is exactly 1 only by chance)
        if _converged((step - 1.0) * h, step_a * h, step_aa * h, h, h_a, h_aa, 4e-16) \
                or i > 100000:
            break
    first = prefactor * (log_slope * h + h_a)
    second = prefactor * ((log_slope ** 2 + curvature) * h + 2.0 * log_slope * h_a + h_aa)
    return first, second


def bessel(kind, v, x):
    """The Bessel function `kind` of order v at x: 'j' jv, 'y' yv, 'i' iv, 'ie'
    ive, 'k' kv, 'ke' kve (each derivative is one of these at orders v ± 1)."""
    if kind == "j":
        return special.jv(v, x)
    if kind == "y":
        return special.yv(v, x)
    if kind == "i":
        return special.iv(v, x)
    if kind == "ie":
        return special.ive(v, x)
    if kind == "k":
        return special.kv(v, x)
    return special.kve(v, x)


def multigammaln_derivative(a, d):
    """d/da log Γ_d(a) = Σ_{j<d} ψ(a - j/2)."""
    total = special.digamma(a)
    for j in range(1, d):
        total = total + special.digamma(a - 0.5 * j)
    return total


# The helpers rule templates call by name (runtime/__init__.py gathers them).
TEMPLATE_HELPERS = {helper.__name__: helper for helper in (
    gammaln, betaln, bessel, gammainc_derivative_a, betainc_derivative,
    multigammaln_derivative)}
