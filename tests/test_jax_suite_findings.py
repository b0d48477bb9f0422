"""Derivatives that JAX's own test cases (tests/jax_suite_survey.py) found
wrong or crashing, checked against torch, and against finite differences
where torch has no twin or gives another answer."""

import numpy as np
import pytest
import torch

import adcompiler as ad


def solve_then_sine(a, b):
    return np.sum(np.sin(np.linalg.solve(a, b)))


def torch_solve_then_sine(a, b):
    """NumPy's broadcasting of solve written out for torch: b is a vector (per
    matrix of the stack) only when it is 1-d; otherwise a stack of matrices."""
    batch = torch.broadcast_shapes(a.shape[:-2], b.shape[:-2] if b.ndim > 1 else ())
    a = a.expand(batch + a.shape[-2:])
    if b.ndim == 1:
        return torch.sin(torch.linalg.solve(a, b.expand(batch + b.shape)[..., None])).sum()
    return torch.sin(torch.linalg.solve(a, b.expand(batch + b.shape[-2:]))).sum()


# (a's shape, b's shape): a stack against one vector, one matrix, a broadcast
# stack, and one matrix against a stack (JAX's testSolveBroadcasting).
SOLVE_SHAPES = [((2, 2, 2), (2,)), ((2, 2, 2, 2), (2,)), ((2, 2, 2), (2, 2)),
                ((2, 2, 2, 2), (2, 2, 2)), ((3, 1, 2, 2), (4, 2, 1)), ((2, 2), (3, 2, 2))]


@pytest.mark.parametrize("a_shape, b_shape", SOLVE_SHAPES)
def test_hessian_of_a_broadcast_solve_matches_torch(a_shape, b_shape):
    # The second-order rules of solve's adjoints summed a⁻ᵀ G to b's shape before
    # multiplying by x, and took a 1-d b's stack of solutions for a matrix.
    rng = np.random.default_rng(len(a_shape) * 10 + len(b_shape))
    a = rng.normal(size=a_shape) * 0.3 + 2.0 * np.eye(a_shape[-1])
    b = rng.normal(size=b_shape)
    got = ad.hessian(solve_then_sine, wrt=(0, 1))(a, b)
    want = torch.autograd.functional.hessian(torch_solve_then_sine,
                                             (torch.tensor(a), torch.tensor(b)))
    for i in range(2):
        for j in range(2):
            np.testing.assert_allclose(got[i][j], want[i][j].numpy(), rtol=1e-9, atol=1e-11)
    directions = (rng.normal(size=a_shape), rng.normal(size=b_shape))
    product = ad.hvp(solve_then_sine, wrt=(0, 1))((a, b), directions)
    for i in range(2):
        expected = sum(np.tensordot(want[i][j].numpy(), directions[j], axes=directions[j].ndim)
                       for j in range(2))
        np.testing.assert_allclose(product[i], expected, rtol=1e-9, atol=1e-11)


def determinant(a):
    return np.linalg.det(a)


def squared_determinants(a):
    return np.sum(np.linalg.det(a) ** 2)


# Singular matrices of JAX's testDetGrad and testDetGradOfSingularMatrixCorank1/2:
# the derivative of det is the cofactor matrix, not zero at rank n - 1.
SINGULAR = {
    "zero matrix": np.zeros((3, 3)),
    "rank 2 of 3": np.array([[50.0, -30.0, 45.0], [-30.0, 90.0, -81.0], [45.0, -81.0, 81.0]]),
    "rank 1 of 3": np.outer([1.0, 2.0, 3.0], [4.0, 5.0, 6.0]),
    "rank 1 of 2": np.array([[1.0, 2.0], [2.0, 4.0]]),
}


def cofactors(a):
    """The cofactor matrix, from its definition (minors with signs)."""
    n = len(a)
    out = np.zeros_like(a)
    for i in range(n):
        for j in range(n):
            minor = np.delete(np.delete(a, i, axis=0), j, axis=1)
            out[i, j] = (-1) ** (i + j) * (np.linalg.det(minor) if n > 1 else 1.0)
    return out


@pytest.mark.parametrize("name", list(SINGULAR))
def test_gradient_of_det_at_a_singular_matrix_is_the_cofactor_matrix(name):
    # It crashed with LinAlgError (the rule took a⁻ᵀ). torch answers 0 at rank
    # n - 1, which finite differences of the polynomial det contradict.
    a = SINGULAR[name]
    np.testing.assert_allclose(ad.grad(determinant)(a), cofactors(a), atol=1e-9)
    direction = np.random.default_rng(3).normal(size=a.shape)
    step = 1e-5
    differences = (determinant(a + step * direction) - determinant(a - step * direction)) / (2 * step)
    _, tangent = ad.jvp(determinant)((a,), (direction,))
    np.testing.assert_allclose(tangent, differences, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(tangent, np.sum(cofactors(a) * direction), rtol=1e-9, atol=1e-9)


def test_det_of_a_stack_matches_torch_to_second_order_in_both_modes():
    a = np.random.default_rng(0).normal(size=(2, 3, 3))
    point = torch.tensor(a, requires_grad=True)
    value = (torch.linalg.det(point) ** 2).sum()
    gradient, = torch.autograd.grad(value, point)
    hessian = torch.autograd.functional.hessian(lambda x: (torch.linalg.det(x) ** 2).sum(),
                                                torch.tensor(a))
    np.testing.assert_allclose(ad.grad(squared_determinants)(a), gradient.numpy(), rtol=1e-10)
    np.testing.assert_allclose(ad.hessian(squared_determinants)(a), hessian.numpy(),
                               rtol=1e-9, atol=1e-10)
    direction = np.random.default_rng(1).normal(size=a.shape)
    along = np.tensordot(hessian.numpy(), direction, axes=3)
    second = ad.derivative(ad.derivative(lambda t: squared_determinants(a + t * direction)))
    np.testing.assert_allclose(second(0.0), np.sum(along * direction), rtol=1e-9)
