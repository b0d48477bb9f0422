"""Helpers of the derivatives of Python's `statistics` module on lists and
tuples of numbers (rules/python_statistics_rules.py). Written in the subset
adcompiler differentiates, so that a derivative of these derivatives (a
Hessian) is taken from their source; which items a median takes depends on
their order only, and has a rule saying so (no derivative).
"""

from __future__ import annotations

from ..errors import NoDerivativeRuleError


def check_data(data):
    """Refuse anything but a list or tuple: the statistics functions take any
    iterable, and the derivative of what an iterator or an array gave is not
    kept per item here."""
    if not isinstance(data, (list, tuple)):
        raise NoDerivativeRuleError(
            f"a function of the statistics module is differentiated on a list or tuple "
            f"of numbers, not on a {type(data).__name__}",
            help="Instead: pass a list (list(a)), or use NumPy's np.mean, np.var(a, ddof=1), "
                 "np.std, np.median on an array.")


def items_mean_adjoint(g, data):
    """The adjoint of the mean with respect to each item: g / n."""
    share = g / len(data)
    return [share for v in data]


def items_mean_tangent(tangents, data):
    """The tangent of the mean: the mean of the items' tangents."""
    return sum(tangents) / len(data)


def items_spread_adjoint(g, data, ddof):
    """The adjoint of the variance with `ddof` (0: pvariance, 1: variance) with
    respect to each item: 2 g (x_i - mean) / (n - ddof)."""
    n = len(data)
    middle = sum(data) / n
    scale = 2.0 * g / (n - ddof)
    return [scale * (v - middle) for v in data]


def items_spread_tangent(tangents, data, ddof):
    """The tangent of the variance with `ddof`: 2 Σ (x_i - mean) t_i / (n - ddof)."""
    n = len(data)
    middle = sum(data) / n
    total = 0.0
    for v, t in zip(data, tangents):
        total = total + (v - middle) * t
    return 2.0 * total / (n - ddof)


def median_weights(data, kind):
    """The weight of each item in the median of `kind` ("middle": the middle
    item, or half of each of the two middle ones; "low", "high": one of
    those), in the order Python's sort gives (stable: of equal items, the
    first is taken first)."""
    n = len(data)
    order = sorted(range(n), key=data.__getitem__)
    weights = [0.0] * n
    if kind == "low" or (kind == "middle" and n % 2 == 0):
        weights[order[(n - 1) // 2]] += 0.5 if kind == "middle" else 1.0
    if kind == "high" or kind == "middle":
        weights[order[n // 2]] += 0.5 if kind == "middle" and n % 2 == 0 else 1.0
    return weights


def items_weighted_adjoint(g, weights):
    """g times each item's weight: the adjoint of a fixed combination of items."""
    return [g * w for w in weights]


def items_weighted_tangent(tangents, weights):
    """Σ w_i t_i: the tangent of a fixed combination of items."""
    total = 0.0
    for w, t in zip(weights, tangents):
        total = total + w * t
    return total


# (Named apart from NumPy's helpers: templates call helpers by name.)
TEMPLATE_HELPERS = {f.__name__: f for f in (
    items_mean_adjoint, items_mean_tangent, items_spread_adjoint, items_spread_tangent,
    median_weights, items_weighted_adjoint, items_weighted_tangent)}
