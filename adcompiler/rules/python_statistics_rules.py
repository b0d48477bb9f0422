"""Derivatives of Python's `statistics` module on a list or tuple of numbers:
the means, variances and standard deviations (smooth in the data) and the
medians (the derivative goes to the middle item, or half to each of the two
middle ones). The value is the module's own, exactly rounded from fractions;
the derivative is the float arithmetic of the formula. Helpers are in
runtime/python_statistics.py; their per-item lists become the data's adjoint
through items_adjoint (a list's adjoint adds item by item, where two plain
lists would be joined)."""

import statistics

from ..runtime import python_statistics as runtime_python_statistics
from .definition import linear_rule, nondifferentiable

_DATA = runtime_python_statistics.check_data


def _spread(function, ddof: int, root: bool):
    """pvariance / variance (ddof 0 / 1), and their square roots."""
    over = " / (2.0 * result)" if root else ""
    return linear_rule(function, "data", check=_DATA,
                       adjoint={"data": f"items_adjoint(items_spread_adjoint(g{over}, data, {ddof}), data)"},
                       tangent={"data": f"items_spread_tangent(g, data, {ddof}){over}"})


def _median(function, kind: str):
    return linear_rule(function, "data", check=_DATA,
                       adjoint={"data": "items_adjoint(items_weighted_adjoint("
                                        f"g, median_weights(data, '{kind}')), data)"},
                       tangent={"data": f"items_weighted_tangent(g, median_weights(data, '{kind}'))"})


RULES = [
    linear_rule(statistics.mean, "data", check=_DATA,
                adjoint={"data": "items_adjoint(items_mean_adjoint(g, data), data)"},
                tangent={"data": "items_mean_tangent(g, data)"}),
    linear_rule(statistics.fmean, "data", check=_DATA,
                adjoint={"data": "items_adjoint(items_mean_adjoint(g, data), data)"},
                tangent={"data": "items_mean_tangent(g, data)"}),
    _spread(statistics.pvariance, 0, root=False),
    _spread(statistics.variance, 1, root=False),
    _spread(statistics.pstdev, 0, root=True),
    _spread(statistics.stdev, 1, root=True),
    _median(statistics.median, "middle"),
    _median(statistics.median_low, "low"),
    _median(statistics.median_high, "high"),
]
# What docs/derivatives.md lists (not the helper below, which only generated code calls).
DOCUMENTED_RULES = list(RULES)
# Which items a median takes: piecewise constant.
RULES += nondifferentiable(runtime_python_statistics.median_weights)
