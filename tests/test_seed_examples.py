"""The worked examples from the PyTorch autograd tutorials (shared/seed-examples.md),
each checked against torch.autograd and finite differences."""

import numpy as np
import pytest
import torch

import adcompiler as ad
from oracles import assert_close, finite_difference_gradient, torch_gradients


# 1. Product rule on a matrix ------------------------------------------------
def product_rule(x):
    y = x * 2
    z = y * x
    return np.sum(z)


def test_product_rule_on_a_matrix_gives_4x_like_torch():
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    gradient = ad.grad(product_rule)(x)
    assert_close(gradient, [[4.0, 8.0], [12.0, 16.0]])
    (expected,) = torch_gradients(lambda t: torch.sum(t * 2 * t), [x], (0,))
    assert_close(gradient, expected)


# 2. Differentiating through control flow ------------------------------------
def control_flow(a):
    b = a * 2
    while np.linalg.norm(b) < 1000:
        b = b * 2
    if np.sum(b) > 0:
        c = b
    else:
        c = 100 * b
    return c


def control_flow_sum(a):
    b = a * 2
    while np.linalg.norm(b) < 1000:
        b = b * 2
    if np.sum(b) > 0:
        c = b
    else:
        c = 100 * b
    return np.sum(c)


def control_flow_scalar(a):
    b = a * 2
    while abs(b) < 1000:
        b = b * 2
    if b > 0:
        c = b
    else:
        c = 100 * b
    return c


def torch_control_flow(a):
    b = a * 2
    while b.norm() < 1000:
        b = b * 2
    c = b if b.sum() > 0 else 100 * b
    return c


@pytest.mark.parametrize("a", [[0.3, -0.2, 0.7], [-0.5, -0.1, 0.2], [1e-3, 2e-3, -4e-3]],
                         ids=["positive-sum", "negative-sum", "many-iterations"])
def test_control_flow_gradient_equals_c_over_a_like_torch(a):
    a = np.array(a)
    gradient = ad.grad(control_flow_sum)(a)
    (expected,) = torch_gradients(lambda t: torch_control_flow(t).sum(), [a], (0,))
    assert_close(gradient, expected)
    assert_close(gradient, control_flow(a) / a)


def test_control_flow_vjp_with_a_seed_of_ones_matches_backward():
    a = np.array([0.3, -0.2, 0.7])
    gradient = ad.vjp(control_flow)((a,), np.ones(3))
    (expected,) = torch_gradients(torch_control_flow, [a], (0,), seed=np.ones(3))
    assert_close(gradient, expected)


def test_control_flow_runs_eight_times_for_the_tutorial_input():
    # b = 2a doubles until its norm reaches 1000: with |a| ~ 2.08 that takes 8
    # doublings, so dc/da = 2 * 2**8 = 512 everywhere.
    a = np.array([1.2, 1.2, 1.2])
    assert_close(ad.grad(control_flow_sum)(a), [512.0, 512.0, 512.0])
    assert_close(ad.grad(control_flow_sum)(-a), [51200.0, 51200.0, 51200.0])


@pytest.mark.parametrize("a", [0.37, -0.37, np.float64(0.5)])
def test_control_flow_on_a_scalar_input(a):
    gradient = ad.grad(control_flow_scalar)(a)
    (expected,) = torch_gradients(torch_control_flow, [a], (0,))
    assert isinstance(gradient, float)
    assert_close(gradient, expected)


def test_grad_of_the_vector_valued_control_flow_function_asks_for_a_seed():
    with pytest.raises(ad.NonScalarOutputError) as info:
        ad.grad(control_flow)(np.array([0.3, -0.2, 0.7]))
    message = str(info.value)
    assert "shape (3,)" in message and "vjp" in message and "seed" in message
    assert "implicitly created only for scalar outputs" in message


# 3. grad versus backward: the MSE loss ---------------------------------------
def mse_loss(w, x, y):
    return np.mean((y - x * w) ** 2)


def test_mse_loss_gradient_of_one_argument():
    w, x, y = np.full(2, 2.0), np.ones(2), np.ones(2)
    assert_close(ad.grad(mse_loss, wrt=0)(w, x, y), [1.0, 1.0])
    assert_close(ad.grad(mse_loss, wrt="w")(w, x, y), [1.0, 1.0])


def test_mse_loss_gradients_of_several_arguments_like_backward_filling_every_leaf():
    w, x, y = np.full(2, 2.0), np.ones(2), np.ones(2)
    grads = ad.grad(mse_loss, wrt=(0, 1))(w, x, y)
    expected = torch_gradients(lambda w, x, y: torch.mean((y - x * w) ** 2), [w, x, y], (0, 1))
    assert isinstance(grads, tuple) and len(grads) == 2
    for got, want in zip(grads, expected):
        assert_close(got, want)


# 4. A vector output with a seed ----------------------------------------------
def softmax(a):
    e = np.exp(a)
    return e / np.sum(e)


@pytest.mark.parametrize("seed_kind", ["ones", "random"])
def test_softmax_vjp_with_any_seed_is_j_transpose_v(seed_kind):
    rng = np.random.default_rng(4)
    a = rng.standard_normal(4)
    seed = np.ones(4) if seed_kind == "ones" else rng.standard_normal(4)
    gradient = ad.vjp(softmax)((a,), seed)
    (expected,) = torch_gradients(lambda t: torch.exp(t) / torch.sum(torch.exp(t)), [a], (0,),
                                  seed=seed)
    assert_close(gradient, expected)
    assert_close(gradient, finite_difference_gradient(softmax, [a], 0, seed), rtol=1e-6)
    if seed_kind == "ones":
        assert_close(gradient, np.zeros(4), atol=1e-12)


# 5. Mean of a polynomial -------------------------------------------------------
def polynomial_mean(x):
    y = x + 2
    z = y * y * 3
    return z.mean()


def test_mean_of_a_polynomial_is_4_5_everywhere_and_never_accumulates():
    x = np.ones((2, 2))
    df = ad.grad(polynomial_mean)
    first, second = df(x), df(x)
    assert_close(first, np.full((2, 2), 4.5))
    assert_close(second, first)
    assert first is not second


# 6. A weighted vector-Jacobian product through a reshape --------------------------
def doubled_matrix(x):
    y = 2 * x
    return y.reshape(2, 2)


def test_seed_weights_each_output_through_a_reshape():
    x = np.array([1.0, 2.0, 3.0, 4.0])
    seed = np.array([[1.0, 0.1], [0.01, 0.001]])
    gradient = ad.vjp(doubled_matrix)((x,), seed)
    assert_close(gradient, [2.0, 0.2, 0.02, 0.002])
    (expected,) = torch_gradients(lambda t: (2 * t).reshape(2, 2), [x], (0,), seed=seed)
    assert_close(gradient, expected)


# 7. Dot product and squared norm ---------------------------------------------------
def twice_dot(x):
    return 2 * np.dot(x, x)


def squared_norm(a):
    return np.linalg.norm(a) ** 2


def test_twice_dot_product_gradient_is_4x():
    x = np.arange(4.0)
    assert_close(ad.grad(twice_dot)(x), [0.0, 4.0, 8.0, 12.0])


def test_squared_norm_gradient_is_2a_like_torch():
    a = np.random.default_rng(7).standard_normal(5)
    gradient = ad.grad(squared_norm)(a)
    assert_close(gradient, 2 * a)
    (expected,) = torch_gradients(lambda t: torch.linalg.norm(t) ** 2, [a], (0,))
    assert_close(gradient, expected)


# 8. The derivative of sin, without writing cos -------------------------------------
def sine(x):
    return np.sin(x)


def test_derivative_of_sin_equals_cos_on_a_grid():
    x = np.linspace(0, 2 * np.pi, 200)
    derivative = ad.vjp(sine)((x,), np.ones_like(x))
    assert_close(derivative, np.cos(x), rtol=1e-15, atol=1e-15)


# Forward mode and higher order on the same examples -------------------------------
FORWARD_CASES = {
    "product-rule": (product_rule, lambda t: torch.sum(t * 2 * t),
                     lambda: np.array([[1.0, 2.0], [3.0, 4.0]])),
    "control-flow": (control_flow, torch_control_flow, lambda: np.array([0.3, -0.2, 0.7])),
    "softmax": (softmax, lambda t: torch.exp(t) / torch.sum(torch.exp(t)),
                lambda: np.random.default_rng(4).standard_normal(4)),
    "polynomial-mean": (polynomial_mean, lambda t: ((t + 2) * (t + 2) * 3).mean(),
                        lambda: np.ones((2, 2))),
    "reshape": (doubled_matrix, lambda t: (2 * t).reshape(2, 2),
                lambda: np.array([1.0, 2.0, 3.0, 4.0])),
    "twice-dot": (twice_dot, lambda t: 2 * torch.dot(t, t), lambda: np.arange(4.0)),
    "squared-norm": (squared_norm, lambda t: torch.linalg.norm(t) ** 2,
                     lambda: np.random.default_rng(7).standard_normal(5)),
}


@pytest.mark.parametrize("name", sorted(FORWARD_CASES))
@pytest.mark.parametrize("mode, torch_jacobian", [("forward", torch.func.jacfwd),
                                                  ("reverse", torch.func.jacrev)])
def test_seed_example_jacobian_matches_torch_func(name, mode, torch_jacobian):
    function, twin, make_x = FORWARD_CASES[name]
    x = make_x()
    jac = ad.jacobian(function, mode=mode)(x)
    expected = torch_jacobian(twin)(torch.tensor(x)).numpy()
    assert_close(jac, expected)


@pytest.mark.parametrize("name", ["product-rule", "polynomial-mean", "twice-dot",
                                  "squared-norm"])
def test_seed_example_hessian_matches_torch_func_hessian(name):
    function, twin, make_x = FORWARD_CASES[name]
    x = make_x()
    expected = torch.func.hessian(twin)(torch.tensor(x)).numpy()
    assert_close(ad.hessian(function)(x), expected)


def test_mse_loss_jvp_in_both_arguments_matches_torch():
    w, x, y = np.full(2, 2.0), np.ones(2), np.ones(2)
    vw, vx = np.array([1.0, -1.0]), np.array([0.5, 0.25])
    value, tangent = ad.jvp(mse_loss, wrt=(0, 1))((w, x, y), (vw, vx))
    _, expected = torch.func.jvp(lambda w, x: torch.mean((torch.tensor(y) - x * w) ** 2),
                                 (torch.tensor(w), torch.tensor(x)),
                                 (torch.tensor(vw), torch.tensor(vx)))
    assert_close(value, mse_loss(w, x, y))
    assert_close(tangent, expected.numpy())
