"""Runtime helpers for the rules of np.unique and the set functions
(np.union1d, np.intersect1d, np.setdiff1d, np.setxor1d) of
rules/numpy_extra_rules.py.
"""

from __future__ import annotations

import numpy as np

from ..errors import NoDerivativeRuleError
from .arrays import entry, float_dtype


# -- np.unique and the set functions ---------------------------------------------------------
# Each value of the result equals some entries of the inputs: its derivative is their mean's
# (a value repeated k times shares its derivative evenly, as ties of np.max do).

def check_unique_form(axis, sorted=True):
    if axis is not None or not sorted:
        raise NoDerivativeRuleError(
            "np.unique is differentiated for the sorted unique values of the flattened array "
            "(axis=None, sorted=True)", help="Call np.unique without axis= and sorted=.")


def check_assume_unique(assume_unique=False):
    if assume_unique:
        raise NoDerivativeRuleError(
            "NumPy's set functions are differentiated with assume_unique=False",
            help="Leave assume_unique at its default.")


def check_intersect_options(assume_unique=False, return_indices=False):
    check_assume_unique(assume_unique)
    if return_indices:
        raise NoDerivativeRuleError(
            "np.intersect1d is differentiated with return_indices=False",
            help="Find the indices separately (np.isin, np.flatnonzero).")


def _set_values(result):
    return result[0] if isinstance(result, tuple) else result


def _set_groups(arrays, values):
    """(for each entry of the flattened, joined arrays: the index of the result value it
    equals, whether it equals one; how many entries each value has)."""
    joined = np.concatenate([np.ravel(a) for a in arrays])
    size = np.shape(values)[0]
    index = np.minimum(np.searchsorted(values, joined), max(size - 1, 0))
    member = (size > 0) & (np.take(values, index, mode="clip") == joined) if size else \
        np.zeros(np.shape(joined), dtype=bool)
    counts = np.bincount(np.where(member, index, 0), np.where(member, 1.0, 0.0), size)
    return index, member, counts


def set_adjoint(g, arrays, result, wrt):
    """Adjoint of np.unique / union1d / intersect1d / setdiff1d / setxor1d in operand
    `wrt` (0 or 1) of `arrays`: each entry gets its value's derivative over its count."""
    values = _set_values(result)
    by_values = entry(g, 0) if isinstance(result, tuple) else g
    operand = arrays[wrt]
    if by_values is None:
        return np.zeros(np.shape(operand), dtype=float_dtype(operand))
    index, member, counts = _set_groups(arrays, values)
    share = np.where(member, np.take(by_values / np.maximum(counts, 1.0), index, mode="clip"),
                     0.0)
    start = sum(np.size(a) for a in arrays[:wrt])
    return np.reshape(share[start:start + np.size(operand)], np.shape(operand)).astype(
        float_dtype(by_values, operand))


def set_tangent(g, arrays, result, wrt):
    """Tangent of the same functions: each value moves by the mean of its entries' tangents."""
    values = _set_values(result)
    index, member, counts = _set_groups(arrays, values)
    moved = [np.zeros(np.size(a), dtype=float_dtype(g)) for a in arrays]
    moved[wrt] = np.ravel(g)
    joined = np.concatenate(moved)
    sums = np.bincount(np.where(member, index, 0), np.where(member, joined, 0.0),
                       np.shape(values)[0])
    tangent = (sums / np.maximum(counts, 1.0)).astype(float_dtype(g))
    if not isinstance(result, tuple):
        return tangent
    # (np.unique's indices, inverse and counts: integers, zero tangents; tuple displays,
    # whose lengths the compiler knows, for the derivatives of this helper)
    if len(result) == 2:
        return (tangent, _zero_part(result[1], g))
    if len(result) == 3:
        return (tangent, _zero_part(result[1], g), _zero_part(result[2], g))
    return (tangent, _zero_part(result[1], g), _zero_part(result[2], g), _zero_part(result[3], g))


def _zero_part(part, g):
    return np.zeros(np.shape(part), dtype=float_dtype(g))


# The helpers rule templates call by name (runtime/__init__.py gathers them).
TEMPLATE_HELPERS = {helper.__name__: helper for helper in (
    set_adjoint, set_tangent)}
