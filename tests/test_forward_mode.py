"""Forward mode (jvp, derivative, jacobian, grad(mode="forward")) against
torch.func and finite differences, and the transpose identity between modes."""

import numpy as np
import pytest
import torch

import adcompiler as ad
from oracles import assert_close, torch_directional
from programs import PROGRAMS


def random_like(x, rng):
    if isinstance(x, np.ndarray):
        return rng.standard_normal(x.shape)
    return float(rng.standard_normal())


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_program_jvp_matches_torch_func_jvp(name):
    function, torch_twin, make_args, wrt = PROGRAMS[name]
    args = make_args()
    rng = np.random.default_rng(11)
    tangents = [random_like(args[i], rng) for i in wrt]
    value, tangent = ad.jvp(function, wrt=wrt)(tuple(args), tuple(tangents))
    expected_value, expected_tangent = torch_directional(torch_twin, args, wrt, tangents)
    assert_close(value, expected_value, label=f"{name}: value")
    assert_close(tangent, expected_tangent, label=f"{name}: tangent")


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_transpose_identity_between_forward_and_reverse_mode(name):
    # <v, J u> = <J^T v, u>: forward and reverse mode describe the same Jacobian.
    function, _, make_args, wrt = PROGRAMS[name]
    args = make_args()
    rng = np.random.default_rng(5)
    u = [random_like(args[i], rng) for i in wrt]
    value, j_u = ad.jvp(function, wrt=wrt)(tuple(args), tuple(u))
    v = random_like(np.asarray(value), rng) if np.ndim(value) else float(rng.standard_normal())
    jt_v = ad.vjp(function, wrt=tuple(wrt))(tuple(args), v)
    left = float(np.sum(np.asarray(v) * np.asarray(j_u)))
    right = sum(float(np.sum(np.asarray(a) * np.asarray(b))) for a, b in zip(jt_v, u))
    assert left == pytest.approx(right, rel=1e-9, abs=1e-9)


def sine(x):
    return np.sin(x)


def cubic(x):
    return x * x * x - 2.0 * x


def softmax(a):
    e = np.exp(a)
    return e / np.sum(e)


def test_derivative_of_sin_is_cos():
    for x in (0.0, 0.5, 2.0):
        assert ad.derivative(sine)(x) == pytest.approx(np.cos(x), rel=1e-15)


def test_grad_in_forward_mode_matches_reverse_mode():
    function, _, make_args, wrt = PROGRAMS["tanh-overwritten-in-loop"]
    args = make_args()
    assert_close(ad.grad(function, mode="forward")(*args), ad.grad(function)(*args))
    assert ad.grad(cubic, mode="forward")(1.5) == pytest.approx(3 * 1.5 ** 2 - 2.0)


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_jacobian_of_softmax_matches_torch(mode):
    a = np.random.default_rng(3).standard_normal(4)
    jac = ad.jacobian(softmax, mode=mode)(a)
    expected = torch.autograd.functional.jacobian(
        lambda t: torch.softmax(t, dim=0), torch.tensor(a)).numpy()
    assert jac.shape == (4, 4)
    assert_close(jac, expected)


def test_jacobian_shape_is_output_shape_then_input_shape():
    x = np.ones((2, 3))
    for mode in ("forward", "reverse"):
        assert ad.jacobian(sine, mode=mode)(x).shape == (2, 3, 2, 3)


def test_generated_forward_code_is_inspectable_and_needs_no_stack():
    text = ad.source(ad.jvp(PROGRAMS["nested-loops-with-branches"][0], wrt=(0, 1)))
    assert "def nested_loops_with_branches_jvp(primals, tangents):\n    x, y = primals\n" \
        "    dx, dy = tangents" in text
    assert "_stack" not in text


def test_forward_mode_of_python_numbers_uses_the_numbers_variant():
    function = PROGRAMS["scalar-math-loop"][0]
    text = ad.source(ad.jvp(function, wrt=(0, 1)))
    assert "scalar_math_loop_jvp_numbers" in text
    value, tangent = ad.jvp(function, wrt=(0, 1))((0.3, 0.7), (1.0, 0.0))
    assert type(tangent) is float
    assert tangent == pytest.approx(ad.grad(function, wrt=(0, 1))(0.3, 0.7)[0], rel=1e-12)
