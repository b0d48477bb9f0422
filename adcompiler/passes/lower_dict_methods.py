"""Lower `D.update(...)`, `D.setdefault(...)`, `D.pop(...)` and `del D[k]` of a
dict the function builds into the element writes and removals they make.

Input: a FunctionDef whose comprehensions, local objects and local functions
are lowered. A dict's own methods change it in place; element writes
`D[k] = v` are what the rest of the compiler models exactly (an updated copy
that aliasing.py makes every other name for the dict see), so the two
methods that only write entries become those writes:

    D.update(E, a=v)                 update_items = E
                                     update_a = v
                                     update_source_keys = update_keys(update_items, where)
                                     for update_key in update_source_keys:
                                         D[update_key] = update_items[update_key]
                                     D['a'] = update_a

    D.update({'w': w2, 'b': b2})     D['w'] = w2
                                     D['b'] = b2

    y = D.setdefault(k, v) * 2       setdefault_key = k
                                     setdefault_default = v
                                     if setdefault_key not in D:
                                         D[setdefault_key] = setdefault_default
                                     y = D[setdefault_key] * 2

    v = D.pop(k) + 1                 pop_key = k          (a name or constant stays)
                                     popped = D[pop_key]
                                     removed_at(D, pop_key)
                                     v = popped + 1

    del D[k]                         removed_at(D, k)

`removed_at(D, k)` is effects.py's mark for the in-place update `D =
removed_at(D, k)` (a list's pop is written so too), whose derivative puts
the key back; `D.pop(k, default)` takes the entry only `if pop_key in D:`.
All as Python runs them: the arguments evaluated once, in order (a display's
values, then the keywords'), before any entry is written; a mapping's keys
read with `keys()` and its values by subscript, which is what `dict.update`
does with a mapping (a sequence of pairs is refused where it runs, by
runtime `update_keys`); `setdefault` writes the default only for a missing
key and returns the entry. An operand Python evaluates before a setdefault in
the same statement goes into a variable first (evaluation_order.Spill).

Only for a dict the function builds: a name every binding of which is a dict
display, a dict comprehension or a call of `dict` (so the receiver is a dict,
never another object with methods of these names, `pbar.update(1)`). Other
forms stay as written, and passes/effects.py refuses them where a derivative
meets them: the methods called on a parameter or another object, `update`
used as a value, a setdefault Python may not evaluate (after `and`, in a
branch of `a if c else b`, in a `while` test), starred arguments.

Place in the pipeline: after inline_local (a helper's dicts are then the
function's), before lower_control, which lowers the loop written here.
"""

from __future__ import annotations

import gast

from .. import nodes
from ..naming import Namer
from ..runtime import effects as runtime_effects
from ..runtime import python_builtins as runtime_builtins
from ..source import ParsedFunction
from .census import Census, called_object
from .evaluation_order import Spill, lazily_evaluated, plain, set_slot


def lower_dict_methods(parsed: ParsedFunction, census: Census | None = None) -> ParsedFunction:
    """Rewrite the `update`, `setdefault` and `pop` calls and the `del D[k]`
    statements of the function's own dicts."""
    tree = parsed.tree
    if census is None:
        census = Census(tree)
    named = [c for c in census.calls if isinstance(c.func, gast.Attribute)
             and c.func.attr in _METHODS and isinstance(c.func.value, gast.Name)]
    deletions = [s for s in nodes.statements(tree) if isinstance(s, gast.Delete)]
    if not named and not deletions:
        return parsed
    dicts = _built_dicts(parsed, census)
    calls = {id(c): c for c in named if c.func.value.id in dicts and _plain_arguments(c)}
    updates = {key for key, c in calls.items() if c.func.attr == "update" and len(c.args) <= 1}
    valued = {key for key, c in calls.items()
              if c.func.attr in ("setdefault", "pop") and 1 <= len(c.args) <= 2 and
              not c.keywords}
    deleted = {id(s) for s in deletions if all(
        isinstance(t, gast.Subscript) and isinstance(t.value, gast.Name) and
        t.value.id in dicts and not isinstance(t.slice, gast.Slice) for t in s.targets)}
    lowered = _Lowering(parsed, updates, _evaluated_surely(tree, valued), deleted)
    if not lowered.updates and not lowered.valued and not lowered.deleted:
        return parsed
    census.forget()
    tree.body = Spill(parsed, lowered.valued, set(), lowered.namer,
                      callee="a dict's setdefault(...) or pop(...)").block(tree.body)
    tree.body = lowered.block(tree.body)
    return parsed


# The dict methods lowered here: update and setdefault write entries, pop
# takes one out (as `del D[key]` does).
_METHODS = ("update", "setdefault", "pop")


def _built_dicts(parsed: ParsedFunction, census: Census) -> set:
    """The names every binding of which is `name = <dict display, dict
    comprehension or dict(...)>`: their values are dicts, whatever runs."""
    bindings: dict = {}
    for node in census.everything:
        if isinstance(node, gast.Name) and not isinstance(node.ctx, gast.Load):
            bindings[node.id] = bindings.get(node.id, 0) + 1
    built: dict = {}
    for stmt in census.everything:
        if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and \
                isinstance(stmt.targets[0], gast.Name) and _builds_a_dict(parsed, census, stmt.value):
            built[stmt.targets[0].id] = built.get(stmt.targets[0].id, 0) + 1
    return {name for name, count in built.items() if bindings.get(name) == count}


def _builds_a_dict(parsed: ParsedFunction, census: Census, value) -> bool:
    if isinstance(value, (gast.Dict, gast.DictComp)):
        return True
    return isinstance(value, gast.Call) and \
        called_object(parsed, census.stored, value.func) is dict


def _plain_arguments(call: gast.Call) -> bool:
    """No `*args` and no `**kwargs`: the arguments are known where it is written."""
    return not any(isinstance(a, gast.Starred) for a in call.args) and \
        all(k.arg is not None for k in call.keywords)


def _evaluated_surely(tree, candidates: set) -> set:
    """The ids among `candidates` of the setdefault and pop calls Python evaluates
    every time their statement runs, in the statements and places Spill puts
    operands before: the value of an assignment, a `return` or an expression
    statement, an `if` test, a `for` loop's iterable; not after `and`/`or`,
    in a branch of `a if c else b`, in a lambda, a `while` test or an
    assignment's target, and not inside the arguments of another."""
    found: set = set()
    for stmt in nodes.statements(tree):
        if isinstance(stmt, (gast.Assign, gast.Return, gast.Expr)) or \
                isinstance(stmt, gast.AugAssign) and isinstance(stmt.target, gast.Name):
            root = stmt.value
        elif isinstance(stmt, gast.If):
            root = stmt.test
        elif isinstance(stmt, gast.For):
            root = stmt.iter
        else:
            continue
        if root is None:
            continue
        lazy = {id(n) for n in lazily_evaluated(stmt)}
        calls = [n for n in nodes.walk(root) if id(n) in candidates and id(n) not in lazy]
        arguments = {id(c): {id(n) for arg in c.args for n in nodes.walk(arg)} for c in calls}
        inside = set().union(*arguments.values())
        found |= {id(c) for c in calls
                  if id(c) not in inside and not arguments[id(c)] & candidates}
    return found


class _Lowering:
    def __init__(self, parsed: ParsedFunction, updates: set, valued: set, deleted: set):
        self.parsed = parsed
        self.namer = Namer(n.id for n in nodes.walk(parsed.tree) if isinstance(n, gast.Name))
        self.valued = valued      # setdefault and pop calls, in places Python evaluates them
        self.deleted = deleted    # `del D[key]` statements
        # `D.update(...)` as a statement of its own: its value, None, is not used.
        self.updates = {id(s.value) for s in nodes.statements(parsed.tree)
                        if isinstance(s, gast.Expr) and id(s.value) in updates}

    def block(self, stmts: list) -> list:
        """The statements, the calls lowered; the blocks Spill puts operands
        in order in (those of `if`, `for` and `while`) too."""
        out: list = []
        for stmt in stmts:
            if isinstance(stmt, (gast.If, gast.For, gast.While)):
                stmt.body = self.block(stmt.body)
                stmt.orelse = self.block(stmt.orelse)
            if isinstance(stmt, gast.Expr) and id(stmt.value) in self.updates:
                out += self.update(stmt.value)
                continue
            if isinstance(stmt, gast.Expr) and id(stmt.value) in self.valued:
                # Its value, the entry, is not used.
                out += self.valued_call(stmt.value, stmt, "value", None, used=False)
                continue
            if id(stmt) in self.deleted:
                for target in stmt.targets:
                    # Python deletes each before evaluating the next's key.
                    key = self.settled(target.slice, "deleted_key", out)
                    out.append(nodes.located(self.removal(target.value.id, key), stmt))
                continue
            for call, parent, field, index in self.valued_calls_in(stmt):
                out += self.valued_call(call, parent, field, index)
            out.append(stmt)
        return out

    def valued_calls_in(self, stmt) -> list:
        """(call, parent, field, index) of each setdefault or pop of `stmt` to
        lower, in the order Python evaluates them (Spill left at most one)."""
        if isinstance(stmt, gast.If):
            roots = [(stmt, "test")]
        elif isinstance(stmt, gast.For):
            roots = [(stmt, "iter")]
        elif isinstance(stmt, (gast.Assign, gast.AugAssign, gast.Return, gast.Expr)):
            roots = [(stmt, "value")]
        else:
            return []
        found = []
        for owner, name in roots:
            value = getattr(owner, name)
            if value is None:
                continue
            if id(value) in self.valued:
                found.append((value, owner, name, None))
                continue
            for parent in nodes.walk(value):
                for field, child in gast.iter_fields(parent):
                    children = child if isinstance(child, list) else [child]
                    for position, item in enumerate(children):
                        if isinstance(item, gast.Call) and id(item) in self.valued:
                            found.append((item, parent, field,
                                          position if isinstance(child, list) else None))
        return found

    def valued_call(self, call: gast.Call, parent, field: str, index, used=True) -> list:
        """The statements a setdefault or pop stands for, before its statement;
        the call (in `parent.field[index]`) becomes the value it gives."""
        if call.func.attr == "pop":
            return self.pop(call, parent, field, index, used)
        return self.setdefault(call, parent, field, index)

    def pop(self, call: gast.Call, parent, field: str, index, used: bool) -> list:
        receiver = call.func.value.id
        out: list = []
        key = self.settled(call.args[0], "pop_key", out)
        value = self.namer.fresh("popped")
        taken = [nodes.assign(value, nodes.subscript(nodes.name(receiver), nodes.clone(key)))]
        taken = (taken if used else []) + [self.removal(receiver, key)]
        if len(call.args) == 1:
            out += taken   # a missing key raises KeyError, as d.pop(key) does
        else:
            default = self.settled(call.args[1], "pop_default", out)
            present = nodes.compare(nodes.clone(key), gast.In(), nodes.name(receiver))
            out.append(nodes.if_(present, taken,
                                 [nodes.assign(value, nodes.clone(default))] if used else []))
        if used:
            self.replace(call, parent, field, index, nodes.name(value))
        return [nodes.located(s, call) for s in out]

    def removal(self, receiver: str, key) -> gast.Expr:
        """`removed_at(D, key)`: effects.py makes it the in-place update
        `D = removed_at(D, key)`, as for a list's pop."""
        return nodes.expr_stmt(nodes.call(
            self.parsed.reference(runtime_builtins.removed_at, "removed_at"),
            [nodes.name(receiver), nodes.clone(key)]))

    def replace(self, call, parent, field: str, index, value) -> None:
        set_slot((parent, field, index), nodes.copy_location(value, call))

    def setdefault(self, call: gast.Call, parent, field: str, index) -> list:
        receiver = call.func.value.id
        out: list = []
        key = self.settled(call.args[0], "setdefault_key", out)
        default = self.settled(call.args[1] if len(call.args) > 1 else nodes.const(None),
                               "setdefault_default", out)
        out.append(written_if_missing(receiver, key, default))
        self.replace(call, parent, field, index,
                     nodes.subscript(nodes.name(receiver), nodes.clone(key)))
        return [nodes.located(s, call) for s in out]

    def update(self, call: gast.Call) -> list:
        receiver = call.func.value.id
        out: list = []
        writes: list = []
        source = call.args[0] if call.args else None
        if isinstance(source, gast.Dict) and all(
                k is not None and nodes.is_atom(k) and not isinstance(k, gast.Name)
                for k in source.keys):
            # A display with constant keys: its values, in order, are what is written.
            for key, value in zip(source.keys, source.values):
                writes.append((key, self.settled(value, "update_value", out)))
        elif source is not None:
            items = self.settled(source, "update_items", out)
            writes.append((None, items))
        for keyword in call.keywords:
            writes.append((nodes.const(keyword.arg),
                           self.settled(keyword.value, f"update_{keyword.arg}", out)))
        for key, value in writes:
            if key is not None:
                out.append(_write(receiver, key, value))
                continue
            keys = self.namer.fresh("update_source_keys")
            out.append(nodes.assign(keys, nodes.call(
                self.parsed.reference(runtime_effects.update_keys),
                [nodes.clone(value), nodes.const(self.parsed.location(call).file_line)])))
            key_name = self.namer.fresh("update_key")
            read = nodes.subscript(nodes.clone(value), nodes.name(key_name))
            out.append(nodes.for_(key_name, nodes.name(keys),
                                  [_write(receiver, nodes.name(key_name), read)]))
        return [nodes.located(s, call) for s in out]

    def settled(self, value, base: str, out: list):
        """`value` as a name or constant, evaluated now (into a variable if need be)."""
        if plain(value):
            return value
        name = self.namer.fresh(base)
        out.append(nodes.assign(name, value))
        return nodes.name(name)


def written_if_missing(receiver: str, key, value) -> gast.If:
    """`if key not in receiver: receiver[key] = value`: a setdefault's write,
    and a defaultdict's default (lower_defaultdict.py)."""
    missing = nodes.compare(nodes.clone(key), gast.NotIn(), nodes.name(receiver))
    return nodes.if_(missing, [_write(receiver, key, value)], [])


def _write(receiver: str, key, value) -> gast.Assign:
    """`receiver[key] = value`."""
    target = gast.Subscript(value=nodes.name(receiver), slice=nodes.clone(key),
                            ctx=gast.Store())
    return nodes.assign(target, nodes.clone(value))
