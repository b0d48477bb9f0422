"""What generated derivative code calls at run time, one module per concern.

* core.py: broadcasting, zero adjoints, seeds, the adjoints of indexing,
  sums, products and loops over containers;
* arrays.py, linalg.py, fft.py, special.py, stats.py, statistics.py: the
  helpers of the NumPy, numpy.linalg, numpy.fft, scipy.special, scipy.stats
  and NumPy order-statistics rules (rules/*.py names them in templates);
* matrices.py, calculus.py, selections.py, polynomials.py, covariance.py,
  elementwise.py, histograms.py, sets.py: those of the further NumPy rules
  (rules/numpy_extra_rules.py), one module per kind of function;
  special_series.py, signals.py, odeint.py: of the further SciPy rules;
* complex_numbers.py: the conventions for complex values;
* python_builtins.py: tuple(), sorted(), dict views, globals;
* records.py: fields of NamedTuples and dataclass instances;
* effects.py: in-place effects rewritten as updated copies;
* checkpoint.py: the memory budget's loop checkpoints;
* numba_kernels.py: numba versions of core's helpers (backend="numba").

This module assembles the namespace generated code is compiled in:
`TEMPLATE_HELPERS` (the names a rule template may call) and
`GENERATED_CODE_HELPERS` (those plus what the transformer itself emits).
"""

from __future__ import annotations

import builtins

from . import arrays as runtime_arrays
from . import complex_numbers as runtime_complex
from . import effects as runtime_effects
from . import fft as runtime_fft
from . import index_tricks as runtime_index_tricks
from . import linalg as runtime_linalg
from . import python_builtins as runtime_builtins
from . import python_math as runtime_python_math
from . import python_statistics as runtime_python_statistics
from . import records as runtime_records
from . import calculus, covariance, elementwise, histograms, matrices, odeint, polynomials, \
    selections, sets, signals, special_series, keyword_forms, scipy_linalg
from . import special as runtime_special
from . import statistics as runtime_statistics
from . import stats as runtime_stats
from .core import add_adjoints, added_adjoint, added_tangent, add_into, as_gradient, broadcast_like, checked, checked_seed, dot_adjoint_a, \
    dot_adjoint_b, getitem_adjoint, in_place_result, in_place_tangent, loop_sequence_adjoint, loop_sequence_tangent, \
    matmul_adjoint_a, matmul_adjoint_b, mean_adjoint, mean_count, mean_seed, real_values, \
    scalar_seed, sequence_as_array, array_tangent, sequence_entries, sequence_tangent, setitem, setitem_value_adjoint, setitem_value_tangent, sign, divide, power, softmax, softmax_product, sum_adjoint, sum_seed, \
    sum_items_adjoint, transpose_adjoint, unbroadcast, uniform_mean_adjoint, uniform_sum_adjoint, \
    zeros_like

# The helpers a rule template may call by name (checked when rules are registered).
TEMPLATE_HELPERS = {
    "unbroadcast": unbroadcast, "broadcast_like": broadcast_like, "zeros_like": zeros_like,
    "add_adjoints": add_adjoints, "added_adjoint": added_adjoint, "added_tangent": added_tangent,
    "sum_items_adjoint": sum_items_adjoint, "setitem": setitem, "setitem_value_adjoint": setitem_value_adjoint,
    "setitem_value_tangent": setitem_value_tangent,
    "sign": sign, "divide": divide, "power": power,
    "sum_adjoint": sum_adjoint, "mean_count": mean_count, "mean_adjoint": mean_adjoint,
    "getitem_adjoint": getitem_adjoint, "transpose_adjoint": transpose_adjoint,
    "dot_adjoint_a": dot_adjoint_a, "dot_adjoint_b": dot_adjoint_b,
    "matmul_adjoint_a": matmul_adjoint_a, "matmul_adjoint_b": matmul_adjoint_b,
    "checked_seed": checked_seed, "as_gradient": as_gradient,
    "sequence_entries": sequence_entries, "sequence_tangent": sequence_tangent,
    "sequence_as_array": sequence_as_array, "array_tangent": array_tangent,
    "in_place_result": in_place_result, "in_place_tangent": in_place_tangent,
    "softmax_product": softmax_product,
    "uniform_sum_adjoint": uniform_sum_adjoint, "uniform_mean_adjoint": uniform_mean_adjoint,
    "sum": builtins.sum,  # the tangent of sum(items) is the sum of their tangents
}
# Helpers of the NumPy, numpy.linalg and scipy.special rules (one module each).
TEMPLATE_HELPERS.update({name: getattr(module, name) for module, names in (
    (runtime_arrays, """part sum_to_shape expand_reduced real_if_close_derivative sinc_derivative clip_inside prod_others extremum_weights extremum_initial_weight var_adjoint var_given_adjoint
        var_given_tangent var_mean_adjoint var_mean_tangent prod_others_where
        var_tangent cumsum_adjoint cumprod_adjoint cumprod_tangent trace_adjoint
        diagonal_adjoint diag_adjoint average_adjoint_a average_adjoint_weights
        average_tangent take_adjoint take_along_axis_adjoint sort_adjoint sort_tangent
        concatenate_adjoint stack_adjoint hstack_adjoint vstack_adjoint dstack_adjoint
        column_stack_adjoint append_adjoint split_adjoint unstack_adjoint array_adjoint cast_tangent
        cast_adjoint tile_adjoint sliding_window_adjoint repeat_adjoint pad_adjoint pad_constant_adjoint
        pad_tangent meshgrid_adjoint meshgrid_tangent diff_adjoint diff_joined joined_part diff_joined_adjoint linspace_adjoint linspace_tangent arange_adjoint arange_tangent layout_order pieces part_adjoint
        uncast array_from_adjoints prod_others_tangent sinc_second_derivative float_dtype"""),
    (runtime_linalg, """mT vecdot_adjoint inner_adjoint tensordot_adjoint einsum_adjoint einsum_tangent
        einsum_adjoint_operands_tangent einsum_adjoint_operands_adjoint
        einsum_tangent_operands_tangent
        cross_adjoint kron_adjoint multi_dot_adjoint multi_dot_tangent convolve_adjoint
        correlate_adjoint norm_adjoint norm_tangent matrix_norm_adjoint
        matrix_norm_tangent vector_norm_adjoint vector_norm_tangent det_adjoint det_tangent
        det_second cofactors_derivative_from_svd refuse_det_third_derivative
        slogdet_adjoint slogdet_tangent solve_adjoint_a solve_adjoint_b solve_tangent_a
        solve_transposed solution_product
        cholesky_adjoint cholesky_tangent qr_adjoint qr_tangent eigh_adjoint
        eigh_tangent eigvalsh_adjoint eigvalsh_tangent svd_adjoint svd_tangent
        svdvals_adjoint svdvals_tangent pinv_adjoint pinv_tangent matrix_power_adjoint
        matrix_power_tangent"""),
    (runtime_index_tricks, "index_trick_adjoint index_trick_tangent"),
    (runtime_complex, """abs_adjoint abs_tangent angle_adjoint angle_tangent sign_adjoint
        sign_tangent zero_for_real abs_adjoint_point_tangent abs_adjoint_point_adjoint
        abs_tangent_point_tangent abs_tangent_point_adjoint angle_tangent_point_tangent
        angle_tangent_point_adjoint conjugate_for_complex"""),
    (runtime_fft, """fft_adjoint fftn_adjoint rfft_adjoint rfftn_adjoint irfft_adjoint
        irfftn_adjoint frequencies_adjoint fft_forward fftn_forward"""),
    (runtime_special, """digamma polygamma logsumexp_adjoint logsumexp_adjoint_b
        logsumexp_tangent softmax_adjoint solve_triangular_adjoint solve_triangular_tangent"""),
) for name in names.split()})

# Helpers of the scipy.stats rules, of the further NumPy/SciPy rules and of the
# rules for Python's sequence builtins (each module lists its own).
TEMPLATE_HELPERS.update(runtime_stats.TEMPLATE_HELPERS)
for _module in (matrices, calculus, selections, polynomials, covariance, elementwise, histograms,
                sets, special_series, signals, odeint, keyword_forms, scipy_linalg):
    TEMPLATE_HELPERS.update(_module.TEMPLATE_HELPERS)
TEMPLATE_HELPERS.update(runtime_statistics.TEMPLATE_HELPERS)
TEMPLATE_HELPERS.update(runtime_builtins.TEMPLATE_HELPERS)
TEMPLATE_HELPERS.update(runtime_python_statistics.TEMPLATE_HELPERS)  # Python's statistics module
TEMPLATE_HELPERS.update(runtime_python_math.TEMPLATE_HELPERS)  # math.dist, math.log(x, b)
TEMPLATE_HELPERS.update(runtime_records.TEMPLATE_HELPERS)  # fields of NamedTuples

# In-place effects, rewritten as updated copies (effects.py).
TEMPLATE_HELPERS.update({name: getattr(runtime_effects, name) for name in (
    "add_at", "sort_in_place", "check_unshared", "check_distinct", "diagonal_positions",
    "cycle_positions", "put_indices", "flat_positions", "check_out_buffer", "check_not_held", "check_entry_held", "writes_through", "is_view_of",
    "reads_change")})

# The adjoint and tangent of a for loop's sequence (core.loop_sequence).
TEMPLATE_HELPERS.update(loop_sequence_adjoint=loop_sequence_adjoint,
                        loop_sequence_tangent=loop_sequence_tangent)

# Derivatives at points where a formula divides by zero (arrays.py).
TEMPLATE_HELPERS.update({name: getattr(runtime_arrays, name) for name in (
    "quotient_or_zero", "zero_at_zero_base", "power_log", "power_slope", "power_partial",
    "exponent_term", "var_adjoint_a")})

# Everything generated code may reference: the templates' helpers, and the
# seed, forward mode's check and a loop's in-place accumulation that the
# transformer emits itself.
GENERATED_CODE_HELPERS = {**TEMPLATE_HELPERS, "scalar_seed": scalar_seed,
                          "real_values": real_values, "add_into": add_into,
                          "softmax": softmax, "sum_seed": sum_seed, "mean_seed": mean_seed,
                          "checked": checked,
                          # f(*items) of a rule function (passes/anf.py)
                          "unpacked_length": runtime_builtins.unpacked_length}
