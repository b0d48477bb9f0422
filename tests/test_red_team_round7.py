"""The red-team programs of tests/red_team_round7_programs.py (realistic
scientific programs: stencils, particles, filters, mixtures, attention,
sorting, views changed in place, objects and recursion) and its scenarios,
checked as tests/red_team_checks.py checks every round: each program in
reverse, value_and_grad, forward, jvp and hvp against its torch twin or
finite differences, or refused as REFUSED lists; KNOWN_WRONG entries are
strict xfails. Then the refusals' messages.

For a tally (programs passed / refused / wrong / crash):

    cd tests && python test_red_team_round7.py [--verbose] [name ...]
"""

from __future__ import annotations

import sys
from typing import NamedTuple

import numpy as np
import pytest
import torch

from adcompiler import grad
from adcompiler.errors import NoDerivativeRuleError, SharedMemoryError, UnsupportedSyntaxError
from red_team_round7_programs import PROGRAMS, SCENARIOS, VECTOR
from red_team_checks import round_tests, tally

pytestmark = pytest.mark.filterwarnings("ignore::adcompiler.AdWarning")

# Refused at compile time (or, for a derivative with no formula, when it
# runs), naming the user's line: never differentiated wrongly.
UNSUPPORTED, NO_RULE = UnsupportedSyntaxError, NoDerivativeRuleError

REFUSED: dict[str, type | tuple] = {
    # a view a helper returns, changed in place (inner = _interior(u); inner *= 2)
    "helper_returns_a_view_written_through": SharedMemoryError,
    # a local function passed as a value, or
    # handed to a recursive helper; lambdas collected in a list
    "recursive_simpson_quadrature": UNSUPPORTED,
    "closures_over_loop_variables_with_defaults": UNSUPPORTED,
    # odeint's second derivatives (its right-hand side, a local function reading
    # none of the function's variables, is lifted; it returns a list)
    "odeint_of_a_damped_oscillator": NO_RULE,
    # buckets[key].append(v) of a defaultdict(list) (refused for its import in
    # the body until imports there were read as module-level ones)
    "default_dict_of_lists_then_stacked": SharedMemoryError,
    # a helper that appends to the list it is given and returns it (reverse mode)
    "finding_helper_with_a_none_default_list_appends_and_returns_it": UNSUPPORTED,
    "finding_helper_appends_to_its_list_argument_and_returns_it": UNSUPPORTED,
    # local functions defined in a loop and stored in a list
    "local_defs_appended_in_a_loop": UNSUPPORTED,
}

KNOWN_WRONG: dict[str, tuple[str, tuple]] = {
}


(test_red_team_program_matches_oracle_or_is_refused,
 test_red_team_scenario_gradients_match_finite_differences) = round_tests(
    PROGRAMS, SCENARIOS, REFUSED, KNOWN_WRONG)


class _Record(NamedTuple):
    flat: np.ndarray
    scale: float


def _reads_a_field_named_flat(x):
    record = _Record(x * 2.0, 1.0)
    return record.flat[1] * x[0]


def _helper_appending_and_returning(v, out):
    out.append(v)
    return out


def _uses_the_appending_helper(x):
    h = _helper_appending_and_returning(x[0], [])
    return sum(h) * x[1]


def _writes_into_a_reshape(x):
    a = x.reshape(2, 2).copy()
    a.reshape(-1)[::2] *= 2.0
    return np.sum(a)


def _running_logaddexp(x):
    return np.sum(np.logaddexp.accumulate(x))


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_flat_of_an_object_that_is_not_an_array_is_refused_naming_the_line(mode):
    # (a.flat[i] is rewritten as np.take of the flat positions, for arrays
    # only: a record's field named flat would be read wrongly)
    with pytest.raises(UnsupportedSyntaxError, match=r"red_team_round7.py:\d+: \.flat\[\.\.\.\] "
                       r"is read as a NumPy array's flat iterator, but here it belongs to a _Record"):
        grad(_reads_a_field_named_flat, mode=mode)(VECTOR)


def test_helper_returning_the_list_it_appends_to_is_refused_naming_it():
    with pytest.raises(UnsupportedSyntaxError, match=r"_helper_appending_and_returning changes "
                       r"the list 'out' it is given in place and also returns it") as caught:
        grad(_uses_the_appending_helper)(VECTOR)
    assert "return out" in str(caught.value)
    # forward mode differentiates it
    assert np.allclose(grad(_uses_the_appending_helper, mode="forward")(VECTOR),
                       [VECTOR[1], VECTOR[0], 0.0, 0.0])


def test_write_into_an_element_of_a_calls_result_goes_through_a_name_like_torch():
    # a.reshape(-1)[::2] *= 2.0: desugar.py holds the result in a name first,
    # as Python does, and the view's write reaches `a`.
    x = np.array([0.3, -1.2, 0.7, 1.1])
    tensor = torch.tensor(x, requires_grad=True)
    a = tensor.reshape(2, 2).clone()
    a.reshape(-1)[::2] *= 2.0
    torch.sum(a).backward()
    assert np.allclose(grad(_writes_into_a_reshape)(x), tensor.grad.numpy())
    assert np.allclose(grad(_writes_into_a_reshape, mode="forward")(x), tensor.grad.numpy())


def _writes_into_an_expression(x):
    a = x * 1.0
    (a * 2.0)[0] = 5.0   # into a new array, lost
    return np.sum(a)


def test_write_into_an_element_of_an_expression_names_it_and_the_remedy():
    with pytest.raises(UnsupportedSyntaxError, match=r"writing into an element of "
                       r"`\(a \* 2.0\)`, which is not a variable") as caught:
        grad(_writes_into_an_expression)(VECTOR)
    assert "bind it to a name first" in str(caught.value)


def test_no_rule_for_a_ufunc_method_names_the_ufunc():
    with pytest.raises(NoDerivativeRuleError, match=r"no derivative rule for "
                       r"numpy\.logaddexp\.accumulate"):
        grad(_running_logaddexp)(VECTOR)


if __name__ == "__main__":
    tally(PROGRAMS, SCENARIOS, sys.argv[1:])
