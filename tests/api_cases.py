"""Functions for the API tests (module-level, so adcompiler can read their source)."""

import math
from math import exp as e_to_the
from numpy import sin as s

import numpy as np

import programs
from programs import helper_square_plus as imported_helper

SCALE = 2.0


def uses_global_scale(x):
    return np.sum(x * SCALE)


def aliased_imports(x):
    return np.sum(s(x)) + e_to_the(0.5) * np.sum(x)


def calls_imported_helper(x):
    return np.sum(imported_helper(x, 1.0)) + np.sum(programs.helper_calls_helper(x))


def keyword_call_to_helper(x):
    return np.sum(imported_helper(w=3.0, x=x))


def with_default(x, power=3):
    return np.sum(x ** power)


def make_closure(k):
    def scaled(x):
        return np.sum(np.sin(x) * k)
    return scaled


def softplus(x):
    return np.log1p(np.exp(x))


def uses_softplus(x):
    return np.sum(softplus(x) * 2.0)


def float32_program(x):
    return np.sum(np.tanh(x) * x)


def returns_a_parameter(x, y):
    return y


def math_only(x):
    return math.exp(x) * math.sin(x)


def local_named_like_a_helper(x):
    unbroadcast = x * 2
    zeros_like = unbroadcast + x
    return np.sum(zeros_like * unbroadcast)


def raises_inside(x):
    y = x * 2
    z = np.sqrt(y)
    assert np.all(z > 100), "assertion from user code"
    return np.sum(z)


def negative_base_power(x):
    return x * (-1.5) ** 2 + x ** 2 * -0.5


def overwrites_an_unused_parameter(x, y):
    v0 = 0.5
    y = v0  # noqa: F841 (overwriting the parameter is the point)
    return np.sum(v0)


WEIGHTS = np.array([1.0, 2.0, 3.0])


def sum_of(values):
    return np.sum(values)


def scales_a_global_array(x):
    return sum_of(x * WEIGHTS)
