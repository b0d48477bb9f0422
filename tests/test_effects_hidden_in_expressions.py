"""A call that changes its receiver is never passed over because of where it
stands. `d.update(...)`, `d.setdefault(...)`, `d.pop(k)`, `d.popitem()`,
`L.pop(i)`, `s.add(v)`, `operator.iadd(a, x)`, `heapq.heapreplace(h, v)`
used as a value (after `and`, in a condition of
`a if c else b`, inside `... or None`), and a method taken as a value and
called through a name (`s = a.sort; s()`), changed the object in Python but
not in the derivative: every one of these programs had a wrong gradient and
no error. Each is now refused, naming the line, where a derivative meets
the object or the arguments; the same calls on values without derivatives
still run as written."""

from __future__ import annotations

import heapq
import operator

import numpy as np
import pytest
import torch

import adcompiler as ad

torch.set_default_dtype(torch.float64)

X = np.array([0.7, -1.3, 0.4, 2.1])


def _made(x):
    return {"a": x[0]}


def update_inside_or(x):
    d = _made(x)
    d.update({"a": x[1]}) or None
    return d["a"]


def setdefault_in_a_condition(x):
    d = _made(x)
    t = x[2] if d.setdefault("b", x[1]) is None else x[3]
    return d["b"] * t


def setdefault_after_and(x):
    d = {}
    flag = x[0] > 0 and d.setdefault("a", x[1]) > 0
    return x[2] * flag + d.get("a", 0.0)


def update_after_and(x):
    d = {"a": x[0]}
    changed = len(d) > 0 and d.update(a=x[1]) is None
    return d["a"] * changed


def pop_after_and(x):
    d = {"a": x[0], "b": x[1]}
    popped = x[0] > 0 and d.pop("a") is not None
    return sum(d.values()) + x[2] * popped


def list_pop_in_a_branch_of_a_conditional(x):
    items = [x[0], x[1]]
    first = items.pop(0) if x[2] > 0 else 0.0
    return items[0] * 1.0 + first


def sort_method_taken_as_a_value(x):
    a = x * 1.0
    sort = a.sort
    sort()
    return a[0] * 1.0


def in_place_operator_function_used_as_a_value(x):
    a = x * 1.0
    doubled = operator.iadd(a, x)  # noqa: F841  (the call used as a value is the point)
    return a[0] * 1.0


def heap_replace_used_as_a_value(x):
    heap = [x[2], x[3]]
    popped_large = heapq.heapreplace(heap, x[0] * x[1]) > 10.0
    return heap[0] * 2.0 + popped_large


def sort_method_taken_with_getattr(x):
    a = x * 1.0
    sort = getattr(a, "sort")
    sort()
    return a[0] * 1.0


def max_of_a_dict_by_its_get_method(x):
    # `key=d.get` is a method that reads: it is called, not refused.
    d = {"a": x[0], "b": x[1], "c": x[2]}
    best = max(d, key=d.get)
    return d[best] * x[3]


WRONG_BEFORE = [sort_method_taken_with_getattr, in_place_operator_function_used_as_a_value, heap_replace_used_as_a_value,
                update_inside_or, setdefault_in_a_condition, setdefault_after_and,
                update_after_and, pop_after_and, list_pop_in_a_branch_of_a_conditional,
                sort_method_taken_as_a_value]


@pytest.mark.parametrize("program", WRONG_BEFORE, ids=lambda f: f.__name__)
@pytest.mark.parametrize("mode", ["grad", "jvp"])
def test_a_change_hidden_in_an_expression_is_refused_naming_the_line(program, mode):
    with pytest.raises(ad.AdError) as caught:
        if mode == "grad":
            ad.grad(program)(X.copy())
        else:
            ad.jvp(program)((X.copy(),), (np.ones(4),))
    assert "test_effects_hidden_in_expressions.py:" in str(caught.value)


def set_added_to_where_its_value_is_used(x):
    seen = set()
    total = 0.0
    for i in range(len(x)):
        if i not in seen and (seen.add(i) or True):
            total = total + x[i] * x[i]
        seen.add(i) or seen.discard(-1)
    return total


def pop_of_a_list_of_constants_in_a_condition(x):
    order = [3, 2, 1, 0]
    last = order.pop(0) if x[0] > 0 else 0
    return x[last] * x[order[0]]


def sort_of_a_constant_list_taken_as_a_value(x):
    order = [2, 0, 1]
    sort = order.sort
    sort()
    return x[order[0]] * x[order[2]]


@pytest.mark.parametrize("program", [max_of_a_dict_by_its_get_method,
                                     set_added_to_where_its_value_is_used,
                                     pop_of_a_list_of_constants_in_a_condition,
                                     sort_of_a_constant_list_taken_as_a_value],
                         ids=lambda f: f.__name__)
def test_the_same_calls_on_values_without_derivatives_run_as_written(program):
    point = torch.tensor(X, requires_grad=True)
    expected, = torch.autograd.grad(program(point), point)
    np.testing.assert_allclose(ad.grad(program)(X.copy()), expected.numpy(), rtol=1e-13)
