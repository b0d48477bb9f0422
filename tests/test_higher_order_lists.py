"""Derivatives of derivatives of programs whose lists cross a function call:
a list a helper returns or reads, and the generated code's own stacks handed
from a derivative to the derivatives of the functions it calls. Second and third
derivatives, in every mix of modes, against torch's double (triple) backward
in float64.

What these pin down (each was an undefined name, a crash or a wrong number):

  * the adjoint of a helper whose list parameter it replaces before touching it
    (`dL = add_adjoints(zeros_like(L), dL)`, the seed of a generated adjoint) is
    returned to the caller, not pushed onto the caller's adjoint list;
  * a list of zero adjoints the generated code makes (`d_stack =
    zeros_like(_stack)`) and hands to a callee that pushes on it is a list that
    carries derivatives, in both modes;
  * the tangent of a list a rule makes is a new list, so popping it leaves the
    tangent of the list it came from as it was;
  * a split adjoint called for what it pushes on its caller's lists returns a
    value (None) and returns its parameters' adjoints, so that it can be
    differentiated again.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import adcompiler as ad


def trajectory(x, w):
    points = []
    for _ in range(3):
        x = np.tanh(x * w + 0.1)
        points.append(x)
    return points


def t_trajectory(x, w):
    points = []
    for _ in range(3):
        x = torch.tanh(x * w + 0.1)
        points.append(x)
    return points


def sums_a_list_a_helper_returns(x, w):
    points = trajectory(x, w)
    return np.sum(points[0] ** 2) + np.sum(points[1] * points[2]) + np.sum(points[-1])


def t_sums_a_list_a_helper_returns(x, w):
    points = t_trajectory(x, w)
    return torch.sum(points[0] ** 2) + torch.sum(points[1] * points[2]) + \
        torch.sum(points[-1])


def one_point(x, w):
    points = []
    points.append(np.sin(x * w))
    return points


def t_one_point(x, w):
    return [torch.sin(x * w)]


def cubes_the_point_a_helper_returns(x, w):
    return np.sum(one_point(x, w)[0] ** 3)


def t_cubes_the_point_a_helper_returns(x, w):
    return torch.sum(t_one_point(x, w)[0] ** 3)


def squares_what_a_helper_reads(states):
    return np.sum(states[0] ** 2)


def t_squares_what_a_helper_reads(states):
    return torch.sum(states[0] ** 2)


def hands_a_list_to_a_helper_that_reads_it(x, w):
    states = []
    states.append(np.sin(x * w))
    return squares_what_a_helper_reads(states)


def t_hands_a_list_to_a_helper_that_reads_it(x, w):
    return t_squares_what_a_helper_reads([torch.sin(x * w)])


def tanh_of_the_last(states):
    return np.sum(np.tanh(states[-1]))


def t_tanh_of_the_last(states):
    return torch.sum(torch.tanh(states[-1]))


def hands_a_loops_list_to_a_helper(x, w):
    states = []
    for i in range(2):
        states.append(np.sin(x * (i + 1.0)) * w)
    return tanh_of_the_last(states)


def t_hands_a_loops_list_to_a_helper(x, w):
    states = []
    for i in range(2):
        states.append(torch.sin(x * (i + 1.0)) * w)
    return t_tanh_of_the_last(states)


PROGRAMS = [
    (sums_a_list_a_helper_returns, t_sums_a_list_a_helper_returns),
    (cubes_the_point_a_helper_returns, t_cubes_the_point_a_helper_returns),
    # The gradient's adjoint of a helper reading a list returns nothing and
    # pushes on the caller's adjoint lists: at the third order, its parameters'
    # adjoints were taken for zeros (the value it returned has none), 3/4 of
    # the right answer, and the list its caller handed it was not followed.
    (hands_a_list_to_a_helper_that_reads_it, t_hands_a_list_to_a_helper_that_reads_it),
    (hands_a_loops_list_to_a_helper, t_hands_a_loops_list_to_a_helper),
]


def _values():
    rng = np.random.default_rng(11)
    x, w = rng.standard_normal(3), rng.standard_normal(3)
    v, z = rng.standard_normal(3), rng.standard_normal(3)
    return x, w, v, z


def _torch_hvp_and_third(twin, x, w, v, z):
    """H v and the gradient of zᵀ H v, both in x, by torch's double and triple backward."""
    tx = torch.tensor(x, requires_grad=True)
    tw = torch.tensor(w)
    (gradient,) = torch.autograd.grad(twin(tx, tw), tx, create_graph=True)
    (hv,) = torch.autograd.grad(gradient @ torch.tensor(v), tx, create_graph=True)
    (third,) = torch.autograd.grad(hv @ torch.tensor(z), tx)
    return hv.detach().numpy(), third.numpy()


@pytest.mark.parametrize("f, twin", PROGRAMS, ids=lambda p: getattr(p, "__name__", ""))
def test_second_derivative_of_a_list_a_helper_returns_matches_torch(f, twin):
    x, w, v, z = _values()
    hv, _ = _torch_hvp_and_third(twin, x, w, v, z)
    gradient, tangent = ad.vjp(f), ad.jvp(f)
    zeros = np.zeros(3)
    results = {
        "grad∘grad": ad.vjp(gradient)(((x, w), 1.0), v)[0],
        "jvp∘grad": ad.jvp(gradient)(((x, w), 1.0), ((v, zeros),))[1],
        "grad∘jvp": ad.vjp(tangent)(((x, w), (v,)), (0.0, 1.0))[0],
    }
    for column, result in results.items():
        np.testing.assert_allclose(result, hv, rtol=1e-9, atol=1e-12, err_msg=column)
    # jvp∘jvp gives the second directional derivative uᵀ H v (with u = v here).
    second = ad.jvp(tangent)(((x, w), (v,)), ((v, zeros),))[1][1]
    np.testing.assert_allclose(second, v @ hv, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("f, twin", PROGRAMS, ids=lambda p: getattr(p, "__name__", ""))
def test_third_derivative_of_a_list_a_helper_returns_matches_torch(f, twin):
    x, w, v, z = _values()
    _, third = _torch_hvp_and_third(twin, x, w, v, z)
    zeros = np.zeros(3)
    second = ad.vjp(ad.vjp(f))           # (((x, w), seed), v) -> H v, in x and in w
    reverse = ad.vjp(second)((((x, w), 1.0), v), (z, zeros))[0][0]
    forward = ad.jvp(second)((((x, w), 1.0), v), ((((z, zeros), 0.0)),))[1][0]
    np.testing.assert_allclose(reverse, third, rtol=1e-8, atol=1e-11)
    np.testing.assert_allclose(forward, third, rtol=1e-8, atol=1e-11)


@pytest.mark.parametrize("name", ["a-list-stacked-into-the-same-name",
                                  "a-list-handed-to-a-helper-that-reads-it",
                                  "star-args-of-the-differentiated-function-read-in-a-loop"])
def test_third_derivative_of_the_corpus_list_programs_matches_torch(name):
    # `hidden = np.stack(hidden)`: the gradient holds `dhidden = add_adjoints(dhidden,
    # stack_adjoint(...))`, whose adjoint gave the stack's adjoint the list's own
    # adjoint list, a second name for a list the third order pushes on (refused);
    # the other two call a helper whose gradient's adjoint returned nothing.
    import importlib.util
    import pathlib
    path = pathlib.Path(__file__).resolve().parent.parent / "benchmarks" / \
        "higher_order_coverage.py"
    spec = importlib.util.spec_from_file_location("higher_order_coverage", path)
    benchmark = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(benchmark)
    _, _, _, results = benchmark.run(("programs", name))
    assert results == dict.fromkeys(results, "ok") and "grad∘grad∘grad" in results, results


def pairs_in_a_list(x):
    pairs = []
    for i in range(2):
        pairs.append((x * (i + 1.0), np.cos(x * i)))
    return np.sum(pairs[1][0] * pairs[1][1]) + np.sum(pairs[0][0] ** 3)


def t_pairs_in_a_list(x):
    pairs = []
    for i in range(2):
        pairs.append((x * (i + 1.0), torch.cos(x * i)))
    return torch.sum(pairs[1][0] * pairs[1][1]) + torch.sum(pairs[0][0] ** 3)


def test_fourth_derivative_of_a_list_of_pairs_matches_torch():
    # The third derivative reads an entry of a list of pairs (`d_t = dddpairs[1]`),
    # a tuple the analysis could not see: the fourth added its adjoints with `+`,
    # which joins tuples (a TypeError here, a wrong length elsewhere).
    rng = np.random.default_rng(4)
    x, v, z, y = (rng.standard_normal(3) for _ in range(4))
    tx = torch.tensor(x, requires_grad=True)
    (g,) = torch.autograd.grad(t_pairs_in_a_list(tx), tx, create_graph=True)
    (hv,) = torch.autograd.grad(g @ torch.tensor(v), tx, create_graph=True)
    (third,) = torch.autograd.grad(hv @ torch.tensor(z), tx, create_graph=True)
    (fourth,) = torch.autograd.grad(third @ torch.tensor(y), tx)
    third_order = ad.vjp(ad.vjp(ad.vjp(pairs_in_a_list)))
    result = ad.vjp(third_order)(((((x,), 1.0), v), (z,)), ((y,), 0.0))[0][0][0]
    np.testing.assert_allclose(result, fourth.numpy(), rtol=1e-8, atol=1e-10)
