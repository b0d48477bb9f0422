"""Functions passed to helpers: `rk4(rhs, y, dt)`, `integrate(lambda y: -k * y, y0)`,
`mlp(x, W, act=np.tanh)`, a closure over differentiated values handed to a
fixed-point iteration, `functools.partial(rhs, rate=w)`; and dataclass or
NamedTuple objects the caller builds, handed to a helper that calls their
methods. The helper is inlined where it is called
(passes/inline_mutating.py) and the function or object takes the place
of its parameter (passes/inline_local.py), so each call of it is differentiated,
reading the caller's variables when it runs, as Python's closures do.
Checked against torch twins in reverse and forward mode, to second order;
what cannot be known when compiling stays refused, naming the line."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pytest
import torch

import adcompiler as ad
from oracles import assert_close
from torch_oracle import CHECKS, assert_matches_twin

torch.set_default_dtype(torch.float64)

X = np.array([0.4, -0.7, 1.3, 0.25, 0.9])
DIRECTION = np.array([0.3, -1.0, 0.5, 0.8, -0.2])


# -- helpers that take a function ------------------------------------------------------

def decay(y, t, k):
    return -k * y + 0.3 * np.sin(t)


def t_decay(y, t, k):
    return -k * y + 0.3 * math.sin(t)


def rk4_step(f, y, t, dt, *args):
    k1 = f(y, t, *args)
    k2 = f(y + dt / 2 * k1, t + dt / 2, *args)
    k3 = f(y + dt / 2 * k2, t + dt / 2, *args)
    k4 = f(y + dt * k3, t + dt, *args)
    return y + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)


def euler_step(f, y, t, dt):
    return y + dt * f(y, t)


def integrate(f, y0, dt, steps):
    """Hands `f` on to another helper: both are inlined."""
    y, t = y0, 0.0
    for _ in range(steps):
        y = euler_step(f, y, t, dt)
        t = t + dt
    return y


def layer(x, W, act=np.tanh):
    return act(W @ x)


def relu(v):
    return np.maximum(v, 0.0)


def fixed_point(g, z0, iterations):
    z = z0
    for _ in range(iterations):
        z = g(z)
    return z


def newton(f, df, x0, steps=5):
    x = x0
    for _ in range(steps):
        x = x - f(x) / df(x)
    return x


def apply_twice(f, v):
    return f(f(v))


# -- the programs and their torch twins -----------------------------------------------

def rk4_of_a_module_function_with_extra_arguments(x):
    y = x[1:3]
    for i in range(4):
        y = rk4_step(decay, y, 0.1 * i, 0.1, x[0])
    return np.sum(y ** 2)


def t_rk4_of_a_module_function_with_extra_arguments(x):
    y = x[1:3]
    for i in range(4):
        t, dt, k = 0.1 * i, 0.1, x[0]
        k1 = t_decay(y, t, k)
        k2 = t_decay(y + dt / 2 * k1, t + dt / 2, k)
        k3 = t_decay(y + dt / 2 * k2, t + dt / 2, k)
        k4 = t_decay(y + dt * k3, t + dt, k)
        y = y + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    return torch.sum(y ** 2)


def rk4_of_a_lambda_with_extra_arguments(x):
    y = x[2:]
    for i in range(3):
        y = rk4_step(lambda v, t, k: -k * v * v + x[1], y, 0.1 * i, 0.05, x[0])
    return np.sum(y)


def t_rk4_of_a_lambda_with_extra_arguments(x):
    y = x[2:]
    f = lambda v, k: -k * v * v + x[1]  # noqa: E731
    for _ in range(3):
        dt, k = 0.05, x[0]
        k1 = f(y, k)
        k2 = f(y + dt / 2 * k1, k)
        k3 = f(y + dt / 2 * k2, k)
        k4 = f(y + dt * k3, k)
        y = y + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    return torch.sum(y)


def closure_over_parameters_integrated(x):
    rate = x[0]

    def f(y, t):  # named like the helper's parameter: the helper's `f` is its own
        return -rate * y + x[1] * np.cos(t)

    y = integrate(f, x[2:], 0.05, 6)
    return np.sum(y ** 2)


def t_closure_over_parameters_integrated(x):
    y, t = x[2:], 0.0
    for _ in range(6):
        y = y + 0.05 * (-x[0] * y + x[1] * math.cos(t))
        t = t + 0.05
    return torch.sum(y ** 2)


def lambda_integrated(x):
    y = integrate(lambda y, t: -x[0] * y * y, x[1:], 0.05, 5)
    return np.sum(y)


def t_lambda_integrated(x):
    y = x[1:]
    for _ in range(5):
        y = y + 0.05 * (-x[0] * y * y)
    return torch.sum(y)


def activations_by_default_keyword_and_user_function(x):
    W = x[:4].reshape(2, 2)
    h = layer(x[3:], W)
    h = layer(h, W, act=np.sin)
    return np.sum(layer(h, W, relu) + layer(h, W, np.exp))


def t_activations_by_default_keyword_and_user_function(x):
    W = x[:4].reshape(2, 2)
    h = torch.tanh(W @ x[3:])
    h = torch.sin(W @ h)
    return torch.sum(torch.clamp(W @ h, min=0.0) + torch.exp(W @ h))


def fixed_point_of_a_closure(x):
    w = x[:2]
    z = fixed_point(lambda z: 0.5 * np.cos(z) + w, w, 12)
    return np.sum(z * x[2:4])


def t_fixed_point_of_a_closure(x):
    w = x[:2]
    z = w
    for _ in range(12):
        z = 0.5 * torch.cos(z) + w
    return torch.sum(z * x[2:4])


def newton_with_two_lambdas(x):
    a = x[2] ** 2 + 1.0
    root = newton(lambda r: r * r - a, lambda r: 2 * r, 1.0)
    return root * x[0] + apply_twice(np.sin, x[1]) + apply_twice(lambda v: v * x[3], x[4])


def t_newton_with_two_lambdas(x):
    a = x[2] ** 2 + 1.0
    r = torch.tensor(1.0)
    for _ in range(5):
        r = r - (r * r - a) / (2 * r)
    return r * x[0] + torch.sin(torch.sin(x[1])) + x[4] * x[3] * x[3]


def local_helper_given_local_functions(x):
    def square(v):
        return v * v

    def compose(f, g, v):
        return f(g(v))

    return np.sum(compose(np.sin, square, x)) + compose(square, lambda v: v + x[0], x[1])


def t_local_helper_given_local_functions(x):
    return torch.sum(torch.sin(x * x)) + (x[1] + x[0]) ** 2


def closure_recording_its_calls(x):
    calls = []

    def record(v):
        calls.append(v)
        return v * 2.0

    y = apply_twice(record, x[0]) + apply_twice(record, x[1])
    return y * (calls[0] + calls[3])


def t_closure_recording_its_calls(x):
    return (4.0 * x[0] + 4.0 * x[1]) * (x[0] + 2.0 * x[1])


def decay_with_rate(y, t, rate=0.5):
    return -rate * y + 0.2 * t


def partial_integrated(x):
    y = integrate(functools.partial(decay_with_rate, rate=x[0]), x[1:], 0.1, 4)
    return np.sum(y ** 2)


def t_partial_integrated(x):
    y, t = x[1:], 0.0
    for _ in range(4):
        y = y + 0.1 * (-x[0] * y + 0.2 * t)
        t = t + 0.1
    return torch.sum(y ** 2)


# -- objects whose methods a helper calls ----------------------------------------------

DATA = np.array([[1.0, 2.0], [0.5, -1.0], [0.3, 0.2]])


@dataclass
class Linear:
    w: np.ndarray
    b: float

    def predict(self, inputs):
        return inputs @ self.w + self.b


class Gaussian(NamedTuple):
    mu: float
    sigma: float

    def log_density(self, v):
        return -0.5 * ((v - self.mu) / self.sigma) ** 2 - np.log(self.sigma)


def squared_error(model, inputs):
    return np.sum(model.predict(inputs) ** 2)


def total_log_density(dist, values):
    return np.sum(dist.log_density(values))


def records_handed_to_helpers(x):
    g = Gaussian(x[0], x[1] ** 2 + 0.5)
    return squared_error(Linear(x[2:4], x[4]), DATA) + total_log_density(g, x[2:])


def t_records_handed_to_helpers(x):
    sigma = x[1] ** 2 + 0.5
    log_density = -0.5 * ((x[2:] - x[0]) / sigma) ** 2 - torch.log(sigma)
    return torch.sum((torch.tensor(DATA) @ x[2:4] + x[4]) ** 2) + torch.sum(log_density)


# -- the differentiated function's own parameters defaulting to functions ---------------

def activation_by_default(x, act=np.tanh, *, reduce=np.sum):
    W = x[:4].reshape(2, 2)
    h = act(W @ x[3:])
    return reduce(layer(h, W, act) ** 2) + reduce(act(x))


def t_activation_by_default(x):
    W = x[:4].reshape(2, 2)
    h = torch.tanh(W @ x[3:])
    return torch.sum(torch.tanh(W @ h) ** 2) + torch.sum(torch.tanh(x))


# -- loops over functions (passes/function_sequences.py) -------------------------------

ACTIVATIONS = (np.tanh, relu)


def loops_over_functions(x):
    def scaled(v):
        return v * x[0]

    total = 0.0
    for act in ACTIVATIONS:                 # a module-level tuple
        total = total + np.sum(act(x) * 2.0)
    transforms = [scaled, np.exp]           # a list of functions, only looped over
    for f in transforms:
        for g in (np.sin, np.cos):          # nested, over a display
            total = total + np.sum(f(g(x)))
    return total + sum(np.sum(h(x[1:])) for h in (np.sin, lambda_free_square))


def lambda_free_square(v):
    return v * v


def t_loops_over_functions(x):
    total = torch.sum(torch.tanh(x) * 2.0) + torch.sum(torch.clamp(x, min=0.0) * 2.0)
    for g in (torch.sin, torch.cos):
        total = total + torch.sum(g(x) * x[0]) + torch.sum(torch.exp(g(x)))
    return total + torch.sum(torch.sin(x[1:])) + torch.sum(x[1:] * x[1:])


def enumerated_and_zipped_functions(x):
    total = 0.0
    for k, act in enumerate((np.tanh, relu), start=1):      # the index bound as Python binds it
        total = total + k * np.sum(act(x))
    weight = x[0]
    for act, w, c in zip(ACTIVATIONS, [weight, weight * 2.0, 7.0], (1.0, -0.5)):
        weight = 100.0      # zip computed its items before the loop
        total = total + c * w * np.sum(act(x))
    return total * k + weight * x[1]


def t_enumerated_and_zipped_functions(x):
    relu_x = torch.clamp(x, min=0.0)
    total = torch.sum(torch.tanh(x)) + 2 * torch.sum(relu_x)
    total = total + x[0] * torch.sum(torch.tanh(x)) - 0.5 * x[0] * 2.0 * torch.sum(relu_x)
    return total * 2 + 100.0 * x[1]


def repeat(f, v, *, times=2, shift=0.25):
    for _ in range(times):
        v = f(v) + shift
    return v


def keyword_only_options_of_a_helper(x):
    return np.sum(repeat(np.sin, x)) + np.sum(repeat(np.tanh, x, times=3, shift=x[0]))


def t_keyword_only_options_of_a_helper(x):
    v, w = x, x
    for _ in range(2):
        v = torch.sin(v) + 0.25
    for _ in range(3):
        w = torch.tanh(w) + x[0]
    return torch.sum(v) + torch.sum(w)


# -- a function handed over that changes what the helper read before calling it --------

def read_then_call(f, v):
    a = v[0] + f(v)  # Python reads v[0] before f changes it
    return a * v[0]


def handed_a_function_that_writes_its_argument(x):
    v = x * 1.0

    def triple_first(u):
        u[0] = u[0] * 3.0
        return u[1]

    history = [x[2]]

    def record(t):
        history.append(t)
        return t

    def last_plus(f, t):
        s = history[-1] + f(t)  # history[-1] read before record appends
        return s * history[-1]

    return read_then_call(triple_first, v) + last_plus(record, x[3] * 2.0)


def t_handed_a_function_that_writes_its_argument(x):
    a = x[0] + x[1]
    return a * (3.0 * x[0]) + (x[2] + 2.0 * x[3]) * (2.0 * x[3])


def step_until_positive(f, lo):
    n = 0
    while f(lo) < 0 and n < 5:   # Python calls f again at every test
        lo = lo + 0.1
        n += 1
    return lo


def lambda_in_a_while_test(x):
    return step_until_positive(lambda t: t - x[2], x[0]) * x[1]


def t_lambda_in_a_while_test(x):
    lo, n = x[0], 0
    while lo - x[2] < 0 and n < 5:
        lo = lo + 0.1
        n += 1
    return lo * x[1]


def backtracking_line_search(x):
    w = np.array([1.0, -1.0])

    def f(v):
        return np.sum((v - x[:2]) ** 2) + x[2] * np.sum(v ** 4)

    g = 2 * (w - x[:2]) + 4 * x[2] * w ** 3
    step = 1.0
    while f(w - step * g) > f(w) - 0.5 * step * np.dot(g, g):
        step *= 0.5
    return f(w - step * g)


def t_backtracking_line_search(x):
    w = torch.tensor([1.0, -1.0])

    def f(v):
        return torch.sum((v - x[:2]) ** 2) + x[2] * torch.sum(v ** 4)

    g = 2 * (w - x[:2]) + 4 * x[2] * w ** 3
    step = 1.0
    while f(w - step * g) > f(w) - 0.5 * step * torch.dot(g, g):
        step *= 0.5
    return f(w - step * g)


PROGRAMS = {
    "a lambda handed to a helper that calls it in a while test": (
        lambda_in_a_while_test, t_lambda_in_a_while_test),
    "a local function called in a while test (backtracking line search)": (
        backtracking_line_search, t_backtracking_line_search),
    "handed a function that writes its argument": (
        handed_a_function_that_writes_its_argument,
        t_handed_a_function_that_writes_its_argument),
    "keyword-only options of a helper": (keyword_only_options_of_a_helper,
                                         t_keyword_only_options_of_a_helper),
    "loops over functions": (loops_over_functions, t_loops_over_functions),
    "enumerate and zip over functions": (enumerated_and_zipped_functions,
                                         t_enumerated_and_zipped_functions),
    "activation by default": (activation_by_default, t_activation_by_default),
    "partial integrated": (partial_integrated, t_partial_integrated),
    "records handed to helpers": (records_handed_to_helpers, t_records_handed_to_helpers),
    "rk4 of a module function with extra arguments": (
        rk4_of_a_module_function_with_extra_arguments,
        t_rk4_of_a_module_function_with_extra_arguments),
    "rk4 of a lambda with extra arguments": (rk4_of_a_lambda_with_extra_arguments,
                                             t_rk4_of_a_lambda_with_extra_arguments),
    "closure over parameters, integrated": (closure_over_parameters_integrated,
                                            t_closure_over_parameters_integrated),
    "lambda integrated": (lambda_integrated, t_lambda_integrated),
    "activations by default, keyword and user function": (
        activations_by_default_keyword_and_user_function,
        t_activations_by_default_keyword_and_user_function),
    "fixed point of a closure": (fixed_point_of_a_closure, t_fixed_point_of_a_closure),
    "newton with two lambdas": (newton_with_two_lambdas, t_newton_with_two_lambdas),
    "local helper given local functions": (local_helper_given_local_functions,
                                           t_local_helper_given_local_functions),
    "closure recording its calls": (closure_recording_its_calls, t_closure_recording_its_calls),
}


@pytest.mark.parametrize("check", CHECKS)
@pytest.mark.parametrize("name", PROGRAMS)
def test_function_passed_to_a_helper_is_differentiated_like_torch(name, check):
    function, twin = PROGRAMS[name]
    assert_matches_twin(function, twin, X, DIRECTION, check)


@pytest.mark.parametrize("name", ["rk4 of a module function with extra arguments",
                                  "closure over parameters, integrated",
                                  "local helper given local functions"])
def test_hessian_through_a_function_passed_to_a_helper_matches_torch(name):
    function, twin = PROGRAMS[name]
    expected = torch.autograd.functional.hessian(twin, torch.tensor(X))
    assert_close(ad.hessian(function)(X.copy()), expected.numpy(), label=name)


def test_the_closure_runs_once_per_call_in_order():
    # The inlined helper calls `record` four times; the list holds the values
    # in the order Python passed them.
    value, _ = ad.value_and_grad(closure_recording_its_calls)(X.copy())
    assert value == closure_recording_its_calls(X.copy())


# -- what stays refused ---------------------------------------------------------------

def function_given_by_the_caller(x, g):
    return np.sum(apply_twice(g, x))


def helper_keeping_the_function_in_a_list(f, v):
    functions = [f, np.cos]
    return sum(np.sum(h(v)) for h in functions)


def function_kept_in_a_list(x):
    return helper_keeping_the_function_in_a_list(np.sin, x)


def arguments_from_a_tuple_variable(x):
    def f(y, t, k):
        return -k * y

    extra = (x[0],)
    return np.sum(rk4_step(f, x[1:], 0.0, 0.1, *extra))


def chosen(f, g, v, flag):
    return f(v) if flag else g(v)   # Python calls only the chosen one


def lambda_in_a_branch(x):
    calls = []

    def noted(t):
        calls.append(t)
        return t * 2.0

    return np.sum(chosen(np.sin, noted, x, True)) + len(calls)


@pytest.mark.parametrize("function, wrt, message", [
    (lambda_in_a_branch, 0, r"\('noted'\) in a branch of a conditional expression"),
    (function_given_by_the_caller, 0, "which function `f` calls"),
    (function_kept_in_a_list, 0, "which function `h` calls"),
    (arguments_from_a_tuple_variable, 0, "local function 'f' other than by calling it"),
])
def test_a_function_not_known_when_compiling_is_refused_naming_the_line(function, wrt, message):
    with pytest.raises(ad.AdError, match=message) as caught:
        ad.grad(function, wrt=wrt)(X.copy(), *([np.sin] if function is
                                               function_given_by_the_caller else []))
    assert "test_functions_passed_to_helpers.py" in str(caught.value)


def test_a_derivative_compiled_for_a_default_function_refuses_another():
    gradient = ad.grad(activation_by_default)
    gradient(X.copy())
    with pytest.raises(ad.CallConventionError, match="'act' left at its default, 'tanh'"):
        gradient(X.copy(), np.sin)


def scaled_sum(f, v, *extra, scale=1.0):
    return scale * (f(v) + sum(extra))


def keyword_only_after_star_args(x):
    # Python puts 2.0 in `extra`; `scale` stays 1.0.
    return np.sum(scaled_sum(np.sin, x, 2.0))


def test_a_keyword_only_default_after_star_args_is_never_filled_positionally():
    try:
        value, gradient = ad.value_and_grad(keyword_only_after_star_args)(X.copy())
    except ad.AdError as error:
        assert "scaled_sum" in str(error) or "`f`" in str(error)
        return
    assert value == keyword_only_after_star_args(X.copy())
    np.testing.assert_allclose(gradient, np.cos(X), rtol=1e-12)
