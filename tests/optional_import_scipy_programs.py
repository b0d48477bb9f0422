"""A function calling SciPy, in a module that imports SciPy as a user's
module would (tests/test_optional_imports.py)."""

import numpy as np
from scipy import special


def expit_loss(x):
    return np.sum(special.expit(x))
