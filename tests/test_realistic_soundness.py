"""Realistic scientific-Python programs, each differentiated in reverse mode,
forward mode and value_and_grad and compared with its torch twin in float64.

Every row is a program of the kind a user writes (a helper with a `store=None`
default, ...) that once gave a wrong number or an unclear crash. Each check
also asks that the arguments are unchanged afterwards and that the value
value_and_grad returns is the function's own.
"""

import copy

import numpy as np
import pytest
import torch

import adcompiler as ad
from oracles import assert_close, torch_gradients


# --- A helper's list parameter with a default (`store=None`, `store=[]`) ----------

def _collect(v, store=None):
    if store is None:
        store = []
    store.append(v)
    store.append(v * v)
    return sum(store)


def collect_into_default(x):
    return _collect(x * 2.0) * x


def collect_into_default_twin(x):
    v = x * 2.0
    return (v + v * v) * x


def collect_into_constants(x):
    base = [np.ones(2)]
    return np.sum(_collect(x * 2.0, base) * x) + len(base)


def collect_into_constants_twin(x):
    v = x * 2.0
    return torch.sum((1.0 + v + v * v) * x) + 3


# name, function, torch twin, arguments, wrt
PROGRAMS = [
    ("helper list parameter defaulting to None", collect_into_default,
     collect_into_default_twin, (0.7,), (0,)),
    ("helper list parameter given a list of constants", collect_into_constants,
     collect_into_constants_twin, (np.array([0.7, -0.2]),), (0,)),
]

MODES = ("reverse", "forward", "value_and_grad")


def _unchanged(before, after):
    if isinstance(before, dict):
        return before.keys() == after.keys() and all(_unchanged(before[k], after[k])
                                                      for k in before)
    if isinstance(before, (list, tuple)):
        return len(before) == len(after) and all(map(_unchanged, before, after))
    return np.array_equal(np.asarray(before), np.asarray(after))


def _derivative(function, wrt, mode):
    if mode == "forward":
        return ad.grad(function, wrt=wrt, mode="forward")
    if mode == "value_and_grad":
        return ad.value_and_grad(function, wrt=wrt)
    return ad.grad(function, wrt=wrt)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name, function, twin, args, wrt", PROGRAMS,
                         ids=[row[0] for row in PROGRAMS])
def test_realistic_program_matches_torch(name, function, twin, args, wrt, mode):
    expected_value = function(*copy.deepcopy(args))
    expected = torch_gradients(twin, args, wrt)
    arguments = copy.deepcopy(args)
    result = _derivative(function, wrt, mode)(*arguments)
    if mode == "value_and_grad":
        value, result = result
        assert_close(value, expected_value, rtol=1e-12, label=f"{name}: value")
    assert _unchanged(args, arguments), f"{name}: the derivative changed its arguments"
    for position, got, want in zip(wrt, result, expected):
        assert_close(got, want, label=f"{name}: d/d argument {position} ({mode})")
