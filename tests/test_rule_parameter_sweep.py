"""Every non-differentiated parameter of the NumPy rules, with non-default
values NumPy accepts, as a literal and as a variable: ad.grad and ad.jvp agree
with central finite differences of the same NumPy call, or adcompiler refuses
the call (tests/rule_parameter_sweep.py builds the table)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from rule_parameter_sweep import run_case, sweep_cases

ROWS = sweep_cases()


@pytest.mark.parametrize("rule, first, name, value", ROWS,
                         ids=[f"{r.name}({n}={v!r})" for r, _, n, v in ROWS])
def test_non_differentiated_parameter_matches_finite_differences(rule, first, name, value):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        outcomes = run_case(rule, first, name, value)
    if outcomes is None:
        pytest.skip("NumPy rejects this call or its result is not a real float array")
    bad = {form: outcome for form, outcome in outcomes.items()
           if outcome not in ("pass", "refused")}
    assert not bad, bad


def test_sweep_exercises_many_rule_parameter_pairs():
    assert len({(rule.name, name) for rule, _, name, _ in ROWS}) > 150
