"""The adjoint of one normalised assignment `target = rhs`.

Used by reverse_mode.py for every assignment it walks. Looks the operation up
in the rule tables, instantiates the rule's templates with the statement's
own names, and accumulates each contribution into the operand's adjoint under
the zero-tracking discipline (first contribution assigns, later ones add).
Calls to the user's own functions get derivative code of their own
(`derivatives.py`), called here as `helper_adjoint(_stack, dy)`.

    y = x * w      ->    dx = unbroadcast(dy * w, x)       (x's first contribution)
                         dw = dw + unbroadcast(dy * x, w)  (w had one already)
"""

from __future__ import annotations

import gast

from .. import nodes
from ..context import Context
from .activity import Activity
from .operations import bind_user_call, classify, instantiate


class StatementAdjoints:
    def __init__(self, ctx: Context, activity: Activity, stack: str, recorded_calls: dict):
        self.ctx = ctx
        self.activity = activity
        self.stack = stack
        self.recorded_calls = recorded_calls

    def _active(self, atom) -> bool:
        return self.activity.is_active(atom)

    def _comment(self, stmt) -> list:
        line = self.ctx.parsed.line_text(getattr(stmt, "lineno", 0) or 0).strip()
        return [nodes.comment(f"line {stmt.lineno}: {line}")] if line else []

    def accumulate(self, variable: str, contribution: gast.AST, zero: set) -> gast.AST:
        adjoint = self.ctx.namer.adjoint(variable)
        if variable in zero:
            zero.discard(variable)
            return nodes.assign(adjoint, contribution)
        return nodes.assign(adjoint, nodes.add(nodes.name(adjoint), contribution))

    def assignment(self, stmt, target: str, rhs: gast.AST, zero: set) -> list:
        """Adjoint statements of `target = rhs`; updates `zero` in place."""
        if target not in self.activity.active:
            return []
        if target in zero:
            return []  # nothing flows back from a zero adjoint
        code, contributions = self.contributions(stmt, target, rhs)
        own = []
        for variable, expr in contributions:
            if variable == target:
                own.append(expr)
            else:
                code.append(self.accumulate(variable, expr, zero))
        zero.add(target)
        if own:
            total = own[0]
            for expr in own[1:]:
                total = nodes.add(total, expr)
            code.append(self.accumulate(target, total, zero))
        return self._comment(stmt) + code if code else []

    def contributions(self, stmt, target: str, rhs: gast.AST) -> tuple[list, list]:
        """Statements to run first, and (operand, contribution to its adjoint)
        for each active operand."""
        g = nodes.name(self.ctx.namer.adjoint(target))
        operation = classify(rhs, self.activity, self.ctx.parsed.location(stmt))
        if operation.kind == "copy":
            return [], ([(rhs.id, g)] if self._active(rhs) else [])
        if operation.kind == "user":
            return self.user_call(stmt, target, rhs, operation.primitive, g)
        if operation.kind != "rule":
            return [], []
        bindings = dict(operation.bindings, g=g, result=nodes.name(target))
        out = []
        for param in operation.active_params(self.activity):
            atom = operation.bound[param]
            contribution = instantiate(operation.rule.adjoint[param], bindings, self.ctx)
            if operation.rule.pointwise and not self.ctx.numbers and \
                    operation.may_broadcast(param):
                contribution = nodes.call(nodes.name(self.ctx.helper("unbroadcast")),
                                          [contribution, nodes.clone(atom)])
            out.append((atom.id, contribution))
        return [], out

    def user_call(self, stmt, target: str, rhs: gast.Call, function, g) -> tuple[list, list]:
        params, bound = bind_user_call(function, rhs, self.ctx.parsed.location(stmt))
        location = self.ctx.parsed.location(stmt)
        active = [params.index(name) for name, atom in bound.arguments.items()
                  if isinstance(atom, gast.Name) and self._active(atom)]
        if not active:
            return [], []
        primal_name, adjoint_name = self.ctx.callee(function, tuple(active), location)
        recorded = nodes.clone(rhs)
        recorded.func = nodes.name(primal_name)
        recorded.args = [nodes.name(self.stack)] + recorded.args
        self.recorded_calls[id(stmt)] = recorded
        call = nodes.call(nodes.name(adjoint_name), [nodes.name(self.stack), g])
        atoms = [bound.arguments[params[i]] for i in active]
        if len(active) == 1:
            return [], [(atoms[0].id, call)]
        # Several active arguments: the callee returns a tuple of adjoints.
        temp = self.ctx.namer.temp()
        out = []
        for position, atom in enumerate(atoms):
            element = gast.Subscript(value=nodes.name(temp), slice=nodes.const(position),
                                     ctx=gast.Load())
            out.append((atom.id, element))
        return [nodes.assign(temp, call)], out
