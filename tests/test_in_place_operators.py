"""`y op= v` on a NumPy array works in place: the array keeps its dtype and
shape, NumPy casting the value ('same_kind') and refusing to broadcast the
array larger. The derivative computes what the function computes, so it keeps
them too, and raises where the function raises; on numbers and lists `op=`
is what Python makes of it."""

import numpy as np
import pytest
import torch

import adcompiler as ad


def add_float64_into_float32(x, v):
    y = x * 1.0
    y += v
    return np.sum(y * y)


def scale_float32_by_float64(x, v):
    y = x * 2.0
    y *= v
    y -= v
    y /= 1.5
    return np.sum(np.sin(y))


def add_floats_into_ints(x):
    counts = np.zeros(3, dtype=int)
    counts += x
    return np.sum(counts * x)


def grow_by_broadcasting(x, v):
    y = x[:1] * 1.0
    y += v
    return np.sum(y)


def numbers_and_lists(x):
    total = 0.0
    steps = []
    for k in range(3):
        total += np.sum(x) * k
        steps += [k]
    return total * len(steps)


def _float32_twin(x, v):
    y = x * 1.0
    y = (y.double() + v).float()
    return torch.sum(y * y)


def _scale_twin(x, v):
    y = x * 2.0
    y = (y.double() * v).float()
    y = (y.double() - v).float()
    y = y / 1.5
    return torch.sum(torch.sin(y))


FLOAT32_CASES = [
    (add_float64_into_float32, _float32_twin),
    (scale_float32_by_float64, _scale_twin),
]


@pytest.mark.parametrize("function, twin", FLOAT32_CASES, ids=lambda f: f.__name__)
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_in_place_operator_on_float32_keeps_float32_like_numpy(function, twin, mode):
    x = np.array([1.1, 2.2, 3.3], dtype=np.float32)
    v = np.array([0.1, 0.2, 0.3])
    expected = function(x, v)
    assert isinstance(expected, np.float32)
    value, gradient = ad.value_and_grad(function)(x, v) if mode == "reverse" else \
        (function(x, v), ad.grad(function, mode="forward")(x, v))
    assert value == expected and type(value) is type(expected)
    tx = torch.tensor(x, requires_grad=True)
    twin(tx, torch.tensor(v)).backward()
    assert gradient.dtype == np.float32
    np.testing.assert_allclose(gradient, tx.grad.numpy(), rtol=1e-5)


@pytest.mark.parametrize("function, args, error", [
    (add_floats_into_ints, (np.array([0.5, 1.5, 2.5]),), TypeError),
    (grow_by_broadcasting, (np.array([1.0, 2.0]), np.array([1.0, 2.0, 3.0])), ValueError),
], ids=["float-into-int-array", "broadcast-larger"])
@pytest.mark.parametrize("derivative", [
    ad.grad, ad.value_and_grad, lambda f: ad.grad(f, mode="forward")],
    ids=["grad", "value_and_grad", "forward"])
def test_in_place_operator_raises_where_numpy_raises(function, args, error, derivative):
    with pytest.raises(error):
        function(*args)
    with pytest.raises(error):
        derivative(function)(*args)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_in_place_operator_on_numbers_and_lists_matches_torch(mode):
    x = np.array([0.3, -1.2, 2.0])
    gradient = ad.grad(numbers_and_lists, mode=mode)(x)
    tx = torch.tensor(x, requires_grad=True)
    (sum(torch.sum(tx) * k for k in range(3)) * 3).backward()
    np.testing.assert_allclose(gradient, tx.grad.numpy(), rtol=1e-12)
    assert ad.value_and_grad(numbers_and_lists)(x)[0] == numbers_and_lists(x)


def test_variant_for_python_numbers_adds_plainly():
    """On Python numbers `s += v` stays `s = s + v` in the generated code."""
    def running_sum(x):
        s = 0.0
        for k in range(4):
            s += x * k
        return s
    source = ad.source(ad.grad(running_sum))
    numbers_variant = source.split("def running_sum_grad_arrays")[0]
    assert "in_place_result" not in numbers_variant
    assert ad.grad(running_sum)(2.0) == 6.0
