"""`has_aux=True` on grad, value_and_grad and vjp: f returns `(loss, aux)`, the
derivative is that of `loss` alone, and `aux` comes back as f computed it."""

import numpy as np
import pytest
import torch

import adcompiler as ad
from oracles import torch_gradients

torch.set_default_dtype(torch.float64)

RNG = np.random.default_rng(15)
X = RNG.normal(size=(4, 3))
W = RNG.normal(size=3)


def model(x, w):
    pred = np.tanh(x @ w)
    loss = np.sum(pred ** 2) + np.sum(w * w)
    return loss, {"pred": pred, "count": len(x), "name": "tanh",
                  "extra": (np.argmax(pred), [pred * 2.0])}


def torch_loss(x, w):
    pred = torch.tanh(x @ w)
    return torch.sum(pred ** 2) + torch.sum(w * w)


def expected_aux(x, w):
    return model(x, w)[1]


def assert_same_tree(got, expected):
    assert type(got) is type(expected)
    if isinstance(expected, dict):
        assert list(got) == list(expected)
        for key in expected:
            assert_same_tree(got[key], expected[key])
    elif isinstance(expected, (tuple, list)):
        assert len(got) == len(expected)
        for a, b in zip(got, expected):
            assert_same_tree(a, b)
    else:
        np.testing.assert_array_equal(got, expected)


def test_grad_with_aux_matches_torch_and_returns_the_aux_pytree():
    gradient, aux = ad.grad(model, wrt=1, has_aux=True)(X, W)
    (expected,) = torch_gradients(torch_loss, (X, W), (1,))
    np.testing.assert_allclose(gradient, expected, rtol=1e-12)
    assert_same_tree(aux, expected_aux(X, W))


def test_value_and_grad_with_aux_gives_loss_aux_and_a_tuple_of_gradients():
    (loss, aux), (dx, dw) = ad.value_and_grad(model, wrt=(0, 1), has_aux=True)(X, W)
    expected_dx, expected_dw = torch_gradients(torch_loss, (X, W), (0, 1))
    assert loss == pytest.approx(model(X, W)[0])
    np.testing.assert_allclose(dx, expected_dx, rtol=1e-12)
    np.testing.assert_allclose(dw, expected_dw, rtol=1e-12)
    assert_same_tree(aux, expected_aux(X, W))


def vector_model(x, w):
    out = np.sin(x * w)
    return out, (np.sum(out), "stats")


def test_vjp_with_aux_takes_a_seed_shaped_like_the_first_output():
    x, w = RNG.normal(size=3), RNG.normal(size=3)
    seed = RNG.normal(size=3)
    gradient, aux = ad.vjp(vector_model, wrt=0, has_aux=True)((x, w), seed)
    (expected,) = torch_gradients(lambda a, b: torch.sin(a * b), (x, w), (0,), seed=seed)
    np.testing.assert_allclose(gradient, expected, rtol=1e-12)
    assert aux == (pytest.approx(np.sum(np.sin(x * w))), "stats")


def pytree_params(params, x):
    hidden = np.tanh(x @ params["W"] + params["b"])
    loss = np.sum(hidden ** 2)
    return loss, [hidden.mean(), params["b"]]


def test_grad_with_aux_of_a_dict_argument_has_its_structure():
    params = {"W": RNG.normal(size=(3, 2)), "b": RNG.normal(size=2)}
    gradient, aux = ad.grad(pytree_params, has_aux=True)(params, X)

    def torch_twin(W, b, x):
        return torch.sum(torch.tanh(x @ W + b) ** 2)
    dW, db = torch_gradients(torch_twin, (params["W"], params["b"], X), (0, 1))
    assert set(gradient) == {"W", "b"}
    np.testing.assert_allclose(gradient["W"], dW, rtol=1e-12)
    np.testing.assert_allclose(gradient["b"], db, rtol=1e-12)
    assert aux[0] == pytest.approx(np.tanh(X @ params["W"] + params["b"]).mean())
    assert aux[1] is params["b"] or np.array_equal(aux[1], params["b"])


def test_aux_does_not_change_the_gradient():
    def loss_only(x, w):
        return model(x, w)[0]
    with_aux, _ = ad.grad(model, wrt=1, has_aux=True)(X, W)
    np.testing.assert_allclose(with_aux, ad.grad(loss_only, wrt=1)(X, W), rtol=1e-14)


def test_has_aux_works_as_a_decorator_and_is_cached():
    @ad.grad(wrt="w", has_aux=True)
    def decorated(x, w):
        return np.sum(x * w), "aux"
    gradient, aux = decorated(np.ones(2), np.ones(2))
    np.testing.assert_allclose(gradient, np.ones(2))
    assert aux == "aux"
    assert ad.grad(model, has_aux=True) is ad.grad(model, has_aux=True)


def no_pair(x):
    return np.sum(x)


def test_a_function_not_returning_a_pair_is_refused_when_called():
    with pytest.raises(ad.NonScalarOutputError, match=r"must return a pair \(loss, aux\)"):
        ad.grad(no_pair, has_aux=True)(np.ones(2))


def test_a_non_scalar_loss_is_refused_by_grad():
    with pytest.raises(ad.NonScalarOutputError, match="grad needs a scalar"):
        ad.grad(vector_model, has_aux=True)(np.ones(2), np.ones(2))


def test_source_and_repr_of_an_aux_derivative_name_the_function():
    df = ad.grad(model, wrt=1, has_aux=True)
    assert "gradient of model" in repr(df) and "with aux" in repr(df)
    assert "def model_adjoint" in ad.source(df)


def test_forward_mode_with_aux_is_refused():
    with pytest.raises(ValueError, match="reverse mode only"):
        ad.grad(model, has_aux=True, mode="forward")


def aux_without_a_rule(w):
    pred = np.sin(w)
    # np.piecewise has no derivative rule.
    return np.sum(pred ** 2), {"spread": float(np.ptp(pred)),
                               "steps": np.piecewise(pred, [pred > 0.5], [2.0, 1.0]) * pred}


def returns_a_pair_variable(w):
    out = (np.sum(w ** 3), w * 2.0)
    return out


def test_aux_is_not_differentiated_so_it_needs_no_derivative_rule():
    w = np.array([0.3, 1.2])
    gradient, aux = ad.grad(aux_without_a_rule, has_aux=True)(w)
    np.testing.assert_allclose(gradient, 2 * np.sin(w) * np.cos(w), rtol=1e-14)
    assert aux["spread"] == pytest.approx(np.ptp(np.sin(w)))
    # Differentiating the pair itself would need a rule for np.piecewise.
    with pytest.raises(ad.NoDerivativeRuleError):
        ad.vjp(aux_without_a_rule)


def test_a_pair_returned_through_a_variable_is_differentiated_through_its_loss():
    w = np.array([0.3, 1.2])
    gradient, aux = ad.grad(returns_a_pair_variable, has_aux=True)(w)
    np.testing.assert_allclose(gradient, 3 * w ** 2, rtol=1e-14)
    np.testing.assert_allclose(aux, w * 2.0)


class Net:
    def __init__(self, scale):
        self.scale = scale

    def predict(self, w):
        return w * self.scale

    def loss(self, w):
        return np.sum(self.predict(w) ** 2), {"scale": self.scale}


def test_has_aux_on_a_bound_method_calling_another_method():
    w = np.array([1.0, 2.0])
    gradient, aux = ad.grad(Net(3.0).loss, has_aux=True)(w)
    np.testing.assert_allclose(gradient, 2 * 9.0 * w, rtol=1e-14)
    assert aux == {"scale": 3.0}
