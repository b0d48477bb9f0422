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


# The helpers rule templates call by name (runtime/__init__.py gathers them).
TEMPLATE_HELPERS = {helper.__name__: helper for helper in (
    histogram_adjoint, histogram_tangent, histogram_bin_edges_adjoint,
    histogram_bin_edges_tangent)}
