"""Runtime helpers for the scipy.stats rules (rules/scipy_stats_rules.py).

A location-scale distribution has density f(z) / scale at z = (x - loc) /
scale, so every derivative of pdf, logpdf, cdf, logcdf, sf, logsf and ppf in
x, loc and scale follows from two things: the log-density itself
(`stats_logpdf`) and its score d log f / dz (`stats_score`). The shape
parameters (t's df, gamma's a, beta's a and b) enter pdf and logpdf through
`stats_logpdf_shape`, and the cdf-like methods and ppf through
`stats_cdf_shape` (the incomplete gamma and beta functions' shape derivatives,
runtime/special_series.py).

The helpers are plain NumPy and SciPy calls with rules of their own, so
adcompiler differentiates them from their source for second derivatives.
SciPy is optional: this module imports without it, and imports it when a
helper first runs (the rules do not exist without it).
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import NoDerivativeRuleError
from .complex_numbers import refuse_complex
from .arrays import sum_to_shape
from .core import divide
from .special_series import betainc_derivative, gammainc_derivative_a

from .optional import OptionalModule

# Imported when first used: SciPy is optional (no rule refers to these helpers
# without it), and slow to import.
special = OptionalModule("scipy.special")
stats = OptionalModule("scipy.stats")


def no_derivative(g, function, parameter):
    """Refuse a derivative that has no exact formula here (the cdf of a t
    distribution in its degrees of freedom, say), rather than give zero."""
    raise NoDerivativeRuleError(
        f"{function} is not differentiated in its parameter {parameter!r}",
        help=f"Pass {parameter} as a value that does not depend on the differentiated "
        "arguments, or write the function out yourself.")


def stats_logpdf(name, x, shape_a, shape_b, loc, scale):
    """scipy.stats.<name>.logpdf(x, shapes..., loc, scale)."""
    refuse_complex('a scipy.stats distribution', x, shape_a, shape_b, loc, scale)
    if name == "norm":
        return stats.norm.logpdf(x, loc, scale)
    if name == "t":
        return stats.t.logpdf(x, shape_a, loc, scale)
    if name == "gamma":
        return stats.gamma.logpdf(x, shape_a, loc, scale)
    if name == "beta":
        return stats.beta.logpdf(x, shape_a, shape_b, loc, scale)
    if name == "expon":
        return stats.expon.logpdf(x, loc, scale)
    if name == "laplace":
        return stats.laplace.logpdf(x, loc, scale)
    if name == "logistic":
        return stats.logistic.logpdf(x, loc, scale)
    if name == "lognorm":
        return stats.lognorm.logpdf(x, shape_a, loc, scale)
    if name == "chi2":
        return stats.chi2.logpdf(x, shape_a, loc, scale)
    if name == "halfnorm":
        return stats.halfnorm.logpdf(x, loc, scale)
    if name == "uniform":
        return stats.uniform.logpdf(x, loc, scale)
    return stats.cauchy.logpdf(x, loc, scale)


def _inside(condition, value):
    """`value` where `condition` holds, 0 elsewhere (outside a support)."""
    return np.where(condition, value, 0.0)


def stats_score(name, z, shape_a, shape_b):
    """d log f(z) / dz for the standardised density f of scipy.stats.<name>
    (0 outside the support, where the density is constantly 0)."""
    refuse_complex('a scipy.stats distribution', z, shape_a, shape_b)
    if name == "norm":
        return -z
    if name == "t":
        return divide(-(shape_a + 1.0) * z, shape_a + z * z)
    if name == "gamma":
        positive = np.where(z > 0.0, z, 1.0)
        return _inside(z > 0.0, (shape_a - 1.0) / positive - 1.0)
    if name == "beta":
        supported = np.logical_and(z > 0.0, z < 1.0)
        inner = np.where(supported, z, 0.5)
        return _inside(supported,
                       (shape_a - 1.0) / inner - (shape_b - 1.0) / (1.0 - inner))
    if name == "expon":
        return _inside(z >= 0.0, -np.ones_like(z))
    if name == "laplace":
        return -np.sign(z)
    if name == "logistic":
        return -np.tanh(0.5 * z)
    if name == "lognorm":
        positive = np.where(z > 0.0, z, 1.0)
        return _inside(z > 0.0, -(1.0 + divide(np.log(positive), shape_a * shape_a)) / positive)
    if name == "chi2":
        positive = np.where(z > 0.0, z, 1.0)
        return _inside(z > 0.0, (0.5 * shape_a - 1.0) / positive - 0.5)
    if name == "halfnorm":
        return _inside(z >= 0.0, -z)
    if name == "uniform":
        return np.zeros_like(z)
    return -2.0 * z / (1.0 + z * z)


def stats_logpdf_shape(name, which, x, shape_a, shape_b, loc, scale):
    """d logpdf / d (shape parameter `which`, 'a' or 'b') of scipy.stats.<name>."""
    refuse_complex('a scipy.stats distribution', x, shape_a, shape_b, loc, scale)
    z = (x - loc) / scale
    if name == "t":
        nu = shape_a
        # divide: at nu == 0 (a Python float) NumPy's inf/nan, not ZeroDivisionError.
        return (0.5 * special.digamma(0.5 * (nu + 1.0)) - 0.5 * special.digamma(0.5 * nu)
                - divide(0.5, nu) - 0.5 * np.log1p(divide(z * z, nu))
                + divide(0.5 * (nu + 1.0) * z * z, nu * (nu + z * z)))
    if name == "gamma":
        positive = np.where(z > 0.0, z, 1.0)
        return _inside(z > 0.0, np.log(positive) - special.digamma(shape_a))
    if name == "chi2":
        positive = np.where(z > 0.0, z, 1.0)
        return _inside(z > 0.0, 0.5 * (np.log(0.5 * positive) - special.digamma(0.5 * shape_a)))
    if name == "lognorm":
        positive = np.where(z > 0.0, z, 1.0)
        logarithm = np.log(positive)
        return _inside(z > 0.0, divide(logarithm * logarithm, shape_a * shape_a * shape_a)
                       - divide(1.0, shape_a))
    supported = np.logical_and(z > 0.0, z < 1.0)
    inner = np.where(supported, z, 0.5)
    both = special.digamma(shape_a + shape_b)
    if which == "a":
        return _inside(supported, np.log(inner) - special.digamma(shape_a) + both)
    return _inside(supported, np.log1p(-inner) - special.digamma(shape_b) + both)


def stats_cdf_shape(name, which, x, shape_a, shape_b, loc, scale):
    """d cdf / d (shape parameter `which`, 'a' or 'b') of scipy.stats.<name>, for
    gamma (gammainc(a, z)), chi2 (gammainc(df/2, z/2)), beta (betainc(a, b, z)),
    t (through betainc(df/2, 1/2, df / (df + z^2))) and lognorm (ndtr(log(z) / s));
    0 outside the support, where the cdf is 0 or 1."""
    refuse_complex('a scipy.stats distribution', x, shape_a, shape_b, loc, scale)
    z = (x - loc) / scale
    if name == "gamma":
        return gammainc_derivative_a(shape_a, np.maximum(z, 0.0), False)
    if name == "chi2":
        return 0.5 * gammainc_derivative_a(0.5 * shape_a, np.maximum(0.5 * z, 0.0), False)
    if name == "beta":
        return betainc_derivative(shape_a, shape_b, np.clip(z, 0.0, 1.0), which)
    if name == "lognorm":
        positive = np.where(z > 0.0, z, 1.0)
        u = divide(np.log(positive), shape_a)
        return _inside(z > 0.0, divide(-np.exp(-0.5 * u * u) * u,
                                       shape_a * math.sqrt(2.0 * math.pi)))
    if name == "t":
        # F = 1/2 I_w(df/2, 1/2) for z < 0 and 1 - that for z > 0, w = df / (df + z^2):
        # d F / d df = -sign(z) / 2 (I_a / 2 + I_x dw/ddf), 0 at z = 0 (F = 1/2 for every df)
        nu = shape_a
        squared = np.where(z != 0.0, z * z, 1.0)
        w = divide(nu, nu + squared)
        by_shape = 0.5 * betainc_derivative(0.5 * nu, 0.5, w, "a")
        by_point = np.exp((0.5 * nu - 1.0) * np.log(w) - 0.5 * np.log1p(-w)
                          - special.betaln(0.5 * nu, 0.5)) * squared / (nu + squared) ** 2
        return _inside(z != 0.0, -0.5 * np.sign(z) * (by_shape + by_point))
    raise NoDerivativeRuleError(f"the cdf of scipy.stats.{name} is not differentiated in its "
                                "shape parameters")


def stats_poisson_pmf(k, mu):
    """scipy.stats.poisson.pmf(k, mu): the mu-derivative of the poisson cdf, negated."""
    refuse_complex('a scipy.stats distribution', k, mu)
    return stats.poisson.pmf(k, mu)


# -- multivariate normal ---------------------------------------------------------------

def _mvn_dimension(x, mean, cov):
    if mean is not None and np.ndim(mean) > 0:
        return np.shape(mean)[-1]
    if np.ndim(cov) == 2:
        return np.shape(cov)[0]
    return np.shape(x)[-1]


def _mvn_terms(x, mean, cov):
    """(r, s, c⁻¹) with r = x - mean as rows, s = c⁻¹ r and c the covariance matrix."""
    refuse_complex('a scipy.stats distribution', x, mean, cov)
    dimension = _mvn_dimension(x, mean, cov)
    if np.ndim(x) == 0 or np.shape(x)[-1] != dimension or np.ndim(cov) > 2:
        raise NoDerivativeRuleError(
            "scipy.stats.multivariate_normal is differentiated for x with the dimension "
            f"{dimension} as its last axis and a covariance matrix, vector or number",
            help="Give x the shape (..., d) (for d = 1 too) and cov the shape (d, d).")
    if np.ndim(cov) == 2:
        # Differentiated as a function of the symmetric part (the gradient is
        # symmetric, as torch's; SciPy itself reads one triangle), so that the
        # gradient's own derivative is exact in every direction.
        matrix = 0.5 * (cov + np.transpose(cov))
    else:
        matrix = np.eye(dimension) * cov
    r = x if mean is None else x - mean
    inverse = np.linalg.inv(matrix)
    s = np.matmul(r, inverse)
    return r, s, inverse


def _covariance_like(matrix_gradient, cov):
    """A gradient with respect to the covariance matrix, for cov as given."""
    if np.ndim(cov) == 2:
        return matrix_gradient
    if np.ndim(cov) == 1:
        return np.diagonal(matrix_gradient)
    return np.trace(matrix_gradient)


def mvn_logpdf_adjoint(g, x, mean, cov, wrt):
    """Adjoint of scipy.stats.multivariate_normal.logpdf(x, mean, cov) in `wrt`:
    -g c⁻¹ r (x), its sum over points (mean), ½ Σ g (s sᵀ - c⁻¹) (cov)."""
    r, s, inverse = _mvn_terms(x, mean, cov)
    weights = np.reshape(g, np.shape(r)[:-1])
    if wrt == "x":
        return -weights[..., None] * s
    if wrt == "mean":
        return sum_to_shape(weights[..., None] * s, np.shape(mean))
    rows = np.reshape(s, (-1, np.shape(s)[-1]))
    flat = np.reshape(weights, (-1,))
    matrix = 0.5 * (np.matmul(rows.T * flat, rows) - np.sum(flat) * inverse)
    return _covariance_like(matrix, cov)


def mvn_logpdf_tangent(g, x, mean, cov, result, wrt):
    """Tangent of scipy.stats.multivariate_normal.logpdf in `wrt` (result's shape)."""
    r, s, inverse = _mvn_terms(x, mean, cov)
    if wrt == "x":
        value = -np.sum(s * g, axis=-1)
    elif wrt == "mean":
        value = np.sum(s * g, axis=-1)
    else:
        dimension = np.shape(inverse)[0]
        if np.ndim(g) == 2:
            change = g
        elif np.ndim(g) == 1:
            change = np.diag(g)
        else:
            change = np.eye(dimension) * g
        value = 0.5 * np.sum(np.matmul(s, change) * s, axis=-1) - \
            0.5 * np.sum(inverse * change.T)
    return np.reshape(value, np.shape(result))


# -- multivariate_normal.cdf ------------------------------------------------------------
# F(x) = P(X <= x) for X ~ N(mean, c). Moving x_i moves the face X_i = x_i of the
# orthant, so dF/dx_i = φ(x_i; mean_i, c_ii) F_i, with F_i the cdf at x_{-i} of
# the other coordinates given X_i = x_i: mean m_{-i} + c_{-i,i} (x_i - m_i) / c_ii,
# covariance c_{-i,-i} - c_{-i,i} c_{i,-i} / c_ii. dF/dmean = -dF/dx. F_i is a
# normal cdf for d = 2 (exact) and SciPy's integration for d > 2, as accurate as
# SciPy's cdf itself (abseps, releps).

def _mvn_cdf_gradient(x, mean, cov, allow_singular, maxpts, abseps, releps, lower_limit):
    """dF/dx of scipy.stats.multivariate_normal.cdf, shaped like x (..., d)."""
    refuse_complex("scipy.stats.multivariate_normal.cdf", x, mean, cov)
    if lower_limit is not None:
        raise NoDerivativeRuleError(
            "scipy.stats.multivariate_normal.cdf is not differentiated with a lower_limit",
            help="Differentiate the cdf from -inf (lower_limit=None), and combine cdfs for "
            "a box (in two dimensions, F(b) - F(a1, b2) - F(b1, a2) + F(a)).")
    dimension = _mvn_dimension(x, mean, cov)
    if np.ndim(x) == 0 or np.shape(x)[-1] != dimension or np.ndim(cov) > 2:
        raise NoDerivativeRuleError(
            "scipy.stats.multivariate_normal.cdf is differentiated for x with the dimension "
            f"{dimension} as its last axis and a covariance matrix, vector or number",
            help="Give x the shape (..., d) (for d = 1 too) and cov the shape (d, d).")
    matrix = 0.5 * (cov + np.transpose(cov)) if np.ndim(cov) == 2 else \
        np.eye(dimension) * cov
    center = np.zeros(dimension) if mean is None else \
        np.broadcast_to(np.asarray(mean, dtype=float), (dimension,))
    points = np.reshape(np.asarray(x, dtype=float), (-1, dimension))
    gradient = np.empty(np.shape(points))
    for n, point in enumerate(points):
        for i in range(dimension):
            variance = matrix[i, i]
            density = math.exp(-0.5 * (point[i] - center[i]) ** 2 / variance) / \
                math.sqrt(2.0 * math.pi * variance)
            others = np.arange(dimension) != i
            if not others.any():
                gradient[n, i] = density
                continue
            coupling = matrix[others, i] / variance
            given_mean = center[others] + coupling * (point[i] - center[i])
            given_cov = matrix[np.ix_(others, others)] - np.outer(coupling, matrix[i, others])
            if dimension == 2:
                rest = stats.norm.cdf(point[others][0], given_mean[0],
                                      math.sqrt(given_cov[0, 0]))
            else:
                rest = stats.multivariate_normal.cdf(
                    point[others], given_mean, given_cov, allow_singular=allow_singular,
                    maxpts=maxpts, abseps=abseps, releps=releps)
            gradient[n, i] = density * rest
    return np.reshape(gradient, np.shape(x))


# In cov (Plackett): dF/dc = ½ d²F/dx dxᵀ, the symmetric gradient, with
#     d²F/dx_i dx_j = φ₂(x_i, x_j) F_ij    (i ≠ j; F_ij the cdf of the others given both)
#     d²F/dx_i² = -(x_i - m_i) / c_ii dF/dx_i - Σ_j≠i c_ij / c_ii d²F/dx_i dx_j

def _mvn_cdf_curvature(x, mean, cov, allow_singular, maxpts, abseps, releps, lower_limit):
    """d²F/dx dxᵀ of scipy.stats.multivariate_normal.cdf, shaped (..., d, d)."""
    gradient = _mvn_cdf_gradient(x, mean, cov, allow_singular, maxpts, abseps, releps,
                                 lower_limit)
    dimension = np.shape(gradient)[-1]
    matrix = 0.5 * (cov + np.transpose(cov)) if np.ndim(cov) == 2 else \
        np.eye(dimension) * cov
    center = np.zeros(dimension) if mean is None else \
        np.broadcast_to(np.asarray(mean, dtype=float), (dimension,))
    points = np.reshape(np.asarray(x, dtype=float), (-1, dimension))
    slopes = np.reshape(gradient, (-1, dimension))
    curvature = np.zeros((len(points), dimension, dimension))
    for n, point in enumerate(points):
        for i in range(dimension):
            for j in range(i + 1, dimension):
                pair = [i, j]
                block = matrix[np.ix_(pair, pair)]
                offset = point[pair] - center[pair]
                density = math.exp(-0.5 * offset @ np.linalg.solve(block, offset)) / (
                    2.0 * math.pi * math.sqrt(np.linalg.det(block)))
                others = np.ones(dimension, dtype=bool)
                others[pair] = False
                rest = 1.0
                if others.any():
                    coupling = np.linalg.solve(block, matrix[np.ix_(pair, others)]).T
                    given_mean = center[others] + coupling @ offset
                    given_cov = matrix[np.ix_(others, others)] - coupling @ matrix[
                        np.ix_(pair, others)]
                    if others.sum() == 1:
                        rest = stats.norm.cdf(point[others][0], given_mean[0],
                                              math.sqrt(given_cov[0, 0]))
                    else:
                        rest = stats.multivariate_normal.cdf(
                            point[others], given_mean, given_cov, allow_singular=allow_singular,
                            maxpts=maxpts, abseps=abseps, releps=releps)
                curvature[n, i, j] = density * rest
                curvature[n, j, i] = density * rest
        for i in range(dimension):
            cross = sum(matrix[i, j] * curvature[n, i, j] for j in range(dimension) if j != i)
            curvature[n, i, i] = -((point[i] - center[i]) * slopes[n, i] + cross) / matrix[i, i]
    return np.reshape(curvature, np.shape(gradient) + (dimension,))


def mvn_cdf_adjoint(g, x, mean, cov, allow_singular, maxpts, abseps, releps, lower_limit,
                    wrt):
    """Adjoint of scipy.stats.multivariate_normal.cdf in x, mean or cov: g dF/dx,
    its negated sum over the points, and ½ Σ g d²F/dx dxᵀ (for cov as given)."""
    options = (allow_singular, maxpts, abseps, releps, lower_limit)
    if wrt == "cov":
        curvature = _mvn_cdf_curvature(x, mean, cov, *options)
        weights = np.reshape(g, np.shape(curvature)[:-2])
        matrix = 0.5 * np.sum(np.reshape(weights[..., None, None] * curvature,
                                         (-1,) + np.shape(curvature)[-2:]), axis=0)
        return _covariance_like(matrix, cov)
    gradient = _mvn_cdf_gradient(x, mean, cov, *options)
    weighted = np.reshape(g, np.shape(gradient)[:-1])[..., None] * gradient
    return weighted if wrt == "x" else sum_to_shape(-weighted, np.shape(mean))


def mvn_cdf_tangent(g, x, mean, cov, allow_singular, maxpts, abseps, releps, lower_limit,
                    result, wrt):
    """Tangent of scipy.stats.multivariate_normal.cdf along g in x, mean or cov."""
    options = (allow_singular, maxpts, abseps, releps, lower_limit)
    if wrt == "cov":
        curvature = _mvn_cdf_curvature(x, mean, cov, *options)
        dimension = np.shape(curvature)[-1]
        change = g if np.ndim(g) == 2 else np.diag(g) if np.ndim(g) == 1 else \
            np.eye(dimension) * g
        value = 0.5 * np.sum(curvature * change, axis=(-2, -1))
        return np.reshape(value, np.shape(result))
    gradient = _mvn_cdf_gradient(x, mean, cov, *options)
    value = np.sum(gradient * g, axis=-1)
    return np.reshape(value if wrt == "x" else -value, np.shape(result))


# -- Dirichlet ------------------------------------------------------------------------

def _dirichlet_check(x, alpha):
    refuse_complex("scipy.stats.dirichlet", x, alpha)
    if np.ndim(alpha) != 1 or np.ndim(x) == 0 or np.shape(x)[0] != np.shape(alpha)[0]:
        raise NoDerivativeRuleError(
            "scipy.stats.dirichlet is differentiated for x with all K components along "
            "its first axis (shape (K,) or (K, N)) and alpha of shape (K,)",
            help="Pass every component of x, the last one included.")


def _along_points(value, x):
    """A (K,) vector shaped to broadcast against x of shape (K,) or (K, N)."""
    return value if np.ndim(x) == 1 else value[:, None]


def dirichlet_logpdf_adjoint(g, x, alpha, wrt):
    """Adjoint of scipy.stats.dirichlet.logpdf(x, alpha): g (α - 1) / x (x);
    Σ g (ψ(Σα) - ψ(α) + log x) over points (alpha)."""
    _dirichlet_check(x, alpha)
    if wrt == "x":
        return g * _along_points(alpha - 1.0, x) / x
    score = _along_points(special.digamma(np.sum(alpha)) - special.digamma(alpha), x) + \
        np.log(x)
    total = g * score
    return total if np.ndim(x) == 1 else np.sum(total, axis=1)


def dirichlet_logpdf_tangent(g, x, alpha, wrt):
    """Tangent of scipy.stats.dirichlet.logpdf in x or alpha."""
    _dirichlet_check(x, alpha)
    if wrt == "x":
        return np.sum(_along_points(alpha - 1.0, x) * g / x, axis=0)
    score = _along_points(special.digamma(np.sum(alpha)) - special.digamma(alpha), x) + \
        np.log(x)
    return np.sum(score * _along_points(g, x), axis=0)


TEMPLATE_HELPERS = {
    "no_derivative": no_derivative, "stats_logpdf": stats_logpdf, "stats_score": stats_score,
    "stats_logpdf_shape": stats_logpdf_shape, "stats_cdf_shape": stats_cdf_shape,
    "stats_poisson_pmf": stats_poisson_pmf, "mvn_logpdf_adjoint": mvn_logpdf_adjoint,
    "mvn_logpdf_tangent": mvn_logpdf_tangent, "mvn_cdf_adjoint": mvn_cdf_adjoint,
    "mvn_cdf_tangent": mvn_cdf_tangent,
    "dirichlet_logpdf_adjoint": dirichlet_logpdf_adjoint,
    "dirichlet_logpdf_tangent": dirichlet_logpdf_tangent,
}
