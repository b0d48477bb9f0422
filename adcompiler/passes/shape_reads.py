"""Shape reads: drop the primal values a derivative computes only to read
their shape.

Input and output: a generated FunctionDef (before simplify) and the context
that generated it. A gradient needs the values of its primal sweep that its
adjoint formulas read; some it reads only for their type, shape and dtype:
the seed of the result (`scalar_seed`) and the second argument of the helpers
that spread or sum an adjoint to an operand's shape (`sum_adjoint`,
`mean_adjoint`, `unbroadcast`, `broadcast_like`). When such a value is, in
the function's top-level code, a shape- and dtype-preserving function of
another one, the helper reads that one instead, and the value, read by
nothing else, is not computed:

    _t3 = np.exp(_t1 * z)                      _t3 = np.exp(_t1 * z)
    _t4 = np.log1p(_t3)                        d_t5 = mean_seed(_t3, '...')
    _t5 = np.mean(_t4)                  ->     d_t4 = mean_adjoint(d_t5, _t3, None, False)
    d_t5 = scalar_seed(_t5, '...')             ...
    d_t4 = mean_adjoint(d_t5, _t4, None, False)

(logistic regression's loss: a mean and a log1p over N values, 30% of its
gradient's time, computed for nothing.)

The rewrites, each exact (the helpers see a value of the same type, shape and
dtype, so they return the same thing):
  * `scalar_seed(R, where)` with `R = np.sum(A)` or `np.mean(A)` (all axes)
    read by nothing else (and A not bound again in between) becomes
    `sum_seed(A, where)` or `mean_seed(A, where)`, which
    knows the seed from A's type and computes the reduction only when it does
    not (runtime/core.py);
  * a shape read of `N` with `N = u(M)` becomes a read of `M`, when u keeps
    the dtype of an inexact (floating or complex) value (np.exp, np.log1p,
    np.tanh, -M, M * 2.0, ...: NUMPY_SAME_DTYPE) and M is known to be
    inexact: the result of np.exp, np.log, a true division, ...
    (NUMPY_INEXACT), or of u applied to such a value. (On integers these
    functions change the dtype: np.exp of int8 values is float16.)
Only names bound once in the function, at its top level (not in a loop or a
branch), are followed: their value is the same wherever they are read. An
assignment whose target these rewrites left unread, and whose value is one of
these operations, is removed.
"""

from __future__ import annotations

import collections

import gast
import numpy as np

from .. import nodes
from ..context import HELPER_OBJECTS, Context

# The argument each helper reads for its type and shape alone.
SHAPE_ARGUMENTS = {"sum_adjoint": 1, "mean_adjoint": 1, "unbroadcast": 1, "broadcast_like": 1,
                   "sum_seed": 0, "mean_seed": 0}

# Unary ufuncs whose result has the shape of their argument and, for an inexact
# argument, its dtype.
NUMPY_SAME_DTYPE = {id(f) for f in (
    np.exp, np.expm1, np.exp2, np.log, np.log1p, np.log2, np.log10, np.sqrt, np.sin, np.cos,
    np.tan, np.arcsin, np.arccos, np.arctan, np.sinh, np.cosh, np.tanh, np.arcsinh,
    np.arccosh, np.arctanh, np.negative, np.positive, np.square, np.reciprocal, np.conjugate)}
# Those whose result is inexact whatever their argument.
NUMPY_INEXACT = NUMPY_SAME_DTYPE - {id(f) for f in (
    np.negative, np.positive, np.square, np.reciprocal, np.conjugate)}

_ARITHMETIC = (gast.Add, gast.Sub, gast.Mult, gast.Div, gast.Pow)


def drop_shape_reads(function: gast.FunctionDef, ctx: Context,
                     counts: nodes.NameCounts | None = None) -> gast.FunctionDef:
    """Rewrite `function`, generated in `ctx`, in place (see the module docstring).
    `counts`, the function's NameCounts, are kept exact (counted here when None).

    Example: `_t2 = np.tanh(_t1); dx = unbroadcast(g, _t2)` -> `dx = unbroadcast(g, _t1)`
    when `_t1 = np.exp(x)`."""
    _ShapeReads(function, ctx, counts if counts is not None else nodes.NameCounts(function)).run()
    return function


class _ShapeReads:
    def __init__(self, function: gast.FunctionDef, ctx: Context, counts: nodes.NameCounts):
        self.function = function
        self.ctx = ctx
        aliases = self.aliases = ctx.aliases
        self.np_names = {alias for name, alias in aliases.items() if name == "np"}
        # One walk found the calls, the bindings and the reads of each name;
        # the rewrites keep them counted (`_reads_instead`, `_remove_unread`).
        self.counts = counts
        stores, self.loads, self.calls = counts.stores, counts.loads, list(counts.calls)
        # name -> the statement binding it, for names bound once, at the top level.
        self.definitions = {
            stmt.targets[0].id: stmt for stmt in function.body
            if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and
            isinstance(stmt.targets[0], gast.Name) and stores[stmt.targets[0].id] == 1}
        self.bound_once = {name for name, count in stores.items() if count == 1}
        self.unread: set = set()   # names some rewrite took a read away from

    def run(self) -> None:
        self._reduction_seeds()
        helpers = {self.aliases[name]: name for name in SHAPE_ARGUMENTS if name in self.aliases}
        # The calls as they stand: the seeds' rewrite above changed no call's place.
        for call in self.calls:
            if isinstance(call.func, gast.Name) and call.func.id in helpers:
                position = SHAPE_ARGUMENTS[helpers[call.func.id]]
                if position < len(call.args) and isinstance(call.args[position], gast.Name):
                    read = call.args[position].id
                    witness = self._witness(read)
                    if witness != read:
                        self._reads_instead(read, witness)
                    call.args[position] = nodes.name(witness)
        self._remove_unread()

    # -- what a call applies --------------------------------------------------
    def _callee(self, func):
        value = nodes.annotation(func, "value", None)
        if value is not None:
            return value
        if isinstance(func, gast.Attribute) and isinstance(func.value, gast.Name) and \
                func.value.id in self.np_names:
            return getattr(HELPER_OBJECTS["np"], func.attr, None)
        return None

    def _unary_operand(self, rhs):
        """M when `rhs` is a call of one of NUMPY_SAME_DTYPE, -M or M op number;
        None otherwise."""
        if isinstance(rhs, gast.Call) and len(rhs.args) == 1 and not rhs.keywords and \
                isinstance(rhs.args[0], gast.Name) and \
                id(self._callee(rhs.func)) in NUMPY_SAME_DTYPE:
            return rhs.args[0].id
        if isinstance(rhs, gast.UnaryOp) and isinstance(rhs.op, gast.USub) and \
                isinstance(rhs.operand, gast.Name):
            return rhs.operand.id
        if isinstance(rhs, gast.BinOp) and isinstance(rhs.op, _ARITHMETIC):
            for operand, other in ((rhs.left, rhs.right), (rhs.right, rhs.left)):
                if isinstance(operand, gast.Name) and isinstance(other, gast.Constant) and \
                        type(other.value) in (int, float):
                    return operand.id
        return None

    def _inexact(self, name: str, depth: int = 0) -> bool:
        stmt = self.definitions.get(name)
        if stmt is None or depth > 50:
            return False
        rhs = stmt.value
        if isinstance(rhs, gast.BinOp) and isinstance(rhs.op, gast.Div):
            return True
        if isinstance(rhs, gast.Call) and id(self._callee(rhs.func)) in NUMPY_INEXACT:
            return True
        operand = self._unary_operand(rhs)
        return operand is not None and self._inexact(operand, depth + 1)

    def _witness(self, name: str) -> str:
        """The value to read `name`'s shape from: the start of its chain of
        shape- and dtype-preserving operations on an inexact value."""
        witness = name
        while witness in self.definitions:
            operand = self._unary_operand(self.definitions[witness].value)
            if operand is None or operand not in self.bound_once or not self._inexact(operand):
                break
            self.unread.add(witness)
            witness = operand
        return witness

    # -- the seed -------------------------------------------------------------
    def _reduction_seeds(self) -> None:
        seed = self.aliases.get("scalar_seed")
        loads = collections.Counter(self.loads)  # as they were before these rewrites
        for stmt in self.function.body:
            call = stmt.value if isinstance(stmt, gast.Assign) else None
            if not (isinstance(call, gast.Call) and isinstance(call.func, gast.Name) and
                    call.func.id == seed and seed is not None and len(call.args) == 2 and
                    isinstance(call.args[0], gast.Name)):
                continue
            result = call.args[0].id
            reduced = self.definitions.get(result)
            if reduced is None or loads[result] != 1:
                continue
            rhs = reduced.value
            callee = self._callee(rhs.func) if isinstance(rhs, gast.Call) else None
            if not (callee is np.sum or callee is np.mean) or rhs.keywords or \
                    len(rhs.args) != 1 or not isinstance(rhs.args[0], gast.Name) or \
                    not self._unchanged_between(rhs.args[0].id, reduced, stmt):
                continue
            helper = self.ctx.helper("mean_seed" if callee is np.mean else "sum_seed")
            self._reads_instead(call.func.id, helper)
            call.func = nodes.name(helper)
            self._reads_instead(result, rhs.args[0].id)
            call.args = [nodes.name(rhs.args[0].id), call.args[1]]
            self.unread.add(result)

    def _unchanged_between(self, name: str, first, last) -> bool:
        """Whether `name` holds the same value at top-level statements `first`
        and `last`: bound once, or bound by no statement between them."""
        if name in self.bound_once:
            return True
        body = self.function.body
        start, end = body.index(first), body.index(last)
        return start < end and not any(name in nodes.names_stored(stmt)
                                       for stmt in body[start + 1:end])

    # -- what is left unread ----------------------------------------------------
    def _reads_instead(self, old: str, new: str) -> None:
        """A read of `old` became a read of `new`: keep `self.loads` counting."""
        self.loads[old] -= 1
        self.loads[new] += 1

    def _remove_unread(self) -> None:
        loads = self.loads
        removed = set()
        pending = set(self.unread)
        while pending:
            name = pending.pop()
            stmt = self.definitions.get(name)
            if stmt is None or loads[name] or name in removed:
                continue
            rhs = stmt.value
            operand = self._unary_operand(rhs)
            callee = self._callee(rhs.func) if isinstance(rhs, gast.Call) else None
            if operand is None and not ((callee is np.sum or callee is np.mean) and
                                        not rhs.keywords and len(rhs.args) == 1 and
                                        isinstance(rhs.args[0], gast.Name)):
                continue
            removed.add(name)
            for read in nodes.names_loaded(rhs):
                loads[read] -= 1
                pending.add(read)
        for name in removed:
            self.counts.stores[name] -= 1  # bound once, by the statement removed
        if removed:
            self.function.body = [
                stmt for stmt in self.function.body
                if not (isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and
                        isinstance(stmt.targets[0], gast.Name) and
                        stmt.targets[0].id in removed and
                        self.definitions.get(stmt.targets[0].id) is stmt)]
