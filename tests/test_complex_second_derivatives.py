"""Second derivatives through complex values: np.abs, abs() and np.angle of
complex intermediates (their adjoints and tangents differentiated in their
point, runtime/complex_numbers.py), and the conjugates the API takes at the
border (a complex argument's gradient, a complex result's seed), checked
against torch's complex autograd in every pairing of modes."""

import numpy as np
import pytest
import torch

import adcompiler as ad
from oracles import assert_close


def assert_complex_close(actual, expected, label):
    # oracles.assert_close compares real values only
    np.testing.assert_allclose(np.asarray(actual), np.asarray(expected), rtol=1e-10,
                               atol=1e-12, err_msg=label)

V = np.array([0.3, -0.8, 1.7])
DV = np.array([0.4, -1.1, 0.6])
Z = np.array([0.3 - 0.8j, 1.1 + 0.4j])
DZ = np.array([0.5 + 0.2j, -0.3 + 1.0j])
SEED = np.array([1.0 - 0.5j, 0.2 + 0.3j])


def polar_energy(v):
    # A real function of real arguments through complex intermediates.
    z = v[0] + 1j * v[1]
    w = v[2] * np.exp(1j * v[0])
    return np.abs(z) ** 3 + np.angle(z) ** 2 + abs(z * w) + \
        np.sum(np.abs(np.array([z, w])) * np.angle(w, deg=True))


def t_polar_energy(v):
    z = torch.complex(v[0], v[1])
    w = v[2] * torch.exp(1j * v[0])
    return torch.abs(z) ** 3 + torch.angle(z) ** 2 + torch.abs(z * w) + \
        torch.sum(torch.abs(torch.stack([z, w])) * torch.angle(w) * 180.0 / np.pi)


def torch_hessian():
    return torch.autograd.functional.hessian(t_polar_energy, torch.tensor(V)).numpy()


jvp_of_polar_energy = ad.jvp(polar_energy)


def directional_derivative(v, dv):
    return jvp_of_polar_energy((v,), (dv,))[1]


@pytest.mark.parametrize("name, hessian", [
    ("hessian", lambda: ad.hessian(polar_energy)(V)),
    ("reverse over reverse", lambda: ad.jacobian(ad.grad(polar_energy))(V)),
    ("forward over reverse", lambda: ad.jacobian(ad.grad(polar_energy), mode="forward")(V)),
])
def test_hessian_through_complex_abs_and_angle_matches_torch(name, hessian):
    assert_close(hessian(), torch_hessian(), rtol=1e-10, label=name)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_gradient_of_a_jvp_through_complex_abs_and_angle_matches_torch(mode):
    got = ad.grad(directional_derivative, mode=mode)(V, DV)
    assert_close(got, torch_hessian() @ DV, rtol=1e-10, label=mode)


def test_hvp_through_complex_abs_and_angle_matches_torch():
    assert_close(ad.hvp(polar_energy)((V,), (DV,)), torch_hessian() @ DV, rtol=1e-10)


# Real functions of complex arguments: the gradient map z -> dL/dx + i dL/dy
# (torch's z.grad) is differentiated again, along complex tangents and seeds.
REAL_OF_COMPLEX = [
    ("abs cubed", lambda z: np.sum(np.abs(z) ** 3), lambda z: torch.sum(torch.abs(z) ** 3)),
    ("abs", lambda z: np.sum(np.abs(z)), lambda z: torch.sum(torch.abs(z))),
    ("builtin abs of a product", lambda z: abs(z[0] * z[1]), lambda z: torch.abs(z[0] * z[1])),
    ("angle squared", lambda z: np.sum(np.angle(z) ** 2), lambda z: torch.sum(torch.angle(z) ** 2)),
    ("angle in degrees times abs", lambda z: np.sum(np.angle(z, deg=True) * np.abs(z)),
     lambda z: torch.sum(torch.angle(z) * 180.0 / np.pi * torch.abs(z))),
    ("real and imaginary parts", lambda z: np.sum(np.real(z) ** 2 * np.imag(z)),
     lambda z: torch.sum(z.real ** 2 * z.imag)),
    ("mixed", lambda z: np.sum(np.abs(z) ** 3 + np.angle(z) ** 2 + np.abs(z * z[::-1]) * np.real(z)),
     lambda z: torch.sum(torch.abs(z) ** 3 + torch.angle(z) ** 2 +
                         torch.abs(z * z.flip(0)) * z.real)),
]


@pytest.mark.parametrize("name, f, twin", REAL_OF_COMPLEX, ids=[c[0] for c in REAL_OF_COMPLEX])
def test_jvp_of_the_gradient_of_complex_arguments_matches_torch(name, f, twin):
    _, tangent = ad.jvp(ad.grad(f))((Z,), (DZ,))
    _, expected = torch.func.jvp(torch.func.grad(twin), (torch.tensor(Z),), (torch.tensor(DZ),))
    assert_complex_close(tangent, expected.numpy(), label=name)


@pytest.mark.parametrize("name, f, twin", REAL_OF_COMPLEX, ids=[c[0] for c in REAL_OF_COMPLEX])
def test_vjp_of_the_gradient_of_complex_arguments_matches_torch(name, f, twin):
    _, pullback = torch.func.vjp(torch.func.grad(twin), torch.tensor(Z))
    assert_complex_close(ad.vjp(ad.grad(f))((Z,), SEED),
                         pullback(torch.tensor(SEED))[0].numpy(), label=name)


def twisted(z):
    return np.conj(z) * z * z + np.abs(z) * z


def t_twisted(z):
    return torch.conj(z) * z * z + torch.abs(z) * z


def test_vjp_of_a_vjp_in_its_complex_seed_matches_torch():
    # The vjp is real-linear in its seed, which checked_seed conjugates.
    vjp_twisted = ad.vjp(twisted)

    def pulled_back(seed, z):
        return vjp_twisted((z,), seed)

    cotangent = np.array([0.7 + 0.1j, -0.2 - 0.9j])
    got = ad.vjp(pulled_back)((SEED, Z), cotangent)

    def t_pulled_back(seed):
        return torch.func.vjp(t_twisted, torch.tensor(Z))[1](seed)[0]

    _, pullback = torch.func.vjp(t_pulled_back, torch.tensor(SEED))
    assert_complex_close(got, pullback(torch.tensor(cotangent))[0].numpy(), "seed")
