"""`@ad.custom_gradient(vjp=..., jvp=...)`: a function whose derivative is given
in Python is differentiated with it wherever differentiated code calls it
(in loops, at second order when both are given), checked against torch."""

import numpy as np
import pytest
import torch
from torch.autograd.functional import hessian as torch_hessian

import adcompiler as ad

torch.set_default_dtype(torch.float64)

X = np.array([0.3, -1.2, 2.0])
Y = np.array([1.5, 0.5, -0.7])


def softplus_vjp(g, result, x):
    return (g / (1.0 + np.exp(-x)),)


def softplus_jvp(tangents, result, x):
    (t,) = tangents
    return t / (1.0 + np.exp(-x))


@ad.custom_gradient(vjp=softplus_vjp, jvp=softplus_jvp)
def softplus(x):
    return np.log1p(np.exp(x))


def weighted_vjp(g, result, x, y):
    return (g * y * np.cos(x * y), g * x * np.cos(x * y))


def weighted_jvp(tangents, result, x, y):
    tx, ty = tangents
    return np.cos(x * y) * (tx * y + x * ty)


@ad.custom_gradient(vjp=weighted_vjp, jvp=weighted_jvp)
def sin_product(x, y):
    return np.sin(x * y)


def loop_of_softplus(x):
    total = 0.0
    for k in range(1, 4):
        total = total + np.sum(softplus(x * k) ** 2)
    return total


def torch_loop_of_softplus(x):
    total = 0.0
    for k in range(1, 4):
        total = total + torch.sum(torch.nn.functional.softplus(x * k) ** 2)
    return total


def two_arguments(x, y):
    return np.sum(sin_product(x, y) * x)


def torch_two_arguments(x, y):
    return torch.sum(torch.sin(x * y) * x)


def torch_gradient(twin, *args):
    tensors = [torch.tensor(a, requires_grad=True) for a in args]
    return [g.numpy() for g in torch.autograd.grad(twin(*tensors), tensors)]


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_custom_gradient_in_a_loop_matches_torch(mode):
    (expected,) = torch_gradient(torch_loop_of_softplus, X)
    np.testing.assert_allclose(ad.grad(loop_of_softplus, mode=mode)(X), expected, rtol=1e-12)


def test_custom_gradient_of_two_arguments_matches_torch():
    dx, dy = ad.grad(two_arguments, wrt=(0, 1))(X, Y)
    expected_dx, expected_dy = torch_gradient(torch_two_arguments, X, Y)
    np.testing.assert_allclose(dx, expected_dx, rtol=1e-12)
    np.testing.assert_allclose(dy, expected_dy, rtol=1e-12)
    value, tangent = ad.jvp(two_arguments, wrt=(0, 1))((X, Y), (np.ones(3), -np.ones(3)))
    assert tangent == pytest.approx(expected_dx.sum() - expected_dy.sum(), rel=1e-12)


def test_hessian_through_a_custom_gradient_matches_torch():
    expected = torch_hessian(torch_loop_of_softplus, torch.tensor(X)).numpy()
    np.testing.assert_allclose(ad.hessian(loop_of_softplus)(X), expected, rtol=1e-10)


def test_reverse_over_reverse_through_a_custom_gradient_matches_torch():
    expected = torch_hessian(torch_loop_of_softplus, torch.tensor(X)).numpy()
    np.testing.assert_allclose(ad.jacobian(ad.grad(loop_of_softplus))(X), expected,
                               rtol=1e-10)


def clip_vjp(g, result, x):
    return (np.clip(g, -1.0, 1.0),)


@ad.custom_gradient(vjp=clip_vjp)
def clip_gradient(x):
    return x


def clipped_loss(x):
    return np.sum(clip_gradient(x * 10.0) ** 2) / 10.0


def test_the_custom_vjp_is_used_instead_of_the_body():
    # d/dx of the body would be 2 * (10 x) * 10 / 10 = 20 x; the clipped
    # adjoint of 2 * (10 x) / 10 is clip(2 x, -1, 1), times 10 through x * 10.
    expected = np.clip(2.0 * X, -1.0, 1.0) * 10.0
    np.testing.assert_allclose(ad.grad(clipped_loss)(X), expected, rtol=1e-14)


def test_forward_mode_without_a_jvp_is_refused_when_compiling():
    with pytest.raises(ad.NoDerivativeRuleError, match="reverse-mode derivative only") as err:
        ad.jvp(clipped_loss)
    assert "test_custom_gradient.py" in str(err.value)
    assert "return np.sum(clip_gradient(x * 10.0) ** 2) / 10.0" in str(err.value)


def test_the_generated_code_calls_the_functions_given_by_name():
    code = ad.source(ad.grad(loop_of_softplus))
    assert "softplus_vjp(" in code
    assert "softplus_jvp(" in ad.source(ad.jvp(loop_of_softplus))


@ad.custom_gradient(vjp=lambda g, result, x: (g * 3.0 * x ** 2,),
                    jvp=lambda tangents, result, x: 3.0 * x ** 2 * tangents[0])
def cube_by_lambdas(x):
    return x ** 3


def loss_of_cube_by_lambdas(x):
    return np.sum(np.sin(cube_by_lambdas(x)))


def test_a_vjp_and_jvp_written_as_lambdas_are_called_under_a_name_of_their_own():
    expected = np.cos(X ** 3) * 3.0 * X ** 2
    np.testing.assert_allclose(ad.grad(loss_of_cube_by_lambdas)(X), expected, rtol=1e-14)
    np.testing.assert_allclose(ad.grad(loss_of_cube_by_lambdas, mode="forward")(X), expected,
                               rtol=1e-14)
    assert "rule_helper(" in ad.source(ad.grad(loss_of_cube_by_lambdas))


def test_calling_a_custom_gradient_function_calls_it():
    assert softplus(0.0) == pytest.approx(np.log(2.0))
    assert softplus.__name__ == "softplus" and "custom_gradient" in repr(softplus)


@pytest.mark.parametrize("make, message", [
    (lambda: ad.custom_gradient(lambda *a: a[0], vjp=clip_vjp), "plain parameters"),
    (lambda: ad.custom_gradient(lambda g: g, vjp=clip_vjp), "reserve"),
    (lambda: ad.custom_gradient(lambda x: x, vjp=3.0), "must be a function"),
])
def test_a_malformed_custom_gradient_is_refused_when_defined(make, message):
    with pytest.raises(ad.RuleDefinitionError, match=message):
        make()


def test_a_custom_gradient_function_can_be_differentiated_directly():
    sigmoid = 1.0 / (1.0 + np.exp(-X))
    np.testing.assert_allclose(ad.vjp(softplus)((X,), np.ones(3)), sigmoid, rtol=1e-14)
    np.testing.assert_allclose(ad.jacobian(softplus, mode="forward")(X), np.diag(sigmoid),
                               rtol=1e-14)
    second = ad.derivative(ad.derivative(softplus))(0.5)
    s = 1.0 / (1.0 + np.exp(-0.5))
    assert second == pytest.approx(s * (1.0 - s), rel=1e-12)
    assert "softplus" in repr(ad.vjp(softplus))
