"""Whole programs used by the control-flow tests: each a NumPy/math function
and its torch twin, written the same way so torch is an independent oracle."""

import math

import numpy as np
import torch

import nested_functions_cases
import varargs_cases


def helper_square_plus(x, w):
    return x * x + w


def helper_calls_helper(x):
    return np.tanh(helper_square_plus(x, 1.0))


def recursive_power(x, n):
    if n == 0:
        result = x * 0.0 + 1.0
    else:
        result = x * recursive_power(x, n - 1)
    return result


# Each entry: name -> (function, torch twin, argument builder, wrt)
def tanh_overwrite(x):
    for i in range(4):
        x = np.tanh(x * 1.5 + 0.1)
    return np.sum(x)


def t_tanh_overwrite(x):
    for i in range(4):
        x = torch.tanh(x * 1.5 + 0.1)
    return torch.sum(x)


def for_range_variable_bounds(x, start, stop, step):
    s = x * 0.0
    for i in range(start, stop, step):
        s = s + x * i
        x = np.sin(x)
    return np.sum(s)


def t_for_range_variable_bounds(x, start, stop, step):
    s = x * 0.0
    for i in range(start, stop, step):
        s = s + x * i
        x = torch.sin(x)
    return torch.sum(s)


def nested_loops_with_branches(x, y):
    acc = 0.0
    for i in range(3):
        j = 0
        while j < i + 1:
            if np.sum(x) > j:
                acc = acc + np.sum(x * y) * j
            elif np.sum(y) > 0:
                acc = acc - np.sum(np.sin(y))
            else:
                acc = acc + 1.0
            j = j + 1
        x = x * 0.9
    return acc


def t_nested_loops_with_branches(x, y):
    acc = 0.0
    for i in range(3):
        j = 0
        while j < i + 1:
            if torch.sum(x) > j:
                acc = acc + torch.sum(x * y) * j
            elif torch.sum(y) > 0:
                acc = acc - torch.sum(torch.sin(y))
            else:
                acc = acc + 1.0
            j = j + 1
        x = x * 0.9
    return acc


def loop_inside_branch(x):
    if np.sum(x) > 0:
        for i in range(3):
            x = x * x + 0.1
    else:
        x = -x
    return np.sum(x)


def t_loop_inside_branch(x):
    if torch.sum(x) > 0:
        for i in range(3):
            x = x * x + 0.1
    else:
        x = -x
    return torch.sum(x)


def conditional_expressions_and_boolean_tests(x, y):
    z = x * 2 if np.sum(x) > 0 and np.sum(y) < 10 else y * 3
    w = np.exp(y) if not np.sum(x) > 100 or np.sum(y) > 0 else y
    return np.sum(z * w)


def t_conditional_expressions_and_boolean_tests(x, y):
    z = x * 2 if torch.sum(x) > 0 and torch.sum(y) < 10 else y * 3
    w = torch.exp(y) if not torch.sum(x) > 100 or torch.sum(y) > 0 else y
    return torch.sum(z * w)


def scalar_math_loop(x, y):
    s = 0.0
    for i in range(20):
        s = s + math.sin(x * s + y) * 0.5 + math.exp(-x * y) * 0.1
    return s


def t_scalar_math_loop(x, y):
    s = 0.0
    for i in range(20):
        s = s + torch.sin(x * s + y) * 0.5 + torch.exp(-x * y) * 0.1
    return s


def augmented_assignments(x):
    y = x * 1.0
    y += x
    y *= x
    y -= 1.0
    y /= 2.0
    y **= 2
    return np.sum(y)


def t_augmented_assignments(x):
    y = x * 1.0
    y = y + x
    y = y * x
    y = y - 1.0
    y = y / 2.0
    y = y ** 2
    return torch.sum(y)


def calls_user_functions(x):
    a = helper_square_plus(x, 2.0)
    b = helper_calls_helper(a)
    c = helper_square_plus(b, x)
    return np.sum(c)


def t_calls_user_functions(x):
    a = x * x + 2.0
    b = torch.tanh(a * a + 1.0)
    c = b * b + x
    return torch.sum(c)


def calls_recursive_function(x):
    return np.sum(recursive_power(x, 4))


def t_calls_recursive_function(x):
    return torch.sum(x ** 4)


def indexing_reads(x):
    a = x[1:3]
    b = x[:, 0]
    c = x[-1]
    return np.sum(a * 2) + np.sum(b ** 2) + np.sum(np.sin(c)) + x[0, 1]


def t_indexing_reads(x):
    a = x[1:3]
    b = x[:, 0]
    c = x[-1]
    return torch.sum(a * 2) + torch.sum(b ** 2) + torch.sum(torch.sin(c)) + x[0, 1]


def inactive_work_is_free(x, n):
    shape = x.shape
    count = 0
    for i in range(n):
        count = count + 1
    print_me = len(shape) + count
    y = x * float(print_me)
    return np.sum(y)


def t_inactive_work_is_free(x, n):
    return torch.sum(x * float(len(x.shape) + n))


def matrix_program(w, x):
    h = np.tanh(x @ w)
    z = h.T @ h
    return np.mean(z) + np.sum(np.dot(x[0], w))


def t_matrix_program(w, x):
    h = torch.tanh(x @ w)
    z = h.T @ h
    return torch.mean(z) + torch.sum(x[0] @ w)


def reductions_with_axes(x):
    a = np.sum(x, axis=0)
    b = np.mean(x, axis=1, keepdims=True)
    c = x.sum(axis=-1)
    return np.sum(a * a) + np.sum(b * x) + np.sum(c ** 2)


def t_reductions_with_axes(x):
    a = torch.sum(x, dim=0)
    b = torch.mean(x, dim=1, keepdim=True)
    c = x.sum(dim=-1)
    return torch.sum(a * a) + torch.sum(b * x) + torch.sum(c ** 2)


def broadcasting_operands(x, y):
    return np.sum(x * y + x / (y * y + 1.0) - np.maximum(x, y))


def t_broadcasting_operands(x, y):
    return torch.sum(x * y + x / (y * y + 1.0) - torch.maximum(x, y))


def reassigned_before_use_in_loop(x):
    y = x
    z = x * 0.0
    for i in range(3):
        t = y * 2.0
        z = z + np.sin(t) * y
        y = t
    return np.sum(z)


def t_reassigned_before_use_in_loop(x):
    y = x
    z = x * 0.0
    for i in range(3):
        t = y * 2.0
        z = z + torch.sin(t) * y
        y = t
    return torch.sum(z)


def inactive_overwrite_of_a_read_value(x, w):
    y = x * w
    for i in range(3):
        w = w + 1.0
    return np.sum(y * w)


def t_inactive_overwrite_of_a_read_value(x, w):
    y = x * w
    for i in range(3):
        w = w + 1.0
    return torch.sum(y * w)


def list_as_a_stack(x):
    values = []
    for i in range(3):
        values.append(np.sin(x) * i)
    total = x * 0.0
    while len(values) > 0:
        total = total + values.pop() * total + 1.0
    return np.sum(total)


def t_list_as_a_stack(x):
    values = []
    for i in range(3):
        values.append(torch.sin(x) * i)
    total = x * 0.0
    while len(values) > 0:
        total = total + values.pop() * total + 1.0
    return torch.sum(total)


def tanh_rnn(wx, wh, b, xs):
    h = np.zeros((2, 3))
    for t in range(4):
        h = np.tanh(xs[t] @ wx + h @ wh + b)
    return np.sum(h * h)


def t_tanh_rnn(wx, wh, b, xs):
    h = torch.zeros((2, 3), dtype=torch.float64)
    for t in range(4):
        h = torch.tanh(xs[t] @ wx + h @ wh + b)
    return torch.sum(h * h)


def loop_invariant_values(x, y):
    s = x * 0.0
    for i in range(5):
        scale = np.exp(-y) * 0.5
        s = np.sin(s * scale + x)
    return np.sum(s)


def t_loop_invariant_values(x, y):
    s = x * 0.0
    for i in range(5):
        scale = torch.exp(-y) * 0.5
        s = torch.sin(s * scale + x)
    return torch.sum(s)


def polar(x, y):
    radius = np.sqrt(x * x + y * y)
    angle = np.arctan(y / x)
    return radius, angle


def tuples_packed_and_unpacked(x, y):
    r, a = polar(x, y)
    pair = (r * 2.0, np.sin(a))
    first, second = pair
    swapped = (second, first)
    return np.sum(swapped[0] * swapped[1] + first)


def t_tuples_packed_and_unpacked(x, y):
    r = torch.sqrt(x * x + y * y)
    a = torch.arctan(y / x)
    first, second = r * 2.0, torch.sin(a)
    return torch.sum(second * first + first)


# -- break, continue, early return, for over sequences (lower_control.py) --------

def break_in_for(x):
    s = x * 0.0
    for i in range(10):
        s = s + np.sin(x * i)
        if np.sum(s) > 1.5:
            break
        x = x * 1.1
    return np.sum(s * x) + i


def t_break_in_for(x):
    s = x * 0.0
    for i in range(10):
        s = s + torch.sin(x * i)
        if torch.sum(s) > 1.5:
            break
        x = x * 1.1
    return torch.sum(s * x) + i


def break_in_while(x):
    y = x
    k = 0
    while k < 20:
        y = np.tanh(y) * 1.5 + 0.1 * x
        if np.max(np.abs(y)) > 1.2:
            break
        k = k + 1
    return np.sum(y * y) * (k + 1)


def t_break_in_while(x):
    y = x
    k = 0
    while k < 20:
        y = torch.tanh(y) * 1.5 + 0.1 * x
        if torch.max(torch.abs(y)) > 1.2:
            break
        k = k + 1
    return torch.sum(y * y) * (k + 1)


def continue_in_loops(x):
    s = x * 0.0
    for i in range(6):
        if i % 2 == 1:
            continue
        s = s + np.sin(x) * i
        if np.sum(s) > 0.5:
            s = s * 0.9
            if i > 3:
                continue
            s = s + 0.1
        s = s * 1.1
    k = 0
    while k < 4:
        k = k + 1
        if k == 2:
            continue
        s = s + np.cos(s) * 0.1
    return np.sum(s)


def t_continue_in_loops(x):
    s = x * 0.0
    for i in range(6):
        if i % 2 == 1:
            continue
        s = s + torch.sin(x) * i
        if torch.sum(s) > 0.5:
            s = s * 0.9
            if i > 3:
                continue
            s = s + 0.1
        s = s * 1.1
    k = 0
    while k < 4:
        k = k + 1
        if k == 2:
            continue
        s = s + torch.cos(s) * 0.1
    return torch.sum(s)


def nested_loops_inner_break(x, w):
    acc = x * 0.0
    for i in range(4):
        for j in range(5):
            acc = acc + np.sin(x * w) * (i + j)
            if np.sum(acc) > 2.0 + i:
                if j > 1:
                    break
                acc = acc * 0.5
        x = x * 0.9
    return np.sum(acc * acc) + j


def t_nested_loops_inner_break(x, w):
    acc = x * 0.0
    for i in range(4):
        for j in range(5):
            acc = acc + torch.sin(x * w) * (i + j)
            if torch.sum(acc) > 2.0 + i:
                if j > 1:
                    break
                acc = acc * 0.5
        x = x * 0.9
    return torch.sum(acc * acc) + j


def newton_sqrt(a):
    # The solver from the issue: iterate until converged, then stop.
    x = a * 0.5 + 0.5
    while True:
        x_next = 0.5 * (x + a / x)
        if np.max(np.abs(x_next - x)) < 1e-10:
            break
        x = x_next
    return np.sum(x_next)


def t_newton_sqrt(a):
    x = a * 0.5 + 0.5
    while True:
        x_next = 0.5 * (x + a / x)
        if torch.max(torch.abs(x_next - x)) < 1e-10:
            break
        x = x_next
    return torch.sum(x_next)


def fixed_point_layer(w, x):
    # An implicit layer z = tanh(w z + x), solved by iteration; returns when converged.
    z = x * 0.0
    while True:
        z_next = np.tanh(w @ z + x)
        if np.linalg.norm(z_next - z) < 1e-10:
            return np.sum(z_next * z_next)
        z = z_next


def t_fixed_point_layer(w, x):
    z = x * 0.0
    while True:
        z_next = torch.tanh(w @ z + x)
        if torch.linalg.norm(z_next - z) < 1e-10:
            return torch.sum(z_next * z_next)
        z = z_next


def early_returns_in_branches(x):
    s = np.sum(x)
    if s > 2.0:
        return np.sum(np.sin(x))
    if s < -2.0:
        return np.sum(x * x)
    y = np.exp(x) * 0.5
    if np.sum(y) > 3.0:
        return np.sum(y)
    return np.sum(y * x)


def t_early_returns_in_branches(x):
    s = torch.sum(x)
    if s > 2.0:
        return torch.sum(torch.sin(x))
    if s < -2.0:
        return torch.sum(x * x)
    y = torch.exp(x) * 0.5
    if torch.sum(y) > 3.0:
        return torch.sum(y)
    return torch.sum(y * x)


def return_inside_loop(x):
    s = x * 0.0
    for i in range(6):
        s = s + np.cos(x * i)
        if np.sum(s) > 10.0:
            return np.sum(s * x)
    s = s * 2.0
    return np.sum(s)


def t_return_inside_loop(x):
    s = x * 0.0
    for i in range(6):
        s = s + torch.cos(x * i)
        if torch.sum(s) > 10.0:
            return torch.sum(s * x)
    s = s * 2.0
    return torch.sum(s)


def return_from_nested_loops(x):
    y = x * 1.0
    for i in range(3):
        k = 0
        while k < 3:
            y = np.sin(y) + x * 0.5
            if np.sum(y) > 2.5:
                return np.sum(y) * (i + k)
            k = k + 1
        y = y * 1.2
    if np.sum(y) > 0.0:
        return np.sum(y * y)
    return np.sum(y)


def t_return_from_nested_loops(x):
    y = x * 1.0
    for i in range(3):
        k = 0
        while k < 3:
            y = torch.sin(y) + x * 0.5
            if torch.sum(y) > 2.5:
                return torch.sum(y) * (i + k)
            k = k + 1
        y = y * 1.2
    if torch.sum(y) > 0.0:
        return torch.sum(y * y)
    return torch.sum(y)


def loop_else_clauses(x):
    y = x * 1.0
    for i in range(4):
        y = y * 0.8 + np.sin(x)
        if np.sum(y) > 5.0:
            break
    else:
        y = y * 3.0
    k = 0
    while k < 2:
        y = np.tanh(y)
        k = k + 1
    else:
        y = y + x
    return np.sum(y)


def t_loop_else_clauses(x):
    y = x * 1.0
    for i in range(4):
        y = y * 0.8 + torch.sin(x)
        if torch.sum(y) > 5.0:
            break
    else:
        y = y * 3.0
    k = 0
    while k < 2:
        y = torch.tanh(y)
        k = k + 1
    else:
        y = y + x
    return torch.sum(y)


def rows_of_an_array(xs, w):
    h = w * 0.0
    for row in xs:
        h = np.tanh(row * w + h * 0.5)
    return np.sum(h * h)


def t_rows_of_an_array(xs, w):
    h = w * 0.0
    for row in xs:
        h = torch.tanh(row * w + h * 0.5)
    return torch.sum(h * h)


def enumerate_rows(xs, w):
    s = 0.0
    for i, row in enumerate(xs):
        s = s + np.sum(np.sin(row @ w)) * (i + 1)
    for i, row in enumerate(xs, 1):
        s = s + np.sum(row) / i
    return s


def t_enumerate_rows(xs, w):
    s = 0.0
    for i, row in enumerate(xs):
        s = s + torch.sum(torch.sin(row @ w)) * (i + 1)
    for i, row in enumerate(xs, 1):
        s = s + torch.sum(row) / i
    return s


def zip_arrays(a, b):
    s = 0.0
    for u, v in zip(a, b):
        s = s + np.sum(u * v) + np.sum(np.exp(u) * 0.1)
    for i, (u, v) in enumerate(zip(a, b[1:])):
        s = s + np.sum(u - v) * i
    return s


def t_zip_arrays(a, b):
    s = 0.0
    for u, v in zip(a, b):
        s = s + torch.sum(u * v) + torch.sum(torch.exp(u) * 0.1)
    for i, (u, v) in enumerate(zip(a, b[1:])):
        s = s + torch.sum(u - v) * i
    return s


def reversed_sequences(xs):
    h = xs[0] * 0.0
    for row in reversed(xs):
        h = np.tanh(h * 0.9 + row)
    for i in reversed(range(3)):
        h = h * (i + 1) * 0.5
    return np.sum(h)


def t_reversed_sequences(xs):
    h = xs[0] * 0.0
    for row in reversed(xs):
        h = torch.tanh(h * 0.9 + row)
    for i in reversed(range(3)):
        h = h * (i + 1) * 0.5
    return torch.sum(h)


SCALES = [0.5, 1.0, 2.0]
SHIFTS = (0.1, -0.2, 0.3)


def constant_sequences(x):
    y = x * 0.0
    for c in [0.5, 1.5, 2.5]:
        y = y + np.sin(x * c)
    for scale, shift in zip(SCALES, SHIFTS):
        y = y * scale + shift
    for i, c in enumerate((3.0, 4.0)):
        if c > 3.5:
            continue
        y = y + x * c * i
    return np.sum(y * y)


def t_constant_sequences(x):
    y = x * 0.0
    for c in [0.5, 1.5, 2.5]:
        y = y + torch.sin(x * c)
    for scale, shift in zip(SCALES, SHIFTS):
        y = y * scale + shift
    for i, c in enumerate((3.0, 4.0)):
        if c > 3.5:
            continue
        y = y + x * c * i
    return torch.sum(y * y)


def break_over_rows(xs, w):
    h = w * 0.0
    for row in xs:
        h = np.tanh(row * w + h)
        if np.sum(h) > 1.5:
            break
    return np.sum(h * row)


def t_break_over_rows(xs, w):
    h = w * 0.0
    for row in xs:
        h = torch.tanh(row * w + h)
        if torch.sum(h) > 1.5:
            break
    return torch.sum(h * row)


def rng(seed=0):
    return np.random.default_rng(seed)


PROGRAMS = {
    "tuples-packed-and-unpacked": (tuples_packed_and_unpacked, t_tuples_packed_and_unpacked,
                                   lambda: [rng().uniform(0.5, 1.5, 3),
                                            rng(1).standard_normal(3)], (0, 1)),
    "tanh-rnn": (tanh_rnn, t_tanh_rnn,
                 lambda: [rng(1).standard_normal((5, 3)) * 0.5, rng(2).standard_normal((3, 3)) * 0.5,
                          rng(3).standard_normal(3), rng(4).standard_normal((4, 2, 5))], (0, 1, 2)),
    "loop-invariant-values": (loop_invariant_values, t_loop_invariant_values,
                              lambda: [rng().standard_normal(3), rng(1).standard_normal(3)],
                              (0, 1)),
    "list-as-a-stack": (list_as_a_stack, t_list_as_a_stack,
                        lambda: [rng().standard_normal(3)], (0,)),
    "tanh-overwritten-in-loop": (tanh_overwrite, t_tanh_overwrite,
                                 lambda: [rng().standard_normal(4)], (0,)),
    "for-range-variable-bounds": (for_range_variable_bounds, t_for_range_variable_bounds,
                                  lambda: [rng().standard_normal(3), 1, 8, 2], (0,)),
    "for-range-negative-step": (for_range_variable_bounds, t_for_range_variable_bounds,
                                lambda: [rng().standard_normal(3), 5, -1, -2], (0,)),
    "for-range-zero-trips": (for_range_variable_bounds, t_for_range_variable_bounds,
                             lambda: [rng().standard_normal(3), 3, 3, 1], (0,)),
    "nested-loops-with-branches": (nested_loops_with_branches, t_nested_loops_with_branches,
                                   lambda: [rng(1).standard_normal(3) + 0.5,
                                            rng(2).standard_normal(3)], (0, 1)),
    "loop-inside-branch-taken": (loop_inside_branch, t_loop_inside_branch,
                                 lambda: [np.abs(rng().standard_normal(3)) * 0.5], (0,)),
    "loop-inside-branch-not-taken": (loop_inside_branch, t_loop_inside_branch,
                                     lambda: [-np.abs(rng().standard_normal(3))], (0,)),
    "conditional-expressions": (conditional_expressions_and_boolean_tests,
                                t_conditional_expressions_and_boolean_tests,
                                lambda: [rng(3).standard_normal(3), rng(4).standard_normal(3)],
                                (0, 1)),
    "scalar-math-loop": (scalar_math_loop, t_scalar_math_loop, lambda: [0.3, 0.7], (0, 1)),
    "augmented-assignments": (augmented_assignments, t_augmented_assignments,
                              lambda: [rng().standard_normal(3)], (0,)),
    "user-function-calls": (calls_user_functions, t_calls_user_functions,
                            lambda: [rng().standard_normal(3) * 0.5], (0,)),
    "recursive-user-function": (calls_recursive_function, t_calls_recursive_function,
                                lambda: [rng().standard_normal(3)], (0,)),
    "indexing-reads": (indexing_reads, t_indexing_reads,
                       lambda: [rng().standard_normal((4, 3))], (0,)),
    "inactive-work": (inactive_work_is_free, t_inactive_work_is_free,
                      lambda: [rng().standard_normal(3), 4], (0,)),
    "matrix-program": (matrix_program, t_matrix_program,
                       lambda: [rng(5).standard_normal((3, 2)), rng(6).standard_normal((4, 3))],
                       (0, 1)),
    "reductions-with-axes": (reductions_with_axes, t_reductions_with_axes,
                             lambda: [rng().standard_normal((3, 4))], (0,)),
    "broadcasting-operands": (broadcasting_operands, t_broadcasting_operands,
                              lambda: [rng(8).standard_normal((2, 3)),
                                       rng(9).standard_normal(3)], (0, 1)),
    "reassigned-before-use-in-loop": (reassigned_before_use_in_loop,
                                      t_reassigned_before_use_in_loop,
                                      lambda: [rng().standard_normal(3)], (0,)),
    "inactive-overwrite-of-a-read-value": (inactive_overwrite_of_a_read_value,
                                           t_inactive_overwrite_of_a_read_value,
                                           lambda: [rng().standard_normal(3),
                                                    rng(1).standard_normal(3)], (0,)),
    "break-in-for": (break_in_for, t_break_in_for,
                     lambda: [rng(1).standard_normal(3) * 0.05 + 0.1], (0,)),
    "break-in-for-never-taken": (break_in_for, t_break_in_for,
                                 lambda: [rng(1).standard_normal(3) * 0.01], (0,)),
    "break-in-while": (break_in_while, t_break_in_while,
                       lambda: [rng(2).standard_normal(3) * 0.3 + 0.3], (0,)),
    "continue-in-loops": (continue_in_loops, t_continue_in_loops,
                          lambda: [rng(3).standard_normal(3) * 0.5 + 0.3], (0,)),
    "nested-loops-inner-break": (nested_loops_inner_break, t_nested_loops_inner_break,
                                 lambda: [rng(4).standard_normal(3) * 0.5 + 0.5,
                                          rng(5).standard_normal(3) * 0.5 + 0.5], (0, 1)),
    "newton-sqrt-while-true-break": (newton_sqrt, t_newton_sqrt,
                                     lambda: [np.abs(rng(6).standard_normal(4)) + 0.5], (0,)),
    "fixed-point-while-true-return": (fixed_point_layer, t_fixed_point_layer,
                                      lambda: [rng(7).standard_normal((3, 3)) * 0.2,
                                               rng(8).standard_normal(3)], (0, 1)),
    "early-return-first-branch": (early_returns_in_branches, t_early_returns_in_branches,
                                  lambda: [np.array([1.0, 0.7, 0.9])], (0,)),
    "early-return-second-branch": (early_returns_in_branches, t_early_returns_in_branches,
                                   lambda: [np.array([-1.0, -0.7, -0.9])], (0,)),
    "early-return-third-branch": (early_returns_in_branches, t_early_returns_in_branches,
                                  lambda: [np.array([1.2, 0.7, 0.05])], (0,)),
    "early-return-final": (early_returns_in_branches, t_early_returns_in_branches,
                           lambda: [np.array([0.3, -0.2, 0.1])], (0,)),
    "return-inside-loop-taken": (return_inside_loop, t_return_inside_loop,
                                 lambda: [rng(9).standard_normal(3) * 0.2], (0,)),
    "return-inside-loop-not-taken": (return_inside_loop, t_return_inside_loop,
                                     lambda: [rng(9).standard_normal(3) * 0.2 + 2.0], (0,)),
    "return-from-nested-loops": (return_from_nested_loops, t_return_from_nested_loops,
                                 lambda: [rng(10).standard_normal(3) * 0.3 + 0.6], (0,)),
    "return-after-nested-loops": (return_from_nested_loops, t_return_from_nested_loops,
                                  lambda: [rng(10).standard_normal(3) * 0.3 - 0.2], (0,)),
    "loop-else-clauses": (loop_else_clauses, t_loop_else_clauses,
                          lambda: [rng(11).standard_normal(3) * 0.3], (0,)),
    "loop-else-after-break": (loop_else_clauses, t_loop_else_clauses,
                              lambda: [rng(11).standard_normal(3) * 0.3 + 0.4], (0,)),
    "for-over-array-rows": (rows_of_an_array, t_rows_of_an_array,
                            lambda: [rng(12).standard_normal((4, 3)),
                                     rng(13).standard_normal(3)], (0, 1)),
    "for-enumerate": (enumerate_rows, t_enumerate_rows,
                      lambda: [rng(14).standard_normal((3, 4)),
                               rng(15).standard_normal((4, 2))], (0, 1)),
    "for-zip": (zip_arrays, t_zip_arrays,
                lambda: [rng(16).standard_normal((3, 2)), rng(17).standard_normal((4, 2))],
                (0, 1)),
    "for-reversed": (reversed_sequences, t_reversed_sequences,
                     lambda: [rng(18).standard_normal((4, 3))], (0,)),
    "for-over-constant-lists-and-tuples": (constant_sequences, t_constant_sequences,
                                           lambda: [rng(19).standard_normal(3)], (0,)),
    "break-over-array-rows": (break_over_rows, t_break_over_rows,
                              lambda: [np.abs(rng(20).standard_normal((5, 3))) * 0.4,
                                       np.abs(rng(21).standard_normal(3))], (0, 1)),
}


def two_layer_network(params, x, labels):
    hidden = np.tanh(x @ params["W1"] + params["b1"])
    logits = hidden @ params["W2"] + params["b2"]
    shifted = logits - np.sum(logits, axis=1, keepdims=True) / 3.0
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    return -np.mean(np.sum(labels * log_probs, axis=1))


def t_two_layer_network(params, x, labels):
    hidden = torch.tanh(x @ params["W1"] + params["b1"])
    logits = hidden @ params["W2"] + params["b2"]
    shifted = logits - torch.sum(logits, dim=1, keepdim=True) / 3.0
    log_probs = shifted - torch.log(torch.sum(torch.exp(shifted), dim=1, keepdim=True))
    return -torch.mean(torch.sum(labels * log_probs, dim=1))


def builds_and_reads_dicts(x, y):
    state = {"position": x * 2.0, "velocity": np.sin(y)}
    for i in range(3):
        state = {"position": state["position"] + 0.1 * state["velocity"],
                 "velocity": state["velocity"] - 0.1 * state["position"]}
    return np.sum(state["position"] ** 2) + np.sum(state["velocity"])


def t_builds_and_reads_dicts(x, y):
    state = {"position": x * 2.0, "velocity": torch.sin(y)}
    for i in range(3):
        state = {"position": state["position"] + 0.1 * state["velocity"],
                 "velocity": state["velocity"] - 0.1 * state["position"]}
    return torch.sum(state["position"] ** 2) + torch.sum(state["velocity"])


PROGRAMS["dict-state-in-a-loop"] = (builds_and_reads_dicts, t_builds_and_reads_dicts,
                                    lambda: [rng().standard_normal(3),
                                             rng(1).standard_normal(3)], (0, 1))


def fills_elementwise(x):
    y = np.zeros(4)
    for i in range(4):
        y[i] = np.sin(x[i]) * x[(i + 1) % 4]
    y[1:3] += x[0] * 2.0
    return np.sum(y * y)


def t_fills_elementwise(x):
    y = torch.zeros(4, dtype=torch.float64)
    for i in range(4):
        y[i] = torch.sin(x[i]) * x[(i + 1) % 4]
    y[1:3] += x[0] * 2.0
    return torch.sum(y * y)


def overwrites_an_argument(x, v):
    x[0] = v[1] * 3.0
    x[np.array([1, 2])] = v * v
    x[:, ] = x * 2.0
    return np.sum(np.sin(x))


def t_overwrites_an_argument(x, v):
    x = x.clone()
    x[0] = v[1] * 3.0
    x[torch.tensor([1, 2])] = v * v
    x = x * 2.0
    return torch.sum(torch.sin(x))


PROGRAMS["element-writes-in-a-loop"] = (fills_elementwise, t_fills_elementwise,
                                        lambda: [rng().standard_normal(4)], (0,))
PROGRAMS["writes-into-an-argument"] = (overwrites_an_argument, t_overwrites_an_argument,
                                       lambda: [rng().standard_normal(4),
                                                rng(1).standard_normal(2)], (0, 1))


# -- lists of differentiated values ----------------------------------------------

def rnn_collecting_hidden_states(wx, wh, xs):
    hidden = []
    h = np.zeros(3)
    for x in xs:
        h = np.tanh(x @ wx + h @ wh)
        hidden.append(h)
    loss = 0.0
    for t, h in enumerate(hidden):
        loss = loss + np.sum(h * h) * (t + 1)
    return loss + np.sum(hidden[-1]) + np.sum(np.stack(hidden)[::2])


def t_rnn_collecting_hidden_states(wx, wh, xs):
    hidden = []
    h = torch.zeros(3, dtype=torch.float64)
    for x in xs:
        h = torch.tanh(x @ wx + h @ wh)
        hidden.append(h)
    loss = 0.0
    for t, h in enumerate(hidden):
        loss = loss + torch.sum(h * h) * (t + 1)
    return loss + torch.sum(hidden[-1]) + torch.sum(torch.stack(hidden)[::2])


def lists_built_read_and_sliced(x, y):
    values = [x, y * 2.0, np.sin(x)]
    values.append(values[0] * values[1])
    tail = values[1:]
    total = sum(tail) + values[-2] * 3.0
    for v in reversed(values):
        total = total + v * 0.5
    last = values.pop()
    return np.sum(total * total) + np.sum(last) + len(values)


def t_lists_built_read_and_sliced(x, y):
    values = [x, y * 2.0, torch.sin(x)]
    values.append(values[0] * values[1])
    tail = values[1:]
    total = sum(tail) + values[-2] * 3.0
    for v in reversed(values):
        total = total + v * 0.5
    last = values.pop()
    return torch.sum(total * total) + torch.sum(last) + len(values)


def a_new_list_every_epoch(x):
    total = 0.0
    for epoch in range(3):
        trajectory = [x]
        for step in range(2):
            trajectory.append(np.tanh(trajectory[-1] * (epoch + 1.5)))
        for point in trajectory:
            total = total + np.sum(point ** 2)
        x = trajectory[-1] + x * 0.5
    return total


def t_a_new_list_every_epoch(x):
    total = 0.0
    for epoch in range(3):
        trajectory = [x]
        for step in range(2):
            trajectory.append(torch.tanh(trajectory[-1] * (epoch + 1.5)))
        for point in trajectory:
            total = total + torch.sum(point ** 2)
        x = trajectory[-1] + x * 0.5
    return total


def a_list_of_pairs(x):
    pairs = []
    for i in range(3):
        pairs.append((x * (i + 1.0), np.cos(x * i)))
    total = 0.0
    for scale, wave in pairs:
        total = total + np.sum(scale * wave)
    return total + np.sum(pairs[1][0])


def t_a_list_of_pairs(x):
    pairs = []
    for i in range(3):
        pairs.append((x * (i + 1.0), torch.cos(x * i)))
    total = 0.0
    for scale, wave in pairs:
        total = total + torch.sum(scale * wave)
    return total + torch.sum(pairs[1][0])


PROGRAMS["rnn-collecting-hidden-states"] = (
    rnn_collecting_hidden_states, t_rnn_collecting_hidden_states,
    lambda: [rng().standard_normal((2, 3)) * 0.5, rng(1).standard_normal((3, 3)) * 0.5,
             rng(2).standard_normal((5, 2))], (0, 1, 2))
PROGRAMS["lists-built-read-and-sliced"] = (
    lists_built_read_and_sliced, t_lists_built_read_and_sliced,
    lambda: [rng().standard_normal(3), rng(1).standard_normal(3)], (0, 1))
PROGRAMS["a-new-list-every-epoch"] = (a_new_list_every_epoch, t_a_new_list_every_epoch,
                                      lambda: [rng().standard_normal(3) * 0.5], (0,))
PROGRAMS["a-list-of-pairs"] = (a_list_of_pairs, t_a_list_of_pairs,
                               lambda: [rng().standard_normal(3)], (0,))


def horner(coefficients, x, k):
    """c[k] + x * (c[k+1] + x * (...)), by recursion on k."""
    if k == len(coefficients) - 1:
        return coefficients[k] + 0.0 * x
    return coefficients[k] + x * horner(coefficients, x, k + 1)


def recursive_polynomial(coefficients, x):
    return np.sum(horner(coefficients, x, 0) ** 2)


def t_horner(coefficients, x, k):
    if k == len(coefficients) - 1:
        return coefficients[k] + 0.0 * x
    return coefficients[k] + x * t_horner(coefficients, x, k + 1)


def t_recursive_polynomial(coefficients, x):
    return torch.sum(t_horner(coefficients, x, 0) ** 2)


PROGRAMS["recursive-polynomial-evaluation"] = (
    recursive_polynomial, t_recursive_polynomial,
    lambda: [rng().standard_normal(4), rng(1).standard_normal(3) * 0.8], (0, 1))


def weighted_first_and_last(states, w):
    return np.sum(states[0] * w) + np.sum(np.tanh(states[-1]))


def t_weighted_first_and_last(states, w):
    return torch.sum(states[0] * w) + torch.sum(torch.tanh(states[-1]))


def hands_a_list_to_helpers(x, w):
    states = []
    for i in range(3):
        states.append(np.sin(x * (i + 1.0)))
    total = weighted_first_and_last(states, w)
    return total + np.sum(states[1] ** 2)


def t_hands_a_list_to_helpers(x, w):
    states = []
    for i in range(3):
        states.append(torch.sin(x * (i + 1.0)))
    total = t_weighted_first_and_last(states, w)
    return total + torch.sum(states[1] ** 2)


PROGRAMS["a-list-handed-to-a-helper-that-reads-it"] = (
    hands_a_list_to_helpers, t_hands_a_list_to_helpers,
    lambda: [rng().standard_normal(2), rng(1).standard_normal(2)], (0, 1))


# The programs of the nested-function and *args tests join the corpus, so that
# every mode checks them too (gradient, value, jvp, transpose identity, hvp).
def _join(more: dict) -> None:
    clashes = set(more) & set(PROGRAMS)
    assert not clashes, f"program names used twice: {sorted(clashes)}"
    PROGRAMS.update(more)


_join(nested_functions_cases.PROGRAMS)
_join(varargs_cases.PROGRAMS)


def a_list_stacked_into_the_same_name(x, w):
    hidden = []
    h = x
    for t in range(3):
        h = np.tanh(h * w + 0.1 * t)
        hidden.append(h)
    hidden = np.stack(hidden)
    return np.sum(hidden ** 2) + np.sum(hidden * x)


def t_a_list_stacked_into_the_same_name(x, w):
    hidden = []
    h = x
    for t in range(3):
        h = torch.tanh(h * w + 0.1 * t)
        hidden.append(h)
    hidden = torch.stack(hidden)
    return torch.sum(hidden ** 2) + torch.sum(hidden * x)


PROGRAMS["a-list-stacked-into-the-same-name"] = (
    a_list_stacked_into_the_same_name, t_a_list_stacked_into_the_same_name,
    lambda: [rng().standard_normal(3), rng(1).standard_normal(3)], (0, 1))


def trajectory(x, w, steps):
    points = []
    for t in range(steps):
        x = np.tanh(x * w + 0.1)
        points.append(x)
    return points


def t_trajectory(x, w, steps):
    points = []
    for t in range(steps):
        x = torch.tanh(x * w + 0.1)
        points.append(x)
    return points


def consumes_a_list_a_helper_returns(x, w):
    points = trajectory(x, w, 3)
    return sum(np.sum(p ** 2) for p in points) + np.sum(points[-1])


def t_consumes_a_list_a_helper_returns(x, w):
    points = t_trajectory(x, w, 3)
    return sum(torch.sum(p ** 2) for p in points) + torch.sum(points[-1])


PROGRAMS["a-list-a-helper-returns"] = (
    consumes_a_list_a_helper_returns, t_consumes_a_list_a_helper_returns,
    lambda: [rng().standard_normal(3), rng(1).standard_normal(3)], (0, 1))
