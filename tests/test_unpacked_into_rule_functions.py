"""`f(*items)` of a NumPy or math function, `items` of a length known only
when the code runs (`np.hypot(*np.diff(curve).T)`): written out as
`f(items[0], items[1])` after a check, when it runs, that `items` holds as
many items as the function's rule requires positional parameters."""

import math

import numpy as np
import pytest
import torch

import adcompiler as ad
from oracles import assert_close, finite_difference_gradient

torch.set_default_dtype(torch.float64)

X = np.array([0.3, 0.9, 1.4])


def arc_length(x):
    curve = np.stack([np.cos(x), np.sin(2 * x)])
    return np.sum(np.hypot(*np.diff(curve, axis=1)))


def arc_length_torch(x):
    curve = torch.stack([torch.cos(x), torch.sin(2 * x)])
    steps = torch.diff(curve, dim=1)
    return torch.sum(torch.hypot(steps[0], steps[1]))


def angles_of_pairs(x):
    pair = [x[0], x[1] * 2]
    return math.atan2(*pair) * np.arctan2(*x[1:3]) + np.maximum(*(x[0], x[2]))


def angles_of_pairs_torch(x):
    return torch.atan2(x[0], x[1] * 2) * torch.atan2(x[1], x[2]) + torch.maximum(x[0], x[2])


CASES = [(arc_length, arc_length_torch), (angles_of_pairs, angles_of_pairs_torch)]


@pytest.mark.parametrize("function, twin", CASES, ids=[f.__name__ for f, _ in CASES])
def test_items_unpacked_into_a_rule_function_gradient_matches_torch(function, twin):
    tensor = torch.tensor(X, requires_grad=True)
    (expected,) = torch.autograd.grad(twin(tensor), tensor)
    for mode in ("reverse", "forward"):
        assert_close(ad.grad(function, mode=mode)(X.copy()), expected.numpy(), label=mode)
    assert_close(ad.grad(function)(X.copy()), finite_difference_gradient(function, [X], 0),
                 rtol=1e-5, atol=1e-6, label="finite differences")
    hessian = torch.autograd.functional.hessian(twin, torch.tensor(X)).numpy()
    assert_close(ad.hessian(function)(X.copy()), hessian, rtol=1e-6, atol=1e-8, label="hessian")


def unpacks_its_argument(x):
    return np.sum(np.hypot(*x))


def test_items_of_another_count_are_refused_when_it_runs_naming_the_line():
    gradient = ad.grad(unpacks_its_argument)
    assert_close(gradient(X[:2].copy()), X[:2] / np.hypot(*X[:2]))
    with pytest.raises(ad.UnsupportedSyntaxError) as caught:
        gradient(X.copy())
    message = str(caught.value)
    assert "test_unpacked_into_rule_functions.py:" in message
    assert "np.hypot(*x) unpacks 3 items" in message
