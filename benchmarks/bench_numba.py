"""Time grad(f, backend="numba") against the Python derivative, a hand-written
gradient, torch.autograd and (when installed) jax.jit(jax.grad(f)).

Usage (from the repository root):

    python benchmarks/bench_numba.py            # full run, about a minute
    python benchmarks/bench_numba.py --quick    # a smoke test
    python benchmarks/bench_numba.py --jax      # also jax.jit(jax.grad(f)), if jax is installed

Two workloads of Python floats, where the interpreter's overhead dominates:
the scalar loop of bench_grad.py (100 iterations of `math` arithmetic) and an
RK4 integrator of a damped oscillator (200 steps, a helper function returning
a tuple). Every gradient is first checked against the Python derivative; the
numba derivative is compiled (and called once) outside the timer, so the times
are steady-state. Times are the best per call over several rounds, each round
timing every callable in turn (interleaved: the machine's load touches all
alike); jax is timed in a process of its own, interleaved with the numba
derivative again, and the ratio is taken there.
The ratios printed: numba derivative / function, numba derivative / the
function itself compiled by numba (njit(f): how fast the arithmetic can go),
Python derivative / numba derivative (the speed-up), numba / hand-written,
numba / the hand-written gradient compiled by numba (njit(hand): the floor
for a native derivative), torch / numba, jax / numba. The numba compile time is that of the first call
(the generic translation, then the typed-stack one).
"""

from __future__ import annotations

import argparse
import platform
import subprocess
import sys
import textwrap
import time
import timeit
from pathlib import Path

import numpy as np
import torch

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(REPO_ROOT / "benchmarks"))

import adcompiler as ad  # noqa: E402
from bench_grad import scalar_loop, scalar_loop_grad, scalar_loop_torch  # noqa: E402

torch.set_default_dtype(torch.float64)


# ---------------------------------------------------------------------------
# RK4 on a damped oscillator y'' = -k y - c y', 200 steps of Python floats.
# ---------------------------------------------------------------------------

def oscillator(y, v, k):
    return v, -k * y - 0.1 * v


def rk4(y0, v0, k):
    y = y0
    v = v0
    h = 0.01
    for step in range(200):
        a1, b1 = oscillator(y, v, k)
        a2, b2 = oscillator(y + 0.5 * h * a1, v + 0.5 * h * b1, k)
        a3, b3 = oscillator(y + 0.5 * h * a2, v + 0.5 * h * b2, k)
        a4, b4 = oscillator(y + h * a3, v + h * b3, k)
        y = y + h / 6 * (a1 + 2 * a2 + 2 * a3 + a4)
        v = v + h / 6 * (b1 + 2 * b2 + 2 * b3 + b4)
    return y * y + v


def rk4_torch(y0, v0, k):
    return rk4(y0, v0, k)  # operators only: the same code runs on tensors


def rk4_grad(y0, v0, k):
    """Forward sensitivities by hand: the tangents (dy, dv) of the state along
    y0, v0 and k, integrated beside it by the same RK4 steps (three directions,
    so no stored trajectory)."""
    h, c = 0.01, 0.1
    y, v = y0, v0
    # Tangents along y0, v0, k.
    ty = [1.0, 0.0, 0.0]
    tv = [0.0, 1.0, 0.0]
    tk = [0.0, 0.0, 1.0]
    for _ in range(200):
        a1, b1 = v, -k * y - c * v
        y2, v2 = y + 0.5 * h * a1, v + 0.5 * h * b1
        a2, b2 = v2, -k * y2 - c * v2
        y3, v3 = y + 0.5 * h * a2, v + 0.5 * h * b2
        a3, b3 = v3, -k * y3 - c * v3
        y4, v4 = y + h * a3, v + h * b3
        a4, b4 = v4, -k * y4 - c * v4
        for d in range(3):
            da1, db1 = tv[d], -tk[d] * y - k * ty[d] - c * tv[d]
            dy2, dv2 = ty[d] + 0.5 * h * da1, tv[d] + 0.5 * h * db1
            da2, db2 = dv2, -tk[d] * y2 - k * dy2 - c * dv2
            dy3, dv3 = ty[d] + 0.5 * h * da2, tv[d] + 0.5 * h * db2
            da3, db3 = dv3, -tk[d] * y3 - k * dy3 - c * dv3
            dy4, dv4 = ty[d] + h * da3, tv[d] + h * db3
            da4, db4 = dv4, -tk[d] * y4 - k * dy4 - c * dv4
            ty[d] = ty[d] + h / 6 * (da1 + 2 * da2 + 2 * da3 + da4)
            tv[d] = tv[d] + h / 6 * (db1 + 2 * db2 + 2 * db3 + db4)
        y = y + h / 6 * (a1 + 2 * a2 + 2 * a3 + a4)
        v = v + h / 6 * (b1 + 2 * b2 + 2 * b3 + b4)
    return 2 * y * ty[0] + tv[0], 2 * y * ty[1] + tv[1], 2 * y * ty[2] + tv[2]


WORKLOADS = [
    ("scalar_loop (100 steps)", scalar_loop, scalar_loop_torch, scalar_loop_grad,
     (0.3, 0.7), (0, 1), ()),
    ("rk4 (200 steps)", rk4, rk4_torch, rk4_grad, (1.0, 0.0, 2.0), (0, 1, 2), (oscillator,)),
]


def njit_gradient(hand):
    """The hand-written gradient compiled by numba: the floor for a native
    derivative (the same arithmetic, no stacks, no dispatching of ours)."""
    from numba import njit
    return njit(hand)


def njit_function(f, helpers=()):
    """f itself compiled by numba (its helper functions too): how fast the
    function can run natively, a floor for its derivative."""
    import inspect

    from numba import njit
    namespace = dict(f.__globals__)
    namespace.update({h.__name__: njit(h) for h in helpers})
    exec(compile(textwrap.dedent(inspect.getsource(f)), f"<njit {f.__name__}>", "exec"),
         namespace)
    return njit(namespace[f.__name__])


def interleaved(callables: dict, rounds: int) -> dict:
    """{name: seconds per call}: the best of `rounds` rounds, each timing every
    callable once in turn, so that a change of load on a shared machine
    touches all of them alike."""
    numbers = {name: max(1, timeit.Timer(fn).autorange()[0] // 5)
               for name, fn in callables.items()}
    best = dict.fromkeys(callables, float("inf"))
    for _ in range(rounds):
        for name, fn in callables.items():
            seconds = timeit.timeit(fn, number=numbers[name]) / numbers[name]
            best[name] = min(best[name], seconds)
    return best


def torch_call(twin, args, wrt):
    tensors = [torch.tensor(float(a), requires_grad=i in wrt) for i, a in enumerate(args)]

    def run():
        out = twin(*tensors)
        return torch.autograd.grad(out, [tensors[i] for i in wrt])
    return run


_JAX_SCRIPT = """
import math, sys, time, timeit
sys.path.insert(0, {root!r}); sys.path.insert(0, {bench!r})
import jax, jax.numpy as jnp
jax.config.update("jax_enable_x64", True)
import adcompiler as ad
import bench_numba as b, bench_grad as g
name = {name!r}
if name.startswith("scalar"):
    def f(x, y):
        s = 0.0
        for i in range(100):
            s = s + jnp.sin(x * s + y) * 0.5 + jnp.exp(-x * y) * 0.1
        return s
    args, wrt, ours = (0.3, 0.7), (0, 1), g.scalar_loop
else:
    f, args, wrt, ours = b.rk4, (1.0, 0.0, 2.0), (0, 1, 2), b.rk4
df = jax.jit(jax.grad(f, argnums=wrt))
start = time.perf_counter()
jax.block_until_ready(df(*args))
compile_s = time.perf_counter() - start
native = ad.grad(ours, wrt=wrt, backend="numba")
native(*args)
best = b.interleaved({{"jax": lambda: jax.block_until_ready(df(*args)),
                      "numba": lambda: native(*args)}}, {repeat})
print(compile_s, best["jax"], best["numba"])
"""


def jax_time(name: str, repeat: int, timeout: float):
    """(compile seconds, seconds per call) of jax.jit(jax.grad(f)), in a
    subprocess (a compilation that does not finish is stopped), or a note."""
    script = _JAX_SCRIPT.format(root=str(REPO_ROOT), bench=str(REPO_ROOT / "benchmarks"),
                                name=name, repeat=repeat)
    try:
        done = subprocess.run([sys.executable, "-c", textwrap.dedent(script)],
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return f"did not compile in {timeout:.0f} s"
    if done.returncode != 0:
        return "error: " + (done.stderr.strip().splitlines() or ["?"])[-1][:80]
    compile_s, seconds, numba_seconds = map(float, done.stdout.split())
    return compile_s, seconds, numba_seconds


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--jax", action="store_true")
    parser.add_argument("--jax-timeout", type=float, default=300.0)
    options = parser.parse_args(argv)
    repeat = 3 if options.quick else 7
    print(f"Python {platform.python_version()}, NumPy {np.__version__}, torch "
          f"{torch.__version__} ({torch.get_num_threads()} threads), {platform.platform()}")
    try:
        import numba
        print(f"numba {numba.__version__}")
    except ImportError:
        print("numba is not installed: pip install 'adcompiler[numba]'")
        return 0
    rows, status = [], 0
    for name, f, twin, hand, args, wrt, helpers in WORKLOADS:
        native_f = njit_function(f, helpers)
        native_f(*args)
        native_hand = njit_gradient(hand)
        native_hand(*args)
        python = ad.grad(f, wrt=wrt)
        start = time.perf_counter()
        native = ad.grad(f, wrt=wrt, backend="numba")
        got = native(*args)
        compile_s = time.perf_counter() - start
        expected = python(*args)
        if not np.allclose(got, expected, rtol=1e-10) or not np.allclose(
                hand(*args), expected, rtol=1e-8) or not np.allclose(
                native_hand(*args), expected, rtol=1e-8):
            print(f"{name}: gradients disagree: numba {got}, python {expected}, "
                  f"hand-written {hand(*args)}")
            status = 1
        times = interleaved({"f": lambda: f(*args), "njit f": lambda: native_f(*args),
                             "python": lambda: python(*args), "numba": lambda: native(*args),
                             "hand": lambda: hand(*args),
                             "njit hand": lambda: native_hand(*args),
                             "torch": torch_call(twin, args, wrt)}, 5 * repeat)
        jax_cell = "not run (--jax)"
        if options.jax:
            measured = jax_time(name, repeat, options.jax_timeout)
            if isinstance(measured, tuple):
                times["jax"] = measured[1]
                jax_cell = (f"{measured[1] * 1e6:,.1f} µs ({measured[0]:.1f} s compile) "
                            f"against numba {measured[2] * 1e6:,.2f} µs in its process: "
                            f"{measured[1] / measured[2]:.2f}")
            else:
                jax_cell = measured
        rows.append((name, times, compile_s, jax_cell))
    print()
    print("| workload | f (µs) | njit(f) (µs) | python grad (µs) | numba grad (µs) | "
          "numba compile (s) | numba/f | numba/njit(f) | python/numba | hand-written (µs) | "
          "numba/hand | njit(hand) (µs) | numba/njit(hand) | torch (µs) | torch/numba | "
          "jax.jit(grad): jax/numba |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for name, t, compile_s, jax_cell in rows:
        print(f"| {name} | {t['f'] * 1e6:,.1f} | {t['njit f'] * 1e6:,.2f} | "
              f"{t['python'] * 1e6:,.1f} | "
              f"{t['numba'] * 1e6:,.2f} | {compile_s:.1f} | {t['numba'] / t['f']:.3f} | "
              f"{t['numba'] / t['njit f']:.2f} | "
              f"{t['python'] / t['numba']:.1f} | {t['hand'] * 1e6:,.1f} | "
              f"{t['numba'] / t['hand']:.3f} | {t['njit hand'] * 1e6:,.2f} | "
              f"{t['numba'] / t['njit hand']:.2f} | {t['torch'] * 1e6:,.0f} | "
              f"{t['torch'] / t['numba']:,.0f} | {jax_cell} |")
    return status


if __name__ == "__main__":
    sys.exit(main())
