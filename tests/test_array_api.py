"""Arrays that implement only the array API standard (array_api_strict here;
JAX's arrays are the same kind) are refused with NoDerivativeRuleError, by
every entry point, before a derivative of another type comes back: NumPy's
functions would convert them to NumPy arrays, and the functions of their
own namespace have no rules (docs/scaling.md). The documented way round,
NumPy arrays sharing their memory through DLPack, gives torch's gradient."""

from __future__ import annotations

import array_api_strict as xp
import numpy as np
import pytest
import torch

import adcompiler as ad
from adcompiler.errors import NoDerivativeRuleError
from oracles import torch_gradients


def numpy_loss(x):
    return np.sum(np.exp(x) * x)


def torch_numpy_loss(x):
    return torch.sum(torch.exp(x) * x)


def operators_only(x, w):
    return (x * w + 1.0) ** 2


def namespace_loss(x):
    namespace = x.__array_namespace__()
    return namespace.sum(namespace.exp(x) * x)


X = xp.asarray([0.5, -1.0, 2.0])
# Each entry point, called on array API arrays.
CALLS = {
    "grad": lambda: ad.grad(numpy_loss)(X),
    "value_and_grad": lambda: ad.value_and_grad(numpy_loss)(X),
    "grad of a result of the array's own operators": lambda: ad.grad(operators_only)(
        xp.asarray(2.0), xp.asarray(3.0)),
    "vjp": lambda: ad.vjp(operators_only)((X, X), xp.ones(3)),
    "jvp": lambda: ad.jvp(numpy_loss)((X,), (xp.ones(3),)),
    "forward-mode grad": lambda: ad.grad(numpy_loss, mode="forward")(X),
    "hessian": lambda: ad.hessian(numpy_loss)(X),
    "hvp": lambda: ad.hvp(numpy_loss)((X,), (xp.ones(3),)),
}


@pytest.mark.parametrize("entry_point", list(CALLS))
def test_an_array_api_only_array_is_refused_by_every_entry_point(entry_point):
    with pytest.raises(NoDerivativeRuleError, match="implements only the array API standard"):
        CALLS[entry_point]()


def test_a_call_of_the_arrays_own_namespace_is_refused_when_compiling():
    with pytest.raises(NoDerivativeRuleError, match="__array_namespace__"):
        ad.grad(namespace_loss)


def test_numpy_arrays_sharing_the_memory_give_torchs_gradient_converted_back():
    shared = np.from_dlpack(X)  # no copy for a CPU array

    gradient = xp.asarray(ad.grad(numpy_loss)(shared))

    assert isinstance(gradient, type(X))
    (expected,) = torch_gradients(torch_numpy_loss, (np.asarray(shared),), (0,))
    np.testing.assert_allclose(np.from_dlpack(gradient), expected, rtol=1e-12)
