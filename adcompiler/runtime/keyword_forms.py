"""Runtime helpers for the call forms whose keywords the normaliser models by
rewriting the call (passes/keyword_forms.py): the `dtype=` of every NumPy
ufunc, and `np.mean(..., where=)`.

`np.sin(x, dtype=np.float32)` casts x to float32 and computes the sine there.
Generated code makes that cast a statement of its own,
`_t1 = ufunc_operand(x, np.float32, 'same_kind')`, whose rule is a cast's
(the derivative is cast too), so the sine's own rule then sees the operand
the ufunc computes with, and its derivative is the float32 one.

`np.mean(a, where=mask)` is `mean_where(a, where=mask)`, which calls np.mean
itself (the value is NumPy's) and has a rule of its own: each selected element
gets g over its slice's count of selected elements.
"""

from __future__ import annotations

import numpy as np


def ufunc_operand(x, dtype, casting):
    """The operand x of a ufunc called with `dtype=` and `casting=`, in the
    dtype the ufunc computes in: a floating or complex x cast to `dtype`,
    with the check NumPy makes (complex to float is no 'same_kind' cast: a
    TypeError, as the ufunc itself raises); an integer or boolean x as it is
    (a loop such as np.ldexp's takes it so, and where the loop casts it, the
    ufunc does that itself). A dtype of None (held by a variable) leaves x as
    it is, as the ufunc does.

    Example:
        >>> ufunc_operand(np.array([0.1]), np.float32, "same_kind").dtype
        dtype('float32')
        >>> ufunc_operand(3, np.float32, "same_kind")
        3
    """
    if dtype is None:   # a variable holding None: the ufunc's own dtype
        return x
    array = np.asarray(x)
    if array.dtype.kind not in "fc":
        return x
    return array.astype(dtype, casting=casting)


def mean_where(a, axis=None, dtype=None, out=None, keepdims=False, where=True):
    """np.mean(a, axis, dtype, keepdims=keepdims, where=where): what a call of
    np.mean passing `where=` is differentiated as (`out=` was rewritten before,
    passes/effects.py, so it is None here).

    Example:
        >>> float(mean_where(np.array([1.0, 5.0, 3.0]), where=[True, False, True]))
        2.0
    """
    return np.mean(a, axis=axis, dtype=dtype, out=out, keepdims=keepdims, where=where)


def mean_where_count(a, axis, keepdims, where, like):
    """How many elements `where` selects in each slice np.mean averages, in
    like's float dtype, at least 1: an empty slice's mean is NaN whatever a
    is, and its elements get derivative 0 (not 0 / 0), as np.nanmean's rule
    gives an all-NaN slice's.

    Example:
        >>> mean_where_count(np.ones((2, 3)), 1, False, [[True, False, True]] * 2, 1.0)
        array([2., 2.])
    """
    selected = np.broadcast_to(where, np.shape(a))
    count = np.sum(selected, axis=axis, keepdims=keepdims, dtype=np.result_type(like, 0.0))
    return np.maximum(count, 1.0)


TEMPLATE_HELPERS = {helper.__name__: helper for helper in (
    ufunc_operand, mean_where, mean_where_count)}
