"""Ordinary Python idioms that adcompiler differentiates exactly: callable
objects used as layers (`layer(x)` calls `type(layer).__call__`),
`super().method(...)` inside methods, `copy.copy` and `copy.deepcopy`,
`x.item()`, `float(x)` and `x.tolist()`, and
`functools.reduce(f, xs, init)`. Each program is checked against its torch twin in float64, in
reverse mode (grad) and forward mode (jvp), with the primal value equal to the
program's and the inputs unchanged."""

import copy
import functools
import operator
from functools import reduce

import numpy as np
import pytest
import torch

import adcompiler as ad
from adcompiler.runtime import python_builtins as runtime_builtins
from oracles import assert_close, torch_directional, torch_gradients

# The rules these programs check against torch in grad, jvp and hessian
# (tests/test_numpy_coverage.py counts them as covered): copy.deepcopy, x.item()
# and x.tolist(), with the helpers their derivatives call at second order.
COVERED_TOO = (runtime_builtins.deep_copied, runtime_builtins.deep_copy_derivative,
               runtime_builtins.item_of, runtime_builtins.item_adjoint,
               runtime_builtins.item_tangent, runtime_builtins.as_list,
               runtime_builtins.tolist_adjoint, runtime_builtins.tolist_tangent)

X = np.array([0.3, -0.7, 1.1])
W = np.array([[0.5, -0.2, 0.1], [0.3, 0.8, -0.4], [-0.6, 0.2, 0.9]])


class Dense:
    def __init__(self, W, scale):
        self.W = W
        self.scale = scale

    def __call__(self, x):
        return np.tanh(self.W @ x) * self.scale


class Residual(Dense):
    def __call__(self, x):
        return x + super().__call__(x)


class Scaled:
    def __init__(self, s):
        self.s = s

    def apply(self, x):
        return self.s * np.sin(x)


class Shifted(Scaled):
    def __init__(self, s, shift):
        super().__init__(s)
        self.shift = shift

    def apply(self, x):
        return super().apply(x) + self.shift * x


class Squashed(Shifted):
    def apply(self, x):
        return np.tanh(super(Shifted, self).apply(x)) + super().apply(x)


LAYER = Dense(W, 2.0)
BLOCK = Residual(W, 0.5)
SHIFTED = Shifted(1.5, 0.25)


def call_of_a_module_level_layer(x):
    return np.sum(LAYER(x) ** 2)


def torch_call_of_a_module_level_layer(x):
    return torch.sum((torch.tanh(torch.as_tensor(W) @ x) * 2.0) ** 2)


def callable_layers_chained(x):
    h = BLOCK(LAYER(x))
    return np.sum(np.sin(h))


def torch_callable_layers_chained(x):
    h = torch.tanh(torch.as_tensor(W) @ x) * 2.0
    h = h + torch.tanh(torch.as_tensor(W) @ h) * 0.5
    return torch.sum(torch.sin(h))


def super_method_call(x):
    return np.sum(SHIFTED.apply(x) ** 2)


def torch_super_method_call(x):
    return torch.sum((1.5 * torch.sin(x) + 0.25 * x) ** 2)


SQUASHED = Squashed(1.5, 0.25)


def super_with_a_class_named_skips_to_the_next_class(x):
    return np.sum(SQUASHED.apply(x) ** 2)


def torch_super_with_a_class_named_skips_to_the_next_class(x):
    return torch.sum((torch.tanh(1.5 * torch.sin(x)) + 1.5 * torch.sin(x) + 0.25 * x) ** 2)


def copy_copy_of_an_array(x):
    y = copy.copy(x)
    y[0] = y[0] * 3.0
    return np.sum(y * x)


def torch_copy_copy_of_an_array(x):
    y = torch.cat([x[:1] * 3.0, x[1:]])
    return torch.sum(y * x)


def copy_copy_of_a_dict_shares_its_arrays(x):
    params = {"w": x * 1.0, "b": x[:2] * 2.0}
    shallow = copy.copy(params)
    shallow["w"] = shallow["w"] + 1.0  # rebinds the entry in the copy only
    return np.sum(shallow["w"] * params["w"]) + np.sum(shallow["b"] ** 2)


def torch_copy_copy_of_a_dict_shares_its_arrays(x):
    w, b = x * 1.0, x[:2] * 2.0
    return torch.sum((w + 1.0) * w) + torch.sum(b ** 2)


def deepcopy_of_parameters_is_independent(x):
    params = {"w": x * 1.0, "pair": (x[0], x[1:] * 2.0)}
    saved = copy.deepcopy(params)
    params["w"][0] = 10.0  # a write into the original's array: the copy keeps x[0]
    first, rest = saved["pair"]
    return np.sum(saved["w"] * params["w"]) + first * np.sum(rest)


def torch_deepcopy_of_parameters_is_independent(x):
    w = torch.cat([torch.tensor([10.0]), x[1:]])
    return torch.sum(x * w) + x[0] * torch.sum(x[1:] * 2.0)


def item_of_a_reduction(x):
    total = np.sum(x ** 2).item()
    return total * np.sum(np.sin(x)) + x[1:2].item()


def torch_item_of_a_reduction(x):
    return torch.sum(x ** 2) * torch.sum(torch.sin(x)) + x[1]


class Affine(Dense):
    def __init__(self, W, scale, shift):
        super().__init__(W, scale)
        self.shift = shift

    def __call__(self, x):
        return super().__call__(x) + self.shift


def layer_built_inside_the_function(x):
    layer = Dense(W, 1.5)
    head = Affine(W.T, 0.5, 0.1)  # its __init__ calls super().__init__
    return np.sum(head(layer(x)) ** 2)


def torch_layer_built_inside_the_function(x):
    h = torch.tanh(torch.as_tensor(W) @ x) * 1.5
    return torch.sum((torch.tanh(torch.as_tensor(W.T) @ h) * 0.5 + 0.1) ** 2)


def reduce_with_a_lambda(x):
    return functools.reduce(lambda acc, v: acc * v + np.sin(v), x, 1.0)


def torch_reduce_with_a_lambda(x):
    acc = 1.0
    for v in x:
        acc = acc * v + torch.sin(v)
    return acc


def reduce_over_a_generator_expression(x):
    # A function without effects cannot tell the items pulled one by one
    # from their list (lower_reduce.py).
    return functools.reduce(operator.add, (np.exp(v) for v in x)) + \
        functools.reduce(np.maximum, (v * v for v in x if v > -1.0), 0.5)


def torch_reduce_over_a_generator_expression(x):
    kept = torch.stack([v * v for v in x if v > -1.0] + [torch.tensor(0.5, dtype=x.dtype)])
    return torch.sum(torch.exp(x)) + torch.max(kept)


def weighted_step(acc, v):
    return 0.5 * acc + v ** 2


def reduce_with_a_module_function_over_rows(x):
    rows = np.stack([x, 2.0 * x])
    total = reduce(weighted_step, rows, np.zeros(3))
    return np.sum(np.cos(total))


def torch_reduce_with_a_module_function_over_rows(x):
    total = torch.zeros(3)
    for v in (x, 2.0 * x):
        total = 0.5 * total + v ** 2
    return torch.sum(torch.cos(total))


def reduce_with_a_local_function(x):
    scale = x[0]

    def step(acc, v):
        return acc + scale * v

    acc = 0.0
    for _ in range(2):
        acc += functools.reduce(step, [x[1], x[2]], x[0])
    return acc


def torch_reduce_with_a_local_function(x):
    return 2.0 * (x[0] + x[0] * x[1] + x[0] * x[2])


def tolist_and_float_of_array_elements(x):
    pairs = np.outer(x, x).tolist()  # nested lists of Python floats
    total = float(x[2]) ** 2
    for row in pairs:
        for v in row:
            total = total + v * v
    values = (x * 2.0).tolist()
    zero_d = np.reshape(x[1:2], ())  # a 0-d array
    return total + values[0] * values[1] + np.sum(x).tolist() + float(zero_d) * \
        zero_d.item() + np.reshape(x[:2], (1, 2)).tolist()[0][1]


def torch_tolist_and_float_of_array_elements(x):
    return x[2] ** 2 + torch.sum(torch.outer(x, x) ** 2) + 4.0 * x[0] * x[1] + torch.sum(x) \
        + x[1] ** 2 + x[1]


LAYERS = [Dense(W, 1.0), Dense(W.T * 0.5, 2.0)]


def loop_over_a_module_level_list_of_layers(x):
    h = x
    for layer in LAYERS:
        h = layer(h)
    return np.sum(h ** 2)


def torch_loop_over_a_module_level_list_of_layers(x):
    h = torch.tanh(torch.as_tensor(W) @ x)
    h = torch.tanh(torch.as_tensor(W.T * 0.5) @ h) * 2.0
    return torch.sum(h ** 2)


def reduce_without_an_initial_value(x):
    total = functools.reduce(lambda acc, v: acc * v + np.sin(v), [x[0], x[1], x[2]])
    return total + 2.0 * np.sum(functools.reduce(np.maximum, np.stack([x, x[::-1] * 0.9])),
                                axis=0)


def torch_reduce_without_an_initial_value(x):
    return (x[0] * x[1] + torch.sin(x[1])) * x[2] + torch.sin(x[2]) + \
        2.0 * torch.sum(torch.maximum(x, torch.flip(x, [0]) * 0.9))


NAMED_LAYERS = {"first": Dense(W, 1.0)}


def layers_picked_by_index_and_key(x):
    return np.sum(LAYERS[1](NAMED_LAYERS["first"](x)) ** 2)


PROGRAMS = [
    (call_of_a_module_level_layer, torch_call_of_a_module_level_layer),
    (callable_layers_chained, torch_callable_layers_chained),
    (super_method_call, torch_super_method_call),
    (super_with_a_class_named_skips_to_the_next_class,
     torch_super_with_a_class_named_skips_to_the_next_class),
    (copy_copy_of_an_array, torch_copy_copy_of_an_array),
    (copy_copy_of_a_dict_shares_its_arrays, torch_copy_copy_of_a_dict_shares_its_arrays),
    (deepcopy_of_parameters_is_independent, torch_deepcopy_of_parameters_is_independent),
    (item_of_a_reduction, torch_item_of_a_reduction),
    (tolist_and_float_of_array_elements, torch_tolist_and_float_of_array_elements),
    (layer_built_inside_the_function, torch_layer_built_inside_the_function),
    (loop_over_a_module_level_list_of_layers, torch_loop_over_a_module_level_list_of_layers),
    (layers_picked_by_index_and_key, torch_loop_over_a_module_level_list_of_layers),
    (reduce_with_a_lambda, torch_reduce_with_a_lambda),
    (reduce_without_an_initial_value, torch_reduce_without_an_initial_value),
    (reduce_with_a_module_function_over_rows, torch_reduce_with_a_module_function_over_rows),
    (reduce_with_a_local_function, torch_reduce_with_a_local_function),
    (reduce_over_a_generator_expression, torch_reduce_over_a_generator_expression),
]


@pytest.mark.parametrize("program, twin", PROGRAMS, ids=[p.__name__ for p, _ in PROGRAMS])
def test_idiom_gradient_matches_torch(program, twin):
    x = X.copy()
    gradient = ad.grad(program)(x)
    np.testing.assert_array_equal(x, X)
    assert_close(gradient, torch_gradients(twin, (X,), (0,))[0])


@pytest.mark.parametrize("program, twin", PROGRAMS, ids=[p.__name__ for p, _ in PROGRAMS])
def test_idiom_jvp_matches_torch(program, twin):
    x, tangent = X.copy(), np.array([0.4, -1.3, 0.7])
    value, directional = ad.jvp(program)((x,), (tangent,))
    np.testing.assert_array_equal(x, X)
    want_value, want_directional = torch_directional(twin, (X,), (0,), (tangent,))
    assert_close(value, program(X.copy()))
    assert_close(value, want_value)
    assert_close(directional, want_directional)


@pytest.mark.parametrize("program, twin", PROGRAMS, ids=[p.__name__ for p, _ in PROGRAMS])
def test_idiom_hessian_matches_torch(program, twin):
    hessian = ad.hessian(program)(X.copy())
    assert_close(hessian, torch.autograd.functional.hessian(twin, torch.tensor(X)).numpy())


def deepcopy_of_a_list_argument(xs):
    copied = copy.deepcopy(xs)
    copied.append(xs[0])
    return copied[0] * copied[-1]


def test_deepcopy_of_a_list_of_differentiated_values_is_refused():
    with pytest.raises(ad.UnsupportedSyntaxError, match="deepcopy of a list"):
        ad.grad(deepcopy_of_a_list_argument)([np.float64(0.5), np.float64(2.0)])


def layer_built_from_differentiated_weights(w, x):
    layer = Dense(w, 1.0)
    return np.sum(layer(x)) + np.sum(layer.W)


def test_a_layer_built_and_used_in_the_function_carries_derivatives():
    # Its attributes become variables (passes/local_objects.py, tests/test_local_objects.py).
    assert_close(ad.grad(layer_built_from_differentiated_weights)(W, X), torch_gradients(
        lambda w, x: torch.sum(torch.tanh(w @ x)) + torch.sum(w), (W, X), (0,))[0])


def apply_layer(layer, x):
    return np.tanh(layer.W @ x)


def layer_passed_to_a_helper(w, x):
    layer = Dense(w, 1.0)
    return np.sum(apply_layer(layer, x))


def test_a_layer_passed_to_a_helper_of_its_module_carries_derivatives():
    # The helper, given the object, is inlined as a method is (passes/local_objects.py,
    # tests/test_local_objects_inspection.py); it was refused before.
    want = torch_gradients(lambda w, x: torch.sum(torch.tanh(w @ x)), (W, X), (0,))[0]
    for mode in ("reverse", "forward"):
        assert_close(ad.grad(layer_passed_to_a_helper, mode=mode)(W, X), want)


def reduce_inside_an_expression(x):
    return x[2] * functools.reduce(lambda a, b: a * b, [x[0], x[1]])


def test_reduce_inside_an_expression_runs_after_what_python_evaluates_before_it():
    # x[2] is read into a temporary before the reduce's loop, then the product
    # is formed: Python's order (tests/test_error_quality_defects.py has more).
    gradient = ad.grad(reduce_inside_an_expression)(X)
    assert_close(gradient, torch_gradients(
        lambda x: x[2] * x[0] * x[1], (X,), (0,))[0])


def reduce_of_a_list_argument(xs):
    return functools.reduce(lambda a, b: a * b, xs)


def test_reduce_without_an_initial_value_of_an_empty_list_raises_as_python_does():
    with pytest.raises(TypeError, match="empty iterable with no initial value"):
        ad.grad(reduce_of_a_list_argument)([])


class SquaredLoss:
    def __init__(self, target):
        self.target = target

    def __call__(self, x):
        return np.sum((LAYER(x) - self.target) ** 2)


def test_a_callable_object_is_differentiated_as_its_call_method():
    loss, target = SquaredLoss(np.array([0.1, 0.2, -0.3])), np.array([0.1, 0.2, -0.3])

    def twin(x):
        return torch.sum((torch.tanh(torch.as_tensor(W) @ x) * 2.0 - torch.as_tensor(target)) ** 2)

    x = X.copy()
    assert_close(ad.grad(loss)(x), torch_gradients(twin, (X,), (0,))[0])
    tangent = np.array([0.4, -1.3, 0.7])
    value, directional = ad.jvp(loss)((x,), (tangent,))
    want_value, want_directional = torch_directional(twin, (X,), (0,), (tangent,))
    assert_close(value, want_value)
    assert_close(directional, want_directional)
    np.testing.assert_array_equal(x, X)


def deepcopy_of_a_parameter_dict(params):
    saved = copy.deepcopy(params)
    saved["w"][0] = 5.0  # the copy's array: params["w"] keeps its value
    first, second = saved["pair"]
    return np.sum(saved["w"] * params["w"]) + np.sum(first * np.sin(params["pair"][1])) \
        + np.sum(second)


def torch_deepcopy_of_a_parameter_dict(w, a, b):
    saved_w = torch.cat([torch.tensor([5.0]), w[1:]])
    return torch.sum(saved_w * w) + torch.sum(a * torch.sin(b)) + torch.sum(b)


def test_deepcopy_of_a_differentiated_dict_matches_torch_in_both_modes():
    params = {"w": X.copy(), "pair": (X[:2] * 0.5, X[1:] + 0.2)}
    before = copy.deepcopy(params)
    flat = (params["w"], params["pair"][0], params["pair"][1])
    want = torch_gradients(torch_deepcopy_of_a_parameter_dict, flat, (0, 1, 2))
    gradient = ad.grad(deepcopy_of_a_parameter_dict)(params)
    assert_close(gradient["w"], want[0])
    assert_close(gradient["pair"][0], want[1])
    assert_close(gradient["pair"][1], want[2])
    tangents = {"w": np.array([0.4, -1.3, 0.7]), "pair": (np.array([1.0, 2.0]),
                                                           np.array([-0.5, 0.3]))}
    value, directional = ad.jvp(deepcopy_of_a_parameter_dict)((params,), (tangents,))
    want_value, want_directional = torch_directional(
        torch_deepcopy_of_a_parameter_dict, flat, (0, 1, 2),
        (tangents["w"], *tangents["pair"]))
    assert_close(value, deepcopy_of_a_parameter_dict(copy.deepcopy(params)))
    assert_close(value, want_value)
    assert_close(directional, want_directional)
    for now, then in zip((params["w"], *params["pair"]), (before["w"], *before["pair"])):
        np.testing.assert_array_equal(now, then)


def write_through_a_shallow_copy(x):
    params = {"w": x * 1.0}
    shallow = copy.copy(params)
    shallow["w"][0] = 5.0  # also changes params["w"]: the arrays are shared
    return np.sum(params["w"] * x)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_write_through_a_shallow_copy_of_a_dict_changes_the_original_as_in_python(mode):
    # params["w"][0] is 5.0 too: the value is 5 x0 + the sum of x[1:] ** 2.
    expected = np.concatenate([[5.0], 2.0 * X[1:]])
    np.testing.assert_allclose(ad.grad(write_through_a_shallow_copy, mode=mode)(X), expected,
                               rtol=1e-12)


class StraightThroughRound:
    def __call__(self, x):
        return np.round(x)


ROUND = StraightThroughRound()
ad.register_rule(ad.pointwise(ROUND, "x", x="g"))  # the straight-through estimator


def rounded_layer(x):
    return np.sum(ROUND(x * 3.0) * x)


def test_a_callable_object_with_a_registered_rule_is_called_through_its_rule():
    # The rule (derivative 1) is used, not __call__'s source (np.round: derivative 0).
    want = np.round(X * 3.0) + 3.0 * X
    assert_close(ad.grad(rounded_layer)(X.copy()), want)


def test_a_layer_list_holding_another_class_since_compiling_raises():
    gradient = ad.grad(loop_over_a_module_level_list_of_layers)
    gradient(X.copy())
    LAYERS.append(Residual(W, 0.5))  # Residual.__call__ is not the one compiled
    try:
        with pytest.raises(ad.SourceChangedError, match="compiled the methods of a Dense"):
            gradient(X.copy())
    finally:
        LAYERS.pop()


def test_a_layer_entry_replaced_by_another_class_is_followed_when_asked_again():
    ad.grad(layers_picked_by_index_and_key)(X.copy())
    NAMED_LAYERS["first"] = Residual(W, 1.0)  # the entry read when compiling changed

    def twin(x):
        h = x + torch.tanh(torch.as_tensor(W) @ x)
        return torch.sum((torch.tanh(torch.as_tensor(W.T * 0.5) @ h) * 2.0) ** 2)

    try:
        assert_close(ad.grad(layers_picked_by_index_and_key)(X.copy()),
                     torch_gradients(twin, (X,), (0,))[0])
    finally:
        NAMED_LAYERS["first"] = Dense(W, 1.0)


def test_a_module_level_layer_rebound_to_another_class_is_followed_by_a_derivative_made_before(
        monkeypatch):
    gradient = ad.grad(call_of_a_module_level_layer)
    gradient(X.copy())
    # Residual.__call__ is not the one compiled (no `global` statement here: it
    # would make LAYER a global the module's functions write): the derivative
    # held is compiled again for it (held.py), as f now calls it.
    monkeypatch.setitem(globals(), "LAYER", Residual(W, 2.0))
    x = torch.tensor(X, requires_grad=True)
    torch.sum((x + torch.tanh(torch.as_tensor(W) @ x) * 2.0) ** 2).backward()
    assert_close(gradient(X.copy()), x.grad.numpy())


class Sine:
    def apply(self, x):
        return np.sin(x)


class Cube:
    def apply(self, x):
        return x ** 3


MODEL = Sine()


def method_of_a_module_level_object(x):
    return np.sum(MODEL.apply(x))


def test_a_method_of_a_module_level_object_rebound_to_another_class_is_followed(monkeypatch):
    gradient = ad.grad(method_of_a_module_level_object)
    assert_close(gradient(X.copy()), np.cos(X))
    monkeypatch.setitem(globals(), "MODEL", Cube())
    assert_close(gradient(X.copy()), 3.0 * X ** 2)
    assert_close(ad.grad(method_of_a_module_level_object)(X.copy()), 3.0 * X ** 2)
