"""Loops over itertools' combinatoric iterators of differentiated values
(passes/lower_itertools.py): pair energies over `combinations`, grids of
`product` (with `repeat=`), `permutations` with a length, neighbours by
`pairwise`, running totals of `accumulate`, padded pairs of `zip_longest`,
also in generator expressions. Each program is checked against
its torch twin (the same loops over a tensor's rows, float64) in reverse and
forward mode, for the jvp and for the Hessian-vector product."""

from __future__ import annotations

import itertools
import operator
from itertools import combinations

import numpy as np
import pytest
import torch

import adcompiler as ad
from torch_oracle import CHECKS, assert_matches_twin

POINTS = np.array([0.3, -0.7, 1.1, 0.5, 0.2, 0.9, -0.5, -0.4])
DIRECTION = np.linspace(-1.0, 1.0, POINTS.size)


def pair_energy_over_combinations(x):
    points = x.reshape(4, 2)
    energy = 0.0
    for a, b in combinations(points, 2):
        energy += 1.0 / np.sqrt(np.sum((a - b) ** 2))
    return energy


def t_pair_energy_over_combinations(x):
    points = x.reshape(4, 2)
    energy = 0.0
    for a, b in combinations(points, 2):
        energy += 1.0 / torch.sqrt(torch.sum((a - b) ** 2))
    return energy


def grid_over_product_with_repeat(x):
    total = 0.0
    for p in itertools.product(x[:2], [1.0, 2.0], repeat=2):
        total += p[0] * p[1] * np.sin(p[2]) * p[3]
    return total


def t_grid_over_product_with_repeat(x):
    total = 0.0
    for p in itertools.product(x[:2], [1.0, 2.0], repeat=2):
        total += p[0] * p[1] * torch.sin(p[2]) * p[3]
    return total


def neighbours_by_pairwise_in_a_generator(x):
    return sum(a * np.tanh(b) for a, b in itertools.pairwise(list(x[:5])))


def t_neighbours_by_pairwise_in_a_generator(x):
    return sum(a * torch.tanh(b) for a, b in itertools.pairwise(list(x[:5])))


def ordered_pairs_by_permutations(x):
    total = 0.0
    for u, v in itertools.permutations(x[2:5], r=2):
        total += u / (1.0 + v ** 2)
    for w in itertools.combinations_with_replacement(x[:2], 2):
        total += w[0] * w[1]
    return total


def t_ordered_pairs_by_permutations(x):
    total = 0.0
    for u, v in itertools.permutations(x[2:5], r=2):
        total += u / (1.0 + v ** 2)
    for w in itertools.combinations_with_replacement(x[:2], 2):
        total += w[0] * w[1]
    return total


def running_totals_by_accumulate(x):
    total = sum(itertools.accumulate(np.tanh(x[:4]), operator.mul))
    for v in itertools.accumulate(x[4:], initial=x[0] * 2.0):
        total += v ** 2
    running = list(itertools.accumulate(x[1:4], lambda a, b: a * 0.5 + b))
    for i, v in enumerate(itertools.accumulate(x[:3], operator.mul), start=1):
        total += i * v     # enumerate counts the running totals
    return total + running[-1] * running[0] + max(itertools.accumulate(x[:3], func=max))


def t_running_totals_by_accumulate(x):
    total = sum(itertools.accumulate(torch.tanh(x[:4]), operator.mul))
    for v in itertools.accumulate(x[4:], initial=x[0] * 2.0):
        total += v ** 2
    running = list(itertools.accumulate(x[1:4], lambda a, b: a * 0.5 + b))
    for i, v in enumerate(itertools.accumulate(x[:3], operator.mul), start=1):
        total += i * v     # enumerate counts the running totals
    return total + running[-1] * running[0] + max(itertools.accumulate(x[:3], func=max))


def padded_pairs_by_zip_longest(x):
    total = 0.0
    for u, v in itertools.zip_longest(list(x[:3]), list(x[3:]), fillvalue=x[0]):
        total += u * np.sin(v)
    return total + sum(a * b for a, b in itertools.zip_longest(x[:2], x[5:], fillvalue=1.5))


def t_padded_pairs_by_zip_longest(x):
    total = 0.0
    for u, v in itertools.zip_longest(list(x[:3]), list(x[3:]), fillvalue=x[0]):
        total += u * torch.sin(v)
    return total + sum(a * b for a, b in itertools.zip_longest(x[:2], x[5:], fillvalue=1.5))


PROGRAMS = [
    (pair_energy_over_combinations, t_pair_energy_over_combinations),
    (padded_pairs_by_zip_longest, t_padded_pairs_by_zip_longest),
    (running_totals_by_accumulate, t_running_totals_by_accumulate),
    (grid_over_product_with_repeat, t_grid_over_product_with_repeat),
    (neighbours_by_pairwise_in_a_generator, t_neighbours_by_pairwise_in_a_generator),
    (ordered_pairs_by_permutations, t_ordered_pairs_by_permutations),
]
IDS = [program.__name__ for program, _ in PROGRAMS]


@pytest.mark.parametrize("program, twin", PROGRAMS, ids=IDS)
@pytest.mark.parametrize("check", CHECKS)
def test_derivatives_of_an_itertools_loop_match_torch(program, twin, check):
    assert_matches_twin(program, twin, POINTS, DIRECTION, check)


def permutations_of_every_length(x):
    return sum(t[0] * t[-1] for t in itertools.permutations(x[:3]))


def test_a_length_known_only_when_running_is_refused():
    with pytest.raises(ad.AdError):
        ad.grad(permutations_of_every_length)(POINTS.copy())


def reducing_function_bound_again_in_the_loop(x):
    op = operator.mul
    total = 0.0
    for v in itertools.accumulate(x, op):
        op = operator.add    # accumulate keeps the function it was given
        total = total + v
    return total


def test_a_reducing_function_bound_again_in_the_loop_is_refused():
    # accumulate holds op as it was; the loop's held copy of op is bound to a
    # variable bound twice, which function it calls is not known: refused,
    # never read from the loop's second binding.
    with pytest.raises(ad.AdError):
        ad.value_and_grad(reducing_function_bound_again_in_the_loop)(POINTS.copy())
