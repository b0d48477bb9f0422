"""Red-team corpus, round 5: programs written to find silently wrong
derivatives where rounds 1-4 did not look: Python's numeric semantics
(floor division and `%` of negative numbers, `**` with negative bases and
integer exponents, precedence and associativity, `True + True`, banker's
rounding), dtypes (integer `dtype=` of reductions and constructors, float32
constants and scalars, 0-d arrays, bool arrays used as numbers), NumPy's
keyword corners (`initial=`, `where=`, axis tuples, `keepdims`, `ddof`,
implicit einsum output, differentiated arguments of constructors such as
`np.arange` and `np.full`), fancy indexing with negative and boolean
indices, `np.where` with one argument, `np.take` modes, Python's calling
conventions (keyword-only parameters, `*args`, `**kwargs`, defaults), the
public entry points agreeing on one program (grad, value_and_grad, jvp, vjp,
jacobian, hessian, memory=), and one compiled derivative called with a float,
then an array, then an int, and with arrays of other shapes (the variant
caches); then memory layouts (order='A' and 'K'), programs in the manner of
scientific code (assembly, stencils, in-place time stepping, GP likelihoods),
lists and dicts by Python's rules, softmax written out in forms the fusing
pass must leave alone, arguments that are (or hold) arrays the function also
reads through module-level names, and variables bound without a derivative
where they may not be bound, then carrying one (found with a random-program
generator).

Each entry of PROGRAMS is a third_party_style_programs.Program, checked by
tests/test_red_team_round5.py (reverse, value_and_grad, forward, jvp, hvp)
against torch float64 or central finite differences, with the arguments
required unchanged. SCENARIOS need more than one call or another entry
point; each returns (label, got, want) triples.

Programs whose name starts with `finding_` were wrong (or crashed) before
the commit that fixed them; their docstrings say how.
"""

from __future__ import annotations

import math
import types

import numpy as np
import scipy.special
import torch

import adcompiler as ad
from red_team_checks import recorder
from third_party_style_programs import Program

PROGRAMS: list[Program] = []


program = recorder(PROGRAMS)


VECTOR = np.array([0.6, -1.3, 0.9, 2.1])
MATRIX = np.array([[1.2, -0.4, 0.3], [0.5, 0.9, -1.1], [-0.7, 0.2, 1.6]])
SIX = np.array([0.3, -0.8, 1.1, 0.45, -0.2, 0.7])
WIDE = np.array([[0.3, -0.8, 1.1, 0.45], [-0.2, 0.7, 1.3, -0.6]])


# ======================================================================
# Python's numeric semantics
# ======================================================================

@program(VECTOR, twin=lambda x: torch.sum(-4 * x + 2 * x - 2 * x + 0.25 * x))
def integer_constants_folded_the_python_way(x):
    # -7 // 2 is -4 (floor), -7 % 3 is 2, 7 % -3 is -2, 2 ** -2 is 0.25
    return np.sum((-7 // 2) * x + (-7 % 3) * x + (7 % -3) * x + 2 ** -2 * x)


@program(VECTOR, twin=lambda x: torch.sum(2 * x + 2 * x - 4 * x))
def banker_rounding_and_bool_arithmetic(x):
    # round(2.5) is 2, True + True is 2, -2 ** 2 is -4
    return np.sum(round(2.5) * x + (True + True) * x + -2 ** 2 * x)


@program(0.7, twin=lambda a: 2 ** (a ** 2) - a ** 2 + a ** 0.5)
def power_is_right_associative_and_binds_tighter_than_minus(a):
    return 2 ** a ** 2 + -a ** 2 + a ** 2 ** -1


@program(1.3, 0.4, 2.2, wrt=(0, 1, 2), twin=lambda a, b, c: a / b / c - (a - (b - c)) + a / (b * c))
def division_and_subtraction_associate_left(a, b, c):
    return a / b / c - (a - (b - c)) + a / (b * c)


@program(-1.7, smooth=False)
def floor_division_of_a_negative_value(a):
    # (-1.7 // 0.5) is -4.0: a constant factor, times a
    return (a // 0.5) * a + a // -0.3


@program(-1.7, smooth=False)
def modulo_of_a_negative_value_takes_the_divisors_sign(a):
    return (a % 0.5) ** 2 + (a % -0.3) ** 2


@program(np.array([-1.7, 2.3, -0.2, 0.95]), smooth=False)
def numpy_mod_and_fmod_of_negative_values(x):
    return np.sum(np.mod(x, 0.5) ** 2 + np.fmod(x, 0.5) ** 2 + np.remainder(x, -0.3) * x)


@program(-1.7, smooth=False)
def math_fmod_and_remainder_of_a_negative_value(a):
    return math.fmod(a, 0.5) ** 2 + math.remainder(a, 0.5) ** 2


@program(-1.7, smooth=False)
def divmod_of_a_negative_value(a):
    q, r = divmod(a, 0.5)
    return q * a + r ** 2


@program(np.array([-1.2, 0.8, -2.0]), twin=lambda x: torch.sum(x ** 3 + x ** -2 + x ** 2))
def integer_powers_of_negative_bases(x):
    return np.sum(x ** 3 + x ** -2 + np.power(x, 2))


@program(np.array([-1.2, 0.8, -2.0]), twin=lambda x: torch.sum(x ** 3.0 + x ** 2.0))
def float_integral_powers_of_negative_bases(x):
    return np.sum(x ** 3.0 + np.float_power(x, 2.0))


@program(-1.2, twin=lambda a: a ** 3 + a ** 4 - a ** -1)
def python_float_powers_of_a_negative_base(a):
    return a ** 3 + pow(a, 4) - a ** -1


@program(-1.2, twin=lambda a: a ** 2 + a ** 3)
def math_pow_of_a_negative_base(a):
    return math.pow(a, 2) + math.pow(a, 3.0)


@program(np.array([-1.2, 0.8, -2.0]), twin=lambda x: torch.sum(torch.sign(x) * torch.abs(x) ** (1 / 3)))
def cube_root_of_negative_values(x):
    return np.sum(np.cbrt(x))


@program(VECTOR, twin=lambda x: torch.sum(x[:0]) + x[0] * 3)
def power_with_an_integer_exponent_from_len(x):
    n = len(x)
    return x[0] * (n - 1) + np.sum(x[:0] ** n)


@program(VECTOR, twin=lambda x: torch.sum(x ** 4))
def power_with_a_numpy_integer_exponent(x):
    k = np.int64(4)
    return np.sum(x ** k)


@program(1.5, twin=lambda a: 3 * a ** 2 * 2)
def integer_times_float_power(a):
    n = 3
    return n * a ** 2 * (n - 1)


@program(2.0, twin=lambda a: a / 2 + a * 0.5)
def true_division_by_an_integer(a):
    return a / 2 + a * (1 / 2)


@program(1.3, twin=lambda a: a ** 0 + 0 * a)
def zero_power_is_one(a):
    return a ** 0


@program(0.0, twin=lambda a: a * a + 3 * a)
def derivative_at_zero_of_a_polynomial(a):
    return a ** 2 + 3 * a


@program(np.array([0.0, 1.5, -2.0]), twin=lambda x: torch.sum(x ** 2))
def square_at_zero(x):
    return np.sum(x ** 2.0)


@program(np.array([0.0, 1.5, -2.0]), twin=lambda x: torch.sum(x ** 3))
def integer_power_at_zero(x):
    return np.sum(np.power(x, 3))


@program(np.array([0.0, 1.5, 2.0]), twin=lambda x: torch.sum(torch.special.xlogy(x, x[[2, 0, 1]] ** 2 + 1.0)))
def xlogy_at_zero(x):
    # x * log(y) at x = 0: d/dx is log(y), d/dy is 0
    return np.sum(scipy.special.xlogy(x, x[[2, 0, 1]] ** 2 + 1.0))


@program(np.array([0.0, 0.4, -1.3]), twin=None)
def sinc_at_zero(x):
    # (torch's second derivative of sinc at 0 is nan; it is -pi**2 / 3)
    return np.sum(np.sinc(x))


@program(np.array([0.0, 0.4, -1.3]), twin=lambda x: torch.sum(torch.abs(x) * x))
def abs_times_value_at_zero(x):
    return np.sum(np.abs(x) * x)


# ======================================================================
# dtypes: integer results, float32, 0-d arrays, bool arrays as numbers
# ======================================================================

@program(np.array([1.7, -2.4, 0.9]), twin=lambda x: torch.sum(x) * 0 + 1 * x[0])
def sum_with_an_integer_dtype_truncates(x):
    return np.sum(x, dtype=np.int64) * 0 + x[0] + np.sum(x, dtype=int) * 0.0


@program(np.array([1.7, -2.4, 0.9]), twin=None, smooth=False)
def sum_with_an_integer_dtype_is_constant(x):
    return np.sum(x * 2.0, dtype=np.int64) + x[0] * 0.0


@program(np.array([1.7, -2.4, 0.9]), twin=None, smooth=False)
def cumsum_with_an_integer_dtype_is_constant(x):
    return np.sum(np.cumsum(x, dtype=int)) + np.sum(x * 0.0) - (-2.0) - 4.0 + 4.0


@program(np.array([1.7, -2.4, 0.9]), twin=None, smooth=False)
def array_of_an_integer_dtype_is_constant(x):
    return np.sum(np.array(x, dtype=int) ** 2) * 0.5 + np.sum(x * 0.0) - 3.5 + 3.0 + 0.5 \
        - 3.0 + 3.0


@program(np.array([1.7, -2.4, 0.9]), twin=None, smooth=False)
def asarray_with_an_integer_dtype_is_constant(x):
    return np.sum(np.asarray(x, dtype=np.int32)) + np.sum(x * 0.0) + 2.0


@program(np.array([1.7, -2.4, 0.9]), twin=lambda x: torch.sum(x * 0.0) + 3.0 * 1)
def full_with_an_integer_dtype_is_constant(x):
    return np.sum(np.full(3, x[0], dtype=int)) + np.sum(x * 0.0)


@program(np.array([1.7, -2.4, 0.9]), twin=lambda x: x[0] * 3)
def full_of_a_differentiated_value(x):
    return np.sum(np.full(3, x[0]))


@program(np.array([1.7, -2.4, 0.9]), twin=lambda x: x[1] * 3)
def full_like_of_a_differentiated_value(x):
    return np.sum(np.full_like(x, x[1]))


@program(np.array([1.7, -2.4, 0.9]), twin=lambda x: torch.sum(x * 0) + 3 * x[0] + 3.0)
def finding_arange_with_a_differentiated_start(x):
    """Silently wrong (gradient 0 for [3, 0, 0]): np.arange was
    nondifferentiable, but its values are start + i * step."""
    # np.arange(1.7, 4.5) is [1.7, 2.7, 3.7]: each entry moves with the start
    return np.sum(np.arange(x[0], 4.5)) + np.sum(x * 0.0) - 0.0


@program(np.array([1.7, -2.4, 0.9]),
         twin=lambda x: torch.sum((1.0 + torch.arange(3.0, dtype=torch.float64) * x[0] * 0.25) ** 2))
def finding_arange_with_a_differentiated_step(x):
    """Silently wrong, as above: np.arange(1.0, 2.0, 0.425) is 1.0 + 0.425 * [0, 1, 2]."""
    return np.sum(np.arange(1.0, 2.0, x[0] * 0.25) ** 2)


@program(np.array([1.7, -2.4, 0.9]), twin=lambda x: torch.sum(x * 0.0) + 8.0 + 6.0)
def arange_with_a_differentiated_stop_only_counts(x):
    # the stop only decides how many entries there are: derivative 0
    return np.sum(np.arange(0.5, x[0] + 2.0)) + np.sum(np.arange(x[0] + 2.0)) + np.sum(x * 0.0)


@program(np.array([1.7, -2.4, 0.9]), twin=lambda x: torch.sum(x * 0) + 0.0 + 4.0)
def ones_like_with_an_integer_dtype(x):
    return np.sum(np.ones_like(x, dtype=int) * 2) - 2.0 + np.sum(x * 0.0)


@program(VECTOR, twin=lambda x: torch.sum(x * float(np.float32(0.1))))
def float32_constant_times_a_float64_array(x):
    return np.sum(np.float32(0.1) * x)


@program(VECTOR, twin=lambda x: torch.sum(x * torch.tensor(np.float32(0.1), dtype=torch.float64)))
def float32_module_constant_times_a_float64_array(x):
    return np.sum(SCALE32 * x)


SCALE32 = np.float32(0.1)


@program(VECTOR, twin=lambda x: torch.sum(x.to(torch.float32).to(torch.float64) * 2))
def round_trip_through_float32(x):
    return np.sum(x.astype(np.float32).astype(np.float64) * 2)


@program(VECTOR, twin=lambda x: torch.sum(x.to(torch.float32).to(torch.float64) * x))
def float32_copy_times_the_float64_original(x):
    return np.sum(x.astype(np.float32) * x)


@program(VECTOR, twin=lambda x: torch.sum(x * 2.0))
def zero_dimensional_array_constant(x):
    k = np.array(2.0)
    return np.sum(k * x)


@program(VECTOR, twin=lambda x: torch.sum(x) ** 2)
def zero_dimensional_array_of_a_sum(x):
    s = np.array(np.sum(x))
    return s * s


@program(VECTOR, twin=lambda x: x[0] * x[1])
def numpy_float64_of_elements(x):
    return np.float64(x[0]) * np.float64(x[1])


@program(VECTOR, twin=lambda x: x[0] * 3 + x[1] * 2)
def float_of_a_zero_dimensional_array(x):
    s = np.asarray(x[0])
    return float(s) * 3 + float(x[1:2][0]) * 2


@program(VECTOR, twin=lambda x: torch.sum((x > 0).double() * x ** 2))
def bool_array_times_values(x):
    mask = x > 0
    return np.sum(mask * x ** 2)


@program(VECTOR, twin=lambda x: torch.sum(((x > 0) | (x > 1)).double() * x))
def bool_plus_bool_is_logical_or(x):
    # NumPy's bool + bool is `or`, not 2
    return np.sum(((x > 0) + (x > 1)) * x)


@program(VECTOR, twin=lambda x: torch.sum(x) * torch.sum((x > 0).double()))
def count_of_a_mask_times_a_sum(x):
    return np.sum(x) * np.sum(x > 0)


@program(VECTOR, twin=lambda x: torch.sum(x) / torch.sum((x > 0).double()))
def mean_over_a_count_from_a_mask(x):
    n = (x > 0).sum()
    return np.sum(x) / n


@program(VECTOR, twin=lambda x: torch.sum(x * 2))
def python_bool_as_a_number(x):
    flag = len(x) > 2
    return np.sum(x * (flag + flag))


@program(VECTOR, twin=lambda x: torch.sum(x ** 2) * 3)
def integer_array_times_a_float_sum(x):
    counts = np.array([1, 1, 1])
    return np.sum(x ** 2) * counts.sum()


# ======================================================================
# NumPy keyword corners of reductions
# ======================================================================

@program(VECTOR, twin=lambda x: torch.sum(x ** 2) + x[0])
def sum_with_a_differentiated_initial(x):
    return np.sum(x[1:] ** 2, initial=x[0] ** 2) + x[0]


@program(VECTOR, twin=lambda x: torch.max(x[1:]) * 0 + torch.maximum(torch.max(x[1:]), x[0] * 0 + 5.0))
def max_with_an_initial_above_every_entry(x):
    return np.max(x[1:], initial=5.0) + np.max(x) * 0.0


@program(VECTOR, twin=lambda x: torch.prod(x) * 2)
def prod_with_an_initial(x):
    return np.prod(x, initial=2.0)


@program(VECTOR, twin=lambda x: torch.sum(torch.where(x > 0, x ** 2, torch.zeros(()))))
def sum_with_where(x):
    return np.sum(x ** 2, where=x > 0)


@program(VECTOR, twin=lambda x: torch.prod(torch.where(x > 0, x, torch.ones(()))))
def prod_with_where(x):
    return np.prod(x, where=x > 0)


@program(VECTOR, twin=lambda x: torch.max(torch.where(x > 0, x, torch.tensor(-10.0, dtype=torch.float64))))
def max_with_where_and_initial(x):
    return np.max(x, where=x > 0, initial=-10.0)


@program(MATRIX, twin=lambda m: torch.sum(m ** 2))
def sum_over_an_axis_tuple(m):
    return np.sum(m ** 2, axis=(0, 1))


@program(MATRIX, twin=lambda m: torch.sum(torch.amax(m, dim=(0, 1)) * torch.ones(())))
def max_over_an_axis_tuple(m):
    return np.max(m, axis=(0, 1))


@program(WIDE, twin=lambda m: torch.sum(torch.mean(m, dim=(-1,), keepdim=True) * m))
def mean_with_a_negative_axis_tuple_and_keepdims(m):
    return np.sum(np.mean(m, axis=(-1,), keepdims=True) * m)


@program(SIX, twin=lambda x: torch.std(x, correction=1))
def std_with_ddof(x):
    return np.std(x, ddof=1)


@program(WIDE, twin=lambda m: torch.sum(torch.var(m, dim=0, correction=1)))
def var_over_axis_with_ddof(m):
    return np.sum(np.var(m, axis=0, ddof=1))


@program(WIDE, twin=lambda m: torch.sum(torch.var(m, dim=1, correction=0, keepdim=True) * m))
def var_with_keepdims(m):
    return np.sum(np.var(m, axis=1, keepdims=True) * m)


@program(VECTOR, twin=lambda x: torch.sum(x * torch.tensor([1.0, 2.0, 3.0, 4.0], dtype=torch.float64)) / 10)
def average_with_weights(x):
    return np.average(x, weights=[1.0, 2.0, 3.0, 4.0])


@program(WIDE, twin=lambda m: torch.sum(torch.sum(m * torch.tensor([[1.0], [3.0]], dtype=torch.float64), 0) / 4))
def average_over_axis_with_weights(m):
    return np.sum(np.average(m, axis=0, weights=[1.0, 3.0]))


@program(WIDE, twin=lambda m: torch.sum(torch.cumsum(m, dim=-1) ** 2))
def cumsum_over_the_last_axis(m):
    return np.sum(np.cumsum(m, axis=-1) ** 2)


@program(WIDE, twin=lambda m: torch.sum(torch.amin(m, dim=None if False else (0, 1), keepdim=True) * m))
def min_with_keepdims_everything(m):
    return np.sum(np.min(m, axis=None, keepdims=True) * m)


@program(VECTOR, twin=lambda x: torch.max(x) - torch.min(x))
def ptp_of_a_vector(x):
    return np.ptp(x)


@program(SIX, twin=lambda x: torch.logsumexp(x, 0))
def logsumexp_of_a_vector(x):
    return scipy.special.logsumexp(x)


@program(SIX, twin=lambda x: torch.logsumexp(x + torch.log(torch.tensor([1.0, 2, 3, 4, 5, 6], dtype=torch.float64)), 0))
def logsumexp_with_positive_weights(x):
    return scipy.special.logsumexp(x, b=np.array([1.0, 2, 3, 4, 5, 6]))


# ======================================================================
# Indexing corners
# ======================================================================

@program(VECTOR, twin=lambda x: torch.sum(x[[-1, 0, -1]] ** 2))
def fancy_index_with_negative_and_repeated_entries(x):
    return np.sum(x[[-1, 0, -1]] ** 2)


@program(VECTOR, twin=lambda x: torch.sum(x[torch.tensor([True, False, True, True])] ** 2))
def index_with_a_python_list_of_bools(x):
    return np.sum(x[[True, False, True, True]] ** 2)


@program(VECTOR, twin=lambda x: torch.sum(x[x > 0] ** 3))
def index_with_a_mask_of_the_values(x):
    return np.sum(x[x > 0] ** 3)


@program(VECTOR, twin=lambda x: torch.sum(x[x > 0] ** 2))
def np_where_with_one_argument(x):
    idx = np.where(x > 0)[0]
    return np.sum(x[idx] ** 2)


@program(VECTOR, twin=lambda x: torch.sum(x[x > 0] ** 2))
def np_nonzero_then_index(x):
    (idx,) = np.nonzero(x > 0)
    return np.sum(x[idx] ** 2)


@program(VECTOR, twin=lambda x: torch.sum(x[x > 0] ** 2))
def np_flatnonzero_then_take(x):
    return np.sum(np.take(x, np.flatnonzero(x > 0)) ** 2)


@program(VECTOR, twin=lambda x: torch.sum(x[[3, 0, 1]] * torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)))
def take_with_mode_wrap(x):
    return np.sum(np.take(x, [-1, 4, 5], mode="wrap") * np.array([1.0, 2.0, 3.0]))


@program(VECTOR, twin=lambda x: torch.sum(x[[0, 3, 3]] * torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)))
def take_with_mode_clip(x):
    return np.sum(np.take(x, [-1, 4, 7], mode="clip") * np.array([1.0, 2.0, 3.0]))


@program(WIDE, twin=lambda m: torch.sum(m[:, [3, 0]] ** 2 * torch.tensor([1.0, 2.0], dtype=torch.float64)))
def take_along_an_axis_with_a_negative_index(m):
    return np.sum(np.take(m, [-1, 0], axis=1) ** 2 * np.array([1.0, 2.0]))


@program(WIDE, twin=lambda m: torch.sum(m[[1, 1, 0], [-1, 0, -2]] ** 2))
def paired_fancy_indices_with_negatives(m):
    return np.sum(m[[1, 1, 0], [-1, 0, -2]] ** 2)


@program(WIDE, twin=lambda m: torch.sum(m[torch.tensor([False, True])][:, [0, 2]] ** 2))
def mask_on_rows_then_columns(m):
    return np.sum(m[np.array([False, True])][:, [0, 2]] ** 2)


@program(WIDE, twin=lambda m: m[1, 3] ** 2 + m[1, 1] ** 2)
def negative_step_slice_of_a_row(m):
    return np.sum(m[-1, ::-2] ** 2)


@program(VECTOR, twin=lambda x: torch.sum(x ** 2) + x[1])
def plus_equals_with_repeated_negative_indices(x):
    y = x ** 2
    y[[-3, 1, -3, 1]] += x[1]
    return np.sum(y)


@program(VECTOR, twin=lambda x: torch.sum(x[[0, 2, 3]] ** 2) + x[1] * 2 + x[1] * 0)
def assignment_through_a_negative_index_list(x):
    y = x ** 2
    y[[-3]] = 2 * x[-3]
    return np.sum(y)


@program(VECTOR, twin=lambda x: torch.sum(torch.where(x > 0, 3 * x, x ** 2)))
def mask_assignment_from_a_masked_expression(x):
    y = x ** 2
    m = x > 0
    y[m] = 3 * x[m]
    return np.sum(y)


@program(VECTOR, twin=lambda x: torch.sum(x ** 2) + torch.sum(x[x > 0]))
def mask_plus_equals_of_the_values(x):
    y = x ** 2
    y[x > 0] += x[x > 0]
    return np.sum(y)


@program(WIDE, twin=lambda m: torch.sum(m ** 2) + torch.sum(m[:, 1]))
def column_plus_equals_broadcast_row(m):
    y = m ** 2
    y[:, [1, 1]] += 2 * m[:, [1, 1]] / 2
    return np.sum(y)


# ======================================================================
# einsum, products and constructors
# ======================================================================

@program(MATRIX, twin=lambda m: torch.sum(m.T * torch.arange(9.0, dtype=torch.float64).reshape(3, 3)))
def einsum_implicit_output_sorts_its_letters(m):
    # 'ji' in implicit mode means output 'ij': the transpose
    return np.sum(np.einsum("ji", m) * np.arange(9.0).reshape(3, 3))


@program(MATRIX, twin=lambda m: torch.sum((m.T @ m) * torch.arange(9.0, dtype=torch.float64).reshape(3, 3)))
def einsum_implicit_output_of_two_operands(m):
    return np.sum(np.einsum("ba,bc", m, m) * np.arange(9.0).reshape(3, 3))


@program(MATRIX, twin=lambda m: torch.trace(m) + torch.sum(m * m))
def einsum_implicit_trace_and_full_contraction(m):
    return np.einsum("ii", m) + np.einsum("ij,ij", m, m)


@program(WIDE, twin=lambda m: torch.sum((m[0] * m[1]) ** 2))
def einsum_with_an_ellipsis(m):
    return np.sum(np.einsum("...i,...i->...i", m[0], m[1]) ** 2)


@program(VECTOR, twin=None)
def vander_decreasing(x):
    return np.sum(np.vander(x, 3) * np.arange(12.0).reshape(4, 3))


@program(VECTOR, twin=None)
def vander_increasing(x):
    return np.sum(np.vander(x, 3, increasing=True) * np.arange(12.0).reshape(4, 3))


@program(VECTOR, twin=lambda x: torch.sum(torch.repeat_interleave(x, torch.tensor([1, 2, 0, 3])) ** 2))
def repeat_with_counts(x):
    return np.sum(np.repeat(x, [1, 2, 0, 3]) ** 2)


@program(VECTOR, twin=lambda x: torch.sum(torch.tile(x, (2,)) * torch.arange(8.0, dtype=torch.float64)))
def tile_twice(x):
    return np.sum(np.tile(x, 2) * np.arange(8.0))


@program(VECTOR, twin=lambda x: torch.sum(torch.diff(x, n=2, prepend=x[:1]) ** 2))
def diff_twice_with_a_differentiated_prepend(x):
    return np.sum(np.diff(x, n=2, prepend=x[0]) ** 2)


@program(VECTOR, twin=lambda x: torch.sum(torch.diff(x, append=torch.tensor([1.0], dtype=torch.float64)) ** 2))
def diff_with_an_appended_constant(x):
    return np.sum(np.diff(x, append=1.0) ** 2)


@program(SIX, twin=lambda x: torch.sum(torch.gradient(x, spacing=0.5)[0] ** 2))
def numpy_gradient_with_a_spacing(x):
    return np.sum(np.gradient(x, 0.5) ** 2)


@program(np.array([0.0, 0.4, 1.1, 1.5, 2.6]), wrt=(0,),
         twin=lambda t: torch.trapezoid(torch.sin(t), t))
def trapezoid_with_differentiated_sample_points(t):
    return np.trapezoid(np.sin(t), t)


@program(np.array([0.0, 0.4, 1.1, 1.5, 2.6]), twin=None)
def numpy_gradient_with_differentiated_coordinates(t):
    return np.sum(np.gradient(np.sin(t), t) ** 2)


@program(VECTOR, twin=lambda x: torch.sum(torch.outer(x, x[:2]) * torch.arange(8.0, dtype=torch.float64).reshape(4, 2)))
def outer_of_a_vector_and_a_slice(x):
    return np.sum(np.outer(x, x[:2]) * np.arange(8.0).reshape(4, 2))


@program(VECTOR, twin=lambda x: torch.sum(torch.kron(x[:2], x) * torch.arange(8.0, dtype=torch.float64)))
def kron_of_two_vectors(x):
    return np.sum(np.kron(x[:2], x) * np.arange(8.0))


@program(VECTOR, twin=None)
def convolve_full_of_a_vector_and_its_head(x):
    return np.sum(np.convolve(x, x[:2]) ** 2)


@program(VECTOR, twin=lambda x: torch.sum(torch.tensordot(x, x[:3], dims=0) * torch.arange(12.0, dtype=torch.float64).reshape(4, 3)))
def tensordot_with_zero_axes_is_outer(x):
    return np.sum(np.tensordot(x, x[:3], axes=0) * np.arange(12.0).reshape(4, 3))


@program(VECTOR, twin=lambda x: torch.sum(x) * 0 + (x[0] - 2 * x[1]) + (x[2] - 2 * x[3]))
def correlate_of_two_vectors(x):
    return np.sum(np.correlate(x, np.array([1.0, -2.0]), mode="valid")[[0, 2]])


@program(np.array([0.3, 0.8, 1.3]), twin=lambda x: torch.sum(torch.sort(torch.stack([x[2], x[0], x[1]])).values * torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)))
def sort_of_a_permuted_stack(x):
    return np.sum(np.sort(np.array([x[2], x[0], x[1]])) * np.array([1.0, 2.0, 3.0]))


@program(SIX, twin=None)
def median_and_percentile(x):
    return np.median(x) + np.percentile(x, 30.0) + np.quantile(x, 0.8)


@program(SIX, twin=None)
def unique_is_sorted(x):
    return np.sum(np.unique(x) * np.arange(6.0))


@program(SIX, twin=lambda x: torch.sum(x[x > 0] ** 2))
def extract_and_compress(x):
    return np.sum(np.extract(x > 0, x) ** 2) * 0.5 + np.sum(np.compress(x > 0, x) ** 2) * 0.5


@program(VECTOR, twin=lambda x: torch.sum(torch.clamp(x, min=x[0] * 0 - 0.5 + 0.0 * x[1], max=x[3] * 0 + 1.0) ** 2))
def clip_with_bounds_from_constants(x):
    return np.sum(np.clip(x, -0.5, 1.0) ** 2)


@program(VECTOR, twin=lambda x: torch.sum(torch.minimum(torch.maximum(x, x[1] + 0.5), x[3] - 0.2) ** 2))
def clip_with_differentiated_bounds(x):
    return np.sum(np.clip(x, x[1] + 0.5, x[3] - 0.2) ** 2)


@program(VECTOR, twin=None)
def heaviside_times_values(x):
    return np.sum(np.heaviside(x, 0.5) * x)


@program(VECTOR, twin=lambda x: x[0] + x[3] + 1.0 + 0.0 * torch.sum(x))
def finding_heaviside_value_at_zero_differentiated(x):
    """Silently wrong (derivative 0 for 1 in d/dx[0] and d/dx[3]): np.heaviside
    was nondifferentiable, but its second argument is its value where the
    first is 0."""
    return np.sum(np.heaviside(np.array([0.0, 1.0, -1.0, 0.0]), x))


@program(VECTOR, twin=lambda x: torch.sum(torch.copysign(torch.tensor(3.0, dtype=torch.float64), x) * x + torch.copysign(x, torch.tensor(-1.0, dtype=torch.float64))))
def copysign_both_ways(x):
    return np.sum(np.copysign(3.0, x) * x + np.copysign(x, -1.0))


@program(VECTOR, twin=lambda x: torch.sum(torch.ldexp(x, torch.tensor(3))))
def ldexp_by_an_integer(x):
    return np.sum(np.ldexp(x, 3))


@program(VECTOR, twin=lambda x: torch.sum(torch.logaddexp(x, x.flip(0)) + torch.logaddexp2(x, 2 * x)))
def logaddexp_and_logaddexp2(x):
    return np.sum(np.logaddexp(x, x[::-1]) + np.logaddexp2(x, 2 * x))


@program(VECTOR, twin=lambda x: torch.sum(torch.hypot(x, x ** 2) + torch.atan2(x, x ** 2 + 1)))
def hypot_and_arctan2(x):
    return np.sum(np.hypot(x, x ** 2) + np.arctan2(x, x ** 2 + 1))


@program(0.8, 1.3, wrt=(0, 1), twin=lambda a, b: torch.log(a) / torch.log(b))
def math_log_with_a_differentiated_base(a, b):
    return math.log(a, b)


@program(0.8, twin=lambda a: torch.log(a) / math.log(2.0) + torch.log(a) / math.log(10.0))
def math_log_with_a_constant_base(a):
    return math.log(a, 2) + math.log10(a)


@program(0.8, 1.3, wrt=(0, 1), twin=lambda a, b: torch.hypot(a, b) + torch.atan2(a, b))
def math_hypot_and_atan2(a, b):
    return math.hypot(a, b) + math.atan2(a, b)


@program(0.8, 1.3, wrt=(0, 1), twin=lambda a, b: torch.sqrt(a ** 2 + b ** 2 + 4))
def math_hypot_of_three(a, b):
    return math.hypot(a, b, 2.0)


@program(-0.8, twin=lambda a: torch.abs(a) * 2 + torch.copysign(torch.tensor(2.0, dtype=torch.float64), a) * a)
def math_fabs_and_copysign(a):
    return math.fabs(a) * 2 + math.copysign(2.0, a) * a


@program(-0.8, twin=lambda a: a * math.floor(-0.8) + a * math.ceil(-0.8) + a * math.trunc(-0.8))
def floor_ceil_trunc_of_a_negative_value_times_it(a):
    return a * math.floor(a) + a * math.ceil(a) + a * math.trunc(a)


@program(VECTOR, twin=lambda x: torch.sum(x * torch.floor(x) + x * torch.ceil(x) + x * torch.trunc(x) + x * torch.round(x)))
def numpy_rounding_times_the_value(x):
    return np.sum(x * np.floor(x) + x * np.ceil(x) + x * np.fix(x) + x * np.rint(x))


@program(VECTOR, twin=lambda x: torch.sum(x * torch.round(x * 10) / 10))
def around_with_decimals(x):
    return np.sum(x * np.around(x, 1))


# ======================================================================
# Python's builtins and operators on differentiated values
# ======================================================================

@program(VECTOR, twin=lambda x: torch.sum(x))
def python_sum_of_an_array(x):
    return sum(x)


@program(WIDE, twin=lambda m: torch.sum(torch.sum(m, 0) ** 2))
def python_sum_of_a_matrix_sums_its_rows(m):
    return np.sum(sum(m) ** 2)


@program(VECTOR, twin=lambda x: torch.max(x) + torch.min(x))
def python_max_and_min_of_an_array(x):
    return max(x) + min(x)


@program(VECTOR, twin=None)
def python_abs_of_an_array(x):
    return np.sum(abs(x))


@program(VECTOR, twin=lambda x: x[1] * 2)
def max_of_enumerate_by_value(x):
    i, v = max(enumerate(x), key=lambda p: p[1] * 0 - abs(p[1] - -1.3))
    return v * 2 + i * 0.0


@program(VECTOR, twin=lambda x: x[3] * 1.0 + x[1])
def max_and_min_with_a_key_and_a_default(x):
    return max(x, key=lambda v: v, default=0.0) + min(x.tolist(), key=lambda v: v)


@program(VECTOR, twin=lambda x: torch.sum(torch.sort(x, descending=True).values * torch.arange(4.0, dtype=torch.float64)))
def sorted_of_an_array_reversed(x):
    return np.sum(np.array(sorted(x, reverse=True)) * np.arange(4.0))


@program(VECTOR, twin=lambda x: torch.sum(x[[2, 0, 1]] * torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)))
def sorted_by_a_negated_key(x):
    ordered = sorted(x[:3], key=lambda v: -v)
    return ordered[0] + 2 * ordered[1] + 3 * ordered[2]


@program(1.3, 0.4, wrt=(0, 1), twin=lambda a, b: a * 3 + b)
def chained_comparison_choosing_a_branch(a, b):
    if 0 < b < a < 2:
        return a * 3 + b
    return a - b


@program(0.4, 1.3, wrt=(0, 1), twin=lambda a, b: a - b)
def chained_comparison_failing_its_second_link(a, b):
    if 0 < b < a < 2:
        return a * 3 + b
    return a - b


@program(0.0, 1.3, wrt=(0, 1), twin=lambda a, b: b * 2)
def or_of_a_zero_float_returns_the_second(a, b):
    return (a or b) * 2


@program(0.7, 0.0, wrt=(0, 1), twin=lambda a, b: b * 3.0 + 0.0 * a)
def and_returns_a_falsy_second_operand(a, b):
    return (a and b) * 3.0


@program(VECTOR, twin=lambda x: x[1] * 5)
def and_or_chain_picks_an_element(x):
    picked = x[0] > 1 and x[0] or x[1]
    return picked * 5


@program(VECTOR, twin=lambda x: torch.sum(x ** 2) + x[0] * x[1])
def tuple_swap_of_two_elements(x):
    a, b = x[0], x[1]
    a, b = b, a
    return np.sum(x ** 2) + a * b


@program(VECTOR, twin=lambda x: torch.sum((x * 2) * x.flip(0)))
def swapping_names_of_array_copies(x):
    a = x.copy()
    b = x[::-1] * 1.0
    a, b = b, a * 2
    return np.sum(a * b)


@program(VECTOR, twin=lambda x: torch.sum((x + 1.0) ** 2))
def plus_equals_on_the_argument_name(x):
    # Python changes the caller's array here: the derivative must not
    x = x.copy()
    x += 1.0
    return np.sum(x ** 2)


@program(VECTOR, twin=lambda x: torch.sum((x * 2) ** 2))
def times_equals_on_a_fresh_name_of_the_argument(x):
    y = x * 1.0
    y *= 2
    return np.sum(y ** 2)


@program(VECTOR, twin=lambda x: torch.sum(x ** 2) * 3)
def first_unpacked_from_a_nested_tuple(x):
    (a, (b, c)) = (np.sum(x ** 2), (2.0, 1.0))
    return a * (b + c)


@program(VECTOR, twin=lambda x: x[0] * 1 + x[1] * 2 + x[2] * 3 + x[3] * 4)
def enumerate_with_a_start_over_an_array(x):
    total = 0.0
    for k, v in enumerate(x, start=1):
        total += k * v
    return total


@program(VECTOR, twin=lambda x: x[0] * x[1] + x[2] * x[3])
def zip_of_two_strided_slices(x):
    return sum(a * b for a, b in zip(x[::2], x[1::2]))


@program(VECTOR, twin=lambda x: torch.sum(x ** 2) - x[3] ** 2)
def while_loop_with_else_and_break(x):
    total = 0.0
    i = 0
    while i < len(x):
        if i == 3:
            break
        total += x[i] ** 2
        i += 1
    else:
        total = total * 100.0
    return total


@program(VECTOR, twin=lambda x: 100 * torch.sum(x ** 2))
def while_loop_with_else_not_broken(x):
    total = 0.0
    i = 0
    while i < len(x):
        total += x[i] ** 2
        i += 1
    else:
        total = total * 100.0
    return total


@program(VECTOR, twin=lambda x: x[0] + x[2] + x[3])
def continue_skips_a_negative_entry(x):
    total = 0.0
    for v in x:
        if v < 0:
            continue
        total = total + v
    return total


@program(VECTOR, twin=lambda x: x[1] * 2)
def early_return_of_the_first_negative(x):
    for v in x:
        if v < 0:
            return v * 2
    return 0.0


def _power_tower(a, n):
    if n == 0:
        return 1.0
    return a * _power_tower(a, n - 1)


@program(1.1, twin=lambda a: a ** 5)
def recursion_with_a_base_case(a):
    return _power_tower(a, 5)


def _scaled(x, *, factor=2.0, shift=0.0):
    return x * factor + shift


@program(VECTOR, twin=lambda x: torch.sum((x * 3.0 + 1.0) + x * 2.0))
def keyword_only_parameters_of_a_helper(x):
    return np.sum(_scaled(x, factor=3.0, shift=1.0) + _scaled(x))


def _combine(*parts, **weights):
    total = 0.0
    for p in parts:
        total = total + np.sum(p) * weights.get("scale", 1.0)
    return total + weights["bias"]


@program(VECTOR, twin=lambda x: (torch.sum(x) + torch.sum(x ** 2)) * 0.5 + 2.0)
def star_args_and_kwargs_of_a_helper(x):
    return _combine(x, x ** 2, scale=0.5, bias=2.0)


@program(VECTOR, 3.0, wrt=(0, 1), twin=lambda x, k: torch.sum(x * k) + k)
def keyword_only_parameter_of_the_function(x, k, *, bias=1.0):
    return np.sum(x * k) + k * bias


def _default_factor(x, factor=np.float32(0.5)):
    return x * factor


@program(VECTOR, twin=lambda x: torch.sum(x * float(np.float32(0.5)) * x))
def float32_default_of_a_helper(x):
    return np.sum(_default_factor(x) * x)


@program(VECTOR, twin=lambda x: torch.sum(x[:2]) * 2 + torch.sum(x[2:]))
def list_repeated_by_python(x):
    items = [x[0], x[1]] * 2 + [x[2], x[3]]
    return sum(items)


@program(VECTOR, twin=lambda x: torch.sum(x) + 1.0)
def tolist_joined_with_a_constant(x):
    return sum(x.tolist() + [1.0])


@program(VECTOR, twin=lambda x: torch.sum(x[1:] * torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)))
def list_slice_of_tolist_reversed(x):
    tail = x.tolist()[:0:-1]
    return tail[0] * 3 + tail[1] * 2 + tail[2]


@program(VECTOR, twin=lambda x: torch.sum(x[x > 0] ** 2))
def list_comprehension_with_a_filter_on_values(x):
    return np.sum(np.array([v for v in x if v > 0]) ** 2)


@program(VECTOR, twin=lambda x: x[0] * x[1] * x[2] * x[3])
def math_prod_of_an_array(x):
    return math.prod(x)


@program(VECTOR, twin=lambda x: torch.sum(x ** 2))
def math_fsum_of_squares(x):
    return math.fsum(v * v for v in x)


@program(VECTOR, twin=lambda x: torch.sqrt(torch.sum((x[:2] - x[2:]) ** 2)))
def math_dist_of_two_points(x):
    return math.dist(x[:2], x[2:])


@program(VECTOR, twin=lambda x: x[0] * 2 + x[1] * 2 + x[2] * 2 + x[3] * 2 + 0.0)
def complex_builtin_real_part(x):
    z = complex(x[0], x[1]) + complex(x[2], x[3])
    return (z * 2).real + (z * 2).imag


@program(VECTOR, twin=lambda x: torch.sum(torch.abs(torch.exp(1j * x.to(torch.complex128)) + x)))
def modulus_of_a_complex_expression(x):
    return np.sum(np.abs(np.exp(1j * x) + x))


@program(VECTOR, twin=lambda x: torch.sum(torch.sqrt(x.to(torch.complex128)).real * 2 + torch.sqrt(x.to(torch.complex128)).imag))
def square_root_of_negative_values_as_complex(x):
    r = np.sqrt(x + 0j)
    return np.sum(r.real * 2 + r.imag)


@program(VECTOR, twin=lambda x: torch.sum(torch.angle(x.to(torch.complex128) + 1j)))
def angle_of_a_complex_value(x):
    return np.sum(np.angle(x + 1j))


# ======================================================================
# Scenarios: entry points, variants, caches
# ======================================================================

def _central_gradient(function, x, step=1e-6):
    x = np.asarray(x, dtype=float)
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[i] += step
        down[i] -= step
        grad[i] = (np.sum(function(up)) - np.sum(function(down))) / (2 * step)
    return grad


SCENARIOS = []


def scenario(function):
    SCENARIOS.append(function)
    return function


def _energy(x):
    y = np.tanh(x) * x[::-1]
    return np.sum(y ** 2) + np.prod(x[:2])


def _energy_twin(x):
    return torch.sum((torch.tanh(x) * x.flip(0)) ** 2) + torch.prod(x[:2])


def _field(x):
    return np.tanh(x) * x[::-1] + x[0] ** 2


@scenario
def entry_points_agree_on_one_program():
    x = VECTOR.copy()
    want = _central_gradient(_energy, x)
    value, vg = ad.value_and_grad(_energy)(x)
    cotangent = ad.vjp(_energy)((x,), 1.0)
    tangent_values = [ad.jvp(_energy)((x,), (np.eye(4)[i],))[1] for i in range(4)]
    hessian = np.asarray(ad.hessian(_energy)(x))
    numeric_hessian = torch.autograd.functional.hessian(_energy_twin, torch.tensor(x)).numpy()
    return [
        ("grad", ad.grad(_energy)(x), want),
        ("grad forward", ad.grad(_energy, mode="forward")(x), want),
        ("value_and_grad value", value, _energy(x)),
        ("value_and_grad", vg, want),
        ("vjp", cotangent, want),
        ("jvp", np.array(tangent_values), want),
        ("jacobian of a scalar", np.asarray(ad.jacobian(_energy)(x)), want),
        ("grad memory=", ad.grad(_energy, memory="1KB")(x), want),
        ("hessian", hessian, numeric_hessian),
        ("hvp", ad.hvp(_energy)((x,), (np.ones(4),)), hessian @ np.ones(4)),
        ("argument unchanged", x, VECTOR),
    ]


@scenario
def jacobian_modes_agree():
    x = VECTOR.copy()
    want = np.array([_central_gradient(lambda z: _field(z)[i], x) for i in range(4)])
    return [
        ("jacobian reverse", np.asarray(ad.jacobian(_field)(x)), want),
        ("jacobian forward", np.asarray(ad.jacobian(_field, mode="forward")(x)), want),
    ]


def _poly(x):
    return x ** 3 - 2 * x


@scenario
def one_derivative_called_with_float_array_and_int():
    g = ad.grad(lambda x: np.sum(_poly(x)))
    d = lambda x: 3 * np.asarray(x, dtype=float) ** 2 - 2
    return [
        ("float", g(1.5), d(1.5)),
        ("array", g(np.array([1.5, -0.5])), d(np.array([1.5, -0.5]))),
        ("int", g(2), d(2)),
        ("matrix", g(np.ones((2, 3)) * 0.5), d(np.ones((2, 3)) * 0.5)),
        ("float again", g(-0.25), d(-0.25)),
        ("0-d array", g(np.array(0.75)), d(0.75)),
        ("float32 array", g(np.array([1.5, 2.0], dtype=np.float32)), d(np.array([1.5, 2.0]))),
    ]


def _shape_dependent(x):
    if x.ndim == 2:
        return np.sum(x @ x.T)
    return np.sum(x * x[::-1])


@scenario
def one_derivative_called_with_arrays_of_other_shapes():
    g = ad.grad(_shape_dependent)
    vector, matrix, longer = VECTOR.copy(), WIDE.copy(), SIX.copy()
    return [
        ("vector", g(vector), _central_gradient(_shape_dependent, vector)),
        ("matrix", g(matrix), _central_gradient(_shape_dependent, matrix)),
        ("longer vector", g(longer), _central_gradient(_shape_dependent, longer)),
        ("vector again", g(vector), _central_gradient(_shape_dependent, vector)),
    ]


def _integer_division_of_the_argument(n):
    return n * (7 // 2) + n / 2


@scenario
def integer_argument_keeps_true_division():
    g = ad.grad(_integer_division_of_the_argument)
    return [("int", g(3), 3.5), ("float", g(3.0), 3.5), ("int again", g(-4), 3.5)]


def _branch_on_type(x):
    if isinstance(x, float):
        return x ** 2
    return np.sum(x ** 3)


@scenario
def one_derivative_with_a_branch_on_the_arguments_type():
    g = ad.grad(_branch_on_type)
    return [
        ("float", g(1.5), 3.0),
        ("array", g(np.array([1.5, 2.0])), 3 * np.array([1.5, 2.0]) ** 2),
        ("float again", g(0.5), 1.0),
    ]


GAIN = 2.0


def _uses_gain(x):
    return np.sum(x * GAIN) + GAIN ** 2 * x[0]


@scenario
def global_float_rebound_between_calls():
    global GAIN
    g = ad.grad(_uses_gain)
    first = g(VECTOR.copy())
    GAIN = 3.0
    try:
        second = g(VECTOR.copy())
        forward = ad.grad(_uses_gain, mode="forward")(VECTOR.copy())
    finally:
        GAIN = 2.0
    return [
        ("GAIN 2", first, np.array([6.0, 2, 2, 2])),
        ("GAIN 3", second, np.array([12.0, 3, 3, 3])),
        ("GAIN 3 forward", forward, np.array([12.0, 3, 3, 3])),
    ]


def _keyword_default(x, power=2):
    return np.sum(x ** power)


@scenario
def default_and_passed_keyword_give_their_own_derivatives():
    g = ad.grad(_keyword_default)
    x = VECTOR.copy()
    return [
        ("default", g(x), 2 * x),
        ("power=3", g(x, power=3), 3 * x ** 2),
        ("power=3 positional", g(x, 3), 3 * x ** 2),
        ("default again", g(x), 2 * x),
    ]


def _in_place_on_argument(x):
    x += 1.0
    return np.sum(x ** 2)


@scenario
def plus_equals_on_an_argument_leaves_the_callers_array():
    x = VECTOR.copy()
    gradient = ad.grad(_in_place_on_argument)(x)
    after_grad = x.copy()
    y = VECTOR.copy()
    value, gradient2 = ad.value_and_grad(_in_place_on_argument)(y)
    z = VECTOR.copy()
    forward = ad.grad(_in_place_on_argument, mode="forward")(z)
    return [
        ("gradient", gradient, 2 * (VECTOR + 1)),
        ("caller's array after grad", after_grad, VECTOR),
        ("value", value, np.sum((VECTOR + 1) ** 2)),
        ("value_and_grad", gradient2, 2 * (VECTOR + 1)),
        ("caller's array after value_and_grad", y, VECTOR),
        ("forward", forward, 2 * (VECTOR + 1)),
        ("caller's array after forward", z, VECTOR),
    ]


# ======================================================================
# Round 5, second batch: arrays built from values, orders, pads, rolls
# ======================================================================

@program(VECTOR, twin=lambda x: torch.det(torch.stack([torch.stack([x[0], x[1]]), torch.stack([x[2], x[3]])])))
def matrix_from_a_nested_list_of_elements(x):
    return np.linalg.det(np.array([[x[0], x[1]], [x[2], x[3]]]))


@program(VECTOR, twin=lambda x: x[0] * 2 + x[1] ** 2 * 3)
def array_of_elements_and_constants(x):
    return np.sum(np.array([x[0], 1.0, x[1] ** 2]) * np.array([2.0, 5.0, 3.0])) - 5.0


@program(VECTOR, twin=lambda x: torch.sum(torch.stack([x, x ** 2]) * torch.arange(8.0, dtype=torch.float64).reshape(2, 4)))
def array_of_a_list_of_arrays(x):
    return np.sum(np.array([x, x ** 2]) * np.arange(8.0).reshape(2, 4))


@program(VECTOR, twin=lambda x: x[0] * 3 * 2.0)
def array_of_a_repeated_list(x):
    return np.sum(np.asarray([x[0]] * 3) * 2.0)


@program(VECTOR, twin=lambda x: x[0] * 1 + x[1] * 2)
def array_of_a_tuple_of_elements(x):
    return np.dot(np.array((x[0], x[1])), np.array([1.0, 2.0]))


@program(MATRIX, twin=lambda m: torch.sum(m.T.reshape(-1) * torch.arange(9.0, dtype=torch.float64)))
def ravel_in_fortran_order(m):
    return np.sum(m.ravel(order="F") * np.arange(9.0))


@program(MATRIX, twin=lambda m: torch.sum(m.T.reshape(-1) * torch.arange(9.0, dtype=torch.float64)))
def flatten_in_fortran_order(m):
    return np.sum(m.flatten("F") * np.arange(9.0))


@program(SIX, twin=lambda x: torch.sum(x.reshape(3, 2).T * torch.arange(6.0, dtype=torch.float64).reshape(2, 3)))
def reshape_in_fortran_order(x):
    return np.sum(np.reshape(x, (2, 3), order="F") * np.arange(6.0).reshape(2, 3))


@program(SIX, twin=lambda x: torch.sum(x.reshape(3, 2).T * torch.arange(6.0, dtype=torch.float64).reshape(2, 3)))
def reshape_method_in_fortran_order(x):
    return np.sum(x.reshape(2, 3, order="F") * np.arange(6.0).reshape(2, 3))


ORDER_WEIGHTS = np.arange(6.0)
_ORDER_TWIN = lambda x: torch.sum(x * torch.arange(6.0, dtype=torch.float64))  # noqa: E731


@program(SIX, twin=_ORDER_TWIN)
def finding_ravel_in_order_a_of_a_transpose(x):
    """Silently wrong in reverse mode (gradient [0, 2, 4, 1, 3, 5] for [0, 1, ..., 5]):
    a transpose is Fortran-contiguous, so order='A' reads it column by column,
    and the adjoint reshaped the derivative in that order without looking at
    the array's layout."""
    return np.sum(x.reshape(2, 3).T.ravel(order="A") * ORDER_WEIGHTS)


@program(SIX, twin=_ORDER_TWIN)
def finding_flatten_in_order_a_of_a_transpose(x):
    """As above, through the method x.flatten('A')."""
    return np.sum(x.reshape(2, 3).T.flatten("A") * ORDER_WEIGHTS)


@program(SIX, twin=_ORDER_TWIN)
def finding_reshape_in_order_a_of_a_transpose(x):
    """As above, np.reshape(..., order='A')."""
    return np.sum(np.reshape(x.reshape(2, 3).T, (6,), order="A") * ORDER_WEIGHTS)


@program(SIX, twin=_ORDER_TWIN)
def finding_ravel_in_order_a_of_a_permuted_array(x):
    """As above, a transpose of three axes."""
    return np.sum(x.reshape(1, 2, 3).transpose(2, 0, 1).ravel("A") * ORDER_WEIGHTS)


@program(SIX, twin=_ORDER_TWIN)
def finding_ravel_in_order_k_of_a_transpose(x):
    """Crashed (ValueError: order 'K' is not permitted for reshaping, from the
    adjoint): order='K' reads a transpose in its memory order, Fortran's."""
    return np.sum(np.ravel(x.reshape(2, 3).T, "K") * ORDER_WEIGHTS)


@program(SIX, twin=lambda x: torch.sum(x.reshape(2, 3)[:, ::2] * torch.tensor([[0.0, 1.0], [2.0, 3.0]], dtype=torch.float64)))
def ravel_in_order_k_of_a_strided_slice(x):
    return np.sum(x.reshape(2, 3)[:, ::2].ravel(order="K") * ORDER_WEIGHTS[:4])


@program(SIX, twin=_ORDER_TWIN)
def ravel_in_order_a_of_a_c_array(x):
    return np.sum(x.reshape(2, 3).ravel(order="A") * ORDER_WEIGHTS)


@program(SIX, twin=None)
def ravel_in_order_k_of_reversed_columns(x):
    # NumPy reads reversed axes forwards in order 'K': refused when it runs
    return np.sum(x.reshape(2, 3)[:, ::-1].ravel(order="K") * ORDER_WEIGHTS)


@program(np.array([1.7, -2.4, 0.9]), twin=None)
def finding_array_api_arange_with_a_differentiated_start(x):
    """Silently wrong (derivative 0), as np.arange: xp.arange was nondifferentiable."""
    xp = x.__array_namespace__()
    return xp.sum(xp.arange(x[0], 4.5))


@program(np.array([1.7, -2.4, 0.9]), twin=lambda x: 3 * x[0] + 3 * x[1])
def array_api_arange_of_constants_times_values(x):
    xp = x.__array_namespace__()
    return xp.sum(xp.arange(3) * x[0]) + xp.sum(xp.arange(0.0, 2.0, 0.5) * x[1])


@program(VECTOR, twin=lambda x: torch.sum(torch.nn.functional.pad(x[None, None], (2, 2), mode="reflect")[0, 0] * torch.arange(8.0, dtype=torch.float64)))
def pad_reflect(x):
    return np.sum(np.pad(x, 2, mode="reflect") * np.arange(8.0))


@program(VECTOR, twin=lambda x: torch.sum(torch.cat([x[:1], x[:1], x, x[-1:]]) * torch.arange(7.0, dtype=torch.float64)))
def pad_edge_uneven(x):
    return np.sum(np.pad(x, (2, 1), mode="edge") * np.arange(7.0))


@program(VECTOR, twin=lambda x: torch.sum(torch.cat([x[-2:], x, x[:1]]) * torch.arange(7.0, dtype=torch.float64)))
def pad_wrap(x):
    return np.sum(np.pad(x, (2, 1), mode="wrap") * np.arange(7.0))


@program(VECTOR, twin=lambda x: torch.sum(torch.cat([x[:2].flip(0), x, x[-1:]]) * torch.arange(7.0, dtype=torch.float64)))
def pad_symmetric(x):
    return np.sum(np.pad(x, (2, 1), mode="symmetric") * np.arange(7.0))


@program(VECTOR, twin=lambda x: torch.sum(torch.cat([x[:1] * 0 + x[3], x, x[3:] * 0 + x[3]]) * torch.arange(6.0, dtype=torch.float64)))
def pad_with_a_differentiated_constant(x):
    return np.sum(np.pad(x, 1, constant_values=x[3]) * np.arange(6.0))


@program(MATRIX, twin=lambda m: torch.sum(torch.roll(m, (1, 2), (0, 1)) * torch.arange(9.0, dtype=torch.float64).reshape(3, 3)))
def roll_over_an_axis_tuple(m):
    return np.sum(np.roll(m, (1, 2), axis=(0, 1)) * np.arange(9.0).reshape(3, 3))


@program(MATRIX, twin=lambda m: torch.sum(torch.roll(m, -4) * torch.arange(9.0, dtype=torch.float64).reshape(3, 3)))
def roll_flat_by_a_negative_shift(m):
    return np.sum(np.roll(m, -4) * np.arange(9.0).reshape(3, 3))


@program(MATRIX, twin=lambda m: torch.sum(torch.rot90(m, -1) * torch.arange(9.0, dtype=torch.float64).reshape(3, 3)))
def rot90_clockwise(m):
    return np.sum(np.rot90(m, -1) * np.arange(9.0).reshape(3, 3))


@program(MATRIX, twin=lambda m: torch.sum(torch.flip(m, (0, 1)) * torch.arange(9.0, dtype=torch.float64).reshape(3, 3)))
def flip_every_axis(m):
    return np.sum(np.flip(m) * np.arange(9.0).reshape(3, 3))


@program(MATRIX, twin=lambda m: torch.sum(torch.triu(m, -1) ** 2) + torch.sum(torch.diagonal(m, 1) * 3))
def triu_below_and_diagonal_above(m):
    return np.sum(np.triu(m, k=-1) ** 2) + np.sum(np.diagonal(m, offset=1) * 3)


@program(VECTOR, twin=lambda x: torch.sum(torch.diag(x[:3], -1) * torch.arange(16.0, dtype=torch.float64).reshape(4, 4)))
def diag_below_the_main_diagonal(x):
    return np.sum(np.diag(x[:3], k=-1) * np.arange(16.0).reshape(4, 4))


@program(np.array([0.5, 1.5, 2.5]), twin=None)
def interp_with_differentiated_values(fp):
    return np.sum(np.interp([0.2, 1.3, 1.9, 3.0], [0.0, 1.0, 2.0], fp) ** 2)


@program(np.array([0.5, 1.5, 2.5]), twin=None)
def interp_at_differentiated_points(x):
    return np.sum(np.interp(x, [0.0, 1.0, 2.0], [1.0, 3.0, 2.0]) ** 2)


@program(np.array([0.5, -1.5, 2.5]), twin=lambda p: torch.sum(p[0] * torch.tensor([0.3, 1.2], dtype=torch.float64) ** 2 + p[1] * torch.tensor([0.3, 1.2], dtype=torch.float64) + p[2]))
def polyval_with_differentiated_coefficients(p):
    return np.sum(np.polyval(p, np.array([0.3, 1.2])))


@program(np.array([0.5, -1.5, 2.5, 0.9, 1.1]), twin=None)
def polyfit_of_differentiated_samples(y):
    coefficients = np.polyfit(np.array([0.0, 1.0, 2.0, 3.0, 4.0]), y, 2)
    return np.sum(coefficients * np.array([1.0, 2.0, 3.0]))


@program(np.array([0.5, -1.5, 2.5]), twin=lambda p: 2 * p[0] * 1.5 + p[1])
def polyder_then_polyval(p):
    return np.polyval(np.polyder(p), 1.5)


@program(np.array([0.5, -1.5, 2.5]), twin=lambda p: p[0] * 1.5 ** 2 + p[1] * 1.5 + p[2])
def poly1d_called(p):
    return np.poly1d(p)(1.5)


# ======================================================================
# Loops and accumulators written the way scientists write them
# ======================================================================

@program(VECTOR, twin=lambda x: torch.sum(x[x > 0]) * torch.sum((x > 0).double()))
def integer_counter_and_float_sum(x):
    total = 0
    count = 0
    for v in x:
        if v > 0:
            total += v
            count += 1
    return total * count


@program(VECTOR, twin=lambda x: (x[0] + x[2]) * (x[1] + x[3]))
def list_entries_updated_by_index_modulo(x):
    sums = [0.0, 0.0]
    for i in range(len(x)):
        sums[i % 2] += x[i]
    return sums[0] * sums[1]


@program(VECTOR, twin=lambda x: x[3] * x[2] + x[3])
def negative_indices_of_a_built_list(x):
    out = []
    for v in x:
        out.append(v)
    return out[-1] * out[-2] + out[-1:][0]


@program(VECTOR, twin=lambda x: torch.sum(x) * x[1])
def list_index_of_the_minimum(x):
    values = list(x)
    i = values.index(min(values))
    return sum(values) * values[i]


@program(VECTOR, twin=lambda x: torch.sum(torch.cat([x, x ** 2]) ** 2))
def array_grown_by_np_append_in_a_loop(x):
    out = np.zeros(0)
    for v in x:
        out = np.append(out, v)
    for v in x:
        out = np.append(out, v ** 2)
    return np.sum(out ** 2)


@program(VECTOR, twin=lambda x: torch.sum(torch.cat([x[1:], x[:1]]) * torch.arange(4.0, dtype=torch.float64)))
def array_shrunk_by_slicing_in_a_loop(x):
    rest = x
    total = 0.0
    k = 0
    while len(rest) > 0:
        total = total + rest[0] * ((k - 1) % 4)
        rest = rest[1:]
        k += 1
    return total


@program(1.7, twin=lambda a: torch.sqrt(a))
def newton_square_root(a):
    guess = 1.0
    while abs(guess * guess - a) > 1e-13:
        guess = 0.5 * (guess + a / guess)
    return guess


@program(np.array([0.4, -0.3]), twin=None)
def runge_kutta_four_steps(y0):
    def rhs(y):
        return np.array([y[1], -np.sin(y[0])])
    y = y0
    dt = 0.1
    for _ in range(5):
        k1 = rhs(y)
        k2 = rhs(y + dt / 2 * k1)
        k3 = rhs(y + dt / 2 * k2)
        k4 = rhs(y + dt * k3)
        y = y + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    return y[0] ** 2 + y[1]


@program(VECTOR, twin=lambda x: torch.sum(torch.softmax(x, 0) * torch.arange(4.0, dtype=torch.float64)))
def stable_softmax_written_out(x):
    z = x - x.max()
    e = np.exp(z)
    p = e / e.sum()
    return p @ np.arange(4.0)


@program(VECTOR, twin=lambda x: torch.sum(torch.where(x > 0, x, 0.1 * x) ** 2))
def leaky_relu_by_a_mask_product(x):
    y = x * (x > 0) + 0.1 * x * (x <= 0)
    return np.sum(y ** 2)


@program(VECTOR, twin=lambda x: torch.sum(x ** 2))
def loop_variable_shadows_the_argument(x):
    total = 0.0
    for x_i in x:
        total += x_i ** 2
    x = total
    return x


@program(VECTOR, twin=lambda x: torch.sum(x[1:] * x[:-1]))
def name_rebound_to_a_shifted_slice(x):
    y = x
    x = x[1:]
    return np.sum(x * y[:-1])


@program(VECTOR, twin=lambda x: torch.sum(x ** 2) + x[0])
def default_none_replaced_by_the_argument(x, offset=None):
    if offset is None:
        offset = x[0]
    return np.sum(x ** 2) + offset


@program(VECTOR, twin=lambda x: torch.sum(x * 2))
def int_argument_default_scales(x, k=2):
    return np.sum(x * k)


@program(VECTOR, twin=lambda x: torch.sum(torch.tensor([3.0, 2.0, 1.0, 0.0], dtype=torch.float64) * x))
def reversed_range_with_a_negative_step(x):
    total = 0.0
    for i in range(len(x) - 1, -1, -1):
        total += x[i] * (len(x) - 1 - i)
    return total


@program(VECTOR, twin=lambda x: x[0] * x[3] + x[1] * x[2])
def two_pointer_loop(x):
    i, j = 0, len(x) - 1
    total = 0.0
    while i < j:
        total += x[i] * x[j]
        i, j = i + 1, j - 1
    return total


@program(VECTOR, twin=lambda x: (x[0] + x[1]) * (x[2] + x[3]) + x[0] * 0)
def dict_of_running_sums(x):
    sums = {}
    for i, v in enumerate(x):
        key = "low" if i < 2 else "high"
        sums[key] = sums.get(key, 0.0) + v
    return sums["low"] * sums["high"]


@program(VECTOR, twin=lambda x: x[3] * 2)
def max_of_a_dict_by_value(x):
    scores = {"a": x[0], "b": x[1], "c": x[2], "d": x[3]}
    best = max(scores, key=scores.get)
    return scores[best] * 2


COEFFICIENTS = [1.0, 2.0]
CONFIG = {"power": 2, "scale": 1.5}
STEPS = 3
USE_LOG = False


def _polynomial_of_global_list(x):
    total = 0.0
    for k, c in enumerate(COEFFICIENTS):
        total = total + c * np.sum(x ** (k + 1))
    return total


def _power_from_global_dict(x):
    return np.sum(x ** CONFIG["power"]) * CONFIG["scale"]


def _steps_from_a_global(x):
    y = x
    for _ in range(STEPS):
        y = np.sin(y)
    return np.sum(y)


def _branch_on_a_global_flag(x):
    if USE_LOG:
        return np.sum(np.log(x ** 2))
    return np.sum(x ** 2)


@scenario
def globals_changed_in_place_and_rebound_between_calls():
    global STEPS, USE_LOG
    x = VECTOR.copy()
    results = []
    for mode in ("reverse", "forward"):
        g_list = ad.grad(_polynomial_of_global_list, mode=mode)
        g_dict = ad.grad(_power_from_global_dict, mode=mode)
        g_steps = ad.grad(_steps_from_a_global, mode=mode)
        g_flag = ad.grad(_branch_on_a_global_flag, mode=mode)
        before = [g(x) for g in (g_list, g_dict, g_steps, g_flag)]
        COEFFICIENTS.append(3.0)
        CONFIG["power"] = 3
        CONFIG["scale"] = 0.5
        STEPS = 1
        USE_LOG = True
        try:
            after = [g(x) for g in (g_list, g_dict, g_steps, g_flag)]
            want = [_central_gradient(f, x) for f in (
                _polynomial_of_global_list, _power_from_global_dict, _steps_from_a_global,
                _branch_on_a_global_flag)]
        finally:
            COEFFICIENTS.pop()
            CONFIG["power"] = 2
            CONFIG["scale"] = 1.5
            STEPS = 3
            USE_LOG = False
        want_before = [_central_gradient(f, x) for f in (
            _polynomial_of_global_list, _power_from_global_dict, _steps_from_a_global,
            _branch_on_a_global_flag)]
        for name, got, w in zip(("list", "dict", "steps", "flag"), before, want_before):
            results.append((f"{mode} {name} before", got, w))
        for name, got, w in zip(("list", "dict", "steps", "flag"), after, want):
            results.append((f"{mode} {name} after", got, w))
    return results


def _make_scaled(k):
    def scaled(x):
        return np.sum(np.sin(x) * k)
    return scaled


@scenario
def closures_of_one_factory_alive_together():
    two, three = _make_scaled(2.0), _make_scaled(3.0)
    g2, g3 = ad.grad(two), ad.grad(three)
    x = VECTOR.copy()
    return [
        ("k=2", g2(x), 2 * np.cos(x)),
        ("k=3", g3(x), 3 * np.cos(x)),
        ("k=2 again", g2(x), 2 * np.cos(x)),
        ("k=3 forward", ad.grad(three, mode="forward")(x), 3 * np.cos(x)),
        ("k=2 hessian diagonal", np.diag(ad.hessian(two)(x)), -2 * np.sin(x)),
    ]


def _list_or_array(x):
    return np.sum(np.asarray(x) ** 3)


@scenario
def one_derivative_called_with_a_list_then_an_array_then_a_tuple():
    g = ad.grad(_list_or_array)
    values = [0.5, -1.5, 2.0]
    want = 3 * np.array(values) ** 2
    return [
        ("list", np.asarray(g(list(values)), dtype=float), want),
        ("array", g(np.array(values)), want),
        ("tuple", np.asarray(g(tuple(values)), dtype=float), want),
        ("list again", np.asarray(g(list(values)), dtype=float), want),
    ]


def _two_arguments(x, y):
    return np.sum(x ** 2 * y) + np.sum(y ** 3)


@scenario
def one_function_with_several_wrt():
    x, y = VECTOR.copy(), VECTOR[::-1].copy()
    gx = ad.grad(_two_arguments)(x, y)
    gy = ad.grad(_two_arguments, wrt=1)(x, y)
    both = ad.grad(_two_arguments, wrt=(0, 1))(x, y)
    both_forward = ad.grad(_two_arguments, wrt=(0, 1), mode="forward")(x, y)
    return [
        ("d/dx", gx, 2 * x * y),
        ("d/dy", gy, x ** 2 + 3 * y ** 2),
        ("both d/dx", both[0], 2 * x * y),
        ("both d/dy", both[1], x ** 2 + 3 * y ** 2),
        ("forward both d/dy", both_forward[1], x ** 2 + 3 * y ** 2),
        ("d/dx again", ad.grad(_two_arguments)(x, y), 2 * x * y),
    ]


def _isinstance_of_float(x):
    if isinstance(x, float):
        return x ** 2
    return x ** 3


@scenario
def numpy_float64_is_a_python_float():
    g = ad.grad(_isinstance_of_float)
    return [
        ("Python float", g(1.5), 3.0),
        ("np.float64", g(np.float64(1.5)), 3.0),
        ("np.float32", g(np.float32(1.5)), 3 * 1.5 ** 2),
        ("0-d array", g(np.array(1.5)), 3 * 1.5 ** 2),
    ]


# ======================================================================
# Round 5, third batch: programs in the manner of scientific code
# ======================================================================

@program(np.array([1.0, 2.0, 1.5, 0.7]), twin=None)
def finite_element_assembly_with_ix(k):
    # overlapping element blocks added through np.ix_ (second order: see
    # test_red_team_round5's REFUSED)
    K = np.zeros((5, 5))
    for e in range(4):
        dofs = [e, e + 1]
        K[np.ix_(dofs, dofs)] += k[e] * np.array([[1.0, -1.0], [-1.0, 1.0]])
    K[0, 0] += 1.0
    u = np.linalg.solve(K + np.eye(5) * 0.1, np.ones(5))
    return np.sum(u)


@program(np.array([0.0, 0.3, 0.8, 1.0, 0.6, 0.2, 0.0]), twin=None)
def heat_equation_stepped_in_place(u0):
    u = u0.copy()
    for _ in range(10):
        u[1:-1] = u[1:-1] + 0.2 * (u[2:] - 2 * u[1:-1] + u[:-2])
    return np.sum(u ** 2)


@program(np.array([[1.0, 0.2, 0.3], [0.1, 1.5, -0.4], [0.5, 0.3, 2.0]]), twin=None)
def gram_schmidt_writing_columns(A):
    Q = np.zeros_like(A)
    for j in range(A.shape[1]):
        v = A[:, j].copy()
        for i in range(j):
            v -= (Q[:, i] @ A[:, j]) * Q[:, i]
        Q[:, j] = v / np.linalg.norm(v)
    return np.sum(Q * np.arange(9.0).reshape(3, 3))


@program(np.array([[0.0, 0.0], [1.0, 0.2], [0.3, 1.1], [1.2, 1.3]]), twin=None)
def pair_forces_scattered_with_add_at(pos):
    forces = np.zeros_like(pos)
    i, j = np.triu_indices(len(pos), 1)
    d = pos[i] - pos[j]
    f = d / np.sum(d ** 2, axis=1)[:, None] ** 2
    np.add.at(forces, i, f)
    np.add.at(forces, j, -f)
    return np.sum(forces ** 2)


@program(np.array([[0.0, 0.0], [1.0, 0.2], [0.3, 1.1], [1.2, 1.3]]), twin=None)
def lennard_jones_with_a_masked_diagonal(pos):
    d = pos[:, None, :] - pos[None, :, :]
    r2 = np.sum(d ** 2, axis=-1)
    mask = ~np.eye(len(pos), dtype=bool)
    inv6 = np.where(mask, 1.0 / np.where(mask, r2, 1.0) ** 3, 0.0)
    return 0.5 * np.sum(4 * (inv6 ** 2 - inv6))


@program(np.array([[0.0, 0.1], [0.2, 0.0], [1.0, 1.1], [1.2, 0.9], [0.1, 0.3]]), twin=None)
def k_means_step_with_bincount_weights(pts):
    c = np.array([[0.0, 0.0], [1.0, 1.0]])
    assign = np.argmin(np.sum((pts[:, None, :] - c[None]) ** 2, axis=-1), axis=1)
    counts = np.bincount(assign, minlength=2)
    new = np.stack([np.bincount(assign, weights=pts[:, k], minlength=2) for k in range(2)],
                   axis=1) / counts[:, None]
    return np.sum(new ** 2)


@program(np.array([[0.2, 0.5, 0.1, 0.9], [0.4, 0.3, 0.8, 0.2], [0.7, 0.6, 0.5, 0.1],
                   [0.3, 0.9, 0.4, 0.6]]), twin=None)
def laplacian_stencil_in_nested_loops(img):
    k = np.array([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]])
    out = np.zeros((2, 2))
    for i in range(2):
        for j in range(2):
            out[i, j] = np.sum(img[i:i + 3, j:j + 3] * k)
    return np.sum(out ** 2)


@program(np.array([0.0, 0.1, 0.35, 0.6, 1.0]), twin=None)
def cumulative_trapezoid_written_out(t):
    y = np.sin(3 * t)
    area = np.zeros_like(t)
    for i in range(1, len(t)):
        area[i] = area[i - 1] + 0.5 * (y[i] + y[i - 1]) * (t[i] - t[i - 1])
    return area[-1] + np.sum(area)


@program(np.array([1.0, 0.5, 0.25]), twin=None)
def gaussian_process_log_likelihood(theta):
    X = np.array([0.0, 0.4, 1.0, 1.7])
    y = np.array([0.3, -0.2, 0.5, 0.1])
    ell, sf, sn = theta
    K = sf ** 2 * np.exp(-0.5 * (X[:, None] - X[None, :]) ** 2 / ell ** 2) + sn ** 2 * np.eye(4)
    L = np.linalg.cholesky(K)
    alpha = np.linalg.solve(L.T, np.linalg.solve(L, y))
    return 0.5 * y @ alpha + np.sum(np.log(np.diag(L)))


@program(np.array([0.3, 0.7, 0.2]), twin=None)
def markov_chain_distribution_after_thirty_steps(p):
    P = np.array([[1 - p[0], p[0], 0.0], [p[1] * 0.5, 1 - p[1], p[1] * 0.5],
                  [0.0, p[2], 1 - p[2]]])
    pi = np.ones(3) / 3
    for _ in range(30):
        pi = pi @ P
    return pi @ np.array([1.0, 2.0, 3.0])


@program(np.array([0.3, 0.7, 0.2, 0.5]), twin=None, smooth=False)
def running_peak_and_drawdown_with_builtins(x):
    peak = x[0]
    worst = 0.0
    for v in x[1:]:
        peak = max(peak, v)
        worst = min(worst, v - peak)
    return worst + peak


@program(np.array([[0.5, 0.2], [0.1, 0.3]]), twin=None)
def power_iteration_normalised_in_place(A):
    v = np.ones(2)
    for _ in range(20):
        v = A @ v
        v /= np.linalg.norm(v)
    return v @ A @ v


# ----------------------------------------------------------------------
# Lists, dicts and starred targets, by Python's rules
# ----------------------------------------------------------------------

@program(VECTOR, twin=None)
def list_remove_takes_the_first_equal_value(x):
    # L[2] equals L[0]: remove drops L[0], and L[1] is then the computed copy
    L = [x[0], x[1], x[0] * 2 - x[0]]
    L.remove(L[2])
    return 3 * L[1] + 5 * L[0] ** 2


@program(VECTOR, twin=None)
def list_insert_at_negative_and_out_of_range_positions(x):
    L = [x[0], x[1]]
    L.insert(-1, x[2])
    L.insert(100, x[3])
    L.insert(-100, x[1] * 2)
    return L[0] * 1 + L[1] * 2 + L[2] * 3 + L[3] * 4 + L[4] * 5


@program(VECTOR, twin=None, smooth=False)
def list_sort_with_equal_values(x):
    L = [x[2], x[0], x[1] + 0.0, x[3], x[0] * 1.0]
    L.sort()
    return sum(L[i] * (i + 1) for i in range(len(L)))


@program(VECTOR, twin=None)
def del_two_entries_left_to_right(x):
    L = [x[0], x[1], x[2], x[3]]
    del L[1], L[1]
    return L[0] * 2 + L[1] * 3


@program(VECTOR, twin=None)
def pop_at_a_negative_index(x):
    L = [x[0], x[1], x[2], x[3]]
    v = L.pop(-2)
    return v * 5 + L[-1] * 2 + len(L)


@program(VECTOR, twin=None, smooth=False)
def list_repeated_by_a_count_computed_from_a_value(x):
    L = [x[0], x[1]]
    n = int(x[3])
    M = L * n + [x[2]] * (n - 1)
    return sum(M) + len(M)


@program(VECTOR, twin=None)
def plus_equals_through_a_second_name_of_a_list(x):
    L = [x[0], x[1]]
    M = L
    M += [x[2]]
    return sum(L) * len(L)


@program(VECTOR, twin=None)
def list_repeated_in_place_then_reversed(x):
    L = [x[0], x[1]]
    L *= 2
    L.reverse()
    return L[0] * 1 + L[1] * 2 + L[2] * 3 + L[3] * 4


@program(VECTOR, twin=None)
def extended_slice_assignment_of_a_list(x):
    L = [x[0], x[1], x[2]]
    L[::2] = [x[3], x[1]]
    return L[0] * 2 + L[1] * 3 + L[2] * 5


@program(VECTOR, twin=None)
def augmented_assignments_on_list_entries(x):
    L = [x[0], x[1], x[2]]
    L[-1] += x[3]
    L[0] *= L[-1]
    return L[0] + L[2]


@program(VECTOR, twin=None)
def dict_iterated_in_reverse_sorted_key_order(x):
    d = {"a": x[0], "b": x[1]}
    total = 0.0
    for k in sorted(d, reverse=True):
        total = total * 2 + d[k]
    return total


@program(VECTOR, twin=lambda x: (x[0] + x[1] + x[2]) * x[3])
def starred_target_collects_the_first_entries(x):
    *init, last = x
    return sum(init) * last


@program(VECTOR, twin=lambda x: x[0] * x[3] + x[1] * x[2] ** 2)
def starred_target_in_the_middle(x):
    a, *b, c = x
    return a * c + b[0] * b[1] ** 2


@program(VECTOR, twin=lambda x: x[0] * (x[1] + x[2] + x[3]) + 3)
def starred_target_of_tolist(x):
    first, *rest = x.tolist()
    return first * sum(rest) + len(rest)


@program(VECTOR, twin=lambda x: x[3] * x[0] + (x[1] + x[2] + x[3]) + 4)
def starred_rest_appended_to(x):
    head, *tail = x
    tail.append(head)
    return tail[-2] * tail[-1] + sum(tail[:-1]) + len(tail)


def _four(a, b, c, d):
    return a * b - c * d


@program(VECTOR, twin=lambda x: x[0] * x[1] - x[2] * x[3])
def array_unpacked_into_a_helpers_parameters(x):
    return _four(*x)


@program(VECTOR, twin=None)
def rows_unpacked_in_a_for_target(x):
    for a, b in x.reshape(2, 2):
        x = x + a * b
    return np.sum(x ** 2)


# ----------------------------------------------------------------------
# Softmax written out, in forms the fusing pass must leave alone
# ----------------------------------------------------------------------

SQUARE = np.array([[0.3, -0.8, 1.1], [0.45, -0.2, 0.7], [1.5, 0.1, -0.9]])
NINE = np.arange(9.0).reshape(3, 3)


@program(SQUARE, twin=lambda x: torch.sum(torch.exp(x - torch.amax(x, 0, keepdim=True)) / torch.sum(torch.exp(x - torch.amax(x, 0, keepdim=True)), 1, keepdim=True) * torch.tensor(NINE)))
def softmax_shifted_along_another_axis(x):
    # not a softmax: the shift varies along the summed axis
    e = np.exp(x - np.max(x, axis=0, keepdims=True))
    return np.sum(e / np.sum(e, axis=1, keepdims=True) * NINE)


@program(SQUARE, twin=lambda x: torch.sum(torch.exp(x - torch.amax(x, 1)) / torch.sum(torch.exp(x - torch.amax(x, 1)), 1, keepdim=True) * torch.tensor(NINE)))
def softmax_shift_without_keepdims_broadcasts_across(x):
    e = np.exp(x - np.max(x, axis=1))
    return np.sum(e / np.sum(e, axis=1, keepdims=True) * NINE)


@program(SQUARE, twin=lambda x: torch.sum(torch.exp(x - torch.amax(x, 1, keepdim=True)) / torch.sum(torch.exp(x - torch.amax(x, 1, keepdim=True)), 1) * torch.tensor(NINE)))
def softmax_sum_without_keepdims_divides_across(x):
    e = np.exp(x - np.max(x, axis=1, keepdims=True))
    return np.sum(e / np.sum(e, axis=1) * NINE)


@program(SQUARE, twin=lambda x: torch.sum(torch.exp(x - torch.amax(x, 1, keepdim=True)) / (torch.sum(torch.exp(x - torch.amax(x, 1, keepdim=True)), 1, keepdim=True) + 1.0) * torch.tensor(NINE)))
def softmax_denominator_changed_before_the_division(x):
    e = np.exp(x - np.max(x, axis=1, keepdims=True))
    t = np.sum(e, axis=1, keepdims=True)
    t = t + 1.0
    return np.sum(e / t * NINE)


@program(SQUARE, twin=lambda x: torch.sum(torch.softmax(x, 1) * torch.tensor(NINE)) + torch.sum(torch.sum(torch.exp(x - torch.amax(x, 1, keepdim=True)), 1)))
def softmax_whose_sum_is_read_again(x):
    e = np.exp(x - np.max(x, axis=1, keepdims=True))
    s = np.sum(e, axis=1, keepdims=True)
    return np.sum(e / s * NINE) + np.sum(s)


# ----------------------------------------------------------------------
# Arguments that are not differentiated, written by the function
# ----------------------------------------------------------------------

@program(np.array([0.5, -1.0, 2.0]), np.zeros(3), twin=lambda w, b: torch.sum((2 * w) ** 2))
def writes_into_a_buffer_argument(w, buf):
    buf[:] = w * 2
    return np.sum(buf ** 2)


@program(np.array([0.5, -1.0, 2.0]), np.ones(3), twin=lambda w, b: torch.sum((b + w) ** 2))
def plus_equals_into_a_second_argument(w, buf):
    buf += w
    return np.sum(buf ** 2)


@program(np.array([0.5, -1.0, 2.0]), np.zeros(1), twin=lambda w, s: torch.sum(w * (s[0] + 1.0)))
def counter_in_an_argument_array(w, state):
    state[0] = state[0] + 1.0
    return np.sum(w * state[0])


@program(np.array([0.5, -1.0, 2.0]), np.ones((2, 3)), twin=None)
def row_of_a_matrix_argument_written(w, m):
    m[0, :] = w
    return np.sum(m @ m.T)


class _Settings:
    weights = np.array([1.0, 2.0])


SETTINGS_NAMESPACE = types.SimpleNamespace(weights=np.array([1.0, 2.0]))


def _writes_then_reads_class_weights(x):
    x[0] = 3.0 * x[1]
    return np.sum(x * _Settings.weights)


def _writes_then_reads_namespace_weights(x):
    x[0] = 3.0 * x[1]
    return np.sum(x * SETTINGS_NAMESPACE.weights)


def _reads_the_weights(v):
    return np.sum(v * _Settings.weights)


def _reads_its_default(v, w=_Settings.weights):
    return np.sum(v * w)


def _changes_then_calls_a_reader(x):
    x *= 2.0
    return _reads_the_weights(x)


def _changes_then_calls_a_reader_of_its_default(x):
    x *= 2.0
    return _reads_its_default(x)


@scenario
def finding_argument_read_again_by_a_helper_through_a_global():
    """Silently wrong value (10.0 for Python's 20.0): the function doubles its
    argument in place, then calls a helper that reads the module-level array
    the caller passed (as a class attribute, or as the helper's default). The
    entry check looked only at what the function itself reads; it now also
    looks at what the helpers of its module it calls read (their globals,
    attribute chains and default arrays), transitively."""
    results = []
    for function in (_changes_then_calls_a_reader, _changes_then_calls_a_reader_of_its_default):
        original = _Settings.weights.copy()
        python_value = function(_Settings.weights)   # 20.0
        _Settings.weights[:] = original
        for entry in (ad.value_and_grad(function), ad.value_and_grad(function, memory="1KB")):
            try:
                value, _ = entry(_Settings.weights)
                results.append((f"{function.__name__} value", value, python_value))
            except ad.SharedMemoryError:
                results.append((f"{function.__name__} refused", 1.0, 1.0))
            finally:
                _Settings.weights[:] = original
        copy_ = _Settings.weights.copy()
        results.append((f"{function.__name__} on a copy", ad.grad(function)(copy_),
                        2.0 * _Settings.weights))
    return results


@scenario
def finding_argument_that_is_an_attribute_of_a_module_level_object():
    """Silently wrong value (10.0 for Python's 40.0): the function changes its
    argument in place and reads a class attribute (or a SimpleNamespace's) that
    is the very array the caller passed. Python changes both; the derivative
    changed a copy and read the attribute unchanged. The entry check that
    refuses this for module-level arrays, containers and instances did not
    search attributes of classes or of the standard library's objects: it now
    checks the attributes the function reads too (SharedMemoryError)."""
    results = []
    for function, owner in ((_writes_then_reads_class_weights, _Settings),
                            (_writes_then_reads_namespace_weights, SETTINGS_NAMESPACE)):
        original = owner.weights.copy()
        python_value = function(owner.weights)   # 40.0: x is the attribute
        owner.weights[:] = original
        jvp = ad.jvp(function)
        for entry in (ad.value_and_grad(function), ad.value_and_grad(function, memory="1KB"),
                      lambda w: jvp((w,), (np.ones(2),))):
            try:
                value, _ = entry(owner.weights)
                results.append((f"{function.__name__} value", value, python_value))
            except ad.SharedMemoryError:
                results.append((f"{function.__name__} refused", 1.0, 1.0))
            finally:
                owner.weights[:] = original
        # a copy is fine: the derivative of Python's function on it
        copy_ = owner.weights.copy()
        results.append((f"{function.__name__} on a copy",
                        ad.grad(function)(copy_), np.array([0.0, 3.0 + 2.0])))
        results.append((f"{function.__name__} copy unchanged", copy_, owner.weights))
    return results


# ----------------------------------------------------------------------
# A variable bound with no derivative where it may not be bound, then
# carrying one in a loop (found by a random-program generator)
# ----------------------------------------------------------------------

@program(VECTOR, twin=lambda x: 2.0 * 0.125 + x[0] * 1.75)
def finding_loop_over_a_value_first_bound_in_an_earlier_loop(x):
    """Forward mode crashed (UnboundLocalError: dv): v's tangent is zero where
    the first loop binds it, and the second loop, which makes it non-zero,
    could not start it at zero because v is not surely bound there (the first
    loop might not run). Now written where v is bound."""
    for c in [1.0, 2.0]:
        v = c
    for _ in range(3):
        v = v * 0.5 + x[0]
    return v


@program(VECTOR, twin=lambda x: 2.0 * 0.125 + x[0] * 1.75)
def finding_loop_over_the_max_of_a_constant_list(x):
    """As above: max(list) is written as a loop that binds v."""
    v = max([1.0, 2.0])
    for _ in range(3):
        v = v * 0.5 + x[0]
    return v


@program(VECTOR, twin=lambda x: x[1] ** 3)
def finding_while_loop_over_a_value_bound_in_an_earlier_while(x):
    """As above, with while loops."""
    n = 0
    while n < 2:
        v = float(n)
        n += 1
    while n < 5:
        v = v * x[1]
        n += 1
    return v


@program(VECTOR, twin=lambda x: 1.0 + 2 * x[2])
def finding_loop_over_a_value_bound_in_a_branch(x):
    """As above: v is bound in one branch only."""
    if x[0] > 0:
        v = 1.0
    if x[0] > 0:
        for _ in range(2):
            v = v + x[2]
        return v
    return x[0]


@program(3.5, twin=None)
def finding_interp_with_a_differentiated_period(p):
    """Silently wrong (derivative 0 for -1): the period was np.interp's only
    differentiated argument, and a parameter without a derivative template
    leaves the call inactive, so the check refusing period= never ran. Refused
    now (its template refuses)."""
    return np.sum(np.interp(np.array([0.5, 2.5, 3.7]), np.array([0.0, 1.0, 2.0, 3.0]),
                            np.array([0.0, 1.0, 0.5, 2.0]), period=p))


@program(VECTOR, twin=lambda x: x[0] + 1.0 + 0.0 * x[1])
def finding_min_of_a_constant_list_with_a_differentiated_default(x):
    """Forward mode crashed (UnboundLocalError: d_min): min(list, default=v) is
    written as a loop binding _min, then `if _first: _min = v`; the branch not
    taken left d_min unwritten, as _min is not surely bound there."""
    return min([1.0, 2.0], default=x[1]) + x[0]


@program(VECTOR, twin=lambda x: 2.0 * x[0] + 1.0 + 0.0 * x[1])
def finding_max_and_min_with_differentiated_defaults(x):
    """As above (the min's default is the one that crashed)."""
    return max([], default=x[0]) * 2 + min([1.0, 2.0], default=x[1])
