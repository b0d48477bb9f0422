"""Derivatives of scipy.special functions, scipy.linalg (solve_triangular,
expm, cholesky, cho_factor/cho_solve, solve, inv, det, eigh, svd...: see
_scipy_linalg), scipy.signal.convolve and scipy.integrate.odeint (of a user's func, by
the adjoint method) (an empty table when SciPy is not installed: calls to them
then get the usual "no derivative rule" error). The registry reads this file
only once SciPy is imported (by the user's code), so that adcompiler's first
derivative need not import SciPy."""

import math

from ..runtime import odeint as runtime_odeint
from ..runtime import scipy_linalg as runtime_scipy_linalg
from ..runtime import special_series as runtime_special_series
from ..runtime import special as runtime_special
from .definition import linear_rule, nondifferentiable, pointwise

try:
    from scipy import integrate, linalg, signal, special
except ImportError:  # SciPy is optional
    integrate = linalg = signal = special = None

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


def _more_special():
    """Beta, incomplete gamma and beta, Bessel and multigamma functions (issue #12)."""
    if special is None:
        return []
    return [
        # Beta, incomplete gamma and beta functions (in a and b only where exact).
        pointwise(special.beta, "a, b", a="g * result * (digamma(a) - digamma(a + b))",
                  b="g * result * (digamma(b) - digamma(a + b))"),
        pointwise(special.betaln, "a, b", a="g * (digamma(a) - digamma(a + b))",
                  b="g * (digamma(b) - digamma(a + b))"),
        pointwise(special.gammainc, "a, x",
                  x="g * np.exp((a - 1.0) * np.log(x) - x - gammaln(a))",
                  a="g * gammainc_derivative_a(a, x, False)"),
        pointwise(special.gammaincc, "a, x",
                  x="-g * np.exp((a - 1.0) * np.log(x) - x - gammaln(a))",
                  a="g * gammainc_derivative_a(a, x, True)"),
        # The a-derivatives' own derivatives: in a the next order (the helper refuses a
        # third), in x the a-derivatives of dP/dx = x^(a-1) e^-x / Γ(a).
        pointwise(runtime_special_series.gammainc_derivative_a, "a, x, upper, order=1",
                  a="g * gammainc_derivative_a(a, x, upper, order + 1)",
                  x="g * (1.0 - 2.0 * upper) * np.exp((a - 1.0) * np.log(x) - x - gammaln(a)) "
                    "* ((np.log(x) - digamma(a)) ** order - (order - 1) * polygamma(1, a))"),
        pointwise(special.betainc, "a, b, x",
                  x="g * np.exp((a - 1.0) * np.log(x) + (b - 1.0) * np.log1p(-x) - betaln(a, b))",
                  a="g * betainc_derivative(a, b, x, 'a')",
                  b="g * betainc_derivative(a, b, x, 'b')"),
        # Its a- and b-derivatives' derivative in x: those of dI/dx = x^(a-1)(1-x)^(b-1)/B(a, b);
        # a second derivative in a or b is refused.
        pointwise(runtime_special_series.betainc_derivative, "a, b, x, wrt",
                  x="g * np.exp((a - 1.0) * np.log(x) + (b - 1.0) * np.log1p(-x) - betaln(a, b)) "
                    "* ((wrt == 'a') * (np.log(x) - digamma(a)) + (wrt == 'b') * "
                    "(np.log1p(-x) - digamma(b)) + digamma(a + b))",
                  a="no_derivative(g, 'the derivative of scipy.special.betainc', 'a')",
                  b="no_derivative(g, 'the derivative of scipy.special.betainc', 'b')"),
        pointwise(special.multigammaln, "a, d", a="g * multigammaln_derivative(a, d)"),
        # Bessel functions: derivatives in the argument are Bessel functions of the
        # neighbouring orders; in a real order v they have no closed form (refused).
        pointwise(special.j0, "x", x="-g * bessel('j', 1.0, x)"),
        pointwise(special.j1, "x", x="g * 0.5 * (bessel('j', 0.0, x) - bessel('j', 2.0, x))"),
        pointwise(special.jv, "v, z",
                  z="g * 0.5 * (bessel('j', v - 1.0, z) - bessel('j', v + 1.0, z))",
                  v="no_derivative(g, 'scipy.special.jv', 'v')"),
        pointwise(special.y0, "x", x="-g * bessel('y', 1.0, x)"),
        pointwise(special.y1, "x", x="g * 0.5 * (bessel('y', 0.0, x) - bessel('y', 2.0, x))"),
        pointwise(special.yn, "n, x",
                  x="g * 0.5 * (bessel('y', n - 1.0, x) - bessel('y', n + 1.0, x))"),
        pointwise(special.yv, "v, z",
                  z="g * 0.5 * (bessel('y', v - 1.0, z) - bessel('y', v + 1.0, z))",
                  v="no_derivative(g, 'scipy.special.yv', 'v')"),
        pointwise(special.i0, "x", x="g * bessel('i', 1.0, x)"),
        pointwise(special.i1, "x", x="g * 0.5 * (bessel('i', 0.0, x) + bessel('i', 2.0, x))"),
        pointwise(special.iv, "v, z",
                  z="g * 0.5 * (bessel('i', v - 1.0, z) + bessel('i', v + 1.0, z))",
                  v="no_derivative(g, 'scipy.special.iv', 'v')"),
        pointwise(special.i0e, "x", x="g * (bessel('ie', 1.0, x) - np.sign(x) * result)"),
        pointwise(special.i1e, "x", x="g * (0.5 * (bessel('ie', 0.0, x) + bessel('ie', 2.0, x))"
                                      " - np.sign(x) * result)"),
        pointwise(special.ive, "v, z",
                  z="g * (0.5 * (bessel('ie', v - 1.0, z) + bessel('ie', v + 1.0, z)) - "
                    "np.sign(z) * result)",
                  v="no_derivative(g, 'scipy.special.ive', 'v')"),
        pointwise(special.k0, "x", x="-g * bessel('k', 1.0, x)"),
        pointwise(special.k1, "x", x="-g * 0.5 * (bessel('k', 0.0, x) + bessel('k', 2.0, x))"),
        pointwise(special.k0e, "x", x="g * (result - bessel('ke', 1.0, x))"),
        pointwise(special.k1e, "x",
                  x="g * (result - 0.5 * (bessel('ke', 0.0, x) + bessel('ke', 2.0, x)))"),
        pointwise(special.kv, "v, z",
                  z="-g * 0.5 * (bessel('k', v - 1.0, z) + bessel('k', v + 1.0, z))",
                  v="no_derivative(g, 'scipy.special.kv', 'v')"),
        pointwise(special.kve, "v, z",
                  z="g * (result - 0.5 * (bessel('ke', v - 1.0, z) + bessel('ke', v + 1.0, z)))",
                  v="no_derivative(g, 'scipy.special.kve', 'v')"),
    ]


def _linalg_and_signal():
    if linalg is None:
        return []
    return [
        linear_rule(linalg.expm, "A",
                    adjoint={"A": "expm_frechet_block(mT(A), g)"},
                    tangent={"A": "expm_frechet_block(A, g)"}),
        linear_rule(signal.convolve, "in1, in2, mode='full', method='auto'",
                    adjoint={p: f"signal_convolve_adjoint(g, in1, in2, mode, '{p}')"
                             for p in ("in1", "in2")},
                    tangent={"in1": "signal_convolve(g, in2, mode)",
                             "in2": "signal_convolve(in1, g, mode)"}),
    ]


def _odeint():
    """scipy.integrate.odeint in y0, the args it passes on to func and t, by the adjoint
    method and forward sensitivities (runtime/odeint.py; api.py hands the helpers
    its vjp and jvp of func)."""
    if integrate is None:
        return []
    options = "rtol, atol, hmax, mxstep, tfirst"
    call = "(g, func, y0, t, args, result, '{}', " + options + ")"
    second = "no_derivative(g, 'the derivative of scipy.integrate.odeint', '{}')"
    refused = {p: second.format(p) for p in ("y0", "t", "args", "path")}
    helper_signature = "seed, func, y0, t, args, path, wrt, " + options
    helper_call = "(g, func, y0, t, args, path, wrt, " + options + ")"
    return [
        linear_rule(
            integrate.odeint, "func, y0, t, args=(), rtol=None, atol=None, h0=0.0, hmax=0.0, "
            "hmin=0.0, mxstep=0, tfirst=False",
            adjoint={"y0": "odeint_adjoint" + call.format("y0"),
                     "args": "odeint_adjoint" + call.format("args"),
                     "t": "odeint_adjoint" + call.format("t")},
            tangent={"y0": "odeint_tangent" + call.format("y0"),
                     "args": "odeint_tangent" + call.format("args"),
                     "t": "odeint_tangent" + call.format("t")}),
        # The adjoint is linear in its seed, whose transpose is the tangent (and the
        # other way round); a second derivative in y0, args or t is refused.
        linear_rule(runtime_odeint.odeint_adjoint, helper_signature,
                    adjoint={"seed": "odeint_tangent" + helper_call, **refused},
                    tangent={"seed": "odeint_adjoint" + helper_call, **refused}),
        linear_rule(runtime_odeint.odeint_tangent, helper_signature,
                    adjoint={"seed": "odeint_adjoint" + helper_call, **refused},
                    tangent={"seed": "odeint_tangent" + helper_call, **refused}),
    ]


def _unit_lower(packed: str) -> str:
    """L of a packed LU (its strict lower triangle and a unit diagonal), as a template."""
    return f"(np.tril({packed}, -1) + np.eye(np.shape({packed})[-1]))"


def _right_solve(x: str, r: str) -> str:
    """x r⁻¹, as a template."""
    return f"mT(np.linalg.solve(mT({r}), mT({x})))"


def _unpermuted(x: str, piv: str) -> str:
    """The rows of x put back where lu_factor's pivots took them from, as a template."""
    return f"np.take_along_axis({x}, np.argsort(lu_rows({piv}), axis=-1)[..., :, None], axis=-2)"


def _scipy_linalg():
    """scipy.linalg's factorizations and solvers (runtime/scipy_linalg.py): the
    numpy.linalg helpers applied to the matrix SciPy really reads (one
    triangle for cholesky, eigh, solve(assume_a='pos'), ...), so that every
    derivative is the one of SciPy's values at any input, and matches finite
    differences; the arguments SciPy may overwrite are not read after the call
    where overwrite_a=True is accepted."""
    if linalg is None:
        return []
    rsl = runtime_scipy_linalg
    # cholesky: the factor L of S = symmetric_from_triangle(a, lower), or U = Lᵀ.
    factor = "(result if lower else mT(result))"
    along = "symmetric_from_triangle(g, lower)"
    # cho_factor's c: the factor in the triangle `lower`, a's entries outside it.
    c_factor = "lower_factor(result[0], lower)"
    c_seed = "part(g, 0, result[0])"
    # cho_solve solves with S = L Lᵀ, L read from c's triangle.
    c, low = "c_and_lower[0]", "c_and_lower[1]"
    c_l = f"lower_factor({c}, {low})"
    s = f"({c_l} @ mT({c_l}))"
    s_bar = f"solve_adjoint_a(g, {s}, b, result)"
    dc_l = f"lower_factor(part(g, 0, {c}), {low})"
    # solve and inv: the matrix assume_a, lower and transposed make of a.
    m = "solve_matrix(a, assume_a, lower, transposed)"
    # lu_factor's (lu, piv): a[rows] = L U, L unit lower and U upper packed in lu.
    # With X = L⁻¹ da[rows] U⁻¹: dL = L tril(X, -1), dU = triu(X) U; and back,
    # X̄ = tril(Lᵀ L̄, -1) + triu(Ū Uᵀ), da[rows] = L⁻ᵀ X̄ U⁻ᵀ.
    lu_l, lu_u = _unit_lower("result[0]"), "np.triu(result[0])"
    rows = "lu_rows(result[1])[..., :, None]"
    x = _right_solve(f"np.linalg.solve({lu_l}, np.take_along_axis(g, {rows}, axis=-2))", lu_u)
    lu_factor_tangent = f"{lu_l} @ np.tril({x}, -1) + np.triu({x}) @ {lu_u}"
    seed = "part(g, 0, result[0])"
    x_bar = f"np.tril(mT({lu_l}) @ np.tril({seed}, -1), -1) + np.triu(np.triu({seed}) @ mT({lu_u}))"
    lu_factor_adjoint = _unpermuted(_right_solve(f"np.linalg.solve(mT({lu_l}), {x_bar})",
                                                 f"mT({lu_u})"), "result[1]")
    # lu_solve solves with m = a (trans=0) or aᵀ, a = rows⁻¹(L U) from lu_and_piv.
    packed, pivots = "lu_and_piv[0]", "lu_and_piv[1]"
    l_, u_ = _unit_lower(packed), f"np.triu({packed})"
    a_ = _unpermuted(f"{l_} @ {u_}", pivots)
    lu_m = f"lu_transposed({a_}, trans)"
    m_bar = f"solve_adjoint_a(g, {lu_m}, b, result)"
    product_bar = f"np.take_along_axis(lu_transposed({m_bar}, trans), " \
                  f"lu_rows({pivots})[..., :, None], axis=-2)"
    lu_solve_adjoint = f"np.tril({product_bar} @ mT({u_}), -1) + np.triu(mT({l_}) @ {product_bar})"
    dlu = f"part(g, 0, {packed})"
    da = _unpermuted(f"np.tril({dlu}, -1) @ {u_} + {l_} @ np.triu({dlu})", pivots)
    lu_solve_tangent = f"solve_tangent_a(lu_transposed({da}, trans), {lu_m}, b, result)"
    eigh_options = ("b=None, *, lower=True, overwrite_a=False, overwrite_b=False, type=1, "
                    "check_finite=True, subset_by_index=None, subset_by_value=None, "
                    "driver=None")
    return [
        linear_rule(linalg.cholesky, "a, lower=False, overwrite_a=False, check_finite=True",
                    adjoint={"a": f"triangle_fold(cholesky_adjoint(g if lower else mT(g), "
                                  f"{factor}, None), lower)"},
                    tangent={"a": f"cholesky_tangent({along}, result, None) if lower else "
                                  f"mT(cholesky_tangent({along}, mT(result), None))"}),
        linear_rule(linalg.cho_factor, "a, lower=False, overwrite_a=False, check_finite=True",
                    adjoint={"a": f"triangle_fold(cholesky_adjoint(lower_factor({c_seed}, "
                                  f"lower), {c_factor}, None), lower) + "
                                  f"outside_triangle({c_seed}, lower)"},
                    tangent={"a": f"(lower_factor_adjoint(cholesky_tangent({along}, "
                                  f"{c_factor}, None), lower) + outside_triangle(g, lower), "
                                  "np.zeros(np.shape(result[1])))"}),
        linear_rule(linalg.cho_solve, "c_and_lower, b, overwrite_b=False, check_finite=True",
                    adjoint={"c_and_lower": f"(lower_factor_adjoint(({s_bar} + mT({s_bar})) "
                                            f"@ {c_l}, {low}), None)",
                             "b": f"solve_adjoint_b(g, {s}, b)"},
                    tangent={"c_and_lower": f"solve_tangent_a({dc_l} @ mT({c_l}) + {c_l} @ "
                                            f"mT({dc_l}), {s}, b, result)",
                             "b": f"np.linalg.solve({s}, g)"}),
        linear_rule(linalg.solve, "a, b, lower=False, overwrite_a=False, overwrite_b=False, "
                    "check_finite=True, assume_a=None, transposed=False",
                    check=rsl.check_solve,
                    adjoint={"a": f"solve_matrix_adjoint(solve_adjoint_a(g, {m}, b, result), "
                                  "assume_a, lower, transposed)",
                             "b": f"solve_adjoint_b(g, {m}, b)"},
                    tangent={"a": "solve_tangent_a(solve_matrix(g, assume_a, lower, "
                                  f"transposed), {m}, b, result)",
                             "b": f"np.linalg.solve({m}, g)"}),
        linear_rule(linalg.inv, "a, overwrite_a=False, check_finite=True, *, assume_a=None, "
                    "lower=False", check=rsl.check_assume_a,
                    adjoint={"a": "solve_matrix_adjoint(-(mT(result) @ g @ mT(result)), "
                                  "assume_a, lower, False)"},
                    tangent={"a": "-(result @ solve_matrix(g, assume_a, lower, False) "
                                  "@ result)"}),
        linear_rule(linalg.det, "a, overwrite_a=False, check_finite=True",
                    check=rsl.check_det,
                    adjoint={"a": "det_adjoint(g, a)"}, tangent={"a": "det_tangent(g, a)"}),
        linear_rule(linalg.eigh, "a, " + eigh_options.replace(
                        "lower=True, ", "lower=True, eigvals_only=False, "),
                    check=rsl.check_eigh,
                    adjoint={"a": "triangle_fold(eigvalsh_adjoint(g, symmetric_from_triangle("
                                  "a, lower)) if eigvals_only else eigh_adjoint(g, None, "
                                  "result), lower)"},
                    tangent={"a": f"eigvalsh_tangent({along}, symmetric_from_triangle(a, "
                                  f"lower)) if eigvals_only else eigh_tangent({along}, None, "
                                  "result)"}),
        linear_rule(linalg.eigvalsh, "a, " + eigh_options, check=rsl.check_eigvalsh,
                    adjoint={"a": "triangle_fold(eigvalsh_adjoint(g, symmetric_from_triangle("
                                  "a, lower)), lower)"},
                    tangent={"a": f"eigvalsh_tangent({along}, symmetric_from_triangle(a, "
                                  "lower))"}),
        linear_rule(linalg.svd, "a, full_matrices=True, compute_uv=True, overwrite_a=False, "
                    "check_finite=True, lapack_driver='gesdd'", check=rsl.check_svd,
                    adjoint={"a": "svd_adjoint(g, svd_checked(a, lapack_driver), result, "
                                  "full_matrices, compute_uv)"},
                    tangent={"a": "svd_tangent(g, svd_checked(a, lapack_driver), result, "
                                  "full_matrices, compute_uv)"}),
        linear_rule(linalg.svdvals, "a, overwrite_a=False, check_finite=True",
                    check=rsl.check_svdvals,
                    adjoint={"a": "svdvals_adjoint(g, a)"}, tangent={"a": "svdvals_tangent(g, a)"}),
        linear_rule(linalg.lu_factor, "a, overwrite_a=False, check_finite=True",
                    adjoint={"a": lu_factor_adjoint},
                    tangent={"a": f"({lu_factor_tangent}, np.zeros(np.shape(result[1])))"}),
        linear_rule(linalg.lu_solve, "lu_and_piv, b, trans=0, overwrite_b=False, "
                    "check_finite=True", check=rsl.check_lu_solve,
                    adjoint={"lu_and_piv": f"({lu_solve_adjoint}, None)",
                             "b": f"solve_adjoint_b(g, {lu_m}, b)"},
                    tangent={"lu_and_piv": lu_solve_tangent,
                             "b": f"np.linalg.solve({lu_m}, g)"}),
        *nondifferentiable(rsl.lu_rows),
        # norm is numpy.linalg.norm's (SciPy's BLAS nrm2 for the 2-norm of all entries)
        linear_rule(linalg.norm, "a, ord=None, axis=None, keepdims=False, check_finite=True",
                    adjoint={"a": "norm_adjoint(g, a, result, ord, axis, keepdims)"},
                    tangent={"a": "norm_tangent(g, a, result, ord, axis, keepdims)"}),
        linear_rule(linalg.pinv, "a, *, atol=None, rtol=None, return_rank=False, "
                    "check_finite=True", check=rsl.check_pinv,
                    adjoint={"a": "pinv_adjoint(g, a, result)"},
                    tangent={"a": "pinv_tangent(g, a, result)"}),
        # lstsq: numpy.linalg.lstsq's helpers (full rank), SciPy's residues reshaped
        linear_rule(linalg.lstsq, "a, b, cond=None, overwrite_a=False, overwrite_b=False, "
                    "check_finite=True, lapack_driver=None", check=rsl.check_lstsq,
                    adjoint={p: f"lstsq_adjoint(lstsq_seed(g, a, b), a, b, result, '{p}')"
                             for p in "ab"},
                    tangent={p: f"lstsq_tangent(lstsq_unbatched(g, a), a, b, result, '{p}')"
                             for p in "ab"}),
        # sqrtm: X dX + dX X = dA, a Sylvester equation (its transpose at Xᵀ)
        linear_rule(linalg.sqrtm, "A", adjoint={"A": "sqrtm_sylvester(mT(result), g)"},
                    tangent={"A": "sqrtm_sylvester(result, g)"}),
        # logm: the Fréchet derivative, from a block matrix (runtime/scipy_linalg.py)
        linear_rule(linalg.logm, "A", adjoint={"A": "logm_frechet(mT(A), g)"},
                    tangent={"A": "logm_frechet(A, g)"}),
        # toeplitz and circulant: linear, their derivatives the same matrices of g
        linear_rule(linalg.toeplitz, "c, r=None",
                    adjoint={p: f"toeplitz_adjoint(g, c, r, '{p}')" for p in "cr"},
                    tangent={p: f"toeplitz_slot(g, c, r, '{p}')" for p in "cr"}),
        linear_rule(linalg.circulant, "c", adjoint={"c": "circulant_adjoint(g)"},
                    tangent={"c": "circulant_of(g)"}),
    ]




_TRIANGLE = ("real matrices; only the triangle SciPy reads (`lower`) is differentiated, as "
             "SciPy computes (torch's symmetric derivative for a symmetric a built "
             "symmetrically)")
_OVERWRITE_REFUSED = "`overwrite_a=True` refused (SciPy may overwrite a, which the " \
    "derivative reads)"
_SCIPY_LINALG_NOTES = {} if linalg is None else {
    linalg.cholesky: _TRIANGLE + "; the upper factor by default; a stack of matrices too",
    linalg.cho_factor: _TRIANGLE + "; c's other triangle is a's own entries (derivative 1 "
                       "there); `lower` carries none",
    linalg.cho_solve: "(c, lower) from cho_factor (or a factor of your own): only c's triangle "
                      "`lower` is read and differentiated; b a vector or matrix; c a stack",
    linalg.solve: "assume_a None, 'gen', 'banded' (a general solve), 'sym', 'her', 'pos' (the "
                  "triangle `lower` names, real a), 'diagonal', 'tridiagonal', 'upper "
                  "triangular', 'lower triangular' (the entries SciPy reads); `transposed`; "
                  "stacks; " + _OVERWRITE_REFUSED,
    linalg.inv: "assume_a as for solve; stacks",
    linalg.det: "as numpy.linalg.det (singular matrices too); stacks; " + _OVERWRITE_REFUSED,
    linalg.eigh: _TRIANGLE + "; distinct eigenvalues; eigenvectors up to sign (the default "
                 "driver evr may flip one between nearby matrices): differentiate "
                 "sign-invariant functions of them; `eigvals_only`; `b` (generalized), "
                 "`subset_by_index`, `subset_by_value` refused; stacks",
    linalg.eigvalsh: _TRIANGLE + "; distinct eigenvalues; `b`, subsets refused; "
                     + _OVERWRITE_REFUSED,
    linalg.svd: "as numpy.linalg.svd (distinct non-zero singular values, `full_matrices=False` "
                "unless square, sign-invariant functions of the vectors); lapack_driver gesdd, or "
                "gesvd for real matrices; "
                "`overwrite_a=True` refused with compute_uv=False",
    linalg.svdvals: "distinct non-zero singular values; " + _OVERWRITE_REFUSED,
    linalg.lu_factor: "(lu, piv): in lu (L's strict lower triangle and U), piv an integer "
                      "array; distinct pivots; stacks",
    linalg.lu_solve: "(lu, piv) from lu_factor: L and U of lu are read and differentiated; "
                     "trans 0, 1, 2 (2 of a complex a refused)",
    linalg.norm: "as numpy.linalg.norm",
    linalg.pinv: "full-rank matrices (every singular value above SciPy's atol + rtol cutoff, "
                 "else refused); `return_rank=True` refused",
    linalg.lstsq: "as numpy.linalg.lstsq (full-rank a, one matrix, b a vector or matrix): "
                  "in x, the residues and the singular values; drivers gelsd and gelss "
                  "('gelsy' refused); `overwrite_a`, `overwrite_b` refused (the derivative "
                  "reads a and b)",
    linalg.sqrtm: "by the Sylvester equation X dX + dX X = dA (real or complex, the "
                  "principal root SciPy gives); stacks; `disp` and `blocksize` not supported",
    linalg.logm: "by the Fréchet derivative of a block matrix, to any order (real or "
                 "complex, the principal logarithm SciPy gives); stacks; `disp` not supported",
    linalg.toeplitz: "r[0] is not read; without r, r is conj(c); stacks",
    linalg.circulant: "stacks",
}

RULES = _rules() + _more_special() + _linalg_and_signal() + _odeint() + _scipy_linalg()

# docs/derivatives.md lists the functions users call, not lu_factor's pivots helper
# (runtime/scipy_linalg.py; the other helpers' rules: scipy_linalg_helper_rules.py).
DOCUMENTED_RULES = [rule for rule in RULES
                    if getattr(rule.function, "__module__", None) != runtime_scipy_linalg.__name__]

NOTES = {} if special is None else {
    **({} if integrate is None else {
        integrate.odeint: "func a Python function adcompiler differentiates, y0 1-d; in y0, "
                          "the float args and the times, by the adjoint method (reverse) and "
                          "forward sensitivities (forward), solved by odeint at the call's "
                          "rtol/atol; no second derivative",
        runtime_odeint.odeint_adjoint: "in the seed only (a second derivative is refused)",
        runtime_odeint.odeint_tangent: "in the seed only (a second derivative is refused)"}),
    special.digamma: "also `scipy.special.psi`",
    special.polygamma: "differentiable in x (n is an integer order)",
    special.logsumexp: "the scale factors `b` are differentiable too; `return_sign=True` "
                       "not supported",
    special.softmax: "the Jacobian is symmetric: one formula serves both modes",
    special.gammainc: "a > 0; in a from P's series or Q's continued fraction, "
                      "differentiated term by term (checked against mpmath), to second "
                      "order",
    special.gammaincc: "as gammainc",
    special.betainc: "a, b > 0; in a and b from its continued fraction, differentiated "
                     "term by term (checked against mpmath); no second derivative in a, b",
    special.multigammaln: "in a (d is an integer)",
    special.yn: "in x (n is an integer)",
    special.jv: "also `jn`; in z; not in the order v (refused)",
    special.yv: "in z; not in the order v (refused)",
    special.iv: "in z; not in the order v (refused)",
    special.ive: "in real z; not in the order v (refused)",
    special.kv: "in z; not in the order v (refused)",
    special.kve: "in z; not in the order v (refused)",
    linalg.expm: "the Fréchet derivative (a block-matrix expm), a stack of matrices too",
    signal.convolve: "real N-d arrays; modes full, same, valid",
    linalg.solve_triangular: "only the triangle `lower` names is read (and differentiated); "
                             "`trans` and `unit_diagonal` not supported",
    **_SCIPY_LINALG_NOTES,
}
