"""Programs that take `*args` and pass tuples on with `f(x, *t)`, each with a
torch twin written the same way, and the uses adcompiler refuses."""

import numpy as np
import torch


# -- helpers the programs call --------------------------------------------------------

def model(w, x, y, scale=1.0):
    return np.sum((np.tanh(x @ w) - y) ** 2) * scale


def t_model(w, x, y, scale=1.0):
    return torch.sum((torch.tanh(x @ w) - y) ** 2) * scale


def helper_with_varargs(w, *arrays):
    total = 0.0
    for a in arrays:
        total = total + np.sum(a * w)
    return total


def t_helper_with_varargs(w, *arrays):
    total = 0.0
    for a in arrays:
        total = total + torch.sum(a * w)
    return total


def forwarding(w, *arrays):
    return model(w, *arrays) + helper_with_varargs(w, *arrays[:-1])


def t_forwarding(w, *arrays):
    return t_model(w, *arrays) + t_helper_with_varargs(w, *arrays[:-1])


def weighted(w, scale=2.0, *terms):
    total = np.sum(w * w) * scale
    for k, term in enumerate(terms):
        total = total + np.sum(np.sin(term) * w) * (k + 1)
    return total


def t_weighted(w, scale=2.0, *terms):
    total = torch.sum(w * w) * scale
    for k, term in enumerate(terms):
        total = total + torch.sum(torch.sin(term) * w) * (k + 1)
    return total


def pair(a, b):
    return a * b, a + b


def t_pair(a, b):
    return a * b, a + b


def chain(w, *layers):
    if len(layers) == 0:
        return np.sum(w * w)
    return chain(np.tanh(layers[0] @ w), *layers[1:])


def t_chain(w, *layers):
    if len(layers) == 0:
        return torch.sum(w * w)
    return t_chain(torch.tanh(layers[0] @ w), *layers[1:])


# -- the programs ---------------------------------------------------------------------

def loss(w, *data):
    return model(w, *data)


def t_loss(w, *data):
    return t_model(w, *data)


def loss_with_batch(w, x, y):
    batch = (x, y)
    return model(w, *batch) + helper_with_varargs(w, x, 2.0 * x)


def t_loss_with_batch(w, x, y):
    batch = (x, y)
    return t_model(w, *batch) + t_helper_with_varargs(w, x, 2.0 * x)


def differentiated_values_to_star_args(w, x):
    return helper_with_varargs(w, x * w, np.sin(x)) + helper_with_varargs(w, x)


def t_differentiated_values_to_star_args(w, x):
    return t_helper_with_varargs(w, x * w, torch.sin(x)) + t_helper_with_varargs(w, x)


def specialised_callee_forwards_its_star_args(w, x, y):
    return forwarding(w, x * 1.5, y)


def t_specialised_callee_forwards_its_star_args(w, x, y):
    return t_forwarding(w, x * 1.5, y)


def defaults_before_star_args(w, x):
    return weighted(w) + weighted(w, 0.5, x * w, x) + weighted(w, 3.0)


def t_defaults_before_star_args(w, x):
    return t_weighted(w) + t_weighted(w, 0.5, x * w, x) + t_weighted(w, 3.0)


def star_of_a_tuple_display(w, x, y):
    return model(w, *(x, y), 0.5)


def t_star_of_a_tuple_display(w, x, y):
    return t_model(w, *(x, y), 0.5)


def star_args_of_the_differentiated_function(w, *coefficients):
    total = 0.0
    for c in coefficients:
        total = total + c * np.sum(np.sin(w) ** 2)
    return total + helper_with_varargs(w, *coefficients)


def t_star_args_of_the_differentiated_function(w, *coefficients):
    total = 0.0
    for c in coefficients:
        total = total + c * torch.sum(torch.sin(w) ** 2)
    return total + t_helper_with_varargs(w, *coefficients)


def local_function_with_star_args(w, x):
    def total(scale, *parts):
        s = 0.0
        for p in parts:
            s = s + np.sum(p * p)
        return s * scale

    return total(2.0, w, x * w) + total(1.0) + total(0.5, *(w,))


def t_local_function_with_star_args(w, x):
    def total(scale, *parts):
        s = 0.0
        for p in parts:
            s = s + torch.sum(p * p)
        return s * scale

    return total(2.0, w, x * w) + total(1.0) + total(0.5, *(w,))


def recursion_peeling_star_args(w, a, b):
    return chain(w, a * 0.5, b) + chain(w, a, b)


def t_recursion_peeling_star_args(w, a, b):
    return t_chain(w, a * 0.5, b) + t_chain(w, a, b)


def joins_tuples_of_known_length(w, x):
    head = (w * x,)
    both = head + (np.sin(x),)
    return helper_with_varargs(w, *both, *both[:1]) + np.sum(both[1] * (head + head)[1])


def t_joins_tuples_of_known_length(w, x):
    head = (w * x,)
    both = head + (torch.sin(x),)
    return t_helper_with_varargs(w, *both, *both[:1]) + torch.sum(both[1] * (head + head)[1])


def tuple_a_helper_returns_passed_with_a_star(w, x):
    # The tuple's length is known only when the function runs: model takes it
    # as one tuple of its trailing parameters (scale keeps its default).
    t = pair(w, x)
    return model(w, *t)


def t_tuple_a_helper_returns_passed_with_a_star(w, x):
    t = t_pair(w, x)
    return t_model(w, *t)


# -- refused --------------------------------------------------------------------------

def unpacks_with_a_star(w):
    total = 0.0
    for first, *rest in [(w, w, w)]:
        total = total + np.sum(first) * len(rest)
    return total


def defines_a_function_taking_kwargs(w):
    # A function defined inside is inlined; a module-level helper may take **kwargs.
    def inner(v, **options):
        return v * 2.0
    return np.sum(inner(w))


def passes_a_tuple_of_unknown_length_and_a_keyword(w, x):
    # Without the keyword, model would take t whole (specialise_varargs.PackedTail).
    t = pair(w, x)
    return model(w, *t, scale=0.5)


def passes_a_value_after_a_star_of_unknown_length(w, x, *data):
    return helper_with_varargs(w, *data, x * w)


def calls_numpy_with_a_star_of_unknown_length(w, x):
    # (written out as np.add(t[0], t[1]) after a check that t holds two values)
    t = pair(w, x)
    return np.sum(np.add(*t))


def t_calls_numpy_with_a_star_of_unknown_length(w, x):
    t = t_pair(w, x)
    return torch.sum(torch.add(*t))


def calls_numpy_with_a_star_of_unknown_length_and_a_keyword(w, x):
    t = pair(w, x)
    return np.sum(np.add(*t, casting="same_kind"))


def zips_a_starred_tuple(w, x):
    total = 0.0
    for a, b in zip(*(w, x)):
        total = total + a * b
    return total


def calls_a_local_function_with_a_star(w, x):
    t = tuple(x)  # (a length known only when it runs)

    def g(a, b):
        return np.sum(a * b)

    return g(*t)


def calls_a_local_function_with_a_star_of_a_tuple_variable(w, x):
    pair = (w * x, np.sin(x))

    def g(a, b, scale=2.0):
        return np.sum(a * b) * scale

    return g(*pair) + g(*pair, 0.5)


def t_calls_a_local_function_with_a_star_of_a_tuple_variable(w, x):
    pair = (w * x, torch.sin(x))

    def g(a, b, scale=2.0):
        return torch.sum(a * b) * scale

    return g(*pair) + g(*pair, 0.5)


def reshapes_with_a_star_among_other_values(w, *shape):
    return np.sum(w.reshape(2, *shape) ** 2)


def passes_a_differentiated_dict_with_two_stars(w, x, y):
    options = {"y": y * w[0]}
    return model(w, x, **options)


def passes_a_constant_dict_with_two_stars(w, x, y):
    options = {"scale": 2.0}
    return model(w, x, y, **options)


def joins_star_args_with_a_differentiated_value(w, *data):
    values = data + (w,)
    return np.sum(values[-1] * 2.0)


def data(seed=0):
    """Weights, inputs and targets of `cases.model`."""
    generator = np.random.default_rng(seed)
    return (generator.standard_normal(3), generator.standard_normal((4, 3)),
            generator.standard_normal(4))


# name -> (function, torch twin, arguments, differentiated positions)
PROGRAMS = {
    "a-tuple-variable-passed-with-a-star-to-a-local-function": (
        calls_a_local_function_with_a_star_of_a_tuple_variable,
        t_calls_a_local_function_with_a_star_of_a_tuple_variable,
        lambda: [*data(1)][:2], (0, 1)),
    "star-args-forwarded-to-a-helper": (loss, t_loss, lambda: [*data()], (0,)),
    "star-args-forwarded-with-a-default-overridden": (
        loss, t_loss, lambda: [*data(), 2.0], (0,)),
    "a-tuple-display-variable-passed-with-a-star": (
        loss_with_batch, t_loss_with_batch, lambda: [*data(1)], (0, 1, 2)),
    "differentiated-values-passed-to-a-helpers-star-args": (
        differentiated_values_to_star_args, t_differentiated_values_to_star_args,
        lambda: [*data(2)[:2]], (0, 1)),
    "a-specialised-helper-forwarding-its-star-args-and-a-slice-of-them": (
        specialised_callee_forwards_its_star_args,
        t_specialised_callee_forwards_its_star_args, lambda: [*data(3)], (0, 1, 2)),
    "defaults-before-star-args": (
        defaults_before_star_args, t_defaults_before_star_args,
        lambda: [*data(4)[:2]], (0, 1)),
    "a-star-of-a-tuple-display": (
        star_of_a_tuple_display, t_star_of_a_tuple_display, lambda: [*data(5)],
        (0, 1, 2)),
    "star-args-of-the-differentiated-function-read-in-a-loop": (
        star_args_of_the_differentiated_function,
        t_star_args_of_the_differentiated_function,
        lambda: [data(6)[0], 0.5, 2.0, -1.5], (0,)),
    "recursion-peeling-one-value-off-star-args-per-call": (
        recursion_peeling_star_args, t_recursion_peeling_star_args,
        lambda: [data(8)[0], *np.random.default_rng(8).standard_normal((2, 3, 3))],
        (0, 1, 2)),
    "tuples-of-known-length-joined-with-plus": (
        joins_tuples_of_known_length, t_joins_tuples_of_known_length,
        lambda: [*data(14)[:2]], (0, 1)),
    "a-local-function-taking-star-args": (
        local_function_with_star_args, t_local_function_with_star_args,
        lambda: [*data(7)[:2]], (0, 1)),
    "a-tuple-of-unknown-length-passed-with-a-star-to-numpy": (
        calls_numpy_with_a_star_of_unknown_length, t_calls_numpy_with_a_star_of_unknown_length,
        lambda: [*data(16)[:2]], (0, 1)),
    "a-tuple-a-helper-returns-passed-with-a-star": (
        tuple_a_helper_returns_passed_with_a_star, t_tuple_a_helper_returns_passed_with_a_star,
        lambda: [data(15)[0], np.random.default_rng(15).standard_normal((3, 3))], (0, 1)),
}
