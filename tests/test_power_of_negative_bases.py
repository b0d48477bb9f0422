"""x ** p with x < 0 and a constant exponent p that reaches the derivative
code as a value (a helper's parameter, a keyword): its Hessian is finite and
torch's, not nan. The exponent's partial holds log(x), nan for x < 0, and a
Hessian's code reads the exponent back from a stack with a zero tangent,
which must add nothing (runtime.arrays.exponent_term)."""

import numpy as np
import pytest
import torch

import adcompiler as ad
from oracles import assert_close


def powered(x, w, power=2.0):
    v = x * w
    return np.sum(v ** power)


def cubes_through_a_helper(x):
    return powered(x, 1.5, power=3.0)


def fourth_powers_through_a_helper(x):
    return powered(x, 0.5, 4.0) + np.sum(x ** 2)


def cubes_twin(x):
    return torch.sum((x * 1.5) ** 3.0)


def fourth_powers_twin(x):
    return torch.sum((x * 0.5) ** 4.0) + torch.sum(x ** 2)


X = np.array([-0.5, 0.3, -1.7])


@pytest.mark.parametrize("function, twin", [
    (cubes_through_a_helper, cubes_twin),
    (fourth_powers_through_a_helper, fourth_powers_twin),
])
def test_hessian_at_negative_bases_with_a_constant_exponent_matches_torch(function, twin):
    want = torch.autograd.functional.hessian(twin, torch.tensor(X)).numpy()
    got = ad.hessian(function)(X)
    assert np.all(np.isfinite(got))
    assert_close(got, want, rtol=1e-10, atol=1e-12)
    tangent = np.array([0.3, -0.2, 0.9])
    along = ad.hvp(function)((X,), (tangent,))
    assert_close(along, want @ tangent, rtol=1e-10, atol=1e-12)


def test_a_differentiated_exponent_at_a_negative_base_is_nan_as_in_torch():
    # Where the exponent itself moves, its derivative there is log of a
    # negative number: nan, in torch too (not hidden by the mask).
    def power_of_both(x, p):
        return np.sum(x ** p)
    _, dp = ad.grad(power_of_both, wrt=(0, 1))(X, 3.0)
    x, p = torch.tensor(X), torch.tensor(3.0, requires_grad=True)
    (want,) = torch.autograd.grad(torch.sum(x ** p), p)
    assert np.isnan(dp) and torch.isnan(want)
