"""Runtime helpers for the NumPy rules whose adjoint (or tangent) is more than
one NumPy expression: reductions, gathers, joins and splits, shape functions.

Generated code calls them through the names in `runtime.TEMPLATE_HELPERS`;
each takes the incoming derivative `g` first and returns a value of its
parameter's shape (adjoints) or of the result's shape (tangents). They keep
float32 as float32: constants are Python floats, and new arrays take the
dtype of the values they are built from.

Sequence-valued primitives (`np.split`, `np.linalg.eigh`, a list argument of
`np.stack`) have sequence-valued derivatives: a `SequenceAdjoint`, one entry
per element, `None` for an element whose derivative is zero.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import InternalCompilerError, NoDerivativeRuleError, UnsupportedSyntaxError
from .complex_numbers import refuse_complex


def is_zero_number(x) -> bool:
    """A plain 0 or 0.0: the zero generated code uses for an adjoint of any shape."""
    return isinstance(x, (int, float)) and x == 0


def is_foreign_array(x) -> bool:
    """An array of another library that NumPy's functions dispatch to through
    `__array_function__` (a dask or CuPy array). Helpers keep it as it is:
    np.asarray would compute a lazy dask array, or copy a CuPy one to the host.

        >>> is_foreign_array(np.ones(2)), is_foreign_array(2.0)
        (False, False)
    """
    return (not isinstance(x, (np.ndarray, np.generic)) and hasattr(x, "shape")
            and hasattr(type(x), "__array_function__"))


def refuse_array_api_only(x, what: str) -> None:
    """Raise NoDerivativeRuleError if `x` is an array of a library that
    implements only the array API standard (`__array_namespace__`, no NumPy
    dispatch: array_api_strict, JAX) reaching a function written with NumPy's
    functions, which would convert it to a NumPy array or refuse it. A
    function that takes its namespace from its arguments (`xp =
    x.__array_namespace__()`) is differentiated on such arrays instead
    (runtime/namespaces.py, docs/scaling.md).

        >>> refuse_array_api_only(np.ones(2), "the argument")
    """
    kind = type(x)
    if isinstance(x, (np.ndarray, np.generic)) or not hasattr(kind, "__array_namespace__") \
            or hasattr(kind, "__array_function__"):
        return
    raise NoDerivativeRuleError(
        f"{what} is of type {kind.__module__.split('.')[0]}.{kind.__name__}, an array that "
        "implements only the array API standard, and the function is written with NumPy's "
        "functions (or operators only): NumPy would convert this array to a NumPy array",
        help="Write the function against the array's namespace (xp = "
             "x.__array_namespace__(), then xp.exp, xp.sum: docs/scaling.md), or pass NumPy "
             "arrays (np.from_dlpack(x) shares the memory of a CPU array) and convert the "
             "gradient back (xp.asarray(gradient)).")


def as_array(x, dtype=None):
    """np.asarray(x, dtype), except that a dask or CuPy array stays one (cast
    to `dtype` lazily, or on the device).

        >>> as_array([1, 2], dtype=float)
        array([1., 2.])
    """
    if is_foreign_array(x):
        return x if dtype is None or x.dtype == dtype else x.astype(dtype)
    return np.asarray(x, dtype=dtype)


def foreign_add_at(fresh, index, value):
    """`np.add.at(fresh, index, value)` for a new dask or CuPy array `fresh`,
    returned. CuPy has ufunc.at; dask has only `x[index] = v`, which is the
    same where no position repeats, so repeated integer indices (and indices
    that are themselves lazy arrays) are refused rather than summed wrongly.

        >>> foreign_add_at(np.zeros(3), [0, 2], 1.0)
        array([1., 0., 1.])
    """
    try:
        np.add.at(fresh, index, value)
        return fresh
    except (TypeError, NotImplementedError):
        pass  # dask: no ufunc.at
    if isinstance(index, (list, np.ndarray)) and np.ndim(index) == 1 and \
            np.asarray(index).dtype.kind in "iu" and len(index):
        return _add_rows_in_rounds(fresh, np.asarray(index), value)
    parts = index if isinstance(index, tuple) else (index,)
    integer_parts = [np.asarray(p) for p in parts if isinstance(p, (list, np.ndarray))
                     and np.asarray(p).dtype.kind in "iu"]
    positions = (np.stack([p.ravel() for p in np.broadcast_arrays(*integer_parts)], axis=1)
                 if integer_parts else np.empty((0, 1)))
    if (any(is_foreign_array(p) or p is None for p in parts)
            or len(np.unique(positions, axis=0)) < len(positions)):
        raise NoDerivativeRuleError(
            f"the derivative of indexing a {type(fresh).__name__} with {index!r} would "
            "add values at repeated positions (np.add.at), which this array library "
            "does not provide",
            help="Index with slices, integers or integer arrays without repeats (and "
            "without None), or compute the index's value as a NumPy array first.")
    fresh[index] = fresh[index] + value
    return fresh


def _add_rows_in_rounds(fresh, rows, value):
    """fresh[rows] += value with repeated rows adding up, by `x[i] = v` only:
    round r writes the r-th occurrence of each row (as many rounds as the most
    repeated row has occurrences, one for an index without repeats)."""
    rows = np.where(rows < 0, rows + fresh.shape[0], rows)
    value = np.broadcast_to(value, rows.shape + tuple(fresh.shape[1:]))
    order = np.argsort(rows, kind="stable")
    ordered = rows[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    counts = np.diff(np.r_[starts, len(rows)])
    occurrence = np.empty(len(rows), dtype=np.int64)
    occurrence[order] = np.arange(len(rows)) - np.repeat(starts, counts)
    for round_ in range(int(counts.max())):
        chosen = np.flatnonzero(occurrence == round_)
        fresh[rows[chosen]] = fresh[rows[chosen]] + value[chosen]
    return fresh


def _entry_sums(entries, other):
    """Entry-by-entry sums of two sequence adjoints (None is a zero entry; a
    plain 0 is a zero of the whole sequence)."""
    if is_zero_number(other):
        return list(entries)
    if len(other) != len(entries):
        # Two derivatives of one tuple or list always have its length: one of
        # them is a longer sequence's, which a join (+) or repetition (*) the
        # compiler took for arithmetic made.
        raise joined_sequence_error(f"derivatives of {len(entries)} and {len(other)} "
                                    "entries were added")
    return [b if a is None else a if b is None else a + b for a, b in zip(entries, other)]


def joined_sequence_error(what: str, where: str = "") -> UnsupportedSyntaxError:
    """The refusal of a tuple or list joined (+) or repeated (*) where the
    compiler did not know it for one and differentiated the arithmetic the
    operators do on numbers: `what` says how the derivative showed it (one
    of a length that is not the sequence's), `where` the line if known."""
    return UnsupportedSyntaxError(
        f"{where + ': ' if where else ''}{what}: a tuple or list of differentiated values "
        "was joined with another (+) or repeated (*) where adcompiler did not know it to "
        "be one when compiling (a helper's or a function's result, an argument), which "
        "is not supported",
        help="Join or repeat tuples where they are built (t = (a, b); t + (c,)), or write "
        "the result out ((t[0], t[1], s[0])), or use an array (np.concatenate, np.tile). "
        "Lists passed in as arguments: build one of them in the function, list(xs) + ws.")


def _refuse_repetition(adjoint, count):
    # A derivative of a sequence is never scaled: generated code multiplies
    # one only where a tuple or list was repeated (`t * 2`) and the compiler,
    # not knowing it for one, differentiated a product instead.
    raise joined_sequence_error(f"a derivative of {len(adjoint)} entries was multiplied "
                                f"by {count!r}")


class SequenceAdjoint(tuple):
    """The derivative of a tuple or list: one entry per element, `None` for
    zero. Adding two adds element by element (where plain tuples would
    concatenate), so the compiler's accumulation `dr = dr + ...` is right.

    Example:
        >>> SequenceAdjoint([None, 1.0]) + SequenceAdjoint([2.0, 3.0])
        SequenceAdjoint((2.0, 4.0))
    """

    def __add__(self, other):
        return SequenceAdjoint(_entry_sums(self, other))

    def __radd__(self, other):
        return self.__add__(other)

    def __mul__(self, other):
        _refuse_repetition(self, other)

    __rmul__ = __mul__

    def __repr__(self):
        return f"SequenceAdjoint({tuple(self)!r})"


class ListAdjoint(list):
    """The derivative of a list: a list of the elements' derivatives that adds
    element by element (a plain list would concatenate), and that generated
    code can push, pop and index in step with the list it belongs to.

    Example:
        >>> ListAdjoint([1.0, 2.0]) + SequenceAdjoint([None, 3.0])
        ListAdjoint([1.0, 5.0])
    """

    def __add__(self, other):
        return ListAdjoint(_entry_sums(self, other))

    def __radd__(self, other):
        return self.__add__(other)

    def __iadd__(self, other):
        return self.__add__(other)

    def __mul__(self, other):
        _refuse_repetition(self, other)

    __rmul__ = __imul__ = __mul__

    def __repr__(self):
        return f"ListAdjoint({list(self)!r})"


def sequence_adjoint(entries, like):
    """One adjoint per element of `like`: a ListAdjoint for a list (generated
    code pushes and pops on a list's adjoint), a SequenceAdjoint otherwise."""
    return ListAdjoint(entries) if isinstance(like, list) else SequenceAdjoint(entries)


class DictAdjoint(dict):
    """The derivative of a dict: the values' derivatives under the same keys,
    adding key by key (a plain dict has no `+`)."""

    def __add__(self, other):
        if is_zero_number(other):
            return DictAdjoint(self)
        return DictAdjoint({key: value if other.get(key) is None else
                            other[key] if value is None else value + other[key]
                            for key, value in self.items()})

    def __radd__(self, other):
        return self.__add__(other)

    def __iadd__(self, other):
        return self.__add__(other)


def zeros_like(x):
    """A zero adjoint for `x`: 0.0 for a Python number, zeros of x's shape otherwise,
    and the same structure of zeros for a tuple, a list or a dict (here, beside
    the sequence adjoints, so that runtime/records.py need not import core)."""
    # Sequence adjoints that add element by element, wherever `+` meets them.
    if isinstance(x, tuple):
        return SequenceAdjoint(zeros_like(element) for element in x)
    if isinstance(x, range):
        # A zero per item, as for a tuple: a helper's adjoint pops its loop's
        # range and iterates `_range[::-1]`, which its forward mode (an hvp)
        # may take for active, slicing this zero in step with it.
        return SequenceAdjoint((0.0,) * len(x))
    if isinstance(x, list):
        return ListAdjoint(zeros_like(element) for element in x)
    if isinstance(x, dict):
        return DictAdjoint({key: zeros_like(value) for key, value in x.items()})
    if isinstance(x, np.ndarray):
        return np.zeros(x.shape, dtype=x.dtype if x.dtype.kind in "fc" else float)
    if isinstance(x, np.generic):
        return x.dtype.type(0) if x.dtype.kind in "fc" else 0.0
    return 0.0


def entry(g, index):
    """Entry `index` of a sequence derivative, None when it is zero (a zero
    derivative may also arrive as a plain 0.0, from a branch that never used it)."""
    return g[index] if isinstance(g, (tuple, list)) else None


def part(g, index, like):
    """Entry `index` of a sequence derivative, as zeros shaped like `like` when zero."""
    value = entry(g, index)
    if value is None:
        return np.zeros(np.shape(like), dtype=float_dtype(like))
    return value


def float_dtype(*values):
    """The floating dtype derivatives of `values` have (float64 for integers,
    complex for complex values)."""
    given = [as_array(v).dtype if not isinstance(v, float) else np.float64
             for v in values if v is not None]
    # (none given: the derivatives are all zero, as for a tangent that reaches
    # none of np.r_'s items)
    dtype = np.result_type(*given) if given else np.dtype(np.float64)
    return dtype if dtype.kind in "fc" else np.dtype(np.float64)


def is_float_dtype(dtype) -> bool:
    """Whether a cast to `dtype` keeps derivatives (None keeps the input's
    dtype): to a floating or complex dtype, not to integers or booleans (a
    step function, whose derivative is zero). A cast to text, bytes, Python
    objects or dates keeps the whole value in another form, which a later cast
    back would turn into a number again: refused (check_cast_dtype)."""
    if dtype is None:
        return True
    check_cast_dtype(dtype)
    return np.dtype(dtype).kind in "fc"


def check_cast_dtype(dtype):
    """Refuse a cast of a differentiated value to a dtype that is not a number:
    x.astype(str).astype(float) would have a derivative of zero."""
    if dtype is not None and np.dtype(dtype).kind not in "fcbiu":
        raise NoDerivativeRuleError(
            f"a cast of a differentiated value to the dtype {np.dtype(dtype)} (text, bytes, "
            "Python objects, dates or records) has no derivative: the value read back "
            "from it would have a derivative of zero",
            help="Instead: keep the array as numbers (x.astype(float)), a record's fields "
                 "in arrays of their own; to drop the derivative on purpose, cast "
                 "ad.stop_gradient(x).")


def reduced_axes(axis, ndim: int) -> tuple:
    """`axis` of a reduction as a sorted tuple of non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    return tuple(sorted(ax % ndim for ax in axes))


def expand_reduced(g, a, axis, keepdims):
    """`g`, the derivative of a reduction of `a`, with the reduced axes put back
    as length-1 axes so that it broadcasts against `a`."""
    ndim = np.ndim(a)
    if keepdims or axis is None or ndim == 0:
        return g
    return np.expand_dims(g, reduced_axes(axis, ndim))


def reduce_to_shape(g, shape):
    """Sum `g` over the axes along which it was broadcast from `shape`: the
    leading axes it gained, and the axes of size 1 in `shape` it stretched."""
    # np.add.reduce is what np.sum calls, without its Python-level dispatch,
    # which costs more than the sum itself for the small arrays of a loop body
    # (a bias added at every step of an RNN).
    g_shape = g.shape if type(g) is np.ndarray else np.shape(g)
    extra = len(g_shape) - len(shape)
    # np.sum dispatches to a dask or CuPy g, which ufunc.reduce does not.
    add_reduce = np.add.reduce if type(g) is np.ndarray else np.sum
    if extra > 0:
        g = add_reduce(g, axis=0 if extra == 1 else tuple(range(extra)))
        g_shape = g_shape[extra:]
    if 1 in shape:
        axes = tuple(i for i, n in enumerate(shape) if n == 1 and g_shape[i] != 1)
        if axes:
            g = add_reduce(g, axis=axes, keepdims=True)
    return g


def sum_to_shape(g, shape):
    """Sum `g` over the axes along which it was broadcast from `shape`."""
    if np.shape(g) == tuple(shape):
        return g
    return np.reshape(reduce_to_shape(g, shape), shape)


# -- elementwise --------------------------------------------------------------

def real_if_close_derivative(g, a, result):
    """The derivative (adjoint or tangent) g of np.real_if_close(a): np.real(g),
    the real part's, where NumPy returned the real part of a complex `a` (all
    its imaginary parts below the tolerance, an open condition, so the function
    is the real part near a); g itself where it returned `a` unchanged.

    >>> real_if_close_derivative(np.array([1.0 + 2.0j]), np.array([1.0 + 1e-20j]),
    ...                          np.array([1.0]))
    array([1.])
    """
    if np.iscomplexobj(a) and not np.iscomplexobj(result):
        return np.real(g)
    return g


def sinc_derivative(x):
    """d/dx sin(pi x) / (pi x) = (cos(pi x) - sinc(x)) / x, and 0 at x = 0."""
    x = as_array(x)
    safe = np.where(x == 0, 1.0, x)
    return np.where(x == 0, 0.0, (np.cos(np.pi * safe) - np.sinc(safe)) / safe)


def clip_inside(a, a_min, a_max, min=None, max=None):
    """1 where np.clip(a, ...) passes `a` through (bounds included, as torch.clamp), else 0."""
    refuse_complex('np.clip', a, a_min, a_max, min, max)
    low = a_min if a_min is not None else min
    high = a_max if a_max is not None else max
    inside = np.ones(np.shape(a), dtype=bool)
    if low is not None:
        inside = inside & (a >= low)
    if high is not None:
        inside = inside & (a <= high)
    return inside


def sinc_second_derivative(x):
    """d/dx sinc_derivative(x) = (-pi sin(pi x) - 2 sinc'(x)) / x, and -pi**2 / 3 at 0."""
    x = np.asarray(x)
    safe = np.where(x == 0, 1.0, x)
    value = (-np.pi * np.sin(np.pi * safe) - 2.0 * sinc_derivative(safe)) / safe
    return np.where(x == 0, -np.pi ** 2 / 3.0, value)


# -- reductions ---------------------------------------------------------------

def prod_others(a, axis):
    """For each element of `a`, the product of the other elements reduced with
    it by np.prod(a, axis): the partial derivative, exact when some are zero."""
    a = as_array(a)
    if a.ndim == 0:
        return np.ones_like(a)
    axes = reduced_axes(axis, a.ndim)
    kept = a.ndim - len(axes)
    moved = np.moveaxis(a, axes, tuple(range(kept, a.ndim)))
    flat = moved.reshape(moved.shape[:kept] + (-1,))
    ones = np.ones_like(flat[..., :1])
    before = np.cumprod(np.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
    after = np.cumprod(np.concatenate([ones, flat[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    others = (before * after).reshape(moved.shape)
    return np.moveaxis(others, tuple(range(kept, a.ndim)), axes)


def extremum_weights(a, result, axis, keepdims, where=True, initial=None):
    """Where each element of `a` attains its group's max (or min) `result`,
    divided by the number of elements that tie there: the adjoint of a tie is
    shared evenly, as torch.amax/amin and torch.max() without dim do. With
    `where`, only the elements it selects count; an `initial` that ties with
    them counts as one more (it takes its share: extremum_initial_weight).

        >>> extremum_weights(np.array([2.0, 5.0, 5.0]), 5.0, None, False)
        array([0. , 0.5, 0.5])
    """
    if where is not True or initial is not None:
        return _extremum_shares(a, result, axis, keepdims, where, initial)[0]
    if axis is None and type(a) is np.ndarray and a.dtype.kind == "f":
        # A full reduction of a real array: one count (the general path below
        # gives the same values, through np.sum's dispatch and shape helpers).
        mask = (a == result).astype(a.dtype)
        mask /= np.add.reduce(mask, axis=None)
        return mask
    a = as_array(a)
    dtype = float_dtype(a)
    mask = (a == expand_reduced(as_array(result), a, axis, keepdims)).astype(dtype)
    count = np.sum(mask, axis=reduced_axes(axis, a.ndim), keepdims=True)
    return mask / count


def prod_others_where(a, axis, where=True):
    """prod_others for np.prod(a, axis, where=where): the product of the other
    selected elements for a selected element, 0 for the others. Without
    `where`, prod_others.

        >>> prod_others_where(np.array([2.0, 3.0, 5.0]), None, np.array([True, False, True]))
        array([5., 0., 2.])
    """
    if where is True:
        return prod_others(a, axis)
    a = as_array(a)
    selected = np.broadcast_to(as_array(where), a.shape)
    return selected * prod_others(np.where(selected, a, 1.0), axis)


def _extremum_shares(a, result, axis, keepdims, where, initial):
    """The weights of `a`'s elements and of `initial` in a max or min taken
    with `where` and `initial`: ties with the result share it evenly."""
    a = as_array(a)
    dtype = float_dtype(a)
    expanded = expand_reduced(as_array(result), a, axis, keepdims)
    mask = np.logical_and(a == expanded, where).astype(dtype)
    count = np.sum(mask, axis=reduced_axes(axis, a.ndim), keepdims=True)
    # (initial compared in the result's dtype, to which NumPy casts it: a
    # float32 max of 0.3 is float32(0.3), not 0.3)
    initial_ties = np.zeros_like(count) if initial is None else \
        (as_array(initial).astype(expanded.dtype) == expanded).astype(dtype)
    count = count + initial_ties
    # (a group with no element selected and no initial has no maximum: NumPy
    # raises before this runs)
    initial_share = initial_ties / count
    if not keepdims:
        initial_share = np.reshape(initial_share, np.shape(result))
    return mask / count, initial_share


def extremum_initial_weight(a, result, axis, keepdims, where, initial):
    """The share of np.max(a, axis, initial=initial, where=where)'s derivative
    that goes to `initial`: 1 where it alone attains the result, 1 / k where it
    ties with k - 1 selected elements, else 0 (shaped like the result).

        >>> extremum_initial_weight(np.array([1.0, 3.0]), 3.0, None, False, True, 3.0)
        array(0.5)
    """
    return _extremum_shares(a, result, axis, keepdims, where, initial)[1]


def _centred(a, axis):
    a = as_array(a)
    return a - np.mean(a, axis=axis, keepdims=True)


def _count(a, axis) -> float:
    shape = np.shape(a)
    return float(np.prod([shape[ax] for ax in reduced_axes(axis, len(shape))]))


def _var_scale(a, axis, ddof):
    """2 / (N - ddof); with ddof >= N NumPy's variance is nan or inf, and so is
    its derivative (torch's too), instead of a ZeroDivisionError."""
    with np.errstate(divide="ignore"):
        # A Python float (weak under NEP 50): a float32 tangent stays float32.
        return float(np.float64(2.0) / np.float64(_count(a, axis) - ddof))


def var_adjoint(g, a, axis, ddof, keepdims):
    """Adjoint of np.var: 2 (a - mean) / (N - ddof) times the spread-back g;
    for complex a, whose variance is the mean of |a - mean|^2, the real part
    of g times the conjugate (the transpose of var_tangent)."""
    scale = _var_scale(a, axis, ddof)
    with np.errstate(invalid="ignore"):
        if np.iscomplexobj(a):
            return np.real(expand_reduced(g, a, axis, keepdims)) * np.conj(
                _centred(a, axis)) * scale
        return expand_reduced(g, a, axis, keepdims) * _centred(a, axis) * scale


def var_tangent(g, a, axis, ddof, keepdims):
    """Tangent of np.var: sum of 2 (a - mean) g / (N - ddof) over the reduced axes."""
    scale = _var_scale(a, axis, ddof)
    with np.errstate(invalid="ignore"):
        if np.iscomplexobj(a):
            return np.real(np.sum(np.conj(_centred(a, axis)) * g, axis=axis,
                                  keepdims=keepdims)) * scale
        return np.sum(_centred(a, axis) * g, axis=axis, keepdims=keepdims) * scale


def _var_given_parts(a, axis, ddof, where, mean):
    """For np.var(a, axis, ddof=ddof, where=where, mean=mean): the 0/1 selection
    of a's elements, a minus the mean it subtracts (`mean` if given, else the
    mean of the selected elements), and 2 / (n - ddof) per group (n the number
    selected), all broadcasting against a, in a's float dtype."""
    refuse_complex("np.var or np.std with where= or mean=", a, mean)
    a = as_array(a)
    dtype = float_dtype(a)
    axes = reduced_axes(axis, a.ndim)
    selected = np.broadcast_to(as_array(where), a.shape).astype(dtype)
    count = np.sum(selected, axis=axes, keepdims=True)
    # (no np.errstate: adcompiler differentiates this from its source for second
    # derivatives; a group with n <= ddof has a nan or inf variance, and derivative)
    if mean is None:
        mean = np.sum(selected * a, axis=axes, keepdims=True) / count
    scale = (2.0 / (count - ddof)).astype(dtype)
    return selected, a - mean, scale


def var_given_adjoint(g, a, axis, ddof, keepdims, where=True, mean=None):
    """Adjoint of np.var in `a`, with NumPy 2's where= (only the selected
    elements count) and mean= (the mean subtracted, as given): g spread back
    times 2 (a - mean) / (n - ddof) where selected, 0 elsewhere. Without them,
    var_adjoint.

        >>> var_given_adjoint(1.0, np.array([1.0, 2.0, 9.0]), None, 0, False,
        ...                   np.array([True, True, False]))
        array([-0.5,  0.5,  0. ])
    """
    if where is True and mean is None:
        return var_adjoint(g, a, axis, ddof, keepdims)
    selected, centred, scale = _var_given_parts(a, axis, ddof, where, mean)
    return expand_reduced(g, a, axis, keepdims) * selected * centred * scale


def var_given_tangent(g, a, axis, ddof, keepdims, where=True, mean=None):
    """Tangent of np.var in `a`, with where= and mean= (var_given_adjoint's transpose)."""
    if where is True and mean is None:
        return var_tangent(g, a, axis, ddof, keepdims)
    selected, centred, scale = _var_given_parts(a, axis, ddof, where, mean)
    return np.sum(g * selected * centred * scale, axis=axis, keepdims=keepdims)


def var_mean_adjoint(g, a, axis, ddof, keepdims, where, mean):
    """Adjoint of np.var(a, ..., mean=mean) in `mean`: -sum(2 (a - mean)) / (n - ddof)
    over each group's selected elements, times g, in mean's shape."""
    selected, centred, scale = _var_given_parts(a, axis, ddof, where, mean)
    spread = expand_reduced(g, a, axis, keepdims) * selected * centred * scale
    return sum_to_shape(-np.sum(spread, axis=reduced_axes(axis, np.ndim(a)), keepdims=True),
                        np.shape(mean))


def var_mean_tangent(g, a, axis, ddof, keepdims, where, mean):
    """Tangent of np.var(a, ..., mean=mean) in `mean` (var_mean_adjoint's transpose)."""
    selected, centred, scale = _var_given_parts(a, axis, ddof, where, mean)
    return -np.sum(g * selected * centred * scale, axis=axis, keepdims=keepdims)


def var_adjoint_a(g, adjoint, a, axis, ddof, keepdims):
    """Adjoint of var_adjoint(adjoint, a) with respect to `a` (it is linear in
    `a`, through a - mean(a), a symmetric projection): the projection of
    g times the spread-back adjoint, scaled. For second derivatives of np.var."""
    refuse_complex('a second derivative of np.var', a)
    scale = _var_scale(a, axis, ddof)
    with np.errstate(invalid="ignore"):
        return _centred(np.asarray(g) * expand_reduced(adjoint, a, axis, keepdims),
                        axis) * scale


def quotient_or_zero(numerator, denominator):
    """numerator / denominator, with 0 where the denominator is 0: the derivative
    of np.std, g / (2 std), where the spread is 0 (a constant row, an axis of
    length 1) is 0, as torch has it, where the formula gives 0 / 0.

        >>> quotient_or_zero(np.array([1.0, 1.0]), np.array([2.0, 0.0]))
        array([0.5, 0. ])
    """
    if type(denominator) in (float, int) and type(numerator) in (float, int):
        return numerator / denominator if denominator != 0 else 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(as_array(denominator) == 0, 0.0, np.divide(numerator, denominator))


def power_log(x, y, power):
    """d(x ** y)/dy = x ** y * log(x), where `power` is x ** y; 0 where x == 0
    and y >= 0 (zero_at_zero_base), and nan, not an error, where x < 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return zero_at_zero_base(power * np.log(_as_float(x, power)), x, y)


def _as_float(x, like):
    """Integers x in `like`'s floating dtype: NumPy takes the log of small ones
    (uint8, int16) in float16 or float32, which a float64 derivative would
    carry (2 ** 1.5 log 2 off in the fourth digit)."""
    if isinstance(x, (np.ndarray, np.generic)) and x.dtype.kind in "biu":
        return x.astype(float_dtype(like))
    return x


def exponent_term(scale, partial):
    """scale * partial, and 0 where scale is 0: the exponent's share of a derivative
    of x ** y, whose partial in y holds log(x), nan where x < 0. Where the
    exponent does not move (a constant exponent a Hessian's code reads back
    from a stack, with a zero tangent), it adds nothing, not nan.

        >>> float(exponent_term(0.0, float("nan")))
        0.0
    """
    product = scale * partial
    if np.ndim(product) or np.ndim(scale) or isinstance(product, np.ndarray):
        return np.where(scale == 0, 0, product)
    return product if scale != 0 else 0.0 * np.nan_to_num(product)


def power_slope(x, y, order=1):
    """d^order(x ** y)/dx^order = y (y - 1) ... (y - order + 1) x ** (y -
    order), and 0 where that factor is 0 (y an integer below order): x ** 0
    is 1 for every x, while the formula gives 0 * 0 ** -1 at x == 0
    (ZeroDivisionError for Python numbers, nan for arrays). torch has it 0
    there too.

        >>> power_slope(0.0, 0), power_slope(0.0, 1), power_slope(0.0, 1, 2)
        (0.0, 1.0, 0.0)
    """
    if type(y) in (int, float):
        # The common x ** 2, x ** k: the formula itself, but for the zero factor.
        factor = 1
        for i in range(order):
            factor = factor * (y - i)
        if factor != 0 and type(x) in (int, float) and x == 0 and y < order:
            # Python raises ZeroDivisionError for 0.0 ** -1.5; the limit is
            # infinite, as NumPy and torch have it.
            with np.errstate(divide="ignore"):
                return factor * float(np.power(float(x), float(y - order)))
        if factor == 0:
            # 0, also where x is inf or nan (torch's too): x ** 0 is 1 for every x
            return 0.0 if type(x) in (int, float) else 0.0 * x
        slope = x ** (y - order)
        if type(slope) is complex and type(x) is not complex:
            # (-1.0) ** -0.5 is complex in Python, nan in NumPy (np.power's rule)
            with np.errstate(invalid="ignore"):
                slope = float(np.power(float(x), float(y - order)))
        return factor * slope
    return power_partial(x, y, order, 0)


def _horner(coefficients, y):
    """The polynomial with these coefficients (highest power first) at y,
    from the leading coefficient on: np.polyval starts from 0 and multiplies
    it by y, nan at y = inf where the falling factorial y (y - 1) is inf."""
    value = coefficients[0]
    for coefficient in coefficients[1:]:
        value = value * y + coefficient
    return value


def power_partial(x, y, m, n):
    """d^m/dx^m d^n/dy^n of x ** y: the sum over k of C(n, k) F^(n-k)(y)
    x ** (y - m) log(x) ** k, with F(y) = y (y - 1) ... (y - m + 1); a term is
    0 where its factor F^(n-k)(y) is 0. With n > 0, at x == 0 it is the
    limit, 0, where y > m, and nan where y <= m (zero_at_zero_base with
    `above`; torch is nan there too). Its derivatives are the next partials,
    so every order of x ** y is exact at x == 0 where it exists.

        >>> float(power_partial(2.0, 3.0, 1, 1))  # d/dy (3 x ** 2) at x = 2
        9.545177444479561
    """
    numbers = type(x) in (int, float) and type(y) in (int, float)
    falling = np.poly1d([1.0])
    for i in range(m):
        falling = falling * np.poly1d([1.0, -float(i)])
    total = 0.0
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        power = np.power(x, y - m) if not numbers else np.power(float(x), float(y - m))
        for k in range(n + 1):
            factor = falling
            for _ in range(n - k):
                factor = factor.deriv()
            coefficient = math.comb(n, k) * _horner(factor.coeffs, y)
            if np.ndim(coefficient) == 0:
                # A Python number, so that it keeps power's dtype (float32).
                coefficient = np.asarray(coefficient).item()
                if coefficient == 0:
                    continue
                term = coefficient * power
            else:
                # poly1d computes in float64: back to y's and power's dtype.
                coefficient = coefficient.astype(np.result_type(power, y))
                term = np.where(coefficient == 0, 0.0, coefficient * power)
            if k:
                term = np.where((as_array(x) == 0) & (as_array(y - m) >= 0), 0.0,
                                term * np.log(_as_float(x, power)) ** k)
            total = total + term
    if n:
        # At x == 0, the limit where it is finite, nan where not (as
        # zero_at_zero_base has it for power_log's partials: both orders of a
        # mixed derivative agree).
        total = zero_at_zero_base(total, x, y, m)
    if numbers:
        return float(total)
    if np.ndim(total) == 0 and np.ndim(x) == 0 and np.ndim(y) == 0:
        return total
    return total if np.shape(total) == np.broadcast_shapes(np.shape(x), np.shape(y)) \
        else total + np.zeros(np.broadcast_shapes(np.shape(x), np.shape(y)))


def zero_at_zero_base(value, base, exponent, above=None):
    """`value`, with 0 where base == 0 and exponent >= 0: d(x ** y)/dy there is 0
    (0 ** y is constant in y: 0, or 1 at y == 0), as torch has it, where the
    formula x ** y * log(x) gives 0 * -inf = nan.

    With `above` (a number), for the derivatives of x ** y of order two and
    more in which y takes part: where base == 0, their limit, 0, where
    exponent > above (each term holds a positive power of x, which beats any
    power of log(x)), and nan where exponent <= above, where the limit is
    infinite or x ** y itself is not continuous (y == 0). The partials stated
    this way never divide by a zero base, and both orders of a mixed
    derivative agree (power_partial has the same values).

        >>> zero_at_zero_base(np.array([np.nan, 2.0]), np.array([0.0, 3.0]), 2.0)
        array([0., 2.])
        >>> zero_at_zero_base(np.array([7.0, 7.0]), 0.0, np.array([2.0, 1.0]), 1)
        array([ 0., nan])
    """
    numbers = type(base) in (float, int) and type(exponent) in (float, int)
    if above is None:
        if numbers:
            return 0.0 if base == 0 and exponent >= 0 else value
        return np.where((as_array(base) == 0) & (as_array(exponent) >= 0), 0.0, value)
    if numbers:
        return value if base != 0 else 0.0 if exponent > above else math.nan
    at_zero = as_array(base) == 0
    # nan and 0.0 as Python numbers, so that the result keeps value's dtype.
    return np.where(at_zero & (as_array(exponent) > above), 0.0,
                    np.where(at_zero, math.nan, value))


def cumsum_adjoint(g, a, axis):
    """Adjoint of np.cumsum: the cumulative sum of g taken from the end."""
    if axis is None:
        return np.reshape(np.cumsum(np.ravel(g)[::-1])[::-1], np.shape(a))
    return np.flip(np.cumsum(np.flip(g, axis), axis=axis), axis)


def _last_axis(x, axis):
    """`x` with `axis` moved last (flattened when axis is None)."""
    return np.ravel(x) if axis is None else np.moveaxis(as_array(x), axis, -1)


def _cumprod_jacobian(a):
    """d cumprod(a)[i] / d a[j] along the last axis, shape (..., n, n); exact with zeros."""
    n = a.shape[-1]
    jacobian = np.zeros(a.shape + (n,), dtype=float_dtype(a))
    for j in range(n):
        column = np.copy(a)
        column[..., j] = 1
        column = np.cumprod(column, axis=-1)
        column[..., :j] = 0
        jacobian[..., :, j] = column
    return jacobian


def cumprod_adjoint(g, a, result, axis):
    """Adjoint of np.cumprod (a Jacobian product along the axis where a has zeros)."""
    a_last, y, g_last = _last_axis(a, axis), _last_axis(result, axis), _last_axis(g, axis)
    if np.all(a_last != 0):
        grad = np.cumsum((g_last * y)[..., ::-1], axis=-1)[..., ::-1] / a_last
    else:
        grad = np.einsum("...i,...ij->...j", g_last, _cumprod_jacobian(a_last))
    return np.reshape(grad, np.shape(a)) if axis is None else np.moveaxis(grad, -1, axis)


def cumprod_tangent(g, a, result, axis):
    """Tangent of np.cumprod: cumprod(a) * cumsum(g / a), or the Jacobian where a has zeros."""
    a_last, y, g_last = _last_axis(a, axis), _last_axis(result, axis), _last_axis(g, axis)
    if np.all(a_last != 0):
        tangent = y * np.cumsum(g_last / a_last, axis=-1)
    else:
        tangent = np.einsum("...ij,...j->...i", _cumprod_jacobian(a_last), g_last)
    return tangent if axis is None else np.moveaxis(tangent, -1, axis)


def trace_adjoint(g, a, offset, axis1, axis2):
    """Adjoint of np.trace: g on the traced diagonal of zeros shaped like a."""
    shape = np.shape(a)
    eye = np.eye(shape[axis1], shape[axis2], k=offset, dtype=float_dtype(g, a))
    return np.moveaxis(as_array(g)[..., None, None] * eye, (-2, -1), (axis1, axis2))


def diagonal_adjoint(g, shape, offset, axis1, axis2):
    """Adjoint of np.diagonal: g written onto that diagonal of zeros of `shape`."""
    out = np.zeros(shape, dtype=float_dtype(g))
    view = np.moveaxis(out, (axis1, axis2), (-2, -1))
    i = np.arange(np.shape(g)[-1])
    view[..., i + max(-offset, 0), i + max(offset, 0)] = g
    return out


def diag_adjoint(g, v, k):
    """Adjoint of np.diag: the diagonal back (1-d v) or onto zeros (2-d v)."""
    if np.ndim(v) == 1:
        return np.diagonal(g, k)
    return diagonal_adjoint(g, np.shape(v), k, 0, 1)


def average_weights(a, weights, axis):
    """`weights` of np.average shaped to broadcast against `a`: as NumPy
    reads them, the shape of a, or a's lengths along `axis` in axis's order
    (1-d weights along one axis, (4, 2) weights along axis=(2, 0))."""
    w = as_array(weights)
    if axis is None or np.shape(w) == np.shape(a):
        return w
    axes = _weight_axes(a, axis)
    return np.reshape(np.transpose(w, np.argsort(axes)),
                      tuple(s if ax in axes else 1 for ax, s in enumerate(np.shape(a))))


def _weight_axes(a, axis):
    """np.average's axis as a tuple of non-negative axes of a."""
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    return tuple(int(ax) % np.ndim(a) for ax in axes)


def average_weights_back(adjoint, a, weights, axis):
    """The inverse of average_weights: an array shaped like the broadcast
    weights, as `weights` is shaped."""
    if axis is None or np.shape(weights) == np.shape(a):
        return np.reshape(adjoint, np.shape(weights))
    order = np.argsort(_weight_axes(a, axis))
    in_axis_order = np.reshape(adjoint, tuple(np.shape(weights)[i] for i in order))
    return np.transpose(in_axis_order, np.argsort(order))


def _average_parts(g, result, returned):
    """The adjoints of np.average's average and of its sum of weights (that
    `returned=True` adds; None when it has none), and the average itself."""
    if not returned:
        return g, None, result
    g_average, g_total = (None, None) if type(g) is float else g
    return g_average, g_total, None if result is None else result[0]


def average_adjoint_a(g, a, weights, axis, keepdims, returned=False):
    """Adjoint of np.average with respect to a: g w / sum(w), spread back
    (with `returned`, g is a pair; the sum of weights does not depend on a)."""
    g = _average_parts(g, None, returned)[0]
    if g is None:
        return np.zeros(np.shape(a), dtype=float_dtype(a))
    spread = expand_reduced(g, a, axis, keepdims)
    if weights is None:
        return np.broadcast_to(spread, np.shape(a)) * (1.0 / _count(a, axis))
    w = average_weights(a, weights, axis)
    total = np.sum(np.broadcast_to(w, np.shape(a)), axis=axis, keepdims=True)
    return np.broadcast_to(spread * w / total, np.shape(a))


def average_adjoint_weights(g, a, weights, result, axis, keepdims, returned=False):
    """Adjoint of np.average with respect to the weights: g (a - average) / sum(w),
    plus, with `returned`, the adjoint of the sum of weights spread back."""
    g, g_total, result = _average_parts(g, result, returned)
    w = average_weights(a, weights, axis)
    full_w = np.broadcast_to(w, np.shape(a))
    total = np.sum(full_w, axis=axis, keepdims=True)
    spread = np.zeros(np.shape(a), dtype=float_dtype(a, w))
    if g is not None:
        spread = spread + expand_reduced(g, a, axis, keepdims) * \
            (as_array(a) - expand_reduced(result, a, axis, keepdims)) / total
    if g_total is not None:
        spread = spread + expand_reduced(g_total, a, axis, keepdims)
    return average_weights_back(sum_to_shape(np.broadcast_to(spread, np.shape(a)), np.shape(w)),
                                a, weights, axis)


def average_tangent(g, a, weights, result, axis, keepdims, wrt, returned=False):
    """Tangent of np.average with respect to a (`wrt="a"`) or the weights;
    with `returned`, the pair of the average's and the sum of weights' tangents."""
    if returned:
        average = average_tangent(g, a, weights, result[0], axis, keepdims, wrt)
        if wrt == "a" or weights is None:
            return average, np.zeros(np.shape(result[1]), dtype=float_dtype(average))
        dw = np.broadcast_to(average_weights(a, g, axis), np.shape(a))
        total = np.sum(dw, axis=axis, keepdims=keepdims)
        return average, np.broadcast_to(total, np.shape(result[1]))
    if weights is None:
        return np.mean(g, axis=axis, keepdims=keepdims)
    w = average_weights(a, weights, axis)
    total = np.sum(np.broadcast_to(w, np.shape(a)), axis=axis, keepdims=keepdims)
    if wrt == "a":
        return np.sum(np.asarray(g) * w, axis=axis, keepdims=keepdims) / total
    dw = average_weights(a, g, axis)
    centred = np.asarray(a) - expand_reduced(result, a, axis, keepdims)
    return np.sum(np.broadcast_to(dw * centred, np.shape(a)), axis=axis,
                  keepdims=keepdims) / total


# -- gathers and scatters -----------------------------------------------------

def take_adjoint(g, a, indices, axis, mode):
    """Adjoint of np.take: g added at the taken positions (repeats accumulate)."""
    shape = np.shape(a)
    out = np.zeros(int(np.prod(shape)) if axis is None else shape, dtype=float_dtype(g))
    n = out.shape[0 if axis is None else axis]
    index = np.asarray(indices)
    if mode == "wrap":
        index = index % n
    elif mode == "clip":
        index = np.clip(index, 0, n - 1)
    if is_foreign_array(g) and index.ndim == 1:
        # dask has no np.add.at: the taken positions are rows of `out` with
        # `axis` first, added in rounds (foreign_add_at).
        ax = 0 if axis is None else axis % len(shape)
        rows = foreign_add_at(np.moveaxis(np.zeros(out.shape, dtype=out.dtype, like=g), ax, 0),
                              index, np.moveaxis(g, ax, 0))
        moved = np.moveaxis(rows, 0, ax)
        return moved.reshape(shape) if axis is None else moved
    if axis is None:
        np.add.at(out, index, g)
        return out.reshape(shape)
    np.add.at(out, (slice(None),) * (axis % len(shape)) + (index,), g)
    return out


def _along_axis_index(g_shape, a_shape, indices, axis):
    """The fancy index that np.take_along_axis(a, indices, axis) reads."""
    index = []
    for d, n in enumerate(g_shape):
        if d == axis:
            index.append(np.asarray(indices))
            continue
        shape = [1] * len(g_shape)
        shape[d] = n
        positions = np.arange(n) if a_shape[d] != 1 else np.zeros(n, dtype=int)
        index.append(positions.reshape(shape))
    return tuple(index)


def take_along_axis_adjoint(g, arr, indices, axis):
    """Adjoint of np.take_along_axis: g added back where it was read (repeats accumulate)."""
    shape = np.shape(arr)
    if axis is None:
        out = np.zeros(int(np.prod(shape)), dtype=float_dtype(g))
        np.add.at(out, np.asarray(indices), g)
        return out.reshape(shape)
    axis = axis % len(shape)
    out = np.zeros(shape, dtype=float_dtype(g))
    np.add.at(out, _along_axis_index(np.shape(g), shape, indices, axis), g)
    return out


def sort_permutation(a, axis):
    """The stable argsort that np.sort(a, axis) applies."""
    return np.argsort(np.ravel(a) if axis is None else a, axis=-1 if axis is None else axis,
                      kind="stable")


def _list_sort_order(g, a):
    """For `a.sort()` of a list (runtime effects.sort_in_place): the stable
    order sorted() takes, None for anything else or a zero derivative."""
    if not isinstance(a, list) or is_zero_number(g):
        return None
    return sorted(range(len(a)), key=a.__getitem__)


def sort_adjoint(g, a, axis):
    """Adjoint of np.sort: g put back where each sorted element came from (a
    list's derivative stays a list, entry by entry)."""
    order = _list_sort_order(g, a)
    if order is not None:
        out = [None] * len(order)
        for position, source in enumerate(order):
            out[source] = g[position]
        return ListAdjoint(out)
    order = sort_permutation(a, axis)
    if axis is None:
        out = np.zeros(np.size(a), dtype=float_dtype(g))
        out[order] = g
        return out.reshape(np.shape(a))
    out = np.zeros(np.shape(a), dtype=float_dtype(g))
    np.put_along_axis(out, order, g, axis)
    return out


def sort_tangent(g, a, axis):
    """Tangent of np.sort: g permuted like a."""
    order = _list_sort_order(g, a)
    if order is not None:
        return ListAdjoint(g[source] for source in order)
    order = sort_permutation(a, axis)
    if axis is None:
        return np.ravel(g)[order]
    return np.take_along_axis(np.asarray(g), order, axis)


# -- joins and splits ---------------------------------------------------------

def _split_along(g, arrays, axis, promote):
    """Pieces of g along `axis`, one per array (as promoted), in their shapes."""
    sizes = [np.shape(promote(a))[axis] for a in arrays]
    # Slices rather than np.split, which dask does not implement.
    ends = np.cumsum(sizes).tolist()
    before = (slice(None),) * (axis % np.ndim(g))
    pieces = [g[before + (slice(end - size, end),)] for size, end in zip(sizes, ends)]
    return sequence_adjoint((np.reshape(p, np.shape(a)) for p, a in zip(pieces, arrays)),
                            arrays)


def _same(a):
    return a


def concatenate_adjoint(g, arrays, axis):
    """Adjoint of np.concatenate: g cut back into the joined pieces."""
    if axis is None:
        return _split_along(np.ravel(g), arrays, 0, np.ravel)
    return _split_along(g, arrays, axis, _same)


def stack_adjoint(g, arrays, axis):
    """Adjoint of np.stack: the slices of g along the new axis."""
    return sequence_adjoint(np.moveaxis(as_array(g), axis, 0), arrays)


def hstack_adjoint(g, tup):
    """Adjoint of np.hstack (joins 1-d arrays on axis 0, others on axis 1)."""
    axis = 0 if np.ndim(np.atleast_1d(tup[0])) == 1 else 1
    return _split_along(g, tup, axis, np.atleast_1d)


def vstack_adjoint(g, tup):
    """Adjoint of np.vstack (arrays made 2-d, joined on axis 0)."""
    return _split_along(g, tup, 0, np.atleast_2d)


def dstack_adjoint(g, tup):
    """Adjoint of np.dstack (arrays made 3-d, joined on axis 2)."""
    return _split_along(g, tup, 2, np.atleast_3d)


def _as_column(a):
    a = np.asarray(a)
    return np.reshape(a, (-1, 1)) if a.ndim < 2 else a


def column_stack_adjoint(g, tup):
    """Adjoint of np.column_stack (1-d arrays become columns, joined on axis 1);
    one array (np.column_stack(x)) is the sequence of its rows."""
    if isinstance(tup, np.ndarray):
        pieces = np.split(np.asarray(g), np.shape(tup)[0], axis=1)
        return np.reshape(np.stack(pieces), np.shape(tup))
    return _split_along(g, tup, 1, _as_column)


def append_adjoint(g, arr, values, axis):
    """Adjoint of np.append: (arr's piece, values' piece) of g."""
    if axis is None:
        return _split_along(np.ravel(g), [arr, values], 0, np.ravel)
    return _split_along(g, [arr, values], axis, _same)


def split_adjoint(g, ary, result, axis):
    """Adjoint of np.split / np.array_split: the pieces' adjoints joined (zeros for
    pieces that received none)."""
    pieces = [part(g, i, piece) for i, piece in enumerate(result)]
    return np.concatenate(pieces, axis=axis) if pieces else np.zeros(np.shape(ary))


def unstack_adjoint(g, x, result, axis):
    """Adjoint of np.unstack: the slices' adjoints stacked back."""
    return np.stack([part(g, i, piece) for i, piece in enumerate(result)], axis=axis)


def _nested_shape(value) -> tuple:
    if isinstance(value, (list, tuple)):
        return (len(value),) + (_nested_shape(value[0]) if value else ())
    return np.shape(value)


def array_adjoint(g, object, dtype):
    """Adjoint of np.array/np.asarray: one adjoint per element of a (nested) list,
    nested like it; zero when the result is cast to integers."""
    if not is_float_dtype(dtype):
        return _zeros_like_nested(object)
    g = np.reshape(g, _nested_shape(object))  # drops the axes ndmin added
    return _split_nested(g, object)


def _split_nested(g, value):
    if isinstance(value, (list, tuple)):
        return SequenceAdjoint(_split_nested(g[i], v) for i, v in enumerate(value))
    return np.reshape(g, np.shape(value))


def _zeros_like_nested(value):
    if isinstance(value, (list, tuple)):
        return SequenceAdjoint(_zeros_like_nested(v) for v in value)
    return np.zeros(np.shape(value))


def cast_tangent(g, dtype, ndmin=0):
    """Tangent of np.array/np.asarray/astype: g in the new dtype, or zeros for integers."""
    g = np.array(g, ndmin=ndmin)
    if not is_float_dtype(dtype):
        return np.zeros(g.shape)
    if dtype is not None and np.dtype(dtype).kind == "f" and np.iscomplexobj(g):
        g = np.real(g)  # a cast of a complex value to a real dtype keeps the real part
    return g if dtype is None else g.astype(dtype)


def cast_adjoint(g, x, dtype):
    """Adjoint of astype: g back in x's float dtype, or zeros for a cast to integers."""
    if not is_float_dtype(dtype):
        return np.zeros(np.shape(x), dtype=float_dtype(x))
    if np.iscomplexobj(g) and not np.iscomplexobj(x):
        g = np.real(g)  # a real value cast to complex: its derivative is the real part
    return np.asarray(g, dtype=float_dtype(x))


# -- shape functions ----------------------------------------------------------

def tile_adjoint(g, A, reps):
    """Adjoint of np.tile: the sum of g over the copies."""
    shape = np.shape(A)
    reps = tuple(reps) if np.ndim(reps) else (int(reps),)
    ndim = max(len(shape), len(reps))
    shape_full = (1,) * (ndim - len(shape)) + shape
    reps_full = (1,) * (ndim - len(reps)) + reps
    interleaved = [n for pair in zip(reps_full, shape_full) for n in pair]
    summed = np.sum(np.reshape(g, interleaved), axis=tuple(range(0, 2 * ndim, 2)))
    return np.reshape(summed, shape)


def sliding_window_adjoint(g, x, window_shape, axis=None):
    """Adjoint of np.lib.stride_tricks.sliding_window_view(x, window_shape,
    axis): every window's entries added back where they were read. Entry
    (i, k) of the view is x at i shifted by the offsets k along `axis` (an
    axis named twice takes both offsets, as NumPy's view does), so for each
    offset in the window the slice of g holding it adds into x's trimmed
    region starting there.

    Example:
        >>> sliding_window_adjoint(np.ones((2, 2)), np.zeros(3), 2)
        array([1., 2., 1.])
    """
    shape = np.shape(x)
    window = tuple(window_shape) if np.iterable(window_shape) else (window_shape,)
    axes = tuple(range(len(shape))) if axis is None else \
        tuple(axis) if np.iterable(axis) else (axis,)
    axes = tuple(a % len(shape) for a in axes)
    trimmed = list(shape)
    for a, size in zip(axes, window):
        trimmed[a] -= size - 1
    out = np.zeros(shape, dtype=float_dtype(g))
    for offsets in np.ndindex(*window):
        start = [0] * len(shape)
        for a, offset in zip(axes, offsets):
            start[a] += offset
        out[tuple(slice(s, s + t) for s, t in zip(start, trimmed))] += \
            as_array(g)[(Ellipsis,) + offsets]
    return out


def repeat_adjoint(g, a, repeats, axis):
    """Adjoint of np.repeat: each element collects the adjoints of its copies."""
    shape = np.shape(a)
    if axis is None:
        n, moved = int(np.prod(shape)), np.ravel(g)
    else:
        axis = axis % len(shape)
        n, moved = shape[axis], np.moveaxis(as_array(g), axis, 0)
    source = np.repeat(np.arange(n), repeats)
    out = np.zeros((n,) + moved.shape[1:], dtype=float_dtype(g),
                   **({"like": g} if is_foreign_array(g) else {}))
    if is_foreign_array(g):
        out = foreign_add_at(out, source, moved)  # dask has no np.add.at
    else:
        np.add.at(out, source, moved)
    return out.reshape(shape) if axis is None else np.moveaxis(out, 0, axis)


_GATHER_PAD_MODES = ("edge", "reflect", "symmetric", "wrap")


def check_pad_mode(mode):
    if mode not in ("constant",) + _GATHER_PAD_MODES:
        raise NoDerivativeRuleError(
            f"np.pad is differentiated for the modes 'constant', 'edge', 'reflect', "
            f"'symmetric' and 'wrap', not {mode!r}",
            help="Build the padding from slices and np.concatenate instead.")


def pad_adjoint(g, array, pad_width, mode):
    """Adjoint of np.pad: the interior of g (constant mode), or g added back to
    the elements each padded entry copies (edge, reflect, symmetric, wrap)."""
    check_pad_mode(mode)
    shape = np.shape(array)
    widths = np.broadcast_to(as_array(pad_width, dtype=int), (len(shape), 2))
    if mode == "constant":
        return as_array(g)[tuple(slice(lo, lo + n) for (lo, _), n in zip(widths, shape))]
    source = np.pad(np.arange(int(np.prod(shape))).reshape(shape), pad_width, mode=mode)
    count = int(np.prod(shape))
    summed = np.bincount(source.ravel(), weights=np.real(np.ravel(g)), minlength=count)
    if np.iscomplexobj(g):
        summed = summed + 1j * np.bincount(source.ravel(), weights=np.imag(np.ravel(g)),
                                           minlength=count)
    return summed.astype(float_dtype(g)).reshape(shape)


def pad_constant_adjoint(g, array, pad_width):
    """Adjoint of np.pad(..., constant_values=c) with respect to a scalar c."""
    return np.sum(g) - np.sum(pad_adjoint(g, array, pad_width, "constant"))


def pad_tangent(g, pad_width, mode):
    """Tangent of np.pad with respect to the array (padding constants are zero)."""
    check_pad_mode(mode)
    return np.pad(g, pad_width, mode=mode)


def diff_adjoint(g, n, axis, shape=None):
    """Adjoint of np.diff: n times the transpose of the first difference (zeros
    of the input's `shape` when the result is empty: n >= its length)."""
    if shape is not None and np.prod(np.shape(g)) == 0:  # np.size would compute dask's g
        return np.zeros(shape, dtype=float_dtype(g))
    for _ in range(n):
        moved = np.moveaxis(as_array(g), axis, -1)
        zero = np.zeros_like(moved[..., :1])
        g = np.moveaxis(np.concatenate([zero, moved], axis=-1) -
                        np.concatenate([moved, zero], axis=-1), -1, axis)
    return g


def _diff_pieces(a, prepend, append, axis):
    """(name, array) of what np.diff joins along axis: prepend, a, append,
    those not given (None) left out, a 0-d one broadcast to length 1 along axis."""
    pieces = []
    for name, value in (("prepend", prepend), ("a", a), ("append", append)):
        if value is None or value is np._NoValue:   # (NumPy's own default: not given)
            continue
        value = as_array(value)
        if value.ndim == 0 and name != "a":
            shape = list(np.shape(a))
            shape[axis] = 1
            value = np.broadcast_to(value, shape)
        pieces.append((name, value))
    return pieces


def diff_joined(t, a, prepend, append, axis, part, n=1):
    """The tangent of np.diff(a, n, axis, prepend, append) in `part` ('a',
    'prepend' or 'append') is np.diff of this: the joined operand with g as
    `part` (t, its tangent) and zeros as the others. For n = 0 NumPy returns
    `a` itself, joining nothing.

    >>> diff_joined(np.ones(2), np.ones(2), 0.0, None, -1, "a")
    array([0., 1., 1.])
    """
    if n == 0:
        return t if part == "a" else np.zeros(np.shape(a), dtype=np.result_type(t, 0.0))
    pieces = _diff_pieces(a, prepend, append, axis)
    if len(pieces) == 1:
        return t
    dtype = np.result_type(t, 0.0)
    return np.concatenate(
        [np.broadcast_to(np.asarray(t, dtype=dtype), np.shape(value)) if name == part
         else np.zeros(np.shape(value), dtype) for name, value in pieces], axis=axis)


def joined_part(adjoint, a, prepend, append, axis, part, n=1):
    """The transpose of diff_joined: `part`'s slice of the adjoint of the
    joined operand, summed down to part's shape (a 0-d prepend was broadcast);
    for n = 0, where NumPy joins nothing, the adjoint itself for 'a' and zeros
    for the others."""
    original = {"prepend": prepend, "a": a, "append": append}[part]
    if n == 0:
        return adjoint if part == "a" else np.zeros(np.shape(original), float_dtype(adjoint))
    pieces = _diff_pieces(a, prepend, append, axis)
    if len(pieces) == 1:
        return adjoint
    start = 0
    for name, value in pieces:
        stop = start + np.shape(value)[axis]
        if name == part:
            index = (slice(None),) * (axis % np.ndim(a)) + (slice(start, stop),)
            return sum_to_shape(adjoint[index], np.shape(original))
        start = stop
    raise InternalCompilerError(f"np.diff's adjoint was asked for a part it has no: {part}")


def diff_joined_adjoint(adjoint, n, axis, a, prepend, append, part):
    """Adjoint of np.diff(a, n, axis, prepend, append) in `part`: the adjoint
    of the joined operand (diff_adjoint), its slice of `part` (joined_part)."""
    shape = list(np.shape(a))
    if n:
        shape[axis] = sum(np.shape(value)[axis]
                          for _, value in _diff_pieces(a, prepend, append, axis))
    return joined_part(diff_adjoint(adjoint, n, axis, tuple(shape)), a, prepend, append, axis,
                       part, n)


def meshgrid_adjoint(g, xs, k, indexing, sparse):
    """Adjoint of np.meshgrid(*xs) in xs[k]: the k-th grid's adjoint summed over
    every axis but the one xs[k] runs along (the first two trade places for
    indexing='xy'), shaped as xs[k] (NumPy ravels each input)."""
    given = [x for x in xs if x is not None]
    grid = entry(g, k)
    if grid is None:
        return np.zeros(np.shape(xs[k]), dtype=float_dtype(xs[k]))
    along = k
    if indexing == "xy" and len(given) > 1 and k < 2:
        along = 1 - k
    others = tuple(axis for axis in range(np.ndim(grid)) if axis != along)
    return np.reshape(np.sum(grid, axis=others), np.shape(xs[k]))


def meshgrid_tangent(t, xs, k, indexing, sparse):
    """Tangent of np.meshgrid(*xs) in xs[k]: the grids of t in xs[k]'s place and
    zeros in the others'."""
    dtype = float_dtype(t)
    moved = [t if i == k else np.zeros(np.shape(x), dtype=dtype)
             for i, x in enumerate(xs) if x is not None]
    return np.meshgrid(*moved, indexing=indexing, sparse=sparse)


def _linspace_fraction(num, endpoint, axis, ndim, dtype):
    """The fractions t with linspace = start + t (stop - start), shaped for the result."""
    if num == 1:
        fraction = np.zeros(1, dtype=dtype)
    else:
        fraction = np.arange(num, dtype=dtype) / (num - 1 if endpoint else num)
    shape = [1] * ndim
    shape[axis % ndim] = num
    return fraction.reshape(shape)


def check_float_dtype(dtype):
    """Refuse an integer or boolean `dtype=` of a differentiated call
    (`np.sum(x, dtype=int)`): NumPy then rounds the values, and the result's
    derivative is zero almost everywhere, which the rule does not compute.

    Example:
        >>> check_float_dtype(np.float32)   # floating and complex dtypes pass
    """
    if dtype is None or np.dtype(dtype).kind in "fc":
        return
    refuse_integer_dtype(np.dtype(dtype).name)


def refuse_integer_dtype(name: str):
    """The refusal of check_float_dtype, also for the array API's dtypes
    (runtime/namespaces.py's xp_check_float_dtype)."""
    raise NoDerivativeRuleError(
        f"dtype={name} makes the result of a differentiated call integer-valued (the "
        "values are rounded or truncated); its derivative is zero almost everywhere, and "
        "the rule differentiates floating and complex results only",
        help="Instead: compute in floating point (no dtype, or dtype=float) and round the "
        "result yourself (np.floor(...)), in ad.stop_gradient(...) if it carries no "
        "derivative.")


def check_linspace_arguments(retstep, dtype):
    check_retstep(retstep)
    check_float_dtype(dtype)


def check_retstep(retstep):
    if retstep:
        raise NoDerivativeRuleError(
            "np.linspace(..., retstep=True) returns a tuple and is not differentiated",
            help="Compute the step as (stop - start) / (num - 1) yourself.")


def linspace_adjoint(g, start, stop, num, endpoint, retstep, axis, wrt):
    """Adjoint of np.linspace with respect to `start` or `stop` (wrt names it)."""
    check_retstep(retstep)
    g = np.asarray(g)
    fraction = _linspace_fraction(num, endpoint, axis, g.ndim, float_dtype(g))
    weight = fraction if wrt == "stop" else 1.0 - fraction
    summed = np.sum(g * weight, axis=axis % g.ndim)
    return sum_to_shape(summed, np.shape(stop if wrt == "stop" else start))


def linspace_tangent(g, start, stop, num, endpoint, retstep, axis, wrt):
    """Tangent of np.linspace with respect to `start` or `stop`."""
    check_retstep(retstep)
    ends = np.broadcast(np.asarray(start), np.asarray(stop))
    ndim = len(ends.shape) + 1
    axis = axis % ndim
    fraction = _linspace_fraction(num, endpoint, axis, ndim, float_dtype(g))
    weight = fraction if wrt == "stop" else 1.0 - fraction
    spread = np.expand_dims(np.broadcast_to(g, ends.shape), axis)
    return spread * weight


def _arange_weights(stop, count, wrt, dtype):
    """d np.arange(start, stop, step)[i] / d wrt: its values are start + i * step,
    and their number is piecewise constant in every argument. With one
    positional argument (`stop` None) that argument is the stop: no weight."""
    if wrt == "step":
        return np.arange(count, dtype=dtype)
    if wrt == "start" and stop is not None:
        return np.ones(count, dtype=dtype)
    return np.zeros(count, dtype=dtype)


def arange_adjoint(g, stop, wrt):
    """Adjoint of np.arange with respect to `start`, `stop` or `step` (wrt names
    it), a scalar:

        >>> float(arange_adjoint(np.array([1.0, 2.0, 3.0]), 4.5, "step"))
        8.0
    """
    g = np.asarray(g)
    return np.sum(g * _arange_weights(stop, g.size, wrt, float_dtype(g)))


def arange_tangent(g, stop, like, wrt):
    """Tangent of np.arange with respect to `start`, `stop` or `step`: shaped like
    `like` (the result, or for a second derivative the adjoint it transposes)."""
    return g * _arange_weights(stop, np.size(like), wrt, float_dtype(g))


def layout_order(a, order):
    """The index order, 'C' or 'F', in which np.ravel(a, order) and np.reshape(a,
    shape, order) read `a`: 'A' is 'F' for a Fortran-contiguous array and 'C'
    otherwise, 'K' is the order of `a`'s strides. Their derivatives reshape in
    that order, whatever the memory layout of the derivative itself.

        >>> layout_order(np.ones((2, 3)).T, "A"), layout_order(np.ones((2, 3)), "K")
        ('F', 'C')
    """
    if order not in ("A", "K", "a", "k"):
        return order
    a = np.asarray(a)
    if order in ("A", "a"):
        return "F" if a.flags.f_contiguous and not a.flags.c_contiguous else "C"
    strides = [stride for stride, length in zip(a.strides, a.shape) if length > 1]
    if all(stride > 0 for stride in strides):
        if strides == sorted(strides, reverse=True):
            return "C"
        if strides == sorted(strides):
            return "F"
    raise NoDerivativeRuleError(
        "order='K' reads this array in the order of its strides, which is neither C's "
        "nor Fortran's (axes permuted or reversed), and is not differentiated",
        help="Name the order: order='C' (rows first) or order='F' (columns first).")


# -- transposes of the helpers above, for derivatives of derivatives ----------------

def pieces(g, like):
    """The entries of a sequence derivative `g` as arrays, zeros (shaped like the
    matching entry of `like`) where an entry, or all of `g`, is zero."""
    return [part(g, i, element) for i, element in enumerate(like)]


def part_adjoint(g, sequence, index):
    """Adjoint of part(sequence, index, like): g at `index` of a sequence of zeros."""
    entries = [None] * len(sequence) if isinstance(sequence, (tuple, list)) else None
    if entries is None:
        raise NoDerivativeRuleError("a second derivative through a sequence adjoint that "
                                    "is zero as a whole")
    entries[index] = g
    return sequence_adjoint(entries, sequence)


def uncast(g, like, dtype):
    """Transpose of a cast (cast_tangent, cast_adjoint): g back in the shape and
    float dtype of `like`, or zeros for a cast to integers."""
    if not is_float_dtype(dtype):
        return np.zeros(np.shape(like), dtype=float_dtype(like))
    g = np.reshape(np.asarray(g, dtype=float_dtype(like)), np.shape(like))
    if not isinstance(like, (np.ndarray, np.generic)) and np.ndim(g) == 0:
        return float(g)
    return g


def array_from_adjoints(g, object, dtype, like):
    """Transpose of array_adjoint: the nested per-element derivatives `g` joined
    back into one array shaped like `like` (zero entries as zeros)."""
    if not is_float_dtype(dtype):
        return np.zeros(np.shape(like), dtype=float_dtype(like))
    return np.reshape(np.asarray(_join_nested(g, object), dtype=float_dtype(like)),
                      np.shape(like))


def _join_nested(g, value):
    if isinstance(value, (list, tuple)):
        return [_join_nested(entry(g, i) if not is_zero_number(g) else None, v)
                for i, v in enumerate(value)]
    return np.zeros(np.shape(value)) if g is None else np.asarray(g)


def prod_others_tangent(t, a, axis):
    """Derivative of prod_others(a, axis) along t: for each element, the sum over
    the other elements j of t_j times the product of all but the two. Its
    Jacobian is symmetric, so this is also its adjoint. Exact with zeros."""
    a = as_array(a)
    t = np.broadcast_to(as_array(t, dtype=float_dtype(t, a)), a.shape)
    if a.ndim == 0:
        return np.zeros_like(t)
    axes = reduced_axes(axis, a.ndim)
    kept = a.ndim - len(axes)
    moved_a = np.moveaxis(a, axes, tuple(range(kept, a.ndim)))
    moved_t = np.moveaxis(t, axes, tuple(range(kept, a.ndim)))
    flat_a = moved_a.reshape(moved_a.shape[:kept] + (-1,)).astype(t.dtype)
    flat_t = moved_t.reshape(moved_a.shape[:kept] + (-1,))
    total = np.zeros_like(flat_a)
    for j in range(flat_a.shape[-1]):
        # a with a_j replaced by t_j: its products of the others are t_j times the
        # product of all but two, except at j itself, which is left out.
        replaced = flat_a.copy()
        replaced[..., j] = flat_t[..., j]
        others = prod_others(replaced, -1)
        others[..., j] = 0
        total = total + others
    return np.moveaxis(total.reshape(moved_a.shape), tuple(range(kept, a.ndim)), axes)
