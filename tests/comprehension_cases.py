"""Programs with list comprehensions and generator expressions for
tests/test_comprehensions.py: each NumPy program has a torch twin (prefix
`t_`) written the same way, so torch is an independent oracle; the error
cases at the end must be refused."""

import math

import numpy as np
import torch


# -- comprehensions over values that are not differentiated -----------------------

def even_power_series(w, n):
    coefficients = [1.0 / (k + 1) for k in range(n) if k % 2 == 0]
    return sum(c * w ** (2 * k) for k, c in enumerate(coefficients))


def t_even_power_series(w, n):
    coefficients = [1.0 / (k + 1) for k in range(n) if k % 2 == 0]
    return sum(c * w ** (2 * k) for k, c in enumerate(coefficients))


def scaled_by_largest(w, xs):
    return w * max(abs(x) for x in xs) + sum(w * m for m in [x * 2.0 for x in xs])


def t_scaled_by_largest(w, xs):
    return w * max(abs(x) for x in xs) + sum(w * m for m in [x * 2.0 for x in xs])


# -- generator expressions reduced by sum(), over differentiated values -------------

def pairwise_energy(X, scale):
    return sum(scale / np.sum((a - b) ** 2)
               for i, a in enumerate(X) for j, b in enumerate(X) if i < j)


def t_pairwise_energy(X, scale):
    return sum(scale / torch.sum((a - b) ** 2)
               for i, a in enumerate(X) for j, b in enumerate(X) if i < j)


def weighted_row_products(w, A, B):
    return sum(i * np.sum(w * a * b) for i, (a, b) in enumerate(zip(A, B), 1))


def t_weighted_row_products(w, A, B):
    return sum(i * torch.sum(w * a * b) for i, (a, b) in enumerate(zip(A, B), 1))


def parameter_shadowed(x, xs):
    doubled = [x * 2.0 for x in xs]  # the comprehension's own x
    return x * sum(d * d for d in doubled)  # the parameter


def t_parameter_shadowed(x, xs):
    doubled = [x * 2.0 for x in xs]
    return x * sum(d * d for d in doubled)


def sum_with_start(w, xs):
    return sum((np.tanh(w * x) for x in xs), np.cos(w))


def t_sum_with_start(w, xs):
    return sum((torch.tanh(w * x) for x in xs), torch.cos(w))


def sum_backwards_with_keyword_start(w, xs):
    return sum((w * x * x for x in xs[::-1]), start=np.cos(w))


def t_sum_backwards_with_keyword_start(w, xs):
    return sum((w * x * x for x in torch.flip(xs, [0])), start=torch.cos(w))


def nested_sums(w, A, B):
    return sum(sum(np.sin(w * a * b) for b in B) for a in A)


def t_nested_sums(w, A, B):
    return sum(sum(torch.sin(w * a * b) for b in B) for a in A)


def comprehension_in_loop(w, xs, n):
    h = 0.0
    for k in range(n):
        h = np.tanh(h + sum(w * x * (k + 1) for x in xs if x > -1.0))
    return h


def t_comprehension_in_loop(w, xs, n):
    h = 0.0
    for k in range(n):
        h = torch.tanh(h + sum(w * x * (k + 1) for x in xs if x > -1.0))
    return h


def squashed_if_any_large(w, xs):
    if any(abs(w * x) > 1.0 for x in xs):
        return sum(np.tanh(w * x) for x in xs)
    return sum([w * x for x in xs])


def t_squashed_if_any_large(w, xs):
    if any(abs(w * x) > 1.0 for x in xs):
        return sum(torch.tanh(w * x) for x in xs)
    return sum([w * x for x in xs])


# -- lists of differentiated values: forward mode today, reverse mode after main's
# -- list index reads --------------------------------------------------------------

def first_times_last(w, xs):
    ys = [np.tanh(w * x) for x in xs]
    return ys[0] * ys[-1] + sum(y * y for y in ys)


def t_first_times_last(w, xs):
    ys = [torch.tanh(w * x) for x in xs]
    return ys[0] * ys[-1] + sum(y * y for y in ys)


def stacked_positives(w, xs):
    return np.stack([np.sin(w * x) for x in xs if x > 0])


def t_stacked_positives(w, xs):
    return torch.stack([torch.sin(w * x) for x in xs if x > 0])


def outer_product_rows(a, b):
    return np.stack([np.stack([x * y for y in b]) for x in a])


def t_outer_product_rows(a, b):
    return torch.stack([torch.stack([x * y for y in b]) for x in a])


def sum_of_list(w, xs):
    ys = [np.tanh(w * x) for x in xs]
    return sum(ys)


def t_sum_of_list(w, xs):
    ys = [torch.tanh(w * x) for x in xs]
    return sum(ys)


def sum_of_stacked_squares(w, xs):
    return np.sum(np.stack([np.tanh(w * x) for x in xs]) ** 2)


def t_sum_of_stacked_squares(w, xs):
    return torch.sum(torch.stack([torch.tanh(w * x) for x in xs]) ** 2)


# -- evaluation order: what Python evaluates, and when ------------------------------

def pops_before_the_comprehension(stack):
    return stack.pop() + sum(v for v in stack)  # Python pops first


def all_stops_at_the_first_false(xs):
    return all(1.0 / x > 0.0 for x in xs)  # never divides by a zero after a negative


def any_stops_both_loops(A, B, seen):
    return any(seen.append((a, b)) or a * b > 1.0 for a in A for b in B)


def elif_test_evaluated_only_when_reached(x, xs):
    if x > 0.0:
        y = x
    elif sum(1.0 / v for v in xs) > 0.0:
        y = -x
    else:
        y = 2.0 * x
    return y


def builds_its_variable(xs, ys):
    squares = [x * x for x in xs]
    total = sum(x for x in squares)
    ys = [y + total for y in ys]
    return squares, total, ys, math.fsum(x for x in ys)


# -- refused --------------------------------------------------------------------

def comprehension_in_while_test(w, xs):
    while sum(x * w for x in xs) < 10.0:
        w = w * 2.0
    return w


def comprehension_in_conditional_branch(w, xs):
    return w * w if w > 0.0 else sum(x * w for x in xs)


def t_comprehension_in_conditional_branch(w, xs):
    return w * w if w > 0.0 else torch.sum(xs * w)


def comprehension_after_and(w, xs):
    if w > 0.0 and sum([x for x in xs]) > 0.0:
        w = w * 2.0
    return w * w


def t_comprehension_after_and(w, xs):
    if w > 0.0 and torch.sum(xs) > 0.0:
        w = w * 2.0
    return w * w


def first_list_that_is_not_empty(w, xs):
    chosen = [x * w for x in xs if x > 5.0] or [x * w * w for x in xs]
    return sum(chosen)


def t_first_list_that_is_not_empty(w, xs):
    large = xs[xs > 5.0]
    return torch.sum(large * w) if len(large) else torch.sum(xs * w * w)


def operands_evaluated_only_when_needed(w, xs):
    calls = []

    def noted(v):
        calls.append(v)
        return v

    total = w * 0.0 or sum(noted(x) * w for x in xs) or max(noted(x) * w for x in xs)
    return total * len(calls)


def t_operands_evaluated_only_when_needed(w, xs):
    return torch.sum(xs * w) * len(xs)


def comprehension_in_assert_message(w, xs):
    assert w > 0.0, [x for x in xs]
    return w


def comprehension_in_a_lambda(w, xs):
    energy = lambda scale: sum(np.tanh(scale * x) for x in xs)
    return energy(w) + energy(2.0 * w)


def calls_a_local_helper_in_a_comprehension(w, xs):
    def squash(v):
        return np.tanh(w * v) ** 2
    return sum(squash(x) for x in xs) + np.sum(np.stack([squash(x) for x in xs]))


def t_calls_a_local_helper_in_a_comprehension(w, xs):
    def squash(v):
        return torch.tanh(w * v) ** 2
    return sum(squash(x) for x in xs) + torch.sum(torch.stack([squash(x) for x in xs]))


def generator_passed_to_stack(w, xs):
    return np.sum(np.stack(np.sin(w * x) for x in xs))


def generator_kept_in_a_variable(w, xs):
    squares = (w * x for x in xs)
    return sum(squares)


def set_comprehension(w, xs):
    return w * len({x for x in xs})


def comprehension_assigning_an_element(w, xs):
    return sum(w for xs[0] in xs)
