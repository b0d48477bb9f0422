"""The red-team programs of tests/red_team_round4_programs.py, each checked
the five ways tests/test_third_party_style.py checks its corpus (reverse,
value_and_grad, forward, jvp, hvp against torch float64 or central finite
differences; the value against the function's own; the arguments unchanged),
and the scenarios (a function compiled, then what it reads changed; threads
sharing one derivative), whose every gradient must match.

A program adcompiler refuses with one of its own errors is fine only where
REFUSED lists it (once supported and right, it passes too): a wrong number,
a crash (an exception that is not adcompiler's) or an unlisted refusal fails.

For a tally (programs passed / refused / wrong / crash):

    cd tests && python test_red_team_round4.py [--verbose] [name ...]
"""

from __future__ import annotations

import sys

import pytest

from adcompiler.errors import (NoDerivativeRuleError, SharedMemoryError,
                               UnsupportedSyntaxError, WrappedFunctionError)
from red_team_round4_programs import PROGRAMS, SCENARIOS
from red_team_checks import round_tests, tally

pytestmark = pytest.mark.filterwarnings("ignore::adcompiler.AdWarning")

UNSUPPORTED, NO_RULE, SHARED = UnsupportedSyntaxError, NoDerivativeRuleError, SharedMemoryError

# Refused at compile time (or, for a sharing it cannot follow, when the
# derivative runs), naming the user's line: never differentiated wrongly.
REFUSED: dict[str, type | tuple] = {
    # np.einsum of list operands (the message speaks of the subscripts string)
    "linalg_einsum_lists": NO_RULE,
    # Python's object model: user objects holding differentiated values, methods
    # changing them (the refusal's class depends on which pass meets it first)
    **{name: (UNSUPPORTED, NO_RULE, SHARED) for name in (
        "user_getitem_and_len",
        "user_setitem",
        "user_iter",
        "operator_overloading_sub_via_neg",
        "user_iadd_returning_self",
        "dataclass_with_default_factory",
        "class_attribute_list_shared_between_instances",
        "slots_class",
        "dunder_getattr_fallback",
        "matmul_and_rmatmul_on_a_user_class",
        "object_attribute_changed_through_alias_in_list",
    )},
    # second names for one object changed in place that the aliasing pass
    # cannot follow, chained assignments
    "alias_augassign_in_loop_alias": SHARED, "alias_dict_values_same": SHARED,
    "alias_list_of_same_array": SHARED, "alias_return_alias_from_helper": SHARED,
    "alias_chained_assign_list": UNSUPPORTED,
    # decorated helpers, np.frompyfunc / piecewise (np.vectorize and
    # np.apply_along_axis are differentiated: passes/lower_mapping.py)
    "wrapped_frompyfunc": NO_RULE,
    "wrapped_lru_helper": NO_RULE, "wrapped_map_with_none_default": UNSUPPORTED,
    "wrapped_piecewise": UNSUPPORTED, "wrapped_user_decorator": WrappedFunctionError,
    # max()/min() of two sequences, sum(rows, []): refused by their rules' checks
    **{name: NO_RULE for name in (
        "finding_max_of_two_lists", "finding_min_of_two_tuples",
        "finding_sum_of_lists_with_an_empty_list_start")},
    # a list display combined with a NumPy value by + (NumPy's elementwise
    # sum, which the compiler takes for a join): refused when it runs
    **{name: UNSUPPORTED for name in (
        "finding_list_display_plus_an_array", "finding_array_plus_a_list_display",
        "finding_list_display_plus_a_numpy_scalar", "array_plus_equals_a_list_display")},
    # attribute assignments (obj.attr = v, z.real += v): refused by the fence
    **{name: UNSUPPORTED for name in (
        "real_part_plus_equals_on_a_complex_copy",
        "imag_assignment_on_a_complex_array")},
    "finding_modf_with_positional_out_arrays": UNSUPPORTED,
    "generator_consumed_by_a_loop": UNSUPPORTED,
    "lambdas_capturing_a_loop_variable_late_binding": UNSUPPORTED,
    "lambdas_in_a_comprehension_late_binding": UNSUPPORTED,
    "lambdas_with_default_binding_early": UNSUPPORTED,
    "iter_next_with_default": NO_RULE,
    "del_of_a_temporary": UNSUPPORTED,
    "itertools_chain": NO_RULE,
    "itertools_islice": NO_RULE,
    "zip_star_transposes_rows": UNSUPPORTED,
    "filter_with_none": UNSUPPORTED,
    "multiply_at_with_repeated_indices": UNSUPPORTED,
    "maximum_at": UNSUPPORTED,
    "add_reduceat": NO_RULE,
    "np_put_with_mode_wrap": NO_RULE,
    "in_place_partition": NO_RULE,
    "np_add_with_out_and_where": UNSUPPORTED,
    "np_nditer_readwrite": UNSUPPORTED,
    "np_ndenumerate": NO_RULE,
    "np_take_then_put_along_axis": NO_RULE,
    "matrix_column_view_in_a_list": SHARED,
    "tuple_repeated_by_python_stays_a_repetition": UNSUPPORTED,
}


(test_red_team_program_matches_oracle_or_is_refused,
 test_red_team_scenario_gradients_match_finite_differences) = round_tests(
    PROGRAMS, SCENARIOS, REFUSED)


if __name__ == "__main__":
    tally(PROGRAMS, SCENARIOS, sys.argv[1:])
