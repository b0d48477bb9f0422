"""Second derivatives of x ** y at x == 0 with y differentiated.

At a zero base the formulas hold log(0) and negative powers of 0, so every
derivative there is stated by convention (runtime/arrays.py's
zero_at_zero_base and power_partial), the same for Python numbers and NumPy
arrays, and the same in both orders of a mixed derivative:

* first derivatives are torch's: d/dy 0 ** y = 0 for y >= 0;
* a second derivative in which y takes part is its limit, 0, where that
  limit is finite (y above the order in x), and nan where it is not; torch's
  own second derivatives are nan there too (and where it gives a number, we
  give the same).

The same for arrays of the array API standard (runtime/namespaces.py).
"""

import math
import warnings

import array_api_strict
import numpy as np
import pytest
import torch

import adcompiler as ad
from oracles import assert_close


def power(x, y):
    return x ** y


def numpy_power(x, y):
    return np.sum(np.power(x, y))


def torch_hessian_of_power(x, y):
    """[[d2/dx2, d/dy (d/dx)], [d/dx (d/dy), d2/dy2]] of x ** y, by torch,
    row by row as torch.autograd.functional.hessian has it."""
    xs = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    ys = torch.tensor(y, dtype=torch.float64, requires_grad=True)
    dx, dy = torch.autograd.grad(xs ** ys, (xs, ys), create_graph=True)
    row_x = torch.autograd.grad(dx, (xs, ys), retain_graph=True)
    row_y = torch.autograd.grad(dy, (xs, ys))
    return np.array([[float(v) for v in row_x], [float(v) for v in row_y]])


def namespace_power(x, y):
    xp = x.__array_namespace__()
    return xp.sum(x ** y)


def hessians(x, y):
    """The Hessian of x ** y at (x, y) for Python numbers, for 0-d arrays
    through operator.pow, for 1-element arrays through np.power, and for
    arrays of the array API standard (array_api_strict)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        numbers = ad.hessian(power, wrt=(0, 1))(x, y)
        zero_d = ad.hessian(power, wrt=(0, 1))(np.array(x), np.array(y))
        vectors = ad.hessian(numpy_power, wrt=(0, 1))(np.array([x]), np.array([y]))
        standard = ad.hessian(namespace_power, wrt=(0, 1))(array_api_strict.asarray([x]),
                                                          array_api_strict.asarray([y]))
    as_matrix = lambda h: np.array([[float(np.ravel(np.asarray(h[i][j]))[0])  # noqa: E731
                                     for j in range(2)] for i in range(2)])
    return as_matrix(numbers), as_matrix(zero_d), as_matrix(vectors), as_matrix(standard)


# y, the Hessian of x ** y at x == 0 ([[xx, xy], [yx, yy]])
AT_ZERO_BASE = [
    (3.0, [[0.0, 0.0], [0.0, 0.0]]),
    (2.0, [[2.0, 0.0], [0.0, 0.0]]),
    (1.5, [[math.inf, 0.0], [0.0, 0.0]]),
    # d/dx dy = x ** (y - 1) (1 + y log x): -inf as x -> 0 for 0 < y <= 1
    (1.0, [[0.0, math.nan], [math.nan, 0.0]]),
    (0.5, [[-math.inf, math.nan], [math.nan, 0.0]]),
    # 0 ** y jumps from 1 to 0 at y == 0: no second derivative in y either
    (0.0, [[0.0, math.nan], [math.nan, math.nan]]),
]


@pytest.mark.parametrize("y, expected", AT_ZERO_BASE)
def test_hessian_of_power_at_zero_base_is_the_limit_or_nan_for_numbers_and_arrays(y, expected):
    for hessian in hessians(0.0, y):
        np.testing.assert_array_equal(hessian, np.array(expected))


@pytest.mark.parametrize("y", [3.0, 2.0, 1.5, 1.0, 0.5, 0.0])
def test_hessian_of_power_at_zero_base_matches_torch_where_torch_is_finite(y):
    # torch's d/dx (d/dy) is nan at every y (its where() mask meets 1/x), and
    # its d/dy (d/dx) is 1 at y == 1 where the limit is -inf: those entries
    # are not compared. Every other entry of torch's is ours.
    want = torch_hessian_of_power(0.0, y)
    got = hessians(0.0, y)[0]
    comparable = np.isfinite(want)
    comparable[1, 0] = False
    if y == 1.0:
        comparable[0, 1] = False
    np.testing.assert_array_equal(got[comparable], want[comparable])


def test_hessian_of_power_away_from_zero_matches_torch():
    for x, y in [(0.7, 2.0), (1.3, 0.5), (2.0, -1.5)]:
        for hessian in hessians(x, y):
            assert_close(hessian, torch_hessian_of_power(x, y))

