"""Parameters kept in NamedTuples and dataclasses, as JAX and flax users keep
them: fields read with `params.w` carry derivatives in both modes and to
second order, and the gradient is of the parameters' class; checked against
torch.autograd in float64."""

from __future__ import annotations

import collections
import dataclasses
import typing

import numpy as np
import pytest
import torch

import adcompiler as ad
from oracles import assert_close, torch_gradients

torch.set_default_dtype(torch.float64)


# --- the programs, each beside its torch twin --------------------------------

class Affine(typing.NamedTuple):
    w: np.ndarray
    b: float


def linear_model(params, x, y):
    return np.mean((x @ params.w + params.b - y) ** 2)


def t_linear_model(params, x, y):
    return torch.mean((x @ params.w + params.b - y) ** 2)


class Layer(typing.NamedTuple):
    weight: np.ndarray
    bias: np.ndarray


class MLP(typing.NamedTuple):
    hidden: tuple  # of Layers
    out: Layer
    temperature: float


def dense(layer, h):
    return h @ layer.weight + layer.bias


def mlp(params, x, labels):
    h = x
    for layer in params.hidden:  # a loop over a field holding NamedTuples
        h = np.tanh(dense(layer, h))
    logits = dense(params.out, h) / params.temperature
    shifted = logits - np.max(logits, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    return -np.mean(np.sum(labels * log_probs, axis=1))


def t_mlp(params, x, labels):
    h = x
    for layer in params.hidden:
        h = torch.tanh(h @ layer.weight + layer.bias)
    logits = (h @ params.out.weight + params.out.bias) / params.temperature
    return -torch.mean(torch.sum(labels * torch.log_softmax(logits, dim=1), dim=1))


RNNCell = collections.namedtuple("RNNCell", "w_in w_rec bias")


def rnn_step(cell, h, x_t):
    return np.tanh(x_t @ cell.w_in + h @ cell.w_rec + cell.bias)


def rnn(cell, xs, target):
    h = np.zeros(cell.w_rec.shape[0])
    for t in range(xs.shape[0]):
        h = rnn_step(cell, h, xs[t])
    return np.sum((h - target) ** 2)


def t_rnn(cell, xs, target):
    h = torch.zeros(cell.w_rec.shape[0])
    for t in range(xs.shape[0]):
        h = torch.tanh(xs[t] @ cell.w_in + h @ cell.w_rec + cell.bias)
    return torch.sum((h - target) ** 2)


class Encoder(typing.NamedTuple):
    proj: Affine
    gain: np.ndarray


class Model(typing.NamedTuple):
    encoder: Encoder
    decoder: Affine
    log_scale: float


def encode(encoder, x):
    return encoder.gain * np.sin(x @ encoder.proj.w + encoder.proj.b)


def nested(model, x, y):
    z = encode(model.encoder, x)
    prediction = np.exp(model.log_scale) * (z @ model.decoder.w) + model.decoder.b
    return np.sum((prediction - y) ** 2) + 0.1 * np.sum(model.encoder.gain ** 2)


def t_nested(model, x, y):
    encoder = model.encoder
    z = encoder.gain * torch.sin(x @ encoder.proj.w + encoder.proj.b)
    prediction = torch.exp(model.log_scale) * (z @ model.decoder.w) + model.decoder.b
    return torch.sum((prediction - y) ** 2) + 0.1 * torch.sum(encoder.gain ** 2)


@dataclasses.dataclass
class Regression:
    """Parameters as a (flax-style) dataclass."""
    weights: np.ndarray
    intercept: float


def dataclass_model(params, x, y):
    residual = np.tanh(x @ params.weights) + params.intercept - y
    return np.sum(residual ** 2)


def t_dataclass_model(params, x, y):
    residual = torch.tanh(x @ params.weights) + params.intercept - y
    return torch.sum(residual ** 2)


@dataclasses.dataclass(frozen=True)
class FrozenModel:
    layer: Layer           # a NamedTuple inside a frozen dataclass
    scale: np.ndarray


def frozen_model(params, x, y):
    h = np.sin(dense(params.layer, x)) * params.scale
    return np.mean((np.sum(h, axis=1) - y) ** 2)


def t_frozen_model(params, x, y):
    h = torch.sin(x @ params.layer.weight + params.layer.bias) * params.scale
    return torch.mean((torch.sum(h, dim=1) - y) ** 2)


def programs():
    rng = np.random.default_rng(7)
    return {
        "linear model": (linear_model, t_linear_model, (
            Affine(rng.standard_normal(3), 0.25), rng.standard_normal((6, 3)),
            rng.standard_normal(6))),
        "MLP of layers": (mlp, t_mlp, (
            MLP(hidden=(Layer(rng.standard_normal((4, 5)) * 0.5, rng.standard_normal(5) * 0.1),
                        Layer(rng.standard_normal((5, 5)) * 0.5, rng.standard_normal(5) * 0.1)),
                out=Layer(rng.standard_normal((5, 3)) * 0.5, np.zeros(3)), temperature=1.5),
            rng.standard_normal((6, 4)), np.eye(3)[rng.integers(0, 3, 6)])),
        "RNN cell": (rnn, t_rnn, (
            RNNCell(rng.standard_normal((2, 4)) * 0.5, rng.standard_normal((4, 4)) * 0.5,
                    rng.standard_normal(4) * 0.1),
            rng.standard_normal((5, 2)), rng.standard_normal(4))),
        "nested NamedTuples": (nested, t_nested, (
            Model(Encoder(Affine(rng.standard_normal((3, 4)), 0.1), rng.standard_normal(4)),
                  Affine(rng.standard_normal(4), -0.3), 0.2),
            rng.standard_normal((5, 3)), rng.standard_normal(5))),
        "dataclass": (dataclass_model, t_dataclass_model, (
            Regression(rng.standard_normal(3), 0.4), rng.standard_normal((6, 3)),
            rng.standard_normal(6))),
        "frozen dataclass": (frozen_model, t_frozen_model, (
            FrozenModel(Layer(rng.standard_normal((3, 4)), rng.standard_normal(4)),
                        rng.standard_normal(4)),
            rng.standard_normal((5, 3)), rng.standard_normal(5))),
    }


# --- pytree helpers for the oracle --------------------------------------------

def parts(tree) -> list | None:
    """The parts of a NamedTuple, tuple or dataclass instance; None for a leaf."""
    if isinstance(tree, tuple):
        return list(tree)
    if dataclasses.is_dataclass(tree):
        return [getattr(tree, f.name) for f in dataclasses.fields(tree)]
    return None


def leaves(tree) -> list:
    if parts(tree) is not None:
        return [leaf for part in parts(tree) for leaf in leaves(part)]
    return [tree]


def rebuild(tree, values):
    """A tree shaped like `tree` (NamedTuples and tuples) with `values` as leaves."""
    values = iter(values)

    def build(node):
        if isinstance(node, tuple):
            built = [build(part) for part in node]
            return type(node)(*built) if hasattr(node, "_fields") else tuple(built)
        if dataclasses.is_dataclass(node):
            return type(node)(*[build(part) for part in parts(node)])
        return next(values)
    return build(tree)


def as_tensor(value, grad=False):
    return torch.tensor(np.asarray(value, dtype=np.float64), requires_grad=grad)


def torch_gradient(twin, params, *data):
    """torch's gradient of twin(params, *data) w.r.t. every leaf of params."""
    tensors = [as_tensor(leaf, grad=True) for leaf in leaves(params)]
    loss = twin(rebuild(params, tensors), *[as_tensor(d) for d in data])
    return [g.numpy() for g in torch.autograd.grad(loss, tensors)]


def torch_hvp(twin, params, direction, *data):
    """torch's Hessian (w.r.t. params) times `direction`, leaf by leaf."""
    tensors = [as_tensor(leaf, grad=True) for leaf in leaves(params)]
    loss = twin(rebuild(params, tensors), *[as_tensor(d) for d in data])
    grads = torch.autograd.grad(loss, tensors, create_graph=True)
    dot = sum(torch.sum(g * as_tensor(v)) for g, v in zip(grads, leaves(direction)))
    return [g.numpy() for g in torch.autograd.grad(dot, tensors)]


def assert_same_structure(got, like):
    """`got` is a tree of the same NamedTuple classes as `like`, with leaves of
    the same shapes."""
    if parts(like) is not None:
        assert type(got) is type(like), f"{type(got).__name__} is not {type(like).__name__}"
        for part, like_part in zip(parts(got), parts(like)):
            assert_same_structure(part, like_part)
    else:
        assert np.shape(got) == np.shape(like)


def random_direction(params, seed=3):
    rng = np.random.default_rng(seed)
    return rebuild(params, [rng.standard_normal(np.shape(leaf)) if np.shape(leaf)
                            else float(rng.standard_normal()) for leaf in leaves(params)])


PROGRAMS = programs()


# --- the specifications ------------------------------------------------------

@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("name", PROGRAMS)
def test_gradient_wrt_namedtuple_params_is_that_namedtuple_and_matches_torch(name, mode):
    function, twin, args = PROGRAMS[name]
    grads = ad.grad(function, mode=mode)(*args)
    assert_same_structure(grads, args[0])
    for k, (got, want) in enumerate(zip(leaves(grads), torch_gradient(twin, *args))):
        assert_close(got, want, label=f"{name}, leaf {k}")


@pytest.mark.parametrize("name", PROGRAMS)
def test_value_and_grad_gives_the_functions_value_and_torchs_gradient(name):
    function, twin, args = PROGRAMS[name]
    value, grads = ad.value_and_grad(function)(*args)
    assert value == pytest.approx(function(*args), rel=1e-12)
    assert_same_structure(grads, args[0])
    for got, want in zip(leaves(grads), torch_gradient(twin, *args)):
        assert_close(got, want, label=name)


@pytest.mark.parametrize("name", PROGRAMS)
def test_vjp_wrt_namedtuple_params_matches_torch(name):
    function, twin, args = PROGRAMS[name]
    grads = ad.vjp(function)(args, 2.0)
    assert_same_structure(grads, args[0])
    for got, want in zip(leaves(grads), torch_gradient(twin, *args)):
        assert_close(got, 2.0 * want, label=name)


@pytest.mark.parametrize("name", PROGRAMS)
def test_jvp_along_a_namedtuple_tangent_matches_torch(name):
    function, twin, args = PROGRAMS[name]
    direction = random_direction(args[0])
    value, directional = ad.jvp(function)(args, (direction,))
    expected = sum(np.sum(g * v) for g, v in zip(torch_gradient(twin, *args),
                                                  leaves(direction)))
    assert value == pytest.approx(function(*args), rel=1e-12)
    assert directional == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("name", ["linear model", "RNN cell", "nested NamedTuples",
                                  "frozen dataclass"])
def test_hessian_vector_product_wrt_namedtuple_params_matches_torch(name):
    function, twin, args = PROGRAMS[name]
    direction = random_direction(args[0])
    product = ad.hvp(function)(args, (direction,))
    assert_same_structure(product, args[0])
    for got, want in zip(leaves(product), torch_hvp(twin, args[0], direction, *args[1:])):
        assert_close(got, want, label=name)


def test_hessian_wrt_a_namedtuple_nests_its_blocks_like_the_namedtuple():
    function, twin, (params, x, y) = PROGRAMS["linear model"]
    hessian = ad.hessian(function)(params, x, y)
    assert type(hessian) is Affine and type(hessian.w) is Affine
    # The loss is quadratic: d2/dw2 = 2 X^T X / n, d2/dw db = 2 sum(X) / n, d2/db2 = 2.
    n = len(y)
    assert_close(hessian.w.w, 2 * x.T @ x / n)
    assert_close(hessian.w.b, 2 * x.sum(axis=0) / n)
    assert_close(hessian.b.w, 2 * x.sum(axis=0) / n)
    assert_close(hessian.b.b, 2.0)


def unused_field(params, x):
    return np.sum(params.w * x) + np.sum(params.w ** 2)


def test_a_field_the_function_never_reads_gets_a_zero_gradient_of_its_shape():
    params = Affine(np.array([1.0, -2.0]), 3.0)
    for mode in ("reverse", "forward"):
        grads = ad.grad(unused_field, mode=mode)(params, np.array([0.5, 4.0]))
        assert type(grads) is Affine and grads.b == 0.0
        assert_close(grads.w, [0.5 + 2.0, 4.0 - 4.0])


def test_the_namedtuple_argument_is_not_modified():
    function, _, args = PROGRAMS["MLP of layers"]
    before = [np.copy(leaf) for leaf in leaves(args[0])]
    ad.grad(function)(*args)
    ad.grad(function, mode="forward")(*args)
    for leaf, kept in zip(leaves(args[0]), before):
        np.testing.assert_array_equal(leaf, kept)


# --- NamedTuples built in the function --------------------------------------

def built_and_passed_on(w, b, x):
    p = Affine(w=w * 2.0, b=b)          # by name
    q = Affine(np.tanh(x @ w), b ** 2)  # by position
    return np.sum(dense_affine(p, x) ** 2) + q.b * np.sum(q.w)


def dense_affine(params, x):
    return x @ params.w + params.b


def t_built_and_passed_on(w, b, x):
    p = Affine(w=w * 2.0, b=b)
    q = Affine(torch.tanh(x @ w), b ** 2)
    return torch.sum((x @ p.w + p.b) ** 2) + q.b * torch.sum(q.w)


def layers_built_in_a_loop(weights, biases, x):
    layers = []
    for k in range(len(weights)):
        layers.append(Layer(weight=weights[k], bias=biases[k]))
    h = x
    for layer in layers:
        h = np.tanh(h @ layer.weight + layer.bias)
    return np.sum(h ** 2)


def t_layers_built_in_a_loop(weights, biases, x):
    h = x
    for k in range(weights.shape[0]):
        h = torch.tanh(h @ weights[k] + biases[k])
    return torch.sum(h ** 2)


def with_replaced_field(params, x):
    scaled = params._replace(w=params.w * np.exp(params.b))
    return np.sum(dense_affine(scaled, x) ** 2) + np.sum(params.w)


def t_with_replaced_field(params, x):
    scaled = params._replace(w=params.w * torch.exp(params.b))
    return torch.sum((x @ scaled.w + scaled.b) ** 2) + torch.sum(params.w)


def dataclasses_built(w, x):
    model = Regression(weights=w * 0.5, intercept=np.sum(w))
    frozen = FrozenModel(Layer(np.outer(w, w), w), scale=np.cos(w))
    return dataclass_model(model, x, x[:, 0]) + frozen_model(frozen, x, x[:, 1])


def t_dataclasses_built(w, x):
    model = Regression(weights=w * 0.5, intercept=torch.sum(w))
    frozen = FrozenModel(Layer(torch.outer(w, w), w), scale=torch.cos(w))
    return t_dataclass_model(model, x, x[:, 0]) + t_frozen_model(frozen, x, x[:, 1])


def built_programs():
    rng = np.random.default_rng(11)
    return {
        "built and passed to a helper": (built_and_passed_on, t_built_and_passed_on, (
            rng.standard_normal(3), 0.7, rng.standard_normal((4, 3))), (0, 1)),
        "layers built in a loop": (layers_built_in_a_loop, t_layers_built_in_a_loop, (
            rng.standard_normal((2, 3, 3)) * 0.5, rng.standard_normal((2, 3)) * 0.1,
            rng.standard_normal((4, 3))), (0, 1)),
        "dataclasses built in the function": (dataclasses_built, t_dataclasses_built, (
            rng.standard_normal(3), rng.standard_normal((4, 3))), (0,)),
    }


BUILT = built_programs()


def assert_gradients_match_torch(program, mode: str, name: str) -> None:
    """`program` (function, torch twin, arguments, wrt): its gradients in
    `mode` are torch's."""
    function, twin, args, wrt = program
    grads = ad.grad(function, wrt=wrt, mode=mode)(*args)
    for got, want in zip(grads, torch_gradients(twin, args, wrt)):
        assert_close(got, want, label=name)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("name", BUILT)
def test_namedtuples_built_in_the_function_carry_derivatives_like_torch(name, mode):
    assert_gradients_match_torch(BUILT[name], mode, name)


@pytest.mark.parametrize("name", BUILT)
def test_jvp_through_namedtuples_built_in_the_function_matches_torch(name):
    function, twin, args, wrt = BUILT[name]
    rng = np.random.default_rng(5)
    tangents = tuple(rng.standard_normal(np.shape(args[i])) if np.shape(args[i])
                     else float(rng.standard_normal()) for i in wrt)
    value, directional = ad.jvp(function, wrt=wrt)(args, tangents)
    expected = sum(np.sum(g * t) for g, t in zip(torch_gradients(twin, args, wrt), tangents))
    assert value == pytest.approx(function(*args), rel=1e-12)
    assert directional == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_replace_on_a_namedtuple_argument_matches_torch(mode):
    rng = np.random.default_rng(2)
    params, x = Affine(rng.standard_normal(3), 0.3), rng.standard_normal((5, 3))
    grads = ad.grad(with_replaced_field, mode=mode)(params, x)
    assert type(grads) is Affine
    for got, want in zip(grads, torch_gradient(t_with_replaced_field, params, x)):
        assert_close(got, want)


def test_hvp_through_a_replaced_field_matches_torch():
    rng = np.random.default_rng(4)
    params, x = Affine(rng.standard_normal(3), 0.3), rng.standard_normal((5, 3))
    direction = random_direction(params)
    product = ad.hvp(with_replaced_field)((params, x), (direction,))
    assert type(product) is Affine
    for got, want in zip(product, torch_hvp(t_with_replaced_field, params, direction, x)):
        assert_close(got, want)


# --- what is refused ---------------------------------------------------------

class Positive(Affine):
    """A NamedTuple whose own __new__ changes the values it is given."""

    def __new__(cls, w, b):
        return super().__new__(cls, np.abs(w), b)


def builds_a_namedtuple_with_its_own_new(w):
    p = Positive(w, 1.0)
    return np.sum(p.w)


def builds_a_namedtuple_from_a_dict(w):
    fields = {"w": w, "b": 1.0}
    p = Affine(**fields)
    return np.sum(p.w)


class NotARecord:
    def __init__(self, w):
        self.w = w

    def _replace(self, w):
        return Affine(w + self.w, 0.0)


def replaces_in_an_object_that_is_not_a_namedtuple(params, v):
    q = params._replace(w=v)
    return np.sum(q.w)


@dataclasses.dataclass
class Normalised:
    """A dataclass whose __post_init__ changes the values it is given."""
    w: np.ndarray

    def __post_init__(self):
        self.w = self.w / np.sum(self.w)


def builds_a_dataclass_with_a_post_init(w):
    p = Normalised(w)
    return np.sum(p.w ** 2)


def line_of(function, text):
    import inspect
    lines, first = inspect.getsourcelines(function)
    return first + next(k for k, line in enumerate(lines) if text in line)


@pytest.mark.parametrize("function, error, marker, words", [
    (builds_a_namedtuple_with_its_own_new, ad.NoDerivativeRuleError, "Positive(w",
     "whose __new__ is its own"),
    (builds_a_namedtuple_from_a_dict, ad.UnsupportedSyntaxError, "Affine(**fields)",
     "starred argument"),
    (builds_a_dataclass_with_a_post_init, ad.NoDerivativeRuleError, "Normalised(w)",
     "__post_init__ is its own"),
])
def test_namedtuples_built_in_ways_no_rule_describes_are_refused_when_compiling(
        function, error, marker, words):
    with pytest.raises(error) as info:
        ad.grad(function)
    message = str(info.value)
    assert words in message and "Instead:" in message
    assert f"test_namedtuple_params.py:{line_of(function, marker)}:" in message


def test_replace_on_an_object_that_is_not_a_namedtuple_is_refused_when_it_runs():
    with pytest.raises(ad.NoDerivativeRuleError) as info:
        ad.grad(replaces_in_an_object_that_is_not_a_namedtuple)(NotARecord(np.ones(2)),
                                                                 np.ones(2))
    message = str(info.value)
    assert "._replace() of a NotARecord that carries a derivative" in message
    line = line_of(replaces_in_an_object_that_is_not_a_namedtuple, "params._replace")
    assert f"test_namedtuple_params.py:{line}:" in message


@dataclasses.dataclass
class DenseLayer:
    """A dataclass layer called as a function."""
    weight: np.ndarray

    def __call__(self, x):
        return np.tanh(self.weight @ x)


def calls_a_dataclass_layer_built_from_weights(x, weight):
    layer = DenseLayer(weight)
    return np.sum(layer(x) ** 2)


def t_calls_a_dataclass_layer_built_from_weights(x, weight):
    return torch.sum(torch.tanh(weight @ x) ** 2)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_dataclass_layer_built_from_differentiated_weights_matches_torch(mode):
    args = (np.array([0.5, -1.0]), np.array([[1.0, 0.3], [0.2, 0.7]]))
    grads = ad.grad(calls_a_dataclass_layer_built_from_weights, wrt=(0, 1), mode=mode)(*args)
    expected = torch_gradients(t_calls_a_dataclass_layer_built_from_weights, args, (0, 1))
    for got, want in zip(grads, expected):
        assert_close(got, want)


class Window(typing.NamedTuple):
    centre: np.ndarray
    size: float      # named like the array attribute .size, which carries no derivative


def reads_a_field_named_like_an_array_attribute(window, x):
    return np.sum(np.exp(-((x - window.centre) / window.size) ** 2))


def builds_a_namedtuple_with_a_field_named_size(x):
    window = Window(x, np.sum(x))
    return np.sum(window.centre)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_field_named_like_an_array_attribute_is_refused_not_lost(mode):
    # `.size` of an array carries no derivative, so window.size would be read as
    # a constant: refused when the derivative runs (the class is known then).
    with pytest.raises(ad.NoDerivativeRuleError, match="has a field named .size"):
        ad.grad(reads_a_field_named_like_an_array_attribute, mode=mode)(
            Window(np.zeros(2), 1.5), np.array([0.5, -1.0]))
    with pytest.raises(ad.NoDerivativeRuleError, match="has a field named .size"):
        ad.grad(builds_a_namedtuple_with_a_field_named_size, mode=mode)


def test_the_attributes_records_refuse_are_those_the_compiler_reads_as_an_arrays():
    from adcompiler.rules import numpy_rules
    from adcompiler.runtime import records
    assert records.ARRAY_ATTRIBUTES == set(numpy_rules.ATTRIBUTES) | \
        numpy_rules.NONDIFFERENTIABLE_ATTRIBUTES


# --- records as results: every API function returns the user's structure ----
# (as JAX returns pytrees: a tangent, a Jacobian's outer level, a seed of the
# result's class).

class Prediction(typing.NamedTuple):
    activation: np.ndarray
    energy: float


@dataclasses.dataclass
class Summary:
    activation: np.ndarray
    energy: float


def predicts_a_namedtuple(x, w):
    return Prediction(np.tanh(x * w), np.sum(x ** 2) * w[0])


def predicts_a_dataclass(x, w):
    return Summary(np.tanh(x * w), np.sum(x ** 2) * w[0])


def predicts_a_namedtuple_with_a_constant_field(x, w):
    return Prediction(np.tanh(x * w), 2.0)


def t_prediction(x, w):
    return torch.tanh(x * w), torch.sum(x ** 2) * w[0]


RESULT_ARGS = (np.array([0.5, -1.0, 0.3]), np.array([1.5, 0.7, -0.4]))
RESULT_TANGENTS = (np.array([0.2, -0.1, 0.4]), np.array([1.0, 0.5, -0.3]))
RECORD_RESULTS = [(predicts_a_namedtuple, Prediction), (predicts_a_dataclass, Summary)]


def torch_parts(twin, args, tangents):
    """The tangent of each part of twin's result, in order."""
    primals = tuple(torch.tensor(a) for a in args)
    directions = tuple(torch.tensor(t) for t in tangents)
    _, tangent = torch.autograd.functional.jvp(twin, primals, directions)
    return [t.numpy() for t in tangent]


@pytest.mark.parametrize("program, cls", RECORD_RESULTS, ids=lambda v: getattr(v, "__name__", ""))
def test_jvp_of_a_record_result_is_a_record_of_its_class_matching_torch(program, cls):
    value, tangent = ad.jvp(program, wrt=(0, 1))(RESULT_ARGS, RESULT_TANGENTS)
    assert type(value) is cls and type(tangent) is cls
    want = torch_parts(t_prediction, RESULT_ARGS, RESULT_TANGENTS)
    assert_close(tangent.activation, want[0])
    assert_close(tangent.energy, want[1])


def test_jvp_of_a_namedtuple_field_no_derivative_reaches_is_zero():
    _, tangent = ad.jvp(predicts_a_namedtuple_with_a_constant_field, wrt=(0, 1))(
        RESULT_ARGS, RESULT_TANGENTS)
    assert type(tangent) is Prediction and tangent.energy == 0.0


@pytest.mark.parametrize("program, cls", RECORD_RESULTS, ids=lambda v: getattr(v, "__name__", ""))
def test_vjp_of_a_record_result_takes_a_seed_of_its_class_and_matches_torch(program, cls):
    seed = cls(np.array([1.0, -2.0, 0.5]), 3.0)
    got = ad.vjp(program, wrt=(0, 1))(RESULT_ARGS, seed)
    want = torch_gradients(
        lambda x, w: torch.sum(torch.tanh(x * w) * torch.tensor(seed.activation)) +
        torch.sum(x ** 2) * w[0] * 3.0, RESULT_ARGS, (0, 1))
    for g, w in zip(got, want):
        assert_close(g, w)


def test_vjp_of_a_dataclass_result_refuses_a_seed_of_another_structure():
    with pytest.raises(ad.SeedShapeError, match="returns a Summary; the seed must be a Summary"):
        ad.vjp(predicts_a_dataclass, wrt=(0, 1))(RESULT_ARGS, (np.ones(3), 1.0))


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("program, cls", RECORD_RESULTS, ids=lambda v: getattr(v, "__name__", ""))
def test_jacobian_of_a_record_result_is_a_record_of_blocks_matching_torch(program, cls, mode):
    jacobian = ad.jacobian(program, wrt=(0, 1), mode=mode)(*RESULT_ARGS)
    assert type(jacobian) is cls
    want = torch.autograd.functional.jacobian(t_prediction,
                                              tuple(torch.tensor(a) for a in RESULT_ARGS))
    for got, expected in zip((jacobian.activation, jacobian.energy), want):
        assert isinstance(got, tuple) and len(got) == 2   # one block per argument
        for block, block_want in zip(got, expected):
            assert_close(block, block_want.numpy())


FIXED_X = np.array([[0.5, -1.0], [0.2, 0.4], [1.0, 0.1]])
FIXED_Y = np.array([0.3, -0.2, 0.6])


def regression_at_fixed_data(params):
    return dataclass_model(params, FIXED_X, FIXED_Y)


def t_regression_at_fixed_data(weights, intercept):
    return t_dataclass_model(Regression(weights, intercept), torch.tensor(FIXED_X),
                             torch.tensor(FIXED_Y))


def test_jacobian_and_hessian_of_a_function_of_a_dataclass_nest_its_class_and_match_torch():
    params = Regression(np.array([0.3, -0.2]), 0.1)
    jacobian = ad.jacobian(regression_at_fixed_data)(params)
    hessian = ad.hessian(regression_at_fixed_data)(params)
    assert type(jacobian) is Regression
    assert type(hessian) is Regression and type(hessian.weights) is Regression
    primals = (torch.tensor(params.weights), torch.tensor(params.intercept))
    want_gradient = torch.autograd.functional.jacobian(t_regression_at_fixed_data, primals)
    want_hessian = torch.autograd.functional.hessian(t_regression_at_fixed_data, primals)
    assert_close(jacobian.weights, want_gradient[0].numpy())
    assert_close(jacobian.intercept, want_gradient[1].numpy())
    for i, row in enumerate((hessian.weights, hessian.intercept)):
        for j, block in enumerate((row.weights, row.intercept)):
            assert_close(block, want_hessian[i][j].numpy(), label=f"block {i}{j}")


PREDICTION_JVP = ad.jvp(predicts_a_namedtuple, wrt=(0, 1))


def reads_fields_of_a_jvp_tangent(x, w):
    _, tangent = PREDICTION_JVP((x, w), RESULT_TANGENTS)
    return np.sum(tangent.activation ** 2) + tangent.energy


def t_reads_fields_of_a_jvp_tangent(x, w):
    _, tangent = torch.autograd.functional.jvp(
        t_prediction, (x, w), tuple(torch.tensor(t) for t in RESULT_TANGENTS),
        create_graph=True)
    return torch.sum(tangent[0] ** 2) + tangent[1]


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_code_differentiating_a_jvp_reads_the_fields_of_its_record_tangent_like_torch(mode):
    # The generated jvp itself returns the record (not only the public
    # wrapper), so differentiated code calling it sees what Python sees.
    assert reads_fields_of_a_jvp_tangent(*RESULT_ARGS) == pytest.approx(
        float(t_reads_fields_of_a_jvp_tangent(*(torch.tensor(a) for a in RESULT_ARGS))))
    got = ad.grad(reads_fields_of_a_jvp_tangent, wrt=(0, 1), mode=mode)(*RESULT_ARGS)
    want = torch_gradients(t_reads_fields_of_a_jvp_tangent, RESULT_ARGS, (0, 1))
    for g, w in zip(got, want):
        assert_close(g, w)


# --- methods of records the function builds ---------------------------------
# `osc.energy(x)` of a local variable bound only to `Oscillator(...)` calls the
# class's function, as Python does: a record owns no attribute but its fields.

@dataclasses.dataclass
class Oscillator:
    stiffness: float
    rest: np.ndarray

    def energy(self, x):
        return 0.5 * self.stiffness * np.sum(self.displacement(x) ** 2)

    def displacement(self, x):
        return x - self.rest

    @staticmethod
    def damping(v):
        return 0.1 * np.sum(v ** 2)

    def stiffened(self):
        self.stiffness = self.stiffness * 2.0
        return self


def oscillator_energy(x, k):
    osc = Oscillator(k * 2.0, np.tanh(x))
    total = osc.energy(x ** 2) + osc.damping(x)
    osc = Oscillator(k, np.sin(x))  # bound again, to the same class
    return total + osc.energy(x) * osc.stiffness


def t_oscillator_energy(x, k):
    first = 0.5 * (k * 2.0) * torch.sum((x ** 2 - torch.tanh(x)) ** 2) + 0.1 * torch.sum(x ** 2)
    return first + 0.5 * k * torch.sum((x - torch.sin(x)) ** 2) * k


class Gaussian(typing.NamedTuple):
    centre: np.ndarray
    log_scale: float

    def log_density(self, x):
        z = (x - self.centre) / np.exp(self.log_scale)
        return -0.5 * np.sum(z ** 2) - len(x) * self.log_scale


def gaussian_fit(centre, log_scale, x):
    g = Gaussian(centre * 1.0, log_scale)
    return -g.log_density(x)


def t_gaussian_fit(centre, log_scale, x):
    z = (x - centre) / torch.exp(log_scale)
    return 0.5 * torch.sum(z ** 2) + x.shape[0] * log_scale


RECORD_METHODS = {
    "dataclass methods, one calling another, and a staticmethod": (
        oscillator_energy, t_oscillator_energy, (np.array([0.4, -0.7, 1.3]), 0.7), (0, 1)),
    "NamedTuple method": (gaussian_fit, t_gaussian_fit, (
        np.array([0.2, -0.35, 0.65]), 0.2, np.array([0.4, -0.7, 1.3])), (0, 1)),
}


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("name", RECORD_METHODS)
def test_methods_of_records_built_in_the_function_match_torch(name, mode):
    assert_gradients_match_torch(RECORD_METHODS[name], mode, name)


@pytest.mark.parametrize("name", RECORD_METHODS)
def test_hessian_through_methods_of_records_built_in_the_function_matches_torch(name):
    function, twin, args, wrt = RECORD_METHODS[name]
    got = ad.hessian(function, wrt=wrt[0])(*args)
    want = torch.autograd.functional.hessian(
        lambda v: twin(v, *(torch.tensor(a) for a in args[1:])), torch.tensor(args[0]))
    assert_close(got, want.numpy(), label=name)


def calls_a_method_that_changes_its_record(x, k):
    osc = Oscillator(k, np.tanh(x))
    osc.stiffened()
    return osc.energy(x)


def calls_a_method_of_a_record_bound_to_two_classes(x, k):
    g = Gaussian(x, k)
    if k > 0:
        g = Oscillator(k, x)
    return g.log_density(x)


@pytest.mark.parametrize("function, words", [
    (calls_a_method_that_changes_its_record, "'stiffened' changes its argument 'self' in place"),
    (calls_a_method_of_a_record_bound_to_two_classes,
     "the class of the object it is called on is not known when compiling"),
])
def test_methods_of_records_that_cannot_be_followed_are_refused_naming_the_line(function, words):
    with pytest.raises(ad.AdError) as info:
        ad.grad(function)(np.array([0.4, -0.7, 1.3]), 0.7)
    assert words in str(info.value)
    assert "test_namedtuple_params.py:" in str(info.value)
