"""Random programs that mutate arrays through views, containers and helpers,
checked against finite differences of the very same NumPy source.

Every program is `def f(x, A, s, P):` with x a float64 vector of length 6,
A a 3x4 matrix, s a float and P a dict {"w": vector of 4, "b": vector of 3};
it returns a scalar: a sum of smooth functions of the live arrays (x, A and
P's entries included, since a write through a view, a container or a helper
may have changed them). tests/aliasing_generator.py covers plain views,
`op=` and a few effectful calls; this grammar adds the idioms around them:

    statement ::= NEW = expr(shape)           any of the shapes below
                | NEW = copy of VAR             v.copy(), np.copy(v), np.array(v), v + 0.0
                | NEW = view of VAR             v[a:b], v[::2], v[::-1], v.reshape(2, 3), M[i],
                                                M[:, j], M.T, M[a:b, c:d], M.ravel(), M.reshape(-1),
                                                np.transpose(M), M.swapaxes(0, 1), M[::-1]
                | TARGET op= expr               TARGET a variable, a view written inline
                                                (x[1:4], A[:, 0], A.T[1]), P["w"], L[0], D["a"]
                | TARGET[index] (op)= expr      basic, fancy ([0, 2], [1, 1], np.array([3, 0]),
                                                A[[0, 2], 1], A[:, [0, 3]]) and boolean indices
                                                (v[v > 0.0] = c, A[A[:, 0] > 0.0] += w, v[m] = f(v[m]))
                | out=                          np.add/np.multiply/np.subtract(.., out=T),
                                                np.sin/np.tanh/np.negative(.., out=T),
                                                np.clip(T, lo, hi, out=T), np.maximum(.., out=T),
                                                np.matmul(A, w, out=T), np.sum(A, axis=0, out=T),
                                                np.copyto(T, e)
                | container                     L = [a, b] (+ L.append(e), L[k] = e, L[k] op= e,
                                                L[k][i] = e, loops over L), D = {"a": a, "b": b}
                                                (+ D["c"] = e, D[k] op= e, loops over D, D.items(),
                                                D.values()), T = (a, b); p, q = T; p op= e
                | unpack                        a, b = v[:3], v[3:]; a, b = b, a; M[0], M[1] = ...
                | helper                        module-level helpers that mutate an argument,
                                                return it or a view of it, return a tuple, return
                                                early, append to a list or write into a dict
                | data index                    k = np.argmax(v); v[k] (op)= e; v[np.argsort(v)[:2]]
                | attribute                     b = Box(v); b.v += e   (refused by the fence)
                | early return                  if COND: return RESULT
                | while on data                 n = 0; while np.sum(T * T) > c and n < 4: T ...
                | for i in range(K): statement{1,2}   (writes at v[i], v[i + 1], rows M[i])
                | if COND: statement{1,2} else: statement{1,2}
    expr      ::= VAR | s | CONSTANT | unary(expr) | expr op expr | np.where(expr > expr, e, e)
                | np.maximum(e, e) | np.clip(e, lo, hi) | e.clip(lo, hi) | e / (1.5 + np.sin(e))
                | shape changers: M.sum(axis=k), M.mean(axis=k, keepdims), M @ w, M.dot(w),
                  w @ M, np.outer(a, b), a[:, None] * b, M * w, np.concatenate, np.stack,
                  np.vstack, reshape, .T, v[[i, j, k]], v[::2], M[:, j], x.cumsum(), v.dot(v),
                  M.max(axis=k), np.prod(np.cos(e)), v[v > 0].sum(), reductions to scalars

                | WIDENED                       tests/widened_mutations.py: more views (negative
                                                steps, [:, None], expand_dims, .real, .view(),
                                                moveaxis, squeeze), writes (.flat, np.put, ufunc.at,
                                                cumsum out=, overlapping out=), read-only views read
                                                after a write, list and dict methods and second
                                                names, nested lists, attributes, helpers

The oracle is the NumPy program itself: its value on copies of the inputs,
and central differences of it (step 1e-6, checked against step 1e-5 so that
an example whose branches, masks or clips change within the step is skipped,
never failed). The gradient (grad and value_and_grad) is compared entry by
entry, jvp's tangent against the directional difference along a random
direction, and the caller's arguments (and tangents) must be unchanged. On
one program in three (second_order_drawn), ad.hvp's H·v is compared with
central differences of ad.grad (itself held to the program) along a direction.

Run as a script for many more programs than the test suite runs:

    python tests/mutation_generator.py --seeds 2000 [--start 0] [--show 3]
"""

from __future__ import annotations

import argparse
import collections
import copy
import hashlib
import importlib.util
import itertools
import re
import sys
import tempfile
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import adcompiler as ad
# Choices from hypothesis (shrinkable) or from a seeded random.Random, shared
# with the aliasing grammar; the test module draws through HypothesisChoices.
from aliasing_generator import HypothesisChoices, RandomChoices  # noqa: F401
from widened_mutations import PAIR, WIDE_HELPERS, WideStatements

RTOL = 1e-5          # finite differences are good to about 1e-8 here; a wrong rule is off by O(1)
ATOL = 1e-6          # scaled by max(1, largest |expected|)
STEP = 1e-6
LIMIT = 1e4          # larger values or differences: the example is skipped
WRT = (0, 1, 2, 3)


# -- the program writer ----------------------------------------------------------------

SHAPES = [(), (3,), (4,), (6,), (3, 4), (4, 3), (2, 3)]
CONSTANTS = ["0.5", "(-0.75)", "1.25", "0.25"]
UNARY = ["np.sin({})", "np.cos({})", "np.tanh({})", "np.exp(np.tanh({}))",
         "np.log(1.0 + {} ** 2)", "np.sqrt(1.0 + {} ** 2)", "({} ** 2)", "np.square({})"]

HELPERS = {
    "scale": ["def scale(u, c):", "    u *= np.cos(c)"],
    "bump_first": ["def bump_first(u, c):", "    u[0] += c", "    return u"],
    "head": ["def head(u):", "    return u[:2]"],
    "ends": ["def ends(u):", "    return u[0], u[-1]"],
    "squash_or_pin": ["def squash_or_pin(u, c):", "    if np.sum(u) > c:",
                      "        return np.clip(u, -0.5123, 0.5077)", "    u[0] = c", "    return u"],
    "push": ["def push(L, v):", "    L.append(np.tanh(v))"],
    "bump_entry": ["def bump_entry(D, k, c):", "    D[k] += c"],
    "rebind_entry": ["def rebind_entry(D, k, c):", "    D[k] = D[k] * np.cos(c)"],
    "normalise": ["def normalise(u):", "    u /= 1.5 + np.sin(np.sum(u * u))",
                  "    return np.sum(u)"],
    "smooth_rows": ["def smooth_rows(u):", "    for i in range(u.shape[0]):",
                    "        u[i] += 0.5 * np.tanh(u[i])"],
    "shifted": ["def shifted(u, c):", "    v = u[1:]", "    v -= c * u[:-1]", "    return v"],
    "split_pair": ["def split_pair(u):", "    n = u.shape[0] // 2", "    return u[:n], u[n:]"],
    "reset": ["def reset(u, c):", "    u[...] = np.tanh(u) + c", "    return u.sum()"],
    "scale_all": ["def scale_all(c, *arrays):", "    for a in arrays:", "        a *= np.cos(c)"],
    # Arrays received by name: a keyword-only parameter and **kwargs, plain
    # and beside a nested function (which keeps the helper from being inlined).
    "bump_keyword": ["def bump_keyword(c, *, u):", "    u[0] += c", "    return u"],
    "bump_kwargs": ["def bump_kwargs(c, **kw):", "    kw['u'][0] += c", "    return kw['u']"],
    "bump_keyword_nested": ["def bump_keyword_nested(c, *, u):", "    grow = lambda v: v * 1.5",
                            "    u[0] += c", "    return grow(u)"],
    "scale_recursive": ["def scale_recursive(u, c, n=1):", "    if n > 1:",
                        "        return scale_recursive(u, c, n - 1)", "    u *= np.cos(c)",
                        "    return 0.0"],
}

BOX = ["class Box:", "    def __init__(self, v):", "        self.v = v"]


@dataclass
class Scope:
    arrays: dict                      # expression -> shape, for every live array
    indices: tuple = ()               # loop indices readable here
    containers: list = field(default_factory=list)   # (kind, name)

    def copy(self) -> "Scope":
        return Scope(dict(self.arrays), self.indices, list(self.containers))


class Writer(WideStatements):
    """Draws one program, line by line, from `choices` (the widened statements
    of tests/widened_mutations.py included)."""

    def __init__(self, choices):
        self.c = choices
        self.lines: list[str] = []
        self.helpers: list[str] = []            # names of module-level helpers used
        self.counter = itertools.count()
        self.features: set[str] = set()
        self.scalars: list[str] = []
        self.box = False
        self.pair = False                        # the Pair dataclass is used
        self.imports: set[str] = set()
        self.wide_helpers: list[str] = []
        self.lists: dict = {}                    # list name -> ListModel (shared by aliases)

    def fresh(self, prefix: str) -> str:
        return f"{prefix}{next(self.counter)}"

    def emit(self, indent: int, line: str) -> None:
        self.lines.append("    " * indent + line)

    def use_helper(self, name: str) -> str:
        if name not in self.helpers:
            self.helpers.append(name)
        self.features.add(f"helper {name}")
        return name

    # -- expressions -------------------------------------------------------------

    def named(self, scope: Scope, shape) -> list:
        return [n for n, sh in scope.arrays.items() if sh == shape]

    def scalar_leaf(self, scope: Scope) -> str:
        forms = ["s", "s", "const", "mean"] + (["index"] if scope.indices else [])
        form = self.c.choice(forms)
        if form == "s":
            return "s"
        if form == "const":
            return self.c.choice(CONSTANTS)
        if form == "index":
            return f"(0.25 * {self.c.choice(scope.indices)})"
        name = self.c.choice(sorted(scope.arrays))
        return self.c.choice([f"np.mean({name})", f"{name}.mean()", f"np.sum({name}) * 0.25"])

    def base(self, scope: Scope, shape) -> str:
        """A live array of exactly `shape`, or an expression of the inputs that has it."""
        same = self.named(scope, shape)
        if same:
            return self.c.choice(same)
        return {(): "s", (3,): "np.tanh(x[:3])", (4,): "np.cos(A[0])", (6,): "np.sin(x)",
                (3, 4): "np.tanh(A)", (4, 3): "np.sin(A.T)",
                (2, 3): "np.cos(x.reshape(2, 3))"}.get(shape) or self.scalar_leaf(scope)

    def leaf(self, scope: Scope, shape, exact: bool) -> str:
        same = self.named(scope, shape)
        if same and self.c.integer(0, 3):
            return self.c.choice(same)
        if shape == () or (not exact and self.c.flip()):
            return self.scalar_leaf(scope)
        return self.producer(scope, shape, 0)

    def expr(self, scope: Scope, shape, depth: int = 2, exact: bool = False) -> str:
        """An expression broadcasting to `shape` (with `exact`, of exactly that shape)."""
        if depth <= 0 or self.c.integer(0, 2) == 0:
            return self.leaf(scope, shape, exact)
        form = self.c.choice(["unary", "binary", "binary", "producer", "producer", "where",
                              "maximum", "clip", "divide", "scale"])
        d = depth - 1
        e = lambda: self.expr(scope, shape, d, exact)  # noqa: E731
        if form == "unary":
            return self.c.choice(UNARY).format(e())
        if form == "binary":
            return f"({e()} {self.c.choice('+-*')} {e()})"
        if form == "where":
            self.features.add("np.where")
            return f"np.where({e()} > {self.expr(scope, shape, 0)}, {e()}, {e()})"
        if form == "maximum":
            return f"np.{self.c.choice(['maximum', 'minimum'])}({e()}, {e()})"
        if form == "clip":
            if shape != () and self.c.flip():
                self.features.add("method clip")
                return f"({self.expr(scope, shape, d, True)}).clip(-0.5123, 0.7541)"
            return f"np.clip({e()}, -0.5123, 0.7541)"
        if form == "divide":
            return f"({e()} / (1.5 + np.sin({self.expr(scope, shape, d)})))"
        if form == "scale":
            return f"(0.5 * {e()})"
        return self.producer(scope, shape, d)

    def producer(self, scope: Scope, shape, d: int) -> str:
        """An expression of exactly `shape` built from arrays of other shapes."""
        e = lambda sh: self.expr(scope, sh, d, True) if d > 0 else self.base(scope, sh)  # noqa: E731
        v = lambda sh: self.base(scope, sh)  # noqa: E731
        options = {
            (): [lambda: f"np.sum({e((3, 4))})", lambda: f"({e((6,))}).sum()",
                 lambda: f"np.mean({e((4,))})", lambda: f"{v((6,))}[{self.c.integer(-6, 5)}]",
                 lambda: f"{v((3, 4))}[{self.c.integer(0, 2)}, {self.c.integer(-4, 3)}]",
                 lambda: f"{v((3,))}.dot({e((3,))})", lambda: f"({v((4,))} @ {e((4,))})",
                 lambda: f"np.max({e((6,))})", lambda: f"({e((3, 4))}).max()",
                 lambda: f"np.prod(np.cos({e((4,))}))", lambda: f"{v((6,))}[{v((6,))} > 0.0].sum()",
                 lambda: f"np.linalg.norm({e((3,))})", lambda: f"np.tanh({e(())})",
                 lambda: f"np.trace({v((3, 4))}[:, :3])", lambda: f"np.dot({v((3,))}, {e((3,))})"],
            (3,): [lambda: f"({e((3, 4))}).sum(axis=1)", lambda: f"np.mean({e((3, 4))}, axis=1)",
                   lambda: f"({v((3, 4))} @ {e((4,))})", lambda: f"{v((3, 4))}.dot({e((4,))})",
                   lambda: f"{v((6,))}[:3]", lambda: f"{v((6,))}[3:]", lambda: f"{v((6,))}[::2]",
                   lambda: f"{v((6,))}[[0, 2, 5]]", lambda: f"{v((6,))}[np.array([1, 1, 4])]",
                   lambda: f"{v((3, 4))}[:, {self.c.integer(-4, 3)}]",
                   lambda: f"{v((4, 3))}[{self.c.integer(0, 3)}]",
                   lambda: f"{v((6,))}.reshape(2, 3)[{self.c.integer(0, 1)}]",
                   lambda: f"{v((6,))}.reshape(3, 2).sum(axis=1)",
                   lambda: f"np.array([{e(())}, {e(())}, {e(())}])",
                   lambda: f"({e((3, 4))}).max(axis=1)", lambda: f"np.cumsum({e((3,))})",
                   lambda: f"({e((2, 3))}).mean(axis=0)", lambda: f"np.diag({v((3, 4))})"],
            (4,): [lambda: f"({e((3, 4))}).sum(axis=0)", lambda: f"{v((3, 4))}[{self.c.integer(-3, 2)}]",
                   lambda: f"({v((3, 4))}.T @ {e((3,))})", lambda: f"({e((3,))} @ {v((3, 4))})",
                   lambda: f"({v((4, 3))} @ {e((3,))})", lambda: f"{v((6,))}[:4]",
                   lambda: f"{v((6,))}[2:]", lambda: f"np.mean({e((3, 4))}, axis=0)",
                   lambda: f"np.concatenate([{v((6,))}[:1], {e((3,))}])",
                   lambda: f"np.min({e((3, 4))}, axis=0)", lambda: f"np.dot({e((3,))}, {v((3, 4))})"],
            (6,): [lambda: f"np.concatenate([{e((3,))}, {e((3,))}])", lambda: f"({e((2, 3))}).ravel()",
                   lambda: f"({e((2, 3))}).reshape(6)", lambda: f"{v((3, 4))}[:2, :3].flatten()",
                   lambda: f"{v((6,))}[::-1]", lambda: f"np.cumsum({e((6,))})",
                   lambda: f"({e((6,))}).cumsum()", lambda: f"np.hstack([{e((4,))}, {v((3,))}[:2]])",
                   lambda: f"np.roll({v((6,))}, 1)"],
            (3, 4): [lambda: f"np.outer({e((3,))}, {e((4,))})",
                     lambda: f"({e((3,))}[:, None] * {e((4,))})",
                     lambda: f"({e((3, 4))} * {e((4,))})", lambda: f"({e((3, 4))} + {e((3,))}[:, None])",
                     lambda: f"{v((4, 3))}.T", lambda: f"np.stack([{e((4,))}, {e((4,))}, {e((4,))}])",
                     lambda: f"np.vstack([{e((4,))}, {v((3, 4))}[1:]])",
                     lambda: f"({v((6,))}.reshape(3, 2) @ {v((3, 4))}[:2])",
                     lambda: f"np.transpose({e((4, 3))})",
                     lambda: f"({e((3, 4))} - np.mean({e((3, 4))}, axis=1, keepdims=True))",
                     lambda: f"np.where({v((3, 4))} > 0.0, {e((3, 4))}, 0.0)"],
            (4, 3): [lambda: f"{v((3, 4))}.T", lambda: f"np.transpose({e((3, 4))})",
                     lambda: f"({e((3, 4))}).T * {e((3,))}", lambda: f"np.stack([{e((3,))}] * 4)",
                     lambda: f"({v((3, 4))}.T @ {v((3, 4))})[:, :3]", lambda: f"{v((3, 4))}.swapaxes(0, 1)"],
            (2, 3): [lambda: f"{v((6,))}.reshape(2, 3)", lambda: f"{v((3, 4))}[:2, :3]",
                     lambda: f"np.stack([{e((3,))}, {e((3,))}])", lambda: f"{v((3, 4))}[[0, 2], 1:]",
                     lambda: f"{v((3, 4))}[1:, ::-1][:, 1:]"],
        }
        if shape not in options:          # an odd shape (a view's): broadcast a scalar
            return self.scalar_leaf(scope)
        self.features.add(f"producer {shape}")
        return self.c.choice(options[shape])()

    def bounded(self, scope: Scope, shape) -> str:
        return f"np.tanh({self.expr(scope, shape)})"

    def condition(self, scope: Scope) -> str:
        name = self.c.choice(sorted(scope.arrays))
        form = self.c.choice(["sum", "mean", "max", "element"])
        if form == "sum":
            return f"np.sum({name}) > {self.c.choice(CONSTANTS)}"
        if form == "mean":
            return f"{name}.mean() < {self.c.choice(CONSTANTS)}"
        if form == "max":
            return f"np.max({name}) > 0.9"
        return f"np.sum({self.expr(scope, (), 1)}) > 0.0"

    # -- targets: things that may be written into -----------------------------------

    def target(self, scope: Scope):
        """A name, an entry of a container, or a view written inline, and its shape."""
        name = self.c.choice(sorted(scope.arrays))
        shape = scope.arrays[name]
        if self.c.integer(0, 3):
            return name, shape
        if shape and self.c.flip():
            index, selected = self.basic_index(shape, scope)
            if selected:
                self.features.add("inline view target")
                return f"{name}[{index}]", selected
        if len(shape) == 2 and self.c.flip():
            self.features.add("inline .T target")
            return f"{name}.T", shape[::-1]
        return name, shape

    def basic_index(self, shape, scope: Scope):
        """A basic index into `shape` and the shape it selects."""
        if len(shape) == 1:
            n = shape[0]
            forms = ["int", "slice", "step", "reverse", "ellipsis"]
            if scope.indices and n >= 4:
                forms += ["loop", "loop"]
            form = self.c.choice(forms)
            if form == "int":
                return str(self.c.integer(-n, n - 1)), ()
            if form == "loop":
                i = self.c.choice(scope.indices)
                return self.c.choice([f"{i}", f"{i} + 1", f"-{i} - 1"]), ()
            if form == "step":
                return "::2", ((n + 1) // 2,)
            if form == "reverse":
                return "::-1", (n,)
            if form == "ellipsis":
                return "...", (n,)
            a = self.c.integer(0, n - 1)
            b = self.c.integer(a + 1, n)
            return f"{a}:{b}", (b - a,)
        r, c = shape
        form = self.c.choice(["row", "column", "element", "rows", "block", "reversed"]
                             + (["loop_row"] if scope.indices else []))
        if form == "row":
            return str(self.c.integer(-r, r - 1)), (c,)
        if form == "loop_row":
            return f"{self.c.choice(scope.indices)}", (c,)
        if form == "column":
            return f":, {self.c.integer(-c, c - 1)}", (r,)
        if form == "element":
            return f"{self.c.integer(0, r - 1)}, {self.c.integer(-c, c - 1)}", ()
        if form == "rows":
            a = self.c.integer(0, r - 1)
            return f"{a}:", (r - a,)
        if form == "reversed":
            return "::-1, 1:", (r, c - 1)
        a, b = self.c.integer(0, r - 1), self.c.integer(0, c - 1)
        return f"{a}:, {b}:", (r - a, c - b)

    def fancy_index(self, shape):
        if len(shape) == 1:
            n = shape[0]
            i, j = self.c.integer(0, n - 1), self.c.integer(-n, n - 1)
            return self.c.choice([(f"[{i}, {j}]", (2,)), (f"np.array([{i}, {j}])", (2,)),
                                  (f"[{i}, {i}]", (2,))])
        r, c = shape
        return self.c.choice([(f"[0, {r - 1}]", (2, c)), (f"[0, {r - 1}], 1", (2,)),
                              (f":, [0, {c - 1}]", (r, 2)), (f"[[0, {r - 1}], [1, 0]]", (2,)),
                              (f"1, [0, {c - 1}]", (2,))])

    # -- statements ---------------------------------------------------------------

    def in_place(self, scope: Scope, indent: int, target: str, shape) -> None:
        op = self.c.choice(["+=", "-=", "*=", "/="])
        if shape and any(target.startswith(f"{name}[") for kind, name in scope.containers
                         if kind == "tuple"):
            target += "[...]"        # T[0] op= e would assign into the tuple
        self.features.add("in-place operator")
        if op in ("+=", "-="):
            value = f"0.5 * {self.bounded(scope, shape)}"
        elif op == "*=":
            value = f"np.cos({self.expr(scope, shape)})"
        else:
            value = f"(1.5 + np.sin({self.expr(scope, shape)}))"
        self.emit(indent, f"{target} {op} {value}")

    def index_write(self, scope: Scope, indent: int, target: str, shape) -> None:
        if shape == () or len(shape) > 2:
            return self.in_place(scope, indent, target, shape)
        form = self.c.choice(["basic", "basic", "fancy", "boolean"])
        if form == "boolean":
            self.features.add("boolean index write")
            mask = self.c.choice([f"{target} > 0.0", f"np.abs({target}) > 0.5077"])
            if len(shape) == 2 and self.c.flip():
                mask = f"{target}[:, 0] > 0.0"
                value = self.c.choice([self.scalar_leaf(scope), f"np.tanh({self.expr(scope, shape[1:])})"])
            else:
                value = self.scalar_leaf(scope)
            kind = self.c.choice(["=", "+=", "*=", "map"])
            if kind == "map":
                m = self.fresh("m")
                self.emit(indent, f"{m} = {mask}")
                self.emit(indent, f"{target}[{m}] = np.tanh({target}[{m}]) * {value}")
            elif kind == "*=":
                self.emit(indent, f"{target}[{mask}] *= np.cos({value})")
            else:
                self.emit(indent, f"{target}[{mask}] {kind} {value}")
            return
        if form == "fancy":
            index, selected = self.fancy_index(shape)
            self.features.add("fancy index write")
        else:
            index, selected = self.basic_index(shape, scope)
            self.features.add("basic index write")
        kind = self.c.choice(["=", "+=", "*=", "-="])
        if kind == "*=":
            value = f"np.cos({self.expr(scope, selected)})"
        else:
            value = self.bounded(scope, selected)
        self.emit(indent, f"{target}[{index}] {kind} {value}")

    def out_call(self, scope: Scope, indent: int, target: str, shape) -> None:
        forms = ["add", "multiply", "subtract", "sin", "tanh_self", "negative", "clip",
                 "maximum", "copyto", "exp", "positional_add", "positional_sin",
                 "positional_clip", "value_of_copyto"]
        if shape == (3,):
            forms.append("matmul")
        if shape == (4,):
            forms.append("sum_axis")
        form = self.c.choice(forms)
        self.features.add(f"out= {form}")
        e = lambda: self.expr(scope, shape)  # noqa: E731
        line = {
            "add": lambda: f"np.add({target}, 0.5 * np.tanh({e()}), out={target})",
            "multiply": lambda: f"np.multiply({target}, np.cos({e()}), out={target})",
            "subtract": lambda: f"np.subtract(np.tanh({e()}), {target}, out={target})",
            "sin": lambda: f"np.sin({e()}, out={target})",
            "tanh_self": lambda: f"np.tanh({target}, out={target})",
            "negative": lambda: f"np.negative({target}, out={target})",
            "clip": lambda: f"np.clip({target}, -0.5123, 0.7541, out={target})",
            "maximum": lambda: f"np.maximum({target}, np.tanh({e()}), out={target})",
            "copyto": lambda: f"np.copyto({target}, np.tanh({e()}))",
            "exp": lambda: f"np.exp(np.tanh({e()}), out={target})",
            "positional_add": lambda: f"np.add({target}, 0.5 * np.tanh({e()}), {target})",
            "positional_sin": lambda: f"np.sin({e()}, {target})",
            "positional_clip": lambda: f"np.clip({target}, -0.5123, 0.7541, {target})",
            "value_of_copyto": lambda: f"_ = (np.copyto({target}, np.tanh({e()})), 0)",
            "matmul": lambda: f"np.matmul({self.c.choice(self.named(scope, (3, 4)))}, np.tanh({self.expr(scope, (4,))}), out={target})",
            "sum_axis": lambda: f"np.sum(np.tanh({self.expr(scope, (3, 4))}), axis=0, out={target})",
        }[form]()
        self.emit(indent, line)

    def mutation(self, scope: Scope, indent: int) -> None:
        target, shape = self.target(scope)
        kind = self.c.choice(["in_place", "index", "index", "out"])
        if shape == () and kind != "in_place":
            kind = "in_place"
        if kind == "in_place":
            return self.in_place(scope, indent, target, shape)
        if kind == "index":
            return self.index_write(scope, indent, target, shape)
        return self.out_call(scope, indent, target, shape)

    def new_array(self, scope: Scope, indent: int) -> None:
        shape = self.c.choice(SHAPES[1:])
        name = self.fresh("v")
        self.emit(indent, f"{name} = {self.expr(scope, shape, 3, exact=True)}")
        scope.arrays[name] = shape

    def copy_of(self, scope: Scope, indent: int) -> None:
        source = self.c.choice(sorted(n for n, sh in scope.arrays.items() if sh))
        name = self.fresh("c")
        form = self.c.choice(["{}.copy()", "np.copy({})", "np.array({})", "{} + 0.0",
                              "np.asarray({})"])
        if "asarray" in form:
            self.features.add("np.asarray alias")
        self.emit(indent, f"{name} = {form.format(source)}")
        scope.arrays[name] = scope.arrays[source]

    def view(self, scope: Scope, indent: int) -> None:
        base = self.c.choice(sorted(n for n, sh in scope.arrays.items() if sh))
        shape = scope.arrays[base]
        name = self.fresh("w")
        if len(shape) == 1:
            n = shape[0]
            forms = ["index", "index"] + (["reshape"] if n % 2 == 0 else [])
            form = self.c.choice(forms)
            if form == "reshape":
                self.features.add("view reshape")
                self.emit(indent, f"{name} = {base}.reshape(2, {n // 2})")
                scope.arrays[name] = (2, n // 2)
                return
            index, selected = self.basic_index(shape, Scope({}, ()))
            if not selected:
                return self.copy_of(scope, indent)
            self.features.add("view 1-d")
            self.emit(indent, f"{name} = {base}[{index}]")
            scope.arrays[name] = selected
            return
        r, c = shape
        form = self.c.choice(["index", "index", "T", "ravel", "reshape", "transpose", "swapaxes",
                              "reversed"])
        self.features.add(f"view {form}")
        if form == "T":
            self.emit(indent, f"{name} = {base}.T")
            scope.arrays[name] = (c, r)
        elif form == "transpose":
            self.emit(indent, f"{name} = np.transpose({base})")
            scope.arrays[name] = (c, r)
        elif form == "swapaxes":
            self.emit(indent, f"{name} = {base}.swapaxes(0, 1)")
            scope.arrays[name] = (c, r)
        elif form == "ravel":
            self.emit(indent, f"{name} = {base}.{self.c.choice(['ravel()', 'reshape(-1)'])}")
            scope.arrays[name] = (r * c,)
        elif form == "reshape":
            self.emit(indent, f"{name} = {base}.reshape({c}, {r})")
            scope.arrays[name] = (c, r)
        elif form == "reversed":
            self.emit(indent, f"{name} = {base}[::-1]")
            scope.arrays[name] = shape
        else:
            index, selected = self.basic_index(shape, Scope({}, ()))
            if not selected:
                return self.copy_of(scope, indent)
            self.emit(indent, f"{name} = {base}[{index}]")
            scope.arrays[name] = selected

    def generic(self, scope: Scope, indent: int, target: str, scalar: str = "s") -> None:
        """A mutation valid for a target of any non-scalar shape."""
        form = self.c.choice(["scale", "squash", "first", "out", "centre", "ellipsis"])
        self.features.add(f"generic {form}")
        self.emit(indent, {
            "scale": f"{target} *= np.cos({scalar})",
            "squash": f"{target} += 0.5 * np.tanh({target})",
            "first": f"{target}[0] = {scalar}",
            "out": f"np.tanh({target}, out={target})",
            "centre": f"{target} -= {target}.mean()",
            "ellipsis": f"{target}[...] = np.sin({target})",
        }[form])

    def container(self, scope: Scope, indent: int) -> None:
        names = sorted(n for n, sh in scope.arrays.items() if sh)
        a, b = self.c.choice(names), self.c.choice(names)
        kind = self.c.choice(["list", "dict", "tuple", "list_of_views"])
        self.features.add(f"container {kind}")
        if kind in ("list", "list_of_views"):
            L = self.fresh("L")
            if kind == "list_of_views":
                self.emit(indent, f"{L} = [x[:3], x[3:]]")
                scope.arrays[f"{L}[0]"] = (3,)
                scope.arrays[f"{L}[1]"] = (3,)
            else:
                self.emit(indent, f"{L} = [{a}, {b}]")
                scope.arrays[f"{L}[0]"] = scope.arrays[a]
                scope.arrays[f"{L}[1]"] = scope.arrays[b]
            scope.containers.append(("list", L))
            if self.c.flip():
                shape = self.c.choice(SHAPES[1:])
                if self.c.flip():
                    self.emit(indent, f"{L}.append({self.expr(scope, shape)})")
                else:
                    self.use_helper("push")
                    self.emit(indent, f"push({L}, {self.expr(scope, shape)})")
                scope.arrays[f"{L}[2]"] = shape
        elif kind == "dict":
            D = self.fresh("D")
            self.emit(indent, f'{D} = {{"a": {a}, "b": {b}}}')
            scope.arrays[f'{D}["a"]'] = scope.arrays[a]
            scope.arrays[f'{D}["b"]'] = scope.arrays[b]
            scope.containers.append(("dict", D))
            if self.c.flip():
                shape = self.c.choice(SHAPES[1:])
                self.emit(indent, f'{D}["c"] = {self.expr(scope, shape)}')
                scope.arrays[f'{D}["c"]'] = shape
        else:
            T, p, q = self.fresh("T"), self.fresh("p"), self.fresh("q")
            self.emit(indent, f"{T} = ({a}, {b})")
            self.emit(indent, f"{p}, {q} = {T}")
            scope.arrays[p] = scope.arrays[a]
            scope.arrays[q] = scope.arrays[b]
            scope.containers.append(("tuple", T))
            scope.arrays[f"{T}[0]"] = scope.arrays[a]

    def container_loop(self, scope: Scope, indent: int) -> None:
        kind, name = self.c.choice(scope.containers)
        p = self.fresh("p")
        if kind in ("list", "tuple"):
            form = self.c.choice(["for", "enumerate", "range"])
            self.features.add(f"{kind} loop {form}")
            if form == "for":
                self.emit(indent, f"for {p} in {name}:")
                self.generic(scope, indent + 1, p)
            elif form == "enumerate":
                i = self.fresh("i")
                self.emit(indent, f"for {i}, {p} in enumerate({name}):")
                self.generic(scope, indent + 1, p, scalar=f"(0.25 * {i})")
            else:
                i = self.fresh("i")
                self.emit(indent, f"for {i} in range(len({name})):")
                self.generic(scope, indent + 1, f"{name}[{i}]")
        else:
            form = self.c.choice(["keys", "items", "values"])
            self.features.add(f"dict loop {form}")
            if form == "keys":
                k = self.fresh("k")
                self.emit(indent, f"for {k} in {name}:")
                self.generic(scope, indent + 1, f"{name}[{k}]")
            elif form == "items":
                k = self.fresh("k")
                self.emit(indent, f"for {k}, {p} in {name}.items():")
                self.generic(scope, indent + 1, p)
            else:
                self.emit(indent, f"for {p} in {name}.values():")
                self.generic(scope, indent + 1, p)

    def unpack(self, scope: Scope, indent: int) -> None:
        a, b = self.fresh("a"), self.fresh("b")
        form = self.c.choice(["halves", "swap", "rows", "row_swap", "split", "element_swap"])
        self.features.add(f"unpack {form}")
        if form == "halves":
            self.emit(indent, f"{a}, {b} = x[:3], x[3:]")
            scope.arrays[a], scope.arrays[b] = (3,), (3,)
        elif form == "swap":
            names = [n for n in sorted(scope.arrays) if n.isidentifier() and n not in "xAs"]
            if len(names) < 2:
                return self.unpack_rows(scope, indent, a, b)
            u, w = self.c.choice(names), self.c.choice(names)
            self.emit(indent, f"{u}, {w} = {w}, {u}")
            scope.arrays[u], scope.arrays[w] = scope.arrays[w], scope.arrays[u]
        elif form == "rows":
            self.unpack_rows(scope, indent, a, b)
        elif form == "row_swap":
            m = self.c.choice(self.named(scope, (3, 4)))
            self.emit(indent, f"{m}[0], {m}[2] = {m}[2], {m}[0]")
        elif form == "element_swap":
            v = self.c.choice(self.named(scope, (6,)))
            self.emit(indent, f"{v}[0], {v}[-1] = {v}[-1], {v}[0]")
        else:
            self.emit(indent, f"{a}, {b} = np.split({self.c.choice(self.named(scope, (6,)))}, 2)")
            scope.arrays[a], scope.arrays[b] = (3,), (3,)

    def unpack_rows(self, scope, indent, a, b):
        m = self.c.choice(self.named(scope, (3, 4)))
        self.emit(indent, f"{a}, {b} = {m}[0], {m}[1]")
        scope.arrays[a], scope.arrays[b] = (4,), (4,)

    def helper_call(self, scope: Scope, indent: int) -> None:
        names = sorted(n for n, sh in scope.arrays.items() if sh)
        u = self.c.choice(names)
        shape = scope.arrays[u]
        r = self.fresh("r")
        form = self.c.choice(["scale", "bump_first", "head", "ends", "squash_or_pin", "bump_entry",
                              "rebind_entry", "normalise", "smooth_rows", "shifted", "split_pair",
                              "reset", "scale_all", "scale_recursive", "scale_by_keyword",
                              "bump_keyword", "bump_kwargs", "bump_keyword_nested"])
        if form == "scale_by_keyword":
            self.use_helper("scale")
            self.emit(indent, f"scale(c={self.scalar_leaf(scope)}, u={u})")
            return
        if form in ("scale_all", "scale_recursive"):
            self.use_helper(form)
            others = [n for n in sorted(scope.arrays) if scope.arrays[n] and n != u]
            extra = f", {self.c.choice(others)}" if others and form == "scale_all" and \
                self.c.flip() else ""
            self.emit(indent, f"scale_all({self.scalar_leaf(scope)}, {u}{extra})"
                      if form == "scale_all" else f"scale_recursive({u}, {self.scalar_leaf(scope)})")
            return
        self.use_helper(form)
        c = self.scalar_leaf(scope)
        if form == "scale":
            self.emit(indent, f"scale({u}, {c})")
        elif form in ("bump_first", "squash_or_pin", "bump_keyword", "bump_kwargs",
                      "bump_keyword_nested"):
            self.emit(indent, f"{r} = {form}({u}, {c})" if form in ("bump_first", "squash_or_pin")
                      else f"{r} = {form}({c}, u={u})")
            scope.arrays[r] = shape
            if self.c.flip():
                self.generic(scope, indent, r)
        elif form == "head":
            self.emit(indent, f"{r} = head({u})")
            scope.arrays[r] = (2,) + shape[1:]
            if self.c.flip():
                self.generic(scope, indent, r)
            else:
                self.emit(indent, f"head({u})[0] = {c}")
        elif form == "ends":
            self.emit(indent, f"{r}, {r}_last = ends({u})")
            scope.arrays[r] = shape[1:]
            scope.arrays[f"{r}_last"] = shape[1:]
        elif form in ("bump_entry", "rebind_entry"):
            dicts = [n for k, n in scope.containers if k == "dict"]
            if not dicts:
                self.emit(indent, 'P["w"] = P["w"] * 1.0' if form == "bump_entry" else "pass")
                D = "P"
            else:
                D = self.c.choice(dicts)
            self.emit(indent, f'{form}({D}, "{self.c.choice(["w", "b"] if D == "P" else ["a", "b"])}", {c})')
        elif form in ("normalise", "reset"):
            self.emit(indent, f"{r} = {form}({u})" if form == "normalise" else f"{r} = reset({u}, {c})")
            self.scalars.append(r)
        elif form == "smooth_rows":
            self.emit(indent, f"smooth_rows({u})")
        elif form == "shifted":
            self.emit(indent, f"{r} = shifted({u}, {c})")
            scope.arrays[r] = (shape[0] - 1,) + shape[1:]
        else:
            self.emit(indent, f"{r}, {r}_second = split_pair({u})")
            n = shape[0] // 2
            scope.arrays[r] = (n,) + shape[1:]
            scope.arrays[f"{r}_second"] = (shape[0] - n,) + shape[1:]

    def data_index(self, scope: Scope, indent: int) -> None:
        v = self.c.choice([n for n, sh in scope.arrays.items() if len(sh) == 1])
        k = self.fresh("k")
        form = self.c.choice(["argmax_write", "argmax_read", "argsort_read", "argsort_write",
                              "nonzero_read"])
        self.features.add(f"data index {form}")
        if form.startswith("argmax"):
            self.emit(indent, f"{k} = np.argmax({v})" if self.c.flip() else f"{k} = int(np.argmin({v}))")
            if form == "argmax_write":
                self.emit(indent, f"{v}[{k}] *= 0.5")
            else:
                self.scalars.append(f"np.sin({v}[{k}])")
        elif form.startswith("argsort"):
            self.emit(indent, f"{k} = np.argsort({v})[:2]")
            if form == "argsort_write":
                self.emit(indent, f"{v}[{k}] = np.tanh({v}[{k}] + s)")
            else:
                self.scalars.append(f"np.sum(np.cos({v}[{k}]))")
        else:
            self.emit(indent, f"{k} = np.nonzero({v} > 0.0)[0]")
            self.scalars.append(f"np.sum(np.sin({v}[{k}]))")

    def attribute(self, scope: Scope, indent: int) -> None:
        self.box = True
        self.features.add("attribute update")
        u = self.c.choice(sorted(n for n, sh in scope.arrays.items() if sh))
        b = self.fresh("box")
        self.emit(indent, f"{b} = Box({u})")
        self.emit(indent, f"{b}.v += 0.5 * np.tanh({b}.v)")

    def while_loop(self, scope: Scope, indent: int) -> None:
        target, shape = self.target(scope)
        n = self.fresh("n")
        self.features.add("while on data")
        self.emit(indent, f"{n} = 0")
        test = self.c.choice([f"np.sum({target} * {target}) > 0.5",
                              f"np.max(np.abs({target})) > 0.6"])
        self.emit(indent, f"while {test} and {n} < 4:")
        inner = scope.copy()
        form = self.c.choice(["scale", "rebind", "statement"])
        if form == "scale":
            self.emit(indent + 1, f"{target} *= 0.7")
        elif form == "rebind" and target.isidentifier():
            self.emit(indent + 1, f"{target} = {target} * 0.7 + 0.01 * s")
        else:
            self.emit(indent + 1, f"{target} *= 0.7")
            self.statement(inner, indent + 1, nested=True)
        self.emit(indent + 1, f"{n} += 1")
        self.merge(scope, inner)

    def merge(self, scope: Scope, inner: Scope) -> None:
        """After a block: names it bound are gone, except that rebinding an outer name
        to a different shape is not allowed (the writer never does it in blocks)."""
        for name in list(scope.arrays):
            if name in inner.arrays and inner.arrays[name] != scope.arrays[name]:
                del scope.arrays[name]

    def statement(self, scope: Scope, indent: int, nested: bool = False) -> None:
        kinds = ["new", "copy", "view", "view", "mutation", "mutation", "mutation", "mutation",
                 "container", "unpack", "helper", "helper", "data_index", "attribute", "shift",
                 "shift", "rows", "effect_call", "closure", "maybe_alias", "shared_entries",
                 "shared_entries", "method_view"]
        if scope.containers:
            kinds += ["container_loop", "container_mutation", "container_mutation"]
        kinds += ["wide_write", "wide_write"]
        if not nested:
            kinds += ["for", "if", "while", "early_return", "history", "loop_return",
                      "wide_view", "readonly_view", "list_ops", "nested_list", "namespace",
                      "dict_ops", "wide_helper"]
        kind = self.c.choice(kinds)
        if kind in ("shift", "rows", "effect_call", "closure", "maybe_alias", "history",
                    "loop_return", "shared_entries", "method_view", "wide_write", "wide_view",
                    "readonly_view", "list_ops", "nested_list", "namespace", "dict_ops",
                    "wide_helper"):
            return getattr(self, kind)(scope, indent)
        if nested and kind in ("new", "copy", "view", "container", "unpack"):
            kind = "mutation"     # no new names inside blocks
        if kind == "new":
            self.new_array(scope, indent)
        elif kind == "copy":
            self.copy_of(scope, indent)
        elif kind == "view":
            self.view(scope, indent)
        elif kind == "mutation":
            self.mutation(scope, indent)
        elif kind == "container":
            self.container(scope, indent)
        elif kind == "container_loop":
            self.container_loop(scope, indent)
        elif kind == "container_mutation":
            entries = [n for n in scope.arrays if "[" in n and scope.arrays[n]
                       and n.split("[")[0] in {c for _, c in scope.containers}]
            if not entries:
                return self.mutation(scope, indent)
            entry = self.c.choice(sorted(entries))
            self.features.add("container entry mutation")
            if self.c.flip():
                self.index_write(scope, indent, entry, scope.arrays[entry])
            else:
                self.in_place(scope, indent, entry, scope.arrays[entry])
        elif kind == "unpack":
            self.unpack(scope, indent)
        elif kind == "helper":
            if nested:
                u = self.c.choice(sorted(n for n, sh in scope.arrays.items() if sh))
                self.use_helper("scale")
                self.emit(indent, f"scale({u}, {self.scalar_leaf(scope)})")
            else:
                self.helper_call(scope, indent)
        elif kind == "data_index":
            self.data_index(scope, indent)
        elif kind == "attribute":
            if self.c.integer(0, 7):     # the fence refuses it: seldom
                return self.mutation(scope, indent)
            self.attribute(scope, indent)
        elif kind == "for":
            i = self.fresh("i")
            self.features.add("range loop")
            self.emit(indent, f"for {i} in range({self.c.integer(1, 3)}):")
            inner = scope.copy()
            inner.indices = scope.indices + (i,)
            for _ in range(self.c.integer(1, 2)):
                self.statement(inner, indent + 1, nested=True)
            self.merge(scope, inner)
        elif kind == "if":
            self.features.add("if on data")
            self.emit(indent, f"if {self.condition(scope)}:")
            inner = scope.copy()
            self.statement(inner, indent + 1, nested=True)
            if self.c.flip():
                self.emit(indent, "else:")
                self.statement(inner, indent + 1, nested=True)
            self.merge(scope, inner)
        elif kind == "while":
            self.while_loop(scope, indent)
        else:
            self.features.add("early return")
            self.emit(indent, f"if {self.condition(scope)}:")
            self.result(scope, indent + 1)

    def shift(self, scope: Scope, indent: int) -> None:
        """An update of an array from an overlapping part of itself."""
        target, shape = self.target(scope)
        if not shape or shape[0] < 2:
            return self.mutation(scope, indent)
        c = self.scalar_leaf(scope)
        form = self.c.choice(["forward", "backward", "assign", "reverse", "columns"])
        self.features.add(f"overlapping {form}")
        if form == "forward":
            self.emit(indent, f"{target}[1:] += np.tanh({c}) * {target}[:-1]")
        elif form == "backward":
            self.emit(indent, f"{target}[:-1] -= 0.5 * np.sin({target}[1:] * {c})")
        elif form == "assign":
            self.emit(indent, f"{target}[1:] = {target}[:-1] * np.cos({c})")
        elif form == "reverse":
            self.emit(indent, f"{target}[::-1] = np.tanh({target} * {c})")
        elif len(shape) == 2:
            self.emit(indent, f"{target}[:, 1:] += 0.5 * {target}[:, :-1]")
        else:
            self.emit(indent, f"np.add({target}, 0.5 * np.tanh({c}), out={target}[::-1])")

    def rows(self, scope: Scope, indent: int) -> None:
        """A loop over an array's rows (views) or entries (numbers)."""
        name = self.c.choice(sorted(n for n, sh in scope.arrays.items() if sh))
        row = self.fresh("row")
        if len(scope.arrays[name]) == 2:
            self.features.add("loop over rows")
            self.emit(indent, f"for {row} in {name}:")
            self.generic(scope, indent + 1, row)
        else:
            total = self.fresh("t")
            self.features.add("loop over entries")
            self.emit(indent, f"{total} = 0.0")
            self.emit(indent, f"for {row} in {name}:")
            self.emit(indent + 1, f"{total} = {total} + np.sin({row}) * {row}")
            self.scalars.append(total)

    def effect_call(self, scope: Scope, indent: int) -> None:
        names = [n for n, sh in scope.arrays.items() if len(sh) == 1]
        v = self.c.choice(sorted(names))
        n = scope.arrays[v][0]
        c = self.scalar_leaf(scope)
        form = self.c.choice(["put", "place", "sort", "fill", "astype", "sort_value",
                              "fill_lambda"])
        self.features.add(f"effect {form}")
        if form == "put":
            self.emit(indent, f"np.put({v}, [{self.c.integer(0, n - 1)}, {self.c.integer(-n, n - 1)}], "
                              f"[np.tanh({c}), {c} * 0.5])")
        elif form == "place":
            self.emit(indent, f"np.place({v}, {v} > 0.0, [np.cos({c}), 0.25])")
        elif form == "sort":
            self.emit(indent, f"{v}.sort()")
        elif form == "sort_value":
            self.emit(indent, f"{self.fresh('r')} = {v}.sort()")
        elif form == "fill_lambda":
            g = self.fresh("g")
            self.emit(indent, f"{g} = lambda u: u.fill({c})")
            self.emit(indent, f"{g}({v})")
        elif form == "fill":
            self.emit(indent, f"{v}.fill({c})")
        else:
            y = self.fresh("y")
            self.emit(indent, f"{y} = {v}.astype(np.float64, copy=False)")
            self.emit(indent, f"{y}[0] = {c}")

    def closure(self, scope: Scope, indent: int) -> None:
        """A function reading an array that is changed between its definition and its call."""
        name = self.c.choice(sorted(n for n, sh in scope.arrays.items() if sh
                                    and n.isidentifier()))
        g, r = self.fresh("g"), self.fresh("r")
        self.features.add("closure over a mutated array")
        if self.c.flip():
            self.emit(indent, f"{g} = lambda k: np.sum(np.sin({name}) * k)")
        else:
            self.emit(indent, f"def {g}(k):")
            self.emit(indent + 1, f"return np.sum(np.sin({name}) * k)")
        self.mutation(scope, indent)
        self.emit(indent, f"{r} = {g}({self.scalar_leaf(scope)})")
        self.scalars.append(r)

    def maybe_alias(self, scope: Scope, indent: int) -> None:
        """A name that is the array or a copy of it, depending on the data."""
        name = self.c.choice(sorted(n for n, sh in scope.arrays.items() if sh))
        y = self.fresh("y")
        self.features.add("alias on one branch")
        if self.c.flip():
            self.emit(indent, f"{y} = {name} if {self.condition(scope)} else {name}.copy()")
        else:
            self.emit(indent, f"{y} = {name}")
            self.emit(indent, f"if {self.condition(scope)}:")
            self.emit(indent + 1, f"{y} = {y}.copy()")
        scope.arrays[y] = scope.arrays[name]
        self.in_place(scope, indent, y, scope.arrays[y])

    def history(self, scope: Scope, indent: int) -> None:
        """A list filled in a loop with an array changed in place: the same object
        (append(v)) or snapshots (append(v.copy()))."""
        name = self.c.choice(sorted(n for n, sh in scope.arrays.items() if sh))
        shape = scope.arrays[name]
        H, i = self.fresh("H"), self.fresh("i")
        self.features.add("history list")
        snapshot = self.c.flip()
        self.emit(indent, f"{H} = []")
        self.emit(indent, f"for {i} in range({self.c.integer(1, 3)}):")
        self.generic(scope, indent + 1, name, scalar=f"(0.25 * {i})")
        self.emit(indent + 1, f"{H}.append({name}.copy())" if snapshot else f"{H}.append({name})")
        scope.arrays[f"{H}[0]"] = shape
        scope.arrays[f"{H}[-1]"] = shape

    def shared_entries(self, scope: Scope, indent: int) -> None:
        """A new container or name holding (or picking) the arrays of a dict or
        list: Python shares the arrays, so a write through it changes the original."""
        dicts = ["P"] + [n for k, n in scope.containers if k == "dict"]
        lists = [n for k, n in scope.containers if k == "list"]
        source = self.c.choice(dicts + lists)
        is_dict = source in dicts
        shape = scope.arrays.get(f'{source}["w"]' if source == "P" else
                                 f'{source}["a"]' if is_dict else f"{source}[0]")
        if not shape:
            return self.mutation(scope, indent)
        name = self.fresh("e")
        forms = ["copy", "list", "sorted", "max"] + (["values", "items", "next", "get"]
                                                     if is_dict else ["slice"])
        form = self.c.choice(forms)
        self.features.add(f"shared entries {form}")
        first = f'{name}["w"]' if source == "P" else f'{name}["a"]' if is_dict else f"{name}[0]"
        if form == "copy":
            self.emit(indent, f"{name} = {source}.copy()")
        elif form == "list":
            self.emit(indent, f"{name} = {'list(' + source + '.values())' if is_dict else 'list(' + source + ')'}")
            first = f"{name}[0]"
        elif form == "values":
            self.emit(indent, f"{name} = list({source}.values())")
            first = f"{name}[0]"
        elif form == "items":
            self.emit(indent, f"{name} = list({source}.items())")
            first = f"{name}[0][1]"
        elif form == "sorted":
            items = f"{source}.values()" if is_dict else source
            self.emit(indent, f"{name} = sorted({items}, key=lambda v: float(np.sum(v)))")
            first = f"{name}[0]"
            shape = None
        elif form == "max":
            items = f"{source}.values()" if is_dict else source
            self.emit(indent, f"{name} = max({items}, key=lambda v: float(np.sum(v)))")
            first, shape = name, None
        elif form == "next":
            self.emit(indent, f"{name} = next(iter({source}.values()))")
            first = name
        elif form == "get":
            self.emit(indent, f'{name} = {source}.get("{"w" if source == "P" else "a"}")')
            first = name
        else:
            self.emit(indent, f"{name} = {source}[:1]")
            first = f"{name}[0]"
        if shape is None:       # which entry is picked depends on the data: shape-generic
            self.generic(scope, indent, first)
            return
        scope.arrays[first] = shape
        if self.c.flip():
            self.index_write(scope, indent, first, shape)
        else:
            self.in_place(scope, indent, first, shape)

    def method_view(self, scope: Scope, indent: int) -> None:
        """Methods and functions whose result may be their argument itself or a view."""
        name = self.c.choice(sorted(n for n, sh in scope.arrays.items() if sh))
        shape = scope.arrays[name]
        y = self.fresh("y")
        forms = ["conj", "conjugate", "astype", "asarray", "einsum", "reshape", "flatten",
                 "squeeze", "atleast_2d", "expand"]
        if len(shape) == 2:
            forms += ["einsum_T", "einsum_diag", "moveaxis"]
        form = self.c.choice(forms)
        self.features.add(f"method view {form}")
        text, new_shape = {
            "conj": (f"{name}.conj()", shape),
            "conjugate": (f"{name}.conjugate()", shape),
            "astype": (f"{name}.astype(np.float64, copy=False)", shape),
            "asarray": (f"np.asarray({name}, dtype=np.float64)", shape),
            "einsum": (f'np.einsum("...->...", {name})', shape),
            "reshape": (f"np.reshape({name}, -1)", (int(np.prod(shape)),)),
            "flatten": (f"{name}.flatten()", (int(np.prod(shape)),)),
            "squeeze": (f"{name}.squeeze()", shape),
            "atleast_2d": (f"np.atleast_2d({name})", shape if len(shape) == 2 else (1,) + shape),
            "expand": (f"{name}[None]", (1,) + shape),
            "einsum_T": (f'np.einsum("ij->ji", {name})', shape[::-1]),
            "einsum_diag": (f'np.einsum("ii->i", {name}[:{min(shape)}, :{min(shape)}])',
                            (min(shape),)),
            "moveaxis": (f"np.moveaxis({name}, 0, 1)", shape[::-1]),
        }[form]
        self.emit(indent, f"{y} = {text}")
        scope.arrays[y] = new_shape
        self.index_write(scope, indent, y, new_shape)

    def loop_return(self, scope: Scope, indent: int) -> None:
        i = self.fresh("i")
        self.features.add("return inside a loop")
        self.emit(indent, f"for {i} in range({self.c.integer(1, 3)}):")
        inner = scope.copy()
        inner.indices = scope.indices + (i,)
        self.mutation(inner, indent + 1)
        self.emit(indent + 1, f"if {self.condition(inner)}:")
        self.result(inner, indent + 2)
        self.merge(scope, inner)

    def result(self, scope: Scope, indent: int) -> None:
        terms = []
        names = ["x", "A", 'P["w"]', 'P["b"]'] + [n for n in sorted(scope.arrays)
                                                   if n not in ("x", "A", 's') and self.c.flip()]
        for k, name in enumerate(dict.fromkeys(names)):
            if name not in scope.arrays:
                continue
            form = ("np.sum({0} * {0} * {1})", "np.sum(np.sin({0}) * {1})")[k % 2]
            terms.append(form.format(name, f"{0.5 + 0.25 * k}"))
        terms += self.scalars
        terms.append("s * s")
        self.emit(indent, "return " + " + ".join(terms))

    def program(self) -> str:
        scope = Scope({"x": (6,), "A": (3, 4), 'P["w"]': (4,), 'P["b"]': (3,)})
        self.emit(0, "def f(x, A, s, P):")
        for _ in range(self.c.integer(2, 7)):
            self.statement(scope, 1)
        self.result(scope, 1)
        header = sorted(self.imports) + ([""] if self.imports else [])
        if self.pair:
            header += PAIR + ["", ""]
        for name in self.wide_helpers:
            header += WIDE_HELPERS[name] + ["", ""]
        if self.box:
            header += BOX + ["", ""]
        for name in self.helpers:
            header += HELPERS[name] + ["", ""]
        return "\n".join(header + self.lines) + "\n"


# -- loading, inputs -------------------------------------------------------------------

_modules = itertools.count()
_directory: Path | None = None


def use_directory(path: Path) -> None:
    global _directory
    _directory = Path(path)


def program_directory() -> Path:
    global _directory
    if _directory is None:
        _directory = Path(tempfile.mkdtemp(prefix="mutation_programs_"))
    return _directory


def load_function(source: str, prefix: str = "mutation_program"):
    """adcompiler reads source with inspect, so each program gets a module file."""
    digest = hashlib.sha1(source.encode()).hexdigest()[:10]
    name = f"{prefix}_{next(_modules)}_{digest}"
    path = program_directory() / f"{name}.py"
    path.write_text("import numpy as np\n\n\n" + source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module.f


def make_inputs(seed: int):
    """The arguments (x, A, s, P), drawn from `seed`; a fresh copy on every call."""
    def make():
        rng = np.random.default_rng(seed)
        draw = lambda *shape: np.round(rng.uniform(-1.5, 1.5, size=shape), 3)  # noqa: E731
        return [draw(6), draw(3, 4), float(np.round(rng.uniform(-1.0, 1.0), 3)),
                {"w": draw(4), "b": draw(3)}]
    return make


@dataclass
class Program:
    source: str
    function: object
    make_args: object
    features: frozenset = frozenset()
    label: str = ""


def make_program(choices, input_seed: int, label: str = "") -> Program:
    writer = Writer(choices)
    source = writer.program()
    return Program(source, load_function(source), make_inputs(input_seed),
                   frozenset(writer.features), label)


def describe(program: Program) -> str:
    x, A, s, P = program.make_args()
    return (f"\nprogram:\n{program.source}\nx = {x.tolist()!r}\nA = {A.tolist()!r}\n"
            f"s = {s!r}\nP = {{'w': {P['w'].tolist()!r}, 'b': {P['b'].tolist()!r}}}\n")


# -- the oracle: the NumPy program and its finite differences --------------------------

def leaves(args):
    """(position, key, array view or None for the float) of every differentiated input."""
    x, A, s, P = args
    return [x, A, s, P["w"], P["b"]]


def rebuild(flat):
    x, A, s, w, b = flat
    return [x, A, s, {"w": w, "b": b}]


def flatten(args) -> np.ndarray:
    return np.concatenate([np.ravel(np.asarray(v, dtype=np.float64)) for v in leaves(args)])


def unflatten(vector, like):
    out, k = [], 0
    for v in leaves(like):
        size = int(np.size(v))
        piece = vector[k:k + size]
        out.append(float(piece[0]) if np.ndim(v) == 0 else piece.reshape(np.shape(v)).copy())
        k += size
    return rebuild(out)


def evaluate(function, vector, like) -> float:
    return float(function(*unflatten(vector, like)))


class Skip(Exception):
    """The example is unfit for finite differences (or invalid NumPy): not a failure."""


def central(function, point, direction, like, step) -> float:
    return (evaluate(function, point + step * direction, like)
            - evaluate(function, point - step * direction, like)) / (2 * step)


def robust_difference(function, point, direction, like, value) -> float:
    """The directional derivative, or Skip when two steps disagree (a branch or a
    mask that changes within the step) or the one-sided differences do (a kink
    right at the point, say a clip bound equal to an input: any one-sided
    derivative is then as right as the other)."""
    fine = central(function, point, direction, like, STEP)
    coarse = central(function, point, direction, like, 10 * STEP)
    if not (np.isfinite(fine) and abs(fine) < LIMIT):
        raise Skip("a difference is not finite or too large")
    if abs(fine - coarse) > 1e-5 * max(1.0, abs(fine)):
        raise Skip("finite differences disagree between steps (not smooth here)")
    ahead = (evaluate(function, point + 10 * STEP * direction, like) - value) / (10 * STEP)
    if abs(ahead - fine) > 1e-3 * max(1.0, abs(fine)):
        raise Skip("one-sided differences disagree (a kink at the point)")
    return fine


def expected_gradient(function, args, value) -> np.ndarray:
    point = flatten(args)
    basis = np.eye(point.size)
    return np.array([robust_difference(function, point, basis[k], args, value)
                     for k in range(point.size)])


def close(got, expected) -> bool:
    got = np.asarray(got, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    if got.shape != expected.shape:
        return False
    scale = max(1.0, float(np.max(np.abs(expected)))) if expected.size else 1.0
    return bool(np.all(np.abs(got - expected) <= RTOL * np.abs(expected) + ATOL * scale))


def same_values(before, after) -> bool:
    a, b = leaves(before), leaves(after)
    return (set(before[3]) == set(after[3])
            and all(np.array_equal(np.asarray(u), np.asarray(v)) for u, v in zip(a, b)))


@dataclass
class Outcome:
    status: str             # passed, refused, failed, skipped
    stage: str = ""
    detail: str = ""
    error: BaseException | None = None

    def __str__(self):
        return f"{self.status} at {self.stage}: {self.detail}" if self.stage else self.status


def is_refusal(err: BaseException) -> bool:
    """An AdError about the program; an internal error or a broken rule is adcompiler's."""
    return isinstance(err, ad.AdError) and not isinstance(
        err, (ad.errors.InternalCompilerError, ad.errors.RuleDefinitionError))


def classify(err: BaseException, stage: str) -> Outcome:
    if is_refusal(err):
        return Outcome("refused", stage, f"{type(err).__name__}: {err}", err)
    tail = "".join(traceback.format_exception(type(err), err, err.__traceback__)[-6:])
    return Outcome("failed", stage, f"raised {type(err).__name__} (not a refusal):\n{tail}", err)


def oracle(program: Program):
    """(value, gradient vector) of the plain program, or Skip."""
    args = program.make_args()
    try:
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            value = float(program.function(*copy.deepcopy(args)))
    except Exception as err:  # noqa: BLE001 - the generator wrote invalid NumPy
        raise Skip(f"the program itself raised {type(err).__name__}: {err}") from err
    if not (np.isfinite(value) and abs(value) < LIMIT):
        raise Skip("the value is not finite or too large")
    return value, expected_gradient(program.function, args, value)


def check_reverse(program: Program, value, gradient) -> Outcome:
    for api in ("grad", "value_and_grad"):
        args = program.make_args()
        snapshot = copy.deepcopy(args)
        try:
            derivative = getattr(ad, api)(program.function, wrt=WRT)
        except Exception as err:  # noqa: BLE001
            return classify(err, f"compile {api}")
        try:
            result = derivative(*args)
        except Exception as err:  # noqa: BLE001
            return classify(err, f"run {api}")
        if api == "value_and_grad":
            got_value, result = result
            if not close(got_value, value):
                return Outcome("failed", "value", f"value_and_grad's value {got_value!r} is not "
                               f"f(*args) = {value!r}")
        if not same_values(snapshot, args):
            return Outcome("failed", f"run {api}", "the caller's arguments were modified")
        try:
            got = flatten(list(result))
        except Exception as err:  # noqa: BLE001
            return Outcome("failed", f"{api} gradient", f"malformed gradient {result!r}: {err}")
        if not close(got, gradient):
            names = [f"{n}{list(i) if i else ''}" for n, v in zip(["x", "A", "s", "P['w']", "P['b']"],
                                                                    leaves(args))
                     for i in np.ndindex(np.shape(v))]
            wrong = [f"{names[k]}: got {got[k]:.10g}, finite differences {gradient[k]:.10g}"
                     for k in range(got.size)
                     if not close(got[k:k + 1], gradient[k:k + 1])][:6]
            return Outcome("failed", f"{api} gradient", "\n".join(wrong))
    return Outcome("passed")


def check_forward(program: Program, value, gradient) -> Outcome:
    args = program.make_args()
    rng = np.random.default_rng(11)
    direction = rng.standard_normal(flatten(args).size)
    tangents = unflatten(direction, args)
    snapshot, tangent_snapshot = copy.deepcopy(args), copy.deepcopy(tangents)
    try:
        derivative = ad.jvp(program.function, wrt=WRT)
    except Exception as err:  # noqa: BLE001
        return classify(err, "compile jvp")
    try:
        got_value, tangent = derivative(tuple(args), tuple(tangents))
    except Exception as err:  # noqa: BLE001
        return classify(err, "run jvp")
    if not close(got_value, value):
        return Outcome("failed", "value", f"jvp's value {got_value!r} is not f(*args) = {value!r}")
    if not (same_values(snapshot, args) and same_values(tangent_snapshot, tangents)):
        return Outcome("failed", "run jvp", "the caller's arguments or tangents were modified")
    expected = float(gradient @ direction)
    if not close(tangent, expected):
        return Outcome("failed", "tangent", f"jvp's tangent {tangent!r}, finite differences "
                       f"{expected!r}")
    return Outcome("passed")


def check_second_order(program: Program, value, gradient) -> Outcome:
    """H·v from ad.hvp against central differences of ad.grad along v (ad.grad
    itself is held to the program's finite differences by check_reverse), on
    on the programs `second_order_drawn` picks."""
    args = program.make_args()
    direction = np.random.default_rng(12).standard_normal(flatten(args).size)
    vector = unflatten(direction, args)
    snapshot, vector_snapshot = copy.deepcopy(args), copy.deepcopy(vector)
    try:
        product = ad.hvp(program.function, wrt=WRT)
        gradient_of = ad.grad(program.function, wrt=WRT)
    except Exception as err:  # noqa: BLE001
        return classify(err, "compile hvp")
    try:
        got = flatten(list(product(tuple(args), tuple(vector))))
    except Exception as err:  # noqa: BLE001
        return classify(err, "run hvp")
    if not (same_values(snapshot, args) and same_values(vector_snapshot, vector)):
        return Outcome("failed", "run hvp", "the caller's arguments or vectors were modified")
    point = flatten(args)

    def difference(step):
        ahead = flatten(list(gradient_of(*unflatten(point + step * direction, args))))
        behind = flatten(list(gradient_of(*unflatten(point - step * direction, args))))
        return (ahead - behind) / (2 * step)
    try:
        fine, coarse = difference(1e-5), difference(1e-4)
    except Exception as err:  # noqa: BLE001 - ad.grad refused or failed at a moved point
        return Outcome("skipped", "hvp", f"the gradient near the point raised {err!r}")
    if not (np.all(np.isfinite(fine)) and np.max(np.abs(fine), initial=0.0) < LIMIT):
        return Outcome("skipped", "hvp", "a difference of gradients is not finite or too large")
    if not np.allclose(fine, coarse, rtol=1e-4, atol=1e-4 * max(1.0, np.max(np.abs(fine)))):
        return Outcome("skipped", "hvp", "differences of the gradient disagree between steps")
    if not np.allclose(got, fine, rtol=1e-4, atol=1e-5 * max(1.0, np.max(np.abs(fine)))):
        wrong = np.flatnonzero(~np.isclose(got, fine, rtol=1e-4,
                                           atol=1e-5 * max(1.0, np.max(np.abs(fine)))))[:6]
        return Outcome("failed", "hvp", "; ".join(
            f"entry {k}: got {got[k]:.10g}, differences of grad {fine[k]:.10g}" for k in wrong))
    return Outcome("passed")


CHECKS = {"reverse": check_reverse, "forward": check_forward}
MODES = list(CHECKS) + ["hvp"]


def second_order_drawn(program: Program) -> bool:
    """One program in three gets the second-order check (drawn from its
    source, so a seed always gets it or never)."""
    return int(hashlib.sha1(program.source.encode()).hexdigest(), 16) % 3 == 0


def check(program: Program, second_order: bool | None = None) -> dict:
    """mode -> Outcome; every mode 'skipped' when the oracle cannot judge the
    example. 'hvp' is among the modes where `second_order` says so (by
    default, second_order_drawn)."""
    modes = dict(CHECKS)
    if second_order_drawn(program) if second_order is None else second_order:
        modes["hvp"] = check_second_order
    try:
        value, gradient = oracle(program)
    except Skip as why:
        return {mode: Outcome("skipped", "oracle", str(why)) for mode in modes}
    return {mode: run(program, value, gradient) for mode, run in modes.items()}


# -- script mode -------------------------------------------------------------------------

def reason(outcome: Outcome) -> str:
    """What went wrong, without numbers, places or generated names: for grouping."""
    if outcome.status == "refused":
        what = str(getattr(outcome.error, "what", outcome.error)).split("\n")[0]
        what = re.sub(r"\(?\S+\.py:\d+(:\d+)?\)?:? ?", "", what)
        what = re.sub(r"'[^']*'", "'…'", what)
        return f"{type(outcome.error).__name__}: {what}"[:110]
    if outcome.status == "skipped":
        return outcome.detail[:60]
    first = outcome.detail.split("\n")
    text = first[-2] if outcome.detail.startswith("raised") and len(first) > 1 else first[0]
    return f"{outcome.stage}: {re.sub(r'[-0-9.e]+', '#', text)}"[:110]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=200, help="how many programs")
    parser.add_argument("--start", type=int, default=0, help="the first seed")
    parser.add_argument("--show", type=int, default=3, help="how many failing programs to print")
    parser.add_argument("--dump", default="", help="a directory to write each failing program to")
    options = parser.parse_args(argv)
    counts, reasons = collections.Counter(), collections.Counter()
    used, broken = collections.Counter(), collections.Counter()
    failures = []
    for seed in range(options.start, options.start + options.seeds):
        program = make_program(RandomChoices(seed), seed, f"seed {seed}")
        failed = False
        for mode, outcome in check(program).items():
            counts[mode, outcome.status] += 1
            if outcome.status != "passed":
                reasons[mode, outcome.status, reason(outcome)] += 1
            if outcome.status == "failed":
                failed = True
                failures.append((len(program.source), seed, mode, outcome, program))
        for feature in program.features:
            used[feature] += 1
            broken[feature] += failed
    print(f"{options.seeds} programs (seeds {options.start}..{options.start + options.seeds - 1})")
    for mode in MODES:
        print(f"  {mode:8s} " + ", ".join(f"{status} {counts[mode, status]}" for status in
                                         ("passed", "refused", "failed", "skipped")))
    print("\nnot passed, by reason:")
    for (mode, status, why), n in reasons.most_common():
        print(f"  {n:5d}  {mode:8s} {status:7s} {why}")
    print("\nprograms failing among those using each construct:")
    for feature in sorted(used, key=lambda f: -broken[f] / used[f])[:25]:
        print(f"  {broken[feature]:5d} / {used[feature]:<5d} {feature}")
    if options.dump:
        Path(options.dump).mkdir(parents=True, exist_ok=True)
    for _, seed, mode, outcome, program in sorted(failures, key=lambda f: f[:2]):
        if options.dump:
            Path(options.dump, f"seed{seed}_{mode}.txt").write_text(
                f"{outcome}\n{describe(program)}")
    for _, seed, mode, outcome, program in sorted(failures, key=lambda f: f[:2])[:options.show]:
        print(f"\n=== seed {seed}, {mode} mode: {outcome}"[:1500] + describe(program))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
