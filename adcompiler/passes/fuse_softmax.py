"""Fuse softmax: recognise a softmax written out in NumPy and compute it as one
operation, whose derivative is the algebraic one.

Input and output: a normalised FunctionDef (anf.py), before activity. The
statements of

    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    p = e / np.sum(e, axis=-1, keepdims=True)

(normalised: `_t1 = np.max(x, ...)`, `_t2 = x - _t1`, `e = np.exp(_t2)`,
`_t3 = np.sum(e, ...)`, `p = e / _t3`) become `p = softmax(x, -1, 'max')`
(runtime/core.py), which computes the same NumPy calls in the same order, so
`p` is the same array bit for bit. Its rule (rules/runtime_rules.py) gives the
vector-Jacobian product `p * (g - sum(g * p, axis, keepdims=True))`: one
product, one sum and one subtraction, where the chain rule through the written
operations takes the adjoints of the division, the sum, the exponential, the
subtraction and the maximum (whose share of the derivative is zero
mathematically and round-off numerically: softmax does not change when a
value constant along its axis is subtracted).

Recognised, along `axis` (None: all axes, the sum without keepdims; an
integer or a tuple of integers: the sum with keepdims=True):

    exp(x) / sum(exp(x))                      shift None
    exp(x - max(x)) / sum(...)                shift 'max'      (max over all axes,
    exp(x - max(x, axis, keepdims=True)) / ...  shift 'max'     or along `axis`)
    exp(x - max(x)) / sum(..., axis, keepdims=True)   shift 'max_all'

with `np.exp` taken once (`e` read by the sum and the division) or twice on the
same value. Sound because the rewrite happens only when every intermediate
(the shifted values, the exponentials, the sum, the maximum) is bound once in
the function and read by nothing but these statements, and the statements are
consecutive in one block (nothing runs between them that could change `x`):
nothing else can observe that the intermediates are gone. Any other shape of
code (a maximum along another axis, `dtype=` or `where=` arguments, an
exponential read elsewhere) is left as written and differentiated by the
chain rule.
"""

from __future__ import annotations

import collections

import gast
import numpy as np

from .. import nodes
from ..context import Context
from ..runtime import core as runtime_core

_MAXIMA = {id(np.max), id(np.amax)}
_NOT_LITERAL = object()


def fuse_softmax(function: gast.FunctionDef, ctx: Context) -> gast.FunctionDef:
    """Rewrite every softmax written out in `function`'s body (see the module
    docstring). Example: `e = np.exp(x); p = e / np.sum(e)` -> `p = softmax(x, None, None)`."""
    if not _divides_an_exponential(function):
        return function  # most functions: a look at the statements, not three walks
    fuser = _Fuser(function, ctx)
    fuser.block(function.body)
    return function


def _divides_an_exponential(function: gast.FunctionDef) -> bool:
    """Whether a statement divides a name bound to `np.exp(name)` by a name:
    the division every softmax _Fuser._match recognises ends with."""
    assignments = [stmt for stmt in nodes.statements(function)
                   if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and
                   isinstance(stmt.targets[0], gast.Name)]
    exponentials = {stmt.targets[0].id for stmt in assignments if _exp_of(stmt.value)}
    return bool(exponentials) and any(
        isinstance(stmt.value, gast.BinOp) and isinstance(stmt.value.op, gast.Div) and
        isinstance(stmt.value.left, gast.Name) and stmt.value.left.id in exponentials and
        isinstance(stmt.value.right, gast.Name) for stmt in assignments)


def _literal(node):
    """The value of an integer, a negative integer, a tuple of them or None."""
    if isinstance(node, gast.Constant) and (node.value is None or (
            isinstance(node.value, int) and not isinstance(node.value, bool))):
        return node.value
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub):
        value = _literal(node.operand)
        return -value if isinstance(value, int) else _NOT_LITERAL
    if isinstance(node, gast.Tuple):
        values = tuple(_literal(e) for e in node.elts)
        return values if values and all(isinstance(v, int) for v in values) else _NOT_LITERAL
    return _NOT_LITERAL


def _reduction(rhs, function):
    """For `function(a[, axis][, axis=..., keepdims=...])`: (a, axis, keepdims)
    with a a name and axis, keepdims literals; None for anything else."""
    if not (isinstance(rhs, gast.Call) and id(nodes.annotation(rhs.func, "value", None)) in
            function):
        return None
    if not rhs.args or len(rhs.args) > 2 or not isinstance(rhs.args[0], gast.Name):
        return None
    axis = _literal(rhs.args[1]) if len(rhs.args) == 2 else None
    keepdims = False
    for keyword in rhs.keywords:
        if keyword.arg == "axis" and len(rhs.args) == 1:
            axis = _literal(keyword.value)
        elif keyword.arg == "keepdims" and isinstance(keyword.value, gast.Constant) and \
                isinstance(keyword.value.value, bool):
            keepdims = keyword.value.value
        else:
            return None
    if axis is _NOT_LITERAL:
        return None
    return rhs.args[0].id, axis, keepdims


def _exp_of(rhs):
    """The name `np.exp(name)` applies to, or None."""
    if isinstance(rhs, gast.Call) and nodes.annotation(rhs.func, "value", None) is np.exp \
            and len(rhs.args) == 1 and not rhs.keywords and isinstance(rhs.args[0], gast.Name):
        return rhs.args[0].id
    return None


class _Fuser:
    def __init__(self, function: gast.FunctionDef, ctx: Context):
        self.ctx = ctx
        self.stores = nodes.assignment_counts(function)
        self.loads = collections.Counter(
            n.id for n in nodes.name_nodes(function) if isinstance(n.ctx, gast.Load))
        # name -> the statement `name = ...` binding it, for the names bound once
        # (where `_definition` looks), and the current block's positions by
        # statement: looking a binding up is then not a search of the block
        # back from every division (quadratic in a Hessian's gradient code).
        self.bindings = {stmt.targets[0].id: stmt for stmt in nodes.statements(function)
                         if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and
                         isinstance(stmt.targets[0], gast.Name) and
                         self.stores[stmt.targets[0].id] == 1}
        self.positions: dict = {}

    def block(self, stmts: list) -> None:
        for stmt in stmts:
            for field in ("body", "orelse"):
                if isinstance(getattr(stmt, field, None), list):
                    self.block(getattr(stmt, field))
        self.positions = {id(stmt): position for position, stmt in enumerate(stmts)}
        index = 0
        while index < len(stmts):
            match = self._match(stmts, index)
            if match is None:
                index += 1
                continue
            first, replacement = match
            stmts[first:index + 1] = [replacement]
            self.bindings[replacement.targets[0].id] = replacement
            self.positions = {id(stmt): position for position, stmt in enumerate(stmts)}
            index = first + 1

    def _definition(self, stmts: list, end: int, name: str):
        """The position and value of the only binding of `name`, if it is an
        assignment in this block before position `end`."""
        if self.stores[name] != 1:
            return None
        stmt = self.bindings.get(name)
        position = self.positions.get(id(stmt)) if stmt is not None else None
        if position is None or position >= end or stmts[position] is not stmt:
            return None
        return position, stmt.value

    def _match(self, stmts: list, index: int):
        stmt = stmts[index]
        if not (isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and
                isinstance(stmt.targets[0], gast.Name) and isinstance(stmt.value, gast.BinOp)
                and isinstance(stmt.value.op, gast.Div) and
                isinstance(stmt.value.left, gast.Name) and isinstance(stmt.value.right, gast.Name)):
            return None
        numerator, total = stmt.value.left.id, stmt.value.right.id
        found_total = self._definition(stmts, index, total)
        found_numerator = self._definition(stmts, index, numerator)
        if found_total is None or found_numerator is None:
            return None
        summed = _reduction(found_total[1], {id(np.sum)})
        exponent = _exp_of(found_numerator[1])
        if summed is None or exponent is None:
            return None
        summed_name, axis, keepdims = summed
        if keepdims != (axis is not None):
            return None  # sum(e, axis) without keepdims does not broadcast back along axis
        used = {numerator: found_numerator[0], total: found_total[0]}
        if summed_name != numerator:
            found_summed = self._definition(stmts, index, summed_name)
            if found_summed is None or _exp_of(found_summed[1]) != exponent:
                return None
            used[summed_name] = found_summed[0]
        source, shift = exponent, None
        found_shifted = self._definition(stmts, index, exponent)
        if found_shifted is not None and isinstance(found_shifted[1], gast.BinOp) and \
                isinstance(found_shifted[1].op, gast.Sub) and \
                isinstance(found_shifted[1].left, gast.Name) and \
                isinstance(found_shifted[1].right, gast.Name):
            shifted = found_shifted[1]
            found_maximum = self._definition(stmts, index, shifted.right.id)
            maximum = _reduction(found_maximum[1], _MAXIMA) if found_maximum else None
            if maximum is not None and maximum[0] == shifted.left.id:
                shift = _shift(axis, maximum[1], maximum[2])
            if shift is not None:
                source = shifted.left.id
                used[exponent] = found_shifted[0]
                used[shifted.right.id] = found_maximum[0]
        target = stmt.targets[0].id
        if source in used or target in used:
            return None
        first = min(used.values())
        positions = set(used.values()) | {index}
        if any(position not in positions and not nodes.is_comment(stmts[position])
               for position in range(first, index)):
            return None  # something else runs among the statements
        # Every intermediate is read by these statements alone.
        reads = collections.Counter(
            n.id for position in positions for n in nodes.name_nodes(stmts[position])
            if isinstance(n.ctx, gast.Load))
        if any(self.loads[name] != reads[name] for name in used):
            return None
        reference = nodes.name(self.ctx.helper("softmax"))
        nodes.annotate(reference, "value", runtime_core.softmax)
        axis_node = nodes.tuple_([nodes.const(a) for a in axis]) if isinstance(axis, tuple) \
            else nodes.const(axis)
        call = nodes.call(reference, [nodes.name(source), axis_node, nodes.const(shift)])
        return first, nodes.copy_location(nodes.assign(target, call), stmt)


def _shift(axis, max_axis, max_keepdims):
    """How the maximum subtracted relates to the softmax's axes: 'max' when it
    is taken over the same axes, 'max_all' when over all of them (a constant),
    None when it varies along the axis (then it is no softmax shift)."""
    if max_axis is None and not max_keepdims:
        return "max" if axis is None else "max_all"
    if axis is not None and max_axis == axis and max_keepdims:
        return "max"
    return None
