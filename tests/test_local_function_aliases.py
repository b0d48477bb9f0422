"""A second name for a local function (`act = g`, bound once, as `g` is)
calls `g` (inline_local.py); refused before as a use of `g` other than a
call."""

import numpy as np
import pytest
import torch

import adcompiler as ad
from oracles import assert_close, finite_difference_gradient

torch.set_default_dtype(torch.float64)

X = np.array([0.3, -0.7, 1.1])


def chosen_once(x):
    def softplus(v):
        return np.log1p(np.exp(v))
    square = lambda v: v ** 2          # noqa: E731
    act = softplus
    other = square
    again = act
    return np.sum(act(x) * other(x)) + np.sum(again(x[:2]))


def chosen_once_torch(x):
    def softplus(v):
        return torch.log1p(torch.exp(v))
    return torch.sum(softplus(x) * x ** 2) + torch.sum(softplus(x[:2]))


def test_a_second_name_for_a_local_function_calls_it_gradient_matches_torch():
    tensor = torch.tensor(X, requires_grad=True)
    (expected,) = torch.autograd.grad(chosen_once_torch(tensor), tensor)
    for mode in ("reverse", "forward"):
        assert_close(ad.grad(chosen_once, mode=mode)(X.copy()), expected.numpy(), label=mode)
    assert_close(ad.grad(chosen_once)(X.copy()), finite_difference_gradient(chosen_once, [X], 0),
                 rtol=1e-5, atol=1e-6)
    hessian = torch.autograd.functional.hessian(chosen_once_torch, torch.tensor(X)).numpy()
    assert_close(ad.hessian(chosen_once)(X.copy()), hessian, rtol=1e-6, atol=1e-8)


def chosen_in_a_branch(x):
    def double(v):
        return 2 * v
    def triple(v):
        return 3 * v
    if x[0] > 0:
        act = double
    else:
        act = triple
    return np.sum(act(x))


def test_a_name_bound_to_either_of_two_local_functions_stays_refused():
    with pytest.raises(ad.UnsupportedSyntaxError) as caught:
        ad.grad(chosen_in_a_branch)(X)
    assert "test_local_function_aliases.py:" in str(caught.value)
