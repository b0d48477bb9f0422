"""Python lists and tuples of floats passed where NumPy takes arrays, at first
and second order: every derivative matches torch.autograd in float64 (the
argument as torch.tensor(list)), or is refused with an adcompiler error,
never wrong and never a raw exception.

NumPy reads `np.sin([a, b])` as `np.sin(np.asarray([a, b]))`, while Python's
operators on a list join, repeat or raise: generated code reads a list as an
array where a rule's template does arithmetic on it (passes/sequence_operands.py).
Two programs of this table crashed or were refused before (Hessian of a
function handing a list to a helper: the adjoint restores the list from the
stack, `v = _stack.pop()`, a name then not known to hold a list; grad of a
gradient whose list's adjoint gathered an array: `add_adjoints`' adjoint
handed the array a list, which the next template repeated).
"""

import numpy as np
import pytest
import torch

import adcompiler as ad
from adcompiler.errors import AdError

W = np.array([[0.5, -0.2, 0.1], [0.3, 0.8, -0.4], [-0.6, 0.2, 0.9]])
WEIGHTS = np.array([1.5, -0.5, 2.0])
XS = [0.3, -0.7, 0.45]
YS = [0.6, -0.2, 0.1]
DIRECTION = [0.2, -1.0, 0.5]


def t(value):
    return torch.tensor(value, dtype=torch.float64)


# -- helpers the programs call -----------------------------------------------
def wave(v):
    return np.sin(v)


def bumps(v):
    return np.exp(v) * np.cos(v)


def wave_of_bumps(v):
    return wave(bumps(v))


def scaled_square(v, factor):
    return np.square(np.multiply(v, factor))


# -- programs of a list (or tuple) argument xs, differentiated in xs ---------
def sin_sum(xs):
    return np.sum(np.sin(xs))


def multiply_then_square(xs):
    return np.sum(np.multiply(xs, 3.0) ** 2)


def exp_of_negative(xs):
    return np.sum(np.exp(np.negative(xs)))


def square_times_cos(xs):
    return np.sum(np.square(xs) * np.cos(xs))


def cube_by_power(xs):
    return np.sum(np.power(xs, 3.0))


def log1p_of_square(xs):
    return np.sum(np.log1p(np.square(xs)))


def tanh_weighted(xs, w):
    return np.sum(np.tanh(xs) * w)


def maximum_of_two_lists(xs, ys):
    return np.sum(np.maximum(xs, ys) ** 2 * np.sin(xs))


def minimum_with_a_number(xs):
    return np.sum(np.minimum(xs, 0.2) * np.sin(xs))


def relu_times_itself(xs):
    return np.sum(np.maximum(xs, 0.0) * np.exp(xs))


def clip_times_exp(xs):
    return np.sum(np.clip(xs, -0.5, 0.4) * np.exp(xs))


def dot_with_itself(xs):
    return np.dot(xs, xs) * np.sum(np.sin(xs))


def dot_with_a_matrix(xs, w):
    return np.dot(np.tanh(np.dot(w, xs)), xs)


def helper_of_a_list(xs, w):
    return np.sum(wave(xs) * w)


def helper_with_two_uses(xs):
    return np.sum(bumps(xs) * np.sin(xs))


def helper_of_a_helper(xs):
    return np.sum(wave_of_bumps(xs))


def helper_called_twice(xs):
    return np.sum(scaled_square(xs, 2.0) + scaled_square(xs, -0.5) * np.cos(xs))


def loop_of_scaled_tanh(xs):
    total = 0.0
    for i in range(3):
        total = total + np.sum(np.tanh(np.multiply(xs, i + 1.0)))
    return total


def loop_over_entries(xs):
    total = 0.0
    for x in xs:
        total = total + np.sin(x) * x
    return total


def loop_calling_a_helper(xs, w):
    total = 0.0
    for i in range(2):
        total = total + np.sum(wave(xs) * w * (i + 1.0))
    return total


def list_of_entries(xs):
    pair = [xs[0] * xs[1], xs[2]]
    return np.sum(np.exp(pair) * np.multiply(pair, 2.0))


def arctan2_of_two_lists(xs, ys):
    return np.sum(np.arctan2(xs, ys) * np.cos(xs))


def hypot_of_two_lists(xs, ys):
    return np.sum(np.hypot(xs, ys) ** 2)


def sqrt_of_shifted(xs):
    return np.sum(np.sqrt(np.add(xs, 2.0)) * np.sin(xs))


def reciprocal_of_shifted(xs):
    return np.sum(np.divide(1.0, np.add(xs, 2.0)))


def cosh_over_shifted(xs):
    return np.sum(np.cosh(xs) / np.add(xs, 3.0))


def sin_times_cos_of_other(xs, ys):
    return np.sum(np.sin(xs) * np.cos(ys) * np.exp(xs))


def dot_of_list_displays(xs):
    return np.dot([xs[0], xs[1]], [xs[2], 2.0]) * np.sum(np.sin(xs))


def expm1_weighted(xs, w):
    return np.sum(np.expm1(xs) * w)


# name -> (function, torch twin of the same arguments, arguments after xs)
PROGRAMS = {
    "sin_sum": (sin_sum, lambda x: torch.sum(torch.sin(x)), ()),
    "multiply_then_square": (multiply_then_square, lambda x: torch.sum((x * 3.0) ** 2), ()),
    "exp_of_negative": (exp_of_negative, lambda x: torch.sum(torch.exp(-x)), ()),
    "square_times_cos": (square_times_cos, lambda x: torch.sum(x ** 2 * torch.cos(x)), ()),
    "cube_by_power": (cube_by_power, lambda x: torch.sum(x ** 3), ()),
    "log1p_of_square": (log1p_of_square, lambda x: torch.sum(torch.log1p(x ** 2)), ()),
    "tanh_weighted": (tanh_weighted, lambda x, w: torch.sum(torch.tanh(x) * t(w)), (WEIGHTS,)),
    "maximum_of_two_lists": (maximum_of_two_lists, lambda x, y: torch.sum(
        torch.maximum(x, t(y)) ** 2 * torch.sin(x)), (YS,)),
    "minimum_with_a_number": (minimum_with_a_number, lambda x: torch.sum(
        torch.clamp(x, max=0.2) * torch.sin(x)), ()),
    "relu_times_itself": (relu_times_itself, lambda x: torch.sum(
        torch.relu(x) * torch.exp(x)), ()),
    "clip_times_exp": (clip_times_exp, lambda x: torch.sum(
        torch.clamp(x, -0.5, 0.4) * torch.exp(x)), ()),
    "dot_with_itself": (dot_with_itself, lambda x: torch.dot(x, x) * torch.sum(torch.sin(x)), ()),
    "dot_with_a_matrix": (dot_with_a_matrix, lambda x, w: torch.dot(
        torch.tanh(t(w) @ x), x), (W,)),
    "helper_of_a_list": (helper_of_a_list, lambda x, w: torch.sum(torch.sin(x) * t(w)),
                         (WEIGHTS,)),
    "helper_with_two_uses": (helper_with_two_uses, lambda x: torch.sum(
        torch.exp(x) * torch.cos(x) * torch.sin(x)), ()),
    "helper_of_a_helper": (helper_of_a_helper, lambda x: torch.sum(
        torch.sin(torch.exp(x) * torch.cos(x))), ()),
    "helper_called_twice": (helper_called_twice, lambda x: torch.sum(
        (x * 2.0) ** 2 + (x * -0.5) ** 2 * torch.cos(x)), ()),
    "loop_of_scaled_tanh": (loop_of_scaled_tanh, lambda x: sum(
        torch.sum(torch.tanh(x * (i + 1.0))) for i in range(3)), ()),
    "loop_over_entries": (loop_over_entries, lambda x: torch.sum(torch.sin(x) * x), ()),
    "loop_calling_a_helper": (loop_calling_a_helper, lambda x, w: sum(
        torch.sum(torch.sin(x) * t(w) * (i + 1.0)) for i in range(2)), (WEIGHTS,)),
    "list_of_entries": (list_of_entries, lambda x: torch.sum(
        torch.exp(torch.stack([x[0] * x[1], x[2]])) * torch.stack([x[0] * x[1], x[2]]) * 2.0),
        ()),
    "arctan2_of_two_lists": (arctan2_of_two_lists, lambda x, y: torch.sum(
        torch.atan2(x, t(y)) * torch.cos(x)), (YS,)),
    "hypot_of_two_lists": (hypot_of_two_lists, lambda x, y: torch.sum(
        torch.hypot(x, t(y)) ** 2), (YS,)),
    "sqrt_of_shifted": (sqrt_of_shifted, lambda x: torch.sum(
        torch.sqrt(x + 2.0) * torch.sin(x)), ()),
    "reciprocal_of_shifted": (reciprocal_of_shifted, lambda x: torch.sum(1.0 / (x + 2.0)), ()),
    "cosh_over_shifted": (cosh_over_shifted, lambda x: torch.sum(torch.cosh(x) / (x + 3.0)), ()),
    "sin_times_cos_of_other": (sin_times_cos_of_other, lambda x, y: torch.sum(
        torch.sin(x) * torch.cos(t(y)) * torch.exp(x)), (YS,)),
    "dot_of_list_displays": (dot_of_list_displays, lambda x: (
        x[0] * x[2] + x[1] * 2.0) * torch.sum(torch.sin(x)), ()),
    "expm1_weighted": (expm1_weighted, lambda x, w: torch.sum(torch.expm1(x) * t(w)),
                       (WEIGHTS,)),
}

# (program, how) pairs refused with an adcompiler error rather than computed:
# kept here so that a derivative which becomes refused fails this test.
REFUSED: set = set()


def _torch_derivatives(twin, others):
    """The gradient and Hessian of the twin at XS, with torch float64."""
    def scalar(x):
        return twin(x, *others)
    x = t(XS).requires_grad_(True)
    (gradient,) = torch.autograd.grad(scalar(x), x)
    hessian = torch.autograd.functional.hessian(scalar, t(XS))
    return gradient.numpy(), hessian.numpy()


def _derivative(how, function, xs, others):
    """What adcompiler computes, as an array, `how` being one of HOWS."""
    if how == "grad":
        return ad.grad(function)(xs, *others)
    if how == "forward grad":
        return ad.grad(function, mode="forward")(xs, *others)
    if how == "jvp":
        return ad.jvp(function)((xs, *others), (type(xs)(DIRECTION),))[1]
    if how == "hessian":
        return ad.hessian(function)(xs, *others)
    if how == "hvp":
        return ad.hvp(function)((xs, *others), (type(xs)(DIRECTION),))
    raise AssertionError(how)


HOWS = ("grad", "forward grad", "jvp", "hessian", "hvp")


def _expected(how, gradient, hessian):
    return {"grad": gradient, "forward grad": gradient, "jvp": gradient @ DIRECTION,
            "hessian": hessian, "hvp": hessian @ DIRECTION}[how]


@pytest.mark.parametrize("kind", [list, tuple])
@pytest.mark.parametrize("how", HOWS)
@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_list_argument_derivative_matches_torch(name, how, kind):
    function, twin, others = PROGRAMS[name]
    xs = kind(XS)
    gradient, hessian = _torch_derivatives(twin, others)
    try:
        result = _derivative(how, function, xs, others)
    except AdError:
        assert (name, how) in REFUSED, f"{name}: {how} refused"
        return
    assert (name, how) not in REFUSED, f"{name}: {how} is computed now: update REFUSED"
    assert xs == kind(XS), "the argument was changed"
    np.testing.assert_allclose(np.array(result, dtype=float), _expected(how, gradient, hessian),
                               rtol=1e-10, atol=1e-12)


# -- grad of a gradient: scalar programs that build lists and hand them on ---
def sin_of_scaled_display(s):
    return np.sum(np.sin(np.multiply([s, 2.0 * s], 3.0)))


def helper_of_a_display(s):
    return np.sum(wave([s, s * s]) * WEIGHTS[:2])


def clip_of_a_display(s):
    return np.sum(np.clip([s, 3.0 * s], -0.5, 0.5) * np.exp([s, -s]))


def maximum_of_displays(s):
    return np.sum(np.maximum([s, -s], [0.1, 0.2]) * np.cos([s, s]))


def dot_of_a_display(s):
    return np.dot([s, s * s, 1.0], np.tanh(np.dot(W, [s, 2.0 * s, -s])))


def tuple_display_to_a_helper(s):
    return np.sum(bumps((s, 0.5 * s)))


def loop_of_displays(s):
    total = 0.0
    for i in range(3):
        total = total + np.sum(np.square(np.multiply([s, s + i], 0.5)))
    return total


def negative_of_a_display(s):
    return np.sum(np.exp(np.negative([s, 2.0 * s])) * np.power([s, s], 2.0))


# name -> (function, torch twin)
SCALAR_PROGRAMS = {
    "sin_of_scaled_display": (sin_of_scaled_display, lambda s: torch.sum(
        torch.sin(torch.stack([s, 2.0 * s]) * 3.0))),
    "helper_of_a_display": (helper_of_a_display, lambda s: torch.sum(
        torch.sin(torch.stack([s, s * s])) * t(WEIGHTS[:2]))),
    "clip_of_a_display": (clip_of_a_display, lambda s: torch.sum(
        torch.clamp(torch.stack([s, 3.0 * s]), -0.5, 0.5) * torch.exp(torch.stack([s, -s])))),
    "maximum_of_displays": (maximum_of_displays, lambda s: torch.sum(
        torch.maximum(torch.stack([s, -s]), t([0.1, 0.2])) * torch.cos(torch.stack([s, s])))),
    "dot_of_a_display": (dot_of_a_display, lambda s: torch.dot(
        torch.stack([s, s * s, t(1.0)]), torch.tanh(t(W) @ torch.stack([s, 2.0 * s, -s])))),
    "tuple_display_to_a_helper": (tuple_display_to_a_helper, lambda s: torch.sum(
        torch.exp(torch.stack([s, 0.5 * s])) * torch.cos(torch.stack([s, 0.5 * s])))),
    "loop_of_displays": (loop_of_displays, lambda s: sum(
        torch.sum((torch.stack([s, s + i]) * 0.5) ** 2) for i in range(3))),
    "negative_of_a_display": (negative_of_a_display, lambda s: torch.sum(
        torch.exp(-torch.stack([s, 2.0 * s])) * torch.stack([s, s]) ** 2)),
}

SCALAR_HOWS = ("grad of grad", "hessian", "hvp", "forward grad of grad")
SCALAR_REFUSED: set = set()
POINT = 0.35


def _second_derivative(how, function):
    if how == "grad of grad":
        return ad.grad(ad.grad(function))(POINT)
    if how == "forward grad of grad":
        return ad.grad(ad.grad(function), mode="forward")(POINT)
    if how == "hessian":
        return ad.hessian(function)(POINT)
    if how == "hvp":
        return ad.hvp(function)((POINT,), (1.0,))
    raise AssertionError(how)


@pytest.mark.parametrize("how", SCALAR_HOWS)
@pytest.mark.parametrize("name", sorted(SCALAR_PROGRAMS))
def test_second_derivative_through_built_lists_matches_torch(name, how):
    function, twin = SCALAR_PROGRAMS[name]
    expected = torch.autograd.functional.hessian(twin, t(POINT)).item()
    try:
        result = _second_derivative(how, function)
    except AdError:
        assert (name, how) in SCALAR_REFUSED, f"{name}: {how} refused"
        return
    assert (name, how) not in SCALAR_REFUSED, f"{name}: {how} is computed now"
    np.testing.assert_allclose(float(result), expected, rtol=1e-10, atol=1e-12)


# -- a gradient's own result differentiated again, the argument a list -------
def sin_squared(xs):
    return np.sum(np.sin(xs) ** 2)


SIN_SQUARED_VALUE_AND_GRAD = ad.value_and_grad(sin_squared)


def value_through_value_and_grad(xs):
    return SIN_SQUARED_VALUE_AND_GRAD(xs)[0]


def gradient_entry_through_value_and_grad(xs):
    return SIN_SQUARED_VALUE_AND_GRAD(xs)[1][0] * xs[1]


@pytest.mark.parametrize("how", ["grad", "forward grad"])
@pytest.mark.parametrize("function, twin", [
    (value_through_value_and_grad, lambda x: torch.sum(torch.sin(x) ** 2)),
    (gradient_entry_through_value_and_grad,
     lambda x: 2.0 * torch.sin(x[0]) * torch.cos(x[0]) * x[1]),
], ids=["value", "gradient entry"])
def test_gradient_code_of_a_list_differentiated_again_matches_torch(function, twin, how):
    # autograd's test_value_and_grad with a list: the gradient's as_gradient
    # makes a list of an array, whose adjoint reached that array as a list
    # and was then repeated by `* np.cos(x)` (refused when it ran).
    x = t(XS).requires_grad_(True)
    (expected,) = torch.autograd.grad(twin(x), x)
    result = _derivative(how, function, list(XS), ())
    np.testing.assert_allclose(np.array(result, dtype=float), expected.numpy(),
                               rtol=1e-10, atol=1e-12)
