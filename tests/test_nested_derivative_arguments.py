"""Derivatives built inside the differentiated function, called with
defaulted, keyword and keyword-only arguments bound as Python binds them.

Each builder (grad, value_and_grad, vjp, jvp, hvp, derivative) of a function
with a defaulted parameter `scale`, a keyword-only one, or `**options`, is
called inside f with `scale` left out, passed positionally or by keyword (a
differentiated value, np.cos(x[0])). Every derivative of f is checked
against torch.autograd in float64 (the inner derivative built with
create_graph=True): the gradient, a jvp and the Hessian; second order also
against finite differences of the gradient. A call that does not fit the
function's parameters, or whose binding cannot be known when compiling, is
refused at compile time naming the line.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import adcompiler as ad

torch.set_default_dtype(torch.float64)


# -- the functions the inner derivatives are built from, and their torch twins ---

def scaled(x, scale=2.0):
    return np.sum(np.sin(x * scale) * x)


def keyword_only(x, *, scale=2.0):
    return np.sum(np.sin(x * scale) * x)


def options(x, **options):
    return np.sum(np.sin(x * options.get("scale", 2.0)) * x)


def twin(x, scale=2.0):
    return torch.sum(torch.sin(x * scale) * x)


# -- f: each builder of each function, scale left out, positional or by keyword --

def grad_of_scaled_scale_left_out(x):
    return np.sum(ad.grad(scaled)(x) * x)


def grad_of_scaled_scale_positional(x):
    s = np.cos(x[0])
    return np.sum(ad.grad(scaled)(x, s) * x)


def grad_of_scaled_scale_keyword(x):
    s = np.cos(x[0])
    return np.sum(ad.grad(scaled)(x, scale=s) * x)


def grad_of_keyword_only_scale_left_out(x):
    return np.sum(ad.grad(keyword_only)(x) * x)


def grad_of_keyword_only_scale_keyword(x):
    s = np.cos(x[0])
    return np.sum(ad.grad(keyword_only)(x, scale=s) * x)


def grad_of_options_scale_left_out(x):
    return np.sum(ad.grad(options)(x) * x)


def grad_of_options_scale_keyword(x):
    s = np.cos(x[0])
    return np.sum(ad.grad(options)(x, scale=s) * x)


def value_and_grad_of_scaled_scale_left_out(x):
    value, gradient = ad.value_and_grad(scaled)(x)
    return value + np.sum(gradient * x)


def value_and_grad_of_scaled_scale_positional(x):
    s = np.cos(x[0])
    value, gradient = ad.value_and_grad(scaled)(x, s)
    return value + np.sum(gradient * x)


def value_and_grad_of_scaled_scale_keyword(x):
    s = np.cos(x[0])
    value, gradient = ad.value_and_grad(scaled)(x, scale=s)
    return value + np.sum(gradient * x)


def value_and_grad_of_keyword_only_scale_left_out(x):
    value, gradient = ad.value_and_grad(keyword_only)(x)
    return value + np.sum(gradient * x)


def value_and_grad_of_keyword_only_scale_keyword(x):
    s = np.cos(x[0])
    value, gradient = ad.value_and_grad(keyword_only)(x, scale=s)
    return value + np.sum(gradient * x)


def value_and_grad_of_options_scale_left_out(x):
    value, gradient = ad.value_and_grad(options)(x)
    return value + np.sum(gradient * x)


def value_and_grad_of_options_scale_keyword(x):
    s = np.cos(x[0])
    value, gradient = ad.value_and_grad(options)(x, scale=s)
    return value + np.sum(gradient * x)


def vjp_of_scaled_scale_left_out(x):
    return np.sum(ad.vjp(scaled)((x,), x[1]) * x)


def vjp_of_scaled_scale_positional(x):
    s = np.cos(x[0])
    return np.sum(ad.vjp(scaled)((x, s,), x[1]) * x)


def vjp_of_scaled_scale_keyword(x):
    s = np.cos(x[0])
    return np.sum(ad.vjp(scaled)((x,), x[1], scale=s) * x)


def vjp_of_keyword_only_scale_left_out(x):
    return np.sum(ad.vjp(keyword_only)((x,), x[1]) * x)


def vjp_of_keyword_only_scale_keyword(x):
    s = np.cos(x[0])
    return np.sum(ad.vjp(keyword_only)((x,), x[1], scale=s) * x)


def vjp_of_options_scale_left_out(x):
    return np.sum(ad.vjp(options)((x,), x[1]) * x)


def vjp_of_options_scale_keyword(x):
    s = np.cos(x[0])
    return np.sum(ad.vjp(options)((x,), x[1], scale=s) * x)


def jvp_of_scaled_scale_left_out(x):
    value, along = ad.jvp(scaled)((x,), (x * x,))
    return value * along


def jvp_of_scaled_scale_positional(x):
    s = np.cos(x[0])
    value, along = ad.jvp(scaled)((x, s,), (x * x,))
    return value * along


def jvp_of_scaled_scale_keyword(x):
    s = np.cos(x[0])
    value, along = ad.jvp(scaled)((x,), (x * x,), scale=s)
    return value * along


def jvp_of_keyword_only_scale_left_out(x):
    value, along = ad.jvp(keyword_only)((x,), (x * x,))
    return value * along


def jvp_of_keyword_only_scale_keyword(x):
    s = np.cos(x[0])
    value, along = ad.jvp(keyword_only)((x,), (x * x,), scale=s)
    return value * along


def jvp_of_options_scale_left_out(x):
    value, along = ad.jvp(options)((x,), (x * x,))
    return value * along


def jvp_of_options_scale_keyword(x):
    s = np.cos(x[0])
    value, along = ad.jvp(options)((x,), (x * x,), scale=s)
    return value * along


def hvp_of_scaled_scale_left_out(x):
    return np.sum(ad.hvp(scaled)((x,), (x * x,)) * x)


def hvp_of_scaled_scale_positional(x):
    s = np.cos(x[0])
    return np.sum(ad.hvp(scaled)((x, s,), (x * x,)) * x)


def hvp_of_scaled_scale_keyword(x):
    s = np.cos(x[0])
    return np.sum(ad.hvp(scaled)((x,), (x * x,), scale=s) * x)


def hvp_of_keyword_only_scale_left_out(x):
    return np.sum(ad.hvp(keyword_only)((x,), (x * x,)) * x)


def hvp_of_keyword_only_scale_keyword(x):
    s = np.cos(x[0])
    return np.sum(ad.hvp(keyword_only)((x,), (x * x,), scale=s) * x)


def hvp_of_options_scale_left_out(x):
    return np.sum(ad.hvp(options)((x,), (x * x,)) * x)


def hvp_of_options_scale_keyword(x):
    s = np.cos(x[0])
    return np.sum(ad.hvp(options)((x,), (x * x,), scale=s) * x)


def derivative_of_scaled_scale_left_out(x):
    return np.sum(ad.derivative(scaled)(x) * x)


def derivative_of_scaled_scale_positional(x):
    s = np.cos(x[0])
    return np.sum(ad.derivative(scaled)(x, s) * x)


def derivative_of_scaled_scale_keyword(x):
    s = np.cos(x[0])
    return np.sum(ad.derivative(scaled)(x, scale=s) * x)


def derivative_of_keyword_only_scale_left_out(x):
    return np.sum(ad.derivative(keyword_only)(x) * x)


def derivative_of_keyword_only_scale_keyword(x):
    s = np.cos(x[0])
    return np.sum(ad.derivative(keyword_only)(x, scale=s) * x)


def derivative_of_options_scale_left_out(x):
    return np.sum(ad.derivative(options)(x) * x)


def derivative_of_options_scale_keyword(x):
    s = np.cos(x[0])
    return np.sum(ad.derivative(options)(x, scale=s) * x)


# (f, builder, whether f passes scale = np.cos(x[0]) rather than leaving it out)
PROGRAMS = [(f, f.__name__.split("_of_")[0], not f.__name__.endswith("left_out"))
            for f in list(globals().values())
            if callable(f) and getattr(f, "__name__", "").split("_of_")[0] in (
                "grad", "value_and_grad", "vjp", "jvp", "hvp", "derivative")]


def _torch_grad(fn):
    """The gradient of torch `fn`, itself differentiable; the argument a
    variable of its own (the partial derivative, what fn closes over fixed)."""
    def gradient(y):
        y = y * 1.0 if y.requires_grad else y.detach().requires_grad_(True)
        (result,) = torch.autograd.grad(fn(y), y, create_graph=True)
        return result
    return gradient


def _torch_twin(builder: str, passes_scale: bool):
    """The torch function computing what f computes with `builder`."""
    def f(x):
        scale = torch.cos(x[0]) if passes_scale else 2.0
        inner = lambda y: twin(y, scale)  # noqa: E731
        gradient = _torch_grad(inner)(x)
        if builder == "grad":
            return torch.sum(gradient * x)
        if builder == "value_and_grad":
            return inner(x) + torch.sum(gradient * x)
        if builder == "vjp":
            return torch.sum(gradient * x[1] * x)
        if builder == "jvp":
            return inner(x) * torch.sum(gradient * x * x)
        if builder == "hvp":
            product = _torch_grad(lambda y: torch.sum(_torch_grad(inner)(y) * x * x))(x)
            return torch.sum(product * x)
        assert builder == "derivative"  # along ones
        return torch.sum(torch.sum(gradient) * x)
    return f


POINT = np.array([0.3, -1.2, 0.7])
IDS = [f.__name__ for f, _, _ in PROGRAMS]


def _torch(x):
    return torch.tensor(x, requires_grad=True)


@pytest.mark.parametrize("f, builder, passes_scale", PROGRAMS, ids=IDS)
def test_value_and_gradient_of_a_derivative_called_with_defaults_and_keywords_match_torch(
        f, builder, passes_scale):
    want = _torch_twin(builder, passes_scale)
    x = _torch(POINT)
    value = want(x)
    (gradient,) = torch.autograd.grad(value, x)
    np.testing.assert_allclose(f(POINT), value.item(), rtol=1e-12)
    np.testing.assert_allclose(ad.grad(f)(POINT), gradient.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("f, builder, passes_scale", PROGRAMS, ids=IDS)
def test_jvp_of_a_derivative_called_with_defaults_and_keywords_matches_torch(
        f, builder, passes_scale):
    x = _torch(POINT)
    (gradient,) = torch.autograd.grad(_torch_twin(builder, passes_scale)(x), x)
    tangent = np.array([0.5, -1.0, 2.0])
    value, along = ad.jvp(f)((POINT,), (tangent,))
    np.testing.assert_allclose(value, f(POINT), rtol=1e-12)
    np.testing.assert_allclose(along, gradient.numpy() @ tangent, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("f, builder, passes_scale", PROGRAMS, ids=IDS)
def test_hessian_of_a_derivative_called_with_defaults_and_keywords_matches_torch(
        f, builder, passes_scale):
    want = torch.autograd.functional.hessian(_torch_twin(builder, passes_scale),
                                             torch.tensor(POINT)).numpy()
    got = ad.hessian(f)(POINT)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("f, builder, passes_scale",
                         [p for p in PROGRAMS if p[0].__name__.endswith("of_scaled_scale_keyword")],
                         ids=[f.__name__ for f, _, _ in PROGRAMS
                              if f.__name__.endswith("of_scaled_scale_keyword")])
def test_hessian_of_a_derivative_called_by_keyword_matches_finite_differences(
        f, builder, passes_scale):
    gradient = ad.grad(f)
    step = 1e-6
    columns = [(gradient(POINT + step * e) - gradient(POINT - step * e)) / (2 * step)
               for e in np.eye(POINT.size)]
    np.testing.assert_allclose(ad.hessian(f)(POINT), np.array(columns).T, rtol=1e-6,
                               atol=1e-6)


JVP_AT_MODULE_LEVEL = ad.jvp(scaled)


def jvp_built_at_module_level_scale_left_out(x):
    # Built outside, called inside: bound the same way.
    value, along = JVP_AT_MODULE_LEVEL((x,), (x * x,))
    return value * along


def test_a_jvp_built_at_module_level_called_with_a_default_left_out_matches_torch():
    x = _torch(POINT)
    (want,) = torch.autograd.grad(_torch_twin("jvp", False)(x), x)
    np.testing.assert_allclose(ad.grad(jvp_built_at_module_level_scale_left_out)(POINT),
                               want.numpy(), rtol=1e-10)


@pytest.mark.parametrize("function", [scaled, keyword_only, options])
def test_derivative_takes_defaults_and_keywords_as_the_function_does(function):
    # ad.derivative(f)(x) of def f(x, scale=2.0) was a TypeError (scale missing).
    x = _torch(POINT)
    for keywords, scale in (({}, 2.0), ({"scale": 0.5}, 0.5)):
        (gradient,) = torch.autograd.grad(twin(x, scale), x)
        np.testing.assert_allclose(ad.derivative(function)(POINT, **keywords),
                                   gradient.sum().item(), rtol=1e-12)


# -- what cannot be bound when compiling is refused, naming the line -------------

def _refused_primals_held_in_a_variable(x):
    arguments = (x,)   # which value goes to scale is known only when it runs
    return ad.jvp(scaled)(arguments, (x,))[1]


def _refused_a_keyword_the_function_does_not_take(x):
    return ad.jvp(scaled)((x,), (x,), shift=1.0)[1]


def _refused_a_keyword_only_parameter_passed_positionally(x):
    return np.sum(ad.hvp(keyword_only)((x, 1.0), (x,)))


def _refused_keyword_computed_after_computed_tangents(x):
    # Python computes np.sin(x) before np.cos(x[0]); in the tuple of primals
    # the keyword's value would come first.
    return ad.jvp(scaled)((x,), (np.sin(x),), scale=np.cos(x[0]))[1]


def _refused_options_spread_into_the_call(x):
    settings = {"scale": 0.5}
    return np.sum(ad.grad(options)(x, **settings))


def _refused_the_old_three_argument_form(x):
    return ad.vjp(scaled)(x, 1.0, 1.0)


REFUSED = [
    (_refused_primals_held_in_a_variable, ad.UnsupportedSyntaxError,
     "other than as a tuple display", "write the arguments out as a tuple"),
    (_refused_a_keyword_the_function_does_not_take, ad.CallConventionError,
     "do not fit its parameters", "got an unexpected keyword argument 'shift'"),
    (_refused_a_keyword_only_parameter_passed_positionally, ad.CallConventionError,
     "do not fit its parameters", "too many positional arguments"),
    (_refused_keyword_computed_after_computed_tangents, ad.UnsupportedSyntaxError,
     "in another order than Python does", "compute each keyword's value into a variable"),
    (_refused_options_spread_into_the_call, ad.UnsupportedSyntaxError,
     "called with *args or **options", "write the arguments out"),
    (_refused_the_old_three_argument_form, ad.CallConventionError,
     "it takes (primals, tangents) or (primals, seed)", "Call it as"),
]


@pytest.mark.parametrize("f, error, what, advice", REFUSED,
                         ids=[case[0].__name__.lstrip("_") for case in REFUSED])
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_call_whose_binding_is_not_known_when_compiling_is_refused_naming_the_line(
        f, error, what, advice, mode):
    with pytest.raises(error) as raised:
        ad.grad(f, mode=mode)(POINT)
    message = str(raised.value)
    assert what in message and advice in message
    location = raised.value.location
    assert location.filename.endswith("test_nested_derivative_arguments.py")
    assert f.__code__.co_firstlineno < location.lineno <= f.__code__.co_firstlineno + 4
    assert f"test_nested_derivative_arguments.py:{location.lineno}:" in message
