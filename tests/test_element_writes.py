"""Writes into elements: `x[idx] = v` and `x[idx] += v` have NumPy's meaning,
never touch the caller's arrays, and differentiate in every mode."""

import numpy as np
import pytest

import adcompiler as ad
from oracles import assert_close, finite_difference_gradient


def write_with_repeated_index(x, v):
    y = x * 1.0
    y[np.array([0, 0, 2])] = v
    return np.sum(y * np.arange(1.0, 5.0))


def add_with_repeated_index(x, v):
    y = x * 1.0
    y[np.array([1, 1, 3])] += v
    return np.sum(np.sin(y))


def write_rows_and_slices(a, row):
    a[1] = row
    a[:, 0] += row[0] * 2.0
    a[0, 1:] = a[2, 1:] ** 2
    return np.sum(a * a)


def dict_write(params, x):
    params["scale"] = params["scale"] * 2.0
    return np.sum(params["scale"] * x)


CASES = {
    "repeated-index-write": (write_with_repeated_index,
                             lambda: [np.arange(4.0) + 0.5, np.array([1.0, 2.0, 3.0])]),
    "repeated-index-add": (add_with_repeated_index,
                           lambda: [np.linspace(-1, 1, 4), np.array([0.3, -0.2, 0.9])]),
    "rows-and-slices": (write_rows_and_slices,
                        lambda: [np.arange(12.0).reshape(3, 4) / 10, np.array([0.5, -1.0, 2.0,
                                                                               0.25])]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_element_writes_match_finite_differences_in_both_modes(name):
    function, make_args = CASES[name]
    args = make_args()
    before = [a.copy() for a in args]
    grads = ad.grad(function, wrt=(0, 1))(*args)
    for position, got in enumerate(grads):
        assert_close(got, finite_difference_gradient(function, args, position), rtol=1e-6,
                     atol=1e-7, label=f"{name}, argument {position}")
    for original, now in zip(before, args):
        np.testing.assert_array_equal(original, now)  # the caller's arrays are unchanged
    rng = np.random.default_rng(3)
    tangents = [rng.standard_normal(a.shape) for a in args]
    _, jvp = ad.jvp(function, wrt=(0, 1))(tuple(args), tuple(tangents))
    expected = sum(float(np.sum(g * t)) for g, t in zip(grads, tangents))
    assert jvp == pytest.approx(expected, rel=1e-9)


def test_numpy_keeps_the_last_of_repeated_writes_and_so_does_the_derivative():
    x, v = CASES["repeated-index-write"][1]()
    grad_v = ad.grad(write_with_repeated_index, wrt=1)(x, v)
    # y[0] = v[1] (the last write to position 0), y[2] = v[2]: v[0] is overwritten.
    assert_close(grad_v, [0.0, 1.0, 3.0])


def test_writes_into_a_dict_of_parameters():
    params, x = {"scale": np.array([1.0, 2.0])}, np.array([3.0, 4.0])
    grads = ad.grad(dict_write)(params, x)
    assert_close(grads["scale"], 2.0 * x)
    assert_close(params["scale"], [1.0, 2.0])
