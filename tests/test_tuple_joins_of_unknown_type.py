"""A tuple joined (`t + s`) or repeated (`t * 2`) where the compiler did not
know it to be a tuple (a helper's result, a rule's, an argument, a value
held in a dict) was differentiated as arithmetic, and reverse mode gave a
gradient of 0 with no error. Such code is now refused when the derivative
runs; tuples joined where they are built keep working, and forward mode,
which repeats and joins the tangents as Python does the values, is exact."""

import numpy as np
import pytest
import torch

import adcompiler as ad

X = np.array([0.5, -1.0, 2.0])
V = np.array([1.0, 2.0, 3.0])
A = np.array([[2.0, 0.5], [0.3, 1.5]])


def pair(w, v):
    return (w * v, v)


def helper_result_repeated(w, v):
    t = pair(w, v)
    u = t * 2
    return np.sum(u[2])


def helper_result_joined_with_itself(w, v):
    t = pair(w, v)
    u = t + t
    return np.sum(u[2])


def helper_results_joined(w, v):
    t = pair(w, v)
    s = pair(v, w)
    u = t + s
    return np.sum(u[2])


def helper_result_joined_as_numbers(w, v):
    t = pair(w, v)
    u = t + t
    return u[2] * u[0]


def rule_result_joined(a):
    t = np.linalg.slogdet(a)
    u = t + t
    return u[3]


def rule_result_repeated(a):
    t = np.linalg.slogdet(a)
    u = t * 2
    return u[3]


def argument_joined(t):
    u = t + t
    return np.sum(u[2] * u[1])


def dict_value_joined(w):
    d = {"pair": (w * 2.0, w)}
    u = d["pair"] + d["pair"]
    return np.sum(u[2])


REFUSED = [
    (helper_result_repeated, (X, V)),
    (helper_result_joined_with_itself, (X, V)),
    (helper_results_joined, (X, V)),
    (helper_result_joined_as_numbers, (0.5, 2.0)),
    (rule_result_joined, (A,)),
    (rule_result_repeated, (A,)),
    (argument_joined, ((X, V),)),
    (argument_joined, ([X, V],)),
    (dict_value_joined, (X,)),
]


@pytest.mark.parametrize("function, args", REFUSED,
                         ids=[f.__name__ + "-" + type(a[0]).__name__ for f, a in REFUSED])
def test_a_tuple_joined_where_its_type_was_unknown_is_refused_never_a_zero_gradient(
        function, args):
    with pytest.raises(ad.UnsupportedSyntaxError, match=r"joined|repeated"):
        ad.grad(function)(*args)


def test_the_refusal_names_the_line_of_the_join_in_forward_mode():
    with pytest.raises(ad.UnsupportedSyntaxError) as info:
        ad.jvp(helper_results_joined)((X, V), (np.ones(3),))
    join_line = helper_results_joined.__code__.co_firstlineno + 3
    assert f"{__file__}:{join_line}" in str(info.value)


def test_forward_mode_refuses_a_join_and_repeats_the_tangents_of_a_repetition():
    with pytest.raises(ad.UnsupportedSyntaxError, match="joined"):
        ad.grad(helper_result_joined_with_itself, mode="forward")(X, V)
    with pytest.raises(ad.UnsupportedSyntaxError, match="joined"):
        ad.jvp(helper_results_joined)((X, V), (np.ones(3),))
    # u[2] of t * 2 is t[0] = w * v: d/dw is v.
    gradient = ad.grad(helper_result_repeated, mode="forward")(X, V)
    w = torch.tensor(X, requires_grad=True)
    torch.sum(w * torch.tensor(V)).backward()
    np.testing.assert_allclose(gradient, w.grad.numpy(), rtol=1e-14)


def joined_where_built(w, v):
    t = (w * v, v)
    u = t + (w,) + t * 2
    return np.sum(u[2] * u[3] + u[5])


def test_tuples_joined_where_they_are_built_match_torch_in_both_modes():
    w = torch.tensor(X, requires_grad=True)
    v = torch.tensor(V, requires_grad=True)
    # u = (w v, v, w, w v, v, w v, v): u[2] u[3] + u[5] = w (w v) + w v
    torch.sum(w * (w * v) + w * v).backward()
    for mode in ("reverse", "forward"):
        dw, dv = ad.grad(joined_where_built, wrt=(0, 1), mode=mode)(X, V)
        np.testing.assert_allclose(dw, w.grad.numpy(), rtol=1e-14)
        np.testing.assert_allclose(dv, v.grad.numpy(), rtol=1e-14)


def helper_result_read_by_index(w, v):
    a, b = pair(w, v)
    return np.sum(a * b) + np.sum(pair(v, w)[0])


def test_a_helper_returning_a_tuple_read_by_index_still_matches_torch():
    w = torch.tensor(X, requires_grad=True)
    v = torch.tensor(V)
    torch.sum(w * v * v + v * w).backward()
    np.testing.assert_allclose(ad.grad(helper_result_read_by_index)(X, V), w.grad.numpy(),
                               rtol=1e-14)
    hessian = ad.hessian(helper_result_read_by_index)(X, V)
    np.testing.assert_allclose(hessian, np.zeros((3, 3)), atol=0)


JOINS = [(f, a) for f, a in REFUSED if "repeated" not in f.__name__]


def _unit_tangent(value):
    if isinstance(value, (tuple, list)):
        return type(value)(np.ones_like(v) for v in value)
    return np.ones_like(np.asarray(value, dtype=float)) if np.ndim(value) else 1.0


@pytest.mark.parametrize("function, args", JOINS,
                         ids=[f.__name__ + "-" + type(a[0]).__name__ for f, a in JOINS])
def test_forward_mode_refuses_the_same_joins(function, args):
    with pytest.raises(ad.UnsupportedSyntaxError, match="joined"):
        ad.jvp(function)(args, (_unit_tangent(args[0]),))
