"""Derivatives of scipy.stats distributions: pdf, logpdf, cdf, logcdf, sf, logsf
and ppf of the continuous ones, pmf, logpmf, cdf, logcdf, sf and logsf of poisson
(its ppf, an integer, has a zero derivative), pmf and logpmf of binom and
bernoulli, pdf, logpdf, cdf and logcdf of multivariate_normal, pdf and logpdf
of dirichlet (an empty table without SciPy).

`scipy.stats.norm.pdf` is a method bound to the distribution object; the rule
table keys such methods on the object and the function together, so every
spelling of it (`stats.norm.pdf`, `from scipy.stats import norm; norm.pdf`)
finds the rule. A frozen distribution's methods (`norm(0, 1).pdf(x)`, `rv =
gamma(a, scale=s); rv.logpdf(x)`) are these rules applied to the arguments it
was frozen with (passes/frozen_distributions.py).

With z = (x - loc) / scale, density p = f(z) / scale and score
s = d log f / dz (runtime_stats.stats_score):

    d logpdf / dx = s / scale     d logpdf / dloc = -s / scale
    d logpdf / dscale = -(1 + z s) / scale
    d cdf / dx = p    d cdf / dloc = -p    d cdf / dscale = -p z
    d ppf / dq = 1 / p(ppf)    d ppf / dloc = 1    d ppf / dscale = (ppf - loc) / scale

pdf is p times the logpdf's, logcdf the cdf's divided by the cdf, sf and logsf
the cdf's negated. Shape parameters are differentiated in pdf and logpdf, and
in cdf, logcdf, sf, logsf and ppf of t, gamma, chi2, beta and lognorm
(stats_cdf_shape; d ppf / d shape = -(d cdf / d shape) / pdf at ppf).
"""

from dataclasses import replace

from .definition import linear_rule, nondifferentiable, pointwise

try:
    from scipy import stats
except ImportError:  # SciPy is optional
    stats = None

# name -> its shape parameters, in scipy's order.
_CONTINUOUS = {"norm": (), "t": ("df",), "gamma": ("a",), "beta": ("a", "b"),
               "expon": (), "laplace": (), "logistic": (), "cauchy": (), "lognorm": ("s",),
               "chi2": ("df",), "halfnorm": (), "uniform": ()}


# Distributions whose cdf (and so logcdf, sf, logsf, ppf) is differentiated in its
# shapes: the incomplete gamma and beta functions' shape derivatives (t's through
# betainc), lognorm's ndtr.
_CDF_IN_SHAPES = {"gamma", "chi2", "beta", "lognorm", "t"}


def _continuous(name, shapes):
    dist = getattr(stats, name)
    label = f"scipy.stats.{name}"
    shape_a = shapes[0] if shapes else "None"
    shape_b = shapes[1] if len(shapes) > 1 else "None"
    spread = "".join(f"{s}, " for s in shapes)
    z = "(x - loc) / scale"
    score = f"stats_score('{name}', {z}, {shape_a}, {shape_b})"

    def density(at):
        return f"np.exp(stats_logpdf('{name}', {at}, {shape_a}, {shape_b}, loc, scale))"

    def shape_partials(factor):
        return {s: f"g * {factor}stats_logpdf_shape('{name}', '{w}', x, {shape_a}, {shape_b}, "
                   "loc, scale)" for s, w in zip(shapes, "ab")}

    def cdf_shape(at):
        return {s: f"stats_cdf_shape('{name}', '{w}', {at}, {shape_a}, {shape_b}, loc, scale)"
                for s, w in zip(shapes, "ab")}

    def refused_or(method, partials):
        """The shape partials where the cdf has them, else refusals."""
        if name in _CDF_IN_SHAPES:
            return partials
        return {s: f"no_derivative(g, '{label}.{method}', '{s}')" for s in shapes}

    signature = f"x, {spread}loc=0.0, scale=1.0"
    rules = [
        pointwise(dist.logpdf, signature, f"{label}.logpdf",
                  x=f"g * {score} / scale", loc=f"-g * {score} / scale",
                  scale=f"-g * (1.0 + {z} * {score}) / scale", **shape_partials("")),
        pointwise(dist.pdf, signature, f"{label}.pdf",
                  x=f"g * result * {score} / scale", loc=f"-g * result * {score} / scale",
                  scale=f"-g * result * (1.0 + {z} * {score}) / scale",
                  **shape_partials("result * ")),
    ]
    # cdf-like: (method, sign, divided by the result)
    for method, sign, logarithm in (("cdf", "", False), ("logcdf", "", True),
                                    ("sf", "-", False), ("logsf", "-", True)):
        factor = f"np.exp(stats_logpdf('{name}', x, {shape_a}, {shape_b}, loc, scale) - " \
                 "result)" if logarithm else density("x")
        negated = "" if sign else "-"
        by_cdf = " / np.exp(result)" if logarithm else ""
        shape_partials = {s: f"{sign}g * {d}{by_cdf}" for s, d in cdf_shape("x").items()}
        rules.append(pointwise(getattr(dist, method), signature, f"{label}.{method}",
                               x=f"{sign}g * {factor}", loc=f"{negated}g * {factor}",
                               scale=f"{negated}g * {factor} * {z}",
                               **refused_or(method, shape_partials)))
    # F(ppf(q; shapes); shapes) = q: d ppf / d shape = -(d F / d shape) / density
    ppf_shapes = {s: f"-g * {d} / {density('result')}" for s, d in cdf_shape("result").items()}
    rules.append(pointwise(dist.ppf, f"q, {spread}loc=0.0, scale=1.0", f"{label}.ppf",
                           q=f"g / {density('result')}", loc="g",
                           scale="g * (result - loc) / scale", **refused_or("ppf", ppf_shapes)))
    return rules


def _poisson():
    poisson = stats.poisson
    label = "scipy.stats.poisson"
    signature = "k, mu, loc=0"
    shifted = "np.floor(k - loc)"
    return [
        pointwise(poisson.pmf, signature, f"{label}.pmf",
                  mu="g * result * ((k - loc) / mu - 1.0)"),
        pointwise(poisson.logpmf, signature, f"{label}.logpmf",
                  mu="np.where(np.isfinite(result), g * ((k - loc) / mu - 1.0), 0.0)"),
        # P(K <= k) = Q(floor(k) + 1, mu): its mu-derivative is -pmf(floor(k), mu).
        pointwise(poisson.cdf, signature, f"{label}.cdf",
                  mu=f"-g * stats_poisson_pmf({shifted}, mu)"),
        pointwise(poisson.sf, signature, f"{label}.sf",
                  mu=f"g * stats_poisson_pmf({shifted}, mu)"),
        pointwise(poisson.logcdf, signature, f"{label}.logcdf",
                  mu=f"-g * stats_poisson_pmf({shifted}, mu) / np.exp(result)"),
        pointwise(poisson.logsf, signature, f"{label}.logsf",
                  mu=f"g * stats_poisson_pmf({shifted}, mu) / np.exp(result)"),
        # An integer count, constant in q and mu between its jumps.
        replace(nondifferentiable(poisson.ppf)[0], name=f"{label}.ppf"),
    ]


def _binomial():
    """binom and bernoulli in the success probability p (counts are integers)."""
    rules = []
    for name, signature, trials in (("binom", "k, n, p, loc=0", "n"),
                                    ("bernoulli", "k, p, loc=0", "1.0")):
        dist = getattr(stats, name)
        score = f"((k - loc) / p - ({trials} - (k - loc)) / (1.0 - p))"
        rules += [
            pointwise(dist.pmf, signature, f"scipy.stats.{name}.pmf",
                      p=f"g * result * {score}"),
            pointwise(dist.logpmf, signature, f"scipy.stats.{name}.logpmf",
                      p=f"np.where(np.isfinite(result), g * {score}, 0.0)"),
        ]
    return rules


_MVN_CDF_SIGNATURE = ("x, mean=None, cov=1, allow_singular=False, maxpts=None, abseps=1e-05, "
                      "releps=1e-05, *, lower_limit=None, rng=None")


def _mvn_cdf(kind: str, method: str, wrt: str) -> str:
    """The template of multivariate_normal.cdf (method 'pdf') or logcdf
    ('logpdf', the cdf's divided by the cdf, exp(result)) in `wrt`."""
    arguments = "x, mean, cov, allow_singular, maxpts, abseps, releps, lower_limit"
    if kind == "adjoint":
        seed = "g" if method == "pdf" else "g / np.exp(result)"
        return f"mvn_cdf_adjoint({seed}, {arguments}, '{wrt}')"
    tangent = f"mvn_cdf_tangent(g, {arguments}, result, '{wrt}')"
    return tangent if method == "pdf" else f"{tangent} / np.exp(result)"


def _multivariate():
    mvn, dirichlet = stats.multivariate_normal, stats.dirichlet
    mvn_signature = "x, mean=None, cov=1, allow_singular=False"
    rules = []
    for method, scale in (("logpdf", ""), ("pdf", "result * ")):
        rules.append(linear_rule(
            getattr(mvn, method), mvn_signature,
            label=f"scipy.stats.multivariate_normal.{method}",
            adjoint={p: f"mvn_logpdf_adjoint({scale}g, x, mean, cov, '{p}')"
                     for p in ("x", "mean", "cov")},
            tangent={p: f"{scale}mvn_logpdf_tangent(g, x, mean, cov, result, '{p}')"
                     for p in ("x", "mean", "cov")}))
        rules.append(linear_rule(
            getattr(mvn, method.replace("pdf", "cdf")), _MVN_CDF_SIGNATURE,
            label=f"scipy.stats.multivariate_normal.{method.replace('pdf', 'cdf')}",
            adjoint={p: _mvn_cdf("adjoint", method, p) for p in ("x", "mean", "cov")},
            tangent={p: _mvn_cdf("tangent", method, p) for p in ("x", "mean", "cov")}))
        rules.append(linear_rule(
            getattr(dirichlet, method), "x, alpha",
            label=f"scipy.stats.dirichlet.{method}",
            adjoint={p: f"dirichlet_logpdf_adjoint({scale}g, x, alpha, '{p}')"
                     for p in ("x", "alpha")},
            tangent={p: f"{scale}dirichlet_logpdf_tangent(g, x, alpha, '{p}')"
                     for p in ("x", "alpha")}))
    return rules


def _rules():
    if stats is None:
        return []
    rules = []
    for name, shapes in _CONTINUOUS.items():
        rules += _continuous(name, shapes)
    return rules + _poisson() + _binomial() + _multivariate()


RULES = _rules()

NOTES = {} if stats is None else {
    **{getattr(getattr(stats, name), method): "not in the shape parameters (refused)"
       for name, shapes in _CONTINUOUS.items() if shapes and name not in _CDF_IN_SHAPES
       for method in ("cdf", "logcdf", "sf", "logsf", "ppf")},
    **{getattr(getattr(stats, name), method): "in the shapes through the incomplete gamma "
       "and beta functions' shape derivatives (checked against finite differences)"
       for name in _CDF_IN_SHAPES - {"lognorm"}
       for method in ("cdf", "logcdf", "sf", "logsf", "ppf")},
    stats.poisson.pmf: "in mu (k and loc are integers)",
    stats.poisson.cdf: "in mu: -pmf(floor(k), mu)",
    stats.poisson.logcdf: "in mu: -pmf(floor(k), mu) / cdf",
    stats.binom.pmf: "in p (k, n and loc are integers)",
    stats.bernoulli.pmf: "in p (k and loc are integers)",
    stats.multivariate_normal.logpdf: "x of shape (..., d); mean (d,); cov a matrix (the "
                                      "symmetric gradient, as torch), vector or number",
    stats.multivariate_normal.pdf: "as logpdf",
    stats.multivariate_normal.cdf: "x of shape (..., d); cov a matrix (the symmetric "
                                   "gradient), vector or number; exact for d <= 2 (cov: d <= 3), "
                                   "else as accurate as SciPy's cdf (abseps, releps); not with "
                                   "lower_limit (refused)",
    stats.multivariate_normal.logcdf: "as cdf",
    stats.dirichlet.logpdf: "x with all K components on axis 0, (K,) or (K, N); the "
                            "unconstrained gradient in x, as torch",
    stats.dirichlet.pdf: "as logpdf",
}
