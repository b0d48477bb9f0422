"""Derivations: which names are views or elements of which, at each statement.

Used by aliasing.py to follow an in-place change the way Python does. A name
is *derived* from a base when it was bound by one of

    v = b                  the same object                  (copy)
    v = b[index]           an element, a row or a view      (item)
    v = np.transpose(b)    a transposed view                (transpose)
    v = np.reshape(b, s)   a reshaped view, np.ravel too    (reshape)
    v = np.flip(b, 0)      a view that is its own inverse   (involution)
    v = np.moveaxis(b, s, d)  axes moved, moved back by np.moveaxis(v, d, s) (moveaxis)
    v = np.real(b)         b itself, for a real b (b.real)  (real; complex b refused)
    v = b.copy(), dict(b)  a new dict holding b's entries   (entries)
    t = (v, w)             v is t[0] and w is t[1]          (item; lists and dicts too)

and neither v, nor b, nor a name in the index has been bound to something
else since. In-place updates (marked `mutates` by the normaliser) keep the
object, so they keep the derivations. This is a must-analysis: a fact holds
on every path to the statement (loops are iterated to a fixed point).

Whether the object really is a view (a basic slice is, a fancy-indexed copy
is not; a list element is the same object, a float is not) is asked when the
function runs: the facts only say how to write a change back into the base
(`write_back`) and how to read a derived name again (`read_again`).
"""

from __future__ import annotations

from dataclasses import dataclass

import gast
import numpy as np

from .. import nodes
from ..runtime import core as runtime_core
from ..runtime import python_builtins as runtime_builtins
from .anf import primitive_of
from . import effects


# Views holding the same elements in the same order, in another shape: a change
# is written back with np.reshape(v, np.shape(b)).
SHAPE_VIEWS = (np.ravel, np.squeeze, np.atleast_1d, np.atleast_2d, np.atleast_3d, np.asarray,
               np.asanyarray)
# Shape views that take an axis (np.squeeze(b, 1), b.squeeze(axis=0)) or a
# second argument (np.expand_dims(b, 0)): the same write-back.
_AXIS_SHAPE_VIEWS = {np.squeeze: "axis", np.expand_dims: "axis"}
# Views that are their own inverse: a change is written back by the same call.
INVOLUTIONS = (np.flip, np.fliplr, np.flipud, np.swapaxes)


@dataclass(frozen=True)
class Derivation:
    base: str
    how: str          # copy, item, transpose, reshape, involution, moveaxis, real,
                      # entries
    rhs: gast.AST     # the right-hand side that derived it (read again as it is)
    binding: int      # id() of the assignment that derived it

    def names(self) -> frozenset:
        # Asked of every fact at bindings (Derivations.kill): computed once.
        names = self.__dict__.get("_names")
        if names is None:
            names = frozenset({self.base} | nodes.names_loaded(self.rhs))
            object.__setattr__(self, "_names", names)
        return names


def derivation_of(stmt: gast.Assign) -> Derivation | None:
    """How a normalised assignment derives its value from a variable."""
    rhs = stmt.value
    if isinstance(rhs, gast.Name):
        return Derivation(rhs.id, "copy", rhs, id(stmt))
    if isinstance(rhs, gast.Subscript) and isinstance(rhs.value, gast.Name):
        return Derivation(rhs.value.id, "item", rhs, id(stmt))
    if isinstance(rhs, gast.Call) and rhs.args and isinstance(rhs.args[0], gast.Name) and \
            not any(isinstance(a, gast.Starred) for a in rhs.args):
        primitive = primitive_of(rhs)
        if primitive is runtime_core.loop_sequence and len(rhs.args) == 2:
            return Derivation(rhs.args[0].id, "copy", rhs, id(stmt))
        if (primitive is runtime_builtins.copied or primitive is dict) and \
                len(rhs.args) == 1 and not rhs.keywords:
            # A shallow copy: an entry of v changed in place is b's entry too,
            # as long as b holds that object (aliasing.py checks which).
            return Derivation(rhs.args[0].id, "entries", rhs, id(stmt))
        if primitive is np.transpose and (len(rhs.args) == 1 or _constant_axes(rhs)) and \
                not rhs.keywords:
            return Derivation(rhs.args[0].id, "transpose", rhs, id(stmt))
        if (primitive is np.reshape and len(rhs.args) == 2 and not rhs.keywords) or \
                (any(primitive is f for f in SHAPE_VIEWS) and len(rhs.args) == 1 and
                 not rhs.keywords) or _with_an_axis(primitive, rhs) or \
                (primitive is np.array and len(rhs.args) == 1 and _may_not_copy(rhs)) or \
                (primitive is np.astype and len(rhs.args) == 2 and _may_not_copy(rhs)):
            return Derivation(rhs.args[0].id, "reshape", rhs, id(stmt))
        if any(primitive is f for f in INVOLUTIONS):
            return Derivation(rhs.args[0].id, "involution", rhs, id(stmt))
        if primitive is np.moveaxis and len(rhs.args) == 3 and not rhs.keywords:
            return Derivation(rhs.args[0].id, "moveaxis", rhs, id(stmt))
        if primitive is np.real and len(rhs.args) == 1 and not rhs.keywords:
            return Derivation(rhs.args[0].id, "real", rhs, id(stmt))
    return None


def _with_an_axis(primitive, call) -> bool:
    """np.squeeze(b, 1), np.squeeze(b, axis=1), np.expand_dims(b, 0)."""
    for function, keyword in _AXIS_SHAPE_VIEWS.items():
        if primitive is function:
            given = len(call.args) - 1 + len(call.keywords)
            return given == 1 and all(k.arg == keyword for k in call.keywords)
    return False


def _may_not_copy(call) -> bool:
    """np.array(b, copy=False) or copy=None, b.astype(dtype, copy=False): b
    itself when it is an array (of that dtype), else a copy (is_view_of tells)."""
    return len(call.keywords) == 1 and call.keywords[0].arg == "copy" and \
        isinstance(call.keywords[0].value, gast.Constant) and \
        call.keywords[0].value.value in (False, None)


def _constant_axes(call) -> bool:
    axes = call.args[1] if len(call.args) == 2 else None
    return isinstance(axes, gast.Tuple) and all(
        isinstance(e, gast.Constant) and isinstance(e.value, int) for e in axes.elts)


def inverse_axes(call) -> tuple | None:
    """The permutation undoing np.transpose(b, axes); None for a plain transpose."""
    if len(call.args) == 1:
        return None
    axes = [e.value for e in call.args[1].elts]
    return tuple(int(i) for i in np.argsort(axes))


class Derivations:
    """The derivation facts before every statement of a normalised function
    (those whose ids are in `wanted`, or all when it is None)."""

    def __init__(self, wanted=None):
        self.before: dict = {}
        self.wanted = wanted
        # Every name some fact made so far mentions: binding any other name
        # kills no fact but its own, found without looking at every fact.
        self.mentioned: set = set()

    def block(self, stmts, facts: dict) -> dict:
        for stmt in stmts:
            facts = self.statement(stmt, facts)
        return facts

    def kill(self, facts: dict, name: str, keep_own: bool = False) -> dict:
        """`facts` without those that no longer hold once `name` is bound to
        something else (changed in place, the order of the others kept)."""
        if not keep_own:
            facts.pop(name, None)
        if name in self.mentioned:
            for v in [v for v, d in facts.items() if (keep_own or v != name) and
                      name in d.names()]:
                del facts[v]
        return facts

    def statement(self, stmt, facts: dict) -> dict:
        """The facts after `stmt`; `facts` is the caller's to give (it is
        updated in place, so a binding costs what it changes)."""
        key = id(stmt)
        if self.wanted is None or key in self.wanted:
            self.before[key] = dict(facts) if key not in self.before \
                else _meet(self.before[key], facts)
        if isinstance(stmt, gast.Assign):
            target = stmt.targets[0].id
            if nodes.annotation(stmt, "mutates") in (effects.WRITE, effects.IN_PLACE_OPERATOR) \
                    and nodes.annotation(stmt, "mutated") is None:
                return facts  # the same object, changed: every relation stays
            facts = self.kill(facts, target)
            derived = derivation_of(stmt)
            if derived is not None and target not in derived.names():
                facts[target] = derived
                self.mentioned |= derived.names()
            for key, element in _display_entries(stmt.value):
                # t = (u, v): u is t[0] from now on, as long as neither is bound
                # again; d = {"w": w}: w is d["w"].
                if element.id != target and element.id not in facts:
                    facts[element.id] = Derivation(target, "item", gast.Subscript(
                        value=nodes.name(target), slice=nodes.const(key), ctx=gast.Load()),
                        id(stmt))
                    self.mentioned |= facts[element.id].names()
            return facts
        if isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Call) and \
                isinstance(stmt.value.func, gast.Attribute) and \
                isinstance(stmt.value.func.value, gast.Name):
            # L.append(v), L.pop(): L[-1] is another element now.
            return self.kill(facts, stmt.value.func.value.id, keep_own=True)
        if isinstance(stmt, gast.If):
            return _meet(self.block(stmt.body, dict(facts)), self.block(stmt.orelse, facts))
        if isinstance(stmt, (gast.While, gast.For)):
            head = facts
            while True:
                entry = self.kill(dict(head), stmt.target.id) if isinstance(stmt, gast.For) \
                    else dict(head)
                new = _meet(head, self.block(stmt.body, entry))
                if new == head:
                    return head
                head = new
        return facts


def _display_entries(rhs) -> list:
    """(key, name) for the variables a tuple, list or dict display holds once
    each, under a constant key."""
    if isinstance(rhs, (gast.Tuple, gast.List)):
        entries = list(enumerate(rhs.elts))
    elif isinstance(rhs, gast.Dict) and all(isinstance(k, gast.Constant) for k in rhs.keys):
        entries = [(k.value, v) for k, v in zip(rhs.keys, rhs.values)]
    else:
        return []
    names = [v.id for _, v in entries if isinstance(v, gast.Name)]
    return [(key, v) for key, v in entries
            if isinstance(v, gast.Name) and names.count(v.id) == 1]


def _meet(a: dict, b: dict) -> dict:
    # Most facts are the same object on both paths: `is` first, not the
    # dataclass's field-by-field == (a fifth of the analysis on a Hessian's
    # gradient code, issue #13). A Derivation equals itself.
    out = {}
    for v, d in a.items():
        other = b.get(v)
        if other is d or other == d:
            out[v] = d
    return out
