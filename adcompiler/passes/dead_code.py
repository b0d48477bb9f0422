"""Dead code: drop the computations of values nothing needs.

Input and output: a generated FunctionDef (statements as forward mode writes
them, before simplify). An assignment goes when its target is never needed
and its value is pure: names, constants, operators, indexing, attribute reads,
displays, and calls of the compiler's runtime helpers or of functions with a
derivative rule (NumPy, math). A variable is needed when the return, a loop or
branch test, a loop's sequence, a statement kept for its effect (a call of
anything else, a push onto a stack) or the value of a needed variable reads
it. The analysis goes by name and ignores order, so it only ever keeps too
much: a variable read only by its own update (`dWh = dWh + c`) is dead.

What it is for: `hvp` needs only the tangent of the gradient, and the tangent
of the gradient does not read the gradient itself, so the jvp it calls keeps
the tangents and drops the accumulation of the gradient (a matrix product and
a sum per step of an RNN).

    _t16 = matmul_adjoint_b(d_t3, h, Wh)
    d_t16 = matmul_adjoint_b(dd_t3, h, Wh) + ...    d_t16 = matmul_adjoint_b(dd_t3, h, Wh) + ...
    dWh = dWh + _t16                          ->
    ddWh = ddWh + d_t16                             ddWh = ddWh + d_t16
    return ddWh                                     return ddWh

A call of a user function's jvp whose value is dead while its tangent is
needed (`value, dvalue = g_jvp(dx, x)`) is offered to `narrow`, which may
name a jvp returning the tangent alone; the call then becomes
`dvalue = g_tangent(dx, x)`.
"""

from __future__ import annotations

from typing import Callable

import gast

from .. import nodes
from ..context import HELPER_OBJECTS
from ..rules import registry

# Helpers that check what they are given (the seed of a non-scalar result is an
# error the user must see), kept whatever their value.
_CHECKS = {"scalar_seed", "checked_seed", "check_unshared", "check_distinct",
           "check_not_held"}


class _Purity:
    def __init__(self, aliases: dict):
        self.objects = {alias: HELPER_OBJECTS[name] for name, alias in aliases.items()}
        self.helpers = {alias for name, alias in aliases.items()
                        if name not in _CHECKS and name not in ("np", "math")}

    def pure(self, rhs) -> bool:
        if isinstance(rhs, gast.Call):
            return self._pure_function(rhs.func) and all(self.pure(a) for a in rhs.args) \
                and all(self.pure(k.value) for k in rhs.keywords)
        if isinstance(rhs, (gast.Name, gast.Constant)):
            return True
        if isinstance(rhs, (gast.BinOp, gast.UnaryOp, gast.Compare, gast.Subscript,
                            gast.Attribute, gast.Tuple, gast.List, gast.Dict, gast.Slice)):
            return all(self.pure(child) for child in gast.iter_child_nodes(rhs)
                       if isinstance(child, gast.expr))
        return False

    def _pure_function(self, func) -> bool:
        if isinstance(func, gast.Name) and func.id in self.helpers:
            return True
        value = nodes.annotation(func, "value", None)
        if value is None:
            value = self._helper_attribute(func)
        rule = registry.lookup(value) if value is not None else None
        return rule is not None and rule.differentiable

    def _helper_attribute(self, func):
        """The object `np.linalg.norm` names, when `np` is the helper."""
        path = []
        while isinstance(func, gast.Attribute):
            path.append(func.attr)
            func = func.value
        if not (path and isinstance(func, gast.Name) and func.id in self.objects):
            return None
        value = self.objects[func.id]
        for attr in reversed(path):
            value = getattr(value, attr, None)
        return value


class _Liveness:
    """Backward liveness over the structured body, loops to a fixed point.
    Records the pure assignments whose target is dead where they stand, and
    the jvp calls whose value is."""

    def __init__(self, purity: _Purity):
        self.purity = purity
        self.dead: set = set()
        self.value_dead: set = set()
        # id(statement) -> the names its value reads: a loop's body is walked
        # until its live set is stable, the tree stays as it is meanwhile.
        self.loaded: dict = {}

    def block(self, stmts: list, live: set) -> set:
        """The names live above `stmts`; `live` (below them) is left as it was."""
        # One copy per block, which its statements update in place: a new set
        # per statement cost time quadratic in the number of live names.
        return self.through(stmts, set(live))

    def through(self, stmts: list, live: set) -> set:
        """`block`, with `live` updated in place (or a new set returned)."""
        for stmt in reversed(stmts):
            live = self.statement(stmt, live)
        return live

    def statement(self, stmt, live: set) -> set:
        """The names live above `stmt`: `live` (below it) updated in place, or
        a new set."""
        if stmt.__class__ is gast.Assign:
            target = stmt.targets[0]
            if target.__class__ is gast.Name and target.ctx.__class__ is gast.Store:
                # (Most statements: what the general case below does for
                # them, without a set made for the one name.)
                name = target.id
                if name in live:
                    self.dead.discard(id(stmt))
                elif self.purity.pure(stmt.value):
                    self.dead.add(id(stmt))
                    return live
                live.discard(name)
                loaded = self.loaded.get(id(stmt))
                if loaded is None:
                    loaded = self.loaded[id(stmt)] = nodes.names_loaded(stmt.value)
                live |= loaded
                return live
            targets = {target.id} if target.__class__ is gast.Name and \
                isinstance(target.ctx, gast.Store) else nodes.names_stored(target)
            if isinstance(target, gast.Name):
                # Purity is asked only of a dead target (most are live); only
                # pure assignments are ever marked dead, so discarding is safe.
                if targets & live:
                    self.dead.discard(id(stmt))
                elif self.purity.pure(stmt.value):
                    self.dead.add(id(stmt))
                    return live
            if isinstance(stmt.targets[0], gast.Tuple) and stmt.targets[0].elts and \
                    isinstance(stmt.targets[0].elts[0], gast.Name):
                (self.value_dead.add if stmt.targets[0].elts[0].id not in live
                 else self.value_dead.discard)(id(stmt))
            live -= targets
            loaded = self.loaded.get(id(stmt))
            if loaded is None:
                loaded = self.loaded[id(stmt)] = nodes.names_loaded(stmt.value)
            live |= loaded
            return live
        if isinstance(stmt, gast.If):
            # (The else branch goes through `live` itself, the body through a
            # copy: thousands of names are live in a Hessian's gradient code.)
            body = self.block(stmt.body, live)
            live = self.through(stmt.orelse, live)
            live |= body
            live |= nodes.names_loaded(stmt.test)
            return live
        if isinstance(stmt, (gast.While, gast.For)):
            # Live where the body starts or the loop is left: a fixed point, as
            # a value the next iteration reads is live at the end of this one.
            around = live
            around |= nodes.names_loaded(stmt.test if isinstance(stmt, gast.While) else stmt.iter)
            while True:
                entry = self.block(stmt.body, around)
                if isinstance(stmt, gast.For):
                    entry -= {stmt.target.id}
                if entry <= around:
                    return around
                around |= entry
        live |= nodes.names_loaded(stmt)
        return live


def _sweep(stmts: list, liveness: _Liveness, narrow) -> list:
    out = []
    for stmt in stmts:
        for field in ("body", "orelse"):
            if getattr(stmt, field, None):
                setattr(stmt, field, _sweep(getattr(stmt, field), liveness, narrow)
                        or [gast.Pass()])
        if id(stmt) in liveness.dead:
            continue
        out.append(_narrowed(stmt, narrow) if id(stmt) in liveness.value_dead else stmt)
    return out


def _narrowed(stmt, narrow):
    target = stmt.targets[0]
    if not (len(target.elts) == 2 and isinstance(target.elts[1], gast.Name)
            and isinstance(stmt.value, gast.Call) and isinstance(stmt.value.func, gast.Name)):
        return stmt
    replacement = narrow(stmt.value.func.id)
    if replacement is None:
        return stmt
    stmt.value.func = nodes.name(replacement)
    return nodes.copy_location(nodes.assign(target.elts[1].id, stmt.value), stmt)


def remove_dead_code(function: gast.FunctionDef, aliases: dict,
                     narrow: Callable[[str], str | None] = lambda name: None) -> gast.FunctionDef:
    """`aliases`: helper name -> the name the code uses for it (Context.aliases)."""
    liveness = _Liveness(_Purity(aliases))
    liveness.block(function.body, set())
    function.body = _sweep(function.body, liveness, narrow)
    return function
