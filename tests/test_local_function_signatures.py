"""Functions defined inside the one differentiated, and module-level helpers
handed a function, may declare any signature Python allows: keyword-only
parameters (with or without defaults), positional-only ones, **kwargs, and
calls may pass `**d` of a dict display or of a name bound once to one. Each
call is inlined with its arguments bound as Python binds them
(passes/inline_local.py); a helper's **kwargs read by key (`kw['a']`,
`kw.get('a', default)`, `'a' in kw`, `f(**kw)`) is read from the call's
keywords when compiling. Each program checked against a torch twin in
reverse and forward mode, jvp and Hessian-vector product, with its value,
and that the argument is left unchanged."""

import numpy as np
import pytest
import torch

import adcompiler as ad
from torch_oracle import CHECKS, assert_matches_twin

X = np.array([0.3, -1.2, 0.7, 1.1])
DIRECTION = np.array([0.5, -0.25, 1.0, 0.75])


def _layer(v, w, **kw):
    act = kw.get("act", np.tanh)
    scale = kw["scale"] if "scale" in kw else 1.0
    return act(v * w) * scale


def helper_reading_its_kwargs_by_key(x):
    return np.sum(_layer(x, 2.0)) + np.sum(_layer(x, 0.5, act=np.sin, scale=x[0]))


def t_helper_reading_its_kwargs_by_key(x):
    return torch.sum(torch.tanh(x * 2.0)) + torch.sum(torch.sin(x * 0.5) * x[0])


def _apply(f, *args, **kwargs):
    return f(*args, **kwargs)


def _affine(v, w=1.0, *, b=0.0):
    return v * w + b


def forwarding_wrapper(x):
    cube = lambda v, p=2: v ** p  # noqa: E731 - a lambda handed to the wrapper
    return np.sum(_apply(_affine, x, w=x[1], b=0.5)) + np.sum(_apply(cube, x, p=3)) + \
        np.sum(_apply(np.tanh, x))


def t_forwarding_wrapper(x):
    return torch.sum(x * x[1] + 0.5) + torch.sum(x ** 3) + torch.sum(torch.tanh(x))


def keyword_only_parameters(x):
    def step(v, *, lr=0.1, decay):
        return v - lr * decay * v ** 2
    y = step(x, decay=0.9)
    y = step(y, lr=x[0], decay=0.5)
    return np.sum(y)


def t_keyword_only_parameters(x):
    y = x - 0.1 * 0.9 * x ** 2
    return torch.sum(y - x[0] * 0.5 * y ** 2)


def positional_only_parameters(x):
    def f(a, b, /, c=1.0):
        return a * b + c
    return np.sum(f(x, x[::-1], c=x[0]))


def t_positional_only_parameters(x):
    return torch.sum(x * torch.flip(x, [0]) + x[0])


def star_args_keywords_and_unused_kwargs(x):
    def forward(v, *weights, activation="tanh", scale=1.0, **unused):
        act = {"tanh": np.tanh, "sin": np.sin}[activation]
        for w in weights:
            v = act(v * w) * scale
        return v
    return np.sum(forward(x, 0.5, x[0], activation="sin", scale=0.9, verbose=False) ** 2)


def t_star_args_keywords_and_unused_kwargs(x):
    v = torch.sin(x * 0.5) * 0.9
    return torch.sum((torch.sin(v * x[0]) * 0.9) ** 2)


def double_star_of_a_display_and_of_a_name(x):
    def model(a, b, c=1.0, d=0.0):
        return a * np.sin(b) + c * d
    cfg = {"a": x[0], "b": x[1], "c": x[2]}
    return model(**cfg, d=x[3]) + model(**{"a": x[1], "b": 0.3})


def t_double_star_of_a_display_and_of_a_name(x):
    return x[0] * torch.sin(x[1]) + x[2] * x[3] + x[1] * np.sin(0.3)


def kwargs_written_into(x):
    def g(v, **kw):
        kw["extra"] = 1.0      # an ordinary dict of the function's: read at run time
        return v ** 2 * kw["s"] + kw["extra"]
    return np.sum(g(x, s=2.0))


def t_kwargs_written_into(x):
    return torch.sum(x ** 2 * 2.0 + 1.0)


def kwargs_with_a_computed_default(x):
    def g(v, **kw):
        return v * kw.get("s", np.sum(v))
    return np.sum(g(x)) + np.sum(g(x, s=x[0]))


def t_kwargs_with_a_computed_default(x):
    return torch.sum(x * torch.sum(x)) + torch.sum(x * x[0])


def kwargs_iterated(x):
    def g(v, **kw):
        out = v
        for _, w in kw.items():
            out = out * w
        return out
    return np.sum(g(x, a=2.0, b=x[0]))


def t_kwargs_iterated(x):
    return torch.sum(x * 2.0 * x[0])


PROGRAMS = {
    "a helper reading its **kwargs by key": (helper_reading_its_kwargs_by_key,
                                             t_helper_reading_its_kwargs_by_key),
    "a wrapper forwarding *args and **kwargs": (forwarding_wrapper, t_forwarding_wrapper),
    "keyword-only parameters": (keyword_only_parameters, t_keyword_only_parameters),
    "positional-only parameters": (positional_only_parameters, t_positional_only_parameters),
    "*weights, keyword-only options and unused **kwargs": (
        star_args_keywords_and_unused_kwargs, t_star_args_keywords_and_unused_kwargs),
    "**d of a display and of a name bound once": (double_star_of_a_display_and_of_a_name,
                                                  t_double_star_of_a_display_and_of_a_name),
    "**kwargs written into": (kwargs_written_into, t_kwargs_written_into),
    "**kwargs.get with a computed default": (kwargs_with_a_computed_default,
                                             t_kwargs_with_a_computed_default),
    "**kwargs iterated": (kwargs_iterated, t_kwargs_iterated),
}


@pytest.mark.parametrize("check", CHECKS)
@pytest.mark.parametrize("name", PROGRAMS)
def test_local_function_signature_is_bound_as_python_binds_it_matches_torch(name, check):
    function, twin = PROGRAMS[name]
    assert_matches_twin(function, twin, X, DIRECTION, check)


def unpacking_a_dict_that_changes(x):
    def model(a, b=1.0):
        return a * b
    cfg = {"a": x[0]}
    cfg["b"] = x[1]            # the keys unpacked are not those of the display
    return model(**cfg)


def wrong_keyword(x):
    def step(v, *, lr):
        return v * lr
    return np.sum(step(x, rate=0.1))


def a_keyword_given_twice(x):
    def model(a, b=1.0):
        return a * b
    return model(x[0], b=x[1], **{"b": 2.0})


@pytest.mark.parametrize("function, message", [
    (unpacking_a_dict_that_changes, "with \\*\\*kwargs other than a dict display"),
    (a_keyword_given_twice, "'b' is given twice"),
    (wrong_keyword, "does not match the parameters of the local function 'step'"),
])
def test_an_unbindable_call_of_a_local_function_is_refused_naming_the_line(function, message):
    with pytest.raises(ad.UnsupportedSyntaxError, match=message) as caught:
        ad.grad(function)(X)
    assert "test_local_function_signatures.py" in str(caught.value)


# -- dispatch tables: a dict display of functions, called through ------------------

def dispatch_table_of_lambdas(x):
    s = x[0]
    ops = {"square": lambda v: v ** 2, "exp": np.exp, "shift": lambda v: v + s,
           "sin": np.sin}
    s = s * 2.0              # a lambda reads s when it is called, as Python's does
    total = 0.0
    for name in ["square", "exp", "shift", "sin"]:
        total += np.sum(ops[name](x))
    pick = {1: lambda v, w: v * w, 2: np.hypot}
    for k in (1, 2):
        total = total + np.sum(pick[k](x, x[::-1]))
    return total


def t_dispatch_table_of_lambdas(x):
    s = x[0] * 2.0
    total = torch.sum(x ** 2) + torch.sum(torch.exp(x)) + torch.sum(x + s) + \
        torch.sum(torch.sin(x))
    return total + torch.sum(x * torch.flip(x, [0])) + torch.sum(torch.hypot(x, torch.flip(x, [0])))


@pytest.mark.parametrize("check", CHECKS)
def test_a_dispatch_table_of_lambdas_matches_torch(check):
    assert_matches_twin(dispatch_table_of_lambdas, t_dispatch_table_of_lambdas, X, DIRECTION,
                        check)


def a_key_the_table_does_not_hold(x):
    ops = {"a": lambda v: v ** 2}
    return np.sum(ops["b"](x))


def test_a_key_the_table_does_not_hold_raises_key_error_as_python_does():
    with pytest.raises(KeyError):
        a_key_the_table_does_not_hold(X)
    with pytest.raises(KeyError):
        ad.grad(a_key_the_table_does_not_hold)(X)


def a_table_value_bound_again(x):
    square = lambda v: v ** 2  # noqa: E731
    act = np.sin
    ops = {"a": square, "b": act}
    act = np.cos             # the table holds np.sin
    return np.sum(ops["b"](x)) + np.sum(ops["a"](x))


def test_a_table_holding_a_variable_bound_again_is_refused():
    # Read where the key chooses it, the variable would be np.cos.
    with pytest.raises(ad.UnsupportedSyntaxError) as caught:
        ad.grad(a_table_value_bound_again)(X)
    assert "test_local_function_signatures.py" in str(caught.value)
