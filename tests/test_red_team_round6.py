"""The red-team programs of tests/red_team_round6_programs.py, checked the
five ways tests/test_red_team_round5.py checks round 5's (reverse,
value_and_grad, forward, jvp, hvp against torch float64 or central finite
differences; the value against the function's own; the arguments
unchanged), and its scenarios.

A program adcompiler refuses with one of its own errors is fine only where
REFUSED lists it; a wrong number, a crash or an unlisted refusal fails. A
program KNOWN_WRONG lists is a strict xfail in the checks it names, so that
its fix fails the suite until the entry goes.

For a tally (programs passed / refused / wrong / crash):

    cd tests && python test_red_team_round6.py [--verbose] [name ...]
"""

from __future__ import annotations

import sys

import numpy as np
import pytest

import red_team_round6_classes as classes
import red_team_round6_programs as programs
from adcompiler import grad
from adcompiler.errors import NoDerivativeRuleError, UnsupportedSyntaxError
from red_team_round6_programs import PROGRAMS, SCENARIOS
from red_team_checks import round_tests, tally

pytestmark = pytest.mark.filterwarnings("ignore::adcompiler.AdWarning")

UNSUPPORTED, NO_RULE = UnsupportedSyntaxError, NoDerivativeRuleError

# Refused at compile time (or, for a derivative with no formula, when it
# runs), naming the user's line: never differentiated wrongly.
REFUSED: dict[str, type | tuple] = {
    # a list given a second name, then appended to
    "chained_assignment_of_a_list": UNSUPPORTED,
    # sequence patterns (case (n, k):)
    # ad.grad of a functools.partial built inside
    "grad_of_partial_built_inside": NO_RULE,
    # ad.grad(self.energy) in a method of an object the function creates
    "grad_of_a_method_of_self": UNSUPPORTED,
    "grad_of_a_method_with_differentiated_state": UNSUPPORTED,
    # excluded= given as a set display; signature= with a lambda
    "vectorize_with_excluded_argument": UNSUPPORTED,
    "vectorize_with_signature": UNSUPPORTED,
    # dataclass properties, setattr on a dataclass, a helper's result bound
    # to another name and changed, getattr with a default
    "property_of_an_object_built_inside": NO_RULE,
    "dataclasses_replace_keeps_the_rest": NO_RULE,
    "getattr_and_setattr_by_name": UNSUPPORTED,
    "helper_mutates_a_local_object": UNSUPPORTED,
    "getattr_with_a_default": NO_RULE,
    # np.r_ slice with a differentiated bound and a step held in a variable
    "finding_r_slice_with_a_computed_step": NO_RULE,
    # class data changed in place through an object of another module's class
    "finding_class_array_changed_through_an_object": UNSUPPORTED,
    "finding_module_array_an_object_holds_changed_through_it": UNSUPPORTED,
    "finding_class_array_changed_through_type_of_an_object": UNSUPPORTED,
}

KNOWN_WRONG: dict[str, tuple[str, tuple]] = {
}


(test_red_team_program_matches_oracle_or_is_refused,
 test_red_team_scenario_gradients_match_finite_differences) = round_tests(
    PROGRAMS, SCENARIOS, REFUSED, KNOWN_WRONG)


@pytest.mark.parametrize("program, shared", [
    (programs.finding_class_array_changed_through_an_object, "SharedTotals.running"),
    (programs.finding_class_array_changed_through_type_of_an_object, "SharedTotals.running"),
    (programs.finding_module_array_an_object_holds_changed_through_it,
     "red_team_round6_classes.BUFFER"),
])
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_class_or_module_array_changed_through_an_object_is_refused_naming_it(
        program, shared, mode):
    # (REFUSED checks the error's class; this checks that it is refused for
    # the array the object shares, and that nothing was changed on the way)
    before = (classes.SharedTotals.running.copy(), classes.BUFFER.copy())
    with pytest.raises(UNSUPPORTED, match=shared):
        grad(program, mode=mode)(np.ones(4) * 0.5)
    assert np.array_equal(classes.SharedTotals.running, before[0])
    assert np.array_equal(classes.BUFFER, before[1])


if __name__ == "__main__":
    tally(PROGRAMS, SCENARIOS, sys.argv[1:])
