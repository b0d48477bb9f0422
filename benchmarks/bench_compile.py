"""Time compilation against the size of the function compiled.

Usage (from the repository root):

    python benchmarks/bench_compile.py                      # 20 ... 2,000 lines
    python benchmarks/bench_compile.py --sizes 20 50 130    # a few sizes
    python benchmarks/bench_compile.py --kinds grad --show  # also print a function
    python benchmarks/bench_compile.py --stages hessian:500 # CPU time of each pass
    python benchmarks/bench_compile.py --sizes 50 --repeat 15 # the fastest of 15

For each size the script writes a function of about that many lines to a
module of its own (adcompiler reads source with `inspect`), mixing what real
numerical code holds: straight-line array arithmetic, calls of a helper
(compiled as split primal/adjoint functions), short loops over a constant
range and `if`/`else` branches on data. It then times `ad.grad`, `ad.jvp` and
`ad.hessian` of it, each on a fresh function object with every adcompiler
cache cleared, checks the gradient against a central finite difference (a
compiler that got faster by getting wrong is no use) and prints a table and,
per kind, the exponent k of the least-squares fit time ~ size^k (1 is linear,
2 quadratic) over the sizes from 130 lines up, where fixed costs no longer
dominate.

A kind whose compilation exceeds --budget seconds at one size is not run at
larger ones, and `ad.hessian` is not run above --hessian-max lines (1,000):
at 2,000 lines it takes about 27 s of CPU and 1.9 GB, differentiating a
gradient of some 19,000 lines (docs/performance.md, "Compile time").
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import platform
import shlex
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

import adcompiler as ad  # noqa: E402
from adcompiler import api, forward_backend, reverse_backend, store  # noqa: E402

SIZES = (20, 50, 130, 260, 500, 1000, 2000)
KINDS = ("grad", "jvp", "hessian")
HEADER = '''import numpy as np


def helper(v, c):
    return np.tanh(v * c) + 0.1 * v


'''


def _chunks(count: int):
    """Statements of the body, as lists of lines, cycling through four shapes.
    Each chunk defines v{k} from the values before it; `s` accumulates a scalar."""
    k = 2
    shapes = ("straight", "loop", "straight", "branch", "helper")
    for index in range(count):
        shape = shapes[index % len(shapes)]
        a, b = f"v{k - 1}", f"v{k - 2}"
        v = f"v{k}"
        if shape == "straight":
            yield [f"    {v} = np.sin({a}) * w + 0.5 * {b}",
                   f"    s = s + np.sum({v} * {a}) * c"]
        elif shape == "loop":
            yield [f"    {v} = {a} * 0.5",
                   "    for i in range(3):",
                   f"        {v} = {v} * 0.9 + np.cos({b}) * c"]
        elif shape == "branch":
            yield [f"    if np.sum({a}) > 0:",
                   f"        {v} = {a} * c + x",
                   "    else:",
                   f"        {v} = np.exp(-{a} * {a}) - {b}"]
        else:
            yield [f"    {v} = helper({a}, c) - {b} / (1.0 + {a} * {a})"]
        k += 1


def function_source(lines: int) -> str:
    """A function `f(x, w, c)` of about `lines` lines (def and return included)."""
    body = ["    v0 = x * w", "    v1 = np.tanh(x) + c", "    s = 0.0"]
    last = 1
    for chunk in _chunks(10 ** 6):
        if len(body) + len(chunk) + 2 > lines:
            break
        body.extend(chunk)
        last += 1
    body.append(f"    return s + np.sum(v{last} * v{last})")
    return "def f(x, w, c):\n" + "\n".join(body) + "\n"


_modules = 0


def load(source: str, folder: Path):
    """A fresh function object for `source`, from a module file of its own."""
    global _modules
    _modules += 1
    path = folder / f"generated_{_modules}.py"
    path.write_text(HEADER + source)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.f


def clear_caches() -> None:
    """Forget every compiled derivative, so each timing compiles from scratch."""
    store.clear(api._CACHE)
    reverse_backend.clear_cache()
    forward_backend.clear_cache()


def compile_time(kind: str, function) -> tuple[float, float, object]:
    """(wall-clock seconds, CPU seconds of this process, the derivative). On a
    machine shared with other jobs the CPU time is the steadier of the two:
    it leaves out the time spent waiting for a core."""
    clear_caches()
    start, cpu = time.perf_counter(), time.process_time()
    derivative = getattr(ad, kind)(function)
    return time.perf_counter() - start, time.process_time() - cpu, derivative


def check_gradient(function, gradient) -> float:
    """The largest relative difference between the gradient and central
    finite differences, at a fixed point."""
    rng = np.random.default_rng(0)
    x, w, c = 0.3 * rng.standard_normal(5), 0.5 + 0.1 * rng.standard_normal(5), 0.7
    g = gradient(x, w, c)
    h = 1e-6
    fd = np.array([(function(x + h * e, w, c) - function(x - h * e, w, c)) / (2 * h)
                   for e in np.eye(5)])
    return float(np.max(np.abs(g - fd)) / max(1.0, float(np.max(np.abs(fd)))))


# The passes `--stages` times, by the module whose namespace calls them.
STAGES = {
    "pipeline": ("parse_function", "desugar", "fence", "module_globals", "specialise_varargs",
                 "lower_reduce", "lower_comprehensions", "local_objects", "inline_mutating",
                 "inline_local", "lower_control", "resolve", "bind_methods", "array_namespace",
                 "frozen_distributions", "result_fields", "refuse_changed_mutable_defaults",
                 "own_arguments", "copy_lists_read_before_resizing", "normalise",
                 "lower_broadcast_arrays", "split_lists", "check_aliasing", "hoist",
                 "fuse_softmax", "analyse", "lint"),
    "forward_backend": ("forward", "remove_dead_code"),
    "reverse_backend": ("reverse",),
    "generated": ("drop_shape_reads", "uniform_adjoints", "simplify", "verified_names",
                  "compile_function"),
}


def stage_times(kind: str, function, repeats: int = 3) -> dict:
    """CPU seconds of each pass of STAGES (its own time: a pass timed inside
    another counts for itself only) over one compilation of `function`,
    summed over every function the compilation reads (a Hessian's gradient
    code and the helpers' split derivatives too), as `(pass, generated)`:
    generated is True for code adcompiler generated and reads back. From the
    fastest of `repeats` compilations; under "(other)" what no pass took."""
    import functools
    from adcompiler import generated, pipeline

    modules = {"pipeline": pipeline, "forward_backend": forward_backend,
               "reverse_backend": reverse_backend, "generated": generated}
    totals: dict = {}
    inside: list = []     # time taken by timed passes inside the current one
    reading: list = [False]  # whether the function being lowered is generated code

    def timed(function, name):
        @functools.wraps(function)
        def run(*args, **kwargs):
            start = time.process_time()
            inside.append(0.0)
            try:
                return function(*args, **kwargs)
            finally:
                spent = time.process_time() - start
                key = (name, reading[-1])
                totals[key] = totals.get(key, 0.0) + spent - inside.pop()
                if inside:
                    inside[-1] += spent
        return run

    def lowering(function):
        @functools.wraps(function)
        def run(target, *args, **kwargs):
            reading.append(getattr(target, "__adcompiler__", None) is not None or
                           getattr(target, "__adcompiler_numbers_only__", False))
            try:
                return function(target, *args, **kwargs)
            finally:
                reading.pop()
        return run

    saved = []
    for module_name, names in STAGES.items():
        module = modules[module_name]
        for name in names:
            if hasattr(module, name):
                saved.append((module, name, getattr(module, name)))
                setattr(module, name, timed(getattr(module, name), name))
    for module in (pipeline, forward_backend, reverse_backend):
        if hasattr(module, "front_end"):
            saved.append((module, "front_end", module.front_end))
            module.front_end = lowering(module.front_end)
    saved.append((pipeline, "lowered", pipeline.lowered))
    pipeline.lowered = lowering(pipeline.lowered)
    try:
        best = None
        for _ in range(repeats):
            totals.clear()
            seconds, cpu, _ = compile_time(kind, function)
            if best is None or cpu < best[0]:
                best = (cpu, dict(totals))
    finally:
        for module, name, original in saved:
            setattr(module, name, original)
    cpu, found = best
    found[("(other)", False)] = cpu - sum(found.values())
    found[("total", False)] = cpu
    return found


def fit_exponent(sizes, times) -> float | None:
    points = [(math.log(n), math.log(t)) for n, t in zip(sizes, times) if n >= 130 and t]
    if len(points) < 2:
        return None
    xs, ys = zip(*points)
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((a - mx) * (b - my) for a, b in zip(xs, ys)) / sum((a - mx) ** 2 for a in xs)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--kinds", nargs="+", choices=KINDS, default=list(KINDS))
    parser.add_argument("--budget", type=float, default=60.0,
                        help="seconds; a kind slower than this at one size skips larger sizes")
    parser.add_argument("--hessian-max", type=int, default=1000,
                        help="largest size at which ad.hessian is compiled")
    parser.add_argument("--show", action="store_true", help="print the smallest function")
    parser.add_argument("--repeat", type=int, default=1,
                        help="compilations per cell; the cell shows the fastest (by CPU time)")
    parser.add_argument("--profile", metavar="KIND:SIZE",
                        help="run cProfile on one compilation and print the top functions")
    parser.add_argument("--stages", metavar="KIND:SIZE",
                        help="print the CPU time of each pass over one compilation (the "
                        "fastest of three), on the user's code and on generated code read back")
    options = parser.parse_args(argv)

    folder = Path(tempfile.mkdtemp(prefix="adcompiler_bench_compile_"))
    if options.profile:
        kind, size = options.profile.split(":")
        import cProfile
        import pstats
        function = load(function_source(int(size)), folder)
        clear_caches()
        profiler = cProfile.Profile()
        profiler.runcall(getattr(ad, kind), function)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
        return 0
    if options.stages:
        kind, size = options.stages.split(":")
        compile_time(kind, load(function_source(20), folder))  # imports, rule tables
        found = stage_times(kind, load(function_source(int(size)), folder))
        print(f"| pass ({kind}, {size} lines) | CPU ms |\n|------|------:|")
        for (name, generated), seconds in sorted(found.items(), key=lambda item: -item[1]):
            if seconds >= 0.0005 or name in ("total", "(other)"):
                shown = f"{name}, generated code" if generated else name
                print(f"| {shown} | {seconds * 1e3:,.0f} |")
        return 0

    print("# adcompiler compile-time benchmark\n")
    print(f"- command: `{shlex.join(sys.orig_argv)}`")
    print(f"- Python {platform.python_version()}, NumPy {np.__version__}, {platform.platform()}")
    print("- time: one compilation from a fresh function object with every cache cleared "
          "(ad.hessian includes the gradient it differentiates); each cell is CPU time, "
          "with wall-clock time in brackets; the fit uses CPU time\n")
    if options.show:
        print("```python\n" + function_source(min(options.sizes)) + "```\n")

    # Warm up: the first compilation imports modules and fills rule tables.
    for kind in options.kinds:
        compile_time(kind, load(function_source(20), folder))

    times = {kind: [] for kind in options.kinds}
    over_budget = set()
    rows = []
    failed = False
    for size in options.sizes:
        source = function_source(size)
        row = [str(source.count("\n"))]
        for kind in options.kinds:
            if kind in over_budget or (kind == "hessian" and size > options.hessian_max):
                times[kind].append(None)
                row.append("skipped")
                continue
            # The fastest of --repeat compilations, each of a fresh function
            # object (on a loaded machine, one compilation of a small
            # function varies by more than a change is worth).
            seconds, cpu, derivative = min(
                (compile_time(kind, load(source, folder)) for _ in range(options.repeat)),
                key=lambda timing: timing[1])
            times[kind].append(cpu)
            row.append(f"{cpu * 1e3:,.0f} ({seconds * 1e3:,.0f})")
            if seconds > options.budget:
                over_budget.add(kind)
            if kind == "grad":
                function = load(source, folder)
                error = check_gradient(function, derivative)
                if error > 1e-5:
                    failed = True
                    print(f"- {size} lines: gradient differs from finite differences by {error:.2g}")
        rows.append(row)
        print(f"- {row[0]} lines: " + ", ".join(
            f"{kind} {cell} ms" for kind, cell in zip(options.kinds, row[1:])), flush=True)

    print()
    columns = ["lines"] + [f"{kind} (ms)" for kind in options.kinds]
    widths = [max(len(r[i]) for r in rows + [columns]) for i in range(len(columns))]
    print("| " + " | ".join(c.rjust(w) for c, w in zip(columns, widths)) + " |")
    print("|" + "|".join("-" * (w + 1) + ":" for w in widths) + "|")
    for row in rows:
        print("| " + " | ".join(c.rjust(w) for c, w in zip(row, widths)) + " |")
    print()
    sizes = [int(r[0]) for r in rows]
    for kind in options.kinds:
        exponent = fit_exponent(sizes, times[kind])
        print(f"- {kind}: time ~ lines^{exponent:.2f} (least squares over sizes >= 130)"
              if exponent is not None else f"- {kind}: too few sizes >= 130 to fit")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
