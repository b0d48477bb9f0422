"""Runtime helpers for rules/numpy_extra_rules.py (lstsq, eig, gradient, select,
partition, rollaxis, interp, polyval, trapezoid, scipy.linalg.expm,
scipy.signal.convolve) and for the Bessel, incomplete gamma/beta and
multigammaln rules of rules/scipy_rules.py.

Plain NumPy (and SciPy calls that have rules), so that adcompiler can
differentiate them from their source for second derivatives. SciPy is
optional: without it the SciPy helpers are never called (their rules do not
exist).

    expm'(A)[E] = the upper right block of expm([[A, E], [0, A]])     (Fréchet)
"""

from __future__ import annotations

import threading

import numpy as np

from ..errors import NoDerivativeRuleError
from .arrays import cumprod_adjoint, cumprod_tangent, cumsum_adjoint, entry, \
    extremum_weights, float_dtype, is_zero_number, sequence_adjoint, sum_to_shape
from .complex_numbers import refuse_complex
from .linalg import convolve_adjoint, matrix_norm_adjoint, matrix_norm_tangent, mT, pinv_adjoint, pinv_tangent, \
    svdvals_adjoint, svdvals_tangent

from .optional import OptionalModule

# Imported when first used: SciPy is optional, and slow to import.
scipy_linalg = OptionalModule("scipy.linalg")
scipy_signal = OptionalModule("scipy.signal")
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


# -- numpy.linalg.lstsq ---------------------------------------------------------------

def _lstsq_pinv(a, result):
    rank = result[2]
    if rank < min(np.shape(a)[-2:]):
        raise NoDerivativeRuleError(
            "np.linalg.lstsq is differentiated only for a matrix of full rank (its "
            f"rank here is {rank})",
            help="Regularise the problem (solve (AᵀA + λI) x = Aᵀb), or drop dependent columns.")
    return np.linalg.pinv(a)


def _times_b(left, b):
    """left @ b for b a vector or a matrix."""
    return np.dot(left, b)


def lstsq_adjoint(g, a, b, result, wrt):
    """Adjoint of np.linalg.lstsq(a, b) (x = A⁺ b, residuals |b - A x|², s the
    singular values) for a of full rank."""
    pseudo = _lstsq_pinv(a, result)
    x = result[0]
    gx, gres, gs = entry(g, 0), entry(g, 1), entry(g, 3)
    vector = np.ndim(b) == 1
    residual = b - np.dot(a, x)
    if wrt == "b":
        out = np.zeros(np.shape(b), dtype=float_dtype(a, b))
        if gx is not None:
            out = out + np.dot(pseudo.T, gx)
        if gres is not None and np.size(result[1]):
            out = out + 2.0 * residual * (gres[0] if vector else gres)
        return out
    out = np.zeros(np.shape(a), dtype=float_dtype(a, b))
    if gx is not None:
        g_pinv = np.outer(gx, b) if vector else np.dot(gx, b.T)
        out = out + pinv_adjoint(g_pinv, a, pseudo)
    if gres is not None and np.size(result[1]):
        weighted = residual * (gres[0] if vector else gres)
        out = out - 2.0 * (np.outer(weighted, x) if vector else np.dot(weighted, x.T))
    if gs is not None:
        out = out + svdvals_adjoint(gs, a)
    return out


def lstsq_tangent(g, a, b, result, wrt):
    """Tangent of np.linalg.lstsq: (dx, dresiduals, 0, ds)."""
    pseudo = _lstsq_pinv(a, result)
    x = result[0]
    residual = b - np.dot(a, x)
    if wrt == "b":
        dx = np.dot(pseudo, g)
        change = g
        ds = np.zeros(np.shape(result[3]), dtype=float_dtype(a, b))
    else:
        dx = _times_b(pinv_tangent(g, a, pseudo), b)
        change = -np.dot(g, x)
        ds = svdvals_tangent(g, a)
    if np.size(result[1]):
        dres = 2.0 * np.sum(residual * change, axis=0)
        dres = np.reshape(dres, np.shape(result[1]))
    else:
        dres = np.zeros(np.shape(result[1]), dtype=float_dtype(a, b))
    return (dx, dres, 0.0, ds)


# -- numpy.linalg.eig --------------------------------------------------------------------
# The tangent is torch's linalg_eig_jvp; the adjoint torch's linalg_eig_backward,
# conjugated on the way in and out: inside generated code a complex adjoint is
# the transpose of the tangent map, without conjugation (complex_numbers.py).
# Eigenvectors are unit vectors of arbitrary phase (sign, for real ones):
# differentiate functions that do not depend on it (|V|², eigenvalues).

def _mH(x):
    """The conjugate transpose of a stack of matrices."""
    return np.conj(mT(x))


def _inverse_gaps(w):
    """F_ij = 1 / (w_j - w_i) off the diagonal, 0 on it."""
    gaps = w[..., None, :] - w[..., :, None]
    size = np.shape(w)[-1]
    off = np.logical_not(np.eye(size, dtype=bool))
    return np.where(off, 1.0 / np.where(off, gaps, 1.0), 0.0)


def _diagonal_matrix(v):
    return v[..., :, None] * np.eye(np.shape(v)[-1], dtype=float_dtype(v))


def eig_adjoint(g, a, result):
    """Adjoint of np.linalg.eig (distinct eigenvalues, unit eigenvectors), in
    torch's convention (between the conjugations):
    V⁻ᴴ (diag(w̄) + F̄ ∘ (Vᴴ V̄ - VᴴV Re diag(Vᴴ V̄))) Vᴴ, F_ij = 1/(w_j - w_i)."""
    w, v = result[0], result[1]
    inner = np.zeros(np.shape(v), dtype=float_dtype(a, v))
    gw, gv = entry(g, 0), entry(g, 1)
    if gw is not None:
        inner = inner + _diagonal_matrix(np.conj(gw))
    if gv is not None:
        k = _mH(v) @ np.conj(gv)
        gram = _mH(v) @ v
        k_diagonal = np.real(np.diagonal(k, axis1=-2, axis2=-1))
        inner = inner + np.conj(_inverse_gaps(w)) * (k - gram * k_diagonal[..., None, :])
    return np.conj(np.linalg.solve(_mH(v), inner @ _mH(v)))


def eig_tangent(g, a, result):
    """Tangent of np.linalg.eig: C = V⁻¹ dA V, dw = diag(C), dV = V (F ∘ C) with
    each column kept of unit length (Re vᴴ dv = 0)."""
    w, v = result[0], result[1]
    c = np.linalg.solve(v, g @ v)
    dv = v @ (_inverse_gaps(w) * c)
    dv = dv - v * np.real(np.sum(np.conj(v) * dv, axis=-2, keepdims=True))
    return (np.diagonal(c, axis1=-2, axis2=-1), dv)


def eigvals_adjoint(g, a):
    """Adjoint of np.linalg.eigvals (distinct eigenvalues): V⁻ᵀ diag(g) Vᵀ (the
    transpose of the tangent map, holomorphic here)."""
    v = np.linalg.eig(a)[1]
    return np.linalg.solve(mT(v), _diagonal_matrix(g) @ mT(v))


def eigvals_tangent(g, a):
    """Tangent of np.linalg.eigvals: diag(V⁻¹ dA V)."""
    v = np.linalg.eig(a)[1]
    return np.diagonal(np.linalg.solve(v, g @ v), axis1=-2, axis2=-1)


# -- np.gradient, np.select, np.partition, np.rollaxis -------------------------------------

def _gradient_axes(f, axis):
    if axis is None:
        return list(range(np.ndim(f)))
    if isinstance(axis, (tuple, list)):
        return [int(ax) % np.ndim(f) for ax in axis]
    return [int(axis) % np.ndim(f)]


def gradient_adjoint(g, f, spacing, axis, edge_order):
    """Adjoint of np.gradient (linear in f): along each axis, the transpose of the
    difference matrix D = np.gradient(I), one axis's adjoint per result."""
    axes = _gradient_axes(f, axis)
    out = np.zeros(np.shape(f), dtype=float_dtype(f))
    for k in range(len(axes)):
        ax = axes[k]
        gk = g if len(axes) == 1 else entry(g, k)
        if gk is None:
            continue
        size = np.shape(f)[ax]
        if spacing is None:
            matrix = np.gradient(np.eye(size), axis=0, edge_order=edge_order)
        else:
            matrix = np.gradient(np.eye(size), spacing, axis=0, edge_order=edge_order)
        moved = np.tensordot(matrix.T, np.moveaxis(np.asarray(gk), ax, 0), axes=1)
        out = out + np.moveaxis(moved, 0, ax)
    return out


def gradient_tangent(g, spacing, axis, edge_order):
    """Tangent of np.gradient: np.gradient of the tangent (it is linear in f)."""
    if spacing is None:
        return np.gradient(g, axis=axis, edge_order=edge_order)
    return np.gradient(g, spacing, axis=axis, edge_order=edge_order)


def _chosen(condlist, shape):
    """Per choice, where np.select takes it (its condition is the first to hold);
    and where none holds (the default)."""
    taken = np.zeros(shape, dtype=bool)
    masks = []
    for condition in condlist:
        mask = np.logical_and(np.broadcast_to(condition, shape), np.logical_not(taken))
        masks.append(mask)
        taken = np.logical_or(taken, mask)
    return masks, np.logical_not(taken)


def select_adjoint(g, condlist, choicelist, default, wrt):
    """Adjoint of np.select for the choices (one per entry) or the default."""
    masks, rest = _chosen(condlist, np.shape(g))
    if wrt == "default":
        return sum_to_shape(np.where(rest, g, 0.0), np.shape(default))
    pieces = []
    for k in range(len(choicelist)):
        pieces.append(sum_to_shape(np.where(masks[k], g, 0.0), np.shape(choicelist[k])))
    return sequence_adjoint(pieces, choicelist)


def select_adjoint_transpose(h, adjoint, condlist, wrt):
    """The transpose of select_adjoint in its first argument (its own adjoint,
    for second derivatives): h spread back where each choice was taken."""
    masks, rest = _chosen(condlist, np.shape(adjoint))
    if wrt == "default":
        return np.where(rest, h, 0.0) * np.ones(np.shape(adjoint))
    total = np.zeros(np.shape(adjoint), dtype=float_dtype(adjoint))
    for k in range(len(masks)):
        piece = entry(h, k)
        if piece is not None:
            total = total + np.where(masks[k], piece, 0.0)
    return total


def select_default_tangent(g, condlist, result):
    """Tangent of np.select in its default: g where no condition holds."""
    _, rest = _chosen(condlist, np.shape(result))
    return np.where(rest, g, 0.0)


def _partition_order(a, kth, axis):
    if axis is None:
        return np.argpartition(np.ravel(a), kth)
    return np.argpartition(a, kth, axis=axis)


def partition_adjoint(g, a, kth, axis):
    """Adjoint of np.partition: g put back where each element came from (read
    through the inverse permutation)."""
    order = _partition_order(a, kth, axis)
    if axis is None:
        return np.reshape(np.ravel(g)[np.argsort(order)], np.shape(a))
    return np.take_along_axis(g, np.argsort(order, axis=axis), axis)


def partition_tangent(g, a, kth, axis):
    """Tangent of np.partition: g rearranged like a."""
    order = _partition_order(a, kth, axis)
    if axis is None:
        return np.ravel(g)[order]
    return np.take_along_axis(g, order, axis)


def rollaxis_adjoint(g, a, axis, start):
    """Adjoint of np.rollaxis: the inverse permutation of the axes."""
    ndim = np.ndim(a)
    axis = axis % ndim
    if start < 0:
        start = start + ndim
    if axis < start:
        start = start - 1
    order = list(range(ndim))
    order.remove(axis)
    order.insert(start, axis)
    return np.transpose(g, np.argsort(order).tolist())  # a list for dask's transpose


# -- np.interp, np.polyval, np.trapezoid ------------------------------------------------------

def check_interp_period(period):
    if period is not None:
        raise NoDerivativeRuleError(
            "np.interp(..., period=...) is not differentiated",
            help="Map x into one period yourself (np.mod) and call np.interp without period.")


def interp_slope(x, xp, fp):
    """d np.interp(x, xp, fp) / dx: the slope of the segment holding x (0 outside)."""
    last = np.shape(xp)[0] - 1
    segment = np.clip(np.searchsorted(xp, x, side="right") - 1, 0, last - 1)
    slope = (fp[segment + 1] - fp[segment]) / (xp[segment + 1] - xp[segment])
    inside = np.logical_and(np.greater_equal(x, xp[0]), np.less_equal(x, xp[last]))
    return np.where(inside, slope, 0.0)


def _interp_bound(bound):
    return None if bound is None else 0.0


def interp_fp_adjoint(g, x, xp, fp, left, right):
    """Adjoint of np.interp in fp: each value's interpolation weights times g."""
    out = np.zeros(np.shape(fp), dtype=float_dtype(fp))
    flat_x = np.ravel(x)
    flat_g = np.ravel(g * np.ones(np.shape(x)))
    for j in range(np.shape(fp)[0]):
        unit = np.zeros(np.shape(fp)[0])
        unit[j] = 1.0
        weights = np.interp(flat_x, xp, unit, left=_interp_bound(left),
                            right=_interp_bound(right))
        out[j] = np.sum(weights * flat_g)
    return out


def interp_fp_tangent(g, x, xp, left, right):
    """Tangent of np.interp in fp: the tangent interpolated (0 beyond given bounds)."""
    return np.interp(x, xp, g, left=_interp_bound(left), right=_interp_bound(right))


def interp_bound_adjoint(g, x, xp, bound, side):
    """Adjoint of np.interp in left (side 'left') or right: g where x is beyond."""
    last = np.shape(xp)[0] - 1
    beyond = np.less(x, xp[0]) if side == "left" else np.greater(x, xp[last])
    return sum_to_shape(g * beyond, np.shape(bound))


def interp_bound_tangent(g, x, xp, side):
    """Tangent of np.interp in left or right."""
    last = np.shape(xp)[0] - 1
    beyond = np.less(x, xp[0]) if side == "left" else np.greater(x, xp[last])
    return g * beyond


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


def _trapezoid_weights(size, x, dx):
    if x is None:
        return dx * np.concatenate([[0.5], np.ones(max(size - 2, 0)), [0.5]])[:size] \
            if size > 1 else np.zeros(size)
    if np.ndim(x) != 1:
        raise NoDerivativeRuleError(
            "np.trapezoid is differentiated for sample points x given as a 1-d array",
            help="Pass x as a 1-d array along the axis of integration.")
    steps = np.diff(x)
    return 0.5 * (np.concatenate([steps, [0.0]]) + np.concatenate([[0.0], steps]))


def _along(vector, ndim, axis):
    shape = [1] * ndim
    shape[axis] = -1
    return np.reshape(vector, shape)


def trapezoid_adjoint_y(g, y, x, dx, axis):
    """Adjoint of np.trapezoid in y: g times each sample's weight."""
    ndim = np.ndim(y)
    axis = axis % ndim
    weights = _trapezoid_weights(np.shape(y)[axis], x, dx)
    return np.expand_dims(g, axis) * _along(weights, ndim, axis)


def _trapezoid_midpoints(y, axis):
    moved = np.moveaxis(np.asarray(y), axis, -1)
    return 0.5 * (moved[..., 1:] + moved[..., :-1])


def trapezoid_adjoint_x(g, y, x, axis):
    """Adjoint of np.trapezoid in 1-d x: Σ g (m_{j-1} - m_j), m the segment midpoints."""
    _trapezoid_weights(np.shape(y)[axis], x, 1.0)
    middle = _trapezoid_midpoints(y, axis)
    zero = np.zeros(np.shape(middle)[:-1] + (1,))
    per_point = np.concatenate([zero, middle], axis=-1) - np.concatenate([middle, zero], axis=-1)
    spread = np.asarray(g)[..., None] * per_point
    return np.sum(np.reshape(spread, (-1, np.shape(x)[0])), axis=0)


def trapezoid_tangent_x(g, y, x, axis):
    """Tangent of np.trapezoid in 1-d x: Σ (dx_{i+1} - dx_i) m_i."""
    _trapezoid_weights(np.shape(y)[axis], x, 1.0)
    return np.sum(np.diff(g) * _trapezoid_midpoints(y, axis), axis=-1)


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


# -- np.i0, np.unwrap, np.ediff1d, np.vander, np.linalg.cond -----------------------------------

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


def ediff1d_adjoint(g, ary, to_end, to_begin, wrt):
    """Adjoint of np.ediff1d in `wrt` ('ary', 'to_end' or 'to_begin'): its slice of g."""
    begin = 0 if to_begin is None else np.size(to_begin)
    end = 0 if to_end is None else np.size(to_end)
    stop = np.shape(g)[0] - end
    if wrt == "to_begin":
        return np.reshape(g[:begin], np.shape(to_begin))
    if wrt == "to_end":
        return np.reshape(g[stop:], np.shape(to_end))
    steps = g[begin:stop]
    zero = np.zeros(1, dtype=float_dtype(g))
    flat = np.concatenate([zero, steps]) - np.concatenate([steps, zero])
    if np.size(ary) == 0:
        flat = np.zeros(0, dtype=float_dtype(g))
    return np.reshape(flat, np.shape(ary))


def ediff1d_tangent(g, ary, to_end, to_begin, wrt):
    """Tangent of np.ediff1d in `wrt`: g in its place, zeros in the others'."""
    dtype = float_dtype(g, ary)
    pieces = []
    if to_begin is not None:
        pieces.append(np.ravel(g) if wrt == "to_begin" else np.zeros(np.size(to_begin), dtype))
    pieces.append(np.diff(np.ravel(g)) if wrt == "ary" else np.zeros(max(np.size(ary) - 1, 0),
                                                                      dtype))
    if to_end is not None:
        pieces.append(np.ravel(g) if wrt == "to_end" else np.zeros(np.size(to_end), dtype))
    return np.concatenate(pieces).astype(dtype)


def unwrap_period_slope(p, period, result):
    """d np.unwrap(p, period=period) / d period: the whole periods it added, (result - p) / period."""
    return (result - p) / period


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


def check_cond_p(p):
    """Refuse the orders np.linalg.cond has no derivative for here (when compiling)."""
    known = p in ("fro", "nuc") if isinstance(p, str) else \
        p is None or p in (1, -1, 2, -2, np.inf, -np.inf)
    if not known:
        raise NoDerivativeRuleError(
            f"np.linalg.cond is differentiated for p None, 2, -2, 1, -1, inf, -inf, 'fro' "
            f"and 'nuc', not p={p!r}", help="Pass one of those orders.")


def _cond_by_singular_values(p):
    return p is None or (not isinstance(p, str) and p in (2, -2))


def cond_tangent(g, x, p, result):
    """Tangent of np.linalg.cond: from the extreme singular values (p None, ±2), or
    from the norms of x and of its inverse (the other orders)."""
    refuse_complex("np.linalg.cond", x)
    if _cond_by_singular_values(p):
        values = np.linalg.svd(x, compute_uv=False)
        moved = svdvals_tangent(g, x)
        largest, smallest = values[..., 0], values[..., -1]
        relative = moved[..., 0] / largest - moved[..., -1] / smallest
        return result * relative if p != -2 else -result * relative
    inverse = np.linalg.inv(x)
    norm_x = np.linalg.norm(x, p, axis=(-2, -1))
    norm_inverse = np.linalg.norm(inverse, p, axis=(-2, -1))
    moved_inverse = -(inverse @ g @ inverse)
    return matrix_norm_tangent(g, x, norm_x, p, False) * norm_inverse + \
        norm_x * matrix_norm_tangent(moved_inverse, inverse, norm_inverse, p, False)


def cond_adjoint(g, x, p, result):
    """Adjoint of np.linalg.cond (the transpose of cond_tangent)."""
    refuse_complex("np.linalg.cond", x)
    if _cond_by_singular_values(p):
        values = np.linalg.svd(x, compute_uv=False)
        largest, smallest = values[..., 0], values[..., -1]
        sign = -1.0 if p == -2 else 1.0
        scaled = sign * np.asarray(g) * result
        seed = np.zeros(np.shape(values), dtype=float_dtype(g, x))
        first = np.zeros(np.shape(values)[-1], dtype=seed.dtype)
        first[0] = 1.0
        last = np.zeros(np.shape(values)[-1], dtype=seed.dtype)
        last[-1] = 1.0
        seed = seed + (scaled / largest)[..., None] * first - (scaled / smallest)[..., None] * last
        return svdvals_adjoint(seed, x)
    inverse = np.linalg.inv(x)
    norm_x = np.linalg.norm(x, p, axis=(-2, -1))
    norm_inverse = np.linalg.norm(inverse, p, axis=(-2, -1))
    by_x = matrix_norm_adjoint(g * norm_inverse, x, norm_x, p, False)
    by_inverse = matrix_norm_adjoint(g * norm_x, inverse, norm_inverse, p, False)
    return by_x - mT(inverse) @ by_inverse @ mT(inverse)


# -- cumulative_sum/prod, matvec, vecmat, selections, resize --------------------------------

def _without_initial(g, axis, include_initial):
    """g without the leading entry include_initial=True adds along axis (a constant)."""
    if not include_initial:
        return g
    moved = np.moveaxis(np.asarray(g), 0 if axis is None else axis, -1)[..., 1:]
    return np.moveaxis(moved, -1, 0 if axis is None else axis)


def _with_initial(t, axis, include_initial):
    """t with a zero entry first along axis, where include_initial=True puts one."""
    if not include_initial:
        return t
    moved = np.moveaxis(np.asarray(t), 0 if axis is None else axis, -1)
    zero = np.zeros(np.shape(moved)[:-1] + (1,), dtype=float_dtype(t))
    return np.moveaxis(np.concatenate([zero, moved], axis=-1), -1, 0 if axis is None else axis)


def cumulative_sum_adjoint(g, x, axis, include_initial):
    """Adjoint of np.cumulative_sum: the sum of g from the end (the initial 0 is constant)."""
    return cumsum_adjoint(_without_initial(g, axis, include_initial), x, axis)


def cumulative_prod_adjoint(g, x, axis, include_initial, result):
    """Adjoint of np.cumulative_prod (np.cumprod's, the initial 1 is constant)."""
    products = _without_initial(result, axis, include_initial)
    return cumprod_adjoint(_without_initial(g, axis, include_initial), x, products, axis)


def cumulative_prod_tangent(g, x, axis, include_initial, result):
    """Tangent of np.cumulative_prod."""
    products = _without_initial(result, axis, include_initial)
    return _with_initial(cumprod_tangent(g, x, products, axis), axis, include_initial)


def matvec_adjoint(g, x1, x2, wrt):
    """Adjoint of np.matvec (x1 @ x2 over the last axes, real values)."""
    refuse_complex("np.matvec", x1, x2)
    if wrt == "x1":
        return sum_to_shape(np.expand_dims(g, -1) * np.expand_dims(x2, -2), np.shape(x1))
    return sum_to_shape(np.matvec(mT(x1), g), np.shape(x2))


def vecmat_adjoint(g, x1, x2, wrt):
    """Adjoint of np.vecmat (x1 @ x2 over the last axes, real values)."""
    refuse_complex("np.vecmat", x1, x2)
    if wrt == "x1":
        return sum_to_shape(np.matvec(x2, g), np.shape(x1))
    return sum_to_shape(np.expand_dims(x1, -1) * np.expand_dims(g, -2), np.shape(x2))


def _selection(kept, size, dtype):
    """The matrix S (len(kept) x size) with S @ v = v[kept]."""
    return np.eye(size, dtype=dtype)[kept]


def selection_adjoint(g, a, kept, axis):
    """Adjoint of taking the entries `kept` of a along axis (of ravel(a) when axis is None):
    g put back in their places, zeros elsewhere (np.delete, np.compress, np.extract)."""
    dtype = float_dtype(g, a)
    if axis is None:
        return np.reshape(np.matmul(g, _selection(kept, np.size(a), dtype)), np.shape(a))
    moved = np.moveaxis(g, axis, -1)
    spread = np.matmul(moved, _selection(kept, np.shape(a)[axis], dtype))
    return np.moveaxis(spread, -1, axis)


def delete_kept(a, obj, axis):
    """The positions along axis (of ravel(a) for None) that np.delete(a, obj, axis) keeps."""
    size = np.size(a) if axis is None else np.shape(a)[axis]
    return np.delete(np.arange(size), obj)


def compress_kept(condition, a, axis):
    """The positions np.compress(condition, a, axis) keeps."""
    size = np.size(a) if axis is None else np.shape(a)[axis]
    return np.flatnonzero(np.ravel(condition)[:size])


def resize_adjoint(g, a):
    """Adjoint of np.resize(a, new_shape): a's entries repeat cyclically, so each
    gathers g at every position it was copied to."""
    size = np.size(a)
    flat = np.ravel(g)
    if size == 0 or np.size(flat) == 0:
        return np.zeros(np.shape(a), dtype=float_dtype(g, a))
    rows = -(-np.size(flat) // size)
    padding = np.zeros(rows * size - np.size(flat), dtype=flat.dtype)
    whole = np.reshape(np.concatenate([flat, padding]), (rows, size))
    return np.reshape(np.sum(whole, axis=0), np.shape(a))


def trim_zeros_start(filt, trim):
    """Where np.trim_zeros(filt, trim) starts in a 1-d filt."""
    if np.ndim(filt) != 1:
        raise NoDerivativeRuleError("np.trim_zeros is differentiated for 1-d arrays",
                                    help="Pass a 1-d array.")
    nonzero = np.flatnonzero(filt)
    if "f" not in trim.lower() or np.size(nonzero) == 0:
        return 0
    return int(nonzero[0])


def trim_zeros_adjoint(g, filt, trim):
    """Adjoint of np.trim_zeros (1-d): g where the kept entries were, 0 at the trimmed zeros."""
    start = trim_zeros_start(filt, trim)
    kept = np.arange(start, start + np.shape(g)[0])
    return selection_adjoint(g, filt, kept, 0)


def trim_zeros_tangent(g, filt, trim, result):
    """Tangent of np.trim_zeros (1-d): g's entries where filt's were kept."""
    start = trim_zeros_start(filt, trim)
    return g[start:start + np.shape(result)[0]]


# -- polynomials, logspace, geomspace ---------------------------------------------------------

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


def _space_fraction(start, stop, num, endpoint, axis):
    """Each sample's fraction of the way from start to stop (0 to 1), shaped like the result."""
    shape = np.shape(np.asarray(start) + np.asarray(stop))
    return np.linspace(np.zeros(shape), np.ones(shape), num, endpoint=endpoint, axis=axis)


def _expand_at(value, axis, ndim):
    """A start, stop or base broadcast against a result with the sample axis at `axis`."""
    value = np.asarray(value)
    if ndim == 0 or np.ndim(value) == 0:
        return value
    return np.expand_dims(value, axis % ndim)


def logspace_slope(start, stop, num, endpoint, base, axis, result, wrt):
    """∂ np.logspace(start, stop, num, endpoint, base) / ∂ wrt, shaped like the result."""
    refuse_complex("np.logspace", start, stop, base)
    fraction = _space_fraction(start, stop, num, endpoint, axis)
    ndim = np.ndim(result)
    first, last = _expand_at(start, axis, ndim), _expand_at(stop, axis, ndim)
    base_at = _expand_at(base, axis, ndim)
    if wrt == "base":
        return result * (first + fraction * (last - first)) / base_at
    weight = 1.0 - fraction if wrt == "start" else fraction
    return result * np.log(base_at) * weight


def geomspace_slope(start, stop, num, endpoint, axis, result, wrt):
    """∂ np.geomspace(start, stop, num, endpoint) / ∂ wrt, shaped like the result:
    result = start^(1-f) stop^f, so result (1-f) / start and result f / stop."""
    refuse_complex("np.geomspace", start, stop)
    fraction = _space_fraction(start, stop, num, endpoint, axis)
    ndim = np.ndim(result)
    if wrt == "start":
        return result * (1.0 - fraction) / _expand_at(start, axis, ndim)
    return result * fraction / _expand_at(stop, axis, ndim)


def space_adjoint(g, slope, like, axis):
    """Adjoint of logspace/geomspace in an endpoint or base: the samples' sum, put back
    to that parameter's shape."""
    total = np.sum(g * slope, axis=axis % max(np.ndim(slope), 1)) if np.ndim(slope) else \
        g * slope
    return sum_to_shape(total, np.shape(like))


def space_tangent(g, slope, axis):
    """Tangent of logspace/geomspace along a start, stop or base tangent g."""
    return _expand_at(g, axis, np.ndim(slope)) * slope


# -- tuple results: modf, frexp, divmod ---------------------------------------------------------

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


# -- tensorinv, tensorsolve -------------------------------------------------------------------

def _tensorinv_matrix(a, ind):
    rows = int(np.prod(np.shape(a)[:ind]))
    return np.reshape(a, (rows, -1))


def tensorinv_adjoint(g, a, ind, result):
    """Adjoint of np.linalg.tensorinv(a, ind): the inverse's, -A⁻ᵀ G A⁻ᵀ, in a's shape."""
    inverse = np.reshape(result, np.shape(np.transpose(_tensorinv_matrix(a, ind))))
    square = np.reshape(g, np.shape(inverse))
    return np.reshape(-(np.transpose(inverse) @ square @ np.transpose(inverse)), np.shape(a))


def tensorinv_tangent(g, a, ind, result):
    """Tangent of np.linalg.tensorinv: -A⁻¹ dA A⁻¹ in the result's shape."""
    inverse = np.reshape(result, np.shape(np.transpose(_tensorinv_matrix(a, ind))))
    moved = _tensorinv_matrix(g, ind)
    return np.reshape(-(inverse @ moved @ inverse), np.shape(result))


def check_tensorsolve_axes(axes):
    if axes is not None:
        raise NoDerivativeRuleError(
            "np.linalg.tensorsolve is differentiated with axes=None",
            help="Move the axes yourself (np.moveaxis) and call it without axes.")


def _tensorsolve_matrix(a, b):
    return np.reshape(a, (int(np.prod(np.shape(b))), -1))


def tensorsolve_adjoint(g, a, b, result, wrt):
    """Adjoint of np.linalg.tensorsolve(a, b) (x with tensordot(a, x, x.ndim) = b):
    b̄ = A⁻ᵀ ḡ, Ā = -b̄ xᵀ, reshaped."""
    matrix = _tensorsolve_matrix(a, b)
    by_b = np.linalg.solve(np.transpose(matrix), np.ravel(g))
    if wrt == "b":
        return np.reshape(by_b, np.shape(b))
    return np.reshape(-np.outer(by_b, np.ravel(result)), np.shape(a))


def tensorsolve_tangent(g, a, b, result, wrt):
    """Tangent of np.linalg.tensorsolve: A⁻¹ (db - dA x), reshaped like x."""
    matrix = _tensorsolve_matrix(a, b)
    if wrt == "b":
        moved = np.ravel(g)
    else:
        moved = -np.matmul(_tensorsolve_matrix(g, b), np.ravel(result))
    return np.reshape(np.linalg.solve(matrix, moved), np.shape(result))


# -- np.block, np.choose, np.bincount ----------------------------------------------------------
# np.block joins nested lists: the innermost along the last axis, each level out one axis
# earlier, its pieces first made as many-dimensional as the result (leading 1s).

def _block_depth(arrays):
    return 1 + _block_depth(arrays[0]) if isinstance(arrays, list) and arrays else 0


def _block_size(item, ndim, axis):
    shape = np.shape(np.block(item)) if isinstance(item, list) else np.shape(item)
    return ((1,) * (ndim - len(shape)) + tuple(shape))[axis]


def _block_split(g, arrays, depth, ndim):
    if not isinstance(arrays, list):
        return np.reshape(g, np.shape(arrays))
    axis = ndim - depth
    pieces, start = [], 0
    for item in arrays:
        size = _block_size(item, ndim, axis)
        index = (slice(None),) * axis + (slice(start, start + size),)
        pieces.append(_block_split(g[index], item, depth - 1, ndim))
        start += size
    return sequence_adjoint(pieces, arrays)


def block_adjoint(g, arrays):
    """Adjoint of np.block(arrays): g cut back into the (nested) pieces, one adjoint
    per piece nested like them."""
    if not isinstance(arrays, list):
        return np.reshape(g, np.shape(arrays))
    return _block_split(np.asarray(g), arrays, _block_depth(arrays), np.ndim(g))


def _block_filled(pieces, arrays):
    if not isinstance(arrays, list):
        if pieces is None or is_zero_number(pieces):
            return np.zeros(np.shape(arrays), dtype=float_dtype(arrays))
        return pieces
    return [_block_filled(None if pieces is None else entry(pieces, i), item)
            for i, item in enumerate(arrays)]


def block_from_pieces(pieces, arrays):
    """np.block of one value per piece of `arrays` (zeros for a missing one): the
    transpose of block_adjoint."""
    if not isinstance(arrays, list):
        return np.reshape(pieces, np.shape(arrays))
    return np.block(_block_filled(pieces, arrays))


def _choice_index(a, count, mode):
    if mode == "wrap":
        return np.mod(a, count)
    if mode == "clip":
        return np.clip(a, 0, count - 1)
    return np.asarray(a)


def choose_adjoint(g, a, choices, mode):
    """Adjoint of np.choose(a, choices, mode=mode): g where each choice was taken,
    one adjoint per choice (an array for an array of choices)."""
    count = len(choices)
    index = _choice_index(a, count, mode)
    pieces = [sum_to_shape(np.where(index == k, g, 0.0), np.shape(choices[k]))
              for k in range(count)]
    if isinstance(choices, np.ndarray):
        return np.stack(pieces)
    return sequence_adjoint(pieces, choices)


def choose_from_pieces(pieces, a, choices, mode):
    """The transpose of choose_adjoint: np.choose of one value per choice (zeros for a
    missing one), broadcast like the result."""
    if isinstance(choices, np.ndarray):
        filled = pieces
    else:
        filled = [np.zeros(np.shape(choices[k]), dtype=float_dtype(choices[k]))
                  if entry(pieces, k) is None else entry(pieces, k) for k in range(len(choices))]
    shape = np.shape(np.choose(a, choices, mode=mode))
    return np.broadcast_to(np.choose(a, filled, mode=mode), shape)


def bincount_adjoint(g, x):
    """Adjoint of np.bincount(x, weights) in the weights: g at each weight's bin."""
    return np.asarray(g)[np.asarray(x, dtype=np.intp)]


def _insert_sources(arr, obj, values, axis):
    """Where each entry of np.insert(arr, obj, values, axis) comes from: k + 1 for arr's
    k-th entry (flat), -(k + 1) for values' k-th (broadcast as NumPy does)."""
    arr_ids = np.reshape(np.arange(1.0, np.size(arr) + 1.0), np.shape(arr))
    value_ids = -np.reshape(np.arange(1.0, np.size(values) + 1.0), np.shape(values))
    return np.insert(arr_ids, obj, value_ids, axis=axis)


def insert_adjoint(g, arr, obj, values, axis, wrt):
    """Adjoint of np.insert(arr, obj, values, axis) in arr or values: the sum of g over
    the entries that came from each of theirs."""
    sources = np.ravel(_insert_sources(arr, obj, values, axis))
    flat = np.ravel(g)
    if wrt == "arr":
        taken = sources > 0
        counts = np.bincount(np.asarray(sources[taken], dtype=np.intp) - 1, flat[taken],
                             np.size(arr))
        return np.reshape(counts, np.shape(arr)).astype(float_dtype(g, arr))
    taken = sources < 0
    counts = np.bincount(np.asarray(-sources[taken], dtype=np.intp) - 1, flat[taken],
                         np.size(values))
    return np.reshape(counts, np.shape(values)).astype(float_dtype(g, values))


def insert_tangent(g, arr, obj, values, axis, wrt):
    """Tangent of np.insert in arr or values: g in their places, zeros in the others'."""
    dtype = float_dtype(g)
    if wrt == "arr":
        return np.insert(g, obj, np.zeros(np.shape(values), dtype=dtype), axis=axis)
    return np.insert(np.zeros(np.shape(arr), dtype=dtype), obj, g, axis=axis)


# -- np.histogram, np.histogram_bin_edges -----------------------------------------------------
# With bins a number and no range, the edges run evenly from min(a) to max(a) (lo, hi): they
# move with those two entries (ties share evenly). The counts are piecewise constant in a;
# the weighted counts are linear in the weights; a density divides by the total and by the
# bins' widths, (hi - lo) / bins.

def _histogram_moving_edges(a, bins, range, wrt):
    """Whether the edges move with a (a number of bins, no range)."""
    if isinstance(bins, str) and wrt == "a":
        raise NoDerivativeRuleError(
            "np.histogram with bins chosen by an estimator (a string) is not differentiated "
            "in a", help="Pass the number of bins, or the edges.")
    return wrt == "a" and np.ndim(bins) == 0 and range is None


def _histogram_bins(a, edges):
    """The bin of each entry of ravel(a), as NumPy bins it ([e_j, e_j+1), the last bin
    closed), -1 outside the edges."""
    values = np.ravel(a)
    index = np.searchsorted(edges, values, side="right") - 1
    last = np.shape(edges)[0] - 2
    index = np.where(values == edges[-1], last, index)
    return np.where((values < edges[0]) | (values > edges[-1]), -1, index)


def _histogram_totals(a, weights, edges):
    """(bin of each entry, whether it is inside, the total count or weight inside)."""
    index = _histogram_bins(a, edges)
    inside = index >= 0
    mass = np.ones(np.shape(index)) if weights is None else np.ravel(weights)
    return index, inside, np.sum(np.where(inside, mass, 0.0))


def _extremes_weights(a):
    return extremum_weights(a, np.min(a), None, False), extremum_weights(a, np.max(a), None, False)


def histogram_adjoint(g, a, bins, range, density, weights, result, wrt):
    """Adjoint of np.histogram(a, bins, range, density=density, weights=weights) = (hist,
    edges) in a (through the edges) or in the weights."""
    refuse_complex("np.histogram", a, weights)
    hist, edges = result
    by_hist, by_edges = entry(g, 0), entry(g, 1)
    operand = a if wrt == "a" else weights
    if wrt == "a":
        if not _histogram_moving_edges(a, bins, range, wrt):
            return np.zeros(np.shape(a), dtype=float_dtype(a))
        fraction = np.linspace(0.0, 1.0, np.shape(edges)[0], dtype=float_dtype(a))
        to_lo, to_hi = 0.0, 0.0
        if by_edges is not None:
            to_lo = to_lo + np.sum(by_edges * (1.0 - fraction))
            to_hi = to_hi + np.sum(by_edges * fraction)
        if density and by_hist is not None:
            shrink = np.sum(by_hist * hist) / (edges[-1] - edges[0])
            to_lo, to_hi = to_lo + shrink, to_hi - shrink
        lowest, highest = _extremes_weights(a)
        return to_lo * lowest + to_hi * highest
    if by_hist is None:
        return np.zeros(np.shape(operand), dtype=float_dtype(operand))
    index, inside, total = _histogram_totals(a, weights, edges)
    place = np.where(inside, index, 0)
    if density:
        per_bin = by_hist / (total * np.diff(edges))
        spread = per_bin[place] - np.sum(by_hist * hist) / total
    else:
        spread = by_hist[place]
    return np.reshape(np.where(inside, spread, 0.0), np.shape(weights))


def histogram_tangent(g, a, bins, range, density, weights, result, wrt):
    """Tangent of np.histogram: (dhist, dedges)."""
    refuse_complex("np.histogram", a, weights)
    hist, edges = result
    dtype = float_dtype(g)
    if wrt == "a":
        if not _histogram_moving_edges(a, bins, range, wrt):
            return (np.zeros(np.shape(hist), dtype=dtype), np.zeros(np.shape(edges), dtype=dtype))
        lowest, highest = _extremes_weights(a)
        moved_lo, moved_hi = np.sum(g * lowest), np.sum(g * highest)
        fraction = np.linspace(0.0, 1.0, np.shape(edges)[0], dtype=dtype)
        moved_edges = moved_lo * (1.0 - fraction) + moved_hi * fraction
        moved_hist = -hist * (moved_hi - moved_lo) / (edges[-1] - edges[0]) if density else \
            np.zeros(np.shape(hist), dtype=dtype)
        return (moved_hist, moved_edges)
    index, inside, total = _histogram_totals(a, weights, edges)
    flat = np.where(inside, np.ravel(g), 0.0)
    counts = np.bincount(np.where(inside, index, 0), flat, np.shape(hist)[0])
    if density:
        counts = counts / (total * np.diff(edges)) - hist * np.sum(flat) / total
    return (counts, np.zeros(np.shape(edges), dtype=dtype))


def histogram_bin_edges_adjoint(g, a, bins, range, weights):
    """Adjoint of np.histogram_bin_edges in a (the edges of np.histogram)."""
    edges = np.histogram_bin_edges(a, bins, range, weights)
    return histogram_adjoint((None, g), a, bins, range, False, weights, (None, edges), "a")


def histogram_bin_edges_tangent(g, a, bins, range, weights):
    """Tangent of np.histogram_bin_edges in a."""
    edges = np.histogram_bin_edges(a, bins, range, weights)
    hist = np.zeros(np.shape(edges)[0] - 1)
    return histogram_tangent(g, a, bins, range, False, weights, (hist, edges), "a")[1]


# -- np.unique and the set functions ---------------------------------------------------------
# Each value of the result equals some entries of the inputs: its derivative is their mean's
# (a value repeated k times shares its derivative evenly, as ties of np.max do).

def check_unique_form(axis, sorted=True):
    if axis is not None or not sorted:
        raise NoDerivativeRuleError(
            "np.unique is differentiated for the sorted unique values of the flattened array "
            "(axis=None, sorted=True)", help="Call np.unique without axis= and sorted=.")


def check_assume_unique(assume_unique=False):
    if assume_unique:
        raise NoDerivativeRuleError(
            "NumPy's set functions are differentiated with assume_unique=False",
            help="Leave assume_unique at its default.")


def check_intersect_options(assume_unique=False, return_indices=False):
    check_assume_unique(assume_unique)
    if return_indices:
        raise NoDerivativeRuleError(
            "np.intersect1d is differentiated with return_indices=False",
            help="Find the indices separately (np.isin, np.flatnonzero).")


def _set_values(result):
    return result[0] if isinstance(result, tuple) else result


def _set_groups(arrays, values):
    """(for each entry of the flattened, joined arrays: the index of the result value it
    equals, whether it equals one; how many entries each value has)."""
    joined = np.concatenate([np.ravel(a) for a in arrays])
    size = np.shape(values)[0]
    index = np.minimum(np.searchsorted(values, joined), max(size - 1, 0))
    member = (size > 0) & (np.take(values, index, mode="clip") == joined) if size else \
        np.zeros(np.shape(joined), dtype=bool)
    counts = np.bincount(np.where(member, index, 0), np.where(member, 1.0, 0.0), size)
    return index, member, counts


def set_adjoint(g, arrays, result, wrt):
    """Adjoint of np.unique / union1d / intersect1d / setdiff1d / setxor1d in operand
    `wrt` (0 or 1) of `arrays`: each entry gets its value's derivative over its count."""
    values = _set_values(result)
    by_values = entry(g, 0) if isinstance(result, tuple) else g
    operand = arrays[wrt]
    if by_values is None:
        return np.zeros(np.shape(operand), dtype=float_dtype(operand))
    index, member, counts = _set_groups(arrays, values)
    share = np.where(member, np.take(by_values / np.maximum(counts, 1.0), index, mode="clip"),
                     0.0)
    start = sum(np.size(a) for a in arrays[:wrt])
    return np.reshape(share[start:start + np.size(operand)], np.shape(operand)).astype(
        float_dtype(by_values, operand))


def set_tangent(g, arrays, result, wrt):
    """Tangent of the same functions: each value moves by the mean of its entries' tangents."""
    values = _set_values(result)
    index, member, counts = _set_groups(arrays, values)
    moved = [np.zeros(np.size(a), dtype=float_dtype(g)) for a in arrays]
    moved[wrt] = np.ravel(g)
    joined = np.concatenate(moved)
    sums = np.bincount(np.where(member, index, 0), np.where(member, joined, 0.0),
                       np.shape(values)[0])
    tangent = (sums / np.maximum(counts, 1.0)).astype(float_dtype(g))
    if not isinstance(result, tuple):
        return tangent
    # (np.unique's indices, inverse and counts: integers, zero tangents; tuple displays,
    # whose lengths the compiler knows, for the derivatives of this helper)
    if len(result) == 2:
        return (tangent, _zero_part(result[1], g))
    if len(result) == 3:
        return (tangent, _zero_part(result[1], g), _zero_part(result[2], g))
    return (tangent, _zero_part(result[1], g), _zero_part(result[2], g), _zero_part(result[3], g))


def _zero_part(part, g):
    return np.zeros(np.shape(part), dtype=float_dtype(g))


# -- np.roots ----------------------------------------------------------------------------------
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
    return -convolve_adjoint(by_u, result[0], v, "full", "v")[:np.shape(v)[0]]


def polydiv_tangent(g, u, v, result, wrt):
    """Tangent of np.polydiv: the division of du - polymul(q, dv) by v."""
    _check_polynomial(u)
    _check_polynomial(v)
    refuse_complex("np.polydiv", u, v)
    shapes = (np.shape(result[0])[0], np.shape(result[1])[0])
    matrix = _polydiv_matrix(np.shape(u)[0], v, shapes, float_dtype(u, v))
    moved = g if wrt == "u" else -_leading_zeros(np.polymul(result[0], g), np.shape(u)[0])
    both = np.matmul(matrix, moved)
    return (both[:shapes[0]], both[shapes[0]:])


# -- scipy.linalg.expm, scipy.signal.convolve ----------------------------------------------------

def expm_frechet_block(a, e):
    """The Fréchet derivative of expm at a in direction e: the upper right block
    of expm([[a, e], [0, a]]) (also the adjoint, with a transposed)."""
    size = np.shape(a)[-1]
    top = np.concatenate([a, e], axis=-1)
    bottom = np.concatenate([np.zeros(np.shape(a), dtype=float_dtype(a, e)), a], axis=-1)
    whole = scipy_linalg.expm(np.concatenate([top, bottom], axis=-2))
    return whole[..., :size, size:]


def signal_convolve(in1, in2, mode):
    """scipy.signal.convolve(in1, in2, mode) (the tangent of either input)."""
    return scipy_signal.convolve(in1, in2, mode=mode)


def signal_convolve_adjoint(g, in1, in2, mode, wrt):
    """Adjoint of scipy.signal.convolve: g placed in the full output (the modes
    crop it centrally), correlated with the other input."""
    full = np.add(np.shape(in1), np.shape(in2)) - 1
    start = (full - np.shape(g)) // 2
    widths = []
    for k in range(len(full)):
        widths.append((int(start[k]), int(full[k] - start[k] - np.shape(g)[k])))
    whole = np.pad(g, widths)
    other = in2 if wrt == "in1" else in1
    return scipy_signal.convolve(whole, np.flip(other), mode="valid")


# -- scipy.integrate.odeint -------------------------------------------------------------------
# y' = f(y, t, *args), Y[k] = y(t[k]). Reverse mode: the adjoint method. From the last
# time back to the first, [y, a, args_bar] solve, backwards in time,
#     y' = f,   a' = -(df/dy)^T a,   args_bar' = -(df/dargs)^T a
# starting each interval from the recorded Y[k] and adding the seed's row G[k] to a;
# at t[0], a is y0's adjoint and args_bar the args'. Forward mode: the sensitivities
# s = dy along the tangents solve s' = (df/dy) s + (df/dargs) dargs, s(t[0]) = dy0,
# beside y. Both are solved by odeint itself, at the caller's tolerances; the vjp
# and jvp of f are adcompiler's own, compiled at first use.

_compile_user_derivative = None


def use_user_derivatives(compile_derivative):
    """Hand in how to compile a derivative of a user's function: `compile_derivative(
    kind, function, wrt)` with kind 'vjp' or 'jvp', as adcompiler.vjp / jvp.
    adcompiler.api calls this when it loads (runtime imports nothing of it)."""
    global _compile_user_derivative
    _compile_user_derivative = compile_derivative


def _differentiated_args(args):
    """Positions of the args odeint passes on to f that carry derivatives."""
    return [i for i, value in enumerate(args)
            if np.issubdtype(np.asarray(value).dtype, np.floating)]


def _ode_options(rtol, atol, hmax, mxstep):
    return {"rtol": rtol, "atol": atol, "hmax": hmax, "mxstep": mxstep}


def _in_order(function, tfirst):
    """f as f(y, t, *args), whichever order odeint calls it in."""
    if tfirst:
        return lambda y, t, *args: function(t, y, *args)
    return function


def _user_derivative(kind, function, tfirst, positions):
    """adcompiler's vjp or jvp of f with respect to y and the args at `positions`."""
    if _compile_user_derivative is None:  # pragma: no cover - set when adcompiler.api loads
        raise NoDerivativeRuleError("scipy.integrate.odeint's derivative needs adcompiler "
                                    "imported", help="Import adcompiler.")
    y_position = 1 if tfirst else 0
    wrt = (y_position,) + tuple(2 + p for p in positions)
    return _compile_user_derivative(kind, function, wrt)


def _arguments(y, t, args, tfirst):
    return (t, y, *args) if tfirst else (y, t, *args)


# The last adjoint solved: what it was solved for, and (y0_bar, args_bar, t_bar).
# The rule asks once for y0 and once for args; one backward solve gives both.
# One (key, options, solution) triple per thread, read and replaced whole.
_last_adjoint = threading.local()


def odeint_adjoint(seed, func, y0, t, args, path, wrt, rtol=None, atol=None, hmax=0.0,
                   mxstep=0, tfirst=False):
    """The adjoint of odeint(func, y0, t, args) with respect to y0 (wrt='y0'), the
    tuple args (wrt='args': a tuple, None for args carrying no derivative) or the
    times (wrt='t'), for a seed shaped like its result `path` (len(t), len(y0)), by
    the adjoint method. Y[k] moves with t[k] along f, and t[0] moves the start:

        t_bar[k] = G[k] . f(Y[k], t[k])  (k >= 1)     t_bar[0] = -(y0_bar - G[0]) . f(y0, t[0])
    """
    from scipy.integrate import odeint
    args = tuple(args) if isinstance(args, (tuple, list)) else (args,)
    options = _ode_options(rtol, atol, hmax, mxstep)
    # the same objects (generated code never changes an array in place)
    key = (seed, func, y0, t, path, *args)
    last = getattr(_last_adjoint, "entry", None)
    if last is not None and len(last[0]) == len(key) and last[1] == options \
            and all(a is b for a, b in zip(last[0], key)):
        solved = last[2]
    else:
        solved = _solve_adjoint(odeint, seed, func, y0, t, args, path, options, tfirst)
        _last_adjoint.entry = (key, options, solved)
    return solved[("y0", "args", "t").index(wrt)]


def _solve_adjoint(odeint, g, func, y0, t, args, result, options, tfirst):
    positions = _differentiated_args(args)
    vjp = _user_derivative("vjp", func, tfirst, positions)
    f = _in_order(func, tfirst)
    times = np.asarray(t, dtype=float)
    path = np.asarray(result, dtype=float)
    seed = np.broadcast_to(np.asarray(g, dtype=float), path.shape)
    n = path.shape[1]
    shapes = [np.shape(args[p]) for p in positions]
    sizes = [int(np.prod(s)) for s in shapes]

    def augmented(state, time):
        y, a = state[:n], state[n:2 * n]
        grads = vjp(_arguments(y, time, args, tfirst), a)
        grads = grads if isinstance(grads, tuple) else (grads,)
        pieces = [np.ravel(f(y, time, *args)), -np.ravel(grads[0])]
        pieces += [-np.ravel(grad) for grad in grads[1:]]
        return np.concatenate(pieces)

    adjoint = seed[-1].copy()
    args_bar = np.zeros(sum(sizes))
    for k in range(len(times) - 1, 0, -1):
        state = np.concatenate([path[k], adjoint, args_bar])
        solved = odeint(augmented, state, times[[k, k - 1]], **options)[-1]
        adjoint = solved[n:2 * n] + seed[k - 1]
        args_bar = solved[2 * n:]
    y0_bar = adjoint.reshape(np.shape(y0))
    pieces = np.split(args_bar, np.cumsum(sizes)[:-1]) if sizes else []
    by_position = {p: piece.reshape(shape) if shape else float(piece[0])
                   for p, piece, shape in zip(positions, pieces, shapes)}
    slopes = [np.ravel(f(path[k], times[k], *args)) for k in range(len(times))]
    t_bar = np.array([np.dot(seed[k], slopes[k]) for k in range(len(times))])
    t_bar[0] = -np.dot(adjoint - seed[0], slopes[0])
    return y0_bar, tuple(by_position.get(i) for i in range(len(args))), \
        t_bar.reshape(np.shape(t))


def odeint_tangent(seed, func, y0, t, args, path, wrt, rtol=None, atol=None, hmax=0.0,
                   mxstep=0, tfirst=False):
    """The tangent of odeint(func, y0, t, args), shaped like its result `path`,
    along a tangent `seed` of y0 (wrt='y0'), of the tuple args (wrt='args') or of
    the times (wrt='t'), from the forward sensitivities solved beside y."""
    from scipy.integrate import odeint
    args = tuple(args) if isinstance(args, (tuple, list)) else (args,)
    g = seed
    path = np.asarray(path, dtype=float)
    n = path.shape[1]
    times = np.asarray(t, dtype=float)
    if wrt == "t":
        # Y[k] moves along f with t[k]; moving t[0] starts the same y0 later.
        f = _in_order(func, tfirst)
        dt = np.ravel(np.asarray(g, dtype=float))
        slopes = np.array([np.ravel(f(path[k], times[k], *args)) for k in range(len(times))])
        start = -slopes[0] * dt[0]
        moved = odeint_tangent(start, func, y0, t, args, path, "y0", rtol, atol, hmax, mxstep,
                               tfirst) if dt[0] != 0 else 0.0
        return (slopes * dt[:, None] + moved).reshape(path.shape)
    if wrt == "y0":
        positions, arg_tangents, start = [], (), np.ravel(np.asarray(g, dtype=float))
    else:
        g = tuple(g) if isinstance(g, (tuple, list)) else (g,)
        positions = [p for p in _differentiated_args(args) if g[p] is not None]
        arg_tangents = tuple(g[p] for p in positions)
        start = np.zeros(n)
    jvp = _user_derivative("jvp", func, tfirst, positions)

    def augmented(state, time):
        value, tangent = jvp(_arguments(state[:n], time, args, tfirst),
                             (state[n:], *arg_tangents))
        return np.concatenate([np.ravel(value), np.ravel(tangent)])

    solved = odeint(augmented, np.concatenate([path[0], start]), times,
                    **_ode_options(rtol, atol, hmax, mxstep))
    return solved[:, n:].reshape(path.shape)


TEMPLATE_HELPERS = {
    "odeint_adjoint": odeint_adjoint, "odeint_tangent": odeint_tangent,
    "gammaln": gammaln, "betaln": betaln, "bessel": bessel,
    "gammainc_derivative_a": gammainc_derivative_a, "betainc_derivative": betainc_derivative,
    "multigammaln_derivative": multigammaln_derivative,
    "lstsq_adjoint": lstsq_adjoint, "lstsq_tangent": lstsq_tangent,
    "eig_adjoint": eig_adjoint, "eig_tangent": eig_tangent,
    "eigvals_adjoint": eigvals_adjoint, "eigvals_tangent": eigvals_tangent,
    "gradient_adjoint": gradient_adjoint, "gradient_tangent": gradient_tangent,
    "select_adjoint": select_adjoint, "select_default_tangent": select_default_tangent,
    "select_adjoint_transpose": select_adjoint_transpose,
    "partition_adjoint": partition_adjoint, "partition_tangent": partition_tangent,
    "rollaxis_adjoint": rollaxis_adjoint, "interp_slope": interp_slope,
    "interp_fp_adjoint": interp_fp_adjoint, "interp_fp_tangent": interp_fp_tangent,
    "interp_bound_adjoint": interp_bound_adjoint, "interp_bound_tangent": interp_bound_tangent,
    "polyval_slope": polyval_slope, "polyval_adjoint_p": polyval_adjoint_p,
    "trapezoid_adjoint_y": trapezoid_adjoint_y, "trapezoid_adjoint_x": trapezoid_adjoint_x,
    "trapezoid_tangent_x": trapezoid_tangent_x, "expm_frechet_block": expm_frechet_block,
    "signal_convolve": signal_convolve, "signal_convolve_adjoint": signal_convolve_adjoint,
    "cov_adjoint": cov_adjoint, "cov_tangent": cov_tangent,
    "corrcoef_adjoint": corrcoef_adjoint, "corrcoef_tangent": corrcoef_tangent,
    "bessel_i1": bessel_i1, "bessel_i1_slope": bessel_i1_slope,
    "ediff1d_adjoint": ediff1d_adjoint, "ediff1d_tangent": ediff1d_tangent,
    "unwrap_period_slope": unwrap_period_slope, "vander_slope": vander_slope,
    "cond_adjoint": cond_adjoint, "cond_tangent": cond_tangent,
    "cumulative_sum_adjoint": cumulative_sum_adjoint,
    "cumulative_prod_adjoint": cumulative_prod_adjoint,
    "cumulative_prod_tangent": cumulative_prod_tangent,
    "matvec_adjoint": matvec_adjoint,
    "vecmat_adjoint": vecmat_adjoint,
    "selection_adjoint": selection_adjoint,
    "delete_kept": delete_kept,
    "compress_kept": compress_kept,
    "resize_adjoint": resize_adjoint,
    "trim_zeros_adjoint": trim_zeros_adjoint,
    "trim_zeros_tangent": trim_zeros_tangent,
    "polyadd_adjoint": polyadd_adjoint,
    "polyadd_tangent": polyadd_tangent,
    "polynomial_map_adjoint": polynomial_map_adjoint,
    "poly_adjoint": poly_adjoint,
    "poly_tangent": poly_tangent,
    "logspace_slope": logspace_slope,
    "geomspace_slope": geomspace_slope,
    "space_adjoint": space_adjoint,
    "space_tangent": space_tangent,
    "modf_adjoint": modf_adjoint,
    "modf_tangent": modf_tangent,
    "frexp_adjoint": frexp_adjoint,
    "frexp_tangent": frexp_tangent,
    "divmod_adjoint": divmod_adjoint,
    "divmod_tangent": divmod_tangent,
    "tensorinv_adjoint": tensorinv_adjoint,
    "tensorinv_tangent": tensorinv_tangent,
    "tensorsolve_adjoint": tensorsolve_adjoint,
    "tensorsolve_tangent": tensorsolve_tangent,
    "block_adjoint": block_adjoint,
    "block_from_pieces": block_from_pieces,
    "choose_adjoint": choose_adjoint,
    "choose_from_pieces": choose_from_pieces,
    "bincount_adjoint": bincount_adjoint,
    "insert_adjoint": insert_adjoint, "insert_tangent": insert_tangent,
    "set_adjoint": set_adjoint, "set_tangent": set_tangent,
    "roots_adjoint": roots_adjoint, "roots_tangent": roots_tangent,
    "sort_complex_adjoint": sort_complex_adjoint, "sort_complex_tangent": sort_complex_tangent,
    "histogram_adjoint": histogram_adjoint, "histogram_tangent": histogram_tangent,
    "histogram_bin_edges_adjoint": histogram_bin_edges_adjoint,
    "histogram_bin_edges_tangent": histogram_bin_edges_tangent,
    "polyfit_adjoint": polyfit_adjoint,
    "polyfit_tangent": polyfit_tangent,
    "polydiv_adjoint": polydiv_adjoint,
    "polydiv_tangent": polydiv_tangent,
}
