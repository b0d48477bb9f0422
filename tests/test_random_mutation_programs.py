"""Random programs that mutate arrays through views, containers and helpers
(tests/mutation_generator.py, with tests/widened_mutations.py): adcompiler's
value, gradient and jvp against the NumPy program itself and its central
differences, and on one program in three ad.hvp against differences of ad.grad.

For every program and both modes, adcompiler either refuses it with an
AdError naming the program's file, or returns f(*args), the gradient that
finite differences give (every entry) and the directional derivative along
a random tangent, leaving the caller's arguments alone. Examples where
finite differences cannot judge (a branch, mask or clip that changes within
the step; a value above 1e4) are skipped, never passed.

The property test is derandomized, so it runs the same programs every time.
For many more programs:

    python tests/mutation_generator.py --seeds 2000
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st

import mutation_generator as generator


@pytest.fixture(scope="module", autouse=True)
def program_files(tmp_path_factory):
    generator.use_directory(tmp_path_factory.mktemp("mutation_programs"))


@st.composite
def random_programs(draw):
    seed = draw(st.integers(0, 2 ** 16))
    return generator.make_program(generator.HypothesisChoices(draw), seed, "hypothesis")


SETTINGS = dict(deadline=None, derandomize=True, database=None,
                phases=(Phase.explicit, Phase.generate, Phase.shrink),
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much])


def assert_contract(program: generator.Program) -> None:
    for mode, outcome in generator.check(program).items():
        assert outcome.status != "failed", (f"{mode} mode, {outcome.stage}: {outcome.detail}"
                                            + generator.describe(program))
        if outcome.status == "refused":
            assert "mutation_program_" in str(outcome.error), (
                f"{mode}: a refusal must name the program's file:\n{outcome.detail}")


@pytest.mark.slow
@settings(max_examples=200, **SETTINGS)
@given(program=random_programs())
def test_random_mutation_programs_keep_the_contract(program):
    note(generator.describe(program))
    assert_contract(program)


@pytest.mark.parametrize("seed", range(20))
def test_seeded_mutation_programs_keep_the_contract(seed):
    """The script's first programs (python tests/mutation_generator.py --seeds 20)."""
    assert_contract(generator.make_program(generator.RandomChoices(seed), seed, f"seed {seed}"))


def test_most_generated_programs_are_judged():
    """The generator writes valid NumPy that finite differences can judge: a
    grammar that mostly produced skipped programs would test nothing."""
    statuses = []
    for seed in range(60):
        program = generator.make_program(generator.RandomChoices(seed), seed)
        try:
            generator.oracle(program)
            statuses.append("judged")
        except generator.Skip:
            statuses.append("skipped")
    assert statuses.count("judged") >= 50, statuses


def sum_of_squares(x, A, s, P):
    return np.sum(x * x) + np.sum(A * A) + s * s + np.sum(P["w"] * P["b"][:1])


def test_oracle_detects_a_wrong_gradient_and_a_wrong_value():
    program = generator.Program("", sum_of_squares, generator.make_inputs(0))
    value, gradient = generator.oracle(program)
    assert generator.check_reverse(program, value, gradient).status == "passed"
    assert generator.check_forward(program, value, gradient).status == "passed"
    wrong = gradient.copy()
    wrong[3] += 0.01
    assert generator.check_reverse(program, value, wrong).status == "failed"
    assert generator.check_reverse(program, value + 1e-3, gradient).status == "failed"
    assert generator.check_forward(program, value, gradient + 0.01).status == "failed"


def test_oracle_skips_a_kink_instead_of_judging_it():
    at = generator.make_inputs(0)()[2]

    def kink(x, A, s, P):       # |s - at| has its kink 3e-6 away: within the coarse step
        return np.abs(s - at - 3e-6) + np.sum(x)
    program = generator.Program("", kink, generator.make_inputs(0))
    with pytest.raises(generator.Skip):
        generator.oracle(program)
