"""Loops over a fixed sequence of functions are unrolled: `for act in (np.tanh,
relu)` runs its body once per function, each copy calling its function.

Input: a lowered FunctionDef of the function being compiled (comprehensions
lowered to loops, local functions not yet inlined). Output: the same function
where each loop of its body over a list or tuple display of functions known
when compiling (a module-level, imported or NumPy function, one with a rule,
a function defined in the function, `np.sin`), or over a name bound once, by
a statement of the body, to such a display and only looped over, or over a
module-level tuple of such functions (`ACTS[0]`, `ACTS[1]`), is one copy
of the body per function, with the function in the loop variable's place:

    total = 0.0                              total = 0.0
    for act in (np.tanh, relu):        ->    total = total + np.sum(np.tanh(x))
        total = total + np.sum(act(x))       total = total + np.sum(relu(x))

so each call is differentiated through its function (the variable, bound to
several functions in turn, could not tell which it calls). A loop is
unrolled when it has no `else`, no `break` or `continue` of its own, at most
_MOST_ITEMS functions, and its variable is read nowhere but in its body, bound
nowhere else, and read there only by calling it or passing it to a call
(Python leaves the last function bound after the loop; no one reads it). A
name bound to the display goes with its loops, when those are all its uses.
Other loops stay as they are (refused where a derivative meets the call).
"""

from __future__ import annotations

import gast

from .. import nodes
from ..source import ParsedFunction
from .resolve import local_function_names, local_names, module_value
from .user_functions import is_known_function

# A longer sequence stays a loop: unrolled, each function is a copy of the body.
_MOST_ITEMS = 16


def unroll_function_sequences(parsed: ParsedFunction, everything: list) -> bool:
    """Unroll the loops over sequences of functions in `parsed` (see the module
    docstring); `everything`: the tree's nodes in walk order. Whether the
    tree changed."""
    tree = parsed.tree
    if not any(isinstance(n, gast.For) for n in everything):
        return False
    defined = local_function_names(tree, everything)
    local = local_names(tree, everything)

    def function(item) -> bool:
        if isinstance(item, gast.Name) and item.id in defined:
            return True
        return isinstance(item, (gast.Name, gast.Attribute)) and \
            is_known_function(module_value(parsed, item, local))

    def display(node) -> list | None:
        if isinstance(node, (gast.Tuple, gast.List)) and 0 < len(node.elts) <= _MOST_ITEMS \
                and all(function(item) for item in node.elts):
            return node.elts
        if isinstance(node, gast.Name) and node.id not in local:
            # A module-level tuple of functions (a tuple cannot change; the
            # compile cache is stamped with what the name is bound to).
            found, value = parsed.lookup(node.id)
            if found and type(value) is tuple and 0 < len(value) <= _MOST_ITEMS and \
                    all(is_known_function(v) for v in value):
                return [nodes.subscript(nodes.name(node.id), nodes.const(k))
                        for k in range(len(value))]
        return None

    stores, loads = _name_nodes(everything)
    named = {}   # name -> (its binding statement, its items)
    for statement in tree.body:
        if isinstance(statement, gast.Assign) and len(statement.targets) == 1 and \
                isinstance(statement.targets[0], gast.Name) and \
                len(stores.get(statement.targets[0].id, ())) == 1:
            items = display(statement.value)
            if items is not None:
                named[statement.targets[0].id] = (statement, items)
    nested = {id(inner) for n in everything if n is not tree and
              isinstance(n, (gast.FunctionDef, gast.Lambda)) for inner in nodes.walk(n)}
    unrolled = {}   # id(loop) -> its items
    for loop in (n for n in everything if isinstance(n, gast.For) and id(n) not in nested):
        items = display(loop.iter)
        if items is None and isinstance(loop.iter, gast.Name) and loop.iter.id in named:
            items = named[loop.iter.id][1]
        if items is not None and _unrollable(loop, stores, loads):
            unrolled[id(loop)] = items
    if not unrolled:
        return False
    # A named display goes when every read of the name is a loop unrolled here.
    iterated = {id(loop.iter) for loop in everything if id(loop) in unrolled}
    dropped = {id(statement) for name, (statement, _) in named.items()
               if all(id(n) in iterated for n in loads.get(name, ()))}
    for name, (statement, _) in named.items():
        if id(statement) not in dropped:
            # (the loops over it stay loops: its name is read elsewhere)
            for loop in everything:
                if id(loop) in unrolled and isinstance(loop.iter, gast.Name) and \
                        loop.iter.id == name:
                    del unrolled[id(loop)]
    if not unrolled:
        return False

    def replacement(statement):
        if id(statement) in dropped:
            return []
        items = unrolled.get(id(statement))
        if items is None:
            return None
        out = []
        for item in items:
            for inner in statement.body:
                copy = _Substitute(statement.target.id, item).visit(nodes.clone(inner))
                out.append(copy)
        return out

    nodes.replace_statements(tree, replacement, into_functions=False)
    return True


def _name_nodes(everything: list) -> tuple[dict, dict]:
    stores, loads = {}, {}
    for node in everything:
        if isinstance(node, gast.Name):
            (loads if isinstance(node.ctx, gast.Load) else stores).setdefault(
                node.id, []).append(node)
    return stores, loads


def _unrollable(loop: gast.For, stores: dict, loads: dict) -> bool:
    if loop.orelse or not isinstance(loop.target, gast.Name) or nodes.loop_breaks(loop.body):
        return False
    name = loop.target.id
    inside = {id(n) for n in nodes.walk(loop)}
    if len(stores.get(name, ())) != 1 or not all(id(n) in inside for n in loads.get(name, ())):
        return False   # bound elsewhere too, or read after the loop
    parents = {}
    for node in nodes.walk(loop):
        for child in gast.iter_child_nodes(node):
            parents[id(child)] = node
        if node is not loop and isinstance(node, (gast.FunctionDef, gast.Lambda)) and \
                name in nodes.names_loaded(node):
            return False   # a closure reads the variable when it runs
    for use in loads.get(name, ()):
        parent = parents.get(id(use))
        if isinstance(parent, gast.keyword):
            parent = parents.get(id(parent))
        if not isinstance(parent, gast.Call):
            return False   # only called, or handed to a call
    return True


class _Substitute(gast.NodeTransformer):
    """The loop variable's reads, replaced by the function of this copy."""

    def __init__(self, name: str, item: gast.AST):
        self.name, self.item = name, item

    def visit_Name(self, node):
        if node.id == self.name and isinstance(node.ctx, gast.Load):
            return nodes.copy_location(nodes.clone(self.item), node)
        return node
