"""Random programs, second order: adcompiler's Hessians against torch.autograd.

The programs are those of tests/test_random_programs.py (its grammar, its
generator, its torch shims and its trust rules: an example torch cannot judge
is skipped, never passed). For each program `f(x, y)`, differentiated with
respect to both arguments, and a fixed direction `v = (vx, vy)`:

- `ad.hvp(f, wrt=(0, 1))((x, y), v)` equals torch.autograd.functional.hvp
  of the torch version of the same source (float64), and `ad.hvp(f)` (x
  alone) its d/dx block along (vx, 0);
- `ad.jvp(ad.grad(f, wrt=(0, 1)), wrt=(0, 1))((x, y), v)` gives the gradient
  and, as its tangent, the same Hessian-vector product (forward over reverse
  spelled out by hand, through the gradient's own generated code);
- `ad.hessian(f, wrt=(0, 1))(x, y)` equals torch.autograd.functional.hessian,
  every block (floats: 1x1 blocks; arrays: 3x3 blocks).

A program adcompiler refuses with one of its own exceptions (adcompiler.errors;
not InternalCompilerError or RuleDefinitionError) is allowed and counted; a wrong number, or
any other exception, is a bug. The committed property test runs a modest fixed
set of programs (derandomized); for many more, and a tally of the outcomes:

    python tests/test_random_programs_second_order.py --examples 3000

The shrunk programs it once found wrong run on their own as regressions.
"""

from __future__ import annotations

import collections
import sys
import traceback

import numpy as np
import pytest
import torch
import hypothesis
from hypothesis import given, note, settings
from torch.autograd import functional as torch_functional

import adcompiler as ad
from adcompiler.errors import AdError, InternalCompilerError, RuleDefinitionError
from test_random_programs import (
    LIMIT, SETTINGS, TORCH_MATH, TORCH_NP, describe, load_numpy_function, mismatch,
    programs, regression, torch_value_and_grads)

# Not parallel to any axis and different per entry, so that a swapped or
# transposed block, or a direction applied to the wrong argument, shows.
ARRAY_DIRECTIONS = (np.array([0.5, -0.25, 1.0]), np.array([-0.75, 0.3, 0.6]))
FLOAT_DIRECTIONS = (0.5, -0.25)


@pytest.fixture(scope="module")
def program_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("second_order_programs")


def directions_for(arrays: bool):
    return tuple(np.copy(d) for d in ARRAY_DIRECTIONS) if arrays else FLOAT_DIRECTIONS


# -- the torch oracle -----------------------------------------------------------

def torch_hvp_and_hessian(source: str, x, y, directions):
    """torch's H·v (one block per argument), its d/dx block along x alone
    (H_xx vx), and the Hessian (nested blocks) of f."""
    namespace = {"np": TORCH_NP, "math": TORCH_MATH}
    exec(compile(source, "<torch oracle>", "exec"), namespace)

    def function(a, b):
        out = namespace["f"](a, b)
        # A path returning a Python constant: torch's functional API wants a tensor.
        return out if isinstance(out, torch.Tensor) else torch.tensor(float(out),
                                                                      dtype=torch.float64)
    inputs = tuple(torch.tensor(v, dtype=torch.float64) for v in (x, y))
    vectors = tuple(torch.tensor(d, dtype=torch.float64) for d in directions)
    _, product = torch_functional.hvp(function, inputs, vectors)
    _, (along_x, _) = torch_functional.hvp(function, inputs,
                                           (vectors[0], torch.zeros_like(vectors[1])))
    hessian = torch_functional.hessian(function, inputs)
    as_numpy = lambda t: t.detach().numpy()  # noqa: E731
    return (tuple(as_numpy(p) for p in product), as_numpy(along_x),
            tuple(tuple(as_numpy(block) for block in row) for row in hessian))


# -- the property ---------------------------------------------------------------

class Refused(Exception):
    """adcompiler refused the program with one of its own exceptions."""


def run(what: str, context: str, function, *args):
    """function(*args); an AdError becomes Refused, any other exception an
    AssertionError (raised outside the `except`, so that hypothesis sees the
    same failure on every example of a kind, not the generated code's lines)."""
    try:
        return function(*args)
    except AdError as err:
        if isinstance(err, (InternalCompilerError, RuleDefinitionError)):
            problem = f"{what} raised {type(err).__name__}: {err}"
        else:
            refusal = Refused(f"{what}: {type(err).__name__}: {str(err).splitlines()[0]}")
            problem = None
    except Exception as err:
        lines = traceback.format_exception(type(err), err, err.__traceback__)
        problem = f"{what} raised:\n" + "".join(lines[-4:])
    if problem is None:
        raise refusal
    raise AssertionError(problem + context)


def check_second_order_against_torch(program, directory) -> str:
    """The property; returns "checked", "refused" or "untrusted" (torch cannot
    judge the example). Each kind of failure is raised from a line of its own."""
    arrays, source, x, y = program
    expected_value, expected_dx, expected_dy, trusted = torch_value_and_grads(source, x, y)
    if not trusted:
        return "untrusted"
    directions = directions_for(arrays)
    expected_product, expected_along_x, expected_hessian = torch_hvp_and_hessian(
        source, x, y, directions)
    largest = max(float(np.max(np.abs(block))) for block in
                  (*expected_product, *(b for row in expected_hessian for b in row)))
    if not np.isfinite(largest) or largest > LIMIT:
        return "untrusted"
    arguments = (lambda: (np.copy(x), np.copy(y))) if arrays else (lambda: (x, y))
    f = load_numpy_function(source, directory)
    try:
        context = describe(source, x, y)
        product = run("the hvp", context,
                      lambda: ad.hvp(f, wrt=(0, 1))(arguments(), directions))
        along_x = run("the hvp in x", context, lambda: ad.hvp(f)(arguments(), directions[:1]))
        gradient, tangent = run("jvp(grad(f))", context, lambda: ad.jvp(
            ad.grad(f, wrt=(0, 1)), wrt=(0, 1))(arguments(), directions))
        hessian = run("the hessian", context, lambda: ad.hessian(f, wrt=(0, 1))(*arguments()))
    except Refused as refusal:
        note(f"refused: {refusal}")
        REFUSALS[str(refusal).split(":")[0] + ": " + str(refusal).split(":")[1].strip()] += 1
        return "refused"

    for label, got, expected in zip("xy", product, expected_product):
        problem = mismatch(got, expected)
        if problem:
            raise AssertionError(f"the hvp's d/d{label} block differs from torch: {problem}"
                                 + describe(source, x, y))
    problem = mismatch(along_x, expected_along_x)
    if problem:
        raise AssertionError(f"the hvp in x alone (wrt=0) differs from torch: {problem}"
                             + describe(source, x, y))
    for label, got, expected in zip("xy", gradient, (expected_dx, expected_dy)):
        problem = mismatch(got, expected)
        if problem:
            raise AssertionError(f"jvp(grad(f))'s gradient d/d{label} differs from torch: "
                                 f"{problem}" + describe(source, x, y))
    for label, got, expected in zip("xy", tangent, product):
        problem = mismatch(got, expected)
        if problem:
            raise AssertionError(f"jvp(grad(f))'s tangent, d/d{label} block, is not the hvp: "
                                 f"{problem}" + describe(source, x, y))
    for i, (row, expected_row) in enumerate(zip(hessian, expected_hessian)):
        for j, (got, expected) in enumerate(zip(row, expected_row)):
            problem = mismatch(got, expected)
            if problem:
                raise AssertionError(f"the Hessian's block d2f/d{'xy'[i]}d{'xy'[j]} differs "
                                     f"from torch: {problem}" + describe(source, x, y))
    return "checked"


# The outcomes of the property test's examples, for the judged-enough check,
# and the refusals (which call, which exception) of every example run.
OUTCOMES: collections.Counter = collections.Counter()
REFUSALS: collections.Counter = collections.Counter()


@settings(max_examples=30, **SETTINGS)
@given(program=programs(control_flow=True))
def test_second_derivatives_of_random_programs_match_torch(program, program_dir):
    note(program[1])
    OUTCOMES[check_second_order_against_torch(program, program_dir)] += 1


def test_most_random_programs_are_checked_not_refused():
    """A grammar whose programs adcompiler mostly refused at second order, or
    torch mostly could not judge, would check nothing."""
    if not OUTCOMES:
        pytest.skip("runs after the property test, in the same session")
    assert OUTCOMES["checked"] >= 0.75 * sum(OUTCOMES.values()), dict(OUTCOMES)


# -- regressions ----------------------------------------------------------------

def with_helper(arrays: bool, helper: str, *lines: str):
    """A fixed example whose `f` calls a module-level helper (its source)."""
    _, body, x, y = regression(arrays, *lines)
    return arrays, helper + "\n\n" + body, x, y


# Programs the sweep once found wrong, shrunk (see the module docstring).
REGRESSIONS = {
    # A helper looping over a range and reading its index: the helper's adjoint
    # pops the range and loops over `_range[::-1]`; forward mode took the
    # popped range for active and sliced its zero tangent, a float (TypeError).
    "helper-loop-reading-its-index": with_helper(
        True, "def h(a, b):\n    items = [b]\n    for j in range(2):\n"
              "        a = np.tanh(b * j + a)\n        items.append(a)\n    return items\n",
        "v0 = sum(h(x, y))", "return np.sum(v0)"),
    "helper-loop-reading-its-index-floats": with_helper(
        False, "def h(a, b):\n    for j in range(2):\n        a = a * j + b * a\n"
               "    return a\n",
        "return h(x, y) * x"),
}


@pytest.mark.parametrize("program", REGRESSIONS.values(), ids=REGRESSIONS.keys())
def test_second_order_regressions_match_torch(program, program_dir):
    assert check_second_order_against_torch(program, program_dir) == "checked"


def writes_into_its_argument(x):
    x[x > 0.0] = 0.25
    return np.sum(x * x * x)


def test_hessian_of_a_function_writing_into_its_argument_matches_torch():
    """Found by the second-order sweep over tests/mutation_generator.py's
    programs: ad.hessian (and the reverse-mode jacobian) ran the function on
    the caller's arguments, to check it is not stateful, so the columns after
    it were taken at the changed point (a wrong Hessian) or the check refused."""
    x = np.array([1.5, -0.5, 0.25, -2.0])
    given = x.copy()

    def twin(t):
        t = t.clone()
        t[t > 0.0] = 0.25
        return (t * t * t).sum()
    expected = torch_functional.hessian(twin, torch.tensor(x)).numpy()
    assert mismatch(ad.hessian(writes_into_its_argument)(x), expected) is None
    assert np.array_equal(x, given), "the caller's argument was changed"
    gradient = torch.func.grad(twin)(torch.tensor(x)).numpy()
    assert mismatch(ad.jacobian(writes_into_its_argument)(x), gradient) is None
    assert np.array_equal(x, given), "the caller's argument was changed"


# -- the sweep ------------------------------------------------------------------

def sweep(examples: int, directory, control_flow: bool = True, seed: int | None = None) -> dict:
    """Runs `examples` derandomized programs without stopping at a failure;
    returns the outcome tally and, per failure kind (its first line), the
    failures, smallest program first."""
    tally: collections.Counter = collections.Counter()
    failures: dict = collections.defaultdict(list)
    REFUSALS.clear()

    # Without a seed, the property test's own sequence of programs (and more).
    chosen = {**SETTINGS, "phases": SETTINGS["phases"][:2], "derandomize": seed is None}

    @settings(max_examples=examples, **chosen)
    @given(program=programs(control_flow=control_flow))
    def one(program):
        try:
            outcome = check_second_order_against_torch(program, directory)
        except AssertionError as err:
            text = str(err)
            failures[text.splitlines()[0][:120]].append((len(program[1]), text))
            outcome = "failed"
            print(f"--- failure {sum(map(len, failures.values()))}: {text}", flush=True)
        tally[outcome] += 1

    (one if seed is None else hypothesis.seed(seed)(one))()
    return {"tally": tally, "failures": failures, "refusals": REFUSALS}


if __name__ == "__main__":
    import argparse
    import pathlib
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=1000)
    parser.add_argument("--straight-line", action="store_true")
    parser.add_argument("--seed", type=int, default=None,
                        help="another sequence of programs than the test's")
    options = parser.parse_args()
    sys.setrecursionlimit(10000)
    result = sweep(options.examples, pathlib.Path(tempfile.mkdtemp()),
                   control_flow=not options.straight_line, seed=options.seed)
    print("outcomes:", dict(result["tally"]))
    print("refusals:", dict(result["refusals"]))
    for kind, cases in sorted(result["failures"].items(), key=lambda kv: -len(kv[1])):
        cases.sort()
        print(f"\n=== {len(cases)} x {kind}\n{cases[0][1]}")
