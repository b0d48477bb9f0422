"""Runtime helpers for the NumPy rules that work along an axis of samples
(rules/numpy_extra_rules.py): differences (np.gradient, np.ediff1d,
np.unwrap), integrals and running totals (np.trapezoid, cumulative_sum,
cumulative_prod), interpolation (np.interp) and grids (np.logspace,
np.geomspace).
"""

from __future__ import annotations

import numpy as np

from ..errors import NoDerivativeRuleError
from .arrays import cumprod_adjoint, cumprod_tangent, cumsum_adjoint, entry, float_dtype, \
    sum_to_shape
from .complex_numbers import refuse_complex


# -- np.gradient ------------------------------------------------------------------------------

def _gradient_axes(f, axis):
    if axis is None:
        return list(range(np.ndim(f)))
    if isinstance(axis, (tuple, list)):
        return [int(ax) % np.ndim(f) for ax in axis]
    return [int(axis) % np.ndim(f)]


def gradient_adjoint(g, f, spacing, axis, edge_order):
    """Adjoint of np.gradient (linear in f): along each axis, the transpose of the
    difference matrix D = np.gradient(I), one axis's adjoint per result."""
    axes = _gradient_axes(f, axis)
    out = np.zeros(np.shape(f), dtype=float_dtype(f))
    for k in range(len(axes)):
        ax = axes[k]
        gk = g if len(axes) == 1 else entry(g, k)
        if gk is None:
            continue
        size = np.shape(f)[ax]
        if spacing is None:
            matrix = np.gradient(np.eye(size), axis=0, edge_order=edge_order)
        else:
            matrix = np.gradient(np.eye(size), spacing, axis=0, edge_order=edge_order)
        moved = np.tensordot(matrix.T, np.moveaxis(np.asarray(gk), ax, 0), axes=1)
        out = out + np.moveaxis(moved, 0, ax)
    return out


def gradient_spacings(f, s1, s2, s3=None, s4=None, axis=None, edge_order=1):
    """np.gradient(f, s1, s2, ...) with a spacing for each axis, which the
    normaliser writes for a call of np.gradient given two to four spacings
    (passes/keyword_forms.py), so that its rule can name them.

    Example:
        >>> rows, columns = gradient_spacings(np.outer([1., 2.], [1., 3.]), 1.0, 0.5)
        >>> columns
        array([[4., 4.],
               [8., 8.]])
    """
    spacings = [s for s in (s1, s2, s3, s4) if s is not None]
    return np.gradient(f, *spacings, axis=axis, edge_order=edge_order)


def gradient_spacings_adjoint(g, f, s1, s2, s3, s4, axis, edge_order):
    """Adjoint of gradient_spacings in f: gradient_adjoint's, axis by axis,
    each axis with its own spacing."""
    axes = _gradient_axes(f, axis)
    spacings = [s for s in (s1, s2, s3, s4) if s is not None]
    out = np.zeros(np.shape(f), dtype=float_dtype(f))
    for k in range(len(axes)):
        ax = axes[k]
        gk = entry(g, k)
        if gk is None:
            continue
        size = np.shape(f)[ax]
        matrix = np.gradient(np.eye(size), spacings[k], axis=0, edge_order=edge_order)
        moved = np.tensordot(matrix.T, np.moveaxis(np.asarray(gk), ax, 0), axes=1)
        out = out + np.moveaxis(moved, 0, ax)
    return out


def gradient_tangent(g, spacing, axis, edge_order):
    """Tangent of np.gradient: np.gradient of the tangent (it is linear in f)."""
    if spacing is None:
        return np.gradient(g, axis=axis, edge_order=edge_order)
    return np.gradient(g, spacing, axis=axis, edge_order=edge_order)


# -- np.interp, np.trapezoid ------------------------------------------------------------------

def check_interp_period(period):
    if period is not None:
        raise NoDerivativeRuleError(
            "np.interp(..., period=...) is not differentiated",
            help="Map x into one period yourself (np.mod) and call np.interp without period.")


def interp_slope(x, xp, fp):
    """d np.interp(x, xp, fp) / dx: the slope of the segment holding x (0 outside)."""
    xp, fp = np.asarray(xp), np.asarray(fp)   # lists (np.interp(x, [0.0, 1.0], ...)) too
    last = np.shape(xp)[0] - 1
    segment = np.clip(np.searchsorted(xp, x, side="right") - 1, 0, last - 1)
    slope = (fp[segment + 1] - fp[segment]) / (xp[segment + 1] - xp[segment])
    inside = np.logical_and(np.greater_equal(x, xp[0]), np.less_equal(x, xp[last]))
    return np.where(inside, slope, 0.0)


def _interp_segments(x, xp, fp):
    """(segment, slope, fraction t along it, inside the table?) of each x."""
    last = np.shape(xp)[0] - 1
    segment = np.clip(np.searchsorted(xp, x, side="right") - 1, 0, last - 1)
    width = xp[segment + 1] - xp[segment]
    slope = (fp[segment + 1] - fp[segment]) / width
    fraction = (x - xp[segment]) / width
    inside = np.logical_and(np.greater_equal(x, xp[0]), np.less_equal(x, xp[last]))
    return segment, slope, fraction, inside


def _refuse_complex_table(fp):
    if np.iscomplexobj(fp):
        raise NoDerivativeRuleError(
            "np.interp is differentiated in xp for real values fp only",
            help="Interpolate the real and imaginary parts apart.")


def interp_xp_adjoint(g, x, xp, fp):
    """Adjoint of np.interp(x, xp, fp) in xp. Inside segment k the value is
    fp[k] + (x - xp[k]) s, s its slope: it moves by -s (1 - t) with xp[k]
    and by -s t with xp[k + 1], t = (x - xp[k]) / (xp[k + 1] - xp[k]) the
    fraction of the segment before x; outside the table it does not move (at
    a point of the table, the segment holding x is the one interp_slope
    takes)."""
    xp, fp = np.asarray(xp), np.asarray(fp)
    _refuse_complex_table(fp)
    segment, slope, fraction, inside = _interp_segments(x, xp, fp)
    moved = np.where(inside, -(g * np.ones(np.shape(x))) * slope, 0.0)
    out = np.zeros(np.shape(xp))
    np.add.at(out, segment, moved * (1.0 - fraction))
    np.add.at(out, segment + 1, moved * fraction)
    return out


def interp_xp_tangent(g, x, xp, fp):
    """Tangent of np.interp(x, xp, fp) along a tangent g of xp (see
    interp_xp_adjoint)."""
    xp, fp = np.asarray(xp), np.asarray(fp)
    _refuse_complex_table(fp)
    segment, slope, fraction, inside = _interp_segments(x, xp, fp)
    g = np.asarray(g)
    return np.where(inside, -slope * ((1.0 - fraction) * g[segment] + fraction * g[segment + 1]),
                    0.0)


def _interp_bound(bound):
    return None if bound is None else 0.0


def interp_fp_adjoint(g, x, xp, fp, left, right):
    """Adjoint of np.interp in fp: each value's interpolation weights times g."""
    out = np.zeros(np.shape(fp), dtype=float_dtype(fp))
    flat_x = np.ravel(x)
    flat_g = np.ravel(g * np.ones(np.shape(x)))
    for j in range(np.shape(fp)[0]):
        unit = np.zeros(np.shape(fp)[0])
        unit[j] = 1.0
        weights = np.interp(flat_x, xp, unit, left=_interp_bound(left),
                            right=_interp_bound(right))
        out[j] = np.sum(weights * flat_g)
    return out


def interp_fp_tangent(g, x, xp, left, right):
    """Tangent of np.interp in fp: the tangent interpolated (0 beyond given bounds)."""
    return np.interp(x, xp, g, left=_interp_bound(left), right=_interp_bound(right))


def interp_bound_adjoint(g, x, xp, bound, side):
    """Adjoint of np.interp in left (side 'left') or right: g where x is beyond."""
    last = np.shape(xp)[0] - 1
    beyond = np.less(x, xp[0]) if side == "left" else np.greater(x, xp[last])
    return sum_to_shape(g * beyond, np.shape(bound))


def interp_bound_tangent(g, x, xp, side):
    """Tangent of np.interp in left or right."""
    last = np.shape(xp)[0] - 1
    beyond = np.less(x, xp[0]) if side == "left" else np.greater(x, xp[last])
    return g * beyond


def _trapezoid_weights(size, x, dx):
    if x is None:
        return dx * np.concatenate([[0.5], np.ones(max(size - 2, 0)), [0.5]])[:size] \
            if size > 1 else np.zeros(size)
    if np.ndim(x) != 1:
        raise NoDerivativeRuleError(
            "np.trapezoid is differentiated for sample points x given as a 1-d array",
            help="Pass x as a 1-d array along the axis of integration.")
    steps = np.diff(x)
    return 0.5 * (np.concatenate([steps, [0.0]]) + np.concatenate([[0.0], steps]))


def _along(vector, ndim, axis):
    shape = [1] * ndim
    shape[axis] = -1
    return np.reshape(vector, shape)


def trapezoid_adjoint_y(g, y, x, dx, axis):
    """Adjoint of np.trapezoid in y: g times each sample's weight (with an
    array of steps dx, each sample gets half of the two steps beside it)."""
    ndim = np.ndim(y)
    axis = axis % ndim
    if x is None and np.ndim(dx) > 0:
        steps = np.moveaxis(_trapezoid_step_adjoint(g, y, dx, axis), axis, -1)
        zero = np.zeros(np.shape(steps)[:-1] + (1,), dtype=float_dtype(steps))
        spread = 0.5 * (np.concatenate([zero, steps], axis=-1) +
                        np.concatenate([steps, zero], axis=-1))
        return np.moveaxis(spread, -1, axis)
    weights = _trapezoid_weights(np.shape(y)[axis], x, dx)
    return np.expand_dims(g, axis) * _along(weights, ndim, axis)


def _trapezoid_step_adjoint(g, y, dx, axis):
    """g spread over the segments along axis, times an array of steps dx (which
    NumPy broadcasts against the segments)."""
    segments = list(np.shape(y))
    segments[axis] = max(segments[axis] - 1, 0)
    return np.broadcast_to(np.expand_dims(g, axis) * dx, tuple(segments))


def trapezoid_adjoint_dx(g, y, dx, axis):
    """Adjoint of np.trapezoid(y, dx=dx) in dx (a number or an array NumPy
    broadcasts against the segments): g times each segment's midpoint."""
    middle = np.moveaxis(_trapezoid_midpoints(y, axis % np.ndim(y)), -1, axis % np.ndim(y))
    return sum_to_shape(np.expand_dims(g, axis % np.ndim(y)) * middle, np.shape(dx))


def _trapezoid_midpoints(y, axis):
    moved = np.moveaxis(np.asarray(y), axis, -1)
    return 0.5 * (moved[..., 1:] + moved[..., :-1])


def trapezoid_adjoint_x(g, y, x, axis):
    """Adjoint of np.trapezoid in 1-d x: Σ g (m_{j-1} - m_j), m the segment midpoints."""
    _trapezoid_weights(np.shape(y)[axis], x, 1.0)
    middle = _trapezoid_midpoints(y, axis)
    zero = np.zeros(np.shape(middle)[:-1] + (1,))
    per_point = np.concatenate([zero, middle], axis=-1) - np.concatenate([middle, zero], axis=-1)
    spread = np.asarray(g)[..., None] * per_point
    return np.sum(np.reshape(spread, (-1, np.shape(x)[0])), axis=0)


def trapezoid_tangent_x(g, y, x, axis):
    """Tangent of np.trapezoid in 1-d x: Σ (dx_{i+1} - dx_i) m_i."""
    _trapezoid_weights(np.shape(y)[axis], x, 1.0)
    return np.sum(np.diff(g) * _trapezoid_midpoints(y, axis), axis=-1)


# -- np.ediff1d, np.unwrap --------------------------------------------------------------------

def ediff1d_adjoint(g, ary, to_end, to_begin, wrt):
    """Adjoint of np.ediff1d in `wrt` ('ary', 'to_end' or 'to_begin'): its slice of g."""
    begin = 0 if to_begin is None else np.size(to_begin)
    end = 0 if to_end is None else np.size(to_end)
    stop = np.shape(g)[0] - end
    if wrt == "to_begin":
        return np.reshape(g[:begin], np.shape(to_begin))
    if wrt == "to_end":
        return np.reshape(g[stop:], np.shape(to_end))
    steps = g[begin:stop]
    zero = np.zeros(1, dtype=float_dtype(g))
    flat = np.concatenate([zero, steps]) - np.concatenate([steps, zero])
    if np.size(ary) == 0:
        flat = np.zeros(0, dtype=float_dtype(g))
    return np.reshape(flat, np.shape(ary))


def ediff1d_tangent(g, ary, to_end, to_begin, wrt):
    """Tangent of np.ediff1d in `wrt`: g in its place, zeros in the others'."""
    dtype = float_dtype(g, ary)
    pieces = []
    if to_begin is not None:
        pieces.append(np.ravel(g) if wrt == "to_begin" else np.zeros(np.size(to_begin), dtype))
    pieces.append(np.diff(np.ravel(g)) if wrt == "ary" else np.zeros(max(np.size(ary) - 1, 0),
                                                                      dtype))
    if to_end is not None:
        pieces.append(np.ravel(g) if wrt == "to_end" else np.zeros(np.size(to_end), dtype))
    return np.concatenate(pieces).astype(dtype)


def unwrap_period_slope(p, period, result):
    """d np.unwrap(p, period=period) / d period: the whole periods it added, (result - p) / period."""
    return (result - p) / period


# -- np.cumulative_sum, np.cumulative_prod ----------------------------------------------------

def _without_initial(g, axis, include_initial):
    """g without the leading entry include_initial=True adds along axis (a constant)."""
    if not include_initial:
        return g
    moved = np.moveaxis(np.asarray(g), 0 if axis is None else axis, -1)[..., 1:]
    return np.moveaxis(moved, -1, 0 if axis is None else axis)


def _with_initial(t, axis, include_initial):
    """t with a zero entry first along axis, where include_initial=True puts one."""
    if not include_initial:
        return t
    moved = np.moveaxis(np.asarray(t), 0 if axis is None else axis, -1)
    zero = np.zeros(np.shape(moved)[:-1] + (1,), dtype=float_dtype(t))
    return np.moveaxis(np.concatenate([zero, moved], axis=-1), -1, 0 if axis is None else axis)


def cumulative_sum_adjoint(g, x, axis, include_initial):
    """Adjoint of np.cumulative_sum: the sum of g from the end (the initial 0 is constant)."""
    return cumsum_adjoint(_without_initial(g, axis, include_initial), x, axis)


def cumulative_prod_adjoint(g, x, axis, include_initial, result):
    """Adjoint of np.cumulative_prod (np.cumprod's, the initial 1 is constant)."""
    products = _without_initial(result, axis, include_initial)
    return cumprod_adjoint(_without_initial(g, axis, include_initial), x, products, axis)


def cumulative_prod_tangent(g, x, axis, include_initial, result):
    """Tangent of np.cumulative_prod."""
    products = _without_initial(result, axis, include_initial)
    return _with_initial(cumprod_tangent(g, x, products, axis), axis, include_initial)


# -- np.logspace, np.geomspace ----------------------------------------------------------------

def _space_fraction(start, stop, num, endpoint, axis):
    """Each sample's fraction of the way from start to stop (0 to 1), shaped like the result."""
    shape = np.shape(np.asarray(start) + np.asarray(stop))
    return np.linspace(np.zeros(shape), np.ones(shape), num, endpoint=endpoint, axis=axis)


def _expand_at(value, axis, ndim):
    """A start, stop or base broadcast against a result with the sample axis at `axis`."""
    value = np.asarray(value)
    if ndim == 0 or np.ndim(value) == 0:
        return value
    return np.expand_dims(value, axis % ndim)


def logspace_slope(start, stop, num, endpoint, base, axis, result, wrt):
    """∂ np.logspace(start, stop, num, endpoint, base) / ∂ wrt, shaped like the result."""
    refuse_complex("np.logspace", start, stop, base)
    fraction = _space_fraction(start, stop, num, endpoint, axis)
    ndim = np.ndim(result)
    first, last = _expand_at(start, axis, ndim), _expand_at(stop, axis, ndim)
    base_at = _expand_at(base, axis, ndim)
    if wrt == "base":
        return result * (first + fraction * (last - first)) / base_at
    weight = 1.0 - fraction if wrt == "start" else fraction
    return result * np.log(base_at) * weight


def geomspace_slope(start, stop, num, endpoint, axis, result, wrt):
    """∂ np.geomspace(start, stop, num, endpoint) / ∂ wrt, shaped like the result:
    result = start^(1-f) stop^f, so result (1-f) / start and result f / stop."""
    refuse_complex("np.geomspace", start, stop)
    fraction = _space_fraction(start, stop, num, endpoint, axis)
    ndim = np.ndim(result)
    if wrt == "start":
        return result * (1.0 - fraction) / _expand_at(start, axis, ndim)
    return result * fraction / _expand_at(stop, axis, ndim)


def space_adjoint(g, slope, like, axis):
    """Adjoint of logspace/geomspace in an endpoint or base: the samples' sum, put back
    to that parameter's shape."""
    total = np.sum(g * slope, axis=axis % max(np.ndim(slope), 1)) if np.ndim(slope) else \
        g * slope
    return sum_to_shape(total, np.shape(like))


def space_tangent(g, slope, axis):
    """Tangent of logspace/geomspace along a start, stop or base tangent g."""
    return _expand_at(g, axis, np.ndim(slope)) * slope


# The helpers rule templates call by name (runtime/__init__.py gathers them).
TEMPLATE_HELPERS = {helper.__name__: helper for helper in (
    gradient_adjoint, gradient_tangent, gradient_spacings, gradient_spacings_adjoint,
    interp_slope, interp_fp_adjoint, interp_fp_tangent,
    interp_xp_adjoint, interp_xp_tangent, interp_bound_adjoint, interp_bound_tangent, trapezoid_adjoint_y, trapezoid_adjoint_dx,
    trapezoid_adjoint_x,
    trapezoid_tangent_x, ediff1d_adjoint, ediff1d_tangent, unwrap_period_slope,
    cumulative_sum_adjoint, cumulative_prod_adjoint, cumulative_prod_tangent,
    logspace_slope, geomspace_slope, space_adjoint, space_tangent)}
