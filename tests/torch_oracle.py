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
