"""Higher-order derivatives: the forward transformation applied to generated
reverse-mode code (hessian, hvp), and derivatives of derivatives."""

import numpy as np
import pytest
import torch

import adcompiler as ad
from oracles import assert_close
from programs import PROGRAMS

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
    product = ad.hvp(function, wrt=position)(*args, v)
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
