"""Every derivative rule, specified by example and checked against independent oracles.

The table `SPECS` holds one row per differentiable rule of
`registry.builtin_rules()`, plus rows for the variants that matter (Python
floats, 0-d arrays, axis arguments, methods such as `x.sum()` and `x.T`, ...).
A row reads like this:

    S("np.sum-axis=-1", np.sum, "x: np.sum(x, axis=-1)", [normal(3, 4)],
      lambda x: torch.sum(x, dim=-1)),

    - an id, used in the test ids;
    - the primitive the row specifies (the rule's `function`, compared by identity
      by the coverage test);
    - the function under test, written `"params: expression"`; it becomes
      `def f(params):\\n    return expression` in a module file of its own, because
      adcompiler reads the source of what it differentiates. (Sources that start
      with `def ` are used as written.)
    - one input generator per parameter: `normal`, `positive`, `unit`,
      `nonzero` with a shape (no shape: a 0-d array), `py(domain)` for a Python
      float, `Const(value)` for an argument that is not differentiated;
    - the torch twin, a function of torch tensors computing the same thing;
    - optionally a relative tolerance for the comparison with torch.

For every row and every differentiable argument, the vector-Jacobian product
`ad.vjp(f, wrt=i)(tuple(args), seed)` with a random seed of the result's shape must
equal torch.autograd's and central finite differences of `sum(f(*args) * seed)`;
the gradient must have its argument's type, shape and dtype. Further tests
cover broadcasting of every binary pointwise rule, float32 inputs, Python
floats, ties in np.maximum, norms, np.dot and `@` shape combinations, and
nondifferentiable functions called on differentiated values.
"""

from __future__ import annotations

import builtins
import importlib.util
import itertools
import math
import operator
import re
import sys
import zlib
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pytest
import torch

import adcompiler as ad
from adcompiler.rules import registry
from oracles import assert_close, finite_difference_gradient, torch_gradients

# Comparison with torch: both compute the same formulas in float64.
TORCH_RTOL, TORCH_ATOL = 1e-9, 1e-12
# Central differences with step 1e-6.
FD_RTOL, FD_ATOL = 1e-5, 1e-7
# float32 gradients against the float64 oracle.
F32_RTOL, F32_ATOL = 1e-4, 1e-5


# -- input generators -------------------------------------------------------

_DOMAINS = {
    "normal": lambda rng, shape: rng.standard_normal(shape),
    "positive": lambda rng, shape: rng.uniform(0.5, 2.0, shape),
    "unit": lambda rng, shape: rng.uniform(-0.9, 0.9, shape),
    "nonzero": lambda rng, shape: rng.choice([-1.0, 1.0], shape) * rng.uniform(0.5, 2.0, shape),
}


@dataclass(frozen=True)
class Arg:
    """A differentiable argument: a float64 array of `shape` drawn from `domain`,
    or a Python float when `shape` is None."""

    domain: str
    shape: tuple | None

    differentiable = True

    def make(self, rng, dtype=np.float64):
        if self.shape is None:
            return float(_DOMAINS[self.domain](rng, ()))
        return np.asarray(_DOMAINS[self.domain](rng, self.shape), dtype=dtype)

    def describe(self) -> str:
        if self.shape is None:
            return "float"
        return "x".join(map(str, self.shape)) if self.shape else "0d"


@dataclass(frozen=True)
class Const:
    """An argument passed as is and not differentiated (a condition, an index)."""

    value: object
    differentiable = False

    def make(self, rng, dtype=np.float64):
        return np.copy(self.value) if isinstance(self.value, np.ndarray) else self.value

    def describe(self) -> str:
        return "const"


def normal(*shape):
    return Arg("normal", shape)


def positive(*shape):
    return Arg("positive", shape)


def unit(*shape):
    """Inside (-1, 1), for arcsin and arccos."""
    return Arg("unit", shape)


def nonzero(*shape):
    """Away from 0, for divisors and abs."""
    return Arg("nonzero", shape)


def py(domain="normal"):
    """A Python float."""
    return Arg(domain, None)


# -- the table ----------------------------------------------------------------

@dataclass(frozen=True)
class Spec:
    id: str
    primitive: object
    source: str
    args: tuple
    torch_fn: Callable
    rtol: float = TORCH_RTOL
    params: tuple = field(init=False)

    def __post_init__(self):
        object.__setattr__(self, "args", tuple(self.args))
        object.__setattr__(self, "params", _parameters(self.full_source()))
        assert len(self.params) == len(self.args), f"{self.id}: one generator per parameter"

    def full_source(self) -> str:
        if self.source.startswith("def "):
            return self.source
        params, expression = self.source.split(":", 1)
        return f"def f({params.strip()}):\n    return {expression.strip()}\n"

    @property
    def wrt(self) -> tuple:
        return tuple(i for i, a in enumerate(self.args) if a.differentiable)

    def make_args(self, dtype=np.float64):
        rng = np.random.default_rng(zlib.crc32(self.id.encode()))
        return [a.make(rng, dtype) for a in self.args]


def _parameters(source: str) -> tuple:
    header = re.match(r"def \w+\((.*?)\):", source)
    return tuple(p.strip() for p in header.group(1).split(",") if p.strip())


S = Spec


def torch_dot(a, b):
    """np.dot for 0-d, 1-d and 2-d operands."""
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    return a @ b


SPECS = [
    # Python operators (on arrays, and on Python floats where they apply).
    S("operator.add", operator.add, "x, y: x + y", [normal(3, 4), normal(3, 4)], lambda x, y: x + y),
    S("operator.add-floats", operator.add, "x, y: x + y", [py(), py()], lambda x, y: x + y),
    S("operator.sub", operator.sub, "x, y: x - y", [normal(3, 4), normal(3, 4)], lambda x, y: x - y),
    S("operator.sub-floats", operator.sub, "x, y: x - y", [py(), py()], lambda x, y: x - y),
    S("operator.mul", operator.mul, "x, y: x * y", [normal(3, 4), normal(3, 4)], lambda x, y: x * y),
    S("operator.mul-floats", operator.mul, "x, y: x * y", [py(), py()], lambda x, y: x * y),
    S("operator.mul-same-operand", operator.mul, "x: x * x", [normal(3, 4)], lambda x: x * x),
    S("operator.truediv", operator.truediv, "x, y: x / y", [normal(3, 4), nonzero(3, 4)], lambda x, y: x / y),
    S("operator.truediv-floats", operator.truediv, "x, y: x / y", [py(), py("nonzero")], lambda x, y: x / y),
    S("operator.pow", operator.pow, "x, y: x ** y", [positive(3, 4), normal(3, 4)], lambda x, y: x ** y),
    S("operator.pow-floats", operator.pow, "x, y: x ** y", [py("positive"), py()], lambda x, y: x ** y),
    S("operator.pow-constant-exponent", operator.pow, "x: x ** 3", [normal(3, 4)], lambda x: x ** 3),
    S("operator.pow-constant-base", operator.pow, "y: 2.0 ** y", [normal(3, 4)], lambda y: 2.0 ** y),
    S("operator.neg", operator.neg, "x: -x", [normal(3, 4)], lambda x: -x),
    S("operator.neg-float", operator.neg, "x: -x", [py()], lambda x: -x),
    S("operator.pos", operator.pos, "x: +x", [normal(3, 4)], lambda x: +x),
    S("operator.pos-float", operator.pos, "x: +x", [py()], lambda x: +x),
    S("builtins.abs", builtins.abs, "x: abs(x)", [nonzero(3, 4)], torch.abs),
    S("builtins.abs-float", builtins.abs, "x: abs(x)", [py("nonzero")], torch.abs),
    S("builtins.float-of-0d", builtins.float, "x: float(x)", [normal()], lambda x: x * 1.0),
    S("builtins.float-of-float", builtins.float, "x: float(x)", [py()], lambda x: x * 1.0),
    S("operator.matmul", operator.matmul, "a, b: a @ b", [normal(3, 4), normal(4, 5)], lambda a, b: a @ b),
    S("operator.matmul-batch", operator.matmul, "a, b: a @ b", [normal(2, 3, 4), normal(4, 5)], lambda a, b: a @ b),
    S("operator.matmul-vector", operator.matmul, "a, b: a @ b", [normal(3, 4), normal(4)], lambda a, b: a @ b),
    S("operator.getitem-slice", operator.getitem, "x: x[1:3]", [normal(5)], lambda x: x[1:3]),
    S("operator.getitem-int", operator.getitem, "x: x[1]", [normal(3, 4)], lambda x: x[1]),
    S("operator.getitem-negative-int", operator.getitem, "x: x[-1]", [normal(3, 4)], lambda x: x[-1]),
    S("operator.getitem-column", operator.getitem, "x: x[:, 1]", [normal(3, 4)], lambda x: x[:, 1]),
    S("operator.getitem-step", operator.getitem, "x: x[1:, ::2]", [normal(3, 5)], lambda x: x[1:, ::2]),
    S("operator.getitem-reversed", operator.getitem, "x: x[::-1]", [normal(5)], lambda x: torch.flip(x, [0])),
    S("operator.getitem-repeated-indices", operator.getitem, "x: x[[0, 2, 2]]", [normal(4, 2)], lambda x: x[[0, 2, 2]]),
    S("operator.getitem-mask", operator.getitem, "x: x[x > 0]", [normal(6)], lambda x: x[x > 0]),
    S("operator.getitem-newaxis", operator.getitem, "x: x[..., None]", [normal(3, 2)], lambda x: x[..., None]),
    S("operator.getitem-0d-result", operator.getitem, "x: x[1, 2]", [normal(3, 4)], lambda x: x[1, 2]),

    # The math module, on Python floats.
    S("math.sin", math.sin, "x: math.sin(x)", [py()], torch.sin),
    S("math.sin-of-0d-array", math.sin, "x: math.sin(x)", [normal()], torch.sin),
    S("math.cos", math.cos, "x: math.cos(x)", [py()], torch.cos),
    S("math.tan", math.tan, "x: math.tan(x)", [py("unit")], torch.tan),
    S("math.exp", math.exp, "x: math.exp(x)", [py()], torch.exp),
    S("math.expm1", math.expm1, "x: math.expm1(x)", [py()], torch.expm1),
    S("math.log", math.log, "x: math.log(x)", [py("positive")], torch.log),
    S("math.log1p", math.log1p, "x: math.log1p(x)", [py("positive")], torch.log1p),
    S("math.sqrt", math.sqrt, "x: math.sqrt(x)", [py("positive")], torch.sqrt),
    S("math.tanh", math.tanh, "x: math.tanh(x)", [py()], torch.tanh),
    S("math.sinh", math.sinh, "x: math.sinh(x)", [py()], torch.sinh),
    S("math.cosh", math.cosh, "x: math.cosh(x)", [py()], torch.cosh),
    S("math.asin", math.asin, "x: math.asin(x)", [py("unit")], torch.asin),
    S("math.acos", math.acos, "x: math.acos(x)", [py("unit")], torch.acos),
    S("math.atan", math.atan, "x: math.atan(x)", [py()], torch.atan),
    S("math.pow", math.pow, "x, y: math.pow(x, y)", [py("positive"), py()], torch.pow),
    S("math.fabs", math.fabs, "x: math.fabs(x)", [py("nonzero")], torch.abs),

    # NumPy arithmetic ufuncs.
    S("np.add", np.add, "x, y: np.add(x, y)", [normal(3, 4), normal(3, 4)], torch.add),
    S("np.subtract", np.subtract, "x, y: np.subtract(x, y)", [normal(3, 4), normal(3, 4)], torch.sub),
    S("np.multiply", np.multiply, "x, y: np.multiply(x, y)", [normal(3, 4), normal(3, 4)], torch.mul),
    S("np.divide", np.divide, "x, y: np.divide(x, y)", [normal(3, 4), nonzero(3, 4)], torch.div),
    S("np.power", np.power, "x, y: np.power(x, y)", [positive(3, 4), normal(3, 4)], torch.pow),
    S("np.power-constant-exponent", np.power, "x: np.power(x, 2.0)", [normal(3, 4)], lambda x: torch.pow(x, 2.0)),
    S("np.negative", np.negative, "x: np.negative(x)", [normal(3, 4)], torch.neg),
    S("np.square", np.square, "x: np.square(x)", [normal(3, 4)], torch.square),
    S("np.abs", np.abs, "x: np.abs(x)", [nonzero(3, 4)], torch.abs),
    S("np.maximum", np.maximum, "x, y: np.maximum(x, y)", [normal(3, 4), normal(3, 4)], torch.maximum),
    S("np.where", np.where, "c, x, y: np.where(c, x, y)",
      [Const(np.array([[True, False, True, False]] * 3)), normal(3, 4), normal(3, 4)],
      lambda c, x, y: torch.where(c.bool(), x, y)),
    S("np.where-broadcast-condition", np.where, "c, x, y: np.where(c, x, y)",
      [Const(np.array([True, False, True])[:, None]), normal(3, 4), normal(4)],
      lambda c, x, y: torch.where(c.bool(), x, y)),
    S("np.where-computed-condition", np.where, "x, y: np.where(x > y, x * 2.0, y)",
      [normal(3, 4), normal(3, 4)], lambda x, y: torch.where(x > y, x * 2.0, y)),

    # Exponentials and logarithms.
    S("np.exp", np.exp, "x: np.exp(x)", [normal(3, 4)], torch.exp),
    S("np.expm1", np.expm1, "x: np.expm1(x)", [normal(3, 4)], torch.expm1),
    S("np.log", np.log, "x: np.log(x)", [positive(3, 4)], torch.log),
    S("np.log1p", np.log1p, "x: np.log1p(x)", [positive(3, 4)], torch.log1p),
    S("np.sqrt", np.sqrt, "x: np.sqrt(x)", [positive(3, 4)], torch.sqrt),
    S("np.sqrt-of-float", np.sqrt, "x: np.sqrt(x)", [py("positive")], torch.sqrt),
    S("np.exp-of-0d", np.exp, "x: np.exp(x)", [normal()], torch.exp),

    # Trigonometric and hyperbolic functions.
    S("np.sin", np.sin, "x: np.sin(x)", [normal(3, 4)], torch.sin),
    S("np.cos", np.cos, "x: np.cos(x)", [normal(3, 4)], torch.cos),
    S("np.tan", np.tan, "x: np.tan(x)", [unit(3, 4)], torch.tan),
    S("np.arcsin", np.arcsin, "x: np.arcsin(x)", [unit(3, 4)], torch.asin),
    S("np.arccos", np.arccos, "x: np.arccos(x)", [unit(3, 4)], torch.acos),
    S("np.arctan", np.arctan, "x: np.arctan(x)", [normal(3, 4)], torch.atan),
    S("np.tanh", np.tanh, "x: np.tanh(x)", [normal(3, 4)], torch.tanh),
    S("np.sinh", np.sinh, "x: np.sinh(x)", [normal(3, 4)], torch.sinh),
    S("np.cosh", np.cosh, "x: np.cosh(x)", [normal(3, 4)], torch.cosh),

    # Reductions.
    S("np.sum", np.sum, "x: np.sum(x)", [normal(3, 4)], torch.sum),
    S("np.sum-axis=1", np.sum, "x: np.sum(x, axis=1)", [normal(3, 4)], lambda x: torch.sum(x, dim=1)),
    S("np.sum-axis=1-keepdims", np.sum, "x: np.sum(x, axis=1, keepdims=True)", [normal(3, 4)],
      lambda x: torch.sum(x, dim=1, keepdim=True)),
    S("np.sum-axis=-1", np.sum, "x: np.sum(x, axis=-1)", [normal(3, 4)], lambda x: torch.sum(x, dim=-1)),
    S("np.sum-axis=(0,2)", np.sum, "x: np.sum(x, axis=(0, 2))", [normal(2, 3, 4)],
      lambda x: torch.sum(x, dim=(0, 2))),
    S("np.sum-axis=(0,-1)-keepdims", np.sum, "x: np.sum(x, axis=(0, -1), keepdims=True)",
      [normal(2, 3, 4)], lambda x: torch.sum(x, dim=(0, -1), keepdim=True)),
    S("np.sum-positional-axis", np.sum, "x: np.sum(x, 0)", [normal(3, 4)], lambda x: torch.sum(x, dim=0)),
    S("np.sum-of-0d", np.sum, "x: np.sum(x)", [normal()], torch.sum),
    S("np.sum-method", np.sum, "x: x.sum(axis=0)", [normal(3, 4)], lambda x: x.sum(dim=0)),
    S("np.mean", np.mean, "x: np.mean(x)", [normal(3, 4)], torch.mean),
    S("np.mean-axis=0", np.mean, "x: np.mean(x, axis=0)", [normal(3, 4)], lambda x: torch.mean(x, dim=0)),
    S("np.mean-axis=-1-keepdims", np.mean, "x: np.mean(x, axis=-1, keepdims=True)", [normal(3, 4)],
      lambda x: torch.mean(x, dim=-1, keepdim=True)),
    S("np.mean-axis=(1,2)", np.mean, "x: np.mean(x, axis=(1, 2))", [normal(2, 3, 4)],
      lambda x: torch.mean(x, dim=(1, 2))),
    S("np.mean-method", np.mean, "x: x.mean()", [normal(3, 4)], lambda x: x.mean()),

    # Products.
    S("np.dot-vector-vector", np.dot, "a, b: np.dot(a, b)", [normal(4), normal(4)], torch_dot),
    S("np.dot-matrix-vector", np.dot, "a, b: np.dot(a, b)", [normal(3, 4), normal(4)], torch_dot),
    S("np.dot-vector-matrix", np.dot, "a, b: np.dot(a, b)", [normal(4), normal(4, 5)], torch_dot),
    S("np.dot-matrix-matrix", np.dot, "a, b: np.dot(a, b)", [normal(3, 4), normal(4, 5)], torch_dot),
    S("np.dot-scalar-matrix", np.dot, "a, b: np.dot(a, b)", [normal(), normal(3, 4)], torch_dot),
    S("np.dot-method", np.dot, "a, b: a.dot(b)", [normal(3, 4), normal(4, 5)], torch_dot),
    S("np.matmul", np.matmul, "a, b: np.matmul(a, b)", [normal(3, 4), normal(4, 5)], torch.matmul),
    S("np.matmul-batch", np.matmul, "a, b: np.matmul(a, b)", [normal(2, 3, 4), normal(2, 4, 5)], torch.matmul),
    S("np.matmul-vector-matrix", np.matmul, "a, b: np.matmul(a, b)", [normal(4), normal(4, 5)], torch.matmul),

    # Shapes.
    S("np.reshape", np.reshape, "x: np.reshape(x, (3, -1))", [normal(2, 6)], lambda x: x.reshape(3, -1)),
    S("np.reshape-method", np.reshape, "x: x.reshape(2, 3)", [normal(6)], lambda x: x.reshape(2, 3)),
    S("np.reshape-method-tuple", np.reshape, "x: x.reshape((3, 2))", [normal(2, 3)], lambda x: x.reshape(3, 2)),
    S("np.reshape-flatten", np.reshape, "x: x.reshape(-1)", [normal(2, 3)], lambda x: x.reshape(-1)),
    S("np.transpose", np.transpose, "x: np.transpose(x)", [normal(2, 3, 4)], lambda x: x.permute(2, 1, 0)),
    S("np.transpose-T", np.transpose, "x: x.T", [normal(3, 4)], lambda x: x.T),
    S("np.transpose-axes", np.transpose, "x: np.transpose(x, (1, 2, 0))", [normal(2, 3, 4)],
      lambda x: x.permute(1, 2, 0)),
    S("np.transpose-negative-axes", np.transpose, "x: np.transpose(x, (-1, 0, 1))", [normal(2, 3, 4)],
      lambda x: x.permute(2, 0, 1)),
    S("np.transpose-method", np.transpose, "x: x.transpose(1, 0, 2)", [normal(2, 3, 4)],
      lambda x: x.permute(1, 0, 2)),

    # Linear algebra.
    S("np.linalg.norm-vector", np.linalg.norm, "x: np.linalg.norm(x)", [normal(5)], torch.linalg.norm),
    S("np.linalg.norm-frobenius", np.linalg.norm, "x: np.linalg.norm(x)", [normal(3, 4)], torch.linalg.norm),
    S("np.linalg.norm-ord=fro", np.linalg.norm, "x: np.linalg.norm(x, 'fro')", [normal(3, 4)],
      lambda x: torch.linalg.norm(x, "fro")),
    S("np.linalg.norm-vector-ord=2", np.linalg.norm, "x: np.linalg.norm(x, 2)", [normal(5)],
      lambda x: torch.linalg.norm(x, 2)),
    S("np.linalg.norm-axis=1", np.linalg.norm, "x: np.linalg.norm(x, axis=1)", [normal(3, 4)],
      lambda x: torch.linalg.norm(x, dim=1)),
    S("np.linalg.norm-axis=-1-keepdims", np.linalg.norm, "x: np.linalg.norm(x, axis=-1, keepdims=True)",
      [normal(3, 4)], lambda x: torch.linalg.norm(x, dim=-1, keepdim=True)),
    S("np.linalg.norm-axis=(1,2)", np.linalg.norm, "x: np.linalg.norm(x, axis=(1, 2))", [normal(2, 3, 4)],
      lambda x: torch.linalg.norm(x, dim=(1, 2))),
]

SPEC_IDS = [spec.id for spec in SPECS]
assert len(set(SPEC_IDS)) == len(SPEC_IDS), "spec ids must be unique"


def _cases(specs):
    return [pytest.param(spec, i, id=f"{spec.id}-d{spec.params[i]}")
            for spec in specs for i in spec.wrt]


CASES = _cases(SPECS)


# -- compiling the sources -------------------------------------------------

_HEADER = "import math\nimport operator\n\nimport numpy as np\n\n\n"


class SourceLoader:
    """Writes each function to a module file of its own and imports it, so that
    adcompiler can read its source. Loading the same source twice returns the
    same function (and so reuses adcompiler's cache) unless `fresh`."""

    def __init__(self, directory):
        self.directory = directory
        self.cache = {}
        self.counter = itertools.count()

    def __call__(self, source: str, fresh: bool = False):
        if not fresh and source in self.cache:
            return self.cache[source]
        name = f"_adcompiler_rule_spec_{next(self.counter)}"
        path = self.directory / f"{name}.py"
        path.write_text(_HEADER + source)
        module_spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[name] = module
        module_spec.loader.exec_module(module)
        function = module.f
        if not fresh:
            self.cache[source] = function
        return function


@pytest.fixture(scope="module")
def load(tmp_path_factory):
    loader = SourceLoader(tmp_path_factory.mktemp("rule_specs"))
    yield loader
    for name in [n for n in sys.modules if n.startswith("_adcompiler_rule_spec_")]:
        del sys.modules[name]


def function_of(spec, load):
    return load(spec.full_source())


def random_seed(result, rng, dtype=np.float64):
    """A seed of the result's shape: a Python float for a float result."""
    if isinstance(result, float):
        return float(rng.standard_normal())
    return np.asarray(rng.standard_normal(np.shape(result)), dtype=dtype)


def seed_for(spec, f, args, dtype=np.float64):
    rng = np.random.default_rng(zlib.crc32(f"seed:{spec.id}".encode()))
    return random_seed(f(*args), rng, dtype)


def is_scalar(value) -> bool:
    return np.ndim(value) == 0


# -- the table against the oracles ---------------------------------------------

@pytest.mark.parametrize("spec, i", CASES)
def test_rule_vjp_matches_torch(spec, i, load):
    f = function_of(spec, load)
    args = spec.make_args()
    seed = seed_for(spec, f, args)
    got = ad.vjp(f, wrt=i)(tuple(args), seed)
    (want,) = torch_gradients(spec.torch_fn, args, (i,), seed)
    assert_close(got, want, rtol=spec.rtol, atol=TORCH_ATOL, label=f"{spec.id} d/d{spec.params[i]}")


@pytest.mark.parametrize("spec, i", CASES)
def test_rule_vjp_matches_finite_differences(spec, i, load):
    f = function_of(spec, load)
    args = spec.make_args()
    seed = seed_for(spec, f, args)
    got = ad.vjp(f, wrt=i)(tuple(args), seed)
    want = finite_difference_gradient(f, args, i, seed)
    assert_close(got, want, rtol=FD_RTOL, atol=FD_ATOL, label=f"{spec.id} d/d{spec.params[i]}")


@pytest.mark.parametrize("spec, i", CASES)
def test_rule_jvp_matches_torch_func_jvp(spec, i, load):
    f = function_of(spec, load)
    args = spec.make_args()
    rng = np.random.default_rng(17)
    tangent = rng.standard_normal(np.shape(args[i]))
    tangent = float(tangent) if isinstance(args[i], float) else tangent.astype(np.float64)
    value, got = ad.jvp(f, wrt=i)(tuple(args), (tangent,))
    tensors = [torch.tensor(np.asarray(a, dtype=np.float64)) if isinstance(a, (float, np.ndarray))
               else a for a in args]

    def along(x):
        return spec.torch_fn(*tensors[:i], x, *tensors[i + 1:])

    _, want = torch.func.jvp(along, (tensors[i],), (torch.tensor(np.asarray(tangent)),))
    assert_close(value, f(*args), rtol=1e-12, atol=1e-12, label=f"{spec.id} value")
    assert_close(got, want.detach().numpy(), rtol=spec.rtol, atol=TORCH_ATOL,
                 label=f"{spec.id} tangent along {spec.params[i]}")


@pytest.mark.parametrize("spec, i", CASES)
def test_gradient_has_the_type_shape_and_dtype_of_its_argument(spec, i, load):
    f = function_of(spec, load)
    args = spec.make_args()
    got = ad.vjp(f, wrt=i)(tuple(args), seed_for(spec, f, args))
    if isinstance(args[i], float):
        assert type(got) is float
    else:
        assert isinstance(got, np.ndarray), f"got {type(got).__name__}, want ndarray"
        assert got.shape == args[i].shape and got.dtype == np.float64


def _has_scalar_output(spec) -> bool:
    return is_scalar(spec.torch_fn(*[torch.as_tensor(np.asarray(a)) for a in spec.make_args()]))


SCALAR_OUTPUT_SPECS = [spec for spec in SPECS if _has_scalar_output(spec)]


@pytest.mark.parametrize("spec, i", _cases(SCALAR_OUTPUT_SPECS))
def test_grad_and_value_and_grad_of_scalar_valued_rule_match_torch(spec, i, load):
    f = function_of(spec, load)
    args = spec.make_args()
    (want,) = torch_gradients(spec.torch_fn, args, (i,))
    assert_close(ad.grad(f, wrt=i)(*args), want, rtol=spec.rtol, atol=TORCH_ATOL)
    value, gradient = ad.value_and_grad(f, wrt=spec.params[i])(*args)
    assert_close(gradient, want, rtol=spec.rtol, atol=TORCH_ATOL)
    assert_close(value, f(*args), rtol=0, atol=0)


MULTI_ARGUMENT_SPECS = [spec for spec in SPECS if len(spec.wrt) > 1]


@pytest.mark.parametrize("spec", MULTI_ARGUMENT_SPECS, ids=lambda s: s.id)
def test_vjp_with_respect_to_several_arguments_returns_a_tuple_of_the_single_vjps(spec, load):
    f = function_of(spec, load)
    args = spec.make_args()
    seed = seed_for(spec, f, args)
    together = ad.vjp(f, wrt=spec.wrt)(tuple(args), seed)
    assert isinstance(together, tuple) and len(together) == len(spec.wrt)
    expected = torch_gradients(spec.torch_fn, args, spec.wrt, seed)
    for i, got, want in zip(spec.wrt, together, expected):
        assert_close(got, want, rtol=spec.rtol, atol=TORCH_ATOL, label=f"d/d{spec.params[i]}")


# -- coverage of the rule table ----------------------------------------------------

def _differentiable_builtin_rules():
    """The rules for functions users call (runtime_rules.py covers the helpers
    of generated code; tests/test_higher_order.py checks them end to end)."""
    from adcompiler.rules import runtime_rules
    helpers = {id(rule.function) for rule in runtime_rules.RULES}
    return [rule for rule in registry.builtin_rules(with_scipy=True)
            if rule.differentiable and id(rule.function) not in helpers]


def test_every_registered_rule_gives_both_modes_for_the_same_parameters():
    for rule in registry.builtin_rules(with_scipy=True):
        if rule.differentiable:
            assert set(rule.adjoint) == set(rule.tangent) and rule.adjoint, rule.name


# Every differentiable rule having a row in this table or in
# tests/coverage_specs.py is checked by test_numpy_coverage.py; the dedicated
# tests below cover the rules with a row here.
def _rules_with_a_spec():
    specified = [spec.primitive for spec in SPECS]
    return [rule for rule in _differentiable_builtin_rules()
            if any(p is rule.function for p in specified)]


def test_every_spec_names_a_differentiable_builtin_rule():
    functions = [rule.function for rule in _differentiable_builtin_rules()]
    stray = [spec.id for spec in SPECS if not any(spec.primitive is fn for fn in functions)]
    assert not stray, f"specs whose primitive has no differentiable rule: {stray}"


def test_every_spec_differentiates_through_the_rule_it_names(load, monkeypatch):
    """Compiling each row's function consults the rule of its primitive (so a row
    cannot silently test a different rule)."""
    seen = []
    real_lookup, real_table_lookup = registry.lookup, registry.RuleTable.lookup

    def recording_lookup(function):
        seen.append(function)
        return real_lookup(function)

    def recording_table_lookup(table, function):
        seen.append(function)
        return real_table_lookup(table, function)

    monkeypatch.setattr(registry, "lookup", recording_lookup)
    monkeypatch.setattr(registry.RuleTable, "lookup", recording_table_lookup)
    unused = []
    for spec in SPECS:
        seen.clear()
        ad.vjp(load(spec.full_source(), fresh=True), wrt=spec.wrt)
        if not any(fn is spec.primitive for fn in seen):
            unused.append(spec.id)
    assert not unused, f"specs whose function never reaches their primitive's rule: {unused}"


# -- broadcasting of binary pointwise rules ----------------------------------------------

@dataclass(frozen=True)
class Binary:
    id: str
    primitive: object
    source: str
    torch_fn: Callable
    x_domain: str = "normal"
    y_domain: str = "normal"


BINARY = [
    Binary("operator.add", operator.add, "x, y: x + y", lambda x, y: x + y),
    Binary("operator.sub", operator.sub, "x, y: x - y", lambda x, y: x - y),
    Binary("operator.mul", operator.mul, "x, y: x * y", lambda x, y: x * y),
    Binary("operator.truediv", operator.truediv, "x, y: x / y", lambda x, y: x / y, y_domain="nonzero"),
    Binary("operator.pow", operator.pow, "x, y: x ** y", lambda x, y: x ** y, x_domain="positive"),
    Binary("np.add", np.add, "x, y: np.add(x, y)", torch.add),
    Binary("np.subtract", np.subtract, "x, y: np.subtract(x, y)", torch.sub),
    Binary("np.multiply", np.multiply, "x, y: np.multiply(x, y)", torch.mul),
    Binary("np.divide", np.divide, "x, y: np.divide(x, y)", torch.div, y_domain="nonzero"),
    Binary("np.power", np.power, "x, y: np.power(x, y)", torch.pow, x_domain="positive"),
    Binary("np.maximum", np.maximum, "x, y: np.maximum(x, y)", torch.maximum),
    Binary("np.where", np.where, "x, y: np.where(x > y, x, y * 3.0)", lambda x, y: torch.where(x > y, x, y * 3.0)),
]

SHAPE_PAIRS = [((3, 1), (4,)), ((4,), (3, 1)), ((2, 1, 4), (3, 1)), (None, (3, 4)), ((3, 4), None),
               ((), (3,)), ((3,), ()), ((), ()), (None, ()), ((), None)]


def _shape_id(shape):
    return Arg("normal", shape).describe()


BROADCAST_CASES = [
    pytest.param(b, xs, ys, id=f"{b.id}-{_shape_id(xs)}-with-{_shape_id(ys)}")
    for b in BINARY for xs, ys in SHAPE_PAIRS]


def test_every_binary_pointwise_rule_has_a_broadcasting_spec():
    binary = [rule for rule in _rules_with_a_spec()
              if rule.pointwise and len(rule.differentiable_params()) == 2
              and getattr(rule.function, "__module__", None) != "math"]
    missing = [rule.name for rule in binary
               if not any(b.primitive is rule.function for b in BINARY)]
    assert not missing, f"binary pointwise rules missing from BINARY: {missing}"


@pytest.mark.parametrize("binary, x_shape, y_shape", BROADCAST_CASES)
def test_binary_pointwise_rule_sums_its_adjoint_over_broadcast_axes(binary, x_shape, y_shape, load):
    spec = Spec(f"broadcast {binary.id} {x_shape} {y_shape}", binary.primitive, binary.source,
                [Arg(binary.x_domain, x_shape), Arg(binary.y_domain, y_shape)], binary.torch_fn)
    f = function_of(spec, load)
    args = spec.make_args()
    seed = seed_for(spec, f, args)
    expected = torch_gradients(spec.torch_fn, args, (0, 1), seed)
    for i, want in zip((0, 1), expected):
        got = ad.vjp(f, wrt=i)(tuple(args), seed)
        assert_close(got, want, rtol=TORCH_RTOL, atol=TORCH_ATOL, label=f"d/d{spec.params[i]}")
        if isinstance(args[i], float):
            assert type(got) is float, f"d/d{spec.params[i]}: got {type(got).__name__}"
        else:
            assert isinstance(got, np.ndarray) and got.shape == args[i].shape


# -- Python floats and float32 ------------------------------------------------------

FLOAT_SPECS = [spec for spec in SPECS if all(isinstance(a, Arg) and a.shape is None for a in spec.args)]


@pytest.mark.parametrize("spec", FLOAT_SPECS, ids=lambda s: s.id)
def test_grad_of_a_function_of_python_floats_is_a_python_float(spec, load):
    f = function_of(spec, load)
    args = spec.make_args()
    gradients = ad.grad(f, wrt=spec.wrt)(*args)
    assert [type(g) for g in gradients] == [float] * len(spec.wrt)
    for i, got, want in zip(spec.wrt, gradients, torch_gradients(spec.torch_fn, args, spec.wrt)):
        assert_close(got, want, rtol=spec.rtol, atol=TORCH_ATOL, label=f"d/d{spec.params[i]}")


def test_every_math_rule_is_specified_on_python_floats():
    float_primitives = [spec.primitive for spec in FLOAT_SPECS]
    missing = [rule.name for rule in _rules_with_a_spec()
               if getattr(rule.function, "__module__", None) == "math"
               and not any(p is rule.function for p in float_primitives)]
    assert not missing


ARRAY_CASES = _cases([spec for spec in SPECS
                      if all(not a.differentiable or a.shape for a in spec.args)])


@pytest.mark.parametrize("spec, i", ARRAY_CASES)
def test_float32_arrays_get_float32_gradients(spec, i, load):
    f = function_of(spec, load)
    args = spec.make_args(np.float32)
    seed = seed_for(spec, f, args, np.float32)
    got = ad.vjp(f, wrt=i)(tuple(args), seed)
    assert isinstance(got, np.ndarray) and got.dtype == np.float32 and got.shape == args[i].shape
    (want,) = torch_gradients(spec.torch_fn, args, (i,), seed)
    assert_close(got, want, rtol=F32_RTOL, atol=F32_ATOL)


# -- nondifferentiable functions -------------------------------------------------------

NONDIFFERENTIABLE_USES = [
    pytest.param("def f(x):\n    return np.sum(x * np.floor(x))\n",
                 lambda x: torch.sum(x * torch.floor(x)), [normal(3, 4)], id="np.floor"),
    pytest.param("def f(x):\n    k = np.argmax(x)\n    return x[k] * 2.0 + np.sum(x)\n",
                 lambda x: x[torch.argmax(x)] * 2.0 + torch.sum(x), [normal(5)], id="np.argmax"),
    pytest.param("def f(x):\n    return np.sum(x) / x.shape[0] + x.ndim * x[0, 0]\n",
                 lambda x: torch.sum(x) / x.shape[0] + x.ndim * x[0, 0], [normal(3, 4)], id="x.shape-x.ndim"),
    pytest.param("def f(x):\n    return x.reshape(x.shape[1], x.shape[0])\n",
                 lambda x: x.reshape(x.shape[1], x.shape[0]), [normal(3, 4)], id="x.shape-in-reshape"),
    pytest.param("def f(x):\n    return np.sum(x * x) / len(x)\n",
                 lambda x: torch.sum(x * x) / len(x), [normal(3, 4)], id="len"),
    pytest.param("def f(x, y):\n    return x * (x > 0) + y * (y <= x)\n",
                 lambda x, y: x * (x > 0) + y * (y <= x), [normal(3, 4), normal(3, 4)], id="comparisons"),
    pytest.param("def f(x):\n    return np.sign(x) * x + np.round(x) * np.ones_like(x)\n",
                 lambda x: torch.sign(x) * x + torch.round(x) * torch.ones_like(x), [normal(3, 4)],
                 id="np.sign-np.round-np.ones_like"),
    pytest.param("def f(x):\n    return x * math.floor(x) + x * (x >= 0.0)\n",
                 lambda x: x * torch.floor(x) + x * (x >= 0.0), [py()], id="math.floor-on-float"),
]


@pytest.mark.parametrize("source, torch_fn, args", NONDIFFERENTIABLE_USES)
def test_nondifferentiable_functions_of_active_values_contribute_no_derivative(
        source, torch_fn, args, load, request):
    spec = Spec(request.node.callspec.id, None, source, args, torch_fn)
    f = function_of(spec, load)
    values = spec.make_args()
    seed = seed_for(spec, f, values)
    for i, want in zip(spec.wrt, torch_gradients(torch_fn, values, spec.wrt, seed)):
        got = ad.vjp(f, wrt=i)(tuple(values), seed)
        assert_close(got, want, rtol=TORCH_RTOL, atol=TORCH_ATOL, label=f"d/d{spec.params[i]}")
        assert_close(got, finite_difference_gradient(f, values, i, seed), rtol=FD_RTOL, atol=FD_ATOL)


# -- dedicated checks ---------------------------------------------------------------

TIES = [
    pytest.param(np.array([1.0, 2.0, 3.0, 4.0]), np.array([1.0, 0.0, 3.0, 5.0]), id="elementwise"),
    pytest.param(np.array([[1.0, 2.0], [2.0, 3.0]]), np.array([2.0, 2.0]), id="broadcast"),
    pytest.param(np.array([1.0, 2.0, 3.0]), np.array(2.0), id="0d"),
    pytest.param(2.0, 2.0, id="floats"),
    pytest.param(np.array([1.5, -1.0]), np.array([1.5, -1.0]), id="all-tied"),
]


@pytest.mark.parametrize("x, y", TIES)
def test_maximum_splits_the_gradient_half_half_at_ties_like_torch(x, y, load):
    f = load("def f(x, y):\n    return np.maximum(x, y)\n")
    result = f(x, y)
    seed = np.arange(1.0, 1.0 + np.size(result)).reshape(np.shape(result)) * 0.5
    expected = torch_gradients(torch.maximum, [x, y], (0, 1), seed)
    got = ad.vjp(f, wrt=(0, 1))((x, y), seed)
    for name, g, want in zip("xy", got, expected):
        assert_close(g, want, rtol=TORCH_RTOL, atol=TORCH_ATOL, label=f"d/d{name}")


def test_norm_of_a_vector_has_gradient_x_over_norm(load):
    f = load("def f(x):\n    return np.linalg.norm(x)\n")
    x = np.array([3.0, -4.0, 12.0])
    got = ad.grad(f)(x)
    assert_close(got, x / 13.0, rtol=1e-12, atol=0)
    assert_close(got, torch_gradients(torch.linalg.norm, [x], (0,))[0], rtol=1e-12, atol=0)


def test_frobenius_norm_of_a_matrix_has_gradient_a_over_norm(load):
    a = np.array([[1.0, 2.0, -2.0], [0.0, 4.0, 0.0]])  # Frobenius norm 5
    for source in ("def f(a):\n    return np.linalg.norm(a)\n",
                   "def f(a):\n    return np.linalg.norm(a, 'fro')\n"):
        got = ad.grad(load(source))(a)
        assert_close(got, a / 5.0, rtol=1e-12, atol=0, label=source)
        assert_close(got, torch_gradients(torch.linalg.norm, [a], (0,))[0], rtol=1e-12, atol=0)


def test_norm_of_a_zero_vector_has_zero_gradient_like_torch(load):
    f = load("def f(x):\n    return np.linalg.norm(x)\n")
    x = np.zeros(3)
    got = ad.grad(f)(x)
    assert np.all(np.isfinite(got))
    assert_close(got, torch_gradients(torch.linalg.norm, [x], (0,))[0], rtol=0, atol=0)


def test_matrix_2_norm_is_differentiated_as_the_spectral_norm_or_refused(load):
    """np.linalg.norm(a, 2) of a matrix is its largest singular value: its gradient
    is u1 v1^T, not a / norm. Anything but that or a clear refusal is wrong."""
    f = load("def f(a):\n    return np.linalg.norm(a, 2)\n")
    a = np.random.default_rng(7).standard_normal((3, 4))
    try:
        got = ad.grad(f)(a)
    except (NotImplementedError, ad.AdError):
        return
    u, _, vt = np.linalg.svd(a)
    assert_close(got, np.outer(u[:, 0], vt[0]), rtol=1e-9, atol=1e-12)


DOT_SHAPES = [((), (4,)), ((4,), ()), ((), (3, 4)), ((3, 4), ()), ((), ()),
              ((4,), (4,)), ((3, 4), (4,)), ((4,), (4, 5)), ((3, 4), (4, 5))]


@pytest.mark.parametrize("a_shape, b_shape", DOT_SHAPES,
                         ids=[f"{_shape_id(a)}-dot-{_shape_id(b)}" for a, b in DOT_SHAPES])
def test_dot_of_every_combination_of_0d_1d_and_2d_operands(a_shape, b_shape, load):
    spec = Spec(f"dot {a_shape} {b_shape}", np.dot, "a, b: np.dot(a, b)",
                [normal(*a_shape), normal(*b_shape)], torch_dot)
    f = function_of(spec, load)
    args = spec.make_args()
    seed = seed_for(spec, f, args)
    expected = torch_gradients(torch_dot, args, (0, 1), seed)
    for i, want in zip((0, 1), expected):
        got = ad.vjp(f, wrt=i)(tuple(args), seed)
        assert_close(got, want, rtol=TORCH_RTOL, atol=TORCH_ATOL, label=f"d/d{spec.params[i]}")
        assert np.shape(got) == np.shape(args[i])


MATMUL_SHAPES = [((3, 4), (4, 5)), ((2, 3, 4), (4, 5)), ((3, 4), (2, 4, 5)), ((2, 3, 4), (2, 4, 5)),
                 ((2, 1, 3, 4), (5, 4, 2)), ((3, 4), (4,)), ((4,), (4, 5)), ((4,), (4,)),
                 ((2, 3, 4), (4,)), ((4,), (2, 4, 5))]


@pytest.mark.parametrize("syntax", ["a @ b", "np.matmul(a, b)"])
@pytest.mark.parametrize("a_shape, b_shape", MATMUL_SHAPES,
                         ids=[f"{_shape_id(a)}-at-{_shape_id(b)}" for a, b in MATMUL_SHAPES])
def test_matmul_broadcasts_batch_dimensions_and_promotes_vectors(a_shape, b_shape, syntax, load):
    spec = Spec(f"matmul {a_shape} {b_shape}", operator.matmul, f"a, b: {syntax}",
                [normal(*a_shape), normal(*b_shape)], torch.matmul)
    f = function_of(spec, load)
    args = spec.make_args()
    seed = seed_for(spec, f, args)
    expected = torch_gradients(torch.matmul, args, (0, 1), seed)
    for i, want in zip((0, 1), expected):
        got = ad.vjp(f, wrt=i)(tuple(args), seed)
        assert_close(got, want, rtol=TORCH_RTOL, atol=TORCH_ATOL, label=f"d/d{spec.params[i]}")
        assert np.shape(got) == np.shape(args[i])
