"""A lambda called where it is written, `(lambda y: y * y)(x)`, is inlined like
a lambda assigned to a name (passes/inline_local.py): in an expression, an if
test, with defaults and closures, in the differentiated function and in a
helper, checked against torch.autograd in both modes and at second order."""

import numpy as np
import pytest
import torch

import adcompiler as ad
from oracles import assert_close, to_torch
from program_checks import check_gradient, check_jvp

X = np.array([0.3, -1.2, 0.9])


def squares_in_place(x):
    return np.sum((lambda y: y * y)(x))


def t_squares_in_place(x):
    return torch.sum(x * x)


def in_place_with_default_and_closure(x, a):
    shift = a * 0.5
    if (lambda y: np.sum(y * y))(x) > 1.0:
        u = (lambda y, b=a * 2.0: y * b + shift)(x) + (lambda y: np.sin(y))(x)
    else:
        u = x
    return np.sum(u * u)


def t_in_place_with_default_and_closure(x, a):
    u = x * (a * 2.0) + a * 0.5 + torch.sin(x)
    return torch.sum(u * u)


def helper_with_lambda(v):
    return (lambda y: np.tanh(y) * y)(v) * 3.0


def calls_helper_with_lambda(x):
    return np.sum(helper_with_lambda(x) + (lambda y: y ** 3)(x))


def t_calls_helper_with_lambda(x):
    return torch.sum(torch.tanh(x) * x * 3.0 + x ** 3)


def nested_call_arguments(x):
    # A lambda called in the arguments of another one called in place.
    return np.sum((lambda p, q: p * q)((lambda y: np.exp(y))(x), x))


def t_nested_call_arguments(x):
    return torch.sum(torch.exp(x) * x)


CASES = [
    ("in an expression", squares_in_place, t_squares_in_place, (X,), (0,)),
    ("with a default and a closure, in an if test", in_place_with_default_and_closure,
     t_in_place_with_default_and_closure, (X, 1.5), (0, 1)),
    ("inside a helper", calls_helper_with_lambda, t_calls_helper_with_lambda, (X,), (0,)),
    ("in the arguments of another", nested_call_arguments, t_nested_call_arguments, (X,),
     (0,)),
    ("inside a lambda differentiated directly", lambda x: np.sum((lambda y: np.sin(y) * y)(x)),
     lambda x: torch.sum(torch.sin(x) * x), (X,), (0,)),
]


@pytest.mark.parametrize("name, function, twin, args, wrt", CASES, ids=[c[0] for c in CASES])
def test_lambda_called_in_place_gradient_matches_torch(name, function, twin, args, wrt):
    check_gradient(name, function, twin, args, wrt)


@pytest.mark.parametrize("name, function, twin, args, wrt", CASES, ids=[c[0] for c in CASES])
def test_lambda_called_in_place_jvp_matches_torch(name, function, twin, args, wrt):
    check_jvp(name, function, twin, args, wrt, np.random.default_rng(1))


@pytest.mark.parametrize("name, function, twin, args, wrt", CASES, ids=[c[0] for c in CASES])
def test_lambda_called_in_place_hessian_matches_torch(name, function, twin, args, wrt):
    hessian = ad.hessian(function, wrt=0)(*args)
    rest = [to_torch(a) for a in args[1:]]
    expected = torch.autograd.functional.hessian(lambda x: twin(x, *rest), to_torch(args[0]))
    assert_close(hessian, expected.numpy(), label=name)


def test_a_lambda_called_inside_a_lambda_body_is_refused_with_the_fix():
    def calls_inside_lambda(x):
        return np.sum((lambda y: (lambda z: z + y)(1.0))(x))

    with pytest.raises(ad.UnsupportedSyntaxError, match="functions defined inside") as info:
        ad.grad(calls_inside_lambda)
    assert "beside the lambda called there" in info.value.help  # not a generated name
