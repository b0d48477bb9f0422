"""A shallow copy of a dict (`P.copy()`, `dict(P)`, `copy.copy(P)`) holds P's
own arrays: changing an entry of the copy in place (`E["w"] += v`,
`E["w"][1] = v`, through a view of the entry) changes P's entry too, as long
as P still holds that array. The derivative follows it (it was refused at run
time): gradients (reverse mode), jvp (forward mode) and Hessian-vector
products match torch.autograd (float64) on the same program run with torch
tensors. Where P no longer holds the object (an entry replaced in either
dict), only the copy changes, as in Python; where another name holds the
changed array (a second copy, a name bound to the entry before), the
derivative refuses at run time, naming the line."""

from __future__ import annotations

import copy
import types

import numpy as np
import pytest
import torch

import adcompiler as ad

torch.set_default_dtype(torch.float64)

X = np.array([0.3, -0.7, 1.1, 0.4, 0.9, -0.2])
W = np.array([0.5, -0.3, 0.8, 1.2])
B = np.array([0.1, 0.7, -0.6])
DIRECTIONS = (np.linspace(-1.0, 1.0, 6), np.array([0.5, 0.25, -1.0, 2.0]),
              np.array([-0.5, 1.5, 1.0]))


def entry_of_the_copy_updated(x, P):
    E = P.copy()
    E["w"] += x[:4]
    return np.sum(E["w"] ** 2) + np.sum(P["w"] * P["b"][0])


def element_of_an_entry_written(x, P):
    E = dict(P)
    E["w"][1] = x[0] * x[2]
    return np.sum(np.sin(P["w"])) + np.sum(E["w"] * E["b"][1])


def entry_written_through_a_view(x, P):
    E = copy.copy(P)
    v = E["b"][::2]
    v *= x[3]
    return np.sum(P["b"] ** 2) + np.sum(v)


def entry_replaced_in_the_copy_then_updated(x, P):
    E = P.copy()
    E["w"] = x[:4] * 2.0
    E["w"] += 1.0
    return np.sum(E["w"] ** 2) + np.sum(P["w"] ** 3)


def entry_replaced_in_the_base_then_the_copys_updated(x, P):
    E = P.copy()
    P["w"] = x[:4] * 2.0
    E["w"] *= x[5]
    return np.sum(E["w"] ** 2) + np.sum(P["w"] ** 3)


def new_entry_of_the_copy_updated(x, P):
    E = P.copy()
    E["c"] = x[:3] * 1.0
    E["c"] += x[3:]
    return np.sum(E["c"] ** 2) + np.sum(P["w"])


def entries_updated_in_a_loop(x, P):
    E = dict(P)
    for i in range(3):
        E["b"] *= np.cos(x[i])
        E["w"][i] += x[i + 1]
    return np.sum(P["b"] * P["w"][:3]) + np.sum(E["w"])


PROGRAMS = [entry_of_the_copy_updated, element_of_an_entry_written,
            entry_written_through_a_view, entry_replaced_in_the_copy_then_updated,
            entry_replaced_in_the_base_then_the_copys_updated, new_entry_of_the_copy_updated,
            entries_updated_in_a_loop]


def torch_twin(program):
    """The program on torch tensors (its `np` bound to torch's functions), P's
    arrays made from the differentiated leaves so that they can change in place."""
    torch_as_numpy = types.SimpleNamespace(sum=torch.sum, sin=torch.sin, cos=torch.cos)
    on_torch = types.FunctionType(program.__code__,
                                  dict(program.__globals__, np=torch_as_numpy))
    return lambda x, w, b: on_torch(x, {"w": w * 1.0, "b": b * 1.0})


def torch_derivatives(program):
    """Value, gradient and H·DIRECTIONS for (x, P["w"], P["b"])."""
    leaves = [torch.tensor(a, requires_grad=True) for a in (X, W, B)]
    value = torch_twin(program)(*leaves)

    def derivatives(of, **options):
        # An argument the value does not depend on has a zero derivative.
        found = torch.autograd.grad(of, leaves, allow_unused=True, **options)
        return [torch.zeros_like(leaf) if g is None else g for g, leaf in zip(found, leaves)]

    gradients = derivatives(value, create_graph=True)
    inner = sum(torch.sum(g * torch.tensor(d)) for g, d in zip(gradients, DIRECTIONS))
    products = derivatives(inner) if inner.requires_grad else [torch.zeros_like(g)
                                                                 for g in gradients]
    return (value.item(), [g.detach().numpy() for g in gradients],
            [p.detach().numpy() for p in products])


def arguments():
    return X.copy(), {"w": W.copy(), "b": B.copy()}


def assert_untouched(x, P):
    assert np.array_equal(x, X) and np.array_equal(P["w"], W) and np.array_equal(P["b"], B), \
        "the derivative changed its arguments"


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda f: f.__name__)
def test_torch_twin_computes_the_programs_value(program):
    value, _, _ = torch_derivatives(program)
    assert np.isclose(program(*arguments()), value, rtol=1e-13)


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda f: f.__name__)
def test_gradient_through_a_dict_copys_entry_matches_torch(program):
    value, expected, _ = torch_derivatives(program)
    x, P = arguments()
    got_value, (gx, gP) = ad.value_and_grad(program, wrt=(0, 1))(x, P)
    assert_untouched(x, P)
    np.testing.assert_allclose(got_value, value, rtol=1e-13)
    for got, want in zip((gx, gP["w"], gP["b"]), expected):
        np.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-12)


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda f: f.__name__)
def test_jvp_through_a_dict_copys_entry_matches_torch(program):
    value, gradients, _ = torch_derivatives(program)
    x, P = arguments()
    tangents = (DIRECTIONS[0], {"w": DIRECTIONS[1], "b": DIRECTIONS[2]})
    primal, tangent = ad.jvp(program, wrt=(0, 1))((x, P), tangents)
    assert_untouched(x, P)
    np.testing.assert_allclose(primal, value, rtol=1e-13)
    expected = sum(np.sum(g * d) for g, d in zip(gradients, DIRECTIONS))
    np.testing.assert_allclose(tangent, expected, rtol=1e-11, atol=1e-12)


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda f: f.__name__)
def test_hvp_through_a_dict_copys_entry_matches_torch(program):
    _, _, expected = torch_derivatives(program)
    vectors = (DIRECTIONS[0], {"w": DIRECTIONS[1], "b": DIRECTIONS[2]})
    hx, hP = ad.hvp(program, wrt=(0, 1))(arguments(), vectors)
    for got, want in zip((hx, hP["w"], hP["b"]), expected):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-11)


def entry_bound_to_a_name_before_the_copy_changes_it(x, P):
    w = P["w"]
    E = P.copy()
    E["w"] *= x[0]
    return np.sum(w ** 2) + np.sum(P["w"])


def two_copies_one_changed(x, P):
    E = P.copy()
    F = dict(P)
    E["w"] *= x[0]
    return np.sum(F["w"] ** 2) + np.sum(P["w"])


def copy_of_a_copy_changed(x, P):
    E = P.copy()
    F = E.copy()
    F["w"] *= x[0]
    return np.sum(E["w"] ** 2) + np.sum(P["w"] * x[1])


def base_changed_then_the_copy_read(x, P):
    E = P.copy()
    P["w"] *= x[0]
    return np.sum(E["w"] ** 2) + np.sum(P["w"])


@pytest.mark.parametrize("program", [
    entry_bound_to_a_name_before_the_copy_changes_it, two_copies_one_changed,
    copy_of_a_copy_changed, base_changed_then_the_copy_read], ids=lambda f: f.__name__)
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_an_entry_other_names_hold_too_is_refused_naming_the_line(program, mode):
    x, P = arguments()
    with pytest.raises(ad.SharedMemoryError, match=r"test_dict_copies_written_through\.py:\d+"):
        ad.grad(program, wrt=(0, 1), mode=mode)(x, P)
    assert_untouched(x, P)
