"""The complex derivatives of NumPy's multivalued functions follow NumPy's
values: the principal branch everywhere, and on a branch cut the side the sign
of a zero imaginary (or real) part picks, as NumPy's value does.

Off the cuts the derivative is checked against central differences along
both the real and the imaginary axis (a holomorphic function's derivative is
the same along both) and against torch.func.jvp; on a cut, against central
differences along the cut, which stay on the side of the cut the point is on.
np.arccosh's rule took sqrt(z² - 1), the derivative's negative for Re z < 0;
arcsin, arccos and arcsinh had the wrong side of their cuts.
"""

import numpy as np
import pytest
import torch

import adcompiler as ad


def arcsin(z):
    return np.arcsin(z)


def arccos(z):
    return np.arccos(z)


def arctan(z):
    return np.arctan(z)


def arcsinh(z):
    return np.arcsinh(z)


def arccosh(z):
    return np.arccosh(z)


def arctanh(z):
    return np.arctanh(z)


def sqrt(z):
    return np.sqrt(z)


def log(z):
    return np.log(z)


def log2(z):
    return np.log2(z)


def log10(z):
    return np.log10(z)


def log1p(z):
    return np.log1p(z)


def power(z):
    return np.power(z, 0.5 + 0.2j)


# function -> (torch twin, points on its cuts: real ones on a cut along the real
# axis, imaginary ones on a cut along the imaginary axis)
FUNCTIONS = {
    arcsin: (torch.asin, [2.0, -2.0]),
    arccos: (torch.acos, [2.0, -2.0]),
    arctan: (torch.atan, [2j, -2j]),
    arcsinh: (torch.asinh, [2j, -2j]),
    arccosh: (torch.acosh, [0.5, -2.0]),
    arctanh: (torch.atanh, [2.0, -2.0]),
    sqrt: (torch.sqrt, [-2.0]),
    log: (torch.log, [-2.0]),
    log2: (torch.log2, [-2.0]),
    log10: (torch.log10, [-2.0]),
    log1p: (torch.log1p, [-3.0]),
    power: (lambda z: torch.pow(z, 0.5 + 0.2j), [-2.0]),
}

STEP = 1e-7


def _holomorphic_derivatives(function, z):
    """f'(z) from reverse mode (holomorphic grad) and from forward mode (a jvp along 1)."""
    reverse = ad.grad(function, holomorphic=True)(np.complex128(z))
    _, forward = ad.jvp(function)((np.complex128(z),), (np.complex128(1.0),))
    return reverse, forward


def _on_the_cut(point, zero_sign):
    if point.imag == 0:
        return complex(point.real, zero_sign * 0.0)
    return complex(zero_sign * 0.0, point.imag)


def _difference_along(function, z, unit):
    """The central difference along `unit` (1 or 1j), moving one part of z only,
    so that the other part (a signed zero on a cut) keeps its sign."""
    if unit == 1:
        ahead, behind = complex(z.real + STEP, z.imag), complex(z.real - STEP, z.imag)
    else:
        ahead, behind = complex(z.real, z.imag + STEP), complex(z.real, z.imag - STEP)
    return (function(np.complex128(ahead)) - function(np.complex128(behind))) / (2 * STEP * unit)


@pytest.mark.parametrize("function", list(FUNCTIONS), ids=lambda f: f.__name__)
def test_complex_derivative_off_the_cuts_is_the_principal_branchs(function):
    twin, _ = FUNCTIONS[function]
    rng = np.random.default_rng(len(function.__name__))
    # every quadrant, away from the axes where the cuts are
    points = (rng.uniform(0.2, 3.0, 12) * rng.choice([-1, 1], 12)
              + 1j * rng.uniform(0.2, 3.0, 12) * rng.choice([-1, 1], 12))
    for z in points:
        exact = torch.func.jvp(twin, (torch.tensor(z, dtype=torch.complex128),),
                               (torch.tensor(1.0 + 0j, dtype=torch.complex128),))[1].item()
        for unit in (1, 1j):
            assert _difference_along(function, z, unit) == pytest.approx(exact, rel=1e-6)
        for got in _holomorphic_derivatives(function, z):
            assert got == pytest.approx(exact, rel=1e-9, abs=1e-12), (function.__name__, z)


@pytest.mark.parametrize("function", list(FUNCTIONS), ids=lambda f: f.__name__)
def test_complex_derivative_on_a_cut_is_that_of_the_side_numpys_value_is_on(function):
    _, cut_points = FUNCTIONS[function]
    for point in cut_points:
        unit = 1 if point.imag == 0 else 1j
        for zero_sign in (1.0, -1.0):
            z = _on_the_cut(complex(point), zero_sign)
            numeric = _difference_along(function, z, unit)
            for got in _holomorphic_derivatives(function, z):
                assert got == pytest.approx(numeric, rel=1e-6), (function.__name__, z)


@pytest.mark.parametrize("function", [arcsin, arccos, arccosh, arcsinh],
                         ids=lambda f: f.__name__)
def test_real_derivative_of_an_inverse_function_matches_torch(function):
    twin, _ = FUNCTIONS[function]
    x = {arcsin: 0.3, arccos: -0.7, arccosh: 1.5, arcsinh: -2.5}[function]
    point = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    want, = torch.autograd.grad(twin(point), point)
    assert ad.grad(function)(x) == pytest.approx(want.item(), rel=1e-12)
    second, = torch.autograd.grad(torch.autograd.grad(twin(point), point, create_graph=True)[0],
                                  point)
    assert ad.derivative(ad.derivative(function))(x) == pytest.approx(second.item(),
                                                                      rel=1e-10)
