"""np.r_[...] and np.c_[...]: written as calls (passes/index_tricks.py) whose
values are NumPy's own and whose derivatives follow each element to its place.
The derivatives of the forms themselves are checked against torch in
tests/test_foreign_suite_rules.py; here, the rewrite, NumPy's dtypes, the
forms around the items, and the refusals."""

import numpy as np
import pytest

import adcompiler as ad
from adcompiler import pipeline
from oracles import assert_close

X = np.array([0.3, -0.7, 1.1])


def joins_rows_and_columns(x, c):
    return np.r_[x, c, 1:10] + np.c_[[x[0], c[0]], 0:2][0]


def test_r_and_c_become_calls_of_their_runtime_functions():
    assert pipeline.dump(joins_rows_and_columns, "lower") == (
        "def joins_rows_and_columns(x, c):\n"
        "    return r_concatenate((x, c, slice(1, 10, None))) + c_concatenate((array\n"
        "        ([x[0], c[0]]), slice(0, 2, None)))[0]\n")


def mixes_float32_with_a_python_float(x):
    return np.r_[x, 2.0]


def test_the_value_has_numpy_dtype_and_the_derivative_the_argument_dtype():
    # A Python float does not make np.r_ of float32 values float64.
    x = X.astype(np.float32)
    value, tangent = ad.jvp(mixes_float32_with_a_python_float)((x,), (np.ones(3, np.float32),))
    assert value.dtype == np.float32 and tangent.dtype == np.float32
    np.testing.assert_array_equal(value, np.r_[x, 2.0])
    grad = ad.vjp(mixes_float32_with_a_python_float)((x,), np.ones(4, np.float32))
    assert grad.dtype == np.float32
    np.testing.assert_array_equal(grad, np.ones(3))


def joins_a_list_held_in_a_name(x):
    pair = [x[0], 2.0 * x[1]]
    return np.sum(np.r_[pair, x] ** 2)


def test_a_list_of_differentiated_values_in_a_name_is_joined_as_its_array():
    expected = 2 * X + np.array([2 * X[0], 8 * X[1], 0.0])
    assert_close(ad.grad(joins_a_list_held_in_a_name)(X), expected)
    _, tangent = ad.jvp(joins_a_list_held_in_a_name)((X,), (np.ones(3),))
    assert_close(tangent, np.sum(expected))


def joins_with_a_directive_argument(x, directive):
    return np.sum(np.r_[directive, x, 2.0 * x] ** 2)


def test_a_directive_given_as_an_argument_is_applied_when_the_code_runs():
    assert_close(ad.grad(joins_with_a_directive_argument)(X, "0,2,0"), 10 * X)


def test_a_directive_making_a_matrix_is_refused_when_the_code_runs():
    with pytest.raises(ad.NoDerivativeRuleError, match="np.matrix"):
        ad.grad(joins_with_a_directive_argument)(X, "c")


def stacks_matrix_rows(x):
    return np.sum(np.r_['r', x, x])


def test_a_written_directive_making_a_matrix_is_refused_when_compiling():
    with pytest.raises(ad.NoDerivativeRuleError) as info:
        ad.grad(stacks_matrix_rows)
    message = str(info.value)
    assert "np.matrix" in message and "test_index_tricks.py:" in message
    assert "np.r_['0,2', ...]" in message


def test_a_derivative_reaches_only_the_items_that_carry_one():
    def joins_constants_around(x):
        return np.sum(np.r_[0:1:3j, x, np.ones(2)] * np.arange(1.0, 9.0))

    assert_close(ad.grad(joins_constants_around)(X), np.array([4.0, 5.0, 6.0]))
