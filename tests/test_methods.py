"""Methods of user objects: `ad.grad(model.loss)` differentiates with respect
to the explicit parameters, calls on `self` and on module-level objects are
differentiated like helpers, and attributes are read when the derivative runs."""

import numpy as np
import pytest
import torch

import adcompiler as ad
import method_cases as cases
from oracles import assert_close, finite_difference_gradient, torch_gradients

W = np.array([[0.3, -0.5], [0.8, 0.1], [-0.2, 0.4]])
X = np.array([[1.0, 0.5, -0.3], [0.2, -1.0, 0.7]])
Y = np.array([[0.5, -0.1], [0.0, 0.3]])


def torch_loss_gradient(model, shifted=False):
    def twin(w, x, y):
        return cases.t_loss(model, w, x, y, shifted)
    return torch_gradients(twin, (W, X, Y), (0,))[0]


def test_gradient_of_a_bound_method_matches_torch():
    model = cases.Regressor(2.0, np.array([0.1, -0.2]))
    gradient = ad.grad(model.loss)(W, X, Y)
    assert_close(gradient, torch_loss_gradient(model))
    assert_close(gradient, finite_difference_gradient(model.loss, (W, X, Y), 0), rtol=1e-5)


def test_wrt_counts_the_explicit_parameters_of_a_bound_method():
    model = cases.Regressor(2.0, np.array([0.1, -0.2]))
    by_number = ad.grad(model.loss, wrt=(0, 1))(W, X, Y)
    by_name = ad.grad(model.loss, wrt=("w", "x"))(W, X, Y)
    twin = lambda w, x, y: cases.t_loss(model, w, x, y)  # noqa: E731
    for got_number, got_name, want in zip(by_number, by_name,
                                          torch_gradients(twin, (W, X, Y), (0, 1))):
        assert_close(got_number, want)
        assert_close(got_name, want)


def test_wrt_naming_the_bound_object_is_an_error():
    model = cases.Regressor(2.0, np.array([0.1, -0.2]))
    with pytest.raises(ad.WrtError, match="object the method is bound to"):
        ad.grad(model.loss, wrt="self")


def test_a_subclass_override_is_the_method_called():
    shifted = cases.ShiftedRegressor(1.0, np.array([0.2, 0.0]))
    plain = cases.Regressor(1.0, np.array([0.2, 0.0]))
    assert_close(ad.grad(shifted.loss)(W, X, Y), torch_loss_gradient(shifted, shifted=True))
    assert_close(ad.grad(plain.loss)(W, X, Y), torch_loss_gradient(plain))


def test_attributes_are_read_when_the_derivative_runs():
    model = cases.Regressor(2.0, np.array([0.1, -0.2]))
    gradient = ad.grad(model.loss)
    model.scale = 3.0
    assert_close(gradient(W, X, Y), torch_loss_gradient(model))


def test_the_derivative_is_bound_to_its_object_and_cached_per_class():
    first = cases.Regressor(2.0, np.array([0.1, -0.2]))
    second = cases.Regressor(0.5, np.array([0.0, 0.3]))
    assert ad.grad(first.loss).__self__ is first
    assert ad.grad(first.loss).__func__ is ad.grad(second.loss).__func__
    assert_close(ad.grad(second.loss)(W, X, Y), torch_loss_gradient(second))
    text = ad.source(ad.grad(first.loss))
    assert "def loss_grad(self, w, x, y):" in text and "predict_primal(" in text


def test_methods_of_a_module_level_object_are_differentiated_like_helpers():
    gradient = ad.grad(cases.uses_a_module_level_model)(W, X, Y)
    (want,) = torch_gradients(cases.t_uses_a_module_level_model, (W, X, Y), (0,))
    assert_close(gradient, want)


def test_jvp_hessian_and_hvp_of_a_bound_method_match_torch():
    model = cases.Regressor(2.0, np.array([0.1, -0.2]))
    v = np.random.default_rng(0).standard_normal(W.shape)

    def in_w(w):
        return cases.t_loss(model, w, torch.tensor(X), torch.tensor(Y))

    value, tangent = ad.jvp(model.loss)((W, X, Y), (v,))
    want_value, want_tangent = torch.func.jvp(in_w, (torch.tensor(W),), (torch.tensor(v),))
    assert_close(value, want_value.numpy())
    assert_close(tangent, want_tangent.numpy())
    hessian = torch.func.hessian(in_w)(torch.tensor(W)).numpy()
    assert_close(ad.hessian(model.loss)(W, X, Y), hessian)
    assert_close(ad.hvp(model.loss)((W, X, Y), (v,)),
                 np.tensordot(hessian, v, axes=2))


def test_a_method_of_an_attribute_is_reported_with_a_workaround():
    network = cases.Network()
    with pytest.raises(ad.NoDerivativeRuleError) as info:
        ad.grad(network.loss)
    message = str(info.value)
    assert ".predict()" in message and "method_cases.py:" in message
    assert "module-level function" in message
