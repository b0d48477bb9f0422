"""Operations: what a normalised right-hand side computes, and with which rule.

Shared by both modes (reverse_mode/adjoint_rules.py and forward_mode.py), so
that they find the same rule, bind the same arguments and report the same
errors for the same code. `classify` answers, for `target = rhs`:

    x            -> copy        np.sin(x) -> rule (numpy.sin, x bound to x)
    1.0, (2, 3)  -> constant    helper(x) -> user function (differentiated too)
    np.zeros(3)  -> no derivative (a non-differentiable function)

and raises `NoDerivativeRuleError` for an active call nothing covers.
"""

from __future__ import annotations

import collections.abc
import functools
import inspect
import operator
import re
import types
from dataclasses import dataclass, field

import gast
import numpy as np

from .. import nodes
from ..logged_set import LoggedSet
from ..context import Context
from ..errors import Location, NoDerivativeRuleError, UnsupportedSyntaxError
from ..printer import to_source
from ..rules import definition, record_rules, registry
from ..runtime import python_builtins as runtime_builtins
from ..runtime import records
from ..source import describe_callable, scipy_distribution_name
from . import effects
from .activity import Activity, is_user_function
from .anf import (bind_arguments, check_parameters, constant_value, index_expression,
                  primitive_of)
from .specialise_varargs import Keywords, PackedTail, compiled_parameters


@dataclass
class Operation:
    kind: str                      # copy | constant | tuple | dict | rule | user | inactive
    rule: object = None
    primitive: object = None
    bound: dict = field(default_factory=dict)      # parameter -> atom
    bindings: dict = field(default_factory=dict)   # template name -> expression

    def active_params(self, activity: Activity) -> list:
        """Differentiable parameters bound to active atoms."""
        return [p for p in self.rule.adjoint if activity.is_active(self.bound[p])]

    def may_broadcast(self, param: str) -> bool:
        """Whether operand `param` of an elementwise rule can be smaller than the
        result (only if another operand is a variable)."""
        return any(isinstance(atom, gast.Name) for name, atom in self.bound.items()
                   if name != param and name in self.rule.signature.parameters)


class StatementLocation:
    """`location(stmt)`: where `stmt` stands in the user's file, read once
    per statement (ParsedFunction.location reads the line's text, and
    several checks of an assignment name it: issue #13)."""

    def __init__(self, parsed):
        self.parsed = parsed
        self.last: tuple | None = None   # (statement, its location)

    def __call__(self, stmt) -> Location:
        if self.last is None or self.last[0] is not stmt:
            self.last = (stmt, self.parsed.location(stmt))
        return self.last[1]


def runtime_check(operation: Operation, ctx: Context, location: Location) -> gast.stmt | None:
    """The call of the rule's check (Rule.check) that generated code makes
    before the derivative, when the arguments the check looks at are not all
    constants (constants were checked when compiling, anf.py): a value the
    rule does not cover (np.interp's `period=p`, `np.sum(x, dtype=kind)`)
    raises there, naming the line, instead of going through the rule unnoticed."""
    check = operation.rule.check
    if check is None:
        return None
    names = check_parameters(check)
    if all(constant_value(operation.bound.get(name))[0] for name in names):
        return None
    call = gast.Call(
        func=nodes.name(ctx.helper("checked")),
        args=[nodes.name(ctx.rule_helper(check)), nodes.const(location.file_line)],
        keywords=[gast.keyword(arg=name, value=nodes.clone(operation.bound[name]))
                  for name in names])
    return nodes.expr_stmt(call)


def instantiate(template: gast.AST, bindings: dict, ctx: Context) -> gast.AST:
    """A copy of `template` with parameter names replaced by the call's atoms
    and helper names by the names generated code uses for them."""
    return _Substitute(bindings, ctx).copy(template, {})


# Names templates may use that stay as they are (not helpers generated code binds).
_CONSTANT_NAMES = frozenset({"True", "False", "None"})
_UNBOUND = object()


class _Substitute:
    """Copies a template as `nodes.clone` does, putting in each name's
    replacement on the way, and folds each copy as `fold_constants` would
    once its children are copied (every rule application instantiates a
    template or two: one walk instead of a copy, a NodeTransformer's walk
    and a walk to fold)."""

    def __init__(self, bindings: dict, ctx: Context):
        self.bindings, self.ctx = bindings, ctx

    def copy(self, node: gast.AST, memo: dict) -> gast.AST:
        kind = node.__class__
        if kind is gast.Name:
            bound = self.bindings.get(node.id, _UNBOUND)
            if bound is not _UNBOUND:
                helper = getattr(bound, "ad_anno", _NO_ANNOTATIONS).get("rule_helper")
                if helper is not None:  # a function the rule calls (Rule.helpers)
                    return nodes.name(self.ctx.rule_helper(helper))
                if bound.__class__ is not gast.Name:
                    return _fold(nodes.clone(bound))
                # nodes.clone of a name (most atoms), without its generic walk:
                # its context and annotations copied, each copy its own.
                copied = kind.__new__(kind)
                values, own = copied.__dict__, {}
                for key, item in bound.__dict__.items():
                    values[key] = item if item.__class__ in _IMMUTABLE \
                        else nodes.clone_value(item, own)
            elif node.id not in _CONSTANT_NAMES and definition.is_helper_name(node.id):
                helper = nodes.name(self.ctx.helper(node.id))
                nodes.annotate(helper, "template_helper", node.id)  # for _fold
                return helper
            else:
                copied = nodes.clone(node)
            # (A name is folded as it is, unless it holds an annotation.)
            return copied if getattr(copied, "annotation", None) is None else _fold(copied)
        copied = kind.__new__(kind)
        values = copied.__dict__
        fields = node._fields
        for key, item in node.__dict__.items():
            item_kind = item.__class__
            if item_kind in _IMMUTABLE:
                values[key] = item  # positions, names, numbers: shared, as clone_value does
            elif key not in fields:
                values[key] = nodes.clone_value(item, memo)  # annotations
            elif item_kind is list:
                values[key] = [self.copy(i, memo) if isinstance(i, gast.AST)
                               else nodes.clone_value(i, memo) for i in item]
            elif isinstance(item, gast.AST):
                values[key] = self.copy(item, memo)
            else:
                values[key] = nodes.clone_value(item, memo)
        # Its children copied (and folded), the copy is folded itself.
        return _fold_node(copied) if kind is gast.Call or kind is gast.BinOp else copied


_IMMUTABLE = nodes.IMMUTABLE
_NO_ANNOTATIONS: dict = {}  # read only


_FOLDABLE = {gast.Add: lambda a, b: a + b, gast.Sub: lambda a, b: a - b,
             gast.Mult: lambda a, b: a * b}


def fold_constants(tree: gast.AST) -> gast.AST:
    """Fold what instantiating a template leaves behind: `2 - 1` -> `1`,
    `x ** 1` -> `x`, `g * 1` -> `g`, so generated code reads as written by hand."""
    return _fold(tree)


def _fold(node: gast.AST) -> gast.AST:
    """`fold_constants` of `node`'s children, then of `node` itself (what a
    NodeTransformer with visit_Call and visit_BinOp does, without its
    per-node dispatch)."""
    kind = node.__class__
    if kind is gast.Constant or (kind is gast.Name and node.annotation is None):
        return node  # (most nodes of a template: nothing below them to fold)
    for name in node._fields:
        value = getattr(node, name, None)
        if type(value) is list:
            value[:] = [_fold(item) if isinstance(item, gast.AST) else item for item in value]
        elif isinstance(value, gast.AST):
            setattr(node, name, _fold(value))
    return _fold_node(node)


def _fold_node(node: gast.AST) -> gast.AST:
    """`_fold` of `node`, its children folded."""
    if isinstance(node, gast.Call):
        order = _constant_layout_order(node)
        if order is not None:
            return order
        if node.keywords:
            node.keywords = [k for k in node.keywords if not _is_default(node.func, k)]
        slope = _constant_power_slope(node)
        if slope is not None:
            return _fold(slope)
    elif isinstance(node, gast.BinOp):
        left, right = node.left, node.right
        if isinstance(node.op, gast.Mult) and \
                nodes.annotation(right, "constant_power_slope", False):
            # g * (2 * x) as g * 2 * x, the formula's own order: a zero g stays
            # 0 where 2 * x overflows (an entry np.nan_to_num made the largest float).
            return _fold(gast.BinOp(left=gast.BinOp(left=left, op=gast.Mult(), right=right.left),
                                    op=gast.Mult(), right=right.right))
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


def _constant_layout_order(call: gast.Call) -> gast.AST | None:
    """`layout_order(a, 'C')` (np.ravel's and np.reshape's rules) is the order
    itself for any order but 'A' and 'K', which depend on a's memory layout:
    `np.reshape(g, np.shape(a))`, as written by hand."""
    if nodes.annotation(call.func, "template_helper", None) != "layout_order" or \
            len(call.args) != 2 or call.keywords:
        return None
    order = call.args[1]
    if isinstance(order, gast.Constant) and order.value not in ("A", "K", "a", "k"):
        return order
    return None


def _constant_power_slope(call: gast.Call) -> gast.AST | None:
    """`power_slope(x, c, k)` (the derivative of x ** y, rules/python_rules.py)
    with numbers c and k is the formula itself when its factor c (c - 1) ...
    is not 0: `power_slope(x, 2, 1)` reads `2 * x`, as written by hand, and
    costs no call."""
    if nodes.annotation(call.func, "template_helper", None) != "power_slope" or \
            len(call.args) != 3 or call.keywords:
        return None
    x, exponent, order = call.args
    if not (isinstance(exponent, gast.Constant) and isinstance(order, gast.Constant)) or \
            type(exponent.value) not in (int, float) or type(order.value) is not int:
        return None
    factor = 1
    for i in range(order.value):
        factor = factor * (exponent.value - i)
    # (a negative power stays power_slope's: 0.0 ** -0.5 raises ZeroDivisionError
    # for Python floats, where power_slope gives NumPy's inf)
    if factor == 0 or exponent.value - order.value < 0:
        return None
    power = gast.BinOp(left=x, op=gast.Pow(), right=nodes.const(exponent.value - order.value))
    slope = gast.BinOp(left=nodes.const(factor), op=gast.Mult(), right=power)
    nodes.annotate(slope, "constant_power_slope", True)
    return slope


def _numpy_parameter(function: str, name: str):
    """Parameter `name` of `np.<function>`, or None (asked for every keyword
    of every instantiated template: inspect.signature is slow)."""
    key = (function, name)
    if key not in _NUMPY_PARAMETERS:
        try:
            _NUMPY_PARAMETERS[key] = inspect.signature(getattr(np, function)).parameters.get(name)
        except (AttributeError, TypeError, ValueError):
            _NUMPY_PARAMETERS[key] = None
    return _NUMPY_PARAMETERS[key]


_NUMPY_PARAMETERS: dict = {}


def _is_default(func: gast.AST, keyword: gast.keyword) -> bool:
    """Whether `np.f(..., k=value)` passes f's own default (so it can go)."""
    if not (isinstance(func, gast.Attribute) and isinstance(func.value, gast.Name)
            and func.value.id == "np" and isinstance(keyword.value, gast.Constant)):
        return False
    parameter = _numpy_parameter(func.attr, keyword.arg)
    if parameter is None or parameter.default is inspect.Parameter.empty:
        return False
    value = keyword.value.value
    if keyword.arg == "keepdims" and value is False:
        return True  # numpy's default is a "not passed" sentinel that means False
    return value is parameter.default or (type(value) is type(parameter.default)
                                          and value == parameter.default)


def describe_operation(rhs: gast.AST) -> str:
    primitive = primitive_of(rhs)
    if primitive is not None:
        return describe_callable(primitive)
    if isinstance(rhs, gast.Call) and isinstance(rhs.func, gast.Attribute):
        return f"the method .{rhs.func.attr}()"
    if isinstance(rhs, gast.Attribute):
        return f"the attribute .{rhs.attr}"
    return type(rhs).__name__


# Methods of a frozen scipy.stats distribution that passes/frozen_distributions.py
# rewrites into the unfrozen ones when it sees the distribution frozen.
_DISTRIBUTION_METHODS = frozenset({"pdf", "logpdf", "cdf", "logcdf", "sf", "logsf", "ppf",
                                   "isf", "pmf", "logpmf"})
_FROZEN_HELP = ("freeze it inside the function that calls its methods, on a name bound "
                "once there (rv = stats.norm(loc, scale); rv.logpdf(x)), or call the "
                "unfrozen method with its parameters: stats.norm.logpdf(x, loc, scale).")


def _is_data(value) -> bool:
    """A value resolve.py found that is neither a function nor a module."""
    return not callable(value) and not isinstance(value, types.ModuleType)


def classify(rhs: gast.AST, activity: Activity, location) -> Operation:
    """What `rhs` computes, for a statement whose target is active."""
    if isinstance(rhs, gast.Name):
        return Operation("copy")
    if nodes.is_atom(rhs):
        return Operation("constant")
    if isinstance(rhs, gast.Attribute) and _is_data(nodes.annotation(rhs, "value", classify)):
        return Operation("constant")  # np.pi, a number of a module or global object
    if isinstance(rhs, gast.Tuple) and any(activity.is_active(e) for e in rhs.elts):
        return Operation("tuple")
    if isinstance(rhs, gast.Dict):
        return Operation("dict" if any(activity.is_active(v) for v in rhs.values)
                         else "constant")
    if nodes.list_method(rhs, "pop") and not activity.is_active(rhs.func.value):
        # A variable active elsewhere, given an item of a list that carries no
        # derivative here (the analysis is per name, not per statement).
        return Operation("inactive")
    if isinstance(rhs, gast.List) and any(activity.is_active(e) for e in rhs.elts):
        return Operation("list")
    if isinstance(rhs, (gast.Tuple, gast.List)):
        return Operation("constant")
    if isinstance(rhs, gast.JoinedStr) or (
            isinstance(rhs, gast.Call) and isinstance(rhs.func, gast.Attribute)
            and isinstance(rhs.func.value, gast.Constant) and isinstance(rhs.func.value.value, str)):
        # A string (or what a method of one gives: a string, a count), active
        # only by its name: the derivative code's stack holds the key f"W{i}"
        # or "W{}".format(i) next to differentiated values.
        return Operation("inactive")
    if nodes.annotation(rhs, "joins_tuples", False):
        raise UnsupportedSyntaxError(
            "joining or repeating tuples of differentiated values (+, *) is not supported "
            "when their lengths are not known when compiling", location,
            help="Instead: write the tuple out, (t[0], t[1], w), or build the tuples with "
            "tuple displays in this function, so that their lengths are known.")
    primitive = primitive_of(rhs)
    rule = registry.lookup(primitive) if primitive is not None else None
    if rule is None and isinstance(rhs, gast.Call) and (
            records.is_namedtuple_class(primitive) or records.is_dataclass_class(primitive)
            or _calls_replace(rhs, primitive)):
        return _record_built(rhs, primitive, location)
    if rule is None and is_user_function(primitive):
        return Operation("user", primitive=primitive)
    if rule is not None and not rule.differentiable:
        return Operation("inactive")  # e.g. h = np.zeros(n) for an h active later on
    carried = nodes.annotation(rhs, "local_object_refusal")
    if rule is None and carried is not None:
        # An object local_objects.py could not replace by variables: say why.
        raise UnsupportedSyntaxError(*carried)
    if rule is None and primitive is None and isinstance(rhs, gast.Call) and not (
            isinstance(rhs.func, gast.Attribute) and isinstance(rhs.func.value, gast.Name)):
        spelled = to_source(rhs.func).strip()
        what, computed = f"which function `{spelled}` calls", ""
        if spelled.isidentifier():
            computed = (f"A variable is found when every binding of it (in loops and "
                        f"branches too) binds a function known when compiling, and it is "
                        f"only called: {spelled} = ad.grad(g) (or another "
                        f"derivative adcompiler builds), {spelled} = functools.partial(g, w), "
                        f"{spelled} = ACT['tanh']. If {spelled} is an object taken from a "
                        f"list (for {spelled} in layers: {spelled}(x)), bind each object "
                        f"the function creates to a name of its own and call it by that "
                        f"name (l1 = Layer(W1); l2 = Layer(W2); l2(l1(x))), or keep the "
                        f"layers' arrays in lists and loop over those. ")
        if re.fullmatch(r"_t\d+", spelled):
            # The normaliser's temporary: the function is computed by the
            # expression itself, as in ad.grad(f)(x) or make_layer()(x).
            what = "which function is called here (the expression computes the function)"
            computed = ("A function computed by an expression is found when compiling only "
                        "when it is a derivative adcompiler builds (ad.grad(g)(x), "
                        "dg = ad.grad(g); dg(x), ad.jvp(g), ad.hvp(g), ...) of a function "
                        "known when compiling (a module-level or imported function, a "
                        "local def or lambda), its options written as constants (wrt=1, "
                        "not wrt=k), or functools.partial(g, ...) called where it is built "
                        "(its keyword values names or constants, b=b not b=np.sin(w), when "
                        "the call's arguments are computed: Python computes the partial's "
                        "first) or through a name bound once; not make_layer()(x), nor "
                        "ad.grad(fn) "
                        "of a parameter fn. Otherwise build it once at module level, "
                        "df = ad.grad(g) or h = functools.partial(g, b=0.5), and call it by "
                        "that name. ")
        raise NoDerivativeRuleError(
            f"cannot tell, when compiling, {what}", location,
            help=computed + "Call the function by its name (a module-level function, an "
            "imported one, or a NumPy/math function), so adcompiler can find its derivative. "
            "A function "
            "picked out of a dict is found when the key is a constant (ACT['tanh'](x)), "
            "and when it is a name or attribute read where the dict is called "
            "(ACT[name](x), ACT[cfg.act](x), not act = ACT[name]; act(x)); otherwise "
            "branch: `y = relu(x) if name == 'relu' else np.tanh(x)`.")
    if primitive is None and isinstance(rhs, gast.Call) and \
            isinstance(rhs.func, gast.Attribute) and rhs.func.attr == "pop":
        # The list machinery's pop is L.pop() (nodes.list_method): L.pop(i) and
        # d.pop(key) would take their derivative from another entry.
        raise effects.pop_refusal(rhs, location)
    if rule is None and primitive is None and isinstance(rhs, gast.Call) and \
            isinstance(rhs.func, gast.Attribute) and not rhs.args and not rhs.keywords and \
            rhs.func.attr in ("values", "keys", "items"):
        view = f"{to_source(rhs.func.value).strip()}.{rhs.func.attr}()"
        raise NoDerivativeRuleError(
            f"{view} of a dict holding differentiated values is differentiated only where "
            "it is read at once (a for loop over it, sum(...) of it, list(...) of it)",
            location, help=f"Instead: take a list of it, list({view}), and use that "
            f"(np.stack(list({view})), vals = list({view})).")
    if rule is None and primitive is None and isinstance(rhs, gast.Call):
        if isinstance(rhs.func, gast.Attribute) and rhs.func.attr in _DISTRIBUTION_METHODS:
            raise NoDerivativeRuleError(
                f"no derivative rule for {describe_operation(rhs)}: the class of the object "
                "it is called on is not known when compiling (a frozen scipy.stats "
                "distribution is known only in the function that freezes it)", location,
                help=f"If it is a frozen distribution: {_FROZEN_HELP} For another object, "
                "call a module-level function that takes the object.")
        raise NoDerivativeRuleError(
            f"no derivative rule for {describe_operation(rhs)}: the class of the object it "
            "is called on is not known when compiling", location,
            help="adcompiler differentiates methods called on `self` (when you "
            "differentiate a bound method, ad.grad(model.loss)), on module-level "
            "objects, and on objects of a module-level class that the function creates "
            "(m = Model(w); m.loss(x), or Model(w).loss(x); l1 = Layer(W1); l2 = Layer(W2); "
            "l2(l1(x)), or layers = [Layer(W1), Layer(W2)] looped over; not layers kept "
            "in a list the function is given or appends to in a loop of unknown length, "
            "whose arrays you can keep in lists instead: for W, b in zip(weights, "
            "biases)). For another object "
            "(self.layer.forward(x)), call a module-level function that takes the object, "
            "or a NumPy function.")
    if rule is None and scipy_distribution_name(primitive) is not None:
        name = scipy_distribution_name(primitive)
        raise NoDerivativeRuleError(
            f"a frozen distribution, scipy.stats.{name}(...) of differentiated parameters, "
            "is differentiated only where the function that freezes it calls a method "
            "with a rule on it (pdf, logpdf, cdf, logcdf, sf, logsf, ppf, ...), not passed "
            "to or returned by a helper, kept in a list or dict, or another method",
            location, help="Instead: " + _FROZEN_HELP.replace("stats.norm", f"stats.{name}"))
    if rule is None and primitive in (operator.or_, operator.ior):
        raise NoDerivativeRuleError(
            "`|` of differentiated values (operator.or_) is not differentiated: merging "
            "dicts (d | e, d |= e) is not supported", location,
            help="Instead: copy the dict and write the other's entries into it key by key: "
            "merged = dict(d); merged['b'] = e['b'] (or for k in e: merged[k] = e[k]). A "
            "boolean mask combined with | carries no derivative: build it from comparisons "
            "((x > 0) | (x < -1)).")
    if rule is None and primitive is functools.reduce:
        # passes/lower_reduce.py writes the loop only where Python surely runs
        # the reduce once, in the statement's own order.
        raise NoDerivativeRuleError(
            "functools.reduce of differentiated values is differentiated as the loop it "
            "stands for only where it is a statement's value or sits inside calls, "
            "arithmetic, indexing and list displays there, called with (function, "
            "iterable[, initial]) positionally, the function a lambda of two parameters "
            "or a named function", location,
            help="Instead: compute it on a line of its own, "
            "product = functools.reduce(operator.mul, xs), and use product in the "
            "expression (or write the loop: product = xs[0]; for v in xs[1:]: "
            "product = product * v).")
    if rule is None and isinstance(rhs, gast.Attribute):
        return _field_read(rhs, location)
    if rule is None and isinstance(primitive, type) and \
            is_user_function(getattr(primitive, "__init__", None)):
        # An object of the user's class built from differentiated values: its
        # attributes carry no derivative (records do, rules/record_rules.py).
        name = primitive.__qualname__
        raise NoDerivativeRuleError(
            f"building an object of your class {name} from differentiated values: the "
            "attributes of such objects carry no derivative (those of NamedTuples and "
            "dataclasses do)", location,
            help=f"Instead: make {name} a dataclass or a typing.NamedTuple holding the "
            "arrays, or keep the arrays in a dict or tuple, or pass them to its methods "
            "as arguments (layer.forward(W, x)); see docs/supported-python.md.")
    if rule is None and isinstance(primitive, np.vectorize):
        # A vectorize object's name is its function's, in NumPy's module
        # ('numpy.sq'): say what it is and what works instead.
        name = getattr(primitive.pyfunc, "__name__", "")
        name = name if name.isidentifier() else "f"   # (a lambda's is '<lambda>')
        # (np.vectorize(f)(x) is written as NumPy's loop by lower_mapping.py,
        # except with the options below or where Python may not evaluate it.)
        raise NoDerivativeRuleError(
            f"no derivative rule for np.vectorize({name}) called here: a Python function "
            "mapped over the entries of its arguments by NumPy, which adcompiler writes as "
            "NumPy's loop only without signature= or cache=True, with one otype and the "
            "excluded arguments written as constants, and called where Python surely evaluates it (not in a branch of 'a if c else "
            "b', after 'and'/'or', in a while test)", location,
            help=f"Instead: drop those options and call it in an assignment of its own "
            f"(y = vf(x)), or call {name} on the arrays themselves when its body is written "
            f"with NumPy's operations ({name}(x)), or map it over the entries yourself, "
            f"np.array([{name}(v) for v in x]), which is differentiated.")
    if rule is None and primitive is np.apply_along_axis:
        raise NoDerivativeRuleError(
            "no derivative rule for np.apply_along_axis called here: adcompiler writes it as "
            "the loop NumPy runs only with func1d, axis and arr given by position and where "
            "Python surely evaluates the call (not in a branch of 'a if c else b', after "
            "'and'/'or', in a while test)", location,
            help="Instead: call it in an assignment of its own, y = np.apply_along_axis(f, "
            "axis, a), and use y there.")
    if rule is None and _assembled_by_the_api(primitive):
        raise NoDerivativeRuleError(
            f"{primitive.__qualname__}, built by adcompiler, is called with differentiated "
            "arguments: adcompiler assembles Jacobians and Hessians of a tuple of wrt (and "
            "holomorphic ones, forward-mode, holomorphic and has_aux gradients) in Python "
            "from several derivative sweeps, and does not differentiate them again", location,
            help="Instead: call a derivative that is generated code, which differentiates "
            "again: ad.grad(g), ad.vjp(g), ad.jvp(g), ad.hvp(g), ad.derivative(g), or "
            "ad.jacobian(g) and ad.hessian(g) of one argument (wrt=1, not wrt=(0, 1)), built "
            "here or at module level; a Hessian's block of two arguments is "
            "ad.jacobian(ad.grad(g, wrt=0), wrt=1).")
    if rule is None and isinstance(rhs, gast.Call) and _makes_values(primitive) and \
            not _reads_varied(rhs, activity):
        # The target is active by its name only: h = np.hanning(n) rebound to
        # h * x later, or, in second order, a value the gradient's stack holds
        # next to differentiated ones. Nothing this call reads depends on the
        # differentiated arguments, so neither does what it gives.
        return Operation("inactive")
    if rule is None and _is_container_class(primitive):
        raise NoDerivativeRuleError(
            f"{describe_operation(rhs)} builds a container adcompiler does not model: "
            "the derivatives of what it holds are kept in dicts, lists and tuples only",
            location, help="Instead: use a dict or a list: for defaultdict(float), "
            "d = {} and d[k] = d.get(k, 0.0) + v; for deque(), a list (append, pop); "
            "for OrderedDict(), a dict, which keeps its order.")
    if rule is None:
        raise NoDerivativeRuleError(
            f"no derivative rule for {describe_operation(rhs)}", location,
            help="adcompiler differentiates the functions listed in docs/derivatives.md. "
            "Register a rule for it with adcompiler.register_rule(...) (see "
            "docs/custom-rules.md), or make its inputs independent of the "
            "differentiated arguments.")
    bound = bind_arguments(rule, rhs)
    if bound is None and (any(isinstance(arg, gast.Starred) for arg in rhs.args)
                          or any(k.arg is None for k in rhs.keywords)):
        raise UnsupportedSyntaxError(
            f"a starred argument of unknown length (*t or **d) in a call to {rule.name} "
            "with differentiated arguments is not supported", location,
            help="Instead: " + _KNOWN_LENGTH)
    if bound is None:
        raise NoDerivativeRuleError(
            f"{rule.name} is called with arguments its derivative rule does not cover "
            f"(the rule's signature is ({', '.join(rule.signature.parameters)}))",
            location, help="Call it with the arguments the rule names.")
    bindings = {name: index_expression(atom) if primitive is operator.getitem and
                name == "index" else atom for name, atom in bound.items()}
    for name, helper in rule.helpers.items():
        bindings[name] = nodes.name(name)
        nodes.annotate(bindings[name], "rule_helper", helper)
    return Operation("rule", rule, primitive, bound, bindings)


def _makes_values(primitive) -> bool:
    """Whether what `primitive` returns is a value, not a container the
    function may fill with differentiated ones afterwards (d = deque();
    d.append(x), whose derivative would need a deque of derivatives): a
    function, or an itertools iterator."""
    if not isinstance(primitive, type):
        return primitive is not None
    return primitive.__module__ == "itertools"


def _is_container_class(primitive) -> bool:
    """A class of mutable containers (collections.deque, defaultdict,
    OrderedDict, a list or dict subclass)."""
    return isinstance(primitive, type) and issubclass(
        primitive, (collections.abc.MutableMapping, collections.abc.MutableSequence,
                    collections.abc.MutableSet))


def _reads_varied(call: gast.Call, activity: Activity) -> bool:
    """Whether a variable `call` reads (the function it calls included) may
    depend on the differentiated arguments."""
    return any(isinstance(node, gast.Name) and node.id in activity.varied
               for node in gast.walk(call))


def _assembled_by_the_api(primitive) -> bool:
    """A Jacobian, Hessian, ... that api.py assembles from sweeps of generated
    code (source.py refuses to read it as compiler input)."""
    code = getattr(primitive, "__code__", None)
    return getattr(primitive, "__adcompiler__", None) is not None and code is not None \
        and code.co_filename == source_api_file()


def source_api_file() -> str:
    from ..source import _API_FILE
    return _API_FILE


def _field_read(rhs: gast.Attribute, location) -> Operation:
    """`p.w` of a value with a derivative that no array attribute's rule covers:
    a field of a NamedTuple (or dataclass instance), whose class is known only
    when the code runs. It is the rule of `records.field(p, 'w', where)`, whose
    helpers refuse, when they run, an object that is not a record. A name that
    arrays have (x.flat, x.base) is refused now: on an array it has no rule."""
    if rhs.attr in records.ARRAY_ATTRIBUTES:
        # anf.py left p.T an attribute read: p is read as a record (p.w) too.
        raise NoDerivativeRuleError(
            f"the field .{rhs.attr} of a NamedTuple or dataclass that carries a derivative: "
            f"adcompiler reads .{rhs.attr} of a differentiated value as the array attribute "
            "of that name (np.transpose for .T), so a field named so is not differentiated",
            location, help=f"Instead: rename the field (.{rhs.attr}_), or read it by position "
            "in a NamedTuple (p[0]).")
    if hasattr(np.ndarray, rhs.attr):
        raise NoDerivativeRuleError(
            f"no derivative rule for {describe_operation(rhs)} of a differentiated value: "
            "arrays have this attribute, and only those listed in docs/derivatives.md "
            "(.T, .real, .imag, ...) are differentiated", location,
            help="Instead: use the NumPy function that computes it (np.ravel(x) for x.flat). "
            "If it is a field of a NamedTuple or dataclass, read it by position (p[1]) or "
            "give the field a name that arrays do not have as an attribute.")
    rule = registry.lookup(records.field)
    where = nodes.const(location.file_line)
    bound = {"record": rhs.value, "name": nodes.const(rhs.attr), "where": where}
    return Operation("rule", rule, records.field, bound, dict(bound))


def _calls_replace(rhs: gast.Call, primitive) -> bool:
    """`p._replace(w=v)` on a local value (a NamedTuple, checked when it runs)."""
    return primitive is None and isinstance(rhs.func, gast.Attribute) and \
        rhs.func.attr == "_replace"


def _record_built(rhs: gast.Call, cls, location) -> Operation:
    """`Affine(w, b=v)` of a NamedTuple class or a dataclass, or `p._replace(w=v)`:
    the rule record_rules.py makes for the class (the names), its values bound
    by field."""
    where = nodes.const(location.file_line)
    spelled = to_source(rhs).strip()
    if any(isinstance(arg, gast.Starred) for arg in rhs.args) or \
            any(k.arg is None for k in rhs.keywords):
        raise UnsupportedSyntaxError(
            f"{spelled}: building a NamedTuple of differentiated values from a starred "
            "argument (*t or **d) is not supported", location,
            help="Instead: pass the fields one by one, Affine(w, b) or Affine(w=w, b=b).")
    if cls is None:  # p._replace(w=v)
        if rhs.args:
            raise UnsupportedSyntaxError(
                f"{spelled}: ._replace() takes the fields by name", location,
                help="Instead: p._replace(w=v).")
        names = tuple(k.arg for k in rhs.keywords)
        rule = record_rules.replacement_rule(names)
        bound = {"record": rhs.func.value, "where": where,
                 **{f"value_{k}": keyword.value for k, keyword in enumerate(rhs.keywords)}}
        return Operation("rule", rule, records.replaced, bound, dict(bound))
    if records.is_dataclass_class(cls) and not records.has_plain_init(cls):
        raise NoDerivativeRuleError(
            f"no derivative rule for {describe_callable(cls)}: a dataclass whose __init__ "
            "or __post_init__ is its own, or with fields __init__ does not take, may do "
            "more with the values it is given than store them", location,
            help="Instead: build it outside the differentiated function and pass it in "
            "(its fields are differentiated), or use a plain dataclass or a NamedTuple.")
    if records.is_namedtuple_class(cls) and not records.has_namedtuple_constructor(cls):
        raise NoDerivativeRuleError(
            f"no derivative rule for {describe_callable(cls)}: it is a NamedTuple class "
            "whose __new__ is its own, which may change the values it is given", location,
            help="Instead: build the NamedTuple with the class that defines its fields, or "
            "compute the values before building it.")
    if records.clashing_fields(cls):
        raise NoDerivativeRuleError(
            f"{describe_callable(cls)} has a field named .{records.clashing_fields(cls)[0]}, "
            "which adcompiler reads as the array attribute of that name, so its derivative "
            "would be lost", location, help="Instead: rename the field.")
    try:
        arguments = inspect.signature(cls).bind(
            *rhs.args, **{k.arg: k.value for k in rhs.keywords}).arguments
    except TypeError as err:
        raise NoDerivativeRuleError(
            f"cannot match {spelled} to the fields of {cls.__qualname__}: {err}", location,
            help=f"Pass its fields ({', '.join(records.class_fields(cls))}) by position or "
            "name.") from err
    rule = record_rules.construction_rule(cls)
    bound = {f"value_{k}": arguments.get(name, nodes.const(None))
             for k, name in enumerate(records.class_fields(cls))}
    bound["where"] = where
    return Operation("rule", rule, cls, bound, dict(bound))


_KNOWN_LENGTH = ("build the tuple with a tuple display in this function, t = (a, b), so "
                 "that its length is known when compiling, or pass the values one by one.")


@dataclass
class UserCall:
    """A call to one of the user's functions, matched to its parameters.
    Positions count the positional parameters, then the values `*args` takes."""

    function: object
    arguments: dict     # position -> the atom the call passes there
    unplaced: list      # what goes to parameters not known when compiling: `*t` of unknown
    #                     length and the positional arguments after it, and `**d`
    star: int | None    # the position where the callee's *args starts, if it takes one
    location: object
    # The callee's **kwargs, compiled as a parameter holding the dict (source.py),
    # and the position of that parameter.
    keywords_param: str | None = None
    keywords_position: int | None = None
    # The position of the tuple parameter that takes a `*t` of unknown length
    # with a derivative, once `differentiated` found one (specialise_varargs.py).
    packed: int | None = None
    keywords_by_name: bool = False    # does the call pass any argument by name?
    # Set by `differentiated` when a value with a derivative goes to **kwargs.
    keywords_arity: Keywords | None = None

    def generated_call(self, rhs: gast.Call) -> gast.Call:
        """A copy of the call `rhs` as the callee's generated code takes it: the
        keywords its **kwargs collects passed as one dict, `h(x, options={'scale': s})`."""
        call = nodes.clone(rhs)
        if self.keywords_arity is not None:
            # compiled with a parameter per keyword **kwargs receives: pass all by name
            names = compiled_parameters(self.function, self.keywords_arity)
            call.args = []
            call.keywords = [gast.keyword(arg=names[position], value=nodes.clone(atom))
                             for position, atom in sorted(self.arguments.items())]
            return call
        if self.packed is not None:
            call.args = [arg.value if isinstance(arg, gast.Starred) else arg for arg in call.args]
        if self.keywords_param is None:
            return call
        named = {p.name for p in inspect.signature(self.function).parameters.values()
                 if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
        kept = [k for k in call.keywords if k.arg in named]
        collected = [k for k in call.keywords if k.arg not in named]
        collected_dict = nodes.parse_expr("{}")
        collected_dict.keys = [None if k.arg is None else nodes.const(k.arg) for k in collected]
        collected_dict.values = [k.value for k in collected]
        call.keywords = kept + [gast.keyword(arg=self.keywords_param, value=collected_dict)]
        return call

    def differentiated(self, carries) -> tuple[tuple, int | None]:
        """The positions of the atoms for which `carries(atom)` holds (those
        with a derivative), and the arity to specialise the callee's *args for:
        None when no such atom goes to *args."""
        name = self.function.__qualname__
        if self._packable() and carries(self.unplaced[0].value):
            # `h(a, *t)`: h takes t whole, as one tuple parameter.
            self.packed = len(self.arguments)
            self.arguments[self.packed] = self.unplaced.pop().value
            positions = tuple(p for p, atom in sorted(self.arguments.items()) if carries(atom))
            return positions, PackedTail(self.packed)
        for arg in self.unplaced:
            if not carries(arg.value if isinstance(arg, (gast.Starred, gast.keyword)) else arg):
                continue
            if isinstance(arg, gast.keyword):
                raise UnsupportedSyntaxError(
                    f"a differentiated dict passed to {name} with ** is not supported",
                    self.location, help="Instead: pass its values by name, "
                    "f(x, scale=d['scale']).")
            what = f"a differentiated tuple of unknown length passed to {name} with *" \
                if isinstance(arg, gast.Starred) else \
                f"a differentiated value passed to {name} after a starred argument of unknown " \
                "length"
            raise UnsupportedSyntaxError(f"{what} is not supported", self.location,
                                         help="Instead: " + _KNOWN_LENGTH)
        positions = tuple(p for p, value in sorted(self.arguments.items()) if any(
            carries(atom) for atom in (value.values() if isinstance(value, dict) else [value])))
        if self.keywords_position in positions:
            return self._by_keywords(carries)
        if self._star_before_keywords():
            # The callee's keyword-only parameters and **kwargs are compiled as
            # ordinary ones before its *args (source.py): values passed to *args
            # would fill them. It is compiled with a parameter per value, and
            # every argument is passed by name.
            if self.unplaced:
                raise UnsupportedSyntaxError(
                    f"a starred argument of unknown length (*t or **d) passed to {name}, "
                    "which takes *args and keyword-only parameters or **kwargs, in "
                    "differentiated code is not supported", self.location,
                    help="Instead: " + _KNOWN_LENGTH)
            return self._by_keywords(carries)
        if self.star is None or not any(p >= self.star for p in positions):
            return positions, None
        if self.unplaced:
            raise UnsupportedSyntaxError(
                f"differentiated values passed to the *args of {name} beside a starred "
                "argument of unknown length are not supported", self.location,
                help="Instead: " + _KNOWN_LENGTH)
        return positions, max(self.arguments) + 1 - self.star

    def _star_before_keywords(self) -> bool:
        """Whether the call passes values to the callee's *args, and the callee
        takes keyword-only parameters or **kwargs."""
        if self.star is None or not (any(p >= self.star for p in self.arguments) or any(
                isinstance(arg, gast.Starred) for arg in self.unplaced)):
            return False
        return any(p.kind in (p.KEYWORD_ONLY, p.VAR_KEYWORD)
                   for p in inspect.signature(self.function).parameters.values())

    def _by_keywords(self, carries) -> tuple[tuple, Keywords]:
        """Values with a derivative passed by name to the callee's **kwargs:
        it is compiled with a parameter per name (specialise_varargs.Keywords),
        numbered where **kwargs was, and called with every argument by name."""
        name = self.function.__qualname__
        if self.unplaced:
            raise UnsupportedSyntaxError(
                f"a differentiated value passed to {name} through its **{self.keywords_param} "
                "beside a starred argument (*t or **d) whose length or keys are not known "
                "when compiling is not supported", self.location,
                help="Instead: pass every value one by one, or by name "
                "(f(x, scale=s, shift=d['shift'])).")
        collected = {} if self.keywords_position is None else \
            self.arguments.pop(self.keywords_position, {})
        star = {p: atom for p, atom in self.arguments.items()
                if self.star is not None and p >= self.star}
        arguments = {p: atom for p, atom in self.arguments.items() if p not in star}
        arguments.update((self.keywords_position + k, atom)
                         for k, atom in enumerate(collected.values()))
        # **kwargs, numbered before *args, becomes as many parameters as it receives
        shift = len(collected) - (self.keywords_position is not None)
        arguments.update((p + shift, atom) for p, atom in star.items())
        self.arguments = arguments
        self.keywords_arity = Keywords(tuple(collected), None if self.star is None else len(star))
        positions = tuple(p for p, atom in sorted(arguments.items()) if carries(atom))
        return positions, self.keywords_arity

    def atom(self, position: int):
        return self.arguments[position]

    def _packable(self) -> bool:
        """A call `h(a, b, *t)`: one starred argument, last, after positional
        arguments only, to a function without keyword-only parameters or
        **kwargs whose positional parameters those arguments fill in order."""
        if len(self.unplaced) != 1 or not isinstance(self.unplaced[0], gast.Starred) or \
                not isinstance(self.unplaced[0].value, gast.Name):
            return False
        kinds = [p.kind for p in inspect.signature(self.function).parameters.values()]
        positional = [k for k in kinds if k in (inspect.Parameter.POSITIONAL_ONLY,
                                                inspect.Parameter.POSITIONAL_OR_KEYWORD)]
        if any(k in (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.VAR_KEYWORD)
               for k in kinds):
            return False
        known = sorted(self.arguments)
        return known == list(range(len(known))) and len(known) <= len(positional) and \
            not self.keywords_by_name


def bind_user_call(function, rhs: gast.Call, location) -> UserCall:
    """Match a call to one of the user's functions to its parameters. What a
    `*t` of unknown length passes, and any argument after it, has no known
    parameter: it is only allowed to carry no derivative."""
    signature = inspect.signature(function)
    first_starred = next((k for k, arg in enumerate(rhs.args) if isinstance(arg, gast.Starred)),
                         len(rhs.args))
    known = rhs.args[:first_starred]
    unplaced = rhs.args[first_starred:] + [k for k in rhs.keywords if k.arg is None]
    try:
        bind = signature.bind_partial if unplaced else signature.bind
        bound = bind(*known, **{k.arg: k.value for k in rhs.keywords if k.arg is not None})
    except TypeError as err:
        raise NoDerivativeRuleError(
            f"cannot match the call to {function.__qualname__} to its parameters: {err}",
            location, help="Call it with positional or keyword arguments that match "
            "its signature.") from err
    star_name = next((p.name for p in signature.parameters.values()
                      if p.kind is inspect.Parameter.VAR_POSITIONAL), None)
    others = [p for p in signature.parameters if p != star_name]
    star = len(others) if star_name is not None else None
    arguments = {}
    for name, value in bound.arguments.items():
        if name == star_name:
            arguments.update((star + k, atom) for k, atom in enumerate(value))
        else:
            arguments[others.index(name)] = value
    keywords = next((p.name for p in signature.parameters.values()
                     if p.kind is inspect.Parameter.VAR_KEYWORD), None)
    return UserCall(function, arguments, list(unplaced), star, location, keywords,
                    None if keywords is None else others.index(keywords),
                    keywords_by_name=any(k.arg is not None for k in rhs.keywords))


def zero_of(ctx: Context, variable: str) -> gast.AST:
    """A zero derivative for `variable`: 0.0 in the variant for Python numbers,
    zeros of its shape otherwise."""
    if ctx.numbers:
        return nodes.const(0.0)
    return nodes.call(nodes.name(ctx.helper("zeros_like")), [nodes.name(variable)])


def branch_zero(walk_block, body: list, orelse: list, zero: LoggedSet):
    """Zero tracking through an `if`, for both modes: the code of both
    branches, each walked from `zero`, and the variables zero at the end of
    one branch only, (body's, orelse's); `zero` becomes the set zero at the
    end of both (the merge, where the others need a zero derivative written).
    `walk_block(stmts, zero) -> (code, zero)` changes `zero` in place."""
    mark = zero.mark()
    body_code, _ = walk_block(body, zero)
    after_body = zero.changes(mark)
    zero.undo(mark)
    orelse_code, _ = walk_block(orelse, zero)
    after_orelse = zero.changes(mark)
    zero.undo(mark)
    only_body, only_orelse = set(), set()
    for name in after_body.keys() | after_orelse.keys():
        in_body = after_body.get(name, name in zero)
        in_orelse = after_orelse.get(name, name in zero)
        if in_body and not in_orelse:
            only_body.add(name)
        elif in_orelse and not in_body:
            only_orelse.add(name)
        if in_body and in_orelse:
            zero.add(name)
        else:
            zero.discard(name)
    return body_code, orelse_code, only_body, only_orelse


def loop_fixpoint(stmt, walk_body, zero: LoggedSet, ctx: Context, activity: Activity,
                  trial_body=None):
    """Zero tracking through a loop, for both modes: the derivative code of a
    loop body must be valid for every iteration, so find the variables whose
    derivative is zero at *every* iteration boundary. `zero` (the set before
    the loop) becomes that set; returns the body's code (generated for it),
    the variables zero before the loop but not in it, and those zero where
    the body ends but not where it starts. `walk_body(stmts, zero) -> (code,
    zero)` generates code, changing `zero` in place; names it hands out in
    trial rounds are taken back. `trial_body(stmts, zero)`, if given, changes
    `zero` as walk_body does without generating the code: the rounds before
    the set is found use it, and walk_body runs once."""
    if isinstance(stmt, gast.For) and activity.is_active(stmt.iter):
        raise UnsupportedSyntaxError(
            "iterating directly over a differentiated array is not supported yet",
            ctx.parsed.location(stmt),
            help="Instead: loop over indices, `for i in range(len(x)):` and read x[i].")
    entry = zero.mark()
    while True:
        state = ctx.namer.snapshot()
        start = zero.mark()
        body = None
        if trial_body is None:
            body, _ = walk_body(stmt.body, zero)
        else:
            trial_body(stmt.body, zero)
        after = zero.changes(start)
        zero.undo(start)
        # Only the names the body added or discarded can differ between the
        # set where it starts and where it ends.
        lost = [name for name, now in after.items() if not now and name in zero]
        if not lost:
            if body is None:
                # The set is found: the code, from it (the walk changes the
                # set as the trial did, the names are those handed out anew).
                ctx.namer.restore(state)
                body, _ = walk_body(stmt.body, zero)
                zero.undo(start)
            became_zero = {name for name, now in after.items() if now and name not in zero}
            return body, zero.left_since(entry), became_zero
        for name in lost:
            zero.discard(name)
        ctx.namer.restore(state)


@dataclass
class ListJoin:
    """`T = L + M` (also `L.extend(M)`, normalised to `T = extended(L, M)`), or
    `T = L * n` (`n * L`): a list made of the entries of others. `first` is L;
    `second` is M for a join, the count n for a repetition."""

    kind: str            # "join" | "repeat"
    first: gast.AST
    second: gast.AST


def list_join(rhs: gast.AST, activity: Activity, target: str) -> ListJoin | None:
    """The join or repetition `rhs` computes when it carries a derivative and
    is known to make a list (an operand is a list of differentiated values
    or a list display, or `target` is a list variable), else None. Both modes
    differentiate it entry by entry (adjoint_rules.list_join, forward_mode's
    tangent lists)."""
    # (Asked of every assignment: the function a call applies is looked up once.)
    primitive = primitive_of(rhs) if isinstance(rhs, gast.Call) else None
    if isinstance(rhs, gast.BinOp) and isinstance(rhs.op, (gast.Add, gast.Mult)):
        first, second = rhs.left, rhs.right
    elif primitive is runtime_builtins.extended and len(rhs.args) == 2 and not rhs.keywords:
        first, second = rhs.args
    elif primitive is runtime_builtins.copied and \
            len(rhs.args) == 1 and activity.is_active_list(rhs.args[0]):
        # L.copy() of a list: the join L + [] (copied's own rule refuses lists,
        # whose copies may then grow apart from them).
        first, second = rhs.args[0], gast.List(elts=[], ctx=gast.Load())
    else:
        return None
    operands = (first, second)
    if not any(activity.is_active(a) for a in operands):
        return None
    if isinstance(rhs, gast.BinOp) and isinstance(rhs.op, gast.Mult):
        # The list is the active operand: a count carries no derivative.
        if not any(activity.is_active_list(a) for a in operands):
            return None
        if activity.is_active_list(second):  # n * L
            first, second = second, first
        return ListJoin("repeat", first, second)
    if any(activity.is_active_list(a) or isinstance(a, gast.List) for a in operands) or \
            target in activity.lists:
        return ListJoin("join", first, second)
    return None


def operates_on_lists(operation: Operation, activity: Activity, *also) -> bool:
    """A Python operator (or one of `also`) applied to an active list: `L + M`
    joins and `L * 2` repeats, which no elementwise rule describes. NumPy
    functions turn a list into an array first, and are differentiated as such."""
    function = operation.primitive
    joins = function in (operator.add, operator.mul) or any(function is f for f in also)
    return joins and any(activity.is_active_list(atom) for atom in operation.bound.values())


def check_list_alias(target: str, rhs, activity: Activity, location) -> None:
    """`M = L` for a list of differentiated values that is then appended to or
    popped through either name: the list changes under both names, but the
    derivative lists (one per name) would not. Checked whatever the activity of
    `M`: an alias only ever appended to is exactly where it would go wrong
    silently. (`_t = xs + [v]; xs = _t` gives no second name: activity.py does
    not count such a _t among the lists, see handed_over_lists. Nor does a name
    never appended to whose value no derivative reads: aliasing.py's
    `_layers_before = layers`, which only its run-time checks read. Nor a list
    built and handed over, never used again: activity.handed_over_stacks.)"""
    if isinstance(rhs, gast.Name) and rhs.id in activity.lists and \
            rhs.id not in activity.handovers and \
            rhs.id in activity.varied and {rhs.id, target} & activity.stacks and \
            (target in activity.active or target in activity.stacks):
        raise UnsupportedSyntaxError(
            "giving a list of differentiated values a second name and appending or popping "
            "through either is not supported", location,
            help="Instead: use the list under one name.")
