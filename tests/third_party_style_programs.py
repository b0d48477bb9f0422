"""Programs in the style of other AD tools' test suites (Google Tangent's
function zoo, HIPS autograd's core/numpy/wrapper/container tests, JAX's
api tests), written anew for adcompiler: small functions that exercise one
idiom each (loops, branches, helpers, containers, subscripts, in-place
updates, NumPy calls, closures, ...).

Each program is a `Program`: the function, the arguments it is called with,
the positions differentiated, and optionally a torch twin (the same
computation in torch, the oracle in float64); without a twin the oracle is
central finite differences. `smooth=False` marks programs whose second
derivative is not checked (a kink near the point, or a piecewise-constant
part). tests/test_third_party_style.py checks every program.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import math
from typing import Callable

import numpy as np
import scipy.special
import torch

import adcompiler as ad


@dataclasses.dataclass
class Program:
    name: str
    function: Callable
    args: tuple
    wrt: tuple = (0,)
    twin: Callable | None = None
    smooth: bool = True


PROGRAMS: list[Program] = []


def program(*args, wrt=(0,), twin=None, smooth=True):
    """Record the decorated function with the arguments it is checked at."""
    def record(function):
        # A function checked at several points gets a numbered name per point.
        taken = sum(p.function is function for p in PROGRAMS)
        name = function.__name__ + (f"_{taken + 1}" if taken else "")
        PROGRAMS.append(Program(name, function, args, wrt, twin, smooth))
        return function
    return record


VECTOR = np.array([0.6, -1.3, 0.9, 2.1])
MATRIX = np.array([[1.2, -0.4, 0.3], [0.5, 0.9, -1.1], [-0.7, 0.2, 1.6]])
SPD = MATRIX @ MATRIX.T + 3.0 * np.eye(3)
POSITIVE = np.array([0.4, 1.7, 2.5, 0.8])


# ======================================================================
# Scalar programs in the manner of Tangent's function zoo
# ======================================================================

@program(0.8, twin=lambda a: a)
def identity(a):
    return a


@program(0.8, twin=lambda a: -a)
def negation(a):
    return -a


@program(1.3, twin=lambda a: a + 1)
def plus_integer_one(a):
    return a + 1


@program(0.4, -1.1, 2.3, wrt=(0, 1, 2), twin=lambda a, b, c: a * b + c)
def scaled_plus(a, b, c):
    return a * b + c


def _times(a, b):
    return a * b


def _plus(a, b):
    return a + b


@program(0.4, -1.1, 2.3, wrt=(0, 1, 2), twin=lambda a, b, c: a * b + c)
def scaled_plus_through_helpers(a, b, c):
    return _plus(_times(a, b), c)


@program(0.4, -1.1, 2.3, wrt=(0, 1, 2), twin=lambda a, b, c: a * b + c)
def scaled_plus_in_steps(a, b, c):
    product = a * b
    total = product + c
    return total


@program(0.4, -1.1, 2.3, wrt=(0, 1, 2), twin=lambda a, b, c: a * b + c)
def scaled_plus_rebinding_one_name(a, b, c):
    t = a * b
    t = t + c
    return t


@program(0.9, twin=lambda a: a * a)
def name_like_an_adjoint(a):
    da = a * a
    return da


@program(0.9, twin=lambda a: a * 3.0)
@program(-0.9, twin=lambda a: a * 2.0)
def rebind_argument_in_branches(a):
    if a > 0:
        a = a * 3.0
    else:
        a = a * 2.0
    return a


@program(1.7, twin=lambda a: a * 3.0)
def times_constant(a):
    return a * 3.0


@program(1.7, twin=lambda a: 3.0 / a)
def constant_over(a):
    return 3.0 / a


@program(1.7, twin=lambda a: a / a)
def ratio_with_itself(a):
    return a / a


@program(1.7, twin=lambda a: a - a)
def difference_with_itself(a):
    return a - a


@program(1.7, twin=lambda a: 3.0 - a)
def constant_minus(a):
    return 3.0 - a


@program(1.7, twin=lambda a: a + a)
def sum_with_itself(a):
    return a + a


@program(2.0, twin=lambda a: a * a)
@program(12.0, twin=lambda a: a)
@program(-2.0, twin=lambda a: 3.0 * a)
def branches_inside_branches(a):
    if a > 0:
        if a < 10:
            a = a * a
    else:
        a = 3.0 * a
    return a


def _busy_branches_twin(a):
    # The branch taken at a = 0.7: b = 3.0, a = 2.1, then neither the first
    # test (2.1 < 3 - 6.3) nor the second (2.1 > 9.3) holds.
    return -(a * 3.0)


@program(0.7, twin=_busy_branches_twin)
def busy_branches(a):
    if a * a / 3.0 > 0:
        b = 3.0
    else:
        b = 4.0
    a = a * b
    if a < b - a * b:
        a = a * a
    elif a > b + 3.0 * a:
        if a / 2.0 < 0:
            a = a / b
        else:
            a = a * b
    else:
        a = -a
    return a


@program(0.7, twin=lambda a: torch.multiply(a, 3.0))
def numpy_multiply_by_constant(a):
    return np.multiply(a, 3.0)


@program(0.6, twin=lambda a: 1 + a * a + 2)
def sum_of_list_with_active_entry(a):
    parts = [1, a * a, 2]
    return np.sum(parts)


@program(np.array([0.5, 1.5, -2.0]), twin=lambda x: 1 + x[0] * x[1] * x[2] + 3)
def sum_of_list_with_product_of_entries(x):
    parts = [1, x[0] * x[1] * x[2], 3]
    return np.sum(parts)


@program(np.array([0.5, 1.5, -2.0]), twin=lambda x: x[0] * x[1])
def product_of_two_entries(x):
    first = x[0]
    second = x[1]
    return first * second


@program(np.array([0.5, 1.5, -2.0]), twin=lambda x: x[0] * x[1] + x[1] + x[2])
def overwrite_first_entry_then_sum(x):
    first = x[0]
    second = x[1]
    x[0] = first * second
    return np.sum(x)


def _squares_written_back_twin(x):
    y = x ** 2.0
    written = torch.cat([(y[1] * y[2]).reshape(1), x[1:]])
    return torch.sum(written * y)


@program(np.array([0.5, 1.5, -2.0]), twin=_squares_written_back_twin)
def squares_written_back(x):
    y = x ** 2.0
    x[0] = y[1] * y[2]
    return np.sum(x * y)


@program(1.4, twin=lambda a: 1.0 * a)
def list_with_active_middle(a):
    items = [1.0, a, 3.0]
    return items[0] * items[1]


@program(1.5, twin=lambda a: 2 * a * a)
@program(-1.5, twin=lambda a: 6 * a)
def two_ifs_in_sequence(a):
    if a > 0:
        a = a * a
    a = a + a
    if a < 0:
        a = 3.0 * a
    return a


@program(1.5, 0.5, wrt=(0, 1), twin=lambda a, b: a * a)
@program(0.5, 1.5, wrt=(0, 1), twin=lambda a, b: a * b)
def branch_on_comparison_of_two(a, b):
    if a > b:
        a = a * a
    else:
        a = a * b
    return a


@program(1.1, 2, twin=lambda a, n: (2.0 * (a ** 4)) * 27.0)
def loop_then_loop(a, n):
    for i in range(n):
        a = a * a
    a = 2.0 * a
    for i in range(n + 1):
        a = a * 3.0
    return a


@program(0.9, 2, twin=lambda a, n: (2.0 * a * a) ** 4)
def branch_then_loop(a, n):
    if a > 0:
        a = a * a
    a = 2.0 * a
    for i in range(n):
        a = a * a
    return a


@program(0.9, 2, twin=lambda a, n: (2.0 * a ** 4) ** 2)
def loop_then_branch(a, n):
    for i in range(n):
        a = a * a
    a = 2.0 * a
    if a > 0:
        a = a * a
    return a


@program(0.5, twin=lambda a: (a * 3.0) ** 2)
@program(5.0, twin=lambda a: a * 6.0)
def branches_nested_after_update(a):
    if a > 0:
        a = a * 3.0
        if a < 10:
            a = a * a
        else:
            a = a * 2.0
    return a


@program(0.5, twin=lambda a: a * 3.0)
@program(-0.5, twin=lambda a: a * 2.0)
@program(0.0, twin=lambda a: 1.0 * a)
def if_elif_else_rebinding(a):
    if a > 0:
        a = a * 3.0
    elif 0 > a:
        a = a * 2.0
    else:
        a = 1.0 * a
    return a


@program(1.3, twin=lambda a: a * 3.0)
def copy_then_rebind(a):
    b = a
    b = b * 3.0
    return b


@program(1.3, twin=lambda a: a * a * a)
def cube_by_products(a):
    return a * a * a


@program(1.3, twin=lambda a: a ** 3)
def cube_by_power(a):
    return a ** 3


@program(1.3, twin=lambda a: a ** 3)
def cube_by_loop_from_integer_one(a):
    out = 1
    for _ in range(3):
        out = out * a
    return out


@program(1.3, twin=lambda a: a ** 3)
def cube_by_loop_from_argument(a):
    out = a
    for _ in range(3 - 1):
        out = out * a
    return out


@program(1.1, twin=lambda a: a ** 8)
def repeated_squaring_fixed_count(a):
    for _ in range(3):
        a = a * a
    return a


@program(1.1, 3, twin=lambda a, n: a ** (2 ** n))
@program(1.1, 0, twin=lambda a, n: a)
def repeated_squaring(a, n):
    for _ in range(n):
        a = a * a
    return a


@program(1.5, twin=lambda a: a ** 8)
@program(3.0, twin=lambda a: a ** 4)
def squaring_while_small(a):
    for _ in range(3):
        if a < 20:
            a = a * a
    return a


@program(1.5, twin=lambda a: a ** 8)
@program(30.0, twin=lambda a: a)
def squaring_if_small(a):
    if a < 20:
        for _ in range(3):
            a = a * a
    return a


@program(1.02, twin=lambda a: a ** 64)
def nested_loops_of_squaring(a):
    for _ in range(2):
        for _ in range(3):
            a = a * a
    return a


@program(1.02, twin=lambda a: a ** 27)
def loop_of_triple_products(a):
    for _ in range(3):
        a = a * a * a
    return a


@program(0.7, 0.4, wrt=(0, 1), twin=lambda a, b: a * b)
def call_a_helper(a, b):
    return _times(a, b)


@program(0.7, 0.4, wrt=(0, 1), twin=lambda a, b: a * b)
@program(0.3, 0.4, wrt=(0, 1), twin=lambda a, b: b * a)
def helper_in_each_branch(a, b):
    if a > b:
        out = _times(a, b)
    else:
        out = _times(b, a)
    return out


@program(1.1, 2, twin=lambda a, n: a ** 4)
def helper_in_a_loop(a, n):
    for _ in range(n):
        a = _times(a, a)
    return a


@program(0.7, 0.4, wrt=(0, 1), twin=lambda a, b: a * b)
def helper_calling_a_helper(a, b):
    return call_a_helper(a, b)


@program(1.1, 2, twin=lambda a, n: a ** 4)
def local_helper_in_a_loop(a, n):
    def scale(a, n):
        return a * n

    for _ in range(n):
        a = scale(a, a)
    return a


@program(0.6, twin=lambda a: 0.5 * a * a)
@program(-2.0, twin=lambda a: -0.5 * a)
def keyword_arguments_to_helper(a):
    def affine(value, slope=1.0, offset=0.0):
        return slope * value + offset

    if a > 0:
        return affine(a, slope=0.5 * a)
    return affine(slope=-0.5, value=a)


# ======================================================================
# Containers: tuples, lists, dicts
# ======================================================================

@program((0.4, -1.1, 2.3), wrt=(0,))
def unpack_a_tuple_argument(abc):
    a, b, c = abc
    return a * b + c


def _dict_formula(values):
    return values["a"] * values["b"] + values["c"]


@program({"a": 0.4, "b": -1.1, "c": 2.3})
def read_a_dict_argument(values):
    return _dict_formula(values)


@program((0.4, -1.1, 2.3))
def tuple_into_dict_into_helper(abc):
    a, b, c = abc
    return _dict_formula(dict(a=a, b=b, c=c))


@program(0.4, -1.1, 2.3, 1, wrt=(0, 1, 2), twin=lambda a, b, c, i: b)
@program(0.4, -1.1, 2.3, 2, wrt=(0, 1, 2), twin=lambda a, b, c, i: c)
def pick_from_packed_tuple(a, b, c, i):
    packed = a, b, c
    return packed[i]


@program((0.4, -1.1, 2.3))
def first_of_unpacked(abc):
    a, b, c = abc
    return a


@program({"inner": {"x": 1.5, "y": -0.5}})
def nested_dict_argument(params):
    return params["inner"]["x"] * params["inner"]["y"]


@program([np.array([1.0, 2.0]), np.array([0.5, -0.5])])
def list_of_arrays_argument(arrays):
    return np.sum(arrays[0] * arrays[1]) + np.sum(np.sin(arrays[1]))


@program((np.array([1.0, 2.0]), 0.7))
def tuple_of_array_and_float(pair):
    vector, scale = pair
    return np.sum(vector ** 2) * scale


@program({"w": np.array([0.3, -0.2]), "b": 0.1})
def dict_of_parameters_loss(params):
    inputs = np.array([[1.0, 2.0], [-1.0, 0.5], [0.3, 0.3]])
    targets = np.array([0.5, -0.2, 0.1])
    predictions = inputs @ params["w"] + params["b"]
    return np.mean((predictions - targets) ** 2)


@program({"a": np.array([1.0, 2.0]), "b": np.array([0.5, 0.25])})
def iterate_dict_items(params):
    total = 0.0
    for key, value in params.items():
        total = total + np.sum(value ** 2) * (2.0 if key == "a" else 1.0)
    return total


@program({"a": np.array([1.0, 2.0]), "b": np.array([0.5, 0.25])})
def iterate_dict_values(params):
    total = 0.0
    for value in params.values():
        total = total + np.prod(value)
    return total


@program({"a": 1.5, "b": 0.5})
def iterate_dict_keys_sorted(params):
    total = 0.0
    weight = 1.0
    for key in sorted(params):
        total = total + weight * params[key] ** 2
        weight = weight + 1.0
    return total


@program(1.3, twin=lambda x: x * x + 2.0 * x)
def build_dict_then_read(x):
    table = {}
    table["square"] = x * x
    table["double"] = 2.0 * x
    return table["square"] + table["double"]


@program(1.3, twin=lambda x: x ** 2 + x ** 3)
def dict_comprehension(x):
    powers = {k: x ** k for k in (2, 3)}
    return powers[2] + powers[3]


@program(1.3, twin=lambda x: 5.0 * x)
def dict_update_then_read(x):
    table = {"a": x, "b": 2.0 * x}
    table.update({"a": 3.0 * x, "c": x})
    return table["a"] + table["b"] - table["c"] + table["c"] - x + table["c"]


@program(1.3, twin=lambda x: x ** 2 + x ** 3)
def dict_get_with_default(x):
    table = {"a": x ** 2}
    return table.get("a", 0.0) + table.get("b", x ** 3)


@program(0.8, twin=lambda x: x + 2 * x + 3 * x)
def list_append_and_sum(x):
    items = []
    for k in range(1, 4):
        items.append(k * x)
    return sum(items)


@program(0.8, twin=lambda x: torch.sin(x) + x ** 2)
def list_extend_and_index(x):
    items = [np.sin(x)]
    items.extend([x ** 2, 5.0])
    return items[0] + items[1]


@program(0.8, twin=lambda x: x * 2.0 + 7.0)
def list_element_overwritten(x):
    items = [x, x, 7.0]
    items[1] = items[0] * 2.0
    return items[1] + items[2]


@program(0.8, twin=lambda x: x ** 3)
def list_pop_last(x):
    items = [x, x ** 2, x ** 3]
    last = items.pop()
    return last


@program(0.8, twin=lambda x: x + x ** 2)
def list_pop_first(x):
    items = [x, x ** 2, x ** 3]
    first = items.pop(0)
    return first + items[0]


@program(0.8, twin=lambda x: 3.0 * x ** 2)
def list_insert_and_negative_index(x):
    items = [x, 2.0]
    items.insert(1, x ** 2)
    return items[-2] * 3.0


@program(0.8, twin=lambda x: x ** 2 + x + 1.0)
def list_reversed_loop(x):
    total = 0.0
    weight = 1.0
    for item in reversed([1.0, x, x ** 2]):
        total = total + item * weight
    return total


@program(0.8, twin=lambda x: x + 2.0 * x ** 2)
def enumerate_list(x):
    total = 0.0
    for k, item in enumerate([x, x ** 2]):
        total = total + (k + 1) * item
    return total


@program(np.array([0.5, 1.5, -2.0]), np.array([2.0, -1.0, 0.5]), wrt=(0, 1),
         twin=lambda x, y: torch.sum(x * y))
def zip_two_arrays(x, y):
    total = 0.0
    for a, b in zip(x, y):
        total = total + a * b
    return total


@program(np.array([0.5, 1.5, -2.0]), twin=lambda x: torch.sum(x * 3))
def sum_of_list_comprehension_over_array(x):
    return np.sum([v * 3 for v in x])


@program(np.array([0.5, 1.5, -2.0]), twin=lambda x: torch.sum(x[x > 0] ** 2))
def filtered_comprehension(x):
    return sum([v ** 2 for v in x if v > 0])


@program(np.array([0.5, 1.5, -2.0]), twin=lambda x: x[0] * x[1] + x[1] * x[2])
def nested_list_of_pairs(x):
    pairs = [[x[0], x[1]], [x[1], x[2]]]
    return sum(p[0] * p[1] for p in pairs)


@program(0.9, twin=lambda x: x ** 2 * 3.0)
def tuple_returned_by_helper(x):
    def two(v):
        return v ** 2, 3.0
    square, three = two(x)
    return square * three


@program(0.9, twin=lambda x: torch.sin(x) * torch.cos(x))
def star_unpack_into_helper(x):
    def product(a, b):
        return a * b
    pair = (np.sin(x), np.cos(x))
    return product(*pair)


@program(0.9, twin=lambda x: x + 2 * x + 3 * x)
def star_args_helper(x):
    def total(*values):
        out = 0.0
        for v in values:
            out = out + v
        return out
    return total(x, 2 * x, 3 * x)


@program(0.9, twin=lambda x: 2.0 * x ** 2)
def kwargs_helper(x):
    def scaled(value, **options):
        return options["scale"] * value ** 2
    return scaled(x, scale=2.0)


@program(np.array([1.0, 2.0, 3.0]), twin=lambda x: x[2] * x[0])
def swap_by_tuple_assignment(x):
    a, b = x[0], x[2]
    a, b = b, a
    return a * b


@program(np.array([1.0, 2.0, 3.0]), twin=lambda x: x[0] * 10.0 + x[1] + x[2])
def starred_unpacking(x):
    first, *rest = x
    return first * 10.0 + np.sum(rest)


# ======================================================================
# Subscripts, slices and element writes (Tangent, autograd test_numpy)
# ======================================================================

@program(np.array([0.5, 1.5, -2.0, 0.25]), twin=lambda x: torch.sum(x))
def copy_entries_into_zeros(x):
    y = np.zeros_like(x)
    for i in range(len(x)):
        y[i] = x[i]
    return np.sum(y)


@program(np.array([0.5, 1.5]), twin=lambda x: 3 * torch.sum(x))
def rows_of_a_matrix_from_entries(x):
    h = np.zeros((len(x), 3))
    for t in range(len(h)):
        h[t] = x[t]
    return np.sum(h)


@program(np.array([0.5, 1.5, -2.0]), twin=lambda x: torch.sum(x[1:]))
def slice_tail(x):
    return np.sum(x[1:])


def _rnn_twin(inputs, W):
    h = [torch.zeros(3)]
    for t in range(3):
        h.append(inputs[t] @ W + h[t])
    return torch.sum(torch.stack(h[1:]))


@program(np.arange(6.0).reshape(3, 2) / 5.0, np.array([[0.5, -0.2, 0.1], [0.3, 0.4, -0.6]]),
         wrt=(0, 1), twin=_rnn_twin)
def recurrence_written_into_rows(inputs, W):
    h = np.zeros((4, 3))
    for t in range(3):
        h[t + 1] = np.dot(inputs[t], W) + h[t]
    return np.sum(h[1:])


@program(1.2, twin=lambda a: (a * a) ** 2)
def augmented_multiply_by_itself(a):
    x = a * a
    x *= x
    return x


def _dense_tanh_twin(x, h, U, W, b):
    return torch.sum(torch.tanh(x @ W + h @ U + b))


@program(np.array([0.2, -0.4]), np.array([0.5, 0.1, -0.3]), np.eye(3) * 0.5 + 0.1,
         np.array([[0.3, -0.1, 0.2], [0.4, 0.5, -0.6]]), np.array([0.1, 0.0, -0.1]),
         wrt=(0, 1, 2, 3, 4), twin=_dense_tanh_twin)
def dense_tanh_cell(x, h, U, W, b):
    y = np.dot(x, W)
    y = y + np.dot(h, U)
    y = y + b
    y = np.tanh(y)
    return np.sum(y)


@program(np.arange(12.0).reshape(4, 3) / 7.0, twin=lambda x: torch.sum(x[::2, None]))
def strided_slice_with_new_axis(x):
    return np.sum(x[::2, np.newaxis])


@program(np.arange(1.0, 7.0) / 3.0, twin=lambda x: torch.sum(torch.flip(x, [0])[::2] * torch.arange(3.0)))
def negative_step_slice(x):
    return np.sum(x[::-1][::2] * np.arange(3.0))


@program(np.array([0.5, 1.5, -2.0]), twin=lambda x: x[0] ** 2 * 2 + x[1] ** 2)
def repeated_fancy_index(x):
    picked = x[[0, 0, 1]]
    return np.sum(picked ** 2)


@program(np.arange(1.0, 7.0).reshape(2, 3), twin=lambda x: torch.sum(x[:, [2, 0]] * x[1, :2]))
def fancy_index_columns(x):
    return np.sum(x[:, [2, 0]] * x[1, :2])


@program(np.array([0.5, 1.5, -2.0]), twin=lambda x: torch.sum(x[torch.tensor([True, False, True])] ** 3))
def boolean_mask_constant(x):
    keep = np.array([True, False, True])
    return np.sum(x[keep] ** 3)


@program(np.arange(1.0, 7.0).reshape(2, 3) / 4.0, twin=lambda x: x[1, 2] * x[0, 1] + x[-1, -3])
def two_dimensional_element_reads(x):
    return x[1, 2] * x[0, 1] + x[-1, -3]


@program(np.arange(1.0, 7.0).reshape(2, 3) / 4.0,
         twin=lambda x: torch.sum(x * x) - x[0, 1] ** 2 + (x[0, 1] * 5.0) ** 2)
def element_augmented_assignment(x):
    y = x.copy()
    y[0, 1] *= 5.0
    return np.sum(y * y)


def _slice_add_twin(x):
    return torch.sum(torch.cat([x[:2] + 1.0 * x[2:], x[2:]]) ** 2)


@program(np.array([0.5, 1.5, -2.0, 0.3]), twin=_slice_add_twin)
def slice_augmented_assignment(x):
    y = np.array(x)
    y[:2] += y[2:]
    return np.sum(y ** 2)


@program(np.array([0.5, 1.5, -2.0, 0.3]), twin=lambda x: torch.sum(x[1:] ** 2))
def slice_zeroed(x):
    y = x.copy()
    y[0] = 0.0
    return np.sum(y ** 2)


@program(np.array([0.5, 1.5, -2.0, 0.3]),
         twin=lambda x: torch.sum(torch.where(x > 0, x, torch.zeros(4)) ** 2))
def mask_assignment(x):
    y = x.copy()
    y[y < 0] = 0.0
    return np.sum(y ** 2)


@program(np.array([0.5, 1.5, -2.0, 0.3]), twin=lambda x: torch.sum(x ** 2) + x[0] * 3)
def write_into_argument_in_place(x):
    x += 0.0
    x[0] = x[0] * 4.0
    return np.sum(x[1:] ** 2) + x[0] ** 2 / 16.0 + 3 * x[0] / 4.0


@program(np.array([0.5, 1.5, -2.0, 0.3]), twin=lambda x: torch.sum((x * 2.0) ** 2))
def argument_scaled_in_place(x):
    x *= 2.0
    return np.sum(x ** 2)


@program(np.array([0.5, 1.5, -2.0, 0.3]), twin=lambda x: torch.sum(x ** 2) + torch.sum((x + 1.0) ** 2))
def view_updated_in_place(x):
    y = x.copy()
    view = y[:]
    view += 1.0
    return np.sum(y ** 2) + np.sum(x ** 2)


@program(np.array([0.5, 1.5, -2.0, 0.3]), twin=lambda x: torch.sum(x[:2] * 3.0) + torch.sum(x[2:]))
def view_of_half_scaled(x):
    y = x.copy()
    head = y[:2]
    head *= 3.0
    return np.sum(y)


@program(np.arange(1.0, 7.0).reshape(2, 3), twin=lambda x: torch.sum(x.T[0] * x[:, 2]))
def transpose_view_reads(x):
    t = x.T
    return np.sum(t[0] * x[:, 2])


@program(np.arange(1.0, 7.0).reshape(2, 3), twin=lambda x: torch.sum(x * x) + 2 * x[1, 1] ** 2 + 0 * x[0, 0])
def row_view_written_through(x):
    y = x.copy()
    row = y[1]
    row[1] = row[1] * np.sqrt(3.0)
    return np.sum(y * y)


# ======================================================================
# NumPy calls (autograd test_numpy / test_systematic)
# ======================================================================

@program(VECTOR, twin=lambda x: torch.sum(x))
def numpy_sum(x):
    return np.sum(x)


@program(VECTOR, twin=lambda x: torch.sum(x))
def sum_of_array_of_argument(x):
    return np.sum(np.array(x))


@program(VECTOR, twin=lambda x: torch.sum(x) ** 2)
def rebind_argument_to_its_sum(x):
    x = np.sum(x)
    x = x * x
    return x


@program(VECTOR, twin=lambda x: torch.mean(x))
def numpy_mean(x):
    return np.mean(x)


@program(0.3, twin=lambda a: torch.exp(torch.exp(a)))
def exp_of_exp(a):
    return np.exp(np.exp(a))


@program(2.3, twin=lambda a: torch.sqrt(a))
def numpy_sqrt(a):
    return np.sqrt(a)


@program(0.3, twin=lambda a: torch.tanh(a))
def numpy_tanh(a):
    return np.tanh(a)


def _logistic_twin(inputs, label, W, b):
    h1 = inputs @ W + b
    prediction = 0.5 * (torch.tanh(h1) + 1)
    probabilities = prediction * label + (1 - prediction) * (1 - label)
    return -torch.sum(torch.log(probabilities))


@program(np.array([[0.5, -1.0], [1.5, 0.2], [-0.3, 0.8]]), np.array([1.0, 0.0, 1.0]),
         np.array([0.4, -0.6]), 0.1, wrt=(2, 3), twin=_logistic_twin)
def logistic_regression_loss(inputs, label, W, b):
    h1 = np.dot(inputs, W) + b
    prediction = 0.5 * (np.tanh(h1) + 1)
    probabilities = prediction * label + (1 - prediction) * (1 - label)
    return -np.sum(np.log(probabilities))


@program(MATRIX, twin=lambda x: torch.sum(torch.sum(x, 0) ** 2) + torch.sum(torch.mean(x, 1, keepdim=True) * x))
def axis_reductions_and_keepdims(x):
    return np.sum(np.sum(x, axis=0) ** 2) + np.sum(np.mean(x, axis=1, keepdims=True) * x)


@program(MATRIX, twin=lambda x: torch.sum(torch.var(x, 0, correction=1)) + torch.std(x, correction=0))
def variance_and_std(x):
    return np.sum(np.var(x, axis=0, ddof=1)) + np.std(x)


@program(POSITIVE, twin=lambda x: torch.prod(x) + torch.sum(torch.cumprod(x, 0)))
def product_and_cumulative_product(x):
    return np.prod(x) + np.sum(np.cumprod(x))


@program(VECTOR, twin=lambda x: torch.sum(torch.cumsum(x, 0) ** 2))
def cumulative_sum(x):
    return np.sum(np.cumsum(x) ** 2)


@program(MATRIX, twin=lambda x: torch.sum(torch.cumsum(x, 1) * x))
def cumulative_sum_along_axis(x):
    return np.sum(np.cumsum(x, axis=1) * x)


@program(VECTOR, twin=lambda x: torch.sum(torch.diff(x) ** 2))
def first_difference(x):
    return np.sum(np.diff(x) ** 2)


@program(MATRIX, twin=lambda x: torch.sum(torch.diff(x, n=2, dim=0) * torch.arange(3.0)))
def second_difference_along_rows(x):
    return np.sum(np.diff(x, n=2, axis=0) * np.arange(3.0))


@program(VECTOR, twin=lambda x: torch.max(x) * 2.0 + torch.min(x), smooth=False)
def max_and_min(x):
    return np.max(x) * 2.0 + np.min(x)


@program(MATRIX, twin=lambda x: torch.sum(torch.amax(x, 0)) + torch.sum(torch.amin(x, 1)), smooth=False)
def max_and_min_along_axes(x):
    return np.sum(np.max(x, axis=0)) + np.sum(x.min(axis=1))


@program(VECTOR, twin=lambda x: x[torch.argmax(x)] ** 2, smooth=False)
def entry_at_argmax(x):
    return x[np.argmax(x)] ** 2


@program(VECTOR, twin=lambda x: torch.sum(torch.clamp(x, -1.0, 1.0) ** 2), smooth=False)
def clip_to_unit_interval(x):
    return np.sum(np.clip(x, -1.0, 1.0) ** 2)


@program(VECTOR, twin=lambda x: torch.sum(torch.where(x > 0, x ** 2, -x)), smooth=False)
def where_branches(x):
    return np.sum(np.where(x > 0, x ** 2, -x))


@program(VECTOR, twin=lambda x: torch.sum(torch.maximum(x, torch.tensor(0.5)) * x), smooth=False)
def maximum_with_constant(x):
    return np.sum(np.maximum(x, 0.5) * x)


@program(VECTOR, POSITIVE, wrt=(0, 1), twin=lambda x, y: torch.sum(torch.minimum(x, y) ** 2), smooth=False)
def minimum_of_two(x, y):
    return np.sum(np.minimum(x, y) ** 2)


@program(VECTOR, twin=lambda x: torch.sum(torch.abs(x) ** 3), smooth=False)
def absolute_value(x):
    return np.sum(np.abs(x) ** 3)


@program(VECTOR, twin=lambda x: torch.sum(torch.sort(x).values * torch.arange(4.0)), smooth=False)
def sort_weighted(x):
    return np.sum(np.sort(x) * np.arange(4.0))


@program(VECTOR, twin=lambda x: torch.sum(x[torch.argsort(x)][:2] ** 2), smooth=False)
def smallest_two_by_argsort(x):
    return np.sum(x[np.argsort(x)][:2] ** 2)


@program(np.arange(6.0).reshape(2, 3) / 3.0, np.arange(4.0).reshape(2, 2) / 5.0, wrt=(0, 1),
         twin=lambda a, b: torch.sum(torch.cat([a, b], 1) ** 2 * torch.arange(5.0)))
def concatenate_along_columns(a, b):
    return np.sum(np.concatenate([a, b], axis=1) ** 2 * np.arange(5.0))


@program(VECTOR, POSITIVE, wrt=(0, 1),
         twin=lambda x, y: torch.sum(torch.stack([x, y]) * torch.stack([y, x], 1).T) + torch.sum(torch.stack([x, y], 1)[:, 0]))
def stack_both_ways(x, y):
    return np.sum(np.stack([x, y]) * np.stack([y, x], axis=1).T) + np.sum(np.stack([x, y], axis=1)[:, 0])


@program(VECTOR, POSITIVE, wrt=(0, 1),
         twin=lambda x, y: torch.sum(torch.hstack([x, y]) ** 2) + torch.sum(torch.vstack([x, y])[1] * x))
def hstack_and_vstack(x, y):
    return np.sum(np.hstack([x, y]) ** 2) + np.sum(np.vstack([x, y])[1] * x)


@program(np.arange(12.0).reshape(3, 4) / 6.0,
         twin=lambda x: torch.sum(x.reshape(4, 3) * torch.arange(12.0).reshape(4, 3)) + torch.sum(x.reshape(-1)[::5]))
def reshape_both_ways(x):
    return np.sum(x.reshape(4, 3) * np.arange(12.0).reshape(4, 3)) + np.sum(np.reshape(x, (-1,))[::5])


@program(np.arange(24.0).reshape(2, 3, 4) / 10.0,
         twin=lambda x: torch.sum(x.permute(2, 0, 1) * torch.arange(24.0).reshape(4, 2, 3)) + torch.sum(torch.swapaxes(x, 0, 2)[1] ** 2))
def transpose_with_axes_and_swapaxes(x):
    return np.sum(np.transpose(x, (2, 0, 1)) * np.arange(24.0).reshape(4, 2, 3)) + np.sum(np.swapaxes(x, 0, 2)[1] ** 2)


@program(np.arange(24.0).reshape(2, 3, 4) / 10.0,
         twin=lambda x: torch.sum(torch.movedim(x, 0, -1) * torch.arange(24.0).reshape(3, 4, 2)))
def moveaxis_to_end(x):
    return np.sum(np.moveaxis(x, 0, -1) * np.arange(24.0).reshape(3, 4, 2))


@program(VECTOR, twin=lambda x: torch.sum(torch.roll(x, 1) * torch.arange(4.0)))
def roll_by_one(x):
    return np.sum(np.roll(x, 1) * np.arange(4.0))


@program(MATRIX, twin=lambda x: torch.sum(torch.roll(x, -1, 0) * torch.arange(9.0).reshape(3, 3)))
def roll_rows_back(x):
    return np.sum(np.roll(x, -1, axis=0) * np.arange(9.0).reshape(3, 3))


@program(MATRIX, twin=lambda x: torch.trace(x) ** 2 + torch.sum(torch.diagonal(x, 1)))
def trace_and_diagonal(x):
    return np.trace(x) ** 2 + np.sum(np.diagonal(x, 1))


@program(MATRIX, twin=lambda x: torch.sum(torch.tril(x) * 2.0 + torch.triu(x, 1) ** 2))
def triangles(x):
    return np.sum(np.tril(x) * 2.0 + np.triu(x, 1) ** 2)


@program(VECTOR, twin=lambda x: torch.sum(torch.diag(x) @ torch.ones(4, 4) * torch.arange(16.0).reshape(4, 4)))
def diagonal_matrix_from_vector(x):
    return np.sum(np.diag(x) @ np.ones((4, 4)) * np.arange(16.0).reshape(4, 4))


@program(VECTOR, POSITIVE, wrt=(0, 1),
         twin=lambda x, y: torch.sum(torch.outer(x, y) ** 2) + torch.inner(x, y) + torch.dot(x, x))
def outer_inner_dot(x, y):
    return np.sum(np.outer(x, y) ** 2) + np.inner(x, y) + np.dot(x, x)


@program(MATRIX, np.arange(6.0).reshape(3, 2) / 4.0, wrt=(0, 1),
         twin=lambda a, b: torch.sum(torch.tensordot(a, b, dims=([1], [0])) ** 2))
def tensordot_one_axis(a, b):
    return np.sum(np.tensordot(a, b, axes=([1], [0])) ** 2)


@program(MATRIX, np.arange(6.0).reshape(3, 2) / 4.0, wrt=(0, 1),
         twin=lambda a, b: torch.sum(torch.einsum("ij,jk->ik", a, b) * torch.einsum("ii->i", a)[:, None]))
def einsum_product_and_diagonal(a, b):
    return np.sum(np.einsum("ij,jk->ik", a, b) * np.einsum("ii->i", a)[:, None])


@program(MATRIX, twin=lambda a: torch.einsum("ij,ij->", a, a) + torch.sum(torch.einsum("ij->j", a) ** 2))
def einsum_reductions(a):
    return np.einsum("ij,ij->", a, a) + np.sum(np.einsum("ij->j", a) ** 2)


@program(np.array([[1.0, 2.0], [0.5, -1.0]]), twin=lambda a: torch.sum(torch.kron(a, a) * torch.arange(16.0).reshape(4, 4)))
def kronecker_with_itself(a):
    return np.sum(np.kron(a, a) * np.arange(16.0).reshape(4, 4))


@program(VECTOR, twin=lambda x: torch.sum(torch.repeat_interleave(x, 2) * torch.arange(8.0)) + torch.sum(torch.tile(x, (2,)) ** 2))
def repeat_and_tile(x):
    return np.sum(np.repeat(x, 2) * np.arange(8.0)) + np.sum(np.tile(x, 2) ** 2)


@program(MATRIX, twin=lambda x: torch.sum(torch.flip(x, [1]) * torch.arange(9.0).reshape(3, 3)) + torch.sum(torch.rot90(x) * torch.arange(9.0).reshape(3, 3) ** 2))
def flip_and_rotate(x):
    return np.sum(np.fliplr(x) * np.arange(9.0).reshape(3, 3)) + np.sum(np.rot90(x) * np.arange(9.0).reshape(3, 3) ** 2)


@program(VECTOR, twin=lambda x: torch.sum(x[None, :, None] * torch.ones((2, 4, 3))) + torch.sum(x.reshape(1, 4).squeeze(0) ** 2))
def expand_and_squeeze(x):
    return np.sum(np.expand_dims(x[:, None], 0) * np.ones((2, 4, 3))) + np.sum(np.squeeze(x.reshape(1, 4), axis=0) ** 2)


@program(0.7, twin=lambda x: torch.sum(x * torch.ones(3)) + x ** 2)
def atleast_and_broadcast_to(x):
    return np.sum(np.broadcast_to(np.atleast_1d(x), (3,))) + np.sum(np.atleast_2d(x) ** 2)


@program(np.arange(1.0, 7.0), twin=lambda x: torch.sum(x[:2] * x[2:4] * x[4:]))
def split_into_three(x):
    a, b, c = np.split(x, 3)
    return np.sum(a * b * c)


@program(0.7, -0.4, wrt=(0, 1), twin=lambda x, y: x * x + y * y + x * y)
def array_literal_of_active_scalars(x, y):
    m = np.array([[x, y], [y, -x]])
    return np.sum(m @ m) / 2.0 + x * y


@program(0.7, -0.4, wrt=(0, 1), twin=lambda x, y: torch.exp(x) + torch.exp(y))
def array_from_list_of_calls(x, y):
    return np.sum(np.exp(np.array([x, y])))


@program(VECTOR, twin=lambda x: torch.logsumexp(x, 0))
def log_sum_exp_by_hand(x):
    top = np.max(x)
    return top + np.log(np.sum(np.exp(x - top)))


@program(VECTOR, twin=lambda x: torch.sum(torch.softmax(x, 0) * torch.arange(4.0)))
def softmax_by_hand(x):
    shifted = x - np.max(x)
    e = np.exp(shifted)
    return np.sum(e / np.sum(e) * np.arange(4.0))


@program(VECTOR, twin=lambda x: torch.sum(torch.nn.functional.softplus(x)))
def softplus_by_logaddexp(x):
    return np.sum(np.logaddexp(0.0, x))


@program(VECTOR, twin=lambda x: torch.sum(torch.sigmoid(x) ** 2))
def sigmoid_by_hand(x):
    return np.sum((1.0 / (1.0 + np.exp(-x))) ** 2)


@program(POSITIVE, twin=lambda x: torch.sum(torch.log1p(x) + torch.expm1(x / 3) + torch.log10(x) + torch.log2(x)))
def logs_and_exps(x):
    return np.sum(np.log1p(x) + np.expm1(x / 3) + np.log10(x) + np.log2(x))


@program(POSITIVE, twin=lambda x: torch.sum(torch.reciprocal(x) + x.square() + torch.pow(x, 1.0 / 3.0)))
def reciprocal_square_cbrt(x):
    return np.sum(np.reciprocal(x) + np.square(x) + np.cbrt(x))


@program(VECTOR, POSITIVE, wrt=(0, 1), twin=lambda x, y: torch.sum(torch.hypot(x, y) + torch.atan2(x, y)))
def hypot_and_arctan2(x, y):
    return np.sum(np.hypot(x, y) + np.arctan2(x, y))


@program(VECTOR, twin=lambda x: torch.sum(torch.sinh(x) * torch.cosh(x) + torch.arctan(x) + torch.asinh(x)))
def hyperbolic_and_inverse(x):
    return np.sum(np.sinh(x) * np.cosh(x) + np.arctan(x) + np.arcsinh(x))


@program(np.array([0.1, -0.5, 0.7]), twin=lambda x: torch.sum(torch.asin(x) * torch.acos(x) + torch.atanh(x)))
def inverse_trig_inside_unit_interval(x):
    return np.sum(np.arcsin(x) * np.arccos(x) + np.arctanh(x))


@program(VECTOR, twin=lambda x: torch.sum(torch.deg2rad(x) + torch.rad2deg(x) ** 2 / 1000.0))
def degrees_and_radians(x):
    return np.sum(np.radians(x) + np.degrees(x) ** 2 / 1000.0)


@program(VECTOR, twin=lambda x: torch.sum(torch.sign(x) * x ** 2 + torch.floor(x) * x), smooth=False)
def sign_and_floor_times_value(x):
    return np.sum(np.sign(x) * x ** 2 + np.floor(x) * x)


@program(np.array([2.3, -1.7, 5.1]), 1.5, wrt=(0, 1),
         twin=lambda x, y: torch.sum(torch.remainder(x, y) ** 2), smooth=False)
def remainder_by_scalar(x, y):
    return np.sum(np.mod(x, y) ** 2)


@program(2.3, 1.5, wrt=(0, 1), twin=lambda x, y: torch.remainder(x, y) * x, smooth=False)
def python_modulo(x, y):
    return (x % y) * x


@program(2.3, 1.5, wrt=(0, 1), twin=lambda x, y: torch.fmod(x, y) + torch.floor(x / y), smooth=False)
def fmod_and_floor_division(x, y):
    return np.fmod(x, y) + x // y


@program(-1.7, twin=lambda x: x ** 3 + x ** 2)
def negative_base_integer_powers(x):
    return x ** 3 + x ** 2.0


@program(np.array([-1.5, 0.5, 2.0]), twin=lambda x: torch.sum(x ** 4 + torch.pow(x, 3)))
def array_to_integer_powers(x):
    return np.sum(x ** 4 + np.power(x, 3))


@program(1.4, 0.6, wrt=(0, 1), twin=lambda x, y: x ** y + y ** x)
def scalar_power_both_ways(x, y):
    return x ** y + y ** x


@program(POSITIVE, VECTOR, wrt=(0, 1), twin=lambda x, y: torch.sum(x ** y))
def array_power_both_active(x, y):
    return np.sum(x ** y)


@program(np.array([[1.0, 2.0, 3.0]]), np.array([[0.5], [-1.0]]), wrt=(0, 1),
         twin=lambda a, b: torch.sum((a + b) * (a * b) - a / (b + 3.0)))
def broadcast_row_against_column(a, b):
    return np.sum((a + b) * (a * b) - a / (b + 3.0))


@program(MATRIX, VECTOR[:3], 0.5, wrt=(0, 1, 2),
         twin=lambda a, v, s: torch.sum(a * v - s * a + v / (1.0 + s)))
def broadcast_matrix_vector_scalar(a, v, s):
    return np.sum(a * v - s * a + v / (1.0 + s))


@program(MATRIX, wrt=(0,), twin=lambda a: torch.sum((a @ a.T) ** 2))
def matmul_with_own_transpose(a):
    return np.sum((a @ a.T) ** 2)


@program(MATRIX, VECTOR[:3], wrt=(0, 1), twin=lambda a, v: v @ a @ v + torch.sum(torch.matmul(a, v)))
def quadratic_form(a, v):
    return v @ a @ v + np.sum(np.matmul(a, v))


@program(np.arange(1.0, 7.0), twin=lambda x: torch.sum(x[1:-1] * (x[2:] - x[:-2])))
def stencil_on_slices(x):
    return np.sum(x[1:-1] * (x[2:] - x[:-2]))


@program(VECTOR, twin=lambda x: torch.sum(torch.nn.functional.pad(x, (1, 2)) * torch.arange(7.0)))
def zero_padding(x):
    return np.sum(np.pad(x, (1, 2)) * np.arange(7.0))


@program(VECTOR, twin=lambda x: torch.sum((x - torch.mean(x)) ** 2) / torch.sum(x ** 2))
def centred_ratio(x):
    centred = x - x.mean()
    return (centred ** 2).sum() / (x ** 2).sum()


@program(MATRIX, twin=lambda x: torch.sum(x.T.reshape(-1) * torch.arange(9.0)) + x.sum(0).max(), smooth=False)
def array_methods_chain(x):
    return np.sum(x.T.ravel() * np.arange(9.0)) + x.sum(axis=0).max()


@program(MATRIX, twin=lambda x: torch.sum(x.flatten() ** 2) + torch.sum(x.T.flatten()[:3]))
def flatten_method(x):
    return np.sum(x.flatten() ** 2) + np.sum(x.T.flatten()[:3])


@program(VECTOR, twin=lambda x: torch.sum(x * x) + 4.0 * x[1])
def astype_float_and_dot_method(x):
    return x.astype(np.float64).dot(x) + 4.0 * x[1]


@program(VECTOR, twin=lambda x: torch.linalg.norm(x) + torch.sum(torch.abs(x)) + torch.max(torch.abs(x)), smooth=False)
def vector_norms(x):
    return np.linalg.norm(x) + np.linalg.norm(x, 1) + np.linalg.norm(x, np.inf)


@program(MATRIX, twin=lambda x: torch.linalg.norm(x) + torch.linalg.norm(x, dim=1).sum())
def matrix_norms(x):
    return np.linalg.norm(x) + np.sum(np.linalg.norm(x, axis=1))


# ======================================================================
# Linear algebra (autograd test_linalg)
# ======================================================================

@program(SPD, twin=lambda a: torch.sum(torch.linalg.inv(a) * torch.arange(9.0).reshape(3, 3)))
def inverse(a):
    return np.sum(np.linalg.inv(a) * np.arange(9.0).reshape(3, 3))


@program(MATRIX, twin=lambda a: torch.linalg.det(a))
def determinant(a):
    return np.linalg.det(a)


@program(SPD, twin=lambda a: torch.linalg.slogdet(a)[1])
def log_determinant(a):
    sign, logdet = np.linalg.slogdet(a)
    return logdet


@program(SPD, VECTOR[:3], wrt=(0, 1), twin=lambda a, b: torch.sum(torch.linalg.solve(a, b) ** 2))
def solve_vector(a, b):
    return np.sum(np.linalg.solve(a, b) ** 2)


@program(SPD, np.arange(6.0).reshape(3, 2) / 3.0, wrt=(0, 1),
         twin=lambda a, b: torch.sum(torch.linalg.solve(a, b) * b))
def solve_matrix(a, b):
    return np.sum(np.linalg.solve(a, b) * b)


def _cholesky_twin(a):
    return torch.sum(torch.linalg.cholesky((a + a.T) / 2) * torch.arange(9.0).reshape(3, 3))


# Symmetrised first, as users do: np.linalg.cholesky reads one triangle only,
# and adcompiler (as torch) takes its input as symmetric (docs/derivatives.md).
@program(SPD, twin=_cholesky_twin)
def cholesky_factor(a):
    return np.sum(np.linalg.cholesky((a + a.T) / 2) * np.arange(9.0).reshape(3, 3))


@program(SPD, twin=lambda a: torch.sum(torch.linalg.eigvalsh(a) ** 2 * torch.arange(1.0, 4.0)))
def symmetric_eigenvalues(a):
    values, vectors = np.linalg.eigh(a)
    return np.sum(values ** 2 * np.arange(1.0, 4.0))


@program(MATRIX, twin=lambda a: torch.sum(torch.linalg.pinv(a) ** 2))
def pseudo_inverse(a):
    return np.sum(np.linalg.pinv(a) ** 2)


@program(MATRIX, twin=lambda a: torch.sum(torch.linalg.matrix_power(a, 3)))
def matrix_cube(a):
    return np.sum(np.linalg.matrix_power(a, 3))


@program(MATRIX, twin=lambda a: torch.sum(torch.linalg.svdvals(a)))
def nuclear_norm_by_svd(a):
    return np.sum(np.linalg.svd(a, compute_uv=False))


@program(SPD, twin=lambda a: torch.sum(torch.linalg.qr(a).R.diagonal().abs().log()), smooth=False)
def log_abs_diagonal_of_qr(a):
    q, r = np.linalg.qr(a)
    return np.sum(np.log(np.abs(np.diag(r))))


# ======================================================================
# Control flow (Tangent's while loops, autograd test_graphs)
# ======================================================================

@program(3.0, twin=lambda a: a * 0.5 ** 5)
def halve_while_large(a):
    while np.abs(a) > 0.1:
        a = a * 0.5
    return a


@program(2.0, twin=lambda a: a / 2 ** 4 + 0.0)
def while_with_break(a):
    steps = 0
    while True:
        a = a / 2.0
        steps += 1
        if steps >= 4:
            break
    return a


@program(0.9, twin=lambda a: a ** 2 + a ** 4)
def for_with_continue(a):
    total = 0.0
    for k in range(1, 5):
        if k % 2 == 1:
            continue
        total = total + a ** k
    return total


@program(0.9, twin=lambda a: a + a ** 2)
def for_with_break_on_index(a):
    total = 0.0
    for k in range(1, 10):
        if k > 2:
            break
        total = total + a ** k
    return total


@program(0.4, twin=lambda a: a + a ** 2 + a ** 3)
def for_with_break_on_value(a):
    total = 0.0
    term = 1.0
    for _ in range(100):
        term = term * a
        total = total + term
        if term < 0.1:
            break
    return total


@program(0.4, twin=lambda a: a + a ** 2 + a ** 3)
def while_else_on_value(a):
    total = 0.0
    term = 1.0
    k = 0
    while k < 100:
        term = term * a
        total = total + term
        if term < 0.1:
            break
        k += 1
    else:
        total = total * 0.0
    return total


@program(0.7, twin=lambda a: (a * 3.0 if a > 0 else a * 2.0) + (a * a))
def conditional_expression(a):
    return (a * 3.0 if a > 0 else a * 2.0) + (a * a)


@program(0.7, twin=lambda a: a * a)
def early_return(a):
    if a > 0:
        return a * a
    return -a


@program(np.array([0.5, 1.5, -2.0]), twin=lambda x: x[0] + x[1] * 2.0)
def return_inside_loop(x):
    total = 0.0
    for i in range(len(x)):
        if x[i] < 0:
            return total
        total = total + x[i] * (i + 1)
    return total


@program(np.array([0.5, 1.5, -2.0]), twin=lambda x: torch.sum(x[:2] ** 2))
def loop_over_array_rows_with_test(x):
    total = 0.0
    for value in x:
        if value > 0:
            total = total + value ** 2
    return total


@program(MATRIX, twin=lambda m: torch.sum(torch.stack([torch.sum(row ** 2) * (i + 1) for i, row in enumerate(m)])))
def loop_over_matrix_rows(m):
    total = 0.0
    for i, row in enumerate(m):
        total = total + np.sum(row ** 2) * (i + 1)
    return total


@program(0.5, twin=lambda a: a - (a ** 2 - 0.5) / (2 * a))
def one_newton_step(a):
    return a - (a * a - 0.5) / (2.0 * a)


def _newton_twin(c):
    x = torch.tensor(1.0, dtype=torch.float64)
    for _ in range(30):
        x = x - (x * x - c) / (2.0 * x)
    return x


@program(2.0, twin=_newton_twin)
def newton_square_root_until_converged(c):
    x = 1.0
    while abs(x * x - c) > 1e-12:
        x = x - (x * x - c) / (2.0 * x)
    return x


@program(0.5, 4, twin=lambda a, n: a * (a + a ** 2 + a ** 3 + a ** 4))
def accumulate_with_augmented_ops(a, n):
    total = 0.0
    power = a
    for _ in range(n):
        total += power
        power *= a
    return total * a / a * a / a * a


@program(1.5, twin=lambda a: (a - 1.0) * (a - 2.0) - (a - 3.0))
def augmented_subtract_and_divide(a):
    x = a
    x -= 1.0
    y = a
    y -= 2.0
    z = x * y
    z -= a
    z += 3.0
    z /= 1.0
    return z


@program(0.3, twin=lambda a: torch.sin(a))
def not_taken_branch_would_fail(a):
    if a > 100:
        return np.log(-a)
    return np.sin(a)


@program(0.8, twin=lambda a: a ** 2)
def and_or_tests(a):
    if a > 0 and a < 1:
        return a ** 2
    if a < 0 or a > 5:
        return a
    return -a


@program(0.8, twin=lambda a: a ** 3)
def boolean_flag_from_value(a):
    big = a > 0.5
    if big:
        a = a ** 3
    return a


@program(0.8, 3, twin=lambda a, n: a * 1 + a * 2 + a * 3)
def range_with_start_and_step(a, n):
    total = 0.0
    for k in range(1, 2 * n, 2):
        total = total + a * (k + 1) / 2
    return total


@program(0.8, 3, twin=lambda a, n: a * 0.5 ** 3 + a * 2.0)
def while_counting_down(a, n):
    start = a
    while n > 0:
        a = a * 0.5
        n -= 1
    return a + 2.0 * start


# ======================================================================
# Closures, nested functions, lambdas, partials (JAX api_test, autograd)
# ======================================================================

_SCALE = 3.0


@program(1.3, twin=lambda x: x * 3.0)
def reads_module_constant(x):
    return x * _SCALE


def _make_closure(factor):
    def closed(x):
        return np.sin(x) * factor
    return closed


_closed_over_two = _make_closure(2.0)


@program(0.4, twin=lambda x: torch.sin(x) * 2.0)
def calls_closure_from_factory(x):
    return _closed_over_two(x) * 1.0


@program(0.4, twin=lambda x: torch.sin(x) * x + x)
def closure_reads_argument(x):
    def inner(y):
        return np.sin(y) * x
    return inner(x) + x


@program(0.4, twin=lambda x: torch.sin(x) ** 2)
def lambda_inside(x):
    square = lambda v: v * v  # noqa: E731
    return square(np.sin(x))


@program(0.4, twin=lambda x: (x + 1.0) ** 2 + (x + 2.0) ** 2)
def lambda_with_default(x):
    shifted = lambda v, by=1.0: (v + by) ** 2  # noqa: E731
    return shifted(x) + shifted(x, 2.0)


def _weighted(x, weight, power=2):
    return weight * x ** power


@program(0.4, twin=lambda x: 5.0 * x ** 3)
def partial_of_helper(x):
    helper = functools.partial(_weighted, weight=5.0, power=3)
    return helper(x)


@program(np.array([0.5, 1.5, -2.0]), twin=lambda x: torch.sum(x ** 2) + torch.sum(torch.exp(x)))
def map_over_functions(x):
    total = 0.0
    for f in (np.square, np.exp):
        total = total + np.sum(f(x))
    return total


@program(np.array([0.5, 1.5, -2.0]), twin=lambda x: torch.sum(torch.sin(x) * 2.0))
def closure_over_local_array(x):
    weights = np.full(3, 2.0)

    def weighted_sine(v):
        return np.sum(np.sin(v) * weights)
    return weighted_sine(x)


@program(0.7, twin=lambda x: x ** 4)
def helper_defined_twice_levels(x):
    def outer(v):
        def inner(w):
            return w * w
        return inner(inner(v))
    return outer(x)


@program(0.7, twin=lambda x: x ** 3 * 2)
def recursive_power(x):
    return 2 * _power_by_recursion(x, 3)


def _power_by_recursion(x, n):
    if n == 0:
        return 1.0
    return x * _power_by_recursion(x, n - 1)


@program(np.array([0.5, 1.5, -2.0]), twin=lambda x: torch.sum(x * 2.0) * torch.sum(x ** 2))
def map_with_builtin_map(x):
    doubled = list(map(lambda v: 2.0 * v, x))
    return sum(doubled) * np.sum(x ** 2)


@program(0.7, twin=lambda x: x * x * 1.0)
def nested_grad_inside(x):
    # d/dy (x * y) = x, so the whole is x * x.
    inner = ad.grad(lambda y: x * y)(1.0)
    return x * inner


@program(0.7, twin=lambda x: x * 1.0)
def perturbation_confusion(x):
    # d/dy (x + y) = 1 whatever x is: x * 1.
    return x * ad.grad(lambda y: x + y)(x)


# ======================================================================
# Python numbers and builtins (autograd test_builtins / test_scalar_ops)
# ======================================================================

@program(0.7, twin=lambda x: torch.sin(x) + torch.exp(x) + torch.sqrt(x) + torch.log(x))
def math_module_calls(x):
    return math.sin(x) + math.exp(x) + math.sqrt(x) + math.log(x)


@program(0.7, twin=lambda x: torch.atan2(x, torch.tensor(2.0)) + torch.hypot(x, torch.tensor(1.0)) + x ** 2.5)
def math_two_argument_calls(x):
    return math.atan2(x, 2.0) + math.hypot(x, 1.0) + math.pow(x, 2.5)


@program(-0.7, twin=lambda x: torch.abs(x) * 3.0 + x, smooth=False)
def builtin_abs(x):
    return abs(x) * 3.0 + x


@program(0.7, 0.2, wrt=(0, 1), twin=lambda x, y: torch.maximum(x, y) + 2 * torch.minimum(x, y), smooth=False)
def builtin_max_min(x, y):
    return max(x, y) + 2 * min(x, y)


@program(np.array([0.5, 1.5, -2.0]), twin=lambda x: torch.max(x) * 3.0, smooth=False)
def builtin_max_over_array(x):
    return max(x) * 3.0


@program(0.7, twin=lambda x: x * 3.0 + 1.0)
def builtin_float_and_int(x):
    return float(x) * int(3.7) + float(1)


@program(0.7, twin=lambda x: x ** 2)
def isinstance_dispatch(x):
    if isinstance(x, float):
        return x ** 2
    return x


@program(np.array([0.5, 1.5]), twin=lambda x: torch.sum(x ** 2))
def isinstance_array_dispatch(x):
    if isinstance(x, np.ndarray) and x.ndim == 1:
        return np.sum(x ** 2)
    return 0.0


@program(0.7, twin=lambda x: x * 2.0)
def round_constant_and_len(x):
    return x * round(2.2) * len([1]) * len("a")


@program(np.array([0.5, 1.5, -2.0]), twin=lambda x: torch.sum(x) * 3)
def len_and_shape(x):
    return np.sum(x) * len(x) * x.shape[0] / x.size


@program(np.array([0.5, 1.5, -2.0]), twin=lambda x: x[0] * x[1] * x[2])
def product_by_functools_reduce(x):
    return functools.reduce(lambda a, b: a * b, x)


@program(np.array([0.5, 1.5, -2.0]), twin=lambda x: x[0] + x[1] + x[2] + 1.0)
def builtin_sum_with_start(x):
    return sum(x, 1.0)


@program(np.array([0.5, 1.5, -2.0]), twin=lambda x: x[0] ** 2 + x[1] ** 2 + x[2] ** 2)
def sorted_keys_over_array(x):
    return sum(v ** 2 for v in sorted(x))


@program(0.7, twin=lambda x: x * 2.0)
def item_and_tolist(x):
    arr = np.array([x, 1.0])
    return arr[0].item() + arr.tolist()[0]


@program(0.7, twin=lambda x: x ** 2)
def string_formatting_of_value(x):
    label = f"value {x:.3f}"
    return x ** 2 + 0.0 * len(label)


@program(0.7, twin=lambda x: x ** 2)
def print_inside(x):
    y = x ** 2
    if y > 100:
        print("big", y)
    return y


@program(0.7, twin=lambda x: x * 2.0)
def assert_inside(x):
    assert x > 0, "positive"
    return x * 2.0


@program(np.array([1.0, 2.0]), twin=lambda x: torch.sum(x ** 2))
def copy_module_copy(x):
    y = copy.copy(x)
    y[0] = y[0] * 1.0
    return np.sum(y ** 2)


# ======================================================================
# Wrappers and higher order (autograd test_wrappers, JAX api_test)
# ======================================================================

@program(0.7, twin=lambda x: 3 * x ** 2 * 1.0)
def grad_of_cube_called_inside(x):
    return ad.grad(lambda y: y ** 3)(x)


@program(np.array([0.5, 1.5, -2.0]), twin=lambda x: torch.sum(2.0 * x * x))
def gradient_of_inner_loss_dotted(x):
    g = ad.grad(lambda v: np.sum(v ** 2))(x)
    return np.sum(g * x)


@program(np.array([0.5, 1.5]), twin=lambda x: torch.sum(torch.cos(x)))
def stop_gradient_part(x):
    return np.sum(np.cos(x) + ad.stop_gradient(np.sin(x)) - np.sin(x) + np.sin(x)) - np.sum(ad.stop_gradient(np.sin(x)))


# ======================================================================
# Fan-out and reuse (autograd test_graphs)
# ======================================================================

@program(0.7, twin=lambda x: torch.sin(x) + torch.sin(x) * x + x)
def fan_out(x):
    y = np.sin(x)
    return y + y * x + x


@program(0.7, twin=lambda x: 0.0 * x + 2.0)
def constant_output(x):
    return 2.0


@program(np.array([0.5, 1.5]), twin=lambda x: 0.0 * torch.sum(x) + 3.0)
def integer_constant_output(x):
    return 3


@program(0.7, twin=lambda x: x ** 5)
def third_derivative_material(x):
    return x * x * x * x * x


@program(np.array([0.5, 1.5, -2.0]), twin=lambda x: torch.sum(x ** 2) + x[0] * 2)
def reassigned_after_use(x):
    y = x ** 2
    z = np.sum(y)
    y = x * 2
    return z + y[0]


@program(np.array([0.5, 1.5, -2.0]), twin=lambda x: torch.sum(x ** 2 * 3.0))
def output_from_indexing_twice(x):
    y = x ** 2
    return np.sum(y[:]) + np.sum(y[0:3]) + np.sum(y[...])


@program(np.array([0.5, 1.5, -2.0]), twin=lambda x: torch.sum(x[:2]) * 2.0)
def getter_into_tuple(x):
    t = (x[:2], x[2])
    return np.sum(t[0]) * 2.0


@program(np.array([0.5, 1.5, -2.0]), twin=lambda x: torch.sum(x * torch.tensor([1.0, 2.0, 3.0])))
def integer_array_constant_times_value(x):
    weights = np.array([1, 2, 3])
    return np.sum(x * weights)


@program(np.array([0.5, 1.5, -2.0]), twin=lambda x: torch.sum(x) * 3)
def int_dtype_detour(x):
    count = np.sum(np.ones(3, dtype=int))
    return np.sum(x) * count


@program(np.array([0.5, 1.5, -2.0]), twin=lambda x: torch.sum(x ** 2))
def float32_detour_and_back(x):
    return np.sum(x.astype(np.float64) ** 2)


@program(np.array([0.5, 1.5, -2.0]), twin=lambda x: torch.sum(x[torch.tensor([2, 0])] * torch.tensor([1.0, 10.0])))
def integer_array_index(x):
    idx = np.array([2, 0])
    return np.sum(x[idx] * np.array([1.0, 10.0]))


@program(np.array([0.5, 1.5, -2.0]), twin=lambda x: torch.sum(x[x > 0]))
def nonzero_index(x):
    return np.sum(x[np.nonzero(x > 0)])


@program(np.array([0.5, 1.5, -2.0]), twin=lambda x: torch.sum(x) + x[1])
def add_at_repeated(x):
    y = np.zeros(3)
    np.add.at(y, [0, 1, 1, 2], x[[0, 1, 1, 2]] / np.array([1.0, 2.0, 1.0, 1.0]))
    return np.sum(y) + x[1] / 2.0


@program(np.array([0.5, 1.5, -2.0]), twin=lambda x: torch.sum(x * torch.tensor([2.0, 1.0, 1.0])))
def fancy_index_write_with_repeats(x):
    y = np.zeros(3)
    y[[0, 0]] = x[[0, 0]]
    return np.sum(y) + np.sum(x)


# ======================================================================
# Binding times, aliasing and shared objects (the subtle corners)
# ======================================================================

@program(0.7, twin=lambda x: x * 3.0)
def closure_reads_name_rebound_before_call(x):
    k = 2.0
    scaled = lambda y: y * k  # noqa: E731
    k = 3.0
    return scaled(x)


@program(0.7, twin=lambda x: x * x)
def default_bound_when_defined(x):
    k = x

    def scaled(y, scale=k):
        return y * scale
    k = 2.0 * x
    return scaled(x)


@program(0.7, twin=lambda x: x * 2.0 * x)
def local_function_reads_later_binding(x):
    def scaled(y):
        return y * k
    k = 2.0 * x
    return scaled(x)


@program(0.7, twin=lambda x: x + x * x)
def local_function_appends_to_enclosing_list(x):
    collected = []

    def add(v):
        collected.append(v)
    add(x)
    add(x * x)
    return sum(collected)


@program(np.array([0.5, 1.5]), twin=lambda x: torch.sum((x * 2.0) ** 2))
def local_function_scales_enclosing_array(x):
    y = x.copy()

    def double():
        y[:] = y * 2.0
    double()
    return np.sum(y ** 2)


def _scale_in_place(v):
    v *= 2.0


def _scale_and_return(v):
    v *= 2.0
    return v


@program(np.array([0.5, 1.5]), twin=lambda x: torch.sum((x * 2.0) ** 2))
def helper_scales_caller_array(x):
    y = x.copy()
    _scale_in_place(y)
    return np.sum(y ** 2)


@program(np.array([0.5, 1.5]), twin=lambda x: torch.sum((x * 2.0) ** 2) + torch.sum((x * 2.0) ** 3))
def helper_returns_its_changed_argument(x):
    y = x.copy()
    z = _scale_and_return(y)
    return np.sum(y ** 2) + np.sum(z ** 3)


@program(np.array([0.5, 1.5]), twin=lambda x: torch.sum((x * 2.0) ** 2) + torch.sum(x * 2.0))
def helper_changes_argument_directly(x):
    _scale_in_place(x)
    return np.sum(x ** 2) + np.sum(x)


@program(0.7, twin=lambda x: 3 * x)
def alias_local_array_then_write(x):
    a = np.zeros(3)
    b = a
    b[0] = x
    b[1] = 2 * x
    return np.sum(a)


@program(0.7, twin=lambda x: x + x * x)
def alias_list_then_append(x):
    first = [x]
    second = first
    second.append(x * x)
    return sum(first)


@program(0.7, twin=lambda x: x * 5.0)
def alias_dict_then_write(x):
    table = {"a": x}
    same = table
    same["a"] = x * 5.0
    return table["a"]


@program(np.arange(1.0, 5.0), twin=lambda x: torch.sum(x ** 2) - x[0] ** 2 + 25.0 + 0 * x[0])
def reshape_view_written(x):
    y = x.copy()
    grid = y.reshape(2, 2)
    grid[0, 0] = 5.0
    return np.sum(y ** 2)


@program(np.arange(1.0, 5.0), twin=lambda x: torch.sum(x ** 2) + 3 * x[3] ** 2)
def ravel_view_written(x):
    m = x.reshape(2, 2).copy()
    flat = m.ravel()
    flat[3] = flat[3] * 2.0
    return np.sum(m ** 2)


@program(np.arange(1.0, 5.0), twin=lambda x: torch.sum(torch.cat([x[:1], x[:-1]]) * x))
def overlapping_slice_copy(x):
    y = x.copy()
    y[1:] = y[:-1]
    return np.sum(y * x)


@program(np.arange(1.0, 5.0), twin=lambda x: torch.sum(torch.flip(x, [0]) * torch.arange(4.0)))
def reverse_into_itself(x):
    y = x.copy()
    y[:] = y[::-1]
    return np.sum(y * np.arange(4.0))


@program(np.arange(1.0, 7.0).reshape(3, 2), twin=lambda x: torch.sum(x[[1, 0, 2]] * torch.arange(6.0).reshape(3, 2)))
def swap_rows_by_fancy_index(x):
    y = x.copy()
    y[[0, 1]] = y[[1, 0]]
    return np.sum(y * np.arange(6.0).reshape(3, 2))


@program(np.arange(1.0, 7.0).reshape(3, 2), twin=lambda x: torch.sum(x[[1, 1, 2]] * torch.arange(6.0).reshape(3, 2)))
def swap_rows_by_tuple_of_views(x):
    y = x.copy()
    y[0], y[1] = y[1], y[0]
    return np.sum(y * np.arange(6.0).reshape(3, 2))


@program(np.arange(1.0, 5.0) / 2.0, twin=lambda x: torch.sum(torch.cumsum(x, 0) ** 2))
def prefix_sum_in_place(x):
    y = x.copy()
    for i in range(1, len(y)):
        y[i] += y[i - 1]
    return np.sum(y ** 2)


@program(np.arange(1.0, 5.0) / 2.0, twin=lambda x: torch.sum(x + 1.0) * 2)
def add_with_out_argument(x):
    y = np.empty_like(x)
    np.add(x, 1.0, out=y)
    z = y
    return np.sum(y) + np.sum(z)


@program(np.arange(1.0, 5.0) / 2.0, twin=lambda x: torch.sum(torch.sort(x * torch.tensor([1.0, -1.0, 1.0, -1.0])).values * torch.arange(4.0)), smooth=False)
def sort_in_place_method(x):
    y = x * np.array([1.0, -1.0, 1.0, -1.0])
    y.sort()
    return np.sum(y * np.arange(4.0))


@program(MATRIX, twin=lambda x: torch.sum(x ** 2) - torch.sum(torch.diagonal(x) ** 2) + 3 * torch.sum(torch.diagonal(x)) * 0 + 3 * 4.0)
def fill_diagonal_in_place(x):
    y = x.copy()
    np.fill_diagonal(y, 2.0)
    return np.sum(y ** 2)


@program(np.arange(1.0, 5.0) / 2.0, twin=lambda x: torch.sum(x ** 2))
def asarray_is_the_same_array(x):
    y = np.asarray(x)
    return np.sum(y * x)


@program(np.arange(1.0, 5.0) / 2.0, twin=lambda x: torch.sum(x * 2.0))
def list_repeated_by_multiplication(x):
    rows = [x] * 2
    return np.sum(rows[0]) + np.sum(rows[1])


@program(np.arange(1.0, 5.0) / 2.0, twin=lambda x: torch.sum(x) + torch.sum(x ** 2) * 2.0)
def list_concatenation(x):
    parts = [x] + [x ** 2, x ** 2]
    return sum(np.sum(p) for p in parts)


@program(np.arange(1.0, 5.0) / 2.0, twin=lambda x: torch.sum(x[1:3] ** 2))
def list_slice_of_entries(x):
    values = list(x)
    middle = values[1:3]
    return sum(v ** 2 for v in middle)


@program(0.7, twin=lambda x: x ** 2)
def membership_test_on_constant(x):
    names = ["a", "b"]
    if "a" in names:
        return x ** 2
    return x


@program(np.arange(1.0, 5.0) / 2.0, twin=lambda x: torch.sum(x[:2] * x[2:]))
def nested_tuple_unpacking_in_loop(x):
    total = 0.0
    for i, (a, b) in enumerate(zip(x[:2], x[2:])):
        total = total + a * b
    return total


@program(np.arange(1.0, 5.0) / 2.0, twin=lambda x: torch.sum(x ** 2))
def while_loop_over_index(x):
    total = 0.0
    i = 0
    while i < len(x):
        total += x[i] ** 2
        i += 1
    return total


@program(np.arange(1.0, 5.0) / 2.0, twin=lambda x: torch.sum(x[:3] * 2.0))
def try_except_around_index(x):
    total = 0.0
    for i in range(4):
        try:
            total = total + x[i + 1] * 0.0 + x[i] * 2.0 if i < 3 else total
        except IndexError:
            pass
    return total


class _Box:
    def __init__(self, value):
        self.value = value

    def doubled(self):
        return self.value * 2.0


@program(0.7, twin=lambda x: x * 2.0 + x ** 2)
def object_holding_value(x):
    box = _Box(x)
    result = box.doubled()
    box.value = x ** 2
    return result + box.value


@program(0.7, twin=lambda x: x * 2.0 * 3.0)
def object_attribute_augmented(x):
    box = _Box(x * 2.0)
    box.value *= 3.0
    return box.value


@program(np.array([0.5, 1.5]), twin=lambda x: torch.sum(x * torch.tensor([0.12573022, -0.13210486])))
def seeded_noise_inside(x):
    rng = np.random.default_rng(0)
    noise = rng.normal(size=2)
    return np.sum(x * np.round(noise, 8))


_CALLS = {"count": 0}


@program(0.7, twin=lambda x: x * 2.0)
def counts_calls_in_module_dict(x):
    _CALLS["count"] += 1
    return x * 2.0


@program(np.array([0.5, 1.5, -2.0]), twin=lambda x: torch.sum(x ** 2) / 3.0)
def integer_division_of_sizes(x):
    n = len(x)
    half = n // 2
    return np.sum(x ** 2) / (half + 2)


@program(np.array([0.5, 1.5, -2.0]), twin=lambda x: torch.sum(x ** 2) / 3.0)
def nested_helper_with_default_list(x):
    return _mean_of_squares(x)


def _mean_of_squares(v, acc=[]):  # noqa: B006 - a mutable default, as users write
    acc = list(acc)
    for item in v:
        acc.append(item ** 2)
    return sum(acc) / len(acc)


@program(np.array([0.5, 1.5, -2.0]), twin=lambda x: x[0] * 2.0 + x[1] * x[2])
def chained_comparison_branches(x):
    if 0 < x[0] < 1 < x[1]:
        return x[0] * 2.0 + x[1] * x[2]
    return np.sum(x)


@program(0.7, twin=lambda x: torch.exp(-x) * 4.0)
def value_used_as_loop_bound(x):
    total = 0.0
    for _ in range(int(x * 10) - 3):
        total = total + np.exp(-x)
    return total


@program(np.array([0.5, 1.5, -2.0]), twin=lambda x: torch.sum(x * x) + x[1] * 4.0)
def index_from_argmax_used_for_write(x):
    y = x * 1.0
    y[np.argmax(x)] += 2.0 * x[1]
    return np.sum(y * x) - x[1] * 2.0 * x[1] + x[1] * 4.0


@program(np.array([0.5, 1.5, -2.0]), twin=lambda x: torch.sum(torch.cat([x, x ** 2])))
def append_to_array(x):
    return np.sum(np.append(x, x ** 2))


@program(np.array([0.5, 1.5, -2.0]), twin=lambda x: torch.sum(torch.cat([x[:1], torch.tensor([7.0]), x[1:]]) * torch.arange(4.0)))
def insert_into_array(x):
    return np.sum(np.insert(x, 1, 7.0) * np.arange(4.0))


@program(np.array([0.5, 1.5, -2.0]), twin=lambda x: torch.sum(torch.cat([x[:1], x[2:]]) ** 2))
def delete_from_array(x):
    return np.sum(np.delete(x, 1) ** 2)


@program(np.array([0.5, 1.5, -2.0]), twin=lambda x: x[0] * x[2])
def tuple_of_views_unpacked(x):
    first, _, last = x
    return first * last


@program(MATRIX, twin=lambda m: torch.sum(m[0] * m[2]))
def rows_unpacked_from_matrix(m):
    top, middle, bottom = m
    return np.sum(top * bottom)


@program(MATRIX, twin=lambda m: torch.sum(m[:, 0] * m[:, 1]))
def columns_unpacked_from_transpose(m):
    a, b, c = m.T
    return np.sum(a * b)


@program(np.array([0.5, 1.5, -2.0]), twin=lambda x: torch.sum(x ** 2) * 2.0)
def same_array_in_two_lists(x):
    first = [x]
    second = [x]
    return np.sum(first[0] ** 2) + np.sum(second[0] ** 2)


@program(np.array([0.5, 1.5, -2.0]), twin=lambda x: torch.sum((x * 3.0) ** 2) * 2.0)
def shared_array_in_two_lists_changed(x):
    y = x.copy()
    first = [y]
    second = [y]
    first[0] *= 3.0
    return np.sum(first[0] ** 2) + np.sum(second[0] ** 2)


@program(np.array([0.5, 1.5, -2.0]), twin=lambda x: torch.sum(x ** 2) + 9.0 * torch.sum(x ** 2))
def list_element_rebound_not_shared(x):
    first = [x]
    second = [x]
    first[0] = first[0] * 3.0
    return np.sum(first[0] ** 2) + np.sum(second[0] ** 2) * 0.0 + np.sum(second[0] ** 2)


@program(np.array([0.5, 1.5, -2.0]), twin=lambda x: torch.sum(x ** 2) * 4.0)
def loop_variable_rebound_not_written(x):
    arrays = [x * 1.0, x * 1.0]
    for a in arrays:
        a = a * 2.0
    return np.sum(arrays[0] ** 2) * 2.0 + np.sum(arrays[1] ** 2) * 2.0


@program(np.array([0.5, 1.5, -2.0]), twin=lambda x: torch.sum((x * 2.0) ** 2) * 2.0)
def loop_variable_changed_in_place(x):
    arrays = [x * 1.0, x * 1.0]
    for a in arrays:
        a *= 2.0
    return np.sum(arrays[0] ** 2) + np.sum(arrays[1] ** 2)


@program(np.array([0.5, 1.5, -2.0]), twin=lambda x: torch.sum(x * torch.sin(x)))
def generator_expression_into_sum(x):
    return sum(a * b for a, b in zip(x, np.sin(x)))


@program(np.array([0.5, 1.5, -2.0]), twin=lambda x: torch.sum(x ** 2) + torch.max(x), smooth=False)
def builtin_max_with_key(x):
    best = max(range(3), key=lambda i: x[i])
    return np.sum(x ** 2) + x[best]


@program(np.array([0.5, 1.5, -2.0]), twin=lambda x: (x[1] - x[0]) ** 2 + (x[2] - x[1]) ** 2)
def pairwise_loop_over_range_len(x):
    total = 0.0
    for i in range(len(x) - 1):
        total += (x[i + 1] - x[i]) ** 2
    return total


@program(np.array([0.5, 1.5, -2.0]), np.array([2.0, 1.0, 0.5]), wrt=(0, 1),
         twin=lambda x, y: torch.sum(x * y) + torch.sum(x * x))
def argument_rebound_to_other(x, y):
    z = x
    x = y
    total = np.sum(z * x)
    x = z
    return total + np.sum(x * z)


@program(np.array([0.5, 1.5, -2.0]), twin=lambda x: torch.sum(torch.tanh(torch.tanh(torch.tanh(x)))))
def same_name_in_nested_loops(x):
    for i in range(3):
        for i in range(1):  # noqa: B007 - the inner loop reuses the name
            x = np.tanh(x)
    return np.sum(x)


@program(0.7, 3, twin=lambda x, n: x * 3 ** 3)
def loop_bound_argument_rebound_inside(x, n):
    for _ in range(n):
        x = x * n
        n = n + 0
    return x


# ======================================================================
# Batched and less common array calls (autograd test_linalg / test_numpy)
# ======================================================================

_RNG = np.random.default_rng(7)
BATCH = _RNG.standard_normal((2, 3, 3)) + 3.0 * np.eye(3)
BATCH_SPD = BATCH @ np.swapaxes(BATCH, -1, -2) + np.eye(3)
CUBE = _RNG.standard_normal((2, 3, 4))


@program(BATCH, twin=lambda a: torch.sum(torch.linalg.inv(a) * torch.arange(18.0).reshape(2, 3, 3)))
def batched_inverse(a):
    return np.sum(np.linalg.inv(a) * np.arange(18.0).reshape(2, 3, 3))


@program(BATCH, twin=lambda a: torch.sum(torch.linalg.det(a) * torch.tensor([1.0, -2.0])))
def batched_determinant(a):
    return np.sum(np.linalg.det(a) * np.array([1.0, -2.0]))


@program(BATCH_SPD, twin=lambda a: torch.sum(torch.linalg.slogdet(a)[1] ** 2))
def batched_log_determinant(a):
    return np.sum(np.linalg.slogdet(a)[1] ** 2)


@program(BATCH, _RNG.standard_normal((2, 3, 2)), wrt=(0, 1),
         twin=lambda a, b: torch.sum(torch.linalg.solve(a, b) ** 2))
def batched_solve(a, b):
    return np.sum(np.linalg.solve(a, b) ** 2)


@program(BATCH, CUBE, wrt=(0, 1), twin=lambda a, b: torch.sum(torch.matmul(a, b) ** 2))
def batched_matmul(a, b):
    return np.sum(np.matmul(a, b) ** 2)


@program(CUBE, VECTOR, wrt=(0, 1), twin=lambda a, v: torch.sum((a @ v) ** 2) + torch.sum(v @ torch.swapaxes(a, 1, 2)))
def matmul_with_vector_both_sides(a, v):
    return np.sum((a @ v) ** 2) + np.sum(v @ np.swapaxes(a, 1, 2))


@program(MATRIX, twin=lambda a: torch.linalg.norm(a, "fro") + torch.linalg.norm(a, 2) + torch.linalg.norm(a, "nuc"))
def matrix_norm_orders(a):
    return np.linalg.norm(a, "fro") + np.linalg.norm(a, 2) + np.linalg.norm(a, "nuc")


@program(CUBE, twin=lambda a: torch.sum(torch.linalg.vector_norm(a, dim=(1, 2))) + torch.sum(torch.linalg.vector_norm(a, ord=3, dim=-1, keepdim=True) * a))
def vector_norm_over_axes(a):
    return np.sum(np.linalg.norm(a, axis=(1, 2))) + np.sum(np.linalg.norm(a, ord=3, axis=-1, keepdims=True) * a)


@program(CUBE, _RNG.standard_normal((3, 4, 2)), wrt=(0, 1),
         twin=lambda a, b: torch.sum(torch.tensordot(a, b, dims=2) ** 2))
def tensordot_two_axes(a, b):
    return np.sum(np.tensordot(a, b, axes=2) ** 2)


@program(CUBE, twin=lambda a: torch.sum(torch.einsum("...ij,...ij->...i", a, a) ** 2) + torch.sum(torch.einsum("bij->jb", a) * torch.arange(8.0).reshape(4, 2)))
def einsum_with_ellipsis_and_transpose(a):
    return np.sum(np.einsum("...ij,...ij->...i", a, a) ** 2) + np.sum(np.einsum("bij->jb", a) * np.arange(8.0).reshape(4, 2))


@program(CUBE, np.arange(4.0) / 3.0, wrt=(0, 1), twin=lambda a, v: torch.sum(torch.einsum("bij,j->bi", a, v) ** 2))
def einsum_contract_with_vector(a, v):
    return np.sum(np.einsum("bij,j->bi", a, v) ** 2)


@program(CUBE, MATRIX[:, :2].copy(), wrt=(0, 1), twin=lambda a, m: torch.sum(torch.einsum("bij,ik->bkj", a, m) * a[:, :2, :]))
def einsum_three_index(a, m):
    return np.sum(np.einsum("bij,ik->bkj", a, m) * a[:, :2, :])


@program(CUBE, twin=lambda a: torch.sum(torch.diagonal(a, 0, 1, 2) ** 2) + torch.sum(torch.diagonal(a, 1, 1, 2)))
def diagonal_of_stack(a):
    return np.sum(np.diagonal(a, axis1=1, axis2=2) ** 2) + np.sum(np.diagonal(a, offset=1, axis1=1, axis2=2))


@program(CUBE, twin=lambda a: torch.sum(torch.diagonal(a, 0, 1, 2).sum(-1) ** 2))
def trace_of_stack(a):
    return np.sum(np.trace(a, axis1=1, axis2=2) ** 2)


@program(_RNG.standard_normal((4, 3)), _RNG.standard_normal((4, 3)), wrt=(0, 1),
         twin=lambda a, b: torch.sum(torch.linalg.cross(a, b) ** 2))
def cross_products(a, b):
    return np.sum(np.cross(a, b) ** 2)


@program(MATRIX, VECTOR[:3], wrt=(0, 1), twin=lambda a, v: torch.sum(torch.outer(a.reshape(-1), v) ** 2) + torch.sum(torch.inner(a, v) ** 2))
def outer_and_inner_of_matrix(a, v):
    return np.sum(np.outer(a, v) ** 2) + np.sum(np.inner(a, v) ** 2)


@program(CUBE, twin=lambda a: torch.sum(torch.var(a, (0, 2), keepdim=True, correction=0) * a) + torch.sum(torch.std(a, -1, correction=1)))
def variance_over_two_axes(a):
    return np.sum(np.var(a, axis=(0, 2), keepdims=True) * a) + np.sum(np.std(a, axis=-1, ddof=1))


@program(CUBE, twin=lambda a: torch.sum(torch.logsumexp(a, 1) ** 2))
def logsumexp_over_middle_axis(a):
    m = np.max(a, axis=1, keepdims=True)
    return np.sum((np.log(np.sum(np.exp(a - m), axis=1)) + m[:, 0, :]) ** 2)


@program(CUBE, twin=lambda a: torch.sum(torch.prod(a, 2)) + torch.sum(torch.cumprod(a, 1)))
def product_along_axes(a):
    return np.sum(np.prod(a, axis=2)) + np.sum(np.cumprod(a, axis=1))


@program(CUBE, twin=lambda a: torch.sum(torch.amax(a, (0, 2)) ** 2), smooth=False)
def max_over_two_axes(a):
    return np.sum(np.max(a, axis=(0, 2)) ** 2)


@program(CUBE, twin=lambda a: torch.sum(a.reshape(6, 4).T @ a.reshape(6, 4)))
def reshape_then_gram(a):
    flat = a.reshape(-1, 4)
    return np.sum(flat.T @ flat)


@program(CUBE, twin=lambda a: torch.sum(torch.cat([a[:, :1], a[:, 2:]], 1) * 2.0) + torch.sum(a[..., 1:3] ** 2))
def ellipsis_and_mixed_slices(a):
    return np.sum(np.concatenate([a[:, :1], a[:, 2:]], axis=1) * 2.0) + np.sum(a[..., 1:3] ** 2)


@program(CUBE, twin=lambda a: torch.sum(a[1, :, [0, 3]] ** 2) + torch.sum(a[:, [2, 0]][:, :, 1]))
def mixed_basic_and_fancy_index(a):
    return np.sum(a[1, :, [0, 3]] ** 2) + np.sum(a[:, [2, 0]][:, :, 1])


@program(CUBE, twin=lambda a: torch.sum(a[torch.tensor([0, 1]), torch.tensor([2, 0]), torch.tensor([1, 3])] ** 3))
def fancy_index_in_every_axis(a):
    return np.sum(a[[0, 1], [2, 0], [1, 3]] ** 3)


@program(CUBE, twin=lambda a: torch.sum(torch.where(a > 0, a, 0.1 * a) ** 2), smooth=False)
def leaky_relu_where(a):
    return np.sum(np.where(a > 0, a, 0.1 * a) ** 2)


@program(CUBE, twin=lambda a: torch.sum(a * (a > 0)) + torch.sum(torch.maximum(a, torch.tensor(0.0)) ** 2), smooth=False)
def relu_by_mask_and_maximum(a):
    return np.sum(a * (a > 0)) + np.sum(np.maximum(a, 0.0) ** 2)


@program(CUBE, twin=lambda a: torch.sum(torch.stack(torch.split(a, [1, 3], dim=2)[1:] * 2, 0)))
def array_split_sections(a):
    left, right = np.split(a, [1], axis=2)
    return np.sum(np.stack([right, right]))


@program(CUBE, twin=lambda a: torch.sum(a.mean(dim=(0, 1)) * torch.arange(4.0)) + torch.sum(a.sum(dim=-1, keepdim=True) ** 2))
def mean_over_tuple_axes_method(a):
    return np.sum(a.mean(axis=(0, 1)) * np.arange(4.0)) + np.sum(a.sum(axis=-1, keepdims=True) ** 2)


@program(VECTOR, twin=lambda x: torch.sum(torch.linspace(0.0, 1.0, 4) * x) + torch.sum(torch.meshgrid(x, x, indexing="ij")[0] * torch.arange(16.0).reshape(4, 4)))
def linspace_and_meshgrid(x):
    a, b = np.meshgrid(x, x, indexing="ij")
    return np.sum(np.linspace(0.0, 1.0, 4) * x) + np.sum(a * np.arange(16.0).reshape(4, 4))


@program(VECTOR, twin=lambda x: torch.sum(torch.cumsum(torch.flip(x, [0]), 0) * x))
def reverse_cumulative_sum(x):
    return np.sum(np.cumsum(x[::-1]) * x)


@program(VECTOR, twin=lambda x: torch.sum(torch.tensor([[1.0, 0.5], [0.5, 1.0]]) @ torch.stack([x[:2], x[2:]]) ** 2))
def stacked_halves_matmul(x):
    return np.sum(np.array([[1.0, 0.5], [0.5, 1.0]]) @ np.array([x[:2], x[2:]]) ** 2)


@program(np.array([0.5, 2.0, 1.2]), twin=lambda x: torch.sum(torch.special.erf(x) + torch.special.gammaln(x) + torch.special.expit(x)))
def scipy_special_functions(x):
    return np.sum(scipy.special.erf(x) + scipy.special.gammaln(x) + scipy.special.expit(x))


@program(POSITIVE, twin=lambda x: torch.sum(3.0 * x ** 2 + 2.0 * x + 1.0))
def polynomial_value(x):
    return np.sum(np.polyval([3.0, 2.0, 1.0], x))


@program(VECTOR, twin=lambda x: torch.sum(x[:3] * torch.tensor([1.0, 2.0, 3.0])) + torch.sum(torch.nn.functional.conv1d(x.reshape(1, 1, 4), torch.tensor([[[3.0, 2.0, 1.0]]]))))
def convolve_valid(x):
    return np.sum(x[:3] * np.array([1.0, 2.0, 3.0])) + np.sum(np.convolve(x, [1.0, 2.0, 3.0], mode="valid"))


@program(VECTOR, twin=lambda x: torch.sum(torch.trapezoid(x ** 2, dx=0.5)))
def trapezoid_rule(x):
    return np.trapezoid(x ** 2, dx=0.5)


@program(VECTOR, twin=lambda x: torch.sum(x * x) / torch.sqrt(torch.sum(x * x)) + torch.sum(torch.nan_to_num(x)))
def normalised_dot_and_nan_to_num(x):
    return np.vdot(x, x) / np.sqrt(np.dot(x, x)) + np.sum(np.nan_to_num(x))


# ======================================================================
# Lists resized while a loop iterates them, list slice assignment
# ======================================================================

@program(0.7, twin=lambda x: x + 2.0 * x + 4.0 * x)
def append_to_the_list_being_iterated(x):
    items = [x]
    for v in items:           # Python's loop visits the items appended too
        if len(items) < 3:
            items.append(v * 2.0)
    return sum(items)


@program(0.7, twin=lambda x: x + 2.0 * x)
def pop_from_the_list_being_iterated(x):
    items = [x, 2.0 * x, 3.0 * x, 4.0 * x]
    total = 0.0
    for v in items:           # two iterations: each pops one item off the end
        total = total + v
        items.pop()
    return total


@program(0.7, twin=lambda x: x + 3.0 * x + 9.0 * x)
def enumerate_the_list_being_extended(x):
    items = [x]
    for k, v in enumerate(items):
        if k < 2:
            items.extend([v * 3.0])
    return sum(items)


def _push_and_count(store, value):
    store.append(value)
    return len(store)


@program(0.7, twin=lambda x: x + 2.0 * x + 4.0 * x)
def helper_appends_to_the_list_being_iterated(x):
    items = [x]
    for v in items:
        if len(items) < 3:
            _push_and_count(items, v * 2.0)
    return sum(items)


@program(0.7, twin=lambda x: x + 2.0 * x + 4.0 * x)
def index_loop_over_a_growing_list(x):
    items = [x]
    i = 0
    while i < len(items):     # what the refusal above suggests
        v = items[i]
        if len(items) < 3:
            items.append(v * 2.0)
        i += 1
    return sum(items)


@program(0.7, twin=lambda x: x + 2.0 * x)
def loop_over_a_copy_taken_before(x):
    items = [x]
    start = list(items)
    for v in start:
        items.append(v * 2.0)
    return sum(items)


@program(0.7, twin=lambda x: 1.0 + 2.0 * x + 3.0 * x)
def list_slice_assignment_growing(x):
    items = [1.0, x]
    items[1:] = [2.0 * x, 3.0 * x]
    return sum(items)


@program(0.7, twin=lambda x: (x + x * x + 3.0) * x)
def list_slice_assignment_from_tuple(x):
    items = [1.0, 2.0, 3.0]
    items[:2] = (x, x * x)
    return sum(items) * items[0]


@program(np.array([0.5, 1.5]), twin=lambda x: (1.0 + torch.sum(x * 2.0)) * x[0] * 2.0)
def list_slice_assignment_from_array(x):
    items = [1.0, 2.0, 3.0]
    items[1:] = x * 2.0
    return sum(items) * items[1]


@program(np.array([0.5, 1.5]), twin=lambda x: (1.0 + torch.sum(x * 2.0)) * x[0] * 2.0)
def list_slice_assignment_from_list_of_array(x):
    items = [1.0, 2.0, 3.0]
    items[1:] = list(x * 2.0)
    return sum(items) * items[1]


# ======================================================================
# Containers the caller passes in and the function resizes
# ======================================================================

@program(0.7, [1.0])
def append_to_a_list_argument(x, log):
    log.append(x * 2.0)       # the caller's list grows; the derivative's must not
    return sum(log) * x


@program(0.7, [1.0, 2.0])
def pop_from_a_list_argument(x, stack):
    last = stack.pop()
    return last * x + len(stack)


@program(0.7, {"scale": 2.0, "shift": 1.0})
def pop_from_a_dict_argument(x, options):
    scale = options.pop("scale")
    return x * scale + options["shift"] * len(options)


def _collect_twice(value, store):
    store.append(value)
    store.append(value * value)
    return sum(store)


@program(0.7, [1.0])
def helper_appends_to_a_list_argument(x, log):
    return _collect_twice(x * 2.0, log) * x


@program(0.7, [1.0], wrt=(0, 1))
def append_to_a_differentiated_list_argument(x, log):
    log.append(x * 2.0)
    return sum(log) * x


@program(0.7, [1.0], wrt=(0, 1))
def new_list_built_from_a_list_argument(x, log):
    items = []
    for v in log:
        items.append(v)
    items.append(x * 2.0)
    return sum(items) * x


@program(0.7, [1.0])
def append_to_a_list_argument_through_a_second_name(x, log):
    items = log
    items.append(x * 2.0)
    return sum(items) * x


@program(0.7, [1.0, 2.0], wrt=(0, 1))
def a_name_appended_to_before_it_holds_the_list_argument(x, log):
    # (the name holds a list of its own when it is appended to: log is not resized)
    items = [x * 2.0]
    items.append(x)
    total = sum(items)
    items = log
    return total * x + sum(items) * x


@program(0.7, [1.0], wrt=(0, 1))
def a_name_holding_the_list_argument_in_a_loop_then_appended_to(x, log):
    items = []
    for _ in range(2):
        items.append(x)
        items = log
    return sum(items) * x


# ======================================================================
# Powers at zero: x ** 0 is 1 for every x (polynomials evaluated at 0)
# ======================================================================

@program(0.0, twin=lambda x: 1.0 + 2.0 * x + 3.0 * x ** 2)
def polynomial_by_powers_at_zero(x):
    total = 0.0
    for k in range(3):
        total = total + (k + 1.0) * x ** k     # x ** 0 at x == 0
    return total


# (torch's own second derivative of x ** arange(3) is nan at 0: the twin is the polynomial)
@program(np.array([0.0, 0.5]), twin=lambda x: torch.sum(1.0 + 2.0 * x + 3.0 * x ** 2))
def polynomial_features_at_zero(x):
    return np.sum(np.array([1.0, 2.0, 3.0]) * x[:, None] ** np.arange(3))


@program(np.array([0.0, 1.5]), twin=lambda x: torch.sum(x ** 0 + x ** 1 + torch.pow(x, 2)))
def zeroth_first_and_second_powers(x):
    return np.sum(x ** 0 + x ** 1 + np.power(x, 2))


@program(0.0, 2.0, wrt=(0, 1), twin=lambda x, y: x ** y + x ** (y - 2.0))
def power_with_differentiated_exponent_at_zero(x, y):
    return x ** y + x ** (y - 2.0)
