"""Runtime helpers for the np.histogram and np.histogram_bin_edges rules
(rules/numpy_extra_rules.py).
"""

from __future__ import annotations

import numpy as np

from ..errors import NoDerivativeRuleError
from .arrays import entry, extremum_weights, float_dtype
from .complex_numbers import refuse_complex


# -- np.histogram, np.histogram_bin_edges -----------------------------------------------------
# With bins a number and no range, the edges run evenly from min(a) to max(a) (lo, hi): they
# move with those two entries (ties share evenly). The counts are piecewise constant in a;
# the weighted counts are linear in the weights; a density divides by the total and by the
# bins' widths, (hi - lo) / bins.

def _histogram_moving_edges(a, bins, range, wrt):
    """Whether the edges move with a (a number of bins, no range)."""
    if isinstance(bins, str) and wrt == "a":
        raise NoDerivativeRuleError(
            "np.histogram with bins chosen by an estimator (a string) is not differentiated "
            "in a", help="Pass the number of bins, or the edges.")
    return wrt == "a" and np.ndim(bins) == 0 and range is None


def _histogram_bins(a, edges):
    """The bin of each entry of ravel(a), as NumPy bins it ([e_j, e_j+1), the last bin
    closed), -1 outside the edges."""
    values = np.ravel(a)
    index = np.searchsorted(edges, values, side="right") - 1
    last = np.shape(edges)[0] - 2
    index = np.where(values == edges[-1], last, index)
    return np.where((values < edges[0]) | (values > edges[-1]), -1, index)


def _histogram_totals(a, weights, edges):
    """(bin of each entry, whether it is inside, the total count or weight inside)."""
    index = _histogram_bins(a, edges)
    inside = index >= 0
    mass = np.ones(np.shape(index)) if weights is None else np.ravel(weights)
    return index, inside, np.sum(np.where(inside, mass, 0.0))


def _extremes_weights(a):
    return extremum_weights(a, np.min(a), None, False), extremum_weights(a, np.max(a), None, False)


def histogram_adjoint(g, a, bins, range, density, weights, result, wrt):
    """Adjoint of np.histogram(a, bins, range, density=density, weights=weights) = (hist,
    edges) in a (through the edges) or in the weights."""
    refuse_complex("np.histogram", a, weights)
    hist, edges = result
    by_hist, by_edges = entry(g, 0), entry(g, 1)
    operand = a if wrt == "a" else weights
    if wrt == "a":
        if not _histogram_moving_edges(a, bins, range, wrt):
            return np.zeros(np.shape(a), dtype=float_dtype(a))
        fraction = np.linspace(0.0, 1.0, np.shape(edges)[0], dtype=float_dtype(a))
        to_lo, to_hi = 0.0, 0.0
        if by_edges is not None:
            to_lo = to_lo + np.sum(by_edges * (1.0 - fraction))
            to_hi = to_hi + np.sum(by_edges * fraction)
        if density and by_hist is not None:
            shrink = np.sum(by_hist * hist) / (edges[-1] - edges[0])
            to_lo, to_hi = to_lo + shrink, to_hi - shrink
        lowest, highest = _extremes_weights(a)
        return to_lo * lowest + to_hi * highest
    if by_hist is None:
        return np.zeros(np.shape(operand), dtype=float_dtype(operand))
    index, inside, total = _histogram_totals(a, weights, edges)
    place = np.where(inside, index, 0)
    if density:
        per_bin = by_hist / (total * np.diff(edges))
        spread = per_bin[place] - np.sum(by_hist * hist) / total
    else:
        spread = by_hist[place]
    return np.reshape(np.where(inside, spread, 0.0), np.shape(weights))


def histogram_tangent(g, a, bins, range, density, weights, result, wrt):
    """Tangent of np.histogram: (dhist, dedges)."""
    refuse_complex("np.histogram", a, weights)
    hist, edges = result
    dtype = float_dtype(g)
    if wrt == "a":
        if not _histogram_moving_edges(a, bins, range, wrt):
            return (np.zeros(np.shape(hist), dtype=dtype), np.zeros(np.shape(edges), dtype=dtype))
        lowest, highest = _extremes_weights(a)
        moved_lo, moved_hi = np.sum(g * lowest), np.sum(g * highest)
        fraction = np.linspace(0.0, 1.0, np.shape(edges)[0], dtype=dtype)
        moved_edges = moved_lo * (1.0 - fraction) + moved_hi * fraction
        moved_hist = -hist * (moved_hi - moved_lo) / (edges[-1] - edges[0]) if density else \
            np.zeros(np.shape(hist), dtype=dtype)
        return (moved_hist, moved_edges)
    index, inside, total = _histogram_totals(a, weights, edges)
    flat = np.where(inside, np.ravel(g), 0.0)
    counts = np.bincount(np.where(inside, index, 0), flat, np.shape(hist)[0])
    if density:
        counts = counts / (total * np.diff(edges)) - hist * np.sum(flat) / total
    return (counts, np.zeros(np.shape(edges), dtype=dtype))


def histogram_bin_edges_adjoint(g, a, bins, range, weights):
    """Adjoint of np.histogram_bin_edges in a (the edges of np.histogram)."""
    edges = np.histogram_bin_edges(a, bins, range, weights)
    return histogram_adjoint((None, g), a, bins, range, False, weights, (None, edges), "a")


def histogram_bin_edges_tangent(g, a, bins, range, weights):
    """Tangent of np.histogram_bin_edges in a."""
    edges = np.histogram_bin_edges(a, bins, range, weights)
    hist = np.zeros(np.shape(edges)[0] - 1)
    return histogram_tangent(g, a, bins, range, False, weights, (hist, edges), "a")[1]


# -- np.histogramdd, np.histogram2d ------------------------------------------------------------
# np.histogram in every dimension of an (N, D) sample at once: a dimension whose bins are a
# number and whose bounds is not given has edges from the column's min to its max, which move
# with those entries; the counts are piecewise constant; the weighted counts are linear in the
# weights; a density divides by the total and by each bin's volume, the product of its widths.

def _sample_columns(sample):
    """The (N, D) sample np.histogramdd bins: an (N, D) array as it is, N values (D = 1)
    or a sequence of D coordinate arrays (np.histogram2d passes [x, y]) as columns."""
    if not isinstance(sample, (list, tuple)) and np.ndim(sample) == 2:
        return np.asarray(sample)
    return np.atleast_2d(sample).T


def sample_pieces(columns, sample):
    """The adjoint `columns` of an (N, D) sample in the sample's own form: one array per
    coordinate when the sample is a sequence of them (np.histogramdd([x, y])). (A rule of
    its own, rules/numpy_extra_rules.py: its transpose is sample_columns.)

    Example:
        >>> sample_pieces(np.ones((2, 2)), [np.zeros(2), np.zeros(2)])
        [array([1., 1.]), array([1., 1.])]
    """
    if isinstance(sample, (list, tuple)):
        return [np.reshape(columns[:, i], np.shape(item)) for i, item in enumerate(sample)]
    return np.reshape(columns, np.shape(sample))


def sample_columns(pieces, sample):
    """The transpose of sample_pieces: the derivative of a sample in its own form as the
    (N, D) columns np.histogramdd bins (zeros for a coordinate that has none)."""
    if not isinstance(sample, (list, tuple)):
        return np.reshape(pieces, np.shape(_sample_columns(sample)))
    columns = np.zeros(np.shape(_sample_columns(sample)), dtype=float_dtype(*sample))
    for i, item in enumerate(sample):
        piece = entry(pieces, i)
        if piece is not None:
            columns[:, i] = np.ravel(piece)
    return columns


def _moving_dimensions(bins, bounds, count):
    """Per dimension, whether its edges run from the column's min to its max (its bins a
    number, its bounds not given)."""
    # (a list of a count and an array of edges is ragged: np.ndim would refuse it)
    per_bins = list(bins) if isinstance(bins, (list, tuple)) or np.ndim(bins) > 0 else \
        [bins] * count
    ranges = [None] * count if bounds is None else list(bounds)
    return [np.ndim(b) == 0 and r is None for b, r in zip(per_bins, ranges)]


def _histogramdd_cells(sample, edges):
    """The flat index of each point's cell (the bins np.histogramdd puts it in, C order),
    and whether it is inside every dimension's edges."""
    index = np.zeros(np.shape(sample)[0], dtype=np.intp)
    inside = np.ones(np.shape(sample)[0], dtype=bool)
    for i, column_edges in enumerate(edges):
        column = _histogram_bins(sample[:, i], column_edges)
        inside = inside & (column >= 0)
        index = index * (np.shape(column_edges)[0] - 1) + np.where(column >= 0, column, 0)
    return index, inside


def _cell_volumes(edges):
    volume = np.ones(())
    for column_edges in edges:
        volume = np.multiply.outer(volume, np.diff(column_edges))
    return volume


def histogramdd_adjoint(by_hist, by_edges, sample, bins, bounds, density, weights, hist, edges,
                        wrt):
    """Adjoint of np.histogramdd(sample, bins, bounds, density, weights) = (hist, edges) in
    the sample (an (N, D) array: through the moving edges) or in the weights, for the
    adjoints by_hist of hist and by_edges of the edges (a sequence, None or a None entry
    where an edge array has none)."""
    refuse_complex("np.histogramdd", sample, weights)
    points = _sample_columns(sample)
    count = np.shape(points)[1]
    if wrt == "sample":
        if isinstance(bins, str):
            raise NoDerivativeRuleError(
                "np.histogramdd with bins chosen by an estimator (a string) is not "
                "differentiated in the sample", help="Pass the number of bins, or the edges.")
        adjoint = np.zeros(np.shape(points), dtype=float_dtype(points))
        for i, moving in enumerate(_moving_dimensions(bins, bounds, count)):
            if not moving:
                continue
            fraction = np.linspace(0.0, 1.0, np.shape(edges[i])[0], dtype=adjoint.dtype)
            to_lo, to_hi = 0.0, 0.0
            by_column_edges = entry(by_edges, i)
            if by_column_edges is not None:
                to_lo = to_lo + np.sum(by_column_edges * (1.0 - fraction))
                to_hi = to_hi + np.sum(by_column_edges * fraction)
            if density and by_hist is not None:
                shrink = np.sum(by_hist * hist) / (edges[i][-1] - edges[i][0])
                to_lo, to_hi = to_lo + shrink, to_hi - shrink
            lowest, highest = _extremes_weights(points[:, i])
            adjoint[:, i] = to_lo * lowest + to_hi * highest
        return sample_pieces(adjoint, sample)
    if by_hist is None:
        return np.zeros(np.shape(weights), dtype=float_dtype(weights))
    index, inside = _histogramdd_cells(points, edges)
    per_cell = np.ravel(by_hist)
    if density:
        total = np.sum(np.where(inside, np.ravel(weights), 0.0))
        per_cell = per_cell / (total * np.ravel(_cell_volumes(edges))) - \
            np.sum(by_hist * hist) / total
    return np.reshape(np.where(inside, per_cell[index], 0.0), np.shape(weights))


def histogramdd_tangent(g, sample, bins, bounds, density, weights, hist, edges, wrt):
    """Tangent of np.histogramdd: (dhist, [dedges per dimension])."""
    refuse_complex("np.histogramdd", sample, weights)
    points = _sample_columns(sample)
    count = np.shape(points)[1]
    dtype = float_dtype(g) if wrt == "weights" else float_dtype(points)
    moved_edges = [np.zeros(np.shape(column_edges), dtype=dtype) for column_edges in edges]
    if wrt == "sample":
        if isinstance(bins, str):
            raise NoDerivativeRuleError(
                "np.histogramdd with bins chosen by an estimator (a string) is not "
                "differentiated in the sample", help="Pass the number of bins, or the edges.")
        tangent = sample_columns(g, sample)
        spread = 0.0
        for i, moving in enumerate(_moving_dimensions(bins, bounds, count)):
            if not moving:
                continue
            lowest, highest = _extremes_weights(points[:, i])
            moved_lo, moved_hi = np.sum(tangent[:, i] * lowest), np.sum(tangent[:, i] * highest)
            fraction = np.linspace(0.0, 1.0, np.shape(edges[i])[0], dtype=dtype)
            moved_edges[i] = moved_lo * (1.0 - fraction) + moved_hi * fraction
            spread = spread + (moved_hi - moved_lo) / (edges[i][-1] - edges[i][0])
        moved_hist = -hist * spread if density else np.zeros(np.shape(hist), dtype=dtype)
        return (moved_hist, moved_edges)
    index, inside = _histogramdd_cells(points, edges)
    flat = np.where(inside, np.ravel(g), 0.0)
    counts = np.reshape(np.bincount(index, flat, np.size(hist)), np.shape(hist))
    if density:
        total = np.sum(np.where(inside, np.ravel(weights), 0.0))
        counts = counts / (total * _cell_volumes(edges)) - hist * np.sum(flat) / total
    return (counts, moved_edges)


def histogramdd_rule_adjoint(g, sample, bins, bounds, density, weights, result, wrt):
    """Adjoint of np.histogramdd for its rule: g is (by_hist, by_edges)."""
    return histogramdd_adjoint(entry(g, 0), entry(g, 1), sample, bins, bounds, density, weights,
                               result[0], result[1], wrt)


def histogram2d_adjoint(g, x, y, bins, bounds, density, weights, result, wrt):
    """Adjoint of np.histogram2d(x, y, ...) = (hist, xedges, yedges), which is
    np.histogramdd([x, y], ...) (with bins one array of edges for both, as NumPy reads it)."""
    bins = _histogram2d_bins(bins)
    edges = [result[1], result[2]]
    by_edges = (entry(g, 1), entry(g, 2))
    if wrt == "weights":
        return histogramdd_adjoint(entry(g, 0), by_edges, [x, y], bins, bounds, density,
                                   weights, result[0], edges, wrt)
    adjoint = histogramdd_adjoint(entry(g, 0), by_edges, [x, y], bins, bounds, density,
                                  weights, result[0], edges, "sample")
    return adjoint[0] if wrt == "x" else adjoint[1]


def histogram2d_tangent(g, x, y, bins, bounds, density, weights, result, wrt):
    """Tangent of np.histogram2d: (dhist, dxedges, dyedges)."""
    bins = _histogram2d_bins(bins)
    edges = [result[1], result[2]]
    if wrt == "weights":
        hist, moved = histogramdd_tangent(g, [x, y], bins, bounds, density, weights, result[0],
                                          edges, wrt)
    else:
        zero = np.zeros(np.shape(x), dtype=float_dtype(g))
        tangent = [g, zero] if wrt == "x" else [zero, g]
        hist, moved = histogramdd_tangent(tangent, [x, y], bins, bounds, density, weights,
                                          result[0], edges, "sample")
    return (hist, moved[0], moved[1])


def _histogram2d_bins(bins):
    """np.histogram2d's bins as it hands them to np.histogramdd."""
    try:
        count = len(bins)
    except TypeError:
        count = 1
    return bins if count in (1, 2) else [bins, bins]


# The helpers rule templates call by name (runtime/__init__.py gathers them).
TEMPLATE_HELPERS = {helper.__name__: helper for helper in (
    histogram_adjoint, histogram_tangent, histogram_bin_edges_adjoint,
    histogram_bin_edges_tangent, histogramdd_rule_adjoint, histogramdd_tangent,
    histogram2d_adjoint, histogram2d_tangent, sample_pieces, sample_columns)}
