"""Programs the random aliasing programs found computing a wrong value with no
error (tests/test_aliasing_regressions.py keeps them fixed)."""

import numpy as np


def scale_in_place(u, c):
    u += 0.5 * np.tanh(u)
    u /= 1.5 + np.sin(c)


def view_of_a_view_read_after_its_base_changes(x, A, s):
    w0 = A[:, 2]
    w1 = w0[::2]          # read later through w0, which is not
    scale_in_place(A, s)
    return np.sum(x * x * 0.5) + np.sum(np.sin(A) * 0.75) + np.sum(w1 * w1)


def out_into_arrays_a_dict_holds(x, A, s):
    D0 = {"a": x, "b": A}
    for key in D0:
        np.tanh(D0[key], out=D0[key])   # writes into x and A themselves
    x[1:2] = np.tanh(s)
    return np.sum(x * x * 0.5) + np.sum(np.sin(A) * 0.75) + np.sum(np.cos(D0["b"]))


def a_list_holding_an_array_and_a_view_of_it(x, A, s):
    w0 = x[5:6]
    L1 = [x, w0]          # L1[1] views L1[0]'s memory
    for p in L1:
        p[0] = s
        p[-1] += p[0]
    return np.sum(x * x * 0.5) + np.sum(w0 * w0) + np.sum(np.cos(L1[0]))


# A loop reading a list it appends to: the value read changes every iteration,
# though no statement of the loop binds the list's name.
def a_sum_of_a_list_the_loop_appends_to(x, A, s):
    hs = [x]
    total = 0.0
    for i in range(3):
        level = np.sum(np.stack(hs))
        hs.append(x * level)
        total = total + level
    return total


def the_last_entry_of_a_list_the_loop_appends_to(x, A, s):
    square = A[:, :3]
    powers = [np.eye(3)]
    for _ in range(3):
        powers.append(powers[-1] @ square)
    hs = [x]
    total = 0.0
    for i in range(3):
        last = hs[-1]
        hs.append(np.sin(last) * x)
        total = total + np.sum(last)
    return total + np.sum(powers[3] * square)
