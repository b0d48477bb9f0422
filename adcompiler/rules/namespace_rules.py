"""Derivatives of the functions of an array API namespace: `xp.exp(x)` where
`xp = x.__array_namespace__()` or `array_api_compat.array_namespace(x, w)`.

passes/array_namespace.py rewrites each such call into one of
`runtime.namespaces.FUNCTIONS` with the namespace as first argument
(`xp_exp(xp, x)`), so every rule here has the parameter `xp` first, and its
templates compute with it (`xp.cos(x)`): the derivative of a function of
array_api_strict arrays is computed by array_api_strict, of JAX arrays by
jax.numpy, of NumPy arrays by NumPy. The standard's names are the rules'
names; the NumPy spellings that array-api-compat's and JAX's namespaces also
have (arccos, concatenate, power, transpose) share their rules.

Broadcasting, zero derivatives, seeds and the adjoints of operators and
indexing are runtime.namespaces' versions of runtime.core's helpers, which a
function that takes its namespace from its arguments is compiled with.
"""

import re

from ..runtime import namespaces
from ..runtime.namespaces import FUNCTIONS as XP
from .definition import Rule, _caller_location, linear_rule, nondifferentiable, \
    parse_signature, parse_templates

# What the templates may call besides runtime's helpers: the namespace helpers,
# and the namespace's functions as objects (`xp.cos(x)` in a template is
# written `xp_cos(xp, x)`, so that the derivative code is differentiated again
# by the same rules, wherever its `xp` comes from).
_HELPERS = {**namespaces.RULE_HELPERS,
            **{function.__name__: function for function in XP.values()}}
_NAMESPACE_CALL = re.compile(r"\bxp\.([a-z_][a-z_0-9.]*)\(")


def _namespace_calls(text: str) -> str:
    """`xp.linalg.inv(a)` -> `xp_linalg_inv(xp, a)` in a template."""
    def call(match):
        function = XP[match.group(1)]  # a KeyError here is a template's typo
        return f"{function.__name__}(xp, "
    return _NAMESPACE_CALL.sub(call, text)


def _templates(texts: dict, signature, where: str, label: str, mode: str) -> dict:
    return parse_templates({parameter: _namespace_calls(text) for parameter, text in
                            texts.items()}, signature, where, label, mode, _HELPERS)


def _helper_rule(function, signature: str, adjoint: dict, tangent: dict, label=None,
                 pointwise=False, check=None, depth: int = 2) -> Rule:
    """A rule whose templates may call the namespace's functions and helpers."""
    where = _caller_location(depth)
    label = label or getattr(function, "__name__", repr(function))
    sig = parse_signature(signature, where, label)
    return Rule(function, label, sig, _templates(adjoint, sig, where, label, "adjoint"),
                _templates(tangent, sig, where, label, "tangent"), pointwise=pointwise,
                defined_at=where, check=check, helpers=_HELPERS)


def _rule(name: str, signature: str, adjoint: dict, tangent: dict, pointwise=False,
          check=None) -> Rule:
    """The rule of `xp.<name>`."""
    return _helper_rule(XP[name], signature, adjoint, tangent, f"xp.{name}", pointwise,
                        check, depth=3)


def _pointwise(names: str, signature: str, **partials: str) -> list:
    """One elementwise rule per spelling in `names` (`"acos arccos"`)."""
    return [_rule(name, signature, partials, partials, pointwise=True)
            for name in names.split()]


def _linear(names: str, signature: str, adjoint: dict, tangent: dict, check=None) -> list:
    return [_rule(name, signature, adjoint, tangent, check=check) for name in names.split()]


RULES = [
    # Arithmetic.
    *_pointwise("add", "xp, x1, x2", x1="g", x2="g"),
    *_pointwise("subtract", "xp, x1, x2", x1="g", x2="-g"),
    *_pointwise("multiply", "xp, x1, x2", x1="g * x2", x2="g * x1"),
    *_pointwise("divide", "xp, x1, x2", x1="g / x2", x2="-g * result / x2"),
    *_pointwise("pow power", "xp, x1, x2", x1="g * x2 * x1 ** (x2 - 1)",
                x2="g * power_log(x1, x2, result)"),
    *_pointwise("negative", "xp, x", x="-g"),
    *_pointwise("positive", "xp, x", x="g"),
    *_pointwise("square", "xp, x", x="g * 2.0 * x"),
    *_pointwise("abs", "xp, x", x="g * xp.sign(x)"),
    *_pointwise("maximum", "xp, x1, x2", x1="g * xp_tie_weights(xp, x1 > x2, x1 == x2, x1)",
                x2="g * xp_tie_weights(xp, x2 > x1, x1 == x2, x2)"),
    *_pointwise("minimum", "xp, x1, x2", x1="g * xp_tie_weights(xp, x1 < x2, x1 == x2, x1)",
                x2="g * xp_tie_weights(xp, x2 < x1, x1 == x2, x2)"),
    # Inside the bounds (bounds included) x gets the derivative, as torch.clamp;
    # outside, the bound that is the result there.
    *_pointwise("clip", "xp, x, min=None, max=None", x="g * xp_clip_inside(xp, x, min, max)",
                min="g * xp_below(xp, x, min)", max="g * xp_above(xp, x, max)"),
    *_pointwise("where", "xp, condition, x1, x2", x1="xp_where_part(xp, condition, g, True)",
                x2="xp_where_part(xp, condition, g, False)"),
    # Exponentials and logarithms.
    *_pointwise("exp", "xp, x", x="g * result"),
    *_pointwise("expm1", "xp, x", x="g * (result + 1.0)"),
    *_pointwise("log", "xp, x", x="g / x"),
    *_pointwise("log1p", "xp, x", x="g / (1.0 + x)"),
    *_pointwise("log2", "xp, x", x="g / (x * math.log(2.0))"),
    *_pointwise("log10", "xp, x", x="g / (x * math.log(10.0))"),
    *_pointwise("logaddexp", "xp, x1, x2", x1="g * xp.exp(x1 - result)",
                x2="g * xp.exp(x2 - result)"),
    *_pointwise("sqrt", "xp, x", x="g / (2.0 * result)"),
    *_pointwise("hypot", "xp, x1, x2", x1="g * x1 / result", x2="g * x2 / result"),
    # Trigonometric and hyperbolic functions.
    *_pointwise("sin", "xp, x", x="g * xp.cos(x)"),
    *_pointwise("cos", "xp, x", x="-g * xp.sin(x)"),
    *_pointwise("tan", "xp, x", x="g * (1.0 + result * result)"),
    *_pointwise("asin arcsin", "xp, x", x="g / xp.sqrt(1.0 - x * x)"),
    *_pointwise("acos arccos", "xp, x", x="-g / xp.sqrt(1.0 - x * x)"),
    *_pointwise("atan arctan", "xp, x", x="g / (1.0 + x * x)"),
    *_pointwise("atan2 arctan2", "xp, x1, x2", x1="g * x2 / (x1 * x1 + x2 * x2)",
                x2="-g * x1 / (x1 * x1 + x2 * x2)"),
    *_pointwise("sinh", "xp, x", x="g * xp.cosh(x)"),
    *_pointwise("cosh", "xp, x", x="g * xp.sinh(x)"),
    *_pointwise("tanh", "xp, x", x="g * (1.0 - result * result)"),
    *_pointwise("asinh arcsinh", "xp, x", x="g / xp.sqrt(x * x + 1.0)"),
    *_pointwise("acosh arccosh", "xp, x", x="g / xp.sqrt(x * x - 1.0)"),
    *_pointwise("atanh arctanh", "xp, x", x="g / (1.0 - x * x)"),
    # Reductions (the standard's `correction` is NumPy's ddof).
    *_linear("sum", "xp, x, axis=None, dtype=None, keepdims=False",
             check=namespaces.xp_check_float_dtype,
             adjoint={"x": "xp_sum_adjoint(xp, g, x, axis, keepdims)"},
             tangent={"x": "xp.sum(g, axis=axis, keepdims=keepdims)"}),
    *_linear("mean", "xp, x, axis=None, keepdims=False",
             adjoint={"x": "xp_sum_adjoint(xp, g / xp_reduction_count(x, axis), x, axis, "
                           "keepdims)"},
             tangent={"x": "xp.mean(g, axis=axis, keepdims=keepdims)"}),
    *[rule for extremum in ("max", "min") for rule in _linear(
        extremum, "xp, x, axis=None, keepdims=False",
        adjoint={"x": "xp_sum_adjoint(xp, g, x, axis, keepdims) * "
                      "xp_extremum_weights(xp, x, result, axis, keepdims)"},
        tangent={"x": "xp.sum(g * xp_extremum_weights(xp, x, result, axis, keepdims), "
                      "axis=axis, keepdims=keepdims)"})],
    *_linear("var", "xp, x, axis=None, correction=0.0, keepdims=False",
             adjoint={"x": "xp_var_adjoint(xp, g, x, axis, correction, keepdims)"},
             tangent={"x": "xp_var_tangent(xp, g, x, axis, correction, keepdims)"}),
    # 0 where the spread is 0, as torch.std.
    *_linear("std", "xp, x, axis=None, correction=0.0, keepdims=False",
             adjoint={"x": "xp_var_adjoint(xp, xp_quotient_or_zero(xp, g, 2.0 * result), x, "
                           "axis, correction, keepdims)"},
             tangent={"x": "xp_quotient_or_zero(xp, xp_var_tangent(xp, g, x, axis, "
                           "correction, keepdims), 2.0 * result)"}),
    *_linear("cumulative_sum", "xp, x, axis=None, dtype=None, include_initial=False",
             check=namespaces.xp_check_float_dtype,
             adjoint={"x": "xp_cumulative_sum_adjoint(xp, g, x, axis, include_initial)"},
             tangent={"x": "xp.cumulative_sum(g, axis=axis, include_initial=include_initial)"}),
    # A gather: the adjoint adds back at the indices (repeats add up).
    *_linear("take", "xp, x, indices, axis=None",
             adjoint={"x": "xp_take_adjoint(xp, g, x, indices, axis)"},
             tangent={"x": "xp.take(g, indices, axis=axis)"}),
    # Products.
    *_linear("matmul linalg.matmul", "xp, x1, x2",
             adjoint={"x1": "matmul_adjoint_a(g, x1, x2)", "x2": "matmul_adjoint_b(g, x1, x2)"},
             tangent={"x1": "xp.matmul(g, x2)", "x2": "xp.matmul(x1, g)"}),
    *_linear("vecdot linalg.vecdot", "xp, x1, x2, axis=-1",
             adjoint={"x1": "unbroadcast(xp.expand_dims(g, axis=axis) * x2, x1)",
                      "x2": "unbroadcast(xp.expand_dims(g, axis=axis) * x1, x2)"},
             tangent={"x1": "xp.vecdot(g, x2, axis=axis)", "x2": "xp.vecdot(x1, g, axis=axis)"}),
    *_linear("linalg.outer", "xp, x1, x2",
             adjoint={"x1": "xp.matmul(g, x2)", "x2": "xp.matmul(xp.matrix_transpose(g), x1)"},
             tangent={"x1": "xp.linalg.outer(g, x2)", "x2": "xp.linalg.outer(x1, g)"}),
    # Shapes.
    *_linear("reshape", "xp, x, shape, copy=None",
             adjoint={"x": "xp.reshape(g, x.shape)"}, tangent={"x": "xp.reshape(g, shape)"}),
    *_linear("permute_dims", "xp, x, axes",
             adjoint={"x": "xp.permute_dims(g, xp_inverse_permutation(axes, x.ndim))"},
             tangent={"x": "xp.permute_dims(g, axes)"}),
    *_linear("transpose", "xp, x, axes=None",
             adjoint={"x": "xp.permute_dims(g, xp_inverse_permutation(axes, x.ndim))"},
             tangent={"x": "xp.permute_dims(g, xp_axes_or_reversed(axes, x.ndim))"}),
    *_linear("matrix_transpose linalg.matrix_transpose", "xp, x",
             adjoint={"x": "xp.matrix_transpose(g)"}, tangent={"x": "xp.matrix_transpose(g)"}),
    *_linear("expand_dims", "xp, x, axis=0",
             adjoint={"x": "xp.reshape(g, x.shape)"},
             tangent={"x": "xp.expand_dims(g, axis=axis)"}),
    *_linear("squeeze", "xp, x, axis",
             adjoint={"x": "xp.reshape(g, x.shape)"}, tangent={"x": "xp.squeeze(g, axis=axis)"}),
    *_linear("flip", "xp, x, axis=None",
             adjoint={"x": "xp.flip(g, axis=axis)"}, tangent={"x": "xp.flip(g, axis=axis)"}),
    *_linear("broadcast_to", "xp, x, shape",
             adjoint={"x": "unbroadcast(g, x)"}, tangent={"x": "xp.broadcast_to(g, shape)"}),
    # A list argument (xp.concat([a, b])) gets one adjoint per element.
    *_linear("concat", "xp, arrays, axis=0",
             adjoint={"arrays": "xp_concat_adjoint(xp, g, arrays, axis)"},
             tangent={"arrays": "xp.concat(g, axis=axis)"}),
    *_linear("concatenate", "xp, arrays, axis=0",
             adjoint={"arrays": "xp_concat_adjoint(xp, g, arrays, axis)"},
             tangent={"arrays": "xp.concatenate(g, axis=axis)"}),
    *_linear("stack", "xp, arrays, axis=0",
             adjoint={"arrays": "xp_stack_adjoint(xp, g, arrays, axis)"},
             tangent={"arrays": "xp.stack(g, axis=axis)"}),
    *_linear("astype", "xp, x, dtype, copy=True",
             adjoint={"x": "xp_cast_adjoint(xp, g, x, dtype)"},
             tangent={"x": "xp_cast_tangent(xp, g, dtype)"}),
    *_linear("asarray", "xp, obj, dtype=None, device=None, copy=None",
             adjoint={"obj": "xp_asarray_adjoint(xp, g, obj, dtype)"},
             tangent={"obj": "xp_asarray_adjoint(xp, g, obj, dtype)"}),
    # start + i * step; the stop only decides how many values there are, and
    # with one argument (stop None) that argument is the stop (`!=`: a literal
    # stop with `is not` would be a SyntaxWarning in the generated code)
    *_linear("arange", "xp, start, stop=None, step=1, dtype=None, device=None",
             adjoint={"start": "xp.sum(g) * (stop != None)",
                      "stop": "0.0 * xp.sum(g)",
                      "step": "xp.sum(g * xp.arange(g.shape[0], dtype=g.dtype))"},
             tangent={"start": "broadcast_like(g, result) * (stop != None)",
                      "stop": "0.0 * broadcast_like(g, result)",
                      "step": "g * xp.arange(result.shape[0], dtype=result.dtype)"}),
    *_linear("full", "xp, shape, fill_value, dtype=None, device=None",
             check=namespaces.xp_check_float_dtype,
             adjoint={"fill_value": "unbroadcast(g, fill_value)"},
             tangent={"fill_value": "broadcast_like(g, result)"}),
    # Linear algebra (the standard's linalg extension).
    *_linear("linalg.inv", "xp, x",
             adjoint={"x": "-xp.matmul(xp.matmul(xp.matrix_transpose(result), g), "
                           "xp.matrix_transpose(result))"},
             tangent={"x": "-xp.matmul(xp.matmul(result, g), result)"}),
    # det, solve and vector_norm's templates call only functions with rules
    # (their second derivatives are these templates differentiated).
    # d det(x) = det(x) <inv(x)^T, dx>.
    *_linear("linalg.det", "xp, x",
             adjoint={"x": "xp.expand_dims(xp.expand_dims(g * result, axis=-1), axis=-1) * "
                           "xp.matrix_transpose(xp.linalg.inv(x))"},
             tangent={"x": "result * xp.sum(xp.matrix_transpose(xp.linalg.inv(x)) * g, "
                           "axis=(-2, -1))"}),
    # With Y = solve(x1^T, g): x2's adjoint is Y, x1's -Y result^T (an outer
    # product for a vector x2); the tangent along x1 is -solve(x1, dx1 result).
    *_linear("linalg.solve", "xp, x1, x2",
             adjoint={"x1": "-(xp.expand_dims(xp.linalg.solve(xp.matrix_transpose(x1), g), "
                            "axis=-1) * xp.expand_dims(result, axis=-2)) if x2.ndim == 1 else "
                            "-xp.matmul(xp.linalg.solve(xp.matrix_transpose(x1), g), "
                            "xp.matrix_transpose(result))",
                      "x2": "xp.linalg.solve(xp.matrix_transpose(x1), g)"},
             tangent={"x1": "-xp.linalg.solve(x1, xp.matmul(g, result))",
                      "x2": "xp.linalg.solve(x1, g)"}),
    *_linear("linalg.trace", "xp, x, offset=0, dtype=None",
             check=namespaces.xp_check_float_dtype,
             adjoint={"x": "xp_trace_adjoint(xp, g, x, offset)"},
             tangent={"x": "xp.linalg.trace(g, offset=offset)"}),
    *_linear("linalg.vector_norm", "xp, x, axis=None, keepdims=False, ord=2",
             check=namespaces.xp_check_two_norm,
             # g x / norm, 0 where the norm is 0 (as torch); another `ord` not
             # known when compiling is refused when the derivative runs.
             adjoint={"x": "xp_sum_adjoint(xp, xp_quotient_or_zero(xp, g, xp_checked_two_norm("
                           "result, ord)), x, axis, keepdims) * x"},
             tangent={"x": "xp_quotient_or_zero(xp, xp.sum(x * g, axis=axis, keepdims=keepdims), "
                           "xp_checked_two_norm(result, ord))"}),
    # The standard's array attributes a.T and a.mT (passes/array_namespace.py).
    *[_helper_rule(function, "x", {"x": f"array_{attribute}(g)"}, {"x": f"array_{attribute}(g)"},
                   f".{attribute}") for attribute, function in namespaces.ARRAY_ATTRIBUTES.items()],
    # Zero derivative almost everywhere, or integer, boolean, shape or dtype results.
    *nondifferentiable(*(XP[name] for name in """
        zeros ones empty zeros_like ones_like empty_like eye argmax argmin argsort
        equal not_equal greater greater_equal less less_equal logical_and logical_or
        logical_not logical_xor isnan isinf isfinite floor ceil round trunc sign signbit all
        any nonzero count_nonzero unique_values isdtype result_type finfo iinfo
        can_cast""".split())),
]

# Second derivatives: the helpers the derivative code of such a function calls
# (runtime/namespaces.py), as runtime_rules.py has them for runtime.core's.
# Most are linear in the derivative they carry, each the transpose of another.
_NS = namespaces
RULES += [
    *nondifferentiable(_NS.scalar_seed, _NS.zeros_like, _NS.sign, _NS.is_view_of,
                       _NS.reads_change, _NS.check_unshared, _NS.check_distinct,
                       _NS.check_not_held, _NS.xp_reduction_count, _NS.xp_extremum_weights,
                       _NS.xp_tie_weights, _NS.xp_clip_inside, _NS.xp_below, _NS.xp_above,
                       _NS.xp_inverse_permutation, _NS.xp_axes_or_reversed),
    linear_rule(_NS.add_adjoints, "a, b", adjoint={"a": "g", "b": "g"},
                tangent={"a": "g", "b": "g"}),
    linear_rule(_NS.add_into, "total, contribution",
                adjoint={"total": "g", "contribution": "unbroadcast(g, contribution)"},
                tangent={"total": "g", "contribution": "broadcast_like(g, result)"}),
    linear_rule(_NS.unbroadcast, "adjoint, x", adjoint={"adjoint": "broadcast_like(g, adjoint)"},
                tangent={"adjoint": "unbroadcast(g, x)"}),
    linear_rule(_NS.broadcast_like, "t, like", adjoint={"t": "unbroadcast(g, t)"},
                tangent={"t": "broadcast_like(g, like)"}),
    linear_rule(_NS.as_gradient, "adjoint, x", adjoint={"adjoint": "unbroadcast(g, adjoint)"},
                tangent={"adjoint": "as_gradient(g, x)"}),
    linear_rule(_NS.checked_seed, "seed, output, where", adjoint={"seed": "g"},
                tangent={"seed": "checked_seed(g, output, where)"}),
    linear_rule(_NS.getitem_adjoint, "adjoint, x, index", adjoint={"adjoint": "g[index]"},
                tangent={"adjoint": "getitem_adjoint(g, x, index)"}),
    linear_rule(_NS.setitem, "x, index, value",
                adjoint={"x": "setitem(g, index, 0.0)",
                         "value": "setitem_value_adjoint(g, index, value, result)"},
                tangent={"x": "setitem(g, index, 0.0)",
                         "value": "setitem_value_tangent(g, index, result)"}),
    linear_rule(_NS.setitem_value_adjoint, "adjoint, index, value, into",
                adjoint={"adjoint": "setitem_value_tangent(g, index, into)"},
                tangent={"adjoint": "setitem_value_adjoint(g, index, value, into)"}),
    linear_rule(_NS.setitem_value_tangent, "tangent, index, into",
                adjoint={"tangent": "setitem_value_adjoint(g, index, tangent, into)"},
                tangent={"tangent": "setitem_value_tangent(g, index, into)"}),
    linear_rule(_NS.matmul_adjoint_a, "adjoint, a, b",
                adjoint={"adjoint": "g @ b", "b": "matmul_adjoint_b(adjoint, g, b)"},
                tangent={"adjoint": "matmul_adjoint_a(g, a, b)",
                         "b": "matmul_adjoint_a(adjoint, a, g)"}),
    linear_rule(_NS.matmul_adjoint_b, "adjoint, a, b",
                adjoint={"adjoint": "a @ g", "a": "matmul_adjoint_a(adjoint, g, b)"},
                tangent={"adjoint": "matmul_adjoint_b(g, a, b)",
                         "a": "matmul_adjoint_b(adjoint, g, b)"}),
    linear_rule(_NS.sum_items_adjoint, "adjoint, items",
                adjoint={"adjoint": "broadcast_like(sum(g), adjoint)"},
                tangent={"adjoint": "sum_items_adjoint(g, items)"}),
    linear_rule(_NS.abs_adjoint, "d, x", adjoint={"d": "abs_tangent(g, x)"},
                tangent={"d": "abs_adjoint(g, x)"}),
    linear_rule(_NS.abs_tangent, "d, x", adjoint={"d": "abs_adjoint(g, x)"},
                tangent={"d": "abs_tangent(g, x)"}),
    _helper_rule(_NS.xp_sum_adjoint, "xp, adjoint, x, axis, keepdims",
                 adjoint={"adjoint": "xp.sum(g, axis=axis, keepdims=keepdims)"},
                 tangent={"adjoint": "xp_sum_adjoint(xp, g, x, axis, keepdims)"}),
    _helper_rule(_NS.xp_cast_adjoint, "xp, adjoint, x, dtype",
                 adjoint={"adjoint": "xp_cast_tangent(xp, g, dtype)"},
                 tangent={"adjoint": "xp_cast_adjoint(xp, g, x, dtype)"}),
    _helper_rule(_NS.xp_cast_tangent, "xp, t, dtype",
                 adjoint={"t": "xp_cast_adjoint(xp, g, t, dtype)"},
                 tangent={"t": "xp_cast_tangent(xp, g, dtype)"}),
    _helper_rule(_NS.xp_concat_adjoint, "xp, adjoint, arrays, axis",
                 adjoint={"adjoint": "xp_joined(xp, g, arrays, axis, 'concat')"},
                 tangent={"adjoint": "xp_concat_adjoint(xp, g, arrays, axis)"}),
    _helper_rule(_NS.xp_stack_adjoint, "xp, adjoint, arrays, axis",
                 adjoint={"adjoint": "xp_joined(xp, g, arrays, axis, 'stack')"},
                 tangent={"adjoint": "xp_stack_adjoint(xp, g, arrays, axis)"}),
    _helper_rule(_NS.xp_joined, "xp, pieces, arrays, axis, join",
                 adjoint={"pieces": "xp_concat_adjoint(xp, g, arrays, axis) if join == 'concat' "
                                    "else xp_stack_adjoint(xp, g, arrays, axis)"},
                 tangent={"pieces": "xp_joined(xp, g, arrays, axis, join)"}),
    # xp.var's adjoint and tangent are bilinear: in the derivative they carry
    # and in x (through x - mean(x)); std's divides by its result, masked at 0.
    _helper_rule(_NS.xp_var_adjoint, "xp, adjoint, x, axis, correction, keepdims",
                 adjoint={"adjoint": "xp_var_tangent(xp, g, x, axis, correction, keepdims)",
                          "x": "xp_var_adjoint_x(xp, g, adjoint, x, axis, correction, "
                               "keepdims)"},
                 tangent={"adjoint": "xp_var_adjoint(xp, g, x, axis, correction, keepdims)",
                          "x": "xp_var_adjoint(xp, adjoint, g, axis, correction, keepdims)"}),
    _helper_rule(_NS.xp_var_tangent, "xp, t, x, axis, correction, keepdims",
                 adjoint={"t": "xp_var_adjoint(xp, g, x, axis, correction, keepdims)",
                          "x": "xp_var_adjoint_x(xp, t, g, x, axis, correction, keepdims)"},
                 tangent={"t": "xp_var_tangent(xp, g, x, axis, correction, keepdims)",
                          "x": "xp_var_tangent(xp, t, g, axis, correction, keepdims)"}),
    # xp_var_adjoint_x(F, R) = s P(E(R) F), P the centring (a symmetric
    # projection), E the spread over the reduced axes: bilinear in F and R,
    # and x sets only shapes (third derivatives of var and std).
    _helper_rule(_NS.xp_var_adjoint_x, "xp, full, reduced, x, axis, correction, keepdims",
                 adjoint={"full": "xp_var_adjoint(xp, reduced, g, axis, correction, keepdims)",
                          "reduced": "xp_var_tangent(xp, full, g, axis, correction, keepdims)"},
                 tangent={"full": "xp_var_adjoint_x(xp, g, reduced, x, axis, correction, "
                                  "keepdims)",
                          "reduced": "xp_var_adjoint_x(xp, full, g, x, axis, correction, "
                                     "keepdims)"}),
    _helper_rule(_NS.xp_quotient_or_zero, "xp, numerator, denominator", pointwise=True,
                 adjoint={"numerator": "xp_quotient_or_zero(xp, g, denominator)",
                          "denominator": "-xp_quotient_or_zero(xp, g * result, denominator)"},
                 tangent={"numerator": "xp_quotient_or_zero(xp, g, denominator)",
                          "denominator": "-xp_quotient_or_zero(xp, g * result, denominator)"}),
    _helper_rule(_NS.xp_cumulative_sum_adjoint, "xp, adjoint, x, axis, include_initial",
                 adjoint={"adjoint": "xp_cumulative_sum_transpose(xp, g, x, axis, "
                                     "include_initial)"},
                 tangent={"adjoint": "xp_cumulative_sum_adjoint(xp, g, x, axis, "
                                     "include_initial)"}),
    _helper_rule(_NS.xp_cumulative_sum_transpose, "xp, t, x, axis, include_initial",
                 adjoint={"t": "xp_cumulative_sum_adjoint(xp, g, x, axis, include_initial)"},
                 tangent={"t": "xp_cumulative_sum_transpose(xp, g, x, axis, include_initial)"}),
    _helper_rule(_NS.xp_take_adjoint, "xp, adjoint, x, indices, axis",
                 adjoint={"adjoint": "xp.take(g, indices, axis=axis)"},
                 tangent={"adjoint": "xp_take_adjoint(xp, g, x, indices, axis)"}),
    _helper_rule(_NS.xp_where_part, "xp, condition, adjoint, chosen",
                 adjoint={"adjoint": "xp_where_part(xp, condition, g, chosen)"},
                 tangent={"adjoint": "xp_where_part(xp, condition, g, chosen)"}),
    # x ** y's derivative in y, power_log(x, y, x ** y) = x ** y log(x); at
    # x == 0 its partials are the limits of the second derivatives, 0 or nan
    # (runtime_rules.py's).
    _helper_rule(_NS.power_log, "x, y, power", pointwise=True,
                 adjoint={"x": "g * zero_base_masked(power / x, x, y, 1)",
                          "power": "g * zero_base_masked(base_log(x, y), x, y, 0)"},
                 tangent={"x": "g * zero_base_masked(power / x, x, y, 1)",
                          "power": "g * zero_base_masked(base_log(x, y), x, y, 0)"}),
    # x ** y's derivative in x (runtime_rules.py's power_slope, order by order).
    _helper_rule(_NS.power_slope, "x, y, order", pointwise=True,
                 adjoint={"x": "g * power_slope(x, y, order + 1)",
                          "y": "g * power_partial(x, y, order, 1)"},
                 tangent={"x": "g * power_slope(x, y, order + 1)",
                          "y": "g * power_partial(x, y, order, 1)"}),
    _helper_rule(_NS.power_partial, "x, y, m, n", pointwise=True,
                 adjoint={"x": "g * power_partial(x, y, m + 1, n)",
                          "y": "g * power_partial(x, y, m, n + 1)"},
                 tangent={"x": "g * power_partial(x, y, m + 1, n)",
                          "y": "g * power_partial(x, y, m, n + 1)"}),
    _helper_rule(_NS.base_log, "x, y", pointwise=True,
                 adjoint={"x": "g * zero_base_masked(1.0 / x, x, y)"},
                 tangent={"x": "g * zero_base_masked(1.0 / x, x, y)"}),
    _helper_rule(_NS.zero_base_masked, "value, base, exponent, above=None", pointwise=True,
                 adjoint={"value": "zero_base_masked(g, base, exponent, above)"},
                 tangent={"value": "zero_base_masked(g, base, exponent, above)"}),
    linear_rule(_NS.xp_checked_two_norm, "norm, ord", adjoint={"norm": "g"},
                tangent={"norm": "g"}),
    _helper_rule(_NS.xp_trace_adjoint, "xp, adjoint, x, offset",
                 adjoint={"adjoint": "xp.linalg.trace(g, offset=offset)"},
                 tangent={"adjoint": "xp_trace_adjoint(xp, g, x, offset)"}),
    _helper_rule(_NS.xp_asarray_adjoint, "xp, adjoint, obj, dtype",
                 adjoint={"adjoint": "xp_asarray_adjoint(xp, g, obj, dtype)"},
                 tangent={"adjoint": "xp_asarray_adjoint(xp, g, obj, dtype)"}),
]

# The functions array-api-compat gives a namespace with: they have no
# derivative (array-api-compat is optional: without it there is nothing to add).
try:
    import array_api_compat as _compat
except ImportError:  # pragma: no cover - the optional extra is not installed
    _compat = None
if _compat is not None:
    RULES += nondifferentiable(_compat.array_namespace, _compat.get_namespace)
RULES += nondifferentiable(namespaces.own_namespace)

# What docs/derivatives.md lists: the namespaces' own functions (the other
# entries are helpers that derivative code calls).
DOCUMENTED_RULES = [rule for rule in RULES if isinstance(rule.function, namespaces.NamespaceFunction)]
