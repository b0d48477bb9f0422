"""A function defined inside a local function (at any depth) is inlined into
it first, then that one into the function differentiated
(passes/inline_local.py): each reads the variables of the functions around
it where it is called, as Python's closures do. Each program checked against
a torch twin in reverse and forward mode, jvp and Hessian-vector product."""

import numpy as np
import pytest
import torch

import adcompiler as ad
from torch_oracle import CHECKS, assert_matches_twin

X = np.array([0.3, -1.2, 0.7, 1.1])
DIRECTION = np.array([0.5, -0.25, 1.0, 0.75])


def two_levels(x):
    def outer(v):
        def inner(w):
            return w * w
        return inner(inner(v))
    return np.sum(outer(x))


def t_two_levels(x):
    return torch.sum(x ** 4)


def closures_over_both_levels(x):
    k = x[0]

    def outer(v):
        m = v * 2.0

        def inner(w):
            return w * m + k
        out = inner(v)
        m = m + 1.0          # read when inner is called, as a closure reads it
        return out + inner(v)
    return np.sum(outer(x))


def t_closures_over_both_levels(x):
    return torch.sum(x * 2.0 * x + x[0] + x * (2.0 * x + 1.0) + x[0])


def names_the_inlining_makes_shadow_nothing(x):
    inner_result = x[1]      # the name inlining `inner` would give its value

    def outer(v):
        def inner(w):
            return w * w * 3.0
        return inner(v) + inner_result
    return np.sum(outer(x)) + inner_result


def t_names_the_inlining_makes_shadow_nothing(x):
    return torch.sum(x * x * 3.0 + x[1]) + x[1]


def a_lambda_and_three_levels(x):
    def a(v):
        sq = lambda w: w * w  # noqa: E731

        def b(w):
            def c(u):
                return np.sin(u)
            return c(w) * sq(w)
        return b(v) + b(v * 0.5)
    return np.sum(a(x))


def t_a_lambda_and_three_levels(x):
    return torch.sum(torch.sin(x) * x * x + torch.sin(x * 0.5) * (x * 0.5) ** 2)


def loops_and_early_returns_inside(x):
    def outer(v):
        def step(w):
            if np.sum(w) > 10.0:
                return w
            return w - 0.1 * w ** 3
        for _ in range(3):
            v = step(v)
        return v
    return np.sum(outer(x))


def t_loops_and_early_returns_inside(x):
    for _ in range(3):
        x = x - 0.1 * x ** 3
    return torch.sum(x)


def a_function_handed_down(x):
    def outer(v, f):
        def twice(w):
            return f(f(w))
        return twice(v)
    return np.sum(outer(x, np.sin))


def t_a_function_handed_down(x):
    return torch.sum(torch.sin(torch.sin(x)))


PROGRAMS = {
    "two levels": (two_levels, t_two_levels),
    "closures over both levels": (closures_over_both_levels, t_closures_over_both_levels),
    "names the inlining makes shadow nothing": (names_the_inlining_makes_shadow_nothing,
                                                t_names_the_inlining_makes_shadow_nothing),
    "a lambda and three levels": (a_lambda_and_three_levels, t_a_lambda_and_three_levels),
    "loops and early returns inside": (loops_and_early_returns_inside,
                                       t_loops_and_early_returns_inside),
    "a function handed down": (a_function_handed_down, t_a_function_handed_down),
}


@pytest.mark.parametrize("check", CHECKS)
@pytest.mark.parametrize("name", PROGRAMS)
def test_function_defined_in_a_local_function_matches_torch(name, check):
    function, twin = PROGRAMS[name]
    assert_matches_twin(function, twin, X, DIRECTION, check)


def nonlocal_two_levels_down(x):
    def outer(v):
        total = 0.0

        def add(w):
            nonlocal total
            total = total + w
        add(v)
        return total
    return np.sum(outer(x))


def test_what_stays_refused_inside_is_reported_at_its_line():
    with pytest.raises(ad.UnsupportedSyntaxError, match="'nonlocal' statements") as caught:
        ad.grad(nonlocal_two_levels_down)(X)
    assert "test_functions_defined_in_local_functions.py" in str(caught.value)
