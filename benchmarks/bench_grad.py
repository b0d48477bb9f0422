"""Time adcompiler.grad against the plain function, torch.autograd and hand-written gradients.

Usage (from the repository root):

    python benchmarks/bench_grad.py           # full run, under a minute
    python benchmarks/bench_grad.py --quick   # CI smoke test, a few seconds

For each workload the script first computes the gradient three ways (adcompiler,
torch.autograd, the analytic NumPy gradient written below) and checks that they
agree, then times four callables and prints a Markdown table:

* ``f``               the plain NumPy / ``math`` function;
* ``ad.grad``         ``adcompiler.grad(f, wrt)``, compiled once outside the timer;
* ``torch.autograd``  the same computation on float64 CPU tensors, forward and
                      backward (``torch.autograd.grad``) inside the timer; the
                      input tensors are built once outside it;
* ``hand-written``    an analytic NumPy gradient.

Each time is the minimum per-call time over several repeats, with the number of
calls per repeat chosen like ``timeit.Timer.autorange``.

adcompiler is still being built, so a workload it cannot compile (or no
adcompiler at all) is reported in its row and the other columns are still timed.
The exit status is 1 only if some gradient disagrees with another one (a wrong
answer is never expected); 0 otherwise.

The functions handed to adcompiler live at module level because it reads their
source with ``inspect``. They use only constructs it is meant to support.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import shlex
import sys
import time
import timeit
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch

# Benchmark the working tree, not whatever copy of adcompiler may be installed:
# running a script puts its own folder (benchmarks/) on sys.path, not the root.
REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

# Gradients must agree to this relative tolerance. The absolute tolerance is
# scaled by the largest entry, so that entries that (nearly) cancel to zero do
# not fail on round-off while small gradients are still checked relatively.
RTOL = 1e-6
ATOL_FACTOR = 1e-9


# ---------------------------------------------------------------------------
# a. Data-dependent control flow: the gradient is piecewise constant.
# ---------------------------------------------------------------------------

def control_flow(a):
    b = a * 2
    while np.linalg.norm(b) < 1000:
        b = b * 2
    if np.sum(b) > 0:
        c = b
    else:
        c = 100 * b
    return np.sum(c)


def control_flow_torch(a):
    b = a * 2
    while torch.linalg.norm(b) < 1000:
        b = b * 2
    if torch.sum(b) > 0:
        c = b
    else:
        c = 100 * b
    return torch.sum(c)


def control_flow_grad(a):
    """d sum(c) / da = scale * ones, where b = scale * a after the loop.

    Scaling by a power of two is exact in floating point (barring overflow),
    so norm(scale * a) == scale * norm(a) and sum(scale * a) == scale * sum(a)
    bit for bit: the loop and the branch can run on two scalars.
    """
    norm, total = np.linalg.norm(a), np.sum(a)
    scale = 2.0
    while scale * norm < 1000:
        scale = scale * 2.0
    if scale * total <= 0:
        scale = 100.0 * scale
    return np.full_like(a, scale)


# ---------------------------------------------------------------------------
# b. A scalar loop on Python floats: interpreter overhead dominates.
# ---------------------------------------------------------------------------

def scalar_loop(x, y):
    s = 0.0
    for i in range(100):
        s = s + math.sin(x * s + y) * 0.5 + math.exp(-x * y) * 0.1
    return s


def scalar_loop_torch(x, y):
    s = 0.0
    for i in range(100):
        s = s + torch.sin(x * s + y) * 0.5 + torch.exp(-x * y) * 0.1
    return s


def scalar_loop_grad(x, y):
    """Forward mode by hand: carry ds/dx and ds/dy along the recurrence.

    s' = s + 0.5 sin(u) + 0.1 e, with u = x s + y and e = exp(-x y), so
    ds'/dx = ds/dx + 0.5 cos(u) (s + x ds/dx) - 0.1 y e
    ds'/dy = ds/dy + 0.5 cos(u) (x ds/dy + 1) - 0.1 x e
    (two inputs: forward mode needs no stored trajectory).
    """
    e = math.exp(-x * y)
    s, ds_dx, ds_dy = 0.0, 0.0, 0.0
    for _ in range(100):
        half_cos = 0.5 * math.cos(x * s + y)
        ds_dx, ds_dy = (ds_dx + half_cos * (s + x * ds_dx) - 0.1 * y * e,
                        ds_dy + half_cos * (x * ds_dy + 1.0) - 0.1 * x * e)
        s = s + 0.5 * math.sin(x * s + y) + 0.1 * e
    return ds_dx, ds_dy


# ---------------------------------------------------------------------------
# c. Logistic regression negative log-likelihood, labels in {-1, +1}.
# ---------------------------------------------------------------------------

def nll(w, X, y):
    z = X @ w
    return np.mean(np.log1p(np.exp(-y * z)))


def nll_torch(w, X, y):
    z = X @ w
    return torch.mean(torch.log1p(torch.exp(-y * z)))


def nll_grad(w, X, y):
    """dL/dz_i = -y_i sigmoid(-y_i z_i) / N = -y_i / (1 + exp(y_i z_i)) / N."""
    z = X @ w
    dz = -y / (1.0 + np.exp(y * z))
    return X.T @ dz / len(y)


# ---------------------------------------------------------------------------
# d. Two-layer tanh MLP with softmax cross-entropy (no max available, so no
#    stabilisation: the logits are kept small by the initialisation).
# ---------------------------------------------------------------------------

def mlp_loss(W1, b1, W2, b2, X, Y):
    H = np.tanh(X @ W1 + b1)
    logits = H @ W2 + b2
    log_norm = np.log(np.sum(np.exp(logits), axis=1, keepdims=True))
    return -np.mean(np.sum(Y * (logits - log_norm), axis=1))


def mlp_loss_torch(W1, b1, W2, b2, X, Y):
    H = torch.tanh(X @ W1 + b1)
    logits = H @ W2 + b2
    log_norm = torch.log(torch.sum(torch.exp(logits), dim=1, keepdim=True))
    return -torch.mean(torch.sum(Y * (logits - log_norm), dim=1))


def mlp_loss_grad(W1, b1, W2, b2, X, Y):
    """Backpropagation by hand; dlogits = (softmax - Y) / batch for one-hot Y.

    (In general dlogits = (softmax * rowsum(Y) - Y) / batch; every row of a
    one-hot Y sums to 1.)
    """
    H = np.tanh(X @ W1 + b1)
    logits = H @ W2 + b2
    p = np.exp(logits)
    p /= np.sum(p, axis=1, keepdims=True)
    dlogits = (p - Y) / len(X)
    dW2 = H.T @ dlogits
    db2 = np.sum(dlogits, axis=0)
    dZ = (dlogits @ W2.T) * (1.0 - H * H)
    dW1 = X.T @ dZ
    db1 = np.sum(dZ, axis=0)
    return dW1, db1, dW2, db2


# ---------------------------------------------------------------------------
# e. A tanh RNN unrolled over 50 steps (hidden 64, batch 16, input 32).
#    The sizes are literals in the function on purpose: shape arithmetic is
#    not what is being measured.
# ---------------------------------------------------------------------------

def rnn_loss(Wx, Wh, b, xs):
    h = np.zeros((16, 64))
    for t in range(50):
        h = np.tanh(xs[t] @ Wx + h @ Wh + b)
    return np.sum(h * h)


def rnn_loss_torch(Wx, Wh, b, xs):
    h = torch.zeros((16, 64), dtype=torch.float64)
    for t in range(50):
        h = torch.tanh(xs[t] @ Wx + h @ Wh + b)
    return torch.sum(h * h)


def rnn_loss_grad(Wx, Wh, b, xs):
    """Backpropagation through time: keep every hidden state, then walk back."""
    hs = [np.zeros((16, 64))]
    for t in range(50):
        hs.append(np.tanh(xs[t] @ Wx + hs[-1] @ Wh + b))
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)
    dh = 2.0 * hs[-1]
    for t in reversed(range(50)):
        dz = dh * (1.0 - hs[t + 1] * hs[t + 1])
        dWx += xs[t].T @ dz
        dWh += hs[t].T @ dz
        db += np.sum(dz, axis=0)
        dh = dz @ Wh.T
    return dWx, dWh, db


# ---------------------------------------------------------------------------
# f. A classical Runge-Kutta integrator of a scalar ODE, y' = -k y + sin(y),
#    200 steps on Python floats, the right-hand side a helper function as
#    it is usually written.
# ---------------------------------------------------------------------------

def ode_rhs(y, k):
    return -k * y + math.sin(y)


def rk4(y0, k):
    h = 0.01
    y = y0
    for i in range(200):
        k1 = ode_rhs(y, k)
        k2 = ode_rhs(y + 0.5 * h * k1, k)
        k3 = ode_rhs(y + 0.5 * h * k2, k)
        k4 = ode_rhs(y + h * k3, k)
        y = y + h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
    return y


def ode_rhs_torch(y, k):
    return -k * y + torch.sin(y)


def rk4_torch(y0, k):
    h = 0.01
    y = y0
    for i in range(200):
        k1 = ode_rhs_torch(y, k)
        k2 = ode_rhs_torch(y + 0.5 * h * k1, k)
        k3 = ode_rhs_torch(y + 0.5 * h * k2, k)
        k4 = ode_rhs_torch(y + h * k3, k)
        y = y + h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
    return y


def rk4_grad(y0, k):
    """Forward mode by hand (two inputs): each stage carries its derivatives
    with respect to y0 and k; f_y = -k + cos(y), f_k = -y."""
    h = 0.01
    y, y_y0, y_k = y0, 1.0, 0.0
    for _ in range(200):
        k1 = -k * y + math.sin(y)
        c = -k + math.cos(y)
        k1_y0, k1_k = c * y_y0, c * y_k - y
        u = y + 0.5 * h * k1
        k2 = -k * u + math.sin(u)
        c = -k + math.cos(u)
        k2_y0, k2_k = c * (y_y0 + 0.5 * h * k1_y0), c * (y_k + 0.5 * h * k1_k) - u
        u = y + 0.5 * h * k2
        k3 = -k * u + math.sin(u)
        c = -k + math.cos(u)
        k3_y0, k3_k = c * (y_y0 + 0.5 * h * k2_y0), c * (y_k + 0.5 * h * k2_k) - u
        u = y + h * k3
        k4 = -k * u + math.sin(u)
        c = -k + math.cos(u)
        k4_y0, k4_k = c * (y_y0 + h * k3_y0), c * (y_k + h * k3_k) - u
        y = y + h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
        y_y0 = y_y0 + h / 6.0 * (k1_y0 + 2.0 * k2_y0 + 2.0 * k3_y0 + k4_y0)
        y_k = y_k + h / 6.0 * (k1_k + 2.0 * k2_k + 2.0 * k3_k + k4_k)
    return y_y0, y_k


# ---------------------------------------------------------------------------
# g. A vector-Jacobian product of softmax: d/dx sum(softmax(x) * v), n = 1000.
# ---------------------------------------------------------------------------

def softmax_vjp(x, v):
    e = np.exp(x - np.max(x))
    p = e / np.sum(e)
    return np.sum(p * v)


def softmax_vjp_torch(x, v):
    e = torch.exp(x - torch.max(x))
    p = e / torch.sum(e)
    return torch.sum(p * v)


def softmax_vjp_grad(x, v):
    """The softmax Jacobian is diag(p) - p p^T, so J^T v = p * (v - p.v)."""
    e = np.exp(x - np.max(x))
    p = e / np.sum(e)
    return p * (v - np.dot(p, v))


# ---------------------------------------------------------------------------
# The workload table.
# ---------------------------------------------------------------------------

@dataclass
class Workload:
    """One function to differentiate, its inputs and its two reference gradients.

    `wrt` is an argument index or a tuple of them, as for `adcompiler.grad`;
    `torch_fn` takes the same arguments as torch tensors; `hand_grad` takes the
    same arguments as `function` and returns the gradient in the structure
    `adcompiler.grad(function, wrt)` returns (a tuple when `wrt` is a tuple).
    """

    name: str
    function: Callable
    args: tuple
    wrt: int | tuple[int, ...]
    torch_fn: Callable
    hand_grad: Callable

    @property
    def wrt_indices(self) -> tuple[int, ...]:
        return self.wrt if isinstance(self.wrt, tuple) else (self.wrt,)


def make_workloads(seed: int = 0) -> list[Workload]:
    """The benchmark inputs, all float64, drawn from a fixed seed."""
    rng = np.random.default_rng(seed)

    n, d = 1000, 50
    X_lr = rng.standard_normal((n, d))
    w_lr = rng.standard_normal(d) / math.sqrt(d)
    y_lr = np.where(rng.standard_normal(n) + X_lr @ w_lr > 0, 1.0, -1.0)

    batch, n_in, n_hidden, n_out = 128, 784, 256, 10
    X_mlp = rng.random((batch, n_in))  # pixel-like intensities in [0, 1)
    Y_mlp = np.eye(n_out)[rng.integers(n_out, size=batch)]
    W1 = rng.standard_normal((n_in, n_hidden)) / math.sqrt(n_in)
    b1 = 0.1 * rng.standard_normal(n_hidden)
    W2 = rng.standard_normal((n_hidden, n_out)) / math.sqrt(n_hidden)
    b2 = 0.1 * rng.standard_normal(n_out)

    # Must match the literals in rnn_loss: 50 steps, batch 16, input 32, hidden 64.
    xs = rng.standard_normal((50, 16, 32))
    Wx = rng.standard_normal((32, 64)) / math.sqrt(32)
    Wh = 0.9 * rng.standard_normal((64, 64)) / math.sqrt(64)
    b_rnn = 0.1 * rng.standard_normal(64)

    x_sm, v_sm = rng.standard_normal(1000), rng.standard_normal(1000)

    return [
        Workload("control_flow (3,)", control_flow, (np.array([0.3, -0.2, 0.7]),), 0,
                 control_flow_torch, control_flow_grad),
        Workload("scalar_loop (100 steps)", scalar_loop, (0.5, 0.3), (0, 1),
                 scalar_loop_torch, scalar_loop_grad),
        Workload("logistic nll (1000x50)", nll, (w_lr, X_lr, y_lr), 0,
                 nll_torch, nll_grad),
        Workload("mlp 784-256-10, batch 128", mlp_loss, (W1, b1, W2, b2, X_mlp, Y_mlp),
                 (0, 1, 2, 3), mlp_loss_torch, mlp_loss_grad),
        Workload("rnn 50 steps, 16x32 -> 64", rnn_loss, (Wx, Wh, b_rnn, xs), (0, 1, 2),
                 rnn_loss_torch, rnn_loss_grad),
        Workload("rk4 ode (200 steps, floats)", rk4, (0.8, 0.5), (0, 1),
                 rk4_torch, rk4_grad),
        Workload("softmax vjp (1000)", softmax_vjp, (x_sm, v_sm), 0,
                 softmax_vjp_torch, softmax_vjp_grad),
    ]


# ---------------------------------------------------------------------------
# Gradient callables and checks.
# ---------------------------------------------------------------------------

def load_adcompiler_grad() -> tuple[Callable | None, str | None]:
    """`adcompiler.grad`, or None and the reason it is unavailable."""
    try:
        import adcompiler
        return adcompiler.grad, None
    except Exception as exc:  # ImportError, AttributeError, or a bug at import time
        return None, describe(exc)


def torch_gradient_call(w: Workload) -> Callable[[], tuple]:
    """A no-argument callable running forward and backward in torch.

    The tensors are built once here, so the timed call measures autograd and
    not the NumPy -> torch copy of the inputs.
    """
    wrt = set(w.wrt_indices)
    tensors = [torch.tensor(arg, dtype=torch.float64, requires_grad=i in wrt)
               for i, arg in enumerate(w.args)]
    inputs = [tensors[i] for i in w.wrt_indices]
    # autograd.grad, unlike backward(), returns the gradients instead of
    # accumulating them into .grad, so repeated calls need no zeroing.
    return lambda: torch.autograd.grad(w.torch_fn(*tensors), inputs)


def as_arrays(gradient: Any, w: Workload) -> list[np.ndarray]:
    """A gradient (one value or a tuple, NumPy, float or torch) as a list of arrays."""
    parts = gradient if isinstance(gradient, (tuple, list)) else (gradient,)
    if len(parts) != len(w.wrt_indices):
        raise ValueError(f"expected {len(w.wrt_indices)} gradient(s), got {len(parts)}")
    return [p.detach().numpy() if isinstance(p, torch.Tensor) else np.asarray(p, dtype=float)
            for p in parts]


def compare(actual: list[np.ndarray], expected: list[np.ndarray], w: Workload) -> str | None:
    """None if the gradients agree, else a line saying where and by how much."""
    for index, a, e in zip(w.wrt_indices, actual, expected):
        if a.shape != e.shape:
            return f"d/d(arg {index}): shape {a.shape} vs {e.shape}"
        atol = ATOL_FACTOR * float(np.max(np.abs(e), initial=0.0))
        if not np.allclose(a, e, rtol=RTOL, atol=atol):
            err = np.abs(a - e)
            worst = tuple(int(i) for i in np.unravel_index(np.argmax(err), err.shape))
            return (f"d/d(arg {index}): max abs diff {np.max(err):.3g} at index {worst}: "
                    f"{float(a[worst])!r} vs {float(e[worst])!r}")
    return None


def describe(exc: BaseException) -> str:
    """`Type: first line of the message` (adcompiler's messages span several lines)."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


# ---------------------------------------------------------------------------
# Timing.
# ---------------------------------------------------------------------------

# The clock the timings read: wall-clock time, or with --cpu-time the CPU time
# of this thread (time.thread_time), which does not count the time another
# process held the core: on a busy shared machine the steadier of the two.
CLOCK = {"clock": time.perf_counter}


def use_cpu_time() -> None:
    CLOCK["clock"] = time.thread_time


def clock_description() -> str:
    return ("CPU time of the benchmarking thread (--cpu-time)"
            if CLOCK["clock"] is time.thread_time else "wall-clock time")


def time_call(fn: Callable[[], Any], repeat: int, min_time: float) -> float:
    """The minimum time of one call of `fn`, in seconds.

    Like `timeit.Timer.autorange`, the number of calls per repeat goes
    1, 2, 5, 10, 20, 50, ... until one repeat takes at least `min_time`; then
    the best of `repeat` repeats is reported. The minimum is the estimate least
    disturbed by other activity on the machine.
    """
    timer = timeit.Timer(fn, timer=CLOCK["clock"])
    number = 1
    while True:
        for multiplier in (1, 2, 5):
            calls = number * multiplier
            if timer.timeit(calls) >= min_time:
                return min(timer.repeat(repeat=repeat, number=calls)) / calls
        number *= 10


# ---------------------------------------------------------------------------
# Output.
# ---------------------------------------------------------------------------

COLUMNS = ["workload", "f (µs)", "ad.grad (µs)", "grad/f ratio", "torch.autograd (µs)",
           "torch/ad ratio", "hand-written (µs)", "ad/hand ratio"]


def fmt_us(seconds: float | None, missing: str = "error") -> str:
    if seconds is None:
        return missing
    us = seconds * 1e6
    return f"{us:.2f}" if us < 10 else f"{us:.1f}" if us < 1000 else f"{us:,.0f}"


def fmt_ratio(numerator: float | None, denominator: float | None) -> str:
    if numerator is None or denominator is None:
        return "—"
    return f"{numerator / denominator:.2f}"


def print_table(rows: list[list[str]], columns: list[str] = COLUMNS) -> None:
    """A Markdown table, padded so that it also reads well as plain text."""
    widths = [max(len(row[i]) for row in [columns, *rows]) for i in range(len(columns))]

    def line(cells: list[str]) -> str:
        padded = [c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths))]
        return "| " + " | ".join(padded) + " |"

    print(line(columns))
    print("|" + "|".join(("-" * (w + 1) + ":") if i else ("-" * (w + 2))
                         for i, w in enumerate(widths)) + "|")
    for row in rows:
        print(line(row))


# ---------------------------------------------------------------------------
# Main.
# ---------------------------------------------------------------------------

LABELS = {"f": "f", "ad": "ad.grad", "torch": "torch.autograd", "hand": "hand-written"}


@dataclass
class Result:
    """What one workload produced: the callables to time and any failures."""

    workload: Workload
    calls: dict[str, Callable[[], Any] | None]
    errors: dict[str, str]
    mismatch: bool = False


def prepare(w: Workload, ad_grad: Callable | None) -> Result:
    """Build the four callables of a workload, compute its gradients and check them.

    Prints one line per workload: "checked", or what failed or disagreed.
    `ad_grad` is None when adcompiler is unavailable (reported once by main).
    """
    calls: dict[str, Callable[[], Any] | None] = {
        "f": lambda: w.function(*w.args),
        "ad": None,
        "torch": torch_gradient_call(w),
        "hand": lambda: w.hand_grad(*w.args),
    }
    errors: dict[str, str] = {}
    if ad_grad is not None:
        try:
            df = ad_grad(w.function, wrt=w.wrt)  # compiled once, outside the timer
            calls["ad"] = lambda: df(*w.args)
        except Exception as exc:
            errors["ad"] = f"adcompiler.grad failed: {describe(exc)}"

    gradients: dict[str, list[np.ndarray]] = {}  # in LABELS order
    for key in LABELS:
        if calls[key] is None:
            continue
        try:
            value = calls[key]()
            if key != "f":
                gradients[key] = as_arrays(value, w)
        except Exception as exc:
            errors[key] = f"{LABELS[key]} raised {describe(exc)}"
            calls[key] = None

    problems = list(errors.values())
    mismatch = False
    for actual, expected in (("ad", "torch"), ("ad", "hand"), ("torch", "hand")):
        if actual in gradients and expected in gradients:
            difference = compare(gradients[actual], gradients[expected], w)
            if difference:
                mismatch = True
                problems.append(f"{LABELS[actual]} vs {LABELS[expected]}: {difference}")
    if mismatch:
        status = "MISMATCH"
    elif len(gradients) > 1:
        status = "checked (" + " = ".join(LABELS[k] for k in gradients) + ")"
    else:
        status = "NOT checked (fewer than two gradients)"
    print(f"- {w.name}: {status}")
    for problem in problems:
        print(f"    - {problem}")
    return Result(w, calls, errors, mismatch)


# glibc returns freed memory at the top of the heap to the system once it
# exceeds a threshold that adapts to the largest array freed so far. Array code
# whose working set sits just above that threshold (any reverse-mode derivative
# keeps its forward intermediates alive, as does torch's graph) then page-faults
# its arrays back in on every call, and the timing depends on which workload
# happened to run before. Pinning the thresholds measures the computation alone.
PINNED_ALLOCATOR = {"MALLOC_TRIM_THRESHOLD_": str(1 << 30), "MALLOC_MMAP_THRESHOLD_": str(1 << 30),
                    "MALLOC_TOP_PAD_": str(1 << 26)}


def pin_allocator(mode: str) -> None:
    """For mode 'pinned', restart this process with the thresholds pinned (glibc
    reads them once, at start-up)."""
    if mode == "pinned" and any(os.environ.get(k) != v for k, v in PINNED_ALLOCATOR.items()):
        env = dict(os.environ, **PINNED_ALLOCATOR)
        os.execve(sys.executable, [sys.executable] + sys.orig_argv[1:], env)


def allocator_description() -> str:
    if all(os.environ.get(k) == v for k, v in PINNED_ALLOCATOR.items()):
        return "glibc heap trimming pinned off (" + ", ".join(
            f"{k}={v}" for k, v in PINNED_ALLOCATOR.items()) + ")"
    return "glibc defaults (adaptive heap trimming)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="fewer and shorter repeats (CI smoke test, under ~20 s)")
    parser.add_argument("--allocator", choices=("default", "pinned"), default="default",
                        help="'pinned' re-runs the benchmark with glibc's heap trimming "
                        "disabled (see docs/performance.md)")
    parser.add_argument("--cpu-time", action="store_true",
                        help="time with the CPU time of this thread instead of the wall "
                        "clock: steadier on a machine shared with other jobs; with "
                        "OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 only (other threads' "
                        "time is not counted)")
    options = parser.parse_args(argv)
    pin_allocator(options.allocator)
    if options.cpu_time:
        use_cpu_time()
    repeat, min_time = (3, 0.02) if options.quick else (5, 0.2)

    print("# adcompiler.grad benchmark\n")
    print(f"- command: `{shlex.join(sys.orig_argv)}`")
    print(f"- Python {platform.python_version()}, NumPy {np.__version__}, torch {torch.__version__} "
          f"({torch.get_num_threads()} threads), {platform.platform()}")
    print(f"- allocator: {allocator_description()}")
    print(f"- clock: {clock_description()}")
    print(f"- time per call: best of {repeat} repeats, each at least {min_time * 1e3:.0f} ms "
          "(autoranged number of calls); adcompiler compile time not included")
    print("- ratios: grad/f = ad.grad / f, torch/ad = torch.autograd / ad.grad "
          "(> 1: adcompiler faster), ad/hand = ad.grad / hand-written\n")

    print("## Gradient checks\n")
    ad_grad, ad_error = load_adcompiler_grad()
    if ad_error:
        print(f"- adcompiler unavailable, ad.grad not run: {ad_error}")
    results = [prepare(w, ad_grad) for w in make_workloads()]

    print("\n## Timings\n")
    rows = []
    for result in results:
        t = {key: None if call is None else time_call(call, repeat, min_time)
             for key, call in result.calls.items()}
        rows.append([result.workload.name,
                     fmt_us(t["f"]),
                     fmt_us(t["ad"], missing="error" if ad_grad else "n/a"),
                     fmt_ratio(t["ad"], t["f"]),
                     fmt_us(t["torch"]),
                     fmt_ratio(t["torch"], t["ad"]),
                     fmt_us(t["hand"]),
                     fmt_ratio(t["ad"], t["hand"])])
    print_table(rows)

    print_errors([(r.workload.name, m) for r in results for m in r.errors.values()])
    return 1 if any(r.mismatch for r in results) else 0


def print_errors(notes: list[tuple[str, str]]) -> None:
    """The failures a run met, one per line, after its table."""
    if notes:
        print("\nerrors:")
        for name, message in notes:
            print(f"- {name}: {message}")


if __name__ == "__main__":
    sys.exit(main())
