"""Time adcompiler.jvp and adcompiler.hvp against the plain function and torch.func.

Usage (from the repository root):

    python benchmarks/bench_forward.py           # full run, about a minute
    python benchmarks/bench_forward.py --quick   # CI smoke test, under ~20 s

On a machine shared with other jobs, multi-threaded BLAS and torch (OpenMP)
slow down erratically (a thread waits for a busy core); for steadier numbers
run single-threaded, e.g.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python benchmarks/bench_forward.py

This is the forward-mode and second-order companion of ``bench_grad.py``: it
imports that module and measures the same five programs (``control_flow``,
``scalar_loop``, the logistic NLL, the MLP and the RNN) on the same inputs.
For each workload it first checks adcompiler's results against torch, then
times five callables and prints a Markdown table:

* ``f``               the plain NumPy / ``math`` function;
* ``ad.jvp``          ``adcompiler.jvp(f, wrt)(*args, *tangents)``, the value
                      and the Jacobian-vector product along every argument
                      ``bench_grad.py`` differentiates (one random tangent each);
* ``torch.func.jvp``  the same product on float64 CPU tensors;
* ``ad.hvp``          ``adcompiler.hvp(f, wrt=i)(*args, v)``, the Hessian-vector
                      product (forward over reverse) with respect to one
                      argument (see ``HVP_WRT``);
* ``torch hvp``       ``torch.func.jvp(torch.func.grad(f_i), (x_i,), (v,))``,
                      forward over reverse in torch, f_i being f as a function
                      of argument i alone.

adcompiler compiles once, outside the timer; the torch tensors (inputs and
tangents) are also built once, outside it. Timing, formatting and the workload
definitions come from ``bench_grad.py``, so both tables are comparable.

Checks: the jvp tangent against torch.func.jvp and against the hand-written
gradient of ``bench_grad.py`` dotted with the tangents, the jvp value against
f, and the hvp against torch. A workload that adcompiler cannot compile or run
is reported in its row and the other columns are still timed. The exit status
is 1 only if some result disagrees with another one; 0 otherwise.
"""

from __future__ import annotations

import argparse
import inspect
import os
import platform
import shlex
import sys
import timeit
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
import torch.func

# Benchmark the working tree (see bench_grad.py), and make bench_grad importable
# however this file is run.
BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR.parent))
sys.path.insert(0, str(BENCH_DIR))

import bench_grad as bg  # noqa: E402  (needs the sys.path set-up above)
from bench_grad import Workload, describe, fmt_ratio, fmt_us, print_errors, print_table  # noqa: E402,E501

# Same tolerances as bench_grad.py: rtol 1e-6, atol 1e-9 times the largest entry.
RTOL = bg.RTOL
ATOL_FACTOR = bg.ATOL_FACTOR

# The argument each Hessian-vector product is taken with respect to: one weight
# matrix for the networks, the first argument elsewhere.
HVP_WRT: dict[Callable, int] = {
    bg.control_flow: 0,  # a
    bg.scalar_loop: 0,   # x
    bg.nll: 0,           # w
    bg.mlp_loss: 2,      # W2
    bg.rnn_loss: 1,      # Wh
    bg.rk4: 1,           # k
    bg.softmax_vjp: 0,   # x
}

# Environment variables that set the BLAS / OpenMP thread counts, echoed in the header.
THREAD_ENV_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")

# Performance targets, printed under the table (informational, not enforced).
JVP_TARGET = 2.5
HVP_TARGET = 6.0


# ---------------------------------------------------------------------------
# Cases: a bench_grad workload plus its tangents.
# ---------------------------------------------------------------------------

@dataclass
class Case:
    """A `bench_grad.Workload` with the directions forward mode needs.

    `tangents` holds one tangent per index in `workload.wrt_indices` (the jvp
    direction); `hvp_vector` is shaped like `workload.args[hvp_wrt]`.
    """

    workload: Workload
    tangents: tuple
    hvp_wrt: int
    hvp_vector: Any

    @property
    def name(self) -> str:
        return self.workload.name

    @property
    def hvp_param(self) -> str:
        """The name of the parameter the hvp differentiates, for messages."""
        return list(inspect.signature(self.workload.function).parameters)[self.hvp_wrt]


def random_like(value: Any, rng: np.random.Generator) -> Any:
    """A standard-normal direction shaped like `value` (a float for a float)."""
    if isinstance(value, np.ndarray):
        return rng.standard_normal(value.shape)
    return float(rng.standard_normal())


def make_cases(seed: int = 1) -> list[Case]:
    """bench_grad's workloads, with random tangents drawn from a fixed seed.

    Random directions rather than all-ones ones: ones can hide errors (the MLP's
    softmax, for instance, is invariant along a constant shift of the logits).
    """
    rng = np.random.default_rng(seed)
    cases = []
    for w in bg.make_workloads():
        tangents = tuple(random_like(w.args[i], rng) for i in w.wrt_indices)
        i = HVP_WRT[w.function]
        cases.append(Case(w, tangents, i, random_like(w.args[i], rng)))
    return cases


# ---------------------------------------------------------------------------
# The callables to time.
# ---------------------------------------------------------------------------

def as_tensor(value: Any) -> torch.Tensor:
    return torch.tensor(value, dtype=torch.float64)


def restricted(torch_fn: Callable, tensors: list[torch.Tensor],
               positions: tuple[int, ...]) -> Callable:
    """`torch_fn` as a function of the arguments at `positions` only.

    torch.func transforms differentiate every argument they are given, so the
    others are closed over.
    """
    def partial(*varying):
        full = list(tensors)
        for position, value in zip(positions, varying):
            full[position] = value
        return torch_fn(*full)
    return partial


def torch_jvp_call(case: Case) -> Callable[[], tuple]:
    """`torch.func.jvp` along the case's tangents, returning (value, J·v)."""
    w = case.workload
    tensors = [as_tensor(a) for a in w.args]
    fn = restricted(w.torch_fn, tensors, w.wrt_indices)
    primals = tuple(tensors[i] for i in w.wrt_indices)
    tangents = tuple(as_tensor(t) for t in case.tangents)
    return lambda: torch.func.jvp(fn, primals, tangents)


def torch_hvp_call(case: Case) -> Callable[[], torch.Tensor]:
    """Forward over reverse in torch: the tangent of the gradient along v."""
    w = case.workload
    tensors = [as_tensor(a) for a in w.args]
    gradient = torch.func.grad(restricted(w.torch_fn, tensors, (case.hvp_wrt,)))
    primal, vector = tensors[case.hvp_wrt], as_tensor(case.hvp_vector)
    return lambda: torch.func.jvp(gradient, (primal,), (vector,))[1]


def load_adcompiler() -> tuple[Any | None, str | None]:
    """The `adcompiler` module, or None and the reason it is unavailable."""
    try:
        import adcompiler
        adcompiler.jvp, adcompiler.hvp  # noqa: B018  (fail here if either is missing)
        return adcompiler, None
    except Exception as exc:  # ImportError, AttributeError, or a bug at import time
        return None, describe(exc)


# ---------------------------------------------------------------------------
# Checks.
# ---------------------------------------------------------------------------

def to_array(value: Any) -> np.ndarray:
    """A float, NumPy array or torch tensor as a float64 NumPy array."""
    if isinstance(value, torch.Tensor):
        return value.detach().numpy()
    return np.asarray(value, dtype=float)


def compare(label: str, actual: Any, expected: Any) -> str | None:
    """None if the two agree to RTOL (atol scaled by the largest expected entry),
    else a line saying where and by how much."""
    a, e = to_array(actual), to_array(expected)
    if a.shape != e.shape:
        return f"{label}: shape {a.shape} vs {e.shape}"
    atol = ATOL_FACTOR * float(np.max(np.abs(e), initial=0.0))
    if np.allclose(a, e, rtol=RTOL, atol=atol):
        return None
    err = np.abs(a - e)
    worst = tuple(int(i) for i in np.unravel_index(np.argmax(err), err.shape))
    return (f"{label}: max abs diff {np.max(err):.3g}"
            + (f" at index {worst}" if worst else "")
            + f": {float(a[worst])!r} vs {float(e[worst])!r}")


def hand_jvp(case: Case) -> float:
    """J·v from bench_grad's hand-written gradient: sum_i <grad_i, v_i>."""
    w = case.workload
    gradients = bg.as_arrays(w.hand_grad(*w.args), w)
    return float(sum(np.sum(g * np.asarray(t)) for g, t in zip(gradients, case.tangents)))


# ---------------------------------------------------------------------------
# Preparing a workload: build, run once, check.
# ---------------------------------------------------------------------------

LABELS = {"f": "f", "ad_jvp": "ad.jvp", "torch_jvp": "torch.func.jvp",
          "ad_hvp": "ad.hvp", "torch_hvp": "torch hvp"}


@dataclass
class Result:
    """One workload's callables to time, and what went wrong while preparing it."""

    case: Case
    calls: dict[str, Callable[[], Any] | None]
    errors: dict[str, str] = field(default_factory=dict)       # key -> full message
    error_types: dict[str, str] = field(default_factory=dict)  # key -> exception type
    mismatch: bool = False

    def fail(self, key: str, message: str, exc: Exception) -> None:
        """Record that the callable `key` could not be built or run."""
        self.errors[key] = f"{message}: {describe(exc)}"
        self.error_types[key] = type(exc).__name__
        self.calls[key] = None


def build_calls(case: Case, ad: Any | None) -> Result:
    """The five callables of a case; adcompiler compiles here, outside any timer."""
    w = case.workload
    result = Result(case, {
        "f": lambda: w.function(*w.args),
        "ad_jvp": None,
        "torch_jvp": torch_jvp_call(case),
        "ad_hvp": None,
        "torch_hvp": torch_hvp_call(case),
    })
    if ad is None:
        return result
    try:
        jvp_fn = ad.jvp(w.function, wrt=w.wrt)
        result.calls["ad_jvp"] = lambda: jvp_fn(tuple(w.args), tuple(case.tangents))
    except Exception as exc:
        result.fail("ad_jvp", "adcompiler.jvp failed to compile", exc)
    try:
        hvp_fn = ad.hvp(w.function, wrt=case.hvp_wrt)
        result.calls["ad_hvp"] = lambda: hvp_fn(tuple(w.args), (case.hvp_vector,))
    except Exception as exc:
        result.fail("ad_hvp", "adcompiler.hvp failed to compile", exc)
    return result


def prepare(case: Case, ad: Any | None) -> Result:
    """Build the callables, run each once, and check the results against each other.

    Prints one line per workload: what was checked, or what failed or disagreed.
    A callable that raises is dropped (its cell in the table says so).
    """
    result = build_calls(case, ad)
    outputs: dict[str, Any] = {}
    for key, call in result.calls.items():
        if call is None:
            continue
        try:
            outputs[key] = call()
        except Exception as exc:
            result.fail(key, f"{LABELS[key]} raised", exc)

    problems: list[str] = []
    jvp_checked: list[str] = []
    if "ad_jvp" in outputs:
        try:
            value, tangent = outputs["ad_jvp"]
        except (TypeError, ValueError) as exc:
            problems.append(f"ad.jvp did not return (value, tangent): {describe(exc)}")
        else:
            if "f" in outputs:
                problems.append(compare("ad.jvp value vs f", value, outputs["f"]))
            if "torch_jvp" in outputs:
                problems.append(compare("ad.jvp tangent vs torch.func.jvp",
                                        tangent, outputs["torch_jvp"][1]))
                jvp_checked.append("torch.func.jvp")
            problems.append(compare("ad.jvp tangent vs hand-written grad·v",
                                    tangent, hand_jvp(case)))
            jvp_checked.append("hand-written grad·v")
    hvp_checked = "ad_hvp" in outputs and "torch_hvp" in outputs
    if hvp_checked:
        problems.append(compare(f"ad.hvp (w.r.t. {case.hvp_param}) vs torch hvp",
                                outputs["ad_hvp"], outputs["torch_hvp"]))

    mismatches = [p for p in problems if p]
    result.mismatch = bool(mismatches)
    if mismatches:
        status = "MISMATCH"
    else:
        jvp_status = (f"jvp checked (= {', '.join(jvp_checked)})" if jvp_checked
                      else "jvp NOT checked")
        hvp_status = f"hvp w.r.t. {case.hvp_param} " + ("checked (= torch hvp)" if hvp_checked
                                                         else "NOT checked")
        status = f"{jvp_status}; {hvp_status}"
    print(f"- {case.name}: {status}")
    for problem in [*result.errors.values(), *mismatches]:
        print(f"    - {problem}")
    return result


# ---------------------------------------------------------------------------
# Timing.
# ---------------------------------------------------------------------------

def autorange(timer: timeit.Timer, min_time: float) -> tuple[int, float]:
    """The number of calls that takes at least `min_time`, and the time they took.

    The same rule as `bench_grad.time_call` (and `timeit.Timer.autorange`):
    1, 2, 5, 10, 20, 50, ... calls until one batch is long enough.
    """
    number = 1
    while True:
        for multiplier in (1, 2, 5):
            calls = number * multiplier
            elapsed = timer.timeit(calls)
            if elapsed >= min_time:
                return calls, elapsed
        number *= 10


def time_interleaved(calls: dict[str, Callable[[], Any] | None], repeat: int,
                     min_time: float) -> dict[str, float | None]:
    """The minimum time of one call of each callable, in seconds (None if absent).

    Like `bench_grad.time_call`, best of `repeat` autoranged repeats, but the
    repeats of the callables take turns: on a shared machine a burst of
    outside activity then spoils one repeat of several callables rather than
    every repeat of one, and the minimum filters it out.
    """
    timers = {key: timeit.Timer(call, timer=bg.CLOCK["clock"])
              for key, call in calls.items() if call is not None}
    numbers, best = {}, {}
    for key, timer in timers.items():
        numbers[key], elapsed = autorange(timer, min_time)
        best[key] = elapsed / numbers[key]  # the long-enough batch is a sample too
    for _ in range(repeat - 1):
        for key, timer in timers.items():
            best[key] = min(best[key], timer.timeit(numbers[key]) / numbers[key])
    return {key: best.get(key) for key in calls}


# ---------------------------------------------------------------------------
# Output.
# ---------------------------------------------------------------------------

COLUMNS = ["workload", "f (µs)", "ad.jvp (µs)", "jvp/f", "torch.func.jvp (µs)",
           "torch/ad (jvp)", "ad.hvp (µs)", "hvp/f", "torch hvp (µs)", "torch/ad (hvp)"]


def cell(result: Result, key: str, seconds: float | None, ad_available: bool) -> str:
    """A time, or why there is none: the exception type for a failure."""
    if seconds is not None:
        return fmt_us(seconds)
    if key.startswith("ad_") and not ad_available:
        return "n/a"
    kind = result.error_types.get(key)
    return f"error ({kind})" if kind else "error"


def target_line(label: str, target: float, ratios: dict[str, float | None]) -> str:
    """`label ≤ target: met by k of n (missed: ...)` over the workloads that ran."""
    measured = {name: r for name, r in ratios.items() if r is not None}
    missed = [f"{name} {r:.2f}" for name, r in measured.items() if r > target]
    text = f"- {label} ≤ {target:g}: met by {len(measured) - len(missed)} of {len(measured)}"
    if len(measured) < len(ratios):
        text += f" ({len(ratios) - len(measured)} not measured)"
    return text + (f"; missed: {', '.join(missed)}" if missed else "")


# ---------------------------------------------------------------------------
# Main.
# ---------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="fewer and shorter repeats (CI smoke test, under ~20 s)")
    parser.add_argument("--cpu-time", action="store_true",
                        help="time with the CPU time of this thread instead of the wall "
                        "clock: steadier on a machine shared with other jobs; with "
                        "OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 only (other threads' "
                        "time is not counted)")
    options = parser.parse_args(argv)
    repeat, min_time = (3, 0.01) if options.quick else (7, 0.1)
    if options.cpu_time:
        bg.use_cpu_time()

    ad, ad_error = load_adcompiler()
    print("# adcompiler forward-mode and second-order benchmark\n")
    print(f"- command: `{shlex.join(sys.orig_argv)}`")
    print(f"- adcompiler {getattr(ad, '__version__', 'unavailable')}, "
          f"Python {platform.python_version()}, NumPy {np.__version__}, "
          f"torch {torch.__version__} ({torch.get_num_threads()} threads), {platform.platform()}")
    thread_env = [f"{k}={os.environ[k]}" for k in THREAD_ENV_VARS if k in os.environ]
    print(f"- thread settings: {', '.join(thread_env) or 'library defaults (no *_NUM_THREADS set)'}")
    print(f"- clock: {bg.clock_description()}")
    print(f"- time per call: best of {repeat} repeats, each at least {min_time * 1e3:.0f} ms "
          "(autoranged number of calls, the five callables of a workload taking turns); "
          "adcompiler compile time not included")
    print("- jvp: along every argument bench_grad.py differentiates, random tangents; "
          "hvp: w.r.t. one argument, named in the checks below")
    print("- ratios: jvp/f = ad.jvp / f, hvp/f = ad.hvp / f, "
          "torch/ad = torch time / adcompiler time (> 1: adcompiler faster)\n")

    print("## Checks\n")
    if ad_error:
        print(f"- adcompiler unavailable, ad.jvp and ad.hvp not run: {ad_error}")
    results = [prepare(case, ad) for case in make_cases()]

    print("\n## Timings\n")
    rows = []
    jvp_ratios: dict[str, float | None] = {}
    hvp_ratios: dict[str, float | None] = {}
    for result in results:
        t = time_interleaved(result.calls, repeat, min_time)
        c = {key: cell(result, key, t[key], ad is not None) for key in t}
        rows.append([result.case.name,
                     c["f"], c["ad_jvp"], fmt_ratio(t["ad_jvp"], t["f"]),
                     c["torch_jvp"], fmt_ratio(t["torch_jvp"], t["ad_jvp"]),
                     c["ad_hvp"], fmt_ratio(t["ad_hvp"], t["f"]),
                     c["torch_hvp"], fmt_ratio(t["torch_hvp"], t["ad_hvp"])])
        name = result.case.name.split()[0]
        jvp_ratios[name] = None if t["ad_jvp"] is None else t["ad_jvp"] / t["f"]
        hvp_ratios[name] = None if t["ad_hvp"] is None else t["ad_hvp"] / t["f"]
    print_table(rows, COLUMNS)

    print("\nTargets:\n")
    print(target_line("jvp/f", JVP_TARGET, jvp_ratios))
    print(target_line("hvp/f", HVP_TARGET, hvp_ratios))

    print_errors([(r.case.name, m) for r in results for m in r.errors.values()])
    return 1 if any(r.mismatch for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
