"""Fit the stiffness and damping of an oscillator to noisy observations, by
gradient descent through an RK4 integrator written as a plain Python loop.

    python examples/ode_parameter_fit.py [--quick]

The model is x'' = -k x - c x', integrated as the state y = (x, x') with the
classical Runge-Kutta method. adcompiler differentiates the whole simulation,
loop and helper calls included, with respect to k and c.
"""

import argparse
import os

import numpy as np

import adcompiler as ad

# The state is the array (position, velocity). The right-hand side is built
# from these two unit vectors instead of writing into array elements.
POSITION = np.array([1.0, 0.0])
VELOCITY = np.array([0.0, 1.0])


def rhs(y, k, c):
    """dy/dt for the damped oscillator."""
    return POSITION * y[1] + VELOCITY * (-k * y[0] - c * y[1])


def misfit(k, c, y0, observed, dt, n_steps):
    """Integrate with RK4 and sum the squared distance to the observed states,
    accumulated step by step."""
    y = y0
    total = 0.0
    for i in range(n_steps):
        k1 = rhs(y, k, c)
        k2 = rhs(y + dt / 2 * k1, k, c)
        k3 = rhs(y + dt / 2 * k2, k, c)
        k4 = rhs(y + dt * k3, k, c)
        y = y + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        total = total + np.sum((y - observed[i + 1]) ** 2)
    return total


def simulate(k, c, y0, dt, n_steps):
    """The trajectory, for making the synthetic observations."""
    states = [y0]
    for _ in range(n_steps):
        y = states[-1]
        k1 = rhs(y, k, c)
        k2 = rhs(y + dt / 2 * k1, k, c)
        k3 = rhs(y + dt / 2 * k2, k, c)
        k4 = rhs(y + dt * k3, k, c)
        states.append(y + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4))
    return np.array(states)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer gradient steps")
    options = parser.parse_args(argv)
    quick = options.quick or os.environ.get("ADCOMPILER_EXAMPLES_QUICK") == "1"
    iterations, every = (10, 2) if quick else (40, 5)

    true_k, true_c = 2.0, 0.3
    y0, dt, n_steps = np.array([1.0, 0.0]), 0.2, 40
    rng = np.random.default_rng(0)
    observed = simulate(true_k, true_c, y0, dt, n_steps)
    observed = observed + 0.02 * rng.standard_normal(observed.shape)

    misfit_and_grads = ad.value_and_grad(misfit, wrt=("k", "c"))
    k, c = 1.5, 0.6
    step = 0.01
    value, (dk, dc) = misfit_and_grads(k, c, y0, observed, dt, n_steps)
    first = value
    for iteration in range(iterations + 1):
        if iteration % every == 0:
            print(f"iteration {iteration:4d}   misfit {value:9.5f}   k = {k:.4f}   c = {c:.4f}")
        # Gradient descent with a simple step control: grow the step after a
        # success, halve it and retry after an increase.
        while True:
            new_k, new_c = k - step * dk, c - step * dc
            new_value, (new_dk, new_dc) = misfit_and_grads(new_k, new_c, y0, observed, dt,
                                                           n_steps)
            if new_value <= value or step < 1e-12:
                break
            step /= 2
        k, c, value, dk, dc = new_k, new_c, new_value, new_dk, new_dc
        step *= 1.5

    print(f"fitted k = {k:.3f}, c = {c:.3f}   (the observations came from k = {true_k}, "
          f"c = {true_c}, with noise)")
    assert value < first / 10
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
