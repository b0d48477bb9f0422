"""Runtime helpers for the scipy.signal.convolve rule (rules/scipy_rules.py):
the convolution itself, the tangent of either input, and its adjoint.
"""

from __future__ import annotations

import numpy as np

from .optional import OptionalModule

# Imported when first used: SciPy is optional, and slow to import.
scipy_signal = OptionalModule("scipy.signal")


def signal_convolve(in1, in2, mode):
    """scipy.signal.convolve(in1, in2, mode) (the tangent of either input)."""
    return scipy_signal.convolve(in1, in2, mode=mode)


def signal_convolve_adjoint(g, in1, in2, mode, wrt):
    """Adjoint of scipy.signal.convolve: g placed in the full output (the modes
    crop it centrally), correlated with the other input."""
    full = np.add(np.shape(in1), np.shape(in2)) - 1
    start = (full - np.shape(g)) // 2
    widths = []
    for k in range(len(full)):
        widths.append((int(start[k]), int(full[k] - start[k] - np.shape(g)[k])))
    whole = np.pad(g, widths)
    other = in2 if wrt == "in1" else in1
    return scipy_signal.convolve(whole, np.flip(other), mode="valid")


# The helpers rule templates call by name (runtime/__init__.py gathers them).
TEMPLATE_HELPERS = {helper.__name__: helper for helper in (
    signal_convolve, signal_convolve_adjoint)}
