"""Whole programs with loops, branches, overwritten variables and calls to user
functions: reverse mode against torch.autograd and finite differences."""

import copy

import numpy as np
import pytest

import adcompiler as ad
from oracles import assert_close, finite_difference_gradient, torch_gradients
from programs import PROGRAMS


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_program_gradient_matches_torch_and_finite_differences(name):
    function, torch_twin, make_args, wrt = PROGRAMS[name]
    args = make_args()
    originals = copy.deepcopy(args)
    gradients = ad.grad(function, wrt=wrt)(*args)
    expected = torch_gradients(torch_twin, args, wrt)
    for index, got, want in zip(wrt, gradients, expected):
        assert_close(got, want, label=f"{name}: d/d arg {index}")
        assert_close(got, finite_difference_gradient(function, args, index), rtol=1e-5,
                     atol=1e-6, label=f"{name}: finite differences, arg {index}")
    for before, after in zip(originals, args):
        np.testing.assert_array_equal(before, after)  # inputs are never written


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_program_value_and_grad_returns_the_primal_value(name):
    function, _, make_args, wrt = PROGRAMS[name]
    args = make_args()
    value, _ = ad.value_and_grad(function, wrt=wrt)(*args)
    assert_close(value, function(*args))


def test_scalar_program_gradients_stay_python_floats():
    function, _, make_args, wrt = PROGRAMS["scalar-math-loop"]
    dx, dy = ad.grad(function, wrt=wrt)(*make_args())
    assert type(dx) is float and type(dy) is float


def test_while_loop_trip_count_goes_on_the_stack():
    function = PROGRAMS["nested-loops-with-branches"][0]
    text = ad.source(ad.grad(function, wrt=(0, 1)))
    assert "_stack.append(_trips)" in text and "for _ in range(_stack.pop()):" in text


def test_inactive_loop_leaves_no_trace_in_the_derivative():
    text = ad.source(ad.grad(PROGRAMS["inactive-work"][0]))
    assert "_stack" not in text and "for i in" in text


def test_user_functions_get_derivative_code_of_their_own():
    text = ad.source(ad.grad(PROGRAMS["user-function-calls"][0]))
    assert "def helper_square_plus_primal(" in text
    assert "def helper_calls_helper_adjoint(" in text


def test_loop_invariant_values_are_not_saved_on_every_iteration():
    text = ad.source(ad.grad(PROGRAMS["loop-invariant-values"][0], wrt=(0, 1)))
    assert "_stack.append(scale)" not in text and "_stack.append(s)" in text


def test_loop_accumulates_parameter_adjoints_in_place():
    text = ad.source(ad.grad(PROGRAMS["tanh-rnn"][0], wrt=(0, 1, 2)))
    assert "dwh = add_into(dwh, " in text and "dwh = zeros_like(wh)" in text


def test_scalar_loop_with_break_keeps_the_variant_for_python_numbers():
    import math

    import pytest
    from math_programs_for_kinds import sine_sum_until
    assert "sine_sum_until_grad_numbers" in ad.source(ad.grad(sine_sum_until))
    # The running sum passes 1.5 at i = 3, so the loop adds sin(0.3 i) for i <= 3.
    expected = sum(i * math.cos(0.3 * i) for i in range(4))
    assert ad.grad(sine_sum_until)(0.3) == pytest.approx(expected, rel=1e-12)
