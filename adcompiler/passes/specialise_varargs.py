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

A call passing differentiated values to the callee's `**kwargs` by name,
`h(x, scale=w)` for `def h(x, **options)`, compiles h for `Keywords`: the
names the call passes there (and the number of values it passes to `*args`,
if h takes one). Each becomes a parameter of its own, `options_scale`, packed
into the dict `options` by a first statement, and the call passes every
argument by name. A `**options` in the body, forwarding the dict to another
call, is written out by name when nothing rebinds or changes the dict, so
that the derivative flows on to that call's parameters:

    def h(x, **options):                  def h(x, options_scale):
        return g(x, **options)    ->          options = {'scale': options_scale}
                                              return g(x, scale=options['scale'])

Place in the pipeline: right after the fence, so that every later pass (and
resolve, which records `args` as a local variable) sees the packing statement
as the function's own.
"""

from __future__ import annotations

from dataclasses import dataclass

import inspect

import gast

from .. import nodes
from ..errors import InternalCompilerError, UnsupportedSyntaxError
from ..naming import Namer
from ..source import REQUIRED_KEYWORD, ParsedFunction


@dataclass(frozen=True)
class PackedTail:
    """The arity of a call `h(a, b, *t)` with t of unknown length: h's
    parameters from position `first` on, and its `*args`, come from one tuple."""

    first: int


@dataclass(frozen=True)
class Keywords:
    """The arity of a call passing differentiated values to the callee's
    `**kwargs`: the names it passes there, in the call's order, and how many
    values it passes to the callee's `*args` (None if it takes none)."""

    names: tuple
    star: int | None = None


def compiled_parameters(function, arity: Keywords) -> list:
    """The parameters of `function` compiled for `arity`, in the order the
    compiler numbers them; a call passes each by this name.

    Example:
        >>> def h(x, *rest, scale=1.0, **options): ...
        >>> compiled_parameters(h, Keywords(("shift",), 1))
        ['x', 'scale', 'options_shift', 'rest_0']
    """
    names, star = [], []
    for parameter in inspect.signature(function).parameters.values():
        if parameter.kind is parameter.VAR_KEYWORD:
            names += [f"{parameter.name}_{key}" for key in arity.names]
        elif parameter.kind is parameter.VAR_POSITIONAL:
            star = [f"{parameter.name}_{k}" for k in range(arity.star or 0)]
        else:
            names.append(parameter.name)
    return names + star


def specialised_defaults(function, arity):
    """The defaults of `function`'s derivative compiled for `arity`: its own
    (source.parameter_defaults) when not specialised; for `Keywords`, those of
    its parameters, each parameter without one after a defaulted one getting
    the stand-in REQUIRED_KEYWORD (every call passes every argument by name,
    so it is never read); none once only *args is specialised."""
    from ..source import parameter_defaults
    if arity is None:
        return parameter_defaults(function)
    if not isinstance(arity, Keywords):
        return None
    values = []
    for parameter in inspect.signature(function).parameters.values():
        if parameter.kind is parameter.VAR_KEYWORD:
            values += [inspect.Parameter.empty] * len(arity.names)
        elif parameter.kind is not parameter.VAR_POSITIONAL:
            values.append(parameter.default)
    values += [inspect.Parameter.empty] * (arity.star or 0)
    first = next((k for k, value in enumerate(values) if value is not inspect.Parameter.empty),
                 None)
    if first is None:
        return None
    return tuple(REQUIRED_KEYWORD if value is inspect.Parameter.empty else value
                 for value in values[first:])


def specialise_varargs(parsed: ParsedFunction, arity) -> ParsedFunction:
    """Give `parsed.tree` `arity` parameters in place of its `*args`, or with a
    `PackedTail`, one tuple parameter in place of its trailing ones, or with
    `Keywords`, a parameter per name its `**kwargs` receives; with `arity`
    None, leave it as it is."""
    if arity is None:
        return parsed
    if isinstance(arity, PackedTail):
        return _pack_tail(parsed, arity.first)
    if isinstance(arity, Keywords):
        return _keywords(parsed, arity)
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


def _keywords(parsed: ParsedFunction, arity: Keywords) -> ParsedFunction:
    tree = parsed.tree
    signature = inspect.signature(parsed.function)
    kwargs = next((p.name for p in signature.parameters.values()
                   if p.kind is p.VAR_KEYWORD), None)
    compiled = compiled_parameters(parsed.function, arity)
    taken = {n.id for n in nodes.walk(tree) if isinstance(n, gast.Name)}
    clash = next((name for name in compiled if name in taken and
                  name not in (a.id for a in tree.args.args)), None)
    if clash is not None:
        raise UnsupportedSyntaxError(
            f"{parsed.name} uses the name {clash}, which adcompiler gives a value its "
            "**kwargs or *args receives from a call passing a differentiated value there",
            parsed.location(tree), help=f"Instead: rename the variable {clash} in "
            f"{parsed.name}.")
    pack = []
    if kwargs is not None:
        if [a.id for a in tree.args.args][-1:] != [kwargs]:
            raise InternalCompilerError(f"{parsed.qualname}'s **{kwargs} is not its last "
                                        "parameter", parsed.location(tree))
        pack.append(nodes.assign(kwargs, _dict_display(
            arity.names, [nodes.name(f"{kwargs}_{key}") for key in arity.names])))
    if tree.args.vararg is not None:
        star = tree.args.vararg.id
        pack.append(nodes.assign(star, nodes.tuple_(
            [nodes.name(f"{star}_{k}") for k in range(arity.star or 0)])))
    tree.args.args = [nodes.name(name, "param") for name in compiled]
    tree.args.vararg = None
    tree.args.defaults = []
    for stmt in pack:
        nodes.located(stmt, tree)
    tree.body[:0] = pack
    if kwargs is not None:
        _write_out_forwarded(tree, kwargs, arity.names)
    return parsed


def _dict_display(keys, values) -> gast.Dict:
    display = nodes.parse_expr("{}")
    display.keys = [nodes.const(key) for key in keys]
    display.values = list(values)
    return display


# Uses of a dict that neither rebind it nor change its keys.
_READING_METHODS = frozenset({"get", "keys", "values", "items", "copy"})


def _write_out_forwarded(tree: gast.FunctionDef, name: str, keys: tuple) -> None:
    """When the dict `name` is bound once (by the packing statement) and only
    read (subscripted with a constant, a reading method called on it, tested
    with `in`, `len` of it, forwarded with `**`), its entries are read from
    the parameters themselves: `name['k']` and `name.get('k', v)` become
    `name_k`, and `g(x, **name)` becomes `g(x, k=name_k, ...)`, so that an
    entry without a derivative is seen to have none. Otherwise its keys may
    change, and the body is left as it is (a `**name` forwarding a
    derivative is refused)."""
    forwarded, reads = [], []
    for node in nodes.walk(tree):
        for child in gast.iter_child_nodes(node):
            if not (isinstance(child, gast.Name) and child.id == name):
                continue
            if node is tree.body[0]:
                continue  # the packing statement
            if isinstance(child.ctx, (gast.Store, gast.Del, gast.Param)):
                return
            if isinstance(node, gast.keyword) and node.arg is None:
                forwarded.append(node)
            elif isinstance(node, gast.Subscript) and isinstance(node.ctx, gast.Load) and \
                    isinstance(node.slice, gast.Constant):
                reads.append(node)
            elif isinstance(node, gast.Attribute) and node.attr in _READING_METHODS:
                continue
            elif isinstance(node, gast.Compare) and child is not node.left and \
                    all(isinstance(op, (gast.In, gast.NotIn)) for op in node.ops):
                continue
            elif isinstance(node, gast.Call) and isinstance(node.func, gast.Name) and \
                    node.func.id == "len" and len(node.args) == 1:
                continue
            else:
                return
    _EntryReads(name, keys, forwarded).visit(tree)


class _EntryReads(gast.NodeTransformer):
    """Reads of a read-only packed dict's entries, from the parameters."""

    def __init__(self, name: str, keys: tuple, forwarded: list):
        self.name = name
        self.entry = {key: f"{name}_{key}" for key in keys}
        self.forwarded = forwarded

    def _key(self, node) -> str | None:
        """The key `node` names, if a constant one of the packed keys."""
        if isinstance(node, gast.Constant) and type(node.value) is str and \
                node.value in self.entry:
            return node.value
        return None

    def visit_Subscript(self, node):
        self.generic_visit(node)
        key = self._key(node.slice)
        if isinstance(node.value, gast.Name) and node.value.id == self.name and \
                isinstance(node.ctx, gast.Load) and key is not None:
            return nodes.copy_location(nodes.name(self.entry[key]), node)
        return node

    def visit_Call(self, node):
        self.generic_visit(node)
        func = node.func
        # d.get('k', v) with v a name or a constant: reading v has no effect to keep.
        if isinstance(func, gast.Attribute) and func.attr == "get" and \
                isinstance(func.value, gast.Name) and func.value.id == self.name and \
                not node.keywords and 1 <= len(node.args) <= 2 and \
                self._key(node.args[0]) is not None and nodes.is_atom(node.args[-1]):
            return nodes.copy_location(nodes.name(self.entry[self._key(node.args[0])]), node)
        written = []
        for keyword in node.keywords:
            if any(keyword is f for f in self.forwarded):
                written += [nodes.located(gast.keyword(arg=key, value=nodes.name(name)),
                                          keyword.value) for key, name in self.entry.items()]
            else:
                written.append(keyword)
        node.keywords = written
        return node
