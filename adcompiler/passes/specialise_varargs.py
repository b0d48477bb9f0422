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

A call `h(a, *t)` whose tuple t carries derivatives and has a length unknown
when compiling (`data = primals[1:]` in a generated vjp, differentiated again)
compiles h for `PackedTail(1)`: the parameters from position 1 on, and the
`*args`, are taken from one tuple parameter, the call passes t itself, and t's
derivative is a tuple like any other (Python's binding, defaults included, is
written out):

    def model(w, x, y, scale=1.0):        def model(w, packed):
        ...                        ->         x = packed[0]
                                              y = packed[1]
                                              if len(packed) > 2:
                                                  scale = packed[2]
                                              else:
                                                  scale = 1.0
                                              if len(packed) > 3:
                                                  raise TypeError(...)
                                              ...

Place in the pipeline: right after the fence, so that every later pass (and
resolve, which records `args` as a local variable) sees the packing statement
as the function's own.
"""

from __future__ import annotations

from dataclasses import dataclass

import gast

from .. import nodes
from ..errors import InternalCompilerError, UnsupportedSyntaxError
from ..naming import Namer
from ..source import ParsedFunction


@dataclass(frozen=True)
class PackedTail:
    """The arity of a call `h(a, b, *t)` with t of unknown length: h's
    parameters from position `first` on, and its `*args`, come from one tuple."""

    first: int


def specialise_varargs(parsed: ParsedFunction, arity) -> ParsedFunction:
    """Give `parsed.tree` `arity` parameters in place of its `*args`, or with a
    `PackedTail`, one tuple parameter in place of its trailing ones; with
    `arity` None, leave it as it is."""
    if arity is None:
        return parsed
    if isinstance(arity, PackedTail):
        return _pack_tail(parsed, arity.first)
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


def _pack_tail(parsed: ParsedFunction, first: int) -> ParsedFunction:
    tree = parsed.tree
    names = [a.id for a in tree.args.args]
    tail = names[first:]
    defaults = getattr(parsed.function, "__defaults__", None) or ()
    # __defaults__ belongs to the trailing positional parameters.
    default_of = dict(zip(names[len(names) - len(defaults):], defaults))
    namer = Namer(n.id for n in gast.walk(tree) if isinstance(n, gast.Name))
    packed = namer.fresh("packed")
    body = []
    for k, name in enumerate(tail):
        value = nodes.subscript(nodes.name(packed), nodes.const(k))
        if name not in default_of:
            body.append(nodes.assign(name, value))
            continue
        default = default_of[name]
        if default is not None and not isinstance(default, (bool, int, float, complex, str)):
            raise UnsupportedSyntaxError(
                f"a differentiated tuple of unknown length passed with * to {parsed.name}, "
                f"whose parameter {name} it may fill has a default that is not a number, a "
                "string or None, is not supported", parsed.location(tree),
                help="Instead: build the tuple with a tuple display, t = (a, b), so that its "
                "length is known when compiling, or pass the values one by one.")
        body.append(nodes.if_(_longer_than(packed, k),
                              [nodes.assign(name, value)],
                              [nodes.assign(name, nodes.const(default))]))
    if tree.args.vararg is not None:
        body.append(nodes.assign(tree.args.vararg.id, nodes.subscript(
            nodes.name(packed), nodes.slice_(nodes.const(len(tail)), None))))
    else:
        message = (f"{parsed.name}() takes {len(names)} positional arguments, and a "
                   f"starred argument passed more")
        body.append(nodes.if_(_longer_than(packed, len(tail)), [nodes.raise_(
            nodes.call(nodes.name("TypeError"), [nodes.const(message)]))]))
    tree.args.args = tree.args.args[:first] + [nodes.name(packed, "param")]
    tree.args.vararg = None
    tree.args.defaults = []
    for node in (n for stmt in body for n in gast.walk(stmt)):
        if "lineno" in type(node)._attributes and getattr(node, "lineno", None) is None:
            nodes.copy_location(node, tree)
    tree.body[:0] = body
    return parsed


def _longer_than(packed: str, count: int) -> gast.AST:
    return nodes.compare(nodes.call(nodes.name("len"), [nodes.name(packed)]), gast.Gt(),
                         nodes.const(count))
