"""A function picked out of a dict by a key known only when the code runs,
`ACTS[name](x)` with `name` an argument or `cfg.act` a field of a config
object (passes/resolve.py): a choice among the dict's entries when
compiling, checked at each call (runtime/choices.py), so that a dict changed
since raises instead of running another function's derivative. Both modes and
second order checked against torch."""

import numpy as np
import pytest
import torch

import adcompiler as ad
from oracles import assert_close, to_torch

X = np.array([0.3, -1.2, 0.7])


def relu(x):
    return np.maximum(x, 0.0)


def softplus(x):
    return np.log1p(np.exp(x))


ACTS = {"tanh": np.tanh, "relu": relu, "softplus": softplus, "also_tanh": np.tanh}
TORCH_ACTS = {"tanh": torch.tanh, "relu": torch.relu,
              "softplus": torch.nn.functional.softplus, "also_tanh": torch.tanh}
LAYERS = (np.sin, softplus)


class Config:
    def __init__(self, act):
        self.act = act


CONFIG = Config("softplus")


def by_name(x, name):
    return np.sum(ACTS[name](x) * x)


def by_argument_field(x, cfg):
    return np.sum(ACTS[cfg.act](x * 2.0))


def by_global_field(x):
    return np.sum(ACTS[CONFIG.act](x) ** 2)


def by_index(x, k):
    return np.sum(LAYERS[k](x))


def by_local_display(x, name):
    table = {"tanh": np.tanh, "softplus": softplus}
    return np.sum(table[name](x))


def torch_twin(function, key):
    twins = {
        by_name: lambda x: torch.sum(TORCH_ACTS[key](x) * x),
        by_argument_field: lambda x: torch.sum(TORCH_ACTS[key.act](x * 2.0)),
        by_global_field: lambda x: torch.sum(TORCH_ACTS[CONFIG.act](x) ** 2),
        by_index: lambda x: torch.sum([torch.sin, torch.nn.functional.softplus][key](x)),
        by_local_display: lambda x: torch.sum(TORCH_ACTS[key](x)),
    }
    return twins[function]


CASES = [(by_name, key) for key in ACTS] + [
    (by_argument_field, Config("relu")), (by_argument_field, Config("tanh")),
    (by_global_field, None), (by_index, 0), (by_index, 1),
    (by_local_display, "tanh"), (by_local_display, "softplus")]
IDS = [f"{f.__name__}-{getattr(k, 'act', k)}" for f, k in CASES]


def arguments(key):
    return (X,) if key is None else (X, key)


@pytest.mark.parametrize("function, key", CASES, ids=IDS)
def test_function_chosen_by_key_gradient_matches_torch(function, key):
    x = torch.tensor(X, requires_grad=True)
    torch_twin(function, key)(x).backward()
    assert_close(ad.grad(function)(*arguments(key)), x.grad.numpy())
    assert_close(ad.grad(function, mode="forward")(*arguments(key)), x.grad.numpy())


@pytest.mark.parametrize("function, key", CASES, ids=IDS)
def test_function_chosen_by_key_hessian_matches_torch(function, key):
    expected = torch.autograd.functional.hessian(torch_twin(function, key), to_torch(X))
    assert_close(ad.hessian(function)(*arguments(key)), expected.numpy())


def test_a_key_missing_from_the_dict_raises_key_error_as_python_does():
    with pytest.raises(KeyError):
        ad.grad(by_name)(X, "sigmoid")


def test_a_dict_changed_after_compiling_is_followed_by_the_held_derivative(monkeypatch):
    derivative = ad.grad(by_name)
    monkeypatch.setitem(ACTS, "tanh", np.sin)
    # The derivative held is compiled again for what the dict holds now (held.py).
    assert_close(derivative(X, "tanh"), np.sin(X) + X * np.cos(X))
    assert_close(ad.grad(by_name)(X, "tanh"), np.sin(X) + X * np.cos(X))


def test_a_key_added_for_a_new_function_after_compiling_is_followed(monkeypatch):
    derivative = ad.grad(by_name)
    monkeypatch.setitem(ACTS, "sigmoid", lambda v: 1.0 / (1.0 + np.exp(-v)))
    sigmoid = 1.0 / (1.0 + np.exp(-X))
    assert_close(derivative(X, "sigmoid"), sigmoid + X * sigmoid * (1 - sigmoid))
    assert_close(derivative(X, "relu"), relu(X) + X * (X > 0))  # the others still work
