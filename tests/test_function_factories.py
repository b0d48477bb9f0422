"""Function factories (passes/inline_factories.py): `f = make_loss(scale)`, a
module-level helper that builds a function and returns it, then `f(x)`. The
function is defined in the caller, reading the factory's parameters as
variables bound at the factory's call, so the derivative flows through them;
checked against torch twins in reverse and forward mode, and to second order.
What the rewrite does not cover stays refused, naming the line."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import adcompiler as ad
from oracles import assert_close
from torch_oracle import CHECKS, assert_matches_twin

torch.set_default_dtype(torch.float64)

X = np.array([0.4, -0.7, 1.3, 0.25, 0.9])
DIRECTION = np.array([0.3, -1.0, 0.5, 0.8, -0.2])


def make_loss(scale):
    def loss(v):
        return scale * np.sum(v ** 2)
    return loss


def make_affine(w, b=0.5, *, power=2):
    """An affine map raised to a power, written as a lambda."""
    return lambda v: (w * v + b) ** power


def make_scaled(k):
    def scaled(v, s=k * 2.0):  # the default is evaluated when the factory runs
        return s * v
    return scaled


def make_recorder(history):
    def record(v):
        history.append(v)
        return v * 2.0
    return record


def make_penalty(weight, centre):
    """Variables computed once, when the factory runs, read by the function."""
    scale = weight * 2.0
    shift = np.sin(centre)
    def penalty(v):
        return scale * np.sum((v - shift) ** 2)
    return penalty


def loss_from_a_factory(x):
    f = make_loss(x[0])
    return f(x[1:3])


def t_loss_from_a_factory(x):
    return x[0] * torch.sum(x[1:3] ** 2)


def factory_computing_variables_first(x):
    def make_shifted(c):
        offset = c * c
        return lambda v: np.tanh(v - offset) * c

    shifted = make_shifted(x[3])
    penalty = make_penalty(x[0], x[1])
    return penalty(x[2:]) + shifted(x[4])


def t_factory_computing_variables_first(x):
    offset = x[3] * x[3]
    return x[0] * 2.0 * torch.sum((x[2:] - torch.sin(x[1])) ** 2) + \
        torch.tanh(x[4] - offset) * x[3]


def two_lambdas_from_one_factory(x):
    f = make_affine(x[0], power=3)
    g = make_affine(x[1], x[2])
    return f(x[3]) + g(x[4]) * f(x[0])


def t_two_lambdas_from_one_factory(x):
    return (x[0] * x[3] + 0.5) ** 3 + (x[1] * x[4] + x[2]) ** 2 * (x[0] * x[0] + 0.5) ** 3


def factory_called_in_a_loop(x):
    total = 0.0
    for k in range(3):
        f = make_loss(x[k] * (k + 1))
        total = total + f(x[k + 1:k + 3])
    return total


def t_factory_called_in_a_loop(x):
    total = 0.0
    for k in range(3):
        total = total + x[k] * (k + 1) * torch.sum(x[k + 1:k + 3] ** 2)
    return total


def default_of_the_built_function(x):
    g = make_scaled(x[0])
    return g(x[1]) + g(x[2], 3.0)


def t_default_of_the_built_function(x):
    return x[0] * 2.0 * x[1] + 3.0 * x[2]


def closure_appending_to_the_callers_list(x):
    history = []
    record = make_recorder(history)
    y = record(x[0]) + record(x[1] ** 2)
    return y * sum(history)


def t_closure_appending_to_the_callers_list(x):
    return (x[0] * 2.0 + x[1] ** 2 * 2.0) * (x[0] + x[1] ** 2)


def factory_defined_in_the_function(x):
    offset = x[4] ** 2

    def make(k, power=2):
        def g(v):
            return k * v ** power + offset  # reads the function's own variable
        return g

    cube = make(x[0], power=3)
    square = make(x[1])
    return cube(x[2]) * square(x[3])


def t_factory_defined_in_the_function(x):
    offset = x[4] ** 2
    return (x[0] * x[2] ** 3 + offset) * (x[1] * x[3] ** 2 + offset)


def two_functions_built_in_one_statement(x):
    f, g = make_loss(2.0), make_affine(x[0], power=3)
    return f(x) * g(x[1])


def t_two_functions_built_in_one_statement(x):
    return 2.0 * torch.sum(x ** 2) * (x[0] * x[1] + 0.5) ** 3


def lambda_factory_defined_in_the_function(x):
    def shifted_by(c):
        return lambda v: np.tanh(v - c)

    f = shifted_by(x[0] * 2.0)
    return f(x[1]) + f(x[2])


def t_lambda_factory_defined_in_the_function(x):
    return torch.tanh(x[1] - x[0] * 2.0) + torch.tanh(x[2] - x[0] * 2.0)


PROGRAMS = {
    "def returned by a factory": (loss_from_a_factory, t_loss_from_a_factory),
    "lambdas with a keyword and a default": (two_lambdas_from_one_factory,
                                             t_two_lambdas_from_one_factory),
    "factory called in a loop": (factory_called_in_a_loop, t_factory_called_in_a_loop),
    "default of the built function": (default_of_the_built_function,
                                      t_default_of_the_built_function),
    "closure appending to the caller's list": (closure_appending_to_the_callers_list,
                                               t_closure_appending_to_the_callers_list),
    "factory defined in the function": (factory_defined_in_the_function,
                                        t_factory_defined_in_the_function),
    "lambda factory defined in the function": (lambda_factory_defined_in_the_function,
                                               t_lambda_factory_defined_in_the_function),
    "two functions built in one statement": (two_functions_built_in_one_statement,
                                             t_two_functions_built_in_one_statement),
    "factories computing variables first": (factory_computing_variables_first,
                                            t_factory_computing_variables_first),
}


@pytest.mark.parametrize("check", CHECKS)
@pytest.mark.parametrize("name", PROGRAMS)
def test_function_built_by_a_factory_is_differentiated_like_torch(name, check):
    function, twin = PROGRAMS[name]
    assert_matches_twin(function, twin, X, DIRECTION, check)


@pytest.mark.parametrize("name", ["lambdas with a keyword and a default",
                                  "factory called in a loop", "factory defined in the function",
                                  "factories computing variables first"])
def test_hessian_through_a_factory_matches_torch(name):
    function, twin = PROGRAMS[name]
    expected = torch.autograd.functional.hessian(twin, torch.tensor(X))
    assert_close(ad.hessian(function)(X.copy()), expected.numpy(), label=name)


def make_counter():
    count = 0

    def increment(v):
        nonlocal count
        count += 1
        return v * count
    return increment


def counts_its_calls(x):
    increment = make_counter()
    return increment(x[0]) + increment(x[1])


OFFSET = 0.25


def make_shifted(scale):
    def shifted(v):
        return np.tanh(scale * v) + OFFSET
    return shifted


def shadows_a_global_the_closure_reads(x):
    OFFSET = x[3]  # noqa: N806 (the point: the caller's name hides the module's)
    h = make_shifted(x[0])
    return h(x[1]) * OFFSET


@pytest.mark.parametrize("function, marker", [
    (counts_its_calls, "increment(x[0])"),
    (shadows_a_global_the_closure_reads, "h(x[1])"),
])
def test_factories_the_rewrite_does_not_cover_are_refused_naming_the_call(function, marker):
    with pytest.raises(ad.AdError) as info:
        ad.grad(function)(X.copy())
    import inspect
    lines, first = inspect.getsourcelines(function)
    line = first + next(k for k, text in enumerate(lines) if marker in text)
    assert f"test_function_factories.py:{line}:" in str(info.value)
