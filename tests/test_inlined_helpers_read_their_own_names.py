"""A helper written into its caller (passes/inline_mutating.py: one that
changes an argument, a one-line helper called in a loop, one handed a
function) must read the names its own code reads. A closure's free names are
its cells, and a global the helper reads may be hidden in the caller by a
variable of a function enclosing it: in both cases the copy would read the
caller's value, silently giving another value and another derivative. Such
helpers keep their own derivatives (or are refused, naming the line)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import adcompiler as ad
from torch_oracle import CHECKS, assert_matches_twin

POINT = np.array([0.3, -1.2, 0.7, 1.1])
DIRECTION = np.array([0.5, 0.2, -0.4, 1.0])

scale = 100.0   # what the callers' own `scale` hides


def _make_step(scale):
    def step(y, k):
        return y - scale * k * y   # `scale` is step's cell, 0.1
    return step


step = _make_step(0.1)


def _make_integrator(scale):
    def integrate(f, y):
        return scale * f(y)        # `scale` is the cell, 2.0
    return integrate


integrate = _make_integrator(2.0)


def decay_by_a_closure_helper_in_a_loop(x):
    y = x[1:]
    for _ in range(3):
        y = step(y, x[0])
    return np.sum(y ** 2)


def t_decay_by_a_closure_helper_in_a_loop(x):
    y = x[1:]
    for _ in range(3):
        y = y - 0.1 * x[0] * y
    return torch.sum(y ** 2)


def scale_in_place(v):
    v[0] = v[0] * scale            # the module's `scale`, 100.0


def _enclosing():
    scale = 3.0                    # hides the module's for the function below

    def loss_through_a_helper_reading_a_hidden_global(x):
        y = x * 1.0
        scale_in_place(y)
        return np.sum(y ** 2) * scale

    return loss_through_a_helper_reading_a_hidden_global


loss_through_a_helper_reading_a_hidden_global = _enclosing()


def t_loss_through_a_helper_reading_a_hidden_global(x):
    y = torch.cat([x[:1] * 100.0, x[1:]])
    return torch.sum(y ** 2) * 3.0


@pytest.mark.parametrize("check", CHECKS)
def test_a_closure_helper_called_in_a_loop_reads_its_own_cells(check):
    assert_matches_twin(decay_by_a_closure_helper_in_a_loop,
                        t_decay_by_a_closure_helper_in_a_loop, POINT, DIRECTION, check)


def test_a_helper_reading_a_global_the_caller_hides_is_never_silently_wrong():
    function = loss_through_a_helper_reading_a_hidden_global
    try:
        value, gradient = ad.value_and_grad(function)(POINT.copy())
    except ad.AdError as error:   # refused: the helper's change is not followed
        assert "scale_in_place" in str(error)
        return
    x = torch.tensor(POINT, requires_grad=True)
    expected = t_loss_through_a_helper_reading_a_hidden_global(x)
    expected.backward()
    assert value == function(POINT.copy())
    np.testing.assert_allclose(gradient, x.grad.numpy(), rtol=1e-12)


def test_a_closure_handed_a_function_is_never_silently_wrong():
    def loss(x):
        return np.sum(integrate(np.sin, x))

    try:
        value, gradient = ad.value_and_grad(loss)(POINT.copy())
    except ad.AdError as error:   # refused: which function `f` calls is not known
        assert "integrate" in str(error) or "`f`" in str(error)
        return
    assert value == loss(POINT.copy())
    np.testing.assert_allclose(gradient, 2.0 * np.cos(POINT), rtol=1e-12)
