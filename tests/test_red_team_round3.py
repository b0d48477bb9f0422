"""The red-team programs of tests/red_team_round3_programs.py, each checked
the five ways tests/test_third_party_style.py checks its corpus (reverse,
value_and_grad, forward, jvp, hvp against torch float64 or central finite
differences; the value against the function's own; the arguments unchanged),
and the scenarios (a function compiled, then what it reads changed; eight
threads compiling at once), whose every gradient must match.

A program adcompiler refuses with one of its own errors is fine only where
REFUSED lists it (once supported and right, it passes too): a wrong number,
a crash or an unlisted refusal fails.

For a tally (programs passed / refused / wrong):

    cd tests && python test_red_team_round3.py [--verbose] [name ...]
"""

from __future__ import annotations

import sys

import pytest

from adcompiler.errors import NoDerivativeRuleError, SharedMemoryError, UnsupportedSyntaxError
from red_team_round3_programs import PROGRAMS, SCENARIOS
from red_team_checks import round_tests, tally

pytestmark = pytest.mark.filterwarnings("ignore::adcompiler.AdWarning")

UNSUPPORTED, NO_RULE, SHARED = UnsupportedSyntaxError, NoDerivativeRuleError, SharedMemoryError

# Refused at compile time (or, for a sharing it cannot follow, when the
# derivative runs), naming the user's line: never differentiated wrongly.
REFUSED: dict[str, type] = {
    "iter_and_next": NO_RULE,
    "loop_over_flat": NO_RULE,
    "item_with_an_index": NO_RULE,
    "sum_of_a_generator_function": UNSUPPORTED,
    "global_written_with_a_differentiated_value": NO_RULE,
    "write_through_real_of_a_complex_array": SHARED,
    "write_through_imag_slice": SHARED,
    "shape_attribute_assigned": UNSUPPORTED,
    "resize_method_in_place": NO_RULE,
    "as_strided_windows": NO_RULE,
    "write_through_base": SHARED,
    "diagonal_read_before_a_write": SHARED,
    "tuple_plus_equals_rebinds": UNSUPPORTED,
    "dict_or_equals_merges_a_shared_dict": NO_RULE,
    "deque_of_values": NO_RULE,
    "shallow_copy_shares_the_arrays": SHARED,
    "deep_copy_does_not_share": UNSUPPORTED,
    "finding_helper_changes_its_default_array": UNSUPPORTED,
    "finding_helper_appends_to_its_default_list": UNSUPPORTED,
    "finding_function_changes_its_own_default": UNSUPPORTED,
    "divmod_of_a_value": NO_RULE,
    "late_binding_local_def": UNSUPPORTED,
    "nested_list_alias": SHARED,
    "conditional_alias": SHARED,
    "where_out_param": UNSUPPORTED,
    "hoist_global_changed_by_helper": UNSUPPORTED,
    # a float that is not an integer written into an integer or boolean array:
    # refused when the derivative runs (runtime/core._refuse_truncation)
    **{name: NO_RULE for name in (
        "write_into_int_array", "write_into_arange", "slice_write_into_int_array",
        "iadd_int_array", "write_into_bool_array", "fill_int", "put_int", "int_like_write",
        "list_int_then_array", "int_array_out", "int_param_local", "int_matrix_row_write")},
}


(test_red_team_program_matches_oracle_or_is_refused,
 test_red_team_scenario_gradients_match_finite_differences) = round_tests(
    PROGRAMS, SCENARIOS, REFUSED)


if __name__ == "__main__":
    tally(PROGRAMS, SCENARIOS, sys.argv[1:])
