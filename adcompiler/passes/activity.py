"""Activity analysis: which variables carry derivatives.

Input: a normalised FunctionDef (see anf.py) and the differentiated parameters.
Output: `Activity`, the variables that are *varied* (depend on a differentiated
parameter through differentiable operations) and *useful* (reach the returned
value through differentiable operations). Only variables that are both, the
*active* ones, get adjoints or tangents: a loop counter, the norm in a `while`
test, shape arithmetic or a logger call costs nothing in the derivative and
needs no derivative rule.

The analysis is flow-insensitive (one fact per variable name), which is
conservative: it can only make more variables active, never fewer.

    def f(x, n):                 varied: x, y, _t1, t
        y = x * n                useful: y, x, n, t, _t1
        _t1 = np.linalg.norm(y)  active: t, x, y
        t = _t1 < 3 ...          (_t1 only feeds a comparison)
"""

from __future__ import annotations

import types
from dataclasses import dataclass, field

import gast

from .. import nodes
from ..context import Context
from ..rules import numpy_rules, registry
from .anf import bind_arguments, literal_names, primitive_of


@dataclass
class Activity:
    varied: set = field(default_factory=set)
    useful: set = field(default_factory=set)

    @property
    def active(self) -> set:
        return self.varied & self.useful

    def is_active(self, atom) -> bool:
        return isinstance(atom, gast.Name) and atom.id in self.active

    def dump(self) -> str:
        """A stable text form that tests compare against."""
        return (f"varied: {', '.join(sorted(self.varied))}\n"
                f"useful: {', '.join(sorted(self.useful))}\n"
                f"active: {', '.join(sorted(self.active))}")


def is_user_function(obj) -> bool:
    return isinstance(obj, types.FunctionType) and obj.__code__.co_filename[:1] != "<" or (
        isinstance(obj, types.FunctionType) and obj.__code__.co_filename.startswith("<ipython"))


def derivative_operands(rhs: gast.AST) -> list:
    """The atoms of `rhs` through which a derivative can flow."""
    if isinstance(rhs, gast.Name):
        return [rhs]
    if isinstance(rhs, (gast.Constant, gast.Compare, gast.JoinedStr)):
        return []
    if isinstance(rhs, gast.Attribute):
        if nodes.annotation(rhs, "value", None) is not None or \
                rhs.attr in numpy_rules.NONDIFFERENTIABLE_ATTRIBUTES:
            return []
        return [rhs.value]
    if isinstance(rhs, (gast.Tuple, gast.List)):
        return list(rhs.elts)
    if isinstance(rhs, gast.Subscript):
        return [rhs.value]
    primitive = primitive_of(rhs)
    rule = registry.lookup(primitive) if primitive is not None else None
    if rule is not None:
        if not rule.differentiable:
            return []
        bound = bind_arguments(rule, rhs)
        if bound is not None:
            return [name for p in rule.differentiable_params()
                    for _, name in literal_names(bound[p])]
    operands = []
    if isinstance(rhs, gast.Call):
        # A call whose arguments do not fit its rule: every variable in them
        # counts (also inside list literals), so that a missing rule is an error.
        operands = [name for arg in list(rhs.args) + [k.value for k in rhs.keywords]
                    for _, name in literal_names(arg)]
        if isinstance(rhs.func, gast.Attribute) and primitive is None:
            operands.append(rhs.func.value)  # a method of a local value
    elif isinstance(rhs, gast.BinOp):
        operands = [rhs.left, rhs.right]
    elif isinstance(rhs, gast.UnaryOp):
        operands = [rhs.operand]
    return operands


def _definitions(stmts, out: list) -> list:
    """Every (target, rhs) pair in a normalised body, loops and branches included."""
    for stmt in stmts:
        if isinstance(stmt, gast.Assign):
            out.append((stmt.targets[0].id, stmt.value))
        elif isinstance(stmt, gast.For):
            out.append((stmt.target.id, stmt.iter))
            _definitions(stmt.body, out)
        elif isinstance(stmt, (gast.If, gast.While)):
            _definitions(stmt.body, out)
            _definitions(stmt.orelse, out)
    return out


def analyse(function: gast.FunctionDef, ctx: Context) -> Activity:
    """Compute the varied and useful variables of a normalised function."""
    params = [arg.id for arg in function.args.args]
    definitions = _definitions(function.body, [])
    operands = [(target, [a.id for a in derivative_operands(rhs) if isinstance(a, gast.Name)])
                for target, rhs in definitions]
    activity = Activity(varied={params[i] for i in ctx.wrt})
    changed = True
    while changed:
        changed = False
        for target, names in operands:
            if target not in activity.varied and any(n in activity.varied for n in names):
                activity.varied.add(target)
                changed = True
    returned = function.body[-1].value
    if isinstance(returned, gast.Name):
        activity.useful.add(returned.id)
    changed = True
    while changed:
        changed = False
        for target, names in operands:
            if target in activity.useful:
                for name in names:
                    if name not in activity.useful:
                        activity.useful.add(name)
                        changed = True
    return activity
