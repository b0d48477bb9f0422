"""Random programs: adcompiler's gradients against torch.autograd.

Hypothesis writes small random functions `def f(x, y):`, adcompiler
differentiates them with respect to both arguments, and torch.autograd
(float64) differentiates the very same source text run on tensors. The
primal values and both gradients must agree, and so must adcompiler's forward
mode (jvp) along a fixed direction.

Two families of programs are generated. In the *array* family `x` and `y`
are NumPy arrays of shape (3,) and the function ends with
`return np.sum(<variable>)`; in the *float* family they are Python floats,
the functions come from `math`, and the function ends with
`return <variable>`. Writing `F` for `np` or `math`, the grammar is:

    program    ::= "def f(x, y):" statement+ ("out = VAR + VAR + ...")? return
    return     ::= "return np.sum(VAR)" (arrays) | "return VAR" (floats)
                   VAR is the newest variable, or out: it plus some others
    statement  ::= assign                                 (straight-line test)
                 | assign | for | while | if | collect | local | comprehension
                 | helper                                 (control-flow test)
    assign     ::= NEW = expr | NEW = VAR
                 | VAR = expr | VAR = VAR2 | VAR = F.tanh(VAR) | VAR = (VAR op expr)
                 | (NEW | VAR) = np.sum(expr) | np.mean(expr)   (arrays only)
                   where VAR is any readable variable, x and y included
    local      ::= "def g(p):" block ("if" cond ":" "return" expr)? "return" expr
                 | "g = lambda p:" expr;     then NEW = g(expr) (+ g(expr))
    helper     ::= a module-level "def h(a, b):" returning an expression (after an
                   optional loop updating a, and an optional early return), or a
                   list it fills in a loop; then NEW = h(expr, expr), sum(h(...)),
                   h(...)[-1], or hs = h(...); NEW = hs[0] * hs[-1]
    comprehension ::= NEW = sum(expr for k, c in enumerate([expr, ...]) (if k != 1)?)
                 | NEW = [expr for ...]; NEW = sum(NEW) (+ NEW[0])
    collect    ::= "hs = " ("[]" | "[VAR]"); "for i in range(K):" block "hs.append(expr)"
                   then NEW = one read of hs: hs[j] * hs[k], sum(hs), hs.pop(),
                   sum(hs[slice]), or a loop over hs or reversed(hs)
    for        ::= "for i in range(K):" block             K in 0..3
                 | "acc = " start; "for i in range(K):" "acc = (acc op expr)"
                   K in 1..3, op in + *, start is 0.0, 1.0, VAR, or (arrays)
                   np.sum(VAR) or np.mean(VAR): the accumulator may change
                   shape in the loop
    while      ::= "n = 0"; "while n < K:" block "n = n + 1"
                 | "n = 0"; "while SIZE(VAR) < B and n < 5:" block "n = n + 1"
                   where SIZE(v) is np.sum(v * v) or v * v, and the block
                   starts by updating VAR
    if         ::= "if" cond ":" block ("elif" cond ":" block)? ("else:" block)?
                   with, when there is an else, optionally a NEW variable
                   assigned at the end of every branch and readable afterwards
    block      ::= statement{1,3}  (variables first assigned in a block are
                   only read inside it; loops and ifs nest two deep)
    expr       ::= VAR | CONSTANT | i  (a loop index, inside its loop)
                 | (expr op expr)      op in + - *
                 | (-expr) | (expr ** 2)
                 | (expr / (1.0 + expr ** 2)) | (expr / 2.0)
                 | F.sin(expr) | F.cos(expr) | F.tanh(expr)
                 | F.exp(F.tanh(expr)) | F.exp(F.sin(expr)) | F.exp(F.cos(expr))
                 | F.log(1.0 + expr ** 2) | F.log(2.0 + F.cos(expr))
                 | (expr if cond else expr)                (control-flow test)
                 | np.sum(expr) | np.mean(expr)           (arrays only)
                 | np.maximum(expr, expr|0.0)             (arrays only)
                 | np.where(expr > expr, expr, expr)      (arrays only)
    cond       ::= test | not (test) | (test and test) | (test or test)
    test       ::= np.sum(expr) > c | np.mean(expr) < c | np.sum(e) > np.sum(e)
                 | expr > c | expr < expr                 (floats)

Every log and division is of a positive expression and every exp of a
bounded one, so programs are defined everywhere; all loops terminate.

The torch oracle runs the same source with `np` and `math` bound to small
shims over torch (`np.sin` -> `torch.sin`, `np.where` -> `torch.where`, ...),
so Python's `if`/`while` take the same decisions on 0-d tensors. Examples are
skipped (never failed) when torch sees an intermediate value or gradient above
1e6 in magnitude, or a comparison decided by less than rounding error, where
the two libraries' last-bit differences could legitimately take different
branches.

adcompiler reads source with `inspect.getsource`, so each program is written
to its own module file and imported.

Two property tests (straight-line programs; programs with loops and branches)
are marked slow; the shrunk programs they once found wrong also run on their
own, in `test_regressions_match_torch`.
"""

from __future__ import annotations

import hashlib
import importlib.util
import itertools
import math
import sys
import traceback
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, Phase, assume, given, note, settings
from hypothesis import strategies as st
from torch.overrides import TorchFunctionMode

import adcompiler as ad

RTOL = 1e-7
ATOL = 1e-9          # scaled by max(1, largest |expected|)
LIMIT = 1e6          # larger intermediate values or gradients: example skipped
TIE = 1e-9           # relative gap below which a comparison counts as a near tie

CONSTANTS = ("0.5", "2.0", "(-1.5)", "0.25", "3.0", "(-0.75)")
MAX_NESTING = 2      # loops and ifs nest at most this deep


# -- the program generator -----------------------------------------------------

@dataclass(frozen=True)
class Scope:
    """What a statement may read: float/array variables and loop indices."""

    variables: tuple
    indices: tuple = ()

    def with_variable(self, name: str) -> "Scope":
        if name in self.variables:
            return self
        return Scope(self.variables + (name,), self.indices)

    def with_index(self, name: str) -> "Scope":
        return Scope(self.variables, self.indices + (name,))


class ProgramWriter:
    """Emits one random program, drawing every choice from hypothesis so that
    failing programs shrink (simplest choices come first in each list)."""

    def __init__(self, draw, arrays: bool, control_flow: bool):
        self.draw = draw
        self.arrays = arrays
        self.lib = "np" if arrays else "math"
        self.control_flow = control_flow
        self.lines: list[str] = []
        self.helpers: list[str] = []   # module-level functions, written before f
        self.counter = itertools.count()

    # choices
    def choose(self, options):
        return self.draw(st.sampled_from(tuple(options)))

    def flip(self) -> bool:
        return self.draw(st.booleans())

    def fresh(self, prefix: str) -> str:
        return f"{prefix}{next(self.counter)}"

    def emit(self, indent: int, text: str) -> None:
        self.lines.append("    " * indent + text)

    # expressions
    def leaf(self, scope: Scope) -> str:
        kinds = ["variable", "variable", "variable", "constant"] + (
            ["index"] if scope.indices else [])
        kind = self.choose(kinds)
        if kind == "variable":
            return self.choose(reversed(scope.variables))
        if kind == "index":
            return self.choose(scope.indices)
        return self.choose(CONSTANTS)

    def expr(self, scope: Scope, depth: int) -> str:
        if depth <= 0 or self.draw(st.integers(0, 2)) == 0:
            return self.leaf(scope)
        forms = ["arith", "smooth", "neg", "square", "divide", "exp", "log"]
        if self.arrays:
            forms += ["reduce", "maximum", "where"]
        if self.control_flow:
            forms += ["ifexp"]
        form = self.choose(forms)
        d = depth - 1
        lib = self.lib
        if form == "arith":
            op = self.choose("+-*")
            return f"({self.expr(scope, d)} {op} {self.expr(scope, d)})"
        if form == "smooth":
            return f"{lib}.{self.choose(['sin', 'cos', 'tanh'])}({self.expr(scope, d)})"
        if form == "neg":
            return f"(-{self.expr(scope, d)})"
        if form == "square":
            return f"({self.expr(scope, d)} ** 2)"
        if form == "divide":
            numerator = self.expr(scope, d)
            if self.flip():
                return f"({numerator} / 2.0)"
            return f"({numerator} / (1.0 + {self.expr(scope, d)} ** 2))"
        if form == "exp":
            squash = self.choose(["tanh", "sin", "cos"])
            return f"{lib}.exp({lib}.{squash}({self.expr(scope, d)}))"
        if form == "log":
            if self.flip():
                return f"{lib}.log(2.0 + {lib}.cos({self.expr(scope, d)}))"
            return f"{lib}.log(1.0 + {self.expr(scope, d)} ** 2)"
        if form == "reduce":
            return f"np.{self.choose(['sum', 'mean'])}({self.expr(scope, d)})"
        if form == "maximum":
            other = "0.0" if self.flip() else self.expr(scope, d)
            return f"np.maximum({self.expr(scope, d)}, {other})"
        if form == "where":
            test = f"{self.expr(scope, d)} > {self.expr(scope, d)}"
            return f"np.where({test}, {self.expr(scope, d)}, {self.expr(scope, d)})"
        assert form == "ifexp"
        return (f"({self.expr(scope, d)} if {self.condition(scope, d)} "
                f"else {self.expr(scope, d)})")

    def test(self, scope: Scope, depth: int) -> str:
        """A comparison whose value is a single bool (or 0-d bool array); its
        first operand reads a variable, so most tests depend on the data."""
        a = self.expr(scope, depth) if self.flip() else self.choose(reversed(scope.variables))
        if self.arrays:
            form = self.choose(["sum", "mean", "sums"])
            if form == "sum":
                return f"np.sum({a}) > {self.choose(CONSTANTS)}"
            if form == "mean":
                return f"np.mean({a}) < {self.choose(CONSTANTS)}"
            return f"np.sum({a}) > np.sum({self.expr(scope, depth)})"
        if self.flip():
            return f"{a} < {self.expr(scope, depth)}"
        return f"{a} > {self.choose(CONSTANTS)}"

    def condition(self, scope: Scope, depth: int) -> str:
        form = self.choose(["test", "test", "test", "not", "and", "or"])
        if form == "test":
            return self.test(scope, depth)
        if form == "not":
            return f"not ({self.test(scope, depth)})"
        return f"({self.test(scope, depth)} {form} {self.test(scope, depth)})"

    # statements
    def assign(self, scope: Scope, indent: int, target: str | None = None) -> Scope:
        if target is None:
            target = self.fresh("v") if self.flip() else self.choose(reversed(scope.variables))
        forms = ["expr", "copy"]
        if target in scope.variables:
            forms += ["expr", "update", "squash"]
        if self.arrays:
            forms += ["reduce"]     # a scalar, so a variable's shape can change
        form = self.choose(forms)
        if form == "copy":
            value = self.choose(reversed(scope.variables))
        elif form == "squash":
            value = f"{self.lib}.tanh({target})"
        elif form == "update":
            value = f"({target} {self.choose('+-*')} {self.expr(scope, 2)})"
        elif form == "reduce":
            value = f"np.{self.choose(['sum', 'mean'])}({self.expr(scope, 2)})"
        else:
            value = self.expr(scope, 3)
        self.emit(indent, f"{target} = {value}")
        return scope.with_variable(target)

    def block(self, scope: Scope, indent: int, nesting: int, first: str | None = None) -> Scope:
        """1-3 statements; returns the scope at the end of the block."""
        count = self.draw(st.integers(1, 3))
        if first is not None:
            scope = self.assign(scope, indent, target=first)
            count -= 1
        for _ in range(count):
            scope = self.statement(scope, indent, nesting)
        return scope

    def statement(self, scope: Scope, indent: int, nesting: int) -> Scope:
        if not self.control_flow or nesting >= MAX_NESTING:
            return self.assign(scope, indent)
        kind = self.choose(["assign", "assign", "for", "while", "while_data", "if", "accumulate",
                            "collect", "local", "comprehension", "helper", "dict", "filtered"])
        if kind == "assign":
            return self.assign(scope, indent)
        if kind == "dict":
            return self.dict_gaining_a_key(scope, indent)
        if kind == "filtered":
            return self.filtered_sum(scope, indent)
        if kind == "collect":
            return self.collect(scope, indent, nesting)
        if kind == "local":
            return self.local_function(scope, indent, nesting)
        if kind == "comprehension":
            return self.comprehension(scope, indent)
        if kind == "helper":
            return self.helper(scope, indent)
        if kind == "accumulate":
            total = self.fresh("acc")
            start = self.choose(["0.0", "1.0", "variable"] + (["reduce"] if self.arrays else []))
            if start == "variable":
                start = self.choose(reversed(scope.variables))
            elif start == "reduce":
                start = f"np.{self.choose(['sum', 'mean'])}({self.choose(reversed(scope.variables))})"
            self.emit(indent, f"{total} = {start}")
            index = self.fresh("i")
            self.emit(indent, f"for {index} in range({self.draw(st.integers(1, 3))}):")
            inner = scope.with_index(index).with_variable(total)
            self.emit(indent + 1, f"{total} = ({total} {self.choose('+*')} {self.expr(inner, 2)})")
            return scope.with_variable(total)
        if kind == "for":
            index = self.fresh("i")
            self.emit(indent, f"for {index} in range({self.draw(st.integers(0, 3))}):")
            self.block(scope.with_index(index), indent + 1, nesting + 1)
            return scope
        if kind in ("while", "while_data"):
            counter = self.fresh("n")
            self.emit(indent, f"{counter} = 0")
            first = None
            if kind == "while":
                self.emit(indent, f"while {counter} < {self.draw(st.integers(0, 3))}:")
            else:
                first = self.choose(reversed(scope.variables))
                size = f"np.sum({first} * {first})" if self.arrays else f"{first} * {first}"
                bound = self.choose(["1.0", "4.0", "10.0"])
                self.emit(indent, f"while {size} < {bound} and {counter} < 5:")
            self.block(scope, indent + 1, nesting + 1, first=first)
            self.emit(indent + 1, f"{counter} = {counter} + 1")
            return scope
        assert kind == "if"
        shared = self.fresh("t") if self.flip() else None
        has_elif, has_else = self.flip(), self.flip() or shared is not None
        self.emit(indent, f"if {self.condition(scope, 1)}:")
        self.branch(scope, indent, nesting, shared)
        if has_elif:
            self.emit(indent, f"elif {self.condition(scope, 1)}:")
            self.branch(scope, indent, nesting, shared)
        if has_else:
            self.emit(indent, "else:")
            self.branch(scope, indent, nesting, shared)
        return scope.with_variable(shared) if shared else scope

    def local_function(self, scope: Scope, indent: int, nesting: int) -> Scope:
        """A nested def (or a lambda) closing over the variables in scope,
        called once or twice."""
        name, parameter, target = self.fresh("g"), self.fresh("p"), self.fresh("v")
        inner = scope.with_variable(parameter)
        if self.flip():
            self.emit(indent, f"{name} = lambda {parameter}: {self.expr(inner, 2)}")
        else:
            # The body assigns only its own variables: an assignment to one of
            # the enclosing function's would make it local to g in Python.
            self.emit(indent, f"def {name}({parameter}):")
            local = self.fresh("a")
            self.emit(indent + 1, f"{local} = {self.expr(inner, 2)}")
            body = inner.with_variable(local)
            if self.flip():
                index = self.fresh("j")
                self.emit(indent + 1, f"for {index} in range({self.draw(st.integers(0, 3))}):")
                step = self.expr(body.with_index(index), 2)
                self.emit(indent + 2, f"{parameter} = ({parameter} {self.choose('+*')} {step})")
            if self.flip():
                self.emit(indent + 1, f"if {self.condition(body, 1)}:")
                self.emit(indent + 2, f"return {self.expr(body, 1)}")
            self.emit(indent + 1, f"return {self.expr(body, 2)}")
        calls = [f"{name}({self.expr(scope, 1)})" for _ in range(self.draw(st.integers(1, 2)))]
        self.emit(indent, f"{target} = {' + '.join(calls)}")
        return scope.with_variable(target)

    def comprehension(self, scope: Scope, indent: int) -> Scope:
        """sum(...) of a generator, or a list comprehension read back."""
        item, index, target = self.fresh("c"), self.fresh("k"), self.fresh("v")
        count = self.draw(st.integers(1, 3))
        inner = scope.with_variable(item).with_index(index)
        source = f"[{', '.join(self.expr(scope, 1) for _ in range(count))}]"
        element = self.expr(inner, 2)
        guard = f" if {index} != 1" if self.flip() else ""
        iterated = f"{index}, {item} in enumerate({source}){guard}"
        if self.flip():
            self.emit(indent, f"{target} = sum({element} for {iterated})")
        else:
            self.emit(indent, f"{target} = [{element} for {iterated}]")
            self.emit(indent, f"{target} = sum({target}) + {target}[0]" if count > 1 or not guard
                      else f"{target} = sum({target})")
        return scope.with_variable(target)

    def dict_gaining_a_key(self, scope: Scope, indent: int) -> Scope:
        """A dict holding a constant entry, given a new key computed from it,
        then read: the adjoint of the dict before the write lacks the new key."""
        table, target = self.fresh("d"), self.fresh("v")
        self.emit(indent, f'{table} = {{"a": {self.choose(reversed(scope.variables))}, '
                          f'"b": {self.choose(CONSTANTS)}}}')
        self.emit(indent, f'{table}["c"] = ({self.expr(scope, 1)} * {table}["b"])')
        if self.flip():
            self.emit(indent, f'{table}["a"] = ({table}["a"] + {self.expr(scope, 1)})')
        self.emit(indent, f'{target} = ({table}["a"] * {table}["c"] + {table}["b"])')
        return scope.with_variable(target)

    def filtered_sum(self, scope: Scope, indent: int) -> Scope:
        """sum() of a list filtered on the data, with a start value: when the
        filter selects nothing the result is the start, shape and all."""
        item, target = self.fresh("c"), self.fresh("v")
        count = self.draw(st.integers(1, 3))
        source = f"[{', '.join(self.expr(scope, 1) for _ in range(count))}]"
        size = f"np.sum({item})" if self.arrays else item
        keep = f"{size} > {self.choose(CONSTANTS + ('100.0',))}"
        start = self.choose(["0.0", "variable", "scaled"])
        if start == "variable":
            start = self.choose(reversed(scope.variables))
        elif start == "scaled":
            start = f"({self.choose(reversed(scope.variables))} * 0.5)"
        element = self.expr(scope.with_variable(item), 2)
        self.emit(indent, f"{target} = sum([{element} for {item} in {source} if {keep}], {start})")
        return scope.with_variable(target)

    def helper(self, scope: Scope, indent: int) -> Scope:
        """A module-level function (differentiated through derivative code of
        its own) returning a value or a list it builds, called here."""
        name, target = self.fresh("h"), self.fresh("v")
        lines, self.lines = self.lines, self.helpers
        inner = Scope(("a", "b"))
        returns_list = self.flip()
        self.emit(0, f"def {name}(a, b):")
        if returns_list:
            self.emit(1, "items = [b]" if self.flip() else "items = []")
            self.emit(1, f"for j in range({self.draw(st.integers(1, 3))}):")
            self.emit(2, f"a = {self.lib}.tanh({self.expr(inner.with_index('j'), 2)})")
            self.emit(2, "items.append(a)")
            self.emit(1, "return items")
        else:
            self.emit(1, f"c = {self.expr(inner, 2)}")
            body = inner.with_variable("c")
            if self.flip():
                self.emit(1, f"for j in range({self.draw(st.integers(0, 3))}):")
                self.emit(2, f"a = (a {self.choose('+*')} {self.expr(body.with_index('j'), 1)})")
            if self.control_flow and self.flip():
                self.emit(1, f"if {self.condition(body, 1)}:")
                self.emit(2, f"return {self.expr(body, 1)}")
                if self.flip():
                    # An if/elif chain whose last path returns a constant.
                    self.emit(1, f"elif {self.condition(body, 1)}:")
                    self.emit(2, f"return {self.expr(body, 1)}")
                    self.emit(1, "else:")
                    self.emit(2, f"return {self.choose(CONSTANTS)}")
                    return self._end_helper(lines, name, target, scope, indent, returns_list)
            self.emit(1, f"return {self.expr(body, 2)}")
        return self._end_helper(lines, name, target, scope, indent, returns_list)

    def _end_helper(self, lines, name, target, scope, indent, returns_list) -> Scope:
        """Back to f's body (`lines`), where the helper is called."""
        self.emit(0, "")
        self.emit(0, "")
        self.helpers, self.lines = self.lines, lines
        call = f"{name}({self.expr(scope, 1)}, {self.expr(scope, 1)})"
        if returns_list:
            read = self.choose(["sum", "last", "loop"])
            if read == "sum":
                call = f"sum({call})"
            elif read == "last":
                call = f"{call}[-1]"
            else:
                items = self.fresh("hs")
                self.emit(indent, f"{items} = {call}")
                call = f"({items}[0] * {items}[-1])"
        self.emit(indent, f"{target} = {call}")
        return scope.with_variable(target)

    def collect(self, scope: Scope, indent: int, nesting: int) -> Scope:
        """A list filled in a loop (maybe from a literal), then read back."""
        items, index = self.fresh("hs"), self.fresh("i")
        count = self.draw(st.integers(1, 3))
        start = self.choose(["[]", "[VAR]"])
        if start == "[VAR]":
            start, count = f"[{self.choose(reversed(scope.variables))}]", count + 1
        self.emit(indent, f"{items} = {start}")
        self.emit(indent, f"for {index} in range({count - (start != '[]')}):")
        inner = self.block(scope.with_index(index), indent + 1, nesting + 1)
        self.emit(indent + 1, f"{items}.append({self.expr(inner, 2)})")
        target = self.fresh("v")
        read = self.choose(["index", "sum", "pop", "loop", "reversed", "slice", "slice loop"])
        if read == "index":
            position = self.choose(["0", "-1", str(count - 1), str(-count)])
            other = self.choose(["0", "-1"])
            self.emit(indent, f"{target} = ({items}[{position}] * {items}[{other}])")
        elif read == "sum":
            self.emit(indent, f"{target} = sum({items})")
        elif read == "pop":
            self.emit(indent, f"{target} = {items}.pop()")
            if count > 1:
                self.emit(indent, f"{target} = ({target} + {items}[-1])")
        elif read == "slice":
            self.emit(indent, f"{target} = sum({items}[{self.choose(['1:', ':-1', '::2'])}])")
        elif read == "slice loop":
            item = self.fresh("h")
            self.emit(indent, f"{target} = 0.0")
            self.emit(indent, f"for {item} in {items}[1:]:")
            self.emit(indent + 1, f"{target} = ({target} + {item} * {item})")
        else:
            item = self.fresh("h")
            order = items if read == "loop" else f"reversed({items})"
            self.emit(indent, f"{target} = 0.0")
            self.emit(indent, f"for {item} in {order}:")
            self.emit(indent + 1, f"{target} = ({target} * 0.5 + {self.lib}.sin({item}))")
        return scope.with_variable(target)

    def branch(self, scope: Scope, indent: int, nesting: int, shared: str | None) -> None:
        inner = self.block(scope, indent + 1, nesting + 1)
        if shared is not None:
            self.emit(indent + 1, f"{shared} = {self.expr(inner, 2)}")

    def program(self) -> str:
        scope = Scope(("x", "y"))
        self.emit(0, "def f(x, y):")
        for _ in range(self.draw(st.integers(1, 5 if self.control_flow else 6))):
            scope = self.statement(scope, 1, 0)
        # The newest variable, plus (drawn one by one) others, so that most of
        # the program feeds the result and a wrong derivative anywhere shows.
        result = scope.variables[-1]
        terms = [v for v in reversed(scope.variables[:-1]) if self.flip()]
        if terms:
            self.emit(1, f"out = {' + '.join([result, *terms])}")
            result = "out"
        returned = (lambda name: f"np.sum({name})") if self.arrays else (lambda name: name)
        if self.control_flow and self.flip():
            # An if/elif chain ending in `else: return <constant>`.
            self.emit(1, f"if {self.condition(scope, 1)}:")
            self.emit(2, f"return {returned(result)}")
            self.emit(1, f"elif {self.condition(scope, 1)}:")
            self.emit(2, f"return {returned(self.choose(reversed(scope.variables)))}")
            self.emit(1, "else:")
            self.emit(2, f"return {self.choose(CONSTANTS)}")
        else:
            self.emit(1, f"return {returned(result)}")
        return "\n".join(self.helpers + self.lines) + "\n"


@st.composite
def programs(draw, control_flow: bool):
    """(arrays?, source of f, x, y)."""
    arrays = draw(st.booleans())
    source = ProgramWriter(draw, arrays, control_flow).program()
    number = st.floats(-2.0, 2.0, allow_nan=False, allow_infinity=False,
                       allow_subnormal=False)
    if arrays:
        x = np.array(draw(st.lists(number, min_size=3, max_size=3)))
        y = np.array(draw(st.lists(number, min_size=3, max_size=3)))
    else:
        x, y = draw(number), draw(number)
    return arrays, source, x, y


# -- running a program under adcompiler ---------------------------------------

_module_numbers = itertools.count()


@pytest.fixture(scope="module")
def program_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("random_programs")


def load_numpy_function(source: str, directory):
    """Write `source` to a fresh module file, import it and return its `f`."""
    digest = hashlib.sha1(source.encode()).hexdigest()[:10]
    name = f"random_program_{next(_module_numbers)}_{digest}"
    path = directory / f"{name}.py"
    path.write_text("import math\n\nimport numpy as np\n\n\n" + source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module.f


# -- the torch oracle -----------------------------------------------------------

def _float_tensor(value):
    if isinstance(value, torch.Tensor):
        return value if value.is_floating_point() else value.to(torch.float64)
    return torch.tensor(value, dtype=torch.float64)


def _bool_tensor(value):
    return value if isinstance(value, torch.Tensor) else torch.tensor(bool(value))


def _unary(function):
    return lambda a: function(_float_tensor(a))


TORCH_NP = SimpleNamespace(
    sin=_unary(torch.sin), cos=_unary(torch.cos), tanh=_unary(torch.tanh),
    exp=_unary(torch.exp), log=_unary(torch.log),
    sum=_unary(torch.sum), mean=_unary(torch.mean),
    maximum=lambda a, b: torch.maximum(_float_tensor(a), _float_tensor(b)),
    where=lambda c, a, b: torch.where(_bool_tensor(c), _float_tensor(a), _float_tensor(b)),
)
TORCH_MATH = SimpleNamespace(
    sin=_unary(torch.sin), cos=_unary(torch.cos), tanh=_unary(torch.tanh),
    exp=_unary(torch.exp), log=_unary(torch.log),
)

_DECISIONS = {"gt", "lt", "ge", "le", "__gt__", "__lt__", "__ge__", "__le__", "maximum"}


class _Watch(TorchFunctionMode):
    """Records the largest intermediate value and whether any comparison (or
    np.maximum) was decided by a gap small enough to be rounding error."""

    def __init__(self):
        super().__init__()
        self.largest = 0.0
        self.near_tie = False

    def __torch_function__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        if getattr(func, "__name__", "") in _DECISIONS and len(args) == 2:
            a, b = (_float_tensor(v).detach() for v in args)
            gap = (a - b).abs()
            scale = torch.maximum(a.abs(), b.abs()).clamp(min=1.0)
            if bool(((gap > 0) & (gap <= TIE * scale)).any()):
                self.near_tie = True
        if isinstance(out, torch.Tensor) and out.is_floating_point() and out.numel():
            biggest = float(out.detach().abs().max())
            self.largest = max(self.largest, biggest if math.isfinite(biggest) else math.inf)
        return out


def torch_value_and_grads(source: str, x, y):
    """f's value and gradients by torch.autograd, plus whether to trust them."""
    namespace = {"np": TORCH_NP, "math": TORCH_MATH}
    exec(compile(source, "<torch oracle>", "exec"), namespace)
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    yt = torch.tensor(y, dtype=torch.float64, requires_grad=True)
    with _Watch() as watch:
        try:
            out = namespace["f"](xt, yt)
        except OverflowError:
            # Python-float arithmetic (a constant assigned in a loop) overflowed:
            # a value far beyond LIMIT, which the example could not be judged on.
            return 0.0, np.zeros(np.shape(x)), np.zeros(np.shape(y)), False
    if isinstance(out, torch.Tensor) and out.requires_grad:
        grads = torch.autograd.grad(out, (xt, yt), allow_unused=True)
    else:
        grads = (None, None)
    gx, gy = (np.zeros(np.shape(v)) if g is None else g.numpy() for g, v in zip(grads, (x, y)))
    value = float(out.detach()) if isinstance(out, torch.Tensor) else float(out)
    largest = max(watch.largest, np.max(np.abs(gx)), np.max(np.abs(gy)), abs(value))
    trusted = not watch.near_tie and math.isfinite(largest) and largest <= LIMIT
    return value, gx, gy, trusted


def torch_second_order(source: str, x, y, directions):
    """The Hessian-vector product of f along `directions` (one per argument)
    and d²f/dx², by torch.autograd differentiating its own gradient."""
    namespace = {"np": TORCH_NP, "math": TORCH_MATH}
    exec(compile(source, "<torch oracle>", "exec"), namespace)
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    yt = torch.tensor(y, dtype=torch.float64, requires_grad=True)
    zeros = np.zeros(np.shape(x)), np.zeros(np.shape(y))
    out = namespace["f"](xt, yt)
    if not (isinstance(out, torch.Tensor) and out.requires_grad):
        return zeros, zeros[0]
    gx, gy = torch.autograd.grad(out, (xt, yt), create_graph=True, allow_unused=True)
    directional = sum((g * torch.tensor(d, dtype=torch.float64)).sum()
                      for g, d in zip((gx, gy), directions) if g is not None)

    def derivative(value, wrt):
        if not (isinstance(value, torch.Tensor) and value.requires_grad):
            return [None] * len(wrt)
        return torch.autograd.grad(value, wrt, retain_graph=True, allow_unused=True)
    product = tuple(z if h is None else h.detach().numpy()
                    for h, z in zip(derivative(directional, (xt, yt)), zeros))
    (gxx,) = derivative(gx.sum() if gx is not None else None, (xt,))
    return product, zeros[0] if gxx is None else gxx.detach().numpy()


# -- the property ---------------------------------------------------------------

def mismatch(got, expected) -> str | None:
    """Why `got` is not `expected` within tolerance, or None."""
    if np.shape(got) != np.shape(expected):
        return f"shape {np.shape(got)} != expected shape {np.shape(expected)}"
    got_, expected_ = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    scale = max(1.0, float(np.max(np.abs(expected_))))
    if not np.all(np.abs(got_ - expected_) <= RTOL * np.abs(expected_) + ATOL * scale):
        return f"got {got_.tolist()!r}, expected {expected_.tolist()!r}"
    return None


def describe(source, x, y, derivative_source=None) -> str:
    text = f"\nprogram:\n{source}\nx = {np.asarray(x).tolist()!r}\ny = {np.asarray(y).tolist()!r}\n"
    if derivative_source is not None:
        text += f"\nad.source(df):\n{derivative_source}\n"
    return text


def attempt(function, *args, **kwargs):
    """`(function(...), None)`, or `(None, the end of the traceback)` if it raised.

    The caller raises its AssertionError outside any `except` block: a chained
    exception would carry the generated code's line numbers, which hypothesis
    would take for a different failure on every example (and call it flaky)."""
    try:
        return function(*args, **kwargs), None
    except Exception as err:
        lines = traceback.format_exception(type(err), err, err.__traceback__)
        return None, "".join(lines[-4:])


def check_against_torch(program, directory) -> bool:
    """The property; False (checked nothing) when torch cannot judge the example.

    Each kind of failure is raised from a line of its own, so that hypothesis
    shrinks and reports one example of each."""
    arrays, source, x, y = program
    expected_value, expected_dx, expected_dy, trusted = torch_value_and_grads(source, x, y)
    if not trusted:
        return False
    arguments = (lambda: (np.copy(x), np.copy(y))) if arrays else (lambda: (x, y))

    f = load_numpy_function(source, directory)
    problem = mismatch(f(*arguments()), expected_value)
    if problem:
        raise AssertionError("the program's own value differs from torch's, so the torch "
                             f"oracle is wrong: {problem}" + describe(source, x, y))

    df, error = attempt(ad.grad, f, wrt=(0, 1))
    if error:
        raise AssertionError("adcompiler failed to compile the program:\n" + error
                             + describe(source, x, y))
    gradients, error = attempt(df, *arguments())
    if error:
        raise AssertionError("the generated gradient raised:\n" + error
                             + describe(source, x, y, ad.source(df)))
    for label, got, expected, argument in zip("xy", gradients, (expected_dx, expected_dy), (x, y)):
        if type(got) is not type(argument):
            raise AssertionError(f"d/d{label} is a {type(got).__name__}, but {label} is a "
                                 f"{type(argument).__name__}" + describe(source, x, y, ad.source(df)))
        problem = mismatch(got, expected)
        if problem:
            raise AssertionError(f"d/d{label} differs from torch: {problem}"
                                 + describe(source, x, y, ad.source(df)))
    # A derivative never computes a different function: value_and_grad's value
    # is what the program itself returns.
    result, error = attempt(ad.value_and_grad(f, wrt=(0, 1)), *arguments())
    if error:
        raise AssertionError("value_and_grad raised:\n" + error + describe(source, x, y))
    problem = mismatch(result[0], f(*arguments()))
    if problem:
        raise AssertionError(f"value_and_grad's value is not the program's: {problem}"
                             + describe(source, x, y))
    # Forward mode along a fixed direction: the tangent is <gradient, direction>.
    directions = (np.full_like(x, 0.5), np.full_like(y, -0.25)) if arrays else (0.5, -0.25)
    jvp_f, error = attempt(ad.jvp, f, wrt=(0, 1))
    if error:
        raise AssertionError("adcompiler failed to compile the program in forward mode:\n"
                             + error + describe(source, x, y))
    result, error = attempt(jvp_f, tuple(arguments()), tuple(directions))
    if error:
        raise AssertionError("the generated jvp raised:\n" + error
                             + describe(source, x, y, ad.source(jvp_f)))
    expected_tangent = sum(np.sum(np.asarray(g) * d)
                           for g, d in zip((expected_dx, expected_dy), directions))
    problem = mismatch(result[1], expected_tangent)
    if problem:
        raise AssertionError(f"the jvp differs from torch's gradients: {problem}"
                             + describe(source, x, y, ad.source(jvp_f)))
    return True


def check_second_order(program, directory) -> bool:
    """adcompiler's derivatives of its own derivative code against torch's:
    hvp along a fixed direction, and (for floats) grad(grad(f)). False when
    torch cannot judge the example."""
    arrays, source, x, y = program
    *_, trusted = torch_value_and_grads(source, x, y)
    if not trusted:
        return False
    directions = (np.full_like(x, 0.5), np.full_like(y, -0.25)) if arrays else (0.5, -0.25)
    expected_product, expected_xx = torch_second_order(source, x, y, directions)
    if max(np.max(np.abs(expected_product[0])), np.max(np.abs(expected_product[1])),
           np.max(np.abs(expected_xx))) > LIMIT:
        return False
    f = load_numpy_function(source, directory)
    product, error = attempt(lambda: ad.hvp(f, wrt=(0, 1))((x, y), directions))
    if error:
        raise AssertionError("the hvp raised:\n" + error + describe(source, x, y))
    for label, got, expected in zip("xy", product, expected_product):
        problem = mismatch(got, expected)
        if problem:
            raise AssertionError(f"the hvp's d/d{label} block differs from torch: {problem}"
                                 + describe(source, x, y))
    if not arrays:
        second, error = attempt(lambda: ad.grad(ad.grad(f))(x, y))
        if error:
            raise AssertionError("grad(grad(f)) raised:\n" + error + describe(source, x, y))
        problem = mismatch(second, expected_xx)
        if problem:
            raise AssertionError(f"grad(grad(f)) differs from torch: {problem}"
                                 + describe(source, x, y))
    return True


# Reproducible in CI: a fixed sequence of examples, no example database, and no
# "explain" phase (it re-runs failing examples under a tracer).
SETTINGS = dict(deadline=None, derandomize=True, database=None,
                phases=(Phase.explicit, Phase.generate, Phase.shrink),
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                       HealthCheck.data_too_large])


@pytest.mark.slow
@settings(max_examples=500, **SETTINGS)
@given(program=programs(control_flow=False))
def test_straight_line_programs_match_torch(program, program_dir):
    note(program[1])
    assume(check_against_torch(program, program_dir))


@pytest.mark.slow
@settings(max_examples=200, **SETTINGS)
@given(program=programs(control_flow=True))
def test_programs_with_loops_and_branches_match_torch(program, program_dir):
    note(program[1])
    assume(check_against_torch(program, program_dir))


@pytest.mark.slow
@settings(max_examples=100, **SETTINGS)
@given(program=programs(control_flow=True))
def test_derivatives_of_derivatives_match_torch(program, program_dir):
    note(program[1])
    assume(check_second_order(program, program_dir))


# -- regressions ----------------------------------------------------------------

def regression(arrays: bool, *lines: str):
    """A fixed example: the program `def f(x, y):` + lines, and fixed inputs."""
    source = "def f(x, y):\n" + "".join(f"    {line}\n" for line in lines)
    if arrays:
        return arrays, source, np.array([0.5, -1.0, 1.5]), np.array([0.1, 0.2, -0.1])
    return arrays, source, 0.5, 0.25


# Programs the tests above once found wrong, shrunk. They run as tests of their
# own, so that a known bug does not stop the random search for new ones.
REGRESSIONS = {
    # A negative constant lost its parentheses: (-1.5) ** 2 was printed as -1.5 ** 2.
    "negative-constant-power": regression(
        False, "v0 = (y / (1.0 + (-1.5) ** 2))", "return v0"),
    # A parameter overwritten when the result does not depend on the inputs was
    # not restored, so its gradient took the type of the new value.
    "overwritten-parameter-inactive-result": regression(
        True, "v0 = 0.5", "y = v0", "return np.sum(v0)"),
    # A variable changing shape: `v0 = v0 + y` unbroadcast the adjoint to the new
    # value of v0 (an array) instead of the old one (a scalar).
    "shape-change": regression(
        True, "v0 = np.sum(y)", "v0 = (v0 + y)", "return np.sum(v0)"),
    "shape-change-where": regression(
        True, "v0 = np.sum(x)", "v0 = np.where(v0 > 0.5, v0, y)", "return np.sum(v0)"),
    "shape-change-while": regression(
        True, "v0 = y", "n1 = 0", "while np.sum(v0 * v0) < 1.0 and n1 < 5:",
        "    v0 = np.sum(v0)", "    v0 = (v0 + y)", "    n1 = n1 + 1", "return np.sum(v0)"),
    "shape-change-accumulator": regression(
        True, "acc0 = np.mean(y)", "for i1 in range(2):", "    acc0 = (acc0 + x)",
        "return np.sum(acc0)"),
    # A value overwritten inside a loop by a constant was not saved, so the
    # adjoint sweep read the constant instead of the value before the loop.
    "overwritten-in-for": regression(
        True, "v0 = (x * y)", "for i1 in range(1):", "    x = 0.5", "return np.sum(v0)"),
    "overwritten-in-while": regression(
        True, "v0 = (y + y)", "n0 = 0", "while np.sum(x * x) < 4.0 and n0 < 5:",
        "    x = 0.5", "    n0 = n0 + 1", "return np.sum(v0)"),
    # A variable active elsewhere, given an item popped from a list of loop
    # indices (no derivative): reverse mode asked for a rule for .pop(), forward
    # mode popped a tangent list that was never made.
    "pop-from-a-list-of-indices": regression(
        False, "v0 = y", "hs1 = []", "for i2 in range(1):", "    hs1.append(i2)",
        "v3 = hs1.pop()", "v3 = (v3 + v0)", "return v3"),
    # A self-copy made a parameter look like a loop range (a variable defined
    # only from range-like values), which carries no derivative.
    "self-copy-of-parameter": regression(False, "y = y", "v0 = y", "return v0"),
}


@pytest.mark.parametrize("program", REGRESSIONS.values(), ids=REGRESSIONS.keys())
def test_regressions_match_torch(program, program_dir):
    assert check_against_torch(program, program_dir), "torch cannot judge this example"


# Found by the patterns added for issue #17, shrunk.
REGRESSIONS_ORDER_TWO = {
    # A value only one branch binds, read by the adjoint sweep to shape a zero
    # where the branches merge: grad(grad(f)) raised UnboundLocalError.
    "zero-of-a-value-one-branch-binds": regression(
        False, "if y > 0.0:", "    t1 = y", "elif x < y:", "    t1 = (math.cos(x) ** 2)",
        "v2 = [0.5 for k3, c4 in enumerate([y, (y if y < t1 else 0.5)]) if k3 != 1]",
        "v2 = sum(v2) + v2[0]", "return v2 + t1 + x"),
    "dict-gaining-a-key": regression(
        True, 'd0 = {"a": x, "b": 2.0}', 'd0["c"] = (y * d0["b"])',
        'v1 = (d0["a"] * d0["c"] + d0["b"])', "return np.sum(v1)"),
    "if-elif-chain-returning-a-constant": regression(
        False, "v0 = x * y", "if x > 3.0:", "    return v0", "elif y > 0.0:",
        "    return math.sin(v0)", "else:", "    return 0.5"),
    "slice-of-a-list-read-in-a-loop": regression(
        True, "hs0 = [y]", "for i1 in range(2):", "    hs0.append(np.tanh(x * y))",
        "v2 = 0.0", "for h3 in hs0[1:]:", "    v2 = (v2 + h3 * h3)", "return np.sum(v2)"),
    "filtered-sum-selecting-nothing": regression(
        True, "v0 = sum([c1 * y for c1 in [x, (x * 2.0)] if np.sum(c1) > 100.0], (x * 0.5))",
        "return np.sum(v0 * y)"),
    # The hvp of a function of floats is the jvp of its gradient's variant for
    # numbers; a zero tangent of that gradient (a tuple) was a plain 0.0.
    "hvp-of-floats-with-a-zero-gradient": regression(
        False, "for i0 in range(0):", "    y = x", "return y"),
}


@pytest.mark.parametrize("program", REGRESSIONS_ORDER_TWO.values(),
                         ids=REGRESSIONS_ORDER_TWO.keys())
def test_regressions_of_order_two_match_torch(program, program_dir):
    assert check_against_torch(program, program_dir), "torch cannot judge this example"
    assert check_second_order(program, program_dir), "torch cannot judge this example"
