"""Derivatives of NumPy's order statistics and NaN-ignoring reductions
(median, quantile, percentile, the nan* family, nan_to_num). Helpers are in
runtime/statistics.py.

A quantile is a weighted gather of the one or two order statistics it
interpolates; its weights W are `offset + q * slope` (runtime/statistics.py),
so that the derivative in `a` is a sum against W, the derivative in q a sum of
`a` against the slope, and a derivative of either in q or `a` follows from the
NumPy arithmetic that combines them. The nan* functions are their plain
counterparts on the entries that are not NaN: a NaN entry gets derivative 0,
and so does every entry of an all-NaN slice (whose result is NaN).

Constants in templates are Python floats, so that float32 derivatives stay float32.
"""

import numpy as np

from ..runtime import arrays as runtime_arrays
from ..runtime import statistics as runtime_statistics
from .definition import linear_rule, nondifferentiable

# The entries of `a`, with 1 at the NaN ones (products ignore them).
_NAN_AS_ONE = "np.where(np.isnan(a), 1.0, a)"


def _quantile_rule(function, signature, q, method, ignore_nan, scale, check):
    """The rule of one quantile-like function: `q`, `method` are template text
    (a parameter's name, or a constant for np.median), `scale` 100 for percentiles."""
    has_weights = "weights" in signature
    options = (f"axis, {method}, {ignore_nan}, {scale}, {'weights' if has_weights else None}, "
               "overwrite_input")
    # The weights W, shaped q.shape + a.shape: offset + q * slope for a parameter q
    # (so that q enters by arithmetic, which a derivative in q then follows).
    gather = (f"(quantile_weights_offset(a, {q}, {options}) + "
              f"np.reshape(np.asarray({q}, dtype=dtype_of(result)), quantile_q_shape(a, {q}))"
              f" * quantile_weights_slope(a, {q}, {options}))" if q == "q" else
              f"quantile_weights(a, {q}, {options})")
    adjoint = {"a": f"np.sum(np.reshape(g, quantile_spread_shape(a, {q}, axis)) * {gather}, "
                    f"axis=quantile_q_axes({q}))"}
    tangent = {"a": f"np.reshape(np.sum({gather} * g, axis=quantile_a_axes(a, {q}, axis)), "
                    "np.shape(result))"}
    if q == "q":
        # d quantile / dq = sum(a * slope): a set to 0 where the slope is 0, so that
        # NaN (nan* functions) and inf entries the quantile does not read add 0.
        slope = f"quantile_weights_slope(a, q, {options}, True)"
        read = f"np.where({slope} == 0, 0.0, a) * {slope}"
        adjoint["q"] = (f"np.sum(np.reshape(g, quantile_spread_shape(a, q, axis)) * {read}, "
                        "axis=quantile_a_axes(a, q))")
        tangent["q"] = (f"np.reshape(np.sum({read} * np.reshape(g, quantile_q_shape(a, q)), "
                        "axis=quantile_a_axes(a, q, axis)), np.shape(result))")
    if has_weights:
        refused = f"no_derivative(g, 'numpy.{function.__name__}', 'weights')"
        adjoint["weights"] = tangent["weights"] = refused
    return linear_rule(function, signature, adjoint=adjoint, tangent=tangent, check=check)


_QUANTILE = "a, q, axis=None, out=None, overwrite_input=False, method='linear', keepdims=False, " \
            "*, weights=None"
_MEDIAN = "a, axis=None, out=None, overwrite_input=False, keepdims=False"


# a minus its nanmean, 0 at the NaN entries.
_CENTRED = "np.where(np.isnan(a), 0.0, a - np.nanmean(a, axis=axis, keepdims=True))"


def _nanvar_adjoint(g):
    return (f"np.where(np.isnan(a), 0.0, expand_reduced({g}, a, axis, keepdims) * "
            f"{_CENTRED} * nan_var_scale(a, axis, ddof))")


_NANVAR_TANGENT = (f"np.sum({_CENTRED} * np.where(np.isnan(a), 0.0, g), axis=axis, "
                   "keepdims=keepdims) * np.reshape(nan_var_scale(a, axis, ddof), "
                   "np.shape(result))")
_NANVAR = "a, axis=None, dtype=None, out=None, ddof=0, keepdims=False"
# An integer or boolean `dtype=` rounds the values: refused (runtime/arrays.py).
_FLOAT_DTYPE = runtime_arrays.check_float_dtype

RULES = [
    *[_quantile_rule(function, _QUANTILE, "q", "method", ignore_nan, scale,
                     runtime_statistics.check_quantile_arguments)
      for function, ignore_nan, scale in ((np.quantile, False, 1.0), (np.percentile, False, 100.0),
                                          (np.nanquantile, True, 1.0),
                                          (np.nanpercentile, True, 100.0))],
    *[_quantile_rule(function, _MEDIAN, "0.5", "'linear'", ignore_nan, 1.0,
                     runtime_statistics.check_overwrite_input)
      for function, ignore_nan in ((np.median, False), (np.nanmedian, True))],
    *[linear_rule(extremum, "a, axis=None, out=None, keepdims=False",
                  adjoint={"a": "sum_adjoint(g, a, axis, keepdims) * "
                                "nan_extremum_weights(a, result, axis, keepdims)"},
                  tangent={"a": "np.sum(np.where(np.isnan(a), 0.0, g) * "
                                "nan_extremum_weights(a, result, axis, keepdims), axis=axis, "
                                "keepdims=keepdims)"})
      for extremum in (np.nanmax, np.nanmin)],
    linear_rule(np.nanvar, _NANVAR, check=_FLOAT_DTYPE, adjoint={"a": _nanvar_adjoint("g")},
                tangent={"a": _NANVAR_TANGENT}),
    # d std = d var / (2 std), 0 where the spread is 0 (as np.std's rule).
    linear_rule(np.nanstd, _NANVAR, check=_FLOAT_DTYPE,
                adjoint={"a": _nanvar_adjoint("quotient_or_zero(g, 2.0 * result)")},
                tangent={"a": f"np.where(all_nan_slices(a, axis, keepdims), 0.0, "
                              f"quotient_or_zero({_NANVAR_TANGENT}, 2.0 * result))"}),
    linear_rule(np.nanprod, "a, axis=None, dtype=None, out=None, keepdims=False",
                check=_FLOAT_DTYPE,
                adjoint={"a": "np.where(np.isnan(a), 0.0, sum_adjoint(g, a, axis, keepdims) * "
                              f"prod_others({_NAN_AS_ONE}, axis))"},
                tangent={"a": "np.sum(np.where(np.isnan(a), 0.0, g) * "
                              f"prod_others({_NAN_AS_ONE}, axis), axis=axis, keepdims=keepdims)"}),
    linear_rule(np.nancumsum, "a, axis=None, dtype=None, out=None", check=_FLOAT_DTYPE,
                adjoint={"a": "np.where(np.isnan(a), 0.0, cumsum_adjoint(g, a, axis))"},
                tangent={"a": "np.cumsum(np.where(np.isnan(a), 0.0, g), axis=axis)"}),
    linear_rule(np.nancumprod, "a, axis=None, dtype=None, out=None", check=_FLOAT_DTYPE,
                adjoint={"a": f"np.where(np.isnan(a), 0.0, cumprod_adjoint(g, {_NAN_AS_ONE}, "
                              "result, axis))"},
                tangent={"a": "cumprod_tangent(np.where(np.isnan(a), 0.0, g), "
                              f"{_NAN_AS_ONE}, result, axis)"}),
    linear_rule(np.nan_to_num, "x, copy=True, nan=0.0, posinf=None, neginf=None",
                check=runtime_statistics.check_nan_to_num_copy,
                adjoint={"x": "g * nan_to_num_entries(x, copy, 'finite')",
                         **{p: f"sum_to_shape(np.where(nan_to_num_entries(x, copy, '{p}'), g, "
                               f"0.0), np.shape({p}))" for p in ("nan", "posinf", "neginf")}},
                tangent={"x": "g * nan_to_num_entries(x, copy, 'finite')",
                         **{p: f"np.where(nan_to_num_entries(x, copy, '{p}'), g, 0.0)"
                            for p in ("nan", "posinf", "neginf")}}),
    *nondifferentiable(np.nanargmax, np.nanargmin),
]
# What docs/derivatives.md lists (not the helpers below, which only generated code calls).
DOCUMENTED_RULES = list(RULES)
# The helpers' masks, weights, counts and shapes: piecewise constant.
RULES += nondifferentiable(*runtime_statistics.TEMPLATE_HELPERS.values())

# Notes shown in docs/derivatives.md next to a rule.
_TIES = ("ties share an order statistic's derivative evenly (as np.max's: q = 1 is np.max's "
         "rule)")
_Q = ("in a and in q (continuous methods: linear, hazen, weibull, median_unbiased, "
      "normal_unbiased, interpolated_inverted_cdf: at a whole virtual index, the slope "
      "of the segment above it, 0 at the last order statistic; q is refused for the "
      "discrete methods, a step function of it); every method in a (real a); `weights` and "
      "`overwrite_input=True` refused; " + _TIES)
NOTES = {
    np.quantile: _Q + "; NaN in a slice: NaN derivative (its value is NaN)",
    np.percentile: _Q + "; NaN in a slice: NaN derivative",
    np.nanquantile: _Q + "; NaN entries get 0",
    np.nanpercentile: _Q + "; NaN entries get 0",
    np.median: "the mean of the two middle values for an even count (real a); " + _TIES,
    np.nanmedian: "NaN entries get 0; " + _TIES,
    np.nanmax: "ties share evenly (as np.max); NaN entries and all-NaN slices get 0; "
               "`initial`/`where` not supported",
    np.nanmin: "ties share evenly (as np.min); NaN entries get 0",
    np.nanvar: "`ddof`; NaN entries get 0; `mean`/`correction`/`where` not supported",
    np.nanstd: "`ddof`; NaN entries get 0; 0 where the spread is 0 (as np.std)",
    np.nanprod: "exact with zeros (products of the others); NaN entries get 0",
    np.nancumsum: "NaN entries get 0",
    np.nancumprod: "exact with zeros; NaN entries get 0",
    np.nan_to_num: "1 where x is finite, 0 at the replaced entries; `nan`, `posinf`, "
                   "`neginf` get the derivative of the entries they replace; real x only; "
                   "`copy=False` refused",
}
