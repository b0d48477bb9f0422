"""The derivative of sin, computed by adcompiler from `np.sin` alone: no
derivative formula is written in this file. Plots both curves to a PNG.

    python examples/sin_derivative.py [--out sin_derivative.png]

The plot needs matplotlib (pip install "adcompiler[plot]"); without it the
derivative is still computed and checked, and the PNG is skipped with a note.
"""

import argparse

import numpy as np

import adcompiler as ad


def sine(x):
    return np.sin(x)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="sin_derivative.png", help="where to save the plot")
    parser.add_argument("--quick", action="store_true", help="(accepted for the smoke test; "
                        "this example is always quick)")
    options = parser.parse_args(argv)

    x = np.linspace(0, 2 * np.pi, 200)
    # sin works entry by entry, so the vector-Jacobian product with a seed of
    # ones is the derivative at every point of the grid at once.
    slope = ad.vjp(sine)((x,), np.ones_like(x))
    print(ad.source(ad.vjp(sine)))

    # The same derivative at single Python numbers, through ad.grad.
    slope_at_zero = ad.grad(sine)(0.0)
    print(f"d/dx sin(x) at x = 0: {slope_at_zero}")

    # Check without naming the answer: the derivative of sin is sin shifted
    # left by a quarter period.
    error = float(np.max(np.abs(slope - np.sin(x + np.pi / 2))))
    print(f"largest difference from sin(x + pi/2) on {x.size} points: {error:.1e}")
    assert error < 1e-12 and slope_at_zero == 1.0

    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: skipping the plot "
              '(pip install "adcompiler[plot]" to draw it)')
        return 0
    figure, axes = plt.subplots(figsize=(7, 3.5))
    axes.plot(x, np.sin(x), label="sin(x)")
    axes.plot(x, slope, label="d/dx sin(x), by adcompiler")
    axes.axhline(0.0, color="grey", linewidth=0.5)
    axes.set_xlabel("x")
    axes.legend()
    figure.tight_layout()
    figure.savefig(options.out, dpi=100)
    print(f"saved the plot to {options.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
