"""Split lists: a name that holds a list and, elsewhere, something else becomes two names.

Input: a normalised FunctionDef (anf.py, hoist.py). Output: the same function,
where each variable that is bound to a list somewhere is renamed, binding by
binding, so that one name never holds a list in one part of the function and
a number or an array in another. Activity analysis (activity.py) gives every
name one fact for the whole function; without this pass the common

    hidden = []                          hidden = []
    for x in xs:                         for x in xs:
        hidden.append(np.tanh(x))  ->        hidden.append(np.tanh(x))
    hidden = np.stack(hidden)            hidden2 = np.stack(hidden)
    return np.sum(hidden * w)            return np.sum(hidden2 * w)

would make `hidden * w` look like an operation on a list (a list join), and

    for i in range(3):                   for i in range(3):
        v = []                               v = []
        v.append(x * i)            ->        v.append(x * i)
        v = sum(v)                           v2 = sum(v)
        total = total + v * v                total = total + v2 * v2

would make `v * v` a list repetition.

Which bindings belong together is a reaching-definitions question: the
bindings that reach a common read must keep one name (a *web*); a loop's
back edge carries the bindings at the end of its body to the reads at its
start, and an update in place (`L[i] = v`, `L += M`, which the normaliser
writes as a binding marked `mutates`) joins the web of the bindings it changes.
The analysis walks the structured code (if, while, for) directly, iterating
loops to a fixed point.

A web *may hold a list* when one of its bindings may give one (a list
display, a join of lists, a call that may return one, a value popped from a
stack, an element of a list...); the others certainly hold none (arithmetic,
a NumPy call, `sum(v)`). A name whose webs are of both kinds is split in two:
the kind of its first web (a parameter's, or the first binding in the code)
keeps the name, and the webs of the other kind share one new name (`v2`),
which never overlap, or they would be one web. The webs that may hold a list
stay under one name, so a value the compiler cannot see is a list (a list
restored from a stack in generated code) keeps the facts of the lists it
shares a name with. A function whose names all have webs of one kind comes
out unchanged.

Not split: a name read or bound by a function or lambda written inside the
function (it reads the variable when it runs), one declared `global` or
`nonlocal`, and every name of a function that calls `locals()`, `vars()`,
`eval` or `exec`. The new names are recorded in `parsed.spelled`, so that
a refusal names the variable as the user wrote it.
"""

from __future__ import annotations

import builtins
import collections

import gast

from .. import nodes
from ..context import Context
from . import effects
from .activity import ListFacts, bindings, is_user_function, joins_lists, list_variables, \
    loop_ranges
from .own_arguments import COPIED_FOR_A_PRIMITIVE

_PARAMETER = "parameter"

# Builtins that never return a list, whatever their arguments hold: their
# result may share a name with a list (v = len(v)) and still be split off.
# sum is among them only without a start or with a number for one (below).
_NEVER_LISTS = (builtins.len, builtins.abs, builtins.float, builtins.int, builtins.bool,
                builtins.round, builtins.complex)

# What reads or binds variables by their names as strings: renaming would
# change what these see.
_READS_BY_NAME = (builtins.locals, builtins.vars, builtins.eval, builtins.exec)


class _Webs:
    """Reaching definitions of the tracked names, and the webs they form."""

    def __init__(self, tracked: set, nonempty: set = frozenset()):
        self.tracked = tracked
        self.nonempty = nonempty        # names of ranges known not to be empty
        self.loops: dict = {}           # definition by a for loop -> the loop's iterable
        self.parent: dict = {}          # union-find over definitions
        self.owner: dict = {}           # definition -> (name, node to rename or None)
        self.values: dict = {}          # definition -> the value bound (None: unknown)
        self.copies: dict = {}          # definition `a = b` of a tracked b -> b's definitions
        self.reads: list = []           # (Name node, definitions reaching it)
        self.updates: set = set()       # definitions that change the object in place

    def define(self, key, name: str, node, value=None) -> frozenset:
        self.parent.setdefault(key, key)
        self.owner[key] = (name, node)
        self.values[key] = value
        return frozenset([key])

    def find(self, key):
        while self.parent[key] != key:
            self.parent[key] = self.parent[self.parent[key]]
            key = self.parent[key]
        return key

    def read(self, node: gast.AST, state: dict) -> None:
        # (name_nodes, not walk: asked of every statement, where a walk of
        # every node was half of this pass on a Hessian's gradient code.)
        for name in (n for n in nodes.name_nodes(node) if n.id in self.tracked
                     and isinstance(n.ctx, gast.Load)):
            reaching = state.get(name.id, frozenset())
            self.reads.append((name, reaching))
            keys = list(reaching)
            for other in keys[1:]:
                self.parent[self.find(other)] = self.find(keys[0])

    def block(self, stmts, state: dict) -> dict:
        for stmt in stmts:
            state = self.statement(stmt, state)
        return state

    def statement(self, stmt, state: dict) -> dict:
        if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and \
                isinstance(stmt.targets[0], gast.Name):
            self.read(stmt.value, state)
            target = stmt.targets[0]
            if isinstance(stmt.value, gast.Name) and stmt.value.id in self.tracked and \
                    target.id in self.tracked:
                self.copies[id(stmt)] = state.get(stmt.value.id, frozenset())
            elif target.id in self.tracked and joins_lists(stmt.value, self.tracked):
                # L + M, L * n: a list if the bindings reaching a list operand are.
                self.copies[id(stmt)] = frozenset().union(*(
                    state.get(name, frozenset()) for name in nodes.names_loaded(stmt.value)
                    if name in self.tracked))
            if target.id in self.tracked:
                reaching = state.get(target.id, frozenset())
                state = dict(state, **{target.id: self.define(id(stmt), target.id, target,
                                                              stmt.value)})
                if nodes.annotation(stmt, "mutates") in (effects.WRITE,
                                                         effects.IN_PLACE_OPERATOR):
                    # `L += v` (or L[i] = v) changes the object L holds: the
                    # updated value is the same list, under the same name.
                    for key in reaching:
                        self.parent[self.find(key)] = self.find(id(stmt))
                    self.copies[id(stmt)] = reaching
                    self.updates.add(id(stmt))
            return state
        if isinstance(stmt, gast.If):
            self.read(stmt.test, state)
            body = self.block(stmt.body, dict(state))
            orelse = self.block(stmt.orelse, dict(state))
            return _merge(body, orelse)
        if isinstance(stmt, (gast.While, gast.For)):
            if isinstance(stmt, gast.For):
                self.read(stmt.iter, state)
            # A for loop over a range that is not empty runs its body at least
            # once (lower_control leaves no break in a for loop): what reaches
            # the code after it comes through the body.
            runs = isinstance(stmt, gast.For) and isinstance(stmt.iter, gast.Name) and \
                stmt.iter.id in self.nonempty
            while True:
                entry = state
                if isinstance(stmt, gast.While):
                    self.read(stmt.test, entry)
                inner = dict(entry)
                if isinstance(stmt, gast.For) and isinstance(stmt.target, gast.Name) and \
                        stmt.target.id in self.tracked:
                    inner[stmt.target.id] = self.define(id(stmt), stmt.target.id,
                                                        stmt.target)
                    self.loops[id(stmt)] = stmt.iter
                out = self.block(stmt.body, inner)
                state = _merge(entry, out)
                if state == entry:
                    return self.block(stmt.orelse, out if runs else state)
        self.read(stmt, state)
        return state


def _may_give_a_list(rhs: gast.AST) -> bool:
    """Whether a binding's value may be a list the compiler treats as one:
    anything but arithmetic, a comparison, a constant, a copy of a variable it
    does not treat as a list, a call of a library function other than the
    generated code's helpers (which copy and zero lists of adjoints), or a
    builtin that never gives a list (`sum(v)`, `len(v)`). Copies of list
    variables, and joins of them (`L + M`, `L * n`), are decided from the
    bindings that reach them; a join with a list display is a list."""
    if joins_lists(rhs, set()):
        return True
    if isinstance(rhs, (gast.BinOp, gast.UnaryOp, gast.Compare, gast.Constant, gast.Name)):
        return False
    if isinstance(rhs, gast.Call):
        function = nodes.annotation(rhs.func, "value", None)
        if function is builtins.sum:
            # sum(items) starts from 0, and 0 + [..] raises: a list only from
            # a list start, sum(rows, []).
            starts = rhs.args[1:] + [k.value for k in rhs.keywords if k.arg == "start"]
            return not all(isinstance(s, gast.Constant) and isinstance(s.value, (int, float))
                           for s in starts)
        if any(function is f for f in _NEVER_LISTS):
            return False
        module = getattr(function, "__module__", None) or ""
        return function is None or module.split(".")[0] in ("adcompiler", "builtins") \
            or is_user_function(function)
    return True


def _makes_a_list(rhs: gast.AST) -> bool:
    """A new list: a display, or a join with one (`[v] + L`)."""
    return isinstance(rhs, gast.List) or joins_lists(rhs, set())


def _is_parameter(key) -> bool:
    return isinstance(key, tuple) and key[0] == _PARAMETER


def _closed(webs: _Webs, roots: set) -> set:
    """`roots` and the webs of the copies of tracked variables (`v = L`,
    `L + M`) reached by one of them: a copy holds what it copies."""
    roots = set(roots)
    changed = True
    while changed:
        changed = False
        for key, reaching in webs.copies.items():
            root = webs.find(key)
            if root not in roots and any(webs.find(r) in roots for r in reaching):
                roots.add(root)
                changed = True
    return roots


def _nonempty_ranges(definitions) -> set:
    """The names bound once, to a range of constant bounds that is not empty
    (`_range = range(3)`, as lower_control and normalisation write a loop)."""
    counts = collections.Counter(target for target, _ in definitions)
    out = set()
    for target, rhs in definitions:
        if counts[target] == 1 and isinstance(rhs, gast.Call) and not rhs.keywords and \
                1 <= len(rhs.args) <= 3 and nodes.annotation(rhs.func, "value", None) is range \
                and all(isinstance(a, gast.Constant) and type(a.value) is int for a in rhs.args):
            bounds = [a.value for a in rhs.args]
            if bounds[-1] != 0 or len(bounds) < 3:
                if len(range(*bounds)) > 0:
                    out.add(target)
    return out


def _uses_not_walked(function: gast.FunctionDef, webs: _Webs) -> set:
    """The tracked names with a binding, read or deletion the walk did not see."""
    walked = {id(node) for node, _ in webs.reads} | \
        {id(node) for _, node in webs.owner.values() if node is not None}
    parameters = {id(arg) for arg in function.args.args}
    return {node.id for node in nodes.name_nodes(function)
            if node.id in webs.tracked and id(node) not in walked and
            id(node) not in parameters}


def _uncopy_numbers(function: gast.FunctionDef, webs: _Webs, may_be_list: set,
                    left_alone: set) -> None:
    """`_t = v[:]`, the copy own_arguments.py passes to a primitive of a list
    resized later, becomes `_t = v` where v certainly holds no list there:
    slicing a number raises, and an array needs no copy (the user wrote v).
    Not where that web of v is resized or changed in place (a method called
    on it, an update), which only a list (or an array) would be: the copy
    stays. Nor for the names in `left_alone`, whose webs may be incomplete."""
    roots = {id(node): {webs.find(key) for key in reaching} for node, reaching in webs.reads}
    changed = {webs.find(key) for key in webs.updates}
    for node in nodes.walk(function):
        if isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute) and \
                isinstance(node.func.value, gast.Name):
            changed |= roots.get(id(node.func.value), set())
    for stmt in nodes.walk(function):
        if isinstance(stmt, gast.Assign) and isinstance(stmt.value, gast.Subscript) and \
                isinstance(stmt.value.value, gast.Name) and \
                isinstance(stmt.value.slice, gast.Slice) and \
                stmt.value.slice.lower is stmt.value.slice.upper is stmt.value.slice.step \
                is None and stmt.value.value.id not in left_alone and \
                nodes.annotation(stmt.value.value, COPIED_FOR_A_PRIMITIVE, False) and \
                roots.get(id(stmt.value.value)) and \
                not roots[id(stmt.value.value)] & (may_be_list | changed):
            stmt.value = stmt.value.value


def _merge(a: dict, b: dict) -> dict:
    return {name: a.get(name, frozenset()) | b.get(name, frozenset()) for name in {*a, *b}}


def _unsplittable(function: gast.FunctionDef) -> set | None:
    """The names whose webs must keep one name (see the module docstring), or
    None when no name may be split."""
    kept = set()
    for node in nodes.walk(function):
        if node is not function and isinstance(node, (gast.FunctionDef, gast.Lambda)):
            kept |= {n.id for n in nodes.name_nodes(node)}
        elif isinstance(node, (gast.Global, gast.Nonlocal)):
            kept.update(node.names)
        elif isinstance(node, (gast.Name, gast.Attribute)) and any(
                nodes.annotation(node, "value", None) is f for f in _READS_BY_NAME):
            return None
        elif isinstance(node, gast.Assign):
            # `_t = x[i]` of `x[i] += v` names its container as a string
            # (anf.py): aliasing.py looks the name up.
            mutated = nodes.annotation(node, "mutated")
            if isinstance(mutated, tuple):
                kept.update(m for m in mutated if isinstance(m, str))
    return kept


def _bound_at_one_place(function: gast.FunctionDef, tracked: set) -> bool:
    """Whether each tracked name is bound at one place at most: a parameter,
    one assignment to the name, or one loop's target (the places _Webs
    defines a name at; a statement it does not walk into counts too). Each
    such name has one web, and a function whose names all have one web comes
    out unchanged: split_lists finds that without walking every statement
    for the webs (generated code's `_stack`, bound once: a Hessian's gradient
    code was walked for it, issue #13)."""
    places = collections.Counter(arg.id for arg in function.args.args if arg.id in tracked)
    for stmt in nodes.statements(function):
        kind = stmt.__class__
        if kind is gast.Assign:
            targets = stmt.targets
            if len(targets) == 1 and targets[0].__class__ is gast.Name and \
                    targets[0].id in tracked:
                places[targets[0].id] += 1
        elif kind is gast.For and stmt.target.__class__ is gast.Name and \
                stmt.target.id in tracked:
            places[stmt.target.id] += 1
    return all(count <= 1 for count in places.values())


def split_lists(function: gast.FunctionDef, ctx: Context) -> gast.FunctionDef:
    """Rename the webs of a list variable that are not of its first web's
    kind (a list or not) to one new name, in place."""
    definitions = bindings(function.body, [])
    facts = ListFacts(definitions)
    tracked = list_variables(definitions, facts=facts)
    if not tracked or _bound_at_one_place(function, tracked):
        # Unchanged: the activity analysis may read the definitions found.
        ctx.list_definitions = (function, definitions, facts)
        return function
    webs = _Webs(tracked, _nonempty_ranges(definitions))
    state = {arg.id: webs.define((_PARAMETER, arg.id), arg.id, None)
             for arg in function.args.args if arg.id in tracked}
    webs.block(function.body, state)
    # Most functions (generated code's `_stack` among them) have one web per
    # list variable: nothing to split, and a list that is one web is a list.
    webs_of: dict = {}
    for key, (name, node) in webs.owner.items():
        webs_of.setdefault(name, set()).add(webs.find(key))
    if all(len(roots) == 1 for roots in webs_of.values()):
        return function
    kept = _unsplittable(function)
    if kept is None:
        return function
    # A loop over a range binds numbers (every loop over a sequence is one,
    # after lower_control); over anything else, what it holds is not known.
    ranges = loop_ranges(definitions, [arg.id for arg in function.args.args])
    for key, iterable in webs.loops.items():
        if isinstance(iterable, gast.Name) and iterable.id in ranges:
            webs.values[key] = gast.Constant(value=0, kind=None)
    # What the walk above does not know as a binding or a read of a name (a
    # statement of a form normalisation does not produce) keeps that name's
    # webs together: a read renamed to a web that does not reach it would
    # read another variable.
    unseen_uses = _uses_not_walked(function, webs) | kept
    # A web may hold a list when a binding of it may give one; it is *known*
    # when each such binding certainly makes a new list (a display, a join
    # with one, a copy of such a list). What the caller passes is unknown,
    # and so are copies of it.
    unknown = _closed(webs, {webs.find(key) for key, value in webs.values.items()
                             if key not in webs.copies and (
                                 _is_parameter(key) or value is None or
                                 _may_give_a_list(value) and not _makes_a_list(value))})
    bound_lists = {webs.find(key) for key, value in webs.values.items()
                   if key not in webs.copies and not _is_parameter(key)
                   and (value is None or _may_give_a_list(value))}
    # A parameter holds what the caller passes: its web, split off from lists
    # the function makes, is what it is in a function that never binds the
    # parameter again. It stays with its name's lists when one of them may be
    # a value the compiler cannot see is a list (a list restored from a stack
    # in generated code, a helper's result, a copy of the parameter), whose
    # facts come from sharing the name.
    made_lists = _closed(webs, bound_lists)
    listy_parameters = set()
    for key, (name, node) in webs.owner.items():
        if not _is_parameter(key):
            continue
        others = {webs.find(other) for other, (other_name, _) in webs.owner.items()
                  if other_name == name} - {webs.find(key)}
        if others & unknown or not others & made_lists:
            listy_parameters.add(webs.find(key))
    may_be_list = _closed(webs, listy_parameters | bound_lists)
    # Each name's webs are of two kinds: those of its first web's kind keep the
    # name, the others share one new name. Where a web may be a list the
    # compiler cannot see is one, the lists keep the name, and so does the
    # first web: which kind that web holds is known only when the code runs,
    # and a number there is refused then (python_builtins.check_joined), as
    # it was before the split, rather than read as a list under a new name.
    first: dict = {}      # name -> root of its first web
    for key, (name, node) in webs.owner.items():
        first.setdefault(name, webs.find(key))
    with_unknown = {name for key, (name, node) in webs.owner.items()
                    if not _is_parameter(key) and webs.find(key) in unknown}
    renames: dict = {}    # web root -> new name
    new_names: dict = {}  # name -> the new name of its webs of the other kind
    for key, (name, node) in webs.owner.items():
        root = webs.find(key)
        if name in with_unknown:
            moved = root != first[name] and root not in may_be_list
        else:
            moved = (root in may_be_list) != (first[name] in may_be_list)
        if moved and root not in renames and name not in unseen_uses:
            if name not in new_names:
                new_names[name] = ctx.namer.fresh(name)
            renames[root] = new_names[name]
    _uncopy_numbers(function, webs, may_be_list, unseen_uses)
    if not renames:
        return function
    for key, (name, node) in webs.owner.items():
        new = renames.get(webs.find(key))
        if new and node is not None:
            node.id = new
    for node, reaching in webs.reads:
        roots = {webs.find(key) for key in reaching}
        if len(roots) == 1 and roots.pop() in renames:
            node.id = renames[webs.find(next(iter(reaching)))]
    # Messages name the variable as the user wrote it (activity.py, aliasing.py).
    spelled = ctx.parsed.spelled
    spelled.update({new: spelled.get(name, name) for name, new in new_names.items()})
    return function
