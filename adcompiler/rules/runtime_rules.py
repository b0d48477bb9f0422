"""Derivatives of the helpers that generated code calls (adcompiler.runtime).

These make generated derivative code valid input to the compiler, so that
`hessian`, `hvp` and `jvp(grad(f))` are the forward transformation applied to
generated reverse-mode code. Most helpers are linear in the adjoint they carry
(their derivative is the helper itself, applied to `g`), and the products'
adjoints are bilinear: `dot_adjoint_a(G, a, b)` is linear in G and in b.
"""

import builtins

from ..runtime import core as runtime_core
from ..runtime import arrays as runtime_arrays
from ..runtime import complex_numbers as runtime_complex
from ..runtime import effects as runtime_effects
from ..runtime import exceptions as runtime_exceptions
from ..runtime import fft as runtime_fft
from ..runtime import mapping as runtime_mapping
from ..runtime import records as runtime_records
from .definition import linear_rule, nondifferentiable, pointwise, pointwise_split

RULES = [
    *nondifferentiable(runtime_core.scalar_seed, runtime_core.sum_seed, runtime_core.mean_seed,
                       runtime_core.zeros_like, runtime_core.ones_like, runtime_core.sign,
                       runtime_core.mean_count, builtins.reversed, builtins.slice,
                       runtime_effects.check_unshared, runtime_effects.check_distinct,
                       runtime_effects.diagonal_positions, runtime_effects.cycle_positions,
                       runtime_effects.put_indices, runtime_effects.flat_positions,
                       runtime_effects.check_out_buffer, runtime_effects.check_sorted_list,
                       runtime_effects.update_keys,
                       runtime_effects.check_not_held, runtime_effects.check_entry_held,
                       runtime_effects.writes_through, runtime_effects.is_view_of,
                       runtime_effects.reads_change,
                       # a rule's check on values known only when the code runs
                       runtime_core.checked,
                       # a try statement's attempts (passes/lower_try.py)
                       runtime_exceptions.try_body, runtime_exceptions.exception_of,
                       runtime_exceptions.kinds_caught,
                       runtime_exceptions.raised),
    # a.sort(axis), as a = sort_in_place(a, axis): np.sort's derivative.
    linear_rule(runtime_effects.sort_in_place, "a, axis=-1, kind=None, order=None",
                adjoint={"a": "sort_adjoint(g, a, axis)"},
                tangent={"a": "sort_tangent(g, a, axis)"},
                label="a.sort(), as sort_in_place"),
    # np.add.at(a, index, value), as the updated copy a = add_at(a, index, value):
    # every occurrence of a repeated index gathers the adjoint at its position.
    linear_rule(runtime_effects.add_at, "a, index, value",
                adjoint={"a": "g", "value": "unbroadcast(g[index], value)"},
                tangent={"a": "g", "value": "add_at(zeros_like(result), index, g)"},
                label="np.add.at(a, index, value), as add_at"),
    # A tuple or list operand of a NumPy function, read as the array NumPy
    # makes of it (forward_mode.py, adjoint_rules.py): both are linear, and
    # the adjoint of an array made of a list's entries goes back entry by entry
    # where the list's adjoint is accumulated (add_adjoints).
    linear_rule(runtime_core.sequence_as_array, "value",
                adjoint={"value": "g"}, tangent={"value": "array_tangent(g, value)"}),
    linear_rule(runtime_core.array_tangent, "tangent, value",
                adjoint={"tangent": "g"}, tangent={"tangent": "array_tangent(g, value)"}),
    # An array b added into a list's adjoint a entry by entry takes back the
    # array of the entries (added_adjoint; grad of a gradient). The sum has
    # a's kind: a list for a list, an array for an array (array + list), and
    # so has the tangent b gives it (added_tangent; a Hessian).
    linear_rule(runtime_core.add_adjoints, "a, b",
                adjoint={"a": "g", "b": "added_adjoint(g, b)"},
                tangent={"a": "g", "b": "added_tangent(g, a)"}),
    linear_rule(runtime_core.added_adjoint, "adjoint, operand",
                adjoint={"adjoint": "g"}, tangent={"adjoint": "added_adjoint(g, operand)"}),
    # Rows of an array handed to a list: the transpose gives the array back.
    linear_rule(runtime_core.added_tangent, "tangent, like",
                adjoint={"tangent": "added_adjoint(g, tangent)"},
                tangent={"tangent": "added_tangent(g, like)"}),
    # total += contribution, a loop's adjoint accumulating (the normaliser
    # reads generated code's `dW = add_into(dW, c)` as `dW += c` before any
    # rule is looked up; this entry covers the helper wherever else it is met).
    linear_rule(runtime_core.add_into, "total, contribution",
                adjoint={"total": "g", "contribution": "unbroadcast(g, contribution)"},
                tangent={"total": "g", "contribution": "broadcast_like(g, result)"}),
    # sum_items_adjoint(G, items) = [unbroadcast(G, item) ...]: its transpose
    # broadcasts the sum of the entries back (broadcasting and sums commute).
    linear_rule(runtime_core.sum_items_adjoint, "adjoint, items",
                adjoint={"adjoint": "broadcast_like(sum(g), adjoint)"},
                tangent={"adjoint": "sum_items_adjoint(g, items)"}),
    # The adjoints of np.stack and np.concatenate cut g into one piece per
    # array; joining the pieces back is their transpose.
    linear_rule(runtime_arrays.stack_adjoint, "adjoint, arrays, axis",
                adjoint={"adjoint": "np.stack(g, axis=axis)"},
                tangent={"adjoint": "stack_adjoint(g, arrays, axis)"}),
    linear_rule(runtime_arrays.concatenate_adjoint, "adjoint, arrays, axis",
                adjoint={"adjoint": "np.reshape(np.concatenate(g, axis=axis), np.shape(adjoint))"},
                tangent={"adjoint": "concatenate_adjoint(g, arrays, axis)"}),
    linear_rule(runtime_core.setitem_value_adjoint, "adjoint, index, value, into",
                adjoint={"adjoint": "setitem_value_tangent(g, index, into)"},
                tangent={"adjoint": "setitem_value_adjoint(g, index, value, into)"}),
    linear_rule(runtime_core.setitem_value_tangent, "tangent, index, into",
                adjoint={"tangent": "setitem_value_adjoint(g, index, tangent, into)"},
                tangent={"tangent": "setitem_value_tangent(g, index, into)"}),
    # The seed of a complex result, and a complex argument's gradient, are
    # conjugated at the border (runtime/complex_numbers.py): so are their adjoints.
    linear_rule(runtime_core.checked_seed, "seed, output, where",
                adjoint={"seed": "conjugate_for_complex(g, output)"},
                tangent={"seed": "checked_seed(g, output, where)"}),
    linear_rule(runtime_core.in_place_result, "value, target",
                adjoint={"value": "g"},
                tangent={"value": "in_place_tangent(g, target)"}),
    linear_rule(runtime_core.in_place_tangent, "tangent, target",
                adjoint={"tangent": "g"},
                tangent={"tangent": "in_place_tangent(g, target)"}),
    linear_rule(runtime_core.sequence_entries, "adjoint, length, where",
                adjoint={"adjoint": "g"},
                tangent={"adjoint": "sequence_entries(g, length, where)"}),
    linear_rule(runtime_core.sequence_tangent, "tangent, value, where",
                adjoint={"tangent": "g"},
                tangent={"tangent": "sequence_tangent(g, value, where)"}),
    linear_rule(runtime_core.as_gradient, "adjoint, x",
                adjoint={"adjoint": "unbroadcast(conjugate_for_complex(g, x), adjoint)"},
                tangent={"adjoint": "as_gradient(g, x)"}),
    linear_rule(runtime_core.unbroadcast, "adjoint, x",
                adjoint={"adjoint": "broadcast_like(g, adjoint)"},
                tangent={"adjoint": "unbroadcast(g, x)"}),
    linear_rule(runtime_core.broadcast_like, "t, like",
                adjoint={"t": "unbroadcast(g, t)"},
                tangent={"t": "broadcast_like(g, like)"}),
    linear_rule(runtime_core.mean_adjoint, "adjoint, a, axis, keepdims",
                adjoint={"adjoint": "np.sum(g, axis=axis, keepdims=keepdims) / "
                                    "mean_count(a, axis)"},
                tangent={"adjoint": "mean_adjoint(g, a, axis, keepdims)"}),
    linear_rule(runtime_core.sum_adjoint, "adjoint, a, axis, keepdims",
                adjoint={"adjoint": "np.sum(g, axis=axis, keepdims=keepdims)"},
                tangent={"adjoint": "sum_adjoint(g, a, axis, keepdims)"}),
    linear_rule(runtime_core.getitem_adjoint, "adjoint, x, index",
                adjoint={"adjoint": "g[index]"},
                tangent={"adjoint": "getitem_adjoint(g, x, index)"}),
    linear_rule(runtime_core.transpose_adjoint, "adjoint, axes",
                adjoint={"adjoint": "np.transpose(g, axes)"},
                tangent={"adjoint": "transpose_adjoint(g, axes)"}),
    linear_rule(runtime_core.dot_adjoint_a, "adjoint, a, b",
                adjoint={"adjoint": "np.dot(g, b)", "b": "dot_adjoint_b(adjoint, g, b)"},
                tangent={"adjoint": "dot_adjoint_a(g, a, b)",
                         "b": "dot_adjoint_a(adjoint, a, g)"}),
    linear_rule(runtime_core.dot_adjoint_b, "adjoint, a, b",
                adjoint={"adjoint": "np.dot(a, g)", "a": "dot_adjoint_a(adjoint, a, g)"},
                tangent={"adjoint": "dot_adjoint_b(g, a, b)",
                         "a": "dot_adjoint_b(adjoint, g, b)"}),
    linear_rule(runtime_core.matmul_adjoint_a, "adjoint, a, b",
                adjoint={"adjoint": "np.matmul(g, b)", "b": "matmul_adjoint_b(adjoint, g, b)"},
                tangent={"adjoint": "matmul_adjoint_a(g, a, b)",
                         "b": "matmul_adjoint_a(adjoint, a, g)"}),
    linear_rule(runtime_core.matmul_adjoint_b, "adjoint, a, b",
                adjoint={"adjoint": "np.matmul(a, g)", "a": "matmul_adjoint_a(adjoint, a, g)"},
                tangent={"adjoint": "matmul_adjoint_b(g, a, b)",
                         "a": "matmul_adjoint_b(adjoint, g, b)"}),
    # The adjoint of a full sum or mean as one number (passes/uniform_adjoints.py).
    linear_rule(runtime_core.uniform_sum_adjoint, "adjoint, a",
                adjoint={"adjoint": "np.sum(g)"},
                tangent={"adjoint": "uniform_sum_adjoint(g, a)"}),
    linear_rule(runtime_core.uniform_mean_adjoint, "adjoint, a",
                adjoint={"adjoint": "np.sum(g) / mean_count(a, None)"},
                tangent={"adjoint": "uniform_mean_adjoint(g, a)"}),
    # A softmax written out in NumPy (passes/fuse_softmax.py): the Jacobian
    # diag(s) - s s^T is symmetric, one formula serves both modes; the shift
    # by a maximum has no derivative (softmax does not change under it).
    linear_rule(runtime_core.softmax, "x, axis, shift",
                adjoint={"x": "softmax_product(g, result, axis)"},
                tangent={"x": "softmax_product(g, result, axis)"},
                label="a softmax written out (exp(x - max) / sum), as softmax"),
    # softmax_product(G, s) = s (G - sum(G s)): linear and symmetric in G; in
    # s, the product rule.
    linear_rule(runtime_core.softmax_product, "adjoint, s, axis",
                adjoint={"adjoint": "softmax_product(g, s, axis)",
                         "s": "g * (adjoint - np.sum(adjoint * s, axis=axis, keepdims=True)) - "
                              "adjoint * np.sum(g * s, axis=axis, keepdims=True)"},
                tangent={"adjoint": "softmax_product(g, s, axis)",
                         "s": "g * (adjoint - np.sum(adjoint * s, axis=axis, keepdims=True)) - "
                              "s * np.sum(adjoint * g, axis=axis, keepdims=True)"}),
]


# A for loop's sequence (lower_control.py): the identity for what is iterated
# as it is, a zero for a dict's keys. Its adjoint and tangent are linear, each
# the other's transpose.
RULES += [
    *nondifferentiable(runtime_core.loop_keys, runtime_core.loop_length_kept,
                       runtime_core.check_iterated_as_is),
    linear_rule(runtime_core.loop_sequence, "iterable, where",
                adjoint={"iterable": "loop_sequence_adjoint(g, iterable, where)"},
                tangent={"iterable": "loop_sequence_tangent(g, iterable, where)"}),
    linear_rule(runtime_core.loop_sequence_adjoint, "adjoint, iterable, where",
                adjoint={"adjoint": "loop_sequence_tangent(g, iterable, where)"},
                tangent={"adjoint": "loop_sequence_adjoint(g, iterable, where)"}),
    linear_rule(runtime_core.loop_sequence_tangent, "tangent, iterable, where",
                adjoint={"tangent": "loop_sequence_adjoint(g, iterable, where)"},
                tangent={"tangent": "loop_sequence_tangent(g, iterable, where)"}),
]

# A field read of a record (`p.w` of a NamedTuple, as operations.py classifies
# it): the adjoint puts g at that field, the tangent reads the field of the
# record's tangent; each is the other's transpose. The record itself only
# gives the structure.
RULES += [
    linear_rule(runtime_records.field, "record, name, where",
                adjoint={"record": "field_adjoint(g, record, name, where)"},
                tangent={"record": "field_tangent(g, record, name, where)"},
                label="a field read of a NamedTuple, record.name"),
    linear_rule(runtime_records.field_adjoint, "adjoint, record, name, where",
                adjoint={"adjoint": "field_tangent(g, record, name, where)"},
                tangent={"adjoint": "field_adjoint(g, record, name, where)"}),
    linear_rule(runtime_records.field_tangent, "tangent, record, name, where",
                adjoint={"tangent": "field_adjoint(g, record, name, where)"},
                tangent={"tangent": "field_tangent(g, record, name, where)"}),
    # p._replace(w=v) passes on p's derivative but at the fields it replaces:
    # a projection, its own transpose.
    linear_rule(runtime_records.fields_cleared, "adjoint, record, names, where",
                adjoint={"adjoint": "fields_cleared(g, record, names, where)"},
                tangent={"adjoint": "fields_cleared(g, record, names, where)"}),
    # A public jvp's tangent in the result's structure (a record of its class):
    # the same entries, so its adjoint is g as it comes (entries, by position).
    linear_rule(runtime_records.structured_like, "derivative, value",
                adjoint={"derivative": "g"},
                tangent={"derivative": "structured_like(g, value)"}),
]

# Forward mode's check that arguments, tangents and results are real: no derivative.
RULES += nondifferentiable(runtime_core.real_values)
# A Jacobian or Hessian built inside, of what its generated code does not take
# (compose.inside): the API's, computed; a derivative through it refused when it runs.
RULES += nondifferentiable(runtime_core.real_array_operand)
_ASSEMBLED = ("no_derivative(g, 'a Jacobian or Hessian built inside a differentiated "
              "function, of a function of a dict, list or tuple of arrays or of complex "
              "values,', 'arguments')")
RULES += [linear_rule(runtime_core.assembled_by_the_api, "assembled, arguments",
                      label="Jacobian or Hessian assembled by the API",
                      adjoint={"arguments": _ASSEMBLED}, tangent={"arguments": _ASSEMBLED})]

# Masks of derivatives at points where their formula divides by zero: linear in
# the value masked; the mask is piecewise constant in the rest.
RULES += [
    pointwise(runtime_arrays.quotient_or_zero, "numerator, denominator",
              numerator="quotient_or_zero(g, denominator)",
              denominator="-quotient_or_zero(g * result, denominator)"),
    pointwise(runtime_arrays.zero_at_zero_base, "value, base, exponent, above=None",
              value="zero_at_zero_base(g, base, exponent, above)"),
    # The partials come masked, so that a masked (zero) adjoint never meets
    # log(0) = -inf in a product (0 * inf = nan in second derivatives).
    # d^order (x ** y) / dx^order, 0 where its factor y (y - 1) ... is: its
    # slope in x is the next order, so x ** 0 and x ** 1 keep zero second
    # derivatives at x == 0.
    # A template's `/` and `**` (rules/definition.py): the operators' rules,
    # whose own templates divide and raise to powers with these helpers too.
    pointwise(runtime_core.divide, "numerator, denominator", numerator="g / denominator",
              denominator="-g * result / denominator"),
    pointwise(runtime_core.power, "base, exponent", base="g * power_slope(base, exponent, 1)",
              exponent="g * power_log(base, exponent, result)"),
    # The exponent's share is 0 where its tangent is (exponent_term): its
    # partial holds log(x), nan where x < 0, and a Hessian's code gives a
    # constant exponent read back from a stack a zero tangent.
    pointwise(runtime_arrays.power_slope, "x, y, order",
              x="g * power_slope(x, y, order + 1)",
              y="exponent_term(g, power_partial(x, y, order, 1))"),
    pointwise(runtime_arrays.power_partial, "x, y, m, n",
              x="g * power_partial(x, y, m + 1, n)",
              y="exponent_term(g, power_partial(x, y, m, n + 1))"),
    # Masked by the side that moves, so a zero tangent stays no term at all.
    pointwise(runtime_arrays.exponent_term, "scale, partial",
              scale="exponent_term(g, partial)", partial="exponent_term(scale, g)"),
    # power_log(x, y, x ** y) = x ** y log(x). At x == 0 its partials are the
    # limits of the second derivatives of x ** y (0 where they are finite, nan
    # where not: zero_at_zero_base with `above`), never a division by x (a
    # ZeroDivisionError for Python numbers), and agree with power_partial's, so
    # d2/dx dy is the same in both orders: together, d/dx of power_log is
    # (power / x + log(x) y x ** (y - 1)), 0 at x == 0 exactly where y > 1.
    pointwise(runtime_arrays.power_log, "x, y, power",
              x="g * zero_at_zero_base(quotient_or_zero(power, x), x, y, 1)",
              # (log of x in power's dtype: NumPy takes the log of uint8 in float16)
              power="g * zero_at_zero_base(np.log(x * np.ones_like(power)), x, y, 0)"),
]

# np.var's adjoint and tangent are bilinear: in the derivative they carry and in
# `a` (through a - mean(a)), for second derivatives of np.var and np.std.
RULES += [
    linear_rule(runtime_arrays.var_adjoint, "adjoint, a, axis, ddof, keepdims",
                adjoint={"adjoint": "var_tangent(g, a, axis, ddof, keepdims)",
                         "a": "var_adjoint_a(g, adjoint, a, axis, ddof, keepdims)"},
                tangent={"adjoint": "var_adjoint(g, a, axis, ddof, keepdims)",
                         "a": "var_adjoint(adjoint, g, axis, ddof, keepdims)"}),
    linear_rule(runtime_arrays.var_tangent, "t, a, axis, ddof, keepdims",
                adjoint={"t": "var_adjoint(g, a, axis, ddof, keepdims)",
                         "a": "var_adjoint_a(t, g, a, axis, ddof, keepdims)"},
                tangent={"t": "var_tangent(g, a, axis, ddof, keepdims)",
                         "a": "var_tangent(t, g, axis, ddof, keepdims)"}),
]

# The adjoints and tangents of np.abs, np.angle and np.sign (runtime/complex_numbers.py)
# are linear in the derivative they carry, each the transpose of the other. In
# the point they are constant for real values; for complex ones, abs's are
# differentiated there by the *_point_* helpers, sign's are refused.
RULES += [
    pointwise_split(helper, "d, x", adjoint={"d": f"{transpose}(g, x)", "x": point_adjoint},
                    tangent={"d": f"{name}(g, x)", "x": point_tangent})
    for helper, name, transpose, point_tangent, point_adjoint in (
        (runtime_complex.abs_adjoint, "abs_adjoint", "abs_tangent",
         "abs_adjoint_point_tangent(g, d, x)", "abs_adjoint_point_adjoint(g, d, x)"),
        (runtime_complex.abs_tangent, "abs_tangent", "abs_adjoint",
         "abs_tangent_point_tangent(g, d, x)", "abs_tangent_point_adjoint(g, d, x)"),
        (runtime_complex.sign_adjoint, "sign_adjoint", "sign_tangent",
         "zero_for_real(g, x, 'np.sign')", "zero_for_real(g, x, 'np.sign')"),
        (runtime_complex.sign_tangent, "sign_tangent", "sign_adjoint",
         "zero_for_real(g, x, 'np.sign')", "zero_for_real(g, x, 'np.sign')"))]
# angle_adjoint(d, z) = -i Re(d) / z is holomorphic in z: its derivative there is
# -angle_adjoint(d, z) / z (written with angle_adjoint(1, z) = -i / z, 0 at 0).
_ANGLE_ADJOINT_Z = "-1j * g * angle_adjoint(d, z, deg) * angle_adjoint(1.0, z, False)"
RULES += [
    pointwise_split(runtime_complex.angle_adjoint, "d, z, deg=False",
                    adjoint={"d": "angle_tangent(g, z, deg)", "z": _ANGLE_ADJOINT_Z},
                    tangent={"d": "angle_adjoint(g, z, deg)", "z": _ANGLE_ADJOINT_Z}),
    pointwise_split(runtime_complex.angle_tangent, "d, z, deg=False",
                    adjoint={"d": "angle_adjoint(g, z, deg)",
                             "z": "angle_tangent_point_adjoint(g, d, z, deg)"},
                    tangent={"d": "angle_tangent(g, z, deg)",
                             "z": "angle_tangent_point_tangent(g, d, z, deg)"}),
]
RULES += nondifferentiable(runtime_complex.zero_for_real)  # a zero, or a refusal
# The second derivatives of abs and angle in their point (runtime/complex_numbers.py)
# are real-linear in t (the helpers' g) and in d, each pair the transpose of the
# other; in the point, abs's are 0 for real values and refused for complex ones
# (a third derivative through abs of complex values).
_THIRD_ABS = "zero_for_real(g, x, 'a third derivative of np.abs')"
RULES += [
    pointwise_split(runtime_complex.abs_adjoint_point_tangent, "t, d, x",
                    adjoint={"t": "abs_adjoint_point_adjoint(g, d, x)",
                             "d": "np.real(g * np.conj(sign_tangent(t, x)))", "x": _THIRD_ABS},
                    tangent={"t": "abs_adjoint_point_tangent(g, d, x)",
                             "d": "abs_adjoint_point_tangent(t, g, x)", "x": _THIRD_ABS}),
    pointwise_split(runtime_complex.abs_adjoint_point_adjoint, "t, d, x",
                    adjoint={"t": "abs_adjoint_point_tangent(g, d, x)",
                             "d": "np.real(g * sign_adjoint(np.conj(t), x))", "x": _THIRD_ABS},
                    tangent={"t": "abs_adjoint_point_adjoint(g, d, x)",
                             "d": "abs_adjoint_point_adjoint(t, g, x)", "x": _THIRD_ABS}),
    pointwise_split(runtime_complex.abs_tangent_point_tangent, "t, d, x",
                    adjoint={"t": "abs_tangent_point_adjoint(g, d, x)",
                             "d": "np.real(g) * np.conj(sign_tangent(t, x))", "x": _THIRD_ABS},
                    tangent={"t": "abs_tangent_point_tangent(g, d, x)",
                             "d": "abs_tangent_point_tangent(t, g, x)", "x": _THIRD_ABS}),
    pointwise_split(runtime_complex.abs_tangent_point_adjoint, "t, d, x",
                    adjoint={"t": "abs_tangent_point_tangent(g, d, x)",
                             "d": "np.real(t) * np.conj(sign_tangent(g, x))", "x": _THIRD_ABS},
                    tangent={"t": "abs_tangent_point_adjoint(g, d, x)",
                             "d": "abs_tangent_point_adjoint(t, g, x)", "x": _THIRD_ABS}),
    # angle's are symmetric in t and d, Im(-d t / z^2) and i d Re(t) / z^2, and the
    # part in z is holomorphic there (1 / z = i angle_adjoint(1, z), 0 at 0)
    pointwise_split(runtime_complex.angle_tangent_point_tangent, "t, d, z, deg=False",
                    adjoint={"t": "angle_tangent_point_adjoint(g, d, z, deg)",
                             "d": "angle_tangent_point_adjoint(g, t, z, deg)",
                             "z": "-2j * t * angle_adjoint(1.0, z, False) * "
                                  "angle_tangent_point_adjoint(g, d, z, deg)"},
                    tangent={"t": "angle_tangent_point_tangent(g, d, z, deg)",
                             "d": "angle_tangent_point_tangent(t, g, z, deg)",
                             "z": "angle_tangent_point_tangent(-2j * g * t * "
                                  "angle_adjoint(1.0, z, False), d, z, deg)"}),
    pointwise_split(runtime_complex.angle_tangent_point_adjoint, "t, d, z, deg=False",
                    adjoint={"t": "angle_tangent_point_tangent(g, d, z, deg)",
                             "d": "angle_tangent_point_adjoint(t, g, z, deg)",
                             "z": "-2j * g * angle_adjoint(1.0, z, False) * "
                                  "angle_tangent_point_adjoint(t, d, z, deg)"},
                    tangent={"t": "angle_tangent_point_adjoint(g, d, z, deg)",
                             "d": "angle_tangent_point_adjoint(t, g, z, deg)",
                             "z": "-2j * g * angle_adjoint(1.0, z, False) * "
                                  "angle_tangent_point_adjoint(t, d, z, deg)"}),
    # conj(g) for a complex x: its own transpose
    linear_rule(runtime_complex.conjugate_for_complex, "t, x",
                adjoint={"t": "conjugate_for_complex(g, x)"},
                tangent={"t": "conjugate_for_complex(g, x)"}),
]

# numpy.fft's adjoints (runtime/fft.py) are linear in the derivative they carry
# and depend on the input only through its shape; each one's transpose is the
# transform itself (a transpose of a transpose).
_FFT = runtime_fft
RULES += [
    linear_rule(_FFT.fft_adjoint, "d, a, n, axis, norm, inverse=False",
                adjoint={"d": "fft_forward(g, n, axis, norm, inverse)"},
                tangent={"d": "fft_adjoint(g, a, n, axis, norm, inverse)"}),
    linear_rule(_FFT.fft_forward, "d, n, axis, norm, inverse=False",
                adjoint={"d": "fft_adjoint(g, d, n, axis, norm, inverse)"},
                tangent={"d": "fft_forward(g, n, axis, norm, inverse)"}),
    linear_rule(_FFT.fftn_adjoint, "d, a, s, axes, norm, inverse=False",
                adjoint={"d": "fftn_forward(g, s, axes, norm, inverse)"},
                tangent={"d": "fftn_adjoint(g, a, s, axes, norm, inverse)"}),
    linear_rule(_FFT.fftn_forward, "d, s, axes, norm, inverse=False",
                adjoint={"d": "fftn_adjoint(g, d, s, axes, norm, inverse)"},
                tangent={"d": "fftn_forward(g, s, axes, norm, inverse)"}),
    linear_rule(_FFT.rfft_adjoint, "d, a, n, axis, norm",
                adjoint={"d": "np.fft.rfft(np.real(g), n, axis, norm)"},
                tangent={"d": "rfft_adjoint(g, a, n, axis, norm)"}),
    linear_rule(_FFT.irfft_adjoint, "d, a, n, axis, norm",
                adjoint={"d": "np.fft.irfft(g, n, axis, norm)"},
                tangent={"d": "irfft_adjoint(g, a, n, axis, norm)"}),
    linear_rule(_FFT.rfftn_adjoint, "d, a, s, axes, norm",
                adjoint={"d": "np.fft.rfftn(np.real(g), s, axes, norm)"},
                tangent={"d": "rfftn_adjoint(g, a, s, axes, norm)"}),
    linear_rule(_FFT.irfftn_adjoint, "d, a, s, axes, norm",
                adjoint={"d": "np.fft.irfftn(g, s, axes, norm)"},
                tangent={"d": "irfftn_adjoint(g, a, s, axes, norm)"}),
    # -sum(d * result) / spacing: linear in d and in result, and 1 / spacing.
    linear_rule(_FFT.frequencies_adjoint, "d, freqs, spacing",
                adjoint={"d": "-g * freqs / spacing", "freqs": "-g * d / spacing",
                         "spacing": "-g * frequencies_adjoint(d, freqs, spacing) / spacing"},
                tangent={"d": "frequencies_adjoint(g, freqs, spacing)",
                         "freqs": "frequencies_adjoint(d, g, spacing)",
                         "spacing": "-g * frequencies_adjoint(d, freqs, spacing) / spacing"}),
]

# The NumPy, numpy.linalg and scipy.special rules' own helpers (helper_rules.py),
# each checked against finite differences by tests/test_higher_order_closure.py.
from .helper_rules import RULES as _HELPER_RULES  # noqa: E402
from .scipy_linalg_helper_rules import RULES as _SCIPY_LINALG_HELPER_RULES  # noqa: E402

RULES += _HELPER_RULES + _SCIPY_LINALG_HELPER_RULES

# The shapes, axes and dtypes of the loops np.apply_along_axis and np.vectorize
# are written as (passes/lower_mapping.py), and NumPy's errors there.
RULES += nondifferentiable(
    runtime_mapping.along_axis_rows_shape, runtime_mapping.along_axis_dtype,
    runtime_mapping.along_axis_result_shape, runtime_mapping.along_axis_result_axes,
    runtime_mapping.vectorize_first_entries, runtime_mapping.vectorize_output_dtype,
    runtime_mapping.vectorize_broadcast_shape, runtime_mapping.vectorize_results_dtype)
