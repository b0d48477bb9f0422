"""Which callables adcompiler differentiates by reading their source (the
user's functions, the derivatives it generated, its runtime helpers without a
rule of their own) and which only through derivative rules (NumPy's, SciPy's,
the standard library's). Every pass that meets a call asks this module; it
imports nothing of the passes, so any of them can.
"""

from __future__ import annotations

import sys
import types

import numpy as np

from ..rules import registry

# Libraries whose functions are differentiated only through rules, never by
# reading their source (numpy.cumsum is a Python function, but not ours to open).
RULE_ONLY_PACKAGES = {"numpy", "scipy", "math", "builtins", "adcompiler", "torch", "jax"}


# adcompiler's runtime helpers are written in the subset it differentiates, so
# a helper with no hand-written rule is differentiated from its source, as a
# user's helper is: the derivative of a derivative never stops at one of them.
SOURCE_DIFFERENTIATED_MODULES = {f"adcompiler.runtime.{module}" for module in (
    "arrays", "linalg", "special", "stats", "special_series", "matrices", "signals", "selections",
    "calculus", "polynomials", "covariance", "elementwise", "histograms", "sets", "odeint",
    "python_statistics", "python_math")}


def is_user_function(obj) -> bool:
    """A Python function adcompiler differentiates by reading its source: the
    user's own, one it generated itself (derivatives of derivatives), or one of
    its runtime helpers that has no rule of its own.

    Example:
        >>> import numpy as np
        >>> is_user_function(np.cumsum), is_user_function(lambda x: x)
        (False, True)
    """
    if not isinstance(obj, types.FunctionType):
        return False
    module = obj.__module__ or ""
    if module in SOURCE_DIFFERENTIATED_MODULES:
        return registry.lookup(obj) is None
    package = module.split(".")[0]
    if package in sys.stdlib_module_names:
        # Python's own functions written in Python (statistics.mean) have a
        # rule or are read like the user's (colorsys.rgb_to_hls).
        return package not in RULE_ONLY_PACKAGES and registry.lookup(obj) is None
    return package not in RULE_ONLY_PACKAGES


def is_known_function(obj) -> bool:
    """A function adcompiler can find when compiling and differentiate or
    look a rule up for: the user's own, a builtin, a NumPy ufunc, or another
    function with a rule (np.sum).

    Example:
        >>> import numpy as np
        >>> is_known_function(np.tanh), is_known_function(3.0)
        (True, False)
    """
    return is_user_function(obj) or isinstance(obj, (types.BuiltinFunctionType, np.ufunc)) or \
        callable(obj) and not isinstance(obj, type) and registry.lookup(obj) is not None
