"""scipy.special.gammainc and gammaincc differentiated in a (the shape), to second
order, and scipy.special.betainc in a and b, in both modes: the helpers against
mpmath at 50 digits (400 in the far tails) across the regimes of their expansions,
and programs against central finite differences.

torch has no twin (torch.special.gammainc has no derivative in its first argument,
and no betainc).
"""

from __future__ import annotations

import numpy as np
import pytest

import adcompiler as ad
from adcompiler.runtime.special_series import betainc_derivative, gammainc_derivative_a
from oracles import assert_close, finite_difference_gradient

pytest.importorskip("scipy")
mpmath = pytest.importorskip("mpmath")
from scipy import special  # noqa: E402

# (a, x): the series (x < a + 1) and the continued fraction, near the boundary,
# far into each tail (P or Q tiny: its derivative must keep its relative precision)
# and large shapes.
POINTS = [(0.05, 0.01), (0.3, 1e-4), (1.0, 0.3), (2.5, 2.0), (2.5, 3.6), (7.0, 5.0),
          (7.0, 40.0), (30.0, 0.3), (30.0, 190.0), (30.0, 29.0), (30.0, 31.5), (200.0, 150.0),
          (200.0, 210.0), (0.3, 12.0), (1.0, 800.0)]


def _mpmath_derivative(a, x, order, upper):
    """The order-th a-derivative, from whichever of P and Q is below 1/2 (the other
    is 1 minus it, and would lose the digits that matter)."""
    mpmath.mp.dps = 50
    a, x = mpmath.mpf(a), mpmath.mpf(x)
    if mpmath.gammainc(a, 0, x, regularized=True) < 0.5:
        lower = mpmath.diff(lambda s: mpmath.gammainc(s, 0, x, regularized=True), a, order)
    else:
        lower = -mpmath.diff(lambda s: mpmath.gammainc(s, x, mpmath.inf, regularized=True),
                             a, order)
    return float(-lower if upper else lower)


@pytest.mark.parametrize("order", [1, 2])
@pytest.mark.parametrize("a, x", POINTS, ids=[f"a={a}-x={x}" for a, x in POINTS])
def test_derivative_in_a_matches_mpmath(a, x, order):
    for upper in (False, True):
        expected = _mpmath_derivative(a, x, order, upper)
        assert gammainc_derivative_a(a, x, upper, order) == pytest.approx(expected, rel=1e-12,
                                                                          abs=1e-300)


def test_derivative_in_a_of_arrays_and_edges():
    a = np.array([[0.5, 2.0, 9.0], [0.5, 2.0, 9.0]])
    x = np.array([[0.0, 1.5, 12.0], [np.inf, 1.5, 3.0]])
    got = gammainc_derivative_a(a, x, False)
    assert got.shape == (2, 3)
    assert got[0, 0] == 0.0 and got[1, 0] == 0.0   # P is 0 at x = 0 and 1 at x = inf
    assert got[0, 1] == pytest.approx(_mpmath_derivative(2.0, 1.5, 1, False), rel=1e-12)
    assert np.isnan(gammainc_derivative_a(-1.0, 2.0, False))


# -- programs, both modes ------------------------------------------------------------

SAMPLE = np.array([0.4, 1.7, 3.2, 6.5])


def gamma_cdf_in_its_shape(shape):
    """log P(X <= sample) of a gamma variable, summed, as a function of its shape."""
    return np.sum(np.log(special.gammainc(shape, SAMPLE)))


def upper_tail_in_shape_and_point(a, x):
    return np.sum(special.gammaincc(a, x) * np.array([1.0, -0.5, 2.0]))


def both_in_one_scalar(p):
    return special.gammainc(p[0] ** 2, p[1]) + special.gammaincc(p[0] + 1.0, 2.0 * p[1]) ** 2


PROGRAMS = [
    (gamma_cdf_in_its_shape, (np.array([0.7, 2.0, 3.5, 12.0]),)),
    (upper_tail_in_shape_and_point, (np.array([0.8, 4.0, 25.0]), np.array([1.3, 2.0, 31.0]))),
    (both_in_one_scalar, (np.array([1.3, 0.9]),)),
]


@pytest.mark.parametrize("program, inputs", PROGRAMS, ids=[p.__name__ for p, _ in PROGRAMS])
def test_program_matches_finite_differences_in_both_modes(program, inputs):
    wrt = tuple(range(len(inputs)))
    grads = ad.grad(program, wrt=wrt)(*inputs)
    grads = grads if isinstance(grads, tuple) else (grads,)
    numeric = [finite_difference_gradient(program, inputs, i) for i in wrt]
    for position, (grad, expected) in enumerate(zip(grads, numeric)):
        assert_close(grad, expected, rtol=1e-6, atol=1e-8, label=f"argument {position}")
    directions = tuple(np.random.default_rng(2).normal(size=np.shape(v)) for v in inputs)
    _, tangent = ad.jvp(program, wrt=wrt)(inputs, directions)
    expected = sum(float(np.sum(g * d)) for g, d in zip(numeric, directions))
    assert tangent == pytest.approx(expected, rel=1e-6, abs=1e-8)


def test_hessian_in_shape_and_point_matches_finite_differences_of_the_gradient():
    point = np.array([1.3, 0.9])
    hessian = ad.hessian(both_in_one_scalar)(point)
    gradient = ad.grad(both_in_one_scalar)
    step = 1e-5
    numeric = np.array([(gradient(point + step * e) - gradient(point - step * e)) / (2 * step)
                        for e in np.eye(2)])
    assert_close(hessian, numeric, rtol=1e-6, atol=1e-8, label="hessian")


def shape_only(a):
    return special.gammainc(a, 1.5)


def test_third_derivative_in_a_is_refused():
    third = ad.grad(ad.grad(ad.grad(shape_only)))
    with pytest.raises(ad.NoDerivativeRuleError, match="to second order only"):
        third(2.0)


# -- the incomplete beta function in a and b ------------------------------------------

BETA_POINTS = [(0.1, 0.2, 0.3), (0.7, 1.0, 1e-4), (2.0, 3.0, 0.4), (2.0, 3.0, 0.97),
               (5.5, 25.0, 0.05), (40.0, 25.0, 0.5), (40.0, 25.0, 0.8), (300.0, 400.0, 0.45),
               (0.7, 400.0, 0.0005), (300.0, 1.0, 0.9999)]


def _mpmath_beta_derivative(a, b, x, wrt, digits=50):
    """From whichever of I and 1 - I is below 1/2 (see _mpmath_derivative)."""
    mpmath.mp.dps = digits
    a, b, x = mpmath.mpf(a), mpmath.mpf(b), mpmath.mpf(x)
    if mpmath.betainc(a, b, 0, x, regularized=True) < 0.5:
        def value(s, t):
            return mpmath.betainc(s, t, 0, x, regularized=True)
    else:
        def value(s, t):
            return -mpmath.betainc(s, t, x, 1, regularized=True)
    if wrt == "a":
        return float(mpmath.diff(lambda s: value(s, b), a))
    return float(mpmath.diff(lambda t: value(a, t), b))


@pytest.mark.parametrize("wrt", ["a", "b"])
@pytest.mark.parametrize("a, b, x", BETA_POINTS, ids=[f"a={a}-b={b}-x={x}" for a, b, x in BETA_POINTS])
def test_betainc_derivative_matches_mpmath(a, b, x, wrt):
    assert betainc_derivative(a, b, x, wrt) == pytest.approx(
        _mpmath_beta_derivative(a, b, x, wrt), rel=1e-10, abs=1e-300)


def test_betainc_derivative_far_in_a_tail_keeps_its_relative_precision():
    # I_0.8(5.5, 400) = 1 - 1e-270: its derivative needs 400 digits to check
    got = betainc_derivative(5.5, 400.0, 0.8, "a")
    assert got == pytest.approx(_mpmath_beta_derivative(5.5, 400.0, 0.8, "a", digits=400),
                                rel=1e-10)


def beta_cdf_in_its_shapes(a, b):
    return np.sum(np.log(special.betainc(a, b, np.array([0.2, 0.5, 0.9]))))


def test_betainc_program_matches_finite_differences_in_both_modes():
    test_program_matches_finite_differences_in_both_modes(
        beta_cdf_in_its_shapes, (np.array([0.8, 2.5, 30.0]), np.array([1.5, 0.6, 12.0])))


def beta_shapes_twice(p):
    return special.betainc(p[0], p[1], 0.3)


def test_second_derivative_of_betainc_in_a_or_b_is_refused():
    with pytest.raises(ad.NoDerivativeRuleError, match="the derivative of scipy.special.betainc"):
        ad.hessian(beta_shapes_twice)(np.array([2.0, 3.0]))
