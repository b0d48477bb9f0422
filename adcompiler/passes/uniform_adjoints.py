"""Uniform adjoints: the adjoint of a full sum or mean stays one number when
its only use broadcasts it anyway.

Input and output: a generated FunctionDef (after shape_reads.py, before
simplify) and the context that generated it. The adjoint of `np.sum(a)` or
`np.mean(a)` over all axes is an array of a's shape holding one value
everywhere (`sum_adjoint(g, a, None, False)` fills it). When the only read of
that array combines it elementwise with an array that has, by construction,
a's shape and dtype (`a` itself, `1 + a`, `np.exp(a)`, ...), the number alone
gives the same array:

    d_t4 = mean_adjoint(d_t5, _t3, None, False)      d_t4 = uniform_mean_adjoint(d_t5, _t3)
    d_t3 = divide(d_t4, 1 + _t3)               ->    d_t3 = divide(d_t4, 1 + _t3)

`uniform_mean_adjoint` and `uniform_sum_adjoint` (runtime/core.py) return
the number only for a float adjoint and a float64 array, where the operand
built from the array is float64 too, so the elementwise result has the same
shape, dtype and bits as with the filled array; for anything else they fill
the array as before. (Logistic regression's gradient: one array of N values
less to fill.)

Rewritten only when the adjoint is bound once, at the function's top level,
and read once, as an operand of `+ - * /` (or `divide`) in a top-level assignment whose
other operand is built from the same array by numbers and dtype-preserving
ufuncs (shape_reads.NUMPY_SAME_DTYPE), the array not being bound again in
between.
"""

from __future__ import annotations

import gast
import numpy as np

from .. import nodes
from ..context import HELPER_OBJECTS, Context
from .shape_reads import NUMPY_SAME_DTYPE

_ELEMENTWISE = (gast.Add, gast.Sub, gast.Mult, gast.Div)
_UNIFORM = {"sum_adjoint": "uniform_sum_adjoint", "mean_adjoint": "uniform_mean_adjoint"}
_OPERATOR_HELPERS = {"divide": gast.Div(), "power": gast.Pow()}


def uniform_adjoints(function: gast.FunctionDef, ctx: Context,
                     counts: nodes.NameCounts | None = None) -> gast.FunctionDef:
    """Rewrite `function`, generated in `ctx`, in place (see the module docstring).
    `counts`, the function's NameCounts if known, are kept exact.

    Example: `d = sum_adjoint(g, a, None, False); e = d * a` -> `d = uniform_sum_adjoint(g, a)`."""
    helpers = {ctx.aliases[name]: name for name in _UNIFORM if name in ctx.aliases}
    if not helpers:
        return function
    np_names = {alias for name, alias in ctx.aliases.items() if name == "np"}
    # Rule templates write `/` and `**` as divide(a, b) and power(a, b): the
    # operators, with NumPy's inf and nan for Python numbers.
    operators = {ctx.aliases[name]: op for name, op in _OPERATOR_HELPERS.items()
                 if name in ctx.aliases}
    stores = loads = None  # read at the first candidate
    body = function.body
    for position, stmt in enumerate(body):
        call = stmt.value if _assigns_name(stmt) else None
        if not (isinstance(call, gast.Call) and isinstance(call.func, gast.Name) and
                call.func.id in helpers and len(call.args) == 4 and not call.keywords and
                isinstance(call.args[1], gast.Name) and nodes.is_none(call.args[2]) and
                isinstance(call.args[3], gast.Constant) and call.args[3].value is False):
            continue
        adjoint, array = stmt.targets[0].id, call.args[1].id
        if stores is None:
            if counts is None:
                counts = nodes.NameCounts(function)
            stores, loads = counts.stores, counts.loads
        if stores[adjoint] != 1 or loads[adjoint] != 1:
            continue
        use = _single_use(body, position, adjoint, operators)
        if use is None or any(array in nodes.names_stored(between)
                              for between in body[position + 1:use]):
            continue
        rhs = _operation(body[use].value, operators)
        other = rhs.right if isinstance(rhs.left, gast.Name) and rhs.left.id == adjoint \
            else rhs.left
        if not _built_from(other, array, np_names, operators):
            continue
        uniform = ctx.helper(_UNIFORM[helpers[call.func.id]])
        counts.read_instead(call.func.id, uniform)
        call.func = nodes.name(uniform)
        call.args = call.args[:2]
    return function


def _assigns_name(stmt) -> bool:
    return isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and \
        isinstance(stmt.targets[0], gast.Name)


def _operation(node, operators: dict):
    """`node` as a BinOp when it is one, or divide(a, b) / power(a, b)."""
    if isinstance(node, gast.Call) and isinstance(node.func, gast.Name) and \
            node.func.id in operators and len(node.args) == 2 and not node.keywords:
        return gast.BinOp(left=node.args[0], op=operators[node.func.id], right=node.args[1])
    return node


def _single_use(body: list, start: int, name: str, operators: dict):
    """The position of the top-level assignment after `start` whose value is
    `name op x` or `x op name` (op elementwise); None if the read is elsewhere."""
    for position in range(start + 1, len(body)):
        stmt = body[position]
        if name not in nodes.names_loaded(stmt):
            continue
        rhs = _operation(stmt.value, operators) if _assigns_name(stmt) else None
        if isinstance(rhs, gast.BinOp) and isinstance(rhs.op, _ELEMENTWISE) and any(
                isinstance(side, gast.Name) and side.id == name
                for side in (rhs.left, rhs.right)):
            return position
        return None
    return None


def _built_from(node, array: str, np_names: set, operators: dict) -> bool:
    """Whether `node` has the shape and dtype of `array` (a float64 array) by
    construction: the array, numbers combined with it, dtype-preserving ufuncs."""
    node = _operation(node, operators)
    if isinstance(node, gast.Name):
        return node.id == array
    if isinstance(node, gast.BinOp) and isinstance(node.op, _ELEMENTWISE + (gast.Pow,)):
        sides = (node.left, node.right)
        numbers = [s for s in sides if isinstance(s, gast.Constant) and
                   type(s.value) in (int, float)]
        rest = [s for s in sides if s not in numbers]
        return bool(numbers) and len(rest) == 1 and \
            _built_from(rest[0], array, np_names, operators) or \
            (not numbers and all(_built_from(s, array, np_names, operators) for s in sides))
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub):
        return _built_from(node.operand, array, np_names, operators)
    if isinstance(node, gast.Call) and len(node.args) == 1 and not node.keywords:
        func = node.func
        value = nodes.annotation(func, "value", None)
        if value is None and isinstance(func, gast.Attribute) and \
                isinstance(func.value, gast.Name) and func.value.id in np_names:
            value = getattr(HELPER_OBJECTS["np"], func.attr, None)
        return id(value) in NUMPY_SAME_DTYPE and value is not np.reciprocal and \
            _built_from(node.args[0], array, np_names, operators)
    return False
