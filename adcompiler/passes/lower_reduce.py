"""Lower `functools.reduce(f, xs, init)` into the loop it stands for.

Input: a fenced FunctionDef. A statement `y = functools.reduce(f, xs, init)`
(or `return functools.reduce(...)`, `y += ...` of a name), at any depth of the body, with
`f` a lambda of two parameters or a function named by a name or an attribute
chain (a module-level function, an imported one, a local `def`), becomes:

    y = functools.reduce(                 reduce_items = xs
        lambda a, b: a * b + c, xs, 1.0)  reduce_value = 1.0
                                          for reduce_item in reduce_items:
                                              reduce_value = (lambda a, b: a * b + c)(
                                                  reduce_value, reduce_item)
                                          y = reduce_value

as Python's reduce computes it: `xs` and `init` evaluated once, in order,
then `f` applied left to right over what iterating `xs` gives (an array's
rows, a dict's keys). Later passes differentiate the loop (the lambda called
in place is inlined by inline_local.py, a named function called as any
helper). Without `init`, the first item takes its place (a flag tells the
first iteration) and an empty iterable raises TypeError, as in Python. Other
forms stay as written and are refused where they are: a reduce inside a
larger expression (evaluating it before the rest of the statement could
reorder effects), keywords.

Place in the pipeline: before lower_comprehensions and inline_local, which
lower what the loop holds.
"""

from __future__ import annotations

import functools

import gast

from .. import nodes
from ..naming import Namer
from ..source import ParsedFunction


def lower_reduce(parsed: ParsedFunction) -> ParsedFunction:
    """Rewrite the `functools.reduce(f, xs, init)` statements of `parsed.tree`."""
    tree = parsed.tree
    local = {n.id for n in nodes.walk(tree)
             if isinstance(n, gast.Name) and isinstance(n.ctx, (gast.Store, gast.Param))}
    calls = [n for n in nodes.walk(tree) if isinstance(n, gast.Call)
             and _is_reduce(parsed, n.func, local)]
    if not calls:
        return parsed
    namer = Namer(n.id for n in nodes.walk(tree) if isinstance(n, gast.Name))

    def block(stmts: list) -> list:
        out = []
        for stmt in stmts:
            for field in ("body", "orelse"):
                if isinstance(getattr(stmt, field, None), list) and \
                        not isinstance(stmt, gast.FunctionDef):
                    setattr(stmt, field, block(getattr(stmt, field)))
            call = getattr(stmt, "value", None)
            # y[i] += reduce(...) reads y[i] before the reduce runs: it stays.
            if isinstance(stmt, (gast.Assign, gast.AugAssign, gast.Return)) and \
                    not (isinstance(stmt, gast.AugAssign) and
                         not isinstance(stmt.target, gast.Name)) and \
                    any(call is c for c in calls) and _lowerable(call):
                out += _loop(call, stmt, namer)
            out.append(stmt)
        return out

    tree.body = block(tree.body)
    return parsed


def _is_reduce(parsed: ParsedFunction, func, local: set) -> bool:
    path = []
    while isinstance(func, gast.Attribute):
        path.append(func.attr)
        func = func.value
    if not isinstance(func, gast.Name) or func.id in local:
        return False
    found, value = parsed.lookup(func.id)
    for attr in reversed(path):
        value = getattr(value, attr, None)
    return found and value is functools.reduce


def _lowerable(call: gast.Call) -> bool:
    if len(call.args) not in (2, 3) or call.keywords or \
            any(isinstance(a, gast.Starred) for a in call.args):
        return False
    function = call.args[0]
    if isinstance(function, gast.Lambda):
        args = function.args
        return len(args.args) == 2 and not args.defaults and args.vararg is None and \
            args.kwarg is None and not args.kwonlyargs and not args.posonlyargs
    while isinstance(function, gast.Attribute):
        function = function.value
    return isinstance(function, gast.Name)


def _loop(call: gast.Call, stmt, namer: Namer) -> list:
    """The statements computing the reduce before `stmt`, whose value becomes
    the variable holding the result."""
    function, iterable = call.args[:2]
    items, value, item = (namer.fresh(n) for n in ("reduce_items", "reduce_value",
                                                  "reduce_item"))
    step = nodes.assign(value, nodes.call(nodes.clone(function),
                                          [nodes.name(value), nodes.name(item)]))
    stmts = [nodes.assign(items, iterable)]
    if len(call.args) == 3:
        stmts += [nodes.assign(value, call.args[2]), nodes.for_(item, nodes.name(items), [step])]
    else:
        # No initial value: the first item is, and an empty iterable raises.
        started = namer.fresh("reduce_started")
        first = [nodes.assign(value, nodes.name(item)), nodes.assign(started, nodes.const(True))]
        stmts += [nodes.assign(started, nodes.const(False)),
                  nodes.for_(item, nodes.name(items),
                             [nodes.if_(nodes.name(started), [step], first)]),
                  nodes.if_(nodes.unary_not(nodes.name(started)), [nodes.raise_(nodes.call(
                      nodes.name("TypeError"),
                      [nodes.const("reduce() of empty iterable with no initial value")]))])]
    stmt.value = nodes.copy_location(nodes.name(value), call)
    return [nodes.located(s, call) for s in stmts]
