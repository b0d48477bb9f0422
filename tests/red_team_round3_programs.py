"""Red-team corpus, round 3: programs written to find silently wrong
derivatives, values or changed arguments in constructs the earlier corpora
did not probe hard: values that could be taken for constants (attributes of
user objects, module-level arrays, `and`/`or` operands, conversions to
Python numbers), iteration helpers (`enumerate`, `zip`, `map`, `sorted(key=)`,
`iter`/`next`, `x.flat`), NumPy views written through (`.real`, `.T`,
`reshape`, `np.asarray`, chained indexing, duplicate fancy indices), Python
containers changed in place (`+=` on lists, `|=` on dicts, `setdefault`,
`deque`, `copy.copy`), recursion, helper defaults, unusual dtypes and
non-finite inputs.

Each entry of PROGRAMS is a third_party_style_programs.Program, checked by
tests/test_red_team_round3.py five ways (reverse, value_and_grad, forward,
jvp, hvp) against torch or central finite differences, with the arguments
required unchanged. SCENARIOS are checks that need more than one call: a
function compiled, then its closure cell, default, global, module attribute,
helper code or instance attributes changed, or compiled from eight threads
at once; each returns (label, got, want) triples.

Programs whose name starts with `finding_` were wrong (or crashed) before
the commit that added them; their docstrings say how.
"""

from __future__ import annotations

import collections
import copy
import functools
import itertools
import math
import operator
import sys
import threading
import types

import numpy as np
import numpy as numpy_module
import torch

import adcompiler as ad
from red_team_checks import recorder
from third_party_style_programs import Program

PROGRAMS: list[Program] = []


program = recorder(PROGRAMS)


VECTOR = np.array([0.6, -1.3, 0.9, 2.1])
MATRIX = np.array([[1.2, -0.4, 0.3], [0.5, 0.9, -1.1], [-0.7, 0.2, 1.6]])
WEIGHTS = np.array([1.0, 2.0, 3.0, 4.0])


# ======================================================================
# Values that could be taken for constants
# ======================================================================

class Holder:
    def __init__(self):
        self.w = WEIGHTS.copy()
        self.s = 2.0


HOLDER = Holder()


@program(VECTOR, twin=lambda x: torch.sum(torch.tensor(WEIGHTS) * x) * 2.0)
def attribute_of_a_module_level_object(x):
    return np.sum(HOLDER.w * x) * HOLDER.s


@program(VECTOR, twin=lambda x: torch.sum(torch.tensor(WEIGHTS) * x ** 2))
def getattr_of_a_module_level_object(x):
    return np.sum(getattr(HOLDER, "w") * x ** 2)


@program(VECTOR, twin=lambda x: torch.sum(x ** 2))
def sum_of_a_generator_expression(x):
    return sum(v * v for v in x)


@program(VECTOR, twin=lambda x: torch.sum(x ** 2) if 0 < torch.sum(x) < 10 else torch.sum(x))
def chained_comparison_of_an_array_sum(x):
    if 0 < np.sum(x) < 10:
        return np.sum(x ** 2)
    return np.sum(x)


@program(VECTOR, twin=lambda x: torch.sum((x * 2) ** 2))
def conditional_expression_choosing_arrays(x):
    y = x * 2 if np.sum(x) > 0 else x * 3
    return np.sum(y ** 2)


@program(0.7, 1.5, wrt=(0, 1), twin=lambda a, b: a * 3.0)
def or_of_two_nonzero_floats_is_the_first(a, b):
    return (a or b) * 3.0


@program(0.7, 1.5, wrt=(0, 1), twin=lambda a, b: b * 3.0)
def and_of_two_nonzero_floats_is_the_second(a, b):
    return (a and b) * 3.0


@program(VECTOR, twin=lambda x: x[3] * 2)
def max_with_key_abs(x):
    return max(x, key=abs) * 2


@program(VECTOR, twin=lambda x: x[0] + x[3] * 3)
def sorted_with_key_abs(x):
    ordered = sorted(x, key=abs)
    return ordered[0] * 1 + ordered[-1] * 3


@program(VECTOR, twin=lambda x: x[3] + x[2] * 3)
def sorted_with_a_key_lambda(x):
    ordered = sorted(x, key=lambda v: -v)
    return ordered[0] + ordered[1] * 3


@program(VECTOR, twin=lambda x: torch.sum(torch.arange(4.0) * x ** 2))
def enumerate_over_an_array(x):
    total = 0.0
    for i, v in enumerate(x):
        total = total + i * v ** 2
    return total


@program(VECTOR, twin=lambda x: torch.sum(x * torch.flip(x, [0])))
def zip_of_an_array_with_its_reverse(x):
    total = 0.0
    for a, b in zip(x, x[::-1]):
        total = total + a * b
    return total


@program(VECTOR, twin=lambda x: torch.sum(torch.flip(x, [0]) * torch.tensor([1.0, 2, 4, 8])))
def reversed_over_an_array(x):
    total = 0.0
    weight = 1.0
    for v in reversed(x):
        total = total + weight * v
        weight = weight * 2
    return total


@program(VECTOR, twin=lambda x: torch.sum(torch.sin(x)))
def map_of_a_numpy_function(x):
    return sum(map(np.sin, x))


@program(VECTOR, twin=lambda x: torch.sum(x * x))
def map_of_a_lambda(x):
    return sum(list(map(lambda v: v * v, x)))


@program(VECTOR, smooth=False)
def filter_with_a_lambda(x):
    return sum(filter(lambda v: v > 0, x))


@program(VECTOR)
def iter_and_next(x):
    items = iter(x)
    first = next(items)
    second = next(items)
    return first * second


@program(VECTOR)
def loop_over_flat(x):
    total = 0.0
    for v in x.flat:
        total = total + v * v
    return total


@program(VECTOR)
def item_with_an_index(x):
    return x.item(2) * x[1]


@program(VECTOR, twin=lambda x: torch.sum(x ** 2) * 2)
def item_of_a_sum(x):
    return np.sum(x ** 2).item() * 2


@program(VECTOR, twin=lambda x: torch.sum(x ** 2) * 2)
def float_of_a_sum(x):
    return float(np.sum(x ** 2)) * 2


@program(VECTOR, twin=lambda x: 7 * x[0], smooth=False)
def int_truncation_has_zero_derivative(x):
    return int(np.sum(x ** 2)) * x[0]


@program(2.7, twin=lambda a: 3 * a + 2.7, smooth=False)
def round_has_zero_derivative(a):
    return round(a) * a + round(a, 1)


@program(VECTOR, twin=lambda x: x[0] ** 2 + x[2] ** 2)
def tolist_then_index(x):
    items = (x ** 2).tolist()
    return items[0] + items[2]


@program(VECTOR, twin=lambda x: torch.sum(x ** 3))
def loop_over_tolist(x):
    total = 0.0
    for v in x.tolist():
        total = total + v ** 3
    return total


@program(VECTOR, twin=lambda x: torch.sum(torch.sin(x)))
def with_block_around_the_computation(x):
    with np.errstate(all="ignore"):
        y = np.sum(np.sin(x))
    return y


@program(VECTOR)
def walrus_in_a_test(x):
    if (s := np.sum(x ** 2)) > 1:
        return s * 2
    return s


@program(VECTOR)
def try_finally_around_a_value(x):
    y = x * 2
    try:
        z = np.sum(y ** 2)
    finally:
        y = y + 1
    return z + np.sum(y)


@program(VECTOR)
def match_on_a_constant(x):
    n = 2
    match n:
        case 1:
            return np.sum(x)
        case 2:
            return np.sum(x ** 2)
    return 0.0


def _squares(x):
    for v in x:
        yield v * v


@program(VECTOR)
def sum_of_a_generator_function(x):
    return sum(_squares(x))


@program(VECTOR)
def nonlocal_accumulator(x):
    total = 0.0

    def add(v):
        nonlocal total
        total = total + v
    for v in x:
        add(v * v)
    return total


LAST_NORM = 0.0


@program(VECTOR)
def global_written_with_a_differentiated_value(x):
    global LAST_NORM
    LAST_NORM = np.sum(x ** 2)
    return LAST_NORM * 2


# ======================================================================
# NumPy views and aliases written through
# ======================================================================

@program(VECTOR)
def write_through_view_method(x):
    y = x * 1.0
    v = y.view()
    v[0] = 5.0
    return np.sum(y ** 2)


@program(VECTOR)
def write_through_real_of_a_complex_array(x):
    z = x * (1 + 1j)
    r = z.real
    r[1] = 2.0
    return np.sum(np.abs(z) ** 2)


@program(VECTOR)
def write_through_imag_slice(x):
    z = x * (1 + 1j)
    z.imag[:] = x ** 2
    return np.sum(np.abs(z) ** 2)


@program(VECTOR)
def shape_attribute_assigned(x):
    y = x * 2
    y.shape = (2, 2)
    return np.sum(y[0] * y[1])


@program(VECTOR)
def resize_method_in_place(x):
    y = x * 2
    y.resize((2, 2), refcheck=False)
    return np.sum(y[0] * y[1])


@program(MATRIX, twin=lambda x: torch.sum(x ** 2) - torch.sum(torch.diagonal(x) ** 2))
def fill_diagonal_of_a_copy(x):
    y = x * 1.0
    np.fill_diagonal(y, 0.0)
    return np.sum(y ** 2)


@program(MATRIX)
def fill_diagonal_of_a_view(x):
    y = x * 1.0
    corner = y[:2, :2]
    np.fill_diagonal(corner, 2.0)
    return np.sum(y ** 2)


@program(VECTOR, twin=lambda x: (x[0] + x[1]) ** 2 + x[3] ** 2 + x[2] ** 2)
def add_at_with_repeated_indices(x):
    y = np.zeros(3)
    np.add.at(y, [0, 0, 2, 1], x)
    return np.sum(y ** 2)


@program(VECTOR)
def add_at_into_a_view(x):
    y = np.zeros(6)
    middle = y[1:4]
    np.add.at(middle, [0, 0, 2, 1], x)
    return np.sum(y ** 2)


@program(VECTOR)
def as_strided_windows(x):
    windows = np.lib.stride_tricks.as_strided(x, shape=(3, 2), strides=(8, 8))
    return np.sum(windows[:, 0] * windows[:, 1])


@program(VECTOR)
def sliding_window_view_pairs(x):
    windows = np.lib.stride_tricks.sliding_window_view(x, 2)
    return np.sum(windows[:, 0] * windows[:, 1])


@program(VECTOR)
def write_through_base(x):
    y = x * 2
    tail = y[1:]
    base = tail.base
    base[0] = 7.0
    return np.sum(y ** 2)


@program(VECTOR)
def write_through_asarray(x):
    y = x * 2
    z = np.asarray(y)
    z[0] = 1.0
    return np.sum(y ** 2)


@program(VECTOR, twin=lambda x: torch.sum(x ** 2))
def asarray_of_the_argument(x):
    z = np.asarray(x)
    return np.sum((z * 1.0) ** 2)


@program(VECTOR)
def write_through_array_copy_false(x):
    y = x * 2
    z = np.array(y, copy=False)
    z[0] = 1.0
    return np.sum(y ** 2)


@program(VECTOR, twin=lambda x: torch.sum(x ** 3))
def ellipsis_write_through_a_second_name(x):
    y = x * 2
    z = y
    z[...] = x ** 2
    return np.sum(y * x)


@program(VECTOR, twin=lambda x: torch.sum(x ** 4))
def colon_write_through_a_second_name(x):
    y = x * 2
    z = y
    z[:] = x ** 3
    return np.sum(y * x)


@program(VECTOR)
def repeated_fancy_index_plus_equals_adds_once(x):
    y = np.zeros(3)
    y[[0, 0, 1]] += x[:3]
    return np.sum(y * np.array([1.0, 2.0, 3.0]))


@program(VECTOR)
def repeated_fancy_index_assignment_last_wins(x):
    y = np.zeros(3)
    y[[0, 0, 1]] = x[:3] ** 2
    return np.sum(y * np.array([1.0, 2.0, 3.0]))


@program(VECTOR)
def repeated_fancy_index_times_equals(x):
    y = x * 1.0
    y[[0, 0]] *= x[2:]
    return np.sum(y ** 2)


@program(VECTOR)
def chained_slice_write_changes_the_array(x):
    y = x * 1.0
    y[1:3][0] = 5.0
    return np.sum(y ** 2)


@program(VECTOR, twin=lambda x: torch.sum(x ** 2))
def chained_fancy_write_changes_a_copy(x):
    y = x * 1.0
    y[[1, 2]][0] = 5.0
    return np.sum(y ** 2)


@program(VECTOR, twin=lambda x: torch.sum(x ** 2) + x[1] + 10.0)
def fancy_index_copy_written(x):
    y = x * 1.0
    z = y[[0, 1]]
    z[0] = 10.0
    return np.sum(y ** 2) + np.sum(z)


@program(MATRIX)
def row_read_before_an_element_write(x):
    y = x * 1.0
    row = y[1]
    y[1, 1] = 0.0
    return np.sum(row ** 2) + np.sum(y)


@program(MATRIX)
def write_through_transpose(x):
    y = x * 1.0
    t = y.T
    t[0, 1] = 7.0
    return np.sum(y * x)


@program(MATRIX)
def write_through_ravel_of_transpose_copy(x):
    y = x * 1.0
    t = y.T.ravel()
    t[1] = 7.0
    return np.sum(y * x) + np.sum(t * t)


@program(MATRIX)
def write_through_swapaxes(x):
    y = x * 1.0
    t = np.swapaxes(y, 0, 1)
    t[0] *= 3.0
    return np.sum(y * x)


@program(MATRIX)
def diagonal_read_before_a_write(x):
    y = x * 1.0
    d = np.diagonal(y)
    y[0, 0] = 9.0
    return np.sum(d * x[0])


@program(VECTOR)
def write_through_negative_step_slice(x):
    y = x * 1.0
    r = y[::-1]
    r[0] = 3.0
    r += x
    return np.sum(y ** 2)


@program(VECTOR)
def write_through_squeeze(x):
    y = (x * 1.0).reshape(1, 4)
    z = np.squeeze(y)
    z[1] = 5.0
    return np.sum(y ** 2)


@program(VECTOR)
def write_through_atleast_2d(x):
    y = x * 1.0
    z = np.atleast_2d(y)
    z[0, 1] = 5.0
    return np.sum(y ** 2)


@program(VECTOR)
def write_through_astype_copy_false(x):
    y = x * 1.0
    z = y.astype(np.float64, copy=False)
    z[0] = 1.0
    return np.sum(y ** 2)


@program(VECTOR)
def matrix_power_in_place(x):
    y = np.outer(x, x)
    y @= np.eye(4) * 2
    return np.sum(y)


# ======================================================================
# Python containers changed in place
# ======================================================================

@program(VECTOR)
def list_plus_equals_extends_a_shared_list(x):
    a = [x[0]]
    b = a
    a += [x[1] * 2]
    return sum(b)


@program(VECTOR)
def list_times_equals_repeats_a_shared_list(x):
    a = [x[0], x[1]]
    b = a
    a *= 2
    return sum(b) + len(b)


@program(VECTOR)
def tuple_plus_equals_rebinds(x):
    a = (x[0],)
    b = a
    a += (x[1] * 2,)
    return sum(b) * 3 + sum(a)


@program(VECTOR)
def dict_or_equals_merges_a_shared_dict(x):
    d = {"a": x[0]}
    e = d
    d |= {"b": x[1] * 2}
    return e["a"] + e["b"]


@program(VECTOR)
def dict_setdefault(x):
    d = {"a": x[0]}
    added = d.setdefault("b", x[1] * 3)
    kept = d.setdefault("a", x[2])
    return added + kept * 2


@program(VECTOR)
def deque_of_values(x):
    queue = collections.deque()
    queue.append(x[0])
    queue.append(x[1] * 2)
    return queue[0] * queue[1]


@program(VECTOR)
def shallow_copy_shares_the_arrays(x):
    a = [x * 1.0, x * 2.0]
    b = copy.copy(a)
    b[0][0] = 9.0
    return np.sum(a[0] ** 2)


@program(VECTOR)
def deep_copy_does_not_share(x):
    a = [x * 1.0, x * 2.0]
    b = copy.deepcopy(a)
    b[0][0] = 9.0
    return np.sum(a[0] ** 2) + np.sum(b[0])


@program(VECTOR, twin=lambda x: torch.sum(x[1:] ** 2) + torch.sum(x))
def np_copy_then_written(x):
    y = np.copy(x)
    y[0] = 0.0
    return np.sum(y ** 2) + np.sum(x)


@program(VECTOR)
def math_fsum_of_a_list(x):
    return math.fsum([x[0] ** 2, x[1], x[2] * x[3]])


@program(VECTOR, twin=lambda x: torch.prod(x))
def reduce_with_a_lambda(x):
    return functools.reduce(lambda a, b: a * b, x)


@program(VECTOR, twin=lambda x: x[0] * x[1] * x[2])
def reduce_with_operator_mul(x):
    return functools.reduce(operator.mul, [x[0], x[1], x[2]], 1.0)


def _running_mean_twin(x):
    history, loss = [], 0.0
    for t in range(4):
        history.append(x[t] ** 2)
        loss = loss + torch.mean(torch.stack(history)) * x[t]
    return loss


@program(VECTOR, twin=_running_mean_twin)
def finding_running_mean_of_a_growing_list(x):
    """InternalCompilerError in reverse mode ('adding derivatives of sequences
    of lengths 3 and 4'): np.mean's adjoint read `history` when the adjoint
    sweep ran, by then holding every round's item. A list resized later is
    now passed to a primitive as a copy (own_arguments.copy_lists_read_before_resizing)."""
    history = []
    loss = 0.0
    for t in range(4):
        history.append(x[t] ** 2)
        loss = loss + np.mean(history) * x[t]
    return loss


@program(VECTOR, twin=lambda x: x[0] * x[2] + x[0] + x[1])
def finding_sum_of_a_list_before_an_append(x):
    """The same in straight-line code: sum(items) read before items.append."""
    items = [x[0]]
    before = sum(items)
    items.append(x[1])
    return before * x[2] + sum(items)


@program(VECTOR, twin=lambda x: torch.sum(x * torch.tensor([0.3, -0.2, 0.5, 0.7]))
         + torch.sum(x[:2] ** 2))
def finding_concatenate_before_a_pop(x):
    """np.concatenate's adjoint split its gradient by the list as popped since."""
    parts = [x[:2], x[2:]]
    joined = np.concatenate(parts)
    parts.pop()
    return np.sum(joined * np.array([0.3, -0.2, 0.5, 0.7])) + np.sum(np.concatenate(parts) ** 2)


def _stacked_rows_twin(x):
    first = torch.stack([x * 1.0])
    both = torch.stack([x * 1.0, x * 2.0])
    return torch.sum(first * torch.tensor([0.3, -0.2, 0.5, 0.7])) + torch.sum(both ** 2)


@program(VECTOR, twin=_stacked_rows_twin)
def finding_vstack_before_an_append(x):
    """np.vstack's adjoint: a ValueError (reshape of size 0) after the append."""
    rows = [x * 1.0]
    first = np.vstack(rows)
    rows.append(x * 2.0)
    return np.sum(first * np.array([0.3, -0.2, 0.5, 0.7])) + np.sum(np.vstack(rows) ** 2)


# ======================================================================
# Recursion and helper defaults
# ======================================================================

def _nested_sine(x, n):
    if n == 0:
        return x
    return np.sin(_nested_sine(x, n - 1))


@program(VECTOR, twin=lambda x: torch.sum(torch.sin(torch.sin(torch.sin(x)))))
def recursion_three_deep(x):
    return np.sum(_nested_sine(x, 3))


def _even_step(x, n):
    if n == 0:
        return x
    return _odd_step(x * 1.5, n - 1)


def _odd_step(x, n):
    if n == 0:
        return x * x
    return _even_step(np.sin(x), n - 1)


@program(VECTOR, twin=lambda x: torch.sum((1.5 * torch.sin(1.5 * x)) ** 2))
def finding_mutual_recursion(x):
    """RecursionError while compiling: reverse_backend._callee_sources walked
    the callees of even -> odd -> even ... without remembering those seen."""
    return np.sum(_even_step(x, 3))


OFFSETS = np.array([1.0, 2.0, 3.0, 4.0])


def _zero_first_and_weigh(x, y, w=OFFSETS):
    y[0] = 0.0
    return np.sum(w * y * x)


OFFSETS = np.array([5.0, 5.0, 5.0, 5.0])   # the helper's default stays the first array


def _weighted_by_first_offsets(x):
    y = x * 1.0
    y[0] = 0.0
    return torch.sum(torch.tensor([1.0, 2.0, 3.0, 4.0]) * y * x) + torch.sum(y)


@program(VECTOR, twin=_weighted_by_first_offsets)
def finding_helper_default_bound_when_defined(x):
    """Value and derivative wrong: a helper that changes an argument is
    inlined, and its `def` copied into the caller evaluated the default
    `w=OFFSETS` at every call, reading the array the global was rebound to
    since, not the one Python bound when the `def` ran."""
    y = x * 1.0
    return _zero_first_and_weigh(x, y) + np.sum(y)


NOISE_GENERATOR = np.random.default_rng(5)


def _add_drawn_noise(y, noise=NOISE_GENERATOR.normal(size=4)):
    y += noise
    return None


DRAWN = _add_drawn_noise.__defaults__[0].copy()


@program(VECTOR, twin=lambda x: torch.sum((x + torch.tensor(DRAWN)) ** 2))
def finding_helper_default_drawn_once(x):
    """Value and derivative wrong: the inlined helper drew a new default from
    the generator at every call; Python drew it once, when the `def` ran."""
    y = x * 1.0
    _add_drawn_noise(y)
    return np.sum(y ** 2)


def _accumulate_into_default(x, total=np.zeros(4)):
    total += x
    return np.sum(total * x)


@program(VECTOR)
def finding_helper_changes_its_default_array(x):
    """Wrong from the second call on: Python keeps `total += x` in the
    default, the derivative (which updates a copy) started from zeros at
    every call. Now refused, naming the line."""
    return _accumulate_into_default(x)


def _remember(x, seen=[]):
    seen.append(x)
    return len(seen) * np.sum(x ** 2)


@program(VECTOR)
def finding_helper_appends_to_its_default_list(x):
    """As above, with a default list appended to: len(seen) grows in Python."""
    return _remember(x)


@program(VECTOR)
def finding_function_changes_its_own_default(x, buffer=np.zeros(4)):
    """The differentiated function itself changes its default in place."""
    buffer[0] = x[0]
    buffer += x
    return np.sum(buffer * x)


def _scale_by(x, factor=2.0, shift=(1.0, -1.0)):
    x[0] = x[0] * factor + shift[0]
    return None


@program(VECTOR, twin=lambda x: (x[0] * 2.0 + 1.0) ** 2 + torch.sum(x[1:] ** 2))
def mutating_helper_with_literal_defaults(x):
    y = x * 1.0
    _scale_by(y)
    return np.sum(y ** 2)


# ======================================================================
# dtypes, shapes and values at the edges
# ======================================================================

@program(VECTOR.astype(np.float16), smooth=False)
def float16_argument(x):
    return np.sum(x ** 2)


@program(np.array(1.3), twin=lambda x: x ** 2 * torch.sin(x))
def zero_dimensional_argument(x):
    return x ** 2 * np.sin(x)


@program(np.zeros(0), twin=lambda x: torch.sum(x ** 2) + 1.0)
def empty_argument(x):
    return np.sum(x ** 2) + 1.0


def _masked_squares(x):
    finite = torch.isfinite(x)
    safe = torch.where(finite, x, 0.0)
    return torch.sum(torch.where(finite, safe ** 2, 0.0))


@program(np.array([1.0, np.inf, 2.0]), twin=_masked_squares, smooth=False)
def infinite_entry_masked_by_a_double_where(x):
    finite = np.isfinite(x)
    safe = np.where(finite, x, 0.0)
    return np.sum(np.where(finite, safe ** 2, 0.0))


@program(VECTOR, twin=lambda x: torch.sum(((x * 3) - torch.floor(x * 3)) * x), smooth=False)
def modulo_by_one(x):
    return np.sum((x * 3) % 1.0 * x)


@program(VECTOR, twin=lambda x: torch.sum(torch.floor(x * 3) * x), smooth=False)
def floor_division_by_one(x):
    return np.sum((x * 3) // 1 * x)


@program(VECTOR, smooth=False)
def astype_int_has_zero_derivative(x):
    return np.sum(x.astype(int) * x)


@program(np.array([0.63, -1.27, 0.94, 2.16]),
         twin=lambda x: torch.sum((torch.tensor([1.0, 2, 3, 4]) + torch.tensor([6.0, -12, 9, 21])) * x),
         smooth=False)
def finding_integer_array_plus_equals_a_cast(x):
    """Forward mode crashed (TypeError from NumPy's copyto): the tangent of
    `counts += (x * 10).astype(int)` was cast into the integer array like the
    value; it stays floating-point (runtime/core.in_place_tangent)."""
    counts = np.array([1, 2, 3, 4])
    counts += (x * 10).astype(int)
    return np.sum(counts * x)


@program(VECTOR, twin=lambda x: torch.sum(x ** -2))
def negative_integer_power(x):
    return np.sum(x ** -2)


@program(VECTOR)
def divmod_of_a_value(x):
    q, r = divmod(x[3] * 3, 1.0)
    return r * x[0] + q


@program(VECTOR, twin=lambda x: x[0] * x[1] * 2.0 + torch.sqrt(x[2] ** 2 + x[3] ** 2))
def math_prod_and_hypot(x):
    return math.prod([x[0], x[1], 2.0]) + math.hypot(x[2], x[3])


@program(VECTOR, twin=lambda x: 5 * x[1])
def length_of_a_formatted_value(x):
    text = f"{x[0]:.3f}"
    return x[1] * len(text)


@program(VECTOR, twin=lambda x: torch.sum(x * torch.sum(torch.outer(x, x), 1, keepdim=True).T))
def sum_with_keepdims(x):
    m = np.outer(x, x)
    return np.sum(x * m.sum(axis=1, keepdims=True).T)

# ======================================================================
# Arguments, containers and views changed in place; closures and defaults
# ======================================================================

@program(VECTOR)
def late_binding_local_def(x):
    for k in range(3):
        def g(v):
            return v * k
    return np.sum(g(x))

@program(VECTOR)
def closure_sees_rebinding(x):
    s = 2.0
    def g(v):
        return v * s
    s = x[0]
    return np.sum(g(x))

@program(VECTOR)
def default_captures_at_def(x):
    s = 2.0
    def g(v, s=s):
        return v * s
    s = x[0]
    return np.sum(g(x)) + s

@program(VECTOR)
def default_captures_differentiated(x):
    s = x[1]
    def g(v, s=s):
        return v * s
    s = 3.0
    return np.sum(g(x)) * s

@program(VECTOR)
def lambda_default_in_loop(x):
    total = 0.0
    for k in range(3):
        g = lambda v, k=k: v * k
        total = total + np.sum(g(x))
    return total

@program([0.5, -1.2, 2.0])
def list_arg_element_write(xs):
    xs[0] = xs[0] * 2
    return xs[0] * xs[1] + xs[2]

@program({'a': 0.5, 'b': -1.2})
def dict_arg_write(d):
    d['a'] = d['a'] * 3
    return d['a'] * d['b']

@program(VECTOR)
def array_arg_loop_write(x):
    for i in range(len(x)):
        x[i] = x[i] ** 2
    return np.sum(x)

@program(VECTOR)
def array_arg_sort(x):
    x.sort()
    return x[0] * 2 + x[3]

@program(VECTOR)
def array_arg_iadd_via_alias(x):
    y = x
    y += 1.0
    return np.sum(x ** 2)

@program(VECTOR)
def argument_view_write(x):
    v = x[1:3]
    v *= 2
    return np.sum(x ** 2)

@program([np.array([0.5, 1.0]), np.array([2.0, -1.0])])
def list_of_arrays_arg_inplace(ws):
    for w in ws:
        w *= 2.0
    return np.sum(ws[0] * ws[1])

@program([np.array([0.5, 1.0]), np.array([2.0, -1.0])])
def list_of_arrays_arg_element(ws):
    ws[0][1] = 3.0
    return np.sum(ws[0] * ws[1])

@program(VECTOR)
def argsort_index(x):
    order = np.argsort(x)
    return x[order[0]] * 2 + x[order[-1]]

@program(VECTOR)
def np_sort_then_write(x):
    s = np.sort(x)
    s[0] = 0.0
    return np.sum(s * x)

@program(VECTOR)
def sort_of_a_copy(x):
    y = x * 1.0
    y.sort()
    return np.sum(y * np.arange(4.0))

@program(VECTOR)
def dict_of_arrays_loop(x):
    d = {'a': x * 1.0, 'b': x * 2.0}
    for k in d:
        d[k] += 1.0
    return np.sum(d['a'] * d['b'])

@program(VECTOR)
def dict_values_inplace(x):
    d = {'a': x * 1.0, 'b': x * 2.0}
    for v in d.values():
        v *= 3.0
    return np.sum(d['a'] * d['b'])

@program(VECTOR)
def dict_items_inplace(x):
    d = {'a': x * 1.0, 'b': x * 2.0}
    for k, v in d.items():
        v[0] = 0.0
    return np.sum(d['a'] * d['b'])

@program(VECTOR)
def list_of_rows_inplace(x):
    m = np.outer(x, x)
    for row in m:
        row *= 2.0
    return np.sum(m)

@program(VECTOR)
def enumerate_rows_inplace(x):
    m = np.outer(x, x)
    for i, row in enumerate(m):
        row[i] = 0.0
    return np.sum(m * m)

@program(VECTOR)
def zip_rows_inplace(x):
    m = np.outer(x, x)
    n = m * 2
    for a, b in zip(m, n):
        a += b
    return np.sum(m * m)

@program(VECTOR)
def nested_list_alias(x):
    a = [x * 1.0]
    b = [a, a]
    b[0][0][1] = 5.0
    return np.sum(a[0] ** 2)

@program(VECTOR)
def tuple_of_arrays_inplace(x):
    t = (x * 1.0, x * 2.0)
    t[0][0] = 9.0
    return np.sum(t[0] * t[1])

@program(VECTOR)
def swap_names(x):
    a = x * 1.0
    b = x * 2.0
    a, b = b, a
    a[0] = 0.0
    return np.sum(a * x) + np.sum(b)

@program(VECTOR)
def rebind_inside_loop_alias(x):
    y = x * 1.0
    z = y
    for i in range(2):
        y = y * 2
        z[0] = y[0]
    return np.sum(z * y)

@program(VECTOR)
def while_alias(x):
    y = x * 1.0
    k = 0
    w = y[1:]
    while k < 3:
        w *= 1.5
        k += 1
    return np.sum(y ** 2)

@program(VECTOR)
def conditional_alias(x):
    y = x * 1.0
    if x[0] > 0:
        z = y
    else:
        z = y.copy()
    z[1] = 0.0
    return np.sum(y ** 2) + np.sum(z)

@program(VECTOR)
def conditional_alias_neg(x):
    y = x * 1.0
    if x[0] < 0:
        z = y
    else:
        z = y.copy()
    z[1] = 0.0
    return np.sum(y ** 2) + np.sum(z)

@program(VECTOR)
def where_out_param(x):
    y = x * 1.0
    np.sin(x, out=y, where=x > 0)
    return np.sum(y ** 2)

@program(VECTOR)
def clip_out_inplace(x):
    y = x * 2.0
    np.clip(y, -1.0, 1.0, out=y)
    return np.sum(y * x)

@program(VECTOR)
def matmul_out(x):
    m = np.outer(x, x)
    r = np.empty(4)
    np.matmul(m, x, out=r)
    return np.sum(r)

@program(VECTOR)
def cumsum_out_view(x):
    y = np.zeros(6)
    np.cumsum(x, out=y[1:5])
    return np.sum(y ** 2)


# ======================================================================
# Floating-point values written into integer arrays (NumPy truncates)
# ======================================================================

# No entry times ten is an integer: away from the truncation's steps.
INTEGRAL_FREE = np.array([0.63, -1.27, 0.94, 2.16])


@program(INTEGRAL_FREE, smooth=False)
def write_into_int_array(x):
    y = np.zeros(3, dtype=int)
    y[0] = x[0] * 10
    return np.sum(y * x[:3]) + y[0] * x[1]

@program(INTEGRAL_FREE, smooth=False)
def write_into_arange(x):
    y = np.arange(4)
    y[1] = x[3] * 3
    return np.sum(y * x)

@program(INTEGRAL_FREE, smooth=False)
def slice_write_into_int_array(x):
    y = np.zeros(4, dtype=np.int64)
    y[:] = x * 10
    return np.sum(y * 1.0) + np.sum(x)

@program(INTEGRAL_FREE, smooth=False)
def iadd_int_array(x):
    y = np.ones(4, dtype=int)
    y[1] += x[1] * 10
    return np.sum(y * x)

@program(INTEGRAL_FREE, smooth=False)
def write_into_bool_array(x):
    y = np.zeros(4, dtype=bool)
    y[0] = x[0]
    return np.sum(y * x)

@program(INTEGRAL_FREE, smooth=False)
def fill_int(x):
    y = np.zeros(4, dtype=int)
    y.fill(x[3] * 10)
    return np.sum(y * x)

@program(INTEGRAL_FREE, smooth=False)
def put_int(x):
    y = np.zeros(4, dtype=int)
    np.put(y, [0, 1], x[:2] * 10)
    return np.sum(y * x)

@program(INTEGRAL_FREE, smooth=False)
def int_like_write(x):
    ints = np.array([1, 2, 3, 4])
    y = np.zeros_like(ints)
    y[2] = x[2] * 10
    return np.sum(y * x)

@program(INTEGRAL_FREE, smooth=False)
def list_int_then_array(x):
    y = np.array([0, 0, 0, 0])
    y[3] = x[0] * 7
    return np.sum(y * x)

@program(INTEGRAL_FREE, smooth=False)
def complex_buffer(x):
    y = np.zeros(4, dtype=complex)
    y[:] = x * 2
    return np.sum(np.abs(y) ** 2)

@program(INTEGRAL_FREE, smooth=False)
def int_array_out(x):
    y = np.zeros(4, dtype=int)
    np.multiply(x, 10, out=y, casting='unsafe')
    return np.sum(y * x)

@program(INTEGRAL_FREE, smooth=False)
def int_param_local(x):
    n = 3
    y = np.full(4, n)
    y[0] = x[0] * 10
    return np.sum(y * x)

@program(INTEGRAL_FREE, smooth=False)
def int_matrix_row_write(x):
    y = np.zeros((2, 4), dtype=int)
    y[1] = x * 10
    return np.sum(y[1] * x)

# ======================================================================
# Loops whose bodies change what they read (hoisting), names like the
# generated code's, comprehensions, generators and iteration helpers
# ======================================================================

@program(INTEGRAL_FREE)
def hoist_view_write(x):
    a = x * 1.0
    total = 0.0
    for i in range(3):
        b = a * 2
        v = a[1:]
        v += 1.0
        total = total + np.sum(b * x)
    return total

@program(INTEGRAL_FREE)
def hoist_list_append(x):
    items = [x[0]]
    total = 0.0
    for i in range(3):
        s = sum(items)
        items.append(x[i + 1])
        total = total + s * x[i]
    return total

@program(INTEGRAL_FREE)
def hoist_dict_update(x):
    d = {'a': x[0]}
    total = 0.0
    for i in range(3):
        s = d['a'] * 2
        d['a'] = d['a'] + x[i]
        total = total + s
    return total

BUF = np.zeros(4)
def bump(v):
    BUF[0] += 1.0
    return v

@program(INTEGRAL_FREE)
def hoist_global_changed_by_helper(x):
    total = 0.0
    for i in range(3):
        total = total + np.sum(BUF * x) + bump(x[i])
    return total

@program(INTEGRAL_FREE)
def hoist_while_alias(x):
    a = x * 1.0
    k = 0
    total = 0.0
    while k < 3:
        c = np.sin(a)
        a[k] = a[k] * 2
        total = total + np.sum(c)
        k += 1
    return total

@program(INTEGRAL_FREE)
def hoist_in_branch(x):
    a = x * 1.0
    total = 0.0
    for i in range(4):
        if i % 2 == 0:
            m = np.exp(a)
        else:
            a = a * 0.5
            m = a
        total = total + np.sum(m)
    return total

@program(INTEGRAL_FREE)
def hoist_swap(x):
    a = x * 1.0
    b = x * 2.0
    total = 0.0
    for i in range(3):
        total = total + np.sum(a * b)
        a, b = b, a + b * 0.1
    return total

@program(INTEGRAL_FREE)
def hoist_rows_inplace(x):
    m = np.outer(x, x)
    total = 0.0
    for i in range(4):
        r = m[i]
        s = np.sum(m)
        r *= 0.5
        total = total + s
    return total

@program(INTEGRAL_FREE)
def hoist_sort_in_loop(x):
    a = x * 1.0
    total = 0.0
    for i in range(2):
        first = a[0]
        a.sort()
        a[0] = a[0] + 1.0
        total = total + first * x[1]
    return total


def unbroadcast(a, b):
    return a * 3.0
def zeros_like(a):
    return a + 1.0
as_gradient = 2.5
def sum_adjoint(x):
    return x * 7.0

@program(INTEGRAL_FREE)
def helper_names_shadowed(x):
    return np.sum(unbroadcast(x, x) * zeros_like(x)) * as_gradient + np.sum(sum_adjoint(x))

@program(INTEGRAL_FREE)
def local_names_like_generated(x):
    _stack = [1.0]
    _t1 = x * 2
    dx = _t1 ** 2
    d_t1 = dx * 3
    _result = np.sum(d_t1) + _stack[0]
    return _result

@program(INTEGRAL_FREE)
def local_np_shadow(x):
    total = np.sum(x ** 2)
    np_ = 3.0
    return total * np_

@program(INTEGRAL_FREE)
def parameter_named_g(x, g=2.0):
    return np.sum(x ** 2) * g

@program(INTEGRAL_FREE)
def numpy_full_name(x):
    return numpy_module.sum(numpy_module.sin(x))

@program(INTEGRAL_FREE)
def variable_named_like_builtin(x):
    sum_ = 0.0
    max = 2.0
    len = 3
    return np.sum(x) * max + len + sum_

@program(INTEGRAL_FREE)
def variable_named_range(x):
    range_ = 2
    total = 0.0
    for i in range(range_):
        total = total + np.sum(x * i)
    return total

@program(INTEGRAL_FREE)
def variable_called_result(x):
    result = x * 2
    _returned = np.sum(result)
    return _returned

@program(INTEGRAL_FREE)
def tuple_unpack_swap_arrays(x):
    a, b = x[:2], x[2:]
    b, a = a * 2, b * 3
    return np.sum(a * b)

@program(INTEGRAL_FREE)
def augmented_on_subscript_with_call_index(x):
    y = x * 1.0
    idx = [0, 1]
    y[idx.pop()] += 5.0 * x[2]
    return np.sum(y ** 2)

@program(INTEGRAL_FREE)
def subscript_target_evaluated_once(x):
    y = x * 1.0
    counter = [0]
    def nxt():
        counter[0] = counter[0] + 1
        return counter[0]
    y[nxt()] *= 3.0
    return np.sum(y ** 2) + counter[0]


@program(INTEGRAL_FREE, smooth=False)
def sum_gen_with_condition(x):
    return sum(v ** 2 for v in x if v > 0)

@program(INTEGRAL_FREE)
def nested_gen(x):
    return sum(a * b for a in x for b in x[:2])

@program(INTEGRAL_FREE, smooth=False)
def any_all_branch(x):
    if any(v > 2 for v in x) and all(v > -2 for v in x):
        return np.sum(x ** 2)
    return np.sum(x)

@program(INTEGRAL_FREE, smooth=False)
def min_gen_default(x):
    return min((v * v for v in x if v > 5), default=x[0]) + max(x * 2)

@program(INTEGRAL_FREE)
def dict_comp_values(x):
    d = {i: x[i] ** 2 for i in range(4)}
    return sum(d.values()) + d[2]

@program(INTEGRAL_FREE)
def itertools_product(x):
    total = 0.0
    for a, b in itertools.product(x[:2], x[2:]):
        total = total + a * b
    return total

@program(INTEGRAL_FREE)
def itertools_accumulate(x):
    return sum(itertools.accumulate(x))

@program(INTEGRAL_FREE)
def zip_strict_like(x):
    return sum(a * b for a, b in zip(x, x[1:]))

@program(INTEGRAL_FREE)
def enumerate_start(x):
    return sum(i * v for i, v in enumerate(x, start=1))

@program(INTEGRAL_FREE)
def list_comp_of_rows(x):
    m = np.outer(x, x)
    return np.sum(np.array([r * i for i, r in enumerate(m)]))

@program(INTEGRAL_FREE)
def comprehension_shadowing(x):
    v = x[0]
    s = sum(v * 2 for v in x)
    return s * v

@program(INTEGRAL_FREE)
def while_with_array_test(x):
    y = x * 1.0
    while np.max(np.abs(y)) > 1.0:
        y = y * 0.5
    return np.sum(y ** 2)

@program(INTEGRAL_FREE, smooth=False)
def sorted_reverse_key(x):
    s = sorted(x, key=lambda v: v * v, reverse=True)
    return s[0] * 3 + s[1]

@program(INTEGRAL_FREE)
def math_functions_mix(x):
    return math.exp(x[0]) * math.log1p(abs(x[1])) + math.atan2(x[2], x[3]) + math.erf(x[0])

@program(INTEGRAL_FREE)
def np_scalar_methods(x):
    s = np.sum(x)
    return s.real * 2 + np.float64(s) * x[0]

@program(INTEGRAL_FREE)
def chained_methods(x):
    return x.reshape(2, 2).T.sum(axis=0).prod() + x.clip(-1, 1).mean()

@program(INTEGRAL_FREE)
def complex_roundtrip(x):
    z = np.fft.fft(x)
    return np.sum(np.abs(z) ** 2) + np.real(np.fft.ifft(z))[1]

@program(INTEGRAL_FREE)
def einsum_trace(x):
    m = np.outer(x, x)
    return np.einsum('ii', m) + np.einsum('ij,j->', m, x)

@program(INTEGRAL_FREE, smooth=False)
def where_three_args_inplace(x):
    y = x * 1.0
    y[y < 0] = np.sqrt(-y[y < 0])
    return np.sum(y ** 2)

@program(INTEGRAL_FREE)
def boolean_mask_assign_from_other(x):
    y = np.zeros(4)
    mask = np.array([True, False, True, False])
    y[mask] = x[:2] * 3
    return np.sum(y * x)

# ======================================================================
# A NaN among the arguments (masked, skipped by the nan-reductions)
# ======================================================================

WITH_NAN = np.array([0.63, np.nan, 0.94, 2.16])


@program(WITH_NAN, twin=lambda x: torch.sum(torch.where(torch.isnan(x), 0.0, x) ** 2), smooth=False)
def nan_masked_where(x):
    return np.sum(np.where(np.isnan(x), 0.0, x) ** 2)

@program(WITH_NAN, twin=lambda x: torch.nanmean(x * 3), smooth=False)
def nanmean_scaled(x):
    return np.nanmean(x * 3)

@program(WITH_NAN, smooth=False)
def nan_to_num_then_sum(x):
    return np.sum(np.nan_to_num(x) ** 2)

@program(WITH_NAN, smooth=False)
def nanmax_value(x):
    return np.nanmax(x) * 2 + np.nanmin(x)

@program(WITH_NAN, smooth=False)
def isnan_filter_index(x):
    keep = ~np.isnan(x)
    return np.sum(x[keep] ** 2)

@program(WITH_NAN, smooth=False)
def nan_comparison_branch(x):
    if x[1] > 0:
        return x[0] * 2
    return x[0] * 3


# ======================================================================
# Scenarios: compile, change what the function reads, compile again
# ======================================================================

def _central_gradient(function, x, step=1e-6):
    gradient = np.zeros_like(x)
    for k in range(x.size):
        e = np.zeros_like(x)
        e.reshape(-1)[k] = step
        gradient.reshape(-1)[k] = (function(x + e) - function(x - e)) / (2 * step)
    return gradient


def _fresh(label, function, x=VECTOR, **options):
    """(label, ad.grad's gradient, central differences) at x."""
    return (label, ad.grad(function, **options)(x.copy()), _central_gradient(function, x))


SCENARIOS = []


def scenario(function):
    SCENARIOS.append(function)
    return function


@scenario
def closure_cell_rebound():
    def make():
        k = 2.0
        act = np.sin

        def f(x):
            return np.sum(act(x) * k)

        def rebind(new_k, new_act):
            nonlocal k, act
            k, act = new_k, new_act
        return f, rebind
    f, rebind = make()
    found = [_fresh("before", f)]
    held = ad.grad(f)
    rebind(5.0, np.cos)
    found.append(_fresh("after rebinding the cells", f))
    # The held derivative follows both: the number read live, the function
    # it calls by compiling again (held.py), as f now computes 5 cos(x).
    found.append(("held derivative", held(VECTOR), -5.0 * np.sin(VECTOR)))
    return found


@scenario
def default_argument_replaced():
    def f(x, s=2.0):
        return np.sum(x ** 2) * s
    found = [_fresh("before", f)]
    f.__defaults__ = (7.0,)
    found.append(_fresh("after", f))
    return found


SETTINGS = types.ModuleType("red_team_round3_settings")
SETTINGS.act = np.sin
SETTINGS.scale = 2.0
sys.modules[SETTINGS.__name__] = SETTINGS


def _uses_settings(x):
    return np.sum(SETTINGS.act(x)) * SETTINGS.scale


@scenario
def module_attributes_rebound():
    found = [_fresh("before", _uses_settings)]
    SETTINGS.act, SETTINGS.scale = np.cos, 4.0
    try:
        found.append(_fresh("after rebinding the attributes", _uses_settings))
    finally:
        SETTINGS.act, SETTINGS.scale = np.sin, 2.0
    return found


ACTIVATION = np.sin


def _uses_activation(x):
    return np.sum(ACTIVATION(x))


def _helper(x):
    return np.sin(x)


def _calls_helper(x):
    return np.sum(_helper(x))


def _cube(x):
    return x ** 3


@scenario
def global_function_and_helper_code_replaced():
    # Rebound from outside, as another module would (`settings.ACTIVATION = ...`):
    # a `global` statement here would make the name one a function rebinds.
    module = sys.modules[__name__]
    found = [_fresh("global before", _uses_activation)]
    module.ACTIVATION = np.tanh
    try:
        found.append(_fresh("global after", _uses_activation))
    finally:
        module.ACTIVATION = np.sin
    found.append(_fresh("helper before", _calls_helper))
    original = _helper.__code__
    _helper.__code__ = _cube.__code__
    try:
        found.append(_fresh("helper after __code__ swapped", _calls_helper))
    finally:
        _helper.__code__ = original
    return found


@functools.lru_cache(maxsize=None)
def _squared_constant(n):
    return float(n) ** 2


def _uses_cached_constant(x):
    return np.sum(x ** 2) * _squared_constant(3)


@scenario
def lru_cache_helper_of_a_constant():
    return [_fresh("lru_cache helper", _uses_cached_constant)]


class Quadratic:
    def __init__(self, w):
        self.w = w

    def loss(self, x):
        return np.sum(self.w * x ** 2)


class SineLoss(Quadratic):
    def loss(self, x):
        return np.sum(self.w * np.sin(x))


@scenario
def bound_methods_and_changed_attributes():
    model = Quadratic(WEIGHTS.copy())
    found = [_fresh("bound method", model.loss)]
    held = ad.grad(model.loss)
    model.w = np.full(4, 5.0)
    found.append(_fresh("after the attribute changed", model.loss))
    found.append(("held derivative reads the attribute live", held(VECTOR), 10.0 * VECTOR))
    found.append(_fresh("another instance", Quadratic(np.ones(4)).loss))
    found.append(_fresh("a subclass's override", SineLoss(np.ones(4)).loss))
    return found


def _fresh_or_refused(label, function, x=VECTOR):
    """As _fresh, or no triple when adcompiler refuses with its own error."""
    try:
        return [_fresh(label, function, x)]
    except ad.AdError:
        return []


class Activated:
    scale = 2.0

    def __init__(self):
        self.w = np.ones(4)

    def act(self, x):
        return np.sin(x)

    def loss(self, x):
        return np.sum(self.act(x) * self.w) * self.scale


@scenario
def finding_instance_attribute_hides_a_method():
    """Silently wrong: `self.act(x)` was bound to the class's `act` when
    compiling, while Python calls the instance's own attribute `model.act =
    np.tanh`. Now refused when the derivative runs (methods_not_shadowed)."""
    model = Activated()
    found = [_fresh("the class's method", model.loss)]
    Activated.scale = 5.0
    Activated.act = lambda self, x: np.cos(x)
    try:
        found.append(_fresh("class attribute and method replaced", model.loss))
        model.act = np.tanh
        found += _fresh_or_refused("an instance attribute hides the method", model.loss)
        held = ad.grad(Activated().loss)
        found.append(("held derivative, another instance", held(VECTOR),
                      _central_gradient(Activated().loss, VECTOR)))
    finally:
        Activated.scale = 2.0
        del Activated.act
    return found


class Replaced:
    def act(self, x):
        return np.sin(x)

    def loss(self, x):
        return np.sum(self.act(x))


def _squares_as_method(self, x):
    return x ** 2


@scenario
def finding_class_method_replaced():
    """Silently stale: after `Replaced.act = other`, ad.grad(model.loss) served
    the derivative compiled with the first `act` (the stamp recorded the free
    names and attribute chains, not what `self.act` found on the class)."""
    model = Replaced()
    original = Replaced.act
    found = [_fresh("the class's own act", model.loss)]
    try:
        Replaced.act = lambda self, x: np.cos(x)
        found.append(_fresh("act replaced by a lambda", model.loss))
        Replaced.act = _squares_as_method
        found.append(_fresh("act replaced by a function", model.loss))
    finally:
        Replaced.act = original
    found.append(_fresh("act restored", model.loss))
    return found


@scenario
def partials_with_other_bound_values():
    found = []
    for s in (2.0, 3.0, 5):
        found.append(_fresh(f"partial(s={s})", functools.partial(_two_arguments, y=VECTOR, s=s)))
        found.append(_fresh(f"partial({s}) positional", functools.partial(_scaled_sine, s)))
    weights = np.ones(4)
    bound = functools.partial(_two_arguments, y=weights)
    held = ad.grad(bound)
    weights *= 3.0     # the partial holds this array: changed in place, it is read live
    found.append(("held derivative after the bound array changed", held(VECTOR),
                  _central_gradient(bound, VECTOR)))
    return found


def _scaled_sine(s, x):
    return np.sum(np.sin(x) * s)


@scenario
def functions_redefined_in_a_loop():
    found = []
    for k in range(3):
        def power(x, k=k):
            return np.sum(x ** (k + 1))
        found.append(_fresh(f"def in a loop, k={k}", power))
    for p, f in enumerate([(lambda p: (lambda x: np.sum(x ** p)))(p) for p in (1, 2, 3)]):
        found.append(_fresh(f"closure over p={p + 1}", f))
    return found


CALLS = 0


def _counts_its_calls(x):
    global CALLS
    CALLS += 1
    return np.sum(x ** 2) * CALLS


@scenario
def finding_jacobian_of_a_function_counting_its_calls():
    """Silently wrong: the reverse-mode Jacobian of a scalar function ran it
    once for the result's structure, then differentiated a second run (the
    counter at 2: twice the derivative of one call); it compared runs only
    for two rows or more. Now every Jacobian compares (StatefulFunctionError),
    as forward-mode grad and the Hessian already did."""
    global CALLS
    found = []
    for mode in ("reverse", "forward"):
        CALLS = 0
        try:
            got = ad.jacobian(_counts_its_calls, mode=mode)(VECTOR)
        except ad.AdError:
            continue
        found.append((f"{mode}-mode Jacobian, one call's derivative", got, 2 * VECTOR * 1))
    CALLS = 0
    found.append(("grad", ad.grad(_counts_its_calls)(VECTOR), 2 * VECTOR * 1))
    return found


def _two_arguments(x, y, s=2.0):
    return np.sum(np.sin(x) * y ** 2) * s


@scenario
def wrt_variations_share_no_entry():
    x, y = VECTOR, WEIGHTS * 0.3
    dx = np.cos(x) * y ** 2 * 2.0
    dy = np.sin(x) * 2 * y * 2.0
    ds = np.sum(np.sin(x) * y ** 2)
    found = []
    for wrt, want in [((0,), [dx]), ((1,), [dy]), ((0, 1), [dx, dy]), ((1, 0), [dy, dx]),
                      (("y", "x"), [dy, dx]), ((0, 2), [dx, ds]), ("s", [ds])]:
        got = ad.grad(_two_arguments, wrt=wrt)(x, y, 2.0)
        got = list(got) if isinstance(got, tuple) else [got]
        found += [(f"wrt={wrt}[{i}]", g, w) for i, (g, w) in enumerate(zip(got, want))]
    return found


def _thread_helper(x):
    return np.sin(x) * x


def _thread_a(x):
    return np.sum(_thread_helper(x))


def _thread_b(x):
    return np.sum(np.cos(x) ** 2 + _thread_helper(x))


def _thread_shared(x):
    total = 0.0
    for v in x:
        total = total + _thread_helper(v) * np.tanh(v)
    return total


@scenario
def eight_threads_compile_at_once():
    functions = [_thread_a, _thread_b, _thread_shared, _thread_shared]
    wanted = {f: _central_gradient(f, VECTOR) for f in functions}
    barrier = threading.Barrier(8)
    found = []

    def work(i):
        f = functions[i % 4]
        mode = ("reverse", "forward")[i % 2]
        barrier.wait()
        try:
            found.append((f"thread {i} {f.__name__} {mode}",
                          ad.grad(f, mode=mode)(VECTOR), wanted[f]))
        except Exception as failure:  # noqa: BLE001 - reported as a finding
            found.append((f"thread {i} raised {failure!r}", np.nan, 0.0))
    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return found
