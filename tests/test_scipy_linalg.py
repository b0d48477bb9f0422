"""scipy.linalg's rules where the table of tests/coverage_specs.py cannot reach:
factor-then-solve pairs (cho_factor + cho_solve, lu_factor + lu_solve) passed
as tuples, a Gaussian process's negative log likelihood and a Kalman update
written with scipy.linalg against their torch twins (gradients in both modes
and Hessians), the triangle SciPy does not read, overwrite_a, and the keywords
the rules refuse when compiling.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import adcompiler as ad
from oracles import assert_close, finite_difference_gradient, to_torch

scipy_linalg = pytest.importorskip("scipy.linalg")
from scipy.linalg import cho_factor, cho_solve, lu_factor, lu_solve  # noqa: E402

W3 = np.array([[0.3, -1.2, 0.7], [2.0, 0.4, -0.5], [1.1, -0.8, 0.9]])
B3 = np.array([0.5, -1.0, 2.0])


def _spd(seed, n=3):
    m = np.random.default_rng(seed).normal(size=(n, n))
    return m @ m.T + n * np.eye(n)


def _torch_gradients(twin, args, wrt):
    tensors = [to_torch(a) for a in args]
    value = twin(*tensors)
    grads = torch.autograd.grad(value, [tensors[i] for i in wrt])
    return [g.numpy() for g in grads]


def _check_both_modes(function, twin, args, wrt):
    """Reverse- and forward-mode gradients equal torch's."""
    expected = _torch_gradients(twin, args, wrt)
    for mode in ("reverse", "forward"):
        got = ad.grad(function, wrt=wrt, mode=mode)(*args)
        got = got if isinstance(got, tuple) else (got,)
        for g, want in zip(got, expected):
            assert_close(g, want, rtol=1e-7, atol=1e-9, label=f"{function.__name__} {mode}")


# -- cho_factor and cho_solve ------------------------------------------------------

def cho_pair_unpacked(a, b):
    c, low = cho_factor(a)
    return np.sum(cho_solve((c, low), b) * B3)


def cho_pair_nested(a, b):
    return np.sum(cho_solve(cho_factor(a, lower=True), b) ** 2)


def cho_pair_kept(a, b):
    factor = cho_factor(a, lower=False, check_finite=False)
    x = cho_solve(factor, b, check_finite=False)
    return np.sum(x * b)


def torch_cho_pair_unpacked(a, b):
    upper = torch.linalg.cholesky(torch.triu(a) + torch.triu(a, 1).mT).mT
    return torch.sum(torch.cholesky_solve(b[:, None], upper, upper=True)[:, 0] *
                     torch.as_tensor(B3))


def torch_cho_pair_nested(a, b):
    lower = torch.linalg.cholesky(torch.tril(a) + torch.tril(a, -1).mT)
    return torch.sum(torch.cholesky_solve(b[:, None], lower)[:, 0] ** 2)


def torch_cho_pair_kept(a, b):
    upper = torch.linalg.cholesky(torch.triu(a) + torch.triu(a, 1).mT).mT
    return torch.sum(torch.cholesky_solve(b[:, None], upper, upper=True)[:, 0] * b)


@pytest.mark.parametrize("function, twin", [
    (cho_pair_unpacked, torch_cho_pair_unpacked),
    (cho_pair_nested, torch_cho_pair_nested),
    (cho_pair_kept, torch_cho_pair_kept),
])
def test_cho_factor_then_cho_solve_in_both_modes_and_second_order(function, twin):
    a, b = _spd(1), np.array([0.3, -0.7, 1.2])
    # an unsymmetric a: SciPy reads one triangle, and so does the derivative
    a[2, 0] += 0.4
    _check_both_modes(function, twin, (a, b), (0, 1))
    tensors = (to_torch(a), to_torch(b))
    expected = torch.autograd.functional.hessian(twin, tensors)
    assert_close(ad.hessian(function, wrt=0)(a, b), expected[0][0].numpy(), rtol=1e-6)
    assert_close(ad.hessian(function, wrt=1)(a, b), expected[1][1].numpy(), rtol=1e-6)


def cho_factor_entries(a):
    c, low = cho_factor(a)
    return np.sum(c * W3)


def test_cho_factor_other_triangle_is_a_own_entries():
    # cho_factor leaves a's lower triangle in c (SciPy does not zero it): its
    # derivative there is the identity, and the upper factor's is cholesky's.
    a = _spd(2)
    a[1, 0] += 0.25
    gradient = ad.grad(cho_factor_entries)(a)
    assert_close(np.tril(gradient, -1), np.tril(W3, -1))
    assert_close(gradient, finite_difference_gradient(cho_factor_entries, [a], 0),
                 rtol=1e-6, atol=1e-7)
    assert_close(ad.grad(cho_factor_entries, mode="forward")(a), gradient)


def cho_solve_reads_a_triangle(c, b):
    return np.sum(cho_solve((c, True), b) * B3)


def test_cho_solve_does_not_differentiate_the_triangle_it_does_not_read():
    c = np.tril(_spd(3)) + np.triu(np.full((3, 3), 7.0), 1)   # garbage above
    gradient = ad.grad(cho_solve_reads_a_triangle)(c, B3)
    assert np.all(np.triu(gradient, 1) == 0.0)
    assert_close(gradient, finite_difference_gradient(cho_solve_reads_a_triangle, [c, B3], 0),
                 rtol=1e-6, atol=1e-7)


def cho_pair_stack(a, b):
    return np.sum(cho_solve(cho_factor(a, lower=True), b) ** 2)


def test_cho_factor_and_cho_solve_of_a_stack():
    a = np.stack([_spd(4), _spd(5)])
    b = np.array([0.3, -0.7, 1.2])

    def twin(t, u):
        lower = torch.linalg.cholesky(torch.tril(t) + torch.tril(t, -1).mT)
        return torch.sum(torch.cholesky_solve(u.expand(2, 3)[..., None], lower) ** 2)
    _check_both_modes(cho_pair_stack, twin, (a, b), (0, 1))


# -- lu_factor and lu_solve ---------------------------------------------------------

def lu_pair(a, b):
    lu, piv = lu_factor(a)
    return np.sum(lu_solve((lu, piv), b) * B3)


def lu_pair_transposed(a, b):
    return np.sum(lu_solve(lu_factor(a), b, trans=1) ** 2)


def lu_entries(a):
    lu, piv = lu_factor(a)
    return np.sum(lu * W3) + np.sum(piv)


@pytest.mark.parametrize("function, twin", [
    (lu_pair, lambda a, b: torch.sum(torch.linalg.solve(a, b) * torch.as_tensor(B3))),
    (lu_pair_transposed, lambda a, b: torch.sum(torch.linalg.solve(a.mT, b) ** 2)),
])
def test_lu_factor_then_lu_solve_in_both_modes_and_second_order(function, twin):
    a = np.random.default_rng(6).normal(size=(3, 3)) + 2.0 * np.eye(3)
    b = np.array([0.3, -0.7, 1.2])
    _check_both_modes(function, twin, (a, b), (0, 1))
    expected = torch.autograd.functional.hessian(twin, (to_torch(a), to_torch(b)))
    assert_close(ad.hessian(function, wrt=0)(a, b), expected[0][0].numpy(), rtol=1e-6)


def test_lu_factor_packed_factors_against_torch():
    # a pivoting matrix: the rows swap
    a = np.array([[0.2, 1.0, -0.5], [2.0, 0.3, 0.4], [-1.0, 1.5, 0.8]])

    def twin(t):
        return torch.sum(torch.linalg.lu_factor(t)[0] * torch.as_tensor(W3))
    _check_both_modes(lu_entries, twin, (a,), (0,))


# -- a Gaussian process and a Kalman filter ----------------------------------------

X = np.array([[0.1, -0.3], [0.7, 0.2], [-0.5, 0.9], [1.2, -1.1], [0.3, 0.5]])
Y = np.array([0.4, -0.2, 1.1, -0.8, 0.3])


def _kernel(x, log_scale, log_signal, log_noise):
    d = x[:, None, :] - x[None, :, :]
    k = np.exp(2.0 * log_signal) * np.exp(-0.5 * np.sum(d * d, axis=-1) /
                                          np.exp(2.0 * log_scale))
    return k + np.exp(2.0 * log_noise) * np.eye(x.shape[0])


def gp_negative_log_likelihood(x, log_scale, log_signal, log_noise):
    n = x.shape[0]
    k = _kernel(x, log_scale, log_signal, log_noise)
    c, lower = cho_factor(k, lower=True)
    alpha = cho_solve((c, lower), Y)
    return 0.5 * (Y @ alpha) + np.sum(np.log(np.diag(c))) + 0.5 * n * math.log(2.0 * math.pi)


def _torch_kernel(x, log_scale, log_signal, log_noise):
    d = x[:, None, :] - x[None, :, :]
    k = torch.exp(2.0 * log_signal) * torch.exp(-0.5 * torch.sum(d * d, dim=-1) /
                                                torch.exp(2.0 * log_scale))
    return k + torch.exp(2.0 * log_noise) * torch.eye(x.shape[0], dtype=torch.float64)


def torch_gp_negative_log_likelihood(x, log_scale, log_signal, log_noise):
    lower = torch.linalg.cholesky(_torch_kernel(x, log_scale, log_signal, log_noise))
    y = torch.as_tensor(Y)
    alpha = torch.cholesky_solve(y[:, None], lower)[:, 0]
    return 0.5 * (y @ alpha) + torch.sum(torch.log(torch.diagonal(lower))) + \
        0.5 * x.shape[0] * math.log(2.0 * math.pi)


def gp_with_cholesky_and_solve(x, log_scale, log_signal, log_noise):
    # a likelihood of the same kind through cholesky, solve(assume_a='pos') and det
    k = _kernel(x, log_scale, log_signal, log_noise)
    upper = scipy_linalg.cholesky(k)
    alpha = scipy_linalg.solve(k, Y, assume_a="pos")
    return 0.5 * (Y @ alpha) + np.sum(np.log(np.diag(upper))) + \
        0.25 * np.log(scipy_linalg.det(k))


def torch_gp_with_cholesky_and_solve(x, log_scale, log_signal, log_noise):
    k = _torch_kernel(x, log_scale, log_signal, log_noise)
    y = torch.as_tensor(Y)
    return 0.5 * (y @ torch.linalg.solve(k, y)) + \
        torch.sum(torch.log(torch.diagonal(torch.linalg.cholesky(k)))) + \
        0.25 * torch.log(torch.linalg.det(k))


@pytest.mark.parametrize("function, twin", [
    (gp_negative_log_likelihood, torch_gp_negative_log_likelihood),
    (gp_with_cholesky_and_solve, torch_gp_with_cholesky_and_solve),
])
def test_gaussian_process_likelihood_against_torch(function, twin):
    args = (X, 0.2, -0.1, -1.0)
    assert function(*args) == pytest.approx(twin(*map(to_torch, args)).item(), rel=1e-10)
    _check_both_modes(function, twin, args, (0, 1, 2, 3))
    # the Hessian in the hyperparameters
    hyper = np.array([0.2, -0.1, -1.0])

    def in_hyper(h):
        return function(X, h[0], h[1], h[2])

    def torch_in_hyper(h):
        return twin(to_torch(X), h[0], h[1], h[2])
    expected = torch.autograd.functional.hessian(torch_in_hyper, to_torch(hyper))
    assert_close(ad.hessian(in_hyper)(hyper), expected.numpy(), rtol=1e-6)


H = np.array([[1.0, 0.0, 0.5], [0.0, 1.0, -0.3]])
R = np.array([[0.3, 0.05], [0.05, 0.2]])
Z = np.array([0.6, -0.4])


def kalman_update(m, p):
    s = H @ p @ H.T + R
    gain = scipy_linalg.solve(s, H @ p, assume_a="pos").T
    residual = Z - H @ m
    m_new = m + gain @ residual
    p_new = p - gain @ s @ gain.T
    log_likelihood = -0.5 * (residual @ scipy_linalg.solve(s, residual, assume_a="pos") +
                             np.log(scipy_linalg.det(s)))
    return np.sum(m_new * B3) + np.sum(p_new * W3) + log_likelihood


def torch_kalman_update(m, p):
    h, r, z = (torch.as_tensor(v) for v in (H, R, Z))
    s = h @ p @ h.T + r
    s_read = torch.triu(s) + torch.triu(s, 1).mT     # solve(assume_a='pos') reads it
    gain = torch.linalg.solve(s_read, h @ p).T
    residual = z - h @ m
    m_new = m + gain @ residual
    p_new = p - gain @ s @ gain.T
    log_likelihood = -0.5 * (residual @ torch.linalg.solve(s_read, residual) +
                             torch.log(torch.linalg.det(s)))
    return torch.sum(m_new * torch.as_tensor(B3)) + torch.sum(p_new * torch.as_tensor(W3)) + \
        log_likelihood


def test_kalman_update_against_torch():
    m, p = np.array([0.1, -0.2, 0.4]), _spd(7) * 0.3
    _check_both_modes(kalman_update, torch_kalman_update, (m, p), (0, 1))
    expected = torch.autograd.functional.hessian(torch_kalman_update, (to_torch(m), to_torch(p)))
    assert_close(ad.hessian(kalman_update, wrt=1)(m, p), expected[1][1].numpy(), rtol=1e-6)


# -- the triangle SciPy reads, and overwrite_a ------------------------------------------

def upper_cholesky_sum(a):
    return np.sum(scipy_linalg.cholesky(a) * W3)


def eigh_values(a):
    return np.sum(scipy_linalg.eigh(a, eigvals_only=True) * B3)


@pytest.mark.parametrize("function, unread", [(upper_cholesky_sum, np.tril),
                                              (eigh_values, np.triu)])
def test_derivatives_are_zero_in_the_triangle_scipy_does_not_read(function, unread):
    a = _spd(8)
    a[2, 0] += 0.5     # not symmetric: the rule differentiates SciPy's reading of it
    a[0, 2] -= 0.5
    gradient = ad.grad(function)(a)
    assert np.all(unread(gradient, -1 if unread is np.tril else 1) == 0.0)
    assert_close(gradient, finite_difference_gradient(function, [a], 0), rtol=1e-6, atol=1e-7)


def cholesky_overwriting(a):
    return np.sum(scipy_linalg.cholesky(a, overwrite_a=True) ** 2 * W3)


def cho_factor_overwriting(a):
    c, low = cho_factor(a, overwrite_a=True)
    return np.sum(c * W3)


@pytest.mark.parametrize("function", [cholesky_overwriting, cho_factor_overwriting])
def test_overwrite_a_is_accepted_where_the_derivative_reads_only_the_result(function):
    # SciPy overwrites a Fortran-ordered a with its factor: the derivative reads
    # the result, not a, so it is the same as for a C-ordered a (not overwritten).
    # (Forward-mode grad, which runs the function once per entry, refuses it as
    # stateful: its first run destroys the a the others would read.)
    a = _spd(9)
    expected = ad.grad(function)(a.copy())
    assert_close(ad.grad(function)(np.asfortranarray(a)), expected)
    direction = np.random.default_rng(10).normal(size=(3, 3))
    _, along = ad.jvp(function)((np.asfortranarray(a),), (direction,))
    assert along == pytest.approx(np.sum(expected * direction), rel=1e-10)


# -- refusals ----------------------------------------------------------------------------

def generalized_eigh(a, b):
    return np.sum(scipy_linalg.eigh(a, b, eigvals_only=True))


def eigh_subset(a):
    return np.sum(scipy_linalg.eigh(a, subset_by_index=[0, 1])[0])


def eigvalsh_subset_by_value(a):
    return np.sum(scipy_linalg.eigvalsh(a, subset_by_value=(0.0, 5.0)))


def eigh_values_overwriting(a):
    return np.sum(scipy_linalg.eigh(a, eigvals_only=True, overwrite_a=True))


def solve_overwriting(a, b):
    return np.sum(scipy_linalg.solve(a, b, overwrite_a=True))


def solve_unknown_structure(a, b):
    return np.sum(scipy_linalg.solve(a, b, assume_a="skew"))


def det_overwriting(a):
    return scipy_linalg.det(a, overwrite_a=True)


def svdvals_overwriting(a):
    return np.sum(scipy_linalg.svdvals(a, overwrite_a=True))


def lu_solve_trans(a, b):
    return np.sum(lu_solve(lu_factor(a), b, trans=3))


@pytest.mark.parametrize("function, keyword", [
    (eigh_subset, "subset_by_index"),
    (eigvalsh_subset_by_value, "subset_by_value"),
    (eigh_values_overwriting, "overwrite_a"),
    (solve_overwriting, "overwrite_a"),
    (solve_unknown_structure, "assume_a"),
    (det_overwriting, "overwrite_a"),
    (svdvals_overwriting, "overwrite_a"),
    (lu_solve_trans, "trans"),
])
def test_unmodelled_keywords_are_refused_when_compiling(function, keyword):
    with pytest.raises(ad.NoDerivativeRuleError, match=keyword.replace("(", r"\(")
                       .replace(")", r"\)")):
        ad.grad(function)


def test_a_generalized_eigh_is_refused_when_its_b_is_known_only_when_it_runs():
    with pytest.raises(ad.NoDerivativeRuleError, match=r"eigh\(a, b\)"):
        ad.grad(generalized_eigh)(_spd(11), np.eye(3))
    with pytest.raises(ad.NoDerivativeRuleError, match=r"eigh\(a, b\)"):
        ad.grad(generalized_eigh, mode="forward")(_spd(11), np.eye(3))


def pinv_with_rank(a):
    b, rank = scipy_linalg.pinv(a, return_rank=True)
    return np.sum(b)


def pinv_sum(a):
    return np.sum(scipy_linalg.pinv(a) * W3)


def test_pinv_is_refused_where_scipy_cuts_a_singular_value_or_returns_the_rank():
    full = np.random.default_rng(12).normal(size=(3, 3))
    with pytest.raises(ad.NoDerivativeRuleError, match="return_rank"):
        ad.grad(pinv_with_rank)(full)
    singular = np.outer([1.0, 2.0, -1.0], [0.5, 0.3, 1.0])
    with pytest.raises(ad.NoDerivativeRuleError, match="full rank"):
        ad.grad(pinv_sum)(singular)
    assert_close(ad.grad(pinv_sum)(full), finite_difference_gradient(pinv_sum, [full], 0),
                 rtol=1e-6, atol=1e-7)


# -- solve(transposed=True), which SciPy refuses for complex matrices (not in the table) ---

def solve_transposed(a, b):
    return np.sum(scipy_linalg.solve(a, b, transposed=True) * B3)


def solve_lower_triangular_transposed(a, b):
    return np.sum(scipy_linalg.solve(a, b, assume_a="lower triangular", transposed=True) ** 2)


@pytest.mark.parametrize("function, twin", [
    (solve_transposed,
     lambda a, b: torch.sum(torch.linalg.solve(a.mT, b) * torch.as_tensor(B3))),
    (solve_lower_triangular_transposed,
     lambda a, b: torch.sum(torch.linalg.solve(torch.tril(a).mT, b) ** 2)),
])
def test_solve_transposed_in_both_modes_and_second_order(function, twin):
    a = np.random.default_rng(16).normal(size=(3, 3)) * 0.5 + 2.0 * np.eye(3)
    b = np.array([0.3, -0.7, 1.2])
    _check_both_modes(function, twin, (a, b), (0, 1))
    assert_close(ad.grad(function)(a, b), finite_difference_gradient(function, [a, b], 0),
                 rtol=1e-6, atol=1e-7)
    expected = torch.autograd.functional.hessian(twin, (to_torch(a), to_torch(b)))
    assert_close(ad.hessian(function, wrt=0)(a, b), expected[0][0].numpy(), rtol=1e-6)


# -- lstsq, sqrtm and logm to second order ----------------------------------------------------

def least_squares(a, b):
    x, residues, rank, s = scipy_linalg.lstsq(a, b)
    return np.sum(x * B3) + residues + np.sum(s ** 2)


def torch_least_squares(a, b):
    x = torch.linalg.pinv(a) @ b
    return torch.sum(x * torch.as_tensor(B3)) + torch.sum((b - a @ x) ** 2) + \
        torch.sum(torch.linalg.svdvals(a) ** 2)


def square_root(a):
    return np.sum(scipy_linalg.sqrtm(a) * W3)


def torch_square_root(a):
    from coverage_specs import t_sqrtm
    return torch.sum(t_sqrtm(a) * torch.as_tensor(W3))


def logarithm(a):
    return np.sum(scipy_linalg.logm(a) * W3)


def torch_logarithm(a):
    from coverage_specs import t_logm
    return torch.sum(t_logm(a) * torch.as_tensor(W3))


@pytest.mark.parametrize("function, twin, args", [
    (least_squares, torch_least_squares,
     (np.random.default_rng(13).normal(size=(4, 3)), np.array([0.3, -1.0, 0.5, 2.0]))),
    (square_root, torch_square_root,
     (np.random.default_rng(14).normal(size=(3, 3)) * 0.4 + 2.0 * np.eye(3),)),
    (logarithm, torch_logarithm,
     (np.random.default_rng(15).normal(size=(3, 3)) * 0.4 + 2.0 * np.eye(3),)),
])
def test_lstsq_sqrtm_and_logm_in_both_modes_and_second_order(function, twin, args):
    wrt = tuple(range(len(args)))
    _check_both_modes(function, twin, args, wrt)
    expected = torch.autograd.functional.hessian(twin, tuple(to_torch(a) for a in args))
    assert_close(ad.hessian(function, wrt=0)(*args), expected[0][0].numpy(), rtol=1e-6,
                 atol=1e-8)


def least_squares_gelsy(a, b):
    return np.sum(scipy_linalg.lstsq(a, b, lapack_driver="gelsy")[0])


def least_squares_overwriting(a, b):
    return np.sum(scipy_linalg.lstsq(a, b, overwrite_b=True)[0])


@pytest.mark.parametrize("function, keyword", [(least_squares_gelsy, "gelsy"),
                                               (least_squares_overwriting, "overwrite_b")])
def test_lstsq_keywords_refused_when_compiling(function, keyword):
    with pytest.raises(ad.NoDerivativeRuleError, match=keyword):
        ad.grad(function)


def svd_of_complex_by_gesvd(a):
    u, s, vh = scipy_linalg.svd(a, full_matrices=False, lapack_driver="gesvd")
    return np.sum(s) + np.sum(np.abs(u[0]) ** 2)


def test_a_complex_svd_by_gesvd_is_refused():
    a = np.random.default_rng(17).normal(size=(4, 3)) + 1j
    with pytest.raises(ad.NoDerivativeRuleError, match="gesvd"):
        ad.vjp(svd_of_complex_by_gesvd)((a,), 1.0)


def svd_by_gesvd(a):
    u, s, vh = scipy_linalg.svd(a, lapack_driver="gesvd")
    return np.sum(s * B3) + np.sum((u * B3) @ vh * W3)


def test_a_real_svd_by_gesvd_against_torch():
    a = np.random.default_rng(18).normal(size=(3, 3))

    def twin(t):
        u, s, vh = torch.linalg.svd(t)
        b3 = torch.as_tensor(B3)
        return torch.sum(s * b3) + torch.sum((u * b3) @ vh * torch.as_tensor(W3))
    _check_both_modes(svd_by_gesvd, twin, (a,), (0,))
