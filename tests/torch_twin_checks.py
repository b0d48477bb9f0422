"""The same program run on NumPy by adcompiler and on torch tensors as its own
twin (its `np` bound to torch's functions): the checks that
tests/test_list_joins.py and tests/test_split_lists.py share, for programs of
one argument that run on an array and on a Python float."""

import types

import numpy as np
import torch

import adcompiler as ad

torch.set_default_dtype(torch.float64)

# The NumPy functions the programs call, as torch functions.
TorchAsNumpy = types.SimpleNamespace(sin=torch.sin, cos=torch.cos, tanh=torch.tanh,
                                     exp=torch.exp, sum=torch.sum, stack=torch.stack,
                                     outer=torch.outer)

INPUTS = {"array": np.array([0.4, -0.9, 1.3]), "float": 0.7}


def on_torch(function):
    """`function` with its `np` bound to torch's functions."""
    namespace = dict(function.__globals__, np=TorchAsNumpy)
    return types.FunctionType(function.__code__, namespace, function.__name__)


def torch_derivatives(program, x):
    """Value, gradient and Hessian of the program run on torch tensors."""
    function = on_torch(program)
    point = torch.tensor(x, requires_grad=True)
    value = function(point)
    gradient, = torch.autograd.grad(value, point)
    hessian = torch.autograd.functional.hessian(function, torch.tensor(x))
    return value.detach().numpy(), gradient.numpy(), hessian.numpy()


def check_gradient(program, kind):
    """ad.grad against torch; the gradient has the argument's type."""
    x = INPUTS[kind]
    _, expected, _ = torch_derivatives(program, x)
    gradient = ad.grad(program)(x)
    np.testing.assert_allclose(gradient, expected, rtol=1e-10, atol=1e-12)
    assert type(gradient) is type(x)
    return gradient


def check_forward_mode(program, kind):
    """ad.jvp's value and tangent against torch's along a fixed direction."""
    x = INPUTS[kind]
    value, gradient, _ = torch_derivatives(program, x)
    direction = np.array([0.3, -1.1, 0.8]) if kind == "array" else 1.7
    primal, tangent = ad.jvp(program)((x,), (direction,))
    np.testing.assert_allclose(primal, value, rtol=1e-12)
    np.testing.assert_allclose(tangent, np.sum(gradient * direction), rtol=1e-10, atol=1e-12)


def check_hessian(program, kind):
    x = INPUTS[kind]
    _, _, expected = torch_derivatives(program, x)
    np.testing.assert_allclose(ad.hessian(program)(x), expected, rtol=1e-9, atol=1e-10)


def check_gradient_of_gradient(program):
    """Reverse over reverse, on a Python float."""
    _, _, expected = torch_derivatives(program, INPUTS["float"])
    np.testing.assert_allclose(ad.grad(ad.grad(program))(INPUTS["float"]), expected,
                               rtol=1e-9, atol=1e-10)
