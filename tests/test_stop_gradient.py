"""`ad.stop_gradient(x)`: the value x, with derivative zero, in reverse and
forward mode and at second order, checked against torch's `detach()`."""

import numpy as np
import pytest
import torch
from torch.autograd.functional import hessian as torch_hessian

import adcompiler as ad
torch.set_default_dtype(torch.float64)


def torch_gradients(twin, args, wrt):
    """torch's gradient, zeros where nothing requires one (all detached)."""
    x = torch.tensor(args[0], requires_grad=True)
    out = twin(x)
    if not out.requires_grad:
        return (np.zeros_like(args[0]),)
    return (torch.autograd.grad(out, x)[0].numpy(),)

X = np.array([0.5, -1.5, 2.0])


def scaled_by_constant_self(x):
    return np.sum(x ** 2 * ad.stop_gradient(x))


def torch_scaled(x):
    return torch.sum(x ** 2 * x.detach())


def stopped_in_a_loop(x):
    total = 0.0
    for k in range(3):
        total = total + np.sum(np.sin(x * k) * ad.stop_gradient(np.cos(x)))
    return total


def torch_loop(x):
    total = 0.0
    for k in range(3):
        total = total + torch.sum(torch.sin(x * k) * torch.cos(x).detach())
    return total


def only_stopped(x):
    return np.sum(ad.stop_gradient(x * 3.0))


def torch_only_stopped(x):
    return torch.sum((x * 3.0).detach())


CASES = [(scaled_by_constant_self, torch_scaled), (stopped_in_a_loop, torch_loop),
         (only_stopped, torch_only_stopped)]


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("function, twin", CASES, ids=[c[0].__name__ for c in CASES])
def test_gradient_through_stop_gradient_matches_torch_detach(function, twin, mode):
    (expected,) = torch_gradients(twin, (X,), (0,))
    np.testing.assert_allclose(ad.grad(function, mode=mode)(X), expected, rtol=1e-12,
                               atol=1e-15)


@pytest.mark.parametrize("function, twin", CASES, ids=[c[0].__name__ for c in CASES])
def test_jvp_through_stop_gradient_matches_torch_detach(function, twin):
    tangent = np.array([1.0, 2.0, -1.0])
    (expected,) = torch_gradients(twin, (X,), (0,))
    value, got = ad.jvp(function)((X,), (tangent,))
    assert value == pytest.approx(function(X))
    assert got == pytest.approx(expected @ tangent, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("function, twin", CASES, ids=[c[0].__name__ for c in CASES])
def test_hessian_through_stop_gradient_matches_torch_detach(function, twin):
    expected = torch_hessian(twin, torch.tensor(X)).numpy()
    np.testing.assert_allclose(ad.hessian(function)(X), expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("function, twin", CASES, ids=[c[0].__name__ for c in CASES])
def test_reverse_over_reverse_through_stop_gradient_matches_torch_detach(function, twin):
    expected = torch_hessian(twin, torch.tensor(X)).numpy()
    np.testing.assert_allclose(ad.jacobian(ad.grad(function), mode="reverse")(X), expected,
                               rtol=1e-12, atol=1e-14)


def test_stop_gradient_is_the_identity_and_copies_arrays():
    x = np.arange(3.0)
    y = ad.stop_gradient(x)
    np.testing.assert_array_equal(y, x)
    y[0] = 10.0
    assert x[0] == 0.0
    tree = {"a": (x, 2.0), "b": [x]}
    copied = ad.stop_gradient(tree)
    assert set(copied) == {"a", "b"} and copied["a"][1] == 2.0
    np.testing.assert_array_equal(copied["b"][0], x)
