"""Objects built inside the methods of an object the function builds (a
model whose __init__ builds its layers, `self.l1 = Dense(W1)` or a list of
them its `forward` loops over; a method that builds a helper object): once the first object's methods are inlined, they
are built in the function itself, and a second round of local_objects.py
replaces them by variables too. Checked against torch twins in reverse and
forward mode and to second order."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import adcompiler as ad
from oracles import assert_close
from torch_oracle import CHECKS, assert_matches_twin

torch.set_default_dtype(torch.float64)

X = np.array([0.4, -0.7, 1.3, 0.25, 0.9])
DIRECTION = np.array([0.3, -1.0, 0.5, 0.8, -0.2])
INPUT = np.array([1.0, 2.0])


class Dense:
    def __init__(self, W, b):
        self.W = W
        self.b = b

    def __call__(self, h):
        return np.tanh(h @ self.W + self.b)


class TwoLayers:
    def __init__(self, W1, W2, bias):
        self.first = Dense(W1, bias)
        self.second = Dense(W2, 0.0)

    def forward(self, h):
        return self.second(self.first(h))


def model_building_its_layers(x):
    model = TwoLayers(np.outer(x[:2], x[1:3]), np.eye(2) * x[3], x[4])
    return np.sum(model.forward(INPUT) ** 2)


def t_model_building_its_layers(x):
    h = torch.tensor(INPUT)
    h = torch.tanh(h @ torch.outer(x[:2], x[1:3]) + x[4])
    h = torch.tanh(h @ (torch.eye(2) * x[3]))
    return torch.sum(h ** 2)


class Cell:
    def __init__(self, w):
        self.w = w
        self.h = 0.0

    def step(self, v):
        self.h = np.tanh(self.w * v + self.h)
        return self.h


class Recurrent:
    def __init__(self, w, scale):
        self.cell = Cell(w)
        self.scale = scale

    def run(self, values):
        total = 0.0
        for v in values:
            total = total + self.scale * self.cell.step(v)
        return total + self.cell.h


def recurrent_cell_with_state(x):
    net = Recurrent(x[0], x[1])
    return net.run(x[2:])


def t_recurrent_cell_with_state(x):
    h, total = 0.0, 0.0
    for k in range(2, 5):
        h = torch.tanh(x[0] * x[k] + h)
        total = total + x[1] * h
    return total + h


class Spring:
    def __init__(self, k):
        self.k = k

    def energy(self, d):
        return 0.5 * self.k * d ** 2


class Chain:
    def __init__(self, k):
        self.k = k

    def energy(self, positions):
        spring = Spring(self.k * 2.0)  # a helper object the method builds
        total = 0.0
        for i in range(len(positions) - 1):
            total = total + spring.energy(positions[i + 1] - positions[i])
        return total


def method_building_a_helper_object(x):
    chain = Chain(x[0])
    return chain.energy(x[1:])


def t_method_building_a_helper_object(x):
    return torch.sum(0.5 * x[0] * 2.0 * (x[2:] - x[1:-1]) ** 2)


class Sequential:
    """The PyTorch-module shape: layers kept in a list, run by a loop."""

    def __init__(self, W1, W2, bias):
        self.layers = [Dense(W1, bias), Dense(W2, 0.0), Dense(W1.T, -bias)]

    def forward(self, h):
        for layer in self.layers:
            h = layer(h)
        return h


def model_keeping_its_layers_in_a_list(x):
    model = Sequential(np.outer(x[:2], x[1:3]), np.eye(2) * x[3], x[4])
    return np.sum(model.forward(INPUT) ** 2)


def t_model_keeping_its_layers_in_a_list(x):
    W1 = torch.outer(x[:2], x[1:3])
    h = torch.tensor(INPUT)
    h = torch.tanh(h @ W1 + x[4])
    h = torch.tanh(h @ (torch.eye(2) * x[3]))
    h = torch.tanh(h @ W1.T - x[4])
    return torch.sum(h ** 2)


class FromParameters:
    """Layers built by a comprehension over (W, b) pairs."""

    def __init__(self, parameters):
        self.layers = [Dense(W, b) for W, b in parameters]

    def __call__(self, h):
        for layer in self.layers:
            h = layer(h)
        return h


def model_built_from_parameter_pairs(x):
    parameters = [(np.outer(x[:2], x[1:3]), x[4]), (np.eye(2) * x[3], 0.0)]
    model = FromParameters(parameters)
    layers = [Dense(W, b) for W, b in parameters]  # the same, in the function
    h = model(INPUT)
    for layer in layers:
        h = layer(h)
    return np.sum(h ** 2)


def t_model_built_from_parameter_pairs(x):
    h = torch.tensor(INPUT)
    for _ in range(2):
        h = torch.tanh(h @ torch.outer(x[:2], x[1:3]) + x[4])
        h = torch.tanh(h @ (torch.eye(2) * x[3]))
    return torch.sum(h ** 2)


PROGRAMS = {
    "a model built from parameter pairs": (model_built_from_parameter_pairs,
                                           t_model_built_from_parameter_pairs),
    "a model building its layers in __init__": (model_building_its_layers,
                                                t_model_building_its_layers),
    "a model keeping its layers in a list": (model_keeping_its_layers_in_a_list,
                                             t_model_keeping_its_layers_in_a_list),
    "a recurrent cell with state held by another object": (recurrent_cell_with_state,
                                                           t_recurrent_cell_with_state),
    "a method building a helper object": (method_building_a_helper_object,
                                          t_method_building_a_helper_object),
}


@pytest.mark.parametrize("check", CHECKS)
@pytest.mark.parametrize("name", PROGRAMS)
def test_objects_built_by_methods_are_differentiated_like_torch(name, check):
    function, twin = PROGRAMS[name]
    assert_matches_twin(function, twin, X, DIRECTION, check)


@pytest.mark.parametrize("name", PROGRAMS)
def test_hessian_through_objects_built_by_methods_matches_torch(name):
    function, twin = PROGRAMS[name]
    expected = torch.autograd.functional.hessian(twin, torch.tensor(X))
    assert_close(ad.hessian(function)(X.copy()), expected.numpy(), label=name)


class Leaky:
    def __init__(self, w):
        self.inner = Dense(w, 0.0)

    def layer(self):
        return self.inner  # the inner object escapes to the caller


def inner_object_returned_by_a_method(x):
    outer = Leaky(np.outer(x[:2], x[:2]))
    layer = outer.layer()
    return np.sum(layer(INPUT))


def test_an_inner_object_that_escapes_is_refused_naming_a_line():
    with pytest.raises(ad.AdError) as info:
        ad.grad(inner_object_returned_by_a_method)(X.copy())
    assert "test_nested_objects.py:" in str(info.value)


class Polynomial:
    def __init__(self, coefficients):
        self.coefficients = coefficients

    def __call__(self, t):
        total = 0.0
        for power, a in enumerate(self.coefficients):
            total = total + a * t ** power
        return total

    def derivative(self):
        return Polynomial([k * a for k, a in enumerate(self.coefficients)][1:])


def polynomial_and_its_derivative(x):
    p = Polynomial(x[:3])
    dp = p.derivative()  # a new object, built by a method and returned
    return p(x[3]) * dp(x[3])


def test_an_object_a_method_returns_is_refused_not_an_internal_error():
    # The second round met a name an inlined method put in place (no source
    # position) and raised AttributeError from inside the compiler.
    with pytest.raises(ad.AdError) as info:
        ad.grad(polynomial_and_its_derivative)(X.copy())
    assert "test_nested_objects.py:" in str(info.value)
