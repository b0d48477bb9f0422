"""NumPy's and Python's reference semantics under differentiation (issue #10).

For every program of the corpus (tests/aliasing_programs.py) and for random
programs (tests/aliasing_generator.py), in reverse mode (grad, and
value_and_grad's value) and in forward mode (jvp), adcompiler either refuses
the program with an AdError naming the file and line, or computes exactly
what Python computes and the derivative torch computes, without touching the
caller's arrays. A wrong number, an unexpected exception or a modified
argument is a failure; so is a refusal of a program listed as one that must
work.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st

import adcompiler as ad
import aliasing_generator as generator
import aliasing_programs as corpus

# Programs the compiler may refuse (with an AdError pointing at the file and
# line) instead of differentiating. Every other corpus program must work: the
# writes to fresh arrays, and the patterns issue #10 names whose sharing is
# known when compiling (loop targets over lists, dict values, basic slices,
# rows, .T, helpers given such views, the effectful NumPy calls it lists).
# The compiler engineer may remove names from this set as support grows; a
# test below fails if a name here is not in the corpus.
MAY_REFUSE: set = set()   # every corpus program is differentiated today

# The programs that must be differentiated, never refused.
MUST_WORK = set(corpus.PROGRAMS) - MAY_REFUSE

MODES = sorted(corpus.CHECKS)


def refusal_message_problem(outcome: corpus.Outcome) -> str | None:
    """A refusal must say where: the corpus file's name and a line number."""
    message = str(outcome.error)
    filename = "aliasing_programs.py"
    if filename not in message:
        return f"the refusal does not name {filename}:\n{message}"
    tail = message.split(filename, 1)[1]
    if not tail.startswith(":") or not tail[1:].split(":")[0].isdigit():
        return f"the refusal names {filename} without a line number:\n{message}"
    return None


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", sorted(corpus.PROGRAMS))
def test_corpus_program_keeps_the_contract(name, mode):
    program = corpus.PROGRAMS[name]
    outcome = corpus.CHECKS[mode](program)
    label = f"{name} [{corpus.category(name)}], {mode} mode"
    assert outcome.status != "oracle", f"{label}: the torch twin is wrong: {outcome.detail}"
    assert outcome.status != "failed", f"{label}: {outcome.stage}: {outcome.detail}"
    if outcome.status == "refused":
        assert name in MAY_REFUSE, (f"{label}: refused, but this program must be "
                                    f"differentiated:\n{outcome.detail}")
        problem = refusal_message_problem(outcome)
        assert problem is None, f"{label}: {problem}"
    else:
        assert outcome.status == "passed", outcome


def test_may_refuse_names_corpus_programs_and_no_fresh_ones():
    assert MAY_REFUSE <= set(corpus.PROGRAMS), MAY_REFUSE - set(corpus.PROGRAMS)
    assert corpus.FRESH <= MUST_WORK, "writes to fresh arrays must keep working"


def write_through(a, b, s):
    a += s * b
    return np.sum(a * b)


def test_one_array_passed_for_two_parameters_is_refused_or_computed_as_python_does():
    """f(x, x) where f writes into one parameter and reads the other: the
    derivative raises an AdError (a run-time check) or returns Python's value;
    x is left alone either way."""
    x = np.array([0.5, -1.0, 2.0])
    expected = write_through(x.copy(), x.copy(), 0.5)   # two arrays: no sharing
    shared = x.copy()
    expected_shared = write_through(shared, shared, 0.5)
    assert expected != expected_shared                   # the sharing matters
    try:
        value, _ = ad.value_and_grad(write_through, wrt=(0, 1, 2))(x, x, 0.5)
    except ad.AdError as err:
        assert not isinstance(err, ad.errors.InternalCompilerError), err
    else:
        assert corpus.mismatch(value, expected_shared) is None
    np.testing.assert_array_equal(x, [0.5, -1.0, 2.0])


def test_every_category_of_the_issue_has_programs():
    categories = {corpus.category(name) for name in corpus.PROGRAMS}
    assert categories == {"alias", "helper", "effectful", "fresh"}


# -- the oracle itself ------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(corpus.PROGRAMS))
def test_torch_twin_matches_numpy_and_finite_differences(name):
    """The twins are the oracle; they are checked against NumPy here, so a
    failure above is adcompiler's."""
    program = corpus.PROGRAMS[name]
    args = program.make_args()
    value, gradient = corpus.torch_value_and_gradient(program, args)
    assert corpus.mismatch(corpus.plain_value(program, args), value) is None
    assert corpus.twin_against_finite_differences(program) is None
    # torch.func.jvp's tangent is the gradient's inner product with the tangents.
    tangents = corpus.random_tangents(args, program.wrt)
    _, tangent = corpus.torch_value_and_tangent(program, args, tangents)
    inner = sum(float(np.sum(np.asarray(g) * np.asarray(t)))
                for grad, tan in zip(gradient, tangents)
                for g, t in zip(corpus.tree_leaves(grad), corpus.tree_leaves(tan)))
    assert corpus.mismatch(tangent, inner) is None


def sum_of_squares(x):
    return np.sum(x * x)


def test_contract_detects_a_wrong_gradient():
    """A twin that differs from the NumPy function in its derivative (but not
    its value) is reported as a failure in both modes, not a pass."""
    def twin(x):
        return (x * x).sum() + (x - x.detach()).sum()

    program = corpus.Program("wrong", sum_of_squares, twin, lambda: [np.array([1.0, 2.0])], (0,))
    outcome = corpus.check_reverse(program)
    assert outcome.status == "failed" and "differs from torch.autograd" in outcome.detail, outcome
    outcome = corpus.check_forward(program)
    assert outcome.status == "failed" and "differs from torch.func.jvp" in outcome.detail, outcome


def test_contract_detects_a_modified_argument():
    """ad.grad of a function that writes into its argument must not write
    into the caller's array; the check notices when it does."""
    args = [np.array([1.0, 2.0])]
    snapshot = [a.copy() for a in args]
    args[0][0] = 5.0
    assert corpus.unchanged(snapshot, args) is not None
    assert corpus.unchanged(snapshot, [np.array([1.0, 2.0])]) is None


# -- random programs ----------------------------------------------------------------

@pytest.fixture(scope="module", autouse=True)
def program_files(tmp_path_factory):
    generator.use_directory(tmp_path_factory.mktemp("aliasing_programs"))


@st.composite
def random_programs(draw):
    seed = draw(st.integers(0, 2 ** 16))
    return generator.make_program(generator.HypothesisChoices(draw), seed, "hypothesis")


SETTINGS = dict(deadline=None, derandomize=True, database=None,
                phases=(Phase.explicit, Phase.generate, Phase.shrink),
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def assert_contract(program: corpus.Program) -> None:
    note(generator.describe(program))
    for mode, check in corpus.CHECKS.items():
        outcome = check(program)
        assert outcome.status != "oracle", (f"{mode}: the generated torch twin is wrong: "
                                            f"{outcome.detail}" + generator.describe(program))
        assert outcome.status != "failed", (f"{mode} mode, {outcome.stage}: {outcome.detail}"
                                            + generator.describe(program))
        if outcome.status == "refused":
            assert "aliasing_program_" in str(outcome.error), (
                f"{mode}: a refusal must name the program's file:\n{outcome.detail}")


@pytest.mark.slow
@settings(max_examples=60, **SETTINGS)
@given(program=random_programs())
def test_random_aliasing_programs_keep_the_contract(program):
    assert_contract(program)


@pytest.mark.parametrize("seed", range(6))
def test_generated_twins_match_numpy_and_finite_differences(seed):
    program = generator.make_program(generator.RandomChoices(seed), seed, f"seed {seed}")
    args = program.make_args()
    value, _ = corpus.torch_value_and_gradient(program, args)
    assert corpus.mismatch(corpus.plain_value(program, args), value) is None, \
        generator.describe(program)
    assert corpus.twin_against_finite_differences(program) is None, generator.describe(program)
