"""Calls through a name bound, in loops or branches, only to functions known
when compiling.

resolve.py calls a function through a name bound once, in the function's own
body, before it is called (`dg = ad.grad(g); dg(x)`). A name bound anywhere
else (in both branches of an `if`, inside a loop, more than once) to
functions each known when compiling (a derivative adcompiler builds, a
module-level function, `functools.partial(g, w)` of constants, `ACT['tanh']`)
and used only by calling it, holds one of them when a call runs. Each
binding then binds the very object (the derivative built when compiling),
and each call becomes the choice among them, by what the name holds:

    if x[0] > 0:                             if x[0] > 0:
        dg = ad.grad(g)                          dg = g_grad
    else:                                    else:
        dg = ad.grad(h)                          dg = h_grad
    y = dg(x)                                y = g_grad(x) if dg is g_grad else h_grad(x)

With one function, `g_grad(x) if dg is g_grad else g_grad(x)`: the test
reads `dg`, so a call where no binding has run raises UnboundLocalError, as
Python does. Each candidate is called by its own name, so its derivative is
the function's, to any order.
"""

from __future__ import annotations

import collections

import gast

from .. import nodes


def choose(choices, everything: list) -> bool:
    """Rewrite the bindings and calls of every such name (see the module
    docstring) of `choices.parsed.tree`; whether anything changed.
    `choices`: resolve's _FunctionChoices, which finds what a binding's value
    is (`function`) and names it (`namer`); `everything`: the tree's nodes."""
    stores = collections.Counter(
        n.id for n in everything
        if isinstance(n, gast.Name) and isinstance(n.ctx, (gast.Store, gast.Param, gast.Del)))
    bindings = collections.defaultdict(list)
    for node in everything:
        if isinstance(node, gast.Assign) and len(node.targets) == 1 and \
                isinstance(node.targets[0], gast.Name) and node.targets[0].id not in choices.once:
            bindings[node.targets[0].id].append(node)
    if not bindings:
        return False
    called = {id(n.func) for n in everything if isinstance(n, gast.Call)}
    loads = collections.defaultdict(list)
    for node in everything:
        if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load):
            loads[node.id].append(node)
    chosen = {}
    for name, assigns in bindings.items():
        if stores[name] != len(assigns) or not loads[name] or \
                any(id(use) not in called for use in loads[name]):
            continue
        functions = [choices.function(a.value, set())[0] for a in assigns]
        if any(f is None or not callable(f) or id(f) in choices.receivers for f in functions):
            continue
        chosen[name] = (assigns, functions)
    if not chosen:
        return False
    aliases = {}

    def reference(function, where):
        if id(function) not in aliases:
            aliases[id(function)] = choices.alias(function)
        name = nodes.copy_location(nodes.name(aliases[id(function)]), where)
        nodes.annotate(name, "value", function)
        return name

    for name, (assigns, functions) in chosen.items():
        for assign, function in zip(assigns, functions):
            assign.value = reference(function, assign.value)
    _Calls(chosen, reference).visit(choices.parsed.tree)
    return True


class _Calls(gast.NodeTransformer):
    """`name(args)` -> the choice among the functions `name` may hold."""

    def __init__(self, chosen: dict, reference):
        self.chosen = chosen
        self.reference = reference

    def visit_Call(self, node):
        self.generic_visit(node)
        if not (isinstance(node.func, gast.Name) and node.func.id in self.chosen):
            return node
        _, functions = self.chosen[node.func.id]
        distinct = []
        for function in functions:
            if not any(function is seen for seen in distinct):
                distinct.append(function)

        def call(function):
            return nodes.located(gast.Call(
                func=self.reference(function, node.func),
                args=[nodes.clone(a) for a in node.args],
                keywords=[nodes.clone(k) for k in node.keywords]), node)

        def holds(function):
            return nodes.located(nodes.compare(
                nodes.copy_location(nodes.name(node.func.id), node.func), gast.Is(),
                self.reference(function, node.func)), node)

        last = distinct[-1]
        chosen = call(last)
        if len(distinct) == 1:
            # The test reads the name: unbound, it raises as Python does.
            return nodes.located(gast.IfExp(test=holds(last), body=chosen, orelse=call(last)),
                                 node)
        for function in reversed(distinct[:-1]):
            chosen = nodes.located(gast.IfExp(test=holds(function), body=call(function),
                                              orelse=chosen), node)
        return chosen
