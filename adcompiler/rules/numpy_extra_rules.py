"""Derivatives of more NumPy functions (lstsq, eig, gradient, select, partition,
rollaxis, interp, polyval, trapezoid, cov, corrcoef, i0, unwrap, ediff1d, vander,
linalg.cond, ...). Helpers are in runtime/matrices.py,
calculus.py, selections.py, polynomials.py, covariance.py, elementwise.py,
histograms.py and sets.py.

np.linalg.eig follows torch's conventions for complex eigenvalues and vectors
(docs/complex.md); lstsq is differentiated only for full-rank matrices. A derivative reaching a parameter that is not differentiated here
(np.gradient's spacing) is refused, never taken as zero.
"""

import numpy as np

from ..runtime import arrays as runtime_arrays
from ..runtime import calculus as runtime_calculus
from ..runtime import elementwise as runtime_elementwise
from ..runtime import histograms as runtime_histograms
from ..runtime import matrices as runtime_matrices
from ..runtime import polynomials as runtime_polynomials
from ..runtime import selections as runtime_selections
from ..runtime import sets as runtime_sets
from .definition import linear_rule, nondifferentiable, pointwise


def _refused(function, parameter):
    return f"no_derivative(g, '{function}', '{parameter}')"


RULES = [
    linear_rule(np.linalg.lstsq, "a, b, rcond=None",
                adjoint={p: f"lstsq_adjoint(g, a, b, result, '{p}')" for p in "ab"},
                tangent={p: f"lstsq_tangent(g, a, b, result, '{p}')" for p in "ab"}),
    linear_rule(np.linalg.eig, "a",
                adjoint={"a": "eig_adjoint(g, a, result)"},
                tangent={"a": "eig_tangent(g, a, result)"}),
    linear_rule(np.linalg.eigvals, "a",
                adjoint={"a": "eigvals_adjoint(g, a)"},
                tangent={"a": "eigvals_tangent(g, a)"}),
    linear_rule(np.gradient, "f, spacing=None, *, axis=None, edge_order=1",
                adjoint={"f": "gradient_adjoint(g, f, spacing, axis, edge_order)",
                         "spacing": _refused("numpy.gradient", "spacing")},
                tangent={"f": "gradient_tangent(g, spacing, axis, edge_order)",
                         "spacing": _refused("numpy.gradient", "spacing")}),
    # np.gradient(f, dx, dy), as gradient_spacings (POSITIONAL_FORMS below)
    linear_rule(runtime_calculus.gradient_spacings,
                "f, s1, s2, s3=None, s4=None, axis=None, edge_order=1",
                label="np.gradient with a spacing per axis",
                adjoint={"f": "gradient_spacings_adjoint(g, f, s1, s2, s3, s4, axis, edge_order)",
                         **{s: _refused("numpy.gradient", "spacing") for s in
                            ("s1", "s2", "s3", "s4")}},
                tangent={"f": "gradient_spacings(g, s1, s2, s3, s4, axis=axis, "
                              "edge_order=edge_order)",
                         **{s: _refused("numpy.gradient", "spacing") for s in
                            ("s1", "s2", "s3", "s4")}}),
    linear_rule(np.select, "condlist, choicelist, default=0",
                adjoint={p: f"select_adjoint(g, condlist, choicelist, default, '{p}')"
                         for p in ("choicelist", "default")},
                tangent={"choicelist": "np.select(condlist, g, 0.0)",
                         "default": "select_default_tangent(g, condlist, result)"}),
    linear_rule(np.partition, "a, kth, axis=-1",
                adjoint={"a": "partition_adjoint(g, a, kth, axis)"},
                tangent={"a": "partition_tangent(g, a, kth, axis)"}),
    linear_rule(np.rollaxis, "a, axis, start=0",
                adjoint={"a": "rollaxis_adjoint(g, a, axis, start)"},
                tangent={"a": "np.rollaxis(g, axis, start)"}),
    linear_rule(np.interp, "x, xp, fp, left=None, right=None, period=None",
                check=runtime_calculus.check_interp_period,
                adjoint={"x": "g * interp_slope(x, xp, fp)",
                         "fp": "interp_fp_adjoint(g, x, xp, fp, left, right)",
                         "left": "interp_bound_adjoint(g, x, xp, left, 'left')",
                         "right": "interp_bound_adjoint(g, x, xp, right, 'right')",
                         "xp": "interp_xp_adjoint(g, x, xp, fp)",
                         # (a differentiated period alone would leave the call
                         # inactive, its derivative silently 0: refused instead)
                         "period": _refused("numpy.interp", "period")},
                tangent={"x": "g * interp_slope(x, xp, fp)",
                         "fp": "interp_fp_tangent(g, x, xp, left, right)",
                         "left": "interp_bound_tangent(g, x, xp, 'left')",
                         "right": "interp_bound_tangent(g, x, xp, 'right')",
                         "xp": "interp_xp_tangent(g, x, xp, fp)",
                         "period": _refused("numpy.interp", "period")}),
    linear_rule(np.polyval, "p, x",
                adjoint={"p": "polyval_adjoint_p(g, p, x)", "x": "g * polyval_slope(p, x)"},
                tangent={"p": "np.polyval(g, x)", "x": "g * polyval_slope(p, x)"}),
    *[linear_rule(trapezoid, "y, x=None, dx=1.0, axis=-1",
                  adjoint={"y": "trapezoid_adjoint_y(g, y, x, dx, axis)",
                           "x": "trapezoid_adjoint_x(g, y, x, axis)",
                           "dx": "trapezoid_adjoint_dx(g, y, dx, axis)"},
                  tangent={"y": "np.trapezoid(g, x, dx, axis)",
                           "x": "trapezoid_tangent_x(g, y, x, axis)",
                           "dx": "np.trapezoid(y, dx=g, axis=axis)"})
      for trapezoid in (np.trapezoid, getattr(np, "trapz", None)) if trapezoid is not None],
    # Covariance and correlation: the data are differentiated, the weights are not.
    linear_rule(np.cov, "m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, "
                "aweights=None, *, dtype=None", check=runtime_arrays.check_float_dtype,
                adjoint={"m": "cov_adjoint(g, m, y, rowvar, bias, ddof, fweights, aweights, 'm')",
                         "y": "cov_adjoint(g, m, y, rowvar, bias, ddof, fweights, aweights, 'y')",
                         "fweights": _refused("numpy.cov", "fweights"),
                         "aweights": _refused("numpy.cov", "aweights")},
                tangent={"m": "cov_tangent(g, m, y, rowvar, bias, ddof, fweights, aweights, "
                              "result, 'm')",
                         "y": "cov_tangent(g, m, y, rowvar, bias, ddof, fweights, aweights, "
                              "result, 'y')",
                         "fweights": _refused("numpy.cov", "fweights"),
                         "aweights": _refused("numpy.cov", "aweights")}),
    linear_rule(np.corrcoef, "x, y=None, rowvar=True, *, dtype=None",
                check=runtime_arrays.check_float_dtype,
                adjoint={"x": "corrcoef_adjoint(g, x, y, rowvar, result, 'm')",
                         "y": "corrcoef_adjoint(g, x, y, rowvar, result, 'y')"},
                tangent={"x": "corrcoef_tangent(g, x, y, rowvar, result, 'm')",
                         "y": "corrcoef_tangent(g, x, y, rowvar, result, 'y')"}),
    pointwise(np.i0, "x", x="g * bessel_i1(x)"),
    # np.kaiser(M, beta) = I₀(β s_n) / I₀(β): differentiable in beta (M is a length).
    linear_rule(np.kaiser, "M, beta",
                adjoint={"beta": "unbroadcast(np.sum(g * kaiser_slope(M, beta, result)), beta)"},
                tangent={"beta": "g * kaiser_slope(M, beta, result)"}),
    # (np.i0's derivative, and its own, for higher derivatives)
    pointwise(runtime_elementwise.bessel_i1, "x", x="g * bessel_i1_slope(x)"),
    # unwrap adds whole periods, piecewise constant in p and discont.
    linear_rule(np.unwrap, "p, discont=None, axis=-1, *, period=6.283185307179586",
                adjoint={"p": "g",
                         "period": "sum_to_shape(g * unwrap_period_slope(p, period, result), "
                                   "np.shape(period))"},
                tangent={"p": "g", "period": "g * unwrap_period_slope(p, period, result)"}),
    linear_rule(np.ediff1d, "ary, to_end=None, to_begin=None",
                adjoint={p: f"ediff1d_adjoint(g, ary, to_end, to_begin, '{p}')"
                         for p in ("ary", "to_end", "to_begin")},
                tangent={p: f"ediff1d_tangent(g, ary, to_end, to_begin, '{p}')"
                         for p in ("ary", "to_end", "to_begin")}),
    linear_rule(np.vander, "x, N=None, increasing=False",
                adjoint={"x": "np.sum(g * vander_slope(x, N, increasing), axis=1)"},
                tangent={"x": "np.expand_dims(g, 1) * vander_slope(x, N, increasing)"}),
    linear_rule(np.linalg.cond, "x, p=None", check=runtime_matrices.check_cond_p,
                adjoint={"x": "cond_adjoint(g, x, p, result)"},
                tangent={"x": "cond_tangent(g, x, p, result)"}),
    # Cumulative sums and products (the initial entry include_initial adds is constant).
    linear_rule(np.cumulative_sum, "x, *, axis=None, dtype=None, out=None, include_initial=False",
                check=runtime_arrays.check_float_dtype,
                adjoint={"x": "cumulative_sum_adjoint(g, x, axis, include_initial)"},
                tangent={"x": "np.cumulative_sum(g, axis=axis, include_initial=include_initial)"}),
    linear_rule(np.cumulative_prod, "x, *, axis=None, dtype=None, out=None, "
                "include_initial=False", check=runtime_arrays.check_float_dtype,
                adjoint={"x": "cumulative_prod_adjoint(g, x, axis, include_initial, result)"},
                tangent={"x": "cumulative_prod_tangent(g, x, axis, include_initial, result)"}),
    # Products.
    linear_rule(np.matvec, "x1, x2",
                adjoint={"x1": "matvec_adjoint(g, x1, x2, 'x1')",
                         "x2": "matvec_adjoint(g, x1, x2, 'x2')"},
                tangent={"x1": "np.matvec(g, x2)", "x2": "np.matvec(x1, g)"}),
    linear_rule(np.vecmat, "x1, x2",
                adjoint={"x1": "vecmat_adjoint(g, x1, x2, 'x1')",
                         "x2": "vecmat_adjoint(g, x1, x2, 'x2')"},
                tangent={"x1": "np.vecmat(g, x2)", "x2": "np.vecmat(x1, g)"}),
    linear_rule(np.linalg.tensordot, "x1, x2, *, axes=2",
                adjoint={"x1": "tensordot_adjoint(g, x1, x2, axes, 'a')",
                         "x2": "tensordot_adjoint(g, x1, x2, axes, 'b')"},
                tangent={"x1": "np.linalg.tensordot(g, x2, axes=axes)",
                         "x2": "np.linalg.tensordot(x1, g, axes=axes)"}),
    linear_rule(np.linalg.tensorinv, "a, ind=2",
                adjoint={"a": "tensorinv_adjoint(g, a, ind, result)"},
                tangent={"a": "tensorinv_tangent(g, a, ind, result)"}),
    linear_rule(np.linalg.tensorsolve, "a, b, axes=None",
                check=runtime_matrices.check_tensorsolve_axes,
                adjoint={p: f"tensorsolve_adjoint(g, a, b, result, '{p}')" for p in "ab"},
                tangent={p: f"tensorsolve_tangent(g, a, b, result, '{p}')" for p in "ab"}),
    # Selections and reshapes.
    linear_rule(np.diagflat, "v, k=0",
                adjoint={"v": "np.reshape(np.diagonal(g, k), np.shape(v))"},
                tangent={"v": "np.diagflat(g, k)"}),
    linear_rule(np.delete, "arr, obj, axis=None",
                adjoint={"arr": "selection_adjoint(g, arr, delete_kept(arr, obj, axis), axis)"},
                tangent={"arr": "np.delete(g, obj, axis)"}),
    linear_rule(np.insert, "arr, obj, values, axis=None",
                adjoint={p: f"insert_adjoint(g, arr, obj, values, axis, '{p}')"
                         for p in ("arr", "values")},
                tangent={p: f"insert_tangent(g, arr, obj, values, axis, '{p}')"
                         for p in ("arr", "values")}),
    linear_rule(np.compress, "condition, a, axis=None, out=None",
                adjoint={"a": "selection_adjoint(g, a, compress_kept(condition, a, axis), axis)"},
                tangent={"a": "np.compress(condition, g, axis)"}),
    linear_rule(np.extract, "condition, arr",
                adjoint={"arr": "selection_adjoint(g, arr, compress_kept(condition, arr, None), "
                                "None)"},
                tangent={"arr": "np.extract(condition, g)"}),
    linear_rule(np.resize, "a, new_shape",
                adjoint={"a": "resize_adjoint(g, a)"},
                tangent={"a": "np.resize(g, new_shape)"}),
    linear_rule(np.trim_zeros, "filt, trim='fb', axis=None",
                adjoint={"filt": "trim_zeros_adjoint(g, filt, trim)"},
                tangent={"filt": "trim_zeros_tangent(g, filt, trim, result)"}),
    linear_rule(np.bincount, "x, weights=None, minlength=0",
                adjoint={"weights": "bincount_adjoint(g, x)"},
                tangent={"weights": "np.bincount(x, g, minlength)"}),
    # np.block(nested lists) and np.choose(a, choices): one adjoint per piece or choice.
    linear_rule(np.block, "arrays",
                adjoint={"arrays": "block_adjoint(g, arrays)"},
                tangent={"arrays": "np.block(g)"}),
    linear_rule(runtime_selections.block_adjoint, "adjoint, arrays",
                adjoint={"adjoint": "block_from_pieces(g, arrays)"},
                tangent={"adjoint": "block_adjoint(g, arrays)"}),
    linear_rule(runtime_selections.block_from_pieces, "pieces, arrays",
                adjoint={"pieces": "block_adjoint(g, arrays)"},
                tangent={"pieces": "block_from_pieces(g, arrays)"}),
    linear_rule(np.choose, "a, choices, out=None, mode='raise'",
                adjoint={"choices": "choose_adjoint(g, a, choices, mode)"},
                tangent={"choices": "np.choose(a, g, mode=mode)"}),
    linear_rule(runtime_selections.choose_adjoint, "adjoint, a, choices, mode",
                adjoint={"adjoint": "choose_from_pieces(g, a, choices, mode)"},
                tangent={"adjoint": "choose_adjoint(g, a, choices, mode)"}),
    linear_rule(runtime_selections.choose_from_pieces, "pieces, a, choices, mode",
                adjoint={"pieces": "choose_adjoint(g, a, choices, mode)"},
                tangent={"pieces": "choose_from_pieces(g, a, choices, mode)"}),
    # nextafter(x1, x2) is x1 moved by one unit in the last place towards x2.
    pointwise(np.nextafter, "x1, x2", x1="g"),
    # Histograms: the counts are piecewise constant in a; the edges move with min(a) and
    # max(a) when bins is a number and range is not given; weights are differentiated.
    linear_rule(np.histogram, "a, bins=10, range=None, density=None, weights=None",
                adjoint={**{p: f"histogram_adjoint(g, a, bins, range, density, weights, "
                               f"result, '{p}')" for p in ("a", "weights")},
                         **{p: _refused("numpy.histogram", p) for p in ("bins", "range")}},
                tangent={**{p: f"histogram_tangent(g, a, bins, range, density, weights, "
                               f"result, '{p}')" for p in ("a", "weights")},
                         **{p: _refused("numpy.histogram", p) for p in ("bins", "range")}}),
    # np.histogramdd and np.histogram2d: np.histogram in each dimension at once.
    linear_rule(np.histogramdd, "sample, bins=10, range=None, density=None, weights=None",
                adjoint={**{p: f"histogramdd_rule_adjoint(g, sample, bins, range, density, "
                               f"weights, result, '{p}')" for p in ("sample", "weights")},
                         **{p: _refused("numpy.histogramdd", p) for p in ("bins", "range")}},
                tangent={**{p: f"histogramdd_tangent(g, sample, bins, range, density, weights, "
                               f"result[0], result[1], '{p}')" for p in ("sample", "weights")},
                         **{p: _refused("numpy.histogramdd", p) for p in ("bins", "range")}}),
    linear_rule(np.histogram2d, "x, y, bins=10, range=None, density=None, weights=None",
                adjoint={**{p: f"histogram2d_adjoint(g, x, y, bins, range, density, weights, "
                               f"result, '{p}')" for p in ("x", "y", "weights")},
                         **{p: _refused("numpy.histogram2d", p) for p in ("bins", "range")}},
                tangent={**{p: f"histogram2d_tangent(g, x, y, bins, range, density, weights, "
                               f"result, '{p}')" for p in ("x", "y", "weights")},
                         **{p: _refused("numpy.histogram2d", p) for p in ("bins", "range")}}),
    # A sample given as coordinate arrays ([x, y]): its adjoint's pieces and their transpose.
    linear_rule(runtime_histograms.sample_pieces, "columns, sample",
                adjoint={"columns": "sample_columns(g, sample)"},
                tangent={"columns": "sample_pieces(g, sample)"}),
    linear_rule(runtime_histograms.sample_columns, "pieces, sample",
                adjoint={"pieces": "sample_pieces(g, sample)"},
                tangent={"pieces": "sample_columns(g, sample)"}),
    linear_rule(np.histogram_bin_edges, "a, bins=10, range=None, weights=None",
                adjoint={"a": "histogram_bin_edges_adjoint(g, a, bins, range, weights)",
                         **{p: _refused("numpy.histogram_bin_edges", p)
                            for p in ("bins", "range")}},
                tangent={"a": "histogram_bin_edges_tangent(g, a, bins, range, weights)",
                         **{p: _refused("numpy.histogram_bin_edges", p)
                            for p in ("bins", "range")}}),
    # np.unique and the set functions: a value that several entries equal shares its
    # derivative evenly among them (as ties of np.max).
    linear_rule(np.unique, "ar, return_index=False, return_inverse=False, return_counts=False, "
                "axis=None, *, equal_nan=True, sorted=True",
                check=runtime_sets.check_unique_form,
                adjoint={"ar": "set_adjoint(g, (ar,), result, 0)"},
                tangent={"ar": "set_tangent(g, (ar,), result, 0)"}),
    *[linear_rule(function, "x",
                  adjoint={"x": "set_adjoint(g, (x,), result, 0)"},
                  tangent={"x": "set_tangent(g, (x,), result, 0)"})
      for function in (np.unique_values, np.unique_counts, np.unique_inverse, np.unique_all)],
    linear_rule(np.union1d, "ar1, ar2",
                adjoint={p: f"set_adjoint(g, (ar1, ar2), result, {i})"
                         for i, p in enumerate(("ar1", "ar2"))},
                tangent={p: f"set_tangent(g, (ar1, ar2), result, {i})"
                         for i, p in enumerate(("ar1", "ar2"))}),
    *[linear_rule(function, "ar1, ar2, assume_unique=False" + extra, check=check,
                  adjoint={p: f"set_adjoint(g, (ar1, ar2), result, {i})"
                           for i, p in enumerate(("ar1", "ar2"))},
                  tangent={p: f"set_tangent(g, (ar1, ar2), result, {i})"
                           for i, p in enumerate(("ar1", "ar2"))})
      for function, extra, check in (
          (np.intersect1d, ", return_indices=False", runtime_sets.check_intersect_options),
          (np.setdiff1d, "", runtime_sets.check_assume_unique),
          (np.setxor1d, "", runtime_sets.check_assume_unique))],
    linear_rule(np.sort_complex, "a",
                adjoint={"a": "sort_complex_adjoint(g, a)"},
                tangent={"a": "sort_complex_tangent(g, a, result)"}),
    # Polynomials (1-d coefficient arrays).
    linear_rule(np.polyadd, "a1, a2",
                adjoint={"a1": "polyadd_adjoint(g, a1, 1.0)", "a2": "polyadd_adjoint(g, a2, 1.0)"},
                tangent={"a1": "polyadd_tangent(g, np.shape(result)[0], 1.0)",
                         "a2": "polyadd_tangent(g, np.shape(result)[0], 1.0)"}),
    linear_rule(np.polysub, "a1, a2",
                adjoint={"a1": "polyadd_adjoint(g, a1, 1.0)",
                         "a2": "polyadd_adjoint(g, a2, -1.0)"},
                tangent={"a1": "polyadd_tangent(g, np.shape(result)[0], 1.0)",
                         "a2": "polyadd_tangent(g, np.shape(result)[0], -1.0)"}),
    linear_rule(np.polymul, "a1, a2",
                adjoint={"a1": "convolve_adjoint(g, a1, a2, 'full', 'a')",
                         "a2": "convolve_adjoint(g, a1, a2, 'full', 'v')"},
                tangent={"a1": "np.polymul(g, a2)", "a2": "np.polymul(a1, g)"}),
    linear_rule(np.polyder, "p, m=1",
                adjoint={"p": "polynomial_map_adjoint(g, p, m, 'polyder')"},
                tangent={"p": "np.polyder(g, m)"}),
    linear_rule(np.polyint, "p, m=1, k=None",
                adjoint={"p": "polynomial_map_adjoint(g, p, m, 'polyint')",
                         "k": _refused("numpy.polyint", "k")},
                tangent={"p": "np.polyint(g, m)", "k": _refused("numpy.polyint", "k")}),
    linear_rule(np.polyfit, "x, y, deg, rcond=None, full=False, w=None, cov=False",
                check=runtime_polynomials.check_polyfit_options,
                adjoint={"x": "polyfit_adjoint(g, x, y, deg, w, 'x')",
                         "y": "polyfit_adjoint(g, x, y, deg, w, 'y')",
                         "w": _refused("numpy.polyfit", "w")},
                tangent={"x": "polyfit_tangent(g, x, y, deg, w, 'x')",
                         "y": "polyfit_tangent(g, x, y, deg, w, 'y')",
                         "w": _refused("numpy.polyfit", "w")}),
    linear_rule(np.polydiv, "u, v",
                adjoint={p: f"polydiv_adjoint(g, u, v, result, '{p}')" for p in "uv"},
                tangent={p: f"polydiv_tangent(g, u, v, result, '{p}')" for p in "uv"}),
    linear_rule(np.roots, "p",
                adjoint={"p": "roots_adjoint(g, p, result)"},
                tangent={"p": "roots_tangent(g, p, result)"}),
    linear_rule(np.poly, "seq_of_zeros",
                adjoint={"seq_of_zeros": "poly_adjoint(g, seq_of_zeros)"},
                tangent={"seq_of_zeros": "poly_tangent(g, seq_of_zeros)"}),
    # Geometric sequences.
    linear_rule(np.logspace, "start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0",
                check=runtime_arrays.check_float_dtype,
                adjoint={p: f"space_adjoint(g, logspace_slope(start, stop, num, endpoint, base, "
                            f"axis, result, '{p}'), {p}, axis)"
                         for p in ("start", "stop", "base")},
                tangent={p: f"space_tangent(g, logspace_slope(start, stop, num, endpoint, base, "
                            f"axis, result, '{p}'), axis)"
                         for p in ("start", "stop", "base")}),
    linear_rule(np.geomspace, "start, stop, num=50, endpoint=True, dtype=None, axis=0",
                check=runtime_arrays.check_float_dtype,
                adjoint={p: f"space_adjoint(g, geomspace_slope(start, stop, num, endpoint, axis, "
                            f"result, '{p}'), {p}, axis)" for p in ("start", "stop")},
                tangent={p: f"space_tangent(g, geomspace_slope(start, stop, num, endpoint, axis, "
                            f"result, '{p}'), axis)" for p in ("start", "stop")}),
    # Tuple results: the integer parts are piecewise constant.
    linear_rule(np.modf, "x", adjoint={"x": "modf_adjoint(g, x)"},
                tangent={"x": "modf_tangent(g, x)"}),
    linear_rule(np.frexp, "x", adjoint={"x": "frexp_adjoint(g, x)"},
                tangent={"x": "frexp_tangent(g, x)"}),
    linear_rule(np.divmod, "x1, x2",
                adjoint={p: f"divmod_adjoint(g, x1, x2, '{p}')" for p in ("x1", "x2")},
                tangent={p: f"divmod_tangent(g, x1, x2, '{p}')" for p in ("x1", "x2")}),
    linear_rule(np.from_dlpack, "x, *, device=None, copy=None",
                adjoint={"x": "g"}, tangent={"x": "g"}),
    # Integer results.
    *nondifferentiable(np.argpartition, np.lexsort, np.isin, np.spacing),
    # (the helpers that list the positions a selection keeps)
    *nondifferentiable(runtime_selections.delete_kept, runtime_selections.compress_kept),
]

# Calls the normaliser (passes/keyword_forms.py) sends to a function of their
# own by the number of positional arguments: np.gradient given a spacing per axis.
POSITIONAL_FORMS = {(np.gradient, count): runtime_calculus.gradient_spacings
                    for count in (3, 4, 5)}

NOTES = {
    np.linalg.lstsq: "full-rank a, real or complex; x, the residuals and the singular "
                     "values are differentiated (rank is an integer)",
    np.linalg.eig: "distinct eigenvalues, real or complex (as torch.linalg.eig); unit "
                   "eigenvectors in the phase LAPACK fixes (largest entry real), so any "
                   "function of them (docs/complex.md)",
    np.linalg.eigvals: "distinct eigenvalues, real or complex",
    np.gradient: "one spacing (a number, or coordinates for 1-d f), or one per axis; "
                 "`edge_order` 1 or 2; "
                 "not in the spacing (refused)",
    np.select: "the choices and the default; the conditions are not differentiable",
    np.partition: "distinct values (ties would make the order ambiguous)",
    np.interp: "in x (the segment's slope, one-sided at the points), fp, left, right and "
               "xp (real fp); not with `period`",
    np.polyval: "1-d coefficients p",
    np.trapezoid: "in y, 1-d x and dx (also `np.trapz` where NumPy has it)",
    np.cov: "in m and y (`rowvar`, `bias`, `ddof`); `fweights` and `aweights` as constants "
            "(a differentiated weight is refused); real values",
    np.corrcoef: "in x and y (`rowvar`); real values; 0 for a single variable (R = 1)",
    np.i0: "derivative I₁(x), from its power series",
    np.unwrap: "derivative 1 in p (the added periods are piecewise constant), "
               "(result - p) / period in `period`; `discont` as a constant",
    np.ediff1d: "in ary, `to_end` and `to_begin`",
    np.vander: "`N`, `increasing`",
    np.linalg.cond: "p None, ±2 from the extreme singular values (distinct from the others); "
                    "'fro', 'nuc', ±1, ±inf from the norms of x and its inverse (square, "
                    "invertible); real matrices",
    np.cumulative_sum: "`axis`, `include_initial`",
    np.cumulative_prod: "`axis`, `include_initial`; exact with zeros (as np.cumprod)",
    np.matvec: "real values",
    np.vecmat: "real values",
    np.linalg.tensorinv: "invertible as a matrix",
    np.linalg.tensorsolve: "`axes=None`; invertible as a matrix",
    np.delete: "the kept entries get the derivative",
    np.compress: "the kept entries get the derivative",
    np.extract: "the kept entries get the derivative",
    np.resize: "an entry repeated by the resize gathers every copy's derivative",
    np.trim_zeros: "1-d arrays; the trimmed zeros get none",
    np.bincount: "in `weights` (the counted integers are not differentiable)",
    np.polyadd: "1-d coefficient arrays (not np.poly1d)",
    np.polysub: "1-d coefficient arrays (not np.poly1d)",
    np.polymul: "1-d coefficient arrays (not np.poly1d)",
    np.polyder: "1-d coefficient arrays",
    np.polyint: "1-d coefficient arrays; not in the constants `k` (refused)",
    np.poly: "a 1-d sequence of real roots (not a matrix)",
    np.logspace: "in start, stop and base; real values",
    np.geomspace: "in start and stop; real values",
    np.modf: "the fractional part has derivative 1, the integral part 0",
    np.frexp: "the mantissa x·2⁻ᵉ; the exponent is an integer",
    np.divmod: "the remainder as np.remainder; the quotient is piecewise constant",
    np.block: "nested lists of differentiated arrays",
    np.choose: "in the choices (a list or an array); `mode` raise, wrap, clip",
    np.nextafter: "derivative 1 in x1 (a step of one unit in the last place), 0 in x2",
    np.polyfit: "in x and y (1-d x; y 1-d or 2-d) for a Vandermonde matrix of full rank; "
                "`w` as a constant (refused when differentiated); not `full=True` nor `cov=True`",
    np.polydiv: "1-d real coefficients; the remainder keeps NumPy's length (its dropped "
                "leading zeros get no derivative)",
    np.insert: "in arr and values (an inserted value repeated by broadcasting gathers "
                "every copy's derivative)",
    np.histogram: "in a through the edges (bins a number, no range: they run from min(a) to "
                    "max(a), ties sharing evenly; the counts are piecewise constant) and in "
                    "the weights; `density`; not in bins or range given as differentiated "
                    "values, nor in a with bins chosen by an estimator (a string)",
    np.histogram_bin_edges: "in a, for bins a number and no range (from min(a) to max(a))",
    np.histogramdd: "as np.histogram in each dimension: in the sample through the edges of "
                    "the dimensions whose bins are a number and range not given, in the "
                    "weights; `density`",
    np.histogram2d: "as np.histogramdd([x, y], ...): in x and y through the moving edges, "
                    "in the weights; `density`",
    np.kaiser: "in beta (M is an integer length)",
    np.unique: "the values (indices, inverse and counts are integers); a value several "
               "entries equal shares its derivative evenly among them; axis=None, sorted",
    np.unique_values: "a value several entries equal shares its derivative evenly",
    np.unique_counts: "the values (as np.unique); the counts are integers",
    np.unique_inverse: "the values (as np.unique); the inverse indices are integers",
    np.unique_all: "the values (as np.unique); the indices and counts are integers",
    np.union1d: "a value several entries equal shares its derivative evenly",
    np.intersect1d: "a value's derivative is shared evenly by its entries in both arrays; "
                    "assume_unique=False, return_indices=False",
    np.setdiff1d: "in ar1 (ar2 only removes values); assume_unique=False",
    np.setxor1d: "a value several entries equal shares its derivative evenly; "
                 "assume_unique=False",
    np.roots: "real, simple roots (complex roots and a leading zero are refused)",
    np.sort_complex: "real a (a permutation along the last axis, ties in their order; the "
                     "adjoint is the real part); complex a refused",
}
