"""The torch.autograd oracle several test modules share: a function's value,
gradient and Hessian-vector product at a point, computed by torch in
float64 on a torch twin of the function (or on the function itself, where
its code takes tensors as it takes arrays)."""

from __future__ import annotations

import numpy as np
import torch


def value_gradient_and_hvp(twin, point: np.ndarray, direction: np.ndarray):
    """(twin(point) as a number, its gradient, and its Hessian times
    `direction`, as NumPy arrays), by torch.autograd at float64.

        >>> value_gradient_and_hvp(lambda t: (t ** 3).sum(), np.array([1.0, 2.0]),
        ...                        np.array([1.0, 0.0]))[2]
        array([6., 0.])
    """
    at = torch.tensor(point, dtype=torch.float64, requires_grad=True)
    value = twin(at)
    gradient, = torch.autograd.grad(value, at, create_graph=True)
    product, = torch.autograd.grad(gradient, at, torch.tensor(direction, dtype=torch.float64))
    return value.item(), gradient.detach().numpy(), product.numpy()


# The derivatives `assert_matches_twin` compares, one per test parameter.
CHECKS = ("reverse", "forward", "jvp", "hvp")


def assert_matches_twin(program, twin, point: np.ndarray, direction: np.ndarray,
                        check: str) -> None:
    """Assert that adcompiler's `check` of `program` at `point` (one of
    CHECKS: the gradient by reverse or forward mode with the value, the jvp
    along `direction`, or H·direction) matches torch.autograd's of `twin`,
    and that the argument is left unchanged."""
    import adcompiler as ad

    value, gradient, product = value_gradient_and_hvp(twin, point, direction)
    given = point.copy()
    if check in ("reverse", "forward"):
        got = ad.grad(program, mode=check)(given)
        assert program(point.copy()) == ad.value_and_grad(program)(point.copy())[0]
        np.testing.assert_allclose(program(point.copy()), value, rtol=1e-13)
        np.testing.assert_allclose(got, gradient, rtol=1e-12, atol=1e-13)
    elif check == "jvp":
        got_value, tangent = ad.jvp(program)((given,), (direction.copy(),))
        assert got_value == program(point.copy())
        np.testing.assert_allclose(tangent, gradient @ direction, rtol=1e-12, atol=1e-13)
    else:
        got = ad.hvp(program)((given,), (direction.copy(),))
        np.testing.assert_allclose(np.ravel(got), product, rtol=1e-11, atol=1e-12)
    np.testing.assert_array_equal(given, point)   # the caller's array is never written
