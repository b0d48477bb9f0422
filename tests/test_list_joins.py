"""Lists of differentiated values joined (`L + M`, `L += M`, `L.extend(M)`),
repeated (`L * n`, `n * L`, `L *= n`), changed by `L.insert(i, v)` and
`L.reverse()`, and copied (`L.copy()`): exact derivatives in reverse mode,
forward mode and to second order, in loops and branches, for lists of arrays,
of Python floats and of tuples, mixed with lists that carry no derivative.

Each program runs twice: compiled by adcompiler with NumPy, and as plain
Python on torch tensors in float64, with its `np` bound to the torch
functions of the same name (TorchAsNumpy): list joins and repetitions mean the
same on lists of tensors, so torch.autograd is the oracle for the very same
source. Gradients are also checked against central finite differences.

In place means in place: `ys = xs; xs += [v]` (or xs.extend([v])) changes the
list ys names too, as Python does. The adjoint of `T = L + M` splits T's
adjoint list at len(L) as it was when the join ran: taken from L's own adjoint
list (which mirrors L at that point of the sweep), or from M's, or recorded
on the stack where no adjoint list knows it (`xs = xs + [1.0]`, `xs = xs * 2`).
"""

from __future__ import annotations


import numpy as np
import pytest
import torch

import adcompiler as ad
from torch_twin_checks import (INPUTS, check_forward_mode, check_gradient,
                               check_gradient_of_gradient, check_hessian, on_torch,
                               torch_derivatives)



# --- joins ----------------------------------------------------------------

def joins_into_a_new_name(x):
    xs = [x, np.sin(x)]
    ys = xs + [x * 2.0]
    return np.sum(ys[0] * ys[2] + ys[1] ** 2)


def extends_in_place_with_plus_equals(x):
    xs = [x, x * 2.0]
    xs += [np.exp(x * 0.3)]
    return np.sum(xs[2] * xs[0] + xs[1])


def extends_with_the_method(x):
    xs = [x]
    xs.extend([x * 2.0, np.sin(x)])
    return np.sum(xs[0] * xs[1] * xs[2])


def extends_with_a_tuple(x):
    xs = [np.cos(x)]
    xs.extend((x * x, x * 3.0))
    return np.sum(xs[0] * xs[2] - xs[1])


def extends_with_the_rows_of_an_array(x):
    rows = [x * 2.0]
    rows.extend(np.outer(x, x))
    return np.sum(rows[0] * rows[3]) + np.sum(rows[1] ** 2)


def joins_a_list_to_itself(x):
    xs = [x, x * 3.0]
    xs = xs + xs
    return np.sum(xs[0] * xs[3] + xs[1] * xs[2] ** 2)


def joins_then_both_lists_grow(x):
    xs = [x]
    ys = xs + [np.sin(x)]
    xs.append(x * 5.0)
    ys.append(x * 7.0)
    return np.sum(ys[1] * ys[2] + xs[1] * ys[0])


def appends_to_the_joined_list(x):
    # xs = xs + [v] names the new list xs alone: appending to it is no alias.
    xs = [x]
    xs = xs + [x * 2.0]
    xs.append(np.sin(x))
    xs += [x * 4.0]
    xs.append(x * x)
    return np.sum(xs[0] * xs[2] + xs[1] * xs[4] + xs[3])


def pops_from_a_copy(x):
    xs = [x, x * 2.0]
    ys = xs.copy()
    v = ys.pop()
    return np.sum(v * ys[0]) + len(xs)


def joins_lists_without_a_derivative(x):
    xs = [x * x]
    xs = xs + [1.0]
    xs = [2.0, 0.5] + xs
    return np.sum(xs[0] * xs[2] + xs[3] * xs[1] * xs[2])


def pads_in_front_with_zeros(x):
    n = 2
    xs = [x, np.sin(x)]
    xs = [0.0] * n + xs
    return np.sum(xs[2] * xs[3]) + xs[0] + len(xs)


def joins_lists_of_tuples(x):
    pairs = [(x, 1.0)]
    pairs = pairs + [(x * 2.0, np.sin(x))]
    pairs += [(x * x, x)]
    a, b = pairs[1]
    return np.sum(a * b + pairs[0][0] * pairs[2][1] + pairs[2][0])


# --- repetitions ----------------------------------------------------------

def repeats_a_display(x):
    xs = [x] * 3
    return np.sum(xs[2] * xs[0] + xs[1])


def repeats_itself(x):
    xs = [x, x * 2.0]
    xs = xs * 2
    return np.sum(xs[0] * xs[3] + xs[2] ** 2)


def repeats_in_place(x):
    xs = [np.sin(x), x]
    xs *= 2
    return np.sum(xs[0] * xs[3] + xs[2] * xs[1])


def repeats_by_a_count_on_the_left(x):
    xs = [x * 2.0, np.cos(x)]
    ys = 2 * xs
    return np.sum(ys[0] * ys[3] + ys[2])


def repeats_by_a_variable_count(x):
    xs = [x * 2.0]
    k = len(xs) + 2
    ys = xs * k
    return np.sum(ys[0] * ys[k - 1]) + len(ys)


def repeats_zero_and_negative_times(x):
    xs = [x * 2.0]
    empty = xs * 0
    xs = xs * -1
    xs = xs + [x] + empty
    return np.sum(xs[0] * 3.0) + len(empty)


# --- loops and branches ---------------------------------------------------

def accumulates_states_by_joining(x):
    # The RNN idiom: hs = hs + [h].
    h = x
    hs = [h]
    for i in range(4):
        h = np.tanh(h * 0.5 + i * 0.1)
        hs = hs + [h]
    return np.sum(hs[-1] * hs[1] + hs[0])


def accumulates_states_with_plus_equals(x):
    h = x
    hs = []
    for i in range(4):
        h = np.sin(h) + x * 0.5
        hs += [h]
    return np.sum(np.stack(hs) ** 2) + np.sum(hs[-1] * hs[1])


def extends_in_a_loop(x):
    hs = [x]
    for _ in range(3):
        hs.extend([hs[-1] * 0.5, np.sin(hs[-1])])
    return np.sum(hs[-1] * hs[2] + hs[5])


def joins_until_long_enough(x):
    xs = [x]
    while len(xs) < 4:
        xs = xs + [np.sin(xs[-1]) * x]
    return np.sum(xs[-1] + xs[1] * xs[2])


def joins_in_either_branch(x):
    xs = [x]
    if np.sum(x) > 0.0:
        xs = xs + [x * 2.0]
    else:
        xs += [np.sin(x)]
    return np.sum(xs[-1] * xs[0])


def repeats_in_a_loop(x):
    xs = [x]
    for _ in range(2):
        xs = xs * 2
        xs[0] = xs[0] * 0.5
    return np.sum(xs[0] * xs[1] + xs[3] ** 2) + len(xs)


# --- a second name for the list ------------------------------------------

def plus_equals_changes_the_list_a_second_name_holds(x):
    xs = [x]
    ys = xs
    xs += [x * 2.0]
    return np.sum(ys[1] * ys[0]) + len(ys)


def extend_changes_the_list_a_second_name_holds(x):
    xs = [x]
    ys = xs
    xs.extend([np.sin(x)])
    return np.sum(ys[1] * ys[0]) + len(ys)


def joining_leaves_the_list_a_second_name_holds(x):
    xs = [x]
    ys = xs
    xs = xs + [x * 2.0]
    return np.sum(ys[0] * xs[1]) + len(ys)


def plus_equals_changes_the_list_a_list_holds(x):
    xs = [x]
    outer = [xs]
    xs += [x * 2.0]
    return np.sum(outer[0][1] * x)


# --- insert, reverse, copy --------------------------------------------------

def inserts_at_the_front(x):
    xs = [x, x * 2.0]
    xs.insert(0, np.sin(x))
    return np.sum(xs[0] * xs[1] + xs[2])


def inserts_past_either_end(x):
    # Python clips the position: 10 appends, -10 puts in front.
    xs = [x, x * 2.0]
    xs.insert(10, x * x)
    xs.insert(-10, x * 3.0)
    xs.insert(-1, np.cos(x))
    return np.sum(xs[0] * xs[1] + xs[2] * xs[3] + xs[4])


def inserts_at_positions_computed_in_a_loop(x):
    xs = [x, x * 2.0, x * 3.0]
    for k in range(3):
        xs.insert(k - 1, xs[k] * 0.5)
    return np.sum(xs[0] * xs[5] + xs[2] * xs[3])


def reverses_in_place(x):
    xs = [x, x * 2.0, np.sin(x)]
    xs.reverse()
    return np.sum(xs[0] * xs[1] + xs[2] * 2.0)


def reverses_in_a_loop(x):
    hs = [x]
    for i in range(3):
        hs.insert(0, np.tanh(hs[0] * 0.5 + i))
        hs.reverse()
    return np.sum(hs[0] * hs[-1] + hs[1])


def reverses_the_list_it_iterates(x):
    # Python's loop reads xs[0], xs[1], xs[2] of the list as it is then.
    xs = [x, x * 2.0, x * 3.0]
    total = 0.0
    for v in xs:
        total = total + v * np.sin(v)
        xs.reverse()
    return np.sum(total)


def a_copy_grows_apart_from_its_list(x):
    xs = [x, x * 2.0]
    ys = xs.copy()
    ys.append(x * 3.0)
    xs.append(np.sin(x))
    ys[0] = ys[0] * 4.0
    return np.sum(ys[0] * ys[2] + xs[2] * xs[0]) + len(xs) + len(ys)


def reverse_changes_the_list_a_second_name_holds(x):
    xs = [x, x * 2.0, np.sin(x)]
    ys = xs
    xs.reverse()
    return np.sum(ys[0] * ys[1])


def removes_an_entry_by_joining_slices(x):
    # What docs/supported-python.md suggests for L.pop(i) and del L[i].
    xs = [x, np.sin(x), x * 3.0]
    i = 1
    v = xs[i]
    xs = xs[:i] + xs[i + 1:]
    return np.sum(xs[0] * xs[1] + v * xs[-1])


def insert_changes_the_list_a_second_name_holds(x):
    xs = [x, x * 2.0]
    ys = xs
    xs.insert(1, x * x)
    return np.sum(ys[1] * ys[2]) + len(ys)


PROGRAMS = [
    joins_into_a_new_name, extends_in_place_with_plus_equals, extends_with_the_method,
    extends_with_a_tuple, extends_with_the_rows_of_an_array, joins_a_list_to_itself,
    joins_then_both_lists_grow, appends_to_the_joined_list, pops_from_a_copy,
    joins_lists_without_a_derivative, pads_in_front_with_zeros,
    joins_lists_of_tuples, repeats_a_display, repeats_itself, repeats_in_place,
    repeats_by_a_count_on_the_left, repeats_by_a_variable_count,
    repeats_zero_and_negative_times, accumulates_states_by_joining,
    accumulates_states_with_plus_equals, extends_in_a_loop, joins_until_long_enough,
    joins_in_either_branch, repeats_in_a_loop,
    plus_equals_changes_the_list_a_second_name_holds,
    extend_changes_the_list_a_second_name_holds, joining_leaves_the_list_a_second_name_holds,
    plus_equals_changes_the_list_a_list_holds,
    inserts_at_the_front, inserts_past_either_end, inserts_at_positions_computed_in_a_loop,
    reverses_in_place, reverses_in_a_loop, reverses_the_list_it_iterates,
    a_copy_grows_apart_from_its_list, reverse_changes_the_list_a_second_name_holds,
    insert_changes_the_list_a_second_name_holds, removes_an_entry_by_joining_slices,
]
# Rows of an array need an array; the rest also run on a Python float.
ARRAY_ONLY = {extends_with_the_rows_of_an_array}
CASES = [(program, kind) for program in PROGRAMS for kind in INPUTS
         if kind == "array" or program not in ARRAY_ONLY]
IDS = [f"{program.__name__}-{kind}" for program, kind in CASES]




def central_differences(program, x, step=1e-6):
    x = np.asarray(x, dtype=float)
    out = np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        shift = np.zeros(x.shape)
        shift[index] = step
        out[index] = (program(x + shift) - program(x - shift)) / (2 * step)
    return out


@pytest.mark.parametrize("program, kind", CASES, ids=IDS)
def test_gradient_matches_torch_and_finite_differences(program, kind):
    gradient = check_gradient(program, kind)
    np.testing.assert_allclose(gradient, central_differences(program, INPUTS[kind]), rtol=1e-6,
                               atol=1e-7)


@pytest.mark.parametrize("program, kind", CASES, ids=IDS)
def test_forward_mode_matches_torch(program, kind):
    check_forward_mode(program, kind)


@pytest.mark.parametrize("program, kind", CASES, ids=IDS)
def test_hessian_matches_torch(program, kind):
    check_hessian(program, kind)


FLOAT_CASES = [program for program, kind in CASES if kind == "float"]


@pytest.mark.parametrize("program", FLOAT_CASES, ids=[p.__name__ for p in FLOAT_CASES])
def test_gradient_of_the_gradient_matches_torch(program):
    # Reverse over reverse: the gradient's own lists (rebound, pushed on its
    # stack and popped back) differentiated again.
    check_gradient_of_gradient(program)


def rebinds_a_list_display(x):
    xs = [x]
    xs = [xs[0] * 3.0, x * 2.0]
    xs.append(x)
    return xs[0] * xs[1] * xs[2]


def test_gradient_of_the_gradient_of_a_rebound_list_matches_torch():
    # The gradient pops the earlier list back (xs = _stack.pop()): its adjoint
    # list is made anew and added into, never a zero to skip (it was, and
    # grad(grad(f)) lost the reads above: 8.4 for 25.2).
    _, _, expected = torch_derivatives(rebinds_a_list_display, 0.7)
    np.testing.assert_allclose(ad.grad(ad.grad(rebinds_a_list_display))(0.7), expected,
                               rtol=1e-12)


def test_python_values_are_what_the_programs_compute():
    # The programs' own Python semantics, spelled out once, so the derivative
    # tests above are about the lists these programs really build.
    assert extends_with_the_method(1.0) == 1.0 * 2.0 * np.sin(1.0)
    assert plus_equals_changes_the_list_a_second_name_holds(1.0) == 2.0 + 2
    assert joining_leaves_the_list_a_second_name_holds(1.0) == 2.0 + 1
    assert repeats_zero_and_negative_times(1.0) == 3.0 + 0
    assert reverses_the_list_it_iterates(1.0) == sum(v * np.sin(v) for v in (1.0, 2.0, 3.0))
    assert insert_changes_the_list_a_second_name_holds(1.0) == 2.0 + 3


# --- where the split point comes from ---------------------------------------

def joins_a_list_argument(xs):
    ys = [0.5] + xs
    ys = ys + [ys[1] * ys[2]]
    zs = ys * 2
    return zs[0] * zs[1] + zs[2] ** 2 + zs[7] * zs[3]


def test_joining_and_repeating_a_list_argument_matches_torch():
    # xs is a list only the caller knows of: its part of the adjoint comes
    # back in its own form, a list of gradients.
    xs = [1.3, -0.4]
    points = [torch.tensor(v, requires_grad=True) for v in xs]
    expected = torch.autograd.grad(on_torch(joins_a_list_argument)(points), points)
    gradient = ad.grad(joins_a_list_argument)(xs)
    np.testing.assert_allclose(gradient, [e.item() for e in expected], rtol=1e-12)
    assert type(gradient) is list
    _, tangent = ad.jvp(joins_a_list_argument)((xs,), ([1.0, 0.0],))
    np.testing.assert_allclose(tangent, expected[0].item(), rtol=1e-12)


@pytest.mark.parametrize("program, recorded", [
    (joins_into_a_new_name, False),           # len(dxs): xs's own adjoint list
    (joins_lists_without_a_derivative, False),  # [2.0, 0.5] + xs: len(dT) - len(dxs)
    (accumulates_states_by_joining, False),   # hs = hs + [h]: the old hs's adjoint list
    (repeats_a_display, False),               # [x] * 3: the display's adjoint list
    (repeats_itself, True),                   # xs = xs * 2: xs's adjoint list is T's now
    (joins_a_list_argument, True),            # [0.5] + xs: no adjoint list mirrors either
])
def test_split_point_is_recorded_only_where_no_adjoint_list_knows_it(program, recorded):
    source = ad.source(ad.grad(program))
    assert ("_stack.append(len(" in source) == recorded


# --- what stays refused ---------------------------------------------------

def appends_through_a_second_name_after_plus_equals(x):
    xs = [x]
    ys = xs
    xs += [x * 2.0]
    ys.append(x * 3.0)
    return np.sum(xs[2] * xs[0])


def extends_the_list_it_iterates(x):
    items = [x]
    for v in items:
        if len(items) < 3:
            items += [v * 3.0]
    return sum(items)


def clears_the_list(x):
    xs = [x, x * 2.0]
    xs.clear()
    xs.append(x * 3.0)
    return np.sum(xs[0])


@pytest.mark.parametrize("program, error, message", [
    (appends_through_a_second_name_after_plus_equals, ad.UnsupportedSyntaxError,
     "giving a list of differentiated values a second name and appending or popping"),
    # Python's loop sees the items += adds; a loop counted once would not.
    (extends_the_list_it_iterates, ad.UnsupportedSyntaxError,
     "items += ..., which extends a list in place"),
    (clears_the_list, ad.NoDerivativeRuleError, "xs.clear(...) changes xs in place"),
])
@pytest.mark.parametrize("mode", [ad.grad, ad.jvp])
def test_list_changes_not_modelled_are_refused_naming_the_line(mode, program, error, message):
    with pytest.raises(error) as info:
        mode(program)
    assert message in str(info.value)
    assert f"{__file__}:" in str(info.value) and "Instead:" in str(info.value)


# --- within a memory budget ------------------------------------------------

@pytest.mark.parametrize("program", [
    accumulates_states_by_joining, accumulates_states_with_plus_equals, extends_in_a_loop,
    joins_until_long_enough, repeats_in_a_loop])
@pytest.mark.parametrize("budget", [1_000, 3_000])
def test_checkpointed_loops_that_join_lists_give_the_unbudgeted_gradient(program, budget):
    # Recomputing from a snapshot restores the lists each join replaced, whose
    # adjoint lists are re-made from them: they are snapshotted every time.
    x = INPUTS["array"]
    np.testing.assert_allclose(ad.grad(program, memory=budget)(x), ad.grad(program)(x),
                               rtol=1e-14, atol=1e-15)
