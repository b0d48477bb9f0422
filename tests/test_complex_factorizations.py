"""np.linalg.cholesky, qr and pinv of complex matrices, in both modes, against
torch's complex autograd and finite differences of NumPy.

Conventions (docs/complex.md): a vjp with a complex seed v is torch's
`autograd.grad(out, a, grad_outputs=v)`; a jvp pushes complex tangents as
torch.func.jvp does. cholesky is differentiated as a function of a Hermitian
matrix (the complex twin of the real rule's symmetric convention): its
gradient is Hermitian, the Hermitian part of torch's, and its tangents are
taken along the Hermitian part of the direction. qr keeps R's diagonal real,
as LAPACK (and torch) do.
"""

import numpy as np
import pytest
import torch

import adcompiler as ad


def cholesky(a):
    return np.linalg.cholesky(a)


def qr_reduced(a):
    q, r = np.linalg.qr(a)
    return q, r


def qr_r_only(a):
    return np.linalg.qr(a, mode="r")


def pseudo_inverse(a):
    return np.linalg.pinv(a)


def _complex(rng, *shape):
    return rng.normal(size=shape) + 1j * rng.normal(size=shape)


def _hermitian_positive(rng, *shape):
    m = _complex(rng, *shape)
    return m @ np.conj(np.swapaxes(m, -1, -2)) + shape[-1] * np.eye(shape[-1])


def _hermitian(x):
    return 0.5 * (x + np.conj(np.swapaxes(x, -1, -2)))


def _leaves(value):
    return list(value) if isinstance(value, (tuple, list)) else [value]


def _pairing(seed, out):
    """Re sum(conj(v) f): the real loss whose gradient a vjp with seed v is."""
    return sum(np.real(np.sum(np.conj(s) * o)) for s, o in zip(_leaves(seed), _leaves(out)))


def _finite_difference(function, a, direction, step=1e-6):
    ahead, behind = function(a + step * direction), function(a - step * direction)
    return [(p - m) / (2 * step) for p, m in zip(_leaves(ahead), _leaves(behind))]


# name -> (function, torch twin, matrix maker, Hermitian directions only)
CASES = {
    "cholesky": (cholesky, torch.linalg.cholesky, lambda r: _hermitian_positive(r, 3, 3), True),
    "cholesky of a stack": (cholesky, torch.linalg.cholesky,
                            lambda r: _hermitian_positive(r, 2, 4, 4), True),
    "qr of a tall matrix": (qr_reduced, lambda a: tuple(torch.linalg.qr(a)),
                            lambda r: _complex(r, 5, 3), False),
    "qr of a square stack": (qr_reduced, lambda a: tuple(torch.linalg.qr(a)),
                             lambda r: _complex(r, 2, 3, 3), False),
    "qr, mode r": (qr_r_only, lambda a: torch.linalg.qr(a)[1], lambda r: _complex(r, 4, 3),
                   False),
    "pinv of a tall matrix": (pseudo_inverse, torch.linalg.pinv, lambda r: _complex(r, 4, 2),
                              False),
    "pinv of a wide stack": (pseudo_inverse, torch.linalg.pinv,
                             lambda r: _complex(r, 2, 2, 3), False),
}


@pytest.mark.parametrize("name", list(CASES))
def test_vjp_of_complex_factorization_matches_torch_and_finite_differences(name):
    function, twin, make, hermitian = CASES[name]
    rng = np.random.default_rng(len(name))
    a = make(rng)
    out = function(a)
    seed = tuple(_complex(rng, *np.shape(o)) for o in _leaves(out))
    seed = seed if isinstance(out, tuple) else seed[0]
    got = ad.vjp(function)((a,), seed)

    point = torch.tensor(a, requires_grad=True)
    outputs = _leaves(twin(point))
    want, = torch.autograd.grad(outputs, point, [torch.tensor(s) for s in _leaves(seed)])
    want = want.resolve_conj().numpy()
    if hermitian:
        # torch's gradient has an anti-Hermitian part, invisible along the
        # Hermitian directions cholesky is defined on.
        want = _hermitian(want)
        np.testing.assert_allclose(got, _hermitian(got), atol=1e-12)
    np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-10)

    direction = _complex(rng, *a.shape)
    if hermitian:
        direction = _hermitian(direction)
    numeric = _pairing(seed, _finite_difference(function, a, direction))
    assert np.real(np.sum(np.conj(got) * direction)) == pytest.approx(numeric, rel=1e-6,
                                                                       abs=1e-8)


@pytest.mark.parametrize("name", list(CASES))
def test_jvp_of_complex_factorization_matches_torch_and_finite_differences(name):
    function, twin, make, hermitian = CASES[name]
    rng = np.random.default_rng(len(name) + 100)
    a = make(rng)
    direction = _complex(rng, *a.shape)
    if hermitian:
        direction = _hermitian(direction)
    value, tangent = ad.jvp(function)((a,), (direction,))
    for got, want in zip(_leaves(value), _leaves(function(a))):
        np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-13)
    numeric = _finite_difference(function, a, direction)
    _, torch_tangent = torch.func.jvp(twin, (torch.tensor(a),), (torch.tensor(direction),))
    for got, fd, exact in zip(_leaves(tangent), numeric, _leaves(torch_tangent)):
        np.testing.assert_allclose(got, fd, rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(got, exact.resolve_conj().numpy(), rtol=1e-9, atol=1e-11)


def test_cholesky_of_a_complex_non_hermitian_matrix_is_refused():
    a = _hermitian_positive(np.random.default_rng(0), 3, 3)
    a[0, 1] += 0.5j
    with pytest.raises(ad.NoDerivativeRuleError, match="non-Hermitian"):
        ad.vjp(cholesky)((a,), np.ones((3, 3), dtype=complex))


def spectral_energy(x):
    """A real function of a real vector, through complex factorizations."""
    m = np.reshape(x[:6], (3, 2)) + 1j * np.reshape(x[6:], (3, 2))
    q, r = np.linalg.qr(m)
    gram = np.conj(m.T) @ m + 2.0 * np.eye(2)
    lower = np.linalg.cholesky(gram)
    return np.sum(np.abs(r) ** 2) + np.sum(np.abs(lower) ** 3) + \
        np.sum(np.abs(np.linalg.pinv(m)) ** 2) + np.real(np.sum(q[0] * q[1]))


def torch_spectral_energy(x):
    m = torch.reshape(x[:6], (3, 2)) + 1j * torch.reshape(x[6:], (3, 2))
    q, r = torch.linalg.qr(m)
    gram = m.mH @ m + 2.0 * torch.eye(2, dtype=torch.float64)
    lower = torch.linalg.cholesky(gram)
    return torch.sum(torch.abs(r) ** 2) + torch.sum(torch.abs(lower) ** 3) + \
        torch.sum(torch.abs(torch.linalg.pinv(m)) ** 2) + torch.real(torch.sum(q[0] * q[1]))


def test_gradient_through_complex_factorizations_of_real_arguments_matches_torch():
    x = np.random.default_rng(7).normal(size=12)
    point = torch.tensor(x, requires_grad=True)
    want, = torch.autograd.grad(torch_spectral_energy(point), point)
    np.testing.assert_allclose(ad.grad(spectral_energy)(x), want.numpy(), rtol=1e-9)
    np.testing.assert_allclose(ad.grad(spectral_energy, mode="forward")(x), want.numpy(),
                               rtol=1e-9)


def test_hessian_through_complex_factorizations_of_real_arguments_matches_torch():
    x = np.random.default_rng(8).normal(size=12)
    want = torch.autograd.functional.hessian(torch_spectral_energy, torch.tensor(x)).numpy()
    np.testing.assert_allclose(ad.hessian(spectral_energy)(x), want, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(ad.jacobian(ad.grad(spectral_energy))(x), want, rtol=1e-8,
                               atol=1e-10)
