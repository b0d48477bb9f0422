"""Random programs of list idioms over differentiated values, for finding
wrong derivatives and compiler failures in the list machinery: lists
rebuilt by a comprehension over themselves, built by hand and handed to
another name, grown by appends and joins, shrunk by pops, read at either
end, summed, filtered, iterated in loops.

Each program is a function of a 3-vector returning a number. The check
compares adcompiler's gradient (reverse and forward mode) and value with
the program itself and its central differences, and its Hessian with
central differences of its gradient (where the value is small enough for
differences to judge). A refusal (an AdError other than
InternalCompilerError) is fine; a disagreement, an InternalCompilerError or
any other exception is a failure.

    python tests/list_idioms_generator.py --seeds 200 --start 5000
"""

from __future__ import annotations

import argparse
import importlib.util
import pathlib
import random
import tempfile
from dataclasses import dataclass

import numpy as np

import adcompiler as ad

POINT = np.array([0.3, 0.8, -0.4])
_DIRECTORY = [pathlib.Path(tempfile.gettempdir()) / "adcompiler_list_programs"]


def use_directory(path) -> None:
    """Write the programs' files into `path` (a test's temporary directory)."""
    _DIRECTORY[0] = pathlib.Path(path)


def _expression(rng: random.Random, names: list, depth: int = 0) -> str:
    if depth > 1 or rng.random() < 0.3:
        return rng.choice(names + ["x[0]", "x[1]", "x[2]", "0.5"])
    a, b = _expression(rng, names, depth + 1), _expression(rng, names, depth + 1)
    return rng.choice([f"({a} * {b})", f"({a} + {b})", f"np.sin({a})",
                       f"({a} - 0.3 * {b})", f"np.tanh({a})"])


def _statements(rng: random.Random, indent: str) -> list:
    """One idiom, as lines of the function's body."""
    kind = rng.randrange(10)
    if kind == 0:   # a comprehension over the list it replaces
        return [f"{indent}xs = [{_expression(rng, ['v'])} for v in xs]"]
    if kind == 1:   # the same loop by hand, handed over
        return [f"{indent}new = []", f"{indent}for v in xs:",
                f"{indent}    new.append({_expression(rng, ['v'])})", f"{indent}xs = new"]
    if kind == 2:
        return [f"{indent}xs.append({_expression(rng, ['xs[-1]', 'xs[0]'])})"]
    if kind == 3:
        return [f"{indent}if len(xs) > 2:", f"{indent}    acc = acc + xs.pop()"]
    if kind == 4:
        return [f"{indent}acc = acc + sum(xs) * {_expression(rng, [])}"]
    if kind == 5:
        return [f"{indent}ys = [t * {_expression(rng, [])} for t in xs if t > 0.1]",
                f"{indent}acc = acc + sum(ys)"]
    if kind == 6:
        return [f"{indent}xs = xs + [{_expression(rng, ['xs[0]'])}]"]
    if kind == 7:
        return [f"{indent}xs = [xs[j] * xs[-1] for j in range(len(xs))]"]
    if kind == 8:
        return [f"{indent}for t in xs:", f"{indent}    acc = acc + t * {_expression(rng, [])}"]
    return [f"{indent}acc = acc + xs[-1] * xs[0]"]


def source(seed: int) -> str:
    """The text of program `seed`: some idioms, some of them in a loop."""
    rng = random.Random(seed)
    lines = ["import numpy as np", "", "", "def f(x):",
             "    xs = [x[0], x[1] * 2.0]", "    acc = 0.0"]
    indent, looped = "    ", False
    for _ in range(rng.randint(3, 8)):
        if not looped and rng.random() < 0.15:
            lines.append(f"{indent}for i in range({rng.randint(1, 3)}):")
            indent, looped = indent + "    ", True
            lines.append(f"{indent}acc = acc + xs[0] * 0.5")
        lines += _statements(rng, indent)
    lines.append("    return acc + sum(xs)")
    return "\n".join(lines) + "\n"


@dataclass
class Outcome:
    status: str      # "passed", "refused", "failed" or "n/a" (the program itself fails)
    detail: str = ""


def _load(seed: int):
    directory = _DIRECTORY[0]
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"list_program_{seed}.py"
    path.write_text(source(seed))
    spec = importlib.util.spec_from_file_location(f"list_program_{seed}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.f


def _differences(f, x, step: float) -> np.ndarray:
    return np.array([(f(x + step * e) - f(x - step * e)) / (2 * step)
                     for e in np.eye(x.size)])


def check(seed: int) -> Outcome:
    """Differentiate program `seed` every way and compare (see the module docstring)."""
    f = _load(seed)
    try:
        value = f(POINT.copy())
    except Exception as err:   # the program itself fails in Python: nothing to check
        return Outcome("n/a", f"{type(err).__name__}: {err}")
    if not abs(value) < 1e6:
        # Products of products grow fast; differences of values this large
        # cannot resolve a derivative (a step of 1e-6 is below their rounding).
        return Outcome("n/a", f"the value {value} is too large to judge by differences")
    want = _differences(f, POINT, 1e-6)
    try:
        for mode in ("reverse", "forward"):
            given = POINT.copy()
            got = ad.grad(f, mode=mode)(given)
            if not np.allclose(got, want, rtol=1e-5, atol=1e-6):
                return Outcome("failed", f"{mode} gradient {got}, differences {want}")
            if not np.array_equal(given, POINT):
                return Outcome("failed", f"{mode}: the argument was changed")
        got_value = ad.value_and_grad(f)(POINT.copy())[0]
        if got_value != value:
            return Outcome("failed", f"value {got_value}, the function gives {value}")
        gradient = ad.grad(f)
        hessian = ad.hessian(f)(POINT.copy())
        want_hessian = _differences(gradient, POINT, 1e-5)
        if not np.allclose(hessian, want_hessian, rtol=1e-4, atol=1e-5):
            return Outcome("failed", f"Hessian {hessian}, differences {want_hessian}")
    except ad.InternalCompilerError as err:
        return Outcome("failed", f"InternalCompilerError: {err}")
    except ad.AdError as err:
        return Outcome("refused", f"{type(err).__name__}: {err}")
    except Exception as err:   # anything else from the compiler or its code is a bug
        return Outcome("failed", f"{type(err).__name__}: {err}")
    return Outcome("passed")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=100)
    parser.add_argument("--start", type=int, default=0)
    options = parser.parse_args()
    counts: dict = {}
    for seed in range(options.start, options.start + options.seeds):
        outcome = check(seed)
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
        if outcome.status == "failed":
            print(f"seed {seed}: {outcome.detail.splitlines()[0]}\n{source(seed)}")
    print(counts)


if __name__ == "__main__":
    main()
