"""Derivatives built inside the differentiated function, found when compiling.

`ad.grad(g)(x)`, or `dg = ad.grad(g)` then `dg(x)`, in a function being
differentiated: the callee is computed by an expression, yet every piece of
it is known when compiling (adcompiler's builder, a function found by
resolve.py, options written as constants). Building a derivative is pure (the
API caches it and compiles nothing that runs), so resolve.py calls the builder
now and calls the derivative it returns by a name of its own, exactly as for a
derivative built at module level:

    def f(x):                              def f(x):
        return ad.grad(g)(x) * x               return g_grad(x) * x

(`g_grad` is the object `ad.grad(g)` returns, in `parsed.bound`.) The
derivative is generated code, so differentiating f differentiates it again:
second derivatives, in any mode.

This module knows which callables are builders and which option values
count as constants; it imports the API only when asked, since the API
imports the compiler.
"""

from __future__ import annotations

import ast
import threading

import gast

from ..errors import AdError, NoDerivativeRuleError
from ..printer import to_source
from ..source import _seen_through

# A value that is not a constant written in the source.
NOT_CONSTANT = object()

# The public entry points that build a derivative from a function (adcompiler/__init__.py).
_BUILDER_NAMES = ("grad", "value_and_grad", "vjp", "jvp", "derivative", "hvp", "jacobian",
                  "hessian")


# {entry point: its public name}, filled by api.py when it is imported: the
# API imports the compiler that runs this pass, so this module cannot import
# the API back (imports flow one way).
_BUILDERS: dict = {}


def register_builders(functions: dict) -> None:
    """Record adcompiler's builders of derivatives, {function: public name}
    (api.py, once)."""
    unknown = set(functions.values()) - set(_BUILDER_NAMES)
    if unknown:
        raise ValueError(f"not builders of derivatives: {sorted(unknown)}")
    _BUILDERS.update(functions)


def builders() -> dict:
    """{entry point: its public name}."""
    return _BUILDERS


def is_builder(value) -> bool:
    """Whether `value` is one of adcompiler's builders of derivatives, or a
    compatibility wrapper standing for one (see `builder_of`).

    Example:
        >>> import adcompiler as ad
        >>> is_builder(ad.grad), is_builder(print)
        (True, False)
    """
    return builder_of(value) is not None


def builder_of(value):
    """(adcompiler's builder, {the wrapper's option name: the builder's}) for
    one of the API's builders, or for a wrapper that declares which one it
    calls, as a layer translating autograd's `grad(f, argnum)` does:
    `grad.__adcompiler_builder__ = ("grad", {"argnum": "wrt"})` promises that
    `grad(f, 1)` and `grad(f, argnum=1)` are `ad.grad(f, 1)` and
    `ad.grad(f, wrt=1)`. Else None."""
    found = builders()
    try:
        if value in found:
            return value, {}
    except TypeError:  # unhashable
        return None
    declared = getattr(value, "__adcompiler_builder__", None)
    if isinstance(declared, tuple) and len(declared) == 2 and declared[0] in _BUILDER_NAMES \
            and isinstance(declared[1], dict):
        named = {name: function for function, name in found.items()}
        return named[declared[0]], dict(declared[1])
    return None


def constant(node: gast.AST):
    """The value of an option written as a constant (`wrt=1`, `wrt=(0, 1)`,
    `mode="forward"`, `has_aux=True`), else NOT_CONSTANT."""
    try:
        return ast.literal_eval(to_source(node).strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return NOT_CONSTANT


def build(builder, target, options: list, keywords: dict, location):
    """`builder(target, *options, **keywords)`, the object the code would
    build when it runs. The API's own errors (a `wrt` out of range, a
    function it cannot differentiate) are raised now, as they would be there.
    A wrapper standing for a builder (`builder_of`) has its options renamed
    and the builder called in its place."""
    builder, renames = builder_of(builder)
    keywords = {renames.get(name, name): value for name, value in keywords.items()}
    name = builders()[builder]
    if any(target is building for building in _BUILDING.targets):
        # f building ad.grad(f) inside itself: compiling it would build it again.
        raise NoDerivativeRuleError(
            f"adcompiler.{name} of {getattr(target, '__qualname__', target)} built inside the "
            "function it differentiates, or inside a function that one calls (a recursion "
            "through derivatives), is not supported", location,
            help="Instead: build the derivatives of each order from module-level functions "
            "(d1 = ad.grad(f0), d2 = ad.grad(d1), ...), and call the one of the order wanted.")
    _BUILDING.targets.append(target)
    try:
        built = builder(target, *options, **keywords)
    except AdError:
        raise
    except TypeError as err:
        raise NoDerivativeRuleError(
            f"adcompiler.{name} is called here with options it does not take: {err}",
            location, help=f"See help(adcompiler.{name}) for its options.") from err
    finally:
        _BUILDING.targets.pop()
    return _seen_through(built)


class _Building(threading.local):
    """The functions whose derivatives are being built when compiling, innermost last."""

    def __init__(self):
        self.targets = []


_BUILDING = _Building()
