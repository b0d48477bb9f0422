"""Red-team corpus, round 7: realistic scientific programs, of the kind a
scientist hands to a differentiation tool, written in the idioms rounds 1-6
did not cover: finite-difference stencils updated in place (heat, wave,
advection, Jacobi with swapped buffers, Thomas's tridiagonal sweeps over
reversed ranges), n-body sums with pairwise distances, masks and filled
diagonals, Kalman filters and Riccati recursions, Gauss-Newton and Newton
loops that break, line searches, mixture log-likelihoods with logsumexp
written by hand, attention and layer norm with einsum, cumulative sums,
products and differences, sorting and searching (sort, argsort,
searchsorted, take_along_axis), scatters (np.add.at, np.bincount with
weights), NaN-guarded np.where, views modified in place (x.T, .flat, out=,
np.copyto, np.fill_diagonal), helpers that change their arguments or return
views, dicts of arrays keyed by f-strings, objects that keep state, and
recursion.

Each entry of PROGRAMS is a third_party_style_programs.Program, checked by
tests/test_red_team_round7.py (reverse, value_and_grad, forward, jvp, hvp)
against torch float64 or, without a twin, central finite differences, with
the arguments required unchanged. SCENARIOS return (label, got, want)
triples.

Programs whose name starts with `finding_` were wrong (or crashed) before
the commit that fixed them; their docstrings say how.
"""

from __future__ import annotations

import logging
import math
import warnings

import numpy as np
import scipy.linalg
import scipy.special
import scipy.stats
import torch

import adcompiler as ad
from red_team_checks import recorder
from third_party_style_programs import Program

PROGRAMS: list[Program] = []


program = recorder(PROGRAMS)


PROFILE = np.array([0.0, 0.3, 0.8, 1.0, 0.6, 0.2, 0.05, 0.0])
VECTOR = np.array([0.6, -1.3, 0.9, 2.1])
SIX = np.array([0.3, -0.8, 1.1, 0.45, -0.2, 0.7])
POSITIVE = np.array([0.4, 1.7, 2.5, 0.8, 1.1])
MATRIX = np.array([[1.2, -0.4, 0.3], [0.5, 0.9, -1.1], [-0.7, 0.2, 1.6]])
POINTS = np.array([[0.0, 0.1], [1.0, 0.2], [0.3, 1.1], [1.2, 1.3], [-0.4, 0.7]])
TOKENS = np.array([[0.3, -0.8, 1.1, 0.45], [-0.2, 0.7, 1.3, -0.6], [0.9, 0.1, -0.5, 0.2]])


# ======================================================================
# Finite-difference stencils updated in place
# ======================================================================


@program(PROFILE)
def heat_equation_with_slice_plus_equals(u0):
    u = u0.copy()
    r = 0.2
    for _ in range(12):
        u[1:-1] += r * (u[2:] - 2.0 * u[1:-1] + u[:-2])
    return np.sum(u ** 2) + u[3]


@program(PROFILE)
def periodic_diffusion_with_roll(u0):
    u = u0 + 0.1
    for _ in range(8):
        u = u + 0.15 * (np.roll(u, 1) - 2 * u + np.roll(u, -1))
    return np.sum(u ** 3)


@program(PROFILE)
def wave_equation_with_rotating_buffers(u0):
    c2 = 0.3
    prev = u0.copy()
    cur = u0.copy()
    nxt = np.zeros_like(u0)
    for _ in range(10):
        nxt[1:-1] = 2 * cur[1:-1] - prev[1:-1] + c2 * (cur[2:] - 2 * cur[1:-1] + cur[:-2])
        prev, cur, nxt = cur, nxt, prev
    return np.sum(cur * np.arange(cur.size)) + np.sum(prev ** 2)


@program(PROFILE)
def jacobi_iteration_swapping_two_buffers(f):
    u = np.zeros_like(f)
    v = np.zeros_like(f)
    h2 = 0.1
    for _ in range(15):
        v[1:-1] = 0.5 * (u[2:] + u[:-2] + h2 * f[1:-1])
        u, v = v, u
    return np.sum(u * f) + u[4] ** 2


@program(PROFILE)
def gauss_seidel_element_by_element(f):
    u = np.zeros(f.size)
    for _ in range(6):
        for i in range(1, f.size - 1):
            u[i] = 0.5 * (u[i - 1] + u[i + 1] + 0.1 * f[i])
    return np.sum(u ** 2)


def _apply_neumann(u):
    u[0] = u[1]
    u[-1] = u[-2]


@program(PROFILE)
def boundary_helper_changes_its_argument(u0):
    u = u0 * 1.0
    for _ in range(5):
        _apply_neumann(u)
        u[1:-1] = u[1:-1] + 0.2 * (u[2:] - 2 * u[1:-1] + u[:-2])
    _apply_neumann(u)
    return np.sum(u * u0)


@program(np.array([[0.0, 0.1, 0.2, 0.0], [0.3, 1.0, 0.8, 0.1], [0.2, 0.6, 0.9, 0.4],
                   [0.0, 0.2, 0.3, 0.0]]))
def two_dimensional_laplacian_on_the_interior(u0):
    u = u0.copy()
    for _ in range(4):
        lap = u[2:, 1:-1] + u[:-2, 1:-1] + u[1:-1, 2:] + u[1:-1, :-2] - 4 * u[1:-1, 1:-1]
        u[1:-1, 1:-1] += 0.1 * lap
    return np.sum(u ** 2)


@program(PROFILE + 0.2, smooth=False)
def upwind_advection_by_the_sign_of_the_velocity(u0):
    u = u0.copy()
    vel = np.sin(np.linspace(0, 2 * np.pi, u.size)) + 0.1
    for _ in range(5):
        back = u - np.roll(u, 1)
        fwd = np.roll(u, -1) - u
        u = u - 0.3 * np.where(vel > 0, vel * back, vel * fwd)
    return np.sum(u ** 2)


@program(np.array([0.1, 0.5, 0.9, 0.6, 0.4, 0.35, 0.2]), smooth=False)
def minmod_flux_limiter(u0):
    u = u0.copy()
    for _ in range(3):
        du = np.diff(u)
        left, right = du[:-1], du[1:]
        slope = np.where(left * right > 0, np.sign(left) * np.minimum(np.abs(left), np.abs(right)), 0.0)
        u[1:-1] -= 0.2 * slope
    return np.sum(u ** 2)


def _interior(u):
    return u[1:-1]


@program(PROFILE)
def helper_returns_a_view_written_through(u0):
    u = u0.copy()
    inner = _interior(u)
    inner *= 2.0
    inner += u0[:-2]
    return np.sum(u ** 2)


@program(np.array([1.0, 0.5, -0.3, 0.8, 0.2]), np.array([0.4, 0.6, 0.5, 0.3, 0.7]), wrt=(0, 1))
def thomas_algorithm_tridiagonal_solve(d, diag):
    n = d.size
    a = np.full(n, -0.2)
    b = diag + 1.0
    c = np.full(n, -0.3)
    cp = np.zeros(n)
    dp = np.zeros(n)
    cp[0] = c[0] / b[0]
    dp[0] = d[0] / b[0]
    for i in range(1, n):
        m = b[i] - a[i] * cp[i - 1]
        cp[i] = c[i] / m
        dp[i] = (d[i] - a[i] * dp[i - 1]) / m
    x = np.zeros(n)
    x[-1] = dp[-1]
    for i in range(n - 2, -1, -1):
        x[i] = dp[i] - cp[i] * x[i + 1]
    return np.sum(x * np.arange(1, n + 1))


@program(PROFILE[1:-1] + 0.1)
def crank_nicolson_with_a_dense_solve(u0):
    n = u0.size
    lap = np.diag(-2.0 * np.ones(n)) + np.diag(np.ones(n - 1), 1) + np.diag(np.ones(n - 1), -1)
    A = np.eye(n) - 0.25 * lap
    B = np.eye(n) + 0.25 * lap
    u = u0
    for _ in range(4):
        u = np.linalg.solve(A, B @ u)
    return np.sum(u ** 2) + u[0]


@program(np.array([[0.2, 0.5, 0.1], [0.7, 0.3, 0.9], [0.4, 0.8, 0.6]]))
def ising_energy_with_roll_over_both_axes(s):
    return -np.sum(s * np.roll(s, 1, axis=0)) - np.sum(s * np.roll(s, 1, axis=1)) + 0.3 * np.sum(s ** 4)


@program(np.array([0.0, 0.9, 2.1, 2.9, 4.2]))
def spring_chain_energy_with_diff(x):
    stretch = np.diff(x) - 1.0
    return 0.5 * np.sum(stretch ** 2) + 0.1 * np.sum(np.diff(x, n=2) ** 2)


# ======================================================================
# Particles: pairwise distances, masks, scatters
# ======================================================================

# (np.sqrt of the zero diagonal itself would give NaN in reverse mode, as in
# torch: the diagonal's zero adjoint times sqrt's infinite slope; forward
# mode and finite differences give numbers. The eye keeps it off zero.)
@program(POINTS)
def coulomb_energy_with_a_filled_infinite_diagonal(pos):
    diff = pos[:, None, :] - pos[None, :, :]
    dist = np.sqrt(np.sum(diff ** 2, axis=-1) + np.eye(len(pos)))
    np.fill_diagonal(dist, np.inf)
    return 0.5 * np.sum(1.0 / dist)


@program(POINTS)
def pair_energy_over_the_upper_triangle(pos):
    i, j = np.triu_indices(pos.shape[0], k=1)
    r2 = np.sum((pos[i] - pos[j]) ** 2, axis=1)
    return np.sum(1.0 / r2 ** 6 - 1.0 / r2 ** 3)


@program(POINTS)
def lennard_jones_with_a_boolean_eye_mask(pos):
    n = pos.shape[0]
    r2 = np.sum((pos[:, None] - pos[None]) ** 2, axis=2)
    mask = ~np.eye(n, dtype=bool)
    inv6 = np.zeros_like(r2)
    inv6[mask] = 1.0 / r2[mask] ** 3
    return 0.5 * np.sum(4.0 * (inv6 ** 2 - inv6))


@program(POINTS * 1.3, smooth=False)
def cutoff_potential_with_a_nan_guarded_where(pos):
    r = np.sqrt(np.sum((pos[:, None] - pos[None]) ** 2, axis=-1) + np.eye(len(pos)))
    rc = 1.5
    safe = np.where(r < rc, r, rc)
    energy = np.where(r < rc, (1.0 / safe - 1.0 / rc) ** 2, 0.0)
    return 0.5 * np.sum(energy * (1 - np.eye(len(pos))))


@program(POINTS, np.array([1.0, 2.0, 1.5, 0.5, 1.2]), wrt=(0,))
def velocity_verlet_steps_in_place(pos0, masses):
    pos = pos0.copy()
    vel = np.zeros_like(pos)

    def forces(p):
        d = p[:, None, :] - p[None, :, :]
        r2 = np.sum(d ** 2, axis=-1) + np.eye(len(p))
        inv3 = (r2 ** -1.5) * (1 - np.eye(len(p)))
        return -np.sum((masses[:, None] * masses[None, :] * inv3)[:, :, None] * d, axis=1)

    dt = 0.01
    f = forces(pos)
    for _ in range(4):
        vel += 0.5 * dt * f / masses[:, None]
        pos += dt * vel
        f = forces(pos)
        vel += 0.5 * dt * f / masses[:, None]
    return np.sum(pos ** 2) + np.sum(masses[:, None] * vel ** 2)


@program(POINTS)
def forces_scattered_with_subtract_at(pos):
    pairs = np.array([[0, 1], [1, 2], [2, 3], [3, 4], [0, 4], [1, 3]])
    i, j = pairs[:, 0], pairs[:, 1]
    d = pos[i] - pos[j]
    f = d * np.sum(d ** 2, axis=1, keepdims=True)
    force = np.zeros_like(pos)
    np.add.at(force, i, f)
    np.subtract.at(force, j, f)
    return np.sum(force ** 2)


@program(np.array([0.5, 1.5, 0.2, 2.2, 1.1, 0.9, 2.8]))
def radial_histogram_with_bincount_weights(r):
    bins = np.array([0, 1, 0, 2, 1, 0, 2])
    w = np.exp(-r ** 2)
    sums = np.bincount(bins, weights=w * r, minlength=4)
    counts = np.bincount(bins, weights=w, minlength=4)
    mean = sums[:3] / counts[:3]
    return np.sum(mean ** 2) + sums[3]


@program(np.array([0.5, 1.5, 0.2, 2.2, 1.1, 0.9, 2.8]))
def segment_mean_with_add_at_and_bincount(v):
    seg = np.array([2, 0, 1, 0, 2, 2, 1])
    total = np.zeros(3)
    np.add.at(total, seg, v ** 2)
    return np.sum(total / np.bincount(seg)) + total[1] * v[0]


@program(np.array([0.3, 1.7, 0.8, 2.6]), smooth=False)
def weighted_histogram_with_searchsorted(x):
    edges = np.array([0.0, 1.0, 2.0, 3.0])
    idx = np.searchsorted(edges, x, side="right") - 1
    hist = np.zeros(3)
    np.add.at(hist, idx, np.sin(x))
    return np.sum(hist * np.array([1.0, 2.0, 3.0])) + np.sum(hist ** 2)


@program(np.array([[0.0, 0.0], [1.0, 0.1], [2.1, 0.0], [3.0, 0.3]]))
def bar_assembly_with_add_at_on_index_pairs(nodes):
    elems = np.array([[0, 1], [1, 2], [2, 3]])
    K = np.zeros((4, 4))
    for e in elems:
        length = np.linalg.norm(nodes[e[1]] - nodes[e[0]])
        k = 1.0 / length * np.array([[1.0, -1.0], [-1.0, 1.0]])
        np.add.at(K, (e[:, None], e[None, :]), k)
    K[0, :] = 0.0
    K[0, 0] = 1.0
    load = np.array([0.0, 0.0, 0.0, 1.0])
    u = np.linalg.solve(K, load)
    return u[-1]


# ======================================================================
# Filters and recursions: Kalman, Riccati, Newton, line searches
# ======================================================================


@program(np.array([0.2, 0.5, 0.3, 0.9, 1.2, 0.8]), 0.3, wrt=(0, 1))
def scalar_kalman_filter_log_likelihood(ys, q):
    m, P = 0.0, 1.0
    ll = 0.0
    for y in ys:
        P = P + q ** 2
        S = P + 0.25
        K = P / S
        ll += -0.5 * (math.log(2 * math.pi) + np.log(S) + (y - m) ** 2 / S)
        m = m + K * (y - m)
        P = (1 - K) * P
    return ll


@program(np.array([[0.2, 0.1], [0.5, 0.4], [0.3, 0.2], [0.9, 0.5]]), np.array([0.9, 0.1]), wrt=(0, 1))
def matrix_kalman_filter_with_solve(ys, a):
    A = np.array([[a[0], a[1]], [0.0, 0.8]])
    H = np.eye(2)
    Q = 0.1 * np.eye(2)
    R = 0.2 * np.eye(2)
    m = np.zeros(2)
    P = np.eye(2)
    ll = 0.0
    for t in range(len(ys)):
        m = A @ m
        P = A @ P @ A.T + Q
        S = H @ P @ H.T + R
        r = ys[t] - H @ m
        ll -= 0.5 * (np.log(np.linalg.det(S)) + r @ np.linalg.solve(S, r))
        K = P @ H.T @ np.linalg.inv(S)
        m = m + K @ r
        P = (np.eye(2) - K @ H) @ P
    return ll


@program(np.array([[0.9, 0.2], [0.1, 0.8]]))
def discrete_riccati_iteration_until_converged(A):
    B = np.array([[0.0], [1.0]])
    Q = np.eye(2)
    R = np.array([[0.5]])
    P = Q.copy()
    for it in range(200):
        K = np.linalg.solve(R + B.T @ P @ B, B.T @ P @ A)
        P_new = Q + A.T @ P @ (A - B @ K)
        if np.max(np.abs(P_new - P)) < 1e-13:
            P = P_new
            break
        P = P_new
    return np.trace(P)


@program(np.array([0.5, 1.2, 2.0]))
def kepler_equation_by_newton_with_break(mean_anomaly):
    e = 0.3
    E = mean_anomaly.copy()
    for _ in range(50):
        step = (E - e * np.sin(E) - mean_anomaly) / (1 - e * np.cos(E))
        E = E - step
        if np.max(np.abs(step)) < 1e-14:
            break
    return np.sum(np.cos(E))


@program(np.array([1.0, 0.5, 2.0, 1.5, 3.0]), np.array([2.7, 1.6, 7.4, 4.5, 20.1]), wrt=(0, 1))
def gauss_newton_exponential_fit(t, y):
    theta = np.array([1.0, 1.0])
    for _ in range(8):
        pred = theta[0] * np.exp(theta[1] * t)
        J = np.stack([np.exp(theta[1] * t), theta[0] * t * np.exp(theta[1] * t)], axis=1)
        r = y - pred
        theta = theta + np.linalg.solve(J.T @ J, J.T @ r)
    return theta[0] + 2.0 * theta[1]


@program(np.array([1.3, -0.7]), smooth=False)
def gradient_descent_with_backtracking_line_search(x0):
    def f(x):
        return (x[0] - 1) ** 2 + 10 * (x[1] - x[0] ** 2) ** 2

    def g(x):
        return np.array([2 * (x[0] - 1) - 40 * x[0] * (x[1] - x[0] ** 2), 20 * (x[1] - x[0] ** 2)])

    x = x0.copy()
    for _ in range(5):
        d = -g(x)
        t = 1.0
        while f(x + t * d) > f(x) - 0.25 * t * np.dot(d, d):
            t *= 0.5
        x = x + t * d
    return f(x)


@program(0.05, np.array([1.0, -2.0, 0.5]), wrt=(0, 1))
def unrolled_gradient_descent_differentiated_by_learning_rate(lr, w0):
    X = np.array([[1.0, 0.2, 0.3], [0.4, 1.0, -0.1], [0.2, -0.3, 1.0], [0.5, 0.5, 0.5]])
    y = np.array([1.0, 0.0, -1.0, 0.5])
    w = w0
    for _ in range(10):
        grad = 2 * X.T @ (X @ w - y) / len(y)
        w = w - lr * grad
    return np.mean((X @ w - y) ** 2)


@program(np.array([2.0, 3.0, 0.5]))
def babylonian_square_roots_with_a_while_on_the_error(a):
    x = a.copy()
    while np.max(np.abs(x * x - a)) > 1e-12:
        x = 0.5 * (x + a / x)
    return np.sum(x * np.array([1.0, 2.0, 3.0]))


@program(np.array([0.3, 0.8]))
def fixed_point_iteration_with_for_else(p):
    x = 0.5
    for _ in range(100):
        x_new = math.cos(p[0] * x) * p[1]
        if abs(x_new - x) < 1e-14:
            x = x_new
            break
        x = x_new
    else:
        x = -1.0
    return x


# ======================================================================
# Statistics: mixtures, likelihoods, robust losses
# ======================================================================

DATA = np.array([-1.2, -0.8, 0.1, 0.4, 1.5, 2.2, 2.9])


@program(np.array([-1.0, 2.0]), np.array([0.1, -0.2]), np.array([0.3, -0.3]), wrt=(0, 1, 2))
def gaussian_mixture_log_likelihood_with_handwritten_logsumexp(means, log_sigmas, logits):
    sigmas = np.exp(log_sigmas)
    log_w = logits - np.log(np.sum(np.exp(logits)))
    z = (DATA[:, None] - means[None, :]) / sigmas[None, :]
    comp = log_w - np.log(sigmas) - 0.5 * np.log(2 * np.pi) - 0.5 * z ** 2
    m = np.max(comp, axis=1, keepdims=True)
    return np.sum(m[:, 0] + np.log(np.sum(np.exp(comp - m), axis=1)))


@program({"mu": np.array([-1.0, 2.0]), "log_s": np.array([0.1, -0.2]), "w": np.array([0.3, -0.3])})
def gaussian_mixture_with_a_dict_of_parameters(params):
    total = 0.0
    for x in DATA:
        terms = []
        for k in range(2):
            s = np.exp(params["log_s"][k])
            terms.append(params["w"][k] - np.log(s) - 0.5 * ((x - params["mu"][k]) / s) ** 2)
        a = np.array(terms)
        total += np.max(a) + np.log(np.sum(np.exp(a - np.max(a))))
    return total - len(DATA) * np.log(np.sum(np.exp(params["w"])))


@program(np.array([0.5, -1.0, 0.2]))
def logistic_regression_with_logaddexp(w):
    X = np.array([[1.0, 0.3, -0.2], [1.0, -1.2, 0.5], [1.0, 0.8, 0.9], [1.0, -0.1, -1.4]])
    y = np.array([1, -1, 1, -1])
    return np.sum(np.logaddexp(0.0, -y * (X @ w))) + 0.01 * w @ w


@program(np.array([0.5, -1.0, 0.2, 3.0]))
def softplus_with_a_stable_branch(x):
    return np.sum(np.where(x > 30, x, np.log1p(np.exp(np.minimum(x, 30)))))


# (not twice differentiable where p0 is 0: -p0² log p0² has no second derivative there)
@program(np.array([0.0, 0.3, 0.7, 0.0]), smooth=False)
def entropy_with_zero_entries_guarded(p0):
    p = p0 ** 2
    safe = np.where(p > 0, p, 1.0)
    return -np.sum(np.where(p > 0, p * np.log(safe), 0.0)) + np.sum(p0)


# (smooth=False: the ratio jumps where den crosses 0)
@program(np.array([1.0, 0.0, 2.0, -0.5]), np.array([0.5, 0.0, 1.0, 2.0]), wrt=(0, 1), smooth=False)
def safe_ratio_with_a_double_where(num, den):
    ok = den != 0
    return np.sum(np.where(ok, num / np.where(ok, den, 1.0), 0.0)) + np.sum(num * den)


@program(np.array([0.3, -2.5, 1.1, 0.05, 4.0]), smooth=False)
def huber_loss_by_where(r):
    delta = 1.0
    a = np.abs(r)
    return np.sum(np.where(a <= delta, 0.5 * r ** 2, delta * (a - 0.5 * delta)))


@program(np.array([0.3, -2.5, 1.1, 0.05, 4.0]), smooth=False)
def pinball_loss_with_maximum(r):
    tau = 0.3
    return np.mean(np.maximum(tau * r, (tau - 1) * r)) + 0.1 * np.sum(r ** 2)


@program(np.array([1.5, 2.0, 3.5, 0.7]), 3.0, wrt=(0, 1))
def student_t_log_likelihood_with_gammaln(x, nu):
    mu, s = 1.0, 0.8
    z = (x - mu) / s
    return np.sum(scipy.special.gammaln((nu + 1) / 2) - scipy.special.gammaln(nu / 2)
                  - 0.5 * np.log(nu * np.pi) - np.log(s)
                  - (nu + 1) / 2 * np.log1p(z ** 2 / nu))


@program(np.array([0.2, -0.1]))
def poisson_regression_with_integer_counts(beta):
    X = np.array([[1.0, 0.5], [1.0, 1.5], [1.0, -0.3], [1.0, 2.0]])
    counts = np.array([1, 4, 0, 6])
    eta = X @ beta
    return np.sum(counts * eta - np.exp(eta) - scipy.special.gammaln(counts + 1))


@program(np.array([0.2, 1.4, -0.3, 2.2, 0.9, 3.1, -1.0]), smooth=False)
def trimmed_mean_after_sorting(x):
    s = np.sort(x)
    k = len(x) // 5
    return np.mean(s[k:len(x) - k] ** 2)


@program(np.array([0.2, 1.4, -0.3, 2.2, 0.9, 3.1, -1.0]), smooth=False)
def median_absolute_deviation(x):
    med = np.median(x)
    return np.median(np.abs(x - med)) + med


@program(np.array([0.2, 1.4, -0.3, 2.2, 0.9]))
def kernel_density_log_likelihood(centres):
    h = 0.5
    d = (DATA[:, None] - centres[None, :]) / h
    log_k = -0.5 * d ** 2 - 0.5 * math.log(2 * math.pi) - math.log(h)
    top = log_k.max(axis=1)
    return np.sum(top + np.log(np.exp(log_k - top[:, None]).sum(axis=1)) - np.log(len(centres)))


@program(np.array([[0.3, 1.2], [0.5, 0.9], [1.4, -0.3], [0.2, 0.2], [-0.6, 0.8]]))
def welford_running_mean_and_variance(rows):
    n = 0
    mean = np.zeros(rows.shape[1])
    m2 = np.zeros(rows.shape[1])
    for row in rows:
        n += 1
        delta = row - mean
        mean += delta / n
        m2 += delta * (row - mean)
    return np.sum(m2 / (n - 1)) + np.sum(mean ** 2)


@program(np.array([0.3, 1.2, 0.5, 0.9, 1.4, -0.3]))
def exponential_moving_average_in_a_dict(x):
    state = {"ema": 0.0, "emv": 0.0, "n": 0}
    for v in x:
        state["n"] += 1
        d = v - state["ema"]
        state["ema"] += 0.3 * d
        state["emv"] = 0.7 * (state["emv"] + 0.3 * d * d)
    return state["ema"] + state["emv"] * state["n"]


@program(np.array([[1.0, 0.3, 0.2], [0.3, 2.0, 0.4], [0.2, 0.4, 1.5]]), np.array([0.5, -0.2, 0.3]), wrt=(0, 1))
def multivariate_normal_log_density_by_cholesky(S, x):
    Sigma = S @ S.T + 0.5 * np.eye(3)
    L = np.linalg.cholesky(Sigma)
    z = np.linalg.solve(L, x)
    return -0.5 * z @ z - np.sum(np.log(np.diag(L))) - 1.5 * np.log(2 * np.pi)


@program(np.array([0.8, 0.3]))
def gaussian_process_with_fill_diagonal_jitter(hyper):
    X = np.array([0.0, 0.4, 1.1, 1.7, 2.5])
    y = np.array([0.1, 0.5, 0.8, 0.3, -0.4])
    amp, ell = np.exp(hyper[0]), np.exp(hyper[1])
    K = amp * np.exp(-0.5 * (X[:, None] - X[None, :]) ** 2 / ell ** 2)
    np.fill_diagonal(K, K.diagonal() + 0.1)
    L = np.linalg.cholesky(K)
    alpha = np.linalg.solve(L.T, np.linalg.solve(L, y))
    return -0.5 * y @ alpha - np.sum(np.log(np.diag(L)))


@program(np.array([0.8, 0.3]))
def gaussian_process_jitter_through_flat(hyper):
    X = np.array([0.0, 0.4, 1.1, 1.7])
    K = np.exp(hyper[0]) * np.exp(-((X[:, None] - X[None, :]) ** 2) / np.exp(hyper[1]))
    K.flat[::K.shape[0] + 1] += 0.05 + hyper[1] ** 2
    sign, logdet = np.linalg.slogdet(K)
    return logdet + np.sum(np.linalg.inv(K))


@program(np.array([[0.9, 0.1, 0.3], [0.2, 0.5, 0.3], [0.1, 0.4, 0.5]]))
def hmm_forward_algorithm_in_log_space(log_trans):
    obs = [0, 1, 1, 2, 0]
    log_emit = np.log(np.array([[0.7, 0.2, 0.1], [0.1, 0.6, 0.3], [0.2, 0.2, 0.6]]))
    log_T = log_trans - np.log(np.sum(np.exp(log_trans), axis=1, keepdims=True))
    alpha = np.log(np.full(3, 1 / 3)) + log_emit[:, obs[0]]
    for o in obs[1:]:
        a = alpha[:, None] + log_T
        m = a.max(axis=0)
        alpha = m + np.log(np.exp(a - m).sum(axis=0)) + log_emit[:, o]
    m = alpha.max()
    return m + np.log(np.sum(np.exp(alpha - m)))


@program(np.array([[0.5, 1.0], [1.2, 0.3], [0.8, 0.7]]))
def sinkhorn_iterations_for_optimal_transport(C):
    a = np.array([0.3, 0.3, 0.4])
    b = np.array([0.5, 0.5])
    K = np.exp(-C / 0.5)
    u = np.ones(3)
    v = np.ones(2)
    for _ in range(20):
        u = a / (K @ v)
        v = b / (K.T @ u)
    P = u[:, None] * K * v[None, :]
    return np.sum(P * C)


# ======================================================================
# Neural-network layers: attention, layer norm, recurrences
# ======================================================================


@program(TOKENS)
def self_attention_with_einsum(x):
    Wq = np.array([[0.2, -0.1], [0.4, 0.3], [-0.5, 0.2], [0.1, 0.6]])
    Wk = np.array([[0.3, 0.1], [-0.2, 0.5], [0.4, -0.3], [0.2, 0.2]])
    Wv = np.array([[0.1, 0.7], [0.5, -0.2], [0.3, 0.3], [-0.4, 0.1]])
    q, k, v = x @ Wq, x @ Wk, x @ Wv
    scores = np.einsum("id,jd->ij", q, k) / np.sqrt(q.shape[-1])
    scores = scores - scores.max(axis=-1, keepdims=True)
    w = np.exp(scores)
    w /= w.sum(axis=-1, keepdims=True)
    return np.sum(np.einsum("ij,jd->id", w, v) ** 2)


@program(TOKENS)
def causal_attention_with_a_minus_infinity_mask(x):
    T = x.shape[0]
    scores = x @ x.T / 2.0
    mask = np.triu(np.ones((T, T), dtype=bool), k=1)
    scores = np.where(mask, -np.inf, scores)
    w = np.exp(scores - scores.max(axis=1, keepdims=True))
    w = w / w.sum(axis=1, keepdims=True)
    return np.sum((w @ x) * np.arange(4.0))


@program(TOKENS)
def multi_head_attention_with_reshape_and_transpose(x):
    T, D = x.shape
    H = 2
    W = np.linspace(-0.5, 0.5, D * 3 * D).reshape(D, 3 * D)
    qkv = x @ W
    q, k, v = np.split(qkv, 3, axis=1)
    q = q.reshape(T, H, D // H).transpose(1, 0, 2)
    k = k.reshape(T, H, D // H).transpose(1, 0, 2)
    v = v.reshape(T, H, D // H).transpose(1, 0, 2)
    s = q @ k.transpose(0, 2, 1)
    s = np.exp(s - s.max(-1, keepdims=True))
    s = s / s.sum(-1, keepdims=True)
    out = (s @ v).transpose(1, 0, 2).reshape(T, D)
    return np.sum(out * x)


@program(TOKENS, np.array([1.0, 0.5, 2.0, 1.5]), np.array([0.1, 0.0, -0.1, 0.2]), wrt=(0, 1, 2))
def layer_norm_with_keepdims(x, gamma, beta):
    mu = x.mean(axis=-1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)
    y = (x - mu) / np.sqrt(var + 1e-5) * gamma + beta
    return np.sum(y ** 3)


@program(TOKENS)
def layer_norm_with_np_var_and_einsum_projection(x):
    y = (x - np.mean(x, axis=1)[:, None]) / np.sqrt(np.var(x, axis=1)[:, None] + 1e-3)
    W = np.arange(8.0).reshape(4, 2) / 10
    return np.sum(np.tanh(np.einsum("td,dk->tk", y, W)))


@program(TOKENS)
def batch_norm_with_running_statistics_dict(x):
    stats = {"mean": np.zeros(4), "var": np.ones(4)}
    out = x
    for _ in range(2):
        m = out.mean(axis=0)
        v = out.var(axis=0)
        stats["mean"] = 0.9 * stats["mean"] + 0.1 * m
        stats["var"] *= 0.9
        stats["var"] += 0.1 * v
        out = np.tanh((out - m) / np.sqrt(v + 1e-5))
    return np.sum(out ** 2) + np.sum(stats["mean"] * stats["var"])


@program(np.array([[0.3, -0.2], [0.5, 0.1], [-0.4, 0.6], [0.2, 0.2]]), np.array([0.1, -0.3]), wrt=(0, 1))
def elman_rnn_collecting_states_then_stacking(xs, h0):
    Wh = np.array([[0.5, -0.3], [0.2, 0.4]])
    Wx = np.array([[0.1, 0.6], [-0.5, 0.3]])
    hs = [h0]
    for x in xs:
        hs.append(np.tanh(Wh @ hs[-1] + Wx @ x))
    H = np.stack(hs[1:])
    return np.sum(H[:, 0] * np.arange(len(xs))) + np.sum(H[-1] ** 2)


@program(np.array([[0.3, -0.2], [0.5, 0.1], [-0.4, 0.6]]), np.array([0.1, -0.3]), wrt=(0, 1))
def gru_cell_unrolled(xs, h):
    Wz = np.array([[0.2, 0.1, -0.3, 0.5], [0.4, -0.2, 0.1, 0.3]])
    Wr = np.array([[0.3, -0.1, 0.2, 0.2], [-0.1, 0.5, 0.4, -0.2]])
    Wh = np.array([[0.1, 0.2, 0.3, -0.4], [0.5, 0.1, -0.2, 0.3]])

    def sigmoid(a):
        return 1 / (1 + np.exp(-a))

    for x in xs:
        xh = np.concatenate([x, h])
        z = sigmoid(Wz @ xh)
        r = sigmoid(Wr @ xh)
        cand = np.tanh(Wh @ np.concatenate([x, r * h]))
        h = (1 - z) * h + z * cand
    return np.sum(h ** 2)


@program([(np.array([[0.2, -0.4], [0.5, 0.3], [0.1, 0.7]]), np.array([0.1, -0.1, 0.05])),
          (np.array([[0.3, -0.2, 0.6]]), np.array([0.2]))])
def mlp_from_a_list_of_weight_bias_tuples(layers):
    x = np.array([[0.5, -1.0], [1.5, 0.3], [-0.2, 0.8]])
    h = x.T
    for i, (W, b) in enumerate(layers):
        h = W @ h + b[:, None]
        if i < len(layers) - 1:
            h = np.tanh(h)
    return np.sum((h - 0.3) ** 2)


@program(np.array([[1.2, -0.3, 0.5], [0.1, 0.8, -1.1], [0.3, 0.3, 0.2], [2.0, -1.0, 0.5]]))
def cross_entropy_indexed_by_integer_labels(logits):
    labels = np.array([0, 2, 1, 0])
    z = logits - logits.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return -np.mean(log_p[np.arange(len(labels)), labels])


@program(np.array([[1.2, -0.3, 0.5], [0.1, 0.8, -1.1], [0.3, 0.3, 0.2], [2.0, -1.0, 0.5]]))
def label_smoothed_cross_entropy_with_take_along_axis(logits):
    labels = np.array([[0], [2], [1], [0]])
    eps = 0.1
    log_p = logits - scipy.special.logsumexp(logits, axis=1, keepdims=True)
    nll = -np.take_along_axis(log_p, labels, axis=1)[:, 0]
    return np.mean((1 - eps) * nll - eps * log_p.mean(axis=1))


@program(np.array([0.4, -0.2, 0.9, 0.1, -0.7, 0.3, 0.5, 0.2]))
def conv1d_valid_by_sliding_dot_products(x):
    kernel = np.array([0.25, 0.5, -0.25])
    out = np.zeros(x.size - 2)
    for i in range(out.size):
        out[i] = np.dot(x[i:i + 3], kernel)
    return np.sum(np.tanh(out)) + np.sum(np.convolve(x, kernel, mode="valid") ** 2)


@program(np.array([[0.4, -0.2, 0.9], [0.1, -0.7, 0.3]]))
def dropout_with_a_seeded_mask(x):
    rng = np.random.default_rng(3)
    mask = rng.random(x.shape) > 0.3
    return np.sum((x * mask / 0.7) ** 2)


@program(np.array([0.4, -0.2, 0.9, 0.1, -0.7, 0.3, 0.5, 0.2]))
def moving_average_with_convolve_and_cumsum(x):
    k = 3
    c = np.cumsum(np.insert(x, 0, 0.0))
    ma = (c[k:] - c[:-k]) / k
    return np.sum(ma ** 2) + np.sum(np.convolve(x, np.ones(k) / k, mode="valid") * ma)


# ======================================================================
# Cumulative sums, products and differences
# ======================================================================


@program(np.array([0.1, 0.05, 0.2, 0.15, 0.3]))
def survival_curve_by_cumprod(hazard):
    surv = np.cumprod(1 - hazard)
    return np.sum(surv) + surv[-1] ** 2


@program(np.array([1.0, 0.5, -0.2, 2.0, 0.3]))
def discounted_returns_over_reversed_range(rewards):
    gamma = 0.9
    returns = np.zeros_like(rewards)
    running = 0.0
    for t in reversed(range(len(rewards))):
        running = rewards[t] + gamma * running
        returns[t] = running
    return np.sum(returns * rewards)


@program(np.array([1.0, 0.5, -0.2, 2.0, 0.3]), np.array([0.5, 0.4, 0.6, 0.3, 0.2]), wrt=(0, 1))
def generalised_advantage_with_a_negative_step_range(rewards, values):
    gamma, lam = 0.95, 0.9
    adv = np.zeros(len(rewards))
    last = 0.0
    for t in range(len(rewards) - 1, -1, -1):
        next_value = values[t + 1] if t + 1 < len(values) else 0.0
        delta = rewards[t] + gamma * next_value - values[t]
        last = delta + gamma * lam * last
        adv[t] = last
    return np.sum(adv ** 2)


@program(np.array([0.2, 0.5, 0.4, 1.1, 0.9, 1.6]))
def total_variation_and_curvature(x):
    return np.sum(np.sqrt(np.diff(x) ** 2 + 1e-2)) + np.sum(np.diff(x, 2) ** 2)


@program(np.array([[0.0, 0.0], [0.5, 0.2], [1.1, 0.3], [1.4, 0.9], [2.0, 1.0]]))
def arc_length_parametrisation_with_cumsum(curve):
    seg = np.hypot(*np.diff(curve, axis=0).T)
    s = np.concatenate([[0.0], np.cumsum(seg)])
    s = s / s[-1]
    return np.sum(s * curve[:, 1]) + s[2]


@program(np.array([0.1, 0.4, 0.3, 0.8, 0.5]), np.array([0.0, 0.3, 0.7, 1.0, 1.6]), wrt=(0, 1))
def cumulative_trapezoid_by_cumsum(y, t):
    areas = 0.5 * (y[1:] + y[:-1]) * np.diff(t)
    F = np.concatenate(([0.0], np.cumsum(areas)))
    return np.sum(F ** 2)


@program(np.array([1.0, 1.2, 0.9, 1.5, 1.1, 1.8]))
def log_returns_and_drawdown_with_maximum_accumulate(prices):
    r = np.diff(np.log(prices))
    wealth = np.exp(np.cumsum(r))
    peak = np.maximum.accumulate(wealth)
    return np.sum(wealth / peak) + np.std(r)


# ======================================================================
# Sorting, searching and gathering
# ======================================================================


@program(np.array([0.3, 1.7, 0.8, 2.6]), np.array([0.0, 1.0, 0.5, 2.0, 1.5]), wrt=(0, 1), smooth=False)
def piecewise_linear_interpolation_with_searchsorted(xq, fp):
    xp = np.array([0.0, 0.7, 1.5, 2.2, 3.0])
    i = np.clip(np.searchsorted(xp, xq) - 1, 0, len(xp) - 2)
    t = (xq - xp[i]) / (xp[i + 1] - xp[i])
    return np.sum((1 - t) * fp[i] + t * fp[i + 1])


@program(np.array([0.9, 0.2, 0.5, 1.4, -0.3]), np.array([1.0, 2.0, 3.0, 4.0, 5.0]), wrt=(0, 1), smooth=False)
def values_reordered_by_argsort_of_keys(keys, values):
    order = np.argsort(keys)
    ranked = values[order]
    return np.sum(ranked * np.arange(1, 6)) + np.sum(keys[order][:2] ** 2)


@program(np.array([[0.3, 1.2, 0.5], [0.9, 0.1, 0.4], [0.2, 0.25, 1.0]]), smooth=False)
def take_along_axis_of_the_argmax(scores):
    best = np.argmax(scores, axis=1)[:, None]
    top = np.take_along_axis(scores, best, axis=1)
    return np.sum(top ** 2) + np.sum(scores * 0.1)


@program(np.array([[0.3, 1.2, 0.5, 0.7], [0.9, 0.1, 0.4, 0.0], [0.2, 0.25, 1.0, 0.6]]), smooth=False)
def top_two_per_row_by_sorting(scores):
    return np.sum(np.sort(scores, axis=1)[:, -2:] ** 2)


@program(np.array([0.9, 0.2, 0.5, 1.4, -0.3, 0.7]), smooth=False)
def argsort_in_descending_order_by_negation(x):
    idx = np.argsort(-x)
    weights = 1.0 / np.log2(np.arange(2, len(x) + 2))
    return np.sum(x[idx] * weights)


@program(np.array([0.9, 0.2, 0.5, 1.4, -0.3, 0.7]), smooth=False)
def sorted_in_place_with_the_sort_method(x):
    y = x * 2.0
    y.sort()
    return np.sum(y[::-1] * np.arange(6.0)) + y[0] * x[0]


@program(np.array([[0.9, 0.2, 0.5], [1.4, -0.3, 0.7]]), smooth=False)
def rank_weights_by_double_argsort(x):
    ranks = np.argsort(np.argsort(x, axis=1), axis=1)
    return np.sum(x ** 2 * ranks)


@program(np.array([0.1, 0.5, 0.9, 1.6, 2.2]), np.array([0.3, 0.8, 1.2, 2.0, 1.1]), wrt=(0, 1), smooth=False)
def empirical_cdf_at_sorted_samples(samples, query):
    s = np.sort(samples)
    below = np.searchsorted(s, query, side="right")
    frac = below / len(s)
    return np.sum(frac * query ** 2) + np.sum(s * np.arange(5.0))


# ======================================================================
# Views, out=, copyto, helpers that change their arguments
# ======================================================================


@program(np.array([0.6, -1.3, 0.9, 2.1, 0.4, -0.5]))
def transpose_view_changed_in_place(x):
    A = x.reshape(2, 3).copy()
    At = A.T
    At[0] *= 2.0
    At[:, 1] += x[:3]
    return np.sum(A ** 2) + np.sum(A * np.arange(6.0).reshape(2, 3))


@program(VECTOR, np.array([0.2, 0.4, -0.1, 0.3]), wrt=(0, 1))
def ufuncs_chained_through_one_out_buffer(a, b):
    buf = np.empty_like(a)
    np.multiply(a, b, out=buf)
    np.add(buf, a ** 2, out=buf)
    np.exp(buf, out=buf)
    return np.sum(buf)


@program(VECTOR)
def copyto_with_a_where_mask(x):
    out = np.zeros_like(x)
    np.copyto(out, x ** 2, where=x > 0)
    np.copyto(out, -x, where=x < -1)
    return np.sum(out * np.arange(1.0, 5.0))


def _normalise_in_place(v):
    v /= np.linalg.norm(v)


@program(np.array([[1.0, 0.2, 0.3], [0.1, 1.5, -0.4], [0.5, 0.3, 2.0]]))
def helper_normalises_rows_in_place(A):
    B = A.copy()
    for row in B:
        _normalise_in_place(row)
    return np.sum(B * np.arange(9.0).reshape(3, 3))


@program(np.array([[1.0, 0.2, 0.3], [0.1, 1.5, -0.4], [0.5, 0.3, 2.0]]))
def fill_diagonal_with_a_differentiated_value(A):
    B = A @ A.T
    np.fill_diagonal(B, np.sum(A ** 2))
    return np.sum(np.log(np.abs(B) + 1.0))


@program(MATRIX)
def flat_iterator_assignment_by_a_stride(A):
    B = A.copy()
    B.flat[1::2] = A.ravel()[::2][:4] * 3.0
    return np.sum(B ** 2)


@program(VECTOR)
def clip_at_its_bounds_with_out(x):
    y = x * 1.5
    np.clip(y, -1.0, 2.0, out=y)
    return np.sum(y ** 2)


@program(np.array([1.0, -0.5, 2.0, 0.0]), smooth=False)
def maximum_and_relu_at_ties(x):
    other = np.array([1.0, 0.3, 1.0, -0.2])
    return np.sum(np.maximum(x, other) * np.array([1.0, 2.0, 3.0, 4.0])) + np.sum(np.maximum(x, 0.0))


# On a bound the derivative is 1, as torch.clamp's (docs/derivatives.md):
# finite differences would give 0.5.
@program(np.array([1.0, -1.0, 2.5, 0.4]), smooth=False,
         twin=lambda x: torch.sum(torch.clamp(x, -1.0, 2.5) * torch.tensor([1.0, 2.0, 3.0, 4.0],
                                                                            dtype=torch.float64)))
def clip_where_entries_sit_on_the_bounds(x):
    return np.sum(np.clip(x, -1.0, 2.5) * np.array([1.0, 2.0, 3.0, 4.0]))


@program(VECTOR)
def view_of_the_argument_copy_given_to_a_helper_that_rescales(x):
    y = x.copy()

    def rescale(v, s):
        v *= s
        return v

    half = rescale(y[:2], x[3])
    return np.sum(y ** 2) + np.sum(half)


@program(np.array([[1.0, 0.2], [0.1, 1.5], [0.5, 0.3]]))
def swapaxes_view_written_then_base_reduced(A):
    B = np.zeros((2, 3))
    Bt = B.swapaxes(0, 1)
    Bt[...] = A ** 2
    Bt[1, :] += A[0]
    return np.sum(B * np.arange(6.0).reshape(2, 3))


@program(np.array([0.7, 1.3, -0.2]))
def zero_dimensional_arrays_as_accumulators(x):
    acc = np.array(0.0)
    for v in x:
        acc += v ** 2
    scale = np.asarray(x[0])
    return float(acc) * scale + acc[()] * 2


@program(np.array([0.7, 1.3, -0.2]))
def empty_slices_and_concatenation(x):
    empty = x[3:]
    tail = np.concatenate([empty, x[1:], empty])
    return np.sum(tail ** 2) + np.sum(empty) + np.prod(empty) * x[0]


# ======================================================================
# Python: closures, dicts keyed by f-strings, globals, objects, recursion
# ======================================================================


@program({"W0": np.array([[0.2, -0.4], [0.5, 0.3]]), "b0": np.array([0.1, -0.1]),
          "W1": np.array([[0.3, -0.2], [0.1, 0.4]]), "b1": np.array([0.05, 0.2])})
def layers_looked_up_by_f_string_keys(params):
    h = np.array([0.5, -1.0])
    n_layers = len(params) // 2
    for i in range(n_layers):
        h = np.tanh(params[f"W{i}"] @ h + params[f"b{i}"])
    return np.sum(h ** 2)


@program(VECTOR)
def gradients_stored_in_a_dict_keyed_by_f_strings(x):
    grads = {}
    for i, v in enumerate(x):
        grads[f"g_{i}"] = 2 * v * x[(i + 1) % len(x)]
    total = 0.0
    for k in sorted(grads):
        total += grads[k] ** 2
    return total


@program(VECTOR)
def closures_over_loop_variables_with_defaults(x):
    fs = [lambda t, k=k: t ** k for k in range(1, 4)]
    late = [lambda t: t * k for k in range(1, 4)]
    return sum(f(x[0]) for f in fs) + sum(g(x[1]) for g in late)


@program(VECTOR)
def nonlocal_counter_and_accumulator(x):
    calls = 0
    total = 0.0

    def add(v):
        nonlocal calls, total
        calls += 1
        total = total + v * calls

    for v in x:
        add(v ** 2)
    return total + calls


DECAY = 0.5


@program(VECTOR)
def module_level_constant_read_through_global(x):
    global DECAY
    scale = DECAY
    return np.sum(x * scale ** np.arange(len(x)))


class Integrator:
    """An explicit Euler integrator keeping its time and state on self."""

    def __init__(self, y0, dt):
        self.y = y0.copy()
        self.t = 0.0
        self.dt = dt

    def rhs(self, y):
        return np.array([y[1], -y[0] - 0.1 * y[1]])

    def step(self):
        self.y = self.y + self.dt * self.rhs(self.y)
        self.t += self.dt

    def run(self, n):
        for _ in range(n):
            self.step()
        return self.y


@program(np.array([1.0, 0.0]))
def integrator_object_with_state_on_self(y0):
    sim = Integrator(y0, 0.1)
    y = sim.run(10)
    return y[0] ** 2 + y[1] + sim.t


@program(np.array([1.0, 0.3]))
def lotka_volterra_into_a_preallocated_trajectory(y0):
    traj = np.zeros((20, 2))
    y = y0
    for i in range(20):
        traj[i] = y
        dy = np.array([y[0] - 0.5 * y[0] * y[1], -0.8 * y[1] + 0.4 * y[0] * y[1]])
        y = y + 0.05 * dy
    return np.sum(traj[:, 0] * traj[:, 1])


@program(np.array([1.0, 0.3]), 0.7, wrt=(0, 1))
def runge_kutta_with_a_butcher_tableau_as_lists(y0, k):
    A = [[], [0.5], [0.0, 0.5], [0.0, 0.0, 1.0]]
    b = [1 / 6, 1 / 3, 1 / 3, 1 / 6]
    c = [0.0, 0.5, 0.5, 1.0]
    y = y0
    t = 0.0
    h = 0.1

    def f(t, y):
        return np.array([y[1], -k * y[0] + 0.1 * np.sin(t)])

    for _ in range(5):
        ks = []
        for i in range(4):
            yi = y + h * sum(a * kj for a, kj in zip(A[i], ks))
            ks.append(f(t + c[i] * h, yi))
        y = y + h * sum(bi * ki for bi, ki in zip(b, ks))
        t += h
    return y[0] + y[1] ** 2


def _simpson(f, a, b, fa, fm, fb, whole, depth):
    m = 0.5 * (a + b)
    lm, rm = 0.5 * (a + m), 0.5 * (m + b)
    flm, frm = f(lm), f(rm)
    left = (m - a) / 6 * (fa + 4 * flm + fm)
    right = (b - m) / 6 * (fm + 4 * frm + fb)
    if depth == 0:
        return left + right
    return (_simpson(f, a, m, fa, flm, fm, left, depth - 1)
            + _simpson(f, m, b, fm, frm, fb, right, depth - 1))


@program(1.3)
def recursive_simpson_quadrature(k):
    def f(t):
        return np.exp(-k * t * t)

    a, b = 0.0, 2.0
    fa, fm, fb = f(a), f(1.0), f(b)
    return _simpson(f, a, b, fa, fm, fb, (b - a) / 6 * (fa + 4 * fm + fb), 3)


def _continued_fraction(x, n):
    if n == 0:
        return 1.0
    return 1.0 + x / _continued_fraction(x, n - 1)


@program(0.7)
def recursive_continued_fraction(x):
    return _continued_fraction(x, 6)


@program(np.array([0.3, -0.5, 0.8]))
def chebyshev_recurrence_with_tuple_rotation(x):
    t_prev, t_cur = np.ones_like(x), x
    coeffs = [0.5, -0.3, 0.2, 0.1, -0.05]
    total = coeffs[0] * t_prev + coeffs[1] * t_cur
    for c in coeffs[2:]:
        t_prev, t_cur = t_cur, 2 * x * t_cur - t_prev
        total = total + c * t_cur
    return np.sum(total ** 2)


@program(np.array([0.3, -0.5, 0.8]))
def legendre_polynomials_in_a_list(x):
    P = [np.ones_like(x), x]
    for n in range(1, 5):
        P.append(((2 * n + 1) * x * P[n] - n * P[n - 1]) / (n + 1))
    return np.sum(np.vstack(P) * np.arange(6.0)[:, None])


@program(np.array([0.7, 1.3]))
def math_and_numpy_mixed_on_scalars(p):
    a = float(p[0])
    b = p[1]
    return math.exp(a) * np.sin(b) + math.sqrt(a * a + 1) + np.hypot(a, b) + math.atan2(b, a)


@program(np.array([0.6, -1.3, 0.9, 2.1, -0.4]))
def boolean_and_integer_arithmetic_mixed_with_floats(x):
    positive = x > 0
    n_pos = positive.sum()
    frac = n_pos / len(x)
    return np.sum(x * positive) * frac + True * x[0] + (n_pos // 2) * x[1] + np.sum(x[positive] ** 2)


@program(np.array([0.4, 0.9, 0.2]))
def quaternion_rotation_product(v):
    def qmul(a, b):
        w1, x1, y1, z1 = a
        w2, x2, y2, z2 = b
        return np.array([w1 * w2 - x1 * x2 - y1 * y2 - z1 * z2,
                         w1 * x2 + x1 * w2 + y1 * z2 - z1 * y2,
                         w1 * y2 - x1 * z2 + y1 * w2 + z1 * x2,
                         w1 * z2 + x1 * y2 - y1 * x2 + z1 * w2])

    angle = np.linalg.norm(v)
    axis = v / angle
    q = np.concatenate([[np.cos(angle / 2)], np.sin(angle / 2) * axis])
    conj = q * np.array([1, -1, -1, -1])
    p = np.array([0.0, 1.0, 0.0, 0.0])
    return np.sum(qmul(qmul(q, p), conj)[1:] * np.array([1.0, 2.0, 3.0]))


@program(np.array([0.4, 0.9, 0.2]))
def rodrigues_rotation_matrix_with_cross(w):
    theta = np.linalg.norm(w)
    k = w / theta
    Kx = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    R = np.eye(3) + np.sin(theta) * Kx + (1 - np.cos(theta)) * Kx @ Kx
    v = np.array([1.0, 0.5, -0.2])
    return np.sum(R @ v * np.array([1.0, 2.0, 3.0])) + np.sum(np.cross(k, v) ** 2)


@program(np.array([[0.3, 0.7], [0.6, 0.4]]))
def value_iteration_with_a_max_over_actions(rewards):
    P = np.array([[[0.9, 0.1], [0.2, 0.8]], [[0.5, 0.5], [0.3, 0.7]]])
    V = np.zeros(2)
    for _ in range(30):
        Q = rewards + 0.9 * np.einsum("sat,t->sa", P, V)
        V = Q.max(axis=1)
    return np.sum(V)


@program(np.array([100.0, 0.2]))
def black_scholes_with_math_erf_on_scalars(p):
    S, sigma = p[0], p[1]
    K, r, T = 95.0, 0.01, 0.5

    def ncdf(z):
        return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))

    d1 = (math.log(S / K) + (r + 0.5 * sigma ** 2) * T) / (sigma * math.sqrt(T))
    d2 = d1 - sigma * math.sqrt(T)
    return S * ncdf(d1) - K * math.exp(-r * T) * ncdf(d2)


@program(np.array([1.0, 0.2]), smooth=False)
def monte_carlo_option_with_fixed_draws(p):
    rng = np.random.default_rng(7)
    z = rng.standard_normal(64)
    S = p[0] * np.exp((0.01 - 0.5 * p[1] ** 2) + p[1] * z)
    return np.mean(np.maximum(S - 1.05, 0.0))


@program(np.array([0.5, -0.3]), np.array([0.2, 0.4]), wrt=(0, 1))
def leapfrog_hamiltonian_steps(q0, p0):
    def grad_u(q):
        return q * np.array([1.0, 4.0]) + 0.1 * q ** 3

    q, p = q0.copy(), p0.copy()
    eps = 0.1
    p -= 0.5 * eps * grad_u(q)
    for i in range(6):
        q += eps * p
        if i != 5:
            p -= eps * grad_u(q)
    p -= 0.5 * eps * grad_u(q)
    return 0.5 * np.sum(p ** 2) + 0.5 * np.sum(q ** 2 * np.array([1.0, 4.0])) + 0.025 * np.sum(q ** 4)


@program(np.array([[2.0, 0.5, 0.1], [0.5, 1.5, 0.3], [0.1, 0.3, 1.0]]))
def unshifted_qr_algorithm_iterations(A):
    S = A @ A.T
    for _ in range(6):
        Q, R = np.linalg.qr(S)
        S = R @ Q
    return np.sum(np.diag(S) * np.array([1.0, 2.0, 3.0]))


@program(np.array([0.2, 0.5, 0.3]))
def replicator_dynamics_with_normalisation(x0):
    payoff = np.array([[0.0, 1.0, -1.0], [-1.0, 0.0, 1.0], [1.0, -1.0, 0.5]])
    x = x0 / x0.sum()
    for _ in range(10):
        fit = payoff @ x
        x = x * (1 + 0.1 * (fit - x @ fit))
        x /= x.sum()
    return x[0] - x[2] ** 2


@program(np.array([[0.1, 0.2], [0.5, 0.9], [0.2, 0.4], [0.8, 0.1]]))
def cosine_similarity_matrix_with_norm_keepdims(X):
    Xn = X / np.linalg.norm(X, axis=1, keepdims=True)
    S = Xn @ Xn.T
    return np.sum(np.triu(S, 1) ** 2)


@program(np.array([0.0, 0.5, 1.0, 1.5]), np.array([0.3, 0.9, 0.2, 0.6]), wrt=(1,))
def natural_cubic_spline_second_derivatives(x, y):
    n = len(x)
    h = np.diff(x)
    A = np.zeros((n, n))
    rhs = np.zeros(n)
    A[0, 0] = A[-1, -1] = 1.0
    for i in range(1, n - 1):
        A[i, i - 1] = h[i - 1]
        A[i, i] = 2 * (h[i - 1] + h[i])
        A[i, i + 1] = h[i]
        rhs[i] = 6 * ((y[i + 1] - y[i]) / h[i] - (y[i] - y[i - 1]) / h[i - 1])
    M = np.linalg.solve(A, rhs)
    return np.sum(M ** 2)


@program(np.array([-1.0, 3.0]), smooth=False)
def projectile_with_drag_until_it_lands(v0):
    pos = np.array([0.0, 0.0])
    vel = v0.copy() + np.array([2.0, 0.0])
    dt = 0.05
    steps = 0
    while True:
        speed = np.sqrt(vel @ vel)
        vel = vel - dt * (0.1 * speed * vel + np.array([0.0, 9.81]))
        pos = pos + dt * vel
        steps += 1
        if pos[1] < 0 or steps > 200:
            break
    return pos[0]


@program(np.array([0.3, 0.6, 0.1]))
def barycentric_interpolation_weights(f):
    nodes = np.array([0.0, 0.5, 1.0])
    w = np.array([1.0 / np.prod([xj - xk for k, xk in enumerate(nodes) if k != j])
                  for j, xj in enumerate(nodes)])
    xs = np.array([0.2, 0.7])
    out = []
    for x in xs:
        c = w / (x - nodes)
        out.append(np.sum(c * f) / np.sum(c))
    return sum(v ** 2 for v in out)


@program(np.array([0.4, 1.2, 0.7, 0.3, 0.9, 0.5]))
def groups_summed_into_a_dict_by_string_keys(x):
    labels = ["a", "b", "a", "c", "b", "a"]
    sums = {}
    for label, v in zip(labels, x):
        sums[label] = sums.get(label, 0.0) + v ** 2
    return sums["a"] * sums["b"] + sums["c"]


@program(np.array([0.4, 1.2, 0.7, 0.3]))
def default_dict_of_lists_then_stacked(x):
    from collections import defaultdict
    buckets = defaultdict(list)
    for i, v in enumerate(x):
        buckets[i % 2].append(v * (i + 1))
    return np.sum(np.stack([np.array(buckets[0]), np.array(buckets[1])]) ** 2)


@program(np.array([0.4, 1.2, 0.7, 0.3]))
def column_stack_of_features_built_in_a_list(x):
    feats = [x, x ** 2, np.sin(x)]
    F = np.column_stack(feats)
    w = np.array([0.5, -0.2, 0.3])
    return np.sum((F @ w) ** 2) + np.sum(np.hstack(feats)[::3])


@program(np.array([0.4, 1.2, 0.7, 0.3]))
def list_of_arrays_summed_with_sum_builtin(x):
    parts = [x[i:i + 2] * (i + 1) for i in range(3)]
    s = sum(parts)
    return np.sum(s ** 2)


def _accumulate_history(v, history=None):
    if history is None:
        history = []
    history.append(v)
    return history


@program(np.array([0.4, 1.2, 0.7]))
def finding_helper_with_a_none_default_list_appends_and_returns_it(x):
    """As finding_helper_appends_to_its_list_argument_and_returns_it, with
    the list made by the helper on the first call (history=None)."""
    h = _accumulate_history(x[0])
    h = _accumulate_history(x[1] ** 2, h)
    h2 = _accumulate_history(x[2])
    return sum(h) * h2[0] + len(h)


# ======================================================================
# Later probes: overlapping and in-place writes, loops over rows and list
# entries changed in place, objects, recursion among local functions, FFTs,
# SciPy's linear algebra, Python's builtins on arrays
# ======================================================================

V6 = np.array([0.6, -1.3, 0.9, 2.1, 0.4, -0.5])
SPD = MATRIX @ MATRIX.T + 2 * np.eye(3)


@program(V6)
def overlapping_shift_assignment(x):
    a = x * 1.0
    a[1:] = a[:-1]
    return np.sum(a ** 2 * np.arange(6))


@program(V6)
def overlapping_shift_plus_equals(x):
    a = x * 1.0
    a[1:] += a[:-1]
    return np.sum(a ** 2 * np.arange(6))


@program(V6)
def reversed_self_assignment(x):
    a = x * 1.0
    a[:] = a[::-1]
    return np.sum(a * np.arange(6)) + a[0] ** 2


@program(V6)
def prefix_sum_in_place_loop(x):
    a = x.copy()
    for i in range(1, len(a)):
        a[i] += a[i - 1]
    return np.sum(a ** 2)


@program(V6)
def cumsum_into_itself_with_out(x):
    a = x * 1.0
    np.cumsum(a, out=a)
    return np.sum(a ** 2)


@program(V6)
def negative_into_a_reversed_view(x):
    a = x * 1.0
    np.negative(a, out=a[::-1])
    return np.sum(a * np.arange(6))


@program(V6)
def absolute_value_in_place_by_mask(x):
    a = x.copy()
    a[a < 0] *= -1
    return np.sum(a ** 3)


@program(MATRIX)
def rows_normalised_in_a_loop_over_the_array(A):
    B = np.exp(A)
    for row in B:
        row /= row.sum()
    return np.sum(B * np.arange(9.0).reshape(3, 3))


@program(MATRIX)
def columns_centred_through_a_transpose_loop(A):
    B = A.copy()
    for col in B.T:
        col -= col.mean()
    return np.sum(B ** 3)


@program(MATRIX, MATRIX[::-1].copy(), wrt=(0, 1))
def zip_rows_added_in_place(X, Y):
    Z = X.copy()
    for a, b in zip(Z, Y):
        a += b * a[0]
    return np.sum(Z ** 2)


@program({"w": np.array([0.5, -0.3]), "b": np.array([0.1])})
def sgd_step_over_dict_items(params):
    p = {k: v.copy() for k, v in params.items()}
    x = np.array([1.0, 2.0])
    for _ in range(3):
        err = p["w"] @ x + p["b"][0] - 1.0
        grads = {"w": 2 * err * x, "b": np.array([2 * err])}
        for k, v in p.items():
            v -= 0.05 * grads[k]
    return p["w"][0] * p["b"][0] + np.sum(p["w"] ** 2)


@program(V6)
def stack_copies_before_the_list_entries_change(x):
    rows = [x[:3] * 1.0, x[3:] * 1.0]
    S = np.stack(rows)
    rows[0] *= 10.0
    return np.sum(S ** 2) + np.sum(rows[0])


@program(V6)
def reshape_view_written_with_a_step(x):
    A = x.reshape(2, 3).copy()
    A.reshape(-1)[::2] *= 2.0
    return np.sum(A ** 2 * np.arange(6.0).reshape(2, 3))


@program(V6)
def newaxis_view_written(x):
    a = x * 1.0
    b = a[None, :]
    b[0, 1:3] = x[:2] ** 2
    return np.sum(a * np.arange(6))


@program(MATRIX, np.array([0.3, -0.2, 0.5]), wrt=(0, 1))
def transpose_ellipsis_assignment(A, v):
    B = np.zeros((3, 3))
    B.T[...] = A * v
    return np.sum(B * np.arange(9.0).reshape(3, 3))


class Model:
    def __init__(self, W, b):
        self.W = W
        self.b = b

    def __call__(self, x):
        return np.tanh(self.W @ x + self.b)


@program(MATRIX, np.array([0.1, 0.2, -0.3]), wrt=(0, 1))
def callable_model_object_built_inside(W, b):
    model = Model(W, b)
    x = np.array([1.0, -0.5, 0.25])
    return np.sum(model(model(x)) ** 2)


class Oscillator:
    def __init__(self, state):
        self.state = state.copy()

    def step(self, dt):
        x, v = self.state
        self.state += dt * np.array([v, -x])


@program(np.array([1.0, 0.2]))
def object_state_changed_in_place_by_its_method(s0):
    osc = Oscillator(s0)
    for _ in range(5):
        osc.step(0.1)
    return osc.state[0] ** 2 + osc.state[1]


CALLS = 0


@program(V6)
def global_counter_incremented(x):
    global CALLS
    CALLS += 1
    return np.sum(x ** 2) * 2


@program(V6)
def integer_sizes_in_the_arithmetic(x):
    n = x.size
    h = 1 / (n - 1)
    half = n // 2
    return h * np.sum(x[:half] * x[half:]) + (n % 4) * x[0] + np.sum(x[::2]) * (x.size // 3)


@program(V6)
def nonzero_indices_scattered_with_add_at(x):
    idx = np.where(x > 0)[0]
    out = np.zeros(3)
    np.add.at(out, idx % 3, x[idx] ** 2)
    return np.sum(out * np.array([1.0, 2.0, 3.0]))


@program(np.array([0.3, 1.9, 0.8, 2.6, 1.1, 0.2, 1.4]), smooth=False)
def quantiles_by_interpolation(x):
    return np.percentile(x, 30) + np.quantile(x, [0.5, 0.9]).sum() + np.median(x)


@program(MATRIX)
def eigh_smallest_eigenvalue_and_vector_outer(A):
    S = A @ A.T + np.eye(3)
    w, U = np.linalg.eigh(S)
    u = U[:, 0]
    return w[0] + np.sum(np.outer(u, u) * np.arange(9.0).reshape(3, 3))


@program(MATRIX)
def nuclear_norm_by_svd(A):
    s = np.linalg.svd(A, compute_uv=False)
    return np.sum(s) + np.linalg.norm(A, "nuc") + np.linalg.norm(A, 2)


@program(np.arange(24.0).reshape(2, 3, 4) / 10)
def einsum_batched_and_diagonal(T):
    A = np.einsum("bij,bkj->bik", T, T)
    d = np.einsum("bii->bi", A)
    rows = np.einsum("bij,bij->bi", T, T)
    return np.sum(d * rows[:, :3]) + np.einsum("ijk->", T ** 2)


@program(V6[:4])
def recursive_fft_power_spectrum(x):
    def fft(a):
        n = len(a)
        if n == 1:
            return a.astype(complex)
        even = fft(a[::2])
        odd = fft(a[1::2])
        tw = np.exp(-2j * np.pi * np.arange(n // 2) / n) * odd
        return np.concatenate([even + tw, even - tw])
    F = fft(x)
    return np.sum(np.abs(F) ** 2 * np.arange(1, 5))


@program(MATRIX)
def recursive_cofactor_determinant(A):
    def det(B):
        if B.shape[0] == 1:
            return B[0, 0]
        total = 0.0
        for j in range(B.shape[1]):
            minor = np.delete(np.delete(B, 0, axis=0), j, axis=1)
            total += (-1) ** j * B[0, j] * det(minor)
        return total
    return det(A) ** 2


@program(V6)
def divide_and_conquer_sum_of_squares(x):
    def total(a):
        if len(a) <= 2:
            return np.sum(a ** 2)
        mid = len(a) // 2
        return total(a[:mid]) + total(a[mid:]) * 1.5
    return total(x)


@program(V6)
def power_spectrum_with_rfft(x):
    F = np.fft.rfft(x)
    P = np.abs(F) ** 2
    smooth = np.fft.irfft(F * np.exp(-np.arange(len(F))), n=len(x))
    return np.sum(P * np.arange(len(P))) + np.sum(smooth ** 2)


@program(SPD, np.array([0.5, -0.2, 0.3]), wrt=(0, 1))
def cho_factor_and_cho_solve(K, y):
    c, low = scipy.linalg.cho_factor(K)
    alpha = scipy.linalg.cho_solve((c, low), y)
    return y @ alpha + 2 * np.sum(np.log(np.diag(c)))

# (np.linalg.cholesky's derivative takes its input as symmetric, as torch's
# adjoint does; finite differences in one triangle, and torch's tangent in an
# unsymmetric direction, differ: the twin symmetrises)
@program(SPD, np.array([0.5, -0.2, 0.3]), wrt=(0, 1),
         twin=lambda K, y: torch.sum(torch.linalg.solve_triangular(
             torch.linalg.cholesky((K + K.T) / 2), y[:, None], upper=False) ** 2))
def solve_triangular_mahalanobis(K, y):
    L = np.linalg.cholesky(K)
    z = scipy.linalg.solve_triangular(L, y, lower=True)
    return z @ z


@program(MATRIX * 0.3)
def matrix_exponential_propagator(A):
    E = scipy.linalg.expm(A)
    return np.sum(E @ np.array([1.0, 0.5, -0.2]))


@program(MATRIX)
def matrix_power_and_pinv(A):
    return np.sum(np.linalg.matrix_power(A, 3)) + np.sum(np.linalg.pinv(A[:, :2]))


@program(np.array([0.5, -0.2, 0.3, 1.2]))
def logsumexp_with_b_weights_and_expit(x):
    return scipy.special.logsumexp(x, b=np.array([0.5, 1.0, 2.0, 0.1])) + np.sum(scipy.special.expit(x) ** 2)


@program(np.array([0.3, 0.8]))
def odeint_of_a_damped_oscillator(k):
    from scipy.integrate import odeint
    def rhs(y, t, a, b):
        return [y[1], -a * y[0] - b * y[1]]
    sol = odeint(rhs, [1.0, 0.0], np.linspace(0, 1, 5), args=(k[0], k[1]))
    return np.sum(sol[-1])


@program(V6)
def builtins_on_arrays_and_scalars(x):
    s = sum(x)
    a = abs(x)
    m = max(x[0], x[2])
    return s * m + np.sum(a ** 3) + math.fsum([x[1], x[3]]) * float(np.sum(x))


@program(MATRIX)
def python_sum_over_matrix_rows(A):
    r = sum(A)
    return np.sum(r ** 2) + sum(A[0] * A[1])


@program(V6)
def item_and_float64_of_entries(x):
    a = x[0].item()
    b = np.float64(x[1])
    return a * b + x.sum().item() ** 2


@program(V6)
def clip_method_with_keywords_and_round(x):
    return np.sum(x.clip(min=-1.0) ** 2) + np.sum(np.round(x, 1) * x)


@program(MATRIX)
def triu_tril_and_indices_from(A):
    iu = np.triu_indices_from(A, k=1)
    return np.sum(A[iu] ** 2) + np.sum(np.tril(A, -1) * 2) + np.sum(np.triu(A).T * A)


@program(V6)
def kron_tensordot_and_outer(x):
    a, b = x[:2], x[2:4]
    K = np.kron(a, b)
    T = np.tensordot(np.outer(a, b), np.outer(b, a), axes=([1], [0]))
    return np.sum(K ** 2) + np.sum(T)


@program(np.array([0.3, 0.6]), np.array([[0.2], [0.7], [1.1]]), wrt=(0, 1))
def broadcast_arrays_iterated_with_enumerate(x, y):
    return sum(np.sum(b ** 2 * k) for k, b in enumerate(np.broadcast_arrays(x, y), 1))


@program(np.array([0.4, 1.2, 0.7]))
def keys_built_by_string_concatenation_and_percent(x):
    d = {}
    for i, v in enumerate(x):
        d["g_" + str(i)] = v * x[(i + 1) % len(x)]
        d["h_%d" % i] = v ** 2
    return d["g_0"] * d["g_1"] + d["g_2"] * d["h_1"]


@program(np.array([0.4, 1.2, 0.7]))
def keys_that_are_tuples_of_strings_and_ints(x):
    d = {}
    for i, v in enumerate(x):
        d[("g", i)] = v * x[(i + 1) % len(x)]
    return d[("g", 0)] * d[("g", 1)] + d[("g", 2)]


@program(np.array([[1.2, -0.4, 0.3], [0.5, 0.9, -1.1], [-0.7, 1.2, 1.6]]),
         twin=lambda m: torch.sum(torch.cummax(m, 1).values ** 3)
         + torch.sum(torch.cummin(m, 0).values * m))
def running_maximum_and_minimum_along_axes(m):
    return np.sum(np.maximum.accumulate(m, axis=1) ** 3) + np.sum(np.minimum.accumulate(m) * m)


@program(np.array([1.0, 3.0, 3.0, 2.0]), smooth=False,
         twin=lambda x: torch.sum(torch.cummax(x, 0).values
                                  * torch.tensor([1.0, 2.0, 3.0, 4.0], dtype=torch.float64)))
def running_maximum_with_a_tie_goes_to_the_later_entry(x):
    return np.sum(np.maximum.accumulate(x) * np.array([1.0, 2.0, 3.0, 4.0]))


@program(VECTOR)
def copyto_with_where_broadcasting_a_scalar(x):
    y = x * 1.0
    np.copyto(y, x[0] ** 2, where=y < 0.5)
    return np.sum(y ** 3)


@program(VECTOR)
def copyto_with_where_into_a_row_view(x):
    z = np.zeros((2, 4))
    row = z[1]
    np.copyto(row, np.sin(x), where=np.array([True, False, True, True]))
    return np.sum(z * x)


@program(VECTOR)
def copyto_with_where_into_the_arguments_name(x):
    np.copyto(x, x ** 2, where=x > 1)
    return np.sum(x)


@program(VECTOR, twin=lambda x: x[0] ** 2 + x[1] + x[2] * x[3] + torch.sum(x * x)
         + torch.sum(x ** 3))
def math_fsum_of_a_list_a_generator_and_an_array(x):
    return math.fsum([x[0] ** 2, x[1], x[2] * x[3]]) + math.fsum(v * v for v in x) \
        + math.fsum(x ** 3)


@program(VECTOR, twin=lambda x: x[0] * x[1] + torch.sum(x ** 2))
def numpy_float64_of_entries_and_of_an_array(x):
    return np.float64(x[0]) * np.float64(x[1]) + np.sum(np.float64(x) ** 2)


WEIGHTS = [np.array([[0.5, -0.3], [0.2, 0.4]]), np.array([[0.1, 0.7], [-0.6, 0.3]])]


@program(WEIGHTS)
def list_of_copies_built_by_a_comprehension_scaled_in_place(Ws):
    """Refused before as 'giving a list of differentiated values a second
    name': the name aliasing.py holds the list under for its run-time check."""
    layers = [W.copy() for W in Ws]
    for L in layers:
        L *= 0.5
        L += np.eye(2)
    h = np.array([1.0, -1.0])
    for L in layers:
        h = np.tanh(L @ h)
    return np.sum(h) + np.sum(Ws[0] * layers[0])


@program(WEIGHTS)
def list_appended_then_its_entries_scaled_by_index(Ws):
    layers = []
    for W in Ws:
        layers.append(W * 1.0)
    for i in range(len(layers)):
        layers[i] *= 0.5
    return np.sum(layers[0] * layers[1]) + np.sum(layers[1])


@program(VECTOR)
def element_write_through_a_reshape_bound_to_a_name(x):
    A = x.reshape(2, 2).copy()
    v = A.reshape(-1)
    v[::2] *= 2.0
    return np.sum(A ** 2 * np.arange(4.0).reshape(2, 2))


# ======================================================================
# Still later: values logged, printed and asserted on, integer indices from
# values, norms at coinciding points, generators over reversed ranges,
# growing arrays, np.pad / np.gradient / np.interp / polynomials, SciPy's
# distributions, closures over rebound names and local functions in lists
# ======================================================================


LOG = logging.getLogger("red_team_round7")


@program(V6)
def squared_norm_of_a_difference_at_zero(x):
    y = x.copy()
    return np.linalg.norm(x[:3] - y[:3]) ** 2 + np.sum(x ** 2)


@program(V6)
def squared_distance_by_sqrt_of_identical_points(x):
    pts = np.stack([x[:2], x[:2], x[2:4]])
    d = np.sqrt(np.sum((pts[:, None] - pts[None]) ** 2, axis=-1) + 1e-12)
    return np.sum(d ** 2)


@program(V6)
def f_string_logging_of_a_differentiated_value(x):
    loss = np.sum(x ** 2)
    msg = f"loss={loss:.3f} first={x[0]}"
    LOG.debug(msg)
    LOG.debug("loss %s", loss)
    return loss * (len(msg) > 0)


@program(V6)
def print_and_warn_on_a_differentiated_value(x):
    loss = np.sum(np.sin(x))
    if loss > 100:
        print("big loss", loss)
        warnings.warn(f"loss {loss}")
    return loss


@program(V6)
def assert_finite_then_compute(x):
    assert np.all(np.isfinite(x)), "non-finite input"
    s = np.sum(x ** 3)
    if not np.isfinite(s):
        return np.inf
    return s


@program(V6, smooth=False)
def integer_index_from_a_value(x):
    k = int(abs(x[3]) * 2) % len(x)
    j = int(np.argmax(x))
    return x[k] * x[j] + x[int(np.argmin(x))] ** 2


@program(V6)
def generator_over_a_negative_step_range(x):
    return sum(x[i] * i for i in range(5, 0, -2)) + sum(x[i] ** 2 for i in range(len(x))[::-1])


@program(V6)
def enumerate_of_reversed_list(x):
    items = list(x[:4])
    total = 0.0
    for i, v in enumerate(reversed(items)):
        total += (i + 1) * v ** 2
    return total


@program(V6, smooth=False)
def sorted_zip_of_keys_and_values(x):
    pairs = sorted(zip(x[:3], x[3:]))
    return sum(k * v for k, v in pairs) + pairs[0][1] ** 2


@program([np.array([0.5, -0.3]), np.array([0.1, 0.7]), np.array([0.2, 0.2])])
def dict_comprehension_keyed_by_f_strings(ws):
    params = {f"w{i}": w for i, w in enumerate(ws)}
    h = np.array([1.0, 2.0])
    for i in range(len(ws)):
        h = np.tanh(params[f"w{i}"] * h)
    return np.sum(h)


@program(V6)
def softmax_with_a_temperature_and_logsumexp(x):
    T = 0.7
    z = x / T
    p = np.exp(z - scipy.special.logsumexp(z))
    return np.sum(p * np.arange(6)) + np.sum(scipy.special.log_softmax(x) * p)


@program(V6)
def einsum_scalar_and_matmul_of_vectors(x):
    return np.einsum("i,i", x, x) + x @ x + np.dot(x[:3], x[3:]) + np.inner(x, x[::-1])


@program(V6)
def normalised_in_place_by_its_sum(x):
    p = np.exp(x)
    p /= p.sum()
    p *= len(p)
    return np.sum(p ** 2)


@program(V6)
def array_grown_by_append_insert_and_delete(x):
    a = np.array([x[0]])
    for v in x[1:4]:
        a = np.append(a, v ** 2)
    a = np.insert(a, 1, x[4])
    a = np.delete(a, 2)
    return np.sum(a * np.arange(len(a)))


@program(V6)
def list_concatenated_with_plus_equals_then_concatenated(x):
    parts = []
    for i in range(0, 6, 2):
        parts += [x[i:i + 2] * (i + 1)]
    return np.sum(np.concatenate(parts) ** 2)


@program(V6)
def stencil_with_edge_padding(x):
    u = x.copy()
    for _ in range(3):
        p = np.pad(u, 1, mode="edge")
        u = u + 0.2 * (p[2:] - 2 * u + p[:-2])
    return np.sum(u ** 2)


@program(MATRIX)
def numpy_gradient_of_a_field(f):
    gy, gx = np.gradient(f, 0.5, 0.25)
    return np.sum(gx ** 2 + gy ** 2)


@program(np.array([0.1, 0.4, 0.3, 0.8, 0.5]))
def trapezoid_and_simpson_like_sums(y):
    t = np.linspace(0, 1, 5)
    return np.trapezoid(y ** 2, t) + (1 / 12) * (y[0] + 4 * y[1:-1:2].sum() + 2 * y[2:-1:2].sum() + y[-1])


@program(np.array([0.0, 1.0, 0.5, 2.0, 1.5]), smooth=False)
def interp_of_differentiated_table_values(fp):
    xp = np.array([0.0, 0.7, 1.5, 2.2, 3.0])
    q = np.array([0.3, 1.0, 2.5, 2.9])
    return np.sum(np.interp(q, xp, fp) ** 2)


@program(np.array([0.5, -0.2, 0.3]), np.array([0.2, 0.9, 1.3]), wrt=(0, 1))
def polyval_and_derivative_polynomial(c, t):
    d = np.polyder(c)
    return np.sum(np.polyval(c, t) ** 2) + np.sum(np.polyval(d, t))


@program(np.array([0.5, -0.2, 0.3]), np.array([1.0, 0.5]), wrt=(0, 1))
def scipy_stats_norm_logpdf_with_parameters(x, p):
    return np.sum(scipy.stats.norm.logpdf(x, loc=p[0], scale=np.exp(p[1]))) + np.sum(scipy.special.erf(x))


@program(np.arange(12.0).reshape(2, 2, 3) / 10, MATRIX, wrt=(0, 1))
def batched_matmul_broadcasting_a_matrix(A, B):
    C = A @ B
    D = np.matmul(A, B.T)
    return np.sum(C ** 2) + np.sum(D * C)


@program(np.array([[0.9, 0.2], [0.1, 0.8]]))
def determinant_of_two_by_two_written_out(A):
    det = A[0, 0] * A[1, 1] - A[0, 1] * A[1, 0]
    return det ** 2 + np.linalg.det(A)


@program(V6)
def empty_mask_selection_and_max_with_initial(x):
    big = x[x > 10]
    return np.sum(big) + np.max(big, initial=0.0) + np.sum(x[x > 0] ** 2) + len(big)


@program(V6)
def abs_sign_and_square_root_at_positive_points(x):
    y = np.abs(x) + 0.5
    return np.sum(np.sign(x) * x) + np.sum(y ** 0.5) + np.sum(np.cbrt(x))


@program(np.array([0.5, 1.5, 2.5]))
def gamma_poisson_log_likelihood(rate):
    k = np.array([0, 2, 3])
    return np.sum(k * np.log(rate) - rate - scipy.special.gammaln(k + 1))


@program(np.array([[0.2, 0.5], [0.8, 0.1]]), np.array([0.3, -0.1]), wrt=(0, 1))
def implicit_euler_linear_system_each_step(A, y0):
    y = y0
    eye = np.eye(2)
    for _ in range(5):
        y = np.linalg.solve(eye - 0.1 * A, y)
    return y @ y


@program(V6)
def while_loop_with_else_accumulating(x):
    i = 0
    total = 0.0
    while i < len(x):
        if x[i] > 5:
            break
        total += x[i] ** 2
        i += 1
    else:
        total *= 2.0
    return total


@program(V6)
def nested_functions_closing_over_a_rebound_name(x):
    scale = 2.0

    def f(v):
        return v * scale

    a = f(x[0])
    scale = x[1]
    b = f(x[2])
    return a + b


@program(V6)
def local_defs_appended_in_a_loop(x):
    fs = []
    for k in range(3):
        def f(t, k=k):
            return t ** (k + 1)
        fs.append(f)
    return sum(fn(x[0]) for fn in fs)


@program(V6)
def tuple_returning_helper_unpacked_in_a_loop(x):
    def stats(a):
        return a.mean(), a.std()

    total = 0.0
    for chunk in (x[:3], x[3:]):
        m, s = stats(chunk)
        total += m * s
    return total


@program(np.array([0.7, 1.3]))
def zero_dimensional_array_argument_ops(p):
    a = np.asarray(p[0])
    b = np.array(p[1], ndmin=0)
    c = a * b
    c += 1.0
    return float(c) + np.sin(a)[()] + c.item()


# ======================================================================
# Findings: wrong or crashing before the commit that fixed them
# ======================================================================


LSTSQ_A = np.array([[1.0, 0.2], [0.3, 1.5], [0.5, -0.4]])
LSTSQ_Y = np.array([0.3, 0.6, 0.2])


def _normal_equations(a, y):
    """torch: the least-squares solution of a full-rank a, and its residual."""
    x = torch.linalg.solve(a.T @ a, a.T @ y)
    return x, torch.sum((y - a @ x) ** 2)


@program(np.array([0.2, 0.5, 0.1, 0.8, 0.4, 0.9]), np.array([0.3, 0.6, 0.2, 0.7, 0.5, 1.0]),
         wrt=(0, 1), twin=lambda t, y: torch.sum(_normal_equations(
             torch.stack([t ** 2, t, torch.ones_like(t)], 1), y)[0] ** 2))
def finding_polynomial_least_squares_with_vander_and_lstsq(t, y):
    """Forward mode and the Hessian were wrong: the tangent of lstsq's tuple
    result, with both a and b moving, was lstsq_tangent(da) + lstsq_tangent(db),
    tuples joined (8 entries), so `coef, *_ =` took da's share only."""
    V = np.vander(t, 3)
    coef, *_ = np.linalg.lstsq(V, y, rcond=None)
    return np.sum(coef ** 2)


@program(LSTSQ_A, LSTSQ_Y, wrt=(0, 1),
         twin=lambda a, y: torch.sum(_normal_equations(a, y)[0] ** 2) + _normal_equations(a, y)[1])
def finding_lstsq_residuals_taken_by_a_starred_target(a, y):
    """As above: the residuals' tangent was da's share only."""
    x, res, *_ = np.linalg.lstsq(a, y, rcond=None)
    return np.sum(x ** 2) + np.sum(res)


def _solution_and_residual(t):
    return np.sum(t[0] ** 2) + np.sum(t[1])


@program(LSTSQ_A, LSTSQ_Y, wrt=(0, 1),
         twin=lambda a, y: torch.sum(_normal_equations(a, y)[0] ** 2) + _normal_equations(a, y)[1])
def finding_lstsq_result_passed_whole_to_a_helper(a, y):
    """As above, the tuple handed to a helper that indexes it."""
    return _solution_and_residual(np.linalg.lstsq(a, y, rcond=None))


@program(np.array([2.3, 5.1]), np.array([0.7, 1.3]), wrt=(0, 1), smooth=False)
def finding_divmod_taken_by_a_starred_target(x, y):
    """np.divmod's (quotient, remainder) tangent, as lstsq's: the remainder's
    tangent was x's share only."""
    q, *r = np.divmod(x, y)
    return np.sum(r[0] ** 2 + q * x)


@program(np.array([0.4, 1.2, 0.7]))
def finding_zip_of_enumerate_and_reversed(x):
    """Crashed (AttributeError in lower_control.py): the length of a zip whose
    first part is an enumerate."""
    total = 0.0
    for (i, a), b in zip(enumerate(x), reversed(x)):
        total += (i + 1) * a * b
    return total


@program(np.array([0.4, 1.2, 0.7]))
def finding_zip_of_a_zip_and_an_enumerate(x):
    """As above, a zip whose first part is a zip."""
    total = 0.0
    for (a, b), (i, c) in zip(zip(x, x[::-1]), enumerate(x ** 2, 1)):
        total += i * a * b * c
    return total


@program(np.array([0.4, 1.2, 0.7]))
def finding_keys_built_by_str_format(x):
    """Second order refused ('no derivative rule' for "g_{}".format, as for an
    f-string key): the gradient code keeps the key on its stack beside
    differentiated values, and the Hessian took the key for one."""
    d = {}
    for i, v in enumerate(x):
        d["g_{}".format(i)] = v * x[(i + 1) % len(x)]
    return d["g_0"] * d["g_1"] + d["g_2"]


@program(np.array([0.4, 1.2, 0.7]))
def finding_keys_read_in_a_loop_by_f_string(x):
    """As above, f-strings read in a loop."""
    d = {"w0": x[0], "w1": x[1], "w2": x[2]}
    total = 0.0
    for i in range(3):
        total = total + d[f"w{i}"] * d[f"w{(i + 1) % 3}"]
    return total


@program(MATRIX)
def finding_flat_write_with_repeats_and_a_read_through_a_transpose(a):
    """Writes and reads through .flat were refused with a message about
    attributes of objects ('assignments to attributes of b', 'this assignment
    into an element'); they are np.put and np.take of the flat positions now.
    A repeated position of += is written once (the last), as NumPy does."""
    b = np.zeros((3, 3))
    b.flat[-1] = a[1, 1] ** 2
    b.flat[[0, 4, 4]] += np.sin(a[0, :])
    b.flat[1:3] = a.T.flat[::4][:2]
    return np.sum(b * a)


@program(MATRIX)
def finding_flat_times_equals_with_a_mask(a):
    """As above, with a boolean mask of the flat positions."""
    b = a * 1.0
    b.flat[(a > 0).ravel()] *= a[0, 0]
    return np.sum(b ** 2)


@program(MATRIX)
def finding_flat_write_into_a_transpose_view(a):
    """As above, through a view: the base changes."""
    b = a.copy()
    t = b.T
    t.flat[::2] = a[0, 0] * np.arange(5.0)
    return np.sum(b * np.arange(9.0).reshape(3, 3))


@program(MATRIX)
def finding_flat_element_plus_equals_in_a_loop(a):
    """As above, one position at a time (np.put of one position crashed,
    'setting an array element with a sequence', a 0-d position)."""
    b = np.zeros(9)
    b2 = b.reshape(3, 3)
    for i in range(3):
        b2.flat[4 * i] += a[i, i] * (i + 1)
    return np.sum(b ** 2) + np.sum(b2)


@program(VECTOR)
def finding_put_at_one_position(x):
    """np.put(y, 3, v), one position given as a number, crashed in every mode
    ('setting an array element with a sequence'): the positions were a 0-d
    array and the values taken for them a 1-d one."""
    y = x.reshape(2, 2).copy()
    np.put(y, 3, x[0] * 5)
    np.put(y, -4, x[1] ** 2)
    return np.sum(y ** 2)


def _append_and_return(v, out):
    out.append(v)
    return out


@program(np.array([0.4, 1.2, 0.7]))
def finding_helper_appends_to_its_list_argument_and_returns_it(x):
    """Crashed in reverse mode (InternalCompilerError: duplicate argument
    'dout' of the generated adjoint); given distinct names for the two
    adjoints, the derivative dropped the first call's share: refused now."""
    h = _append_and_return(x[0], [])
    h = _append_and_return(x[1] ** 2, h)
    return sum(h) * x[2]


SCENARIOS = []


def _central_gradient(f, x, step=1e-6):
    x = np.asarray(x, dtype=np.float64)
    g = np.zeros_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e.flat[i] = step
        g.flat[i] = (f(x + e) - f(x - e)) / (2 * step)
    return g


def scenario(function):
    SCENARIOS.append(function)
    return function


def _heat_energy(u0):
    u = u0.copy()
    for _ in range(5):
        u[1:-1] += 0.2 * (u[2:] - 2.0 * u[1:-1] + u[:-2])
    return np.sum(u ** 2)


@scenario
def float32_profile_gives_a_float32_gradient_close_to_float64():
    u32 = PROFILE.astype(np.float32)
    g = ad.grad(_heat_energy)(u32)
    want = _central_gradient(_heat_energy, PROFILE)
    return [("dtype", float(g.dtype == np.float32), 1.0),
            ("gradient (float32 precision)", np.round(g.astype(np.float64), 4), np.round(want, 4))]


@scenario
def zero_dimensional_argument_gives_a_zero_dimensional_gradient():
    def f(a):
        return np.sin(a) * a ** 2

    x = np.array(0.7)
    g = ad.grad(f)(x)
    return [("shape", float(np.shape(g) == ()), 1.0),
            ("gradient", g, np.cos(0.7) * 0.49 + 2 * 0.7 * np.sin(0.7))]


@scenario
def hessian_of_a_stencil_energy_matches_finite_differences():
    H = ad.hessian(_heat_energy)(PROFILE)
    want = np.array([_central_gradient(lambda u: _central_gradient(_heat_energy, u, 1e-2)[i], PROFILE, 1e-2)
                     for i in range(PROFILE.size)])
    # (the energy is quadratic: central differences of any step are exact)
    return [("hessian", H, want)]
