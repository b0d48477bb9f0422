"""An array a class or a module holds, changed in place through a second name
(`t = Totals.running; t *= x`), is changed in Python for everyone who reads it
afterwards: the derivative cannot follow that, so it is refused when it would
happen, in every mode; reading such data, or changing a copy, is differentiated."""

import numpy as np
import pytest
import torch

import adcompiler as ad
import shared_class_data_cases as cases
import shared_state_module
from adcompiler.errors import SharedMemoryError
from oracles import assert_close

X = np.array([0.5, 2.0])


@pytest.fixture(autouse=True)
def fresh_state():
    # Python's own calls below change the shared arrays: start each test anew.
    cases.Totals.running = np.ones(2)
    cases.Accumulator.total = np.ones(2)
    shared_state_module.BUFFER = np.ones(2)
    yield


@pytest.mark.parametrize("function, owner", [
    (cases.scales_a_class_array_through_a_name, "Totals"),
    (cases.scales_a_module_array_through_a_name, "shared_state_module"),
    (cases.adds_into_a_class_level_array_of_an_object, "Accumulator"),
])
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_changing_data_a_class_or_module_holds_is_refused(function, owner, mode):
    with pytest.raises(SharedMemoryError, match=f"would also change {owner}"):
        ad.grad(function, mode=mode)(X.copy())
    # ... and nothing was changed on the way.
    assert np.array_equal(cases.Totals.running, np.ones(2))
    assert np.array_equal(shared_state_module.BUFFER, np.ones(2))


def test_python_itself_changes_the_class_array():
    # What the refusal protects: a second call of the function sees the change.
    first = cases.scales_a_class_array_through_a_name(X.copy())
    second = cases.scales_a_class_array_through_a_name(X.copy())
    assert first != second


@pytest.mark.parametrize("function, twin", [
    (cases.reads_class_data_only, lambda x: torch.sum((torch.ones(2) * x) ** 2) * 3.0),
    (cases.updates_a_copy_of_class_data, lambda x: torch.sum((torch.ones(2) * x) ** 2) + 2.0),
])
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_reading_or_copying_class_data_matches_torch(function, twin, mode):
    x = torch.tensor(X, requires_grad=True)
    (want,) = torch.autograd.grad(twin(x), x)
    assert_close(ad.grad(function, mode=mode)(X.copy()), want.numpy())
    assert np.array_equal(cases.Totals.running, np.ones(2))


def test_the_refusal_names_the_attribute_as_written():
    # (local_objects.py made a variable of acc.total; the message shows acc.total)
    with pytest.raises(SharedMemoryError) as error:
        ad.grad(cases.adds_into_a_class_level_array_of_an_object)(X.copy())
    assert "'acc.total += ...'" in str(error.value) and "acc_total" not in str(error.value)
