"""The adjoint of one normalised assignment `target = rhs`.

Used by reverse_mode.py for every assignment it walks. Looks the operation up
in the rule tables, instantiates the rule's templates with the statement's
own names, and accumulates each contribution into the operand's adjoint under
the zero-tracking discipline (first contribution assigns, later ones add).
Calls to the user's own functions get derivative code of their own
(`derivatives.py`), called here as `helper_adjoint(_stack, dy)`.

    y = x * w      ->    dx = unbroadcast(dy * w, x)       (x's first contribution)
                         dw = dw + unbroadcast(dy * x, w)  (w had one already)

A list literal bound to a rule's parameter gets one adjoint per element from
the rule, taken apart by position:

    s = np.stack([a, b])  ->  _t1 = stack_adjoint(ds, [a, b], 0)
                              da = _t1[0]
                              db = _t1[1]
"""

from __future__ import annotations

import inspect
import operator

import gast

from .. import nodes
from ..context import Context
from ..errors import NoDerivativeRuleError, UnsupportedSyntaxError
from ..rules import registry
from ..source import describe_callable
from .activity import Activity, is_user_function
from .anf import bind_arguments, literal_names, primitive_of


def index_value(index: gast.AST) -> gast.AST:
    """An index as an ordinary expression: `1:3` -> `slice(1, 3, None)`."""
    if isinstance(index, gast.Slice):
        parts = [nodes.const(None) if p is None else nodes.clone(p)
                 for p in (index.lower, index.upper, index.step)]
        return nodes.call(nodes.name("slice"), parts)
    if isinstance(index, gast.Tuple):
        return nodes.tuple_([index_value(e) for e in index.elts])
    return nodes.clone(index)


def instantiate(template: gast.AST, bindings: dict, ctx: Context) -> gast.AST:
    """A copy of `template` with parameter names replaced by the call's atoms
    and helper names by the names generated code uses for them."""
    tree = nodes.clone(template)

    class _Substitute(gast.NodeTransformer):
        def visit_Name(self, node):
            if node.id in bindings:
                return nodes.clone(bindings[node.id])
            if node.id in registry.helper_names() and node.id not in ("True", "False", "None"):
                return nodes.name(ctx.helper(node.id))
            return node

    return fold_constants(_Substitute().visit(tree))


_FOLDABLE = {gast.Add: lambda a, b: a + b, gast.Sub: lambda a, b: a - b,
             gast.Mult: lambda a, b: a * b}


def fold_constants(tree: gast.AST) -> gast.AST:
    """Fold what instantiating a template leaves behind: `2 - 1` -> `1`,
    `x ** 1` -> `x`, `g * 1` -> `g`, so generated code reads as written by hand."""

    class _Fold(gast.NodeTransformer):
        def visit_BinOp(self, node):
            self.generic_visit(node)
            left, right = node.left, node.right
            constant = (int, float)
            if isinstance(left, gast.Constant) and isinstance(right, gast.Constant) and \
                    type(node.op) in _FOLDABLE and isinstance(left.value, constant) and \
                    isinstance(right.value, constant) and not isinstance(left.value, bool):
                return nodes.const(_FOLDABLE[type(node.op)](left.value, right.value))
            if isinstance(right, gast.Constant) and right.value == 1 and \
                    isinstance(node.op, (gast.Pow, gast.Mult, gast.Div)) and \
                    not isinstance(right.value, bool):
                return left
            return node

    return _Fold().visit(tree)


def describe_operation(rhs: gast.AST) -> str:
    primitive = primitive_of(rhs)
    if primitive is not None:
        return describe_callable(primitive)
    if isinstance(rhs, gast.Call) and isinstance(rhs.func, gast.Attribute):
        return f"the method .{rhs.func.attr}()"
    if isinstance(rhs, gast.Attribute):
        return f"the attribute .{rhs.attr}"
    return type(rhs).__name__


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
        location = self.ctx.parsed.location(stmt)
        if isinstance(rhs, gast.Name):
            return [], ([(rhs.id, g)] if self._active(rhs) else [])
        if isinstance(rhs, gast.Constant):
            return [], []
        if isinstance(rhs, (gast.Tuple, gast.List)):
            if any(self._active(e) for e in rhs.elts):
                raise UnsupportedSyntaxError(
                    "building a tuple or list out of differentiated values is not supported "
                    "yet", location, help="Instead: keep the values in separate variables, "
                    "or stack them into an array.")
            return [], []
        primitive = primitive_of(rhs)
        rule = registry.lookup(primitive) if primitive is not None else None
        if rule is None and is_user_function(primitive):
            return self.user_call(stmt, target, rhs, primitive, g)
        if rule is not None and not rule.differentiable:
            return [], []  # e.g. h = np.zeros(n) for an h that is active later on
        if rule is None:
            raise NoDerivativeRuleError(
                f"no derivative rule for {describe_operation(rhs)}", location,
                help="adcompiler differentiates the functions listed in docs/derivatives.md. "
                "Register a rule for it with adcompiler.register_rule(...) (see "
                "docs/custom-rules.md), or make its inputs independent of the "
                "differentiated arguments.")
        bound = bind_arguments(rule, rhs)
        if bound is None:
            raise NoDerivativeRuleError(
                f"{rule.name} is called with arguments its derivative rule does not cover "
                f"(the rule's signature is ({', '.join(rule.signature.parameters)}))",
                location, help="Call it with the arguments the rule names.")
        bindings = {name: index_value(atom) if primitive is operator.getitem and
                    name == "index" else atom for name, atom in bound.items()}
        bindings["g"] = g
        bindings["result"] = nodes.name(target)
        code, out = [], []
        for param, template in rule.adjoint.items():
            atom = bound[param]
            if isinstance(atom, (gast.List, gast.Tuple)):
                code += self._literal_contributions(atom, template, bindings, out)
                continue
            if not self._active(atom):
                continue
            contribution = instantiate(template, bindings, self.ctx)
            if rule.pointwise and not self.ctx.numbers and \
                    self._may_broadcast(rule, bound, param):
                contribution = nodes.call(nodes.name(self.ctx.helper("unbroadcast")),
                                          [contribution, nodes.clone(atom)])
            out.append((atom.id, contribution))
        return code, out

    def _literal_contributions(self, literal, template, bindings, out: list) -> list:
        """A list literal bound to a rule's parameter (`np.stack([a, b])`): the
        rule's adjoint is a sequence with one adjoint per element, nested like
        the literal; each active element takes its own."""
        active = [(path, name) for path, name in literal_names(literal) if self._active(name)]
        if not active:
            return []
        contribution = instantiate(template, bindings, self.ctx)
        code = []
        if len(active) > 1:
            temp = self.ctx.namer.temp()
            code.append(nodes.assign(temp, contribution))
            contribution = nodes.name(temp)
        for path, name in active:
            element = nodes.clone(contribution)
            for position in path:
                element = gast.Subscript(value=element, slice=nodes.const(position),
                                         ctx=gast.Load())
            out.append((name.id, element))
        return code

    @staticmethod
    def _may_broadcast(rule, bound: dict, param: str) -> bool:
        """Whether operand `param` can be smaller than the result (only if another
        operand of the elementwise operation is a variable)."""
        return any(isinstance(atom, gast.Name) for name, atom in bound.items()
                   if name != param and name in rule.signature.parameters)

    def user_call(self, stmt, target: str, rhs: gast.Call, function, g) -> tuple[list, list]:
        location = self.ctx.parsed.location(stmt)
        try:
            signature = inspect.signature(function)
            bound = signature.bind(*rhs.args, **{k.arg: k.value for k in rhs.keywords})
        except (TypeError, ValueError) as err:
            raise NoDerivativeRuleError(
                f"cannot match the call to {function.__qualname__} to its parameters: {err}",
                location, help="Call it with positional or keyword arguments that match "
                "its signature.") from err
        params = list(signature.parameters)
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
