"""The differentiability lint: AdWarning at the user's line, with the fix,
for code whose derivative is almost certainly not what was meant; silence
for the same code written the safe way."""

import warnings

import numpy as np
import pytest

import adcompiler as ad


def line_of(function, text):
    lines, first = __import__("inspect").getsourcelines(function)
    return first + next(i for i, line in enumerate(lines) if text in line)


def single_where_sqrt(x):
    y = np.where(x > 0, np.sqrt(x), 0.0)
    return np.sum(y)


def single_where_log(x):
    return np.sum(np.where(x > 0, np.log(x), -1.0))


def single_where_division(x):
    return np.sum(np.where(x != 0, 1.0 / x, 0.0))


def single_where_fractional_power(x):
    return np.sum(np.where(x > 0, x ** 0.5, 0.0))


def where_of_whole_powers(x):
    # Polynomials have finite derivatives of every order everywhere.
    return np.sum(np.where(x > 0.5, x ** 2, np.power(x, 3))) + np.sum(np.where(x > 0, x ** 0, x))


def softplus_with_a_cap(x):
    # log1p of an exponential: its derivative 1 / (1 + e) is finite everywhere.
    return np.sum(np.where(x > 20, x, np.log1p(np.exp(np.minimum(x, 20)))))


def single_where_log_of_an_expression(x):
    return np.sum(np.where(x > 1.0, np.log(x - 1.0), 0.0))


def single_where_division_by_an_expression(x):
    return np.sum(np.where(x > 1.0, 1.0 / (x - np.sin(x)), 0.0))


def double_where(x):
    safe = np.where(x > 0, x, 1.0)
    return np.sum(np.where(x > 0, np.sqrt(safe), 0.0))


def rounding_feeds_result(x):
    return np.sum(np.round(x) * x)


def cast_to_int_feeds_result(x):
    k = x.astype(int)
    return np.sum(k * x)


def floor_feeds_result(x):
    return np.floor(x[0]) + np.sum(x)


def argmax_as_index(x):
    i = np.argmax(x)
    return x[i] * 2.0


def floor_in_a_comparison(x):
    return np.sum(x * (np.floor(x) > 1.0))


def stopped_rounding(x):
    return np.sum(ad.stop_gradient(np.round(x)) * x)


def straight_through(x):
    return np.sum(x + ad.stop_gradient(np.round(x) - x))


WARNED = [
    (single_where_sqrt, "np.where(x > 0, np.sqrt(x), 0.0)", "double where"),
    (single_where_log, "np.where(x > 0, np.log(x), -1.0)", "double where"),
    (single_where_division, "1.0 / x", "double where"),
    (single_where_fractional_power, "x ** 0.5", "double where"),
    # (a temporary of the compiler is spelled as the user wrote it)
    (single_where_log_of_an_expression, "np.log(x - 1.0)", "np.log of x - 1.0 is evaluated"),
    (single_where_division_by_an_expression, "1.0 / (x - np.sin(x))",
     "safe = np.where(x > 1.0, x - np.sin(x), 1.0), then np.where(x > 1.0, ... / safe"),
    (rounding_feeds_result, "np.round(x) * x", "derivative is zero almost everywhere"),
    (cast_to_int_feeds_result, "x.astype(int)", "derivative is zero almost everywhere"),
    (floor_feeds_result, "np.floor(x[0])", "stop_gradient"),
]
def argmax_returned_beside_the_loss(x):
    return np.sum(x ** 2), {"largest": np.argmax(x)}


SILENT = [double_where, where_of_whole_powers, softplus_with_a_cap, argmax_as_index, floor_in_a_comparison, stopped_rounding,
          straight_through, argmax_returned_beside_the_loss]


def compile_all_modes(function):
    for make in (ad.grad, ad.jvp):
        make(function)


@pytest.mark.parametrize("function, line_text, fix", WARNED,
                         ids=[w[0].__name__ for w in WARNED])
def test_the_lint_warns_at_the_users_line_with_the_fix(function, line_text, fix):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        compile_all_modes(function)
    found = [w for w in caught if issubclass(w.category, ad.AdWarning)]
    assert found, f"no AdWarning for {function.__name__}"
    assert found[0].filename == __file__
    assert found[0].lineno == line_of(function, line_text)
    assert fix in str(found[0].message)


@pytest.mark.parametrize("function", SILENT, ids=[f.__name__ for f in SILENT])
def test_the_safe_spelling_compiles_without_a_warning(function):
    with warnings.catch_warnings():
        warnings.simplefilter("error", ad.AdWarning)
        compile_all_modes(function)


def test_a_warning_is_issued_once_per_line_not_per_mode_or_variant():
    def repeated(x):
        return np.sum(np.where(x > 1.0, np.log(x - 1.0), 0.0))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        ad.grad(repeated)
        ad.jvp(repeated)
        ad.hessian(repeated)
    assert len([w for w in caught if issubclass(w.category, ad.AdWarning)]) == 1


def test_an_integer_array_argument_is_differentiated_as_float_with_a_warning():
    def square(x):
        return np.sum(x ** 2)
    with pytest.warns(ad.AdWarning, match="dtype int64.*float64") as caught:
        gradient = ad.grad(square)(np.arange(3))
    ours = [w for w in caught if issubclass(w.category, ad.AdWarning)]
    assert ours[0].filename == __file__, [(w.category, w.filename, str(w.message)) for w in caught]
    assert gradient.dtype == np.float64
    np.testing.assert_array_equal(gradient, [0.0, 2.0, 4.0])


def test_a_python_int_argument_is_a_number_like_a_float_without_a_warning():
    def cube(x):
        return x ** 3
    with warnings.catch_warnings():
        warnings.simplefilter("error", ad.AdWarning)
        assert ad.grad(cube)(2) == 12.0
