"""Lambdas, functools.partial, keyword-only parameters and **kwargs: anywhere a
function is accepted (differentiated, or called as a helper), located exactly
among several lambdas on one line, both modes checked against torch.autograd."""

import functools
import sys

import numpy as np
import pytest
import torch

import adcompiler as ad
from program_checks import check_gradient, check_jvp

X = np.array([0.3, -1.2, 0.7])
W = np.array([0.5, 2.0, -0.4])
SCALE = 1.5

# Several lambdas on one line, each differentiated on its own.
sines, cubes = lambda x: np.sum(np.sin(x)), lambda x: np.sum(x ** 3)
t_sines, t_cubes = lambda x: torch.sum(torch.sin(x)), lambda x: torch.sum(x ** 3)
# Same argument names, same shape of body: only the positions tell them apart.
first, second = lambda x: np.sum(x * 2.0), lambda x: np.sum(x * 3.0)
square = lambda v: v ** 2  # noqa: E731  a helper assigned to a name
# A lambda made by a lambda on the same line: the innermost body holds its code.
make_scaled = lambda s: (lambda x: np.sum(np.exp(s * x) * x))  # noqa: E731


def with_closure(scale):
    return lambda x, w=W: np.sum(scale * w * x ** 2)


def uses_square(x):
    return np.sum(square(x) * W)


def uses_local_lambda(x):
    double = lambda v: np.tanh(v) * 2.0  # noqa: E731
    return np.sum(double(x))


def weighted(w, x, power=2.0, *, shift=0.5):
    return np.sum(w * (x + shift) ** power)


def t_weighted(w, x, power=2.0, shift=0.5):
    return torch.sum(w * (x + shift) ** power)


def keyword_only(x, *, scale=2.0, shift=0.0):
    return np.sum(np.sin(scale * x) + shift)


def uses_keyword_only(x):
    return keyword_only(x, scale=3.0) + keyword_only(x, shift=1.0)


def scaled_sine(x, *, scale=2.0, w):
    return np.sin(x) * scale * w


def uses_required_keyword(x):
    return np.sum(scaled_sine(x, w=3.0) + scaled_sine(x, scale=0.5, w=x))


def with_options(x, **options):
    return np.sum(x ** 2 * options.get("scale", 1.0))


def scaled(v, **options):
    return v * options["scale"] + options.get("shift", 0.0)


def uses_options(x):
    extra = {"shift": 0.25}
    return np.sum(np.cos(scaled(x, scale=3.0, **extra)))


partial_weighted = functools.partial(weighted, W)
partial_norm = functools.partial(np.linalg.norm, ord=2)


def uses_partials(x):
    return partial_weighted(x, 3.0) + partial_norm(x)


CASES = [
    # name, function, torch twin, args, wrt
    ("lambda passed directly", lambda x: np.sum(x ** 2), lambda x: torch.sum(x ** 2), (X,), (0,)),
    ("first of two lambdas on a line", sines, t_sines, (X,), (0,)),
    ("second of two lambdas on a line", cubes, t_cubes, (X,), (0,)),
    ("lambdas told apart by position (1)", first, lambda x: torch.sum(x * 2.0), (X,), (0,)),
    ("lambdas told apart by position (2)", second, lambda x: torch.sum(x * 3.0), (X,), (0,)),
    ("lambda made by a lambda", make_scaled(2.0), lambda x: torch.sum(torch.exp(2.0 * x) * x),
     (X,), (0,)),
    ("lambda with a closure and a default", with_closure(SCALE),
     lambda x: torch.sum(SCALE * torch.tensor(W) * x ** 2), (X,), (0,)),
    ("lambda helper assigned to a name", uses_square,
     lambda x: torch.sum(x ** 2 * torch.tensor(W)), (X,), (0,)),
    ("lambda defined inside", uses_local_lambda,
     lambda x: torch.sum(torch.tanh(x) * 2.0), (X,), (0,)),
    ("lambda of two arguments", lambda w, x: np.sum(w * np.exp(x)),
     lambda w, x: torch.sum(w * torch.exp(x)), (W, X), (0, 1)),
    ("keyword-only parameters", keyword_only,
     lambda x: torch.sum(torch.sin(2.0 * x)), (X,), (0,)),
    ("helper with keyword-only parameters", uses_keyword_only,
     lambda x: torch.sum(torch.sin(3.0 * x)) + torch.sum(torch.sin(2.0 * x) + 1.0), (X,), (0,)),
    ("helper with a required keyword after a defaulted one", uses_required_keyword,
     lambda x: torch.sum(torch.sin(x) * 6.0 + torch.sin(x) * 0.5 * x), (X,), (0,)),
    ("**kwargs of the differentiated function", with_options,
     lambda x: torch.sum(x ** 2), (X,), (0,)),
    ("helper taking **kwargs", uses_options,
     lambda x: torch.sum(torch.cos(x * 3.0 + 0.25)), (X,), (0,)),
    ("partial with a keyword", functools.partial(weighted, power=3.0),
     lambda w, x: t_weighted(w, x, 3.0), (W, X), (0, 1)),
    ("partial with a positional value", functools.partial(weighted, W),
     lambda x: t_weighted(torch.tensor(W), x), (X,), (0,)),
    ("partial of a lambda", functools.partial(lambda a, x: np.sum(a * x ** 2), 2.0),
     lambda x: torch.sum(2.0 * x ** 2), (X,), (0,)),
    ("partials called as helpers", uses_partials,
     lambda x: t_weighted(torch.tensor(W), x, 3.0) + torch.linalg.norm(x), (X,), (0,)),
]


@pytest.mark.parametrize("name, function, twin, args, wrt", CASES, ids=[c[0] for c in CASES])
def test_gradient_matches_torch(name, function, twin, args, wrt):
    check_gradient(name, function, twin, args, wrt)


@pytest.mark.parametrize("name, function, twin, args, wrt", CASES, ids=[c[0] for c in CASES])
def test_jvp_matches_torch(name, function, twin, args, wrt):
    check_jvp(name, function, twin, args, wrt, np.random.default_rng(0))


def test_lambdas_are_found_by_bytecode_without_instruction_positions(monkeypatch):
    # Python 3.10 has no co_positions: the lambda whose text compiles to the
    # same code is the one, so differently written lambdas on a line still work.
    source = sys.modules["adcompiler.source"]
    monkeypatch.setattr(source, "_instruction_positions", lambda code: [])
    for function, constant in ((first, 2.0), (second, 3.0)):
        returned = source.parse_function(function).tree.body[0].value
        assert returned.args[0].right.value == constant
    double, triple = lambda x: np.sum(x * 2.0), lambda y: np.sum(np.sin(y))
    check_gradient("first", double, lambda x: torch.sum(x * 2.0), (X,), (0,))
    check_gradient("second", triple, lambda y: torch.sum(torch.sin(y)), (X,), (0,))


def test_keywords_reach_the_differentiated_function_as_in_a_call():
    gradient = ad.grad(keyword_only)(X, scale=0.5)
    expected = 0.5 * np.cos(0.5 * X)
    np.testing.assert_allclose(gradient, expected, rtol=1e-12)
    gradient = ad.grad(with_options)(X, scale=4.0)
    np.testing.assert_allclose(gradient, 8.0 * X, rtol=1e-12)
    value, tangent = ad.jvp(with_options)((X,), (W,), scale=4.0)
    np.testing.assert_allclose(tangent, np.sum(8.0 * X * W), rtol=1e-12)


def test_generated_names_are_readable_identifiers():
    assert ad.grad(lambda x: x * 2.0).__name__ == "lambda_grad"
    assert ad.grad(sines).__name__ == "sines_grad"
    code = ad.source(ad.grad(uses_square))
    assert "def square_primal(" in code and "def square_adjoint(" in code
    assert "<lambda>" not in "".join(line for line in code.splitlines()
                                     if not line.startswith("#"))
    assert "def weighted_partial_jvp(" in ad.source(ad.jvp(functools.partial(weighted, W)))


def test_a_derivative_through_kwargs_of_a_helper_flows_to_the_value_passed():
    # tests/test_kwargs_helpers.py checks torch in every mode
    def passes_scale(x, s):
        return np.sum(scaled(x, scale=s))

    gradient_x, gradient_s = ad.grad(passes_scale, wrt=(0, 1))(X, SCALE)
    np.testing.assert_allclose(gradient_x, np.full(3, SCALE), rtol=1e-12)
    np.testing.assert_allclose(gradient_s, np.sum(X), rtol=1e-12)


def required_after_default(x, a=1.0, *, b):
    return np.sum(np.sin(x) * a * b)


def test_keyword_only_parameter_without_default_after_defaults_is_bound_as_in_a_call():
    gradient_x, gradient_b = ad.grad(required_after_default, wrt=("x", "b"))(X, b=3.0)
    np.testing.assert_allclose(gradient_x, np.cos(X) * 3.0, rtol=1e-12)
    np.testing.assert_allclose(gradient_b, np.sum(np.sin(X)), rtol=1e-12)
    value, gradient = ad.value_and_grad(required_after_default)(X, 2.0, b=0.5)
    assert value == required_after_default(X, 2.0, b=0.5)
    np.testing.assert_allclose(gradient, np.cos(X), rtol=1e-12)
    np.testing.assert_allclose(ad.grad(required_after_default, mode="forward")(X, b=3.0),
                               np.cos(X) * 3.0, rtol=1e-12)
    with pytest.raises(TypeError, match="'b'"):
        ad.grad(required_after_default)(X)


def required_keyword(x, *, scale):
    return np.sum(scale * x ** 2)


def test_keyword_only_and_kwargs_parameters_can_be_differentiated():
    gradient_x, gradient_scale = ad.grad(required_keyword, wrt=("x", "scale"))(X, scale=2.0)
    np.testing.assert_allclose(gradient_x, 4.0 * X, rtol=1e-12)
    np.testing.assert_allclose(gradient_scale, np.sum(X ** 2), rtol=1e-12)
    value, tangent = ad.jvp(required_keyword, wrt="scale")((X,), (1.0,), scale=2.0)
    np.testing.assert_allclose(tangent, np.sum(X ** 2), rtol=1e-12)
    options = ad.grad(weighted_by_options, wrt="options")(X, w=2.0)
    np.testing.assert_allclose(options["w"], np.sum(X), rtol=1e-12)


def weighted_by_options(x, **options):
    return np.sum(x * options["w"])
