"""What generated derivative code leaves out for speed (issue #13), and that
the derivatives stay exact without it: a split derivative records no
parameter its adjoint does not read; the hvp of a function of floats is
compiled for floats (no broadcasting helpers); the runtime helpers' fast
paths give what their general paths give."""

import math

import numpy as np
import pytest
import torch

import adcompiler as ad
from adcompiler.runtime import arrays, core


def rhs(y, k):
    # Two statements: a one-expression helper called in a loop is inlined.
    slope = -k * y
    return slope + math.sin(y)


def euler(y0, k):
    y = y0
    for i in range(20):
        y = y + 0.1 * rhs(y, k)
    return y


def euler_torch(y0, k):
    y = y0
    for i in range(20):
        y = y + 0.1 * (-k * y + torch.sin(y))
    return y


def test_a_split_derivative_records_no_parameter_its_adjoint_does_not_read():
    shown = ad.source(ad.grad(euler, wrt=(0, 1)))
    primal = shown[shown.index("def rhs_primal"):shown.index("def rhs_adjoint")]
    # The adjoint of -k * y + sin(y) reads y and -k, never k itself.
    assert "def rhs_adjoint" in shown
    assert "_stack.append(y)" in primal and "_stack.append(k)" not in primal


def test_gradient_through_a_helper_that_records_less_matches_torch():
    y0, k = torch.tensor(0.8, dtype=torch.float64, requires_grad=True), \
        torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
    expected = torch.autograd.grad(euler_torch(y0, k), (y0, k))
    got = ad.grad(euler, wrt=(0, 1))(0.8, 0.5)
    np.testing.assert_allclose(got, [e.item() for e in expected], rtol=1e-12)


def test_hvp_of_a_function_of_floats_needs_no_broadcasting_and_matches_torch():
    hvp = ad.hvp(euler, wrt=1)
    shown = ad.source(hvp)
    numbers = shown[shown.index("def euler_grad_numbers_tangent"):]
    numbers = numbers[:numbers.index("\n\n\n")]
    assert "broadcast_like" not in numbers and "zeros_like" not in numbers
    y0 = torch.tensor(0.8, dtype=torch.float64)

    def gradient_in_k(k):
        return torch.func.grad(lambda k: euler_torch(y0, k))(k)
    _, expected = torch.func.jvp(gradient_in_k, (torch.tensor(0.5, dtype=torch.float64),),
                                 (torch.tensor(1.5, dtype=torch.float64),))
    assert hvp((0.8, 0.5), (1.5,)) == pytest.approx(expected.item(), rel=1e-12)


RNG = np.random.default_rng(3)

# (adjoint, operand): arrays of several shapes summed to a float or np.float64.
TO_SCALARS = [(g, x) for g in (RNG.standard_normal(1000), RNG.standard_normal((7, 33)),
                               RNG.standard_normal((3, 4, 5)),
                               RNG.standard_normal(3) + 1j * RNG.standard_normal(3),
                               np.ones(3, dtype=np.float32))
              for x in (0.5, np.float64(0.5))]


@pytest.mark.parametrize("g, x", TO_SCALARS)
def test_unbroadcast_to_a_scalar_is_the_sum_of_the_general_path(g, x):
    expected = arrays.reduce_to_shape(g, ()).item()
    got = core.unbroadcast(g, x)
    assert type(got) is type(expected) and got == expected


@pytest.mark.parametrize("a", [RNG.standard_normal(9), np.array([1.0, 3.0, 3.0, 2.0]),
                               np.array([[1.0, 5.0], [5.0, 0.0]], dtype=np.float32)],
                         ids=["distinct", "tie", "float32-tie"])
@pytest.mark.parametrize("reduce", [np.max, np.min])
def test_extremum_weights_of_a_full_reduction_share_ties_as_torch_does(a, reduce):
    weights = arrays.extremum_weights(a, reduce(a), None, False)
    t = torch.tensor(a, requires_grad=True)
    (torch.amax(t) if reduce is np.max else torch.amin(t)).backward()
    assert weights.dtype == a.dtype
    np.testing.assert_allclose(weights, t.grad.numpy(), rtol=1e-7)


def one_expression_rhs(y, k):
    return -k * y + math.sin(y)


def euler_with_a_one_expression_helper(y0, k):
    y = y0
    for i in range(20):
        y = y + 0.1 * one_expression_rhs(y, k)
    return y


def test_a_one_expression_helper_called_in_a_loop_is_inlined_and_matches_torch():
    gradient = ad.grad(euler_with_a_one_expression_helper, wrt=(0, 1))
    assert "one_expression_rhs_primal" not in ad.source(gradient)
    y0, k = torch.tensor(0.8, dtype=torch.float64, requires_grad=True), \
        torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
    expected = torch.autograd.grad(euler_torch(y0, k), (y0, k))
    np.testing.assert_allclose(gradient(0.8, 0.5), [e.item() for e in expected], rtol=1e-12)
