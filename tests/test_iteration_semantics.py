"""A `for` loop iterates what Python iterates: a dict's keys, its views, a set's
items, an iterator's items, an array's rows, checked in every mode against
torch running the same Python (which iterates the same way)."""

import os

import numpy as np
import pytest
import torch

import adcompiler as ad
from error_checks import line_of
from oracles import assert_close

# Programs written with operators and `.sum()` only, so that the same function
# runs on torch tensors: its twin is itself.


def for_over_dict_iterates_keys_like_python(x):
    # Integer keys that are not positions 0, 1, 2: indexing by position would
    # read the wrong entries (or none).
    d = {2: x, 0: x * x, 5: 3.0 * x}
    s = 0.0
    for k in d:
        s = s + (d[k] * d[k]).sum() * k
    return s


def for_over_dict_with_string_keys(x):
    d = {"w": x * x, "b": 2.0 * x}
    s = 0.0
    for name in d:
        s = s + (d[name] * x).sum()
    return s


def keys_values_and_items(x):
    d = {"a": x, "b": x * x}
    s = 0.0
    for k in d.keys():
        s = s + d[k].sum()
    for v in d.values():
        s = s + (v * v).sum()
    for k, v in d.items():
        s = s + (v * d[k] * x).sum()
    return s


def enumerate_and_zip_over_dict_views(x):
    d = {"a": x, "b": 2.0 * x, "c": x * x}
    s = 0.0
    for i, (k, v) in enumerate(d.items()):
        s = s + (v * v).sum() * (i + 1)
    for k, v in zip(d, d.values()):
        s = s + (d[k] * v).sum()
    return s


def reversed_dict_iterates_keys_backwards(x):
    d = {1: x, 2: x * x, 3: 2.0 * x}
    s = 1.0
    for k in reversed(d):
        s = s * 0.5 + (d[k] * k).sum()
    return s


def values_view_sees_writes_made_in_the_loop(x):
    # Python's d.values() is live: the second value is the one written in the
    # first iteration, 3x, not the 2x the dict held when the loop started.
    d = {"a": x, "b": 2.0 * x}
    s = 0.0
    for v in d.values():
        d["b"] = d["b"] + v
        s = s + (v * v).sum()
    return s


def list_of_values_is_a_copy_taken_when_the_loop_starts(x):
    d = {"a": x, "b": 2.0 * x}
    s = 0.0
    for v in list(d.values()):
        s = s + (v * v).sum()
    d["b"] = d["b"] * x
    return s + (d["b"] * x).sum()


def copy_of_values_written_in_the_loop(x):
    d = {"a": x, "b": 2.0 * x}
    s = 0.0
    for v in list(d.values()):
        d["b"] = d["b"] + v
        s = s + (v * v).sum()
    return s


def values_copied_before_the_loop(x):
    d = {"a": x, "b": 2.0 * x}
    s = 0.0
    values = [d[k] for k in d]
    for v in values:
        d["b"] = d["b"] + v
        s = s + (v * v).sum()
    return s


def comprehensions_over_dicts(x):
    d = {"a": x, "b": x * x}
    return sum((d[k] * x).sum() for k in d) + sum([(v * v).sum() for v in d.values()])


def loop_over_rows_of_the_argument(x):
    s = 0.0
    for row in x:
        s = s + row * row * row
    return s


def loop_over_a_dict_with_a_break(x):
    d = {3: x, 1: x * x, 7: x * 2.0}
    s = 0.0
    for k in d:
        if k == 7:
            break
        s = s + (d[k] * k).sum()
    return s


PROGRAMS = [for_over_dict_iterates_keys_like_python, for_over_dict_with_string_keys,
            keys_values_and_items, enumerate_and_zip_over_dict_views,
            reversed_dict_iterates_keys_backwards,
            values_view_sees_writes_made_in_the_loop,
            list_of_values_is_a_copy_taken_when_the_loop_starts,
            values_copied_before_the_loop,
            comprehensions_over_dicts, loop_over_rows_of_the_argument,
            loop_over_a_dict_with_a_break]

X = np.array([0.7, -1.3, 0.4])
V = np.array([0.3, 0.5, -1.1])


def torch_value_grad_hessian(f, x):
    t = torch.tensor(x, requires_grad=True)
    value = f(t)
    (grad,) = torch.autograd.grad(value, t)
    hessian = torch.autograd.functional.hessian(f, torch.tensor(x))
    return value.item(), grad.numpy(), hessian.numpy()


@pytest.mark.parametrize("f", PROGRAMS, ids=lambda f: f.__name__)
def test_loop_iterates_what_python_iterates_in_every_mode(f):
    value, grad, hessian = torch_value_grad_hessian(f, X)
    assert_close(f(X), value, label="the program itself, on NumPy")
    got_value, got_grad = ad.value_and_grad(f)(X)
    assert_close(got_value, value, label="value_and_grad's value")
    assert_close(got_grad, grad, label="reverse mode")
    assert_close(ad.grad(f, mode="forward")(X), grad, label="forward mode")
    assert_close(ad.jvp(f)((X,), (V,))[1], grad @ V, label="jvp")
    assert_close(ad.hessian(f)(X), hessian, label="hessian")
    assert_close(ad.hvp(f)((X,), (V,)), hessian @ V, label="hvp")
    assert_close(ad.grad(lambda_free_sum(f))(X), hessian.sum(axis=0),
                 label="grad of grad")


@pytest.mark.parametrize("f", [values_view_sees_writes_made_in_the_loop,
                               list_of_values_is_a_copy_taken_when_the_loop_starts,
                               values_copied_before_the_loop],
                         ids=lambda f: f.__name__)
def test_a_values_loop_that_writes_into_its_dict_reads_what_python_reads(f):
    value, grad, _ = torch_value_grad_hessian(f, X)
    assert_close(ad.value_and_grad(f)(X)[0], value)
    assert_close(ad.grad(f)(X), grad, label="reverse mode")
    assert_close(ad.jvp(f)((X,), (V,))[1], grad @ V, label="jvp")


def lambda_free_sum(f):
    """sum(grad f): a scalar function of x whose gradient is the Hessian's row sums."""
    df = ad.grad(f)

    def summed_gradient(x):
        return np.sum(df(x))
    return summed_gradient


def weighted_by_a_dict(x, weights):
    s = 0.0
    for name, w in weights.items():
        s = s + (x * x).sum() * w
    for name in weights:
        s = s + x.sum() * weights[name]
    return s


def weighted_by_items_of(x, items):
    s = 0.0
    for w in items:
        s = s + (x * x * w).sum()
    return s


@pytest.mark.parametrize("items", [
    {0.5, 2.0, -1.0},                    # a set: Python's order, whatever it is
    frozenset({3.0, 0.25}),
    {"a": 1.5, "b": -2.0}.values(),     # a dict view
    {1.5: "x", -0.5: "y"}.keys(),
    {4.0: None, 5.0: None},              # a dict: its keys
    (1.0, 2.0), [1.0, 2.0], np.array([1.0, 2.0]), range(1, 4),
], ids=lambda v: type(v).__name__)
def test_items_of_any_iterable_argument_are_those_python_visits(items):
    expected = 2 * X * sum(items)
    assert_close(weighted_by_items_of(X, items), np.sum(X * X) * sum(items))
    assert_close(ad.grad(weighted_by_items_of)(X, items), expected)
    assert_close(ad.jvp(weighted_by_items_of)((X, items), (V,))[1], expected @ V)
    assert_close(ad.hessian(weighted_by_items_of)(X, items), 2 * sum(items) * np.eye(3))


def test_an_iterator_argument_is_consumed_once_as_python_consumes_it():
    def fresh():
        return (w for w in (0.5, 1.5))
    assert_close(ad.grad(weighted_by_items_of)(X, fresh()), 2 * X * 2.0)
    assert_close(ad.jvp(weighted_by_items_of)((X, fresh()), (V,))[1], 2 * X @ V * 2.0)


def test_gradient_with_respect_to_a_dict_iterated_by_key_and_by_items():
    weights = {"b": 0.5, "a": -2.0}
    grads = ad.grad(weighted_by_a_dict, wrt=(0, 1))(X, weights)
    assert list(grads[1]) == ["b", "a"]
    for name, w in weights.items():
        assert_close(grads[1][name], np.sum(X * X) + np.sum(X))
    assert_close(grads[0], sum(weights.values()) * (2 * X + 1))
    tangent = ad.jvp(weighted_by_a_dict, wrt=1)((X, weights), ({"b": 1.0, "a": 0.0},))[1]
    assert_close(tangent, np.sum(X * X) + np.sum(X))


def sum_of_set_items_squared(items):
    s = 0.0
    for v in items:
        s = s + v * v
    return s


def test_a_set_whose_items_carry_a_derivative_is_refused_naming_the_loop():
    with pytest.raises(ad.UnsupportedSyntaxError) as info:
        ad.grad(sum_of_set_items_squared)(frozenset({1.0, 2.0}))
    message = str(info.value)
    assert "frozenset whose items carry a derivative" in message
    assert f"test_iteration_semantics.py:{line_of(sum_of_set_items_squared, 'for v')}" \
        in message
    assert "Instead:" in message


def test_iterating_a_number_raises_the_type_error_python_raises():
    with pytest.raises(TypeError, match="'float' object is not iterable"):
        weighted_by_items_of(X, 2.0)
    with pytest.raises(TypeError, match="'float' object is not iterable"):
        ad.grad(weighted_by_items_of)(X, 2.0)


class NotADict:
    def values(self):
        return [1.0, 2.0]


def over_values_of_an_object(x, obj):
    s = 0.0
    for w in obj.values():
        s = s + (x * w).sum()
    return s


def over_values_taken_before_the_loop(x, obj):
    s = 0.0
    items = list(obj.values())
    for w in items:
        s = s + (x * w).sum()
    return s


def test_values_of_an_object_that_is_not_a_dict_is_refused_with_a_rewrite_that_works():
    with pytest.raises(ad.UnsupportedSyntaxError) as info:
        ad.grad(over_values_of_an_object)(X, NotADict())
    message = str(info.value)
    assert ".values() of a NotADict" in message
    assert f"test_iteration_semantics.py:{line_of(over_values_of_an_object, 'obj.values')}" \
        in message
    assert "items = list(obj.values())" in message
    # The rewrite it suggests:
    assert_close(ad.grad(over_values_taken_before_the_loop)(X, NotADict()), np.full(3, 3.0))


def over_map(x, ws):
    s = 0.0
    for y in map(abs, ws):
        s = s + (x * y).sum()
    return s


def over_map_rewritten(x, ws):
    s = 0.0
    for w in ws:
        y = abs(w)
        s = s + (x * y).sum()
    return s


def over_filter(x, ws):
    s = 0.0
    for w in filter(None, ws):
        s = s + (x * w).sum()
    return s


def over_filter_rewritten(x, ws):
    s = 0.0
    for w in ws:
        if w:
            s = s + (x * w).sum()
    return s


def over_iter(x, ws):
    s = 0.0
    for w in iter(ws):
        s = s + (x * w).sum()
    return s


def over_iter_rewritten(x, ws):
    s = 0.0
    for w in ws:
        s = s + (x * w).sum()
    return s


@pytest.mark.parametrize("refused, rewritten, marker", [
    (over_map, over_map_rewritten, "in map("),
    (over_filter, over_filter_rewritten, "in filter("),
    (over_iter, over_iter_rewritten, "in iter("),
], ids=lambda v: getattr(v, "__name__", None) if callable(v) else None)
def test_iterator_builtins_are_refused_with_a_rewrite_that_compiles(refused, rewritten, marker):
    with pytest.raises(ad.UnsupportedSyntaxError) as info:
        ad.grad(refused)
    message = str(info.value)
    assert f"{os.path.basename(__file__)}:{line_of(refused, marker)}:" in message
    assert "Instead:" in message
    ws = [0.0, -2.0, 0.5]
    # Linear in x: the gradient is the sum of the items Python's loop visits.
    assert_close(ad.grad(rewritten)(X, ws), np.full(3, refused(np.ones(3), ws) / 3))


def writes_and_rebinds_while_iterating_values(x):
    d = {"a": x, "b": x}
    s = 0.0
    for v in d.values():
        d["b"] = v * 2.0
        d = {"a": v, "b": v}
        s = s + v.sum()
    return s


def test_a_values_loop_that_both_writes_into_and_rebinds_its_dict_is_refused():
    with pytest.raises(ad.UnsupportedSyntaxError) as info:
        ad.grad(writes_and_rebinds_while_iterating_values)
    message = str(info.value)
    assert "both writes into d and binds the name d again" in message
    assert "for k in d: v = d[k]" in message


def test_a_copy_of_values_that_the_loop_writes_into_is_read_as_python_does():
    # list(d.values()) is built before the loop (lower_comprehensions.py), so
    # the loop reads the copy, as Python does (2x, not 3x), as does the rewrite
    # an older version suggested.
    expected = torch_value_grad_hessian(copy_of_values_written_in_the_loop, X)[1]
    assert_close(ad.grad(copy_of_values_written_in_the_loop)(X), expected)
    assert_close(ad.grad(values_copied_before_the_loop)(X), expected)


def test_a_loop_over_a_list_built_in_the_function_reads_it_without_a_runtime_helper():
    def collected(x):
        hs = []
        for i in range(3):
            hs.append(x * i)
        s = 0.0
        for h in hs:
            s = s + h.sum()
        return s
    assert "loop_sequence" not in ad.source(ad.grad(collected))
    assert "loop_sequence(d, " in ad.source(ad.grad(for_over_dict_with_string_keys))
