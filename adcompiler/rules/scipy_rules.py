"""Derivatives of scipy.special functions and scipy.linalg.solve_triangular (an
empty table when SciPy is not installed: calls to them then get the usual
"no derivative rule" error)."""

import math

from .. import runtime_special
from .registry import linear_rule, pointwise

try:
    from scipy import linalg, special
except ImportError:  # SciPy is optional
    linalg = special = None

_SQRT_PI = math.sqrt(math.pi)
_SQRT_2PI = math.sqrt(2.0 * math.pi)


def _rules():
    if special is None:
        return []
    return [
        pointwise(special.expit, "x", x="g * result * (1.0 - result)"),
        pointwise(special.log_expit, "x", x="g / (1.0 + np.exp(x))"),
        pointwise(special.logit, "x", x="g / (x * (1.0 - x))"),
        pointwise(special.erf, "z", z=f"g * {2.0 / _SQRT_PI!r} * np.exp(-z * z)"),
        pointwise(special.erfc, "x", x=f"-g * {2.0 / _SQRT_PI!r} * np.exp(-x * x)"),
        pointwise(special.erfinv, "y", y=f"g * {_SQRT_PI / 2.0!r} * np.exp(result * result)"),
        pointwise(special.erfcinv, "y",
                  y=f"-g * {_SQRT_PI / 2.0!r} * np.exp(result * result)"),
        pointwise(special.ndtr, "x", x=f"g * np.exp(-0.5 * x * x) / {_SQRT_2PI!r}"),
        pointwise(special.log_ndtr, "x",
                  x=f"g * np.exp(-0.5 * x * x - result) / {_SQRT_2PI!r}"),
        pointwise(special.ndtri, "y", y=f"g * {_SQRT_2PI!r} * np.exp(0.5 * result * result)"),
        pointwise(special.gammaln, "x", x="g * digamma(x)"),
        pointwise(special.gamma, "z", z="g * result * digamma(z)"),
        pointwise(special.digamma, "x", x="g * polygamma(1, x)"),
        pointwise(special.polygamma, "n, x", x="g * polygamma(n + 1, x)"),
        pointwise(special.xlogy, "x, y", x="g * np.log(y)", y="g * x / y"),
        pointwise(special.xlog1py, "x, y", x="g * np.log1p(y)", y="g * x / (1.0 + y)"),
        pointwise(special.entr, "x", x="-g * (np.log(x) + 1.0)"),
        pointwise(special.rel_entr, "x, y", x="g * (np.log(x / y) + 1.0)", y="-g * x / y"),
        pointwise(special.kl_div, "x, y", x="g * np.log(x / y)", y="g * (1.0 - x / y)"),
        linear_rule(special.logsumexp, "a, axis=None, b=None, keepdims=False, "
                    "return_sign=False",
                    adjoint={"a": "logsumexp_adjoint(g, a, b, result, axis, keepdims, "
                                  "return_sign)",
                             "b": "logsumexp_adjoint_b(g, a, b, result, axis, keepdims, "
                                  "return_sign)"},
                    check=runtime_special.check_return_sign,
                    tangent={"a": "logsumexp_tangent(g, a, b, result, axis, keepdims, "
                                  "return_sign, 'a')",
                             "b": "logsumexp_tangent(g, a, b, result, axis, keepdims, "
                                  "return_sign, 'b')"}),
        linear_rule(special.softmax, "x, axis=None",
                    adjoint={"x": "softmax_adjoint(g, result, axis)"},
                    tangent={"x": "softmax_adjoint(g, result, axis)"}),
        linear_rule(special.log_softmax, "x, axis=None",
                    adjoint={"x": "g - np.exp(result) * np.sum(g, axis=axis, keepdims=True)"},
                    tangent={"x": "g - np.sum(np.exp(result) * g, axis=axis, keepdims=True)"}),
        linear_rule(linalg.solve_triangular, "a, b, *, lower=False, check_finite=True",
                    adjoint={p: f"solve_triangular_adjoint(g, a, b, result, lower, '{p}')"
                             for p in "ab"},
                    tangent={p: f"solve_triangular_tangent(g, a, b, result, lower, '{p}')"
                             for p in "ab"}),
    ]


RULES = _rules()

NOTES = {} if special is None else {
    special.digamma: "also `scipy.special.psi`",
    special.polygamma: "differentiable in x (n is an integer order)",
    special.logsumexp: "the scale factors `b` are differentiable too; `return_sign=True` "
                       "not supported",
    special.softmax: "the Jacobian is symmetric: one formula serves both modes",
    linalg.solve_triangular: "only the triangle `lower` names is read (and differentiated); "
                             "`trans` and `unit_diagonal` not supported",
}
