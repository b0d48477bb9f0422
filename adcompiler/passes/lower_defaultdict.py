"""Lower a `collections.defaultdict` the function builds and only indexes into
a dict whose missing entries are written before they are read.

Input: a FunctionDef whose comprehensions, local objects and local functions
are lowered. A defaultdict is a dict whose `D[k]`, for a missing key, first
stores `factory()` under k; every other operation the function may make on
it here is a dict's. So

    totals = defaultdict(float)           totals = {}
    for i, v in enumerate(x):             for i, v in enumerate(x):
        totals[i % 2] += v ** 2               if i % 2 not in totals:
                                                  totals[i % 2] = 0.0
                                              totals[i % 2] += v ** 2

which the rest of the compiler differentiates as dict writes. The missing
entries are written before the statement reading them, in the order Python
reads them (so the dict's keys are in Python's order), for the factories
`float`, `int`, `list`, `dict` and `tuple` (the value `factory()` gives).

Only where that is exact: every binding of the name is `defaultdict(f)`, a
key is a name, a constant, or arithmetic and tuples of them (read twice
without effect), and the dict is used only by indexing (in a place Python
evaluates every time its statement runs: not after `and`/`or`, in a branch
of `a if c else b`, in a `while` test or in a lambda), `k in D`, `len(D)`,
iteration, `D.items()`, `D.keys()`, `D.values()`, `D.get(...)`, the dict
methods lower_dict_methods.py writes out, and `dict(D)`, `list(D)`,
`sorted(D)`, `sum(D.values())` and the like. Anything else (passing it to a
helper, returning it, printing it, its `.default_factory`) leaves the
defaultdict as written, and operations.py refuses it where a derivative
meets it.

Place in the pipeline: after inline_local, just before lower_dict_methods,
which then sees a dict the function builds.
"""

from __future__ import annotations

import collections

import gast

from .. import nodes
from ..source import ParsedFunction
from .census import Census, called_object
from .evaluation_order import lazily_evaluated, own_expressions
from .lower_dict_methods import written_if_missing

# What factory() gives, as a constant or an empty display, by factory.
_DEFAULTS = {float: lambda: nodes.const(0.0), int: lambda: nodes.const(0),
             list: lambda: gast.List(elts=[], ctx=gast.Load()),
             dict: lambda: gast.Dict(keys=[], values=[]),
             tuple: lambda: gast.Tuple(elts=[], ctx=gast.Load())}
_READ_METHODS = {"get", "items", "keys", "values", "update", "setdefault", "pop"}
_TAKING_FUNCTIONS = {len, list, sorted, dict, tuple, sum, iter, enumerate, min, max, any, all}


def lower_defaultdict(parsed: ParsedFunction, census: Census | None = None) -> ParsedFunction:
    """Rewrite the defaultdicts of `parsed.tree` that only index, as above."""
    tree = parsed.tree
    if census is None:
        census = Census(tree)
    built = {id(call) for call, value in census.callees(parsed)
             if value is collections.defaultdict}
    if not built:
        return parsed
    candidates = _candidates(parsed, census, built)
    if not candidates:
        return parsed
    census.forget()
    _Defaults(candidates).block(tree.body)
    return parsed


def _candidates(parsed: ParsedFunction, census: Census, built: set) -> dict:
    """{name: the default's node factory} for the defaultdicts lowered here."""
    parents = {}
    for node in census.everything:
        for child in gast.iter_child_nodes(node):
            parents[id(child)] = node
    stores = collections.Counter(n.id for n in census.everything if isinstance(n, gast.Name)
                                 and isinstance(n.ctx, (gast.Store, gast.Param, gast.Del)))
    factories: dict = {}
    for node in census.everything:
        if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Store) and \
                stores[node.id] == 1:
            factory = _binding(parsed, census, parents.get(id(node)), node, built)
            if factory is not None:
                factories[node.id] = factory
    refused = {node.id for node in census.everything
               if isinstance(node, gast.Name) and node.id in factories and
               isinstance(node.ctx, gast.Load) and
               not _used_as_a_dict(parsed, census, node, parents)}
    # A read Python may not make every time its statement runs, or in a while test.
    for stmt in nodes.statements(parsed.tree):
        refused |= {node.id for node in lazily_evaluated(stmt)
                    if isinstance(node, gast.Name) and node.id in factories}
    return {name: factory for name, factory in factories.items() if name not in refused}


def _binding(parsed, census, parent, target, built):
    """The default's node factory of `target = defaultdict(f)`, else None."""
    if not (isinstance(parent, gast.Assign) and len(parent.targets) == 1 and
            parent.targets[0] is target and id(parent.value) in built):
        return None
    call = parent.value
    if len(call.args) != 1 or call.keywords:
        return None
    # (a lambda factory is refused by the fence, as any lambda passed to a function)
    return _DEFAULTS.get(called_object(parsed, census.stored, call.args[0]))


def _used_as_a_dict(parsed, census, name, parents) -> bool:
    """Whether this read of the name is one a dict answers as a defaultdict does."""
    parent = parents.get(id(name))
    if isinstance(parent, gast.Subscript) and parent.value is name:
        return _plain_key(parent.slice)
    if isinstance(parent, gast.Attribute) and parent.value is name:
        grand = parents.get(id(parent))
        return parent.attr in _READ_METHODS and isinstance(grand, gast.Call) and \
            grand.func is parent
    if isinstance(parent, gast.Compare) and any(c is name for c in parent.comparators):
        index = next(i for i, c in enumerate(parent.comparators) if c is name)
        return isinstance(parent.ops[index], (gast.In, gast.NotIn))
    if isinstance(parent, gast.Call) and any(a is name for a in parent.args):
        return called_object(parsed, census.stored, parent.func) in _TAKING_FUNCTIONS
    if isinstance(parent, gast.For) and parent.iter is name:
        return True
    return False


def _plain_key(key) -> bool:
    """A key read twice without effect: names, constants, arithmetic, tuples."""
    if isinstance(key, (gast.Name, gast.Constant)):
        return True
    if isinstance(key, gast.BinOp):
        return _plain_key(key.left) and _plain_key(key.right)
    if isinstance(key, gast.UnaryOp):
        return _plain_key(key.operand)
    if isinstance(key, gast.Tuple):
        return all(_plain_key(e) for e in key.elts)
    return False


class _Defaults:
    """Writes `if k not in D: D[k] = <default>` before each statement that
    reads D[k], in the order Python reads them, and binds D to `{}`."""

    def __init__(self, factories: dict):
        self.factories = factories

    def block(self, stmts: list) -> None:
        out = []
        for stmt in stmts:
            for field in ("body", "orelse", "finalbody"):
                inner = getattr(stmt, field, None)
                if isinstance(inner, list) and not isinstance(stmt, gast.FunctionDef):
                    self.block(inner)
            for case in getattr(stmt, "cases", None) or ():
                self.block(case.body)
            if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and \
                    isinstance(stmt.targets[0], gast.Name) and \
                    stmt.targets[0].id in self.factories:
                stmt.value = nodes.copy_location(gast.Dict(keys=[], values=[]), stmt.value)
                out.append(stmt)
                continue
            for read in self.reads(stmt):
                name = read.value.id
                out.append(nodes.located(
                    written_if_missing(name, read.slice, self.factories[name]()), read))
            out.append(stmt)
        stmts[:] = out

    def reads(self, stmt) -> list:
        """The `D[k]` reads (and `D[k] op= v` targets) of `stmt`'s own
        expressions, in the order Python evaluates them."""
        found: list = []
        if isinstance(stmt, gast.Assign):
            roots = [stmt.value] + list(stmt.targets)
        elif isinstance(stmt, gast.AugAssign):
            roots = [stmt.target, stmt.value]
        else:
            roots = own_expressions(stmt)
        for root in roots:
            self.visit(root, found, augmented=isinstance(stmt, gast.AugAssign) and
                       root is stmt.target)
        return found

    def visit(self, node, found: list, augmented: bool = False) -> None:
        if isinstance(node, gast.Dict):
            children = [c for pair in zip(node.keys, node.values) for c in pair
                        if c is not None]
        else:
            children = list(gast.iter_child_nodes(node))
        for child in children:
            self.visit(child, found)
        if isinstance(node, gast.Subscript) and isinstance(node.value, gast.Name) and \
                node.value.id in self.factories and \
                (isinstance(node.ctx, gast.Load) or augmented):
            found.append(node)
