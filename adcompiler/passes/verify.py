"""Verify: every name generated code reads is defined somewhere.

Input: a generated FunctionDef and its compilation context. Output: the same
function, or `InternalCompilerError`. Tangent's users met generated code that
referred to undefined names; this check makes that our failure at compile
time, with the name, instead of theirs at run time.
"""

from __future__ import annotations

import builtins

import gast

from .. import nodes
from ..context import Context
from ..errors import InternalCompilerError


def verify(function: gast.FunctionDef, ctx: Context) -> gast.FunctionDef:
    verified_names(function, ctx)
    return function


def verified_names(function: gast.FunctionDef, ctx: Context,
                   counts: nodes.NameCounts | None = None) -> set[str]:
    """`verify`, and every name the function mentions, from the same walk:
    codegen's scope takes the helpers among them as parameters (issue #13:
    one walk of the finished function instead of two). `counts`, the
    function's NameCounts kept exact by the passes that finished it (the
    tests check them against the tree after each pass), stand for the walk.

        >>> sorted(verified_names(tree, ctx))   # doctest: +SKIP
        ['dx', 'dy', 'np', 'x', 'y']
    """
    defined = set(nodes.parameters(function))
    if counts is not None:
        loaded = {name for name, count in counts.loads.items() if count}
        defined.update(name for name, count in counts.stores.items() if count)
        other = counts.other
    else:
        loaded, other = set(), set()
        for node in nodes.name_nodes(function):
            if isinstance(node.ctx, gast.Load):
                loaded.add(node.id)
            elif isinstance(node.ctx, (gast.Store, gast.Param)):
                defined.add(node.id)
            else:
                other.add(node.id)
    free = set(ctx.cells) | set(ctx.parsed.function.__globals__) | set(dir(builtins))
    if loaded <= defined | free:
        return loaded | defined | other
    for node in nodes.walk(function):  # the first undefined name, as before
        if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load):
            if node.id not in defined and node.id not in free:
                raise InternalCompilerError(
                    f"generated code for {ctx.parsed.qualname} reads the undefined name "
                    f"{node.id!r}", ctx.parsed.location(None))
    raise AssertionError("unreachable: some name read is undefined")
