"""Whole programs used by the control-flow tests: each a NumPy/math function
and its torch twin, written the same way so torch is an independent oracle."""

import math

import numpy as np
import torch


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
