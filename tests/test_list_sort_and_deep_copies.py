"""`L.sort(key=..., reverse=...)` of a list of arrays or numbers sorts the
list object in place, as `L[:] = sorted(L, key=...)` does: differentiated
exactly (reverse mode, forward mode and Hessian-vector products against
torch.autograd, float64), a second name for the list seeing the new order.
`copy.deepcopy` of a container that holds one object twice makes a copy that
holds its copy twice: an in-place update through one entry changes the
other, which the derivative does not follow, so it is refused naming the
line (it gave a wrong value silently); a list's deep copy stays refused, and
so do attribute writes on a SimpleNamespace or dataclass built in the
function, each with a message naming the line."""

from __future__ import annotations

import copy
import types
from dataclasses import dataclass

import numpy as np
import pytest
import torch

import adcompiler as ad
from torch_oracle import value_gradient_and_hvp

torch.set_default_dtype(torch.float64)

X = np.array([0.3, -0.7, 1.1, 0.4])
DIRECTION = np.array([0.5, -1.0, 0.25, 2.0])


def numbers_sorted_by_a_lambda(x):
    L = [x[0] * 2.0, np.sin(x[1]), x[2] ** 2, x[3]]
    L.sort(key=lambda t: -t)
    return L[0] * 3.0 + L[1] * L[2] + L[3]


def arrays_sorted_by_their_sums(x):
    L = [x[:2] * 1.0, np.sin(x[2:]), x[1:3] ** 2]
    L.sort(key=lambda a: float(np.sum(a)))
    return np.sum(L[0] * 3.0) + np.sum(L[1] * L[2])


def arrays_sorted_in_reverse_then_written(x):
    L = [x[:2] * 1.0, np.sin(x[2:]), np.cos(x[1:3])]
    L.sort(key=lambda a: float(a[0]), reverse=True)
    L[0] *= x[3]
    L[2][1] = x[0] * x[1]
    return np.sum(L[0] * 3.0) + np.sum(L[1] * L[2])


def sorted_list_read_through_a_second_name(x):
    L = [x[:2] * 1.0, np.sin(x[2:])]
    M = L
    L.sort(key=lambda a: float(a[1]), reverse=True)
    return np.sum(M[0] * 3.0) + np.sum(M[1] * x[:2])


def numbers_sorted_in_reverse(x):
    L = [np.tanh(x[0]), x[1] * x[2], x[3] ** 3]
    L.sort(reverse=True)
    return L[0] - 2.0 * L[1] + 4.0 * L[2]


SORTS = [numbers_sorted_by_a_lambda, arrays_sorted_by_their_sums,
         arrays_sorted_in_reverse_then_written, sorted_list_read_through_a_second_name,
         numbers_sorted_in_reverse]


def on_torch(program):
    """The program run on a torch tensor, its `np` bound to torch's functions
    (the list sort is Python's own on both)."""
    torch_as_numpy = types.SimpleNamespace(sin=torch.sin, cos=torch.cos, tanh=torch.tanh,
                                           sum=torch.sum)
    namespace = dict(program.__globals__, np=torch_as_numpy)
    return types.FunctionType(program.__code__, namespace, program.__name__)


def torch_derivatives(program):
    return value_gradient_and_hvp(on_torch(program), X, DIRECTION)


@pytest.mark.parametrize("program", SORTS, ids=lambda f: f.__name__)
def test_list_sorted_in_place_by_key_matches_torch(program):
    value, gradient, product = torch_derivatives(program)
    assert np.isclose(program(X.copy()), value, rtol=1e-13)  # the twin is the program
    argument = X.copy()
    got_value, got_gradient = ad.value_and_grad(program)(argument)
    assert np.array_equal(argument, X)
    np.testing.assert_allclose(got_value, value, rtol=1e-13)
    np.testing.assert_allclose(got_gradient, gradient, rtol=1e-11, atol=1e-12)
    primal, tangent = ad.jvp(program)((X.copy(),), (DIRECTION.copy(),))
    np.testing.assert_allclose(primal, value, rtol=1e-13)
    np.testing.assert_allclose(tangent, np.sum(gradient * DIRECTION), rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(ad.hvp(program)((X.copy(),), (DIRECTION.copy(),)), product,
                               rtol=1e-10, atol=1e-11)


# -- deep copies holding one object twice: refused, never wrong ------------------------

def deep_copy_of_a_dict_holding_an_array_twice(x):
    v = x[:2] * 1.0
    D = {"a": v, "b": v}
    E = copy.deepcopy(D)
    E["a"] *= x[3]              # E["b"] is E["a"]: doubled too
    return np.sum(E["b"] * E["b"])


def deep_copy_holding_an_array_in_a_nested_dict_too(x):
    v = x[:2] * 1.0
    D = {"a": {"c": v}, "b": v}
    E = copy.deepcopy(D)
    E["b"] *= x[3]              # E["a"]["c"] is E["b"]
    return np.sum(E["a"]["c"] * E["a"]["c"])


@pytest.mark.parametrize("program", [deep_copy_of_a_dict_holding_an_array_twice,
                                     deep_copy_holding_an_array_in_a_nested_dict_too],
                         ids=lambda f: f.__name__)
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_update_through_a_deep_copy_holding_an_object_twice_is_refused(program, mode):
    with pytest.raises(ad.SharedMemoryError,
                       match=r"test_list_sort_and_deep_copies\.py:\d+.*more than once"):
        ad.grad(program, mode=mode)(X.copy())


def deep_copy_of_a_dict_of_distinct_arrays(x):
    D = {"a": x[:2] * 1.0, "b": np.sin(x[2:])}
    E = copy.deepcopy(D)
    E["a"] *= x[3]
    return np.sum(D["a"]) + np.sum(E["a"] * E["b"])


def test_deep_copy_of_distinct_arrays_is_still_differentiated():
    def expected(x):
        return np.sum(x[:2]) + np.sum(x[:2] * x[3] * np.sin(x[2:]))
    h = 1e-6
    gradient = [(expected(X + h * e) - expected(X - h * e)) / (2 * h) for e in np.eye(4)]
    np.testing.assert_allclose(ad.grad(deep_copy_of_a_dict_of_distinct_arrays)(X.copy()),
                               gradient, rtol=1e-7, atol=1e-9)


# -- refused with a message naming the line --------------------------------------------

def deep_copy_of_a_list(x):
    L = [x[:2] * 1.0, np.sin(x[2:])]
    M = copy.deepcopy(L)
    M[0] *= x[3]
    return np.sum(L[0]) + np.sum(M[0] * M[1])


def namespace_attribute_written(x):
    p = types.SimpleNamespace(a=x[:2] * 1.0, b=x[2])
    p.a = p.a * 2.0
    return np.sum(p.a) + p.b


@dataclass
class Pair:
    u: np.ndarray
    w: float


def dataclass_attribute_written(x):
    p = Pair(x[:2] * 1.0, x[2])
    p.u *= x[3]
    return np.sum(p.u ** 2) + p.w


@pytest.mark.parametrize("program", [deep_copy_of_a_list, namespace_attribute_written,
                                     dataclass_attribute_written], ids=lambda f: f.__name__)
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_unmodelled_container_forms_are_refused_naming_the_line(program, mode):
    with pytest.raises(ad.AdError, match=r"test_list_sort_and_deep_copies\.py:\d+"):
        ad.grad(program, mode=mode)(X.copy())


class OwnSort:
    """Not a list: its sort method is its own (it replaces the values)."""

    def __init__(self, values):
        self.values = values

    def sort(self, key=None, reverse=False):
        self.values = [10.0, 20.0]


def sorts_an_object_of_its_own_class(x, holder):
    holder.sort(key=abs)
    return x[0] * holder.values[0]


class LocalBag:
    def __init__(self, items):
        self.items = list(items)

    def sort(self, key=None):
        self.items = self.items[::-1]

    def total(self):
        return self.items[0] * 2.0 + self.items[1]


def sorts_a_local_object_of_its_own_class(x):
    bag = LocalBag([x[0], x[1]])
    bag.sort(key=abs)
    return bag.total()


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_sort_by_key_of_an_object_that_is_not_a_list_is_refused_never_replaced(mode):
    # Compiled as a list's sort; another class's own sort would silently be
    # replaced by it: refused where it runs (an argument) or when compiling
    # (an object the function creates), naming the line.
    x = np.array([0.3, 0.9])
    with pytest.raises(ad.UnsupportedSyntaxError, match=r"\.sort\(key=\.\.\., reverse=\.\.\.\) "
                       "is called on a OwnSort object"):
        ad.grad(sorts_an_object_of_its_own_class, mode=mode)(x, OwnSort([3.0, 1.0]))
    with pytest.raises(ad.UnsupportedSyntaxError, match="bag.sort"):
        ad.grad(sorts_a_local_object_of_its_own_class, mode=mode)(x)
