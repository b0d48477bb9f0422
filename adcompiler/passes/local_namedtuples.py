"""A namedtuple class the function makes from constants, whose only use is
building records, builds them from the same class made when compiling.

Input: a fenced FunctionDef (run by local_objects.py, first). Output: the
same function where, for a name bound once to
`collections.namedtuple('P', fields, ...)` with every argument a constant,
each call of that name calls the class made when compiling with the same
arguments, under a name of its own (`parsed.bound`), which the compiler
knows as a record type (rules/record_rules.py):

    Params = namedtuple("Params", "amp freq")    Params = namedtuple("Params", "amp freq")
    p = Params(x[0], x[1])                  ->   p = Params_made(x[0], x[1])
    return p.amp * p.freq                        return p.amp * p.freq

The records hold the same fields, values and class name; what differs is
only the class object's identity, a new one at each call of the function
in Python, which no use of the name but a call could observe: any other use
(`isinstance(r, Params)`, `Params._make(t)`, the class returned) leaves the
function as written.
"""

from __future__ import annotations

import collections

import gast

from .. import nodes
from ..naming import Namer
from ..source import ParsedFunction
from .resolve import local_names, module_value


def makes_namedtuples(calls: list) -> bool:
    """Whether one of `calls` (the function's) may be collections.namedtuple:
    the one look most functions need."""
    return any(getattr(call.func, "id", None) == "namedtuple" or
               getattr(call.func, "attr", None) == "namedtuple" for call in calls)


def local_namedtuples(parsed: ParsedFunction) -> bool:
    """Call the namedtuple classes made when compiling (see the module
    docstring). Returns whether the tree changed."""
    tree = parsed.tree
    everything = list(nodes.walk(tree))
    caller_locals = local_names(tree, everything)
    bindings: dict = {}
    for node in everything:
        if isinstance(node, gast.Name) and not isinstance(node.ctx, gast.Load):
            bindings.setdefault(node.id, []).append(node)
    made = {}
    for stmt in everything:
        if not (isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and
                isinstance(stmt.targets[0], gast.Name) and isinstance(stmt.value, gast.Call) and
                module_value(parsed, stmt.value.func, caller_locals) is collections.namedtuple):
            continue
        name = stmt.targets[0].id
        if len(bindings.get(name, ())) != 1 or name in nodes.parameters(tree):
            continue
        try:
            args = [_constant(a) for a in stmt.value.args]
            keywords = {k.arg: _constant(k.value) for k in stmt.value.keywords}
            keywords.setdefault("module", parsed.function.__module__)  # (Python's: the caller's)
            made[name] = collections.namedtuple(*args, **keywords)
        except (ValueError, TypeError):  # not constants, or Python refuses them
            continue
    calls = {name: [] for name in made}
    for node in everything:
        if isinstance(node, gast.Name) and node.id in made and isinstance(node.ctx, gast.Load):
            calls[node.id].append(node)
    parents = {id(child): parent for parent in everything
               for child in gast.iter_child_nodes(parent)}
    for function in (n for n in everything if isinstance(n, (gast.FunctionDef, gast.Lambda))
                     and n is not tree):
        for node in nodes.walk(function):
            if isinstance(node, gast.Name) and node.id in made:
                made.pop(node.id)  # a nested function's use: left as written
    changed = False
    namer = None
    for name, cls in made.items():
        uses = calls[name]
        if not uses or not all(isinstance(parents.get(id(u)), gast.Call) and
                               parents[id(u)].func is u for u in uses):
            continue
        if namer is None:
            taken = {n.id for n in everything if isinstance(n, gast.Name)}
            namer = Namer(taken | set(parsed.globals) | set(parsed.closure) |
                          set(parsed.bound))
        alias = namer.fresh(f"{name}_made")
        parsed.bound[alias] = cls
        for use in uses:
            use.id = alias
        changed = True
    return changed


def _constant(node):
    """The value of a constant, or a list or tuple of constants; TypeError else."""
    if isinstance(node, gast.Constant):
        return node.value
    if isinstance(node, (gast.List, gast.Tuple)):
        return [_constant(e) for e in node.elts]
    raise TypeError("not a constant")
