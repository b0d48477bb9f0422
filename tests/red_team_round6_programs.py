"""Red-team corpus, round 6: programs aimed at the features that landed the
same day: desugared syntax (chained assignment of arrays that alias,
starred targets, `match`, leading walrus, `next(iter(X))`), derivatives
built inside the differentiated function (ad.grad / value_and_grad / jvp /
hvp and functools.partial inside, closures over differentiated values,
methods of self), np.apply_along_axis and np.vectorize, a name that holds a
list in one place and a number in another, objects built in the function
(isinstance, getattr, setattr, properties, dataclasses.replace, helpers),
np.r_ / np.c_, einsum subscripts held in variables and sublists, np.cross
with axes, np.real_if_close, np.arange moved by its start and step,
np.heaviside, and data held by classes and modules.

Each entry of PROGRAMS is a third_party_style_programs.Program, checked by
tests/test_red_team_round6.py (reverse, value_and_grad, forward, jvp, hvp)
against torch float64 or central finite differences, with the arguments
required unchanged. SCENARIOS return (label, got, want) triples.

Programs whose name starts with `finding_` were wrong (or crashed) before
the commit that fixed them; their docstrings say how.
"""

from __future__ import annotations

import dataclasses
import enum
import functools

import numpy as np
import torch

import adcompiler as ad
from red_team_round6_classes import BufferHolder, SharedTotals
from red_team_checks import recorder
from third_party_style_programs import Program

PROGRAMS: list[Program] = []


program = recorder(PROGRAMS)


VECTOR = np.array([0.6, -1.3, 0.9, 2.1])
MATRIX = np.array([[1.2, -0.4, 0.3], [0.5, 0.9, -1.1], [-0.7, 0.2, 1.6]])
WIDE = np.array([[0.3, -0.8, 1.1, 0.45], [-0.2, 0.7, 1.3, -0.6]])
THREE = np.array([0.7, -0.4, 1.2])


# ======================================================================
# Desugared syntax
# ======================================================================

@program(VECTOR, twin=lambda x: x[0] ** 2 * 2 + x[1] * 2)
def chained_assignment_of_one_array_aliases(x):
    a = b = np.zeros(2)
    a[0] = x[0]
    b[1] = x[1]
    return a[0] * b[0] + a[1] + b[1] + a[0] * a[0]


@program(VECTOR, twin=lambda x: torch.sum(x * 3.0))
def chained_assignment_then_in_place_add(x):
    a = b = x * 1.0
    a += x
    return np.sum(b) + np.sum(x)


@program(VECTOR, twin=lambda x: torch.sum(x) * 2 + x[0])
def chained_assignment_of_a_list(x):
    a = b = []
    a.append(x[0])
    b.append(np.sum(x))
    return a[0] + b[1] + len(a) * 0 + np.sum(x)


@program(VECTOR, twin=lambda x: x[0] * x[1] + x[0])
def chained_assignment_with_a_tuple_target(x):
    p, q = r = x[0], x[1]
    return p * q + r[0]


@program(VECTOR, twin=lambda x: x[0] * x[3])
def chained_assignment_with_a_subscript_target(x):
    d = {}
    d["a"] = y = x[0]
    return d["a"] * x[3] + y * 0


@program(VECTOR, twin=lambda x: x[0] * (x[1] + x[2] + x[3]))
def starred_rest_of_a_tuple(x):
    t = (x[0], x[1], x[2], x[3])
    first, *rest = t
    return first * sum(rest)


@program(VECTOR, twin=lambda x: x[0] * 3 + x[3])
def starred_rest_of_a_short_sequence_is_empty(x):
    t = (x[0], x[3])
    first, second, *rest = t
    return first * (3 + len(rest)) + second


@program(MATRIX, twin=lambda m: torch.sum(m[0] * m[2]) + torch.sum(m[1]))
def starred_rows_of_a_matrix(m):
    top, *middle, bottom = m
    return np.sum(top * bottom) + np.sum(middle[0])


class Color(enum.Enum):
    RED = 1
    GREEN = 2


def _shade(x, color):
    match color:
        case Color.RED:
            return x * 2.0
        case Color.GREEN:
            return x * 3.0
        case _:
            return x


@program(VECTOR, twin=lambda x: torch.sum(x * 2.0) + torch.sum(x * 3.0))
def match_on_an_enum_value(x):
    return np.sum(_shade(x, Color.RED)) + np.sum(_shade(x, Color.GREEN))


@program(MATRIX, twin=lambda m: torch.sum(m * m))
def match_on_a_differentiated_arrays_shape(m):
    match m.shape:
        case (n,):
            return np.sum(m) * n
        case (n, k) if n == k:
            return np.sum(m * m)
        case _:
            return np.sum(m)


@program(WIDE, twin=lambda m: torch.sum(m) * 2)
def match_shape_guard_fails_falls_through(m):
    match m.shape:
        case (n, k) if n == k:
            return np.sum(m * m)
        case (n, k):
            return np.sum(m) * n
    return np.sum(m)


@program(VECTOR, twin=lambda x: x[0] * 2 + x[1] * 3)
def match_or_pattern_and_capture(x):
    total = 0.0
    for i in range(2):
        match i:
            case 0 | 5:
                total = total + x[0] * 2
            case other:
                total = total + x[1] * (other + 2)
    return total


@program(VECTOR, twin=lambda x: x[0] * 2)
def match_none_true_false(x):
    flags = [None, True, False]
    total = 0.0
    for f in flags:
        match f:
            case None:
                total = total + x[0]
            case True:
                total = total + x[0]
            case False:
                total = total + 0.0 * x[1]
    return total


@program(VECTOR, twin=lambda x: torch.sum(x) * 3)
def match_on_a_differentiated_value_guarded(x):
    s = np.sum(x)
    match 1:
        case 1 if s > 0:
            return s * 3
        case 1:
            return s * 5
    return s


@program(VECTOR, twin=lambda x: torch.sum(x ** 2) + x.shape[0])
def leading_walrus_in_an_if(x):
    if (n := len(x)) > 2:
        return np.sum(x ** 2) + n
    return np.sum(x)


@program(1.7, twin=lambda a: a * 0.5 ** 4)
def walrus_in_a_while_test_halving(a):
    r = a
    while (r := r * 0.5) > 0.15:
        pass
    return r


@program(1.7, twin=lambda a: a * 0.5 ** 4 * (1 + 0.0))
def walrus_in_a_while_with_continue_and_break(a):
    r = a
    count = 0
    while (r := r * 0.5) > 0.01:
        count += 1
        if count == 2:
            continue
        if count >= 4:
            break
    return r


@program(VECTOR, twin=lambda x: x[0] * 2)
def next_of_iter_of_an_array(x):
    return next(iter(x)) * 2


@program(MATRIX, twin=lambda m: torch.sum(m[0]))
def next_of_iter_of_rows(m):
    return np.sum(next(iter(m)))


@program(VECTOR, twin=lambda x: x[0] * 3)
def next_of_iter_of_a_dict_of_values(x):
    d = {"a": x[0], "b": x[1]}
    return next(iter(d.values())) * 3


# ======================================================================
# Derivatives built inside the function
# ======================================================================

@program(1.3, twin=lambda x: x * 2 * x)
def grad_of_a_closure_over_x_perturbation(x):
    # d/dy (x*y) = x; f(x) = x * (2x)... actually inner grad is x, times 2x
    inner = ad.grad(lambda y: x * y)(2.0)
    return inner * 2 * x


@program(1.3, twin=lambda x: x * 3 * x ** 2)
def grad_inside_evaluated_at_x(x):
    # d/dy y**3 at y=x is 3x**2; times x
    return x * ad.grad(lambda y: y ** 3)(x)


@program(0.8, twin=lambda x: 2 * x * (x + 1.0))
def grad_of_product_with_closure_at_x(x):
    # d/dy (x * y**2 + y) at y=x: 2 x y + 1 -> 2x^2 + 1, times... return directly
    g = ad.grad(lambda y: x * y ** 2 + y)
    return g(x) - 1.0 + 2 * x


@program(0.8, twin=lambda x: 6 * x)
def second_derivative_by_nested_grads(x):
    return ad.grad(ad.grad(lambda y: y ** 3))(x)


def _cube(y):
    return y ** 3


@program(0.8, twin=lambda x: 3 * x ** 2 + 6 * x)
def value_and_grad_inside(x):
    v, g = ad.value_and_grad(_cube)(x)
    return g + v * 0 + 6 * x


@program(VECTOR, twin=lambda x: torch.sum(2 * x * x))
def grad_of_vector_function_inside(x):
    g = ad.grad(lambda v: np.sum(v ** 2))(x)
    return np.sum(g * x)


def _scaled_energy(w, scale):
    return scale * np.sum(w ** 2)


@program(VECTOR, twin=lambda x: torch.sum(2 * x[0] * x * x))
def grad_of_partial_built_inside(x):
    f = functools.partial(_scaled_energy, scale=x[0])
    return np.sum(ad.grad(f)(x) * x)


@program(VECTOR, twin=lambda x: torch.sum(2 * x[0] * x) * x[1])
def jvp_inside(x):
    out, tangent = ad.jvp(lambda v: x[0] * np.sum(v ** 2))((x,), (np.ones(4),))
    return tangent * x[1]


@program(VECTOR, twin=lambda x: torch.sum(2 * x * x[0] * x))
def hvp_inside(x):
    h = ad.hvp(lambda v: x[0] * np.sum(v ** 2))((x,), (x,))
    return np.sum(h * x)


class _Model:
    def __init__(self, scale):
        self.scale = scale

    def energy(self, v):
        return self.scale * np.sum(v ** 3)

    def force(self, v):
        return ad.grad(self.energy)(v)


@program(VECTOR, twin=lambda x: torch.sum(3 * x ** 2 * 1.5 * x))
def grad_of_a_method_of_self(x):
    model = _Model(1.5)
    return np.sum(model.force(x) * x)


@program(VECTOR, twin=lambda x: torch.sum(3 * x ** 2 * x[0] * x))
def grad_of_a_method_with_differentiated_state(x):
    model = _Model(x[0])
    return np.sum(model.force(x) * x)


# ======================================================================
# np.apply_along_axis and np.vectorize
# ======================================================================

@program(MATRIX, twin=lambda m: torch.sum(torch.sum(m ** 2, 1) * torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)))
def apply_along_last_axis_sum_of_squares(m):
    r = np.apply_along_axis(lambda row: np.sum(row ** 2), 1, m)
    return np.sum(r * np.array([1.0, 2.0, 3.0]))


@program(WIDE, twin=lambda m: torch.sum(torch.sort(m, 0).values * torch.arange(8, dtype=torch.float64).reshape(2, 4)))
def apply_along_axis_zero_returning_vectors(m):
    r = np.apply_along_axis(np.sort, 0, m)
    return np.sum(r * np.arange(8.0).reshape(2, 4))


@program(WIDE, twin=lambda m: torch.sum(torch.outer(m[0], m[0])) + torch.sum(torch.outer(m[1], m[1])) * 2)
def apply_along_axis_returning_a_matrix(m):
    r = np.apply_along_axis(lambda row: np.outer(row, row), 1, m)
    return np.sum(r[0]) + 2 * np.sum(r[1])


@program(WIDE, twin=lambda m: torch.sum(torch.sum(m, 1) * 2.0))
def apply_along_axis_with_extra_args(m):
    r = np.apply_along_axis(lambda row, k: np.sum(row) * k, -1, m, 2.0)
    return np.sum(r)


@program(VECTOR, twin=lambda x: torch.sum(torch.where(x > 0, x ** 2, -x)))
def vectorize_of_a_branching_function(x):
    f = np.vectorize(lambda v: v ** 2 if v > 0 else -v)
    return np.sum(f(x))


@program(VECTOR, twin=lambda x: torch.sum(x[:, None] * torch.tensor([1.0, 2.0], dtype=torch.float64)[None, :] ** 2))
def vectorize_broadcasts_two_arguments(x):
    f = np.vectorize(lambda a, b: a * b ** 2)
    return np.sum(f(x[:, None], np.array([1.0, 2.0])[None, :]))


@program(VECTOR, twin=lambda x: torch.sum(x * 2.5))
def vectorize_with_a_python_float_argument(x):
    f = np.vectorize(lambda a, b: a * b)
    return np.sum(f(x, 2.5))


@program(VECTOR, twin=lambda x: torch.sum(x * torch.sum(torch.tensor([1.0, 2.0], dtype=torch.float64))))
def vectorize_with_excluded_argument(x):
    f = np.vectorize(lambda a, w: a * np.sum(w), excluded={1})
    return np.sum(f(x, np.array([1.0, 2.0])))


@program(VECTOR, twin=lambda x: torch.sum(x ** 2))
def vectorize_with_otypes_float(x):
    f = np.vectorize(lambda a: a * a, otypes=[float])
    return np.sum(f(x))


@program(VECTOR, smooth=False)
def vectorize_with_otypes_int_truncates(x):
    f = np.vectorize(lambda a: a * 3.7, otypes=[int])
    return np.sum(f(x)) * x[0]


@program(0.7, twin=lambda a: a ** 2)
def vectorize_of_a_python_float(a):
    f = np.vectorize(lambda v: v * v)
    return float(f(a))


@program(MATRIX, twin=lambda m: torch.sum(m @ torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)))
def vectorize_with_signature(m):
    f = np.vectorize(lambda row: np.dot(row, np.array([1.0, -2.0, 0.5])), signature="(n)->()")
    return np.sum(f(m))


# ======================================================================
# A name holding a list and a number
# ======================================================================

@program(VECTOR, twin=lambda x: (x[0] + x[1]) * 2 + x[2])
def name_is_a_list_then_a_number(x):
    v = [x[0], x[1]]
    total = v[0] + v[1]
    v = total * 2
    return v + x[2]


@program(VECTOR, twin=lambda x: x[0] * 3 + x[1] + x[2])
def name_is_a_number_then_a_list(x):
    v = x[0] * 3
    s = v
    v = [x[1], x[2]]
    return s + v[0] + v[1]


@program(VECTOR, twin=lambda x: x[0] * x[1] * 2)
def name_is_a_list_in_a_branch_a_number_in_the_other(x):
    if x[2] > 0:
        v = [x[0], x[1]]
        out = v[0] * v[1]
    else:
        v = x[0]
        out = v
    return out * 2


@program(VECTOR, twin=lambda x: (x[0] + x[1] + x[2] + x[3]) * 2)
def name_is_a_list_in_a_loop_then_its_sum(x):
    acc = []
    for i in range(4):
        acc.append(x[i])
    acc = sum(acc)
    return acc * 2


# ======================================================================
# Objects built in the function
# ======================================================================

@dataclasses.dataclass
class _Params:
    w: object
    b: float = 0.0

    @property
    def norm2(self):
        return np.sum(self.w ** 2)


@program(VECTOR, twin=lambda x: torch.sum(x ** 2) + x[0] * 2)
def property_of_an_object_built_inside(x):
    p = _Params(x, x[0])
    return p.norm2 + p.b * 2


@program(VECTOR, twin=lambda x: torch.sum(x ** 2) + x[1])
def dataclasses_replace_keeps_the_rest(x):
    p = _Params(x, x[0])
    q = dataclasses.replace(p, b=x[1])
    return q.norm2 + q.b + p.b * 0


@program(VECTOR, twin=lambda x: x[0] * 2 + x[1])
def dataclasses_replace_leaves_the_original(x):
    p = _Params(x, x[0])
    q = dataclasses.replace(p, b=x[1])
    return p.b * 2 + q.b


@program(VECTOR, twin=lambda x: x[0] * 5)
def getattr_and_setattr_by_name(x):
    p = _Params(x, 0.0)
    setattr(p, "b", x[0] * 5)
    return getattr(p, "b") + (1.0 if hasattr(p, "w") else 0.0) * 0


@program(VECTOR, twin=lambda x: x[0] * 2)
def isinstance_and_type_of_a_local_object(x):
    p = _Params(x, x[0])
    k = 2.0 if isinstance(p, _Params) and type(p) is _Params else 7.0
    return p.b * k


def _params_energy(p):
    return np.sum(p.w * p.b)


@program(VECTOR, twin=lambda x: torch.sum(x * x[1]))
def local_object_passed_to_a_module_helper(x):
    return _params_energy(_Params(x, x[1]))


def _bump(p, amount):
    p.b = p.b + amount
    return p


@program(VECTOR, twin=lambda x: x[0] + x[1] * 2)
def helper_mutates_a_local_object(x):
    p = _Params(x, x[0])
    q = _bump(p, x[1])
    q.b = q.b + x[1]
    return p.b


@program(VECTOR, twin=lambda x: x[0] * 3)
def getattr_with_a_default(x):
    p = _Params(x, x[0])
    return getattr(p, "missing", 2.0) * p.b + p.b


# ======================================================================
# Index tricks, einsum forms, cross, real_if_close, arange, heaviside
# ======================================================================

@program(VECTOR, twin=lambda x: torch.sum(torch.cat([x[:2], torch.zeros(2, dtype=torch.float64), x[2:]]) * torch.arange(1.0, 7.0, dtype=torch.float64)))
def r_concatenates_slices_and_constants(x):
    y = np.r_[x[:2], 0.0, 0.0, x[2:]]
    return np.sum(y * np.arange(1.0, 7.0))


@program(VECTOR, twin=lambda x: torch.sum(torch.stack([x, x ** 2], 1) * torch.tensor([1.0, 3.0], dtype=torch.float64)))
def c_stacks_columns(x):
    y = np.c_[x, x ** 2]
    return np.sum(y * np.array([1.0, 3.0]))


@program(VECTOR, twin=lambda x: torch.sum(torch.cat([x, x[:1] * 2]) ** 2))
def r_with_a_scalar_entry(x):
    return np.sum(np.r_[x, x[0] * 2] ** 2)


@program(MATRIX, twin=lambda m: torch.sum(torch.cat([m, m * 2], 1) ** 2))
def r_with_a_string_axis(m):
    return np.sum(np.r_["1", m, m * 2] ** 2)


@program(MATRIX, twin=lambda m: torch.trace(m @ m))
def einsum_subscripts_held_in_a_variable(m):
    spec = "ij,ji->"
    return np.einsum(spec, m, m)


@program(MATRIX, twin=lambda m: torch.sum(m @ m.T))
def einsum_interleaved_sublists(m):
    return np.sum(np.einsum(m, [0, 1], m, [2, 1], [0, 2]))


@program(MATRIX, twin=lambda m: torch.sum(torch.linalg.cross(m, m[[1, 2, 0]], dim=0) ** 2))
def cross_along_axis_zero(m):
    return np.sum(np.cross(m, m[[1, 2, 0]], axis=0) ** 2)


@program(MATRIX, twin=lambda m: torch.sum(torch.linalg.cross(m, m[:, [1, 2, 0]], dim=1) * torch.arange(9.0, dtype=torch.float64).reshape(3, 3)))
def cross_along_axis_one(m):
    return np.sum(np.cross(m, m[:, [1, 2, 0]]) * np.arange(9.0).reshape(3, 3))


@program(MATRIX, twin=lambda m: torch.sum(torch.linalg.cross(m.T, m.T[:, [1, 2, 0]], dim=1).T * torch.arange(9.0, dtype=torch.float64).reshape(3, 3)))
def cross_with_axisa_axisb_axisc(m):
    return np.sum(np.cross(m, m[[1, 2, 0], :], axisa=0, axisb=0, axisc=0) * np.arange(9.0).reshape(3, 3))


@program(VECTOR, twin=lambda x: torch.sum(x ** 2))
def real_if_close_of_a_real_array(x):
    return np.sum(np.real_if_close(x + 0j) ** 2).real


@program(0.3, twin=lambda s: torch.sum(s + torch.arange(4, dtype=torch.float64) * 0.5))
def arange_moved_by_its_start(s):
    return np.sum(np.arange(s, s + 2.0, 0.5))


@program(0.5, twin=lambda h: 0.2 * 4 + h * 6)
def arange_moved_by_its_step(h):
    return np.sum(np.arange(0.2, 0.2 + 4 * h - 1e-9, h))


@program(np.array([-1.2, 0.5, 2.0]), twin=lambda x: torch.sum((x > 0).double() * x))
def heaviside_times_x(x):
    return np.sum(np.heaviside(x, 0.5) * x)


@program(np.array([-1.2, 0.4, 2.0]), twin=lambda x: x[2] * x[1] + x[2])
def heaviside_with_a_differentiated_value_at_zero(x):
    return np.sum(np.heaviside(np.array([-1.0, 0.0, 1.0]), x[2]) * x)


SCENARIOS = []


# ======================================================================
# Later probes: closures read when the derivative runs, dtypes chosen by the
# first result, slices with computed bounds in np.r_, class data through an
# object of another module's class
# ======================================================================

@program(VECTOR, twin=lambda x: 2 * x[1] * x[2])
def closure_rebound_after_its_derivative_is_built(x):
    c = x[0]
    g = ad.grad(lambda y: c * y ** 2)
    c = x[1]  # the lambda reads c when called: x[1]
    return g(x[2])


@program(VECTOR, twin=lambda x: torch.sum(2 * torch.stack([x[1], torch.tensor(2.0, dtype=torch.float64)]) * x[2:] * x[:2]))
def closure_over_an_array_changed_in_place_after_building(x):
    w = np.array([1.0, 2.0])
    g = ad.grad(lambda y: np.sum(w * y ** 2))
    w[0] = x[1]
    return np.sum(g(x[2:]) * x[:2])


@program(VECTOR, twin=lambda x: 2 * x[0] * x[1] + 2 * x[1] * x[2] + 2 * x[2] * x[3])
def grad_built_in_a_loop_over_the_loop_variable(x):
    total = 0.0
    for i in range(3):
        total = total + ad.grad(lambda y: x[i] * y ** 2)(x[i + 1])
    return total


@program(VECTOR, twin=lambda x: (x[0] * x[1] ** 2) * (2 * x[0] * x[1]))
def value_and_grad_of_a_closure(x):
    v, g = ad.value_and_grad(lambda y: x[0] * y ** 2)(x[1])
    return v * g


@program(VECTOR, twin=lambda x: x[0] * torch.cos(x[0] * x[1]))
def derivative_of_a_closure(x):
    return ad.derivative(lambda y: np.sin(x[0] * y))(x[1])


@program(np.array([-1.0, 0.5, 2.1, 0.7]), smooth=False)
def vectorize_whose_first_result_is_an_integer_truncates_all(x):
    # v ** 2 if v > 0 else 0: the first element gives the int 0, so NumPy
    # makes an integer array of all of them: no derivative
    f = np.vectorize(lambda v: v ** 2 if v > 0 else 0)
    return np.sum(f(x)) + x[3]


@program(VECTOR, twin=lambda x: torch.sum(torch.linspace(0, 1, 5, dtype=torch.float64) * (x[1] - x[0]) + x[0]) * 1.0 + 0 * x[2])
def finding_r_slice_with_differentiated_bounds(x):
    """np.r_[a:b:5j] is np.linspace(a, b, 5): its derivative in a and b was 0
    (the slice object passed on carried none)."""
    return np.sum(np.r_[x[0]:x[1]:5j])


@program(VECTOR, twin=lambda x: torch.sum(torch.cat([x, x[0] + 0.5 * torch.arange(5, dtype=torch.float64)]) ** 2))
def finding_r_slice_with_a_differentiated_start(x):
    """np.r_[x, a:b:0.5] makes np.arange(a, b, 0.5): its derivative in a was 0."""
    return np.sum(np.r_[x, x[0]:3.0:0.5] ** 2)


@program(VECTOR)
def finding_r_slice_with_a_computed_step(x):
    """A step held in a variable (complex: linspace; real: arange, known only
    when it runs), with a differentiated bound: refused, was 0."""
    k = 0.5
    return np.sum(np.r_[x, x[0]:3.0:k] ** 2)


@program(VECTOR, twin=lambda x: x[0] + 3 * x[1])
def finding_c_of_scalars_in_forward_mode(x):
    """A tangent that reaches none of np.c_'s items (the direction of x[2])
    crashed: float_dtype() of no values returned the type np.float64."""
    return np.sum(np.c_[x[0], x[1]] * np.array([[1.0, 3.0]]))


@program(VECTOR)
def finding_class_array_changed_through_an_object(x):
    """`t = k.running; t *= x` of an object of another module's class changes
    the class's array in Python; the derivative computed it without changing
    it (later calls then differ): refused now."""
    k = SharedTotals()
    t = k.running
    t *= x
    return np.sum(t ** 2)


@program(VECTOR)
def finding_module_array_an_object_holds_changed_through_it(x):
    """`self.data = BUFFER` in another module's __init__: `t = h.data; t *= x`
    changes that module's array in Python; the derivative did not: refused now."""
    h = BufferHolder()
    t = h.data
    t *= x
    return np.sum(t ** 2)


@program(VECTOR)
def finding_class_array_changed_through_type_of_an_object(x):
    """`t = type(k).running; t *= x` changes the class's array (as
    `t = SharedTotals.running` would): refused now, was computed without it."""
    k = SharedTotals()
    t = type(k).running
    t *= x
    return np.sum(t ** 2)


@program(0.7, twin=lambda x: 8 * x ** 2 / 2 * 1.0)
def finding_grad_of_a_lambda_holding_a_lambda(x):
    """A lambda holding a lambda that reads both enclosing variables was
    refused as 'the file changed after the lambda was defined': compiled
    alone, the inner lambda's closure (LOAD_CLOSURE, BUILD_TUPLE, MAKE_FUNCTION's
    flag 8) differs from the one Python runs, so no text matched its code."""
    # d/dz (x y z^2) at z = y is 2 x y^2; d/dy of that at y = x is 4 x^2
    return ad.grad(lambda y: ad.grad(lambda z: x * y * z ** 2)(y))(x)


@program(0.7, twin=lambda x: 36 * x ** 2 / 2)
def lambda_holding_a_lambda_over_a_computed_value(x):
    k = x * 3
    # d/dz (k z^3) at y is 3 k y^2; d/dy at x: 6 k x = 18 x^2
    return ad.grad(lambda y: ad.grad(lambda z: k * z ** 3)(y))(x)


@program(VECTOR)
def chained_assignment_of_a_row_view(x):
    m = x.reshape(2, 2) * 1.0
    a = b = m[0]
    a *= x[2]
    return np.sum(m) + np.sum(b)


@program(VECTOR)
def starred_target_of_a_generator(x):
    a, *rest = (v * 2 for v in x)
    return a * sum(rest)


@program(VECTOR, twin=lambda x: x[0] * 2 + x[1] * 10 + x[2] * 100 + x[3] * 1000)
def match_tells_true_from_one_and_false_from_zero(x):
    # True, False and None match by identity: 1 and 1.0 do not match True
    total = 0.0
    for v in [0, 1, True, False, 1.0]:
        match v:
            case True:
                total = total + x[0] * 2
            case 1:
                total = total + x[1] * 5
            case False:
                total = total + x[2] * 100
            case 0:
                total = total + x[3] * 1000
    return total


@program(VECTOR, twin=lambda x: x[0] * 33)
def match_guards_run_in_order_with_their_effects(x):
    seen = []
    n = 3
    match n:
        case a if seen.append(a) or False:
            pass
        case b if seen.append(b * 10) or True:
            pass
    return x[0] * sum(seen)


@program(VECTOR, twin=lambda x: x[1] * 1 + x[3] * 3 + x[0] * 4)
def walrus_in_a_while_test_with_continue(x):
    i = 0
    total = 0.0
    while (i := i + 1) < 5:
        if i == 2:
            continue
        total = total + x[i % 4] * i
    return total


@program(VECTOR, twin=lambda x: x[0] * x[3])
def next_of_iter_of_zip(x):
    a, b = next(iter(zip(x, x[::-1])))
    return a * b


class _Base:
    kind = "base"

    def __init__(self, w):
        self.w = w

    @property
    def norm2(self):
        return np.sum(self.w ** 2)

    def scaled(self, k):
        return self.w * k


class _Child(_Base):
    kind = "child"

    def scaled(self, k):
        return super().scaled(k) * 2


@program(VECTOR, twin=lambda x: torch.sum(x * 6.0))
def isinstance_of_a_base_class_and_super(x):
    c = _Child(x)
    k = 3.0 if isinstance(c, _Base) and type(c) is not _Base else 1.0
    return np.sum(c.scaled(k))


@program(VECTOR, twin=lambda x: torch.sum(x ** 2) * (1 + 0.25 + 0.0625))
def read_only_property_read_in_a_loop_after_writes(x):
    b = _Base(x)
    total = 0.0
    for i in range(3):
        total = total + b.norm2
        b.w = b.w * 0.5
    return total


@program(VECTOR, twin=lambda x: torch.sum(x) * 5)
def getattr_of_a_class_attribute_through_an_object(x):
    b = _Child(x)
    return np.sum(getattr(b, "w")) * len(getattr(b, "kind"))


@program(VECTOR, twin=lambda x: torch.sum(x) * x[0] * x[1] * x[2])
def dataclasses_replace_in_a_loop(x):
    p = _Params(x, 1.0)
    for i in range(3):
        p = dataclasses.replace(p, b=p.b * x[i])
    return p.b * np.sum(p.w)


@program(np.array([0.6, -1.3, 0.9, 2.1, 0.3, -0.7]))
def r_slice_and_lists_and_scalars_together(x):
    return np.sum(np.r_[[x[0], x[1]], 3.0, x[2:4], x[4]:x[5]:3j] * np.arange(8.0))


def _weighted(w, v, s=1.0):
    return s * np.sum(w * v)


@program(VECTOR, twin=lambda x: (x[0] + 2.0) * torch.sum(x[:2] * x[2:]))
def partial_built_inside_with_its_keyword_overridden(x):
    h = functools.partial(_weighted, x[:2], s=x[0])
    return h(x[2:]) + h(x[2:], s=2.0)


@program(VECTOR, twin=lambda x: torch.sum(x[:2] * x[2:]))
def partial_keeps_the_value_bound_when_built(x):
    w = x[:2]
    h = functools.partial(_weighted, w)
    w = x[2:]  # h still holds x[:2]
    return h(w)


@program(VECTOR, twin=lambda x: 10.0 * x[2] + x[1] * x[3])
def partial_sees_its_array_changed_in_place(x):
    w = x[:2] * 1.0
    h = functools.partial(_weighted, w)
    w[0] = 10.0  # the same array: h reads 10.0
    return h(x[2:])
