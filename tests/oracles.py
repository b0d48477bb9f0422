"""Independent oracles for derivative tests: torch.autograd and finite differences."""

from __future__ import annotations

import copy

import numpy as np
import torch
from torch.func import jvp as torch_jvp

torch.set_default_dtype(torch.float64)


def to_torch(value):
    """A float64 leaf tensor that records gradients."""
    return torch.tensor(np.asarray(value, dtype=np.float64), requires_grad=True)


def torch_gradients(torch_fn, args, wrt, seed=None):
    """Gradients of torch_fn(*args) w.r.t. args[i] for i in wrt (a tuple of arrays)."""
    # Integers (loop bounds, counts) stay Python ints, as in the NumPy program.
    tensors = [to_torch(a) if i in wrt or not isinstance(a, int) else a
               for i, a in enumerate(args)]
    out = torch_fn(*tensors)
    grad_outputs = None if seed is None else torch.as_tensor(np.asarray(seed, dtype=np.float64))
    grads = torch.autograd.grad(out, [tensors[i] for i in wrt], grad_outputs=grad_outputs,
                                allow_unused=True)
    return tuple(np.zeros(np.shape(args[i])) if g is None else g.detach().numpy()
                 for i, g in zip(wrt, grads))


def torch_directional(torch_twin, args, wrt, tangents):
    """(value, J·tangents) of torch_twin(*args) along `tangents` for args[i], i in
    wrt, by torch.func.jvp (forward mode in torch too)."""
    primals = tuple(torch.tensor(np.asarray(args[i], dtype=np.float64)) for i in wrt)
    directions = tuple(torch.tensor(np.asarray(t, dtype=np.float64)) for t in tangents)

    def restricted(*selected):
        full = [a if isinstance(a, int) else torch.tensor(np.asarray(a, dtype=np.float64))
                for a in args]
        for position, value in zip(wrt, selected):
            full[position] = value
        return torch_twin(*full)

    value, tangent = torch_jvp(restricted, primals, directions)
    return value.detach().numpy(), tangent.detach().numpy()


def finite_difference_gradient(fn, args, index, seed=None, step=1e-6):
    """Central differences of sum(fn(*args) * seed) w.r.t. args[index]."""
    args = list(args)
    x = np.array(args[index], dtype=np.float64)
    grad = np.zeros_like(x)
    flat = grad.reshape(-1)
    for k in range(x.size):
        shifted = []
        for sign in (1.0, -1.0):
            probe = x.copy().reshape(-1)
            probe[k] += sign * step
            args[index] = probe.reshape(x.shape) if x.shape else float(probe[0])
            # Fresh copies per call: the function may write into its arguments.
            value = np.asarray(fn(*copy.deepcopy(args)), dtype=np.float64)
            shifted.append(np.sum(value * (1.0 if seed is None else seed)))
        flat[k] = (shifted[0] - shifted[1]) / (2 * step)
    return grad


def assert_close(actual, expected, rtol=1e-7, atol=1e-9, label=""):
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    assert actual.shape == expected.shape, f"{label}: shape {actual.shape} != {expected.shape}"
    scale = max(1.0, float(np.max(np.abs(expected)))) if expected.size else 1.0
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol * scale, err_msg=label)


# The entry points a realistic program is checked through.
DERIVATIVE_MODES = ("reverse", "forward", "value_and_grad")


def unchanged(before, after) -> bool:
    """Whether `after`, arguments a derivative was called with, still equal
    their copies `before` (arrays, containers and plain objects' attributes)."""
    if isinstance(before, dict):
        return before.keys() == after.keys() and all(unchanged(before[k], after[k])
                                                      for k in before)
    if isinstance(before, (list, tuple)):
        return len(before) == len(after) and all(map(unchanged, before, after))
    if hasattr(before, "__dict__"):
        return unchanged(vars(before), vars(after))
    before, after = np.asarray(before), np.asarray(after)
    if before.dtype.kind in "fc" and after.dtype.kind in "fc":
        # A NaN the caller passed in is still there (NaN != NaN).
        return np.array_equal(before, after, equal_nan=True)
    return np.array_equal(before, after)


def derivative_in_mode(function, wrt, mode):
    """ad.grad (reverse), forward-mode ad.grad, or ad.value_and_grad of `function`."""
    import adcompiler as ad
    if mode == "forward":
        return ad.grad(function, wrt=wrt, mode="forward")
    if mode == "value_and_grad":
        return ad.value_and_grad(function, wrt=wrt)
    return ad.grad(function, wrt=wrt)


def check_program_against_torch(name, function, twin, args, wrt, mode):
    """adcompiler's gradient of `function` (in `mode`) equals torch's of its
    twin, value_and_grad's value is the function's own, and the arguments are
    unchanged afterwards."""
    expected_value = function(*copy.deepcopy(args))
    expected = torch_gradients(twin, args, wrt)
    arguments = copy.deepcopy(args)
    result = derivative_in_mode(function, wrt, mode)(*arguments)
    if mode == "value_and_grad":
        value, result = result
        assert_close(value, expected_value, rtol=1e-12, label=f"{name}: value")
    assert unchanged(args, arguments), f"{name}: the derivative changed its arguments"
    for position, got, want in zip(wrt, result, expected):
        assert_close(got, want, label=f"{name}: d/d argument {position} ({mode})")
