"""Helpers of the derivatives of Python's `math` functions of points
(rules/math_rules.py): math.dist, and math.log with a base. Written in the subset adcompiler
differentiates, so that a derivative of these derivatives (a Hessian) is
taken from their source.
"""

from __future__ import annotations

import math


def log_base(x, base):
    """math.log(x, base), which the normaliser writes for a call of math.log
    with two arguments (passes/keyword_forms.py), so that its rule can be
    that of a function of two parameters. CPython divides log(x) by
    log(base); calling math.log itself keeps its errors and values.

    Example:
        >>> log_base(8.0, 2.0)
        3.0
    """
    return math.log(x, base)


def coordinate_differences_adjoint(scale, p, q):
    """scale (p_i - q_i) for each coordinate: the adjoint of math.dist(p, q)
    with respect to p, with scale = g / dist (and with p, q swapped, q's)."""
    return [scale * (a - b) for a, b in zip(p, q)]


def coordinate_differences_tangent(tangents, p, q):
    """Σ (p_i - q_i) t_i: dist(p, q) times the tangent of math.dist(p, q)
    along the tangents of p's coordinates."""
    total = 0.0
    for a, b, t in zip(p, q, tangents):
        total = total + (a - b) * t
    return total


# (Named apart from NumPy's helpers: templates call helpers by name.)
TEMPLATE_HELPERS = {f.__name__: f for f in (
    coordinate_differences_adjoint, coordinate_differences_tangent, log_base)}
