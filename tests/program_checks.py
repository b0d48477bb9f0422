"""What a whole-program test checks of a function and its torch twin: the
gradient against torch.autograd and finite differences, the value
value_and_grad returns, the jvp against torch.func.jvp, and the Hessian in
the first argument against torch.autograd.functional.hessian."""

import numpy as np
import torch

import adcompiler as ad
from oracles import assert_close, finite_difference_gradient, torch_directional, torch_gradients


def check_gradient(name, function, twin, args, wrt):
    gradients = ad.grad(function, wrt=wrt)(*args)
    for index, got, want in zip(wrt, gradients, torch_gradients(twin, args, wrt)):
        assert_close(got, want, label=f"{name}: d/d arg {index}")
        assert_close(got, finite_difference_gradient(function, args, index), rtol=1e-5,
                     atol=1e-6, label=f"{name}: finite differences, arg {index}")


def check_value(name, function, args, wrt):
    value, _ = ad.value_and_grad(function, wrt=wrt)(*args)
    assert_close(value, function(*args), label=name)


def check_jvp(name, function, twin, args, wrt, generator):
    """Tangents drawn from `generator`, shaped like the differentiated arguments."""
    tangents = [generator.standard_normal(np.shape(args[i])) if np.ndim(args[i])
                else float(generator.standard_normal()) for i in wrt]
    value, tangent = ad.jvp(function, wrt=wrt)(tuple(args), tuple(tangents))
    expected_value, expected_tangent = torch_directional(twin, args, wrt, tangents)
    assert_close(value, expected_value, label=f"{name}: value")
    assert_close(tangent, expected_tangent, label=f"{name}: tangent")


def check_hessian(name, function, twin, args):
    """The Hessian in the first argument; the others held fixed."""
    got = ad.hessian(function, wrt=0)(*args)
    rest = [torch.tensor(np.asarray(a, dtype=np.float64)) for a in args[1:]]
    want = torch.autograd.functional.hessian(
        lambda x: twin(x, *rest), torch.tensor(np.asarray(args[0], dtype=np.float64)))
    assert_close(got, want.numpy(), rtol=1e-6, atol=1e-8, label=name)
