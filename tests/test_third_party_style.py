"""The programs of tests/third_party_style_programs.py (in the style of Tangent's,
autograd's and JAX's own test suites), each checked five ways:

- reverse: `ad.grad(f, wrt)` against torch.autograd of the twin in float64
  (or central finite differences where there is no twin);
- value_and_grad: the same gradient, and the value is the function's own;
- forward: `ad.grad(f, wrt, mode="forward")`, the same gradient;
- jvp: `ad.jvp(f, wrt)` along a random direction, against torch.func.jvp (or
  a central difference along that direction);
- hvp (programs marked smooth): `ad.hvp(f, wrt)` against torch's double
  backward (or second differences of f).

Every call also asks that the arguments are unchanged afterwards. A program
adcompiler refuses with one of its own errors is allowed only where REFUSED
lists it (a listed program may also pass, once supported): a new refusal, a
wrong number or any other exception fails.

For a tally of the outcomes (pass / refused / wrong) of every program:

    cd tests && python test_third_party_style.py [--verbose]
"""

from __future__ import annotations

import collections
import copy
import sys
import traceback
import zlib

import numpy as np
import pytest
import torch

import adcompiler as ad
from adcompiler.errors import (AdError, InternalCompilerError, RuleDefinitionError,
                               SharedMemoryError, UnsupportedSyntaxError)
from oracles import assert_close, torch_directional, torch_gradients, unchanged
from third_party_style_programs import PROGRAMS

torch.set_default_dtype(torch.float64)

# np.sign, np.floor and the like warn that no derivative flows through them:
# the programs that use them mean it.
pytestmark = pytest.mark.filterwarnings("ignore::adcompiler.AdWarning")

CHECKS = ("reverse", "value_and_grad", "forward", "jvp", "hvp")

# Programs adcompiler refuses, with the error it raises, in every check unless
# the checks are named. Each is a construct it does not model (yet), refused
# at compile time with the user's file:line, never differentiated wrongly.
REFUSED: dict[str, tuple[type, tuple]] = {
    # lists of differentiated values shared by two names, joined or repeated
    "alias_list_then_append": (UnsupportedSyntaxError, CHECKS),
    "nested_helper_with_default_list": (UnsupportedSyntaxError, CHECKS),
    "shared_array_in_two_lists_changed": (SharedMemoryError, CHECKS),
    # attribute assignment, writes into module-level objects
    "counts_calls_in_module_dict": (UnsupportedSyntaxError, CHECKS),
    # A loop over a list its body resizes (Python's loop sees the new length;
    # these gave the value and derivative of too few iterations, or crashed)
    "append_to_the_list_being_iterated": (UnsupportedSyntaxError, CHECKS),
    "pop_from_the_list_being_iterated": (UnsupportedSyntaxError, CHECKS),
    "enumerate_the_list_being_extended": (UnsupportedSyntaxError, CHECKS),
    "helper_appends_to_the_list_being_iterated": (UnsupportedSyntaxError, CHECKS),
    # A list slice assigned more or fewer items, or an array (these crashed in
    # the adjoint, or wrote the array as each item)
    "list_slice_assignment_growing": (UnsupportedSyntaxError, CHECKS),
    "list_slice_assignment_from_array": (UnsupportedSyntaxError, CHECKS),
    # A differentiated list argument the function appends to (this raised
    # InternalCompilerError, after appending to the caller's list)
    "append_to_a_differentiated_list_argument": (UnsupportedSyntaxError, CHECKS),
    "a_name_holding_the_list_argument_in_a_loop_then_appended_to": (UnsupportedSyntaxError,
                                                                    CHECKS),
}

# Programs that still fail, with why: each a bug to fix, kept visible as a
# non-strict xfail (it passes on its own once fixed).
KNOWN_WRONG: dict[str, str] = {}


class WrongResult(AssertionError):
    """A derivative, a value or the arguments differ from what they should be."""


class TwinError(Exception):
    """The torch twin computes another value than its program: a bug of the table."""


# --- Arguments as flat lists of float leaves (for finite differences) ---------

def leaves(tree):
    """The float arrays of `tree` (a float, an array, or lists, tuples and dicts
    of them) in a fixed order."""
    if isinstance(tree, dict):
        return [leaf for key in sorted(tree) for leaf in leaves(tree[key])]
    if isinstance(tree, (list, tuple)):
        return [leaf for item in tree for leaf in leaves(item)]
    return [np.asarray(tree, dtype=np.float64)]


def rebuild(tree, flat):
    """`tree` with its leaves replaced, in order, by the arrays of `flat` (a
    float leaf stays a Python float)."""
    items = iter(flat)

    def build(node):
        if isinstance(node, dict):
            return {key: build(node[key]) for key in sorted(node)}
        if isinstance(node, (list, tuple)):
            return type(node)(build(item) for item in node)
        value = next(items)
        return float(value) if np.ndim(node) == 0 and not isinstance(node, np.ndarray) else value

    rebuilt = build(tree)
    if isinstance(tree, dict):      # keep the caller's key order
        rebuilt = {key: rebuilt[key] for key in tree}
    return rebuilt


def shifted(args, position, direction, step):
    """A deep copy of args whose args[position] moved by step * direction
    (a flat list of arrays shaped like its leaves)."""
    moved = copy.deepcopy(list(args))
    moved[position] = rebuild(args[position], [leaf + step * d for leaf, d in
                                               zip(leaves(args[position]), direction)])
    return moved


def scalar_output(function, args):
    return float(np.sum(np.asarray(function(*copy.deepcopy(list(args))), dtype=np.float64)))


def unit_directions(tree):
    """(leaf index, flat index, direction) for every scalar of tree's leaves."""
    shapes = [leaf.shape for leaf in leaves(tree)]
    for index, shape in enumerate(shapes):
        for flat in range(int(np.prod(shape))):
            direction = [np.zeros(s) for s in shapes]
            direction[index].reshape(-1)[flat] = 1.0
            yield index, flat, direction


def finite_difference_gradients(function, args, wrt, step=1e-6):
    """Central differences of f w.r.t. each args[i], i in wrt, as flat leaves."""
    result = []
    for position in wrt:
        grads = [np.zeros(leaf.shape) for leaf in leaves(args[position])]
        for index, flat, direction in unit_directions(args[position]):
            up = scalar_output(function, shifted(args, position, direction, step))
            down = scalar_output(function, shifted(args, position, direction, -step))
            grads[index].reshape(-1)[flat] = (up - down) / (2 * step)
        result.append(grads)
    return result


def finite_difference_directional(function, args, wrt, tangents, step=1e-6):
    """(f(x + h t) - f(x - h t)) / 2h, all differentiated arguments moved together."""
    def moved(sign):
        out = copy.deepcopy(list(args))
        for position, tangent in zip(wrt, tangents):
            out[position] = shifted(args, position, leaves(tangent), sign * step)[position]
        return np.asarray(function(*out), dtype=np.float64)
    return (moved(1.0) - moved(-1.0)) / (2 * step)


def finite_difference_hvp(function, args, wrt, tangents, step=1e-4):
    """H·v by second differences of f: for each scalar e of each differentiated
    argument, (f(x+hv+he) - f(x+hv-he) - f(x-hv+he) + f(x-hv-he)) / 4h²."""
    def value(sign_v, position, direction, sign_e):
        moved = copy.deepcopy(list(args))
        for p, tangent in zip(wrt, tangents):
            moved[p] = shifted(moved, p, leaves(tangent), sign_v * step)[p]
        moved = shifted(moved, position, direction, sign_e * step)
        return scalar_output(function, moved)

    result = []
    for position in wrt:
        products = [np.zeros(leaf.shape) for leaf in leaves(args[position])]
        for index, flat, direction in unit_directions(args[position]):
            products[index].reshape(-1)[flat] = (
                value(1, position, direction, 1) - value(1, position, direction, -1)
                - value(-1, position, direction, 1) + value(-1, position, direction, -1)
            ) / (4 * step * step)
        result.append(products)
    return result


# --- Torch oracles -------------------------------------------------------------

def torch_hvp(twin, args, wrt, tangents):
    tensors = [a if isinstance(a, int) else torch.tensor(np.asarray(a, dtype=np.float64),
                                                         requires_grad=i in wrt)
               for i, a in enumerate(args)]
    grads = torch.autograd.grad(twin(*tensors), [tensors[i] for i in wrt], create_graph=True,
                                allow_unused=True)
    inner = sum(torch.sum(g * torch.tensor(np.asarray(v, dtype=np.float64)))
                for g, v in zip(grads, tangents) if g is not None)
    if not torch.is_tensor(inner) or not inner.requires_grad:
        return [np.zeros(np.shape(args[i])) for i in wrt]
    second = torch.autograd.grad(inner, [tensors[i] for i in wrt], allow_unused=True)
    return [np.zeros(np.shape(args[i])) if s is None else s.detach().numpy()
            for i, s in zip(wrt, second)]


def has_torch_twin(program):
    """Whether torch can be the oracle: a twin, and arguments torch can take."""
    return program.twin is not None and all(
        isinstance(a, (int, float, np.ndarray)) for a in program.args)


def check_twin_agrees(program):
    """The twin computes the program's own value (else the oracle is wrong)."""
    own = np.asarray(program.function(*copy.deepcopy(list(program.args))), dtype=np.float64)
    tensors = [a if isinstance(a, int) else torch.tensor(np.asarray(a, dtype=np.float64))
               for a in program.args]
    twin = program.twin(*tensors)
    twin = twin.detach().numpy() if torch.is_tensor(twin) else np.asarray(twin)
    if not np.allclose(twin, own, rtol=1e-10, atol=1e-12):
        raise TwinError(f"{program.name}: the torch twin gives {twin}, the program {own}")


# --- The checks ------------------------------------------------------------------

def expected_gradients(program):
    """Flat leaves of the gradient w.r.t. each differentiated argument."""
    if has_torch_twin(program):
        return [[g] for g in torch_gradients(program.twin, list(program.args), program.wrt)]
    return finite_difference_gradients(program.function, program.args, program.wrt)


def compare_gradients(program, got, expected, label):
    if len(got) != len(program.wrt):
        raise WrongResult(f"{label}: {len(got)} gradients for wrt={program.wrt}")
    loose = not has_torch_twin(program)
    for position, gradient, want in zip(program.wrt, got, expected):
        have = leaves(gradient)
        if len(have) != len(want):
            raise WrongResult(f"{label}: the gradient of argument {position} has "
                              f"{len(have)} leaves, not {len(want)}")
        for g, w in zip(have, want):
            if loose:
                assert_close(g, w, rtol=1e-5, atol=1e-6, label=f"{label}: d/d argument {position}")
            else:
                assert_close(g, w, label=f"{label}: d/d argument {position}")


def random_tangents(program):
    generator = np.random.default_rng(zlib.crc32(program.name.encode()))

    def like(node):
        if isinstance(node, dict):
            return {key: like(value) for key, value in node.items()}
        if isinstance(node, (list, tuple)):
            return type(node)(like(item) for item in node)
        if isinstance(node, np.ndarray):
            return generator.standard_normal(node.shape)
        return float(generator.standard_normal())
    return tuple(like(program.args[i]) for i in program.wrt)


def run_check(program, check):
    """Run one check; raises WrongResult (or whatever adcompiler raised)."""
    args = copy.deepcopy(list(program.args))
    if program.twin is not None and has_torch_twin(program):
        check_twin_agrees(program)
    wrt = program.wrt
    label = f"{program.name} ({check})"
    try:
        if check in ("reverse", "value_and_grad", "forward"):
            expected = expected_gradients(program)
            if check == "reverse":
                got = ad.grad(program.function, wrt=wrt)(*args)
            elif check == "forward":
                got = ad.grad(program.function, wrt=wrt, mode="forward")(*args)
            else:
                value, got = ad.value_and_grad(program.function, wrt=wrt)(*args)
                own = program.function(*copy.deepcopy(list(program.args)))
                assert_close(value, own, rtol=1e-12, label=f"{label}: value")
            compare_gradients(program, got, expected, label)
        elif check == "jvp":
            tangents = random_tangents(program)
            value, tangent = ad.jvp(program.function, wrt=wrt)(tuple(args), tangents)
            own = program.function(*copy.deepcopy(list(program.args)))
            assert_close(value, own, rtol=1e-12, label=f"{label}: value")
            if has_torch_twin(program):
                _, want = torch_directional(program.twin, list(program.args), wrt, tangents)
                assert_close(tangent, want, label=f"{label}: tangent")
            else:
                want = finite_difference_directional(program.function, program.args, wrt, tangents)
                assert_close(tangent, want, rtol=1e-5, atol=1e-6, label=f"{label}: tangent")
        elif check == "hvp":
            tangents = random_tangents(program)
            got = ad.hvp(program.function, wrt=wrt)(tuple(args), tangents)
            if has_torch_twin(program):
                want = [[w] for w in torch_hvp(program.twin, list(program.args), wrt, tangents)]
                compare_gradients(program, got, want, label)
            else:
                want = finite_difference_hvp(program.function, program.args, wrt, tangents)
                for position, gradient, expected in zip(wrt, got, want):
                    for g, w in zip(leaves(gradient), expected):
                        assert_close(g, w, rtol=1e-4, atol=1e-5,
                                     label=f"{label}: H·v for argument {position}")
        else:
            raise ValueError(check)
    except AssertionError as failure:
        raise WrongResult(str(failure)) from failure
    if not unchanged(list(program.args), args):
        raise WrongResult(f"{label}: the call changed its arguments")


def outcome(program, check):
    """("pass" | "refused" | "wrong" | "crash" | "table", detail): a crash is
    an exception that is not an adcompiler error (or is its internal one)."""
    try:
        run_check(program, check)
    except TwinError as failure:
        return "table", str(failure)
    except WrongResult as failure:
        return "wrong", str(failure).strip().splitlines()[0][:300]
    except (InternalCompilerError, RuleDefinitionError) as failure:
        return "crash", f"{type(failure).__name__}: {str(failure).splitlines()[0][:300]}"
    except AdError as refusal:
        return "refused", f"{type(refusal).__name__}: {str(refusal).splitlines()[0][:300]}"
    except Exception as failure:  # noqa: BLE001 - any other exception is a bug
        where = traceback.extract_tb(failure.__traceback__)[-1]
        return "crash", (f"{type(failure).__name__}: {str(failure)[:200]} "
                         f"({where.filename.split('/')[-1]}:{where.lineno})")
    return "pass", ""


def worst_outcome(results) -> str:
    """The worst of one program's check outcomes, for a tally."""
    kinds = {result for result, _ in results}
    return next((k for k in ("table", "wrong", "crash", "refused") if k in kinds), "pass")


def cases():
    for program in PROGRAMS:
        for check in CHECKS:
            if check == "hvp" and not program.smooth:
                continue
            marks = [pytest.mark.xfail(reason=KNOWN_WRONG[program.name], strict=False)] \
                if program.name in KNOWN_WRONG else []
            yield pytest.param(program, check, id=f"{program.name}-{check}", marks=marks)


@pytest.mark.parametrize("program, check", cases())
def test_third_party_style_program_matches_oracle_or_is_refused(program, check):
    result, detail = outcome(program, check)
    error, checks = REFUSED.get(program.name, (None, ()))
    if check in checks:
        # Refused as listed, or, once adcompiler supports it, right.
        assert result == "pass" or (result == "refused" and
                                    detail.startswith(error.__name__ + ":")), \
            f"{program.name} ({check}): expected {error.__name__}, got {result} {detail}"
    else:
        assert result == "pass", f"{program.name} ({check}): {result} {detail}"


def main(argv):
    verbose = "--verbose" in argv
    only = [a for a in argv if not a.startswith("--")]
    tally = collections.Counter()
    per_program = {}
    refusals = collections.Counter()
    for program in PROGRAMS:
        if only and not any(o in program.name for o in only):
            continue
        results = {}
        for check in CHECKS:
            if check == "hvp" and not program.smooth:
                continue
            results[check] = outcome(program, check)
            tally[results[check][0]] += 1
            if results[check][0] == "refused":
                refusals[results[check][1][:120]] += 1
        worst = worst_outcome(results.values())
        per_program[program.name] = worst
        if verbose or worst != "pass":
            for check, (result, detail) in results.items():
                if result != "pass":
                    print(f"{result:8s} {program.name} [{check}] {detail}")
    print("checks:", dict(tally))
    print("programs:", dict(collections.Counter(per_program.values())), "of", len(per_program))
    for reason, count in refusals.most_common(15):
        print(f"  {count:3d} {reason}")


if __name__ == "__main__":
    main(sys.argv[1:])
