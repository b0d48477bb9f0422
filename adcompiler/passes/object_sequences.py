"""Loops over a fixed sequence of objects are unrolled: `for layer in layers`
runs its body once per object, each copy naming its object.

Input: a fenced FunctionDef whose comprehensions are lowered (run by
local_objects.py, after constructed_receivers.py). Output: the same function
where each loop over a list or tuple of objects the function builds, written
out where it is bound, is one copy of the body per object, and each other
use of the sequence names the object it reads:

    layers = [Dense(w1, b1), Dense(w2, b2)]        dense = Dense(w1, b1)
    for layer in layers:                      ->   dense_2 = Dense(w2, b2)
        x = layer(x)                               x = dense(x)
    return layers[-1].w * x                        x = dense_2(x)
                                                   return dense_2.w * x

local_objects.py then models each object as it models any object the
function names (a name bound once to `C(...)`), which it cannot do for an
object kept in a container or met through a loop variable bound to several.

A list of objects built by appends in a loop of known length, `layers =
[Dense(w) for w in (w1, w2)]` or `[Dense(x[k]) for k in range(3)]` as
lower_comprehensions writes them, or that loop by hand, is first written out
as the display (`_sequences_built_by_appends`).

The sequence is either the loop's iterable itself (`for layer in (l1, l2)`,
`for layer in [Dense(a), Dense(b)]`) or a name bound once, by a statement of
the function's body, to a list or tuple display (Python evaluates it once,
before the loops that read it). Each item is the construction of a class
local_objects can model, or a name bound once to one. Every use of the name
must be a loop over it (`for layer in layers`, `for i, layer in
enumerate(layers)`), an item read at a whole-number position (`layers[0]`,
`layers[-1]`) or its length (`len(layers)`); then it is not needed any more,
and its binding goes (the items are still built, in Python's order, each
bound to a name of its own). A loop is unrolled when it has no `else`, no
`break` or `continue` of its own, and its variables are read nowhere but in
loops unrolled here and bound nowhere else (Python would leave the last item
bound after the loop), and no function defined in its body reads them
(Python's closures read a loop variable late). Otherwise the sequence is
left as written, and refused as before where a derivative meets its objects.
"""

from __future__ import annotations


import gast

from .. import nodes
from ..naming import Namer
from ..source import ParsedFunction
from .constructed_receivers import snake
from .resolve import local_names, module_value


def unroll_object_sequences(parsed: ParsedFunction, modelled, everything: list) -> bool:
    """Unroll the loops over sequences of objects in `parsed` (see the module
    docstring); `modelled(cls)` says whether local_objects can model objects
    of `cls`; `everything` is the list of the tree's nodes (the census's).
    Returns whether the tree changed."""
    tree = parsed.tree
    appended = _sequences_built_by_appends(parsed, everything, modelled)
    if appended:
        everything = list(nodes.walk(tree))
    displays = [n for n in everything if isinstance(n, (gast.List, gast.Tuple)) and n.elts]
    if not displays:
        return appended   # (most functions that build objects: nothing more to look at)
    built = _objects_built(parsed, everything, modelled, local_names(tree, everything))
    if not any(_display_of_objects(display, built) for display in displays):
        return appended
    nested = _nested_scopes(tree)
    uses = _name_uses(tree)
    loops = [n for n in nodes.walk(tree) if isinstance(n, gast.For) and id(n) not in nested]
    by_name = {}   # a name bound to a sequence by a statement of the body -> it
    for statement in tree.body:
        sequence = _bound_sequence(statement, built, uses)
        if sequence is not None:
            by_name[sequence.name] = sequence
    unrolled = []
    positions = {}   # id(loop) -> the positions it visits, in order
    for loop in loops:
        found = _iterated(loop, by_name, built)
        if found is not None and _unrollable(loop):
            unrolled.append((loop, found[0]))
            positions[id(loop)] = found[1]
    # A sequence bound to a name is rewritten only when every use of the name is
    # one of those read here: otherwise it stays a container (and is refused).
    kept = {id(s) for s in by_name.values()
            if not _all_uses_rewritable(s, uses, unrolled, nested)}
    unrolled = [(loop, s) for loop, s in unrolled if id(s) not in kept]
    if not _loop_variables_stay_inside(tree, [loop for loop, _ in unrolled]):
        return appended
    rewritten = [s for s in by_name.values() if id(s) not in kept]
    if not unrolled and not rewritten:
        return appended
    namer = parsed.namer()
    for loop, sequence in unrolled:
        sequence.name_items(namer, built)
    for sequence in rewritten:
        sequence.name_items(namer, built)
    rewrite = _Rewrite({id(loop): s for loop, s in unrolled}, positions,
                       {s.name: s for s in rewritten})
    nodes.replace_statements(tree, rewrite.replacement, into_functions=False)
    return True


class _Sequence:
    """A list or tuple display of objects: its items, and once named, the
    statements that build them and the name of each."""

    def __init__(self, display: gast.AST, name: str | None, statement: gast.AST | None):
        self.display, self.name, self.statement = display, name, statement
        self.item_names: list | None = None
        self.builders: list = []

    def name_items(self, namer: Namer, built: dict) -> None:
        """Bind each construction among the items to a fresh name, once."""
        if self.item_names is not None:
            return
        self.item_names = []
        for item in self.display.elts:
            if isinstance(item, gast.Name):
                self.item_names.append(item.id)
                continue
            name = namer.fresh(snake(built[id(item)].__name__))
            self.builders.append(nodes.copy_location(nodes.assign(name, item), item))
            self.item_names.append(name)

    def item(self, position: int) -> gast.Name:
        return nodes.name(self.item_names[position])


def _sequences_built_by_appends(parsed: ParsedFunction, everything: list, modelled) -> bool:
    """Write out, as the display the rest of this pass unrolls loops over, a
    list of objects built by appends in a loop of known length, as
    lower_comprehensions writes `layers = [Dense(w) for w in (w1, w2)]`:

        layers = []                          w = w1
        for w in (w1, w2):           ->      dense = Dense(w)
            layers.append(Dense(w))          w = w2
                                             dense_2 = Dense(w)
                                             layers = [dense, dense_2]

    The loop, a statement of the function's body right after `layers = []`,
    runs over `range` of whole numbers or a display (evaluated first, as
    Python's loop evaluates it, unless its items are names and constants the
    body does not rebind), has
    no else, break, continue or return, and its body is assignments to names
    ending in the one append of the construction of a class local_objects
    models; the list is appended to nowhere else. Each copy of the body binds
    the loop's variable first, as Python's loop does (it stays bound to the
    last item after the loop, as in Python). Returns whether it wrote any."""
    caller_locals = local_names(parsed.tree, everything)
    counts = nodes.assignment_counts(parsed.tree)
    appends = {}   # list name -> how many `name.append(...)` the function makes
    loads: dict = {}   # name -> how many times the function reads it
    for node in everything:
        if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load):
            loads[node.id] = loads.get(node.id, 0) + 1
    for node in everything:
        if nodes.list_method(node, "append"):
            appends[node.func.value.id] = appends.get(node.func.value.id, 0) + 1
    body, changed, namer = parsed.tree.body, False, None
    displays = _displays_read_only(body, everything, counts)
    for position in range(len(body) - 1, 0, -1):
        start, loop = body[position - 1], body[position]
        items = _known_items(loop, parsed, caller_locals, displays) \
            if isinstance(loop, gast.For) else None
        if items is None or loop.orelse or not loop.body or not _plain_target(loop.target):
            continue
        if not (isinstance(start, gast.Assign) and len(start.targets) == 1 and
                isinstance(start.targets[0], gast.Name) and isinstance(start.value, gast.List)
                and not start.value.elts):
            continue
        name, last = start.targets[0].id, loop.body[-1]
        if not (isinstance(last, gast.Expr) and nodes.list_method(last.value, "append") and
                last.value.func.value.id == name and len(last.value.args) == 1 and
                not last.value.keywords and appends.get(name) == 1 and counts[name] == 1):
            continue
        built = last.value.args[0]
        cls = module_value(parsed, built.func, caller_locals) if isinstance(built, gast.Call) \
            else None
        if not (isinstance(cls, type) and cls.__module__ == parsed.function.__module__ and
                modelled(cls)):
            continue
        read_first = {n.id for item in items for n in nodes.walk(item)
                      if isinstance(n, gast.Name)}
        if not all(isinstance(stmt, gast.Assign) and all(
                isinstance(t, gast.Name) and t.id not in read_first for t in stmt.targets)
                   for stmt in loop.body[:-1]) or \
                any(isinstance(n, (gast.Break, gast.Continue, gast.Return, gast.FunctionDef,
                                   gast.Lambda)) for n in nodes.walk(loop)):
            continue
        namer = namer or parsed.namer()
        statements, names = [], []
        if not all(isinstance(item, (gast.Name, gast.Constant)) for item in items):
            # Python evaluates the display once, before the loop's body runs.
            held = namer.fresh("_items")
            statements.append(nodes.copy_location(nodes.assign(
                held, gast.Tuple(elts=[nodes.clone(i) for i in items], ctx=gast.Load())), loop))
            items = [nodes.subscript(nodes.name(held), nodes.const(k))
                     for k in range(len(items))]
        for item in items:
            statements.append(nodes.copy_location(
                nodes.assign(nodes.clone(loop.target), nodes.clone(item)), loop))
            statements += [nodes.clone(stmt) for stmt in loop.body[:-1]]
            names.append(namer.fresh(snake(cls.__name__)))
            statements.append(nodes.copy_location(nodes.assign(names[-1], nodes.clone(built)),
                                                  last))
        display = gast.List(elts=[nodes.name(n) for n in names], ctx=gast.Load())
        end = position + 1
        following = body[end] if end < len(body) else None
        if isinstance(following, gast.Assign) and len(following.targets) == 1 and \
                isinstance(following.targets[0], gast.Name) and \
                isinstance(following.value, gast.Name) and following.value.id == name and \
                loads.get(name) == 2:
            # `layers = list_` right after (an inlined __init__'s comprehension
            # stored in an attribute): the display is bound to that name, the
            # one the loops over it read.
            name, end, start = following.targets[0].id, end + 1, following
        statements.append(nodes.copy_location(nodes.assign(name, display), start))
        body[position - 1:end] = statements
        changed = True
    return changed


# A longer loop stays a loop (and its list of objects a container, refused
# where a derivative meets it): unrolled, each item is a copy of the body.
_MOST_ITEMS = 64


def _plain_target(target) -> bool:
    """A loop variable, or a tuple of them (`for W, b in params`)."""
    return isinstance(target, gast.Name) or isinstance(target, gast.Tuple) and \
        all(isinstance(e, gast.Name) for e in target.elts)


def _displays_read_only(body: list, everything: list, counts) -> dict:
    """{name: its length} for each name a statement of the body binds, once,
    to a list or tuple display, and that is otherwise only read where Python
    reads it without changing it: iterated by a `for`, indexed, or its len().
    Its items are then those of the display wherever it is read."""
    bound = {stmt.targets[0].id: len(stmt.value.elts) for stmt in body
             if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and
             isinstance(stmt.targets[0], gast.Name) and
             isinstance(stmt.value, (gast.List, gast.Tuple)) and
             not any(isinstance(e, gast.Starred) for e in stmt.value.elts) and
             counts[stmt.targets[0].id] == 1}
    if not bound:
        return bound
    reading = set()
    for node in everything:
        if isinstance(node, gast.For) and isinstance(node.iter, gast.Name):
            reading.add(id(node.iter))
        elif isinstance(node, gast.Subscript) and isinstance(node.ctx, gast.Load) and \
                isinstance(node.value, gast.Name):
            reading.add(id(node.value))
        elif isinstance(node, gast.Call) and isinstance(node.func, gast.Name) and \
                node.func.id == "len" and len(node.args) == 1:
            reading.add(id(node.args[0]))
    for node in everything:
        if isinstance(node, gast.Name) and node.id in bound and \
                isinstance(node.ctx, gast.Load) and id(node) not in reading:
            del bound[node.id]
    return bound


def _known_items(loop: gast.For, parsed: ParsedFunction, caller_locals,
                 displays: dict | None = None) -> list | None:
    """The items a loop visits, as expressions, when written in its header:
    `range` of whole-number constants, a list or tuple display (held in a
    tuple first unless its items are names and constants), or a name bound to
    a display that is only read (`displays`: its items read by position); else None."""
    source = loop.iter
    if isinstance(source, gast.Name) and displays and source.id in displays and \
            source.id not in {n.id for n in nodes.walk(loop) if isinstance(n, gast.Name)
                              and not isinstance(n.ctx, gast.Load)}:
        if displays[source.id] > _MOST_ITEMS:
            return None
        return [nodes.subscript(nodes.name(source.id), nodes.const(k))
                for k in range(displays[source.id])]
    if isinstance(source, (gast.List, gast.Tuple)):
        if len(source.elts) > _MOST_ITEMS or any(isinstance(item, gast.Starred)
                                                 for item in source.elts):
            return None
        return list(source.elts)
    if isinstance(source, gast.Call) and not source.keywords and 1 <= len(source.args) <= 3 \
            and module_value(parsed, source.func, caller_locals) is range:
        bounds = [nodes.whole_number(a) for a in source.args]
        if any(b is None for b in bounds) or (len(bounds) == 3 and bounds[-1] == 0) or \
                len(range(*bounds)) > _MOST_ITEMS:
            return None
        return [nodes.const(k) for k in range(*bounds)]
    return None


def _objects_built(parsed, everything: list, modelled, caller_locals) -> dict:
    """id(call) -> class, for each `C(...)` of a class local_objects models;
    and name -> class for each name bound exactly once, to one of those."""
    built = {}
    for node in everything:
        if isinstance(node, gast.Call):
            cls = module_value(parsed, node.func, caller_locals)
            if isinstance(cls, type) and cls.__module__ == parsed.function.__module__ and \
                    modelled(cls):
                built[id(node)] = cls
    counts = nodes.assignment_counts(parsed.tree)
    for node in everything:
        if isinstance(node, gast.Assign) and len(node.targets) == 1 and \
                isinstance(node.targets[0], gast.Name) and id(node.value) in built and \
                counts[node.targets[0].id] == 1:
            built[node.targets[0].id] = built[id(node.value)]
    return built


def _is_object(item, built: dict) -> bool:
    return id(item) in built if isinstance(item, gast.Call) else \
        isinstance(item, gast.Name) and item.id in built


def _display_of_objects(node, built: dict) -> bool:
    return isinstance(node, (gast.List, gast.Tuple)) and node.elts and \
        all(_is_object(item, built) for item in node.elts)


def _name_uses(tree) -> dict:
    """name -> the Name nodes of it, with their parents."""
    uses: dict = {}
    for node in nodes.walk(tree):
        for field, value in gast.iter_fields(node):
            for child in value if isinstance(value, list) else [value]:
                if isinstance(child, gast.Name):
                    uses.setdefault(child.id, []).append((child, node, field))
    return uses


def _bound_sequence(statement, built: dict, uses: dict):
    """The sequence a statement of the function's body binds to a name
    bound nowhere else, or None."""
    if not (isinstance(statement, gast.Assign) and len(statement.targets) == 1 and
            isinstance(statement.targets[0], gast.Name) and
            _display_of_objects(statement.value, built)):
        return None
    name = statement.targets[0].id
    stores = [n for n, _, _ in uses.get(name, []) if not isinstance(n.ctx, gast.Load)]
    return _Sequence(statement.value, name, statement) if len(stores) == 1 else None


def _iterated(loop: gast.For, by_name: dict, built: dict):
    """(the sequence `loop` runs over, the positions it visits), or None:
    the sequence itself, `reversed(...)` of it, a slice of a named one with
    whole-number bounds (`layers[1:]`), each perhaps in `enumerate(...)`."""
    source = loop.iter
    if _enumerated(loop) is not None:
        source = loop.iter.args[0]
    elif not isinstance(loop.target, gast.Name):
        return None
    backwards = _call_of(source, "reversed")
    if backwards is not None:
        source = backwards
    chosen = None
    if isinstance(source, gast.Subscript) and isinstance(source.value, gast.Name) and \
            isinstance(source.slice, gast.Slice):
        chosen, source = source.slice, source.value
    if isinstance(source, gast.Name):
        sequence = by_name.get(source.id)
    elif _display_of_objects(source, built) and chosen is None:
        sequence = _Sequence(source, None, None)
    else:
        return None
    if sequence is None:
        return None
    visited = list(range(len(sequence.display.elts)))
    if chosen is not None:
        bounds = [nodes.whole_number(b) if b is not None else None
                  for b in (chosen.lower, chosen.upper, chosen.step)]
        if any(b is None and given is not None for b, given in
               zip(bounds, (chosen.lower, chosen.upper, chosen.step))) or bounds[2] == 0:
            return None
        visited = visited[slice(*bounds)]
    return sequence, visited[::-1] if backwards is not None else visited


def _call_of(node, function: str):
    """The one argument of `function(argument)`, a builtin called by name, or None."""
    if isinstance(node, gast.Call) and isinstance(node.func, gast.Name) and \
            node.func.id == function and len(node.args) == 1 and not node.keywords:
        return node.args[0]
    return None


def _enumerated(loop: gast.For):
    """(index name, item name) of `for i, item in enumerate(sequence)`, or None."""
    call, target = loop.iter, loop.target
    if isinstance(call, gast.Call) and isinstance(call.func, gast.Name) and \
            call.func.id == "enumerate" and len(call.args) == 1 and not call.keywords and \
            isinstance(target, gast.Tuple) and len(target.elts) == 2 and \
            all(isinstance(e, gast.Name) for e in target.elts):
        return target.elts[0].id, target.elts[1].id
    return None


def _loop_names(loop: gast.For) -> list:
    pair = _enumerated(loop)
    return list(pair) if pair is not None else [loop.target.id]


def _unrollable(loop: gast.For) -> bool:
    if loop.orelse or nodes.loop_breaks(loop.body):
        return False
    names = set(_loop_names(loop))
    for node in nodes.walk(gast.Module(body=loop.body, type_ignores=[])):
        if isinstance(node, gast.Name) and node.id in names and \
                not isinstance(node.ctx, gast.Load):
            return False
        if isinstance(node, (gast.FunctionDef, gast.Lambda)) and \
                names & nodes.names_loaded(node):
            return False
    return True


def _nested_scopes(tree) -> set:
    """The ids of the nodes inside functions defined in `tree` (their own
    scopes, which the rewrite leaves alone)."""
    inside = set()
    for node in nodes.walk(tree):
        if node is not tree and isinstance(node, (gast.FunctionDef, gast.Lambda)):
            inside.update(id(n) for n in nodes.walk(node) if n is not node)
    return inside


def _all_uses_rewritable(sequence: _Sequence, uses: dict, unrolled: list, nested: set) -> bool:
    loops = {id(n) for loop, s in unrolled if s is sequence for n in nodes.walk(loop.iter)}
    size = len(sequence.display.elts)
    for node, parent, field in uses.get(sequence.name, []):
        if id(node) in nested:
            return False
        if not isinstance(node.ctx, gast.Load):
            continue   # (its one binding)
        if id(node) in loops:
            continue
        if isinstance(parent, gast.Subscript) and field == "value" and \
                isinstance(parent.ctx, gast.Load) and _position(parent.slice, size) is not None:
            continue
        if isinstance(parent, gast.Call) and isinstance(parent.func, gast.Name) and \
                parent.func.id == "len" and len(parent.args) == 1 and not parent.keywords:
            continue
        return False
    return True


def _position(index, size: int):
    """The position a constant whole-number index reads, or None."""
    value = nodes.whole_number(index)
    return value % size if value is not None and -size <= value < size else None


def _loop_variables_stay_inside(tree, loops: list) -> bool:
    """Whether every use of the unrolled loops' variables is one of those
    loops' targets or inside one of their bodies: after unrolling, none is bound."""
    inside = set()
    targets = set()
    names = set()
    for loop in loops:
        names.update(_loop_names(loop))
        targets.update(id(n) for n in nodes.walk(loop.target))
        for statement in loop.body:
            inside.update(id(n) for n in nodes.walk(statement))
    for node in nodes.walk(tree):
        if isinstance(node, gast.Name) and node.id in names and \
                id(node) not in inside and id(node) not in targets:
            return False
    return True


class _Rewrite:
    """Unroll the loops (id(loop) -> sequence) and rewrite the uses of the
    named sequences (name -> sequence) through the function's statements."""

    def __init__(self, loops: dict, positions: dict, named: dict):
        self.loops, self.positions, self.named = loops, positions, named
        self.bindings = {id(s.statement): s for s in named.values()}

    def replacement(self, statement):
        """What `statement` becomes (None: itself), its blocks rewritten already."""
        sequence = self.loops.get(id(statement))
        if sequence is not None:
            return self._unrolled(statement, sequence)
        bound = self.bindings.get(id(statement))
        if bound is not None:
            return bound.builders   # (the items built; the sequence goes)
        self._expressions(statement)
        return None

    def _unrolled(self, loop: gast.For, sequence: _Sequence) -> list:
        # The iterable's own items are built first, where Python evaluates it.
        out = [] if sequence.name is not None else list(sequence.builders)
        pair = _enumerated(loop)
        index_name, item_name = pair if pair is not None else (None, loop.target.id)
        # (loops inside the body were unrolled first, once: they are copied)
        for count, position in enumerate(self.positions[id(loop)]):
            replacements = {item_name: sequence.item(position)}
            if index_name is not None:
                replacements[index_name] = nodes.const(count)
            for statement in loop.body:
                copied = nodes.clone(statement)
                _substitute(copied, replacements)
                out.append(copied)
        return out

    def _expressions(self, statement) -> None:
        """`name[k]` and `len(name)` of a named sequence, in the statement's
        own expressions (a compound statement's body is rewritten as a block)."""
        for field, value in gast.iter_fields(statement):
            if field in ("body", "orelse", "finalbody", "handlers", "cases"):
                continue
            for child in list(value) if isinstance(value, list) else [value]:
                if isinstance(child, gast.AST):
                    new = _ReadItems(self.named).visit(child)
                    if new is not child:
                        _set_child(statement, field, child, new)


def _set_child(parent, field, old, new) -> None:
    value = getattr(parent, field)
    if isinstance(value, list):
        value[value.index(old)] = new
    else:
        setattr(parent, field, new)


class _ReadItems(gast.NodeTransformer):
    """`name[k]` -> the item's name, `len(name)` -> its length."""

    def __init__(self, named: dict):
        self.named = named

    def replacement(self, node):
        if isinstance(node, gast.Subscript) and isinstance(node.value, gast.Name) and \
                node.value.id in self.named and isinstance(node.ctx, gast.Load):
            sequence = self.named[node.value.id]
            position = _position(node.slice, len(sequence.item_names))
            if position is not None:
                return nodes.copy_location(sequence.item(position), node)
        if isinstance(node, gast.Call) and isinstance(node.func, gast.Name) and \
                node.func.id == "len" and len(node.args) == 1 and \
                isinstance(node.args[0], gast.Name) and node.args[0].id in self.named:
            return nodes.copy_location(
                nodes.const(len(self.named[node.args[0].id].item_names)), node)
        return None

    def generic_visit(self, node):
        super().generic_visit(node)
        replaced = self.replacement(node)
        return node if replaced is None else replaced


def _substitute(tree, replacements: dict) -> None:
    """Replace each read of a name in `replacements` by a copy of its node."""
    for node in list(nodes.walk(tree)):
        for field, value in gast.iter_fields(node):
            children = value if isinstance(value, list) else [value]
            for index, child in enumerate(children):
                if isinstance(child, gast.Name) and child.id in replacements and \
                        isinstance(child.ctx, gast.Load):
                    new = nodes.copy_location(nodes.clone(replacements[child.id]), child)
                    if isinstance(value, list):
                        value[index] = new
                    else:
                        setattr(node, field, new)
