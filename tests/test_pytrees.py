"""Dicts and tuples of arrays as arguments (pytrees): the gradient has the
same structure, like JAX's; checked against torch.autograd."""

import numpy as np
import pytest
import torch

import adcompiler as ad
from oracles import assert_close
from programs import t_two_layer_network, two_layer_network


def network_inputs():
    rng = np.random.default_rng(0)
    params = {"W1": rng.standard_normal((4, 5)) * 0.5, "b1": rng.standard_normal(5) * 0.1,
              "W2": rng.standard_normal((5, 3)) * 0.5, "b2": np.zeros(3)}
    x = rng.standard_normal((6, 4))
    labels = np.eye(3)[rng.integers(0, 3, 6)]
    return params, x, labels


def test_gradient_of_a_parameter_dict_is_a_dict_with_the_same_keys():
    params, x, labels = network_inputs()
    grads = ad.grad(two_layer_network)(params, x, labels)
    assert isinstance(grads, dict) and list(grads) == list(params)
    tensors = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    loss = t_two_layer_network(tensors, torch.tensor(x), torch.tensor(labels))
    expected = torch.autograd.grad(loss, list(tensors.values()))
    for (key, got), want in zip(grads.items(), expected):
        assert got.shape == params[key].shape
        assert_close(got, want.numpy(), label=key)


def test_parameter_dict_is_not_modified():
    params, x, labels = network_inputs()
    before = {k: v.copy() for k, v in params.items()}
    ad.value_and_grad(two_layer_network)(params, x, labels)
    for key in params:
        np.testing.assert_array_equal(params[key], before[key])


def test_jvp_along_a_dict_of_tangents_matches_the_gradient():
    params, x, labels = network_inputs()
    rng = np.random.default_rng(1)
    tangents = {k: rng.standard_normal(v.shape) for k, v in params.items()}
    _, directional = ad.jvp(two_layer_network)((params, x, labels), (tangents,))
    grads = ad.grad(two_layer_network)(params, x, labels)
    expected = sum(float(np.sum(grads[k] * tangents[k])) for k in params)
    assert directional == __import__("pytest").approx(expected, rel=1e-10)


def test_gradient_descent_on_a_parameter_dict_lowers_the_loss():
    params, x, labels = network_inputs()
    value_and_grad = ad.value_and_grad(two_layer_network)
    first, _ = value_and_grad(params, x, labels)
    for _ in range(20):
        loss, grads = value_and_grad(params, x, labels)
        params = {k: params[k] - 0.5 * grads[k] for k in params}
    assert loss < first


def deep_network(layers, x):
    h = x
    for W, b in layers:
        h = np.tanh(h @ W + b)
    return np.sum(h ** 2)


def t_deep_network(layers, x):
    h = x
    for W, b in layers:
        h = torch.tanh(h @ W + b)
    return torch.sum(h ** 2)


@pytest.mark.parametrize("container", [list, tuple])
def test_gradient_of_a_sequence_of_layers_has_the_same_structure(container):
    # Read by a variable index in a loop: the adjoint of the whole sequence is
    # accumulated entry by entry (a plain list or tuple would concatenate).
    rng = np.random.default_rng(5)
    layers = container([(rng.standard_normal((3, 4)) * 0.5, rng.standard_normal(4) * 0.1),
                        (rng.standard_normal((4, 2)) * 0.5, np.zeros(2))])
    x = rng.standard_normal((5, 3))
    grads = ad.grad(deep_network)(layers, x)
    assert type(grads) is container and all(type(layer) is tuple for layer in grads)
    tensors = [tuple(torch.tensor(p, requires_grad=True) for p in layer) for layer in layers]
    loss = t_deep_network(tensors, torch.tensor(x))
    expected = torch.autograd.grad(loss, [p for layer in tensors for p in layer])
    got = [p for layer in grads for p in layer]
    for g, want in zip(got, expected):
        assert_close(g, want.numpy())
    # Forward mode along the gradient itself: the directional derivative is |grad|^2.
    _, tangent = ad.jvp(deep_network)((layers, x), (grads,))
    assert_close(tangent, sum(np.sum(g * g) for g in got))


def reads_a_dict_by_variable_keys(params, x):
    total = 0.0
    for key in ["a", "b"]:
        total = total + np.sum(np.sin(params[key] * x))
    return total


def t_reads_a_dict_by_variable_keys(params, x):
    total = 0.0
    for key in ["a", "b"]:
        total = total + torch.sum(torch.sin(params[key] * x))
    return total


def test_gradient_of_a_dict_read_by_variable_keys_matches_torch():
    params = {"a": np.array([0.5, -1.0]), "b": np.array([2.0, 0.25])}
    x = np.array([1.0, 3.0])
    grads = ad.grad(reads_a_dict_by_variable_keys)(params, x)
    assert type(grads) is dict and list(grads) == ["a", "b"]
    tensors = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    loss = t_reads_a_dict_by_variable_keys(tensors, torch.tensor(x))
    for key, want in zip(tensors, torch.autograd.grad(loss, list(tensors.values()))):
        assert_close(grads[key], want.numpy(), label=key)


# -- every entry point on pytrees, against torch.func (issue #11, part 3) ----------

def small_params():
    rng = np.random.default_rng(3)
    return {"W": rng.standard_normal((2, 3)) * 0.5, "b": rng.standard_normal(2) * 0.1}


X3 = np.array([0.4, -1.2, 0.8])


def layer_loss(params, x):
    hidden = np.tanh(params["W"] @ x + params["b"])
    return np.sum(hidden ** 2) + np.sum(params["W"] ** 2) * 0.1


def t_layer_loss(params, x):
    hidden = torch.tanh(params["W"] @ x + params["b"])
    return torch.sum(hidden ** 2) + torch.sum(params["W"] ** 2) * 0.1


def layer_outputs(params, x):
    hidden = np.tanh(params["W"] @ x + params["b"])
    return {"hidden": hidden, "norm": np.sum(hidden ** 2)}


def t_layer_outputs(params, x):
    hidden = torch.tanh(params["W"] @ x + params["b"])
    return {"hidden": hidden, "norm": torch.sum(hidden ** 2)}


def layer_pair(params, x):
    hidden = np.tanh(params["W"] @ x + params["b"])
    return [hidden, np.sum(hidden * x[:2])]


def t_layer_pair(params, x):
    hidden = torch.tanh(params["W"] @ x + params["b"])
    return [hidden, torch.sum(hidden * x[:2])]


def tensors(tree):
    if isinstance(tree, dict):
        return {key: tensors(value) for key, value in tree.items()}
    if isinstance(tree, (tuple, list)):
        return type(tree)(tensors(value) for value in tree)
    return torch.tensor(np.asarray(tree, dtype=np.float64))


def assert_tree_close(got, want, where="result"):
    """Same structure (dict keys, sequence lengths and kinds), leaves close."""
    if isinstance(want, dict):
        assert isinstance(got, dict) and list(got) == list(want), where
        for key in want:
            assert_tree_close(got[key], want[key], f"{where}[{key!r}]")
    elif isinstance(want, (tuple, list)):
        assert isinstance(got, (tuple, list)) and len(got) == len(want), where
        for index, (g, w) in enumerate(zip(got, want)):
            assert_tree_close(g, w, f"{where}[{index}]")
    else:
        want = want.detach().numpy() if isinstance(want, torch.Tensor) else want
        assert np.shape(got) == np.shape(want), f"{where}: {np.shape(got)} vs {np.shape(want)}"
        assert_close(got, want, label=where)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_jacobian_of_a_dict_valued_function_of_a_dict_nests_like_torch_func(mode):
    params = small_params()
    got = ad.jacobian(layer_outputs, mode=mode)(params, X3)
    jacobian = torch.func.jacrev if mode == "reverse" else torch.func.jacfwd
    want = jacobian(t_layer_outputs)(tensors(params), tensors(X3))
    assert_tree_close(got, want)
    assert got["hidden"]["W"].shape == (2, 2, 3) and got["norm"]["b"].shape == (2,)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_jacobian_with_a_tuple_of_wrt_and_a_list_result_nests_like_torch_func(mode):
    params = small_params()
    got = ad.jacobian(layer_pair, wrt=(0, 1), mode=mode)(params, X3)
    want = torch.func.jacrev(t_layer_pair, argnums=(0, 1))(tensors(params), tensors(X3))
    assert_tree_close(got, want)
    assert isinstance(got, list) and isinstance(got[0], tuple)


def test_jacobian_of_an_array_function_of_an_array_keeps_its_plain_shape():
    def soft(a):
        e = np.exp(a)
        return e / np.sum(e)
    jac = ad.jacobian(soft)(X3)
    assert isinstance(jac, np.ndarray) and jac.shape == (3, 3)
    want = torch.func.jacrev(lambda a: torch.exp(a) / torch.sum(torch.exp(a)))(tensors(X3))
    assert_close(jac, want.numpy())


def test_hessian_of_a_dict_argument_is_a_dict_of_dicts_like_torch_func():
    params = small_params()
    got = ad.hessian(layer_loss)(params, X3)
    want = torch.func.hessian(t_layer_loss)(tensors(params), tensors(X3))
    assert_tree_close(got, want)
    assert got["W"]["b"].shape == (2, 3, 2) and got["b"]["W"].shape == (2, 2, 3)
    np.testing.assert_allclose(got["W"]["b"], np.moveaxis(got["b"]["W"], 0, -1),
                               atol=1e-12)


def test_hessian_with_a_tuple_of_wrt_over_a_dict_and_an_array_like_torch_func():
    params = small_params()
    got = ad.hessian(layer_loss, wrt=(0, 1))(params, X3)
    want = torch.func.hessian(t_layer_loss, argnums=(0, 1))(tensors(params), tensors(X3))
    assert_tree_close(got, want)
    assert got[0]["W"][1].shape == (2, 3, 3) and got[1][1].shape == (3, 3)


def test_hessian_of_a_list_argument():
    def chain(layers):
        return np.sum(np.sin(layers[0]) * layers[1]) ** 2

    def t_chain(layers):
        return torch.sum(torch.sin(layers[0]) * layers[1]) ** 2

    layers = [X3, np.array([1.0, -0.5, 2.0])]
    assert_tree_close(ad.hessian(chain)(layers), torch.func.hessian(t_chain)(tensors(layers)))


@pytest.mark.parametrize("function, twin, seed", [
    (layer_outputs, t_layer_outputs, {"hidden": np.array([1.0, -2.0]), "norm": 0.5}),
    (layer_pair, t_layer_pair, [np.array([0.3, 0.7]), -1.5]),
], ids=["dict-result", "list-result"])
def test_vjp_of_a_pytree_valued_function_takes_a_seed_of_the_same_structure(function, twin,
                                                                            seed):
    params = small_params()
    got = ad.vjp(function, wrt=(0, 1))((params, X3), seed)
    _, pullback = torch.func.vjp(twin, tensors(params), tensors(X3))
    assert_tree_close(got, pullback(tensors(seed)))


def test_vjp_seed_of_the_wrong_structure_is_refused_naming_the_keys():
    params = small_params()
    with pytest.raises(ad.SeedShapeError, match=r"keys \['hidden', 'norm'\]"):
        ad.vjp(layer_outputs)((params, X3), {"hidden": np.ones(2)})
    with pytest.raises(ad.SeedShapeError, match="list of 2"):
        ad.vjp(layer_pair)((params, X3), [np.ones(2)])


def test_jvp_and_hvp_take_dict_tangents_and_match_torch_func():
    params = small_params()
    direction = {"W": np.full((2, 3), 0.5), "b": np.array([1.0, -1.0])}
    value, tangent = ad.jvp(layer_outputs)((params, X3), (direction,))
    want_value, want_tangent = torch.func.jvp(lambda p: t_layer_outputs(p, tensors(X3)),
                                              (tensors(params),), (tensors(direction),))
    assert_tree_close(value, want_value)
    assert_tree_close(tangent, want_tangent)
    product = ad.hvp(layer_loss)((params, X3), (direction,))
    _, want = torch.func.jvp(torch.func.grad(lambda p: t_layer_loss(p, tensors(X3))),
                             (tensors(params),), (tensors(direction),))
    assert_tree_close(product, want)


def test_grad_in_forward_mode_of_a_dict_argument_is_a_dict():
    params = small_params()
    forward = ad.grad(layer_loss, mode="forward")(params, X3)
    assert_tree_close(forward, ad.grad(layer_loss)(params, X3))
