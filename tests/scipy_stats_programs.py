"""Realistic programs through the scipy.stats, scipy.special and NumPy rules of
issue #12 (each refused before those rules existed), for
tests/test_scipy_stats_and_special.py."""
import numpy as np
import scipy.linalg
import scipy.signal
from scipy import special, stats

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
]
