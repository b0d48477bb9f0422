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

from ..runtime import namespaces
from ..runtime.namespaces import FUNCTIONS as XP
from .definition import Rule, _caller_location, nondifferentiable, parse_signature, \
    parse_templates

_HELPERS = namespaces.RULE_HELPERS


def _rule(name: str, signature: str, adjoint: dict, tangent: dict, pointwise=False,
          check=None) -> Rule:
    """The rule of `xp.<name>`, whose templates may call the namespace helpers."""
    where = _caller_location(2)
    label = f"xp.{name}"
    sig = parse_signature(signature, where, label)
    return Rule(XP[name], label, sig,
                parse_templates(adjoint, sig, where, label, "adjoint", _HELPERS),
                parse_templates(tangent, sig, where, label, "tangent", _HELPERS),
                pointwise=pointwise, defined_at=where, check=check, helpers=_HELPERS)


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
    *_linear("full", "xp, shape, fill_value, dtype=None, device=None",
             adjoint={"fill_value": "unbroadcast(g, fill_value)"},
             tangent={"fill_value": "broadcast_like(g, result)"}),
    # Linear algebra (the standard's linalg extension).
    *_linear("linalg.inv", "xp, x",
             adjoint={"x": "-xp.matmul(xp.matmul(xp.matrix_transpose(result), g), "
                           "xp.matrix_transpose(result))"},
             tangent={"x": "-xp.matmul(xp.matmul(result, g), result)"}),
    *_linear("linalg.det", "xp, x", adjoint={"x": "xp_det_adjoint(xp, g, x, result)"},
             tangent={"x": "xp_det_tangent(xp, g, x, result)"}),
    *_linear("linalg.solve", "xp, x1, x2",
             adjoint={"x1": "xp_solve_adjoint_a(xp, g, x1, x2, result)",
                      "x2": "xp_solve_adjoint_b(xp, g, x1, x2)"},
             tangent={"x1": "xp_solve_tangent_a(xp, g, x1, x2, result)",
                      "x2": "xp.linalg.solve(x1, g)"}),
    *_linear("linalg.trace", "xp, x, offset=0, dtype=None",
             adjoint={"x": "xp_trace_adjoint(xp, g, x, offset)"},
             tangent={"x": "xp.linalg.trace(g, offset=offset)"}),
    *_linear("linalg.vector_norm", "xp, x, axis=None, keepdims=False, ord=2",
             check=namespaces.xp_check_two_norm,
             adjoint={"x": "xp_vector_norm_adjoint(xp, g, x, axis, keepdims, result)"},
             tangent={"x": "xp_vector_norm_tangent(xp, g, x, axis, keepdims, result)"}),
    # The standard's array attributes a.T and a.mT (passes/array_namespace.py).
    *[Rule(function, f".{attribute}", parse_signature("x", _caller_location(1), attribute),
           *[parse_templates({"x": f"array_{attribute}(g)"}, parse_signature("x", "", ""),
                             _caller_location(1), f".{attribute}", mode, _HELPERS)
             for mode in ("adjoint", "tangent")], helpers=_HELPERS)
      for attribute, function in namespaces.ARRAY_ATTRIBUTES.items()],
    # Zero derivative almost everywhere, or integer, boolean, shape or dtype results.
    *nondifferentiable(*(XP[name] for name in """
        zeros ones empty zeros_like ones_like empty_like arange eye argmax argmin argsort
        equal not_equal greater greater_equal less less_equal logical_and logical_or
        logical_not logical_xor isnan isinf isfinite floor ceil round trunc sign signbit all
        any nonzero count_nonzero unique_values isdtype result_type finfo iinfo
        can_cast""".split())),
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
