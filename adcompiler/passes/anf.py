"""Normalise: one operation per statement, every operand a name or a constant.

Input: a fenced, resolved FunctionDef. Output: the same function in this small
language (A-normal form), which is all the analyses and transformations see:

    stmt  := name = rhs | rhs (a call, for its effect)
           | if atom: stmt* else: stmt*
           | while atom: stmt*        (the test's statements stand before the
                                       loop and again at the end of the body)
           | for name in name: stmt*
           | return atom | pass | assert ... | raise ...
    rhs   := atom | atom op atom | op atom | atom cmp atom... | f(atom, *atom, k=atom)
           | atom[index] | atom.attr | (atom, ...) | [atom, ...] | {atom: atom, ...}
    atom  := name | constant | a module-level reference such as np.pi

A starred argument `*t` whose length is known when compiling (tuples.py) is
written out, `t[0], t[1], ...`, and so is a join of such tuples, `t + (w,)`,
into the tuple display it builds. Any other starred argument stays; a join or
repetition of a tuple of unknown length is marked, and refused by
operations.py if it is differentiated.

A list or tuple literal passed to a function that has a general (not
elementwise) derivative rule stays in the call, with atoms (or such literals)
as elements: `np.stack([a, b])`, `np.array([[a, b], [c, d]])`. The rule's
parameter then stands for the elements, so each element's derivative can be
found (see `literal_names`).

Augmented assignments are expanded, `and`/`or` and conditional expressions
become `if` statements (keeping short-circuit evaluation), array methods and
`.T` become NumPy calls, and an assignment whose derivative would need the old
value of its own target (`x = x * w`) goes through a temporary.

    y = np.sin(x * 2) + x        _t1 = x * 2
                                 _t2 = np.sin(_t1)
                                 y = _t2 + x
"""

from __future__ import annotations

import inspect
import operator

import gast
import numpy as np

from .. import nodes
from ..context import Context
from ..errors import InternalCompilerError, NoDerivativeRuleError, UnsupportedSyntaxError
from ..printer import to_source
from ..rules import numpy_rules, registry
from . import effects, keyword_forms
from .tuples import elements, is_tuple, tuple_lengths

BINARY_OPERATORS = {
    gast.Add: operator.add, gast.Sub: operator.sub, gast.Mult: operator.mul,
    gast.Div: operator.truediv, gast.Pow: operator.pow, gast.MatMult: operator.matmul,
    gast.FloorDiv: operator.floordiv, gast.Mod: operator.mod,
    gast.BitOr: operator.or_, gast.BitAnd: operator.and_, gast.BitXor: operator.xor,
}
UNARY_OPERATORS = {gast.USub: operator.neg, gast.UAdd: operator.pos, gast.Not: operator.not_,
                   gast.Invert: operator.invert}

_MISSING = object()


def primitive_of(rhs: gast.AST):
    """The callable a normalised right-hand side applies, or None for atoms,
    literals and attribute reads."""
    # By the node's class (no gast node type is subclassed): the analyses ask
    # this of every statement, several times (issue #13).
    kind = rhs.__class__
    if kind is _CALL:
        return getattr(rhs.func, "ad_anno", _NO_ANNOTATIONS).get("value")
    if kind is _BINOP:
        return BINARY_OPERATORS[rhs.op.__class__]
    if kind is _UNARYOP:
        return UNARY_OPERATORS[rhs.op.__class__]
    if kind is _SUBSCRIPT:
        return operator.getitem
    if kind is _COMPARE:
        return operator.lt
    return None


_CALL, _BINOP, _UNARYOP, _SUBSCRIPT, _COMPARE = \
    gast.Call, gast.BinOp, gast.UnaryOp, gast.Subscript, gast.Compare
_NO_ANNOTATIONS: dict = {}  # read only


def is_global_reference(node: gast.AST) -> bool:
    """A name or attribute chain that resolved to a module-level object."""
    return isinstance(node, (gast.Name, gast.Attribute)) and \
        nodes.annotation(node, "value", _MISSING) is not _MISSING


def _clip_bounds_positional(call: gast.Call) -> gast.Call:
    """`x.clip(lo)` and `x.clip(max=hi)` as `np.clip(x, lo, None)` and
    `np.clip(x, None, hi)`: the method takes either bound alone, np.clip's
    positional bounds are both required (and its keywords `min`/`max` are
    NumPy 2.1's). The bounds are atoms already, evaluated in the user's order."""
    if any(isinstance(a, gast.Starred) for a in call.args) or len(call.args) > 3 or \
            any(k.arg not in ("min", "max") for k in call.keywords):
        return call
    bounds = call.args[1:] + [None] * (3 - len(call.args))
    for keyword in call.keywords:
        bounds[keyword.arg == "max"] = keyword.value
    if all(bound is None for bound in bounds):
        return call  # x.clip() raises, as np.clip(x) does
    spelled = [nodes.const(None) if bound is None else bound for bound in bounds]
    return nodes.copy_location(gast.Call(func=call.func, args=[call.args[0], *spelled],
                                         keywords=[]), call)


class _Normaliser:
    def __init__(self, ctx: Context, function: gast.FunctionDef):
        self.ctx = ctx
        self.namer = ctx.namer
        self.locals = ctx.parsed.local_names
        self.lengths = tuple_lengths(function)
        self.function = function
        self._objects: set | None = None  # see read_as_object
        # Tuples for certain, whose joins (+) and repetitions (*) no rule describes.
        self.tuples = set(self.lengths)
        vararg = function.args.vararg
        if vararg is not None and nodes.assignment_counts(function)[vararg.id] == 1:
            self.tuples.add(vararg.id)

    # -- statements -------------------------------------------------------
    def block(self, stmts) -> list:
        out = []
        for stmt in stmts:
            out.extend(self.statement(stmt))
        return out

    def statement(self, stmt) -> list:
        out: list = []
        if _is_add_into(stmt):
            # Generated code's `dW = add_into(dW, c)` (a loop's adjoint, added
            # in place) means `dW += c`: it is differentiated as that.
            stmt = nodes.copy_location(gast.AugAssign(
                target=stmt.targets[0], op=gast.Add(), value=stmt.value.args[1]), stmt)
        if isinstance(stmt, (gast.Assign, gast.AugAssign)) and isinstance(
                stmt.targets[0] if isinstance(stmt, gast.Assign) else stmt.target, gast.Subscript):
            self.element_update(stmt, out)
        elif isinstance(stmt, gast.Assign):
            self.assign(stmt.targets[0], stmt.value, out, stmt)
        elif isinstance(stmt, gast.AnnAssign):
            self.assign(stmt.target, stmt.value, out, stmt)
        elif isinstance(stmt, gast.AugAssign):
            target = nodes.name(stmt.target.id)
            value = gast.BinOp(left=target, op=stmt.op, right=stmt.value)
            nodes.copy_location(value, stmt)
            # On a NumPy array the operator works in place: the value keeps the
            # array's dtype and shape (runtime.core.in_place_result).
            value = nodes.copy_location(nodes.call(
                self.helper_function("in_place_result", None),
                [value, nodes.name(stmt.target.id)]), stmt)
            update = self.assign(nodes.name(stmt.target.id, "store"), value, out, stmt)
            # In place for arrays and lists, a new binding for numbers: which one
            # is known only when it runs (see aliasing.py).
            nodes.annotate(update, "mutates", effects.IN_PLACE_OPERATOR)
            nodes.annotate(update, "operator", effects.OPERATOR_NAMES.get(type(stmt.op)))
        elif isinstance(stmt, gast.Expr):
            if isinstance(stmt.value, gast.Constant):
                return []  # docstrings and bare constants do nothing
            if isinstance(stmt.value, gast.Call) and effects.rewrite_effect(self, stmt, out):
                return out
            rhs = self.rhs(stmt.value, out)
            if not isinstance(rhs, gast.Name):  # np.sin(x, out=y) leaves just `y`
                out.append(nodes.copy_location(nodes.expr_stmt(rhs), stmt))
        elif isinstance(stmt, gast.If):
            test = self.atom(stmt.test, out)
            out.append(nodes.copy_location(
                nodes.if_(test, self.block(stmt.body), self.block(stmt.orelse)), stmt))
        elif isinstance(stmt, gast.While):
            test_stmts: list = []
            test = self.atom(stmt.test, test_stmts)
            body = self.block(stmt.body) + [nodes.clone(s) for s in test_stmts]
            out.extend(test_stmts)
            out.append(nodes.copy_location(nodes.while_(test, body), stmt))
        elif isinstance(stmt, gast.For):
            iterable = self.rhs(stmt.iter, out)
            is_range = isinstance(iterable, gast.Call) and \
                nodes.annotation(iterable.func, "value", None) is range
            iter_name = self.namer.fresh("_range" if is_range else "_iter")
            out.append(nodes.copy_location(nodes.assign(iter_name, iterable), stmt))
            loop = nodes.for_(stmt.target.id, nodes.name(iter_name), self.block(stmt.body))
            out.append(nodes.copy_location(loop, stmt))
        elif isinstance(stmt, gast.Return):
            value = self.atom(stmt.value, out)
            out.append(nodes.copy_location(nodes.return_(value), stmt))
        elif isinstance(stmt, (gast.Pass, gast.Assert, gast.Raise)):
            effects.refuse_effects_kept_as_written(self, stmt)
            out.append(stmt)
        else:
            raise InternalCompilerError(f"normalisation met an unfenced statement "
                                        f"{type(stmt).__name__}", self.ctx.parsed.location(stmt))
        return out

    def assign(self, target, value, out: list, origin):
        """Emit `target = value` in normal form; return the final assignment
        (None for a tuple target)."""
        if effects.assigns_one_by_one(target, value):
            # q, p = x[:3], x[3:]: each name is bound to its part, as a view
            # of x where it is one (a packed tuple would hide that).
            for elt, part in zip(target.elts, value.elts):
                self.assign(elt, part, out, origin)
            return
        if isinstance(target, gast.Tuple):
            packed = self.atom(value, out)
            for index, elt in enumerate(target.elts):
                element = gast.Subscript(value=packed, slice=nodes.const(index), ctx=gast.Load())
                out.append(nodes.copy_location(nodes.assign(elt.id, element), origin))
            return
        if isinstance(value, gast.IfExp) and target.id not in nodes.names_loaded(value):
            self.if_expression(value, out, target.id)  # each branch assigns the target
            return None
        rhs = self.rhs(value, out)
        return self.bind(target.id, rhs, out, origin)

    def bind(self, target: str, rhs, out: list, origin) -> gast.Assign:
        """Emit `target = rhs` (rhs already normal), through a temporary when the
        derivative needs the old value of `target`; return the assignment."""
        if self._needs_temporary(target, rhs):
            temp = self.namer.temp()
            out.append(nodes.copy_location(nodes.assign(temp, rhs), origin))
            rhs = nodes.name(temp)
        final = nodes.copy_location(nodes.assign(target, rhs), origin)
        out.append(final)
        return final

    def element_update(self, stmt, out: list) -> None:
        """`x[i] = v` -> `x = setitem(x, i, v)`; `x[i] += v` reads x[i] first.
        setitem returns an updated copy: the caller's arrays are never written,
        and values saved for the adjoint sweep are never changed behind its back."""
        target = stmt.targets[0] if isinstance(stmt, gast.Assign) else stmt.target
        if not isinstance(target.value, gast.Name):
            # grid[i][j] = v: the element grid[i] is read into a variable and
            # written into; aliasing.py stores it back into grid.
            inner = self.atom(gast.Subscript(value=target.value, slice=target.slice,
                                             ctx=gast.Load()).value, out)
            target = gast.Subscript(value=inner, slice=target.slice, ctx=gast.Store())
        index = self.index(target.slice, out)
        if isinstance(stmt, gast.AugAssign):
            current = self.atom(gast.Subscript(value=nodes.name(target.value.id), slice=index,
                                               ctx=gast.Load()), out)
            value = self.atom(nodes.copy_location(
                gast.BinOp(left=current, op=stmt.op, right=stmt.value), stmt), out)
            if isinstance(current, gast.Name) and out and isinstance(out[-1], gast.Assign) \
                    and isinstance(value, gast.Name) and out[-1].targets[0].id == value.id:
                # x[i] += v changes the element itself when it is an array (a row
                # of x, an array held by a dict), then stores it back.
                nodes.annotate(out[-1], "mutates", effects.IN_PLACE_OPERATOR)
                nodes.annotate(out[-1], "operator", effects.OPERATOR_NAMES.get(type(stmt.op)))
                nodes.annotate(out[-1], "mutated", (current.id, target.value.id))
        else:
            value = self.atom(stmt.value, out)
        update = nodes.call(self.helper_function("setitem", None), [
            nodes.name(target.value.id), index_expression(index), value])
        final = self.assign(nodes.name(target.value.id, "store"),
                            nodes.copy_location(update, stmt), out, stmt)
        nodes.annotate(final, "mutates", effects.WRITE)

    def _needs_temporary(self, target: str, rhs) -> bool:
        """Whether the derivative of `target = rhs` reads the old value of `target`."""
        if nodes.is_atom(rhs) or target not in nodes.names_loaded(rhs):
            return False
        rule = registry.lookup(primitive_of(rhs)) if primitive_of(rhs) is not None else None
        if rule is None or not rule.differentiable:
            return rule is None
        bound = bind_arguments(rule, rhs)
        if bound is None:
            return True
        self_params = {p for p, arg in bound.items()
                       if any(name.id == target for _, name in literal_names(arg))}
        # An elementwise operand that may be broadcast is read for its shape
        # (unbroadcast) after the target has been overwritten: v = v + y with a
        # scalar v needs the old v's shape.
        variables = [p for p, arg in bound.items() if isinstance(arg, gast.Name)
                     and p in rule.adjoint]
        if rule.pointwise and self_params and len(variables) > 1:
            return True
        # Only operands that are variables can carry a derivative, so only their
        # templates can need the target's old value.
        for param, arg in bound.items():
            if not literal_names(arg):
                continue
            for templates in (rule.adjoint, rule.tangent):
                if param in templates and nodes.names_loaded(templates[param]) & self_params:
                    return True
        return False

    # -- expressions ------------------------------------------------------
    def atom(self, expr, out: list) -> gast.AST:
        """Emit statements computing `expr`; return a name or constant holding it."""
        if expr is None:
            return nodes.const(None)
        if nodes.is_atom(expr) or is_global_reference(expr):
            return expr
        rhs = self.rhs(expr, out)
        if nodes.is_atom(rhs) or is_global_reference(rhs):
            return rhs
        temp = self.namer.temp()
        out.append(nodes.copy_location(nodes.assign(temp, rhs), expr))
        return nodes.name(temp)

    def rhs(self, expr, out: list) -> gast.AST:
        """Emit statements for `expr`'s operands; return one operation over atoms."""
        if nodes.is_atom(expr) or is_global_reference(expr):
            return expr
        if isinstance(expr, gast.BinOp):
            return self.binary(expr, out)
        if isinstance(expr, gast.UnaryOp):
            operand = self.atom(expr.operand, out)
            if isinstance(expr.op, gast.USub) and isinstance(operand, gast.Constant):
                return nodes.const(-operand.value)
            return nodes.copy_location(gast.UnaryOp(op=expr.op, operand=operand), expr)
        if isinstance(expr, gast.Compare):
            left = self.atom(expr.left, out)
            comparators = [self.atom(c, out) for c in expr.comparators]
            return nodes.copy_location(
                gast.Compare(left=left, ops=expr.ops, comparators=comparators), expr)
        if isinstance(expr, gast.BoolOp):
            return self.bool_op(expr, out)
        if isinstance(expr, gast.IfExp):
            return self.if_expression(expr, out)
        if isinstance(expr, gast.Call):
            return self.call(expr, out)
        if isinstance(expr, gast.Attribute):
            return self.attribute(expr, out)
        if isinstance(expr, gast.Subscript):
            value = self.atom(expr.value, out)
            index = self.index(expr.slice, out)
            return nodes.copy_location(gast.Subscript(value=value, slice=index, ctx=gast.Load()),
                                       expr)
        if isinstance(expr, (gast.Tuple, gast.List)):
            elts = [self.atom(e, out) for e in expr.elts]
            return nodes.copy_location(type(expr)(elts=elts, ctx=gast.Load()), expr)
        if isinstance(expr, gast.Dict):
            keys = [self.atom(k, out) for k in expr.keys]
            values = [self.atom(v, out) for v in expr.values]
            return nodes.copy_location(gast.Dict(keys=keys, values=values), expr)
        if isinstance(expr, gast.JoinedStr):
            return expr  # an f-string: opaque and never differentiated
        raise InternalCompilerError(f"normalisation met an unfenced expression "
                                    f"{type(expr).__name__}", self.ctx.parsed.location(expr))

    def index(self, index, out: list) -> gast.AST:
        if isinstance(index, gast.Slice):
            parts = [None if part is None else self.atom(part, out)
                     for part in (index.lower, index.upper, index.step)]
            return gast.Slice(lower=parts[0], upper=parts[1], step=parts[2])
        if isinstance(index, gast.Tuple):
            return gast.Tuple(elts=[self.index(e, out) for e in index.elts], ctx=gast.Load())
        return self.atom(index, out)

    def bool_op(self, expr: gast.BoolOp, out: list) -> gast.AST:
        result = self.namer.temp()
        first = self.rhs(expr.values[0], out)
        out.append(nodes.copy_location(nodes.assign(result, first), expr))
        rest = gast.BoolOp(op=expr.op, values=expr.values[1:]) if len(expr.values) > 2 \
            else expr.values[1]
        evaluate_rest: list = []
        rest_rhs = self.rhs(rest, evaluate_rest)
        evaluate_rest.append(nodes.copy_location(nodes.assign(result, rest_rhs), expr))
        if isinstance(expr.op, gast.And):
            branch = nodes.if_(nodes.name(result), evaluate_rest)
        else:
            branch = nodes.if_(nodes.name(result), [gast.Pass()], evaluate_rest)
        out.append(nodes.copy_location(branch, expr))
        return nodes.name(result)

    def if_expression(self, expr: gast.IfExp, out: list, result: str | None = None) -> gast.AST:
        result = result or self.namer.temp()
        test = self.atom(expr.test, out)
        body: list = []
        body.append(nodes.copy_location(nodes.assign(result, self.rhs(expr.body, body)), expr))
        orelse: list = []
        orelse.append(nodes.copy_location(nodes.assign(result, self.rhs(expr.orelse, orelse)),
                                          expr))
        out.append(nodes.copy_location(nodes.if_(test, body, orelse), expr))
        return nodes.name(result)

    def call(self, expr: gast.Call, out: list) -> gast.AST:
        expr = effects.with_positional_out(expr)   # np.add(a, b, a) is out=a
        effect = effects.effect_in_expression(self, expr, out)   # r = x.sort()
        if effect is not None:
            return effect
        out_keyword = next((k for k in expr.keywords if k.arg == "out"), None)
        if out_keyword is not None and not nodes.is_none(out_keyword.value):
            return effects.call_with_out(self, expr, out_keyword, out)
        func = expr.func
        if isinstance(func, gast.Attribute) and func.attr == "flatten" and \
                not is_global_reference(func):
            # x.flatten() is always a copy, where np.ravel may give a view of x.
            raveled = gast.Call(func=gast.Attribute(value=func.value, attr="ravel",
                                                    ctx=gast.Load()),
                                args=expr.args, keywords=expr.keywords)
            copied = gast.Call(func=self.helper_function("np", np.copy),
                               args=[nodes.copy_location(raveled, expr)], keywords=[])
            return self.call(nodes.copy_location(copied, expr), out)
        if isinstance(func, gast.Attribute) and func.attr == "view" and not expr.args and \
                not expr.keywords and not is_global_reference(func):
            # x.view() is a new array object viewing all of x, as x[...] is:
            # a basic index, which derivations.py follows when it is written into.
            whole = gast.Subscript(value=func.value, slice=nodes.const(Ellipsis),
                                   ctx=gast.Load())
            return self.rhs(nodes.copy_location(whole, expr), out)
        if isinstance(func, gast.Attribute) and func.attr == "get" and \
                isinstance(func.value, gast.Name) and func.value.id in self.locals and \
                nodes.annotation(func, "value", None) is None and \
                1 <= len(expr.args) <= 2 and not expr.keywords and \
                not any(isinstance(a, gast.Starred) for a in expr.args):
            return self.dict_get(expr, out)
        args = self.spelled_out(expr.args)
        clip_method = False
        if isinstance(func, gast.Attribute) and not is_global_reference(func):
            receiver = self.atom(func.value, out)
            method = numpy_rules.METHODS.get(func.attr)
            clip_method = method is not None and func.attr == "clip"
            if method is not None:
                function, packs_varargs = method
                if packs_varargs:
                    args = self.packed(args, expr)
                func = self.helper_function("np", function)
                args = [receiver] + args
            else:
                func = gast.Attribute(value=receiver, attr=func.attr, ctx=gast.Load())
        elif not is_global_reference(func) and not isinstance(func, gast.Name):
            func = self.atom(func, out)
        # A literal list of values stays in a call that has a general rule (see the
        # docstring); elementwise templates do arithmetic on their operands, which
        # lists do not support.
        primitive = nodes.annotation(func, "value", None)
        rule = registry.lookup(primitive) if primitive is not None else None
        if rule is not None and any(isinstance(a, gast.Starred) for a in args):
            args = self.unpacked_for_rule(rule, args, expr, out)
        keep_literals = rule is not None and not rule.pointwise
        atoms = [self.argument(a, out, keep_literals) for a in args]
        keywords = [gast.keyword(arg=k.arg, value=self.argument(k.value, out, keep_literals))
                    for k in expr.keywords]
        call = nodes.copy_location(gast.Call(func=func, args=atoms, keywords=keywords), expr)
        if clip_method:
            call = _clip_bounds_positional(call)
        carried = nodes.annotation(expr, "local_object_refusal")
        if carried is not None:  # why local_objects.py left an object (operations.py says it)
            nodes.annotate(call, "local_object_refusal", carried)
        if call.keywords or len(call.args) > 1:  # np.mean(x, where=...), math.log(x, b)
            call, rule = keyword_forms.rewritten(self, primitive, rule, call, out)
        if rule is not None and rule.check is not None:
            self._check_rule_arguments(rule, call)
        return call

    def dict_get(self, expr: gast.Call, out: list) -> gast.AST:
        """`d.get(k, default)` of a local variable (a dict: a known class's
        method was bound by bind_methods) is `d[k] if k in d else default`,
        whose parts have rules (a derivative flows through the entry read or
        the default), the key and the default evaluated first, as Python
        evaluates a call's arguments."""
        receiver = self.atom(expr.func.value, out)
        key = self.atom(expr.args[0], out)
        default = self.atom(expr.args[1], out) if len(expr.args) == 2 else nodes.const(None)
        test = gast.Compare(left=nodes.clone(key), ops=[gast.In()],
                            comparators=[nodes.clone(receiver)])
        read = gast.Subscript(value=nodes.clone(receiver), slice=nodes.clone(key), ctx=gast.Load())
        choice = gast.IfExp(test=nodes.copy_location(test, expr),
                            body=nodes.copy_location(read, expr), orelse=default)
        return self.if_expression(nodes.copy_location(choice, expr), out)

    def _check_rule_arguments(self, rule, call) -> None:
        """Note on the call the argument values its rule does not cover; activity
        analysis raises the error if any argument of the call is differentiated,
        even one that reaches no differentiable parameter (einsum's interleaved
        form puts the array where `subscripts` goes)."""
        bound = bind_arguments(rule, call)
        if bound is not None:
            try:
                check_constant_arguments(rule, bound, self.ctx.parsed.location(call))
            except NoDerivativeRuleError as err:
                nodes.annotate(call, "unsupported", err)

    def binary(self, expr: gast.BinOp, out: list) -> gast.AST:
        joined = elements(expr, self.lengths)
        if joined is not None:
            # (a, b) + t: the tuple display it builds, whose derivative is known.
            return self.rhs(nodes.copy_location(nodes.tuple_(joined), expr), out)
        left = self.atom(expr.left, out)
        right = self.atom(expr.right, out)
        binop = nodes.copy_location(nodes.binop(left, expr.op, right), expr)
        if isinstance(expr.op, (gast.Add, gast.Mult)) and (
                is_tuple(expr.left, self.tuples) or is_tuple(expr.right, self.tuples)):
            nodes.annotate(binop, "joins_tuples", True)  # refused if differentiated
        return binop

    def spelled_out(self, args) -> list:
        """A call's arguments with every `*t` of a known length written out:
        `*t` and `*t[1:]` become `t[0], t[1], ...` and `t[1], ...`."""
        out = []
        for arg in args:
            value = arg.value if isinstance(arg, gast.Starred) else None
            items = value.elts if isinstance(value, gast.List) else \
                None if value is None else elements(value, self.lengths)
            out += [arg] if items is None else items
        return out

    def unpacked_for_rule(self, rule, args: list, expr: gast.Call, out: list) -> list:
        """`f(*items)` of a function with a rule, `items` of a length known only
        when the code runs (`np.hypot(*np.diff(curve).T)`, `math.atan2(*p)`):
        `f(items[0], ..., items[n - 1])`, n the positional parameters the rule
        requires, after a check that `items` is a list, tuple or array of n
        items (a rule binds no other count; refused when it runs). Only where
        the other arguments are names or constants, which evaluating `items`
        before them cannot change."""
        starred = [k for k, a in enumerate(args) if isinstance(a, gast.Starred)]
        positional = [p for p in rule.signature.parameters.values()
                      if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        if len(starred) != 1 or expr.keywords or any(
                p.kind is p.VAR_POSITIONAL for p in rule.signature.parameters.values()) or \
                not all(isinstance(a, (gast.Name, gast.Constant))
                        for k, a in enumerate(args) if k != starred[0]):
            return args
        count = sum(p.default is p.empty for p in positional) - (len(args) - 1)
        if count < 1:
            return args
        position = starred[0]
        items = self.atom(args[position].value, out)
        spelled = f"{to_source(expr.func).strip()}(*{to_source(args[position].value).strip()})"
        check = nodes.call(self.helper_function("unpacked_length", None), [
            nodes.clone(items), nodes.const(count), nodes.const(spelled),
            nodes.const(self.ctx.parsed.location(expr).file_line)])
        out.append(nodes.copy_location(nodes.expr_stmt(check), expr))
        written = [nodes.copy_location(gast.Subscript(
            value=nodes.clone(items), slice=nodes.const(k), ctx=gast.Load()), expr)
            for k in range(count)]
        return args[:position] + written + args[position + 1:]

    def packed(self, args: list, expr: gast.Call) -> list:
        """The arguments of a method taking its values one by one or as one
        tuple (`x.reshape(2, 3)`, `x.reshape(shape)`), as the one tuple."""
        if not any(isinstance(arg, gast.Starred) for arg in args):
            return [gast.Tuple(elts=args, ctx=gast.Load())] if len(args) > 1 else args
        if len(args) == 1:
            return [args[0].value]  # x.reshape(*shape) is x.reshape(shape)
        raise UnsupportedSyntaxError(
            f"a starred argument of unknown length beside others in the method "
            f".{expr.func.attr}() is not supported", self.ctx.parsed.location(expr),
            help="Instead: pass the values as one tuple, x.reshape(shape).")

    def argument(self, expr, out: list, keep_literals: bool) -> gast.AST:
        if isinstance(expr, gast.Starred):
            return nodes.copy_location(nodes.starred(self.atom(expr.value, out)), expr)
        if keep_literals and isinstance(expr, (gast.List, gast.Tuple)) and \
                not nodes.is_atom(expr):
            elts = [self.argument(e, out, True) for e in expr.elts]
            return nodes.copy_location(type(expr)(elts=elts, ctx=gast.Load()), expr)
        return self.atom(expr, out)

    def attribute(self, expr: gast.Attribute, out: list) -> gast.AST:
        receiver = self.atom(expr.value, out)
        function = numpy_rules.ATTRIBUTES.get(expr.attr)
        if function is not None and not self.read_as_object(expr.value):
            call = gast.Call(func=self.helper_function("np", function), args=[receiver],
                             keywords=[])
            return nodes.copy_location(call, expr)
        return nodes.copy_location(gast.Attribute(value=receiver, attr=expr.attr,
                                                  ctx=gast.Load()), expr)

    def read_as_object(self, receiver) -> bool:
        """Whether `receiver` is a name the function also reads an attribute of
        that arrays do not have (`p.w`, not called): an object, a NamedTuple,
        a dataclass. Its `.T` (`.real`, ...) is then its own attribute, read as
        Python reads it, not np.transpose (a field named T, a temperature);
        one that carries a derivative is refused where it is classified."""
        if not isinstance(receiver, gast.Name):
            return False
        if self._objects is None:
            walked = nodes.walk_list(self.function)
            callees = {id(n.func) for n in walked if isinstance(n, gast.Call)}
            self._objects = {n.value.id for n in walked if isinstance(n, gast.Attribute) and
                             isinstance(n.value, gast.Name) and id(n) not in callees and
                             not hasattr(np.ndarray, n.attr)}
        return receiver.id in self._objects

    def helper_function(self, module: str, function) -> gast.AST:
        """A reference to `module.function` (np.sum), or with `function` None to
        the runtime helper named `module` (setitem), resolved like user code."""
        if function is None:
            from .. import runtime
            reference = nodes.name(self.ctx.helper(module))
            nodes.annotate(reference, "value", runtime.GENERATED_CODE_HELPERS[module])
            return reference
        reference = nodes.attribute(nodes.name(self.ctx.helper(module)), function.__name__)
        nodes.annotate(reference, "value", function)
        return reference


def literal_names(atom: gast.AST, path: tuple = ()) -> list:
    """The variables in an argument, with their positions: `a` -> [((), a)],
    `[a, [b, 1.0]]` -> [((0,), a), ((1, 0), b)], a constant -> []."""
    if isinstance(atom, gast.Name):
        return [(path, atom)]
    if isinstance(atom, (gast.List, gast.Tuple)):
        found = []
        for position, elt in enumerate(atom.elts):
            found += literal_names(elt, path + (position,))
        return found
    return []


def _is_add_into(stmt) -> bool:
    """Whether `stmt` is `x = add_into(x, c)` with the runtime's add_into."""
    from ..runtime.core import add_into
    value = stmt.value if isinstance(stmt, gast.Assign) else None
    return isinstance(value, gast.Call) and len(value.args) == 2 and not value.keywords \
        and nodes.annotation(value.func, "value", None) is add_into \
        and isinstance(stmt.targets[0], gast.Name) and isinstance(value.args[0], gast.Name) \
        and value.args[0].id == stmt.targets[0].id


def index_expression(index: gast.AST) -> gast.AST:
    """A normalised index as an ordinary expression: `1:3` -> `slice(1, 3, None)`."""
    if isinstance(index, gast.Slice):
        parts = [nodes.const(None) if p is None else nodes.clone(p)
                 for p in (index.lower, index.upper, index.step)]
        return nodes.call(nodes.name("slice"), parts)
    if isinstance(index, gast.Tuple):
        return nodes.tuple_([index_expression(e) for e in index.elts])
    return nodes.clone(index)


def constant_value(atom) -> tuple[bool, object]:
    """(True, value) for an atom whose value is known when compiling: a
    literal, a tuple or list of literals, or a name or attribute for a dtype
    (`int`, `np.float32`, `np.dtype('int8')` read into a module variable);
    (False, None) otherwise."""
    if isinstance(atom, (gast.Name, gast.Attribute)):
        value = nodes.annotation(atom, "value", None)
        if isinstance(value, np.dtype) or (isinstance(value, type) and (
                issubclass(value, np.generic) or value in (int, float, complex, bool))):
            return True, value
        return False, None
    return _constant(atom)


def _constant(atom):
    if isinstance(atom, gast.Constant):
        return True, atom.value
    if isinstance(atom, gast.Tuple) and nodes.is_atom(atom):
        return True, tuple(e.value for e in atom.elts)
    if isinstance(atom, gast.List) and all(isinstance(e, gast.Constant) for e in atom.elts):
        return True, [e.value for e in atom.elts]  # e.g. einsum's interleaved axis lists
    return False, None


def check_constant_arguments(rule, bound: dict, location) -> None:
    """Run the rule's check when compiling, if the arguments it looks at are
    constants (otherwise the same check runs when the derivative does)."""
    values = {}
    for name in check_parameters(rule.check):
        known, value = constant_value(bound.get(name))
        if not known:
            return
        values[name] = value
    try:
        rule.check(**values)
    except NoDerivativeRuleError as err:
        raise NoDerivativeRuleError(err.what, location, help=err.help) from err


def check_parameters(check) -> tuple:
    """The parameter names of a rule's check (Rule.check), asked at every
    operation differentiated with that rule."""
    entry = _CHECK_PARAMETERS.get(id(check))
    if entry is None or entry[0] is not check:
        entry = _CHECK_PARAMETERS[id(check)] = (check, tuple(inspect.signature(check).parameters))
    return entry[1]


_CHECK_PARAMETERS: dict = {}   # id(check) -> (check, its parameter names)


def bind_arguments(rule, call_or_op) -> dict | None:
    """Map a rule's parameter names to the atoms of a normalised operation, or
    None when the call's form does not fit the rule's signature."""
    if isinstance(call_or_op, gast.BinOp):
        positional, keywords = [call_or_op.left, call_or_op.right], {}
    elif isinstance(call_or_op, gast.UnaryOp):
        positional, keywords = [call_or_op.operand], {}
    elif isinstance(call_or_op, gast.Subscript):
        positional, keywords = [call_or_op.value, call_or_op.slice], {}
    elif isinstance(call_or_op, gast.Call):
        if any(isinstance(arg, gast.Starred) for arg in call_or_op.args):
            return None  # which parameters `*t` fills is known only when it runs
        positional = list(call_or_op.args)
        keywords = {k.arg: k.value for k in call_or_op.keywords}
    else:
        return None
    parameters = _simple_parameters(rule.signature)
    if parameters is not None:
        return _bind_simple(parameters, positional, keywords)
    try:
        bound = rule.signature.bind(*positional, **keywords)
    except TypeError:
        return None
    arguments = {}
    for name, param in rule.signature.parameters.items():
        if name in bound.arguments:
            arguments[name] = bound.arguments[name]
        else:
            arguments[name] = nodes.const(param.default)
    return arguments


# id(signature) -> (signature, its parameters, or None when one is *args or
# **kwargs). Every differentiated operation is bound to its rule's signature
# by the normaliser, the activity analysis and a back end: Signature.bind
# was 3% of a compilation (issue #13).
_SIMPLE: dict = {}
_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


def _simple_parameters(signature: inspect.Signature) -> tuple | None:
    """(the parameters as (name, positional, positional only, default)
    tuples, and by name) for a signature without *args or **kwargs, else
    None: read from the Parameter objects once (their attributes are
    properties, and a NumPy rule has many parameters)."""
    entry = _SIMPLE.get(id(signature))
    if entry is None or entry[0] is not signature:
        params = tuple(signature.parameters.values())
        simple = all(p.kind in _POSITIONAL or p.kind is inspect.Parameter.KEYWORD_ONLY
                     for p in params)
        facts = tuple((p.name, p.kind in _POSITIONAL, p.kind is inspect.Parameter.POSITIONAL_ONLY,
                       p.default) for p in params)
        entry = _SIMPLE[id(signature)] = (
            signature, (facts, {fact[0]: fact for fact in facts}) if simple else None)
    return entry[1]


_EMPTY = inspect.Parameter.empty


def _bind_simple(parameters: tuple, positional: list, keywords: dict) -> dict | None:
    """What `Signature.bind` gives, for a signature without *args or
    **kwargs (`parameters`: what _simple_parameters gives): None where bind
    raises TypeError."""
    params, by_name = parameters
    if len(positional) > len(params):
        return None   # more positional arguments than parameters
    given = {}
    for (name, is_positional, _, _), atom in zip(params, positional):
        if not is_positional:
            return None   # more positional arguments than positional parameters
        given[name] = atom
    if keywords:
        for name, value in keywords.items():
            param = by_name.get(name)
            if param is None or name in given or param[2]:
                return None
            given[name] = value
    arguments = {}
    for name, _, _, default in params:
        if name in given:
            arguments[name] = given[name]
        elif default is _EMPTY:
            return None   # a required parameter left out
        else:
            arguments[name] = nodes.const(default)
    return arguments


def normalise_statements(stmts: list, function: gast.FunctionDef, ctx: Context) -> list:
    """`stmts`, new statements of the normalised `function`, in A-normal form
    (lower_try.py: a `raise` a helper inlined into a try body brought)."""
    return _Normaliser(ctx, function).block(stmts)


def normalise(function: gast.FunctionDef, ctx: Context) -> gast.FunctionDef:
    """Rewrite `function`'s body into A-normal form (see the module docstring)."""
    normaliser = _Normaliser(ctx, function)
    function.body = normaliser.block(function.body)
    return function
