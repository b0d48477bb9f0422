"""Frozen scipy.stats distributions (`norm(0, 2).pdf(x)`, `rv = gamma(a, scale=s);
rv.logpdf(x)`) and the fields of NumPy's named-tuple results
(`np.linalg.eigh(a).eigenvalues`), in both modes, against torch float64 (its
distributions and linalg) and central finite differences.

Each program is differentiated with respect to every argument: x and the
parameters the distribution was frozen with.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
import torch
from torch import distributions as td

import adcompiler as ad
from adcompiler import pipeline
from oracles import assert_close, finite_difference_gradient

pytest.importorskip("scipy")
from scipy import stats  # noqa: E402

COUNTS = np.array([0.0, 2.0, 1.0, 4.0])
PROPORTIONS = np.array([0.2, 0.5, 0.3])
PRIOR = stats.norm(0.5, 2.0)
GAMMA_PRIOR = stats.gamma(2.0, scale=1.5)
MVN_PRIOR = stats.multivariate_normal([0.0, 1.0], [[2.0, 0.3], [0.3, 1.0]])


@dataclass
class Case:
    """A program, its torch twin (None: finite differences only), and a point."""

    id: str
    program: object
    twin: object
    inputs: tuple


def _t(value):
    return torch.as_tensor(value, dtype=torch.float64)


# -- frozen distributions ------------------------------------------------------------

def normal_frozen_in_the_call(x, loc, scale):
    return np.sum(stats.norm(loc, scale).pdf(x))


def gamma_frozen_in_a_variable(x, a, s):
    rv = stats.gamma(a, scale=s)
    return np.sum(rv.logpdf(x))


def student_t_frozen_by_keywords(x, df, loc, scale):
    rv = stats.t(df=df, loc=loc, scale=scale)
    return np.sum(rv.logpdf(x) * np.array([1.0, 0.5, -0.3]))


def beta_cdf_and_sf_frozen(x, loc, scale):
    rv = stats.beta(2.0, 3.0, loc, scale)
    return np.sum(rv.cdf(x) + rv.logsf(x) ** 2)


def normal_quantiles_frozen(q, loc, scale):
    return np.sum(stats.norm(loc=loc, scale=scale).ppf(q) ** 2)


def poisson_frozen(mu):
    return np.sum(stats.poisson(mu).logpmf(COUNTS))


def multivariate_normal_frozen(x, mean, cov):
    prior = stats.multivariate_normal(mean, cov=cov)
    return prior.logpdf(x)


def dirichlet_frozen(alpha):
    return stats.dirichlet(alpha).logpdf(PROPORTIONS)


def frozen_at_module_level(x):
    return np.sum(PRIOR.logpdf(x)) + np.sum(GAMMA_PRIOR.logpdf(x * x + 0.5)) + \
        MVN_PRIOR.logpdf(x[:2])


def frozen_in_a_loop(x, mu):
    total = 0.0
    for i in range(3):
        rv = stats.norm(mu[i], 1.0 + i)
        total = total + rv.logpdf(x[i])
    return total


def parameters_rebound_after_freezing(x, mu, s):
    rv = stats.norm(mu, s)
    mu = mu * 3.0
    s = s + 1.0
    return np.sum(rv.logcdf(x)) + mu * s


def _normal_twin(x, loc, scale):
    return torch.sum(td.Normal(loc, scale).log_prob(x).exp())


def _gamma_twin(x, a, s):
    return torch.sum(td.Gamma(a, 1.0 / s).log_prob(x))


def _student_twin(x, df, loc, scale):
    return torch.sum(td.StudentT(df, loc, scale).log_prob(x) * _t([1.0, 0.5, -0.3]))


def _quantile_twin(q, loc, scale):
    return torch.sum(td.Normal(loc, scale).icdf(q) ** 2)


def _poisson_twin(mu):
    return torch.sum(td.Poisson(mu).log_prob(_t(COUNTS)))


def _mvn_twin(x, mean, cov):
    return td.MultivariateNormal(mean, covariance_matrix=cov).log_prob(x)


def _dirichlet_twin(alpha):
    return td.Dirichlet(alpha).log_prob(_t(PROPORTIONS))


def _module_level_twin(x):
    mvn = td.MultivariateNormal(_t([0.0, 1.0]), covariance_matrix=_t([[2.0, 0.3], [0.3, 1.0]]))
    return torch.sum(td.Normal(0.5, 2.0).log_prob(x)) + \
        torch.sum(td.Gamma(_t(2.0), _t(1.0 / 1.5)).log_prob(x * x + 0.5)) + mvn.log_prob(x[:2])


def _loop_twin(x, mu):
    return sum(td.Normal(mu[i], 1.0 + i).log_prob(x[i]) for i in range(3))


def _rebound_twin(x, mu, s):
    return torch.sum(torch.special.log_ndtr((x - mu) / s)) + mu * 3.0 * (s + 1.0)


X3 = np.array([-0.8, 0.4, 1.7])
SPD = np.array([[1.5, 0.2], [0.2, 0.8]])

FROZEN = [
    Case("norm(loc, scale).pdf", normal_frozen_in_the_call, _normal_twin, (X3, 0.3, 1.4)),
    Case("rv = gamma(a, scale=s); rv.logpdf", gamma_frozen_in_a_variable, _gamma_twin,
         (np.array([0.5, 1.2, 2.6]), 1.8, 1.3)),
    Case("t(df=, loc=, scale=).logpdf", student_t_frozen_by_keywords, _student_twin,
         (X3, 3.5, 0.2, 1.1)),
    Case("beta(2, 3, loc, scale).cdf/logsf", beta_cdf_and_sf_frozen, None,
         (np.array([0.2, 0.45, 0.7]), 0.05, 1.2)),
    Case("norm(loc=, scale=).ppf", normal_quantiles_frozen, _quantile_twin,
         (np.array([0.15, 0.5, 0.8]), 0.3, 1.4)),
    Case("poisson(mu).logpmf", poisson_frozen, _poisson_twin, (np.array([0.7, 2.1, 1.3, 3.2]),)),
    Case("multivariate_normal(mean, cov=).logpdf", multivariate_normal_frozen, _mvn_twin,
         (np.array([0.3, -0.2]), np.array([0.1, 0.4]), SPD)),
    Case("dirichlet(alpha).logpdf", dirichlet_frozen, _dirichlet_twin,
         (np.array([1.5, 2.2, 0.8]),)),
    Case("frozen at module level", frozen_at_module_level, _module_level_twin, (X3,)),
    Case("frozen in a loop", frozen_in_a_loop, _loop_twin, (X3, np.array([0.1, -0.3, 0.8]))),
    Case("arguments rebound after freezing", parameters_rebound_after_freezing, _rebound_twin,
         (X3, 0.2, 1.3)),
]


# -- fields of named-tuple results -----------------------------------------------------

SYM3 = np.array([[2.0, 0.3, -0.4], [0.3, 1.0, 0.5], [-0.4, 0.5, -1.2]])
W3 = np.array([0.7, -1.3, 0.4])
W33 = np.array([[0.5, -0.2, 1.1], [0.3, 0.9, -0.7], [-1.2, 0.6, 0.2]])
W43 = np.arange(12.0).reshape(4, 3) / 7.0 - 0.6
ROTATING = np.array([[0.3, -1.2, 0.4], [1.1, 0.2, -0.3], [0.5, 0.7, -0.6]])
TALL = np.array([[1.0, 0.4, -0.3], [0.2, 1.5, 0.6], [-0.7, 0.1, 0.9], [0.3, -0.5, 0.2]])


def eigh_eigenvalues_of_the_call(a):
    return np.sum(np.linalg.eigh(a).eigenvalues * W3)


def eigh_result_in_a_variable(a):
    res = np.linalg.eigh(a)
    return np.sum(res.eigenvalues ** 2) + np.sum(res.eigenvectors[:, 0] ** 2 * W3)


def slogdet_logabsdet(a):
    return np.linalg.slogdet(a).logabsdet * np.linalg.slogdet(a).sign


def svd_fields(a):
    res = np.linalg.svd(a, full_matrices=False)
    return np.sum(res.S * W3) + np.sum(np.outer(res.U[:, 0], res.Vh[0]) * W43)


def qr_fields(a):
    r = np.linalg.qr(a).R
    q = np.linalg.qr(a, mode="reduced").Q
    return np.sum(r ** 2 * W33) + np.sum((q @ q.T)[:3] * W43.T)


def eig_of_a_rotation(a):
    res = np.linalg.eig(a)
    return np.sum(np.abs(res.eigenvalues) ** 2 * W3) + np.sum(np.abs(res.eigenvectors) ** 2 * W33)


def _eigh_call_twin(a):
    return torch.sum(torch.linalg.eigh(a).eigenvalues * _t(W3))


def _eigh_variable_twin(a):
    res = torch.linalg.eigh(a)
    return torch.sum(res.eigenvalues ** 2) + torch.sum(res.eigenvectors[:, 0] ** 2 * _t(W3))


def _slogdet_twin(a):
    return torch.linalg.slogdet(a).logabsdet * torch.linalg.slogdet(a).sign


def _svd_twin(a):
    res = torch.linalg.svd(a, full_matrices=False)
    return torch.sum(res.S * _t(W3)) + torch.sum(torch.outer(res.U[:, 0], res.Vh[0]) * _t(W43))


def _qr_twin(a):
    r = torch.linalg.qr(a).R
    q = torch.linalg.qr(a).Q
    return torch.sum(r ** 2 * _t(W33)) + torch.sum((q @ q.T)[:3] * _t(W43).T)


def _eig_twin(a):
    res = torch.linalg.eig(a)
    return torch.sum(torch.abs(res.eigenvalues) ** 2 * _t(W3)) + \
        torch.sum(torch.abs(res.eigenvectors) ** 2 * _t(W33))


FIELDS = [
    Case("eigh(a).eigenvalues", eigh_eigenvalues_of_the_call, _eigh_call_twin, (SYM3,)),
    Case("res = eigh(a); res.eigenvalues, res.eigenvectors", eigh_result_in_a_variable,
         _eigh_variable_twin, (SYM3,)),
    Case("slogdet(a).logabsdet, .sign", slogdet_logabsdet, _slogdet_twin, (ROTATING,)),
    Case("svd(a).S, .U, .Vh", svd_fields, _svd_twin, (TALL,)),
    Case("qr(a).R, .Q", qr_fields, _qr_twin, (TALL,)),
    Case("eig(a).eigenvalues (complex), .eigenvectors", eig_of_a_rotation, _eig_twin, (ROTATING,)),
]

CASES = FROZEN + FIELDS


def _is_symmetric_argument(case, value):
    """The matrix arguments of eigh and of a covariance, which their rules read as
    symmetric: their gradients are symmetric, as torch's."""
    return value is SPD or value is SYM3


def _symmetric_if_matrix(case, value, argument):
    """Directions for symmetric arguments are symmetric too."""
    return (value + value.T) / 2 if _is_symmetric_argument(case, argument) else value


def _expected_gradients(case):
    """torch's gradients (float64), or central finite differences without a twin."""
    if case.twin is None:
        return [finite_difference_gradient(case.program, case.inputs, i)
                for i in range(len(case.inputs))]
    leaves = [torch.tensor(np.asarray(v, dtype=np.float64), requires_grad=True)
              for v in case.inputs]
    grads = torch.autograd.grad(case.twin(*leaves), leaves)
    return [g.numpy() for g in grads]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_gradient_matches_torch_or_finite_differences(case):
    wrt = tuple(range(len(case.inputs)))
    grads = ad.grad(case.program, wrt=wrt)(*case.inputs)
    grads = grads if isinstance(grads, tuple) else (grads,)
    for position, (grad, expected) in enumerate(zip(grads, _expected_gradients(case))):
        assert_close(grad, expected, rtol=1e-7, atol=1e-9,
                     label=f"{case.id}: argument {position}")
        numeric = finite_difference_gradient(case.program, case.inputs, position)
        if _is_symmetric_argument(case, case.inputs[position]):
            numeric = (numeric + numeric.T) / 2  # the symmetric gradient, as torch's
        assert_close(grad, numeric, rtol=1e-5, atol=1e-6,
                     label=f"{case.id}: argument {position} vs finite differences")


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_forward_mode_matches_torch_or_finite_differences(case):
    rng = np.random.default_rng(5)
    wrt = tuple(range(len(case.inputs)))
    directions = tuple(_symmetric_if_matrix(case, float(rng.normal()) if np.ndim(v) == 0
                                            else rng.normal(size=np.shape(v)), v)
                       for v in case.inputs)
    value, tangent = ad.jvp(case.program, wrt=wrt)(case.inputs, directions)
    assert_close(value, case.program(*case.inputs), label=f"{case.id}: value")
    expected = sum(float(np.sum(g * d)) for g, d in zip(_expected_gradients(case), directions))
    assert tangent == pytest.approx(expected, rel=1e-7, abs=1e-9)


# -- what the rewrites produce, and what they leave alone ---------------------------------

def test_frozen_variable_reads_the_arguments_it_was_frozen_with():
    text = pipeline.dump(parameters_rebound_after_freezing, "lower")
    assert "rv_loc = mu" in text and "rv_scale = s" in text
    assert "stats.norm.logcdf(x, rv_loc, rv_scale)" in text
    assert "rv =" not in text  # only its methods were used


def test_fields_become_indices_of_the_result():
    text = pipeline.dump(eigh_result_in_a_variable, "lower")
    assert "res[0] ** 2" in text and "res[1][:, 0]" in text
    assert "np.linalg.slogdet(a)[1] * np.linalg.slogdet(a)[0]" in \
        pipeline.dump(slogdet_logabsdet, "lower")


def svd_values_only(a):
    return np.sum(np.linalg.svd(a, compute_uv=False).S)


def qr_r_mode(a):
    return np.sum(np.linalg.qr(a, mode="r").R)


@pytest.mark.parametrize("program", [svd_values_only, qr_r_mode])
def test_field_of_a_result_that_is_no_named_tuple_is_left_as_written(program):
    assert ".S)" in pipeline.dump(program, "lower") or ".R)" in pipeline.dump(program, "lower")
    with pytest.raises(AttributeError):
        program(TALL)


def _helper_reading(rv, x):
    return rv.logpdf(x)


def frozen_passed_to_a_helper(mu):
    return np.sum(_helper_reading(stats.norm(mu, 1.0), X3))


def mean_of_a_frozen_distribution(mu):
    return stats.norm(mu, 2.0).mean() ** 2


def frozen_in_a_list(mu):
    dists = [stats.norm(mu, 1.0), stats.norm(0.0, 2.0)]
    return dists[0].logpdf(0.3)


def _helper_freezing(mu, x):
    rv = stats.norm(mu, 1.0)
    return rv.logpdf(x)


def frozen_in_the_helper(mu):
    return np.sum(_helper_freezing(mu, X3))


def _helper_unfrozen(mu, x):
    return stats.norm.logpdf(x, mu, 1.0)


def unfrozen_in_the_helper(mu):
    return np.sum(_helper_unfrozen(mu, X3))


FROZEN_ELSEWHERE = (r"no derivative rule for the method \.logpdf\(\).*a frozen scipy\.stats "
                    r"distribution is known only in the function that freezes it|"
                    r"a frozen distribution, scipy\.stats\.norm\(\.\.\.\) of differentiated")


@pytest.mark.parametrize("program, message", [
    (frozen_passed_to_a_helper, FROZEN_ELSEWHERE),
    (mean_of_a_frozen_distribution, "no derivative rule for scipy.stats.norm.mean"),
    (frozen_in_a_list, FROZEN_ELSEWHERE),
], ids=["passed to a helper", "mean()", "kept in a list"])
def test_frozen_distribution_not_modelled_is_refused_in_both_modes(program, message):
    with pytest.raises(ad.NoDerivativeRuleError, match=message) as reverse:
        ad.grad(program)(0.4)
    with pytest.raises(ad.NoDerivativeRuleError, match=message) as forward:
        ad.jvp(program)((0.4,), (1.0,))
    if program is not mean_of_a_frozen_distribution:
        for refusal in (reverse.value, forward.value):
            assert "freeze it inside the function that calls its methods" in refusal.help
            assert "stats.norm.logpdf(x, loc, scale)" in refusal.help
            assert "object at 0x" not in str(refusal)


@pytest.mark.parametrize("program", [frozen_in_the_helper, unfrozen_in_the_helper])
def test_the_rewrites_the_frozen_refusal_suggests_are_differentiated(program):
    mu = 0.4
    expected = np.sum(X3 - mu)  # d/dmu of the normal log-density with scale 1
    assert_close(ad.grad(program)(mu), expected, label=program.__name__)
    assert_close(ad.jvp(program)((mu,), (1.0,))[1], expected, label=program.__name__)


# -- second order: the rewrites leave ordinary rule calls, differentiated again -------

def frozen_twice_differentiated(p):
    rv = stats.gamma(p[0], scale=p[1])
    return np.sum(rv.logpdf(np.array([0.5, 1.5]))) + stats.norm(p[0], p[1]).logcdf(0.3)


def eigenvalue_field_twice_differentiated(p):
    a = np.array([[2.0, p[0]], [p[0], 1.0 + p[1] ** 2]])
    return np.sum(np.linalg.eigh(a).eigenvalues ** 3) + np.linalg.slogdet(a).logabsdet


@pytest.mark.parametrize("program", [frozen_twice_differentiated,
                                     eigenvalue_field_twice_differentiated])
def test_hessian_matches_finite_differences_of_the_gradient(program):
    point = np.array([1.5, 0.8])
    gradient = ad.grad(program)
    step = 1e-5
    numeric = np.array([(gradient(point + step * e) - gradient(point - step * e)) / (2 * step)
                        for e in np.eye(2)])
    assert_close(ad.hessian(program)(point), numeric, rtol=1e-6, atol=1e-7, label="hessian")
