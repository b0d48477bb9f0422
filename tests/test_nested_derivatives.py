"""Derivatives built and called inside the differentiated function.

`ad.grad(g)(x)`, `dg = ad.grad(g); dg(x)`, `ad.grad(ad.grad(g))(x)`, with
`import adcompiler as ad` or `from adcompiler import grad`: the callee is
built when compiling (adcompiler's builders are pure) and called like a
derivative built at module level. Every derivative of such a function is
checked against torch.autograd in float64 (the nested derivative built with
create_graph=True), in reverse mode (ad.grad), forward mode (ad.jvp) and
both (ad.hessian); what stays refused is refused at compile time, naming
the line.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
import torch

import adcompiler as ad
from adcompiler import grad as imported_grad
from adcompiler import value_and_grad as imported_value_and_grad

torch.set_default_dtype(torch.float64)


# -- torch twins ---------------------------------------------------------------

def torch_grad(fn, argnum=0):
    """The gradient of torch `fn`, itself differentiable (create_graph=True)."""
    def gradient(*args):
        args = list(args)
        if not args[argnum].requires_grad:
            args[argnum] = args[argnum].detach().requires_grad_(True)
        (result,) = torch.autograd.grad(fn(*args), args[argnum], create_graph=True)
        return result
    return gradient


def torch_value_and_grad(fn, argnum=0):
    def both(*args):
        return fn(*args), torch_grad(fn, argnum)(*args)
    return both


# -- the functions the nested derivatives are built from -----------------------

def g(x):
    return np.sum(np.sin(x) * x)


def g_torch(x):
    return torch.sum(torch.sin(x) * x)


def two(x, w):
    return np.sum(np.tanh(x * w) * x)


def two_torch(x, w):
    return torch.sum(torch.tanh(x * w) * x)


def scaled(x, scale=2.0):
    return np.sum(np.exp(x * scale))


def scaled_torch(x, scale=2.0):
    return torch.sum(torch.exp(x * scale))


dg_module_level = ad.grad(g)


# -- functions holding nested derivatives, each with its torch twin -------------

def grad_called_at_once(x):
    return np.sum(ad.grad(g)(x) * x)


def grad_called_at_once_torch(x):
    return torch.sum(torch_grad(g_torch)(x) * x)


def grad_bound_to_a_name(x):
    dg = ad.grad(g)
    return np.sum(dg(x) * dg(2.0 * x))


def grad_bound_to_a_name_torch(x):
    dg = torch_grad(g_torch)
    return torch.sum(dg(x) * dg(2.0 * x))


def cubes(x):
    return np.sum(x ** 3)


def cubes_torch(x):
    return torch.sum(x ** 3)


def summed_gradient(x):
    # itself holding a nested derivative: three levels in all
    return np.sum(imported_grad(cubes)(x))


def grad_imported_by_name(x):
    return np.sum(imported_grad(summed_gradient)(x) * np.cos(x))


def grad_imported_by_name_torch(x):
    inner = torch_grad(lambda t: torch.sum(torch_grad(cubes_torch)(t)))
    return torch.sum(inner(x) * torch.cos(x))


def grad_with_wrt(x, w):
    return np.sum(ad.grad(two, wrt=1)(x, w) * x) + np.sum(ad.grad(two, wrt=0)(w, x))


def grad_with_wrt_torch(x, w):
    return torch.sum(torch_grad(two_torch, 1)(x, w) * x) + torch.sum(torch_grad(two_torch, 0)(w, x))


def value_and_grad_inside(x):
    value, gradient = imported_value_and_grad(g)(x)
    return value * np.sum(gradient ** 2)


def value_and_grad_inside_torch(x):
    value, gradient = torch_value_and_grad(g_torch)(x)
    return value * torch.sum(gradient ** 2)


def grad_with_a_keyword_argument(x):
    return np.sum(ad.grad(scaled)(x, scale=0.5) * x)


def grad_with_a_keyword_argument_torch(x):
    return torch.sum(torch_grad(lambda t: scaled_torch(t, scale=0.5))(x) * x)


def module_level_and_inner_agree(x):
    return np.sum(dg_module_level(x) * ad.grad(g)(x))


def module_level_and_inner_agree_torch(x):
    return torch.sum(torch_grad(g_torch)(x) ** 2)


def forward_mode_derivative_inside(x):
    # ad.derivative is forward mode: a function of one real variable.
    return np.sin(x) * ad.derivative(ad.derivative(np.tanh))(x)


def forward_mode_derivative_inside_torch(x):
    d1 = torch_grad(lambda t: torch.tanh(t))
    d2 = torch_grad(lambda t: d1(t))
    return torch.sin(x) * d2(x)


NESTED = [
    (grad_called_at_once, grad_called_at_once_torch),
    (grad_bound_to_a_name, grad_bound_to_a_name_torch),
    (grad_imported_by_name, grad_imported_by_name_torch),
    (value_and_grad_inside, value_and_grad_inside_torch),
    (grad_with_a_keyword_argument, grad_with_a_keyword_argument_torch),
    (module_level_and_inner_agree, module_level_and_inner_agree_torch),
]

POINTS = [np.array([0.3, -1.2, 0.7]), 0.8]


def _torch_gradient(torch_fn, *args):
    tensors = [torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=True) for a in args]
    grads = torch.autograd.grad(torch_fn(*tensors), tensors)
    return [t.detach().numpy() for t in grads]


def _torch_hessian(torch_fn, x):
    return torch.autograd.functional.hessian(
        torch_fn, torch.tensor(np.asarray(x, dtype=np.float64))).numpy()


@pytest.mark.parametrize("point", POINTS, ids=["array", "float"])
@pytest.mark.parametrize("f, twin", NESTED, ids=[f.__name__ for f, _ in NESTED])
def test_gradient_of_a_nested_derivative_matches_torch(f, twin, point):
    (want,) = _torch_gradient(twin, point)
    got = ad.grad(f)(point)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    assert type(got) is type(point) or np.shape(got) == np.shape(point)


@pytest.mark.parametrize("point", POINTS, ids=["array", "float"])
@pytest.mark.parametrize("f, twin", NESTED, ids=[f.__name__ for f, _ in NESTED])
def test_jvp_of_a_nested_derivative_matches_torch(f, twin, point):
    tangent = np.ones_like(np.asarray(point, dtype=float)) * 0.5
    tangent = float(tangent) if np.ndim(point) == 0 else tangent
    (gradient,) = _torch_gradient(twin, point)
    value, got = ad.jvp(f)((point,), (tangent,))
    np.testing.assert_allclose(value, f(point), rtol=1e-12)
    np.testing.assert_allclose(got, np.sum(gradient * tangent), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("f, twin", NESTED, ids=[f.__name__ for f, _ in NESTED])
def test_hessian_of_a_nested_derivative_matches_torch(f, twin):
    x = POINTS[0]
    np.testing.assert_allclose(ad.hessian(f)(x), _torch_hessian(twin, x),
                               rtol=1e-9, atol=1e-11)


def test_gradient_with_respect_to_two_arguments_matches_torch():
    x, w = np.array([0.4, -0.9]), np.array([1.1, 0.3])
    want = _torch_gradient(grad_with_wrt_torch, x, w)
    got = ad.grad(grad_with_wrt, wrt=(0, 1))(x, w)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_forward_mode_derivative_built_inside_matches_torch():
    for point in (0.8, -0.3):
        (want,) = _torch_gradient(forward_mode_derivative_inside_torch, point)
        np.testing.assert_allclose(ad.grad(forward_mode_derivative_inside)(point), want,
                                   rtol=1e-10)
        np.testing.assert_allclose(ad.derivative(forward_mode_derivative_inside)(point), want,
                                   rtol=1e-10)


def test_the_derivative_is_built_when_compiling_not_when_running():
    # The generated code calls the derivative by a name of its own: it does
    # not ask the API for it each time it runs.
    text = ad.source(ad.grad(grad_bound_to_a_name))
    assert "dg = g_grad" in text
    assert "ad.grad" not in text.split("# Generated by adcompiler: recording primal")[0]
