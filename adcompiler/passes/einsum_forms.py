"""Einsum forms: np.einsum with subscripts known only when the code runs.

Input: a resolved FunctionDef. Output: the same tree in which np.einsum
calls whose subscripts are not a string literal call `einsum_with`
(runtime/linalg.py), np.einsum with the subscripts a string checked when it
runs, whose rule is np.einsum's (its operands at fixed places, so that their
derivatives are found when compiling):

  * an f-string, always a string: `einsum_with(f"{i}j->j", a)`;
  * a name, which may hold the subscripts or be the first operand of the
    interleaved form np.einsum(a, [0, 1], b, [1, 2], [0, 2]): Python tells
    which when the code runs, and each form has its operands in place:

    def f(a, b, spec):                    def f(a, b, spec):
        return np.einsum(spec, a, b)  ->      return (einsum_with(spec, a, b) if isinstance(spec, str)
                                                      else einsum_with(einsum_sublist_subscripts((a,)), spec, b))

The interleaved branch reads the sublists before the operands, as Python
does not; it is written only where that cannot be seen (sublists that are
constant displays, or names and operands that are names and constants), and
the names are read again in either branch, as names can be. Anything else
(computed subscripts, starred arguments, keywords other than `optimize`)
stays as written, refused by activity.py once a derivative reaches it.
"""

from __future__ import annotations

import builtins

import gast
import numpy as np

from .. import nodes
from ..runtime import linalg as runtime_linalg
from ..source import ParsedFunction
from .census import Census, everything_of


def einsum_forms(parsed: ParsedFunction, census: Census | None = None) -> ParsedFunction:
    if any(_is_einsum(node) for node in everything_of(parsed.tree, census)):
        if census is not None:
            census.forget()
        _Rewriter(parsed).visit(parsed.tree)
    return parsed


def _is_einsum(node) -> bool:
    return isinstance(node, gast.Call) and \
        nodes.annotation(node.func, "value", None) is np.einsum


def _is_constant_display(node) -> bool:
    """A constant (`...` or `Ellipsis` too), or a list or tuple display of them
    (a sublist: [0, 1, ...])."""
    if isinstance(node, (gast.List, gast.Tuple)):
        return all(_is_constant_display(element) for element in node.elts)
    return isinstance(node, gast.Constant) or \
        (isinstance(node, gast.Name) and nodes.annotation(node, "value", None) is Ellipsis)


def _is_atom(node) -> bool:
    """A name, a constant, or a display of them: reading it has no effect."""
    if isinstance(node, (gast.List, gast.Tuple)):
        return all(_is_atom(element) for element in node.elts)
    return isinstance(node, (gast.Name, gast.Constant))


class _Rewriter(gast.NodeTransformer):
    def __init__(self, parsed: ParsedFunction):
        self.parsed = parsed

    def visit_Call(self, node: gast.Call):
        self.generic_visit(node)
        if not _is_einsum(node) or not node.args or \
                any(isinstance(a, gast.Starred) for a in node.args) or \
                any(k.arg != "optimize" for k in node.keywords):
            return node
        first = node.args[0]
        if isinstance(first, gast.JoinedStr):
            return self._einsum_with(node, node.args)
        if not isinstance(first, gast.Name):
            return node  # a string literal (np.einsum's own rule), or computed
        interleaved = self._interleaved(node)
        if interleaved is None:
            return node
        test = nodes.call(self.parsed.reference(builtins.isinstance),
                          [nodes.clone(first), self.parsed.reference(builtins.str)])
        written = gast.IfExp(test=test, body=self._einsum_with(node, node.args),
                             orelse=interleaved)
        return nodes.located(nodes.copy_location(written, node), node)

    def _interleaved(self, node: gast.Call):
        """np.einsum(a, sublist_a, b, sublist_b[, output]) as einsum_with of the
        subscripts the sublists spell and the operands; None where reading the
        sublists first could be told apart from Python's order."""
        args = node.args
        pairs, output = (args[:-1], args[-1]) if len(args) % 2 else (args, None)
        operands, sublists = pairs[0::2], pairs[1::2]
        if not sublists:
            return None
        spelt = sublists + ([output] if output is not None else [])
        if not all(_is_constant_display(s) for s in spelt) and \
                not all(_is_atom(a) for a in args):
            return None
        text_args = [nodes.tuple_([nodes.clone(s) for s in sublists])]
        if output is not None:
            text_args.append(nodes.clone(output))
        text = nodes.call(self.parsed.reference(runtime_linalg.einsum_sublist_subscripts),
                          text_args)
        return self._einsum_with(node, [text] + operands)

    def _einsum_with(self, node: gast.Call, args) -> gast.Call:
        call = gast.Call(func=self.parsed.reference(runtime_linalg.einsum_with),
                         args=[nodes.clone(a) for a in args],
                         keywords=[gast.keyword(arg=k.arg, value=nodes.clone(k.value))
                                   for k in node.keywords])
        return nodes.located(nodes.copy_location(call, node), node)
