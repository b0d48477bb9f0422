"""Programs the mutation fuzzer (tests/mutation_generator.py) once found
differentiated wrongly, minimised, each under a name saying what it does.

Each is checked as the fuzzer checks: adcompiler refuses it with an AdError
naming its file, or its value, gradient (every entry, against central
differences of the NumPy program) and jvp are right and the caller's
arguments are unchanged. `MUST_WORK` lists those that must be differentiated,
not refused.
"""

from __future__ import annotations

import textwrap

import pytest

import mutation_generator as generator

REGRESSIONS = {
    # x.astype(dtype, copy=False) is x itself when x already has that dtype: a
    # write through it changes x. It was taken for a copy (x kept its value).
    "write_through_astype_without_copy": """
        def f(x, A, s, P):
            y = x.astype(np.float64, copy=False)
            y[0] = s
            return np.sum(x ** 2) + np.sum(y) + np.sum(A)
    """,
}

MUST_WORK: set = set()


@pytest.fixture(scope="module", autouse=True)
def program_files(tmp_path_factory):
    generator.use_directory(tmp_path_factory.mktemp("fuzz_regressions"))


@pytest.mark.parametrize("name", sorted(REGRESSIONS))
def test_fuzz_regression_is_refused_or_differentiated_exactly(name):
    source = textwrap.dedent(REGRESSIONS[name]).lstrip()
    program = generator.Program(source, generator.load_function(source),
                                generator.make_inputs(0), label=name)
    for mode, outcome in generator.check(program).items():
        assert outcome.status != "skipped", f"{mode}: the oracle cannot judge {name}: {outcome}"
        assert outcome.status != "failed", f"{name}, {mode} mode: {outcome}\n{source}"
        if outcome.status == "refused":
            assert name not in MUST_WORK, f"{name} must be differentiated: {outcome}"
            assert "mutation_program_" in str(outcome.error), outcome.detail


def test_must_work_names_regressions():
    assert MUST_WORK <= set(REGRESSIONS)
