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
    _, directional = ad.jvp(two_layer_network)(params, x, labels, tangents)
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
    _, tangent = ad.jvp(deep_network)(layers, x, grads)
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
