"""Split lists: a name that holds a list and, later, something else becomes two names.

Input: a normalised FunctionDef (anf.py, hoist.py). Output: the same function,
where each variable that is bound to a list somewhere is renamed, binding by
binding, so that one name never holds a list in one part of the function and
an array in another. Activity analysis (activity.py) gives every name one
fact for the whole function; without this pass the common

    hidden = []                          hidden = []
    for x in xs:                         for x in xs:
        hidden.append(np.tanh(x))  ->        hidden.append(np.tanh(x))
    hidden = np.stack(hidden)            hidden2 = np.stack(hidden)
    return np.sum(hidden * w)            return np.sum(hidden2 * w)

would make `hidden * w` look like an operation on a list.

Which bindings belong together is a reaching-definitions question: the
bindings that reach a common read must keep one name (a *web*). The webs of
such a variable that certainly hold no list (arithmetic, NumPy calls) get one
fresh name (`hidden2`); the others keep theirs. The analysis
walks the structured code (if, while, for) directly, iterating loops to a
fixed point.
"""

from __future__ import annotations

import gast

from .. import nodes
from ..context import Context
from . import effects
from .activity import bindings, is_user_function, joins_lists, list_variables

_PARAMETER = "parameter"


class _Webs:
    """Reaching definitions of the tracked names, and the webs they form."""

    def __init__(self, tracked: set):
        self.tracked = tracked
        self.parent: dict = {}          # union-find over definitions
        self.owner: dict = {}           # definition -> (name, node to rename or None)
        self.values: dict = {}          # definition -> the value bound (None: unknown)
        self.copies: dict = {}          # definition `a = b` of a tracked b -> b's definitions
        self.reads: list = []           # (Name node, definitions reaching it)

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
        for name in (n for n in nodes.walk(node) if isinstance(n, gast.Name)
                     and isinstance(n.ctx, gast.Load) and n.id in self.tracked):
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
        if isinstance(stmt, gast.Assign):
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
            return state
        if isinstance(stmt, gast.If):
            self.read(stmt.test, state)
            body = self.block(stmt.body, dict(state))
            orelse = self.block(stmt.orelse, dict(state))
            return _merge(body, orelse)
        if isinstance(stmt, (gast.While, gast.For)):
            if isinstance(stmt, gast.For):
                self.read(stmt.iter, state)
            while True:
                entry = state
                if isinstance(stmt, gast.While):
                    self.read(stmt.test, entry)
                inner = dict(entry)
                if isinstance(stmt, gast.For) and stmt.target.id in self.tracked:
                    inner[stmt.target.id] = self.define(id(stmt), stmt.target.id, stmt.target)
                state = _merge(entry, self.block(stmt.body, inner))
                if state == entry:
                    return state
        self.read(stmt, state)
        return state


def _may_give_a_list(rhs: gast.AST) -> bool:
    """Whether a binding's value may be a list the compiler treats as one:
    anything but arithmetic, a comparison, a constant, a copy of a variable it
    does not treat as a list, or a call of a library function other than the
    generated code's helpers (which copy and zero lists of adjoints). Copies of
    list variables, and joins of them (`L + M`, `L * n`), are decided from the
    bindings that reach them; a join with a list display is a list."""
    if joins_lists(rhs, set()):
        return True
    if isinstance(rhs, (gast.BinOp, gast.UnaryOp, gast.Compare, gast.Constant, gast.Name)):
        return False
    if isinstance(rhs, gast.Call):
        function = nodes.annotation(rhs.func, "value", None)
        module = getattr(function, "__module__", None) or ""
        return function is None or module.split(".")[0] in ("adcompiler", "builtins") \
            or is_user_function(function)
    return True


def _merge(a: dict, b: dict) -> dict:
    return {name: a.get(name, frozenset()) | b.get(name, frozenset()) for name in {*a, *b}}


def split_lists(function: gast.FunctionDef, ctx: Context) -> gast.FunctionDef:
    """Rename the webs of list variables after their first, in place."""
    tracked = list_variables(bindings(function.body, []))
    if not tracked:
        return function
    webs = _Webs(tracked)
    state = {arg.id: webs.define((_PARAMETER, arg.id), arg.id, None)
             for arg in function.args.args if arg.id in tracked}
    webs.block(function.body, state)
    # Only a web that certainly holds no list is renamed: the others keep the
    # facts the analyses attach to the name (a list, a tuple of adjoints...).
    may_be_list = {webs.find(key) for key, value in webs.values.items()
                   if key not in webs.copies and (value is None or _may_give_a_list(value))}
    # A copy of a tracked variable holds what the bindings reaching it hold.
    changed = True
    while changed:
        changed = False
        for key, reaching in webs.copies.items():
            root = webs.find(key)
            if root not in may_be_list and any(webs.find(r) in may_be_list for r in reaching):
                may_be_list.add(root)
                changed = True
    # The webs of a name that hold no list share one new name, as they shared
    # the old one: they never overlap, or they would be one web.
    renames: dict = {}   # web root -> new name
    new_names: dict = {}  # name -> the new name of its webs that hold no list
    seen: dict = {}      # name -> root of its first web
    for key, (name, node) in webs.owner.items():
        root = webs.find(key)
        if seen.setdefault(name, root) != root and root not in renames \
                and root not in may_be_list:
            if name not in new_names:
                new_names[name] = ctx.namer.fresh(name)
            renames[root] = new_names[name]
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
    return function
