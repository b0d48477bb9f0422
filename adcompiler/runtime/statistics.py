"""Run-time helpers of the order-statistics and NaN-reduction rules
(rules/statistics_rules.py).

A quantile of a slice is a weighted gather of the one or two order
statistics it interpolates, s[lo] and s[hi] of the sorted slice:

    quantile = (1 - gamma) * s[lo] + gamma * s[hi]

so its derivative in `a` is that gather's weights, W. Ties share: the weight of
s[lo] is spread evenly over every entry of the slice equal to s[lo] (as np.max
shares among its ties), and likewise for s[hi]; q = 1 gives np.max's rule.
For the continuous methods gamma moves linearly with q inside a segment, so the
weights are written W = offset + q * slope, both piecewise constant (what
these helpers return): the rule templates combine them with q by NumPy
arithmetic, so a derivative of the derivative in q is exact too.

Every helper here is piecewise constant in the differentiated values (masks,
counts, weights, shapes), declared non-differentiable in the rule file; the
derivatives flow through the NumPy calls of the templates around them.

    >>> a, q = np.array([3.0, 1.0, 2.0, 5.0]), 0.5
    >>> offset = quantile_weights_offset(a, q, None, 'linear', False, 1.0)
    >>> slope = quantile_weights_slope(a, q, None, 'linear', False, 1.0)
    >>> offset + q * slope          # the median, (3 + 2) / 2
    array([0.5, 0. , 0.5, 0. ])
    >>> slope                       # it moves from 2 towards 3 at 3 per unit of q
    array([ 3.,  0., -3.,  0.])
"""

from __future__ import annotations

import numpy as np

from ..errors import NoDerivativeRuleError
from .arrays import extremum_weights, float_dtype, reduced_axes
from .complex_numbers import refuse_complex

# Hyndman and Fan's continuous methods as NumPy computes their virtual index,
# q * (n + 1 - alpha - beta) + alpha - 1: method -> (alpha, beta).
CONTINUOUS_METHODS = {"linear": (1.0, 1.0), "hazen": (0.5, 0.5), "weibull": (0.0, 0.0),
                      "median_unbiased": (1 / 3.0, 1 / 3.0),
                      "normal_unbiased": (3 / 8.0, 3 / 8.0),
                      "interpolated_inverted_cdf": (0.0, 1.0)}
# Methods whose quantile is one order statistic or the midpoint of two: a step
# function of q.
DISCRETE_METHODS = ("inverted_cdf", "averaged_inverted_cdf", "closest_observation",
                    "lower", "higher", "midpoint", "nearest")


def check_quantile_arguments(method="linear", overwrite_input=False, weights=None):
    """Refuse what the quantile rules do not model: an unknown method, weights
    (NumPy's weighted inverted_cdf), and overwrite_input=True (NumPy then
    reorders the array the derivative reads)."""
    if method not in CONTINUOUS_METHODS and method not in DISCRETE_METHODS:
        raise NoDerivativeRuleError(
            f"a quantile with method={method!r} has no derivative rule",
            help="Use one of NumPy's methods: " + ", ".join([*CONTINUOUS_METHODS,
                                                              *DISCRETE_METHODS]) + ".")
    if weights is not None:
        raise NoDerivativeRuleError(
            "a weighted quantile (weights=...) is not differentiated",
            help="Call it without weights, or write the weighted quantile out yourself "
                 "(np.sort and np.cumsum of the weights).")
    check_overwrite_input(overwrite_input)


def check_overwrite_input(overwrite_input=False):
    """Refuse overwrite_input=True: NumPy then reorders the array that the
    derivative reads."""
    if overwrite_input:
        raise NoDerivativeRuleError(
            "a quantile or median with overwrite_input=True is not differentiated: NumPy "
            "then reorders the array that the derivative reads",
            help="Leave overwrite_input at False.")


def _slices(a, axis):
    """`a` (an array, at least 1-d) with the reduced axes moved last and
    flattened into one: shape kept + (n,)."""
    axes = reduced_axes(axis, a.ndim)
    kept = a.ndim - len(axes)
    moved = np.moveaxis(a, axes, tuple(range(kept, a.ndim)))
    return moved.reshape(moved.shape[:kept] + (-1,)), moved.shape, axes


def _order_statistics(a, q, axis, method, ignore_nan, scale):
    """(low weights, high weights, gamma, dgamma/dq), each shaped
    q.shape + a.shape (gamma and its slope broadcast along the slice)."""
    flat, moved_shape, axes = _slices(a, axis)
    q = np.asarray(q, dtype=np.float64) / scale
    n_total = flat.shape[-1]
    missing = np.isnan(flat)
    counts = n_total - np.sum(missing, axis=-1) if ignore_nan else \
        np.full(flat.shape[:-1], n_total)
    lead = (Ellipsis,)
    low = np.zeros(q.shape + flat.shape[:-1], dtype=np.intp)
    high = np.zeros_like(low)
    gamma = np.zeros(low.shape)
    slope = np.zeros(low.shape)
    for n in np.unique(counts):
        n = int(n)
        if n == 0:
            continue  # an all-NaN slice: nothing to gather, the weights stay 0
        chosen = counts == n
        # NumPy's own quantile of 0, 1, ..., n - 1 is the virtual index it
        # interpolates at: lo + gamma, with the method's rounding and clamping.
        position = np.quantile(np.arange(n, dtype=np.float64), q, method=method)
        lo = np.floor(position)
        hi = np.minimum(lo + 1, n - 1)
        low[lead + (chosen,)] = lo.astype(np.intp)[..., None]
        high[lead + (chosen,)] = hi.astype(np.intp)[..., None]
        gamma[lead + (chosen,)] = (position - lo)[..., None]
        if method in CONTINUOUS_METHODS:
            alpha, beta = CONTINUOUS_METHODS[method]
            per_q = n + 1.0 - alpha - beta
            virtual = q * per_q + alpha - 1.0 if method != "linear" else (n - 1) * q
            # Clamped below the first or at the last order statistic: constant in q.
            moving = (virtual >= 0) & (virtual < n - 1)
            slope[lead + (chosen,)] = np.where(moving, per_q / scale, 0.0)[..., None]
    ordered = np.sort(flat, axis=-1)
    dtype = float_dtype(a)

    def shared(index):
        if n_total == 0:  # np.median of an empty array: NaN, reached by nothing
            return np.zeros(index.shape + (0,))
        value = np.take_along_axis(np.broadcast_to(ordered, low.shape + (n_total,)),
                                   index[..., None], axis=-1)
        mask = flat == value
        count = np.sum(mask, axis=-1, keepdims=True)
        return np.where(count > 0, mask / np.maximum(count, 1), 0.0)

    def back(weights):
        # q.shape + kept + (n,) -> q.shape + a.shape; NaN for the slices of a
        # plain (not nan*) quantile that hold a NaN, whose value is NaN.
        if not ignore_nan:
            weights = np.where(np.any(missing, axis=-1, keepdims=True), np.nan, weights)
        weights = weights.reshape(q.shape + moved_shape)
        kept = a.ndim - len(axes)
        lead_dims = q.ndim
        return np.moveaxis(weights, tuple(range(lead_dims + kept, lead_dims + a.ndim)),
                           tuple(lead_dims + ax for ax in axes)).astype(dtype, copy=False)

    along = low.shape + (n_total,)
    return (back(shared(low)), back(shared(high)),
            back(np.broadcast_to(gamma[..., None], along)),
            back(np.broadcast_to(slope[..., None], along)))


def _as_array(a):
    a = np.asarray(a)
    return a.reshape(1) if a.ndim == 0 else a


def quantile_weights(a, q, axis, method, ignore_nan, scale, weights=None,
                     overwrite_input=False):
    """The quantile's weights W at a constant q (np.median's 0.5), shape
    q.shape + a.shape: a's derivative is the sum of W times its own.

        >>> quantile_weights(np.array([3.0, 1.0, 2.0, 5.0]), 0.5, None, 'linear', False, 1.0)
        array([0.5, 0. , 0.5, 0. ])
    """
    check_quantile_arguments(method, overwrite_input, weights)
    refuse_complex("a quantile", a)
    low, high, gamma, _ = _order_statistics(_as_array(a), q, axis, method, ignore_nan, scale)
    return (low + gamma * (high - low)).reshape(np.shape(q) + np.shape(a))


def quantile_weights_offset(a, q, axis, method, ignore_nan, scale, weights=None,
                            overwrite_input=False):
    """The part of the quantile's weights W = offset + q * slope that does not
    move with q (shape q.shape + a.shape): W itself for the discrete methods.

        >>> quantile_weights_offset(np.array([1.0, 2.0, 3.0, 4.0]), 0.5, 0, 'lower', False, 1.0)
        array([0., 1., 0., 0.])
    """
    check_quantile_arguments(method, overwrite_input, weights)
    refuse_complex("a quantile", a)
    array = _as_array(a)
    low, high, gamma, slope = _order_statistics(array, q, axis, method, ignore_nan, scale)
    offset = low + (gamma - np.asarray(q, dtype=np.float64).reshape(
        np.shape(q) + (1,) * array.ndim) * slope) * (high - low)
    return offset.astype(low.dtype, copy=False).reshape(np.shape(q) + np.shape(a))


def quantile_weights_slope(a, q, axis, method, ignore_nan, scale, weights=None,
                           overwrite_input=False, for_q=False):
    """d W / d q (shape q.shape + a.shape): (high - low weights) times how fast
    the virtual index moves with q; 0 for the discrete methods, whose quantile
    is a step function of q. `for_q` (the derivative in q itself) refuses
    those rather than give that zero.

        >>> quantile_weights_slope(np.array([1.0, 2.0, 4.0]), 0.25, 0, 'linear', False, 1.0)
        array([-2.,  2.,  0.])
    """
    check_quantile_arguments(method, overwrite_input, weights)
    if for_q and method not in CONTINUOUS_METHODS:
        raise NoDerivativeRuleError(
            f"a quantile with method={method!r} is a step function of q: it is not "
            "differentiated in q",
            help="Pass q as a value that does not depend on the differentiated arguments, "
                 "or use a continuous method (" + ", ".join(CONTINUOUS_METHODS) + ").")
    refuse_complex("a quantile", a)
    if method not in CONTINUOUS_METHODS:
        return np.zeros(np.shape(q) + np.shape(a), dtype=float_dtype(a))
    array = _as_array(a)
    low, high, _, slope = _order_statistics(array, q, axis, method, ignore_nan, scale)
    return (slope * (high - low)).reshape(np.shape(q) + np.shape(a))


def quantile_spread_shape(a, q, axis):
    """The shape a quantile's output takes to broadcast against its weights:
    q.shape + a.shape with 1 on the reduced axes.

        >>> quantile_spread_shape(np.ones((2, 3)), [0.1, 0.9], -1)
        (2, 2, 1)
    """
    shape = np.shape(a)
    axes = reduced_axes(axis, len(shape))
    return np.shape(q) + tuple(1 if i in axes else n for i, n in enumerate(shape))


def quantile_q_shape(a, q):
    """q.shape + (1,) * a.ndim: q set to broadcast against the weights.

        >>> quantile_q_shape(np.ones((2, 3)), [0.1, 0.9])
        (2, 1, 1)
    """
    return np.shape(q) + (1,) * np.ndim(a)


def quantile_q_axes(q):
    """The leading axes of the weights, q's own.

        >>> quantile_q_axes([0.1, 0.9]), quantile_q_axes(0.5)
        ((0,), ())
    """
    return tuple(range(np.ndim(q)))


def quantile_a_axes(a, q, axis=None):
    """The axes of the weights that a's reduced axes (all of a's for axis=None) became.

        >>> quantile_a_axes(np.ones((2, 3)), [0.1, 0.9], -1), quantile_a_axes(np.ones(3), 0.5)
        ((2,), (0,))
    """
    return tuple(np.ndim(q) + ax for ax in reduced_axes(axis, np.ndim(a)))


def dtype_of(value):
    """The dtype of a result, which q is cast to in the weights (a float32
    quantile keeps float32 derivatives).

        >>> dtype_of(np.float32(1.0))
        dtype('float32')
    """
    return np.asarray(value).dtype


def nan_extremum_weights(a, result, axis, keepdims):
    """extremum_weights of np.nanmax/np.nanmin: NaN entries never attain the
    extremum, and an all-NaN slice (whose result is NaN) has weights 0.

        >>> a = np.array([[2.0, np.nan, 2.0], [np.nan, np.nan, np.nan]])
        >>> nan_extremum_weights(a, np.nanmax(a, axis=1), 1, False)
        array([[0.5, 0. , 0.5],
               [0. , 0. , 0. ]])
    """
    refuse_complex("np.nanmax or np.nanmin", a)
    with np.errstate(invalid="ignore", divide="ignore"):
        weights = extremum_weights(a, result, axis, keepdims)
    return np.where(np.isnan(weights), 0.0, weights).astype(weights.dtype, copy=False)


def nan_var_scale(a, axis, ddof):
    """2 / (n - ddof) for np.nanvar, n counting the entries that are not NaN
    (keepdims shape); 0 for an all-NaN slice (no entry reaches its NaN), and
    NaN where 0 < n <= ddof (np.nanvar's value is NaN there).

        >>> nan_var_scale(np.array([[1.0, np.nan, 3.0], [np.nan] * 3]), 1, 1)
        array([[2.],
               [0.]])
    """
    refuse_complex("np.nanvar or np.nanstd", a)
    counts = np.sum(np.logical_not(np.isnan(a)), axis=axis, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(counts == 0, 0.0, np.where(counts - ddof <= 0, np.nan,
                                                     2.0 / (counts - ddof)))
    return scale.astype(float_dtype(a), copy=False)


def all_nan_slices(a, axis, keepdims):
    """Where np.nan* reduced only NaN entries (its result is NaN there, and no
    entry reaches it: the derivative is 0).

        >>> all_nan_slices(np.array([[np.nan, 1.0], [np.nan, np.nan]]), 1, False)
        array([False,  True])
    """
    return np.all(np.isnan(a), axis=axis, keepdims=keepdims)


def check_nan_to_num_copy(copy=True):
    """Refuse np.nan_to_num(x, copy=False): it replaces the entries of x in
    place, so that the derivative would no longer see which were NaN or inf."""
    if not copy:
        raise NoDerivativeRuleError(
            "np.nan_to_num(..., copy=False) is not differentiated: it overwrites the "
            "entries whose derivative it replaces",
            help="Leave copy at True (and assign the result: x = np.nan_to_num(x)).")


def nan_to_num_entries(x, copy, which):
    """Where np.nan_to_num passes x through (`which` = 'finite') or puts in
    its `nan`, `posinf` or `neginf`; real x only (for complex x it replaces the
    parts separately).

        >>> nan_to_num_entries(np.array([1.0, np.nan, np.inf]), True, 'finite')
        array([ True, False, False])
    """
    check_nan_to_num_copy(copy)
    refuse_complex("np.nan_to_num", x)
    test = {"finite": np.isfinite, "nan": np.isnan, "posinf": np.isposinf,
            "neginf": np.isneginf}[which]
    return test(x)


# The names rule templates may call (runtime/__init__.py adds them).
TEMPLATE_HELPERS = {helper.__name__: helper for helper in (
    quantile_weights, quantile_weights_offset, quantile_weights_slope, quantile_spread_shape, quantile_q_shape,
    quantile_q_axes, quantile_a_axes, dtype_of, nan_extremum_weights, nan_var_scale,
    all_nan_slices, nan_to_num_entries)}
