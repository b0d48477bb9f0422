"""A differentiated value passed by name to a helper's **kwargs, and a
**kwargs forwarded to another call (passes/specialise_varargs.py, Keywords):
the helper is compiled with a parameter per name, and the derivative flows
through the dict as through any other. Gradients, jvps and Hessians checked
against torch.autograd."""

import numpy as np
import pytest
import torch

import adcompiler as ad
from oracles import assert_close, to_torch
from program_checks import check_gradient, check_jvp

X = np.array([0.3, -1.2, 0.7])
W = 1.5
V = np.array([0.5, 2.0, -0.4])


def scaled(x, **options):
    return x * options["scale"]


def uses_scaled(x, w):
    return np.sum(scaled(x, scale=w) ** 2)


def t_uses_scaled(x, w):
    return torch.sum((x * w) ** 2)


def forwards(x, **kwargs):
    return np.sin(scaled(x, **kwargs))


def uses_forwarding(x, w):
    return np.sum(forwards(x, scale=w) * x)


def t_uses_forwarding(x, w):
    return torch.sum(torch.sin(x * w) * x)


def affine(x, a=1.0, *, b=2.0, **options):
    return a * x * options["slope"] + b + options.get("shift", 0.0)


def uses_affine(x, w, v):
    # keywords in another order than the parameters, a default left out, two sets of names
    first = affine(x, shift=v, slope=w, b=0.5)
    second = affine(x, slope=np.tanh(w))
    return np.sum(first * second)


def t_uses_affine(x, w, v):
    return torch.sum((x * w + 0.5 + v) * (x * torch.tanh(w) + 2.0))


def stacked(x, *rest, **options):
    total = x * options["gain"]
    for value in rest:
        total = total + value * options["gain"]
    return total


def uses_stacked(x, w, v):
    return np.sum(stacked(x, v, v * x, gain=w) ** 2)


def t_uses_stacked(x, w, v):
    return torch.sum(((x + v + v * x) * w) ** 2)


def checks_keys(x, **options):
    if "power" in options and len(options) == 2:
        return x ** options["power"] * options["scale"]
    return x


def forwards_after_reading(x, **options):
    return checks_keys(x, **options) + np.sum(list(options.values()))


def uses_reading(x, w):
    return np.sum(forwards_after_reading(x, power=3.0, scale=w))


def t_uses_reading(x, w):
    return torch.sum(x ** 3.0 * w + 3.0 + w)


def weighted_sum(w, *arrays, scale=1.0):
    return w * scale * sum(np.sum(a) for a in arrays)


def uses_weighted_sum(x, w):
    # *args specialised beside a keyword-only parameter: passed by name
    return weighted_sum(w, x, x * 2.0) + weighted_sum(w, np.sin(x), scale=3.0)


def t_uses_weighted_sum(x, w):
    return w * (torch.sum(x) + torch.sum(x * 2.0)) + w * 3.0 * torch.sum(torch.sin(x))


CASES = [
    ("a keyword read from **options", uses_scaled, t_uses_scaled, (X, W), (0, 1)),
    ("**kwargs forwarded to another helper", uses_forwarding, t_uses_forwarding, (X, W),
     (0, 1)),
    ("beside defaults and a keyword-only parameter, .get", uses_affine, t_uses_affine,
     (X, W, V), (0, 1, 2)),
    ("beside *args", uses_stacked, t_uses_stacked, (X, W, V), (0, 1, 2)),
    ("read with in, len and .values() before forwarding", uses_reading, t_uses_reading,
     (X, W), (0, 1)),
    ("*args beside a keyword-only parameter", uses_weighted_sum, t_uses_weighted_sum,
     (X, W), (0, 1)),
]


@pytest.mark.parametrize("name, function, twin, args, wrt", CASES, ids=[c[0] for c in CASES])
def test_kwargs_gradient_matches_torch(name, function, twin, args, wrt):
    check_gradient(name, function, twin, args, wrt)


@pytest.mark.parametrize("name, function, twin, args, wrt", CASES, ids=[c[0] for c in CASES])
def test_kwargs_jvp_matches_torch(name, function, twin, args, wrt):
    check_jvp(name, function, twin, args, wrt, np.random.default_rng(2))


@pytest.mark.parametrize("name, function, twin, args, wrt", CASES, ids=[c[0] for c in CASES])
def test_kwargs_forward_mode_gradient_matches_torch(name, function, twin, args, wrt):
    got = ad.grad(function, wrt=wrt, mode="forward")(*args)
    for index, forward, reverse in zip(wrt, got, ad.grad(function, wrt=wrt)(*args)):
        assert_close(forward, reverse, rtol=1e-12, label=f"{name}: arg {index}")


@pytest.mark.parametrize("name, function, twin, args, wrt", CASES, ids=[c[0] for c in CASES])
def test_kwargs_hessian_matches_torch(name, function, twin, args, wrt):
    hessian = ad.hessian(function, wrt=1)(*args)
    rest = [to_torch(a) for a in args]
    expected = torch.autograd.functional.hessian(
        lambda w: twin(rest[0], w, *rest[2:]), rest[1])
    assert_close(hessian, expected.numpy(), label=name)


def adds_a_key(x, **options):
    options = dict(options, extra=1.0)
    return scaled(x, **options)


def test_forwarding_a_kwargs_dict_whose_keys_change_is_refused_with_the_fix():
    def uses_adds_a_key(x, w):
        return np.sum(adds_a_key(x, scale=w))

    with pytest.raises(ad.UnsupportedSyntaxError, match=r"differentiated dict passed to "
                                                        r"scaled with \*\*") as info:
        ad.grad(uses_adds_a_key, wrt=1)(X, W)
    assert "by name" in info.value.help


def uses_the_parameter_name(x, **options):
    options_scale = 2.0
    return x * options["scale"] * options_scale


def test_a_helper_variable_named_like_a_compiled_parameter_is_refused_with_the_fix():
    def calls_it(x, w):
        return np.sum(uses_the_parameter_name(x, scale=w))

    with pytest.raises(ad.UnsupportedSyntaxError, match="options_scale") as info:
        ad.grad(calls_it, wrt=1)(X, W)
    assert "rename" in info.value.help


def test_values_without_a_derivative_still_reach_kwargs_as_a_dict():
    def constant_scale(x):
        return np.sum(scaled(x, scale=3.0) ** 2)

    assert_close(ad.grad(constant_scale)(X), 18.0 * X)


def test_args_values_without_a_derivative_do_not_fill_a_keyword_only_parameter():
    # weighted_sum_primal(_stack, w, x, x * 2.0) once bound x to `scale`.
    def uses(x, w):
        return weighted_sum(w, x, x * 2.0)

    value, gradient = ad.value_and_grad(uses, wrt=1)(X, W)
    assert value == pytest.approx(uses(X, W))
    assert gradient == pytest.approx(3.0 * np.sum(X))
    _, tangent = ad.jvp(uses, wrt=1)((X, W), (1.0,))
    assert tangent == pytest.approx(3.0 * np.sum(X))


# -- helpers that change, in place, what they receive by name -----------------------

def clamps_first_keyword_only(*, a):
    square = lambda v: v * v  # noqa: E731 (a nested function: the helper is not inlined)
    a[0] = 5.0
    return square(a)


def clamps_first_through_kwargs(**kw):
    square = lambda v: v * v  # noqa: E731
    kw["a"][0] = 5.0
    return square(kw["a"])


def clamps_first_through_plain_kwargs(**kw):
    kw["a"][0] = 5.0
    return kw["a"]


def clamps_first_beside_kwargs(a, **kw):
    a[0] = 5.0 * kw["scale"]


def uses_keyword_only_clamp(x):
    y = x * 1.0
    return np.sum(clamps_first_keyword_only(a=y) * y)


def uses_kwargs_clamp(x):
    y = x * 1.0
    return np.sum(clamps_first_through_kwargs(a=y) * y)


def uses_plain_kwargs_clamp(x):
    y = x * 1.0
    return np.sum(clamps_first_through_plain_kwargs(a=y) * y)


def uses_clamp_beside_kwargs(x):
    y = x * 1.0
    clamps_first_beside_kwargs(y, scale=2.0)
    return np.sum(y * y)


@pytest.mark.parametrize("function", [uses_keyword_only_clamp, uses_kwargs_clamp])
def test_a_helper_changing_in_place_what_it_receives_by_name_is_refused(function):
    # Each gave d/dx[0] = 5 or 25 (the array before the change) where the
    # function's derivative is 0: the effect analysis read the helper's
    # parameters as source.py lists them, keyword-only and **kwargs as plain.
    with pytest.raises(ad.UnsupportedSyntaxError, match="in place") as caught:
        ad.grad(function)(X)
    assert "test_kwargs_helpers.py" in str(caught.value)


def keyword_only_clamp_inlined(*, a):
    a[0] = 5.0
    return a


def uses_inlined_keyword_only_clamp(x):
    y = x * 1.0
    return np.sum(keyword_only_clamp_inlined(a=y) * y)


@pytest.mark.parametrize("function, first", [(uses_inlined_keyword_only_clamp, 5.0),
                                             (uses_plain_kwargs_clamp, 5.0),
                                             (uses_clamp_beside_kwargs, 10.0)])
def test_a_keyword_only_or_kwargs_helper_changing_its_argument_is_inlined_and_exact(function,
                                                                                  first):
    # Inlined with its signature as declared (inline_mutating._declare_signature),
    # the change made through kw["a"] is one made to the caller's y.
    def twin(x):
        y = torch.cat([torch.full((1,), first, dtype=x.dtype), x[1:]])
        return torch.sum(y * y)
    check_gradient("keyword-only clamp", function, twin, (X,), (0,))
    check_jvp("keyword-only clamp", function, twin, (X,), (0,), np.random.default_rng(3))
