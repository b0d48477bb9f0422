"""Random programs holding nested derivatives, against torch.autograd.

Each seed writes a small function that builds a derivative inside itself, in
one of the forms tests/test_nested_derivatives.py specifies one by one (a
lambda or local def reading the differentiated variable, bound to a name or
called at once, value_and_grad, a local helper it calls, a lambda inside it
given to ad.grad again, a parameter with a default left out or given by
keyword), with random elementwise expressions. Its gradient
and its jvp must match torch's double backward of the same text read with
torch's functions, the inner derivative built with create_graph=True.
"""

from __future__ import annotations

import importlib
import random
import sys

import numpy as np
import pytest
import torch

import adcompiler as ad

torch.set_default_dtype(torch.float64)

FORMS = ("bound", "called_at_once", "local_def", "value_and_grad", "helper", "nested",
         "default_left_out", "keyword")


def _expression(names: list, depth: int, rng: random.Random) -> str:
    if depth == 0 or rng.random() < 0.3:
        return rng.choice(names + ["0.5", "1.3"])
    if rng.random() < 0.34:
        return f"np.{rng.choice(['sin', 'cos', 'tanh'])}({_expression(names, depth - 1, rng)})"
    op = rng.choice(["+", "*", "-"])
    return f"({_expression(names, depth - 1, rng)} {op} {_expression(names, depth - 1, rng)})"


def program(seed: int) -> str:
    """The text of the module for `seed`: a function f(x)."""
    rng = random.Random(seed)
    form = FORMS[seed % len(FORMS)]
    lines = ["import numpy as np", "import adcompiler as ad", "", "", "def f(x):",
             f"    a = {_expression(['x'], 2, rng)}"]
    body = _expression(["y", "a", "x"], 3, rng)
    if form == "local_def":
        lines += ["    def inner(y):", f"        return np.sum({body} * y)"]
    elif form in ("default_left_out", "keyword"):
        lines += ["    def inner(y, c=1.3):", f"        return np.sum({body} * y * c)"]
    elif form == "helper":
        lines += ["    def helper(v):", f"        return {_expression(['v', 'a', 'x'], 2, rng)}",
                  "", "    def inner(y):", f"        return np.sum(helper({body}) * y)"]
    elif form == "nested":
        inner_body = _expression(["z", "y", "x"], 2, rng)
        lines += ["    def inner(y):",
                  f"        return np.sum(ad.grad(lambda z: np.sum(z * {inner_body}))"
                  f"({_expression(['y', 'a'], 1, rng)}) * y)"]
    else:
        lines += [f"    inner = lambda y: np.sum({body} * y)  # noqa: E731"]
    point, weight = _expression(["x", "a"], 2, rng), _expression(["x", "a"], 1, rng)
    if form == "bound":
        lines += ["    dg = ad.grad(inner)", f"    return np.sum(dg({point}) * {weight})"]
    elif form == "keyword":
        lines += [f"    c = {_expression(['x', 'a'], 1, rng)}",
                  f"    return np.sum(ad.grad(inner)({point}, c=c) * {weight})"]
    elif form == "value_and_grad":
        lines += [f"    value, slope = ad.value_and_grad(inner)({point})",
                  f"    return value * np.sum(slope * {weight})"]
    else:
        lines += [f"    return np.sum(ad.grad(inner)({point}) * {weight})"]
    return "\n".join(lines) + "\n"


class _TorchNumpy:
    """The few NumPy functions the programs call, computed by torch."""
    sin = staticmethod(lambda v: torch.sin(torch.as_tensor(v)))
    cos = staticmethod(lambda v: torch.cos(torch.as_tensor(v)))
    tanh = staticmethod(lambda v: torch.tanh(torch.as_tensor(v)))
    sum = staticmethod(lambda v: torch.sum(torch.as_tensor(v)))


def _torch_builders():
    def argument(a):
        a = a if torch.is_tensor(a) else torch.tensor(a)
        # a variable of its own: the closure's x held fixed inside
        return a * 1.0 if a.requires_grad else a.detach().clone().requires_grad_(True)

    def grad(fn):
        def gradient(a, **keywords):
            y = argument(a)
            return torch.autograd.grad(fn(y, **keywords), y, create_graph=True)[0]
        return gradient

    def value_and_grad(fn):
        def both(a):
            y = argument(a)
            value = fn(y)
            return value, torch.autograd.grad(value, y, create_graph=True)[0]
        return both
    return grad, value_and_grad


def _torch_twin(text: str):
    grad, value_and_grad = _torch_builders()
    builders = type("TorchBuilders", (), {"grad": staticmethod(grad),
                                          "value_and_grad": staticmethod(value_and_grad)})
    namespace = {"np": _TorchNumpy, "ad": builders}
    body = text.split("\n", 2)[2]   # without the imports
    exec(compile(body, "<torch twin>", "exec"), namespace)
    return namespace["f"]


def _torch_gradient(twin, x):
    xt = torch.tensor(np.asarray(x, dtype=np.float64), requires_grad=True)
    out = twin(xt)
    if not (torch.is_tensor(out) and out.requires_grad):
        return np.zeros(np.shape(x))
    (gradient,) = torch.autograd.grad(out, xt, allow_unused=True)
    return np.zeros(np.shape(x)) if gradient is None else gradient.detach().numpy()


@pytest.fixture(scope="module")
def programs_directory(tmp_path_factory):
    directory = tmp_path_factory.mktemp("nested_derivative_programs")
    sys.path.insert(0, str(directory))
    yield directory
    sys.path.remove(str(directory))


@pytest.mark.parametrize("seed", range(24))
def test_random_nested_derivative_matches_torch(seed, programs_directory):
    text = program(seed)
    name = f"nested_derivative_program_{seed}"
    (programs_directory / f"{name}.py").write_text(text)
    f = importlib.import_module(name).f
    twin = _torch_twin(text)
    for x in (np.array([0.3, -0.7, 1.1]), 0.4):
        want = _torch_gradient(twin, x)
        np.testing.assert_allclose(ad.grad(f)(x), want, rtol=1e-9, atol=1e-11, err_msg=text)
        tangent = 0.3 if np.ndim(x) == 0 else np.full(np.shape(x), 0.3)
        _, along = ad.jvp(f)((x,), (tangent,))
        np.testing.assert_allclose(along, np.sum(want * tangent), rtol=1e-9, atol=1e-11,
                                   err_msg=text)
