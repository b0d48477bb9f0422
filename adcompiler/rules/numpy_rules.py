"""Derivatives of NumPy's elementwise functions and reductions.

Pointwise entries are `g * partial`; reductions give the adjoint and the
tangent side by side. Array methods (`x.sum()`, `x.T`) are rewritten to NumPy
functions by the normalisation pass (see METHODS below). Shape functions and
indexing are in array_rules.py, products and numpy.linalg in linalg_rules.py.

Constants in templates are Python floats (`math.log(2.0)`, not `np.log(2)`),
so that float32 derivatives stay float32.
"""

import numpy as np

from ..runtime import arrays as runtime_arrays
from ..runtime import keyword_forms as runtime_keyword_forms
from .definition import linear_rule, nondifferentiable, pointwise, pointwise_split

# The derivative of an `initial` added to every sum (np.sum, np.add.reduce).
_INITIAL_ADDED = {"adjoint": {"initial": "unbroadcast(g, initial)"},
                  "tangent": {"initial": "broadcast_like(g, result)"}}


def _sum_rule(function, signature: str, label: str | None = None, a: str = "a", check=None):
    """np.sum and np.add.reduce: `where` a 0/1 factor, `initial` added."""
    return linear_rule(
        function, signature, label=label, check=check,
        adjoint={a: f"sum_adjoint(g, {a}, axis, keepdims) * where",
                 **_INITIAL_ADDED["adjoint"]},
        tangent={a: "np.sum(g * where, axis=axis, keepdims=keepdims)",
                 **_INITIAL_ADDED["tangent"]})


def _prod_rule(function, signature: str, label: str | None = None, a: str = "a", check=None):
    """np.prod and np.multiply.reduce: `initial` multiplies each product, `where`
    selects the elements multiplied."""
    others = f"prod_others_where({a}, axis, where)"
    product = f"np.prod({a}, axis=axis, keepdims=keepdims, where=where)"
    return linear_rule(
        function, signature, label=label, check=check,
        adjoint={a: f"sum_adjoint(g, {a}, axis, keepdims) * {others} * initial",
                 "initial": f"unbroadcast(g * {product}, initial)"},
        tangent={a: f"np.sum(g * {others}, axis=axis, keepdims=keepdims) * initial",
                 "initial": f"g * {product}"})


def _extremum_rule(function, signature: str, label: str | None = None, a: str = "a"):
    """np.max, np.min and np.maximum/minimum.reduce: ties share the derivative
    evenly, among the elements `where` selects and `initial` (when it ties)."""
    weights = f"extremum_weights({a}, result, axis, keepdims, where, initial)"
    initial_share = f"extremum_initial_weight({a}, result, axis, keepdims, where, initial)"
    return linear_rule(
        function, signature, label=label,
        adjoint={a: f"sum_adjoint(g, {a}, axis, keepdims) * {weights}",
                 "initial": f"unbroadcast(g * {initial_share}, initial)"},
        tangent={a: f"np.sum(g * {weights}, axis=axis, keepdims=keepdims)",
                 "initial": f"g * {initial_share}"})


# An integer or boolean `dtype=` rounds what a reduction returns: refused (its
# derivative would be zero), when compiling or when the derivative runs.
_FLOAT_DTYPE = runtime_arrays.check_float_dtype

# np.var and np.std, and what their templates pass to the helpers.
_VAR = ("a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=True, mean=None, "
        "correction=0")
_VAR_ARGS = "axis, ddof + correction, keepdims, where, mean"


# Methods of ufuncs (np.add.reduce, ...: keyed by ufunc and method name,
# rules/registry.py). Their reductions default to axis=0, unlike np.sum.
# (No `dtype`: an integer dtype truncates every element, whose derivative is
# then 0, and a rule cannot tell np.int64 from np.float32 when compiling, so
# the keyword is refused rather than ignored; the parameters after it are
# keyword-only here, so that a dtype passed by position is refused too.)
_REDUCE = "array, axis=0, *, out=None, keepdims=False"
_UFUNC_METHODS = [
    _sum_rule(np.add.reduce, _REDUCE + ", initial=None, where=1", "numpy.add.reduce", "array"),
    _prod_rule(np.multiply.reduce, _REDUCE + ", initial=1, where=True", "numpy.multiply.reduce",
               "array"),
    _extremum_rule(np.maximum.reduce, _REDUCE + ", initial=None, where=True",
                   "numpy.maximum.reduce", "array"),
    _extremum_rule(np.minimum.reduce, _REDUCE + ", initial=None, where=True",
                   "numpy.minimum.reduce", "array"),
    # log(sum(exp(array))): the weights exp(array - result) (a softmax).
    linear_rule(np.logaddexp.reduce, _REDUCE, label="numpy.logaddexp.reduce",
                adjoint={"array": "sum_adjoint(g, array, axis, keepdims) * np.exp(array - "
                                  "expand_reduced(result, array, axis, keepdims))"},
                tangent={"array": "np.sum(g * np.exp(array - expand_reduced(result, array, "
                                  "axis, keepdims)), axis=axis, keepdims=keepdims)"}),
    linear_rule(np.add.accumulate, "array, axis=0, *, out=None",
                label="numpy.add.accumulate",
                adjoint={"array": "cumsum_adjoint(g, array, axis)"},
                tangent={"array": "np.cumsum(g, axis=axis)"}),
    *[linear_rule(extremum.accumulate, "array, axis=0, dtype=None, *, out=None",
                  label=f"numpy.{extremum.__name__}.accumulate",
                  adjoint={"array": "take_along_axis_adjoint(g, array, "
                                    "running_extremum_source(array, result, axis), axis)"},
                  tangent={"array": "np.take_along_axis(g, running_extremum_source(array, "
                                    "result, axis), axis)"})
      for extremum in (np.maximum, np.minimum)],
    linear_rule(np.multiply.accumulate, "array, axis=0, *, out=None",
                label="numpy.multiply.accumulate",
                adjoint={"array": "cumprod_adjoint(g, array, result, axis)"},
                tangent={"array": "cumprod_tangent(g, array, result, axis)"}),
    # result[i..., j...] = A[i...] op B[j...]: the adjoints sum over the other's axes.
    linear_rule(np.add.outer, "A, B", label="numpy.add.outer",
                adjoint={"A": "np.reshape(np.sum(np.reshape(g, (np.size(A), -1)), axis=1), "
                              "np.shape(A))",
                         "B": "np.reshape(np.sum(np.reshape(g, (np.size(A), -1)), axis=0), "
                              "np.shape(B))"},
                tangent={"A": "np.add.outer(g, np.zeros_like(B))",
                         "B": "np.add.outer(np.zeros_like(A), g)"}),
    linear_rule(np.subtract.outer, "A, B", label="numpy.subtract.outer",
                adjoint={"A": "np.reshape(np.sum(np.reshape(g, (np.size(A), -1)), axis=1), "
                              "np.shape(A))",
                         "B": "np.reshape(-np.sum(np.reshape(g, (np.size(A), -1)), axis=0), "
                              "np.shape(B))"},
                tangent={"A": "np.subtract.outer(g, np.zeros_like(B))",
                         "B": "np.subtract.outer(np.zeros_like(A), g)"}),
    linear_rule(np.multiply.outer, "A, B", label="numpy.multiply.outer",
                adjoint={"A": "np.reshape(np.dot(np.reshape(g, (np.size(A), -1)), np.ravel(B)), "
                              "np.shape(A))",
                         "B": "np.reshape(np.dot(np.ravel(A), np.reshape(g, (np.size(A), -1))), "
                              "np.shape(B))"},
                tangent={"A": "np.multiply.outer(g, B)", "B": "np.multiply.outer(A, g)"}),
]

RULES = [
    # Arithmetic ufuncs (np.true_divide is np.divide, np.mod is np.remainder).
    pointwise(np.add, "x, y", x="g", y="g"),
    pointwise(np.subtract, "x, y", x="g", y="-g"),
    pointwise(np.multiply, "x, y", x="g * y", y="g * x"),
    pointwise(np.divide, "x, y", x="g / y", y="-g * result / y"),
    # d/dy is 0 where x == 0 <= y (0 ** y is constant there), as torch has it.
    # d/dx is 0 where y == 0 (x ** 0 is 1, also at x == 0), as torch has it.
    pointwise(np.power, "x, y", x="g * power_slope(x, y, 1)",
              y="g * power_log(x, y, result)"),
    pointwise(np.float_power, "x, y", x="g * y * np.float_power(x, y - 1)",
              y="g * power_log(x, y, result)"),
    pointwise(np.negative, "x", x="-g"),
    pointwise(np.positive, "x", x="g"),
    pointwise(np.reciprocal, "x", x="-g * result * result"),
    pointwise(np.square, "x", x="g * 2 * x"),
    pointwise(np.remainder, "x, y", x="g", y="-g * np.floor_divide(x, y)"),
    pointwise(np.fmod, "x, y", x="g", y="-g * np.trunc(x / y)"),
    # Functions of complex values that are not holomorphic: the adjoint takes the
    # real part of g or a conjugate (runtime/complex_numbers.py states the convention).
    pointwise_split(np.abs, "x", adjoint={"x": "abs_adjoint(g, x)"},
                    tangent={"x": "abs_tangent(g, x)"}),
    pointwise(np.fabs, "x", x="g * np.sign(x)"),
    pointwise(np.copysign, "x1, x2", x1="g * np.sign(x1) * np.sign(result)"),
    # x2 is the value where x1 is 0 (the step itself has derivative 0 elsewhere)
    pointwise(np.heaviside, "x1, x2", x2="g * (x1 == 0)"),
    pointwise(np.ldexp, "x1, x2", x1="np.ldexp(g, x2)"),  # (exp2 of ints is float64)
    pointwise(np.conjugate, "x", x="np.conjugate(g)"),
    pointwise(np.real, "val", val="np.real(g)"),
    # np.float64(v): v as a float64 scalar (an array for an array).
    pointwise(np.float64, "x", x="np.real(g)"),
    pointwise_split(np.imag, "val", adjoint={"val": "-1j * np.real(g)"},
                    tangent={"val": "np.imag(g)"}),
    # The real part's derivative where NumPy dropped the (small) imaginary parts.
    linear_rule(np.real_if_close, "a, tol=100",
                adjoint={"a": "real_if_close_derivative(g, a, result)"},
                tangent={"a": "real_if_close_derivative(g, a, result)"}),
    pointwise_split(np.angle, "z, deg=False", adjoint={"z": "angle_adjoint(g, z, deg)"},
                    tangent={"z": "angle_tangent(g, z, deg)"}),
    # Piecewise constant for real x, x / |x| for complex x.
    pointwise_split(np.sign, "x", adjoint={"x": "sign_adjoint(g, x)"},
                    tangent={"x": "sign_tangent(g, x)"}),
    # Comparisons that select: ties share the derivative evenly, like torch.maximum.
    # fmax/fmin pass the derivative to the operand that is not NaN. (g times
    # each mask, not g times a sum of masks: 0.5 * mask is float64, and would
    # make a float32 tangent float64.)
    pointwise(np.maximum, "x, y", x="g * (x > y) + 0.5 * g * (x == y)",
              y="g * (y > x) + 0.5 * g * (x == y)"),
    pointwise(np.minimum, "x, y", x="g * (x < y) + 0.5 * g * (x == y)",
              y="g * (y < x) + 0.5 * g * (x == y)"),
    # (np.logical_not, not `~`: templates become generated code, which the
    # compiler reads again for higher derivatives, and it has no `~`.)
    pointwise(np.fmax, "x, y",
              x="g * (x > y) + 0.5 * g * (x == y)"
                " + g * (np.isnan(y) * np.logical_not(np.isnan(x)))",
              y="g * (y > x) + 0.5 * g * (x == y)"
                " + g * (np.isnan(x) * np.logical_not(np.isnan(y)))"),
    pointwise(np.fmin, "x, y",
              x="g * (x < y) + 0.5 * g * (x == y)"
                " + g * (np.isnan(y) * np.logical_not(np.isnan(x)))",
              y="g * (y < x) + 0.5 * g * (x == y)"
                " + g * (np.isnan(x) * np.logical_not(np.isnan(y)))"),
    pointwise(np.clip, "a, a_min=None, a_max=None, *, min=None, max=None",
              a="g * clip_inside(a, a_min, a_max, min, max)", a_min="g * (a < a_min)",
              a_max="g * (a > a_max)", min="g * (a < min)", max="g * (a > max)"),
    # One argument, np.where(condition) is np.nonzero(condition): integer indices,
    # no derivative (x and y are then not given; None stands for that).
    pointwise(np.where, "condition, x=None, y=None", x="np.where(condition, g, 0.0)",
              y="np.where(condition, 0.0, g)"),
    # An operand of a ufunc called with dtype= (passes/keyword_forms.py): a cast.
    linear_rule(runtime_keyword_forms.ufunc_operand, "x, dtype, casting",
                adjoint={"x": "cast_adjoint(g, x, dtype)"},
                tangent={"x": "cast_tangent(g, dtype)"}),
    # Exponentials and logarithms.
    pointwise(np.exp, "x", x="g * result"),
    pointwise(np.exp2, "x", x="g * result * math.log(2.0)"),
    pointwise(np.expm1, "x", x="g * (result + 1)"),
    pointwise(np.log, "x", x="g / x"),
    pointwise(np.log2, "x", x="g / (x * math.log(2.0))"),
    pointwise(np.log10, "x", x="g / (x * math.log(10.0))"),
    pointwise(np.log1p, "x", x="g / (1 + x)"),
    pointwise(np.logaddexp, "x1, x2", x1="g * np.exp(x1 - result)",
              x2="g * np.exp(x2 - result)"),
    pointwise(np.logaddexp2, "x1, x2", x1="g * np.exp2(x1 - result)",
              x2="g * np.exp2(x2 - result)"),
    pointwise(np.sqrt, "x", x="g / (2 * result)"),
    pointwise(np.cbrt, "x", x="g / (3.0 * result * result)"),
    # Trigonometric and hyperbolic functions.
    pointwise(np.sin, "x", x="g * np.cos(x)"),
    pointwise(np.cos, "x", x="-g * np.sin(x)"),
    pointwise(np.tan, "x", x="g * (1 + result ** 2)"),
    # (on the branch cuts of complex x, the side NumPy's value is on:
    # runtime/elementwise.py)
    pointwise(np.arcsin, "x", x="g * arcsin_slope(x, result)"),
    pointwise(np.arccos, "x", x="-g * arcsin_slope(x, result)"),
    pointwise(np.arctan, "x", x="g / (1 + x ** 2)"),
    pointwise(np.arctan2, "x1, x2", x1="g * x2 / (x1 * x1 + x2 * x2)",
              x2="-g * x1 / (x1 * x1 + x2 * x2)"),
    pointwise(np.hypot, "x1, x2", x1="g * x1 / result", x2="g * x2 / result"),
    pointwise(np.sinh, "x", x="g * np.cosh(x)"),
    pointwise(np.cosh, "x", x="g * np.sinh(x)"),
    pointwise(np.tanh, "x", x="g * (1 - result ** 2)"),
    # cosh(arcsinh(x)) is sqrt(x * x + 1) on the side of the branch cut NumPy's
    # value is on (complex x = ±0 + 2j); arccosh's sqrt(x - 1) sqrt(x + 1) is its
    # derivative in the whole plane, where sqrt(x * x - 1) has the wrong sign for
    # Re x < 0 (x - -1, not x + 1, keeps the sign of a zero imaginary part).
    pointwise(np.arcsinh, "x", x="g / np.cosh(result)"),
    pointwise(np.arccosh, "x", x="g / (np.sqrt(x - 1.0) * np.sqrt(x - -1.0))"),
    pointwise(np.arctanh, "x", x="g / (1.0 - x * x)"),
    pointwise(np.deg2rad, "x", x="g * (math.pi / 180.0)"),
    pointwise(np.radians, "x", x="g * (math.pi / 180.0)"),
    pointwise(np.rad2deg, "x", x="g * (180.0 / math.pi)"),
    pointwise(np.degrees, "x", x="g * (180.0 / math.pi)"),
    pointwise(np.sinc, "x", x="g * sinc_derivative(x)"),
    # Reductions. `where` masks the elements summed (a 0/1 factor; its default
    # is written 1, NumPy's True, so that `g * where` folds to `g` when the
    # call does not pass it) and `initial` is added to every sum (None stands
    # for NumPy's "not given").
    _sum_rule(np.sum, "a, axis=None, dtype=None, out=None, keepdims=False, initial=None, "
                      "where=1", check=_FLOAT_DTYPE),
    linear_rule(np.nansum, "a, axis=None, dtype=None, out=None, keepdims=False, initial=None, "
                           "where=1", check=_FLOAT_DTYPE,
                adjoint={"a": "sum_adjoint(g, a, axis, keepdims) * np.logical_not(np.isnan(a))"
                              " * where", **_INITIAL_ADDED["adjoint"]},
                tangent={"a": "np.sum(np.where(np.isnan(a), 0.0, g) * where, axis=axis, "
                              "keepdims=keepdims)", **_INITIAL_ADDED["tangent"]}),
    linear_rule(np.mean, "a, axis=None, dtype=None, out=None, keepdims=False", check=_FLOAT_DTYPE,
                adjoint={"a": "mean_adjoint(g, a, axis, keepdims)"},
                tangent={"a": "np.mean(g, axis=axis, keepdims=keepdims)"}),
    # np.mean(a, where=m) is mean_where(a, where=m) (KEYWORD_FORMS below): each selected
    # element gets g over its slice's count (at least 1: an empty slice's mean is NaN).
    linear_rule(runtime_keyword_forms.mean_where,
                "a, axis=None, dtype=None, out=None, keepdims=False, where=True",
                check=_FLOAT_DTYPE,
                adjoint={"a": "sum_adjoint(g, a, axis, keepdims) * where / "
                              "mean_where_count(a, axis, True, where, g)"},
                tangent={"a": "np.sum(g * where, axis=axis, keepdims=keepdims) / "
                              "mean_where_count(a, axis, keepdims, where, g)"}),
    *nondifferentiable(runtime_keyword_forms.mean_where_count),
    linear_rule(np.nanmean, "a, axis=None, dtype=None, out=None, keepdims=False",
                check=_FLOAT_DTYPE,
                # (a count of at least 1: an all-NaN slice's entries get 0, not 0 / 0,
                # as in the other nan* rules, rules/statistics_rules.py)
                adjoint={"a": "sum_adjoint(g, a, axis, keepdims) * np.logical_not(np.isnan(a))"
                              " / np.maximum(np.sum(np.logical_not(np.isnan(a)), axis=axis, "
                              "keepdims=True), 1)"},
                # (the count in g's float dtype: an int64 count makes float32 float64)
                tangent={"a": "np.sum(np.where(np.isnan(a), 0.0, g), axis=axis, "
                              "keepdims=keepdims) / np.maximum(np.sum(np.logical_not("
                              "np.isnan(a)), axis=axis, keepdims=keepdims, "
                              "dtype=float_dtype(g)), 1.0)"}),
    # returned=True: the pair (average, sum of weights).
    linear_rule(np.average, "a, axis=None, weights=None, returned=False, *, keepdims=False",
                adjoint={"a": "average_adjoint_a(g, a, weights, axis, keepdims, returned)",
                         "weights": "average_adjoint_weights(g, a, weights, result, axis, "
                                    "keepdims, returned)"},
                tangent={"a": "average_tangent(g, a, weights, result, axis, keepdims, 'a', "
                              "returned)",
                         "weights": "average_tangent(g, a, weights, result, axis, keepdims, "
                                    "'weights', returned)"}),
    # `initial` multiplies every product (its default written 1, which folds away).
    _prod_rule(np.prod, "a, axis=None, dtype=None, out=None, keepdims=False, initial=1, "
                        "where=True", check=_FLOAT_DTYPE),
    *[_extremum_rule(extremum, "a, axis=None, out=None, keepdims=False, initial=None, "
                               "where=True")
      for extremum in (np.max, np.amax, np.min, np.amin)],
    linear_rule(np.ptp, "a, axis=None, out=None, keepdims=False",
                adjoint={"a": "expand_reduced(g, a, axis, keepdims) * "
                              "(extremum_weights(a, np.max(a, axis, keepdims=True), axis, True)"
                              " - extremum_weights(a, np.min(a, axis, keepdims=True), axis, "
                              "True))"},
                tangent={"a": "np.sum(g * (extremum_weights(a, np.max(a, axis, keepdims=True),"
                              " axis, True) - extremum_weights(a, np.min(a, axis, "
                              "keepdims=True), axis, True)), axis=axis, keepdims=keepdims)"}),
    # NumPy 2's `correction` is another name for ddof (NumPy refuses both at
    # once); `where` selects the elements; `mean` is subtracted as given, and
    # differentiated too.
    linear_rule(np.var, _VAR, check=_FLOAT_DTYPE,
                adjoint={"a": f"var_given_adjoint(g, a, {_VAR_ARGS})",
                         "mean": f"var_mean_adjoint(g, a, {_VAR_ARGS})"},
                tangent={"a": f"var_given_tangent(g, a, {_VAR_ARGS})",
                         "mean": f"var_mean_tangent(g, a, {_VAR_ARGS})"}),
    linear_rule(np.std, _VAR, check=_FLOAT_DTYPE,
                # 0 where the spread is 0 (torch's convention): std is not
                # differentiable there, and constant along an axis of length 1.
                adjoint={"a": f"var_given_adjoint(quotient_or_zero(g, 2.0 * result), a, "
                              f"{_VAR_ARGS})",
                         "mean": f"var_mean_adjoint(quotient_or_zero(g, 2.0 * result), a, "
                                 f"{_VAR_ARGS})"},
                tangent={"a": f"quotient_or_zero(var_given_tangent(g, a, {_VAR_ARGS}), "
                              "2.0 * result)",
                         "mean": f"quotient_or_zero(var_mean_tangent(g, a, {_VAR_ARGS}), "
                                 "2.0 * result)"}),
    linear_rule(np.cumsum, "a, axis=None, dtype=None, out=None", check=_FLOAT_DTYPE,
                adjoint={"a": "cumsum_adjoint(g, a, axis)"},
                tangent={"a": "np.cumsum(g, axis=axis)"}),
    linear_rule(np.cumprod, "a, axis=None, dtype=None, out=None", check=_FLOAT_DTYPE,
                adjoint={"a": "cumprod_adjoint(g, a, result, axis)"},
                tangent={"a": "cumprod_tangent(g, a, result, axis)"}),
    linear_rule(np.trace, "a, offset=0, axis1=0, axis2=1, dtype=None, out=None",
                check=_FLOAT_DTYPE,
                adjoint={"a": "trace_adjoint(g, a, offset, axis1, axis2)"},
                tangent={"a": "np.trace(g, offset, axis1, axis2)"}),
    # Products (more in linalg_rules.py).
    # (out= other than None is rewritten before rules apply: passes/effects.py)
    linear_rule(np.dot, "a, b, out=None",
                adjoint={"a": "dot_adjoint_a(g, a, b)", "b": "dot_adjoint_b(g, a, b)"},
                tangent={"a": "np.dot(g, b)", "b": "np.dot(a, g)"}),
    linear_rule(np.matmul, "a, b, out=None",
                adjoint={"a": "matmul_adjoint_a(g, a, b)", "b": "matmul_adjoint_b(g, a, b)"},
                tangent={"a": "np.matmul(g, b)", "b": "np.matmul(a, g)"}),
    # Shapes (more in array_rules.py).
    linear_rule(np.reshape, "a, shape, order='C'",
                adjoint={"a": "np.reshape(g, np.shape(a), order=layout_order(a, order))"},
                tangent={"a": "np.reshape(g, shape, order=layout_order(a, order))"}),
    linear_rule(np.transpose, "a, axes=None",
                adjoint={"a": "transpose_adjoint(g, axes)"},
                tangent={"a": "np.transpose(g, axes)"}),
    # Zero derivative almost everywhere, or integer, boolean or shape results.
    *nondifferentiable(
        np.shape, np.ndim, np.size, np.floor, np.ceil, np.round, np.around, np.rint,
        np.trunc, np.fix, np.floor_divide, np.signbit,
        np.argmax, np.argmin, np.argsort, np.argwhere, np.nonzero, np.flatnonzero,
        np.searchsorted, np.digitize,
        np.isnan, np.isinf, np.isfinite, np.isneginf, np.isposinf, np.isreal, np.iscomplex,
        np.less, np.less_equal, np.greater, np.greater_equal, np.equal, np.not_equal,
        np.logical_and, np.logical_or, np.logical_not, np.logical_xor,
        np.array_equal, np.array_equiv, np.allclose, np.isclose, np.all, np.any,
        np.count_nonzero,
        np.zeros_like, np.ones_like, np.empty_like, np.zeros, np.ones, np.empty,
        np.eye, np.identity, np.tri),
    *_UFUNC_METHODS,
    # initial's share of a max or min: piecewise constant, like extremum_weights
    # (rules/helper_rules.py), so that second derivatives compile.
    *nondifferentiable(runtime_arrays.extremum_initial_weight),
]

# Notes shown in docs/derivatives.md next to a rule.
NOTES = {
    np.divide: "also `np.true_divide`",
    np.remainder: "also `np.mod`; d/dy = -floor(x / y), as torch.remainder",
    np.abs: "also `np.absolute`; derivative 0 at 0, as torch; for complex x, Re(conj(x) dx) "
            "/ |x|",
    np.maximum: "ties (x == y) share the derivative evenly, as torch.maximum",
    np.minimum: "ties share evenly, as torch.minimum",
    np.fmax: "ties share evenly, like np.maximum (torch.fmax gives a tie to x alone); a NaN "
             "operand passes the derivative to the other",
    np.fmin: "ties share evenly, like np.minimum (torch.fmin gives a tie to x alone); a NaN "
             "operand passes the derivative to the other",
    np.clip: "derivative 1 inside the bounds, bounds included (as torch.clamp); the "
             "bounds get it where they are active",
    np.max: "ties share the adjoint evenly (as torch.amax and torch.max() without dim); "
            "`where`; `initial` differentiable too (it takes its share where it ties or wins)",
    np.sum: "`where` (a mask), `initial` (differentiable)",
    np.nansum: "`where`, `initial` (differentiable); NaNs get derivative 0",
    np.amax: "ties share the adjoint evenly",
    np.min: "ties share the adjoint evenly (as torch.amin)",
    np.amin: "ties share the adjoint evenly",
    np.prod: "exact when elements are zero (products of the others, no division); "
             "`where`; `initial` differentiable",
    np.cumprod: "exact with zeros (falls back to the Jacobian along the axis)",
    np.maximum.accumulate: "the derivative of the entry each running maximum is; a tie "
                           "goes to the later entry, as torch.cummax",
    np.minimum.accumulate: "a tie goes to the later entry, as torch.cummin",
    np.var: "`ddof` or `correction`; `where`; `mean` (differentiable too, used as given)",
    np.std: "`ddof` or `correction`; `where`; `mean` (differentiable too); derivative 0 "
            "where the spread is 0 (as torch)",
    np.mean: "`where` too (differentiated as `mean_where`)",
    runtime_keyword_forms.mean_where: "np.mean(..., where=m): each selected element gets g over "
                                      "its slice's count; 0 in a slice that selects none",
    np.average: "`weights` (a's shape, or a's lengths along `axis`, in its order) "
                "differentiable too; "
                "`returned=True` (the sum of weights differentiable too)",
    np.real: "also `.real`",
    np.real_if_close: "as NumPy: the real part's derivative where it drops the imaginary parts",
    np.imag: "also `.imag`; 0 for real inputs",
    np.conjugate: "also `np.conj`, `.conj()`",
    np.angle: "Im(dz / z); 0 at 0 and for real inputs",
    np.sign: "0 for real inputs; for complex x, the derivative of x / |x| (0 at 0)",
    np.sinc: "normalised sinc; derivative 0 at 0",
    np.where: "one argument, `np.where(condition)`: the indices np.nonzero gives, no "
              "derivative",
    runtime_keyword_forms.ufunc_operand: "an operand of a ufunc called with `dtype=`, cast to it",
    np.reshape: "order 'C', 'F', and 'A' as the array's memory layout gives it (also the "
                "method `.reshape()`)",
    np.copysign: "differentiable in x1",
    np.heaviside: "differentiable in x2 (the value where x1 is 0); 0 in x1",
    np.ldexp: "differentiable in x1 (x2 is an integer)",
}

# Calls passing a keyword that another function's rule models, which the
# normalisation pass calls instead (passes/keyword_forms.py): (function, keyword)
# -> the function called. It computes the same value (it calls the original).
KEYWORD_FORMS = {
    (np.mean, "where"): runtime_keyword_forms.mean_where,
}

# Array methods and attributes the normalisation pass rewrites into calls:
# `x.sum(axis)` -> `np.sum(x, axis)`. `varargs` methods take a shape either as
# one tuple or spread out (`x.reshape(2, 2)`), and get it packed into one tuple.
# Only names that no builtin type has as a method (so not `copy` or `sort`,
# which lists have too, with other meanings).
METHODS = {
    "sum": (np.sum, False),
    "mean": (np.mean, False),
    "dot": (np.dot, False),
    "reshape": (np.reshape, True),
    "transpose": (np.transpose, True),
    "prod": (np.prod, False),
    "max": (np.max, False),
    "min": (np.min, False),
    "var": (np.var, False),
    "std": (np.std, False),
    "cumsum": (np.cumsum, False),
    "cumprod": (np.cumprod, False),
    "trace": (np.trace, False),
    "diagonal": (np.diagonal, False),
    "clip": (np.clip, False),
    "ravel": (np.ravel, False),
    "flatten": (np.ravel, False),
    "squeeze": (np.squeeze, False),
    "swapaxes": (np.swapaxes, False),
    "repeat": (np.repeat, False),
    "take": (np.take, False),
    "astype": (np.astype, False),
    "conj": (np.conjugate, False),
    "conjugate": (np.conjugate, False),
    "round": (np.round, False),
    "argmax": (np.argmax, False),
    "argmin": (np.argmin, False),
    "argsort": (np.argsort, False),
    "nonzero": (np.nonzero, False),
    "all": (np.all, False),
    "any": (np.any, False),
}
ATTRIBUTES = {
    "T": np.transpose,
    "mT": np.matrix_transpose,
    "real": np.real,
    "imag": np.imag,
}
NONDIFFERENTIABLE_ATTRIBUTES = {"shape", "ndim", "size", "dtype", "itemsize", "nbytes"}
