"""Runtime helpers for the NumPy rules that pick, move or assemble entries
(rules/numpy_extra_rules.py, rules/helper_rules.py): np.select, np.choose,
np.partition, np.rollaxis, np.delete and np.compress, np.resize,
np.trim_zeros, np.block, np.bincount's weights, np.insert, the running
extrema np.maximum.accumulate and np.minimum.accumulate. Each adjoint puts
the seed back where its entries came from.
"""

from __future__ import annotations

import numpy as np

from ..errors import NoDerivativeRuleError
from .arrays import as_array, entry, float_dtype, is_zero_number, sequence_adjoint, \
    sum_to_shape


# -- np.select, np.partition, np.rollaxis -----------------------------------------------------

def _chosen(condlist, shape):
    """Per choice, where np.select takes it (its condition is the first to hold);
    and where none holds (the default)."""
    taken = np.zeros(shape, dtype=bool)
    masks = []
    for condition in condlist:
        mask = np.logical_and(np.broadcast_to(condition, shape), np.logical_not(taken))
        masks.append(mask)
        taken = np.logical_or(taken, mask)
    return masks, np.logical_not(taken)


def select_adjoint(g, condlist, choicelist, default, wrt):
    """Adjoint of np.select for the choices (one per entry) or the default."""
    masks, rest = _chosen(condlist, np.shape(g))
    if wrt == "default":
        return sum_to_shape(np.where(rest, g, 0.0), np.shape(default))
    pieces = []
    for k in range(len(choicelist)):
        pieces.append(sum_to_shape(np.where(masks[k], g, 0.0), np.shape(choicelist[k])))
    return sequence_adjoint(pieces, choicelist)


def select_adjoint_transpose(h, adjoint, condlist, wrt):
    """The transpose of select_adjoint in its first argument (its own adjoint,
    for second derivatives): h spread back where each choice was taken."""
    masks, rest = _chosen(condlist, np.shape(adjoint))
    if wrt == "default":
        return np.where(rest, h, 0.0) * np.ones(np.shape(adjoint))
    total = np.zeros(np.shape(adjoint), dtype=float_dtype(adjoint))
    for k in range(len(masks)):
        piece = entry(h, k)
        if piece is not None:
            total = total + np.where(masks[k], piece, 0.0)
    return total


def select_default_tangent(g, condlist, result):
    """Tangent of np.select in its default: g where no condition holds."""
    _, rest = _chosen(condlist, np.shape(result))
    return np.where(rest, g, 0.0)


def _partition_order(a, kth, axis):
    if axis is None:
        return np.argpartition(np.ravel(a), kth)
    return np.argpartition(a, kth, axis=axis)


def partition_adjoint(g, a, kth, axis):
    """Adjoint of np.partition: g put back where each element came from (read
    through the inverse permutation)."""
    order = _partition_order(a, kth, axis)
    if axis is None:
        return np.reshape(np.ravel(g)[np.argsort(order)], np.shape(a))
    return np.take_along_axis(g, np.argsort(order, axis=axis), axis)


def partition_tangent(g, a, kth, axis):
    """Tangent of np.partition: g rearranged like a (g, like a, may be a list:
    NumPy reads both as arrays)."""
    order = _partition_order(a, kth, axis)
    if axis is None:
        return np.ravel(g)[order]
    return np.take_along_axis(as_array(g), order, axis)


def rollaxis_adjoint(g, a, axis, start):
    """Adjoint of np.rollaxis: the inverse permutation of the axes."""
    ndim = np.ndim(a)
    axis = axis % ndim
    if start < 0:
        start = start + ndim
    if axis < start:
        start = start - 1
    order = list(range(ndim))
    order.remove(axis)
    order.insert(start, axis)
    return np.transpose(g, np.argsort(order).tolist())  # a list for dask's transpose


# -- np.delete, np.compress, np.resize, np.trim_zeros -----------------------------------------

def _selection(kept, size, dtype):
    """The matrix S (len(kept) x size) with S @ v = v[kept]."""
    return np.eye(size, dtype=dtype)[kept]


def selection_adjoint(g, a, kept, axis):
    """Adjoint of taking the entries `kept` of a along axis (of ravel(a) when axis is None):
    g put back in their places, zeros elsewhere (np.delete, np.compress, np.extract)."""
    dtype = float_dtype(g, a)
    if axis is None:
        return np.reshape(np.matmul(g, _selection(kept, np.size(a), dtype)), np.shape(a))
    moved = np.moveaxis(g, axis, -1)
    spread = np.matmul(moved, _selection(kept, np.shape(a)[axis], dtype))
    return np.moveaxis(spread, -1, axis)


def delete_kept(a, obj, axis):
    """The positions along axis (of ravel(a) for None) that np.delete(a, obj, axis) keeps."""
    size = np.size(a) if axis is None else np.shape(a)[axis]
    return np.delete(np.arange(size), obj)


def compress_kept(condition, a, axis):
    """The positions np.compress(condition, a, axis) keeps."""
    size = np.size(a) if axis is None else np.shape(a)[axis]
    return np.flatnonzero(np.ravel(condition)[:size])


def resize_adjoint(g, a):
    """Adjoint of np.resize(a, new_shape): a's entries repeat cyclically, so each
    gathers g at every position it was copied to."""
    size = np.size(a)
    flat = np.ravel(g)
    if size == 0 or np.size(flat) == 0:
        return np.zeros(np.shape(a), dtype=float_dtype(g, a))
    rows = -(-np.size(flat) // size)
    padding = np.zeros(rows * size - np.size(flat), dtype=flat.dtype)
    whole = np.reshape(np.concatenate([flat, padding]), (rows, size))
    return np.reshape(np.sum(whole, axis=0), np.shape(a))


def trim_zeros_start(filt, trim):
    """Where np.trim_zeros(filt, trim) starts in a 1-d filt."""
    if np.ndim(filt) != 1:
        raise NoDerivativeRuleError("np.trim_zeros is differentiated for 1-d arrays",
                                    help="Pass a 1-d array.")
    nonzero = np.flatnonzero(filt)
    if "f" not in trim.lower() or np.size(nonzero) == 0:
        return 0
    return int(nonzero[0])


def trim_zeros_adjoint(g, filt, trim):
    """Adjoint of np.trim_zeros (1-d): g where the kept entries were, 0 at the trimmed zeros."""
    start = trim_zeros_start(filt, trim)
    kept = np.arange(start, start + np.shape(g)[0])
    return selection_adjoint(g, filt, kept, 0)


def trim_zeros_tangent(g, filt, trim, result):
    """Tangent of np.trim_zeros (1-d): g's entries where filt's were kept."""
    start = trim_zeros_start(filt, trim)
    return g[start:start + np.shape(result)[0]]


# -- np.block, np.choose, np.bincount, np.insert ----------------------------------------------
# np.block joins nested lists: the innermost along the last axis, each level out one axis
# earlier, its pieces first made as many-dimensional as the result (leading 1s).

def _block_depth(arrays):
    return 1 + _block_depth(arrays[0]) if isinstance(arrays, list) and arrays else 0


def _block_size(item, ndim, axis):
    shape = np.shape(np.block(item)) if isinstance(item, list) else np.shape(item)
    return ((1,) * (ndim - len(shape)) + tuple(shape))[axis]


def _block_split(g, arrays, depth, ndim):
    if not isinstance(arrays, list):
        return np.reshape(g, np.shape(arrays))
    axis = ndim - depth
    pieces, start = [], 0
    for item in arrays:
        size = _block_size(item, ndim, axis)
        index = (slice(None),) * axis + (slice(start, start + size),)
        pieces.append(_block_split(g[index], item, depth - 1, ndim))
        start += size
    return sequence_adjoint(pieces, arrays)


def block_adjoint(g, arrays):
    """Adjoint of np.block(arrays): g cut back into the (nested) pieces, one adjoint
    per piece nested like them."""
    if not isinstance(arrays, list):
        return np.reshape(g, np.shape(arrays))
    return _block_split(np.asarray(g), arrays, _block_depth(arrays), np.ndim(g))


def _block_filled(pieces, arrays):
    if not isinstance(arrays, list):
        if pieces is None or is_zero_number(pieces):
            return np.zeros(np.shape(arrays), dtype=float_dtype(arrays))
        return pieces
    return [_block_filled(None if pieces is None else entry(pieces, i), item)
            for i, item in enumerate(arrays)]


def block_from_pieces(pieces, arrays):
    """np.block of one value per piece of `arrays` (zeros for a missing one): the
    transpose of block_adjoint."""
    if not isinstance(arrays, list):
        return np.reshape(pieces, np.shape(arrays))
    return np.block(_block_filled(pieces, arrays))


def _choice_index(a, count, mode):
    if mode == "wrap":
        return np.mod(a, count)
    if mode == "clip":
        return np.clip(a, 0, count - 1)
    return np.asarray(a)


def choose_adjoint(g, a, choices, mode):
    """Adjoint of np.choose(a, choices, mode=mode): g where each choice was taken,
    one adjoint per choice (an array for an array of choices)."""
    count = len(choices)
    index = _choice_index(a, count, mode)
    pieces = [sum_to_shape(np.where(index == k, g, 0.0), np.shape(choices[k]))
              for k in range(count)]
    if isinstance(choices, np.ndarray):
        return np.stack(pieces)
    return sequence_adjoint(pieces, choices)


def choose_from_pieces(pieces, a, choices, mode):
    """The transpose of choose_adjoint: np.choose of one value per choice (zeros for a
    missing one), broadcast like the result."""
    if isinstance(choices, np.ndarray):
        filled = pieces
    else:
        filled = [np.zeros(np.shape(choices[k]), dtype=float_dtype(choices[k]))
                  if entry(pieces, k) is None else entry(pieces, k) for k in range(len(choices))]
    shape = np.shape(np.choose(a, choices, mode=mode))
    return np.broadcast_to(np.choose(a, filled, mode=mode), shape)


def bincount_adjoint(g, x):
    """Adjoint of np.bincount(x, weights) in the weights: g at each weight's bin."""
    return np.asarray(g)[np.asarray(x, dtype=np.intp)]


def _insert_sources(arr, obj, values, axis):
    """Where each entry of np.insert(arr, obj, values, axis) comes from: k + 1 for arr's
    k-th entry (flat), -(k + 1) for values' k-th (broadcast as NumPy does)."""
    arr_ids = np.reshape(np.arange(1.0, np.size(arr) + 1.0), np.shape(arr))
    value_ids = -np.reshape(np.arange(1.0, np.size(values) + 1.0), np.shape(values))
    return np.insert(arr_ids, obj, value_ids, axis=axis)


def insert_adjoint(g, arr, obj, values, axis, wrt):
    """Adjoint of np.insert(arr, obj, values, axis) in arr or values: the sum of g over
    the entries that came from each of theirs."""
    sources = np.ravel(_insert_sources(arr, obj, values, axis))
    flat = np.ravel(g)
    if wrt == "arr":
        taken = sources > 0
        counts = np.bincount(np.asarray(sources[taken], dtype=np.intp) - 1, flat[taken],
                             np.size(arr))
        return np.reshape(counts, np.shape(arr)).astype(float_dtype(g, arr))
    taken = sources < 0
    counts = np.bincount(np.asarray(-sources[taken], dtype=np.intp) - 1, flat[taken],
                         np.size(values))
    return np.reshape(counts, np.shape(values)).astype(float_dtype(g, values))


def insert_tangent(g, arr, obj, values, axis, wrt):
    """Tangent of np.insert in arr or values: g in their places, zeros in the others'."""
    dtype = float_dtype(g)
    if wrt == "arr":
        return np.insert(g, obj, np.zeros(np.shape(values), dtype=dtype), axis=axis)
    return np.insert(np.zeros(np.shape(arr), dtype=dtype), obj, g, axis=axis)


# The helpers rule templates call by name (runtime/__init__.py gathers them).
# -- np.maximum.accumulate, np.minimum.accumulate ---------------------------------------------

def running_extremum_source(array, result, axis):
    """For each entry of a running maximum (or minimum) along `axis`, the
    position it was taken from: the last position so far whose value it is
    (a tie goes to the later entry, as torch.cummax gives it).

        >>> running_extremum_source(np.array([1.0, 3.0, 3.0, 2.0]),
        ...                         np.array([1.0, 3.0, 3.0, 3.0]), 0)
        array([0, 1, 2, 2])
    """
    array = as_array(array)
    axis = axis % array.ndim
    positions = np.arange(array.shape[axis]).reshape(
        [-1 if k == axis else 1 for k in range(array.ndim)])
    # Where the entry is the running extremum it starts (or ties) a run, which
    # lasts up to the next such entry.
    return np.maximum.accumulate(np.where(array == result, positions, 0), axis=axis)


TEMPLATE_HELPERS = {helper.__name__: helper for helper in (
    running_extremum_source,
    select_adjoint, select_default_tangent, select_adjoint_transpose, partition_adjoint,
    partition_tangent, rollaxis_adjoint, selection_adjoint, delete_kept, compress_kept,
    resize_adjoint, trim_zeros_adjoint, trim_zeros_tangent, block_adjoint,
    block_from_pieces, choose_adjoint, choose_from_pieces, bincount_adjoint,
    insert_adjoint, insert_tangent)}
