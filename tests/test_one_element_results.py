"""A result of one element (shape (1,) or (1, 1)) is a scalar for grad,
hessian and their kin, as for torch's backward() and autograd's grad: the
derivative is that of its one value, and the value keeps its shape."""

import numpy as np
import pytest
import torch

import adcompiler as ad

torch.set_default_dtype(torch.float64)


def kept_sum(x):
    return np.sum(np.sin(x) * x, keepdims=True)


def kept_sum_torch(x):
    return torch.sum(torch.sin(x) * x, dim=(0, 1), keepdim=True)


def row_times_vector(x):
    w = np.array([[0.2, -0.4, 0.9]])
    return np.tanh(w @ x[:, 0]) ** 2


def row_times_vector_torch(x):
    w = torch.tensor([[0.2, -0.4, 0.9]])
    return torch.tanh(w @ x[:, 0]) ** 2


def column_norm(x):
    return np.sqrt(np.sum(x ** 2, axis=0, keepdims=True)) * np.exp(x[0])


def column_norm_torch(x):
    return torch.sqrt(torch.sum(x ** 2, dim=0, keepdim=True)) * torch.exp(x[0])


CASES = [(kept_sum, kept_sum_torch), (row_times_vector, row_times_vector_torch),
         (column_norm, column_norm_torch)]
X = np.array([[0.3], [0.5], [-1.0]])


def torch_gradient_and_hessian(twin, x):
    tensor = torch.tensor(x, requires_grad=True)
    out = twin(tensor)
    assert out.numel() == 1
    (gradient,) = torch.autograd.grad(out.sum(), tensor, create_graph=True)
    flat = gradient.reshape(-1)
    hessian = torch.stack([torch.autograd.grad(flat[i], tensor, retain_graph=True)[0].reshape(-1)
                           for i in range(flat.numel())])
    return gradient.detach().numpy(), hessian.detach().numpy()


@pytest.mark.parametrize("function, twin", CASES, ids=[c[0].__name__ for c in CASES])
def test_gradient_of_a_one_element_result_matches_torch_in_both_modes(function, twin):
    expected, _ = torch_gradient_and_hessian(twin, X)
    for mode in ("reverse", "forward"):
        gradient = ad.grad(function, mode=mode)(X.copy())
        assert gradient.shape == X.shape
        np.testing.assert_allclose(gradient, expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("function, twin", CASES, ids=[c[0].__name__ for c in CASES])
def test_value_keeps_its_shape_and_the_hessian_matches_torch(function, twin):
    expected_gradient, expected_hessian = torch_gradient_and_hessian(twin, X)
    value, gradient = ad.value_and_grad(function)(X.copy())
    np.testing.assert_array_equal(value, function(X.copy()))
    assert value.shape == np.shape(function(X.copy()))
    np.testing.assert_allclose(gradient, expected_gradient, rtol=1e-12, atol=1e-14)
    hessian = ad.hessian(function)(X.copy())
    np.testing.assert_allclose(np.reshape(hessian, expected_hessian.shape), expected_hessian,
                               rtol=1e-10, atol=1e-12)


def test_a_one_element_loss_with_aux_data_matches_torch():
    def loss(x):
        return kept_sum(x), {"size": x.size}
    gradient, aux = ad.grad(loss, has_aux=True)(X.copy())
    expected, _ = torch_gradient_and_hessian(kept_sum_torch, X)
    np.testing.assert_allclose(gradient, expected, rtol=1e-12, atol=1e-14)
    assert aux == {"size": 3}


def two_elements(x):
    return np.sum(x, axis=1)[:2]


def test_a_result_of_more_than_one_element_is_still_refused_naming_its_shape():
    with pytest.raises(ad.NonScalarOutputError, match=r"shape \(2,\)"):
        ad.grad(two_elements)(X.copy())
