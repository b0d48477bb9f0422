"""Runtime helpers for Python's builtins over sequences (`sorted`, `tuple`):
what code lowered by passes/lower_comprehensions.py calls, and what the rules
of rules/python_rules.py call in their templates."""

from __future__ import annotations

import copy

import numpy as np

from .errors import UnsupportedSyntaxError
from .runtime_arrays import sequence_adjoint


def sorted_order(items) -> list:
    """The positions of `items` in the order `sorted(items)` puts them: the
    same comparisons (`<`) and the same stable sort, so equal items keep
    their order and `[items[i] for i in sorted_order(items)] == sorted(items)`.

        >>> sorted_order([3.0, 1.0, 2.0, 1.0])
        [1, 3, 2, 0]
    """
    return sorted(range(len(items)), key=items.__getitem__)


def items_adjoint(g, items):
    """Adjoint of `tuple(items)` with respect to `items`: the entries of `g`
    (one per item), in the form of `items` (a list's adjoint for a list, an
    array for an array's rows).

        >>> items_adjoint((1.0, 2.0), np.zeros(2))
        array([1., 2.])
    """
    if isinstance(items, np.ndarray):
        rows = [np.zeros(items.shape[1:]) if entry is None else entry for entry in g]
        return np.reshape(np.array(rows, dtype=np.result_type(float, *rows)), items.shape)
    return sequence_adjoint(list(g), items)


def copied(x):
    """`x.copy()` for an object whose class is not known when compiling: the
    same shallow copy for an array, a list, a dict or a set (`copy.copy`).

        >>> copied([1.0, 2.0])
        [1.0, 2.0]
    """
    return copy.copy(x)


def copy_derivative(g, x):
    """The derivative of `copied(x)` (`x.copy()`) with respect to x: the
    copy's own, for an array, a number or a dict. A list is refused: the
    copy may grow and shrink apart from x, which its derivative would not.

        >>> copy_derivative(np.ones(2), np.zeros(2))
        array([1., 1.])
    """
    if isinstance(x, list):
        raise UnsupportedSyntaxError(
            "copying a list of differentiated values with .copy() or copy.copy() is not "
            "supported", help="Instead: write list(L) (or L[:]), which adcompiler "
            "differentiates.")
    return g


# The tangent of tuple(items) is the tuple of their tangents.
TEMPLATE_HELPERS = {"items_adjoint": items_adjoint, "tuple": tuple,
                    "copy_derivative": copy_derivative}
