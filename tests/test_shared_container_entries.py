"""A container holding one array at two entries (`L = [v, v]`,
`{"a": v, "b": v}`), changed in place through one of them (`L[0] *= 2`):
Python changes the array, so every entry shows it. The derivative follows
the entry it was changed through only, and gave a wrong value and gradient
with no error when no other name still read the array (found by the
aliasing fuzzer, seed 96071). Refused now when the derivative runs; distinct
entries stay exact."""

import numpy as np
import pytest
import torch

import adcompiler as ad

X = np.array([0.971, -0.231, -0.68, 1.387])


def list_entry_twice(x):
    v = np.sin(x)
    entries = [v, v]
    entries[0] *= 2.0
    return np.sum(entries[1])


def dict_value_twice_in_a_loop(x):
    v = np.sin(x)
    table = {"a": v, "b": v}
    for key in ("a", "b"):
        table[key] *= np.cos(np.mean(x))
    return np.sum(table["b"])


@pytest.mark.parametrize("function", [list_entry_twice, dict_value_twice_in_a_loop])
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_an_array_held_twice_and_changed_through_one_entry_is_refused(function, mode):
    with pytest.raises(ad.SharedMemoryError, match="holds more than once"):
        ad.grad(function, mode=mode)(X)


def distinct_entries(x):
    table = {"a": np.sin(x), "b": np.cos(x)}
    for key in table:
        table[key] *= 2.0
    return np.sum(table["a"] * table["b"])


def test_distinct_entries_changed_in_place_match_torch():
    x = torch.tensor(X, requires_grad=True)
    torch.sum((2.0 * torch.sin(x)) * (2.0 * torch.cos(x))).backward()
    for mode in ("reverse", "forward"):
        np.testing.assert_allclose(ad.grad(distinct_entries, mode=mode)(X), x.grad.numpy(),
                                   rtol=1e-13)
