"""Hoist: move loop-invariant statements out of loops that certainly run.

Input and output: a normalised FunctionDef (anf.py). A statement of a `for`
loop's body moves in front of the loop when
  * the loop runs over `range(...)` of constants with at least one iteration
    (so the statement would have run anyway, and raises nothing new);
  * it sits directly in the body (not under an `if`), assigns a variable that
    nothing else in the function assigns,
  * and applies a rule (a pure operation) to values the loop never changes, or
    to other hoisted values.
The function computes the same values; the derivative gains twice: the primal
sweep computes the value once, and the adjoint sweep adds up its adjoint over
the iterations and propagates it once, after the loop.

    _range = range(100)             _range = range(100)
    for i in _range:                _t6 = -x
        _t6 = -x            ->      _t8 = math.exp(_t6)
        _t8 = math.exp(_t6)         for i in _range:
        s = s + _t8                     s = s + _t8
"""

from __future__ import annotations


import gast

from .. import nodes
from ..rules import registry
from .anf import primitive_of


def _constant_range_length(assign) -> int:
    call = assign.value if isinstance(assign, gast.Assign) else None
    # (Asked of every assignment: what the call applies is looked up last.)
    if not (isinstance(call, gast.Call) and not call.keywords
            and all(isinstance(a, gast.Constant) and isinstance(a.value, int)
                    and not isinstance(a.value, bool) for a in call.args)
            and primitive_of(call) is range):
        return 0
    try:
        return len(range(*[a.value for a in call.args]))
    except (TypeError, ValueError):
        return 0


def _pure(rhs) -> bool:
    if isinstance(rhs, (gast.Name, gast.Constant)):
        return True
    primitive = primitive_of(rhs)
    return isinstance(rhs, (gast.BinOp, gast.UnaryOp, gast.Call)) and primitive is not None \
        and registry.lookup(primitive) is not None


def _hoist_block(stmts: list, counts) -> list:
    out: list = []
    ranges = {}
    for stmt in stmts:
        for field in ("body", "orelse"):
            if isinstance(getattr(stmt, field, None), list):
                setattr(stmt, field, _hoist_block(getattr(stmt, field), counts))
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
            ranges[stmt.targets[0].id] = _constant_range_length(stmt)
        if isinstance(stmt, gast.For) and isinstance(stmt.iter, gast.Name) and \
                ranges.get(stmt.iter.id, 0) > 0 and counts[stmt.iter.id] == 1:
            varying = nodes.names_mutated(stmt)
            hoisted, hoisted_names = [], set()
            for inner in stmt.body:
                if isinstance(inner, gast.Assign) and isinstance(inner.targets[0], gast.Name) \
                        and counts[inner.targets[0].id] == 1 and _pure(inner.value) \
                        and nodes.names_loaded(inner.value) & varying <= hoisted_names:
                    hoisted.append(inner)
                    hoisted_names.add(inner.targets[0].id)
            stmt.body = [s for s in stmt.body if s not in hoisted] or [gast.Pass()]
            out.extend(hoisted)
        out.append(stmt)
    return out


def hoist(function: gast.FunctionDef) -> gast.FunctionDef:
    function.body = _hoist_block(function.body, nodes.assignment_counts(function))
    return function
