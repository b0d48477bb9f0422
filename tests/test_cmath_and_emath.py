"""cmath's functions and NumPy's np.emath (numpy.lib.scimath), whose values
are complex where the real functions' are not defined, are differentiated on
the branch of their values (they were refused with "no derivative rule").

A complex argument is checked as a holomorphic function's: its derivative
against central differences along the real and the imaginary axis, and
torch.func.jvp of the twin. A real argument outside the real domain
(np.emath.sqrt(-2.0), cmath.asin(2.0)), which both read as x + 0j, is checked
through a real function of the value against differences along the real axis.
"""

import cmath

import numpy as np
import pytest
import torch

import adcompiler as ad


def c_exp(z):
    return cmath.exp(z)


def c_log(z):
    return cmath.log(z)


def c_log_base(z):
    return cmath.log(z, 3.0)


def c_log10(z):
    return cmath.log10(z)


def c_sqrt(z):
    return cmath.sqrt(z)


def c_sin(z):
    return cmath.sin(z)


def c_cos(z):
    return cmath.cos(z)


def c_tan(z):
    return cmath.tan(z)


def c_asin(z):
    return cmath.asin(z)


def c_acos(z):
    return cmath.acos(z)


def c_atan(z):
    return cmath.atan(z)


def c_sinh(z):
    return cmath.sinh(z)


def c_cosh(z):
    return cmath.cosh(z)


def c_tanh(z):
    return cmath.tanh(z)


def c_asinh(z):
    return cmath.asinh(z)


def c_acosh(z):
    return cmath.acosh(z)


def c_atanh(z):
    return cmath.atanh(z)


def e_sqrt(z):
    return np.emath.sqrt(z)


def e_log(z):
    return np.emath.log(z)


def e_log2(z):
    return np.emath.log2(z)


def e_log10(z):
    return np.emath.log10(z)


def e_logn(z):
    return np.emath.logn(3.0, z)


def e_arcsin(z):
    return np.emath.arcsin(z)


def e_arccos(z):
    return np.emath.arccos(z)


def e_arctanh(z):
    return np.emath.arctanh(z)


# function -> (torch twin, a real argument outside the real domain)
FUNCTIONS = {
    c_exp: (torch.exp, 0.5), c_log: (torch.log, -2.0),
    c_log_base: (lambda z: torch.log(z) / np.log(3.0), -2.0),
    c_log10: (torch.log10, -2.0), c_sqrt: (torch.sqrt, -2.0), c_sin: (torch.sin, 0.5),
    c_cos: (torch.cos, 0.5), c_tan: (torch.tan, 0.5), c_asin: (torch.asin, 2.0),
    c_acos: (torch.acos, -3.0), c_atan: (torch.atan, 0.5), c_sinh: (torch.sinh, 0.5),
    c_cosh: (torch.cosh, 0.5), c_tanh: (torch.tanh, 0.5), c_asinh: (torch.asinh, 0.5),
    c_acosh: (torch.acosh, 0.5), c_atanh: (torch.atanh, 2.0),
    e_sqrt: (torch.sqrt, -2.0), e_log: (torch.log, -2.0), e_log2: (torch.log2, -2.0),
    e_log10: (torch.log10, -2.0), e_logn: (lambda z: torch.log(z) / np.log(3.0), -2.0),
    e_arcsin: (torch.asin, 2.0), e_arccos: (torch.acos, -3.0),
    e_arctanh: (torch.atanh, 2.0),
}
STEP = 1e-7
# The rules these tests check (tests/test_numpy_coverage.py counts them as covered).
COVERED_TOO = (cmath.exp, cmath.log, cmath.log10, cmath.sqrt, cmath.sin, cmath.cos, cmath.tan,
               cmath.asin, cmath.acos, cmath.atan, cmath.sinh, cmath.cosh, cmath.tanh,
               cmath.asinh, cmath.acosh, cmath.atanh, cmath.phase, cmath.rect, np.emath.sqrt,
               np.emath.log, np.emath.log2, np.emath.log10, np.emath.logn, np.emath.arcsin,
               np.emath.arccos, np.emath.arctanh)


@pytest.mark.parametrize("function", list(FUNCTIONS), ids=lambda f: f.__name__)
def test_complex_derivative_is_the_holomorphic_one(function):
    twin, _ = FUNCTIONS[function]
    rng = np.random.default_rng(len(function.__name__))
    for z in rng.uniform(0.2, 2.0, 6) * rng.choice([-1, 1], 6) + \
            1j * rng.uniform(0.2, 2.0, 6) * rng.choice([-1, 1], 6):
        z = complex(z)
        exact = torch.func.jvp(twin, (torch.tensor(z, dtype=torch.complex128),),
                               (torch.tensor(1.0 + 0j, dtype=torch.complex128),))[1].item()
        for unit in (1, 1j):
            numeric = (function(z + STEP * unit) - function(z - STEP * unit)) / (2 * STEP * unit)
            assert numeric == pytest.approx(exact, rel=1e-6)
        assert ad.grad(function, holomorphic=True)(z) == pytest.approx(exact, rel=1e-9)
        _, tangent = ad.jvp(function)((z,), (1.0 + 0j,))
        assert tangent == pytest.approx(exact, rel=1e-9)


def real_and_imaginary(function):
    def parts(x):
        value = function(x)
        return value.real + 2.0 * value.imag
    return parts


@pytest.mark.parametrize("function", list(FUNCTIONS), ids=lambda f: f.__name__)
def test_derivative_at_a_real_argument_outside_the_real_domain(function):
    _, x = FUNCTIONS[function]
    numeric = (real_and_imaginary(function)(x + STEP)
               - real_and_imaginary(function)(x - STEP)) / (2 * STEP)
    _, tangent = ad.jvp(function)((x,), (1.0,))
    assert tangent.real + 2.0 * tangent.imag == pytest.approx(numeric, rel=1e-6)
    assert ad.grad(real_and_imaginary(function))(x) == pytest.approx(numeric, rel=1e-6)


def emath_energy(x):
    return np.sum(np.abs(np.emath.sqrt(x) + np.emath.arcsin(x)) ** 2) + \
        np.sum(np.real(np.emath.log(x) * np.emath.arctanh(x)))


def test_gradient_and_hessian_of_a_real_function_through_emath_match_differences():
    x = np.array([-2.0, 0.3, 1.7, -0.4])
    gradient = ad.grad(emath_energy)(x)
    hessian = ad.hessian(emath_energy)(x)
    for i in range(len(x)):
        unit = np.eye(len(x))[i]
        ahead, behind = emath_energy(x + 1e-6 * unit), emath_energy(x - 1e-6 * unit)
        assert gradient[i] == pytest.approx((ahead - behind) / 2e-6, rel=1e-6)
        row = (ad.grad(emath_energy)(x + 1e-5 * unit)
               - ad.grad(emath_energy)(x - 1e-5 * unit)) / 2e-5
        np.testing.assert_allclose(hessian[i], row, rtol=1e-5, atol=1e-6)


def polar_form(r, phi):
    return abs(cmath.rect(r, phi) + cmath.exp(1j * cmath.phase(cmath.rect(r, phi) + 1.0)))


def test_rect_and_phase_match_differences():
    r, phi = 1.3, 0.7
    got = ad.grad(polar_form, wrt=(0, 1))(r, phi)
    numeric = ((polar_form(r + STEP, phi) - polar_form(r - STEP, phi)) / (2 * STEP),
               (polar_form(r, phi + STEP) - polar_form(r, phi - STEP)) / (2 * STEP))
    assert got == pytest.approx(numeric, rel=1e-6)


def cube(z):
    return z ** 3


def test_vjp_of_a_python_complex_result_keeps_double_precision():
    # The seed of a Python complex result was made complex64 (NumPy 2 takes a
    # Python complex as a weak type), and the derivative single precision.
    z, seed = 0.7 - 1.3j, 0.3 + 0.1j
    assert ad.grad(cube, holomorphic=True)(z) == pytest.approx(3 * z ** 2, rel=1e-14)
    assert ad.vjp(cube)((z,), seed) == pytest.approx((3 * z ** 2).conjugate() * seed,
                                                     rel=1e-14)
