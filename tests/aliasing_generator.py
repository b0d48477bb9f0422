"""Random programs that mutate arrays through aliases, and their torch twins.

Every program has the signature `def f(x, A, s):` with x a float64 vector of
length 6, A a 3x4 float64 matrix and s a float, and returns a scalar: a sum
of smooth functions of several live arrays (x and A included, since writes
through views and helpers may have changed them). Between, it draws from:

    statement ::= NEW = fresh                     x * 1.0, np.sin(A), np.zeros((3, 4)), np.copy(v)
                | NEW = view of VAR               v[a:b], v[::2], v[1::2], v[None, :], M[i], M[:, j],
                                                  M.T, M[a:b], M[:, a:b], M[:, 1::2],
                                                  np.moveaxis(M, 1, 0), M.swapaxes(0, 1)
                | VAR op= expr                    op in + - * /  (factors bounded, divisors >= 0.5)
                | VAR[idx] = expr | VAR[idx] += expr
                | effect                          np.tanh(e, out=VAR), np.add(VAR, e, out=VAR),
                                                  np.multiply(VAR, e, out=VAR), np.copyto(VAR, e),
                                                  VAR.fill(c), np.add.at(v, [i, j, i], e),
                                                  np.fill_diagonal(M, c), np.putmask(VAR, VAR > 0, e),
                                                  np.put(VAR, [i, j], e), VAR.sort(),
                                                  np.cumsum(e, axis=0, out=VAR) (e may be VAR),
                                                  np.add(VAR, 0.5 * VAR[::-1], out=VAR),
                                                  np.negative(VAR, out=VAR)
                | helper call                     h(VAR, c) or NEW = h(VAR, c), h a module-level
                                                  function mutating its first argument
                | container                       L = [VAR, VAR] or D = {"a": VAR, "b": VAR}, then a
                                                  loop `for p in L`, `for p, g in zip(L, G)`,
                                                  `for i, p in enumerate(L)`, `for k in D`, or
                                                  `for k in ("a", "b")` mutating the elements
                | for i in range(K): mutation{1,2}
    generic   ::= (the body of a helper or container loop, on a target t of any shape)
                  t *= np.cos(c) | t += 0.5 * np.tanh(t) | t /= 1.5 + np.sin(c) | t -= c * g
                | t[0] = c | t[-1] += t[0] | np.tanh(t, out=t)

The torch twin is rendered from the same choices: in-place updates become
`copy_` of the out-of-place result (NumPy gives `a += b` the meaning "as if b
were copied first" when they overlap; torch refuses partial overlap), element
writes `t[idx] = value.clone()`, `np.add.at` `index_put_(..., accumulate=True)`.

Run as a script for many more programs than the test suite runs:

    python tests/aliasing_generator.py --seeds 2000 [--show 3] [--start 0]

which prints how many programs passed, were refused (an AdError) or failed,
by mode, and the first few failing programs.
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import importlib.util
import itertools
import random
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import torch

import aliasing_programs as corpus

torch.set_default_dtype(torch.float64)


# -- choices: from hypothesis (shrinkable) or from a seeded random.Random -----------

class RandomChoices:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)

    def choice(self, options):
        return self.rng.choice(list(options))

    def integer(self, low: int, high: int) -> int:
        return self.rng.randint(low, high)

    def flip(self) -> bool:
        return self.rng.random() < 0.5


class HypothesisChoices:
    def __init__(self, draw):
        from hypothesis import strategies as st
        self.draw, self.st = draw, st

    def choice(self, options):
        return self.draw(self.st.sampled_from(list(options)))

    def integer(self, low: int, high: int) -> int:
        return self.draw(self.st.integers(low, high))

    def flip(self) -> bool:
        return self.draw(self.st.booleans())


# -- expressions, rendered for NumPy ("np") or for the torch shim ("T") -----------------

@dataclass(frozen=True)
class Expr:
    """A small expression tree; `render(lib)` writes it with np or T."""

    kind: str
    args: tuple = ()

    def render(self, lib: str) -> str:
        k, a = self.kind, self.args
        if k == "text":                      # a name, a constant, a loop index
            return a[0]
        if k == "call":                      # lib.fn(arg)
            return f"{lib}.{a[0]}({a[1].render(lib)})"
        if k == "binary":
            return f"({a[1].render(lib)} {a[0]} {a[2].render(lib)})"
        raise AssertionError(k)


def text(value: str) -> Expr:
    return Expr("text", (value,))


def call(function: str, argument: Expr) -> Expr:
    return Expr("call", (function, argument))


def binary(op: str, left: Expr, right: Expr) -> Expr:
    return Expr("binary", (op, left, right))


# -- the program writer ----------------------------------------------------------------

ROW_SHAPE = (3, 4)


# Effects of an array on itself: (the NumPy statement, torch's new value), {t} the target.
SELF_UPDATES = {
    "sort": ("{t}.sort()", "torch.sort(_c({t}), dim=-1).values"),
    "add_flipped": ("np.add({t}, 0.5 * {t}[::-1], out={t})", "{t} + 0.5 * torch.flip({t}, [0])"),
    "negative_self": ("np.negative({t}, out={t})", "-{t}"),
}


def view_shape(shape, index):
    """The shape NumPy gives `array[index]` for the basic indices used here."""
    return np.empty(shape)[index].shape


class Writer:
    """Draws one program; `numpy` and `torch` hold the two renderings line by line."""

    def __init__(self, choices):
        self.c = choices
        self.numpy: list[str] = []
        self.torch: list[str] = []
        self.np_helpers: list[str] = []
        self.t_helpers: list[str] = []
        self.arrays: dict[str, tuple] = {"x": (6,), "A": ROW_SHAPE}   # live array names
        self.scalars: list[str] = []                                  # scalar results
        self.containers: list[tuple] = []                             # (kind, name, items)
        self.counter = itertools.count()
        self.features: set[str] = set()                               # for the summary

    def fresh(self, prefix: str) -> str:
        return f"{prefix}{next(self.counter)}"

    def emit(self, indent: int, np_line: str, t_line: str | None = None) -> None:
        self.numpy.append("    " * indent + np_line)
        self.torch.append("    " * indent + (np_line if t_line is None else t_line))

    def both(self, indent: int, template: str, *exprs: Expr) -> None:
        """A line with `{}` holes for expressions, rendered for each library."""
        self.emit(indent, template.format(*(e.render("np") for e in exprs)),
                  template.format(*(e.render("T") for e in exprs)))

    # expressions
    def scalar(self, indices=()) -> Expr:
        forms = ["s", "s", "mean", "mean", "const"] + (["index"] if indices else [])
        form = self.c.choice(forms)
        if form == "s":
            return text("s")
        if form == "const":
            return text(self.c.choice(["0.5", "(-0.75)", "1.25"]))
        if form == "index":
            return binary("*", text("0.25"), text(self.c.choice(indices)))
        name = self.c.choice(sorted(self.arrays))
        return call("mean", text(name))

    def expr(self, shape, depth=2, indices=()) -> Expr:
        """An expression broadcasting to `shape` (a live array of that shape, or a scalar)."""
        same = [n for n, sh in sorted(self.arrays.items()) if sh == shape]
        if depth <= 0 or self.c.integer(0, 2) == 0:
            if same and self.c.integer(0, 3):
                return text(self.c.choice(same))
            return self.scalar(indices)
        form = self.c.choice(["unary", "binary", "scale"])
        if form == "unary":
            return call(self.c.choice(["sin", "cos", "tanh"]), self.expr(shape, depth - 1, indices))
        if form == "binary":
            return binary(self.c.choice("+-*"), self.expr(shape, depth - 1, indices),
                          self.expr(shape, depth - 1, indices))
        return binary("*", text("0.5"), self.expr(shape, depth - 1, indices))

    def bounded(self, shape, indices=()) -> Expr:
        return call("tanh", self.expr(shape, 2, indices))

    # the kinds of mutation
    def in_place(self, indent, target, shape, indices=()) -> None:
        op = self.c.choice(["+=", "-=", "*=", "/="])
        self.features.add("in-place operator")
        if op in ("+=", "-="):
            value = binary("*", text("0.5"), self.bounded(shape, indices))
        elif op == "*=":
            value = call("cos", self.expr(shape, 2, indices))
        else:
            value = binary("+", text("1.5"), call("sin", self.expr(shape, 2, indices)))
        self.emit(indent, f"{target} {op} {value.render('np')}",
                  f"_update({target}, {target} {op[0]} {value.render('T')})")

    def index_for(self, shape):
        """A basic index into an array of `shape` and the shape it selects."""
        if len(shape) == 1:
            n = shape[0]
            form = self.c.choice(["int", "slice"] if n >= 2 else ["int"])
            if form == "int":
                i = self.c.integer(-n, n - 1)
                return str(i), ()
            a = self.c.integer(0, n - 2)
            b = self.c.integer(a + 1, n)
            return f"{a}:{b}", (b - a,)
        r, c = shape
        form = self.c.choice(["row", "element", "column"])
        if form == "row":
            i = self.c.integer(0, r - 1)
            return str(i), (c,)
        if form == "element":
            return f"{self.c.integer(0, r - 1)}, {self.c.integer(-c, c - 1)}", ()
        return f":, {self.c.integer(0, c - 1)}", (r,)

    def element_write(self, indent, target, shape, indices=()) -> None:
        index, selected = self.index_for(shape)
        value = self.bounded(selected, indices)
        self.features.add("element write")
        if self.c.flip():
            self.emit(indent, f"{target}[{index}] = {value.render('np')}",
                      f"{target}[{index}] = _c({value.render('T')})")
        else:
            self.emit(indent, f"{target}[{index}] += {value.render('np')}",
                      f"{target}[{index}] = _c({target}[{index}] + {value.render('T')})")

    def effect(self, indent, target, shape, indices=()) -> None:
        forms = ["out", "add_out", "multiply_out", "copyto", "fill", "putmask", "put", "cumsum_out",
                 "cumsum_self", "sort", "add_flipped", "negative_self"]
        if len(shape) == 1:
            forms.append("add_at")
        else:
            forms.append("fill_diagonal")
        form = self.c.choice(forms)
        self.features.add(f"effect {form}")
        size = int(np.prod(shape))
        if form == "put":
            i = self.c.integer(0, size - 1)
            j = (i + self.c.integer(1, size - 1)) % size if size > 1 else i
            e = self.bounded((2,) if i != j else (1,), indices)
            where = f"[{i}, {j}]" if i != j else f"[{i}]"
            self.emit(indent, f"np.put({target}, {where}, {e.render('np')})",
                      f"_put({target}, {where}, {e.render('T')})")
        elif form in ("cumsum_out", "cumsum_self"):
            # Of the target's shape exactly (a bounded expression may be a number).
            e = binary("+", binary("*", text("0.5"), text(target)), self.bounded(shape, indices)) \
                if form == "cumsum_out" else text(target)
            self.emit(indent, f"np.cumsum({e.render('np')}, axis=0, out={target})",
                      f"_update({target}, torch.cumsum({_c_text(e.render('T'))}, 0))")
        elif form in SELF_UPDATES:
            np_line, torch_value = SELF_UPDATES[form]
            self.emit(indent, np_line.format(t=target),
                      f"_update({target}, {torch_value.format(t=target)})")
        elif form == "out":
            fn = self.c.choice(["sin", "tanh", "cos"])
            e = self.expr(shape, 2, indices)
            self.emit(indent, f"np.{fn}({e.render('np')}, out={target})",
                      f"_update({target}, T.{fn}({e.render('T')}))")
        elif form in ("add_out", "multiply_out"):
            fn = form.split("_")[0]
            e = self.bounded(shape, indices) if fn == "add" else call("cos", self.expr(shape, 2, indices))
            op = "+" if fn == "add" else "*"
            self.emit(indent, f"np.{fn}({target}, {e.render('np')}, out={target})",
                      f"_update({target}, {target} {op} {e.render('T')})")
        elif form == "copyto":
            e = self.bounded(shape, indices) if self.c.flip() else self.scalar(indices)
            self.emit(indent, f"np.copyto({target}, {e.render('np')})",
                      f"_update({target}, {e.render('T')})")
        elif form == "fill":
            e = self.scalar(indices)
            self.emit(indent, f"{target}.fill({e.render('np')})", f"_update({target}, {e.render('T')})")
        elif form == "putmask":
            e = self.bounded(shape, indices)
            self.emit(indent, f"np.putmask({target}, {target} > 0.0, {e.render('np')})",
                      f"_putmask({target}, {e.render('T')})")
        elif form == "add_at":
            n = shape[0]
            i, j = self.c.integer(0, n - 1), self.c.integer(0, n - 1)
            e = self.bounded((3,), indices)
            self.emit(indent, f"np.add.at({target}, [{i}, {j}, {i}], {e.render('np')})",
                      f"_add_at({target}, [{i}, {j}, {i}], {e.render('T')})")
        else:
            e = self.scalar(indices)
            self.emit(indent, f"np.fill_diagonal({target}, {e.render('np')})",
                      f"_update({target}.diagonal(), {e.render('T')})")

    def generic(self, indent, target, partner=None, scalar: Expr | None = None) -> None:
        """A shape-generic mutation of `target` (a helper's parameter, a loop
        target, a container element); `partner` has the same shape."""
        c = scalar if scalar is not None else self.scalar()
        forms = ["scale", "squash", "divide", "first", "last", "out"]
        if partner is not None:
            forms += ["step", "step"]
        form = self.c.choice(forms)
        self.features.add(f"generic {form}")
        if form == "scale":
            self.emit(indent, f"{target} *= np.cos({c.render('np')})",
                      f"_update({target}, {target} * T.cos({c.render('T')}))")
        elif form == "squash":
            self.emit(indent, f"{target} += 0.5 * np.tanh({target})",
                      f"_update({target}, {target} + 0.5 * T.tanh({target}))")
        elif form == "divide":
            self.emit(indent, f"{target} /= 1.5 + np.sin({c.render('np')})",
                      f"_update({target}, {target} / (1.5 + T.sin({c.render('T')})))")
        elif form == "first":
            self.emit(indent, f"{target}[0] = {c.render('np')}",
                      f"{target}[0] = _c({c.render('T')})")
        elif form == "last":
            self.emit(indent, f"{target}[-1] += {target}[0]",
                      f"{target}[-1] = _c({target}[-1] + {target}[0])")
        elif form == "out":
            self.emit(indent, f"np.tanh({target}, out={target})",
                      f"_update({target}, T.tanh({target}))")
        else:
            self.emit(indent, f"{target} -= {c.render('np')} * np.tanh({partner})",
                      f"_update({target}, {target} - {c.render('T')} * T.tanh({partner}))")

    def helper(self, indent, indices=()) -> None:
        name = self.fresh("h")
        returns = self.c.flip()
        self.features.add("helper returning a value" if returns else "helper called for effect")
        lines, t_lines = self.numpy, self.torch
        self.numpy, self.torch = self.np_helpers, self.t_helpers
        self.emit(0, f"def {name}(u, c):")
        for _ in range(self.c.integer(1, 2)):
            self.generic(1, "u", scalar=text("c"))
        if returns:
            self.emit(1, "return np.mean(u * u)", "return T.mean(u * u)")
        self.emit(0, "")
        self.emit(0, "")
        self.numpy, self.torch = lines, t_lines
        target = self.c.choice(sorted(self.arrays))
        argument = self.scalar(indices)
        call_text = f"{name}({target}, {{}})"
        if returns and indent == 1:
            result = self.fresh("r")
            self.both(indent, f"{result} = {call_text}", argument)
            self.scalars.append(result)
        else:
            self.both(indent, call_text, argument)

    def container(self, indent) -> None:
        names = sorted(self.arrays)
        a, b = self.c.choice(names), self.c.choice(names)
        if self.c.flip():
            L = self.fresh("L")
            self.emit(indent, f"{L} = [{a}, {b}]")
            self.containers.append(("list", L))
            self.container_loop(indent, ("list", L, a, b))
        else:
            D = self.fresh("D")
            self.emit(indent, f'{D} = {{"a": {a}, "b": {b}}}')
            self.containers.append(("dict", D))
            self.container_loop(indent, ("dict", D, a, b))

    def container_loop(self, indent, container) -> None:
        kind, name, a, b = container
        p = self.fresh("p")
        if kind == "list":
            form = self.c.choice(["for", "zip", "enumerate"])
            self.features.add(f"list loop {form}")
            if form == "zip":
                G, g = self.fresh("G"), self.fresh("g")
                ea, eb = self.bounded(self.arrays[a]), self.bounded(self.arrays[b])
                self.both(indent, f"{G} = [{{}}, {{}}]", ea, eb)
                self.emit(indent, f"for {p}, {g} in zip({name}, {G}):")
                self.generic(indent + 1, p, partner=g)
            elif form == "enumerate":
                i = self.fresh("i")
                self.emit(indent, f"for {i}, {p} in enumerate({name}):")
                self.generic(indent + 1, p, scalar=binary("*", text("0.25"), text(i)))
                if self.c.flip():
                    self.generic(indent + 1, p)
            else:
                self.emit(indent, f"for {p} in {name}:")
                for _ in range(self.c.integer(1, 2)):
                    self.generic(indent + 1, p)
        else:
            k = self.fresh("k")
            keys = name if self.c.flip() else '("a", "b")'
            self.features.add("dict loop over the dict" if keys == name else "dict loop over keys")
            self.emit(indent, f"for {k} in {keys}:")
            for _ in range(self.c.integer(1, 2)):
                self.generic(indent + 1, f"{name}[{k}]")

    def mutation(self, indent, indices=()) -> None:
        """One statement changing an existing array (allowed inside loops)."""
        kinds = ["in_place", "in_place", "element", "element", "effect", "effect", "helper"]
        if self.containers:
            kinds.append("container_loop")
        kind = self.c.choice(kinds)
        if kind == "helper":
            return self.helper(indent, indices)
        if kind == "container_loop":
            kind_, name = self.c.choice(self.containers)
            return self.container_loop(indent, (kind_, name, None, None)) if kind_ == "dict" \
                else self.list_loop_again(indent, name)
        target = self.c.choice(sorted(self.arrays))
        shape = self.arrays[target]
        getattr(self, {"in_place": "in_place", "element": "element_write",
                       "effect": "effect"}[kind])(indent, target, shape, indices)

    def list_loop_again(self, indent, name) -> None:
        p = self.fresh("p")
        self.features.add("list loop for")
        self.emit(indent, f"for {p} in {name}:")
        self.generic(indent + 1, p)

    def new_array(self, indent) -> None:
        name = self.fresh("v")
        form = self.c.choice(["copy", "sin", "zeros", "np.copy"])
        if form == "zeros":
            shape = self.c.choice([(6,), ROW_SHAPE, (4,)])
            self.emit(indent, f"{name} = np.zeros({shape})", f"{name} = torch.zeros({shape})")
        else:
            source = self.c.choice(sorted(self.arrays))
            shape = self.arrays[source]
            if form == "copy":
                self.emit(indent, f"{name} = {source} * 1.0")
            elif form == "sin":
                self.emit(indent, f"{name} = np.sin({source})", f"{name} = T.sin({source})")
            else:
                self.emit(indent, f"{name} = np.copy({source})", f"{name} = {source}.clone()")
        self.arrays[name] = shape

    def view(self, indent) -> None:
        base = self.c.choice(sorted(self.arrays))
        shape = self.arrays[base]
        name = self.fresh("w")
        if len(shape) == 1:
            n = shape[0]
            forms = ["slice", "step", "step_from_1", "row"] if n >= 2 else ["slice", "row"]
            form = self.c.choice(forms)
            self.features.add("view 1-d" if form in ("slice", "step") else f"view {form}")
            if form == "row":          # v[None, :], a 1 x n view
                self.emit(indent, f"{name} = {base}[None, :]")
                self.arrays[name] = (1, n)
                return
            if form == "step_from_1":
                index = "1::2"
            elif form == "step":
                index = "::2"
            else:
                a = self.c.integer(0, n - 1)
                index = f"{a}:{self.c.integer(a + 1, n)}"
            self.emit(indent, f"{name} = {base}[{index}]")
            new_shape = view_shape(shape, eval(f"np.s_[{index}]"))
        else:
            r, c = shape
            form = self.c.choice(["row", "column", "T", "rows", "columns", "moveaxis",
                                  "swapaxes", "column_step"])
            self.features.add(f"view {form}")
            if form == "T":
                self.emit(indent, f"{name} = {base}.T")
                new_shape = (c, r)
            elif form == "moveaxis":
                self.emit(indent, f"{name} = np.moveaxis({base}, 1, 0)",
                          f"{name} = {base}.movedim(1, 0)")
                new_shape = (c, r)
            elif form == "swapaxes":
                self.emit(indent, f"{name} = {base}.swapaxes(0, 1)",
                          f"{name} = {base}.transpose(0, 1)")
                new_shape = (c, r)
            elif form == "column_step":
                self.emit(indent, f"{name} = {base}[:, 1::2]")
                new_shape = (r, len(range(1, c, 2)))
            else:
                if form == "row":
                    index = str(self.c.integer(0, r - 1))
                elif form == "column":
                    index = f":, {self.c.integer(0, c - 1)}"
                elif form == "rows":
                    a = self.c.integer(0, r - 1)
                    index = f"{a}:{self.c.integer(a + 1, r)}"
                else:
                    a = self.c.integer(0, c - 1)
                    index = f":, {a}:{self.c.integer(a + 1, c)}"
                self.emit(indent, f"{name} = {base}[{index}]")
                new_shape = view_shape(shape, eval(f"np.s_[{index}]"))
        self.arrays[name] = tuple(new_shape)

    def statement(self) -> None:
        kind = self.c.choice(["new", "view", "view", "mutation", "mutation", "mutation",
                              "container", "loop"])
        if kind == "new":
            self.new_array(1)
        elif kind == "view":
            self.view(1)
        elif kind == "mutation":
            self.mutation(1)
        elif kind == "container":
            self.container(1)
        else:
            i = self.fresh("i")
            self.features.add("range loop")
            self.emit(1, f"for {i} in range({self.c.integer(1, 3)}):")
            for _ in range(self.c.integer(1, 2)):
                self.mutation(2, indices=(i,))

    def result(self) -> None:
        names = ["x", "A"] + [n for n in sorted(self.arrays) if n not in ("x", "A")
                              and self.c.flip()]
        terms_np, terms_t = [], []
        for k, name in enumerate(names):
            form = ("np.sum({0} * {0} * {1})", "np.sum(np.sin({0}) * {1})")[k % 2]
            weight = f"{0.5 + 0.25 * k}"
            terms_np.append(form.format(name, weight))
            terms_t.append(form.replace("np.", "T.").format(name, weight))
        for kind, name in self.containers:
            first = f"{name}[0]" if kind == "list" else f'{name}["b"]'
            terms_np.append(f"np.sum(np.cos({first}))")
            terms_t.append(f"T.sum(T.cos({first}))")
        terms_np += self.scalars
        terms_t += self.scalars
        self.emit(1, "return " + " + ".join(terms_np), "return " + " + ".join(terms_t))

    def program(self) -> tuple[str, str]:
        self.emit(0, "def f(x, A, s):")
        for _ in range(self.c.integer(2, 7)):
            self.statement()
        self.result()
        numpy_source = "\n".join(self.np_helpers + self.numpy) + "\n"
        torch_source = "\n".join(self.t_helpers + self.torch) + "\n"
        return numpy_source, torch_source


# -- the torch side ------------------------------------------------------------------------

def _tensor(value):
    return value if isinstance(value, torch.Tensor) else torch.tensor(float(value))


def _update(target, value):
    """NumPy's in-place update of `target` (a view or a whole array) by `value`."""
    target.copy_(_tensor(value).clone().expand_as(target))


def _c(value):
    """A value about to be written into an array, detached from the array's memory
    (NumPy copies an overlapping right-hand side first; torch refuses the overlap)."""
    return _tensor(value).clone()


def _add_at(target, index, value):
    target.index_put_((torch.tensor(index),), _tensor(value).clone().expand(len(index)),
                      accumulate=True)


def _c_text(expression: str) -> str:
    return f"_c({expression})"


def _put(target, flat_indices, value):
    """np.put: entries by their index into the flattened array (row-major)."""
    where = np.unravel_index(flat_indices, tuple(target.shape))
    target[tuple(torch.as_tensor(w) for w in where)] = _tensor(value).clone().expand(
        len(flat_indices))


def _putmask(target, value):
    mask = target > 0.0
    target[mask] = _tensor(value).clone().expand_as(target)[mask]


TORCH_SHIM = SimpleNamespace(**{name: (lambda fn: lambda a: fn(_tensor(a)))(getattr(torch, name))
                                for name in ("sin", "cos", "tanh", "mean", "sum")})


def torch_twin(source: str):
    namespace = {"T": TORCH_SHIM, "torch": torch, "_update": _update, "_c": _c,
                 "_add_at": _add_at, "_putmask": _putmask, "_put": _put}
    exec(compile(source, "<torch twin>", "exec"), namespace)
    return namespace["f"]


# -- programs as corpus.Program ---------------------------------------------------------

_modules = itertools.count()
_directory: Path | None = None


def program_directory() -> Path:
    """Where the programs' module files go: a temporary directory of their own,
    unless a test chose one (`use_directory`)."""
    global _directory
    if _directory is None:
        _directory = Path(tempfile.mkdtemp(prefix="aliasing_programs_"))
    return _directory


def use_directory(path: Path) -> None:
    global _directory
    _directory = Path(path)


def load_numpy_function(source: str):
    """adcompiler reads source with inspect, so each program gets a module file."""
    digest = hashlib.sha1(source.encode()).hexdigest()[:10]
    name = f"aliasing_program_{next(_modules)}_{digest}"
    path = program_directory() / f"{name}.py"
    path.write_text("import numpy as np\n\n\n" + source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module.f


def inputs(seed: int):
    """The arguments (x, A, s), drawn from `seed`; a fresh copy on every call."""
    def make():
        rng = np.random.default_rng(seed)
        x = np.round(rng.uniform(-1.5, 1.5, size=6), 3)
        A = np.round(rng.uniform(-1.5, 1.5, size=ROW_SHAPE), 3)
        return [x, A, float(np.round(rng.uniform(-1.0, 1.0), 3))]
    return make


def make_program(choices, input_seed: int, label: str) -> corpus.Program:
    writer = Writer(choices)
    numpy_source, torch_source = writer.program()
    return corpus.Program(label, load_numpy_function(numpy_source), torch_twin(torch_source),
                          inputs(input_seed), (0, 1, 2), source=numpy_source,
                          features=frozenset(writer.features))


def describe(program: corpus.Program) -> str:
    x, A, s = program.make_args()
    return (f"\nprogram:\n{program.source}\nx = {x.tolist()!r}\nA = {A.tolist()!r}\n"
            f"s = {s!r}\n")


# -- script mode -------------------------------------------------------------------------

def reason(outcome: corpus.Outcome) -> str:
    """What went wrong, without numbers, places or generated names: for grouping."""
    if outcome.status == "refused":
        what = str(getattr(outcome.error, "what", outcome.error)).split("\n")[0]
        what = re.sub(r"\(?\S+\.py:\d+(:\d+)?\)?:? ?", "", what)
        what = re.sub(r"'[A-Za-z_]\w* ([-+*/])= \.\.\.'", r"'NAME \1= ...'", what)
        what = re.sub(r"change [\w, ]+ \(", "change NAMES (", what)
        what = re.sub(r"'[A-Za-z_]\w*'", "NAME", what)
        return f"{type(outcome.error).__name__}: {what}"[:100]
    return f"{outcome.stage}: {outcome.detail.split(':')[0]}"[:100]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=200, help="how many programs")
    parser.add_argument("--start", type=int, default=0, help="the first seed")
    parser.add_argument("--show", type=int, default=3,
                        help="how many failing programs to print (the shortest ones)")
    options = parser.parse_args(argv)
    counts = collections.Counter()
    reasons = collections.Counter()
    used = collections.Counter()          # feature -> programs using it
    broken = collections.Counter()        # feature -> programs failing in some mode
    failures = []
    for seed in range(options.start, options.start + options.seeds):
        program = make_program(RandomChoices(seed), seed, f"seed {seed}")
        failed = False
        for mode, check in corpus.CHECKS.items():
            outcome = check(program)
            counts[mode, outcome.status] += 1
            if outcome.status != "passed":
                reasons[mode, outcome.status, reason(outcome)] += 1
            if outcome.status in ("failed", "oracle"):
                failed = True
                failures.append((len(program.source), seed, mode, outcome, program))
        for feature in program.features:
            used[feature] += 1
            broken[feature] += failed
    last = options.start + options.seeds - 1
    print(f"{options.seeds} programs (seeds {options.start}..{last}), each in both modes")
    for mode in corpus.CHECKS:
        row = ", ".join(f"{status} {counts[mode, status]}"
                        for status in ("passed", "refused", "failed", "oracle"))
        print(f"  {mode:8s} {row}")
    if reasons:
        print("\nrefusals and failures, by reason:")
        for (mode, status, why), n in reasons.most_common():
            print(f"  {n:5d}  {mode:8s} {status:7s} {why}")
    print("\nprograms failing (in either mode) among those using each construct:")
    for feature in sorted(used, key=lambda f: -broken[f] / used[f]):
        print(f"  {broken[feature]:5d} / {used[feature]:<5d} {feature}")
    for _, seed, mode, outcome, program in sorted(failures, key=lambda f: f[:2])[:options.show]:
        print(f"\n=== seed {seed}, {mode} mode: {outcome}"[:1500] + describe(program))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
