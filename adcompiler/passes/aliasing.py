"""Aliasing: in-place changes that other names see, followed as Python does.

Input and output: a normalised FunctionDef (anf.py) whose in-place updates are
marked by the normaliser (`mutates`, see effects.py). Generated code never
changes an object in place: `x[i] = v` is `x = setitem(x, i, v)`, an updated
copy bound to x. That is Python's meaning exactly when no other live name
shares x's object. Python and NumPy share objects often: a basic slice or a
row of an array is a view of it, a loop over a list binds its elements, a
container holds its elements, a helper receives the caller's objects. So this
pass asks, for every in-place update, which other names may share the object
and are still read afterwards:

* nobody: the updated copy is exact, and the code is left as it is;
* names whose relation to the object is known (derivations.py: a copy, an
  element, a view of a base): the new value is written back into the bases
  and the derived names are read again, each step guarded by what the objects
  say when the function runs (`is_view_of` where the name was derived,
  `writes_through` for `x op= v`, `reads_change`);
* any other: a check goes in front of the update (`check_unshared`), which
  raises `SharedMemoryError` only if Python would have changed what that name
  sees; a user helper's change that is lost (helpers that could not be inlined,
  see inline_mutating.py) is refused when compiling.

A call that changes an argument the compiler does not model (OPAQUE) runs as
it is, which is only right if it changes none of the caller's arrays (refused
here) and no derivative depends on the object (activity.py).

The sharing is a may-analysis: every binding gives its target the *tokens* of
the objects it may be (`is`) or hold (`contains`); loops are iterated to a
fixed point. Liveness is the usual backward analysis.

    q = state[:n]                        q = state[:n]
                                         _q_shares = is_view_of(state, q, 'item')
    q += dt * p            ->            _t1 = dt * p; _t2 = q + _t1
                                         _in_place = writes_through(q, 'add')
                                         q = _t2
                                         if _in_place:
                                             if _q_shares:
                                                 state = setitem(state, slice(None, n), q)
    return np.sum(state)                 return np.sum(state)
"""

from __future__ import annotations

import collections
import copy as copy_module
import inspect
import types

import gast
import numpy as np

from .. import nodes, runtime
from ..runtime import core as runtime_core
from ..runtime import effects as runtime_effects
from ..runtime import python_builtins as runtime_builtins
from ..context import Context
from ..errors import SourceUnavailableError, UnsupportedSyntaxError
from ..rules import numpy_rules, registry
from ..source import parse_function
from . import effects
from .activity import is_user_function
from .anf import primitive_of
from .derivations import Derivations, inverse_axes

# Calls whose result may be (a view of) their first argument.
VIEW_FUNCTIONS = (
    np.transpose, np.reshape, np.ravel, np.squeeze, np.expand_dims, np.swapaxes, np.moveaxis,
    np.asarray, np.asanyarray, np.ascontiguousarray, np.asfortranarray, np.atleast_1d,
    np.atleast_2d, np.atleast_3d, np.diagonal, np.broadcast_to, np.real, np.imag, np.flip,
    np.fliplr, np.flipud, np.rot90, np.matrix_transpose, np.permute_dims, np.split,
    np.array_split, np.hsplit, np.vsplit, np.dsplit, np.unstack, np.rollaxis,
    np.lib.stride_tricks.as_strided, np.lib.stride_tricks.sliding_window_view,
    np.broadcast_arrays, np.require, runtime_builtins.conjugated,
    # a slice of the argument, the argument itself when real, its diagonal
    # (of a 2-D argument), its transpose; the argument itself for an order or
    # power that changes nothing (np.diff(a, 0), matrix_power(a, 1)), a
    # float64 array given to np.float64, what from_dlpack wraps
    np.trim_zeros, np.real_if_close, np.diag, np.linalg.diagonal, np.linalg.matrix_transpose,
    np.diff, np.polyder, np.polyint, np.linalg.matrix_power, np.float64, np.from_dlpack,
)
# Calls whose result is a view of their first argument in which positions
# may share one value: a write into it NumPy refuses as read-only
# (broadcast_to, sliding_window_view), or makes at every position sharing the
# value (np.broadcast_arrays' results, deprecated; as_strided's), which the
# derivative's updated copy could not follow. Refused (_Checker.mutation).
READ_ONLY_VIEWS = (np.broadcast_to, np.lib.stride_tricks.sliding_window_view,
                   np.lib.stride_tricks.as_strided)
# Methods whose result may be (a view of, or an element of) their receiver.
VIEW_METHODS = {"reshape", "view", "ravel", "transpose", "swapaxes", "squeeze", "diagonal",
                "values", "items", "get", "setdefault"}
# Calls whose result holds the elements of their first argument.
ELEMENT_SHARING = (zip, enumerate, reversed, iter, list, tuple, sorted)
# Calls and methods whose result may be an element of their first argument
# or receiver: a helper changing it in place changes what the caller's
# container holds (t = L.pop(); t *= 0.5).
ELEMENT_PICKS = (max, min, next)
ELEMENT_METHODS = {"pop", "popitem"}
# Calls that build a new container holding their argument's elements.
# `x.copy()` of a dict or list (copied) and `list(d.values())` (view_items)
# are among them: their rules differentiate them, but the new list or dict
# holds the very arrays x holds.
CONTAINER_COPIES = (list, tuple, dict, sorted, copy_module.copy, set, frozenset,
                    runtime_builtins.copied, runtime_builtins.view_items)
# A list's in-place methods, written as calls returning the updated copy
# (effects.py): the copy holds the list's entries, and what was added.
LIST_UPDATES = (runtime_builtins.extended, runtime_builtins.inserted,
                runtime_builtins.reverse_in_place, runtime_builtins.removed_at,
                runtime_builtins.repeated, runtime_effects.sort_in_place)


def _ids(group: tuple) -> frozenset:
    """The ids of a group of module-level objects (alive as long as the module),
    for _identity_in."""
    return frozenset(id(member) for member in group)


_READ_ONLY_VIEW_IDS = _ids(READ_ONLY_VIEWS)
_VIEW_FUNCTION_IDS = _ids(VIEW_FUNCTIONS)
_COPY_OR_SHARING_IDS = _ids(CONTAINER_COPIES + ELEMENT_SHARING)
_LIST_UPDATE_IDS = _ids(LIST_UPDATES)
_ROOT_CALL_IDS = _ids(VIEW_FUNCTIONS + ELEMENT_SHARING + ELEMENT_PICKS)

_EMPTY = (frozenset(), frozenset())
# Marks a generated recording primal or adjoint, whose first parameter is the
# caller's stack.
STACK_FIRST = "__adcompiler_stack_first__"
# What a module-level name may hold that an in-place update would change.
_MODULE_LEVEL_MUTABLES = (np.ndarray, list, dict, set, tuple)
# Objects with attributes that are not data: functions, classes, modules.
_CODE_OBJECTS = (types.FunctionType, types.BuiltinFunctionType, types.MethodType,
                 types.ModuleType, type, np.ufunc)


def _module_level_mutable(value) -> bool:
    """Whether a module-level object may hold something an in-place update
    changes: an array or container, or a user object holding them in its
    attributes (MODEL, whose MODEL.weights() returns MODEL.w itself)."""
    if isinstance(value, _MODULE_LEVEL_MUTABLES):
        return True
    return (hasattr(value, "__dict__") or hasattr(type(value), "__slots__")) and \
        not isinstance(value, _CODE_OBJECTS) and value is not None and \
        not getattr(type(value), "__module__", "").startswith(
            ("numpy", "scipy", "functools", "builtins"))


def _module_level_attributes(tree: gast.AST, bound: set) -> list:
    """'Config.w' for each attribute chain the function reads off a
    module-level name whose value (resolve.py's annotation) is an array or a
    container, in a fixed order."""
    found = set()
    for node in nodes.walk(tree):
        if not (isinstance(node, gast.Attribute) and isinstance(node.ctx, gast.Load) and
                isinstance(nodes.annotation(node, "value", None), _MODULE_LEVEL_MUTABLES)):
            continue
        path, base = [node.attr], node.value
        while isinstance(base, gast.Attribute):
            path.append(base.attr)
            base = base.value
        if isinstance(base, gast.Name) and base.id not in bound and \
                nodes.annotation(base, "value", None) is not None:
            found.add(".".join([base.id, *reversed(path)]))
    return sorted(found)


def _read_in_helpers(tree: gast.AST, module_globals: dict) -> list:
    """'W', 'Config.w' and 'helper.__defaults__[0]' for the module-level arrays
    and containers that the user functions `tree` calls read (their globals,
    attribute chains of them, their default values), transitively, where those
    functions share the caller's module and so can be named by its code."""
    found, seen = set(), set()
    pending = [(nodes.annotation(node.func, "value", None), getattr(node.func, "id", None))
               for node in nodes.walk(tree) if isinstance(node, gast.Call)]
    while pending:
        helper, name = pending.pop()
        if not is_user_function(helper) or id(helper) in seen or \
                getattr(helper, "__globals__", None) is not module_globals:
            continue
        seen.add(id(helper))
        if name is not None and module_globals.get(name) is helper:
            found.update(f"{name}.__defaults__[{i}]" for i, value in
                         enumerate(getattr(helper, "__defaults__", None) or ())
                         if isinstance(value, _MODULE_LEVEL_MUTABLES))
        try:
            parsed = parse_function(helper)
        except SourceUnavailableError:
            continue
        local = nodes.names_stored(parsed.tree) | set(parsed.closure)
        for node in nodes.walk(parsed.tree):
            path, base = [], node
            while isinstance(base, gast.Attribute):
                path.append(base.attr)
                base = base.value
            if not (isinstance(base, gast.Name) and isinstance(base.ctx, gast.Load) and
                    base.id not in local and base.id in module_globals):
                continue
            value = module_globals[base.id]
            try:
                for attribute in reversed(path):
                    value = getattr(value, attribute)
            except Exception:  # noqa: BLE001 - an attribute the helper may never read
                continue
            if not path and is_user_function(value):
                pending.append((value, base.id))
            elif isinstance(value, _MODULE_LEVEL_MUTABLES) or \
                    (not path and _module_level_mutable(value)):
                found.add(".".join([base.id, *reversed(path)]))
    return sorted(found)


def _may_not_copy(primitive, call: gast.Call) -> bool:
    """np.array(x, copy=False) or copy=None, x.astype(dtype, copy=False): x
    itself when it is an array (of that dtype)."""
    return (primitive is np.array or primitive is np.astype) and any(
        k.arg == "copy" and not (isinstance(k.value, gast.Constant) and k.value.value is True)
        for k in call.keywords)


def _identity_in(obj, ids: frozenset) -> bool:
    """Whether `obj` is one of the objects whose ids `ids` holds (_ids), that
    is, `obj is` one of them: asked of every call, where a generator scanning
    the group was a fifth of the pass on a Hessian's gradient code (issue #13)."""
    return id(obj) in ids


# -- liveness -----------------------------------------------------------------
class _Liveness:
    """Names read after each statement (before being bound again), kept for
    the statements in `wanted` (ids) only: one set per statement of a long
    function would take memory quadratic in its length."""

    def __init__(self, wanted):
        self.after: dict = {}
        self.wanted = wanted

    def block(self, stmts, live_out: set) -> set:
        return self.through(stmts, set(live_out))

    def through(self, stmts, live: set) -> set:
        """`block`, with `live` updated in place (or a new set returned)."""
        for stmt in reversed(stmts):
            live = self.statement(stmt, live)
        return live

    def statement(self, stmt, live_out: set) -> set:
        """The names live before `stmt`; `live_out` is the caller's to give
        (it is updated in place)."""
        key = id(stmt)
        if key in self.wanted:
            self.after[key] = set(live_out) if key not in self.after \
                else self.after[key] | live_out
        if isinstance(stmt, gast.Assign):
            live_out.discard(stmt.targets[0].id)
            live_out |= nodes.names_loaded(stmt.value)
            return live_out
        if isinstance(stmt, gast.If):
            # (The else branch goes through `live_out` itself, the body through
            # a copy: a copy less of many names in a Hessian's gradient code.)
            body = self.block(stmt.body, live_out)
            live = self.through(stmt.orelse, live_out)
            live |= body
            live |= nodes.names_loaded(stmt.test)
            return live
        if isinstance(stmt, (gast.While, gast.For)):
            # The head's fixed point: `head | entry` is `head` when `entry`
            # (the body's own copy) is within it, asked without building the
            # union (thousands of names are live in a Hessian's gradient code).
            loop_for = isinstance(stmt, gast.For)
            head = live_out | nodes.names_loaded(stmt.iter if loop_for else stmt.test)
            while True:
                entry = self.block(stmt.body, head)
                if loop_for:
                    entry.discard(stmt.target.id)
                if entry <= head:
                    return head
                head = head | entry
        live_out |= nodes.names_loaded(stmt)
        return live_out


class _Defined:
    """Names certainly bound before each statement: a check can read only those
    (a name bound on one path only would raise UnboundLocalError). Kept for
    the statements in `wanted` (ids) only, as _Bound views of the names
    bound on the way there.

    The names bound on a path are a dict, name -> the clock's time when it was
    bound there, that only ever grows: the names bound before a statement
    are those it held then, told by their times, and need no copy (a
    Hessian's gradient code pushes hundreds of values, each with thousands of
    names bound before it, and the checker asks of a few names only)."""

    def __init__(self, wanted):
        self.before: dict = {}
        self.wanted = wanted
        self.clock = 0

    def block(self, stmts, defined: dict) -> dict:
        for stmt in stmts:
            defined = self.statement(stmt, defined)
        return defined

    def statement(self, stmt, defined: dict) -> dict:
        """The names bound after `stmt`; `defined` is the caller's to give
        (it is updated in place)."""
        key = id(stmt)
        if key in self.wanted:
            # Later than every name bound so far, not later than any bound after.
            self.clock += 1
            view = (defined, self.clock)
            held = self.before.get(key)
            self.before[key] = _Bound([view]) if held is None else _Bound(held.views + [view])
        if isinstance(stmt, gast.Assign):
            if stmt.targets[0].id not in defined:
                defined[stmt.targets[0].id] = self.clock
            return defined
        if isinstance(stmt, gast.If):
            body = self.block(stmt.body, dict(defined)).keys()
            both = body & self.block(stmt.orelse, defined).keys()
            # A new dict, which no view holds: bound before anything later.
            return dict.fromkeys(both, self.clock)
        if isinstance(stmt, gast.While):
            self.block(stmt.body, dict(defined))
            return defined  # the body may not run
        if isinstance(stmt, gast.For):
            inside = dict(defined)
            inside.setdefault(stmt.target.id, self.clock)
            self.block(stmt.body, inside)
            return defined
        return defined


class _Bound:
    """The names certainly bound before a statement (_Defined), for `in`:
    those each view (names bound on a path, the time the statement was
    reached there) held then."""

    __slots__ = ("views",)

    def __init__(self, views: list):
        self.views = views

    def __contains__(self, name: str) -> bool:
        return all(names.get(name, time) < time for names, time in self.views)


# -- sharing ------------------------------------------------------------------
class _Sharing:
    """For each name, the tokens of the objects it may be and may hold."""

    def __init__(self, wanted, lists=frozenset(), parsed=None, function=None):
        # The function's parsed source (module-level names a helper's result
        # may be) and the function, whose names hide module-level ones.
        self.parsed = parsed
        self.function = function
        self._local_names = None
        # id(stmt) -> state before it (joined over visits), for the statements
        # in `wanted` only: a copy of the state at every statement of a long
        # function would take memory quadratic in its length.
        self.before: dict = {}
        self.wanted = wanted
        # (a state, the copy of it last kept) and the names given new facts
        # since, in any state: the next statement asked about in that state
        # keeps those names' facts over the copy (_Changed) instead of a copy
        # of its own while they are few (a Hessian's gradient code pushes
        # hundreds of values in a row, thousands of names known at each).
        self._copied: tuple = (None, None)
        self._changed: set = set()
        # Names appended to or popped from: lists for certain, whose elements
        # are objects of their own (an array's element or row is a view of it).
        self.lists = lists
        # The names each enclosing branch or loop body has given new facts to,
        # innermost last: where paths join, only those need joining (the
        # others hold the same facts on both paths, by reference).
        self.touched: list = []
        # token -> every name whose facts held it at some point, on any path:
        # those that may share an object with a name holding the token are
        # among them, so a list's append and _Checker.sharers look at them
        # only, not at every name (thousands in a Hessian's gradient code, at
        # every _stack.append and pop). `noted` keeps the fact sets entered
        # per name (alive, so that their ids stay theirs).
        self.sets_with: dict = {}   # token -> ids of the fact sets holding it
        self.names_of: dict = {}    # id of a fact set -> the names it was given to
        self.kept: list = []        # those fact sets, alive so that their ids stay theirs

    def local_names(self) -> frozenset:
        """The names the function binds, which hide module-level ones: read
        when a helper may return a module-level object, which few functions
        call (a walk of every name of a Hessian's gradient code, issue #13)."""
        if self._local_names is None:
            self._local_names = frozenset(nodes.names_stored(self.function)) \
                if self.function is not None else frozenset()
        return self._local_names

    def note(self, name: str, facts) -> None:
        """Enter `name` as a holder of the tokens of `facts` (sets of tokens).
        A fact set is shared by reference (a list's contents by every value
        popped from it), so its tokens are entered once, not once per name."""
        for part in facts:
            names = self.names_of.get(id(part))
            if names is not None:
                names.add(name)
                continue
            self.names_of[id(part)] = {name}
            self.kept.append(part)
            for token in part:
                sets = self.sets_with.get(token)
                if sets is None:
                    sets = self.sets_with[token] = []
                sets.append(id(part))

    def holding(self, tokens) -> set:
        """The names whose facts may hold one of `tokens` (a superset)."""
        out: set = set()
        names_of = self.names_of
        for token in tokens:
            for part in self.sets_with.get(token, ()):
                out |= names_of[part]
        return out

    def block(self, stmts, state: dict) -> dict:
        for stmt in stmts:
            state = self.statement(stmt, state)
        return state

    def touch(self, name: str) -> None:
        """`name` was given new facts (every change of a state goes through
        here, or joins names that did)."""
        self._changed.add(name)
        if self.touched:
            self.touched[-1].add(name)

    def _kept(self, state: dict):
        """The facts of `state` as they are now, for the checker's `get`."""
        source, copy = self._copied
        if source is state and len(self._changed) * 8 <= len(state):
            return _Changed(copy, {name: state.get(name) for name in self._changed})
        copy = dict(state)
        self._copied, self._changed = (state, copy), set()
        return copy

    def branch(self, stmts, state: dict) -> tuple[dict, set]:
        """The state after `stmts`, and the names they gave new facts to."""
        self.touched.append(set())
        state = self.block(stmts, state)
        touched = self.touched.pop()
        if self.touched:
            self.touched[-1] |= touched
        return state, touched

    def statement(self, stmt, state: dict) -> dict:
        """The state after `stmt`; `state` is the caller's to give (it is
        updated in place, so a statement costs what it changes, not a copy
        of every name's facts). The facts themselves are never changed once
        made, so states share them by reference."""
        key = id(stmt)
        if key in self.wanted:
            held = self.before.get(key)
            if held is None:
                self.before[key] = self._kept(state)
            elif isinstance(held, _Joined):
                held.states.append(self._kept(state))
            else:
                self.before[key] = _Joined([held, self._kept(state)])
        if isinstance(stmt, gast.Assign):
            target = stmt.targets[0].id
            value = self.value(stmt.value, state, stmt)
            if nodes.annotation(stmt, "mutates") in (effects.WRITE, effects.IN_PLACE_OPERATOR) \
                    and nodes.annotation(stmt, "mutated") is None:
                # Changed in place, the object stays what it was (and a number
                # rebound by `x += v` is a new one: both, to be safe).
                old = state.get(target, _EMPTY)
                value = (_union(old[0], value[0]), _union(old[1], value[1]))
                # Every other name for the object holds what it holds now
                # (M = L; L += [A[0]]: M[1] is A's row).
                self.hold(old[0], value[1] - old[1], state)
            state[target] = value
            self.note(target, value)
            self.touch(target)
            return state
        if isinstance(stmt, gast.Expr) and nodes.list_method(stmt.value, "append"):
            store = state.get(stmt.value.func.value.id, _EMPTY)[0]
            held = _whole(self.operand(stmt.value.args[0], state)) if stmt.value.args \
                else frozenset()
            self.hold(store, held, state)
            return state
        if isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Call) and \
                is_user_function(primitive_of(stmt.value)):
            # push(A[0], L) for its effect: what the helper stores (see call).
            self.call(stmt.value, state, frozenset({("new", id(stmt))}))
            return state
        if isinstance(stmt, gast.If):
            body, touched = self.branch(stmt.body, dict(state))
            orelse, touched_else = self.branch(stmt.orelse, state)
            return _join_touched(body, orelse, touched | touched_else)
        if isinstance(stmt, (gast.While, gast.For)):
            head = state
            while True:
                entry = dict(head)
                if isinstance(stmt, gast.For):
                    entry[stmt.target.id] = self.element(stmt.iter, head)
                    self.note(stmt.target.id, entry[stmt.target.id])
                    self.touch(stmt.target.id)
                out, touched = self.branch(stmt.body, entry)
                if isinstance(stmt, gast.For):
                    touched.add(stmt.target.id)
                # `out` began as a copy of `head`, and every change of a state
                # touches the name changed: the two differ in `touched` only,
                # where they are compared (not by a copy of `head` and a
                # comparison of every name, thousands in a Hessian's
                # gradient code, each round of each loop: issue #13).
                new = _join_touched(head, out, touched)
                if all(new.get(name) == head.get(name) for name in touched):
                    return head
                head = new
        return state

    def hold(self, store: frozenset, held: frozenset, state: dict) -> None:
        """The names that may be the object of tokens `store` (a list appended
        to, a container changed in place) hold the tokens `held` too."""
        if not (held and store):
            return
        for name in self.holding(store):
            if name not in state:
                continue
            is_, contains = state[name]
            if not is_.isdisjoint(store) and not held <= contains:
                state[name] = (is_, _union(contains, held))
                self.note(name, (held,))
                self.touch(name)

    def operand(self, atom, state) -> tuple:
        if isinstance(atom, gast.Name):
            if atom.id not in state and _module_level_mutable(
                    nodes.annotation(atom, "value", None)):
                # A module-level array or container: changing it in place would
                # change the module's (see _Checker.sharers).
                return frozenset({("global", atom.id)}), frozenset({("global", atom.id)})
            return state.get(atom.id, _EMPTY)
        if isinstance(atom, gast.Attribute):
            # MODEL.w: an array a module-level object holds, changed in place
            # through a second name, is the module's (checked against MODEL).
            owner = _module_level_owner(atom, state)
            if owner is not None and _module_level_mutable(nodes.annotation(atom, "value",
                                                                            None)):
                return frozenset({("global", owner)}), frozenset({("global", owner)})
            return _EMPTY
        if isinstance(atom, (gast.List, gast.Tuple)):
            held = _union_all([_whole(self.operand(e, state)) for e in atom.elts])
            return frozenset(), held
        if isinstance(atom, gast.Subscript):
            # An entry written in a display, [A[0]] (L += [A[0]]): a view or element.
            return self.value(atom, state, None)
        return _EMPTY

    def element(self, atom, state) -> tuple:
        """What reading an element, a row or a view of `atom` may give."""
        is_, contains = self.operand(atom, state)
        return _union(is_, contains), contains

    def value(self, rhs, state, stmt) -> tuple:
        fresh = frozenset({("new", id(stmt))})
        if isinstance(rhs, gast.Name):
            return self.operand(rhs, state)
        if isinstance(rhs, gast.Subscript):
            if isinstance(rhs.value, gast.Name) and rhs.value.id in self.lists and \
                    not isinstance(rhs.slice, gast.Slice):
                held = self.operand(rhs.value, state)[1]
                return held, held
            return self.element(rhs.value, state)
        if isinstance(rhs, gast.Attribute):
            if self.operand(rhs, state) != _EMPTY:
                return self.operand(rhs, state)
            if nodes.annotation(rhs, "value", None) is not None or \
                    rhs.attr in numpy_rules.NONDIFFERENTIABLE_ATTRIBUTES:
                return _EMPTY
            return self.element(rhs.value, state)
        if isinstance(rhs, (gast.Tuple, gast.List)):
            return fresh, _union_all([_whole(self.operand(e, state)) for e in rhs.elts])
        if isinstance(rhs, gast.Dict):
            return fresh, _union_all([_whole(self.operand(v, state)) for v in rhs.values])
        if isinstance(rhs, gast.BinOp):
            return fresh, _union(self.operand(rhs.left, state)[1],
                                 self.operand(rhs.right, state)[1])
        if isinstance(rhs, gast.Call):
            return self.call(rhs, state, fresh)
        return fresh, frozenset()

    def call(self, rhs: gast.Call, state, fresh) -> tuple:
        if nodes.list_method(rhs, "pop"):
            held = self.operand(rhs.func.value, state)[1]
            return held, held  # an element, taken out of the list
        primitive = primitive_of(rhs)
        arguments = nodes.call_arguments(rhs)
        read_only = frozenset({("read-only", id(rhs))})
        if primitive is type and len(rhs.args) == 1 and not rhs.keywords:
            # type(k): the class, holding the data an object of it reads as its
            # own (_class_data), `type(k).arr` the class's array itself.
            held = _whole(self.operand(rhs.args[0], state))
            return fresh | held, held
        if primitive is np.broadcast_arrays:
            # A tuple holding a read-only view of each argument (`*arrays`
            # included), where other view functions view their first only.
            held = frozenset().union(*[self.element(a, state)[0] for a in arguments])
            return fresh, held | read_only
        if _identity_in(primitive, _READ_ONLY_VIEW_IDS) and rhs.args:
            is_, contains = self.element(rhs.args[0], state)
            return is_ | read_only, contains
        if (_identity_in(primitive, _VIEW_FUNCTION_IDS) or _may_not_copy(primitive, rhs)) and \
                rhs.args:
            return self.element(rhs.args[0], state)
        if primitive is np.einsum and len(rhs.args) == 2:
            # np.einsum("ij->ji", a) and "ii->i" give views of their one operand.
            return self.element(rhs.args[1], state)
        if primitive is runtime_core.loop_sequence and rhs.args:
            return self.operand(rhs.args[0], state)  # the iterable itself, or its keys
        if _identity_in(primitive, _COPY_OR_SHARING_IDS):
            held = frozenset().union(*[self.element(a, state)[0] for a in arguments])
            return fresh, held
        if primitive is runtime_core.in_place_result and rhs.args:
            # L += M: the joined list itself, L + M written in place or bound before.
            joined = rhs.args[0]
            if isinstance(joined, gast.BinOp):
                return fresh, self.operand(joined.left, state)[1] | \
                    self.operand(joined.right, state)[1]
            return self.operand(joined, state)
        if _identity_in(primitive, _LIST_UPDATE_IDS) and rhs.args:
            # L.extend(M), L.insert(i, v), L.reverse(), del L[i] as updated copies:
            # a new list holding L's entries and the values added.
            held = self.operand(rhs.args[0], state)[1]
            if primitive is runtime_builtins.inserted and len(rhs.args) == 3:
                held |= _whole(self.operand(rhs.args[2], state))
            elif primitive is runtime_builtins.extended and len(rhs.args) == 2:
                held |= self.element(rhs.args[1], state)[0]
            return fresh, held
        if primitive is runtime_builtins.deep_copied:
            # A new container of new objects, which it may hold more than once
            # (copy.deepcopy of {"a": v, "b": v}: E["a"] is E["b"]): its own
            # contents, so that an entry changed in place is checked for others.
            return fresh, frozenset({("new-contents", id(rhs))})
        rule = registry.lookup(primitive) if primitive is not None else None
        if rule is not None and not is_user_function(primitive):
            # A new array or number; an updated copy of a container still holds
            # its elements.
            if primitive is runtime_core.setitem and len(rhs.args) == 3:
                return fresh, self.operand(rhs.args[0], state)[1] | \
                    _whole(self.operand(rhs.args[2], state))
            return fresh, frozenset()
        # A user function or an unknown callable may return any object it
        # was given, or part of one.
        given = list(arguments)
        if isinstance(rhs.func, gast.Attribute) and isinstance(rhs.func.value, gast.Name) and \
                nodes.annotation(rhs.func, "value", None) is None:
            given.append(rhs.func.value)
        # A split derivative adcompiler generated appends to and pops from the
        # caller's stack, its first argument, and never returns the list
        # itself: at most an object the list holds (reverse_backend.py).
        stack = rhs.args[0] if getattr(primitive, STACK_FIRST, False) and rhs.args else None
        shared = _union_all([self.operand(a, state)[1] if a is stack else
                             _whole(self.operand(a, state)) for a in given])
        if is_user_function(primitive):
            shared |= self.returned_globals(primitive)
            # A list or dict the helper appends to or writes into may hold, from
            # now on, any object it was given (push(A[0], L): L[1] is A's row).
            stores = _helper_writes(primitive, None)[3]
            arguments = arguments_by_position(primitive, rhs)
            # Through *args or **kwargs (UNPLACED): any argument may be the one.
            receivers = given if UNPLACED in stores else [
                arguments[p] for p in stores if p < len(arguments) and arguments[p] is not None]
            for receiver in receivers:
                self.hold(self.operand(receiver, state)[0], shared, state)
        if isinstance(primitive, type):
            shared |= _class_data(primitive)
        return _union(fresh, shared), shared

    def returned_globals(self, function) -> frozenset:
        """Tokens of the module-level objects `function` may return (part of):
        the caller's own name for the object where it has one, else a token
        that has any in-place update of the result refused."""
        out = set()
        for name in helper_returned_globals(function):
            theirs = getattr(function, "__globals__", {}).get(name, _EMPTY)
            found, mine = (False, None) if self.parsed is None or name in self.local_names() \
                else self.parsed.lookup(name)
            out.add(("global", name) if found and mine is theirs else
                    ("foreign", name, function.__name__))
        return frozenset(out)


def _class_data(cls: type) -> frozenset:
    """Tokens of the arrays and containers a class holds at class level
    (`arr = np.ones(4)` in its body), which every instance reads as its
    attribute until it assigns its own: `t = k.arr; t -= x` of `k = K()`
    changes the class's array in Python, for every later reader; so do the
    module-level arrays and containers its __init__ reads, which it may store
    in the object (`self.arr = BUFFER`). An object of a class of the
    function's own module is rewritten by local_objects.py (whose reads of
    class data are checked as `K.arr`); this covers the others, whose
    instances stay objects."""
    if cls.__module__.startswith(("numpy", "scipy", "builtins", "collections")):
        return frozenset()
    found = set()
    for owner in cls.__mro__[:-1]:
        for name, value in vars(owner).items():
            if not name.startswith("__") and isinstance(value, _MODULE_LEVEL_MUTABLES):
                found.add(("foreign", f"{owner.__name__}.{name}", cls.__name__))
        # `self.arr = BUFFER` in __init__: the object's attribute is the
        # module's array (a global __init__ reads may be one it stores).
        init = vars(owner).get("__init__")
        module_globals = getattr(init, "__globals__", {})
        for name in getattr(getattr(init, "__code__", None), "co_names", ()):
            if isinstance(module_globals.get(name), _MODULE_LEVEL_MUTABLES):
                found.add(("foreign", f"{owner.__module__}.{name}", cls.__name__))
    return frozenset(found)


def _without_unread(pre: list, post: list, olds: set) -> tuple[list, list]:
    """Drop the `_x_before = x` references nothing ended up reading."""
    read = set().union(*[nodes.names_loaded(s) for s in pre + post])

    def keep(stmts):
        out = []
        for stmt in stmts:
            if isinstance(stmt, gast.Assign) and stmt.targets[0].id in olds and \
                    stmt.targets[0].id not in read:
                continue
            if isinstance(stmt, gast.If):
                stmt.body = keep(stmt.body) or [gast.Pass()]
            out.append(stmt)
        return out
    return keep(pre), keep(post)


def _whole(facts: tuple) -> frozenset:
    return _union(facts[0], facts[1])


def _union(a: frozenset, b: frozenset) -> frozenset:
    """`a | b`, but the larger set itself when it holds the other. In a
    Hessian's gradient code every value popped from the stack holds all the
    stack holds (thousands of tokens), and each operation on such values
    built that union anew: quadratic in the function's length (issue #13)."""
    if a is b:
        return a
    if len(a) < len(b):
        a, b = b, a
    return a if b <= a else a | b


def _union_all(sets: list) -> frozenset:
    """`frozenset().union(*sets)`, sharing the largest set when it holds the rest."""
    out = frozenset()
    for part in sets:
        out = _union(out, part)
    return out


def _meets(facts: tuple, tokens: frozenset) -> bool:
    """Whether `_whole(facts) & tokens` is not empty, without building the union
    (asked of every live name at every list append of a long gradient)."""
    return not (facts[0].isdisjoint(tokens) and facts[1].isdisjoint(tokens))


def _join_touched(a: dict, b: dict, touched: set) -> dict:
    """The join (as `b`, updated in place) of two states that differ in
    the names `touched` only, holding the same facts by reference elsewhere."""
    for name in touched:
        old, facts = a.get(name), b.get(name)
        if facts is None:
            b[name] = old
        elif old is not None and old is not facts:
            b[name] = (_union(old[0], facts[0]), _union(old[1], facts[1]))
    return b


class _Changed:
    """A state as a copy of it made earlier and the facts of the names
    changed since (None: not known), for `get` (as of a state)."""

    __slots__ = ("copy", "changed")

    def __init__(self, copy: dict, changed: dict):
        self.copy, self.changed = copy, changed

    def get(self, name: str, default=None):
        if name in self.changed:
            facts = self.changed[name]
            return default if facts is None else facts
        return self.copy.get(name, default)


class _Joined:
    """The states before a statement visited more than once (in a loop, each
    round to the fixed point), joined name by name when the checker reads a
    name (`get`, as of a state): the checker reads a few names of a few
    statements, where joining whole states at each visit went through
    thousands of names per visit on a Hessian's gradient code (issue #13)."""

    __slots__ = ("states",)

    def __init__(self, states: list):
        self.states = states

    def get(self, name: str, default=None):
        found = None
        for state in self.states:
            facts = state.get(name)
            # Most names hold the same facts on every visit (states share
            # them by reference): no set unions for those.
            if facts is not None and facts is not found:
                found = facts if found is None else (_union(found[0], facts[0]),
                                                     _union(found[1], facts[1]))
        return default if found is None else found


# -- effects of the user's helpers ----------------------------------------------
# The key of helper_effects for a change made through a parameter that has no
# position: a *args element, a keyword-only parameter or a **kwargs entry.
UNPLACED = "*"


def helper_effects(function, seen=None) -> dict:
    """{parameter position: (kind, operator, line)} for the parameters a user
    function may change in place (effects.WRITE / IN_PLACE_OPERATOR), found in
    its source, with the key UNPLACED for a change through *args, a
    keyword-only parameter or **kwargs; {} when the source cannot be read
    (compiling it fails later)."""
    return _helper_writes(function, seen)[0]


def arguments_by_position(function, call: gast.Call) -> list:
    """The argument nodes of `call` by the position of the parameter of
    `function` they bind, keyword arguments included (None where none does)."""
    found = list(call.args)
    try:
        names = [p.name for p in inspect.signature(function).parameters.values()
                 if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        return found
    for keyword in call.keywords:
        if keyword.arg in names:
            position = names.index(keyword.arg)
            found += [None] * (position + 1 - len(found))
            found[position] = keyword.value
    return found


def _keyword_parameters(function) -> set:
    """The names of `function`'s keyword-only and **kwargs parameters."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return set()
    return {p.name for p in parameters if p.kind in (p.KEYWORD_ONLY, p.VAR_KEYWORD)}


def helper_global_writes(function) -> dict:
    """{name: line} for the module-level (or enclosing) objects a user function,
    or a helper of its module it calls, changes in place (`W[0] = v`,
    `np.multiply(W, 2, out=W)`, `LOG.append(v)`)."""
    return _helper_writes(function, None)[1]


def helper_returned_globals(function) -> dict:
    """{name: line} for the module-level (or enclosing) objects a user function
    may return, or return part of (`return MODEL.w`, `return PARAMS[name]`,
    `return STATE[:2]`, the result of a helper of its module that does): the
    caller may change them in place through the result."""
    return _helper_writes(function, None)[2]


def _helper_writes(function, seen) -> tuple[dict, dict, dict, frozenset]:
    if seen is None and _WRITES is not None:
        # While check_aliasing runs, a helper called at many places is read once.
        if id(function) not in _WRITES:
            _WRITES[id(function)] = (function, _helper_writes(function, set()))
        return _WRITES[id(function)][1]
    seen = set() if seen is None else seen
    if function in seen:
        return {}, {}, {}, frozenset()
    seen.add(function)
    # The helpers being read (this one and its callers), for the results of
    # helpers it calls: `seen` grows with every helper read below.
    callers = frozenset(seen)
    try:
        parsed = parse_function(function)
    except SourceUnavailableError:
        return {}, {}, {}, frozenset()
    tree = parsed.tree
    # *args, keyword-only parameters and **kwargs: a change through them is
    # noted under UNPLACED. The parsed tree lists keyword-only parameters and
    # **kwargs as plain ones after the positional ones (source.py), so they
    # are told apart by the function's own signature.
    unplaced = _keyword_parameters(function)
    params = [a.id for a in tree.args.args if a.id not in unplaced]
    roots = {p: p for p in params}
    for name in unplaced | ({tree.args.vararg.id} if tree.args.vararg is not None else set()):
        roots[name] = ("unplaced", name)
    # Free names (module globals, closure cells) are roots too, marked as such.
    local = {n.id for n in gast.walk(tree)
             if isinstance(n, gast.Name) and isinstance(n.ctx, (gast.Store, gast.Param))}
    for node in gast.walk(tree):
        if isinstance(node, gast.Name) and node.id not in local and (
                node.id in parsed.globals or node.id in parsed.closure):
            roots.setdefault(node.id, ("free", node.id))

    def root(expr):
        while True:
            if isinstance(expr, gast.Name):
                return roots.get(expr.id)
            if isinstance(expr, (gast.Subscript, gast.Attribute, gast.Starred)):
                expr = expr.value
            elif isinstance(expr, gast.Call) and isinstance(expr.func, gast.Attribute) and \
                    not _resolves(parsed, expr.func) and \
                    expr.func.attr in VIEW_METHODS | ELEMENT_METHODS:
                expr = expr.func.value  # x.reshape(...), d.values(), L.pop(), ...
            elif isinstance(expr, gast.Call) and expr.args and (
                    _identity_in(_resolved(parsed, expr.func), _ROOT_CALL_IDS)):
                expr = expr.args[0]     # np.transpose(x), zip(xs, ys), max(xs, key=...)
            elif isinstance(expr, gast.Call) and isinstance(expr.func, gast.Attribute) and \
                    isinstance(_resolved(parsed, expr.func), types.MethodType) and \
                    _module_level_mutable(_resolved(parsed, expr.func).__self__):
                expr = expr.func.value  # MODEL.weights() may return MODEL.w
            elif isinstance(expr, gast.Call) and _returns_own_global(parsed, expr.func,
                                                                     callers):
                # weights() of a helper of this module that returns MODEL.w
                return ("free", _returns_own_global(parsed, expr.func, callers))
            else:
                return None

    def bind(target, value):
        changed = False
        if isinstance(target, gast.Name):
            found = root(value)
            if found is not None and roots.get(target.id) is None:
                roots[target.id] = found
                changed = True
        elif isinstance(target, (gast.Tuple, gast.List)):
            parts = value.elts if isinstance(value, (gast.Tuple, gast.List)) else \
                value.args if isinstance(value, gast.Call) and _is_name(value.func, "zip") \
                else [value] * len(target.elts)
            for elt, part in zip(target.elts, parts):
                changed |= bind(elt, part)
        return changed

    changed = True
    while changed:
        changed = False
        for node in gast.walk(tree):
            if isinstance(node, gast.Assign):
                changed |= any(bind(t, node.value) for t in node.targets)
            elif isinstance(node, (gast.For, gast.comprehension)):
                changed |= bind(node.target, node.iter)

    found: dict = {}
    free: dict = {}

    def note(expr, kind, op, node):
        name = root(expr)
        if isinstance(name, tuple) and name[0] == "unplaced":
            found.setdefault(UNPLACED, (kind, op, parsed.location(node)))
        elif isinstance(name, tuple):
            _, value = parsed.lookup(name[1])
            # `n += 1` of a global number binds a new number: read_global sees it.
            if not (kind == effects.IN_PLACE_OPERATOR and
                    isinstance(value, (int, float, complex, str, bytes, tuple))):
                free.setdefault(name[1], parsed.location(node))
        elif name is not None and params.index(name) not in found:
            found[params.index(name)] = (kind, op, parsed.location(node))

    for node in gast.walk(tree):
        if isinstance(node, gast.AugAssign):
            if isinstance(node.target, gast.Name):
                note(node.target, effects.IN_PLACE_OPERATOR,
                     effects.OPERATOR_NAMES.get(type(node.op)), node)
            else:
                note(node.target, effects.WRITE, None, node)
        elif isinstance(node, gast.Assign):
            for target in node.targets:
                if isinstance(target, (gast.Subscript, gast.Attribute)):
                    note(target, effects.WRITE, None, node)
        elif isinstance(node, gast.Call):
            _note_call_effects(parsed, node, note, root, seen, free)
    # The parameters the helper may store an object into: those it changes,
    # and the lists it appends to, extends or inserts into (which `found`
    # leaves to the list machinery).
    stores = set(found)
    for node in gast.walk(tree):
        if isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute) and \
                node.func.attr in ("append", "extend", "insert") and \
                root(node.func.value) in params:
            stores.add(params.index(root(node.func.value)))
    returned: dict = {}
    for node in gast.walk(tree):
        if isinstance(node, gast.Return) and node.value is not None:
            parts = node.value.elts if isinstance(node.value, (gast.Tuple, gast.List)) \
                else [node.value]
            for part in parts:
                name = root(part)
                if isinstance(name, tuple) and _module_level_mutable(parsed.lookup(name[1])[1]):
                    returned.setdefault(name[1], parsed.location(node))
    return found, free, returned, frozenset(stores)


def _returns_own_global(parsed, func, seen) -> str | None:
    """The module-level object of the caller's module that the user function
    `func` names may return (part of), or None."""
    resolved = _resolved(parsed, func)
    if not is_user_function(resolved) or \
            getattr(resolved, "__globals__", None) is not parsed.function.__globals__:
        return None
    returned = _helper_writes(resolved, set(seen))[2]
    return min(returned) if returned else None


def _note_call_effects(parsed, call, note, root, seen, free) -> None:
    func = call.func
    resolved = _resolved(parsed, func)
    if any(k.arg == "out" for k in call.keywords):
        note(next(k.value for k in call.keywords if k.arg == "out"), effects.WRITE, None, call)
    if isinstance(func, gast.Attribute) and resolved is None:
        method = func.attr
        receiver_is_parameter = isinstance(func.value, gast.Name) and \
            root(func.value) == func.value.id
        if method in effects.OPAQUE_METHODS | {"fill", "sort"} or (
                method in ("append", "pop") and not receiver_is_parameter):
            note(func.value, effects.WRITE, None, call)
        return
    owner = getattr(resolved, "__self__", None)
    if call.args and (resolved is np.copyto or (isinstance(owner, np.ufunc) and
                                               getattr(resolved, "__name__", "") == "at")
                      or (effects._hashable(resolved) and resolved in effects.OPAQUE_FUNCTIONS)):
        note(call.args[0], effects.WRITE, None, call)
    if is_user_function(resolved):
        changed, changed_free, _, _ = _helper_writes(resolved, seen)
        arguments = arguments_by_position(resolved, call)
        for position, (kind, op, _) in changed.items():
            if position == UNPLACED:    # any argument may be the one changed
                for value in call.args + [k.value for k in call.keywords]:
                    note(value, kind, op, call)
            elif position < len(arguments) and arguments[position] is not None:
                note(arguments[position], kind, op, call)
        if getattr(resolved, "__globals__", None) is parsed.function.__globals__:
            for name, line in changed_free.items():
                free.setdefault(name, line)


def _module_level_owner(node: gast.Attribute, state: dict) -> str | None:
    """The module-level object that an attribute chain starts at, `MODEL` in
    `MODEL.w` or `MODEL.weights`, or None. A class or a module counts too:
    `t = Acc.total; t *= x` changes the array the class holds (and what
    `Acc.total` reads afterwards), as `b = BUF; b *= x` changes BUF."""
    root = node
    while isinstance(root, gast.Attribute):
        root = root.value
    if not isinstance(root, gast.Name) or root.id in state:
        return None
    held = nodes.annotation(root, "value", None)
    if not (_module_level_mutable(held) or isinstance(held, (type, types.ModuleType))):
        return None
    return root.id


def _resolved(parsed, func):
    """The module-level object a call's function names, or None."""
    parts = []
    while isinstance(func, gast.Attribute):
        parts.append(func.attr)
        func = func.value
    if not isinstance(func, gast.Name):
        return None
    found, value = parsed.lookup(func.id)
    if not found:
        return None
    for attr in reversed(parts):
        value = getattr(value, attr, None)
        if value is None:
            return None
    return value


def _resolves(parsed, func) -> bool:
    return _resolved(parsed, func) is not None


def _is_name(node, name: str) -> bool:
    return isinstance(node, gast.Name) and node.id == name


# -- the pass -----------------------------------------------------------------
class _Checker:
    def __init__(self, ctx: Context, sharing: _Sharing, liveness: _Liveness,
                 derivations: Derivations):
        self.ctx = ctx
        self.sharing = sharing
        self.liveness = liveness
        self.derivations = derivations
        # container -> (element, flag): an augmented element write x[i] += v whose
        # element change is followed once the element is stored back into x.
        self.pending: dict = {}
        # id(binding) -> (flag, name, derivation): see view_flag.
        self.flags: dict = {}
        self.changed_parameters: set = set()
        # The ids of the statements reads_facts accepts, when the caller has
        # asked it of every statement already (_check_aliasing).
        self.asked: set | None = None
        # Whether a statement was put before or after one (the function's
        # statements are otherwise those it had, unchanged).
        self.inserted = False

    def block(self, stmts) -> list:
        out = []
        for stmt in stmts:
            out.extend(self.statement(stmt))
        return out

    @staticmethod
    def reads_facts(stmt) -> bool:
        """Whether `statement` asks the analyses about `stmt`: an in-place
        update, a list's append or pop, a call of a user function. The
        analyses keep their facts for these statements only."""
        if isinstance(stmt, (gast.If, gast.While, gast.For)):
            return False
        rhs = stmt.value if isinstance(stmt, (gast.Assign, gast.Expr)) else None
        return nodes.annotation(stmt, "mutates") in (
            effects.WRITE, effects.IN_PLACE_OPERATOR, effects.OPAQUE) or \
            nodes.list_method(rhs, "append") or nodes.list_method(rhs, "pop") or \
            (isinstance(rhs, gast.Call) and is_user_function(primitive_of(rhs)))

    def statement(self, stmt) -> list:
        if isinstance(stmt, gast.If):
            stmt.body, stmt.orelse = self.block(stmt.body), self.block(stmt.orelse)
            return [stmt]
        if isinstance(stmt, (gast.While, gast.For)):
            stmt.body = self.block(stmt.body)
            return [stmt]
        if not (self.reads_facts(stmt) if self.asked is None else id(stmt) in self.asked):
            return [stmt]
        before = self.sharing.before.get(id(stmt), {})
        after = self.liveness.after.get(id(stmt), set())
        self.current = stmt
        pre, post = [], []
        kind = nodes.annotation(stmt, "mutates")
        target = stmt.targets[0].id if isinstance(stmt, gast.Assign) else None
        if kind in (effects.WRITE, effects.IN_PLACE_OPERATOR):
            pre, post = self.mutation(stmt, kind, target, before, after)
        elif kind == effects.OPAQUE:
            self.check_opaque(stmt, nodes.annotation(stmt, "mutated").id, before)
        else:
            pre += self.list_change(stmt, before, after)
        call = stmt.value if isinstance(stmt, (gast.Assign, gast.Expr)) else None
        if isinstance(call, gast.Call) and is_user_function(primitive_of(call)):
            pre += self.helper_call(stmt, call, target, before, after)
        if not pre and not post:
            return [stmt]
        self.inserted = True
        return [nodes.located(s, stmt) for s in pre] + [stmt] + \
            [nodes.located(s, stmt) for s in post]

    # -- following a change the way Python does ----------------------------
    def mutation(self, stmt, kind, target, before, after) -> tuple[list, list]:
        """Statements before and after an in-place update of `target` (or, for
        x[i] op= v, of the element x[i]) that make every live name sharing the
        object see the change, as in Python; a check for those that cannot."""
        op = nodes.annotation(stmt, "operator")
        facts = self.derivations.before.get(id(stmt), {})
        element, container = nodes.annotation(stmt, "mutated", (None, None))
        self.refuse_read_only(element if element is not None else target, kind, op, before)
        if element is not None:
            # x[i] op= v: the element changes (in place if it is an array), and
            # the next statement stores it back into x, whose WRITE follows it.
            sharers = self.sharers(element, before, after - {target, container},
                                   exclude=(element,))
            if not sharers:
                if container in after and before.get(container, _EMPTY)[1]:
                    # No other name holds the element, but the container, read
                    # again, may hold it at another entry too (L = [v, v],
                    # {"a": v, "b": v}): stale_entries checks, once it is
                    # stored back, that no other entry is the changed object.
                    flag = self.ctx.namer.fresh("_in_place")
                    self.pending[container] = (element, flag)
                    return [nodes.assign(flag, self.helper("writes_through", [
                        nodes.name(element), nodes.const(op)]))], []
                return [], []
            self.note_parameters(before.get(element, _EMPTY)[0])
            flag = self.ctx.namer.fresh("_in_place")
            self.pending[container] = (element, flag)
            # The container's WRITE writes back into its bases and reads again
            # the names derived from them.
            covered = self.followed(container, facts, after) | {
                d.base for _, d in self.chain(container, facts, after | set(sharers))}
            shown = f"{container}[...]"
            return [nodes.assign(flag, self.helper("writes_through", [nodes.name(element),
                                                                     nodes.const(op)]))] + \
                self.guard(stmt, element, kind, op, sorted(set(sharers) - covered), shown), []
        self.note_parameters(before.get(target, _EMPTY)[0])
        pending = self.pending.pop(target, None)
        sharers = self.sharers(target, before, after, exclude=(target,))
        if not sharers and pending is None:
            return [], []
        chain = self.chain(target, facts, after)
        covered = {d.base for _, d in chain} | self.followed(target, facts, after)
        pre = self.guard(stmt, target, kind, op, sorted(set(sharers) - covered), target)
        if not covered - {target}:
            return pre, self.stale_entries(target, pending)
        olds = {target: self.ctx.namer.fresh(f"_{target}_before")}
        pre.append(nodes.assign(olds[target], nodes.name(target)))
        post = self.write_back(chain, olds, pending)
        post += self.read_again(target, chain, facts, after, olds, pending, before)
        if kind == effects.IN_PLACE_OPERATOR:
            flag = self.ctx.namer.fresh("_in_place")
            pre.append(nodes.assign(flag, self.helper("writes_through", [
                nodes.name(target), nodes.const(op)])))
            post = [nodes.if_(nodes.name(flag), post)] if post else []
        return _without_unread(pre, post, set(olds.values()))

    def refuse_read_only(self, name: str, kind, op, before) -> None:
        """An in-place update of what may be a broadcast or strided view
        (READ_ONLY_VIEWS, np.broadcast_arrays), or a view of one, is refused:
        NumPy raises (read-only) or writes the value into every position
        sharing it."""
        if not any(token[0] == "read-only" for token in before.get(name, _EMPTY)[0]):
            return
        shown = "an element of it" if name.startswith("_") else f"'{self.spelled(name)}'"
        change = f"'{name} {_SYMBOLS.get(op, '?')}= ...'" if \
            kind == effects.IN_PLACE_OPERATOR and not name.startswith("_") else \
            f"the in-place update of {shown}"
        raise UnsupportedSyntaxError(
            f"{change} writes into what may be a result of np.broadcast_to, "
            "np.broadcast_arrays, sliding_window_view or as_strided (or a view of one), "
            "where many positions may share one value: NumPy refuses it as read-only, or "
            "changes every position sharing the value (deprecated for np.broadcast_arrays), "
            "and the derivative cannot follow it",
            self.ctx.parsed.location(self.current),
            help="Instead: write into a copy, 'a = np.broadcast_to(x, shape).copy()' or "
                 "'a = np.array(a)'; for a number read out of it, rebind it, 's = s + v'.")

    def stale_entries(self, container: str, pending) -> list:
        """For x[i] op= v, whose element changed in place and was stored back
        at i only: a check that no other entry of x holds that object
        (x = [v, v]), which Python would change too."""
        if pending is None or not isinstance(self.current.value, gast.Call) or \
                len(self.current.value.args) != 3:
            return []
        element, in_place = pending
        stored = nodes.clone(self.current.value.args[2])
        where = f"{self.ctx.parsed.location(self.current)}"
        # x itself is among the new values, unchanged as such, to be searched.
        return [nodes.expr_stmt(self.helper("check_not_held", [
            nodes.tuple_([nodes.name(element), nodes.name(container)]),
            nodes.tuple_([stored, nodes.name(container)]),
            nodes.tuple_([nodes.name(in_place), nodes.const(False)]), nodes.tuple_([]),
            nodes.tuple_([]), nodes.const(where)]))]

    def note_parameters(self, tokens) -> None:
        """Parameters whose objects (or elements) an update may change."""
        self.changed_parameters |= {token[1] for token in tokens
                                    if token[0] in ("param", "param-contents")}

    def distinct_arguments(self, params: list) -> list:
        """Checks, at entry, that no argument the function changes in place is
        also passed (or held) in another argument."""
        out = []
        if not self.changed_parameters.intersection(params):
            return out  # (without reading every name of the function for module_level)
        # Module-level objects the function reads: an argument changed in place
        # that is one of them (f(MODEL, x)) changes what the function reads.
        module_level = sorted({n.id for n in nodes.name_nodes(self.tree)
                               if isinstance(n.ctx, gast.Load) and n.id not in
                               self.bound_names() and _module_level_mutable(
                                   nodes.annotation(n, "value", None))})
        # ... and the arrays and containers it reads as their attributes
        # (Config.w of a class, NS.w of a SimpleNamespace), which the objects'
        # own check does not search: the attributes themselves.
        attributes = _module_level_attributes(self.tree, self.bound_names())
        # ... and those the helpers it calls read (a helper of the same module
        # reading W or Config.w, or its default array, after the change).
        attributes += [path for path in _read_in_helpers(
            self.tree, self.ctx.parsed.function.__globals__)
            if path not in module_level and path not in attributes]
        for name in params:
            if name not in self.changed_parameters:
                continue
            others = [p for p in params if p != name]
            if not others and not module_level and not attributes:
                continue
            where = str(self.ctx.parsed.location(self.ctx.parsed.tree))
            out.append(nodes.located(nodes.expr_stmt(self.helper("check_distinct", [
                nodes.name(name),
                nodes.tuple_([nodes.name(p) for p in others + module_level] +
                             [nodes.parse_expr(path) for path in attributes]),
                nodes.tuple_([nodes.const(p) for p in others] +
                             [nodes.const(f"the module-level {g}, which it reads")
                              for g in module_level + attributes]),
                nodes.const(f"{self.ctx.parsed.name}({name}=...)"), nodes.const(where)])),
                self.ctx.parsed.tree))
        return out

    def list_change(self, stmt, before, after) -> list:
        """`L.append(v)` and `L.pop()` change the list itself; the derivative's
        adjoint list follows the name L only, so another live name holding the
        same list (`store.items`, a second name) is checked when it runs."""
        rhs = stmt.value if isinstance(stmt, (gast.Assign, gast.Expr)) else None
        if not (nodes.list_method(rhs, "append") or nodes.list_method(rhs, "pop")):
            return []
        name = rhs.func.value.id
        sharers = self.sharers(name, before, after, exclude=(name,))
        shown = f"{name}.{rhs.func.attr}(...)" if not name.startswith("_") else \
            f"the list's .{rhs.func.attr}(...)"
        return self.guard(stmt, name, effects.WRITE, None, sharers, shown)

    def chain(self, name: str, facts: dict, after: set) -> list:
        """[(name, its derivation)]: `name`, then each object it is a view or
        element of, innermost first, as far as a live name needs them."""
        out, seen = [], {name}
        # A module-level object is never written back into (that would make
        # its name a local variable): sharers() has it checked instead.
        while name in facts and facts[name].base not in seen and \
                facts[name].base in self.bound_names():
            derivation = facts[name]
            out.append((name, derivation))
            seen.add(derivation.base)
            name = derivation.base
        # Stop at the outermost base that is read again or that a live name reads from.
        needed = [i for i, (_, d) in enumerate(out)
                  if d.base in after or self.followed(d.base, facts, after, exclude=seen)]
        return out[:needed[-1] + 1] if needed else []

    def followed(self, root: str, facts: dict, after: set, exclude=()) -> set:
        """Live names derived, directly or through other derived names, from
        `root` or from the bases it is derived from."""
        roots = {root}
        name = root
        while name in facts and facts[name].base not in roots and \
                facts[name].how != "entries":
            name = facts[name].base
            roots.add(name)
        out = set()
        for candidate in after:
            seen, name = set(), candidate
            # A shallow copy of a dict (entries) is not read again out of its
            # base: it holds entries of its own (write_back's entry_store).
            while name in facts and name not in seen and facts[name].how != "entries":
                seen.add(name)
                name = facts[name].base
                if name in roots:
                    out.add(candidate)
                    break
        return out - roots - set(exclude)

    def write_back(self, chain: list, olds: dict, pending=None) -> list:
        """Store the changed object back into each base it is a view or element
        of (when it was one: see `view_flag`), innermost first."""
        out = []
        for at, (node, derivation) in enumerate(chain):
            base = derivation.base
            olds[base] = self.ctx.namer.fresh(f"_{base}_before")
            out.append(nodes.assign(olds[base], nodes.name(base)))
            store = self.entry_store(chain[:at], node, derivation, olds, pending) \
                if derivation.how == "entries" else self.store(node, derivation)
            if derivation.how == "item" and node in olds:
                # A container's entry replaced since `node` was read from it
                # (L[i] = w, then v += 1 for v = L[i]) no longer holds it.
                store.insert(len(store) - 1, nodes.expr_stmt(self.helper(
                    "check_entry_held", [nodes.name(base), nodes.clone(store[-1].value.args[1]),
                                         nodes.name(olds[node]),
                                         nodes.const(str(self.ctx.parsed.location(
                                             self.current)))])))
            if store:  # (an entries copy changed other than at an entry: base is not)
                out.append(nodes.if_(nodes.name(self.view_flag(node, derivation)), store))
        # Then each changed name is read again out of its new base, outermost
        # first, so that it is a view of (or an element in) that base once more,
        # as in Python: later updates and checks see the sharing at run time.
        # A second name for the object (how == "copy", u = w0) is the stored
        # object already, unless a base outside it was read again (w0 = B[::-1]
        # after u = w0 was written back): then it names that new view too, or
        # a later update through it would be checked against a copy.
        rederived = False
        for node, derivation in reversed(chain):
            if derivation.how == "entries":
                continue  # a dict copy keeps its own entries (entry_store)
            if derivation.how != "copy" or rederived:
                rederived = True
                out.append(nodes.if_(nodes.name(self.view_flag(node, derivation)),
                                     [nodes.assign(node, nodes.clone(derivation.rhs))]))
        return out

    def entry_store(self, inner: list, copy: str, derivation, olds: dict, pending) -> list:
        """`copy` is a shallow copy of the dict `base` (dict(base), base.copy()),
        and the object at one of its keys was just changed in place: base's
        entry at that key is that object too where base still holds it (not
        after `copy[k] = w` or `base[k] = w` replaced one of them):

            if k in base:
                _held = base[k]
                if _held is <the object before the change> (and it changed in place):
                    base = setitem(base, k, <the changed object>)

        Any other change of `copy` (an entry replaced, added or removed) is
        not base's: nothing is stored."""
        base = derivation.base
        if inner:
            # ... = copy[k] changed through a view of it, written back into copy.
            below, link = inner[-1]
            if link.how != "item" or link.base != copy or below not in olds:
                return []
            code, key = self.index_atom(link.rhs.slice)
            old, new, in_place = olds[below], nodes.name(below), None
        else:
            # copy[k] op= v (or copy[k][...] = v): the entry changed, then stored at k.
            update = self.current.value if isinstance(self.current, gast.Assign) else None
            if pending is None or not isinstance(update, gast.Call) or \
                    primitive_of(update) is not runtime_core.setitem or len(update.args) != 3:
                return []
            code, key = [], nodes.clone(update.args[1])
            old, new, in_place = pending[0], nodes.clone(update.args[2]), pending[1]
        present, held, same = (self.ctx.namer.temp() for _ in range(3))
        test = gast.Compare(left=nodes.name(held), ops=[gast.Is()],
                            comparators=[nodes.name(old)])
        replace = [nodes.assign(base, self.helper("setitem", [nodes.name(base), key, new]))]
        if in_place is not None:
            replace = [nodes.if_(nodes.name(in_place), replace)]
        return code + [
            nodes.assign(present, gast.Compare(left=nodes.clone(key), ops=[gast.In()],
                                               comparators=[nodes.name(base)])),
            nodes.if_(nodes.name(present), [
                nodes.assign(held, nodes.subscript(nodes.name(base), nodes.clone(key))),
                nodes.assign(same, test),
                nodes.if_(nodes.name(same), replace)])]

    def view_flag(self, name: str, derivation) -> str:
        """The variable, set where `name` was derived, saying whether it shares
        its base's object (a view, not a copy; an element, not a number)."""
        if derivation.binding not in self.flags:
            self.flags[derivation.binding] = (self.ctx.namer.fresh(f"_{name}_shares"),
                                              name, derivation)
        return self.flags[derivation.binding][0]

    def store(self, derived: str, derivation) -> list:
        """The base of `derived` updated with the new value of `derived`."""
        rhs, base = derivation.rhs, derivation.base
        if derivation.how == "copy":
            return [nodes.assign(base, nodes.name(derived))]
        if derivation.how == "item":
            code, index = self.index_atom(rhs.slice)
            return code + [nodes.assign(base, self.helper("setitem", [
                nodes.name(base), index, nodes.name(derived)]))]
        if derivation.how == "transpose":
            axes = inverse_axes(rhs)
            args = [nodes.name(derived)] + ([] if axes is None else [nodes.const(axes)])
            return [nodes.assign(base, self.numpy(np.transpose, args))]
        if derivation.how == "involution":
            again = nodes.clone(rhs)
            again.args[0] = nodes.name(derived)
            return [nodes.assign(base, again)]
        if derivation.how == "moveaxis":
            # np.moveaxis(b, s, d) is undone by np.moveaxis(v, d, s).
            source, destination = rhs.args[1:]
            return [nodes.assign(base, self.numpy(np.moveaxis, [
                nodes.name(derived), nodes.clone(destination), nodes.clone(source)]))]
        shape = self.ctx.namer.temp()
        return [nodes.assign(shape, self.numpy(np.shape, [nodes.name(base)])),
                nodes.assign(base, self.numpy(np.reshape, [nodes.name(derived),
                                                           nodes.name(shape)]))]

    def read_again(self, target, chain, facts, after, olds, pending, before) -> list:
        """Live names derived from the changed object or its bases, read again
        where they share what changed: every view of a changed array; of a
        container's elements, only the one changed in place."""
        below = {d.base: node for node, d in chain}
        out, done, replaced = [], {target} | set(below), {}
        # The changed object and the bases written back are replaced objects too
        # (L = [v, v]: L's other entry still holds the old v).
        replaced.update({target: olds[target]})
        replaced.update({d.base: olds[d.base] for _, d in chain})
        frontier = [target] + [d.base for _, d in chain]
        # The live names derived from them, and the names between (w0 in
        # w1 = w0[::2], w0 = A[:, 2], even where w0 itself is not read again).
        needed = set()
        for name in self.followed(target, facts, after):
            while name in facts and name not in done and name not in needed:
                needed.add(name)
                name = facts[name].base
        while frontier:
            root = frontier.pop(0)
            changed = nodes.name(olds[below.get(root, target)])
            if root == target and pending is not None:
                element, in_place = nodes.name(pending[0]), nodes.name(pending[1])
            else:
                element, in_place = nodes.const(None), nodes.const(False)
            for name in sorted(needed - done):
                derivation = facts.get(name)
                if derivation is None or derivation.base != root:
                    continue
                seen = self.ctx.namer.fresh("_shared")
                out.append(nodes.assign(seen, self.helper("reads_change", [
                    nodes.name(root), nodes.name(name),
                    nodes.name(self.view_flag(name, derivation)), changed, element,
                    in_place])))
                again = [nodes.assign(name, nodes.clone(derivation.rhs))]
                if derivation.how == "item":
                    # An entry of a list or dict replaced since `name` was read
                    # from it (L[0], L[1] = L[1], L[0]; L[0] *= 2 for x = L[1])
                    # holds another object: reading it again would bind `name`
                    # to that object.
                    code, index = self.index_atom(derivation.rhs.slice)
                    again[:0] = code + [nodes.expr_stmt(self.helper("check_entry_held", [
                        nodes.name(replaced[root]), index, nodes.name(name),
                        nodes.const(str(self.ctx.parsed.location(self.current)))]))]
                replaced[name] = self.ctx.namer.fresh(f"_{name}_before")
                out.append(nodes.assign(replaced[name], nodes.name(name)))
                out.append(nodes.if_(nodes.name(seen), again))
                olds.setdefault(name, olds[target])
                done.add(name)
                frontier.append(name)
        element_pair = None
        if pending is not None and isinstance(self.current.value, gast.Call) and \
                len(self.current.value.args) == 3:
            # x[i] op= v: the element, changed in place, was replaced in x by the
            # value stored; another entry of x holding it is stale.
            element_pair = (pending[0], self.current.value.args[2], pending[1])
        read_again = done - {target} - set(below)
        return out + self.not_held_elsewhere(replaced, read_again, before, after, element_pair)

    def not_held_elsewhere(self, replaced: dict, read_again: set, before: dict, after: set,
                           element_pair=None) -> list:
        """A check that no other live container still holds an object that was
        just replaced by its new value (L = [x, w] with w a view of x: when x
        changes, w is read again, but L still holds the old w)."""
        if not replaced:
            return []
        tokens = frozenset().union(*[before.get(name, _EMPTY)[0] for name in replaced])
        olds = [nodes.name(old) for old in replaced.values()]
        news = [nodes.name(name) for name in replaced]
        flags = [nodes.const(True) for _ in replaced]
        if element_pair is not None:
            element, stored, in_place = element_pair
            tokens |= before.get(element, _EMPTY)[0]
            olds.append(nodes.name(element))
            news.append(nodes.clone(stored))
            flags.append(nodes.name(in_place))
        # The containers written back into count too (unlike the names read
        # again): they were updated at one entry only, and may hold the
        # replaced object at another.
        here = self.defined_here()
        holders = sorted(m for m in after - read_again
                         if m in here and before.get(m, _EMPTY)[1] & tokens)
        if not holders and len(olds) < 2:
            return []  # nothing else may hold a replaced object (see check_not_held)
        where = f"{self.ctx.parsed.location(self.current)}"
        return [nodes.expr_stmt(self.helper("check_not_held", [
            nodes.tuple_(olds), nodes.tuple_(news), nodes.tuple_(flags),
            nodes.tuple_([nodes.name(m) for m in holders]),
            nodes.tuple_([nodes.const(m) for m in holders]), nodes.const(where)]))]

    def index_atom(self, index) -> tuple[list, gast.AST]:
        """A normalised index as one atom, for setitem: `1:n` -> `_t = slice(1, n, None)`."""
        if isinstance(index, gast.Slice):
            temp = self.ctx.namer.temp()
            parts = [nodes.const(None) if p is None else nodes.clone(p)
                     for p in (index.lower, index.upper, index.step)]
            call = nodes.call(nodes.name("slice"), parts)
            nodes.annotate(call.func, "value", slice)
            return [nodes.assign(temp, call)], nodes.name(temp)
        if isinstance(index, gast.Tuple):
            code, atoms = [], []
            for elt in index.elts:
                more, atom = self.index_atom(elt)
                code += more
                atoms.append(atom)
            temp = self.ctx.namer.temp()
            return code + [nodes.assign(temp, nodes.tuple_(atoms))], nodes.name(temp)
        return [], nodes.clone(index)

    def helper(self, name: str, args: list) -> gast.Call:
        call = nodes.call(nodes.name(self.ctx.helper(name)), args)
        nodes.annotate(call.func, "value", runtime.GENERATED_CODE_HELPERS[name])
        return call

    def numpy(self, function, args: list) -> gast.Call:
        reference = nodes.attribute(nodes.name(self.ctx.helper("np")), function.__name__)
        nodes.annotate(reference, "value", function)
        return nodes.call(reference, args)

    def sharers(self, name: str, before: dict, after: set, exclude) -> list:
        """The live names (and module-level objects, read or not: the module
        keeps them) that may share `name`'s object."""
        affected = before.get(name, _EMPTY)[0]
        if not affected:
            return []
        self.refuse_foreign(name, affected)
        module_level = {token[1] for token in affected if token[0] == "global"}
        # Only names that ever held one of the tokens can meet them (see
        # _Sharing.holders): the others need not be looked at.
        here = self.defined_here()
        candidates = {m for m in after & self.sharing.holding(affected) if m in here}
        return sorted(m for m in candidates | module_level
                      if m not in exclude and (m in module_level or _meets(before.get(
                          m, _EMPTY), affected)))

    def refuse_foreign(self, name: str, affected) -> None:
        """An update of what a helper of another module (or a closure) returned,
        which may be an object of that module: the derivative could neither
        follow the change nor check for it."""
        foreign = sorted(token for token in affected if token[0] == "foreign")
        if not foreign:
            return
        _, held, helper = foreign[0]
        if "." in held:
            # (_class_data: an attribute the class holds, read through an instance)
            raise UnsupportedSyntaxError(
                f"'{name}' may be '{held}' (or part of it), an array or container an "
                f"object of {helper} may read as its own attribute (its class holds it, or "
                "its __init__ reads it from its module), and it is changed in place here: "
                "Python changes it for every later reader, which the derivative cannot "
                "follow",
                self.ctx.parsed.location(self.current),
                help=f"Instead: copy it before changing it ('{name} = <object>."
                     f"{held.split('.')[-1]}.copy()'), or give each object its own in "
                     "__init__.")
        raise UnsupportedSyntaxError(
            f"'{name}' may be '{held}' (or part of it), an object that '{helper}' returns "
            "from its own module or closure, and it is changed in place here; the "
            "derivative cannot follow that change into the object",
            self.ctx.parsed.location(self.current),
            help=f"Instead: copy the result before changing it ('{name} = "
                 f"{helper}(...).copy()'), or have '{helper}' return a copy.")

    def spelled(self, shown: str) -> str:
        """`shown` as the user wrote it: `s.h` for the variable `s_h` that
        local_objects.py made of an object's attribute (also before `[...]`
        or `.append(...)`)."""
        cut = min((i for i in (shown.find("."), shown.find("[")) if i >= 0), default=len(shown))
        head = shown[:cut]
        return self.ctx.parsed.spelled.get(head, head) + shown[cut:]

    def bound_names(self) -> set:
        """The names the function binds (parameters included)."""
        if getattr(self, "_bound", None) is None:
            self._bound = nodes.names_stored(self.tree)
        return self._bound

    def defined_here(self):
        """The names certainly bound before the statement checked (for `in`)."""
        return self.defined.before.get(id(self.current), frozenset())

    def guard(self, stmt, name, kind, op, sharers, shown) -> list:
        """A run-time check that none of `sharers` sees the update of `name`."""
        if not sharers:
            return []
        where = self.ctx.parsed.location(stmt)
        shown = self.spelled(shown)
        if shown.startswith("_") and not shown.startswith("the "):
            shown = "the " + ("element" if "[" in shown else "value")  # a temporary of ours
        change = f"'{shown} {_SYMBOLS.get(op, '?')}= ...'" if kind == effects.IN_PLACE_OPERATOR \
            else f"the in-place update of {shown}" if shown.startswith("the ") \
            else f"the in-place update of '{shown}'"
        # One line: generated code is read back as source for higher orders.
        message = (f"{where}: {change} would also change {{shared}} (a NumPy view, a "
                   "list element or a second name for the same object), in a way "
                   "adcompiler cannot follow. Instead: update the value where it is "
                   "stored" + (f", or copy it first ('{shown} = {shown}.copy()')."
                               if shown == self.spelled(name) else "."))
        check = self.helper("check_unshared", [
            nodes.name(name), nodes.const(op),
            nodes.tuple_([nodes.name(m) for m in sharers]),
            nodes.tuple_([nodes.const(m) for m in sharers]), nodes.const(message)])
        return [nodes.copy_location(nodes.expr_stmt(check), stmt)]

    def check_opaque(self, stmt, name, before) -> None:
        affected = before.get(name, _EMPTY)[0]
        if any(token[0] == "param" for token in affected):
            raise UnsupportedSyntaxError(
                f"this call changes '{name}', which may be an array the caller passed, in "
                "place; adcompiler never writes into the caller's arrays",
                self.ctx.parsed.location(stmt),
                help=f"Instead: work on a copy, '{name} = {name}.copy()', before the call.")

    def helper_call(self, stmt, call, target, before, after) -> list:
        function = primitive_of(call)
        self.refuse_global_writes(stmt, function)
        changed = helper_effects(function)
        if not changed:
            return []
        if UNPLACED in changed:
            raise UnsupportedSyntaxError(
                f"'{function.__name__}' changes in place an argument it receives through "
                f"*args, a keyword-only parameter or **kwargs ({changed[UNPLACED][2]}), which "
                "the derivative does not follow",
                self.ctx.parsed.location(stmt),
                help=f"Instead: give '{function.__name__}' an ordinary parameter for each "
                     "array it changes, or have it return the new values and assign them.")
        arguments = arguments_by_position(function, call)
        guards = []
        for position, (kind, op, line) in sorted(changed.items()):
            if any(isinstance(a, gast.Starred) for a in call.args[:position + 1]):
                raise UnsupportedSyntaxError(
                    f"'{function.__name__}' changes its argument in place ({line}), and a "
                    "starred argument hides which value it receives",
                    self.ctx.parsed.location(stmt),
                    help=f"Instead: have '{function.__name__}' return the new value, and "
                    "assign it.")
            if position >= len(arguments) or not isinstance(arguments[position], gast.Name):
                continue
            name = arguments[position].id
            self.note_parameters(before.get(name, _EMPTY)[0])
            sharers = self.sharers(name, before, after, exclude=(target,))
            if not sharers:
                if target is None:
                    self.refuse_unseen_change(stmt, function, position, line, name, before)
                continue
            if kind == effects.IN_PLACE_OPERATOR:
                guards += self.guard(stmt, name, kind, op,
                                     self.sharers(name, before, after | {name}, exclude=()),
                                     name)
                continue
            param = nodes.parameters(parse_function(function).tree)[position]
            raise UnsupportedSyntaxError(
                f"'{function.__name__}' changes its argument '{param}' in place ({line}), "
                f"and the derivative does not follow that change into "
                f"{', '.join(repr(s) for s in sharers)}, used afterwards",
                self.ctx.parsed.location(stmt),
                help=f"Instead: have '{function.__name__}' return the new value "
                     f"('return {param}') and assign it: '{name} = "
                     f"{function.__name__}({name}, ...)'.")
        return guards


    def refuse_unseen_change(self, stmt, function, position, line, name, before) -> None:
        """A helper left as a call (inline_mutating.py could not inline it)
        and called for its effect (the function itself runs, not derivative
        code) changes `name` in place, and no live name reads it again. The
        caller's array would still be written, and a reverse sweep reading
        `name` for an earlier statement would read it changed: refused when
        `name` may be an argument or is read anywhere else."""
        tokens = before.get(name, _EMPTY)[0]
        reads = sum(1 for n in gast.walk(self.tree) if isinstance(n, gast.Name) and
                    n.id == name and isinstance(n.ctx, gast.Load))
        if not any(token[0] == "param" for token in tokens) and reads <= 1:
            return
        param = nodes.parameters(parse_function(function).tree)[position]
        raise UnsupportedSyntaxError(
            f"'{function.__name__}' changes its argument '{param}' in place ({line}), and "
            f"adcompiler cannot follow that change into '{name}' (a helper it does not "
            "inline: another module's, or a recursive one): the derivative would read "
            f"'{name}' as changed, and an array you passed would be written",
            self.ctx.parsed.location(stmt),
            help=f"Instead: have '{function.__name__}' return the new value ('return "
                 f"{param}') and assign it, or pass it a copy: "
                 f"'{function.__name__}({name}.copy(), ...)'.")

    def refuse_global_writes(self, stmt, function) -> None:
        """A helper changing in place a module-level object that this function
        reads: the derivative takes what it reads of such objects for constants
        (read once, kept for the adjoint), so the change would be lost."""
        written = helper_global_writes(function)
        if not written:
            return  # the common case: no walk of this function's tree per call
        parsed = self.ctx.parsed
        # The names of the code as written: the front end normalises parsed.tree
        # itself, and Context.create read them before (context.read_names).
        read = self.ctx.read_names
        if read is None:
            read = {n.id for n in gast.walk(parsed.tree)
                    if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load)}
        for name, line in written.items():
            found, value = parsed.lookup(name)
            theirs = function.__globals__.get(name, _EMPTY) if hasattr(
                function, "__globals__") else _EMPTY
            if name in read and found and value is theirs:
                raise UnsupportedSyntaxError(
                    f"'{function.__name__}' changes '{name}', a module-level object this "
                    f"function reads, in place ({line}); adcompiler takes the values of "
                    "module-level objects for constants of the derivative",
                    parsed.location(stmt),
                    help=f"Instead: pass '{name}' to '{function.__name__}' as an argument "
                    f"and have it return the new value ('{name} = "
                    f"{function.__name__}({name}, ...)'), keeping it in a local variable.")


_SYMBOLS = {"add": "+", "sub": "-", "mul": "*", "truediv": "/", "floordiv": "//", "mod": "%",
            "pow": "**", "matmul": "@"}


def _with_view_flags(stmts, checker) -> list:
    """Set each view flag the write-backs test right after the binding it
    describes: `_q_shares = is_view_of(state, q, 'item')` after `q = state[:n]`."""
    out = []
    for stmt in stmts:
        if isinstance(stmt, gast.If):
            stmt.body = _with_view_flags(stmt.body, checker)
            stmt.orelse = _with_view_flags(stmt.orelse, checker)
        elif isinstance(stmt, (gast.While, gast.For)):
            stmt.body = _with_view_flags(stmt.body, checker)
        out.append(stmt)
        if id(stmt) in checker.flags:
            flag, name, derivation = checker.flags[id(stmt)]
            where = [nodes.const(str(checker.ctx.parsed.location(stmt)))] \
                if derivation.how == "real" else []
            out.append(nodes.located(nodes.assign(flag, checker.helper("is_view_of", [
                nodes.name(derivation.base), nodes.name(name),
                nodes.const(derivation.how)] + where)), stmt))
    return out


def _asks_no_facts(stmt) -> bool:
    """Whether the checker reads no fact of the analyses for `stmt` (one of
    those reads_facts accepts): a call of a user function that changes none of
    its arguments in place and returns no module-level object (helper_call
    returns after helper_effects; the sharing analysis would only look up the
    objects it returns). A function whose every such statement is one (no
    in-place update, no list append or pop: most user functions, which call
    pure helpers) needs none of the four analyses, each a walk of the whole
    function (issue #13)."""
    if nodes.annotation(stmt, "mutates") in (effects.WRITE, effects.IN_PLACE_OPERATOR,
                                             effects.OPAQUE):
        return False
    rhs = stmt.value if isinstance(stmt, (gast.Assign, gast.Expr)) else None
    if nodes.list_method(rhs, "append") or nodes.list_method(rhs, "pop") or \
            not isinstance(rhs, gast.Call):
        return False
    function = primitive_of(rhs)
    return not helper_effects(function) and not helper_returned_globals(function)


def _needs_no_facts(function: gast.FunctionDef, asked: list, parsed) -> bool:
    """Whether the checker reads no fact of the analyses for any statement of
    `asked`, or reads only facts it can be told without them: each is one of
    `_asks_no_facts`, an append to or pop from a private list, or an in-place
    addition to a private accumulator (see `_Private`: generated code's
    `_stack`, and the adjoints a loop's adjoint sweep adds into with
    add_into). For those the checker asks which live names may share the
    object (list_change, mutation), and of a private object none can: both
    ways it writes nothing for the statement. No other statement is asked
    about, so no view flag, write-back or changed parameter is found either
    way. (A Hessian's gradient code pushes and pops hundreds of values and
    changes nothing else in place: the four analyses, a tenth of its
    compilation, found nothing there; issue #13.)"""
    stacks, accumulators = set(), set()
    for stmt in asked:
        if _asks_no_facts(stmt):
            continue
        rhs = stmt.value if isinstance(stmt, (gast.Assign, gast.Expr)) else None
        kind = nodes.annotation(stmt, "mutates")
        if kind is None and (nodes.list_method(rhs, "append") or nodes.list_method(rhs, "pop")):
            stacks.add(rhs.func.value.id)
        elif kind == effects.IN_PLACE_OPERATOR and nodes.annotation(stmt, "mutated") is None \
                and isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name) \
                and isinstance(rhs, gast.Name):
            # `A = _b`, the end of the normaliser's `A += c` (see _Private).
            accumulators.add(stmt.targets[0].id)
        else:
            return False
    if not stacks and not accumulators:
        return True
    lists = frozenset(stmt.value.func.value.id for stmt in asked
                      if isinstance(stmt, (gast.Assign, gast.Expr)) and
                      (nodes.list_method(stmt.value, "append") or
                       nodes.list_method(stmt.value, "pop")))
    return _Private(function, stacks, accumulators,
                    _Sharing(set(), lists, parsed, function)).holds()


class _Private:
    """Whether the lists `stacks` and the arrays `accumulators` are private:
    objects no other name can hold, as the sharing analysis (_Sharing)
    follows objects, so that no other name shares them at any statement.
    Every mention of them is one of:

    * a stack L: `L = []`; the receiver of `L.append(v)` or `L.pop()`
      statements (their results: None, an entry, never the list); the first
      argument of a split derivative adcompiler generated (STACK_FIRST), which
      takes entries from it and never returns it;
    * an accumulator A: `A = v` where v is a new object (what `_Sharing.value`
      makes of it is its own token alone: `zeros_like(x)`, arithmetic); the
      normaliser's `A += c`, the three statements `_a = A + c`,
      `_b = in_place_result(_a, A)`, `A = _b` in a row, `_a` and `_b`
      mentioned nowhere else (so dead after them, and `_a + c` a new object);
      and reads of A in `x = v` where v holds neither A's object nor an
      object holding it (arithmetic, rules that give new arrays), whatever A
      held;

    and none is a parameter or a name the function declares global or
    nonlocal. What _Sharing makes of a value depends on its operands' facts
    only through their union, so a value judged with a token of its own for
    each name it reads holds A's object for no facts of those names.
    """

    def __init__(self, function, stacks: set, accumulators: set, sharing: "_Sharing"):
        self.function = function
        self.stacks = stacks
        self.accumulators = accumulators
        self.sharing = sharing
        self.candidates = stacks | accumulators
        self.counts = collections.Counter()  # every name's mentions
        self.chained: list = []  # the `_a` and `_b` of each `A += c`
        parameters = set(nodes.parameters(function)) | {a.id for a in function.args.kwonlyargs}
        if function.args.kwarg is not None:
            parameters.add(function.args.kwarg.id)
        self.overlapping = bool(stacks & accumulators) or \
            not self.candidates.isdisjoint(parameters)

    def holds(self) -> bool:
        if self.overlapping or not self.block(self.function.body):
            return False
        counts = self.counts
        return all(counts[name] == 2 and name not in self.candidates for name in self.chained)

    def block(self, stmts: list) -> bool:
        counts = self.counts
        for at, stmt in enumerate(stmts):
            kind = stmt.__class__
            if kind is gast.Global or kind is gast.Nonlocal:
                return False
            if kind is gast.If or kind is gast.While or kind is gast.For:
                headers = [stmt.test] if kind is not gast.For else [stmt.target, stmt.iter]
                for header in headers:
                    for name in nodes.name_node_list(header):
                        if name.id in self.candidates:
                            return False
                        counts[name.id] += 1
                if not (self.block(stmt.body) and self.block(stmt.orelse)):
                    return False
                continue
            names = nodes.name_node_list(stmt)
            for name in names:
                counts[name.id] += 1
            mentioned = [n for n in names if n.id in self.candidates]
            if not mentioned:
                continue
            if kind is not gast.Assign and kind is not gast.Expr or \
                    not self.statement(stmt, stmts, at, mentioned):
                return False  # (a Return, say, or a statement of another kind)
        return True

    def statement(self, stmt, stmts: list, at: int, mentioned: list) -> bool:
        """Whether each mention of a candidate in `stmt` (the statement `at` of
        `stmts`) is one listed above."""
        rhs = stmt.value
        target = stmt.targets[0] if stmt.__class__ is gast.Assign and \
            len(stmt.targets) == 1 else None
        name = target.id if target.__class__ is gast.Name else None
        func = rhs.func if rhs.__class__ is gast.Call else None
        if nodes.annotation(stmt, "mutates") is not None:
            return name in self.accumulators and len(mentioned) == 1 and \
                self.in_place_addition(stmt, stmts, at)
        if func is not None and func.__class__ is gast.Attribute and \
                func.value.__class__ is gast.Name and func.value.id in self.stacks and \
                (nodes.list_method(rhs, "append") or nodes.list_method(rhs, "pop")):
            return len(mentioned) == 1  # the receiver alone
        if func is not None and rhs.args and rhs.args[0].__class__ is gast.Name and \
                rhs.args[0].id in self.stacks and getattr(primitive_of(rhs), STACK_FIRST, False):
            return len(mentioned) == 1  # the stack alone
        if name is not None and name in self.stacks:
            return rhs.__class__ is gast.List and not rhs.elts and len(mentioned) == 1
        if stmt.__class__ is not gast.Assign or name is None or \
                (func is not None and is_user_function(primitive_of(rhs))) or \
                any(n.id in self.stacks for n in mentioned if n is not target):
            return False
        facts = self.judged(rhs, stmt)
        if name in self.accumulators and not facts[0] <= {("new", id(stmt))}:
            return False
        return not any(n is not target and ("probe", n.id) in facts[0] | facts[1]
                       for n in mentioned)

    def in_place_addition(self, stmt, stmts: list, at: int) -> bool:
        """Whether `A = _b` (an in-place update of A) ends the normaliser's
        `_a = A + c; _b = in_place_result(_a, A); A = _b`, `_a + c` a new
        object."""
        rhs = stmt.value
        if at < 2 or nodes.annotation(stmt, "mutated") is not None or \
                rhs.__class__ is not gast.Name:
            return False
        first, second = stmts[at - 2], stmts[at - 1]
        if not all(s.__class__ is gast.Assign and len(s.targets) == 1 and
                   s.targets[0].__class__ is gast.Name and
                   nodes.annotation(s, "mutates") is None for s in (first, second)):
            return False
        added, result = first.targets[0].id, second.targets[0].id
        call = second.value
        if result != rhs.id or call.__class__ is not gast.Call or \
                primitive_of(call) is not runtime_core.in_place_result or call.keywords or \
                [a.id if a.__class__ is gast.Name else None for a in call.args] != \
                [added, stmt.targets[0].id]:
            return False
        if not self.judged(first.value, first)[0] <= {("new", id(first))}:
            return False
        self.chained += [added, result]
        return True

    def judged(self, rhs, stmt) -> tuple:
        """What _Sharing makes of `rhs` with a token of its own for each local
        name it reads (a name resolved to a module-level value is read as
        such, as the analysis reads it)."""
        state = {n.id: (frozenset({("probe", n.id)}), frozenset({("probe-in", n.id)}))
                 for n in nodes.name_node_list(rhs)
                 if nodes.annotation(n, "value", None) is None}
        return self.sharing.value(rhs, state, stmt)


def _statements(stmts):
    """Every statement of a normalised body, those inside blocks included."""
    for stmt in stmts:
        yield stmt
        if isinstance(stmt, gast.If):
            yield from _statements(stmt.body)
            yield from _statements(stmt.orelse)
        elif isinstance(stmt, (gast.While, gast.For)):
            yield from _statements(stmt.body)


# id(helper) -> (helper, _helper_writes(helper, None)) while check_aliasing runs.
_WRITES: dict | None = None


def check_aliasing(function: gast.FunctionDef, ctx: Context) -> gast.FunctionDef:
    """Put a run-time check in front of every in-place update that a live name
    may share, and refuse helper calls whose changes would be lost (see the
    module docstring)."""
    global _WRITES
    saved, _WRITES = _WRITES, {}
    try:
        return _check_aliasing(function, ctx)
    finally:
        _WRITES = saved


def _check_aliasing(function: gast.FunctionDef, ctx: Context) -> gast.FunctionDef:
    params = nodes.parameters(function)
    asked = [stmt for stmt in _statements(function.body) if _Checker.reads_facts(stmt)]
    wanted = {id(stmt) for stmt in asked}
    sharing = _Sharing(wanted, frozenset(), ctx.parsed)
    liveness, derivations, defined = _Liveness(wanted), Derivations(wanted), _Defined(wanted)
    if not _needs_no_facts(function, asked, ctx.parsed):
        state = {p: (frozenset({("param", p)}), frozenset({("param-contents", p)}))
                 for p in params}
        # The lists appended to or popped: a call is only ever a statement's
        # value in normalised code (anf.py), and `asked` holds every such
        # statement (reads_facts), where a walk of every node of a Hessian's
        # gradient code took a sixth of this pass (issue #13).
        lists = {stmt.value.func.value.id for stmt in asked
                 if isinstance(stmt, (gast.Assign, gast.Expr)) and
                 (nodes.list_method(stmt.value, "append") or nodes.list_method(stmt.value, "pop"))}
        sharing = _Sharing(wanted, frozenset(lists), ctx.parsed, function)
        for name, facts in state.items():
            sharing.note(name, facts)
        sharing.block(function.body, state)
        liveness.block(function.body, set())
        derivations.block(function.body, {})
        defined.block(function.body, dict.fromkeys(params, -1))
    checker = _Checker(ctx, sharing, liveness, derivations)
    checker.defined = defined
    checker.tree = function
    checker.asked = wanted
    body = _with_view_flags(checker.block(function.body), checker)
    distinct = checker.distinct_arguments(params)
    function.body = distinct + body
    if checker.inserted or checker.flags or distinct:
        # (The definitions split_lists found are not all of them now.)
        ctx.list_definitions = None
    return function
