"""The red-team programs of tests/red_team_round8_programs.py (ordinary
scientific code: integrators with state in dicts and classes, mixtures and
an HMM in log space, line searches and Newton steps, filters and FFTs,
networks of layer objects, and the Python idioms around them) and its
scenarios, checked as tests/red_team_checks.py checks every round: each
program in reverse, value_and_grad, forward, jvp and hvp against its torch
twin or finite differences, or refused as REFUSED lists; KNOWN_WRONG
entries are strict xfails. Then the refusals' messages.

For a tally (programs passed / refused / wrong / crash):

    cd tests && python test_red_team_round8.py [--verbose] [name ...]
"""

from __future__ import annotations

import sys

import pytest

from adcompiler.errors import NoDerivativeRuleError, UnsupportedSyntaxError
from red_team_round8_programs import PROGRAMS, SCENARIOS
from red_team_checks import round_tests, tally

pytestmark = pytest.mark.filterwarnings("ignore::adcompiler.AdWarning")

UNSUPPORTED, NO_RULE = UnsupportedSyntaxError, NoDerivativeRuleError

# Refused at compile time (or, for a derivative with no formula, when it
# runs), naming the user's line: never differentiated wrongly.
REFUSED: dict[str, type | tuple] = {
}

KNOWN_WRONG: dict[str, tuple[str, tuple]] = {
}

(test_red_team_program_matches_oracle_or_is_refused,
 test_red_team_scenario_gradients_match_finite_differences) = round_tests(
    PROGRAMS, SCENARIOS, REFUSED, KNOWN_WRONG)


if __name__ == "__main__":
    tally(PROGRAMS, SCENARIOS, sys.argv[1:])
