"""np.r_[...] and np.c_[...] as calls, and their derivatives.

passes/index_tricks.py writes `np.r_[x, c, 1:10]` as `r_concatenate((x, c,
slice(1, 10, None)))`: the same items, a slice as the slice object NumPy
receives. The value is NumPy's own (np.r_ indexed with the items), dtype and
special directives (`'0,2,1'`, `'1'`) included.

The derivative is the layout: every element of an array or scalar item lands
at one position of the result; a slice (np.arange's or np.linspace's numbers)
and a directive carry no derivative. NumPy computes that layout too: indexing
the same object with every element replaced by its number (a float label;
-1 for the numbers a slice makes, a 1-d array of them being laid out as the
slice is) gives, at every position of the result, the element it holds. An
item's adjoint is g read at its elements' positions; the tangent is the
items' tangents written at theirs. Each is linear and the other's transpose
(rules/helper_rules.py differentiates them with each other).

    >>> r_concatenate((np.array([1.0, 2.0]), 3.0, slice(0, 2, None)))
    array([1., 2., 3., 0., 1.])
    >>> index_trick_adjoint(np.arange(5.0), np.r_, (np.zeros(2), 0.0, slice(0, 2, None)))[0]
    array([0., 1.])
"""

from __future__ import annotations

import numpy as np

from ..errors import NoDerivativeRuleError
from .arrays import float_dtype, is_zero_number, sequence_adjoint

# The directives with which np.r_ and np.c_ return an np.matrix.
_MATRIX_DIRECTIVES = ("r", "c")


def refuse_matrix_directive(items) -> None:
    """Raise for np.r_['r', ...] and np.r_['c', ...], whose result is an np.matrix."""
    if items and isinstance(items[0], str) and items[0] in _MATRIX_DIRECTIVES:
        raise NoDerivativeRuleError(
            f"np.r_ or np.c_ with the directive {items[0]!r}, which makes an np.matrix, is "
            "not differentiated",
            help="Instead: np.r_['0,2', ...] for the rows of a 2-d array, or "
                 "np.r_['1,2,0', ...] for its columns.")


def r_concatenate(items):
    """np.r_[items] (items a tuple: arrays, scalars, slices, a directive first)."""
    refuse_matrix_directive(items)
    return np.r_[tuple(items)]


def slice_numbers(start, stop, step):
    """The numbers np.r_ makes of the slice `start:stop:step`, whose step is not
    a constant in the source (passes/index_tricks.py writes a constant step's
    slice as the np.linspace or np.arange call NumPy makes). Its rule refuses a
    derivative with respect to any of the three: NumPy's choice between the
    two calls depends on whether the step is complex.

        >>> slice_numbers(0.0, 1.0, 3j)
        array([0. , 0.5, 1. ])
    """
    return np.r_[slice(start, stop, step)]


def c_concatenate(items):
    """np.c_[items] (items a tuple: arrays, scalars, slices, a directive first)."""
    refuse_matrix_directive(items)
    return np.c_[tuple(items)]


def _has_elements(item) -> bool:
    """An array or a scalar, not a slice or a directive."""
    return not isinstance(item, (slice, str))


def _layout(maker, items):
    """For each item, the positions of its elements in the flattened result
    (None for a slice or a directive), and the result's shape."""
    refuse_matrix_directive(items)
    labelled, starts, start = [], [], 0
    for item in items:
        starts.append(start)
        if isinstance(item, slice):
            labelled.append(np.full(np.size(np.r_[item]), -1.0))
        elif isinstance(item, str):
            labelled.append(item)
        else:
            labels = np.arange(start, start + np.size(item), dtype=np.float64)
            # A scalar stays a scalar, an array (0-d too) an array: NumPy reads
            # the two apart.
            is_scalar = type(item) in np.ScalarType
            labelled.append(float(labels[0]) if is_scalar else np.reshape(labels, np.shape(item)))
            start += np.size(item)
    laid_out = maker[tuple(labelled)]
    flat = np.ravel(laid_out)
    held = np.flatnonzero(flat >= 0)
    where = np.empty(start, dtype=np.intp)
    where[flat[held].astype(np.intp)] = held
    positions = [where[first:first + np.size(item)] if _has_elements(item) else None
                 for item, first in zip(items, starts)]
    return positions, np.shape(laid_out)


def index_trick_adjoint(adjoint, maker, items):
    """The adjoint of maker[items] (maker np.r_ or np.c_) with respect to each
    item: `adjoint` read at the item's positions, in the item's shape (None
    for a slice or a directive)."""
    positions, _ = _layout(maker, items)
    flat = np.ravel(adjoint)
    return sequence_adjoint([None if p is None else np.reshape(flat[p], np.shape(item))
                             for p, item in zip(positions, items)], items)


def index_trick_tangent(tangents, maker, items):
    """The tangent of maker[items] (maker np.r_ or np.c_): each item's tangent
    (an entry of `tangents`; a plain 0 or None for a constant one) at the
    item's positions, zeros elsewhere."""
    positions, shape = _layout(maker, items)
    given = [(p, t) for p, t in zip(positions, tangents)
             if p is not None and t is not None and not is_zero_number(t)]
    flat = np.zeros(int(np.prod(shape)), dtype=float_dtype(*[t for _, t in given]))
    for p, t in given:
        flat[p] = np.ravel(t)
    return np.reshape(flat, shape)
