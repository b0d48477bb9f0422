"""A module attribute the module lacks (np.trapz under NumPy 2), read on a
path the function does not take, is not a reason to refuse it: the
derivative raises Python's AttributeError where Python raises it, and is
compiled again if the module gains the attribute
(passes/missing_attributes.py). The derivatives are checked against torch."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import adcompiler as ad

POINT = np.array([0.2, 0.7, 1.3])
HAS_TRAPEZOID = hasattr(np, "trapezoid")


def area_on_either_numpy(y):
    if hasattr(np, "trapezoid"):
        return np.trapezoid(y ** 2, dx=0.5)
    return np.trapz(y ** 2, dx=0.5)   # NumPy 1 only


def area_by_a_module_flag(y):
    if HAS_TRAPEZOID:
        area = np.trapezoid(np.sin(y), dx=0.5)
    else:
        area = np.trapz(np.sin(y), dx=0.5)
    return area * y[0]


def constant_of_another_version(y):
    if y[0] > 100.0:
        scale = math.no_such_constant
    else:
        scale = 2.0
    return np.sum(y * scale)


def takes_the_missing_branch(y):
    if y[0] < 100.0:
        return np.no_such_function(y ** 2)
    return np.sum(y)


def twin_area(y):
    z = y ** 2
    return 0.5 * (torch.sum(z) - 0.5 * (z[0] + z[-1]))


def twin_area_by_flag(y):
    z = torch.sin(y)
    return 0.5 * (torch.sum(z) - 0.5 * (z[0] + z[-1])) * y[0]


def twin_constant(y):
    return torch.sum(y * 2.0)


def _torch_gradient(twin):
    point = torch.tensor(POINT, requires_grad=True)
    twin(point).backward()
    return point.grad.numpy()


@pytest.mark.parametrize("program, twin", [(area_on_either_numpy, twin_area),
                                           (area_by_a_module_flag, twin_area_by_flag),
                                           (constant_of_another_version, twin_constant)])
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_branch_reading_a_missing_attribute_does_not_stop_the_derivative(program, twin, mode):
    np.testing.assert_allclose(ad.grad(program, mode=mode)(POINT.copy()),
                               _torch_gradient(twin), rtol=1e-12, atol=1e-14)


def test_the_hessian_of_a_function_with_a_missing_attribute_matches_torch():
    want = torch.autograd.functional.hessian(twin_area_by_flag, torch.tensor(POINT))
    np.testing.assert_allclose(ad.hessian(area_by_a_module_flag)(POINT.copy()), want.numpy(),
                               rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("derivative", [ad.grad, lambda f: ad.grad(f, mode="forward"),
                                        ad.hessian], ids=["reverse", "forward", "hessian"])
def test_reading_the_missing_attribute_raises_pythons_attribute_error(derivative):
    with pytest.raises(AttributeError, match="no_such_function") as python:
        takes_the_missing_branch(POINT.copy())
    with pytest.raises(AttributeError) as derived:
        derivative(takes_the_missing_branch)(POINT.copy())
    assert str(derived.value) == str(python.value)


def test_the_generated_code_reads_the_attribute_where_python_does():
    text = ad.source(ad.grad(takes_the_missing_branch))
    assert "missing_attribute(np, 'no_such_function')" in text


def test_a_module_that_gains_the_attribute_gets_a_new_derivative(monkeypatch):
    gradient = ad.grad(takes_the_missing_branch)
    with pytest.raises(AttributeError):
        gradient(POINT.copy())
    monkeypatch.setattr(np, "no_such_function", np.sum, raising=False)
    np.testing.assert_allclose(gradient(POINT.copy()), 2.0 * POINT, rtol=1e-14)
