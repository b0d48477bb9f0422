"""Derivatives of the `math` module's functions (Python floats in, floats out)."""

import importlib.util
import math

from ..runtime import python_math
from .definition import linear_rule, nondifferentiable, pointwise

# ψ, the derivative of log Γ, comes from SciPy (imported when a derivative
# first needs it): without SciPy, lgamma and gamma have no rule.
_HAS_SCIPY = importlib.util.find_spec("scipy") is not None

RULES = [
    pointwise(math.sin, "x", x="g * math.cos(x)"),
    pointwise(math.cos, "x", x="-g * math.sin(x)"),
    pointwise(math.tan, "x", x="g * (1.0 + result * result)"),
    pointwise(math.exp, "x", x="g * result"),
    pointwise(math.expm1, "x", x="g * (result + 1.0)"),
    pointwise(math.log, "x", x="g / x"),
    # math.log(x, base), as log_base(x, base) (POSITIONAL_FORMS below): log(x) / log(base).
    pointwise(python_math.log_base, "x, base", x="g / (x * math.log(base))",
              base="-g * result / (base * math.log(base))", label="math.log"),
    pointwise(math.log1p, "x", x="g / (1.0 + x)"),
    pointwise(math.sqrt, "x", x="g / (2.0 * result)"),
    pointwise(math.tanh, "x", x="g * (1.0 - result * result)"),
    pointwise(math.sinh, "x", x="g * math.cosh(x)"),
    pointwise(math.cosh, "x", x="g * math.sinh(x)"),
    pointwise(math.asin, "x", x="g / math.sqrt(1.0 - x * x)"),
    pointwise(math.acos, "x", x="-g / math.sqrt(1.0 - x * x)"),
    pointwise(math.atan, "x", x="g / (1.0 + x * x)"),
    pointwise(math.pow, "x, y", x="g * y * math.pow(x, y - 1.0)",
              y="g * power_log(x, y, result)"),
    pointwise(math.fabs, "x", x="g * sign(x)"),
    pointwise(math.log2, "x", x="g / (x * math.log(2.0))"),
    pointwise(math.log10, "x", x="g / (x * math.log(10.0))"),
    pointwise(math.atan2, "y, x", y="g * x / (x * x + y * y)", x="-g * y / (x * x + y * y)"),
    pointwise(math.hypot, "x, y", x="g * x / result", y="g * y / result"),
    pointwise(math.asinh, "x", x="g / math.sqrt(x * x + 1.0)"),
    pointwise(math.acosh, "x", x="g / math.sqrt(x * x - 1.0)"),
    pointwise(math.atanh, "x", x="g / (1.0 - x * x)"),
    pointwise(math.degrees, "x", x="g * (180.0 / math.pi)"),
    pointwise(math.radians, "x", x="g * (math.pi / 180.0)"),
    pointwise(math.erf, "x", x="g * (2.0 / math.sqrt(math.pi)) * math.exp(-x * x)"),
    pointwise(math.erfc, "x", x="-g * (2.0 / math.sqrt(math.pi)) * math.exp(-x * x)"),
    pointwise(math.fmod, "x, y", x="g", y="-g * np.trunc(x / y)"),
    pointwise(math.remainder, "x, y", x="g", y="-g * ((x - result) / y)"),
    pointwise(math.copysign, "x, y", x="g * sign(x) * sign(result)"),
    *([pointwise(math.lgamma, "x", x="g * digamma(x)"),
       pointwise(math.gamma, "x", x="g * result * digamma(x)")] if _HAS_SCIPY else []),
    # A sum of the items, as Python's sum() (exactly rounded, which the
    # derivative, a sum of the items' derivatives, needs not be).
    linear_rule(math.fsum, "seq", adjoint={"seq": "sum_items_adjoint(g, seq)"},
                tangent={"seq": "sum(g)"}),
    # The distance between two points given as sequences of coordinates (a
    # list, a tuple, an array): (p - q) / dist for p, its negative for q.
    linear_rule(math.dist, "p, q", adjoint={
        "p": "items_adjoint(coordinate_differences_adjoint(g / result, p, q), p)",
        "q": "items_adjoint(coordinate_differences_adjoint(g / result, q, p), q)"},
        tangent={"p": "coordinate_differences_tangent(g, p, q) / result",
                 "q": "coordinate_differences_tangent(g, q, p) / result"}),
    *nondifferentiable(math.floor, math.ceil, math.trunc, math.isnan, math.isinf,
                       math.isfinite, math.isclose),
]

# Calls the normaliser (passes/keyword_forms.py) sends to a function of their
# own by the number of positional arguments: math.log takes its base only so.
POSITIONAL_FORMS = {
    (math.log, 2): python_math.log_base,
}

NOTES = {
    math.copysign: "differentiable in x",
    math.fabs: "derivative 0 at 0",
    math.fsum: "of a list, a tuple, an array or `fsum(v * v for v in xs)`",
    math.dist: "of two lists, tuples or arrays of coordinates",
    math.lgamma: "needs SciPy (for ψ, scipy.special.digamma)",
    math.gamma: "needs SciPy (for ψ, scipy.special.digamma)",
}
