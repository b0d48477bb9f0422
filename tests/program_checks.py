"""What a whole-program test checks of a function and its torch twin: the
gradient against torch.autograd and finite differences, the value
value_and_grad returns, and the jvp against torch.func.jvp."""

import numpy as np

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
