"""Helpers and methods inlined into the function that calls them get the
lowering the function itself got: a mutating helper's comprehensions,
generator expressions, functools.reduce and `with` blocks
(passes/inline_mutating.py), and the runtime functions that lowering binds
(sorted's order, a dict's items) are found in the caller for a method of an
object the function creates (passes/local_objects.py). Each program is
checked against its torch twin in reverse and forward mode, for the jvp and
for the Hessian-vector product."""

from __future__ import annotations

import functools
import operator

import numpy as np
import pytest
import torch

from torch_oracle import CHECKS, assert_matches_twin

POINT = np.array([0.3, -0.7, 1.1, 0.5])
DIRECTION = np.array([0.4, -1.0, 0.2, 0.7])


def scale_in_place(values, factor):
    values[:] = [v * factor for v in values]


def helper_rewriting_a_list_by_a_comprehension(x):
    values = [x[0], x[1], x[2]]
    scale_in_place(values, x[3])
    return values[0] + 3.0 * values[1] * values[2]


def t_helper_rewriting_a_list_by_a_comprehension(x):
    values = [x[0], x[1], x[2]]
    scale_in_place(values, x[3])
    return values[0] + 3.0 * values[1] * values[2]


def add_total(entries, weight):
    entries["total"] = sum(v * weight for v in sorted(entries.values()))


def helper_storing_a_generator_sum(x):
    entries = {"a": x[0], "b": x[1]}
    add_total(entries, x[2])
    return entries["total"] * entries["a"]


def t_helper_storing_a_generator_sum(x):
    entries = {"a": x[0], "b": x[1]}
    add_total(entries, x[2])
    return entries["total"] * entries["a"]


def store_product(values):
    with np.errstate(over="ignore"):
        values[-1] = functools.reduce(operator.mul, values[:-1], 1.0)


def helper_with_reduce_in_a_with_block(x):
    values = x * 2.0
    store_product(values)
    return np.sum(values * x)


def t_helper_with_reduce_in_a_with_block(x):
    values = x * 2.0
    values = torch.cat([values[:-1], functools.reduce(operator.mul, values[:-1], 1.0)[None]])
    return torch.sum(values * x)


class Ledger:
    def __init__(self, entries):
        self.entries = entries

    def weighted(self, weight):
        return sum(v * weight for v in sorted(self.entries.values()))


def method_summing_sorted_values(x):
    ledger = Ledger({"a": x[0], "b": x[1], "c": x[2] * x[3]})
    return ledger.weighted(x[3])


def t_method_summing_sorted_values(x):
    entries = {"a": x[0], "b": x[1], "c": x[2] * x[3]}
    return sum(v * x[3] for v in sorted(entries.values()))


PROGRAMS = [
    (helper_rewriting_a_list_by_a_comprehension, t_helper_rewriting_a_list_by_a_comprehension),
    (helper_storing_a_generator_sum, t_helper_storing_a_generator_sum),
    (helper_with_reduce_in_a_with_block, t_helper_with_reduce_in_a_with_block),
    (method_summing_sorted_values, t_method_summing_sorted_values),
]


@pytest.mark.parametrize("program, twin", PROGRAMS, ids=[p.__name__ for p, _ in PROGRAMS])
@pytest.mark.parametrize("check", CHECKS)
def test_derivatives_through_a_lowered_inlined_helper_match_torch(program, twin, check):
    assert_matches_twin(program, twin, POINT, DIRECTION, check)
