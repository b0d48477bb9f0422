"""A for loop whose body binds its own variable again (`i = i + 1`, an inner
loop over the same name): the body reads what it bound, as in Python. The
reverse sweep read the item instead, a wrong gradient with no error, until
passes/loop_targets.py gave such a loop a variable of its own."""

import numpy as np
import pytest
import torch

import adcompiler as ad
from oracles import assert_close, finite_difference_gradient

torch.set_default_dtype(torch.float64)


def inner_loop_over_the_same_name(x):
    acc = x[0] * 0.5
    t = 0.0
    for i in range(2):
        t = t + x[i] * acc
        for i in range(3):
            t = t * 0.9 + acc
        t = t + x[i] * acc
    return t + i * x[1]


def rebound_by_arithmetic(x):
    t = 0.0
    for i in range(2):
        i = i + 1
        t = t + x[i] * x[0] + x[i - 1] ** 3
    return t * i


def rebound_in_a_branch(x):
    t = 0.0
    for k, v in enumerate(x):
        if v > 0:
            k = 2 - k
        t = t + x[k] * v
    return t + k * x[2]


CASES = [inner_loop_over_the_same_name, rebound_by_arithmetic, rebound_in_a_branch]
X = np.array([0.7, -1.3, 0.4])


def torch_gradient_and_hessian(function, x):
    twin = function  # indexing and arithmetic only: the same code runs on tensors
    tensor = torch.tensor(x, requires_grad=True)
    (gradient,) = torch.autograd.grad(twin(tensor), tensor)
    return gradient.numpy(), torch.autograd.functional.hessian(twin, torch.tensor(x)).numpy()


@pytest.mark.parametrize("function", CASES, ids=[f.__name__ for f in CASES])
def test_loop_variable_bound_again_in_the_body_gradient_matches_torch(function):
    gradient, hessian = torch_gradient_and_hessian(function, X)
    for mode in ("reverse", "forward"):
        assert_close(ad.grad(function, mode=mode)(X.copy()), gradient, label=mode)
    assert_close(ad.grad(function)(X.copy()), finite_difference_gradient(function, [X], 0),
                 rtol=1e-5, atol=1e-6, label="finite differences")
    assert_close(ad.hessian(function)(X.copy()), hessian, rtol=1e-6, atol=1e-8, label="hessian")
    value, _ = ad.value_and_grad(function)(X.copy())
    assert value == function(X.copy())
