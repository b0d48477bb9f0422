"""Generators defined inside the function differentiated, looped over where
they are called (a for loop, or a generator expression over one read by sum,
list, max, ...): the generator's body runs in the loop's place, each `yield`
running the loop's body for the value it yields, as Python interleaves them
(passes/inline_generators.py). Each program checked against a torch twin
(the same generator over tensors) in reverse and forward mode, jvp and
Hessian-vector product; other uses are refused naming the line."""

import numpy as np
import pytest
import torch

import adcompiler as ad
from torch_oracle import CHECKS, assert_matches_twin

X = np.array([0.3, -1.2, 0.7, 1.1])
DIRECTION = np.array([0.5, -0.25, 1.0, 0.75])


def midpoint_rule_over_generated_times(x):
    def times(t0, t1, n):
        h = (t1 - t0) / n
        for i in range(n):
            yield t0 + (i + 0.5) * h, h
    y = x[:2] * 1.0
    for t, h in times(0.0, 1.0, 8):
        y = y + h * np.array([y[1], -y[0] * (1 + x[2] * t)])
    return y[0] * y[1]


def t_midpoint_rule_over_generated_times(x):
    y = x[:2] * 1.0
    h = 1.0 / 8
    for i in range(8):
        t = (i + 0.5) * h
        y = y + h * torch.stack([y[1], -y[0] * (1 + x[2] * t)])
    return y[0] * y[1]


def sliding_windows_summed(x):
    def windows(v, n=2):
        for i in range(len(v) - n + 1):
            yield v[i:i + n]
    return sum(np.prod(w) for w in windows(x)) + max(np.sum(w) for w in windows(x, n=3)) + \
        sum(windows(x, n=4))[1] + np.sum(list(windows(x[:2], 1))[0])


def t_sliding_windows_summed(x):
    return sum(torch.prod(x[i:i + 2]) for i in range(3)) + \
        max(torch.sum(x[i:i + 3]) for i in range(2)) + x[1] + x[0]


def continue_and_a_closure_changed_while_it_runs(x):
    k = x[0]

    def scaled(v):
        for e in v:
            yield e * k          # reads k when it resumes
    total = 0.0
    for q in scaled(x):
        k = k + 1.0
        if q > 1.0:
            continue             # the rest of this body only
        total = total + q * q
    return total


def t_continue_and_a_closure_changed_while_it_runs(x):
    k = x[0]
    total = 0.0
    for e in x:
        q = e * k
        k = k + 1.0
        if q > 1.0:
            continue
        total = total + q * q
    return total


def generators_nested_and_looping_over_each_other(x):
    def doubled(v):
        for e in v:
            yield e * 2.0

    def pairs(v):
        for a in doubled(v):
            yield a, a * a
    total = 0.0
    for p, q in pairs(x):
        for k, r in enumerate(doubled(x[:2]), start=1):   # enumerate counts what it yields
            total = total + p * q * np.sin(r) * k
    return total


def t_generators_nested_and_looping_over_each_other(x):
    total = 0.0
    for e in x:
        p = e * 2.0
        q = p * p
        for k, f in enumerate(x[:2], start=1):
            total = total + p * q * torch.sin(f * 2.0) * k
    return total


PROGRAMS = {
    "a midpoint rule over generated times": (midpoint_rule_over_generated_times,
                                             t_midpoint_rule_over_generated_times),
    "sliding windows summed": (sliding_windows_summed, t_sliding_windows_summed),
    "continue, and a closure changed while it runs": (
        continue_and_a_closure_changed_while_it_runs,
        t_continue_and_a_closure_changed_while_it_runs),
    "generators nested and looping over each other": (
        generators_nested_and_looping_over_each_other,
        t_generators_nested_and_looping_over_each_other),
}


@pytest.mark.parametrize("check", CHECKS)
@pytest.mark.parametrize("name", PROGRAMS)
def test_loop_over_a_local_generator_matches_torch(name, check):
    function, twin = PROGRAMS[name]
    assert_matches_twin(function, twin, X, DIRECTION, check)


def a_loop_that_breaks(x):
    def squares(v):
        for e in v:
            yield e * e
    total = 0.0
    for q in squares(x):
        if q > 1.0:
            break                # would close the generator
        total = total + q
    return total


def next_of_a_generator(x):
    def squares(v):
        for e in v:
            yield e * e
    g = squares(x)
    return next(g)


def a_generator_that_returns(x):
    def squares(v):
        for e in v:
            if e > 1.0:
                return
            yield e * e
    return sum(squares(x))


def a_yield_inside_a_try(x):
    def guarded(v):
        for e in v:
            try:
                yield e * e
            except ValueError:
                yield 0.0
    total = 0.0
    for q in guarded(x):
        total = total + np.log(q)   # raised here, Python does not send it to the generator
    return total


def _tripled(v):
    return v * 3.0


def a_generator_name_bound_again(x):
    def g(v):
        for e in v:
            yield e * e
    total = 0.0
    for q in g(x):
        total = total + q
    g = _tripled             # the second loop goes over what _tripled returns
    for q in g(x):
        total = total + q
    return total


@pytest.mark.parametrize("function", [a_loop_that_breaks, next_of_a_generator,
                                      a_generator_that_returns, a_yield_inside_a_try,
                                      a_generator_name_bound_again])
def test_another_use_of_a_local_generator_is_refused_naming_the_line(function):
    with pytest.raises(ad.UnsupportedSyntaxError, match="generators used other than") as caught:
        ad.grad(function)(X)
    assert "test_local_generators.py" in str(caught.value)


def module_level_generator(x):
    yield x * 2.0


def test_a_generator_differentiated_itself_is_refused():
    with pytest.raises(ad.UnsupportedSyntaxError, match="generators"):
        ad.grad(module_level_generator)(1.0)
