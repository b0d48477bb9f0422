"""Loops over a fixed sequence of functions are unrolled: `for act in (np.tanh,
relu)` runs its body once per function, each copy calling its function.

Input: a lowered FunctionDef of the function being compiled (comprehensions
lowered to loops, local functions not yet inlined). Output: the same function
where each loop of its body over a list or tuple display of functions known
when compiling (a module-level, imported or NumPy function, one with a rule,
a function defined in the function, `np.sin`), or over a name bound once, by
a statement of the body, to such a display and only looped over, or over a
module-level tuple or list of such functions (`ACTS[0]`, `ACTS[1]`), is one copy
of the body per function, with the function in the loop variable's place:

    total = 0.0                              total = 0.0
    for act in (np.tanh, relu):        ->    total = total + np.sum(np.tanh(x))
        total = total + np.sum(act(x))       total = total + np.sum(relu(x))

so each call is differentiated through its function (the variable, bound to
several functions in turn, could not tell which it calls). So is a loop
over `enumerate(<such a sequence>)` (a constant `start`), each copy first
binding the index, and over `zip(...)` of such sequences and tuple or list
displays, each copy first binding its items; the items zipped with the
functions are computed before the loop, in order, as zip's arguments are
(a display longer than the shortest sequence must hold only constants
beyond it: Python computes those items too). A loop is unrolled when it
has no `else`, no `break` or `continue` of its own, at most _MOST_ITEMS
functions, and its function variable is bound only as the variable of such
loops (two loops `for act in ...` may share it, not nested in one another),
read only in their bodies, and there only by calling it or passing it to a
call (Python leaves the last function bound after the loop; no one reads
it). A name bound to the display goes with its loops, when those are all
its uses. Other loops stay as they are (refused where a derivative meets
the call).
"""

from __future__ import annotations

import gast

from .. import nodes
from ..source import ParsedFunction
from .evaluation_order import constant
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
            # A module-level tuple or list of functions: the compile cache is
            # stamped with what the name is bound to, each item (resolve.py
            # folds `ACTS[0]`) and a list's length, which may change.
            found, value = parsed.lookup(node.id)
            # (Emptied, the loop never runs: no copy of its body is exact.)
            if found and type(value) in (tuple, list) and len(value) <= _MOST_ITEMS and \
                    all(is_known_function(v) for v in value):
                if type(value) is list:
                    parsed.folded_lengths[node.id] = len(value)
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
    def functions_of(node) -> list | None:
        items = display(node)
        if items is None and isinstance(node, gast.Name) and node.id in named:
            items = named[node.id][1]
        return items

    unrolled = {}   # id(loop) -> [(target, the item each copy binds it to, a function?)]
    iterated = set()   # id of each sequence of functions an unrolled loop goes over
    for loop in (n for n in everything if isinstance(n, gast.For) and id(n) not in nested):
        copies = _copies(parsed, loop, functions_of, local)
        if copies is not None and _unrollable(loop, copies, stores, loads, everything):
            unrolled[id(loop)] = copies
            iterated.update(id(n) for n in _sequences(loop))
    if not unrolled:
        return False
    # A named display goes when every read of the name is a loop unrolled here.
    dropped = {id(statement) for name, (statement, _) in named.items()
               if all(id(n) in iterated for n in loads.get(name, ()))}
    for name, (statement, _) in named.items():
        if id(statement) not in dropped:
            # (the loops over it stay loops: its name is read elsewhere)
            for loop in everything:
                if id(loop) in unrolled and any(
                        isinstance(n, gast.Name) and n.id == name for n in _sequences(loop)):
                    del unrolled[id(loop)]
    if not unrolled:
        return False

    namer = parsed.namer()

    def replacement(statement):
        if id(statement) in dropped:
            return []
        copies = unrolled.get(id(statement))
        if copies is None:
            return None
        out = _evaluated_first(statement, copies, namer)
        for bindings in copies:
            # An index or a zipped value is bound as the loop binds it; a
            # function takes the variable's place in the copy of the body.
            functions = {target: item for target, item, function in bindings if function}
            out += [nodes.located(nodes.assign(target, nodes.clone(item)), statement)
                    for target, item, function in bindings if not function]
            for inner in statement.body:
                copy = nodes.clone(inner)
                for target, item in functions.items():
                    copy = _Substitute(target, item).visit(copy)
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


def _copies(parsed: ParsedFunction, loop: gast.For, functions_of, local: set) -> list | None:
    """For each copy of the body, [(variable, what it is bound to, a function?)]:
    `for act in FUNCTIONS`, `for i, act in enumerate(FUNCTIONS)` (from a
    constant start) and `for act, w in zip(FUNCTIONS, (0.5, w2))`, the
    sequences zipped with the functions being displays of known length
    (zip stops at the shortest, as Python's does). None for another loop."""
    if isinstance(loop.target, gast.Name):
        items = functions_of(loop.iter)
        return None if items is None else [[(loop.target.id, item, True)] for item in items]
    call = loop.iter
    if not (isinstance(call, gast.Call) and isinstance(loop.target, gast.Tuple) and
            all(isinstance(t, gast.Name) for t in loop.target.elts) and
            not any(isinstance(a, gast.Starred) for a in call.args)):
        return None
    names = [t.id for t in loop.target.elts]
    called = module_value(parsed, call.func, local)
    if called is enumerate and len(names) == 2 and len(call.args) == 1 and (
            not call.keywords or len(call.keywords) == 1 and call.keywords[0].arg == "start"
            and isinstance(call.keywords[0].value, gast.Constant)
            and type(call.keywords[0].value.value) is int):
        items = functions_of(call.args[0])
        start = call.keywords[0].value.value if call.keywords else 0
        return None if items is None else [
            [(names[0], nodes.const(start + k), False), (names[1], item, True)]
            for k, item in enumerate(items)]
    if called is zip and not call.keywords and len(call.args) == len(names):
        columns = []
        for sequence in call.args:
            items = functions_of(sequence)
            if items is not None:
                columns.append((items, True))
            elif isinstance(sequence, (gast.Tuple, gast.List)):
                columns.append((sequence.elts, False))
            else:
                return None
        if not any(function for _, function in columns):
            return None
        length = min(len(items) for items, _ in columns)
        if any(not constant(item) for items, function in columns if not function
               for item in items[length:]):
            return None   # (Python computes the items zip never reaches too)
        return [[(name, items[k], function) for name, (items, function) in zip(names, columns)]
                for k in range(length)]
    return None


def _evaluated_first(loop: gast.For, copies: list, namer) -> list:
    """The statements that compute, before the loop, the items zipped with the
    functions that are not constants, as Python computes zip's arguments
    once, in order, before the first pass; each copy then reads its
    item's variable (the body may bind a name an item reads)."""
    first = []
    for position in range(len(copies[0]) if copies else 0):   # zip's arguments, in order
        for bindings in copies:
            target, item, function = bindings[position]
            if function or constant(item):
                continue
            held = namer.fresh(f"{target}_{len(first)}")
            first.append(nodes.located(nodes.assign(held, item), loop))
            bindings[position] = (target, nodes.name(held), False)
    return first


def _sequences(loop: gast.For) -> list:
    """The sequences the loop goes over: its iterable, or what it enumerates or zips."""
    if isinstance(loop.iter, gast.Call):
        return list(loop.iter.args)
    return [loop.iter]


def _unrollable(loop: gast.For, copies: list, stores: dict, loads: dict,
                everything: list) -> bool:
    if loop.orelse or nodes.loop_breaks(loop.body):
        return False
    functions = {target for target, _, function in copies[0] if function} if copies else set()
    for name in functions:
        if not _only_loop_variable(name, loop, stores, loads, everything):
            return False
    parents = {}
    for node in nodes.walk(loop):
        for child in gast.iter_child_nodes(node):
            parents[id(child)] = node
        if node is not loop and isinstance(node, (gast.FunctionDef, gast.Lambda)) and \
                functions & nodes.names_loaded(node):
            return False   # a closure reads the variable when it runs
    for name in functions:
        for use in loads.get(name, ()):
            if id(use) not in parents:
                continue   # in another loop binding the name (_only_loop_variable)
            parent = parents.get(id(use))
            if isinstance(parent, gast.keyword):
                parent = parents.get(id(parent))
            if not isinstance(parent, gast.Call):
                return False   # only called, or handed to a call
    return True


def _only_loop_variable(name: str, loop: gast.For, stores: dict, loads: dict,
                        everything: list) -> bool:
    """Whether every read of `name` in `loop` reads the function the loop binds,
    and no read elsewhere could: the name is bound only as the variable of
    loops (`for act in ...` twice over, as often written), none of them
    inside `loop`'s body, and read only in those loops' bodies, where each
    reads its own loop's binding. (Python leaves the last function bound
    after a loop; a read there would see what the copies no longer bind.)"""
    binding = [n for n in everything if isinstance(n, gast.For) and any(
        isinstance(t, gast.Name) and t.id == name for t in nodes.walk(n.target))]
    targets = {id(t) for n in binding for t in nodes.walk(n.target)}
    if not all(id(store) in targets for store in stores.get(name, ())):
        return False   # bound other than as a loop's variable
    body = {id(n) for statement in loop.body for n in nodes.walk(statement)}
    if any(id(other) in body for other in binding if other is not loop):
        return False   # a loop inside this one binds it again
    bodies = {id(n) for other in binding for statement in other.body
              for n in nodes.walk(statement)}
    return all(id(use) in bodies for use in loads.get(name, ()))


class _Substitute(gast.NodeTransformer):
    """The loop variable's reads, replaced by the function of this copy."""

    def __init__(self, name: str, item: gast.AST):
        self.name, self.item = name, item

    def visit_Name(self, node):
        if node.id == self.name and isinstance(node.ctx, gast.Load):
            return nodes.copy_location(nodes.clone(self.item), node)
        return node
