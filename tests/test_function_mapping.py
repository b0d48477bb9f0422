"""Mapping a function over an array: np.apply_along_axis(f, axis, a) and
np.vectorize(f)(x, ...) are written as the loops NumPy runs
(passes/lower_mapping.py).

Their values are NumPy's own, shape and dtype included (checked against
NumPy itself on many shapes and axes), and their derivatives are checked
against torch.autograd in float64: reverse and forward mode, Hessians.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import adcompiler as ad
from adcompiler import pipeline

from oracles import assert_close, torch_directional, torch_gradients

torch.set_default_dtype(torch.float64)
RNG = np.random.default_rng(7)


def torch_apply_along_axis(func1d, axis, t):
    """NumPy's apply_along_axis written with torch, for the derivatives: f on
    each row along `axis` (the others in C order), its result's axes where
    `axis` was."""
    axis = axis % t.ndim
    moved = torch.movedim(t, axis, -1)
    rows = moved.reshape(-1, moved.shape[-1])
    results = torch.stack([torch.as_tensor(func1d(row)) for row in rows])
    own = results.ndim - 1
    stacked = results.reshape(tuple(moved.shape[:-1]) + tuple(results.shape[1:]))
    before = list(range(axis))
    return stacked.permute(before + list(range(t.ndim - 1, t.ndim - 1 + own)) +
                           list(range(axis, t.ndim - 1)))


# -- np.apply_along_axis: functions of (x, axis) ------------------------------
def squared_rows(x, axis):
    return np.apply_along_axis(lambda r: r * r, axis, x)


def summed_rows(x, axis):
    return np.apply_along_axis(lambda r: np.sum(r * np.sin(r)), axis, x)


def outer_products(x, axis):
    return np.apply_along_axis(lambda r: np.outer(r, r[::-1]), axis, x)


def first_times_last(x, axis):
    return np.apply_along_axis(lambda r: float(r[0] * r[-1]), axis, x)


def cumulative(row, scale=1.0):
    return np.cumsum(row) * row[0] * scale


def module_function_with_keyword(x, axis):
    return np.apply_along_axis(cumulative, axis, x, scale=0.5)


def local_function_with_arguments(x, axis):
    def weighted(row, power, offset=0.0):
        return np.sum(row ** power) + offset * row[0]
    return np.apply_along_axis(weighted, axis, x, 2, offset=3.0)


def sorted_rows(x, axis):
    return np.apply_along_axis(sorted, axis, x)


APPLIED = {
    "squared_rows": (squared_rows, lambda r: r * r),
    "summed_rows": (summed_rows, lambda r: torch.sum(r * torch.sin(r))),
    "outer_products": (outer_products, lambda r: torch.outer(r, torch.flip(r, (0,)))),
    "first_times_last": (first_times_last, lambda r: r[0] * r[-1]),
    "module_function_with_keyword": (module_function_with_keyword,
                                     lambda r: torch.cumsum(r, 0) * r[0] * 0.5),
    "local_function_with_arguments": (local_function_with_arguments,
                                      lambda r: torch.sum(r ** 2) + 3.0 * r[0]),
    "sorted_rows": (sorted_rows, lambda r: torch.sort(r).values),
}
SHAPES_AND_AXES = [(shape, axis) for shape in [(5,), (3, 4), (2, 3, 4), (2, 1, 3)]
                   for axis in range(-len(shape), len(shape))]


@pytest.mark.parametrize("name", sorted(APPLIED))
def test_apply_along_axis_value_is_numpys_and_its_jvp_matches_torch(name):
    function, row_twin = APPLIED[name]
    derivative = ad.jvp(function)
    for shape, axis in SHAPES_AND_AXES:
        x = RNG.normal(size=shape)
        tangent = RNG.normal(size=shape)
        value, directional = derivative((x, axis), (tangent,))
        expected = function(x, axis)   # NumPy's apply_along_axis itself
        assert value.shape == expected.shape and value.dtype == expected.dtype, (shape, axis)
        assert np.array_equal(value, expected), (shape, axis)
        _, expected_directional = torch_directional(
            lambda t, a: torch_apply_along_axis(row_twin, a, t), (x, axis), (0,), (tangent,))
        assert_close(directional, expected_directional, label=f"{name} {shape} axis {axis}")


def loss_of_rows(x):
    return np.sum(np.tanh(np.apply_along_axis(lambda r: np.outer(r, r), -1, x)))


def loss_of_row_norms(x, w):
    norms = np.apply_along_axis(lambda r: np.sqrt(np.sum(r * r * w[: len(r)])), 0, x)
    return np.sum(norms * norms * norms)


def loss_of_scalar_rows(x):
    return np.sum(np.sin(np.apply_along_axis(lambda r: r[0] * r[1] + r[-1] ** 2, 1, x)))


def applied_inside_a_local_function_in_a_loop(x):
    def scaled_columns(z):
        return np.apply_along_axis(lambda r: r * z[0, 0], 0, z)
    total = 0.0
    for k in range(2):
        if np.sum(np.apply_along_axis(np.sum, 1, x)) > 0:
            total = total + np.sum(scaled_columns(x * (k + 1.0)))
    return total


def applied_to_what_another_applied(x):
    return np.sum(np.apply_along_axis(lambda r: r ** 2, 0,
                                      np.apply_along_axis(np.sin, 1, x)))


DERIVATIVES = {
    "applied_inside_a_local_function_in_a_loop": (
        applied_inside_a_local_function_in_a_loop,
        lambda x: sum(torch.sum(x * (k + 1.0) * x[0, 0] * (k + 1.0)) for k in range(2)),
        (RNG.uniform(0.2, 1.0, size=(2, 3)),)),
    "applied_to_what_another_applied": (applied_to_what_another_applied,
                                        lambda x: torch.sum(torch.sin(x) ** 2),
                                        (RNG.normal(size=(3, 2)),)),
    "loss_of_rows": (loss_of_rows, lambda x: torch.sum(torch.tanh(
        torch_apply_along_axis(lambda r: torch.outer(r, r), -1, x))), (RNG.normal(size=(2, 3, 3)),)),
    "loss_of_row_norms": (loss_of_row_norms, lambda x, w: torch.sum(torch_apply_along_axis(
        lambda r: torch.sqrt(torch.sum(r * r * w[: len(r)])), 0, x) ** 3),
        (RNG.normal(size=(3, 4)), RNG.uniform(0.5, 1.5, size=4))),
    "loss_of_scalar_rows": (loss_of_scalar_rows, lambda x: torch.sum(torch.sin(
        torch_apply_along_axis(lambda r: r[0] * r[1] + r[-1] ** 2, 1, x))),
        (RNG.normal(size=(3, 4, 2)),)),
}


def _check_gradients_and_hessian(function, twin, args):
    wrt = tuple(range(len(args)))
    expected = torch_gradients(twin, args, wrt)
    for mode in ("reverse", "forward"):
        actual = ad.grad(function, wrt=wrt, mode=mode)(*args)
        for got, want in zip(actual, expected):
            assert_close(got, want, label=mode)
    x = torch.tensor(args[0])
    rest = [torch.tensor(np.asarray(a, dtype=float)) for a in args[1:]]
    hessian = torch.autograd.functional.hessian(lambda t: twin(t, *rest), x).numpy()
    assert_close(ad.hessian(function)(*args), hessian, label="hessian")


@pytest.mark.parametrize("name", sorted(DERIVATIVES))
def test_apply_along_axis_gradients_and_hessian_match_torch(name):
    function, twin, args = DERIVATIVES[name]
    before = [np.copy(a) for a in args]
    _check_gradients_and_hessian(function, twin, args)
    assert all(np.array_equal(a, b) for a, b in zip(args, before))   # inputs untouched


# -- np.vectorize ------------------------------------------------------------
def smooth(v):
    return v * v + np.sin(v)


VECTORIZED_SMOOTH = np.vectorize(smooth)


@np.vectorize
def soft_plus_or_scaled(v, scale=1.0):
    if v > 0.0:
        return v * scale
    return math.log1p(math.exp(v))


def vectorized_inline(x):
    return np.vectorize(smooth)(x)


def vectorized_lambda_with_otypes(x):
    return np.vectorize(lambda v: v ** 3 - v, otypes=[float])(x)


def vectorized_module_level(x):
    return VECTORIZED_SMOOTH(x)


def vectorized_decorated(x):
    return soft_plus_or_scaled(x, scale=2.0)


def vectorized_name_bound_once(x):
    def cube(v):
        return v * v * v
    cubed = np.vectorize(cube)
    return cubed(x) + cubed(x * 2.0)


VECTORIZED = {
    "vectorized_inline": (vectorized_inline, lambda t: t * t + torch.sin(t)),
    "vectorized_lambda_with_otypes": (vectorized_lambda_with_otypes, lambda t: t ** 3 - t),
    "vectorized_module_level": (vectorized_module_level, lambda t: t * t + torch.sin(t)),
    "vectorized_decorated": (vectorized_decorated,
                             lambda t: torch.where(t > 0, 2.0 * t, torch.nn.functional.softplus(t))),
    "vectorized_name_bound_once": (vectorized_name_bound_once, lambda t: t ** 3 + (2.0 * t) ** 3),
}
VECTORIZE_ARGUMENTS = [RNG.normal(size=(4,)), RNG.normal(size=(2, 3)), np.array(0.7), 1.5,
                       np.float64(-0.3), RNG.normal(size=(2, 1, 2))]


@pytest.mark.parametrize("name", sorted(VECTORIZED))
def test_vectorize_value_is_numpys_and_its_jvp_matches_torch(name):
    function, twin = VECTORIZED[name]
    derivative = ad.jvp(function)
    for x in VECTORIZE_ARGUMENTS:
        tangent = RNG.normal(size=np.shape(x)) if np.shape(x) else 0.5
        value, directional = derivative((x,), (tangent,))
        expected = function(x)   # NumPy's vectorize itself
        assert type(value) is type(expected) and value.dtype == expected.dtype, x
        assert np.shape(value) == np.shape(expected) and np.array_equal(value, expected), x
        _, expected_directional = torch_directional(twin, (x,), (0,), (tangent,))
        assert_close(directional, expected_directional, label=f"{name} {np.shape(x)}")


@pytest.mark.parametrize("name", sorted(VECTORIZED))
def test_vectorize_gradients_and_hessian_match_torch(name):
    function, twin = VECTORIZED[name]

    def loss(x):
        return np.sum(np.tanh(function(x)))

    _check_gradients_and_hessian(loss, lambda t: torch.sum(torch.tanh(twin(t))),
                                 (RNG.normal(size=(2, 3)),))
    assert_close(ad.grad(loss)(0.4), torch_gradients(
        lambda t: torch.sum(torch.tanh(twin(t))), (0.4,), (0,))[0], label="Python float")


def weighted_difference(a, b, weight=1.0):
    return (a - b) ** 2 * weight


def vectorized_broadcast(x, y, w):
    return np.sum(np.vectorize(weighted_difference)(x[:, None], y, weight=w) * x[:, None])


def test_vectorize_broadcasts_its_arguments_and_keywords_matching_torch():
    x, y, w = RNG.normal(size=3), RNG.normal(size=4), RNG.uniform(0.5, 2.0, size=4)

    def twin(x, y, w):
        return torch.sum((x[:, None] - y) ** 2 * w * x[:, None])

    _check_gradients_and_hessian(vectorized_broadcast, twin, (x, y, w))


def vectorized_first_result_is_an_int(x):
    # NumPy calls the function once on x's first entry, a NumPy scalar, and
    # makes every result of its type: here int, truncating the others.
    return np.vectorize(lambda v: 1 if v > 0 else v * 2.5)(x)


def vectorized_first_result_float32(x):
    return np.vectorize(lambda v: v * 2.0)(x.astype(np.float32))


def vectorized_integer_otypes(x):
    return np.vectorize(lambda v: v * 3.7, otypes="l")(x) + x


@pytest.mark.parametrize("function", [vectorized_first_result_is_an_int,
                                      vectorized_first_result_float32,
                                      vectorized_integer_otypes])
def test_vectorize_result_dtype_is_the_one_numpy_decides(function):
    for x in (np.array([0.5, -1.25, 2.0]), np.array([-0.5, 1.25, 2.0])):
        value, _ = ad.jvp(function)((x,), (np.ones(3),))
        expected = function(x)
        assert value.dtype == expected.dtype and np.array_equal(value, expected)


# -- NumPy's own errors, and what is refused ------------------------------------
def applied_over_nothing(x):
    return np.apply_along_axis(np.sum, 1, x)


def applied_along_a_missing_axis(x):
    return np.apply_along_axis(np.sum, 2, x)


def vectorized_over_nothing(x):
    return np.vectorize(smooth)(x)


@pytest.mark.parametrize("function, x, error", [
    (applied_over_nothing, np.ones((0, 3)), ValueError),
    (applied_along_a_missing_axis, np.ones((2, 3)), np.exceptions.AxisError),
    (vectorized_over_nothing, np.ones(0), ValueError),
])
def test_numpys_errors_are_raised_where_numpy_raises_them(function, x, error):
    with pytest.raises(error) as expected:
        function(x)
    with pytest.raises(error) as actual:
        ad.jvp(function)((x,), (np.ones_like(x),))
    assert str(actual.value) == str(expected.value)


def applied_rows_of_two_shapes(x):
    return np.sum(np.apply_along_axis(lambda r: r if r[0] > 0 else np.sum(r), 1, x))


def vectorized_pairs(x):
    return np.sum(np.vectorize(lambda v: (v, v * v))(x)[0])


def vectorized_list_of_numpy_scalars(x):
    # NumPy hands the function x[0] itself, a NumPy scalar, not a Python float
    return np.sum(np.vectorize(smooth)([x[0, 0], x[1, 1]]))


@pytest.mark.parametrize("function, what", [
    (applied_rows_of_two_shapes, "NumPy broadcasts the later results"),
    (vectorized_pairs, "returning several results (a tuple)"),
    (vectorized_list_of_numpy_scalars, "hands to the function as they are"),
])
def test_what_numpy_would_compute_otherwise_is_refused_when_it_runs(function, what):
    x = np.array([[1.0, 2.0], [-1.0, 3.0]])
    with pytest.raises(ad.UnsupportedSyntaxError) as caught:
        ad.grad(function)(x)
    assert what in str(caught.value)


SMOOTH_WITH_A_SIGNATURE = np.vectorize(smooth, signature="()->()")


def vectorized_with_a_signature(x):
    return np.sum(SMOOTH_WITH_A_SIGNATURE(x))


def vectorized_in_a_branch(x, flag):
    square = np.vectorize(lambda v: v * v)
    return np.sum(square(x) if flag else x)


def test_forms_that_are_not_mapped_exactly_are_refused_naming_the_line():
    x = np.array([0.5, 2.0])
    with pytest.raises(ad.NoDerivativeRuleError) as caught:
        ad.grad(vectorized_with_a_signature)(x)
    assert "np.vectorize(smooth)" in str(caught.value)
    with pytest.raises(ad.UnsupportedSyntaxError) as caught:
        ad.grad(vectorized_in_a_branch)(x, True)
    message = str(caught.value)
    assert "calling 'square'" in message and "y = square(x)" in message
    assert f"test_function_mapping.py:{vectorized_in_a_branch.__code__.co_firstlineno + 2}" \
        in message


def test_the_lowered_loop_reads_like_the_one_numpy_runs():
    text = pipeline.dump(squared_rows, "lower")
    assert "along_axis_rows_shape(np.shape(x), axis)" in text
    assert "np.reshape(np.moveaxis(x, axis, -1), along_shape)" in text
    assert "along_results.append(" in text


# -- dict(X, k=v) and dict(X, **kw) -------------------------------------------
# (passes/lower_comprehensions.py; autograd's test_dict builds dict([("a", x)], b=x))
def weighted_by_position(d):
    """Each entry's sum times its position (1, 2, ...): the dict's order counts."""
    total = 0.0
    for position, key in enumerate(d):
        total = total + (position + 1.0) * np.sum(d[key])
    return total


def dict_of_pairs_and_a_keyword(x):
    return weighted_by_position(dict([("a", x), ("b", 2.0)], b=x * x))


def dict_of_a_display_and_keywords(x):
    return weighted_by_position(dict({"a": np.sin(x), "c": x}, b=x * 3.0, a=x ** 3))


def dict_copied_and_updated(x):
    base = {"b": x, "a": 2.0 * x}
    return weighted_by_position(dict(base, b=np.exp(x), c=x))


def dict_updated_from_a_dict(x, options):
    return weighted_by_position(dict({"a": x}, **options))


DICTS = {
    "dict_of_pairs_and_a_keyword": (dict_of_pairs_and_a_keyword, lambda t: t + 2.0 * t * t),
    "dict_of_a_display_and_keywords": (dict_of_a_display_and_keywords,
                                       lambda t: t ** 3 + 2.0 * t + 3.0 * 3.0 * t),
    "dict_copied_and_updated": (dict_copied_and_updated,
                                lambda t: torch.exp(t) + 2.0 * 2.0 * t + 3.0 * t),
}


@pytest.mark.parametrize("name", sorted(DICTS))
def test_dict_with_keywords_matches_python_and_torch(name):
    function, twin = DICTS[name]
    x = np.array([0.3, -1.2])
    value, _ = ad.jvp(function)((x,), (np.ones(2),))
    assert value == function(x)
    _check_gradients_and_hessian(function, lambda t: torch.sum(twin(t)), (x,))
    assert_close(ad.grad(function)(0.7), torch_gradients(
        lambda t: torch.sum(twin(t)), (0.7,), (0,))[0], label="Python float")


def test_dict_updated_from_a_dict_keeps_pythons_order_and_errors():
    x, options = np.array([0.5, 2.0]), {"b": 1.5, "c": -2.0}
    (expected,) = torch_gradients(lambda t: torch.sum(t), (x,), (0,))
    for mode in ("reverse", "forward"):
        assert_close(ad.grad(dict_updated_from_a_dict, mode=mode)(x, options), expected)
    assert ad.value_and_grad(dict_updated_from_a_dict)(x, options)[0] == \
        dict_updated_from_a_dict(x, options)
    with pytest.raises(TypeError, match="keywords must be strings"):
        ad.grad(dict_updated_from_a_dict)(x, {1: 2.0})


def autograds_make_dict(x):
    return dict([("a", x)], b=x)


def test_autograds_make_dict_returns_the_dict_and_its_vjp():
    assert ad.vjp(autograds_make_dict)((1.0,), {"a": 1.0, "b": 2.0}) == 3.0
    value, tangent = ad.jvp(autograds_make_dict)((1.5,), (1.0,))
    assert value == {"a": 1.5, "b": 1.5} and list(value) == ["a", "b"]
    assert tangent == {"a": 1.0, "b": 1.0}


def display_repeating_a_key(x):
    # Python keeps 'a' first with its last value; np.sin(x) is evaluated, then dropped.
    return weighted_by_position({"a": np.sin(x), "b": x, "a": x ** 3})  # noqa: F601


def test_a_dict_display_repeating_a_key_keeps_pythons_entry():
    # (the adjoint of the display went to both entries of 'a': 1.2253 for 0.27)
    x = np.array([0.3, -0.8])
    assert ad.jvp(display_repeating_a_key)((x,), (np.ones(2),))[0] == display_repeating_a_key(x)
    _check_gradients_and_hessian(display_repeating_a_key,
                                 lambda t: torch.sum(t ** 3 + 2.0 * t), (x,))


def weighted_entry(v, w, scale=2.0):
    return np.sum(w) * v * v * scale


WEIGHTED_ENTRY = np.vectorize(weighted_entry, excluded={1, "scale"})


def vectorized_excluding_an_argument(x, w):
    # (set displays are refused by the fence: a tuple or list of the positions)
    inline = np.vectorize(lambda v, w: np.sum(w * w) * v, excluded=(1,))(x, w)
    return np.sum(inline + WEIGHTED_ENTRY(x, w, scale=3.0))


def test_vectorize_excluded_arguments_are_passed_on_whole_matching_torch():
    x, w = RNG.normal(size=(2, 3)), RNG.normal(size=4)
    value, _ = ad.jvp(vectorized_excluding_an_argument, wrt=(0, 1))(
        (x, w), (np.ones_like(x), np.ones_like(w)))
    assert value == vectorized_excluding_an_argument(x, w)

    def twin(x, w):
        return torch.sum(torch.sum(w * w) * x + torch.sum(w) * x * x * 3.0)

    _check_gradients_and_hessian(vectorized_excluding_an_argument, twin, (x, w))
