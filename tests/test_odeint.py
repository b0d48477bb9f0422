"""scipy.integrate.odeint(func, y0, t, args=...) with func a user function,
differentiated in y0, the args and the times: reverse mode by the adjoint method, forward
mode by forward sensitivities (runtime/odeint.py), both with adcompiler's own vjp
and jvp of func.

Checked against central finite differences of odeint (at tight tolerances) and
against adcompiler's derivative of an explicit RK4 integrator written here
(fine steps: its derivative is the ODE's to ~1e-9). torch has no odeint.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

import adcompiler as ad
from oracles import assert_close, finite_difference_gradient

pytest.importorskip("scipy")
from scipy.integrate import odeint  # noqa: E402

TIMES = np.linspace(0.0, 2.0, 6)
WEIGHTS = np.linspace(0.5, 1.5, 12).reshape(6, 2)



# -- the dynamics (user functions adcompiler differentiates) ----------------------------

def damped_oscillator(y, t, theta):
    position, velocity = y[0], y[1]
    return np.array([velocity, -theta[0] * position - theta[1] * velocity + np.sin(t)])


def lotka_volterra(y, t, growth, predation, unused_flag):
    prey, predators = y[0], y[1]
    return np.array([growth * prey - predation * prey * predators,
                     predation * prey * predators - 0.8 * predators])


def logistic_time_first(t, y, rate):
    return rate * y * (1.0 - y)


# -- programs through odeint -----------------------------------------------------------

def oscillator_energy(y0, theta):
    path = odeint(damped_oscillator, y0, TIMES, args=(theta,), rtol=1e-11, atol=1e-11)
    return np.sum(path ** 2 * WEIGHTS)


def predator_prey_fit(y0, growth, predation):
    path = odeint(lotka_volterra, y0, TIMES, args=(growth, predation, 1), rtol=1e-11,
                  atol=1e-11)
    return np.sum((path - 1.0) ** 2 * WEIGHTS)


def logistic_growth(y0, rate):
    path = odeint(logistic_time_first, y0, TIMES, args=(rate,), tfirst=True, rtol=1e-11, atol=1e-11)
    return np.sum(np.log(path) * np.arange(6.0)[:, None])


def rescaled_times(y0, scale, shift):
    path = odeint(damped_oscillator, y0, TIMES * scale + shift, args=(np.array([2.0, 0.4]),),
                  rtol=1e-11, atol=1e-11)
    return np.sum(path ** 2 * WEIGHTS)


def final_state_only(theta):
    path = odeint(damped_oscillator, np.array([1.0, 0.0]), TIMES, (theta,), rtol=1e-11, atol=1e-11)
    return path[-1, 0] * 2.0 + path[-1, 1]


def local_right_hand_side_returning_a_list(k):
    # A local function that reads none of the function's variables is lifted
    # (passes/lifted_functions.py), then called by the rule as a module-level
    # one; odeint takes a list from it as well as an array.
    def rhs(y, t, a, b):
        return [y[1], -a * y[0] - b * y[1]]
    path = odeint(rhs, [1.0, 0.0], TIMES, args=(k[0], k[1]), rtol=1e-11, atol=1e-11)
    return np.sum(path ** 2 * WEIGHTS)


# -- the same programs through an explicit RK4 integrator -----------------------------

# (adcompiler calls functions by name, so the integrator is written out per dynamics)

def rk4_oscillator(y0, theta, substeps=60):
    states = [y0]
    y = y0
    for k in range(len(TIMES) - 1):
        h = (TIMES[k + 1] - TIMES[k]) / substeps
        t = TIMES[k]
        for _ in range(substeps):
            k1 = damped_oscillator(y, t, theta)
            k2 = damped_oscillator(y + 0.5 * h * k1, t + 0.5 * h, theta)
            k3 = damped_oscillator(y + 0.5 * h * k2, t + 0.5 * h, theta)
            k4 = damped_oscillator(y + h * k3, t + h, theta)
            y = y + h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
            t = t + h
        states.append(y)
    return np.stack(states)


def rk4_predator_prey(y0, growth, predation, substeps=60):
    states = [y0]
    y = y0
    for k in range(len(TIMES) - 1):
        h = (TIMES[k + 1] - TIMES[k]) / substeps
        t = TIMES[k]
        for _ in range(substeps):
            k1 = lotka_volterra(y, t, growth, predation, 1)
            k2 = lotka_volterra(y + 0.5 * h * k1, t + 0.5 * h, growth, predation, 1)
            k3 = lotka_volterra(y + 0.5 * h * k2, t + 0.5 * h, growth, predation, 1)
            k4 = lotka_volterra(y + h * k3, t + h, growth, predation, 1)
            y = y + h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
            t = t + h
        states.append(y)
    return np.stack(states)


def oscillator_energy_rk4(y0, theta):
    return np.sum(rk4_oscillator(y0, theta) ** 2 * WEIGHTS)


def predator_prey_fit_rk4(y0, growth, predation):
    return np.sum((rk4_predator_prey(y0, growth, predation) - 1.0) ** 2 * WEIGHTS)


@dataclass
class Case:
    id: str
    program: object
    inputs: tuple
    rk4_twin: object = None


CASES = [
    Case("oscillator: y0 and args=(theta,)", oscillator_energy,
         (np.array([1.0, -0.3]), np.array([2.0, 0.4])), oscillator_energy_rk4),
    Case("Lotka-Volterra: two scalar args and an integer one", predator_prey_fit,
         (np.array([1.2, 0.8]), 1.1, 0.6), predator_prey_fit_rk4),
    Case("logistic, tfirst=True, one state", logistic_growth, (np.array([0.2]), 1.3)),
    Case("final state in the args only, positional args", final_state_only,
         (np.array([1.5, 0.2]),)),
    Case("times scaled and shifted (t[0] moves too)", rescaled_times,
         (np.array([1.0, -0.3]), 1.2, 0.3)),
    Case("a local right-hand side returning a list", local_right_hand_side_returning_a_list,
         (np.array([2.0, 0.4]),)),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_gradient_matches_finite_differences(case):
    wrt = tuple(range(len(case.inputs)))
    grads = ad.grad(case.program, wrt=wrt)(*case.inputs)
    grads = grads if isinstance(grads, tuple) else (grads,)
    for position, grad in enumerate(grads):
        numeric = finite_difference_gradient(case.program, case.inputs, position)
        assert_close(grad, numeric, rtol=1e-6, atol=1e-7, label=f"{case.id}: argument {position}")


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_forward_mode_matches_finite_differences(case):
    rng = np.random.default_rng(3)
    wrt = tuple(range(len(case.inputs)))
    directions = tuple(float(rng.normal()) if np.ndim(v) == 0 else rng.normal(size=np.shape(v))
                       for v in case.inputs)
    value, tangent = ad.jvp(case.program, wrt=wrt)(case.inputs, directions)
    step = 1e-6

    def shifted(sign):
        return case.program(*[v + sign * step * d for v, d in zip(case.inputs, directions)])
    assert value == pytest.approx(case.program(*case.inputs), rel=1e-12)
    assert tangent == pytest.approx((shifted(1.0) - shifted(-1.0)) / (2 * step), rel=1e-6,
                                    abs=1e-7)


@pytest.mark.parametrize("case", [c for c in CASES if c.rk4_twin is not None],
                         ids=[c.id for c in CASES if c.rk4_twin is not None])
def test_gradient_matches_the_derivative_of_an_explicit_rk4_integrator(case):
    wrt = tuple(range(len(case.inputs)))
    adjoint_method = ad.grad(case.program, wrt=wrt)(*case.inputs)
    through_rk4 = ad.grad(case.rk4_twin, wrt=wrt)(*case.inputs)
    for position, (got, expected) in enumerate(zip(adjoint_method, through_rk4)):
        assert_close(got, expected, rtol=1e-7, atol=1e-8, label=f"{case.id}: argument {position}")
    _, tangent = ad.jvp(case.program, wrt=wrt)(case.inputs, case.inputs)
    _, rk4_tangent = ad.jvp(case.rk4_twin, wrt=wrt)(case.inputs, case.inputs)
    assert tangent == pytest.approx(rk4_tangent, rel=1e-7)


def test_one_backward_solve_serves_y0_and_the_args(monkeypatch):
    from adcompiler.runtime import odeint as runtime_odeint
    calls = []
    solve = runtime_odeint._solve_adjoint
    monkeypatch.setattr(runtime_odeint, "_solve_adjoint", lambda *a: calls.append(1) or solve(*a))
    ad.grad(oscillator_energy, wrt=(0, 1))(np.array([1.0, -0.3]), np.array([2.0, 0.4]))
    assert len(calls) == 1


# -- refused ---------------------------------------------------------------------------

def with_full_output(theta):
    path, _ = odeint(damped_oscillator, np.array([1.0, 0.0]), TIMES, args=(theta,),
                     full_output=1)
    return np.sum(path)


def test_options_the_rule_does_not_model_are_refused_when_compiling():
    with pytest.raises(ad.NoDerivativeRuleError, match="odeint"):
        ad.grad(with_full_output)(np.array([2.0, 0.4]))


def test_second_derivative_is_refused():
    with pytest.raises(ad.NoDerivativeRuleError,
                       match="the derivative of scipy.integrate.odeint"):
        ad.hessian(final_state_only)(np.array([1.5, 0.2]))


def closure_right_hand_side(k):
    def rhs(y, t):
        return [y[1], -k[0] * y[0]]   # k read through the closure, not args
    return np.sum(odeint(rhs, [1.0, 0.0], TIMES))


def test_a_local_right_hand_side_reading_the_function_s_variables_is_refused():
    with pytest.raises(ad.UnsupportedSyntaxError, match="local function 'rhs' other than by "
                       "calling it"):
        ad.grad(closure_right_hand_side)(np.array([2.0, 0.4]))
