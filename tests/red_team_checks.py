"""What every red-team round checks, and how it tallies its programs.

A round is a corpus of `Program`s (tests/third_party_style_programs.py's
kind) and of scenarios (functions returning `(label, got, want)` triples),
plus REFUSED: the programs adcompiler may refuse, each with the adcompiler
error (or tuple of errors) it refuses them with. A program passes each of
test_third_party_style's CHECKS, or is refused as REFUSED says; a wrong
number, a crash or an unlisted refusal fails.
"""

from __future__ import annotations

import collections

import numpy as np
import pytest

from adcompiler.errors import AdError
from oracles import assert_close
from test_third_party_style import CHECKS, outcome, worst_outcome


def recorder(programs: list):
    """The `@program(*args, wrt=..., twin=..., smooth=...)` decorator of a
    round's corpus: it records the decorated function in `programs` with the
    arguments it is checked at (twin=None: central finite differences are the
    oracle)."""
    from third_party_style_programs import Program

    def program(*args, wrt=(0,), twin=None, smooth=True):
        def record(function):
            programs.append(Program(function.__name__, function, args, wrt, twin, smooth))
            return function
        return record
    return program


def cases(programs, known_wrong=None):
    """pytest parameters: each program with each check that applies to it.
    A program `known_wrong` lists ({name: (why, checks)}) is a strict xfail in
    those checks, so that its fix fails the test until the entry goes."""
    known_wrong = known_wrong or {}
    for program in programs:
        reason, failing = known_wrong.get(program.name, ("", ()))
        for check in CHECKS:
            if check == "hvp" and not program.smooth:
                continue
            marks = [pytest.mark.xfail(reason=reason, strict=True)] if check in failing else []
            yield pytest.param(program, check, id=f"{program.name}-{check}", marks=marks)


def check_program(program, check, refused: dict) -> None:
    """Assert that `program` passes `check`, or is refused as `refused` lists."""
    result, detail = outcome(program, check)
    errors = refused.get(program.name)
    if errors is not None and result == "refused":
        names = [e.__name__ for e in (errors if isinstance(errors, tuple) else (errors,))]
        assert detail.split(":")[0] in names, \
            f"{program.name} ({check}): expected {' or '.join(names)}, got {detail}"
    else:
        assert result == "pass", f"{program.name} ({check}): {result} {detail}"


def check_scenario(scenario) -> None:
    for label, got, want in scenario():
        assert_close(got, want, rtol=1e-5, atol=1e-6, label=f"{scenario.__name__}: {label}")


def round_tests(programs, scenarios, refused: dict, known_wrong=None):
    """The two tests every round runs, for its module to bind at top level:

        test_program, test_scenario = round_tests(PROGRAMS, SCENARIOS, REFUSED, KNOWN_WRONG)

    each program in each check (cases) against its oracle or REFUSED, and
    each scenario's gradients against theirs."""

    @pytest.mark.parametrize("program, check", cases(programs, known_wrong))
    def test_red_team_program_matches_oracle_or_is_refused(program, check):
        check_program(program, check, refused)

    @pytest.mark.parametrize("scenario", scenarios, ids=[s.__name__ for s in scenarios])
    def test_red_team_scenario_gradients_match_finite_differences(scenario):
        check_scenario(scenario)

    return (test_red_team_program_matches_oracle_or_is_refused,
            test_red_team_scenario_gradients_match_finite_differences)


def tally(programs, scenarios, argv) -> None:
    """Print each program's worst outcome and the count of each: the command
    line of a round's test module (`python test_red_team_roundN.py
    [--verbose] [name ...]`)."""
    verbose = "--verbose" in argv
    only = [a for a in argv if not a.startswith("--")]
    counts = collections.Counter()
    for program in programs:
        if only and not any(o in program.name for o in only):
            continue
        results = {check: outcome(program, check) for check in CHECKS
                   if check != "hvp" or program.smooth}
        worst = worst_outcome(results.values())
        counts[worst] += 1
        if verbose or worst != "pass":
            for check, (result, detail) in results.items():
                if result != "pass":
                    print(f"{result:8s} {program.name} [{check}] {detail[:200]}")
    for scenario in scenarios:
        if only and not any(o in scenario.__name__ for o in only):
            continue
        try:
            wrong = [label for label, got, want in scenario()
                     if not np.allclose(got, want, rtol=1e-5, atol=1e-6)]
        except AdError as refusal:
            wrong = [f"refused {type(refusal).__name__}: {str(refusal).splitlines()[0][:200]}"]
        except Exception as failure:  # noqa: BLE001 - any exception is a finding
            wrong = [f"raised {type(failure).__name__}: {failure}"]
        counts["scenario " + ("wrong" if wrong else "pass")] += 1
        for label in wrong:
            print(f"wrong    scenario {scenario.__name__}: {label}")
    print("programs:", dict(counts))
