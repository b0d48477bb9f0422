"""Derivatives of NumPy's shape functions, joins and splits, array
construction and gathers (indexing `x[i]` itself is operator.getitem, in
python_rules.py).

These are linear maps that only move values around, so each adjoint moves g
back: a reshape reshapes it back, a flip flips it back, a gather scatters it
back with repeats adding up (np.add.at).

A list literal passed to one of these functions (`np.stack([a, b])`,
`np.array([[a, b], [c, d]])`) is kept in the call by the normalisation pass:
its adjoint is a sequence with one adjoint per element, nested like the
literal (`runtime_arrays.SequenceAdjoint`), and its tangent `g` is the list
of the elements' tangents. A sequence result (`np.split`) likewise has a
sequence adjoint, with None for pieces that got no derivative.
"""

import numpy as np

from ..runtime import arrays as runtime_arrays
from ..runtime import index_tricks as runtime_index_tricks
from .definition import linear_rule


def _same(function, signature, adjoint, tangent, check=None):
    """A one-parameter rule: `adjoint`/`tangent` for the first parameter."""
    first = signature.split(",")[0].strip()
    return linear_rule(function, signature, adjoint={first: adjoint}, tangent={first: tangent},
                       check=check)


# An integer or boolean `dtype=` rounds the values: refused (runtime/arrays.py).
_FLOAT_DTYPE = runtime_arrays.check_float_dtype


RULES = [
    # Reshaping and reordering axes.
    # (order 'A' and 'K' depend on a's memory layout, not on the derivative's)
    _same(np.ravel, "a, order='C'", "np.reshape(g, np.shape(a), order=layout_order(a, order))",
          "np.ravel(g, layout_order(a, order))"),
    _same(np.squeeze, "a, axis=None", "np.reshape(g, np.shape(a))", "np.squeeze(g, axis)"),
    _same(np.expand_dims, "a, axis", "np.reshape(g, np.shape(a))", "np.expand_dims(g, axis)"),
    _same(np.atleast_1d, "a", "np.reshape(g, np.shape(a))", "np.atleast_1d(g)"),
    # A grid per argument (up to four), each the argument broadcast along one axis.
    linear_rule(np.meshgrid, "x1, x2=None, x3=None, x4=None, *, copy=True, sparse=False, "
                "indexing='xy'",
                adjoint={x: f"meshgrid_adjoint(g, (x1, x2, x3, x4), {k}, indexing, sparse)"
                         for k, x in enumerate(("x1", "x2", "x3", "x4"))},
                tangent={x: f"meshgrid_tangent(g, (x1, x2, x3, x4), {k}, indexing, sparse)"
                         for k, x in enumerate(("x1", "x2", "x3", "x4"))}),
    _same(np.atleast_2d, "a", "np.reshape(g, np.shape(a))", "np.atleast_2d(g)"),
    _same(np.atleast_3d, "a", "np.reshape(g, np.shape(a))", "np.atleast_3d(g)"),
    _same(np.broadcast_to, "array, shape, subok=False", "unbroadcast(g, array)",
          "np.broadcast_to(g, shape, subok=subok)"),
    _same(np.permute_dims, "a, axes=None", "transpose_adjoint(g, axes)",
          "np.permute_dims(g, axes)"),
    _same(np.matrix_transpose, "x", "mT(g)", "np.matrix_transpose(g)"),
    _same(np.linalg.matrix_transpose, "x", "mT(g)", "np.linalg.matrix_transpose(g)"),
    _same(np.swapaxes, "a, axis1, axis2", "np.swapaxes(g, axis1, axis2)",
          "np.swapaxes(g, axis1, axis2)"),
    _same(np.moveaxis, "a, source, destination", "np.moveaxis(g, destination, source)",
          "np.moveaxis(g, source, destination)"),
    _same(np.flip, "m, axis=None", "np.flip(g, axis)", "np.flip(g, axis)"),
    _same(np.fliplr, "m", "np.fliplr(g)", "np.fliplr(g)"),
    _same(np.flipud, "m", "np.flipud(g)", "np.flipud(g)"),
    _same(np.roll, "a, shift, axis=None", "np.roll(g, np.negative(shift), axis)",
          "np.roll(g, shift, axis)"),
    _same(np.rot90, "m, k=1, axes=(0, 1)", "np.rot90(g, -k, axes)", "np.rot90(g, k, axes)"),
    # Copies and casts.
    linear_rule(np.array, "object, dtype=None, *, copy=True, order='K', subok=False, ndmin=0",
                adjoint={"object": "array_adjoint(g, object, dtype)"},
                tangent={"object": "cast_tangent(g, dtype, ndmin)"}),
    linear_rule(np.asarray, "a, dtype=None, order=None",
                adjoint={"a": "array_adjoint(g, a, dtype)"},
                tangent={"a": "cast_tangent(g, dtype)"}),
    linear_rule(np.asanyarray, "a, dtype=None, order=None",
                adjoint={"a": "array_adjoint(g, a, dtype)"},
                tangent={"a": "cast_tangent(g, dtype)"}),
    linear_rule(np.ascontiguousarray, "a, dtype=None",
                adjoint={"a": "array_adjoint(g, a, dtype)"},
                tangent={"a": "cast_tangent(g, dtype)"}),
    _same(np.copy, "a, order='K'", "g", "np.copy(g)"),
    _same(np.astype, "x, dtype, *, copy=True", "cast_adjoint(g, x, dtype)",
          "cast_tangent(g, dtype)"),
    # Filled arrays: the fill value is differentiable, the template array is not.
    linear_rule(np.full, "shape, fill_value, dtype=None, order='C'", check=_FLOAT_DTYPE,
                adjoint={"fill_value": "unbroadcast(g, fill_value)"},
                tangent={"fill_value": "np.broadcast_to(g, np.shape(result))"}),
    linear_rule(np.full_like, "a, fill_value, dtype=None, order='K', subok=True, shape=None",
                check=_FLOAT_DTYPE,
                adjoint={"fill_value": "unbroadcast(g, fill_value)"},
                tangent={"fill_value": "np.broadcast_to(g, np.shape(result))"}),
    linear_rule(np.linspace, "start, stop, num=50, endpoint=True, retstep=False, dtype=None, "
                "axis=0", check=runtime_arrays.check_linspace_arguments,
                adjoint={"start": "linspace_adjoint(g, start, stop, num, endpoint, retstep, "
                                  "axis, 'start')",
                         "stop": "linspace_adjoint(g, start, stop, num, endpoint, retstep, "
                                 "axis, 'stop')"},
                tangent={"start": "linspace_tangent(g, start, stop, num, endpoint, retstep, "
                                  "axis, 'start')",
                         "stop": "linspace_tangent(g, start, stop, num, endpoint, retstep, "
                                 "axis, 'stop')"}),
    # start + i * step: the stop only decides how many values there are
    linear_rule(np.arange, "start, stop=None, step=None, dtype=None, *, device=None, like=None",
                check=_FLOAT_DTYPE,
                adjoint={p: f"arange_adjoint(g, stop, '{p}')" for p in ("start", "stop", "step")},
                tangent={p: f"arange_tangent(g, stop, result, '{p}')"
                         for p in ("start", "stop", "step")}),
    # Joining (list arguments: one adjoint per element) and splitting.
    # np.r_[...] and np.c_[...], which passes/index_tricks.py writes as calls:
    # each item's elements have their positions in the result.
    linear_rule(runtime_index_tricks.r_concatenate, "items", label="numpy.r_",
                adjoint={"items": "index_trick_adjoint(g, np.r_, items)"},
                tangent={"items": "index_trick_tangent(g, np.r_, items)"}),
    # a slice with a step written as a variable (np.r_[a:b:n]): linspace or
    # arange by the step's type, known only when it runs
    linear_rule(runtime_index_tricks.slice_numbers, "start, stop, step",
                label="numpy.r_ slice",
                adjoint={p: f"no_derivative(g, 'a slice in numpy.r_', '{p}')"
                         for p in ("start", "stop", "step")},
                tangent={p: f"no_derivative(g, 'a slice in numpy.r_', '{p}')"
                         for p in ("start", "stop", "step")}),
    linear_rule(runtime_index_tricks.c_concatenate, "items", label="numpy.c_",
                adjoint={"items": "index_trick_adjoint(g, np.c_, items)"},
                tangent={"items": "index_trick_tangent(g, np.c_, items)"}),
    _same(np.concatenate, "arrays, axis=0, out=None, *, dtype=None, casting='same_kind'",
          "concatenate_adjoint(g, arrays, axis)", "np.concatenate(g, axis=axis)", _FLOAT_DTYPE),
    _same(np.concat, "arrays, axis=0, out=None, *, dtype=None, casting='same_kind'",
          "concatenate_adjoint(g, arrays, axis)", "np.concat(g, axis=axis)", _FLOAT_DTYPE),
    _same(np.stack, "arrays, axis=0, out=None, *, dtype=None, casting='same_kind'",
          "stack_adjoint(g, arrays, axis)", "np.stack(g, axis=axis)", _FLOAT_DTYPE),
    _same(np.hstack, "tup, *, dtype=None, casting='same_kind'", "hstack_adjoint(g, tup)",
          "np.hstack(g)", _FLOAT_DTYPE),
    _same(np.vstack, "tup, *, dtype=None, casting='same_kind'", "vstack_adjoint(g, tup)",
          "np.vstack(g)", _FLOAT_DTYPE),
    _same(np.dstack, "tup", "dstack_adjoint(g, tup)", "np.dstack(g)"),
    _same(np.column_stack, "tup", "column_stack_adjoint(g, tup)", "np.column_stack(g)"),
    linear_rule(np.append, "arr, values, axis=None",
                adjoint={"arr": "append_adjoint(g, arr, values, axis)[0]",
                         "values": "append_adjoint(g, arr, values, axis)[1]"},
                # (zeros in the other operand's float dtype: float32 stays float32)
                # (float_dtype, not np.result_type, which reads a list as a dtype)
                tangent={"arr": "np.append(g, np.zeros(np.shape(values), "
                                "float_dtype(values)), axis)",
                         "values": "np.append(np.zeros(np.shape(arr), float_dtype(arr)), "
                                   "g, axis)"}),
    _same(np.split, "ary, indices_or_sections, axis=0", "split_adjoint(g, ary, result, axis)",
          "np.split(g, indices_or_sections, axis)"),
    _same(np.array_split, "ary, indices_or_sections, axis=0",
          "split_adjoint(g, ary, result, axis)", "np.array_split(g, indices_or_sections, axis)"),
    _same(np.hsplit, "ary, indices_or_sections",
          "split_adjoint(g, ary, result, 1 if np.ndim(ary) > 1 else 0)",
          "np.hsplit(g, indices_or_sections)"),
    _same(np.vsplit, "ary, indices_or_sections", "split_adjoint(g, ary, result, 0)",
          "np.vsplit(g, indices_or_sections)"),
    _same(np.dsplit, "ary, indices_or_sections", "split_adjoint(g, ary, result, 2)",
          "np.dsplit(g, indices_or_sections)"),
    _same(np.unstack, "x, *, axis=0", "unstack_adjoint(g, x, result, axis)",
          "np.unstack(g, axis=axis)"),
    # Repeating and padding.
    _same(np.tile, "A, reps", "tile_adjoint(g, A, reps)", "np.tile(g, reps)"),
    # Windows of x (a read-only view: aliasing.py refuses writes through it).
    _same(np.lib.stride_tricks.sliding_window_view,
          "x, window_shape, axis=None, *, subok=False, writeable=False",
          "sliding_window_adjoint(g, x, window_shape, axis)",
          "np.lib.stride_tricks.sliding_window_view(g, window_shape, axis)"),
    _same(np.repeat, "a, repeats, axis=None", "repeat_adjoint(g, a, repeats, axis)",
          "np.repeat(g, repeats, axis)"),
    linear_rule(np.pad, "array, pad_width, mode='constant', constant_values=0",
                check=runtime_arrays.check_pad_mode,
                adjoint={"array": "pad_adjoint(g, array, pad_width, mode)",
                         "constant_values": "pad_constant_adjoint(g, array, pad_width)"},
                tangent={"array": "pad_tangent(g, pad_width, mode)",
                         "constant_values": "np.pad(np.zeros(np.shape(array), "
                                            "dtype=float_dtype(g)), pad_width, "
                                            "constant_values=g)"}),
    # Diagonals and triangles.
    _same(np.diag, "v, k=0", "diag_adjoint(g, v, k)", "np.diag(g, k)"),
    _same(np.diagonal, "a, offset=0, axis1=0, axis2=1",
          "diagonal_adjoint(g, np.shape(a), offset, axis1, axis2)",
          "np.diagonal(g, offset, axis1, axis2)"),
    _same(np.linalg.diagonal, "x, *, offset=0", "diagonal_adjoint(g, np.shape(x), offset, -2, -1)",
          "np.linalg.diagonal(g, offset=offset)"),
    # (a 1-d m is the row of every row of the square result NumPy builds)
    _same(np.triu, "m, k=0", "unbroadcast(np.triu(g, k), m)", "np.triu(g, k)"),
    _same(np.tril, "m, k=0", "unbroadcast(np.tril(g, k), m)", "np.tril(g, k)"),
    # prepend/append are joined to a along axis before differencing: each
    # gets its slice of the joined adjoint (a 0-d one summed: it was broadcast);
    # n = 0 returns a, joining nothing.
    linear_rule(np.diff, "a, n=1, axis=-1, prepend=None, append=None",
                adjoint={part: f"diff_joined_adjoint(g, n, axis, a, prepend, append, '{part}')"
                         for part in ("a", "prepend", "append")},
                tangent={part: f"np.diff(diff_joined(g, a, prepend, append, axis, '{part}', n), "
                               "n, axis)" for part in ("a", "prepend", "append")}),
    # Gathers: the adjoint scatters back, repeated indices adding up.
    _same(np.take, "a, indices, axis=None, out=None, mode='raise'",
          "take_adjoint(g, a, indices, axis, mode)",
          "np.take(g, indices, axis=axis, mode=mode)"),
    _same(np.take_along_axis, "arr, indices, axis=-1",
          "take_along_axis_adjoint(g, arr, indices, axis)",
          "np.take_along_axis(g, indices, axis)"),
    # The adjoint always follows the stable order among ties, so `stable=True`
    # (NumPy 2) is exactly what the templates do. np.sort of a list returns an
    # array, so its tangent is one too (sort_tangent keeps a list's tangent a
    # list for list.sort(), which sorts in place).
    _same(np.sort, "a, axis=-1, kind=None, order=None, *, stable=None",
          "sort_adjoint(g, a, axis)", "sequence_as_array(sort_tangent(g, a, axis))"),
]

NOTES = {
    np.array: "lists (also nested) of differentiated values; `dtype=int` gives no derivative",
    np.astype: "to a float dtype keeps the derivative (cast back), to an integer dtype "
               "gives none",
    np.full: "differentiable in the fill value",
    np.full_like: "differentiable in the fill value (not in the template array)",
    np.linspace: "differentiable in start and stop; `retstep=True` not supported",
    np.ravel: "order 'C', 'F', and 'A' or 'K' as the array's memory layout gives them (also "
              "`.flatten()`); 'K' of an array with permuted or reversed axes is refused",
    np.arange: "start + i * step: differentiable in start and step; the stop (which only "
               "counts the values) has derivative 0",
    runtime_index_tricks.r_concatenate: "indexed as NumPy does: `np.r_[x, c, 1:10]` (arrays, "
                                        "scalars, lists, slices, directives such as '0,2,1'); "
                                        "not the np.matrix directives 'r', 'c'",
    runtime_index_tricks.c_concatenate: "indexed as NumPy does: `np.c_[x, c]`, as np.r_",
    runtime_index_tricks.slice_numbers: "a slice `a:b:s` in np.r_ or np.c_ whose step is not "
                                        "a constant: not differentiated in a, b or s (with a "
                                        "constant step it is np.linspace's or np.arange's)",
    np.concatenate: "a list of differentiated arrays",
    np.stack: "a list of differentiated arrays",
    np.split: "read the pieces by index or unpacking",
    np.diff: "`prepend`/`append` (arrays, or numbers broadcast along axis) differentiable too",
    np.pad: "modes constant, edge, reflect, symmetric, wrap; constant_values differentiable "
            "when a scalar",
    np.take: "repeated indices accumulate; modes raise, wrap, clip",
    np.take_along_axis: "repeated indices accumulate",
    np.sort: "the adjoint follows the stable sort order among ties (so `stable=True` too)",
    np.meshgrid: "up to four arrays (any shape, raveled as NumPy does), `indexing` 'xy' or "
                 "'ij', `sparse`",
    np.broadcast_to: "the adjoint sums over the broadcast axes; np.broadcast_arrays(x, y, "
                     "...) is differentiated as one broadcast_to per argument; writing into "
                     "the result of either is refused (NumPy: read-only)",
}
