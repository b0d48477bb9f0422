"""Higher-order derivatives: the forward transformation applied to generated
reverse-mode code (hessian, hvp), and derivatives of derivatives."""

import numpy as np
import pytest
import torch

import adcompiler as ad
from oracles import assert_close
from programs import PROGRAMS, recursive_power

# Programs whose gradient is differentiable at the test point (no kinks).
SMOOTH = sorted(name for name in PROGRAMS
                if name not in ("broadcasting-operands",))


def torch_hvp(torch_twin, args, position, v):
    def restricted(x):
        full = [a if isinstance(a, int) else torch.tensor(np.asarray(a, dtype=np.float64))
                for a in args]
        full[position] = x
        return torch_twin(*full)
    x = torch.tensor(np.asarray(args[position], dtype=np.float64))
    _, product = torch.autograd.functional.hvp(restricted, x,
                                               torch.tensor(np.asarray(v, dtype=np.float64)))
    return product.numpy()


@pytest.mark.parametrize("name", SMOOTH)
def test_hessian_vector_product_matches_torch(name):
    function, torch_twin, make_args, wrt = PROGRAMS[name]
    args = make_args()
    position = wrt[0]
    v = np.random.default_rng(2).standard_normal(np.shape(args[position]))
    if not isinstance(args[position], np.ndarray):
        v = float(v)
    product = ad.hvp(function, wrt=position)(tuple(args), (v,))
    assert_close(product, torch_hvp(torch_twin, args, position, v), rtol=1e-6, atol=1e-8,
                 label=name)


def rosenbrock(x):
    a = x[:-1]
    b = x[1:]
    return np.sum(100.0 * (b - a * a) ** 2 + (1.0 - a) ** 2)


def test_hessian_of_rosenbrock_matches_torch():
    x = np.array([0.3, -0.8, 1.2, 0.5])
    expected = torch.func.hessian(
        lambda t: torch.sum(100.0 * (t[1:] - t[:-1] ** 2) ** 2 + (1.0 - t[:-1]) ** 2))(
        torch.tensor(x)).numpy()
    hessian = ad.hessian(rosenbrock)(x)
    assert hessian.shape == (4, 4)
    assert_close(hessian, expected)
    assert_close(hessian, hessian.T)


def cube(x):
    return x * x * x


def test_grad_of_jvp_and_jvp_of_grad_compose():
    second = ad.derivative(ad.grad(cube))
    assert second(2.0) == pytest.approx(12.0)
    third = ad.derivative(ad.derivative(ad.grad(cube)))
    assert third(2.0) == pytest.approx(6.0)


def test_generated_gradient_code_is_valid_compiler_input():
    gradient = ad.grad(PROGRAMS["nested-loops-with-branches"][0], wrt=0)
    text = ad.source(ad.jvp(gradient))
    assert "d_stack.append(" in text and "d_stack.pop()" in text


def looped_sine(x):
    s = x * 1.0
    for i in range(3):
        s = np.sin(s) * x
    return s


def t_looped_sine(x):
    s = x * 1.0
    for i in range(3):
        s = torch.sin(s) * x
    return s


def tanh_helper(x, w):
    return np.tanh(x * w)


def helper_then_while(x):
    y = tanh_helper(x, 2.0)
    k = 0
    while k < 2:
        y = y * y + x
        k = k + 1
    if y > 0.5:
        y = y * 3.0
    return y


def t_helper_then_while(x):
    y = torch.tanh(x * 2.0)
    for _ in range(2):
        y = y * y + x
    if y > 0.5:
        y = y * 3.0
    return y


def torch_second_derivative(torch_fn, x):
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    (first,) = torch.autograd.grad(torch_fn(t), t, create_graph=True)
    (second,) = torch.autograd.grad(first, t)
    return float(second)


def quartic_by_recursion(x):
    return recursive_power(x, 4)


SCALAR_PROGRAMS = {
    "loop-with-overwrites": (looped_sine, t_looped_sine, 0.7),
    "helper-while-and-branch": (helper_then_while, t_helper_then_while, 0.3),
    "recursive-helper": (quartic_by_recursion, lambda t: t ** 4, 0.4),
}


@pytest.mark.parametrize("name", sorted(SCALAR_PROGRAMS))
def test_grad_of_grad_reverse_over_reverse_matches_torch_double_backward(name):
    function, torch_twin, x = SCALAR_PROGRAMS[name]
    second = ad.grad(ad.grad(function))(x)
    assert second == pytest.approx(torch_second_derivative(torch_twin, x), rel=1e-10)


@pytest.mark.parametrize("name", sorted(SCALAR_PROGRAMS))
def test_every_mix_of_modes_gives_the_same_second_derivative(name):
    function, _, x = SCALAR_PROGRAMS[name]
    reverse_reverse = ad.grad(ad.grad(function))(x)
    forward_reverse = ad.derivative(ad.grad(function))(x)
    forward_forward = ad.derivative(ad.derivative(function))(x)
    for other in (forward_reverse, forward_forward):
        assert other == pytest.approx(reverse_reverse, rel=1e-10)


def test_reverse_over_forward_differentiates_the_tuple_a_jvp_returns():
    for name, (function, torch_twin, x) in SCALAR_PROGRAMS.items():
        second = ad.grad(ad.derivative(function))(x)
        assert second == pytest.approx(torch_second_derivative(torch_twin, x), rel=1e-10), name


def test_third_derivative_through_three_transformations():
    third = ad.derivative(ad.derivative(ad.grad(looped_sine)))(0.7)
    h = 1e-4
    second = ad.derivative(ad.grad(looped_sine))
    assert third == pytest.approx((second(0.7 + h) - second(0.7 - h)) / (2 * h), rel=1e-6)


def cubed_sines(x):
    return np.sum(np.sin(x) ** 3)


def t_cubed_sines(x):
    return torch.sum(torch.sin(x) ** 3)


@pytest.mark.parametrize("assembled", [
    lambda: ad.hessian(cubed_sines),
    lambda: ad.jacobian(ad.grad(cubed_sines)),
    lambda: ad.grad(cubed_sines, mode="forward"),
], ids=["hessian", "jacobian", "forward-mode grad"])
def test_a_derivative_assembled_in_python_is_refused_with_what_differentiates_again(assembled):
    with pytest.raises(ad.SourceUnavailableError) as info:
        ad.jacobian(assembled())
    assert "assembles it in Python from several derivative sweeps" in str(info.value)
    assert "api.py" not in str(info.value)
    assert "ad.jacobian(ad.hvp(f))" in info.value.help


def test_third_derivatives_through_the_jacobian_of_an_hvp_match_torch():
    # what the refusal above suggests: d/dx (H(x) v), the third derivative along v
    x, v = np.array([0.3, -0.5, 1.1]), np.array([1.0, 0.5, -2.0])
    third = ad.jacobian(ad.hvp(cubed_sines))((x,), (v,))[0]
    expected = torch.func.jacfwd(lambda t: torch.func.jvp(
        torch.func.grad(t_cubed_sines), (t,), (torch.tensor(v),))[1])(torch.tensor(x))
    assert_close(third, expected.numpy(), label="d(H v)/dx")
