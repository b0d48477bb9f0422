"""Objects used where they are built get a name: `C(...).m(...)`,
`C(...)(...)` and `C(...).h` become a binding `c = C(...)` before the
statement and the same use of `c`.

Input: a fenced FunctionDef whose comprehensions are lowered (run by
local_objects.py, first). Output: the same function where each construction
of a class of the function's own module that local_objects can model, whose
object is used at once (a method called on it, the object called, an
attribute read), is bound to a name of its own:

    sol = Integrator(decay).run(v, 0.1, 10)   ->   integrator = Integrator(decay)
                                                   sol = integrator.run(v, 0.1, 10)

local_objects.py then replaces that object by variables as it does any object
the function names. Python builds the object after evaluating what precedes
it in the statement and before what follows it: the operands it evaluates
first are computed into variables before the binding (evaluation_order.Spill),
so the binding runs where Python builds the object. A construction Python may
not evaluate, or evaluates repeatedly (a `while` test, a branch of `a if t
else b`, an operand of `and`/`or` after the first), is left as written (and
refused where a derivative meets it, as before).
"""

from __future__ import annotations

import re

import gast

from .. import nodes
from ..naming import Namer
from ..source import ParsedFunction
from .evaluation_order import Spill
from .inline_local import _deferred, _parents
from .resolve import local_names, module_value

# The statement fields Python evaluates when it reaches the statement (a
# compound statement's body runs later: its own statements are visited).
_EVALUATED = {gast.If: ("test",), gast.For: ("iter",)}


def builds_objects(parsed: ParsedFunction, calls: list) -> bool:
    """Whether one of `calls` (the function's) builds an object of a class of
    the function's module, `C(...)`: the one look most functions need."""
    module, names = parsed.function.__module__, parsed.function.__globals__
    for call in calls:
        if type(call.func) is gast.Name:
            # (the module's dict read directly: a guard records no name looked up)
            value = names.get(call.func.id)
            if isinstance(value, type) and value.__module__ == module:
                return True
    return False


def name_constructed_receivers(parsed: ParsedFunction, modelled) -> bool:
    """Bind each object built and used at once to a name (see the module
    docstring); `modelled(cls)` says whether local_objects can model objects
    of `cls`. Returns whether the tree changed."""
    tree = parsed.tree
    parents = _parents(tree)
    caller_locals = local_names(tree)
    module = parsed.function.__module__
    built: dict = {}  # id(call) -> the class it builds
    for node in nodes.walk(tree):
        if not isinstance(node, gast.Call) or id(node) not in parents:
            continue
        parent, field_name, _ = parents[id(node)]
        used = isinstance(parent, gast.Attribute) and field_name == "value" or \
            isinstance(parent, gast.Call) and field_name == "func"
        if not used:
            continue
        cls = module_value(parsed, node.func, caller_locals)
        if not isinstance(cls, type) or cls.__module__ != module or not modelled(cls) or \
                _deferred(node, parents) or _in_nested_scope(node, parents):
            continue
        built[id(node)] = cls
    # A method called on one object, among whose arguments another is built
    # (`A(a).m(B(b).n())`): Spill would compute `A(a).m` into a variable
    # before building B. The inner one is left as written.
    for key in list(built):
        holder = _method_call_of(key, tree, parents)
        if holder is not None and any(id(n) in built for arg in holder.args +
                                      [k.value for k in holder.keywords]
                                      for n in nodes.walk(arg)):
            for arg in holder.args + [k.value for k in holder.keywords]:
                for n in nodes.walk(arg):
                    built.pop(id(n), None)
    if not built:
        return False
    namer = parsed.namer()
    tree.body = Spill(parsed, set(built), set(), namer,
                      callee="a class's __init__").block(tree.body)
    bound = {id(n.value) for n in nodes.walk(tree) if isinstance(n, gast.Assign)}
    # (one Spill computed into a variable, before a later one, is bound already)
    bases = {key: (snake(cls.__name__), f"{cls.__name__}(...)") for key, cls in built.items()
             if key not in bound}
    tree.body = Lift(parsed, bases, namer).block(tree.body)
    return True


def _in_nested_scope(node, parents) -> bool:
    while id(node) in parents:
        node = parents[id(node)][0]
        if isinstance(node, (gast.FunctionDef, gast.Lambda)) and id(node) in parents:
            return True
    return False


def _method_call_of(key: int, tree, parents):
    """The call `C(a).m(...)` (or `C(a)(...)`) whose receiver is the
    construction with id `key`, or None."""
    for node in nodes.walk(tree):
        if id(node) == key:
            parent, field_name, _ = parents[id(node)]
            if isinstance(parent, gast.Call) and field_name == "func":
                return parent
            if isinstance(parent, gast.Attribute):
                holder, holder_field, _ = parents[id(parent)]
                if isinstance(holder, gast.Call) and holder_field == "func":
                    return holder
            return None
    return None


def snake(name: str) -> str:
    """`Integrator` -> `integrator`, `RK4Stepper` -> `rk4_stepper`."""
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name.strip("_")).lower()
    return words if words.isidentifier() else "built"


class Lift:
    """Put each marked expression in a binding of its own before its
    statement, in the order Python evaluates them (an argument's first), once
    Spill has computed what Python evaluates before them into variables.
    `bases`: id(expression) -> (the name's stem, how the user wrote it)."""

    def __init__(self, parsed: ParsedFunction, bases: dict, namer: Namer):
        self.parsed = parsed
        self.bases = bases
        self.namer = namer
        self.names: dict = {}  # id(expression) -> the name bound to it

    def block(self, stmts: list) -> list:
        out: list = []
        for stmt in stmts:
            fields = _EVALUATED.get(type(stmt))
            if fields is None and isinstance(stmt, (gast.While, gast.Try, gast.With)):
                fields = ()
            if fields is None:
                self.lift(stmt, out, stmt)
            else:
                for field_name in fields:
                    setattr(stmt, field_name, self.lift(getattr(stmt, field_name), out, stmt))
            for field_name in ("body", "orelse", "finalbody"):
                if isinstance(getattr(stmt, field_name, None), list):
                    setattr(stmt, field_name, self.block(getattr(stmt, field_name)))
            if isinstance(stmt, gast.Try):
                for handler in stmt.handlers:
                    handler.body = self.block(handler.body)
            out.append(stmt)
        return out

    def lift(self, node, out: list, stmt):
        if isinstance(node, gast.stmt) and node is not stmt:
            return node  # a nested block's: lifted where that block is
        for field_name, value in gast.iter_fields(node):
            if isinstance(value, list):
                setattr(node, field_name, [self.lift(v, out, stmt) if isinstance(v, gast.AST)
                                           else v for v in value])
            elif isinstance(value, gast.AST):
                setattr(node, field_name, self.lift(value, out, stmt))
        if id(node) not in self.bases:
            return node
        base, written = self.bases[id(node)]
        name = self.namer.fresh(base)
        self.names[id(node)] = name
        self.parsed.spelled[name] = written
        out.append(nodes.located(nodes.assign(name, node), node))
        return nodes.copy_location(nodes.name(name), node)
