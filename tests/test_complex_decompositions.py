"""np.linalg.svd, svdvals, eigh, eigvalsh and eig (and slogdet, lstsq's
residuals) of complex matrices, against torch and finite differences, in both
modes and to second order.

A complex singular vector or eigenvector is defined up to a phase per column.
adcompiler differentiates the phase NumPy's LAPACK fixes (a row of V made
real: runtime/linalg.py), so that

  * a function that does not depend on the phases (|U|, U S Vᴴ, V diag(w) Vᴴ,
    |Vᴴ x|, the values) has torch's gradient and jvp;
  * one that does (Re U, Im Vh) has NumPy's own derivative, which finite
    differences of NumPy follow and torch has not (it raises in reverse mode);
  * where NumPy fixes the phases by no rule adcompiler knows (a wide svd, or a
    zero in the row LAPACK makes real), reverse mode refuses a phase-dependent
    function and forward mode refuses the vectors' tangents.

eigh is differentiated as a function of a Hermitian matrix (torch's
convention): the functions here make their matrix Hermitian first, or are
checked along Hermitian directions.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import adcompiler as ad

RNG = np.random.default_rng(2026)
W4 = RNG.normal(size=(4, 4))
W3 = RNG.normal(size=3)
X4 = RNG.normal(size=4) + 1j * RNG.normal(size=4)
A53 = RNG.normal(size=(5, 3))
T_W4, T_W3, T_X4 = torch.tensor(W4), torch.tensor(W3), torch.tensor(X4)


def _herm(a):
    return (a + np.conj(np.swapaxes(a, -1, -2))) / 2


def _t_herm(a):
    return (a + a.transpose(-1, -2).conj()) / 2


# -- functions that do not depend on the phases, with their torch twins --------------

def svd_magnitudes(a):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    k = s.shape[-1]
    return np.sum(np.abs(u) ** 2 * W4[:u.shape[-2], :k]) + np.sum(s * W3[:k]) \
        + np.sum(np.abs(vh) ** 2 * W4[:k, :vh.shape[-1]])


def t_svd_magnitudes(a):
    u, s, vh = torch.linalg.svd(a, full_matrices=False)
    k = s.shape[-1]
    return torch.sum(torch.abs(u) ** 2 * T_W4[:u.shape[-2], :k]) + torch.sum(s * T_W3[:k]) \
        + torch.sum(torch.abs(vh) ** 2 * T_W4[:k, :vh.shape[-1]])


def svd_square_default(a):
    u, s, vh = np.linalg.svd(a)      # full_matrices=True
    product = (u * s ** 2) @ vh
    return np.sum(np.real(product) * W4[:3, :3]) + np.sum(np.imag(product))


def t_svd_square_default(a):
    u, s, vh = torch.linalg.svd(a)
    product = (u * s.to(a.dtype) ** 2) @ vh
    return torch.sum(product.real * T_W4[:3, :3]) + torch.sum(product.imag)


def svd_projection(a):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return np.sum(np.abs(vh @ X4[:vh.shape[-1]])) + np.sum(np.log(s))


def t_svd_projection(a):
    u, s, vh = torch.linalg.svd(a, full_matrices=False)
    return torch.sum(torch.abs(vh @ T_X4[:vh.shape[-1]])) + torch.sum(torch.log(s))


def svd_values(a):
    return np.sum(np.linalg.svd(a, compute_uv=False) ** 3) + np.sum(np.linalg.svdvals(a))


def t_svd_values(a):
    return torch.sum(torch.linalg.svdvals(a) ** 3) + torch.sum(torch.linalg.svdvals(a))


def eigh_lower(a):
    w, v = np.linalg.eigh(_herm(a))
    return np.sum(w * W3[:w.shape[-1]] ** 2) + np.sum(np.abs(v) ** 2 * W4[:3, :3])


def t_eigh_lower(a):
    w, v = torch.linalg.eigh(_t_herm(a))
    return torch.sum(w * T_W3[:w.shape[-1]] ** 2) + torch.sum(torch.abs(v) ** 2 * T_W4[:3, :3])


def eigh_upper_projector(a):
    w, v = np.linalg.eigh(_herm(a), UPLO="U")
    projector = (v * np.exp(-w)) @ np.conj(np.swapaxes(v, -1, -2))
    return np.sum(np.real(projector) * W4[:3, :3]) + np.sum(np.imag(projector) * W4[1:, 1:])


def t_eigh_upper_projector(a):
    w, v = torch.linalg.eigh(_t_herm(a), UPLO="U")
    projector = (v * torch.exp(-w).to(v.dtype)) @ v.transpose(-1, -2).conj()
    return torch.sum(projector.real * T_W4[:3, :3]) + torch.sum(projector.imag * T_W4[1:, 1:])


def eigvalsh_both(a):
    h = _herm(a)
    return np.sum(np.linalg.eigvalsh(h) ** 3) + np.sum(np.linalg.eigvalsh(h, UPLO="U") * W3)


def t_eigvalsh_both(a):
    h = _t_herm(a)
    return torch.sum(torch.linalg.eigvalsh(h) ** 3) + \
        torch.sum(torch.linalg.eigvalsh(h, UPLO="U") * T_W3)


def eig_magnitudes(a):
    w, v = np.linalg.eig(a)
    return np.sum(np.abs(v) ** 2 * W4[:3, :3]) + np.sum(np.real(w) * W3 + np.imag(w) ** 2)


def t_eig_magnitudes(a):
    w, v = torch.linalg.eig(a)
    return torch.sum(torch.abs(v) ** 2 * T_W4[:3, :3]) + torch.sum(w.real * T_W3 + w.imag ** 2)


def slogdet_both(a):
    sign, logdet = np.linalg.slogdet(a)
    return np.sum(logdet * W3[:2]) + np.sum(np.real(sign) * 0.3 + np.imag(sign))


def t_slogdet_both(a):
    sign, logdet = torch.linalg.slogdet(a)
    return torch.sum(logdet * T_W3[:2]) + torch.sum(sign.real * 0.3 + sign.imag)


INVARIANT = [
    # (function, torch twin, shape, forward mode too)
    (svd_magnitudes, t_svd_magnitudes, (4, 3), True),
    (svd_magnitudes, t_svd_magnitudes, (3, 3), True),
    (svd_magnitudes, t_svd_magnitudes, (2, 4, 3), True),
    (svd_magnitudes, t_svd_magnitudes, (3, 4), False),    # wide: reverse only
    (svd_magnitudes, t_svd_magnitudes, (2, 2, 4), False),
    (svd_square_default, t_svd_square_default, (3, 3), True),
    (svd_projection, t_svd_projection, (4, 3), True),
    (svd_projection, t_svd_projection, (3, 4), False),
    (svd_values, t_svd_values, (3, 4), True),
    (svd_values, t_svd_values, (2, 4, 3), True),
    (eigh_lower, t_eigh_lower, (3, 3), True),
    (eigh_lower, t_eigh_lower, (2, 3, 3), True),
    (eigh_upper_projector, t_eigh_upper_projector, (3, 3), True),
    (eigvalsh_both, t_eigvalsh_both, (2, 3, 3), True),
    (eig_magnitudes, t_eig_magnitudes, (3, 3), True),
    (slogdet_both, t_slogdet_both, (2, 3, 3), True),
]
INVARIANT_IDS = [f"{f.__name__}-{'x'.join(map(str, shape))}" for f, _, shape, _ in INVARIANT]


def _complex(shape, rng):
    return rng.normal(size=shape) + 1j * rng.normal(size=shape)


def _torch_gradient(twin, a):
    tensor = torch.tensor(a, requires_grad=True)
    twin(tensor).backward()
    return tensor.grad.numpy()


@pytest.mark.parametrize("f, twin, shape, forward", INVARIANT, ids=INVARIANT_IDS)
def test_phase_invariant_function_has_torchs_gradient(f, twin, shape, forward):
    a = _complex(shape, np.random.default_rng(len(shape) + shape[-1]))
    np.testing.assert_allclose(ad.grad(f)(a), _torch_gradient(twin, a), rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("f, twin, shape, forward", INVARIANT, ids=INVARIANT_IDS)
def test_phase_invariant_function_has_torchs_jvp(f, twin, shape, forward):
    rng = np.random.default_rng(7 + shape[-1])
    a, t = _complex(shape, rng), _complex(shape, rng)
    if not forward:
        with pytest.raises(ad.ComplexValueError, match="tangent of the complex vectors"):
            ad.jvp(f)((a,), (t,))
        return
    value, tangent = ad.jvp(f)((a,), (t,))
    expected_value, expected = torch.func.jvp(twin, (torch.tensor(a),), (torch.tensor(t),))
    np.testing.assert_allclose(value, expected_value.numpy(), rtol=1e-12)
    np.testing.assert_allclose(tangent, expected.numpy(), rtol=1e-8, atol=1e-10)


def svd_magnitudes_of_parts(p):
    return svd_magnitudes(np.reshape(p[:9], (3, 3)) + 1j * np.reshape(p[9:], (3, 3)))


def eigh_projector_of_parts(p):
    return eigh_upper_projector(np.reshape(p[:9], (3, 3)) + 1j * np.reshape(p[9:], (3, 3)))


def _torch_of_parts(twin):
    return lambda p: twin(torch.reshape(p[:9], (3, 3)) + 1j * torch.reshape(p[9:], (3, 3)))


@pytest.mark.parametrize("f, twin", [(svd_magnitudes_of_parts, t_svd_magnitudes),
                                     (eigh_projector_of_parts, t_eigh_upper_projector)],
                         ids=["svd", "eigh"])
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_hessian_through_complex_decomposition_matches_torch(f, twin, mode):
    p = np.random.default_rng(3).normal(size=18)
    expected = torch.autograd.functional.hessian(_torch_of_parts(twin), torch.tensor(p))
    hessian = ad.hessian(f)(p) if mode == "reverse" else \
        ad.jacobian(ad.grad(f), mode="forward")(p)
    np.testing.assert_allclose(hessian, expected.numpy(), rtol=1e-8, atol=1e-10)


# -- functions that depend on the phases: NumPy's derivative ---------------------------

def svd_phases(a):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return np.sum(np.real(u) * W4[:u.shape[-2], :u.shape[-1]]) + np.sum(np.imag(vh) ** 2)


def svd_square_phases(a):
    u, s, vh = np.linalg.svd(a)
    return np.sum(np.imag(u[..., 0, :])) + np.sum(np.real(vh[..., :, 1]) * s)


def eigh_phases(a):
    w, v = np.linalg.eigh(_herm(a))
    return np.sum(np.real(v) * W4[:3, :3]) + np.sum(np.imag(v[..., 1, :]) * w)


def eigh_upper_phases(a):
    w, v = np.linalg.eigh(_herm(a), UPLO="U")
    return np.sum(np.imag(v) * W4[1:, 1:]) + np.sum(w ** 2)


def eig_phases(a):
    w, v = np.linalg.eig(a)
    return np.sum(np.real(v) * W4[:3, :3]) + np.sum(np.imag(v[..., 0, :]) ** 2) \
        + np.sum(np.real(w))


PHASE_DEPENDENT = [(svd_phases, (4, 3)), (svd_phases, (3, 3)), (svd_phases, (2, 4, 2)),
                   (svd_square_phases, (3, 3)), (eigh_phases, (3, 3)),
                   (eigh_upper_phases, (2, 3, 3)), (eig_phases, (3, 3)),
                   (eig_phases, (2, 3, 3))]
PHASE_IDS = [f"{f.__name__}-{'x'.join(map(str, shape))}" for f, shape in PHASE_DEPENDENT]


def _finite_difference(f, a, direction, step=1e-6):
    return (f(a + step * direction) - f(a - step * direction)) / (2 * step)


@pytest.mark.parametrize("f, shape", PHASE_DEPENDENT, ids=PHASE_IDS)
def test_phase_dependent_function_has_numpys_derivative_in_both_modes(f, shape):
    rng = np.random.default_rng(11 + shape[-1])
    a = _complex(shape, rng)
    for _ in range(2):
        direction = _complex(shape, rng)
        numeric = _finite_difference(f, a, direction)
        # torch's convention: dL = Re(sum(conj(grad) * da))
        through_grad = np.sum(np.real(np.conj(ad.grad(f)(a)) * direction))
        _, tangent = ad.jvp(f)((a,), (direction,))
        np.testing.assert_allclose(through_grad, numeric, rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(tangent, numeric, rtol=1e-6, atol=1e-7)


def test_eig_of_a_real_matrix_with_complex_eigenvalues_has_numpys_derivative():
    rng = np.random.default_rng(4)
    a = np.array([[0.0, -2.0, 0.3], [1.5, 0.2, -0.4], [0.1, 0.7, 1.0]])
    assert np.iscomplexobj(np.linalg.eig(a)[1])
    gradient = ad.grad(eig_phases)(a)
    for _ in range(2):
        direction = rng.normal(size=(3, 3))
        numeric = _finite_difference(eig_phases, a, direction)
        np.testing.assert_allclose(np.sum(gradient * direction), numeric, rtol=1e-6)
        np.testing.assert_allclose(ad.jvp(eig_phases)((a,), (direction,))[1], numeric,
                                   rtol=1e-6)


def least_squares_residual(b):
    x, residuals, rank, s = np.linalg.lstsq(A53, b)
    return residuals[0]


def test_least_squares_residual_of_a_complex_right_hand_side_matches_torch():
    rng = np.random.default_rng(8)
    b = _complex(5, rng)
    tensor = torch.tensor(b, requires_grad=True)
    matrix = torch.tensor(A53, dtype=torch.complex128)
    solution = torch.linalg.lstsq(matrix, tensor[:, None]).solution[:, 0]
    torch.sum(torch.abs(matrix @ solution - tensor) ** 2).backward()
    np.testing.assert_allclose(ad.grad(least_squares_residual)(b), tensor.grad.numpy(),
                               rtol=1e-8)
    direction = _complex(5, rng)
    np.testing.assert_allclose(ad.jvp(least_squares_residual)((b,), (direction,))[1],
                               _finite_difference(least_squares_residual, b, direction),
                               rtol=1e-6)


def eigh_phases_direct(h):
    w, v = np.linalg.eigh(h)
    return np.sum(np.real(v) * W4[:3, :3]) + np.sum(w)


def test_eigh_derivative_along_hermitian_directions_is_numpys():
    rng = np.random.default_rng(5)
    h = _herm(_complex((3, 3), rng))
    gradient = ad.grad(eigh_phases_direct)(h)
    np.testing.assert_allclose(gradient, np.conj(gradient.T), atol=1e-12)   # Hermitian
    for _ in range(3):
        direction = _herm(_complex((3, 3), rng))
        numeric = _finite_difference(eigh_phases_direct, h, direction)
        np.testing.assert_allclose(np.sum(np.real(np.conj(gradient) * direction)), numeric,
                                   rtol=1e-6)
        _, tangent = ad.jvp(eigh_phases_direct)((h,), (direction,))
        np.testing.assert_allclose(tangent, numeric, rtol=1e-6)


# -- where NumPy's phases follow no known rule: refused ---------------------------------

def eigh_of_diagonal(d):
    w, v = np.linalg.eigh(np.diag(d) + 0j)
    return np.sum(np.imag(v) * W4[:3, :3])


def eigh_of_diagonal_magnitudes(d):
    w, v = np.linalg.eigh(np.diag(d) + 0j)
    return np.sum(np.abs(v) ** 2 * W4[:3, :3]) + np.sum(w ** 2)


def test_phase_dependent_function_of_a_wide_svd_is_refused_in_both_modes():
    rng = np.random.default_rng(1)
    a = _complex((3, 4), rng)
    with pytest.raises(ad.ComplexValueError, match="depends on the phase"):
        ad.grad(svd_phases)(a)
    with pytest.raises(ad.ComplexValueError, match="tangent of the complex vectors"):
        ad.jvp(svd_phases)((a,), (_complex((3, 4), rng),))


def test_eigh_where_the_real_row_has_zeros_refuses_only_what_depends_on_the_phases():
    d = np.array([1.0, 2.0, 3.5])
    with pytest.raises(ad.ComplexValueError, match="depends on the phase"):
        ad.grad(eigh_of_diagonal)(d)
    # |V| and w do not depend on the phases: 2 w along the diagonal.
    np.testing.assert_allclose(ad.grad(eigh_of_diagonal_magnitudes)(d), 2 * d, atol=1e-12)
    with pytest.raises(ad.ComplexValueError, match="tangent of the complex vectors"):
        ad.jvp(eigh_of_diagonal_magnitudes)((d,), (np.ones(3),))


def eigh_of_square(a):
    return np.sum(np.linalg.eigvalsh(a))


def test_eigh_of_a_non_hermitian_complex_matrix_is_refused():
    a = _complex((3, 3), np.random.default_rng(0))
    with pytest.raises(ad.NoDerivativeRuleError, match="non-Hermitian"):
        ad.grad(eigh_of_square)(a)


# -- svd(a, hermitian=True): NumPy reads one triangle, as eigh does ----------------------

def svd_hermitian(a):
    u, s, vh = np.linalg.svd(a, hermitian=True)
    return np.sum(s ** 2 * W3) + np.sum(np.abs(u[..., 0, :])) \
        + np.sum(np.abs(vh) ** 2 * W4[:3, :3])


@pytest.mark.parametrize("kind", ["real", "complex"])
def test_svd_hermitian_is_differentiated_along_hermitian_directions(kind):
    rng = np.random.default_rng(12)
    if kind == "real":
        def make():
            return rng.normal(size=(3, 3))
    else:
        def make():
            return _complex((3, 3), rng)
    a = _herm(make())
    gradient = ad.grad(svd_hermitian)(a)
    np.testing.assert_allclose(gradient, np.conj(gradient.T), atol=1e-12)
    for _ in range(2):
        direction = _herm(make())
        numeric = _finite_difference(svd_hermitian, a, direction)
        np.testing.assert_allclose(np.sum(np.real(np.conj(gradient) * direction)), numeric,
                                   rtol=1e-6)
        np.testing.assert_allclose(ad.jvp(svd_hermitian)((a,), (direction,))[1], numeric,
                                   rtol=1e-6)
    with pytest.raises(ad.NoDerivativeRuleError, match="hermitian=True"):
        ad.grad(svd_hermitian)(make())
