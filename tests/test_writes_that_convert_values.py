"""Writes of differentiated values that NumPy converts to the array's type:
into integer and boolean arrays, and complex values into real arrays.

NumPy truncates a float written into an integer (or boolean) array: the
array then holds a step function of the value, whose derivative is zero.
adcompiler refuses a write that truncates (tests/test_element_writes.py);
a value that is a whole number where the function is called is written
exactly, and its derivative must be zero too, as torch gives for its
integer tensors. It was passed on as if the array were floating-point,
whichever way the write is spelt (`a[i] = v`, slices, `np.put`, `a.fill`,
`out=`). A complex value written into a real array loses its imaginary
part in NumPy; the derivative made the array complex instead, and computed
another value. Each program here is checked against its torch twin in
every mode.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import adcompiler as ad
from torch_oracle import CHECKS, assert_matches_twin

pytestmark = pytest.mark.filterwarnings("ignore::numpy.exceptions.ComplexWarning")

# Whole numbers where the programs write them (x[0] * 5, x[1] * 2, ...).
X = np.array([2.0, -3.0, 1.5, 0.5])
DIRECTION = np.array([0.3, -0.5, 1.1, 0.2])


def element_write_into_an_integer_array(x):
    a = np.array([1, 2, 3, 4])
    a[1] = x[0] * 5
    return np.sum(a * x) + x[0] * x[1]


def t_element_write_into_an_integer_array(x):
    a = torch.tensor([1, 2, 3, 4])
    a[1] = x[0] * 5
    return (a * x).sum() + x[0] * x[1]


def element_write_into_a_boolean_array(x):
    flags = np.zeros(4, dtype=bool)
    flags[0] = x[0] - 1.0
    return np.sum(flags * x * x)


def t_element_write_into_a_boolean_array(x):
    flags = torch.zeros(4, dtype=torch.bool)
    flags[0] = x[0] - 1.0
    return (flags * x * x).sum()


def slice_write_into_an_integer_range(x):
    a = np.arange(4)
    a[:2] = x[:2] * 2
    return np.sum(a * np.sin(x))


def t_slice_write_into_an_integer_range(x):
    a = torch.arange(4)
    a[:2] = x[:2] * 2
    return (a * torch.sin(x)).sum()


def put_into_an_integer_array(x):
    a = np.zeros(4, dtype=int)
    np.put(a, [0, 1], x[:2])
    return np.sum(a * x * x)


def t_put_into_an_integer_array(x):
    a = torch.zeros(4, dtype=torch.long)
    a[0], a[1] = x[0], x[1]
    return (a * x * x).sum()


def fill_of_an_integer_array(x):
    a = np.zeros(4, dtype=int)
    a.fill(x[0])
    return np.sum(a * x) * x[3]


def t_fill_of_an_integer_array(x):
    a = torch.zeros(4, dtype=torch.long)
    a.fill_(x[0].item())   # a tensor that requires grad fails inside autograd
    return (a * x).sum() * x[3]


def ufunc_out_into_an_integer_array(x):
    a = np.zeros(2, dtype=int)
    np.add(x[:2], 1.0, out=a, casting="unsafe")
    return np.sum(a * x[:2] * x[2:])


def t_ufunc_out_into_an_integer_array(x):
    a = torch.zeros(2, dtype=torch.long)
    a[:] = x[:2] + 1.0
    return (a * x[:2] * x[2:]).sum()


def whole_array_copied_into_an_integer_array(x):
    a = np.zeros_like(x, dtype=int)
    a[:] = x * 2
    return np.sum(a * x) + np.sum(np.tanh(x))


def t_whole_array_copied_into_an_integer_array(x):
    a = torch.zeros_like(x, dtype=torch.long)
    a[:] = x * 2
    return (a * x).sum() + torch.tanh(x).sum()


def integer_counts_written_in_a_loop(x):
    counts = np.zeros(4, dtype=np.int64)
    total = 0.0
    for i in range(4):
        counts[i] = x[i] * 2
        total = total + counts[i] * x[i] ** 2
    return total


def t_integer_counts_written_in_a_loop(x):
    counts = torch.zeros(4, dtype=torch.long)
    total = 0.0
    for i in range(4):
        counts[i] = x[i] * 2
        total = total + int(counts[i]) * x[i] ** 2   # torch keeps counts[i] for later
    return total


def complex_value_written_into_a_real_array(x):
    a = np.zeros(4)
    a[0] = np.exp(1j * x[0]) * x[1]   # NumPy keeps the real part
    return np.sum(np.abs(a) * x) + np.sum(a * a)


def t_complex_value_written_into_a_real_array(x):
    a = torch.zeros(4, dtype=torch.float64)
    a[0] = (torch.exp(1j * x[0]) * x[1]).real
    return (torch.abs(a) * x).sum() + (a * a).sum()


PROGRAMS = [
    (element_write_into_an_integer_array, t_element_write_into_an_integer_array),
    (element_write_into_a_boolean_array, t_element_write_into_a_boolean_array),
    (slice_write_into_an_integer_range, t_slice_write_into_an_integer_range),
    (put_into_an_integer_array, t_put_into_an_integer_array),
    (fill_of_an_integer_array, t_fill_of_an_integer_array),
    (ufunc_out_into_an_integer_array, t_ufunc_out_into_an_integer_array),
    (whole_array_copied_into_an_integer_array, t_whole_array_copied_into_an_integer_array),
    (integer_counts_written_in_a_loop, t_integer_counts_written_in_a_loop),
    (complex_value_written_into_a_real_array, t_complex_value_written_into_a_real_array),
]
IDS = [program.__name__ for program, _ in PROGRAMS]


@pytest.mark.parametrize("program, twin", PROGRAMS, ids=IDS)
@pytest.mark.parametrize("check", CHECKS)
def test_derivatives_through_a_converting_write_match_torch(program, twin, check):
    assert_matches_twin(program, twin, X, DIRECTION, check)


def test_a_truncating_write_of_a_differentiated_value_is_still_refused():
    with pytest.raises(ad.NoDerivativeRuleError, match="truncates"):
        ad.grad(element_write_into_an_integer_array)(X + 0.1)


# Record (structured) arrays: NumPy's semantics for what the function reads
# from them; a differentiated value stored in one is refused (its fields are
# not differentiated), where a write crashed with NumPy's DTypePromotionError
# and a read of a field with IndexError inside the derivative.
RECORD = [("a", float), ("b", float)]


def record_array_of_constants_read_beside_x(x):
    rec = np.zeros(2, dtype=RECORD)
    rec["a"] = 1.5
    return np.sum(rec["a"] * x[1:3]) + np.sum(rec["b"])


def t_record_array_of_constants_read_beside_x(x):
    return (1.5 * x[1:3]).sum()


def field_of_a_record_array_written(x):
    rec = np.zeros(2, dtype=RECORD)
    rec["a"] = x[:2]
    return np.sum(rec["a"] * x[1:3])


def record_array_built_from_x(x):
    rec = np.array([(x[0], x[1])], dtype=RECORD)
    return float(rec["a"][0] * rec["b"][0])


def record_written_whole(x):
    rec = np.zeros(2, dtype=RECORD)
    rec[0] = (x[0], x[1])
    return float(rec["a"][0] * rec["b"][0])


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_record_array_of_constants_is_read_as_numpy_reads_it(mode):
    at = torch.tensor(X, requires_grad=True)
    expected, = torch.autograd.grad(t_record_array_of_constants_read_beside_x(at), at)
    gradient = ad.grad(record_array_of_constants_read_beside_x, mode=mode)(X.copy())
    np.testing.assert_allclose(gradient, expected.numpy(), rtol=1e-13)


@pytest.mark.parametrize("program", [field_of_a_record_array_written, record_array_built_from_x,
                                     record_written_whole], ids=lambda f: f.__name__)
@pytest.mark.parametrize("kind", ["reverse", "forward", "hvp"])
def test_differentiated_values_in_a_record_array_are_refused(program, kind):
    if kind == "hvp":
        run = lambda: ad.hvp(program)((X.copy(),), (DIRECTION.copy(),))
    else:
        run = lambda: ad.grad(program, mode=kind)(X.copy())
    with pytest.raises(ad.NoDerivativeRuleError, match="derivative of zero") as refusal:
        run()
    assert __file__.split("/")[-1] in str(refusal.value)
