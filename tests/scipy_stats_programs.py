"""Realistic programs through the scipy.stats, scipy.special, scipy.integrate and
NumPy rules of issue #12 (each refused before those rules existed: the last four
before frozen distributions, named-tuple fields, gammaincc in its shape and
odeint), for tests/test_scipy_stats_and_special.py."""
import numpy as np
import scipy.linalg
import scipy.signal
from scipy import special, stats
from scipy.integrate import odeint

_rng = np.random.default_rng(3)
FEATURES = _rng.normal(size=(8, 3))
LABELS = (FEATURES @ np.array([0.5, -1.0, 0.3]) + _rng.normal(size=8) > 0).astype(float)
COUNTS = np.array([0.0, 2.0, 1.0, 4.0, 3.0, 0.0, 5.0, 2.0])
TARGETS = FEATURES @ np.array([1.0, -0.5, 0.2]) + 0.3 * _rng.standard_t(3, size=8)
TIMES = np.linspace(0.0, 1.0, 6)
OBSERVED = np.sin(3.0 * TIMES)
PROPORTIONS = np.array([[0.2, 0.5, 0.3], [0.1, 0.6, 0.3]]).T
SIGNAL = np.sin(np.linspace(0.0, 3.0, 12))


def bayesian_logistic_regression(w):
    """Log posterior: Bernoulli likelihood through log_ndtr (probit), normal prior."""
    z = FEATURES @ w
    likelihood = np.sum(LABELS * special.log_ndtr(z) + (1.0 - LABELS) * special.log_ndtr(-z))
    return likelihood + np.sum(stats.norm.logpdf(w, loc=0.0, scale=2.0))


def student_t_regression(params):
    """Robust regression: Student-t errors with a learned scale and df."""
    w, log_scale, log_df = params[:3], params[3], params[4]
    residual = TARGETS - FEATURES @ w
    return np.sum(stats.t.logpdf(residual, np.exp(log_df), 0.0, np.exp(log_scale)))


def poisson_regression(w):
    """Poisson GLM with a log link and a gamma prior on the first rate."""
    rates = np.exp(FEATURES @ w)
    return np.sum(stats.poisson.logpmf(COUNTS, rates)) + \
        stats.gamma.logpdf(np.exp(w[0]), 2.0, scale=1.5)


def gaussian_process_evidence(log_lengthscale):
    """GP marginal likelihood of OBSERVED at TIMES under a squared-exponential kernel."""
    lengthscale = np.exp(log_lengthscale)
    gaps = TIMES[:, None] - TIMES[None, :]
    kernel = np.exp(-0.5 * gaps ** 2 / lengthscale ** 2) + 0.01 * np.eye(6)
    return stats.multivariate_normal.logpdf(OBSERVED, np.zeros(6), kernel)


def dirichlet_proportions(log_alpha):
    """Likelihood of observed proportions under a Dirichlet with learned concentrations."""
    return np.sum(stats.dirichlet.logpdf(PROPORTIONS, np.exp(log_alpha)))


def linear_ode_solution(a):
    """x(1) = expm(A) x0 for dx/dt = A x, fitted to a target state."""
    state = scipy.linalg.expm(np.reshape(a, (2, 2))) @ np.array([1.0, 0.0])
    return np.sum((state - np.array([0.5, 0.8])) ** 2)


def smoothed_signal_energy(kernel):
    """Energy of a signal smoothed by a learned filter, integrated by the trapezoid rule."""
    smooth = scipy.signal.convolve(SIGNAL, kernel, mode="same")
    return np.trapezoid(smooth ** 2, dx=0.25)


def least_squares_fit(design):
    """Residual of a least-squares fit as a function of the design matrix."""
    solution, residuals, _, _ = np.linalg.lstsq(design, OBSERVED, rcond=None)
    return residuals[0] + 0.1 * np.sum(solution ** 2)


def interpolated_profile(values):
    """A piecewise-linear profile through learned values, compared to data."""
    profile = np.interp(np.linspace(0.0, 1.0, 9), TIMES, values)
    return np.sum((profile - np.cos(np.linspace(0.0, 1.0, 9))) ** 2) + \
        np.sum(np.gradient(values, TIMES) ** 2) * 0.01


def censored_survival(params):
    """Weibull-free survival: exponential hazard with censoring via logsf, and a beta prior."""
    rate = np.exp(params[0])
    events = np.array([0.5, 1.2, 2.0])
    censored = np.array([1.5, 3.0])
    return np.sum(stats.expon.logpdf(events, scale=1.0 / rate)) + \
        np.sum(stats.expon.logsf(censored, scale=1.0 / rate)) + \
        stats.beta.logpdf(special.expit(params[1]), 2.0, 2.0)


def bessel_von_mises(kappa):
    """Von Mises log-likelihood: kappa cos(x - mu) - log(2 pi I0(kappa))."""
    angles = np.array([0.1, 0.4, -0.3, 0.2])
    return np.sum(kappa[0] * np.cos(angles - kappa[1])) - \
        4.0 * np.log(2.0 * np.pi * special.i0e(kappa[0])) - 4.0 * np.abs(kappa[0])


HEIGHTS = np.array([1.62, 1.75, 1.81, 1.58, 1.69])
CENSORING = np.array([2.5, 4.0])
DAYS = np.linspace(0.0, 10.0, 6)
INFECTED = np.array([0.01, 0.04, 0.13, 0.28, 0.31, 0.22])
GAMMA_PRIOR = stats.gamma(2.0, scale=0.5)


def hierarchical_normal(params):
    """A normal model whose location has a frozen normal prior and whose scale a
    frozen gamma prior (module level): both frozen objects differentiated."""
    mu, log_sigma = params[0], params[1]
    likelihood = stats.norm(mu, np.exp(log_sigma))
    prior = stats.norm(loc=1.7, scale=0.2)
    return np.sum(likelihood.logpdf(HEIGHTS)) + prior.logpdf(mu) + \
        GAMMA_PRIOR.logpdf(np.exp(log_sigma))


def censored_gamma_shape(params):
    """Gamma survival times with right censoring: the censored ones enter through
    log Q(shape, c / scale), differentiated in the shape too."""
    shape, scale = np.exp(params[0]), np.exp(params[1])
    events = np.array([0.8, 1.9, 3.1])
    return np.sum(stats.gamma.logpdf(events, shape, scale=scale)) + \
        np.sum(np.log(special.gammaincc(shape, CENSORING / scale)))


def principal_variance(data):
    """The share of variance along the leading principal axis, read through the
    named fields of eigh's result."""
    centred = data - np.mean(data, axis=0)
    spectrum = np.linalg.eigh(centred.T @ centred)
    return spectrum.eigenvalues[-1] / np.sum(spectrum.eigenvalues) + \
        0.1 * np.linalg.slogdet(centred.T @ centred + np.eye(2)).logabsdet


def sir_rates(y, t, rates):
    s, i = y[0], y[1]
    return np.array([-rates[0] * s * i, rates[0] * s * i - rates[1] * i])


def epidemic_fit(log_rates):
    """Least squares of an SIR model's infected fraction against observations,
    in the log infection and recovery rates (odeint, adjoint method)."""
    path = odeint(sir_rates, np.array([0.99, 0.01]), DAYS, args=(np.exp(log_rates),),
                  rtol=1e-11, atol=1e-11)
    return np.sum((path[:, 1] - INFECTED) ** 2)


PROGRAMS = [
    (bayesian_logistic_regression, np.array([0.2, -0.4, 0.1])),
    (student_t_regression, np.array([0.9, -0.4, 0.1, -0.8, 1.1])),
    (poisson_regression, np.array([0.1, 0.3, -0.2])),
    (gaussian_process_evidence, np.log(0.4)),
    (dirichlet_proportions, np.array([0.3, 0.8, 0.5])),
    (linear_ode_solution, np.array([0.1, -0.6, 0.5, 0.2])),
    (smoothed_signal_energy, np.array([0.25, 0.5, 0.25])),
    (least_squares_fit, np.column_stack([np.ones(6), TIMES, TIMES ** 2])),
    (interpolated_profile, np.cos(TIMES) + 0.1),
    (censored_survival, np.array([0.2, 0.3])),
    (bessel_von_mises, np.array([1.5, 0.1])),
    (hierarchical_normal, np.array([1.65, np.log(0.1)])),
    (censored_gamma_shape, np.array([0.4, 0.6])),
    (principal_variance, np.column_stack([HEIGHTS, HEIGHTS ** 2 * 0.3 + np.arange(5) * 0.05])),
    (epidemic_fit, np.log(np.array([0.9, 0.3]))),
]
