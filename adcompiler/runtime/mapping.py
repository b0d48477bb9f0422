"""What the loops written for np.apply_along_axis and np.vectorize read.

passes/lower_mapping.py writes `np.apply_along_axis(f, axis, a)` and
`np.vectorize(f)(x, y)` as the loops NumPy runs, built of operations with
rules (np.moveaxis, np.reshape, np.stack, np.transpose, np.broadcast_to,
.tolist()). These helpers compute what carries no derivative: the shapes and
axes of those operations, the dtype NumPy gives the result, and NumPy's own
errors (an empty iteration, an axis out of range), at the point NumPy raises
them. None of them is differentiated (rules/runtime_rules.py).

    >>> along_axis_rows_shape((2, 3, 4), -2)
    (8, 3)
    >>> along_axis_result_axes((2, 3, 4), 1, (8, 5, 6))
    (0, 2, 3, 1)
"""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.array_utils import normalize_axis_index

from ..errors import UnsupportedSyntaxError


# -- np.apply_along_axis ------------------------------------------------------
def along_axis_rows_shape(shape: tuple, axis) -> tuple:
    """(number of rows, row length) of the array of shape `shape` with `axis`
    moved last: the rows func1d is called on, in NumPy's order (C order of
    the other axes). Raises NumPy's errors: AxisError, and ValueError when
    there is no row at all.

    >>> along_axis_rows_shape((2, 3), 0)
    (3, 2)
    """
    axis = normalize_axis_index(axis, len(shape))
    outer = shape[:axis] + shape[axis + 1:]
    if 0 in outer:
        raise ValueError("Cannot apply_along_axis when any iteration dimensions are 0")
    return (math.prod(outer), shape[axis])


def along_axis_dtype(results: list) -> np.dtype:
    """The dtype of np.apply_along_axis's result: the first result's (NumPy
    writes the later ones into an array of that dtype, casting them).

    NumPy broadcasts a later result of another shape into the first one's
    shape; the rows are stacked here, so that is refused instead.

    >>> along_axis_dtype([1, 2.5])
    dtype('int64')
    """
    first = np.shape(results[0])
    for index, result in enumerate(results):
        if np.shape(result) != first:
            raise UnsupportedSyntaxError(
                f"np.apply_along_axis: the function returned a result of shape "
                f"{np.shape(result)} for row {index} and one of shape {first} for row 0; "
                f"NumPy broadcasts the later results into the first one's shape, which "
                f"adcompiler does not model",
                help="Instead: make the function return results of one shape for every "
                     "row (np.broadcast_to(r, shape) where it returns a smaller one).")
    return np.asanyarray(results[0]).dtype


def along_axis_result_shape(shape: tuple, axis, stacked_shape: tuple) -> tuple:
    """The shape of the stacked results (rows first) before the result's axes
    are put in place: the other axes of the array, then a result's own.

    >>> along_axis_result_shape((2, 3, 4), 1, (8, 5))
    (2, 4, 5)
    """
    axis = normalize_axis_index(axis, len(shape))
    return shape[:axis] + shape[axis + 1:] + tuple(stacked_shape[1:])


def along_axis_result_axes(shape: tuple, axis, stacked_shape: tuple) -> tuple:
    """The transpose that puts a result's own axes where `axis` was, as
    NumPy's apply_along_axis does (its `buff_permute`).

    >>> along_axis_result_axes((2, 3), 0, (3,))
    (0,)
    """
    axis = normalize_axis_index(axis, len(shape))
    own = len(stacked_shape) - 1
    dims = list(range(len(shape) - 1 + own))
    split = len(dims) - own
    return tuple(dims[:axis] + dims[split:] + dims[axis:split])


# -- np.vectorize ---------------------------------------------------------------
def vectorize_first_entries(arguments: tuple) -> tuple:
    """The first entry of each argument as NumPy reads it to call the function
    once and find the result's dtype (`np.asarray(a).flat[0]`: a NumPy
    scalar), after NumPy's check that none is empty.

    >>> vectorize_first_entries(([1.0, 2.0], 3))
    (np.float64(1.0), np.int64(3))
    """
    arrays = [np.asarray(a) for a in arguments]
    if any(a.size == 0 for a in arrays):
        raise ValueError("cannot call `vectorize` on size 0 inputs unless `otypes` is set")
    return tuple(a.flat[0] for a in arrays)


def vectorize_output_dtype(output) -> str:
    """The result dtype NumPy decides from the first call's result (its
    `dtype.char`); a function returning several results (a tuple) is refused.

    >>> vectorize_output_dtype(2.0)
    'd'
    """
    if isinstance(output, tuple):
        _refuse_tuple()
    return np.asarray(output).dtype.char


def vectorize_broadcast_shape(arguments: tuple) -> tuple:
    """The shape the arguments broadcast to (NumPy's ValueError when they do
    not), after checking that each one's entries reach the function as the
    Python values `.tolist()` gives, as NumPy hands them over (through an
    object array): a list or tuple mixing ints and floats (`[1, 2.5]`) keeps
    its ints there, one of NumPy scalars its scalars, and is refused.

    >>> vectorize_broadcast_shape((np.ones((2, 1)), np.ones(3)))
    (2, 3)
    """
    for argument in arguments:
        if isinstance(argument, (list, tuple)):
            held = np.asarray(argument, dtype=object).ravel().tolist()
            read = np.ravel(argument).tolist()
            if any(type(a) is not type(b) for a, b in zip(held, read)):
                raise UnsupportedSyntaxError(
                    "np.vectorize called with a list or tuple whose entries NumPy hands to "
                    "the function as they are (ints among floats, NumPy scalars), not as the "
                    "Python numbers of the array they make, which adcompiler reads",
                    help="Instead: pass an array, np.asarray(values, dtype=float).")
    return np.broadcast_shapes(*(np.shape(a) for a in arguments))


def vectorize_results_dtype(results: list, dtype):
    """`dtype`, after checking that every result is one value, as NumPy's
    conversion of its object array to `dtype` requires.

    >>> vectorize_results_dtype([1.0, np.float64(2.0)], 'd')
    'd'
    """
    for result in results:
        if isinstance(result, tuple):
            _refuse_tuple()
        if np.ndim(result) > 0:
            raise ValueError("setting an array element with a sequence.")
    return dtype


def _refuse_tuple():
    raise UnsupportedSyntaxError(
        "np.vectorize of a function returning several results (a tuple): NumPy returns "
        "a tuple of arrays, which adcompiler does not model",
        help="Instead: vectorize one function per result, or map it yourself: "
             "pairs = [f(v) for v in x.ravel().tolist()], then np.reshape(np.array("
             "[p[0] for p in pairs]), x.shape).")
