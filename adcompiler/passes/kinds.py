"""Kinds: is this an elementwise program, whose values are all scalars when
its arguments are?

Input: a normalised FunctionDef. Output: True when every operation in it is
elementwise (Python operators other than `@`, pointwise rules such as
`math.sin` or `np.tanh`, comparisons, non-differentiable helpers such as
`range`, and calls to user functions). Called with Python numbers, such a
program computes Python numbers only, so its adjoint needs no broadcasting
(`unbroadcast`), no zero arrays (`zeros_like` is `0.0`), and no saved values
kept only for their shape. reverse_backend.py then compiles a variant for Python
numbers beside the general one.

    def f(x, y):                  elementwise: True
        s = math.sin(x) * y
        return s + 1.0
    def g(x):                     elementwise: False (np.sum reduces)
        return np.sum(x * x)
"""

from __future__ import annotations

import gast
import numpy as np

from .. import nodes
from ..runtime import core as runtime_core
from ..rules import registry
from .activity import is_user_function
from .anf import primitive_of

# Helpers of generated code that give each value the type of another (and so
# keep Python numbers Python numbers): no broadcasting to undo.
_SHAPE_KEEPING = (runtime_core.as_gradient, runtime_core.checked_seed,
                  runtime_core.in_place_result)


def _elementwise_rhs(rhs: gast.AST, ranges) -> bool:
    if isinstance(rhs, (gast.Name, gast.Constant, gast.Compare)):
        return True
    if isinstance(rhs, gast.Subscript) and isinstance(rhs.value, gast.Name) and \
            rhs.value.id in ranges():
        return True  # an index read from a range (a lowered loop's counter)
    if nodes.list_method(rhs, "append") or nodes.list_method(rhs, "pop") or (
            isinstance(rhs, gast.List) and not rhs.elts):
        return True  # a stack of values (generated code's _stack), not an array operation
    if isinstance(rhs, (gast.BinOp, gast.UnaryOp, gast.Call)):
        primitive = primitive_of(rhs)
        if primitive is range or is_user_function(primitive) or primitive in _SHAPE_KEEPING:
            return True
        rule = registry.lookup(primitive) if primitive is not None else None
        return rule is not None and (rule.pointwise or not rule.differentiable)
    return False


def _ranges(function: gast.FunctionDef) -> set:
    """The names bound to a range, or to a slice of one (generated adjoint
    loops run over `_range[::-1]`)."""
    ranges = {node.targets[0].id for node in nodes.walk(function)
              if isinstance(node, gast.Assign) and isinstance(node.value, gast.Call)
              and primitive_of(node.value) is range}
    ranges |= {node.targets[0].id for node in nodes.walk(function)
               if isinstance(node, gast.Assign) and isinstance(node.value, gast.Subscript)
               and isinstance(node.value.slice, gast.Slice)
               and isinstance(node.value.value, gast.Name) and node.value.value.id in ranges}
    return ranges


def is_elementwise_program(function: gast.FunctionDef) -> bool:
    # The ranges are looked for only when a subscript asks: most programs that
    # are not elementwise show it within their first few statements, and each
    # back end asks this of the whole function, generated code ten times the
    # function's length included (issue #13).
    found = []

    def ranges() -> set:
        if not found:
            found.append(_ranges(function))
        return found[0]

    for node in nodes.walk(function):
        # A module-level array (x * W) makes arrays of numbers: broadcasting again.
        if isinstance(node, (gast.Name, gast.Attribute)) and isinstance(
                nodes.annotation(node, "value", None), (np.ndarray, list, tuple, dict)):
            return False
        if isinstance(node, gast.Assign) and not _elementwise_rhs(node.value, ranges):
            return False
        if isinstance(node, gast.Expr) and isinstance(node.value, gast.Call) and \
                not _elementwise_rhs(node.value, ranges):
            return False
    return True
