"""Derivatives of the `cmath` module's functions and of NumPy's `np.emath`
(numpy.lib.scimath), whose values are complex where the real functions'
are not defined (cmath's always, np.emath's for a real x outside the
real domain, read as x + 0j).

These are holomorphic: the derivative is the real function's, on the branch
of the value. Written with `result` where the value picks the side of a
branch cut (sqrt, arcsinh, arccosh), or with runtime/elementwise.py's
arcsin_slope, which keeps the sign of a zero imaginary part.
"""

import cmath

import numpy as np

from .definition import nondifferentiable, pointwise, pointwise_split

# cmath.log's default base, e: log(x, e) is log(x).
_E = "2.718281828459045"

RULES = [
    pointwise(cmath.exp, "x", x="g * result"),
    pointwise(cmath.log, f"x, base={_E}", x="g / (x * np.log(base))",
              base="-g * result / (base * np.log(base))"),
    pointwise(cmath.log10, "x", x="g / (x * math.log(10.0))"),
    pointwise(cmath.sqrt, "x", x="g / (2.0 * result)"),
    pointwise(cmath.sin, "x", x="g * np.cos(x)"),
    pointwise(cmath.cos, "x", x="-g * np.sin(x)"),
    pointwise(cmath.tan, "x", x="g * (1.0 + result * result)"),
    pointwise(cmath.asin, "x", x="g * arcsin_slope(x, result)"),
    pointwise(cmath.acos, "x", x="-g * arcsin_slope(x, result)"),
    pointwise(cmath.atan, "x", x="g / (1.0 + x * x)"),
    pointwise(cmath.sinh, "x", x="g * np.cosh(x)"),
    pointwise(cmath.cosh, "x", x="g * np.sinh(x)"),
    pointwise(cmath.tanh, "x", x="g * (1.0 - result * result)"),
    pointwise(cmath.asinh, "x", x="g / np.cosh(result)"),
    pointwise(cmath.acosh, "x", x="g / np.sinh(result)"),
    pointwise(cmath.atanh, "x", x="g / (1.0 - x * x)"),
    # The argument of x: real, not holomorphic (as np.angle).
    pointwise_split(cmath.phase, "x", adjoint={"x": "angle_adjoint(g, x)"},
                    tangent={"x": "angle_tangent(g, x)"}),
    # r e^(i phi) of real r and phi.
    pointwise(cmath.rect, "r, phi", r="g * np.exp(1j * phi)", phi="g * 1j * result"),
    *nondifferentiable(cmath.isnan, cmath.isinf, cmath.isfinite, cmath.isclose),
    # np.emath: the real function where its value is real, the complex one of
    # x + 0j elsewhere; the same templates serve both.
    pointwise(np.emath.sqrt, "x", x="g / (2.0 * result)"),
    pointwise(np.emath.log, "x", x="g / x"),
    pointwise(np.emath.log2, "x", x="g / (x * math.log(2.0))"),
    pointwise(np.emath.log10, "x", x="g / (x * math.log(10.0))"),
    pointwise(np.emath.logn, "n, x", x="g / (x * np.emath.log(n))",
              n="-g * result / (n * np.emath.log(n))"),
    pointwise(np.emath.arcsin, "x", x="g * arcsin_slope(x, result)"),
    pointwise(np.emath.arccos, "x", x="-g * arcsin_slope(x, result)"),
    pointwise(np.emath.arctanh, "x", x="g / (1.0 - x * x)"),
]

NOTES = {
    cmath.log: "`base` differentiable too",
    cmath.phase: "Im(dz / z), as np.angle; 0 at 0",
    cmath.rect: "differentiable in r and phi (real)",
    np.emath.logn: "differentiable in n and x",
}
