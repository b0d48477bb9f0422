"""Derivatives at the singular points of their rules' domains: with Python
floats they compute what they compute with np.float64 (NumPy's inf and nan,
with its RuntimeWarning), never a ZeroDivisionError, OverflowError or math
domain error from arithmetic the user's code did not write (rule templates'
`/` and `**` are runtime.core.divide and runtime.core.power). The user's own
`1.0 / x` at 0 still raises, as Python does.
"""

import math
import operator
import warnings

import numpy as np
import pytest
import torch

import adcompiler as ad
from adcompiler.errors import NonFiniteError
from adcompiler.rules import registry

INF, NAN = math.inf, math.nan


def _log(v): return np.log(v)
def _log2(v): return np.log2(v)
def _log10(v): return np.log10(v)
def _log1p(v): return np.log1p(v)
def _sqrt(v): return np.sqrt(v)
def _cbrt(v): return np.cbrt(v)
def _arcsin(v): return np.arcsin(v)
def _arccos(v): return np.arccos(v)
def _arctan(v): return np.arctan(v)
def _arctanh(v): return np.arctanh(v)
def _arccosh(v): return np.arccosh(v)
def _tan(v): return np.tan(v)
def _tanh(v): return np.tanh(v)
def _reciprocal(v): return np.divide(1.0, v)
def _math_sqrt(v): return math.sqrt(v)
def _math_asin(v): return math.asin(v)
def _math_acosh(v): return math.acosh(v)
def _math_atanh(v): return math.atanh(v)
def _math_fabs(v): return math.fabs(v)
def _math_pow_half(v): return math.pow(v, 0.5)
def _pow_half(v): return v ** 0.5


# (function, its torch twin or None, the singular points of its domain)
CASES = [
    (_log, torch.log, [0.0, INF, NAN]),
    (_log2, torch.log2, [0.0]),
    (_log10, torch.log10, [0.0]),
    (_log1p, torch.log1p, [-1.0]),
    (_sqrt, torch.sqrt, [0.0, INF]),
    (_cbrt, None, [0.0]),
    (_arcsin, torch.asin, [1.0, -1.0, 1e200]),
    (_arccos, torch.acos, [1.0, -1.0, 1e200]),
    (_arctan, torch.atan, [1e200, -1e200, INF]),
    (_arctanh, torch.atanh, [1.0, -1.0]),
    (_arccosh, torch.acosh, [1.0]),
    (_tan, torch.tan, [math.pi / 2]),
    (_tanh, torch.tanh, [INF, NAN]),
    (_reciprocal, torch.reciprocal, [0.0]),
    (_math_sqrt, None, [0.0]),
    (_math_asin, None, [1.0, -1.0]),
    (_math_acosh, None, [1.0]),
    (_math_atanh, None, [0.0]),
    (_math_fabs, None, [NAN]),
    (_math_pow_half, None, [0.0]),
    (_pow_half, torch.sqrt, [0.0]),
]
IDS = [f"{function.__name__}({point})" for function, _, points in CASES for point in points]
POINTS = [(function, twin, point) for function, twin, points in CASES for point in points]

DERIVATIVES = {
    "grad": lambda f, x: ad.grad(f)(x),
    "jvp": lambda f, x: ad.jvp(f)((x,), (1.0,))[1],
    "hessian": lambda f, x: ad.hessian(f)(x),
    "third": lambda f, x: ad.grad(ad.grad(ad.grad(f)))(x),
}


def _value(result):
    return np.asarray(result, dtype=float)


@pytest.mark.parametrize("kind", sorted(DERIVATIVES))
@pytest.mark.parametrize("function, twin, point", POINTS, ids=IDS)
def test_derivative_of_python_float_equals_np_float64_at_singular_point(function, twin,
                                                                        point, kind):
    derivative = DERIVATIVES[kind]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = _value(derivative(function, np.float64(point)))
        actual = _value(derivative(function, point))
    np.testing.assert_array_equal(actual, expected)


TORCH_POINTS = [case for case in POINTS if case[1] is not None]


@pytest.mark.parametrize("function, twin, point", TORCH_POINTS,
                         ids=[f"{f.__name__}({p})" for f, _, p in TORCH_POINTS])
def test_gradient_of_python_float_at_singular_point_matches_torch(function, twin, point):
    x = torch.tensor(point, dtype=torch.float64, requires_grad=True)
    twin(x).backward()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        actual = _value(ad.grad(function)(point))
    # torch takes the limit tan'(pi/2) in float64 as we do; nan where either is nan.
    expected = x.grad.item()
    if math.isnan(expected) or math.isnan(actual):
        assert math.isnan(expected) == math.isnan(actual) or abs(point) == INF
    else:
        np.testing.assert_allclose(actual, expected, rtol=1e-12)


def _power(x, y): return x ** y
def _numpy_power(x, y): return np.power(x, y)
def _divide(x, y): return np.divide(x, y)
def _fmod(x, y): return np.fmod(x, y)
def _arctan2(y, x): return np.arctan2(y, x)
def _hypot(x, y): return np.hypot(x, y)
def _math_atan2(y, x): return math.atan2(y, x)
def _math_fmod(x, y): return math.fmod(x, y)


@pytest.mark.parametrize("function, point", [
    (_power, (0.0, 2.5)), (_power, (0.0, 0.5)), (_power, (0.0, 2.0)),
    (_divide, (1.0, 0.0)), (_divide, (0.0, 0.0)), (_fmod, (1.0, 0.0)),
    (_arctan2, (0.0, 0.0)), (_hypot, (0.0, 0.0)), (_math_atan2, (0.0, 0.0)),
    (_math_fmod, (NAN, 2.0)),
    (_power, (1.0, INF)), (_power, (2.0, INF)), (_power, (INF, 0.0)), (_power, (NAN, 0.0)),
    (_power, (INF, 1.0)), (_numpy_power, (-1.0, 0.5)), (_numpy_power, (1.0, INF)),
], ids=lambda value: getattr(value, "__name__", str(value)))
@pytest.mark.parametrize("kind", ["grad", "hessian"])
def test_two_argument_derivative_at_singular_point_equals_np_float64(function, point, kind):
    derivative = {"grad": lambda f, a: ad.grad(f, (0, 1))(*a),
                  "hessian": lambda f, a: ad.hessian(f, (0, 1))(*a)}[kind]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = _value(derivative(function, tuple(np.float64(v) for v in point)))
        actual = _value(derivative(function, point))
    np.testing.assert_array_equal(actual, expected)


@pytest.mark.parametrize("point", [(1.0, INF), (2.0, INF), (INF, 0.0), (NAN, 0.0)])
def test_gradient_of_power_at_infinite_or_nan_operand_matches_torch(point):
    x, y = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in point)
    (x ** y).backward()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for inputs in (point, tuple(np.float64(v) for v in point)):
            actual = _value(ad.grad(_power, (0, 1))(*inputs))
            np.testing.assert_array_equal(actual, [x.grad.item(), y.grad.item()])


def test_third_derivative_of_power_at_zero_base_is_infinite_as_for_np_float64():
    third = ad.grad(ad.grad(ad.grad(_power)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        assert third(0.0, 2.5) == third(np.float64(0.0), 2.5) == INF


def test_check_finite_names_the_infinite_derivative_of_log_at_zero():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(NonFiniteError, match="not finite"):
            ad.grad(_log, check_finite=True)(0.0)


def test_derivative_division_by_zero_warns_as_numpy_does():
    with pytest.warns(RuntimeWarning, match="divide by zero"):
        assert ad.grad(_log)(0.0) == INF


def _user_reciprocal(x):
    return 1.0 / x


def test_users_own_division_by_zero_still_raises_as_python_does():
    with pytest.raises(ZeroDivisionError):
        ad.grad(_user_reciprocal)(0.0)
    with pytest.raises(ZeroDivisionError):
        ad.jvp(_user_reciprocal)((0.0,), (1.0,))


def test_every_rule_template_divides_and_raises_to_powers_with_numpy_semantics():
    """No rule's template keeps a bare `/` or `**`: they are divide() and power()."""
    import gast
    for rule in registry.builtin_rules(with_scipy=True):
        for templates in (rule.adjoint, rule.tangent):
            for template in templates.values():
                for node in gast.walk(template):
                    assert not (isinstance(node, gast.BinOp) and
                                isinstance(node.op, (gast.Div, gast.Pow))), rule.name


def test_numpy_helpers_keep_python_numbers_where_python_does_not_raise():
    from adcompiler.runtime.core import divide, power
    assert type(divide(3.0, 2.0)) is float and type(power(3.0, 2.0)) is float
    assert power(2, 3) == 8 and type(power(2, 3)) is int
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        assert math.isnan(power(-8.0, 0.5)) and power(1e200, 2) == INF
        assert divide(1, 0) == INF and math.isnan(divide(0.0, 0.0))
    assert operator.truediv(3.0, 2.0) == divide(3.0, 2.0)
