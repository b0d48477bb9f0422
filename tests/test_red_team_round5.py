"""The red-team programs of tests/red_team_round5_programs.py, each checked
the five ways tests/test_third_party_style.py checks its corpus (reverse,
value_and_grad, forward, jvp, hvp against torch float64 or central finite
differences; the value against the function's own; the arguments unchanged),
and the scenarios (the public entry points on one program; one derivative
called with floats, ints, arrays of other shapes, lists; globals, closures and
defaults changed between calls), whose every gradient must match.

A program adcompiler refuses with one of its own errors is fine only where
REFUSED lists it (once supported and right, it passes too): a wrong number,
a crash (an exception that is not adcompiler's) or an unlisted refusal fails.
A program KNOWN_WRONG lists is a strict xfail in the checks it names (none
now), so that its fix fails the suite until the entry goes.

For a tally (programs passed / refused / wrong / crash):

    cd tests && python test_red_team_round5.py [--verbose] [name ...]
"""

from __future__ import annotations

import sys

import pytest

from adcompiler.errors import NoDerivativeRuleError, UnsupportedSyntaxError
from red_team_round5_programs import PROGRAMS, SCENARIOS
from red_team_checks import round_tests, tally

pytestmark = pytest.mark.filterwarnings("ignore::adcompiler.AdWarning")

UNSUPPORTED, NO_RULE = UnsupportedSyntaxError, NoDerivativeRuleError

# Refused at compile time (or, for a sharing it cannot follow, when the
# derivative runs), naming the user's line: never differentiated wrongly.
REFUSED: dict[str, type | tuple] = {
    # calls whose rule does not cover the arguments given (three arguments of
    # math.hypot) or with no rule (divmod, complex(), np.poly1d(p)(x))
    **{name: NO_RULE for name in (
        "divmod_of_a_negative_value", "math_hypot_of_three", "complex_builtin_real_part",
        "poly1d_called")},
    # an integer dtype= on a differentiated reduction or fill: integer-valued, refused
    **{name: NO_RULE for name in (
        "sum_with_an_integer_dtype_truncates", "sum_with_an_integer_dtype_is_constant",
        "cumsum_with_an_integer_dtype_is_constant", "full_with_an_integer_dtype_is_constant")},
    # np.gradient's coordinates
    "numpy_gradient_with_differentiated_coordinates": NO_RULE,
    # order='K' of an array whose strides are neither C's nor Fortran's:
    # refused when the derivative runs
    "ravel_in_order_k_of_reversed_columns": NO_RULE,
    # np.interp's period (differentiated or not)
    "finding_interp_with_a_differentiated_period": NO_RULE,
    # a nested tuple as an assignment target
    "first_unpacked_from_a_nested_tuple": UNSUPPORTED,
}

# Wrong or crashing, and not fixed yet: each must fail (program: (why, the
# checks that fail)). The programs named finding_* were fixed in the commits
# that moved them out of here.
KNOWN_WRONG: dict[str, tuple[str, tuple]] = {
}


(test_red_team_program_matches_oracle_or_is_refused,
 test_red_team_scenario_gradients_match_finite_differences) = round_tests(
    PROGRAMS, SCENARIOS, REFUSED, KNOWN_WRONG)


if __name__ == "__main__":
    tally(PROGRAMS, SCENARIOS, sys.argv[1:])
