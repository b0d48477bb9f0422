"""A local function called in an expression runs, once inlined, before the
statement holding the call (passes/inline_local.py). Python evaluates the
operands left of the call first: one that reads what the call changes (a
list entry, an array element, a dict value) must see the value from before
the call. Each program runs on NumPy and on torch tensors (the oracle,
float64); value, gradient, forward-mode gradient and second derivative must
agree."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import adcompiler as ad


def list_entry_read_before_the_call(x):
    entries = [x]

    def triple_first():
        entries[0] = entries[0] * 3
        return entries[0]

    return entries[0] * entries[0] + triple_first()


def array_element_read_before_the_call(x):
    a = x * np.ones(2)

    def scale_first():
        a[0] = a[0] * 3
        return a[0]

    return np.sin(a[0]) + scale_first() * a[0]


def t_array_element_read_before_the_call(x):
    a = x * torch.ones(2, dtype=torch.float64)

    def scale_first():
        a[0] = a[0] * 3
        return a[0]

    # (torch refuses to differentiate sin of a view written into afterwards: a copy)
    before = a[0].clone()
    return torch.sin(before) + scale_first() * a[0]


def dict_value_read_before_the_call(x):
    state = {"h": x}

    def step():
        state["h"] = state["h"] * state["h"]
        return 1.0

    return state["h"] * 2.0 + step() * state["h"]


def argument_read_before_a_call_in_the_next_argument(x):
    entries = [x]

    def push():
        entries[0] = entries[0] + 1.0
        return entries[0]

    def combine(a, b):
        return a * b

    return combine(entries[0] * 2.0, push())


def helper_that_calls_a_changing_helper(x):
    entries = [x]

    def bump():
        entries[0] = entries[0] * 2.0
        return 0.0

    def read_then_bump():
        return entries[0] * entries[0] + bump()

    return read_then_bump() + entries[0]


def f_string_field_read_before_the_call(x):
    entries = [x]

    def triple_first():
        entries[0] = entries[0] * 3
        return 1

    label = f"{entries[0] > 1.0:>6} {triple_first()}"   # ' False 1': read first
    return entries[0] * len(label) + len(f"{entries[0]:.2f}")


def t_f_string_field_read_before_the_call(x):
    entries = [x]

    def triple_first():
        entries[0] = entries[0] * 3
        return 1

    label = f"{bool(entries[0] > 1.0):>6} {triple_first()}"
    return entries[0] * len(label) + len(f"{float(entries[0]):.2f}")


# name -> (NumPy program, torch twin or None when the same source runs on tensors)
PROGRAMS = {
    "list_entry": (list_entry_read_before_the_call, None),
    "array_element": (array_element_read_before_the_call, t_array_element_read_before_the_call),
    "dict_value": (dict_value_read_before_the_call, None),
    "next_argument": (argument_read_before_a_call_in_the_next_argument, None),
    "nested_helpers": (helper_that_calls_a_changing_helper, None),
    "f_string_field": (f_string_field_read_before_the_call, t_f_string_field_read_before_the_call),
}


def _torch_derivatives(twin, x: float):
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    value = twin(t)
    (first,) = torch.autograd.grad(value, t, create_graph=True)
    # (a first derivative that does not depend on x has no graph: 0)
    second = torch.autograd.grad(first, t)[0] if first.requires_grad else 0.0
    return float(value), float(first), float(second)


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_operands_left_of_a_local_call_keep_their_value_like_torch(name):
    program, twin = PROGRAMS[name]
    x = 0.7
    value, first, second = _torch_derivatives(twin or program, x)
    assert program(x) == pytest.approx(value, rel=1e-12)
    got_value, got_first = ad.value_and_grad(program)(x)
    assert got_value == pytest.approx(value, rel=1e-12)
    assert got_first == pytest.approx(first, rel=1e-10)
    assert ad.grad(program, mode="forward")(x) == pytest.approx(first, rel=1e-10)
    assert ad.hessian(program)(x) == pytest.approx(second, rel=1e-8)


def test_augmented_element_update_by_a_changing_local_call_is_refused_at_its_line():
    def f(x):
        entries = [x, x]

        def grow():
            entries[0] = entries[0] * 2.0
            return entries[0]

        entries[1] += grow()
        return entries[1]

    with pytest.raises(ad.UnsupportedSyntaxError) as caught:
        ad.grad(f)(0.5)
    message = str(caught.value)
    assert "test_local_function_order_of_evaluation.py" in message
    assert "entries[1] += grow()" in message
    assert "a local function that changes a value in place" in message


def test_a_local_function_changing_nothing_leaves_the_statement_as_written():
    def f(x):
        def square(v):
            return v * v

        return np.sin(x) * square(x)

    assert "operand" not in ad.source(ad.grad(f))
    assert ad.grad(f)(0.3) == pytest.approx(
        np.cos(0.3) * 0.09 + np.sin(0.3) * 0.6, rel=1e-12)
