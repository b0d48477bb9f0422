"""Derivative rules as data: what one entry of a rule file states.

A rule states the local derivative of one primitive, once; the compiler derives
both reverse-mode (adjoint) and forward-mode (tangent) code from it and owns
everything else: accumulation, zero adjoints, skipping inactive inputs,
broadcasting of pointwise rules.

Templates are Python expressions over these names:
  - the primitive's parameters, as named by the rule's signature (``x``, ``y``,
    ``axis``...), bound to the call's arguments at compile time;
  - ``result``, the primitive's output;
  - ``g``, the derivative flowing in: the output's adjoint in reverse mode, the
    input's tangent in forward mode;
  - ``np``, ``math`` and the helpers of `adcompiler.runtime`.

Three kinds of entry:

    pointwise(np.sin, "x", x="g * np.cos(x)")
        an elementwise function: each template is the partial derivative times
        g. The Jacobian is diagonal, so one template serves both modes; reverse
        mode sums the contribution over broadcast axes (`unbroadcast`).

    linear_rule(np.sum, "a, axis=None, keepdims=False",
                adjoint={"a": "sum_adjoint(g, a, axis, keepdims)"},
                tangent={"a": "np.sum(g, axis=axis, keepdims=keepdims)"})
        anything else: per input, the vector-Jacobian product (adjoint) with
        the Jacobian-vector product (tangent) right beside it.

    nondifferentiable(np.floor, np.argmax, len, ...)
        functions whose result carries no derivative; they may be called on
        differentiated values and contribute nothing.

Conventions both modes rely on (forward mode implements the same ones):
  - an elementwise template's value may have its parameter's shape rather
    than the result's (`g` for np.add); reverse mode sums it down with
    `unbroadcast`, forward mode broadcasts it up to the result;
  - a list literal argument of a general rule (`np.stack([a, b])`) stays a
    list: the adjoint returns one adjoint per element, nested like it, and the
    tangent receives `g` as the list of the elements' tangents (zeros for
    constant elements);
  - a tuple result (`np.linalg.eigh`) has a tuple tangent and a sequence
    adjoint with None (or a plain 0.0 for all of it) where a part got none.

Every template is checked when the rule is created: it must parse, name only
parameters, ``g``, ``result`` and known helpers, and give a derivative for an
existing parameter. A bad rule fails at import with the rule's file and line.
"""

from __future__ import annotations

import inspect
import sys
from dataclasses import dataclass, field

import gast
import numpy as np

from .. import nodes, runtime
from ..runtime import arrays as runtime_arrays
from ..errors import RuleDefinitionError
from ..source import describe_callable

# Names a template may use besides its parameters, `g` and `result`.
_BASE_GLOBALS = {"np", "math", "True", "False", "None"}


def helper_names() -> set[str]:
    return _BASE_GLOBALS | set(runtime.TEMPLATE_HELPERS)


def is_helper_name(name: str) -> bool:
    """`name in helper_names()`, without building the set (asked for every
    name of every template instantiated)."""
    return name in _BASE_GLOBALS or name in runtime.TEMPLATE_HELPERS


@dataclass(frozen=True)
class Rule:
    """The derivative of one primitive."""

    function: object
    name: str
    signature: inspect.Signature
    adjoint: dict = field(default_factory=dict)   # parameter -> gast template (reverse)
    tangent: dict = field(default_factory=dict)   # parameter -> gast template (forward)
    pointwise: bool = False
    differentiable: bool = True
    defined_at: str = ""
    # check(**some_parameters) raises NoDerivativeRuleError for values the rule
    # does not cover; called when compiling, if those arguments are constants.
    check: object = None
    # Python functions the templates call by name, besides the runtime helpers
    # (a custom gradient's vjp and jvp, custom.py): template name -> function.
    helpers: dict = field(default_factory=dict)

    def differentiable_params(self) -> list[str]:
        return [p for p in self.signature.parameters if p in self.adjoint]


def _caller_location(depth: int = 3) -> str:
    frame = sys._getframe(depth)
    return f"{frame.f_code.co_filename}:{frame.f_lineno}"


def parse_signature(text: str, where: str, label: str) -> inspect.Signature:
    try:
        tree = gast.parse(f"def _rule({text}): pass").body[0]
    except SyntaxError as err:
        raise RuleDefinitionError(
            f"the rule for {label} has an invalid signature {text!r}",
            help=f"Defined at {where}. Write it like a def's parameter list: 'a, axis=None'.",
        ) from err
    args = tree.args
    params = []
    defaults = [None] * (len(args.args) - len(args.defaults)) + list(args.defaults)
    for arg, default in zip(args.args, defaults):
        if default is None:
            params.append(inspect.Parameter(arg.id, inspect.Parameter.POSITIONAL_OR_KEYWORD))
        else:
            value = eval(compile(gast.gast_to_ast(gast.Expression(body=default)), "<rule>", "eval"))
            params.append(inspect.Parameter(arg.id, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                            default=value))
    for arg, default in zip(args.kwonlyargs, args.kw_defaults):
        value = None if default is None else eval(
            compile(gast.gast_to_ast(gast.Expression(body=default)), "<rule>", "eval"))
        params.append(inspect.Parameter(arg.id, inspect.Parameter.KEYWORD_ONLY, default=value))
    return inspect.Signature(params)


RESERVED = {"g", "result"}

# A template's `/` and `**` (and math.pow) become these runtime helpers: the
# operator itself, but NumPy's inf or nan where Python raises for Python numbers
# (ZeroDivisionError at 0, OverflowError, math.pow's domain error) or turns
# complex. grad(np.log)(0.0) is then inf, as for np.float64(0.0) and torch,
# the derivative's arithmetic being NumPy's whatever the numbers it is given.
# The other math functions templates call accept every value their rules
# give them (math.sqrt(1.0 - x * x) for |x| <= 1, where math.asin succeeded).
_NUMPY_OPERATORS = {gast.Div: "divide", gast.Pow: "power"}


def with_numpy_arithmetic(tree: gast.AST) -> gast.AST:
    """`tree` with `a / b`, `a ** b` and `math.pow(a, b)` as `divide(a, b)`
    and `power(a, b)` (runtime/core.py), and `x ** 2` as `x * x`."""
    for name in tree._fields:
        value = getattr(tree, name, None)
        if isinstance(value, gast.AST):
            setattr(tree, name, with_numpy_arithmetic(value))
        elif type(value) is list:
            value[:] = [with_numpy_arithmetic(v) if isinstance(v, gast.AST) else v
                        for v in value]
    return _numpy_operation(tree)


def _numpy_operation(node: gast.AST) -> gast.AST:
    if isinstance(node, gast.BinOp) and isinstance(node.op, gast.Pow) and \
            isinstance(node.left, gast.Name) and isinstance(node.right, gast.Constant) and \
            node.right.value == 2 and type(node.right.value) is int:
        # x ** 2 as x * x: as read by hand, and inf, not OverflowError, for 1e200
        return gast.BinOp(left=node.left, op=gast.Mult(), right=nodes.clone(node.left))
    if isinstance(node, gast.BinOp) and type(node.op) in _NUMPY_OPERATORS:
        return nodes.call(_NUMPY_OPERATORS[type(node.op)], [node.left, node.right])
    if isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute) and \
            node.func.attr == "pow" and isinstance(node.func.value, gast.Name) and \
            node.func.value.id == "math":
        return nodes.call("power", node.args)
    return node


def parse_templates(templates: dict, signature, where: str, label: str, mode: str,
                     helpers=()) -> dict:
    clashing = RESERVED & set(signature.parameters)
    if clashing:
        raise RuleDefinitionError(
            f"the rule for {label} names a parameter {sorted(clashing)[0]!r}, which templates "
            "reserve for the incoming derivative ('g') or the primitive's output ('result')",
            help=f"Defined at {where}. Rename the parameter in the rule's signature.")
    allowed = set(signature.parameters) | RESERVED | helper_names() | set(helpers)
    parsed = {}
    for param, text in templates.items():
        if param not in signature.parameters:
            raise RuleDefinitionError(
                f"the {mode} rule for {label} names a parameter {param!r} that its "
                f"signature ({', '.join(signature.parameters)}) does not have",
                help=f"Defined at {where}.")
        try:
            tree = nodes.parse_expr(text)
        except SyntaxError as err:
            raise RuleDefinitionError(
                f"the {mode} template for {label}, parameter {param!r}, is not a Python "
                f"expression: {text!r}", help=f"Defined at {where}.") from err
        tree = with_numpy_arithmetic(tree)
        unknown = nodes.names_loaded(tree) - allowed
        if unknown:
            raise RuleDefinitionError(
                f"the {mode} template for {label}, parameter {param!r}, uses undefined "
                f"name(s) {sorted(unknown)}: {text!r}",
                help=f"Defined at {where}. Templates may use the parameters, 'g', "
                "'result', 'np', 'math' and the helpers in adcompiler.runtime.")
        if "g" not in nodes.names_loaded(tree):
            raise RuleDefinitionError(
                f"the {mode} template for {label}, parameter {param!r}, does not use 'g': "
                f"{text!r}", help=f"Defined at {where}. A derivative is linear in the "
                "incoming derivative 'g'; declare non-differentiable parameters by "
                "leaving them out.")
        parsed[param] = tree
    return parsed


# The keywords every NumPy ufunc takes that an elementwise rule models: `dtype`
# computes in that dtype (the normaliser casts the operands first,
# passes/keyword_forms.py, so the rule sees them as the ufunc does; an integer
# or boolean dtype is refused); `casting` decides which of those casts raise;
# `order` and `subok` change the result's memory layout and class, not its values.
_UFUNC_KEYWORDS = "dtype=None, casting='same_kind', order='K', subok=True"


def _with_ufunc_keywords(function, signature: str) -> tuple[str, object]:
    """A ufunc's rule signature with the ufunc keywords after its operands, and
    the check that refuses an integer dtype; other functions' as they are."""
    if not isinstance(function, np.ufunc):
        return signature, None
    separator = ", " if "*" in signature else ", *, "
    return signature + separator + _UFUNC_KEYWORDS, runtime_arrays.check_float_dtype


def pointwise(function, signature: str, label: str | None = None, **partials: str) -> Rule:
    """An elementwise primitive: `partials` maps each differentiable parameter to
    ``g * (its partial derivative)``. A NumPy ufunc's rule takes the ufunc's
    keywords too (`dtype=`, `casting=`, `order=`, `subok=`).

    Example:
        >>> rule = pointwise(np.tanh, "x", x="g * (1 - result ** 2)")
    """
    where = _caller_location(2)
    label = label or describe_callable(function)
    signature, check = _with_ufunc_keywords(function, signature)
    sig = parse_signature(signature, where, label)
    templates = parse_templates(partials, sig, where, label, "pointwise")
    return Rule(function, label, sig, templates, templates, pointwise=True, defined_at=where,
                check=check)


def _require_both_modes(adjoint: dict, tangent: dict, label: str, where: str) -> None:
    if set(adjoint) != set(tangent):
        raise RuleDefinitionError(
            f"the rule for {label} gives adjoints for {sorted(adjoint)} but tangents for "
            f"{sorted(tangent)}", help=f"Defined at {where}. Give both modes for every "
            "differentiable parameter so that forward and reverse mode cannot drift apart.")


def pointwise_split(function, signature: str, adjoint: dict, tangent: dict,
                    label: str | None = None) -> Rule:
    """An elementwise primitive whose adjoint is not its tangent's template:
    a function of complex values that is not holomorphic (np.abs, np.angle),
    whose adjoint takes a real part or a conjugate that its tangent does not.

    Example:
        >>> rule = pointwise_split(np.conjugate, "x", adjoint={"x": "np.conj(g)"},
        ...                        tangent={"x": "np.conj(g)"})
    """
    where = _caller_location(2)
    label = label or describe_callable(function)
    signature, check = _with_ufunc_keywords(function, signature)
    sig = parse_signature(signature, where, label)
    _require_both_modes(adjoint, tangent, label, where)
    return Rule(function, label, sig, parse_templates(adjoint, sig, where, label, "adjoint"),
                parse_templates(tangent, sig, where, label, "tangent"), pointwise=True,
                defined_at=where, check=check)


def linear_rule(function, signature: str, adjoint: dict, tangent: dict,
                label: str | None = None, check=None) -> Rule:
    """A primitive in the general form: per parameter, the vector-Jacobian
    product `adjoint[p]` and the Jacobian-vector product `tangent[p]`.

    Example:
        >>> rule = linear_rule(np.transpose, "a, axes=None",
        ...     adjoint={"a": "transpose_adjoint(g, axes)"},
        ...     tangent={"a": "np.transpose(g, axes)"})
    """
    where = _caller_location(2)
    label = label or describe_callable(function)
    sig = parse_signature(signature, where, label)
    _require_both_modes(adjoint, tangent, label, where)
    if check is not None and set(inspect.signature(check).parameters) - set(sig.parameters):
        raise RuleDefinitionError(
            f"the check of the rule for {label} takes parameters the rule does not have",
            help=f"Defined at {where}. Name the check's parameters like the rule's.")
    return Rule(function, label, sig,
                parse_templates(adjoint, sig, where, label, "adjoint"),
                parse_templates(tangent, sig, where, label, "tangent"), defined_at=where,
                check=check)


def nondifferentiable(*functions) -> list[Rule]:
    """Functions whose results carry no derivative (integer, boolean or
    piecewise-constant outputs): calling them on active values is allowed."""
    where = _caller_location(2)
    return [Rule(fn, describe_callable(fn), inspect.Signature(), differentiable=False,
                 defined_at=where) for fn in functions]


class HasOwnRule:
    """Base of callables that carry their derivative rule with them
    (`__adcompiler_rule__`), found before any table: a custom gradient."""

    __adcompiler_rule__: Rule | None = None
