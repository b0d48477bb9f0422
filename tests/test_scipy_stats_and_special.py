"""scipy.stats and scipy.special derivatives that torch has no twin for, in both
modes, against central finite differences; and the derivatives that are
refused rather than given as zero.

The rest of the scipy.stats, scipy.special and new NumPy rules are rows of
tests/coverage_specs.py, checked against torch by tests/test_numpy_coverage.py.
SPECS below names each rule's function, so that test counts these rules as
covered.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
import torch

import adcompiler as ad
from adcompiler.passes import activity
from adcompiler.runtime.odeint import odeint_adjoint, odeint_tangent
from adcompiler.runtime.special_series import betainc_derivative, gammainc_derivative_a
from oracles import assert_close, finite_difference_gradient

pytest.importorskip("scipy")
import scipy.integrate  # noqa: E402
import scipy.linalg  # noqa: E402
import scipy.signal  # noqa: E402
from scipy import special, stats  # noqa: E402


@dataclass
class FdSpec:
    """A program through one primitive, and the inputs to differentiate it at."""

    id: str
    primitive: object
    program: object
    inputs: tuple


# -- the programs (adcompiler reads their source) -----------------------------------

def t_cdf(x, loc, scale):
    return stats.t.cdf(x, 2.7, loc, scale)


def t_logcdf(x, loc, scale):
    return stats.t.logcdf(x, 2.7, loc=loc, scale=scale)


def t_sf(x, loc, scale):
    return stats.t.sf(x, 2.7, loc, scale)


def t_logsf(x, loc, scale):
    return stats.t.logsf(x, 2.7, loc, scale)


def t_ppf(q, loc, scale):
    return stats.t.ppf(q, 2.7, loc, scale)


def beta_cdf(x, loc, scale):
    return stats.beta.cdf(x, 1.6, 2.4, loc, scale)


def beta_logcdf(x, loc, scale):
    return stats.beta.logcdf(x, 1.6, 2.4, loc, scale)


def beta_sf(x, loc, scale):
    return stats.beta.sf(x, 1.6, 2.4, loc, scale)


def beta_logsf(x, loc, scale):
    return stats.beta.logsf(x, 1.6, 2.4, loc=loc, scale=scale)


def beta_ppf(q, loc, scale):
    return stats.beta.ppf(q, 1.6, 2.4, loc, scale)


def gamma_ppf(q, loc, scale):
    return stats.gamma.ppf(q, 1.8, loc, scale)


def chi2_ppf(q, loc, scale):
    return stats.chi2.ppf(q, 3.3, loc, scale)


def gamma_cdf_in_shape(x, a, scale):
    return stats.gamma.cdf(x, a, scale=scale) + stats.gamma.logsf(x * 2.0, a, 0.1, scale)


def chi2_cdf_in_df(x, df):
    return stats.chi2.logcdf(x, df) + stats.chi2.sf(x + 1.0, df)


def beta_cdf_in_shapes(x, a, b):
    return stats.beta.cdf(x, a, b) + stats.beta.logsf(x, a, b) ** 2 + stats.beta.logcdf(x, b, a)


def t_cdf_in_df(x, df):
    return stats.t.cdf(x, df) + stats.t.logsf(x, df, 0.2, 1.3) + \
        stats.t.ppf(np.array([0.15, 0.5, 0.8]), df) * 0.5


def lognorm_cdf_in_shape(x, s):
    return stats.lognorm.cdf(x, s) - stats.lognorm.logsf(x, s, scale=1.5)


def quantiles_in_shapes(q, a, b):
    return stats.gamma.ppf(q, a, scale=1.3) + stats.beta.ppf(q, a, b) + \
        stats.chi2.ppf(q, 2.0 * a) + stats.lognorm.ppf(q, b)


def mvn_cdf_in_x_and_mean(x, mean):
    return np.sum(stats.multivariate_normal.cdf(x, mean, np.array([[1.0, 0.3], [0.3, 2.0]])))


def mvn_logcdf_in_x_and_mean(x, mean):
    return stats.multivariate_normal.logcdf(x, mean, np.array([[1.0, 0.3], [0.3, 2.0]]))


def dirichlet_logpdf_in_x(u, alpha):
    return stats.dirichlet.logpdf(special.softmax(u), alpha)


def dirichlet_pdf_in_x(u, alpha):
    return stats.dirichlet.pdf(special.softmax(u, axis=0), alpha)


def betainc_in_x(x):
    return special.betainc(1.7, 2.6, x)


def bessel_j(x):
    return special.j0(x) + 2.0 * special.j1(x) + special.jn(2, x) * special.jv(1.5, x)


def bessel_y(x):
    return special.y0(x) + 2.0 * special.y1(x) + special.yn(2, x) * special.yv(0.7, x)


def bessel_i(x):
    return special.iv(1.5, x) + 2.0 * special.ive(2.5, x)


def bessel_k(x):
    return special.kv(1.5, x) + 2.0 * special.kve(0.5, x) + special.k0(x) * special.k1(x) + \
        special.k0e(x) - 0.5 * special.k1e(x)


def empty_difference(x):
    return np.sum(np.diff(x, 3)) + np.sum(x * x)


_rng = np.random.default_rng(12)
X3 = np.array([-0.8, 0.4, 1.7])
Q3 = np.array([0.15, 0.5, 0.8])
P3 = np.array([0.2, 0.45, 0.7])
POSITIVE = np.array([0.6, 1.3, 2.9])

SPECS = [
    FdSpec("t.cdf", stats.t.cdf, t_cdf, (X3, 0.3, 1.4)),
    FdSpec("t.logcdf", stats.t.logcdf, t_logcdf, (X3, 0.3, 1.4)),
    FdSpec("t.sf", stats.t.sf, t_sf, (X3, -0.2, 0.8)),
    FdSpec("t.logsf", stats.t.logsf, t_logsf, (X3, -0.2, 0.8)),
    FdSpec("t.ppf", stats.t.ppf, t_ppf, (Q3, 0.3, 1.4)),
    FdSpec("beta.cdf", stats.beta.cdf, beta_cdf, (P3, 0.05, 1.3)),
    FdSpec("beta.logcdf", stats.beta.logcdf, beta_logcdf, (P3, 0.05, 1.3)),
    FdSpec("beta.sf", stats.beta.sf, beta_sf, (P3, -0.05, 1.2)),
    FdSpec("beta.logsf", stats.beta.logsf, beta_logsf, (P3, -0.05, 1.2)),
    FdSpec("beta.ppf", stats.beta.ppf, beta_ppf, (Q3, 0.05, 1.3)),
    FdSpec("gamma.ppf", stats.gamma.ppf, gamma_ppf, (Q3, 0.4, 1.7)),
    FdSpec("chi2.ppf", stats.chi2.ppf, chi2_ppf, (Q3, -0.3, 0.9)),
    FdSpec("gamma.cdf/logsf-in-a", stats.gamma.cdf, gamma_cdf_in_shape,
           (POSITIVE, np.array([0.8, 2.5, 6.0]), 1.3)),
    FdSpec("chi2.logcdf/sf-in-df", stats.chi2.logcdf, chi2_cdf_in_df,
           (POSITIVE, np.array([1.5, 3.0, 7.5]))),
    FdSpec("beta.cdf/logsf/logcdf-in-a-b", stats.beta.cdf, beta_cdf_in_shapes,
           (P3, np.array([0.7, 2.0, 5.0]), np.array([1.3, 3.5, 0.9]))),
    FdSpec("t.cdf/logsf/ppf-in-df", stats.t.cdf, t_cdf_in_df,
           (np.array([-1.7, 0.0, 0.9]), np.array([1.5, 4.0, 30.0]))),
    FdSpec("lognorm.cdf/logsf-in-s", stats.lognorm.cdf, lognorm_cdf_in_shape,
           (POSITIVE, np.array([0.4, 0.9, 1.6]))),
    FdSpec("ppf-in-shapes", stats.gamma.ppf, quantiles_in_shapes,
           (Q3, np.array([0.8, 2.5, 6.0]), np.array([1.3, 3.5, 0.9]))),
    FdSpec("dirichlet.logpdf-x", stats.dirichlet.logpdf, dirichlet_logpdf_in_x,
           (np.array([0.3, -0.5, 0.9]), np.array([1.5, 2.2, 0.8]))),
    FdSpec("dirichlet.pdf-x-points", stats.dirichlet.pdf, dirichlet_pdf_in_x,
           (_rng.normal(size=(3, 2)), np.array([1.5, 2.2, 3.1]))),
    FdSpec("betainc", special.betainc, betainc_in_x, (P3,)),
    FdSpec("bessel-j", special.j0, bessel_j, (POSITIVE,)),
    FdSpec("bessel-y", special.y0, bessel_y, (POSITIVE,)),
    FdSpec("bessel-i", special.iv, bessel_i, (POSITIVE,)),
    FdSpec("bessel-k", special.kv, bessel_k, (POSITIVE,)),
    FdSpec("diff-empty-result", np.diff, empty_difference, (np.array([0.3, -1.1]),)),
    # torch has no multivariate normal cdf; tests/test_multivariate_normal_cdf.py
    # checks d = 3 against a closed form
    FdSpec("multivariate_normal.cdf", stats.multivariate_normal.cdf, mvn_cdf_in_x_and_mean,
           (np.array([[0.3, -0.2], [-1.0, 0.4]]), np.array([0.1, 0.05]))),
    FdSpec("multivariate_normal.logcdf", stats.multivariate_normal.logcdf,
           mvn_logcdf_in_x_and_mean, (np.array([0.3, -0.2]), np.array([0.1, 0.05]))),
]
# Also covered by the programs above (one rule each), the a-derivative of
# gammainc/gammaincc and those of betainc by tests/test_gammainc_in_a.py (against
# mpmath), and odeint and
# its helpers by tests/test_odeint.py (finite differences, an explicit RK4).
COVERED_TOO = [special.j1, special.jn, special.jv, special.y1, special.yn, special.yv,
               special.ive, special.kve, special.k0, special.k1, special.k0e, special.k1e,
               gammainc_derivative_a, betainc_derivative, scipy.integrate.odeint,
               odeint_adjoint, odeint_tangent]


def _random_like(value, rng):
    return float(rng.normal()) if isinstance(value, float) else rng.normal(size=np.shape(value))


@pytest.mark.parametrize("spec", SPECS, ids=[s.id for s in SPECS])
def test_reverse_mode_matches_finite_differences(spec):
    rng = np.random.default_rng(7)
    positions = tuple(range(len(spec.inputs)))
    seed = _random_like(spec.program(*spec.inputs), rng)
    grads = ad.vjp(spec.program, wrt=positions)(spec.inputs, seed)
    grads = grads if isinstance(grads, tuple) else (grads,)
    for position, grad in zip(positions, grads):
        numeric = finite_difference_gradient(spec.program, spec.inputs, position, seed)
        assert_close(grad, numeric, rtol=1e-5, atol=1e-7,
                     label=f"{spec.id}: argument {position} vs finite differences")


@pytest.mark.parametrize("spec", SPECS, ids=[s.id for s in SPECS])
def test_forward_mode_matches_finite_differences(spec):
    rng = np.random.default_rng(8)
    positions = tuple(range(len(spec.inputs)))
    tangents = tuple(_random_like(v, rng) for v in spec.inputs)
    value, tangent = ad.jvp(spec.program, wrt=positions)(spec.inputs, tangents)
    step = 1e-6

    def shifted(sign):
        return spec.program(*[v + sign * step * t for v, t in zip(spec.inputs, tangents)])
    numeric = (np.asarray(shifted(1.0)) - np.asarray(shifted(-1.0))) / (2 * step)
    assert_close(value, spec.program(*spec.inputs), label=f"{spec.id}: value")
    assert_close(tangent, numeric, rtol=1e-5, atol=1e-7, label=f"{spec.id}: tangent")


# -- second derivatives through the new rules' helpers -------------------------------
# adcompiler differentiates the helpers of these rules from their source (or by the
# rule of a helper), so hessians through them compile and are exact.

S33 = np.array([[2.0, 0.3, -0.2], [0.3, 1.5, 0.4], [-0.2, 0.4, 1.8]])
XP4 = np.array([-1.0, -0.2, 0.5, 1.4])


def log_likelihood(p):
    data = np.array([0.3, 1.2, -0.4])
    return np.sum(stats.t.logpdf(data, p[0], p[1], p[2])) + \
        np.sum(stats.gamma.cdf(np.array([0.7, 2.0]), 2.0, scale=p[2])) + \
        np.sum(special.iv(1.5, p))


def stats_quantiles(p):
    return np.sum(stats.beta.logcdf(np.array([0.3, 0.6]), 2.0, 1.5, p[0] * 0.1, 1.0 + p[1] ** 2)) \
        + np.sum(stats.norm.ppf(np.array([0.2, 0.7]), p[0], p[1] ** 2 + 1.0))


def cdf_in_shapes(p):
    return np.sum(stats.gamma.cdf(np.array([0.7, 2.0]), p[0] ** 2 + 0.5, scale=p[1])) + \
        stats.chi2.logsf(1.5, p[0] + 2.0) + stats.lognorm.logcdf(0.8, p[1])


def multivariate(p):
    return stats.multivariate_normal.logpdf(p, np.zeros(3), S33) ** 2 + \
        stats.dirichlet.logpdf(np.array([0.2, 0.3, 0.5]), p * p + 1.0) ** 2


def special_functions(p):
    return np.sum(special.kve(1.5, p * p + 0.5) + special.betainc(2.0, 3.0, 0.5 / (1 + p * p))
                  + special.multigammaln(p * p + 2.0, 3))


def real_eigenvalues(p):
    return np.sum(np.linalg.eig(np.array([[2.0, p[0]], [p[1], -1.0]]))[0] ** 3)


def finite_differences_on_a_grid(p):
    return np.sum(np.gradient(p * p, 0.5) ** 2) + np.trapezoid(p ** 2, np.cumsum(np.abs(p) + 0.5))


def interpolation_and_polynomials(p):
    return np.sum(np.interp(p, XP4, np.array([0.3, 1.0, -0.5, 2.0])) ** 2) + \
        np.sum(np.polyval(p, p) ** 2)


def matrix_exponential_and_convolution(p):
    return np.sum(scipy.linalg.expm(np.reshape(p, (2, 2))) ** 2) + \
        np.sum(scipy.signal.convolve(p, p[:2] * 2.0, "same") ** 2)


def selections(p):
    chosen = np.select([p > 0.0, p < -1.0], [p ** 2, p ** 3], p)
    return np.sum(chosen ** 2) + np.sum(np.partition(p, 1)[:2] ** 3) + \
        np.sum(np.rollaxis(np.reshape(p, (2, 2, 1)), 2) ** 3)


def tensor_dot(p):
    return np.sum(np.dot(np.reshape(p, (1, 2, 2)), np.reshape(p ** 2, (2, 2, 1))) ** 2)


def poisson_tails(p):
    rate = np.exp(p)
    counts = np.array([0.0, 2.0, 5.0])
    # ppf is an integer count: a zero derivative, as floor's.
    return np.sum(stats.poisson.logcdf(counts, rate) + stats.poisson.logsf(counts, rate)) + \
        np.sum(stats.poisson.ppf(np.array([0.3, 0.9]), rate[:2]) * rate[:2])


SECOND_ORDER = [
    (log_likelihood, np.array([2.5, 0.1, 1.3])),
    (stats_quantiles, np.array([0.3, 0.8])),
    (cdf_in_shapes, np.array([1.1, 0.7])),
    (multivariate, np.array([0.4, -0.3, 1.1])),
    (special_functions, np.array([0.6, -1.2])),
    (real_eigenvalues, np.array([0.5, 0.3])),
    (finite_differences_on_a_grid, np.array([0.4, -1.1, 0.9, 1.6])),
    (interpolation_and_polynomials, np.array([-0.5, 0.2, 1.1])),
    (matrix_exponential_and_convolution, np.array([0.3, -0.4, 0.2, 0.5])),
    (selections, np.array([0.5, -1.5, -0.3, 0.8])),
    (tensor_dot, np.array([0.7, -0.2, 1.3, 0.4])),
    (poisson_tails, np.array([0.4, 1.1, 0.8])),
]


@pytest.mark.skipif(not hasattr(activity, "SOURCE_DIFFERENTIATED_MODULES"),
                    reason="second derivatives through runtime helpers need adcompiler to "
                    "differentiate their source (passes/activity.py)")
@pytest.mark.parametrize("program, point", SECOND_ORDER,
                         ids=[program.__name__ for program, _ in SECOND_ORDER])
def test_hessian_matches_finite_differences_of_the_gradient(program, point):
    hessian = ad.hessian(program)(point)
    gradient = ad.grad(program)
    step = 1e-5
    numeric = np.array([(gradient(point + step * e) - gradient(point - step * e)) / (2 * step)
                        for e in np.eye(len(point))])
    assert_close(hessian, numeric, rtol=1e-5, atol=1e-6, label=f"{program.__name__}: hessian")


# -- refused, never zero ------------------------------------------------------------

def bessel_in_order(v):
    return special.jv(v, 1.5)


def interp_of_complex_values_in_points(xp):
    # (np.interp's points are differentiated for real values; tests/test_more_numpy_rules.py)
    return np.sum(np.abs(np.interp(np.array([0.2, 0.7]), xp, np.array([1.0, 2.0j, 4.0]))))


def rank_deficient_lstsq(a):
    return np.sum(np.linalg.lstsq(a, np.ones(3))[0])


REFUSED = [
    (bessel_in_order, 1.5, "scipy.special.jv is not differentiated in its parameter 'v'"),
    (interp_of_complex_values_in_points, np.array([0.0, 0.5, 1.0]),
     "np.interp is differentiated in xp for real values fp only"),
    (rank_deficient_lstsq, np.array([[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]]),
     "np.linalg.lstsq is differentiated only for a matrix of full rank"),
]


@pytest.mark.parametrize("program, value, message", REFUSED,
                         ids=[r[0].__name__ for r in REFUSED])
def test_derivative_without_an_exact_formula_is_refused_in_both_modes(program, value, message):
    with pytest.raises(ad.NoDerivativeRuleError, match=message):
        ad.grad(program)(value)
    tangent = 1.0 if isinstance(value, float) else np.ones_like(value)
    with pytest.raises(ad.NoDerivativeRuleError, match=message):
        ad.jvp(program)((value,), (tangent,))


# -- realistic programs (all refused before these rules) -------------------------------

def _programs():
    from scipy_stats_programs import PROGRAMS
    return PROGRAMS


@pytest.mark.parametrize("program, point", _programs(), ids=[p.__name__ for p, _ in _programs()])
def test_realistic_program_matches_finite_differences_in_both_modes(program, point):
    rng = np.random.default_rng(9)
    gradient = ad.grad(program)(point)
    numeric = finite_difference_gradient(program, (point,), 0)
    assert_close(gradient, numeric, rtol=1e-5, atol=1e-6, label=f"{program.__name__}: grad")
    direction = _random_like(point, rng)
    _, tangent = ad.jvp(program)((point,), (direction,))
    assert tangent == pytest.approx(float(np.sum(np.asarray(numeric) * direction)),
                                    rel=1e-5, abs=1e-6)


# -- np.linalg.eig with complex eigenvalues, against torch.linalg.eig -------------------

W3 = np.array([0.7, -1.3, 0.4])
W33 = np.array([[0.5, -0.2, 1.1], [0.3, 0.9, -0.7], [-1.2, 0.6, 0.2]])
ROTATING = np.array([[0.3, -1.2, 0.4], [1.1, 0.2, -0.3], [0.5, 0.7, -0.6]])  # λ = 0.09 ± 1.06i


def complex_spectrum(a):
    w, v = np.linalg.eig(a)
    return np.sum(np.real(w) * W3) + np.sum(np.imag(w) ** 2) + np.sum(np.abs(v) ** 2 * W33)


def complex_eigenvalues_only(a):
    return np.sum(np.abs(np.linalg.eigvals(a)) ** 2 * W3)


def _torch_complex_spectrum(a):
    w, v = torch.linalg.eig(a)
    return torch.sum(w.real * torch.tensor(W3)) + torch.sum(w.imag ** 2) + \
        torch.sum(torch.abs(v) ** 2 * torch.tensor(W33))


def _torch_complex_eigenvalues_only(a):
    return torch.sum(torch.abs(torch.linalg.eigvals(a)) ** 2 * torch.tensor(W3))


@pytest.mark.parametrize("program, twin", [
    (complex_spectrum, _torch_complex_spectrum),
    (complex_eigenvalues_only, _torch_complex_eigenvalues_only)], ids=["eig", "eigvals"])
def test_eig_with_complex_eigenvalues_matches_torch_in_both_modes(program, twin):
    leaf = torch.tensor(ROTATING, requires_grad=True)
    (expected,) = torch.autograd.grad(twin(leaf), [leaf])
    gradient = ad.grad(program)(ROTATING)
    assert gradient.dtype == np.float64
    assert_close(gradient, expected.numpy(), rtol=1e-9, atol=1e-12, label="gradient")
    direction = np.random.default_rng(4).normal(size=(3, 3))
    _, tangent = ad.jvp(program)((ROTATING,), (direction,))
    assert tangent == pytest.approx(float(np.sum(expected.numpy() * direction)), rel=1e-9)
