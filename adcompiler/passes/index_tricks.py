"""Index tricks: np.r_[...] and np.c_[...] are calls.

Input: a resolved FunctionDef. Output: the same tree in which every read of
np.r_ or np.c_ indexed with items is a call of the runtime function that
computes it (runtime/index_tricks.py), the items in a tuple in their order,
each slice of constants written as the slice object NumPy receives (a slice
with a computed bound as the np.linspace or np.arange call NumPy makes of it,
whose rules differentiate the bounds), a list or tuple display as the array
NumPy makes of it:

    def f(x, c):                              def f(x, c):
        return np.r_[x, c, 1:10]      ->          return r_concatenate((x, c, slice(1, 10, None)))

rules/array_rules.py differentiates those calls. The directive strings that
make an np.matrix ('r', 'c') are refused here when written as constants (and
when the code runs otherwise); a starred item stays as written, refused where
a derivative reaches it. A function without np.r_ or np.c_ is unchanged.
"""

from __future__ import annotations

import builtins

import gast
import numpy as np

from .. import nodes
from ..errors import NoDerivativeRuleError
from ..runtime import index_tricks as runtime_index_tricks
from ..source import ParsedFunction
from .census import Census, everything_of

# What indexing each object computes, by the object's identity.
_CALLS = {id(np.r_): runtime_index_tricks.r_concatenate,
          id(np.c_): runtime_index_tricks.c_concatenate}


def index_tricks(parsed: ParsedFunction, census: Census | None = None) -> ParsedFunction:
    tree = parsed.tree
    if not any(isinstance(node, gast.Subscript) and _call_for(node) is not None
               for node in everything_of(tree, census)):
        return parsed
    if census is not None:
        census.forget()
    _Rewriter(parsed).visit(tree)
    return parsed


def _call_for(node: gast.Subscript):
    """The runtime function computing `node`, np.r_[...] or np.c_[...], or None."""
    value = nodes.annotation(node.value, "value", None)
    return _CALLS.get(id(value)) if value is not None else None


class _Rewriter(gast.NodeTransformer):
    def __init__(self, parsed: ParsedFunction):
        self.parsed = parsed

    def visit_Subscript(self, node: gast.Subscript):
        self.generic_visit(node)
        function = _call_for(node)
        if function is None or not isinstance(node.ctx, gast.Load):
            return node
        items = node.slice.elts if isinstance(node.slice, gast.Tuple) else [node.slice]
        if any(isinstance(item, gast.Starred) for item in items):
            return node
        self._refuse_matrix_directive(items, node)
        call = nodes.call(self._bound(function), [nodes.tuple_([self._item(i) for i in items])])
        return nodes.located(nodes.copy_location(call, node), node)

    def _item(self, item: gast.AST) -> gast.AST:
        if isinstance(item, gast.Slice):
            bounds = [nodes.const(None) if bound is None else bound
                      for bound in (item.lower, item.upper, item.step)]
            if all(_constant(bound) is not _NOT_CONSTANT for bound in bounds):
                return nodes.call(self._bound(builtins.slice), bounds)
            return self._slice_numbers(*bounds)
        if isinstance(item, (gast.List, gast.Tuple)):
            # NumPy makes an array of it (np.array(item, ndmin=...)); so do we,
            # through np.array's rule, for differentiated values in it.
            return nodes.call(self._bound(np.array), [item])
        return item

    def _slice_numbers(self, start, stop, step) -> gast.AST:
        """The numbers NumPy makes of a slice whose bounds are computed (they
        may carry a derivative, which a slice object would drop): with a
        constant step, the call NumPy makes, np.linspace(start, stop,
        int(abs(step))) for a complex step and np.arange(start, stop, step)
        otherwise (start 0 and step 1 where not given), whose rules
        differentiate the bounds; with a computed step, slice_numbers, whose
        rule refuses their derivative."""
        step_value = _constant(step)
        start = nodes.const(0) if _constant(start) is None else start
        if step_value is _NOT_CONSTANT:
            return nodes.call(self._bound(runtime_index_tricks.slice_numbers),
                              [start, stop, step])
        if isinstance(step_value, complex):
            return nodes.call(self._bound(np.linspace),
                              [start, stop, nodes.const(int(abs(step_value)))])
        step = nodes.const(1) if step_value is None else step
        return nodes.call(self._bound(np.arange), [start, stop, step])

    def _refuse_matrix_directive(self, items, node) -> None:
        first = items[0] if items else None
        if isinstance(first, gast.Constant) and isinstance(first.value, str):
            try:
                runtime_index_tricks.refuse_matrix_directive((first.value,))
            except NoDerivativeRuleError as error:
                raise NoDerivativeRuleError(error.what, self.parsed.location(node),
                                            help=error.help) from None

    def _bound(self, value) -> gast.Name:
        return self.parsed.reference(value)


# The value of a bound that is not a constant written in the source.
_NOT_CONSTANT = object()


def _constant(node: gast.AST):
    """The value of a slice bound written as a constant (`None`, `5j`, `-0.5`)."""
    if isinstance(node, gast.Constant):
        return node.value
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, (gast.USub, gast.UAdd)) and \
            isinstance(node.operand, gast.Constant) and \
            isinstance(node.operand.value, (int, float, complex)) and \
            not isinstance(node.operand.value, bool):
        value = node.operand.value
        return -value if isinstance(node.op, gast.USub) else value
    return _NOT_CONSTANT
