"""Functions tests/test_optional_imports.py differentiates in a fresh
interpreter, to see which modules a first derivative imports (those calling
SciPy are in optional_import_scipy_programs.py, which imports it)."""

import math

import numpy as np


def numpy_loss(x):
    return np.sum(np.sin(2.0 * x))


def lgamma_loss(a):
    return math.lgamma(a) + 0.5 * a

