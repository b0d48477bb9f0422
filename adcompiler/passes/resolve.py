"""Resolve: identify every free name by the object it refers to.

Input: a fenced FunctionDef. Output: the same tree, where every `Name` load
that is not a local variable, and every attribute chain hanging off one
(`np.linalg.norm`), carries the annotation ``"value"``: the object found in the
function's closure cells, globals or builtins at compile time. Later passes
look rules up by that object, so `np.sin`, `numpy.sin` and `from numpy import
sin as s` are the same primitive, and a helper function is found wherever it
was imported from.

    def f(x):                    Call(func=Attribute(Name('np'), 'sin'))
        return np.sin(x)           func.ad_anno == {"value": <ufunc 'sin'>}

Also records `parsed.local_names`: the parameters and every assigned name.
"""

from __future__ import annotations

import gast

from .. import nodes, partials
from ..source import ParsedFunction

_MISSING = object()


def local_names(tree: gast.FunctionDef) -> set[str]:
    names = {arg.id for arg in tree.args.args}
    for node in gast.walk(tree):
        if isinstance(node, gast.Name) and isinstance(node.ctx, (gast.Store, gast.Param)):
            names.add(node.id)
    return names


def resolve(parsed: ParsedFunction) -> ParsedFunction:
    tree = parsed.tree
    locals_ = local_names(tree)
    parsed.local_names = locals_
    for node in gast.walk(tree):
        if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load):
            if node.id not in locals_:
                found, value = parsed.lookup(node.id)
                if found:
                    nodes.annotate(node, "value", _callable(value))
    # Second sweep: every chain's base name is annotated by now.
    for node in gast.walk(tree):
        if isinstance(node, gast.Attribute):
            _resolve_attribute_chain(node)
    return parsed


def _resolve_attribute_chain(node: gast.Attribute) -> None:
    chain = []
    base = node
    while isinstance(base, gast.Attribute):
        chain.append(base)
        base = base.value
    if not isinstance(base, gast.Name):
        return
    obj = nodes.annotation(base, "value", _MISSING)
    if obj is _MISSING:
        return
    for attribute in reversed(chain):
        if nodes.annotation(attribute, "value", _MISSING) is _MISSING:
            obj = _callable(getattr(obj, attribute.attr, _MISSING))
            if obj is _MISSING:
                return
            nodes.annotate(attribute, "value", obj)
        else:
            obj = nodes.annotation(attribute, "value")


def _callable(value):
    """A `functools.partial` is called as the function it stands for (partials.py)."""
    return partials.as_function(value) if partials.is_partial(value) else value
