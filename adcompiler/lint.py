"""The differentiability lint: code adcompiler differentiates exactly, but whose
derivative is almost certainly not what its author meant. Each finding is an
`AdWarning` at the user's file and line, issued once when the function is
compiled, with the rewrite that does what was meant.

Runs on the normalised function with its activity (pipeline.front_end):

    y = np.where(x > 0, np.sqrt(x), 0.0)
        np.sqrt(x) is computed everywhere, also where x <= 0; its derivative
        there is NaN or infinite, and the gradient np.where passes back is
        0 * inf = NaN. Fix: the "double where",
        np.where(x > 0, np.sqrt(np.where(x > 0, x, 1.0)), 0.0)

    k = np.round(x) * w
        a piecewise-constant function of a differentiated value, feeding the
        result: its derivative is zero almost everywhere, so x gets none
        through it. Fix: ad.stop_gradient(np.round(x)) says so, or use a
        smooth surrogate.

Code adcompiler generated (a derivative differentiated again) and its own
runtime helpers are not linted: the user did not write them.
"""

from __future__ import annotations

import builtins
import math
import operator
import os
import warnings

import gast
import numpy as np

from . import codegen, nodes
from .errors import AdWarning
from .passes.activity import derivative_operands
from .passes.anf import primitive_of

# Functions whose derivative is infinite or NaN at the edge of their domain
# (or outside it), where np.where's other branch is usually meant to apply.
EDGE_OF_DOMAIN = {
    np.sqrt: "np.sqrt", np.log: "np.log", np.log2: "np.log2", np.log10: "np.log10",
    np.log1p: "np.log1p", np.arcsin: "np.arcsin", np.arccos: "np.arccos",
    np.arctanh: "np.arctanh", np.reciprocal: "np.reciprocal", np.power: "np.power",
    operator.truediv: "division", np.divide: "division", operator.pow: "a power",
    math.sqrt: "math.sqrt", math.log: "math.log",
}

# Piecewise-constant functions: derivative zero almost everywhere.
PIECEWISE_CONSTANT = {
    np.round: "np.round", np.around: "np.around", np.rint: "np.rint", np.floor: "np.floor",
    np.ceil: "np.ceil", np.trunc: "np.trunc", np.fix: "np.fix", np.sign: "np.sign",
    np.argmax: "np.argmax", np.argmin: "np.argmin", np.argsort: "np.argsort",
    np.floor_divide: "np.floor_divide", operator.floordiv: "//", builtins.round: "round",
    builtins.int: "int", math.floor: "math.floor", math.ceil: "math.ceil",
    math.trunc: "math.trunc",
}

_PACKAGE = os.path.dirname(os.path.abspath(__file__))

# (file, line, message) already warned about in this process: a function is
# compiled once per mode and variant, and each should not repeat the warning.
_REGISTRY: dict = {}


def lint(function: gast.FunctionDef, ctx, activity) -> None:
    """Warn (AdWarning) about each finding in a normalised function."""
    filename = ctx.parsed.filename
    if filename in codegen._registered or os.path.abspath(filename).startswith(_PACKAGE):
        return
    definitions: dict = {}
    assignments = [node for node in nodes.statements(function) if isinstance(node, gast.Assign)
                   and len(node.targets) == 1 and isinstance(node.targets[0], gast.Name)]
    for node in assignments:
        definitions.setdefault(node.targets[0].id, []).append(node.value)
    returned = function.body[-1].value if function.body and \
        isinstance(function.body[-1], gast.Return) else None
    for node in assignments:
        target, rhs = node.targets[0].id, node.value
        primitive = primitive_of(rhs) if isinstance(rhs, (gast.Call, gast.BinOp)) else None
        if primitive is np.where and len(getattr(rhs, "args", ())) == 3:
            _double_where(node, rhs, definitions, ctx, activity)
        # The cheap tests first: _feeds_arithmetic looks at every assignment.
        elif _piecewise_constant(primitive, rhs) is not None and \
                _varied_argument(rhs, activity) is not None and \
                _feeds_arithmetic(target, assignments, returned, activity):
            what = _piecewise_constant(primitive, rhs)
            if what is not None:
                argument = _spelled(gast.Name(_varied_argument(rhs, activity), gast.Load(),
                                              None, None), definitions)
                _warn(ctx, node,
                      f"{what} of the differentiated value {argument} "
                      "feeds the result, but its derivative is zero almost everywhere: no "
                      "derivative flows through it",
                      "If that is meant, say so with ad.stop_gradient(...) around it; "
                      "otherwise use a smooth function in its place (a sigmoid for a step, "
                      "x itself for a rounding in the forward pass: x + ad.stop_gradient("
                      "np.round(x) - x), the straight-through estimator).")


def _feeds_arithmetic(name: str, assignments, returned, activity) -> bool:
    """Whether `name` is the result, or an operand of an operation (not a
    tuple, list or dict display, not an index) whose value reaches the result."""
    if isinstance(returned, gast.Name) and returned.id == name:
        return True
    for node in assignments:
        rhs = node.value
        if node.targets[0].id not in activity.useful or \
                not isinstance(rhs, (gast.Call, gast.BinOp, gast.UnaryOp)):
            continue
        # (derivative_operands: not an index, not the argument of a function
        # without derivative such as ad.stop_gradient)
        if any(isinstance(a, gast.Name) and a.id == name for a in derivative_operands(rhs)):
            return True
    return False


def _varied_argument(rhs, activity):
    for node in nodes.walk(rhs):
        if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load) and \
                node.id in activity.varied:
            return node.id
    return None


def _piecewise_constant(primitive, rhs) -> str | None:
    if primitive in PIECEWISE_CONSTANT:
        return PIECEWISE_CONSTANT[primitive]
    if primitive is getattr(np, "astype", None) and len(rhs.args) >= 2:
        dtype = _constant_dtype(rhs.args[1])
        if dtype is not None and np.dtype(dtype).kind in "iub":
            return f"a cast to {np.dtype(dtype).name} (astype)"
    return None


def _constant_dtype(node):
    """The dtype a constant or a resolved name (int, np.int32) stands for."""
    value = node.value if isinstance(node, gast.Constant) else \
        nodes.annotation(node, "value", None)
    try:
        return np.dtype(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _double_where(node, rhs, definitions, ctx, activity) -> None:
    condition = rhs.args[0]
    for branch in rhs.args[1:]:
        if not (isinstance(branch, gast.Name) and branch.id in activity.active):
            continue
        for value in definitions.get(branch.id, []):
            primitive = primitive_of(value) if isinstance(value, (gast.Call, gast.BinOp)) \
                else None
            if primitive not in EDGE_OF_DOMAIN or _whole_power(primitive, value):
                continue
            operands = _domain_operands(primitive, value)
            risky = [a for a in operands if isinstance(a, gast.Name) and
                     a.id in activity.varied and not _guarded(a.id, definitions) and
                     not (primitive is np.log1p and _nonnegative(a.id, definitions))]
            if not risky:
                continue
            what = EDGE_OF_DOMAIN[primitive]
            cond = _spelled(condition, definitions)
            operand = _spelled(risky[0], definitions)
            _warn(ctx, node,
                  f"np.where computes both branches: {what} of {operand} is evaluated "
                  "also where the condition does not hold, and its derivative there (NaN "
                  "or infinite) turns the gradient into NaN (0 * inf)",
                  f"Use the 'double where', so the untaken branch sees a safe value: "
                  f"safe = np.where({cond}, {operand}, 1.0), then "
                  f"np.where({cond}, {_applied(what)}, ...). "
                  "See docs/debugging.md.")
            return


def _domain_operands(primitive, value) -> list:
    """The operands whose value may leave the function's domain: the
    denominator of a division, the base of a power, the argument otherwise."""
    if isinstance(value, gast.BinOp):
        return [value.right] if primitive is operator.truediv else [value.left]
    args = list(value.args)
    if primitive is np.divide:
        return args[1:2]
    return args[:1]


def _applied(what: str) -> str:
    """The risky operation written on `safe`, for the double where's advice."""
    if what == "division":
        return "... / safe"
    if what == "a power":
        return "safe ** ..."
    return f"{what}(safe)"


def _exponent(value):
    """The exponent of `a ** b` or `np.power(a, b)`, or None."""
    if isinstance(value, gast.BinOp):
        return value.right
    return value.args[1] if isinstance(value, gast.Call) and len(value.args) == 2 else None


def _whole_power(primitive, value) -> bool:
    """Whether `value` raises to a constant whole power (`y ** 2`): a
    polynomial, whose derivatives of every order are finite everywhere."""
    exponent = _exponent(value) if primitive in (operator.pow, np.power) else None
    number = exponent.value if isinstance(exponent, gast.Constant) else None
    return isinstance(number, (int, float)) and not isinstance(number, bool) and \
        float(number).is_integer() and number >= 0


def _nonnegative(name: str, definitions: dict) -> bool:
    """Whether `name` is never negative (`np.exp(v)`, `np.abs(v)`, `v ** 2`):
    log1p's derivative, 1 / (1 + v), is finite there (the softplus
    log1p(exp(v)))."""
    values = definitions.get(name, [])
    return bool(values) and all(
        isinstance(value, (gast.Call, gast.BinOp)) and (
            primitive_of(value) in (np.exp, np.abs, np.square, np.cosh, math.exp) or
            (_whole_power(primitive_of(value), value) and _exponent(value).value % 2 == 0))
        for value in values)


def _guarded(name: str, definitions: dict) -> bool:
    """Whether `name` is itself the result of an np.where (the inner where
    of a double where) or of a clip, which keep it inside the domain."""
    return any(primitive_of(value) in (np.where, np.clip, np.maximum, np.abs)
               for value in definitions.get(name, []) if isinstance(value, gast.Call))


def _spelled(node, definitions: dict) -> str:
    """An expression as the user wrote it: each temporary of the normaliser
    (`_t3`, bound once) by its definition, inside it too."""
    from .printer import to_source
    text = to_source(_written_out(node, definitions, depth=8)).strip()
    return text[1:-1] if text.startswith("(") and text.endswith(")") else text


def _written_out(node, definitions: dict, depth: int):
    if isinstance(node, gast.Name) and node.id.startswith("_t") and depth and \
            len(definitions.get(node.id, [])) == 1:
        return _written_out(definitions[node.id][0], definitions, depth - 1)
    if depth and not isinstance(node, gast.Name):
        node = nodes.clone(node)
        for field, value in gast.iter_fields(node):
            if isinstance(value, list):
                setattr(node, field, [_written_out(v, definitions, depth - 1)
                                      if isinstance(v, gast.expr) else v for v in value])
            elif isinstance(value, gast.expr):
                setattr(node, field, _written_out(value, definitions, depth - 1))
    return node


def _warn(ctx, node, what: str, fix: str) -> None:
    location = ctx.parsed.location(node)
    # (Python shows the line itself, after the message.)
    message = f"{what}. {fix}"
    warnings.warn_explicit(message, AdWarning, location.filename, location.lineno,
                           registry=_REGISTRY)
