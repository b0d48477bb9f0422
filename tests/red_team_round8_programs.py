"""Red-team corpus, round 8: ordinary scientific programs written the way
people write them, in idioms rounds 1-7 did not cover: integrators whose
state lives in dicts and small classes (leapfrog, velocity Verlet, RK4,
adaptive steps in `while` loops that `break`), probabilistic models
(np.logaddexp, log-sum-exp by hand, mixtures, an HMM forward pass
normalised at each step), optimisation inner loops (backtracking that
breaks, fixed points, Newton steps through np.linalg.solve), signal
processing (convolution by loops and slices, np.cumsum, np.roll, windows,
np.fft), small neural networks written with classes, layer lists, zip over
parameters and comprehensions, and the Python around them: functools,
itertools, *args/**kwargs helpers, defaults, closures and factories,
sorted/min/max with keys, math mixed with NumPy scalars, masks, np.where,
np.clip, fancy indices with repeats, np.add.at, in-place operations on
copies, string keys and f-strings, early returns, nested functions,
recursion with a depth argument, module constants and module helper state.

Each entry of PROGRAMS is a third_party_style_programs.Program, checked by
tests/test_red_team_round8.py (reverse, value_and_grad, forward, jvp, hvp)
against torch float64 or, without a twin, central finite differences, with
the arguments required unchanged. SCENARIOS return (label, got, want)
triples.

Programs whose name starts with `finding_` were wrong (or crashed) before
the commit that fixed them; their docstrings say how.
"""

from __future__ import annotations

import functools
import io
import itertools
import math
import operator
from collections import OrderedDict, namedtuple
from dataclasses import dataclass, field

import numpy as np
import torch

import adcompiler as ad
from red_team_checks import recorder
from third_party_style_programs import Program

PROGRAMS: list[Program] = []

program = recorder(PROGRAMS)

STATE = np.array([0.8, -0.3, 0.4, 0.25])
FIVE = np.array([0.7, -0.4, 1.2, 0.3, -0.9])
SIGNAL = np.array([0.2, 0.9, -0.4, 1.3, 0.6, -0.7, 0.1, 0.5])
WEIGHTS = np.array([[0.5, -0.3, 0.8], [0.1, 0.7, -0.6], [-0.4, 0.2, 0.9], [0.3, -0.5, 0.4]])
SPD = np.array([[2.0, 0.3, -0.2], [0.3, 1.5, 0.4], [-0.2, 0.4, 1.8]])
THETA = np.array([0.4, -0.6, 0.9])
DATA = np.array([-1.2, -0.3, 0.1, 0.8, 1.5, 2.2, -0.7, 0.45])
TIME_STEP = 0.05
G_CONSTANT = 9.81


# ======================================================================
# Integrators with their state in dicts and small classes
# ======================================================================


@program(STATE)
def leapfrog_pendulum_state_dict(s):
    state = {"q": s[0], "p": s[1]}
    dt = 0.1
    for _ in range(20):
        state["p"] = state["p"] - 0.5 * dt * np.sin(state["q"])
        state["q"] = state["q"] + dt * state["p"]
        state["p"] = state["p"] - 0.5 * dt * np.sin(state["q"])
    return state["q"] ** 2 + state["p"]


@program(STATE)
def velocity_verlet_with_force_function(s):
    def force(x):
        return -x - 0.3 * x ** 3

    x, v = s[:2].copy(), s[2:].copy()
    f = force(x)
    for _ in range(15):
        x = x + TIME_STEP * v + 0.5 * TIME_STEP ** 2 * f
        f_new = force(x)
        v = v + 0.5 * TIME_STEP * (f + f_new)
        f = f_new
    return np.sum(x * v) + np.dot(x, x)


class Particle:
    def __init__(self, position, velocity, mass=1.0):
        self.position = position
        self.velocity = velocity
        self.mass = mass

    def kinetic(self):
        return 0.5 * self.mass * np.sum(self.velocity ** 2)

    def step(self, dt):
        accel = -G_CONSTANT * np.array([0.0, 1.0]) / self.mass - 0.1 * self.velocity
        self.velocity = self.velocity + dt * accel
        self.position = self.position + dt * self.velocity


@program(STATE)
def particle_class_with_drag_stepped_by_method(s):
    p = Particle(s[:2], s[2:], mass=2.0)
    for _ in range(10):
        p.step(0.02)
    return p.kinetic() + p.position[1]


@program(np.array([1.0, 0.2]))
def rk4_of_van_der_pol_with_tuple_returns(y0):
    mu = 0.5

    def rhs(t, y):
        return np.array([y[1], mu * (1 - y[0] ** 2) * y[1] - y[0]])

    t, y, h = 0.0, y0, 0.1
    for _ in range(10):
        k1 = rhs(t, y)
        k2 = rhs(t + h / 2, y + h / 2 * k1)
        k3 = rhs(t + h / 2, y + h / 2 * k2)
        k4 = rhs(t + h, y + h * k3)
        y = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        t += h
    return y[0] + 0.5 * y[1] ** 2


@program(np.array([1.0, 0.0, 0.3]), smooth=False)
def adaptive_euler_with_while_and_step_halving(y0):
    t, y, h = 0.0, y0.copy(), 0.2
    while t < 1.0:
        full = y + h * (-y * (1 + t))
        half = y + 0.5 * h * (-y * (1 + t))
        half = half + 0.5 * h * (-half * (1 + t + 0.5 * h))
        err = np.max(np.abs(full - half))
        if err > 1e-2:
            h = h / 2
            continue
        y = half
        t += h
    return np.sum(y ** 2)


@program(np.array([0.5, 1.5]))
def integrate_until_event_with_break(s):
    height, speed = s[0] + 2.0, s[1]
    dt = 0.01
    for step in range(1000):
        speed = speed - G_CONSTANT * dt
        height = height + speed * dt
        if height < 0.0:
            break
    return speed * 0.1 + height


@program(np.array([0.3, 0.1, -0.2, 0.4, 0.0, 0.2]))
def n_body_three_particles_dict_of_arrays(flat):
    bodies = {f"b{i}": {"x": flat[2 * i:2 * i + 2], "v": np.zeros(2)} for i in range(3)}
    names = sorted(bodies)
    for _ in range(5):
        forces = {n: np.zeros(2) for n in names}
        for a, b in itertools.combinations(names, 2):
            d = bodies[b]["x"] - bodies[a]["x"]
            r3 = (np.sum(d ** 2) + 0.1) ** 1.5
            forces[a] = forces[a] + d / r3
            forces[b] = forces[b] - d / r3
        for n in names:
            bodies[n]["v"] = bodies[n]["v"] + 0.05 * forces[n]
            bodies[n]["x"] = bodies[n]["x"] + 0.05 * bodies[n]["v"]
    return sum(np.sum(bodies[n]["x"] ** 2) for n in names)


@program(np.array([0.9, 0.1]))
def symplectic_euler_in_a_function_returning_history(s):
    def simulate(q, p, steps, dt=0.1):
        history = []
        for _ in range(steps):
            p = p - dt * q
            q = q + dt * p
            history.append(q)
        return np.array(history)

    traj = simulate(s[0], s[1], 12)
    return np.mean(traj ** 2) + traj[-1]


@dataclass
class Pop:
    prey: float
    pred: float


@program(np.array([1.2, 0.5]))
def lotka_volterra_with_state_dataclass(params):
    pop = Pop(1.0, 0.5)
    for _ in range(20):
        dprey = params[0] * pop.prey - 0.4 * pop.prey * pop.pred
        dpred = 0.3 * pop.prey * pop.pred - params[1] * pop.pred
        pop = Pop(pop.prey + 0.05 * dprey, pop.pred + 0.05 * dpred)
    return pop.prey + 2 * pop.pred


@program(np.array([0.2, 0.7, 0.1]))
def heun_method_with_list_of_stages(y0):
    def f(y):
        return np.array([-y[1], y[0], -0.5 * y[2]])

    y = y0
    for _ in range(8):
        stages = [f(y)]
        stages.append(f(y + 0.1 * stages[0]))
        y = y + 0.05 * sum(stages)
    return np.dot(y, y)


@program(np.array([0.4, -0.2]))
def semi_implicit_damped_spring_with_solve(s):
    k, c, dt = 3.0, 0.4, 0.1
    A = np.array([[1.0, -dt], [k * dt, 1.0 + c * dt]])
    y = s.copy()
    for _ in range(6):
        y = np.linalg.solve(A, y)
    return y[0] ** 2 + y[1]


@program(np.array([0.1, 0.2, 0.3, 0.4]))
def trajectory_stored_in_preallocated_array_and_trapezoid(v):
    n = 10
    traj = np.zeros((n + 1, v.size))
    traj[0] = v
    for i in range(n):
        traj[i + 1] = traj[i] + 0.1 * np.cos(traj[i])
    times = np.linspace(0.0, 1.0, n + 1)
    return np.trapezoid(np.sum(traj ** 2, axis=1), times)


@program(np.array([0.3, 0.8]))
def midpoint_rule_with_generator_of_times(s):
    def times(t0, t1, n):
        h = (t1 - t0) / n
        for i in range(n):
            yield t0 + (i + 0.5) * h, h

    y = s.copy()
    for t, h in times(0.0, 1.0, 8):
        y = y + h * np.array([y[1], -y[0] * (1 + 0.1 * t)])
    return y[0] * y[1]


@program(np.array([0.6, 0.2, -0.3]))
def harmonic_chain_energy_with_roll(q0):
    q = q0.copy()
    p = np.zeros_like(q)
    for _ in range(10):
        force = np.roll(q, 1) + np.roll(q, -1) - 2 * q
        p += 0.1 * force
        q += 0.1 * p
    return 0.5 * np.sum(p ** 2) + 0.5 * np.sum((q - np.roll(q, 1)) ** 2)


@program(np.array([0.2, 0.5]))
def orbit_with_math_functions_on_numpy_scalars(s):
    r, theta = 1.0 + s[0], s[1]
    vr, vt = 0.0, 1.0
    for _ in range(10):
        ar = r * vt ** 2 - 1.0 / r ** 2
        vr += 0.05 * ar
        r += 0.05 * vr
        theta += 0.05 * vt
        vt = 1.0 / r ** 2
    return r * math.cos(theta) + math.exp(-r) * math.sin(theta)


# ======================================================================
# Probabilistic models
# ======================================================================


def _mixture_twin(params):
    mu1, mu2, logit = params[0], params[1], params[2]
    w = torch.sigmoid(logit)
    x = torch.tensor(DATA)
    a = torch.log(w) - 0.5 * (x - mu1) ** 2
    b = torch.log1p(-w) - 0.5 * (x - mu2) ** 2
    return torch.sum(torch.logaddexp(a, b))


@program(np.array([0.3, 1.2, -0.5]), twin=_mixture_twin)
def gaussian_mixture_log_likelihood_with_logaddexp(params):
    mu1, mu2, logit = params
    w = 1.0 / (1.0 + np.exp(-logit))
    ll = 0.0
    for x in DATA:
        a = np.log(w) - 0.5 * (x - mu1) ** 2
        b = np.log1p(-w) - 0.5 * (x - mu2) ** 2
        ll += np.logaddexp(a, b)
    return ll


@program(np.array([0.2, -0.4, 0.9]))
def log_sum_exp_by_hand_with_max_subtraction(logits):
    def lse(v):
        m = np.max(v)
        return m + np.log(np.sum(np.exp(v - m)))

    return lse(logits) - logits[1] + lse(2 * logits)


def _hmm_twin(theta):
    trans = torch.tensor([[0.9, 0.1], [0.2, 0.8]], dtype=torch.float64)
    alpha = torch.tensor([0.5, 0.5], dtype=torch.float64)
    log_z = 0.0
    for y in [0.1, 0.4, -0.3, 0.9, 0.2]:
        alpha = (alpha @ trans) * torch.exp(-0.5 * (y - theta[:2]) ** 2)
        c = alpha.sum()
        log_z = log_z + torch.log(c)
        alpha = alpha / c
    return log_z + theta[2] * theta[3]


@program(np.array([0.5, -0.2, 0.3, 0.1]), twin=_hmm_twin)
def hmm_forward_with_per_step_normalisation(theta):
    trans = np.array([[0.9, 0.1], [0.2, 0.8]])
    means = theta[:2]
    obs = np.array([0.1, 0.4, -0.3, 0.9, 0.2])
    alpha = np.array([0.5, 0.5])
    log_z = 0.0
    for y in obs:
        emit = np.exp(-0.5 * (y - means) ** 2)
        alpha = (alpha @ trans) * emit
        c = alpha.sum()
        log_z += np.log(c)
        alpha = alpha / c
    return log_z + theta[2] * theta[3]


@program(np.array([0.1, 0.7, -0.3]))
def softmax_cross_entropy_with_integer_labels(w):
    X = np.array([[1.0, 0.5], [-0.3, 0.8], [0.2, -1.1], [0.9, 0.1]])
    labels = np.array([0, 2, 1, 2])
    W = np.stack([w, w[::-1] * 0.5])
    logits = X @ W
    logits = logits - logits.max(axis=1, keepdims=True)
    logp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    return -np.mean(logp[np.arange(len(labels)), labels])


@program(np.array([0.3, 1.1]))
def gaussian_log_likelihood_with_math_log_2pi(params):
    mu, log_sigma = params
    sigma = np.exp(log_sigma)
    n = len(DATA)
    return -0.5 * n * math.log(2 * math.pi) - n * log_sigma - np.sum((DATA - mu) ** 2) / (2 * sigma ** 2)


@program(np.array([0.4, -0.2, 0.6]))
def em_style_responsibilities_then_weighted_means(params):
    mus = np.array([params[0], params[1]])
    log_pi = np.array([np.log(0.4), np.log(0.6)])
    log_r = log_pi[None, :] - 0.5 * (DATA[:, None] - mus[None, :]) ** 2
    log_r = log_r - np.logaddexp(log_r[:, 0], log_r[:, 1])[:, None]
    r = np.exp(log_r)
    new_mus = (r * DATA[:, None]).sum(axis=0) / r.sum(axis=0)
    return np.sum(new_mus ** 2) * params[2]


@program(np.array([0.7, 0.2]))
def poisson_regression_negative_log_likelihood(beta):
    x = np.array([0.1, 0.5, 0.9, 1.3, 1.7])
    counts = np.array([1, 2, 2, 4, 6])
    eta = beta[0] + beta[1] * x
    log_fact = np.array([math.lgamma(c + 1) for c in counts])
    return -np.sum(counts * eta - np.exp(eta) - log_fact)


@program(np.array([0.5, -0.3]))
def logistic_regression_with_log1p_exp_stable(w):
    X = np.array([[1.0, 2.0], [0.5, -1.0], [-1.5, 0.3], [2.0, 1.0]])
    y = np.array([1.0, 0.0, 0.0, 1.0])
    z = X @ w
    loss = np.where(z > 0, z + np.log1p(np.exp(-z)), np.log1p(np.exp(z))) - y * z
    return np.sum(loss)


@program(np.array([0.2, 0.9, 0.4]))
def student_t_log_density_with_gammaln_from_math(params):
    loc, log_scale, log_nu = params
    nu = np.exp(log_nu) + 1.0
    scale = np.exp(log_scale)
    z = (DATA - loc) / scale
    const = math.lgamma(2.5) - math.lgamma(2.0)
    return np.sum(const - log_scale - 0.5 * (nu + 1) * np.log1p(z ** 2 / nu))


class Categorical:
    def __init__(self, logits):
        self.logits = logits - np.log(np.sum(np.exp(logits)))

    def log_prob(self, k):
        return self.logits[k]

    def entropy(self):
        p = np.exp(self.logits)
        return -np.sum(p * self.logits)


@program(np.array([0.1, 0.4, -0.2, 0.3]))
def categorical_log_prob_via_log_softmax_in_class(params):
    d = Categorical(params)
    return d.log_prob(2) + d.log_prob(0) + 0.1 * d.entropy()


@program(np.array([0.3, -0.5, 0.8]))
def kl_between_diagonal_gaussians(params):
    mu_q, log_var_q = params[:2], np.array([params[2], -params[2]])
    mu_p, log_var_p = np.zeros(2), np.zeros(2)
    return 0.5 * np.sum(log_var_p - log_var_q + (np.exp(log_var_q) + (mu_q - mu_p) ** 2)
                        / np.exp(log_var_p) - 1.0)


@program(np.array([0.2, -0.1, 0.4, 0.3]))
def viterbi_like_max_product_score(theta):
    emit = np.array([[0.1, 0.5], [0.7, 0.2], [0.3, 0.9]]) + theta[None, :2]
    trans = np.array([[0.6, 0.1], [0.2, 0.5]]) + theta[2:, None] * 0.1
    score = emit[0].copy()
    for t in range(1, 3):
        cand = score[:, None] + trans
        score = np.max(cand, axis=0) + emit[t]
    return np.max(score)


@program(np.array([0.5, 1.5, 0.2]))
def log_marginal_of_two_component_mixture_by_logsumexp_of_stack(params):
    comps = np.stack([
        -0.5 * (DATA - params[0]) ** 2 + np.log(0.3),
        -0.5 * ((DATA - params[1]) / 2.0) ** 2 - np.log(2.0) + np.log(0.7),
    ])
    m = comps.max(axis=0)
    return np.sum(m + np.log(np.exp(comps - m).sum(axis=0))) * (1 + params[2] ** 2)


@program(np.array([0.6, 0.3]))
def beta_binomial_log_likelihood_with_lgamma_math(params):
    a, b = np.exp(params[0]), np.exp(params[1])
    k, n = 3, 7

    def log_beta(p, q):
        return math.lgamma(2.0) + np.log(p) * 0 + (np.log(p) + np.log(q) - np.log(p + q)) * 0.5

    return np.log(a) * k + np.log(b) * (n - k) - n * np.log(a + b) + log_beta(a, b)


@program(np.array([0.2, 0.5, 0.7, -0.3]))
def importance_weights_self_normalised(log_w):
    w = np.exp(log_w - np.max(log_w))
    w = w / w.sum()
    values = np.array([1.0, 2.0, -0.5, 0.7])
    ess = 1.0 / np.sum(w ** 2)
    return np.sum(w * values) + 0.01 * ess


@program(np.array([0.1, 0.3, -0.2, 0.5, 0.4]))
def kalman_scalar_filter_log_likelihood_with_dict_state(ys):
    state = dict(mean=0.0, var=1.0)
    q, r, ll = 0.1, 0.5, 0.0
    for y in ys:
        state["var"] += q
        s = state["var"] + r
        k = state["var"] / s
        innov = y - state["mean"]
        ll += -0.5 * (math.log(2 * math.pi) + np.log(s) + innov ** 2 / s)
        state["mean"] += k * innov
        state["var"] *= 1 - k
    return ll


@program(np.array([0.3, 0.8, -0.4]))
def gaussian_process_log_marginal_with_cholesky(params):
    x = np.array([0.0, 0.4, 1.1, 1.7])
    y = np.array([0.2, 0.5, -0.1, 0.3])
    ls, amp = np.exp(params[0]), np.exp(params[1])
    K = amp * np.exp(-0.5 * (x[:, None] - x[None, :]) ** 2 / ls ** 2) + (0.1 + params[2] ** 2) * np.eye(4)
    L = np.linalg.cholesky(K)
    alpha = np.linalg.solve(K, y)
    return -0.5 * y @ alpha - np.sum(np.log(np.diag(L)))


# ======================================================================
# Optimisation inner loops
# ======================================================================


def _rosen(z):
    return (1 - z[0]) ** 2 + 10 * (z[1] - z[0] ** 2) ** 2


def _rosen_grad(z):
    return np.array([-2 * (1 - z[0]) - 40 * z[0] * (z[1] - z[0] ** 2), 20 * (z[1] - z[0] ** 2)])


@program(np.array([-0.5, 0.8]), smooth=False)
def gradient_descent_with_armijo_backtracking_for_loop(z0):
    z = z0.copy()
    for _ in range(5):
        g = _rosen_grad(z)
        t = 1.0
        for _ in range(20):
            if _rosen(z - t * g) <= _rosen(z) - 0.5 * t * np.dot(g, g):
                break
            t *= 0.5
        z = z - t * g
    return _rosen(z)


@program(np.array([0.5, 0.2]))
def fixed_point_iteration_with_tolerance_break(a):
    x = 0.0
    for _ in range(200):
        new = 0.5 * np.cos(x) + a[0] * 0.3 + a[1] * 0.1
        if abs(new - x) < 1e-14:
            x = new
            break
        x = new
    return x


@program(np.array([2.0, 1.0]))
def newton_system_with_linalg_solve(c):
    x = np.array([1.0, 1.0])
    for _ in range(8):
        F = np.array([x[0] ** 2 + x[1] ** 2 - c[0] - 2, x[0] - x[1] * c[1]])
        J = np.array([[2 * x[0], 2 * x[1]], [1.0, -c[1]]])
        x = x - np.linalg.solve(J, F)
    return x[0] + 3 * x[1]


@program(np.array([1.5]))
def scalar_newton_for_square_root_while_loop(a):
    x = a[0]
    it = 0
    while abs(x * x - a[0]) > 1e-12 and it < 50:
        x = 0.5 * (x + a[0] / x)
        it += 1
    return x


@program(np.array([0.3, -0.2, 0.5]))
def momentum_sgd_with_velocity_list(w0):
    params = [w0[:2].copy(), w0[2:].copy()]
    vel = [np.zeros_like(p) for p in params]
    for _ in range(6):
        grads = [2 * params[0] - 0.5, 4 * params[1] ** 3]
        for i, (p, g) in enumerate(zip(params, grads)):
            vel[i] = 0.9 * vel[i] + g
            params[i] = p - 0.05 * vel[i]
    return sum(np.sum(p ** 2) for p in params)


class Adam:
    def __init__(self, lr=0.1, b1=0.9, b2=0.999):
        self.lr, self.b1, self.b2 = lr, b1, b2
        self.m = None
        self.v = None
        self.t = 0

    def update(self, w, g):
        if self.m is None:
            self.m = np.zeros_like(w)
            self.v = np.zeros_like(w)
        self.t += 1
        self.m = self.b1 * self.m + (1 - self.b1) * g
        self.v = self.b2 * self.v + (1 - self.b2) * g * g
        mhat = self.m / (1 - self.b1 ** self.t)
        vhat = self.v / (1 - self.b2 ** self.t)
        return w - self.lr * mhat / (np.sqrt(vhat) + 1e-8)


@program(np.array([0.3, -0.2, 0.5]))
def adam_optimiser_in_a_class(w0):
    opt = Adam(lr=0.05)
    w = w0
    for _ in range(4):
        w = opt.update(w, 2 * w + np.sin(w))
    return np.sum(w ** 2)


# (one Newton step gives the root's first derivative exactly, not its second)
@program(np.array([1.0, 2.0]), smooth=False)
def bisection_root_polished_by_one_newton_step(c):
    lo, hi = 0.0, 3.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if mid ** 3 - c[0] * mid - c[1] > 0:
            hi = mid
        else:
            lo = mid
    # One Newton step at the bracketed root: exact there, and it carries the
    # root's dependence on c (bisection alone is piecewise constant in c).
    root = lo - (lo ** 3 - c[0] * lo - c[1]) / (3 * lo ** 2 - c[0])
    return c[0] * root + c[1]


@program(np.array([0.4, 0.9, 0.2]))
def coordinate_descent_on_a_quadratic(b):
    A = SPD
    x = np.zeros(3)
    for sweep in range(10):
        for i in range(3):
            r = b[i] - A[i] @ x + A[i, i] * x[i]
            x[i] = r / A[i, i]
    return x @ A @ x - 2 * b @ x


# (the bracket is piecewise constant in c: the gradient is the envelope
# theorem's, but the second derivative misses how the minimiser moves)
@program(np.array([0.5, 0.1]), smooth=False)
def golden_section_search_minimum_value(c):
    f = lambda t: (t - c[0]) ** 2 + c[1] * t ** 4
    a, b = -2.0, 2.0
    gr = (math.sqrt(5) - 1) / 2
    for _ in range(40):
        x1 = b - gr * (b - a)
        x2 = a + gr * (b - a)
        if f(x1) < f(x2):
            b = x2
        else:
            a = x1
    return f(0.5 * (a + b)) + c[0]


@program(np.array([0.3, 0.6, 0.2]))
def gauss_newton_curve_fit_with_lstsq(theta0):
    t = np.linspace(0, 1, 6)
    y = 1.3 * np.exp(-0.7 * t) + theta0[2]
    p = np.array([1.0, 1.0])
    for _ in range(5):
        model = p[0] * np.exp(-p[1] * t)
        r = y - model
        J = np.stack([np.exp(-p[1] * t), -p[0] * t * np.exp(-p[1] * t)], axis=1)
        step = np.linalg.solve(J.T @ J, J.T @ r)
        p = p + step
    return p[0] + p[1] + theta0[0] * theta0[1]


@program(np.array([1.0, 0.5]))
def projected_gradient_with_clip(x0):
    x = x0.copy()
    for _ in range(10):
        g = 2 * (x - np.array([1.5, -0.5]))
        x = np.clip(x - 0.1 * g, -0.2, 1.2)
    return np.sum(x ** 2) + x0[0] * x[1]


@program(np.array([0.2, 0.3]))
def conjugate_gradient_fixed_iterations(b):
    A = SPD[:2, :2]
    x = np.zeros(2)
    r = b - A @ x
    p = r.copy()
    rs = r @ r
    for _ in range(2):
        Ap = A @ p
        alpha = rs / (p @ Ap)
        x = x + alpha * p
        r = r - alpha * Ap
        rs_new = r @ r
        p = r + (rs_new / rs) * p
        rs = rs_new
    return x @ x


@program(np.array([0.4, -0.3, 0.2]))
def newton_with_hessian_solve_on_log_barrier(c):
    x = np.array([0.5, 0.5, 0.5])
    for _ in range(6):
        g = c + 2 * x - 1.0 / x
        H = np.diag(2 + 1.0 / x ** 2)
        x = x - np.linalg.solve(H, g)
    return np.sum(c * x + x ** 2 - np.log(x))


@program(np.array([0.7, 0.4]))
def iterate_until_converged_while_true(a):
    x = 1.0
    n = 0
    while True:
        x_new = x - (x ** 3 - a[0] - a[1] * x) / (3 * x ** 2 - a[1])
        n += 1
        if abs(x_new - x) < 1e-13 or n > 40:
            break
        x = x_new
    return x_new


@program(np.array([0.5, 1.2, -0.3]))
def nesterov_accelerated_loop_with_tuple_state(x0):
    x, y, t = x0, x0, 1.0
    for _ in range(5):
        x_new = y - 0.1 * (y - np.array([1.0, 0.0, 2.0])) * 2
        t_new = 0.5 * (1 + math.sqrt(1 + 4 * t * t))
        y = x_new + (t - 1) / t_new * (x_new - x)
        x, t = x_new, t_new
    return np.sum(x ** 2)


# ======================================================================
# Signal processing
# ======================================================================


@program(SIGNAL)
def convolution_written_with_loops_and_slices(x):
    kernel = np.array([0.25, 0.5, 0.25])
    out = np.zeros(x.size - 2)
    for k, w in enumerate(kernel):
        out += w * x[k:k + out.size]
    return np.sum(out ** 2)


@program(SIGNAL)
def moving_average_with_cumsum_difference(x):
    c = np.cumsum(np.concatenate([[0.0], x]))
    window = 3
    ma = (c[window:] - c[:-window]) / window
    return np.sum(ma * np.arange(ma.size))


@program(SIGNAL)
def hann_window_then_fft_power(x):
    n = x.size
    w = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / (n - 1))
    spec = np.fft.rfft(x * w)
    return np.sum(np.abs(spec) ** 2)


@program(SIGNAL)
def circular_autocorrelation_with_roll(x):
    x = x - x.mean()
    return sum(np.dot(x, np.roll(x, k)) ** 2 for k in range(1, 4))


@program(SIGNAL)
def first_order_iir_filter_loop(x):
    y = np.empty_like(x)
    prev = 0.0
    a = 0.7
    for i in range(len(x)):
        prev = a * prev + (1 - a) * x[i]
        y[i] = prev
    return np.sum(y ** 2)


@program(SIGNAL)
def biquad_filter_with_two_state_variables(x):
    b0, b1, b2, a1, a2 = 0.2, 0.3, 0.2, -0.5, 0.1
    z1 = z2 = 0.0
    out = []
    for s in x:
        y = b0 * s + z1
        z1 = b1 * s - a1 * y + z2
        z2 = b2 * s - a2 * y
        out.append(y)
    return np.dot(out, out)


@program(SIGNAL)
def fft_lowpass_by_zeroing_high_frequencies(x):
    X = np.fft.rfft(x)
    X[3:] = 0
    y = np.fft.irfft(X, n=x.size)
    return np.sum(y ** 2) + y[0]


@program(SIGNAL)
def savitzky_golay_like_fixed_kernel_with_np_convolve(x):
    kernel = np.array([-3, 12, 17, 12, -3]) / 35.0
    smooth = np.convolve(x, kernel, mode="valid")
    return np.sum(smooth ** 2)


@program(SIGNAL)
def zero_padded_convolution_with_pad(x):
    padded = np.pad(x, 2)
    out = np.zeros_like(x)
    for i in range(x.size):
        out[i] = np.dot(padded[i:i + 5], np.array([0.1, 0.2, 0.4, 0.2, 0.1]))
    return np.sum(out ** 3)


@program(SIGNAL)
def energy_per_frame_with_reshape(x):
    frames = x.reshape(4, 2)
    energy = (frames ** 2).sum(axis=1)
    return np.sum(np.log(energy + 1e-3))


@program(SIGNAL)
def overlapping_frames_with_stride_loop(x):
    hop, size = 2, 4
    frames = [x[i:i + size] * np.hanning(size) for i in range(0, x.size - size + 1, hop)]
    return sum(np.sum(f) ** 2 for f in frames)


@program(SIGNAL)
def finite_difference_derivative_with_np_diff_and_gradient(x):
    d = np.diff(x)
    dd = np.diff(x, n=2)
    return np.sum(d ** 2) + 0.5 * np.sum(dd ** 2)


@program(SIGNAL)
def detrend_by_least_squares_line(x):
    t = np.arange(x.size, dtype=float)
    A = np.stack([t, np.ones_like(t)], axis=1)
    coef = np.linalg.solve(A.T @ A, A.T @ x)
    resid = x - A @ coef
    return np.sum(resid ** 2)


@program(SIGNAL)
def peak_to_average_with_max_and_mean(x):
    p = x ** 2
    return np.max(p) / np.mean(p)


@program(SIGNAL)
def cumulative_trapezoid_by_hand(x):
    dt = 0.1
    integral = np.concatenate([[0.0], np.cumsum(0.5 * dt * (x[1:] + x[:-1]))])
    return np.sum(integral ** 2)


@program(SIGNAL)
def dft_matrix_built_with_outer_and_exp(x):
    n = x.size
    k = np.arange(n)
    W = np.exp(-2j * np.pi * np.outer(k, k) / n)
    X = W @ x
    return np.sum(X.real ** 2 + X.imag ** 2) / n


@program(SIGNAL)
def fft_convolution_equals_circular(x):
    h = np.zeros_like(x)
    h[:3] = [0.5, 0.3, 0.2]
    y = np.fft.ifft(np.fft.fft(x) * np.fft.fft(h)).real
    return np.sum(y ** 2)


@program(SIGNAL)
def median_of_three_filter_non_smooth(x):
    out = x.copy()
    for i in range(1, x.size - 1):
        out[i] = sorted([x[i - 1], x[i], x[i + 1]])[1]
    return np.sum(out * np.arange(1, x.size + 1))


@program(SIGNAL)
def upsample_by_repeat_and_smooth(x):
    up = np.repeat(x, 2)
    sm = 0.5 * (up + np.roll(up, 1))
    return np.sum(sm ** 2)


@program(SIGNAL)
def downsample_by_strided_slicing_with_step(x):
    even, odd = x[::2], x[1::2]
    approx = (even + odd) / np.sqrt(2)
    detail = (even - odd) / np.sqrt(2)
    return np.sum(approx ** 2) + 3 * np.sum(detail ** 4)


def _haar(level, x):
    if level == 0 or x.size < 2:
        return np.sum(x ** 2)
    approx = (x[::2] + x[1::2]) / math.sqrt(2)
    detail = (x[::2] - x[1::2]) / math.sqrt(2)
    return np.sum(np.abs(detail) ** 3) + _haar(level - 1, approx)


@program(SIGNAL)
def haar_wavelet_recursion_with_depth_argument(x):
    return _haar(3, x)


@program(SIGNAL)
def spectral_centroid_of_rfft(x):
    mag = np.abs(np.fft.rfft(x)) + 1e-9
    freqs = np.fft.rfftfreq(x.size, d=0.1)
    return np.sum(freqs * mag) / np.sum(mag)


@program(SIGNAL)
def windowed_sinc_kernel_applied_with_correlate(x):
    n = np.arange(-2, 3)
    h = np.sinc(0.4 * n) * np.hamming(5)
    h = h / h.sum()
    return np.sum(np.correlate(x, h, mode="same") ** 2)


# ======================================================================
# Small neural networks written with classes
# ======================================================================


class Dense:
    def __init__(self, W, b, activation=np.tanh):
        self.W = W
        self.b = b
        self.activation = activation

    def __call__(self, x):
        return self.activation(x @ self.W + self.b)


class MLP:
    def __init__(self, layers):
        self.layers = layers

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


@program(WEIGHTS)
def mlp_of_dense_layer_objects_with_call(W):
    net = MLP([Dense(W, np.zeros(3)), Dense(W.T, np.ones(4) * 0.1, activation=lambda z: z)])
    x = np.array([[0.5, -0.2, 0.3, 0.8], [0.1, 0.4, -0.6, 0.2]])
    out = net.forward(x)
    return np.sum(out ** 2)


@program(WEIGHTS)
def layer_list_of_weight_bias_tuples_with_zip(W):
    params = [(W, np.full(3, 0.1)), (W[:3, :2], np.zeros(2))]
    h = np.array([0.3, -0.5, 0.2, 0.9])
    for i, (w, b) in enumerate(params):
        h = h @ w + b
        if i < len(params) - 1:
            h = np.maximum(h, 0.0) + 0.01 * h
    return np.sum(h ** 2)


@program(WEIGHTS)
def functools_reduce_composes_layers(W):
    layers = [lambda h: np.tanh(h @ W), lambda h: h @ W.T, np.sin]
    out = functools.reduce(lambda h, f: f(h), layers, np.array([0.2, 0.4, -0.1, 0.5]))
    return np.sum(out)


@program(WEIGHTS, smooth=False)
def relu_network_with_boolean_mask_backward_style(W):
    x = np.array([[0.5, -0.2, 0.3, 0.8], [0.1, 0.4, -0.6, 0.2], [-0.3, 0.2, 0.1, 0.7]])
    h = x @ W
    mask = h > 0
    h = h * mask
    return np.sum(h ** 2)


@program(WEIGHTS)
def layer_norm_then_softmax_attention_scores(W):
    x = np.array([[0.5, -0.2, 0.3, 0.8], [0.1, 0.4, -0.6, 0.2]])
    h = x @ W
    mu = h.mean(axis=-1, keepdims=True)
    var = ((h - mu) ** 2).mean(axis=-1, keepdims=True)
    hn = (h - mu) / np.sqrt(var + 1e-5)
    scores = hn @ hn.T / math.sqrt(hn.shape[1])
    scores = np.exp(scores - scores.max(axis=1, keepdims=True))
    attn = scores / scores.sum(axis=1, keepdims=True)
    return np.sum(attn @ hn * np.array([1.0, 2.0, 3.0]))


@program(WEIGHTS)
def params_dict_with_string_keys_and_fstrings(W):
    params = {f"layer{i}.weight": W * (i + 1) for i in range(2)}
    params.update({f"layer{i}.bias": np.full(3, 0.1 * i) for i in range(2)})
    x = np.array([0.3, 0.1, -0.2, 0.6])
    h = np.tanh(x @ params["layer0.weight"] + params["layer0.bias"])
    h2 = np.tanh(x @ params["layer1.weight"] + params["layer1.bias"])
    return np.sum(h * h2) + sum(np.sum(v ** 2) for k, v in params.items() if k.endswith("weight"))


@program(WEIGHTS)
def l2_penalty_over_parameter_list_comprehension(W):
    params = [W, W[:2], W[:, 1]]
    return sum([np.sum(p ** 2) for p in params]) + np.sum(np.tanh(W))


class Residual:
    def __init__(self, inner):
        self.inner = inner

    def __call__(self, x):
        return x + self.inner(x)


@program(WEIGHTS)
def residual_block_class_with_skip(W):
    block = Residual(lambda x: np.tanh(x @ W) @ W.T * 0.5)
    x = np.array([0.2, -0.4, 0.6, 0.1])
    for _ in range(3):
        x = block(x)
    return np.sum(x ** 2)


@program(WEIGHTS)
def gru_like_cell_unrolled(W):
    Wz, Wh = W[:3], W[1:]
    h = np.zeros(3)
    xs = [np.array([0.1, 0.5, -0.2]), np.array([0.3, -0.1, 0.4]), np.array([-0.2, 0.2, 0.6])]
    sigmoid = lambda v: 1 / (1 + np.exp(-v))
    for x in xs:
        z = sigmoid(x @ Wz + h @ Wh)
        cand = np.tanh(x @ Wh + (z * h) @ Wz)
        h = (1 - z) * h + z * cand
    return np.sum(h)


@program(WEIGHTS)
def conv1d_layer_written_with_einsum_over_windows(W):
    x = np.array([0.2, 0.9, -0.4, 1.3, 0.6, -0.7])
    k = W[:, 0]
    windows = np.stack([x[i:i + 4] for i in range(x.size - 3)])
    y = np.einsum("wk,k->w", windows, k)
    return np.sum(np.tanh(y))


@program(WEIGHTS)
def embedding_lookup_with_repeated_token_ids(W):
    tokens = np.array([0, 2, 2, 3, 0, 0])
    emb = W[tokens]
    pooled = emb.mean(axis=0)
    return np.sum(pooled ** 2) + np.sum(emb[:, 1] * np.arange(6))


@program(WEIGHTS)
def dropout_with_fixed_mask_and_scaling(W):
    rng = np.random.default_rng(0)
    mask = rng.random(W.shape) > 0.3
    h = np.where(mask, W / 0.7, 0.0)
    return np.sum(np.sin(h) ** 2)


@program(WEIGHTS)
def batch_norm_training_statistics(W):
    x = np.array([[0.5, -0.2, 0.3, 0.8], [0.1, 0.4, -0.6, 0.2], [-0.3, 0.2, 0.1, 0.7]])
    h = x @ W
    mean = h.mean(axis=0)
    var = h.var(axis=0)
    out = (h - mean) / np.sqrt(var + 1e-3)
    return np.sum(out * np.array([0.5, 1.0, 1.5]) ** 2 * out[:, ::-1])


@program(WEIGHTS)
def network_forward_with_kwargs_config(W):
    def forward(x, *weights, activation="tanh", scale=1.0, **unused):
        act = {"tanh": np.tanh, "sin": np.sin}[activation]
        for w in weights:
            x = act(x @ w) * scale
        return x

    x = np.array([0.2, 0.3, -0.5, 0.1])
    out = forward(x, W, W.T, activation="sin", scale=0.9, verbose=False)
    return np.sum(out ** 2)


@program(WEIGHTS)
def make_layer_factory_closures(W):
    def make_layer(weight, bias=0.0):
        def layer(x):
            return np.tanh(x @ weight + bias)
        return layer

    layers = [make_layer(W), make_layer(W.T, bias=0.2)]
    x = np.array([0.1, -0.3, 0.5, 0.2])
    for f in layers:
        x = f(x)
    return np.sum(x)


@program(WEIGHTS)
def weight_tying_and_in_place_update_on_copy(W):
    V = W.copy()
    V[...] += 0.1 * np.sign(W) * 0
    V[0] *= 2.0
    x = np.array([0.1, -0.3, 0.5, 0.2])
    return np.sum(np.tanh(x @ V) ** 2) + np.sum((V - W) ** 2)


@program(WEIGHTS)
def maxout_units_via_max_over_axis(W):
    x = np.array([[0.5, -0.2, 0.3, 0.8], [0.1, 0.4, -0.6, 0.2]])
    pieces = np.stack([x @ W, x @ (W * 0.5 + 0.1), -(x @ W)], axis=0)
    return np.sum(np.max(pieces, axis=0) ** 2)


@program(WEIGHTS)
def softplus_network_with_logaddexp_zero(W):
    x = np.array([0.5, -0.2, 0.3, 0.8])
    h = np.logaddexp(0.0, x @ W)
    return np.sum(h ** 2)


@program(WEIGHTS)
def multihead_split_with_reshape_and_transpose(W):
    x = np.array([[0.5, -0.2, 0.3, 0.8], [0.1, 0.4, -0.6, 0.2], [0.3, 0.3, 0.1, -0.4]])
    Wq = np.concatenate([W, W[:, :1]], axis=1)
    q = (x @ Wq).reshape(3, 2, 2).transpose(1, 0, 2)
    s = q @ q.transpose(0, 2, 1)
    s = np.exp(s - s.max(axis=-1, keepdims=True))
    s = s / s.sum(axis=-1, keepdims=True)
    return np.sum((s @ q) ** 2)


@program(WEIGHTS)
def sequential_model_with_named_layer_ordered_dict(W):
    layers = OrderedDict()
    layers["fc1"] = lambda h: h @ W
    layers["act"] = np.tanh
    layers["fc2"] = lambda h: h @ W.T
    h = np.array([0.3, -0.1, 0.2, 0.4])
    for name, layer in layers.items():
        h = layer(h)
    return np.sum(h ** 2)


@program(WEIGHTS)
def gradient_clipping_by_global_norm_inside_loss(W):
    grads = [W, W.T @ W]
    total = math.sqrt(sum(float(np.sum(g ** 2)) for g in grads))
    scale = min(1.0, 1.0 / total)
    return sum(np.sum((g * scale) ** 2) for g in grads) + np.sum(W)


# ======================================================================
# Python idioms around numerical code
# ======================================================================


@program(FIVE)
def sorted_by_key_then_weighted_sum(x):
    pairs = sorted(zip(x, range(5)), key=lambda p: p[1] % 3)
    return sum(v * (i + 1) for i, (v, _) in enumerate(pairs))


@program(FIVE, smooth=False)
def min_with_key_over_indices(x):
    i = min(range(5), key=lambda k: x[k])
    j = max(range(5), key=lambda k: x[k] ** 2)
    return x[i] * 2 + x[j] ** 3


@program(FIVE)
def itertools_accumulate_running_products(x):
    return sum(itertools.accumulate(np.tanh(x), operator.mul))


@program(FIVE)
def itertools_combinations_pairwise_energy(x):
    return sum((a - b) ** 2 / (1 + a * a) for a, b in itertools.combinations(x, 2))


@program(FIVE)
def itertools_product_double_loop(x):
    total = 0.0
    for i, j in itertools.product(range(3), range(2)):
        total += x[i] * x[j + 3] * (i - j)
    return total


@program(FIVE)
def itertools_chain_of_slices(x):
    return sum(v ** 2 for v in itertools.chain(x[:2], x[3:], [x[2] * 3]))


@program(FIVE)
def itertools_islice_of_a_generator(x):
    def squares(v):
        for e in v:
            yield e * e

    return sum(itertools.islice(squares(x), 1, 4))


@program(FIVE)
def zip_longest_like_with_defaults(x):
    a, b = list(x[:3]), list(x[3:])
    total = 0.0
    for u, v in itertools.zip_longest(a, b, fillvalue=1.0):
        total += u * v
    return total


@program(FIVE)
def star_args_helper_summing_squares(x):
    def sumsq(*vals, weight=1.0):
        return weight * sum(v * v for v in vals)

    return sumsq(*x[:3]) + sumsq(x[3], x[4], weight=2.0)


@program(FIVE)
def kwargs_dict_passed_with_double_star(x):
    def model(a, b, c=1.0, d=0.0):
        return a * np.sin(b) + c * d

    cfg = {"a": x[0], "b": x[1], "c": x[2]}
    return model(**cfg, d=x[3])


@program(FIVE)
def default_argument_captures_a_module_constant(x):
    def scaled(v, g=G_CONSTANT):
        return v * g

    return np.sum(scaled(x) ** 2) / 100


@program(FIVE)
def global_constant_lookup_table_by_string(x):
    return sum(COEFFICIENTS[name] * x[i] ** 2 for i, name in enumerate(["a", "b", "c"]))


COEFFICIENTS = {"a": 1.5, "b": -0.5, "c": 2.0}


@program(FIVE)
def early_return_inside_loop_when_threshold_crossed(x):
    total = 0.0
    for i, v in enumerate(x):
        total += v * v
        if total > 1.5:
            return total * (i + 1)
    return total


@program(FIVE)
def nested_function_reads_enclosing_array(x):
    scale = np.linspace(1, 2, 5)

    def weighted(v):
        return np.sum(scale * v ** 2)

    return weighted(x) + weighted(np.sin(x))


def _tree_sum(v, depth):
    if depth == 0 or v.size == 1:
        return np.sum(np.sin(v))
    mid = v.size // 2
    return _tree_sum(v[:mid], depth - 1) * _tree_sum(v[mid:], depth - 1)


@program(FIVE)
def recursion_with_depth_argument_splitting_arrays(x):
    return _tree_sum(x, 2)


@program(FIVE)
def integer_mask_and_boolean_mask_together(x):
    idx = np.array([4, 0, 2])
    mask = np.array([True, False, True, True, False])
    return np.sum(x[idx] ** 2) + np.sum(np.exp(x[mask]))


@program(FIVE)
def fancy_index_with_repeats_accumulated(x):
    idx = [0, 0, 3, 3, 3, 1]
    return np.sum(x[idx] * np.arange(6))


@program(FIVE)
def np_add_at_scatter_into_bins(x):
    bins = np.array([0, 1, 0, 2, 1])
    out = np.zeros(3)
    np.add.at(out, bins, x ** 2)
    return np.sum(out * np.array([1.0, 2.0, 3.0])) + out[0] * out[1]


@program(FIVE, smooth=False)
def np_where_and_clip_piecewise_loss(x):
    r = np.clip(x, -1.0, 1.0)
    return np.sum(np.where(np.abs(x) < 0.5, 0.5 * x ** 2, 0.5 * (np.abs(x) - 0.25))) + np.sum(r ** 3)


@program(FIVE)
def ellipsis_plus_equals_on_a_local_copy(x):
    y = x.copy()
    y[...] += np.sin(x)
    y[1:3] *= 2
    return np.sum(y ** 2)


@program(FIVE)
def math_functions_on_numpy_scalar_elements(x):
    return math.sin(x[0]) * math.exp(x[1]) + math.sqrt(x[2] ** 2 + 1) + math.tanh(x[3]) * math.cos(x[4])


@program(FIVE)
def fstring_keys_of_a_results_dict(x):
    results = {}
    for i in range(3):
        results[f"term_{i}"] = x[i] * x[i + 1]
    return sum(results[f"term_{k}"] for k in range(3))


@program(FIVE)
def list_comprehension_with_condition_on_index(x):
    return sum([x[i] * x[-1 - i] for i in range(5) if i != 2])


@program(FIVE)
def dict_comprehension_then_max_key(x):
    scores = {k: float(k) * 0.1 for k in range(5)}
    best = max(scores, key=scores.get)
    return x[best] ** 2 + np.sum(x)


@program(FIVE)
def namedtuple_of_parameters(x):
    Params = namedtuple("Params", ["amp", "freq", "phase"])
    p = Params(x[0], x[1], x[2])
    t = np.linspace(0, 1, 5)
    return np.sum((p.amp * np.sin(p.freq * t + p.phase)) ** 2)


@dataclass
class Quad:
    a: float
    b: float
    c: float = 1.0
    tags: list = field(default_factory=list)

    def __call__(self, t):
        return self.a * t * t + self.b * t + self.c


@program(FIVE)
def dataclass_with_method_and_default_field(x):
    q = Quad(x[0], x[1])
    return sum(q(t) ** 2 for t in (0.5, 1.0, 1.5))


@program(FIVE)
def accumulate_in_a_list_then_np_array(x):
    out = []
    acc = 0.0
    for v in x:
        acc = 0.5 * acc + v
        out.append(acc)
    arr = np.array(out)
    return np.sum(arr ** 2)


@program(FIVE)
def while_loop_with_index_and_break(x):
    i = 0
    total = 0.0
    while i < len(x):
        if i == 3:
            break
        total += np.exp(x[i])
        i += 1
    return total


@program(FIVE)
def map_with_a_named_helper_and_list(x):
    def sq(v):
        return v * v + 0.5 * v

    return sum(map(sq, x))


@program(FIVE)
def reversed_enumerate_horner_polynomial(x):
    coeffs = [1.0, -0.5, 0.3, 0.2]
    t = x[0]
    acc = 0.0
    for c in reversed(coeffs):
        acc = acc * t + c
    return acc * x[1]


@program(FIVE)
def in_place_ops_on_a_copy_leave_argument_alone(x):
    y = np.copy(x)
    y += 1.0
    y *= x
    y /= 2.0
    y -= np.mean(y)
    return np.sum(y ** 2)


@program(FIVE)
def module_level_helper_state_read_only(x):
    return np.sum(_HELPER_STATE["weights"] * x ** 2) + _HELPER_STATE["offset"]


_HELPER_STATE = {"weights": np.array([1.0, 0.5, 2.0, 1.5, 0.25]), "offset": 0.3}


@program(FIVE)
def all_and_any_guards_over_values(x):
    if all(v > -2 for v in x) and any(v > 1 for v in x):
        return np.sum(x ** 3)
    return np.sum(x)


@program(FIVE)
def tuple_unpacking_of_a_helper_returning_three(x):
    def stats(v):
        return v.mean(), v.std(), v.max()

    m, s, top = stats(x)
    return m * s + top


@program(FIVE)
def conditional_expression_inside_comprehension(x):
    return sum(v ** 2 if v > 0 else -v ** 3 for v in x)


@program(FIVE)
def lambda_sorted_rows_of_a_matrix(x):
    M = np.outer(x, np.array([1.0, 0.5]))
    rows = sorted(M, key=lambda r: float(r[0] * 0 + abs(r[1] * 0 + 1)))
    return sum(np.sum(r ** 2) for r in rows)


@program(FIVE)
def enumerate_with_start_and_weights(x):
    return sum(k * np.sin(v) for k, v in enumerate(x, start=1))


@program(FIVE)
def np_cumsum_and_cumprod_mixed(x):
    c = np.cumsum(x)
    p = np.cumprod(1 + 0.1 * x)
    return np.sum(c * p)


@program(FIVE)
def boolean_mask_assignment_on_a_copy(x):
    y = x.copy()
    y[y < 0] = 0.1 * y[y < 0]
    return np.sum(y ** 2)


@program(FIVE)
def np_roll_with_shift_from_argmax_constant(x):
    k = 2
    return np.sum(np.roll(x, k) * x) + np.sum(np.roll(x, -1) ** 2)


@program(FIVE)
def reduce_with_operator_add_over_generator(x):
    return functools.reduce(operator.add, (np.exp(v) for v in x))


@program(FIVE)
def partial_applied_helper_from_functools(x):
    def loss(v, target, weight):
        return weight * np.sum((v - target) ** 2)

    l1 = functools.partial(loss, target=0.5, weight=2.0)
    return l1(x) + loss(x, -0.5, 1.0)


@program(FIVE)
def max_over_generator_of_smooth_values(x):
    return max(v * v + 3 for v in x) + min(np.exp(v) for v in x)


@program(FIVE)
def string_method_dispatch_dict(x):
    ops = {"square": lambda v: v ** 2, "exp": np.exp, "sin": np.sin}
    total = 0.0
    for name in ["square", "exp", "sin"]:
        total += np.sum(ops[name](x))
    return total


class Poly:
    def __init__(self, coeffs):
        self.coeffs = coeffs

    @classmethod
    def from_roots(cls, r1, r2):
        return cls(np.array([r1 * r2, -(r1 + r2), 1.0]))

    @property
    def degree(self):
        return len(self.coeffs) - 1

    def __call__(self, t):
        return sum(c * t ** i for i, c in enumerate(self.coeffs))


@program(FIVE)
def class_with_classmethod_constructor_and_property(x):
    p = Poly.from_roots(x[0], x[1])
    return p(x[2]) * p.degree


class Model:
    def energy(self, v):
        return np.sum(v ** 2)

    def total(self, v):
        return self.energy(v) + 0.1 * np.sum(v)


class Anharmonic(Model):
    def energy(self, v):
        return super().energy(v) + 0.25 * np.sum(v ** 4)


@program(FIVE)
def inheritance_override_of_energy(x):
    return Anharmonic().total(x)


@program(FIVE)
def np_diff_with_prepend_then_cumsum_roundtrip(x):
    d = np.diff(x, prepend=0.0)
    back = np.cumsum(d)
    return np.sum(back * d)


@program(FIVE)
def outer_product_masked_with_triu(x):
    M = np.outer(x, x)
    return np.sum(np.triu(M, k=1) ** 2) + np.trace(M)


@program(FIVE)
def pairwise_distance_matrix_with_fill_diagonal_on_copy(x):
    D = (x[:, None] - x[None, :]) ** 2
    K = np.exp(-D)
    K2 = K.copy()
    np.fill_diagonal(K2, 0.0)
    return np.sum(K2) + np.sum(np.diag(K))


@program(FIVE)
def argsort_then_take_ranks(x):
    order = np.argsort(x)
    return np.sum(x[order] * np.arange(5)) + x[order[-1]] ** 2


@program(FIVE)
def tolist_then_python_loop_with_math(x):
    total = 0.0
    for v in x.tolist():
        total += math.log1p(v * v)
    return total


@program(FIVE)
def np_prod_of_a_slice_and_power_of_a_sum(x):
    return np.prod(x[1:4]) + np.sum(x) ** 3


@program(FIVE)
def percentile_free_quantile_by_sort(x):
    s = np.sort(x)
    return 0.7 * s[1] + 0.3 * s[2] + s[-1]


@program(FIVE)
def stack_of_function_outputs_from_a_list_of_funcs(x):
    funcs = [np.sin, np.cos, lambda v: v ** 2, np.tanh]
    M = np.stack([f(x) for f in funcs])
    return np.sum(M @ x)


@program(FIVE)
def np_einsum_bilinear_form_with_string_spec(x):
    A = np.arange(25.0).reshape(5, 5) / 25.0
    return np.einsum("i,ij,j->", x, A, x) + np.einsum("ii->", A * np.outer(x, x))


@program(FIVE)
def power_of_negative_base_with_integer_float_exponent(x):
    return np.sum(x ** 2.0) + np.sum(x ** 3)


@program(FIVE)
def where_guarding_a_division_by_zero(x):
    y = np.concatenate([x, [0.0]])
    safe = np.where(y == 0, 1.0, y)
    return np.sum(np.where(y == 0, 0.0, np.sin(safe) / safe))


@program(FIVE)
def global_counter_of_calls_in_module_state(x):
    _CALL_LOG.append(1)
    return np.sum(np.sin(x) ** 2)


_CALL_LOG: list = []


@program(FIVE)
def list_of_arrays_summed_with_builtin_sum_and_start(x):
    parts = [x[:2], x[2:4], x[3:]]
    return np.sum(sum(parts, np.zeros(2)) ** 2)


@program(FIVE)
def nested_list_comprehension_matrix(x):
    M = np.array([[x[i] * x[j] for j in range(3)] for i in range(3)])
    return np.sum(M ** 2) + np.linalg.det(M + np.eye(3))


@program(FIVE)
def closure_factory_counter_with_nonlocal(x):
    def make_scaler(s):
        def scale(v):
            return v * s
        return scale

    f, g = make_scaler(2.0), make_scaler(x[0])
    return np.sum(f(x) * g(x))


@program(FIVE)
def sum_over_dict_items_sorted_by_value(x):
    d = {"a": x[0], "b": x[1] ** 2, "c": x[2] * 3}
    weights = [1.0, 2.0, 3.0]
    ordered = sorted(d.items(), key=lambda kv: kv[0], reverse=True)
    return sum(w * v for w, (k, v) in zip(weights, ordered))


@program(FIVE)
def slices_built_with_slice_objects(x):
    head, tail = slice(0, 2), slice(2, None)
    return np.sum(x[head] ** 2) * np.sum(x[tail])


@program(FIVE)
def np_linspace_grid_times_values(x):
    t = np.linspace(0.0, 1.0, x.size)
    return np.trapezoid(x ** 2 * np.exp(-t), t)


@program(FIVE)
def hypot_and_arctan2_polar_coordinates(x):
    r = np.hypot(x[:2], x[2:4])
    phi = np.arctan2(x[2:4], x[:2])
    return np.sum(r * np.cos(phi) + phi ** 2)


@program(FIVE)
def while_loop_doubling_until_limit(x):
    s = np.sum(x ** 2) + 0.1
    n = 0
    while s < 100.0:
        s = s * 2 + x[0]
        n += 1
    return s / (n + 1)


@program(FIVE)
def for_else_searching_with_break(x):
    for i, v in enumerate(x):
        if v > 1.0:
            result = v * i
            break
    else:
        result = np.sum(x)
    return result + x[0]


@program(FIVE)
def assert_and_isinstance_checks(x):
    assert x.ndim == 1, f"expected a vector, got {x.shape}"
    if isinstance(x, np.ndarray) and x.dtype == np.float64:
        return np.sum(np.cosh(x))
    return 0.0


@program(FIVE)
def generator_yielding_pairs_with_send_free_protocol(x):
    def windows(v, n):
        for i in range(len(v) - n + 1):
            yield v[i:i + n]

    return sum(np.prod(w) for w in windows(x, 2))


@program(FIVE)
def staticmethod_and_class_constant(x):
    class Units:
        SCALE = 2.5

        @staticmethod
        def convert(v):
            return v * Units.SCALE

    return np.sum(Units.convert(x) ** 2)


@program(FIVE)
def local_recursive_factorial_like_depth(x):
    def poly(v, depth):
        if depth == 0:
            return 1.0
        return 1.0 + v * poly(v, depth - 1) / depth

    return sum(poly(v, 4) for v in x)


@program(FIVE)
def array_scalar_from_item_mixed_with_numpy(x):
    s = np.sum(x)
    return float(s) * x[0] + np.float64(2.0) * x[1]


@program(FIVE)
def np_where_index_tuple_then_fancy(x):
    idx = np.where(np.array([1, 0, 1, 0, 1]) > 0)[0]
    return np.sum(x[idx] ** 3)


@program(FIVE)
def np_put_along_axis_free_scatter_with_indices_assignment(x):
    out = np.zeros(8)
    out[[1, 3, 5, 7, 0]] = x
    return np.sum(out * np.arange(8.0)) + np.sum(out ** 2)


@program(FIVE)
def repeated_index_plain_assignment_last_wins(x):
    out = np.zeros(3)
    out[[0, 1, 0]] = x[:3]
    return np.sum(out ** 2)


@program(FIVE)
def sum_of_squares_via_dot_of_self_slices(x):
    return x[:-1] @ x[1:] + x @ x


@program(FIVE)
def normalise_in_place_on_a_local(x):
    y = x * 1.0
    y /= np.linalg.norm(y)
    return np.sum(y * np.arange(5))


@program(FIVE)
def list_sort_in_place_then_pick(x):
    vals = [v * v for v in x]
    vals.sort()
    return vals[0] + 2 * vals[-1]


@program(FIVE)
def dict_of_lists_appended_then_summed(x):
    buckets = {"pos": [], "neg": []}
    for v in x:
        buckets["pos" if v > 0 else "neg"].append(v)
    return sum(v ** 2 for v in buckets["pos"]) - sum(buckets["neg"])


@program(FIVE)
def deque_free_sliding_window_max_smooth_sum(x):
    window = []
    total = 0.0
    for v in x:
        window.append(v)
        if len(window) > 3:
            window.pop(0)
        total += sum(window) ** 2
    return total


@program(FIVE)
def np_maximum_reduce_free_soft_maximum(x):
    beta = 3.0
    return np.log(np.sum(np.exp(beta * x))) / beta


@program(FIVE)
def matrix_from_vector_via_np_diag_and_solve(x):
    A = np.diag(2.0 + x ** 2) + 0.1
    return np.sum(np.linalg.solve(A, np.ones(5)))


@program(FIVE)
def inverse_and_slogdet_of_a_spd_built_matrix(x):
    A = np.outer(x, x) + np.eye(5)
    sign, logdet = np.linalg.slogdet(A)
    return logdet + np.trace(np.linalg.inv(A))


@program(FIVE)
def eigvalsh_of_a_symmetric_matrix(x):
    A = np.diag(x) + 0.1 * np.ones((5, 5))
    return np.sum(np.linalg.eigvalsh(A) ** 3)


@program(FIVE)
def norm_with_ord_and_axis(x):
    M = x.reshape(1, 5) * np.array([[1.0], [2.0]])
    return np.linalg.norm(M, axis=1).sum() + np.linalg.norm(x, ord=3)


# ======================================================================
# More scientific programs mixing the above
# ======================================================================


@program(THETA)
def monte_carlo_estimate_with_fixed_seed_reparametrised(theta):
    rng = np.random.default_rng(42)
    eps = rng.standard_normal((50, 3))
    samples = theta + 0.5 * eps
    return np.mean(np.sum(samples ** 2, axis=1))


@program(THETA)
def option_pricing_binomial_tree_backward_loop(theta):
    s0, vol = 1.0 + 0.1 * theta[0], 0.2 + 0.05 * theta[1] ** 2
    r, n, strike = 0.01, 6, 1.0
    dt = 1.0 / n
    u = math.exp(0.0) * np.exp(vol * np.sqrt(dt))
    d = 1 / u
    p = (np.exp(r * dt) - d) / (u - d)
    prices = s0 * u ** np.arange(n, -1, -1) * d ** np.arange(0, n + 1)
    values = np.log1p(np.exp(10 * (prices - strike))) / 10
    for _ in range(n):
        values = np.exp(-r * dt) * (p * values[:-1] + (1 - p) * values[1:])
    return values[0] + theta[2]


@program(THETA)
def heat_kernel_density_estimate_log_likelihood(theta):
    bw = 0.3 + theta[0] ** 2
    centres = DATA[:4] + theta[1]
    pts = np.array([0.0, 0.5, 1.0])
    dens = np.mean(np.exp(-0.5 * ((pts[:, None] - centres[None, :]) / bw) ** 2), axis=1) / bw
    return np.sum(np.log(dens)) * (1 + theta[2])


@program(THETA)
def spline_like_piecewise_linear_interp(theta):
    xp = np.array([0.0, 0.5, 1.0])
    pts = np.array([0.1, 0.3, 0.6, 0.9])
    return np.sum(np.interp(pts, xp, theta) ** 2)


@program(THETA)
def chemical_kinetics_explicit_euler_dict_species(theta):
    conc = {"A": 1.0, "B": 0.0, "C": 0.0}
    k1, k2 = np.exp(theta[0]), np.exp(theta[1])
    for _ in range(20):
        rate1 = k1 * conc["A"]
        rate2 = k2 * conc["B"]
        conc = {"A": conc["A"] - 0.05 * rate1,
                "B": conc["B"] + 0.05 * (rate1 - rate2),
                "C": conc["C"] + 0.05 * rate2}
    return conc["B"] + theta[2] * conc["C"]


@program(THETA)
def spring_mass_energy_with_pairwise_loop_and_math_sqrt(theta):
    pos = np.array([[0.0, 0.0], [1.0, 0.1], [0.5, 0.9]]) + theta[:, None] * 0.1
    rest = 1.0
    energy = 0.0
    for i in range(3):
        for j in range(i + 1, 3):
            d = pos[i] - pos[j]
            length = math.sqrt(d[0] ** 2 + d[1] ** 2)
            energy += 0.5 * (length - rest) ** 2
    return energy


@program(THETA)
def least_squares_normal_equations_with_lstsq(theta):
    A = np.array([[1.0, 0.2], [0.4, 1.1], [0.9, -0.3], [0.2, 0.5]])
    b = np.array([theta[0], theta[1], theta[2], theta[0] * theta[1]])
    x, *_ = np.linalg.lstsq(A, b, rcond=None)
    return np.sum(x ** 2)


@program(THETA)
def power_iteration_dominant_eigenvalue(theta):
    A = SPD + np.diag(theta)
    v = np.ones(3) / math.sqrt(3)
    for _ in range(30):
        w = A @ v
        v = w / np.linalg.norm(w)
    return v @ A @ v


@program(THETA)
def matrix_exponential_by_scaling_and_squaring(theta):
    A = np.array([[0.0, theta[0]], [-theta[1], theta[2] * 0.1]])
    s = 4
    B = A / 2 ** s
    E = np.eye(2)
    term = np.eye(2)
    for k in range(1, 8):
        term = term @ B / k
        E = E + term
    for _ in range(s):
        E = E @ E
    return np.sum(E)


@program(THETA)
def quadrature_with_gauss_legendre_nodes(theta):
    nodes, weights = np.polynomial.legendre.leggauss(5)
    f = np.exp(theta[0] * nodes) * np.cos(theta[1] * nodes) + theta[2] * nodes ** 2
    return np.sum(weights * f)


@program(THETA)
def finite_element_stiffness_assembled_with_add_at(theta):
    n = 4
    k_el = np.exp(theta[np.array([0, 1, 2])])
    K = np.zeros((n, n))
    for e in range(3):
        idx = np.array([e, e + 1])
        K[np.ix_(idx, idx)] += k_el[e] * np.array([[1.0, -1.0], [-1.0, 1.0]])
    K[0, 0] += 1.0
    f = np.ones(n)
    u = np.linalg.solve(K, f)
    return f @ u


@program(THETA)
def trapezoid_rule_loop_with_math_exp(theta):
    a, b, n = 0.0, 1.0, 20
    h = (b - a) / n
    total = 0.5 * (math.exp(theta[0] * a) + math.exp(theta[0] * b))
    for i in range(1, n):
        t = a + i * h
        total += math.exp(theta[0] * t) * (1 + theta[1] * t)
    return total * h + theta[2]


@program(THETA)
def polyfit_then_polyval(theta):
    t = np.linspace(-1, 1, 6)
    y = theta[0] + theta[1] * t + theta[2] * t ** 2 + 0.1 * t ** 3
    c = np.polyfit(t, y, 2)
    return np.polyval(c, 0.3) + np.sum(c ** 2)


@program(THETA)
def covariance_and_correlation_from_samples(theta):
    X = np.array([[0.1, 0.5, -0.2], [0.4, -0.3, 0.8], [0.9, 0.2, 0.1], [-0.5, 0.6, 0.3]]) * (1 + theta)
    C = np.cov(X, rowvar=False)
    return np.sum(C ** 2) + np.linalg.det(C + np.eye(3))


@program(THETA)
def softmax_temperature_annealing_loop(theta):
    total = 0.0
    for temp in [2.0, 1.0, 0.5]:
        z = theta / temp
        p = np.exp(z - np.max(z))
        p /= p.sum()
        total += np.dot(p, np.array([1.0, 2.0, 3.0]))
    return total


@program(THETA)
def lennard_jones_energy_with_triu_indices(theta):
    pos = np.array([0.0, 1.1, 2.3]) + 0.05 * theta
    i, j = np.triu_indices(3, k=1)
    r = np.abs(pos[i] - pos[j])
    return np.sum(4 * ((1 / r) ** 12 - (1 / r) ** 6))


@program(THETA)
def log_det_via_cholesky_diag_sum(theta):
    A = SPD + np.outer(theta, theta)
    L = np.linalg.cholesky(A)
    return 2 * np.sum(np.log(np.diag(L)))


@program(THETA)
def sinkhorn_iterations_for_entropic_transport(theta):
    C = (np.array([0.0, 0.5, 1.0])[:, None] - (np.array([0.2, 0.7, 0.9]) + 0.1 * theta)[None, :]) ** 2
    K = np.exp(-C / 0.1)
    a = b = np.ones(3) / 3
    u = np.ones(3)
    for _ in range(20):
        v = b / (K.T @ u)
        u = a / (K @ v)
    P = u[:, None] * K * v[None, :]
    return np.sum(P * C)


@program(THETA)
def bezier_curve_de_casteljau_recursion(theta):
    pts = [np.array([0.0, 0.0]), np.array([theta[0], 1.0]), np.array([1.0, theta[1]]),
           np.array([2.0, theta[2]])]

    def casteljau(points, t):
        if len(points) == 1:
            return points[0]
        return casteljau([(1 - t) * p + t * q for p, q in zip(points[:-1], points[1:])], t)

    return sum(np.sum(casteljau(pts, t) ** 2) for t in (0.25, 0.5, 0.75))


@program(THETA)
def rotation_matrices_composed_with_reduce(theta):
    def rot(a):
        c, s = np.cos(a), np.sin(a)
        return np.array([[c, -s], [s, c]])

    R = functools.reduce(np.matmul, [rot(a) for a in theta])
    return R[0, 1] + R[1, 1] ** 2


@program(THETA)
def cross_product_torque_and_norm(theta):
    r = np.array([1.0, 0.2, -0.3]) + theta
    f = np.array([0.5, -0.4, 0.9])
    tau = np.cross(r, f)
    return np.linalg.norm(tau) + np.dot(r, f)


@program(THETA)
def kepler_equation_newton_solve_in_helper(theta):
    def eccentric_anomaly(mean, e, tol=1e-14):
        E = mean
        for _ in range(50):
            d = (E - e * np.sin(E) - mean) / (1 - e * np.cos(E))
            E = E - d
            if abs(d) < tol:
                break
        return E

    e = 0.1 + 0.1 * theta[0] ** 2
    return sum(eccentric_anomaly(m, e) for m in (0.5 + theta[1], 1.5, 2.5 + theta[2]))


# ======================================================================
# Edges ordinary code meets: exact zeros, ties of no consequence, -inf in
# log space, objects changed in place, reversed loops
# ======================================================================


@program(np.array([0.5, 0.0, 1.5, -0.7]))
def product_with_an_exact_zero_entry(x):
    return np.prod(x) + np.prod(x[:3] + 1.0)


@program(np.array([0.5, 0.0, 1.5, -0.7]))
def cumulative_product_through_an_exact_zero(x):
    return np.sum(np.cumprod(x) * np.array([1.0, 2.0, 3.0, 4.0]))


@program(np.array([0.5, 0.0, 1.5, -0.7]))
def python_product_loop_through_an_exact_zero(x):
    total = 1.0
    for v in x:
        total *= v
    return total + math.prod(x[:2])


@program(np.array([0.3, -0.5, 0.8]))
def log_space_forward_with_forbidden_transitions(theta):
    log_trans = np.log(np.array([[0.7, 0.3, 0.0], [0.0, 0.6, 0.4], [0.2, 0.0, 0.8]]))
    obs = np.array([0.2, 0.9, -0.3, 0.5])
    log_alpha = -0.5 * (obs[0] - theta) ** 2
    for y in obs[1:]:
        m = log_alpha.max()
        log_alpha = m + np.log(np.exp(log_alpha - m) @ np.exp(log_trans)) - 0.5 * (y - theta) ** 2
    m = log_alpha.max()
    return m + np.log(np.sum(np.exp(log_alpha - m)))


@program(np.array([0.3, -0.5, 0.8]))
def logaddexp_reduce_with_minus_infinity_padding(theta):
    scores = np.concatenate([theta, [-np.inf]])
    acc = -np.inf
    for s in scores:
        acc = np.logaddexp(acc, s)
    return acc


@program(np.array([0.3, -0.5, 0.8, 0.1]))
def masked_log_softmax_with_minus_infinity(logits):
    mask = np.array([True, False, True, True])
    z = np.where(mask, logits, -np.inf)
    m = np.max(z)
    logp = z - m - np.log(np.sum(np.exp(z - m)))
    return logp[0] + logp[2]


@program(SIGNAL)
def power_spectrum_of_a_mean_removed_signal(x):
    centred = x - x.mean()
    spec = np.fft.rfft(centred)
    return np.sum(np.abs(spec) ** 2)


@program(SIGNAL)
def amplitude_spectrum_of_a_mean_removed_signal(x):
    spec = np.fft.fft(x - np.mean(x))
    return np.sum(np.abs(spec[1:]))


@program(np.array([[0.0, 0.1], [1.0, 0.2], [0.3, 1.1]]))
def pairwise_distances_including_the_diagonal(X):
    diff = X[:, None, :] - X[None, :, :]
    D = np.sqrt(np.sum(diff ** 2, axis=-1))
    return np.sum(np.exp(-D))


@program(np.array([[0.0, 0.1], [1.0, 0.2], [0.3, 1.1]]))
def pairwise_distances_with_linalg_norm_upper_triangle(X):
    total = 0.0
    for i in range(len(X)):
        for j in range(i + 1, len(X)):
            total += 1.0 / np.linalg.norm(X[i] - X[j])
    return total


@program(np.array([0.0, 0.5, -0.2]))
def norm_of_a_vector_that_starts_at_zero(v):
    return np.linalg.norm(v[:1]) * 0 + np.linalg.norm(v) ** 2


@program(np.array([0.4, 0.4, -0.3, 0.9]), smooth=False)
def relu_at_exactly_zero_times_zero(x):
    h = np.maximum(x - 0.4, 0.0)
    return np.sum(h * x) + np.sum(np.abs(x[2:]))


@program(FIVE)
def reversed_range_loop_backward_substitution(b):
    U = np.triu(np.ones((5, 5)) * 0.3) + np.eye(5)
    x = np.zeros(5)
    for i in range(4, -1, -1):
        x[i] = (b[i] - U[i, i + 1:] @ x[i + 1:]) / U[i, i]
    return np.sum(x ** 2)


@program(FIVE)
def negative_step_slice_assignment_reverses(x):
    y = np.empty_like(x)
    y[::-1] = x
    return np.sum(y * np.arange(5.0)) + y[0] * y[1]


class Accumulator:
    def __init__(self, n):
        self.buffer = np.zeros(n)
        self.count = 0

    def add(self, v):
        self.buffer[self.count % len(self.buffer)] += v
        self.count += 1

    def result(self):
        return np.sum(self.buffer ** 2)


@program(FIVE)
def object_buffer_changed_in_place_by_a_method(x):
    acc = Accumulator(3)
    for v in x:
        acc.add(v)
    return acc.result()


class RunningStats:
    def __init__(self):
        self.n = 0
        self.mean = 0.0
        self.m2 = 0.0

    def push(self, v):
        self.n += 1
        delta = v - self.mean
        self.mean += delta / self.n
        self.m2 += delta * (v - self.mean)

    @property
    def variance(self):
        return self.m2 / (self.n - 1)


@program(FIVE)
def welford_running_variance_object(x):
    stats = RunningStats()
    for v in x:
        stats.push(v)
    return stats.variance + stats.mean ** 2


@program(FIVE)
def dict_entry_plus_equals_in_a_loop(x):
    totals = {"even": 0.0, "odd": 0.0}
    for i, v in enumerate(x):
        key = "even" if i % 2 == 0 else "odd"
        totals[key] += v ** 2
    return totals["even"] * totals["odd"]


@program(FIVE)
def dict_of_arrays_updated_with_slices(x):
    state = {"u": x.copy(), "v": np.zeros(5)}
    for _ in range(3):
        state["v"][1:-1] += 0.5 * (state["u"][2:] - state["u"][:-2])
        state["u"] = state["u"] + 0.1 * state["v"]
    return np.sum(state["u"] ** 2)


@program(FIVE)
def subtract_at_and_add_at_on_two_dimensional_grid(x):
    grid = np.zeros((2, 3))
    rows = np.array([0, 1, 1, 0, 1])
    cols = np.array([0, 2, 2, 1, 0])
    np.add.at(grid, (rows, cols), x)
    np.subtract.at(grid, (rows[:2], cols[:2]), 0.5 * x[:2] ** 2)
    return np.sum(grid ** 2)


@program(FIVE)
def histogram_weights_via_bincount(x):
    bins = np.array([0, 2, 2, 1, 0])
    counts = np.bincount(bins, weights=x ** 2, minlength=4)
    return np.sum(counts * np.array([1.0, -1.0, 2.0, 0.5])) + counts[2] ** 2


@program(FIVE)
def select_and_piecewise_by_region(x):
    conds = [x < -0.5, x > 0.5]
    picks = [x ** 2, np.sin(x)]
    return np.sum(np.select(conds, picks, default=x))


@program(np.array([[0.5, -0.2, 0.3], [0.8, 0.1, 0.4]]))
def stacking_helpers_hstack_vstack_column_stack(M):
    a = np.hstack([M[0], M[1]])
    b = np.vstack([M, M ** 2])
    c = np.column_stack([M[0], M[1] * 2])
    return np.sum(a ** 2) + np.sum(b[2:] * b[:2]) + np.sum(c[:, 1] * c[:, 0])


@program(np.array([[0.5, -0.2, 0.3], [0.8, 0.1, 0.4], [0.2, 0.6, -0.9]]))
def diagonals_with_offsets_and_trace_offset(M):
    return (np.sum(np.diag(M, k=1) ** 2) + np.trace(M, offset=-1) + np.sum(np.diagonal(M, 1) * 3)
            + np.sum(np.tril(M, k=-1)) * np.sum(np.triu(M, k=1)))


@program(np.array([[0.5, -0.2, 0.3], [0.8, 0.1, 0.4], [0.2, 0.6, -0.9]]))
def batched_matmul_of_stacked_rotations(M):
    stack = np.stack([M, M.T, M @ M])
    out = stack @ stack.transpose(0, 2, 1)
    return np.sum(np.einsum("bii->b", out) * np.array([1.0, 0.5, 0.25]))


@program(np.array([[2.0, 0.3], [0.1, 1.5]]))
def solve_with_a_matrix_right_hand_side_and_inverse(A):
    B = np.array([[1.0, 0.5, -0.2], [0.3, -0.4, 0.8]])
    X = np.linalg.solve(A, B)
    return np.sum(X ** 2) + np.trace(np.linalg.inv(A) @ A.T)


@program(np.array([0.3, -0.4, 0.9, 0.2]))
def qr_decomposition_least_squares(theta):
    A = np.array([[1.0, 0.2], [0.4, 1.1], [0.9, -0.3], [0.2, 0.5]]) + 0.1 * theta[:, None]
    Q, R = np.linalg.qr(A)
    coef = np.linalg.solve(R, Q.T @ np.array([1.0, 2.0, 0.5, -1.0]))
    return np.sum(coef ** 2)


@program(np.array([0.3, -0.4, 0.9, 0.2]))
def svd_nuclear_norm_of_a_built_matrix(theta):
    A = np.array([[1.0, 0.2, 0.3], [0.4, 1.1, -0.2], [0.9, -0.3, 0.5], [0.2, 0.5, 1.4]])
    A = A + np.outer(theta, np.array([0.1, -0.2, 0.3]))
    s = np.linalg.svd(A, compute_uv=False)
    return np.sum(s) + s[0] ** 2


@program(np.array([0.3, -0.4, 0.9]))
def pinv_least_norm_solution(theta):
    A = np.array([[1.0, 0.2, 0.3], [0.4, 1.1, -0.2]]) + 0.1 * theta[None, :]
    x = np.linalg.pinv(A) @ np.array([1.0, -0.5])
    return np.sum(x ** 2)


@program(np.array([0.6, -0.3]))
def star_unpacking_of_a_helper_tuple_result(x):
    def moments(v):
        return v, v ** 2, v ** 3, v ** 4

    first, *rest = moments(x[0])
    *init, last = moments(x[1])
    return first + sum(rest) + last * sum(init)


def _fib_memo(n, a, memo):
    if n in memo:
        return memo[n]
    value = a if n < 2 else _fib_memo(n - 1, a, memo) * 0.5 + _fib_memo(n - 2, a, memo)
    memo[n] = value
    return value


@program(np.array([0.7]))
def memoised_recursion_with_a_dict_argument(a):
    return _fib_memo(6, a[0], {})


def _power_sum(x, depth=3, scale=SIGNAL[0]):
    if depth == 0:
        return 0.0
    return scale * x ** depth + _power_sum(x, depth - 1, scale)


@program(np.array([0.7, -0.2]))
def recursion_with_defaults_taken_from_a_module_array(x):
    return _power_sum(x[0]) + _power_sum(x[1], 2)


@program(np.array([0.7, -0.2, 0.4]))
def integer_argument_mixed_with_float(x):
    def scaled(v, n):
        return v * n + n // 2

    return np.sum(scaled(x, 3)) + scaled(x[0], 5) ** 2


@program(np.array([0.7, -0.2, 0.4]))
def item_and_float_conversions_break_nothing(x):
    s = x.sum()
    return s.item() * x[0] + float(x[1]) * x[2] + np.float64(x[0]) * x[1]


@program(np.array([0.7, -0.2, 0.4]))
def zero_dimensional_array_state(x):
    acc = np.array(0.0)
    for v in x:
        acc = acc + v * v
        acc = acc * 0.9
    return acc


@program(np.array([0.7, -0.2, 0.4]))
def zero_dimensional_array_plus_equals(x):
    acc = np.zeros(())
    for v in x:
        acc += np.sin(v)
    return acc * x[0]


@program(np.array([[0.5, -0.2, 0.3], [0.8, 0.1, 0.4]]))
def mean_std_keepdims_standardise_columns(M):
    z = (M - M.mean(axis=0, keepdims=True)) / (M.std(axis=0, ddof=1, keepdims=True) + 0.1)
    return np.sum(z ** 3) + np.sum(M.sum(axis=(0, 1), keepdims=True))


@program(np.array([0.5, -0.2, 0.3, 0.8]))
def np_fft_two_dimensional_energy(x):
    img = np.outer(x, x[::-1])
    F = np.fft.fft2(img)
    return np.sum(np.abs(F) ** 2) / img.size + np.real(F[0, 1])


@program(SIGNAL)
def fftshift_and_ifftshift_roundtrip(x):
    X = np.fft.fftshift(np.fft.fft(x))
    back = np.fft.ifft(np.fft.ifftshift(X)).real
    return np.sum(back ** 3) + np.sum(np.abs(X[:3]) ** 2)


@program(SIGNAL)
def irfft_with_explicit_length_of_a_shaped_spectrum(x):
    X = np.fft.rfft(x)
    gain = np.exp(-0.3 * np.arange(X.size))
    y = np.fft.irfft(X * gain, n=len(x))
    return np.sum(y ** 2) + y[-1]


@program(np.array([0.6, 0.2, -0.4]))
def kronecker_and_outer_of_small_vectors(v):
    K = np.kron(v, np.array([1.0, -1.0]))
    outer = np.multiply.outer(v, v)
    return np.sum(K ** 2) + np.sum(np.triu(outer))


@program(np.array([0.6, 0.2, -0.4]))
def meshgrid_evaluation_of_a_field(v):
    xs = np.linspace(-1, 1, 3)
    X, Y = np.meshgrid(xs, xs)
    field = v[0] * X ** 2 + v[1] * X * Y + v[2] * Y ** 2
    return np.sum(np.exp(-field))


@program(np.array([0.6, 0.2, -0.4]))
def np_block_assembled_saddle_matrix(v):
    A = np.diag(2.0 + v ** 2)
    B = np.array([[1.0, 1.0, 1.0]])
    K = np.block([[A, B.T], [B, np.zeros((1, 1))]])
    rhs = np.concatenate([v, [1.0]])
    sol = np.linalg.solve(K, rhs)
    return np.sum(sol[:3] ** 2) + sol[3]


@program(np.array([0.6, 0.2, -0.4]))
def einsum_with_ellipsis_and_batch(v):
    A = np.arange(12.0).reshape(2, 2, 3) / 10
    return np.sum(np.einsum("...j,j->...", A, v) ** 2)


@program(np.array([0.6, 0.2, -0.4]))
def float32_local_computation_promoted_back(v):
    w = np.array([0.5, 0.25, 0.125], dtype=np.float32)
    return np.sum(w * v ** 2)


@program(np.array([0.6, 0.2, -0.4]))
def while_loop_over_a_shrinking_step_with_object_state(v):
    class_state = {"x": v.copy(), "step": 1.0}
    while class_state["step"] > 0.1:
        class_state["x"] = class_state["x"] - class_state["step"] * 0.1 * class_state["x"] ** 3
        class_state["step"] *= 0.5
    return np.sum(class_state["x"] ** 2)


class Integrator:
    """An explicit integrator whose method is chosen by a string."""

    def __init__(self, rhs, method="rk2"):
        self.rhs = rhs
        self.method = method

    def step(self, y, h):
        if self.method == "euler":
            return y + h * self.rhs(y)
        k1 = self.rhs(y)
        k2 = self.rhs(y + h * k1)
        return y + 0.5 * h * (k1 + k2)

    def run(self, y, h, n):
        for _ in range(n):
            y = self.step(y, h)
        return y


def _decay(y):
    return -0.5 * y + 0.1 * y ** 2


@program(np.array([0.6, 0.2, -0.4]))
def integrator_object_with_a_module_function_rhs(v):
    sol = Integrator(_decay).run(v, 0.1, 10)
    eul = Integrator(_decay, method="euler").run(v, 0.1, 10)
    return np.sum(sol ** 2) + np.sum(sol * eul)


class Layer:
    def __init__(self, W, b):
        self.W = W
        self.b = b

    def __call__(self, x):
        return np.tanh(x @ self.W + self.b)

    def parameters(self):
        return [self.W, self.b]


@program(WEIGHTS)
def layers_built_in_a_loop_and_l2_over_their_parameters(W):
    layers = [Layer(W * s, np.full(3, 0.1 * s)) for s in (1.0, 0.5)]
    x = np.array([0.3, -0.5, 0.2, 0.9])
    total = 0.0
    for layer in layers:
        total += np.sum(layer(x))
    penalty = sum(np.sum(p ** 2) for layer in layers for p in layer.parameters())
    return total + 0.01 * penalty


@program(WEIGHTS)
def training_loop_with_hand_written_gradient_of_least_squares(W):
    X = np.array([[0.5, -0.2, 0.3, 0.8], [0.1, 0.4, -0.6, 0.2], [-0.3, 0.2, 0.1, 0.7]])
    Y = np.array([[0.1, 0.2, 0.3], [0.0, -0.1, 0.5], [0.4, 0.4, -0.2]])
    V = W.copy()
    for _ in range(4):
        residual = X @ V - Y
        V -= 0.1 * X.T @ residual
    return np.sum((X @ V - Y) ** 2)


@program(WEIGHTS)
def attention_with_causal_mask_minus_infinity(W):
    x = np.array([[0.5, -0.2, 0.3, 0.8], [0.1, 0.4, -0.6, 0.2], [0.3, 0.3, 0.1, -0.4]])
    q = x @ W
    scores = q @ q.T
    mask = np.triu(np.ones((3, 3), dtype=bool), k=1)
    scores = np.where(mask, -np.inf, scores)
    scores = scores - scores.max(axis=1, keepdims=True)
    attn = np.exp(scores)
    attn /= attn.sum(axis=1, keepdims=True)
    return np.sum(attn @ q)


@program(WEIGHTS)
def one_hot_targets_built_with_eye_indexing(W):
    labels = np.array([2, 0, 1, 2])
    onehot = np.eye(3)[labels]
    logits = W * 2.0
    logp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    return -np.sum(onehot * logp)


@program(WEIGHTS)
def parameters_flattened_and_unflattened(W):
    flat = np.concatenate([W.ravel(), W[0]])
    shapes = [(4, 3), (3,)]
    pieces, start = [], 0
    for shape in shapes:
        size = int(np.prod(shape))
        pieces.append(flat[start:start + size].reshape(shape))
        start += size
    A, b = pieces
    return np.sum(np.tanh(np.array([0.1, 0.2, 0.3, 0.4]) @ A + b) ** 2)


@program(np.array([0.3, 0.7, -0.2]))
def early_stopping_on_validation_loss_with_break(w0):
    w = w0.copy()
    best = np.inf
    best_w = w
    for epoch in range(20):
        w = w - 0.2 * (w - np.array([1.0, 0.5, 0.0]))
        val = np.sum((w - np.array([0.9, 0.6, 0.1])) ** 2)
        if val < best - 1e-3:
            best, best_w = val, w
        else:
            break
    return np.sum(best_w ** 2)


@program(np.array([0.3, 0.7, -0.2]))
def sorted_list_of_tuples_by_loss_picks_best(w):
    candidates = [(np.sum((w - c) ** 2), i) for i, c in enumerate([0.0, 0.5, 1.0])]
    candidates.sort()
    loss, idx = candidates[0]
    return loss * (idx + 1)


@program(np.array([0.3, 0.7, -0.2]))
def min_with_key_over_candidate_arrays(w):
    cands = [w, w ** 2, np.sin(w)]
    best = min(cands, key=lambda c: float(np.sum(c * 0) + len(c)))
    worst = max(cands, key=lambda c: float(np.sum(c ** 2)))
    return np.sum(best) + np.sum(worst)


@program(np.array([0.3, 0.7, -0.2]))
def chained_comparisons_and_ternaries_in_a_loop(w):
    total = 0.0
    for v in w:
        total += v ** 2 if -1.0 < v < 0.5 else np.sin(v)
    return total


@program(np.array([0.3, 0.7, -0.2]))
def continue_skipping_an_index(w):
    total = 0.0
    for i in range(len(w)):
        if i == 1:
            continue
        total += np.exp(w[i]) * w[1]
    return total


# ======================================================================
# Aliasing the way ordinary code does it, and the furniture around numbers:
# annotations, docstrings, prints, guards, growing arrays, scipy helpers
# ======================================================================


@program(FIVE)
def rows_normalised_in_place_by_a_for_loop_over_the_matrix(x):
    M = np.abs(np.outer(x, np.array([1.0, 2.0, 0.5]))) + 0.5
    for row in M:
        row /= row.sum()
    return np.sum(M ** 2 * np.arange(3.0))


@program(FIVE)
def rows_scaled_through_enumerate_and_index(x):
    M = np.outer(x, np.array([1.0, 2.0, 0.5]))
    for i, row in enumerate(M):
        M[i] = row * (i + 1)
    return np.sum(np.sin(M))


@program(FIVE)
def old_name_aliases_the_array_changed_in_place(x):
    y = x.copy()
    y_old = y
    y += 0.1 * np.sin(y)
    change = np.sum((y - y_old) ** 2)
    return np.sum(y ** 2) + change


@program(FIVE)
def convergence_test_with_an_aliased_previous_iterate(x):
    y = x * 1.0
    steps = 0
    while True:
        previous = y
        y = 0.5 * (y + 1.0 / (1.0 + y ** 2))
        steps += 1
        if np.max(np.abs(y - previous)) < 1e-12 or steps > 100:
            break
    return np.sum(y) * steps


@program(FIVE)
def convergence_with_allclose_in_a_while_test(x):
    y = np.zeros_like(x)
    y_new = np.ones_like(x)
    while not np.allclose(y, y_new, rtol=0.0, atol=1e-13):
        y = y_new
        y_new = 0.5 * np.cos(y) + 0.2 * x
    return np.sum(y_new ** 2)


@program(FIVE)
def chained_assignment_of_two_names_to_one_buffer(x):
    a = b = np.zeros(5)
    a += x
    b *= 2.0
    return np.sum(a * x) + np.sum(b)


@program(FIVE)
def list_of_one_array_repeated_shares_it(x):
    rows = [np.zeros(2)] * 3
    rows[0] += x[:2]
    rows[1] += x[2:4]
    return sum(np.sum(r ** 2) for r in rows)


@program(FIVE)
def views_of_rows_kept_in_a_list_then_written(x):
    grid = np.zeros((3, 2))
    rows = [grid[i] for i in range(3)]
    for r, v in zip(rows, x[:3]):
        r += v
        r *= np.array([1.0, 2.0])
    return np.sum(grid ** 2) + grid[2, 1]


@program(FIVE)
def slice_view_of_a_copy_changed_in_place(x):
    y = x.copy()
    tail = y[2:]
    tail *= 3.0
    tail += y[:3]
    return np.sum(y ** 2)


def _accumulate_defaults(v, out=None):
    if out is None:
        out = np.zeros(2)
    out += v
    return out


@program(FIVE)
def helper_with_none_default_buffer_called_twice(x):
    a = _accumulate_defaults(x[:2])
    b = _accumulate_defaults(x[2:4], a)
    return np.sum(a * b) + np.sum(b)


@program(FIVE)
def growing_trajectory_with_np_append(x):
    traj = np.array([x[0]])
    for k in range(4):
        traj = np.append(traj, traj[-1] * 0.9 + x[k + 1])
    return np.sum(traj ** 2)


@program(FIVE)
def growing_matrix_with_vstack_in_a_loop(x):
    states = x[None, :2]
    for _ in range(3):
        states = np.vstack([states, states[-1] @ np.array([[0.9, 0.1], [-0.2, 0.95]])])
    return np.sum(states ** 2) + states[-1, 0]


@program(FIVE)
def insert_and_delete_entries(x):
    y = np.insert(x, 2, x[0] * 2)
    z = np.delete(y, [0, 4])
    return np.sum(z ** 2 * np.arange(1, z.size + 1))


@program(FIVE)
def annotated_assignments_and_a_docstring(x: np.ndarray) -> float:
    """Energy of a chain: annotations and a docstring are just furniture."""
    total: float = 0.0
    spring: float = 2.5
    for i in range(len(x) - 1):
        stretch: float = x[i + 1] - x[i]
        total += 0.5 * spring * stretch ** 2
    return total


@program(FIVE)
def printing_progress_inside_the_loop(x):
    loss = 0.0
    for i, v in enumerate(x):
        loss += np.cos(v)
        if i % 2 == 0:
            print(f"step {i}: loss {loss:.3f}", file=_PROGRESS)
    print("done", file=_PROGRESS)
    return loss


_PROGRESS = io.StringIO()


@program(FIVE)
def nan_guard_returning_early(x):
    loss = np.sum(np.log1p(x ** 2))
    if np.isnan(loss) or not np.isfinite(loss):
        return 0.0
    return loss


@program(FIVE)
def errstate_and_warnings_context_around_a_log(x):
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.log(x ** 2 + 0.5)
    return np.sum(r)


@program(FIVE)
def assert_all_finite_before_the_computation(x):
    assert np.all(np.isfinite(x)), "inputs must be finite"
    assert x.shape == (5,)
    return np.sum(np.tanh(x) * x)


@program(FIVE)
def global_statement_reading_a_configuration(x):
    global _CONFIG
    scale = _CONFIG["scale"]
    return np.sum(x ** 2) * scale + _CONFIG["shift"]


_CONFIG = {"scale": 0.5, "shift": 1.0}


@program(FIVE)
def walrus_in_a_while_condition_over_residuals(x):
    y = x.copy()
    n = 0
    while (r := np.max(np.abs(y))) > 0.05 and n < 50:
        y = 0.5 * y
        n += 1
    return np.sum(y) + r


@program(FIVE)
def defaultdict_of_floats_accumulated(x):
    from collections import defaultdict
    totals = defaultdict(float)
    for i, v in enumerate(x):
        totals[i % 2] += v ** 2
    return totals[0] * totals[1]


@program(FIVE)
def dict_get_with_a_default_and_setdefault(x):
    weights = {"a": 2.0}
    total = weights.get("a", 1.0) * x[0] + weights.get("b", 3.0) * x[1]
    cache = {}
    cache.setdefault("sq", x[2] ** 2)
    return total + cache["sq"]


@program(FIVE)
def math_isclose_guard_in_a_scalar_loop(x):
    total = 0.0
    for v in x:
        if math.isclose(v, 0.0, abs_tol=1e-12):
            continue
        total += math.sin(v) / v
    return total


def _evaluate(node, env):
    if isinstance(node, str):
        return env[node]
    if isinstance(node, float):
        return node
    op, left, right = node
    a, b = _evaluate(left, env), _evaluate(right, env)
    if op == "add":
        return a + b
    if op == "mul":
        return a * b
    return np.sin(a) * b


_EXPRESSION = ("add", ("mul", "x", ("sin", "y", 2.0)), ("mul", ("add", "x", 1.5), "y"))


@program(np.array([0.3, 0.8]))
def interpreter_of_a_nested_tuple_expression(v):
    return _evaluate(_EXPRESSION, {"x": v[0], "y": v[1]})


@program(np.array([0.3, 0.8, -0.4]))
def scipy_special_helpers_in_a_likelihood(v):
    import scipy.special
    log_norm = scipy.special.logsumexp(v)
    p = scipy.special.expit(v)
    return log_norm + np.sum(p * (1 - p)) + np.sum(scipy.special.gammaln(2.0 + v ** 2))


@program(np.array([0.3, 0.8, -0.4]))
def scipy_stats_norm_logpdf_of_data(v):
    import scipy.stats
    return np.sum(scipy.stats.norm.logpdf(DATA[:3], loc=v, scale=1.5 + v ** 2))


@program(np.array([0.3, 0.8, -0.4]))
def reshape_minus_one_column_and_newaxis_broadcast(v):
    col = v.reshape(-1, 1)
    row = v[np.newaxis, :]
    return np.sum(np.exp(-(col - row) ** 2)) + np.sum(np.swapaxes(col * row, 0, 1)[0])


@program(np.array([[0.5, 0.2], [-0.3, 0.8]]))
def matrix_power_and_moveaxis(M):
    P = np.linalg.matrix_power(M, 3)
    T = np.moveaxis(np.stack([M, P]), 0, -1)
    return np.sum(T[..., 1] ** 2) + np.sum(T[:, :, 0])


@program(np.array([0.3, 0.8, -0.4]))
def sorted_python_list_of_array_entries(v):
    vals = sorted(v.tolist() + [0.1])
    return vals[0] * vals[-1] + sum(vals[1:3])


@program(np.array([0.3, 0.8, -0.4]))
def type_changing_accumulator_int_then_array(v):
    acc = 0
    for k in range(3):
        acc = acc + v * (k + 1)
    acc = acc / 6
    return np.sum(acc ** 2)


@program(np.array([0.3, 0.8, -0.4]))
def scalar_accumulator_broadcast_into_a_vector(v):
    h = 0.0
    for k in range(2):
        h = h * 0.5 + np.cos(v * k)
    return np.sum(h * v)


@program(np.array([0.3, 0.8, -0.4]))
def mask_from_values_then_masked_update(v):
    y = np.concatenate([v, v ** 2])
    big = y > 0.2
    y[big] = np.sqrt(y[big])
    y[~big] *= -1.0
    return np.sum(y * np.arange(6))


@program(np.array([0.3, 0.8, -0.4]))
def integer_index_arrays_from_argsort_and_argmax(v):
    w = np.array([v[0], v[1], v[2], v[0] + v[1]])
    top = np.argsort(w)[-2:]
    k = np.argmax(w)
    return np.sum(w[top] ** 2) + w[k] * 3


@program(np.array([0.3, 0.8, -0.4]))
def property_with_a_setter_on_a_local_object(v):
    box = Box(v[0])
    box.width = box.width * 2 + v[1]
    box.width += v[2]
    return box.area + box.width


class Box:
    def __init__(self, width):
        self._width = width

    @property
    def width(self):
        return self._width

    @width.setter
    def width(self, value):
        self._width = value

    @property
    def area(self):
        return self._width ** 2


class Counter:
    calls = 0

    def __init__(self, k):
        self.k = k

    def __call__(self, v):
        Counter.calls += 1
        return self.k * v ** 2


@program(np.array([0.3, 0.8, -0.4]))
def callable_object_counting_calls_on_its_class(v):
    f = Counter(1.5)
    return np.sum(f(v)) + np.sum(f(v[::-1]))


class Vec2:
    def __init__(self, x, y):
        self.x = x
        self.y = y

    def __add__(self, other):
        return Vec2(self.x + other.x, self.y + other.y)

    def __mul__(self, s):
        return Vec2(self.x * s, self.y * s)

    def norm2(self):
        return self.x ** 2 + self.y ** 2


@program(np.array([0.3, 0.8, -0.4]))
def tiny_vector_class_with_operator_overloading(v):
    a = Vec2(v[0], v[1])
    b = Vec2(v[2], 1.0)
    c = a + b * 2.0
    return c.norm2()


# ======================================================================
# Scenarios
# ======================================================================

SCENARIOS = []


def scenario(function):
    SCENARIOS.append(function)
    return function


def _central_gradient(f, x, step=1e-6):
    x = np.asarray(x, dtype=np.float64)
    g = np.zeros_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e.flat[i] = step
        g.flat[i] = (f(x + e) - f(x - e)) / (2 * step)
    return g


@scenario
def hessian_of_a_leapfrog_with_dict_state_matches_differences_of_its_gradient():
    grad = ad.grad(leapfrog_pendulum_state_dict)
    H = ad.hessian(leapfrog_pendulum_state_dict)(STATE)
    want = np.array([_central_gradient(lambda s: grad(s)[i], STATE, 1e-5)
                     for i in range(STATE.size)])
    return [("hessian", H, want)]


@scenario
def one_gradient_of_a_layer_list_network_serves_two_weight_matrices():
    g = ad.grad(layer_list_of_weight_bias_tuples_with_zip)
    wide = np.vstack([WEIGHTS, WEIGHTS[:1] * 0.5])[:4]
    return [(f"weights {i}", g(w), _central_gradient(layer_list_of_weight_bias_tuples_with_zip, w))
            for i, w in enumerate((WEIGHTS, wide * 1.1))]


@scenario
def value_and_grad_of_an_adaptive_integrator_keeps_its_step_count():
    value, g = ad.value_and_grad(integrate_until_event_with_break)(np.array([0.5, 1.5]))
    return [("value", value, integrate_until_event_with_break(np.array([0.5, 1.5]))),
            ("gradient", g, _central_gradient(integrate_until_event_with_break,
                                              np.array([0.5, 1.5])))]
