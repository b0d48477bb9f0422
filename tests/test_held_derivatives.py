"""A derivative function the user holds, after a name its function calls is
rebound (a notebook cell run again: `ACT = np.sin`, `CFG.act = np.sin`).

The held derivative follows the function as it computes now, value and
derivative alike, as asking for the derivative again does (held.py). Once,
the held one read the new function's value through the module while applying
the old function's derivative rule: neither derivative, silently; later it
kept computing the old function, which the program no longer calls.
"""

import sys
import types

import numpy as np
import pytest
import torch

import adcompiler as ad
from oracles import assert_close, torch_gradients

X = np.array([0.3, 0.7, -1.1])

ACT = np.tanh
CFG = types.SimpleNamespace(act=np.tanh)


class Layer:
    act = staticmethod(np.tanh)


LAYER = Layer()


def through_global(x):
    return np.sum(ACT(x) * x)


def through_namespace_attribute(x):
    return np.sum(CFG.act(x) * x)


def through_class_attribute(x):
    return np.sum(LAYER.act(x) * x)


def rebind_global(function):
    # As a notebook cell `ACT = np.sin` does (a `global` statement here would
    # make adcompiler read ACT as a variable the module changes, and refuse).
    setattr(sys.modules[__name__], "ACT", function)


def rebind_namespace_attribute(function):
    CFG.act = function


def rebind_class_attribute(function):
    Layer.act = staticmethod(function)


CASES = [
    ("module global", through_global, rebind_global),
    ("attribute of a namespace", through_namespace_attribute, rebind_namespace_attribute),
    ("attribute of a class", through_class_attribute, rebind_class_attribute),
]


def twin_of(torch_function):
    return lambda x: torch.sum(torch_function(x) * x)


@pytest.fixture
def restore_tanh():
    yield
    for _, _, rebind in CASES:
        rebind(np.tanh)


@pytest.mark.parametrize("name, function, rebind", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_held_derivative_follows_the_function_rebound_matches_torch(name, function, rebind,
                                                                     mode, restore_tanh):
    held = ad.value_and_grad(function) if mode == "reverse" else ad.jvp(function)
    call = (lambda: held(X)) if mode == "reverse" else (lambda: held((X,), (np.ones(3),)))
    call()
    rebind(np.sin)
    after = call()
    assert_close(after[0], np.sum(np.sin(X) * X), rtol=1e-12, label=f"{name}: value")
    (sin_gradient,) = torch_gradients(twin_of(torch.sin), [X], (0,))
    expected = sin_gradient if mode == "reverse" else np.sum(sin_gradient)
    assert_close(after[1], expected, label=f"{name}: the held derivative is sin's")


@pytest.mark.parametrize("name, function, rebind", CASES, ids=[c[0] for c in CASES])
def test_derivative_asked_again_after_rebinding_matches_torch(name, function, rebind,
                                                              restore_tanh):
    ad.value_and_grad(function)(X)
    rebind(np.sin)
    value, gradient = ad.value_and_grad(function)(X)
    assert_close(value, function(X), rtol=1e-12, label=f"{name}: value")
    (expected,) = torch_gradients(twin_of(torch.sin), [X], (0,))
    assert_close(gradient, expected, label=f"{name}: gradient")
