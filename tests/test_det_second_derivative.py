"""Second derivatives of np.linalg.det, exact at singular matrices too.

det is a polynomial, so its Hessian exists everywhere: the entry
d²det / da_ij da_kl is, up to a sign, the minor of a without rows i, k and
columns j, l (0 when i == k or j == l). That definition is the oracle here,
itself checked against torch's Hessian at an invertible matrix; torch goes
through a⁻¹ or an SVD and answers NaN at a matrix of rank n - 2 or less.
Every pairing of modes is checked: forward over reverse (hessian), reverse
over reverse (jacobian of grad), reverse over forward (grad of a jvp) and
forward over forward (jvp of a jvp).
"""

import itertools

import numpy as np
import pytest
import torch

import adcompiler as ad


def determinant(a):
    return np.linalg.det(a)


def squared_determinants(a):
    return np.sum(np.linalg.det(a) ** 2)


_det_along = ad.jvp(determinant)


def det_along(a, u):
    """The derivative of det at a along u (forward mode, differentiated again)."""
    return _det_along((a,), (u,))[1]


_hvp_det = ad.hvp(determinant)


def second_along(a, u):
    """u's second derivative of det at a, summed: <u, H u> (for third derivatives)."""
    return np.sum(_hvp_det((a,), (u,)) * u)


def minors_hessian(a):
    """d²det / da_ij da_kl from minors, shaped a.shape * 2 (one matrix)."""
    n = a.shape[-1]
    hessian = np.zeros((n, n, n, n), dtype=a.dtype)
    for i, j, k, m in itertools.product(range(n), repeat=4):
        if i == k or j == m:
            continue
        rows = [r for r in range(n) if r not in (i, k)]
        columns = [c for c in range(n) if c not in (j, m)]
        minor = np.linalg.det(a[np.ix_(rows, columns)]) if rows else 1.0
        sign = (-1) ** (i + j + k + m) * (1 if (i < k) == (j < m) else -1)
        hessian[i, j, k, m] = sign * minor
    return hessian


def test_the_minors_oracle_is_torchs_hessian_at_an_invertible_matrix():
    a = np.random.default_rng(0).normal(size=(4, 4))
    want = torch.autograd.functional.hessian(torch.linalg.det, torch.tensor(a)).numpy()
    np.testing.assert_allclose(minors_hessian(a), want, atol=1e-12)


MATRICES = {
    "invertible": np.random.default_rng(1).normal(size=(3, 3)),
    "rank 2 of 3": np.array([[1.0, 2.0, 0.5], [2.0, 4.0, 1.0], [0.3, -0.7, 2.0]]),
    "rank 1 of 3": np.outer([1.0, 2.0, 3.0], [4.0, 5.0, 6.0]),
    "zero 3 by 3": np.zeros((3, 3)),
    "rank 2 of 4 (diagonal)": np.diag([1.0, 2.0, 0.0, 0.0]),
    "rank 2 of 4": np.random.default_rng(2).normal(size=(4, 2))
    @ np.random.default_rng(3).normal(size=(2, 4)),
    "rank 1 of 2": np.array([[1.0, 2.0], [2.0, 4.0]]),
    "1 by 1": np.array([[0.0]]),
}


def _pairings(a, u, v):
    """(name, what adcompiler gives, the minors' answer) for each pairing of modes."""
    hessian = minors_hessian(a)
    along_u = np.einsum("ijkl,kl->ij", hessian, u)
    return [
        ("forward over reverse", ad.hessian(determinant)(a), hessian),
        ("reverse over reverse", ad.jacobian(ad.grad(determinant))(a), hessian),
        ("reverse over forward", ad.grad(det_along)(a, u), along_u),
        ("forward over forward", ad.jvp(det_along)((a, u), (v,))[1], np.sum(along_u * v)),
    ]


@pytest.mark.parametrize("name", list(MATRICES))
def test_second_derivative_of_det_is_the_minors_hessian_in_every_pairing_of_modes(name):
    # At a singular matrix the second-order rule took a⁻¹: LinAlgError.
    a = MATRICES[name]
    rng = np.random.default_rng(len(name))
    u, v = rng.normal(size=a.shape), rng.normal(size=a.shape)
    for pairing, got, want in _pairings(a, u, v):
        np.testing.assert_allclose(got, want, atol=1e-10, err_msg=pairing)


def test_hessian_of_det_matches_torch_where_torch_is_finite():
    for name in ("invertible", "rank 2 of 3", "rank 1 of 2"):
        a = MATRICES[name]
        want = torch.autograd.functional.hessian(torch.linalg.det, torch.tensor(a)).numpy()
        np.testing.assert_allclose(ad.hessian(determinant)(a), want, atol=1e-10, err_msg=name)


def test_hessian_of_squared_dets_of_a_stack_with_a_singular_member_matches_the_minors():
    # d²(det²) = 2 ∇det ∇detᵀ + 2 det ∇²det, per matrix; the stack's blocks are
    # independent of each other.
    stack = np.stack([MATRICES["invertible"], MATRICES["rank 2 of 3"], MATRICES["zero 3 by 3"]])
    got = ad.hessian(squared_determinants)(stack)
    for m, a in enumerate(stack):
        gradient = ad.grad(determinant)(a)
        want = 2 * np.einsum("ij,kl->ijkl", gradient, gradient) \
            + 2 * np.linalg.det(a) * minors_hessian(a)
        np.testing.assert_allclose(got[m, :, :, m], want, atol=1e-10)
        for other in set(range(3)) - {m}:
            np.testing.assert_allclose(got[m, :, :, other], 0.0, atol=1e-12)


def test_holomorphic_hessian_of_det_at_a_singular_complex_matrix_is_the_minors_hessian():
    rng = np.random.default_rng(4)
    z = rng.normal(size=(3, 3)) + 1j * rng.normal(size=(3, 3))
    z[2] = (1.0 + 2.0j) * z[0]
    got = ad.hessian(determinant, holomorphic=True)(z)
    np.testing.assert_allclose(got, minors_hessian(z), atol=1e-10)


def test_third_derivative_of_det_matches_torch_at_an_invertible_matrix():
    a = np.random.default_rng(5).normal(size=(3, 3))
    u = np.random.default_rng(6).normal(size=(3, 3))

    def torch_second_along(x):
        return torch.sum(torch.autograd.functional.hvp(torch.linalg.det, x, torch.tensor(u),
                                                       create_graph=True)[1] * torch.tensor(u))
    point = torch.tensor(a, requires_grad=True)
    want, = torch.autograd.grad(torch_second_along(point), point)
    np.testing.assert_allclose(ad.grad(second_along)(a, u), want.numpy(), rtol=1e-9, atol=1e-10)


def test_third_derivative_of_det_at_a_singular_matrix_is_refused():
    a, u = MATRICES["rank 2 of 3"], np.ones((3, 3))
    with pytest.raises(ad.NoDerivativeRuleError, match="third derivative of np.linalg.det"):
        ad.grad(second_along)(a, u)
