"""np.linalg.pinv is differentiated where its derivative is the full-rank
formula's, and refused where NumPy cuts a singular value or reads one triangle.

NumPy sets to zero the singular values at most rcond (or rtol) times the
largest: the result is then the pseudo-inverse of a lower-rank matrix, whose
derivative the full-rank formula does not give (it gave a silently wrong
gradient, 0.403 where finite differences say 0.451, for rcond=0.3 below).
"""

import numpy as np
import pytest
import torch

import adcompiler as ad

WEIGHTS = np.arange(6.0).reshape(2, 3)


def cut_by_rcond(a):
    return np.sum(np.linalg.pinv(a, rcond=0.3) * WEIGHTS)


def cut_by_rtol(a):
    return np.sum(np.linalg.pinv(a, rtol=0.3) * WEIGHTS)


def cut_by_a_variable(a, rcond):
    return np.sum(np.linalg.pinv(a, rcond) * WEIGHTS)


def default_cutoff(a):
    return np.sum(np.linalg.pinv(a) * WEIGHTS)


def rtol_none(a):
    return np.sum(np.linalg.pinv(a, rtol=None) * WEIGHTS)


def hermitian_pinv(a):
    return np.sum(np.linalg.pinv(a, hermitian=True) * np.arange(9.0).reshape(3, 3))


def torch_weighted_pinv(a):
    return torch.sum(torch.linalg.pinv(a) * torch.tensor(WEIGHTS))


def _with_singular_values(values, seed=0):
    rng = np.random.default_rng(seed)
    u, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    v, _ = np.linalg.qr(rng.normal(size=(2, 2)))
    return u[:, :2] @ np.diag(values) @ v.T


def _difference(function, a, direction, step=1e-6):
    return (function(a + step * direction) - function(a - step * direction)) / (2 * step)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("function", [cut_by_rcond, cut_by_rtol])
def test_pinv_that_cuts_a_singular_value_is_refused(function, mode):
    a = _with_singular_values([2.0, 0.1])     # 0.1 is below 0.3 * 2.0
    with pytest.raises(ad.NoDerivativeRuleError, match="cutoff"):
        ad.grad(function, mode=mode)(a)


def test_pinv_cutoff_given_by_a_variable_is_checked_when_the_derivative_runs():
    a = _with_singular_values([2.0, 0.1])
    with pytest.raises(ad.NoDerivativeRuleError, match="cutoff"):
        ad.grad(cut_by_a_variable)(a, 0.3)
    direction = np.random.default_rng(1).normal(size=a.shape)
    gradient = ad.grad(cut_by_a_variable)(a, 0.01)
    assert np.sum(gradient * direction) == pytest.approx(
        _difference(lambda m: cut_by_a_variable(m, 0.01), a, direction), rel=1e-6)


def test_pinv_at_a_rank_deficient_matrix_is_refused():
    with pytest.raises(ad.NoDerivativeRuleError, match="cutoff"):
        ad.grad(default_cutoff)(_with_singular_values([2.0, 0.0]))


@pytest.mark.parametrize("function", [default_cutoff, rtol_none, cut_by_rcond])
def test_pinv_above_its_cutoff_matches_torch_in_both_modes_and_to_second_order(function):
    a = _with_singular_values([2.0, 0.9])
    point = torch.tensor(a, requires_grad=True)
    want, = torch.autograd.grad(torch_weighted_pinv(point), point)
    np.testing.assert_allclose(ad.grad(function)(a), want.numpy(), rtol=1e-9)
    np.testing.assert_allclose(ad.grad(function, mode="forward")(a), want.numpy(), rtol=1e-9)
    hessian = torch.autograd.functional.hessian(torch_weighted_pinv, torch.tensor(a))
    np.testing.assert_allclose(ad.hessian(function)(a), hessian.numpy(), rtol=1e-8,
                               atol=1e-10)


def test_hermitian_pinv_has_a_symmetric_gradient_equal_to_finite_differences():
    rng = np.random.default_rng(2)
    a = rng.normal(size=(3, 3))
    a = a + a.T
    direction = rng.normal(size=(3, 3))
    direction = direction + direction.T
    gradient = ad.grad(hermitian_pinv)(a)
    np.testing.assert_allclose(gradient, gradient.T, atol=1e-12)
    assert np.sum(gradient * direction) == pytest.approx(
        _difference(hermitian_pinv, a, direction), rel=1e-6)
    _, tangent = ad.jvp(hermitian_pinv)((a,), (direction,))
    assert tangent == pytest.approx(_difference(hermitian_pinv, a, direction), rel=1e-6)


def test_hermitian_pinv_of_an_unsymmetric_matrix_is_refused():
    a = np.random.default_rng(3).normal(size=(3, 3))
    with pytest.raises(ad.NoDerivativeRuleError, match="unsymmetric"):
        ad.grad(hermitian_pinv)(a)


def rtol_not_given_spelt_out(a):
    return np.sum(np.linalg.pinv(a, rtol=np._NoValue) * WEIGHTS)


def test_pinv_with_numpys_own_not_given_rtol_is_differentiated():
    # JAX's test suite passes rtol=np._NoValue; the check took it for a number (TypeError).
    a = _with_singular_values([2.0, 0.9])
    np.testing.assert_allclose(ad.grad(rtol_not_given_spelt_out)(a), ad.grad(default_cutoff)(a),
                               rtol=1e-12)
