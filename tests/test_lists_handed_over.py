"""Lists built by appends and then given another name: `xs = [f(v) for v in
xs]` (a comprehension over the list it replaces, which lowering builds in a
temporary and hands over), the same loop written by hand (`new = [];
for v in xs: new.append(f(v)); xs = new`), and the list then grown through
its new name. The temporary is never used after the handover, so no second
name sees the list (passes/activity.handed_over_stacks). Each program is
checked against its torch twin in reverse and forward mode, for the jvp and
for the Hessian-vector product; a list the handover does not leave alone is
still refused. A loop over such a list, or over any list the function
resizes in place (a helper's result, say), indexes the list itself, so the
list grown or shrunk after the loop keeps its derivative list in step
(passes/lower_control.py)."""

from __future__ import annotations

import collections

import numpy as np
import pytest
import torch

import adcompiler as ad
from torch_oracle import CHECKS, assert_matches_twin

POINT = np.array([0.3, -0.7, 1.1, 0.5])
DIRECTION = np.array([0.4, -1.0, 0.2, 0.7])


def parameters_updated_by_a_comprehension(x):
    params = [x[0], x[1], x[2]]
    for step in range(3):
        params = [p - 0.1 * p ** 2 * x[3] for p in params]
    return params[0] * params[1] + np.sin(params[2])


def t_parameters_updated_by_a_comprehension(x):
    params = [x[0], x[1], x[2]]
    for step in range(3):
        params = [p - 0.1 * p ** 2 * x[3] for p in params]
    return params[0] * params[1] + torch.sin(params[2])


def hidden_states_grown_after_the_comprehension(x):
    states = [x[0]]
    for i in range(3):
        states = [np.tanh(h * x[1]) for h in states]
        states.append(states[-1] + x[i + 1])
    return sum(states) * states[0]


def t_hidden_states_grown_after_the_comprehension(x):
    states = [x[0]]
    for i in range(3):
        states = [torch.tanh(h * x[1]) for h in states]
        states.append(states[-1] + x[i + 1])
    return sum(states) * states[0]


def list_built_by_hand_then_renamed_in_a_loop(x):
    values = [x[0], x[1]]
    for i in range(3):
        new = []
        for v in values:
            new.append(v * x[2] + 0.5)
        values = new
        values.append(x[i] ** 2)
    return values[0] + 3.0 * values[1] + values[-1] * len(values)


def t_list_built_by_hand_then_renamed_in_a_loop(x):
    values = [x[0], x[1]]
    for i in range(3):
        new = []
        for v in values:
            new.append(v * x[2] + 0.5)
        values = new
        values.append(x[i] ** 2)
    return values[0] + 3.0 * values[1] + values[-1] * len(values)


def list_built_then_returned_under_another_name(x):
    out = []
    for v in x:
        out.append(np.sin(v))
    result = out
    result.append(x[0] * x[1])
    return np.sum(np.array(result) ** 2)


def t_list_built_then_returned_under_another_name(x):
    out = []
    for v in x:
        out.append(torch.sin(v))
    result = out
    result.append(x[0] * x[1])
    return torch.sum(torch.stack(result) ** 2)


def comprehension_reading_the_list_it_replaces(x):
    values = [x[0], x[1]]
    values = [v * values[0] for v in values]
    values.append(x[2])
    return values[0] + values[1] * values[2]


def t_comprehension_reading_the_list_it_replaces(x):
    values = [x[0], x[1]]
    values = [v * values[0] for v in values]
    values.append(x[2])
    return values[0] + values[1] * values[2]


def list_joined_iterated_then_grown(x):
    values = [x[0], x[1] * 2.0]
    values = values + [np.sin(x[2])]
    total = 0.0
    for v in values:
        total = total + v * v * x[3]
    values.append(x[0] * 3.0)
    values = values + [x[1] ** 2]
    return total + sum(values)


def t_list_joined_iterated_then_grown(x):
    values = [x[0], x[1] * 2.0]
    values = values + [torch.sin(x[2])]
    total = 0.0
    for v in values:
        total = total + v * v * x[3]
    values.append(x[0] * 3.0)
    values = values + [x[1] ** 2]
    return total + sum(values)


def list_handed_over_iterated_then_grown(x):
    values = [x[0], x[1]]
    new = []
    for v in values:
        new.append(np.tanh(v * x[2]))
    values = new
    chosen = [v * x[3] for v in values if v > -2.0]
    values.append(values[-1] * x[0])
    return sum(chosen) * values[-1]


def t_list_handed_over_iterated_then_grown(x):
    values = [x[0], x[1]]
    new = []
    for v in values:
        new.append(torch.tanh(v * x[2]))
    values = new
    chosen = [v * x[3] for v in values if v > -2.0]
    values.append(values[-1] * x[0])
    return sum(chosen) * values[-1]


def _made_by_a_helper(v, w):
    return [v, v * w, w]


def list_from_a_helper_iterated_then_grown_and_shrunk(x):
    values = _made_by_a_helper(x[0], x[1])
    total = 0.0
    for i, v in enumerate(values):
        total = total + v * v * (i + 1.0)
    values.append(x[2] * x[3])
    last = values.pop()
    values.pop()
    values.append(x[3] ** 2)
    return total + sum(values) * last


t_list_from_a_helper_iterated_then_grown_and_shrunk = \
    list_from_a_helper_iterated_then_grown_and_shrunk


def list_from_a_helper_iterated_reversed_and_zipped_then_resized(x):
    values = _made_by_a_helper(x[0], x[1])
    total = 0.0
    for i, v in enumerate(reversed(values)):
        total = total + v * (i + 1.0) * x[2]
    for v, w in zip(values, [1.0, 2.0, 3.0]):
        total = total + v * w * x[3]
    values.pop()
    values.append(x[3] ** 2)
    values.append(np.cos(x[2]))
    return total * sum(values)


def t_list_from_a_helper_iterated_reversed_and_zipped_then_resized(x):
    values = _made_by_a_helper(x[0], x[1])
    total = 0.0
    for i, v in enumerate(reversed(values)):
        total = total + v * (i + 1.0) * x[2]
    for v, w in zip(values, [1.0, 2.0, 3.0]):
        total = total + v * w * x[3]
    values.pop()
    values.append(x[3] ** 2)
    values.append(torch.cos(x[2]))
    return total * sum(values)


PROGRAMS = [
    (list_from_a_helper_iterated_reversed_and_zipped_then_resized,
     t_list_from_a_helper_iterated_reversed_and_zipped_then_resized),
    (list_from_a_helper_iterated_then_grown_and_shrunk,
     t_list_from_a_helper_iterated_then_grown_and_shrunk),
    (list_joined_iterated_then_grown, t_list_joined_iterated_then_grown),
    (list_handed_over_iterated_then_grown, t_list_handed_over_iterated_then_grown),
    (parameters_updated_by_a_comprehension, t_parameters_updated_by_a_comprehension),
    (hidden_states_grown_after_the_comprehension, t_hidden_states_grown_after_the_comprehension),
    (list_built_by_hand_then_renamed_in_a_loop, t_list_built_by_hand_then_renamed_in_a_loop),
    (list_built_then_returned_under_another_name, t_list_built_then_returned_under_another_name),
    (comprehension_reading_the_list_it_replaces, t_comprehension_reading_the_list_it_replaces),
]


@pytest.mark.parametrize("program, twin", PROGRAMS, ids=[p.__name__ for p, _ in PROGRAMS])
@pytest.mark.parametrize("check", CHECKS)
def test_derivatives_of_a_list_handed_over_match_torch(program, twin, check):
    assert_matches_twin(program, twin, POINT, DIRECTION, check)


def test_the_hessian_of_a_comprehension_over_the_list_it_replaces_matches_torch():
    program, twin = PROGRAMS[4]
    want = torch.autograd.functional.hessian(twin, torch.tensor(POINT))
    np.testing.assert_allclose(ad.hessian(program)(POINT.copy()), want.numpy(),
                               rtol=1e-11, atol=1e-12)


# Lists the handover does not leave alone: each would have two names that see
# its appends, or an append the handover may not follow.

def handover_skipped_by_continue(x):
    values = [x[0], x[1]]
    for i in range(3):
        new = []
        for v in values:
            new.append(v * x[2])
        if i == 1:
            continue
        values = new
        values.append(x[i])
    return values[0] + values[-1] * len(values)


def list_named_twice_before_the_handover(x):
    new = []
    new.append(x[0])
    kept = new
    values = new
    values.append(x[1])
    return kept[0] * len(kept) + values[-1]


def list_read_after_the_handover(x):
    new = []
    new.append(x[0] * 2.0)
    values = new
    values.append(x[1])
    return new[-1] * 3.0 + values[0]


def list_stored_in_a_dict_before_the_handover(x):
    new = []
    new.append(x[0] * 2.0)
    held = {"k": new}
    values = new
    values.append(x[1])
    return held["k"][-1] * 3.0 + values[0]


def test_a_loop_over_a_resized_object_that_is_no_sequence_is_refused_when_it_runs():
    with pytest.raises(ad.UnsupportedSyntaxError, match="for loop over a deque") as caught:
        ad.grad(_loop_then_append, wrt=1)(collections.deque([1.0, 2.0]), POINT.copy())
    assert "test_lists_handed_over.py" in str(caught.value)


def _loop_then_append(values, x):
    total = 0.0
    for v in values:
        total = total + v * x[0]
    values.append(x[1])
    return total


@pytest.mark.parametrize("program", [handover_skipped_by_continue,
                                     list_named_twice_before_the_handover,
                                     list_read_after_the_handover,
                                     list_stored_in_a_dict_before_the_handover])
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_list_seen_under_two_names_is_refused(program, mode):
    with pytest.raises(ad.UnsupportedSyntaxError, match="second name") as caught:
        ad.grad(program, mode=mode)(POINT.copy())
    assert "test_lists_handed_over.py" in str(caught.value)
