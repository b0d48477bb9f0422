"""How does adcompiler fare on other projects' test suites?

Loads, at run time, the test code of two other automatic-differentiation
projects from local mirrors (nothing of theirs is copied into this repository)
and differentiates what they differentiate with adcompiler:

* Tangent (google/tangent): the zoo of small functions in tests/functions.py,
  each called with arguments chosen from its parameter names, as Tangent's own
  conftest does (a, b, c scalars; n a small integer; x a vector; sqm a square
  matrix; a few multi-argument functions get arguments of their own here).
* autograd (HIPS/autograd): its test modules run as they are, with `autograd`
  replaced by a stand-in package whose `grad`, `check_grads`, `combo_check`,
  `value_and_grad`, `jacobian`, `hessian`, ... call adcompiler, and whose
  `autograd.numpy` is NumPy itself. A NumPy function checked directly
  (`unary_ufunc_check(np.sin)`, `stat_check(np.max)`) is called from a
  one-line function written here for each call form (`def call_form(x0):
  return TARGET(x0, axis=0, keepdims=True)`), since adcompiler reads source.

Every derivative is compared with central finite differences at two step
sizes (a point where the two disagree is a kink, reported as such): reverse
mode through the dot-product identity <v, J u> = <J^T v, u>, forward mode
J u, and, for a real scalar function, the Hessian-vector product against
differences of the gradient. The arguments are also checked to be unchanged.

Each check is one of

    passed     every derivative agreed
    refused    an adcompiler error (AdError): fine, listed by kind
    WRONG      a derivative or value disagreed, or an argument was changed
    crash      any other exception from adcompiler or the code it generated
    n/a        the test needs something of autograd's own (boxes, primitive,
               defvjp, ...) or the function itself fails in plain NumPy

Run by hand (not part of CI; the mirrors are not in the repository):

    python tests/foreign_suites_survey.py \\
        --tangent /work/.mirror/google+tangent/repo \\
        --autograd /work/.mirror/HIPS+autograd/repo [--verbose] [--only NAME]

A mirror is a bare git directory (read with `git show HEAD:<file>`) or a
checkout.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import copy
import functools
import importlib
import inspect
import itertools
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import traceback
import types
import warnings

import numpy as np

import adcompiler as ad
from adcompiler.errors import AdError, InternalCompilerError

ADCOMPILER_DIR = str(pathlib.Path(ad.__file__).parent)
STATUS_ORDER = ("WRONG", "crash", "convention", "refused", "n/a", "passed")

# Read by a person, each once: what a check's verdict means for these tests.
# 'convention': adcompiler's documented choice differs from the finite differences
# of NumPy's function (shown apart from WRONG, with the reason); 'n/a': the test
# itself relies on autograd's boxes.
REVIEWED = {
    "test_linalg::test_eigvalh_lower_broadcasting": (
        "convention", "eigh at a symmetric stack, perturbed in unsymmetric directions: "
        "NumPy reads the lower triangle, adcompiler's derivative is torch's symmetric one "
        "(docs/derivatives.md); they agree along symmetric perturbations"),
    "test_linalg::test_eigvalh_upper_broadcasting": (
        "convention", "as test_eigvalh_lower_broadcasting, for UPLO='U'"),
    "test_numpy::test_scalar_array_box_attributes": (
        "n/a", "x.shape of a Python float raises AttributeError in NumPy too (autograd "
        "boxes the float as a 0-d array)"),
}
SMALL_STEP, LARGE_STEP = 1e-6, 1e-5


# --------------------------------------------------------------------------
# Reading a mirror
# --------------------------------------------------------------------------

def read_mirror_file(mirror: str, path: str) -> str:
    """The text of `path` in a checkout or a bare git directory."""
    checkout = pathlib.Path(mirror) / path
    if checkout.is_file():
        return checkout.read_text()
    result = subprocess.run(["git", f"--git-dir={mirror}", "show", f"HEAD:{path}"],
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise FileNotFoundError(f"{path} not found in the mirror {mirror}: "
                                f"{result.stderr.strip()}")
    return result.stdout


def require_mirror(mirror: str, probe: str, project: str) -> None:
    if not os.path.exists(mirror):
        sys.exit(f"foreign_suites_survey: the {project} mirror {mirror!r} does not exist. "
                 f"Fetch {project} (a bare git dir or a checkout) and pass its path.")
    try:
        read_mirror_file(mirror, probe)
    except FileNotFoundError as err:
        sys.exit(f"foreign_suites_survey: {err}")


# --------------------------------------------------------------------------
# Values as trees of leaves
# --------------------------------------------------------------------------

def is_differentiable_leaf(value) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (float, complex)):
        return True
    return isinstance(value, (np.ndarray, np.floating, np.complexfloating)) and \
        np.asarray(value).dtype.kind in "fc"


def leaves(tree) -> list:
    if isinstance(tree, (tuple, list)):
        return [leaf for item in tree for leaf in leaves(item)]
    if isinstance(tree, dict):
        return [leaf for key in tree for leaf in leaves(tree[key])]
    return [tree]


def rebuild(tree, new_leaves: list):
    """`tree` with its leaves replaced, in order, by `new_leaves` (consumed)."""
    if isinstance(tree, (tuple, list)):
        items = [rebuild(item, new_leaves) for item in tree]
        if hasattr(tree, "_fields"):
            return type(tree)(*items)
        return type(tree)(items)
    if isinstance(tree, dict):
        return type(tree)((key, rebuild(tree[key], new_leaves)) for key in tree)
    return new_leaves.pop(0)


def random_like(leaf, rng):
    shape = np.shape(leaf)
    value = rng.standard_normal(shape)
    if np.iscomplexobj(leaf):
        value = value + 1j * rng.standard_normal(shape)
    if not shape and isinstance(leaf, (float, complex)):
        return complex(value) if np.iscomplexobj(leaf) else float(value)
    return np.asarray(value)


def real_inner(a_leaves, b_leaves) -> float:
    """Re <a, b> summed over leaves."""
    return float(sum(np.real(np.vdot(np.asarray(a, dtype=complex).ravel(),
                                      np.asarray(b, dtype=complex).ravel()))
                     for a, b in zip(a_leaves, b_leaves)))


def close(computed, expected, rtol=2e-5, atol=1e-7) -> bool:
    computed, expected = np.asarray(computed, dtype=complex), np.asarray(expected, dtype=complex)
    if computed.shape != expected.shape and computed.size != expected.size:
        return False
    computed, expected = computed.ravel(), expected.ravel()
    both_nan = np.isnan(computed) & np.isnan(expected)
    both_inf = np.isinf(computed) & (computed == expected)
    keep = ~(both_nan | both_inf)
    computed, expected = computed[keep], expected[keep]
    if not np.all(np.isfinite(computed)) or not np.all(np.isfinite(expected)):
        return False
    scale = max(np.linalg.norm(expected), np.linalg.norm(computed), 1.0)
    return np.linalg.norm(computed - expected) <= rtol * scale + atol


def same_value(a, b) -> bool:
    la, lb = leaves(a), leaves(b)
    if len(la) != len(lb):
        return False
    for x, y in zip(la, lb):
        try:
            if not np.array_equal(np.asarray(x), np.asarray(y), equal_nan=True):
                return False
        except TypeError:
            if x is not y and x != y:
                return False
    return True


# --------------------------------------------------------------------------
# One check: a function, its arguments, the positions differentiated
# --------------------------------------------------------------------------

class Outcome:
    def __init__(self, status, detail=""):
        self.status, self.detail = status, detail

    def __repr__(self):
        return f"{self.status}: {self.detail}"


class ShimUnsupported(Exception):
    """A test used a part of autograd's API the stand-in does not model."""


def classify_exception(err: BaseException) -> Outcome:
    if isinstance(err, InternalCompilerError):
        return Outcome("crash", f"InternalCompilerError: {first_line(err)}")
    if isinstance(err, AdError):
        return Outcome("refused", f"{type(err).__name__}: {first_line(err)}")
    if isinstance(err, ShimUnsupported):
        return Outcome("n/a", f"autograd-specific: {err}")
    frames = traceback.extract_tb(err.__traceback__)
    ours = [f for f in frames if f.filename.startswith(ADCOMPILER_DIR)
            or "adcompiler" in f.filename and "generated" in f.filename
            or f.filename.startswith("<adcompiler")]
    where = f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "?"
    if ours:
        return Outcome("crash", f"{type(err).__name__}: {first_line(err)} (at {where})")
    return Outcome("crash?", f"{type(err).__name__}: {first_line(err)} (at {where})")


def first_line(err) -> str:
    text = str(err).strip().splitlines()
    return text[0][:200] if text else ""


def finite_difference(fn, args, kwargs, positions, direction, step, one_sided=False):
    """(f(x + h u) - f(x - h u)) / 2h over output leaves, u on `positions`."""
    scale = max([1.0] + [float(np.max(np.abs(leaf))) if np.size(leaf) else 1.0
                         for position in positions for leaf in leaves(args[position])
                         if is_differentiable_leaf(leaf)])
    h = step * scale

    def shifted(sign):
        moved = list(copy.deepcopy(args))
        for position, tangent in zip(positions, direction):
            new = [leaf + sign * h * t if is_differentiable_leaf(leaf) else leaf
                   for leaf, t in zip(leaves(moved[position]), leaves(tangent))]
            moved[position] = rebuild(moved[position], new)
        return leaves(fn(*moved, **kwargs))
    plus, minus = shifted(1.0), shifted(-1.0)
    central = [(np.asarray(p, dtype=complex) - np.asarray(m, dtype=complex)) / (2 * h)
               for p, m in zip(plus, minus)]
    if one_sided:
        middle = leaves(fn(*copy.deepcopy(args), **kwargs))
        ahead = [(np.asarray(p, dtype=complex) - np.asarray(c, dtype=complex)) / h
                 for p, c in zip(plus, middle)]
        behind = [(np.asarray(c, dtype=complex) - np.asarray(m, dtype=complex)) / h
                  for c, m in zip(middle, minus)]
        return central, ahead, behind
    return central


def differences(fn, args, kwargs, positions, direction):
    """Central differences at two step sizes, or None where they disagree (a kink)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        small, ahead, behind = finite_difference(fn, args, kwargs, positions, direction,
                                                 SMALL_STEP, one_sided=True)
        large, large_ahead, large_behind = finite_difference(
            fn, args, kwargs, positions, direction, LARGE_STEP, one_sided=True)
    # One-sided differences differ by about h f'' where f is smooth, so the gap
    # shrinks with the step; at a kink it stays.
    smooth = all(close(a, b, rtol=1e-3, atol=1e-5) or
                 np.linalg.norm(np.asarray(a) - b) < 0.3 * np.linalg.norm(np.asarray(la) - lb)
                 for a, b, la, lb in zip(ahead, behind, large_ahead, large_behind))
    if smooth and all(close(s, l_, rtol=1e-3, atol=1e-5) for s, l_ in zip(small, large)):
        return small
    return None


def zero_tangent_for(leaf):
    return np.zeros_like(np.asarray(leaf, dtype=float)) if not is_differentiable_leaf(leaf) \
        else leaf * 0


def check_function(fn, args, kwargs=None, positions=None, order=2, modes=("rev", "fwd"),
                   seed=0) -> list:
    """Outcomes of adcompiler's derivatives of fn at args against finite differences."""
    kwargs = kwargs or {}
    rng = np.random.default_rng(seed)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = fn(*copy.deepcopy(args), **kwargs)
    except Exception as err:   # noqa: BLE001 - the function itself fails in NumPy
        # (or fn is a derivative adcompiler made, grad(f) checked again: its error is ours)
        outcome = classify_exception(err)
        if outcome.status != "crash?":
            outcome.detail = f"calling it: {outcome.detail}"
            return [outcome]
        return [Outcome("n/a", f"the function raises in NumPy: {type(err).__name__}: "
                        f"{first_line(err)}")]
    if positions is None:
        positions = tuple(i for i, a in enumerate(args)
                          if any(is_differentiable_leaf(leaf) for leaf in leaves(a)))
    positions = tuple(p for p in positions
                      if any(is_differentiable_leaf(leaf) for leaf in leaves(args[p])))
    out_leaves = leaves(value)
    if not positions:
        return [Outcome("n/a", "no floating-point argument to differentiate")]
    if not all(isinstance(leaf, (int, float, complex, np.ndarray, np.generic))
               for leaf in out_leaves):
        return [Outcome("n/a", f"result of type {type(value).__name__} is not numeric")]
    if any(np.asarray(leaf).dtype.kind not in "biufc" for leaf in out_leaves):
        return [Outcome("n/a", "result is not numeric")]
    direction = tuple(rebuild(args[p], [random_like(leaf, rng) if is_differentiable_leaf(leaf)
                                        else zero_tangent_for(leaf)
                                        for leaf in leaves(args[p])])
                      for p in positions)
    wrt = positions if len(positions) > 1 else positions[0]
    try:
        expected = differences(fn, args, kwargs, positions, direction)
    except Exception as err:   # noqa: BLE001 - the function fails near the point
        return [Outcome("n/a", f"the function raises near this point in NumPy: "
                        f"{type(err).__name__}: {first_line(err)}")]
    if expected is None:
        return [Outcome("n/a", "finite differences disagree at this point (a kink)")]
    outcomes = []
    real_scalar = (len(out_leaves) == 1 and not isinstance(value, (tuple, list, dict))
                   and np.ndim(value) == 0 and np.asarray(value).dtype.kind == "f")
    all_real = all(np.asarray(leaf).dtype.kind != "c"
                   for p in positions for leaf in leaves(args[p]))

    def guarded(label, run):
        before = copy.deepcopy(args)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = run()
        except Exception as err:   # noqa: BLE001 - classified
            outcome = classify_exception(err)
            if outcome.status == "crash?":
                outcome.status = "crash"
            outcome.detail = f"{label}: {outcome.detail}"
            outcomes.append(outcome)
            return
        if not same_value(before, args):
            outcomes.append(Outcome("WRONG", f"{label}: changed its argument in place"))
            return
        problem = result
        outcomes.append(Outcome("passed", label) if problem is None
                        else Outcome("WRONG", f"{label}: {problem}"))

    def gradient_leaves(result):
        parts = result if len(positions) > 1 else (result,)
        return [leaf for part in parts for leaf in leaves(part)]

    def check_reverse():
        if real_scalar:
            result = ad.grad(fn, wrt=wrt)(*copy.deepcopy(args), **kwargs)
            seed_leaves = [1.0]
        else:
            seed = rebuild(value, [random_like(np.asarray(leaf, dtype=float)
                                               if np.asarray(leaf).dtype.kind in "biu"
                                               else leaf, rng) for leaf in out_leaves])
            result = ad.vjp(fn, wrt=wrt)(tuple(copy.deepcopy(args)), seed, **kwargs)
            seed_leaves = leaves(seed)
        got_leaves = gradient_leaves(result)
        want_leaves = [leaf for p in positions for leaf in leaves(args[p])]
        if len(got_leaves) != len(want_leaves):
            return f"gradient has {len(got_leaves)} leaves, arguments {len(want_leaves)}"
        for got, want in zip(got_leaves, want_leaves):
            if is_differentiable_leaf(want) and np.shape(got) != np.shape(want):
                return f"gradient shaped {np.shape(got)}, argument {np.shape(want)}"
        exact = real_inner(got_leaves, [t for d in direction for t in leaves(d)])
        numeric = real_inner(seed_leaves, expected)
        if not close(exact, numeric):
            return f"<J^T v, u> = {exact!r}, finite differences {numeric!r}"
        return None

    def check_forward():
        out, tangent = ad.jvp(fn, wrt=wrt)(tuple(copy.deepcopy(args)), direction, **kwargs)
        if not same_value(np.asarray(leaves(out)[0]).shape, np.asarray(out_leaves[0]).shape) \
                or not all(close(a, b, rtol=1e-9, atol=1e-12) for a, b in
                           zip(leaves(out), out_leaves)):
            return f"jvp's value {out!r} differs from f's {value!r}"
        got = leaves(tangent)
        if len(got) != len(expected):
            return f"tangent has {len(got)} leaves, result {len(expected)}"
        for g, e, primal in zip(got, expected, out_leaves):
            if np.asarray(primal).dtype.kind in "biu":
                continue
            if np.iscomplexobj(g) or np.iscomplexobj(primal):
                if not close(g, e):
                    return f"J u = {g!r}, finite differences {e!r}"
            elif not close(g, np.real(e)):
                return f"J u = {g!r}, finite differences {np.real(e)!r}"
        return None

    def check_hessian():
        gradient = ad.grad(fn, wrt=wrt)
        product = ad.hvp(fn, wrt=wrt)(tuple(copy.deepcopy(args)), direction, **kwargs)

        def gradient_fn(*moved, **keywords):
            return gradient(*moved, **keywords)
        numeric = differences(gradient_fn, args, kwargs, positions, direction)
        if numeric is None:
            return None   # the gradient has a kink here: nothing to compare
        got = gradient_leaves(product)
        if len(got) != len(numeric):
            return f"H v has {len(got)} leaves, gradient {len(numeric)}"
        for g, e in zip(got, numeric):
            if not close(g, np.real(e), rtol=1e-4, atol=1e-6):
                return f"H v = {g!r}, differences of the gradient {np.real(e)!r}"
        return None

    if "rev" in modes:
        guarded("reverse", check_reverse)
    if "fwd" in modes:
        guarded("forward", check_forward)
    if order > 1 and real_scalar and all_real and "rev" in modes:
        if outcomes and outcomes[0].status == "passed":
            guarded("hessian", check_hessian)
    elif (order > 1 and all_real and "rev" in modes and SCALARIZERS is not None and
          outcomes and all(o.status == "passed" for o in outcomes) and
          all(np.asarray(leaf).dtype.kind == "f" for leaf in out_leaves)):
        # Second order of a function with a non-scalar result, as autograd's
        # check_grads does it: the Hessian of <w, f(x)> for a fixed random w,
        # written as a function that calls f (a user function, so its own
        # derivative code is what is differentiated twice).
        weights = rebuild(value, [random_like(leaf, rng) for leaf in out_leaves])
        scalarized = SCALARIZERS.make(fn, len(args), weights)
        outcomes.extend(check_function(scalarized, args, kwargs, positions, order=2,
                                       modes=("rev",), seed=seed + 1)[1:])
    return outcomes


class Scalarizers:
    """`def scalarized_N(x0, x1): return weighted_sum(WEIGHTS, TARGET(x0, x1))`
    in a module file of its own per function, weighted_sum a sum of products
    of the result's leaves with fixed weights."""

    def __init__(self, directory: pathlib.Path):
        self.directory, self.count = directory, 0

    def make(self, target, nargs: int, weights):
        self.count += 1
        name = f"scalarized_{self.count}"
        params = ", ".join(f"x{i}" for i in range(nargs))
        n_leaves = len(leaves(weights))
        if isinstance(weights, (tuple, list)) and n_leaves == len(weights):
            terms = " + ".join(f"np.sum(WEIGHTS[{i}] * out[{i}])" for i in range(n_leaves))
        elif isinstance(weights, dict):
            terms = " + ".join(f"np.sum(WEIGHTS[{k!r}] * out[{k!r}])" for k in weights)
        else:
            terms = "np.sum(WEIGHTS * out)"
        text = (f"import numpy as np\n\nTARGET = WEIGHTS = None\n\n\ndef {name}({params}, **keywords):\n"
                f"    out = TARGET({params}, **keywords)\n    return {terms}\n")
        (self.directory / f"{name}.py").write_text(text)
        module = importlib.import_module(name)
        module.TARGET, module.WEIGHTS = target, weights
        return getattr(module, name)


SCALARIZERS = None   # a Scalarizers, set by main


LIST_VARIANTS = False   # --list-arguments: also pass each float array as a Python list


def check_with_list_variants(fn, args, kwargs=None, positions=None, **options) -> list:
    """check_function, and with --list-arguments again with each 1-d or 2-d float
    array argument as the nested Python list NumPy takes in its place."""
    outcomes = check_function(fn, args, kwargs, positions, **options)
    if not LIST_VARIANTS:
        return outcomes
    listed = tuple(a.tolist() if isinstance(a, np.ndarray) and a.dtype.kind == "f"
                   and 1 <= a.ndim <= 2 and a.size > 1 else a for a in args)
    if all(a is b for a, b in zip(listed, args)):
        return outcomes
    for outcome in check_function(fn, listed, kwargs, positions, **options):
        outcome.detail = f"(lists) {outcome.detail}"
        outcomes.append(outcome)
    return outcomes


def worst(outcomes, order=STATUS_ORDER) -> Outcome:
    if not outcomes:
        return Outcome("n/a", "nothing differentiated")
    return min(outcomes, key=lambda o: order.index(o.status))


# --------------------------------------------------------------------------
# Call forms: a NumPy callable (no Python source) called from a written function
# --------------------------------------------------------------------------

class CallForms:
    """One-line functions `def call_form(x0, x1): return TARGET(x0, x1, axis=0)`
    written to a module file, so adcompiler can read their source."""

    def __init__(self, directory: pathlib.Path):
        self.directory = directory
        self.cache = {}
        self.count = 0

    def make(self, target, args: tuple, kwargs: dict):
        """A function of len(args) parameters calling target with them; a text or
        integer argument (einsum's subscripts, an axis) is written into the call
        as the literal it is, as a user would write it."""
        nargs = len(args)
        literal = all(_is_literal(v) for v in kwargs.values())
        written = [repr(a) if isinstance(a, (str, int)) and not isinstance(a, bool)
                   else f"x{i}" for i, a in enumerate(args)]
        key = (id(target), tuple(written), repr(sorted(kwargs.items())) if literal else None)
        if key in self.cache and key[2] is not None:
            return self.cache[key][0], {}
        self.count += 1
        name = f"call_form_{self.count}"
        params = ", ".join(f"x{i}" for i in range(nargs))
        if literal:
            keywords = "".join(f", {k}={v!r}" for k, v in kwargs.items())
            remaining = {}
        else:
            keywords = "".join(f", {k}={k}" for k in kwargs)
            params += "".join(f", {k}=None" for k in kwargs)
            remaining = dict(kwargs)
        text = (f"TARGET = None\n\n\ndef {name}({params}):\n"
                f"    return TARGET({', '.join(written)}{keywords})\n")
        path = self.directory / f"{name}.py"
        path.write_text(text)
        module = importlib.import_module(name)
        module.TARGET = target
        function = getattr(module, name)
        self.cache[key] = (function, module)
        return function, remaining


def _is_literal(value) -> bool:
    if value is None or isinstance(value, (bool, int, float, str)):
        return True
    if isinstance(value, tuple):
        return all(_is_literal(v) for v in value)
    return False


def has_python_source(fn) -> bool:
    if isinstance(fn, functools.partial):
        return has_python_source(fn.func)
    # (a derivative adcompiler returned holds the generated function it runs)
    return isinstance(fn, types.FunctionType) or \
        getattr(type(fn), "__adcompiler_transparent__", False)


# --------------------------------------------------------------------------
# Tangent's zoo of functions
# --------------------------------------------------------------------------

def tangent_stub() -> types.ModuleType:
    """The few names of tangent that tests/functions.py imports, written plainly."""
    module = types.ModuleType("tangent")

    class Stack:
        def __init__(self):
            self.items = []

    def push(stack, value, op_id):
        stack.items.append(value)

    def pop(stack, op_id):
        return stack.items.pop()

    @contextlib.contextmanager
    def insert_grad_of(value):
        yield None

    module.Stack, module.push, module.pop = Stack, push, pop
    module.insert_grad_of = insert_grad_of
    module.trace = lambda fn: fn
    return module


def tangent_arguments(name: str, parameters: list[str], rng) -> list[tuple] | None:
    """Argument tuples for one of Tangent's functions, from its parameter names."""
    special = {
        "logistic_regression": lambda: [(rng.random(3), np.eye(5)[1], rng.standard_normal((3, 5)),
                                         rng.standard_normal(5))],
        "rnn": lambda: [(rng.standard_normal((3, 2)), rng.standard_normal((2, 3)))],
        "bilinear": lambda: [(rng.standard_normal((1, 3)), rng.standard_normal((1, 3)),
                              rng.standard_normal((3, 3)), rng.standard_normal((3, 3)),
                              rng.standard_normal((1, 3)))],
        "passthru_pack": lambda: [(0.5, 1.5, -0.7, i) for i in range(3)],
        "listcomp": lambda: [(rng.standard_normal(4),)],
        "extended_slice": lambda: [(rng.standard_normal(6),), (rng.standard_normal((4, 3)),)],
    }
    if name in special:
        return special[name]()
    scalars = [-1.5, -0.6, 0.3, 0.8, 1.7]
    choices = {
        "a": scalars, "b": scalars, "c": scalars,
        "n": [1, 2, 3],
        "x": [rng.standard_normal(3), rng.standard_normal(5)],
        "sqm": [rng.standard_normal((1, 1)), rng.standard_normal((3, 3))],
        "abc_packed_in_tuple": [(0.5, 1.5, -0.7), (-1.2, 0.4, 2.0)],
        "val": [{"a": 0.5, "b": 1.5, "c": -0.7}],
        "p": [{"i": {"j": 0.6, "k": -1.3}}],
    }
    if not parameters or any(p not in choices for p in parameters):
        return None
    if len(parameters) == 1:
        return [(v,) for v in choices[parameters[0]]]
    # Pairs and triples: a few combinations of distinct values (a == b is where
    # a branch like `if a > b` switches).
    combos = [c for c in itertools.product(*(choices[p] for p in parameters))
              if len({v for v in c if isinstance(v, float)}) ==
              len([v for v in c if isinstance(v, float)])]
    return combos[:: max(1, len(combos) // 6)]


def survey_tangent(mirror: str, workdir: pathlib.Path, only: str | None, verbose: bool):
    text = read_mirror_file(mirror, "tests/functions.py")
    (workdir / "tangent_functions.py").write_text(text)
    sys.modules["tangent"] = tangent_stub()
    module = importlib.import_module("tangent_functions")
    rng = np.random.default_rng(0)
    results = {}
    for name, fn in list(vars(module).items()):
        if not isinstance(fn, types.FunctionType) or fn.__module__ != module.__name__:
            continue
        if only and only not in name:
            continue
        if "tf." in inspect.getsource(fn):
            results[name] = [Outcome("n/a", "TensorFlow")]
            continue
        parameters = list(inspect.signature(fn).parameters)
        arguments = tangent_arguments(name, parameters, rng)
        if arguments is None:
            results[name] = [Outcome("n/a", f"no argument rule for {parameters}")]
            continue
        outcomes = []
        for args in arguments:
            for outcome in check_with_list_variants(fn, args, seed=len(outcomes)):
                outcome.detail = f"{outcome.detail} at {_short(args)}"
                outcomes.append(outcome)
        results[name] = outcomes
        if verbose:
            print(f"tangent {name}: {worst(outcomes)}", flush=True)
    return results


def _short(args) -> str:
    text = repr(tuple(np.round(a, 3) if isinstance(a, np.ndarray) else a for a in args))
    return text if len(text) < 120 else text[:117] + "..."


# --------------------------------------------------------------------------
# autograd's test modules, with autograd replaced by adcompiler
# --------------------------------------------------------------------------

class Recorder:
    """The outcomes of the checks made by the test that is running."""

    def __init__(self):
        self.outcomes = []


RECORDER = Recorder()


def _unsupported(name):
    def call(*args, **kwargs):
        raise ShimUnsupported(name)
    call.__name__ = name
    return call


def _source_function(fn, args, kwargs, forms: CallForms):
    """fn itself when adcompiler can read it, else a written call form."""
    if has_python_source(fn) and not isinstance(fn, functools.partial):
        return fn, kwargs
    if isinstance(fn, functools.partial) and has_python_source(fn.func) and not fn.args:
        return fn.func, {**fn.keywords, **kwargs}
    return forms.make(fn, args, kwargs)


def autograd_stub(forms: CallForms) -> dict[str, types.ModuleType]:
    """Modules standing in for autograd: NumPy for autograd.numpy, adcompiler's
    derivatives for its wrappers, plain Python for its builtins."""
    import scipy
    import scipy.signal
    import scipy.special
    import scipy.stats

    def as_positions(argnum):
        return tuple(argnum) if isinstance(argnum, (tuple, list)) else argnum

    def check_grads(fun, argnum=0, modes=None, order=2):
        def checked(*args, **kwargs):
            positions = argnum if isinstance(argnum, (tuple, list)) else (argnum,)
            target, keywords = _source_function(fun, args, kwargs, forms)
            RECORDER.outcomes.extend(check_with_list_variants(
                target, args, keywords, positions=tuple(positions), order=order,
                modes=tuple(modes or ("fwd", "rev")), seed=len(RECORDER.outcomes)))
        return checked

    def combo_check(fun, *check_args, **check_kwargs):
        def combos(*arg_lists, **kwarg_lists):
            keyed = [[(k, v) for v in values] for k, values in kwarg_lists.items()]
            for args in itertools.product(*arg_lists):
                for pairs in itertools.product(*keyed):
                    check_grads(fun, *check_args, **check_kwargs)(*args, **dict(pairs))
        return combos

    def derivative_of(kind):
        def wrapper(fun, argnum=0, **options):
            if has_python_source(fun) and not isinstance(fun, functools.partial):
                # adcompiler's own derivative: itself valid input (grad of grad).
                return getattr(ad, kind)(fun, wrt=as_positions(argnum), **options)

            def call(*args, **kwargs):
                target, keywords = _source_function(fun, args, kwargs, forms)
                derivative = getattr(ad, kind)(target, wrt=as_positions(argnum), **options)
                return derivative(*args, **keywords)
            return call
        # Called inside a function adcompiler differentiates (grad(fun)(x) in
        # d_fun), it stands for adcompiler's own builder, argnum for wrt, as
        # a user porting autograd code writes ad.grad(fun, wrt=argnum): say
        # so, or adcompiler cannot know what this wrapper builds.
        wrapper.__adcompiler_builder__ = (kind, {"argnum": "wrt"})
        return wrapper

    def elementwise_grad(fun, argnum=0):
        def call(*args, **kwargs):
            target, keywords = _source_function(fun, args, kwargs, forms)
            value = target(*copy.deepcopy(args), **keywords)
            return ad.vjp(target, wrt=argnum)(args, np.ones_like(value), **keywords)
        return call

    def make_vjp(fun, argnum=0):
        def at(*args, **kwargs):
            target, keywords = _source_function(fun, args, kwargs, forms)
            value = target(*copy.deepcopy(args), **keywords)
            product = ad.vjp(target, wrt=argnum)
            return (lambda seed: product(args, seed, **keywords)), value
        return at

    def make_jvp(fun, argnum=0):
        def at(*args, **kwargs):
            target, keywords = _source_function(fun, args, kwargs, forms)
            product = ad.jvp(target, wrt=argnum)
            return lambda tangent: product(args, (tangent,), **keywords)
        return at

    def holomorphic_grad(fun, argnum=0):
        def call(*args, **kwargs):
            target, keywords = _source_function(fun, args, kwargs, forms)
            return ad.grad(target, wrt=argnum, holomorphic=True)(*args, **keywords)
        return call

    def check_equivalent(x, y):
        x_leaves, y_leaves = leaves(x), leaves(y)
        assert len(x_leaves) == len(y_leaves), f"{len(x_leaves)} leaves against {len(y_leaves)}"
        for a, b in zip(x_leaves, y_leaves):
            assert np.shape(a) == np.shape(b), f"shape {np.shape(a)} against {np.shape(b)}"
            assert close(a, b, rtol=1e-6, atol=1e-8), f"{a!r} against {b!r}"

    def make_hvp(fun, argnum=0):
        def at(*args, **kwargs):
            target, keywords = _source_function(fun, args, kwargs, forms)
            product = ad.hvp(target, wrt=argnum)
            value = target(*copy.deepcopy(args), **keywords)
            return (lambda v: product(args, (v,), **keywords)), value
        return at

    def hessian_tensor_product(fun, argnum=0):
        def at(*args, **kwargs):
            *primals, v = args
            target, keywords = _source_function(fun, tuple(primals), kwargs, forms)
            return ad.hvp(target, wrt=argnum)(tuple(primals), (v,), **keywords)
        return at

    def tensor_jacobian_product(fun, argnum=0):
        def at(*args, **kwargs):
            *primals, v = args
            target, keywords = _source_function(fun, tuple(primals), kwargs, forms)
            return ad.vjp(target, wrt=argnum)(tuple(primals), v, **keywords)
        return at

    def grad_and_aux(fun, argnum=0):
        def call(*args, **kwargs):
            target, keywords = _source_function(fun, args, kwargs, forms)
            return ad.grad(target, wrt=argnum, has_aux=True)(*args, **keywords)
        return call

    def unary_to_nary(unary_operator):
        """autograd's wrap_util.unary_to_nary, for test_core: the unary function
        it builds carries the original function and argument position, which
        core_make_vjp below differentiates with adcompiler."""
        def nary_operator(fun, argnum=0, *op_args, **op_kwargs):
            def nary_f(*args, **kwargs):
                def unary_f(x):
                    moved = list(args)
                    moved[argnum] = x
                    return fun(*moved, **kwargs)
                unary_f.adcompiler_call = (fun, args, kwargs, argnum)
                return unary_operator(unary_f, args[argnum], *op_args, **op_kwargs)
            return nary_f
        return nary_operator

    def core_make_vjp(fun, x):
        if not hasattr(fun, "adcompiler_call"):
            raise ShimUnsupported("core.make_vjp of a function not built by unary_to_nary")
        original, args, kwargs, argnum = fun.adcompiler_call
        target, keywords = _source_function(original, args, kwargs, forms)
        value = target(*copy.deepcopy(args), **keywords)
        product = ad.vjp(target, wrt=argnum)
        return (lambda seed: product(tuple(args), seed, **keywords)), value

    top = types.ModuleType("autograd")
    top.grad = derivative_of("grad")
    top.grad.__name__ = "grad"
    top.deriv = top.grad
    top.value_and_grad = derivative_of("value_and_grad")
    top.jacobian = derivative_of("jacobian")
    top.hessian = derivative_of("hessian")
    top.elementwise_grad = elementwise_grad
    top.make_vjp = make_vjp
    top.make_jvp = make_jvp
    top.holomorphic_grad = holomorphic_grad
    top.isinstance, top.type = isinstance, type
    top.list, top.tuple, top.dict = list, tuple, dict
    top.make_hvp, top.grad_and_aux = make_hvp, grad_and_aux
    top.hessian_tensor_product = top.hessian_vector_product = hessian_tensor_product
    top.tensor_jacobian_product = top.vector_jacobian_product = tensor_jacobian_product
    for name in ("grad_named", "multigrad_dict", "checkpoint", "make_ggnvp", "primitive"):
        setattr(top, name, _unsupported(name))
    top.__getattr__ = lambda name: _unsupported(name)

    test_util = types.ModuleType("autograd.test_util")
    test_util.check_grads, test_util.combo_check = check_grads, combo_check
    test_util.check_equivalent = check_equivalent
    test_util.scalar_close = _unsupported("scalar_close")

    builtins_module = types.ModuleType("autograd.builtins")
    builtins_module.isinstance, builtins_module.type = isinstance, type
    builtins_module.list, builtins_module.tuple, builtins_module.dict = list, tuple, dict
    tracer = types.ModuleType("autograd.tracer")
    tracer.isbox = lambda value: False
    tracer.__getattr__ = lambda name: _unsupported(name)
    core = types.ModuleType("autograd.core")
    core.make_vjp = core_make_vjp
    core.__getattr__ = lambda name: _unsupported(name)
    others = {}
    for name in ("wrap_util", "extend", "misc", "misc.flatten", "misc.optimizers",
                 "numpy.numpy_boxes", "numpy.numpy_vspaces"):
        stub = types.ModuleType(f"autograd.{name}")
        stub.__getattr__ = (lambda module_name: lambda name: _unsupported(
            f"{module_name}.{name}"))(name)
        others[f"autograd.{name}"] = stub
    others["autograd.wrap_util"].unary_to_nary = unary_to_nary
    top.test_util, top.builtins, top.tracer, top.core = test_util, builtins_module, tracer, core
    top.numpy = np
    top.scipy = scipy
    return {"autograd": top, "autograd.test_util": test_util,
            "autograd.builtins": builtins_module, "autograd.tracer": tracer,
            "autograd.core": core, "autograd.numpy": np, "autograd.numpy.random": np.random,
            "autograd.numpy.linalg": np.linalg, "autograd.numpy.fft": np.fft,
            "autograd.scipy": scipy, "autograd.scipy.special": scipy.special,
            "autograd.scipy.stats": scipy.stats, "autograd.scipy.signal": scipy.signal,
            **others}


AUTOGRAD_FILES = ["test_scalar_ops", "test_numpy", "test_systematic", "test_linalg",
                  "test_graphs", "test_wrappers", "test_builtins", "test_dict", "test_list",
                  "test_tuple", "test_binary_ops", "test_fft", "test_direct", "test_core"]


def _parametrized(test):
    """(suffix, kwargs) for each case of a test's pytest.mark.parametrize marks."""
    cases = [("", {})]
    for mark in getattr(test, "pytestmark", []):
        if mark.name != "parametrize":
            continue
        names, values = mark.args[0], mark.args[1]
        names = [n.strip() for n in names.split(",")] if isinstance(names, str) else list(names)
        expanded = []
        for suffix, kwargs in cases:
            for index, value in enumerate(values):
                bound = dict(zip(names, value if len(names) > 1 else (value,)))
                expanded.append((f"{suffix}[{index}]", {**kwargs, **bound}))
        cases = expanded
    return cases


def survey_autograd(mirror: str, workdir: pathlib.Path, files, only: str | None,
                    verbose: bool):
    forms = CallForms(workdir)
    sys.modules.update(autograd_stub(forms))
    (workdir / "numpy_utils.py").write_text(read_mirror_file(mirror, "tests/numpy_utils.py"))
    results = collections.OrderedDict()
    for file in files:
        text = read_mirror_file(mirror, f"tests/{file}.py")
        module_name = f"autograd_{file}"
        (workdir / f"{module_name}.py").write_text(text)
        np.random.seed(42)
        try:
            module = importlib.import_module(module_name)
        except Exception as err:   # noqa: BLE001 - reported
            results[f"{file}"] = [Outcome("n/a", f"module does not import: {err!r}")]
            continue
        for name, test in list(vars(module).items()):
            if not name.startswith("test_") or not isinstance(test, types.FunctionType):
                continue
            if test.__module__ != module.__name__:
                continue
            if only and only not in f"{file}::{name}":
                continue
            for suffix, kwargs in _parametrized(test):
                label = f"{file}::{name}{suffix}"
                results[label] = run_autograd_test(test, kwargs)
                if label in REVIEWED and worst(results[label]).status in ("WRONG", "crash"):
                    status, reason = REVIEWED[label]
                    results[label] = [Outcome(status, f"{reason} (was: {worst(results[label])})")]
                if verbose:
                    print(f"{label}: {worst(results[label])}", flush=True)
    return results


def run_autograd_test(test, kwargs) -> list:
    signature = inspect.signature(test)
    if set(signature.parameters) - set(kwargs):
        return [Outcome("n/a", f"needs pytest fixtures {sorted(set(signature.parameters) - set(kwargs))}")]
    RECORDER.outcomes = []
    np.random.seed(42)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            test(**kwargs)
    except AssertionError as err:
        where = traceback.extract_tb(err.__traceback__)[-1]
        RECORDER.outcomes.append(Outcome(
            "WRONG" if RECORDER.outcomes or "grad" in inspect.getsource(test) else "n/a",
            f"the test's own assertion failed (line {where.lineno}: {where.line}) {first_line(err)}"))
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as err:   # noqa: BLE001 - classified (pytest.fail too)
        outcome = classify_exception(err)
        if type(err).__name__ == "Failed":
            outcome = Outcome("n/a", f"pytest.fail: {first_line(err)}")
        if outcome.status == "crash?":
            # An error raised outside adcompiler: the test used autograd's own API.
            outcome.status = "n/a"
            outcome.detail = f"outside adcompiler: {outcome.detail}"
        RECORDER.outcomes.append(outcome)
    if not RECORDER.outcomes:
        RECORDER.outcomes.append(Outcome("passed", "no derivative checked, test ran"))
    return list(RECORDER.outcomes)


# --------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------

def refusal_kind(detail: str) -> str:
    """A refusal message without its file:line and names, to group by kind."""
    text = re.sub(r"^(reverse|forward|hessian): ", "", detail.split(" at (")[0])
    text = re.sub(r"\S+\.py:\d+", "<file:line>", text)
    text = re.sub(r"'[^']*'", "'…'", text)
    text = re.sub(r"\d+", "N", text)
    return text[:150]


def report(suite: str, results: dict, verbose: bool, order=STATUS_ORDER,
           shown=("WRONG", "crash", "convention"), unit=None) -> collections.Counter:
    """Print the outcomes of a suite: those whose status is in `shown` one by
    one, the refusals by kind, the tally by status (in `order`)."""
    tally = collections.Counter()
    refusals = collections.Counter()
    print(f"\n=== {suite} ===")
    for name, outcomes in results.items():
        status = worst(outcomes, order).status
        tally[status] += 1
        for outcome in outcomes:
            if outcome.status == "refused":
                refusals[refusal_kind(outcome.detail)] += 1
        if status in shown:
            for outcome in outcomes:
                if outcome.status == status:
                    print(f"  {status:7s} {name}: {outcome.detail}")
        elif verbose and status != "passed":
            print(f"  {status:7s} {name}: {worst(outcomes, order).detail}")
    print(f"  refusals by kind ({sum(refusals.values())} checks):")
    for kind, count in refusals.most_common():
        print(f"    {count:4d}  {kind}")
    unit = unit or ("functions" if suite == "tangent" else "tests")
    print(f"  tally ({len(results)} {unit}): " +
          ", ".join(f"{s} {tally[s]}" for s in order))
    return tally


def summary(tallies: dict, order=STATUS_ORDER, width: int = 28) -> None:
    """Print each suite's tally (suite -> Counter by status) on a line."""
    print("\n=== summary ===")
    for suite, tally in tallies.items():
        print(f"  {suite:{width}s} " + ", ".join(f"{s} {tally[s]}" for s in order))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tangent", help="path of a google/tangent mirror")
    parser.add_argument("--autograd", help="path of a HIPS/autograd mirror")
    parser.add_argument("--files", nargs="*", default=AUTOGRAD_FILES,
                        help="autograd test modules to run (default: %(default)s)")
    parser.add_argument("--only", help="only functions/tests whose name contains this")
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--list-arguments", action="store_true",
                        help="also check each call with its float arrays as Python lists")
    options = parser.parse_args(argv)
    global LIST_VARIANTS
    LIST_VARIANTS = options.list_arguments
    if not options.tangent and not options.autograd:
        parser.error("pass --tangent PATH and/or --autograd PATH (mirrors of those projects)")
    if options.tangent:
        require_mirror(options.tangent, "tests/functions.py", "google/tangent")
    if options.autograd:
        require_mirror(options.autograd, "tests/numpy_utils.py", "HIPS/autograd")
    with tempfile.TemporaryDirectory(prefix="foreign_suites_") as directory:
        workdir = pathlib.Path(directory)
        sys.path.insert(0, directory)
        global SCALARIZERS
        SCALARIZERS = Scalarizers(workdir)
        tallies = {}
        if options.tangent:
            results = survey_tangent(options.tangent, workdir, options.only, options.verbose)
            tallies["tangent"] = report("tangent", results, options.verbose)
        if options.autograd:
            results = survey_autograd(options.autograd, workdir, options.files, options.only,
                                      options.verbose)
            per_file = collections.defaultdict(dict)
            for name, outcomes in results.items():
                per_file[name.split("::")[0]][name] = outcomes
            for file, file_results in per_file.items():
                tallies[f"autograd/{file}"] = report(f"autograd/{file}", file_results,
                                                     options.verbose)
        summary(tallies)
    return 0


if __name__ == "__main__":
    sys.exit(main())
