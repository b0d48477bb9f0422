"""The closed world: whatever a differentiated value reaches is modelled or
refused with the user's file and line and a rewrite; nothing is taken for a
constant because it was not recognised, and no in-place change is dropped."""

import numpy as np
import pytest

import adcompiler as ad
import closed_world_cases as cases
from oracles import assert_close

CASES_FILE = "closed_world_cases.py"
X = np.array([0.3, -0.7, 1.1])


def line_of(function, marker: str) -> int:
    import inspect
    lines, first = inspect.getsourcelines(function)
    for offset, line in enumerate(lines):
        if marker in line:
            return first + offset
    raise AssertionError(f"{marker!r} is not in {function.__name__}")


REFUSED = [
    (cases.puts_along_an_axis, ad.NoDerivativeRuleError, "np.put_along_axis",
     "np.put_along_axis("),
    (cases.resizes_a_differentiated_array, ad.NoDerivativeRuleError, "y.resize", "y.resize"),
    (cases.clears_a_list_of_differentiated_values, ad.AdError, "values.clear",
     "values.clear"),
    (cases.multiplies_at_indices, ad.UnsupportedSyntaxError, "np.multiply.at", "np.multiply.at"),
    (cases.writes_out_with_a_mask, ad.UnsupportedSyntaxError, "where=", "out=y"),
    (cases.grids_from_a_differentiated_bound, ad.NoDerivativeRuleError, "np.mgrid",
     "np.mgrid"),
    (cases.einsum_of_computed_subscripts, ad.NoDerivativeRuleError, "not computed in the call",
     "np.einsum"),
    (cases.records_a_differentiated_value, ad.NoDerivativeRuleError, "made for its effect",
     "HISTORY.append"),
]


@pytest.mark.parametrize("function, error, construct, marker", REFUSED,
                         ids=[case[0].__name__ for case in REFUSED])
@pytest.mark.parametrize("entry", ["grad", "jvp"])
def test_unmodelled_construct_is_refused_when_compiling_with_file_line_and_a_rewrite(
        entry, function, error, construct, marker):
    with pytest.raises(error) as info:
        getattr(ad, entry)(function)
    message = str(info.value)
    assert construct in message
    assert f"{CASES_FILE}:{line_of(function, marker)}:" in message
    assert "Instead" in message


def test_a_call_changing_an_argument_in_place_is_refused_even_without_a_derivative():
    # buffer carries no derivative, but resize would change the caller's array.
    with pytest.raises(ad.UnsupportedSyntaxError) as info:
        ad.grad(cases.resizes_an_argument)
    assert f"{CASES_FILE}:{line_of(cases.resizes_an_argument, 'buffer.resize')}:" in \
        str(info.value)
    assert "copy" in str(info.value)


def test_an_in_place_change_by_a_helper_that_cannot_be_inlined_is_refused_when_it_happens():
    # The helper's module is not the caller's: its body cannot stand in the caller.
    # Its `values *= ...` changes an array, not a number, so the call is refused.
    derivative = ad.grad(cases.calls_a_mutating_helper_of_another_module)
    with pytest.raises(ad.SharedMemoryError) as info:
        derivative(X)
    line = line_of(cases.calls_a_mutating_helper_of_another_module, "scale_in_place_elsewhere(y")
    assert f"{CASES_FILE}:{line}:" in str(info.value)


def test_a_change_through_an_untraced_container_is_refused_when_it_happens():
    with pytest.raises(ad.SharedMemoryError) as info:
        ad.grad(cases.changes_an_array_a_list_holds)(X)
    assert f"{CASES_FILE}:{line_of(cases.changes_an_array_a_list_holds, 'y += 1.0')}:" in \
        str(info.value)
    assert "held" in str(info.value)


def test_the_same_array_for_two_parameters_is_refused_when_one_is_changed_in_place():
    x = X.copy()
    with pytest.raises(ad.SharedMemoryError, match="same object"):
        ad.grad(cases.changes_an_argument, wrt=(0, 1))(x, x)
    # Two different arrays are fine, and the caller's arrays are not written.
    a, b = X.copy(), X[::-1].copy()
    value, (da, db) = ad.value_and_grad(cases.changes_an_argument, wrt=(0, 1))(a, b)
    assert_close(value, np.sum((X + X[::-1]) * X[::-1]))
    assert_close(da, X[::-1])
    assert_close(db, X + 2 * X[::-1])
    assert_close(a, X)


def test_a_harmless_effect_passes_a_differentiated_value_through():
    def printed(x):
        y = np.sin(x)
        print(y)
        return np.sum(y)
    assert_close(ad.grad(printed)(X), np.cos(X))


def test_a_value_stored_in_an_objects_list_and_read_back_is_refused_not_zero():
    # The list machinery follows a list under one name; store.items is another.
    derivative = ad.grad(cases.reads_back_what_a_helper_stored_in_an_object)
    with pytest.raises(ad.SharedMemoryError) as info:
        derivative(X, cases.Store())
    assert "append" in str(info.value) and "store" in str(info.value)
