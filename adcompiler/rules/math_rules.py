"""Derivatives of the `math` module's functions (Python floats in, floats out)."""

import math

from .registry import nondifferentiable, pointwise

RULES = [
    pointwise(math.sin, "x", x="g * math.cos(x)"),
    pointwise(math.cos, "x", x="-g * math.sin(x)"),
    pointwise(math.tan, "x", x="g * (1.0 + result * result)"),
    pointwise(math.exp, "x", x="g * result"),
    pointwise(math.expm1, "x", x="g * (result + 1.0)"),
    pointwise(math.log, "x", x="g / x"),
    pointwise(math.log1p, "x", x="g / (1.0 + x)"),
    pointwise(math.sqrt, "x", x="g / (2.0 * result)"),
    pointwise(math.tanh, "x", x="g * (1.0 - result * result)"),
    pointwise(math.sinh, "x", x="g * math.cosh(x)"),
    pointwise(math.cosh, "x", x="g * math.sinh(x)"),
    pointwise(math.asin, "x", x="g / math.sqrt(1.0 - x * x)"),
    pointwise(math.acos, "x", x="-g / math.sqrt(1.0 - x * x)"),
    pointwise(math.atan, "x", x="g / (1.0 + x * x)"),
    pointwise(math.pow, "x, y", x="g * y * math.pow(x, y - 1.0)",
              y="g * result * math.log(x)"),
    pointwise(math.fabs, "x", x="g * sign(x)"),
    *nondifferentiable(math.floor, math.ceil, math.trunc, math.isnan, math.isinf,
                       math.isfinite, math.copysign, math.isclose),
]
