"""Specialise *args: a function taking `*args`, compiled for a call that passes
differentiated values in the star part, as if it had one positional parameter
per value passed there.

Input: a fenced FunctionDef taking `*args`, and the number of values the call
passes to `*args` (the arity). Output: the same function with `*args` replaced
by that many ordinary parameters, packed into the tuple `args` by a first
statement. Later passes see positional parameters only, and a tuple variable
whose length is known when compiling; the derivative of each value flows
through the tuple as through any other tuple of differentiated values.

    def h(w, *arrays):               def h(w, arrays_0, arrays_1):
        total = 0.0          ->          arrays = (arrays_0, arrays_1)
        for a in arrays:                 total = 0.0
            ...                          for a in arrays:
                                             ...

reverse_backend.py and forward_backend.py compile one derivative per (function,
differentiated positions, arity). A call that passes only values without a
derivative to `*args` needs none of this: the function keeps its `*args`, a
tuple that carries no derivative, whatever its length.

Place in the pipeline: right after the fence, so that every later pass (and
resolve, which records `args` as a local variable) sees the packing statement
as the function's own.
"""

from __future__ import annotations

import gast

from .. import nodes
from ..errors import InternalCompilerError
from ..naming import Namer
from ..source import ParsedFunction


def specialise_varargs(parsed: ParsedFunction, arity: int | None) -> ParsedFunction:
    """Give `parsed.tree` `arity` parameters in place of its `*args`; with
    `arity` None, leave it as it is."""
    if arity is None:
        return parsed
    tree = parsed.tree
    if tree.args.vararg is None:
        raise InternalCompilerError(f"{parsed.qualname} takes no *args to specialise",
                                    parsed.location(tree))
    packed = tree.args.vararg.id
    namer = Namer(n.id for n in gast.walk(tree) if isinstance(n, gast.Name))
    names = [namer.fresh(f"{packed}_{k}") for k in range(arity)]
    tree.args.args += [nodes.name(n, "param") for n in names]
    tree.args.vararg = None
    # Values reach *args only once every parameter before it is given, so the
    # defaults of those parameters are never used.
    tree.args.defaults = []
    pack = nodes.assign(packed, nodes.tuple_([nodes.name(n) for n in names]))
    tree.body.insert(0, nodes.copy_location(pack, tree))
    return parsed
