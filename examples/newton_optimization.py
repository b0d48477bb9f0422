"""Newton's method with exact Hessians: minimise a non-quadratic function of a
few variables using adcompiler.hessian (forward over reverse) and adcompiler.grad.

Run: python examples/newton_optimization.py
"""

import numpy as np

import adcompiler as ad


def objective(x):
    # A smooth, non-quadratic bowl with a curved valley (Rosenbrock-like terms
    # plus a quartic), minimised at x = (1, 1, 1).
    a = x[:-1]
    b = x[1:]
    valley = np.sum(10.0 * (b - a * a) ** 2 + (1.0 - a) ** 2)
    return valley + 0.1 * np.sum((x - 1.0) ** 4)


def newton(x, steps=30, tolerance=1e-12):
    gradient = ad.grad(objective)
    hessian = ad.hessian(objective)
    for step in range(steps):
        g = gradient(x)
        print(f"step {step:2d}  f = {objective(x):.3e}  |grad| = {np.linalg.norm(g):.3e}")
        if np.linalg.norm(g) < tolerance:
            break
        # Damped Newton step: fall back towards gradient descent when the
        # Hessian is not positive definite far from the minimum.
        h = hessian(x)
        shift = max(0.0, 1e-3 - np.min(np.linalg.eigvalsh(h)))
        x = x - np.linalg.solve(h + shift * np.eye(len(x)), g)
    return x


if __name__ == "__main__":
    solution = newton(np.array([-1.2, 1.0, 0.5]))
    print("minimiser:", solution)
    assert np.allclose(solution, 1.0, atol=1e-6), solution
