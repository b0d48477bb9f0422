"""Python's statistics module on lists of differentiated numbers
(rules/python_statistics_rules.py): mean, fmean, pvariance, variance,
pstdev, stdev, median, median_low, median_high. Each program is checked
against its torch twin in reverse and forward mode, for the jvp and for the
Hessian-vector product; the value is the module's own."""

from __future__ import annotations

import statistics

import numpy as np
import pytest
import torch

import adcompiler as ad
from torch_oracle import CHECKS, assert_matches_twin

POINT = np.array([0.3, 0.8, -0.4, 1.1])
DIRECTION = np.array([0.4, -1.0, 0.2, 0.7])


def _middle(values):
    ordered = torch.sort(torch.stack(values)).values
    n = len(values)
    return ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2.0


def means_of_a_list(x):
    return statistics.mean([x[0], x[1] * 2.0, x[2]]) * x[3] + statistics.fmean(x.tolist())


def t_means_of_a_list(x):
    return torch.mean(torch.stack([x[0], x[1] * 2.0, x[2]])) * x[3] + torch.mean(x)


def variances_of_a_list(x):
    values = [x[0], x[1] * 2.0, np.sin(x[2]), x[3]]
    return statistics.pvariance(values) + 3.0 * statistics.variance(values)


def t_variances_of_a_list(x):
    values = torch.stack([x[0], x[1] * 2.0, torch.sin(x[2]), x[3]])
    return torch.var(values, correction=0) + 3.0 * torch.var(values, correction=1)


def deviations_of_a_tuple(x):
    values = (x[0] * x[1], x[2], x[3] ** 2)
    return statistics.pstdev(values) * statistics.stdev(values)


def t_deviations_of_a_tuple(x):
    values = torch.stack([x[0] * x[1], x[2], x[3] ** 2])
    return torch.std(values, correction=0) * torch.std(values, correction=1)


def medians_of_even_and_odd_lists(x):
    even = [x[0], x[1] * 2.0, x[2], x[3]]
    odd = [x[0] * 3.0, x[1], x[2]]
    return statistics.median(even) ** 2 + statistics.median(odd) * x[3]


def t_medians_of_even_and_odd_lists(x):
    even = [x[0], x[1] * 2.0, x[2], x[3]]
    odd = [x[0] * 3.0, x[1], x[2]]
    return _middle(even) ** 2 + _middle(odd) * x[3]


def low_and_high_medians(x):
    values = [x[0], x[1], x[2], x[3]]
    return statistics.median_low(values) * statistics.median_high(values)


def t_low_and_high_medians(x):
    ordered = torch.sort(x).values
    return ordered[1] * ordered[2]


# The rules these programs check against torch (tests/test_numpy_coverage.py
# counts every differentiable rule as covered by some table or program).
COVERED_TOO = (statistics.mean, statistics.fmean, statistics.pvariance, statistics.variance,
               statistics.pstdev, statistics.stdev, statistics.median, statistics.median_low,
               statistics.median_high)

PROGRAMS = [
    (means_of_a_list, t_means_of_a_list),
    (variances_of_a_list, t_variances_of_a_list),
    (deviations_of_a_tuple, t_deviations_of_a_tuple),
    (medians_of_even_and_odd_lists, t_medians_of_even_and_odd_lists),
    (low_and_high_medians, t_low_and_high_medians),
]


@pytest.mark.parametrize("program, twin", PROGRAMS, ids=[p.__name__ for p, _ in PROGRAMS])
@pytest.mark.parametrize("check", CHECKS)
def test_statistics_of_a_list_match_torch(program, twin, check):
    assert_matches_twin(program, twin, POINT, DIRECTION, check)


def test_the_value_is_the_modules_own():
    # statistics.mean rounds the exact mean once; a sum divided by n may not.
    values = [0.1] * 10
    got, _ = ad.value_and_grad(lambda_free_mean)(np.array(values))
    assert got == statistics.mean(values)


def lambda_free_mean(x):
    return statistics.mean(x.tolist())


def test_statistics_of_an_array_are_refused_with_numpys_names():
    with pytest.raises(ad.NoDerivativeRuleError, match="np.mean") as caught:
        ad.grad(statistics_of_an_array)(POINT.copy())
    assert "test_python_statistics.py" in str(caught.value)


def statistics_of_an_array(x):
    return statistics.mean(x)


def test_a_keyword_the_rule_does_not_cover_is_refused():
    with pytest.raises(ad.NoDerivativeRuleError, match="statistics.fmean"):
        ad.grad(weighted_fmean)(POINT.copy())


def weighted_fmean(x):
    return statistics.fmean([x[0], x[1]], weights=[1.0, 2.0])


def statistics_of_a_list_argument(values):
    return statistics.mean(values) * statistics.pvariance(values) + statistics.median(values)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_list_argument_read_by_three_statistics_gets_one_entry_per_item_like_torch(mode):
    # Each call's adjoint has one entry per item; they add item by item (two
    # plain lists would be joined into one of twice the length).
    values = [0.3, 0.8, -0.4, 1.1, 0.5]
    got = ad.grad(statistics_of_a_list_argument, mode=mode)(values)
    x = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    (torch.mean(x) * torch.var(x, correction=0) + _middle(list(x))).backward()
    assert isinstance(got, list) and len(got) == len(values)
    np.testing.assert_allclose(got, x.grad.numpy(), rtol=1e-12)
