"""A NumPy or `math` function with a derivative rule is differentiated
directly, as JAX's and autograd's users write it: `ad.grad(np.tanh)`,
`ad.jvp(np.linalg.det)`, `ad.hessian(np.sum)`. adcompiler writes the call
as a function of its own (partials.primitive_as_function) and differentiates
that, so every mode and order a rule has is available."""

import math

import numpy as np
import pytest
import torch

import adcompiler as ad
from adcompiler import partials
from oracles import torch_directional, torch_gradients

VECTOR = np.array([0.3, -1.1, 0.7])
MATRIX = np.array([[2.0, 0.5, -0.3], [0.1, 1.5, 0.4], [-0.2, 0.3, 1.2]])

# (primitive, arguments, the same function of torch tensors)
SCALAR_RESULTS = [
    (np.tanh, (0.4,), torch.tanh),
    (np.sin, (0.4,), torch.sin),
    (np.exp, (0.4,), torch.exp),
    (np.log1p, (0.4,), torch.log1p),
    (math.exp, (0.4,), torch.exp),
    (math.sqrt, (0.4,), torch.sqrt),
    (math.atan2, (0.4, -1.3), torch.atan2),
    (np.arctan2, (0.4, -1.3), torch.atan2),
    (np.hypot, (0.4, -1.3), torch.hypot),
    (np.power, (1.4, 2.5), torch.pow),
    (abs, (-0.4,), torch.abs),
    (np.sum, (VECTOR,), torch.sum),
    (np.prod, (VECTOR,), torch.prod),
    (np.linalg.norm, (VECTOR,), torch.linalg.norm),
    (np.dot, (VECTOR, VECTOR[::-1].copy()), torch.dot),
    (np.matmul, (VECTOR, VECTOR[::-1].copy()), torch.matmul),
    (np.linalg.det, (MATRIX,), torch.linalg.det),
    (np.trace, (MATRIX,), torch.trace),
]
IDS = [getattr(p, "__name__", str(p)) for p, _, _ in SCALAR_RESULTS]


@pytest.mark.parametrize("primitive, args, twin", SCALAR_RESULTS, ids=IDS)
def test_gradient_of_a_rule_backed_function_matches_torch(primitive, args, twin):
    every = tuple(range(len(args)))
    gradient = ad.grad(primitive, wrt=every)(*args)
    for ours, theirs in zip(gradient, torch_gradients(twin, args, every)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("primitive, args, twin", SCALAR_RESULTS, ids=IDS)
def test_jvp_of_a_rule_backed_function_matches_torch(primitive, args, twin):
    directions = tuple(np.full_like(np.asarray(a, dtype=float), 0.5 + k)
                       if np.ndim(a) else 0.5 + k for k, a in enumerate(args))
    every = tuple(range(len(args)))
    value, tangent = ad.jvp(primitive, wrt=every)(args, directions)
    _, expected = torch_directional(twin, args, every, directions)
    np.testing.assert_allclose(value, primitive(*args), rtol=1e-14)
    np.testing.assert_allclose(tangent, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("primitive, args, twin", [
    row for row in SCALAR_RESULTS if len(row[1]) == 1 and row[0] is not abs],
    ids=[i for i, row in zip(IDS, SCALAR_RESULTS) if len(row[1]) == 1 and row[0] is not abs])
def test_hessian_of_a_rule_backed_function_matches_torch(primitive, args, twin):
    expected = torch.autograd.functional.hessian(
        twin, torch.tensor(args[0], dtype=torch.float64)).numpy()
    np.testing.assert_allclose(ad.hessian(primitive)(*args), expected, rtol=1e-10,
                               atol=1e-12)


def test_second_derivative_of_a_rule_backed_function_by_nesting_grad():
    second = ad.grad(ad.grad(np.tanh))(0.4)
    assert second == pytest.approx(-2 * np.tanh(0.4) * (1 - np.tanh(0.4) ** 2), rel=1e-14)


def test_chosen_parameters_are_passed_on():
    # np.sum's axis is written; its out=, dtype= and where= are not.
    assert partials.primitive_source(np.sum) == (
        "def sum_call(a, axis=axis_default):\n    return sum(a, axis)")
    jacobian = ad.jacobian(np.sum)(MATRIX, axis=0)
    # result[j] = sum_i M[i, j], so d result[j] / d M[i, k] = (j == k)
    expected = np.array([[[float(j == k) for k in range(3)] for _ in range(3)]
                         for j in range(3)])
    np.testing.assert_array_equal(jacobian, expected)


def test_a_rule_without_derivative_gives_zero_with_the_usual_warning():
    with pytest.warns(ad.AdWarning, match="np.floor"):
        assert ad.grad(np.floor)(1.5) == 0.0


def test_the_derivative_is_compiled_once():
    assert ad.grad(np.tanh) is ad.grad(np.tanh)
    assert partials.primitive_as_function(np.cos) is partials.primitive_as_function(np.cos)


def test_a_builtin_without_a_signature_is_refused_clearly():
    with pytest.raises(ad.SourceUnavailableError, match="max"):
        ad.grad(max)(1.0, 2.0)


def test_the_generated_code_reads_as_a_call_of_the_function():
    text = ad.source(ad.grad(np.tanh))
    assert "_t1 = tanh(x)" in text and "dx = d_t1 * (1 - _t1 * _t1)" in text
