"""Error quality, round 2: a table of user mistakes and unsupported constructs
across the entry points (grad, value_and_grad, jvp, vjp, hessian, jacobian,
hvp; wrt=, has_aux=, mode=). For each, the result is either right (checked
against central finite differences of the function itself) or an
adcompiler AdError whose message names the user's file and the line of the
offending construct (the `def` line for a mistake in how the function is
called or what it returns), and says what to do instead (`err.help`).

Run as a script for the tally: python tests/test_error_quality_round2.py
"""

from __future__ import annotations

import asyncio  # noqa: F401  (async cases)
import collections
import dataclasses
import functools
import inspect
import math
import os
import sys
import typing
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest

import adcompiler as ad

X = np.array([0.3, -0.7, 1.1])
FILE = os.path.basename(__file__)


@dataclass
class Case:
    """`call(function)` runs an entry point; `marker` is text on the line the
    message must name (None: the def line of `function`); `expected()` gives
    the right result where one exists (else only an AdError is right);
    `names`, for a callable without source, is what the message must name.
    `like_python`: an exception Python itself raises calling `function` the
    same way (a missing argument) is right too, unchanged."""

    id: str
    function: Callable
    call: Callable
    marker: str | None = None
    expected: Callable | None = None
    names: str | None = None
    like_python: Callable | None = None


def central_differences(f, x, step=1e-6):
    """d f / d x of a scalar function of a float or an array."""
    x = np.asarray(x, dtype=float)
    out = np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        shift = np.zeros(x.shape)
        shift[index] = step
        out[index] = (f(x + shift) - f(x - shift)) / (2 * step)
    return out if x.shape else float(out)


def fd(f, *args, wrt=0):
    """Finite differences of f in argument `wrt`, the others fixed."""
    def along(v):
        values = list(args)
        values[wrt] = v
        return f(*values)
    return lambda: central_differences(along, args[wrt])


def grad(*args, **options):
    return lambda f: ad.grad(f, **options)(*args)


def line_of(function, marker):
    if isinstance(marker, tuple):  # (another function, text on its line)
        function, marker = marker
    lines, first = inspect.getsourcelines(inspect.unwrap(function))
    if marker is None:
        return first + next(i for i, line in enumerate(lines) if line.lstrip().startswith(
            ("def ", "async def ")))
    for offset, line in enumerate(lines):
        if marker in line:
            return first + offset
    raise AssertionError(f"{marker!r} not in {function.__name__}")


def verdict(case: Case) -> str:
    """'ok', or what is wrong with the outcome of `case`."""
    try:
        result = case.call(case.function)
    except ad.AdError as err:
        message = str(err)
        if case.names is not None:
            if case.names not in message:
                return f"does not name {case.names!r}: {message}"
        else:
            source = inspect.unwrap(case.function)
            where = f"{os.path.basename(inspect.getsourcefile(source))}:" \
                    f"{line_of(case.function, case.marker)}"
            if where not in message:
                return f"does not name {where}: {message}"
        if not err.help.strip():
            return f"no advice: {message}"
        return "ok"
    except Exception as err:  # noqa: BLE001  (what the table is for)
        if case.like_python is not None:
            try:
                case.like_python(case.function)
            except type(err):
                return "ok"
        return f"raw {type(err).__name__}: {err}"
    if case.expected is None:
        return f"returned {result!r} where only an error is right"
    try:
        want = case.expected()
        np.testing.assert_allclose(np.asarray(result, dtype=float),
                                   np.asarray(want, dtype=float), rtol=1e-5, atol=1e-6)
    except Exception as err:  # noqa: BLE001
        return f"wrong result {result!r}: {err}"
    return "ok"


# ---------------------------------------------------------------------------
# Syntax the compiler does not take

def uses_yield(x):
    yield x * 2.0


def uses_yield_from(x):
    yield from [x, x]


async def is_async(x):
    return x * 2.0


def uses_await_in_async_helper(x):
    return asyncio.run(is_async(x))


def try_around_a_differentiated_value(x):
    try:
        y = np.log(x)
    except ValueError:
        y = x
    return np.sum(y)


def try_finally(x):
    try:
        return np.sum(x * 2.0)
    finally:
        pass


def uses_with(x):
    with np.errstate(all="ignore"):
        y = np.log(x)
    return np.sum(y)


def defines_a_class(x):
    class Scale:
        factor = 2.0
    return np.sum(x * Scale.factor)


def returns_a_nested_function(x):
    def inner(y):
        return x * y
    return inner


def returns_a_lambda(x):
    return lambda y: x * y


def calls_exec(x):
    exec("pass")
    return np.sum(x * 2.0)


def calls_eval(x):
    return eval("np.sum(x * x)")


def getattr_with_a_computed_name(x):
    name = "s" + "in"
    return np.sum(getattr(np, name)(x))


def getattr_with_a_constant_name(x):
    return np.sum(getattr(np, "sin")(x))


def nonlocal_statement(x):
    total = 0.0

    def add(v):
        nonlocal total
        total = total + v
    add(np.sum(x))
    return total


def imports_inside(x):
    import math as m
    return m.sin(x[0])


def set_comprehension(x):
    return len({v for v in x}) * np.sum(x)


def walrus(x):
    if (s := np.sum(x)) > 0:
        return s * 2.0
    return s


def set_literal(x):
    return len({1, 2}) * np.sum(x)


def match_statement(x):
    match len(x):
        case 3:
            return np.sum(x)
        case _:
            return 0.0


def del_of_a_variable(x):
    y = x * 2.0
    del y
    return np.sum(x)


def chained_assignment(x):
    a = b = x * 2.0
    return np.sum(a * b)


def starred_assignment(x):
    a, *rest = x
    return a * np.sum(rest)


def starred_in_a_display(x):
    values = [*x, 1.0]
    return sum(values)


def global_in_a_block(x):
    if x[0] > 0:
        global _COUNTER  # noqa: PLW0602
    return np.sum(x)


def comprehension_in_a_while_test(x):
    n = 0
    while sum([v * v for v in x]) > n:
        n = n + 10
    return np.sum(x) * n


def generator_outside_a_consumer(x):
    squares = (v * v for v in x)
    return sum(list(squares))


def lambda_with_kwargs(x):
    f = lambda **k: k["v"] * 2.0  # noqa: E731
    return np.sum(f(v=x))


def map_of_a_lambda(x):
    return sum(map(lambda v: v * v, x))


def zip_star(x):
    m = [[x[0], x[1]], [x[2], x[0]]]
    cols = list(zip(*m))
    return cols[0][0] * cols[1][1]


def iter_and_next(x):
    it = iter(x)
    return next(it) * next(it)


def reversed_enumerate(x):
    s = 0.0
    for i, v in reversed(enumerate(x)):
        s = s + v * i
    return s


def loop_over_dict_items(x):
    weights = {"a": 2.0, "b": 3.0}
    s = 0.0
    for name, w in weights.items():
        s = s + x[0] * w
    return s


def fstring_of_a_value(x):
    label = f"{x[0]:.2f}"
    return np.sum(x) * len(label)


def opens_a_file(x):
    with open(os.devnull) as handle:
        handle.read()
    return np.sum(x)


def bare_return(x):
    if np.sum(x) > 10:
        return
    return np.sum(x)


def may_end_without_return(x):
    if np.sum(x) > 0:
        return np.sum(x * 2.0)


SYNTAX = [
    Case("yield", uses_yield, grad(X), "yield x"),
    Case("yield from", uses_yield_from, grad(X), "yield from"),
    Case("async def", is_async, grad(1.5), None),
    Case("asyncio.run of a coroutine", uses_await_in_async_helper, grad(1.5),
         (is_async, "async def"), lambda: 2.0),
    # (lower_try.py: the derivative of what runs, here the body)
    Case("try/except", try_around_a_differentiated_value, grad(np.abs(X)), None,
         lambda: 1.0 / np.abs(X)),
    Case("try/finally", try_finally, grad(X), "try:"),
    # (np.errstate(all="ignore") changes no value: lowered since lower_with.py)
    Case("with", uses_with, grad(X), "with np.errstate", expected=lambda: 1.0 / X),
    Case("class inside", defines_a_class, grad(X), "class Scale"),
    Case("returns a nested function", returns_a_nested_function, grad(X), "return inner"),
    Case("returns a lambda", returns_a_lambda, grad(X), "return lambda"),
    Case("exec", calls_exec, grad(X), 'exec("'),
    Case("eval", calls_eval, grad(X), 'eval("'),
    Case("getattr computed", getattr_with_a_computed_name, grad(X), "getattr(np, name)",
         fd(lambda x: np.sum(np.sin(x)), X)),
    Case("getattr constant", getattr_with_a_constant_name, grad(X), "getattr(np",
         fd(lambda x: np.sum(np.sin(x)), X)),
    Case("nonlocal", nonlocal_statement, grad(X), "nonlocal total", lambda: np.ones(3)),
    Case("import inside", imports_inside, grad(X), "import math",
         fd(lambda x: np.sin(x[0]), X)),
    Case("set comprehension", set_comprehension, grad(X), "{v for v in x}"),
    Case("walrus", walrus, grad(X), ":=", fd(lambda x: np.sum(x) * 2.0, X)),
    Case("set literal", set_literal, grad(X), "{1, 2}"),
    Case("match", match_statement, grad(X), "match len", fd(lambda x: np.sum(x), X)),
    Case("del of a variable", del_of_a_variable, grad(X), "del y"),
    Case("chained assignment", chained_assignment, grad(X), "a = b =",
         fd(lambda x: np.sum(4.0 * x * x), X)),
    Case("starred assignment", starred_assignment, grad(X), "a, *rest",
         fd(lambda x: x[0] * np.sum(x[1:]), X)),
    Case("starred in a display", starred_in_a_display, grad(X), "[*x",
         fd(lambda x: np.sum(x) + 1.0, X)),
    Case("global in a block", global_in_a_block, grad(X), "global _COUNTER"),
    Case("comprehension in a while test", comprehension_in_a_while_test, grad(X),
         "while sum(["),
    Case("generator kept in a variable", generator_outside_a_consumer, grad(X),
         "squares = (", fd(lambda x: np.sum(x * x), X)),
    Case("lambda with **kwargs", lambda_with_kwargs, grad(X), "lambda **k",
         fd(lambda x: np.sum(x * 2.0), X)),
    Case("map of a lambda", map_of_a_lambda, grad(X), "map(",
         fd(lambda x: np.sum(x * x), X)),
    Case("zip(*m)", zip_star, grad(X), "zip(*m)", fd(lambda x: x[0] * x[0], X)),
    Case("iter and next", iter_and_next, grad(X), "next(it)", fd(lambda x: x[0] * x[1], X)),
    Case("reversed(enumerate())", reversed_enumerate, grad(X), "reversed(enumerate"),
    Case("loop over dict items", loop_over_dict_items, grad(X), "weights.items()",
         fd(lambda x: x[0] * 5.0, X)),
    Case("f-string of a value", fstring_of_a_value, grad(X), "f\"{x[0]",
         fd(lambda x: np.sum(x) * 4, X)),
    Case("open a file", opens_a_file, grad(X), "with open"),
    Case("bare return", bare_return, grad(X), "return\n"),
    Case("may end without return", may_end_without_return, grad(X), None),
]


# ---------------------------------------------------------------------------
# Mistakes in what is differentiated, and how the entry point is called

def loss(x, w):
    return np.sum(np.sin(x) * w)


def scalar_loss(x, n, label, flag):
    return x * x * n if label == "a" and flag is None else x


def returns_an_array(x):
    return x * 2.0


def returns_none(x):
    y = x * 2.0  # noqa: F841
    return None


def returns_a_string(x):
    return "loss"


def returns_a_list(x):
    return [x[0], x[1]]


def returns_a_dict(x):
    return {"a": x[0]}


def returns_a_complex(x):
    return np.sum(x) * (1.0 + 2.0j)


def returns_a_tuple(x):
    return x[0], x[1]


def returns_an_int(x):
    return int(x[0] > 0)


def returns_a_bool(x):
    return np.sum(x) > 0


def returns_a_pair_for_aux(x):
    return np.sum(x * x), {"n": 3}


def returns_a_scalar_for_aux(x):
    return np.sum(x * x)


def vector_output(x):
    return np.sin(x)


W = np.array([1.0, 2.0, 3.0])

API = [
    Case("wrt out of range", loss, grad(X, W, wrt=5), None),
    Case("wrt negative", loss, grad(X, W, wrt=-1), None, fd(loss, X, W, wrt=1)),
    Case("wrt duplicated", loss, grad(X, W, wrt=(0, 0)), None),
    Case("wrt not a parameter", loss, grad(X, W, wrt="z"), None),
    Case("wrt a float", loss, grad(X, W, wrt=0.5), None),
    Case("wrt an empty tuple", loss, grad(X, W, wrt=()), None),
    Case("wrt by name", loss, grad(X, W, wrt="w"), None, fd(loss, X, W, wrt=1)),
    Case("differentiate an int", scalar_loss, grad(3, 2, "a", None, wrt=1), None,
         lambda: 9.0),
    Case("differentiate a str", scalar_loss, grad(3.0, 2, "a", None, wrt=2), None),
    Case("differentiate None", scalar_loss, grad(3.0, 2, "a", None, wrt=3), None),
    Case("differentiate an int first argument", scalar_loss, grad(3, 2, "a", None), None,
         lambda: 12.0),
    Case("grad of an array result", returns_an_array, grad(X), None),
    Case("grad of None", returns_none, grad(X), None),
    Case("grad of a string", returns_a_string, grad(X), None),
    Case("grad of a list", returns_a_list, grad(X), None),
    Case("grad of a dict", returns_a_dict, grad(X), None),
    Case("grad of a complex", returns_a_complex, grad(X), None),
    Case("grad of a tuple", returns_a_tuple, grad(X), None),
    Case("grad of an int", returns_an_int, grad(X), None, lambda: np.zeros(3)),
    Case("grad of a bool", returns_a_bool, grad(X), None),
    Case("value_and_grad of an array", returns_an_array,
         lambda f: ad.value_and_grad(f)(X), None),
    Case("value_and_grad of a string", returns_a_string,
         lambda f: ad.value_and_grad(f)(X), None),
    Case("has_aux of a scalar", returns_a_scalar_for_aux,
         lambda f: ad.grad(f, has_aux=True)(X), None),
    Case("has_aux with mode=forward", returns_a_pair_for_aux,
         lambda f: ad.grad(f, has_aux=True, mode="forward")(X), None),
    Case("mode unknown", loss, lambda f: ad.grad(f, mode="sideways")(X, W), None),
    Case("jvp called as f(x, dx)", loss, lambda f: ad.jvp(f)(X, W, X), None),
    Case("jvp tangent of another shape", loss, lambda f: ad.jvp(f)((X, W), (X[:2],)), None),
    Case("jvp tangent count", loss, lambda f: ad.jvp(f)((X, W), (X, W, X)), None),
    Case("vjp seed of another shape", vector_output,
         lambda f: ad.vjp(f)((X,), np.ones(2)), None),
    Case("vjp of a string", returns_a_string, lambda f: ad.vjp(f)((X,), 1.0), None),
    Case("vjp seed None", loss, lambda f: ad.vjp(f)((X, W), None), None),
    Case("vjp seed a str", loss, lambda f: ad.vjp(f)((X, W), "1"), None),
    Case("jvp tangent None", loss, lambda f: ad.jvp(f)((X, W), (None,)), None),
    Case("hvp vector a str", loss, lambda f: ad.hvp(f)((X, W), ("v",)), None),
    Case("grad of None as the argument", loss, grad(None, W), None,
         like_python=lambda f: f(None, W)),
    Case("hvp vector of another shape", loss, lambda f: ad.hvp(f)((X, W), (X[:2],)), None),
    Case("hessian of a vector", vector_output, lambda f: ad.hessian(f)(X), None),
    Case("hessian of a string", returns_a_string, lambda f: ad.hessian(f)(X), None),
    Case("jacobian of a string", returns_a_string, lambda f: ad.jacobian(f)(X), None),
    Case("jacobian of None", returns_none, lambda f: ad.jacobian(f)(X), None),
    Case("jacobian wrt out of range", vector_output,
         lambda f: ad.jacobian(f, wrt=3)(X), None),
    Case("hessian wrt a name", loss, lambda f: ad.hessian(f, wrt="z")(X, W), None),
    Case("memory= negative", loss, grad(X, W, memory=-1), None),
    Case("memory= not a size", loss, grad(X, W, memory="lots"), None),
    Case("memory= a bool", loss, grad(X, W, memory=True), None),
    Case("wrt=True", loss, grad(X, W, wrt=True), None),
    Case("grad with too few arguments", loss, grad(X), None, like_python=lambda f: f(X)),
    Case("grad with too many arguments", loss, grad(X, W, W), None,
         like_python=lambda f: f(X, W, W)),
    Case("grad of a vector, forward mode", returns_an_array,
         lambda f: ad.grad(f, mode="forward")(X), None),
]


# ---------------------------------------------------------------------------
# Functions without readable source, wrapped, or from other libraries

SOURCELESS: dict = {}
exec(compile("def typed_at_a_prompt(x):\n    return x * x\n", "<stdin>", "exec"), SOURCELESS)
exec("lambda_from_a_string = lambda x: x * x", SOURCELESS)


@functools.lru_cache(maxsize=None)
def cached(x):
    return x * x


def doubling(f):
    @functools.wraps(f)
    def wrapper(x):
        return 2.0 * f(x)
    return wrapper


@doubling
def wrapped(x):
    return x * x


def calls_a_cached_helper(x):
    return cached(x) * 2.0


def calls_a_wrapped_helper(x):
    return wrapped(x) + x


def calls_max_of_values(x):
    return max(x[0], x[1]) * 2.0


def calls_len_of_values(x):
    return len(x) * np.sum(x)


def calls_frompyfunc(x):
    square = np.frompyfunc(lambda v: v * v, 1, 1)
    return np.sum(square(x))


def calls_vectorize(x):
    square = np.vectorize(lambda v: v * v)
    return np.sum(square(x))


def calls_struve(x):
    return np.sum(SPECIAL.struve(1.0, x))


def calls_airy(x):
    ai, aip, bi, bip = SPECIAL.airy(x)
    return np.sum(ai)


def calls_zeta(x):
    return np.sum(SPECIAL.zeta(x + 2.0, 1.0))


def calls_random_normal(x):
    return np.sum(np.random.default_rng(0).normal(x, 1.0))


def calls_math_fsum(x):
    return math.fsum([x[0], x[1]])


def calls_hash(x):
    return hash(float(x[0])) * 0.0 + np.sum(x)


def calls_sorted_with_a_key(x):
    ordered = sorted([x[0], x[1], x[2]], key=lambda v: -v)
    return ordered[0] * 2.0


def calls_a_builtin_method(x):
    values = [x[0]]
    values.extend([x[1], x[2]])
    return values[0] * values[2]


def float_method(x):
    return float(x[0]).__mul__(2.0)


try:  # SciPy and torch are optional: their rows are left out without them
    import scipy.integrate as INTEGRATE
    import scipy.optimize as OPTIMIZE
    import scipy.special as SPECIAL
except ImportError:
    INTEGRATE = OPTIMIZE = SPECIAL = None
try:
    import torch as TORCH
except ImportError:
    TORCH = None

LIBRARIES = [
    Case("len as the function", len, grad(X), names="len", expected=lambda: np.zeros(3)),
    Case("max as the function", max, grad(1.0, 2.0), names="max"),
    Case("np.sin as the function", np.sin, grad(X), names="sin",
         expected=lambda: np.cos(X)),
    Case("a method of a builtin object", (1.5).__mul__, grad(2.0), names="__mul__"),
    Case("a bound list method", [1.0].append, grad(2.0), names="append"),
    Case("a class", collections.OrderedDict, grad(X), names="OrderedDict"),
    Case("None", None, grad(X), names="None"),
    Case("a number", 3.0, grad(X), names="3.0"),
    Case("source typed at a prompt", SOURCELESS["typed_at_a_prompt"], grad(1.5),
         names="typed_at_a_prompt"),
    Case("lambda from a string", SOURCELESS["lambda_from_a_string"], grad(1.5),
         names="lambda defined in <string>"),
    Case("lru_cache-decorated", cached, grad(1.5), "@functools.lru_cache", lambda: 3.0),
    Case("functools.wraps-decorated", wrapped, grad(1.5), "@doubling"),
    Case("calls an lru_cache-decorated helper", calls_a_cached_helper, grad(1.5),
         "cached(x)", lambda: 6.0),
    Case("calls a wraps-decorated helper", calls_a_wrapped_helper, grad(1.5),
         (wrapped, "@doubling"), lambda: 7.0),
    Case("max of values", calls_max_of_values, grad(X), "max(",
         fd(lambda x: max(x[0], x[1]) * 2.0, X)),
    Case("len of values", calls_len_of_values, grad(X), "len(x)",
         fd(lambda x: 3 * np.sum(x), X)),
    Case("np.frompyfunc", calls_frompyfunc, grad(X), "np.frompyfunc("),
    Case("np.vectorize", calls_vectorize, grad(X), "np.vectorize(",
         fd(lambda x: np.sum(x * x), X)),
    Case("scipy.special.struve", calls_struve, grad(X), "SPECIAL.struve("),
    Case("scipy.special.airy", calls_airy, grad(X), "SPECIAL.airy("),
    Case("scipy.special.zeta", calls_zeta, grad(X), "SPECIAL.zeta("),
    Case("np.random normal of a value", calls_random_normal, grad(X), ".normal(x"),
    Case("math.fsum", calls_math_fsum, grad(X), "math.fsum(",
         fd(lambda x: x[0] + x[1], X)),
    Case("hash of a value", calls_hash, grad(X), "hash(", fd(lambda x: np.sum(x), X)),
    Case("sorted with a key", calls_sorted_with_a_key, grad(X), "sorted(",
         fd(lambda x: sorted([x[0], x[1], x[2]], key=lambda v: -v)[0] * 2.0, X)),
    Case("list.extend", calls_a_builtin_method, grad(X), "values.extend",
         fd(lambda x: x[0] * x[2], X)),
    Case("float.__mul__", float_method, grad(X), "__mul__",
         fd(lambda x: x[0] * 2.0, X)),
]


# ---------------------------------------------------------------------------
# Values of types the compiler does not differentiate

class Scaled(typing.NamedTuple):
    value: np.ndarray
    T: float


@dataclasses.dataclass
class Params:
    w: np.ndarray
    size: float


def object_array(x):
    held = np.array([x[0], "label"], dtype=object)
    return held[0] * 2.0


def sums_an_object_array(x):
    return np.sum(x) * 2.0


def datetime_difference(x, when):
    return np.sum(x) * float((when - np.datetime64("2020-01-01")).astype(float))


def reads_record_fields(p):
    return np.sum(p.value) * p.T


def reads_dataclass_fields(p):
    return np.sum(p.w) * p.size


def recursive(x, n):
    if n == 0:
        return x
    return recursive(x * 1.01, n - 1)


def deep_recursion(x):
    return recursive(x, 3000)


def medium_recursion(x):
    return recursive(x, 400)


def shallow_recursion(x):
    return recursive(x, 20)


def numba_helper_caller(x):
    return NUMBA_SQUARE(x[0]) * 2.0


def mutates_its_argument(x):
    x.sort()
    return x[0] * 2.0


def sets_an_attribute_of_an_argument(p):
    p.w = p.w * 2.0
    return np.sum(p.w)


def dict_with_differentiated_keys(x):
    d = {x[0]: 1.0}
    return sum(d.keys())


def einsum_with_a_variable_subscript(x):
    spec = "i,i->"
    return np.einsum(spec, x, x)


def resizes_an_array(x):
    y = x * 1.0
    y.resize(4, refcheck=False)
    return np.sum(y)


def updates_a_dict(x):
    # A dict the function builds: lower_dict_methods.py writes the entry.
    d = {"a": x[0]}
    d.update({"b": x[1]})
    return d["a"] * d["b"]


def dict_of_the_first(x):
    return {"a": x[0]}


def updates_a_dict_a_helper_made(x):
    d = dict_of_the_first(x)
    d.update({"b": x[1]})
    return d["a"] * d["b"]


def adds_to_a_set(x):
    s = set()
    s.add(x[0])
    return x[0]


try:
    import numba

    NUMBA_SQUARE = numba.njit(lambda v: v * v)
except ImportError:  # numba is optional
    NUMBA_SQUARE = None

OBJECT_ARRAY = np.array([0.3, -0.7], dtype=object)
DATES = np.datetime64("2021-01-01")

TYPES = [
    Case("an object array built from values", object_array, grad(X), "held[0]"),
    Case("differentiate an object array", sums_an_object_array, grad(OBJECT_ARRAY), None,
         lambda: [2.0, 2.0]),
    Case("differentiate a datetime", datetime_difference, grad(X, DATES, wrt=1), None),
    Case("datetime beside a value", datetime_difference, grad(X, DATES), None,
         fd(lambda x: datetime_difference(x, DATES), X)),
    Case("record field named T", reads_record_fields, grad(Scaled(X, 2.0)), "p.T"),
    Case("dataclass field named size", reads_dataclass_fields, grad(Params(X, 2.0)),
         "p.size"),
    Case("recursion 3000 deep", deep_recursion, grad(1.5), "recursive(x, 3000)",
         like_python=lambda f: f(1.5)),
    Case("recursion 20 deep", shallow_recursion, grad(1.5), None, lambda: 1.01 ** 20),
    Case("recursion 400 deep", medium_recursion, grad(1.5), None, lambda: 1.01 ** 400),
    Case("a numba-jitted helper", numba_helper_caller, grad(X), "NUMBA_SQUARE("),
    Case("x.sort() of the argument", mutates_its_argument, grad(X), "x.sort()",
         fd(lambda x: np.sort(x)[0] * 2.0, X)),
    Case("an attribute of an argument assigned", sets_an_attribute_of_an_argument,
         grad(Params(X, 2.0)), "p.w = "),
    Case("differentiated dict keys", dict_with_differentiated_keys, grad(X), "sum(d.keys())"),
    Case("einsum with a variable subscript", einsum_with_a_variable_subscript, grad(X),
         "np.einsum(", fd(lambda x: np.dot(x, x), X)),
    Case("ndarray.resize", resizes_an_array, grad(X), "y.resize("),
    Case("dict.update", updates_a_dict, grad(X), None, fd(lambda x: x[0] * x[1], X)),
    Case("dict.update of a helper's dict", updates_a_dict_a_helper_made, grad(X), "d.update("),
    Case("set.add", adds_to_a_set, grad(X), "s.add(", fd(lambda x: x[0], X)),
]

# ---------------------------------------------------------------------------
# Library calls that take the user's functions, and other calling forms


def integrand(t, x):
    return x * t * t


def integrates_with_quad(x):
    value, _ = INTEGRATE.quad(integrand, 0.0, 1.0, args=(x,))
    return value


def minimises(x):
    found = OPTIMIZE.minimize_scalar(lambda t: (t - x) ** 2)
    return found.x


def applies_along_an_axis(x):
    return np.sum(np.apply_along_axis(np.sin, 0, x))


def piecewise(x):
    return np.sum(np.piecewise(x, [x < 0, x >= 0], [lambda v: -v, lambda v: v * v]))


def item_of_many(x):
    return x.item() * 2.0


def float_of_many(x):
    return float(x) * 2.0


def accumulates(x):
    return list(ITERTOOLS.accumulate([x[0], x[1], x[2]]))[-1]


def itemgetter_call(x):
    return OPERATOR.itemgetter(0)(x) * 2.0


def dunder_getitem(x):
    return x.__getitem__(0) * 3.0


def reduce_with_a_keyword(x):
    return functools.reduce(lambda a, b: a * b, [x[0], x[1]], initial=1.0) * x[2]


def sum_of_a_generator_to_numpy(x):
    return np.sum(v * v for v in x)


def map_of_a_ufunc(x):
    return sum(map(np.sin, x))


def divides_by_zero(x):
    return x[0] / 0.0


def singular_inverse(x):
    return np.sum(np.linalg.inv(np.outer(x, x)))


class Affine:
    @staticmethod
    def apply(x):
        return np.sum(3.0 * x)

    @classmethod
    def scaled(cls, x):
        return np.sum(2.0 * x)


import itertools as ITERTOOLS  # noqa: E402
import operator as OPERATOR  # noqa: E402

MORE = [
    Case("scipy.integrate.quad of a function", integrates_with_quad, grad(1.5),
         "INTEGRATE.quad("),
    Case("scipy.optimize of a lambda", minimises, grad(1.5), "lambda t:"),
    Case("np.apply_along_axis", applies_along_an_axis, grad(X), "np.apply_along_axis(",
         fd(lambda x: np.sum(np.sin(x)), X)),
    Case("np.piecewise", piecewise, grad(X), "np.piecewise("),
    Case("x.item() of many", item_of_many, grad(X), None, like_python=lambda f: f(X)),
    Case("float() of many", float_of_many, grad(X), None, like_python=lambda f: f(X)),
    Case("itertools.accumulate", accumulates, grad(X), "ITERTOOLS.accumulate(",
         fd(lambda x: x[0] + x[1] + x[2], X)),
    Case("operator.itemgetter", itemgetter_call, grad(X), "itemgetter(0)",
         fd(lambda x: x[0] * 2.0, X)),
    Case("x.__getitem__", dunder_getitem, grad(X), "__getitem__",
         fd(lambda x: x[0] * 3.0, X)),
    Case("functools.reduce with a keyword", reduce_with_a_keyword, grad(X), "initial=",
         like_python=lambda f: f(X)),
    Case("np.sum of a generator", sum_of_a_generator_to_numpy, grad(X), "v * v for v",
         fd(lambda x: np.sum(x * x), X)),
    Case("map of a ufunc", map_of_a_ufunc, grad(X), "map(np.sin",
         fd(lambda x: np.sum(np.sin(x)), X)),
    Case("division by zero", divides_by_zero, grad(X), None,
         lambda: [np.inf, 0.0, 0.0]),
    Case("inverse of a singular matrix", singular_inverse, grad(X), None,
         like_python=lambda f: f(X)),
    Case("a staticmethod", Affine.apply, grad(X), None, lambda: np.full(3, 3.0)),
    Case("a classmethod", Affine.scaled, grad(X), None, lambda: np.full(3, 2.0)),
    Case("wrt a list", loss, grad(X, W, wrt=[0, 1]), None,
         lambda: (np.cos(X) * W, np.sin(X))),
    Case("keyword arguments", loss, lambda f: ad.grad(f)(x=X, w=W), None, fd(loss, X, W)),
    Case("a torch tensor argument", loss, lambda f: ad.grad(f)(TORCH.tensor(X), W), None,
         like_python=lambda f: f(TORCH.tensor(X), W)),
    Case("an np.matrix argument", returns_a_scalar_for_aux,
         lambda f: ad.grad(f)(np.matrix([[0.3, -0.7]])), None,
         like_python=lambda f: f(np.matrix([[0.3, -0.7]]))),
    Case("a masked array argument", returns_a_scalar_for_aux,
         lambda f: ad.grad(f)(np.ma.masked_array(X, [False, True, False])).filled(np.nan),
         None, lambda: [0.6, np.nan, 2.2]),  # the masked entry's gradient is masked
    Case("a Fraction argument", returns_a_scalar_for_aux,
         lambda f: ad.grad(f)(FRACTIONS.Fraction(1, 3)), None, lambda: 2.0 / 3.0),
    Case("a float32 argument", returns_a_scalar_for_aux,
         lambda f: ad.grad(f)(X.astype(np.float32)), None, lambda: 2.0 * X),
    Case("an int array argument", returns_a_scalar_for_aux,
         lambda f: ad.grad(f)(np.array([1, 2, 3])), None, lambda: [2.0, 4.0, 6.0]),
    Case("a complex argument to grad", returns_a_scalar_for_aux,
         lambda f: ad.grad(f)(np.array([1 + 1j, 2.0])), None),
    # (a scalar for grad, as for torch's backward() and autograd's grad)
    Case("a one-entry array result", returns_an_array, grad(np.array([0.5])), None,
         lambda: np.array([2.0])),
]

import fractions as FRACTIONS  # noqa: E402


# ---------------------------------------------------------------------------
# The same refusals through every entry point and option

def _with_aux(f):
    def loss_and_aux(x):
        return f(x), 0
    return loss_and_aux


def _entry_points(args):
    primals = tuple(args)
    first = args[0]
    ones = (Scaled(np.ones(3), 1.0),) if isinstance(first, Scaled) else (np.ones_like(first),)
    return {
        "value_and_grad": lambda f: ad.value_and_grad(f)(*args),
        "forward grad": lambda f: ad.grad(f, mode="forward")(*args),
        "has_aux": lambda f: ad.grad(_with_aux(f), has_aux=True)(*args),
        "jvp": lambda f: ad.jvp(f)(primals, ones),
        "vjp": lambda f: ad.vjp(f)(primals, 1.0),
        "hessian": lambda f: ad.hessian(f)(*args),
        "hvp": lambda f: ad.hvp(f)(primals, ones),
        "jacobian": lambda f: ad.jacobian(f)(*args),
        "forward jacobian": lambda f: ad.jacobian(f, mode="forward")(*args),
    }


REFUSED_EVERYWHERE = [
    (try_finally, "try:"),
    (uses_yield, "yield x"),
    (defines_a_class, "class Scale"),
    (calls_eval, 'eval("'),
    (set_comprehension, "{v for v in x}"),
    (calls_struve, "SPECIAL.struve("),
    (calls_frompyfunc, "np.frompyfunc("),
    (updates_a_dict_a_helper_made, "d.update("),
    (reads_record_fields, "p.T"),
]

EVERY_ENTRY_POINT = [
    Case(f"{function.__name__} via {entry}", function, call, marker)
    for function, marker in REFUSED_EVERYWHERE
    for entry, call in _entry_points(
        (Scaled(X, 2.0),) if function is reads_record_fields else (X,)).items()
    if not (entry == "has_aux" and function is reads_record_fields)
]

# Arguments and results without a derivative, through every entry point.
MISTAKES_EVERYWHERE = [
    Case(f"a str argument via {entry}", scalar_loss, call, None)
    for entry, call in {
        "grad": grad(3.0, 2, "a", None, wrt=2),
        "value_and_grad": lambda f: ad.value_and_grad(f, wrt=2)(3.0, 2, "a", None),
        "forward grad": lambda f: ad.grad(f, wrt=2, mode="forward")(3.0, 2, "a", None),
        "jvp": lambda f: ad.jvp(f, wrt=2)((3.0, 2, "a", None), ("b",)),
        "vjp": lambda f: ad.vjp(f, wrt=2)((3.0, 2, "a", None), 1.0),
        "hessian": lambda f: ad.hessian(f, wrt=2)(3.0, 2, "a", None),
        "jacobian": lambda f: ad.jacobian(f, wrt=2)(3.0, 2, "a", None),
        "None via grad": grad(3.0, 2, "a", None, wrt=3),
    }.items()
] + [
    # A jvp's tangent of a comparison is exactly zero; what takes a gradient
    # or a Jacobian of it refuses it, as JAX does.
    Case(f"a comparison result via {entry}", returns_a_bool, call, None,
         (lambda: (1.0, 0.0)) if entry == "jvp" else None)
    for entry, call in _entry_points((X,)).items() if entry not in ("has_aux", "vjp")
] + [
    Case(f"a vector result via {entry}", returns_an_array, call, None)
    for entry, call in {
        "grad": grad(X), "value_and_grad": lambda f: ad.value_and_grad(f)(X),
        "forward grad": lambda f: ad.grad(f, mode="forward")(X),
        "hessian": lambda f: ad.hessian(f)(X),
        "hvp": lambda f: ad.hvp(f)((X,), (X,)),
        "has_aux": lambda f: ad.grad(f, has_aux=True)(X),
    }.items()
]

def fft_of_values(x):
    return np.sum(np.fft.fft(x).real)


def dict_of_values(x):
    d = {"a": x[0]}
    return d["a"] * 2.0


LOG: list = []


def appends_to_a_module_list(x):
    LOG.append(x[0])
    return np.sum(x)


def logs_a_value(x):
    LOGGER.debug("first %s", x[0])
    return np.sum(x)


def writes_a_module_dict(x):
    SEEN["x"] = x
    return np.sum(x)


EFFECTS = [
    Case("append to a module-level list", appends_to_a_module_list, grad(X), "LOG.append("),
    Case("logging a value", logs_a_value, grad(X), "LOGGER.debug(",
         fd(lambda x: np.sum(x), X)),
    Case("write into a module-level dict", writes_a_module_dict, grad(X), 'SEEN["x"]'),
]

import logging  # noqa: E402

LOGGER = logging.getLogger("error_quality_round2")
SEEN: dict = {}


# What backend="numba" cannot compile names the function's def (numba compiles
# the derivative as a whole, some of it only when first called).
NUMBA = [
    Case("numba backend: a helper without a numba version", fft_of_values,
         grad(X, backend="numba"), None),
    Case("numba backend: a dict numba does not compile", dict_of_values,
         grad(X, backend="numba"), None),
]

CASES = SYNTAX + API + LIBRARIES + TYPES + MORE + EFFECTS + EVERY_ENTRY_POINT + \
    MISTAKES_EVERYWHERE
if NUMBA_SQUARE is None:
    CASES = [case for case in CASES if case.id != "a numba-jitted helper"]
if SPECIAL is None:
    _SCIPY = {calls_struve, calls_airy, calls_zeta, integrates_with_quad, minimises}
    CASES = [case for case in CASES if case.function not in _SCIPY]
if TORCH is None:
    CASES = [case for case in CASES if case.id != "a torch tensor argument"]
else:
    CASES += NUMBA


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_each_mistake_is_differentiated_right_or_refused_naming_the_line(case):
    assert verdict(case) == "ok"


if __name__ == "__main__":
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 1000))
    failures = 0
    for case in CASES:
        outcome = verdict(case)
        if outcome != "ok":
            failures += 1
            print(f"FAIL {case.id}: {outcome[:300]!r}")
    print(f"{len(CASES) - failures}/{len(CASES)} ok")
