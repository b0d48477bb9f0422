"""Inputs of the golden tests of lower_control.py."""

import numpy as np


def no_jumps(x, n):
    k = 0
    while k < n:
        for i in range(3):
            if np.sum(x) > i:
                x = x * 2.0
            else:
                raise ValueError("negative")
        k = k + 1
    return np.sum(x)


def break_in_for_range(x):
    for i in range(10):
        if x > 5.0:
            break
        x = x * 2.0
    return x + i


def while_true_break(a):
    x = a
    while True:
        x_next = 0.5 * (x + a / x)
        if abs(x_next - x) < 1e-12:
            break
        x = x_next
    return x_next


def continue_needs_a_flag(x, n):
    k = 0
    while k < n:
        k = k + 1
        if x > 1.0:
            x = x * 0.5
            if k > 2:
                continue
            x = x + 1.0
        x = x * 3.0
    return x


def continue_as_guard_clause(x):
    for i in range(5):
        if i % 2 == 0:
            continue
        x = x * 2.0
    return x


def guard_clause_returns(x):
    if x > 2.0:
        return x * 2.0
    if x < -2.0:
        return -x
    y = x * x
    return y


def returns_in_both_branches(x):
    if x > 0.0:
        return np.sin(x)
    else:
        return np.cos(x)


def return_inside_loop(x):
    for i in range(5):
        x = x * 0.5
        if x < 1.0:
            return x
    return -x


def while_true_return(a):
    x = a
    while True:
        x_next = 0.5 * (x + a / x)
        if abs(x_next - x) < 1e-12:
            return x_next
        x = x_next


def return_from_inner_loop(x):
    for i in range(3):
        for j in range(3):
            if x > 10.0:
                return x
            x = x * 2.0
        x = x + 1.0
    return x


def rows(xs, w):
    s = 0.0
    for row in xs:
        s = s + np.sum(row * w)
    return s


def enumerate_zip_and_tuples(xs, ys):
    s = 0.0
    for i, (a, b) in enumerate(zip(xs, ys)):
        s = s + np.sum(a * b) * i
    for i, a in enumerate(xs, 1):
        s = s + np.sum(a) / i
    for pair in zip(xs, ys):
        s = s + np.sum(pair[0])
    return s


def unpack_items(pairs, nested):
    s = 0.0
    for a, b in pairs:
        s = s + a * b
    for a, (b, c) in nested:
        s = s + a * b * c
    return s


def reversed_loops(xs):
    s = 0.0
    for row in reversed(xs):
        s = s * 0.5 + np.sum(row)
    for i in reversed(range(3)):
        s = s + i
    return s


def sequence_reassigned_in_loop(xs):
    s = 0.0
    for row in xs:
        xs = xs * 2.0
        s = s + np.sum(row)
    return s


def break_over_enumerate(xs):
    s = 0.0
    for i, row in enumerate(xs):
        if np.sum(row) > 1.0:
            break
        s = s + np.sum(row) * i
    return s


def loop_else(x):
    for i in range(4):
        if x > 3.0:
            break
        x = x * 2.0
    else:
        x = -x
    while x < 10.0:
        x = x * 3.0
    else:
        x = x + 1.0
    return x


def nested_breaks(x):
    for i in range(3):
        j = 0
        while True:
            j = j + 1
            if x * j > 4.0:
                break
        if x > 100.0:
            break
        x = x * j
    return x


def users_names_collide(x, _break, _k):
    for i in range(3):
        if x > _break:
            break
        x = x * _k
    return x


def jumps_in_dead_code(x):
    for i in range(3):
        if x > 1.0:
            x = x * 0.5
            break
            continue
        x = x + 1.0
    if x > 0.0:
        return x
        return -x
    return x * 2.0


def loops_over_a_range_variable(x):
    steps = range(3)
    for i in steps:
        x = x * 2 + i
    for i in steps[::-1]:
        x = x - i
    return x


def loop_over_a_rebound_range_variable(x):
    steps = range(3)
    if x > 0:
        steps = range(2)
    for i in steps:
        x = x * 2 + i
    return x
